//! Typed errors. Every failed enqueue hands the job back: nothing is lost.

use core::fmt;

use super::{Job, Priority};

/// Why an enqueue was refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum EnqueueErrorKind {
    /// The queue was full under [`Policy::Reject`](super::Policy::Reject), or had
    /// capacity 0, or (concurrent queue, \[C7\]) every unit of capacity was held by
    /// enqueues still in flight.
    QueueFull,
    /// A job with the same id is live (queued and not yet dequeued, canceled or evicted).
    DuplicateId,
    /// The queue was closed.
    Closed,
}

impl EnqueueErrorKind {
    /// A short lower-case label (`queue_full`, `duplicate_id`, `closed`).
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

/// A refused enqueue. The job (id, priority and payload) is handed back untouched.
///
/// In one race on a [`ConcurrentQueue`](super::ConcurrentQueue) a refused enqueue has
/// also evicted a job (see [`take_evicted`](Self::take_evicted)); call `take_evicted`
/// before [`into_job`](Self::into_job) or [`into_item`](Self::into_item), which drop it.
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
/// q.enqueue_item(1, Priority::Batch, "first").unwrap();
/// let err = q.enqueue_item(2, Priority::Batch, "second").unwrap_err();
/// assert_eq!(err.kind(), EnqueueErrorKind::QueueFull);
/// assert_eq!(err.into_item(), "second"); // nothing is lost
/// ```
pub struct EnqueueError<T, I = u64> {
    kind: EnqueueErrorKind,
    job: Job<T, I>,
    evicted: Option<Job<T, I>>,
}

impl<T, I> EnqueueError<T, I> {
    pub(crate) fn new(kind: EnqueueErrorKind, id: I, priority: Priority, item: T) -> Self {
        EnqueueError {
            kind,
            job: Job { id, priority, item },
            evicted: None,
        }
    }

    pub(crate) fn with_evicted(mut self, evicted: Option<Job<T, I>>) -> Self {
        self.evicted = evicted;
        self
    }

    /// A job evicted by this refused enqueue, which its client must be told about.
    ///
    /// Always `None` on [`InMemoryQueue`](super::InMemoryQueue) and whenever calls do not
    /// overlap. On a [`ConcurrentQueue`](super::ConcurrentQueue) under
    /// [`Policy::DropLru`](super::Policy::DropLru), an enqueue that had already evicted a
    /// job to make room can lose a race with a concurrent enqueue of the *same id* and be
    /// refused with [`DuplicateId`](EnqueueErrorKind::DuplicateId); the evicted job is
    /// then handed over here rather than lost.
    pub fn take_evicted(&mut self) -> Option<Job<T, I>> {
        self.evicted.take()
    }

    /// Why the enqueue was refused.
    pub fn kind(&self) -> EnqueueErrorKind {
        self.kind
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

    /// Hands the whole job back.
    pub fn into_job(self) -> Job<T, I> {
        self.job
    }

    /// Hands the payload back.
    pub fn into_item(self) -> T {
        self.job.item
    }
}

impl<T, I: fmt::Debug> fmt::Debug for EnqueueError<T, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnqueueError")
            .field("kind", &self.kind)
            .field("id", &self.job.id)
            .field("priority", &self.job.priority)
            .field("evicted", &self.evicted.as_ref().map(|job| &job.id))
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

/// Why a non-blocking dequeue returned no job.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
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

/// Why a blocking dequeue returned no job.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DequeueTimeoutError {
    /// The timeout passed with nothing to take.
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

/// The queue is closed and drained: the async dequeue's only error.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct QueueClosed;

impl fmt::Display for QueueClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is closed and drained")
    }
}

impl std::error::Error for QueueClosed {}
