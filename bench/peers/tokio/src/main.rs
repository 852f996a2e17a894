//! tokio-workloads: the canonical actor workloads of WORKLOADS.md, run in the seed's
//! tokio pattern (a task owning its state, an unbounded mpsc mailbox, a oneshot reply).
//!
//!   tokio-workloads <workload>|all [--workers N] [--scale F] [--timeout S]
//!
//! Prints one `RESULT workload=... framework=tokio metric=... value=... unit=...`
//! line per figure on stdout (nothing else goes to stdout), verifies every result
//! and exits non-zero, saying why on stderr, when one is wrong or a workload does
//! not finish in time. `all` runs each workload once, each in a fresh process (this
//! program re-executed with the workload's name), so peak RSS and memory growth are
//! per workload.

mod ask_ext;
mod common;
mod fanin;
mod fanin_many;
mod fanin_pipelines;
mod idle_mem;
mod pairs;
mod pingpong;
mod ring;
mod skynet;

use std::process::{Command, ExitCode};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::Options;

struct Workload {
    name: &'static str,
    run: fn(&Options),
    about: &'static str,
}

const WORKLOADS: &[Workload] = &[
    Workload { name: "pingpong", run: pingpong::run, about: "1,000,000 ask/reply round trips between two actors" },
    Workload { name: "ask_ext", run: ask_ext::run, about: "200,000 blocking asks from a plain thread" },
    Workload { name: "fanin", run: fanin::run, about: "4 producers tell 10,000,000 Inc to one counter" },
    Workload { name: "fanin_many", run: fanin_many::run, about: "8 fan-ins of 4 producers, 10,000,000 Inc in all" },
    Workload { name: "ring", run: ring::run, about: "a token makes 10,000,000 hops round 503 actors" },
    Workload { name: "skynet", run: skynet::run, about: "a 10-ary tree of 1,111,111 actors sums its leaves" },
    Workload { name: "pairs", run: pairs::run, about: "1,000 pairs exchange 2,000 messages each" },
    Workload { name: "idle_mem", run: idle_mem::run, about: "1,000,000 idle actors: memory and spawn time" },
];

fn usage() -> String {
    let mut s = String::from(
        "usage: tokio-workloads <workload>|all [--workers N] [--scale F] [--timeout S]\n\
         \n\
         Runs the canonical actor workloads in the tokio task+mpsc+oneshot pattern, prints\n\
         one line per figure:\n  \
         RESULT workload=<name> framework=tokio metric=<m> value=<v> unit=<u>\n\
         verifies each result and exits non-zero when one is wrong.\n\
         \n\
         workloads:\n",
    );
    for w in WORKLOADS {
        s += &format!("  {:<10} {}\n", w.name, w.about);
    }
    s += &format!(
        "  {:<10} each of the above once, each in a fresh process\n\
         \n\
         options:\n  \
         --workers N   runtime worker threads (default: hardware concurrency)\n  \
         --scale F     multiply iteration counts by F, e.g. 0.01 for a quick check\n                \
         (default 1: the counts of WORKLOADS.md)\n  \
         --timeout S   a workload not done after S seconds fails (default 120)\n  \
         --help        this text\n",
        "all"
    );
    s
}

fn usage_error(what: &str) -> ! {
    eprintln!("tokio-workloads: {what} (see --help)");
    std::process::exit(2);
}

// ---- the watchdog: a bug must fail the run, never hang it ------------------------------

/// Armed for the whole of one workload (runtime shutdown included). The workloads
/// wait for their final replies with the same deadline and fail with a precise
/// message; this catches what they cannot (a blocking call that never returns).
struct Watchdog {
    disarmed: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    fn arm(workload: &'static str, timeout_s: u64) -> Self {
        let disarmed = Arc::new((Mutex::new(false), Condvar::new()));
        let shared = Arc::clone(&disarmed);
        let thread = std::thread::spawn(move || {
            let (lock, cv) = &*shared;
            let grace = Duration::from_secs(timeout_s + 15);
            let guard = lock.lock().unwrap();
            let (guard, _) = cv.wait_timeout_while(guard, grace, |done| !*done).unwrap();
            if !*guard {
                use std::io::Write;
                let _ = std::io::stdout().flush();
                eprintln!(
                    "tokio-workloads: {workload}: did not finish within {} s: hung (a lost \
                     message or a deadlock?); exiting",
                    timeout_s + 15
                );
                std::process::exit(3);
            }
        });
        Watchdog { disarmed, thread: Some(thread) }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (lock, cv) = &*self.disarmed;
        *lock.lock().unwrap() = true;
        cv.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run_one(w: &Workload, opts: &Options) -> ExitCode {
    let _watchdog = Watchdog::arm(w.name, opts.timeout_s);
    (w.run)(opts);
    ExitCode::SUCCESS
}

// ---- all: each workload in a child process ---------------------------------------------

/// Runs `self <workload> <options>` and waits for it (at most its own watchdog's
/// time plus a margin; a child past that is killed). True when it succeeded.
fn run_child(w: &Workload, opts: &Options) -> bool {
    let me = std::env::current_exe().unwrap_or_else(|_| std::env::args().next().unwrap().into());
    let mut child = match Command::new(&me)
        .arg(w.name)
        .args(["--workers", &opts.workers.to_string()])
        .args(["--scale", &opts.scale.to_string()])
        .args(["--timeout", &opts.timeout_s.to_string()])
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tokio-workloads: exec {}: {e}", me.display());
            return false;
        }
    };
    let limit = Instant::now() + Duration::from_secs(opts.timeout_s + 60);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if let Some(code) = status.code() {
                    return code == 0;
                }
                use std::os::unix::process::ExitStatusExt;
                if let Some(sig) = status.signal() {
                    eprintln!("tokio-workloads: {}: killed by signal {sig}", w.name);
                }
                return false;
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("tokio-workloads: waitpid: {e}");
                return false;
            }
        }
        if Instant::now() > limit {
            eprintln!(
                "tokio-workloads: {}: child {} still running past its watchdog; killing it",
                w.name,
                child.id()
            );
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run_all(opts: &Options) -> ExitCode {
    let failed: Vec<&str> = WORKLOADS.iter().filter(|w| !run_child(w, opts)).map(|w| w.name).collect();
    if failed.is_empty() {
        eprintln!("tokio-workloads: all {} workloads verified", WORKLOADS.len());
        ExitCode::SUCCESS
    } else {
        eprintln!("tokio-workloads: FAILED: {}", failed.join(" "));
        ExitCode::FAILURE
    }
}

// ---- arguments --------------------------------------------------------------------------

fn parse_number(option: &str, text: &str, min: f64) -> f64 {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= min => v,
        _ => usage_error(&format!("{option}: expected a number >= {min}, not '{text}'")),
    }
}

fn main() -> ExitCode {
    let mut opts = Options {
        workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        scale: 1.0,
        timeout_s: 120,
    };
    let mut name: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage_error(&format!("{arg} needs a value")));
        match arg.as_str() {
            "--help" | "-h" => {
                print!("{}", usage());
                return ExitCode::SUCCESS;
            }
            "--workers" => opts.workers = parse_number(&arg, &value(), 1.0) as usize,
            "--scale" => opts.scale = parse_number(&arg, &value(), 1e-9),
            "--timeout" => opts.timeout_s = parse_number(&arg, &value(), 1.0) as u64,
            a if a.starts_with('-') => usage_error(&format!("unknown option '{a}'")),
            a => match &name {
                None => name = Some(a.to_string()),
                Some(n) => usage_error(&format!("one workload (or all) at a time, not '{n}' and '{a}'")),
            },
        }
    }
    let name = name.unwrap_or_else(|| usage_error("which workload? (or all)"));
    if name == "all" {
        return run_all(&opts);
    }
    match WORKLOADS.iter().find(|w| w.name == name) {
        Some(w) => run_one(w, &opts),
        None => usage_error(&format!("no workload named '{name}'")),
    }
}
