//! Input checks (\[P5\]): a malformed job or snapshot becomes a typed reason, never a panic.

use super::{InvalidField, InvalidJobField, JobSpec, PoolSnapshot};

/// Checks the job; on success returns the VRAM the job needs free in a pool:
/// `est_kv_bytes + min_vram_bytes`.
pub(super) fn check_job(job: &JobSpec) -> Result<u64, InvalidJobField> {
    if job.engine.is_empty() {
        return Err(InvalidJobField::EmptyEngine);
    }
    if job.model_id.is_empty() {
        return Err(InvalidJobField::EmptyModelId);
    }
    if job.session_id.as_deref() == Some("") {
        return Err(InvalidJobField::EmptySessionId);
    }
    let requirements = &job.requirements;
    if requirements.quantization.as_deref() == Some("") {
        return Err(InvalidJobField::EmptyQuantization);
    }
    if requirements
        .required_extensions
        .iter()
        .any(String::is_empty)
    {
        return Err(InvalidJobField::EmptyExtension);
    }
    job.est_kv_bytes
        .checked_add(requirements.min_vram_bytes)
        .ok_or(InvalidJobField::VramNeedOverflow)
}

/// Checks one snapshot, in the order of [`InvalidField`]'s variants. `duplicate_id` says
/// whether another snapshot of the same call has this pool's id.
///
/// Empty entries in the pool's string lists (models, quantizations, extensions, warm
/// sessions) are not flagged: the job's ids are checked non-empty, so such an entry can
/// never match anything and is harmless.
pub(super) fn check_pool(pool: &PoolSnapshot, duplicate_id: bool) -> Result<(), InvalidField> {
    if pool.id.is_empty() {
        return Err(InvalidField::EmptyId);
    }
    if duplicate_id {
        return Err(InvalidField::DuplicateId);
    }
    if pool.engine.is_empty() {
        return Err(InvalidField::EmptyEngine);
    }
    if pool.slots_free > pool.slots_total {
        return Err(InvalidField::SlotsFreeAboveTotal);
    }
    if pool.vram_free_bytes > pool.vram_total_bytes {
        return Err(InvalidField::VramFreeAboveTotal);
    }
    if pool
        .perf_tokens_per_s
        .is_some_and(|v| !(v.is_finite() && v > 0.0))
    {
        return Err(InvalidField::PerfTokensPerS);
    }
    if pool.first_token_ms.is_some_and(|v| !is_duration(v)) {
        return Err(InvalidField::FirstTokenMs);
    }
    if pool.admission_latency_ms.is_some_and(|v| !is_duration(v)) {
        return Err(InvalidField::AdmissionLatencyMs);
    }
    Ok(())
}

/// Finite and non-negative (`-0.0` counts as zero).
fn is_duration(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}
