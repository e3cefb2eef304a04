//! Waiting for work: the signal that blocking and async dequeues sleep on.
//!
//! Contract (the "register, re-check, wait" protocol): a [`Waiter`] obtained from
//! [`WakeSignal::listen`] is woken by every `notify_*` that starts after `listen`
//! returned. A dequeue therefore (1) tries the queue, (2) listens, (3) tries again, and
//! only then (4) waits: an enqueue or close that lands between (1) and (4) either is seen
//! by (3) or notifies the waiter of (2), so no wake-up is lost. Spurious wake-ups are
//! allowed; callers loop.
//!
//! Normally `event-listener` (the crate behind async-channel and concurrent-queue),
//! which serves both blocking and async waiters and costs a fence and a load when
//! nobody waits. Under `--cfg loom` it is a stand-in with the same contract: a
//! `Mutex<generation, wakers>` and a `Condvar` (loom's inside the models, std's in the
//! doctests and integration tests built with that flag), where `notify_*` bumps the
//! generation and wakes everyone (over-waking is allowed by the contract).
//! event-listener does not build under `--cfg loom` without its own loom feature and
//! cannot run inside a loom model (its loom-built `Event` panics outside one); loom has no clock, so inside a
//! model a deadline wait waits until notified.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Instant;

#[cfg(not(loom))]
pub(crate) struct WakeSignal {
    event: event_listener::Event,
}

#[cfg(not(loom))]
pub(crate) struct Waiter<'a> {
    listener: event_listener::EventListener,
    _signal: core::marker::PhantomData<&'a WakeSignal>,
}

#[cfg(not(loom))]
impl WakeSignal {
    pub(crate) fn new() -> Self {
        WakeSignal {
            event: event_listener::Event::new(),
        }
    }

    pub(crate) fn listen(&self) -> Waiter<'_> {
        Waiter {
            listener: self.event.listen(),
            _signal: core::marker::PhantomData,
        }
    }

    /// Wakes one more waiter than are already woken: one new job, one worker.
    pub(crate) fn notify_one(&self) {
        self.event.notify_additional(1);
    }

    /// Wakes every waiter (close, or the last job of a closed queue is gone).
    pub(crate) fn notify_all(&self) {
        self.event.notify(usize::MAX);
    }
}

#[cfg(not(loom))]
impl Waiter<'_> {
    pub(crate) fn wait(self) {
        use event_listener::Listener;
        self.listener.wait();
    }

    /// Waits until notified (`true`) or until `deadline` passes (`false`).
    pub(crate) fn wait_until(self, deadline: Instant) -> bool {
        use event_listener::Listener;
        self.listener.wait_deadline(deadline).is_some()
    }
}

#[cfg(not(loom))]
impl Future for Waiter<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.listener).poll(cx)
    }
}

#[cfg(loom)]
pub(crate) struct WakeSignal {
    state: crate::sync::Mutex<SignalState>,
    condvar: crate::sync::Condvar,
}

#[cfg(loom)]
struct SignalState {
    generation: u64,
    wakers: Vec<core::task::Waker>,
}

#[cfg(loom)]
pub(crate) struct Waiter<'a> {
    signal: &'a WakeSignal,
    seen: u64,
}

#[cfg(loom)]
impl WakeSignal {
    pub(crate) fn new() -> Self {
        WakeSignal {
            state: crate::sync::Mutex::new(SignalState {
                generation: 0,
                wakers: Vec::new(),
            }),
            condvar: crate::sync::Condvar::new(),
        }
    }

    pub(crate) fn listen(&self) -> Waiter<'_> {
        Waiter {
            signal: self,
            seen: self.state.lock().unwrap().generation,
        }
    }

    pub(crate) fn notify_one(&self) {
        self.notify_all();
    }

    pub(crate) fn notify_all(&self) {
        let wakers = {
            let mut state = self.state.lock().unwrap();
            state.generation += 1;
            core::mem::take(&mut state.wakers)
        };
        self.condvar.notify_all();
        for waker in wakers {
            waker.wake();
        }
    }
}

#[cfg(loom)]
impl Waiter<'_> {
    pub(crate) fn wait(self) {
        let signal = self.signal;
        let mut state = signal.state.lock().unwrap();
        while state.generation == self.seen {
            state = signal.condvar.wait(state).unwrap();
        }
    }

    /// Under a loom model there is no clock: waits until notified.
    #[cfg(test)]
    pub(crate) fn wait_until(self, _deadline: Instant) -> bool {
        self.wait();
        true
    }

    #[cfg(not(test))]
    pub(crate) fn wait_until(self, deadline: Instant) -> bool {
        let signal = self.signal;
        let mut state = signal.state.lock().unwrap();
        while state.generation == self.seen {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = signal.condvar.wait_timeout(state, left).unwrap().0;
        }
        true
    }
}

#[cfg(loom)]
impl Future for Waiter<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.signal.state.lock().unwrap();
        if state.generation != self.seen {
            Poll::Ready(())
        } else {
            state.wakers.push(cx.waker().clone());
            Poll::Pending
        }
    }
}
