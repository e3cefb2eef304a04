//! Unit tests of the reference model, one rule at a time ([Q1]–[Q7]).
#![cfg(not(loom))]

mod support;

use orchestrator_core::queue::{
    EnqueueErrorKind, InMemoryQueue, Policy, Priority, TryDequeueError,
};

use support::drops::Drops;
use Priority::{Batch, Interactive};

fn drain_ids<T>(q: &mut InMemoryQueue<T>) -> Vec<u64> {
    let mut ids = Vec::new();
    while let Ok(job) = q.try_dequeue() {
        ids.push(job.id);
    }
    ids
}

#[test]
fn q1_capacity_zero_rejects_everything_under_both_policies() {
    for policy in [Policy::Reject, Policy::DropLru] {
        let mut q = InMemoryQueue::with_capacity_policy(0, policy);
        for (id, prio) in [(1, Batch), (2, Interactive)] {
            let err = q.enqueue(id, prio).unwrap_err();
            assert_eq!(err.kind(), EnqueueErrorKind::QueueFull, "{policy}");
            assert_eq!(*err.id(), id);
        }
        assert_eq!(q.len(), 0);
        assert_eq!(q.capacity(), 0);
        assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Empty);
    }
}

#[test]
fn q2_reject_hands_item_back_and_changes_nothing() {
    let mut q = InMemoryQueue::with_capacity_policy(2, Policy::Reject);
    assert!(q.enqueue_item(1, Batch, "a").unwrap().evicted.is_none());
    assert!(q
        .enqueue_item(2, Interactive, "b")
        .unwrap()
        .evicted
        .is_none());
    let err = q.enqueue_item(3, Interactive, "c").unwrap_err();
    assert!(err.is_full());
    assert_eq!(err.priority(), Interactive);
    let job = err.into_job();
    assert_eq!((job.id, job.priority, job.item), (3, Interactive, "c"));
    assert_eq!(q.snapshot_priority(Batch), vec![1]);
    assert_eq!(q.snapshot_priority(Interactive), vec![2]);
    assert_eq!(q.len(), 2);
}

#[test]
fn q2_drop_lru_evicts_oldest_batch_first() {
    let mut q = InMemoryQueue::with_capacity_policy(3, Policy::DropLru);
    assert!(q
        .enqueue_item(1, Interactive, "i1")
        .unwrap()
        .evicted
        .is_none());
    assert!(q.enqueue_item(2, Batch, "b2").unwrap().evicted.is_none());
    assert!(q.enqueue_item(3, Batch, "b3").unwrap().evicted.is_none());
    let admitted = q.enqueue_item(4, Interactive, "i4").unwrap();
    let evicted = admitted.evicted.expect("a full DropLru queue evicts");
    assert_eq!(
        (evicted.id, evicted.priority, evicted.item),
        (2, Batch, "b2")
    );
    assert_eq!(q.snapshot_priority(Batch), vec![3]);
    assert_eq!(q.snapshot_priority(Interactive), vec![1, 4]);
}

#[test]
fn q2_drop_lru_evicts_oldest_interactive_when_no_batch() {
    let mut q = InMemoryQueue::with_capacity_policy(2, Policy::DropLru);
    assert!(q.enqueue(1, Interactive).unwrap().evicted.is_none());
    assert!(q.enqueue(2, Interactive).unwrap().evicted.is_none());
    let evicted = q.enqueue(3, Batch).unwrap().evicted.unwrap();
    assert_eq!((evicted.id, evicted.priority), (1, Interactive));
    assert!(!q.contains(&1));
    assert_eq!(drain_ids(&mut q), vec![2, 3]);
}

#[test]
fn q2_room_means_no_eviction() {
    let mut q = InMemoryQueue::with_capacity_policy(2, Policy::DropLru);
    assert!(!q.enqueue(1, Batch).unwrap().evicted_one());
    assert!(!q.enqueue(2, Batch).unwrap().evicted_one());
    assert!(q.enqueue(3, Batch).unwrap().evicted_one());
}

#[test]
fn q2_duplicate_live_id_is_refused_and_item_returned() {
    let mut q = InMemoryQueue::with_capacity_policy(4, Policy::DropLru);
    assert!(q.enqueue_item(5, Batch, 50).unwrap().evicted.is_none());
    let err = q.enqueue_item(5, Interactive, 51).unwrap_err();
    assert_eq!(err.kind(), EnqueueErrorKind::DuplicateId);
    assert_eq!(err.into_job().item, 51);
    assert_eq!(q.len(), 1);
    // Once the job is no longer live, its id may be used again.
    assert_eq!(q.try_dequeue().unwrap().item, 50);
    assert!(q
        .enqueue_item(5, Interactive, 52)
        .unwrap()
        .evicted
        .is_none());
    assert_eq!(q.cancel(&5), Some(52));
    assert!(q.enqueue_item(5, Batch, 53).unwrap().evicted.is_none());
}

#[test]
fn q2_duplicate_is_checked_before_closed_and_full() {
    let mut q = InMemoryQueue::with_capacity_policy(1, Policy::Reject);
    assert!(q.enqueue(1, Batch).unwrap().evicted.is_none());
    assert_eq!(
        q.enqueue(1, Batch).unwrap_err().kind(),
        EnqueueErrorKind::DuplicateId
    );
    q.close();
    assert_eq!(
        q.enqueue(1, Batch).unwrap_err().kind(),
        EnqueueErrorKind::DuplicateId
    );
    assert_eq!(
        q.enqueue(2, Batch).unwrap_err().kind(),
        EnqueueErrorKind::Closed
    );
}

#[test]
fn q3_interactive_first_then_fifo() {
    let mut q = InMemoryQueue::with_capacity_policy(8, Policy::Reject);
    for (id, prio) in [(1, Batch), (2, Interactive), (3, Batch), (4, Interactive)] {
        assert!(q.enqueue(id, prio).unwrap().evicted.is_none());
    }
    let first = q.try_dequeue().unwrap();
    assert_eq!((first.id, first.priority), (2, Interactive));
    assert_eq!(drain_ids(&mut q), vec![4, 1, 3]);
    assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Empty);
}

#[test]
fn q4_cancel_returns_payload_once() {
    let mut q = InMemoryQueue::with_capacity_policy(4, Policy::Reject);
    assert!(q.enqueue_item(1, Batch, 'a').unwrap().evicted.is_none());
    assert!(q.enqueue_item(2, Batch, 'b').unwrap().evicted.is_none());
    assert!(q
        .enqueue_item(3, Interactive, 'c')
        .unwrap()
        .evicted
        .is_none());
    assert_eq!(q.cancel(&2), Some('b'));
    assert_eq!(q.cancel(&2), None);
    assert_eq!(q.cancel(&99), None);
    assert_eq!(q.len(), 2);
    assert_eq!(drain_ids(&mut q), vec![3, 1]);
}

#[test]
fn q5_snapshot_lists_live_ids_front_to_back() {
    let mut q = InMemoryQueue::with_capacity_policy(8, Policy::Reject);
    for id in [10, 11, 12] {
        assert!(q.enqueue(id, Batch).unwrap().evicted.is_none());
    }
    assert!(q.enqueue(20, Interactive).unwrap().evicted.is_none());
    q.cancel(&11);
    assert_eq!(q.snapshot_priority(Batch), vec![10, 12]);
    assert_eq!(q.snapshot_priority(Interactive), vec![20]);
}

#[test]
fn q6_position_counts_jobs_served_before() {
    let mut q = InMemoryQueue::with_capacity_policy(8, Policy::Reject);
    assert!(q.enqueue(1, Batch).unwrap().evicted.is_none());
    assert!(q.enqueue(2, Batch).unwrap().evicted.is_none());
    assert!(q.enqueue(3, Interactive).unwrap().evicted.is_none());
    assert_eq!(q.position(&3), Some(0));
    assert_eq!(q.position(&1), Some(1));
    assert_eq!(q.position(&2), Some(2));
    assert_eq!(q.position(&4), None);
    assert_eq!(q.len(), 3);
    assert_eq!(q.len_priority(Batch), 2);
    assert_eq!(q.policy(), Policy::Reject);
    assert!(!q.is_empty());
}

#[test]
fn q7_close_refuses_then_drains_then_reports_closed() {
    let mut q = InMemoryQueue::with_capacity_policy(4, Policy::DropLru);
    assert!(q.enqueue_item(1, Batch, "x").unwrap().evicted.is_none());
    q.close();
    assert!(q.is_closed());
    let err = q.enqueue_item(2, Interactive, "y").unwrap_err();
    assert!(err.is_closed());
    assert_eq!(err.into_job().item, "y");
    assert_eq!(q.try_dequeue().unwrap().item, "x");
    assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Closed);
    q.close();
    assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Closed);
}

#[test]
fn q7_dropping_the_queue_drops_each_payload_once() {
    let drops = Drops::new(5);
    let make = |serial| drops.payload(serial);
    let mut q = InMemoryQueue::with_capacity_policy(3, Policy::DropLru);
    assert!(q.enqueue_item(1, Batch, make(1)).unwrap().evicted.is_none());
    assert!(q
        .enqueue_item(2, Interactive, make(2))
        .unwrap()
        .evicted
        .is_none());
    assert!(q.enqueue_item(3, Batch, make(3)).unwrap().evicted.is_none());
    // Evicts job 1; the caller owns it and drops it here.
    let evicted = q.enqueue_item(4, Batch, make(4)).unwrap().evicted;
    assert_eq!(evicted.as_ref().map(|job| job.id), Some(1));
    drop(evicted);
    assert_eq!(
        drops.counts(),
        vec![0, 1, 0, 0, 0],
        "only the evicted payload 1"
    );
    drop(q.cancel(&3));
    drop(q);
    drops.assert_each_dropped_once(1..5, "drop with jobs inside");
}

#[test]
fn errors_render_without_payload() {
    let mut q = InMemoryQueue::with_capacity_policy(0, Policy::Reject);
    let err = q.enqueue_item(42, Interactive, vec![0u8; 3]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "enqueue of interactive job 42 refused: queue is full"
    );
    let debug = format!("{err:?}");
    assert!(
        debug.contains("QueueFull") && debug.contains("42"),
        "{debug}"
    );
}
