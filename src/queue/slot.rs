//! The per-job slot and its state machine: the single CAS that decides who owns a
//! payload.
//!
//! ```text
//!            publish (enqueuer)            take (winner of one CAS)
//! Pending ─────────────────────▶ Queued ───────────────▶ Taken | Canceled | Evicted
//!    │
//!    └── abandon (enqueuer, lost the id to a concurrent enqueue) ──▶ Abandoned
//! ```
//!
//! The payload is inside the slot while the state is `Pending` or `Queued`. Only the
//! enqueuer that created the slot moves it out of `Pending`; out of `Queued` it moves
//! exactly once, by the thread whose `compare_exchange` succeeds, and that thread alone
//! reads the payload out \[C2\], \[C5\]. A slot dropped while still `Pending` or `Queued`
//! (the queue itself was dropped) drops its payload.

use core::mem::MaybeUninit;
use std::time::Instant;

use crate::queue::Priority;
use crate::sync::{read_exclusive, AtomicU8, Ordering, UnsafeCell};

const PENDING: u8 = 0;
const QUEUED: u8 = 1;
const TAKEN: u8 = 2;
const CANCELED: u8 = 3;
const EVICTED: u8 = 4;
const ABANDONED: u8 = 5;

/// How a queued job left the queue; the target state of [`Slot::take`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Handed to a worker by a dequeue.
    Taken,
    /// Removed by `cancel`.
    Canceled,
    /// Removed by a `DropLru` enqueue to make room.
    Evicted,
}

impl Exit {
    const fn state(self) -> u8 {
        match self {
            Exit::Taken => TAKEN,
            Exit::Canceled => CANCELED,
            Exit::Evicted => EVICTED,
        }
    }
}

/// One job: immutable facts plus the payload behind the state machine above.
pub(crate) struct Slot<T, I> {
    state: AtomicU8,
    id: I,
    priority: Priority,
    /// Order of admission within the lane, for snapshots and positions.
    ticket: u64,
    enqueued_at: Instant,
    item: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the payload is only touched by (1) the creating thread before the slot is
// shared and in `abandon`, which no other thread can race (only the creator moves a slot
// out of `Pending`), (2) the single winner of the `Queued -> exit` CAS, and (3) `Drop`,
// which has `&mut self`. So at most one thread accesses `item` at a time, and moving a
// `T` across threads needs `T: Send`; every other field is read-only and `I: Sync`.
unsafe impl<T: Send, I: Send + Sync> Sync for Slot<T, I> {}
// SAFETY: as above; the slot owns a `T` and an `I`, both `Send`.
unsafe impl<T: Send, I: Send> Send for Slot<T, I> {}

impl<T, I: Copy> Slot<T, I> {
    /// A `Pending` slot holding `item`.
    pub(crate) fn new(id: I, priority: Priority, ticket: u64, item: T) -> Self {
        Slot {
            state: AtomicU8::new(PENDING),
            id,
            priority,
            ticket,
            enqueued_at: Instant::now(),
            item: UnsafeCell::new(MaybeUninit::new(item)),
        }
    }

    pub(crate) fn id(&self) -> I {
        self.id
    }

    pub(crate) fn priority(&self) -> Priority {
        self.priority
    }

    pub(crate) fn ticket(&self) -> u64 {
        self.ticket
    }

    pub(crate) fn enqueued_at(&self) -> Instant {
        self.enqueued_at
    }

    /// `Pending -> Queued`: the job is admitted and may now be taken. Called once, by
    /// the enqueuer that created the slot, before it pushes the slot into its lane.
    pub(crate) fn publish(&self) {
        // Release: a taker whose CAS reads `QUEUED` also sees the payload written in
        // `new` (it may have found the slot through the id index while still Pending).
        self.state.store(QUEUED, Ordering::Release);
    }

    /// `true` while the job is live (admitted and not taken).
    pub(crate) fn is_queued(&self) -> bool {
        // Acquire: pairs with `publish`; callers only read immutable fields after it,
        // so this is about freshness, not payload access.
        self.state.load(Ordering::Acquire) == QUEUED
    }

    /// `true` once the job left the queue (taken, canceled, evicted or abandoned): the
    /// id it holds in the index may be reused.
    pub(crate) fn is_dead(&self) -> bool {
        // Acquire: a reader that sees the slot dead may replace its index entry; the
        // winner's writes before the CAS need not be visible, but Acquire keeps the
        // reasoning local and costs nothing on x86.
        self.state.load(Ordering::Acquire) >= TAKEN
    }

    /// `Queued -> exit`: moves the payload out if and only if this call wins the CAS.
    pub(crate) fn take(&self, exit: Exit) -> Option<T> {
        // AcqRel on success: Acquire pairs with `publish` (Release) so the payload
        // written before publication is visible; Release orders the exit before the
        // winner's later index and counter updates for threads that read this state.
        // Relaxed on failure: the loser touches nothing.
        self.state
            .compare_exchange(QUEUED, exit.state(), Ordering::AcqRel, Ordering::Relaxed)
            .ok()?;
        // SAFETY: this thread won the only transition out of `Queued`, so it is the only
        // one that will ever access the payload again (see the `Sync` impl); the payload
        // was initialized in `new` and has not been read since, because every read goes
        // through a successful transition out of `Pending` or `Queued`.
        Some(
            self.item
                .with_mut(|item| unsafe { (*item).assume_init_read() }),
        )
    }

    /// `Pending -> Abandoned`: the enqueuer takes its payload back after a refusal.
    ///
    /// Only the thread that created the slot may call this, once, before `publish`.
    pub(crate) fn abandon(&self) -> T {
        // Relaxed: no other thread moves a slot out of `Pending` or reads its payload,
        // so there is nothing to synchronize with; readers of the state only learn that
        // the id may be reused.
        let previous = self.state.swap(ABANDONED, Ordering::Relaxed);
        debug_assert_eq!(previous, PENDING, "abandon of a published slot");
        // SAFETY: the slot was `Pending` (only its creator, this thread, moves it out of
        // `Pending`), so the payload is initialized and no other thread may read it.
        self.item
            .with_mut(|item| unsafe { (*item).assume_init_read() })
    }
}

impl<T, I> Drop for Slot<T, I> {
    fn drop(&mut self) {
        // `&mut self`: the last `Arc` is gone, and `Arc`'s drop ordered every thread's
        // earlier accesses before this one, so a plain read sees the final state.
        let state = read_exclusive(&mut self.state);
        if state == PENDING || state == QUEUED {
            // SAFETY: in these states the payload is initialized and was never read out
            // (every read goes through a transition out of them), and `&mut self` means
            // no other thread can access it.
            self.item
                .with_mut(|item| unsafe { (*item).assume_init_drop() });
        }
    }
}
