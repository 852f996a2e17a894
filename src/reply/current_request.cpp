#include "tact/delegated.hpp"

namespace tact::detail {

CurrentRequest& handler_current_request() noexcept {
  thread_local CurrentRequest request;
  return request;
}

}  // namespace tact::detail
