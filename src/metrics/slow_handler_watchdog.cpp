#include "metrics/slow_handler_watchdog.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "metrics/metrics_hub.hpp"
#include "sync/thread.hpp"
#include "tact/detail/clock.hpp"

namespace tact::detail {

void SlowHandlerWatchdog::start() {
  if (config_.slow_handler.count() <= 0 || !config_.metrics) return;
  thread_ = start_thread([this] { run(); });
}

void SlowHandlerWatchdog::stop() {
  {
    std::lock_guard<Mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) join_thread(thread_);
}

void SlowHandlerWatchdog::run() {
  const auto period = std::max<std::chrono::steady_clock::duration>(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.slow_handler) / 4,
      std::chrono::milliseconds(1));
  std::unique_lock<Mutex> lock(mutex_);
  while (!stopping_) {
    (void)wake_.wait_until(lock, steady_now() + period);
    if (stopping_) break;
    lock.unlock();
    look(steady_now());
    lock.lock();
  }
}

void SlowHandlerWatchdog::look(std::chrono::steady_clock::time_point now) {
  struct Report {
    std::string_view actor_class;
    std::chrono::nanoseconds running;
    std::size_t worker;
  };
  std::vector<Report> reports;
  // Under the hub's lock: only reads and this thread's own state.
  hub_.for_each_worker([&](const ThreadMetrics& worker, std::size_t index) {
    if (index >= seen_.size()) seen_.resize(index + 1);
    Seen& seen = seen_[index];
    const std::uint64_t turns = worker.turns_finished();
    const ActorVTable* running = worker.running_class();
    if (worker.activity() != WorkerActivity::kBusy || running == nullptr || turns != seen.turns ||
        running != seen.running) {
      seen = {turns, running, now, false};  // progress (or idle): start watching afresh
      return;
    }
    const auto running_for = now - seen.since;
    if (seen.reported || running_for < config_.slow_handler) return;
    seen.reported = true;
    reports.push_back({running->name, std::chrono::duration_cast<std::chrono::nanoseconds>(running_for), index});
  });
  // Outside it: the hook may take its own locks, or read rt.metrics().
  for (const Report& report : reports) {
    hub_.count_slow_handler();
    if (config_.on_slow_handler) {
      try {
        config_.on_slow_handler(report.actor_class, report.running);
      } catch (...) {
        // A hook that throws: the report is counted all the same.
      }
    } else {
      std::fprintf(stderr, "tact: slow handler: an actor of class %.*s has been running for %lld ms (worker %zu)\n",
                   static_cast<int>(report.actor_class.size()), report.actor_class.data(),
                   static_cast<long long>(report.running.count() / 1000000), report.worker);
    }
  }
}

}  // namespace tact::detail
