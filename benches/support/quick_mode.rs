//! The quick mode shared by the benches (`cancel`, `placement`, `snapshot`,
//! `throughput`; each includes this file with `#[path]`): `BENCH_QUICK=1` (any value but empty or `0`)
//! shortens warm-up and measurement so that `BENCH_QUICK=1 cargo bench` samples the whole
//! suite in under three minutes on a 2-core machine.

use std::time::Duration;

use criterion::Criterion;

/// `true` when `BENCH_QUICK` asks for the quick mode.
pub fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `base` with the warm-up and measurement times of the mode: 0.3 s and 0.7 s quick,
/// 1 s and 3 s otherwise.
pub fn timed(base: Criterion) -> Criterion {
    if quick() {
        base.warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_millis(700))
    } else {
        base.warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
    }
}
