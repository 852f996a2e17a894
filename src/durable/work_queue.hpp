// WorkQueue: a few threads of the durable host's own, running jobs in order
// of arrival, and jobs due later. The host keeps two: storage (each
// incarnation's JetStream calls) and routing (requests sent to other nodes,
// which may wait on a paused node), so a slow node never holds up renewals.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tact::nats::durable {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using Job = std::function<void()>;

  explicit WorkQueue(int threads);
  // Runs what is queued and due, drops what is due later, and joins.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void run(Job job);
  void run_at(Clock::time_point when, Job job);

 private:
  void serve();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> now_;
  std::multimap<Clock::time_point, Job> later_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tact::nats::durable
