// What every workload of caf-workloads shares: the harness tact-workloads uses too
// (options, RESULT lines, timing, resident memory, verification failures:
// bench/harness/harness.hpp), so the two programs measure and verify the same way,
// and CAF's side of it: the actor system's configuration, failing on a caf::error and
// the timeout a workload must meet. The workloads themselves (one file each) are
// plain CAF 0.17 code.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <caf/all.hpp>

#include "harness/harness.hpp"

namespace workloads {

// CAF's defaults (the work-stealing scheduler and its polling/sleeping policy, no
// throughput limit) except for the number of worker threads.
inline void configure(caf::actor_system_config& cfg, const Options& opts) {
  cfg.set("scheduler.max-threads", static_cast<caf::config_value::integer>(opts.workers));
}

// A request that came back with an error (or timed out) fails the workload.
[[noreturn]] inline void fail_with(std::string_view workload, const std::string& what,
                                   const caf::error& err) {
  fail(workload, what + " failed: " + caf::to_string(err));
}

// How long the main thread's scoped_actor waits for a workload's final message:
// the run's --timeout. Waiting with receive(..., after(...)) or a request timeout
// turns a lost message into a clear failure instead of a hang.
inline std::chrono::seconds timeout(const Options& opts) { return std::chrono::seconds(opts.timeout_s); }

}  // namespace workloads
