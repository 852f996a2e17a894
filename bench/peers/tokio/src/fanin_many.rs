//! fanin_many: 8 independent fan-ins, each of 4 producer actors telling 312,500
//! Inc(1) to its own counter actor (no replies): fanin's 10,000,000 messages in all,
//! split into pipelines that share no actor. Done when every counter has counted
//! its 1,250,000. Figures: rate (msgs/s over all pipelines), peak_rss_mb.
//!
//! Eight pipelines of fanin_pipelines.rs (the actors, chunked sends, verification).

use crate::common::*;
use crate::fanin_pipelines::{self, FanInPipelines};

pub fn run(opts: &Options) {
    fanin_pipelines::run(
        opts,
        &FanInPipelines { name: "fanin_many", pipelines: 8, producers: 4, per_producer: scaled(312_500, opts, 1) },
    );
}
