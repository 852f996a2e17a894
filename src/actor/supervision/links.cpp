// Linked exits: what stops an actor that does not trap exits when a linked
// actor stops abnormally (tact/exit.hpp has the rules).
#include <exception>
#include <string>
#include <utility>

#include "actor/cell.hpp"
#include "tact/detail/ties.hpp"
#include "tact/exit.hpp"
#include "reply/errors.hpp"

namespace tact {

const char* to_string(ExitReason reason) noexcept {
  switch (reason) {
    case ExitReason::normal:
      return "normal";
    case ExitReason::failed:
      return "failed";
    case ExitReason::shutdown:
      return "shutdown";
    case ExitReason::killed:
      return "killed";
  }
  return "unknown";
}

namespace {
std::string describe_linked_exit(ExitReason reason, const std::exception_ptr& cause) {
  std::string text = std::string("tact: a linked actor stopped (") + to_string(reason) + ")";
  if (cause) text += ": " + detail::describe_exception(cause);
  return text;
}
}  // namespace

LinkedExit::LinkedExit(ActorAddress who, ExitReason reason, std::exception_ptr cause)
    : Error(describe_linked_exit(reason, cause)),
      who_(std::move(who)),
      reason_(reason),
      cause_(std::move(cause)) {}

}  // namespace tact

namespace tact::detail {
namespace {

// Through the system lane, ahead of queued user mail: the actor fails with
// LinkedExit.
struct LinkedExitEnvelope final : Envelope {
  explicit LinkedExitEnvelope(const StopInfo& info)
      : Envelope(&run), who(AddressAccess::of(info.who)), reason(info.reason), error(info.error) {}

  static void run(Envelope* base, CellBase* cell, void*, EnvelopeOp op) noexcept {
    auto* self = static_cast<LinkedExitEnvelope*>(base);
    if (is_handle(op)) {  // (kHandleSwitched: the actor switched behaviour)
      handler_fail(cell, std::make_exception_ptr(LinkedExit(std::move(self->who), self->reason,
                                                         std::move(self->error))));
    } else if (op == EnvelopeOp::kReject) {
      // Dropped with the stopped actor (a system message: no dead letter).
      self->who = ActorAddress();
      self->error = nullptr;
    } else {
      delete self;
    }
  }

  ActorAddress who;
  ExitReason reason;
  std::exception_ptr error;
};

}  // namespace

void cell_deliver_linked_exit(CellBase* peer, const StopInfo& info) noexcept {
  (void)cell_deliver_system(peer, new LinkedExitEnvelope(info));
}

}  // namespace tact::detail
