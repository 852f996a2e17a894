// Which messages are timed. Reading the clock for every message would cost
// more than the rest of a hop's bookkeeping, so a sending thread stamps one
// message in kSamplePeriod with the time it was sent (Envelope::sent_at); the
// runner times only stamped messages: the wait from the stamp to the handler's
// start, and the handler. Every thread counts its own sends, so each message
// is sampled with probability 1/kSamplePeriod whatever its class; a class's
// histograms hold about messages/kSamplePeriod samples (docs/metrics.md gives
// the resulting quantile error).
#pragma once

#include <cstdint>

#include "metrics/ticks.hpp"

namespace tact::detail {

inline constexpr std::uint32_t kSamplePeriod = 32;

// The calling thread's countdown to its next stamped send (sampling.cpp).
// __thread: one load, no TLS wrapper call.
extern __thread std::uint32_t t_sends_to_sample;

// Any thread, once per message sent: the stamp for it, 0 if not sampled. A
// stamp is never 0 (bit 0 set: it costs half a tick of resolution).
inline std::uint64_t send_stamp() noexcept {
  if (--t_sends_to_sample != 0) [[likely]] return 0;
  t_sends_to_sample = kSamplePeriod;
  return read_ticks() | 1;
}

}  // namespace tact::detail
