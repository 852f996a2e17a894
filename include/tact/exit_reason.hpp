// ExitReason: why an actor stopped, as tact::Down and tact::Exit report it.
#pragma once

namespace tact {

enum class ExitReason : unsigned char {
  normal,    // ctx.stop(): the actor chose to stop
  failed,    // a handler (or on_start) threw; the notice carries the exception. An
             // actor stopped by a linked actor's failure fails with tact::LinkedExit
  shutdown,  // Runtime::shutdown(), or its supervisor stopped it
  killed,    // ref.kill(): stopped before its next message
};

// "normal", "failed", "shutdown", "killed".
const char* to_string(ExitReason reason) noexcept;

// Abnormal exits stop linked actors that do not trap exits (see tact/exit.hpp).
constexpr bool is_abnormal(ExitReason reason) noexcept {
  return reason == ExitReason::failed || reason == ExitReason::killed;
}

}  // namespace tact
