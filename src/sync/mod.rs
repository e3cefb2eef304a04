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
//! id table, the wake signal's listener count) is built on this module's atomics and
//! cells, so the models check it as it runs; no third-party concurrent structure sits
//! on the hot path.
//!
//! The wake signal ([`WakeSignal`]: the listener count and the protocol are ours and
//! model-checked; the sleeping underneath is delegated) makes the one choice on the plain
//! `loom` flag, because its production crate, `event-listener`, reacts to that flag itself: under `--cfg loom` it
//! builds only with its own `loom` feature (`Cargo.toml` turns it on), and its `Event`
//! then panics when touched outside a loom model, which doctests built with the flag
//! would do. So under `--cfg loom` the signal is [`lock_signal`], a lock and condition
//! variable from this module (loom's inside the models, std's in the doctests), and
//! otherwise [`event_signal`].

#[cfg(all(test, loom))]
mod loom_model;
#[cfg(not(all(test, loom)))]
mod std_types;

#[cfg(not(all(test, loom)))]
pub(crate) use self::std_types::*;

#[cfg(all(test, loom))]
pub(crate) use self::loom_model::*;

#[cfg(not(loom))]
mod event_signal;
#[cfg(loom)]
mod lock_signal;
mod wake_signal;

#[cfg(not(loom))]
use self::event_signal as signal_impl;
#[cfg(loom)]
use self::lock_signal as signal_impl;

pub(crate) use self::wake_signal::WakeSignal;

pub(crate) use core::sync::atomic::Ordering;

/// `true` inside the loom models: constants shrink there so that a model's few
/// operations reach the boundaries (a new chunk, a full table) that production sizes
/// reach only after thousands.
pub(crate) const IN_LOOM_MODEL: bool = cfg!(all(test, loom));
