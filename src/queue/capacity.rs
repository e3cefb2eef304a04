//! Capacity accounting: one cache-padded word holding the number of live jobs and the
//! closed flag.
//!
//! `word = units << 1 | CLOSED`. An enqueue reserves a unit with a CAS *below* the
//! capacity before it publishes its job, and the thread that takes a job (dequeue or
//! cancel) frees the unit after its slot CAS; a `DropLru` eviction hands the victim's
//! unit to the newcomer without touching the word. So `units` counts live jobs plus
//! admissions in flight and never exceeds the capacity \[C1\]. Keeping the flag in the
//! same word makes "closed and no unit held" a single observation: once seen it is
//! final (no reservation succeeds after close and no unit is left to hand over), which
//! is what lets a dequeue report `Closed` only when nothing can ever arrive \[Q7\].
//!
//! # Memory ordering
//!
//! The word guards no other memory: each slot carries its own Release/Acquire pair for
//! its payload. The bound is a property of this one atomic's modification order, which
//! every read-modify-write sees whole, so all accesses are `Relaxed`.

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicUsize, Ordering};

const CLOSED: usize = 1;
const UNIT: usize = 2;

/// The largest capacity the word can count (one bit holds the closed flag).
pub(crate) const MAX_CAPACITY: usize = usize::MAX >> 1;

/// Why a reservation failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every unit is held; carries the word that showed it, so that a caller can tell
    /// whether anything moved since.
    Full(usize),
    /// The queue is closed.
    Closed,
}

pub(crate) struct Capacity {
    word: CachePadded<AtomicUsize>,
    capacity: usize,
}

impl Capacity {
    /// A gauge for `capacity` units, clamped to [`MAX_CAPACITY`].
    pub(crate) fn new(capacity: usize) -> Self {
        Capacity {
            word: CachePadded::new(AtomicUsize::new(0)),
            capacity: capacity.min(MAX_CAPACITY),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Takes one unit if the queue is open and not full.
    pub(crate) fn try_reserve(&self) -> Result<(), Refusal> {
        // Relaxed: see the module docs; the CAS below re-validates whatever this read.
        let mut current = self.word.load(Ordering::Relaxed);
        loop {
            if current & CLOSED != 0 {
                return Err(Refusal::Closed);
            }
            if current >> 1 >= self.capacity {
                return Err(Refusal::Full(current));
            }
            // Relaxed: the bound holds by the CAS's atomicity alone (module docs).
            match self.word.compare_exchange(
                current,
                current + UNIT,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    /// Frees one unit after a job was dequeued or canceled. Returns `true` if this left
    /// the queue closed with no unit held, i.e. drained for good.
    pub(crate) fn free_unit(&self) -> bool {
        // Relaxed: a read-modify-write on the single word (module docs).
        let previous = self.word.fetch_sub(UNIT, Ordering::Relaxed);
        debug_assert!(previous >> 1 > 0, "freed a unit nobody held");
        previous == CLOSED | UNIT
    }

    /// Sets the closed flag.
    pub(crate) fn close(&self) {
        // Relaxed: a read-modify-write on the single word (module docs).
        self.word.fetch_or(CLOSED, Ordering::Relaxed);
    }

    /// The current word, to compare with the one carried by [`Refusal::Full`].
    pub(crate) fn word(&self) -> usize {
        // Relaxed: only compared for change (module docs).
        self.word.load(Ordering::Relaxed)
    }

    /// Units held: live jobs plus admissions in flight.
    pub(crate) fn units(&self) -> usize {
        self.word() >> 1
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.word() & CLOSED != 0
    }

    /// Closed and no unit held: no job is inside and none can ever arrive.
    pub(crate) fn is_drained(&self) -> bool {
        self.word() == CLOSED
    }
}
