//! The placement trace of \[P6\]: one verdict per pool, one log line each.

use std::fmt;

use super::{Candidate, DecidedBy, Infeasible};

/// What placement concluded about one pool.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Verdict {
    /// The pool the job was assigned to.
    Chosen {
        /// The figures it was ranked by.
        candidate: Candidate,
        /// The level at which it beat the runner-up.
        decided_by: DecidedBy,
    },
    /// A feasible pool that ranked below the chosen one.
    Outranked {
        /// The figures it was ranked by.
        candidate: Candidate,
        /// The first level at which the chosen pool was better.
        lost_on: DecidedBy,
    },
    /// A pool that cannot take the job.
    Infeasible(Infeasible),
}

/// The verdict on every pool of one [`place`](super::place) call, in the order the pools
/// were given (\[P6\]).
///
/// `Display` writes one line per pool (no trailing newline), e.g.
///
/// ```text
/// pool "gpu-b": chosen, predicted_end=1300ms kv_warm=true slots_free=2 residual_vram=1000B perf=50tok/s; decided by kv_warm
/// pool "gpu-a": outranked, predicted_end=1300ms kv_warm=false slots_free=2 residual_vram=1000B perf=50tok/s; lost on kv_warm
/// pool "gpu-c": infeasible: model not loaded
/// ```
///
/// Ids are quoted and escaped, so an id holding a newline cannot split a line.
///
/// All ids live in one string, so building a trace costs two allocations per call, not
/// one per pool. With the `serde` feature it is (de)serialized as a list of
/// `{"pool_id": .., "verdict": ..}` objects.
#[derive(Clone, Default, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "Vec<OwnedEntry>", from = "Vec<OwnedEntry>")
)]
pub struct PlacementTrace {
    /// Every pool id, concatenated in entry order.
    ids: String,
    /// Each entry's verdict and where its id lies in `ids`.
    entries: Vec<Slot>,
}

/// One entry as stored: the id as a range of `PlacementTrace::ids`.
#[derive(Clone, Debug, PartialEq)]
struct Slot {
    id_start: usize,
    id_end: usize,
    verdict: Verdict,
}

/// The id of an entry being settled, read on demand.
#[derive(Clone, Copy)]
pub(super) struct EntryId<'a> {
    ids: &'a str,
    start: usize,
    end: usize,
}

impl<'a> EntryId<'a> {
    /// The id (empty if the range were wrong, which `push` rules out).
    pub(super) fn get(self) -> &'a str {
        self.ids.get(self.start..self.end).unwrap_or_default()
    }
}

/// One pool's line in a [`PlacementTrace`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceEntry<'a> {
    /// The pool's id.
    pub pool_id: &'a str,
    /// What placement concluded about it.
    pub verdict: &'a Verdict,
}

impl PlacementTrace {
    /// An empty trace with room for `pools` entries whose ids total `id_bytes`.
    pub(super) fn with_capacity(pools: usize, id_bytes: usize) -> Self {
        Self {
            ids: String::with_capacity(id_bytes),
            entries: Vec::with_capacity(pools),
        }
    }

    /// Appends a pool's entry. Inlined so that the verdict is built in place rather than
    /// copied through the stack (the copy stalled on store forwarding).
    #[inline]
    pub(super) fn push(&mut self, pool_id: &str, verdict: Verdict) -> Option<&Verdict> {
        let id_start = self.ids.len();
        self.ids.push_str(pool_id);
        self.push_range(id_start, self.ids.len(), verdict)
    }

    /// An empty trace whose entries will name their ids as ranges of `ids`, with
    /// [`push_range`](Self::push_range): a prepared fleet copies all its ids at once
    /// instead of one at a time.
    pub(super) fn with_ids(ids: String, pools: usize) -> Self {
        Self {
            ids,
            entries: Vec::with_capacity(pools),
        }
    }

    /// Appends an entry whose id is `ids[id_start..id_end]` of a trace made by
    /// [`with_ids`](Self::with_ids). Reading an entry checks the range, so a wrong one
    /// would show as an empty id, never as a panic.
    ///
    /// Returns the verdict as stored (always `Some`), so that the caller reads it from
    /// there rather than keeping a copy: a copy of a verdict built field by field stalls
    /// on store forwarding.
    #[inline]
    pub(super) fn push_range(
        &mut self,
        id_start: usize,
        id_end: usize,
        verdict: Verdict,
    ) -> Option<&Verdict> {
        self.entries.push(Slot {
            id_start,
            id_end,
            verdict,
        });
        self.entries.last().map(|slot| &slot.verdict)
    }

    /// The verdict of entry `index`, to settle it once the winner is known.
    pub(super) fn verdict_mut(&mut self, index: usize) -> Option<&mut Verdict> {
        self.entries.get_mut(index).map(|slot| &mut slot.verdict)
    }

    /// Calls `settle` with each entry's verdict and a way to read its id, in order
    /// (the id is rarely needed, and reading it checks its range).
    #[inline]
    pub(super) fn settle_each(&mut self, mut settle: impl FnMut(&mut Verdict, EntryId<'_>)) {
        for slot in &mut self.entries {
            let id = EntryId {
                ids: &self.ids,
                start: slot.id_start,
                end: slot.id_end,
            };
            settle(&mut slot.verdict, id);
        }
    }

    /// The number of entries (one per pool given).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the trace has no entry (no pool was given).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `index`, in the order the pools were given.
    pub fn get(&self, index: usize) -> Option<TraceEntry<'_>> {
        self.entries.get(index).map(|slot| self.view(slot))
    }

    /// The entries, in the order the pools were given.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = TraceEntry<'_>> + '_ {
        self.entries.iter().map(|slot| self.view(slot))
    }

    /// The public view of a stored entry. `push` is the only writer of `ids` and of the
    /// ranges, and it pushes whole `&str`s, so each range is on char boundaries; `get`
    /// keeps this total anyway.
    fn view<'a>(&'a self, slot: &'a Slot) -> TraceEntry<'a> {
        TraceEntry {
            pool_id: self.ids.get(slot.id_start..slot.id_end).unwrap_or_default(),
            verdict: &slot.verdict,
        }
    }

    /// The first entry for `pool_id`, if any.
    pub fn find(&self, pool_id: &str) -> Option<TraceEntry<'_>> {
        self.entries().find(|entry| entry.pool_id == pool_id)
    }
}

impl fmt::Display for TraceEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pool {:?}: ", self.pool_id)?;
        match self.verdict {
            Verdict::Chosen {
                candidate,
                decided_by,
            } => write!(f, "chosen, {candidate}; decided by {decided_by}"),
            Verdict::Outranked { candidate, lost_on } => {
                write!(f, "outranked, {candidate}; lost on {lost_on}")
            }
            Verdict::Infeasible(reason) => write!(f, "infeasible: {reason}"),
        }
    }
}

impl fmt::Display for PlacementTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, entry) in self.entries().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{entry}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for PlacementTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

/// The serialized form of one entry.
#[cfg(feature = "serde")]
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct OwnedEntry {
    pool_id: String,
    verdict: Verdict,
}

#[cfg(feature = "serde")]
impl From<PlacementTrace> for Vec<OwnedEntry> {
    fn from(trace: PlacementTrace) -> Self {
        trace
            .entries()
            .map(|entry| OwnedEntry {
                pool_id: entry.pool_id.to_owned(),
                verdict: entry.verdict.clone(),
            })
            .collect()
    }
}

#[cfg(feature = "serde")]
impl From<Vec<OwnedEntry>> for PlacementTrace {
    fn from(entries: Vec<OwnedEntry>) -> Self {
        let id_bytes = entries.iter().map(|entry| entry.pool_id.len()).sum();
        let mut trace = Self::with_capacity(entries.len(), id_bytes);
        for entry in entries {
            let _ = trace.push(&entry.pool_id, entry.verdict);
        }
        trace
    }
}
