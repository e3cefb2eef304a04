//! The admission queue: two priorities, bounded, with cancel and a full-queue policy.
//!
//! * [`InMemoryQueue`] is the sequential reference model (`&mut self`): the executable
//!   definition of the semantics \[Q1\]–\[Q7\] that every other queue in this crate must
//!   agree with operation by operation.
//! * [`ConcurrentQueue`] is the same queue shared across threads (`&self`), lock-free on
//!   its hot path, with the guarantees \[C1\]–\[C8\] under concurrency.
//!
//! Where each part of the concurrent queue lives: `concurrent.rs` (the operations),
//! `cell.rs` (one place in a lane and the state machine that decides who owns its job),
//! `lanes.rs` (one ring of cells per priority, sized from the capacity, reused lap after
//! lap),
//! `capacity.rs` (the live-job bound and the closed flag) and `id_table.rs` (which ids
//! hold a job and where it is: duplicates, cancel, snapshots; sized from the capacity).
//! The wake signal that workers sleep on is a concurrency building block, in the
//! crate's `sync` module. The loom models of the protocol are in `queue/tests/`.
//!
//! The values that move in and out of both queues live here too: [`Priority`],
//! [`Policy`], [`JobId`], [`Job`], [`Admitted`], [`Dequeued`], and the typed errors
//! ([`EnqueueError`] with its [`EnqueueErrorKind`], and one error per shape of dequeue:
//! [`TryDequeueError`], [`DequeueTimeoutError`], [`QueueClosed`]).

mod capacity;
mod cell;
mod concurrent;
mod error;
mod id_table;
mod job;
mod lanes;
mod reference;

pub use crate::admission::{EnqueueErrorKind, JobId, Policy, Priority};
pub use concurrent::ConcurrentQueue;
pub use error::{DequeueTimeoutError, EnqueueError, QueueClosed, TryDequeueError};
pub use job::{Admitted, Dequeued, Job};
pub use reference::InMemoryQueue;

// The loom models, next to the code they check: only in the loom build's unit-test
// binary (see `crate::sync` for the switch).
#[cfg(all(test, loom))]
mod tests;
