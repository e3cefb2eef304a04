//! Typed errors. Every failed enqueue hands the job back: nothing is lost.
//!
//! One error per shape of call: an enqueue can be refused for a reason
//! ([`EnqueueError`]); a dequeue that never waits finds the queue empty or closed
//! ([`TryDequeueError`]); one that waits up to a deadline times out or finds it closed
//! ([`DequeueTimeoutError`]); one that waits as long as it takes can only find it closed
//! ([`QueueClosed`]). `QueueClosed` converts into the other two with `From`.

use core::fmt;

use super::{EnqueueErrorKind, Job, Priority};
use crate::stats::recorder::StatsRecorder;

/// A refused enqueue. The job (id, priority and payload) is handed back untouched
/// ([`into_job`](Self::into_job)), and a refused enqueue never evicts a job: under
/// [`Policy::DropLru`](super::Policy::DropLru) an enqueue checks its id before it makes
/// room, so nothing else changed either.
///
/// `Debug` and `Display` do not print the payload, so the error can be logged for any
/// payload type.
///
/// # Examples
///
/// ```
/// use orchestrator_core::queue::{EnqueueErrorKind, InMemoryQueue, Policy, Priority};
///
/// let mut q = InMemoryQueue::with_capacity_policy(1, Policy::Reject);
/// assert!(q.enqueue_item(1, Priority::Batch, "first").unwrap().evicted.is_none());
/// let err = q.enqueue_item(2, Priority::Batch, "second").unwrap_err();
/// assert_eq!(err.kind(), EnqueueErrorKind::QueueFull);
/// assert_eq!(err.into_job().item, "second"); // nothing is lost
/// ```
#[must_use = "a refused enqueue hands the job back"]
#[derive(Clone, PartialEq, Eq)]
pub struct EnqueueError<T, I = u64> {
    kind: EnqueueErrorKind,
    job: Job<T, I>,
}

impl<T, I> EnqueueError<T, I> {
    pub(crate) fn new(kind: EnqueueErrorKind, id: I, priority: Priority, item: T) -> Self {
        EnqueueError {
            kind,
            job: Job { id, priority, item },
        }
    }

    /// Why the enqueue was refused.
    pub fn kind(&self) -> EnqueueErrorKind {
        self.kind
    }

    /// The refused job.
    pub fn job(&self) -> &Job<T, I> {
        &self.job
    }

    /// The id of the refused job.
    pub fn id(&self) -> &I {
        &self.job.id
    }

    /// The priority the refused job asked for.
    pub fn priority(&self) -> Priority {
        self.job.priority
    }

    /// `true` for [`EnqueueErrorKind::QueueFull`].
    pub fn is_full(&self) -> bool {
        self.kind == EnqueueErrorKind::QueueFull
    }

    /// `true` for [`EnqueueErrorKind::DuplicateId`].
    pub fn is_duplicate(&self) -> bool {
        self.kind == EnqueueErrorKind::DuplicateId
    }

    /// `true` for [`EnqueueErrorKind::Closed`].
    pub fn is_closed(&self) -> bool {
        self.kind == EnqueueErrorKind::Closed
    }

    /// Hands the refused job back (id, priority and payload): everything the error
    /// holds besides its [`kind`](Self::kind).
    pub fn into_job(self) -> Job<T, I> {
        self.job
    }
}

impl StatsRecorder {
    /// Counts a refused enqueue and builds its error: the one place both queues refuse
    /// through (written here, on the queue side, so that `stats` needs nothing of
    /// `queue`).
    pub(crate) fn refuse<T, I>(
        &self,
        kind: EnqueueErrorKind,
        id: I,
        priority: Priority,
        item: T,
    ) -> EnqueueError<T, I> {
        self.rejected(priority, kind);
        EnqueueError::new(kind, id, priority, item)
    }
}

impl<T, I: fmt::Debug> fmt::Debug for EnqueueError<T, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnqueueError")
            .field("kind", &self.kind)
            .field("id", &self.job.id)
            .field("priority", &self.job.priority)
            .finish_non_exhaustive()
    }
}

impl<T, I: fmt::Debug> fmt::Display for EnqueueError<T, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "enqueue of {} job {:?} refused: {}",
            self.job.priority, self.job.id, self.kind
        )
    }
}

impl<T, I: fmt::Debug> std::error::Error for EnqueueError<T, I> {}

/// Why a dequeue that never waits (`try_dequeue`) returned no job.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum TryDequeueError {
    /// No live job right now; more may come.
    Empty,
    /// The queue is closed and drained: no job will ever come \[Q7\].
    Closed,
}

impl fmt::Display for TryDequeueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryDequeueError::Empty => "queue is empty",
            TryDequeueError::Closed => "queue is closed and drained",
        })
    }
}

impl std::error::Error for TryDequeueError {}

impl From<QueueClosed> for TryDequeueError {
    fn from(_: QueueClosed) -> Self {
        TryDequeueError::Closed
    }
}

/// Why a dequeue that waits up to a deadline (`dequeue_timeout`, `dequeue_deadline`)
/// returned no job.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum DequeueTimeoutError {
    /// The deadline passed with nothing to take.
    Timeout,
    /// The queue is closed and drained: no job will ever come \[Q7\].
    Closed,
}

impl fmt::Display for DequeueTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DequeueTimeoutError::Timeout => "timed out waiting for a job",
            DequeueTimeoutError::Closed => "queue is closed and drained",
        })
    }
}

impl std::error::Error for DequeueTimeoutError {}

impl From<QueueClosed> for DequeueTimeoutError {
    fn from(_: QueueClosed) -> Self {
        DequeueTimeoutError::Closed
    }
}

/// The queue is closed and drained: the only error of a dequeue that waits as long as
/// it takes (`dequeue_blocking`, the async `dequeue`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct QueueClosed;

impl fmt::Display for QueueClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is closed and drained")
    }
}

impl std::error::Error for QueueClosed {}
