//! The simulated GPU pools: their slots, VRAM and warm sessions, the snapshots that
//! `placement::place` reads, and a tally of its decisions.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

use orchestrator_core::placement::{
    place, ComputeCapability, DeviceMask, Infeasible, InvalidJobField, JobSpec, PlacementDecision,
    PlacementTrace, PoolSnapshot, Verdict,
};

use super::Millis;

/// A GPU pool's fixed description.
#[derive(Debug)]
pub struct PoolSpec {
    /// The pool id placement reports.
    pub id: &'static str,
    /// What it runs on, for the report.
    pub gpu: &'static str,
    /// Jobs it runs at once.
    pub slots: u32,
    /// The devices it runs on.
    pub devices: DeviceMask,
    /// Total VRAM, GiB.
    pub vram_gib: u64,
    /// VRAM taken by the loaded model weights, GiB; the rest is for KV caches.
    pub weights_gib: u64,
    /// The models it serves.
    pub models: &'static [&'static str],
    /// Compute capability of its GPUs.
    pub compute_capability: ComputeCapability,
    /// Decode speed per job, tokens per second.
    pub tokens_per_s: f64,
    /// Time to the first token, ms.
    pub first_token_ms: f64,
    /// The pool manager's estimate of the wait before a job starts, ms.
    pub admission_latency_ms: f64,
}

/// The pools of the demo: two identical H100 pools (so that placement's tie-breakers
/// decide between them), and two slower pools that serve only the small model.
pub const POOLS: [PoolSpec; 4] = [
    PoolSpec {
        id: "h100-a",
        gpu: "H100 80GB",
        slots: 4,
        devices: DeviceMask(0b0001),
        vram_gib: 80,
        weights_gib: 56,
        models: &["llama-3-8b", "llama-3-70b"],
        compute_capability: ComputeCapability::new(9, 0),
        tokens_per_s: 110.0,
        first_token_ms: 150.0,
        admission_latency_ms: 20.0,
    },
    PoolSpec {
        id: "h100-b",
        gpu: "H100 80GB",
        slots: 4,
        devices: DeviceMask(0b0010),
        vram_gib: 80,
        weights_gib: 56,
        models: &["llama-3-8b", "llama-3-70b"],
        compute_capability: ComputeCapability::new(9, 0),
        tokens_per_s: 110.0,
        first_token_ms: 150.0,
        admission_latency_ms: 20.0,
    },
    PoolSpec {
        id: "a100",
        gpu: "A100 40GB",
        slots: 2,
        devices: DeviceMask(0b0100),
        vram_gib: 40,
        weights_gib: 16,
        models: &["llama-3-8b"],
        compute_capability: ComputeCapability::new(8, 0),
        tokens_per_s: 70.0,
        first_token_ms: 250.0,
        admission_latency_ms: 20.0,
    },
    PoolSpec {
        id: "l40s",
        gpu: "L40S 48GB",
        slots: 2,
        devices: DeviceMask(0b1000),
        vram_gib: 48,
        weights_gib: 16,
        models: &["llama-3-8b"],
        compute_capability: ComputeCapability::new(8, 9),
        tokens_per_s: 55.0,
        first_token_ms: 300.0,
        admission_latency_ms: 20.0,
    },
];

/// How many sessions a pool keeps warm (most recent first).
const WARM_SESSIONS_PER_POOL: usize = 6;

const GIB: u64 = 1 << 30;

/// What placement decided for one job, as the fleet applied it.
#[derive(Debug)]
pub enum Placement {
    /// The job took a slot in `pool` and runs for `run_ms`.
    Assigned {
        /// Index of the pool in the fleet.
        pool: usize,
        /// How long it runs there.
        run_ms: Millis,
    },
    /// No pool can take it now, but one could once slots free up.
    Deferred {
        /// The pools' reasons, e.g. `no free slot / model not loaded`.
        why: String,
    },
    /// No pool could take it even with every slot free.
    Unplaceable {
        /// The pools' reasons.
        why: String,
    },
    /// The job itself is malformed.
    Invalid(InvalidJobField),
}

/// Per pool: how its verdicts went in the decisions that assigned a job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolTally {
    /// Jobs it won, by the ranking level that decided (`decided_by`).
    pub won_on: BTreeMap<&'static str, u64>,
    /// Jobs it won that had their session's KV cache warm there.
    pub kv_warm: u64,
    /// Decisions in which it was feasible but ranked below the winner.
    pub outranked: u64,
    /// Decisions in which it could not take the job, by reason.
    pub infeasible: BTreeMap<&'static str, u64>,
}

/// The live state of the simulated pools. (Not the library's `placement::Fleet`, a
/// prepared set of pool snapshots: this one runs jobs and calls `placement::place`.)
#[derive(Debug)]
pub struct SimFleet {
    pools: Vec<PoolState>,
    tally: Vec<PoolTally>,
}

#[derive(Debug)]
struct PoolState {
    spec: &'static PoolSpec,
    busy_slots: u32,
    kv_in_use_bytes: u64,
    /// Most recent first.
    warm_sessions: VecDeque<String>,
}

impl SimFleet {
    /// The pools of `specs`, every slot free, no session warm.
    pub fn new(specs: &'static [PoolSpec]) -> Self {
        let pools = specs
            .iter()
            .map(|spec| PoolState {
                spec,
                busy_slots: 0,
                kv_in_use_bytes: 0,
                warm_sessions: VecDeque::new(),
            })
            .collect();
        Self {
            pools,
            tally: vec![PoolTally::default(); specs.len()],
        }
    }

    /// Whether some pool has a free slot.
    pub fn has_free_slot(&self) -> bool {
        self.pools
            .iter()
            .any(|pool| pool.busy_slots < pool.spec.slots)
    }

    /// Places `job` with `placement::place` on the pools' current snapshots and, when
    /// it is assigned, takes a slot and the job's KV bytes in the chosen pool.
    pub fn place(&mut self, job: &JobSpec) -> Placement {
        match place(job, &self.snapshots()) {
            PlacementDecision::Assigned(assignment) => {
                self.count(&assignment.trace);
                let pool = self.index_of(&assignment.pool_id);
                let state = &mut self.pools[pool];
                state.busy_slots += 1;
                state.kv_in_use_bytes += job.est_kv_bytes;
                Placement::Assigned {
                    pool,
                    run_ms: run_time(state.spec, job),
                }
            }
            // Would the job fit if every slot were free? Then it waits; else it never fits.
            PlacementDecision::NoCapacity { trace } => match place(job, &self.idle_snapshots()) {
                PlacementDecision::Assigned(_) => Placement::Deferred {
                    why: reasons(&trace),
                },
                on_idle_fleet => Placement::Unplaceable {
                    why: on_idle_fleet.trace().map_or_else(String::new, reasons),
                },
            },
            PlacementDecision::InvalidJob { field } => Placement::Invalid(field),
        }
    }

    /// `job` finished in `pool`: frees its slot and KV bytes, and keeps its session warm.
    pub fn release(&mut self, pool: usize, job: &JobSpec) {
        let state = &mut self.pools[pool];
        state.busy_slots -= 1;
        state.kv_in_use_bytes -= job.est_kv_bytes;
        if let Some(session) = &job.session_id {
            state.warm_sessions.retain(|warm| warm != session);
            state.warm_sessions.push_front(session.clone());
            state.warm_sessions.truncate(WARM_SESSIONS_PER_POOL);
        }
    }

    /// The tally of placement verdicts, per pool in fleet order.
    pub fn into_tally(self) -> Vec<PoolTally> {
        self.tally
    }

    fn snapshots(&self) -> Vec<PoolSnapshot> {
        self.pools.iter().map(PoolState::snapshot).collect()
    }

    /// Snapshots of the same pools with every slot free, no KV in use and nothing warm:
    /// can the job run here at all?
    fn idle_snapshots(&self) -> Vec<PoolSnapshot> {
        self.pools
            .iter()
            .map(|pool| {
                let mut snapshot = pool.snapshot();
                snapshot.slots_free = snapshot.slots_total;
                snapshot.vram_free_bytes = (pool.spec.vram_gib - pool.spec.weights_gib) * GIB;
                snapshot.warm_kv_sessions.clear();
                snapshot
            })
            .collect()
    }

    fn index_of(&self, pool_id: &str) -> usize {
        self.pools
            .iter()
            .position(|pool| pool.spec.id == pool_id)
            .expect("placement chose a pool it was given")
    }

    /// Adds each pool's verdict in an assigning decision to its tally. The trace lists
    /// the pools in the order the snapshots were given: the fleet's order.
    fn count(&mut self, trace: &PlacementTrace) {
        for (tally, entry) in self.tally.iter_mut().zip(trace.entries()) {
            match entry.verdict {
                Verdict::Chosen {
                    candidate,
                    decided_by,
                } => {
                    *tally.won_on.entry(decided_by.as_str()).or_default() += 1;
                    tally.kv_warm += u64::from(candidate.kv_warm);
                }
                Verdict::Outranked { .. } => tally.outranked += 1,
                Verdict::Infeasible(reason) => {
                    *tally.infeasible.entry(reason_label(reason)).or_default() += 1;
                }
            }
        }
    }
}

impl PoolState {
    /// What the pool manager would report now.
    fn snapshot(&self) -> PoolSnapshot {
        let spec = self.spec;
        let kv_budget = (spec.vram_gib - spec.weights_gib) * GIB;
        PoolSnapshot {
            id: spec.id.into(),
            engine: "vllm".into(),
            engine_version: "0.6".into(),
            ready: true,
            device_mask: spec.devices,
            loaded_models: spec.models.iter().map(|&model| model.into()).collect(),
            slots_total: spec.slots,
            slots_free: spec.slots - self.busy_slots,
            vram_total_bytes: spec.vram_gib * GIB,
            vram_free_bytes: kv_budget - self.kv_in_use_bytes,
            compute_capability: spec.compute_capability,
            quantizations: vec!["fp16".into(), "fp8".into()],
            extensions: Vec::new(),
            perf_tokens_per_s: Some(spec.tokens_per_s),
            first_token_ms: Some(spec.first_token_ms),
            admission_latency_ms: Some(spec.admission_latency_ms),
            warm_kv_sessions: self.warm_sessions.iter().cloned().collect(),
        }
    }
}

/// How long `job` runs on a pool: first token, then its tokens at the pool's speed.
fn run_time(spec: &PoolSpec, job: &JobSpec) -> Millis {
    let tokens = f64::from(job.expected_output_tokens.unwrap_or(0));
    (spec.first_token_ms + tokens / spec.tokens_per_s * 1000.0).ceil() as Millis
}

/// The distinct reasons in a trace, sorted: `model not loaded / no free slot`.
fn reasons(trace: &PlacementTrace) -> String {
    let mut labels: Vec<&'static str> = (trace.entries())
        .filter_map(|entry| match entry.verdict {
            Verdict::Infeasible(reason) => Some(reason_label(reason)),
            _ => None,
        })
        .collect();
    labels.sort_unstable();
    labels.dedup();
    labels.join(" / ")
}

/// A short, stable label for why a pool cannot take a job (the numbers are left out).
pub fn reason_label(reason: &Infeasible) -> &'static str {
    match reason {
        Infeasible::InvalidSnapshot { .. } => "invalid snapshot",
        Infeasible::NotReady => "not ready",
        Infeasible::DeviceMaskViolated { .. } => "device mask",
        Infeasible::EngineMismatch => "other engine",
        Infeasible::ModelNotLoaded => "model not loaded",
        Infeasible::NoFreeSlot => "no free slot",
        Infeasible::InsufficientVram { .. } => "not enough VRAM",

        Infeasible::ComputeCapabilityTooLow { .. } => "compute capability too low",
        Infeasible::QuantizationUnsupported => "quantization unsupported",
        Infeasible::MissingExtension { .. } => "missing extension",
        // `Infeasible` is non-exhaustive: a reason added later is still counted.
        _ => "other reason",
    }
}

/// The fleet shared by the worker threads: a mutex, and a condition variable signaled
/// when a slot frees up, for workers that wait for one.
#[derive(Debug)]
pub struct SharedSimFleet {
    fleet: Mutex<SimFleet>,
    slot_freed: Condvar,
}

impl SharedSimFleet {
    /// Shares `fleet`.
    pub fn new(fleet: SimFleet) -> Self {
        Self {
            fleet: Mutex::new(fleet),
            slot_freed: Condvar::new(),
        }
    }

    /// Locks the fleet.
    pub fn lock(&self) -> MutexGuard<'_, SimFleet> {
        self.fleet
            .lock()
            .expect("a worker panicked holding the fleet")
    }

    /// Releases `guard` until a slot frees up (or a spurious wake-up), then relocks.
    pub fn wait_for_slot<'a>(&self, guard: MutexGuard<'a, SimFleet>) -> MutexGuard<'a, SimFleet> {
        self.slot_freed
            .wait(guard)
            .expect("a worker panicked holding the fleet")
    }

    /// [`SimFleet::release`], then wakes the workers waiting for a slot.
    pub fn release(&self, pool: usize, job: &JobSpec) {
        self.lock().release(pool, job);
        self.slot_freed.notify_all();
    }

    /// The fleet, once every worker is done with it.
    pub fn into_inner(self) -> SimFleet {
        self.fleet
            .into_inner()
            .expect("a worker panicked holding the fleet")
    }
}
