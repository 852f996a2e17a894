// SharedSnapshot<T>: a value many threads read often and few change (a topic's
// subscribers, a pool's members). Readers take an immutable snapshot (a
// shared_ptr<const T>) and use it without a lock; a writer copies the current
// value, changes the copy and publishes it. A reader keeps the snapshot it took:
// a change made meanwhile shows in the next one.
//
// Two spin locks, through detail::Atomic (the simulation build's seam): `swap_`
// guards only the pointer copy (a few instructions, so readers never wait long),
// `write_` serializes writers across their whole read-copy-publish. A writer's
// callback must not block on another writer of the same snapshot.
#pragma once

#include <memory>
#include <thread>
#include <type_traits>
#include <utility>

#include "tact/detail/atomic.hpp"

namespace tact::detail {

class SpinLock {
 public:
  void lock() noexcept {
    // acquire: pairs with the release in unlock; what the previous holder
    // wrote under the lock is visible to this one.
    while (locked_.exchange(true, acquire)) {
      // relaxed: only a hint to stop spinning; the exchange above decides.
      while (locked_.load(relaxed)) std::this_thread::yield();
    }
  }
  void unlock() noexcept {
    locked_.store(false, release);  // release: pairs with the acquire in lock
  }

 private:
  Atomic<bool> locked_{false};
};

template <class T>
class SharedSnapshot {
 public:
  SharedSnapshot() : current_(std::make_shared<const T>()) {}

  // Any thread. The value now; never null.
  std::shared_ptr<const T> read() const noexcept {
    swap_.lock();
    std::shared_ptr<const T> snapshot = current_;
    swap_.unlock();
    return snapshot;
  }

  // Any thread. `change(T& copy)` edits a copy of the current value and returns
  // what update returns; the copy is published when change returns normally
  // (nothing is when it throws). Writers run one at a time.
  template <class F>
  auto update(F&& change) {
    write_.lock();
    struct Unlock {
      SpinLock& lock;
      ~Unlock() { lock.unlock(); }
    } unlock{write_};
    auto copy = std::make_shared<T>(*read());
    if constexpr (std::is_void_v<decltype(change(*copy))>) {
      change(*copy);
      publish(std::move(copy));
    } else {
      auto result = change(*copy);
      publish(std::move(copy));
      return result;
    }
  }

 private:
  void publish(std::shared_ptr<T> next) noexcept {
    std::shared_ptr<const T> old = std::move(next);
    swap_.lock();
    current_.swap(old);
    swap_.unlock();
    // `old` goes here, outside the lock (its destructor may free a whole list).
  }

  mutable SpinLock swap_;
  SpinLock write_;
  std::shared_ptr<const T> current_;
};

}  // namespace tact::detail
