// Cell: one actor: its mailbox, its lifecycle state, and (right after the cell,
// in the same allocation) the user's object.
//
// Lifecycle, and who moves it:
//
//   idle ──(a push reports the mailbox's empty→non-empty edge)──> scheduled
//   scheduled ──(a worker picks it)──> running
//   running ──(mailbox drained, try_mark_empty succeeds)──> idle
//   running ──(budget used up, or a push half done)──> scheduled (yield)
//   running ──(ctx.stop(), a handler threw, or the runtime's Stop)──> stopped
//
// idle/scheduled is not a separate word: it is the mailbox's empty bit
// (src/mailbox/mpsc_queue.hpp). The one sender whose push sees the bit owns the
// right to run the actor and hands it to the scheduler; the runner gives it back
// by marking the mailbox empty, and re-checks the mailbox in the same CAS, so a
// concurrent push is never stranded. So one exchange per message decides
// scheduling, and an actor never runs on two threads at once.
//
// stopped is final. The runner that stops the actor sets the stopped bit of the
// `gate` (release), runs on_stop, destroys the object (its refs to other actors
// go with it, which is what breaks reference cycles), rejects what is queued,
// and marks the mailbox empty. A later sender sees the stopped bit (acquire)
// and rejects its own message; a sender that got the edge of a stopped cell drains and rejects instead of
// scheduling. A rejected ask resolves with ActorStopped; every rejection counts as
// a dead letter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mailbox/mpsc_queue.hpp"
#include "scheduler/task.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/envelope.hpp"

namespace tact::detail {

struct CellExtras;

// The first member of CellExtras: what Cell::runtime() reads once the extras
// exist (cell_extras.hpp), so that it needs no more than this declaration.
struct CellExtrasHead {
  RuntimeCore* const runtime;
};

enum class StopReason : unsigned char { kNormal, kFailed, kShutdown, kKilled };

// What a handler asked of its runner (runner-only). Four bytes read as one
// word after every handler: the check that nothing was asked is one load and
// one compare, not four.
struct HandlerRequests {
  static constexpr unsigned char kBecome = 1;   // ctx.become was called: switch after this handler
  static constexpr unsigned char kUnstash = 2;  // unstashed messages wait (actor/stash.hpp): handle
                                                // them before the mailbox's next one
  bool stop = false;     // ctx.stop(), a failure, a Stop: stop after this handler
  bool suspend = false;  // the handler awaits: park after it returns
  unsigned char changes = 0;  // kBecome | kUnstash
  bool yield = false;    // end the turn after this handler (backpressure.hpp)

  bool any() const noexcept {
    std::uint32_t word;
    std::memcpy(&word, this, sizeof word);
    return word != 0;
  }
};
static_assert(sizeof(HandlerRequests) == sizeof(std::uint32_t));

struct Cell final : CellBase, Task {
  Cell(RuntimeCore* rt, const ActorVTable* vt) noexcept
      : vtable(vt), runtime_or_extras(reinterpret_cast<std::uintptr_t>(rt)) {}

  static Cell* from(CellBase* base) noexcept { return static_cast<Cell*>(base); }
  void* object() noexcept;

  // Any thread holding a reference. The runtime is one word: in the cell until
  // the extras exist, in the extras after.
  RuntimeCore* runtime() const noexcept {
    // acquire: pairs with the release store in extras_make(), so the extras'
    // `runtime` is seen built.
    const std::uintptr_t word = runtime_or_extras.load(acquire);
    if (const CellExtrasHead* head = extras_head(word)) return head->runtime;
    return reinterpret_cast<RuntimeCore*>(word);
  }
  // What a value of runtime_or_extras names: the extras' head, or nullptr
  // while it still holds the runtime.
  static CellExtrasHead* extras_head(std::uintptr_t word) noexcept {
    if ((word & kHasExtras) == 0) return nullptr;
    return reinterpret_cast<CellExtrasHead*>(word & ~kHasExtras);
  }

  // Layout (72 bytes before the object; idle actors are many, so it is compact:
  // with an 8-byte actor, a cell is one 80-byte pool block):
  //   line 0: what senders touch (the reference count, the `gate`, the mailbox,
  //           whose head_ every tell exchanges) and what only spawn and stop touch;
  //   line 1: what the runner reads and writes per message (its flags), so a
  //           busy runner does not pull line 0 away from the senders.

  // What a sender does with a message, read by every tell in one load:
  // 0 pushes it into the mailbox; anything else takes the slow path, which
  // reads the bits. kStopped is set once by the runner that stops the actor
  // (release), read by senders (acquire) to reject early; kProxy is set before
  // a proxy's ref is handed out (proxy.hpp), and its messages are forwarded.
  // Folding the proxy mark in here keeps it off the common tell's path.
  static constexpr unsigned char kStopped = 1;
  static constexpr unsigned char kProxy = 2;
  Atomic<unsigned char> gate{0};
  bool is_stopped(std::memory_order order) const noexcept {
    return (gate.load(order) & kStopped) != 0;
  }
  // A kill's reason + 1 (0: none), set once by the first cell_kill (release);
  // the runner checks it at the start of each turn (acquire).
  Atomic<unsigned char> kill_reason{0};
  // Its last turn used the whole budget and left mail (actor/backpressure.hpp).
  // Written by the runner only; senders read it after their push, on the line
  // the push already brought in (relaxed: a hint; the muted list's mutex decides).
  Atomic<bool> overloaded{false};
  // Producers push, the runner pops (mpsc_queue.hpp); compact: 24 bytes.
  CompactMpscQueue mailbox;
  const ActorVTable* const vtable;
  // The runtime (bit 0 clear) until the extras are allocated on first use
  // (cell_extras.hpp: timers, watchers, bound, suspension, a failure); then
  // the extras' CellExtrasHead, with bit 0 set. Set once more, by a
  // compare-exchange (extras_make()); never cleared.
  static constexpr std::uintptr_t kHasExtras = 1;
  Atomic<std::uintptr_t> runtime_or_extras;
  // -- guarded by the registry shard's mutex ------------------------------------------------
  Cell* registry_prev = nullptr;
  Cell* registry_next = nullptr;

  // -- runner-only (touched by whoever holds the mailbox's consumer rights) ---------------
  // What a handler may ask for, checked after each one (run_turn in cell.cpp).
  HandlerRequests requests;
  bool started : 1 = false;
  bool parked : 1 = false;       // the runner returned parked: resume first
  bool counts_mail : 1 = false;  // bounded: uncount each message taken out
  bool switched : 1 = false;     // a behaviour is active (ctx.become)
  // A lane handler runs while the actor is parked in an await: it cannot await
  // itself (handler_waker refuses; the one waker is taken). Here, not in the
  // Suspension: the await path reads it, and this line is the runner's already.
  bool serving_lane : 1 = false;
  StopReason stop_reason = StopReason::kNormal;  // why it failed: CellExtras::failure
  // -- guarded by the registry shard's mutex ------------------------------------------------
  bool stop_sent = false;  // shutdown already sent this cell its Stop
  // -- senders and the runner --------------------------------------------------------------
  // Two flags senders raise for the runner, in line 1's last byte (line 0 is
  // full; the runner has this line, so looking at them costs one load). Senders set a flag with fetch_or, the
  // runner clears it with fetch_and:
  //   kFedByActors  an actor's tell found it busy since its runner last looked
  //                 (note_tell_to_busy; relaxed both ways: a hint). A turn that
  //                 ends behind stays on its worker only then (backpressure.hpp):
  //                 a consumer fed from plain threads has no producers to keep near.
  //                 Its senders read the byte first, so a flood writes it once.
  //   kSystemMail   the system lane has mail (system_lane.hpp): the runner drains
  //                 it at the end of its current turn.
  static constexpr unsigned char kFedByActors = 1;
  static constexpr unsigned char kSystemMail = 2;
  Atomic<unsigned char> sender_flags{0};
};

// Internal variants with a reason (shutdown uses kShutdown).
void cell_stop(CellBase* cell, StopReason reason) noexcept;
void cell_kill(CellBase* cell, StopReason reason) noexcept;
// The runner: stop after this handler, for the kill's reason.
void runner_stop_for_kill(Cell* cell) noexcept;

// As cell_deliver, without its early look at the stopped bit: the envelope is
// rejected by whoever holds the run rights once the actor has stopped, so its
// rejection comes after all the stopping runner did (its own, or ordered by the
// mailbox's exchange after the runner gave the rights back). For an envelope
// the stopping runner may still touch (interleaved_await.cpp).
// `counted`: a bounded mailbox already counts it (else it is counted as a
// system message).
bool cell_deliver_through_mailbox(Cell* cell, Envelope* envelope, bool counted = false) noexcept;

// Frees an envelope the mailbox retired (mpsc_queue.hpp, I2), if any.
inline void free_retired(MpscNode* retired) noexcept {
  if (retired == nullptr) return;
  auto* envelope = static_cast<Envelope*>(retired);
  envelope->fn(envelope, nullptr, nullptr, EnvelopeOp::kFree);
}

// Holding the run rights on a stopped cell: rejects everything queued, then
// gives the rights back (cell.cpp).
void reject_all_and_release_rights(Cell* cell) noexcept;

// The scheduler's RunTask for cells: one turn, up to one budget of messages
// (turn.cpp); one instance per setting of backpressure and metrics.
RunTask run_cell_for(const Config& config) noexcept;

}  // namespace tact::detail
