//! The hard constraints of \[P1\]: can this (well-formed) pool take this job at all?

use super::view::PoolView;
use super::{Infeasible, JobSpec};

/// Checks a pool that passed its [`snapshot_check`](PoolView::snapshot_check) against
/// the job, in the order of [`Infeasible`]'s variants. `vram_needed` is
/// `est_kv_bytes + min_vram_bytes`, from [`check_job`](super::validate::check_job);
/// `wanted` is the job's names as the view compares them.
#[inline]
pub(super) fn check<'a, P: PoolView<'a>>(
    job: &JobSpec,
    vram_needed: u64,
    pool: &P,
    wanted: &P::Wanted,
) -> Result<(), Infeasible> {
    if !pool.ready() {
        return Err(Infeasible::NotReady);
    }
    if let Some(allowed) = job.device_mask {
        let devices = pool.device_mask();
        if !devices.is_within(allowed) {
            return Err(Infeasible::DeviceMaskViolated {
                pool: devices,
                allowed,
            });
        }
    }
    if !pool.runs_engine(wanted) {
        return Err(Infeasible::EngineMismatch);
    }
    if !pool.has_model(wanted) {
        return Err(Infeasible::ModelNotLoaded);
    }
    if pool.slots_free() == 0 {
        return Err(Infeasible::NoFreeSlot);
    }
    // `vram_free - est_kv >= 0 && vram_free - est_kv >= min_vram`, without underflow.
    let free_bytes = pool.vram_free_bytes();
    if free_bytes < vram_needed {
        return Err(Infeasible::InsufficientVram {
            free_bytes,
            needed_bytes: vram_needed,
        });
    }
    let requirements = &job.requirements;
    if let Some(required) = requirements.min_compute_capability {
        let capability = pool.compute_capability();
        if capability < required {
            return Err(Infeasible::ComputeCapabilityTooLow {
                pool: capability,
                required,
            });
        }
    }
    if requirements.quantization.is_some() && !pool.has_quantization(wanted) {
        return Err(Infeasible::QuantizationUnsupported);
    }
    if let Some(extension) = pool
        .missing_extension(wanted)
        .and_then(|index| requirements.required_extensions.get(index))
    {
        return Err(Infeasible::MissingExtension {
            extension: extension.clone(),
        });
    }
    Ok(())
}
