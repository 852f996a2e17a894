#include "actor/supervision/child.hpp"

#include <exception>
#include <utility>

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#include "actor/runtime_core.hpp"
#include "actor/supervision/child_control.hpp"
#include "sync/mutex.hpp"
#include "tact/detail/ties.hpp"
#include "tact/supervisor.hpp"

namespace tact::detail {
namespace {

using State = SupervisedChild::State;

CellExtras& extras_of(Cell& cell) noexcept { return extras_known(&cell); }  // made at spawn

// The failed (or taken down) object goes: the coroutines it left awaiting with
// interleaving (they point into it), on_stop, then its destructor.
void destroy_object(Cell& cell, SupervisedChild& child) noexcept {
  if (child.object_gone) return;
  drop_interleaved_awaits(extras_of(cell).interleaved);
  void* object = cell.object();
  if (cell.vtable->on_stop != nullptr) {
    try {
      cell.vtable->on_stop(object, &cell);
    } catch (...) {
      // As in runner_stop: a failing on_stop does not stop the restart.
    }
  }
  cell.vtable->destroy(object);
  child.object_gone = true;
}

// The new incarnation: the object from the factory, then on_start. A throw
// from either fails the actor (it parks again; its supervisor counts it).
void rebuild_object(Cell& cell, SupervisedChild& child) noexcept {
  try {
    child.build(cell.object());
  } catch (...) {
    handler_fail(&cell, std::current_exception());
    return;
  }
  child.object_gone = false;
  if (cell.vtable->on_start == nullptr) return;
  try {
    cell.vtable->on_start(cell.object(), &cell);
  } catch (...) {
    handler_fail(&cell, std::current_exception());
  }
}

// The parked runner, woken (Suspension::Resume): restart, or stop for good.
// A kill (killed) stops it too; run_cell then sets the kill's reason.
void resume_parked_child(CellBase* base, void* /*ctx*/, bool killed) noexcept {
  Cell& cell = *Cell::from(base);
  SupervisedChild& child = *extras_of(cell).child;
  bool restart;
  {
    std::lock_guard<::tact::detail::Mutex> lock(child.mutex);
    restart = !killed && child.state == State::kRestarting;
    if (restart) {
      ++child.incarnation;
      child.state = State::kRunning;
    } else {
      child.state = State::kStopping;
    }
  }
  if (restart) {
    cell.runtime()->scheduler().metrics().count_restart(cell.vtable->name, cell.vtable->actor_name);
    rebuild_object(cell, child);
  } else if (!killed) {
    cell.stop_reason = StopReason::kShutdown;  // its supervisor stops it
    cell.requests.stop = true;
  }
}

// A supervisor's order to a running child to go down for a restart: through
// the system lane, ahead of the child's queued mail (which the restarted
// object handles).
struct TakeDownEnvelope final : Envelope {
  explicit TakeDownEnvelope(std::uint32_t incarnation_) noexcept
      : Envelope(&run), incarnation(incarnation_) {}

  static void run(Envelope* base, CellBase* cell_base, void*, EnvelopeOp op) noexcept {
    auto* self = static_cast<TakeDownEnvelope*>(base);
    if (op == EnvelopeOp::kFree) {
      delete self;
      return;
    }
    if (!is_handle(op)) return;  // rejected: the child stopped anyway
    Cell& cell = *Cell::from(cell_base);
    SupervisedChild& child = *extras_of(cell).child;
    {
      std::lock_guard<::tact::detail::Mutex> lock(child.mutex);
      // An order for an earlier incarnation (it failed on its own meanwhile and
      // was restarted) does not apply to this one.
      if (child.incarnation != self->incarnation || child.state != State::kRunning) return;
    }
    child.takedown_requested = true;
    cell.requests.stop = true;
  }

  std::uint32_t incarnation;
};

// The supervisor's tie on its child: the child stopped for good.
void notify_child_stopped(CellBase* supervisor, const StopInfo& info) noexcept {
  deliver_system<Supervisor>(supervisor, ChildStopped{AddressAccess::of(info.who)});
}

}  // namespace

SupervisedChild::SupervisedChild(CellBase* supervisor_cell, std::function<void(void*)> build_fn)
    : supervisor(supervisor_cell), build(std::move(build_fn)) {
  cell_retain(supervisor);
}

SupervisedChild::~SupervisedChild() { cell_release(supervisor); }

bool child_parks_instead_of_stopping(Cell& cell) noexcept {
  CellExtras* extras = extras_if_any(&cell);
  if (extras == nullptr || extras->child == nullptr) return false;
  SupervisedChild& child = *extras->child;
  const bool failed = cell.stop_reason == StopReason::kFailed;
  if (!failed && !child.takedown_requested) return false;
  // acquire: pairs with cell_kill's release CAS. A killed actor stops for good.
  if (cell.kill_reason.load(acquire) != 0) return false;
  destroy_object(cell, child);  // whether it parks or stops, this object is done
  ChildDown down{AddressAccess::of(&cell), 0, failed, failed ? extras->failure : nullptr};
  {
    std::lock_guard<::tact::detail::Mutex> lock(child.mutex);
    if (child.state != State::kRunning) return false;  // stopping for good
    down.incarnation = child.incarnation;
    child.state = State::kParked;
  }
  // Ready for the next incarnation (runner-only fields: we still run it).
  cell.requests.stop = false;
  // The stash outlives the object, as the mailbox does: replayed to the next
  // one right after its on_start (actor/stash.hpp).
  if (extras->stash.unstash_all()) cell.requests.changes |= HandlerRequests::kUnstash;
  cell.stop_reason = StopReason::kNormal;
  extras->failure = nullptr;
  child.takedown_requested = false;
  Suspension& suspension = extras->suspension;
  suspension.request(&resume_parked_child, nullptr);
  // Before park(): once parked, a wake may run the cell on another worker, which
  // reads `parked` first (park()'s release publishes it to the waker's acquire).
  cell.parked = true;
  Suspension::Park parked = suspension.park();
  // A poke (control-lane mail) cannot be served without an object: undone at
  // once; the lane waits for the next object (or the stop's rejection).
  while (parked == Suspension::Park::kPoked) parked = suspension.repark(false);
  if (parked == Suspension::Park::kWoken) {
    // A kill came first: resume now (it marks the child stopping) and stop.
    cell.parked = false;
    (void)suspension.resume();  // kKilled: a poke was undone above
    runner_stop_for_kill(&cell);
    return false;
  }
  // Parked: a wake may resume (and stop, and free) the cell on another worker
  // from now on. Only what we hold counted is used below.
  CellBase* supervisor = child.supervisor;
  cell_retain(supervisor);
  deliver_system<Supervisor>(supervisor, std::move(down));
  cell_release(supervisor);
  return true;
}

bool child_object_gone(Cell& cell) noexcept {
  CellExtras* extras = extras_if_any(&cell);
  return extras != nullptr && extras->child != nullptr && extras->child->object_gone;
}

// ---- the supervisor's side (child_control.hpp) ------------------------------------------

void child_attach(CellBase* child_base, CellBase* supervisor, std::function<void(void*)> build) {
  Cell& cell = *Cell::from(child_base);
  extras_or_make(&cell).child = std::make_unique<SupervisedChild>(supervisor, std::move(build));
  (void)tie_add(child_base, supervisor, TieKind::kSupervisor, &notify_child_stopped);
}

bool child_restart(CellBase* child_base) noexcept {
  Cell& cell = *Cell::from(child_base);
  CellExtras& extras = extras_of(cell);
  {
    std::lock_guard<::tact::detail::Mutex> lock(extras.child->mutex);
    if (extras.child->state != State::kParked) return false;  // stopping meanwhile
    extras.child->state = State::kRestarting;
  }
  extras.suspension.wake();  // the child rebuilds itself (resume_parked_child)
  return true;
}

void child_take_down(CellBase* child_base, std::uint32_t incarnation) noexcept {
  (void)cell_deliver_system(child_base, new TakeDownEnvelope(incarnation));
}

void child_stop(CellBase* child_base) noexcept {
  Cell& cell = *Cell::from(child_base);
  CellExtras& extras = extras_of(cell);
  State before;
  {
    std::lock_guard<::tact::detail::Mutex> lock(extras.child->mutex);
    before = extras.child->state;
    extras.child->state = State::kStopping;
  }
  if (before == State::kParked) {
    extras.suspension.wake();  // it resumes stopping (resume_parked_child)
  } else if (before != State::kStopping) {
    cell_stop(child_base, StopReason::kShutdown);
  }
}

}  // namespace tact::detail
