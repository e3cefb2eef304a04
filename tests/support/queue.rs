//! Helpers for the tests of `ConcurrentQueue`: an enqueue that asserts a plain
//! admission, and short views of the queue's state.

use orchestrator_core::queue::{ConcurrentQueue, Priority};

/// The live ids of one lane, front to back.
pub fn ids(q: &ConcurrentQueue<impl Send, u64>, prio: Priority) -> Vec<u64> {
    q.snapshot_priority(prio)
}

/// Dequeues until the queue is empty (or closed) and returns what came out, in order.
pub fn drain_ids<T: Send>(q: &ConcurrentQueue<T>) -> Vec<(u64, Priority)> {
    let mut out = Vec::new();
    while let Ok(job) = q.try_dequeue() {
        out.push((job.id, job.priority));
    }
    out
}

/// Enqueues `item` as job `id` and asserts that it was admitted without evicting
/// anything.
#[track_caller]
pub fn admit<T: Send>(q: &ConcurrentQueue<T>, id: u64, priority: Priority, item: T) {
    match q.enqueue_item(id, priority, item) {
        Ok(admitted) => assert!(
            admitted.evicted.is_none(),
            "admitting job {id} evicted job {:?}",
            admitted.evicted.map(|job| job.id)
        ),
        Err(err) => panic!("job {id} was refused: {:?}", err.kind()),
    }
}
