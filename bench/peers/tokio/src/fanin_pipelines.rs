//! Fan-in pipelines, the shape fanin and fanin_many share (as tact's
//! bench/harness/fanin_pipelines.hpp): `pipelines` independent fan-ins, each of
//! `producers` producer actors telling `per_producer` Inc(1) to the pipeline's own
//! counter actor (no replies). Done when every counter has counted its share.
//! Figures: rate (msgs/s over all pipelines), peak_rss_mb (VmHWM of the process:
//! run it in a fresh one; a counter's unbounded mailbox grows when its producers
//! outrun it).
//!
//! A producer sends in chunks, as tact's does: it handles Produce(n) by sending one
//! chunk, then sending itself Produce(n - chunk) through its own mailbox. An
//! unbounded send never awaits, so without that a producer task would hold its
//! worker for its whole share; this way its counter and the other producers get
//! their turns in between.
//!
//! Every result is verified: each counter reached exactly its share, counted no
//! more once its producers had finished, and each producer's counter accepted every
//! Inc it told; a timeout names each pipeline still short of its share.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::common::*;

const CHUNK: i64 = 1_000;

pub struct FanInPipelines {
    /// the workload's: RESULT lines and failures
    pub name: &'static str,
    /// independent fan-ins, one counter each
    pub pipelines: usize,
    /// producers per pipeline
    pub producers: usize,
    /// Inc(1) each producer tells its counter
    pub per_producer: i64,
}

enum CounterMsg {
    Inc(i64),
    Count(oneshot::Sender<i64>),
}

fn spawn_counter(target: i64, reached: oneshot::Sender<i64>) -> mpsc::UnboundedSender<CounterMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut count: i64 = 0;
        let mut reached = Some(reached);
        while let Some(msg) = rx.recv().await {
            match msg {
                CounterMsg::Inc(amount) => {
                    count += amount;
                    if count == target {
                        if let Some(r) = reached.take() {
                            let _ = r.send(count);
                        }
                    }
                }
                CounterMsg::Count(reply) => {
                    let _ = reply.send(count);
                }
            }
        }
    });
    tx
}

enum ProducerMsg {
    Produce(i64),
}

fn spawn_producer(
    counter: mpsc::UnboundedSender<CounterMsg>,
    finished: oneshot::Sender<i64>,
) -> mpsc::UnboundedSender<ProducerMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let me = tx.clone();
    tokio::spawn(async move {
        let mut sent: i64 = 0;
        let mut finished = Some(finished);
        while let Some(msg) = rx.recv().await {
            match msg {
                ProducerMsg::Produce(remaining) => {
                    let chunk = remaining.min(CHUNK);
                    for _ in 0..chunk {
                        if counter.send(CounterMsg::Inc(1)).is_ok() {
                            sent += 1; // an error: the counter had stopped
                        }
                    }
                    if remaining > chunk {
                        let _ = me.send(ProducerMsg::Produce(remaining - chunk));
                    } else if let Some(f) = finished.take() {
                        let _ = f.send(sent); // how many the counter accepted
                    }
                }
            }
        }
    });
    tx
}

/// One fan-in: its counter and producers, and the replies they will answer.
struct Pipeline {
    counter: mpsc::UnboundedSender<CounterMsg>,
    /// the counter's count, once it has counted its share
    reached: oneshot::Receiver<i64>,
    producers: Vec<mpsc::UnboundedSender<ProducerMsg>>,
    /// per producer: the Incs its counter accepted
    finished: Vec<oneshot::Receiver<i64>>,
}

fn spawn_pipeline(shape: &FanInPipelines, share: i64) -> Pipeline {
    let (reached, counted) = oneshot::channel();
    let counter = spawn_counter(share, reached);
    let mut producers = Vec::new();
    let mut finished = Vec::new();
    for _ in 0..shape.producers {
        let (done, reply) = oneshot::channel();
        producers.push(spawn_producer(counter.clone(), done));
        finished.push(reply);
    }
    Pipeline { counter, reached: counted, producers, finished }
}

fn pipeline_name(i: usize, count: usize) -> String {
    format!("pipeline {} of {}", i + 1, count)
}

/// A counter missed the deadline: names every pipeline still short of its share.
/// Asks every counter first, then waits for the answers together (at most 5 s in
/// all: a Count waits behind the Incs queued before it), so the message comes well
/// before the watchdog's.
fn fail_stuck(rt: &tokio::runtime::Runtime, name: &str, pipelines: &[Pipeline], share: i64) -> ! {
    let answers: Vec<Option<oneshot::Receiver<i64>>> = pipelines
        .iter()
        .map(|p| {
            let (reply, answer) = oneshot::channel();
            p.counter.send(CounterMsg::Count(reply)).ok().map(|_| answer)
        })
        .collect();
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    let full = share.to_string();
    let mut stuck = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        let count = match answer {
            None => "? (the counter has stopped)".to_string(),
            Some(a) => match rt.block_on(async move { tokio::time::timeout_at(until, a).await }) {
                Ok(Ok(c)) => c.to_string(),
                Ok(Err(_)) => "? (the counter dropped the question)".to_string(),
                Err(_) => "? (no answer in 5 s)".to_string(),
            },
        };
        if count != full {
            let pipeline = pipeline_name(i, pipelines.len());
            stuck.push(format!("{pipeline}'s counter is stuck at {count} of {full}"));
        }
    }
    if stuck.is_empty() {
        stuck.push("every counter reached its share, but only after the deadline".to_string());
    }
    fail(name, &format!("timed out: {}", stuck.join("; ")));
}

pub fn run(opts: &Options, shape: &FanInPipelines) {
    let share = shape.per_producer * shape.producers as i64; // each counter's
    let total = share * shape.pipelines as i64;
    let rt = runtime(opts);
    let _in_rt = rt.enter();

    let mut pipelines: Vec<Pipeline> = (0..shape.pipelines).map(|_| spawn_pipeline(shape, share)).collect();
    let mut counts = Vec::with_capacity(pipelines.len());
    let until = deadline(opts);

    let clock = Stopwatch::start();
    for p in &pipelines {
        for producer in &p.producers {
            let _ = producer.send(ProducerMsg::Produce(shape.per_producer));
        }
    }
    for i in 0..pipelines.len() {
        let reached = &mut pipelines[i].reached;
        match rt.block_on(async move { tokio::time::timeout_at(until.into(), reached).await }) {
            Ok(Ok(c)) => counts.push(c),
            Ok(Err(_)) => fail(
                shape.name,
                &format!("{}'s counter failed: it dropped its report", pipeline_name(i, pipelines.len())),
            ),
            Err(_) => fail_stuck(&rt, shape.name, &pipelines, share),
        }
    }
    let seconds = clock.seconds();

    // Every counter reached exactly its share, every producer's Incs were all
    // accepted, and nothing more reached a counter once its producers had finished.
    let n = pipelines.len();
    for (i, p) in pipelines.into_iter().enumerate() {
        let name = pipeline_name(i, n);
        check_eq(counts[i], share, shape.name, &format!("{name}: count when its counter reached its share"));
        for (k, reply) in p.finished.into_iter().enumerate() {
            let producer = format!("{name}, producer {}", k + 1);
            let sent = wait_for(&rt, reply, until, shape.name, &format!("{producer}'s last chunk"));
            check_eq(sent, shape.per_producer, shape.name, &format!("{producer}: Inc messages its counter accepted"));
        }
        let (reply, final_count) = oneshot::channel();
        let _ = p.counter.send(CounterMsg::Count(reply));
        let settled = wait_for(&rt, final_count, until, shape.name, &format!("{name}'s final count"));
        check_eq(settled, share, shape.name, &format!("{name}: count after its producers finished"));
    }
    let rss = read_rss();

    result(shape.name, "rate", total as f64 / seconds, "msgs/s");
    result(shape.name, "peak_rss_mb", rss.peak_kb as f64 / 1024.0, "MB");
}
