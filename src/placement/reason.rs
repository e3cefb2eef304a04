//! Why a pool cannot take a job, and why a snapshot or a job is malformed.

use std::fmt;

use super::{ComputeCapability, DeviceMask};

/// Why a pool cannot take the job (\[P1\], \[P5\]).
///
/// A pool gets the first reason that applies, checked in the order of the variants.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Infeasible {
    /// The snapshot itself is malformed (\[P5\]); `field` says what is wrong.
    InvalidSnapshot {
        /// The malformed field.
        field: InvalidField,
    },
    /// The pool reports `ready: false`.
    NotReady,
    /// The pool runs on a device the job's device mask does not allow.
    DeviceMaskViolated {
        /// The pool's devices.
        pool: DeviceMask,
        /// The devices the job allows.
        allowed: DeviceMask,
    },
    /// The pool runs another engine.
    EngineMismatch,
    /// The job's model is not among the pool's loaded models.
    ModelNotLoaded,
    /// The pool has no free slot.
    NoFreeSlot,
    /// Free VRAM is below `est_kv_bytes + min_vram_bytes`.
    InsufficientVram {
        /// The pool's free VRAM, in bytes.
        free_bytes: u64,
        /// What the job needs free: `est_kv_bytes + min_vram_bytes`.
        needed_bytes: u64,
    },
    /// The pool's compute capability is below the job's minimum.
    ComputeCapabilityTooLow {
        /// The pool's capability.
        pool: ComputeCapability,
        /// The job's minimum.
        required: ComputeCapability,
    },
    /// The pool does not list the job's quantization.
    QuantizationUnsupported,
    /// The pool lacks a required extension (the first missing one, in the job's order).
    MissingExtension {
        /// The missing extension.
        extension: String,
    },
}

impl fmt::Display for Infeasible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSnapshot { field } => write!(f, "invalid snapshot: {field}"),
            Self::NotReady => f.write_str("pool is not ready"),
            Self::DeviceMaskViolated { pool, allowed } => write!(
                f,
                "pool devices {pool} are not all within the job's allowed devices {allowed}"
            ),
            Self::EngineMismatch => f.write_str("engine differs from the job's"),
            Self::ModelNotLoaded => f.write_str("model not loaded"),
            Self::NoFreeSlot => f.write_str("no free slot"),
            Self::InsufficientVram {
                free_bytes,
                needed_bytes,
            } => write!(
                f,
                "vram_free {free_bytes} B < est_kv_bytes + min_vram {needed_bytes} B"
            ),
            Self::ComputeCapabilityTooLow { pool, required } => {
                write!(f, "compute capability {pool} < required {required}")
            }
            Self::QuantizationUnsupported => f.write_str("quantization not supported"),
            Self::MissingExtension { extension } => {
                write!(f, "missing required extension {extension:?}")
            }
        }
    }
}

/// The malformed field of a [`PoolSnapshot`](super::PoolSnapshot) (\[P5\]).
///
/// Checked in the order of the variants; a pool reports the first one that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum InvalidField {
    /// `id` is empty.
    EmptyId,
    /// Another snapshot in the same call has the same `id`. Every pool sharing an id
    /// gets this reason, so the outcome does not depend on the order of the pools.
    DuplicateId,
    /// `engine` is empty.
    EmptyEngine,
    /// `slots_free > slots_total`.
    SlotsFreeAboveTotal,
    /// `vram_free_bytes > vram_total_bytes`.
    VramFreeAboveTotal,
    /// `perf_tokens_per_s` is NaN, infinite, zero or negative.
    PerfTokensPerS,
    /// `first_token_ms` is NaN, infinite or negative.
    FirstTokenMs,
    /// `admission_latency_ms` is NaN, infinite or negative.
    AdmissionLatencyMs,
}

impl InvalidField {
    /// The name of the snapshot field at fault, as in [`PoolSnapshot`](super::PoolSnapshot).
    pub const fn field_name(self) -> &'static str {
        match self {
            Self::EmptyId | Self::DuplicateId => "id",
            Self::EmptyEngine => "engine",
            Self::SlotsFreeAboveTotal => "slots_free",
            Self::VramFreeAboveTotal => "vram_free_bytes",
            Self::PerfTokensPerS => "perf_tokens_per_s",
            Self::FirstTokenMs => "first_token_ms",
            Self::AdmissionLatencyMs => "admission_latency_ms",
        }
    }
}

impl fmt::Display for InvalidField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.field_name();
        match self {
            Self::EmptyId | Self::EmptyEngine => write!(f, "{name} is empty"),
            Self::DuplicateId => write!(f, "{name} is shared with another pool"),
            Self::SlotsFreeAboveTotal => write!(f, "{name} exceeds slots_total"),
            Self::VramFreeAboveTotal => write!(f, "{name} exceeds vram_total_bytes"),
            Self::PerfTokensPerS => write!(f, "{name} is not a finite positive number"),
            Self::FirstTokenMs | Self::AdmissionLatencyMs => {
                write!(f, "{name} is not a finite non-negative number")
            }
        }
    }
}

/// The malformed field of a [`JobSpec`](super::JobSpec).
///
/// Checked in the order of the variants; the first one that applies is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum InvalidJobField {
    /// `engine` is empty.
    EmptyEngine,
    /// `model_id` is empty.
    EmptyModelId,
    /// `session_id` is `Some("")`.
    EmptySessionId,
    /// `requirements.quantization` is `Some("")`.
    EmptyQuantization,
    /// An entry of `requirements.required_extensions` is empty.
    EmptyExtension,
    /// `est_kv_bytes + requirements.min_vram_bytes` exceeds `u64::MAX`.
    VramNeedOverflow,
}

impl fmt::Display for InvalidJobField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EmptyEngine => "engine is empty",
            Self::EmptyModelId => "model_id is empty",
            Self::EmptySessionId => "session_id is empty",
            Self::EmptyQuantization => "requirements.quantization is empty",
            Self::EmptyExtension => "requirements.required_extensions has an empty entry",
            Self::VramNeedOverflow => "est_kv_bytes + requirements.min_vram_bytes exceeds u64::MAX",
        })
    }
}
