//! Stress runs of `ConcurrentQueue` with a single worker: besides the whole ledger
//! ([C1]–[C5], [C7], [Q2], stats; see `stress_ledger.rs`), each producer's jobs come out
//! of each lane in the order they were admitted ([C3], checked on the plain dequeue
//! order), under both policies.
#![cfg(not(loom))]

mod support;

use orchestrator_core::queue::Policy;

use support::stress::{stress, Config};

/// One worker, capacities 2 and 64.
fn single_worker(policy: Policy, seed: u64) {
    for capacity in [2, 64] {
        let mut cfg = Config::new(capacity, policy, seed);
        cfg.workers = 1;
        stress(cfg);
    }
}

#[test]
fn single_worker_dequeues_each_producers_lane_in_order_reject() {
    single_worker(Policy::Reject, 0x5EED_0021);
}

#[test]
fn single_worker_dequeues_each_producers_lane_in_order_drop_lru() {
    single_worker(Policy::DropLru, 0x5EED_0022);
}
