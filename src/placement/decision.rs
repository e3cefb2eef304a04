//! `PlacementDecision`: the result of [`place`](super::place).

use super::{DecidedBy, InvalidJobField, PlacementTrace, PredictedEnd};

/// The outcome of placing one job (\[P1\]–\[P6\]).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PlacementDecision {
    /// The job goes to a pool.
    Assigned(Assignment),
    /// No pool can take the job. The trace holds every pool's
    /// [`Verdict::Infeasible`](super::Verdict::Infeasible) reason; it is empty when no
    /// pool was given. Worth retrying once pools change.
    NoCapacity {
        /// Every pool's reason, in the order the pools were given.
        trace: PlacementTrace,
    },
    /// The job itself is malformed; no snapshot can change that.
    InvalidJob {
        /// The malformed field.
        field: InvalidJobField,
    },
}

impl PlacementDecision {
    /// The assignment, if the job was assigned.
    pub fn assignment(&self) -> Option<&Assignment> {
        match self {
            Self::Assigned(assignment) => Some(assignment),
            Self::NoCapacity { .. } | Self::InvalidJob { .. } => None,
        }
    }

    /// The id of the chosen pool, if the job was assigned.
    pub fn pool_id(&self) -> Option<&str> {
        self.assignment()
            .map(|assignment| assignment.pool_id.as_str())
    }

    /// The trace: present unless the job was invalid.
    pub fn trace(&self) -> Option<&PlacementTrace> {
        match self {
            Self::Assigned(assignment) => Some(&assignment.trace),
            Self::NoCapacity { trace } => Some(trace),
            Self::InvalidJob { .. } => None,
        }
    }
}

/// Where a job goes, and why (\[P6\]).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Assignment {
    /// The chosen pool.
    pub pool_id: String,
    /// Its predicted end (the primary score).
    pub predicted_end: PredictedEnd,
    /// Whether the job's session KV cache is warm there (for `kv_warmth`, ORCH-3009).
    pub kv_warm: bool,
    /// The level at which it beat the runner-up.
    pub decided_by: DecidedBy,
    /// Every pool's verdict, in the order the pools were given.
    pub trace: PlacementTrace,
}
