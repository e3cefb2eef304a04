//! The values that move in and out of a queue.

use core::time::Duration;

use super::Priority;

/// A job as it was admitted: its id, its priority and its payload.
///
/// Returned for evicted jobs ([`Admitted::evicted`]) and inside errors
/// ([`EnqueueError::into_job`](super::EnqueueError::into_job)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Job<T, I = u64> {
    /// The job's unique id.
    pub id: I,
    /// The lane the job was (or would have been) queued in.
    pub priority: Priority,
    /// The payload.
    pub item: T,
}

/// The success value of an enqueue.
///
/// Under [`Policy::DropLru`](super::Policy::DropLru) a full queue makes room by evicting
/// one job; that job is handed back here so that its client can be told it was dropped.
/// On a [`Policy::Reject`](super::Policy::Reject) queue `evicted` is always `None`.
#[must_use = "under Policy::DropLru an admission can evict a job whose client must be told: check `evicted`"]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Admitted<T, I = u64> {
    /// The job evicted to make room for the new one, if any.
    pub evicted: Option<Job<T, I>>,
}

impl<T, I> Admitted<T, I> {
    /// Admitted without evicting anything.
    pub const fn queued() -> Self {
        Admitted { evicted: None }
    }

    /// `true` if a job was evicted to admit this one.
    pub fn evicted_one(&self) -> bool {
        self.evicted.is_some()
    }
}

/// A job taken out of the queue by a worker.
#[must_use = "a dequeued job is no longer in the queue: dropping it loses the job"]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Dequeued<T, I = u64> {
    /// The job's id.
    pub id: I,
    /// The lane it came from.
    pub priority: Priority,
    /// The payload; the worker now owns it.
    pub item: T,
    /// How long the job waited in the queue (enqueue to dequeue).
    pub waited: Duration,
}

impl<T, I> Dequeued<T, I> {
    /// Drops the wait time and returns the job.
    pub fn into_job(self) -> Job<T, I> {
        Job {
            id: self.id,
            priority: self.priority,
            item: self.item,
        }
    }
}
