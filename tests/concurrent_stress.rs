//! Stress tests of `ConcurrentQueue`: producer, canceller and worker threads run random
//! operations on one queue, every call is logged with timestamps from one shared
//! sequentially consistent counter, and a ledger checks the logs afterwards.
//!
//! # What the ledger proves
//!
//! Each call takes a stamp just before it starts and one just after it returns. Stamps
//! come from one `SeqCst` `fetch_add`, so `x.ret < y.start` means that call `x` returned
//! before call `y` started (happens-before). Every check below only flags orders that
//! the guarantees forbid for *every* interleaving consistent with the stamps, so it
//! cannot fail on a correct queue:
//!
//! * **[C1]** a sampler thread asserts `len() <= capacity()` while the test runs; the
//!   ledger also counts the jobs that were surely live at once (admitted before a stamp,
//!   their ending call started after it) and checks that count against the capacity.
//! * **[C2]** every admitted job (identified by the unique serial of its payload) ended
//!   exactly once: dequeued, canceled or evicted (or, in the drop variant, was still
//!   inside when the queue was dropped, and then only as many as `len()` said); every
//!   ending names an admitted job with the id and priority it was admitted with; every
//!   refused enqueue got its own item back; every payload is dropped exactly once.
//!   Duplicate ids: a producer sometimes re-submits one of its recent ids; a
//!   `DuplicateId` refusal must have had a live job with that id, and a re-admission
//!   must follow the end of the previous job with that id.
//! * **[C3]** FIFO within a lane: if `enqueue(a)` returned before `enqueue(b)` started
//!   (same lane), `a` was not canceled and `b` left the lane (dequeued, or evicted:
//!   evictions take the oldest job, [Q2]), then the call that took `a` started before
//!   the call that took `b` returned. The single-worker tests also check the plain
//!   dequeue order per producer.
//! * **[C4]** (the part checkable from outside) a dequeue that returns a `Batch` job
//!   never runs entirely inside the live span of an `Interactive` job that later was
//!   dequeued or evicted (or never left). Likewise ([Q2]) an eviction of an
//!   `Interactive` job never runs inside the live span of such a `Batch` job. Jobs that
//!   ended by `cancel` are left out of these span checks: another thread can pop such a
//!   job's slot from the lane and then lose it to the canceller, and a call in between
//!   cannot see the job.
//! * **[C5]** a job that both a `cancel` and a dequeue returned shows up as "ended
//!   twice"; a cancel's payload always carries the id it was asked for.
//! * **Stats** at quiescence (after the threads joined, before the queue is dropped):
//!   every counter of `stats()` equals the count of those events in the logs, per
//!   priority, and `enqueued = dequeued + canceled + evicted + depth` with each depth
//!   equal to the lane's `snapshot_priority` length (and their sum to `len()`).
//! * **[C7]** under `DropLru`, an enqueue refused with `QueueFull` never runs entirely
//!   inside the live span of a job that later was dequeued or evicted (or never left):
//!   that job would have been its victim.
//!
//! Randomness is a splitmix64 generator per thread, seeded from the test's seed
//! (`STRESS_SEED` overrides it); the thread schedule itself is not reproducible, so a
//! failure prints the seed and the offending calls.
#![cfg(not(loom))]

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use orchestrator_core::queue::{
    ConcurrentQueue, DequeueTimeoutError, EnqueueErrorKind, Policy, Priority, TryDequeueError,
};

/// How long the main thread waits for a worker to finish after close before declaring a
/// lost wake-up (a liveness watchdog, not a timing assertion).
const WATCHDOG: Duration = Duration::from_secs(60);

const PRODUCERS: usize = 2;

/// Ids that no producer ever uses: cancelling one must return `None`.
const FOREIGN_ID_BASE: u64 = 0xFFFF << 32;

// ---------------------------------------------------------------------------------
// Randomness, stamps, payloads.
// ---------------------------------------------------------------------------------

/// splitmix64: tiny, fast, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
}

/// The shared logical clock: one `SeqCst` counter.
struct Clock(AtomicU64);

impl Clock {
    fn stamp(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

/// A payload that knows its job and counts its drops in a per-serial counter.
///
/// The counters are leaked (`&'static`) rather than shared through an `Arc`, so that a
/// payload dropped twice (a [C2] bug) shows up in the ledger instead of crashing on a
/// double decrement of the `Arc`.
struct Tracked {
    id: u64,
    serial: usize,
    priority: Priority,
    drops: &'static [AtomicU8],
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops[self.serial].fetch_add(1, Ordering::SeqCst);
    }
}

impl fmt::Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tracked(id {:#x}, serial {})", self.id, self.serial)
    }
}

type Queue = ConcurrentQueue<Tracked, u64>;

// ---------------------------------------------------------------------------------
// Logs.
// ---------------------------------------------------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum EndKind {
    Dequeued,
    Canceled,
    Evicted,
}

#[derive(Copy, Clone, Debug)]
struct Admission {
    id: u64,
    serial: usize,
    priority: Priority,
    producer: usize,
    start: u64,
    ret: u64,
}

#[derive(Copy, Clone)]
struct Ending {
    id: u64,
    serial: usize,
    priority: Priority,
    kind: EndKind,
    /// Which thread ended it (`p<n>`, `c<n>`, `w<n>`), for messages.
    by: Actor,
    start: u64,
    ret: u64,
}

impl fmt::Debug for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} job {:#x} (serial {}, {}) by {:?}, call stamps [{}, {}]",
            self.kind, self.id, self.serial, self.priority, self.by, self.start, self.ret
        )
    }
}

#[derive(Copy, Clone, Debug)]
struct DupRefusal {
    id: u64,
    start: u64,
}

#[derive(Copy, Clone)]
enum Actor {
    Producer(usize),
    Canceller(usize),
    Worker(usize),
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Producer(p) => write!(f, "producer {p}"),
            Actor::Canceller(c) => write!(f, "canceller {c}"),
            Actor::Worker(w) => write!(f, "worker {w}"),
        }
    }
}

#[derive(Default)]
struct Log {
    admissions: Vec<Admission>,
    endings: Vec<Ending>,
    dup_refusals: Vec<DupRefusal>,
    /// Dequeue order of this thread, as serials (for the single-worker FIFO check).
    dequeue_order: Vec<usize>,
    /// `QueueFull` refusals, as `(start, ret)` call stamps.
    full_refusals: Vec<(u64, u64)>,
    foreign_cancels: usize,
    ops: usize,
}

// ---------------------------------------------------------------------------------
// Configuration.
// ---------------------------------------------------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Finish {
    /// Close the queue; workers drain it and see `Closed`.
    CloseAndDrain,
    /// Stop the workers, then drop the queue with jobs still inside.
    DropWithJobsInside,
}

#[derive(Copy, Clone, Debug)]
struct Config {
    capacity: usize,
    policy: Policy,
    producer_ops: usize,
    workers: usize,
    cancellers: usize,
    finish: Finish,
    seed: u64,
}

impl Config {
    fn new(capacity: usize, policy: Policy, seed: u64) -> Self {
        Config {
            capacity,
            policy,
            producer_ops: 40_000,
            workers: 2,
            cancellers: 1,
            finish: Finish::CloseAndDrain,
            seed: std::env::var("STRESS_SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(seed),
        }
    }
}

/// State shared by the threads of one run.
struct Shared {
    queue: Queue,
    clock: Clock,
    drops: &'static [AtomicU8],
    /// Per producer: how many fresh ids it has used so far (cancellers aim below it).
    issued: Vec<AtomicU64>,
    /// Workers pause while set (a stalled GPU), so that the queue fills up.
    stall: AtomicBool,
    producers_done: AtomicBool,
    stop_workers: AtomicBool,
    sampler_done: AtomicBool,
    /// Set by any thread of the run that panics, so that the others stop early and the
    /// main thread fails at once instead of waiting for its watchdog.
    failed: AtomicBool,
}

/// Sets `Shared::failed` if its thread unwinds.
struct FailFlag<'a>(&'a AtomicBool);

impl Drop for FailFlag<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

impl Shared {
    fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

fn job_id(producer: usize, n: u64) -> u64 {
    ((producer as u64) << 32) | n
}

// ---------------------------------------------------------------------------------
// Threads.
// ---------------------------------------------------------------------------------

fn producer(shared: &Shared, cfg: Config, p: usize) -> Log {
    let _flag = FailFlag(&shared.failed);
    let mut rng = Rng::new(cfg.seed, 1 + p as u64);
    let mut log = Log::default();
    let mut recent: Vec<u64> = Vec::new();
    let mut next_n = 0u64;
    let stall_window = (cfg.producer_ops / 8).max(1);
    for k in 0..cfg.producer_ops {
        if shared.failed() {
            break;
        }
        if p == 0 {
            // Eight windows; the workers stall in windows 0 and 4, so that the queue
            // fills up. The drop variant also stalls them in windows 3 and 7, so that it
            // ends with jobs inside.
            let phase = (k / stall_window) % 4;
            let stall = phase == 0 || (cfg.finish == Finish::DropWithJobsInside && phase == 3);
            shared.stall.store(stall, Ordering::SeqCst);
        }
        let serial = p * cfg.producer_ops + k;
        let id = if !recent.is_empty() && rng.percent(3) {
            recent[rng.below(recent.len() as u64) as usize]
        } else {
            let id = job_id(p, next_n);
            next_n += 1;
            // Release: a canceller that sees the count may aim at this id.
            shared.issued[p].store(next_n, Ordering::Release);
            id
        };
        let priority = if rng.percent(40) {
            Priority::Interactive
        } else {
            Priority::Batch
        };
        let item = Tracked {
            id,
            serial,
            priority,
            drops: shared.drops,
        };
        let start = shared.clock.stamp();
        let result = shared.queue.enqueue_item(id, priority, item);
        let ret = shared.clock.stamp();
        log.ops += 1;
        match result {
            Ok(admitted) => {
                log.admissions.push(Admission {
                    id,
                    serial,
                    priority,
                    producer: p,
                    start,
                    ret,
                });
                if recent.len() < 16 {
                    recent.push(id);
                } else {
                    recent[k % 16] = id;
                }
                if let Some(victim) = admitted.evicted {
                    assert_eq!(
                        cfg.policy,
                        Policy::DropLru,
                        "an eviction under Reject: {victim:?}"
                    );
                    assert_eq!(victim.item.id, victim.id, "evicted payload of another job");
                    assert_eq!(victim.item.priority, victim.priority, "evicted job's lane");
                    assert_ne!(victim.item.serial, serial, "evicted its own newcomer");
                    log.endings.push(Ending {
                        id: victim.id,
                        serial: victim.item.serial,
                        priority: victim.priority,
                        kind: EndKind::Evicted,
                        by: Actor::Producer(p),
                        start,
                        ret,
                    });
                }
            }
            Err(err) => {
                let kind = err.kind();
                assert_eq!((*err.id(), err.priority()), (id, priority));
                let item = err.into_parts().0.item;
                assert_eq!(
                    (item.id, item.serial),
                    (id, serial),
                    "a refused enqueue ({kind:?}) handed back another item"
                );
                match kind {
                    EnqueueErrorKind::QueueFull => log.full_refusals.push((start, ret)),
                    EnqueueErrorKind::DuplicateId => {
                        log.dup_refusals.push(DupRefusal { id, start })
                    }
                    other => panic!("{other:?} before the queue was closed"),
                }
            }
        }
    }
    log
}

fn canceller(shared: &Shared, cfg: Config, c: usize) -> Log {
    let _flag = FailFlag(&shared.failed);
    let mut rng = Rng::new(cfg.seed, 100 + c as u64);
    let mut log = Log::default();
    while !shared.producers_done.load(Ordering::SeqCst) && !shared.failed() {
        log.ops += 1;
        if log.ops % 64 == 0 {
            thread::yield_now();
        }
        let p = rng.below(PRODUCERS as u64) as usize;
        let issued = shared.issued[p].load(Ordering::Acquire);
        if issued == 0 {
            thread::yield_now();
            continue;
        }
        if rng.percent(3) {
            let foreign = FOREIGN_ID_BASE | rng.below(1 << 20);
            assert!(
                shared.queue.cancel(&foreign).is_none(),
                "cancel of never-admitted id {foreign:#x} returned a payload"
            );
            log.foreign_cancels += 1;
            continue;
        }
        // Mostly the newest ids (the ones likely live), sometimes older ones.
        let reach = if rng.percent(60) { 4 } else { 256 };
        let n = issued - 1 - rng.below(issued.min(reach));
        let id = job_id(p, n);
        if rng.percent(2) {
            // Read-only calls, for races with the writers (no assertion holds exactly
            // under concurrency beyond "no panic, nothing lost").
            let _ = shared.queue.position(&id);
            let _ = shared.queue.contains(&id);
            let lane = if rng.percent(50) {
                Priority::Interactive
            } else {
                Priority::Batch
            };
            let _ = shared.queue.snapshot_priority(lane);
        }
        let start = shared.clock.stamp();
        let result = shared.queue.cancel(&id);
        let ret = shared.clock.stamp();
        if let Some(item) = result {
            assert_eq!(
                item.id, id,
                "cancel({id:#x}) returned the payload of another job"
            );
            log.endings.push(Ending {
                id,
                serial: item.serial,
                priority: item.priority,
                kind: EndKind::Canceled,
                by: Actor::Canceller(c),
                start,
                ret,
            });
        }
    }
    log
}

fn worker(shared: &Shared, cfg: Config, w: usize) -> Log {
    let _flag = FailFlag(&shared.failed);
    let mut rng = Rng::new(cfg.seed, 200 + w as u64);
    let mut log = Log::default();
    let may_block_forever = cfg.finish == Finish::CloseAndDrain;
    loop {
        if shared.failed() {
            return log;
        }
        if cfg.finish == Finish::DropWithJobsInside && shared.stop_workers.load(Ordering::SeqCst) {
            return log;
        }
        if shared.stall.load(Ordering::SeqCst) && !shared.producers_done.load(Ordering::SeqCst) {
            thread::yield_now();
            continue;
        }
        log.ops += 1;
        let mode = rng.below(100);
        let start = shared.clock.stamp();
        let result = if mode < 70 {
            shared.queue.try_dequeue().map_err(|err| match err {
                TryDequeueError::Empty => None,
                _ => Some(()),
            })
        } else {
            let timeout = if mode < 97 || !may_block_forever {
                Some(Duration::from_micros(rng.below(300)))
            } else {
                None
            };
            match timeout {
                Some(timeout) => shared.queue.dequeue_timeout(timeout),
                None => shared
                    .queue
                    .dequeue_blocking()
                    .map_err(DequeueTimeoutError::from),
            }
            .map_err(|err| match err {
                DequeueTimeoutError::Timeout => None,
                _ => Some(()),
            })
        };
        let ret = shared.clock.stamp();
        match result {
            Ok(job) => {
                assert_eq!(job.item.id, job.id, "dequeued the payload of another job");
                assert_eq!(
                    job.item.priority, job.priority,
                    "dequeued from the wrong lane"
                );
                log.dequeue_order.push(job.item.serial);
                log.endings.push(Ending {
                    id: job.id,
                    serial: job.item.serial,
                    priority: job.priority,
                    kind: EndKind::Dequeued,
                    by: Actor::Worker(w),
                    start,
                    ret,
                });
                // A little work, so that workers and producers interleave differently.
                for _ in 0..rng.below(64) {
                    std::hint::spin_loop();
                }
            }
            Err(Some(())) => {
                assert!(
                    shared.queue.is_closed(),
                    "a dequeue reported Closed on an open queue"
                );
                return log;
            }
            Err(None) => {}
        }
    }
}

// ---------------------------------------------------------------------------------
// The run and the ledger.
// ---------------------------------------------------------------------------------

struct Outcome {
    logs: Vec<Log>,
    /// `len()` just before the queue was dropped.
    len_at_drop: usize,
    samples: usize,
    created: usize,
    drops_after: Vec<u8>,
    drops_before_queue_drop: Vec<u8>,
    /// `stats()` and each lane's snapshot length once every thread has joined.
    #[cfg(feature = "stats")]
    stats_at_end: (orchestrator_core::stats::QueueStats, [usize; 2]),
}

/// Runs the threads and returns their logs; the queue is dropped at the end.
fn run(cfg: Config) -> Outcome {
    let created = PRODUCERS * cfg.producer_ops;
    let shared = Arc::new(Shared {
        queue: Queue::with_capacity_policy(cfg.capacity, cfg.policy),
        clock: Clock(AtomicU64::new(0)),
        drops: Vec::leak((0..created).map(|_| AtomicU8::new(0)).collect()),
        issued: (0..PRODUCERS).map(|_| AtomicU64::new(0)).collect(),
        stall: AtomicBool::new(false),
        producers_done: AtomicBool::new(false),
        stop_workers: AtomicBool::new(false),
        sampler_done: AtomicBool::new(false),
        failed: AtomicBool::new(false),
    });

    let sampler = {
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            let _flag = FailFlag(&shared.failed);
            let mut samples = 0usize;
            while !shared.sampler_done.load(Ordering::SeqCst) && !shared.failed() {
                let len = shared.queue.len();
                assert!(
                    len <= shared.queue.capacity(),
                    "[C1] len() = {len} > capacity {}",
                    shared.queue.capacity()
                );
                samples += 1;
                thread::yield_now();
            }
            samples
        })
    };
    let workers: Vec<_> = (0..cfg.workers)
        .map(|w| {
            let shared = Arc::clone(&shared);
            let (tx, rx) = mpsc::channel();
            let handle = thread::spawn(move || {
                let log = worker(&shared, cfg, w);
                let _ = tx.send(());
                log
            });
            (handle, rx)
        })
        .collect();
    let cancellers: Vec<_> = (0..cfg.cancellers)
        .map(|c| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || canceller(&shared, cfg, c))
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || producer(&shared, cfg, p))
        })
        .collect();

    let mut logs = Vec::new();
    for handle in producers {
        logs.push(handle.join().expect("producer panicked"));
    }
    if cfg.finish == Finish::DropWithJobsInside {
        // Before the stall ends, so the jobs left by the last stalled window stay inside.
        shared.stop_workers.store(true, Ordering::SeqCst);
    }
    shared.producers_done.store(true, Ordering::SeqCst);
    shared.stall.store(false, Ordering::SeqCst);
    for handle in cancellers {
        logs.push(handle.join().expect("canceller panicked"));
    }
    if cfg.finish == Finish::CloseAndDrain {
        shared.queue.close();
    }
    for (w, (handle, done)) in workers.into_iter().enumerate() {
        let waiting = Instant::now();
        loop {
            match done.recv_timeout(Duration::from_millis(50)) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            assert!(
                !shared.failed(),
                "another thread of this run panicked (its message is above)"
            );
            assert!(
                waiting.elapsed() < WATCHDOG,
                "worker {w} still blocked {WATCHDOG:?} after the finish ({:?}): lost wake-up? \
                 len() = {}",
                cfg.finish,
                shared.queue.len()
            );
        }
        match handle.join() {
            Ok(log) => logs.push(log),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    if cfg.finish == Finish::CloseAndDrain {
        // Everything was drained by the workers.
        match shared.queue.try_dequeue() {
            Err(TryDequeueError::Closed) => {}
            Ok(job) => {
                panic!("a job was left in a closed queue after the workers saw Closed: {job:?}")
            }
            Err(err) => panic!("a closed, drained queue reported {err:?}"),
        }
        assert_eq!(shared.queue.len(), 0, "len() after close and drain");
        assert!(shared.queue.is_empty());
    }

    shared.sampler_done.store(true, Ordering::SeqCst);
    let samples = sampler.join().expect("sampler panicked ([C1])");
    let len_at_drop = shared.queue.len();
    #[cfg(feature = "stats")]
    let stats_at_end = (
        shared.queue.stats(),
        Priority::ALL.map(|p| shared.queue.snapshot_priority(p).len()),
    );
    let snapshot = |drops: &[AtomicU8]| -> Vec<u8> {
        drops.iter().map(|d| d.load(Ordering::SeqCst)).collect()
    };
    let drops_before_queue_drop = snapshot(shared.drops);
    let drops = shared.drops;
    let shared = Arc::into_inner(shared).expect("every thread let go of the queue");
    drop(shared);
    Outcome {
        logs,
        len_at_drop,
        samples,
        created,
        drops_after: snapshot(drops),
        drops_before_queue_drop,
        #[cfg(feature = "stats")]
        stats_at_end,
    }
}

/// The stats add up at quiescence and match the logs event for event.
#[cfg(feature = "stats")]
fn check_stats(cfg: Config, out: &Outcome) {
    let (stats, lane_lens) = &out.stats_at_end;
    let ctx = format!("{cfg:?}\n{stats:#?}");
    let endings: Vec<&Ending> = out.logs.iter().flat_map(|l| &l.endings).collect();
    for priority in Priority::ALL {
        let lane = stats.priority(priority);
        let admitted = out
            .logs
            .iter()
            .flat_map(|l| &l.admissions)
            .filter(|a| a.priority == priority)
            .count() as u64;
        let ended = |kind: EndKind| {
            endings
                .iter()
                .filter(|e| e.priority == priority && e.kind == kind)
                .count() as u64
        };
        assert_eq!(lane.enqueued, admitted, "{priority} enqueued\n{ctx}");
        assert_eq!(
            lane.dequeued,
            ended(EndKind::Dequeued),
            "{priority} dequeued\n{ctx}"
        );
        assert_eq!(
            lane.canceled,
            ended(EndKind::Canceled),
            "{priority} canceled\n{ctx}"
        );
        assert_eq!(
            lane.evicted,
            ended(EndKind::Evicted),
            "{priority} evicted\n{ctx}"
        );
        assert_eq!(
            lane.enqueued,
            lane.dequeued + lane.canceled + lane.evicted + lane.depth,
            "{priority}: enqueued = dequeued + canceled + evicted + depth\n{ctx}"
        );
        assert_eq!(
            lane.depth,
            lane_lens[priority.index()] as u64,
            "{priority} depth vs snapshot_priority\n{ctx}"
        );
        assert_eq!(
            lane.wait.samples, lane.dequeued,
            "{priority} wait samples\n{ctx}"
        );
        assert_eq!(
            lane.rejected.closed, 0,
            "{priority}: no enqueue after close\n{ctx}"
        );
    }
    assert_eq!(stats.depth(), stats.len as u64, "depths vs len()\n{ctx}");
    let refused = |count: fn(&Log) -> usize| out.logs.iter().map(count).sum::<usize>() as u64;
    assert_eq!(
        stats.interactive.rejected.full + stats.batch.rejected.full,
        refused(|l| l.full_refusals.len()),
        "QueueFull refusals\n{ctx}"
    );
    assert_eq!(
        stats.interactive.rejected.duplicate + stats.batch.rejected.duplicate,
        refused(|l| l.dup_refusals.len()),
        "DuplicateId refusals\n{ctx}"
    );
}

/// Checks every guarantee the logs can show and returns a one-line summary.
fn check_ledger(cfg: Config, out: &Outcome) -> String {
    let ctx = format!("{cfg:?}");
    let admissions: Vec<&Admission> = out.logs.iter().flat_map(|l| &l.admissions).collect();
    let endings: Vec<&Ending> = out.logs.iter().flat_map(|l| &l.endings).collect();

    // [C2] each admitted job (serial) ends at most once, as the job it was admitted as.
    let mut admitted: HashMap<usize, &Admission> = HashMap::new();
    for a in &admissions {
        assert!(
            admitted.insert(a.serial, a).is_none(),
            "{ctx}: serial admitted twice"
        );
    }
    let mut ended: HashMap<usize, &Ending> = HashMap::new();
    for e in &endings {
        let a = admitted
            .get(&e.serial)
            .unwrap_or_else(|| panic!("{ctx}: [C2] {e:?} ended a job that was never admitted"));
        assert_eq!(
            (e.id, e.priority),
            (a.id, a.priority),
            "{ctx}: [C2] {e:?} does not match its admission {a:?}"
        );
        if let Some(first) = ended.insert(e.serial, e) {
            panic!("{ctx}: [C2]/[C5] job ended twice:\n  {first:?}\n  {e:?}\n  admitted {a:?}");
        }
    }
    let inside = admissions.len() - ended.len();
    match cfg.finish {
        Finish::CloseAndDrain => assert_eq!(
            inside, 0,
            "{ctx}: [C2] {inside} admitted jobs never ended although the queue was drained"
        ),
        Finish::DropWithJobsInside => assert_eq!(
            inside, out.len_at_drop,
            "{ctx}: [C2] jobs not ended by any call vs len() before the drop"
        ),
    }

    // [C2] payloads: each dropped exactly once overall; before the queue itself was
    // dropped, exactly the payloads of the jobs still inside were not yet dropped.
    for serial in 0..out.created {
        let still_inside = admitted.contains_key(&serial) && !ended.contains_key(&serial);
        let before = out.drops_before_queue_drop[serial];
        assert_eq!(
            before,
            u8::from(!still_inside),
            "{ctx}: [C2] payload {serial} dropped {before} times before the queue was dropped \
             (inside the queue: {still_inside})"
        );
        assert_eq!(
            out.drops_after[serial], 1,
            "{ctx}: [C2] payload {serial} dropped {} times in all",
            out.drops_after[serial]
        );
    }

    // Per id, in admission order (one producer per id, so admissions of an id are
    // sequential).
    let mut by_id: HashMap<u64, Vec<&Admission>> = HashMap::new();
    for a in &admissions {
        by_id.entry(a.id).or_default().push(a);
    }
    let end_of = |serial: usize| ended.get(&serial).copied();
    for list in by_id.values_mut() {
        list.sort_by_key(|a| a.start);
        for pair in list.windows(2) {
            let (first, second) = (pair[0], pair[1]);
            match end_of(first.serial) {
                Some(e) if e.start < second.ret => {}
                other => panic!(
                    "{ctx}: [Q2] id {:#x} admitted again while its previous job was live:\n  \
                     first {first:?}\n  ended {other:?}\n  second {second:?}",
                    first.id
                ),
            }
        }
    }
    let dup_refusals: Vec<&DupRefusal> = out.logs.iter().flat_map(|l| &l.dup_refusals).collect();
    for d in &dup_refusals {
        let justified = by_id.get(&d.id).is_some_and(|list| {
            list.iter()
                .any(|a| a.ret < d.start && end_of(a.serial).is_none_or(|e| e.ret > d.start))
        });
        assert!(
            justified,
            "{ctx}: [Q2] DuplicateId for {:#x} at {d:?} although no job with that id was \
             live then; admissions: {:?}",
            d.id,
            by_id.get(&d.id)
        );
    }

    // [C1] jobs surely live at once: admitted (returned) before a stamp, ending call
    // started after it.
    let mut events: Vec<(u64, i64)> = Vec::new();
    for a in &admissions {
        let end = end_of(a.serial).map_or(u64::MAX, |e| e.start);
        if a.ret < end {
            events.push((a.ret, 1));
            if end != u64::MAX {
                events.push((end, -1));
            }
        }
    }
    events.sort_unstable();
    let (mut live, mut max_live) = (0i64, 0i64);
    for (_, delta) in events {
        live += delta;
        max_live = max_live.max(live);
    }
    assert!(
        max_live as usize <= cfg.capacity,
        "{ctx}: [C1] {max_live} jobs were live at once, capacity {}",
        cfg.capacity
    );

    // A job is "taken from its lane" when a dequeue or an eviction ends it: both pop the
    // lane. Canceled jobs are left out of the checks below: another thread can pop a
    // job's slot and then lose it to the canceller, and whatever it did in between
    // cannot see that job. A job that never ended (drop variant) stays in its lane.
    let taken = |a: &Admission| -> Option<u64> {
        match end_of(a.serial) {
            None => Some(u64::MAX),
            Some(e) if e.kind == EndKind::Canceled => None,
            Some(e) => Some(e.start),
        }
    };

    // [C3] (and [Q2] for evictions) per lane: a.ret < b.start, a not canceled, b taken
    // from the lane => a was taken by a call that started before b's taker returned.
    // Two-pointer sweep: `by_ret` feeds every `a` that returned before `b` started.
    for lane in Priority::ALL {
        let mut by_ret: Vec<&Admission> = admissions
            .iter()
            .copied()
            .filter(|a| a.priority == lane)
            .collect();
        let mut by_start = by_ret.clone();
        by_ret.sort_unstable_by_key(|a| a.ret);
        by_start.sort_unstable_by_key(|a| a.start);
        let mut i = 0;
        let mut latest: Option<(u64, &Admission)> = None;
        for b in by_start {
            while i < by_ret.len() && by_ret[i].ret < b.start {
                let a = by_ret[i];
                if let Some(a_taken) = taken(a) {
                    if latest.is_none_or(|(l, _)| a_taken > l) {
                        latest = Some((a_taken, a));
                    }
                }
                i += 1;
            }
            let Some(eb) = end_of(b.serial).filter(|e| e.kind != EndKind::Canceled) else {
                continue;
            };
            if let Some((a_taken, a)) = latest {
                assert!(
                    a_taken < eb.ret,
                    "{ctx}: [C3] {lane} job b left its lane before job a although a was \
                     admitted first and was not canceled:\n  a {a:?}\n    {:?}\n  \
                     b {b:?}\n    {eb:?}",
                    end_of(a.serial)
                );
            }
        }
    }

    let jobs_of = |lane: Option<Priority>| -> Vec<(u64, u64, &Admission)> {
        admissions
            .iter()
            .copied()
            .filter(|a| lane.is_none_or(|p| a.priority == p))
            .filter_map(|a| taken(a).map(|t| (a.ret, t, a)))
            .collect()
    };

    // [C4] a dequeue that returned a Batch job never ran inside the live span of an
    // Interactive job that stayed in its lane.
    let batch_dequeues: Vec<(u64, u64, &Ending)> = endings
        .iter()
        .filter(|e| e.kind == EndKind::Dequeued && e.priority == Priority::Batch)
        .map(|e| (e.start, e.ret, *e))
        .collect();
    check_no_call_inside_a_live_span(
        &ctx,
        "[C4] a dequeue returned a Batch job",
        jobs_of(Some(Priority::Interactive)),
        batch_dequeues,
    );

    // [Q2] a DropLru enqueue evicted an Interactive job only when no Batch job was
    // queued for its whole call.
    let interactive_evictions: Vec<(u64, u64, &Ending)> = endings
        .iter()
        .filter(|e| e.kind == EndKind::Evicted && e.priority == Priority::Interactive)
        .map(|e| (e.start, e.ret, *e))
        .collect();
    check_no_call_inside_a_live_span(
        &ctx,
        "[Q2] an enqueue evicted an Interactive job",
        jobs_of(Some(Priority::Batch)),
        interactive_evictions,
    );

    // [C7] under DropLru a full queue evicts; `QueueFull` is allowed only when there
    // was nothing to evict. A refusing enqueue pops both lanes empty, so a job that was
    // in a lane for its whole call would have been its victim.
    if cfg.policy == Policy::DropLru {
        let refusals: Vec<(u64, u64, (u64, u64))> = out
            .logs
            .iter()
            .flat_map(|l| l.full_refusals.iter().map(|&(s, r)| (s, r, (s, r))))
            .collect();
        check_no_call_inside_a_live_span(
            &ctx,
            "[C7] a DropLru enqueue was refused with QueueFull (call stamps)",
            jobs_of(None),
            refusals,
        );
    }

    let count = |kind| endings.iter().filter(|e| e.kind == kind).count();
    let full: usize = out.logs.iter().map(|l| l.full_refusals.len()).sum();
    let foreign: usize = out.logs.iter().map(|l| l.foreign_cancels).sum();
    format!(
        "admitted {}, dequeued {}, canceled {}, evicted {}, inside at drop {}, QueueFull {}, \
         DuplicateId {}, foreign cancels {}, max surely-live {} / {}, len samples {}",
        admissions.len(),
        count(EndKind::Dequeued),
        count(EndKind::Canceled),
        count(EndKind::Evicted),
        inside,
        full,
        dup_refusals.len(),
        foreign,
        max_live,
        cfg.capacity,
        out.samples
    )
}

/// Fails if some call `(start, ret, what)` ran entirely inside the live span
/// `(admitted_ret, left_start, job)` of some job: `admitted_ret < start` and
/// `left_start > ret`. Sweep over both lists sorted by their first stamp.
fn check_no_call_inside_a_live_span<C: fmt::Debug>(
    ctx: &str,
    rule: &str,
    mut jobs: Vec<(u64, u64, &Admission)>,
    mut calls: Vec<(u64, u64, C)>,
) {
    jobs.sort_unstable_by_key(|&(ret, _, _)| ret);
    calls.sort_unstable_by_key(|&(start, _, _)| start);
    let mut i = 0;
    let mut latest: Option<(u64, &Admission)> = None;
    for (start, ret, call) in calls {
        while i < jobs.len() && jobs[i].0 < start {
            let (_, left, job) = jobs[i];
            if latest.is_none_or(|(l, _)| left > l) {
                latest = Some((left, job));
            }
            i += 1;
        }
        if let Some((left, job)) = latest {
            assert!(
                left < ret,
                "{ctx}: {rule} {call:?} while job {job:?} was queued for the whole call (it left \
                 its lane at stamp {left})"
            );
        }
    }
}

/// Single worker: per producer and lane, jobs are dequeued in admission order.
fn check_single_worker_order(cfg: Config, out: &Outcome) {
    let admissions: HashMap<usize, &Admission> = out
        .logs
        .iter()
        .flat_map(|l| &l.admissions)
        .map(|a| (a.serial, a))
        .collect();
    let orders: Vec<&Vec<usize>> = out
        .logs
        .iter()
        .map(|l| &l.dequeue_order)
        .filter(|o| !o.is_empty())
        .collect();
    assert!(orders.len() <= 1, "more than one thread dequeued");
    let Some(order) = orders.first() else { return };
    let mut last: HashMap<(usize, Priority), &Admission> = HashMap::new();
    for serial in order.iter() {
        let a = admissions[serial];
        if let Some(prev) = last.insert((a.producer, a.priority), a) {
            assert!(
                prev.start < a.start,
                "{cfg:?}: [C3] producer {} {} lane: {a:?} dequeued after {prev:?}, which was \
                 admitted later",
                a.producer,
                a.priority
            );
        }
    }
}

fn stress(cfg: Config) {
    let started = Instant::now();
    let out = run(cfg);
    let summary = check_ledger(cfg, &out);
    #[cfg(feature = "stats")]
    check_stats(cfg, &out);
    if cfg.workers == 1 {
        check_single_worker_order(cfg, &out);
    }
    let ops: usize = out.logs.iter().map(|l| l.ops).sum();
    eprintln!(
        "{:?} cap {} {:?} seed {:#x}: {ops} calls in {:.2?}; {summary}",
        cfg.policy,
        cfg.capacity,
        cfg.finish,
        cfg.seed,
        started.elapsed()
    );
    // The run must have exercised the paths its policy is about: with tiny capacities
    // and stalled workers the queue is certainly full many times.
    if cfg.capacity <= 2 {
        let endings = out.logs.iter().flat_map(|l| &l.endings);
        match cfg.policy {
            Policy::DropLru => assert!(
                endings.filter(|e| e.kind == EndKind::Evicted).count() > 0,
                "no eviction happened: the test lost its power"
            ),
            Policy::Reject => assert!(
                out.logs
                    .iter()
                    .map(|l| l.full_refusals.len())
                    .sum::<usize>()
                    > 0,
                "no QueueFull happened: the test lost its power"
            ),
        }
    }
}

// ---------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------

macro_rules! stress_tests {
    ($($name:ident: $policy:expr, $capacity:expr, $seed:expr;)*) => {$(
        #[test]
        fn $name() {
            stress(Config::new($capacity, $policy, $seed));
        }
    )*};
}

stress_tests! {
    reject_capacity_1: Policy::Reject, 1, 0x5EED_0001;
    reject_capacity_2: Policy::Reject, 2, 0x5EED_0002;
    reject_capacity_64: Policy::Reject, 64, 0x5EED_0003;
    reject_capacity_4096: Policy::Reject, 4096, 0x5EED_0004;
    drop_lru_capacity_1: Policy::DropLru, 1, 0x5EED_0011;
    drop_lru_capacity_2: Policy::DropLru, 2, 0x5EED_0012;
    drop_lru_capacity_64: Policy::DropLru, 64, 0x5EED_0013;
    drop_lru_capacity_4096: Policy::DropLru, 4096, 0x5EED_0014;
}

#[test]
fn single_worker_dequeues_each_producers_lane_in_order_reject() {
    for capacity in [2, 64] {
        let mut cfg = Config::new(capacity, Policy::Reject, 0x5EED_0021);
        cfg.workers = 1;
        stress(cfg);
    }
}

#[test]
fn single_worker_dequeues_each_producers_lane_in_order_drop_lru() {
    for capacity in [2, 64] {
        let mut cfg = Config::new(capacity, Policy::DropLru, 0x5EED_0022);
        cfg.workers = 1;
        stress(cfg);
    }
}

#[test]
fn dropping_the_queue_with_jobs_inside_drops_each_payload_once() {
    for (policy, capacity) in [
        (Policy::Reject, 64),
        (Policy::DropLru, 64),
        (Policy::DropLru, 1),
    ] {
        let mut cfg = Config::new(capacity, policy, 0x5EED_0031);
        cfg.finish = Finish::DropWithJobsInside;
        cfg.producer_ops = 10_000;
        stress(cfg);
    }
}
