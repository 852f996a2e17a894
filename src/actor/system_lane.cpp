#include "actor/system_lane.hpp"

#include <cassert>
#include <new>

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"

namespace tact::detail {
namespace {

// What the main mailbox carries for a lane message: nothing to do when handled;
// it only schedules an idle actor and, on a stopped one, makes whoever holds the
// rights reject the lane too.
struct NudgeEnvelope final : Envelope {
  NudgeEnvelope() noexcept : Envelope(&run) {}
  static void run(Envelope* self, CellBase*, void*, EnvelopeOp op) noexcept {
    if (op == EnvelopeOp::kFree) delete static_cast<NudgeEnvelope*>(self);
  }
};

}  // namespace

SystemLane::~SystemLane() {
  // The cell's memory goes: nobody pushes any more, and every lane message was
  // handled or rejected (a sender holds a reference until its nudge is queued,
  // and the nudge makes the rights holder reject the lane): at most the last
  // handled shell is left.
  MpscNode* retired = nullptr;
  assert(queue_.empty() && "tact: a system message outlived its actor");
  if (queue_.try_mark_empty(retired)) free_retired(retired);
}

Envelope* SystemLane::pop() noexcept {
  MpscNode* retired = nullptr;
  MpscNode* node = queue_.pop(retired);
  free_retired(retired);
  return static_cast<Envelope*>(node);
}

void SystemLane::release() noexcept {
  MpscNode* retired = nullptr;
  // A false return (a push in progress) keeps the shell until the next drain:
  // that push's sender raises the flag and nudges.
  if (queue_.try_mark_empty(retired)) free_retired(retired);
}

bool lane_deliver(Cell* cell, Envelope* envelope, bool counted) noexcept {
  CellExtras* extras;
  try {
    extras = &extras_or_make(cell);
  } catch (const std::bad_alloc&) {
    // No memory for the lane: the message keeps its place in the main mailbox.
    if (counted) return cell_deliver_reserved(cell, envelope);
    return cell_deliver(cell, envelope);
  }
  extras->lane.push(envelope);
  // release: pairs with the runner's acquire fetch_and (turn.cpp); the push's
  // link is then visible to its pop. Always the RMW, never a look first: a
  // flag seen up may be on its way down, before our push was drained.
  cell->sender_flags.fetch_or(Cell::kSystemMail, release);
  // Not cell_deliver: the nudge must reach whoever holds the rights even on a
  // stopped cell, so that one rejects what we queued in the lane.
  // The nudge is what a bounded mailbox counts: the place a user message
  // reserved, or a system message's count (the runner uncounts main-mailbox
  // messages only).
  return cell_deliver_through_mailbox(cell, new NudgeEnvelope(), counted);
}

void lane_reject_all(Cell* cell) noexcept {
  // The lane itself is looked at, not the flag: a stop handled from the lane
  // comes here with the flag down and the lane's later messages still in it.
  // acquire (in extras_if_any): the extras a sender made are seen; a sender
  // whose extras we miss nudges after, and its nudge makes the rights holder
  // look again (reject_all_and_release_rights).
  CellExtras* extras = extras_if_any(cell);
  if (extras == nullptr) return;  // no lane: nothing was ever queued there
  // relaxed: we drain below; a sender still in flight raises it again and nudges.
  if ((cell->sender_flags.load(relaxed) & Cell::kSystemMail) != 0) {
    cell->sender_flags.fetch_and(static_cast<unsigned char>(~Cell::kSystemMail), relaxed);
  }
  while (Envelope* envelope = extras->lane.pop()) {
    envelope->fn(envelope, cell, nullptr, EnvelopeOp::kReject);
  }
  extras->lane.release();
}

}  // namespace tact::detail
