#include "actor/shutdown_hooks.hpp"

#include <algorithm>
#include <mutex>

#include "tact/errors.hpp"

namespace tact::detail {

std::uint64_t ShutdownHooks::add(std::function<void()> fn) {
  std::lock_guard<Mutex> lock(mutex_);
  if (started_) throw Error("tact: on_shutdown after Runtime::shutdown() began");
  const std::uint64_t id = next_id_++;
  hooks_.emplace_back(id, std::move(fn));
  return id;
}

void ShutdownHooks::remove(std::uint64_t id) noexcept {
  std::unique_lock<Mutex> lock(mutex_);
  // From inside the hook itself there is nothing to wait for.
  if (running_ == id && runner_ != std::this_thread::get_id()) {
    done_.wait(lock, [&] { return running_ != id; });
  }
  auto it = std::find_if(hooks_.begin(), hooks_.end(), [&](const auto& hook) { return hook.first == id; });
  if (it != hooks_.end()) hooks_.erase(it);
}

void ShutdownHooks::run_all() noexcept {
  std::unique_lock<Mutex> lock(mutex_);
  if (started_) return;
  started_ = true;
  while (!hooks_.empty()) {
    auto [id, fn] = std::move(hooks_.back());
    hooks_.pop_back();
    running_ = id;
    runner_ = std::this_thread::get_id();
    lock.unlock();
    fn();  // noexcept context: a throwing hook terminates (documented)
    fn = nullptr;  // what it captured goes before its remover is released
    lock.lock();
    running_ = 0;
    done_.notify_all();
  }
}

}  // namespace tact::detail
