//! Retry storms on a full `DropLru` queue ([C7], [C2]): clients resend the same job ids
//! exactly when the queue is full. A resend of a live id is refused `DuplicateId`, and a
//! refused enqueue never evicts: every eviction is reported to an admitted enqueue, so
//! no job disappears without its client hearing back ("innocent evictions": zero).
#![cfg(not(loom))]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::thread;

use orchestrator_core::queue::{ConcurrentQueue, EnqueueErrorKind, Policy, Priority};

use support::drops::{Drops, Payload};

const CAPACITY: usize = 4;
const SENDERS: usize = 6;
const SENDS: usize = 20_000;
/// Few ids, so that the senders resend the same ones concurrently.
const IDS: u64 = 6;

/// What one sender saw: the serials it got admitted, the serials reported evicted to
/// it, and how many of its sends were refused as duplicates, and as full.
#[derive(Default)]
struct Seen {
    admitted: Vec<usize>,
    evicted: Vec<usize>,
    duplicates: usize,
    full: usize,
}

fn sender(q: &ConcurrentQueue<Payload>, drops: Drops, me: usize, start: &Barrier) -> Seen {
    let mut seen = Seen::default();
    let mut rng = support::rng::Rng::new(0xC7, me as u64);
    start.wait();
    for n in 0..SENDS {
        let serial = me * SENDS + n;
        let id = rng.below(IDS);
        let priority = if id.is_multiple_of(2) {
            Priority::Interactive
        } else {
            Priority::Batch
        };
        match q.enqueue_item(id, priority, drops.payload(serial)) {
            Ok(admitted) => {
                seen.admitted.push(serial);
                if let Some(victim) = admitted.evicted {
                    seen.evicted.push(victim.item.serial);
                }
            }
            Err(err) => {
                // [C7]: a duplicate, or every unit held by calls in flight.
                let kind = err.kind();
                assert!(
                    matches!(
                        kind,
                        EnqueueErrorKind::DuplicateId | EnqueueErrorKind::QueueFull
                    ),
                    "{kind:?} from an open DropLru queue"
                );
                assert_eq!(err.into_job().item.serial, serial, "its own job comes back");
                if kind == EnqueueErrorKind::DuplicateId {
                    seen.duplicates += 1;
                } else {
                    seen.full += 1;
                }
            }
        }
    }
    seen
}

#[test]
fn resends_into_a_full_drop_lru_queue_never_evict_an_innocent_job() {
    let drops = Drops::new(SENDERS * SENDS);
    let q = Arc::new(ConcurrentQueue::<Payload>::with_capacity_policy(
        CAPACITY,
        Policy::DropLru,
    ));
    let start = Arc::new(Barrier::new(SENDERS));
    let senders: Vec<_> = (0..SENDERS)
        .map(|me| {
            let (q, start) = (Arc::clone(&q), Arc::clone(&start));
            thread::spawn(move || sender(&q, drops, me, &start))
        })
        .collect();
    let seen: Vec<Seen> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    let mut drained = Vec::new();
    while let Ok(job) = q.try_dequeue() {
        drained.push(job.item.serial);
    }

    // Every admitted job ends exactly once: evicted (and reported) or still inside.
    let mut ends: HashMap<usize, usize> = HashMap::new();
    for serial in seen.iter().flat_map(|s| &s.evicted).chain(&drained) {
        *ends.entry(*serial).or_default() += 1;
    }
    let admitted: Vec<usize> = seen.iter().flat_map(|s| s.admitted.clone()).collect();
    let innocent = admitted.iter().filter(|s| !ends.contains_key(s)).count();
    assert_eq!(
        innocent, 0,
        "jobs evicted without any enqueue reporting them"
    );
    for serial in &admitted {
        assert_eq!(ends[serial], 1, "job {serial} ended {} times", ends[serial]);
    }
    assert_eq!(
        ends.len(),
        admitted.len(),
        "a job ended that was never admitted"
    );
    // One eviction per admission into the full queue, none for a refusal.
    let evictions: usize = seen.iter().map(|s| s.evicted.len()).sum();
    assert_eq!(evictions + drained.len(), admitted.len());
    assert!(drained.len() <= CAPACITY);
    let duplicates: usize = seen.iter().map(|s| s.duplicates).sum();
    let full: usize = seen.iter().map(|s| s.full).sum();
    assert_eq!(admitted.len() + duplicates + full, SENDERS * SENDS);
    assert!(duplicates > 0, "the storm should resend live ids");
    drop(drained);
    drop(q);
    drops.assert_each_dropped_once(0..SENDERS * SENDS, "every payload");
}
