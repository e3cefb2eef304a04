//! Differential fuzzing of `ConcurrentQueue` against the reference model `InMemoryQueue`
//! (the crate docs: called one at a time, `ConcurrentQueue` returns exactly what
//! `InMemoryQueue` returns for the same calls).
//!
//! The fuzzer picks a capacity (mostly 0..=8, sometimes up to 24), a policy and a
//! sequence of operations. Each operation is applied to both queues, one call at a time,
//! and every result is compared: the evicted job (id, priority, payload), the error kind
//! and the handed-back job, the dequeued job, `TryDequeueError`, cancel's payload,
//! snapshots, positions, `len`, `is_empty`, `contains`, `is_closed`. At the end both
//! queues are closed and drained and the drains compared, and then the two queues' stats
//! counters (cumulative, so a miscount anywhere shows).
//!
//! Payloads are boxed serial numbers: the comparison tells which job came back, and
//! AddressSanitizer / LeakSanitizer catch a payload dropped twice or never.

#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use orchestrator_core::queue::{
    Admitted, ConcurrentQueue, DequeueTimeoutError, Dequeued, EnqueueError, InMemoryQueue, Policy,
    Priority, QueueClosed, TryDequeueError,
};

/// Ids come from `0..ID_RANGE`, so duplicates, cancels and re-enqueues of one id hit.
const ID_RANGE: u8 = 16;

#[path = "queue_choices.rs"]
mod queue_choices;
use queue_choices::{Capacity, PolicyChoice, Prio};

#[derive(Arbitrary, Debug)]
enum Op {
    /// `enqueue_item(id % 16, prio, next serial)`.
    Enqueue {
        id: u8,
        prio: Prio,
    },
    /// `try_dequeue` vs the model's `dequeue`.
    TryDequeue,
    /// `dequeue_timeout(ZERO)`: like `try_dequeue`, `Empty` reads `Timeout`.
    DequeueBlockingZero,
    /// The async `dequeue`, polled once with a no-op waker and then dropped: ready with
    /// the model's job, or pending exactly when the model is empty and open.
    DequeueAsyncPollOnce,
    Cancel {
        id: u8,
    },
    Snapshot {
        prio: Prio,
    },
    Position {
        id: u8,
    },
    Contains {
        id: u8,
    },
    Len,
    Close,
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Mostly 0..=8 (0 and 1 included), sometimes 9..=24 (see [`Capacity`]).
    capacity: Capacity,
    policy: PolicyChoice,
    ops: Vec<Op>,
}

type Item = Box<u32>;

/// A comparable view of a job: (id, priority, payload serial).
type JobView = (u64, Priority, u32);

fn view_dequeued(job: Dequeued<Item>) -> JobView {
    (job.id, job.priority, *job.item)
}

fn view_enqueue(result: Result<Admitted<Item>, EnqueueError<Item>>) -> String {
    // A string is the easiest comparable form that carries the kind and the whole job.
    match result {
        Ok(admitted) => format!(
            "Ok(evicted={:?})",
            admitted
                .evicted
                .map(|job| (job.id, job.priority, *job.item))
        ),
        Err(err) => {
            let kind = err.kind();
            let job = err.into_job();
            format!(
                "Err({kind:?}, handed back {:?})",
                (job.id, job.priority, *job.item)
            )
        }
    }
}

struct Pair {
    concurrent: ConcurrentQueue<Item>,
    model: InMemoryQueue<Item>,
    serial: u32,
}

impl Pair {
    /// The model's dequeue, as the comparable view.
    fn model_dequeue(&mut self) -> Result<JobView, TryDequeueError> {
        self.model.try_dequeue().map(view_dequeued)
    }

    fn check_counts(&self, step: usize, op: &dyn std::fmt::Debug) {
        let (c, m) = (&self.concurrent, &self.model);
        assert_eq!(
            c.len(),
            m.len(),
            "len diverged after step {step} ({op:?}): concurrent {c:?}, model {m:?}"
        );
        assert_eq!(
            c.is_empty(),
            m.is_empty(),
            "is_empty diverged after step {step} ({op:?})"
        );
        assert_eq!(
            c.is_closed(),
            m.is_closed(),
            "is_closed diverged after step {step} ({op:?})"
        );
        assert!(
            c.len() <= c.capacity(),
            "len {} above capacity {} after step {step} ({op:?})",
            c.len(),
            c.capacity()
        );
    }

    fn apply(&mut self, step: usize, op: &Op) {
        match *op {
            Op::Enqueue { id, prio } => {
                let id = u64::from(id % ID_RANGE);
                let priority = Priority::from(prio);
                let serial = self.serial;
                self.serial += 1;
                let got =
                    view_enqueue(self.concurrent.enqueue_item(id, priority, Box::new(serial)));
                let want = view_enqueue(self.model.enqueue_item(id, priority, Box::new(serial)));
                assert_eq!(
                    got, want,
                    "step {step}: enqueue_item({id}, {priority:?}, serial {serial}) diverged \
                     (left: ConcurrentQueue, right: InMemoryQueue; model after the step: {:?})",
                    self.model
                );
            }
            Op::TryDequeue => {
                let got = self.concurrent.try_dequeue().map(view_dequeued);
                let want = self.model_dequeue();
                assert_eq!(
                    got, want,
                    "step {step}: try_dequeue diverged (left: ConcurrentQueue, right: \
                     InMemoryQueue; model after the step: {:?})",
                    self.model
                );
            }
            Op::DequeueBlockingZero => {
                let got = self
                    .concurrent
                    .dequeue_timeout(Duration::ZERO)
                    .map(view_dequeued);
                let want = self.model_dequeue().map_err(|err| match err {
                    TryDequeueError::Empty => DequeueTimeoutError::Timeout,
                    _ => DequeueTimeoutError::Closed,
                });
                assert_eq!(
                    got, want,
                    "step {step}: dequeue_timeout(0) diverged (left: ConcurrentQueue, \
                     right: InMemoryQueue; model after the step: {:?})",
                    self.model
                );
            }
            Op::DequeueAsyncPollOnce => {
                let got = {
                    let mut future = pin!(self.concurrent.dequeue());
                    let mut cx = Context::from_waker(Waker::noop());
                    match future.as_mut().poll(&mut cx) {
                        Poll::Ready(result) => Some(result.map(view_dequeued)),
                        Poll::Pending => None,
                    }
                    // Dropped here while pending: cancel-safe, nothing may be lost.
                };
                let want = match self.model_dequeue() {
                    Ok(job) => Some(Ok(job)),
                    Err(TryDequeueError::Empty) => None,
                    Err(_) => Some(Err(QueueClosed)),
                };
                assert_eq!(
                    got, want,
                    "step {step}: async dequeue polled once diverged (None = pending; left: \
                     ConcurrentQueue, right: InMemoryQueue; model after the step: {:?})",
                    self.model
                );
            }
            Op::Cancel { id } => {
                let id = u64::from(id % ID_RANGE);
                let got = self.concurrent.cancel(&id).map(|item| *item);
                let want = self.model.cancel(&id).map(|item| *item);
                assert_eq!(
                    got, want,
                    "step {step}: cancel({id}) diverged (left: ConcurrentQueue, right: \
                     InMemoryQueue; model after the step: {:?})",
                    self.model
                );
            }
            Op::Snapshot { prio } => {
                let priority = Priority::from(prio);
                assert_eq!(
                    self.concurrent.snapshot_priority(priority),
                    self.model.snapshot_priority(priority),
                    "step {step}: snapshot_priority({priority:?}) diverged (left: \
                     ConcurrentQueue, right: InMemoryQueue)"
                );
            }
            Op::Position { id } => {
                let id = u64::from(id % ID_RANGE);
                assert_eq!(
                    self.concurrent.position(&id),
                    self.model.position(&id),
                    "step {step}: position({id}) diverged (left: ConcurrentQueue, right: \
                     InMemoryQueue; model: {:?})",
                    self.model
                );
            }
            Op::Contains { id } => {
                let id = u64::from(id % ID_RANGE);
                assert_eq!(
                    self.concurrent.contains(&id),
                    self.model.contains(&id),
                    "step {step}: contains({id}) diverged (left: ConcurrentQueue, right: \
                     InMemoryQueue; model: {:?})",
                    self.model
                );
            }
            Op::Len => {
                // `check_counts` compares len/is_empty after every step; this op adds the
                // per-lane view.
                for priority in Priority::ALL {
                    assert_eq!(
                        self.concurrent.snapshot_priority(priority).len(),
                        self.model.len_priority(priority),
                        "step {step}: live {priority:?} count diverged"
                    );
                }
            }
            Op::Close => {
                self.concurrent.close();
                self.model.close();
            }
        }
        self.check_counts(step, op);
    }

    /// The stats counters of both queues agree (the waits differ by timing; their sample
    /// counts must not).
    fn check_stats(&self, when: &str) {
        let (c, m) = (self.concurrent.stats(), self.model.stats());
        for priority in Priority::ALL {
            let (got, want) = (c.priority(priority), m.priority(priority));
            let counts = |s: &orchestrator_core::stats::PriorityStats| {
                (
                    s.enqueued,
                    s.dequeued,
                    s.canceled,
                    s.evicted,
                    s.rejected,
                    s.depth,
                    s.wait.samples,
                )
            };
            assert_eq!(
                counts(got),
                counts(want),
                "{when}: {priority} stats diverged (left: ConcurrentQueue, right: InMemoryQueue)"
            );
        }
        assert_eq!(
            (c.len, c.capacity, c.closed),
            (m.len, m.capacity, m.closed),
            "{when}"
        );
    }

    /// Closes both queues, drains them side by side, and checks both end closed and empty.
    fn close_and_drain(mut self) {
        self.concurrent.close();
        self.model.close();
        let mut drained = 0usize;
        loop {
            let got = self.concurrent.try_dequeue().map(view_dequeued);
            let want = self.model_dequeue();
            assert_eq!(
                got, want,
                "final drain, job {drained}: try_dequeue diverged (left: ConcurrentQueue, \
                 right: InMemoryQueue)"
            );
            match got {
                Ok(_) => drained += 1,
                Err(TryDequeueError::Empty) => panic!("closed queue reported Empty while draining"),
                Err(_) => break,
            }
            assert!(drained <= 64, "drain does not end");
        }
        assert_eq!(
            self.concurrent.len(),
            0,
            "closed and drained, yet len() > 0"
        );
        assert!(self.concurrent.is_empty());
        for priority in Priority::ALL {
            assert!(self.concurrent.snapshot_priority(priority).is_empty());
        }
        // After the drain, an enqueue is refused with Closed by both.
        let serial = self.serial;
        let got = view_enqueue(
            self.concurrent
                .enqueue_item(0, Priority::Batch, Box::new(serial)),
        );
        let want = view_enqueue(
            self.model
                .enqueue_item(0, Priority::Batch, Box::new(serial)),
        );
        assert_eq!(got, want, "enqueue after close and drain diverged");
        self.check_stats("after close and drain");
    }
}

fuzz_target!(|input: Input| {
    let capacity = input.capacity.0;
    let policy = Policy::from(input.policy);
    let mut pair = Pair {
        concurrent: ConcurrentQueue::with_capacity_policy(capacity, policy),
        model: InMemoryQueue::with_capacity_policy(capacity, policy),
        serial: 0,
    };
    assert_eq!(pair.concurrent.capacity(), pair.model.capacity());
    assert_eq!(pair.concurrent.policy(), pair.model.policy());
    for (step, op) in input.ops.iter().enumerate() {
        pair.apply(step, op);
    }
    pair.close_and_drain();
});
