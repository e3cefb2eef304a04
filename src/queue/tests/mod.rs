//! Loom models of the `ConcurrentQueue` protocol, one file per race (`loom_*.rs`).
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release` (all models, nothing else).
//! They are compiled into the library's unit-test binary only inside the loom build
//! (`cfg(all(test, loom))`), where `crate::sync` hands out loom atomics, cells and
//! locks: the whole protocol (lanes, id table, capacity, wake signal) runs on them, and
//! only the sleeping under the wake signal is a loom lock and condition variable (the
//! `sync` module docs say why).
//!
//! Each model runs with a preemption bound of 2 unless `LOOM_MAX_PREEMPTIONS` says
//! otherwise, and with at most three threads and a handful of operations.

mod loom_cancel_race;
mod loom_capacity_race;
mod loom_duplicate_race;
mod loom_eviction_race;
mod loom_fifo;
mod loom_id_table;
mod loom_lanes;
mod loom_priority;
mod loom_wakeup;

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `f` under loom with the crate's default bounds.
pub(crate) fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    model_with_preemptions(2, f);
}

/// Runs `f` under loom with `bound` preemptions unless `LOOM_MAX_PREEMPTIONS` is set.
pub(crate) fn model_with_preemptions<F>(bound: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(bound);
    }
    builder.check(f);
}

/// A payload that counts its drops in a counter shared by one model execution.
pub(crate) struct Tracked {
    pub(crate) id: u64,
    drops: std::sync::Arc<AtomicUsize>,
}

impl Tracked {
    pub(crate) fn new(id: u64, drops: &std::sync::Arc<AtomicUsize>) -> Self {
        Tracked {
            id,
            drops: std::sync::Arc::clone(drops),
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// Jobs that are live (`Queued`) right now, read from the id table: the
/// instantaneous count [C1] bounds, independent of the capacity counter.
pub(crate) fn live_jobs<T: Send>(q: &crate::queue::ConcurrentQueue<T, u64>) -> usize {
    crate::queue::Priority::ALL
        .iter()
        .map(|&priority| q.snapshot_priority(priority).len())
        .sum()
}

/// A fresh drop counter.
pub(crate) fn drop_counter() -> std::sync::Arc<AtomicUsize> {
    std::sync::Arc::new(AtomicUsize::new(0))
}

/// How many `Tracked` payloads of this counter were dropped.
pub(crate) fn drops(counter: &std::sync::Arc<AtomicUsize>) -> usize {
    counter.load(Ordering::Relaxed)
}

/// With every thread joined, the stats add up: per priority,
/// `enqueued = dequeued + canceled + evicted + depth`, each depth is the lane's live
/// count, and every job ended once (a job counted by two winners would break it).
#[cfg(feature = "stats")]
pub(crate) fn assert_stats_add_up<T: Send>(q: &crate::queue::ConcurrentQueue<T, u64>) {
    let stats = q.stats();
    for priority in crate::queue::Priority::ALL {
        let lane = stats.priority(priority);
        assert_eq!(
            lane.enqueued,
            lane.dequeued + lane.canceled + lane.evicted + lane.depth,
            "{priority}: {stats:?}"
        );
        assert_eq!(lane.depth, q.snapshot_priority(priority).len() as u64);
        assert_eq!(lane.wait.samples, lane.dequeued);
    }
    assert_eq!(stats.depth(), q.len() as u64, "{stats:?}");
}
