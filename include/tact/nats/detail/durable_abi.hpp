// What the durable-actor templates (tact/nats/durable.hpp) call in
// libtact_nats.a: the blocking work on JetStream, run on the host's own
// threads, each answered through a Reply the incarnation co_awaits (so an
// actor waits for its storage without holding a worker).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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
struct DurableAppended {
  DurableAppend outcome = DurableAppend::kUncertain;
  std::string cause;  // not stored: why, in the store's words and what it likely means
};

struct DurableConfigView {
  std::chrono::milliseconds lease;
  std::chrono::milliseconds ask_timeout;
  std::chrono::milliseconds idle;
  std::uint32_t snapshot_every;
  std::uint32_t recent_requests;
  // A deliberate fault, for testing the fault test's checker
  // (TACT_DURABLE_FAULT=answer-before-append, docs/durable.md): answer a
  // command before its record is stored. Never set otherwise.
  bool answer_before_append;
};

// Any thread.
std::shared_ptr<DurableSlot> durable_slot(DurableHostImpl* host, const std::string& name);
DurableConfigView durable_config(DurableHostImpl* host) noexcept;
// The incarnation's only: one at a time, each awaited before the next.
Reply<DurableRecovered> durable_activate(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot);
// Appends `record`; if it is stored, `stored` (when set) gets its answer
// before the Reply does, on the thread that learnt it (nats.c's ack thread, or
// a storage thread after a retry): the ask is answered from there.
Reply<DurableAppended> durable_append(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot,
                                      DurableRecord record, std::function<void(const std::string&)> stored);
// Saves a checkpoint (the state after the record at `sequence`) on a storage
// thread, without the incarnation waiting for it: the next ask is not held up
// by it. Skipped if the slot's previous one is still being saved (an older
// checkpoint is never wrong, only longer to replay from).
void durable_snapshot(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot, std::uint64_t sequence,
                      std::string state, std::vector<std::pair<std::string, std::string>> recent);
// The sequence of the last record this incarnation stored (between awaits only).
std::uint64_t durable_last_sequence(const DurableSlot& slot) noexcept;
Reply<bool> durable_renew(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot);
// Ends the lease (fire and forget); the slot may go after.
void durable_release(DurableHostImpl* host, std::shared_ptr<DurableSlot> slot);
// Between awaits only.
bool durable_lease_held(const DurableSlot& slot) noexcept;
// Tells DurableOptions::on_answer, if set, that the incarnation of `slot`
// answers `request_id` now, as it decided at `decided` (DurableAnswer).
void durable_answered(DurableHostImpl* host, const DurableSlot& slot, const std::string& request_id,
                      bool recorded, std::chrono::steady_clock::time_point decided) noexcept;
// False on a client-only host (DurableOptions::hosts_actors): it runs no actors.
bool durable_hosts_actors(DurableHostImpl* host) noexcept;
// A fresh request id (unique across nodes and restarts).
std::string durable_new_request_id(DurableHostImpl* host);

// -- reaching the node that runs an actor (src/durable/routing.cpp) ---------------------
// Outcomes of a request on the wire (docs/durable.md).
enum class DurableOutcome : unsigned char { kValue = 0, kHandlerFailed = 1, kOwnershipLost = 2, kBadRequest = 3 };

// An ask that found no incarnation here: where to run it. On a routing
// thread: if the lease says another node runs the actor, the request goes
// there (`answered` gets its outcome; that node never forwards it again);
// otherwise, or once the other node is gone, `run_here` is called to activate
// it here, or on a client-only host the request goes to any node that hosts
// actors. `answered` gets kOwnershipLost with a text at the deadline.
struct DurableRoute {
  std::string class_name;
  std::string name;
  std::string request_id;
  std::string command_type;
  std::string command;  // the command's bytes
  std::chrono::steady_clock::time_point deadline;
  std::function<void()> run_here;
  std::function<void(DurableOutcome, std::string)> answered;
  std::string last_problem;  // why the last attempt did not answer (for the deadline's error)
};
void durable_route(DurableHostImpl* host, DurableRoute route);

// A request another node forwarded here, for `class_name`: decode and run it
// (never forwarded again), then `respond` once.
using DurableInbound = std::function<void(std::string name, std::string request_id, std::string command_type,
                                          std::string command,
                                          std::function<void(DurableOutcome, std::string)> respond)>;
void durable_serve(DurableHostImpl* host, std::string class_name, DurableInbound inbound);

}  // namespace tact::nats::detail
