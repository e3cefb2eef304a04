//! The id table: which ids hold a job, and where each job is.
//!
//! It refuses duplicate ids exactly, lets `cancel` find a job's cell without searching
//! the lanes, and serves `snapshot_priority` and `position`. It is sized from the
//! queue's capacity when the queue is built and never grows, migrates, allocates or
//! defers any reclamation afterwards; every operation is lock-free.
//!
//! # Layout
//!
//! Buckets come in *groups* of [`BUCKETS_PER_GROUP`], one cache line of atomic words
//! each: a state word per bucket and the group's *overflow count*, the number of
//! entries that sit in a later group although their probe sequence started at or
//! before this one. An id hashes to a *home* group and a 13-bit *tag*; its entry goes
//! in the first free bucket of the groups from home on. A lookup reads the home group,
//! compares tags, and moves on to the next group only while the overflow count says
//! that some entry went past: a removal writes the bucket back to `Empty` at once, so no
//! tombstone lengthens a probe, and probe lengths follow the table's load, not its
//! history. There are at least `2 × capacity` buckets, so the load stays at or below
//! one half (plus the claims of enqueues in flight that hold no capacity yet, see
//! below). The id and the job's order (priority and admission ticket) sit in a
//! parallel array, read only when a tag matches.
//!
//! # A bucket's life
//!
//! ```text
//!        occupy (CAS)       publish          confirm (CAS)          vacate
//! Empty ─────────────▶ Writing ─────▶ Pending ─────────────▶ Confirmed ─────▶ Empty
//!                                        │  ▲ beat (a rival's CAS)
//!                                        ▼  │
//!                                      Beaten ───────────── vacate ─────────▶ Empty
//! ```
//!
//! The word packs the state, the tag, a *pin count* and the job's cell index (0: no job
//! attached yet). Only the claimer writes a bucket's id and order, while the bucket is
//! `Writing`; a reader that must compare ids first *pins* the bucket (adds to the pin
//! count with a CAS that requires `Pending` or `Confirmed`), reads the id, then unpins.
//! A claimer may only occupy an `Empty` bucket with no pins, so an id is never rewritten
//! while anyone reads it (no data race, for any id type), and a reader that stalls
//! while pinned only keeps that one bucket from being reused. No operation waits for
//! another thread.
//!
//! # Claims: one winner per id
//!
//! `claim` occupies a bucket, writes the id, publishes it `Pending`, and then scans the
//! id's probe sequence for *rivals*, other entries of the same id:
//!
//! * a `Confirmed` rival whose job is live (or not yet attached: an enqueue in flight)
//!   makes this claim lose (`Duplicate`); one whose job is gone (taken, its entry about
//!   to be vacated by the taker) is ignored;
//! * a `Pending` rival nearer to the home group makes this claim lose; one farther away
//!   is *beaten*: a CAS `Pending -> Beaten` that keeps it from confirming;
//!
//! and finally tries `Pending -> Confirmed`, which fails if a rival has beaten it.
//! Between the publication and the scan a claim issues a `SeqCst` fence: of two claims
//! of one id, the one whose fence comes first in the fences' single total order has its
//! publication (and the overflow counts it raised) seen by the other's scan, so at least
//! one of them sees the other. If
//! both see each other, the nearer one beats the farther; if only one sees the other,
//! that one either loses (the rival is nearer or confirmed) or beats the rival before it
//! can confirm (the beat and the confirm are CASes on one word, so exactly one of them
//! succeeds). So at most one `Confirmed` entry per id holds a live job. A claim may also
//! lose to a rival that itself loses later, so while an enqueue of an id is in flight a
//! concurrent enqueue of the same id may be refused `DuplicateId` (\[C7\]).
//!
//! A `Writing` bucket is skipped by scans: its claimer publishes after the scanner's own
//! publication, so its own scan will see the scanner.
//!
//! # Whose entry is whose
//!
//! A `Confirmed` entry is *attached* to its job's cell (the cell's number in the word)
//! once the enqueuer has claimed the cell, and detached again if the enqueuer has to
//! place the job in another cell. The job's state is read from the cell itself: whoever
//! takes a job out vacates its entry *before* it frees the cell (an enqueuer detaches
//! before it frees a cell it gives up), and a cell is freed with a `Release` CAS that
//! every later change of the cell's word (all read-modify-writes) carries on, so a
//! reader that reads the entry, then the cell's word, then the entry again (unchanged)
//! read a word of that very job, or of its cell freshly freed. Who vacates: the taker of
//! the job (dequeue, cancel, eviction), or the enqueuer whose claim was refused or whose
//! admission failed afterwards.
//!
//! # Memory ordering
//!
//! One `SeqCst` fence per claim, where the claim argument above needs a single order.
//! Elsewhere: pinning is `Acquire` (it reads the claimer's `Release`
//! publication, so the id written before it is visible), unpinning `Release` and
//! occupying `Acquire` (the next claimer's writes come after every pinned read of the
//! previous id), and vacating `AcqRel`.

use core::hash::{BuildHasher, Hash};
use core::mem::MaybeUninit;

use crate::queue::Priority;
use crate::sync::{fence, spin_hint, AtomicU64, Ordering, UnsafeCell, IN_LOOM_MODEL};

/// Buckets per group: seven state words and the overflow count fill one 64-byte line.
/// Loom models use two, so that a few ids already overflow into the next group.
pub(crate) const BUCKETS_PER_GROUP: usize = if IN_LOOM_MODEL { 2 } else { 7 };

const EMPTY: u64 = 0;
const WRITING: u64 = 1;
const PENDING: u64 = 2;
const CONFIRMED: u64 = 3;
const BEATEN: u64 = 4;
const STATE_MASK: u64 = 0b111;
const TAG_SHIFT: u32 = 3;
const TAG_MASK: u64 = (1 << 13) - 1;
const PIN_SHIFT: u32 = 16;
const PIN: u64 = 1 << PIN_SHIFT;
const PINS_MASK: u64 = 0xFFFF << PIN_SHIFT;
const CELL_SHIFT: u32 = 32;

const fn state_of(word: u64) -> u64 {
    word & STATE_MASK
}

const fn tag_of(word: u64) -> u64 {
    (word >> TAG_SHIFT) & TAG_MASK
}

/// The attached cell, if any.
const fn cell_of(word: u64) -> Option<u32> {
    match (word >> CELL_SHIFT) as u32 {
        0 => None,
        stored => Some(stored - 1),
    }
}

/// A word with `state`, `tag` and `cell`, and the pins of `pins_from`.
const fn pack(state: u64, tag: u64, cell: Option<u32>, pins_from: u64) -> u64 {
    let cell = match cell {
        // Cell numbers are below `u32::MAX` (`MAX_CELLS`), so `index + 1` fits.
        Some(index) => (index as u64 + 1) << CELL_SHIFT,
        None => 0,
    };
    cell | (pins_from & PINS_MASK) | (tag << TAG_SHIFT) | state
}

/// The word with another state, everything else kept.
const fn with_state(word: u64, state: u64) -> u64 {
    (word & !STATE_MASK) | state
}

/// What snapshots need to order a job: its lane and its admission ticket in the lane.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct JobOrder {
    pub(crate) priority: Priority,
    pub(crate) ticket: u64,
}

impl JobOrder {
    fn pack(self) -> u64 {
        (self.ticket << 1) | self.priority.index() as u64
    }

    fn unpack(word: u64) -> Self {
        JobOrder {
            priority: if word & 1 == 0 {
                Priority::Interactive
            } else {
                Priority::Batch
            },
            ticket: word >> 1,
        }
    }
}

/// The state of the job an entry is attached to, as read by the table's caller from the
/// job's cell. The table only needs to know whether the job still holds its id.
pub(crate) trait JobState: Copy {
    /// `true` while the job holds its id (pending or queued).
    fn is_live(self) -> bool;
}

/// A bucket's parallel data: written only by its claimer while `Writing`.
struct Entry<I> {
    id: UnsafeCell<MaybeUninit<I>>,
    /// `JobOrder::pack`.
    order: AtomicU64,
}

#[repr(align(64))]
struct Group {
    words: [AtomicU64; BUCKETS_PER_GROUP],
    /// Entries placed beyond this group whose probe sequence passed it.
    overflow: AtomicU64,
}

/// A won claim: the bucket that holds the id. Neither `Copy` nor `Clone`: it is given
/// back through [`IdTable::vacate`] exactly once (by whoever ends the job).
#[must_use = "a claimed id stays claimed until its bucket is vacated"]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Claim {
    bucket: u32,
}

impl Claim {
    /// The bucket, to keep with the job (its taker vacates it through
    /// [`Claim::from_bucket`]).
    pub(crate) fn bucket(&self) -> u32 {
        self.bucket
    }

    /// The claim of a job whose bucket was kept with it: only its taker makes one.
    pub(crate) fn from_bucket(bucket: u32) -> Self {
        Claim { bucket }
    }
}

/// The outcome of [`IdTable::claim`].
#[derive(Debug)]
pub(crate) enum Claimed {
    /// The id is ours until the claim is vacated.
    Won(Claim),
    /// A live job (or an enqueue in flight) holds the id.
    Duplicate,
    /// Every bucket is taken (more enqueues in flight than the table has room for).
    Full,
}

/// A live job found under an id: its bucket, cell and order.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Found<S> {
    pub(crate) bucket: u32,
    pub(crate) cell: u32,
    pub(crate) state: S,
    pub(crate) order: JobOrder,
}

pub(crate) struct IdTable<I> {
    groups: Box<[Group]>,
    entries: Box<[Entry<I>]>,
    hasher: foldhash::fast::FixedState,
}

// SAFETY: an entry's id is written only by the claimer of its bucket while the bucket is
// `Writing` (no pins possible), and read only by threads that hold a pin, which a claimer
// waits out by never occupying a pinned bucket; the words order the two (module docs).
// Ids move between threads, so `I: Send`, and are read by several at once, so `I: Sync`.
unsafe impl<I: Send + Sync> Sync for IdTable<I> {}
// SAFETY: as above; the table owns its ids.
unsafe impl<I: Send> Send for IdTable<I> {}

impl<I: Copy + Eq + Hash> IdTable<I> {
    /// A table for a queue of `capacity`: at least `2 × capacity` buckets, at least one
    /// group.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let buckets = capacity.saturating_mul(2).max(1);
        let groups = buckets.div_ceil(BUCKETS_PER_GROUP);
        let seed = if IN_LOOM_MODEL {
            // Loom needs every execution to behave the same.
            0
        } else {
            std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64)
        };
        IdTable {
            groups: (0..groups)
                .map(|_| Group {
                    words: core::array::from_fn(|_| AtomicU64::new(EMPTY)),
                    overflow: AtomicU64::new(0),
                })
                .collect(),
            entries: (0..groups * BUCKETS_PER_GROUP)
                .map(|_| Entry {
                    id: UnsafeCell::new(MaybeUninit::uninit()),
                    order: AtomicU64::new(0),
                })
                .collect(),
            hasher: foldhash::fast::FixedState::with_seed(seed),
        }
    }

    /// The number of buckets.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn buckets(&self) -> usize {
        self.entries.len()
    }

    /// The group `id`'s probe sequence starts at: the loom models pick ids that share
    /// one (their tables are seeded alike).
    #[cfg(all(test, loom))]
    pub(crate) fn home_group(&self, id: &I) -> usize {
        self.home_and_tag(id).0
    }

    /// How many groups a lookup of `id` reads.
    #[cfg(all(test, not(loom)))]
    fn groups_probed(&self, id: &I) -> usize {
        let (home, _) = self.home_and_tag(id);
        let mut groups = 0;
        self.probe(home, |bucket| {
            if bucket % BUCKETS_PER_GROUP == 0 {
                groups += 1;
            }
            true
        });
        groups
    }

    /// Claims `id` (module docs). `attach`: the job's cell and order when the job is
    /// already in its cell; otherwise attach them later with [`attach`](Self::attach).
    pub(crate) fn claim<S: JobState>(
        &self,
        id: I,
        attach: Option<(u32, JobOrder)>,
        cell_state: impl Fn(u32) -> S,
    ) -> Claimed {
        let (home, tag) = self.home_and_tag(&id);
        let Some(bucket) = self.occupy(home, tag) else {
            return Claimed::Full;
        };
        let entry = &self.entries[bucket];
        // SAFETY: this thread occupied the bucket (`Writing`, no pins): no other thread
        // reads or writes its entry until it is published below.
        entry.id.with_mut(|cell| unsafe {
            (*cell).write(id);
        });
        let cell_index = attach.map(|(cell, order)| {
            // Relaxed: published by the Release store of the word below.
            entry.order.store(order.pack(), Ordering::Relaxed);
            cell
        });
        // Release: pinning readers see the id and order written above.
        self.word(bucket)
            .store(pack(PENDING, tag, cell_index, 0), Ordering::Release);
        // The claim argument's single order (module docs): of two claims of one id, the
        // one whose fence comes first has its publication (and the overflow counts it
        // raised) seen by the other's scan, which comes after the other's fence.
        fence(Ordering::SeqCst);

        if self.has_winning_rival(&id, home, tag, bucket, &cell_state) {
            self.vacate(
                Claim {
                    bucket: bucket as u32,
                },
                &id,
            );
            return Claimed::Duplicate;
        }
        let word = self.word(bucket);
        // Relaxed: the CAS re-validates; the confirm itself publishes nothing new.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            if state_of(current) != PENDING {
                // Beaten by a rival nearer to the home group.
                self.vacate(
                    Claim {
                        bucket: bucket as u32,
                    },
                    &id,
                );
                return Claimed::Duplicate;
            }
            // AcqRel: one RMW against a rival's beat; nothing else depends on it.
            match word.compare_exchange_weak(
                current,
                with_state(current, CONFIRMED),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Claimed::Won(Claim {
                        bucket: bucket as u32,
                    })
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Attaches a won claim to the job's cell (a claim with no job yet, or one
    /// [detached](Self::detach) from an earlier cell).
    pub(crate) fn attach(&self, claim: &Claim, cell: u32, order: JobOrder) {
        self.set_cell(claim, Some(cell), Some(order));
    }

    /// Takes a won claim off its job's cell: the id stays held by an enqueue in flight,
    /// and no reader reaches the cell through the entry any more.
    pub(crate) fn detach(&self, claim: &Claim) {
        self.set_cell(claim, None, None);
    }

    fn set_cell(&self, claim: &Claim, cell: Option<u32>, order: Option<JobOrder>) {
        let bucket = claim.bucket as usize;
        if let Some(order) = order {
            // Relaxed: published by the Release CAS below.
            self.entries[bucket]
                .order
                .store(order.pack(), Ordering::Relaxed);
        }
        let word = self.word(bucket);
        // Relaxed: the CAS re-validates.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            debug_assert_eq!(
                state_of(current),
                CONFIRMED,
                "attached a claim not confirmed"
            );
            let attached = pack(CONFIRMED, tag_of(current), cell, current);
            // Release: a reader that sees the cell also sees the order written above.
            match word.compare_exchange_weak(
                current,
                attached,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Gives a claim back: the bucket becomes `Empty` (its pins kept) and the overflow
    /// counts its probe raised come down. `id` is the claimed id.
    pub(crate) fn vacate(&self, claim: Claim, id: &I) {
        let bucket = claim.bucket as usize;
        let word = self.word(bucket);
        // Relaxed: the CAS re-validates.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            // AcqRel: Acquire of the claimer's writes (this may be another thread, the
            // job's taker), Release to the next claimer, which occupies with Acquire.
            match word.compare_exchange_weak(
                current,
                pack(EMPTY, 0, None, current),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        // Lower the counts only now, so that no lookup stops short of an entry that is
        // still there (an entry is vacated only once its job is gone or its claim lost,
        // so a lookup that missed it would not be wrong either; this keeps it simple).
        let (home, _) = self.home_and_tag(id);
        let group = bucket / BUCKETS_PER_GROUP;
        let mut passed = home;
        while passed != group {
            // Relaxed: a count only ever overstates while an entry is on its way out;
            // lookups that read it late do a little more work.
            self.groups[passed].overflow.fetch_sub(1, Ordering::Relaxed);
            passed = self.next_group(passed);
        }
    }

    /// The live job that holds `id`, if any: the first attached `Confirmed` entry of
    /// `id` whose job's state (read by `cell_state`) is live while the entry stays.
    pub(crate) fn find<S: JobState>(
        &self,
        id: &I,
        cell_state: impl Fn(u32) -> S,
    ) -> Option<Found<S>> {
        let (home, tag) = self.home_and_tag(id);
        let mut found = None;
        self.probe(home, |bucket| {
            // Acquire: see `pin`.
            let word = self.word(bucket).load(Ordering::Acquire);
            if tag_of(word) != tag || state_of(word) != CONFIRMED || cell_of(word).is_none() {
                return true;
            }
            found = self.read_pinned(bucket, |pinned, entry_id, order| {
                let cell = cell_of(pinned)?;
                if entry_id != *id {
                    return None;
                }
                let cell_state = cell_state(cell);
                (cell_state.is_live() && self.still(bucket, pinned)).then_some(Found {
                    bucket: bucket as u32,
                    cell,
                    state: cell_state,
                    order,
                })
            });
            found.is_none()
        });
        found
    }

    /// `true` if a `Confirmed` entry of `id` holds it: its job is live, or it is an
    /// enqueue in flight that has not attached its job yet.
    pub(crate) fn holds<S: JobState>(&self, id: &I, cell_state: impl Fn(u32) -> S) -> bool {
        let (home, tag) = self.home_and_tag(id);
        let mut holds = false;
        self.probe(home, |bucket| {
            // Acquire: see `pin`.
            let word = self.word(bucket).load(Ordering::Acquire);
            if tag_of(word) != tag || state_of(word) != CONFIRMED {
                return true;
            }
            holds = self
                .read_pinned(bucket, |pinned, entry_id, _| {
                    (entry_id == *id && self.is_held(bucket, pinned, &cell_state)).then_some(())
                })
                .is_some();
            !holds
        });
        holds
    }

    /// Calls `f` with the id, cell state and order of every attached `Confirmed` entry
    /// whose job `cell_state` reports live. A moment's view of a moving table.
    pub(crate) fn for_each<S: JobState>(
        &self,
        cell_state: impl Fn(u32) -> S,
        mut f: impl FnMut(I, Found<S>),
    ) {
        for bucket in 0..self.entries.len() {
            // Acquire: see `pin`.
            let word = self.word(bucket).load(Ordering::Acquire);
            if state_of(word) != CONFIRMED || cell_of(word).is_none() {
                continue;
            }
            let seen = self.read_pinned(bucket, |pinned, id, order| {
                let cell = cell_of(pinned)?;
                let cell_state = cell_state(cell);
                (cell_state.is_live() && self.still(bucket, pinned)).then_some((
                    id,
                    Found {
                        bucket: bucket as u32,
                        cell,
                        state: cell_state,
                        order,
                    },
                ))
            });
            if let Some((id, found)) = seen {
                f(id, found);
            }
        }
    }

    /// `true` if a pinned `Confirmed` entry (word `pinned`) holds its id: not attached
    /// (an enqueue in flight), or attached to a live job.
    ///
    /// An entry that changed while its cell was read was either vacated (the id is
    /// free) or moved to another cell, or detached, by its enqueuer placing the job
    /// again (the id is still held): the pin keeps any other claim out of the bucket, so
    /// a word still `Confirmed` is the same claim, and it is looked at again.
    fn is_held<S: JobState>(
        &self,
        bucket: usize,
        pinned: u64,
        cell_state: impl Fn(u32) -> S,
    ) -> bool {
        let mut seen = pinned;
        loop {
            let Some(cell) = cell_of(seen) else {
                return true;
            };
            let live = cell_state(cell).is_live();
            // Acquire: as in `still`.
            let now = self.word(bucket).load(Ordering::Acquire);
            if now & !PINS_MASK == seen & !PINS_MASK {
                return live;
            }
            if state_of(now) != CONFIRMED {
                return false;
            }
            seen = now;
        }
    }

    /// `true` if the bucket still holds the entry read as `pinned` (pins aside): the
    /// validation after reading the attached cell's word (module docs).
    fn still(&self, bucket: usize, pinned: u64) -> bool {
        // Acquire: orders the cell read before this one (a cell is freed with a Release
        // CAS after the vacate, and later writes to its word continue that release
        // sequence, so a later job seen in the cell implies the vacate seen).
        let now = self.word(bucket).load(Ordering::Acquire);
        now & !PINS_MASK == pinned & !PINS_MASK
    }

    /// Scans `id`'s probe sequence for a rival that makes the claim in `mine` lose,
    /// beating the rivals it can (module docs).
    fn has_winning_rival<S: JobState>(
        &self,
        id: &I,
        home: usize,
        tag: u64,
        mine: usize,
        cell_state: &impl Fn(u32) -> S,
    ) -> bool {
        let my_distance = self.distance(home, mine);
        let mut lose = false;
        self.probe(home, |bucket| {
            if bucket == mine {
                return true;
            }
            // Acquire: after this claim's fence (see `claim`); pins re-read anyway.
            let word = self.word(bucket).load(Ordering::Acquire);
            if tag_of(word) != tag || !matches!(state_of(word), PENDING | CONFIRMED) {
                return true;
            }
            lose = self
                .read_pinned(bucket, |pinned, entry_id, _| {
                    if entry_id != *id {
                        return None;
                    }
                    let rival_wins = match state_of(pinned) {
                        CONFIRMED => self.is_held(bucket, pinned, cell_state),
                        _ if self.distance(home, bucket) < my_distance => true,
                        _ => self.beat(bucket, cell_state),
                    };
                    rival_wins.then_some(())
                })
                .is_some();
            !lose
        });
        lose
    }

    /// Beats the farther `Pending` rival in `bucket` (pinned by this thread); `true` if
    /// it confirmed first and holds the id.
    fn beat<S: JobState>(&self, bucket: usize, cell_state: &impl Fn(u32) -> S) -> bool {
        let word = self.word(bucket);
        // Relaxed: the CAS re-validates.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            match state_of(current) {
                PENDING => {}
                CONFIRMED => return self.is_held(bucket, current, cell_state),
                // Beaten by someone else, or gone: no rival any more.
                _ => return false,
            }
            // AcqRel: one RMW against the rival's own confirm; exactly one succeeds.
            match word.compare_exchange_weak(
                current,
                with_state(current, BEATEN),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return false,
                Err(actual) => current = actual,
            }
        }
    }

    /// Pins `bucket` if it holds a published entry, runs `read` with the pinned word,
    /// the entry's id and order, and unpins. `None` if the bucket held no entry.
    fn read_pinned<R>(
        &self,
        bucket: usize,
        read: impl FnOnce(u64, I, JobOrder) -> Option<R>,
    ) -> Option<R> {
        let pinned = self.pin(bucket)?;
        let entry = &self.entries[bucket];
        // SAFETY: the bucket is pinned while `Pending` or `Confirmed`: its claimer wrote
        // the id before publishing (the pin's Acquire saw that), and nobody writes it
        // again until the pin is gone (a claimer only occupies unpinned buckets).
        let id = entry.id.with(|cell| unsafe { (*cell).assume_init_read() });
        // Acquire: the order is written before the word that published it (claim, or
        // the attach CAS whose cell the pinned word shows).
        let order = JobOrder::unpack(entry.order.load(Ordering::Acquire));
        let result = read(pinned, id, order);
        // Release: this pin's reads happen before the next claimer's writes.
        self.word(bucket).fetch_sub(PIN, Ordering::Release);
        result
    }

    /// Adds a pin to `bucket` if it is `Pending` or `Confirmed`; the word pinned.
    fn pin(&self, bucket: usize) -> Option<u64> {
        let word = self.word(bucket);
        // Relaxed: the CAS re-validates and acquires.
        let mut current = word.load(Ordering::Relaxed);
        loop {
            if !matches!(state_of(current), PENDING | CONFIRMED) {
                return None;
            }
            if current & PINS_MASK == PINS_MASK {
                // 65 535 readers on one bucket at once: wait for one to leave.
                spin_hint();
                current = word.load(Ordering::Relaxed);
                continue;
            }
            // Acquire: reads the claimer's publication (or a later RMW in its release
            // sequence), so the id and order it wrote are visible.
            match word.compare_exchange_weak(
                current,
                current + PIN,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(current + PIN),
                Err(actual) => current = actual,
            }
        }
    }

    /// Occupies the first `Empty`, unpinned bucket of the probe sequence from `home`,
    /// raising the overflow count of every group it passes; `None` if there is none.
    fn occupy(&self, home: usize, tag: u64) -> Option<usize> {
        let mut group = home;
        for _ in 0..self.groups.len() {
            for index in 0..BUCKETS_PER_GROUP {
                let bucket = group * BUCKETS_PER_GROUP + index;
                let word = self.word(bucket);
                // Acquire: on success, after every pinned read of the previous id (the
                // unpins are Release RMWs in the word's modification order).
                if word
                    .compare_exchange(
                        EMPTY,
                        pack(WRITING, tag, None, 0),
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
                {
                    return Some(bucket);
                }
            }
            // Relaxed: raised before this claim's publication and fence (see `claim`),
            // which order it for the scans that need it; a lookup of a published entry
            // reads it after an Acquire of that entry's word or of a later one.
            self.groups[group].overflow.fetch_add(1, Ordering::Relaxed);
            group = self.next_group(group);
        }
        // Full: take back the counts raised on the way round.
        for _ in 0..self.groups.len() {
            // Relaxed: as in `vacate`.
            self.groups[group].overflow.fetch_sub(1, Ordering::Relaxed);
            group = self.next_group(group);
        }
        None
    }

    /// Calls `visit` on the buckets of the probe sequence from `home`, group by group,
    /// until it returns `false` or a group's overflow count is 0.
    fn probe(&self, home: usize, mut visit: impl FnMut(usize) -> bool) {
        let mut group = home;
        for _ in 0..self.groups.len() {
            for index in 0..BUCKETS_PER_GROUP {
                if !visit(group * BUCKETS_PER_GROUP + index) {
                    return;
                }
            }
            // Acquire: for the claim scan, the fence before it does the ordering (see
            // `claim`); for other lookups, what they look for was published before.
            if self.groups[group].overflow.load(Ordering::Acquire) == 0 {
                return;
            }
            group = self.next_group(group);
        }
    }

    /// How far `bucket` is along the probe sequence that starts at group `home`.
    fn distance(&self, home: usize, bucket: usize) -> usize {
        let group = bucket / BUCKETS_PER_GROUP;
        let groups_away = (group + self.groups.len() - home) % self.groups.len();
        groups_away * BUCKETS_PER_GROUP + bucket % BUCKETS_PER_GROUP
    }

    fn next_group(&self, group: usize) -> usize {
        if group + 1 == self.groups.len() {
            0
        } else {
            group + 1
        }
    }

    fn home_and_tag(&self, id: &I) -> (usize, u64) {
        let hash = self.hasher.hash_one(id);
        // The high half picks the group (multiply-shift: uniform over any group count),
        // the low bits make the tag.
        let home = ((hash >> 32) * self.groups.len() as u64) >> 32;
        (home as usize, hash & TAG_MASK)
    }

    fn word(&self, bucket: usize) -> &AtomicU64 {
        &self.groups[bucket / BUCKETS_PER_GROUP].words[bucket % BUCKETS_PER_GROUP]
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A job state for tests: whether the job is live.
    #[derive(Copy, Clone, Debug)]
    struct Live(bool);

    impl JobState for Live {
        fn is_live(self) -> bool {
            self.0
        }
    }

    fn live(_: u32) -> Live {
        Live(true)
    }

    fn won<I: Copy + Eq + Hash>(table: &IdTable<I>, id: I, cell: u32) -> Claim {
        let order = JobOrder {
            priority: Priority::Batch,
            ticket: u64::from(cell),
        };
        match table.claim(id, Some((cell, order)), live) {
            Claimed::Won(claim) => claim,
            other => panic!("claim of a free id: {other:?}"),
        }
    }

    #[test]
    fn the_table_has_at_least_two_buckets_per_unit_of_capacity() {
        for capacity in [0, 1, 2, 3, 7, 100, 1024, 5000] {
            let table = IdTable::<u64>::with_capacity(capacity);
            let buckets = table.buckets();
            assert!(
                buckets >= 2 * capacity,
                "capacity {capacity}: {buckets} buckets"
            );
            assert!(
                buckets < 2 * capacity + 2 * BUCKETS_PER_GROUP,
                "capacity {capacity}"
            );
        }
    }

    #[test]
    fn a_claimed_id_is_found_refused_and_free_again_once_vacated() {
        let table = IdTable::<u128>::with_capacity(4);
        let id = 0xDEAD_BEEF_u128 << 64;
        let claim = won(&table, id, 3);
        let found = table
            .find(&id, live)
            .expect("a claimed, attached id is found");
        assert_eq!((found.bucket, found.cell), (claim.bucket(), 3));
        assert_eq!(found.order.ticket, 3);
        assert!(table.holds(&id, live));
        assert!(matches!(table.claim(id, None, live), Claimed::Duplicate));
        // A job that is gone does not hold its id, even before its entry is vacated.
        assert!(!table.holds(&id, |_| Live(false)));
        assert!(table.find(&id, |_| Live(false)).is_none());
        table.vacate(claim, &id);
        assert!(!table.holds(&id, live));
        assert!(table.find(&id, live).is_none());
        let again = won(&table, id, 1);
        table.vacate(again, &id);
    }

    #[test]
    fn an_unattached_claim_holds_its_id_until_attached_and_then_is_found() {
        let table = IdTable::<u64>::with_capacity(2);
        let Claimed::Won(claim) = table.claim(9, None, live) else {
            panic!("claim of a free id");
        };
        assert!(table.holds(&9, live), "an enqueue in flight holds its id");
        assert!(
            table.find(&9, live).is_none(),
            "but has no job to cancel yet"
        );
        let order = JobOrder {
            priority: Priority::Interactive,
            ticket: 5,
        };
        table.attach(&claim, 0, order);
        assert_eq!(table.find(&9, live).map(|found| found.order), Some(order));
        table.vacate(claim, &9);
    }

    #[test]
    fn a_full_table_refuses_a_claim_and_takes_back_what_it_raised() {
        let table = IdTable::<u64>::with_capacity(1);
        let claims: Vec<_> = (0..table.buckets() as u64)
            .map(|id| (won(&table, id, id as u32), id))
            .collect();
        assert!(matches!(table.claim(1000, None, live), Claimed::Full));
        for (claim, id) in claims {
            table.vacate(claim, &id);
        }
        for group in table.groups.iter() {
            assert_eq!(group.overflow.load(Ordering::Relaxed), 0);
            for word in &group.words {
                assert_eq!(word.load(Ordering::Relaxed), EMPTY);
            }
        }
    }

    #[test]
    fn churn_leaves_no_trace_and_probes_stay_short() {
        // A queue of capacity 1024 kept full while 200 000 ids come and go: with no
        // tombstones, lookups keep reading about one group however long the history.
        const CAPACITY: usize = 1024;
        let table = IdTable::<u64>::with_capacity(CAPACITY);
        let mut live_claims = std::collections::VecDeque::new();
        let mut longest = 0;
        let mut total = 0;
        let mut lookups = 0;
        for id in 0..200_000u64 {
            if live_claims.len() == CAPACITY {
                let (claim, old) = live_claims.pop_front().unwrap();
                table.vacate(claim, &old);
            }
            live_claims.push_back((won(&table, id, (id % CAPACITY as u64) as u32), id));
            if id % 97 == 0 {
                let probed = table.groups_probed(&(id + 1));
                longest = longest.max(probed);
                total += probed;
                lookups += 1;
            }
        }
        let mean = total as f64 / lookups as f64;
        assert!(
            mean < 2.0,
            "a lookup of a missing id reads {mean:.2} groups on average"
        );
        assert!(longest <= 12, "the longest lookup read {longest} groups");
        for (claim, id) in live_claims {
            assert!(table.holds(&id, live));
            table.vacate(claim, &id);
        }
        for group in table.groups.iter() {
            assert_eq!(
                group.overflow.load(Ordering::Relaxed),
                0,
                "counts all back to 0"
            );
        }
    }
}
