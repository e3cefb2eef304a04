//! Unit tests of `ConcurrentQueue`: each sequential rule [Q1]–[Q7] on its own, a
//! differential proptest against the reference model `InMemoryQueue`, small races
//! between two threads, and the blocking and async dequeues (woken by enqueue and by
//! close, no lost wake-up).
//!
//! Waiting tests never assert on timing. A lost wake-up would hang, so each one waits
//! for its worker through a generous watchdog (`WATCHDOG`) and fails with a message
//! instead of hanging the test run; short sleeps only make it likely that the worker
//! is already asleep when the wake-up comes.
#![cfg(not(loom))]

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use orchestrator_core::queue::{
    ConcurrentQueue, DequeueTimeoutError, Dequeued, EnqueueErrorKind, InMemoryQueue, Policy,
    Priority, QueueClosed, TryDequeueError,
};
use proptest::prelude::*;

use Priority::{Batch, Interactive};

/// How long a waiting test waits for a worker before declaring a lost wake-up.
const WATCHDOG: Duration = Duration::from_secs(30);

/// A short pause that lets a worker reach its sleep (an interleaving aid only).
const LET_IT_SLEEP: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------------------------
// A payload that counts its drops.
// ---------------------------------------------------------------------------------

/// Per-serial drop counters shared by every payload of one test.
///
/// Leaked (`&'static`) rather than shared through an `Arc`, so that a payload dropped
/// twice is reported by the counters instead of crashing on a double `Arc` decrement.
#[derive(Clone, Copy)]
struct Drops(&'static [AtomicUsize]);

impl Drops {
    fn new(serials: usize) -> Self {
        Drops(Vec::leak(
            (0..serials).map(|_| AtomicUsize::new(0)).collect(),
        ))
    }

    fn payload(&self, serial: usize) -> Payload {
        Payload {
            serial,
            drops: self.0,
        }
    }

    fn count(&self, serial: usize) -> usize {
        self.0[serial].load(Ordering::SeqCst)
    }

    /// Asserts that the payloads with a serial in `created` were each dropped exactly
    /// once and that no other serial was ever dropped.
    fn assert_each_dropped_once(&self, created: Range<usize>, context: &str) {
        for serial in 0..self.0.len() {
            let expected = usize::from(created.contains(&serial));
            assert_eq!(
                self.count(serial),
                expected,
                "{context}: payload {serial} dropped {} times, expected {expected}",
                self.count(serial)
            );
        }
    }
}

/// A payload with a serial; dropping it bumps its counter.
struct Payload {
    serial: usize,
    drops: &'static [AtomicUsize],
}

impl Drop for Payload {
    fn drop(&mut self) {
        self.drops[self.serial].fetch_add(1, Ordering::SeqCst);
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Payload#{}", self.serial)
    }
}

fn ids(q: &ConcurrentQueue<impl Send, u64>, prio: Priority) -> Vec<u64> {
    q.snapshot_priority(prio)
}

fn drain_ids<T: Send>(q: &ConcurrentQueue<T>) -> Vec<(u64, Priority)> {
    let mut out = Vec::new();
    while let Ok(job) = q.try_dequeue() {
        out.push((job.id, job.priority));
    }
    out
}

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
            assert_eq!(err.into_parts().0.item.serial, serial, "item handed back");
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
    assert!(q
        .enqueue_item(1, Batch, drops.payload(0))
        .unwrap()
        .evicted
        .is_none());
    assert!(q
        .enqueue_item(2, Interactive, drops.payload(1))
        .unwrap()
        .evicted
        .is_none());
    let err = q
        .enqueue_item(3, Interactive, drops.payload(2))
        .unwrap_err();
    assert_eq!(err.kind(), EnqueueErrorKind::QueueFull);
    assert!(err.is_full() && !err.is_duplicate() && !err.is_closed());
    assert_eq!((*err.id(), err.priority()), (3, Interactive));
    let job = err.into_parts().0;
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
    assert!(q
        .enqueue_item(1, Batch, drops.payload(1))
        .unwrap()
        .evicted
        .is_none());
    assert!(q
        .enqueue_item(2, Batch, drops.payload(2))
        .unwrap()
        .evicted
        .is_none());
    assert!(q
        .enqueue_item(3, Batch, drops.payload(3))
        .unwrap()
        .evicted
        .is_none());
    // The oldest Batch job is canceled: its dead slot still sits at the lane's front.
    assert_eq!(q.cancel(&1).map(|p| p.serial), Some(1));
    assert!(q
        .enqueue_item(4, Interactive, drops.payload(4))
        .unwrap()
        .evicted
        .is_none());
    let evicted = q.enqueue_item(5, Batch, drops.payload(5)).unwrap().evicted;
    assert_eq!(evicted.map(|job| (job.id, job.item.serial)), Some((2, 2)));

    // Reuse a canceled id: its new job must be the one evicted later, with its new item.
    assert_eq!(q.cancel(&3).map(|p| p.serial), Some(3));
    assert!(q
        .enqueue_item(3, Batch, drops.payload(6))
        .unwrap()
        .evicted
        .is_none());
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
    assert!(q
        .enqueue_item(1, Batch, drops.payload(0))
        .unwrap()
        .evicted
        .is_none());
    // Same id, either priority: refused, item handed back, nothing changes.
    for (serial, prio) in [(1, Batch), (2, Interactive)] {
        let err = q.enqueue_item(1, prio, drops.payload(serial)).unwrap_err();
        assert_eq!(err.kind(), EnqueueErrorKind::DuplicateId);
        assert!(err.is_duplicate());
        assert_eq!(err.into_parts().0.item.serial, serial);
    }
    assert_eq!(ids(&q, Batch), vec![1]);
    assert_eq!(ids(&q, Interactive), Vec::<u64>::new());

    // Full under DropLru: a duplicate is refused before anything is evicted.
    assert!(q
        .enqueue_item(2, Batch, drops.payload(3))
        .unwrap()
        .evicted
        .is_none());
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
    assert!(q
        .enqueue_item(1, Interactive, drops.payload(5))
        .unwrap()
        .evicted
        .is_none());
    // Reusable after cancel.
    assert_eq!(q.cancel(&2).map(|p| p.serial), Some(3));
    assert!(q
        .enqueue_item(2, Batch, drops.payload(6))
        .unwrap()
        .evicted
        .is_none());
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
    assert!(q
        .enqueue_item(1, Batch, drops.payload(0))
        .unwrap()
        .evicted
        .is_none());
    q.close();
    let err = q.enqueue_item(2, Batch, drops.payload(1)).unwrap_err();
    assert_eq!(err.kind(), EnqueueErrorKind::Closed);
    assert!(err.is_closed());
    assert_eq!(err.into_parts().0.item.serial, 1);
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
    assert!(q
        .enqueue_item(1, Batch, drops.payload(1))
        .unwrap()
        .evicted
        .is_none());
    assert!(q
        .enqueue_item(2, Batch, drops.payload(2))
        .unwrap()
        .evicted
        .is_none());
    assert!(q
        .enqueue_item(3, Interactive, drops.payload(3))
        .unwrap()
        .evicted
        .is_none());
    assert!(q
        .enqueue_item(4, Batch, drops.payload(4))
        .unwrap_err()
        .is_full());

    // Middle of a lane.
    assert_eq!(q.cancel(&2).map(|p| p.serial), Some(2));
    assert_eq!(q.len(), 2);
    assert!(!q.contains(&2));
    // The freed unit admits a new job under Reject.
    assert!(q
        .enqueue_item(5, Batch, drops.payload(5))
        .unwrap()
        .evicted
        .is_none());
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

// ---------------------------------------------------------------------------------
// Differential proptest against the reference model.
// ---------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Enqueue(u64, Priority),
    TryDequeue,
    Cancel(u64),
    Close,
    Snapshot(Priority),
    Position(u64),
    Len,
}

fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![Just(Interactive), Just(Batch)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u64..10, priority()).prop_map(|(id, p)| Op::Enqueue(id, p)),
        4 => Just(Op::TryDequeue),
        3 => (0u64..10).prop_map(Op::Cancel),
        1 => Just(Op::Close),
        1 => priority().prop_map(Op::Snapshot),
        1 => (0u64..10).prop_map(Op::Position),
        1 => Just(Op::Len),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::Reject), Just(Policy::DropLru)]
}

const MAX_OPS: usize = 80;

/// What one enqueue returned, reduced to comparable facts.
#[derive(Debug, PartialEq)]
enum EnqueueOutcome {
    Admitted(Option<(u64, Priority, usize)>),
    Refused(EnqueueErrorKind, u64, Priority, usize),
}

fn run_differential(capacity: usize, policy: Policy, ops: &[Op]) -> Result<(), TestCaseError> {
    let ours = Drops::new(MAX_OPS);
    let theirs = Drops::new(MAX_OPS);
    let q: ConcurrentQueue<Payload> = ConcurrentQueue::with_capacity_policy(capacity, policy);
    let mut model: InMemoryQueue<Payload> = InMemoryQueue::with_capacity_policy(capacity, policy);
    let mut created = 0;
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Enqueue(id, prio) => {
                let serial = created;
                created += 1;
                let got = match q.enqueue_item(id, prio, ours.payload(serial)) {
                    Ok(admitted) => EnqueueOutcome::Admitted(
                        admitted.evicted.map(|j| (j.id, j.priority, j.item.serial)),
                    ),
                    Err(err) => EnqueueOutcome::Refused(
                        err.kind(),
                        *err.id(),
                        err.priority(),
                        err.into_parts().0.item.serial,
                    ),
                };
                let want = match model.enqueue_item(id, prio, theirs.payload(serial)) {
                    Ok(admitted) => EnqueueOutcome::Admitted(
                        admitted.evicted.map(|j| (j.id, j.priority, j.item.serial)),
                    ),
                    Err(err) => EnqueueOutcome::Refused(
                        err.kind(),
                        *err.id(),
                        err.priority(),
                        err.into_parts().0.item.serial,
                    ),
                };
                prop_assert_eq!(got, want, "step {}: {:?}", step, op);
            }
            Op::TryDequeue => {
                let got = q.try_dequeue().map(|j| (j.id, j.priority, j.item.serial));
                let want = model
                    .try_dequeue()
                    .map(|j| (j.id, j.priority, j.item.serial));
                prop_assert_eq!(got, want, "step {}: {:?}", step, op);
            }
            Op::Cancel(id) => {
                let got = q.cancel(&id).map(|p| p.serial);
                let want = model.cancel(&id).map(|p| p.serial);
                prop_assert_eq!(got, want, "step {}: {:?}", step, op);
            }
            Op::Close => {
                q.close();
                model.close();
            }
            Op::Snapshot(prio) => {
                prop_assert_eq!(
                    q.snapshot_priority(prio),
                    model.snapshot_priority(prio),
                    "step {}: {:?}",
                    step,
                    op
                );
            }
            Op::Position(id) => {
                prop_assert_eq!(
                    q.position(&id),
                    model.position(&id),
                    "step {}: {:?}",
                    step,
                    op
                );
                prop_assert_eq!(
                    q.contains(&id),
                    model.contains(&id),
                    "step {}: {:?}",
                    step,
                    op
                );
            }
            Op::Len => {
                prop_assert_eq!(q.len(), model.len(), "step {}: {:?}", step, op);
                prop_assert_eq!(q.is_empty(), model.is_empty(), "step {}: {:?}", step, op);
            }
        }
        // Cheap state checked after every step.
        prop_assert_eq!(q.len(), model.len(), "len after step {}", step);
        prop_assert_eq!(
            q.is_closed(),
            model.is_closed(),
            "closed after step {}",
            step
        );
        prop_assert!(q.len() <= q.capacity());
        // The same payloads are alive on both sides.
        for serial in 0..created {
            prop_assert_eq!(
                ours.count(serial),
                theirs.count(serial),
                "payload {} drop count after step {}",
                serial,
                step
            );
        }
    }
    for prio in Priority::ALL {
        prop_assert_eq!(q.snapshot_priority(prio), model.snapshot_priority(prio));
    }
    prop_assert_eq!(q.capacity(), model.capacity());
    prop_assert_eq!(q.policy(), model.policy());
    drop(q);
    drop(model);
    ours.assert_each_dropped_once(0..created, "concurrent queue");
    theirs.assert_each_dropped_once(0..created, "reference model");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Called one at a time, `ConcurrentQueue` returns exactly what `InMemoryQueue`
    /// returns, and holds and drops the same payloads.
    #[test]
    fn sequential_ops_agree_with_the_reference_model(
        capacity in 0usize..6,
        policy in policy(),
        ops in proptest::collection::vec(op(), 1..MAX_OPS),
    ) {
        run_differential(capacity, policy, &ops)?;
    }
}

// ---------------------------------------------------------------------------------
// Small races between two threads (repeated), checked exactly.
// ---------------------------------------------------------------------------------

#[test]
fn race_cancel_vs_dequeue_hands_the_job_to_exactly_one() {
    const ROUNDS: usize = 2000;
    let drops = Drops::new(ROUNDS);
    let q = Arc::new(ConcurrentQueue::<Payload>::with_capacity(1));
    for round in 0..ROUNDS {
        assert!(q
            .enqueue_item(round as u64, Batch, drops.payload(round))
            .unwrap()
            .evicted
            .is_none());
        let barrier = Arc::new(Barrier::new(2));
        let canceller = {
            let (q, barrier) = (Arc::clone(&q), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                q.cancel(&(round as u64)).map(|p| p.serial)
            })
        };
        barrier.wait();
        let dequeued = q.try_dequeue().ok().map(|job| job.item.serial);
        let canceled = canceller.join().unwrap();
        match (dequeued, canceled) {
            (Some(s), None) | (None, Some(s)) => assert_eq!(s, round),
            other => panic!("round {round}: dequeue/cancel outcome {other:?}"),
        }
        assert_eq!(q.len(), 0, "round {round}");
        assert_eq!(drops.count(round), 1, "round {round}");
    }
}

#[test]
fn race_two_enqueues_for_the_last_unit_admit_exactly_one() {
    const ROUNDS: usize = 2000;
    for policy in [Policy::Reject, Policy::DropLru] {
        let q = Arc::new(ConcurrentQueue::<()>::with_capacity_policy(1, policy));
        for round in 0..ROUNDS as u64 {
            let barrier = Arc::new(Barrier::new(2));
            let other = {
                let (q, barrier) = (Arc::clone(&q), Arc::clone(&barrier));
                thread::spawn(move || {
                    barrier.wait();
                    q.enqueue(2 * round + 1, Interactive)
                })
            };
            barrier.wait();
            let mine = q.enqueue(2 * round, Interactive);
            let theirs = other.join().unwrap();
            assert_eq!(q.len(), 1, "{policy} round {round}");
            let live = q.snapshot_priority(Interactive);
            assert_eq!(live.len(), 1, "{policy} round {round}");
            match policy {
                Policy::Reject => {
                    assert!(mine.is_ok() != theirs.is_ok(), "{policy} round {round}");
                }
                Policy::DropLru => {
                    // Either one was refused under [C7], or both were admitted and the
                    // second evicted the first: exactly one eviction, of the other id.
                    let evicted: Vec<u64> = [&mine, &theirs]
                        .iter()
                        .filter_map(|r| r.as_ref().ok())
                        .filter_map(|a| a.evicted.as_ref().map(|j| j.id))
                        .collect();
                    let admitted = usize::from(mine.is_ok()) + usize::from(theirs.is_ok());
                    assert_eq!(admitted, evicted.len() + 1, "{policy} round {round}");
                    assert!(!evicted.contains(&live[0]), "{policy} round {round}");
                }
            }
            let job = q.try_dequeue().unwrap();
            assert_eq!(job.id, live[0]);
            assert!(q.is_empty());
        }
    }
}

/// [Q2] under concurrency: `DuplicateId` means a job with that id is live. Two submits
/// of one id race on a full `Reject` queue: neither can be admitted, so both must be
/// refused with `QueueFull`; a `DuplicateId` would tell the retrying client that its
/// job is queued while it never was.
///
/// Found by this test once: the first submit claimed the id before it reserved
/// capacity, and the second one took that not-yet-admitted claim for a live job. Now an
/// enqueue reserves first, so a claimed id always becomes a live job.
#[test]
fn race_same_id_submits_on_a_full_queue_never_report_a_duplicate() {
    // Enough submits to overlap many times on 2 cores; the time cap only bounds the
    // run while the id index is slow under churn (it is not what the test checks).
    const SUBMITS: usize = 2_000_000;
    const TIME_CAP: Duration = Duration::from_secs(20);
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity_policy(
        1,
        Policy::Reject,
    ));
    assert!(q.enqueue(u64::MAX, Batch).unwrap().evicted.is_none()); // full, for good
    let start = Arc::new(Barrier::new(2));
    let seen = Arc::new(AtomicUsize::new(0));
    // Both threads submit id 7 over and over (until the first duplicate shows up); every
    // submit must be refused as full.
    let submit = |q: &ConcurrentQueue<()>, start: &Barrier, seen: &AtomicUsize| {
        start.wait();
        let began = std::time::Instant::now();
        for n in 0..SUBMITS {
            if seen.load(Ordering::Relaxed) > 0 || (n % 1024 == 0 && began.elapsed() > TIME_CAP) {
                return;
            }
            if q.enqueue(7, Batch).unwrap_err().kind() == EnqueueErrorKind::DuplicateId {
                seen.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    let other = {
        let (q, start, seen) = (Arc::clone(&q), Arc::clone(&start), Arc::clone(&seen));
        thread::spawn(move || submit(&q, &start, &seen))
    };
    submit(&q, &start, &seen);
    other.join().unwrap();
    assert_eq!(
        seen.load(Ordering::Relaxed),
        0,
        "a submit of id 7 was refused as DuplicateId although no job with id 7 was ever \
         admitted (the queue is full and refuses every submit)"
    );
    assert_eq!(q.snapshot_priority(Batch), vec![u64::MAX]);
}

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

#[test]
fn blocking_dequeue_is_woken_by_enqueue() {
    let q = Arc::new(ConcurrentQueue::<&'static str>::with_capacity(4));
    let result = spawn_blocked_worker(&q, None, |job| (job.id, job.item));
    assert!(q.enqueue_item(5, Batch, "five").unwrap().evicted.is_none());
    let got = result
        .recv_timeout(WATCHDOG)
        .expect("blocked worker never woke up after an enqueue (lost wake-up)");
    assert_eq!(got, Ok((5, "five")));
}

#[test]
fn blocking_dequeue_is_woken_by_close() {
    let q = Arc::new(ConcurrentQueue::<()>::with_capacity(4));
    let result = spawn_blocked_worker(&q, None, |job| job.id);
    q.close();
    let got = result
        .recv_timeout(WATCHDOG)
        .expect("blocked worker never woke up after close (lost wake-up)");
    assert_eq!(got, Err(DequeueTimeoutError::Closed));
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
            assert!(q
                .enqueue_item(3, Interactive, "three".to_string())
                .unwrap()
                .evicted
                .is_none());
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
    assert!(q
        .enqueue_item(1, Batch, std::cell::Cell::new(9))
        .unwrap()
        .evicted
        .is_none());
    let future = q.dequeue();
    assert_send(&future);
    assert_eq!(pollster::block_on(future).map(|job| job.item.get()), Ok(9));
}
