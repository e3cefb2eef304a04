//! The one place that chooses between `std` and `loom`: every atomic, cell, lock, spin
//! hint and concurrent building block of the queue protocol comes from here.
//!
//! # One switch
//!
//! `cfg(all(test, loom))` means "inside the loom models": the library's own unit-test
//! binary built by `RUSTFLAGS="--cfg loom" cargo test --release`, which holds the models
//! (`queue/tests/loom_*.rs`). There, [`loom_model`] hands out loom's atomics, cells and
//! locks, so that loom explores every interleaving of the protocol. Everywhere else
//! (the library as users build it, doctests and `tests/*.rs` included, even when built
//! with `--cfg loom`) [`std_types`] hands out the `std` types, whose `UnsafeCell` offers
//! loom's `with_mut` API so that the protocol is written once.
//!
//! # What runs on them
//!
//! Everything of the queue protocol (the lanes and their cells, the capacity words, the
//! id table, the wake signal's generation word) is built on this module's atomics and
//! cells, so the models check it as it runs; no third-party concurrent structure sits
//! on the hot path.
//!
//! The wake signal ([`WakeSignal`]) is ours too: a generation word that keeps
//! notifications off any lock while nobody needs waking, over a lock and a condition
//! variable from this module that only sleepers and their wakers touch.

#[cfg(all(test, loom))]
mod loom_model;
#[cfg(not(all(test, loom)))]
mod std_types;

#[cfg(not(all(test, loom)))]
pub(crate) use self::std_types::*;

#[cfg(all(test, loom))]
pub(crate) use self::loom_model::*;

mod wake_signal;

pub(crate) use self::wake_signal::WakeSignal;

pub(crate) use core::sync::atomic::Ordering;

/// `true` inside the loom models: constants shrink there so that a model's few
/// operations reach the boundaries (a new chunk, a full table) that production sizes
/// reach only after thousands.
pub(crate) const IN_LOOM_MODEL: bool = cfg!(all(test, loom));
