#include "reply/errors.hpp"

#include "tact/detail/runtime_abi.hpp"
#include "tact/errors.hpp"

namespace tact {

std::string HandlerFailed::describe(const std::exception_ptr& cause) {
  return detail::describe_exception(cause);
}

}  // namespace tact

namespace tact::detail {

std::string describe_exception(const std::exception_ptr& error) {
  if (!error) return "(no exception)";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "(a non-std::exception)";
  }
}

// Out of line: building an exception_ptr allocates and is not for the hot path.
std::exception_ptr error_actor_stopped() noexcept { return std::make_exception_ptr(ActorStopped()); }
std::exception_ptr error_timeout() noexcept { return std::make_exception_ptr(Timeout()); }
std::exception_ptr error_mailbox_full() noexcept { return std::make_exception_ptr(MailboxFull()); }
std::exception_ptr error_handler_failed(std::exception_ptr cause) noexcept {
  return std::make_exception_ptr(HandlerFailed(std::move(cause)));
}

}  // namespace tact::detail
