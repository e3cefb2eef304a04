//! Cancel latency against queue depth: `ConcurrentQueue::cancel` (an
//! id-index lookup and one slot CAS: should stay flat) against `InMemoryQueue::cancel`
//! (a scan of the job's lane: grows with the depth), at depth 100, 10 000 and 1 000 000.
//!
//! Setup: a queue of capacity = depth holding `depth` `Batch` jobs, ids `0..depth` in
//! lane order (one lane, so the depth is the lane the reference queue scans). Each
//! measured iteration cancels the job that sits exactly in the middle of the lane and
//! the canceled id is re-inserted afterwards, outside the timed region, so the depth
//! stays constant. The ids canceled cycle through the back half of the lane: re-inserting
//! id `k` at the back moves id `k + 1` into the middle, so every cancel finds its job at
//! position `depth / 2`.
//!
//! Mechanics: `iter_batched` with batches of 10; the routine cancels and returns a guard
//! whose `Drop` re-enqueues the id, and criterion drops the outputs only after it stopped
//! the clock. Within a batch the depth dips by at most 9. Neither queue grows with the
//! cancels: the concurrent queue reuses a canceled job's cell on its ring's next lap
//! (\[C8\]), even though nothing dequeues here.
//!
//! Run: `cargo bench --bench cancel`; `BENCH_QUICK=1` for a short run.

use std::cell::RefCell;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode};
use orchestrator_core::queue::{ConcurrentQueue, InMemoryQueue, Policy, Priority};

#[path = "support/quick_mode.rs"]
mod quick_mode;
use quick_mode::quick;

const DEPTHS: [u64; 3] = [100, 10_000, 1_000_000];
const BATCH: u64 = 10;

/// The queue operations this bench needs; `&self` so that the guard can re-insert
/// through a shared reference.
trait Cancelable {
    fn build(depth: u64) -> Self;
    fn cancel(&self, id: u64) -> bool;
    fn reinsert(&self, id: u64);
}

impl Cancelable for ConcurrentQueue {
    fn build(depth: u64) -> Self {
        let queue = ConcurrentQueue::with_capacity_policy(depth as usize, Policy::Reject);
        for id in 0..depth {
            assert!(queue
                .enqueue(id, Priority::Batch)
                .unwrap()
                .evicted
                .is_none());
        }
        queue
    }

    fn cancel(&self, id: u64) -> bool {
        ConcurrentQueue::cancel(self, &id).is_some()
    }

    fn reinsert(&self, id: u64) {
        assert!(self
            .enqueue(id, Priority::Batch)
            .expect("the canceled id is free again")
            .evicted
            .is_none());
    }
}

impl Cancelable for RefCell<InMemoryQueue> {
    fn build(depth: u64) -> Self {
        let mut queue = InMemoryQueue::with_capacity_policy(depth as usize, Policy::Reject);
        for id in 0..depth {
            assert!(queue
                .enqueue(id, Priority::Batch)
                .unwrap()
                .evicted
                .is_none());
        }
        RefCell::new(queue)
    }

    fn cancel(&self, id: u64) -> bool {
        self.borrow_mut().cancel(&id).is_some()
    }

    fn reinsert(&self, id: u64) {
        assert!(self
            .borrow_mut()
            .enqueue(id, Priority::Batch)
            .expect("the canceled id is free again")
            .evicted
            .is_none());
    }
}

/// A queue at constant depth and the cycle of ids that sit in the middle of its lane.
struct Fixture<Q> {
    queue: Q,
    depth: u64,
    /// Cancels since the queue was built.
    cancels: u64,
}

impl<Q: Cancelable> Fixture<Q> {
    fn new(depth: u64) -> Self {
        Fixture {
            queue: Q::build(depth),
            depth,
            cancels: 0,
        }
    }

    /// The id now in the middle of the lane (see the module docs).
    fn next_id(&mut self) -> u64 {
        let half = self.depth / 2;
        let id = half + self.cancels % (self.depth - half);
        self.cancels += 1;
        id
    }
}

/// Re-inserts the canceled id when criterion drops it, after the clock stopped.
struct Reinsert<'a, Q: Cancelable> {
    fixture: &'a RefCell<Fixture<Q>>,
    id: u64,
}

impl<Q: Cancelable> Drop for Reinsert<'_, Q> {
    fn drop(&mut self) {
        self.fixture.borrow().queue.reinsert(self.id);
    }
}

fn bench_depths<Q: Cancelable>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group(format!("cancel/{name}"));
    for depth in DEPTHS {
        if depth >= 1_000_000 {
            group.sample_size(10);
            group.sampling_mode(SamplingMode::Flat);
        } else {
            group.sample_size(if quick() { 20 } else { 50 });
            group.sampling_mode(SamplingMode::Auto);
        }
        let fixture = RefCell::new(Fixture::<Q>::new(depth));
        group.bench_function(BenchmarkId::from_parameter(depth), |b| {
            b.iter_batched(
                || fixture.borrow_mut().next_id(),
                |id| {
                    let canceled = fixture.borrow().queue.cancel(black_box(id));
                    black_box(canceled);
                    Reinsert {
                        fixture: &fixture,
                        id,
                    }
                },
                BatchSize::NumIterations(BATCH),
            )
        });
    }
    group.finish();
}

fn bench_cancel(c: &mut Criterion) {
    bench_depths::<ConcurrentQueue>(c, "concurrent");
    bench_depths::<RefCell<InMemoryQueue>>(c, "in_memory");
}

fn config() -> Criterion {
    quick_mode::timed(Criterion::default())
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_cancel
}
criterion_main!(benches);
