//! One place in a lane and the job it holds: the state word whose compare-and-swap
//! decides who owns a payload.
//!
//! A lane (`lanes.rs`) is a ring of cells, reused lap after lap. Each job of a lane has
//! a *ticket*, its place in the lane's order, and ticket `t` may only go into cell
//! `t mod ring length`. The cell's word packs a ticket with a state, and its ticket
//! never decreases: it names the latest ticket the cell was claimed for or *passed*
//! at, and every smaller ticket of the cell is settled for good.
//!
//! ```text
//!            claim(t) (producer)       publish (producer)       take (one CAS winner)
//! Free(<t) ─────────────────────▶ Writing(t) ────────────▶ Queued(t) ──────────────▶ Taken(t)
//!    ▲                                 │                                                │
//!    │                                 └─ pass (a dequeue got here first) ─▶ Skipped(t) │
//!    │                                                                           │       │
//!    └─────────────────── release (the owner, once the job is out) ◀─────────────┴───────┘
//! ```
//!
//! * `Free(u)`: no job; tickets up to `u` are settled. A producer holding ticket
//!   `t > u` may claim it.
//! * `Writing(t)`: the producer of ticket `t` owns the cell and is writing its job.
//! * `Queued(t)`: the job is live; the next `take` wins it.
//! * `Taken(t)`: a dequeue, cancel or eviction won the job and is reading it out.
//! * `Skipped(t)`: a dequeue passed the cell while its producer was still writing; the
//!   producer keeps its job and places it again under a new ticket.
//!
//! A dequeue that passes a cell whose ticket is behind raises the ticket without
//! changing the state (`Free(u) -> Free(h)`, `Taken(u) -> Taken(h)`), so that no late
//! producer can claim it for a ticket the lane's head has left behind. The owner of a
//! `Taken` or `Skipped` cell releases it with whatever ticket it then has.
//!
//! Who touches the job: only the producer that claimed the cell, from the claim until
//! it publishes (or takes the job back from `Skipped`); then only the single winner of
//! `Queued -> Taken`, until it releases the cell. Other threads read only the word.

use core::mem::MaybeUninit;
use std::time::Instant;

use crate::queue::id_table::JobState;
use crate::sync::{read_exclusive_u64, AtomicU64, Ordering, UnsafeCell};

const FREE: u64 = 0;
const WRITING: u64 = 1;
const QUEUED: u64 = 2;
const TAKEN: u64 = 3;
const SKIPPED: u64 = 4;
const STATE_BITS: u32 = 3;
const STATE_MASK: u64 = (1 << STATE_BITS) - 1;

/// `ticket` and `state` packed into one word. 61 bits of ticket: a lane that admitted
/// ten billion jobs a second would wrap after seven years.
const fn pack(ticket: u64, state: u64) -> u64 {
    (ticket << STATE_BITS) | state
}

/// What a cell holds for one job; what the winner of its `take` gets back. The priority
/// is the lane's.
pub(crate) struct CellJob<T, I> {
    pub(crate) id: I,
    pub(crate) enqueued_at: Instant,
    /// The id table bucket that holds the job's id; the winner of its `take` vacates it.
    pub(crate) bucket: u32,
    pub(crate) item: T,
}

/// A cell's word as one read saw it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct CellState {
    word: u64,
}

impl CellState {
    pub(crate) fn ticket(self) -> u64 {
        self.word >> STATE_BITS
    }

    fn state(self) -> u64 {
        self.word & STATE_MASK
    }

    /// A job holds its id here: `Writing`, `Queued` or `Skipped` (a job on its way in).
    pub(crate) fn is_live(self) -> bool {
        matches!(self.state(), WRITING | QUEUED | SKIPPED)
    }

    /// The job is admitted and not taken: `Queued`.
    pub(crate) fn is_queued(self) -> bool {
        self.state() == QUEUED
    }

    /// `Writing`: a producer is still writing the job of [`ticket`](Self::ticket).
    pub(crate) fn is_writing(self) -> bool {
        self.state() == WRITING
    }

    /// `Free`: a producer with a larger ticket may claim the cell.
    pub(crate) fn is_free(self) -> bool {
        self.state() == FREE
    }

    /// The same state with ticket `ticket`.
    fn with_ticket(self, ticket: u64) -> u64 {
        pack(ticket, self.state())
    }
}

impl JobState for CellState {
    fn is_live(self) -> bool {
        CellState::is_live(self)
    }
}

/// One place in a lane: the state word and the job. Not padded to a cache line:
/// neighbouring cells share lines, which measured no slower than 64-byte cells on the
/// 1P1C and 2P2C benches and takes a third less memory for small jobs.
pub(crate) struct Cell<T, I> {
    word: AtomicU64,
    job: UnsafeCell<MaybeUninit<CellJob<T, I>>>,
}

// SAFETY: the job is touched only by (1) the producer that claimed the cell, until it
// publishes it or takes it back from `Skipped`, (2) the single winner of the
// `Queued -> Taken` CAS, until it releases the cell, after which (3) the next producer,
// whose claim CAS reads the release, and (4) `Drop`, which has `&mut self`. So at most
// one thread accesses `job` at a time, and moving a `T` or an `I` between threads needs
// them to be `Send`. The word is atomic.
unsafe impl<T: Send, I: Send> Sync for Cell<T, I> {}
// SAFETY: as above; the cell owns a `T` and an `I`, both `Send`.
unsafe impl<T: Send, I: Send> Send for Cell<T, I> {}

impl<T, I> Cell<T, I> {
    /// An empty cell whose tickets up to `settled` are settled.
    pub(crate) fn new(settled: u64) -> Self {
        Cell {
            word: AtomicU64::new(pack(settled, FREE)),
            job: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The word, for any reader: which ticket and state, never the job.
    pub(crate) fn state(&self) -> CellState {
        // Acquire: a reader that acts on what it read (the id table's validation, a
        // dequeue deciding the lane is empty) sees the writes that came before it.
        CellState {
            word: self.word.load(Ordering::Acquire),
        }
    }

    /// `Free(u) -> Writing(ticket)` if the cell still reads `seen` (free, `u < ticket`):
    /// the calling producer owns the cell. `false` if the word moved.
    pub(crate) fn claim(&self, seen: CellState, ticket: u64) -> bool {
        debug_assert!(seen.is_free() && seen.ticket() < ticket);

        // Acquire: pairs with the Release of the `release` that freed the cell, so the
        // previous owner's reads of the old job come before this producer's writes.
        // Relaxed on failure: nothing was taken.
        self.word
            .compare_exchange(
                seen.word,
                pack(ticket, WRITING),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Writes the job of a cell this thread claimed.
    ///
    /// # Safety
    ///
    /// The caller claimed the cell (`claim` returned `true`) and has neither published
    /// nor taken back a job since; any job it wrote before was taken back.
    pub(crate) unsafe fn write(&self, job: CellJob<T, I>) {
        // SAFETY: the claimer owns the job area until it publishes (module docs), and a
        // claimed cell holds no job (the last owner read it out before releasing).
        self.job.with_mut(|cell| unsafe {
            (*cell).write(job);
        });
    }

    /// `Writing(ticket) -> Queued(ticket)`: the job is admitted. `false` if a dequeue
    /// passed the cell first (`Skipped`): the producer then takes its job back with
    /// [`take_back`](Self::take_back).
    pub(crate) fn publish(&self, ticket: u64) -> bool {
        // Release: the winner of the `take` (Acquire) sees the job written before.
        // Relaxed on failure: the job is still the producer's.
        self.word
            .compare_exchange(
                pack(ticket, WRITING),
                pack(ticket, QUEUED),
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// `Writing(ticket) -> Skipped(ticket)`: a dequeue passes a cell whose producer is
    /// still writing. `false` if the producer published (or the word moved) first.
    pub(crate) fn skip(&self, ticket: u64) -> bool {
        // Relaxed: no data changes hands; the producer learns it from its failed publish.
        self.word
            .compare_exchange(
                pack(ticket, WRITING),
                pack(ticket, SKIPPED),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Reads the job back out of a `Skipped` cell this thread claimed.
    ///
    /// # Safety
    ///
    /// The caller claimed the cell, wrote its job, and saw `publish` fail; it calls this
    /// once, then [`release`](Self::release).
    pub(crate) unsafe fn take_back(&self) -> CellJob<T, I> {
        // SAFETY: a skipped cell's job still belongs to its producer, the caller
        // (module docs); it was written and not read since.
        self.job
            .with_mut(|cell| unsafe { (*cell).assume_init_read() })
    }

    /// `Queued(ticket) -> Taken(ticket)`: moves the job out if and only if this call wins
    /// the CAS. The winner must then [`release`](Self::release) the cell.
    pub(crate) fn take(&self, ticket: u64) -> Option<CellJob<T, I>> {
        // Acquire on success: pairs with `publish` (Release), so the job is visible.
        // Relaxed on failure: the loser touches nothing.
        self.word
            .compare_exchange(
                pack(ticket, QUEUED),
                pack(ticket, TAKEN),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .ok()?;
        // SAFETY: this thread won the only transition out of `Queued(ticket)`, so it owns
        // the job until it releases the cell; the job was written before the publish and
        // never read since, because every read goes through a transition out of `Queued`
        // or `Skipped`.
        Some(
            self.job
                .with_mut(|cell| unsafe { (*cell).assume_init_read() }),
        )
    }

    /// Raises the ticket of a cell that a lane's head passes to `settled` (the head, or
    /// a later ticket of the same cell below the tail), keeping its state: `Free`,
    /// `Taken` or `Skipped` with a ticket below `settled`. `false` if the word is no
    /// longer `seen`.
    pub(crate) fn pass(&self, seen: CellState, settled: u64) -> bool {
        debug_assert!(seen.ticket() < settled && !seen.is_queued() && !seen.is_writing());
        // Relaxed: only the ticket moves; a producer that loses its claim to it takes
        // nothing, and an owner's `release` keeps the raised ticket.
        self.word
            .compare_exchange(
                seen.word,
                seen.with_ticket(settled),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// `Taken(u)` or `Skipped(u)` -> `Free(u)`: the owner is done with the job area. A
    /// dequeue may raise `u` meanwhile (`pass`), so this retries with the new ticket.
    ///
    /// # Safety
    ///
    /// The caller owns the cell: it won its `take`, or it is the producer of a skipped
    /// cell that took its job back. Called once.
    pub(crate) unsafe fn release(&self) {
        // Relaxed: the CAS re-validates.
        let mut current = self.word.load(Ordering::Relaxed);
        loop {
            debug_assert!(matches!(current & STATE_MASK, TAKEN | SKIPPED));
            let freed = (current & !STATE_MASK) | FREE;
            // Release: the next claimer (Acquire) comes after this thread's reads of the
            // job, and after whatever it did before (the id table vacate: id_table.rs).
            match self.word.compare_exchange_weak(
                current,
                freed,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

impl<T, I> Drop for Cell<T, I> {
    fn drop(&mut self) {
        // `&mut self`: the queue is being dropped, so no other thread can reach the cell,
        // and whatever gave this thread the queue ordered their accesses before this one.
        let state = read_exclusive_u64(&mut self.word) & STATE_MASK;
        if state == QUEUED || state == WRITING || state == SKIPPED {
            // SAFETY: in these states the job is initialized and was never read out:
            // every read goes through a transition out of them, and a `Writing` or
            // `Skipped` cell is still here only if its producer unwound before it
            // published or took its job back, after writing it (the producer writes
            // right after its claim, with nothing in between that can unwind). `&mut
            // self` means no other thread accesses it.
            self.job
                .with_mut(|cell| unsafe { (*cell).assume_init_drop() });
        }
    }
}
