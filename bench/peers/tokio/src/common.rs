//! What every workload of tokio-workloads shares: options, RESULT lines, timing,
//! resident memory, verification failures, the runtime and the deadline a workload
//! must meet. It mirrors bench/workloads/common.hpp (tact's own workloads) so the
//! programs measure and verify the same way; the workloads themselves (one file
//! each) are plain tokio code in the seed's pattern: a task owning its state, an
//! unbounded mpsc channel as its mailbox, a oneshot channel per reply.

use std::io::Write;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

// ---- options ------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct Options {
    /// worker_threads of the multi-threaded runtime; from --workers (default: cores)
    pub workers: usize,
    /// multiplies iteration counts (--scale 0.01 for a quick check)
    pub scale: f64,
    /// a workload that has not finished by then has failed
    pub timeout_s: u64,
}

/// tokio's multi-threaded runtime (work-stealing, its defaults) with `--workers`
/// worker threads and the timer (for the deadlines the main thread waits with).
pub fn runtime(opts: &Options) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.workers)
        .enable_time()
        .build()
        .expect("building the tokio runtime")
}

/// `n` iterations at the requested scale, at least `min`.
pub fn scaled(n: i64, opts: &Options, min: i64) -> i64 {
    let v = (n as f64 * opts.scale).round() as i64;
    v.max(min)
}

// ---- output -------------------------------------------------------------------------------

/// One figure, in the format of WORKLOADS.md (stdout carries only these lines).
pub fn result(workload: &str, metric: &str, value: f64, unit: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "RESULT workload={workload} framework=tokio metric={metric} value={value:.2} unit={unit}"
    );
    let _ = out.flush();
}

/// A wrong result: says what was wrong and exits non-zero at once (no destructor
/// runs, so a runtime in a bad state cannot hang the exit).
pub fn fail(workload: &str, what: &str) -> ! {
    let _ = std::io::stdout().flush();
    eprintln!("tokio-workloads: {workload}: VERIFICATION FAILED: {what}");
    let _ = std::io::stderr().flush();
    std::process::exit(1);
}

pub fn check(ok: bool, workload: &str, what: &str) {
    if !ok {
        fail(workload, what);
    }
}

/// "expected X, got Y" checks of counts.
pub fn check_eq(got: i64, expected: i64, workload: &str, what: &str) {
    if got != expected {
        fail(workload, &format!("{what}: expected {expected}, got {got}"));
    }
}

// ---- timing -------------------------------------------------------------------------------

pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch(Instant::now())
    }
    pub fn ns(&self) -> f64 {
        self.0.elapsed().as_nanos() as f64
    }
    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// The deadline the main thread waits for a workload's final reply: the run's
/// --timeout from now.
pub fn deadline(opts: &Options) -> Instant {
    Instant::now() + Duration::from_secs(opts.timeout_s)
}

/// Waits, on the calling (non-runtime) thread, for a reply until `until`: fails
/// the workload with `what` on timeout, or when the actor dropped the reply's
/// sender without answering (it failed or stopped).
pub fn wait_for<T>(
    rt: &tokio::runtime::Runtime,
    reply: oneshot::Receiver<T>,
    until: Instant,
    workload: &str,
    what: &str,
) -> T {
    // (The timer future is made inside block_on: it needs the runtime's context.)
    let until = tokio::time::Instant::from_std(until);
    match rt.block_on(async move { tokio::time::timeout_at(until, reply).await }) {
        Ok(Ok(v)) => v,
        Ok(Err(_)) => fail(workload, &format!("{what} failed: the reply was dropped unanswered")),
        Err(_) => fail(workload, &format!("timed out waiting for {what}")),
    }
}

// ---- memory -------------------------------------------------------------------------------

#[derive(Clone, Copy, Default, Debug)]
pub struct Rss {
    /// VmRSS: resident now
    pub current_kb: i64,
    /// VmHWM: the highest VmRSS of this process so far
    pub peak_kb: i64,
}

/// From /proc/self/status (Linux). Zeros elsewhere.
pub fn read_rss() -> Rss {
    let mut rss = Rss::default();
    let status = match std::fs::read_to_string("/proc/self/status") {
        Ok(s) => s,
        Err(_) => return rss,
    };
    let field = |line: &str, name: &str| -> Option<i64> {
        let rest = line.strip_prefix(name)?; // "   1234 kB"
        rest.split_whitespace().next()?.parse().ok()
    };
    for line in status.lines() {
        if let Some(v) = field(line, "VmRSS:") {
            rss.current_kb = v;
        }
        if let Some(v) = field(line, "VmHWM:") {
            rss.peak_kb = v;
        }
    }
    rss
}

// ---- per-thread start counters (verification only) ------------------------------------------

/// How many actors (tasks) have started running, counted in a slot of the thread
/// that first polled them: a plain load and store on the thread's own cache line,
/// no shared read-modify-write in the measured path. tact checks its runtime's
/// spawn counter; tokio has none, so skynet and idle_mem count this way.
#[repr(align(64))]
struct StartCounter(AtomicI64);

const SLOTS: usize = 64;
#[allow(clippy::declare_interior_mutable_const)]
const ZERO: StartCounter = StartCounter(AtomicI64::new(0));
static STARTED: [StartCounter; SLOTS] = [ZERO; SLOTS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MY_SLOT: &'static StartCounter = &STARTED[NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS];
}

pub fn count_start() {
    MY_SLOT.with(|c| c.0.store(c.0.load(Ordering::Relaxed) + 1, Ordering::Relaxed));
}

pub fn started() -> i64 {
    STARTED.iter().map(|c| c.0.load(Ordering::Relaxed)).sum()
}
