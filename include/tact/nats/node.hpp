// tact::nats::Node: joins a Runtime to NATS, so that actors are reachable by
// name from other processes, through refs of the same type as local ones.
//
//   tact::nats::Node node(rt, {.servers = {"nats://127.0.0.1:4222"}, .name = "a"});
//   node.expose("counter", counter);                    // reachable as "counter"
//   tact::ActorRef<Counter> c = other.lookup<Counter>("counter");
//   c.tell(Inc{1});  std::int64_t n = c.ask(Get{}).get();
//
// The semantics (at-most-once tells, every ask resolved, order per sender) and
// the wire format are in docs/remote.md. The Runtime's shutdown() closes the
// Node first (a shutdown hook), if it is still open.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tact/actor_ref.hpp"
#include "tact/nats/codec.hpp"
#include "tact/nats/detail/node_abi.hpp"
#include "tact/nats/detail/remote.hpp"
#include "tact/nats/errors.hpp"
#include "tact/runtime.hpp"

namespace tact::nats {

struct NodeOptions {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  std::string name = "tact";        // this node's name (the NATS connection's name)
  std::string cluster = "default";  // subjects: tact.<cluster>.actor.<name>.<type>
  // The deadline of a remote ask sent without one (a remote ask always has one).
  std::chrono::milliseconds ask_timeout{5000};
  // Write every message at once (no wait for nats.c's flusher thread, which
  // holds a lone message up to 1 ms). Tells are batched anyway (below).
  bool send_asap = true;
  // Tells to one actor waiting to be written go as one NATS message (a batch,
  // at most this many bytes; the node's flusher thread writes it at once, no
  // timer). A sender whose batch is full writes it itself: at most this much
  // waits per target. 0: every tell is its own NATS message.
  std::size_t tell_batch_bytes = 32 * 1024;
  // How fast a dead connection is noticed, and how reconnecting goes.
  std::chrono::milliseconds ping_interval{1000};
  int max_pings_out = 2;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_wait{100};
  int max_reconnects = -1;  // -1: forever
  bool randomize_servers = true;  // false: try `servers` in the order given
  // Remote watch: every node publishes a heartbeat each heartbeat_interval; a
  // watched actor's node silent for heartbeat_timeout is lost (Down), noticed
  // within heartbeat_timeout + heartbeat_interval (1.75 s by default).
  std::chrono::milliseconds heartbeat_interval{250};
  std::chrono::milliseconds heartbeat_timeout{1500};
  // The nats.c thread that delivers an exposed actor's messages runs the actor
  // too (a tact::Driver on it), and publishes an ask's answer: no worker is
  // woken per message. Off: the runtime's workers run it, as for local sends.
  bool run_on_delivery_thread = true;
  // Per exposed name: NATS messages (a batch of tells is one) and bytes NATS
  // may hold for its delivery thread before it drops (counted in
  // NodeStats::slow_consumer_drops).
  int pending_messages_limit = 1 << 20;
  int pending_bytes_limit = 64 << 20;
};

struct NodeStats {
  std::uint64_t tells_sent = 0;
  std::uint64_t asks_sent = 0;
  std::uint64_t replies_received = 0;  // answers (values and errors) that found their ask
  std::uint64_t late_replies = 0;      // answers to asks already resolved (timed out)
  std::uint64_t asks_timed_out = 0;
  std::uint64_t asks_no_responders = 0;
  std::uint64_t asks_node_down = 0;
  std::uint64_t messages_received = 0;  // tells and asks to exposed actors
  std::uint64_t replies_sent = 0;
  std::uint64_t bad_messages = 0;     // undecodable, or of an unknown type
  std::uint64_t encode_errors = 0;
  std::uint64_t publish_errors = 0;
  std::uint64_t slow_consumer_drops = 0;   // NATS messages dropped for a slow subscription (a batch: one)
  std::uint64_t slow_consumer_events = 0;  // times NATS reported one (a burst of drops: one event)
  std::uint64_t disconnects = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t watches = 0;      // remote actors watched (ctx.watch of a remote ref)
  std::uint64_t downs = 0;        // Down delivered for them: the actor stopped
  std::uint64_t nodes_lost = 0;   // Down delivered for them: heartbeats stopped
};

// How expose() subscribes.
struct ExposeOptions {
  // Join the name's queue group: with the name exposed on several nodes, each
  // message goes to one of them (load balancing). Off: every node gets it.
  bool queue_group = true;
};

class Node {
 public:
  // Connects (throws tact::Error when no server answers within connect_timeout,
  // or when the runtime's shutdown has begun).
  Node(Runtime& runtime, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Withdraws every exposed actor (their subscriptions end, and no callback runs
  // after this returns), resolves every outstanding remote ask of this node with
  // tact::NodeDown, and closes the connection. Later tells through refs from
  // this node are dead letters; later asks resolve NodeDown. Idempotent.
  // runtime.shutdown() calls it before it drains the actors.
  void close();

  // Makes `ref` reachable as `name` (false: this node exposes the name already,
  // or is closed). Any thread.
  template <class A>
  bool expose(std::string_view name, const ActorRef<A>& ref, ExposeOptions how = {}) {
    using Remote = detail::RemoteOf<A>;
    static_assert(Remote::kValid);
    return detail::node_expose(impl_.get(), name,
                               std::make_unique<typename Remote::Inbound>(impl_.get(), ref),
                               how.queue_group);
  }
  // Stops answering for `name` here (false: not exposed here).
  bool withdraw(std::string_view name);

  // A ref to the actor exposed as `name` anywhere in the cluster. Nothing is
  // checked now: an ask to a name nobody exposes resolves tact::ActorStopped at
  // once; a tell to it is lost (at most once). Any thread.
  template <class A>
  ActorRef<A> lookup(std::string_view name) {
    using Remote = detail::RemoteOf<A>;
    static_assert(Remote::kValid);
    return Remote::make_proxy(impl_.get(), detail::node_actor_subject(impl_.get(), name));
  }

  NodeStats stats() const;
  const std::string& name() const noexcept;

 private:
  std::shared_ptr<detail::NodeImpl> impl_;
  ShutdownHook closes_at_shutdown_;  // after impl_: removed (and waited for) first
};

}  // namespace tact::nats
