//! ring (Savina ThreadRing): 503 actors in a ring pass one token; 10,000,000 hops
//! in all. Figure: rate (hops/s).
//!
//! The token carries the hops still to go and the oneshot sender to answer when
//! none are left; a node passing it on is one hop.

use tokio::sync::{mpsc, oneshot};

use crate::common::*;

const NAME: &str = "ring";
const NODES: usize = 503;

enum NodeMsg {
    /// Who comes next: sent once the whole ring is spawned (a ring has no first
    /// actor that could be built knowing its successor).
    Link(mpsc::UnboundedSender<NodeMsg>, oneshot::Sender<()>),
    /// hops still to go; answered by the node that sees 0, with its index
    Token(i64, oneshot::Sender<i64>),
    Received(oneshot::Sender<i64>),
}

fn spawn_node(index: i64) -> mpsc::UnboundedSender<NodeMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut received: i64 = 0;
        let mut next: Option<mpsc::UnboundedSender<NodeMsg>> = None;
        while let Some(msg) = rx.recv().await {
            match msg {
                NodeMsg::Link(n, ack) => {
                    next = Some(n);
                    let _ = ack.send(());
                }
                NodeMsg::Token(remaining, done) => {
                    received += 1;
                    if remaining == 0 {
                        let _ = done.send(index);
                    } else if let Some(n) = &next {
                        let _ = n.send(NodeMsg::Token(remaining - 1, done));
                    }
                }
                NodeMsg::Received(reply) => {
                    let _ = reply.send(received);
                }
            }
        }
    });
    tx
}

pub fn run(opts: &Options) {
    let hops = scaled(10_000_000, opts, 1);
    let rt = runtime(opts);
    let _in_rt = rt.enter();
    let until = deadline(opts);

    let ring: Vec<_> = (0..NODES).map(|i| spawn_node(i as i64)).collect();
    // Asked, and each answer awaited: every link is in place before the token starts.
    for i in 0..NODES {
        let (ack, linked) = oneshot::channel();
        let _ = ring[i].send(NodeMsg::Link(ring[(i + 1) % NODES].clone(), ack));
        wait_for(&rt, linked, until, NAME, "a link");
    }

    let (done, last) = oneshot::channel();
    let clock = Stopwatch::start();
    let _ = ring[0].send(NodeMsg::Token(hops, done));
    let last_node = wait_for(&rt, last, until, NAME, "the last hop");
    let seconds = clock.seconds();

    // The token visits node 0 first and moves one node per hop: after `hops` hops
    // it is at node hops % 503, and every node was handed it a known number of times.
    let nodes = NODES as i64;
    let mut received = 0;
    for (i, node) in ring.iter().enumerate() {
        let (reply, count) = oneshot::channel();
        let _ = node.send(NodeMsg::Received(reply));
        let r = wait_for(&rt, count, until, NAME, "a node's count");
        let expected = (hops + 1) / nodes + if (i as i64) < (hops + 1) % nodes { 1 } else { 0 };
        check_eq(r, expected, NAME, &format!("tokens received by node {i}"));
        received += r;
    }

    check_eq(last_node, hops % nodes, NAME, "node holding the token after the last hop");
    check_eq(received, hops + 1, NAME, "token receipts (hops + the first delivery)");
    result(NAME, "rate", hops as f64 / seconds, "hops/s");
}
