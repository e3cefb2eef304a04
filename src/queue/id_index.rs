//! The id index: a concurrent map from job id to its slot.
//!
//! It refuses duplicate ids, lets `cancel` find a job's slot without searching the
//! lanes, and serves `snapshot_priority` and `position`. Contract:
//!
//! * `claim(id, slot)` inserts `slot` under `id` unless a *live* slot (`Pending` or
//!   `Queued`) already holds `id`; a dead slot whose owner has not yet released it is
//!   replaced, so an id can be reused the moment its job leaves the queue. Atomic: of two
//!   concurrent claims of one id, at most one succeeds while the other's slot is live.
//! * `release(id, slot)` removes the entry only if it still holds that very slot (a later
//!   claim may already have replaced it).
//! * `get` and `for_each` read a moment's view; entries may change concurrently.
//!
//! `claim`, `release` and `get` are called on a [`PinnedIndex`] from [`IdIndex::pin`],
//! so that an operation that needs several of them enters the map once.
//!
//! Normally a pre-sized `papaya::HashMap` (lock-free reads and writes, incremental
//! resizing, memory reclaimed by epochs through `seize`, retired in batches of
//! [`RETIRE_BATCH`], hashed with foldhash). Under loom it is a loom
//! `Mutex<HashMap>` with the same contract, so that loom explores our protocol around it.

use core::hash::Hash;

use crate::queue::lane::SlotRef;
use crate::sync::Arc;

/// The largest table allocated up front; beyond it the map grows on demand.
#[cfg(not(all(test, loom)))]
const MAX_PRESIZE: usize = 1 << 16;

/// Retired map entries a thread collects before it starts reclaiming them (seize's
/// default is 32). Each reclamation round costs a `membarrier` system call that
/// interrupts every CPU running the process; with the default that was 16 % of the
/// queue's CPU time (BENCHMARKS.md, profile). The price: a thread may hold up to this
/// many removed entries (an id, a pointer, and the emptied slot shell they keep alive)
/// before freeing them.
#[cfg(not(all(test, loom)))]
const RETIRE_BATCH: usize = 1024;

/// The map's hasher: foldhash, seeded randomly per map. SipHash (std's default) cost
/// about 6 % of the CPU time, and every job hashes its id three to four times. foldhash
/// resists hash flooding less than SipHash; ids are chosen by the server, not by clients,
/// in the deployments this queue is for (a server that takes ids from clients can hash
/// them first).
#[cfg(not(all(test, loom)))]
type IdHasher = foldhash::fast::RandomState;

#[cfg(not(all(test, loom)))]
pub(crate) struct IdIndex<T, I> {
    map: papaya::HashMap<I, SlotRef<T, I>, IdHasher>,
}

#[cfg(not(all(test, loom)))]
impl<T, I> IdIndex<T, I>
where
    T: Send,
    I: Copy + Eq + Hash + Send + Sync,
{
    /// An index sized for `capacity` live jobs.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        IdIndex {
            map: papaya::HashMap::builder()
                .capacity(capacity.min(MAX_PRESIZE))
                .hasher(IdHasher::default())
                .collector(seize::Collector::new().batch_size(RETIRE_BATCH))
                .build(),
        }
    }

    /// A view of the index for one operation: several lookups and updates under one
    /// reclamation guard (entering one costs about as much as an uncontended lock).
    pub(crate) fn pin(&self) -> PinnedIndex<'_, T, I> {
        PinnedIndex {
            map: self.map.pin(),
        }
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&SlotRef<T, I>)) {
        for (_, slot) in self.map.pin().iter() {
            f(slot);
        }
    }
}

/// [`IdIndex`] entered for one operation (see [`IdIndex::pin`]).
#[cfg(not(all(test, loom)))]
pub(crate) struct PinnedIndex<'a, T, I> {
    map: papaya::HashMapRef<'a, I, SlotRef<T, I>, IdHasher, seize::LocalGuard<'a>>,
}

#[cfg(not(all(test, loom)))]
impl<T, I> PinnedIndex<'_, T, I>
where
    T: Send,
    I: Copy + Eq + Hash + Send + Sync,
{
    pub(crate) fn claim(&self, id: I, slot: &SlotRef<T, I>) -> bool {
        // The common case, an id not in the map, goes through `try_insert`: unlike
        // `compute`, papaya's insert and remove paths help finish an incremental table
        // migration, and a map written only through `compute` lets the chain of
        // migrating tables grow without bound (measured: every operation slower than the
        // last, 80 s for 1M enqueue+cancel pairs instead of 0.3 s).
        match self.map.try_insert(id, Arc::clone(slot)) {
            Ok(_) => true,
            Err(occupied) if !occupied.current.is_dead() => false,
            // A dead slot whose owner has not released it yet: replace it, atomically
            // against a concurrent claim that got there first.
            Err(_) => {
                let outcome = self.map.compute(id, |entry| match entry {
                    Some((_, current)) if !current.is_dead() => papaya::Operation::Abort(()),
                    _ => papaya::Operation::Insert(Arc::clone(slot)),
                });
                !matches!(outcome, papaya::Compute::Aborted(()))
            }
        }
    }

    pub(crate) fn release(&self, id: I, slot: &SlotRef<T, I>) {
        // `remove_if` re-checks the predicate against the entry it removes, and helps a
        // table migration along (see `claim`).
        let _ = self
            .map
            .remove_if(&id, |_, current| Arc::ptr_eq(current, slot));
    }

    pub(crate) fn get(&self, id: &I) -> Option<SlotRef<T, I>> {
        self.map.get(id).cloned()
    }
}

#[cfg(all(test, loom))]
pub(crate) struct IdIndex<T, I> {
    map: crate::sync::Mutex<std::collections::HashMap<I, SlotRef<T, I>>>,
}

#[cfg(all(test, loom))]
impl<T, I> IdIndex<T, I>
where
    T: Send,
    I: Copy + Eq + Hash + Send + Sync,
{
    pub(crate) fn with_capacity(_capacity: usize) -> Self {
        IdIndex {
            map: crate::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub(crate) fn pin(&self) -> PinnedIndex<'_, T, I> {
        PinnedIndex { index: self }
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&SlotRef<T, I>)) {
        for slot in self.map.lock().unwrap().values() {
            f(slot);
        }
    }
}

/// The loom stand-in's view for one operation: each call takes the lock on its own.
#[cfg(all(test, loom))]
pub(crate) struct PinnedIndex<'a, T, I> {
    index: &'a IdIndex<T, I>,
}

#[cfg(all(test, loom))]
impl<T, I> PinnedIndex<'_, T, I>
where
    T: Send,
    I: Copy + Eq + Hash + Send + Sync,
{
    pub(crate) fn claim(&self, id: I, slot: &SlotRef<T, I>) -> bool {
        let mut map = self.index.map.lock().unwrap();
        match map.get(&id) {
            Some(current) if !current.is_dead() => false,
            _ => {
                map.insert(id, Arc::clone(slot));
                true
            }
        }
    }

    pub(crate) fn release(&self, id: I, slot: &SlotRef<T, I>) {
        let mut map = self.index.map.lock().unwrap();
        if map
            .get(&id)
            .is_some_and(|current| Arc::ptr_eq(current, slot))
        {
            map.remove(&id);
        }
    }

    pub(crate) fn get(&self, id: &I) -> Option<SlotRef<T, I>> {
        self.index.map.lock().unwrap().get(id).cloned()
    }
}
