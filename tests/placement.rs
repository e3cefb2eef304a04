//! Placement rules one at a time: feasibility [P1], score and missing figures [P2],
//! each tie-breaker level in isolation [P3], bad input [P5], trace and `kv_warm` [P6].
#![cfg(not(loom))]

use orchestrator_core::placement::{
    place, Candidate, ComputeCapability, DecidedBy, DeviceMask, Infeasible, InvalidField,
    InvalidJobField, JobRequirements, JobSpec, MissingFigure, PlacementDecision, PoolSnapshot,
    PredictedEnd, Verdict,
};
use orchestrator_core::queue::Priority;

const GIB: u64 = 1 << 30;

/// A ready pool that fits `job()`: 100 ms admission + 200 ms first token
/// + 100 tokens / 50 tok/s = 2300 ms.
fn pool(id: &str) -> PoolSnapshot {
    PoolSnapshot {
        id: id.into(),
        engine: "vllm".into(),
        engine_version: "0.6.3".into(),
        ready: true,
        device_mask: DeviceMask(0b0011),
        loaded_models: vec!["llama".into(), "mistral".into()],
        slots_total: 4,
        slots_free: 2,
        vram_total_bytes: 80 * GIB,
        vram_free_bytes: 40 * GIB,
        compute_capability: ComputeCapability::new(8, 6),
        quantizations: vec!["fp16".into(), "awq".into()],
        extensions: vec!["lora".into()],
        perf_tokens_per_s: Some(50.0),
        first_token_ms: Some(200.0),
        admission_latency_ms: Some(100.0),
        warm_kv_sessions: vec![],
    }
}

fn job() -> JobSpec {
    JobSpec {
        priority: Priority::Interactive,
        engine: "vllm".into(),
        model_id: "llama".into(),
        expected_output_tokens: Some(100),
        required_context_tokens: 4096,
        est_kv_bytes: GIB,
        session_id: None,
        requirements: JobRequirements::default(),
        device_mask: None,
    }
}

/// Sets the throughput and moves the admission latency so that `pool()`'s score stays
/// 2300 ms for `job()`: only the perf tie-breaker sees the change.
fn with_perf_same_score(mut p: PoolSnapshot, perf: f64) -> PoolSnapshot {
    p.perf_tokens_per_s = Some(perf);
    p.admission_latency_ms = Some(2300.0 - 200.0 - 100.0 / perf * 1000.0);
    p
}

/// The reason a single pool is rejected for `job`.
fn reason(job: &JobSpec, p: PoolSnapshot) -> Infeasible {
    match place(job, &[p]) {
        PlacementDecision::NoCapacity { trace } => match trace.get(0).map(|e| e.verdict) {
            Some(Verdict::Infeasible(reason)) => reason.clone(),
            other => panic!("expected an infeasible verdict, got {other:?}"),
        },
        other => panic!("expected NoCapacity, got {other:?}"),
    }
}

fn assigned(job: &JobSpec, pools: &[PoolSnapshot]) -> orchestrator_core::placement::Assignment {
    match place(job, pools) {
        PlacementDecision::Assigned(assignment) => assignment,
        other => panic!("expected an assignment, got {other:?}"),
    }
}

fn invalid(field: InvalidField) -> Infeasible {
    Infeasible::InvalidSnapshot { field }
}

// ---------------------------------------------------------------------------------
// [P1] feasibility, one rule at a time

#[test]
fn baseline_pool_fits_with_the_formula_score() {
    let a = assigned(&job(), &[pool("a")]);
    assert_eq!(a.pool_id, "a");
    assert_eq!(a.predicted_end, PredictedEnd::Known(2300));
    assert_eq!(a.decided_by, DecidedBy::OnlyCandidate);
    assert!(!a.kv_warm);
}

#[test]
fn not_ready_pool_is_rejected() {
    let mut p = pool("a");
    p.ready = false;
    assert_eq!(reason(&job(), p), Infeasible::NotReady);
}

#[test]
fn pool_devices_must_lie_within_the_job_mask() {
    let mut j = job();
    j.device_mask = Some(DeviceMask(0b0110)); // shares device 1 with the pool, not device 0
    assert_eq!(
        reason(&j, pool("a")),
        Infeasible::DeviceMaskViolated {
            pool: DeviceMask(0b0011),
            allowed: DeviceMask(0b0110),
        }
    );
    j.device_mask = Some(DeviceMask(0b0111));
    assert_eq!(assigned(&j, &[pool("a")]).pool_id, "a");
    j.device_mask = None;
    assert_eq!(assigned(&j, &[pool("a")]).pool_id, "a");
}

#[test]
fn engine_must_match_exactly() {
    let mut p = pool("a");
    p.engine = "tgi".into();
    assert_eq!(reason(&job(), p.clone()), Infeasible::EngineMismatch);
    p.engine = "VLLM".into();
    assert_eq!(reason(&job(), p), Infeasible::EngineMismatch);
}

#[test]
fn model_must_be_loaded() {
    let mut p = pool("a");
    p.loaded_models = vec!["mistral".into(), "llama-70b".into()];
    assert_eq!(reason(&job(), p), Infeasible::ModelNotLoaded);
}

#[test]
fn a_free_slot_is_needed() {
    let mut p = pool("a");
    p.slots_free = 0;
    assert_eq!(reason(&job(), p), Infeasible::NoFreeSlot);
}

#[test]
fn vram_headroom_is_free_minus_kv_and_must_cover_min_vram() {
    let mut j = job();
    let mut p = pool("a");
    p.vram_free_bytes = 10 * GIB;

    j.est_kv_bytes = 10 * GIB; // headroom exactly 0: fits
    assert_eq!(assigned(&j, &[p.clone()]).pool_id, "a");
    j.est_kv_bytes = 10 * GIB + 1;
    assert_eq!(
        reason(&j, p.clone()),
        Infeasible::InsufficientVram {
            free_bytes: 10 * GIB,
            needed_bytes: 10 * GIB + 1,
        }
    );

    j.est_kv_bytes = 4 * GIB;
    j.requirements.min_vram_bytes = 6 * GIB; // headroom 6 GiB >= 6 GiB: fits
    assert_eq!(assigned(&j, &[p.clone()]).pool_id, "a");
    j.requirements.min_vram_bytes = 6 * GIB + 1;
    assert_eq!(
        reason(&j, p),
        Infeasible::InsufficientVram {
            free_bytes: 10 * GIB,
            needed_bytes: 10 * GIB + 1,
        }
    );
}

#[test]
fn compute_capability_compares_numerically() {
    let mut j = job();
    let mut p = pool("a"); // 8.6
    j.requirements.min_compute_capability = Some("8.10".parse().unwrap());
    assert_eq!(
        reason(&j, p.clone()),
        Infeasible::ComputeCapabilityTooLow {
            pool: ComputeCapability::new(8, 6),
            required: ComputeCapability::new(8, 10),
        }
    );
    p.compute_capability = "8.10".parse().unwrap(); // equal: fits
    assert_eq!(assigned(&j, &[p.clone()]).pool_id, "a");
    p.compute_capability = "9.0".parse().unwrap();
    assert_eq!(assigned(&j, &[p.clone()]).pool_id, "a");
    j.requirements.min_compute_capability = Some(ComputeCapability::new(8, 6));
    p.compute_capability = ComputeCapability::new(8, 10); // "8.10" > "8.6"
    assert_eq!(assigned(&j, &[p]).pool_id, "a");
}

#[test]
fn quantization_must_be_listed() {
    let mut j = job();
    j.requirements.quantization = Some("int4".into());
    assert_eq!(reason(&j, pool("a")), Infeasible::QuantizationUnsupported);
    j.requirements.quantization = Some("awq".into());
    assert_eq!(assigned(&j, &[pool("a")]).pool_id, "a");
}

#[test]
fn every_required_extension_must_be_listed_and_the_first_missing_is_named() {
    let mut j = job();
    j.requirements.required_extensions = vec!["lora".into(), "speculative".into()];
    assert_eq!(
        reason(&j, pool("a")),
        Infeasible::MissingExtension {
            extension: "speculative".into()
        }
    );
    j.requirements.required_extensions = vec!["x".into(), "y".into()];
    assert_eq!(
        reason(&j, pool("a")),
        Infeasible::MissingExtension {
            extension: "x".into()
        }
    );
    j.requirements.required_extensions = vec!["lora".into()];
    assert_eq!(assigned(&j, &[pool("a")]).pool_id, "a");
}

#[test]
fn the_first_failing_rule_is_reported() {
    let mut p = pool("a");
    p.ready = false;
    p.engine = "tgi".into();
    p.slots_free = 0;
    assert_eq!(reason(&job(), p.clone()), Infeasible::NotReady);
    p.ready = true;
    assert_eq!(reason(&job(), p.clone()), Infeasible::EngineMismatch);
    p.slots_free = 9; // also invalid now: validation comes before every rule
    assert_eq!(
        reason(&job(), p),
        invalid(InvalidField::SlotsFreeAboveTotal)
    );
}

// ---------------------------------------------------------------------------------
// [P3] each level decides alone: the pools are equal at every earlier level, and the
// loser is better at every later level, so only this level can make the winner win.

/// Places `[loser, winner]` and `[winner, loser]`, checks the winner and the levels.
fn assert_decided_by(job: &JobSpec, winner: PoolSnapshot, loser: PoolSnapshot, level: DecidedBy) {
    for pools in [
        [loser.clone(), winner.clone()],
        [winner.clone(), loser.clone()],
    ] {
        let a = assigned(job, &pools);
        assert_eq!(a.pool_id, winner.id, "winner at level {level:?}");
        assert_eq!(a.decided_by, level);
        let loser_entry = a.trace.find(&loser.id).unwrap();
        assert!(
            matches!(loser_entry.verdict, Verdict::Outranked { lost_on, .. } if *lost_on == level),
            "{loser_entry}"
        );
    }
}

#[test]
fn smaller_predicted_end_beats_every_tie_breaker() {
    let mut j = job();
    j.session_id = Some("s1".into());
    let winner = pool("z"); // 2300 ms
    let mut loser = pool("a");
    loser.perf_tokens_per_s = Some(100.0); // 1000 ms of tokens ...
    loser.first_token_ms = Some(0.0);
    loser.admission_latency_ms = Some(1301.0); // ... for 2301 ms in all
    loser.warm_kv_sessions = vec!["s1".into()];
    loser.slots_free = 4;
    loser.vram_free_bytes = 80 * GIB;
    assert_decided_by(&j, winner, loser, DecidedBy::PredictedEnd);
}

#[test]
fn warm_kv_breaks_a_score_tie_before_slots_vram_perf_and_id() {
    let mut j = job();
    j.session_id = Some("s1".into());
    let mut winner = pool("z");
    winner.warm_kv_sessions = vec!["s0".into(), "s1".into()];
    let mut loser = with_perf_same_score(pool("a"), 100.0);
    loser.warm_kv_sessions = vec!["s0".into()];
    loser.slots_free = 4;
    loser.vram_free_bytes = 80 * GIB;
    assert_decided_by(&j, winner, loser, DecidedBy::KvWarm);
}

#[test]
fn more_free_slots_break_a_tie_before_vram_perf_and_id() {
    let mut winner = pool("z");
    winner.slots_free = 3;
    let mut loser = with_perf_same_score(pool("a"), 100.0);
    loser.slots_free = 2;
    loser.vram_free_bytes = 80 * GIB;
    assert_decided_by(&job(), winner, loser, DecidedBy::SlotsFree);
}

#[test]
fn more_residual_vram_breaks_a_tie_before_perf_and_id() {
    let mut winner = pool("z");
    winner.vram_free_bytes = 40 * GIB + 1;
    let loser = with_perf_same_score(pool("a"), 100.0);
    assert_decided_by(&job(), winner, loser, DecidedBy::ResidualVram);
}

#[test]
fn higher_perf_breaks_a_tie_before_id() {
    let winner = with_perf_same_score(pool("z"), 100.0);
    let loser = pool("a");
    assert_eq!(
        assigned(&job(), std::slice::from_ref(&winner)).predicted_end,
        PredictedEnd::Known(2300)
    );
    assert_decided_by(&job(), winner, loser, DecidedBy::PerfTokensPerS);
}

#[test]
fn unknown_perf_ranks_below_any_known_perf() {
    let mut j = job();
    j.expected_output_tokens = None; // perf is then not needed for the score
    let mut winner = pool("z");
    winner.perf_tokens_per_s = Some(0.5);
    let mut loser = pool("a");
    loser.perf_tokens_per_s = None;
    assert_decided_by(&j, winner, loser, DecidedBy::PerfTokensPerS);
}

#[test]
fn smallest_id_breaks_a_full_tie_in_byte_order() {
    assert_decided_by(&job(), pool("a"), pool("b"), DecidedBy::PoolId);
    // Lexicographic, not numeric; upper case sorts before lower case.
    assert_decided_by(&job(), pool("pool-10"), pool("pool-9"), DecidedBy::PoolId);
    assert_decided_by(&job(), pool("Z"), pool("a"), DecidedBy::PoolId);
}

#[test]
fn decided_by_is_the_level_against_the_runner_up() {
    let mut j = job();
    j.session_id = Some("s1".into());
    let mut warm = pool("c");
    warm.warm_kv_sessions = vec!["s1".into()];
    let mut slow = pool("a");
    slow.admission_latency_ms = Some(5000.0);
    let mut fewer_slots = pool("b");
    fewer_slots.slots_free = 1;
    let a = assigned(&j, &[slow, warm.clone(), fewer_slots]);
    assert_eq!(a.pool_id, "c");
    assert!(a.kv_warm);
    // "b" is the runner-up (same score, not warm), so kv_warm decided; "a" lost earlier.
    assert_eq!(a.decided_by, DecidedBy::KvWarm);
    let lost_on = |id: &str| match a.trace.find(id).unwrap().verdict {
        Verdict::Outranked { lost_on, .. } => *lost_on,
        other => panic!("{other:?}"),
    };
    assert_eq!(lost_on("a"), DecidedBy::PredictedEnd);
    assert_eq!(lost_on("b"), DecidedBy::KvWarm);
}

// ---------------------------------------------------------------------------------
// [P2] whole milliseconds and missing figures

#[test]
fn scores_round_up_to_whole_milliseconds_so_close_pools_tie() {
    let mut early = pool("a");
    early.admission_latency_ms = Some(100.4); // 2300.4 ms -> 2301
    let mut later = pool("b");
    later.admission_latency_ms = Some(101.0); // 2301 ms
    later.slots_free = 3;
    let a = assigned(&job(), &[early, later]);
    assert_eq!(a.predicted_end, PredictedEnd::Known(2301));
    assert_eq!(a.pool_id, "b", "the tie must go to the tie-breakers");
    assert_eq!(a.decided_by, DecidedBy::SlotsFree);
}

#[test]
fn floating_point_noise_does_not_cost_a_millisecond() {
    // 21 / 0.7 * 1000 evaluates to 30000.000000000004 in f64; a plain ceil gives 30001.
    let (tokens, perf) = (
        std::hint::black_box(21.0_f64),
        std::hint::black_box(0.7_f64),
    );
    assert!(tokens / perf * 1000.0 > 30_000.0);
    let mut j = job();
    j.expected_output_tokens = Some(21);
    let mut p = pool("a");
    p.perf_tokens_per_s = Some(0.7);
    p.admission_latency_ms = Some(0.0);
    p.first_token_ms = Some(0.0);
    assert_eq!(
        assigned(&j, &[p]).predicted_end,
        PredictedEnd::Known(30_000)
    );
}

#[test]
fn a_missing_pool_figure_makes_the_score_unknown() {
    type Remover = fn(&mut PoolSnapshot);
    let cases: [(Remover, MissingFigure); 3] = [
        (
            |p| p.admission_latency_ms = None,
            MissingFigure::AdmissionLatencyMs,
        ),
        (|p| p.first_token_ms = None, MissingFigure::FirstTokenMs),
        (
            |p| p.perf_tokens_per_s = None,
            MissingFigure::PerfTokensPerS,
        ),
    ];
    for (remove, missing) in cases {
        let mut p = pool("a");
        remove(&mut p);
        let a = assigned(&job(), &[p]);
        assert_eq!(a.predicted_end, PredictedEnd::Unknown { missing });
        assert_eq!(a.predicted_end.as_ms(), None);
    }
}

#[test]
fn unknown_scores_rank_after_every_known_score() {
    let mut unmeasured = pool("a");
    unmeasured.perf_tokens_per_s = None;
    unmeasured.slots_free = 4;
    let mut very_slow = pool("b");
    very_slow.admission_latency_ms = Some(1e12);
    let a = assigned(&job(), &[unmeasured, very_slow]);
    assert_eq!(a.pool_id, "b");
    assert_eq!(a.decided_by, DecidedBy::PredictedEnd);
}

#[test]
fn unknown_scores_tie_and_go_to_the_tie_breakers() {
    let mut no_perf = pool("a");
    no_perf.perf_tokens_per_s = None;
    let mut no_first_token = pool("b");
    no_first_token.first_token_ms = None;
    no_first_token.slots_free = 3;
    let a = assigned(&job(), &[no_perf, no_first_token]);
    assert_eq!(a.pool_id, "b");
    assert_eq!(a.decided_by, DecidedBy::SlotsFree);
}

#[test]
fn without_expected_tokens_the_token_term_drops_out_for_every_pool() {
    let mut j = job();
    j.expected_output_tokens = None;
    let mut no_perf = pool("a");
    no_perf.perf_tokens_per_s = None;
    let a = assigned(&j, &[no_perf.clone()]);
    assert_eq!(a.predicted_end, PredictedEnd::Known(300));

    j.expected_output_tokens = Some(0);
    assert_eq!(
        assigned(&j, &[no_perf]).predicted_end,
        PredictedEnd::Known(300)
    );
}

#[test]
fn a_huge_score_saturates_instead_of_overflowing() {
    let mut p = pool("a");
    p.perf_tokens_per_s = Some(f64::MIN_POSITIVE); // 100 / tiny * 1000 = inf
    p.admission_latency_ms = Some(f64::MAX);
    let a = assigned(&job(), &[p]);
    assert_eq!(a.predicted_end, PredictedEnd::Known(u64::MAX));
}

// ---------------------------------------------------------------------------------
// [P5] bad input

#[test]
fn malformed_snapshots_are_invalid_with_the_field_named() {
    type Breaker = fn(&mut PoolSnapshot);
    let cases: Vec<(Breaker, InvalidField)> = vec![
        (|p| p.id.clear(), InvalidField::EmptyId),
        (|p| p.engine.clear(), InvalidField::EmptyEngine),
        (
            |p| p.slots_free = p.slots_total + 1,
            InvalidField::SlotsFreeAboveTotal,
        ),
        (
            |p| p.vram_free_bytes = p.vram_total_bytes + 1,
            InvalidField::VramFreeAboveTotal,
        ),
        (
            |p| p.perf_tokens_per_s = Some(f64::NAN),
            InvalidField::PerfTokensPerS,
        ),
        (
            |p| p.perf_tokens_per_s = Some(f64::INFINITY),
            InvalidField::PerfTokensPerS,
        ),
        (
            |p| p.perf_tokens_per_s = Some(-5.0),
            InvalidField::PerfTokensPerS,
        ),
        (
            |p| p.perf_tokens_per_s = Some(0.0),
            InvalidField::PerfTokensPerS,
        ),
        (
            |p| p.first_token_ms = Some(f64::NAN),
            InvalidField::FirstTokenMs,
        ),
        (
            |p| p.first_token_ms = Some(f64::NEG_INFINITY),
            InvalidField::FirstTokenMs,
        ),
        (
            |p| p.first_token_ms = Some(-0.1),
            InvalidField::FirstTokenMs,
        ),
        (
            |p| p.admission_latency_ms = Some(f64::NAN),
            InvalidField::AdmissionLatencyMs,
        ),
        (
            |p| p.admission_latency_ms = Some(f64::INFINITY),
            InvalidField::AdmissionLatencyMs,
        ),
        (
            |p| p.admission_latency_ms = Some(-1.0),
            InvalidField::AdmissionLatencyMs,
        ),
    ];
    for (brk, field) in cases {
        let mut p = pool("a");
        brk(&mut p);
        assert_eq!(reason(&job(), p), invalid(field), "{field:?}");
    }
}

#[test]
fn zero_and_negative_zero_timings_are_valid() {
    let mut p = pool("a");
    p.first_token_ms = Some(-0.0);
    p.admission_latency_ms = Some(0.0);
    assert_eq!(
        assigned(&job(), &[p]).predicted_end,
        PredictedEnd::Known(2000)
    );
}

#[test]
fn every_pool_sharing_an_id_is_invalid() {
    let mut better_twin = pool("a");
    better_twin.admission_latency_ms = Some(0.0);
    let mut other = pool("b");
    other.admission_latency_ms = Some(900.0);
    let pools = [better_twin, pool("a"), other, pool("a")];
    let a = assigned(&job(), &pools);
    assert_eq!(a.pool_id, "b");
    let twins: Vec<_> = a.trace.entries().filter(|e| e.pool_id == "a").collect();
    assert_eq!(twins.len(), 3);
    for twin in twins {
        assert_eq!(
            *twin.verdict,
            Verdict::Infeasible(invalid(InvalidField::DuplicateId))
        );
    }
}

#[test]
fn malformed_jobs_are_reported_without_looking_at_pools() {
    type Breaker = fn(&mut JobSpec);
    let cases: Vec<(Breaker, InvalidJobField)> = vec![
        (|j| j.engine.clear(), InvalidJobField::EmptyEngine),
        (|j| j.model_id.clear(), InvalidJobField::EmptyModelId),
        (
            |j| j.session_id = Some(String::new()),
            InvalidJobField::EmptySessionId,
        ),
        (
            |j| j.requirements.quantization = Some(String::new()),
            InvalidJobField::EmptyQuantization,
        ),
        (
            |j| j.requirements.required_extensions = vec!["lora".into(), String::new()],
            InvalidJobField::EmptyExtension,
        ),
        (
            |j| {
                j.est_kv_bytes = u64::MAX;
                j.requirements.min_vram_bytes = 1;
            },
            InvalidJobField::VramNeedOverflow,
        ),
    ];
    for (brk, field) in cases {
        let mut j = job();
        brk(&mut j);
        assert_eq!(
            place(&j, &[pool("a")]),
            PlacementDecision::InvalidJob { field }
        );
        assert_eq!(place(&j, &[]), PlacementDecision::InvalidJob { field });
    }
}

#[test]
fn no_pools_means_no_capacity_with_an_empty_trace() {
    match place(&job(), &[]) {
        PlacementDecision::NoCapacity { trace } => assert!(trace.is_empty()),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------
// [P6] trace and kv_warm

#[test]
fn no_capacity_carries_every_pools_reason_in_input_order() {
    let mut busy = pool("busy");
    busy.slots_free = 0;
    let mut other_model = pool("other-model");
    other_model.loaded_models = vec!["mistral".into()];
    let mut broken = pool("broken");
    broken.first_token_ms = Some(f64::NAN);
    let decision = place(&job(), &[busy, other_model, broken]);
    let trace = match &decision {
        PlacementDecision::NoCapacity { trace } => trace,
        other => panic!("{other:?}"),
    };
    let got: Vec<(&str, &Verdict)> = trace.entries().map(|e| (e.pool_id, e.verdict)).collect();
    assert_eq!(
        got,
        [
            ("busy", &Verdict::Infeasible(Infeasible::NoFreeSlot)),
            (
                "other-model",
                &Verdict::Infeasible(Infeasible::ModelNotLoaded)
            ),
            (
                "broken",
                &Verdict::Infeasible(invalid(InvalidField::FirstTokenMs))
            ),
        ]
    );
    assert_eq!(decision.pool_id(), None);
    assert_eq!(
        trace.to_string(),
        "pool \"busy\": infeasible: no free slot\n\
         pool \"other-model\": infeasible: model not loaded\n\
         pool \"broken\": infeasible: invalid snapshot: first_token_ms is not a finite \
         non-negative number"
    );
}

#[test]
fn trace_renders_one_line_per_pool_with_figures_and_deciding_level() {
    let mut j = job();
    j.session_id = Some("s1".into());
    let mut warm = pool("b");
    warm.warm_kv_sessions = vec!["s1".into()];
    let mut wrong_engine = pool("c\nd"); // a newline in an id must not split the line
    wrong_engine.engine = "tgi".into();
    let a = assigned(&j, &[pool("a"), warm, wrong_engine]);
    let text = a.trace.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let residual = 39 * GIB;
    assert_eq!(
        lines,
        [
            format!(
                "pool \"a\": outranked, predicted_end=2300ms kv_warm=false slots_free=2 \
                 residual_vram={residual}B perf=50tok/s; lost on kv_warm"
            ),
            format!(
                "pool \"b\": chosen, predicted_end=2300ms kv_warm=true slots_free=2 \
                 residual_vram={residual}B perf=50tok/s; decided by kv_warm"
            ),
            "pool \"c\\nd\": infeasible: engine differs from the job's".to_string(),
        ]
    );
}

#[test]
fn chosen_entry_matches_the_assignment() {
    let mut j = job();
    j.session_id = Some("s1".into());
    let mut warm = pool("b");
    warm.warm_kv_sessions = vec!["s1".into()];
    let a = assigned(&j, &[pool("a"), warm]);
    let entry = a.trace.get(1).unwrap();
    assert_eq!(entry.pool_id, "b");
    assert_eq!(
        *entry.verdict,
        Verdict::Chosen {
            candidate: Candidate {
                predicted_end: PredictedEnd::Known(2300),
                kv_warm: true,
                slots_free: 2,
                residual_vram_bytes: 39 * GIB,
                perf_tokens_per_s: Some(50.0),
            },
            decided_by: DecidedBy::KvWarm,
        }
    );
    assert!(a.trace.get(2).is_none());
    assert_eq!(a.trace.len(), 2);
}

#[test]
fn kv_warm_needs_a_session_on_the_job() {
    let mut p = pool("a");
    p.warm_kv_sessions = vec!["s1".into()];
    assert!(!assigned(&job(), &[p.clone()]).kv_warm);
    let mut j = job();
    j.session_id = Some("s2".into());
    assert!(!assigned(&j, &[p.clone()]).kv_warm);
    j.session_id = Some("s1".into());
    assert!(assigned(&j, &[p]).kv_warm);
}

// ---------------------------------------------------------------------------------
// ComputeCapability parsing

#[test]
fn compute_capability_parses_major_dot_minor_only() {
    let cc: ComputeCapability = "12.10".parse().unwrap();
    assert_eq!(cc, ComputeCapability::new(12, 10));
    assert_eq!(cc.to_string(), "12.10");
    for bad in [
        "",
        "8",
        "8.",
        ".6",
        "8.6.1",
        "+8.6",
        "8.-6",
        " 8.6",
        "8.6 ",
        "a.b",
        "99999999999.0",
    ] {
        assert!(bad.parse::<ComputeCapability>().is_err(), "{bad:?}");
    }
    assert!(ComputeCapability::new(8, 9) < ComputeCapability::new(8, 10));
    assert!(ComputeCapability::new(8, 10) < ComputeCapability::new(9, 0));
}

// ---------------------------------------------------------------------------------
// serde: pool-manager JSON deserializes directly; everything round-trips

#[cfg(feature = "serde")]
mod serde_json_round_trip {
    use super::*;

    #[test]
    fn pool_manager_json_deserializes_with_defaults() {
        let json = r#"{
            "id": "gpu-7",
            "engine": "vllm",
            "ready": true,
            "slots_total": 8,
            "slots_free": 3,
            "vram_total_bytes": 85899345920,
            "vram_free_bytes": 42949672960,
            "compute_capability": "8.10",
            "loaded_models": ["llama"],
            "perf_tokens_per_s": 42.5,
            "first_token_ms": null,
            "some_future_field": {"ignored": true}
        }"#;
        let p: PoolSnapshot = serde_json::from_str(json).unwrap();
        assert_eq!(
            p,
            PoolSnapshot {
                id: "gpu-7".into(),
                engine: "vllm".into(),
                ready: true,
                slots_total: 8,
                slots_free: 3,
                vram_total_bytes: 80 * GIB,
                vram_free_bytes: 40 * GIB,
                compute_capability: ComputeCapability::new(8, 10),
                loaded_models: vec!["llama".into()],
                perf_tokens_per_s: Some(42.5),
                ..PoolSnapshot::default()
            }
        );
    }

    #[test]
    fn compute_capability_and_device_mask_have_plain_json_forms() {
        let cc = ComputeCapability::new(8, 10);
        assert_eq!(serde_json::to_string(&cc).unwrap(), "\"8.10\"");
        assert_eq!(
            serde_json::from_str::<ComputeCapability>("\"9.0\"").unwrap(),
            ComputeCapability::new(9, 0)
        );
        assert!(serde_json::from_str::<ComputeCapability>("8.6").is_err());
        assert!(serde_json::from_str::<ComputeCapability>("\"8\"").is_err());
        assert_eq!(serde_json::to_string(&DeviceMask(5)).unwrap(), "5");
        assert!(serde_json::from_str::<PoolSnapshot>(r#"{"id":"a","engine":"e","ready":true,"slots_total":1,"slots_free":-1,"vram_total_bytes":0,"vram_free_bytes":0,"compute_capability":"8.0"}"#).is_err());
    }

    fn round_trip<T>(value: &T) -> T
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }

    #[test]
    fn inputs_and_decisions_round_trip() {
        let mut j = job();
        j.session_id = Some("s1".into());
        j.device_mask = Some(DeviceMask(0b11));
        j.requirements = JobRequirements {
            min_vram_bytes: GIB,
            quantization: Some("awq".into()),
            min_compute_capability: Some(ComputeCapability::new(8, 0)),
            required_extensions: vec!["lora".into()],
        };
        assert_eq!(round_trip(&j), j);

        let mut warm = pool("b");
        warm.warm_kv_sessions = vec!["s1".into()];
        let mut no_perf = pool("c");
        no_perf.perf_tokens_per_s = None;
        let mut missing_ext = pool("d");
        missing_ext.extensions.clear();
        let pools = vec![pool("a"), warm, no_perf, missing_ext];
        assert_eq!(round_trip(&pools), pools);

        let decision = place(&j, &pools);
        assert_eq!(decision.pool_id(), Some("b"));
        assert_eq!(round_trip(&decision), decision);

        let no_capacity = place(&j, &pools[3..]);
        assert!(matches!(no_capacity, PlacementDecision::NoCapacity { .. }));
        assert_eq!(round_trip(&no_capacity), no_capacity);
        let invalid_job = PlacementDecision::InvalidJob {
            field: InvalidJobField::EmptyModelId,
        };
        assert_eq!(round_trip(&invalid_job), invalid_job);
    }
}
