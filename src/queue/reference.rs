//! `InMemoryQueue`: the sequential reference model of the queue semantics \[Q1\]–\[Q7\].

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::{
    Admitted, Dequeued, EnqueueError, EnqueueErrorKind, Job, JobId, Policy, Priority,
    TryDequeueError,
};
use crate::stats::recorder::StatsRecorder;

/// One queued job inside a lane.
struct Entry<T, I> {
    id: I,
    item: T,
    enqueued_at: Instant,
}

/// The sequential reference model: a bounded two-priority FIFO with cancel.
///
/// `InMemoryQueue` is single-threaded (`&mut self`) and simple on purpose: it is the
/// executable definition of the semantics in the [crate docs](crate#semantics) and the
/// oracle that the concurrent queue and the fuzzer are checked against. Wrap it in a
/// mutex if you must share it; the crate's concurrent queue is the faster way.
///
/// The payload type `T` defaults to `()` and the id type `I` to `u64`. On a
/// payload-free queue, [`enqueue`](InMemoryQueue::enqueue) takes just the id and the
/// priority; with a payload, use [`enqueue_item`](InMemoryQueue::enqueue_item).
///
/// # Cost
///
/// `enqueue`, `enqueue_item`, `try_dequeue`, `len`, `contains` and `close` are O(1)
/// (amortized, expected for the id hash map). [`cancel`](InMemoryQueue::cancel),
/// [`position`](InMemoryQueue::position) and
/// [`snapshot_priority`](InMemoryQueue::snapshot_priority) scan one lane: O(n) in its
/// length.
///
/// # Examples
///
/// Payload-free, as the orchestrator's seed uses it:
///
/// ```
/// use orchestrator_core::queue::{InMemoryQueue, Policy, Priority};
///
/// let mut q = InMemoryQueue::with_capacity_policy(2, Policy::DropLru);
/// assert!(q.enqueue(7, Priority::Batch).unwrap().evicted.is_none());
/// assert!(q.enqueue(8, Priority::Interactive).unwrap().evicted.is_none());
///
/// // Full: the oldest Batch job makes room and is reported.
/// let admitted = q.enqueue(9, Priority::Interactive).unwrap();
/// assert_eq!(admitted.evicted.map(|job| job.id), Some(7));
///
/// // Interactive first, FIFO within a priority.
/// assert_eq!(q.try_dequeue().unwrap().id, 8);
/// assert_eq!(q.try_dequeue().unwrap().id, 9);
/// assert!(q.is_empty());
/// ```
///
/// With payloads and cancel:
///
/// ```
/// use orchestrator_core::queue::{InMemoryQueue, Policy, Priority};
///
/// let mut q: InMemoryQueue<String> = InMemoryQueue::with_capacity_policy(8, Policy::Reject);
/// // A `Reject` queue never evicts: `evicted` is always `None`.
/// let _ = q.enqueue_item(1, Priority::Batch, "summarize".to_string()).unwrap();
/// let _ = q.enqueue_item(2, Priority::Batch, "translate".to_string()).unwrap();
/// assert_eq!(q.position(&2), Some(1));
/// assert_eq!(q.cancel(&1).as_deref(), Some("summarize"));
/// assert_eq!(q.position(&2), Some(0));
/// assert_eq!(q.snapshot_priority(Priority::Batch), vec![2]);
/// ```
pub struct InMemoryQueue<T = (), I = u64> {
    /// `lanes[p.index()]`: the live jobs of priority `p`, front to back.
    lanes: [VecDeque<Entry<T, I>>; 2],
    /// Every live id and its lane: O(1) duplicate refusal and lane lookup.
    live: HashMap<I, Priority>,
    capacity: usize,
    policy: Policy,
    closed: bool,
    stats: StatsRecorder,
}

impl<T, I: JobId> InMemoryQueue<T, I> {
    /// A queue that holds at most `capacity` live jobs and applies `policy` when full.
    ///
    /// `capacity` 0 is allowed: every enqueue is refused with `QueueFull` \[Q1\].
    pub fn with_capacity_policy(capacity: usize, policy: Policy) -> Self {
        InMemoryQueue {
            lanes: [VecDeque::new(), VecDeque::new()],
            live: HashMap::new(),
            capacity,
            policy,
            closed: false,
            stats: StatsRecorder::single(),
        }
    }

    /// A queue of `capacity` with the [`Policy::Reject`] policy.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_policy(capacity, Policy::Reject)
    }

    /// Admits job `id` with payload `item` at the back of its lane \[Q2\].
    ///
    /// In this order: a live duplicate id is refused with `DuplicateId`; a closed queue
    /// refuses with `Closed`; a queue with room admits; a full queue refuses with
    /// `QueueFull` under [`Policy::Reject`], and under [`Policy::DropLru`] evicts the
    /// oldest `Batch` job (else the oldest `Interactive` job), admits, and returns the
    /// evicted job in [`Admitted::evicted`]. Every refusal hands the item back and
    /// leaves the queue unchanged. O(1).
    pub fn enqueue_item(
        &mut self,
        id: I,
        priority: Priority,
        item: T,
    ) -> Result<Admitted<T, I>, EnqueueError<T, I>> {
        if self.live.contains_key(&id) {
            return Err(self
                .stats
                .refuse(EnqueueErrorKind::DuplicateId, id, priority, item));
        }
        if self.closed {
            return Err(self
                .stats
                .refuse(EnqueueErrorKind::Closed, id, priority, item));
        }
        let mut admitted = Admitted::queued();
        if self.len() >= self.capacity {
            // Capacity 0 lands here too, with nothing to evict under either policy.
            let victim = match self.policy {
                Policy::Reject => None,
                Policy::DropLru => self.evict_oldest(),
            };
            match victim {
                Some(job) => admitted.evicted = Some(job),
                None => {
                    return Err(self
                        .stats
                        .refuse(EnqueueErrorKind::QueueFull, id, priority, item))
                }
            }
        }
        self.live.insert(id, priority);
        self.stats.enqueued(priority);
        self.lanes[priority.index()].push_back(Entry {
            id,
            item,
            enqueued_at: Instant::now(),
        });
        Ok(admitted)
    }

    /// Removes the `DropLru` victim: the front of `Batch`, else the front of
    /// `Interactive`.
    fn evict_oldest(&mut self) -> Option<Job<T, I>> {
        for priority in [Priority::Batch, Priority::Interactive] {
            if let Some(entry) = self.lanes[priority.index()].pop_front() {
                self.live.remove(&entry.id);
                self.stats.evicted(priority);
                return Some(Job {
                    id: entry.id,
                    priority,
                    item: entry.item,
                });
            }
        }
        None
    }

    /// Takes the front `Interactive` job, else the front `Batch` job \[Q3\]. O(1).
    ///
    /// Returns [`TryDequeueError::Empty`] when nothing is live, and
    /// [`TryDequeueError::Closed`] once the queue is closed and drained \[Q7\].
    pub fn try_dequeue(&mut self) -> Result<Dequeued<T, I>, TryDequeueError> {
        for priority in Priority::ALL {
            if let Some(entry) = self.lanes[priority.index()].pop_front() {
                self.live.remove(&entry.id);
                let waited = entry.enqueued_at.elapsed();
                self.stats.dequeued(priority, waited);
                return Ok(Dequeued {
                    id: entry.id,
                    priority,
                    item: entry.item,
                    waited,
                });
            }
        }
        Err(if self.closed {
            TryDequeueError::Closed
        } else {
            TryDequeueError::Empty
        })
    }

    /// Removes the live job `id` and returns its payload; `None` if `id` is not live
    /// \[Q4\]. O(n) in the length of the job's lane (one scan).
    pub fn cancel(&mut self, id: &I) -> Option<T> {
        let priority = self.live.remove(id)?;
        let lane = &mut self.lanes[priority.index()];
        let at = lane.iter().position(|entry| entry.id == *id)?;
        let item = lane.remove(at).map(|entry| entry.item)?;
        self.stats.canceled(priority);
        Some(item)
    }

    /// The live ids of one lane, front to back \[Q5\]. O(n) in that lane's length.
    pub fn snapshot_priority(&self, priority: Priority) -> Vec<I> {
        self.lanes[priority.index()]
            .iter()
            .map(|entry| entry.id)
            .collect()
    }

    /// How many live jobs would be dequeued before `id`, or `None` if `id` is not live
    /// \[Q6\]. O(n) in the length of the job's lane.
    pub fn position(&self, id: &I) -> Option<usize> {
        let priority = *self.live.get(id)?;
        let ahead = match priority {
            Priority::Interactive => 0,
            Priority::Batch => self.lanes[Priority::Interactive.index()].len(),
        };
        let in_lane = self.lanes[priority.index()]
            .iter()
            .position(|entry| entry.id == *id)?;
        Some(ahead + in_lane)
    }

    /// `true` if a job with this id is live. O(1).
    pub fn contains(&self, id: &I) -> bool {
        self.live.contains_key(id)
    }

    /// The number of live jobs; never more than [`capacity`](Self::capacity) \[Q1\].
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// The number of live jobs of one priority.
    pub fn len_priority(&self, priority: Priority) -> usize {
        self.lanes[priority.index()].len()
    }

    /// `true` when no job is live.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// The fixed bound on live jobs.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The full-queue policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Closes the queue \[Q7\]: later enqueues fail with `Closed`; dequeues drain what is
    /// left, then report [`TryDequeueError::Closed`]. Idempotent.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// `true` once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Per-priority counters and queue-wait percentiles since the queue was created
    /// (feature `stats`), the same shape as
    /// [`ConcurrentQueue::stats`](super::ConcurrentQueue::stats).
    ///
    /// ```
    /// use orchestrator_core::queue::{InMemoryQueue, Priority};
    ///
    /// let mut q = InMemoryQueue::with_capacity(4);
    /// let _ = q.enqueue(1, Priority::Batch).unwrap();
    /// assert!(q.enqueue(1, Priority::Batch).unwrap_err().is_duplicate());
    /// assert_eq!(q.try_dequeue().unwrap().id, 1);
    /// let stats = q.stats();
    /// assert_eq!(stats.batch.enqueued, 1);
    /// assert_eq!(stats.batch.rejected.duplicate, 1);
    /// assert_eq!(stats.batch.dequeued, 1);
    /// assert_eq!(stats.batch.wait.samples, 1);
    /// ```
    #[cfg(feature = "stats")]
    pub fn stats(&self) -> crate::stats::QueueStats {
        self.stats.snapshot(self.len(), self.capacity, self.closed)
    }
}

impl<I: JobId> InMemoryQueue<(), I> {
    /// Admits the payload-free job `id`: [`enqueue_item`](Self::enqueue_item) with `()`.
    ///
    /// ```
    /// use orchestrator_core::queue::{InMemoryQueue, Policy, Priority};
    ///
    /// let mut q = InMemoryQueue::with_capacity_policy(5, Policy::DropLru);
    /// assert!(q.enqueue(7, Priority::Batch).unwrap().evicted.is_none());
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn enqueue(
        &mut self,
        id: I,
        priority: Priority,
    ) -> Result<Admitted<(), I>, EnqueueError<(), I>> {
        self.enqueue_item(id, priority, ())
    }
}

impl<T, I: JobId + core::fmt::Debug> core::fmt::Debug for InMemoryQueue<T, I> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InMemoryQueue")
            .field("capacity", &self.capacity)
            .field("policy", &self.policy)
            .field("closed", &self.closed)
            .field(
                "interactive",
                &self.snapshot_priority(Priority::Interactive),
            )
            .field("batch", &self.snapshot_priority(Priority::Batch))
            .finish()
    }
}
