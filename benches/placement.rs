//! Cost of `placement::place` against the number of pools (goal: at most 20 µs at
//! 1 000 pools), and of the prepared variant: `Fleet::place` per job (`fleet_place/*`)
//! and, separately, `Fleet::new` per snapshot update (`fleet_new/*`), on the same fleets.
//!
//! Two fleets per size: `mixed` (about a third of the pools are infeasible for
//! assorted reasons, the rest are ranked) and `all_feasible` (every pool is ranked and
//! scores tie often, so the tie-breakers run: the slow path of the ranking).
//!
//! Run with `cargo bench --bench placement`; `BENCH_QUICK=1` shortens it as it does the
//! other benches (the full run keeps criterion's defaults, as published in BENCHMARKS.md).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use orchestrator_core::placement::{
    place, ComputeCapability, DeviceMask, Fleet, JobRequirements, JobSpec, PoolSnapshot,
};
use orchestrator_core::queue::Priority;

#[path = "support/quick_mode.rs"]
mod quick_mode;

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
const GIB: u64 = 1 << 30;

/// A deterministic pseudo-random sequence (no extra dependency): SplitMix64.
struct Mix(u64);

impl Mix {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % bound
    }
}

fn fleet(pools: usize, all_feasible: bool) -> Vec<PoolSnapshot> {
    let mut mix = Mix(pools as u64);
    (0..pools)
        .map(|i| {
            let slots_total = 8;
            let mut pool = PoolSnapshot {
                id: format!("pool-{i:05}"),
                engine: "vllm".into(),
                engine_version: "0.6.3".into(),
                ready: true,
                device_mask: DeviceMask(0b11 << (2 * (i % 4))),
                loaded_models: vec!["mistral-7b".into(), "llama-3-8b".into()],
                slots_total,
                slots_free: 1 + mix.next(u64::from(slots_total)) as u32,
                vram_total_bytes: 80 * GIB,
                vram_free_bytes: (8 + mix.next(32)) * GIB,
                compute_capability: ComputeCapability::new(8 + mix.next(2) as u32, 0),
                quantizations: vec!["fp16".into(), "awq".into()],
                extensions: vec!["lora".into()],
                perf_tokens_per_s: Some([40.0, 50.0, 80.0][mix.next(3) as usize]),
                first_token_ms: Some(100.0 * mix.next(3) as f64),
                admission_latency_ms: Some(50.0 * mix.next(4) as f64),
                warm_kv_sessions: if mix.next(50) == 0 {
                    vec!["chat-42".into()]
                } else {
                    vec![]
                },
            };
            if !all_feasible {
                match mix.next(12) {
                    0 => pool.ready = false,
                    1 => pool.loaded_models = vec!["mixtral-8x7b".into()],
                    2 => pool.slots_free = 0,
                    3 => pool.vram_free_bytes = GIB / 2,
                    4 => pool.perf_tokens_per_s = None,
                    _ => {}
                }
            }
            pool
        })
        .collect()
}

fn job() -> JobSpec {
    JobSpec {
        priority: Priority::Interactive,
        engine: "vllm".into(),
        model_id: "llama-3-8b".into(),
        expected_output_tokens: Some(200),
        required_context_tokens: 8192,
        est_kv_bytes: 2 * GIB,
        session_id: Some("chat-42".into()),
        requirements: JobRequirements {
            min_vram_bytes: GIB,
            quantization: Some("awq".into()),
            min_compute_capability: Some(ComputeCapability::new(8, 0)),
            required_extensions: vec!["lora".into()],
        },
        device_mask: None,
    }
}

fn bench_place(c: &mut Criterion) {
    let job = job();
    for (name, all_feasible) in [("mixed", false), ("all_feasible", true)] {
        let mut group = c.benchmark_group(format!("place/{name}"));
        for pools in SIZES {
            let fleet = fleet(pools, all_feasible);
            group.throughput(Throughput::Elements(pools as u64));
            group.bench_with_input(BenchmarkId::from_parameter(pools), &fleet, |b, fleet| {
                b.iter(|| place(black_box(&job), black_box(fleet)))
            });
        }
        group.finish();
    }
}

fn bench_fleet(c: &mut Criterion) {
    let job = job();
    for (name, all_feasible) in [("mixed", false), ("all_feasible", true)] {
        let mut group = c.benchmark_group(format!("fleet_place/{name}"));
        for pools in SIZES {
            let prepared = Fleet::new(&fleet(pools, all_feasible));
            group.throughput(Throughput::Elements(pools as u64));
            group.bench_with_input(BenchmarkId::from_parameter(pools), &prepared, |b, p| {
                b.iter(|| black_box(p).place(black_box(&job)))
            });
        }
        group.finish();
    }
    for (name, all_feasible) in [("mixed", false), ("all_feasible", true)] {
        let mut group = c.benchmark_group(format!("fleet_new/{name}"));
        for pools in SIZES {
            let fleet = fleet(pools, all_feasible);
            group.throughput(Throughput::Elements(pools as u64));
            group.bench_with_input(BenchmarkId::from_parameter(pools), &fleet, |b, fleet| {
                b.iter(|| Fleet::new(black_box(fleet)))
            });
        }
        group.finish();
    }
}

/// Criterion's defaults, shortened in the quick mode.
fn config() -> Criterion {
    if quick_mode::quick() {
        quick_mode::timed(Criterion::default())
    } else {
        Criterion::default()
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_place, bench_fleet
}
criterion_main!(benches);
