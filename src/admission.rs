//! The vocabulary every part of the crate shares: what identifies a job, its priority,
//! what a full queue does, and why an admission is refused.
//!
//! A leaf module: it imports nothing from the rest of the crate, so the queues, the
//! stats, the backpressure advice and placement can all use these types without
//! depending on each other. The public paths are `orchestrator_core::queue::*`.

use core::fmt;
use core::hash::Hash;

/// The class of a job. `Interactive` jobs are always served before `Batch` jobs \[Q3\].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Priority {
    /// A user is waiting on the answer: served first.
    Interactive,
    /// Throughput work: served when no `Interactive` job is queued, and evicted first
    /// under [`Policy::DropLru`].
    Batch,
}

impl Priority {
    /// Both priorities in service order: `[Interactive, Batch]`.
    pub const ALL: [Priority; 2] = [Priority::Interactive, Priority::Batch];

    /// `0` for `Interactive`, `1` for `Batch`: the lane index, in service order.
    #[inline]
    pub const fn index(self) -> usize {
        match self {
            Priority::Interactive => 0,
            Priority::Batch => 1,
        }
    }

    /// The lower-case name used in logs and metric labels (`interactive`, `batch`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::Interactive => "interactive",
            Priority::Batch => "batch",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an enqueue does when the queue already holds `capacity()` live jobs \[Q2\].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Policy {
    /// Refuse the new job with [`EnqueueErrorKind::QueueFull`]; the queue is unchanged
    /// and the item is handed back.
    Reject,
    /// Evict the oldest `Batch` job (else the oldest `Interactive` job), admit the new
    /// job, and return the evicted job in [`Admitted::evicted`](crate::queue::Admitted::evicted).
    DropLru,
}

impl Policy {
    /// The label used by the orchestrator's API and metrics (`reject`, `drop-lru`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Policy::Reject => "reject",
            Policy::DropLru => "drop-lru",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a job id must be: a small value that is copied, compared and hashed.
///
/// Implemented for every `Copy + Eq + Hash + Send + Sync + 'static` type (`u64`, `u128`,
/// a UUID newtype, ...). You never implement it by hand.
pub trait JobId: Copy + Eq + Hash + Send + Sync + 'static {}

impl<I: Copy + Eq + Hash + Send + Sync + 'static> JobId for I {}

/// Why an enqueue was refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EnqueueErrorKind {
    /// The queue was full under [`Policy::Reject`](Policy::Reject), or had
    /// capacity 0, or (concurrent queue, \[C7\]) every unit of capacity was held by
    /// enqueues still in flight.
    QueueFull,
    /// A job with the same id is live (queued and not yet dequeued, canceled or evicted).
    DuplicateId,
    /// The queue was closed.
    Closed,
}

impl EnqueueErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [EnqueueErrorKind; 3] = [
        EnqueueErrorKind::QueueFull,
        EnqueueErrorKind::DuplicateId,
        EnqueueErrorKind::Closed,
    ];

    /// A short lower-case label (`queue_full`, `duplicate_id`, `closed`): the `reason`
    /// label of the rejection metric and the serde name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EnqueueErrorKind::QueueFull => "queue_full",
            EnqueueErrorKind::DuplicateId => "duplicate_id",
            EnqueueErrorKind::Closed => "closed",
        }
    }
}

impl fmt::Display for EnqueueErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EnqueueErrorKind::QueueFull => "queue is full",
            EnqueueErrorKind::DuplicateId => "a job with this id is already queued",
            EnqueueErrorKind::Closed => "queue is closed",
        })
    }
}
