//! The ledger: what happened to every submission, booked by the thread that saw it.
//!
//! Every exit is booked from what the queue handed back: a worker books `Done` for the
//! payload it dequeued, the canceller books `Canceled` for the payload `cancel`
//! returned, a front end books `Evicted` for the payload its `DropLru` enqueue pushed
//! out and `Refused` for the payload a refused enqueue gave back. The payload carries
//! its submission id, so a job the queue handed out twice would be booked twice, and a
//! job it dropped would never be booked. [`Verdict`] counts both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use orchestrator_core::placement::InvalidJobField;
use orchestrator_core::queue::EnqueueErrorKind;

use super::workload::SubmissionId;
use super::Millis;

/// How a submission left the system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A worker dequeued it and it ran to the end in pool `pool` (index in the fleet).
    Done {
        /// The pool it ran in.
        pool: usize,
    },
    /// Its client canceled it while it was queued.
    Canceled,
    /// A `DropLru` enqueue evicted it to make room.
    Evicted,
    /// The queue refused it.
    Refused(EnqueueErrorKind),
    /// A worker dequeued it, but no pool can ever take it, even with every slot free.
    Unplaceable {
        /// The reasons the pools gave, e.g. `model not loaded`.
        why: String,
    },
    /// A worker dequeued it and placement found the job itself malformed.
    InvalidJob {
        /// The malformed field.
        field: InvalidJobField,
    },
}

/// What the ledger knows about one submission.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// How many times it was sent (one, or zero for a retry that was not needed).
    pub sends: u32,
    /// When it was sent.
    pub sent_at: Option<Millis>,
    /// Whether the queue admitted it.
    pub admitted: bool,
    /// When a worker dequeued it.
    pub started_at: Option<Millis>,
    /// Why placement first found no free pool for it, if it had to wait for one.
    pub deferred: Option<String>,
    /// A retry its client did not send, because the first submission was answered.
    pub skipped: bool,
    /// Every exit booked for it: exactly one when it was sent, none otherwise.
    pub outcomes: Vec<Outcome>,
}

/// Whether every submission was accounted for exactly once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// Submissions sent to the queue.
    pub submissions: u64,
    /// Exits booked.
    pub exits: u64,
    /// Sent submissions with no exit.
    pub lost: u64,
    /// Exits beyond the first for one submission (or for one never sent).
    pub duplicated: u64,
}

impl Verdict {
    /// Counts losses and duplicates over all records.
    pub fn of(records: &[Record]) -> Self {
        let mut verdict = Verdict::default();
        for record in records {
            let sends = u64::from(record.sends);
            let exits = record.outcomes.len() as u64;
            verdict.submissions += sends;
            verdict.exits += exits;
            verdict.lost += sends.saturating_sub(exits);
            verdict.duplicated += exits.saturating_sub(sends);
        }
        verdict
    }

    /// `true` when nothing was lost and nothing was duplicated.
    pub fn holds(&self) -> bool {
        self.lost == 0 && self.duplicated == 0
    }
}

/// Running counts for a progress display, updated as the ledger books events.
#[derive(Debug, Default)]
pub struct Progress {
    planned: AtomicU64,
    settled: AtomicU64,
    admitted: AtomicU64,
    done: AtomicU64,
    canceled: AtomicU64,
    evicted: AtomicU64,
    refused: AtomicU64,
}

/// A reading of [`Progress`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Submissions planned, retries included.
    pub planned: u64,
    /// Planned submissions that are over: ended, or a retry that was not needed.
    pub settled: u64,
    /// Admitted by the queue.
    pub admitted: u64,
    /// Ran to the end.
    pub done: u64,
    /// Canceled by their clients.
    pub canceled: u64,
    /// Evicted by `DropLru`.
    pub evicted: u64,
    /// Refused by the queue.
    pub refused: u64,
}

impl Progress {
    /// The current counts. Each is read on its own, so they may be a moment apart.
    pub fn counts(&self) -> Counts {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Counts {
            planned: read(&self.planned),
            settled: read(&self.settled),
            admitted: read(&self.admitted),
            done: read(&self.done),
            canceled: read(&self.canceled),
            evicted: read(&self.evicted),
            refused: read(&self.refused),
        }
    }

    fn bump(counter: &AtomicU64) {
        // Relaxed: display counters; the ledger's mutex orders the records themselves.
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The shared book of every submission's fate.
#[derive(Debug)]
pub struct Ledger<'p> {
    records: Mutex<Vec<Record>>,
    progress: &'p Progress,
}

impl<'p> Ledger<'p> {
    /// A ledger for `submissions` planned submissions, reporting to `progress`.
    pub fn new(submissions: usize, progress: &'p Progress) -> Self {
        progress
            .planned
            .store(submissions as u64, Ordering::Relaxed);
        Self {
            records: Mutex::new(vec![Record::default(); submissions]),
            progress,
        }
    }

    /// A front end is about to send `id`.
    pub fn sent(&self, id: SubmissionId, at: Millis) {
        let mut records = self.lock();
        records[id].sends += 1;
        records[id].sent_at = Some(at);
    }

    /// The queue admitted `id`.
    pub fn admitted(&self, id: SubmissionId) {
        self.lock()[id].admitted = true;
        Progress::bump(&self.progress.admitted);
    }

    /// A client did not send the retry `id`: it already had an answer.
    pub fn skipped(&self, id: SubmissionId) {
        self.lock()[id].skipped = true;
        Progress::bump(&self.progress.settled);
    }

    /// A worker dequeued `id`.
    pub fn started(&self, id: SubmissionId, at: Millis) {
        self.lock()[id].started_at = Some(at);
    }

    /// Placement found no free pool for `id` yet; keeps the first reason.
    pub fn deferred(&self, id: SubmissionId, why: &str) {
        self.lock()[id]
            .deferred
            .get_or_insert_with(|| why.to_owned());
    }

    /// `id` left the system with `outcome`.
    pub fn ended(&self, id: SubmissionId, outcome: Outcome) {
        let counter = match &outcome {
            Outcome::Done { .. } => Some(&self.progress.done),
            Outcome::Canceled => Some(&self.progress.canceled),
            Outcome::Evicted => Some(&self.progress.evicted),
            Outcome::Refused(_) => Some(&self.progress.refused),
            Outcome::Unplaceable { .. } | Outcome::InvalidJob { .. } => None,
        };
        self.lock()[id].outcomes.push(outcome);
        if let Some(counter) = counter {
            Progress::bump(counter);
        }
        Progress::bump(&self.progress.settled);
    }

    /// Whether the client of `id` has heard back: the job started or ended.
    pub fn is_answered(&self, id: SubmissionId) -> bool {
        let records = self.lock();
        records[id].started_at.is_some() || !records[id].outcomes.is_empty()
    }

    /// The records, indexed by submission id.
    pub fn into_records(self) -> Vec<Record> {
        self.records
            .into_inner()
            .expect("a thread panicked while booking")
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Record>> {
        self.records
            .lock()
            .expect("a thread panicked while booking")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_counts_a_lost_and_a_duplicated_submission() {
        let progress = Progress::default();
        let ledger = Ledger::new(4, &progress);
        ledger.sent(0, 0);
        ledger.ended(0, Outcome::Canceled); // fine
        ledger.sent(1, 0); // never ends: lost
        ledger.sent(2, 0);
        ledger.ended(2, Outcome::Done { pool: 0 });
        ledger.ended(2, Outcome::Evicted); // a second exit: duplicated
        ledger.skipped(3); // never sent: not counted
        let verdict = Verdict::of(&ledger.into_records());
        assert_eq!(
            verdict,
            Verdict {
                submissions: 3,
                exits: 3,
                lost: 1,
                duplicated: 1
            }
        );
        assert!(!verdict.holds());
    }

    #[test]
    fn an_exit_without_a_send_is_a_duplicate() {
        let progress = Progress::default();
        let ledger = Ledger::new(1, &progress);
        ledger.ended(0, Outcome::Refused(EnqueueErrorKind::QueueFull));
        let verdict = Verdict::of(&ledger.into_records());
        assert_eq!((verdict.lost, verdict.duplicated), (0, 1));
    }

    #[test]
    fn progress_follows_the_bookings() {
        let progress = Progress::default();
        let ledger = Ledger::new(3, &progress);
        ledger.sent(0, 0);
        ledger.admitted(0);
        ledger.ended(0, Outcome::Done { pool: 1 });
        ledger.skipped(1);
        let counts = progress.counts();
        assert_eq!(
            (counts.planned, counts.settled, counts.admitted, counts.done),
            (3, 2, 1, 1)
        );
    }
}
