// Journal: the owner's side of one durable actor's persistence. What a handled
// command leaves is one Record (its request id, its answer, its events),
// appended as one stream message, fenced (event_log.hpp): all of a command's
// events land together or none do, and the answer is kept with them so that a
// retried request (same id) is answered again after a fail-over, never applied
// twice. A Snapshot (the state at a sequence, plus the recent requests'
// answers) is a checkpoint in the KV bucket: an older one is never wrong, only
// longer to replay from, so reading it from a lagging replica is safe.
//
// Wire (msgpack, version 1; docs/durable.md):
//   Record:   [1, request_id: str, answer: bin, events: [bin, ...]]
//   Snapshot: [1, sequence: uint, state: bin, recent: [[request_id: str, answer: bin], ...]]
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "durable/event_log.hpp"
#include "durable/jetstream.hpp"
#include "tact/nats/detail/durable_abi.hpp"

namespace tact::nats::durable {

// (The same struct the durable-actor templates build: tact/nats/detail/durable_abi.hpp.)
using Record = tact::nats::detail::DurableRecord;

struct Snapshot {
  std::uint64_t sequence = 0;  // the last record the state includes
  std::string state;
  std::vector<std::pair<std::string, std::string>> recent;  // (request id, answer), oldest first
};

// Throw tact::Error naming what is wrong with bad bytes.
std::string encode_record(const Record& record);
Record decode_record(std::string_view bytes);
std::string encode_snapshot(const Snapshot& snapshot);
Snapshot decode_snapshot(std::string_view bytes);

class Journal {
 public:
  using Clock = std::chrono::steady_clock;

  Journal(JetStream& store, std::string name);

  struct Recovered {
    std::optional<Snapshot> snapshot;
    std::vector<Record> records;  // after the snapshot, in order
    std::uint64_t last_sequence = 0;
    StoreError error;  // set: nothing above is complete; do not serve
  };
  // Reads the snapshot and every record after it, up to the last one the
  // stream leader has; later appends are fenced on that one. A record that
  // cannot be decoded fails the recovery (error set): serving from a history
  // with a hole would give wrong answers.
  Recovered recover(Clock::time_point deadline);

  // Appends one record, fenced on the last sequence this journal knows.
  AppendResult append(const Record& record, Clock::time_point deadline);

  // As append(), without waiting (EventLog::append_async): `done` gets the
  // outcome on nats.c's ack thread. kStored is final (last_sequence() moved
  // on before `done` runs); kUncertain is settled by append() of the same
  // record. One at a time: the next append only after `done`.
  void append_async(const Record& record, Clock::time_point deadline,
                    std::function<void(const AppendResult&)> done);

  // Writes a checkpoint, revision-checked, and only over an older one: a
  // checkpoint never goes back. False: a newer one is stored (this owner may be
  // stale; the event log's fencing decides that), or the store failed. Even a
  // stale owner's checkpoint is a true state of the log's prefix it appended.
  bool save_snapshot(const Snapshot& snapshot);

  std::uint64_t last_sequence() const noexcept { return last_sequence_; }
  const std::string& name() const noexcept { return name_; }

 private:
  JetStream& store_;
  std::string name_;
  std::string key_;
  EventLog log_;
  std::uint64_t last_sequence_ = 0;
  std::uint64_t snapshot_revision_ = 0;  // 0: none read or written
};

}  // namespace tact::nats::durable
