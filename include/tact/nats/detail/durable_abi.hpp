// What the durable-actor templates (tact/nats/durable.hpp) call in
// libtact_nats.a: the blocking work on JetStream, run on the host's own
// threads, each answered through a Reply the incarnation co_awaits (so an
// actor waits for its storage without holding a worker).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tact/reply.hpp"

namespace tact::nats::detail {

class DurableHostImpl;
class DurableSlot;  // one incarnation's lease and journal (src/durable/host.cpp)

// What one handled command leaves in the log (src/durable/journal.hpp).
struct DurableRecord {
  std::string request_id;
  std::string answer;
  std::vector<std::string> events;
};

struct DurableRecovered {
  // Empty: recovered. Otherwise why not (the lease is held elsewhere, or the
  // store failed); nothing below is then complete.
  std::string error;
  bool held_elsewhere = false;
  std::optional<std::string> state;  // the snapshot's, if any
  std::vector<std::pair<std::string, std::string>> recent;  // its (request id, answer)s
  std::vector<DurableRecord> records;  // after it
};

enum class DurableAppend : unsigned char { kStored, kFenced, kUncertain };

struct DurableConfigView {
  std::chrono::milliseconds lease;
  std::chrono::milliseconds append_timeout;
  std::chrono::milliseconds idle;
  std::uint32_t snapshot_every;
  std::uint32_t recent_requests;
};

// Any thread.
std::shared_ptr<DurableSlot> durable_slot(DurableHostImpl* host, const std::string& name);
DurableConfigView durable_config(DurableHostImpl* host) noexcept;
const std::string& durable_node(DurableHostImpl* host) noexcept;
// The incarnation's only: one at a time, each awaited before the next.
Reply<DurableRecovered> durable_activate(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot);
Reply<DurableAppend> durable_append(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot,
                                    DurableRecord record);
Reply<bool> durable_snapshot(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot, std::string state,
                             std::vector<std::pair<std::string, std::string>> recent);
Reply<bool> durable_renew(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot);
// Ends the lease (fire and forget); the slot may go after.
void durable_release(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot);
// Between awaits only.
bool durable_lease_held(const DurableSlot& slot) noexcept;
std::uint64_t durable_lease_epoch(const DurableSlot& slot) noexcept;
// A fresh request id (unique across nodes and restarts).
std::string durable_new_request_id(DurableHostImpl* host);

}  // namespace tact::nats::detail
