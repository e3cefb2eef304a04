//! Placement: choosing the GPU pool for a job from the pools' snapshots.
//!
//! [`place`] is a pure function of a [`JobSpec`] and a slice of [`PoolSnapshot`]s: no
//! I/O, no clock, no randomness, no global state. It returns a [`PlacementDecision`] for
//! every input, and it never panics.
//!
//! # Requirements
//!
//! - **\[P1\] Feasibility first.** A pool can take the job only if, checked in this order,
//!   it is ready; its devices lie within the job's device mask, if any; it runs the
//!   job's engine and has the job's model loaded; it has a free slot; its VRAM headroom
//!   `vram_free_bytes - est_kv_bytes` is `>= 0` and `>= min_vram_bytes`; its compute
//!   capability is at least the job's minimum (numerically: `8.6 < 8.10`); it lists the
//!   job's quantization; and it lists every required extension. Names match exactly
//!   (case-sensitive). A rejected pool gets the first [`Infeasible`] reason that applies.
//! - **\[P2\] Primary score.** Among feasible pools the smallest
//!   `predicted_end_ms = admission_latency_ms + first_token_ms + expected_output_tokens /
//!   perf_tokens_per_s * 1000` wins. The sum is computed in `f64` and rounded **up** to
//!   whole milliseconds, so that pools a fraction of a millisecond apart tie for real;
//!   floating-point noise is forgiven first (a value at most one part in 10^12 above a
//!   whole number counts as that number), so `21 tokens / 0.7 tok/s` scores 30000 ms, not
//!   30001. A sum past `u64::MAX` ms saturates there. Missing figures:
//!   - the job's `expected_output_tokens` is `None` (or `0`): the token term is left out
//!     for every pool alike, and `perf_tokens_per_s` is then not needed for the score
//!     (it still counts as tie-breaker 4);
//!   - a pool's `admission_latency_ms`, `first_token_ms`, or (when the token term is
//!     needed) `perf_tokens_per_s` is `None`: the pool's score is
//!     [`PredictedEnd::Unknown`], which ranks after every known score and ties with
//!     every other unknown one. Such a pool is used only when no fully-measured pool
//!     fits, and then the tie-breakers choose among the unknown ones.
//! - **\[P3\] Tie-breakers**, only between equal scores, in order: warm KV cache for the
//!   job's session (a job without a session ties here); most free slots; most residual
//!   VRAM (`vram_free_bytes - est_kv_bytes`); higher `perf_tokens_per_s` (unknown ranks
//!   below any known value); lexicographically smallest pool id (byte order). Ids of
//!   feasible pools are unique, so the order is total.
//! - **\[P4\] Deterministic.** The chosen pool, its predicted end, `kv_warm`, `decided_by`
//!   and every pool's verdict depend only on the set of snapshots, not their order. (The
//!   trace lists the pools in the order given, so that a line matches its input.)
//! - **\[P5\] Bad input never panics.** A snapshot with an empty id, an empty engine,
//!   `slots_free > slots_total`, `vram_free_bytes > vram_total_bytes`, or a NaN,
//!   infinite or negative timing (or a non-positive throughput) is infeasible with
//!   [`Infeasible::InvalidSnapshot`], whose [`InvalidField`] names the field. Every pool
//!   that shares its id with another is invalid ([`InvalidField::DuplicateId`]), so no
//!   order of the pools decides which twin "wins". A job with an empty engine, model,
//!   session id, quantization or extension, or whose `est_kv_bytes + min_vram_bytes`
//!   overflows, gives [`PlacementDecision::InvalidJob`] (the job's figures are integers,
//!   so it cannot carry NaN).
//! - **\[P6\] Trace and `kv_warm`.** An [`Assignment`] carries the pool id, the predicted
//!   end, `kv_warm` (for `kv_warmth`, ORCH-3009), the level that decided, and a
//!   [`PlacementTrace`]: each pool's [`Verdict`] (chosen, outranked with its figures and
//!   the level it lost on, or infeasible with the reason), displayed as one log line per
//!   pool. [`PlacementDecision::NoCapacity`] carries the same trace, all infeasible.
//!
//! # Cost
//!
//! One pass over the pools checks and scores each one and keeps the best; a second pass
//! over the trace records where each feasible pool lost. Duplicate ids are found first,
//! with one small open-addressing table. Apart from a `MissingExtension` reason (which
//! names the extension), nothing is allocated per pool: the trace keeps all ids in one
//! string. So a call makes at most five allocations whatever the number of pools: the
//! duplicate table, the trace's two buffers, the chosen id, and a flag vector only when
//! some id is duplicated. `benches/placement.rs` measures the cost against the number of
//! pools.
//!
//! Much of that work does not depend on the job: validating each snapshot (\[P5\]),
//! finding duplicate ids, and comparing names byte by byte. When many jobs are placed
//! on the same snapshots, prepare them once in a [`Fleet`] and call [`Fleet::place`] per
//! job: it gives the same [`PlacementDecision`] as `place` (the rules are one code path
//! for both), with the per-snapshot work done in [`Fleet::new`] and names compared as
//! interned integers. A pool manager rebuilds the fleet whenever its snapshots change;
//! the front end that admits jobs calls `place` on the current fleet for each job. Use
//! the plain [`place`] for a one-off decision: building a fleet costs about two to three
//! plain `place` calls, so it pays off from the third or fourth job placed on the same
//! snapshots (see `BENCHMARKS.md`, "Placement").
//!
//! # Examples
//!
//! Three pools tie on the predicted end, free slots, VRAM and throughput; warm KV for
//! the job's session decides before the pool id could:
//!
//! ```
//! use orchestrator_core::placement::{
//!     place, ComputeCapability, DecidedBy, JobRequirements, JobSpec, PoolSnapshot,
//!     PredictedEnd, Verdict,
//! };
//! use orchestrator_core::queue::Priority;
//!
//! let gpu_a = PoolSnapshot {
//!     id: "gpu-a".into(),
//!     engine: "vllm".into(),
//!     ready: true,
//!     loaded_models: vec!["llama-3-8b".into()],
//!     slots_total: 4,
//!     slots_free: 2,
//!     vram_total_bytes: 80 << 30,
//!     vram_free_bytes: 20 << 30,
//!     compute_capability: ComputeCapability::new(9, 0),
//!     perf_tokens_per_s: Some(50.0),
//!     first_token_ms: Some(200.0),
//!     admission_latency_ms: Some(100.0),
//!     ..PoolSnapshot::default()
//! };
//! let gpu_b = PoolSnapshot {
//!     id: "gpu-b".into(),
//!     warm_kv_sessions: vec!["chat-42".into()],
//!     ..gpu_a.clone()
//! };
//! let gpu_c = PoolSnapshot { id: "gpu-c".into(), ..gpu_a.clone() };
//!
//! let job = JobSpec {
//!     priority: Priority::Interactive,
//!     engine: "vllm".into(),
//!     model_id: "llama-3-8b".into(),
//!     expected_output_tokens: Some(50),
//!     required_context_tokens: 8192,
//!     est_kv_bytes: 1 << 30,
//!     session_id: Some("chat-42".into()),
//!     requirements: JobRequirements::default(),
//!     device_mask: None,
//! };
//!
//! let decision = place(&job, &[gpu_a, gpu_b, gpu_c]);
//! let assignment = decision.assignment().expect("all three pools fit");
//! // 100 ms admission + 200 ms first token + 50 tokens / 50 tok/s = 1300 ms everywhere.
//! assert_eq!(assignment.predicted_end, PredictedEnd::Known(1300));
//! assert_eq!(assignment.pool_id, "gpu-b");
//! assert!(assignment.kv_warm);
//! assert_eq!(assignment.decided_by, DecidedBy::KvWarm);
//!
//! let gpu_a_line = assignment.trace.find("gpu-a").unwrap();
//! assert!(matches!(
//!     gpu_a_line.verdict,
//!     Verdict::Outranked { lost_on: DecidedBy::KvWarm, .. }
//! ));
//! // One line per pool, e.g.
//! // pool "gpu-b": chosen, predicted_end=1300ms kv_warm=true slots_free=2 residual_vram=20401094656B perf=50tok/s; decided by kv_warm
//! assert_eq!(assignment.trace.to_string().lines().count(), 3);
//! ```

mod capability;
mod decision;
mod device_mask;
mod duplicates;
mod feasibility;
mod fleet;
mod job;
mod rank;
mod reason;
mod score;
mod snapshot;
mod trace;
mod validate;
mod view;

pub use capability::{ComputeCapability, ParseComputeCapabilityError};
pub use decision::{Assignment, PlacementDecision};
pub use device_mask::DeviceMask;
pub use fleet::Fleet;
pub use job::{JobRequirements, JobSpec};
pub use rank::{Candidate, DecidedBy};
pub use reason::{Infeasible, InvalidField, InvalidJobField};
pub use score::{MissingFigure, PredictedEnd};
pub use snapshot::PoolSnapshot;
pub use trace::{PlacementTrace, TraceEntry, Verdict};

use duplicates::DuplicateIds;
use view::{PoolView, Snapshot};

/// Chooses the pool for `job` among `pools` (\[P1\]–\[P6\]; see the [module docs](self)).
///
/// Returns [`PlacementDecision::InvalidJob`] for a malformed job,
/// [`PlacementDecision::NoCapacity`] when no pool is feasible (an empty slice included),
/// and otherwise [`PlacementDecision::Assigned`] with the best feasible pool. Runs in
/// linear time in the number of pools (and the lengths of their lists).
///
/// To place many jobs on the same snapshots, build a [`Fleet`] once and call
/// [`Fleet::place`]: it gives the same decision for every job, faster.
pub fn place(job: &JobSpec, pools: &[PoolSnapshot]) -> PlacementDecision {
    let duplicates = DuplicateIds::find(pools);
    let views = pools.iter().enumerate().map(|(index, pool)| Snapshot {
        pool,
        duplicate_id: duplicates.contains(index),
    });
    decide(job, job, views, || {
        let id_bytes = pools.iter().map(|pool| pool.id.len()).sum();
        PlacementTrace::with_capacity(pools.len(), id_bytes)
    })
}

/// The rules, once for both kinds of [`PoolView`]: checks the job, then checks, scores
/// and ranks every pool and records the trace. `wanted` is the job's names as the views
/// compare them; `new_trace` makes the empty trace the views record into.
#[inline]
fn decide<'a, P: PoolView<'a>>(
    job: &JobSpec,
    wanted: &P::Wanted,
    pools: impl Iterator<Item = P>,
    new_trace: impl FnOnce() -> PlacementTrace,
) -> PlacementDecision {
    let vram_needed = match validate::check_job(job) {
        Ok(vram_needed) => vram_needed,
        Err(field) => return PlacementDecision::InvalidJob { field },
    };
    let mut trace = new_trace();

    // Pass 1: check and score every pool, keep the best.
    let mut best: Option<(usize, Candidate, &'a str)> = None;
    for (index, pool) in pools.enumerate() {
        let verdict = match assess(job, vram_needed, &pool, wanted) {
            // `lost_on` is settled in pass 2.
            Ok(candidate) => Verdict::Outranked {
                candidate,
                lost_on: DecidedBy::PredictedEnd,
            },
            Err(reason) => Verdict::Infeasible(reason),
        };
        // Compared where the trace stored it (see `PlacementTrace::push_range`).
        if let Some(Verdict::Outranked { candidate, .. }) = pool.record(&mut trace, verdict) {
            let is_better = best.as_ref().is_none_or(|(_, best_candidate, best_id)| {
                rank::compare(candidate, || pool.id(), best_candidate, || best_id)
                    .0
                    .is_lt()
            });
            if is_better {
                best = Some((index, *candidate, pool.id()));
            }
        }
    }
    let Some((winner, winner_candidate, winner_id)) = best else {
        return PlacementDecision::NoCapacity { trace };
    };

    // Pass 2: where each other feasible pool lost to the winner. The runner-up shares the
    // longest prefix of ranking levels with the winner, so the deepest level is the one
    // that decided.
    if let Some(verdict) = trace.verdict_mut(winner) {
        *verdict = Verdict::Chosen {
            candidate: winner_candidate,
            decided_by: DecidedBy::OnlyCandidate,
        };
    }
    let mut decided_by = DecidedBy::OnlyCandidate;
    trace.settle_each(|verdict, pool_id| {
        if let Verdict::Outranked { candidate, lost_on } = verdict {
            let (_, level) =
                rank::compare(&winner_candidate, || winner_id, candidate, || pool_id.get());
            *lost_on = level;
            if depth(level) > depth(decided_by) {
                decided_by = level;
            }
        }
    });
    if let Some(Verdict::Chosen {
        decided_by: chosen_by,
        ..
    }) = trace.verdict_mut(winner)
    {
        *chosen_by = decided_by;
    }
    PlacementDecision::Assigned(Assignment {
        pool_id: winner_id.to_owned(),
        predicted_end: winner_candidate.predicted_end,
        kv_warm: winner_candidate.kv_warm,
        decided_by,
        trace,
    })
}

/// Validates, checks and scores one pool.
#[inline]
fn assess<'a, P: PoolView<'a>>(
    job: &JobSpec,
    vram_needed: u64,
    pool: &P,
    wanted: &P::Wanted,
) -> Result<Candidate, Infeasible> {
    pool.snapshot_check()
        .map_err(|field| Infeasible::InvalidSnapshot { field })?;
    feasibility::check(job, vram_needed, pool, wanted)?;
    let kv_warm = job.session_id.is_some() && pool.kv_warm(wanted);
    Ok(Candidate {
        predicted_end: pool.predicted_end(job.expected_output_tokens),
        kv_warm,
        slots_free: pool.slots_free(),
        residual_vram_bytes: pool.vram_free_bytes().saturating_sub(job.est_kv_bytes),
        perf_tokens_per_s: pool.perf_tokens_per_s(),
    })
}

/// How deep in the ranking a level is; `OnlyCandidate` is shallower than every level.
fn depth(level: DecidedBy) -> u8 {
    match level {
        DecidedBy::OnlyCandidate => 0,
        DecidedBy::PredictedEnd => 1,
        DecidedBy::KvWarm => 2,
        DecidedBy::SlotsFree => 3,
        DecidedBy::ResidualVram => 4,
        DecidedBy::PerfTokensPerS => 5,
        DecidedBy::PoolId => 6,
    }
}
