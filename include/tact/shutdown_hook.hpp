// tact::ShutdownHook: a function Runtime::shutdown() calls before it drains,
// for what must let go of the runtime's actors first (a tact::nats::Node
// closes: its exposed actors withdrawn, its outstanding remote asks resolved).
//
//   tact::ShutdownHook hook = rt.on_shutdown([&] { server.stop(); });
//
// Hooks run once, on the thread that calls shutdown(), newest first, while the
// actors still run. A hook must not throw (std::terminate) nor call
// rt.shutdown(). Destroying (or reset()) the handle removes the hook; if the
// hook is running on another thread meanwhile, that waits until it returns,
// so whatever the hook uses may be freed right after.
#pragma once

#include <cstdint>
#include <utility>

#include "tact/fwd.hpp"

namespace tact {

class ShutdownHook {
 public:
  ShutdownHook() noexcept = default;
  ~ShutdownHook() { reset(); }
  ShutdownHook(ShutdownHook&& other) noexcept
      : core_(std::exchange(other.core_, nullptr)), id_(std::exchange(other.id_, 0)) {}
  ShutdownHook& operator=(ShutdownHook&& other) noexcept {
    if (this != &other) {
      reset();
      core_ = std::exchange(other.core_, nullptr);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  ShutdownHook(const ShutdownHook&) = delete;
  ShutdownHook& operator=(const ShutdownHook&) = delete;

  // Removes the hook (it will not run; if it is running, waits until it has).
  void reset() noexcept;
  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  friend class Runtime;
  ShutdownHook(detail::RuntimeCore* core, std::uint64_t id) noexcept : core_(core), id_(id) {}
  detail::RuntimeCore* core_ = nullptr;  // holds one reference to it
  std::uint64_t id_ = 0;
};

}  // namespace tact
