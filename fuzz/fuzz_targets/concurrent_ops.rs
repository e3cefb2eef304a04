//! Fuzzing `ConcurrentQueue` under real concurrency: the exactly-once ledger of SPEC \[C2\].
//!
//! The input is a capacity, a policy, a thread count (2 or 3), an id mode and a list of
//! operations, each tagged with the thread that runs it. The threads start together (a
//! barrier) on one shared queue inside `std::thread::scope` and apply their own lists in
//! order; afterwards the main thread closes and drains the queue and drops it.
//!
//! The interleaving is up to the OS scheduler, so no result is compared with the model
//! (the order is undefined); what must hold for every interleaving is checked instead:
//! * \[C1\] each thread sees `len() <= capacity()` after each of its operations;
//! * \[C2\] every admitted job ends exactly once: dequeued by one thread, canceled,
//!   evicted (returned in `Admitted::evicted` of the enqueue that evicted it) or drained
//!   at the end; a refused job is handed back and ends nowhere; every payload (which counts its
//!   drops) is dropped exactly once, by whoever owns it;
//! * each job handed out (dequeued, canceled, evicted, refused) carries the id and
//!   priority it was enqueued with, and `cancel(id)` returns a job with that id;
//! * \[C3\] one consumer never gets two jobs of one producer and one priority out of the
//!   producer's order (the final drain counts as coming after every thread);
//! * \[C4\] and `Empty`: a dequeue by thread X returns neither `Batch` nor `Empty` while
//!   a job that X itself admitted earlier is provably live and in its lane for the whole
//!   call (X dequeues, cancels or evicts it later, or the final drain gets it; a job
//!   that another thread ends proves nothing, as its timing is unknown);
//! * \[Q7\] once a thread saw `TryDequeueError::Closed`, nothing is admitted any more;
//!   the final drain ends with `Closed`, not `Empty`, and leaves `len() == 0`;
//! * capacity 0 admits nothing; `Closed` refusals only when the input closes the queue.
//!
//! A failure may not reproduce on a rerun (the schedule differs); run the crash input a
//! few hundred times (`-runs=1000`) to reproduce it.

#![no_main]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Barrier;
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use orchestrator_core::queue::{
    ConcurrentQueue, DequeueTimeoutError, Dequeued, EnqueueErrorKind, Job, Policy, Priority,
    TryDequeueError,
};

#[path = "queue_choices.rs"]
mod queue_choices;
use queue_choices::{Capacity, PolicyChoice, Prio};

/// The queue's poll budget, for [`Op::DequeuePolling`] (the other ops never poll).
const POLL_BUDGET: Duration = Duration::from_micros(20);
/// The timeout of [`Op::DequeuePolling`]: longer than the budget, so that the call
/// polls, then sleeps.
const POLLING_TIMEOUT: Duration = Duration::from_micros(50);

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Enqueue {
        id: u8,
        prio: Prio,
    },
    TryDequeue,
    /// `dequeue_timeout(ZERO)`: `Timeout` is read as `Empty`.
    DequeueBlockingZero,
    Cancel {
        id: u8,
    },
    /// `contains`, `position`, a snapshot or `len`: only for the races (no assertion
    /// beyond "no panic": under concurrency they are a best-effort view).
    Peek {
        id: u8,
        what: u8,
    },
    Yield,
    /// `dequeue_timeout` of a few microseconds on the queue's poll budget: the worker
    /// polls, then may sleep briefly; `Timeout` is read as `Empty` (its last look found
    /// the queue empty).
    DequeuePolling,
    /// Closes the queue only when `gate >= 0xF8`, so that most inputs never close early.
    Close {
        gate: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Mostly 0..=8, sometimes 9..=24 (see [`Capacity`]).
    capacity: Capacity,
    policy: PolicyChoice,
    /// `true`: a third thread.
    three_threads: bool,
    /// `true`: every thread draws ids from one range `0..16` (cross-thread duplicates and
    /// cancels); `false`: thread `t` uses `16 t..16 t + 16`.
    shared_ids: bool,
    /// Each operation with the thread (tag modulo the thread count) that runs it.
    ops: Vec<(u8, Op)>,
}

/// A payload that counts its drops in the ledger.
struct Tracked<'a> {
    serial: u32,
    drops: &'a [AtomicU32],
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.drops[self.serial as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// The static facts of an enqueue operation (its serial is its index in `Input::ops`).
#[derive(Clone, Copy, Debug)]
struct Spec {
    thread: usize,
    id: u64,
    priority: Priority,
}

/// How a job ended, and where (thread, step within that thread; the drain is thread
/// `DRAIN` at step `usize::MAX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Dequeued,
    Canceled,
    Evicted,
    Drained,
}

const DRAIN: usize = usize::MAX;

#[derive(Debug)]
enum Event {
    Admitted { serial: u32 },
    Refused { serial: u32, kind: EnqueueErrorKind },
    Ended { serial: u32, how: End },
    DequeuedPriority { priority: Priority },
    Empty,
    Closed,
}

/// One thread's log: (its step index, event).
type Log = Vec<(usize, Event)>;

fn run_thread<'a>(
    thread: usize,
    ops: &[(u32, Op)],
    queue: &ConcurrentQueue<Tracked<'a>>,
    specs: &[Option<Spec>],
    drops: &'a [AtomicU32],
    shared_ids: bool,
    barrier: &Barrier,
) -> Log {
    let id_of = |raw: u8| -> u64 {
        let base = if shared_ids { 0 } else { 16 * thread as u64 };
        base + u64::from(raw % 16)
    };
    let mut log: Log = Vec::with_capacity(ops.len() * 2);
    let dequeued = |step: usize, log: &mut Log, job: Dequeued<Tracked<'a>>| {
        let serial = job.item.serial;
        let spec = specs[serial as usize].expect("dequeued a job never enqueued");
        assert_eq!(
            (job.id, job.priority),
            (spec.id, spec.priority),
            "dequeued job {serial}"
        );
        log.push((
            step,
            Event::Ended {
                serial,
                how: End::Dequeued,
            },
        ));
        log.push((
            step,
            Event::DequeuedPriority {
                priority: job.priority,
            },
        ));
    };
    let log_eviction = |step: usize, log: &mut Log, serial: u32, victim: Job<Tracked<'a>>| {
        let victim_serial = victim.item.serial;
        let victim_spec = specs[victim_serial as usize].expect("evicted a job never enqueued");
        assert_eq!(
            (victim.id, victim.priority),
            (victim_spec.id, victim_spec.priority),
            "evicted job {victim_serial}"
        );
        assert_ne!(victim_serial, serial, "a job evicted itself");
        log.push((
            step,
            Event::Ended {
                serial: victim_serial,
                how: End::Evicted,
            },
        ));
    };
    barrier.wait();
    for (step, &(serial, op)) in ops.iter().enumerate() {
        match op {
            Op::Enqueue { .. } => {
                let spec = specs[serial as usize].expect("enqueue spec");
                let item = Tracked { serial, drops };
                match queue.enqueue_item(spec.id, spec.priority, item) {
                    Ok(admitted) => {
                        log.push((step, Event::Admitted { serial }));
                        if let Some(victim) = admitted.evicted {
                            log_eviction(step, &mut log, serial, victim);
                        }
                    }
                    Err(err) => {
                        let kind = err.kind();
                        assert_eq!((*err.id(), err.priority()), (spec.id, spec.priority));
                        // [C7]: a refused enqueue never evicts, so only its own job
                        // comes back.
                        let item = err.into_job().item;
                        assert_eq!(
                            item.serial, serial,
                            "a refused enqueue handed back another job"
                        );
                        log.push((step, Event::Refused { serial, kind }));
                    }
                }
            }
            Op::TryDequeue => match queue.try_dequeue() {
                Ok(job) => dequeued(step, &mut log, job),
                Err(TryDequeueError::Empty) => log.push((step, Event::Empty)),
                Err(_) => log.push((step, Event::Closed)),
            },
            Op::DequeueBlockingZero => match queue.dequeue_timeout(Duration::ZERO) {
                Ok(job) => dequeued(step, &mut log, job),
                Err(DequeueTimeoutError::Timeout) => log.push((step, Event::Empty)),
                Err(_) => log.push((step, Event::Closed)),
            },
            Op::DequeuePolling => match queue.dequeue_timeout(POLLING_TIMEOUT) {
                Ok(job) => dequeued(step, &mut log, job),
                Err(DequeueTimeoutError::Timeout) => log.push((step, Event::Empty)),
                Err(_) => log.push((step, Event::Closed)),
            },
            Op::Cancel { id } => {
                let id = id_of(id);
                if let Some(item) = queue.cancel(&id) {
                    let serial = item.serial;
                    let spec = specs[serial as usize].expect("canceled a job never enqueued");
                    assert_eq!(
                        spec.id, id,
                        "cancel({id}) returned job {serial} of id {}",
                        spec.id
                    );
                    log.push((
                        step,
                        Event::Ended {
                            serial,
                            how: End::Canceled,
                        },
                    ));
                }
            }
            Op::Peek { id, what } => {
                let id = id_of(id);
                match what % 4 {
                    0 => {
                        let _ = queue.contains(&id);
                    }
                    1 => {
                        let _ = queue.position(&id);
                    }
                    2 => {
                        let priority = if what & 4 == 0 {
                            Priority::Interactive
                        } else {
                            Priority::Batch
                        };
                        let _ = queue.snapshot_priority(priority);
                    }
                    _ => {
                        let _ = queue.is_empty();
                    }
                }
            }
            Op::Yield => std::thread::yield_now(),
            Op::Close { gate } => {
                if gate >= 0xF8 {
                    queue.close();
                }
            }
        }
        let (len, capacity) = (queue.len(), queue.capacity());
        assert!(
            len <= capacity,
            "[C1] thread {thread} saw len {len} > capacity {capacity}"
        );
    }
    log
}

fuzz_target!(|input: Input| {
    let capacity = input.capacity.0;
    let policy = Policy::from(input.policy);
    let threads = if input.three_threads { 3 } else { 2 };
    let ops = &input.ops[..input.ops.len().min(4096)];
    let closes = ops
        .iter()
        .any(|(_, op)| matches!(op, Op::Close { gate } if *gate >= 0xF8));

    // Static facts: which thread runs what, and each enqueue's id and priority.
    let mut per_thread: Vec<Vec<(u32, Op)>> = vec![Vec::new(); threads];
    let mut specs: Vec<Option<Spec>> = vec![None; ops.len()];
    for (serial, &(tag, op)) in ops.iter().enumerate() {
        let thread = usize::from(tag) % threads;
        per_thread[thread].push((serial as u32, op));
        if let Op::Enqueue { id, prio } = op {
            let base = if input.shared_ids {
                0
            } else {
                16 * thread as u64
            };
            specs[serial] = Some(Spec {
                thread,
                id: base + u64::from(id % 16),
                priority: prio.into(),
            });
        }
    }

    let drops: Vec<AtomicU32> = (0..ops.len()).map(|_| AtomicU32::new(0)).collect();
    let mut ends: Vec<Vec<(usize, usize, End)>> = vec![Vec::new(); ops.len()];
    let mut admitted = vec![false; ops.len()];
    let mut refused = vec![false; ops.len()];
    let mut saw_closed = false;
    let logs: Vec<Log>;
    let drain_order: Vec<u32>;
    {
        let queue: ConcurrentQueue<Tracked<'_>> =
            ConcurrentQueue::with_capacity_policy(capacity, policy).with_poll_budget(POLL_BUDGET);
        let barrier = Barrier::new(threads);
        logs = std::thread::scope(|scope| {
            let handles: Vec<_> = per_thread
                .iter()
                .enumerate()
                .map(|(thread, list)| {
                    let (queue, specs, drops, barrier) = (&queue, &specs, &drops[..], &barrier);
                    let shared = input.shared_ids;
                    scope.spawn(move || {
                        run_thread(thread, list, queue, specs, drops, shared, barrier)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });

        // The final drain.
        queue.close();
        let mut drained = Vec::new();
        loop {
            match queue.try_dequeue() {
                Ok(job) => {
                    let serial = job.item.serial;
                    let spec = specs[serial as usize].expect("drained a job never enqueued");
                    assert_eq!(
                        (job.id, job.priority),
                        (spec.id, spec.priority),
                        "drained job {serial}"
                    );
                    drained.push(serial);
                }
                Err(TryDequeueError::Empty) => {
                    panic!("closed, every thread done, yet try_dequeue says Empty, not Closed (len {})", queue.len())
                }
                Err(_) => break,
            }
            assert!(
                drained.len() <= capacity,
                "the drain yields more than the capacity"
            );
        }
        assert_eq!(queue.len(), 0, "closed and drained, yet len() > 0");
        for &serial in &drained {
            ends[serial as usize].push((DRAIN, usize::MAX, End::Drained));
        }
        drain_order = drained;
        // The queue is dropped here: it must hold no payload any more.
    }

    for (thread, log) in logs.iter().enumerate() {
        for (step, event) in log {
            match *event {
                Event::Admitted { serial } => {
                    assert!(capacity > 0, "capacity 0 admitted job {serial}");
                    admitted[serial as usize] = true;
                }
                Event::Refused { serial, kind } => {
                    assert!(
                        kind != EnqueueErrorKind::Closed || closes,
                        "Closed refusal, never closed"
                    );
                    refused[serial as usize] = true;
                }
                Event::Ended { serial, how } => ends[serial as usize].push((thread, *step, how)),
                Event::Closed => {
                    assert!(closes, "thread {thread} saw Closed, never closed");
                    saw_closed = true;
                }
                Event::DequeuedPriority { .. } | Event::Empty => {}
            }
        }
    }

    // What every thread saw, for the failure messages below.
    let history = || {
        let mut text = String::new();
        for (thread, log) in logs.iter().enumerate() {
            text += &format!("\n  thread {thread}:");
            for (step, event) in log {
                text += &format!("\n    step {step}: {event:?}");
            }
        }
        text += &format!("\n  final drain: {drain_order:?}");
        text += &format!(
            "\n  drops per serial: {:?}",
            drops
                .iter()
                .map(|d| d.load(Ordering::Relaxed))
                .collect::<Vec<_>>()
        );
        text
    };

    // [C2]: the exactly-once ledger, and every payload dropped exactly once.
    for (serial, spec) in specs.iter().enumerate() {
        let drop_count = drops[serial].load(Ordering::Relaxed);
        let Some(spec) = spec else {
            assert_eq!(drop_count, 0);
            continue;
        };
        let ended = &ends[serial];
        if admitted[serial] {
            assert!(!refused[serial]);
            assert_eq!(
                ended.len(),
                1,
                "[C2] admitted job {serial} {spec:?} ended {} times: {ended:?}{}",
                ended.len(),
                history()
            );
        } else {
            assert!(refused[serial], "job {serial} neither admitted nor refused");
            assert!(
                ended.is_empty(),
                "[C2] refused job {serial} {spec:?} ended: {ended:?}{}",
                history()
            );
        }
        assert_eq!(
            drop_count,
            1,
            "[C2] payload of job {serial} {spec:?} dropped {drop_count} times{}",
            history()
        );
    }
    if saw_closed {
        assert!(
            drain_order.is_empty(),
            "a thread saw Closed (drained for good), yet the final drain found jobs {drain_order:?}"
        );
    }

    // Per-thread order checks ([C3], [C4], Empty, Closed).
    let end_of = |serial: usize| ends[serial].first().copied();
    for (thread, log) in logs.iter().enumerate() {
        // [C3]: this thread's dequeues, then the drain, per (producer, priority) in serial order.
        let mut last: Vec<Option<u32>> = vec![None; threads * 2];
        let mut sequence: Vec<u32> = log
            .iter()
            .filter_map(|(_, event)| match *event {
                Event::Ended {
                    serial,
                    how: End::Dequeued,
                } => Some(serial),
                _ => None,
            })
            .collect();
        sequence.extend(drain_order.iter().copied());
        for serial in sequence {
            let spec = specs[serial as usize].unwrap();
            let key = spec.thread * 2 + spec.priority.index();
            if let Some(previous) = last[key] {
                assert!(
                    previous < serial,
                    "[C3] thread {thread} got job {serial} after job {previous}, both from thread {} \
                     and {:?}, out of enqueue order",
                    spec.thread,
                    spec.priority
                );
            }
            last[key] = Some(serial);
        }

        // Jobs this thread admitted, with the step, that provably stayed live (and in
        // their lane) until a later dequeue, cancel or eviction by this thread, or the
        // final drain.
        let mine: Vec<(usize, u32, Priority, usize)> = log
            .iter()
            .filter_map(|(step, event)| match *event {
                Event::Admitted { serial } => {
                    let (end_thread, end_step, _) = end_of(serial as usize)?;
                    let live_until = if end_thread == DRAIN {
                        usize::MAX
                    } else if end_thread == thread {
                        end_step
                    } else {
                        return None; // ended in another thread: timing unknown
                    };
                    Some((
                        *step,
                        serial,
                        specs[serial as usize].unwrap().priority,
                        live_until,
                    ))
                }
                _ => None,
            })
            .collect();
        let mut closed_at: Option<usize> = None;
        for (step, event) in log {
            let live_through = |priority: Option<Priority>| {
                mine.iter().find(|&&(admitted_at, _, p, until)| {
                    admitted_at < *step && *step < until && priority.is_none_or(|want| want == p)
                })
            };
            match *event {
                Event::DequeuedPriority {
                    priority: Priority::Batch,
                } => {
                    if let Some(job) = live_through(Some(Priority::Interactive)) {
                        panic!("[C4] thread {thread} step {step} dequeued Batch while its Interactive job {job:?} was live");
                    }
                }
                Event::Empty => {
                    if let Some(job) = live_through(None) {
                        panic!("thread {thread} step {step}: Empty while its job {job:?} was live");
                    }
                }
                Event::Closed => closed_at = closed_at.or(Some(*step)),
                Event::Admitted { serial } => {
                    if let Some(at) = closed_at {
                        panic!("[Q7] thread {thread} saw Closed at step {at}, then job {serial} was admitted");
                    }
                }
                _ => {}
            }
        }
    }
});
