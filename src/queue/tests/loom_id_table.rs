//! The id table's races, through the queue that uses it: two claims of one id on a full
//! `DropLru` queue ([C7]: a refused enqueue never evicts), a claim racing the release of
//! the same id, a lookup racing the reuse of its job's cell for another id, and a
//! release in the middle of a probe chain racing a claim of the same id along it.

use super::{drop_counter, drops, live_jobs, model, Tracked};
use crate::queue::id_table::IdTable;
use crate::queue::{ConcurrentQueue, EnqueueErrorKind, Policy, Priority};
use crate::sync::Arc;
use loom::thread;

/// An enqueue's outcome: `Ok(evicted id)` or the refusal (which never evicts).
type Outcome = Result<Option<u64>, EnqueueErrorKind>;

fn enqueue(
    q: &ConcurrentQueue<Tracked>,
    id: u64,
    priority: Priority,
    counter: &Counter,
) -> Outcome {
    match q.enqueue_item(id, priority, Tracked::new(id, counter)) {
        Ok(admitted) => Ok(admitted.evicted.map(|job| job.item.id)),
        Err(err) => Err(err.kind()),
    }
}

type Counter = std::sync::Arc<std::sync::atomic::AtomicUsize>;

#[test]
fn same_id_resends_on_a_full_drop_lru_queue_evict_one_job_for_one_admission() {
    model(|| {
        let counter = drop_counter();
        let q = Arc::new(ConcurrentQueue::<Tracked>::with_capacity_policy(
            2,
            Policy::DropLru,
        ));
        assert_eq!(enqueue(&q, 4, Priority::Interactive, &counter), Ok(None));
        assert_eq!(enqueue(&q, 2, Priority::Interactive, &counter), Ok(None));
        let q1 = Arc::clone(&q);
        let counter1 = counter.clone();
        let other = thread::spawn(move || enqueue(&q1, 1, Priority::Batch, &counter1));
        let mine = enqueue(&q, 1, Priority::Batch, &counter);
        let outcomes = [mine, other.join().unwrap()];

        let admitted: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(
            admitted.len(),
            1,
            "exactly one resend is admitted: {outcomes:?}"
        );
        // [C7] one eviction for the one admission: a refused enqueue never evicts, so
        // no innocent job pays for a resend.
        let victim = admitted[0].expect("a full queue evicts for the admitted one");
        assert!(victim == 4 || victim == 2, "{outcomes:?}");
        for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
            assert_eq!(*refused, EnqueueErrorKind::DuplicateId, "{outcomes:?}");
        }
        let survivor = if victim == 4 { 2 } else { 4 };
        assert_eq!(q.snapshot_priority(Priority::Interactive), vec![survivor]);
        assert_eq!(q.snapshot_priority(Priority::Batch), vec![1]);
        assert_eq!(q.len(), 2);
        drop(q);
        assert_eq!(drops(&counter), 4, "[C2] every payload dropped once");
    });
}

#[test]
fn a_claim_racing_the_release_of_the_same_id_never_makes_two_live_jobs() {
    model(|| {
        let counter = drop_counter();
        let q = Arc::new(ConcurrentQueue::<Tracked>::with_capacity_policy(
            2,
            Policy::Reject,
        ));
        assert_eq!(enqueue(&q, 7, Priority::Batch, &counter), Ok(None));
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || q1.try_dequeue().ok().map(|job| job.item.id));
        let resent = enqueue(&q, 7, Priority::Batch, &counter);
        assert!(live_jobs(&q) <= 1, "two live jobs of id 7: {resent:?}");
        assert_eq!(worker.join().unwrap(), Some(7), "the old job 7 was live");
        match resent {
            // Admitted after the old job left: the new one is live, findable, alone.
            Ok(None) => {
                assert_eq!(q.snapshot_priority(Priority::Batch), vec![7]);
                assert!(q.contains(&7));
                assert_eq!(q.cancel(&7).map(|item| item.id), Some(7));
            }
            // Refused while the old one held the id.
            Err(EnqueueErrorKind::DuplicateId) => {
                assert!(!q.contains(&7));
                assert_eq!(live_jobs(&q), 0);
            }
            other => panic!("unexpected outcome {other:?}"),
        }
        assert_eq!(q.len(), 0);
        assert!(q.cancel(&7).is_none());
        assert_eq!(drops(&counter), 2);
    });
}

#[test]
fn a_cancel_never_takes_the_job_that_reuses_its_targets_cell() {
    model(|| {
        let counter = drop_counter();
        // Capacity 1: two cells per lane, so job 3 reuses job 1's cell (and perhaps its
        // bucket) while the cancel of job 1 may still hold what it read of it.
        let q = Arc::new(ConcurrentQueue::<Tracked>::with_capacity_policy(
            1,
            Policy::Reject,
        ));
        assert_eq!(enqueue(&q, 1, Priority::Batch, &counter), Ok(None));
        let q1 = Arc::clone(&q);
        let counter1 = counter.clone();
        let worker = thread::spawn(move || {
            let mut taken: Vec<u64> = q1
                .try_dequeue()
                .ok()
                .map(|job| job.item.id)
                .into_iter()
                .collect();
            let mut admitted = Vec::new();
            for id in [2, 3] {
                match enqueue(&q1, id, Priority::Batch, &counter1) {
                    Ok(None) => admitted.push(id),
                    // The cancel still held job 1's unit.
                    Err(EnqueueErrorKind::QueueFull) => {}
                    other => panic!("unexpected outcome {other:?}"),
                }
                if id == 2 {
                    taken.extend(q1.try_dequeue().ok().map(|job| job.item.id));
                }
            }
            (taken, admitted)
        });
        let canceled = q.cancel(&1).map(|item| item.id);
        let (taken, admitted) = worker.join().unwrap();
        assert_ne!(canceled, Some(2));
        assert_ne!(
            canceled,
            Some(3),
            "the cancel of job 1 took job 3 from its cell"
        );
        // Every job ended once: job 1 canceled or taken, the others taken or inside.
        let inside: Vec<u64> =
            std::iter::from_fn(|| q.try_dequeue().ok().map(|job| job.item.id)).collect();
        let mut ended: Vec<u64> = canceled.into_iter().chain(taken).chain(inside).collect();
        ended.sort_unstable();
        let mut expected = vec![1];
        expected.extend(admitted);
        assert_eq!(ended, expected, "canceled {canceled:?}");
        drop(q);
        // Refused payloads came back in their errors and were dropped there.
        assert_eq!(
            drops(&counter),
            3,
            "[C2] every payload dropped exactly once"
        );
    });
}

/// Three ids whose probe sequences start at the same group of a capacity-2 table.
fn one_chain() -> [u64; 3] {
    let table = IdTable::<u64>::with_capacity(2);
    let home = table.home_group(&0);
    let mut ids = (1..).filter(|id| table.home_group(id) == home);
    [0, ids.next().unwrap(), ids.next().unwrap()]
}

#[test]
fn a_release_in_a_probe_chain_racing_a_claim_of_the_same_id_along_it() {
    model(|| {
        let counter = drop_counter();
        let [a, b, c] = one_chain();
        let q = Arc::new(ConcurrentQueue::<Tracked>::with_capacity_policy(
            2,
            Policy::DropLru,
        ));
        // a and b fill the home group (two buckets); c overflows into the next group.
        assert_eq!(enqueue(&q, a, Priority::Batch, &counter), Ok(None));
        assert_eq!(enqueue(&q, b, Priority::Batch, &counter), Ok(None));
        assert_eq!(enqueue(&q, c, Priority::Interactive, &counter), Ok(Some(a)));
        // Now: b in the home group, c one group further (the home group counts it).
        let q1 = Arc::clone(&q);
        let canceller = thread::spawn(move || q1.cancel(&c).map(|item| item.id));
        let resent = enqueue(&q, c, Priority::Interactive, &counter);
        let copies = |q: &ConcurrentQueue<Tracked>| {
            let lane = q.snapshot_priority(Priority::Interactive);
            lane.iter().filter(|&&id| id == c).count()
        };
        assert!(copies(&q) <= 1, "two live jobs of id c: {resent:?}");
        let canceled = canceller.join().unwrap();
        assert_eq!(canceled, Some(c), "c was live for the whole cancel");
        let live_c = q.snapshot_priority(Priority::Interactive);
        match resent {
            Ok(evicted) => {
                // Admitted after the cancel released c: exactly one c, and findable.
                assert_eq!(live_c, vec![c]);
                assert!(evicted.is_none() || evicted == Some(b));
                assert!(q.contains(&c));
                assert_eq!(q.cancel(&c).map(|item| item.id), Some(c));
            }
            Err(EnqueueErrorKind::DuplicateId) => {
                assert!(live_c.is_empty());
                assert!(!q.contains(&c));
            }
            other => panic!("unexpected outcome {other:?}"),
        }
        assert!(q.cancel(&c).is_none());
        drop(q);
        assert_eq!(
            drops(&counter),
            4,
            "[C2] a, b and both c payloads dropped once"
        );
    });
}
