//! The loom side of the switch, used only inside the loom models: loom's atomics, cells
//! and locks.

pub(crate) use loom::{
    cell::UnsafeCell,
    sync::{
        atomic::{fence, AtomicBool, AtomicU64, AtomicUsize},
        Arc, Condvar, Mutex, MutexGuard,
    },
};

/// Lets loom schedule the thread this one waits for.
#[inline]
pub(crate) fn spin_hint() {
    loom::thread::yield_now();
}

/// Lets loom schedule another thread.
#[inline]
pub(crate) fn yield_now() {
    loom::thread::yield_now();
}

/// Reads an atomic through `&mut`; loom checks that the access really is exclusive.
#[inline]
pub(crate) fn read_exclusive_u64(atomic: &mut AtomicU64) -> u64 {
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
