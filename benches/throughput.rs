//! Queue throughput against the anchors: items per second through a
//! queue of capacity 1 024, with 1 producer / 1 worker and 2 producers / 2 workers, with
//! 0 % and with 10 % of the jobs canceled by a third thread.
//!
//! Every implementation runs the same harness behind the small [`BenchQueue`] trait:
//!
//! | id                    | what                                                        | workers wait by |
//! |-----------------------|-------------------------------------------------------------|-----------------|
//! | `concurrent_blocking` | `ConcurrentQueue` (ours)                                    | `dequeue_timeout(10 ms)` |
//! | `concurrent_yield`    | `ConcurrentQueue` (ours)                                    | `try_dequeue` + `yield_now` |
//! | `mutex_condvar`       | `parking_lot::Mutex<InMemoryQueue>` + `parking_lot::Condvar` (what a user writes without us) | `Condvar::wait_for(10 ms)` |
//! | `mutex_yield`         | `parking_lot::Mutex<InMemoryQueue>`                         | `try` + `yield_now` |
//! | `lean_condvar`        | the twenty-line queue a user writes: `parking_lot::Mutex` around two `VecDeque` lanes of `(id, seq)` and a foldhash `HashMap` id -> seq, lazy cancel, no stats, no clock; + `Condvar` | `Condvar::wait_for(10 ms)` |
//! | `lean_yield`          | the same twenty-line queue                                  | `try` + `yield_now` |
//! | `array_queue`         | raw `crossbeam_queue::ArrayQueue<u64>` (capacity 1 024): speed limit, no priority, no cancel | `try` + `yield_now` |
//! | `segqueue_pair`       | two raw `SegQueue<u64>` lanes (Interactive polled first) + a CAS-reserved bound of 1 024: speed limit, no cancel, no duplicate check | `try` + `yield_now` |
//!
//! The harness, per measured run: a fresh queue; `P` producers push distinct ids
//! (producer `p` pushes its own contiguous range of `0..JOBS`; 1 in 4 ids is
//! `Interactive`) and retry on a full queue with `yield_now`; `W` workers take jobs
//! until the producers are done and the queue is empty.
//!
//! The cancel variants add a third kind of thread, a client that changes its mind: it
//! owns 10 % of the ids (spread evenly over both priorities), and for each one it
//! admits the job (retrying on full like a producer) and cancels it right away. So
//! about 10 % of the jobs are canceled by a thread other than the worker, while the
//! producers and workers run, and the canceled job sits at the back of its lane (the
//! longest scan for the mutex queue). A worker that takes such a job in the moment
//! between admit and cancel wins the race; the bench prints the share really canceled.
//! For the anchors without cancel, the third thread admits its jobs and skips the
//! cancel (the workers then take them). The canceler admits the jobs it cancels
//! because a canceler that cancels ids other threads admitted rarely runs before a
//! worker has taken the job on 2 cores (0.1-1.7 % canceled instead of 10 %): it would
//! measure cancel misses, not cancels.
//!
//! Every job ends exactly once (dequeued or canceled): the harness checks
//! `dequeued + canceled == JOBS` after each run. Only wall time from the start signal
//! to the last thread's exit is measured (`iter_custom`); building the queue and
//! spawning the threads are not. `Throughput::Elements(JOBS)`, so criterion reports
//! items per second (canceled jobs count as moved).
//!
//! Producers and workers are pinned to CPUs by default (see [`pin`]; `BENCH_PIN=0` turns
//! it off).
//!
//! # Two reports
//!
//! 1. Criterion: one benchmark per configuration and contender, `throughput/<config>/<id>`
//!    (medians in `target/criterion/**/new/estimates.json`).
//! 2. The *paired* table, printed after the criterion benches: on these virtualised
//!    2-core machines the speed of cache-line transfers between the two vCPUs changes
//!    for seconds at a time (measured: the same benchmark at 0.8 and at 2.2 Melem/s in
//!    consecutive runs, pinned or not, with no steal time), so two criterion benchmarks
//!    run a few seconds apart can land in different regimes. The paired comparison runs
//!    every contender once per round, in an order rotated each round, 15 rounds (5 with
//!    `BENCH_QUICK=1`), and reports each contender's median and the median and range of
//!    the per-round throughput ratios that the goals are stated in. It is skipped with
//!    `BENCH_PAIRED=0`, with criterion's `--list`, `--test` or `--profile-time`, and when
//!    a filter is given that does not contain `paired` (`cargo bench --bench throughput
//!    -- paired` runs only the table).
//!
//! `BENCH_CONTENDERS=concurrent_blocking,mutex_condvar` runs only the named contenders
//! (both reports), and `BENCH_ROUNDS=n` sets the number of paired rounds;
//! `benches/stats_overhead.sh` uses both to compare builds with and without the `stats`
//! feature.
//!
//! Run: `cargo bench --bench throughput`. `BENCH_QUICK=1` shrinks the job count (20 000
//! per run instead of 100 000) and the sampling (0.3 s warm-up, 0.7 s measurement per
//! benchmark instead of 1 s and 3 s); criterion's `-- --quick` also works.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::hint::black_box;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;
use std::time::Instant;

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use crossbeam_queue::{ArrayQueue, SegQueue};
use crossbeam_utils::CachePadded;
use orchestrator_core::queue::{ConcurrentQueue, InMemoryQueue, Policy, Priority};
use parking_lot::{Condvar, Mutex};

#[path = "support/quick_mode.rs"]
mod quick_mode;
use quick_mode::quick;

const CAPACITY: usize = 1024;
/// How long a blocking worker sleeps at most before it looks at the harness again (the
/// harness wakes it at the end anyway: `close()` or `notify_all`).
const BLOCK_TIMEOUT: Duration = Duration::from_millis(10);

/// Pin the producers and workers to CPUs (`BENCH_PIN=0`: let the scheduler place them).
///
/// Producer `p` runs on CPU `p mod n`, worker `w` on CPU `(w + 1) mod n`: with 2 CPUs,
/// 1P1C puts the producer and the worker on different CPUs and 2P2C puts one producer
/// and one worker on each; the canceller floats. Unpinned, the scheduler sometimes
/// keeps a producer and a worker on one CPU for seconds, and the yield-waiting variants
/// then run in a different regime (a core handing batches back and forth by
/// `yield_now`, no cache-line transfers): the same benchmark moved between modes 2-3x
/// apart from run to run.
fn pin() -> bool {
    std::env::var_os("BENCH_PIN").is_none_or(|v| v != "0")
}

/// Binds the calling thread to `cpu` (best effort; Linux only).
#[cfg(target_os = "linux")]
fn pin_to_cpu(cpu: usize) {
    extern "C" {
        // glibc: int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)
        fn sched_setaffinity(pid: i32, cpusetsize: usize, mask: *const u64) -> i32;
    }
    let mut mask = [0u64; 16]; // a cpu_set_t: 1 024 bits
    if cpu >= 64 * mask.len() {
        return;
    }
    mask[cpu / 64] |= 1 << (cpu % 64);
    // SAFETY: pid 0 is the calling thread; `mask` is a valid, initialized 128-byte
    // cpu_set_t that outlives the call, and the size passed is its size.
    let rc = unsafe { sched_setaffinity(0, std::mem::size_of_val(&mask), mask.as_ptr()) };
    // Best effort: a CPU we may not use leaves the thread where it was.
    let _ = rc;
}

#[cfg(not(target_os = "linux"))]
fn pin_to_cpu(_cpu: usize) {}

/// Jobs moved through the queue per measured run.
fn jobs() -> u64 {
    if quick() {
        20_000
    } else {
        100_000
    }
}

/// Interactive for 1 id in 4.
fn priority_of(id: u64) -> Priority {
    if id.is_multiple_of(4) {
        Priority::Interactive
    } else {
        Priority::Batch
    }
}

/// 10 % of the ids, spread evenly over both priorities (`id / 4` picks the block of
/// four consecutive ids, one of which is `Interactive`).
fn canceled_id(id: u64) -> bool {
    (id / 4) % 10 == 3
}

/// What the harness needs from a queue.
trait BenchQueue: Send + Sync {
    /// Admits `id`; `false` if the queue is full (the producer yields and retries).
    fn push(&self, id: u64, priority: Priority) -> bool;
    /// Takes a job without waiting.
    fn pop(&self) -> Option<u64>;
    /// Takes a job, sleeping a short while if there is none. Only the blocking variants
    /// implement it; `finished` is the harness's "producers are done" flag.
    fn pop_blocking(&self, finished: &AtomicBool) -> Option<u64> {
        let _ = finished;
        self.pop()
    }
    /// Cancels `id` if it is live; anchors without cancel return `false` (skip).
    fn cancel(&self, id: u64) -> bool;
    /// Called once the producers are done and `finished` is set: wake sleeping workers.
    fn finish(&self) {}
}

// ---------------------------------------------------------------------------------
// The implementations.

struct Ours(ConcurrentQueue);

impl BenchQueue for Ours {
    fn push(&self, id: u64, priority: Priority) -> bool {
        match self.0.enqueue(id, priority) {
            Ok(_) => true,
            Err(err) if err.is_full() => false,
            Err(err) => panic!("enqueue of {id}: {:?}", err.kind()),
        }
    }

    fn pop(&self) -> Option<u64> {
        self.0.try_dequeue().ok().map(|job| job.id)
    }

    fn pop_blocking(&self, _finished: &AtomicBool) -> Option<u64> {
        // Timed out or closed: the harness looks at its own finish flag.
        self.0.dequeue_timeout(BLOCK_TIMEOUT).ok().map(|job| job.id)
    }

    fn cancel(&self, id: u64) -> bool {
        self.0.cancel(&id).is_some()
    }

    fn finish(&self) {
        // Workers drain what is left, then see `Closed`.
        self.0.close();
    }
}

/// What a user writes without us: the reference queue behind a lock.
struct Locked {
    queue: Mutex<InMemoryQueue>,
    ready: Condvar,
}

impl BenchQueue for Locked {
    fn push(&self, id: u64, priority: Priority) -> bool {
        let admitted = match self.queue.lock().enqueue(id, priority) {
            Ok(_) => true,
            Err(err) if err.is_full() => false,
            Err(err) => panic!("enqueue of {id}: {:?}", err.kind()),
        };
        if admitted {
            // With nobody waiting this is one atomic load.
            self.ready.notify_one();
        }
        admitted
    }

    fn pop(&self) -> Option<u64> {
        self.queue.lock().try_dequeue().ok().map(|job| job.id)
    }

    fn pop_blocking(&self, finished: &AtomicBool) -> Option<u64> {
        let mut queue = self.queue.lock();
        if let Ok(job) = queue.try_dequeue() {
            return Some(job.id);
        }
        // Checked under the lock, and `finish` takes the lock before it notifies: no
        // lost wake-up at the end.
        if finished.load(Ordering::Acquire) {
            return None;
        }
        let _ = self.ready.wait_for(&mut queue, BLOCK_TIMEOUT);
        queue.try_dequeue().ok().map(|job| job.id)
    }

    fn cancel(&self, id: u64) -> bool {
        self.queue.lock().cancel(&id).is_some()
    }

    fn finish(&self) {
        drop(self.queue.lock());
        self.ready.notify_all();
    }
}

/// The queue a user writes in twenty lines when O(1) cancel and duplicate refusal are
/// needed: two FIFO lanes of `(id, seq)` and a map from each live id to the sequence
/// number of its entry. Cancel removes the id from the map; the lane entry stays until
/// a pop reaches it and finds the id gone or re-admitted under a newer sequence number
/// (lazy cancel). No stats, no clock, no eviction.
#[derive(Default)]
struct LeanState {
    lanes: [VecDeque<(u64, u64)>; 2],
    live: HashMap<u64, u64, foldhash::fast::RandomState>,
    seq: u64,
}

impl LeanState {
    fn push(&mut self, id: u64, priority: Priority) -> bool {
        if self.live.len() >= CAPACITY || self.live.contains_key(&id) {
            return false;
        }
        self.seq += 1;
        self.live.insert(id, self.seq);
        self.lanes[priority.index()].push_back((id, self.seq));
        true
    }

    fn pop(&mut self) -> Option<u64> {
        for lane in &mut self.lanes {
            while let Some((id, seq)) = lane.pop_front() {
                if self.live.get(&id) == Some(&seq) {
                    self.live.remove(&id);
                    return Some(id);
                }
            }
        }
        None
    }
}

struct Lean {
    state: Mutex<LeanState>,
    ready: Condvar,
}

impl BenchQueue for Lean {
    fn push(&self, id: u64, priority: Priority) -> bool {
        let admitted = self.state.lock().push(id, priority);
        if admitted {
            self.ready.notify_one();
        }
        admitted
    }

    fn pop(&self) -> Option<u64> {
        self.state.lock().pop()
    }

    fn pop_blocking(&self, finished: &AtomicBool) -> Option<u64> {
        let mut state = self.state.lock();
        if let Some(id) = state.pop() {
            return Some(id);
        }
        if finished.load(Ordering::Acquire) {
            return None;
        }
        let _ = self.ready.wait_for(&mut state, BLOCK_TIMEOUT);
        state.pop()
    }

    fn cancel(&self, id: u64) -> bool {
        self.state.lock().live.remove(&id).is_some()
    }

    fn finish(&self) {
        drop(self.state.lock());
        self.ready.notify_all();
    }
}

/// Speed limit: one bounded array queue; no priority, no cancel.
struct Array(ArrayQueue<u64>);

impl BenchQueue for Array {
    fn push(&self, id: u64, _priority: Priority) -> bool {
        self.0.push(id).is_ok()
    }

    fn pop(&self) -> Option<u64> {
        self.0.pop()
    }

    fn cancel(&self, _id: u64) -> bool {
        false
    }
}

/// Speed limit: the lanes of our queue with nothing else of ours: one `SegQueue` per
/// priority (Interactive polled first) and a CAS-reserved bound, as in
/// `ConcurrentQueue`. No slot protocol, no id index, no cancel, no duplicate check.
struct SegPair {
    lanes: [SegQueue<u64>; 2],
    len: CachePadded<AtomicUsize>,
}

impl BenchQueue for SegPair {
    fn push(&self, id: u64, priority: Priority) -> bool {
        let mut len = self.len.load(Ordering::Relaxed);
        loop {
            if len >= CAPACITY {
                return false;
            }
            match self
                .len
                .compare_exchange(len, len + 1, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => len = actual,
            }
        }
        self.lanes[priority.index()].push(id);
        true
    }

    fn pop(&self) -> Option<u64> {
        for lane in &self.lanes {
            if let Some(id) = lane.pop() {
                self.len.fetch_sub(1, Ordering::Relaxed);
                return Some(id);
            }
        }
        None
    }

    fn cancel(&self, _id: u64) -> bool {
        false
    }
}

// ---------------------------------------------------------------------------------
// The harness.

#[derive(Copy, Clone, PartialEq, Eq)]
enum Wait {
    /// The queue's own sleep (`pop_blocking`).
    Block,
    /// `pop`, and `yield_now` when there is nothing.
    Yield,
}

#[derive(Copy, Clone)]
struct Shape {
    producers: u64,
    workers: usize,
    cancel: bool,
}

/// Pushes `ids`, skipping those owned by the canceller when there is one.
fn producer<Q: BenchQueue>(queue: &Q, ids: Range<u64>, skip_canceled: bool) {
    for id in ids {
        if skip_canceled && canceled_id(id) {
            continue;
        }
        push(queue, id);
    }
}

fn push<Q: BenchQueue>(queue: &Q, id: u64) {
    let priority = priority_of(id);
    while !queue.push(id, priority) {
        thread::yield_now();
    }
}

/// Returns the number of jobs this worker took.
fn worker<Q: BenchQueue>(queue: &Q, wait: Wait, finished: &AtomicBool) -> u64 {
    let mut taken = 0;
    loop {
        let job = match wait {
            Wait::Block => queue.pop_blocking(finished),
            Wait::Yield => queue.pop(),
        };
        match job {
            Some(id) => {
                black_box(id);
                taken += 1;
            }
            None => {
                if finished.load(Ordering::Acquire) {
                    // Every push returned before the flag was set: empty now is empty
                    // for good.
                    match queue.pop() {
                        Some(id) => {
                            black_box(id);
                            taken += 1;
                            continue;
                        }
                        None => return taken,
                    }
                }
                if wait == Wait::Yield {
                    thread::yield_now();
                }
            }
        }
    }
}

/// Admits and cancels its own ids (see the module docs); returns the successful
/// cancels.
fn canceller<Q: BenchQueue>(queue: &Q, jobs: u64) -> u64 {
    let mut canceled = 0;
    for id in (0..jobs).filter(|&id| canceled_id(id)) {
        push(queue, id);
        canceled += u64::from(queue.cancel(id));
    }
    canceled
}

/// One measured run on a fresh queue: (wall time, jobs canceled).
fn run_once<Q: BenchQueue>(queue: &Q, shape: Shape, wait: Wait, jobs: u64) -> (Duration, u64) {
    let finished = &AtomicBool::new(false);
    let go = AtomicBool::new(false);
    let ready = AtomicUsize::new(0);
    let threads = shape.producers as usize + shape.workers + usize::from(shape.cancel);
    let pinned = pin();
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    let start_line = |cpu: Option<usize>| {
        if let (true, Some(cpu)) = (pinned, cpu) {
            pin_to_cpu(cpu % cpus);
        }
        ready.fetch_add(1, Ordering::AcqRel);
        while !go.load(Ordering::Acquire) {
            thread::yield_now();
        }
    };

    let start_line = &start_line;
    thread::scope(|s| {
        let per_producer = jobs / shape.producers;
        let producers: Vec<_> = (0..shape.producers)
            .map(|p| {
                let first = p * per_producer;
                let last = if p + 1 == shape.producers {
                    jobs
                } else {
                    first + per_producer
                };
                s.spawn(move || {
                    start_line(Some(p as usize));
                    producer(queue, first..last, shape.cancel)
                })
            })
            .collect();
        let workers: Vec<_> = (0..shape.workers)
            .map(|w| {
                s.spawn(move || {
                    start_line(Some(w + 1));
                    worker(queue, wait, finished)
                })
            })
            .collect();
        let cancel = shape.cancel.then(|| {
            s.spawn(move || {
                start_line(None);
                canceller(queue, jobs)
            })
        });

        while ready.load(Ordering::Acquire) < threads {
            thread::yield_now();
        }
        let start = Instant::now();
        go.store(true, Ordering::Release);
        for p in producers {
            p.join().unwrap();
        }
        // The canceller admits jobs too: every push must have returned before
        // `finished` is set.
        let canceled = cancel.map_or(0, |c| c.join().unwrap());
        finished.store(true, Ordering::Release);
        queue.finish();
        let taken: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        let elapsed = start.elapsed();
        assert_eq!(taken + canceled, jobs, "a job was lost or served twice");
        (elapsed, canceled)
    })
}

/// One implementation with its waiting strategy; `run` builds a fresh queue and
/// measures one run on it.
struct Contender {
    name: &'static str,
    run: Box<dyn Fn(Shape, u64) -> (Duration, u64)>,
}

fn contender<Q: BenchQueue + 'static>(
    name: &'static str,
    wait: Wait,
    make: fn() -> Q,
) -> Contender {
    Contender {
        name,
        run: Box::new(move |shape, jobs| run_once(&make(), shape, wait, jobs)),
    }
}

/// Every contender, or those named in `BENCH_CONTENDERS` (comma-separated ids).
fn contenders() -> Vec<Contender> {
    let all = vec![
        contender("concurrent_blocking", Wait::Block, ours),
        contender("concurrent_yield", Wait::Yield, ours),
        contender("mutex_condvar", Wait::Block, locked),
        contender("mutex_yield", Wait::Yield, locked),
        contender("lean_condvar", Wait::Block, lean),
        contender("lean_yield", Wait::Yield, lean),
        contender("array_queue", Wait::Yield, array),
        contender("segqueue_pair", Wait::Yield, seg_pair),
    ];
    match std::env::var("BENCH_CONTENDERS") {
        Ok(names) if !names.is_empty() => {
            let names: Vec<&str> = names.split(',').map(str::trim).collect();
            all.into_iter()
                .filter(|c| names.contains(&c.name))
                .collect()
        }
        _ => all,
    }
}

fn ours() -> Ours {
    Ours(ConcurrentQueue::with_capacity_policy(
        CAPACITY,
        Policy::Reject,
    ))
}

fn locked() -> Locked {
    let queue = InMemoryQueue::with_capacity_policy(CAPACITY, Policy::Reject);
    Locked {
        queue: Mutex::new(queue),
        ready: Condvar::new(),
    }
}

fn lean() -> Lean {
    Lean {
        state: Mutex::new(LeanState::default()),
        ready: Condvar::new(),
    }
}

fn array() -> Array {
    Array(ArrayQueue::new(CAPACITY))
}

fn seg_pair() -> SegPair {
    SegPair {
        lanes: [SegQueue::new(), SegQueue::new()],
        len: CachePadded::new(AtomicUsize::new(0)),
    }
}

/// The four configurations: (name, shape).
fn shapes() -> Vec<(String, Shape)> {
    let mut shapes = Vec::new();
    for (name, producers, workers) in [("1p1c", 1, 1), ("2p2c", 2, 2)] {
        for cancel in [false, true] {
            let pct = if cancel { 10 } else { 0 };
            let shape = Shape {
                producers,
                workers,
                cancel,
            };
            shapes.push((format!("{name}/cancel{pct}"), shape));
        }
    }
    shapes
}

fn bench_throughput(c: &mut Criterion) {
    let jobs = jobs();
    let contenders = contenders();
    for (config, shape) in shapes() {
        let mut group = c.benchmark_group(format!("throughput/{config}"));
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(jobs));
        for contender in &contenders {
            let runs = Cell::new(0u64);
            let canceled = Cell::new(0u64);
            group.bench_function(contender.name, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (elapsed, n) = (contender.run)(shape, jobs);
                        total += elapsed;
                        runs.set(runs.get() + 1);
                        canceled.set(canceled.get() + n);
                    }
                    total
                })
            });
            if shape.cancel && runs.get() > 0 {
                let share = canceled.get() as f64 / (runs.get() * jobs) as f64;
                eprintln!(
                    "    {}: {:.1} % of the jobs were canceled (10 % asked)",
                    contender.name,
                    share * 100.0
                );
            }
        }
        group.finish();
    }
}

/// The interleaved comparison (see the module docs): `rounds` rounds, each running
/// every contender once on every configuration, in an order rotated per round; prints
/// each contender's median throughput and the median (min-max) of the per-round ratios
/// that the goals are stated in.
fn paired(rounds: usize) {
    let jobs = jobs();
    let contenders = contenders();
    let ratios: [(&str, &str); 8] = [
        ("concurrent_blocking", "mutex_condvar"),
        ("concurrent_yield", "mutex_yield"),
        ("concurrent_blocking", "lean_condvar"),
        ("concurrent_yield", "lean_yield"),
        ("concurrent_blocking", "mutex_yield"),
        ("concurrent_yield", "segqueue_pair"),
        ("concurrent_yield", "array_queue"),
        ("segqueue_pair", "mutex_yield"),
    ];
    println!(
        "\npaired: {rounds} interleaved rounds of {jobs} jobs per contender and configuration, pinned: {}",
        pin()
    );
    for (config, shape) in shapes() {
        // seconds[contender][round]
        let mut seconds = vec![Vec::with_capacity(rounds); contenders.len()];
        for round in 0..rounds {
            for k in 0..contenders.len() {
                let i = (k + round) % contenders.len();
                let (elapsed, _) = (contenders[i].run)(shape, jobs);
                seconds[i].push(elapsed.as_secs_f64());
            }
        }
        println!("\n| {config} | median Melem/s | min-max |\n|---|---|---|");
        for (contender, times) in contenders.iter().zip(&seconds) {
            let rates: Vec<f64> = times.iter().map(|t| jobs as f64 / t / 1e6).collect();
            let (median, low, high) = summary(rates);
            println!("| {} | {median:.2} | {low:.2}-{high:.2} |", contender.name);
        }
        println!("\n| {config} ratio (throughput) | median | min-max |\n|---|---|---|");
        for (ours, anchor) in ratios {
            let at = |name: &str| contenders.iter().position(|c| c.name == name);
            let (Some(a), Some(b)) = (at(ours), at(anchor)) else {
                continue; // a contender left out by BENCH_CONTENDERS
            };
            let (a, b) = (&seconds[a], &seconds[b]);
            let per_round: Vec<f64> = a.iter().zip(b).map(|(ta, tb)| tb / ta).collect();
            let (median, low, high) = summary(per_round);
            println!("| {ours} / {anchor} | {median:.2}x | {low:.2}-{high:.2} |");
        }
    }
}

/// (median, min, max).
fn summary(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (median, values[0], values[n - 1])
}

/// Runs the interleaved comparison after the criterion benches unless it is turned off
/// (`BENCH_PAIRED=0`), criterion only lists or tests, or a filter that does not mention
/// `paired` was given.
fn paired_if_asked() {
    if std::env::var_os("BENCH_PAIRED").is_some_and(|v| v == "0") {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let skip_flags = ["--list", "--test", "--profile-time"];
    if args.iter().any(|a| skip_flags.contains(&a.as_str())) {
        return;
    }
    let free: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !free.is_empty() && !free.iter().any(|a| a.contains("paired")) {
        return;
    }
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if quick() { 5 } else { 15 });
    paired(rounds);
}

fn config() -> Criterion {
    quick_mode::timed(Criterion::default().sample_size(10))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_throughput
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    paired_if_asked();
}
