//! fanin: 4 producer actors each tell 2,500,000 Inc(1) to one counter actor (no
//! replies); done when the counter has counted 10,000,000. Figures: rate (msgs/s),
//! peak_rss_mb (VmHWM of the process: run it in a fresh one; the counter's
//! unbounded mailbox grows when the producers outrun it).
//!
//! One pipeline of fanin_pipelines.rs (the actors, chunked sends, verification).

use crate::common::*;
use crate::fanin_pipelines::{self, FanInPipelines};

pub fn run(opts: &Options) {
    fanin_pipelines::run(
        opts,
        &FanInPipelines { name: "fanin", pipelines: 1, producers: 4, per_producer: scaled(2_500_000, opts, 1) },
    );
}
