// What every workload of tact-workloads shares: the harness (options, RESULT lines,
// timing, resident memory, verification failures: bench/harness/harness.hpp) and
// tact's side of it: the runtime's configuration and the deadline a workload must
// meet. The workloads themselves (one file each) are plain tact code.
#pragma once

#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include <tact/tact.hpp>

#include "harness/harness.hpp"

namespace workloads {

// TACT_MUTE_SENDERS=0 in the environment turns Config::mute_senders off (for
// comparing backpressure's cost and memory side by side; docs/backpressure.md).
inline tact::Config runtime_config(const Options& opts) {
  tact::Config config;
  config.workers = opts.workers;
  config.metrics = opts.metrics;  // --metrics off: for the overhead comparison (docs/metrics.md)
  const char* mute = std::getenv("TACT_MUTE_SENDERS");
  if (mute != nullptr) config.mute_senders = std::string_view(mute) != "0";
  return config;
}

// The deadline the main thread waits for a workload's final reply: the run's
// --timeout from now. Waiting with get_until() turns a lost message into a clear
// failure ("counter stuck at ...") instead of a hang.
inline Clock::time_point deadline(const Options& opts) {
  return Clock::now() + std::chrono::seconds(opts.timeout_s);
}

// reply.get_until(deadline), failing the workload with `what` on timeout and with
// the error's message if the reply carries one.
template <class R>
R wait_for(tact::Reply<R>& reply, Clock::time_point until, std::string_view workload,
           const std::string& what) {
  try {
    return reply.get_until(until);
  } catch (const tact::Timeout&) {
    fail(workload, "timed out waiting for " + what);
  } catch (const std::exception& e) {
    fail(workload, what + " failed: " + e.what());
  }
}

}  // namespace workloads
