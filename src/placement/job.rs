//! `JobSpec` and `JobRequirements`: what a job needs from a pool.

use super::{ComputeCapability, DeviceMask};
use crate::admission::Priority;

/// The job to place.
///
/// Every figure is an integer, so a job cannot carry NaN or negative numbers; what can
/// still be wrong with a job (empty ids, a VRAM need above `u64::MAX`) makes
/// [`place`](super::place) return
/// [`PlacementDecision::InvalidJob`](super::PlacementDecision::InvalidJob).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct JobSpec {
    /// The job's priority. Placement does not rank by it (the queue already ordered the
    /// jobs); it is carried so that one value describes the job end to end.
    pub priority: Priority,
    /// The serving engine the job needs, e.g. `"vllm"`; must be non-empty.
    pub engine: String,
    /// The model the job needs loaded; must be non-empty.
    pub model_id: String,
    /// How many tokens the job is expected to generate; `None` when unknown (the token
    /// term then drops out of every pool's score, see the module docs, \[P2\]).
    pub expected_output_tokens: Option<u32>,
    /// The context length the job needs, in tokens. The snapshot has no context limit to
    /// check it against; it reaches placement through `est_kv_bytes`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub required_context_tokens: u32,
    /// Estimated KV-cache bytes the job will take in the pool's VRAM.
    #[cfg_attr(feature = "serde", serde(default))]
    pub est_kv_bytes: u64,
    /// The client session, for KV-cache affinity; must be non-empty when present.
    pub session_id: Option<String>,
    /// Hard requirements on the pool.
    #[cfg_attr(feature = "serde", serde(default))]
    pub requirements: JobRequirements,
    /// The devices the job may use; `None` allows every device.
    pub device_mask: Option<DeviceMask>,
}

/// Hard requirements a pool must meet to take a job (\[P1\]).
///
/// The default requires nothing beyond the job's engine, model, slot and KV bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default)
)]
pub struct JobRequirements {
    /// VRAM, in bytes, that must stay free after the job's `est_kv_bytes` are taken:
    /// a pool fits when `vram_free_bytes - est_kv_bytes >= min_vram_bytes`.
    pub min_vram_bytes: u64,
    /// A quantization the pool must list in its `quantizations`; non-empty when present.
    pub quantization: Option<String>,
    /// The lowest acceptable compute capability, compared numerically.
    pub min_compute_capability: Option<ComputeCapability>,
    /// Extensions the pool must all list in its `extensions`; each non-empty.
    pub required_extensions: Vec<String>,
}
