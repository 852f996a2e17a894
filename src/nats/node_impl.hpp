// A node's state (node.cpp has the protocol). Shared: the Node, every proxy made
// by lookup(), and every inbound ask's continuation hold it, so a ref that
// outlives its Node stays safe (its tells are dead letters, its asks NodeDown).
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tact/detail/atomic.hpp"
#include "tact/driver.hpp"
#include "tact/exit_reason.hpp"
#include "tact/nats/detail/node_abi.hpp"
#include "tact/nats/node.hpp"

namespace tact::nats::detail {

// Tells to one actor subject prefix, waiting to go as one NATS message.
// Batches leave in the order they were filled: whoever publishes one holds
// publish_mutex from taking it until nats.c has it.
struct Outbox {
  explicit Outbox(std::string p) : prefix(std::move(p)), prefix_hash(std::hash<std::string>{}(prefix)) {}
  const std::string prefix;  // tact.<cluster>.actor.<name>
  const std::size_t prefix_hash;  // which asks a lost node takes with it
  std::mutex publish_mutex;
  std::mutex mutex;       // batch, count
  std::string batch;      // entries (tell_batch.hpp)
  std::uint64_t count = 0;
  bool listed = false;    // in NodeImpl::flush_queue_ (flush_mutex_)
};

class NodeImpl : public std::enable_shared_from_this<NodeImpl> {
 public:
  NodeImpl(Runtime& runtime, NodeOptions options);
  ~NodeImpl();
  NodeImpl(const NodeImpl&) = delete;
  NodeImpl& operator=(const NodeImpl&) = delete;

  void connect();  // throws tact::Error
  void close() noexcept;

  tact::detail::RuntimeCore* runtime() const noexcept { return runtime_; }
  const NodeOptions& options() const noexcept { return options_; }
  const std::string& actor_prefix() const noexcept { return actor_prefix_; }

  Outbox* outbox(const std::string& prefix);  // made on first use (throws bad_alloc)
  // Batches the tell (outbox.cpp), or publishes it alone.
  bool tell(Outbox& box, const std::string& type, const char* data, std::size_t size) noexcept;
  void ask(Outbox& box, const std::string& type, const char* data, std::size_t size,
           std::chrono::steady_clock::time_point deadline, PendingReply reply) noexcept;
  void reply_value(const char* to, const char* data, std::size_t size) noexcept;
  void reply_error(const char* to, ErrorKind kind, std::string_view text) noexcept;
  bool expose(std::string_view name, std::unique_ptr<Exposure> exposure, bool queue);
  bool withdraw(std::string_view name);
  std::string ref_subject(tact::detail::CellBase* cell, std::unique_ptr<Exposure> exposure);
  void watch(tact::detail::CellBase* proxy, const std::string& subject) noexcept;
  // Publishes a watched actor's Down to the watching node (a relay's tie).
  void publish_down(const std::string& to, const std::string& subject, ExitReason reason,
                    std::string_view text) noexcept;
  void count_bad_message() noexcept { bad_messages_.fetch_add(1, tact::detail::relaxed); }
  void count_encode_error() noexcept { encode_errors_.fetch_add(1, tact::detail::relaxed); }
  NodeStats stats() const;

 private:
  // One subscription: an exposed name's, or the inbox's.
  struct Subscribed {
    NodeImpl* node = nullptr;
    natsSubscription* sub = nullptr;
    std::unique_ptr<Exposure> exposure;  // null for the inbox
    // NodeOptions::run_on_delivery_thread: the delivery thread runs the actors
    // its messages wake (made by its first message, destroyed by on_complete:
    // both on that thread).
    std::unique_ptr<Driver> driver;
    int since_run = 0;  // messages pushed since the driver last ran (delivery thread)
    bool done = false;  // on_complete ran (complete_mutex_)
  };
  struct Pending {
    PendingReply reply;
    std::multimap<std::chrono::steady_clock::time_point, std::uint64_t>::iterator at;
    std::size_t subject_hash;  // of the actor's subject prefix: which asks a lost node takes with it
  };

  // Publishes what the outbox holds; flush_locked: the caller holds publish_mutex.
  void flush(Outbox& box) noexcept;
  void flush_locked(Outbox& box) noexcept;
  bool publish_tell(const std::string& prefix, std::string_view type, const char* data, std::size_t size) noexcept;
  // The flusher thread: writes each outbox a sender started, at once.
  void flush_loop() noexcept;
  void stop_flusher_and_flush() noexcept;

  // Unsubscribes and waits until no callback of it runs any more.
  void end_subscription(Subscribed& subscribed) noexcept;
  // Removes an outstanding ask: the caller resolves it (exactly once).
  std::optional<PendingReply> take(std::uint64_t id) noexcept;
  // The reaper thread: resolves asks whose deadline passed with Timeout, and
  // publishes the heartbeat (heartbeat_tick) every heartbeat_interval.
  void reap();
  // Heartbeat: publish ours (with the names this node exposes); a node silent
  // for heartbeat_timeout is lost (lose_peer).
  void heartbeat_tick() noexcept;
  // A node went silent: Down for the watched actors it hosted, NodeDown for the
  // outstanding asks to the names only it exposed (as its heartbeats said).
  void lose_peer(const std::string& nuid, const std::vector<std::string>& names) noexcept;
  // A remote watch ends: the proxy's watchers get Down (once per proxy).
  void stop_watch(tact::detail::CellBase* proxy, ExitReason reason, std::exception_ptr error) noexcept;
  // Host side: a `_watch` request for an exposed actor.
  void answer_watch(Subscribed& subscribed, const char* data, std::size_t size, const char* reply) noexcept;
  static void on_watch_reply(void* request, const ReplyResult& result) noexcept;
  static void on_heartbeat(natsConnection* conn, natsSubscription* sub, natsMsg* msg, void* closure);
  static void on_down(natsConnection* conn, natsSubscription* sub, natsMsg* msg, void* closure);

  static void on_message(natsConnection* conn, natsSubscription* sub, natsMsg* msg, void* closure);
  // A batch of tells (tell_batch.hpp), delivered in order; then, as after any
  // message, the delivery thread's Driver runs what it woke (run_delivered).
  void deliver_batch(Subscribed& subscribed, const char* data, std::size_t size, const char* reply) noexcept;
  void run_delivered(Subscribed& subscribed) noexcept;
  static void on_reply(natsConnection* conn, natsSubscription* sub, natsMsg* msg, void* closure);
  static void on_complete(void* closure);
  static void on_error(natsConnection* conn, natsSubscription* sub, natsStatus err, void* closure);
  static void on_disconnected(natsConnection* conn, void* closure);
  static void on_reconnected(natsConnection* conn, void* closure);
  static void on_closed(natsConnection* conn, void* closure);

  Runtime& rt_;
  tact::detail::RuntimeCore* const runtime_;
  const NodeOptions options_;
  std::string actor_prefix_;  // tact.<cluster>.actor.
  std::string inbox_prefix_;  // _INBOX.<nuid>.
  natsConnection* conn_ = nullptr;
  std::mutex close_mutex_;  // held through close()
  tact::detail::Atomic<bool> closed_{false};

  // Outstanding asks, and their deadlines (mutex_).
  std::mutex mutex_;
  std::condition_variable cv_;
  bool reaper_stop_ = false;
  // Until when the reaper sleeps (max: no deadline; min: it is awake).
  std::chrono::steady_clock::time_point reaper_wakes_at_ = std::chrono::steady_clock::time_point::min();
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::multimap<std::chrono::steady_clock::time_point, std::uint64_t> deadlines_;
  std::thread reaper_;

  // Batched tells (outbox.cpp): an outbox per target prefix, for the node's life.
  std::size_t batch_limit_ = 0;  // tell_batch_bytes, at most the server's max payload
  std::mutex outboxes_mutex_;
  std::unordered_map<std::string, std::unique_ptr<Outbox>> outboxes_;
  std::mutex flush_mutex_;
  std::condition_variable flush_cv_;
  std::vector<Outbox*> flush_queue_;
  bool flusher_stop_ = false;
  std::thread flusher_;

  // Exposed names (expose_mutex_), and the subscriptions' completion.
  mutable std::mutex expose_mutex_;
  std::map<std::string, std::unique_ptr<Subscribed>, std::less<>> exposed_;
  Subscribed inbox_;
  // Remote watches (watch_mutex_): each watched proxy (one reference held), the
  // node hosting its actor (empty until the watch is answered); and every other
  // node heard of: when it was last heard, and the names it exposes.
  struct Watch {
    tact::detail::CellBase* proxy;
    std::string subject;
    std::string host;
  };
  std::mutex watch_mutex_;
  std::vector<Watch> watches_;
  struct Peer {
    std::chrono::steady_clock::time_point last_seen;
    std::string heartbeat;           // its last heartbeat's body, as heard
    std::vector<std::string> names;  // parsed from it
  };
  std::unordered_map<std::string, Peer> peers_;  // by nuid
  std::string node_id_;  // this node's nuid: its heartbeat and Down subjects
  Subscribed heartbeats_;
  Subscribed downs_;
  // Local actors sent inside messages, and the names they were exposed under.
  std::mutex refs_mutex_;
  std::unordered_map<tact::detail::CellBase*, std::string> ref_names_;
  std::mutex complete_mutex_;
  std::condition_variable complete_cv_;
  bool connection_closed_ = false;  // on_closed ran (complete_mutex_)

  tact::detail::Atomic<std::uint64_t> tells_sent_{0}, asks_sent_{0}, replies_received_{0},
      late_replies_{0}, asks_timed_out_{0}, asks_no_responders_{0}, asks_node_down_{0},
      messages_received_{0}, replies_sent_{0}, bad_messages_{0}, encode_errors_{0},
      publish_errors_{0}, slow_consumer_events_{0}, dropped_by_ended_{0}, disconnects_{0}, reconnects_{0}, watches_count_{0},
      downs_count_{0}, nodes_lost_{0};
};

}  // namespace tact::nats::detail
