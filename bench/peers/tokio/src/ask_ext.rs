//! ask_ext: a plain OS thread, not part of the runtime (here: main), asks an actor
//! 200,000 times, one blocking ask at a time: the mpsc send carries a oneshot
//! sender and the thread waits with the oneshot's blocking_recv(). Figures:
//! p50_ns, p99_ns, p999_ns of one ask.

use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::common::*;

const NAME: &str = "ask_ext";

enum ServiceMsg {
    Query(i64, oneshot::Sender<i64>),
    Handled(oneshot::Sender<i64>),
}

fn spawn_service(rt: &tokio::runtime::Runtime) -> mpsc::UnboundedSender<ServiceMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    rt.spawn(async move {
        let mut handled: i64 = 0;
        while let Some(msg) = rx.recv().await {
            match msg {
                ServiceMsg::Query(n, reply) => {
                    handled += 1;
                    let _ = reply.send(n + 1);
                }
                ServiceMsg::Handled(reply) => {
                    let _ = reply.send(handled);
                }
            }
        }
    });
    tx
}

/// The nearest-rank percentile of sorted samples.
fn percentile(sorted: &[i64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1] as f64
}

pub fn run(opts: &Options) {
    let asks = scaled(200_000, opts, 1);
    let warmup = (asks / 100).min(1_000); // not measured
    let rt = runtime(opts);
    let service = spawn_service(&rt);
    let until = deadline(opts);

    let mut latencies_ns: Vec<i64> = Vec::with_capacity(asks as usize);
    for i in -warmup..asks {
        let t0 = Instant::now();
        let (reply, answer) = oneshot::channel();
        if service.send(ServiceMsg::Query(i, reply)).is_err() {
            fail(NAME, "the service is gone");
        }
        let answer = answer.blocking_recv();
        let t1 = Instant::now();
        match answer {
            Ok(a) if a == i + 1 => {}
            Ok(a) => fail(NAME, &format!("Query({i}) answered {a}")),
            Err(_) => fail(NAME, &format!("Query({i}) unanswered")),
        }
        if i >= 0 {
            latencies_ns.push((t1 - t0).as_nanos() as i64);
        }
        if (i & 1023) == 0 && Instant::now() > until {
            fail(NAME, "did not finish in time");
        }
    }
    let (reply, handled) = oneshot::channel();
    let _ = service.send(ServiceMsg::Handled(reply));
    let count = wait_for(&rt, handled, until, NAME, "the handled count");

    check_eq(count, warmup + asks, NAME, "queries the actor handled");
    check_eq(latencies_ns.len() as i64, asks, NAME, "latency samples");
    latencies_ns.sort_unstable();
    result(NAME, "p50_ns", percentile(&latencies_ns, 0.50), "ns");
    result(NAME, "p99_ns", percentile(&latencies_ns, 0.99), "ns");
    result(NAME, "p999_ns", percentile(&latencies_ns, 0.999), "ns");
}
