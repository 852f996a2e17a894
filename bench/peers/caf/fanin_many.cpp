// fanin_many on CAF: 8 independent fan-ins, each of 4 producer actors sending
// 312,500 (inc, 1) to its own counter actor (no replies): fanin's 10,000,000
// messages in all, split into pipelines that share no actor. Done when every
// counter has counted its 1,250,000. Figures: rate (msgs/s over all pipelines),
// peak_rss_mb.
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
