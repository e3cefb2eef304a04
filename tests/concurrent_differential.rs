//! Differential proptest: called one at a time, `ConcurrentQueue` returns exactly what
//! the reference model `InMemoryQueue` returns ([Q1]–[Q7]: every enqueue outcome with
//! its evicted or handed-back job, dequeue, cancel, close, snapshots, positions, `len`),
//! and holds and drops the same payloads, each exactly once ([C2] in the sequential
//! case).
#![cfg(not(loom))]

mod support;

use orchestrator_core::queue::{
    Admitted, ConcurrentQueue, EnqueueError, EnqueueErrorKind, InMemoryQueue, Policy, Priority,
};
use proptest::prelude::*;

use support::drops::{Drops, Payload};
use support::strategies::{policy, priority};

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

const MAX_OPS: usize = 80;

/// What one enqueue returned, reduced to comparable facts.
#[derive(Debug, PartialEq)]
enum EnqueueOutcome {
    Admitted(Option<(u64, Priority, usize)>),
    Refused(EnqueueErrorKind, u64, Priority, usize),
}

impl EnqueueOutcome {
    /// The facts of one enqueue's result, from either queue.
    fn of(result: Result<Admitted<Payload>, EnqueueError<Payload>>) -> Self {
        match result {
            Ok(admitted) => EnqueueOutcome::Admitted(
                admitted.evicted.map(|j| (j.id, j.priority, j.item.serial)),
            ),
            Err(err) => EnqueueOutcome::Refused(
                err.kind(),
                *err.id(),
                err.priority(),
                err.into_job().item.serial,
            ),
        }
    }
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
                let got = EnqueueOutcome::of(q.enqueue_item(id, prio, ours.payload(serial)));
                let want = EnqueueOutcome::of(model.enqueue_item(id, prio, theirs.payload(serial)));
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
