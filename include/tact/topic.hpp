// tact::Topic<M>: publish/subscribe inside one runtime.
//
//   tact::Topic<PriceChanged> prices(rt);      // or Topic<M>(ctx) inside a handler
//   prices.subscribe(dashboard);                // any ActorRef<A> whose A handles M,
//   prices.subscribe(recorder_recipient);       // or a tact::Recipient<M>
//   prices.publish(PriceChanged{"ACME", 12.5}); // a copy to each subscriber, as tell
//   prices.unsubscribe(dashboard);
//
// - publish(msg) tells a copy of msg to every subscriber at the moment of the
//   call (a snapshot: subscribing or unsubscribing meanwhile affects the next
//   publish) and returns how many accepted it. Each delivery is a tell: per
//   publisher order holds for each subscriber; a subscriber whose bounded
//   mailbox is full refuses its copy (RuntimeStats::messages_refused), the
//   others still get theirs. publish never blocks on a subscriber, so it is
//   fine in a handler, a coroutine, or a plain thread.
// - A subscriber that stops is dropped automatically: the topic watches it
//   (a hidden actor of the topic receives its tact::Down). Between the stop and
//   the drop, a publish to it is a dead letter (counted). Subscribing an actor
//   that has already stopped returns false and adds nothing.
// - Subscribing twice is subscribing once (false the second time); unsubscribe
//   returns false when it was not subscribed.
// - A Topic is a handle: copies share the subscribers. The last copy's
//   destruction stops the hidden actor; runtime shutdown stops it too, after
//   which stopped subscribers are no longer dropped (their copies become dead
//   letters) but publish keeps working for live ones.
// - Thread-safety: every member may be called from any thread, concurrently.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "tact/actor_ref.hpp"
#include "tact/address.hpp"
#include "tact/context.hpp"
#include "tact/detail/shared_snapshot.hpp"
#include "tact/detail/ties.hpp"
#include "tact/down.hpp"
#include "tact/errors.hpp"
#include "tact/recipient.hpp"
#include "tact/runtime.hpp"

namespace tact {

namespace detail {

template <class M>
using Subscribers = SharedSnapshot<std::vector<Recipient<M>>>;

// The topic's hidden actor: it watches the subscribers and drops each one that stops.
template <class M>
class TopicKeeper {
 public:
  explicit TopicKeeper(std::shared_ptr<Subscribers<M>> subscribers) noexcept
      : subscribers_(std::move(subscribers)) {}
  void handle(Down down) {
    subscribers_->update([&](std::vector<Recipient<M>>& list) {
      std::erase_if(list, [&](const Recipient<M>& r) { return r.address() == down.who; });
    });
  }

 private:
  std::shared_ptr<Subscribers<M>> subscribers_;
};

// What the copies of one Topic share; the last one stops the keeper.
template <class M>
struct TopicShared {
  std::shared_ptr<Subscribers<M>> subscribers;
  ActorRef<TopicKeeper<M>> keeper;
  TopicShared(std::shared_ptr<Subscribers<M>> s, ActorRef<TopicKeeper<M>> k) noexcept
      : subscribers(std::move(s)), keeper(std::move(k)) {}
  TopicShared(const TopicShared&) = delete;
  TopicShared& operator=(const TopicShared&) = delete;
  ~TopicShared() { keeper.stop(); }
};

}  // namespace detail

template <class M>
class Topic {
  static_assert(std::is_same_v<M, std::remove_cvref_t<M>>,
                "tact::Topic<M>: M is a plain message type (no const, no reference)");
  static_assert(std::is_copy_constructible_v<M>,
                "tact::Topic<M>: publish copies the message to each subscriber: M must be copyable");

 public:
  // A topic in `rt`. Throws tact::Error once shutdown has begun.
  explicit Topic(Runtime& rt) : Topic(make_shared_state([&](auto s) {
                                  return rt.template spawn<detail::TopicKeeper<M>>(std::move(s));
                                })) {}
  // A topic in the runtime of the actor whose handler runs.
  template <class A>
  explicit Topic(const Context<A>& ctx)
      : Topic(make_shared_state([&](auto s) {
          return ctx.template spawn<detail::TopicKeeper<M>>(std::move(s));
        })) {}

  // Any thread. Adds `subscriber`: it receives every later publish until it
  // unsubscribes or stops. False if it already was subscribed, or has stopped.
  // Throws tact::Error on an empty recipient.
  bool subscribe(const Recipient<M>& subscriber) const {
    detail::CellBase* target = detail::RecipientAccess::cell(subscriber);
    if (target == nullptr) throw Error("tact: Topic::subscribe with an empty ref or recipient");
    detail::CellBase* keeper = detail::RefAccess<detail::TopicKeeper<M>>::cell(shared_->keeper);
    return shared_->subscribers->update([&](std::vector<Recipient<M>>& list) {
      if (std::find(list.begin(), list.end(), subscriber) != list.end()) return false;
      // Watched before it is listed: if it stops after this, its Down comes and
      // drops it; if it had already stopped, tie_add says so (its Down, queued
      // to the keeper meanwhile, finds nothing to drop).
      if (!detail::tie_add(target, keeper, detail::TieKind::kWatch,
                           &detail::notify_down<detail::TopicKeeper<M>>)) {
        return false;
      }
      list.push_back(subscriber);
      return true;
    });
  }
  template <class A>
  bool subscribe(const ActorRef<A>& subscriber) const {
    return subscribe(Recipient<M>(subscriber));
  }

  // Any thread. No publish made after this reaches `who` (one running
  // concurrently may). False if it was not subscribed.
  bool unsubscribe(const ActorAddress& who) const {
    detail::CellBase* target = detail::AddressAccess::cell(who);
    if (target == nullptr) return false;
    detail::CellBase* keeper = detail::RefAccess<detail::TopicKeeper<M>>::cell(shared_->keeper);
    return shared_->subscribers->update([&](std::vector<Recipient<M>>& list) {
      const auto removed = std::erase_if(list, [&](const Recipient<M>& r) { return r.address() == who; });
      if (removed == 0) return false;
      (void)detail::tie_remove(target, keeper, detail::TieKind::kWatch);
      return true;
    });
  }
  template <class A>
  bool unsubscribe(const ActorRef<A>& who) const {
    return unsubscribe(who.address());
  }
  bool unsubscribe(const Recipient<M>& who) const { return unsubscribe(who.address()); }

  // Any thread. Tells a copy of `msg` to each current subscriber; returns how
  // many accepted it (refusals: stopped, or a full bounded mailbox).
  std::size_t publish(const M& msg) const {
    const std::shared_ptr<const std::vector<Recipient<M>>> now = shared_->subscribers->read();
    std::size_t accepted = 0;
    for (const Recipient<M>& r : *now) {
      if (r.tell(msg)) ++accepted;
    }
    return accepted;
  }

  // Any thread. How many are subscribed now.
  std::size_t subscriber_count() const { return shared_->subscribers->read()->size(); }

 private:
  using Shared = detail::TopicShared<M>;

  explicit Topic(std::shared_ptr<Shared> shared) noexcept : shared_(std::move(shared)) {}

  template <class Spawn>
  static std::shared_ptr<Shared> make_shared_state(Spawn&& spawn) {
    auto subscribers = std::make_shared<detail::Subscribers<M>>();
    ActorRef<detail::TopicKeeper<M>> keeper = spawn(subscribers);
    try {
      return std::make_shared<Shared>(std::move(subscribers), keeper);
    } catch (...) {
      keeper.stop();
      throw;
    }
  }

  std::shared_ptr<Shared> shared_;
};

}  // namespace tact
