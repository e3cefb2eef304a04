//! The loom side of the switch, used only inside the loom models: loom's atomics, cells
//! and locks, and the loom-visible stand-in for the lanes, which keeps the contract
//! written on the production type (`lane.rs`) with a loom `Mutex`, so loom explores every
//! interleaving of the protocol around it.

use std::collections::VecDeque;

pub(crate) use loom::{
    cell::UnsafeCell,
    sync::{
        atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize},
        Arc, Condvar, Mutex, MutexGuard,
    },
};

/// Lets loom schedule the thread this one waits for.
#[inline]
pub(crate) fn spin_hint() {
    loom::thread::yield_now();
}

/// Reads an atomic through `&mut`; loom checks that the access really is exclusive.
#[inline]
pub(crate) fn read_exclusive_u64(atomic: &mut AtomicU64) -> u64 {
    atomic.with_mut(|value| *value)
}

/// [`read_exclusive_u64`] for a pointer.
#[inline]
pub(crate) fn read_exclusive_ptr<T>(atomic: &mut AtomicPtr<T>) -> *mut T {
    atomic.with_mut(|value| *value)
}

/// Loom has no clock: waits until notified and reports no timeout.
pub(crate) fn wait_timeout<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    _timeout: std::time::Duration,
) -> (MutexGuard<'a, T>, bool) {
    (condvar.wait(guard).unwrap(), false)
}

/// The lane's stand-in: a locked `VecDeque`.
pub(crate) struct Lane<T> {
    values: Mutex<VecDeque<T>>,
}

impl<T> Lane<T> {
    pub(crate) fn new() -> Self {
        Lane {
            values: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, value: T) {
        self.values.lock().unwrap().push_back(value);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.values.lock().unwrap().pop_front()
    }
}
