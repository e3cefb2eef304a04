//! How a daemon exposes the queue's stats: the ORCH-3406 metrics in the Prometheus text
//! format, and a `429` with `Retry-After` for refused jobs (ORCH-2007).
//!
//! A front end submits jobs faster than one worker serves them; a ticker publishes the
//! stats every 50 ms and feeds the service rate to the backpressure estimator; at the
//! end the example prints what a `/metrics` scrape would return. A real daemon serves
//! `handle.render()` from its HTTP `/metrics` route (or lets the exporter's own
//! listener do it) and answers each refusal with the advice.
//!
//! Run it with `cargo run --release --example metrics_prometheus --features metrics`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusBuilder;
use orchestrator_core::backpressure::Backpressure;
use orchestrator_core::queue::{ConcurrentQueue, Policy, Priority};
use orchestrator_core::stats::MetricsExporter;

fn main() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_err() {
        eprintln!("a metrics recorder was already installed");
        std::process::exit(1);
    }

    let queue = Arc::new(ConcurrentQueue::<String>::with_capacity_policy(
        16,
        Policy::Reject,
    ));
    let backpressure = Arc::new(Mutex::new(Backpressure::new(queue.policy())));
    let done = Arc::new(AtomicBool::new(false));

    // One slow GPU worker: 2 ms per job.
    let worker = {
        let queue = Arc::clone(&queue);
        // Serves until the queue is closed and drained.
        thread::spawn(move || {
            while let Ok(_job) = queue.dequeue_blocking() {
                thread::sleep(Duration::from_millis(2));
            }
        })
    };

    // The ticker: publish the metrics and feed the service rate.
    let ticker = {
        let (queue, backpressure, done) = (
            Arc::clone(&queue),
            Arc::clone(&backpressure),
            Arc::clone(&done),
        );
        thread::spawn(move || {
            let mut exporter = MetricsExporter::new().with_label("queue", "chat");
            exporter.describe();
            loop {
                let stats = queue.stats();
                exporter.publish(&stats);
                if let Ok(mut backpressure) = backpressure.lock() {
                    backpressure.observe(Instant::now(), stats.dequeued());
                }
                if done.load(Ordering::Acquire) {
                    return;
                }
                thread::sleep(Duration::from_millis(50));
            }
        })
    };

    // The front end: 400 submissions, one every 0.5 ms (about four times the service
    // rate), so the queue fills up and refuses some.
    let mut first_refusal = None;
    for id in 0..400u64 {
        let priority = if id % 4 == 0 {
            Priority::Interactive
        } else {
            Priority::Batch
        };
        if let Err(err) = queue.enqueue_item(id, priority, format!("prompt {id}")) {
            let advice = backpressure
                .lock()
                .map(|b| b.advise(err.kind(), queue.len()))
                .ok();
            if first_refusal.is_none() && id > 200 {
                first_refusal = Some((id, err.kind(), advice));
            }
        }
        thread::sleep(Duration::from_micros(500));
    }
    queue.close();
    let _ = worker.join();
    done.store(true, Ordering::Release);
    let _ = ticker.join();

    if let Some((id, kind, Some(advice))) = first_refusal {
        println!("job {id} refused ({kind}): HTTP 429");
        println!(
            "  {{policy_label: {:?}, retriable: {}, retry_after_ms: {:?}}}, Retry-After: {:?} s",
            advice.policy_label,
            advice.retriable,
            advice.retry_after_ms,
            advice.retry_after_secs()
        );
    }
    println!("\nGET /metrics (the queue's series):\n");
    for line in handle.render().lines() {
        let ours = ["tasks_", "queue_depth", "admission_latency_ms"]
            .iter()
            .any(|name| line.trim_start_matches("# TYPE ").starts_with(name));
        if ours {
            println!("{line}");
        }
    }
}
