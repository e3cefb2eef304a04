//! How the rules read a pool: [`PoolView`], answered by a [`PoolSnapshot`] as given (for
//! [`place`](super::place)) or by a pool prepared in a [`Fleet`](super::Fleet).
//!
//! The rules themselves (the order of the checks, the reasons, the score, the ranking and
//! the trace) are written once, in [`feasibility::check`](super::feasibility::check) and
//! `mod.rs`, against this trait. A view only answers questions about one pool's data;
//! the two views differ only in how they store it (names as strings or as interned ids,
//! the \[P5\] check run now or precomputed).

use super::score::{self, Figures};
use super::{
    validate, ComputeCapability, DeviceMask, InvalidField, JobSpec, PlacementTrace, PoolSnapshot,
    PredictedEnd, Verdict,
};

/// One pool as the rules read it, with the job's names in the form `Wanted` the view
/// compares them in. `'a` is how long the pool's id lives.
pub(super) trait PoolView<'a> {
    /// The job's names, resolved for this kind of view.
    type Wanted;

    /// The pool's id.
    fn id(&self) -> &'a str;
    /// Appends the pool's entry, with `verdict`, to a trace made for this kind of view,
    /// and returns the verdict as stored.
    fn record<'t>(&self, trace: &'t mut PlacementTrace, verdict: Verdict) -> Option<&'t Verdict>;
    /// The \[P5\] check of the snapshot, duplicate ids included.
    fn snapshot_check(&self) -> Result<(), InvalidField>;
    /// `ready`.
    fn ready(&self) -> bool;
    /// `device_mask`.
    fn device_mask(&self) -> DeviceMask;
    /// Whether the pool runs the job's engine.
    fn runs_engine(&self, wanted: &Self::Wanted) -> bool;
    /// Whether the pool has the job's model loaded.
    fn has_model(&self, wanted: &Self::Wanted) -> bool;
    /// `slots_free`.
    fn slots_free(&self) -> u32;
    /// `vram_free_bytes`.
    fn vram_free_bytes(&self) -> u64;
    /// `compute_capability`.
    fn compute_capability(&self) -> ComputeCapability;
    /// Whether the pool lists the job's quantization; asked only when the job has one.
    fn has_quantization(&self, wanted: &Self::Wanted) -> bool;
    /// The index, in the job's list, of the first required extension the pool lacks.
    fn missing_extension(&self, wanted: &Self::Wanted) -> Option<usize>;
    /// Whether the job's session is among the pool's warm KV sessions; asked only when
    /// the job has a session.
    fn kv_warm(&self, wanted: &Self::Wanted) -> bool;
    /// The predicted end of the job on this pool (\[P2\]), computed by
    /// [`score::predicted_end`](super::score::predicted_end).
    fn predicted_end(&self, expected_tokens: Option<u32>) -> PredictedEnd;
    /// `perf_tokens_per_s`.
    fn perf_tokens_per_s(&self) -> Option<f64>;
}

/// A snapshot as given to [`place`](super::place): names compared as strings, the \[P5\]
/// check run on every call.
#[derive(Clone, Copy)]
pub(super) struct Snapshot<'a> {
    pub(super) pool: &'a PoolSnapshot,
    /// Whether another snapshot of the same call has this pool's id.
    pub(super) duplicate_id: bool,
}

impl<'a> PoolView<'a> for Snapshot<'a> {
    type Wanted = JobSpec;

    #[inline]
    fn id(&self) -> &'a str {
        &self.pool.id
    }

    #[inline]
    fn record<'t>(&self, trace: &'t mut PlacementTrace, verdict: Verdict) -> Option<&'t Verdict> {
        trace.push(&self.pool.id, verdict)
    }

    #[inline]
    fn snapshot_check(&self) -> Result<(), InvalidField> {
        validate::check_pool(self.pool, self.duplicate_id)
    }

    #[inline]
    fn ready(&self) -> bool {
        self.pool.ready
    }

    #[inline]
    fn device_mask(&self) -> DeviceMask {
        self.pool.device_mask
    }

    #[inline]
    fn runs_engine(&self, job: &JobSpec) -> bool {
        self.pool.engine == job.engine
    }

    #[inline]
    fn has_model(&self, job: &JobSpec) -> bool {
        contains(&self.pool.loaded_models, &job.model_id)
    }

    #[inline]
    fn slots_free(&self) -> u32 {
        self.pool.slots_free
    }

    #[inline]
    fn vram_free_bytes(&self) -> u64 {
        self.pool.vram_free_bytes
    }

    #[inline]
    fn compute_capability(&self) -> ComputeCapability {
        self.pool.compute_capability
    }

    #[inline]
    fn has_quantization(&self, job: &JobSpec) -> bool {
        job.requirements
            .quantization
            .as_deref()
            .is_some_and(|quantization| contains(&self.pool.quantizations, quantization))
    }

    #[inline]
    fn missing_extension(&self, job: &JobSpec) -> Option<usize> {
        job.requirements
            .required_extensions
            .iter()
            .position(|extension| !contains(&self.pool.extensions, extension))
    }

    #[inline]
    fn kv_warm(&self, job: &JobSpec) -> bool {
        job.session_id
            .as_deref()
            .is_some_and(|session| contains(&self.pool.warm_kv_sessions, session))
    }

    #[inline]
    fn predicted_end(&self, expected_tokens: Option<u32>) -> PredictedEnd {
        score::predicted_end(expected_tokens, &Figures::of(self.pool))
    }

    #[inline]
    fn perf_tokens_per_s(&self) -> Option<f64> {
        self.pool.perf_tokens_per_s
    }
}

/// Exact, case-sensitive membership.
fn contains(list: &[String], wanted: &str) -> bool {
    list.iter().any(|item| item == wanted)
}
