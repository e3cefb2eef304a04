//! The id index: job id -> where the job is.
//!
//! It refuses duplicate ids, lets `cancel` find a job's slot without searching the
//! lanes, and serves `snapshot_priority` and `position`. Each entry is an [`IndexEntry`]:
//! the job's slot handle plus its priority and admission ticket, so that readers never
//! touch a slot's job (only the winner of its `take` may). The map and its contract
//! (claim an id unless a live job holds it; release only one's own entry) are
//! [`IdMap`](crate::sync::IdMap)'s; an entry is *live* while its slot is pending or
//! queued, so an id can be claimed again the moment its job leaves the queue.

use crate::queue::slot_arena::SlotHandle;
use crate::queue::Priority;
use crate::sync::IdMap;

/// What the index knows of a job: where it is, and what snapshots need to order it.
#[derive(Copy, Clone, Debug)]
pub(crate) struct IndexEntry {
    pub(crate) handle: SlotHandle,
    pub(crate) priority: Priority,
    /// Order of admission within the lane.
    pub(crate) ticket: u64,
}

/// The queue's id index.
pub(crate) type IdIndex<I> = IdMap<I, IndexEntry>;
