// The boundary between tact's header templates and libtact.a: every function the
// public headers call out of line is declared here, and only here. The templates
// see cells, reply slots and timers as opaque pointers plus these calls, so the
// lock-free parts (mailbox, scheduler, cell layout) stay private to the library.
//
// One naming scheme: <what>_<verb>, where <what> says whose it is and who may call:
//   cell_      any thread holding a reference to the actor
//   handler_   the actor's runner only, inside a handler (ctx.* and coroutine awaits)
//   runtime_, registry_, tie_, child_, timer_, pool_   that part of the runtime
//   error_     builds the exception_ptr of one of tact's errors (kept off the hot path)
// The inline fast paths these back (cell_retain/cell_release, pool_allocate/pool_free,
// cell_reserve) live beside their types in cell.hpp and pool.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <string_view>

#include "tact/detail/type_name.hpp"
#include "tact/fwd.hpp"

namespace tact {
class TimerHandle;
enum class ExitReason : unsigned char;  // exit_reason.hpp
}  // namespace tact

namespace tact::detail {

struct ActorVTable;
class BehaviourTable;
struct CurrentRequest;
struct StopInfo;
struct Timer;
struct TimerCallbacks;
class ReplySlotBase;
struct Waker;
enum class Reserve : unsigned char;  // cell.hpp
enum class TieKind : unsigned char;  // ties.hpp

using TimerClock = std::chrono::steady_clock;
// Called when a parked handler is woken: resume it, or (killed) drop it.
using ResumeFn = void (*)(CellBase* cell, void* ctx, bool killed) noexcept;
// Runs on the stopping actor's thread (or on a thread that found it stopped);
// must not block. `peer` is the actor holding the tie.
using TieNotify = void (*)(CellBase* peer, const StopInfo& info) noexcept;
// What cell_on_stop runs, once: with the stop (on the stopping actor's thread,
// or here if it had stopped), or with nullptr if the cell's memory goes without
// a stop ever being known (a proxy whose owner never reported one). Must not block.
using StopListenerFn = void (*)(void* ctx, const StopInfo* info) noexcept;

// ===== spawning (src/actor/cell.cpp) ========================================================
// Allocates a cell for one object of the table's class; throws tact::Error when
// the runtime is shutting down. The cell holds no references yet.
CellBase* cell_allocate(RuntimeCore* runtime, const ActorVTable* vtable);
// Runtime::spawn_metered: the table a metered actor named `actor_name` of the
// class `of_class` is spawned with (one per class and name, kept for the
// runtime's life); `of_class` itself with metrics off. Throws tact::Error on an
// empty name.
const ActorVTable* runtime_metered_vtable(RuntimeCore* runtime, const ActorVTable* of_class,
                                          std::string_view actor_name);
// Where the object goes (placement new).
void* cell_object(CellBase* cell) noexcept;
// The object's constructor threw: free the raw cell.
void cell_abandon(CellBase* cell) noexcept;
// The object is built: the actor goes live. Returns the cell with one reference
// for the caller's ActorRef. If shutdown began meanwhile, destroys the object,
// frees the cell and throws tact::Error.
CellBase* cell_activate(CellBase* cell);
// The last reference went (cell_release).
void cell_free(CellBase* cell) noexcept;
RuntimeCore* cell_runtime(CellBase* cell) noexcept;

// ===== messages, any thread (src/actor/cell.cpp, mailbox_bound.cpp) ===============================
// Queues `envelope`, scheduling the actor when its mailbox was idle. Not refused
// by a mailbox bound. Returns false when the actor had stopped: the envelope was
// rejected (a dead letter; an ask resolves with tact::ActorStopped).
bool cell_deliver(CellBase* cell, Envelope* envelope) noexcept;
// A place in a bounded mailbox (cell_reserve, cell.hpp, checks `bounded` first).
Reserve cell_reserve_bounded(CellBase* cell) noexcept;
// Gives a reserved place back unused.
void cell_unreserve(CellBase* cell) noexcept;
// As cell_deliver, for a user message whose place was reserved.
bool cell_deliver_reserved(CellBase* cell, Envelope* envelope) noexcept;
// As cell_deliver, through the actor's system lane (src/actor/system_lane.hpp):
// handled at the end of the runner's current turn, before the user mail still
// queued. For Down, Exit, a supervisor's orders and notices.
bool cell_deliver_system(CellBase* cell, Envelope* envelope) noexcept;
// As cell_deliver_reserved, through the system lane: ref.tell_urgent.
bool cell_deliver_urgent(CellBase* cell, Envelope* envelope) noexcept;
// co_await ref.send(): `waker` is woken once when the bounded mailbox of `cell`
// has room again (or the actor stopped). May throw std::bad_alloc.
void cell_wait_for_room(CellBase* cell, Waker& waker);
// Takes a registration back: true if it was still there (no wake will come).
bool cell_cancel_wait_for_room(CellBase* cell, Waker& waker) noexcept;
// Stops a linked actor that does not trap exits: it fails with tact::LinkedExit
// when the message is handled (src/actor/supervision/links.cpp).
void cell_deliver_linked_exit(CellBase* peer, const StopInfo& info) noexcept;

// ===== proxies (src/actor/proxy.cpp; include/tact/detail/proxy.hpp) ============================
// A proxy cell stands for an actor elsewhere (another process): its object is a
// ProxyObject, built by the caller at cell_object() of a cell from cell_allocate.
// Makes the cell a proxy and returns it with one reference for the caller's ref.
// Every envelope delivered to it goes to the object's forward(), on the sender's
// thread; the cell is never scheduled, never registered as live, and its object
// is destroyed with its memory (the last reference).
CellBase* proxy_activate(CellBase* cell) noexcept;
// Any thread. The actor the proxy stands for stopped (or can no longer be
// reached): the proxy's watchers get their Down now, with `reason` (and
// `error`, for ExitReason::failed), and later watches get it at once. Once:
// later calls do nothing. Messages are still forwarded.
void proxy_stop(CellBase* cell, ExitReason reason, std::exception_ptr error) noexcept;

// ===== counters (RuntimeStats) ================================================================
// A user message (of the type named) reached a stopped actor (system messages
// are not counted); the dead-letter hook (Config::on_dead_letter) sees it.
void cell_count_dead_letter(CellBase* cell, std::string_view message_type) noexcept;
// The same for a message of type M, as one small call: out of line (and
// cold), so a send or envelope that inlines its dead-letter path carries no
// more code for the type's name, and still inlines where it did.
template <class M>
[[gnu::cold, gnu::noinline]] void count_dead_letter_of(CellBase* cell) noexcept {
  cell_count_dead_letter(cell, type_name<M>());
}
// A user message refused by a full mailbox.
void cell_count_refused(CellBase* cell) noexcept;
// An ask answered tact::Timeout, counted by whoever answers, before the answer is
// published: an asker that sees Timeout sees the count too.
void cell_count_expired(CellBase* cell) noexcept;
void runtime_count_expired(RuntimeCore* runtime) noexcept;

// ===== stopping, any thread (ActorRef::stop / kill) =============================================
// Both stop the actor at the end of its current turn (at most Config::budget more
// messages; a suspended handler is woken and dropped); what is queued becomes
// dead letters. The reason: `normal` for a
// stop, `killed` for a kill; the first of them decides.
void cell_stop(CellBase* cell) noexcept;
void cell_kill(CellBase* cell) noexcept;
// A stop that waits its turn: through the user mailbox, handled after the mail
// queued before it (as a handler calling ctx.stop()), reason `normal`. What a
// pool's shrink uses, so that nothing queued for a removed member is lost.
void cell_stop_after_queued(CellBase* cell) noexcept;

// ===== inside a handler: the actor's runner only (src/actor/) =================================
void handler_stop(CellBase* cell) noexcept;                          // ctx.stop()
void handler_fail(CellBase* cell, std::exception_ptr error) noexcept;  // the handler threw
// Switches the actor's behaviour from its next message (an empty table: back to
// A's own handlers). Throws std::bad_alloc.
void handler_become(CellBase* cell, BehaviourTable&& table);
// The active table, for an envelope handled with EnvelopeOp::kHandleSwitched.
const BehaviourTable& handler_behaviour(CellBase* cell) noexcept;
// The Waker an awaited event must wake (the actor's Suspension; allocated on
// first use, throws std::bad_alloc).
Waker& handler_waker(CellBase* cell);
// Once the handler returns, the actor handles nothing more until the waker is
// woken (or the actor is killed); then `resume(cell, ctx, killed)` runs on a
// worker, as a handler would.
void handler_suspend(CellBase* cell, ResumeFn resume, void* ctx) noexcept;
// A killed resume that could not take back its waker registration (the event is
// in flight): waits until the wake has happened.
void handler_await_wake(CellBase* cell) noexcept;
// Where a coroutine handler's Context lives (in the actor's extras, so the
// reference it holds stays valid across suspensions): one pointer's room.
void* handler_context_storage(CellBase* cell);
// Its size: a Context<A> (the cell and the stash point) fits.
inline constexpr std::size_t kContextStorageSize = 2 * sizeof(void*);
// Interleaved awaits (src/actor/interleaved_await.cpp): registers a resume
// envelope as the slot's waker. False if the reply is already there (do not
// suspend). `registered` is cleared when the registration is used up.
bool handler_await_interleaved(CellBase* cell, ReplySlotBase* slot, void* coroutine,
                               bool* registered);
// ctx.stash / ctx.unstash_all (src/actor/stash.cpp). handler_stash_room throws
// tact::StashFull when `capacity` messages are stashed already; handler_stash
// then keeps `envelope` (a tell or ask envelope of the current message).
void handler_stash_room(CellBase* cell, std::size_t capacity);
void handler_stash(CellBase* cell, Envelope* envelope) noexcept;
void handler_unstash_all(CellBase* cell) noexcept;
std::size_t handler_stash_size(CellBase* cell) noexcept;
// The request whose handler runs on this thread now (a Delegated handler's;
// thread_local, src/reply/current_request.cpp).
CurrentRequest& handler_current_request() noexcept;

// ===== blocking (src/sync/blocking.cpp) =========================================================
// True on a runtime worker and inside a Driver's run_ready(): Reply::get() there
// throws tact::WouldBlockWorker instead of deadlocking.
bool blocking_forbidden() noexcept;

// ===== blocking work: ctx.blocking (src/actor/blocking_pool.cpp) ===================================
// A job on the runtime's blocking pool: fn(job, true) runs it on a pool thread;
// fn(job, false) cancels it (shutdown). Either way it answers its Reply and
// frees itself.
using BlockingFn = void (*)(void* job, bool run) noexcept;
enum class BlockingSubmit : unsigned char {
  kQueued,  // fn will be called once, run or cancelled
  kFull,    // the queue is full (Config::blocking_queue): fn is never called
  kClosed,  // the runtime is shutting down: fn is never called
};
// Any thread. Starts a pool thread if none is idle (up to Config::blocking_threads).
BlockingSubmit blocking_pool_submit(RuntimeCore* runtime, BlockingFn fn, void* job) noexcept;

// ===== detached actors: rt.spawn_detached (src/actor/detached.cpp) ===============================
// A runtime of one worker thread for one detached actor, homed in `runtime`
// (or in its home, for a detached actor's own spawn_detached), with one
// reference for the caller. Throws tact::Error once shutdown has begun.
RuntimeCore* runtime_detached_core(RuntimeCore* runtime);
// The spawn into `detached` is over: `cell` is the actor (nullptr: the spawn
// threw). Drops the caller's reference.
void runtime_detached_spawned(RuntimeCore* detached, CellBase* cell) noexcept;
// Where ctx.spawn from `cell` spawns: its runtime, or a detached actor's home.
RuntimeCore* cell_spawn_runtime(CellBase* cell) noexcept;

// ===== names (src/actor/names/) ===================================================================
bool registry_add(RuntimeCore* runtime, std::string_view name, CellBase* cell);
// The named actor, counted, if its class is `vtable`'s (nullptr: any); else nullptr.
CellBase* registry_find(RuntimeCore* runtime, std::string_view name, const ActorVTable* vtable);
bool registry_remove(RuntimeCore* runtime, std::string_view name);

// ===== ties: watches, links, supervision (src/actor/supervision/) ========================================
// Any thread, holding a reference to both cells. Ties `peer` to `target`'s stop
// (once per (peer, kind): adding again is a no-op). If `target` has already
// stopped, `notify` runs now, here, and false is returned.
bool tie_add(CellBase* target, CellBase* peer, TieKind kind, TieNotify notify);
// Any thread, holding a reference to `target`: `fn(ctx, info)` runs once when
// it stops for good (now, here, if it has). A proxy starts watching the actor
// it stands for. Throws std::bad_alloc (then `fn` never runs).
void cell_on_stop(CellBase* target, StopListenerFn fn, void* ctx);
// Any thread. Unties; false if there was no such tie (or the target stopped).
bool tie_remove(CellBase* target, CellBase* peer, TieKind kind) noexcept;
// Before a supervised child goes live: records its supervisor and factory, and
// ties the supervisor to the child's stop.
void child_attach(CellBase* child, CellBase* supervisor, std::function<void(void*)> build);

// ===== timers (src/timer/timer_service.cpp) ======================================================
// Any thread (with `owner`: the owner's runner only). Starts a timer on
// `runtime`'s service firing `delay` from now, then every `period` (zero: once).
// With an `owner`, the timer is cancelled when that actor stops. Takes `ctx`:
// when it throws, dispose(ctx) has run. After shutdown: disposes at once and
// returns an inert handle.
TimerHandle timer_schedule(RuntimeCore* runtime, CellBase* owner, TimerClock::duration delay,
                           TimerClock::duration period, const TimerCallbacks* callbacks, void* ctx);
bool timer_cancel(Timer* timer) noexcept;
bool timer_active(Timer* timer) noexcept;
void timer_release(Timer* timer) noexcept;

// ===== memory (src/memory/block_pool.cpp) =========================================================
// The pool's slow paths: a thread's first use, an empty or full list, sizes
// outside the pool, thread exit, AddressSanitizer builds.
void* pool_allocate_slow(std::size_t bytes);
void pool_free_slow(void* block, std::size_t bytes) noexcept;

// ===== errors (src/reply/errors.cpp) =================================================================
std::exception_ptr error_actor_stopped() noexcept;
std::exception_ptr error_timeout() noexcept;
std::exception_ptr error_mailbox_full() noexcept;
std::exception_ptr error_handler_failed(std::exception_ptr cause) noexcept;

}  // namespace tact::detail
