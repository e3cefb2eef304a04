//! A lane: the unbounded FIFO of one priority's slots.
//!
//! Contract: `push` appends at the back, `pop` removes from the front, both lock-free
//! and safe to call from any number of threads; a `push` that returns before another
//! `push` starts is popped first (per-producer FIFO, \[C3\]).
//!
//! Normally a `crossbeam_queue::SegQueue`. Under loom (`cfg(all(test, loom))`) it is a
//! loom `Mutex<VecDeque>` with the same contract: loom cannot see crossbeam's internal
//! atomics (it would explore one execution of them) and their spin-waits can hang a
//! model, so the stand-in lets loom explore every interleaving of *our* protocol around
//! the lane.

use crate::queue::slot::Slot;
use crate::sync::Arc;

/// A shared slot, as stored in a lane and in the id index.
pub(crate) type SlotRef<T, I> = Arc<Slot<T, I>>;

#[cfg(not(all(test, loom)))]
pub(crate) struct Lane<T, I> {
    slots: crossbeam_queue::SegQueue<SlotRef<T, I>>,
}

#[cfg(not(all(test, loom)))]
impl<T, I> Lane<T, I> {
    pub(crate) fn new() -> Self {
        Lane {
            slots: crossbeam_queue::SegQueue::new(),
        }
    }

    pub(crate) fn push(&self, slot: SlotRef<T, I>) {
        self.slots.push(slot);
    }

    pub(crate) fn pop(&self) -> Option<SlotRef<T, I>> {
        self.slots.pop()
    }
}

#[cfg(all(test, loom))]
pub(crate) struct Lane<T, I> {
    slots: crate::sync::Mutex<std::collections::VecDeque<SlotRef<T, I>>>,
}

#[cfg(all(test, loom))]
impl<T, I> Lane<T, I> {
    pub(crate) fn new() -> Self {
        Lane {
            slots: crate::sync::Mutex::new(std::collections::VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, slot: SlotRef<T, I>) {
        self.slots.lock().unwrap().push_back(slot);
    }

    pub(crate) fn pop(&self) -> Option<SlotRef<T, I>> {
        self.slots.lock().unwrap().pop_front()
    }
}
