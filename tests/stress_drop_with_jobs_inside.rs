//! Stress runs of `ConcurrentQueue` that end by dropping the queue with jobs still
//! inside: the workers stall, stop, and the queue is dropped. Besides the whole ledger
//! ([C1]–[C5], [C7], [Q2], stats; see `stress_ledger.rs`), the jobs that no call ended
//! are exactly as many as `len()` said, and each of their payloads is dropped exactly
//! once, by the queue's drop ([C2]).
#![cfg(not(loom))]

mod support;

use orchestrator_core::queue::Policy;

use support::stress::{stress, Config, Finish};

#[test]
fn dropping_the_queue_with_jobs_inside_drops_each_payload_once() {
    for (policy, capacity) in [
        (Policy::Reject, 64),
        (Policy::DropLru, 64),
        (Policy::DropLru, 1),
    ] {
        let mut cfg = Config::new(capacity, policy, 0x5EED_0031);
        cfg.finish = Finish::DropWithJobsInside;
        cfg.producer_ops = 10_000;
        stress(cfg);
    }
}
