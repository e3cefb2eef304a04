//! Stats of both queues: each counter against a scripted sequence of operations, the
//! two queues against each other and against a tally of the results over random
//! operation sequences (proptest), and the `metrics` export through a capturing
//! recorder. Percentile accuracy against known values is unit-tested next to the
//! histogram (`src/stats/wait_histogram.rs`); the concurrent identity
//! `enqueued = dequeued + canceled + evicted + depth` is checked at the end of every
//! stress run (`tests/support/stress/stats.rs`, run by the `stress_*` tests).
#![cfg(all(not(loom), feature = "stats"))]

mod support;

use orchestrator_core::queue::{
    ConcurrentQueue, EnqueueErrorKind, InMemoryQueue, Policy, Priority, TryDequeueError,
};
use orchestrator_core::stats::{PriorityStats, QueueStats, Rejections};
use proptest::prelude::*;

use support::strategies::priority;
use Priority::{Batch, Interactive};

/// One queue operation, with the result that matters for counting.
#[derive(Clone, Debug)]
enum Op {
    Enqueue(u64, Priority),
    Dequeue,
    Cancel(u64),
    Close,
}

/// What an operation did, as seen by its caller.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Admitted { evicted: Option<Priority> },
    Refused(EnqueueErrorKind),
    Dequeued(Priority),
    Empty,
    Canceled,
    NotLive,
    Closed,
}

/// The two queues behind one interface, so that one script drives both.
trait Queue {
    fn apply(&mut self, op: &Op) -> Seen;
    fn stats(&self) -> QueueStats;
    fn lane_len(&self, priority: Priority) -> usize;
}

/// `cancel` does not report the priority; the tally needs it.
fn priority_of(live: &[(u64, Priority)], id: u64) -> Option<Priority> {
    live.iter().find(|(i, _)| *i == id).map(|(_, p)| *p)
}

/// Implements [`Queue`] for a queue type whose dequeue method is `$dequeue`.
macro_rules! impl_queue {
    ($queue:ty) => {
        impl Queue for $queue {
            fn apply(&mut self, op: &Op) -> Seen {
                match *op {
                    Op::Enqueue(id, priority) => match self.enqueue(id, priority) {
                        Ok(admitted) => Seen::Admitted {
                            evicted: admitted.evicted.map(|job| job.priority),
                        },
                        Err(err) => Seen::Refused(err.kind()),
                    },
                    Op::Dequeue => match self.try_dequeue() {
                        Ok(job) => Seen::Dequeued(job.priority),
                        Err(TryDequeueError::Empty) => Seen::Empty,
                        Err(err) => {
                            assert_eq!(err, TryDequeueError::Closed);
                            Seen::Closed
                        }
                    },
                    Op::Cancel(id) => match self.cancel(&id) {
                        Some(()) => Seen::Canceled,
                        None => Seen::NotLive,
                    },
                    Op::Close => {
                        self.close();
                        Seen::Closed
                    }
                }
            }

            fn stats(&self) -> QueueStats {
                <$queue>::stats(self)
            }

            fn lane_len(&self, priority: Priority) -> usize {
                self.snapshot_priority(priority).len()
            }
        }
    };
}

impl_queue!(InMemoryQueue);
impl_queue!(ConcurrentQueue);

/// Per-priority counts tallied from what the callers saw, independently of `stats()`.
#[derive(Default, Debug, PartialEq, Eq)]
struct Tally {
    enqueued: u64,
    dequeued: u64,
    canceled: u64,
    evicted: u64,
    rejected: Rejections,
}

/// Runs `ops`, tallying each result; returns the tallies per priority.
fn run_and_tally(queue: &mut impl Queue, ops: &[Op]) -> [Tally; 2] {
    let mut tally: [Tally; 2] = Default::default();
    // The caller's view of the live jobs, to know a canceled job's priority.
    let mut live: Vec<(u64, Priority)> = Vec::new();
    for op in ops {
        let seen = queue.apply(op);
        match (op, seen) {
            (&Op::Enqueue(id, priority), Seen::Admitted { evicted }) => {
                tally[priority.index()].enqueued += 1;
                if let Some(victim) = evicted {
                    tally[victim.index()].evicted += 1;
                    let at = live.iter().position(|(_, p)| *p == victim).unwrap();
                    live.remove(at);
                }
                live.push((id, priority));
            }
            (&Op::Enqueue(_, priority), Seen::Refused(kind)) => {
                let rejected = &mut tally[priority.index()].rejected;
                match kind {
                    EnqueueErrorKind::QueueFull => rejected.full += 1,
                    EnqueueErrorKind::DuplicateId => rejected.duplicate += 1,
                    EnqueueErrorKind::Closed => rejected.closed += 1,
                    other => panic!("a refusal the tally does not know: {other:?}"),
                }
            }
            (Op::Dequeue, Seen::Dequeued(priority)) => {
                tally[priority.index()].dequeued += 1;
                let at = live.iter().position(|(_, p)| *p == priority).unwrap();
                live.remove(at);
            }
            (&Op::Cancel(id), Seen::Canceled) => {
                let priority = priority_of(&live, id).expect("canceled a live job");
                tally[priority.index()].canceled += 1;
                live.retain(|(i, _)| *i != id);
            }
            _ => {}
        }
    }
    tally
}

/// The counters of `lane` as a [`Tally`].
fn counters(lane: &PriorityStats) -> Tally {
    Tally {
        enqueued: lane.enqueued,
        dequeued: lane.dequeued,
        canceled: lane.canceled,
        evicted: lane.evicted,
        rejected: lane.rejected,
    }
}

/// Every counter matches the tally; the identity and the depths hold (a quiet queue).
fn check_stats(queue: &impl Queue, tally: &[Tally; 2]) -> Result<(), TestCaseError> {
    let stats = queue.stats();
    for priority in Priority::ALL {
        let lane = stats.priority(priority);
        prop_assert_eq!(&counters(lane), &tally[priority.index()], "{}", priority);
        prop_assert_eq!(
            lane.enqueued,
            lane.dequeued + lane.canceled + lane.evicted + lane.depth
        );
        prop_assert_eq!(lane.depth, queue.lane_len(priority) as u64);
        prop_assert_eq!(lane.wait.samples, lane.dequeued);
        prop_assert_eq!(lane.wait.p50.is_some(), lane.dequeued > 0);
    }
    prop_assert_eq!(stats.depth(), stats.len as u64);
    Ok(())
}

/// A script that makes every counter of both priorities move.
fn script() -> Vec<Op> {
    vec![
        Op::Enqueue(1, Batch),
        Op::Enqueue(2, Interactive),
        Op::Enqueue(2, Batch),       // duplicate (Batch)
        Op::Enqueue(3, Batch),       // fills capacity 3
        Op::Enqueue(4, Interactive), // full: Reject refuses, DropLru evicts Batch 1
        Op::Cancel(3),               // Batch 3 canceled
        Op::Cancel(99),              // not live: nothing counted
        Op::Dequeue,                 // Interactive 2 (Reject) / 2 (DropLru)
        Op::Enqueue(5, Interactive),
        Op::Dequeue, // Reject: Interactive 5 after 2; DropLru: Interactive 4
        Op::Close,
        Op::Enqueue(6, Batch),       // closed (Batch)
        Op::Enqueue(5, Interactive), // Reject: 5 was dequeued, so closed; DropLru: duplicate
        Op::Dequeue,
        Op::Dequeue,
    ]
}

fn expected(policy: Policy) -> [Tally; 2] {
    match policy {
        // Reject: 1 B, 2 I, 3 B admitted; dup(2,B); 4 I full; cancel 3 B; deq 2 I;
        // 5 I admitted; deq 5 I; close; 6 B closed; 5 I closed (5 no longer live);
        // deq 1 B; deq closed.
        Policy::Reject => [
            Tally {
                enqueued: 2,
                dequeued: 2,
                rejected: Rejections {
                    full: 1,
                    duplicate: 0,
                    closed: 1,
                },
                ..Tally::default()
            },
            Tally {
                enqueued: 2,
                dequeued: 1,
                canceled: 1,
                rejected: Rejections {
                    full: 0,
                    duplicate: 1,
                    closed: 1,
                },
                ..Tally::default()
            },
        ],
        // DropLru: 1 B, 2 I, 3 B; dup(2,B); 4 I evicts 1 B; cancel 3 B; deq 2 I;
        // 5 I admitted; deq 4 I; close; 6 B closed; 5 I duplicate (5 still live);
        // deq 5 I; deq closed.
        Policy::DropLru => [
            Tally {
                enqueued: 3,
                dequeued: 3,
                rejected: Rejections {
                    full: 0,
                    duplicate: 1,
                    closed: 0,
                },
                ..Tally::default()
            },
            Tally {
                enqueued: 2,
                canceled: 1,
                evicted: 1,
                rejected: Rejections {
                    full: 0,
                    duplicate: 1,
                    closed: 1,
                },
                ..Tally::default()
            },
        ],
    }
}

#[test]
fn each_counter_matches_a_scripted_sequence() {
    for policy in [Policy::Reject, Policy::DropLru] {
        let mut reference = InMemoryQueue::with_capacity_policy(3, policy);
        let mut concurrent = ConcurrentQueue::with_capacity_policy(3, policy);
        for (name, stats) in [
            ("InMemoryQueue", {
                run_and_tally(&mut reference, &script());
                reference.stats()
            }),
            ("ConcurrentQueue", {
                run_and_tally(&mut concurrent, &script());
                concurrent.stats()
            }),
        ] {
            let want = expected(policy);
            for priority in Priority::ALL {
                assert_eq!(
                    counters(stats.priority(priority)),
                    want[priority.index()],
                    "{name} {policy} {priority}"
                );
            }
            assert_eq!(stats.depth(), 0, "{name} {policy}: drained");
            assert_eq!((stats.len, stats.capacity, stats.closed), (0, 3, true));
        }
    }
}

#[test]
fn a_fresh_queue_reports_zeros() {
    let stats = ConcurrentQueue::<()>::with_capacity(8).stats();
    assert_eq!(stats.interactive, PriorityStats::default());
    assert_eq!(stats.batch, PriorityStats::default());
    assert_eq!((stats.len, stats.capacity, stats.closed), (0, 8, false));
    assert_eq!(stats, InMemoryQueue::<()>::with_capacity(8).stats());
}

#[test]
fn depth_counts_live_jobs_per_priority() {
    let q = ConcurrentQueue::with_capacity(8);
    for id in 0..5 {
        assert!(q
            .enqueue(id, if id < 2 { Interactive } else { Batch })
            .unwrap()
            .evicted
            .is_none());
    }
    let stats = q.stats();
    assert_eq!((stats.interactive.depth, stats.batch.depth), (2, 3));
    let _ = q.try_dequeue().unwrap();
    q.cancel(&4).unwrap();
    let stats = q.stats();
    assert_eq!((stats.interactive.depth, stats.batch.depth), (1, 2));
    assert_eq!(stats.len, 3);
}

#[test]
fn counts_from_many_threads_all_arrive() {
    let q = ConcurrentQueue::with_capacity(100_000);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let q = &q;
            s.spawn(move || {
                for n in 0..5_000 {
                    let priority = if n % 2 == 0 { Interactive } else { Batch };
                    assert!(q
                        .enqueue(t * 1_000_000 + n, priority)
                        .unwrap()
                        .evicted
                        .is_none());
                }
                for _ in 0..2_000 {
                    let _ = q.try_dequeue().unwrap();
                }
            });
        }
    });
    let stats = q.stats();
    assert_eq!(stats.interactive.enqueued + stats.batch.enqueued, 20_000);
    assert_eq!(stats.dequeued(), 8_000);
    assert_eq!(
        stats.interactive.wait.samples + stats.batch.wait.samples,
        8_000
    );
    assert_eq!(stats.depth(), 12_000);
    assert_eq!(stats.len, 12_000);
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u64..8;
    prop_oneof![
        6 => (id.clone(), priority()).prop_map(|(id, p)| Op::Enqueue(id, p)),
        3 => Just(Op::Dequeue),
        2 => id.prop_map(Op::Cancel),
        1 => Just(Op::Close),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Both queues count exactly what their callers saw.
    #[test]
    fn counters_match_what_the_callers_saw(
        capacity in 0usize..5,
        drop_lru in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let policy = if drop_lru { Policy::DropLru } else { Policy::Reject };
        let mut reference = InMemoryQueue::with_capacity_policy(capacity, policy);
        let mut concurrent = ConcurrentQueue::with_capacity_policy(capacity, policy);
        let tally = run_and_tally(&mut reference, &ops);
        prop_assert_eq!(&run_and_tally(&mut concurrent, &ops), &tally);
        check_stats(&reference, &tally)?;
        check_stats(&concurrent, &tally)?;
    }
}

#[cfg(feature = "metrics")]
mod metrics_export {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use metrics_util::{CompositeKey, MetricKind};
    use orchestrator_core::stats::MetricsExporter;

    use super::*;

    /// The captured value of one metric with these labels (besides `queue=test`).
    fn value<'a>(
        captured: &'a [(CompositeKey, DebugValue)],
        kind: MetricKind,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Option<&'a DebugValue> {
        captured.iter().find_map(|(key, value)| {
            let key_labels: Vec<(&str, &str)> = key
                .key()
                .labels()
                .map(|label| (label.key(), label.value()))
                .filter(|(k, _)| *k != "queue")
                .collect();
            (key.kind() == kind && key.key().name() == name && key_labels == labels)
                .then_some(value)
        })
    }

    fn capture(recorder: &DebuggingRecorder) -> Vec<(CompositeKey, DebugValue)> {
        recorder
            .snapshotter()
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| (key, value))
            .collect()
    }

    #[test]
    fn the_orch_3406_names_carry_the_counters() {
        let recorder = DebuggingRecorder::new();
        let q = ConcurrentQueue::with_capacity_policy(2, Policy::DropLru);
        let mut exporter = MetricsExporter::new().with_label("queue", "test");
        metrics::with_local_recorder(&recorder, || {
            assert!(q.enqueue(1, Batch).unwrap().evicted.is_none());
            assert!(q.enqueue(2, Batch).unwrap().evicted.is_none());
            let evicted = q.enqueue(3, Interactive).unwrap().evicted;
            assert_eq!(evicted.map(|job| job.id), Some(1));
            assert!(q.enqueue(3, Batch).unwrap_err().is_duplicate());
            q.cancel(&2).unwrap();
            let _ = q.try_dequeue().unwrap(); // Interactive 3
            q.close();
            assert!(q.enqueue(4, Interactive).unwrap_err().is_closed());
            exporter.publish(&q.stats());
        });
        let captured = capture(&recorder);
        let counter =
            |name, labels: &[(&str, &str)]| value(&captured, MetricKind::Counter, name, labels);
        let interactive = [("priority", "interactive")];
        let batch = [("priority", "batch")];
        assert_eq!(
            counter("tasks_enqueued_total", &interactive),
            Some(&DebugValue::Counter(1))
        );
        assert_eq!(
            counter("tasks_enqueued_total", &batch),
            Some(&DebugValue::Counter(2))
        );
        assert_eq!(
            counter("tasks_started_total", &interactive),
            Some(&DebugValue::Counter(1))
        );
        assert_eq!(
            counter("tasks_started_total", &batch),
            Some(&DebugValue::Counter(0))
        );
        assert_eq!(
            counter("tasks_canceled_total", &batch),
            Some(&DebugValue::Counter(1))
        );
        assert_eq!(
            counter("tasks_evicted_total", &batch),
            Some(&DebugValue::Counter(1))
        );
        assert_eq!(
            counter("tasks_evicted_total", &interactive),
            Some(&DebugValue::Counter(0))
        );
        // The `reason` label is the kind's `as_str`, for every kind.
        let rejected = |priority, kind: EnqueueErrorKind| {
            counter(
                "tasks_rejected_total",
                &[("priority", priority), ("reason", kind.as_str())],
            )
        };
        assert_eq!(
            rejected("batch", EnqueueErrorKind::DuplicateId),
            Some(&DebugValue::Counter(1))
        );
        assert_eq!(
            rejected("interactive", EnqueueErrorKind::Closed),
            Some(&DebugValue::Counter(1))
        );
        assert_eq!(
            rejected("interactive", EnqueueErrorKind::QueueFull),
            Some(&DebugValue::Counter(0))
        );
        let depth = value(&captured, MetricKind::Gauge, "queue_depth", &batch);
        assert_eq!(depth, Some(&DebugValue::Gauge(0.0.into())));
        // One wait was recorded, as one histogram value in milliseconds.
        match value(
            &captured,
            MetricKind::Histogram,
            "admission_latency_ms",
            &interactive,
        ) {
            Some(DebugValue::Histogram(values)) => {
                assert_eq!(values.len(), 1);
                assert!(values[0].into_inner() >= 0.0);
            }
            other => panic!("admission_latency_ms: {other:?}"),
        }
        // The queue label rides along on every metric.
        assert!(captured.iter().all(|(key, _)| key
            .key()
            .labels()
            .any(|label| label.key() == "queue" && label.value() == "test")));
    }

    #[test]
    fn a_second_publish_sends_only_the_new_waits_and_updates_the_depth() {
        let recorder = DebuggingRecorder::new();
        let q = ConcurrentQueue::with_capacity(8);
        let mut exporter = MetricsExporter::new();
        let histogram_values = |captured: &[(CompositeKey, DebugValue)]| match value(
            captured,
            MetricKind::Histogram,
            "admission_latency_ms",
            &[("priority", "batch")],
        ) {
            Some(DebugValue::Histogram(values)) => values.len(),
            _ => 0,
        };
        metrics::with_local_recorder(&recorder, || {
            for id in 0..3 {
                assert!(q.enqueue(id, Batch).unwrap().evicted.is_none());
            }
            let _ = q.try_dequeue().unwrap();
            exporter.publish(&q.stats());
        });
        // The debugging recorder drains histogram values on each snapshot.
        assert_eq!(histogram_values(&capture(&recorder)), 1);
        metrics::with_local_recorder(&recorder, || {
            let _ = q.try_dequeue().unwrap();
            let _ = q.try_dequeue().unwrap();
            exporter.publish(&q.stats());
        });
        let captured = capture(&recorder);
        assert_eq!(histogram_values(&captured), 2);
        let depth = value(
            &captured,
            MetricKind::Gauge,
            "queue_depth",
            &[("priority", "batch")],
        );
        assert_eq!(depth, Some(&DebugValue::Gauge(0.0.into())));
        let started = value(
            &captured,
            MetricKind::Counter,
            "tasks_started_total",
            &[("priority", "batch")],
        );
        assert_eq!(started, Some(&DebugValue::Counter(3)));
    }
}
