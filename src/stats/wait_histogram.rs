//! Queue-wait times: a lock-free, fixed-size log-linear histogram per priority and shard.
//!
//! The buckets come from the `histogram` crate (`AtomicHistogram`: one atomic counter per
//! bucket, recorded with a relaxed `fetch_add`, no lock and no allocation after
//! construction). Crates checked for this job: `hdrhistogram` (its concurrent
//! `SyncHistogram` funnels samples through a channel and its `refresh` waits for
//! recorders), `metrics-util`'s `AtomicBucket` (lock-free but keeps every raw sample
//! until drained: unbounded), `sketches-ddsketch` (not concurrent). `histogram` is the
//! one that is lock-free and bounded.

use core::time::Duration;

use histogram::{AtomicHistogram, Config, Histogram};

/// Each power of two is split into 2^5 = 32 buckets.
const GROUPING_POWER: u8 = 5;
/// Waits are recorded in nanoseconds up to 2^42 - 1 ns (73 minutes); longer waits are
/// counted in the last bucket.
const MAX_VALUE_POWER: u8 = 42;
/// The largest wait that is recorded as itself, in nanoseconds.
const MAX_RECORDED_NANOS: u64 = (1 << MAX_VALUE_POWER) - 1;

/// The bucket layout shared by every wait histogram: 1 216 buckets (9.5 KiB of counters).
/// Checked at compile time.
const CONFIG: Config = match Config::new(GROUPING_POWER, MAX_VALUE_POWER) {
    Ok(config) => config,
    Err(_) => panic!("invalid wait histogram layout"),
};

/// The largest relative error of a reported wait: values are reported at the middle of
/// their bucket, and a bucket is at most 2^-5 of its lower bound wide, so the report is
/// within half of that, 2^-6 = 1.5625 %, of the recorded value (waits of 64 ns or less
/// are exact).
pub const WAIT_RELATIVE_ERROR: f64 = 1.0 / 64.0;

/// One shard's wait histogram: shared, recorded with relaxed atomics.
pub(crate) struct WaitRecorder {
    buckets: AtomicHistogram,
}

impl WaitRecorder {
    pub(crate) fn new() -> Self {
        WaitRecorder {
            buckets: AtomicHistogram::with_config(&CONFIG),
        }
    }

    /// Counts one wait. Lock-free: one relaxed `fetch_add` on the wait's bucket.
    #[inline]
    pub(crate) fn record(&self, waited: Duration) {
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        // Cannot fail: the value is clamped into the configured range.
        let _ = self.buckets.increment(nanos.min(MAX_RECORDED_NANOS));
    }

    /// Adds this shard's counts to `into`, through `scratch` (any histogram of this
    /// layout, overwritten). Each bucket is read on its own, so a wait recorded meanwhile
    /// may or may not be included.
    pub(crate) fn add_to(&self, into: &mut Histogram, scratch: &mut Histogram) {
        // Cannot fail: every histogram here uses `CONFIG`.
        let _ = self.buckets.load_into(scratch);
        let _ = into.checked_add_assign(scratch);
    }
}

/// Queue-wait percentiles of one priority: how long dequeued jobs waited between their
/// enqueue and their dequeue.
///
/// Every reported duration is within [`WAIT_RELATIVE_ERROR`] (1.6 %) of a recorded wait
/// (the one at that rank, nearest-rank method), for waits from 0 to 73 minutes; longer
/// waits are counted as 73 minutes. `None` when no job has been dequeued yet.
///
/// With the `serde` feature it serializes as its public fields (the bucket distribution
/// behind [`quantile`](Self::quantile) is left out); it is an export format, so it does
/// not deserialize.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct WaitStats {
    /// How many waits were recorded (jobs dequeued).
    pub samples: u64,
    /// The median wait.
    pub p50: Option<Duration>,
    /// The 90th percentile.
    pub p90: Option<Duration>,
    /// The 99th percentile.
    pub p99: Option<Duration>,
    /// The longest wait.
    pub max: Option<Duration>,
    #[cfg_attr(feature = "serde", serde(skip))]
    distribution: Histogram,
}

impl WaitStats {
    /// Summarises the merged buckets of every shard.
    pub(crate) fn from_recorders<'a>(shards: impl IntoIterator<Item = &'a WaitRecorder>) -> Self {
        let mut distribution = Histogram::with_config(&CONFIG);
        let mut scratch = Histogram::with_config(&CONFIG);
        for shard in shards {
            shard.add_to(&mut distribution, &mut scratch);
        }
        let samples = distribution.as_slice().iter().sum();
        // One pass over the buckets for all four.
        let mut buckets = [None, None, None, None];
        let _ = distribution.quantile_buckets_into(&[0.5, 0.9, 0.99, 1.0], &mut buckets);
        let [p50, p90, p99, max] = buckets.map(|bucket| bucket.map(|b| report(&b)));
        WaitStats {
            samples,
            p50,
            p90,
            p99,
            max,
            distribution,
        }
    }

    /// The wait at quantile `q` (0.0 to 1.0; 0.5 is the median), nearest-rank, within
    /// [`WAIT_RELATIVE_ERROR`]. `None` when nothing was recorded or `q` is outside 0..=1
    /// (or NaN).
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        Some(report(&self.distribution.quantile_bucket(q).ok()??))
    }

    /// The recorded distribution as `(wait, count)` pairs, shortest wait first, empty
    /// buckets left out; each wait is its bucket's middle, within
    /// [`WAIT_RELATIVE_ERROR`] of every wait counted in it. For exporters that rebuild
    /// a histogram elsewhere.
    pub fn buckets(&self) -> impl Iterator<Item = (Duration, u64)> + '_ {
        self.distribution
            .iter()
            .filter(|bucket| bucket.count() > 0)
            .map(|bucket| {
                let middle = midpoint(bucket.start(), bucket.end());
                (Duration::from_nanos(middle), bucket.count())
            })
    }

    /// The waits recorded here but not in `earlier`, an older [`WaitStats`] of the same
    /// queue and priority, as `(wait, count)` pairs like [`buckets`](Self::buckets).
    /// `None` if `earlier` counts a wait this one does not (it is not an older
    /// snapshot of the same recorder).
    pub fn buckets_since(&self, earlier: &WaitStats) -> Option<Vec<(Duration, u64)>> {
        let fresh = self.distribution.checked_sub(&earlier.distribution).ok()?;
        Some(
            fresh
                .iter()
                .filter(|bucket| bucket.count() > 0)
                .map(|bucket| {
                    let middle = midpoint(bucket.start(), bucket.end());
                    (Duration::from_nanos(middle), bucket.count())
                })
                .collect(),
        )
    }
}

impl Default for WaitStats {
    /// No waits recorded.
    fn default() -> Self {
        WaitStats::from_recorders([])
    }
}

/// The wait reported for a bucket: its middle.
fn report(bucket: &histogram::Bucket) -> Duration {
    Duration::from_nanos(midpoint(bucket.start(), bucket.end()))
}

/// The middle of the inclusive range `start..=end`, rounded down.
fn midpoint(start: u64, end: u64) -> u64 {
    start + (end - start) / 2
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn recorded(waits_ns: &[u64]) -> WaitStats {
        let recorder = WaitRecorder::new();
        for &nanos in waits_ns {
            recorder.record(Duration::from_nanos(nanos));
        }
        WaitStats::from_recorders([&recorder])
    }

    /// The nearest-rank quantile of `sorted`: the value at rank ceil(q * n).
    fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    fn assert_within_error(reported: Option<Duration>, exact_ns: u64) {
        let reported = reported
            .expect("a quantile of a non-empty histogram")
            .as_nanos() as f64;
        let exact = exact_ns as f64;
        let error = (reported - exact).abs() / exact.max(1.0);
        assert!(
            error <= WAIT_RELATIVE_ERROR,
            "reported {reported} ns for {exact} ns: relative error {error}"
        );
    }

    #[test]
    fn an_empty_histogram_reports_no_percentiles() {
        let stats = recorded(&[]);
        assert_eq!(stats.samples, 0);
        assert_eq!(
            (stats.p50, stats.p90, stats.p99, stats.max),
            (None, None, None, None)
        );
        assert_eq!(stats.buckets().count(), 0);
        assert_eq!(stats, WaitStats::default());
    }

    #[test]
    fn small_waits_are_exact() {
        let stats = recorded(&[0, 1, 7, 40, 64]);
        assert_eq!(stats.samples, 5);
        assert_eq!(stats.p50, Some(Duration::from_nanos(7)));
        assert_eq!(stats.max, Some(Duration::from_nanos(64)));
        assert_eq!(stats.quantile(0.0), Some(Duration::ZERO));
    }

    #[test]
    fn percentiles_of_known_waits_are_within_the_stated_error() {
        // 1 µs to 1 hour, log-spaced: every decade of the advertised range.
        let mut waits: Vec<u64> = (0..2_000)
            .map(|i| (1_000.0 * (3.6e9f64).powf(f64::from(i) / 1_999.0)) as u64)
            .collect();
        waits.sort_unstable();
        let stats = recorded(&waits);
        assert_eq!(stats.samples, 2_000);
        assert_within_error(stats.p50, exact_quantile(&waits, 0.5));
        assert_within_error(stats.p90, exact_quantile(&waits, 0.9));
        assert_within_error(stats.p99, exact_quantile(&waits, 0.99));
        assert_within_error(stats.max, *waits.last().unwrap());
        for q in [0.001, 0.1, 0.25, 0.75, 0.999] {
            assert_within_error(stats.quantile(q), exact_quantile(&waits, q));
        }
    }

    #[test]
    fn a_skewed_distribution_reports_its_tail() {
        // 990 waits of 2 ms and 10 of 1.5 s: p99 is still 2 ms, the max is the tail.
        let mut waits = vec![2_000_000u64; 990];
        waits.extend([1_500_000_000u64; 10]);
        let stats = recorded(&waits);
        assert_within_error(stats.p50, 2_000_000);
        assert_within_error(stats.p99, 2_000_000);
        assert_within_error(stats.quantile(0.995), 1_500_000_000);
        assert_within_error(stats.max, 1_500_000_000);
    }

    #[test]
    fn waits_beyond_the_range_count_as_the_largest_bucket() {
        let stats = recorded(&[u64::MAX, 5_000]);
        assert_eq!(stats.samples, 2);
        let max = stats.max.unwrap().as_nanos() as f64;
        let limit = MAX_RECORDED_NANOS as f64;
        assert!((max - limit).abs() / limit <= WAIT_RELATIVE_ERROR, "{max}");
    }

    #[test]
    fn invalid_quantiles_are_none() {
        let stats = recorded(&[10, 20]);
        assert_eq!(stats.quantile(1.5), None);
        assert_eq!(stats.quantile(-0.1), None);
        assert_eq!(stats.quantile(f64::NAN), None);
    }

    #[test]
    fn shards_merge_into_one_distribution() {
        let (a, b) = (WaitRecorder::new(), WaitRecorder::new());
        for nanos in 1..=500u64 {
            a.record(Duration::from_nanos(nanos * 1_000));
            b.record(Duration::from_nanos((nanos + 500) * 1_000));
        }
        let stats = WaitStats::from_recorders([&a, &b]);
        assert_eq!(stats.samples, 1_000);
        assert_within_error(stats.p50, 500_000);
        assert_within_error(stats.max, 1_000_000);
        let counted: u64 = stats.buckets().map(|(_, count)| count).sum();
        assert_eq!(counted, 1_000);
    }

    #[test]
    fn buckets_since_an_earlier_snapshot_hold_only_the_new_waits() {
        let recorder = WaitRecorder::new();
        recorder.record(Duration::from_millis(3));
        let earlier = WaitStats::from_recorders([&recorder]);
        recorder.record(Duration::from_millis(40));
        recorder.record(Duration::from_millis(40));
        let later = WaitStats::from_recorders([&recorder]);
        let fresh = later.buckets_since(&earlier).unwrap();
        assert_eq!(fresh.len(), 1);
        let (wait, count) = fresh[0];
        assert_eq!(count, 2);
        assert_within_error(Some(wait), 40_000_000);
        // Not an older snapshot: the earlier one counts a wait the later one lacks.
        assert_eq!(earlier.buckets_since(&later), None);
    }
}
