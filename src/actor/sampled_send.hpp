// Timing 1 message in kSamplePeriod (metrics/sampling.hpp) at no cost to the
// others: the sender of a sampled message swaps its envelope's function for
// run_sampled and parks the original, with the send's timestamp, in a small
// record the envelope points to (Envelope::sample). The runner's loop calls
// fn as for any message; run_sampled puts the original back, times the
// handler, and records both durations for the actor's class on the worker
// running it. So an unsampled message costs a countdown on its sender and
// nothing on its runner.
#pragma once

#include "tact/detail/envelope.hpp"

namespace tact::detail {

struct Cell;

// The sender, before pushing (the envelope is still its own): samples it
// unless metrics are off or it is sampled already (pushed again). Returns
// the sends until the next sample: kSamplePeriod, or with metrics off 2^32 - 1.
std::uint32_t sample_send(Cell* cell, Envelope* envelope) noexcept;

// The function a sampled envelope carries until it is run (any op).
void run_sampled(Envelope* self, CellBase* cell, void* object, EnvelopeOp op) noexcept;

}  // namespace tact::detail
