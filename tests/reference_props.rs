//! Property tests of the reference model against a tiny independent oracle: a `Vec` of
//! `(id, priority)` in admission order. Each property runs 512 random operation
//! sequences.
#![cfg(not(loom))]

mod support;

use std::collections::HashMap;

use orchestrator_core::queue::{
    EnqueueErrorKind, InMemoryQueue, Policy, Priority, TryDequeueError,
};
use proptest::prelude::*;

use support::drops::{Drops, JobTag, Payload};
use support::strategies::{policy, priority};

#[derive(Clone, Debug)]
enum Op {
    Enqueue(u64, Priority),
    Dequeue,
    Cancel(u64),
    Close,
}

/// Ids from a small range so that duplicates and cancels hit live jobs.
fn op(with_close: bool) -> impl Strategy<Value = Op> {
    let close_weight = if with_close { 1 } else { 0 };
    prop_oneof![
        6 => (0u64..10, priority()).prop_map(|(id, p)| Op::Enqueue(id, p)),
        3 => Just(Op::Dequeue),
        2 => (0u64..10).prop_map(Op::Cancel),
        close_weight => Just(Op::Close),
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    }
}

/// The oracle: live jobs in admission order, nothing else.
#[derive(Default)]
struct Oracle {
    jobs: Vec<(u64, Priority)>,
    capacity: usize,
    policy: Option<Policy>,
    closed: bool,
}

enum OracleEnqueue {
    Admitted(Option<(u64, Priority)>),
    Refused(EnqueueErrorKind),
}

impl Oracle {
    fn new(capacity: usize, policy: Policy) -> Self {
        Oracle {
            capacity,
            policy: Some(policy),
            ..Oracle::default()
        }
    }

    fn enqueue(&mut self, id: u64, prio: Priority) -> OracleEnqueue {
        if self.jobs.iter().any(|&(live, _)| live == id) {
            return OracleEnqueue::Refused(EnqueueErrorKind::DuplicateId);
        }
        if self.closed {
            return OracleEnqueue::Refused(EnqueueErrorKind::Closed);
        }
        let mut evicted = None;
        if self.jobs.len() >= self.capacity {
            if self.policy == Some(Policy::Reject) || self.jobs.is_empty() {
                return OracleEnqueue::Refused(EnqueueErrorKind::QueueFull);
            }
            let victim = self
                .jobs
                .iter()
                .position(|&(_, p)| p == Priority::Batch)
                .unwrap_or(0);
            evicted = Some(self.jobs.remove(victim));
        }
        self.jobs.push((id, prio));
        OracleEnqueue::Admitted(evicted)
    }

    fn dequeue(&mut self) -> Option<(u64, Priority)> {
        let at = self
            .jobs
            .iter()
            .position(|&(_, p)| p == Priority::Interactive)
            .or(if self.jobs.is_empty() { None } else { Some(0) })?;
        Some(self.jobs.remove(at))
    }

    fn cancel(&mut self, id: u64) -> bool {
        match self.jobs.iter().position(|&(live, _)| live == id) {
            Some(at) => {
                self.jobs.remove(at);
                true
            }
            None => false,
        }
    }

    fn snapshot(&self, prio: Priority) -> Vec<u64> {
        self.jobs
            .iter()
            .filter(|&&(_, p)| p == prio)
            .map(|&(id, _)| id)
            .collect()
    }

    fn position(&self, id: u64) -> Option<usize> {
        let &(_, prio) = self.jobs.iter().find(|&&(live, _)| live == id)?;
        let mut order = self.snapshot(Priority::Interactive);
        order.extend(self.snapshot(Priority::Batch));
        let at = order.iter().position(|&live| live == id)?;
        debug_assert!(prio == Priority::Batch || at < self.snapshot(prio).len());
        Some(at)
    }
}

/// Applies `ops` to the queue and to the oracle and checks every result and the whole
/// visible state after every step. Payloads get the serials `0..`, one per enqueue (so
/// `drops` needs one counter per operation); returns the number of payloads created.
fn run_against_oracle(
    capacity: usize,
    policy: Policy,
    ops: &[Op],
    drops: Drops,
) -> Result<usize, TestCaseError> {
    let mut q: InMemoryQueue<Payload<JobTag>> =
        InMemoryQueue::with_capacity_policy(capacity, policy);
    let mut oracle = Oracle::new(capacity, policy);
    let mut created = 0;
    for op in ops {
        match *op {
            Op::Enqueue(id, prio) => {
                let serial = created;
                created += 1;
                let item = drops.for_job(serial, id, prio);
                match (q.enqueue_item(id, prio, item), oracle.enqueue(id, prio)) {
                    (Ok(admitted), OracleEnqueue::Admitted(expected)) => {
                        let got = admitted.evicted.map(|job| {
                            assert_eq!(
                                job.id, job.item.job.id,
                                "evicted payload belongs to its id"
                            );
                            (job.id, job.priority)
                        });
                        prop_assert_eq!(got, expected, "evicted job");
                    }
                    (Err(err), OracleEnqueue::Refused(kind)) => {
                        prop_assert_eq!(err.kind(), kind);
                        prop_assert_eq!(*err.id(), id);
                        prop_assert_eq!(err.priority(), prio);
                        let item = err.into_job().item;
                        prop_assert_eq!(
                            (item.job.id, item.serial),
                            (id, serial),
                            "item handed back"
                        );
                    }
                    (Ok(_), OracleEnqueue::Refused(kind)) => {
                        prop_assert!(false, "queue admitted {id}, oracle refused with {kind:?}")
                    }
                    (Err(err), OracleEnqueue::Admitted(_)) => {
                        prop_assert!(
                            false,
                            "queue refused {id} with {:?}, oracle admitted",
                            err.kind()
                        )
                    }
                }
            }
            Op::Dequeue => match (q.try_dequeue(), oracle.dequeue()) {
                (Ok(job), Some(expected)) => {
                    prop_assert_eq!((job.id, job.priority), expected);
                    prop_assert_eq!(job.item.job.id, job.id);
                }
                (Err(err), None) => {
                    let expected = if oracle.closed {
                        TryDequeueError::Closed
                    } else {
                        TryDequeueError::Empty
                    };
                    prop_assert_eq!(err, expected);
                }
                (got, expected) => prop_assert!(
                    false,
                    "dequeue: queue {:?}, oracle {:?}",
                    got.map(|job| job.id),
                    expected
                ),
            },
            Op::Cancel(id) => {
                let got = q.cancel(&id);
                let live = oracle.cancel(id);
                prop_assert_eq!(got.as_ref().map(|item| item.job.id), live.then_some(id));
            }
            Op::Close => {
                q.close();
                oracle.closed = true;
            }
        }
        // The whole visible state agrees after every step.
        prop_assert!(q.len() <= q.capacity(), "[Q1] len {} > capacity", q.len());
        prop_assert_eq!(q.len(), oracle.jobs.len());
        prop_assert_eq!(q.is_empty(), oracle.jobs.is_empty());
        for prio in Priority::ALL {
            prop_assert_eq!(q.snapshot_priority(prio), oracle.snapshot(prio));
            prop_assert_eq!(q.len_priority(prio), oracle.snapshot(prio).len());
        }
        for id in 0..10 {
            prop_assert_eq!(q.position(&id), oracle.position(id), "position of {}", id);
            prop_assert_eq!(q.contains(&id), oracle.position(id).is_some());
        }
        prop_assert_eq!(q.is_closed(), oracle.closed);
    }
    Ok(created)
}

proptest! {
    #![proptest_config(config())]

    /// Every result and the whole state match the oracle, both policies, with close.
    #[test]
    fn matches_the_oracle_step_by_step(
        capacity in 0usize..7,
        policy in policy(),
        ops in prop::collection::vec(op(true), 0..80),
    ) {
        run_against_oracle(capacity, policy, &ops, Drops::new(ops.len()))?;
    }

    /// [Q1] and [Q2]: `len() <= capacity()` after every operation.
    #[test]
    fn len_never_exceeds_capacity(
        capacity in 0usize..5,
        policy in policy(),
        ops in prop::collection::vec(op(false), 0..120),
    ) {
        let mut q = InMemoryQueue::with_capacity_policy(capacity, policy);
        for op in ops {
            match op {
                Op::Enqueue(id, prio) => { let _ = q.enqueue(id, prio); }
                Op::Dequeue => { let _ = q.try_dequeue(); }
                Op::Cancel(id) => { q.cancel(&id); }
                Op::Close => q.close(),
            }
            prop_assert!(q.len() <= q.capacity());
        }
    }

    /// [Q3]: within a lane, jobs come out (dequeue or DropLru eviction) in admission
    /// order, whatever else happens.
    #[test]
    fn fifo_within_each_lane(
        capacity in 1usize..7,
        policy in policy(),
        ops in prop::collection::vec(op(false), 0..100),
    ) {
        let mut q = InMemoryQueue::with_capacity_policy(capacity, policy);
        // Admission sequence number of each live id, and the last one seen leaving each lane.
        let mut admitted_at = HashMap::new();
        let mut last_out = [None::<u64>; 2];
        let mut seq = 0u64;
        let mut leave = |id: u64, prio: Priority, admitted_at: &mut HashMap<u64, u64>| -> Result<(), TestCaseError> {
            let at = admitted_at.remove(&id).expect("a leaving job was admitted");
            if let Some(prev) = last_out[prio.index()] {
                prop_assert!(prev < at, "lane {prio}: job admitted at {at} left after one admitted at {prev}");
            }
            last_out[prio.index()] = Some(at);
            Ok(())
        };
        for op in ops {
            match op {
                Op::Enqueue(id, prio) => {
                    if let Ok(admitted) = q.enqueue(id, prio) {
                        if let Some(job) = admitted.evicted {
                            leave(job.id, job.priority, &mut admitted_at)?;
                        }
                        seq += 1;
                        admitted_at.insert(id, seq);
                    }
                }
                Op::Dequeue => {
                    if let Ok(job) = q.try_dequeue() {
                        leave(job.id, job.priority, &mut admitted_at)?;
                    }
                }
                Op::Cancel(id) => {
                    if q.cancel(&id).is_some() {
                        admitted_at.remove(&id);
                    }
                }
                Op::Close => {}
            }
        }
    }

    /// [Q2] Reject: a refused enqueue leaves every observable the same.
    #[test]
    fn reject_leaves_state_unchanged(
        capacity in 0usize..5,
        ops in prop::collection::vec(op(true), 0..60),
        probe in (0u64..10, priority()),
    ) {
        let mut q = InMemoryQueue::with_capacity_policy(capacity, Policy::Reject);
        for op in ops {
            match op {
                Op::Enqueue(id, prio) => { let _ = q.enqueue_item(id, prio, id * 100); }
                Op::Dequeue => { let _ = q.try_dequeue(); }
                Op::Cancel(id) => { q.cancel(&id); }
                Op::Close => q.close(),
            }
        }
        let before = (q.snapshot_priority(Priority::Interactive), q.snapshot_priority(Priority::Batch), q.len());
        let (id, prio) = probe;
        if let Err(err) = q.enqueue_item(id, prio, 7777) {
            prop_assert_eq!(err.into_job().item, 7777);
            let after = (q.snapshot_priority(Priority::Interactive), q.snapshot_priority(Priority::Batch), q.len());
            prop_assert_eq!(before, after);
        } else {
            prop_assert!(before.2 < capacity, "admitted into a full Reject queue");
        }
    }

    /// [Q2] DropLru: a full queue evicts the oldest Batch job, else the oldest
    /// Interactive one, and reports it.
    #[test]
    fn drop_lru_evicts_the_oldest_batch_first(
        capacity in 1usize..6,
        fill in prop::collection::vec(priority(), 1..12),
        newcomer in priority(),
    ) {
        let mut q = InMemoryQueue::with_capacity_policy(capacity, Policy::DropLru);
        let mut order = Vec::new();
        for (i, prio) in fill.iter().enumerate() {
            let _ = q.enqueue(i as u64, *prio);
            order.push((i as u64, *prio));
        }
        let live: Vec<(u64, Priority)> = order.iter().copied().filter(|(id, _)| q.contains(id)).collect();
        let was_full = q.len() == capacity;
        let admitted = q.enqueue(1000, newcomer).unwrap();
        if was_full {
            let expected = live.iter().copied().find(|&(_, p)| p == Priority::Batch).or(live.first().copied());
            prop_assert_eq!(admitted.evicted.map(|job| (job.id, job.priority)), expected);
        } else {
            prop_assert!(admitted.evicted.is_none());
        }
        prop_assert!(q.len() <= capacity);
    }

    /// [Q2] A live id is refused; the handed-back item is the one offered.
    #[test]
    fn duplicates_are_refused(
        ops in prop::collection::vec(op(false), 0..60),
        id in 0u64..10,
    ) {
        let mut q = InMemoryQueue::with_capacity_policy(64, Policy::Reject);
        for op in ops {
            match op {
                Op::Enqueue(id, prio) => { let _ = q.enqueue_item(id, prio, id); }
                Op::Dequeue => { let _ = q.try_dequeue(); }
                Op::Cancel(id) => { q.cancel(&id); }
                Op::Close => {}
            }
        }
        let live = q.contains(&id);
        let len = q.len();
        match q.enqueue_item(id, Priority::Interactive, 4242) {
            Err(err) => {
                prop_assert!(live);
                prop_assert_eq!(err.kind(), EnqueueErrorKind::DuplicateId);
                prop_assert_eq!(err.into_job().item, 4242);
                prop_assert_eq!(q.len(), len);
            }
            Ok(_) => prop_assert!(!live),
        }
    }

    /// [Q4] Cancel removes exactly the one live job and nothing else.
    #[test]
    fn cancel_removes_exactly_one_live_job(
        ops in prop::collection::vec(op(false), 0..60),
        id in 0u64..10,
    ) {
        let mut q = InMemoryQueue::with_capacity_policy(6, Policy::DropLru);
        for op in ops {
            match op {
                Op::Enqueue(id, prio) => { let _ = q.enqueue_item(id, prio, id); }
                Op::Dequeue => { let _ = q.try_dequeue(); }
                Op::Cancel(id) => { q.cancel(&id); }
                Op::Close => {}
            }
        }
        let mut expected: Vec<Vec<u64>> = Priority::ALL.iter().map(|&p| q.snapshot_priority(p)).collect();
        let was_live = q.contains(&id);
        for lane in &mut expected { lane.retain(|&live| live != id); }
        let len = q.len();
        prop_assert_eq!(q.cancel(&id), was_live.then_some(id));
        prop_assert_eq!(q.len(), len - usize::from(was_live));
        let after: Vec<Vec<u64>> = Priority::ALL.iter().map(|&p| q.snapshot_priority(p)).collect();
        prop_assert_eq!(after, expected);
        prop_assert_eq!(q.cancel(&id), None);
    }

    /// [Q7] After close: every enqueue is refused, the live jobs drain in order, then
    /// dequeue reports Closed.
    #[test]
    fn close_then_drain(
        capacity in 0usize..6,
        policy in policy(),
        ops in prop::collection::vec(op(false), 0..40),
        late in prop::collection::vec((0u64..20, priority()), 0..5),
    ) {
        let mut q = InMemoryQueue::with_capacity_policy(capacity, policy);
        for op in ops {
            match op {
                Op::Enqueue(id, prio) => { let _ = q.enqueue(id, prio); }
                Op::Dequeue => { let _ = q.try_dequeue(); }
                Op::Cancel(id) => { q.cancel(&id); }
                Op::Close => {}
            }
        }
        let mut expected = q.snapshot_priority(Priority::Interactive);
        expected.extend(q.snapshot_priority(Priority::Batch));
        q.close();
        for (id, prio) in late {
            let err = q.enqueue(id, prio).unwrap_err();
            let kind = if q.contains(&id) { EnqueueErrorKind::DuplicateId } else { EnqueueErrorKind::Closed };
            prop_assert_eq!(err.kind(), kind);
        }
        let mut drained = Vec::new();
        loop {
            match q.try_dequeue() {
                Ok(job) => drained.push(job.id),
                Err(err) => { prop_assert_eq!(err, TryDequeueError::Closed); break; }
            }
        }
        prop_assert_eq!(drained, expected);
    }

    /// [Q7] and nothing lost: every payload ever created is dropped exactly once, by
    /// whoever owned it last (caller, error, evicted job, or the queue's own drop).
    #[test]
    fn every_payload_is_dropped_exactly_once(
        capacity in 0usize..6,
        policy in policy(),
        ops in prop::collection::vec(op(true), 0..80),
    ) {
        let drops = Drops::new(ops.len());
        let created = run_against_oracle(capacity, policy, &ops, drops)?;
        for serial in 0..ops.len() {
            let expected = usize::from(serial < created);
            prop_assert_eq!(drops.count(serial), expected, "payload {} drop count", serial);
        }
    }
}
