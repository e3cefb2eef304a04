//! Code shared by the integration tests; each test file includes it with `mod support;`.
//!
//! * [`drops`]: the one drop-counting payload (every "each payload dropped exactly once"
//!   check, [C2] and [Q7]).
//! * [`rng`]: the one small deterministic random generator.
//! * [`strategies`]: the proptest strategies for the queue's small enums.
//! * [`queue`]: helpers for `ConcurrentQueue` tests (an asserting enqueue, state views).
//! * [`stress`]: the stress harness (threads, logs) and the ledger that checks the logs.

// Each test crate compiles this whole module but uses only part of it.
#![allow(dead_code)]

pub mod drops;
pub mod queue;
pub mod rng;
pub mod strategies;
pub mod stress;
