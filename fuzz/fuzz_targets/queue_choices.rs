//! The queue's fuzzer choices (priority, policy, capacity), shared by `queue_ops` and
//! `concurrent_ops` (each includes this file with `#[path]`). Changing a variant's order
//! or how a choice reads its bytes changes how committed seeds decode: rerun
//! `fuzz/make_seeds.py` after such a change.

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

/// The queue capacity: one input byte, mostly `0..=8` (`byte % 9`, so 0 and 1 are
/// common), and `9..=24` for the bytes `0xF0..=0xFF` (`fuzz/make_seeds.py` writes that
/// byte the same way).
#[derive(Debug, Clone, Copy)]
pub struct Capacity(pub usize);

impl<'a> Arbitrary<'a> for Capacity {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let byte = u8::arbitrary(u)?;
        Ok(Capacity(if byte < 0xF0 {
            usize::from(byte % 9)
        } else {
            9 + usize::from(byte & 0x0F)
        }))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u8::size_hint(depth)
    }
}
