// Fan-in pipelines, the shape fanin and fanin_many share: `pipelines` independent
// fan-ins, each of `producers` producer actors telling `per_producer` Inc{1} to the
// pipeline's own counter actor (no replies). Done when every counter has counted its
// share. Figures: rate (msgs/s over all pipelines), peak_rss_mb (VmHWM of the
// process: run it in a fresh one).
//
// Every result is verified: each counter reached exactly its share, counted no more
// once its producers had finished, and each producer's counter accepted every Inc it
// told; a timeout names each pipeline still short of its share, with its count.
#pragma once

#include <cstdint>
#include <string_view>

#include "common.hpp"

namespace workloads {

struct FanInPipelines {
  std::string_view name;      // the workload's: RESULT lines and failures
  int pipelines;              // independent fan-ins, one counter each
  int producers;              // producers per pipeline
  std::int64_t per_producer;  // Inc{1} each producer tells its counter
};

void run_fanin_pipelines(const Options& opts, const FanInPipelines& shape);

}  // namespace workloads
