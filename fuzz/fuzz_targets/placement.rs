//! Fuzzing `placement::place` (\[P1\]–\[P6\] in the crate docs of `placement`).
//!
//! The fuzzer builds a job and up to 16 pool snapshots from mirror structs (the library
//! types are not `Arbitrary`). Names come mostly from small vocabularies, so that engines,
//! models and ids match and collide, with an escape to arbitrary strings. A pool's lists
//! (engine, models, quantizations, extensions, warm sessions) default to what the job
//! asks for and its VRAM to "fits", so feasible pools are common and the fuzzer breaks
//! them one field at a time; a pool can also be a *twin* of an earlier one with a new id
//! and at most one field changed, so that pools tie on the score and on every
//! tie-breaker down to the one that differs. Figures are small whole or tenth values
//! (real ties), special values (NaN, infinities, negatives, -0.0, subnormals, huge) or
//! raw `f64` bits.
//!
//! Checked on every input:
//! * `place` does not panic, and the trace `Display` does not either (one line a pool);
//! * the job is `InvalidJob` exactly when an independent check says so, with that field;
//! * the trace has one entry per pool, in order, with the pool's id;
//! * each pool's verdict is `Infeasible` exactly when an independent re-implementation of
//!   the validation and feasibility rules says so, with the same (first) reason;
//! * `NoCapacity` only when every pool is infeasible; `Assigned` picks a pool whose
//!   verdict is `Chosen` (the only one), which the independent rules call feasible, and
//!   which is the best under an independent ranking (score, warm KV, free slots,
//!   residual VRAM, throughput, id), with `decided_by` and every `lost_on` as that
//!   ranking says; each candidate's figures and predicted end match the snapshot;
//! * the same decision (chosen id, predicted end, kv_warm, decided_by, and each pool's
//!   verdict) for the reversed and for a rotated pool list;
//! * a prepared `Fleet` of the pools gives exactly the same `PlacementDecision` as
//!   `place`, trace included, for the job and for the job with each name swapped for one
//!   no pool has (so that one fleet serves several jobs).

#![no_main]

use std::cmp::Ordering;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use orchestrator_core::placement::{
    place, Candidate, ComputeCapability, DecidedBy, DeviceMask, Fleet, Infeasible, InvalidField,
    InvalidJobField, JobRequirements, JobSpec, MissingFigure, PlacementDecision, PoolSnapshot,
    PredictedEnd, Verdict,
};
use orchestrator_core::queue::Priority;

const MAX_POOLS: usize = 16;

const IDS: &[&str] = &[
    "gpu-a", "gpu-b", "gpu-c", "gpu-d", "", "a", "A", "gpu-a ", "é",
];
const ENGINES: &[&str] = &["vllm", "tgi", "", "VLLM"];
const MODELS: &[&str] = &["llama", "mistral", "", "Llama"];
const QUANTS: &[&str] = &["fp16", "awq", "", "int8"];
const EXTS: &[&str] = &["lora", "spec", "", "LoRA"];
const SESSIONS: &[&str] = &["s1", "s2", "", "S1"];

/// A name: mostly from a small table (so that names match), sometimes any string.
#[derive(Arbitrary, Debug, Clone)]
enum Word {
    Pick(u8),
    Raw(String),
}

impl Word {
    fn get(&self, table: &[&str]) -> String {
        match self {
            Word::Pick(index) => table[usize::from(*index) % table.len()].to_owned(),
            Word::Raw(raw) => raw.clone(),
        }
    }
}

/// A float figure: whole and tenth values tie often; specials and raw bits are invalid or
/// extreme.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Fig {
    Whole(u16),
    Tenths(u16),
    Special(u8),
    Raw(f64),
}

impl Fig {
    fn get(self) -> f64 {
        const SPECIALS: &[f64] = &[
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            -1.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1e300,
            0.7,
            1e-13,
            -f64::NAN,
            1e19,
        ];
        match self {
            Fig::Whole(v) => f64::from(v),
            Fig::Tenths(v) => f64::from(v) / 10.0,
            Fig::Special(i) => SPECIALS[usize::from(i) % SPECIALS.len()],
            Fig::Raw(v) => v,
        }
    }
}

/// A byte size: small GiB multiples tie often; raw values and `u64::MAX` reach the edges.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Bytes {
    Gib(u8),
    Raw(u64),
    Max,
}

impl Bytes {
    fn get(self) -> u64 {
        match self {
            Bytes::Gib(v) => u64::from(v % 32) << 30,
            Bytes::Raw(v) => v,
            Bytes::Max => u64::MAX,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Mask {
    Small(u8),
    Raw(u64),
}

impl Mask {
    fn get(self) -> DeviceMask {
        match self {
            Mask::Small(v) => DeviceMask(u64::from(v & 0x0F)),
            Mask::Raw(v) => DeviceMask(v),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Cc {
    Small(u8, u8),
    Raw(u32, u32),
}

impl Cc {
    fn get(self) -> ComputeCapability {
        match self {
            Cc::Small(major, minor) => {
                ComputeCapability::new(u32::from(major % 4) + 7, u32::from(minor % 12))
            }
            Cc::Raw(major, minor) => ComputeCapability::new(major, minor),
        }
    }
}

/// Slot counts: consistent (`free <= total`) unless raw.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Slots {
    Consistent { total: u8, used: u8 },
    Raw(u32, u32),
}

/// VRAM: enough for the job (plus some spare) unless raw.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Vram {
    Fits { spare_gib: u8, unused_gib: u8 },
    Raw { total: Bytes, free: Bytes },
}

/// A pool. The `Option` lists default to what the job asks for (`None`: the job's engine,
/// model, quantization, extensions, session), so that feasible pools are common and the
/// fuzzer breaks them one field at a time.
#[derive(Arbitrary, Debug, Clone)]
struct FPool {
    id: Word,
    engine: Option<Word>,
    engine_version: Word,
    ready: bool,
    device_mask: Mask,
    loaded_models: Option<Vec<Word>>,
    slots: Slots,
    vram: Vram,
    compute_capability: Cc,
    quantizations: Option<Vec<Word>>,
    extensions: Option<Vec<Word>>,
    perf_tokens_per_s: Option<Fig>,
    first_token_ms: Option<Fig>,
    admission_latency_ms: Option<Fig>,
    warm_kv_sessions: Option<Vec<Word>>,
}

fn words(list: &[Word], table: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.get(table)).collect()
}

impl FPool {
    fn build(&self, job: &JobSpec) -> PoolSnapshot {
        let (slots_total, slots_free) = match self.slots {
            Slots::Consistent { total, used } => {
                let total = total % 8;
                (u32::from(total), u32::from(total - used % (total + 1)))
            }
            Slots::Raw(total, free) => (total, free),
        };
        let (vram_total_bytes, vram_free_bytes) = match self.vram {
            Vram::Fits {
                spare_gib,
                unused_gib,
            } => {
                let needed = job
                    .est_kv_bytes
                    .saturating_add(job.requirements.min_vram_bytes);
                let free = needed.saturating_add(u64::from(spare_gib % 4) << 30);
                (free.saturating_add(u64::from(unused_gib % 4) << 30), free)
            }
            Vram::Raw { total, free } => (total.get(), free.get()),
        };
        let or_job = |list: &Option<Vec<Word>>, table: &[&str], default: Vec<String>| match list {
            Some(list) => words(list, table),
            None => default,
        };
        PoolSnapshot {
            id: self.id.get(IDS),
            engine: match &self.engine {
                Some(engine) => engine.get(ENGINES),
                None => job.engine.clone(),
            },
            engine_version: self.engine_version.get(&["0.6.3", ""]),
            ready: self.ready,
            device_mask: self.device_mask.get(),
            loaded_models: or_job(&self.loaded_models, MODELS, vec![job.model_id.clone()]),
            slots_total,
            slots_free,
            vram_total_bytes,
            vram_free_bytes,
            compute_capability: self.compute_capability.get(),
            quantizations: or_job(
                &self.quantizations,
                QUANTS,
                job.requirements.quantization.iter().cloned().collect(),
            ),
            extensions: or_job(
                &self.extensions,
                EXTS,
                job.requirements.required_extensions.clone(),
            ),
            perf_tokens_per_s: self.perf_tokens_per_s.map(Fig::get),
            first_token_ms: self.first_token_ms.map(Fig::get),
            admission_latency_ms: self.admission_latency_ms.map(Fig::get),
            warm_kv_sessions: or_job(
                &self.warm_kv_sessions,
                SESSIONS,
                job.session_id.iter().cloned().collect(),
            ),
        }
    }
}

/// One change to a twin of an earlier pool: twins tie on the score and on every
/// tie-breaker but the one changed (or all of them, down to the id).
#[derive(Arbitrary, Debug, Clone)]
enum Tweak {
    Nothing,
    Warm(Vec<Word>),
    SlotsFree(u8),
    VramFree(Bytes),
    Perf(Option<Fig>),
    FirstToken(Option<Fig>),
    Ready(bool),
}

/// A new pool, or a twin of an earlier one with a new id and at most one change.
#[derive(Arbitrary, Debug, Clone)]
enum PoolGen {
    New(Box<FPool>),
    Twin { of: u8, id: Word, tweak: Tweak },
}

fn build_pools(job: &JobSpec, gens: &[PoolGen]) -> Vec<PoolSnapshot> {
    let mut pools: Vec<PoolSnapshot> = Vec::new();
    for generator in gens.iter().take(MAX_POOLS) {
        let pool = match generator {
            PoolGen::New(pool) => pool.build(job),
            PoolGen::Twin { of, id, tweak } => {
                let Some(original) = pools.get(usize::from(*of) % pools.len().max(1)) else {
                    continue;
                };
                let mut pool = original.clone();
                pool.id = id.get(IDS);
                match tweak {
                    Tweak::Nothing => {}
                    Tweak::Warm(sessions) => pool.warm_kv_sessions = words(sessions, SESSIONS),
                    Tweak::SlotsFree(free) => {
                        pool.slots_free =
                            (u64::from(*free) % (u64::from(pool.slots_total) + 1)) as u32
                    }
                    Tweak::VramFree(free) => {
                        pool.vram_free_bytes = free.get().min(pool.vram_total_bytes)
                    }
                    Tweak::Perf(perf) => pool.perf_tokens_per_s = perf.map(Fig::get),
                    Tweak::FirstToken(ms) => pool.first_token_ms = ms.map(Fig::get),
                    Tweak::Ready(ready) => pool.ready = *ready,
                }
                pool
            }
        };
        pools.push(pool);
    }
    pools
}

#[derive(Arbitrary, Debug, Clone)]
enum Tokens {
    Small(u8),
    Raw(u32),
}

#[derive(Arbitrary, Debug, Clone)]
struct FJob {
    interactive: bool,
    engine: Word,
    model_id: Word,
    expected_output_tokens: Option<Tokens>,
    required_context_tokens: u32,
    est_kv_bytes: Bytes,
    session_id: Option<Word>,
    min_vram_bytes: Bytes,
    quantization: Option<Word>,
    min_compute_capability: Option<Cc>,
    required_extensions: Vec<Word>,
    device_mask: Option<Mask>,
}

impl FJob {
    fn build(&self) -> JobSpec {
        JobSpec {
            priority: if self.interactive {
                Priority::Interactive
            } else {
                Priority::Batch
            },
            engine: self.engine.get(ENGINES),
            model_id: self.model_id.get(MODELS),
            expected_output_tokens: self.expected_output_tokens.as_ref().map(|t| match *t {
                Tokens::Small(v) => u32::from(v),
                Tokens::Raw(v) => v,
            }),
            required_context_tokens: self.required_context_tokens,
            est_kv_bytes: self.est_kv_bytes.get(),
            session_id: self.session_id.as_ref().map(|w| w.get(SESSIONS)),
            requirements: JobRequirements {
                min_vram_bytes: self.min_vram_bytes.get(),
                quantization: self.quantization.as_ref().map(|w| w.get(QUANTS)),
                min_compute_capability: self.min_compute_capability.map(Cc::get),
                required_extensions: self
                    .required_extensions
                    .iter()
                    .map(|w| w.get(EXTS))
                    .collect(),
            },
            device_mask: self.device_mask.map(Mask::get),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    job: FJob,
    rotate: u8,
    pools: Vec<PoolGen>,
}

// ---------------------------------------------------------------------------------------
// The independent oracle: the rules of the module docs, written out again.

fn expected_job_error(job: &JobSpec) -> Option<InvalidJobField> {
    let req = &job.requirements;
    if job.engine.is_empty() {
        Some(InvalidJobField::EmptyEngine)
    } else if job.model_id.is_empty() {
        Some(InvalidJobField::EmptyModelId)
    } else if job.session_id.as_deref() == Some("") {
        Some(InvalidJobField::EmptySessionId)
    } else if req.quantization.as_deref() == Some("") {
        Some(InvalidJobField::EmptyQuantization)
    } else if req.required_extensions.iter().any(|e| e.is_empty()) {
        Some(InvalidJobField::EmptyExtension)
    } else if job.est_kv_bytes.checked_add(req.min_vram_bytes).is_none() {
        Some(InvalidJobField::VramNeedOverflow)
    } else {
        None
    }
}

/// The first reason pool `index` cannot take `job`, or `None` if it can.
fn expected_reason(job: &JobSpec, pools: &[PoolSnapshot], index: usize) -> Option<Infeasible> {
    let pool = &pools[index];
    let invalid = |field| Some(Infeasible::InvalidSnapshot { field });
    let duration_ok = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v >= 0.0);
    if pool.id.is_empty() {
        return invalid(InvalidField::EmptyId);
    }
    if pools
        .iter()
        .enumerate()
        .any(|(i, other)| i != index && other.id == pool.id)
    {
        return invalid(InvalidField::DuplicateId);
    }
    if pool.engine.is_empty() {
        return invalid(InvalidField::EmptyEngine);
    }
    if pool.slots_free > pool.slots_total {
        return invalid(InvalidField::SlotsFreeAboveTotal);
    }
    if pool.vram_free_bytes > pool.vram_total_bytes {
        return invalid(InvalidField::VramFreeAboveTotal);
    }
    if pool
        .perf_tokens_per_s
        .is_some_and(|v| !(v.is_finite() && v > 0.0))
    {
        return invalid(InvalidField::PerfTokensPerS);
    }
    if !duration_ok(pool.first_token_ms) {
        return invalid(InvalidField::FirstTokenMs);
    }
    if !duration_ok(pool.admission_latency_ms) {
        return invalid(InvalidField::AdmissionLatencyMs);
    }
    if !pool.ready {
        return Some(Infeasible::NotReady);
    }
    if let Some(allowed) = job.device_mask {
        if pool.device_mask.0 & !allowed.0 != 0 {
            return Some(Infeasible::DeviceMaskViolated {
                pool: pool.device_mask,
                allowed,
            });
        }
    }
    if pool.engine != job.engine {
        return Some(Infeasible::EngineMismatch);
    }
    if !pool.loaded_models.contains(&job.model_id) {
        return Some(Infeasible::ModelNotLoaded);
    }
    if pool.slots_free == 0 {
        return Some(Infeasible::NoFreeSlot);
    }
    let req = &job.requirements;
    let needed = job.est_kv_bytes + req.min_vram_bytes; // checked by the caller
                                                        // `vram_free - est_kv >= 0` and `vram_free - est_kv >= min_vram`, in i128.
    let residual = i128::from(pool.vram_free_bytes) - i128::from(job.est_kv_bytes);
    if residual < 0 || residual < i128::from(req.min_vram_bytes) {
        return Some(Infeasible::InsufficientVram {
            free_bytes: pool.vram_free_bytes,
            needed_bytes: needed,
        });
    }
    if let Some(required) = req.min_compute_capability {
        let pool_cc = pool.compute_capability;
        if (pool_cc.major, pool_cc.minor) < (required.major, required.minor) {
            return Some(Infeasible::ComputeCapabilityTooLow {
                pool: pool_cc,
                required,
            });
        }
    }
    if let Some(quantization) = &req.quantization {
        if !pool.quantizations.contains(quantization) {
            return Some(Infeasible::QuantizationUnsupported);
        }
    }
    for extension in &req.required_extensions {
        if !pool.extensions.contains(extension) {
            return Some(Infeasible::MissingExtension {
                extension: extension.clone(),
            });
        }
    }
    None
}

/// Checks a predicted end against the snapshot: which figure is missing, or a whole
/// number of milliseconds within rounding of the `f64` formula.
fn check_predicted_end(job: &JobSpec, pool: &PoolSnapshot, got: PredictedEnd) {
    let tokens = job.expected_output_tokens.unwrap_or(0);
    let missing = if pool.admission_latency_ms.is_none() {
        Some(MissingFigure::AdmissionLatencyMs)
    } else if pool.first_token_ms.is_none() {
        Some(MissingFigure::FirstTokenMs)
    } else if tokens > 0 && pool.perf_tokens_per_s.is_none() {
        Some(MissingFigure::PerfTokensPerS)
    } else {
        None
    };
    if let Some(missing) = missing {
        assert_eq!(
            got,
            PredictedEnd::Unknown { missing },
            "pool {:?}: wrong unknown score",
            pool.id
        );
        return;
    }
    let generation = if tokens > 0 {
        f64::from(tokens) / pool.perf_tokens_per_s.unwrap() * 1000.0
    } else {
        0.0
    };
    let exact = pool.admission_latency_ms.unwrap() + pool.first_token_ms.unwrap() + generation;
    let PredictedEnd::Known(ms) = got else {
        panic!("pool {:?}: all figures known, yet score {got:?}", pool.id);
    };
    if exact >= 18_446_744_073_709_551_616.0 {
        assert_eq!(ms, u64::MAX, "pool {:?}: {exact} ms must saturate", pool.id);
        return;
    }
    // Rounded up, forgiving noise of one part in 10^12 (the library sums the same three
    // terms in the same order, so `exact` is bit-for-bit its sum): `floor` or `ceil`.
    // Below 2^64 every whole `f64` converts exactly, so these comparisons are exact.
    let ms_f = ms as f64;
    let (floor, ceil) = (exact.floor(), exact.ceil());
    assert!(
        ms_f == floor || ms_f == ceil,
        "pool {:?}: predicted end {ms} ms, formula gives {exact} ms",
        pool.id
    );
    let above = exact - floor;
    if above > exact * 1.01e-12 {
        assert_eq!(ms_f, ceil, "pool {:?}: {exact} ms must round up", pool.id);
    } else if above < exact * 0.99e-12 {
        assert_eq!(
            ms_f, floor,
            "pool {:?}: {exact} ms is noise above a whole ms",
            pool.id
        );
    }
}

/// The independent ranking: `Less` means `a` ranks first; also the deciding level.
fn rank(a: &Candidate, a_id: &str, b: &Candidate, b_id: &str) -> (Ordering, DecidedBy) {
    let key = |end: PredictedEnd| match end {
        PredictedEnd::Known(ms) => (0u8, ms),
        PredictedEnd::Unknown { .. } => (1u8, 0),
    };
    let levels: [(Ordering, DecidedBy); 5] = [
        (
            key(a.predicted_end).cmp(&key(b.predicted_end)),
            DecidedBy::PredictedEnd,
        ),
        (b.kv_warm.cmp(&a.kv_warm), DecidedBy::KvWarm),
        (b.slots_free.cmp(&a.slots_free), DecidedBy::SlotsFree),
        (
            b.residual_vram_bytes.cmp(&a.residual_vram_bytes),
            DecidedBy::ResidualVram,
        ),
        (
            match (a.perf_tokens_per_s, b.perf_tokens_per_s) {
                (Some(x), Some(y)) => y.partial_cmp(&x).expect("validated perf is finite"),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            DecidedBy::PerfTokensPerS,
        ),
    ];
    for (ordering, level) in levels {
        if ordering.is_ne() {
            return (ordering, level);
        }
    }
    (a_id.as_bytes().cmp(b_id.as_bytes()), DecidedBy::PoolId)
}

fn depth(level: DecidedBy) -> u8 {
    match level {
        DecidedBy::OnlyCandidate => 0,
        DecidedBy::PredictedEnd => 1,
        DecidedBy::KvWarm => 2,
        DecidedBy::SlotsFree => 3,
        DecidedBy::ResidualVram => 4,
        DecidedBy::PerfTokensPerS => 5,
        DecidedBy::PoolId => 6,
        other => panic!("a ranking level this oracle does not know: {other:?}"),
    }
}

/// Checks one decision against the oracle.
fn check_decision(job: &JobSpec, pools: &[PoolSnapshot], decision: &PlacementDecision) {
    if let Some(field) = expected_job_error(job) {
        assert_eq!(
            *decision,
            PlacementDecision::InvalidJob { field },
            "job is invalid ({field:?})"
        );
        return;
    }
    let trace = decision
        .trace()
        .unwrap_or_else(|| panic!("valid job, yet {decision:?}"));
    assert_eq!(trace.len(), pools.len(), "one trace entry per pool");
    let text = trace.to_string();
    assert_eq!(
        text.lines().count(),
        pools.len(),
        "one log line per pool:\n{text}"
    );

    let mut candidates: Vec<(usize, Candidate)> = Vec::new();
    let mut chosen: Vec<(usize, DecidedBy)> = Vec::new();
    for (index, pool) in pools.iter().enumerate() {
        let entry = trace.get(index).expect("entry");
        assert_eq!(
            entry.pool_id, pool.id,
            "trace entry {index} names another pool"
        );
        let expected = expected_reason(job, pools, index);
        let candidate = match (entry.verdict, &expected) {
            (Verdict::Infeasible(got), Some(want)) => {
                assert_eq!(
                    got, want,
                    "pool {index} {:?}: wrong infeasibility reason",
                    pool.id
                );
                continue;
            }
            (Verdict::Infeasible(got), None) => {
                panic!(
                    "pool {index} {:?} is feasible, yet infeasible: {got:?}",
                    pool.id
                )
            }
            (_, Some(want)) => {
                panic!(
                    "pool {index} {:?} must be infeasible ({want:?}), yet {:?}",
                    pool.id, entry.verdict
                )
            }
            (
                Verdict::Chosen {
                    candidate,
                    decided_by,
                },
                None,
            ) => {
                chosen.push((index, *decided_by));
                *candidate
            }
            (Verdict::Outranked { candidate, .. }, None) => *candidate,
        };
        // The candidate's figures, from the snapshot.
        let kv_warm = job
            .session_id
            .as_ref()
            .is_some_and(|session| pool.warm_kv_sessions.contains(session));
        assert_eq!(candidate.kv_warm, kv_warm, "pool {:?}: kv_warm", pool.id);
        assert_eq!(
            candidate.slots_free, pool.slots_free,
            "pool {:?}: slots_free",
            pool.id
        );
        assert_eq!(
            candidate.residual_vram_bytes,
            pool.vram_free_bytes - job.est_kv_bytes,
            "pool {:?}: residual VRAM",
            pool.id
        );
        assert_eq!(
            candidate.perf_tokens_per_s.map(f64::to_bits),
            pool.perf_tokens_per_s.map(f64::to_bits),
            "pool {:?}: perf",
            pool.id
        );
        check_predicted_end(job, pool, candidate.predicted_end);
        assert!(
            pool.ready && pool.slots_free > 0,
            "a feasible pool is ready with a free slot"
        );
        candidates.push((index, candidate));
    }

    let assignment = match decision {
        PlacementDecision::NoCapacity { .. } => {
            assert!(
                candidates.is_empty(),
                "NoCapacity with feasible pools {candidates:?}"
            );
            return;
        }
        PlacementDecision::InvalidJob { field } => panic!("valid job reported invalid: {field:?}"),
        PlacementDecision::Assigned(assignment) => assignment,
    };
    assert!(!candidates.is_empty(), "assigned, yet no pool is feasible");
    assert_eq!(
        chosen.len(),
        1,
        "exactly one Chosen verdict, got {chosen:?}"
    );
    let (chosen_index, chosen_by) = chosen[0];
    assert_eq!(
        assignment.pool_id, pools[chosen_index].id,
        "assignment names the Chosen pool"
    );

    // The independent winner: best under `rank`.
    let (best_index, best) = candidates
        .iter()
        .copied()
        .reduce(|best, next| {
            if rank(&next.1, &pools[next.0].id, &best.1, &pools[best.0].id)
                .0
                .is_lt()
            {
                next
            } else {
                best
            }
        })
        .expect("non-empty");
    assert_eq!(
        chosen_index, best_index,
        "chose pool {:?}, the ranking says {:?}",
        pools[chosen_index].id, pools[best_index].id
    );
    assert_eq!(assignment.predicted_end, best.predicted_end);
    assert_eq!(assignment.kv_warm, best.kv_warm);
    let mut decided_by = DecidedBy::OnlyCandidate;
    for &(index, candidate) in &candidates {
        if index == best_index {
            continue;
        }
        let (ordering, level) = rank(&best, &pools[best_index].id, &candidate, &pools[index].id);
        assert!(
            ordering.is_lt(),
            "the winner must beat pool {:?}",
            pools[index].id
        );
        let Some(entry) = trace.get(index) else {
            unreachable!()
        };
        let Verdict::Outranked { lost_on, .. } = entry.verdict else {
            panic!("pool {index} must be outranked: {:?}", entry.verdict)
        };
        assert_eq!(*lost_on, level, "pool {:?}: lost_on", pools[index].id);
        if depth(level) > depth(decided_by) {
            decided_by = level;
        }
    }
    assert_eq!(assignment.decided_by, decided_by, "decided_by");
    assert_eq!(chosen_by, decided_by, "the Chosen verdict's decided_by");
}

/// [P4]: `other` (for `pools` permuted by `order`, other[i] = pools[order[i]]) is the
/// same decision.
fn check_same(
    decision: &PlacementDecision,
    other: &PlacementDecision,
    order: &[usize],
    what: &str,
) {
    match (decision, other) {
        (
            PlacementDecision::InvalidJob { field: a },
            PlacementDecision::InvalidJob { field: b },
        ) => {
            assert_eq!(a, b, "{what}: invalid job field");
            return;
        }
        (PlacementDecision::Assigned(a), PlacementDecision::Assigned(b)) => {
            assert_eq!(a.pool_id, b.pool_id, "{what}: chosen pool");
            assert_eq!(a.predicted_end, b.predicted_end, "{what}: predicted end");
            assert_eq!(a.kv_warm, b.kv_warm, "{what}: kv_warm");
            assert_eq!(a.decided_by, b.decided_by, "{what}: decided_by");
        }
        (PlacementDecision::NoCapacity { .. }, PlacementDecision::NoCapacity { .. }) => {}
        (a, b) => panic!("{what}: different outcomes:\n{a:?}\nvs\n{b:?}"),
    }
    let (a, b) = (decision.trace().unwrap(), other.trace().unwrap());
    for (position, &original) in order.iter().enumerate() {
        let (x, y) = (a.get(original).unwrap(), b.get(position).unwrap());
        assert_eq!(
            x, y,
            "{what}: pool {original} (now at {position}) has another verdict"
        );
    }
}

fuzz_target!(|input: Input| {
    let job = input.job.build();
    let pools = build_pools(&job, &input.pools);
    let decision = place(&job, &pools);
    check_decision(&job, &pools, &decision);

    let fleet = Fleet::new(&pools);
    assert_eq!(fleet.len(), pools.len());
    assert_eq!(
        fleet.place(&job),
        decision,
        "Fleet::place differs from place"
    );
    let mut other_job = job.clone();
    other_job.model_id.push('~');
    other_job.session_id = other_job.session_id.map(|session| session + "~");
    other_job
        .requirements
        .required_extensions
        .push("not-listed".into());
    assert_eq!(
        fleet.place(&other_job),
        place(&other_job, &pools),
        "Fleet::place differs from place for a second job"
    );

    let n = pools.len();
    let reversed: Vec<usize> = (0..n).rev().collect();
    let shift = if n == 0 {
        0
    } else {
        usize::from(input.rotate) % n
    };
    let rotated: Vec<usize> = (0..n).map(|i| (i + shift) % n).collect();
    for (order, what) in [(reversed, "reversed"), (rotated, "rotated")] {
        let permuted: Vec<PoolSnapshot> = order.iter().map(|&i| pools[i].clone()).collect();
        let other = place(&job, &permuted);
        check_same(&decision, &other, &order, what);
    }
});
