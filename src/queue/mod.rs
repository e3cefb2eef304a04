//! The admission queue: two priorities, bounded, with cancel and a full-queue policy.
//!
//! * [`InMemoryQueue`] is the sequential reference model (`&mut self`): the executable
//!   definition of the semantics \[Q1\]–\[Q7\] that every other queue in this crate must
//!   agree with operation by operation.
//! * [`ConcurrentQueue`] is the same queue shared across threads (`&self`), lock-free on
//!   its hot path, with the guarantees \[C1\]–\[C8\] under concurrency.
//!
//! Where each part of the concurrent queue lives: `concurrent.rs` (the operations),
//! `slot.rs` (the per-job state machine that decides who owns a payload),
//! `slot_arena.rs` (where the slots live: reused by generation, not allocated per job),
//! `capacity.rs` (the live-job bound and the closed flag), `lane.rs` (the FIFO of one
//! priority's job handles), `id_index.rs` (id -> job handle, for duplicates, cancel,
//! snapshots) and `wait.rs` (sleeping until there is work).
//!
//! The shared vocabulary lives here: [`Priority`], [`Policy`], [`Job`], [`Admitted`],
//! [`Dequeued`] and the typed errors [`EnqueueError`] and [`TryDequeueError`].

mod capacity;
mod concurrent;
mod error;
mod id_index;
mod job;
mod lane;
mod reference;
pub(crate) mod slot;
pub(crate) mod slot_arena;
mod wait;

pub use concurrent::ConcurrentQueue;
pub use error::{
    DequeueTimeoutError, EnqueueError, EnqueueErrorKind, QueueClosed, TryDequeueError,
};
pub use job::{Admitted, Dequeued, Job};
pub use reference::InMemoryQueue;

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
    /// job, and return the evicted job in [`Admitted::evicted`].
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
