//! `PoolSnapshot`: what a pool manager reports about one GPU pool.

use super::{ComputeCapability, DeviceMask};

/// A point-in-time report of one GPU pool, as a pool manager sends it.
///
/// Nothing here is trusted: [`place`](super::place) checks every figure and turns a bad
/// one into [`Infeasible::InvalidSnapshot`](super::Infeasible::InvalidSnapshot) for this
/// pool (\[P5\]). Counts and byte sizes are unsigned, so they cannot be negative; with the
/// `serde` feature a negative integer there is a deserialization error.
///
/// The three timing figures are `Option`s: `None` means the pool manager has no
/// estimate yet, and the pool's predicted end is then
/// [`PredictedEnd::Unknown`](super::PredictedEnd::Unknown) (see the module docs, \[P2\]).
///
/// With the `serde` feature, the list fields, `engine_version` and `device_mask` may be
/// left out of the JSON (they default to empty), the `Option` fields may be left out or
/// `null`, and unknown fields are ignored so that pool managers can add fields first.
/// JSON has no NaN or infinity: `serde_json` writes them as `null`, which reads back as
/// `None` (unknown), not as an invalid figure.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PoolSnapshot {
    /// The pool's id; must be non-empty and unique among the snapshots given together.
    pub id: String,
    /// The serving engine, e.g. `"vllm"`; must equal the job's engine exactly.
    pub engine: String,
    /// The engine's version; reported in logs, not used for placement.
    #[cfg_attr(feature = "serde", serde(default))]
    pub engine_version: String,
    /// Whether the pool accepts work now.
    pub ready: bool,
    /// The GPU devices the pool runs on.
    #[cfg_attr(feature = "serde", serde(default))]
    pub device_mask: DeviceMask,
    /// Ids of the models loaded in the pool.
    #[cfg_attr(feature = "serde", serde(default))]
    pub loaded_models: Vec<String>,
    /// Job slots in the pool.
    pub slots_total: u32,
    /// Job slots free now; must not exceed `slots_total`.
    pub slots_free: u32,
    /// Total VRAM of the pool, in bytes.
    pub vram_total_bytes: u64,
    /// Free VRAM of the pool, in bytes; must not exceed `vram_total_bytes`.
    pub vram_free_bytes: u64,
    /// The compute capability of the pool's GPUs (serialized as `"8.6"`).
    pub compute_capability: ComputeCapability,
    /// Quantizations the pool can serve, e.g. `"fp16"`, `"awq"`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub quantizations: Vec<String>,
    /// Engine extensions the pool supports, e.g. `"lora"`, `"speculative"`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub extensions: Vec<String>,
    /// Decode throughput in tokens per second; finite and positive when known.
    pub perf_tokens_per_s: Option<f64>,
    /// Time to the first token in milliseconds; finite and non-negative when known.
    pub first_token_ms: Option<f64>,
    /// Estimated wait before the pool admits a new job, in milliseconds; finite and
    /// non-negative when known.
    pub admission_latency_ms: Option<f64>,
    /// Session ids whose KV cache is warm in this pool.
    #[cfg_attr(feature = "serde", serde(default))]
    pub warm_kv_sessions: Vec<String>,
}
