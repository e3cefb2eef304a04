//! What to tell a client whose enqueue was refused (ORCH-2007): retry or not, and when.
//!
//! [`Backpressure`] turns a refused enqueue into the `{policy_label, retriable,
//! retry_after_ms}` answer ([`RetryAdvice`]) from the queue's observed service rate and
//! depth. It reads no queue itself: feed it the dequeued count (for example
//! [`QueueStats::dequeued`](crate::stats::QueueStats::dequeued), feature `stats`), so it
//! works with the stats compiled out too.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::admission::{EnqueueErrorKind, Policy};

/// At most this many rate samples are kept; closer observations are merged.
const MAX_SAMPLES: u32 = 32;

/// The answer to a refused enqueue, ready for an HTTP 429 / 409 / 503 response.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RetryAdvice {
    /// The queue's full-queue policy: `"reject"` or `"drop-lru"`.
    pub policy_label: &'static str,
    /// `true` if the same request can succeed later: only a full queue
    /// ([`QueueFull`](EnqueueErrorKind::QueueFull)). A duplicate id is already queued
    /// (wait for it instead), and a closed queue stays closed.
    pub retriable: bool,
    /// How long to wait before retrying, when `retriable`.
    pub retry_after_ms: Option<u64>,
}

impl RetryAdvice {
    /// [`retry_after_ms`](Self::retry_after_ms) in whole seconds, rounded up, for an
    /// HTTP `Retry-After` header (which counts seconds).
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_ms.map(|ms| ms.div_ceil(1_000))
    }
}

/// Estimates when a refused client should retry, from the queue's recent service rate
/// and depth.
///
/// Feed it the queue's running count of dequeued jobs now and then (for example once a
/// second, from the same task that publishes metrics) with [`observe`](Self::observe);
/// it keeps the samples of the last [`window`](Self::with_window) (10 s by default) and
/// derives the service rate `r` (jobs per second) from the oldest and newest of them.
/// [`advise`](Self::advise) then answers a refusal:
///
/// * `QueueFull`: retriable, after `ceil(1000 * max(depth, 1) / r)` ms, the time the
///   workers need to serve the jobs queued now, so that a retry meets a queue that has
///   turned over instead of the same backlog; kept within the bounds
///   ([`with_bounds`](Self::with_bounds), 1 ms to 60 s by default).
/// * `QueueFull` before two observations exist (nothing known about the service yet):
///   the cold-start delay ([`with_cold_start`](Self::with_cold_start), 1 s by default).
/// * `QueueFull` when nothing at all was served over the window (workers stalled): the
///   upper bound.
/// * `DuplicateId`, `Closed`: not retriable, no delay.
///
/// Time is passed in, never read, so the estimate is testable with a scripted clock.
///
/// # Example
///
/// ```
/// use std::time::{Duration, Instant};
/// use orchestrator_core::queue::{EnqueueErrorKind, Policy};
/// use orchestrator_core::backpressure::Backpressure;
///
/// let mut backpressure = Backpressure::new(Policy::Reject);
/// let start = Instant::now();
/// backpressure.observe(start, 0);
/// backpressure.observe(start + Duration::from_secs(2), 400); // 200 jobs/s served
///
/// let advice = backpressure.advise(EnqueueErrorKind::QueueFull, 100);
/// assert_eq!(advice.policy_label, "reject");
/// assert!(advice.retriable);
/// assert_eq!(advice.retry_after_ms, Some(500)); // 100 queued jobs at 200 jobs/s
/// assert_eq!(advice.retry_after_secs(), Some(1));
/// ```
#[derive(Clone, Debug)]
pub struct Backpressure {
    policy: Policy,
    window: Duration,
    min_ms: u64,
    max_ms: u64,
    cold_start_ms: u64,
    /// `(when, dequeued so far)`, oldest first.
    samples: VecDeque<(Instant, u64)>,
}

impl Backpressure {
    /// An estimator for a queue with `policy`: 10 s window, 1 ms to 60 s bounds, 1 s
    /// cold-start delay.
    pub fn new(policy: Policy) -> Self {
        Backpressure {
            policy,
            window: Duration::from_secs(10),
            min_ms: 1,
            max_ms: 60_000,
            cold_start_ms: 1_000,
            samples: VecDeque::new(),
        }
    }

    /// Sets how far back the service rate looks (at least 1 ms).
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window.max(Duration::from_millis(1));
        self
    }

    /// Sets the smallest and largest `retry_after_ms` (swapped if given in the wrong
    /// order).
    pub fn with_bounds(mut self, min_ms: u64, max_ms: u64) -> Self {
        self.min_ms = min_ms.min(max_ms);
        self.max_ms = max_ms.max(min_ms);
        self
    }

    /// Sets the delay advised before anything is known about the service rate (kept
    /// within the bounds).
    pub fn with_cold_start(mut self, ms: u64) -> Self {
        self.cold_start_ms = ms;
        self
    }

    /// Records that `dequeued_total` jobs had been dequeued by `now` (a running count,
    /// such as [`QueueStats::dequeued`](crate::stats::QueueStats::dequeued)).
    ///
    /// An observation older than the newest one is ignored; a count lower than the
    /// newest one (a different or a new queue) starts the estimate afresh.
    pub fn observe(&mut self, now: Instant, dequeued_total: u64) {
        if let Some(&(newest_at, newest_count)) = self.samples.back() {
            if now < newest_at {
                return;
            }
            if dequeued_total < newest_count {
                self.samples.clear();
            }
        }
        // Keep samples at least window / MAX_SAMPLES apart (so at most about
        // MAX_SAMPLES of them): while the newest sample is closer than that to the one
        // before it, a newer observation replaces it.
        let spacing = self.window / MAX_SAMPLES;
        let len = self.samples.len();
        if len >= 2
            && self.samples[len - 1]
                .0
                .duration_since(self.samples[len - 2].0)
                < spacing
        {
            self.samples[len - 1] = (now, dequeued_total);
        } else {
            self.samples.push_back((now, dequeued_total));
        }
        // Drop samples that left the window, keeping one at or before its start.
        while self.samples.len() > 2 && self.samples[1].0 + self.window <= now {
            self.samples.pop_front();
        }
    }

    /// The service rate over the window, in jobs per second; `None` until two
    /// observations at different instants exist.
    pub fn service_rate(&self) -> Option<f64> {
        let (&(first_at, first_count), &(last_at, last_count)) =
            (self.samples.front()?, self.samples.back()?);
        let span = last_at.duration_since(first_at).as_secs_f64();
        if span <= 0.0 {
            return None;
        }
        Some((last_count - first_count) as f64 / span)
    }

    /// The advice for an enqueue refused with `kind` while `depth` jobs were queued
    /// (the queue's `len()`).
    pub fn advise(&self, kind: EnqueueErrorKind, depth: usize) -> RetryAdvice {
        let retriable = kind == EnqueueErrorKind::QueueFull;
        RetryAdvice {
            policy_label: self.policy.as_str(),
            retriable,
            retry_after_ms: retriable.then(|| self.retry_after_ms(depth)),
        }
    }

    fn retry_after_ms(&self, depth: usize) -> u64 {
        let ms = match self.service_rate() {
            None => self.cold_start_ms,
            Some(rate) if rate <= 0.0 => self.max_ms,
            Some(rate) => {
                let ms = (1_000.0 * depth.max(1) as f64 / rate).ceil();
                // `as` saturates: a huge estimate becomes u64::MAX, then the bound.
                ms as u64
            }
        };
        ms.clamp(self.min_ms, self.max_ms)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn only_a_full_queue_is_retriable() {
        let backpressure = Backpressure::new(Policy::DropLru);
        for (kind, retriable) in [
            (EnqueueErrorKind::QueueFull, true),
            (EnqueueErrorKind::DuplicateId, false),
            (EnqueueErrorKind::Closed, false),
        ] {
            let advice = backpressure.advise(kind, 10);
            assert_eq!(advice.policy_label, "drop-lru");
            assert_eq!(advice.retriable, retriable, "{kind:?}");
            assert_eq!(advice.retry_after_ms.is_some(), retriable, "{kind:?}");
        }
        assert_eq!(
            Backpressure::new(Policy::Reject)
                .advise(EnqueueErrorKind::Closed, 0)
                .policy_label,
            "reject"
        );
    }

    #[test]
    fn before_any_service_is_known_the_cold_start_delay_is_advised() {
        let start = Instant::now();
        let mut backpressure = Backpressure::new(Policy::Reject).with_cold_start(750);
        assert_eq!(backpressure.service_rate(), None);
        assert_eq!(
            backpressure
                .advise(EnqueueErrorKind::QueueFull, 5)
                .retry_after_ms,
            Some(750)
        );
        // One observation is not a rate, nor are two at the same instant.
        backpressure.observe(start, 10);
        backpressure.observe(start, 10);
        assert_eq!(backpressure.service_rate(), None);
        assert_eq!(
            backpressure
                .advise(EnqueueErrorKind::QueueFull, 5)
                .retry_after_ms,
            Some(750)
        );
    }

    #[test]
    fn the_delay_is_the_time_to_serve_the_depth() {
        let start = Instant::now();
        let mut backpressure = Backpressure::new(Policy::Reject);
        backpressure.observe(start, 1_000);
        backpressure.observe(at(start, 500), 1_250); // 250 jobs in 0.5 s
        assert_eq!(backpressure.service_rate(), Some(500.0));
        let full = |depth| {
            backpressure
                .advise(EnqueueErrorKind::QueueFull, depth)
                .retry_after_ms
        };
        assert_eq!(full(1_000), Some(2_000));
        assert_eq!(full(3), Some(6));
        // 1 job at 500 jobs/s: 2 ms; depth 0 counts as 1.
        assert_eq!(full(0), Some(2));
    }

    #[test]
    fn the_delay_stays_within_the_bounds() {
        let start = Instant::now();
        let mut fast = Backpressure::new(Policy::Reject).with_bounds(5, 100);
        fast.observe(start, 0);
        fast.observe(at(start, 1_000), 1_000_000);
        assert_eq!(
            fast.advise(EnqueueErrorKind::QueueFull, 1).retry_after_ms,
            Some(5)
        );
        let mut slow = Backpressure::new(Policy::Reject).with_bounds(100, 5);
        slow.observe(start, 0);
        slow.observe(at(start, 1_000), 1);
        assert_eq!(
            slow.advise(EnqueueErrorKind::QueueFull, 1_000_000)
                .retry_after_ms,
            Some(100)
        );
        // The cold-start delay is bounded too.
        let cold = Backpressure::new(Policy::Reject)
            .with_bounds(10, 20)
            .with_cold_start(1);
        assert_eq!(
            cold.advise(EnqueueErrorKind::QueueFull, 1).retry_after_ms,
            Some(10)
        );
    }

    #[test]
    fn stalled_workers_get_the_upper_bound() {
        let start = Instant::now();
        let mut backpressure = Backpressure::new(Policy::Reject).with_bounds(1, 30_000);
        backpressure.observe(start, 42);
        backpressure.observe(at(start, 10_000), 42);
        assert_eq!(backpressure.service_rate(), Some(0.0));
        assert_eq!(
            backpressure
                .advise(EnqueueErrorKind::QueueFull, 8)
                .retry_after_ms,
            Some(30_000)
        );
    }

    #[test]
    fn the_rate_follows_the_recent_window() {
        let start = Instant::now();
        let mut backpressure =
            Backpressure::new(Policy::Reject).with_window(Duration::from_secs(10));
        // 100 jobs/s for 30 s, then 10 jobs/s for 20 s, observed every 100 ms.
        let mut served = 0;
        for tick in 0..=500u64 {
            if tick > 0 {
                served += if tick <= 300 { 10 } else { 1 };
            }
            backpressure.observe(at(start, tick * 100), served);
        }
        let rate = backpressure.service_rate().unwrap();
        assert!((rate - 10.0).abs() < 1.0, "rate {rate}");
        // Samples in the window, one before it and the newest.
        assert!(backpressure.samples.len() <= MAX_SAMPLES as usize + 3);
    }

    #[test]
    fn a_lower_count_starts_afresh_and_an_older_instant_is_ignored() {
        let start = Instant::now();
        let mut backpressure = Backpressure::new(Policy::Reject);
        backpressure.observe(start, 500);
        backpressure.observe(at(start, 1_000), 600);
        assert_eq!(backpressure.service_rate(), Some(100.0));
        backpressure.observe(at(start, 500), 10_000); // older than the newest: ignored
        assert_eq!(backpressure.service_rate(), Some(100.0));
        backpressure.observe(at(start, 2_000), 0); // a new queue
        assert_eq!(backpressure.service_rate(), None);
        backpressure.observe(at(start, 4_000), 50);
        assert_eq!(backpressure.service_rate(), Some(25.0));
    }

    #[test]
    fn retry_after_secs_rounds_up() {
        let start = Instant::now();
        let mut backpressure = Backpressure::new(Policy::Reject);
        backpressure.observe(start, 0);
        backpressure.observe(at(start, 1_000), 1_000);
        let advice = backpressure.advise(EnqueueErrorKind::QueueFull, 1_001);
        assert_eq!(advice.retry_after_ms, Some(1_001));
        assert_eq!(advice.retry_after_secs(), Some(2));
        let refused = backpressure.advise(EnqueueErrorKind::Closed, 0);
        assert_eq!(refused.retry_after_secs(), None);
    }
}
