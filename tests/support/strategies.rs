//! Proptest strategies for the queue's small enums.

use orchestrator_core::queue::{Policy, Priority};
use proptest::prelude::*;

/// Either priority, equally likely.
pub fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![Just(Priority::Interactive), Just(Priority::Batch)]
}

/// Either policy, equally likely.
pub fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::Reject), Just(Policy::DropLru)]
}
