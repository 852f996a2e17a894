//! pingpong: actor A asks actor B Ping(i) through the pattern's request/reply (an
//! mpsc send carrying a oneshot sender, then awaiting the oneshot receiver in A's
//! task); B replies i+1; on the reply A sends the next Ping. 1,000,000 round
//! trips. Figures: rtt_ns, rate.

use tokio::sync::{mpsc, oneshot};

use crate::common::*;

const NAME: &str = "pingpong";

enum PongerMsg {
    Ping(i64, oneshot::Sender<i64>),
}

fn spawn_ponger() -> mpsc::UnboundedSender<PongerMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            match msg {
                PongerMsg::Ping(n, reply) => {
                    let _ = reply.send(n + 1);
                }
            }
        }
    });
    tx
}

enum PingerMsg {
    Start {
        ponger: mpsc::UnboundedSender<PongerMsg>,
        rounds: i64,
        /// answered with the final counter, or what went wrong
        done: oneshot::Sender<Result<i64, String>>,
    },
}

fn spawn_pinger() -> mpsc::UnboundedSender<PingerMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut counter: i64 = 0; // the last answer: after k round trips, k
        while let Some(msg) = rx.recv().await {
            match msg {
                PingerMsg::Start { ponger, rounds, done } => {
                    let outcome = async {
                        while counter < rounds {
                            let (reply, answer) = oneshot::channel();
                            ponger.send(PongerMsg::Ping(counter, reply)).map_err(|_| "the ponger is gone".to_string())?;
                            let n = answer.await.map_err(|_| format!("Ping({counter}) unanswered"))?;
                            if n != counter + 1 {
                                return Err(format!("Ping({counter}) answered {n}"));
                            }
                            counter = n;
                        }
                        Ok::<i64, String>(counter)
                    }
                    .await;
                    let _ = done.send(outcome);
                }
            }
        }
    });
    tx
}

pub fn run(opts: &Options) {
    let rounds = scaled(1_000_000, opts, 1);
    let rt = runtime(opts);
    let _in_rt = rt.enter();
    let ponger = spawn_ponger();
    let pinger = spawn_pinger();
    let (done, finished) = oneshot::channel();

    let clock = Stopwatch::start();
    let _ = pinger.send(PingerMsg::Start { ponger, rounds, done });
    let counter = match wait_for(&rt, finished, deadline(opts), NAME, "the last round trip") {
        Ok(c) => c,
        Err(what) => fail(NAME, &what),
    };
    let ns = clock.ns();

    check_eq(counter, rounds, NAME, "final counter (one increment per round trip)");
    result(NAME, "rtt_ns", ns / rounds as f64, "ns");
    result(NAME, "rate", rounds as f64 / (ns / 1e9), "roundtrips/s");
}
