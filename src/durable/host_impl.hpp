// The durable host's state (include/tact/nats/durable.hpp): the JetStream
// store, the storage and routing threads, the slots, the subscription other
// nodes send requests to. host.cpp has the storage calls, routing.cpp the
// requests between nodes.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "durable/jetstream.hpp"
#include "durable/journal.hpp"
#include "durable/lease.hpp"
#include "durable/work_queue.hpp"
#include "tact/nats/durable.hpp"

namespace tact::nats::detail {

class DurableSlot {
 public:
  DurableSlot(durable::JetStream& store, const std::string& name, const std::string& holder)
      : journal(store, name), lease(store, name, holder) {}
  durable::Journal journal;
  durable::Lease lease;
  // A checkpoint is being saved (durable_snapshot): one at a time, as the
  // journal's checkpoint revision is not shared between threads.
  std::mutex snapshot_mutex;
  bool snapshot_saving = false;
};

class DurableHostImpl {
 public:
  explicit DurableHostImpl(const DurableOptions& options);
  // Unsubscribes (no request runs after), then finishes the queued work.
  ~DurableHostImpl();
  DurableHostImpl(const DurableHostImpl&) = delete;
  DurableHostImpl& operator=(const DurableHostImpl&) = delete;

  durable::JetStream& store() noexcept { return store_; }
  const DurableOptions& options() const noexcept { return options_; }
  // This process's lease holder: the node's name and a token of the process.
  const std::string& holder() const noexcept { return holder_; }
  std::string new_request_id() {
    return holder_ + "-" + std::to_string(next_request_.fetch_add(1, std::memory_order_relaxed));
  }
  // The subject a holder's host takes requests on.
  std::string inbox_of(const std::string& holder) const;
  // The subject every host that runs actors takes requests on, in one queue
  // group: a client-only host sends an actor nobody runs there, and one of
  // them activates it.
  std::string any_host_subject() const;

  // TACT_DURABLE_FAULT=answer-before-append in the environment: the
  // deliberate fault the fault test's checker must catch (docs/durable.md).
  bool answer_before_append() const noexcept { return answer_before_append_; }

  durable::WorkQueue& storage() noexcept { return storage_; }
  durable::WorkQueue& routing() noexcept { return routing_; }

  void serve(std::string class_name, DurableInbound inbound);
  void take_request(natsMsg* msg);  // the subscription's callback (routing.cpp)

 private:
  DurableOptions options_;
  bool answer_before_append_;  // before store_: a bad TACT_DURABLE_FAULT throws before connecting
  durable::JetStream store_;
  std::string holder_;
  std::atomic<std::uint64_t> next_request_{1};
  std::mutex inbound_mutex_;
  std::map<std::string, DurableInbound> inbound_;  // by class name
  natsSubscription* subscription_ = nullptr;      // inbox_of(holder_); none on a client-only host
  natsSubscription* any_subscription_ = nullptr;  // any_host_subject(); none on a client-only host
  // Declared last: destroyed first, so no job outlives what it uses.
  durable::WorkQueue storage_;
  durable::WorkQueue routing_;
};

}  // namespace tact::nats::detail
