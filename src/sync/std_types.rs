//! The `std` side of the switch: `std`'s atomics and locks, and a `std` cell with
//! loom's closure-based API.

pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize};
// The wake signal's lock and condition variable.
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// Waits on `condvar` for at most `timeout`; `true` if it timed out.
pub(crate) fn wait_timeout<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: std::time::Duration,
) -> (MutexGuard<'a, T>, bool) {
    let (guard, result) = condvar
        .wait_timeout(guard, timeout)
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    (guard, result.timed_out())
}

/// Tells the processor that this thread is waiting for another.
#[inline]
pub(crate) fn spin_hint() {
    core::hint::spin_loop();
}

/// Gives the CPU to another runnable thread, if any: a worker polling the queue lets
/// the producers it waits for run.
#[inline]
pub(crate) fn yield_now() {
    std::thread::yield_now();
}

/// Reads an atomic through `&mut` (no other thread can access it).
#[inline]
pub(crate) fn read_exclusive_u64(atomic: &mut AtomicU64) -> u64 {
    *atomic.get_mut()
}

/// `core::cell::UnsafeCell` with loom's closure-based API.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    #[inline]
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared raw pointer to the value.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with an exclusive raw pointer to the value.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
