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
// True: only a poke came (nothing ran; the caller serves the lane).
[[gnu::noinline, gnu::cold]] bool not_resumed_by_the_event(Cell* cell, Suspension::Resumed resumed) noexcept {
  if (resumed == Suspension::Resumed::kKilled) runner_stop_for_kill(cell);
  return resumed == Suspension::Resumed::kPoked;
}
[[gnu::always_inline]] inline bool resume_suspended(Cell* cell) noexcept {
  const Suspension::Resumed resumed = extras_known(cell).suspension.resume();
  if (resumed == Suspension::Resumed::kEvent) [[likely]] return false;
  return not_resumed_by_the_event(cell, resumed);
}

bool serve_lane_while_parked(Cell* cell) noexcept;

// After a handler (or a resumed one) returned: switches behaviour, parks or
// stops the actor as it asked. True: the turn is over (the runner must return
// without touching the mailbox: parked, it keeps the rights; stopped, it gave
// them back). Unstashed messages are after_handler's (below).
[[gnu::always_inline]] inline bool after_handler_core(Cell* cell) noexcept {
  if (cell->requests.changes & HandlerRequests::kBecome) {
    cell->requests.changes &= static_cast<unsigned char>(~HandlerRequests::kBecome);
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
    const Suspension::Park parked = suspension.park();
    if (parked == Suspension::Park::kParked) return true;
    if (parked == Suspension::Park::kPoked) {
      // Control-lane mail came meanwhile: handle it with the handler waiting.
      if (serve_lane_while_parked(cell)) return true;
      continue;  // resumed (and its own requests applied): nothing more asked
    }
    cell->parked = false;
    // The event (or a kill) came first: resume at once, on this thread.
    (void)resume_suspended(cell);  // never a poke only: the event came
  }
  if (cell->requests.stop) {
    runner_stop(cell);
    return true;
  }
  return false;
}

// ctx.unstash_all() was called: the unstashed messages, each handled as a
// mailbox message would be, before the mailbox's next one (actor/stash.hpp).
// kUnstash stays up until the replay is done: a handler that parks ends the
// turn with it up, and the resumption (start_or_resume -> after_handler) goes
// on with the replay. One that stops leaves the rest to the stop's rejection.
// Not counted against the budget: at most stash_capacity messages.
[[gnu::noinline]] bool replay_unstashed(Cell* cell) noexcept {
  Stash& stash = extras_known(cell).stash;  // unstash_all found them
  void* object = cell->object();
  while (Envelope* envelope = stash.pop_replay()) {
    envelope->fn(envelope, cell, object,
                 cell->switched ? EnvelopeOp::kHandleSwitched : EnvelopeOp::kHandle);
    envelope->fn(envelope, nullptr, nullptr, EnvelopeOp::kFree);  // in no mailbox: ours
    if (after_handler_core(cell)) return true;
  }
  cell->requests.changes &= static_cast<unsigned char>(~HandlerRequests::kUnstash);
  return false;
}

// The actor is parked in an await (a handler's co_await, not interleaved) and
// its control lane has mail (Suspension::poke): Down and Exit notices, linked
// exits, a supervisor's orders and notices, urgent messages. They are handled
// now, each as at the end of a turn, while the handler still waits, as an
// interleaved await lets mail in: a lane handler sees what the waiting handler
// wrote before its co_await, and the waiting handler, resumed, sees what they
// wrote. A lane handler may become, stash or stop (a linked exit fails the actor,
// a supervisor's order takes it down): a stop drops the waiting handler (its ask
// resolves ActorStopped) as a kill does. It may not await (handler_waker throws):
// the actor's one waker is taken. unstash_all takes effect once the waiting
// handler is done. Then the actor parks again (or resumes, if the event came
// meanwhile). True: the turn is over (parked again, or stopped); false: the
// awaited handler resumed here and its requests were applied.
[[gnu::noinline, gnu::cold]] bool serve_lane_while_parked(Cell* cell) noexcept {
  CellExtras& extras = extras_known(cell);  // parking made them
  Suspension& suspension = extras.suspension;
  const bool for_handler = !child_object_gone(*cell);  // else a child waiting for its restart
  Suspension::Park next;
  do {
    if (for_handler) {
      cell->serving_lane = true;
      // As drain_system_lane: lowered before the drain. acquire: pairs with
      // the release fetch_or in lane_deliver.
      cell->sender_flags.fetch_and(static_cast<unsigned char>(~Cell::kSystemMail), acquire);
      void* object = cell->object();
      while (Envelope* envelope = extras.lane.pop()) {
        envelope->fn(envelope, cell, object,
                     cell->switched ? EnvelopeOp::kHandleSwitched : EnvelopeOp::kHandle);
        if (cell->requests.changes & HandlerRequests::kBecome) {
          cell->requests.changes &= static_cast<unsigned char>(~HandlerRequests::kBecome);
          extras.behaviour = std::move(extras.next_behaviour);
          cell->switched = !extras.behaviour.empty();
        }
        if (cell->requests.stop) {
          cell->serving_lane = false;
          suspension.drop();  // the waiting handler goes first, as for a kill
          cell->parked = false;
          runner_stop(cell);
          return true;
        }
      }
      extras.lane.release();
      cell->serving_lane = false;
      // What the lane's handlers told: as at the end of a turn that parks.
      end_backpressure(cell);
    }
    next = suspension.repark(for_handler);
  } while (next == Suspension::Park::kPoked);
  if (next == Suspension::Park::kParked) return true;  // touch nothing more of the cell
  cell->parked = false;
  (void)resume_suspended(cell);  // the event (or a kill) came while the lane was served
  return after_handler_core(cell);
}

[[gnu::always_inline]] inline bool after_handler(Cell* cell) noexcept {
  if (after_handler_core(cell)) return true;
  if (cell->requests.changes & HandlerRequests::kUnstash) [[unlikely]] return replay_unstashed(cell);
  return false;
}

// The start of a turn: a kill stops the actor before any more mail.
bool kill_pending(Cell* cell) noexcept {
  // acquire: pairs with the release CAS in cell_kill.
  return cell->kill_reason.load(acquire) != 0;
}
void stop_killed(Cell* cell) noexcept {
  runner_stop_for_kill(cell);
  runner_stop(cell);
}

// A mute, for the metrics: out of line, so the turn keeps no register for it.
[[gnu::noinline, gnu::cold]] void count_mute(Worker& worker, const ActorVTable* vtable) noexcept {
  stat_add(worker.metrics().class_slot(vtable)->mutes, 1);
}

// What a turn counts for the metrics (Config::metrics, Config::slow_handler).
enum class TurnMetrics : unsigned char {
  kOff,
  kOn,       // tallied on the worker (metrics/thread_metrics.hpp): a compare and two adds
  kWatched,  // and published at once, with the class it runs, for the slow-handler watchdog
};

template <TurnMetrics kMetrics>
[[gnu::always_inline]] inline void count_turn(Worker& worker, const ActorVTable* vtable,
                                              std::uint32_t messages) noexcept {
  if constexpr (kMetrics != TurnMetrics::kOff) worker.metrics().count_turn(vtable, messages);
  // The watchdog sees progress in the turns finished.
  if constexpr (kMetrics == TurnMetrics::kWatched) worker.metrics().flush_turns();
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
    if (resume_suspended(cell)) [[unlikely]] {
      // Scheduled by control-lane mail, the await still pending.
      cell->parked = true;
      if (serve_lane_while_parked(cell)) return true;
    }
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
// handler parked or stopped the actor). It counts the lane's messages for
// the metrics (returned, not through a reference: the turn's own count stays
// in a register).
// run_turn looks at the flag once per turn, not per message: after the turn's
// user mail, before the rights can go back (so a lane whose nudge was the
// turn's last message is not left behind). A lane message's nudge queues
// behind the mail already there, so it waits for at most one budget of user
// messages, and the user path pays one load and branch per turn.
struct LaneDrained {
  bool turn_over;
  std::uint32_t handled;
};
[[gnu::noinline]] LaneDrained drain_system_lane(Cell* cell, void* object) noexcept {
  std::uint32_t handled = 0;
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
      if (cell->requests.suspend) {
        cell->sender_flags.fetch_or(Cell::kSystemMail, relaxed);
        // And the park finds kPoked up: the rest of the lane is served while
        // the handler waits (serve_lane_while_parked), not after.
        if (!lane.empty()) extras_known(cell).suspension.poke();
      }
      if (after_handler(cell)) return {true, handled};
    }
  }
  lane.release();
  return {false, handled};
}

// How the handler loop ended.
enum class MailEnd : unsigned char {
  kTurnOver,  // parked or stopped: the runner must not touch the mailbox again
  kDrained,   // the mailbox looked empty: the actor caught up
  kStopped,   // the budget ran out, or a handler asked to yield
};

// A turn's second job: up to `budget` messages, one handler each. `handled`
// counts them; `retired` is the last message's shell, still the mailbox's.
// A turn a handler ends (kTurnOver) is counted here for the metrics.
template <bool kBackpressure, TurnMetrics kMetrics>
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
        count_turn<kMetrics>(worker, vtable, handled + 1);
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
        if (worker.scheduler().config().metrics) count_mute(worker, vtable);
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
      // worker, instead of an idle one stealing one side of the pipeline. A
      // consumer (behind, not flooding) may go, pipeline and all, to an idle
      // worker (Worker::keep_local).
      worker.scheduler().schedule_kept(cell, /*consumer=*/!yield_asked);
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
// kMetrics (Config::metrics, Config::slow_handler): the turn and its messages
// are counted for the actor's class on this worker (TurnMetrics above). The
// class is read at the end, where the cell is still ours, except on the rare
// paths that may free it. (Sampled messages time themselves:
// actor/sampled_send.hpp.)
template <bool kBackpressure, TurnMetrics kMetrics>
void run_turn(Cell* cell, Worker& worker, std::uint32_t budget) {
  [[maybe_unused]] std::optional<RunningCell> running;
  if constexpr (kBackpressure) running.emplace(cell, budget);
  void* object = cell->object();
  if constexpr (kMetrics == TurnMetrics::kWatched) worker.metrics().note_turn(cell->vtable);
  if (start_or_resume(cell, object)) return;
  if (kill_pending(cell)) [[unlikely]] {
    const ActorVTable* vtable = cell->vtable;  // before: the stop frees the cell
    stop_killed(cell);
    // The kill's Stop, whichever way it got here (else the lane runs it): one message.
    count_turn<kMetrics>(worker, vtable, 1);
    return;
  }
  MpscNode* retired = nullptr;
  std::uint32_t handled = 0;
  const MailEnd end = handle_mail<kBackpressure, kMetrics>(cell, object, budget, handled, retired, worker);
  if (end == MailEnd::kTurnOver) return;  // (counted by handle_mail)
  const bool used_budget = handled == budget;
  // The system lane (system_lane_turn_over), its messages counted with the turn's.
  // relaxed: a look; the drain's RMW is what synchronises.
  if ((cell->sender_flags.load(relaxed) & Cell::kSystemMail) != 0) [[unlikely]] {
    const ActorVTable* vtable = cell->vtable;  // before: the lane may stop (and free) the actor
    const LaneDrained lane = drain_system_lane(cell, object);
    count_turn<kMetrics>(worker, vtable, handled + lane.handled);
    if (lane.turn_over) return;
  } else {
    count_turn<kMetrics>(worker, cell->vtable, handled);
  }
  place_after_turn<kBackpressure>(cell, worker, end == MailEnd::kDrained, used_budget, retired);
}

template <bool kBackpressure, TurnMetrics kMetrics>
void run_cell(Task* task, Worker& worker, void* /*runtime_core*/) {
  run_turn<kBackpressure, kMetrics>(static_cast<Cell*>(task), worker, worker.scheduler().config().budget);
}

}  // namespace

// Chosen once, so a turn pays no test of these settings.
RunTask run_cell_for(const Config& config) noexcept {
  const bool watched = config.metrics && config.slow_handler.count() > 0;
  if (config.mute_senders) {
    if (!config.metrics) return &run_cell<true, TurnMetrics::kOff>;
    return watched ? &run_cell<true, TurnMetrics::kWatched> : &run_cell<true, TurnMetrics::kOn>;
  }
  if (!config.metrics) return &run_cell<false, TurnMetrics::kOff>;
  return watched ? &run_cell<false, TurnMetrics::kWatched> : &run_cell<false, TurnMetrics::kOn>;
}

}  // namespace tact::detail
