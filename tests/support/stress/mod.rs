//! The stress harness of `ConcurrentQueue`: producer, canceller and worker threads run
//! random operations on one queue, every call is logged with timestamps from one shared
//! sequentially consistent counter, and a ledger checks the logs afterwards. The
//! `stress_*` test files run it in different configurations; [`stress`] is the entry.
//!
//! * `log`: the logical clock and what each thread logs.
//! * `actors`: the producer, canceller and worker threads.
//! * `run`: one run: starts the threads, finishes (close and drain, or drop with jobs
//!   inside), collects the logs, the drop counts and the stats.
//! * `ledger`: the checks of the logs (below); `stats`: the stats against the logs.
//!
//! # What the ledger proves
//!
//! Each call takes a stamp just before it starts and one just after it returns. Stamps
//! come from one `SeqCst` `fetch_add`, so `x.ret < y.start` means that call `x` returned
//! before call `y` started (happens-before). Every check below only flags orders that
//! the guarantees forbid for *every* interleaving consistent with the stamps, so it
//! cannot fail on a correct queue:
//!
//! * **[C1]** a sampler thread asserts `len() <= capacity()` while the test runs; the
//!   ledger also counts the jobs that were surely live at once (admitted before a stamp,
//!   their ending call started after it) and checks that count against the capacity.
//! * **[C2]** every admitted job (identified by the unique serial of its payload) ended
//!   exactly once: dequeued, canceled or evicted (or, in the drop variant, was still
//!   inside when the queue was dropped, and then only as many as `len()` said); every
//!   ending names an admitted job with the id and priority it was admitted with; every
//!   refused enqueue got its own item back; every payload is dropped exactly once.
//!   Duplicate ids: a producer sometimes re-submits one of its recent ids; a
//!   `DuplicateId` refusal must have had a live job with that id, and a re-admission
//!   must follow the end of the previous job with that id.
//! * **[C3]** FIFO within a lane: if `enqueue(a)` returned before `enqueue(b)` started
//!   (same lane), `a` was not canceled and `b` left the lane (dequeued, or evicted:
//!   evictions take the oldest job, [Q2]), then the call that took `a` started before
//!   the call that took `b` returned. The single-worker tests also check the plain
//!   dequeue order per producer.
//! * **[C4]** (the part checkable from outside) a dequeue that returns a `Batch` job
//!   never runs entirely inside the live span of an `Interactive` job that later was
//!   dequeued or evicted (or never left). Likewise ([Q2]) an eviction of an
//!   `Interactive` job never runs inside the live span of such a `Batch` job. Jobs that
//!   ended by `cancel` are left out of these span checks: another thread can pop such a
//!   job's slot from the lane and then lose it to the canceller, and a call in between
//!   cannot see the job.
//! * **[C5]** a job that both a `cancel` and a dequeue returned shows up as "ended
//!   twice"; a cancel's payload always carries the id it was asked for.
//! * **Stats** at quiescence (after the threads joined, before the queue is dropped):
//!   every counter of `stats()` equals the count of those events in the logs, per
//!   priority, and `enqueued = dequeued + canceled + evicted + depth` with each depth
//!   equal to the lane's `snapshot_priority` length (and their sum to `len()`).
//! * **[C7]** under `DropLru`, an enqueue refused with `QueueFull` never runs entirely
//!   inside the live span of a job that later was dequeued or evicted (or never left):
//!   that job would have been its victim.
//!
//! Randomness is a splitmix64 generator (`support::rng`) per thread, seeded from the
//! test's seed (`STRESS_SEED` overrides it); the thread schedule itself is not
//! reproducible, so a failure prints the seed and the offending calls.

use std::time::Instant;

use orchestrator_core::queue::Policy;

mod actors;
mod ledger;
mod log;
mod run;
#[cfg(feature = "stats")]
mod stats;

use ledger::{check_ledger, check_single_worker_order};
use log::EndKind;
use run::run;
#[cfg(feature = "stats")]
use stats::check_stats;

/// Producer threads per run.
pub const PRODUCERS: usize = 2;

/// How a run ends.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Close the queue; workers drain it and see `Closed`.
    CloseAndDrain,
    /// Stop the workers, then drop the queue with jobs still inside.
    DropWithJobsInside,
}

/// One run's configuration.
#[derive(Copy, Clone, Debug)]
pub struct Config {
    pub capacity: usize,
    pub policy: Policy,
    /// Enqueues per producer.
    pub producer_ops: usize,
    pub workers: usize,
    pub cancellers: usize,
    pub finish: Finish,
    pub seed: u64,
}

impl Config {
    /// Two workers, one canceller, 40 000 enqueues per producer, close and drain; the
    /// seed is `seed` unless `STRESS_SEED` is set.
    pub fn new(capacity: usize, policy: Policy, seed: u64) -> Self {
        Config {
            capacity,
            policy,
            producer_ops: 40_000,
            workers: 2,
            cancellers: 1,
            finish: Finish::CloseAndDrain,
            seed: std::env::var("STRESS_SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(seed),
        }
    }
}

/// Runs `cfg`, checks the ledger and the stats (and, with one worker, the dequeue order
/// per producer), and checks that the run was full often enough to test its policy.
pub fn stress(cfg: Config) {
    let started = Instant::now();
    let out = run(cfg);
    let summary = check_ledger(cfg, &out);
    #[cfg(feature = "stats")]
    check_stats(cfg, &out);
    if cfg.workers == 1 {
        check_single_worker_order(cfg, &out);
    }
    let ops: usize = out.logs.iter().map(|l| l.ops).sum();
    eprintln!(
        "{:?} cap {} {:?} seed {:#x}: {ops} calls in {:.2?}; {summary}",
        cfg.policy,
        cfg.capacity,
        cfg.finish,
        cfg.seed,
        started.elapsed()
    );
    // The run must have exercised the paths its policy is about: with tiny capacities
    // and stalled workers the queue is certainly full many times.
    if cfg.capacity <= 2 {
        let endings = out.logs.iter().flat_map(|l| &l.endings);
        match cfg.policy {
            Policy::DropLru => assert!(
                endings.filter(|e| e.kind == EndKind::Evicted).count() > 0,
                "no eviction happened: the test lost its power"
            ),
            Policy::Reject => assert!(
                out.logs
                    .iter()
                    .map(|l| l.full_refusals.len())
                    .sum::<usize>()
                    > 0,
                "no QueueFull happened: the test lost its power"
            ),
        }
    }
}
