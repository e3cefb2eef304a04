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
//! # Why stand-ins
//!
//! Loom explores only the atomics it owns. One building block is a third-party crate
//! whose atomics it cannot see: the lanes ([`Lane`], crossbeam's `SegQueue`). Inside the
//! models it is replaced by a small loom-visible stand-in with the same contract (a loom
//! `Mutex` around a `VecDeque`): loom then explores every interleaving of *our* protocol
//! around it, which is what the models check, while the crate itself is tested by its
//! authors. The contract is written once, on the production type. Everything else of
//! the protocol (the slots, the capacity word, the id table) is built on this module's
//! atomics and cells, so the models check it as it runs.
//!
//! The wake signal ([`WakeSignal`]: the listener count and the protocol are ours and
//! model-checked; the sleeping underneath is delegated) makes the one choice on the plain
//! `loom` flag, because its production crate, `event-listener`, reacts to that flag itself: under `--cfg loom` it
//! builds only with its own `loom` feature (`Cargo.toml` turns it on), and its `Event`
//! then panics when touched outside a loom model, which doctests built with the flag
//! would do. So under `--cfg loom` the signal is [`lock_signal`], a lock and condition
//! variable from this module (loom's inside the models, std's in the doctests), and
//! otherwise [`event_signal`].

#[cfg(not(all(test, loom)))]
mod lane;
#[cfg(all(test, loom))]
mod loom_model;
#[cfg(not(all(test, loom)))]
mod std_types;

#[cfg(not(all(test, loom)))]
pub(crate) use self::{lane::Lane, std_types::*};

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
