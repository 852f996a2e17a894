// Durable actors: an actor whose state survives its process, kept as events in
// a JetStream stream (docs/durable.md). Exactly one node runs it at a time (a
// lease, and every write fenced); it is activated where it is first asked.
//
//   struct Deposited { std::int64_t amount; MSGPACK_DEFINE(amount); };
//   struct Deposit { std::int64_t amount; MSGPACK_DEFINE(amount); };
//   class Account {
//    public:
//     using durable_commands = tact::nats::messages<Deposit>;   // what asks may send
//     using durable_events = tact::nats::events<Deposited>;     // what it records
//     std::int64_t handle(Deposit d, tact::nats::Recorder<Account>& r) {
//       r.record(Deposited{d.amount});          // applied at once, persisted before the answer
//       return balance;
//     }
//     void apply(const Deposited& e) { balance += e.amount; }
//     std::int64_t balance = 0;
//     MSGPACK_DEFINE(balance);                  // the snapshot's codec
//   };
//   tact::nats::DurableHost host(rt, {.servers = {...}, .node = "n1"});
//   auto account = host.get<Account>("account/42");
//   std::int64_t b = account.ask(Deposit{5}).get();
//
// A command's answer comes only after its events are acknowledged by the stream
// (R3 by default), so an answered ask's effect is never lost. A request id
// names each ask; asking again with the same id (after a Timeout, from any
// node) answers the first outcome again and never applies it twice.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "tact/actor_ref.hpp"
#include "tact/context.hpp"
#include "tact/nats/codec.hpp"
#include "tact/nats/detail/durable_abi.hpp"
#include "tact/nats/errors.hpp"
#include "tact/reply.hpp"
#include "tact/runtime.hpp"
#include "tact/task.hpp"

namespace tact::nats {

// The event types a durable class records and applies.
template <class... Es>
struct events {};

// The actor could not take the request: another node runs it (and this host
// cannot forward yet), or this node lost it. Whether a request that failed
// with OwnershipLost was applied is unknown: ask again with the same request
// id (DurableRef::ask(command, id)) to learn its outcome, applied once.
class OwnershipLost : public Error {
 public:
  using Error::Error;
};

// One answer an incarnation on this host gave (DurableOptions::on_answer).
struct DurableAnswer {
  std::string_view actor;       // its name, e.g. "account/42"
  std::string_view request_id;  // the ask's (the caller's, or a fresh one)
  // This host's tenure of the actor: the lease entry's revision when it was
  // taken. Tenures of one actor never overlap in time if ownership holds.
  std::uint64_t epoch = 0;
  // True: the command recorded events and the stream acknowledged them. False:
  // a read, or a retry answered from memory.
  bool recorded = false;
  // When the incarnation decided this answer, owning the actor: it found its
  // lease held (and, for a recorded command, sent the record, fenced: the
  // stream stores it only if no later owner has written). The answer may be
  // sent much later (a process stopped and resumed sends it then), so order
  // tenures by this, not by when answers arrive (docs/durable.md).
  std::chrono::steady_clock::time_point decided{};
};

struct DurableOptions {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  bool randomize_servers = true;    // false: try `servers` in the order given
  std::string cluster = "default";  // names the stream and buckets (docs/durable.md)
  std::string node = "tact";        // this host's name, in leases and logs
  int replicas = 3;                 // of the stream and buckets: 3 on a 3-server cluster
  // How long a node owns an actor without renewing (renewed every third of it).
  // nats-server 2.9's Raft elections take 4-9 s: shorter leases flap when a
  // NATS server dies.
  std::chrono::milliseconds lease{10000};
  std::chrono::milliseconds append_timeout{5000};  // then the ask fails OwnershipLost
  // How long an ask may take to find the node that runs its actor, or to take
  // the actor over when that node is gone (longer than the lease, so that a
  // fail-over fits in it); then it fails OwnershipLost.
  std::chrono::milliseconds ask_timeout{20000};
  std::chrono::milliseconds idle{60000};           // passivated after this long unasked
  std::uint32_t snapshot_every = 100;              // records between checkpoints
  std::uint32_t recent_requests = 1000;            // request ids remembered for retries
  int threads = 4;                                 // the host's storage threads
  // false: a client-only host. It asks durable actors and runs none: it takes
  // no lease and activates nothing. An ask goes to the node that holds the
  // actor's lease or, when nobody does, to any node that hosts actors of the
  // cluster (a NATS queue group), which activates it there.
  bool hosts_actors = true;
  // Called for each ask an incarnation here answers with a value, just before
  // the answer is sent (after its record is acknowledged): a history for
  // checking, as the fault test's checker does (docs/durable.md). Runs on the
  // thread that sends the answer (the incarnation's worker, or for a recorded
  // command the thread that took the store's ack), for many actors at once:
  // keep it short and thread-safe; an exception from it is ignored.
  std::function<void(const DurableAnswer&)> on_answer;
};

template <class A>
class Recorder;

namespace detail {

template <class A>
using EventsOf = typename A::durable_events;

template <class E, class List>
struct IsEvent : std::false_type {};
template <class E, class... Es>
struct IsEvent<E, events<Es...>> : std::bool_constant<(std::is_same_v<E, Es> || ...)> {};

template <class E>
std::string encode_event(const E& event) {
  msgpack::sbuffer payload;
  Codec<E>::encode(payload, event);
  msgpack::sbuffer out;
  msgpack::packer<msgpack::sbuffer> packer(out);
  packer.pack_array(2);
  packer.pack(MessageName<E>::value());
  packer.pack_bin(static_cast<std::uint32_t>(payload.size()));
  packer.pack_bin_body(payload.data(), static_cast<std::uint32_t>(payload.size()));
  return std::string(out.data(), out.size());
}

// Applies one recorded event to `state` (throws BadMessage on bytes no event
// of A's list matches).
template <class A, class... Es>
void apply_event_of(A& state, std::string_view name, const char* data, std::size_t size, events<Es...>) {
  const bool found = ((name == MessageName<Es>::value() ? (state.apply(Codec<Es>::decode(data, size)), true) : false) ||
                      ...);
  if (!found) throw BadMessage("tact::nats durable: an event of unknown type '" + std::string(name) + "'");
}

template <class A>
void apply_event(A& state, std::string_view bytes) {
  msgpack::object_handle handle;
  try {
    // No container may announce more elements than there are bytes.
    const msgpack::unpack_limit limit(bytes.size(), bytes.size(), bytes.size(), bytes.size(), bytes.size(), 32);
    std::size_t offset = 0;
    handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limit);
  } catch (const std::exception& e) {
    throw BadMessage(std::string("tact::nats durable: a bad event: ") + e.what());
  }
  const msgpack::object& o = handle.get();
  if (o.type != msgpack::type::ARRAY || o.via.array.size != 2 || o.via.array.ptr[0].type != msgpack::type::STR ||
      o.via.array.ptr[1].type != msgpack::type::BIN) {
    throw BadMessage("tact::nats durable: a bad event");
  }
  const auto& name = o.via.array.ptr[0].via.str;
  const auto& bin = o.via.array.ptr[1].via.bin;
  apply_event_of(state, std::string_view(name.ptr, name.size), bin.ptr, bin.size, EventsOf<A>{});
}

template <class A>
using CommandsOf = typename A::durable_commands;

template <class C, class List>
struct IsCommand : std::false_type {};
template <class C, class... Cs>
struct IsCommand<C, messages<Cs...>> : std::bool_constant<(std::is_same_v<C, Cs> || ...)> {};

template <class A, class C>
using CommandResult = decltype(std::declval<A&>().handle(std::declval<C>(), std::declval<Recorder<A>&>()));

// One ask on its way to the incarnation. If it is dropped unanswered (the
// incarnation stopped with it queued), it is dispatched again, a few times.
// The command as the incarnation runs it: the handler, its answer encoded.
template <class A, class C>
std::function<std::string(A&, Recorder<A>&)> bind_command(C command) {
  using R = CommandResult<A, C>;
  return [command = std::move(command)](A& state, Recorder<A>& recorder) mutable -> std::string {
    if constexpr (std::is_void_v<R>) {
      state.handle(std::move(command), recorder);
      return {};
    } else {
      msgpack::sbuffer out;
      Codec<R>::encode(out, state.handle(std::move(command), recorder));
      return std::string(out.data(), out.size());
    }
  };
}

// A command that came over the wire, by its type's name (throws BadMessage).
template <class A, class... Cs>
std::function<std::string(A&, Recorder<A>&)> bind_wire_command(const std::string& type, const std::string& bytes,
                                                                 messages<Cs...>) {
  std::function<std::string(A&, Recorder<A>&)> bound;
  const bool found = ((type == MessageName<Cs>::value()
                           ? (bound = bind_command<A>(Codec<Cs>::decode(bytes.data(), bytes.size())), true)
                           : false) ||
                      ...);
  if (!found) throw BadMessage("tact::nats durable: a command of unknown type '" + type + "'");
  return bound;
}

// An ask's error, made before it is sent: the exception object built here
// is gone when this returns. Built in the expression that sends it, it would
// be destroyed after the asker woke, dropping its share of the message's
// string (copy-on-write in libstdc++'s std::runtime_error) while the asker
// reads it: safe, but ThreadSanitizer cannot see libstdc++'s atomics.
template <class E, class Arg>
std::exception_ptr ask_error(Arg&& arg) {
  return std::make_exception_ptr(E(std::forward<Arg>(arg)));
}

template <class A>
struct Invocation {
  struct Call {
    std::string request_id;
    std::string command_type;  // for a node that must send it on
    std::string command;       // its bytes
    std::chrono::steady_clock::time_point deadline;
    bool forwarded = false;    // came from another node: run here or fail, never send on
    std::string cause;         // why the last activation it waited for failed (for its error)
    std::function<std::string(A&, Recorder<A>&)> run;  // the command; returns its answer's bytes
    std::function<void(const std::string*, std::exception_ptr)> resolve;
    std::function<void(std::shared_ptr<Call>)> redispatch;
    int attempts = 0;
    bool resolved = false;
    void answer(const std::string* bytes, std::exception_ptr error) {
      resolved = true;
      resolve(bytes, std::move(error));
    }
    Call() = default;
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    // A request dropped on a path that forgot it (say a handler's coroutine
    // destroyed where it waits) is answered, never a broken promise: with
    // OwnershipLost, which says to ask again with the same id.
    ~Call() {
      if (!resolved && resolve) {
        resolve(nullptr, ask_error<OwnershipLost>(
                             "tact::nats durable: the request was dropped; ask again with the same id"));
      }
    }
  };
  std::shared_ptr<Call> call;

  Invocation() = default;
  explicit Invocation(std::shared_ptr<Call> c) : call(std::move(c)) {}
  Invocation(Invocation&&) noexcept = default;
  Invocation& operator=(Invocation&&) noexcept = default;
  Invocation(const Invocation&) = delete;
  Invocation& operator=(const Invocation&) = delete;
  // Dropped unhandled (its incarnation stopped, or was never activated): the
  // request is sent again. Other copies of `call` (a route's callbacks, which
  // handed it here) never answer it after handing it on.
  ~Invocation() {
    if (call == nullptr || call->resolved) return;
    std::shared_ptr<Call> again = std::move(call);
    if (++again->attempts > 5) {
      again->answer(nullptr, ask_error<OwnershipLost>(
                                 "tact::nats durable: the actor could not be activated" +
                                 (again->cause.empty() ? std::string() : " (" + again->cause + ")")));
      return;
    }
    auto redispatch = again->redispatch;
    redispatch(std::move(again));
  }
};

struct Activate {};
struct Tick {};

template <class A>
class Incarnation;

// The host's registry of running incarnations, per class.
struct DurableRegistry {
  std::mutex mutex;
  std::condition_variable none_left;
  struct Running {
    std::shared_ptr<void> ref;   // an ActorRef<Incarnation<A>>
    std::function<void()> stop;  // stops it (the host's close)
  };
  std::unordered_map<std::string, Running> running;
  std::size_t alive = 0;
  bool closing = false;
  std::unordered_set<std::string> served;  // classes other nodes may send here
  // By name: why its last activation here failed (a dropped ask's error says it).
  std::unordered_map<std::string, std::string> refusals;
};

}  // namespace detail

// What a command handler gets: record an event, and it is applied to the actor
// at once and persisted (with the command's answer) before the ask is answered.
template <class A>
class Recorder {
 public:
  template <class E>
  void record(E event) {
    static_assert(detail::IsEvent<E, detail::EventsOf<A>>::value,
                  "tact::nats::Recorder::record: the event type is not in the class's durable_events");
    events_.push_back(detail::encode_event(event));
    state_.apply(event);
  }
  std::size_t recorded() const noexcept { return events_.size(); }

 private:
  template <class>
  friend class detail::Incarnation;
  Recorder(A& state, std::vector<std::string>& events) : state_(state), events_(events) {}
  A& state_;
  std::vector<std::string>& events_;
};

namespace detail {

template <class A>
class Incarnation {
 public:
  Incarnation(DurableHostImpl* host, std::shared_ptr<DurableRegistry> registry, std::string name)
      : host_(host), registry_(std::move(registry)), name_(std::move(name)),
        slot_(durable_slot(host, name_)), config_(durable_config(host)) {}
  ~Incarnation() {
    std::lock_guard<std::mutex> lock(registry_->mutex);
    if (--registry_->alive == 0) registry_->none_left.notify_all();
  }
  Incarnation(const Incarnation&) = delete;
  Incarnation& operator=(const Incarnation&) = delete;

  void on_stop(Context<Incarnation>& ctx) {
    if (active_) durable_release(host_, slot_);
    std::lock_guard<std::mutex> lock(registry_->mutex);
    auto it = registry_->running.find(name_);
    if (it != registry_->running.end() &&
        *static_cast<ActorRef<Incarnation>*>(it->second.ref.get()) == ctx.self()) {
      registry_->running.erase(it);
    }
  }

  Task<void> handle(Activate, Context<Incarnation>& ctx) {
    // Operands of co_await are named first: g++ 12 copies a temporary holding
    // a std::string inside a co_await expression bitwise (docs/guide.md).
    Reply<DurableRecovered> activating = durable_activate(host_, slot_);
    DurableRecovered recovered = co_await std::move(activating);
    if (!recovered.error.empty()) {
      refusal_ = recovered.held_elsewhere
                     ? "tact::nats durable: '" + name_ + "' is run by another node"
                     : "tact::nats durable: '" + name_ + "' could not be activated: " + recovered.error;
      note_refusal();
      ctx.stop();  // what is queued is dispatched again (Invocation), a few times
      co_return;
    }
    try {
      if (recovered.state) {
        state_ = Codec<A>::decode(recovered.state->data(), recovered.state->size());
      }
      for (auto& [id, answer] : recovered.recent) remember(id, std::move(answer));
      for (DurableRecord& record : recovered.records) {
        for (const std::string& event : record.events) apply_event(state_, event);
        remember(record.request_id, std::move(record.answer));
        ++since_snapshot_;
      }
    } catch (const std::exception& e) {
      refusal_ = std::string("tact::nats durable: '") + name_ + "' has a history it cannot read: " + e.what();
      note_refusal();
      durable_release(host_, slot_);
      ctx.stop();
      co_return;
    }
    active_ = true;
    {
      std::lock_guard<std::mutex> lock(registry_->mutex);
      registry_->refusals.erase(name_);
    }
    last_used_ = std::chrono::steady_clock::now();
    ctx.send_every(config_.lease / 3, ctx.self(), Tick{});
  }

  Task<void> handle(Invocation<A> invocation, Context<Incarnation>& ctx) {
    auto call = std::move(invocation.call);
    if (!active_) {
      call->answer(nullptr, ask_error<OwnershipLost>(refusal_));
      co_return;
    }
    last_used_ = std::chrono::steady_clock::now();
    const auto decided = last_used_;  // the lease is checked after it, so held at it
    if (auto it = recent_index_.find(call->request_id); it != recent_index_.end()) {
      durable_answered(host_, *slot_, call->request_id, false, decided);
      call->answer(&it->second, nullptr);  // a retry: the first outcome again
      co_return;
    }
    if (!durable_lease_held(*slot_)) {
      lose(ctx, false);
      call->answer(nullptr, ask_error<OwnershipLost>("tact::nats durable: the lease ran out"));
      co_return;
    }
    std::vector<std::string> events;
    Recorder<A> recorder(state_, events);
    std::string answer;
    try {
      answer = call->run(state_, recorder);
    } catch (...) {
      // Events already applied cannot be taken back: drop this incarnation
      // (the next ask rebuilds it from the log, without them).
      if (!events.empty()) lose(ctx, true);
      call->answer(nullptr, ask_error<HandlerFailed>(std::current_exception()));
      co_return;
    }
    if (events.empty()) {  // nothing to persist: a read
      durable_answered(host_, *slot_, call->request_id, false, decided);
      call->answer(&answer, nullptr);
      co_return;
    }
    DurableRecord record{call->request_id, answer, std::move(events)};
    if (config_.answer_before_append) {
      // The deliberate fault (TACT_DURABLE_FAULT, docs/durable.md): the
      // answer goes out before its record is stored, so a kill loses it.
      remember(call->request_id, answer);
      durable_answered(host_, *slot_, call->request_id, true, decided);
      call->answer(&answer, nullptr);
      Reply<DurableAppended> appending = durable_append(host_, slot_, std::move(record), nullptr);
      const DurableAppended appended = co_await std::move(appending);
      if (appended.outcome != DurableAppend::kStored) lose(ctx, false);
      co_return;
    }
    // Answered where the append's ack arrives, once the record is stored,
    // without waiting for this coroutine to resume (a thread hand-off less);
    // the next message still waits for the resumption below.
    auto answer_stored = [host = host_, slot = slot_, call, decided](const std::string& bytes) {
      durable_answered(host, *slot, call->request_id, true, decided);
      call->answer(&bytes, nullptr);
    };
    Reply<DurableAppended> appending = durable_append(host_, slot_, std::move(record), std::move(answer_stored));
    const DurableAppended appended = co_await std::move(appending);
    if (appended.outcome != DurableAppend::kStored) {
      lose(ctx, false);
      call->answer(nullptr, ask_error<OwnershipLost>(
                                appended.outcome == DurableAppend::kFenced
                                    ? "tact::nats durable: another node took '" + name_ + "' over (" +
                                          appended.cause + ")"
                                    : "tact::nats durable: the store did not confirm the write of '" + name_ +
                                          "' in time (ask again with the same id to learn whether it was "
                                          "applied): " + appended.cause));
      co_return;
    }
    remember(call->request_id, std::move(answer));  // answered already (answer_stored)
    if (++since_snapshot_ >= config_.snapshot_every) {
      since_snapshot_ = 0;
      msgpack::sbuffer state;
      Codec<A>::encode(state, state_);
      std::vector<std::pair<std::string, std::string>> recent(recent_.begin(), recent_.end());
      std::string bytes(state.data(), state.size());
      durable_snapshot(host_, slot_, durable_last_sequence(*slot_), std::move(bytes), std::move(recent));
    }
  }

  Task<void> handle(Tick, Context<Incarnation>& ctx) {
    if (!active_) co_return;
    if (std::chrono::steady_clock::now() - last_used_ >= config_.idle) {
      ctx.stop();  // passivated: on_stop releases the lease
      co_return;
    }
    Reply<bool> renewing = durable_renew(host_, slot_);
    if (!co_await std::move(renewing)) lose(ctx, false);
  }

 private:
  // Stops serving. `release`: the lease is still ours (hand it on at once);
  // otherwise it lapses, or is someone else's already.
  void lose(Context<Incarnation>& ctx, bool release) {
    if (release) durable_release(host_, slot_);
    active_ = false;
    refusal_ = "tact::nats durable: this node no longer runs '" + name_ + "'";
    ctx.stop();
  }
  void note_refusal() {
    std::lock_guard<std::mutex> lock(registry_->mutex);
    registry_->refusals[name_] = refusal_;
  }
  void remember(const std::string& id, std::string answer) {
    recent_index_[id] = answer;
    recent_.emplace_back(id, std::move(answer));
    while (recent_.size() > config_.recent_requests) {
      recent_index_.erase(recent_.front().first);
      recent_.pop_front();
    }
  }

  DurableHostImpl* host_;
  std::shared_ptr<DurableRegistry> registry_;
  std::string name_;
  std::shared_ptr<DurableSlot> slot_;
  DurableConfigView config_;
  A state_{};
  bool active_ = false;
  std::string refusal_ = "tact::nats durable: not activated";
  std::deque<std::pair<std::string, std::string>> recent_;
  std::unordered_map<std::string, std::string> recent_index_;
  std::uint32_t since_snapshot_ = 0;
  std::chrono::steady_clock::time_point last_used_{};
};

}  // namespace detail

class DurableHost;

// A handle on the durable actor of a name, running or not: asks activate it.
template <class A>
class DurableRef {
 public:
  // Asks with a fresh request id.
  template <class C>
  Reply<detail::CommandResult<A, C>> ask(C command) const {
    return ask(std::move(command), detail::durable_new_request_id(host_));
  }
  // Asks with the caller's request id: the same id again (say after a
  // Timeout or OwnershipLost, from this node or another) answers the first
  // outcome and is never applied twice (within recent_requests ids).
  template <class C>
  Reply<detail::CommandResult<A, C>> ask(C command, std::string request_id) const;

  const std::string& name() const noexcept { return name_; }

 private:
  friend class DurableHost;
  DurableRef(DurableHost* owner, detail::DurableHostImpl* host, std::string name)
      : owner_(owner), host_(host), name_(std::move(name)) {}
  DurableHost* owner_;
  detail::DurableHostImpl* host_;
  std::string name_;
};

class DurableHost {
 public:
  // Connects, and creates the stream and buckets if absent (throws tact::Error).
  DurableHost(Runtime& runtime, DurableOptions options);
  // Stops every incarnation (each releases its lease) and waits for them.
  ~DurableHost();
  DurableHost(const DurableHost&) = delete;
  DurableHost& operator=(const DurableHost&) = delete;

  template <class A>
  DurableRef<A> get(std::string name) {
    static_assert(HasCodec<A>, "tact::nats::DurableHost::get: the durable class needs a codec for its "
                               "snapshots (MSGPACK_DEFINE its state)");
    serve_class<A>();
    return DurableRef<A>(this, impl_.get(), std::move(name));
  }

  // Lets other nodes run A's actors here without this node asking any.
  // Throws tact::Error on a client-only host (DurableOptions::hosts_actors).
  template <class A>
  void serve() {
    if (!detail::durable_hosts_actors(impl_.get())) {
      throw Error("tact::nats::DurableHost::serve: a client-only host (hosts_actors = false) runs no actors");
    }
    serve_class<A>();
  }

  // How many durable actors this host runs now.
  std::size_t running() const;

 private:
  template <class>
  friend class DurableRef;

  template <class A>
  void dispatch(const std::string& name, std::shared_ptr<typename detail::Invocation<A>::Call> call) {
    ActorRef<detail::Incarnation<A>> ref;
    {
      std::lock_guard<std::mutex> lock(registry_->mutex);
      if (registry_->closing) {
        call->answer(nullptr, detail::ask_error<OwnershipLost>("tact::nats durable: the host is closing"));
        return;
      }
      if (call->attempts > 0) {  // dispatched again: its last activation failed; keep why
        if (auto it = registry_->refusals.find(name); it != registry_->refusals.end()) call->cause = it->second;
      }
      ref = running_locked<A>(name);
      if (!ref && call->forwarded) ref = start_locked<A>(name);  // sent here to run here: never sent on
    }
    if (ref) {
      ref.tell(detail::Invocation<A>(std::move(call)));
      return;
    }
    // Not running here: the lease says where (on a storage thread).
    detail::DurableRoute route;
    route.class_name = MessageName<A>::value();
    route.name = name;
    route.request_id = call->request_id;
    route.command_type = call->command_type;
    route.command = call->command;
    route.deadline = call->deadline;
    route.run_here = [this, name, call]() mutable {
      ActorRef<detail::Incarnation<A>> here;
      {
        std::lock_guard<std::mutex> lock(registry_->mutex);
        if (registry_->closing) {
          call->answer(nullptr, detail::ask_error<OwnershipLost>("tact::nats durable: the host is closing"));
          return;
        }
        here = running_locked<A>(name);
        if (!here) here = start_locked<A>(name);
      }
      here.tell(detail::Invocation<A>(std::move(call)));
    };
    route.answered = [call](detail::DurableOutcome outcome, std::string payload) {
      switch (outcome) {
        case detail::DurableOutcome::kValue:
          call->answer(&payload, nullptr);
          return;
        case detail::DurableOutcome::kHandlerFailed:
          call->answer(nullptr, detail::ask_error<HandlerFailed>(std::make_exception_ptr(RemoteError(payload))));
          return;
        case detail::DurableOutcome::kBadRequest:
          call->answer(nullptr, detail::ask_error<BadMessage>(payload));
          return;
        case detail::DurableOutcome::kOwnershipLost:
          break;
      }
      call->answer(nullptr, detail::ask_error<OwnershipLost>(payload));
    };
    detail::durable_route(impl_.get(), std::move(route));
  }

  // Under the registry's mutex: the incarnation of `name` running here, or an empty ref.
  template <class A>
  ActorRef<detail::Incarnation<A>> running_locked(const std::string& name) const {
    auto it = registry_->running.find(name);
    if (it == registry_->running.end()) return {};
    return *static_cast<ActorRef<detail::Incarnation<A>>*>(it->second.ref.get());
  }

  // Under the registry's mutex: a new incarnation of `name`, activating.
  template <class A>
  ActorRef<detail::Incarnation<A>> start_locked(const std::string& name) {
    ++registry_->alive;
    auto ref = runtime_.spawn<detail::Incarnation<A>>(impl_.get(), registry_, name);
    registry_->running[name] = {std::make_shared<ActorRef<detail::Incarnation<A>>>(ref), [ref]() { ref.stop(); }};
    ref.tell(detail::Activate{});
    return ref;
  }

  // Lets other nodes send A's commands here (get<A> does it too).
  template <class A>
  void serve_class() {
    if (!detail::durable_hosts_actors(impl_.get())) return;  // a client: nothing comes here
    {
      std::lock_guard<std::mutex> lock(registry_->mutex);
      if (!registry_->served.insert(MessageName<A>::value()).second) return;
    }
    detail::durable_serve(
        impl_.get(), MessageName<A>::value(),
        [this](std::string name, std::string request_id, std::string type, std::string bytes,
               std::function<void(detail::DurableOutcome, std::string)> respond) {
          auto call = std::make_shared<typename detail::Invocation<A>::Call>();
          try {
            call->run = detail::bind_wire_command<A>(type, bytes, detail::CommandsOf<A>{});
          } catch (const std::exception& e) {
            respond(detail::DurableOutcome::kBadRequest, e.what());
            return;
          }
          call->request_id = std::move(request_id);
          call->command_type = std::move(type);
          call->forwarded = true;
          call->deadline = std::chrono::steady_clock::now() + detail::durable_config(impl_.get()).ask_timeout;
          call->resolve = [respond](const std::string* answer, std::exception_ptr error) {
            if (!error) {
              respond(detail::DurableOutcome::kValue, answer != nullptr ? *answer : std::string());
              return;
            }
            try {
              std::rethrow_exception(error);
            } catch (const HandlerFailed& e) {
              std::string text;
              try {
                e.rethrow_cause();
              } catch (const std::exception& cause) {
                text = cause.what();
              } catch (...) {
                text = "an exception that is not a std::exception";
              }
              respond(detail::DurableOutcome::kHandlerFailed, text);
            } catch (const std::exception& e) {
              respond(detail::DurableOutcome::kOwnershipLost, e.what());
            } catch (...) {
              respond(detail::DurableOutcome::kOwnershipLost, "tact::nats durable: unknown error");
            }
          };
          call->redispatch = [this, name](std::shared_ptr<typename detail::Invocation<A>::Call> again) {
            dispatch<A>(name, std::move(again));
          };
          dispatch<A>(name, std::move(call));
        });
  }


  Runtime& runtime_;
  std::shared_ptr<detail::DurableHostImpl> impl_;
  std::shared_ptr<detail::DurableRegistry> registry_;
};

template <class A>
template <class C>
Reply<detail::CommandResult<A, C>> DurableRef<A>::ask(C command, std::string request_id) const {
  using R = detail::CommandResult<A, C>;
  static_assert(detail::IsCommand<C, detail::CommandsOf<A>>::value,
                "tact::nats::DurableRef::ask: the command type is not in the class's durable_commands");
  static_assert(HasCodec<C>, "tact::nats::DurableRef::ask: the command type needs a codec");
  static_assert(std::is_void_v<R> || HasCodec<R>, "tact::nats::DurableRef::ask: the answer type needs a codec");
  auto [promise, reply] = Promise<R>::make();
  auto shared_promise = std::make_shared<Promise<R>>(std::move(promise));
  auto call = std::make_shared<typename detail::Invocation<A>::Call>();
  call->request_id = std::move(request_id);
  call->command_type = MessageName<C>::value();
  {
    msgpack::sbuffer bytes;
    Codec<C>::encode(bytes, command);
    call->command.assign(bytes.data(), bytes.size());
  }
  call->deadline = std::chrono::steady_clock::now() + detail::durable_config(host_).ask_timeout;
  call->run = detail::bind_command<A>(std::move(command));
  call->resolve = [shared_promise](const std::string* bytes, std::exception_ptr error) {
    if (error) {
      shared_promise->set_error(std::move(error));
      return;
    }
    if constexpr (std::is_void_v<R>) {
      shared_promise->set_value();
    } else {
      try {
        shared_promise->set_value(Codec<R>::decode(bytes->data(), bytes->size()));
      } catch (...) {
        shared_promise->set_error(std::current_exception());
      }
    }
  };
  DurableHost* owner = owner_;
  const std::string name = name_;
  call->redispatch = [owner, name](std::shared_ptr<typename detail::Invocation<A>::Call> again) {
    owner->template dispatch<A>(name, std::move(again));
  };
  owner_->template dispatch<A>(name_, std::move(call));
  return std::move(reply);
}

}  // namespace tact::nats
