//! The id index: a concurrent map from job id to where the job is.
//!
//! It refuses duplicate ids, lets `cancel` find a job's slot without searching the
//! lanes, and serves `snapshot_priority` and `position`. Each entry is an [`IndexEntry`]:
//! the job's slot handle plus its priority and admission ticket, so that readers never
//! touch a slot's job (only the winner of its `take` may). Contract:
//!
//! * `claim(id, entry, is_live)` inserts `entry` under `id` unless a *live* job
//!   (`is_live` of the entry there) already holds `id`; a dead job's entry that its owner
//!   has not yet released is replaced, so an id can be reused the moment its job leaves
//!   the queue. Atomic: of two concurrent claims of one id, at most one succeeds while
//!   the other's job is live.
//! * `release(id, handle)` removes the entry only if it still names that very job (a
//!   later claim may already have replaced it).
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

use crate::queue::slot_arena::SlotHandle;
use crate::queue::Priority;

/// What the index knows of a job: where it is, and what snapshots need to order it.
#[derive(Copy, Clone, Debug)]
pub(crate) struct IndexEntry {
    pub(crate) handle: SlotHandle,
    pub(crate) priority: Priority,
    /// Order of admission within the lane.
    pub(crate) ticket: u64,
}

/// The largest table allocated up front; beyond it the map grows on demand.
#[cfg(not(all(test, loom)))]
const MAX_PRESIZE: usize = 1 << 16;

/// Retired map entries a thread collects before it starts reclaiming them (seize's
/// default is 32). Each reclamation round costs a `membarrier` system call that
/// interrupts every CPU running the process; with the default that was 16 % of the
/// queue's CPU time (BENCHMARKS.md, profile). The price: a thread may hold up to this
/// many removed entries (an id and an [`IndexEntry`], 48 bytes with papaya's header)
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
pub(crate) struct IdIndex<I> {
    map: papaya::HashMap<I, IndexEntry, IdHasher>,
}

#[cfg(not(all(test, loom)))]
impl<I> IdIndex<I>
where
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
    pub(crate) fn pin(&self) -> PinnedIndex<'_, I> {
        PinnedIndex {
            map: self.map.pin(),
        }
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&I, &IndexEntry)) {
        for (id, entry) in self.map.pin().iter() {
            f(id, entry);
        }
    }
}

/// [`IdIndex`] entered for one operation (see [`IdIndex::pin`]).
#[cfg(not(all(test, loom)))]
pub(crate) struct PinnedIndex<'a, I> {
    map: papaya::HashMapRef<'a, I, IndexEntry, IdHasher, seize::LocalGuard<'a>>,
}

#[cfg(not(all(test, loom)))]
impl<I> PinnedIndex<'_, I>
where
    I: Copy + Eq + Hash + Send + Sync,
{
    pub(crate) fn claim(
        &self,
        id: I,
        entry: IndexEntry,
        is_live: impl Fn(&IndexEntry) -> bool,
    ) -> bool {
        // The common case, an id not in the map, goes through `try_insert`: unlike
        // `compute`, papaya's insert and remove paths help finish an incremental table
        // migration, and a map written only through `compute` lets the chain of
        // migrating tables grow without bound (measured: every operation slower than the
        // last, 80 s for 1M enqueue+cancel pairs instead of 0.3 s).
        match self.map.try_insert(id, entry) {
            Ok(_) => true,
            Err(occupied) if is_live(occupied.current) => false,
            // A dead job whose owner has not released its entry yet: replace it,
            // atomically against a concurrent claim that got there first.
            Err(_) => {
                let outcome = self.map.compute(id, |current| match current {
                    Some((_, current)) if is_live(current) => papaya::Operation::Abort(()),
                    _ => papaya::Operation::Insert(entry),
                });
                !matches!(outcome, papaya::Compute::Aborted(()))
            }
        }
    }

    pub(crate) fn release(&self, id: I, handle: SlotHandle) {
        // `remove_if` re-checks the predicate against the entry it removes, and helps a
        // table migration along (see `claim`).
        let _ = self
            .map
            .remove_if(&id, |_, current| current.handle == handle);
    }

    pub(crate) fn get(&self, id: &I) -> Option<IndexEntry> {
        self.map.get(id).copied()
    }
}

#[cfg(all(test, loom))]
pub(crate) struct IdIndex<I> {
    map: crate::sync::Mutex<std::collections::HashMap<I, IndexEntry>>,
}

#[cfg(all(test, loom))]
impl<I> IdIndex<I>
where
    I: Copy + Eq + Hash + Send + Sync,
{
    pub(crate) fn with_capacity(_capacity: usize) -> Self {
        IdIndex {
            map: crate::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub(crate) fn pin(&self) -> PinnedIndex<'_, I> {
        PinnedIndex { index: self }
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&I, &IndexEntry)) {
        for (id, entry) in self.map.lock().unwrap().iter() {
            f(id, entry);
        }
    }
}

/// The loom stand-in's view for one operation: each call takes the lock on its own.
#[cfg(all(test, loom))]
pub(crate) struct PinnedIndex<'a, I> {
    index: &'a IdIndex<I>,
}

#[cfg(all(test, loom))]
impl<I> PinnedIndex<'_, I>
where
    I: Copy + Eq + Hash + Send + Sync,
{
    pub(crate) fn claim(
        &self,
        id: I,
        entry: IndexEntry,
        is_live: impl Fn(&IndexEntry) -> bool,
    ) -> bool {
        let mut map = self.index.map.lock().unwrap();
        match map.get(&id) {
            Some(current) if is_live(current) => false,
            _ => {
                map.insert(id, entry);
                true
            }
        }
    }

    pub(crate) fn release(&self, id: I, handle: SlotHandle) {
        let mut map = self.index.map.lock().unwrap();
        if map.get(&id).is_some_and(|current| current.handle == handle) {
            map.remove(&id);
        }
    }

    pub(crate) fn get(&self, id: &I) -> Option<IndexEntry> {
        self.index.map.lock().unwrap().get(id).copied()
    }
}
