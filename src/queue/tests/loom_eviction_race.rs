//! [C2], [C7] A `DropLru` eviction races a dequeue, or a cancel, of its victim.

#[cfg(feature = "stats")]
use super::assert_stats_add_up;
use super::{drop_counter, drops, live_jobs, model, Tracked};
use crate::queue::{ConcurrentQueue, EnqueueErrorKind, Policy, Priority};
use crate::sync::Arc;
use loom::thread;

/// What happened to the newcomer's enqueue: `Ok(evicted id)` or the refusal.
type Outcome = Result<Option<u64>, EnqueueErrorKind>;

fn full_queue(
    counter: &std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> Arc<ConcurrentQueue<Tracked>> {
    let q = Arc::new(ConcurrentQueue::with_capacity_policy(1, Policy::DropLru));
    assert!(q
        .enqueue_item(1, Priority::Batch, Tracked::new(1, counter))
        .is_ok());
    q
}

fn evict(
    q: &ConcurrentQueue<Tracked>,
    counter: &std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> Outcome {
    let outcome = q
        .enqueue_item(2, Priority::Interactive, Tracked::new(2, counter))
        .map(|admitted| admitted.evicted.map(|job| job.item.id))
        .map_err(|err| err.kind());
    assert!(q.len() <= 1, "[C1] len {} > 1", q.len());
    assert!(live_jobs(q) <= 1, "[C1] {} live jobs > 1", live_jobs(q));
    outcome
}

/// Drains what is left and returns the ids found.
fn drain(q: &ConcurrentQueue<Tracked>) -> Vec<u64> {
    let mut ids = Vec::new();
    while let Ok(job) = q.try_dequeue() {
        ids.push(job.item.id);
    }
    ids
}

#[test]
fn eviction_vs_dequeue_of_the_victim() {
    model(|| {
        let counter = drop_counter();
        let q = full_queue(&counter);
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || {
            let id = q1.try_dequeue().ok().map(|job| job.item.id);
            assert!(live_jobs(&q1) <= 1, "[C1] {} live jobs > 1", live_jobs(&q1));
            id
        });
        let outcome = evict(&q, &counter);
        let dequeued = worker.join().unwrap();
        let rest = drain(&q);

        // Job 1 ended exactly once: evicted or dequeued.
        let evicted_1 = outcome == Ok(Some(1));
        let dequeued_1 = dequeued == Some(1);
        assert!(
            evicted_1 != dequeued_1,
            "[C2] job 1: evicted {evicted_1}, dequeued {dequeued_1}"
        );
        // Job 2 ended exactly once if admitted: dequeued by the worker or left inside.
        let admitted_2 = outcome.is_ok();
        let ends_2 = usize::from(dequeued == Some(2)) + rest.iter().filter(|&&id| id == 2).count();
        assert_eq!(
            ends_2,
            usize::from(admitted_2),
            "[C2] job 2: outcome {outcome:?}, rest {rest:?}"
        );
        assert!(!rest.contains(&1));
        if let Err(kind) = outcome {
            // [C7]: the only unit was held by the dequeue in flight.
            assert_eq!(kind, EnqueueErrorKind::QueueFull);
            assert!(dequeued_1);
        }
        assert_eq!(
            drops(&counter),
            2,
            "[C2] both payloads dropped exactly once"
        );
        #[cfg(feature = "stats")]
        assert_stats_add_up(&q);
    });
}

#[test]
fn eviction_vs_cancel_of_the_victim() {
    model(|| {
        let counter = drop_counter();
        let q = full_queue(&counter);
        let q1 = Arc::clone(&q);
        let canceller = thread::spawn(move || q1.cancel(&1).map(|item| item.id));
        let outcome = evict(&q, &counter);
        let canceled = canceller.join().unwrap();
        let rest = drain(&q);

        let evicted_1 = outcome == Ok(Some(1));
        assert!(
            evicted_1 != (canceled == Some(1)),
            "[C2]/[C5] job 1: outcome {outcome:?}, canceled {canceled:?}"
        );
        assert_eq!(rest, if outcome.is_ok() { vec![2] } else { vec![] });
        if outcome.is_err() {
            assert_eq!(outcome, Err(EnqueueErrorKind::QueueFull), "[C7]");
        }
        assert_eq!(
            drops(&counter),
            2,
            "[C2] both payloads dropped exactly once"
        );
        assert_eq!(q.len(), 0);
    });
}
