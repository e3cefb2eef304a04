//! Properties of `place` over generated pools, checked against an independent reference
//! written from the rules in the placement docs ([P1]–[P5]):
//! - the decision does not depend on the order of the pools [P4];
//! - every pool's verdict is "feasible" exactly when the reference says so, so an
//!   assigned pool is always feasible and `NoCapacity` happens exactly when none is [P1];
//! - the chosen pool is the reference's best by score then tie-breakers [P2], [P3];
//! - no input panics, NaN, infinities and negative figures included [P5];
//! - a prepared `Fleet` decides exactly as `place` does, trace included.
#![cfg(not(loom))]

use std::cmp::Ordering;

use orchestrator_core::placement::{
    place, ComputeCapability, DeviceMask, Fleet, JobRequirements, JobSpec, PlacementDecision,
    PoolSnapshot, PredictedEnd, Verdict,
};
use orchestrator_core::queue::Priority;
use proptest::prelude::*;
use proptest::sample::{subsequence, Index};

const CASES: u32 = 512;

// ---------------------------------------------------------------------------------
// Generators: mostly well-formed, feasible-looking pools from small domains, so that
// ties, duplicates and every rule (and every kind of bad figure) all occur often.

/// A timing figure: mostly 0, 100 or 200 ms (ties), sometimes absent, sometimes NaN,
/// infinite, negative or any bit pattern.
fn timing() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        3 => Just(None),
        40 => (0u32..3).prop_map(|k| Some(f64::from(k) * 100.0)),
        1 => Just(Some(f64::NAN)),
        1 => Just(Some(f64::INFINITY)),
        1 => Just(Some(f64::NEG_INFINITY)),
        1 => Just(Some(-50.0)),
        1 => any::<f64>().prop_map(Some),
    ]
}

/// A throughput: mostly 25, 50 or 100 tok/s, sometimes absent, zero or bad.
fn throughput() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        3 => Just(None),
        40 => prop_oneof![Just(25.0), Just(50.0), Just(100.0)].prop_map(Some),
        1 => Just(Some(0.0)),
        1 => Just(Some(f64::NAN)),
        1 => Just(Some(-25.0)),
        1 => any::<f64>().prop_map(Some),
    ]
}

/// Mostly all of `pool`, sometimes any part of it.
fn names(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    let all: Vec<String> = pool.iter().map(|s| s.to_string()).collect();
    prop_oneof![
        3 => Just(all),
        1 => subsequence(pool, 0..=pool.len())
            .prop_map(|v| v.into_iter().map(String::from).collect()),
    ]
}

fn capability() -> impl Strategy<Value = ComputeCapability> {
    (
        7u32..10,
        prop_oneof![Just(0u32), Just(6), Just(9), Just(10)],
    )
        .prop_map(|(major, minor)| ComputeCapability::new(major, minor))
}

/// `(total, free)`: free is at most total, except now and then.
fn capacity(total: std::ops::Range<u64>) -> impl Strategy<Value = (u64, u64)> {
    (total, 0u64..2, prop::bool::weighted(0.04)).prop_map(|(total, short, over)| {
        let free = if over {
            total + 1
        } else {
            total.saturating_sub(short)
        };
        (total, free)
    })
}

fn pool() -> impl Strategy<Value = PoolSnapshot> {
    let ids = prop_oneof![
        24 => "p[0-9][0-9]",
        4 => "p[0-3]",
        1 => Just(String::new()),
    ];
    let engine = prop_oneof![18 => Just("vllm"), 1 => Just("tgi"), 1 => Just("")];
    (
        (ids, engine, prop::bool::weighted(0.9), 0u64..4),
        (names(&["m1", "m2"]), capacity(1..5), capacity(2..9)),
        (
            capability(),
            names(&["fp16", "awq"]),
            names(&["lora", "spec"]),
        ),
        (throughput(), timing(), timing(), names(&["s1", "s2"])),
    )
        .prop_map(
            |(
                (id, engine, ready, mask),
                (models, (slots_total, slots_free), (vram_total, vram_free)),
                (cc, quantizations, extensions),
                (perf, first_token, admission, warm),
            )| PoolSnapshot {
                id,
                engine: engine.into(),
                engine_version: "1".into(),
                ready,
                device_mask: DeviceMask(mask),
                loaded_models: models,
                // Both at most 4, so the casts cannot truncate.
                slots_total: slots_total as u32,
                slots_free: slots_free as u32,
                vram_total_bytes: vram_total,
                vram_free_bytes: vram_free,
                compute_capability: cc,
                quantizations,
                extensions,
                perf_tokens_per_s: perf,
                first_token_ms: first_token,
                admission_latency_ms: admission,
                warm_kv_sessions: if warm.len() == 2 { vec![] } else { warm },
            },
        )
}

fn job() -> impl Strategy<Value = JobSpec> {
    let engine = prop_oneof![30 => Just("vllm"), 1 => Just("")];
    let tokens = prop_oneof![
        1 => Just(None),
        1 => Just(Some(0u32)),
        4 => prop_oneof![Just(50), Just(100)].prop_map(Some),
        1 => (1u32..300).prop_map(Some),
    ];
    let session = prop_oneof![Just(None), Just(Some("s1")), Just(Some("s2"))];
    let quantization =
        prop_oneof![6 => Just(None), 2 => Just(Some("awq")), 1 => Just(Some("int4"))];
    let min_capability = prop_oneof![3 => Just(None), 1 => capability().prop_map(Some)];
    let extensions = prop_oneof![
        6 => Just(vec![]),
        1 => subsequence(&["lora", "spec", "x"][..], 0..=3)
            .prop_map(|v| v.into_iter().map(String::from).collect()),
    ];
    let mask = prop_oneof![6 => Just(None), 1 => (0u64..8).prop_map(Some)];
    (
        (
            engine,
            prop_oneof![3 => Just("m1"), 1 => Just("m2")],
            tokens,
            0u64..3,
            session,
        ),
        (0u64..3, quantization, min_capability, extensions),
        mask,
    )
        .prop_map(
            |((engine, model, tokens, kv, session), (min_vram, quant, min_cc, exts), mask)| {
                JobSpec {
                    priority: Priority::Batch,
                    engine: engine.into(),
                    model_id: model.into(),
                    expected_output_tokens: tokens,
                    required_context_tokens: 2048,
                    est_kv_bytes: kv,
                    session_id: session.map(String::from),
                    requirements: JobRequirements {
                        min_vram_bytes: min_vram,
                        quantization: quant.map(String::from),
                        min_compute_capability: min_cc,
                        required_extensions: exts,
                    },
                    device_mask: mask.map(DeviceMask),
                }
            },
        )
}

/// Pools plus a few near-twins of them: a copy under another id with at most one
/// tie-breaker figure changed, so that every tie-breaker level gets to decide.
fn pools(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<PoolSnapshot>> {
    let twins = prop::collection::vec((any::<Index>(), "q[0-9]", 0u8..6), 0..4);
    (prop::collection::vec(pool(), len), twins).prop_map(|(mut pools, twins)| {
        for (of, id, tweak) in twins {
            if pools.is_empty() {
                break;
            }
            let mut twin = pools[of.index(pools.len())].clone();
            twin.id = id;
            match tweak {
                0 => {}
                1 => twin.warm_kv_sessions = vec!["s1".into()],
                2 => twin.warm_kv_sessions.clear(),
                3 => twin.slots_free = twin.slots_free.saturating_sub(1),
                4 => twin.vram_free_bytes = twin.vram_free_bytes.saturating_sub(1),
                _ => twin.perf_tokens_per_s = Some(75.0), // changes the score unless no tokens
            }
            pools.push(twin);
        }
        pools
    })
}

fn pools_and_shuffle() -> impl Strategy<Value = (Vec<PoolSnapshot>, Vec<PoolSnapshot>)> {
    pools(0..10).prop_flat_map(|pools| (Just(pools.clone()), Just(pools).prop_shuffle()))
}

// ---------------------------------------------------------------------------------
// The reference, written from the docs, not from the implementation.

fn ref_job_valid(job: &JobSpec) -> bool {
    let r = &job.requirements;
    !job.engine.is_empty()
        && !job.model_id.is_empty()
        && job.session_id.as_deref() != Some("")
        && r.quantization.as_deref() != Some("")
        && r.required_extensions.iter().all(|e| !e.is_empty())
        && job.est_kv_bytes.checked_add(r.min_vram_bytes).is_some()
}

fn ref_feasible(job: &JobSpec, pools: &[PoolSnapshot], i: usize) -> bool {
    let p = &pools[i];
    let r = &job.requirements;
    let timing_ok = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v >= 0.0);
    let has = |list: &[String], x: &str| list.iter().any(|y| y == x);
    let unique_id = pools.iter().filter(|q| q.id == p.id).count() == 1;
    !p.id.is_empty()
        && unique_id
        && !p.engine.is_empty()
        && p.slots_free <= p.slots_total
        && p.vram_free_bytes <= p.vram_total_bytes
        && p.perf_tokens_per_s.is_none_or(|v| v.is_finite() && v > 0.0)
        && timing_ok(p.first_token_ms)
        && timing_ok(p.admission_latency_ms)
        && p.ready
        && job.device_mask.is_none_or(|m| p.device_mask.0 & !m.0 == 0)
        && p.engine == job.engine
        && has(&p.loaded_models, &job.model_id)
        && p.slots_free > 0
        && u128::from(p.vram_free_bytes)
            >= u128::from(job.est_kv_bytes) + u128::from(r.min_vram_bytes)
        && r.min_compute_capability.is_none_or(|min| {
            (p.compute_capability.major, p.compute_capability.minor) >= (min.major, min.minor)
        })
        && r.quantization
            .as_deref()
            .is_none_or(|q| has(&p.quantizations, q))
        && r.required_extensions.iter().all(|e| has(&p.extensions, e))
}

/// Predicted end in whole ms, `None` when unknown; the docs' rounding: up, except that
/// less than one part in 10^12 above a whole number rounds down to it.
fn ref_score(job: &JobSpec, p: &PoolSnapshot) -> Option<u64> {
    let tokens = match job.expected_output_tokens {
        None | Some(0) => 0.0,
        Some(t) => f64::from(t) / p.perf_tokens_per_s? * 1000.0,
    };
    let total = p.admission_latency_ms? + p.first_token_ms? + tokens;
    if total >= u64::MAX as f64 {
        return Some(u64::MAX);
    }
    let fraction = total - total.trunc();
    let whole = if fraction <= total * 1e-12 {
        total.trunc()
    } else {
        total.trunc() + 1.0
    };
    Some(whole as u64)
}

/// Ranks two feasible pools: score (unknown last), warm KV, slots, residual VRAM, perf
/// (unknown last), id.
fn ref_cmp(job: &JobSpec, a: &PoolSnapshot, b: &PoolSnapshot) -> Ordering {
    let score = |p| ref_score(job, p).map_or((1, 0), |ms| (0, ms));
    let warm = |p: &PoolSnapshot| {
        job.session_id
            .as_ref()
            .is_some_and(|s| p.warm_kv_sessions.contains(s))
    };
    let residual = |p: &PoolSnapshot| p.vram_free_bytes - job.est_kv_bytes;
    let perf = |p: &PoolSnapshot| p.perf_tokens_per_s.unwrap_or(-1.0);
    score(a)
        .cmp(&score(b))
        .then(warm(b).cmp(&warm(a)))
        .then(b.slots_free.cmp(&a.slots_free))
        .then(residual(b).cmp(&residual(a)))
        .then(perf(b).partial_cmp(&perf(a)).unwrap())
        .then(a.id.cmp(&b.id))
}

/// The decision with the trace in id order, for comparing across permutations. Pools
/// that share an id all get the same verdict, so their relative order cannot matter.
fn canonical(decision: &PlacementDecision) -> String {
    let mut summary = match decision {
        PlacementDecision::Assigned(a) => format!(
            "assigned {:?} {:?} {} {:?}\n",
            a.pool_id, a.predicted_end, a.kv_warm, a.decided_by
        ),
        PlacementDecision::NoCapacity { .. } => "no capacity\n".to_string(),
        PlacementDecision::InvalidJob { field } => format!("invalid job {field:?}\n"),
    };
    if let Some(trace) = decision.trace() {
        let mut lines: Vec<String> = trace.entries().map(|e| format!("{e:?}")).collect();
        lines.sort();
        summary.push_str(&lines.join("\n"));
    }
    summary
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// [P4]
    #[test]
    fn any_order_of_the_pools_gives_the_same_decision(
        job in job(),
        (pools, shuffled) in pools_and_shuffle(),
    ) {
        let original = place(&job, &pools);
        let mut reversed = pools.clone();
        reversed.reverse();
        prop_assert_eq!(canonical(&original), canonical(&place(&job, &shuffled)));
        prop_assert_eq!(canonical(&original), canonical(&place(&job, &reversed)));
    }

    /// [P1]: verdicts agree with the reference, so an assigned pool is always feasible
    /// and `NoCapacity` happens exactly when no pool is.
    #[test]
    fn feasibility_matches_the_reference(job in job(), pools in pools(0..10)) {
        let decision = place(&job, &pools);
        if !ref_job_valid(&job) {
            prop_assert!(matches!(decision, PlacementDecision::InvalidJob { .. }), "{:?}", decision);
            return Ok(());
        }
        let feasible: Vec<bool> = (0..pools.len()).map(|i| ref_feasible(&job, &pools, i)).collect();
        let trace = decision.trace().expect("a valid job has a trace");
        prop_assert_eq!(trace.len(), pools.len());
        for ((entry, pool), ok) in trace.entries().zip(&pools).zip(&feasible) {
            prop_assert_eq!(entry.pool_id, pool.id.as_str());
            prop_assert_eq!(!matches!(entry.verdict, Verdict::Infeasible(_)), *ok, "{}", entry);
        }
        match &decision {
            PlacementDecision::Assigned(a) => {
                let chosen = pools.iter().position(|p| p.id == a.pool_id).unwrap();
                prop_assert!(feasible[chosen]);
            }
            PlacementDecision::NoCapacity { .. } => prop_assert!(!feasible.contains(&true)),
            PlacementDecision::InvalidJob { .. } => prop_assert!(false, "job is valid"),
        }
    }

    /// [P2], [P3]: the chosen pool is the reference's best, with the reference's score.
    #[test]
    fn the_chosen_pool_is_the_best_by_score_then_tie_breakers(
        job in job(),
        pools in pools(1..10),
    ) {
        prop_assume!(ref_job_valid(&job));
        let best = (0..pools.len())
            .filter(|&i| ref_feasible(&job, &pools, i))
            .map(|i| &pools[i])
            .min_by(|a, b| ref_cmp(&job, a, b));
        match (place(&job, &pools), best) {
            (PlacementDecision::Assigned(a), Some(best)) => {
                prop_assert_eq!(&a.pool_id, &best.id);
                let expected = ref_score(&job, best);
                prop_assert_eq!(a.predicted_end.as_ms(), expected);
                if expected.is_none() {
                    let unknown = matches!(a.predicted_end, PredictedEnd::Unknown { .. });
                    prop_assert!(unknown, "{:?}", a.predicted_end);
                }
            }
            (PlacementDecision::NoCapacity { .. }, None) => {}
            (decision, best) => prop_assert!(false, "{:?} vs reference {:?}", decision, best),
        }
    }
}

// ---------------------------------------------------------------------------------
// [P5] no panic on anything

fn wild_figure() -> impl Strategy<Value = Option<f64>> {
    prop::option::of(prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(-0.0),
    ])
}

fn wild_names(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(pool), 0..3)
        .prop_map(|v| v.into_iter().map(String::from).collect())
}

fn wild_pool() -> impl Strategy<Value = PoolSnapshot> {
    (
        (
            "\\PC{0,3}",
            "\\PC{0,2}",
            any::<bool>(),
            any::<u64>(),
            wild_names(&["m", ""]),
        ),
        (any::<u32>(), any::<u32>(), any::<u64>(), any::<u64>()),
        (
            any::<(u32, u32)>(),
            wild_figure(),
            wild_figure(),
            wild_figure(),
            wild_names(&["s", ""]),
        ),
    )
        .prop_map(
            |(
                (id, engine, ready, mask, models),
                (slots_total, slots_free, vram_total, vram_free),
                ((major, minor), perf, first_token, admission, warm),
            )| PoolSnapshot {
                id,
                engine,
                engine_version: String::new(),
                ready,
                device_mask: DeviceMask(mask),
                loaded_models: models,
                slots_total,
                slots_free,
                vram_total_bytes: vram_total,
                vram_free_bytes: vram_free,
                compute_capability: ComputeCapability::new(major, minor),
                quantizations: vec![],
                extensions: vec![],
                perf_tokens_per_s: perf,
                first_token_ms: first_token,
                admission_latency_ms: admission,
                warm_kv_sessions: warm,
            },
        )
}

fn wild_job() -> impl Strategy<Value = JobSpec> {
    (
        (
            "\\PC{0,2}",
            prop_oneof![Just("m"), Just("")],
            any::<Option<u32>>(),
            any::<u64>(),
        ),
        (
            prop::option::of(prop_oneof![Just("s"), Just("")]),
            any::<u64>(),
            any::<Option<u64>>(),
        ),
    )
        .prop_map(
            |((engine, model, tokens, kv), (session, min_vram, mask))| JobSpec {
                priority: Priority::Interactive,
                engine,
                model_id: model.into(),
                expected_output_tokens: tokens,
                required_context_tokens: u32::MAX,
                est_kv_bytes: kv,
                session_id: session.map(String::from),
                requirements: JobRequirements {
                    min_vram_bytes: min_vram,
                    ..JobRequirements::default()
                },
                device_mask: mask.map(DeviceMask),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn no_input_panics_and_the_trace_has_one_line_per_pool(
        job in wild_job(),
        pools in prop::collection::vec(wild_pool(), 0..8),
    ) {
        let decision = place(&job, &pools);
        let _ = format!("{decision:?}");
        if let Some(trace) = decision.trace() {
            prop_assert_eq!(trace.len(), pools.len());
            prop_assert_eq!(trace.to_string().lines().count(), pools.len());
        }
    }
}

// ---------------------------------------------------------------------------------
// The prepared fleet: the same decision as `place`, for every input.

/// Pools whose name lists may start with many filler names, so that the names a job asks
/// for get interned late (past the 64 names a list's bit mask holds) as well as early.
fn padded_pools() -> impl Strategy<Value = Vec<PoolSnapshot>> {
    let fillers = prop::collection::vec(0u32..120, 0..4);
    (pools(0..10), prop::collection::vec(fillers, 0..10)).prop_map(|(mut pools, fillers)| {
        for (pool, picks) in pools.iter_mut().zip(fillers) {
            for (list, pick) in [
                &mut pool.loaded_models,
                &mut pool.quantizations,
                &mut pool.extensions,
                &mut pool.warm_kv_sessions,
            ]
            .into_iter()
            .zip(picks)
            {
                let filler: Vec<String> = (pick..pick + 40).map(|k| format!("f{k}")).collect();
                list.splice(0..0, filler);
            }
        }
        pools
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// The same `PlacementDecision` (pool, predicted end, kv_warm, decided_by, every
    /// verdict and reason, trace order) on random fleets with invalid snapshots,
    /// duplicate ids and unknown figures.
    #[test]
    fn a_prepared_fleet_decides_as_place_does(job in job(), pools in pools(0..12)) {
        let fleet = Fleet::new(&pools);
        prop_assert_eq!(fleet.len(), pools.len());
        prop_assert_eq!(fleet.place(&job), place(&job, &pools));
    }

    /// The same, with names interned past the lists' bit masks.
    #[test]
    fn a_prepared_fleet_with_many_names_decides_as_place_does(
        job in job(),
        pools in padded_pools(),
    ) {
        prop_assert_eq!(Fleet::new(&pools).place(&job), place(&job, &pools));
    }

    /// The same on wild input, and one fleet serves many jobs.
    #[test]
    fn a_prepared_fleet_decides_as_place_does_on_wild_input(
        jobs in prop::collection::vec(wild_job(), 1..4),
        pools in prop::collection::vec(wild_pool(), 0..8),
    ) {
        let fleet = Fleet::new(&pools);
        for job in &jobs {
            prop_assert_eq!(fleet.place(job), place(job, &pools));
        }
    }
}
