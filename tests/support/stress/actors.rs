//! The threads of a stress run: producers, cancellers and workers, each logging its
//! calls with stamps from the shared clock.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use orchestrator_core::queue::{
    DequeueTimeoutError, EnqueueErrorKind, Policy, Priority, TryDequeueError,
};

use super::log::{Actor, Admission, Clock, DupRefusal, EndKind, Ending, Log, Queue, Tracked};
use super::{Config, Finish, PRODUCERS};
use crate::support::drops::{Drops, JobTag};
use crate::support::rng::Rng;

/// Ids that no producer ever uses: cancelling one must return `None`.
pub const FOREIGN_ID_BASE: u64 = 0xFFFF << 32;

/// State shared by the threads of one run.
pub struct Shared {
    pub queue: Queue,
    pub clock: Clock,
    pub drops: Drops,
    /// Per producer: how many fresh ids it has used so far (cancellers aim below it).
    pub issued: Vec<AtomicU64>,
    /// Workers pause while set (a stalled GPU), so that the queue fills up.
    pub stall: AtomicBool,
    pub producers_done: AtomicBool,
    pub stop_workers: AtomicBool,
    pub sampler_done: AtomicBool,
    /// Set by any thread of the run that panics, so that the others stop early and the
    /// main thread fails at once instead of waiting for its watchdog.
    pub failed: AtomicBool,
}

/// Sets `Shared::failed` if its thread unwinds.
pub struct FailFlag<'a>(pub &'a AtomicBool);

impl Drop for FailFlag<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

impl Shared {
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

/// Asserts that a job that left the queue (`how`: "dequeued", "evicted") carries the
/// payload it was admitted with, from its own lane.
fn assert_own_payload(id: u64, priority: Priority, item: &Tracked, how: &str) {
    assert_eq!(
        item.job,
        JobTag { id, priority },
        "{how} job {id:#x} ({priority}) carries the payload of another job or lane: {item:?}"
    );
}

pub fn job_id(producer: usize, n: u64) -> u64 {
    ((producer as u64) << 32) | n
}

pub fn producer(shared: &Shared, cfg: Config, p: usize) -> Log {
    let _flag = FailFlag(&shared.failed);
    let mut rng = Rng::new(cfg.seed, 1 + p as u64);
    let mut log = Log::default();
    let mut recent: Vec<u64> = Vec::new();
    let mut next_n = 0u64;
    let stall_window = (cfg.producer_ops / 8).max(1);
    for k in 0..cfg.producer_ops {
        if shared.failed() {
            break;
        }
        if p == 0 {
            // Eight windows; the workers stall in windows 0 and 4, so that the queue
            // fills up. The drop variant also stalls them in windows 3 and 7, so that it
            // ends with jobs inside.
            let phase = (k / stall_window) % 4;
            let stall = phase == 0 || (cfg.finish == Finish::DropWithJobsInside && phase == 3);
            shared.stall.store(stall, Ordering::SeqCst);
        }
        let serial = p * cfg.producer_ops + k;
        let id = if !recent.is_empty() && rng.percent(3) {
            recent[rng.below(recent.len() as u64) as usize]
        } else {
            let id = job_id(p, next_n);
            next_n += 1;
            // Release: a canceller that sees the count may aim at this id.
            shared.issued[p].store(next_n, Ordering::Release);
            id
        };
        let priority = if rng.percent(40) {
            Priority::Interactive
        } else {
            Priority::Batch
        };
        let item = shared.drops.for_job(serial, id, priority);
        let start = shared.clock.stamp();
        let result = shared.queue.enqueue_item(id, priority, item);
        let ret = shared.clock.stamp();
        log.ops += 1;
        match result {
            Ok(admitted) => {
                log.admissions.push(Admission {
                    id,
                    serial,
                    priority,
                    producer: p,
                    start,
                    ret,
                });
                if recent.len() < 16 {
                    recent.push(id);
                } else {
                    recent[k % 16] = id;
                }
                if let Some(victim) = admitted.evicted {
                    assert_eq!(
                        cfg.policy,
                        Policy::DropLru,
                        "an eviction under Reject: {victim:?}"
                    );
                    assert_own_payload(victim.id, victim.priority, &victim.item, "evicted");
                    assert_ne!(victim.item.serial, serial, "evicted its own newcomer");
                    log.endings.push(Ending {
                        id: victim.id,
                        serial: victim.item.serial,
                        priority: victim.priority,
                        kind: EndKind::Evicted,
                        by: Actor::Producer(p),
                        start,
                        ret,
                    });
                }
            }
            Err(err) => {
                let kind = err.kind();
                assert_eq!((*err.id(), err.priority()), (id, priority));
                let item = err.into_job().item;
                assert_eq!(
                    (item.job.id, item.serial),
                    (id, serial),
                    "a refused enqueue ({kind:?}) handed back another item"
                );
                match kind {
                    EnqueueErrorKind::QueueFull => log.full_refusals.push((start, ret)),
                    EnqueueErrorKind::DuplicateId => {
                        log.dup_refusals.push(DupRefusal { id, start })
                    }
                    other => panic!("{other:?} before the queue was closed"),
                }
            }
        }
    }
    log
}

pub fn canceller(shared: &Shared, cfg: Config, c: usize) -> Log {
    let _flag = FailFlag(&shared.failed);
    let mut rng = Rng::new(cfg.seed, 100 + c as u64);
    let mut log = Log::default();
    while !shared.producers_done.load(Ordering::SeqCst) && !shared.failed() {
        log.ops += 1;
        if log.ops % 64 == 0 {
            thread::yield_now();
        }
        let p = rng.below(PRODUCERS as u64) as usize;
        let issued = shared.issued[p].load(Ordering::Acquire);
        if issued == 0 {
            thread::yield_now();
            continue;
        }
        if rng.percent(3) {
            let foreign = FOREIGN_ID_BASE | rng.below(1 << 20);
            assert!(
                shared.queue.cancel(&foreign).is_none(),
                "cancel of never-admitted id {foreign:#x} returned a payload"
            );
            log.foreign_cancels += 1;
            continue;
        }
        // Mostly the newest ids (the ones likely live), sometimes older ones.
        let reach = if rng.percent(60) { 4 } else { 256 };
        let n = issued - 1 - rng.below(issued.min(reach));
        let id = job_id(p, n);
        if rng.percent(2) {
            // Read-only calls, for races with the writers (no assertion holds exactly
            // under concurrency beyond "no panic, nothing lost").
            let _ = shared.queue.position(&id);
            let _ = shared.queue.contains(&id);
            let lane = if rng.percent(50) {
                Priority::Interactive
            } else {
                Priority::Batch
            };
            let _ = shared.queue.snapshot_priority(lane);
        }
        let start = shared.clock.stamp();
        let result = shared.queue.cancel(&id);
        let ret = shared.clock.stamp();
        if let Some(item) = result {
            assert_eq!(
                item.job.id, id,
                "cancel({id:#x}) returned the payload of another job"
            );
            log.endings.push(Ending {
                id,
                serial: item.serial,
                priority: item.job.priority,
                kind: EndKind::Canceled,
                by: Actor::Canceller(c),
                start,
                ret,
            });
        }
    }
    log
}

pub fn worker(shared: &Shared, cfg: Config, w: usize) -> Log {
    let _flag = FailFlag(&shared.failed);
    let mut rng = Rng::new(cfg.seed, 200 + w as u64);
    let mut log = Log::default();
    let may_block_forever = cfg.finish == Finish::CloseAndDrain;
    loop {
        if shared.failed() {
            return log;
        }
        if cfg.finish == Finish::DropWithJobsInside && shared.stop_workers.load(Ordering::SeqCst) {
            return log;
        }
        if shared.stall.load(Ordering::SeqCst) && !shared.producers_done.load(Ordering::SeqCst) {
            thread::yield_now();
            continue;
        }
        log.ops += 1;
        let mode = rng.below(100);
        let start = shared.clock.stamp();
        let result = if mode < 70 {
            shared.queue.try_dequeue().map_err(|err| match err {
                TryDequeueError::Empty => None,
                _ => Some(()),
            })
        } else {
            let timeout = if mode < 97 || !may_block_forever {
                Some(Duration::from_micros(rng.below(300)))
            } else {
                None
            };
            match timeout {
                Some(timeout) => shared.queue.dequeue_timeout(timeout),
                None => shared
                    .queue
                    .dequeue_blocking()
                    .map_err(DequeueTimeoutError::from),
            }
            .map_err(|err| match err {
                DequeueTimeoutError::Timeout => None,
                _ => Some(()),
            })
        };
        let ret = shared.clock.stamp();
        match result {
            Ok(job) => {
                assert_own_payload(job.id, job.priority, &job.item, "dequeued");
                log.dequeue_order.push(job.item.serial);
                log.endings.push(Ending {
                    id: job.id,
                    serial: job.item.serial,
                    priority: job.priority,
                    kind: EndKind::Dequeued,
                    by: Actor::Worker(w),
                    start,
                    ret,
                });
                // A little work, so that workers and producers interleave differently.
                for _ in 0..rng.below(64) {
                    std::hint::spin_loop();
                }
            }
            Err(Some(())) => {
                assert!(
                    shared.queue.is_closed(),
                    "a dequeue reported Closed on an open queue"
                );
                return log;
            }
            Err(None) => {}
        }
    }
}
