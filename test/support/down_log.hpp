// DownLog and DownRecorder: an actor that watches what it is told to and keeps
// every tact::Down it receives, for tests to read from their thread.
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include <tact/tact.hpp>

namespace tact::test {

class DownLog {
 public:
  void add(tact::Down down) {
    std::lock_guard<std::mutex> lock(mutex_);
    downs_.push_back(std::move(down));
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return downs_.size();
  }
  tact::Down at(std::size_t i) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return downs_.at(i);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<tact::Down> downs_;
};

struct WatchIt {
  tact::ActorAddress who;
};
struct UnwatchIt {
  tact::ActorAddress who;
};
struct StopRecording {};

class DownRecorder {
 public:
  explicit DownRecorder(DownLog* log) : log_(log) {}
  void handle(WatchIt msg, tact::Context<DownRecorder>& ctx) { ctx.watch(msg.who); }
  void handle(UnwatchIt msg, tact::Context<DownRecorder>& ctx) { ctx.unwatch(msg.who); }
  void handle(StopRecording, tact::Context<DownRecorder>& ctx) { ctx.stop(); }
  void handle(tact::Down down) { log_->add(std::move(down)); }

 private:
  DownLog* log_;
};

}  // namespace tact::test
