// tact::Driver: a host thread's guest Worker (src/scheduler/worker.hpp).
#include "tact/driver.hpp"

#include <exception>
#include <stdexcept>
#include <string>

#include "actor/runtime_core.hpp"
#include "scheduler/worker.hpp"
#include "tact/runtime.hpp"

namespace tact {

Driver::Driver(Runtime& runtime) : core_(runtime.core_), thread_(std::this_thread::get_id()) {
  if (detail::current_worker_any() != nullptr) {
    throw std::logic_error("tact::Driver: a runtime worker thread (or a handler) cannot be a driver");
  }
  if (detail::driver_guest() != nullptr) {
    throw std::logic_error("tact::Driver: this thread already has a Driver");
  }
  guest_ = new detail::Worker(core_->scheduler(), detail::Worker::GuestTag{});
  core_->add_ref();  // the scheduler stays (stopped, maybe) while we point at it
  detail::set_driver_guest(guest_);
}

Driver::~Driver() {
  // Destroyed elsewhere, the owner thread would keep a dangling guest pointer.
  if (std::this_thread::get_id() != thread_) std::terminate();
  detail::set_driver_guest(nullptr);
  guest_->wake_deferred();  // our last sends are the workers' now
  delete guest_;
  core_->drop_ref();
}

void Driver::check_thread(const char* what) const {
  if (std::this_thread::get_id() != thread_) {
    throw std::logic_error(std::string("tact::Driver::") + what + ": not the driver's thread");
  }
  if (detail::current_worker_any() != nullptr) {
    throw std::logic_error(std::string("tact::Driver::") + what + ": called from inside a handler");
  }
}

std::size_t Driver::run_ready(std::size_t max_turns) {
  check_thread("run_ready");
  return guest_->run_ready(max_turns);
}

}  // namespace tact
