//! The final report, computed from the ledger's records and the placement tally; shown
//! as tables (`Display`) or as JSON (`serde::Serialize`).

use std::collections::BTreeMap;
use std::fmt;

use orchestrator_core::placement::DecidedBy;
use orchestrator_core::queue::{EnqueueErrorKind, Priority};
use orchestrator_core::stats::QueueStats;

use super::fleet::{PoolSpec, PoolTally};
use super::ledger::{Outcome, Record, Verdict};
use super::workload::{Attempt, Workload};
use super::{Config, Millis, Mode};

/// Everything the run did, in numbers. In the deterministic mode every field depends
/// only on the configuration and the seed.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    /// `deterministic` or `free-run`.
    pub mode: &'static str,
    /// The seed of the workload (and, in turns, of the turn order).
    pub seed: u64,
    /// The configuration of the run.
    pub settings: Settings,
    /// Simulated time from the first tick to the last actor's end, seconds.
    pub simulated_s: f64,
    /// One row per priority, `interactive` first.
    pub priorities: Vec<PriorityRow>,
    /// Both priorities together.
    pub total: PriorityRow,
    /// What placement decided, per pool.
    pub pools: Vec<PoolRow>,
    /// Jobs that had to wait for a pool, or found none.
    pub placement: PlacementSummary,
    /// Cancels and retries.
    pub clients: ClientSummary,
    /// Every submission accounted for exactly once?
    pub ledger: LedgerSummary,
}

/// The configuration of a run, as reported.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Settings {
    /// Jobs submitted (retries not included).
    pub jobs: usize,
    /// Front-end threads.
    pub producers: usize,
    /// Worker threads.
    pub workers: usize,
    /// Queue capacity.
    pub capacity: usize,
    /// Full-queue policy.
    pub policy: &'static str,
    /// Share of jobs whose client cancels.
    pub cancel_rate: f64,
    /// Share of jobs whose client resends.
    pub retry_rate: f64,
    /// Length of the submission window, simulated seconds.
    pub window_s: f64,
}

/// Counts of one priority (or of all).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PriorityRow {
    /// `interactive`, `batch` or `total`.
    pub priority: &'static str,
    /// Submissions sent to the queue, retries included.
    pub submitted: u64,
    /// Submissions the queue admitted.
    pub admitted: u64,
    /// How the submissions ended.
    pub outcomes: OutcomeCounts,
    /// Jobs done per simulated second.
    pub done_per_s: f64,
    /// Time from submission until a worker took the job, simulated ms.
    pub wait_ms: WaitStats,
}

/// How many submissions ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutcomeCounts {
    /// Ran to the end.
    pub done: u64,
    /// Canceled by their client while queued.
    pub canceled: u64,
    /// Evicted by a `drop-lru` enqueue.
    pub evicted: u64,
    /// Refused: queue full.
    pub refused_full: u64,
    /// Refused: the same job id was live.
    pub refused_duplicate: u64,
    /// Refused: the queue was closed.
    pub refused_closed: u64,
    /// Dequeued, but no pool can ever take it.
    pub unplaceable: u64,
    /// Dequeued, but the job is malformed.
    pub invalid_job: u64,
}

impl OutcomeCounts {
    fn count(&mut self, outcome: &Outcome) {
        let counter = match outcome {
            Outcome::Done { .. } => &mut self.done,
            Outcome::Canceled => &mut self.canceled,
            Outcome::Evicted => &mut self.evicted,
            Outcome::Refused(EnqueueErrorKind::QueueFull) => &mut self.refused_full,
            Outcome::Refused(EnqueueErrorKind::DuplicateId) => &mut self.refused_duplicate,
            Outcome::Refused(EnqueueErrorKind::Closed) => &mut self.refused_closed,
            Outcome::Refused(other) => panic!("a refusal this report has no column for: {other}"),
            Outcome::Unplaceable { .. } => &mut self.unplaceable,
            Outcome::InvalidJob { .. } => &mut self.invalid_job,
        };
        *counter += 1;
    }
}

/// Queue waits of the jobs that a worker took, simulated ms (`None` when there were none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WaitStats {
    /// Jobs a worker took.
    pub samples: u64,
    /// Median.
    pub p50: Option<Millis>,
    /// 99th percentile.
    pub p99: Option<Millis>,
    /// Longest.
    pub max: Option<Millis>,
}

impl WaitStats {
    fn of(mut waits: Vec<Millis>) -> Self {
        waits.sort_unstable();
        WaitStats {
            samples: waits.len() as u64,
            p50: percentile(&waits, 50),
            p99: percentile(&waits, 99),
            max: waits.last().copied(),
        }
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[Millis], percent: usize) -> Option<Millis> {
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// What placement decided about one pool.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PoolRow {
    /// Pool id.
    pub id: &'static str,
    /// Its GPUs.
    pub gpu: &'static str,
    /// Its slots.
    pub slots: u32,
    /// Jobs placement assigned to it.
    pub jobs: u64,
    /// Those jobs by the ranking level that decided (`decided_by`).
    pub won_on: BTreeMap<&'static str, u64>,
    /// Those jobs that found their session's KV cache warm there.
    pub kv_warm: u64,
    /// Jobs that went elsewhere although it was feasible.
    pub outranked: u64,
    /// Jobs that went elsewhere because it could not take them, by reason.
    pub infeasible: BTreeMap<&'static str, u64>,
}

/// Jobs that placement could not assign at once.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct PlacementSummary {
    /// Jobs that waited for a pool (`NoCapacity` while slots were busy), by the pools'
    /// reasons the first time.
    pub deferred: BTreeMap<String, u64>,
    /// Jobs that no pool can take even when idle (`NoCapacity`), by reason.
    pub unplaceable: BTreeMap<String, u64>,
    /// Jobs placement found malformed (`InvalidJob`), by field.
    pub invalid_job: BTreeMap<String, u64>,
}

/// What the clients did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClientSummary {
    /// Cancels sent.
    pub cancels: u64,
    /// Cancels that removed a queued job.
    pub canceled: u64,
    /// Cancels that found the job no longer queued (started, ended or refused).
    pub cancels_too_late: u64,
    /// Resends planned.
    pub retries: u64,
    /// Resends sent (the first submission was still unanswered).
    pub retries_sent: u64,
    /// Resends refused as duplicates.
    pub retries_refused_duplicate: u64,
    /// Resends not sent: the client already had an answer.
    pub retries_not_needed: u64,
}

/// The ledger's verdict.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LedgerSummary {
    /// The counts.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Where the queue's own counters (`ConcurrentQueue::stats`) differ from the
    /// ledger, one line each; empty when they agree.
    pub queue_stats_mismatches: Vec<String>,
    /// `lost == 0 && duplicated == 0`, and the queue's counters agree.
    pub ok: bool,
}

/// Compares the queue's counters with the ledger's rows, per priority: every admitted,
/// dequeued, canceled, evicted and refused job counted by the queue must be one the
/// ledger booked that way, and the drained queue must be empty.
fn queue_stats_mismatches(stats: &QueueStats, rows: &[PriorityRow]) -> Vec<String> {
    let mut mismatches = Vec::new();
    for (priority, row) in Priority::ALL.into_iter().zip(rows) {
        let lane = stats.priority(priority);
        let o = &row.outcomes;
        let dequeued = o.done + o.unplaceable + o.invalid_job;
        for (what, queue, ledger) in [
            ("enqueued", lane.enqueued, row.admitted),
            ("dequeued", lane.dequeued, dequeued),
            ("canceled", lane.canceled, o.canceled),
            ("evicted", lane.evicted, o.evicted),
            ("refused full", lane.rejected.full, o.refused_full),
            (
                "refused duplicate",
                lane.rejected.duplicate,
                o.refused_duplicate,
            ),
            ("refused closed", lane.rejected.closed, o.refused_closed),
            ("left in the queue", lane.depth, 0),
        ] {
            if queue != ledger {
                mismatches.push(format!("{priority} {what}: queue {queue}, ledger {ledger}"));
            }
        }
    }
    mismatches
}

impl Report {
    /// Computes the report from the ledger's `records` (indexed by submission id), the
    /// placement tally per pool, and the simulated time the run ended.
    pub fn build(
        config: &Config,
        workload: &Workload,
        records: &[Record],
        pools: &[PoolSpec],
        tally: &[PoolTally],
        finished_at: Millis,
        queue_stats: &QueueStats,
    ) -> Self {
        let simulated_s = finished_at as f64 / 1000.0;
        let priorities: Vec<PriorityRow> = Priority::ALL
            .into_iter()
            .map(|priority| {
                let records = records
                    .iter()
                    .enumerate()
                    .filter(|(id, _)| workload.job_of(*id).spec.priority == priority);
                PriorityRow::build(priority.as_str(), records.map(|(_, r)| r), simulated_s)
            })
            .collect();
        let verdict = Verdict::of(records);
        let queue_stats_mismatches = queue_stats_mismatches(queue_stats, &priorities);
        Report {
            mode: config.mode.label(),
            seed: config.seed,
            settings: Settings::of(config),
            simulated_s,
            total: PriorityRow::build("total", records.iter(), simulated_s),
            priorities,
            pools: pools.iter().zip(tally).map(PoolRow::of).collect(),
            placement: PlacementSummary::of(records),
            clients: ClientSummary::of(workload, records),
            ledger: LedgerSummary {
                verdict,
                ok: verdict.holds() && queue_stats_mismatches.is_empty(),
                queue_stats_mismatches,
            },
        }
    }
}

impl Settings {
    fn of(config: &Config) -> Self {
        Settings {
            jobs: config.jobs,
            producers: config.front_ends,
            workers: config.workers,
            capacity: config.capacity,
            policy: config.policy.as_str(),
            cancel_rate: config.cancel_rate,
            retry_rate: config.retry_rate,
            window_s: config.window_ms as f64 / 1000.0,
        }
    }
}

impl PriorityRow {
    fn build<'r>(
        priority: &'static str,
        records: impl Iterator<Item = &'r Record>,
        simulated_s: f64,
    ) -> Self {
        let mut row = PriorityRow {
            priority,
            submitted: 0,
            admitted: 0,
            outcomes: OutcomeCounts::default(),
            done_per_s: 0.0,
            wait_ms: WaitStats::default(),
        };
        let mut waits = Vec::new();
        for record in records {
            row.submitted += u64::from(record.sends);
            row.admitted += u64::from(record.admitted);
            record.outcomes.iter().for_each(|o| row.outcomes.count(o));
            if let (Some(sent), Some(started)) = (record.sent_at, record.started_at) {
                waits.push(started.saturating_sub(sent));
            }
        }
        if simulated_s > 0.0 {
            row.done_per_s = round2(row.outcomes.done as f64 / simulated_s);
        }
        row.wait_ms = WaitStats::of(waits);
        row
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl PoolRow {
    fn of((spec, tally): (&PoolSpec, &PoolTally)) -> Self {
        PoolRow {
            id: spec.id,
            gpu: spec.gpu,
            slots: spec.slots,
            jobs: tally.won_on.values().sum(),
            won_on: tally.won_on.clone(),
            kv_warm: tally.kv_warm,
            outranked: tally.outranked,
            infeasible: tally.infeasible.clone(),
        }
    }
}

impl PlacementSummary {
    fn of(records: &[Record]) -> Self {
        let mut summary = PlacementSummary::default();
        for record in records {
            if let Some(why) = &record.deferred {
                *summary.deferred.entry(why.clone()).or_default() += 1;
            }
            for outcome in &record.outcomes {
                match outcome {
                    Outcome::Unplaceable { why } => {
                        *summary.unplaceable.entry(why.clone()).or_default() += 1;
                    }
                    Outcome::InvalidJob { field } => {
                        *summary.invalid_job.entry(field.to_string()).or_default() += 1;
                    }
                    _ => {}
                }
            }
        }
        summary
    }
}

impl ClientSummary {
    fn of(workload: &Workload, records: &[Record]) -> Self {
        let mut clients = ClientSummary {
            cancels: workload.cancels().len() as u64,
            ..ClientSummary::default()
        };
        for (id, record) in records.iter().enumerate() {
            let canceled = record.outcomes.contains(&Outcome::Canceled);
            clients.canceled += u64::from(canceled);
            if workload.submissions[id].attempt == Attempt::Retry {
                clients.retries += 1;
                clients.retries_sent += u64::from(record.sends);
                clients.retries_not_needed += u64::from(record.skipped);
                let duplicate = Outcome::Refused(EnqueueErrorKind::DuplicateId);
                clients.retries_refused_duplicate +=
                    u64::from(record.outcomes.contains(&duplicate));
            }
        }
        clients.cancels_too_late = clients.cancels.saturating_sub(clients.canceled);
        clients
    }
}

impl Mode {
    /// The mode's name in the report.
    pub fn label(&self) -> &'static str {
        match self {
            Mode::Deterministic { .. } => "deterministic",
            Mode::FreeRun => "free-run",
        }
    }
}

// ---- Display: the tables ----

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_header(f)?;
        self.write_priorities(f)?;
        self.write_pools(f)?;
        self.write_clients(f)?;
        self.write_ledger(f)
    }
}

impl Report {
    fn write_header(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, seed) = (&self.settings, self.seed);
        if self.mode == Mode::FreeRun.label() {
            writeln!(
                f,
                "orchestrate: free run, seed {seed} (threads race: the counts vary from run to run)"
            )?;
        } else {
            writeln!(
                f,
                "orchestrate: deterministic run, seed {seed} (the same flags and --seed {seed} repeat every count)"
            )?;
        }
        let slots: u32 = self.pools.iter().map(|pool| pool.slots).sum();
        writeln!(
            f,
            "  {} jobs from {} front ends, {} workers, {} GPU pools with {slots} slots",
            s.jobs,
            s.producers,
            s.workers,
            self.pools.len(),
        )?;
        writeln!(
            f,
            "  queue capacity {}, policy {}; clients cancel {:.0}% and resend {:.0}% of their jobs",
            s.capacity,
            s.policy,
            s.cancel_rate * 100.0,
            s.retry_rate * 100.0
        )?;
        writeln!(
            f,
            "  simulated time: jobs arrive over {} s, the last one ended at {:.1} s",
            s.window_s, self.simulated_s
        )
    }

    fn write_priorities(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f)?;
        writeln!(
            f,
            "{:<12}{:>5}{:>10}{:>6}{:>10}{:>9}{:>15}{:>9}{:>8}{:>10}{:>10}",
            "priority",
            "sent",
            "admitted",
            "done",
            "canceled",
            "evicted",
            "refused f/d/c",
            "no pool",
            "done/s",
            "wait p50",
            "wait p99",
        )?;
        for row in self.priorities.iter().chain([&self.total]) {
            let o = &row.outcomes;
            let refused = format!(
                "{}/{}/{}",
                o.refused_full, o.refused_duplicate, o.refused_closed
            );
            writeln!(
                f,
                "{:<12}{:>5}{:>10}{:>6}{:>10}{:>9}{:>15}{:>9}{:>8.2}{:>10}{:>10}",
                row.priority,
                row.submitted,
                row.admitted,
                o.done,
                o.canceled,
                o.evicted,
                refused,
                o.unplaceable + o.invalid_job,
                row.done_per_s,
                seconds(row.wait_ms.p50),
                seconds(row.wait_ms.p99),
            )?;
        }
        writeln!(
            f,
            "refused f/d/c: queue full / duplicate id / closed; wait: from submission until a worker took the job"
        )
    }

    fn write_pools(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f)?;
        writeln!(
            f,
            "placement: placement::place on every dequeued job, over the pools' live snapshots"
        )?;
        for pool in &self.pools {
            writeln!(
                f,
                "{:<8}{:<11}{} slots {:>5} jobs ({} found their session's KV cache warm)",
                pool.id, pool.gpu, pool.slots, pool.jobs, pool.kv_warm
            )?;
            let won_on = DecidedBy::ALL.into_iter().filter_map(|level| {
                let label = level.as_str();
                Some((label, *pool.won_on.get(label)?))
            });
            writeln!(f, "        won on:      {}", list(won_on))?;
            let outranked = (pool.outranked > 0).then_some(("outranked", pool.outranked));
            let passed_over = pool.infeasible.iter().map(|(k, n)| (*k, *n));
            writeln!(
                f,
                "        passed over: {}",
                list(passed_over.chain(outranked))
            )?;
        }
        writeln!(
            f,
            "won on: the ranking level that beat the runner-up (only_candidate: no other pool fit)"
        )?;
        let placement = &self.placement;
        writeln!(
            f,
            "waited for a pool: {} jobs (why, the first time: {})",
            placement.deferred.values().sum::<u64>(),
            list(placement.deferred.iter().map(|(k, n)| (k, *n)))
        )?;
        writeln!(
            f,
            "no pool at all: {} jobs ({}); invalid jobs: {}",
            placement.unplaceable.values().sum::<u64>(),
            list(placement.unplaceable.iter().map(|(k, n)| (k, *n))),
            placement.invalid_job.values().sum::<u64>(),
        )
    }

    fn write_clients(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.clients;
        writeln!(f)?;
        writeln!(
            f,
            "cancels: {} sent, {} removed a queued job, {} found it no longer queued",
            c.cancels, c.canceled, c.cancels_too_late
        )?;
        writeln!(
            f,
            "resends of the same job id: {} planned, {} sent and {} refused as duplicates, {} not needed (answer already in)",
            c.retries, c.retries_sent, c.retries_refused_duplicate, c.retries_not_needed
        )
    }

    fn write_ledger(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.ledger.verdict;
        let verdict = if self.ledger.ok {
            "every submission accounted for exactly once"
        } else {
            "FAILED"
        };
        writeln!(
            f,
            "ledger: {} submissions, {} exits: lost {}, duplicated {} ({verdict})",
            v.submissions, v.exits, v.lost, v.duplicated
        )?;
        if self.ledger.queue_stats_mismatches.is_empty() {
            writeln!(f, "queue.stats(): agrees with the ledger, count for count")
        } else {
            writeln!(f, "queue.stats(): DISAGREES with the ledger:")?;
            for mismatch in &self.ledger.queue_stats_mismatches {
                writeln!(f, "  {mismatch}")?;
            }
            Ok(())
        }
    }
}

/// `1.25 s`, or `-` when there is no value.
fn seconds(ms: Option<Millis>) -> String {
    ms.map_or_else(|| "-".into(), |ms| format!("{:.2} s", ms as f64 / 1000.0))
}

/// `a 3, b 1`, or `-` when empty.
fn list<K: fmt::Display>(counts: impl Iterator<Item = (K, u64)>) -> String {
    let items: Vec<String> = counts.map(|(k, n)| format!("{k} {n}")).collect();
    if items.is_empty() {
        "-".into()
    } else {
        items.join(", ")
    }
}
