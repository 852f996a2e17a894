// EventLog: one durable actor's events in the JetStream stream, appended only
// by its owner and fenced: every append states the sequence of the last event
// its writer has seen, so a stale owner's append fails instead of forking the
// history (nats-server rejects it with JetStream error 10071).
//
// An append that times out is ambiguous: it may have been stored. The writer
// retries with the same message id; if that meets 10071, the last event is
// read back from the stream leader, and if it carries our id, the first try
// landed. On a clustered 2.9 server the expected-sequence check comes before
// the Nats-Msg-Id de-duplication (a retry with a stale expectation gets 10071,
// not "duplicate"), which is why the read-back is needed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "durable/jetstream.hpp"

namespace tact::nats::durable {

enum class Appended : unsigned char {
  kStored,     // the event is in the log at `sequence`
  kFenced,     // someone else appended since `expected`: this writer is stale
  kUncertain,  // no answer within the deadline: stored or not, nobody knows yet
};

struct AppendResult {
  Appended outcome = Appended::kUncertain;
  std::uint64_t sequence = 0;  // kStored: the event's stream sequence
  StoreError error;            // kUncertain: the last error seen
};

struct LastEvent {
  std::uint64_t sequence = 0;  // 0: the actor has no events
  std::string msg_id;          // its Nats-Msg-Id
  StoreError error;            // set when the leader could not be asked
};

class EventLog {
 public:
  EventLog(JetStream& store, std::string name);

  const std::string& subject() const noexcept { return subject_; }

  // From the stream leader (never a lagging follower).
  LastEvent last() const;

  // Appends `data` if the actor's last event is still `expected` (0: it has
  // none). `msg_id` names the attempt: the same id on a retry, and unique in
  // the whole stream (JetStream de-duplicates across subjects). Retries what
  // fails for want of a leader until `deadline`.
  AppendResult append(std::string_view data, const std::string& msg_id, std::uint64_t expected,
                      std::chrono::steady_clock::time_point deadline) const;

  // As append(), without waiting: sends one try and returns; `done` gets its
  // outcome on nats.c's ack thread (async_publisher.hpp). Only kStored is
  // final: kUncertain (a refusal, a timeout, no leader; error says which) is
  // settled by append() with the same id and expectation, which retries and
  // reads the last event back on 10071.
  void append_async(std::string_view data, const std::string& msg_id, std::uint64_t expected,
                    std::chrono::steady_clock::time_point deadline,
                    std::function<void(const AppendResult&)> done) const;

  // Reads the events with sequence in (after, until], in order. `each` gets
  // (sequence, bytes, msg_id). Fails (error set) if they do not all arrive
  // before `deadline`.
  using Visitor = std::function<void(std::uint64_t, std::string_view, std::string_view)>;
  StoreError read(std::uint64_t after, std::uint64_t until, const Visitor& each,
                  std::chrono::steady_clock::time_point deadline) const;

 private:
  JetStream& store_;
  std::string subject_;
};

}  // namespace tact::nats::durable
