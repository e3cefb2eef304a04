//! The ranking of feasible pools: the score of \[P2\], then the tie-breakers of \[P3\].

use std::cmp::Ordering;
use std::fmt;

use super::PredictedEnd;

/// The figures a feasible pool is ranked by, in ranking order (\[P2\], \[P3\]).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Candidate {
    /// The primary score; smaller wins.
    pub predicted_end: PredictedEnd,
    /// Whether the pool has the job's session KV cache warm; `true` wins.
    pub kv_warm: bool,
    /// Free slots; more wins.
    pub slots_free: u32,
    /// `vram_free_bytes - est_kv_bytes`; more wins.
    pub residual_vram_bytes: u64,
    /// Throughput; higher wins, and unknown loses to any known value.
    pub perf_tokens_per_s: Option<f64>,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "predicted_end={} kv_warm={} slots_free={} residual_vram={}B perf=",
            self.predicted_end, self.kv_warm, self.slots_free, self.residual_vram_bytes
        )?;
        match self.perf_tokens_per_s {
            Some(perf) => write!(f, "{perf}tok/s"),
            None => f.write_str("unknown"),
        }
    }
}

/// The ranking level at which one feasible pool beat another.
///
/// The variants after `OnlyCandidate` are the levels in ranking order; a tie-breaker is
/// only reached when every level before it is equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum DecidedBy {
    /// No other pool was feasible.
    OnlyCandidate,
    /// The smaller predicted end (\[P2\]).
    PredictedEnd,
    /// Warm KV cache for the job's session (tie-breaker 1, \[P3\]).
    KvWarm,
    /// More free slots (tie-breaker 2).
    SlotsFree,
    /// More VRAM left after the job's KV bytes (tie-breaker 3).
    ResidualVram,
    /// Higher `perf_tokens_per_s` (tie-breaker 4).
    PerfTokensPerS,
    /// The lexicographically smaller pool id (tie-breaker 5).
    PoolId,
}

impl DecidedBy {
    /// Every level, in ranking order (`OnlyCandidate` first).
    pub const ALL: [DecidedBy; 7] = [
        DecidedBy::OnlyCandidate,
        DecidedBy::PredictedEnd,
        DecidedBy::KvWarm,
        DecidedBy::SlotsFree,
        DecidedBy::ResidualVram,
        DecidedBy::PerfTokensPerS,
        DecidedBy::PoolId,
    ];

    /// A short, stable snake-case label for logs, metrics and JSON keys
    /// (`only_candidate`, `predicted_end`, `kv_warm`, `slots_free`, `residual_vram`,
    /// `perf_tokens_per_s`, `pool_id`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OnlyCandidate => "only_candidate",
            Self::PredictedEnd => "predicted_end",
            Self::KvWarm => "kv_warm",
            Self::SlotsFree => "slots_free",
            Self::ResidualVram => "residual_vram",
            Self::PerfTokensPerS => "perf_tokens_per_s",
            Self::PoolId => "pool_id",
        }
    }
}

impl fmt::Display for DecidedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OnlyCandidate => "only feasible pool",
            Self::PredictedEnd => "predicted_end",
            Self::KvWarm => "kv_warm",
            Self::SlotsFree => "slots_free",
            Self::ResidualVram => "residual_vram",
            Self::PerfTokensPerS => "perf_tokens_per_s",
            Self::PoolId => "pool id",
        })
    }
}

/// Compares two feasible pools: `Less` means `a` ranks first. Also returns the level that
/// decided (`PoolId` when the ids are equal too, which validated input rules out). The
/// ids are read only when every figure ties.
#[inline]
pub(super) fn compare<'a, 'b>(
    a: &Candidate,
    a_id: impl FnOnce() -> &'a str,
    b: &Candidate,
    b_id: impl FnOnce() -> &'b str,
) -> (Ordering, DecidedBy) {
    let score = a.predicted_end.rank_key().cmp(&b.predicted_end.rank_key());
    if score.is_ne() {
        return (score, DecidedBy::PredictedEnd);
    }
    let warm = b.kv_warm.cmp(&a.kv_warm);
    if warm.is_ne() {
        return (warm, DecidedBy::KvWarm);
    }
    let slots = b.slots_free.cmp(&a.slots_free);
    if slots.is_ne() {
        return (slots, DecidedBy::SlotsFree);
    }
    let vram = b.residual_vram_bytes.cmp(&a.residual_vram_bytes);
    if vram.is_ne() {
        return (vram, DecidedBy::ResidualVram);
    }
    let perf = perf_key(b).total_cmp(&perf_key(a));
    if perf.is_ne() {
        return (perf, DecidedBy::PerfTokensPerS);
    }
    (a_id().cmp(b_id()), DecidedBy::PoolId)
}

/// Unknown throughput ranks below every known (validated, positive) value.
fn perf_key(candidate: &Candidate) -> f64 {
    candidate.perf_tokens_per_s.unwrap_or(f64::NEG_INFINITY)
}
