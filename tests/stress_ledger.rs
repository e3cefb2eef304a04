//! Stress runs of `ConcurrentQueue` checked by the ledger (`tests/support/stress/`):
//! two producers, one canceller and two workers on one queue, both policies, capacities
//! 1, 2, 64 and 4096. Each run checks the bound [C1], exactly once [C2] (every admitted
//! job ended once, every payload dropped once, refusals hand their own item back),
//! FIFO within a lane [C3], priority [C4], race-free cancel [C5], `DropLru` under
//! contention [C7], duplicates and evictions [Q2], and (with the `stats` feature) the
//! stats against the logs at quiescence. What each check proves is in the docs of
//! `tests/support/stress/mod.rs`.
#![cfg(not(loom))]

mod support;

use orchestrator_core::queue::Policy;

use support::stress::{stress, Config};

/// One test per line: `name: policy, capacity, seed;`.
macro_rules! stress_tests {
    ($($name:ident: $policy:expr, $capacity:expr, $seed:expr;)*) => {$(
        #[test]
        fn $name() {
            stress(Config::new($capacity, $policy, $seed));
        }
    )*};
}

stress_tests! {
    reject_capacity_1: Policy::Reject, 1, 0x5EED_0001;
    reject_capacity_2: Policy::Reject, 2, 0x5EED_0002;
    reject_capacity_64: Policy::Reject, 64, 0x5EED_0003;
    reject_capacity_4096: Policy::Reject, 4096, 0x5EED_0004;
    drop_lru_capacity_1: Policy::DropLru, 1, 0x5EED_0011;
    drop_lru_capacity_2: Policy::DropLru, 2, 0x5EED_0012;
    drop_lru_capacity_64: Policy::DropLru, 64, 0x5EED_0013;
    drop_lru_capacity_4096: Policy::DropLru, 4096, 0x5EED_0014;
}
