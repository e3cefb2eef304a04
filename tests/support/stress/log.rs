//! What the threads of a stress run log, and the logical clock that stamps it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use orchestrator_core::queue::{ConcurrentQueue, Priority};

use crate::support::drops::{JobTag, Payload};

/// The shared logical clock: one `SeqCst` counter.
pub struct Clock(pub AtomicU64);

impl Clock {
    pub fn stamp(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

/// A payload that knows its job and counts its drops: a payload dropped twice (a [C2]
/// bug) shows up in the ledger.
pub type Tracked = Payload<JobTag>;

pub type Queue = ConcurrentQueue<Tracked, u64>;

// ---------------------------------------------------------------------------------
// Logs.
// ---------------------------------------------------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EndKind {
    Dequeued,
    Canceled,
    Evicted,
}

#[derive(Copy, Clone, Debug)]
pub struct Admission {
    pub id: u64,
    pub serial: usize,
    pub priority: Priority,
    pub producer: usize,
    pub start: u64,
    pub ret: u64,
}

#[derive(Copy, Clone)]
pub struct Ending {
    pub id: u64,
    pub serial: usize,
    pub priority: Priority,
    pub kind: EndKind,
    /// Which thread ended it (`p<n>`, `c<n>`, `w<n>`), for messages.
    pub by: Actor,
    pub start: u64,
    pub ret: u64,
}

impl fmt::Debug for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} job {:#x} (serial {}, {}) by {:?}, call stamps [{}, {}]",
            self.kind, self.id, self.serial, self.priority, self.by, self.start, self.ret
        )
    }
}

#[derive(Copy, Clone, Debug)]
pub struct DupRefusal {
    pub id: u64,
    pub start: u64,
}

#[derive(Copy, Clone)]
pub enum Actor {
    Producer(usize),
    Canceller(usize),
    Worker(usize),
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Producer(p) => write!(f, "producer {p}"),
            Actor::Canceller(c) => write!(f, "canceller {c}"),
            Actor::Worker(w) => write!(f, "worker {w}"),
        }
    }
}

#[derive(Default)]
pub struct Log {
    pub admissions: Vec<Admission>,
    pub endings: Vec<Ending>,
    pub dup_refusals: Vec<DupRefusal>,
    /// Dequeue order of this thread, as serials (for the single-worker FIFO check).
    pub dequeue_order: Vec<usize>,
    /// `QueueFull` refusals, as `(start, ret)` call stamps.
    pub full_refusals: Vec<(u64, u64)>,
    pub foreign_cancels: usize,
    pub ops: usize,
}
