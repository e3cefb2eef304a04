//! Observability: what happened to the jobs of a queue and how long they waited.
//!
//! * [`ConcurrentQueue::stats`](crate::queue::ConcurrentQueue::stats) and
//!   [`InMemoryQueue::stats`](crate::queue::InMemoryQueue::stats) return a
//!   [`QueueStats`]: per priority, the jobs enqueued, dequeued (started), canceled,
//!   evicted, the enqueues refused by reason, the live depth, and the queue-wait
//!   percentiles p50 / p90 / p99 / max within a stated error ([`WaitStats`]).
//! * With the `metrics` feature, [`MetricsExporter`] publishes the ORCH-3406 metrics
//!   through the [`metrics`](https://docs.rs/metrics) facade.
//!
//! # Cost
//!
//! Recording adds no shared atomic to the queue's hot path: each thread counts into its
//! own shard of counters and wait buckets (a relaxed `fetch_add` on a cache line that no
//! other running thread writes, while there are no more threads than shards), and
//! [`stats`](crate::queue::ConcurrentQueue::stats) sums the shards. The `stats` cargo
//! feature (on by default) can be turned off, which compiles the recording out and
//! removes the `stats` methods; `BENCHMARKS.md` reports the throughput with and without.
//!
//! # Consistency
//!
//! The counters are exact once the queue is quiet (no call in flight): then, per
//! priority, `enqueued = dequeued + canceled + evicted + depth`, and the depths add up
//! to the queue's `len`. A snapshot taken while other threads work reads each counter at
//! a slightly different moment, so it can be a few operations off that identity (the
//! derived `depth` never goes below 0).
//!
//! # Example
//!
//! ```
//! use orchestrator_core::queue::{ConcurrentQueue, EnqueueErrorKind, Policy, Priority};
//!
//! let q = ConcurrentQueue::with_capacity_policy(2, Policy::Reject);
//! assert!(q.enqueue(1, Priority::Interactive).unwrap().evicted.is_none());
//! assert!(q.enqueue(2, Priority::Batch).unwrap().evicted.is_none());
//! assert_eq!(q.enqueue(3, Priority::Batch).unwrap_err().kind(), EnqueueErrorKind::QueueFull);
//! assert_eq!(q.try_dequeue().unwrap().id, 1);
//! q.cancel(&2);
//!
//! let stats = q.stats();
//! assert_eq!(stats.interactive.enqueued, 1);
//! assert_eq!(stats.interactive.dequeued, 1);
//! assert_eq!(stats.interactive.wait.samples, 1);
//! assert!(stats.interactive.wait.p99.is_some());
//! assert_eq!(stats.batch.canceled, 1);
//! assert_eq!(stats.batch.rejected.full, 1);
//! assert_eq!(stats.batch.depth, 0);
//! ```

#[cfg(feature = "metrics")]
mod metrics_export;
pub(crate) mod recorder;
#[cfg(feature = "stats")]
mod wait_histogram;

#[cfg(feature = "metrics")]
pub use metrics_export::{
    MetricsExporter, ADMISSION_LATENCY_MS, QUEUE_DEPTH, TASKS_CANCELED_TOTAL, TASKS_ENQUEUED_TOTAL,
    TASKS_EVICTED_TOTAL, TASKS_REJECTED_TOTAL, TASKS_STARTED_TOTAL,
};
#[cfg(feature = "stats")]
pub use wait_histogram::{WaitStats, WAIT_RELATIVE_ERROR};

#[cfg(feature = "stats")]
use crate::admission::{EnqueueErrorKind, Priority};

/// A snapshot of a queue's counters and waits, per priority.
///
/// See the [module docs](self) for what is exact when. With the `serde` feature it
/// serializes (as an export format: it does not deserialize, see [`WaitStats`]).
#[cfg(feature = "stats")]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct QueueStats {
    /// The `Interactive` lane.
    pub interactive: PriorityStats,
    /// The `Batch` lane.
    pub batch: PriorityStats,
    /// Live jobs, from the queue's own bound accounting (`len()`).
    pub len: usize,
    /// The queue's capacity.
    pub capacity: usize,
    /// Whether the queue was closed.
    pub closed: bool,
}

#[cfg(feature = "stats")]
impl QueueStats {
    /// The stats of one priority.
    pub fn priority(&self, priority: Priority) -> &PriorityStats {
        match priority {
            Priority::Interactive => &self.interactive,
            Priority::Batch => &self.batch,
        }
    }

    /// Jobs dequeued (started) in both priorities: the service count that
    /// [`Backpressure::observe`](crate::backpressure::Backpressure::observe) takes.
    pub fn dequeued(&self) -> u64 {
        self.interactive.dequeued + self.batch.dequeued
    }

    /// Live jobs by the counters, both priorities (`len` counts admissions in flight
    /// too; at quiescence the two agree).
    pub fn depth(&self) -> u64 {
        self.interactive.depth + self.batch.depth
    }
}

/// What happened to the jobs of one priority since the queue was created.
#[cfg(feature = "stats")]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PriorityStats {
    /// Jobs admitted.
    pub enqueued: u64,
    /// Jobs taken by a worker (ORCH-3406 "started").
    pub dequeued: u64,
    /// Jobs removed by `cancel`.
    pub canceled: u64,
    /// Jobs evicted by a `DropLru` enqueue.
    pub evicted: u64,
    /// Enqueues refused, by reason.
    pub rejected: Rejections,
    /// Live jobs: `enqueued - dequeued - canceled - evicted` (0 if a concurrent
    /// snapshot would make it negative).
    pub depth: u64,
    /// How long dequeued jobs waited.
    pub wait: WaitStats,
}

/// Refused enqueues of one priority, by [`EnqueueErrorKind`].
#[cfg(feature = "stats")]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rejections {
    /// `QueueFull`.
    pub full: u64,
    /// `DuplicateId`.
    pub duplicate: u64,
    /// `Closed`.
    pub closed: u64,
}

#[cfg(feature = "stats")]
impl Rejections {
    /// The refusals of one kind.
    pub fn of(&self, kind: EnqueueErrorKind) -> u64 {
        match kind {
            EnqueueErrorKind::QueueFull => self.full,
            EnqueueErrorKind::DuplicateId => self.duplicate,
            EnqueueErrorKind::Closed => self.closed,
        }
    }

    /// Every refusal.
    pub fn total(&self) -> u64 {
        self.full + self.duplicate + self.closed
    }
}
