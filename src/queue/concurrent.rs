//! `ConcurrentQueue`: the lock-free shared queue with the reference semantics.

use core::fmt;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use super::capacity::{Capacity, Refusal};
use super::error::refuse;
use super::id_index::{IdIndex, IndexEntry};
use super::slot::SlotJob;
use super::slot_arena::{SlotArena, SlotHandle, MAX_SLOTS};
use super::{
    Admitted, DequeueTimeoutError, Dequeued, EnqueueError, EnqueueErrorKind, Job, JobId, Policy,
    Priority, QueueClosed, TryDequeueError,
};
use crate::stats::recorder::StatsRecorder;
use crate::sync::{AtomicU64, Lane, Ordering, WakeSignal};

/// A bounded two-priority job queue shared by producer, canceller and worker threads.
///
/// Every method takes `&self`; share the queue as `Arc<ConcurrentQueue<T, I>>`. Called
/// one at a time, every operation returns exactly what [`InMemoryQueue`] returns for the
/// same calls (the semantics \[Q1\]–\[Q7\] in the [crate docs](crate#semantics); the
/// differential fuzzer checks it). On a payload-free queue (`T = ()`),
/// [`enqueue`](Self::enqueue) takes just the id and the priority; with a payload, use
/// [`enqueue_item`](Self::enqueue_item).
///
/// [`InMemoryQueue`]: super::InMemoryQueue
///
/// # Guarantees under concurrency
///
/// A job is *live* from the moment its enqueue publishes it (before `enqueue` returns)
/// until one thread takes it out.
///
/// * **\[C1\] Bound.** At no instant are more than [`capacity`](Self::capacity) jobs live:
///   an enqueue reserves a unit of capacity before it publishes. `len()` counts live jobs
///   plus admissions in flight, and never exceeds the capacity either.
/// * **\[C2\] Exactly once.** Every admitted job ends in exactly one of: returned to one
///   worker by a dequeue, returned to one caller by `cancel`, returned in
///   [`Admitted::evicted`] by the `DropLru` enqueue that evicted it, or dropped with the
///   queue. Every payload is dropped exactly once, by whoever ended up owning it.
/// * **\[C3\] FIFO within a priority.** If `enqueue(a)` returns before `enqueue(b)` starts
///   and both have the same priority, no worker gets `b` before `a` unless `a` was
///   canceled or evicted.
/// * **\[C4\] Priority.** A dequeue never returns a `Batch` job while an `Interactive` job
///   whose enqueue had returned stayed live for the whole dequeue call, unless that job
///   was then canceled: a job that another worker has already picked up but not yet
///   claimed can still lose to `cancel`, and it was invisible to the first dequeue.
/// * **\[C5\] Race-free cancel.** A job is never both returned by `cancel` and handed to a
///   worker; once `cancel` returned its payload, no dequeue returns that id.
/// * **\[C6\] Lock-free hot path.** `enqueue`, `enqueue_item`, `try_dequeue`, `cancel`,
///   `len` and `is_empty` take no lock of ours and never wait for a job: only
///   [`dequeue_blocking`](Self::dequeue_blocking), [`dequeue_timeout`](Self::dequeue_timeout),
///   [`dequeue_deadline`](Self::dequeue_deadline) and [`dequeue`](Self::dequeue) wait,
///   and only when there is nothing to take. What the building blocks do underneath,
///   stated plainly: crossbeam's `SegQueue` (the lanes, and the free list of job slots)
///   briefly spins while a concurrent push finishes writing the cell a pop reached; the
///   `papaya` id index is lock-free except
///   while it migrates its table (which id churn triggers every few table-fulls of
///   inserts); and waking a *sleeping* worker goes through `event-listener`, which takes
///   its own short internal lock (with no sleeping worker, the wake-up costs a fence and
///   a load). An id index sized from the capacity, without migrations, is planned
///   together with \[C8\].
/// * **\[C7\] `DropLru` under contention.** A full `DropLru` queue evicts as in \[Q2\]. If
///   every unit of capacity is held by jobs still in flight (enqueues that have reserved
///   but not yet published, or dequeues and cancels that have taken a job but not yet
///   freed its unit), there is no victim to evict and the enqueue fails with
///   [`QueueFull`](EnqueueErrorKind::QueueFull) rather than wait. The same exception as
///   in \[C4\] applies to a victim that a worker has picked up and then loses to
///   `cancel`. An enqueue that evicted a job and then loses a race with a concurrent
///   enqueue of the *same id* is refused with `DuplicateId` and hands the evicted job
///   over in [`EnqueueError::evicted`] (take it out with
///   [`into_parts`](EnqueueError::into_parts)).
/// * **\[C8\] Memory** (current limit, measured in the tests): jobs live in slots that are
///   reused, never more than the capacity, but a canceled job's 16-byte handle stays in
///   its lane until a dequeue or eviction reaches it, so with no consumer the lanes grow
///   with the number of cancels (by 16 bytes per cancel), not only with the capacity.
///
/// Under concurrency, `snapshot_priority` and `position` are a best-effort view of a
/// moving queue: jobs whose enqueues overlapped may be listed in either order.
///
/// # Cost
///
/// `enqueue`, `try_dequeue`, `cancel`, `len`: O(1) expected (one id-index operation,
/// one lane operation, a few atomics). `snapshot_priority` is O(n log n) and `position`
/// O(n) in the number of live jobs: both walk the id index.
///
/// # Memory ordering
///
/// Each job's payload is written before its slot is published with a `Release` store
/// and read only by the winner of the slot's `Acquire` compare-and-swap, so everything
/// the producer wrote before `enqueue` is visible to the worker that dequeues the job.
/// Slots are reused, not allocated per job: the winner of a job gives its slot back
/// through a free list whose push happens before the pop that hands the slot on, so
/// the next job's writes come after the previous owner is done with it. A job is named
/// by slot *and* generation, so a lane's leftover handle of a canceled job never takes
/// the job that reuses its slot.
///
/// # Examples
///
/// Worker threads sharing the queue with a producer:
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use orchestrator_core::queue::{ConcurrentQueue, Policy, Priority};
///
/// let queue = Arc::new(ConcurrentQueue::<String>::with_capacity_policy(64, Policy::Reject));
///
/// let workers: Vec<_> = (0..2)
///     .map(|_| {
///         let queue = Arc::clone(&queue);
///         thread::spawn(move || {
///             let mut served = 0;
///             // Sleeps while the queue is empty; `Err(QueueClosed)` once it is closed
///             // and drained.
///             while let Ok(job) = queue.dequeue_blocking() {
///                 assert!(job.item.starts_with("prompt"));
///                 served += 1;
///             }
///             served
///         })
///     })
///     .collect();
///
/// for id in 0..10u64 {
///     let priority = if id % 3 == 0 { Priority::Interactive } else { Priority::Batch };
///     let admitted = queue.enqueue_item(id, priority, format!("prompt {id}")).unwrap();
///     assert!(admitted.evicted.is_none()); // a `Reject` queue never evicts
/// }
/// queue.close(); // workers drain what is left, then see QueueClosed
///
/// let served: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
/// assert_eq!(served, 10);
/// ```
///
/// Cancel and eviction hand the payload back:
///
/// ```
/// use orchestrator_core::queue::{ConcurrentQueue, Policy, Priority};
///
/// let q = ConcurrentQueue::with_capacity_policy(2, Policy::DropLru);
/// assert!(q.enqueue_item(1, Priority::Batch, "a").unwrap().evicted.is_none());
/// assert!(q.enqueue_item(2, Priority::Batch, "b").unwrap().evicted.is_none());
/// assert_eq!(q.cancel(&2), Some("b"));
/// assert!(q.enqueue_item(3, Priority::Interactive, "c").unwrap().evicted.is_none());
/// let evicted = q.enqueue_item(4, Priority::Interactive, "d").unwrap().evicted;
/// assert_eq!(evicted.map(|job| (job.id, job.item)), Some((1, "a")));
/// assert_eq!(q.try_dequeue().unwrap().id, 3);
/// ```
pub struct ConcurrentQueue<T = (), I = u64> {
    capacity: Capacity,
    lanes: [Lane<SlotHandle>; 2],
    index: IdIndex<I>,
    /// Where the jobs are: one slot per live job, reused (not allocated per job).
    slots: SlotArena<T, I>,
    /// Per-lane admission counters, for snapshot and position order.
    tickets: [CachePadded<AtomicU64>; 2],
    signal: WakeSignal,
    policy: Policy,
    stats: StatsRecorder,
}

impl<T: Send, I: JobId> ConcurrentQueue<T, I> {
    /// A queue that holds at most `capacity` live jobs and applies `policy` when full.
    ///
    /// `capacity` 0 is allowed: every enqueue is refused with `QueueFull` \[Q1\].
    /// Capacities above `u32::MAX` (or `usize::MAX / 2` on 32-bit targets) are clamped
    /// to it: the queue's slots are numbered in 32 bits. Memory for the slots is taken as
    /// the queue fills, not up front.
    pub fn with_capacity_policy(capacity: usize, policy: Policy) -> Self {
        let capacity = capacity.min(MAX_SLOTS);
        ConcurrentQueue {
            capacity: Capacity::new(capacity),
            lanes: [Lane::new(), Lane::new()],
            index: IdIndex::with_capacity(capacity),
            slots: SlotArena::with_limit(capacity),
            tickets: [
                CachePadded::new(AtomicU64::new(0)),
                CachePadded::new(AtomicU64::new(0)),
            ],
            signal: WakeSignal::new(),
            policy,
            stats: StatsRecorder::sharded(),
        }
    }

    /// A queue of `capacity` with the [`Policy::Reject`] policy.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_policy(capacity, Policy::Reject)
    }

    /// Admits job `id` with payload `item` at the back of its lane \[Q2\].
    ///
    /// Checks, as the reference model does: a live duplicate id is refused with
    /// `DuplicateId`, a closed queue with `Closed`, a full queue with `QueueFull` under
    /// [`Policy::Reject`]; under [`Policy::DropLru`] a full queue evicts its oldest
    /// `Batch` job (else its oldest `Interactive` job) and returns it in
    /// [`Admitted::evicted`] (\[C7\] says when there is none to evict). Every refusal hands
    /// the item back. Lock-free \[C6\]; wakes one waiting worker.
    pub fn enqueue_item(
        &self,
        id: I,
        priority: Priority,
        item: T,
    ) -> Result<Admitted<T, I>, EnqueueError<T, I>> {
        // [Q2] order: duplicate, closed, full. This read refuses a duplicate before
        // anything is evicted; the claim below makes the refusal exact under races.
        let index = self.index.pin();
        let is_live = |entry: &IndexEntry| self.slots.is_live(entry.handle);
        if index.get(&id).is_some_and(|entry| is_live(&entry)) {
            return Err(refuse(
                &self.stats,
                EnqueueErrorKind::DuplicateId,
                id,
                priority,
                item,
            ));
        }
        // Take a unit of capacity before claiming the id: a claimed id then always
        // becomes a live job, so a concurrent enqueue of the same id that is refused as
        // a duplicate was refused for a job that really is admitted. The unit also pays
        // for the slot (see `slot_arena.rs`).
        let evicted = match self.admit() {
            Ok(evicted) => evicted,
            Err(kind) => return Err(refuse(&self.stats, kind, id, priority, item)),
        };
        let job = SlotJob {
            id,
            priority,
            enqueued_at: Instant::now(),
            item,
        };
        let pending = match self.slots.insert(job) {
            Ok(pending) => pending,
            Err(job) => {
                // Unreachable while every slot holder holds a unit (slot_arena.rs); if
                // it ever happens, refuse like a full queue instead of panicking.
                debug_assert!(false, "slot arena exhausted while holding a unit");
                return Err(self.refuse_after_admit(EnqueueErrorKind::QueueFull, job, evicted));
            }
        };
        // Relaxed: the ticket only orders snapshots; uniqueness comes from the RMW.
        let ticket = self.tickets[priority.index()].fetch_add(1, Ordering::Relaxed);
        let entry = IndexEntry {
            handle: pending.handle(),
            priority,
            ticket,
        };
        if !index.claim(id, entry, is_live) {
            // A concurrent enqueue of the same id claimed it since the read above; it
            // holds a unit, so its job will be live. Give our slot and unit back.
            let job = self.slots.abandon(pending);
            return Err(self.refuse_after_admit(EnqueueErrorKind::DuplicateId, job, evicted));
        }
        self.stats.enqueued(priority);
        // A unit of capacity and the id are ours: publish, then make the job reachable.
        let handle = self.slots.publish(pending);
        self.lanes[priority.index()].push(handle);
        self.signal.notify_one();
        Ok(Admitted { evicted })
    }

    /// Refuses an enqueue that already holds a unit of capacity (and, under `DropLru`,
    /// may have evicted a job for it): frees the unit and hands both jobs back.
    fn refuse_after_admit(
        &self,
        kind: EnqueueErrorKind,
        job: SlotJob<T, I>,
        evicted: Option<Job<T, I>>,
    ) -> EnqueueError<T, I> {
        if self.capacity.free_unit() {
            self.signal.notify_all();
        }
        refuse(&self.stats, kind, job.id, job.priority, job.item).with_evicted(evicted)
    }

    /// Reserves a unit of capacity, or under `DropLru` takes over the unit of an evicted
    /// job.
    fn admit(&self) -> Result<Option<Job<T, I>>, EnqueueErrorKind> {
        loop {
            match self.capacity.try_reserve() {
                Ok(()) => return Ok(None),
                Err(Refusal::Closed) => return Err(EnqueueErrorKind::Closed),
                Err(Refusal::Full(seen)) => {
                    if self.policy == Policy::Reject {
                        return Err(EnqueueErrorKind::QueueFull);
                    }
                    if let Some(victim) = self.evict_oldest() {
                        // The victim's unit passes to the newcomer: the word is untouched.
                        return Ok(Some(victim));
                    }
                    // No victim: every unit is held by a job in flight [C7]. Try again only
                    // if the word moved meanwhile (another thread made progress).
                    if self.capacity.word() == seen {
                        return Err(EnqueueErrorKind::QueueFull);
                    }
                }
            }
        }
    }

    /// Takes the oldest live `Batch` job, else the oldest live `Interactive` job, as an
    /// eviction. Handles of jobs already gone, met on the way, are dropped.
    fn evict_oldest(&self) -> Option<Job<T, I>> {
        for priority in [Priority::Batch, Priority::Interactive] {
            if let Some(job) = self.take_front(priority) {
                self.stats.evicted(priority);
                return Some(Job {
                    id: job.id,
                    priority,
                    item: job.item,
                });
            }
        }
        None
    }

    /// Takes the front live job of `priority`'s lane and releases its id, dropping the
    /// handles of jobs already gone that it meets first. The capacity unit stays with the
    /// caller.
    fn take_front(&self, priority: Priority) -> Option<SlotJob<T, I>> {
        while let Some(handle) = self.lanes[priority.index()].pop() {
            if let Some(job) = self.slots.take(handle) {
                self.index
                    .pin()
                    .release(job.id, |entry| entry.handle == handle);
                return Some(job);
            }
            // The handle of a canceled or evicted job: look at the next one.
        }
        None
    }

    /// Takes the front `Interactive` job, else the front `Batch` job, without blocking
    /// \[Q3\], \[C4\], \[C6\].
    ///
    /// Returns [`TryDequeueError::Empty`] when nothing is live and
    /// [`TryDequeueError::Closed`] once the queue is closed and drained.
    pub fn try_dequeue(&self) -> Result<Dequeued<T, I>, TryDequeueError> {
        for priority in Priority::ALL {
            if let Some(job) = self.take_front(priority) {
                if self.capacity.free_unit() {
                    self.signal.notify_all();
                }
                let waited = job.enqueued_at.elapsed();
                self.stats.dequeued(priority, waited);
                return Ok(Dequeued {
                    id: job.id,
                    priority,
                    item: job.item,
                    waited,
                });
            }
        }
        if self.capacity.is_drained() {
            Err(TryDequeueError::Closed)
        } else {
            Err(TryDequeueError::Empty)
        }
    }

    /// Takes a job, sleeping until one arrives or the queue is closed and drained.
    ///
    /// For worker threads. Sleeps without spinning or polling on a timer, and loses no
    /// wake-up: an enqueue or close that lands while the worker is about to sleep wakes
    /// it (it listens, then looks again, then sleeps). To give up after a while, use
    /// [`dequeue_timeout`](Self::dequeue_timeout).
    pub fn dequeue_blocking(&self) -> Result<Dequeued<T, I>, QueueClosed> {
        match self.dequeue_until(None) {
            Ok(job) => Ok(job),
            // Without a deadline the wait ends only with a job or with `Closed`.
            Err(DequeueTimeoutError::Closed | DequeueTimeoutError::Timeout) => Err(QueueClosed),
        }
    }

    /// Takes a job, sleeping until one arrives, the queue is closed and drained, or
    /// `timeout` passes. As [`dequeue_blocking`](Self::dequeue_blocking) otherwise.
    ///
    /// A zero timeout is a [`try_dequeue`](Self::try_dequeue) with this method's error
    /// type. A timeout too large for the clock waits as long as it takes.
    pub fn dequeue_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Dequeued<T, I>, DequeueTimeoutError> {
        self.dequeue_until(Some(Instant::now().checked_add(timeout)))
    }

    /// Takes a job, sleeping until one arrives, the queue is closed and drained, or
    /// `deadline` passes. As [`dequeue_timeout`](Self::dequeue_timeout) otherwise.
    pub fn dequeue_deadline(
        &self,
        deadline: Instant,
    ) -> Result<Dequeued<T, I>, DequeueTimeoutError> {
        self.dequeue_until(Some(Some(deadline)))
    }

    /// The waiting loop of the blocking dequeues. `deadline`: `None` waits as long as it
    /// takes; `Some(None)` is a deadline past the clock's range (the same);
    /// `Some(Some(at))` gives up at `at`.
    fn dequeue_until(
        &self,
        deadline: Option<Option<Instant>>,
    ) -> Result<Dequeued<T, I>, DequeueTimeoutError> {
        let deadline = deadline.flatten();
        loop {
            match self.try_dequeue() {
                Ok(job) => return Ok(job),
                Err(TryDequeueError::Empty) => {}
                Err(_) => return Err(DequeueTimeoutError::Closed),
            }
            if deadline.is_some_and(|at| at <= Instant::now()) {
                // Nothing to wait for: no listener needed.
                return Err(DequeueTimeoutError::Timeout);
            }
            let waiter = self.signal.listen();
            match self.try_dequeue() {
                Ok(job) => return Ok(job),
                Err(TryDequeueError::Empty) => {}
                Err(_) => return Err(DequeueTimeoutError::Closed),
            }
            match deadline {
                None => waiter.wait(),
                Some(deadline) => {
                    if !waiter.wait_until(deadline) {
                        return self.try_dequeue().map_err(|err| match err {
                            TryDequeueError::Empty => DequeueTimeoutError::Timeout,
                            _ => DequeueTimeoutError::Closed,
                        });
                    }
                }
            }
        }
    }

    /// Takes a job, waiting asynchronously until one arrives or the queue is closed and
    /// drained.
    ///
    /// Runtime-agnostic: it uses no runtime API, only the waker it is polled with.
    /// Run under tokio's multi-threaded runtime (`examples/async_worker.rs` and the
    /// async tests), `pollster` (this example) and a hand-polled future with a no-op
    /// waker (the fuzzer); other executors are expected to work but are not tested.
    /// Cancel-safe: dropping the future never loses a job.
    ///
    /// ```
    /// # use orchestrator_core::queue::{ConcurrentQueue, Priority, QueueClosed};
    /// # pollster::block_on(async {
    /// let q = ConcurrentQueue::with_capacity(4);
    /// let _ = q.enqueue(1, Priority::Interactive).unwrap(); // `Reject`: never evicts
    /// q.close();
    /// assert_eq!(q.dequeue().await.unwrap().id, 1);
    /// assert_eq!(q.dequeue().await.unwrap_err(), QueueClosed);
    /// # });
    /// ```
    pub async fn dequeue(&self) -> Result<Dequeued<T, I>, QueueClosed> {
        loop {
            match self.try_dequeue() {
                Ok(job) => return Ok(job),
                Err(TryDequeueError::Empty) => {}
                Err(_) => return Err(QueueClosed),
            }
            let waiter = self.signal.listen();
            match self.try_dequeue() {
                Ok(job) => return Ok(job),
                Err(TryDequeueError::Empty) => {}
                Err(_) => return Err(QueueClosed),
            }
            waiter.await;
        }
    }

    /// Removes the live job `id` and returns its payload; `None` if `id` is not live
    /// \[Q4\], \[C5\]. O(1) expected: the id index finds the slot; the dead handle is dropped
    /// when it reaches the front of its lane.
    pub fn cancel(&self, id: &I) -> Option<T> {
        let index = self.index.pin();
        let entry = index.get(id)?;
        let job = self.slots.take(entry.handle)?;
        index.release(*id, |current| current.handle == entry.handle);
        self.stats.canceled(job.priority);
        if self.capacity.free_unit() {
            self.signal.notify_all();
        }
        Some(job.item)
    }

    /// The live ids of one lane, front to back \[Q5\]. O(n log n) in the live jobs.
    pub fn snapshot_priority(&self, priority: Priority) -> Vec<I> {
        let mut live = Vec::new();
        self.index.for_each(|id, entry| {
            if entry.priority == priority && self.slots.is_queued(entry.handle) {
                live.push((entry.ticket, *id));
            }
        });
        live.sort_unstable_by_key(|&(ticket, _)| ticket);
        live.into_iter().map(|(_, id)| id).collect()
    }

    /// How many live jobs would be dequeued before `id`, or `None` if `id` is not live
    /// \[Q6\]. O(n) in the live jobs.
    pub fn position(&self, id: &I) -> Option<usize> {
        let target = self.index.pin().get(id)?;
        if !self.slots.is_queued(target.handle) {
            return None;
        }
        let mut ahead = 0;
        self.index.for_each(|_, entry| {
            if entry.handle == target.handle || !self.slots.is_queued(entry.handle) {
                return;
            }
            let before = match (entry.priority, target.priority) {
                (Priority::Interactive, Priority::Batch) => true,
                (mine, theirs) => mine == theirs && entry.ticket < target.ticket,
            };
            ahead += usize::from(before);
        });
        Some(ahead)
    }

    /// `true` if a job holds this id: an enqueue of `id` would be refused
    /// [`DuplicateId`](EnqueueErrorKind::DuplicateId) now. That is a live job, or one
    /// whose enqueue is in flight (claimed the id, not yet returned). O(1) expected.
    pub fn contains(&self, id: &I) -> bool {
        self.index
            .pin()
            .get(id)
            .is_some_and(|entry| self.slots.is_live(entry.handle))
    }

    /// The number of live jobs, counting admissions in flight; never more than
    /// [`capacity`](Self::capacity) \[C1\]. Exact when no call overlaps. Lock-free.
    pub fn len(&self) -> usize {
        self.capacity.units()
    }

    /// `true` when [`len`](Self::len) is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fixed bound on live jobs.
    pub fn capacity(&self) -> usize {
        self.capacity.capacity()
    }

    /// The full-queue policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Closes the queue \[Q7\]: later enqueues fail with `Closed`; dequeues drain what is
    /// left, then report closed. Wakes every waiting worker. Idempotent.
    pub fn close(&self) {
        self.capacity.close();
        self.signal.notify_all();
    }

    /// `true` once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.capacity.is_closed()
    }

    /// Per-priority counters and queue-wait percentiles since the queue was created
    /// (feature `stats`); see [`stats`](crate::stats) for the cost and what is exact
    /// when. Sums one shard per hardware thread: microseconds, not for the hot path.
    ///
    /// ```
    /// use orchestrator_core::queue::{ConcurrentQueue, Policy, Priority};
    ///
    /// let q = ConcurrentQueue::with_capacity_policy(1, Policy::DropLru);
    /// assert!(q.enqueue(1, Priority::Batch).unwrap().evicted.is_none());
    /// let evicted = q.enqueue(2, Priority::Interactive).unwrap().evicted;
    /// assert_eq!(evicted.map(|job| job.id), Some(1));
    /// let stats = q.stats();
    /// assert_eq!((stats.batch.enqueued, stats.batch.evicted), (1, 1));
    /// assert_eq!((stats.interactive.enqueued, stats.interactive.depth), (1, 1));
    /// assert_eq!(stats.len, 1);
    /// ```
    #[cfg(feature = "stats")]
    pub fn stats(&self) -> crate::stats::QueueStats {
        self.stats
            .snapshot(self.len(), self.capacity(), self.is_closed())
    }
}

impl<I: JobId> ConcurrentQueue<(), I> {
    /// Admits the payload-free job `id`: [`enqueue_item`](Self::enqueue_item) with `()`.
    ///
    /// ```
    /// use orchestrator_core::queue::{ConcurrentQueue, Policy, Priority};
    ///
    /// let q = ConcurrentQueue::with_capacity_policy(5, Policy::DropLru);
    /// assert!(q.enqueue(7, Priority::Batch).unwrap().evicted.is_none());
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn enqueue(
        &self,
        id: I,
        priority: Priority,
    ) -> Result<Admitted<(), I>, EnqueueError<(), I>> {
        self.enqueue_item(id, priority, ())
    }
}

impl<T: Send, I: JobId> fmt::Debug for ConcurrentQueue<T, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrentQueue")
            .field("capacity", &self.capacity())
            .field("policy", &self.policy)
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
