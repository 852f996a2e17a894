// Which messages are timed. Reading the clock for every message would cost
// more than the rest of a hop's bookkeeping, so a sending thread stamps one
// message in kSamplePeriod with the time it was sent (actor/sampled_send.hpp);
// only stamped messages are timed: the wait from the stamp to the handler's
// start, and the handler. Every thread counts its own sends, so each message
// is sampled with probability 1/kSamplePeriod whatever its class; a class's
// histograms hold about messages/kSamplePeriod samples (docs/metrics.md gives
// the resulting quantile error).
#pragma once

#include <cstdint>

#include "metrics/ticks.hpp"

namespace tact::detail {

// 256: a sampled message costs ~190 instructions (the sender's stamp and
// pool record, two clock reads, two histogram updates), ~0.75 per message at
// this rate; at 128, fanin's counter (a message is ~18 ns of work) paid 3.4%
// for it (docs/metrics.md). 1M messages/s of a class still give it ~3,900
// samples/s.
inline constexpr std::uint32_t kSamplePeriod = 256;

// A timed message also measures its mailbox's depth: it counts the messages
// queued behind it when its handler starts, following their links (the
// runner's to follow: they are not handed out yet). Up to this many: a deeper
// mailbox reads as this deep.
inline constexpr std::uint64_t kDepthWalkLimit = 1024;
// And not at every timed message: at most once per this interval per class
// (or metered actor) per worker, so that a deep mailbox (fanin's) does not pay
// a long walk every 256 messages; four a second is plenty for a scrape.
inline constexpr std::uint64_t kDepthWalkIntervalNs = 250'000'000;


}  // namespace tact::detail
