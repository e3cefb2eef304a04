//! [Q2] under concurrency: two enqueues of the same id. `DuplicateId` is only ever
//! answered for a job that really is admitted.

use super::model;
use crate::queue::{ConcurrentQueue, EnqueueErrorKind, Policy, Priority};
use crate::sync::Arc;
use loom::thread;

fn race(q: &Arc<ConcurrentQueue<(), u64>>) -> [Result<(), EnqueueErrorKind>; 2] {
    let q1 = Arc::clone(q);
    let other = thread::spawn(move || {
        q1.enqueue(7, Priority::Batch)
            .map(|_| ())
            .map_err(|err| err.kind())
    });
    let mine = q
        .enqueue(7, Priority::Interactive)
        .map(|_| ())
        .map_err(|err| err.kind());
    [mine, other.join().unwrap()]
}

#[test]
fn same_id_twice_admits_exactly_one() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::with_capacity_policy(2, Policy::Reject));
        let outcomes = race(&q);
        let admitted = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(admitted, 1, "{outcomes:?}");
        assert!(outcomes.contains(&Err(EnqueueErrorKind::DuplicateId)));
        assert_eq!(q.len(), 1);
        assert!(q.contains(&7));
    });
}

#[test]
fn same_id_twice_on_a_full_queue_is_never_a_duplicate() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::with_capacity_policy(1, Policy::Reject));
        assert!(q.enqueue(1, Priority::Batch).is_ok());
        // Neither can be admitted, so neither may be told that job 7 is queued.
        let outcomes = race(&q);
        assert_eq!(outcomes, [Err(EnqueueErrorKind::QueueFull); 2]);
        assert!(!q.contains(&7));
    });
}
