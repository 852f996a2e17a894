#include "tact/errors.hpp"

namespace tact {

std::string HandlerFailed::describe(const std::exception_ptr& cause) {
  if (!cause) return "(no exception)";
  try {
    std::rethrow_exception(cause);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "(a non-std::exception)";
  }
}

}  // namespace tact
