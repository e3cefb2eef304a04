//! The one drop-counting payload: every test that checks "each payload is dropped
//! exactly once" ([C2], [Q7]) counts its payloads' drops here.

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use orchestrator_core::queue::Priority;

/// Per-serial drop counters shared by every payload of one test (or one stress run).
///
/// Leaked (`&'static`) rather than shared through an `Arc`, so that a payload dropped
/// twice is reported by the counters instead of crashing on a double `Arc` decrement,
/// and so that payloads are `Send` and `Sync` for the concurrent queue.
#[derive(Clone, Copy)]
pub struct Drops(&'static [AtomicUsize]);

impl Drops {
    /// Counters for the serials `0..serials`, all zero.
    pub fn new(serials: usize) -> Self {
        Drops(Vec::leak(
            (0..serials).map(|_| AtomicUsize::new(0)).collect(),
        ))
    }

    /// A payload with serial `serial` and no job attached.
    pub fn payload(&self, serial: usize) -> Payload {
        self.with_job(serial, ())
    }

    /// A payload that also carries the job it was made for, so that a test can check
    /// that it comes back with its own job.
    pub fn for_job(&self, serial: usize, id: u64, priority: Priority) -> Payload<JobTag> {
        self.with_job(serial, JobTag { id, priority })
    }

    fn with_job<J>(&self, serial: usize, job: J) -> Payload<J> {
        Payload {
            serial,
            job,
            drops: self.0,
        }
    }

    /// How many times the payload `serial` was dropped so far.
    pub fn count(&self, serial: usize) -> usize {
        self.0[serial].load(Ordering::SeqCst)
    }

    /// Every counter, by serial.
    pub fn counts(&self) -> Vec<usize> {
        self.0.iter().map(|d| d.load(Ordering::SeqCst)).collect()
    }

    /// Asserts that the payloads with a serial in `created` were each dropped exactly
    /// once and that no other serial was ever dropped.
    pub fn assert_each_dropped_once(&self, created: Range<usize>, context: &str) {
        for serial in 0..self.0.len() {
            let expected = usize::from(created.contains(&serial));
            assert_eq!(
                self.count(serial),
                expected,
                "{context}: payload {serial} dropped {} times, expected {expected}",
                self.count(serial)
            );
        }
    }
}

/// The job a payload was made for (see [`Drops::for_job`]); not the library's
/// `queue::Job`, which carries a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobTag {
    pub id: u64,
    pub priority: Priority,
}

/// A payload with a serial (and, with [`Drops::for_job`], its job); dropping it bumps
/// its counter in [`Drops`].
pub struct Payload<J = ()> {
    pub serial: usize,
    pub job: J,
    drops: &'static [AtomicUsize],
}

impl<J> Drop for Payload<J> {
    fn drop(&mut self) {
        self.drops[self.serial].fetch_add(1, Ordering::SeqCst);
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Payload#{}", self.serial)
    }
}

impl fmt::Debug for Payload<JobTag> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Payload#{} (job {:#x}, {})",
            self.serial, self.job.id, self.job.priority
        )
    }
}
