// DurableHost (include/tact/nats/durable.hpp): the JetStream store, the
// storage threads that run each incarnation's blocking calls, and the slots
// (one lease and one journal per incarnation).
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "durable/jetstream.hpp"
#include "durable/journal.hpp"
#include "durable/lease.hpp"
#include "tact/nats/durable.hpp"

namespace tact::nats::detail {

class DurableSlot {
 public:
  DurableSlot(durable::JetStream& store, const std::string& name, const std::string& holder)
      : journal(store, name), lease(store, name, holder) {}
  durable::Journal journal;
  durable::Lease lease;
};

class DurableHostImpl {
 public:
  explicit DurableHostImpl(const DurableOptions& options)
      : options_(options), store_(store_config(options)), holder_(options.node + "/" + random_token()) {
    const int threads = options.threads > 0 ? options.threads : 1;
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { serve(); });
  }
  ~DurableHostImpl() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();  // after the queue is drained
  }
  DurableHostImpl(const DurableHostImpl&) = delete;
  DurableHostImpl& operator=(const DurableHostImpl&) = delete;

  void run(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

  durable::JetStream& store() noexcept { return store_; }
  const DurableOptions& options() const noexcept { return options_; }
  const std::string& holder() const noexcept { return holder_; }
  std::string new_request_id() {
    return holder_ + "-" + std::to_string(next_request_.fetch_add(1, std::memory_order_relaxed));
  }

 private:
  static durable::StoreConfig store_config(const DurableOptions& options) {
    durable::StoreConfig config;
    config.servers = options.servers;
    config.cluster = options.cluster;
    config.replicas = options.replicas;
    config.lease = options.lease;
    config.request_timeout = options.append_timeout;
    return config;
  }
  static std::string random_token() {
    std::random_device device;
    std::mt19937_64 random((static_cast<std::uint64_t>(device()) << 32) ^ device() ^
                           static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(random()));
    return text;
  }
  void serve() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // closing, and nothing left
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  DurableOptions options_;
  durable::JetStream store_;
  std::string holder_;  // node name + a token of this process: its leases
  std::atomic<std::uint64_t> next_request_{1};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

namespace {
std::chrono::steady_clock::time_point append_deadline(DurableHostImpl* host) {
  return std::chrono::steady_clock::now() + host->options().append_timeout;
}

// Runs `work` on a storage thread and answers the Reply with its result.
template <class R, class F>
Reply<R> on_storage_thread(DurableHostImpl* host, F work) {
  auto [promise, reply] = Promise<R>::make();
  auto shared = std::make_shared<Promise<R>>(std::move(promise));
  host->run([shared, work = std::move(work)]() mutable {
    try {
      shared->set_value(work());
    } catch (...) {
      shared->set_error(std::current_exception());
    }
  });
  return std::move(reply);
}
}  // namespace

std::shared_ptr<DurableSlot> durable_slot(DurableHostImpl* host, const std::string& name) {
  return std::make_shared<DurableSlot>(host->store(), name, host->holder());
}

DurableConfigView durable_config(DurableHostImpl* host) noexcept {
  const DurableOptions& o = host->options();
  return DurableConfigView{o.lease, o.append_timeout, o.idle, o.snapshot_every, o.recent_requests};
}

const std::string& durable_node(DurableHostImpl* host) noexcept { return host->holder(); }

Reply<DurableRecovered> durable_activate(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot) {
  return on_storage_thread<DurableRecovered>(host, [host, slot]() {
    DurableRecovered out;
    if (!slot->lease.acquire()) {
      out.held_elsewhere = !slot->lease.last_error();
      out.error = out.held_elsewhere ? "held by " + slot->lease.holder() : slot->lease.last_error().text;
      return out;
    }
    durable::Journal::Recovered recovered = slot->journal.recover(append_deadline(host));
    if (recovered.error) {
      slot->lease.release();
      out.error = recovered.error.text.empty() ? "the store failed" : recovered.error.text;
      return out;
    }
    if (recovered.snapshot) {
      out.state = std::move(recovered.snapshot->state);
      out.recent = std::move(recovered.snapshot->recent);
    }
    out.records = std::move(recovered.records);
    return out;
  });
}

Reply<DurableAppend> durable_append(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot,
                                    DurableRecord record) {
  return on_storage_thread<DurableAppend>(host, [host, slot, record = std::move(record)]() {
    durable::AppendResult result = slot->journal.append(record, append_deadline(host));
    switch (result.outcome) {
      case durable::Appended::kStored:
        return DurableAppend::kStored;
      case durable::Appended::kFenced:
        return DurableAppend::kFenced;
      case durable::Appended::kUncertain:
        break;
    }
    return DurableAppend::kUncertain;
  });
}

Reply<bool> durable_snapshot(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot, std::string state,
                             std::vector<std::pair<std::string, std::string>> recent) {
  return on_storage_thread<bool>(host, [slot, state = std::move(state), recent = std::move(recent)]() mutable {
    durable::Snapshot snapshot{slot->journal.last_sequence(), std::move(state), std::move(recent)};
    return slot->journal.save_snapshot(snapshot);
  });
}

Reply<bool> durable_renew(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot) {
  return on_storage_thread<bool>(host, [slot]() { return slot->lease.renew(); });
}

void durable_release(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot) {
  host->run([slot]() { slot->lease.release(); });
}

bool durable_lease_held(const DurableSlot& slot) noexcept { return slot.lease.held(); }

std::uint64_t durable_lease_epoch(const DurableSlot& slot) noexcept { return slot.lease.revision(); }

std::string durable_new_request_id(DurableHostImpl* host) { return host->new_request_id(); }

}  // namespace tact::nats::detail

namespace tact::nats {

DurableHost::DurableHost(Runtime& runtime, DurableOptions options)
    : runtime_(runtime),
      impl_(std::make_shared<detail::DurableHostImpl>(options)),
      registry_(std::make_shared<detail::DurableRegistry>()) {}

DurableHost::~DurableHost() {
  std::vector<std::function<void()>> stops;
  {
    std::lock_guard<std::mutex> lock(registry_->mutex);
    registry_->closing = true;
    for (auto& [name, running] : registry_->running) stops.push_back(running.stop);
  }
  for (auto& stop : stops) stop();
  {
    // Each finishes the request it is in (its append has a deadline), then
    // stops; queued asks are answered OwnershipLost (the host is closing).
    std::unique_lock<std::mutex> lock(registry_->mutex);
    registry_->none_left.wait_for(lock, impl_->options().append_timeout * 2 + std::chrono::seconds(2),
                                  [&] { return registry_->alive == 0; });
  }
  // impl_'s storage threads finish the queued jobs (lease releases) and end.
}

std::size_t DurableHost::running() const {
  std::lock_guard<std::mutex> lock(registry_->mutex);
  return registry_->running.size();
}

}  // namespace tact::nats
