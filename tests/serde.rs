//! The `serde` feature: jobs, dequeued jobs, the error kinds and the stats serialize, and
//! the labels match the ones the metrics and logs use (`as_str`).
#![cfg(all(not(loom), feature = "serde", feature = "stats"))]

use std::time::Duration;

use orchestrator_core::queue::{
    DequeueTimeoutError, Dequeued, EnqueueErrorKind, InMemoryQueue, Job, Policy, Priority,
    QueueClosed, TryDequeueError,
};

#[test]
fn jobs_and_dequeued_jobs_round_trip() {
    let job = Job {
        id: 7u64,
        priority: Priority::Interactive,
        item: "prompt".to_string(),
    };
    let json = serde_json::to_string(&job).unwrap();
    assert_eq!(serde_json::from_str::<Job<String>>(&json).unwrap(), job);

    let dequeued = Dequeued {
        id: 9u64,
        priority: Priority::Batch,
        item: 3u32,
        waited: Duration::from_micros(1500),
    };
    let json = serde_json::to_string(&dequeued).unwrap();
    assert_eq!(
        serde_json::from_str::<Dequeued<u32>>(&json).unwrap(),
        dequeued
    );
}

#[test]
fn error_kinds_serialize_as_their_labels() {
    for kind in EnqueueErrorKind::ALL {
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
        assert_eq!(
            serde_json::from_str::<EnqueueErrorKind>(&json).unwrap(),
            kind
        );
    }
    assert_eq!(
        serde_json::to_string(&TryDequeueError::Empty).unwrap(),
        "\"empty\""
    );
    assert_eq!(
        serde_json::to_string(&DequeueTimeoutError::Timeout).unwrap(),
        "\"timeout\""
    );
    let closed: QueueClosed = serde_json::from_str("null").unwrap();
    assert_eq!(closed, QueueClosed);
}

#[test]
fn stats_serialize_with_their_counters_and_waits() {
    let mut q = InMemoryQueue::with_capacity_policy(1, Policy::DropLru);
    assert!(q.enqueue(1, Priority::Batch).unwrap().evicted.is_none());
    let evicted = q.enqueue(2, Priority::Interactive).unwrap().evicted;
    assert_eq!(evicted.map(|job| job.id), Some(1));
    assert_eq!(q.try_dequeue().unwrap().id, 2);
    let stats = serde_json::to_value(q.stats()).unwrap();
    assert_eq!(stats["batch"]["evicted"], 1);
    assert_eq!(stats["interactive"]["dequeued"], 1);
    assert_eq!(stats["interactive"]["wait"]["samples"], 1);
    assert_eq!(stats["capacity"], 1);
    assert_eq!(stats["closed"], false);
}
