//! [C3] Two producers and a consumer: each producer's jobs come out in its order.

use super::model_with_preemptions;
use crate::queue::{ConcurrentQueue, Policy, Priority};
use crate::sync::Arc;
use loom::thread;

#[test]
fn two_producers_one_consumer_keep_per_producer_order() {
    // Three preemptions: the consumer must be able to stop between taking a job and
    // acting on it while a producer finishes one enqueue and starts the next.
    model_with_preemptions(3, || {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            4,
            Policy::Reject,
        ));
        let q1 = Arc::clone(&q);
        let first = thread::spawn(move || {
            assert!(q1.enqueue(1, Priority::Batch).is_ok());
            assert!(q1.enqueue(2, Priority::Batch).is_ok());
        });
        let q2 = Arc::clone(&q);
        let second = thread::spawn(move || {
            assert!(q2.enqueue(3, Priority::Batch).is_ok());
        });
        let mut order = Vec::new();
        for _ in 0..2 {
            if let Ok(job) = q.try_dequeue() {
                order.push(job.id);
            }
        }
        first.join().unwrap();
        second.join().unwrap();
        while let Ok(job) = q.try_dequeue() {
            order.push(job.id);
        }
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![1, 2, 3], "[C2] every job once: {order:?}");
        let at = |id| order.iter().position(|&x| x == id);
        assert!(at(1) < at(2), "[C3] producer order broken: {order:?}");
    });
}
