// tact::nats::Node: one NATS connection per node, and on it
//   - one subscription per exposed name, tact.<cluster>.actor.<name>.* (a queue
//     group by default): its nats.c delivery thread decodes each message and puts
//     it straight into the actor's mailbox (tell), or asks the actor and answers
//     the request's reply subject from the reply's continuation (ask);
//   - one inbox subscription, _INBOX.<nuid>.*, for the answers to this node's
//     asks: each ask gets <inbox>.<id>, and its entry in `pending_`, removed by
//     whoever resolves it first: the answer, "no responders", the deadline (the
//     reaper thread), a failed publish, or close(). Removal under `mutex_` is what
//     makes every ask resolve exactly once.
// The wire format is in docs/remote.md.
#include "nats/node_impl.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "nats/tell_batch.hpp"
#include "nats/wire.hpp"
#include "tact/detail/proxy.hpp"
#include "tact/detail/ties.hpp"
#include "tact/nats/node.hpp"

namespace tact::nats::detail {
namespace {

// A delivery thread running its actors (run_on_delivery_thread) runs them at
// least once per this many messages while more are waiting.
constexpr int kRunEvery = 64;

void bump(tact::detail::Atomic<std::uint64_t>& counter) noexcept {
  // relaxed: a statistic; nothing is published through it.
  counter.fetch_add(1, tact::detail::relaxed);
}

std::uint64_t read(const tact::detail::Atomic<std::uint64_t>& counter) noexcept {
  return counter.load(tact::detail::relaxed);
}

void complete(const PendingReply& reply, ErrorKind kind, std::string_view text) noexcept {
  reply.complete(reply.slot, ReplyResult{kind, text.data(), text.size()});
}

[[noreturn]] void fail(const char* what, natsStatus status) {
  throw Error(std::string("tact::nats: ") + what + ": " + natsStatus_GetText(status));
}

}  // namespace

// ---- connecting and closing ------------------------------------------------------------

NodeImpl::NodeImpl(Runtime& runtime, NodeOptions options)
    : rt_(runtime), runtime_(tact::detail::RuntimeAccess::core(runtime)), options_(std::move(options)) {
  actor_prefix_ = "tact." + options_.cluster + ".actor.";
}

void NodeImpl::connect() {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) fail("options", s);
  std::vector<const char*> servers;
  for (const std::string& url : options_.servers) servers.push_back(url.c_str());
  s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, options_.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, options_.send_asap);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, options_.connect_timeout.count());
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, options_.ping_interval.count());
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, options_.max_pings_out);
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(opts, !options_.randomize_servers);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, options_.max_reconnects);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, options_.reconnect_wait.count());
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, &NodeImpl::on_error, this);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, &NodeImpl::on_disconnected, this);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, &NodeImpl::on_reconnected, this);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &NodeImpl::on_closed, this);
  if (s == NATS_OK) s = natsConnection_Connect(&conn_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) fail("cannot connect", s);

  natsInbox* inbox = nullptr;
  s = natsInbox_Create(&inbox);
  if (s != NATS_OK) fail("inbox", s);
  inbox_prefix_ = inbox;
  inbox_prefix_ += '.';
  natsInbox_Destroy(inbox);
  node_id_ = inbox_prefix_.substr(7, inbox_prefix_.size() - 8);  // _INBOX.<nuid>.
  const std::string subject = inbox_prefix_ + ">";  // <id>.td<ms>
  inbox_.node = this;
  s = natsConnection_Subscribe(&inbox_.sub, conn_, subject.c_str(), &NodeImpl::on_reply, this);
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(inbox_.sub, &NodeImpl::on_complete, &inbox_);
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(inbox_.sub, -1, -1);
  if (s == NATS_OK) s = natsConnection_FlushTimeout(conn_, options_.connect_timeout.count());
  if (s != NATS_OK) fail("inbox subscription", s);
  // Remote watch: every node's heartbeat, and the Downs sent to this node.
  heartbeats_.node = this;
  downs_.node = this;
  const std::string hb = "tact." + options_.cluster + ".hb.*";
  const std::string down = "tact." + options_.cluster + ".down." + node_id_;
  s = natsConnection_Subscribe(&heartbeats_.sub, conn_, hb.c_str(), &NodeImpl::on_heartbeat, this);
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(heartbeats_.sub, &NodeImpl::on_complete, &heartbeats_);
  if (s == NATS_OK) s = natsConnection_Subscribe(&downs_.sub, conn_, down.c_str(), &NodeImpl::on_down, this);
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(downs_.sub, &NodeImpl::on_complete, &downs_);
  if (s == NATS_OK) s = natsConnection_FlushTimeout(conn_, options_.connect_timeout.count());
  if (s != NATS_OK) fail("heartbeat subscriptions", s);
  reaper_ = std::thread([this] { reap(); });
  const std::int64_t max_payload = natsConnection_GetMaxPayload(conn_);
  batch_limit_ = options_.tell_batch_bytes;
  if (max_payload > 0 && batch_limit_ > static_cast<std::size_t>(max_payload)) {
    batch_limit_ = static_cast<std::size_t>(max_payload);
  }
  if (batch_limit_ > 0) flusher_ = std::thread([this] { flush_loop(); });
}

NodeImpl::~NodeImpl() {
  close();
  if (conn_ != nullptr) natsConnection_Destroy(conn_);
}

void NodeImpl::close() noexcept {
  // A second caller (Node::close() beside the runtime's shutdown hook) returns
  // once the node is closed, not while the first is still closing it.
  std::lock_guard<std::mutex> closing(close_mutex_);
  // acq_rel: the release pairs with the acquire loads in tell(), expose() and
  // heartbeat_tick(); the acquire orders this close after an earlier one.
  if (closed_.exchange(true, tact::detail::acq_rel)) return;
  // 0. Batched tells go out (tell() returned true for them); the flusher ends.
  stop_flusher_and_flush();
  // 1. Withdraw every exposed name; no delivery callback runs after this.
  std::map<std::string, std::unique_ptr<Subscribed>, std::less<>> exposed;
  {
    std::lock_guard<std::mutex> lock(expose_mutex_);
    exposed.swap(exposed_);
  }
  for (auto& [name, subscribed] : exposed) end_subscription(*subscribed);
  // Once the PONG is back the server has the UNSUBs: a request from elsewhere
  // finds no responders rather than a subscription about to go.
  if (!exposed.empty()) (void)natsConnection_FlushTimeout(conn_, options_.connect_timeout.count());
  // 2. Every outstanding ask resolves NodeDown; the reaper ends.
  std::vector<PendingReply> outstanding;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, pending] : pending_) outstanding.push_back(pending.reply);
    pending_.clear();
    deadlines_.clear();
    reaper_stop_ = true;
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  for (const PendingReply& reply : outstanding) {
    bump(asks_node_down_);
    complete(reply, ErrorKind::kNodeDown, "the node closed");
  }
  // Watches still open: their actors can no longer be heard of.
  std::vector<Watch> watches;
  {
    std::lock_guard<std::mutex> lock(watch_mutex_);
    watches.swap(watches_);
  }
  for (const Watch& watch : watches) {
    tact::detail::proxy_stop(watch.proxy, ExitReason::failed, std::make_exception_ptr(NodeDown()));
    tact::detail::cell_release(watch.proxy);
  }
  // 3. The inbox and heartbeats, then the connection (what is buffered is written first).
  if (heartbeats_.sub != nullptr) end_subscription(heartbeats_);
  if (downs_.sub != nullptr) end_subscription(downs_);
  if (inbox_.sub != nullptr) end_subscription(inbox_);
  if (conn_ != nullptr) {
    (void)natsConnection_FlushTimeout(conn_, 500);
    natsConnection_Close(conn_);
    // nats.c runs on_closed on its own thread: this node must outlive it.
    std::unique_lock<std::mutex> lock(complete_mutex_);
    (void)complete_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return connection_closed_; });
  }
}

void NodeImpl::end_subscription(Subscribed& subscribed) noexcept {
  // Its drops stay counted once it is gone.
  std::int64_t dropped = 0;
  if (natsSubscription_GetDropped(subscribed.sub, &dropped) == NATS_OK && dropped > 0) {
    // relaxed: a statistic.
    dropped_by_ended_.fetch_add(static_cast<std::uint64_t>(dropped), tact::detail::relaxed);
  }
  if (natsSubscription_Unsubscribe(subscribed.sub) == NATS_OK) {
    // on_complete runs once the last callback has returned.
    std::unique_lock<std::mutex> lock(complete_mutex_);
    (void)complete_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return subscribed.done; });
  }
  natsSubscription_Destroy(subscribed.sub);
  subscribed.sub = nullptr;
}

void NodeImpl::on_complete(void* closure) {
  auto* subscribed = static_cast<Subscribed*>(closure);
  NodeImpl* node = subscribed->node;
  subscribed->driver.reset();  // on the delivery thread, as its Driver must be
  // Notified under the lock: the waiter may free the subscription (and, for the
  // last one, the node) as soon as it sees `done`, so this thread must be out
  // of the condition variable by then.
  std::lock_guard<std::mutex> lock(node->complete_mutex_);
  subscribed->done = true;
  node->complete_cv_.notify_all();
}

// ---- connection events (nats.c's threads) ------------------------------------------------

void NodeImpl::on_error(natsConnection* /*conn*/, natsSubscription* /*sub*/, natsStatus err, void* closure) {
  auto* node = static_cast<NodeImpl*>(closure);
  if (err == NATS_SLOW_CONSUMER) bump(node->slow_consumer_events_);
}

void NodeImpl::on_disconnected(natsConnection* /*conn*/, void* closure) {
  bump(static_cast<NodeImpl*>(closure)->disconnects_);
}

void NodeImpl::on_reconnected(natsConnection* /*conn*/, void* closure) {
  bump(static_cast<NodeImpl*>(closure)->reconnects_);
}

void NodeImpl::on_closed(natsConnection* /*conn*/, void* closure) {
  // The connection is gone for good (reconnects ran out, or close()): what is
  // still outstanding can no longer be answered.
  auto* node = static_cast<NodeImpl*>(closure);
  std::vector<PendingReply> outstanding;
  {
    std::lock_guard<std::mutex> lock(node->mutex_);
    for (auto& [id, pending] : node->pending_) outstanding.push_back(pending.reply);
    node->pending_.clear();
    node->deadlines_.clear();
  }
  for (const PendingReply& reply : outstanding) {
    bump(node->asks_node_down_);
    complete(reply, ErrorKind::kNodeDown, "the connection closed");
  }
  // The last this callback touches of the node (notified under the lock, as in
  // on_complete: close() may let the node go as soon as it sees the flag).
  std::lock_guard<std::mutex> lock(node->complete_mutex_);
  node->connection_closed_ = true;
  node->complete_cv_.notify_all();
}

// ---- outgoing ------------------------------------------------------------------------------

void NodeImpl::ask(Outbox& box, const std::string& type, const char* data,
                   std::size_t size, std::chrono::steady_clock::time_point deadline,
                   PendingReply reply) noexcept {
  const std::string& prefix = box.prefix;
  const std::size_t subject_hash = box.prefix_hash;
  std::uint64_t id = 0;
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closed_.load(tact::detail::relaxed)) {
      id = next_id_++;
      auto at = deadlines_.emplace(deadline, id);
      try {
        pending_.emplace(id, Pending{reply, at, subject_hash});
      } catch (...) {
        deadlines_.erase(at);
        throw;
      }
      // The reaper is woken only for a deadline before the one it sleeps until:
      // with one deadline for all asks, that is almost never (a wake per ask
      // would be one more thread to run per ask).
      if (deadline < reaper_wakes_at_) cv_.notify_one();
    }
  } catch (...) {
    complete(reply, ErrorKind::kBadMessage, "out of memory");
    return;
  }
  if (id == 0) {
    bump(asks_node_down_);
    complete(reply, ErrorKind::kNodeDown, "the node is closed");
    return;
  }
  // After the tells batched for the same actor: a sender's order holds.
  flush(box);
  // The deadline travels with the ask, so that the replier drops what comes too
  // late: the reply subject's last token, <inbox>.<id>.td<ms>, on the system clock
  // (it crosses processes). Not a header: a header needs a natsMsg, whose
  // destruction wakes nats.c's collector thread once more per ask.
  const auto wall = std::chrono::system_clock::now() +
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - std::chrono::steady_clock::now());
  natsStatus s = NATS_OK;
  try {
    thread_local std::string reply_to;
    reply_to.assign(inbox_prefix_);
    reply_to += std::to_string(id);
    append_deadline_token(reply_to, wall);
    s = natsConnection_PublishRequest(conn_, subject_of(prefix, type), reply_to.c_str(), data, static_cast<int>(size));
  } catch (...) {
    s = NATS_NO_MEMORY;
  }
  if (s != NATS_OK) {
    bump(publish_errors_);
    if (std::optional<PendingReply> taken = take(id)) {
      const bool gone = s == NATS_CONNECTION_CLOSED || closed_.load(tact::detail::relaxed);
      if (gone) bump(asks_node_down_);
      complete(*taken, gone ? ErrorKind::kNodeDown : ErrorKind::kBadMessage, natsStatus_GetText(s));
    }
    return;
  }
  bump(asks_sent_);
}

std::optional<PendingReply> NodeImpl::take(std::uint64_t id) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  PendingReply reply = it->second.reply;
  deadlines_.erase(it->second.at);
  pending_.erase(it);
  return reply;
}

void NodeImpl::reap() {
  std::unique_lock<std::mutex> lock(mutex_);
  std::vector<PendingReply> expired;
  auto next_beat = std::chrono::steady_clock::now();
  while (!reaper_stop_) {
    auto now = std::chrono::steady_clock::now();
    if (now >= next_beat) {
      lock.unlock();
      heartbeat_tick();
      lock.lock();
      next_beat = now + options_.heartbeat_interval;
      continue;
    }
    auto wake = next_beat;
    if (!deadlines_.empty() && deadlines_.begin()->first < wake) wake = deadlines_.begin()->first;
    if (now < wake) {
      reaper_wakes_at_ = wake;
      cv_.wait_until(lock, wake);
      reaper_wakes_at_ = std::chrono::steady_clock::time_point::min();  // awake: looks anyway
      continue;
    }
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto it = pending_.find(deadlines_.begin()->second);
      expired.push_back(it->second.reply);
      pending_.erase(it);
      deadlines_.erase(deadlines_.begin());
    }
    lock.unlock();
    for (const PendingReply& reply : expired) {
      bump(asks_timed_out_);
      complete(reply, ErrorKind::kTimeout, "deadline");
    }
    expired.clear();
    lock.lock();
  }
}

// ---- remote watch ----------------------------------------------------------------------------
//
// Watcher side: the first ctx.watch of a proxy sends a `_watch` request to the
// actor's subject (tact.<cluster>.actor.<name>._watch, body "<our nuid> <subject>").
// The hosting node answers with its nuid and ties a relay to the actor; when the
// actor stops, the relay publishes tact.<cluster>.down.<our nuid> (body
// "<ExitReason as a digit>\n<subject>\n<error text>"). Every node publishes
// tact.<cluster>.hb.<nuid> each heartbeat_interval; a host silent for
// heartbeat_timeout is lost. Either way the proxy is stopped (proxy_stop): its
// watchers get Down. No responders to `_watch`: Down at once (normal).

namespace {

struct WatchRequest {
  NodeImpl* node;
  tact::detail::CellBase* proxy;
};

// A relay: the peer the hosting node ties to a watched actor. A proxy cell
// (never scheduled) whose object knows where to send the Down.
struct Relay final : tact::detail::ProxyObject {
  Relay(std::shared_ptr<NodeImpl> n, std::string watcher, std::string s)
      : ProxyObject(&refuse), node(std::move(n)), to(std::move(watcher)), subject(std::move(s)) {}
  static bool refuse(ProxyObject*, tact::detail::CellBase* cell, tact::detail::Envelope* envelope) noexcept {
    tact::detail::proxy_reject(cell, envelope);
    return false;
  }
  static void notify(tact::detail::CellBase* peer, const tact::detail::StopInfo& info) noexcept {
    auto* relay = static_cast<Relay*>(tact::detail::cell_object(peer));
    std::string text;
    if (info.error) {
      try {
        std::rethrow_exception(info.error);
      } catch (const std::exception& e) {
        text = e.what();
      } catch (...) {
        text = "unknown exception";
      }
    }
    relay->node->publish_down(relay->to, relay->subject, info.reason, text);
  }
  static void destroy(void* object) noexcept { static_cast<Relay*>(object)->~Relay(); }
  std::shared_ptr<NodeImpl> node;
  std::string to;       // the watching node's nuid
  std::string subject;  // the watched actor's subject
};
constexpr tact::detail::ActorVTable kRelayVTable{&Relay::destroy, nullptr, nullptr, sizeof(Relay),
                                                 alignof(Relay), 0, "tact::nats::Relay"};

}  // namespace

void NodeImpl::watch(tact::detail::CellBase* proxy, const std::string& subject) noexcept {
  auto* request = new (std::nothrow) WatchRequest{this, proxy};
  if (request == nullptr) return;
  Outbox* box = nullptr;  // the watch request goes after the tells batched for the actor
  try {
    box = outbox(subject);
    std::lock_guard<std::mutex> lock(watch_mutex_);
    for (const Watch& w : watches_) {
      if (w.proxy == proxy) {
        delete request;
        return;  // watched already: one remote watch per proxy
      }
    }
    watches_.push_back(Watch{proxy, subject, std::string()});
    tact::detail::cell_retain(proxy);  // released by stop_watch
  } catch (...) {
    delete request;
    return;
  }
  bump(watches_count_);
  const std::string body = node_id_ + " " + subject;
  const std::string type = "_watch";
  ask(*box, type, body.data(), body.size(),
      std::chrono::steady_clock::now() + options_.ask_timeout,
      PendingReply{request, &NodeImpl::on_watch_reply});
}

void NodeImpl::on_watch_reply(void* erased, const ReplyResult& result) noexcept {
  auto* request = static_cast<WatchRequest*>(erased);
  NodeImpl* node = request->node;
  tact::detail::CellBase* proxy = request->proxy;
  delete request;
  if (result.kind == ErrorKind::kNone) {
    std::lock_guard<std::mutex> lock(node->watch_mutex_);
    for (Watch& w : node->watches_) {
      if (w.proxy == proxy) {
        w.host.assign(result.data, result.size);
        node->peers_.try_emplace(w.host, Peer{std::chrono::steady_clock::now(), {}, {}});
      }
    }
    return;
  }
  if (result.kind == ErrorKind::kStopped) {
    node->stop_watch(proxy, ExitReason::normal, nullptr);  // nobody has the name
  } else {
    node->stop_watch(proxy, ExitReason::failed, std::make_exception_ptr(NodeDown()));
  }
}

void NodeImpl::stop_watch(tact::detail::CellBase* proxy, ExitReason reason, std::exception_ptr error) noexcept {
  {
    std::lock_guard<std::mutex> lock(watch_mutex_);
    auto it = std::find_if(watches_.begin(), watches_.end(), [&](const Watch& w) { return w.proxy == proxy; });
    if (it == watches_.end()) return;  // stopped already
    watches_.erase(it);
  }
  tact::detail::proxy_stop(proxy, reason, std::move(error));
  tact::detail::cell_release(proxy);
}

void NodeImpl::heartbeat_tick() noexcept {
  if (closed_.load(tact::detail::acquire)) return;
  try {
    // The body: the names this node exposes, one a line (the askers' table of
    // who hosts what, for when this node is lost).
    std::string body;
    {
      std::lock_guard<std::mutex> lock(expose_mutex_);
      for (const auto& [name, subscribed] : exposed_) {
        if (!body.empty()) body += '\n';
        body += name;
      }
    }
    const std::string subject = "tact." + options_.cluster + ".hb." + node_id_;
    (void)natsConnection_Publish(conn_, subject.c_str(), body.data(), static_cast<int>(body.size()));
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, std::vector<std::string>>> lost;
    {
      std::lock_guard<std::mutex> lock(watch_mutex_);
      for (auto it = peers_.begin(); it != peers_.end();) {
        if (now - it->second.last_seen > options_.heartbeat_timeout) {
          lost.emplace_back(it->first, std::move(it->second.names));
          it = peers_.erase(it);  // heard again: a new peer
        } else {
          ++it;
        }
      }
    }
    for (const auto& [nuid, names] : lost) lose_peer(nuid, names);
  } catch (...) {
    // Out of memory: the next beat tries again.
  }
}

void NodeImpl::lose_peer(const std::string& nuid, const std::vector<std::string>& names) noexcept {
  // 1. Its watched actors: Down (failed, NodeDown).
  std::vector<tact::detail::CellBase*> downs;
  std::vector<std::size_t> orphaned;  // hashes of the subjects nobody else exposes
  try {
    std::vector<std::string> own;  // this node may expose the name too
    {
      std::lock_guard<std::mutex> lock(expose_mutex_);
      for (const auto& [name, subscribed] : exposed_) own.push_back(name);
    }
    std::lock_guard<std::mutex> lock(watch_mutex_);
    for (const Watch& w : watches_) {
      if (w.host == nuid) downs.push_back(w.proxy);
    }
    for (const std::string& name : names) {
      const bool elsewhere =
          std::find(own.begin(), own.end(), name) != own.end() ||
          std::any_of(peers_.begin(), peers_.end(), [&](const auto& peer) {
            return std::find(peer.second.names.begin(), peer.second.names.end(), name) != peer.second.names.end();
          });
      if (!elsewhere) orphaned.push_back(std::hash<std::string>{}(actor_prefix_ + name));
    }
  } catch (...) {
  }
  for (tact::detail::CellBase* proxy : downs) {
    bump(nodes_lost_);
    stop_watch(proxy, ExitReason::failed,
               std::make_exception_ptr(NodeDown("tact: the watched actor's node stopped answering heartbeats")));
  }
  // 2. Outstanding asks to the names only it exposed: their answers can never
  // come. (A name other nodes expose too may be answered by them: those asks
  // keep their deadline.)
  if (orphaned.empty()) return;
  std::vector<PendingReply> dead;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (std::find(orphaned.begin(), orphaned.end(), it->second.subject_hash) != orphaned.end()) {
        try {
          dead.push_back(it->second.reply);
        } catch (...) {
          ++it;
          continue;  // out of memory: this one keeps its deadline
        }
        deadlines_.erase(it->second.at);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const PendingReply& reply : dead) {
    bump(asks_node_down_);
    complete(reply, ErrorKind::kNodeDown, "the node hosting the actor was lost");
  }
}

void NodeImpl::on_heartbeat(natsConnection* /*conn*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
  auto* node = static_cast<NodeImpl*>(closure);
  const char* subject = natsMsg_GetSubject(msg);
  const char* dot = std::strrchr(subject, '.');
  if (dot != nullptr && node->node_id_ != dot + 1) {
    const std::string_view body(natsMsg_GetData(msg) != nullptr ? natsMsg_GetData(msg) : "",
                                static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    try {
      std::lock_guard<std::mutex> lock(node->watch_mutex_);
      Peer& peer = node->peers_[std::string(dot + 1)];
      peer.last_seen = std::chrono::steady_clock::now();
      if (peer.heartbeat != body) {  // parsed only when its names changed
        peer.heartbeat.assign(body);
        peer.names = parse_heartbeat(body);
      }
    } catch (...) {
      // Out of memory: heard at the next beat.
    }
  }
  natsMsg_Destroy(msg);
}

void NodeImpl::on_down(natsConnection* /*conn*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
  auto* node = static_cast<NodeImpl*>(closure);
  const std::string_view body(natsMsg_GetData(msg) != nullptr ? natsMsg_GetData(msg) : "",
                              static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  if (const std::optional<DownBody> down = parse_down(body)) {
    std::vector<tact::detail::CellBase*> stopped;
    {
      std::lock_guard<std::mutex> lock(node->watch_mutex_);
      for (const Watch& w : node->watches_) {
        if (w.subject == down->subject) stopped.push_back(w.proxy);
      }
    }
    for (tact::detail::CellBase* proxy : stopped) {
      bump(node->downs_count_);
      node->stop_watch(proxy, down->reason,
                       down->reason == ExitReason::failed
                           ? std::make_exception_ptr(RemoteError(std::string(down->text)))
                           : nullptr);
    }
  } else {
    bump(node->bad_messages_);
  }
  natsMsg_Destroy(msg);
}

void NodeImpl::answer_watch(Subscribed& subscribed, const char* data, std::size_t size, const char* reply) noexcept {
  const std::optional<WatchRequestBody> request = parse_watch_request(std::string_view(data, size));
  if (reply == nullptr || !request) {
    bump(bad_messages_);
    if (reply != nullptr) reply_error(reply, ErrorKind::kBadMessage, "a _watch body is '<nuid> <subject>'");
    return;
  }
  try {
    tact::detail::CellBase* relay = tact::detail::cell_allocate(runtime_, &kRelayVTable);
    try {
      ::new (tact::detail::cell_object(relay))
          Relay(shared_from_this(), std::string(request->watcher), std::string(request->subject));
    } catch (...) {
      tact::detail::cell_abandon(relay);
      throw;
    }
    relay = tact::detail::proxy_activate(relay);
    // If the actor has stopped already, the Down goes out now, from here.
    (void)tact::detail::tie_add(subscribed.exposure->cell(), relay, tact::detail::TieKind::kWatch, &Relay::notify);
    tact::detail::cell_release(relay);  // the tie holds it
    reply_value(reply, node_id_.data(), node_id_.size());
  } catch (const std::exception& e) {
    reply_error(reply, ErrorKind::kBadMessage, e.what());
  }
}

void NodeImpl::publish_down(const std::string& to, const std::string& subject, ExitReason reason,
                            std::string_view text) noexcept {
  try {
    const std::string body = format_down(reason, subject, text);
    const std::string down = "tact." + options_.cluster + ".down." + to;
    (void)natsConnection_Publish(conn_, down.c_str(), body.data(), static_cast<int>(body.size()));
  } catch (...) {
  }
}

// ---- incoming ------------------------------------------------------------------------------

void NodeImpl::on_reply(natsConnection* /*conn*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
  auto* node = static_cast<NodeImpl*>(closure);
  const std::optional<std::uint64_t> id = parse_reply_id(natsMsg_GetSubject(msg), node->inbox_prefix_);
  std::optional<PendingReply> reply = id ? node->take(*id) : std::nullopt;
  if (!reply) {
    bump(node->late_replies_);
    natsMsg_Destroy(msg);
    return;
  }
  bump(node->replies_received_);
  if (natsMsg_IsNoResponders(msg)) {
    bump(node->asks_no_responders_);
    complete(*reply, ErrorKind::kStopped, "no responders");
  } else {
    ReplyResult result{ErrorKind::kNone, natsMsg_GetData(msg),
                       static_cast<std::size_t>(natsMsg_GetDataLength(msg))};
    const char* kind = nullptr;
    if (natsMsgHeader_Get(msg, kErrorHeader, &kind) == NATS_OK && kind != nullptr) {
      result.kind = error_kind_from(kind);
    }
    if (result.data == nullptr) result.data = "";
    CurrentNode current(node);  // refs inside the answer become this node's proxies
    reply->complete(reply->slot, result);
  }
  natsMsg_Destroy(msg);
}

void NodeImpl::on_message(natsConnection* /*conn*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
  auto* subscribed = static_cast<Subscribed*>(closure);
  NodeImpl* node = subscribed->node;
  const char* subject = natsMsg_GetSubject(msg);
  const char* dot = std::strrchr(subject, '.');
  const std::string_view type = dot != nullptr ? std::string_view(dot + 1) : std::string_view();
  const char* reply = natsMsg_GetReply(msg);
  if (reply != nullptr && *reply == '\0') reply = nullptr;
  const char* data = natsMsg_GetData(msg);
  if (type == kBatchType) {
    node->deliver_batch(*subscribed, data != nullptr ? data : "",
                        static_cast<std::size_t>(natsMsg_GetDataLength(msg)), reply);
    natsMsg_Destroy(msg);
    node->run_delivered(*subscribed);
    return;
  }
  bump(node->messages_received_);
  if (type == "_watch") {
    node->answer_watch(*subscribed, data != nullptr ? data : "",
                       static_cast<std::size_t>(natsMsg_GetDataLength(msg)), reply);
    natsMsg_Destroy(msg);
    return;
  }
  if (node->options_.run_on_delivery_thread && subscribed->driver == nullptr) {
    try {
      subscribed->driver = std::make_unique<Driver>(node->rt_);
    } catch (...) {
      // No Driver (shutdown began, or no memory): the workers run the actor.
    }
  }
  auto deadline = std::chrono::steady_clock::time_point::max();
  if (reply != nullptr) {
    // tact's asks carry it in the reply subject; other clients may use the header.
    std::optional<std::chrono::system_clock::time_point> at = deadline_of_reply(reply);
    const char* wall = nullptr;
    if (!at && natsMsgHeader_Get(msg, kDeadlineHeader, &wall) == NATS_OK && wall != nullptr) {
      at = parse_deadline(wall);
    }
    if (at) {
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(*at - std::chrono::system_clock::now());
    }
  }
  subscribed->exposure->deliver(type, data != nullptr ? data : "",
                                static_cast<std::size_t>(natsMsg_GetDataLength(msg)), reply, deadline);
  natsMsg_Destroy(msg);
  ++subscribed->since_run;
  node->run_delivered(*subscribed);
}

void NodeImpl::deliver_batch(Subscribed& subscribed, const char* data, std::size_t size,
                             const char* reply) noexcept {
  const std::string_view body(data, size);
  // Checked whole first: a bad batch is one bad message, none of it delivered.
  if (reply != nullptr || !valid_batch(body)) {
    bump(bad_messages_);
    if (reply != nullptr) reply_error(reply, ErrorKind::kBadMessage, "a batch holds tells only");
    return;
  }
  if (options_.run_on_delivery_thread && subscribed.driver == nullptr) {
    try {
      subscribed.driver = std::make_unique<Driver>(rt_);
    } catch (...) {
      // As in on_message: the workers run the actor.
    }
  }
  std::string_view rest = body;
  while (const std::optional<BatchEntry> entry = next_batch_entry(rest)) {
    bump(messages_received_);
    subscribed.exposure->deliver(entry->type, entry->data.data(), entry->data.size(), nullptr,
                                 std::chrono::steady_clock::time_point::max());
    // A bounded mailbox is not filled by one batch: its actor runs between.
    if (subscribed.driver != nullptr && ++subscribed.since_run >= kRunEvery) {
      subscribed.since_run = 0;
      (void)subscribed.driver->run_ready();
    }
  }
}

void NodeImpl::run_delivered(Subscribed& subscribed) noexcept {
  // The actor this message woke runs here, now, and an ask's answer is
  // published from here: no worker is woken for it.
  // While more messages wait, they are pushed first (at most kRunEvery), so
  // that a burst is handled in turns of many messages, not one turn each.
  if (subscribed.driver != nullptr) {
    int waiting = 0;
    if (subscribed.since_run >= kRunEvery ||
        natsSubscription_GetPending(subscribed.sub, &waiting, nullptr) != NATS_OK || waiting == 0) {
      subscribed.since_run = 0;
      (void)subscribed.driver->run_ready();
    }
  }
}

void NodeImpl::reply_value(const char* to, const char* data, std::size_t size) noexcept {
  const natsStatus s = natsConnection_Publish(conn_, to, data, static_cast<int>(size));
  bump(s == NATS_OK ? replies_sent_ : publish_errors_);
}

void NodeImpl::reply_error(const char* to, ErrorKind kind, std::string_view text) noexcept {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, to, nullptr, text.data(), static_cast<int>(text.size()));
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, kErrorHeader, error_kind_name(kind));
  if (s == NATS_OK) s = natsConnection_PublishMsg(conn_, msg);
  if (msg != nullptr) natsMsg_Destroy(msg);
  bump(s == NATS_OK ? replies_sent_ : publish_errors_);
}

bool NodeImpl::expose(std::string_view name, std::unique_ptr<Exposure> exposure, bool queue) {
  std::lock_guard<std::mutex> lock(expose_mutex_);
  if (closed_.load(tact::detail::acquire)) return false;
  if (exposed_.find(name) != exposed_.end()) return false;
  auto subscribed = std::make_unique<Subscribed>();
  subscribed->node = this;
  subscribed->exposure = std::move(exposure);
  const std::string subject = actor_prefix_ + std::string(name) + ".*";
  const std::string group = "tact." + std::string(name);
  natsStatus s = queue ? natsConnection_QueueSubscribe(&subscribed->sub, conn_, subject.c_str(),
                                                       group.c_str(), &NodeImpl::on_message,
                                                       subscribed.get())
                       : natsConnection_Subscribe(&subscribed->sub, conn_, subject.c_str(),
                                                  &NodeImpl::on_message, subscribed.get());
  if (s != NATS_OK) fail("subscribe", s);
  s = natsSubscription_SetOnCompleteCB(subscribed->sub, &NodeImpl::on_complete, subscribed.get());
  if (s == NATS_OK) {
    s = natsSubscription_SetPendingLimits(subscribed->sub, options_.pending_messages_limit,
                                          options_.pending_bytes_limit);
  }
  // The server knows the subscription once the flush's PONG is back.
  if (s == NATS_OK) s = natsConnection_FlushTimeout(conn_, options_.connect_timeout.count());
  if (s != NATS_OK) {
    end_subscription(*subscribed);
    fail("subscribe", s);
  }
  exposed_.emplace(std::string(name), std::move(subscribed));
  return true;
}

std::string NodeImpl::ref_subject(tact::detail::CellBase* cell, std::unique_ptr<Exposure> exposure) {
  std::lock_guard<std::mutex> lock(refs_mutex_);
  auto it = ref_names_.find(cell);
  if (it != ref_names_.end()) return actor_prefix_ + it->second;
  // _ref.<this node's nuid>.<n>: unique in the cluster.
  std::string name = "_ref." + inbox_prefix_.substr(7, inbox_prefix_.size() - 8) + "." +
                     std::to_string(ref_names_.size() + 1);
  if (!expose(name, std::move(exposure), false)) throw BadMessage("tact::nats: the node is closed");
  ref_names_.emplace(cell, name);  // the exposure's ref keeps the cell (no reuse of the key)
  return actor_prefix_ + name;
}

bool NodeImpl::withdraw(std::string_view name) {
  std::unique_ptr<Subscribed> subscribed;
  {
    std::lock_guard<std::mutex> lock(expose_mutex_);
    auto it = exposed_.find(name);
    if (it == exposed_.end()) return false;
    subscribed = std::move(it->second);
    exposed_.erase(it);
  }
  end_subscription(*subscribed);
  (void)natsConnection_FlushTimeout(conn_, options_.connect_timeout.count());  // as in close()
  return true;
}

NodeStats NodeImpl::stats() const {
  NodeStats s;
  s.tells_sent = read(tells_sent_);
  s.asks_sent = read(asks_sent_);
  s.replies_received = read(replies_received_);
  s.late_replies = read(late_replies_);
  s.asks_timed_out = read(asks_timed_out_);
  s.asks_no_responders = read(asks_no_responders_);
  s.asks_node_down = read(asks_node_down_);
  s.messages_received = read(messages_received_);
  s.replies_sent = read(replies_sent_);
  s.bad_messages = read(bad_messages_);
  s.encode_errors = read(encode_errors_);
  s.publish_errors = read(publish_errors_);
  s.disconnects = read(disconnects_);
  s.reconnects = read(reconnects_);
  s.watches = read(watches_count_);
  s.downs = read(downs_count_);
  s.nodes_lost = read(nodes_lost_);
  s.slow_consumer_events = read(slow_consumer_events_);
  std::uint64_t dropped = read(dropped_by_ended_);
  {
    std::lock_guard<std::mutex> lock(expose_mutex_);
    for (const auto& [name, subscribed] : exposed_) {
      std::int64_t n = 0;
      if (subscribed->sub != nullptr && natsSubscription_GetDropped(subscribed->sub, &n) == NATS_OK) {
        dropped += static_cast<std::uint64_t>(n);
      }
    }
  }
  std::int64_t n = 0;
  if (!closed_.load(tact::detail::acquire) && inbox_.sub != nullptr &&
      natsSubscription_GetDropped(inbox_.sub, &n) == NATS_OK) {
    dropped += static_cast<std::uint64_t>(n);
  }
  s.slow_consumer_drops = dropped;
  return s;
}

// ---- the templates' calls (node_abi.hpp) ------------------------------------------------------

tact::detail::RuntimeCore* node_runtime(NodeImpl* node) noexcept { return node->runtime(); }
std::shared_ptr<NodeImpl> node_share(NodeImpl* node) noexcept { return node->shared_from_this(); }
std::string node_actor_subject(NodeImpl* node, std::string_view name) {
  return node->actor_prefix() + std::string(name);
}
std::chrono::steady_clock::duration node_ask_timeout(NodeImpl* node) noexcept {
  return node->options().ask_timeout;
}
Outbox* node_outbox(NodeImpl* node, const std::string& prefix) { return node->outbox(prefix); }
bool node_tell(NodeImpl* node, Outbox* outbox, const std::string& type, const char* data,
               std::size_t size) noexcept {
  return node->tell(*outbox, type, data, size);
}
void node_ask(NodeImpl* node, Outbox* outbox, const std::string& type, const char* data,
              std::size_t size, std::chrono::steady_clock::time_point deadline,
              PendingReply reply) noexcept {
  node->ask(*outbox, type, data, size, deadline, reply);
}
void node_reply_value(NodeImpl* node, const char* reply, const char* data, std::size_t size) noexcept {
  node->reply_value(reply, data, size);
}
void node_reply_error(NodeImpl* node, const char* reply, ErrorKind kind, std::string_view text) noexcept {
  node->reply_error(reply, kind, text);
}
void node_count_bad_message(NodeImpl* node) noexcept { node->count_bad_message(); }
void node_count_encode_error(NodeImpl* node) noexcept { node->count_encode_error(); }
bool node_expose(NodeImpl* node, std::string_view name, std::unique_ptr<Exposure> exposure, bool queue) {
  return node->expose(name, std::move(exposure), queue);
}
void node_watch(NodeImpl* node, tact::detail::CellBase* proxy, const std::string& subject) noexcept {
  node->watch(proxy, subject);
}
std::string node_ref_subject(NodeImpl* node, tact::detail::CellBase* cell, std::unique_ptr<Exposure> exposure) {
  return node->ref_subject(cell, std::move(exposure));
}

}  // namespace tact::nats::detail

// ---- Node ---------------------------------------------------------------------------------------

namespace tact::nats {

Node::Node(Runtime& runtime, NodeOptions options)
    : impl_(std::make_shared<detail::NodeImpl>(runtime, std::move(options))) {
  // The hook holds the impl by address: ~Node removes it (waiting for it if it
  // is running) before the impl can go.
  closes_at_shutdown_ = runtime.on_shutdown([impl = impl_.get()] { impl->close(); });
  impl_->connect();
}

Node::~Node() {
  closes_at_shutdown_.reset();
  close();
}

void Node::close() { impl_->close(); }

bool Node::withdraw(std::string_view name) { return impl_->withdraw(name); }

NodeStats Node::stats() const { return impl_->stats(); }

const std::string& Node::name() const noexcept { return impl_->options().name; }

}  // namespace tact::nats
