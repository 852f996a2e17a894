// The intrusive link every mailbox message (envelope) starts with.
#pragma once

#include "tact/detail/atomic.hpp"

namespace tact::detail {

struct MpscNode {
  // Written by the producer that links the next node (release), read by the
  // consumer (acquire); see src/mailbox/mpsc_queue.hpp.
  Atomic<MpscNode*> next{nullptr};
};

}  // namespace tact::detail
