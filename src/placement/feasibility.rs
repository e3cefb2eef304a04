//! The hard constraints of \[P1\]: can this (well-formed) pool take this job at all?

use super::{Infeasible, JobSpec, PoolSnapshot};

/// Checks a pool that passed [`check_pool`](super::validate::check_pool) against the
/// job, in the order of [`Infeasible`]'s variants. `vram_needed` is
/// `est_kv_bytes + min_vram_bytes`, from [`check_job`](super::validate::check_job).
pub(super) fn check(
    job: &JobSpec,
    vram_needed: u64,
    pool: &PoolSnapshot,
) -> Result<(), Infeasible> {
    if !pool.ready {
        return Err(Infeasible::NotReady);
    }
    if let Some(allowed) = job.device_mask {
        if !pool.device_mask.is_within(allowed) {
            return Err(Infeasible::DeviceMaskViolated {
                pool: pool.device_mask,
                allowed,
            });
        }
    }
    if pool.engine != job.engine {
        return Err(Infeasible::EngineMismatch);
    }
    if !contains(&pool.loaded_models, &job.model_id) {
        return Err(Infeasible::ModelNotLoaded);
    }
    if pool.slots_free == 0 {
        return Err(Infeasible::NoFreeSlot);
    }
    // `vram_free - est_kv >= 0 && vram_free - est_kv >= min_vram`, without underflow.
    if pool.vram_free_bytes < vram_needed {
        return Err(Infeasible::InsufficientVram {
            free_bytes: pool.vram_free_bytes,
            needed_bytes: vram_needed,
        });
    }
    let requirements = &job.requirements;
    if let Some(required) = requirements.min_compute_capability {
        if pool.compute_capability < required {
            return Err(Infeasible::ComputeCapabilityTooLow {
                pool: pool.compute_capability,
                required,
            });
        }
    }
    if let Some(quantization) = &requirements.quantization {
        if !contains(&pool.quantizations, quantization) {
            return Err(Infeasible::QuantizationUnsupported);
        }
    }
    if let Some(missing) = requirements
        .required_extensions
        .iter()
        .find(|extension| !contains(&pool.extensions, extension))
    {
        return Err(Infeasible::MissingExtension {
            extension: missing.clone(),
        });
    }
    Ok(())
}

/// Exact, case-sensitive membership.
pub(super) fn contains(list: &[String], wanted: &str) -> bool {
    list.iter().any(|item| item == wanted)
}
