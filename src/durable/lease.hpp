// Lease: which node runs a durable actor, as an entry in the JetStream KV
// bucket TACT_<cluster>_LEASES (key: the actor's name, value: the holder).
// Taken with create-if-absent (or over a released entry, revision-checked),
// renewed with revision-checked updates; the bucket's TTL ends a lease whose
// holder stopped renewing.
//
// A lease is not what keeps two owners apart: on nats-server 2.9 each replica
// expires entries on its own clock (nats-server#3653), so two nodes may
// briefly both think they hold it. The event log's fencing (event_log.hpp)
// is what makes a stale owner's writes fail. The lease keeps the common case
// to one owner, and bounds reads: a holder answers only while
// valid_until() is in the future, which ends before any replica can expire
// the entry (it is reckoned from before the write was sent).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "durable/jetstream.hpp"

namespace tact::nats::durable {

class Lease {
 public:
  using Clock = std::chrono::steady_clock;

  Lease(JetStream& store, std::string name, std::string holder);

  // Takes the lease if nobody holds it. True: held until valid_until().
  bool acquire();
  // Extends a held lease. False: lost (someone else took it after it lapsed,
  // or the store did not answer before valid_until()); then held() is false.
  bool renew();
  // Gives a held lease back at once (a revision-checked write of an empty
  // holder), so the next node need not wait for the TTL.
  void release();

  bool held() const noexcept { return revision_ != 0 && Clock::now() < valid_until_; }
  Clock::time_point valid_until() const noexcept { return valid_until_; }
  // Who holds it as far as the store says ("": nobody). A hint for routing:
  // any replica may answer (AllowDirect), so it may lag a hand-over briefly.
  std::string holder() const;
  const StoreError& last_error() const noexcept { return error_; }

 private:
  void note_written(std::uint64_t revision, Clock::time_point sent);

  JetStream& store_;
  std::string key_;
  std::string holder_;
  std::uint64_t revision_ = 0;  // of our entry; 0: not held
  Clock::time_point valid_until_{};
  StoreError error_;
};

}  // namespace tact::nats::durable
