//! Enqueue-to-dequeue latency of a server-shaped load: `P` front-end threads submit jobs
//! at a fixed offered load, well below saturation, while `W` workers sleep in the
//! queue's blocking dequeue, with `P + W` from 2 to 16 threads on the machine (on 2
//! cores that oversubscribes it, as a busy server is).
//!
//! | id               | what                                                           | workers wait in |
//! |------------------|----------------------------------------------------------------|-----------------|
//! | `concurrent`     | `ConcurrentQueue` (ours)                                       | `dequeue_blocking()` |
//! | `concurrent_polling` | `ConcurrentQueue` with a poll budget of 1 ms (`with_poll_budget`) | `dequeue_blocking()` |
//! | `mutex_condvar`  | `parking_lot::Mutex<InMemoryQueue>` + `parking_lot::Condvar`   | `Condvar::wait` |
//! | `mutex_polling`  | the same, its workers trying the queue (`yield_now` between tries) for the same budget before they wait | `Condvar::wait` |
//!
//! Each job's payload is the `Instant` read just before its enqueue; the worker reads
//! the clock right after its dequeue returns, so the latency includes the enqueue, the
//! wake-up of a sleeping worker and the dequeue. Each front end sends its share of the
//! load on a fixed schedule (job `k` at `start + k * period`, sleeping in between; a
//! front end that falls behind sends at once), so the offered load does not depend on
//! how fast the queue is. The queue (capacity 1 024, `Reject`) is never full at these
//! loads; a refused job would be counted and retried.
//!
//! The `cores busy` column is the CPU time the run used (all threads, the harness's
//! own included) per second of wall time, averaged over the rounds: what polling
//! costs.
//!
//! Rounds are interleaved: each round runs every contender once on every
//! configuration, in an order rotated per round, so both contenders see the same
//! machine conditions. The table reports, per configuration and contender, the p50,
//! p99, p99.9 and max over all rounds' samples, and the ratios ours / mutex of each
//! (lower is better for ours): each of ours against the mutex queue as users write it
//! (`mutex_condvar`), and the polling pair against each other.
//!
//! Run: `cargo bench --bench latency`. `BENCH_QUICK=1`: 3 rounds of 0.5 s instead of
//! 7 rounds of 1 s. `BENCH_RATE=n` sets the offered load in jobs per second (default
//! 20 000, spread over the front ends). `BENCH_POLL_US=n` sets the polling contenders'
//! budget (default 1 ms). `BENCH_SHAPES=8x8,4x4` runs only those front-end x worker
//! configurations (default `1x1,2x2,4x4,8x8`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use orchestrator_core::queue::{ConcurrentQueue, InMemoryQueue, Policy, Priority, TryDequeueError};
use parking_lot::{Condvar, Mutex};

#[path = "support/quick_mode.rs"]
#[allow(dead_code)] // `timed` is for the criterion benches
mod quick_mode;
use quick_mode::quick;

const CAPACITY: usize = 1024;

/// What the harness needs from a queue: submit a timestamped job, wait for one, close.
trait LatencyQueue: Send + Sync {
    /// Admits job `id` stamped `sent`; `false` if the queue is full.
    fn submit(&self, id: u64, priority: Priority, sent: Instant) -> bool;
    /// Sleeps until a job arrives (its stamp) or the queue is closed and drained (`None`).
    fn take(&self) -> Option<Instant>;
    fn close(&self);
}

impl LatencyQueue for ConcurrentQueue<Instant> {
    fn submit(&self, id: u64, priority: Priority, sent: Instant) -> bool {
        match self.enqueue_item(id, priority, sent) {
            Ok(admitted) => {
                assert!(admitted.evicted.is_none(), "a Reject queue never evicts");
                true
            }
            Err(err) if err.is_full() => false,
            Err(err) => panic!("enqueue of {id}: {err}"),
        }
    }

    fn take(&self) -> Option<Instant> {
        self.dequeue_blocking().ok().map(|job| job.item)
    }

    fn close(&self) {
        ConcurrentQueue::close(self);
    }
}

/// What a user writes without us: the reference queue behind a lock, and a condition
/// variable the workers sleep on (after polling for `poll_budget`, when it is not zero).
struct Locked {
    queue: Mutex<InMemoryQueue<Instant>>,
    ready: Condvar,
    poll_budget: Duration,
}

impl LatencyQueue for Locked {
    fn submit(&self, id: u64, priority: Priority, sent: Instant) -> bool {
        let admitted = match self.queue.lock().enqueue_item(id, priority, sent) {
            Ok(admitted) => {
                assert!(admitted.evicted.is_none(), "a Reject queue never evicts");
                true
            }
            Err(err) if err.is_full() => false,
            Err(err) => panic!("enqueue of {id}: {err}"),
        };
        if admitted {
            self.ready.notify_one();
        }
        admitted
    }

    fn take(&self) -> Option<Instant> {
        if !self.poll_budget.is_zero() {
            let stop = Instant::now() + self.poll_budget;
            loop {
                match self.queue.lock().try_dequeue() {
                    Ok(job) => return Some(job.item),
                    Err(TryDequeueError::Empty) => {}
                    Err(_) => return None,
                }
                if Instant::now() >= stop {
                    break;
                }
                thread::yield_now();
            }
        }
        let mut queue = self.queue.lock();
        loop {
            match queue.try_dequeue() {
                Ok(job) => return Some(job.item),
                Err(TryDequeueError::Empty) => {
                    self.ready.wait(&mut queue);
                }
                Err(_) => return None,
            }
        }
    }

    fn close(&self) {
        self.queue.lock().close();
        self.ready.notify_all();
    }
}

#[derive(Copy, Clone)]
struct Shape {
    front_ends: u64,
    workers: usize,
}

/// One run: every front end sends `rate / front_ends` jobs per second for `duration`;
/// returns every job's latency in nanoseconds and the number of refusals.
fn run_once(
    queue: Arc<dyn LatencyQueue>,
    shape: Shape,
    rate: u64,
    duration: Duration,
) -> (Vec<u64>, u64) {
    let per_front_end = (rate / shape.front_ends).max(1);
    let period = Duration::from_nanos(1_000_000_000 / per_front_end);
    let jobs_each = (duration.as_secs_f64() * per_front_end as f64) as u64;
    let refused = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..shape.workers)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut latencies = Vec::new();
                while let Some(sent) = queue.take() {
                    latencies.push(sent.elapsed().as_nanos() as u64);
                }
                latencies
            })
        })
        .collect();
    let start = Instant::now() + Duration::from_millis(5);
    let front_ends: Vec<_> = (0..shape.front_ends)
        .map(|f| {
            let (queue, refused) = (Arc::clone(&queue), Arc::clone(&refused));
            thread::spawn(move || {
                // Stagger the front ends over one period.
                let offset = period * f as u32 / shape.front_ends as u32;
                for k in 0..jobs_each {
                    let due = start + offset + period * k as u32;
                    let now = Instant::now();
                    if due > now {
                        thread::sleep(due - now);
                    }
                    let id = f << 40 | k;
                    let priority = if k % 4 == 0 {
                        Priority::Interactive
                    } else {
                        Priority::Batch
                    };
                    while !queue.submit(id, priority, Instant::now()) {
                        refused.fetch_add(1, Ordering::Relaxed);
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    for front_end in front_ends {
        front_end.join().unwrap();
    }
    queue.close();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.join().unwrap());
    }
    assert_eq!(
        latencies.len() as u64,
        jobs_each * shape.front_ends,
        "a job was lost or served twice"
    );
    (latencies, refused.load(Ordering::Relaxed))
}

type Make = fn() -> Arc<dyn LatencyQueue>;

/// The poll budget of the polling contenders: `BENCH_POLL_US` microseconds, 1 000 by
/// default.
fn poll_budget() -> Duration {
    Duration::from_micros(
        std::env::var("BENCH_POLL_US")
            .ok()
            .and_then(|us| us.parse().ok())
            .unwrap_or(1_000),
    )
}

fn concurrent(poll_budget: Duration) -> Arc<dyn LatencyQueue> {
    Arc::new(
        ConcurrentQueue::<Instant>::with_capacity_policy(CAPACITY, Policy::Reject)
            .with_poll_budget(poll_budget),
    )
}

fn locked(poll_budget: Duration) -> Arc<dyn LatencyQueue> {
    Arc::new(Locked {
        queue: Mutex::new(InMemoryQueue::with_capacity_policy(
            CAPACITY,
            Policy::Reject,
        )),
        ready: Condvar::new(),
        poll_budget,
    })
}

/// The contenders; the indices below name them in the ratio rows.
fn contenders() -> [(&'static str, Make); 4] {
    [
        ("concurrent", || concurrent(Duration::ZERO)),
        ("concurrent_polling", || concurrent(poll_budget())),
        ("mutex_condvar", || locked(Duration::ZERO)),
        ("mutex_polling", || locked(poll_budget())),
    ]
}

/// The ratio rows: (ours, mutex) contender indices.
const RATIOS: [(usize, usize); 3] = [(0, 2), (1, 2), (1, 3)];

/// CPU time this process has used so far (all threads, finished ones included), from
/// `/proc/self/stat` in ticks of 10 ms (Linux's `USER_HZ`); `None` elsewhere.
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The value at quantile `q` of sorted `samples` (nearest rank).
fn quantile(samples: &[u64], q: f64) -> u64 {
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}

fn micros(nanos: u64) -> String {
    format!("{:.1}", nanos as f64 / 1_000.0)
}

fn main() {
    // Cargo passes `--bench` (and criterion-style filters); this harness takes none.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let (rounds, duration) = if quick() {
        (3, Duration::from_millis(500))
    } else {
        (7, Duration::from_secs(1))
    };
    let rate: u64 = std::env::var("BENCH_RATE")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20_000);
    let shapes: Vec<Shape> = std::env::var("BENCH_SHAPES")
        .unwrap_or_else(|_| "1x1,2x2,4x4,8x8".to_owned())
        .split(',')
        .map(|shape| {
            let parsed = shape
                .split_once('x')
                .and_then(|(p, w)| Some((p.trim().parse().ok()?, w.trim().parse().ok()?)));
            let (front_ends, workers) =
                parsed.unwrap_or_else(|| panic!("BENCH_SHAPES: `{shape}` is not PxW"));
            assert!(
                front_ends > 0 && workers > 0,
                "BENCH_SHAPES: `{shape}` needs P, W > 0"
            );
            Shape {
                front_ends,
                workers,
            }
        })
        .collect();
    let contenders = contenders();
    println!(
        "latency: {rounds} interleaved rounds of {duration:?}, offered load {rate} jobs/s, capacity {CAPACITY}, poll budget {:?}, {} CPUs",
        poll_budget(),
        thread::available_parallelism().map_or(1, |n| n.get())
    );
    for &shape in &shapes {
        let mut samples = vec![Vec::new(); contenders.len()];
        let mut refused = vec![0u64; contenders.len()];
        // Cores kept busy (CPU seconds per second), summed over the rounds.
        let mut busy = vec![0f64; contenders.len()];
        for round in 0..rounds {
            for k in 0..contenders.len() {
                let i = (k + round) % contenders.len();
                let (cpu_before, wall_before) = (process_cpu_time(), Instant::now());
                let (latencies, n) = run_once((contenders[i].1)(), shape, rate, duration);
                if let (Some(before), Some(after)) = (cpu_before, process_cpu_time()) {
                    busy[i] += (after - before).as_secs_f64() / wall_before.elapsed().as_secs_f64();
                }
                samples[i].extend(latencies);
                refused[i] += n;
            }
        }
        for s in &mut samples {
            s.sort_unstable();
        }
        let quantiles = [0.5, 0.99, 0.999, 1.0];
        println!(
            "\n| {}P{}W (µs) | p50 | p99 | p99.9 | max | cores busy | jobs | refused |\n|---|---|---|---|---|---|---|---|",
            shape.front_ends, shape.workers
        );
        for (i, (name, _)) in contenders.iter().enumerate() {
            let q: Vec<String> = quantiles
                .iter()
                .map(|&q| micros(quantile(&samples[i], q)))
                .collect();
            println!(
                "| {name} | {} | {} | {} | {} | {:.2} | {} | {} |",
                q[0],
                q[1],
                q[2],
                q[3],
                busy[i] / rounds as f64,
                samples[i].len(),
                refused[i]
            );
        }
        for (ours, mutex) in RATIOS {
            let ratio: Vec<String> = quantiles
                .iter()
                .map(|&q| {
                    let a = quantile(&samples[ours], q) as f64;
                    let b = quantile(&samples[mutex], q) as f64;
                    format!("{:.2}x", a / b)
                })
                .collect();
            println!(
                "| {} / {} | {} | {} | {} | {} | | | |",
                contenders[ours].0, contenders[mutex].0, ratio[0], ratio[1], ratio[2], ratio[3]
            );
        }
    }
}
