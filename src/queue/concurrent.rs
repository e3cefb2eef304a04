//! `ConcurrentQueue`: the lock-free shared queue with the reference semantics.

use core::fmt;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use super::capacity::{Capacity, Progress, Refusal};
use super::id_table::{Claim, Claimed, IdTable, JobOrder};
use super::slot::SlotJob;
use super::slot_arena::{PendingSlot, SlotArena, SlotHandle, MAX_SLOTS};
use super::{
    Admitted, DequeueTimeoutError, Dequeued, EnqueueError, EnqueueErrorKind, Job, JobId, Policy,
    Priority, QueueClosed, TryDequeueError,
};
use crate::stats::recorder::StatsRecorder;
use crate::sync::{AtomicU64, Lane, Ordering, WakeSignal};

/// The bucket of a job whose id is not claimed yet (replaced before it is published).
const NO_BUCKET: u32 = u32::MAX;

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
///   `contains`, `len` and `is_empty` take no lock and never wait for a job: only
///   [`dequeue_blocking`](Self::dequeue_blocking), [`dequeue_timeout`](Self::dequeue_timeout),
///   [`dequeue_deadline`](Self::dequeue_deadline) and [`dequeue`](Self::dequeue) wait,
///   and only when there is nothing to take. The id table is ours, sized from the
///   capacity, with no growth, migration or deferred reclamation; none of its operations
///   waits for another thread (a reader that stalls only keeps one bucket from being
///   reused). What the other building blocks do underneath, stated plainly: crossbeam's
///   `SegQueue` (the lanes, and the free list of job slots) briefly spins while a
///   concurrent push finishes writing the cell a pop reached; and waking a *sleeping*
///   worker goes through `event-listener`, which takes its own short internal lock (the
///   queue calls it only when a worker is listening: otherwise a wake-up costs a fence
///   and a load).
/// * **\[C7\] Same id and `DropLru` under contention.** A full `DropLru` queue evicts as
///   in \[Q2\], and a refused enqueue never evicts: an enqueue into a full `DropLru`
///   queue claims its id before it evicts, so a resend of a live id is refused
///   `DuplicateId` with nothing evicted. While one enqueue of an id is in flight, a
///   concurrent enqueue of the same id may be refused `DuplicateId`. If every unit of
///   capacity is held by calls still in flight (enqueues that have reserved but not yet
///   published, or dequeues and cancels that have taken a job but not yet freed its
///   unit), there is no victim to evict and the enqueue fails with
///   [`QueueFull`](EnqueueErrorKind::QueueFull) rather than wait; so it does, too, if
///   more enqueues into a full `DropLru` queue are in flight at once than the capacity
///   (the id table has room for twice the capacity). The same exception as in \[C4\]
///   applies to a victim that a worker has picked up and then loses to `cancel`.
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
/// `enqueue`, `try_dequeue`, `cancel`, `contains`, `len`: O(1) expected (one id table
/// operation, one lane operation, a few atomics). `snapshot_priority` and `position`
/// walk the id table: O(C) plus, for the snapshot, a sort of the n live jobs.
///
/// What decides the speed is how many cache lines move between the producing and the
/// consuming cores per job. An enqueue into an open queue with room, and the dequeue of
/// that job, touch:
///
/// | line | enqueue | dequeue | crosses |
/// |---|---|---|---|
/// | id table group (the id's home) | duplicate check, claim (CAS, store, fence, CAS) | vacate (CAS) | yes |
/// | the job's slot | fill, record the bucket, publish | take (CAS), read the job | yes |
/// | lane block (one per 31 jobs; the lane's indices stay on each side) | push | pop | yes |
/// | free-slot list block (one per 31 jobs) | pop | push | yes |
/// | id table entry (id, order) | write | — | no (cancel and snapshots read it) |
/// | capacity | CAS on the producers' count | add to the consumers' count, fence | no (each side its own line) |
/// | lane ticket | add (producers only) | — | no |
/// | wake signal | fence, read the listener count | — | no (written only by workers going to sleep) |
/// | stats | own shard | own shard | no |
///
/// Four lines cross per job. The slot and the lane cell are separate lines, and the
/// free-slot list adds its own; a design that keeps each job in its lane cell would
/// move two.
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
    table: IdTable<I>,
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
    /// to it: the queue's slots are numbered in 32 bits. The id table is allocated here,
    /// up front: two buckets per unit of capacity, 25 bytes each for `u64` ids (about
    /// 51 KB for a capacity of 1024; a capacity of `u32::MAX` would ask for about
    /// 200 GiB, and an allocation that fails aborts the process). Memory for the slots is
    /// taken as the queue fills.
    pub fn with_capacity_policy(capacity: usize, policy: Policy) -> Self {
        let capacity = capacity.min(MAX_SLOTS);
        ConcurrentQueue {
            capacity: Capacity::new(capacity),
            lanes: [Lane::new(), Lane::new()],
            table: IdTable::with_capacity(capacity),
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
    /// the item back, and a refused enqueue never evicts. While another enqueue of the
    /// same id is in flight, this one may be refused `DuplicateId` (\[C7\]). Lock-free
    /// \[C6\]; wakes one waiting worker.
    pub fn enqueue_item(
        &self,
        id: I,
        priority: Priority,
        item: T,
    ) -> Result<Admitted<T, I>, EnqueueError<T, I>> {
        // [Q2] order: duplicate, closed, full. A read first, so that a resend of a live
        // id (the usual duplicate) is refused without touching the capacity.
        if self.table.holds(&id, |slot| self.slots.state(slot)) {
            return Err(self
                .stats
                .refuse(EnqueueErrorKind::DuplicateId, id, priority, item));
        }
        match self.capacity.try_reserve() {
            Ok(()) => self.admit_with_unit(id, priority, item),
            Err(Refusal::Closed) => {
                Err(self
                    .stats
                    .refuse(EnqueueErrorKind::Closed, id, priority, item))
            }
            Err(Refusal::Full(seen)) => match self.policy {
                Policy::Reject => {
                    Err(self
                        .stats
                        .refuse(EnqueueErrorKind::QueueFull, id, priority, item))
                }
                Policy::DropLru => self.admit_by_eviction(id, priority, item, seen),
            },
        }
    }

    /// Admits with a unit of capacity held: fills a slot, claims the id with the job
    /// attached, publishes. A lost claim gives the slot and the unit back; nothing was
    /// evicted.
    fn admit_with_unit(
        &self,
        id: I,
        priority: Priority,
        item: T,
    ) -> Result<Admitted<T, I>, EnqueueError<T, I>> {
        let order = self.next_order(priority);
        let pending = match self
            .slots
            .insert(self.slot_job(id, priority, NO_BUCKET, item))
        {
            Ok(pending) => pending,
            Err(job) => {
                // Unreachable while every slot holder holds a unit (slot_arena.rs); if
                // it ever happens, refuse like a full queue instead of panicking.
                debug_assert!(false, "slot arena exhausted while holding a unit");
                return Err(self.refuse_with_unit(EnqueueErrorKind::QueueFull, job));
            }
        };
        let slot = pending.handle().index();
        let state = |slot| self.slots.state(slot);
        match self.table.claim(id, Some((slot, order)), state) {
            Claimed::Won(claim) => {
                self.slots.set_bucket(&pending, claim.bucket());
                self.publish(pending, priority);
                Ok(Admitted::queued())
            }
            Claimed::Duplicate => {
                let job = self.slots.abandon(pending);
                Err(self.refuse_with_unit(EnqueueErrorKind::DuplicateId, job))
            }
            Claimed::Full => {
                let job = self.slots.abandon(pending);
                Err(self.refuse_with_unit(EnqueueErrorKind::QueueFull, job))
            }
        }
    }

    /// Admits into a full `DropLru` queue: claims the id *first*, so that an enqueue
    /// that is refused as a duplicate has evicted nothing, then evicts the oldest job and
    /// takes over its unit of capacity.
    fn admit_by_eviction(
        &self,
        id: I,
        priority: Priority,
        item: T,
        mut seen: Progress,
    ) -> Result<Admitted<T, I>, EnqueueError<T, I>> {
        let claim = match self.table.claim(id, None, |slot| self.slots.state(slot)) {
            Claimed::Won(claim) => claim,
            Claimed::Duplicate => {
                return Err(self
                    .stats
                    .refuse(EnqueueErrorKind::DuplicateId, id, priority, item))
            }
            // More enqueues in flight than the table has room for beyond the live jobs.
            Claimed::Full => {
                return Err(self
                    .stats
                    .refuse(EnqueueErrorKind::QueueFull, id, priority, item))
            }
        };
        let order = self.next_order(priority);
        let job = self.slot_job(id, priority, claim.bucket(), item);
        let (pending, evicted) = loop {
            if let Some((victim, slot)) = self.evict_oldest() {
                // The victim's unit and slot pass to the newcomer: the capacity word is
                // untouched, and the slot (taken, its entry vacated) is filled at once.
                break (self.slots.reuse(slot, job), Some(victim));
            }
            // No victim: every unit is held by a call in flight [C7]. Look at the
            // capacity again only if the word moved meanwhile (another thread made
            // progress); it may have a unit free now.
            let refusal = match self.capacity.try_reserve() {
                Ok(()) => match self.slots.insert(job) {
                    Ok(pending) => break (pending, None),
                    Err(job) => {
                        // Unreachable while every slot holder holds a unit (see
                        // `admit_with_unit`).
                        debug_assert!(false, "slot arena exhausted while holding a unit");
                        self.table.vacate(claim, &job.id);
                        return Err(self.refuse_with_unit(EnqueueErrorKind::QueueFull, job));
                    }
                },
                Err(Refusal::Full(now)) if now != seen => {
                    seen = now;
                    continue;
                }
                Err(Refusal::Full(_)) => EnqueueErrorKind::QueueFull,
                Err(Refusal::Closed) => EnqueueErrorKind::Closed,
            };
            self.table.vacate(claim, &job.id);
            return Err(self.stats.refuse(refusal, job.id, priority, job.item));
        };
        self.table.attach(&claim, pending.handle().index(), order);
        self.publish(pending, priority);
        Ok(Admitted { evicted })
    }

    fn slot_job(&self, id: I, priority: Priority, bucket: u32, item: T) -> SlotJob<T, I> {
        SlotJob {
            id,
            priority,
            enqueued_at: Instant::now(),
            bucket,
            item,
        }
    }

    /// The job's place in its lane's admission order, for snapshots.
    fn next_order(&self, priority: Priority) -> JobOrder {
        // Relaxed: the ticket only orders snapshots; uniqueness comes from the RMW.
        let ticket = self.tickets[priority.index()].fetch_add(1, Ordering::Relaxed);
        JobOrder { priority, ticket }
    }

    /// Makes an admitted job live and reachable, and wakes a worker.
    fn publish(&self, pending: PendingSlot, priority: Priority) {
        self.stats.enqueued(priority);
        let handle = self.slots.publish(pending);
        self.lanes[priority.index()].push(handle);
        self.signal.notify_one();
    }

    /// Refuses an enqueue that holds a unit of capacity: frees the unit and hands the
    /// job back.
    fn refuse_with_unit(&self, kind: EnqueueErrorKind, job: SlotJob<T, I>) -> EnqueueError<T, I> {
        self.free_unit();
        self.stats.refuse(kind, job.id, job.priority, job.item)
    }

    /// Gives a unit of capacity back; wakes every waiter when that drains a closed queue.
    fn free_unit(&self) {
        if self.capacity.free_unit() {
            self.signal.notify_all();
        }
    }

    /// Takes the oldest live `Batch` job, else the oldest live `Interactive` job, as an
    /// eviction, and keeps its slot for the caller (see [`take_keeping_slot`]). Handles
    /// of jobs already gone, met on the way, are dropped.
    ///
    /// [`take_keeping_slot`]: Self::take_keeping_slot
    fn evict_oldest(&self) -> Option<(Job<T, I>, SlotHandle)> {
        for priority in [Priority::Batch, Priority::Interactive] {
            while let Some(handle) = self.lanes[priority.index()].pop() {
                if let Some(job) = self.take_keeping_slot(handle) {
                    self.stats.evicted(priority);
                    let job = Job {
                        id: job.id,
                        priority,
                        item: job.item,
                    };
                    return Some((job, handle));
                }
                // The handle of a canceled or evicted job: look at the next one.
            }
        }
        None
    }

    /// Takes the front live job of `priority`'s lane, dropping the handles of jobs
    /// already gone that it meets first, and gives its slot back. The capacity unit
    /// stays with the caller.
    fn take_front(&self, priority: Priority) -> Option<SlotJob<T, I>> {
        while let Some(handle) = self.lanes[priority.index()].pop() {
            if let Some(job) = self.take(handle) {
                return Some(job);
            }
            // The handle of a canceled or evicted job: look at the next one.
        }
        None
    }

    /// Takes the job `handle` names if this call wins it and gives its slot back. The
    /// unit stays with the caller.
    fn take(&self, handle: SlotHandle) -> Option<SlotJob<T, I>> {
        let job = self.take_keeping_slot(handle)?;
        self.slots.recycle(handle);
        Some(job)
    }

    /// Takes the job `handle` names if this call wins it and vacates its id table entry;
    /// the slot stays with the caller, who refills or recycles it (after the vacate:
    /// id_table.rs relies on that order).
    fn take_keeping_slot(&self, handle: SlotHandle) -> Option<SlotJob<T, I>> {
        let job = self.slots.take(handle)?;
        self.table.vacate(Claim::from_bucket(job.bucket), &job.id);
        Some(job)
    }

    /// Takes the front `Interactive` job, else the front `Batch` job, without blocking
    /// \[Q3\], \[C4\], \[C6\].
    ///
    /// Returns [`TryDequeueError::Empty`] when nothing is live and
    /// [`TryDequeueError::Closed`] once the queue is closed and drained.
    pub fn try_dequeue(&self) -> Result<Dequeued<T, I>, TryDequeueError> {
        for priority in Priority::ALL {
            if let Some(job) = self.take_front(priority) {
                self.free_unit();
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
    /// \[Q4\], \[C5\]. O(1) expected: the id table finds the slot; the dead handle is dropped
    /// when it reaches the front of its lane. A job whose enqueue has not returned yet
    /// may not be live yet: `None`.
    pub fn cancel(&self, id: &I) -> Option<T> {
        loop {
            let found = self.table.find(id, |slot| self.slots.state(slot))?;
            if !found.state.is_queued() {
                // Its enqueue is still in flight: not admitted yet.
                return None;
            }
            let handle = SlotHandle::new(found.slot, found.state.generation());
            if let Some(job) = self.take(handle) {
                self.stats.canceled(job.priority);
                self.free_unit();
                return Some(job.item);
            }
            // Taken by another thread since it was found: a new job of this id may be
            // live by now, so look again.
        }
    }

    /// The live ids of one lane, front to back \[Q5\]. O(C + n log n): a pass over the
    /// id table, then a sort of the n live jobs.
    pub fn snapshot_priority(&self, priority: Priority) -> Vec<I> {
        let mut live = Vec::new();
        self.table.for_each(
            |slot| self.slots.state(slot),
            |id, found| {
                if found.order.priority == priority && found.state.is_queued() {
                    live.push((found.order.ticket, id));
                }
            },
        );
        live.sort_unstable_by_key(|&(ticket, _)| ticket);
        live.into_iter().map(|(_, id)| id).collect()
    }

    /// How many live jobs would be dequeued before `id`, or `None` if `id` is not live
    /// \[Q6\]. O(C): a pass over the id table.
    pub fn position(&self, id: &I) -> Option<usize> {
        let target = self.table.find(id, |slot| self.slots.state(slot))?;
        if !target.state.is_queued() {
            return None;
        }
        let mut ahead = 0;
        self.table.for_each(
            |slot| self.slots.state(slot),
            |_, entry| {
                if entry.bucket == target.bucket || !entry.state.is_queued() {
                    return;
                }
                let before = match (entry.order.priority, target.order.priority) {
                    (Priority::Interactive, Priority::Batch) => true,
                    (mine, theirs) => mine == theirs && entry.order.ticket < target.order.ticket,
                };
                ahead += usize::from(before);
            },
        );
        Some(ahead)
    }

    /// `true` if a job holds this id: an enqueue of `id` would be refused
    /// [`DuplicateId`](EnqueueErrorKind::DuplicateId) now. That is a live job, or one
    /// whose enqueue is in flight (claimed the id, not yet returned). O(1) expected.
    pub fn contains(&self, id: &I) -> bool {
        self.table.holds(id, |slot| self.slots.state(slot))
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
