//! A lane: an unbounded multi-producer multi-consumer FIFO. The queue has one per
//! priority, holding job handles, and the slot arena keeps its free slots in one.
//!
//! Contract: `push` appends at the back, `pop` removes from the front, both lock-free
//! and safe to call from any number of threads; a `push` that returns before another
//! `push` starts is popped first (per-producer FIFO, \[C3\]); everything a thread did
//! before its `push` happens before whatever the thread that pops the value does next;
//! and a `pop` returns `None` only if every push that happens before it was popped.
//!
//! Normally a `crossbeam_queue::SegQueue`. Under loom (`cfg(all(test, loom))`) it is a
//! loom `Mutex<VecDeque>` with the same contract: loom cannot see crossbeam's internal
//! atomics (it would explore one execution of them) and their spin-waits can hang a
//! model, so the stand-in lets loom explore every interleaving of *our* protocol around
//! the lane.
//!
//! A priority lane holds [`SlotHandle`](super::slot_arena::SlotHandle)s, not jobs: a
//! handle whose job was canceled or evicted stays in the lane (16 bytes) until a pop
//! reaches it and finds the job gone.

#[cfg(not(all(test, loom)))]
pub(crate) struct Lane<T> {
    values: crossbeam_queue::SegQueue<T>,
}

#[cfg(not(all(test, loom)))]
impl<T> Lane<T> {
    pub(crate) fn new() -> Self {
        Lane {
            values: crossbeam_queue::SegQueue::new(),
        }
    }

    pub(crate) fn push(&self, value: T) {
        self.values.push(value);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.values.pop()
    }
}

#[cfg(all(test, loom))]
pub(crate) struct Lane<T> {
    values: crate::sync::Mutex<std::collections::VecDeque<T>>,
}

#[cfg(all(test, loom))]
impl<T> Lane<T> {
    pub(crate) fn new() -> Self {
        Lane {
            values: crate::sync::Mutex::new(std::collections::VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, value: T) {
        self.values.lock().unwrap().push_back(value);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.values.lock().unwrap().pop_front()
    }
}
