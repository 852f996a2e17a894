#include "actor/cell.hpp"

#include <new>
#include <optional>
#include <thread>
#include <utility>

#include "actor/backpressure.hpp"
#include "actor/cell_extras.hpp"
#include "actor/proxy.hpp"
#include "actor/sampled_send.hpp"
#include "actor/runtime_core.hpp"
#include "actor/supervision/child.hpp"
#include "actor/system_lane.hpp"
#include "memory/block_pool.hpp"
#include "metrics/sampling.hpp"
#include "scheduler/worker.hpp"
#include "sync/spin.hpp"
#include "sync/thread.hpp"
#include "tact/errors.hpp"

namespace tact::detail {
namespace {

// Idle actors are many (docs/performance.md: bytes per idle actor): with an 8-byte actor a
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

// A stop or a kill: through the system lane, so an idle actor gets scheduled
// and a running one sees it at the end of its current turn; the runner also checks
// the kill's reason at the start of each turn.
struct StopEnvelope final : Envelope {
  explicit StopEnvelope(StopReason r) noexcept : Envelope(&run), reason(r) {}
  // (the reason is kept for a proxy's owner, which sees the envelope)
  static void run(Envelope* self, CellBase* base, void*, EnvelopeOp op) noexcept {
    auto* me = static_cast<StopEnvelope*>(self);
    if (is_handle(op)) {
      // The reason is the first stop's or kill's (kill_reason), whichever
      // envelope the lane brings first.
      runner_stop_for_kill(Cell::from(base));
    } else if (op == EnvelopeOp::kFree) {
      delete me;
    }
  }
  StopReason reason;
};

// cell_stop_after_queued: a stop in the user mailbox, handled in turn like any
// message (as a handler calling ctx.stop()).
struct QueuedStopEnvelope final : Envelope {
  QueuedStopEnvelope() noexcept : Envelope(&run) {}
  static void run(Envelope* self, CellBase* base, void*, EnvelopeOp op) noexcept {
    auto* me = static_cast<QueuedStopEnvelope*>(self);
    if (is_handle(op)) {
      handler_stop(base);
    } else if (op == EnvelopeOp::kFree) {
      delete me;
    }
  }
};

void reject(Cell* cell, Envelope* envelope) noexcept {
  envelope->fn(envelope, cell, nullptr, EnvelopeOp::kReject);
}

// An envelope that never entered a mailbox: reject and free it at once.
void reject_unqueued(Cell* cell, Envelope* envelope) noexcept {
  reject(cell, envelope);
  envelope->fn(envelope, nullptr, nullptr, EnvelopeOp::kFree);
}


}  // namespace

// Holding consumer rights on a stopped cell: reject everything queued, then give
// the rights back. A push half done (exchanged, not yet linked) is waited for:
// it completes within a few instructions unless its thread was preempted.
// The system lane is emptied before each attempt to give the rights back: a
// lane sender nudges the main mailbox after its push (system_lane.hpp), so
// either its nudge makes the attempt fail, and the lane is looked at again, or
// the nudge gets the rights after us, and its sender rejects the lane itself.
void reject_all_and_release_rights(Cell* cell) noexcept {
  unsigned spins = 0;
  MpscNode* retired = nullptr;
  for (;;) {
    if (MpscNode* node = cell->mailbox.pop(retired)) {
      free_retired(retired);
      reject(cell, static_cast<Envelope*>(node));
      continue;
    }
    lane_reject_all(cell);
    if (cell->mailbox.try_mark_empty(retired)) {
      free_retired(retired);
      return;
    }
    if (++spins % 64 == 0) {
      detail::yield_thread();
    } else {
      cpu_relax();
    }
  }
}

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
  extras_free(cell);
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
      extras_or_make(cell).bound.bound = bound;
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

void cell_free(CellBase* base) noexcept {
  if (base->proxy) proxy_destroy_object(base);
  cell_abandon(base);
}

// ---- messages -----------------------------------------------------------------------------

bool cell_deliver(CellBase* base, Envelope* envelope) noexcept {
  if (base->bounded) mailbox_count_system(Cell::from(base));
  return cell_deliver_reserved(base, envelope);
}

namespace {
// The push, and what the push's outcome asks for: see cell_deliver_reserved.
// Inlined: every tell comes here.
[[gnu::always_inline]] inline bool push_unsampled(Cell* cell, Envelope* envelope) noexcept {
  if (!cell->mailbox.push(envelope)) {
    // Someone else holds the run rights: the receiver is busy, which may
    // pause the sending actor (backpressure.hpp).
    note_tell_to_busy(cell);
    return true;
  }
  // We got the run rights. The push's acquire exchange pairs with the stopping
  // runner's release CAS, so the stopped bit is exact here. relaxed: ordered by it.
  if (cell->is_stopped(relaxed)) {
    reject_all_and_release_rights(cell);
    return false;
  }
  cell->runtime()->scheduler().schedule(cell);
  return true;
}

// The calling thread's countdown to its next sampled send. Defined here, the
// one file that counts down, so that in an executable (-fPIE, or no PIC) the
// compiler addresses it off the thread pointer directly (local-exec: the
// decrement and the branch, two instructions). Built for a shared library
// (-fPIC), initial-exec: one load more, and no __tls_get_addr call.
#if defined(__PIC__) && !defined(__PIE__)
[[gnu::tls_model("initial-exec")]]
#endif
__thread std::uint32_t t_sends_to_sample = kSamplePeriod;

// A send the countdown picked: stamped, then pushed. Out of line, and called
// last, so the common path keeps no register or frame for it.
[[gnu::noinline]] bool push_sampled(Cell* cell, Envelope* envelope) noexcept {
  t_sends_to_sample = sample_send(cell, envelope);
  return push_unsampled(cell, envelope);
}

[[gnu::always_inline]] inline bool push_and_schedule(Cell* cell, Envelope* envelope) noexcept {
  // One send in kSamplePeriod is timed (sampled_send.hpp); before the push,
  // after which the envelope is the runner's. With metrics off the countdown
  // starts at its maximum (sample_send), so this is the whole cost.
  if (--t_sends_to_sample == 0) [[unlikely]] return push_sampled(cell, envelope);
  return push_unsampled(cell, envelope);
}
}  // namespace

bool cell_deliver_reserved(CellBase* base, Envelope* envelope) noexcept {
  Cell* cell = Cell::from(base);
  // acquire: pairs with the release store in runner_stop (and proxy_stop).
  // One load decides the common case; a proxy takes the same branch as a
  // stopped actor, so it costs the tell nothing.
  if (const unsigned char gate = cell->gate.load(acquire); gate != 0) [[unlikely]] {
    // A proxy forwards on this thread (proxy.hpp), stopped or not: its owner
    // decides what a message to a stopped remote actor becomes.
    if (gate & Cell::kProxy) return proxy_deliver(base, envelope);
    reject_unqueued(cell, envelope);
    return false;
  }
  return push_and_schedule(cell, envelope);
}

// The system lane (system_lane.hpp). A proxy forwards, as for any message.
namespace {
bool deliver_to_lane(CellBase* base, Envelope* envelope, bool counted) noexcept {
  Cell* cell = Cell::from(base);
  // acquire: pairs with the release store in runner_stop (and proxy_stop); as
  // in cell_deliver_reserved.
  if (const unsigned char gate = cell->gate.load(acquire); gate != 0) [[unlikely]] {
    if (gate & Cell::kProxy) return proxy_deliver(base, envelope);
    reject_unqueued(cell, envelope);
    return false;
  }
  return lane_deliver(cell, envelope, counted);
}
}  // namespace

bool cell_deliver_system(CellBase* base, Envelope* envelope) noexcept {
  return deliver_to_lane(base, envelope, false);
}

bool cell_deliver_urgent(CellBase* base, Envelope* envelope) noexcept {
  return deliver_to_lane(base, envelope, true);
}

bool cell_deliver_through_mailbox(Cell* cell, Envelope* envelope, bool counted) noexcept {
  if (!counted && cell->bounded) mailbox_count_system(cell);
  return push_and_schedule(cell, envelope);
}

// ---- inside a handler ---------------------------------------------------------------------

void handler_stop(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  cell->requests.stop = true;
}

void handler_fail(CellBase* base, std::exception_ptr error) noexcept {
  Cell* cell = Cell::from(base);
  if (!cell->requests.stop || cell->stop_reason != StopReason::kFailed) {
    cell->runtime()->count_failure(cell->vtable, error);
    try {
      extras_or_make(cell).failure = std::move(error);
    } catch (...) {
      // No memory for the extras: the actor still fails; its watchers are told
      // ExitReason::failed without the exception.
    }
    cell->stop_reason = StopReason::kFailed;
  }
  cell->requests.stop = true;
}

// A stop is a kill with the reason `normal` (or `shutdown`): both overtake the
// queued mail (at most one budget more is handled) and end an await the actor
// is parked in; the first decides the reason.
void cell_stop(CellBase* base, StopReason reason) noexcept { cell_kill(base, reason); }

void cell_stop(CellBase* base) noexcept {
  cell_stop(base, StopReason::kNormal);
}

void cell_kill(CellBase* base, StopReason reason) noexcept {
  if (base->proxy) [[unlikely]] {
    // A proxy's kill_reason says whether proxy_stop ran: not ours to set. Its
    // owner refuses the stop (proxy.hpp: a dead letter, as before).
    (void)proxy_deliver(base, new StopEnvelope(reason));
    return;
  }
  Cell* cell = Cell::from(base);
  unsigned char none = 0;
  // release: the reason is read by the runner's acquire (turn start, or after
  // Suspension::kill's RMW, which this store happens-before). First kill wins.
  (void)cell->kill_reason.compare_exchange_strong(
      none, static_cast<unsigned char>(static_cast<unsigned char>(reason) + 1), release, relaxed);
  try {
    extras_or_make(cell).suspension.kill();  // a parked handler is woken, dropped
  } catch (...) {
    // No memory for the extras: then nothing ever parked (parking allocates
    // them first); the envelope below and the turn-start check do the kill.
  }
  // An idle actor must run to see the kill; a running one sees it before its
  // next message (the lane).
  (void)cell_deliver_system(base, new StopEnvelope(reason));
}

void cell_kill(CellBase* base) noexcept { cell_kill(base, StopReason::kKilled); }

void cell_stop_after_queued(CellBase* base) noexcept {
  (void)cell_deliver(base, new QueuedStopEnvelope());
}

void runner_stop_for_kill(Cell* cell) noexcept {
  // acquire: pairs with cell_kill's release CAS.
  const unsigned char reason = cell->kill_reason.load(acquire);
  if (!cell->requests.stop || cell->stop_reason == StopReason::kNormal) {
    cell->stop_reason = reason != 0 ? static_cast<StopReason>(reason - 1) : StopReason::kKilled;
  }
  cell->requests.stop = true;
}

void handler_become(CellBase* base, BehaviourTable&& table) {
  Cell* cell = Cell::from(base);
  extras_or_make(cell).next_behaviour = std::move(table);
  cell->requests.changes |= HandlerRequests::kBecome;
}

const BehaviourTable& handler_behaviour(CellBase* base) noexcept {
  return extras_known(Cell::from(base)).behaviour;
}

namespace {
// The actor's one waker is on the await it is parked in (turn.cpp:
// serve_lane_while_parked). Out of line: the await path stays short.
[[noreturn, gnu::noinline, gnu::cold]] void throw_await_while_parked() {
  throw Error("tact: a handler run while its actor is parked in an await (a Down, an Exit, an "
              "urgent message) cannot co_await a reply or a send; use tact::interleaved(...)");
}
}  // namespace

Waker& handler_waker(CellBase* base) {
  Cell* cell = Cell::from(base);
  if (cell->serving_lane) [[unlikely]] throw_await_while_parked();
  return extras_or_make(cell).suspension;
}

void handler_suspend(CellBase* base, ResumeFn resume, void* ctx) noexcept {
  Cell* cell = Cell::from(base);
  extras_known(cell).suspension.request(resume, ctx);  // the waker made them
  cell->requests.suspend = true;
}

void handler_await_wake(CellBase* base) noexcept {
  extras_known(Cell::from(base)).suspension.await_wake();
}

RuntimeCore* cell_runtime(CellBase* base) noexcept { return Cell::from(base)->runtime(); }

void cell_count_dead_letter(CellBase* base, std::string_view message_type) noexcept {
  Cell* cell = Cell::from(base);
  cell->runtime()->count_dead_letter(cell->vtable, message_type);
}

void cell_count_expired(CellBase* cell) noexcept { runtime_count_expired(Cell::from(cell)->runtime()); }
void runtime_count_expired(RuntimeCore* runtime) noexcept { runtime->count_expired(); }

}  // namespace tact::detail
