//! The id map: a concurrent map from job id to what the queue knows of the job.
//!
//! Contract (the loom stand-in in `loom_model.rs` keeps it too). `claim`, `release` and
//! `get` are called on a [`PinnedMap`] from [`IdMap::pin`], so that an operation that
//! needs several of them enters the map once:
//!
//! * `claim(key, value, is_live)` inserts `value` under `key` unless the value there is
//!   *live* (`is_live` of it); a dead value that its owner has not yet released is
//!   replaced. Atomic: of two concurrent claims of one key, at most one succeeds while
//!   the other's value is live.
//! * `release(key, is_mine)` removes the value under `key` only if `is_mine` of it holds
//!   (a later claim may already have replaced it).
//! * `get` and `for_each` read a moment's view; values may change concurrently.
//!
//! A pre-sized `papaya::HashMap`: lock-free reads and writes with incremental resizing
//! (an operation that meets a migration helps it along), memory reclaimed by epochs
//! through `seize` in batches of [`RETIRE_BATCH`], hashed with foldhash.

use core::hash::Hash;

/// The largest table allocated up front; beyond it the map grows on demand.
const MAX_PRESIZE: usize = 1 << 16;

/// Retired map entries a thread collects before it starts reclaiming them (seize's
/// default is 32). Each reclamation round costs a `membarrier` system call that
/// interrupts every CPU running the process; with the default that was 16 % of the
/// queue's CPU time (BENCHMARKS.md, "Profile"). The price: a thread may hold up to this
/// many removed entries (about 48 bytes each with papaya's header) before freeing them.
const RETIRE_BATCH: usize = 1024;

/// The map's hasher: foldhash, seeded randomly per map. SipHash (std's default) cost
/// about 6 % of the CPU time, and every job hashes its id three to four times. foldhash
/// resists hash flooding less than SipHash; ids are chosen by the server, not by clients,
/// in the deployments this queue is for (a server that takes ids from clients can hash
/// them first).
type IdHasher = foldhash::fast::RandomState;

pub(crate) struct IdMap<K, V> {
    map: papaya::HashMap<K, V, IdHasher>,
}

impl<K, V> IdMap<K, V>
where
    K: Copy + Eq + Hash + Send + Sync,
    V: Copy + Send + Sync,
{
    /// A map sized for `capacity` live entries.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        IdMap {
            map: papaya::HashMap::builder()
                .capacity(capacity.min(MAX_PRESIZE))
                .hasher(IdHasher::default())
                .collector(seize::Collector::new().batch_size(RETIRE_BATCH))
                .build(),
        }
    }

    /// A view of the map for one operation: several lookups and updates under one
    /// reclamation guard (entering one costs about as much as an uncontended lock).
    pub(crate) fn pin(&self) -> PinnedMap<'_, K, V> {
        PinnedMap {
            map: self.map.pin(),
        }
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&K, &V)) {
        for (key, value) in self.map.pin().iter() {
            f(key, value);
        }
    }
}

/// [`IdMap`] entered for one operation (see [`IdMap::pin`]).
pub(crate) struct PinnedMap<'a, K, V> {
    map: papaya::HashMapRef<'a, K, V, IdHasher, seize::LocalGuard<'a>>,
}

impl<K, V> PinnedMap<'_, K, V>
where
    K: Copy + Eq + Hash + Send + Sync,
    V: Copy + Send + Sync,
{
    pub(crate) fn claim(&self, key: K, value: V, is_live: impl Fn(&V) -> bool) -> bool {
        // The common case, a key not in the map, goes through `try_insert`: unlike
        // `compute`, papaya's insert and remove paths help finish an incremental table
        // migration, and a map written only through `compute` lets the chain of
        // migrating tables grow without bound (every operation slower than the last).
        match self.map.try_insert(key, value) {
            Ok(_) => true,
            Err(occupied) if is_live(occupied.current) => false,
            // A dead value whose owner has not released it yet: replace it, atomically
            // against a concurrent claim that got there first.
            Err(_) => {
                let outcome = self.map.compute(key, |current| match current {
                    Some((_, current)) if is_live(current) => papaya::Operation::Abort(()),
                    _ => papaya::Operation::Insert(value),
                });
                !matches!(outcome, papaya::Compute::Aborted(()))
            }
        }
    }

    pub(crate) fn release(&self, key: K, is_mine: impl Fn(&V) -> bool) {
        // `remove_if` re-checks the predicate against the value it removes, and helps a
        // table migration along (see `claim`).
        let _ = self.map.remove_if(&key, |_, current| is_mine(current));
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.map.get(key).copied()
    }
}
