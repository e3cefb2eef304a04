//! The sequential rules after admission on `ConcurrentQueue`, one call at a time, each
//! rule on its own: [Q3] `Interactive` first, FIFO within each lane; [Q4] cancel returns
//! the payload wherever the job is and frees its unit; [Q5] [Q6] snapshots and positions
//! follow the live jobs; [Q7] close refuses, drains, then reports closed, and dropping
//! the queue drops each payload inside exactly once ([C2] in the sequential case).
//!
//! [Q1] and [Q2] are in `concurrent_rules_enqueue.rs`.
#![cfg(not(loom))]

mod support;

use orchestrator_core::queue::{
    ConcurrentQueue, EnqueueErrorKind, Policy, Priority, QueueClosed, TryDequeueError,
};

use support::drops::Drops;
use support::queue::{admit, drain_ids, ids};
use Priority::{Batch, Interactive};

// ---------------------------------------------------------------------------------
// [Q3] dequeue order
// ---------------------------------------------------------------------------------

#[test]
fn q3_interactive_first_then_fifo_within_each_lane() {
    let q = ConcurrentQueue::with_capacity(16);
    let order = [
        (1, Batch),
        (2, Interactive),
        (3, Batch),
        (4, Interactive),
        (5, Batch),
        (6, Interactive),
    ];
    for (id, prio) in order {
        assert!(q.enqueue(id, prio).unwrap().evicted.is_none());
    }
    let first = q.try_dequeue().unwrap();
    assert_eq!((first.id, first.priority), (2, Interactive));
    // An Interactive job that arrives later still overtakes every queued Batch job.
    assert!(q.enqueue(7, Interactive).unwrap().evicted.is_none());
    assert_eq!(
        drain_ids(&q),
        vec![
            (4, Interactive),
            (6, Interactive),
            (7, Interactive),
            (1, Batch),
            (3, Batch),
            (5, Batch)
        ]
    );
    assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Empty);
    assert!(q.is_empty());
}

// ---------------------------------------------------------------------------------
// [Q4] cancel
// ---------------------------------------------------------------------------------

#[test]
fn q4_cancel_returns_payload_wherever_the_job_is_and_frees_its_unit() {
    let drops = Drops::new(8);
    let q = ConcurrentQueue::with_capacity_policy(3, Policy::Reject);
    admit(&q, 1, Batch, drops.payload(1));
    admit(&q, 2, Batch, drops.payload(2));
    admit(&q, 3, Interactive, drops.payload(3));
    assert!(q
        .enqueue_item(4, Batch, drops.payload(4))
        .unwrap_err()
        .is_full());

    // Middle of a lane.
    assert_eq!(q.cancel(&2).map(|p| p.serial), Some(2));
    assert_eq!(q.len(), 2);
    assert!(!q.contains(&2));
    // The freed unit admits a new job under Reject.
    admit(&q, 5, Batch, drops.payload(5));
    // Front of the other lane.
    assert_eq!(q.cancel(&3).map(|p| p.serial), Some(3));

    // Not live: never admitted, already canceled, already dequeued, refused.
    assert!(q.cancel(&42).is_none());
    assert!(q.cancel(&2).is_none());
    assert!(q.cancel(&3).is_none());
    assert!(q.cancel(&4).is_none());
    let job = q.try_dequeue().unwrap();
    assert_eq!((job.id, job.item.serial), (1, 1));
    drop(job);
    assert!(q.cancel(&1).is_none());

    assert_eq!(drain_ids(&q), vec![(5, Batch)]);
    assert!(q.cancel(&5).is_none());
    drop(q);
    drops.assert_each_dropped_once(1..6, "cancel");
}

// ---------------------------------------------------------------------------------
// [Q5] [Q6] snapshots, positions, counters
// ---------------------------------------------------------------------------------

#[test]
fn q5_q6_snapshot_and_position_follow_the_live_jobs() {
    let q = ConcurrentQueue::with_capacity_policy(10, Policy::DropLru);
    assert_eq!(q.policy(), Policy::DropLru);
    assert_eq!(q.capacity(), 10);
    for (id, prio) in [
        (10, Batch),
        (11, Interactive),
        (12, Batch),
        (13, Interactive),
        (14, Batch),
    ] {
        assert!(q.enqueue(id, prio).unwrap().evicted.is_none());
    }
    assert_eq!(ids(&q, Interactive), vec![11, 13]);
    assert_eq!(ids(&q, Batch), vec![10, 12, 14]);
    let positions: Vec<_> = [11, 13, 10, 12, 14]
        .iter()
        .map(|id| q.position(id))
        .collect();
    assert_eq!(positions, vec![Some(0), Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(q.position(&99), None);

    q.cancel(&12).unwrap();
    assert_eq!(ids(&q, Batch), vec![10, 14]);
    assert_eq!(q.position(&14), Some(3));
    assert_eq!(q.position(&12), None);

    assert_eq!(q.try_dequeue().unwrap().id, 11);
    assert_eq!(q.position(&13), Some(0));
    assert_eq!(q.position(&10), Some(1));
    assert_eq!(q.position(&11), None);
    assert_eq!(q.len(), 3);
    assert!(!q.is_empty());

    // Re-admitting a canceled id puts it at the back.
    assert!(q.enqueue(12, Batch).unwrap().evicted.is_none());
    assert_eq!(ids(&q, Batch), vec![10, 14, 12]);
    assert_eq!(q.position(&12), Some(3));
}

// ---------------------------------------------------------------------------------
// [Q7] close and drop
// ---------------------------------------------------------------------------------

#[test]
fn q7_close_then_drain_then_closed() {
    let q = ConcurrentQueue::with_capacity(4);
    assert!(q.enqueue(1, Batch).unwrap().evicted.is_none());
    assert!(q.enqueue(2, Interactive).unwrap().evicted.is_none());
    assert!(q.enqueue(3, Batch).unwrap().evicted.is_none());
    q.cancel(&3).unwrap();
    assert!(!q.is_closed());
    q.close();
    q.close(); // idempotent
    assert!(q.is_closed());
    assert_eq!(
        q.enqueue(4, Batch).unwrap_err().kind(),
        EnqueueErrorKind::Closed
    );
    assert_eq!(q.try_dequeue().unwrap().id, 2);
    assert_eq!(q.try_dequeue().unwrap().id, 1);
    assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Closed);
    assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Closed);
    assert_eq!(q.dequeue_blocking().unwrap_err(), QueueClosed);
    assert!(q.is_empty());
}

#[test]
fn q7_closed_queue_reports_closed_once_its_last_job_is_canceled() {
    let q = ConcurrentQueue::with_capacity(4);
    assert!(q.enqueue(1, Batch).unwrap().evicted.is_none());
    q.close();
    assert!(q.cancel(&1).is_some());
    assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Closed);
}

#[test]
fn q7_dropping_the_queue_drops_each_payload_inside_exactly_once() {
    let drops = Drops::new(16);
    let q = ConcurrentQueue::with_capacity_policy(4, Policy::DropLru);
    for serial in 0..8 {
        let prio = if serial % 3 == 0 { Interactive } else { Batch };
        if let Some(evicted) = q
            .enqueue_item(serial as u64, prio, drops.payload(serial))
            .unwrap()
            .evicted
        {
            drop(evicted);
        }
    }
    // Leave a mix behind: a canceled slot, a dequeued one, and live jobs.
    let live = q.snapshot_priority(Batch);
    if let Some(first) = live.first() {
        drop(q.cancel(first));
    }
    drop(q.try_dequeue().unwrap());
    let inside = q.len();
    assert!(inside > 0);
    let dropped_before: usize = (0..8).map(|s| drops.count(s)).sum();
    assert_eq!(dropped_before, 8 - inside);
    drop(q);
    drops.assert_each_dropped_once(0..8, "drop with jobs inside");
}
