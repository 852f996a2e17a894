//! skynet: the root spawns 10 children, each spawns 10, down 6 levels (1,000,000
//! leaves, 1,111,111 actors); each leaf answers its ordinal, each parent answers
//! the sum of its 10 children's answers; the root checks 499999500000. Figures:
//! ms (wall), rate (actors/s).
//!
//! Request/reply down the tree: a node is a task with its own mailbox; a parent
//! spawns each child and sends it Sum with a oneshot sender, then awaits the 10
//! oneshot receivers in its own task and answers its own request with the total.
//! Every node's task ends (its mailbox dropped) once it has answered: 1.1M finished
//! actors do not pile up.

use tokio::sync::{mpsc, oneshot};

use crate::common::*;

const NAME: &str = "skynet";
const BRANCHING: i64 = 10;

struct Sum {
    /// the ordinal of this subtree's first leaf
    first: i64,
    /// how many leaves below (1: this node is a leaf)
    size: i64,
    reply: oneshot::Sender<i64>,
}

fn spawn_node() -> mpsc::UnboundedSender<Sum> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Sum>();
    tokio::spawn(async move {
        count_start();
        if let Some(request) = rx.recv().await {
            if request.size == 1 {
                // a leaf: answers its ordinal
                let _ = request.reply.send(request.first);
                return;
            }
            let child_size = request.size / BRANCHING;
            let mut answers = Vec::with_capacity(BRANCHING as usize);
            for i in 0..BRANCHING {
                let (reply, answer) = oneshot::channel();
                let _ = spawn_node().send(Sum { first: request.first + i * child_size, size: child_size, reply });
                answers.push(answer);
            }
            let mut sum = 0;
            for answer in answers {
                match answer.await {
                    Ok(partial) => sum += partial,
                    Err(_) => return, // a child failed: so does this subtree (reply dropped)
                }
            }
            let _ = request.reply.send(sum);
        }
    });
    tx
}

pub fn run(opts: &Options) {
    // Leaves: a power of 10 (the tree is 10-ary), 10^6 at scale 1.
    let mut leaves: i64 = 10;
    while leaves * BRANCHING <= scaled(1_000_000, opts, 1) {
        leaves *= BRANCHING;
    }
    let mut actors: i64 = 0;
    let mut level = 1;
    while level <= leaves {
        actors += level;
        level *= BRANCHING;
    }
    let expected_sum = leaves * (leaves - 1) / 2;

    let rt = runtime(opts);
    let _in_rt = rt.enter();
    let until = deadline(opts);
    let started_before = started();

    let (reply, answer) = oneshot::channel();
    let clock = Stopwatch::start();
    let _ = spawn_node().send(Sum { first: 0, size: leaves, reply });
    let sum = wait_for(&rt, answer, until, NAME, "the root's sum");
    let seconds = clock.seconds();
    let ran = started() - started_before;

    check_eq(sum, expected_sum, NAME, "sum of the leaves' ordinals");
    check_eq(ran, actors, NAME, "actors spawned");
    result(NAME, "ms", seconds * 1e3, "ms");
    result(NAME, "rate", actors as f64 / seconds, "actors/s");
}
