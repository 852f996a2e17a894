//! pairs: 1,000 pairs of actors; in each pair the two tell each other back and
//! forth 1,000 times (2,000,000 messages over 2,000 actors). Figure: rate (msgs/s).
//!
//! Serve starts a rally: the server tells its partner Ball(1999), and each player
//! returns the ball with one less to go, so a pair exchanges 2,000 Balls, 1,000
//! each way. The player that receives Ball(0) reports the rally over to a Tally
//! actor, which answers the main thread once every pair is done.

use tokio::sync::{mpsc, oneshot};

use crate::common::*;

const NAME: &str = "pairs";
const PAIRS: i64 = 1_000;

enum TallyMsg {
    RallyOver,
}

fn spawn_tally(rallies: i64, all_over: oneshot::Sender<i64>) -> mpsc::UnboundedSender<TallyMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut over: i64 = 0;
        let mut all_over = Some(all_over);
        while let Some(TallyMsg::RallyOver) = rx.recv().await {
            over += 1;
            if over == rallies {
                if let Some(a) = all_over.take() {
                    let _ = a.send(over);
                }
            }
        }
    });
    tx
}

enum PlayerMsg {
    Partner(mpsc::UnboundedSender<PlayerMsg>, oneshot::Sender<()>),
    /// Balls this rally exchanges
    Serve(i64),
    /// Balls still to come after this one
    Ball(i64),
    Received(oneshot::Sender<i64>),
}

fn spawn_player(tally: mpsc::UnboundedSender<TallyMsg>) -> mpsc::UnboundedSender<PlayerMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut partner: Option<mpsc::UnboundedSender<PlayerMsg>> = None;
        let mut received: i64 = 0;
        while let Some(msg) = rx.recv().await {
            match msg {
                PlayerMsg::Partner(p, ack) => {
                    partner = Some(p);
                    let _ = ack.send(());
                }
                PlayerMsg::Serve(balls) => {
                    if let Some(p) = &partner {
                        let _ = p.send(PlayerMsg::Ball(balls - 1));
                    }
                }
                PlayerMsg::Ball(remaining) => {
                    received += 1;
                    if remaining == 0 {
                        let _ = tally.send(TallyMsg::RallyOver);
                    } else if let Some(p) = &partner {
                        let _ = p.send(PlayerMsg::Ball(remaining - 1));
                    }
                }
                PlayerMsg::Received(reply) => {
                    let _ = reply.send(received);
                }
            }
        }
    });
    tx
}

pub fn run(opts: &Options) {
    let per_direction = scaled(1_000, opts, 1); // Balls each player receives
    let balls = 2 * per_direction; // per pair
    let rt = runtime(opts);
    let _in_rt = rt.enter();
    let until = deadline(opts);

    let (all_over, over) = oneshot::channel();
    let tally = spawn_tally(PAIRS, all_over);
    let players: Vec<_> = (0..2 * PAIRS).map(|_| spawn_player(tally.clone())).collect();
    let link = |who: &mpsc::UnboundedSender<PlayerMsg>, partner: &mpsc::UnboundedSender<PlayerMsg>| {
        let (ack, linked) = oneshot::channel();
        let _ = who.send(PlayerMsg::Partner(partner.clone(), ack));
        wait_for(&rt, linked, until, NAME, "a partner link");
    };
    for pair in players.chunks(2) {
        link(&pair[0], &pair[1]);
        link(&pair[1], &pair[0]);
    }

    let clock = Stopwatch::start();
    for pair in players.chunks(2) {
        let _ = pair[0].send(PlayerMsg::Serve(balls));
    }
    let rallies = wait_for(&rt, over, until, NAME, "every rally to end");
    let seconds = clock.seconds();

    let mut received = 0;
    for (i, player) in players.iter().enumerate() {
        let (reply, count) = oneshot::channel();
        let _ = player.send(PlayerMsg::Received(reply));
        let r = wait_for(&rt, count, until, NAME, "a player's count");
        check_eq(r, per_direction, NAME, &format!("Balls received by player {i}"));
        received += r;
    }

    let messages = PAIRS * balls;
    check_eq(rallies, PAIRS, NAME, "rallies over");
    check_eq(received, messages, NAME, "Balls received in all");
    result(NAME, "rate", messages as f64 / seconds, "msgs/s");
}
