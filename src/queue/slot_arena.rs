//! The slot arena: type-stable storage for the queue's slots, recycled by generation.
//!
//! A job's slot is not a heap allocation of its own: the enqueue takes a free [`Slot`]
//! from the arena, and whoever takes the job out (dequeue, cancel or eviction) gives the
//! slot back. Lanes refer to a job by [`SlotHandle`] (slot index plus
//! generation), and a handle whose generation has moved on reads as a dead job (see
//! `slot.rs`), so a lane may keep a canceled job's handle after the slot was reused.
//!
//! * **Bound.** A slot is taken only by an enqueue that holds a unit of capacity, and
//!   given back before that unit is freed (or handed to the enqueue that evicted it). So
//!   slots in use never outnumber the units held, the arena never creates more slots
//!   than the queue's capacity, however many jobs are canceled, and an enqueue that finds
//!   every slot created always has one coming back to the free list.
//! * **Growth.** Slots are created on demand in chunks of `FIRST_CHUNK`, then twice that,
//!   four times… (chunk `k` holds `FIRST_CHUNK << k` slots), each installed once with a
//!   CAS and freed only with the arena. Memory is O(peak live jobs), and a slot never
//!   moves, so a reference to it stays valid while the arena lives.
//! * **Free list.** The indices of free slots, in a [`Lane`] (crossbeam's `SegQueue`):
//!   FIFO, so a slot is reused long after the thread that freed it touched it, and the
//!   freeing and the allocating threads work on different cache lines. A LIFO stack
//!   would make the consumer's push and the producer's pop meet on one head word and on
//!   the slot just freed (BENCHMARKS.md, "Alternatives measured"). An index fits 32
//!   bits, so one queue holds at most [`MAX_SLOTS`] jobs.

use core::ptr;

use crossbeam_utils::CachePadded;

use crate::queue::slot::{Slot, SlotJob, SlotState};
use crate::sync::{
    read_exclusive_ptr, spin_hint, AtomicPtr, AtomicUsize, Lane, Ordering, IN_LOOM_MODEL,
};

/// The most slots an arena holds, so the most live jobs a `ConcurrentQueue` admits: an
/// index is stored as `index + 1` in 32 bits.
pub(crate) const MAX_SLOTS: usize = u32::MAX as usize;

/// Slots in the first chunk. Loom models use one, so that their few jobs already
/// exercise installing chunks concurrently.
const FIRST_CHUNK: usize = if IN_LOOM_MODEL { 1 } else { 32 };

/// Enough chunks for [`MAX_SLOTS`] slots even with `FIRST_CHUNK == 1`.
const CHUNKS: usize = 33;

/// Names one job: the slot that holds it and which of the slot's jobs it is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct SlotHandle {
    index: u32,
    generation: u64,
}

/// A filled slot that is not published yet: only the enqueuer that holds this (it is
/// neither `Copy` nor `Clone`) can [`publish`](SlotArena::publish) or
/// [`abandon`](SlotArena::abandon) it, once.
#[must_use = "a pending slot must be published or abandoned"]
pub(crate) struct PendingSlot {
    handle: SlotHandle,
}

impl PendingSlot {
    /// The handle the job will have once published.
    pub(crate) fn handle(&self) -> SlotHandle {
        self.handle
    }
}

impl SlotHandle {
    /// The job that slot `index` holds as generation `generation`.
    pub(crate) fn new(index: u32, generation: u64) -> Self {
        SlotHandle { index, generation }
    }

    /// The slot's index.
    pub(crate) fn index(self) -> u32 {
        self.index
    }
}

/// Slots for the jobs of one queue (see the module docs).
pub(crate) struct SlotArena<T, I> {
    /// Chunk `k` (`FIRST_CHUNK << k` slots) once installed, else null.
    chunks: [AtomicPtr<Slot<T, I>>; CHUNKS],
    /// Indices of the free slots.
    free: Lane<u32>,
    /// Slots created so far; indices below it exist.
    created: CachePadded<AtomicUsize>,
    /// The most slots this arena creates.
    limit: usize,
}

impl<T, I> SlotArena<T, I> {
    /// An arena that creates at most `limit` slots (at most [`MAX_SLOTS`]), none yet.
    pub(crate) fn with_limit(limit: usize) -> Self {
        SlotArena {
            chunks: core::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            free: Lane::new(),
            created: CachePadded::new(AtomicUsize::new(0)),
            limit: limit.min(MAX_SLOTS),
        }
    }

    /// Stores `job` in a free slot. The caller must hold a unit of capacity for it and
    /// keep holding it until the slot is given back (by `take` or `abandon`). Gives the
    /// job back if the arena is exhausted, which a caller that keeps to that rule never
    /// sees (see the module docs).
    pub(crate) fn insert(&self, job: SlotJob<T, I>) -> Result<PendingSlot, SlotJob<T, I>> {
        let Some(index) = self.allocate() else {
            return Err(job);
        };
        // SAFETY: `allocate` returned this slot to this thread alone: it was popped off
        // the free list or newly created, and nobody fills a slot they did not allocate.
        let generation = unsafe { self.slot(index).fill(job) };
        Ok(PendingSlot {
            handle: SlotHandle { index, generation },
        })
    }

    /// Makes the pending job live: from now on a `take` of its handle can win it.
    pub(crate) fn publish(&self, pending: PendingSlot) -> SlotHandle {
        let handle = pending.handle;
        self.slot(handle.index).publish(handle.generation);
        handle
    }

    /// Takes the pending job back (the enqueue was refused) and frees its slot.
    pub(crate) fn abandon(&self, pending: PendingSlot) -> SlotJob<T, I> {
        let handle = pending.handle;
        // SAFETY: `pending` is the only `PendingSlot` for this job, it is consumed here,
        // and it was never published: this thread filled the slot and is the only one
        // allowed to move it out of `Pending`.
        let job = unsafe { self.slot(handle.index).abandon(handle.generation) };
        self.free(handle.index);
        job
    }

    /// Moves the job out if it is still queued under this handle and this call wins it;
    /// `None` if the job is gone (taken, or not yet published). The winner owns the slot
    /// until it gives it back with [`recycle`](Self::recycle), after vacating the job's
    /// id table entry (id_table.rs relies on that order).
    pub(crate) fn take(&self, handle: SlotHandle) -> Option<SlotJob<T, I>> {
        self.slot(handle.index).take(handle.generation)
    }

    /// Fills the slot of a job this thread took (and did not recycle) with `job`.
    pub(crate) fn reuse(&self, taken: SlotHandle, job: SlotJob<T, I>) -> PendingSlot {
        // SAFETY: the caller won the `take` of `taken` and kept its slot: it owns this
        // free slot, and nobody else fills a slot they do not own.
        let generation = unsafe { self.slot(taken.index).fill(job) };
        PendingSlot {
            handle: SlotHandle {
                index: taken.index,
                generation,
            },
        }
    }

    /// Gives back the slot of a job this thread took.
    pub(crate) fn recycle(&self, handle: SlotHandle) {
        self.free(handle.index);
    }

    /// The state word of slot `index` (which job it holds, and whether it is live), for
    /// readers that are not the job's owner.
    pub(crate) fn state(&self, index: u32) -> SlotState {
        self.slot(index).state()
    }

    /// Records the id table bucket of a pending job (before it is published).
    pub(crate) fn set_bucket(&self, pending: &PendingSlot, bucket: u32) {
        // SAFETY: `pending` is the only `PendingSlot` of this job and is held by this
        // thread, the filler, and the job is not yet published or abandoned.
        unsafe { self.slot(pending.handle.index).set_bucket(bucket) }
    }

    /// A free slot's index: from the free list, else newly created, else (every slot
    /// created) the next one given back; `None` only past the limit, which a caller that
    /// holds a unit of capacity never reaches.
    fn allocate(&self) -> Option<u32> {
        if let Some(index) = self.free.pop() {
            return Some(index);
        }
        // Relaxed: the RMW alone makes each index unique; the chunk it lands in is
        // installed below with its own synchronization.
        let mut created = self.created.load(Ordering::Relaxed);
        while created < self.limit {
            match self.created.compare_exchange_weak(
                created,
                created + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.install_chunk_for(created);
                    // `created < limit <= MAX_SLOTS == u32::MAX`.
                    return Some(created as u32);
                }
                Err(current) => created = current,
            }
        }
        // Every slot exists. The caller holds a unit and no slot, so fewer slots than
        // units are in use: at least one is on the free list already (pushed before its
        // unit was freed), and this pop may only have missed it by a moment.
        for _ in 0..1024 {
            if let Some(index) = self.free.pop() {
                return Some(index);
            }
            spin_hint();
        }
        None
    }

    /// Puts a slot this thread owns (it won its `take` or abandoned it) on the free list.
    fn free(&self, index: u32) {
        // The free list's push happens before the pop that hands the slot to its next
        // owner, so this thread is done with the job (read out before this point) before
        // the next owner writes it.
        self.free.push(index);
    }

    /// Slots in chunk `chunk` as installed: the last chunk stops at the limit, so the
    /// arena never holds more slots than the limit.
    fn installed_len(&self, chunk: usize) -> usize {
        chunk_len(chunk).min(self.limit.saturating_sub(chunk_start(chunk)))
    }

    /// Makes sure the chunk holding slot `index` exists.
    fn install_chunk_for(&self, index: usize) {
        let (chunk, _) = locate(index);
        // Acquire: if another thread installed it, its slots' initialization is visible.
        if !self.chunks[chunk].load(Ordering::Acquire).is_null() {
            return;
        }
        let len = self.installed_len(chunk);
        let slots: Box<[Slot<T, I>]> = (0..len).map(|_| Slot::vacant()).collect();
        let fresh = Box::into_raw(slots).cast::<Slot<T, I>>();
        // AcqRel on success: Release publishes the initialized slots to every later
        // Acquire load of the pointer. Acquire on failure: the winner's chunk is used.
        if self.chunks[chunk]
            .compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `fresh` came from `Box::into_raw` of a slice of exactly `len` slots
            // just above and was never shared (the CAS failed).
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, len)) });
        }
    }

    /// The slot at `index`, which must have been created (it came from a handle, a
    /// `PendingSlot`, the free list or `allocate`).
    fn slot(&self, index: u32) -> &Slot<T, I> {
        let (chunk, offset) = locate(index as usize);
        // Acquire: pairs with the installing CAS, so the slots' initialization is
        // visible. (Whatever handed this thread the index already ordered the install
        // before this point; the Acquire keeps that argument local and is free on x86.)
        let base = self.chunks[chunk].load(Ordering::Acquire);
        // Never fails while the protocol holds; a bug shows as a panic, not as a wild
        // pointer (one predictable branch on a value already loaded).
        assert!(!base.is_null(), "slot {index} used before its chunk exists");
        // SAFETY: the index was created, so its chunk was installed before the index was
        // handed out, and chunks live until the arena is dropped, which `&self` rules
        // out; `offset < installed_len(chunk)` because the index is below the limit.
        unsafe { &*base.add(offset) }
    }
}

impl<T, I> Drop for SlotArena<T, I> {
    fn drop(&mut self) {
        for chunk in 0..CHUNKS {
            let len = self.installed_len(chunk);
            let base = read_exclusive_ptr(&mut self.chunks[chunk]);
            if !base.is_null() {
                // SAFETY: installed from `Box::into_raw` of a slice of
                // `installed_len(chunk)` slots and freed only here; `&mut self` means no
                // reference into it is left. Dropping the slots drops the jobs in them.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(base, len)) });
            }
        }
    }
}

/// Slots in chunk `chunk` when the limit does not cut it short.
const fn chunk_len(chunk: usize) -> usize {
    FIRST_CHUNK << chunk
}

/// The index of chunk `chunk`'s first slot.
const fn chunk_start(chunk: usize) -> usize {
    FIRST_CHUNK * ((1 << chunk) - 1)
}

/// The chunk and the offset in it of slot `index`: chunk `k` starts at
/// `FIRST_CHUNK * (2^k - 1)`.
fn locate(index: usize) -> (usize, usize) {
    let blocks = index / FIRST_CHUNK + 1;
    let chunk = (usize::BITS - 1 - blocks.leading_zeros()) as usize;
    (chunk, index - chunk_start(chunk))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::queue::Priority;

    fn job(id: u64) -> SlotJob<String, u64> {
        SlotJob {
            id,
            priority: Priority::Batch,
            enqueued_at: Instant::now(),
            bucket: 0,
            item: format!("job {id}"),
        }
    }

    #[test]
    fn locate_covers_every_index_once() {
        let mut expected = (0, 0);
        for index in 0..FIRST_CHUNK * 40 {
            assert_eq!(locate(index), expected, "index {index}");
            expected.1 += 1;
            if expected.1 == chunk_len(expected.0) {
                expected = (expected.0 + 1, 0);
            }
        }
        let (last_chunk, last_offset) = locate(MAX_SLOTS - 1);
        assert!(last_chunk < CHUNKS && last_offset < chunk_len(last_chunk));
    }

    #[test]
    fn a_stale_handle_sees_a_dead_job_after_reuse() {
        let arena = SlotArena::with_limit(1);
        let first = arena.publish(arena.insert(job(1)).ok().unwrap());
        assert!(arena.state(first.index).is_queued());
        assert_eq!(arena.take(first).map(|job| job.item), Some("job 1".into()));
        assert!(!arena.state(first.index).is_live());
        arena.recycle(first);
        let second = arena.publish(arena.insert(job(2)).ok().unwrap());
        assert_ne!(first, second, "the reused slot has a new generation");
        assert!(
            arena.take(first).is_none(),
            "the stale handle takes nothing"
        );
        assert!(arena.state(second.index).is_queued());
        assert_eq!(arena.state(second.index).generation(), second.generation);
        assert_eq!(arena.take(second).map(|job| job.id), Some(2));
    }

    #[test]
    fn the_limit_is_never_exceeded_and_freed_slots_are_reused() {
        let arena = SlotArena::with_limit(3);
        let pending: Vec<_> = (0..3)
            .map(|id| arena.insert(job(id)).ok().unwrap())
            .collect();
        assert_eq!(arena.insert(job(9)).err().map(|job| job.id), Some(9));
        let mut handles: Vec<_> = pending.into_iter().map(|p| arena.publish(p)).collect();
        let freed = handles.remove(1);
        assert!(arena.take(freed).is_some());
        arena.recycle(freed);
        let reused = arena.insert(job(4)).ok().unwrap();
        assert_eq!(reused.handle().index, freed.index);
        assert_eq!(arena.abandon(reused).item, "job 4");
        assert_eq!(arena.created.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn dropping_the_arena_drops_the_jobs_left_in_it() {
        let payload = std::sync::Arc::new(());
        let arena = SlotArena::with_limit(100);
        for id in 0..70 {
            let pending = arena
                .insert(SlotJob {
                    id,
                    priority: Priority::Interactive,
                    enqueued_at: Instant::now(),
                    bucket: 0,
                    item: std::sync::Arc::clone(&payload),
                })
                .ok()
                .unwrap();
            let handle = arena.publish(pending);
            if id % 3 == 0 {
                drop(arena.take(handle));
                arena.recycle(handle);
            }
        }
        assert_eq!(std::sync::Arc::strong_count(&payload), 1 + 70 - 24);
        drop(arena);
        assert_eq!(std::sync::Arc::strong_count(&payload), 1);
    }
}
