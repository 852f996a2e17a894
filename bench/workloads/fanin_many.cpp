// fanin_many: 8 independent fan-ins, each of 4 producer actors telling 312,500
// Inc{1} to its own counter actor (no replies): fanin's 10,000,000 messages in all,
// split into pipelines that share no actor. Done when every counter has counted its
// 1,250,000. Figures: rate (msgs/s over all pipelines), peak_rss_mb.
//
// It asks whether the runtime runs independent pipelines in parallel: with more
// pipelines than workers, every worker has a whole pipeline to run, so 2 workers
// should approach twice one worker's rate (issue 20 asks for 1.6x).
//
// Eight pipelines of fanin_pipelines.hpp (the actors, chunked sends, verification).
#include "fanin_pipelines.hpp"

namespace workloads {

void run_fanin_many(const Options& opts) {
  run_fanin_pipelines(opts, {.name = "fanin_many",
                             .pipelines = 8,
                             .producers = 4,
                             .per_producer = scaled(312'500, opts)});
}

}  // namespace workloads
