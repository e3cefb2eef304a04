//! Memory of `ConcurrentQueue`, measured with a counting global allocator: what a
//! queue allocates when it is built and as it fills, bytes allocated per job moved
//! through it in steady state, and memory under cancel churn with no consumer ([C8]).
//! `cargo test --release --test memory_c8 -- --nocapture` prints the figures.
//!
//! The allocator counts per thread, and every measurement runs on the test's own
//! thread, so the test harness's allocations on other threads (reporting another test)
//! never land in a figure; the tests still take one lock and run one at a time.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;

use orchestrator_core::queue::{ConcurrentQueue, Policy, Priority, TryDequeueError};

/// `System`, counting the bytes the calling thread allocates and frees.
struct Counting;

thread_local! {
    /// Bytes this thread allocated minus the bytes it freed. Const-initialized: touching
    /// it never allocates, so the allocator may use it.
    static ALLOCATED: Cell<isize> = const { Cell::new(0) };
    /// Every byte this thread ever allocated (frees not subtracted).
    static ALLOCATED_EVER: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // `try_with`: a thread's allocations while its thread-locals are torn down are not
    // counted (none of this file's measurements happens then).
    let _ = ALLOCATED.try_with(|allocated| allocated.set(allocated.get() + bytes));
    if bytes > 0 {
        let _ = ALLOCATED_EVER.try_with(|ever| ever.set(ever.get() + bytes));
    }
}

fn allocated_ever() -> isize {
    ALLOCATED_EVER.with(Cell::get)
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and
// only adds bookkeeping on thread-local counters, so `System`'s guarantees carry over.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout (see the impl's comment).
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller passes a block this allocator (that is, `System`) returned,
        // with its layout.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; on failure the old block stays allocated.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(-(layout.size() as isize));
            count(new_size as isize);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Serializes the tests of this binary (the allocator count is process-wide).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const CAPACITY: usize = 1024;
/// Allowed difference after dropping a queue: far below one byte per job moved.
const LEAK_SLACK: isize = 64 * 1024;

fn allocated() -> isize {
    ALLOCATED.with(Cell::get)
}

/// Creates and drops a queue once, so that lazily allocated process and thread state
/// (if any) is not counted against the first measurement.
fn warm_up() {
    let q = ConcurrentQueue::<()>::with_capacity_policy(CAPACITY, Policy::Reject);
    for id in 0..4 * CAPACITY as u64 {
        let priority = if id % 2 == 0 {
            Priority::Interactive
        } else {
            Priority::Batch
        };
        assert!(q.enqueue(id, priority).unwrap().evicted.is_none());
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

/// Bytes of one queue of `CAPACITY`: built, and holding `CAPACITY` live jobs.
struct Footprint {
    empty: isize,
    full: isize,
}

fn footprint(policy: Policy) -> Footprint {
    let before = allocated();
    let q = ConcurrentQueue::<()>::with_capacity_policy(CAPACITY, policy);
    let empty = allocated() - before;
    for id in 0..CAPACITY as u64 {
        let priority = if id % 2 == 0 {
            Priority::Interactive
        } else {
            Priority::Batch
        };
        assert!(q.enqueue(id, priority).unwrap().evicted.is_none());
    }
    let full = allocated() - before;
    assert_eq!(q.len(), CAPACITY);
    drop(q);
    let leaked = allocated() - before;
    assert!(
        leaked.abs() <= LEAK_SLACK,
        "a filled queue left {leaked} bytes behind after drop"
    );
    Footprint { empty, full }
}

/// Bytes a queue of `CAPACITY` (`T = ()`, `u64` ids) allocates when it is built: two
/// rings of 2048 cells of 40 bytes (each cell holds its job: state word, id, admission
/// time, id table bucket): 160 bytes per unit; the id table (two buckets per unit of
/// capacity, 25 bytes each, in lines of seven) and the stats shards: the rest, 89 bytes
/// per unit at this capacity. Filling it allocates nothing more.
const BYTES_PER_UNIT_OF_CAPACITY: f64 = 255.0;

#[test]
fn a_queue_allocates_when_built_and_never_as_it_fills() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    for policy in [Policy::Reject, Policy::DropLru] {
        let footprint = footprint(policy);
        let per_unit = footprint.empty as f64 / CAPACITY as f64;
        eprintln!(
            "{policy:?}: {} bytes built ({per_unit:.1} per unit of capacity {CAPACITY}), \
             {} bytes holding {CAPACITY} live jobs",
            footprint.empty, footprint.full
        );
        assert!(footprint.empty > 0, "the allocator counts");
        assert_eq!(
            footprint.full,
            footprint.empty,
            "filling the queue allocated {} bytes",
            footprint.full - footprint.empty
        );
        assert!(
            per_unit <= BYTES_PER_UNIT_OF_CAPACITY,
            "{per_unit:.1} bytes per unit of capacity (at most {BYTES_PER_UNIT_OF_CAPACITY})"
        );
    }
}

/// Enqueue+cancel pairs in the [C8] test, and when its first measurement is taken.
const PAIRS: u64 = 10_000_000;
const FIRST_MEASURE: u64 = 1_000_000;
/// The live jobs that stay at the front of each lane.
const FRONT_INTERACTIVE: u64 = u64::MAX;
const FRONT_BATCH: u64 = u64::MAX - 1;

#[test]
fn c8_memory_stays_flat_under_ten_million_cancels_with_no_consumer() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    for policy in [Policy::Reject, Policy::DropLru] {
        let full = footprint(policy).full;
        let before = allocated();
        let q = ConcurrentQueue::<()>::with_capacity_policy(CAPACITY, policy);
        let _ = q.enqueue(FRONT_INTERACTIVE, Priority::Interactive).unwrap();
        let _ = q.enqueue(FRONT_BATCH, Priority::Batch).unwrap();
        let mut at_first_measure = 0;
        for n in 0..PAIRS {
            if n == FIRST_MEASURE {
                at_first_measure = allocated() - before;
            }
            let priority = if n % 2 == 0 {
                Priority::Interactive
            } else {
                Priority::Batch
            };
            if let Err(err) = q.enqueue(n, priority) {
                panic!("{policy:?}: enqueue {n} refused ({:?})", err.kind());
            }
            assert_eq!(q.cancel(&n), Some(()), "{policy:?}: cancel {n}");
        }
        let at_end = allocated() - before;
        eprintln!(
            "[C8] {policy:?}, capacity {CAPACITY}, a live job at the front of each lane: \
             {at_first_measure} bytes after {FIRST_MEASURE} enqueue+cancel pairs, {at_end} \
             after {PAIRS} ({:.2}x the {full} bytes of the queue holding {CAPACITY} live jobs)",
            at_end as f64 / full as f64
        );
        assert_eq!(
            at_end, at_first_measure,
            "{policy:?}: memory grew from {at_first_measure} to {at_end} bytes under cancels"
        );
        assert!(
            at_end <= 4 * full,
            "{policy:?}: {at_end} bytes after the churn, more than 4x a full queue ({full})"
        );
        // The front jobs were never disturbed, and the lanes are empty behind them.
        assert_eq!(q.len(), 2);
        assert_eq!(q.position(&FRONT_BATCH), Some(1));
        assert_eq!(q.try_dequeue().unwrap().id, FRONT_INTERACTIVE);
        assert_eq!(q.try_dequeue().unwrap().id, FRONT_BATCH);
        assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Empty);
        // And the queue still works after the dequeues walked past the churn.
        let _ = q.enqueue(1, Priority::Batch).unwrap();
        assert_eq!(q.try_dequeue().unwrap().id, 1);
        drop(q);
        let after_drop = allocated() - before;
        assert!(
            after_drop.abs() <= LEAK_SLACK,
            "{policy:?}: {after_drop} bytes not given back after the queue was dropped"
        );
    }
}

/// Jobs moved through the queue by the steady-state test, after its warm-up.
const MOVED: u64 = 1_000_000;

#[test]
fn steady_state_allocates_nothing_per_job() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    warm_up();
    let q = ConcurrentQueue::<()>::with_capacity_policy(CAPACITY, Policy::DropLru);
    let mut next = 0;
    let mut evicted = 0;
    // Batches of 64, interleaving both lanes, cancels, dequeues and, once the queue is
    // full, evictions. The first rounds are a warm-up: whatever the process allocates
    // once (thread-locals of the stats and metrics features) is not per job.
    let mut moved = 0;
    let mut before = 0;
    for round in 0..2 * MOVED / 64 {
        if round == MOVED / 64 {
            before = allocated_ever();
            moved = 0;
        }
        for k in 0..64u64 {
            let priority = if k % 4 == 0 {
                Priority::Interactive
            } else {
                Priority::Batch
            };
            evicted += usize::from(q.enqueue(next + k, priority).unwrap().evicted.is_some());
        }
        assert_eq!(q.cancel(&(next + 5)), Some(()));
        for _ in 0..48 {
            let _ = q.try_dequeue().unwrap();
        }
        next += 64;
        moved += 64;
    }
    let allocated_per_job = (allocated_ever() - before) as f64 / moved as f64;
    eprintln!(
        "steady state: {allocated_per_job} bytes allocated per job moved (capacity {CAPACITY})"
    );
    assert!(evicted > 0, "the run evicted");
    assert_eq!(
        allocated_per_job, 0.0,
        "the queue allocated while moving jobs"
    );
}
