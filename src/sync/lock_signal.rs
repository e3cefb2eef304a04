//! The signal under [`WakeSignal`](super::WakeSignal): a `Mutex<generation, wakers>` and
//! a `Condvar` from `sync` (std's, or loom's inside the models).
//!
//! Only sleepers and their wakers ever take the lock: the wrapper calls `notify_*` only
//! when someone listens, and `listen` reads the generation without it. A notification
//! bumps the generation under the lock; a listener remembers the generation it saw and
//! sleeps until it changes, so a notification that lands between `listen` and the wait
//! is not lost. The condition variable is signalled only while a thread is blocked on
//! it (its notify is a system call even when nobody waits). `notify_one` wakes one blocked
//! thread (a thread that was woken and then times out still looks at the queue once
//! more before giving up, so the wake-up is not lost with it) and every registered
//! async waker: a future may be dropped after it was woken, and handing the wake-up to
//! one of them could lose it. Loom has no clock, so inside a model a deadline wait waits
//! until notified. Contract: the wrapper's.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::sync::PoisonError;
use std::time::Instant;

use super::{wait_timeout, AtomicU64, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};

/// In `generation`: some listener saw the current generation, so the next notification
/// has someone to wake.
const LISTENED: u64 = 1;
/// One generation, above the flag.
const GENERATION: u64 = 2;

pub(crate) struct WakeSignal {
    /// The generation (in steps of [`GENERATION`]), bumped by notifications while
    /// `state` is locked, and the [`LISTENED`] flag, set by listeners.
    generation: AtomicU64,
    /// Threads blocked on the condition variable; changed under the lock.
    blocked: AtomicUsize,
    state: Mutex<SignalState>,
    condvar: Condvar,
}

struct SignalState {
    /// Async waiters to wake at the next notification.
    wakers: Vec<Waker>,
}

pub(crate) struct Waiter<'a> {
    signal: &'a WakeSignal,
    /// The generation when this waiter registered.
    seen: u64,
}

impl WakeSignal {
    pub(crate) fn new() -> Self {
        WakeSignal {
            generation: AtomicU64::new(0),
            blocked: AtomicUsize::new(0),
            state: Mutex::new(SignalState { wakers: Vec::new() }),
            condvar: Condvar::new(),
        }
    }

    /// The lock; a thread that panicked while holding it (none of this file's code
    /// can) leaves the state consistent, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, SignalState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn listen(&self) -> Waiter<'_> {
        // Relaxed: the wrapper's fence after `listen` orders the flag before the
        // listener's re-check of the queue, against the notifier's fence before it
        // reads the flag (wake_signal.rs); the waiter compares the generation under the
        // lock, where every bump is made.
        let seen = self.generation.fetch_or(LISTENED, Ordering::Relaxed) & !LISTENED;
        Waiter { signal: self, seen }
    }

    /// The current generation, flag cleared.
    fn generation(&self) -> u64 {
        // Relaxed: compared under the lock, under which the generation changes.
        self.generation.load(Ordering::Relaxed) & !LISTENED
    }

    /// Wakes the listeners of the current generation: one blocked thread and every
    /// async waker. With none, and a thread still blocked from an earlier generation
    /// (owed a wake-up that another worker's return made unnecessary until now), wakes
    /// that one instead.
    pub(crate) fn notify_one(&self) {
        // Relaxed: see `listen`.
        if self.generation.load(Ordering::Relaxed) & LISTENED == 0 {
            // Relaxed: a stale count only leaves a sleeper asleep while the workers that
            // are awake will look at the queue again before they sleep.
            if self.blocked.load(Ordering::Relaxed) != 0 {
                let _state = self.lock();
                self.condvar.notify_one();
            }
            return;
        }
        let wakers = self.bump();
        if self.blocked.load(Ordering::Relaxed) != 0 {
            self.condvar.notify_one();
        }
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Wakes every listener and every blocked thread, whatever generation it saw.
    pub(crate) fn notify_all(&self) {
        let wakers = self.bump();
        self.condvar.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }

    /// A new generation: every listener so far returns from its wait. Returns the async
    /// wakers to wake, outside the lock.
    fn bump(&self) -> Vec<Waker> {
        let mut state = self.lock();
        // Relaxed: the lock orders bumps; a flag set meanwhile belongs to the old
        // generation and goes with it (its listener returns at once).
        let current = self.generation.load(Ordering::Relaxed);
        self.generation
            .store((current & !LISTENED) + GENERATION, Ordering::Relaxed);
        core::mem::take(&mut state.wakers)
    }
}

impl Waiter<'_> {
    pub(crate) fn wait(self) {
        let signal = self.signal;
        let mut state = signal.lock();
        while signal.generation() == self.seen {
            // Relaxed: changed under the lock; see `notify_one` for its readers.
            signal.blocked.fetch_add(1, Ordering::Relaxed);
            state = signal
                .condvar
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            signal.blocked.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// `false` if `deadline` passed first.
    pub(crate) fn wait_until(self, deadline: Instant) -> bool {
        let signal = self.signal;
        let mut state = signal.lock();
        while signal.generation() == self.seen {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            // Relaxed: as in `wait`.
            signal.blocked.fetch_add(1, Ordering::Relaxed);
            state = wait_timeout(&signal.condvar, state, left).0;
            signal.blocked.fetch_sub(1, Ordering::Relaxed);
        }
        true
    }
}

impl Future for Waiter<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.signal.lock();
        if self.signal.generation() != self.seen {
            return Poll::Ready(());
        }
        if !state.wakers.iter().any(|waker| waker.will_wake(cx.waker())) {
            state.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
