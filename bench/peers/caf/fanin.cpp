// fanin on CAF: 4 producer actors each send 2,500,000 (inc, 1) to one counter
// actor (plain asynchronous sends, no replies); done when the counter has counted
// 10,000,000. Figures: rate (msgs/s), peak_rss_mb (VmHWM of the process: run it
// in a fresh one; the counter's mailbox grows when the producers outrun it, CAF
// has no back-pressure on plain sends).
//
// One pipeline of fanin_pipelines.hpp (the actors, chunked sends, verification).
#include "fanin_pipelines.hpp"

namespace workloads {

void run_fanin(const Options& opts) {
  run_fanin_pipelines(opts, {.name = "fanin",
                             .pipelines = 1,
                             .producers = 4,
                             .per_producer = scaled(2'500'000, opts)});
}

}  // namespace workloads
