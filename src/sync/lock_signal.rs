//! The signal under [`WakeSignal`](super::WakeSignal) under `--cfg loom` (see the module
//! docs of `sync` for why): a `Mutex<generation, wakers>` and a `Condvar` from `sync`
//! (loom's inside the models, std's elsewhere), where `notify_*` bumps the generation
//! and wakes everyone (over-waking is allowed by the contract). Loom has no clock, so
//! inside a model a deadline wait waits until notified. Contract: the wrapper's.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Instant;

use super::{wait_timeout, Condvar, Mutex};

pub(crate) struct WakeSignal {
    state: Mutex<SignalState>,
    condvar: Condvar,
}

struct SignalState {
    generation: u64,
    wakers: Vec<core::task::Waker>,
}

pub(crate) struct Waiter<'a> {
    signal: &'a WakeSignal,
    seen: u64,
}

impl WakeSignal {
    pub(crate) fn new() -> Self {
        WakeSignal {
            state: Mutex::new(SignalState {
                generation: 0,
                wakers: Vec::new(),
            }),
            condvar: Condvar::new(),
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

impl Waiter<'_> {
    pub(crate) fn wait(self) {
        let signal = self.signal;
        let mut state = signal.state.lock().unwrap();
        while state.generation == self.seen {
            state = signal.condvar.wait(state).unwrap();
        }
    }

    /// Waits until notified (`true`) or until `deadline` passes (`false`).
    pub(crate) fn wait_until(self, deadline: Instant) -> bool {
        let signal = self.signal;
        let mut state = signal.state.lock().unwrap();
        while state.generation == self.seen {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = wait_timeout(&signal.condvar, state, left).0;
        }
        true
    }
}

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
