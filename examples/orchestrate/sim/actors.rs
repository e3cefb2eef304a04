//! The threads of the orchestrator: front ends, the canceller and the workers.
//!
//! Each actor is a state machine with one method, `step`, that does everything the
//! actor has to do at the current time and says when it next has something to do. The
//! drivers in `drive.rs` call it: once per tick in turns, or in a loop on its own
//! thread in the free run. Every queue operation of the run happens inside a `step`, on
//! the actor's own thread.

use std::mem;
use std::time::Duration;

use orchestrator_core::queue::{ConcurrentQueue, DequeueTimeoutError};

use super::drive::Clock;
use super::fleet::{Placement, SharedSimFleet};
use super::ledger::{Ledger, Outcome};
use super::workload::{Attempt, Request, SubmissionId, Workload};
use super::Millis;

/// The admission queue of the demo: payload [`Request`], job ids `u64`.
pub type Queue = ConcurrentQueue<Request, u64>;

/// When an actor next has something to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing before this simulated time.
    At(Millis),
    /// Possibly something at any moment: give it the next turn. (Only returned by
    /// steps that may not block; a blocking step waits instead.)
    Again,
    /// Nothing ever again.
    Finished,
}

/// Anything that runs on its own thread in the simulation.
#[derive(Debug)]
pub enum Actor<'a> {
    /// Submits jobs.
    FrontEnd(FrontEnd<'a>),
    /// Cancels jobs for clients that gave up.
    Canceller(Canceller<'a>),
    /// Takes jobs, places and runs them.
    Worker(Worker<'a>),
}

impl Actor<'_> {
    /// Does what is due at `clock`'s time; see [`Next`].
    pub fn step(&mut self, clock: Clock) -> Next {
        match self {
            Actor::FrontEnd(front_end) => front_end.step(clock),
            Actor::Canceller(canceller) => canceller.step(clock),
            Actor::Worker(worker) => worker.step(clock),
        }
    }
}

/// The parts of the run every actor shares.
#[derive(Clone, Copy, Debug)]
pub struct Shared<'a> {
    /// The admission queue.
    pub queue: &'a Queue,
    /// The pools.
    pub fleet: &'a SharedSimFleet,
    /// The book of every submission.
    pub ledger: &'a Ledger<'a>,
    /// The planned jobs, submissions and cancels.
    pub workload: &'a Workload,
}

/// A front-end thread: submits its jobs at their times, and its clients' retries.
#[derive(Debug)]
pub struct FrontEnd<'a> {
    shared: Shared<'a>,
    /// Its submissions, in the order it sends them.
    schedule: Vec<SubmissionId>,
    /// How many of them it has sent.
    sent: usize,
}

impl<'a> FrontEnd<'a> {
    /// Front end number `index` of the workload.
    pub fn new(shared: Shared<'a>, index: usize) -> Self {
        Self {
            schedule: shared.workload.schedule_of(index),
            shared,
            sent: 0,
        }
    }

    fn step(&mut self, clock: Clock) -> Next {
        let now = clock.now();
        while let Some(&id) = self.schedule.get(self.sent) {
            let at = self.shared.workload.submissions[id].at;
            if at > now {
                return Next::At(at);
            }
            self.submit(id, now);
            self.sent += 1;
        }
        Next::Finished
    }

    /// Enqueues submission `id` and books what the queue answered.
    fn submit(&self, id: SubmissionId, now: Millis) {
        let Shared {
            queue,
            ledger,
            workload,
            ..
        } = self.shared;
        let submission = &workload.submissions[id];
        // A client resends only while it has heard nothing back; the first submission of
        // job `j` is submission `j`.
        if submission.attempt == Attempt::Retry && ledger.is_answered(submission.job) {
            ledger.skipped(id);
            return;
        }
        let job = &workload.jobs[submission.job];
        let request = Request {
            submission: id,
            spec: job.spec.clone(),
        };
        ledger.sent(id, now);
        match queue.enqueue_item(job.id, job.spec.priority, request) {
            Ok(admitted) => {
                ledger.admitted(id);
                if let Some(evicted) = admitted.evicted {
                    ledger.ended(evicted.item.submission, Outcome::Evicted);
                }
            }
            // A refused enqueue never evicts: only this submission ends here.
            Err(refusal) => ledger.ended(id, Outcome::Refused(refusal.kind())),
        }
    }
}

/// The thread that handles client disconnects: cancels each job when its client gives
/// up.
#[derive(Debug)]
pub struct Canceller<'a> {
    shared: Shared<'a>,
    /// `(when, job index)`, in order.
    schedule: Vec<(Millis, usize)>,
    /// How many of them it has sent.
    sent: usize,
}

impl<'a> Canceller<'a> {
    /// The canceller for every client of the workload.
    pub fn new(shared: Shared<'a>) -> Self {
        Self {
            schedule: shared.workload.cancels(),
            shared,
            sent: 0,
        }
    }

    fn step(&mut self, clock: Clock) -> Next {
        let now = clock.now();
        while let Some(&(at, job)) = self.schedule.get(self.sent) {
            if at > now {
                return Next::At(at);
            }
            // `None`: the job is not queued (it started, ended or was refused): too late.
            let job_id = self.shared.workload.jobs[job].id;
            if let Some(request) = self.shared.queue.cancel(&job_id) {
                self.shared
                    .ledger
                    .ended(request.submission, Outcome::Canceled);
            }
            self.sent += 1;
        }
        Next::Finished
    }
}

/// A worker thread: takes a job when some pool has a free slot, asks placement for
/// the pool, and runs the job there for its simulated time.
#[derive(Debug)]
pub struct Worker<'a> {
    shared: Shared<'a>,
    task: Task,
}

/// What a worker is doing.
#[derive(Debug, Default)]
enum Task {
    /// Ready for a job.
    #[default]
    Idle,
    /// Holds a dequeued job that no pool can take yet.
    Waiting(Request),
    /// Runs a job in `pool` until `until`.
    Running {
        request: Request,
        pool: usize,
        until: Millis,
    },
    /// The queue is closed and drained.
    Finished,
}

/// The result of one transition: the new task, and `Some` when the step is over.
type Transition = (Task, Option<Next>);

impl<'a> Worker<'a> {
    /// An idle worker.
    pub fn new(shared: Shared<'a>) -> Self {
        Self {
            shared,
            task: Task::Idle,
        }
    }

    fn step(&mut self, clock: Clock) -> Next {
        loop {
            let task = mem::take(&mut self.task);
            let (task, next) = self.advance(task, clock);
            self.task = task;
            if let Some(next) = next {
                return next;
            }
        }
    }

    fn advance(&self, task: Task, clock: Clock) -> Transition {
        match task {
            Task::Idle => self.take(clock),
            Task::Waiting(request) => self.place(request, clock),
            Task::Running { until, .. } if until > clock.now() => (task, Some(Next::At(until))),
            Task::Running { request, pool, .. } => {
                self.shared.fleet.release(pool, &request.spec);
                let done = Outcome::Done { pool };
                self.shared.ledger.ended(request.submission, done);
                (Task::Idle, None)
            }
            Task::Finished => (Task::Finished, Some(Next::Finished)),
        }
    }

    /// Takes the next job once some pool has a free slot (a worker never holds a job it
    /// has no slot for, unless placement defers it).
    fn take(&self, clock: Clock) -> Transition {
        if !self.wait_for_free_slot(clock) {
            return (Task::Idle, Some(Next::Again));
        }
        // In turns the worker looks once (the other threads are between turns); in the
        // free run it sleeps until a job arrives or the queue is closed and drained.
        let taken = if clock.may_block() {
            self.shared
                .queue
                .dequeue_blocking()
                .map_err(DequeueTimeoutError::from)
        } else {
            self.shared.queue.dequeue_timeout(Duration::ZERO)
        };
        match taken {
            Ok(job) => {
                let request = job.item;
                self.shared.ledger.started(request.submission, clock.now());
                (Task::Waiting(request), None)
            }
            Err(DequeueTimeoutError::Timeout) => (Task::Idle, Some(Next::Again)),
            Err(_) => (Task::Finished, Some(Next::Finished)),
        }
    }

    /// `true` once some pool has a free slot; without blocking, `false` if none has.
    fn wait_for_free_slot(&self, clock: Clock) -> bool {
        let mut fleet = self.shared.fleet.lock();
        while !fleet.has_free_slot() {
            if !clock.may_block() {
                return false;
            }
            fleet = self.shared.fleet.wait_for_slot(fleet);
        }
        true
    }

    /// Places the job: runs it, waits for a pool, or books why it cannot run.
    fn place(&self, request: Request, clock: Clock) -> Transition {
        let ledger = self.shared.ledger;
        let mut fleet = self.shared.fleet.lock();
        loop {
            match fleet.place(&request.spec) {
                Placement::Assigned { pool, run_ms } => {
                    let until = clock.now() + run_ms;
                    return (
                        Task::Running {
                            request,
                            pool,
                            until,
                        },
                        None,
                    );
                }
                Placement::Deferred { why } => {
                    ledger.deferred(request.submission, &why);
                    if !clock.may_block() {
                        return (Task::Waiting(request), Some(Next::Again));
                    }
                    fleet = self.shared.fleet.wait_for_slot(fleet);
                }
                Placement::Unplaceable { why } => {
                    ledger.ended(request.submission, Outcome::Unplaceable { why });
                    return (Task::Idle, None);
                }
                Placement::Invalid(field) => {
                    ledger.ended(request.submission, Outcome::InvalidJob { field });
                    return (Task::Idle, None);
                }
            }
        }
    }
}
