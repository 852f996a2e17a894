// fanin and fanin_many, for every program: the shapes of fanin_pipelines.hpp.
#include "harness/fanin_pipelines.hpp"

namespace workloads {

void run_fanin(const Options& opts) {
  run_fanin_pipelines(opts, {.name = "fanin",
                             .pipelines = 1,
                             .producers = 4,
                             .per_producer = scaled(2'500'000, opts)});
}

void run_fanin_many(const Options& opts) {
  run_fanin_pipelines(opts, {.name = "fanin_many",
                             .pipelines = 8,
                             .producers = 4,
                             .per_producer = scaled(312'500, opts)});
}

}  // namespace workloads
