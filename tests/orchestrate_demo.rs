//! The demo's core (`examples/orchestrate/sim`), run with small configurations: the
//! ledger holds, the report's totals add up, and a deterministic run repeats itself
//! count for count. Nothing here asserts on timing.
#![cfg(all(not(loom), feature = "stats"))]

#[path = "../examples/orchestrate/sim/mod.rs"]
mod sim;

use orchestrator_core::queue::Policy;

use sim::ledger::Progress;
use sim::report::{OutcomeCounts, PriorityRow, Report};
use sim::{Config, Mode};

/// 120 jobs over 20 simulated seconds on a small queue, unpaced: well under a second.
fn small(policy: Policy, capacity: usize, seed: u64) -> Config {
    Config {
        jobs: 120,
        front_ends: 3,
        workers: 6,
        capacity,
        policy,
        cancel_rate: 0.2,
        retry_rate: 0.2,
        window_ms: 20_000,
        seed,
        mode: Mode::Deterministic { paced: false },
    }
}

fn run(config: &Config) -> Report {
    sim::run(config, &Progress::default())
}

/// Checks that the ledger held and that every total of the report agrees with the
/// others. Returns the report for further checks.
fn check(config: &Config) -> Report {
    let report = run(config);
    let ledger = report.ledger.clone();
    assert!(ledger.ok, "ledger failed: {ledger:?}\n{report}");
    assert_eq!((ledger.verdict.lost, ledger.verdict.duplicated), (0, 0));
    assert!(
        ledger.queue_stats_mismatches.is_empty(),
        "the queue's stats disagree with the ledger: {:?}",
        ledger.queue_stats_mismatches
    );

    let total = &report.total;
    assert_eq!(
        add_rows(&report.priorities),
        counts(total),
        "rows do not add up"
    );
    assert_eq!(total.submitted, ledger.verdict.submissions);
    assert_eq!(
        sum(&total.outcomes),
        total.submitted,
        "one exit per submission"
    );
    let o = &total.outcomes;
    let left_the_queue = o.done + o.canceled + o.evicted + o.unplaceable + o.invalid_job;
    assert_eq!(
        total.admitted, left_the_queue,
        "every admitted job left the queue once"
    );
    let refused = o.refused_full + o.refused_duplicate + o.refused_closed;
    assert_eq!(total.submitted - total.admitted, refused);
    let started = o.done + o.unplaceable + o.invalid_job;
    assert_eq!(total.wait_ms.samples, started, "one wait per dequeued job");

    let placed: u64 = report.pools.iter().map(|pool| pool.jobs).sum();
    assert_eq!(placed, o.done, "every job done was placed in one pool");
    assert_eq!(report.clients.canceled, o.canceled);
    assert_eq!(
        report.clients.retries_sent + report.clients.retries_not_needed,
        report.clients.retries
    );
    assert_eq!(
        total.submitted,
        config.jobs as u64 + report.clients.retries_sent
    );
    report
}

/// The counts of a row: submitted, admitted, outcomes, dequeued.
type RowCounts = (u64, u64, OutcomeCounts, u64);

fn counts(row: &PriorityRow) -> RowCounts {
    (
        row.submitted,
        row.admitted,
        row.outcomes,
        row.wait_ms.samples,
    )
}

/// The counts of `rows`, added up.
fn add_rows(rows: &[PriorityRow]) -> RowCounts {
    rows.iter().map(counts).fold(
        (0, 0, OutcomeCounts::default(), 0),
        |(submitted, admitted, outcomes, samples), row| {
            (
                submitted + row.0,
                admitted + row.1,
                add_outcomes(outcomes, row.2),
                samples + row.3,
            )
        },
    )
}

/// All outcomes together.
fn sum(o: &OutcomeCounts) -> u64 {
    o.done
        + o.canceled
        + o.evicted
        + o.refused_full
        + o.refused_duplicate
        + o.refused_closed
        + o.unplaceable
        + o.invalid_job
}

fn add_outcomes(a: OutcomeCounts, b: OutcomeCounts) -> OutcomeCounts {
    OutcomeCounts {
        done: a.done + b.done,
        canceled: a.canceled + b.canceled,
        evicted: a.evicted + b.evicted,
        refused_full: a.refused_full + b.refused_full,
        refused_duplicate: a.refused_duplicate + b.refused_duplicate,
        refused_closed: a.refused_closed + b.refused_closed,
        unplaceable: a.unplaceable + b.unplaceable,
        invalid_job: a.invalid_job + b.invalid_job,
    }
}

#[test]
fn the_ledger_holds_and_the_totals_add_up() {
    for policy in [Policy::Reject, Policy::DropLru] {
        for capacity in [0, 1, 4, 64] {
            for seed in [1, 2] {
                check(&small(policy, capacity, seed));
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_report() {
    for policy in [Policy::Reject, Policy::DropLru] {
        let config = small(policy, 4, 7);
        let first = run(&config);
        assert_eq!(first, run(&config), "two runs of one seed differ");
        assert_eq!(first.to_string(), run(&config).to_string());
        let other_seed = run(&Config { seed: 8, ..config });
        assert_ne!(first.total, other_seed.total, "the seed changes nothing");
    }
}

#[test]
fn pacing_does_not_change_the_counts() {
    let config = Config {
        jobs: 30,
        window_ms: 2_000, // 0.2 s of wall clock when paced
        ..small(Policy::DropLru, 4, 11)
    };
    let paced = Config {
        mode: Mode::Deterministic { paced: true },
        ..config.clone()
    };
    assert_eq!(run(&config), run(&paced));
}

#[test]
fn a_small_drop_lru_queue_evicts_and_refuses_no_one_for_space() {
    let report = check(&small(Policy::DropLru, 4, 3));
    assert!(report.total.outcomes.evicted > 0, "no eviction:\n{report}");
    assert_eq!(report.total.outcomes.refused_full, 0);
}

#[test]
fn a_small_reject_queue_refuses_and_evicts_no_one() {
    let report = check(&small(Policy::Reject, 4, 3));
    assert!(
        report.total.outcomes.refused_full > 0,
        "no refusal:\n{report}"
    );
    assert_eq!(report.total.outcomes.evicted, 0);
}

#[test]
fn a_zero_capacity_queue_refuses_every_job() {
    let report = check(&small(Policy::DropLru, 0, 5));
    let o = report.total.outcomes;
    assert_eq!(report.total.admitted, 0);
    assert_eq!(o.refused_full, report.total.submitted);
}

#[test]
fn resends_of_a_queued_job_are_refused_as_duplicates() {
    let config = Config {
        retry_rate: 1.0,
        ..small(Policy::Reject, 64, 9)
    };
    let clients = check(&config).clients;
    assert_eq!(clients.retries, config.jobs as u64);
    assert!(clients.retries_sent > 0);
    assert_eq!(clients.retries_refused_duplicate, clients.retries_sent);
}

#[test]
fn cancels_remove_queued_jobs() {
    let config = Config {
        cancel_rate: 1.0,
        ..small(Policy::Reject, 64, 13)
    };
    let report = check(&config);
    assert_eq!(report.clients.cancels, config.jobs as u64);
    assert!(report.total.outcomes.canceled > 0, "no cancel:\n{report}");
}

#[test]
fn the_progress_counters_end_at_the_reports_totals() {
    let config = small(Policy::DropLru, 4, 17);
    let progress = Progress::default();
    let report = sim::run(&config, &progress);
    let counts = progress.counts();
    let o = report.total.outcomes;
    assert_eq!(counts.settled, counts.planned, "a submission never settled");
    assert_eq!(
        (
            counts.admitted,
            counts.done,
            counts.canceled,
            counts.evicted
        ),
        (report.total.admitted, o.done, o.canceled, o.evicted)
    );
    let refused = o.refused_full + o.refused_duplicate + o.refused_closed;
    assert_eq!(counts.refused, refused);
}

#[test]
fn under_load_every_pool_takes_jobs() {
    // The demo's defaults: more work than the 12 slots can do in time.
    let config = Config {
        jobs: 300,
        workers: 12,
        window_ms: 80_000,
        ..small(Policy::Reject, 32, 19)
    };
    let report = check(&config);
    for pool in &report.pools {
        assert!(pool.jobs > 0, "pool {} took no job:\n{report}", pool.id);
    }
}

#[test]
fn the_free_run_keeps_the_ledger() {
    // Threads race for real here, so only the ledger and the totals are checked.
    for policy in [Policy::Reject, Policy::DropLru] {
        let config = Config {
            jobs: 60,
            window_ms: 3_000, // 0.3 s of wall clock
            mode: Mode::FreeRun,
            ..small(policy, 4, 21)
        };
        let report = check(&config);
        assert_eq!(report.mode, "free-run");
    }
}
