// fanin: 4 producer actors each tell 2,500,000 Inc{1} to one counter actor (no
// replies); done when the counter has counted 10,000,000. Figures: rate
// (msgs/s), peak_rss_mb (VmHWM of the process: run it in a fresh one; with
// TACT_MUTE_SENDERS=0 the counter's mailbox grows while the producers outrun it,
// by default they are muted until it catches up: docs/backpressure.md).
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
