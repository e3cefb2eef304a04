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

/// A pool's figures for the predicted end, as [`predicted_end`] reads them: the part
/// that does not depend on the job, summed once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Figures {
    /// `admission_latency_ms + first_token_ms` (the formula's first addition, in the
    /// formula's order), or the first of the two that is missing.
    start_ms: Result<f64, MissingFigure>,
    /// `perf_tokens_per_s`.
    perf_tokens_per_s: Option<f64>,
}

impl Figures {
    /// The figures of a pool. They are scored only once the pool passed
    /// [`check_pool`](super::validate::check_pool) (finite, non-negative, perf positive);
    /// a malformed pool's figures are kept but never read.
    pub(super) fn of(pool: &PoolSnapshot) -> Self {
        let start_ms = match (pool.admission_latency_ms, pool.first_token_ms) {
            (None, _) => Err(MissingFigure::AdmissionLatencyMs),
            (Some(_), None) => Err(MissingFigure::FirstTokenMs),
            (Some(admission), Some(first_token)) => Ok(admission + first_token),
        };
        Self {
            start_ms,
            perf_tokens_per_s: pool.perf_tokens_per_s,
        }
    }
}

/// The predicted end of `expected_tokens` on a pool with these [`Figures`].
///
/// `None` or `Some(0)` expected tokens leave the token term out (it is zero, or the same
/// unknown for every pool), so `perf_tokens_per_s` is then not needed. The sum is
/// `(admission + first_token) + generation`, the order in which `a + b + c` evaluates.
#[inline]
pub(super) fn predicted_end(expected_tokens: Option<u32>, figures: &Figures) -> PredictedEnd {
    let start = match figures.start_ms {
        Ok(start) => start,
        Err(missing) => return unknown(missing),
    };
    let generation = match expected_tokens {
        None | Some(0) => 0.0,
        Some(tokens) => match figures.perf_tokens_per_s {
            Some(perf) => f64::from(tokens) / perf * 1000.0,
            None => return unknown(MissingFigure::PerfTokensPerS),
        },
    };
    PredictedEnd::Known(whole_ms(start + generation))
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
#[inline]
pub(super) fn whole_ms(ms: f64) -> u64 {
    // 2^63 and 2^64 as f64; `u64::MAX as f64` rounds to the latter.
    const BEYOND_I64: f64 = 9_223_372_036_854_775_808.0;
    const BEYOND_U64: f64 = 18_446_744_073_709_551_616.0;
    // The common case, through the signed conversions (one instruction each on x86-64,
    // where the unsigned ones are branchy sequences); the same result as below.
    if (0.0..BEYOND_I64).contains(&ms) {
        let below = ms as i64;
        return if ms - below as f64 <= ms * ROUNDING_SLACK {
            below as u64
        } else {
            below as u64 + 1
        };
    }
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

    /// The rounding as it was before the signed fast path, for every input.
    fn general(ms: f64) -> u64 {
        if ms >= 18_446_744_073_709_551_616.0 {
            return u64::MAX;
        }
        let below = ms as u64;
        if ms - below as f64 <= ms * super::ROUNDING_SLACK {
            below
        } else {
            below.saturating_add(1)
        }
    }

    #[test]
    fn the_fast_path_rounds_as_the_general_one() {
        let two_63 = 9_223_372_036_854_775_808.0_f64;
        let mut values = vec![
            0.0,
            -0.0,
            -1.0,
            -1e-300,
            f64::NAN,
            -f64::NAN,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            0.5,
            1.0 - 1e-13,
            30_000.000_000_000_004,
            two_63,
            two_63 * 2.0,
            f64::MAX,
        ];
        for below in [two_63, two_63 * 2.0, 1e6, 1.0] {
            let mut v = below;
            for _ in 0..4 {
                v = v.next_down();
                values.push(v);
            }
            let mut v = below;
            for _ in 0..4 {
                v = v.next_up();
                values.push(v);
            }
        }
        for ms in values {
            assert_eq!(whole_ms(ms), general(ms), "{ms:e}");
        }
    }
}
