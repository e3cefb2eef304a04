//! Capacity accounting: how many units of capacity are held, and the closed flag, kept
//! on two sides so that producers and consumers do not write one cache line.
//!
//! * The producers' line holds `admitted = reserved << 1 | CLOSED`, the units ever
//!   reserved, and `released_seen`, a recent value of the consumers' count.
//! * The consumers' line holds `released`, the units ever given back.
//!
//! Units held (live jobs plus calls in flight) are `reserved - released`. An enqueue
//! reserves a unit with a CAS on `admitted` *below* the capacity before it publishes its
//! job, and the thread that takes a job (dequeue or cancel) gives the unit back with an
//! add to `released` after its cell CAS; a `DropLru` eviction hands the victim's unit to
//! the newcomer without touching either count. `released` only grows, so checking the
//! bound against an older value of it (`released_seen`) overstates the units held and
//! never admits past the capacity \[C1\]; a producer reads the consumers' line only when
//! the stale view says full. A consumer reads the producers' line only once the queue
//! is closed (a flag on a line of its own, written once, tells it). So a job moved through an open queue that is not full costs one CAS on the
//! producers' line and one add on the consumers' line, and neither line crosses between
//! the two sides.
//!
//! Keeping the flag in the word that reservations CAS makes a close and a reservation
//! exclusive: no reservation succeeds after close. "Closed and no unit held" is then
//! final (both counts stop once they are equal), which is what lets a dequeue report
//! `Closed` only when nothing can ever arrive \[Q7\].
//!
//! # Memory ordering
//!
//! The counts guard no other memory: each cell carries its own Release/Acquire pair for
//! its payload. The bound follows from the CAS on `admitted` and from `released` only
//! growing, properties of each atomic's own modification order, so all accesses are
//! `Relaxed`. The counts are `u64`: at ten billion jobs a second they would wrap after
//! fifty years.

use crossbeam_utils::CachePadded;

use crate::sync::{fence, AtomicBool, AtomicU64, Ordering};

const CLOSED: u64 = 1;
const UNIT: u64 = 2;

/// The largest capacity the counts can hold (one bit holds the closed flag).
pub(crate) const MAX_CAPACITY: usize = (u64::MAX >> 2) as usize;

/// Both counts at one moment: compared to tell whether anything moved since.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Progress {
    admitted: u64,
    released: u64,
}

/// Why a reservation failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every unit is held; carries the counts that showed it, so that a caller can tell
    /// whether anything moved since.
    Full(Progress),
    /// The queue is closed.
    Closed,
}

/// What the producers write.
struct ProducerSide {
    admitted: AtomicU64,
    /// A value `released` had: at most the current one.
    released_seen: AtomicU64,
}

pub(crate) struct Capacity {
    producers: CachePadded<ProducerSide>,
    released: CachePadded<AtomicU64>,
    /// Set by `close` after the flag in `admitted`: read by consumers on every release,
    /// written once, so its line stays shared and never crosses.
    closing: CachePadded<AtomicBool>,
    capacity: u64,
}

impl Capacity {
    /// A gauge for `capacity` units, clamped to [`MAX_CAPACITY`].
    pub(crate) fn new(capacity: usize) -> Self {
        Capacity {
            producers: CachePadded::new(ProducerSide {
                admitted: AtomicU64::new(0),
                released_seen: AtomicU64::new(0),
            }),
            released: CachePadded::new(AtomicU64::new(0)),
            closing: CachePadded::new(AtomicBool::new(false)),
            capacity: capacity.min(MAX_CAPACITY) as u64,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity as usize
    }

    /// Takes one unit if the queue is open and not full.
    pub(crate) fn try_reserve(&self) -> Result<(), Refusal> {
        let producers = &*self.producers;
        // Relaxed: see the module docs; the CAS below re-validates whatever this read.
        let mut current = producers.admitted.load(Ordering::Relaxed);
        loop {
            if current & CLOSED != 0 {
                return Err(Refusal::Closed);
            }
            let reserved = current >> 1;
            // Relaxed: a stale value only overstates the units held (module docs).
            let seen = producers.released_seen.load(Ordering::Relaxed);
            // `current` may be older than `seen` (other producers reserved, and consumers
            // released, since it was read): then `seen` can exceed `reserved`, and the
            // CAS below fails and retries with a fresh `current`. Saturating: such a
            // view says "room", never "full".
            if reserved.saturating_sub(seen) >= self.capacity {
                // Full by the stale view: look at the consumers' line.
                // Relaxed: only grows, and overstating is safe (module docs).
                let released = self.released.load(Ordering::Relaxed);
                if released != seen {
                    // Relaxed: a hint for later reservations, checked as above.
                    producers
                        .released_seen
                        .fetch_max(released, Ordering::Relaxed);
                }
                // Full only if `reserved`, even if old, is that far ahead: the units
                // held now are at least that many.
                if reserved.saturating_sub(released) >= self.capacity {
                    return Err(Refusal::Full(Progress {
                        admitted: current,
                        released,
                    }));
                }
            }
            // Relaxed: the bound holds by the CAS's atomicity alone (module docs).
            match producers.admitted.compare_exchange(
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

    /// Gives one unit back after a job was dequeued or canceled, or an enqueue that held
    /// one was refused. Returns `true` if this left the queue closed with no unit held,
    /// i.e. drained for good.
    ///
    /// Who wakes a waiter that saw the queue closed but not drained: the release that
    /// drains it, when it sees `closing`; or, when the release runs before `close` sets
    /// `closing`, the wake-up that `close`'s caller issues after `close` returns (by then
    /// this release is counted). The fence orders this release before the read of
    /// `closing`, as `close` orders the flag before `closing` and the caller's wake-up.
    pub(crate) fn free_unit(&self) -> bool {
        // Relaxed: a read-modify-write of a count that only grows (module docs).
        let released = self.released.fetch_add(1, Ordering::Relaxed) + 1;
        // See above: between this release and the read of `closing`.
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence.
        if !self.closing.load(Ordering::Relaxed) {
            return false;
        }
        // Relaxed: final once closed (module docs).
        let admitted = self.producers.admitted.load(Ordering::Relaxed);
        debug_assert!(admitted >> 1 >= released, "freed a unit nobody held");
        admitted == (released << 1 | CLOSED)
    }

    /// Sets the closed flag. The caller then wakes every waiter (see `free_unit`).
    pub(crate) fn close(&self) {
        // Relaxed: a read-modify-write of the word reservations CAS (module docs).
        self.producers.admitted.fetch_or(CLOSED, Ordering::Relaxed);
        // Release, and the fence: after the flag, before the caller's wake-up.
        self.closing.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
    }

    /// Both counts now, to compare with the ones carried by [`Refusal::Full`].
    pub(crate) fn progress(&self) -> Progress {
        // Relaxed: only compared for change (module docs).
        Progress {
            admitted: self.producers.admitted.load(Ordering::Relaxed),
            released: self.released.load(Ordering::Relaxed),
        }
    }

    /// Units held: live jobs plus calls in flight; at most the capacity.
    pub(crate) fn units(&self) -> usize {
        // `admitted` first: `released` read after it is at least what it was then, so
        // the difference is at most the units held at that moment (module docs).
        let Progress { admitted, released } = self.progress();
        ((admitted >> 1).saturating_sub(released)) as usize
    }

    pub(crate) fn is_closed(&self) -> bool {
        // Relaxed: as in `progress`.
        self.producers.admitted.load(Ordering::Relaxed) & CLOSED != 0
    }

    /// Closed and no unit held: no job is inside and none can ever arrive.
    pub(crate) fn is_drained(&self) -> bool {
        // `admitted` first: once closed it no longer changes, and `released` never
        // exceeds it, so equality read in this order held at the moment of the second
        // read and holds for good.
        let Progress { admitted, released } = self.progress();
        admitted & CLOSED != 0 && admitted >> 1 == released
    }
}
