// tact::Pool<A>: N supervised actors of one class behind one handle, and a
// routing rule that picks which of them gets each message.
//
//   tact::Pool<Worker> pool(rt, {.size = 4}, [] { return Worker(); });
//   pool.tell(Job{...});                    // round-robin by default
//   int r = pool.ask(Job{...}).get();
//
//   // consistent hash on a key of the message: one key, one member
//   tact::Pool shards(rt, {.size = 8, .routing = tact::Routing::consistent_hash},
//                     [] { return Shard(); }, [](const auto& msg) { return msg.key; });
//
// Routing (PoolOptions::routing):
//   round_robin      members in turn
//   least_loaded     the member with the fewest messages sent through the pool
//                    and not yet handled (its queue depth as the pool sees it;
//                    ties go round-robin)
//   consistent_hash  jump consistent hash (Lamping & Veach 2014) of
//                    std::hash(key(msg)): a key always reaches the same member
//                    while the size is unchanged, and growing from n to n+1
//                    members moves only ~1/(n+1) of the keys
//   broadcast        tell() sends a copy to every member; ask() is refused
//                    (use ask_all)
//
// The factory may take the member's index (A(std::size_t)): a member and its
// restarts are built with the same index (its place in members()), so state
// kept outside the actor — a shard's store — survives a restart:
//   tact::Pool shards(rt, {.size = 4, .routing = tact::Routing::consistent_hash},
//                     [stores](std::size_t i) { return Shard(stores[i]); }, key);
//
// routes() (consistent_hash): a snapshot of the members with the pool's
// routing, for a caller that routes many items at once, e.g. a batcher that
// groups ops by member and sends each member one message:
//   auto routes = shards.routes();
//   std::size_t i = routes.index_for(key);   // the member tell/ask would pick for this key
//   routes[i].tell(batch_for_member_i);
//
// Members are children of a tact::Supervisor the pool owns (one_for_one, with
// PoolOptions::supervision's limits): a member whose handler throws is rebuilt
// from the factory in its own cell, keeping its place, its mailbox and what is
// queued in it (docs/supervision.md). Past the restart limit the supervisor
// gives up and every member stops: tell then returns false.
//
// resize(n) adds members (from the factory) or stops the last ones gracefully:
// a removed member handles what it was sent before, then stops; nothing queued
// is lost. The last copy of a Pool going away stops the supervisor after the
// mail it was sent before; it stops the members as a supervisor does (through
// the control lane: what is still queued for them becomes dead letters).
// pool.stop() does that at once, for every copy.
//
// Thread-safety: every member function may be called from any thread,
// concurrently; tell/ask read a snapshot of the members (no lock on the send
// path). Building a pool and resize() ask the supervisor and wait for its
// answer: from a plain thread only (they throw tact::WouldBlockWorker in a
// handler).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "tact/actor_ref.hpp"
#include "tact/detail/counted_envelope.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/shared_snapshot.hpp"
#include "tact/errors.hpp"
#include "tact/reply.hpp"
#include "tact/runtime.hpp"
#include "tact/supervisor.hpp"

namespace tact {

enum class Routing { round_robin, least_loaded, consistent_hash, broadcast };

struct PoolOptions {
  std::size_t size = 0;  // members; 0: one per worker of the runtime
  Routing routing = Routing::round_robin;
  SupervisorSpec supervision{};  // the strategy is always one_for_one
};

namespace detail {

// No key function: consistent_hash routing is refused.
struct NoPoolKey {};

// Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent
// Hash Algorithm", 2014), after a splitmix64 finalizer: std::hash of an integer
// is the integer itself in libstdc++.
inline std::size_t jump_consistent_hash(std::uint64_t key, std::size_t buckets) noexcept {
  if (buckets <= 1) return 0;  // what the loop below returns, without its work
  key += 0x9e3779b97f4a7c15ULL;
  key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ULL;
  key = (key ^ (key >> 27)) * 0x94d049bb133111ebULL;
  key ^= key >> 31;
  std::int64_t b = -1;
  std::int64_t j = 0;
  while (j < static_cast<std::int64_t>(buckets)) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(std::int64_t{1} << 31) /
                                   static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::size_t>(b);
}

// Instantiated only when the pool's key function cannot take the message.
template <class Message, class KeyFn>
struct pool_key_function_cannot_take {
  static_assert(std::is_invocable_v<const KeyFn&, const Message&>,
                "tact::Pool: the key function (consistent_hash routing) must be callable with "
                "every message sent through the pool, as key(const Message&) (the types are named "
                "in the instantiation line above)");
};

// What a pool's factory builds: A() or A(std::size_t member_index).
template <class Factory, bool kIndexed = !std::is_invocable_v<Factory&>>
struct PoolFactoryResult {
  using type = std::invoke_result_t<Factory&>;
};
template <class Factory>
struct PoolFactoryResult<Factory, true> {
  using type = std::invoke_result_t<Factory&, std::size_t>;
};
template <class Factory>
using pool_factory_result_t = typename PoolFactoryResult<Factory>::type;

// The member that `key` maps to, of n: as Pool::tell routes a message whose key it is.
template <class Key>
std::size_t pool_member_for_key(const Key& key, std::size_t n) {
  return jump_consistent_hash(static_cast<std::uint64_t>(std::hash<Key>{}(key)), n);
}

template <class A>
struct PoolMember {
  ActorRef<A> ref;
  std::shared_ptr<MemberLoad> load;
};

template <class A>
struct PoolShared {
  Routing routing;
  ActorRef<Supervisor> supervisor;
  std::function<A(std::size_t)> factory;  // called with the member's index
  SharedSnapshot<std::vector<PoolMember<A>>> members;
  SpinLock resizing;  // held across a resize (plain threads only: see Pool::resize)
  bool stopped = false;  // under the members' write lock (update): stop() ran
  // relaxed: a turn counter, only spreads the choice; nothing is published.
  mutable Atomic<std::uint64_t> turn{0};

  PoolShared(Routing r, ActorRef<Supervisor> sup, std::function<A(std::size_t)> f)
      : routing(r), supervisor(std::move(sup)), factory(std::move(f)) {}
  PoolShared(const PoolShared&) = delete;
  PoolShared& operator=(const PoolShared&) = delete;
  // The supervisor handles its earlier mail, then stops its children (which
  // overtakes theirs: docs/supervision.md).
  ~PoolShared() { detail::cell_stop_after_queued(detail::RefAccess<Supervisor>::cell(supervisor)); }
};

}  // namespace detail

template <class A, class KeyFn = detail::NoPoolKey>
class Pool {
 public:
  // Spawns the supervisor and `options.size` members built by `factory` (called
  // again for each restart; given the member's index if it takes one). Throws
  // tact::Error if the factory throws, if consistent_hash routing has no key
  // function, or after shutdown; tact::WouldBlockWorker from a handler.
  template <class Factory>
  Pool(Runtime& rt, PoolOptions options, Factory factory, KeyFn key = {})
      : key_(std::move(key)) {
    static_assert(std::is_invocable_v<Factory&> || std::is_invocable_v<Factory&, std::size_t>,
                  "tact::Pool<A>: the factory is called as factory() or factory(std::size_t member_index)");
    static_assert(std::is_same_v<detail::pool_factory_result_t<Factory>, A>,
                  "tact::Pool<A>: the factory must return an A (by value)");
    if (options.routing == Routing::consistent_hash && std::is_same_v<KeyFn, detail::NoPoolKey>) {
      throw Error("tact: a consistent_hash Pool needs a key function: Pool(rt, options, factory, key)");
    }
    SupervisorSpec spec = options.supervision;
    spec.strategy = Restart::one_for_one;
    std::function<A(std::size_t)> indexed;
    if constexpr (std::is_invocable_v<Factory&>) {
      indexed = [f = std::move(factory)](std::size_t) mutable { return f(); };
    } else {
      indexed = std::move(factory);
    }
    shared_ = std::make_shared<Shared>(options.routing, rt.spawn<Supervisor>(spec), std::move(indexed));
    resize(options.size != 0 ? options.size : rt.worker_count());
  }

  // -- sending ----------------------------------------------------------------------------
  // Any thread. Routes `msg` to a member and tells it (as ActorRef<A>::tell);
  // broadcast: a copy to each, true if all accepted. False if the pool has no
  // member (stopped), or the chosen member refused.
  template <class M>
  bool tell(M&& msg) const {
    using Msg = std::remove_cvref_t<M>;
    if constexpr (!detail::kHandles<A, Msg>) {
      (void)detail::actor_has_no_handler_for<A, Msg>{};
      return false;
    } else {
      const auto members = shared_->members.read();
      if (members->empty()) return false;
      if (shared_->routing == Routing::broadcast) {
        bool all = true;
        for (const Member& m : *members) all = m.ref.tell(static_cast<const Msg&>(msg)) && all;
        return all;
      }
      const Member& m = pick(*members, msg);
      if (shared_->routing == Routing::least_loaded) return counted_tell(m, std::forward<M>(msg));
      return m.ref.tell(std::forward<M>(msg));
    }
  }

  // Any thread. Routes `msg` to one member and asks it (as ActorRef<A>::ask).
  // An empty (stopped) pool answers tact::ActorStopped. Throws tact::Error on a
  // broadcast pool (use ask_all).
  template <class M>
  auto ask(M&& msg) const {
    using Msg = std::remove_cvref_t<M>;
    if constexpr (!detail::kHandles<A, Msg>) {
      (void)detail::actor_has_no_handler_for<A, Msg>{};
      return Reply<void>();
    } else {
      using R = detail::ReplyType<A, Msg>;
      if (shared_->routing == Routing::broadcast) {
        throw Error("tact: Pool::ask on a broadcast pool: use ask_all(msg)");
      }
      const auto members = shared_->members.read();
      if (members->empty()) return stopped_reply<R>();
      const Member& m = pick(*members, msg);
      if (shared_->routing == Routing::least_loaded) return counted_ask<Msg, R>(m, std::forward<M>(msg));
      return m.ref.ask(std::forward<M>(msg));
    }
  }

  // Any thread. Asks every member a copy of `msg`; the replies in member order.
  template <class M>
  auto ask_all(const M& msg) const {
    using Msg = std::remove_cvref_t<M>;
    if constexpr (!detail::kHandles<A, Msg>) {
      (void)detail::actor_has_no_handler_for<A, Msg>{};
      return std::vector<Reply<void>>();
    } else {
      std::vector<Reply<detail::ReplyType<A, Msg>>> replies;
      const auto members = shared_->members.read();
      replies.reserve(members->size());
      for (const Member& m : *members) replies.push_back(m.ref.ask(msg));
      return replies;
    }
  }

  // -- membership ------------------------------------------------------------------------
  // Plain thread only (tact::WouldBlockWorker in a handler). Grows (new
  // members from the factory) or shrinks (the last members stop gracefully)
  // to `n` members. Concurrent resizes run one after the other; sends and
  // stop() never wait for one. Throws tact::Error if the factory throws (the
  // members started before stay).
  void resize(std::size_t n) {
    // Checked before the lock: a worker waiting on it while its holder waits
    // for the supervisor (which needs a worker) could deadlock a small runtime.
    if (detail::blocking_forbidden()) throw WouldBlockWorker();
    shared_->resizing.lock();  // plain threads only, one resize at a time
    struct Unlock {
      detail::SpinLock& lock;
      ~Unlock() { lock.unlock(); }
    } unlock{shared_->resizing};
    // Shrink: a quick update (sends read the snapshot, never this lock).
    shared_->members.update([&](std::vector<Member>& list) {
      while (list.size() > n) {
        // After what it was sent before (not ref.stop(), which overtakes it).
        detail::cell_stop_after_queued(detail::RefAccess<A>::cell(list.back().ref));
        list.pop_back();
      }
    });
    // Grow: the new members are started outside the members' lock (each start
    // waits for the supervisor), then published together.
    const std::size_t have = shared_->members.read()->size();
    std::vector<Member> added;
    std::exception_ptr error;
    try {
      while (have + added.size() < n) {
        // Its index, for its first build and every restart.
        std::function<A()> build = [factory = shared_->factory, index = have + added.size()] {
          return factory(index);
        };
        ActorRef<A> child = shared_->supervisor.ask(StartChild<A>{std::move(build)}).get();
        if (!child) throw Error("tact: a Pool member's factory threw (or the runtime is shutting down)");
        added.push_back(Member{std::move(child), std::make_shared<detail::MemberLoad>()});
      }
    } catch (...) {
      error = std::current_exception();  // publish the members started so far
    }
    if (!added.empty()) {
      shared_->members.update([&](std::vector<Member>& list) {
        for (Member& m : added) {
          if (shared_->stopped) {
            m.ref.stop();  // stop() ran meanwhile: the pool stays empty
          } else {
            list.push_back(std::move(m));
          }
        }
      });
    }
    if (error) std::rethrow_exception(error);
  }

  // Any thread. The members now (a snapshot), in routing order.
  std::vector<ActorRef<A>> members() const {
    std::vector<ActorRef<A>> refs;
    const auto list = shared_->members.read();
    refs.reserve(list->size());
    for (const Member& m : *list) refs.push_back(m.ref);
    return refs;
  }
  std::size_t size() const { return shared_->members.read()->size(); }

  // A snapshot of the members with the pool's consistent hash (routes()).
  class Routes {
   public:
    std::size_t size() const noexcept { return members_->size(); }
    bool empty() const noexcept { return members_->empty(); }
    // The member at `index` (< size()).
    const ActorRef<A>& operator[](std::size_t index) const noexcept { return (*members_)[index].ref; }
    // The index of the member `key` maps to: the one tell/ask pick, with this
    // snapshot's members, for a message whose key (the key function's result)
    // is `key`. Throws tact::Error if the snapshot is empty (the pool stopped).
    template <class Key>
    std::size_t index_for(const Key& key) const {
      if (members_->empty()) throw Error("tact: Pool::Routes::index_for on a stopped pool (no member)");
      return detail::pool_member_for_key(key, members_->size());
    }

   private:
    friend class Pool;
    using Members = std::vector<detail::PoolMember<A>>;
    explicit Routes(std::shared_ptr<const Members> members) : members_(std::move(members)) {}
    std::shared_ptr<const Members> members_;
  };

  // Any thread, consistent_hash pools (throws tact::Error otherwise): the
  // members now and where each key goes among them. A snapshot: a resize
  // meanwhile shows in the next one (and moves ~1/n of the keys).
  Routes routes() const {
    if (shared_->routing != Routing::consistent_hash) {
      throw Error("tact: Pool::routes() is for a consistent_hash pool");
    }
    return Routes(shared_->members.read());
  }

  // Any thread. Stops every member and the supervisor at once, through the
  // control lane (what is still queued for a member becomes dead letters);
  // later sends return false / ActorStopped.
  void stop() const {
    shared_->members.update([this](std::vector<Member>& list) {
      shared_->stopped = true;
      for (const Member& m : list) m.ref.stop();
      list.clear();
    });
    shared_->supervisor.stop();
  }

  // The supervisor, to watch the pool (it fails with tact::RestartLimitExceeded
  // when members fail too often) or ask its SupervisorStats.
  const ActorRef<Supervisor>& supervisor() const noexcept { return shared_->supervisor; }

 private:
  using Member = detail::PoolMember<A>;
  using Shared = detail::PoolShared<A>;

  template <class Msg>
  const Member& pick(const std::vector<Member>& members, const Msg& msg) const {
    const std::size_t n = members.size();
    switch (shared_->routing) {
      case Routing::consistent_hash:
        return members[key_member(msg, n)];
      case Routing::least_loaded: {
        // Scans from the turn's member so that equal loads spread in turn.
        const std::size_t start = next_turn() % n;
        std::size_t best = start;
        std::int64_t best_load = detail::load_read(*members[start].load);
        for (std::size_t i = 1; i < n && best_load > 0; ++i) {
          const std::size_t at = (start + i) % n;
          const std::int64_t load = detail::load_read(*members[at].load);
          if (load < best_load) {
            best = at;
            best_load = load;
          }
        }
        return members[best];
      }
      case Routing::round_robin:
      case Routing::broadcast:
        break;
    }
    return members[next_turn() % n];
  }

  std::size_t next_turn() const noexcept {
    return static_cast<std::size_t>(shared_->turn.fetch_add(1, detail::relaxed));  // relaxed: see `turn`
  }

  template <class Msg>
  std::size_t key_member(const Msg& msg, std::size_t n) const {
    if constexpr (std::is_same_v<KeyFn, detail::NoPoolKey>) {
      return 0;  // unreachable: the constructor refuses consistent_hash without a key
    } else if constexpr (!std::is_invocable_v<const KeyFn&, const Msg&>) {
      (void)detail::pool_key_function_cannot_take<Msg, KeyFn>{};
      return 0;
    } else {
      using Key = std::remove_cvref_t<std::invoke_result_t<const KeyFn&, const Msg&>>;
      return detail::pool_member_for_key<Key>(key_(msg), n);
    }
  }

  template <class M>
  bool counted_tell(const Member& m, M&& msg) const {
    using Msg = std::remove_cvref_t<M>;
    detail::CellBase* cell = detail::RefAccess<A>::cell(m.ref);
    const detail::Reserve place = detail::cell_reserve(cell);
    if (place == detail::Reserve::kStopped) {
      detail::count_dead_letter_of<Msg>(cell);
      return false;
    }
    if (place == detail::Reserve::kFull) {
      detail::cell_count_refused(cell);
      return false;
    }
    detail::Envelope* envelope;
    try {
      envelope = new detail::CountedTellEnvelope<A, Msg>(m.load, std::forward<M>(msg));
    } catch (...) {
      detail::cell_unreserve(cell);
      throw;
    }
    detail::load_count_in(*m.load);
    return detail::cell_deliver_reserved(cell, envelope);
  }

  template <class Msg, class R, class M>
  Reply<R> counted_ask(const Member& m, M&& msg) const {
    detail::CellBase* cell = detail::RefAccess<A>::cell(m.ref);
    auto* slot = detail::ReplySlot<R>::create();
    Reply<R> reply = detail::ReplyAccess<R>::adopt(slot);
    if (const detail::Reserve place = detail::cell_reserve(cell); place != detail::Reserve::kOk) {
      if (place == detail::Reserve::kStopped) {
        detail::count_dead_letter_of<Msg>(cell);
        slot->store_error(detail::error_actor_stopped());
      } else {
        detail::cell_count_refused(cell);
        slot->store_error(detail::error_mailbox_full());
      }
      slot->publish();
      return reply;
    }
    detail::Envelope* envelope;
    try {
      envelope = new detail::CountedAskEnvelope<A, Msg, R>(m.load, slot, std::forward<M>(msg));
    } catch (...) {
      detail::cell_unreserve(cell);
      slot->store_error(std::current_exception());
      slot->publish();
      throw;
    }
    detail::load_count_in(*m.load);
    (void)detail::cell_deliver_reserved(cell, envelope);
    return reply;
  }

  template <class R>
  static Reply<R> stopped_reply() {
    auto* slot = detail::ReplySlot<R>::create();
    Reply<R> reply = detail::ReplyAccess<R>::adopt(slot);
    slot->store_error(detail::error_actor_stopped());
    slot->publish();
    return reply;
  }

  std::shared_ptr<Shared> shared_;
  KeyFn key_;
};

// tact::Pool pool(rt, options, [] { return Worker(); }[, key]): A is what the
// factory returns (it may take the member's index).
template <class Factory>
Pool(Runtime&, PoolOptions, Factory) -> Pool<detail::pool_factory_result_t<Factory>>;
template <class Factory, class KeyFn>
Pool(Runtime&, PoolOptions, Factory, KeyFn) -> Pool<detail::pool_factory_result_t<Factory>, KeyFn>;

}  // namespace tact
