//! The ORCH-3406 metrics, published through the `metrics` facade (feature `metrics`).

use metrics::{Label, SharedString};

use super::{QueueStats, WaitStats};
use crate::admission::{EnqueueErrorKind, Priority};

/// Counter: jobs admitted, labels `priority`.
pub const TASKS_ENQUEUED_TOTAL: &str = "tasks_enqueued_total";
/// Counter: jobs taken by a worker, labels `priority`.
pub const TASKS_STARTED_TOTAL: &str = "tasks_started_total";
/// Counter: jobs canceled while queued, labels `priority`.
pub const TASKS_CANCELED_TOTAL: &str = "tasks_canceled_total";
/// Counter: jobs evicted by a `DropLru` enqueue, labels `priority`.
pub const TASKS_EVICTED_TOTAL: &str = "tasks_evicted_total";
/// Counter: enqueues refused, labels `priority` and `reason` (the
/// [`EnqueueErrorKind::as_str`] labels: `queue_full`, `duplicate_id`,
/// `closed`).
pub const TASKS_REJECTED_TOTAL: &str = "tasks_rejected_total";
/// Gauge: live jobs, labels `priority`.
pub const QUEUE_DEPTH: &str = "queue_depth";
/// Histogram: how long started jobs waited in the queue (enqueue to dequeue), in
/// milliseconds, labels `priority`.
pub const ADMISSION_LATENCY_MS: &str = "admission_latency_ms";

/// Publishes a queue's [`QueueStats`] as the ORCH-3406 metrics through whichever
/// `metrics` recorder is installed (Prometheus, StatsD, ...).
///
/// Pull-based, so the queue's hot path never touches the recorder: call
/// [`publish`](Self::publish) with a fresh [`stats`](crate::queue::ConcurrentQueue::stats)
/// snapshot whenever the exporter should see new values (for example once a second).
/// Counters are set to the queue's running totals; `queue_depth` is set per priority;
/// `admission_latency_ms` receives the waits recorded since the previous `publish`, one
/// value per histogram bucket with its count (each within
/// [`WAIT_RELATIVE_ERROR`](super::WAIT_RELATIVE_ERROR) of the real wait).
///
/// | metric | kind | labels |
/// |---|---|---|
/// | `tasks_enqueued_total` | counter | `priority` |
/// | `tasks_started_total` | counter | `priority` |
/// | `tasks_canceled_total` | counter | `priority` |
/// | `tasks_evicted_total` | counter | `priority` |
/// | `tasks_rejected_total` | counter | `priority`, `reason` = `queue_full` / `duplicate_id` / `closed` |
/// | `queue_depth` | gauge | `priority` |
/// | `admission_latency_ms` | histogram | `priority` |
///
/// `priority` is `interactive` or `batch`. Labels added with
/// [`with_label`](Self::with_label) (for example the queue's name) go on every metric.
///
/// # Example
///
/// ```
/// use orchestrator_core::queue::{ConcurrentQueue, Priority};
/// use orchestrator_core::stats::MetricsExporter;
///
/// let queue = ConcurrentQueue::with_capacity(64);
/// let mut exporter = MetricsExporter::new().with_label("queue", "chat");
/// exporter.describe();
/// assert!(queue.enqueue(1, Priority::Interactive).unwrap().evicted.is_none());
/// assert_eq!(queue.try_dequeue().unwrap().id, 1);
/// exporter.publish(&queue.stats()); // e.g. from a one-second ticker
/// ```
#[derive(Clone, Debug, Default)]
pub struct MetricsExporter {
    labels: Vec<(SharedString, SharedString)>,
    /// The waits already published, per priority.
    published_waits: Option<[WaitStats; 2]>,
}

impl MetricsExporter {
    /// An exporter with only the `priority` (and `reason`) labels.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a label to every metric this exporter publishes.
    pub fn with_label(
        mut self,
        key: impl Into<SharedString>,
        value: impl Into<SharedString>,
    ) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }

    /// Registers each metric's description and unit with the installed recorder. Call
    /// once after installing it.
    pub fn describe(&self) {
        use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
        describe_counter!(
            TASKS_ENQUEUED_TOTAL,
            Unit::Count,
            "Jobs admitted to the queue"
        );
        describe_counter!(TASKS_STARTED_TOTAL, Unit::Count, "Jobs taken by a worker");
        describe_counter!(
            TASKS_CANCELED_TOTAL,
            Unit::Count,
            "Jobs canceled while queued"
        );
        describe_counter!(
            TASKS_EVICTED_TOTAL,
            Unit::Count,
            "Jobs evicted by a drop-lru enqueue"
        );
        describe_counter!(
            TASKS_REJECTED_TOTAL,
            Unit::Count,
            "Enqueues refused, by reason"
        );
        describe_gauge!(QUEUE_DEPTH, Unit::Count, "Live jobs in the queue");
        describe_histogram!(
            ADMISSION_LATENCY_MS,
            Unit::Milliseconds,
            "Time a started job waited in the queue"
        );
    }

    /// Publishes `stats` (a snapshot of the queue this exporter follows).
    pub fn publish(&mut self, stats: &QueueStats) {
        for priority in Priority::ALL {
            let lane = stats.priority(priority);
            let labels = self.labels_for(priority, None);
            metrics::counter!(TASKS_ENQUEUED_TOTAL, labels.iter()).absolute(lane.enqueued);
            metrics::counter!(TASKS_STARTED_TOTAL, labels.iter()).absolute(lane.dequeued);
            metrics::counter!(TASKS_CANCELED_TOTAL, labels.iter()).absolute(lane.canceled);
            metrics::counter!(TASKS_EVICTED_TOTAL, labels.iter()).absolute(lane.evicted);
            for kind in EnqueueErrorKind::ALL {
                let labels = self.labels_for(priority, Some(kind.as_str()));
                metrics::counter!(TASKS_REJECTED_TOTAL, labels.iter())
                    .absolute(lane.rejected.of(kind));
            }
            metrics::gauge!(QUEUE_DEPTH, labels.iter()).set(lane.depth as f64);

            let fresh = self
                .published_waits
                .as_ref()
                .and_then(|published| lane.wait.buckets_since(&published[priority.index()]))
                .unwrap_or_else(|| lane.wait.buckets().collect());
            let latency = metrics::histogram!(ADMISSION_LATENCY_MS, labels.iter());
            for (wait, count) in fresh {
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                latency.record_many(wait.as_secs_f64() * 1_000.0, count);
            }
        }
        self.published_waits = Some([stats.interactive.wait.clone(), stats.batch.wait.clone()]);
    }

    fn labels_for(&self, priority: Priority, reason: Option<&'static str>) -> Vec<Label> {
        let mut labels: Vec<Label> = self
            .labels
            .iter()
            .map(|(key, value)| Label::new(key.clone(), value.clone()))
            .collect();
        labels.push(Label::new("priority", priority.as_str()));
        if let Some(reason) = reason {
            labels.push(Label::new("reason", reason));
        }
        labels
    }
}
