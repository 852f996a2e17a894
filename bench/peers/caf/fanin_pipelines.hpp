// Fan-in pipelines on CAF, the shape fanin and fanin_many share (as tact's
// bench/workloads/fanin_pipelines.hpp): `pipelines` independent fan-ins, each of
// `producers` producer actors sending `per_producer` (inc, 1) to the pipeline's own
// counter actor (plain asynchronous sends, no replies). Done when every counter has
// counted its share. Figures: rate (msgs/s over all pipelines), peak_rss_mb (VmHWM
// of the process: run it in a fresh one; a counter's mailbox grows when its
// producers outrun it, CAF has no back-pressure on plain sends).
//
// Every result is verified: each counter reached exactly its share, counted no more
// once its producers had finished, and each producer sent all of its share; a
// timeout names each pipeline still short of its share, with its count.
#pragma once

#include <cstdint>
#include <string_view>

#include "common.hpp"

namespace workloads {

struct FanInPipelines {
  std::string_view name;      // the workload's: RESULT lines and failures
  int pipelines;              // independent fan-ins, one counter each
  int producers;              // producers per pipeline
  std::int64_t per_producer;  // (inc, 1) each producer sends its counter
};

void run_fanin_pipelines(const Options& opts, const FanInPipelines& shape);

}  // namespace workloads
