//! The per-job slot and its state machine: the single CAS that decides who owns a job.
//!
//! A slot lives in the [`SlotArena`](super::slot_arena::SlotArena) and carries job after
//! job. Its state word packs a *generation* (which job the slot holds now) with a state:
//!
//! ```text
//!          fill (allocator)          publish (enqueuer)        take (one CAS winner)
//! Free(g) ─────────────────▶ Pending(g+1) ────────────▶ Queued(g+1) ───────────────▶ Free(g+1)
//!                                 │
//!                                 └── abandon (enqueuer, lost the id to a concurrent
//!                                     enqueue of the same id) ──────────────────────▶ Free(g+1)
//! ```
//!
//! A job is named by its slot and generation (a [`SlotHandle`](super::slot_arena::SlotHandle)).
//! Every check and every `take` compares the whole word, so a handle to an earlier job of
//! the same slot sees a dead job and changes nothing: that is what lets a lane keep a
//! handle to a canceled job after its slot has been reused.
//!
//! The job (id, priority, admission time, payload) is inside the slot while the state is
//! `Pending` or `Queued`. Only the enqueuer that filled the slot moves it out of
//! `Pending`; out of `Queued` it moves exactly once, by the thread whose
//! `compare_exchange` succeeds, and that thread alone reads the job out \[C2\], \[C5\].
//! Nobody else ever reads the job's fields, not even the id: readers that need the id,
//! priority or admission order of a job get them from the id table, which stores them
//! in the job's entry, and read only the slot's word ([`SlotState`]). A slot dropped while `Pending` or `Queued` (the queue itself was
//! dropped) drops its job.

use core::mem::MaybeUninit;
use std::time::Instant;

use crate::queue::id_table::JobState;
use crate::queue::Priority;
use crate::sync::{read_exclusive_u64, AtomicU64, Ordering, UnsafeCell};

/// The state in the low bits of the word: the slot holds no job.
const FREE: u64 = 0;
/// Filled by an enqueuer that has not yet claimed the id; only it may move the job on.
const PENDING: u64 = 1;
/// Admitted: the job is live and the next `take` wins it.
const QUEUED: u64 = 2;
const STATE_BITS: u32 = 2;
const STATE_MASK: u64 = (1 << STATE_BITS) - 1;

/// `generation` and `state` packed into one word. 62 bits of generation: a slot reused
/// ten billion times a second would wrap after fourteen years.
const fn word(generation: u64, state: u64) -> u64 {
    (generation << STATE_BITS) | state
}

/// What a slot holds for one job; what the winner of its `take` gets back.
pub(crate) struct SlotJob<T, I> {
    pub(crate) id: I,
    pub(crate) priority: Priority,
    pub(crate) enqueued_at: Instant,
    /// The id table bucket that holds the job's id; the winner of its `take` vacates it.
    pub(crate) bucket: u32,
    pub(crate) item: T,
}

/// A slot's state word as one read saw it: which job, and where that job is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct SlotState {
    word: u64,
}

impl SlotState {
    /// The job the word is about.
    pub(crate) fn generation(self) -> u64 {
        self.word >> STATE_BITS
    }

    /// The job holds its id: `Pending` or `Queued`.
    pub(crate) fn is_live(self) -> bool {
        matches!(self.word & STATE_MASK, PENDING | QUEUED)
    }

    /// The job is admitted and not taken: `Queued`.
    pub(crate) fn is_queued(self) -> bool {
        self.word & STATE_MASK == QUEUED
    }
}

impl JobState for SlotState {
    fn is_live(self) -> bool {
        SlotState::is_live(self)
    }
}

/// One reusable slot: the state word and the job.
pub(crate) struct Slot<T, I> {
    word: AtomicU64,
    job: UnsafeCell<MaybeUninit<SlotJob<T, I>>>,
}

// SAFETY: the job is only touched by (1) the thread that filled the slot, until it
// publishes or abandons it (only that thread moves a slot out of `Pending`), (2) the
// single winner of the `Queued -> Free` CAS, until it puts the slot back on the free list,
// after which (3) the next allocator, whose free-list pop happens after that push,
// and (4) `Drop`, which has `&mut self`. So at most one thread accesses `job` at a time,
// and moving a `T` or an `I` between threads needs them to be `Send`. The word is atomic.
unsafe impl<T: Send, I: Send> Sync for Slot<T, I> {}
// SAFETY: as above; the slot owns a `T` and an `I`, both `Send`.
unsafe impl<T: Send, I: Send> Send for Slot<T, I> {}

impl<T, I> Slot<T, I> {
    /// An empty slot: generation 0, `Free`.
    pub(crate) fn vacant() -> Self {
        Slot {
            word: AtomicU64::new(word(0, FREE)),
            job: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// `Free(g) -> Pending(g+1)`: stores `job` and returns the new generation.
    ///
    /// # Safety
    ///
    /// The caller owns this free slot: it took it off the arena's free list (or from the
    /// arena's never-used slots), and has not filled it since.
    pub(crate) unsafe fn fill(&self, job: SlotJob<T, I>) -> u64 {
        // Relaxed: only the owner writes a free slot's word, and the free-list pop that
        // made this thread the owner happens after the last write to it.
        let generation = (self.word.load(Ordering::Relaxed) >> STATE_BITS) + 1;
        // SAFETY: the caller owns the free slot (see above), so no other thread accesses
        // `job`; a free slot's job was read out (or never written), so nothing is
        // overwritten that still needs dropping.
        self.job.with_mut(|cell| unsafe {
            (*cell).write(job);
        });
        // Release: no other thread acts on a `Pending` slot, but id table readers check
        // a slot's word between two reads of a table entry; a refill they see must
        // imply that the previous job's entry is gone, and the entry was vacated before
        // the free-list push that handed this slot to this thread (id_table.rs).
        self.word
            .store(word(generation, PENDING), Ordering::Release);
        generation
    }

    /// The state word, for readers that are not the job's owner: they learn whether the
    /// job is live and which generation it is, never the job itself.
    pub(crate) fn state(&self) -> SlotState {
        // Acquire: see `fill` (the id table's validation) and `publish`.
        SlotState {
            word: self.word.load(Ordering::Acquire),
        }
    }

    /// Records the id table bucket of the job in a `Pending` slot.
    ///
    /// # Safety
    ///
    /// Only the thread that filled the slot with job `generation` may call this, before
    /// `publish` or `abandon`.
    pub(crate) unsafe fn set_bucket(&self, bucket: u32) {
        // SAFETY: the slot is `Pending` and only its filler, this thread, touches its
        // job (the caller's contract), so the job is initialized and nobody reads it.
        self.job.with_mut(|cell| unsafe {
            (*cell).assume_init_mut().bucket = bucket;
        });
    }

    /// `Pending(g) -> Queued(g)`: the job is admitted and may now be taken. Called once,
    /// by the enqueuer that filled the slot, before it pushes the handle into its lane.
    pub(crate) fn publish(&self, generation: u64) {
        // Release: a taker whose CAS reads `Queued(g)` also sees the job written in
        // `fill` (a canceller may have found the slot through the id table, whose own
        // ordering already covers it; the lane's push covers dequeues).
        self.word.store(word(generation, QUEUED), Ordering::Release);
    }

    /// `Queued(g) -> Free(g)`: moves job `generation` out if and only if this call wins
    /// the CAS. The winner must then give the slot back to the arena's free list.
    pub(crate) fn take(&self, generation: u64) -> Option<SlotJob<T, I>> {
        // AcqRel on success: Acquire pairs with `publish` (Release) so the job written
        // in `fill` is visible; Release orders the exit before the winner's later index
        // and counter updates for threads that read this word. Relaxed on failure: the
        // loser touches nothing.
        self.word
            .compare_exchange(
                word(generation, QUEUED),
                word(generation, FREE),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .ok()?;
        // SAFETY: this thread won the only transition out of `Queued(generation)`, so it
        // owns the job until it puts the slot back on the free list (see the `Sync`
        // impl); the job was written in `fill` and not read since, because every read
        // goes through a transition out of `Pending` or `Queued`.
        Some(
            self.job
                .with_mut(|cell| unsafe { (*cell).assume_init_read() }),
        )
    }

    /// `Pending(g) -> Free(g)`: the enqueuer takes its job back after a refusal.
    ///
    /// # Safety
    ///
    /// Only the thread that filled the slot with job `generation` may call this, once,
    /// and only before `publish`.
    pub(crate) unsafe fn abandon(&self, generation: u64) -> SlotJob<T, I> {
        // SAFETY: the slot is `Pending(generation)` and only its filler, this thread,
        // moves it out of `Pending` or touches its job (the caller's contract), so the
        // job is initialized and no other thread reads it.
        let job = self
            .job
            .with_mut(|cell| unsafe { (*cell).assume_init_read() });
        // Relaxed: no other thread moves a slot out of `Pending` or reads its job;
        // readers of the word only learn that the id may be reused. The free-list push
        // that follows publishes the slot to its next owner.
        self.word.store(word(generation, FREE), Ordering::Relaxed);
        job
    }
}

impl<T, I> Drop for Slot<T, I> {
    fn drop(&mut self) {
        // `&mut self`: the arena is being dropped, so no other thread can reach the slot,
        // and whatever gave this thread the arena ordered their accesses before this one.
        let state = read_exclusive_u64(&mut self.word) & STATE_MASK;
        if state == PENDING || state == QUEUED {
            // SAFETY: in these states the job is initialized and was never read out
            // (every read goes through a transition out of them), and `&mut self` means
            // no other thread can access it.
            self.job
                .with_mut(|cell| unsafe { (*cell).assume_init_drop() });
        }
    }
}
