//! The workload: every job, submission, retry and cancel of a run, drawn from the seed
//! before any thread starts.

use orchestrator_core::placement::{JobRequirements, JobSpec};
use orchestrator_core::queue::Priority;

use super::rng::Rng;
use super::{Config, Millis, TICK_MS};

/// Index of a submission in [`Workload::submissions`] and in the ledger.
pub type SubmissionId = usize;

/// The queue's payload: which submission this is, and what the job needs from a pool.
#[derive(Debug)]
pub struct Request {
    /// The submission the queue hands back, so that every exit is booked against it.
    pub submission: SubmissionId,
    /// What placement needs to know about the job.
    pub spec: JobSpec,
}

/// One client job.
#[derive(Clone, Debug)]
pub struct Job {
    /// The job id the queue sees; a retry reuses it.
    pub id: u64,
    /// Priority, model, size and session of the job.
    pub spec: JobSpec,
    /// The front-end thread that submits it (and its retry).
    pub front_end: usize,
    /// When its client gives up and cancels, if it does.
    pub cancel_at: Option<Millis>,
}

/// Whether a submission is the job's first or its client's resend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The job's first submission.
    First,
    /// The client heard nothing back and resends the same job id. Sent only while the
    /// first submission is unanswered (neither started nor ended), so the queue sees
    /// it while the job is still live and refuses it as a duplicate.
    Retry,
}

/// One planned enqueue.
#[derive(Clone, Debug)]
pub struct Submission {
    /// Index of the job in [`Workload::jobs`].
    pub job: usize,
    /// First submission or retry.
    pub attempt: Attempt,
    /// When the front end sends it.
    pub at: Millis,
}

/// Everything the clients will do in one run.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The jobs, in order of their first submission; job `i` has id `i + 1`.
    pub jobs: Vec<Job>,
    /// First submissions (submission `i` is job `i`'s), then the retries.
    pub submissions: Vec<Submission>,
}

/// Share of jobs that are `Interactive`.
const INTERACTIVE_SHARE: f64 = 0.4;
/// Share of `Interactive` jobs that belong to a chat session (KV-cache affinity).
const SESSION_SHARE: f64 = 0.6;
/// Number of distinct chat sessions.
const SESSIONS: u64 = 24;
/// Share of `Batch` jobs with a long context and a large KV cache.
const LONG_CONTEXT_SHARE: f64 = 0.05;
/// How long a client waits before it cancels, in ticks (0.1 s to 8 s).
const CANCEL_DELAY_TICKS: (u64, u64) = (10, 800);
/// How long a client waits before it resends, in ticks (0.05 s to 1 s).
const RETRY_DELAY_TICKS: (u64, u64) = (5, 100);

const GIB: u64 = 1 << 30;

impl Workload {
    /// Draws the workload of `config` from `rng`.
    ///
    /// Submission times are whole ticks inside the submission window, so every first
    /// submission reaches the queue before it closes; retries may come after, and are
    /// then refused as `Closed`.
    pub fn generate(config: &Config, mut rng: Rng) -> Self {
        let window_ticks = (config.window_ms / TICK_MS).max(1);
        let mut times: Vec<Millis> = (0..config.jobs)
            .map(|_| rng.in_range(0, window_ticks - 1) * TICK_MS)
            .collect();
        times.sort_unstable();

        let mut jobs = Vec::with_capacity(config.jobs);
        let mut submissions = Vec::with_capacity(config.jobs);
        let mut retries = Vec::new();
        let last_front_end = config.front_ends.saturating_sub(1) as u64;
        for (index, at) in times.into_iter().enumerate() {
            let front_end = rng.in_range(0, last_front_end) as usize;
            let cancel_at = rng
                .chance(config.cancel_rate)
                .then(|| at + TICK_MS * rng.in_range(CANCEL_DELAY_TICKS.0, CANCEL_DELAY_TICKS.1));
            if rng.chance(config.retry_rate) {
                let delay = TICK_MS * rng.in_range(RETRY_DELAY_TICKS.0, RETRY_DELAY_TICKS.1);
                retries.push(Submission {
                    job: index,
                    attempt: Attempt::Retry,
                    at: at + delay,
                });
            }
            jobs.push(Job {
                id: index as u64 + 1,
                spec: draw_spec(&mut rng),
                front_end,
                cancel_at,
            });
            submissions.push(Submission {
                job: index,
                attempt: Attempt::First,
                at,
            });
        }
        submissions.extend(retries);
        Self { jobs, submissions }
    }

    /// The job a submission belongs to.
    pub fn job_of(&self, submission: SubmissionId) -> &Job {
        &self.jobs[self.submissions[submission].job]
    }

    /// The submissions that `front_end` sends, in the order it sends them.
    pub fn schedule_of(&self, front_end: usize) -> Vec<SubmissionId> {
        let mut schedule: Vec<SubmissionId> = (0..self.submissions.len())
            .filter(|&id| self.job_of(id).front_end == front_end)
            .collect();
        schedule.sort_by_key(|&id| (self.submissions[id].at, id));
        schedule
    }

    /// The cancels that clients send, in order: when, and which job (by index).
    pub fn cancels(&self) -> Vec<(Millis, usize)> {
        let mut cancels: Vec<(Millis, usize)> = (self.jobs.iter().enumerate())
            .filter_map(|(index, job)| job.cancel_at.map(|at| (at, index)))
            .collect();
        cancels.sort_unstable();
        cancels
    }
}

/// Draws one job: its class, model, output length, KV-cache size and session.
fn draw_spec(rng: &mut Rng) -> JobSpec {
    let priority = if rng.chance(INTERACTIVE_SHARE) {
        Priority::Interactive
    } else {
        Priority::Batch
    };
    // 1 in 100 asks for a model no pool serves: placement finds no pool for it.
    let model_id = match rng.in_range(0, 99) {
        0 => "mixtral-8x22b",
        1..=15 => "llama-3-70b",
        _ => "llama-3-8b",
    };
    let (tokens, context, kv_gib) = match priority {
        Priority::Interactive => (rng.in_range(40, 300), 8_192, rng.in_range(1, 3)),
        Priority::Batch if rng.chance(LONG_CONTEXT_SHARE) => {
            (rng.in_range(150, 900), 131_072, rng.in_range(14, 20))
        }
        Priority::Batch => (rng.in_range(150, 900), 32_768, rng.in_range(2, 8)),
    };
    let session_id = (priority == Priority::Interactive && rng.chance(SESSION_SHARE))
        .then(|| format!("chat-{}", rng.in_range(1, SESSIONS)));
    JobSpec {
        priority,
        engine: "vllm".into(),
        model_id: model_id.into(),
        expected_output_tokens: Some(tokens as u32),
        required_context_tokens: context,
        est_kv_bytes: kv_gib * GIB,
        session_id,
        requirements: JobRequirements::default(),
        device_mask: None,
    }
}
