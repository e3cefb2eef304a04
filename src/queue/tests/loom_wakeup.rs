//! No lost wake-up: an enqueue or a close that lands while a worker is going to sleep
//! wakes it (blocking and async dequeue, and a blocking dequeue that polls first).

use super::model;
use crate::queue::{ConcurrentQueue, Policy, Priority, QueueClosed};
use crate::sync::Arc;
use loom::thread;

#[test]
fn enqueue_then_close_wake_a_blocking_dequeue() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            2,
            Policy::Reject,
        ));
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || q1.dequeue_blocking().map(|job| job.id));
        assert!(q.enqueue(1, Priority::Batch).is_ok());
        q.close();
        // The job was admitted before close, so the worker must get it, not `Closed`;
        // a lost wake-up shows up as a deadlock that loom reports.
        assert_eq!(worker.join().unwrap(), Ok(1));
    });
}

#[test]
fn close_wakes_a_blocking_dequeue() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity(2));
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || q1.dequeue_blocking().map(|job| job.id));
        q.close();
        assert_eq!(worker.join().unwrap(), Err(QueueClosed));
    });
}

#[test]
fn enqueue_wakes_an_async_dequeue() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity(2));
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || {
            loom::future::block_on(async {
                let first = q1.dequeue().await.map(|job| job.id);
                let second = q1.dequeue().await.map(|job| job.id);
                (first, second)
            })
        });
        assert!(q.enqueue(1, Priority::Interactive).is_ok());
        q.close();
        assert_eq!(worker.join().unwrap(), (Ok(1), Err(QueueClosed)));
    });
}

#[test]
fn the_cancel_that_drains_a_closed_queue_wakes_a_blocking_dequeue() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity(2));
        assert!(q.enqueue(1, Priority::Batch).is_ok());
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || q1.dequeue_blocking().map(|job| job.id));
        let q2 = Arc::clone(&q);
        let canceller = thread::spawn(move || q2.cancel(&1).is_some());
        q.close();
        let canceled = canceller.join().unwrap();
        // The worker got job 1, or it was canceled and the worker saw the queue closed
        // and drained: a lost wake-up shows up as a deadlock that loom reports.
        let taken = worker.join().unwrap();
        assert_eq!(
            (canceled, taken),
            if canceled {
                (true, Err(QueueClosed))
            } else {
                (false, Ok(1))
            }
        );
    });
}

/// A worker blocked on `q` gets the one job enqueued, with no close behind it to
/// rescue a lost wake-up: the enqueue's own notification must reach the worker.
fn an_enqueue_alone_wakes_a_worker_of(q: ConcurrentQueue<(), u64>) {
    let q = Arc::new(q);
    let q1 = Arc::clone(&q);
    let worker = thread::spawn(move || q1.dequeue_blocking().map(|job| job.id));
    assert!(q.enqueue(1, Priority::Batch).is_ok());
    assert_eq!(worker.join().unwrap(), Ok(1));
}

#[test]
fn an_enqueue_alone_wakes_a_blocking_dequeue() {
    model(|| an_enqueue_alone_wakes_a_worker_of(ConcurrentQueue::with_capacity(2)));
}

#[test]
fn close_wakes_a_worker_left_asleep_by_an_earlier_notification() {
    model(|| {
        // Two workers may sleep on one generation; the enqueue's notification wakes
        // one of them, which takes the job, and the other stays asleep on a generation
        // that has passed. The close must still wake it.
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity(2));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                thread::spawn(move || q.dequeue_blocking().map(|job| job.id))
            })
            .collect();
        assert!(q.enqueue(1, Priority::Batch).is_ok());
        q.close();
        let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        assert!(
            results == [Ok(1), Err(QueueClosed)] || results == [Err(QueueClosed), Ok(1)],
            "{results:?}"
        );
    });
}

#[test]
fn an_enqueue_alone_wakes_a_worker_that_polled_first() {
    // Inside a model the poll budget is two tries; the enqueue may land before, during
    // or after them, and the sleep that follows must still see it.
    model(|| {
        an_enqueue_alone_wakes_a_worker_of(
            ConcurrentQueue::with_capacity(2)
                .with_poll_budget(std::time::Duration::from_micros(200)),
        )
    });
}
