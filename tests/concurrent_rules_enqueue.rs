//! The sequential rules of admission on `ConcurrentQueue`, one call at a time, each rule
//! on its own: [Q1] capacity (0 refuses everything, `len() <= capacity()` under both
//! policies) and [Q2] enqueue (`Reject` hands the item back and changes nothing,
//! `DropLru` evicts the oldest `Batch` job, else the oldest `Interactive` one, and hands
//! it over, skipping canceled and dequeued slots; a live id is refused as a duplicate
//! and is reusable once it left; a closed queue refuses with the item back). Every
//! payload is checked to be dropped exactly once ([C2] in the sequential case).
//!
//! The other rules are in `concurrent_rules_order_cancel_close.rs`; the same rules
//! against the reference model, call by call, in `concurrent_differential.rs`.
#![cfg(not(loom))]

mod support;

use orchestrator_core::queue::{
    ConcurrentQueue, EnqueueErrorKind, Policy, Priority, TryDequeueError,
};

use support::drops::{Drops, Payload};
use support::queue::{admit, drain_ids, ids};
use Priority::{Batch, Interactive};

// ---------------------------------------------------------------------------------
// [Q1] capacity
// ---------------------------------------------------------------------------------

#[test]
fn q1_capacity_zero_refuses_everything_under_both_policies() {
    for policy in [Policy::Reject, Policy::DropLru] {
        let drops = Drops::new(2);
        let q: ConcurrentQueue<Payload> = ConcurrentQueue::with_capacity_policy(0, policy);
        for (serial, (id, prio)) in [(1, Batch), (2, Interactive)].into_iter().enumerate() {
            let err = q.enqueue_item(id, prio, drops.payload(serial)).unwrap_err();
            assert_eq!(err.kind(), EnqueueErrorKind::QueueFull, "{policy}");
            assert_eq!(*err.id(), id);
            assert_eq!(err.priority(), prio);
            assert_eq!(err.into_job().item.serial, serial, "item handed back");
        }
        assert_eq!(q.len(), 0);
        assert!(q.is_empty());
        assert_eq!(q.capacity(), 0);
        assert_eq!(q.policy(), policy);
        assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Empty);
        assert_eq!(q.cancel(&1).map(|p| p.serial), None);
        drop(q);
        drops.assert_each_dropped_once(0..2, "capacity 0");
    }
}

#[test]
fn q1_len_never_exceeds_capacity_under_both_policies() {
    for policy in [Policy::Reject, Policy::DropLru] {
        let q = ConcurrentQueue::with_capacity_policy(3, policy);
        for id in 0..10u64 {
            let prio = if id % 2 == 0 { Batch } else { Interactive };
            let result = q.enqueue(id, prio);
            match policy {
                Policy::Reject => assert_eq!(result.is_ok(), id < 3, "id {id}"),
                Policy::DropLru => assert!(result.is_ok(), "id {id}"),
            }
            assert!(q.len() <= 3);
            assert_eq!(q.len(), (id as usize + 1).min(3));
        }
        assert_eq!(q.capacity(), 3);
    }
}

// ---------------------------------------------------------------------------------
// [Q2] enqueue
// ---------------------------------------------------------------------------------

#[test]
fn q2_reject_hands_item_back_and_changes_nothing() {
    let drops = Drops::new(3);
    let q = ConcurrentQueue::with_capacity_policy(2, Policy::Reject);
    admit(&q, 1, Batch, drops.payload(0));
    admit(&q, 2, Interactive, drops.payload(1));
    let err = q
        .enqueue_item(3, Interactive, drops.payload(2))
        .unwrap_err();
    assert_eq!(err.kind(), EnqueueErrorKind::QueueFull);
    assert!(err.is_full() && !err.is_duplicate() && !err.is_closed());
    assert_eq!((*err.id(), err.priority()), (3, Interactive));
    let job = err.into_job();
    assert_eq!((job.id, job.priority, job.item.serial), (3, Interactive, 2));
    assert_eq!(
        drops.count(2),
        0,
        "the refused item is still alive in our hands"
    );
    drop(job);
    assert_eq!(drops.count(2), 1);

    assert_eq!(ids(&q, Interactive), vec![2]);
    assert_eq!(ids(&q, Batch), vec![1]);
    assert_eq!(q.len(), 2);
    assert!(!q.contains(&3));
    assert_eq!(q.position(&3), None);
    assert_eq!(
        drops.count(0) + drops.count(1),
        0,
        "queued payloads untouched"
    );
    drop(q);
    drops.assert_each_dropped_once(0..3, "reject");
}

#[test]
fn q2_drop_lru_evicts_oldest_batch_then_oldest_interactive_and_reports_it() {
    let drops = Drops::new(16);
    let q = ConcurrentQueue::with_capacity_policy(3, Policy::DropLru);
    let enq = |id: u64, prio, serial| q.enqueue_item(id, prio, drops.payload(serial));
    assert!(enq(1, Interactive, 1).unwrap().evicted.is_none());
    assert!(enq(2, Batch, 2).unwrap().evicted.is_none());
    assert!(enq(3, Batch, 3).unwrap().evicted.is_none());

    // Full: the oldest Batch job goes first, even for an Interactive newcomer.
    let evicted = enq(4, Interactive, 4)
        .unwrap()
        .evicted
        .expect("an eviction");
    assert_eq!(
        (evicted.id, evicted.priority, evicted.item.serial),
        (2, Batch, 2)
    );
    assert_eq!(
        drops.count(2),
        0,
        "the evicted payload is handed to the caller"
    );
    drop(evicted);
    assert_eq!(drops.count(2), 1);

    let evicted = enq(5, Batch, 5).unwrap().evicted.expect("an eviction");
    assert_eq!(
        (evicted.id, evicted.priority, evicted.item.serial),
        (3, Batch, 3)
    );
    drop(evicted);
    // Lanes now: Interactive [1, 4], Batch [5].
    assert_eq!(ids(&q, Interactive), vec![1, 4]);
    assert_eq!(ids(&q, Batch), vec![5]);

    let evicted = enq(6, Interactive, 6)
        .unwrap()
        .evicted
        .expect("an eviction");
    assert_eq!(
        (evicted.id, evicted.priority, evicted.item.serial),
        (5, Batch, 5)
    );
    drop(evicted);
    // No Batch job left: the oldest Interactive job goes.
    let evicted = enq(7, Batch, 7).unwrap().evicted.expect("an eviction");
    assert_eq!(
        (evicted.id, evicted.priority, evicted.item.serial),
        (1, Interactive, 1)
    );
    drop(evicted);

    assert_eq!(ids(&q, Interactive), vec![4, 6]);
    assert_eq!(ids(&q, Batch), vec![7]);
    assert_eq!(q.len(), 3);
    for gone in [1, 2, 3, 5] {
        assert!(!q.contains(&gone), "evicted {gone} is not live");
        assert!(
            q.cancel(&gone).is_none(),
            "evicted {gone} cannot be canceled"
        );
    }
    assert_eq!(
        drain_ids(&q),
        vec![(4, Interactive), (6, Interactive), (7, Batch)]
    );
    drop(q);
    drops.assert_each_dropped_once(1..8, "drop-lru");
}

#[test]
fn q2_drop_lru_skips_canceled_and_dequeued_slots_when_evicting() {
    let drops = Drops::new(16);
    let q = ConcurrentQueue::with_capacity_policy(3, Policy::DropLru);
    admit(&q, 1, Batch, drops.payload(1));
    admit(&q, 2, Batch, drops.payload(2));
    admit(&q, 3, Batch, drops.payload(3));
    // The oldest Batch job is canceled: its dead slot still sits at the lane's front.
    assert_eq!(q.cancel(&1).map(|p| p.serial), Some(1));
    admit(&q, 4, Interactive, drops.payload(4));
    let evicted = q.enqueue_item(5, Batch, drops.payload(5)).unwrap().evicted;
    assert_eq!(evicted.map(|job| (job.id, job.item.serial)), Some((2, 2)));

    // Reuse a canceled id: its new job must be the one evicted later, with its new item.
    assert_eq!(q.cancel(&3).map(|p| p.serial), Some(3));
    admit(&q, 3, Batch, drops.payload(6));
    assert_eq!(ids(&q, Batch), vec![5, 3]);
    let evicted = q
        .enqueue_item(7, Interactive, drops.payload(7))
        .unwrap()
        .evicted;
    assert_eq!(evicted.map(|job| (job.id, job.item.serial)), Some((5, 5)));
    let evicted = q
        .enqueue_item(8, Interactive, drops.payload(8))
        .unwrap()
        .evicted;
    assert_eq!(evicted.map(|job| (job.id, job.item.serial)), Some((3, 6)));
    assert!(!q.contains(&3));
    assert_eq!(ids(&q, Batch), Vec::<u64>::new());
    assert_eq!(ids(&q, Interactive), vec![4, 7, 8]);
    drop(q);
    drops.assert_each_dropped_once(1..9, "drop-lru with dead slots");
}

#[test]
fn q2_duplicate_live_id_is_refused_and_id_is_reusable_once_it_left() {
    let drops = Drops::new(16);
    let q = ConcurrentQueue::with_capacity_policy(2, Policy::DropLru);
    admit(&q, 1, Batch, drops.payload(0));
    // Same id, either priority: refused, item handed back, nothing changes.
    for (serial, prio) in [(1, Batch), (2, Interactive)] {
        let err = q.enqueue_item(1, prio, drops.payload(serial)).unwrap_err();
        assert_eq!(err.kind(), EnqueueErrorKind::DuplicateId);
        assert!(err.is_duplicate());
        assert_eq!(err.into_job().item.serial, serial);
    }
    assert_eq!(ids(&q, Batch), vec![1]);
    assert_eq!(ids(&q, Interactive), Vec::<u64>::new());

    // Full under DropLru: a duplicate is refused before anything is evicted.
    admit(&q, 2, Batch, drops.payload(3));
    let err = q
        .enqueue_item(2, Interactive, drops.payload(4))
        .unwrap_err();
    assert_eq!(err.kind(), EnqueueErrorKind::DuplicateId);
    drop(err);
    assert_eq!(
        ids(&q, Batch),
        vec![1, 2],
        "nothing evicted for a duplicate"
    );

    // Reusable after dequeue.
    let job = q.try_dequeue().unwrap();
    assert_eq!((job.id, job.item.serial), (1, 0));
    drop(job);
    admit(&q, 1, Interactive, drops.payload(5));
    // Reusable after cancel.
    assert_eq!(q.cancel(&2).map(|p| p.serial), Some(3));
    admit(&q, 2, Batch, drops.payload(6));
    // Reusable after eviction.
    let evicted = q.enqueue_item(9, Batch, drops.payload(7)).unwrap().evicted;
    assert_eq!(evicted.map(|job| (job.id, job.item.serial)), Some((2, 6)));
    q.enqueue_item(2, Interactive, drops.payload(8))
        .map(|admitted| assert_eq!(admitted.evicted.map(|j| j.id), Some(9)))
        .unwrap();

    let drained: Vec<_> = std::iter::from_fn(|| q.try_dequeue().ok())
        .map(|job| (job.id, job.item.serial))
        .collect();
    assert_eq!(drained, vec![(1, 5), (2, 8)]);
    drop(q);
    drops.assert_each_dropped_once(0..9, "duplicates");
}

#[test]
fn q2_closed_queue_refuses_with_item_back_but_duplicate_is_checked_first() {
    let drops = Drops::new(4);
    let q = ConcurrentQueue::with_capacity_policy(4, Policy::Reject);
    admit(&q, 1, Batch, drops.payload(0));
    q.close();
    let err = q.enqueue_item(2, Batch, drops.payload(1)).unwrap_err();
    assert_eq!(err.kind(), EnqueueErrorKind::Closed);
    assert!(err.is_closed());
    assert_eq!(err.into_job().item.serial, 1);
    // As in the reference model: a live duplicate is reported as such, even when closed.
    let err = q
        .enqueue_item(1, Interactive, drops.payload(2))
        .unwrap_err();
    assert_eq!(err.kind(), EnqueueErrorKind::DuplicateId);
    drop(err);
    assert_eq!(q.len(), 1);
    drop(q);
    drops.assert_each_dropped_once(0..3, "closed");
}

#[test]
fn q2_payload_free_enqueue_reads_like_the_seed() {
    let q = ConcurrentQueue::with_capacity_policy(5, Policy::DropLru);
    assert!(q.enqueue(7, Batch).unwrap().evicted.is_none());
    assert_eq!(q.len(), 1);
    assert!(q.contains(&7));
    assert_eq!(q.try_dequeue().unwrap().id, 7);
}
