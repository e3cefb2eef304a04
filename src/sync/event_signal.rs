//! The signal under [`WakeSignal`](super::WakeSignal) outside `--cfg loom`:
//! `event-listener` (the crate behind async-channel and concurrent-queue), which serves
//! blocking and async waiters alike. Its `notify` takes an internal lock every time, so
//! the wrapper calls it only when someone listens. Contract: the wrapper's.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Instant;

pub(crate) struct WakeSignal {
    event: event_listener::Event,
}

pub(crate) struct Waiter<'a> {
    listener: event_listener::EventListener,
    _signal: core::marker::PhantomData<&'a WakeSignal>,
}

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

impl Future for Waiter<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.listener).poll(cx)
    }
}
