//! The primary score of \[P2\]: `predicted_end_ms`, in whole milliseconds.

use std::fmt;

use super::PoolSnapshot;

/// When a pool is predicted to finish the job: the primary score (\[P2\]); smaller is better.
///
/// `Known(ms)` is `admission_latency_ms + first_token_ms + expected_output_tokens /
/// perf_tokens_per_s * 1000`, rounded up to whole milliseconds (see the module docs).
/// `Unknown` ranks after every `Known` value, and two `Unknown` values tie, whatever
/// figure each one misses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PredictedEnd {
    /// Predicted end, in whole milliseconds from now.
    Known(u64),
    /// The pool lacks a figure the formula needs.
    Unknown {
        /// The first missing figure, in the order of the formula.
        missing: MissingFigure,
    },
}

impl PredictedEnd {
    /// The predicted end in milliseconds, if known.
    pub const fn as_ms(self) -> Option<u64> {
        match self {
            Self::Known(ms) => Some(ms),
            Self::Unknown { .. } => None,
        }
    }

    /// The ranking key: every known value, smallest first, then unknown.
    pub(super) const fn rank_key(self) -> (bool, u64) {
        match self {
            Self::Known(ms) => (false, ms),
            Self::Unknown { .. } => (true, 0),
        }
    }
}

impl fmt::Display for PredictedEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(ms) => write!(f, "{ms}ms"),
            Self::Unknown { missing } => write!(f, "unknown (no {missing})"),
        }
    }
}

/// A pool figure that the predicted-end formula needs and the snapshot lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MissingFigure {
    /// `admission_latency_ms` is `None`.
    AdmissionLatencyMs,
    /// `first_token_ms` is `None`.
    FirstTokenMs,
    /// `perf_tokens_per_s` is `None` and the job expects to generate tokens.
    PerfTokensPerS,
}

impl fmt::Display for MissingFigure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AdmissionLatencyMs => "admission_latency_ms",
            Self::FirstTokenMs => "first_token_ms",
            Self::PerfTokensPerS => "perf_tokens_per_s",
        })
    }
}

/// The predicted end of `expected_tokens` on a pool whose figures passed
/// [`check_pool`](super::validate::check_pool) (finite, non-negative, perf positive).
///
/// `None` or `Some(0)` expected tokens leave the token term out (it is zero, or the same
/// unknown for every pool), so `perf_tokens_per_s` is then not needed.
pub(super) fn predicted_end(expected_tokens: Option<u32>, pool: &PoolSnapshot) -> PredictedEnd {
    let Some(admission) = pool.admission_latency_ms else {
        return unknown(MissingFigure::AdmissionLatencyMs);
    };
    let Some(first_token) = pool.first_token_ms else {
        return unknown(MissingFigure::FirstTokenMs);
    };
    let generation = match expected_tokens {
        None | Some(0) => 0.0,
        Some(tokens) => match pool.perf_tokens_per_s {
            Some(perf) => f64::from(tokens) / perf * 1000.0,
            None => return unknown(MissingFigure::PerfTokensPerS),
        },
    };
    PredictedEnd::Known(whole_ms(admission + first_token + generation))
}

fn unknown(missing: MissingFigure) -> PredictedEnd {
    PredictedEnd::Unknown { missing }
}

/// Relative slack under which a value counts as the whole millisecond just below it.
/// The figures are summed in three `f64` operations, each off by at most half an ulp
/// (about 1e-16 relative); 1e-12 covers that with room, and is still far below a
/// millisecond for any realistic duration (a microsecond at about 30 years).
const ROUNDING_SLACK: f64 = 1e-12;

/// Rounds a non-negative duration up to whole milliseconds, first forgiving floating
/// point noise: a value at most one part in 10^12 above a whole number counts as that
/// number (`21 tokens / 0.7 tok/s` computes as `30000.000000000004` ms and must not
/// score `30001`). Never below `ms.floor()`, monotone in `ms`, and saturating at
/// `u64::MAX` (an overflow to infinity included).
pub(super) fn whole_ms(ms: f64) -> u64 {
    // 2^64 as f64; `u64::MAX as f64` rounds to it.
    const BEYOND_U64: f64 = 18_446_744_073_709_551_616.0;
    if ms >= BEYOND_U64 {
        // Infinity (a sum of finite figures can overflow) included.
        return u64::MAX;
    }
    // For `0 <= ms < 2^64` the cast truncates, which is `floor`, without a libm call.
    // NaN and negatives, which validated figures cannot produce, would give 0.
    let below = ms as u64;
    if ms - below as f64 <= ms * ROUNDING_SLACK {
        below
    } else {
        below.saturating_add(1)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::whole_ms;

    #[test]
    fn whole_ms_rounds_up_but_forgives_noise() {
        assert_eq!(whole_ms(0.0), 0);
        assert_eq!(whole_ms(0.2), 1);
        assert_eq!(whole_ms(1000.0), 1000);
        assert_eq!(whole_ms(1000.001), 1001);
        assert_eq!(whole_ms(21.0 / 0.7 * 1000.0), 30_000);
        assert_eq!(whole_ms(1e6 + 1e-3), 1_000_001);
        assert_eq!(whole_ms(1e6 + 1e-7), 1_000_000);
        assert_eq!(whole_ms(1e-300), 1);
        assert_eq!(whole_ms(f64::INFINITY), u64::MAX);
        assert_eq!(whole_ms(f64::MAX), u64::MAX);
    }
}
