//! idle_mem: spawn 1,000,000 idle actors (a task awaiting its unbounded mailbox)
//! whose state is one i64, keep them alive, measure the growth of the resident
//! set. Figures: bytes_per_actor, spawn_ns (per actor).
//!
//! Measured like caf-workloads: tokio::spawn() allocates the task and queues it;
//! the task first runs (and parks on its empty mailbox) later on a worker. Both
//! figures are taken once every task has been polled once (each counts itself in
//! a per-thread slot, polled by the main thread): spawn_ns is the wall time from
//! the first spawn until the last task started, divided by their number; the RSS
//! is read then.
//!
//! How the bytes are counted: the mailbox senders are kept in a vector of
//! 1,000,000 (8 MB) that is built, and every page of it written, before the
//! baseline is read; so the growth from baseline to after the last spawn is the
//! actors alone (task, channel), divided by their number.

use tokio::sync::{mpsc, oneshot};

use crate::common::*;

const NAME: &str = "idle_mem";

enum IdleMsg {
    Get(oneshot::Sender<i64>),
}

fn spawn_idle(value: i64) -> mpsc::UnboundedSender<IdleMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        count_start();
        while let Some(IdleMsg::Get(reply)) = rx.recv().await {
            let _ = reply.send(value);
        }
    });
    tx
}

pub fn run(opts: &Options) {
    let count = scaled(1_000_000, opts, 1);
    let n = count as usize;
    let rt = runtime(opts);
    let _in_rt = rt.enter();
    let until = deadline(opts);

    // n empty slots, every page written now (pushed one by one: no zeroed-page trick).
    let mut actors: Vec<Option<mpsc::UnboundedSender<IdleMsg>>> = Vec::with_capacity(n);
    for _ in 0..n {
        actors.push(None);
    }
    let started_before = started();
    let before = read_rss();

    let clock = Stopwatch::start();
    for (i, slot) in actors.iter_mut().enumerate() {
        *slot = Some(spawn_idle(i as i64));
    }
    while started() - started_before < count {
        if std::time::Instant::now() > until {
            fail(NAME, &format!("timed out: {} of {count} actors started", started() - started_before));
        }
        std::thread::yield_now();
    }
    let spawn_ns = clock.ns();
    let after = read_rss();

    // Alive and intact: about 1,000 of them, spread over the whole range, answer
    // with the state they were built with.
    let stride = (n / 1_000).max(1);
    for i in (0..n).step_by(stride) {
        let (reply, value) = oneshot::channel();
        let actor = actors[i].as_ref().unwrap_or_else(|| fail(NAME, "an actor handle is empty"));
        if actor.send(IdleMsg::Get(reply)).is_err() {
            fail(NAME, &format!("actor {i} is gone"));
        }
        let v = wait_for(&rt, value, until, NAME, "an idle actor's state");
        check_eq(v, i as i64, NAME, &format!("state of actor {i}"));
    }
    check(actors.iter().all(|a| matches!(a, Some(s) if !s.is_closed())), NAME, "an actor is gone");
    check_eq(started() - started_before, count, NAME, "actors started");

    let grown_bytes = (after.current_kb - before.current_kb) as f64 * 1024.0;
    result(NAME, "bytes_per_actor", grown_bytes / count as f64, "bytes");
    result(NAME, "spawn_ns", spawn_ns / count as f64, "ns");
}
