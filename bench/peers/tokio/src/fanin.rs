//! fanin: 4 producer actors each tell 2,500,000 Inc(1) to one counter actor (no
//! replies); done when the counter has counted 10,000,000. Figures: rate (msgs/s),
//! peak_rss_mb (VmHWM of the process: run it in a fresh one; the counter's
//! unbounded mailbox grows when the producers outrun it).
//!
//! A producer sends in chunks, as tact's does: it handles Produce(n) by sending one
//! chunk, then sending itself Produce(n - chunk) through its own mailbox. An
//! unbounded send never awaits, so without that a producer task would hold its
//! worker for all 2,500,000 sends; this way the counter and the other producers
//! get their turns in between.

use tokio::sync::{mpsc, oneshot};

use crate::common::*;

const NAME: &str = "fanin";
const PRODUCERS: usize = 4;
const CHUNK: i64 = 1_000;

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

pub fn run(opts: &Options) {
    let per_producer = scaled(2_500_000, opts, 1);
    let total = per_producer * PRODUCERS as i64;
    let rt = runtime(opts);
    let _in_rt = rt.enter();

    let (reached, counted) = oneshot::channel();
    let counter = spawn_counter(total, reached);
    let mut producers = Vec::new();
    let mut finished = Vec::new();
    for _ in 0..PRODUCERS {
        let (done, reply) = oneshot::channel();
        producers.push(spawn_producer(counter.clone(), done));
        finished.push(reply);
    }
    let until = deadline(opts);

    let clock = Stopwatch::start();
    for p in &producers {
        let _ = p.send(ProducerMsg::Produce(per_producer));
    }
    let count = match rt.block_on(async { tokio::time::timeout_at(until.into(), counted).await }) {
        Ok(Ok(c)) => c,
        _ => {
            let (reply, now) = oneshot::channel();
            let _ = counter.send(CounterMsg::Count(reply));
            let now = rt
                .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(5), now).await })
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or(-1);
            fail(NAME, &format!("timed out: the counter is stuck at {now} of {total}"));
        }
    };
    let seconds = clock.seconds();

    // Every producer has sent all it should, and nothing more reached the counter.
    let mut sent = 0;
    for reply in finished {
        sent += wait_for(&rt, reply, until, NAME, "a producer's last chunk");
    }
    let (reply, final_count) = oneshot::channel();
    let _ = counter.send(CounterMsg::Count(reply));
    let settled = wait_for(&rt, final_count, until, NAME, "the final count");
    let rss = read_rss();

    check_eq(count, total, NAME, "count when the counter reached its target");
    check_eq(sent, total, NAME, "Inc messages the producers sent");
    check_eq(settled, total, NAME, "count after every producer finished");
    result(NAME, "rate", total as f64 / seconds, "msgs/s");
    result(NAME, "peak_rss_mb", rss.peak_kb as f64 / 1024.0, "MB");
}
