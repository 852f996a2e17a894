#include "runtime/cell.hpp"

#include <new>
#include <optional>
#include <thread>
#include <utility>

#include "memory/block_pool.hpp"
#include "runtime/backpressure.hpp"
#include "runtime/cell_extras.hpp"
#include "runtime/runtime_core.hpp"
#include "scheduler/worker.hpp"
#include "supervision/child.hpp"
#include "tact/errors.hpp"

namespace tact::detail {
namespace {

// Idle actors are many (README: bytes per idle actor): with an 8-byte actor a
// cell is one 80-byte pool block. Grow it only knowingly.
static_assert(sizeof(void*) != 8 || sizeof(Cell) <= 72, "tact: Cell grew past 72 bytes");

std::size_t object_offset(std::size_t align) noexcept {
  return (sizeof(Cell) + align - 1) & ~(align - 1);
}

std::size_t allocation_align(const ActorVTable* vtable) noexcept {
  return vtable->align > alignof(Cell) ? vtable->align : alignof(Cell);
}

std::size_t allocation_size(const ActorVTable* vtable) noexcept {
  return object_offset(vtable->align) + vtable->size;
}

// Cells come from the block pool (one allocation, no malloc header) unless the
// actor class is over-aligned for it.
constexpr std::size_t kPoolAlign = 16;

[[noreturn]] void throw_spawn_refused() { throw Error("tact: spawn after Runtime::shutdown() began"); }

// A no-op message whose only job is to get a fresh actor scheduled, so on_start
// runs before its first real message even if none comes.
struct StartEnvelope final : Envelope {
  StartEnvelope() noexcept : Envelope(&run) {}
  static void run(Envelope* self, CellBase*, void*, EnvelopeOp op) noexcept {
    if (op == EnvelopeOp::kFree) delete static_cast<StartEnvelope*>(self);
  }
};

// A stop request handled in turn like any message (ActorRef::stop, shutdown).
// A kill is the same envelope with the kill's reason, there only to get an idle
// actor scheduled: the runner sees the kill at the start of its turn.
struct StopEnvelope final : Envelope {
  explicit StopEnvelope(StopReason r) noexcept : Envelope(&run), reason(r) {}
  static void run(Envelope* self, CellBase* base, void*, EnvelopeOp op) noexcept {
    auto* me = static_cast<StopEnvelope*>(self);
    if (is_handle(op)) {
      Cell* cell = Cell::from(base);
      if (!cell->requests.stop) cell->stop_reason = me->reason;
      cell->requests.stop = true;
    } else if (op == EnvelopeOp::kFree) {
      delete me;
    }
  }
  StopReason reason;
};

// Frees an envelope the mailbox retired (mpsc_queue.hpp, I2), if any.
void free_retired(MpscNode* retired) noexcept {
  if (retired == nullptr) return;
  auto* envelope = static_cast<Envelope*>(retired);
  envelope->fn(envelope, nullptr, nullptr, EnvelopeOp::kFree);
}

void reject(Cell* cell, Envelope* envelope) noexcept {
  envelope->fn(envelope, cell, nullptr, EnvelopeOp::kReject);
}

// An envelope that never entered a mailbox: reject and free it at once.
void reject_unqueued(Cell* cell, Envelope* envelope) noexcept {
  reject(cell, envelope);
  envelope->fn(envelope, nullptr, nullptr, EnvelopeOp::kFree);
}

// Holding consumer rights on a stopped cell: reject everything queued, then give
// the rights back. A push half done (exchanged, not yet linked) is waited for:
// it completes within a few instructions unless its thread was preempted.
void reject_all_and_release_rights(Cell* cell) noexcept {
  unsigned spins = 0;
  MpscNode* retired = nullptr;
  for (;;) {
    if (MpscNode* node = cell->mailbox.pop(retired)) {
      free_retired(retired);
      reject(cell, static_cast<Envelope*>(node));
      continue;
    }
    if (cell->mailbox.try_mark_empty(retired)) {
      free_retired(retired);
      return;
    }
    if (++spins % 64 == 0) {
      std::this_thread::yield();
    } else {
      cpu_relax();
    }
  }
}

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
void stop_cell(Cell* cell) noexcept {
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
  cell->stopped.store(true, release);
  void* object = cell->object();
  const bool has_object = !child_object_gone(*cell);  // a supervised child between restarts
  if (has_object && cell->vtable->on_stop != nullptr) {
    try {
      cell->vtable->on_stop(object, cell);
    } catch (...) {
      // on_stop failing cannot un-stop the actor; the stop proceeds.
    }
  }
  cell_extras_on_stop(cell);
  if (has_object) cell->vtable->destroy(object);
  const StopReason reason = cell->stop_reason;  // runner-only: read while we hold the rights
  reject_all_and_release_rights(cell);
  runtime->unregister_live(cell, reason);
  cell_release(cell);  // the reference the registry held while the actor was live
}

}  // namespace

void* Cell::object() noexcept {
  return reinterpret_cast<std::byte*>(this) + object_offset(vtable->align);
}

// ---- spawning ---------------------------------------------------------------------------

CellBase* cell_allocate(RuntimeCore* runtime, const ActorVTable* vtable) {
  if (!runtime->accepting_spawns()) throw_spawn_refused();
  const std::size_t bytes = allocation_size(vtable);
  const std::size_t align = allocation_align(vtable);
  void* memory = align <= kPoolAlign ? pool_allocate(bytes)
                                     : ::operator new(bytes, std::align_val_t(align));
  runtime->take_cell_ref();  // given back in cell_free
  return ::new (memory) Cell(runtime, vtable);
}

void* cell_object(CellBase* cell) noexcept { return Cell::from(cell)->object(); }

void cell_abandon(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  RuntimeCore* runtime = cell->runtime();
  const ActorVTable* vtable = cell->vtable;
  const std::size_t bytes = allocation_size(vtable);
  const std::size_t align = allocation_align(vtable);
  cell_extras_free(cell);
  cell->~Cell();
  if (align <= kPoolAlign) {
    pool_free(cell, bytes);
  } else {
    ::operator delete(cell, std::align_val_t(align));  // unsized: clang 14 has no sized delete by default
  }
  runtime->put_cell_ref();
}

CellBase* cell_activate(CellBase* base) {
  Cell* cell = Cell::from(base);
  // One reference for the registry (dropped when the actor stops), one for the
  // caller's ActorRef. relaxed: the cell is not shared yet; registering
  // publishes it (the registry's mutex).
  cell->refs.store(2, relaxed);
  RuntimeCore* runtime = cell->runtime();
  const std::uint32_t bound = cell->vtable->mailbox_bound != 0
                                  ? cell->vtable->mailbox_bound
                                  : runtime->scheduler().config().mailbox_bound;
  if (bound != 0) {
    try {
      cell_extras(cell).bound.bound = bound;
    } catch (...) {
      cell->vtable->destroy(cell->object());
      cell_abandon(cell);
      throw;
    }
    cell->bounded = true;  // published with the cell (the registry's lock, then the ref)
    cell->counts_mail = true;
  }
  if (!runtime->register_live(cell)) {
    // Shutdown began while the object was being built: nothing will ever run or
    // stop this actor, so it is refused like a spawn after shutdown.
    cell->vtable->destroy(cell->object());
    cell_abandon(cell);
    throw_spawn_refused();
  }
  if (cell->vtable->on_start != nullptr) (void)cell_deliver(cell, new StartEnvelope());
  return cell;
}

void cell_free(CellBase* base) noexcept { cell_abandon(base); }

// ---- messages -----------------------------------------------------------------------------

bool cell_deliver(CellBase* base, Envelope* envelope) noexcept {
  if (base->bounded) mailbox_count_system(Cell::from(base));
  return cell_deliver_reserved(base, envelope);
}

namespace {
// The push, and what the push's outcome asks for: see cell_deliver_reserved.
// Inlined: every tell comes here.
[[gnu::always_inline]] inline bool push_and_schedule(Cell* cell, Envelope* envelope) noexcept {
  if (!cell->mailbox.push(envelope)) {
    // Someone else holds the run rights: the receiver is busy, which may
    // pause the sending actor (backpressure.hpp).
    note_tell_to_busy(cell);
    return true;
  }
  // We got the run rights. The push's acquire exchange pairs with the stopping
  // runner's release CAS, so `stopped` is exact here. relaxed: ordered by it.
  if (cell->stopped.load(relaxed)) {
    reject_all_and_release_rights(cell);
    return false;
  }
  cell->runtime()->scheduler().schedule(cell);
  return true;
}
}  // namespace

bool cell_deliver_reserved(CellBase* base, Envelope* envelope) noexcept {
  Cell* cell = Cell::from(base);
  // acquire: pairs with the release store in stop_cell.
  if (cell->stopped.load(acquire)) {
    reject_unqueued(cell, envelope);
    return false;
  }
  return push_and_schedule(cell, envelope);
}

bool cell_deliver_through_mailbox(Cell* cell, Envelope* envelope) noexcept {
  if (cell->bounded) mailbox_count_system(cell);
  return push_and_schedule(cell, envelope);
}

// ---- inside a handler ---------------------------------------------------------------------

void cell_request_stop(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  cell->requests.stop = true;
}

void cell_fail(CellBase* base, std::exception_ptr error) noexcept {
  Cell* cell = Cell::from(base);
  if (!cell->requests.stop || cell->stop_reason != StopReason::kFailed) {
    try {
      cell_extras(cell).failure = std::move(error);
    } catch (...) {
      // No memory for the extras: the actor still fails; its watchers are told
      // ExitReason::failed without the exception.
    }
    cell->stop_reason = StopReason::kFailed;
  }
  cell->requests.stop = true;
}

void cell_stop_after_queued(CellBase* base, StopReason reason) noexcept {
  (void)cell_deliver(base, new StopEnvelope(reason));
}

void cell_stop_after_queued(CellBase* base) noexcept {
  cell_stop_after_queued(base, StopReason::kNormal);
}

void cell_kill(CellBase* base, StopReason reason) noexcept {
  Cell* cell = Cell::from(base);
  unsigned char none = 0;
  // release: the reason is read by the runner's acquire (turn start, or after
  // Suspension::kill's RMW, which this store happens-before). First kill wins.
  (void)cell->kill_reason.compare_exchange_strong(
      none, static_cast<unsigned char>(static_cast<unsigned char>(reason) + 1), release, relaxed);
  try {
    cell_extras(cell).suspension.kill();  // a parked handler is woken, dropped
  } catch (...) {
    // No memory for the extras: then nothing ever parked (parking allocates
    // them first); the envelope below and the turn-start check do the kill.
  }
  // An idle actor must run to see the kill: any envelope schedules it.
  (void)cell_deliver(base, new StopEnvelope(reason));
}

void cell_kill(CellBase* base) noexcept { cell_kill(base, StopReason::kKilled); }

void cell_request_kill_stop(Cell* cell) noexcept {
  // acquire: pairs with cell_kill's release CAS.
  const unsigned char reason = cell->kill_reason.load(acquire);
  if (!cell->requests.stop || cell->stop_reason == StopReason::kNormal) {
    cell->stop_reason = reason != 0 ? static_cast<StopReason>(reason - 1) : StopReason::kKilled;
  }
  cell->requests.stop = true;
}

void cell_become(CellBase* base, BehaviourTable&& table) {
  Cell* cell = Cell::from(base);
  cell_extras(cell).next_behaviour = std::move(table);
  cell->requests.become = true;
}

const BehaviourTable& cell_behaviour(CellBase* base) noexcept {
  return cell_extras_made(Cell::from(base)).behaviour;
}

Waker& cell_suspension_waker(CellBase* base) { return cell_extras(Cell::from(base)).suspension; }

void cell_suspend(CellBase* base, ResumeFn resume, void* ctx) noexcept {
  Cell* cell = Cell::from(base);
  cell_extras_made(cell).suspension.request(resume, ctx);  // the waker made them
  cell->requests.suspend = true;
}

void cell_await_wake(CellBase* base) noexcept {
  cell_extras_made(Cell::from(base)).suspension.await_wake();
}

RuntimeCore* cell_runtime(CellBase* base) noexcept { return Cell::from(base)->runtime(); }

void cell_count_dead_letter(CellBase* base) noexcept { Cell::from(base)->runtime()->count_dead_letter(); }

// ---- running ---------------------------------------------------------------------------------

namespace {

// After a handler (or a resumed one) returned: parks or stops the actor as it
// asked. True: the turn is over (the runner must return without touching the
// mailbox: parked, it keeps the rights; stopped, it gave them back).
// Runs what a parked handler awaited (or, killed, drops it and asks for the stop).
void resume_suspended(Cell* cell) noexcept {
  if (cell_extras_made(cell).suspension.resume()) cell_request_kill_stop(cell);
}

[[gnu::always_inline]] inline bool after_handler(Cell* cell) noexcept {
  if (cell->requests.become) {
    cell->requests.become = false;
    CellExtras& extras = cell_extras_made(cell);  // cell_become made them
    extras.behaviour = std::move(extras.next_behaviour);
    cell->switched = !extras.behaviour.empty();
  }
  while (cell->requests.suspend) {
    cell->requests.suspend = false;
    Suspension& suspension = cell_extras_made(cell).suspension;  // cell_suspend made it
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
    stop_cell(cell);
    return true;
  }
  return false;
}

// The start of a turn: a kill stops the actor before any more mail.
bool killed_at_turn_start(Cell* cell) noexcept {
  // acquire: pairs with the release CAS in cell_kill.
  if (cell->kill_reason.load(acquire) == 0) return false;
  cell_request_kill_stop(cell);
  stop_cell(cell);
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

// One turn. Two instances: with backpressure off (mute_senders = false) no sender is
// ever known, so none is ever paused and no actor is ever overloaded, and the
// turn compiles to no more than it did before backpressure existed (ring, one
// message a turn, lost ~6% to the bookkeeping when it was always there).
template <bool kBackpressure>
void run_turn(Cell* cell, Worker& worker, std::uint32_t budget) {
  [[maybe_unused]] std::optional<RunningCell> running;
  if constexpr (kBackpressure) running.emplace(cell, budget);
  void* object = cell->object();
  if (cell->parked) {
    // Woken (or killed) while parked: finish what the handler awaited first.
    cell->parked = false;
    resume_suspended(cell);
    if (after_handler(cell)) return;
  } else if (!cell->started) {
    cell->started = true;
    if (cell->vtable->on_start != nullptr) {
      try {
        cell->vtable->on_start(object, cell);
      } catch (...) {
        cell_fail(cell, std::current_exception());
      }
    }
    if (after_handler(cell)) return;
  }
  if (killed_at_turn_start(cell)) return;
  MpscNode* retired = nullptr;
  std::uint32_t handled = 0;
  bool drained = false;  // the mailbox looked empty: the actor caught up
  if (!kBackpressure || !cell->requests.yield) {
    // The mailbox cursor stays in a register for the turn (Cell's layout).
    CompactMpscQueue::Reader reader(cell->mailbox);
    for (; handled < budget; ++handled) {
      MpscNode* node = reader.pop(retired);
      if (node == nullptr) {
        drained = true;
        break;
      }
      free_retired(retired);  // the previous message's shell
      retired = nullptr;
      auto* envelope = static_cast<Envelope*>(node);
      if (cell->counts_mail) mailbox_uncount(cell);  // out of the mailbox: room for one more
      envelope->fn(envelope, cell, object,
                   cell->switched ? EnvelopeOp::kHandleSwitched : EnvelopeOp::kHandle);
      if (cell->requests.any()) {  // (yield is set only with backpressure on)
        reader.commit();
        if (after_handler(cell)) return;
        if (kBackpressure && cell->requests.yield) break;  // backpressure.hpp: end the turn here
        // Resumed at once and still running: carry on with a fresh cursor.
        ::new (&reader) CompactMpscQueue::Reader(cell->mailbox);
      }
    }
  }
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
  // Give the run rights back if the mailbox is empty; after a successful mark
  // another thread may run (or free) the cell: touch nothing of it.
  if (cell->mailbox.try_mark_empty(retired)) {
    free_retired(retired);  // ours: the mailbox let go of it
    if (yield_asked) forget_mute();  // nothing left to pause
    return;
  }
  // Mail is left (budget used up, or a push is half done): run again later.
  if constexpr (kBackpressure) {
    if (yield_asked && try_mute(cell)) return;  // the receiver reschedules it once caught up
    const bool behind = handled == budget && !caught_up;
    if (behind) mark_overloaded(cell);  // senders will pause
    // relaxed: a hint (cell.hpp); only this runner clears it.
    const bool fed_by_actors = behind && cell->fed_by_actors.exchange(false, relaxed);
    if (fed_by_actors || yield_asked) {
      // Flooding, or behind actors that flood it: it and they stay on this
      // worker, instead of an idle one stealing one side of the pipeline.
      worker.scheduler().schedule_kept(cell);
      return;
    }
  }
  worker.scheduler().yield(cell);
}

}  // namespace

void run_cell(Task* task, Worker& worker, void* /*runtime_core*/) {
  const Config& config = worker.scheduler().config();
  if (config.mute_senders) [[likely]] {
    run_turn<true>(static_cast<Cell*>(task), worker, config.budget);
  } else {
    run_turn<false>(static_cast<Cell*>(task), worker, config.budget);
  }
}

// Out-of-line pieces of envelope.hpp.
std::exception_ptr make_actor_stopped() noexcept {
  return std::make_exception_ptr(ActorStopped());
}
std::exception_ptr make_timeout() noexcept { return std::make_exception_ptr(Timeout()); }
void cell_count_expired(CellBase* cell) noexcept { runtime_count_expired(Cell::from(cell)->runtime()); }
void runtime_count_expired(RuntimeCore* runtime) noexcept { runtime->count_expired(); }
std::exception_ptr make_mailbox_full() noexcept {
  return std::make_exception_ptr(MailboxFull());
}
std::exception_ptr make_handler_failed(std::exception_ptr cause) noexcept {
  return std::make_exception_ptr(HandlerFailed(std::move(cause)));
}

}  // namespace tact::detail
