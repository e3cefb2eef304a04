//! Cost of the queue views against depth: `snapshot_priority` and
//! `position` on `ConcurrentQueue` (both walk the id index: O(n log n) and O(n) in the
//! live jobs) and on `InMemoryQueue` (a walk of one lane), at 100, 10 000 and 100 000
//! queued jobs.
//!
//! Setup: a queue of capacity = depth holding `depth` jobs, ids `0..depth` in order,
//! 1 in 4 `Interactive` (ids divisible by 4). Measured: `snapshot_priority(Batch)` (three
//! quarters of the jobs) and `position` of the `Batch` job in the middle of the `Batch`
//! lane. The queues are not modified.
//!
//! Run: `cargo bench --bench snapshot`; `BENCH_QUICK=1` for a short run.

use std::hint::black_box;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use orchestrator_core::queue::{ConcurrentQueue, InMemoryQueue, Policy, Priority};

#[path = "support/quick_mode.rs"]
mod quick_mode;
use quick_mode::quick;

const DEPTHS: [u64; 3] = [100, 10_000, 100_000];

fn priority_of(id: u64) -> Priority {
    if id.is_multiple_of(4) {
        Priority::Interactive
    } else {
        Priority::Batch
    }
}

fn concurrent(depth: u64) -> ConcurrentQueue {
    let queue = ConcurrentQueue::with_capacity_policy(depth as usize, Policy::Reject);
    for id in 0..depth {
        assert!(queue
            .enqueue(id, priority_of(id))
            .unwrap()
            .evicted
            .is_none());
    }
    queue
}

fn in_memory(depth: u64) -> InMemoryQueue {
    let mut queue = InMemoryQueue::with_capacity_policy(depth as usize, Policy::Reject);
    for id in 0..depth {
        assert!(queue
            .enqueue(id, priority_of(id))
            .unwrap()
            .evicted
            .is_none());
    }
    queue
}

/// The `Batch` job in the middle of the `Batch` lane.
fn middle_batch_id(depth: u64) -> u64 {
    let batch: Vec<u64> = (0..depth)
        .filter(|&id| priority_of(id) == Priority::Batch)
        .collect();
    batch[batch.len() / 2]
}

fn bench_views(c: &mut Criterion) {
    let sample_size = if quick() { 20 } else { 50 };

    let mut group = c.benchmark_group("snapshot_priority");
    for depth in DEPTHS {
        sampling(&mut group, depth, sample_size);
        group.throughput(Throughput::Elements(depth));
        let ours = concurrent(depth);
        let reference = in_memory(depth);
        let expected = reference.snapshot_priority(Priority::Batch);
        assert_eq!(ours.snapshot_priority(Priority::Batch), expected);
        group.bench_function(BenchmarkId::new("concurrent", depth), |b| {
            b.iter(|| black_box(&ours).snapshot_priority(black_box(Priority::Batch)))
        });
        group.bench_function(BenchmarkId::new("in_memory", depth), |b| {
            b.iter(|| black_box(&reference).snapshot_priority(black_box(Priority::Batch)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("position");
    for depth in DEPTHS {
        sampling(&mut group, depth, sample_size);
        group.throughput(Throughput::Elements(depth));
        let ours = concurrent(depth);
        let reference = in_memory(depth);
        let id = middle_batch_id(depth);
        assert_eq!(ours.position(&id), reference.position(&id));
        assert!(reference.position(&id).is_some());
        group.bench_function(BenchmarkId::new("concurrent", depth), |b| {
            b.iter(|| black_box(&ours).position(black_box(&id)))
        });
        group.bench_function(BenchmarkId::new("in_memory", depth), |b| {
            b.iter(|| black_box(&reference).position(black_box(&id)))
        });
    }
    group.finish();
}

/// Few, flat samples where one iteration takes milliseconds.
fn sampling(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    depth: u64,
    sample_size: usize,
) {
    if depth >= 100_000 {
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
    } else {
        group
            .sample_size(sample_size)
            .sampling_mode(SamplingMode::Auto);
    }
}

fn config() -> Criterion {
    quick_mode::timed(Criterion::default())
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_views
}
criterion_main!(benches);
