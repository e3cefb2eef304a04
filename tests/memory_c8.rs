//! Memory of `ConcurrentQueue`, measured with a counting global allocator: bytes per
//! live job, bytes allocated per job moved through the queue in steady state, and
//! memory under cancel churn ([C8]).
//!
//! [C8] asks for memory O(C) that does not grow with the number of cancels, even while
//! no worker dequeues. The queue does not meet it yet (documented on the type): a
//! canceled job's slot stays in its lane until a dequeue or an eviction reaches it. So
//! the reported test here *measures* the growth and prints it
//! (`cargo test --release --test memory_c8 -- --nocapture`), and asserts what holds
//! today and can fail: every operation behaves, the dead slots are reclaimed as soon as
//! a dequeue walks over them, and dropping the queue gives back everything it
//! allocated (no leak). The C8 target itself (growth within a constant factor of a full
//! queue) becomes an assertion here with the change that meets it.
//!
//! The allocator counts every thread's allocations, so the tests in this file take one
//! lock and run one at a time; the binary holds nothing else.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Mutex;

use orchestrator_core::queue::{ConcurrentQueue, Policy, Priority, TryDequeueError};

/// `System`, counting the bytes currently allocated.
struct Counting;

static ALLOCATED: AtomicIsize = AtomicIsize::new(0);
/// Every byte ever allocated (frees not subtracted).
static ALLOCATED_EVER: AtomicIsize = AtomicIsize::new(0);

fn count(bytes: usize) {
    ALLOCATED.fetch_add(bytes as isize, Ordering::Relaxed);
    ALLOCATED_EVER.fetch_add(bytes as isize, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and
// only adds bookkeeping on an atomic, so `System`'s guarantees carry over.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout (see the impl's comment).
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller passes a block this allocator (that is, `System`) returned,
        // with its layout.
        unsafe { System.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; on failure the old block stays allocated.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            ALLOCATED.fetch_sub(layout.size() as isize, Ordering::Relaxed);
            count(new_size);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Serializes the tests of this binary (the allocator count is process-wide).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const CAPACITY: usize = 1024;
const PAIRS: u64 = 1_000_000;
/// The live job that stays at the front in scenario (b).
const FRONT: u64 = u64::MAX;
/// Allowed difference after dropping a queue: far below one byte per pair (1 MB).
const LEAK_SLACK: isize = 64 * 1024;

fn allocated() -> isize {
    ALLOCATED.load(Ordering::SeqCst)
}

/// Creates and drops a queue once, so that lazily allocated process and thread state
/// (if any) is not counted against the first measurement.
fn warm_up() {
    let q = ConcurrentQueue::<()>::with_capacity_policy(CAPACITY, Policy::Reject);
    for id in 0..2 * CAPACITY as u64 {
        assert!(q.enqueue(id, Priority::Batch).unwrap().evicted.is_none());
        q.cancel(&id).unwrap();
    }
    assert!(q
        .enqueue(1, Priority::Interactive)
        .unwrap()
        .evicted
        .is_none());
    let _ = q.try_dequeue().unwrap();
    drop(q);
}

/// Bytes of one queue: empty, and holding `CAPACITY` live jobs.
struct Footprint {
    empty: isize,
    per_job: f64,
}

fn footprint() -> Footprint {
    let before = allocated();
    let q = ConcurrentQueue::<()>::with_capacity_policy(CAPACITY, Policy::Reject);
    let empty = allocated() - before;
    for id in 0..CAPACITY as u64 {
        assert!(q.enqueue(id, Priority::Batch).unwrap().evicted.is_none());
    }
    let full = allocated() - before;
    assert!(q.enqueue(u64::MAX, Priority::Batch).unwrap_err().is_full());
    for id in 0..CAPACITY as u64 {
        assert_eq!(q.try_dequeue().unwrap().id, id);
    }
    drop(q);
    let leaked = allocated() - before;
    assert!(
        leaked.abs() <= LEAK_SLACK,
        "a filled and drained queue left {leaked} bytes behind after drop"
    );
    Footprint {
        empty,
        per_job: (full - empty) as f64 / CAPACITY as f64,
    }
}

/// One churn scenario: `PAIRS` times enqueue id n then cancel id n, with no consumer;
/// optionally one live job enqueued first, which stays at the front of the same lane.
struct Churn {
    /// Bytes held by the queue right before the churn (after creation, and the front
    /// job if any).
    start: isize,
    /// Bytes held by the queue after the churn.
    after_churn: isize,
    /// Bytes held once dequeues walked over the dead slots.
    after_dequeue: isize,
    /// Bytes left over after the queue was dropped (0 means no leak).
    after_drop: isize,
}

impl Churn {
    fn growth(&self) -> isize {
        self.after_churn - self.start
    }

    fn per_pair(&self) -> f64 {
        self.growth() as f64 / PAIRS as f64
    }
}

fn churn(live_front: bool) -> Churn {
    let before = allocated();
    let q = ConcurrentQueue::<()>::with_capacity_policy(CAPACITY, Policy::Reject);
    if live_front {
        assert!(q.enqueue(FRONT, Priority::Batch).unwrap().evicted.is_none());
    }
    let start = allocated() - before;
    for n in 0..PAIRS {
        if let Err(err) = q.enqueue(n, Priority::Batch) {
            panic!(
                "enqueue {n} refused ({:?}) with len() {}",
                err.kind(),
                q.len()
            );
        }
        assert_eq!(q.cancel(&n), Some(()), "cancel {n}");
    }
    let after_churn = allocated() - before;
    assert_eq!(q.len(), usize::from(live_front));
    assert_eq!(
        q.snapshot_priority(Priority::Batch).len(),
        usize::from(live_front)
    );
    if live_front {
        assert_eq!(q.position(&FRONT), Some(0));
        assert_eq!(q.try_dequeue().unwrap().id, FRONT);
    }
    // This dequeue walks over every dead slot left in the lane.
    assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Empty);
    let after_dequeue = allocated() - before;
    assert!(q.is_empty());
    drop(q);
    let after_drop = allocated() - before;
    Churn {
        start,
        after_churn,
        after_dequeue,
        after_drop,
    }
}

#[test]
fn c8_memory_after_cancel_churn_is_reported() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    let baseline = allocated();
    let footprint = footprint();
    let a = churn(false);
    let b = churn(true);
    let end = allocated() - baseline;

    let full = footprint.empty as f64 + footprint.per_job * CAPACITY as f64;
    eprintln!("[C8] capacity {CAPACITY}, {PAIRS} enqueue+cancel pairs, no consumer");
    eprintln!(
        "  queue: {} bytes empty, {:.1} bytes per queued job, {:.0} bytes full",
        footprint.empty, footprint.per_job, full
    );
    for (name, c) in [("(a) empty queue", &a), ("(b) one live job in front", &b)] {
        eprintln!(
            "  {name}: {} bytes before churn -> {} after ({} growth, {:.1} bytes per pair, \
             {:.1}x a full queue); {} after one dequeue pass; {} left after drop",
            c.start,
            c.after_churn,
            c.growth(),
            c.per_pair(),
            c.after_churn as f64 / full,
            c.after_dequeue,
            c.after_drop
        );
    }
    eprintln!(
        "  C8 target (bytes after churn within 4x a full queue) met: (a) {}, (b) {}",
        c8_met(&a, full),
        c8_met(&b, full)
    );

    // What holds today and can fail:
    assert!(
        footprint.empty > 0 && footprint.per_job > 0.0,
        "the allocator counts"
    );
    for (name, c) in [("(a)", &a), ("(b)", &b)] {
        assert!(
            c.growth() >= 0,
            "{name}: memory shrank during churn: {}",
            c.growth()
        );
        // The dead slots are reclaimed once a dequeue walks over them.
        assert!(
            (c.after_dequeue as f64) <= 4.0 * full,
            "{name}: {} bytes still held after a dequeue pass over the dead slots \
             (a full queue holds {full:.0})",
            c.after_dequeue
        );
        // Dropping the queue gives everything back.
        assert!(
            c.after_drop.abs() <= LEAK_SLACK,
            "{name}: {} bytes not given back after the queue was dropped",
            c.after_drop
        );
    }
    assert!(
        end.abs() <= LEAK_SLACK,
        "{end} bytes leaked over the whole test"
    );
}

/// The [C8] target: after the churn, memory within 4x what a full queue holds.
fn c8_met(c: &Churn, full_queue: f64) -> bool {
    (c.after_churn as f64) <= 4.0 * full_queue
}

/// Jobs moved through the queue by the steady-state test, after its warm-up.
const MOVED: u64 = 1_000_000;

/// Bytes allocated per job admitted and dequeued, in steady state, by the queue: the id
/// table and the slots allocate nothing per job (the table is sized at construction,
/// the slots are reused); what remains are the lanes' blocks, one per 31 pushes of a
/// lane: 752 bytes per 31 handles of the job's lane and 504 bytes per 31 indices of the
/// slots' free list, 40.5 bytes per job.
const STEADY_BYTES_PER_JOB: f64 = 41.0;

/// Bytes a queue with `T = ()` takes per job as it fills: the job's slot (40 bytes: the
/// state word, the id, the priority, the admission time and the id table bucket) and its
/// share of the slot chunks' bookkeeping. The lanes' handles (16 bytes per job, in blocks
/// of 31) come on top; the id table (two buckets per unit of capacity, 25 bytes each
/// for `u64` ids) is allocated when the queue is built.
const BYTES_PER_LIVE_JOB: f64 = 50.0;

#[test]
fn steady_state_allocates_only_lane_blocks_per_job() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    let q = ConcurrentQueue::<()>::with_capacity_policy(CAPACITY, Policy::DropLru);
    // Warm-up: every slot created, the table's buckets all used at least once.
    for id in 0..4 * CAPACITY as u64 {
        let _ = q.enqueue(id, Priority::Batch).unwrap();
        if id % 2 == 1 {
            let _ = q.try_dequeue().unwrap();
        }
    }
    while q.try_dequeue().is_ok() {}
    let before = ALLOCATED_EVER.load(Ordering::SeqCst);
    let mut next = 10 * CAPACITY as u64;
    for _ in 0..MOVED / 64 {
        // Batches of 64, interleaving both lanes, cancels and dequeues.
        for k in 0..64u64 {
            let priority = if k % 4 == 0 {
                Priority::Interactive
            } else {
                Priority::Batch
            };
            assert!(q.enqueue(next + k, priority).unwrap().evicted.is_none());
        }
        assert_eq!(q.cancel(&(next + 5)), Some(()));
        while q.try_dequeue().is_ok() {}
        next += 64;
    }
    let per_job = (ALLOCATED_EVER.load(Ordering::SeqCst) - before) as f64 / MOVED as f64;
    eprintln!("steady state: {per_job:.2} bytes allocated per job moved (capacity {CAPACITY})");
    assert!(
        per_job <= STEADY_BYTES_PER_JOB,
        "{per_job:.2} bytes allocated per job in steady state (at most {STEADY_BYTES_PER_JOB})"
    );
    drop(q);

    let footprint = footprint();
    let lanes = 16.0 * 32.0 / 31.0;
    let without_lanes = footprint.per_job - lanes;
    eprintln!(
        "a full queue: {:.1} bytes per live job, {without_lanes:.1} without the lanes' handles",
        footprint.per_job
    );
    assert!(
        without_lanes <= BYTES_PER_LIVE_JOB,
        "{without_lanes:.1} bytes per live job besides the lanes (at most {BYTES_PER_LIVE_JOB})"
    );
}
