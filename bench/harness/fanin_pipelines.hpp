// Fan-in pipelines, the shape fanin and fanin_many share: `pipelines` independent
// fan-ins, each of `producers` producer actors telling `per_producer` Inc{1} to the
// pipeline's own counter actor (no replies). Done when every counter has counted its
// share. Figures: rate (msgs/s over all pipelines), peak_rss_mb (VmHWM of the
// process: run it in a fresh one).
//
// fanin is one pipeline of 4 producers (10,000,000 Inc); fanin_many is the same
// messages as 8 pipelines that share no actor: with more pipelines than workers,
// every worker has a whole pipeline to run, so 2 workers should approach twice one
// worker's rate (issue 20 asks for 1.6x). Both are defined once, in
// fanin_workloads.cpp; each program defines run_fanin_pipelines with its own
// framework's actors (bench/workloads, bench/peers/caf), and verifies every result:
// each counter reached exactly its share and counted no more once its producers had
// finished, each producer sent all of its share; a timeout names each pipeline still
// short of its share, with its count.
#pragma once

#include <cstdint>
#include <string_view>

#include "harness/harness.hpp"

namespace workloads {

struct FanInPipelines {
  std::string_view name;      // the workload's: RESULT lines and failures
  int pipelines;              // independent fan-ins, one counter each
  int producers;              // producers per pipeline
  std::int64_t per_producer;  // Inc{1} each producer tells its counter
};

// Defined by each program: spawns, times and verifies the pipelines.
void run_fanin_pipelines(const Options& opts, const FanInPipelines& shape);

}  // namespace workloads
