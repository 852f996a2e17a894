#include "tact/errors.hpp"

namespace tact {

std::string HandlerFailed::describe(const std::exception_ptr& cause) {
  return detail::describe_exception(cause);
}

std::string detail::describe_exception(const std::exception_ptr& error) {
  if (!error) return "(no exception)";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "(a non-std::exception)";
  }
}

}  // namespace tact
