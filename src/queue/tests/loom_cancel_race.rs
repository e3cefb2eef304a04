//! [C2], [C5] A dequeue and a cancel race for the same job.

#[cfg(feature = "stats")]
use super::assert_stats_add_up;
use super::{drop_counter, drops, model, Tracked};
use crate::queue::{ConcurrentQueue, Policy, Priority, TryDequeueError};
use crate::sync::Arc;
use loom::thread;

#[test]
fn dequeue_vs_cancel_exactly_one_gets_the_job() {
    model(|| {
        let counter = drop_counter();
        let q = Arc::new(ConcurrentQueue::<Tracked, u64>::with_capacity_policy(
            2,
            Policy::Reject,
        ));
        assert!(q
            .enqueue_item(7, Priority::Batch, Tracked::new(7, &counter))
            .is_ok());
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || q1.try_dequeue().ok().map(|job| job.item.id));
        let canceled = q.cancel(&7).map(|item| item.id);
        let dequeued = worker.join().unwrap();
        assert!(
            canceled.is_some() != dequeued.is_some(),
            "[C2]/[C5] canceled {canceled:?}, dequeued {dequeued:?}"
        );
        assert_eq!(canceled.or(dequeued), Some(7));
        assert_eq!(
            drops(&counter),
            1,
            "[C2] the payload is dropped exactly once"
        );
        assert_eq!(q.len(), 0);
        assert_eq!(
            q.try_dequeue().map(|job| job.id),
            Err(TryDequeueError::Empty)
        );
        assert!(q.cancel(&7).is_none(), "[C5] no second owner");
        #[cfg(feature = "stats")]
        {
            assert_stats_add_up(&q);
            let stats = q.stats();
            assert_eq!(
                (stats.batch.dequeued, stats.batch.canceled),
                (u64::from(dequeued.is_some()), u64::from(canceled.is_some()))
            );
        }
    });
}
