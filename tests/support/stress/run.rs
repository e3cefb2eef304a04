//! One stress run: starts the threads, finishes, and collects what the ledger checks.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use orchestrator_core::queue::TryDequeueError;

use super::actors::{canceller, producer, worker, FailFlag, Shared};
use super::log::{Clock, Log, Queue};
use super::{Config, Finish, PRODUCERS};
use crate::support::drops::Drops;

/// How long the main thread waits for a worker to finish after close before declaring a
/// lost wake-up (a liveness watchdog, not a timing assertion).
pub const WATCHDOG: Duration = Duration::from_secs(60);

pub struct Outcome {
    pub logs: Vec<Log>,
    /// `len()` just before the queue was dropped.
    pub len_at_drop: usize,
    pub samples: usize,
    pub created: usize,
    /// Each payload's drop count once the queue was dropped, by serial.
    pub drops_after: Vec<usize>,
    /// Each payload's drop count just before the queue was dropped, by serial.
    pub drops_before_queue_drop: Vec<usize>,
    /// `stats()` and each lane's snapshot length once every thread has joined.
    #[cfg(feature = "stats")]
    pub stats_at_end: (orchestrator_core::stats::QueueStats, [usize; 2]),
}

/// Runs the threads and returns their logs; the queue is dropped at the end.
pub fn run(cfg: Config) -> Outcome {
    let created = PRODUCERS * cfg.producer_ops;
    let shared = Arc::new(Shared {
        queue: Queue::with_capacity_policy(cfg.capacity, cfg.policy),
        clock: Clock(AtomicU64::new(0)),
        drops: Drops::new(created),
        issued: (0..PRODUCERS).map(|_| AtomicU64::new(0)).collect(),
        stall: AtomicBool::new(false),
        producers_done: AtomicBool::new(false),
        stop_workers: AtomicBool::new(false),
        sampler_done: AtomicBool::new(false),
        failed: AtomicBool::new(false),
    });

    let sampler = {
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            let _flag = FailFlag(&shared.failed);
            let mut samples = 0usize;
            while !shared.sampler_done.load(Ordering::SeqCst) && !shared.failed() {
                let len = shared.queue.len();
                assert!(
                    len <= shared.queue.capacity(),
                    "[C1] len() = {len} > capacity {}",
                    shared.queue.capacity()
                );
                samples += 1;
                thread::yield_now();
            }
            samples
        })
    };
    let workers: Vec<_> = (0..cfg.workers)
        .map(|w| {
            let shared = Arc::clone(&shared);
            let (tx, rx) = mpsc::channel();
            let handle = thread::spawn(move || {
                let log = worker(&shared, cfg, w);
                let _ = tx.send(());
                log
            });
            (handle, rx)
        })
        .collect();
    let cancellers: Vec<_> = (0..cfg.cancellers)
        .map(|c| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || canceller(&shared, cfg, c))
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || producer(&shared, cfg, p))
        })
        .collect();

    let mut logs = Vec::new();
    for handle in producers {
        logs.push(handle.join().expect("producer panicked"));
    }
    if cfg.finish == Finish::DropWithJobsInside {
        // Before the stall ends, so the jobs left by the last stalled window stay inside.
        shared.stop_workers.store(true, Ordering::SeqCst);
    }
    shared.producers_done.store(true, Ordering::SeqCst);
    shared.stall.store(false, Ordering::SeqCst);
    for handle in cancellers {
        logs.push(handle.join().expect("canceller panicked"));
    }
    if cfg.finish == Finish::CloseAndDrain {
        shared.queue.close();
    }
    for (w, (handle, done)) in workers.into_iter().enumerate() {
        let waiting = Instant::now();
        loop {
            match done.recv_timeout(Duration::from_millis(50)) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            assert!(
                !shared.failed(),
                "another thread of this run panicked (its message is above)"
            );
            assert!(
                waiting.elapsed() < WATCHDOG,
                "worker {w} still blocked {WATCHDOG:?} after the finish ({:?}): lost wake-up? \
                 len() = {}",
                cfg.finish,
                shared.queue.len()
            );
        }
        match handle.join() {
            Ok(log) => logs.push(log),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    if cfg.finish == Finish::CloseAndDrain {
        // Everything was drained by the workers.
        match shared.queue.try_dequeue() {
            Err(TryDequeueError::Closed) => {}
            Ok(job) => {
                panic!("a job was left in a closed queue after the workers saw Closed: {job:?}")
            }
            Err(err) => panic!("a closed, drained queue reported {err:?}"),
        }
        assert_eq!(shared.queue.len(), 0, "len() after close and drain");
        assert!(shared.queue.is_empty());
    }

    shared.sampler_done.store(true, Ordering::SeqCst);
    let samples = sampler.join().expect("sampler panicked ([C1])");
    let len_at_drop = shared.queue.len();
    #[cfg(feature = "stats")]
    let stats_at_end = (
        shared.queue.stats(),
        orchestrator_core::queue::Priority::ALL.map(|p| shared.queue.snapshot_priority(p).len()),
    );
    let drops_before_queue_drop = shared.drops.counts();
    let drops = shared.drops;
    let shared = Arc::into_inner(shared).expect("every thread let go of the queue");
    drop(shared);
    Outcome {
        logs,
        len_at_drop,
        samples,
        created,
        drops_after: drops.counts(),
        drops_before_queue_drop,
        #[cfg(feature = "stats")]
        stats_at_end,
    }
}
