//! [C4] A dequeue never returns a `Batch` job while an `Interactive` job stayed live
//! for the whole call, even when Interactive enqueues and cancels race it.

use super::model;
use crate::queue::{ConcurrentQueue, Policy, Priority};
use crate::sync::Arc;
use loom::thread;

#[test]
fn interactive_enqueue_racing_a_dequeue() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            4,
            Policy::Reject,
        ));
        assert!(q.enqueue(10, Priority::Batch).is_ok());
        assert!(q.enqueue(20, Priority::Interactive).is_ok());
        let q1 = Arc::clone(&q);
        let producer = thread::spawn(move || {
            assert!(q1.enqueue(21, Priority::Interactive).is_ok());
        });
        let got = q.try_dequeue().map(|job| (job.id, job.priority));
        producer.join().unwrap();
        assert_eq!(got, Ok((20, Priority::Interactive)), "[C4]/[Q3]");
        assert_eq!(q.try_dequeue().map(|job| job.id), Ok(21));
        assert_eq!(q.try_dequeue().map(|job| job.id), Ok(10));
    });
}

#[test]
fn cancel_of_the_front_interactive_job_racing_a_dequeue() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            4,
            Policy::Reject,
        ));
        assert!(q.enqueue(10, Priority::Batch).is_ok());
        assert!(q.enqueue(20, Priority::Interactive).is_ok());
        assert!(q.enqueue(21, Priority::Interactive).is_ok());
        let q1 = Arc::clone(&q);
        let canceller = thread::spawn(move || q1.cancel(&20).is_some());
        let got = q.try_dequeue().map(|job| job.priority);
        canceller.join().unwrap();
        // Job 21 was live for the whole dequeue: a Batch job must not come out.
        assert_eq!(got, Ok(Priority::Interactive), "[C4]");
    });
}
