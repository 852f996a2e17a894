#include "supervision/child.hpp"

#include <exception>
#include <utility>

#include "runtime/cell.hpp"
#include "runtime/cell_extras.hpp"
#include "runtime/runtime_core.hpp"
#include "supervision/child_control.hpp"
#include "tact/detail/ties.hpp"
#include "tact/supervisor.hpp"

namespace tact::detail {
namespace {

SupervisedChild& child_of(Cell& cell) noexcept { return *cell_extras_if_any(&cell)->child; }

// The failed (or taken down) object goes: on_stop, then its destructor.
void destroy_object(Cell& cell) noexcept {
  if (cell.object_gone) return;
  void* object = cell.object();
  if (cell.vtable->on_stop != nullptr) {
    try {
      cell.vtable->on_stop(object, &cell);
    } catch (...) {
      // As in stop_cell: a failing on_stop does not stop the restart.
    }
  }
  cell.vtable->destroy(object);
  cell.object_gone = true;
}

// A supervisor's order to a running child, handled in turn like a message.
struct TakeDownEnvelope final : Envelope {
  TakeDownEnvelope(bool for_good_, std::uint32_t incarnation_) noexcept
      : Envelope(&run), for_good(for_good_), incarnation(incarnation_) {}

  static void run(Envelope* base, CellBase* cell_base, void*, EnvelopeOp op) noexcept {
    auto* self = static_cast<TakeDownEnvelope*>(base);
    if (op == EnvelopeOp::kFree) {
      delete self;
      return;
    }
    if (op != EnvelopeOp::kHandle) return;  // rejected: the child stopped anyway
    Cell& cell = *Cell::from(cell_base);
    if (self->for_good) {
      if (!cell.stop_requested) cell.stop_reason = StopReason::kShutdown;
      cell.stop_requested = true;
      return;
    }
    SupervisedChild& child = child_of(cell);
    {
      std::lock_guard<std::mutex> lock(child.mutex);
      // An order for an earlier incarnation (it failed on its own meanwhile and
      // was restarted) does not apply to this one.
      if (child.incarnation != self->incarnation || child.state != SupervisedChild::State::kRunning) {
        return;
      }
    }
    child.takedown_requested = true;
    cell.stop_requested = true;
  }

  bool for_good;
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
  CellExtras* extras = cell_extras_if_any(&cell);
  if (extras == nullptr || extras->child == nullptr) return false;
  SupervisedChild& child = *extras->child;
  const bool failed = cell.stop_reason == StopReason::kFailed;
  if (!failed && !child.takedown_requested) return false;
  destroy_object(cell);  // whether it parks or stops, the object is done
  ChildDown down{AddressAccess::of(&cell), 0, failed, failed ? cell.failure : nullptr};
  CellBase* supervisor = child.supervisor;
  {
    std::lock_guard<std::mutex> lock(child.mutex);
    if (child.state != SupervisedChild::State::kRunning) return false;  // stopping for good
    down.incarnation = child.incarnation;
    // Ready for the next incarnation; written before the state hands the
    // rights over (the mutex orders them for the supervisor).
    cell.stop_requested = false;
    cell.stop_reason = StopReason::kNormal;
    cell.failure = nullptr;
    cell.started = false;
    child.takedown_requested = false;
    // The supervisor may stop us for good (and free the cell) as soon as we
    // unlock: keep what we still use.
    cell_retain(supervisor);
    child.state = SupervisedChild::State::kParked;
  }
  deliver_system<Supervisor>(supervisor, std::move(down));
  cell_release(supervisor);
  return true;
}

// ---- the supervisor's side (child_control.hpp) ------------------------------------------

void child_attach(CellBase* child_base, CellBase* supervisor, std::function<void(void*)> build) {
  Cell& cell = *Cell::from(child_base);
  cell_extras(&cell).child = std::make_unique<SupervisedChild>(supervisor, std::move(build));
  (void)tie_add(child_base, supervisor, TieKind::kSupervisor, &notify_child_stopped);
}

std::exception_ptr child_restart(CellBase* child_base) noexcept {
  Cell& cell = *Cell::from(child_base);
  SupervisedChild& child = child_of(cell);
  {
    std::lock_guard<std::mutex> lock(child.mutex);
    if (child.state != SupervisedChild::State::kParked) return nullptr;  // stopping meanwhile
  }
  // Parked: the rights are ours (child.hpp); nobody else touches the object.
  try {
    child.build(cell.object());
  } catch (...) {
    return std::current_exception();  // still parked, object gone
  }
  cell.object_gone = false;
  {
    std::lock_guard<std::mutex> lock(child.mutex);
    ++child.incarnation;
    child.state = SupervisedChild::State::kRunning;
  }
  // Hands the rights to a worker: on_start, then the queued mail.
  cell.runtime->scheduler().schedule(&cell);
  return nullptr;
}

void child_take_down(CellBase* child_base, std::uint32_t incarnation) noexcept {
  (void)cell_deliver(child_base, new TakeDownEnvelope(false, incarnation));
}

void child_stop(CellBase* child_base) noexcept {
  Cell& cell = *Cell::from(child_base);
  SupervisedChild& child = child_of(cell);
  SupervisedChild::State before;
  {
    std::lock_guard<std::mutex> lock(child.mutex);
    before = child.state;
    child.state = SupervisedChild::State::kStopping;
  }
  if (before == SupervisedChild::State::kRunning) {
    (void)cell_deliver(child_base, new TakeDownEnvelope(true, 0));
  } else if (before == SupervisedChild::State::kParked) {
    // We hold its rights: stop it here (its queued mail is rejected).
    cell.stop_requested = true;
    cell.stop_reason = StopReason::kShutdown;
    cell_stop(&cell);
  }
}

std::uint32_t child_incarnation(CellBase* child_base) noexcept {
  SupervisedChild& child = child_of(*Cell::from(child_base));
  std::lock_guard<std::mutex> lock(child.mutex);
  return child.incarnation;
}

}  // namespace tact::detail
