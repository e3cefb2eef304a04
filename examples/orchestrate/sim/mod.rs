//! The simulated orchestrator behind `cargo run --example orchestrate`.
//!
//! One process plays every part of an LLM-serving orchestrator:
//!
//! * **front ends** (`--producers` threads) submit jobs into one bounded
//!   [`ConcurrentQueue`](orchestrator_core::queue::ConcurrentQueue): `Interactive` chat
//!   turns (some with a session id) and `Batch` work, each job at its time in the
//!   submission window. Some clients hear nothing back for a while and resend the same
//!   job id, which the queue refuses as a duplicate while the first copy is live;
//! * the **canceller** thread cancels the jobs whose clients give up, after a random
//!   delay;
//! * **workers** (`--workers` threads) take jobs with `dequeue_blocking` whenever some
//!   pool has a free slot, ask [`placement::place`](orchestrator_core::placement::place)
//!   which pool should run each job, given the pools' current snapshots (free slots,
//!   free VRAM, warm sessions), and run it there for a simulated time: the first token,
//!   then the job's tokens at that pool's speed. A job that no free pool can take waits
//!   with its worker until one can; a job that no pool could ever take is booked as
//!   unplaceable.
//!
//! Four GPU pools are simulated (`fleet::POOLS`): two identical H100 pools, so that
//! placement's tie-breakers (warm KV cache, free slots, free VRAM, pool id) decide
//! between them, an A100 and an L40S that are slower and serve only the small model.
//!
//! # Two modes
//!
//! * **Deterministic** (the default): the actors still run on their own threads and
//!   every queue operation crosses threads, but the run advances in ticks of
//!   [`TICK_MS`] simulated milliseconds and, in each tick, the actors take turns one at a
//!   time in an order drawn from the seed (`drive::in_turns`). Nothing overlaps, so the
//!   queue behaves exactly like its sequential reference model, and every count of the
//!   report is fixed by the configuration and the seed. Workers look at the queue with
//!   `dequeue_timeout(Duration::ZERO)` on their turn.
//! * **Free run** (`--free-run`): every thread runs at once, sleeps for real and blocks in
//!   `dequeue_blocking()`; which of two racing operations wins (a cancel and a
//!   dequeue, two enqueues and the last free unit) is up to the OS scheduler, so the
//!   counts change from run to run. The ledger must still hold.
//!
//! Simulated time runs [`SPEEDUP`] times faster than the wall clock in both modes (unless
//! the deterministic run is unpaced), so the default 80 s of traffic take 8 s to watch.
//!
//! # The ledger
//!
//! Every submission must end exactly once: done, canceled, evicted, refused (queue
//! full, duplicate id, closed), or, after the queue, unplaceable. Each exit is booked by
//! the thread that received the job back from the queue, keyed by the submission id the
//! job carries as its payload (see `ledger`). A job handed out twice shows up as
//! `duplicated`, one never handed back as `lost`. The queue's own counters
//! (`ConcurrentQueue::stats`) must then agree with the ledger, count for count.

pub mod actors;
pub mod drive;
pub mod fleet;
pub mod ledger;
pub mod report;
pub mod rng;
pub mod workload;

use orchestrator_core::queue::Policy;

use actors::{Actor, Canceller, FrontEnd, Queue, Shared, Worker};
use fleet::{SharedSimFleet, SimFleet, POOLS};
use ledger::{Ledger, Progress};
use report::Report;
use rng::Rng;
use workload::Workload;

/// Simulated milliseconds.
pub type Millis = u64;

/// The length of one tick of the deterministic mode, simulated ms.
pub const TICK_MS: Millis = 10;

/// How many times faster than the wall clock simulated time runs.
pub const SPEEDUP: u64 = 10;

/// The configuration of one run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Jobs to submit (retries come on top).
    pub jobs: usize,
    /// Front-end threads.
    pub front_ends: usize,
    /// Worker threads.
    pub workers: usize,
    /// Queue capacity.
    pub capacity: usize,
    /// Full-queue policy.
    pub policy: Policy,
    /// Share of jobs whose client cancels after a while, `0..=1`.
    pub cancel_rate: f64,
    /// Share of jobs whose client resends the same job id, `0..=1`.
    pub retry_rate: f64,
    /// How long the front ends accept jobs, simulated ms; then the queue closes and
    /// drains.
    pub window_ms: Millis,
    /// Fixes the workload and, in the deterministic mode, the turn order.
    pub seed: u64,
    /// Deterministic or free.
    pub mode: Mode,
}

/// How the threads are scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// In turns, in a seed-determined order: every count is reproducible. `paced`
    /// keeps simulated time at [`SPEEDUP`] times the wall clock; otherwise the run goes
    /// as fast as the turns do (same counts).
    Deterministic {
        /// Follow the wall clock.
        paced: bool,
    },
    /// All threads at once: counts depend on timing.
    FreeRun,
}

/// Runs the simulation of `config` and reports on it; `progress` is updated as it
/// goes, for a progress display on another thread.
pub fn run(config: &Config, progress: &Progress) -> Report {
    let mut seeds = Rng::new(config.seed);
    let workload = Workload::generate(config, seeds.split());
    let turn_order = seeds.split();

    let queue = Queue::with_capacity_policy(config.capacity, config.policy);
    let fleet = SharedSimFleet::new(SimFleet::new(&POOLS));
    let ledger = Ledger::new(workload.submissions.len(), progress);
    let shared = Shared {
        queue: &queue,
        fleet: &fleet,
        ledger: &ledger,
        workload: &workload,
    };
    let actors = cast(shared, config);
    let finished_at = match config.mode {
        Mode::Deterministic { paced } => {
            drive::in_turns(actors, &queue, config.window_ms, turn_order, paced)
        }
        Mode::FreeRun => drive::free(actors, &queue, config.window_ms),
    };

    let queue_stats = queue.stats();
    let records = ledger.into_records();
    let tally = fleet.into_inner().into_tally();
    Report::build(
        config,
        &workload,
        &records,
        &POOLS,
        &tally,
        finished_at,
        &queue_stats,
    )
}

/// The threads of the run: the front ends, the canceller, then the workers.
fn cast<'a>(shared: Shared<'a>, config: &Config) -> Vec<Actor<'a>> {
    let front_ends =
        (0..config.front_ends).map(|index| Actor::FrontEnd(FrontEnd::new(shared, index)));
    let canceller = Actor::Canceller(Canceller::new(shared));
    let workers = (0..config.workers).map(|_| Actor::Worker(Worker::new(shared)));
    front_ends.chain([canceller]).chain(workers).collect()
}
