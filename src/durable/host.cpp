// DurableHost (include/tact/nats/durable.hpp): the JetStream store, the
// storage threads that run each incarnation's blocking calls, and the slots
// (one lease and one journal per incarnation).
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>

#include "durable/host_impl.hpp"

namespace tact::nats::detail {

namespace {
std::string random_token() {
  std::random_device device;
  std::mt19937_64 random((static_cast<std::uint64_t>(device()) << 32) ^ device() ^
                         static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(random()));
  return text;
}

durable::StoreConfig store_config(const DurableOptions& options) {
  durable::StoreConfig config;
  config.servers = options.servers;
  config.randomize_servers = options.randomize_servers;
  config.cluster = options.cluster;
  config.replicas = options.replicas;
  config.lease = options.lease;
  config.request_timeout = options.append_timeout;
  return config;
}
// TACT_DURABLE_FAULT=answer-before-append: the deliberate fault the fault
// test's checker must catch (docs/durable.md). Any other value is refused.
bool fault_from_environment() {
  const char* fault = std::getenv("TACT_DURABLE_FAULT");
  if (fault == nullptr || *fault == '\0') return false;
  const std::string_view name(fault);
  if (name != "answer-before-append") {
    throw tact::Error("tact::nats durable: TACT_DURABLE_FAULT='" + std::string(name) +
                      "' is not a fault this build knows (answer-before-append)");
  }
  std::fprintf(stderr, "tact::nats durable: TACT_DURABLE_FAULT=answer-before-append: answers are "
                       "sent before their records are stored (a deliberate fault, for testing)\n");
  return true;
}
}  // namespace

DurableHostImpl::DurableHostImpl(const DurableOptions& options)
    : options_(options),
      answer_before_append_(fault_from_environment()),
      store_(store_config(options)),
      holder_(options.node + "/" + random_token()),
      storage_(options.threads),
      routing_(2) {
  if (!options_.hosts_actors) return;  // a client: nothing is sent here
  auto take = [](natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
    static_cast<DurableHostImpl*>(self)->take_request(msg);
  };
  const std::string subject = inbox_of(holder_);
  natsStatus status = natsConnection_Subscribe(&subscription_, store_.connection(), subject.c_str(), take, this);
  const std::string any = any_host_subject();
  if (status == NATS_OK) {
    status = natsConnection_QueueSubscribe(&any_subscription_, store_.connection(), any.c_str(), "tact-durable-hosts",
                                           take, this);
  }
  if (status != NATS_OK) {
    natsSubscription_Destroy(subscription_);
    throw tact::Error(std::string("tact::nats durable: subscribing to ") + subject + " and " + any +
                      " failed: " + natsStatus_GetText(status));
  }
}

DurableHostImpl::~DurableHostImpl() {
  // Appends still waiting for their acks end now (the storage threads are
  // still here for what they schedule).
  store_.publisher().close();
  // No callback runs once this returns; then the queues finish their work.
  for (natsSubscription* subscription : {subscription_, any_subscription_}) {
    if (subscription == nullptr) continue;
    natsSubscription_Unsubscribe(subscription);
    natsSubscription_WaitForDrainCompletion(subscription, 0);
    natsSubscription_Destroy(subscription);
  }
}

std::string DurableHostImpl::any_host_subject() const { return "tact." + options_.cluster + ".durable.any"; }

std::string DurableHostImpl::inbox_of(const std::string& holder) const {
  return "tact." + options_.cluster + ".durable.to." + durable::JetStream::key_of(holder);
}

namespace {
std::chrono::steady_clock::time_point append_deadline(DurableHostImpl* host) {
  return std::chrono::steady_clock::now() + host->options().append_timeout;
}

// Runs `work` on a storage thread and answers the Reply with its result.
template <class R, class F>
Reply<R> on_storage_thread(DurableHostImpl* host, F work) {
  auto [promise, reply] = Promise<R>::make();
  auto shared = std::make_shared<Promise<R>>(std::move(promise));
  host->storage().run([shared, work = std::move(work)]() mutable {
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
  return DurableConfigView{o.lease,          o.ask_timeout,     o.idle, o.snapshot_every,
                           o.recent_requests, host->answer_before_append()};
}

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

namespace {
DurableAppended outcome_of(const durable::AppendResult& result) {
  switch (result.outcome) {
    case durable::Appended::kStored:
      return {DurableAppend::kStored, {}};
    case durable::Appended::kFenced:
      return {DurableAppend::kFenced, "another node appended to its log since"};
    case durable::Appended::kUncertain:
      break;
  }
  return {DurableAppend::kUncertain, describe(result.error)};
}

// One append on its way: answered (stored) first, then the incarnation.
struct PendingAppend {
  DurableHostImpl* host;
  std::shared_ptr<DurableSlot> slot;
  DurableRecord record;
  std::chrono::steady_clock::time_point deadline;
  std::function<void(const std::string&)> stored;
  Promise<DurableAppended> promise;
  void finish(DurableAppended outcome) {
    if (outcome.outcome == DurableAppend::kStored && stored) stored(record.answer);
    promise.set_value(std::move(outcome));
  }
};
}  // namespace

Reply<DurableAppended> durable_append(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot, DurableRecord record,
                                    std::function<void(const std::string&)> stored) {
  if (host->answer_before_append()) {
    // The deliberate fault writes behind: the answer went out already, and
    // the record waits a while, as a write-back cache would make it.
    return on_storage_thread<DurableAppended>(host, [host, slot, record = std::move(record)]() {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return outcome_of(slot->journal.append(record, append_deadline(host)));
    });
  }
  auto [promise, reply] = Promise<DurableAppended>::make();
  auto pending = std::make_shared<PendingAppend>(PendingAppend{host, std::move(slot), std::move(record),
                                                               append_deadline(host), std::move(stored),
                                                               std::move(promise)});
  // One try sent from this (the incarnation's) thread, its ack taken on
  // nats.c's: no storage thread on the common path.
  pending->slot->journal.append_async(pending->record, pending->deadline, [pending](const durable::AppendResult& first) {
    if (first.outcome == durable::Appended::kStored || first.error.status == NATS_CONNECTION_CLOSED) {
      pending->finish(outcome_of(first));  // stored, or the host is closing
      return;
    }
    // Refused, timed out, or no leader: settled by the blocking append (the
    // same id and fence, retried; a 10071 read back from the leader).
    pending->host->storage().run([pending]() {
      pending->finish(outcome_of(pending->slot->journal.append(pending->record, pending->deadline)));
    });
  });
  return std::move(reply);
}

void durable_snapshot(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot, std::uint64_t sequence,
                      std::string state, std::vector<std::pair<std::string, std::string>> recent) {
  {
    std::lock_guard<std::mutex> lock(slot->snapshot_mutex);
    if (slot->snapshot_saving) return;  // the one before is still on its way
    slot->snapshot_saving = true;
  }
  host->storage().run([slot, sequence, state = std::move(state), recent = std::move(recent)]() mutable {
    durable::Snapshot snapshot{sequence, std::move(state), std::move(recent)};
    (void)slot->journal.save_snapshot(snapshot);  // false: a newer one is there, or the store failed
    std::lock_guard<std::mutex> lock(slot->snapshot_mutex);
    slot->snapshot_saving = false;
  });
}

std::uint64_t durable_last_sequence(const DurableSlot& slot) noexcept { return slot.journal.last_sequence(); }

Reply<bool> durable_renew(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot) {
  return on_storage_thread<bool>(host, [slot]() { return slot->lease.renew(); });
}

void durable_release(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot) {
  host->storage().run([slot]() { slot->lease.release(); });
}

bool durable_lease_held(const DurableSlot& slot) noexcept { return slot.lease.held(); }

void durable_answered(DurableHostImpl* host, const DurableSlot& slot, const std::string& request_id,
                      bool recorded, std::chrono::steady_clock::time_point decided) noexcept {
  const auto& on_answer = host->options().on_answer;
  if (!on_answer) return;
  DurableAnswer answer;
  answer.actor = slot.journal.name();
  answer.request_id = request_id;
  answer.epoch = slot.lease.epoch();
  answer.recorded = recorded;
  answer.decided = decided;
  try {
    on_answer(answer);
  } catch (...) {
    // A history's trouble is not the ask's: the answer goes out regardless.
  }
}

std::string durable_new_request_id(DurableHostImpl* host) { return host->new_request_id(); }

bool durable_hosts_actors(DurableHostImpl* host) noexcept { return host->options().hosts_actors; }

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
