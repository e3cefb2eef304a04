//! The one place that chooses between `std` and `loom` primitives.
//!
//! Under `cfg(all(test, loom))` (only the library's own unit-test binary built with
//! `RUSTFLAGS="--cfg loom"`, which runs the models in `loom-tests/`) every atomic, cell,
//! `Arc`, lock and spin hint of the queue protocol comes from loom, so that loom explores
//! every interleaving of *our* protocol. Everywhere else, doctests and `tests/*.rs`
//! included, they are the `std` types; the `std` [`UnsafeCell`] offers loom's
//! `with_mut` API so that the protocol code is written once.
//!
//! Third-party structures that loom cannot see (crossbeam's `SegQueue`, the `papaya`
//! id index, `event-listener`) are swapped for loom-visible stand-ins in their own
//! files: see `queue/lane.rs`, `queue/id_index.rs` and `queue/wait.rs`.

#[cfg(all(test, loom))]
pub(crate) use loom::{
    cell::UnsafeCell,
    sync::{
        atomic::{AtomicPtr, AtomicU64, AtomicUsize},
        Arc, Condvar, Mutex,
    },
};

#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize};

// Under `--cfg loom` outside the models (doctests and integration tests link the library
// built that way), the wake signal's stand-in runs on std's lock and condition variable.
#[cfg(all(loom, not(test)))]
pub(crate) use std::sync::{Condvar, Mutex};

#[cfg(not(all(test, loom)))]
pub(crate) use self::std_cell::UnsafeCell;

pub(crate) use core::sync::atomic::Ordering;

/// Tells the processor (or loom's scheduler) that this thread is waiting for another.
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(all(test, loom))]
    loom::thread::yield_now();
    #[cfg(not(all(test, loom)))]
    core::hint::spin_loop();
}

/// Reads an atomic through `&mut` (no other thread can access it): `get_mut` on std,
/// `with_mut` on loom, which then checks that the access really is exclusive.
#[inline]
pub(crate) fn read_exclusive_u64(atomic: &mut AtomicU64) -> u64 {
    #[cfg(all(test, loom))]
    return atomic.with_mut(|value| *value);
    #[cfg(not(all(test, loom)))]
    return *atomic.get_mut();
}

/// [`read_exclusive_u64`] for a pointer.
#[inline]
pub(crate) fn read_exclusive_ptr<T>(atomic: &mut AtomicPtr<T>) -> *mut T {
    #[cfg(all(test, loom))]
    return atomic.with_mut(|value| *value);
    #[cfg(not(all(test, loom)))]
    return *atomic.get_mut();
}

#[cfg(not(all(test, loom)))]
mod std_cell {
    /// `core::cell::UnsafeCell` with loom's closure-based API.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        #[inline]
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(core::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with an exclusive raw pointer to the value.
        #[inline]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}
