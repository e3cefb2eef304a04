//! Waiting for work: the signal that blocking and async dequeues sleep on.
//!
//! Contract (the "register, re-check, wait" protocol): a [`Waiter`] obtained from
//! [`WakeSignal::listen`] is woken by every `notify_*` that starts after `listen`
//! returned. A dequeue therefore (1) tries the queue, (2) listens, (3) tries again, and
//! only then (4) waits: an enqueue or close that lands between (1) and (4) either is seen
//! by (3) or notifies the waiter of (2), so no wake-up is lost. Spurious wake-ups are
//! allowed; callers loop.
//!
//! # Generations
//!
//! A `Mutex<wakers>` and a `Condvar` from `sync` (std's, or loom's inside the models),
//! and a generation word beside them. A notification bumps the generation under the
//! lock; a listener remembers the generation it saw and sleeps until it changes. The
//! condition variable is signalled only while a blocked thread has no signal on its way
//! yet (std's notify is a system call even when nobody waits, and a burst of enqueues
//! must not signal one sleeper again and again before it runs). `notify_one` wakes one
//! blocked thread (a thread that was woken and then times out still looks at the queue
//! once more before giving up, so the wake-up is not lost with it) and every registered
//! async waker: a future may be dropped after it was woken, and handing the wake-up to
//! one of them could lose it. Loom has no clock, so inside a model a deadline wait waits
//! until notified.
//!
//! # No lock while nobody needs waking
//!
//! A listener raises a flag in the generation word (no lock) and issues a `SeqCst` fence
//! before its re-check (3); a notifier makes its change, issues a `SeqCst` fence, then
//! reads the word. Of the two fences, the first in their single total order makes its
//! side's write visible to the other's read: either the re-check sees the change, or the
//! notifier sees the flag and bumps the generation, which wakes the listener. A bump
//! clears the flag: every listener until then has a notification to wake up to. So a
//! notification with no listener of the current generation, and no blocked thread
//! still owed a signal, costs a fence and two loads and takes no lock; only sleepers and
//! their wakers ever take it.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crossbeam_utils::CachePadded;
use std::sync::PoisonError;
use std::time::Instant;

use super::{fence, wait_timeout, AtomicU64, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};

/// In `generation`: some listener saw the current generation, so the next notification
/// has someone to wake.
const LISTENED: u64 = 1;
/// One generation, above the flag.
const GENERATION: u64 = 2;

pub(crate) struct WakeSignal {
    /// What a notification reads without the lock, on a line of its own: the lock and
    /// the condition variable are written by every thread that goes to sleep or wakes.
    words: CachePadded<Words>,
    state: Mutex<SignalState>,
    condvar: Condvar,
}

struct Words {
    /// The generation (in steps of [`GENERATION`]), bumped by notifications while
    /// `state` is locked, and the [`LISTENED`] flag, set by listeners.
    generation: AtomicU64,
    /// Threads blocked on the condition variable; changed under the lock.
    blocked: AtomicUsize,
    /// Signals sent to blocked threads that no thread has woken up to yet; changed
    /// under the lock. A thread that wakes takes one, whichever signal woke it.
    signaled: AtomicUsize,
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
            words: CachePadded::new(Words {
                generation: AtomicU64::new(0),
                blocked: AtomicUsize::new(0),
                signaled: AtomicUsize::new(0),
            }),
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
        // Relaxed: the fence below orders the flag before the caller's re-check of the
        // queue (module docs); the waiter compares the generation under the lock, where
        // every bump is made.
        let seen = self.words.generation.fetch_or(LISTENED, Ordering::Relaxed) & !LISTENED;
        // The listener's side of the protocol in the module docs.
        fence(Ordering::SeqCst);
        Waiter { signal: self, seen }
    }

    /// The current generation, flag cleared.
    fn generation(&self) -> u64 {
        // Relaxed: compared under the lock, under which the generation changes.
        self.words.generation.load(Ordering::Relaxed) & !LISTENED
    }

    /// Wakes the listeners of the current generation: one blocked thread and every
    /// async waker. With none, and a thread still blocked from an earlier generation
    /// (owed a wake-up that another worker's return made unnecessary until now), wakes
    /// that one instead. A blocked thread that was already signalled is not signalled
    /// again before it wakes.
    pub(crate) fn notify_one(&self) {
        // The notifier's side of the protocol in the module docs: the caller's change
        // comes before the fence, the flag is read after it.
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence.
        let listened = self.words.generation.load(Ordering::Relaxed) & LISTENED != 0;
        if !listened && !self.someone_unsignaled() {
            return;
        }
        let mut state = self.lock();
        // Relaxed: under the lock, which orders bumps.
        let wakers = if self.words.generation.load(Ordering::Relaxed) & LISTENED != 0 {
            self.bump(&mut state)
        } else {
            Vec::new()
        };
        let signal = self.someone_unsignaled();
        if signal {
            // Relaxed: changed under the lock.
            self.words.signaled.fetch_add(1, Ordering::Relaxed);
        }
        drop(state);
        if signal {
            self.condvar.notify_one();
        }
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Wakes every listener and every blocked thread, whatever generation it saw.
    pub(crate) fn notify_all(&self) {
        // As in `notify_one`: a listener that raised its flag after this bump must see
        // the caller's change in its re-check.
        fence(Ordering::SeqCst);
        let mut state = self.lock();
        let wakers = self.bump(&mut state);
        // Relaxed: changed under the lock.
        self.words.signaled.store(
            self.words.blocked.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        drop(state);
        self.condvar.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }

    /// More threads blocked than signals on their way to them.
    fn someone_unsignaled(&self) -> bool {
        // Relaxed: outside the lock a stale view only leaves a sleeper asleep while the
        // workers that are awake look at the queue again before they sleep; under the
        // lock the counts are exact.
        self.words.blocked.load(Ordering::Relaxed) > self.words.signaled.load(Ordering::Relaxed)
    }

    /// Blocks on the condition variable once, keeping the counts.
    fn block<'a>(
        &self,
        state: MutexGuard<'a, SignalState>,
        deadline: Option<Instant>,
    ) -> MutexGuard<'a, SignalState> {
        // Relaxed (all four): changed under the lock; see `someone_unsignaled`.
        self.words.blocked.fetch_add(1, Ordering::Relaxed);
        let state = match deadline {
            None => self
                .condvar
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                wait_timeout(&self.condvar, state, left).0
            }
        };
        self.words.blocked.fetch_sub(1, Ordering::Relaxed);
        if self.words.signaled.load(Ordering::Relaxed) != 0 {
            self.words.signaled.fetch_sub(1, Ordering::Relaxed);
        }
        state
    }

    /// A new generation: every listener so far returns from its wait. Returns the async
    /// wakers to wake, outside the lock.
    fn bump(&self, state: &mut MutexGuard<'_, SignalState>) -> Vec<Waker> {
        // Relaxed: the lock orders bumps; a flag set meanwhile belongs to the old
        // generation and goes with it (its listener returns at once).
        let current = self.words.generation.load(Ordering::Relaxed);
        self.words
            .generation
            .store((current & !LISTENED) + GENERATION, Ordering::Relaxed);
        core::mem::take(&mut state.wakers)
    }
}

impl Waiter<'_> {
    pub(crate) fn wait(self) {
        let signal = self.signal;
        let mut state = signal.lock();
        while signal.generation() == self.seen {
            state = signal.block(state, None);
        }
    }

    /// `false` if `deadline` passed first.
    pub(crate) fn wait_until(self, deadline: Instant) -> bool {
        let signal = self.signal;
        let mut state = signal.lock();
        while signal.generation() == self.seen {
            if deadline <= Instant::now() {
                return false;
            }
            state = signal.block(state, Some(deadline));
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
