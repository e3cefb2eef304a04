//! A lane: an unbounded multi-producer multi-consumer FIFO. The queue has one per
//! priority, holding job handles, and the slot arena keeps its free slots in one.
//!
//! Contract (the loom stand-in in `loom_model.rs` keeps it too): `push` appends at the
//! back, `pop` removes from the front, both safe to call from any number of threads; a
//! `push` that returns before another `push` starts is popped first (per-producer FIFO,
//! \[C3\]); everything a thread did before its `push` happens before whatever the thread
//! that pops the value does next; and a `pop` returns `None` only if every push that
//! happens before it was popped.
//!
//! A crossbeam `SegQueue`: lock-free, except that a `pop` that reaches a cell a
//! concurrent `push` is still writing spins until the write lands.

pub(crate) struct Lane<T> {
    values: crossbeam_queue::SegQueue<T>,
}

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
