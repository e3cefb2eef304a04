//! The waiting dequeues of `ConcurrentQueue`: `dequeue_blocking` and the async
//! `dequeue` are woken by an enqueue (one job for each blocked worker) and by close,
//! `dequeue_timeout` by an enqueue before its deadline, with no lost wake-up, also when
//! a notified async dequeue is dropped unpolled; a worker with a poll budget takes jobs,
//! sees close, never polls past its deadline, and is woken after its budget runs out; `dequeue_timeout` and
//! `dequeue_deadline` time out on an empty open queue but take a queued job at once,
//! even with a zero timeout or a past deadline ([C6]: only the waiting calls wait, and
//! only when there is nothing to take); a closed queue drains, then reports closed, not
//! a timeout ([Q7]); dropping a pending async dequeue loses no job ([C2]). Also: the
//! queue and its dequeue future cross threads (`Send`/`Sync`).
//!
//! These tests never assert on timing. A lost wake-up would hang, so each one waits
//! for its worker through a generous watchdog (`WATCHDOG`) and fails with a message
//! instead of hanging the test run; short sleeps only make it likely that the worker
//! is already asleep when the wake-up comes.
#![cfg(not(loom))]

mod support;

use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use orchestrator_core::queue::{
    ConcurrentQueue, DequeueTimeoutError, Dequeued, Priority, QueueClosed,
};

use support::queue::admit;
use Priority::{Batch, Interactive};

/// How long a waiting test waits for a worker before declaring a lost wake-up.
const WATCHDOG: Duration = Duration::from_secs(30);

/// A short pause that lets a worker reach its sleep (an interleaving aid only).
const LET_IT_SLEEP: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------------------------
// Blocking dequeue.
// ---------------------------------------------------------------------------------

/// Runs `work` on a new thread and returns a receiver for its result.
fn spawn_with_result<R: Send + 'static>(
    work: impl FnOnce() -> R + Send + 'static,
) -> mpsc::Receiver<R> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx
}

/// Starts a worker blocked in `dequeue_blocking()` (or `dequeue_timeout(timeout)`) and returns once it is about
/// to sleep (best effort: a barrier, then a short pause); the worker's result, mapped by
/// `map`, arrives on the returned channel.
fn spawn_blocked_worker<T: Send + 'static, R: Send + 'static>(
    q: &Arc<ConcurrentQueue<T>>,
    timeout: Option<Duration>,
    map: fn(Dequeued<T>) -> R,
) -> mpsc::Receiver<Result<R, DequeueTimeoutError>> {
    let started = Arc::new(Barrier::new(2));
    let result = {
        let (q, started) = (Arc::clone(q), Arc::clone(&started));
        spawn_with_result(move || {
            started.wait();
            match timeout {
                None => q.dequeue_blocking().map_err(DequeueTimeoutError::from),
                Some(timeout) => q.dequeue_timeout(timeout),
            }
            .map(map)
        })
    };
    started.wait();
    thread::sleep(LET_IT_SLEEP);
    result
}

/// A worker blocked on the open, empty `q` gets the job enqueued next.
fn assert_woken_by_enqueue(q: &Arc<ConcurrentQueue<&'static str>>) {
    let result = spawn_blocked_worker(q, None, |job| (job.id, job.item));
    admit(q, 5, Batch, "five");
    let got = result
        .recv_timeout(WATCHDOG)
        .expect("blocked worker never woke up after an enqueue (lost wake-up)");
    assert_eq!(got, Ok((5, "five")));
}

/// A worker blocked on the empty `q` sees `Closed` once `q` is closed.
fn assert_woken_by_close<T: Send + 'static>(q: &Arc<ConcurrentQueue<T>>) {
    let result = spawn_blocked_worker(q, None, |job| job.id);
    q.close();
    let got = result
        .recv_timeout(WATCHDOG)
        .expect("blocked worker never woke up after close (lost wake-up)");
    assert_eq!(got, Err(DequeueTimeoutError::Closed));
}

#[test]
fn blocking_dequeue_is_woken_by_enqueue() {
    assert_woken_by_enqueue(&Arc::new(ConcurrentQueue::with_capacity(4)));
}

#[test]
fn blocking_dequeue_is_woken_by_close() {
    assert_woken_by_close(&Arc::new(ConcurrentQueue::<()>::with_capacity(4)));
}

#[test]
fn every_blocked_worker_gets_one_of_the_jobs_enqueued_one_by_one() {
    const WORKERS: usize = 4;
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(WORKERS));
    let started = Arc::new(Barrier::new(WORKERS + 1));
    let results: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (q, started) = (Arc::clone(&q), Arc::clone(&started));
            spawn_with_result(move || {
                started.wait();
                q.dequeue_blocking().map(|job| job.id)
            })
        })
        .collect();
    started.wait();
    thread::sleep(LET_IT_SLEEP);
    for id in 0..WORKERS as u64 {
        assert!(q.enqueue(id, Interactive).unwrap().evicted.is_none());
    }
    let mut got: Vec<u64> = results
        .iter()
        .map(|rx| {
            rx.recv_timeout(WATCHDOG)
                .expect("a blocked worker was never woken although a job was waiting")
                .expect("a job, not an error")
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..WORKERS as u64).collect::<Vec<_>>());
    assert!(q.is_empty());
}

#[test]
fn blocking_dequeue_with_timeout_times_out_on_an_empty_open_queue() {
    let q = ConcurrentQueue::<()>::with_capacity(2);
    assert_eq!(
        q.dequeue_timeout(Duration::from_millis(5)).unwrap_err(),
        DequeueTimeoutError::Timeout
    );
    assert_eq!(
        q.dequeue_timeout(Duration::ZERO).unwrap_err(),
        DequeueTimeoutError::Timeout
    );
    // A canceled job leaves nothing to take.
    assert!(q.enqueue(1, Batch).unwrap().evicted.is_none());
    q.cancel(&1).unwrap();
    assert_eq!(
        q.dequeue_timeout(Duration::from_millis(1)).unwrap_err(),
        DequeueTimeoutError::Timeout
    );
    // A queued job is returned at once, even with a zero timeout.
    assert!(q.enqueue(2, Batch).unwrap().evicted.is_none());
    assert_eq!(q.dequeue_timeout(Duration::ZERO).unwrap().id, 2);
    // Closed: drain, then Closed (not Timeout), with or without a timeout.
    assert!(q.enqueue(3, Batch).unwrap().evicted.is_none());
    q.close();
    assert_eq!(q.dequeue_timeout(Duration::from_secs(60)).unwrap().id, 3);
    assert_eq!(
        q.dequeue_timeout(Duration::from_secs(60)).unwrap_err(),
        DequeueTimeoutError::Closed
    );
    assert_eq!(
        q.dequeue_timeout(Duration::ZERO).unwrap_err(),
        DequeueTimeoutError::Closed
    );
    // A timeout too large for the clock means no timeout; closed still returns.
    assert_eq!(
        q.dequeue_timeout(Duration::MAX).unwrap_err(),
        DequeueTimeoutError::Closed
    );
}

#[test]
fn dequeue_deadline_times_out_at_a_past_deadline_and_takes_a_queued_job() {
    let q = ConcurrentQueue::<()>::with_capacity(2);
    let past = std::time::Instant::now();
    assert_eq!(
        q.dequeue_deadline(past).unwrap_err(),
        DequeueTimeoutError::Timeout
    );
    assert_eq!(
        q.dequeue_deadline(past + Duration::from_millis(5))
            .unwrap_err(),
        DequeueTimeoutError::Timeout
    );
    assert!(q.enqueue(4, Batch).unwrap().evicted.is_none());
    assert_eq!(q.dequeue_deadline(past).unwrap().id, 4);
    q.close();
    assert_eq!(
        q.dequeue_deadline(past).unwrap_err(),
        DequeueTimeoutError::Closed
    );
}

#[test]
fn blocking_dequeue_with_timeout_is_woken_before_its_deadline() {
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(2));
    let result = spawn_blocked_worker(&q, Some(Duration::from_secs(3600)), |job| job.id);
    assert!(q.enqueue(9, Batch).unwrap().evicted.is_none());
    let got = result
        .recv_timeout(WATCHDOG)
        .expect("worker with a deadline slept through an enqueue (lost wake-up)");
    assert_eq!(got, Ok(9));
}

// ---------------------------------------------------------------------------------
// Blocking dequeue with a poll budget.
// ---------------------------------------------------------------------------------

#[test]
fn the_poll_budget_is_zero_unless_set() {
    let q = ConcurrentQueue::<()>::with_capacity(2);
    assert_eq!(q.poll_budget(), Duration::ZERO);
    let q = q.with_poll_budget(Duration::from_micros(200));
    assert_eq!(q.poll_budget(), Duration::from_micros(200));
}

#[test]
fn a_worker_that_never_sleeps_takes_every_job_in_order_then_sees_close() {
    // A budget past the clock's range: the worker polls until a job or close, so close
    // must end its polling (a poller that ignored close would spin past the watchdog).
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(8).with_poll_budget(Duration::MAX));
    let result = {
        let q = Arc::clone(&q);
        spawn_with_result(move || {
            let mut served = Vec::new();
            loop {
                match q.dequeue_blocking() {
                    Ok(job) => served.push(job.id),
                    Err(QueueClosed) => return served,
                }
            }
        })
    };
    for id in 0..100u64 {
        // The worker keeps up or the queue fills: retry a full queue.
        while q.enqueue(id, Batch).is_err() {
            thread::yield_now();
        }
        if id % 10 == 0 {
            thread::sleep(Duration::from_millis(1));
        }
    }
    // Let the worker drain the queue and poll it empty, so that close lands while it
    // polls.
    thread::sleep(LET_IT_SLEEP);
    q.close();
    let served = result
        .recv_timeout(WATCHDOG)
        .expect("a polling worker never saw the queue closed");
    assert_eq!(served, (0..100).collect::<Vec<_>>());
}

#[test]
fn a_polling_worker_whose_budget_ran_out_is_woken_by_enqueue_and_close() {
    // A budget far shorter than the pause before the enqueue (or close): the worker
    // polls, then sleeps, and the notification must reach it.
    let q = Arc::new(ConcurrentQueue::with_capacity(4).with_poll_budget(Duration::from_micros(50)));
    assert_woken_by_enqueue(&q);
    assert_woken_by_close(&q);
}

#[test]
fn a_poll_budget_longer_than_the_timeout_stops_at_the_deadline() {
    // A budget of an hour: a poller that ignored the deadline would run past the
    // watchdog.
    let q = Arc::new(
        ConcurrentQueue::<()>::with_capacity(2).with_poll_budget(Duration::from_secs(3600)),
    );
    let result = {
        let q = Arc::clone(&q);
        spawn_with_result(move || {
            (
                q.dequeue_timeout(Duration::from_millis(5))
                    .map(|job| job.id),
                q.dequeue_deadline(std::time::Instant::now() + Duration::from_millis(5))
                    .map(|job| job.id),
            )
        })
    };
    let got = result
        .recv_timeout(WATCHDOG)
        .expect("a polling dequeue_timeout ran past its deadline");
    assert_eq!(
        got,
        (
            Err(DequeueTimeoutError::Timeout),
            Err(DequeueTimeoutError::Timeout)
        )
    );
    // With a job queued, no poll and no wait.
    assert!(q.enqueue(3, Interactive).unwrap().evicted.is_none());
    assert_eq!(q.dequeue_timeout(Duration::ZERO).unwrap().id, 3);
}

#[test]
fn polling_workers_serve_every_job_exactly_once() {
    const WORKERS: usize = 3;
    const JOBS: u64 = 3_000;
    let q = Arc::new(
        ConcurrentQueue::<u64>::with_capacity(16).with_poll_budget(Duration::from_micros(100)),
    );
    let results: Vec<_> = (0..WORKERS)
        .map(|_| {
            let q = Arc::clone(&q);
            spawn_with_result(move || {
                let mut served = Vec::new();
                while let Ok(job) = q.dequeue_blocking() {
                    assert_eq!(job.id, job.item);
                    served.push(job.id);
                }
                served
            })
        })
        .collect();
    for id in 0..JOBS {
        let priority = if id % 3 == 0 { Interactive } else { Batch };
        while q.enqueue_item(id, priority, id).is_err() {
            thread::yield_now();
        }
        if id % 500 == 0 {
            // Long enough for every worker's budget to run out: some sleep.
            thread::sleep(Duration::from_millis(2));
        }
    }
    q.close();
    let mut served: Vec<u64> = results
        .iter()
        .flat_map(|rx| {
            rx.recv_timeout(WATCHDOG)
                .expect("a polling worker never returned after close")
        })
        .collect();
    served.sort_unstable();
    assert_eq!(served, (0..JOBS).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------
// Async dequeue under tokio.
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_dequeue_is_woken_by_enqueue_from_another_thread() {
    let q = Arc::new(ConcurrentQueue::<String>::with_capacity(4));
    let waiter = {
        let q = Arc::clone(&q);
        tokio::spawn(async move { q.dequeue().await.map(|job| (job.id, job.item)) })
    };
    let producer = {
        let q = Arc::clone(&q);
        thread::spawn(move || {
            thread::sleep(LET_IT_SLEEP);
            admit(&q, 3, Interactive, "three".to_string());
        })
    };
    let got = tokio::time::timeout(WATCHDOG, waiter)
        .await
        .expect("async dequeue never woke up after an enqueue (lost wake-up)")
        .unwrap();
    producer.join().unwrap();
    assert_eq!(got, Ok((3, "three".to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_dequeue_is_woken_by_enqueue_from_another_task() {
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(4));
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let q = Arc::clone(&q);
            tokio::spawn(async move { q.dequeue().await.map(|job| job.id) })
        })
        .collect();
    let producer = {
        let q = Arc::clone(&q);
        tokio::spawn(async move {
            tokio::time::sleep(LET_IT_SLEEP).await;
            for id in 0..3 {
                assert!(q.enqueue(id, Batch).unwrap().evicted.is_none());
            }
        })
    };
    let mut got = Vec::new();
    for waiter in waiters {
        let id = tokio::time::timeout(WATCHDOG, waiter)
            .await
            .expect("an async dequeue was never woken although a job was waiting")
            .unwrap()
            .expect("a job, not QueueClosed");
        got.push(id);
    }
    producer.await.unwrap();
    got.sort_unstable();
    assert_eq!(got, vec![0, 1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_dequeue_drains_then_returns_queue_closed() {
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(4));
    assert!(q.enqueue(1, Batch).unwrap().evicted.is_none());
    assert!(q.enqueue(2, Interactive).unwrap().evicted.is_none());
    q.close();
    assert_eq!(q.dequeue().await.unwrap().id, 2);
    assert_eq!(q.dequeue().await.unwrap().id, 1);
    assert_eq!(q.dequeue().await.unwrap_err(), QueueClosed);

    // A pending async dequeue is woken by close.
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(4));
    let waiter = {
        let q = Arc::clone(&q);
        tokio::spawn(async move { q.dequeue().await.map(|job| job.id) })
    };
    tokio::time::sleep(LET_IT_SLEEP).await;
    q.close();
    let got = tokio::time::timeout(WATCHDOG, waiter)
        .await
        .expect("async dequeue never woke up after close (lost wake-up)")
        .unwrap();
    assert_eq!(got, Err(QueueClosed));
}

#[test]
fn a_notified_async_dequeue_that_is_dropped_passes_the_wake_up_on() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(4));
    // An async dequeue registers first and is never polled again (a `select!` that
    // took another branch, say).
    let mut first = Box::pin(q.dequeue());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(first.as_mut().poll(&mut cx), Poll::Pending));
    // Then a worker blocks.
    let result = spawn_blocked_worker(&q, None, |job| job.id);
    // The one wake-up for this job goes to the first waiter, which is dropped unpolled:
    // the wake-up must reach the worker.
    assert!(q.enqueue(4, Interactive).unwrap().evicted.is_none());
    drop(first);
    let got = result
        .recv_timeout(WATCHDOG)
        .expect("the wake-up of a dropped async dequeue was lost: the worker slept on");
    assert_eq!(got, Ok(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_pending_async_dequeue_loses_no_job() {
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(4));
    // Poll once so the future registers as a waiter, then drop it.
    let pending = tokio::time::timeout(Duration::from_millis(5), q.dequeue()).await;
    assert!(pending.is_err(), "nothing to take yet");
    // A second waiter is still woken by the next enqueue, and the job is not lost.
    let waiter = {
        let q = Arc::clone(&q);
        tokio::spawn(async move { q.dequeue().await.map(|job| job.id) })
    };
    tokio::time::sleep(LET_IT_SLEEP).await;
    assert!(q.enqueue(8, Batch).unwrap().evicted.is_none());
    let got = tokio::time::timeout(WATCHDOG, waiter)
        .await
        .expect("async dequeue never woke up")
        .unwrap();
    assert_eq!(got, Ok(8));
    assert!(q.is_empty());
}

/// The queue is shared across threads for any `Send` payload, even one that is not
/// `Sync` (only the thread that wins a job touches its payload), and the async
/// dequeue's future can move between executor threads.
#[test]
fn queue_and_its_dequeue_future_cross_threads() {
    fn assert_send_sync<Q: Send + Sync>() {}
    fn assert_send<F: Send>(_: &F) {}
    assert_send_sync::<ConcurrentQueue<String, u64>>();
    assert_send_sync::<ConcurrentQueue<std::cell::Cell<u8>, u128>>();
    let q = ConcurrentQueue::<std::cell::Cell<u8>>::with_capacity(1);
    admit(&q, 1, Batch, std::cell::Cell::new(9));
    let future = q.dequeue();
    assert_send(&future);
    assert_eq!(pollster::block_on(future).map(|job| job.item.get()), Ok(9));
}
