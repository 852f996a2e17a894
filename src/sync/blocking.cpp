#include "sync/blocking.hpp"

namespace tact::detail {
namespace {
thread_local bool t_blocking_forbidden = false;
thread_local BeforeBlocking t_before_blocking = nullptr;
thread_local void* t_before_blocking_context = nullptr;
}  // namespace

void set_blocking_forbidden(bool forbidden) noexcept { t_blocking_forbidden = forbidden; }
bool blocking_forbidden() noexcept { return t_blocking_forbidden; }

void set_before_blocking(BeforeBlocking fn, void* context) noexcept {
  t_before_blocking = fn;
  t_before_blocking_context = context;
}

void run_before_blocking() noexcept {
  if (t_before_blocking != nullptr) t_before_blocking(t_before_blocking_context);
}

}  // namespace tact::detail
