// The turn: what a worker does with a runnable actor (the scheduler's RunTask
// for cells). Three jobs: start or resume the actor, handle up to one budget of
// its mail, and decide where it runs next; plus the runner's side of a stop.
#include <optional>

#include "actor/backpressure.hpp"
#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#include "actor/runtime_core.hpp"
#include "actor/supervision/child.hpp"
#include "actor/system_lane.hpp"
#include "scheduler/worker.hpp"

namespace tact::detail {
namespace {

// The turn ends without muting (the actor parks or stops): whatever its handler
// told is forgotten, and the senders it muted go back to the run queue, since
// it will not catch up meanwhile.
void end_backpressure(Cell* cell) noexcept {
  if (cell->requests.yield) {  // set with the noted receiver, if any (backpressure.cpp)
    cell->requests.yield = false;
    forget_mute();
  }
  clear_overloaded(cell);
}

// The runner stops the actor (see the lifecycle in cell.hpp).
void runner_stop(Cell* cell) noexcept {
  end_backpressure(cell);
  if (cell->runtime()->scheduler().config().mute_senders) {
    // A stopping actor is never paused: what on_stop and the Down notices tell
    // is not noted (the turn's RunningCell restores the running cell after).
    end_turn(nullptr);
  }
  if (child_parks_instead_of_stopping(*cell)) return;  // a supervised child restarts in place
  RuntimeCore* runtime = cell->runtime();
  // release: pairs with the acquire load in cell_deliver; senders that see it
  // reject without pushing.
  cell->gate.store(Cell::kStopped, release);
  void* object = cell->object();
  const bool has_object = !child_object_gone(*cell);  // a supervised child between restarts
  if (has_object && cell->vtable->on_stop != nullptr) {
    try {
      cell->vtable->on_stop(object, cell);
    } catch (...) {
      // on_stop failing cannot un-stop the actor; the stop proceeds.
    }
  }
  extras_on_stop(cell);
  if (has_object) cell->vtable->destroy(object);
  const StopReason reason = cell->stop_reason;  // runner-only: read while we hold the rights
  reject_all_and_release_rights(cell);
  runtime->unregister_live(cell, reason);
  cell_release(cell);  // the reference the registry held while the actor was live
}

}  // namespace

namespace {

// Runs what a parked handler awaited (or, killed, drops it and asks for the stop).
void resume_suspended(Cell* cell) noexcept {
  if (extras_known(cell).suspension.resume()) runner_stop_for_kill(cell);
}

// After a handler (or a resumed one) returned: switches behaviour, parks or
// stops the actor as it asked. True: the turn is over (the runner must return
// without touching the mailbox: parked, it keeps the rights; stopped, it gave
// them back).
[[gnu::always_inline]] inline bool after_handler(Cell* cell) noexcept {
  if (cell->requests.become) {
    cell->requests.become = false;
    CellExtras& extras = extras_known(cell);  // handler_become made them
    extras.behaviour = std::move(extras.next_behaviour);
    cell->switched = !extras.behaviour.empty();
  }
  while (cell->requests.suspend) {
    cell->requests.suspend = false;
    Suspension& suspension = extras_known(cell).suspension;  // handler_suspend made it
    end_backpressure(cell);
    // Written before park(): once parked, a wake may run the actor on another
    // worker at once, and park()'s release is what hands it this flag.
    cell->parked = true;
    if (suspension.park()) return true;
    cell->parked = false;
    // The event (or a kill) came first: resume at once, on this thread.
    resume_suspended(cell);
  }
  if (cell->requests.stop) {
    runner_stop(cell);
    return true;
  }
  return false;
}

// The start of a turn: a kill stops the actor before any more mail.
bool killed_at_turn_start(Cell* cell) noexcept {
  // acquire: pairs with the release CAS in cell_kill.
  if (cell->kill_reason.load(acquire) == 0) return false;
  runner_stop_for_kill(cell);
  runner_stop(cell);
  return true;
}

}  // namespace

namespace {

// With backpressure on, which actor's turn this thread runs, for the duration
// of the turn (a tell from a handler must know its sender: backpressure.hpp).
struct RunningCell {
  RunningCell(Cell* cell, std::uint32_t budget) noexcept : previous(begin_turn(cell, budget)) {}
  ~RunningCell() { end_turn(previous); }
  Cell* const previous;
  RunningCell(const RunningCell&) = delete;
  RunningCell& operator=(const RunningCell&) = delete;
};

// A turn's first job: an actor that has not started runs on_start; one woken
// while parked finishes what its handler awaited. True: the turn is over.
[[gnu::always_inline]] inline bool start_or_resume(Cell* cell, void* object) noexcept {
  if (cell->parked) {
    // Woken (or killed) while parked: finish what the handler awaited first.
    cell->parked = false;
    resume_suspended(cell);
    return after_handler(cell);
  }
  if (!cell->started) {
    cell->started = true;
    if (cell->vtable->on_start != nullptr) {
      try {
        cell->vtable->on_start(object, cell);
      } catch (...) {
        handler_fail(cell, std::current_exception());
      }
    }
    return after_handler(cell);
  }
  return false;
}

// The system lane (system_lane.hpp), drained when its flag is up: each
// message handled as a user message would be. True: the turn is over (a
// handler parked or stopped the actor).
// `handled` counts the lane's messages too (the metrics count them).
[[gnu::noinline]] bool drain_system_lane(Cell* cell, void* object, std::uint32_t& handled) noexcept {
  // Lowered before the drain, so a push that lands after it raises it again.
  // acquire: pairs with the release fetch_or in lane_deliver (the pushes before
  // it are linked).
  cell->sender_flags.fetch_and(static_cast<unsigned char>(~Cell::kSystemMail), acquire);
  SystemLane& lane = extras_known(cell).lane;  // lane_deliver made them
  while (Envelope* envelope = lane.pop()) {
    ++handled;
    envelope->fn(envelope, cell, object,
                 cell->switched ? EnvelopeOp::kHandleSwitched : EnvelopeOp::kHandle);
    if (cell->requests.any()) {
      // A park ends the turn with the lane's later messages still in it: the
      // flag goes up again first (once parked, the cell may run elsewhere, so
      // nothing of it is touched after after_handler returns true). relaxed:
      // the next runner is ordered after us by park()'s release. A stop needs
      // nothing: the stopping runner rejects the lane whatever the flag says.
      if (cell->requests.suspend) cell->sender_flags.fetch_or(Cell::kSystemMail, relaxed);
      if (after_handler(cell)) return true;
    }
  }
  lane.release();
  return false;
}

// Looked at once per turn, not per message: after the turn's user mail, before
// the rights can go back (so a lane whose nudge was the turn's last message is
// not left behind). A lane message's nudge queues behind the mail already
// there, so it waits for at most one budget of user messages, and the user
// path pays one load and branch per turn.
// relaxed: a look; the drain's RMW is what synchronises.
[[gnu::always_inline]] inline bool system_lane_turn_over(Cell* cell, void* object, std::uint32_t& handled) noexcept {
  if ((cell->sender_flags.load(relaxed) & Cell::kSystemMail) == 0) [[likely]] return false;
  return drain_system_lane(cell, object, handled);
}

// How the handler loop ended.
enum class MailEnd : unsigned char {
  kTurnOver,  // parked or stopped: the runner must not touch the mailbox again
  kDrained,   // the mailbox looked empty: the actor caught up
  kStopped,   // the budget ran out, or a handler asked to yield
};

// A turn's second job: up to `budget` messages, one handler each. `handled`
// counts them; `retired` is the last message's shell, still the mailbox's.
// kMetrics: a turn a handler ends (kTurnOver) is counted here (metrics below).
template <bool kBackpressure, bool kMetrics>
[[gnu::always_inline]] inline MailEnd handle_mail(Cell* cell, void* object, std::uint32_t budget,
                                                  std::uint32_t& handled, MpscNode*& retired,
                                                  [[maybe_unused]] Worker& worker) noexcept {
  if (kBackpressure && cell->requests.yield) return MailEnd::kStopped;
  // The mailbox cursor stays in a register for the turn (Cell's layout).
  CompactMpscQueue::Reader reader(cell->mailbox);
  for (; handled < budget; ++handled) {
    MpscNode* node = reader.pop(retired);
    if (node == nullptr) return MailEnd::kDrained;
    free_retired(retired);  // the previous message's shell
    retired = nullptr;
    auto* envelope = static_cast<Envelope*>(node);
    if (cell->counts_mail) mailbox_uncount(cell);  // out of the mailbox: room for one more
    envelope->fn(envelope, cell, object,
                 cell->switched ? EnvelopeOp::kHandleSwitched : EnvelopeOp::kHandle);
    if (cell->requests.any()) {  // (yield is set only with backpressure on)
      reader.commit();
      const ActorVTable* vtable = cell->vtable;  // read first: a stop may free the cell
      if (after_handler(cell)) {
        if constexpr (kMetrics) worker.metrics().count_turn(vtable, handled + 1);
        return MailEnd::kTurnOver;
      }
      if (kBackpressure && cell->requests.yield) return MailEnd::kStopped;  // backpressure.hpp
      // Resumed at once and still running: carry on with a fresh cursor.
      ::new (&reader) CompactMpscQueue::Reader(cell->mailbox);
    }
  }
  return MailEnd::kStopped;
}

// A turn's third job: where the actor runs next. Gives the run rights back if
// the mailbox is empty; else the actor goes back to a queue, or (backpressure)
// is muted or kept on this worker with the actors that flood it.
template <bool kBackpressure>
[[gnu::always_inline]] inline void place_after_turn(Cell* cell, Worker& worker, bool drained,
                                                    bool used_budget, MpscNode* retired) noexcept {
  bool yield_asked = false;
  bool caught_up = drained;
  if constexpr (kBackpressure) {
    yield_asked = cell->requests.yield;
    if (yield_asked) cell->requests.yield = false;
    // Caught up: before the rights can go (then the cell is not ours). The
    // budget may end exactly at the last message, so an overloaded actor looks
    // again: an idle actor must never stay overloaded, or its muted senders
    // would wait forever. relaxed: only this runner writes the flag.
    caught_up = drained || (cell->overloaded.load(relaxed) && cell->mailbox.empty());
    if (caught_up) clear_overloaded(cell);
  }
  // After a successful mark another thread may run (or free) the cell: touch
  // nothing of it.
  if (cell->mailbox.try_mark_empty(retired)) {
    free_retired(retired);  // ours: the mailbox let go of it
    if (yield_asked) forget_mute();  // nothing left to pause
    return;
  }
  // Mail is left (budget used up, or a push is half done): run again later.
  if constexpr (kBackpressure) {
    if (yield_asked) {
      const ActorVTable* vtable = cell->vtable;  // before: once muted, it may run elsewhere
      if (try_mute(cell)) {  // the receiver reschedules it once caught up
        if (worker.scheduler().config().metrics) stat_add(worker.metrics().class_slot(vtable)->mutes, 1);
        return;
      }
    }
    const bool behind = used_budget && !caught_up;
    if (behind) mark_overloaded(cell);  // senders will pause
    // relaxed: a hint (cell.hpp); only this runner clears it.
    // relaxed: a hint (cell.hpp); read first, so a turn not fed by actors
    // pays no RMW.
    const bool fed_by_actors = behind && (cell->sender_flags.load(relaxed) & Cell::kFedByActors) != 0 &&
                               (cell->sender_flags.fetch_and(static_cast<unsigned char>(~Cell::kFedByActors),
                                                             relaxed) & Cell::kFedByActors) != 0;
    if (fed_by_actors || yield_asked) {
      // Flooding, or behind actors that flood it: it and they stay on this
      // worker, instead of an idle one stealing one side of the pipeline.
      worker.scheduler().schedule_kept(cell);
      return;
    }
  }
  worker.scheduler().yield(cell);
}

// One turn: start or resume, handle mail, decide where the actor runs next. Two
// instances: with backpressure off (mute_senders = false) no sender is ever
// known, so none is ever paused and no actor is ever overloaded, and the turn
// carries none of that bookkeeping (docs/performance.md has its cost).
//
// kMetrics (Config::metrics): the turn and its messages are counted for the
// actor's class on this worker (metrics/thread_metrics.hpp): a lookup (one
// compare while the class stays the same) and two adds a turn. (Sampled
// messages time themselves: actor/sampled_send.hpp.)
template <bool kBackpressure, bool kMetrics>
void run_turn(Cell* cell, Worker& worker, std::uint32_t budget) {
  [[maybe_unused]] std::optional<RunningCell> running;
  if constexpr (kBackpressure) running.emplace(cell, budget);
  void* object = cell->object();
  const ActorVTable* vtable = cell->vtable;  // read first: a stop may free the cell
  if constexpr (kMetrics) worker.metrics().note_turn(vtable);  // for the slow-handler watchdog
  if (start_or_resume(cell, object)) return;
  if (killed_at_turn_start(cell)) {
    // The kill's Stop, whichever way it got here (else the lane runs it): one message.
    if constexpr (kMetrics) worker.metrics().count_turn(vtable, 1);
    return;
  }
  MpscNode* retired = nullptr;
  std::uint32_t handled = 0;
  const MailEnd end = handle_mail<kBackpressure, kMetrics>(cell, object, budget, handled, retired, worker);
  if (end == MailEnd::kTurnOver) return;  // (counted by handle_mail)
  const bool used_budget = handled == budget;
  const bool over = system_lane_turn_over(cell, object, handled);
  if constexpr (kMetrics) worker.metrics().count_turn(vtable, handled);
  if (over) return;
  place_after_turn<kBackpressure>(cell, worker, end == MailEnd::kDrained, used_budget, retired);
}

}  // namespace

void run_cell(Task* task, Worker& worker, void* /*runtime_core*/) {
  const Config& config = worker.scheduler().config();
  auto* cell = static_cast<Cell*>(task);
  if (config.metrics) [[likely]] {
    if (config.mute_senders) [[likely]] {
      run_turn<true, true>(cell, worker, config.budget);
    } else {
      run_turn<false, true>(cell, worker, config.budget);
    }
  } else if (config.mute_senders) {
    run_turn<true, false>(cell, worker, config.budget);
  } else {
    run_turn<false, false>(cell, worker, config.budget);
  }
}

}  // namespace tact::detail
