//! `ConcurrentQueue`: the lock-free shared queue with the reference semantics.

use core::fmt;
use std::time::{Duration, Instant};

use super::capacity::{Capacity, Progress, Refusal};
use super::cell::CellJob;
use super::id_table::{Claim, Claimed, IdTable, JobOrder};
use super::lanes::{Lanes, TakenCell, MAX_CAPACITY};
use super::{
    Admitted, DequeueTimeoutError, Dequeued, EnqueueError, EnqueueErrorKind, Job, JobId, Policy,
    Priority, QueueClosed, TryDequeueError,
};
use crate::stats::recorder::StatsRecorder;
use crate::sync::{yield_now, WakeSignal, IN_LOOM_MODEL};

/// How long a blocking dequeue waits for a job.
#[derive(Copy, Clone)]
enum Patience {
    Forever,
    Until(Instant),
    /// From the first moment the queue is found empty.
    For(Duration),
}

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
///   whose enqueue had returned stayed live for the whole dequeue call. A dequeue takes
///   a job with one compare-and-swap on the job's cell, and only then moves its lane's
///   head on, so no job is ever out of sight while still live.
/// * **\[C5\] Race-free cancel.** A job is never both returned by `cancel` and handed to a
///   worker; once `cancel` returned its payload, no dequeue returns that id.
/// * **\[C6\] Lock-free hot path.** `enqueue`, `enqueue_item`, `try_dequeue`, `cancel`,
///   `contains`, `len` and `is_empty` take no lock and never wait for another thread:
///   only [`dequeue_blocking`](Self::dequeue_blocking), [`dequeue_timeout`](Self::dequeue_timeout),
///   [`dequeue_deadline`](Self::dequeue_deadline) and [`dequeue`](Self::dequeue) wait,
///   and only when there is nothing to take. Every structure is the queue's own, sized
///   from the capacity: no growth, migration, allocation or deferred reclamation. A
///   dequeue that reaches a cell whose producer is still writing passes it instead of
///   waiting, and that producer places its job again under a new ticket; so an enqueue
///   may repeat its placement while dequeues keep passing it, which is lock-free (some
///   call always completes) rather than wait-free. Waking a *sleeping* worker takes
///   the wake signal's lock, which only sleeping workers and their wakers ever hold;
///   with no worker listening, a wake-up costs a fence and a load.
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
///   (the id table has room for twice the capacity).
/// * **\[C8\] Memory.** Fixed when the queue is built, O(capacity), and never more: each
///   job lives in a cell of its lane's ring, and a canceled or evicted job's cell is
///   reused on the ring's next lap even while no worker dequeues and an older job stays
///   at the front (a producer leaves a ticket unused when its cell is still held). No
///   enqueue, dequeue or cancel allocates. `tests/memory_c8.rs` checks it: capacity
///   1024, a live job at the front of each lane, 10 000 000 enqueue+cancel pairs with no
///   consumer: the same bytes in use after 1 000 000 pairs and after 10 000 000, within
///   200 bytes of the queue holding 1024 live jobs (254 832 bytes for `T = ()`).
/// * **`Empty` is exact.** A dequeue answers [`TryDequeueError::Empty`] only if, at some
///   instant during the call, each lane had no live job when the call looked at it (the
///   two lanes are looked at one after the other).
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
/// | id table group (the id's home) | duplicate check, claim (CAS, store, fence, CAS), attach (CAS) | vacate (CAS) | yes |
/// | the job's cell | claim (CAS), write the job, publish (CAS) | take (CAS), read the job, release (CAS) | yes |
/// | id table entry (id, order) | write | — | no (cancel and snapshots read it) |
/// | capacity | CAS on the producers' count | add to the consumers' count, fence | no (each side its own line) |
/// | lane tail | read, CAS (producers only) | read only when the head's cell is not ready | rarely |
/// | lane head | — | read, CAS (dequeues only) | no |
/// | wake signal | fence, read the generation word | — | no (written only by workers going to sleep) |
/// | stats | own shard | own shard | no |
///
/// Two lines cross per job: the id's table group and the job's cell (40 bytes for
/// `T = ()` and `u64` ids; neighbouring cells share lines, which measured no slower
/// than padding each to its own line).
///
/// # Memory ordering
///
/// Each job's payload is written into its cell before the cell is published with a
/// `Release` compare-and-swap and read only by the winner of the cell's `Acquire`
/// compare-and-swap, so everything the producer wrote before `enqueue` is visible to the
/// worker that dequeues the job. Cells are reused lap after lap: the owner of a job frees
/// its cell with a `Release` store that the next producer's claim reads with `Acquire`,
/// so the next job's writes come after the previous owner is done with it. A cell's word
/// carries the ticket of the job it holds, so a compare-and-swap based on an old read
/// never takes the job that reuses the cell.
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
    /// The jobs themselves, in one ring of cells per priority, sized from the capacity.
    lanes: Lanes<T, I>,
    table: IdTable<I>,
    signal: WakeSignal,
    policy: Policy,
    /// How long a blocking dequeue keeps trying before its first sleep; see
    /// [`with_poll_budget`](Self::with_poll_budget).
    poll_budget: Duration,
    stats: StatsRecorder,
}

impl<T: Send, I: JobId> ConcurrentQueue<T, I> {
    /// A queue that holds at most `capacity` live jobs and applies `policy` when full.
    ///
    /// `capacity` 0 is allowed: every enqueue is refused with `QueueFull` \[Q1\].
    /// Capacities above 2<sup>29</sup> are clamped to it: the cells are numbered in 32
    /// bits. All the queue's memory is allocated here, up front, and nothing is allocated
    /// afterwards: per lane a ring of `(2 × capacity).next_power_of_two()` cells (a cell
    /// holds its job: an 8-byte state word, the payload, the id, the admission time and
    /// a 4-byte table bucket; 40 bytes for `T = ()` and `u64` ids), and the id table, two
    /// buckets per unit of capacity, 25 bytes each for `u64` ids. For a capacity of 1024
    /// and `T = ()` that is 255 KB in all (250 bytes per unit of capacity); a capacity of
    /// one million takes about 220 MB, and an allocation that fails aborts the process.
    /// Size the capacity to the jobs the queue should hold.
    pub fn with_capacity_policy(capacity: usize, policy: Policy) -> Self {
        let capacity = capacity.min(MAX_CAPACITY);
        ConcurrentQueue {
            capacity: Capacity::new(capacity),
            lanes: Lanes::with_capacity(capacity),
            table: IdTable::with_capacity(capacity),
            signal: WakeSignal::new(),
            policy,
            poll_budget: Duration::ZERO,
            stats: StatsRecorder::sharded(),
        }
    }

    /// A queue of `capacity` with the [`Policy::Reject`] policy.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_policy(capacity, Policy::Reject)
    }

    /// This queue, with blocking dequeues that keep trying the queue for up to `budget`
    /// before they sleep. The default budget is zero: a blocking dequeue that finds the
    /// queue empty goes to sleep at once.
    ///
    /// A wake-up goes through the scheduler: the enqueue signals the sleeping worker, and
    /// the worker runs only once the scheduler gives it a CPU. On a machine with more
    /// busy threads than cores that wait, not the queue, is most of a job's latency. A
    /// worker with a poll budget that finds the queue empty tries it again and again,
    /// giving its CPU to any other runnable thread between tries
    /// ([`std::thread::yield_now`]), and only sleeps once `budget` has passed since it
    /// started polling with nothing found. A job enqueued meanwhile is taken at the next
    /// try, with no wake-up. The price is CPU: an idle worker keeps a core busy for
    /// `budget` after each job it finds, and a worker that has slept once in a call does
    /// not poll again in that call. A budget longer than the usual gap between the jobs
    /// one worker gets keeps a loaded worker from sleeping at all.
    ///
    /// Measured with 8 front ends and 8 workers on a 2-core machine at 20 000 jobs a
    /// second (`benches/latency.rs`): a budget of 1 ms cut the p99.9 enqueue-to-dequeue
    /// latency to about a quarter of a mutex-and-condition-variable queue's, and kept
    /// about 1.6 of the 2 cores busy, against 0.33 with no budget; 200 µs cut it to
    /// 0.4–0.6x. Measure on your own machine and load before you choose.
    ///
    /// Applies to [`dequeue_blocking`](Self::dequeue_blocking),
    /// [`dequeue_timeout`](Self::dequeue_timeout) and
    /// [`dequeue_deadline`](Self::dequeue_deadline), which never poll past their
    /// deadline; the async [`dequeue`](Self::dequeue) never polls (an executor thread
    /// has other tasks to run). A budget too large for the clock polls until a job
    /// arrives or the queue is closed and drained, and never sleeps.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::thread;
    /// use std::time::Duration;
    /// use orchestrator_core::queue::{ConcurrentQueue, Priority};
    ///
    /// let queue = Arc::new(
    ///     ConcurrentQueue::<()>::with_capacity(64).with_poll_budget(Duration::from_micros(200)),
    /// );
    /// assert_eq!(queue.poll_budget(), Duration::from_micros(200));
    /// let worker = {
    ///     let queue = Arc::clone(&queue);
    ///     thread::spawn(move || {
    ///         let mut served = Vec::new();
    ///         while let Ok(job) = queue.dequeue_blocking() {
    ///             served.push(job.id);
    ///         }
    ///         served
    ///     })
    /// };
    /// for id in 0..3 {
    ///     let _ = queue.enqueue(id, Priority::Batch).unwrap();
    /// }
    /// queue.close();
    /// assert_eq!(worker.join().unwrap(), [0, 1, 2]);
    /// ```
    #[must_use]
    pub fn with_poll_budget(mut self, budget: Duration) -> Self {
        self.poll_budget = budget;
        self
    }

    /// How long a blocking dequeue keeps trying the queue before it sleeps; see
    /// [`with_poll_budget`](Self::with_poll_budget).
    pub fn poll_budget(&self) -> Duration {
        self.poll_budget
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
        if self.table.holds(&id, |cell| self.lanes.state(cell)) {
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

    /// Admits with a unit of capacity held: claims the id, then places the job. A lost
    /// claim gives the unit back; nothing was evicted.
    fn admit_with_unit(
        &self,
        id: I,
        priority: Priority,
        item: T,
    ) -> Result<Admitted<T, I>, EnqueueError<T, I>> {
        let claim = match self.table.claim(id, None, |cell| self.lanes.state(cell)) {
            Claimed::Won(claim) => claim,
            Claimed::Duplicate => {
                return Err(self.refuse_with_unit(
                    EnqueueErrorKind::DuplicateId,
                    id,
                    priority,
                    item,
                ))
            }
            Claimed::Full => {
                return Err(self.refuse_with_unit(EnqueueErrorKind::QueueFull, id, priority, item))
            }
        };
        let job = self.cell_job(id, claim.bucket(), item);
        self.place(claim, priority, job);
        Ok(Admitted::queued())
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
        let claim = match self.table.claim(id, None, |cell| self.lanes.state(cell)) {
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
        let evicted = loop {
            if let Some(victim) = self.evict_oldest() {
                // The victim's unit of capacity passes to the newcomer.
                break Some(victim);
            }
            // No victim: every unit is held by a call in flight [C7]. Look at the
            // capacity again only if the word moved meanwhile (another thread made
            // progress); it may have a unit free now.
            let refusal = match self.capacity.try_reserve() {
                Ok(()) => break None,
                Err(Refusal::Full(now)) if now != seen => {
                    seen = now;
                    continue;
                }
                Err(Refusal::Full(_)) => EnqueueErrorKind::QueueFull,
                Err(Refusal::Closed) => EnqueueErrorKind::Closed,
            };
            self.table.vacate(claim, &id);
            return Err(self.stats.refuse(refusal, id, priority, item));
        };
        let job = self.cell_job(id, claim.bucket(), item);
        self.place(claim, priority, job);
        Ok(Admitted { evicted })
    }

    fn cell_job(&self, id: I, bucket: u32, item: T) -> CellJob<T, I> {
        CellJob {
            id,
            enqueued_at: Instant::now(),
            bucket,
            item,
        }
    }

    /// Places an admitted job (its id claimed, a unit of capacity held) in its lane,
    /// makes it live and wakes a worker. If a dequeue passes the job's cell while it is
    /// being written, the job is placed again under a new ticket: its enqueue had not
    /// returned, so no order is broken.
    fn place(&self, claim: Claim, priority: Priority, mut job: CellJob<T, I>) {
        self.stats.enqueued(priority);
        loop {
            let claimed = self.lanes.claim_and_write(priority, job);
            let order = JobOrder {
                priority,
                ticket: claimed.ticket(),
            };
            self.table.attach(&claim, claimed.cell(), order);
            match self.lanes.publish(claimed) {
                Ok(()) => break,
                Err(skipped) => {
                    // Off the passed cell before it is freed: a reader that reaches the
                    // cell through the entry must find this job, not the cell's next.
                    self.table.detach(&claim);
                    job = self.lanes.take_back(&skipped);
                    self.lanes.release_skipped(skipped);
                }
            }
        }
        self.signal.notify_one();
    }

    /// Refuses an enqueue that holds a unit of capacity: frees the unit and hands the
    /// job back.
    fn refuse_with_unit(
        &self,
        kind: EnqueueErrorKind,
        id: I,
        priority: Priority,
        item: T,
    ) -> EnqueueError<T, I> {
        self.free_unit();
        self.stats.refuse(kind, id, priority, item)
    }

    /// Gives a unit of capacity back; wakes every waiter when that drains a closed queue.
    fn free_unit(&self) {
        if self.capacity.free_unit() {
            self.signal.notify_all();
        }
    }

    /// Takes the oldest live `Batch` job, else the oldest live `Interactive` job, as an
    /// eviction. Its unit of capacity stays with the caller.
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

    /// Takes the front live job of `priority`'s lane, vacates its id and frees its cell.
    /// The unit of capacity stays with the caller.
    fn take_front(&self, priority: Priority) -> Option<CellJob<T, I>> {
        let (job, taken) = self.lanes.take_front(priority)?;
        Some(self.settle(job, taken))
    }

    /// Ends a job this thread took out of its cell: vacates its id, then frees the
    /// cell (in that order: id_table.rs relies on it). The unit of capacity stays with
    /// the caller.
    fn settle(&self, job: CellJob<T, I>, taken: TakenCell) -> CellJob<T, I> {
        self.table.vacate(Claim::from_bucket(job.bucket), &job.id);
        self.lanes.release(taken);
        job
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
    /// For worker threads. Sleeps without spinning or polling on a timer (unless the
    /// queue has a [poll budget](Self::with_poll_budget)), and loses no wake-up: an
    /// enqueue or close that lands while the worker is about to sleep wakes it (it
    /// listens, then looks again, then sleeps). To give up after a while, use
    /// [`dequeue_timeout`](Self::dequeue_timeout).
    pub fn dequeue_blocking(&self) -> Result<Dequeued<T, I>, QueueClosed> {
        match self.dequeue_until(Patience::Forever) {
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
        self.dequeue_until(Patience::For(timeout))
    }

    /// Takes a job, sleeping until one arrives, the queue is closed and drained, or
    /// `deadline` passes. As [`dequeue_timeout`](Self::dequeue_timeout) otherwise.
    pub fn dequeue_deadline(
        &self,
        deadline: Instant,
    ) -> Result<Dequeued<T, I>, DequeueTimeoutError> {
        self.dequeue_until(Patience::Until(deadline))
    }

    /// The waiting loop of the blocking dequeues.
    fn dequeue_until(&self, patience: Patience) -> Result<Dequeued<T, I>, DequeueTimeoutError> {
        // `None` until the queue is first found empty: a job at hand needs no deadline,
        // so the clock is read only when there is none. Then `Some(None)` waits as long
        // as it takes (no deadline, or one past the clock's range) and `Some(Some(at))`
        // gives up at `at`.
        let mut resolved: Option<Option<Instant>> = None;
        let mut polled = self.poll_budget.is_zero();
        let expired = |deadline: Option<Instant>| deadline.is_some_and(|at| at <= Instant::now());
        loop {
            match self.try_dequeue() {
                Ok(job) => return Ok(job),
                Err(TryDequeueError::Empty) => {}
                Err(_) => return Err(DequeueTimeoutError::Closed),
            }
            let deadline = *resolved.get_or_insert_with(|| match patience {
                Patience::Forever => None,
                Patience::Until(at) => Some(at),
                Patience::For(timeout) => Instant::now().checked_add(timeout),
            });
            if expired(deadline) {
                // Nothing to wait for: no listener needed.
                return Err(DequeueTimeoutError::Timeout);
            }
            if !polled {
                polled = true;
                if let Some(outcome) = self.poll(deadline) {
                    return outcome;
                }
                if expired(deadline) {
                    return Err(DequeueTimeoutError::Timeout);
                }
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

    /// Tries the queue again and again, yielding the CPU between tries, until the poll
    /// budget or `deadline` runs out; `None` if it found the queue empty every time.
    /// Only `try_dequeue` runs here, so the sleep that follows keeps its protocol.
    fn poll(
        &self,
        deadline: Option<Instant>,
    ) -> Option<Result<Dequeued<T, I>, DequeueTimeoutError>> {
        // `None`: a budget past the clock's range and no deadline, so poll for good.
        let stop = match (Instant::now().checked_add(self.poll_budget), deadline) {
            (Some(end), Some(at)) => Some(end.min(at)),
            (end, at) => end.or(at),
        };
        // Loom has no clock: inside a model the budget is two tries, so that the models
        // reach the sleep that follows.
        let mut loom_tries_left = 2u32;
        loop {
            yield_now();
            match self.try_dequeue() {
                Ok(job) => return Some(Ok(job)),
                Err(TryDequeueError::Empty) => {}
                Err(_) => return Some(Err(DequeueTimeoutError::Closed)),
            }
            let spent = if IN_LOOM_MODEL {
                loom_tries_left -= 1;
                loom_tries_left == 0
            } else {
                stop.is_some_and(|at| at <= Instant::now())
            };
            if spent {
                return None;
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
    /// \[Q4\], \[C5\]. O(1) expected: the id table finds the job's cell, and the cell is
    /// free for reuse at once. A job whose enqueue has not returned yet may not be live
    /// yet: `None`.
    pub fn cancel(&self, id: &I) -> Option<T> {
        loop {
            let found = self.table.find(id, |cell| self.lanes.state(cell))?;
            if !found.state.is_queued() {
                // Its enqueue is still in flight: not admitted yet.
                return None;
            }
            if let Some((job, taken)) = self.lanes.take(found.cell, found.state.ticket()) {
                let job = self.settle(job, taken);
                self.stats.canceled(found.order.priority);
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
            |cell| self.lanes.state(cell),
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
        let target = self.table.find(id, |cell| self.lanes.state(cell))?;
        if !target.state.is_queued() {
            return None;
        }
        let mut ahead = 0;
        self.table.for_each(
            |cell| self.lanes.state(cell),
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
        self.table.holds(id, |cell| self.lanes.state(cell))
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
