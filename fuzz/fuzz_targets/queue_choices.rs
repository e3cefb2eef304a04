//! The queue's small enums as fuzzer choices, shared by `queue_ops` and `concurrent_ops`
//! (each includes this file with `#[path]`). Changing a variant's order changes how
//! committed seeds decode: rerun `fuzz/make_seeds.py` after such a change.

use arbitrary::Arbitrary;
use orchestrator_core::queue::{Policy, Priority};

/// A [`Priority`].
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Prio {
    Interactive,
    Batch,
}

impl From<Prio> for Priority {
    fn from(prio: Prio) -> Self {
        match prio {
            Prio::Interactive => Priority::Interactive,
            Prio::Batch => Priority::Batch,
        }
    }
}

/// A [`Policy`].
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum PolicyChoice {
    Reject,
    DropLru,
}

impl From<PolicyChoice> for Policy {
    fn from(choice: PolicyChoice) -> Self {
        match choice {
            PolicyChoice::Reject => Policy::Reject,
            PolicyChoice::DropLru => Policy::DropLru,
        }
    }
}
