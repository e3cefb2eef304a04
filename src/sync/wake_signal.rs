//! Waiting for work: the signal that blocking and async dequeues sleep on.
//!
//! Contract (the "register, re-check, wait" protocol): a [`Waiter`] obtained from
//! [`WakeSignal::listen`] is woken by every `notify_*` that starts after `listen`
//! returned. A dequeue therefore (1) tries the queue, (2) listens, (3) tries again, and
//! only then (4) waits: an enqueue or close that lands between (1) and (4) either is seen
//! by (3) or notifies the waiter of (2), so no wake-up is lost. Spurious wake-ups are
//! allowed; callers loop.
//!
//! With nobody listening, a notification costs a `SeqCst` fence and one load: the signal
//! counts its listeners and only calls into the underlying signal (which takes its lock
//! to notify) when the count is not 0. Why that loses no wake-up: a listener raises the
//! count, registers, and issues a `SeqCst` fence before its re-check (3); a notifier
//! makes its change, issues a `SeqCst` fence, then reads the count. Of the two fences,
//! the first in their single total order makes its side's write visible to the other's
//! read: either the re-check sees the change, or the notifier sees the count and wakes
//! the registered listener.
//!
//! The underlying signal is `lock_signal.rs`: a lock and a condition variable, which
//! serve blocking and async waiters alike.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::signal_impl;
use super::{fence, AtomicUsize, Ordering};

pub(crate) struct WakeSignal {
    /// Listeners registered and not yet dropped.
    listeners: CachePadded<AtomicUsize>,
    inner: signal_impl::WakeSignal,
}

pub(crate) struct Waiter<'a> {
    /// `None` once waited on.
    inner: Option<signal_impl::Waiter<'a>>,
    listeners: &'a AtomicUsize,
}

impl WakeSignal {
    pub(crate) fn new() -> Self {
        WakeSignal {
            listeners: CachePadded::new(AtomicUsize::new(0)),
            inner: signal_impl::WakeSignal::new(),
        }
    }

    pub(crate) fn listen(&self) -> Waiter<'_> {
        // Relaxed: the fence below orders it before the caller's re-check.
        self.listeners.fetch_add(1, Ordering::Relaxed);
        let inner = self.inner.listen();
        // The listener's side of the protocol in the module docs.
        fence(Ordering::SeqCst);
        Waiter {
            inner: Some(inner),
            listeners: &self.listeners,
        }
    }

    /// Wakes one more waiter than are already woken: one new job, one worker.
    pub(crate) fn notify_one(&self) {
        if self.anyone_listening() {
            self.inner.notify_one();
        }
    }

    /// Wakes every waiter (close, or the last job of a closed queue is gone).
    pub(crate) fn notify_all(&self) {
        if self.anyone_listening() {
            self.inner.notify_all();
        }
    }

    fn anyone_listening(&self) -> bool {
        // The notifier's side of the protocol in the module docs: the caller's change
        // comes before the fence, the count is read after it.
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence.
        self.listeners.load(Ordering::Relaxed) != 0
    }
}

impl Waiter<'_> {
    pub(crate) fn wait(mut self) {
        if let Some(inner) = self.inner.take() {
            inner.wait();
        }
    }

    /// Waits until notified (`true`) or until `deadline` passes (`false`).
    pub(crate) fn wait_until(mut self, deadline: Instant) -> bool {
        self.inner
            .take()
            .is_none_or(|inner| inner.wait_until(deadline))
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        // Relaxed: a late decrement only makes a notifier call into the signal for
        // nothing; an early one cannot happen (this waiter is done waiting).
        self.listeners.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Future for Waiter<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // `Waiter` is `Unpin` (both signals' waiters are).
        match &mut self.inner {
            Some(inner) => Pin::new(inner).poll(cx),
            None => Poll::Ready(()),
        }
    }
}
