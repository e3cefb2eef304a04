//! # orchestrator-core
//!
//! The admission and placement core of an LLM-serving orchestrator: an HTTP front end
//! admits jobs into a bounded two-priority queue, GPU worker threads take them out,
//! clients cancel them, and a placement function picks the GPU pool for each job. The
//! crate does no network or process I/O.
//!
//! * [`queue::InMemoryQueue`]: the sequential reference model, the executable
//!   definition of the semantics below.
//! * [`queue::ConcurrentQueue`]: the same semantics shared across threads (`&self`,
//!   `Arc`), lock-free on its hot path, with blocking and async dequeue (the async one
//!   needs no particular runtime: tried under tokio's multi-threaded runtime, pollster
//!   and a hand-polled future) and the
//!   guarantees \[C1\]–\[C8\] under concurrency listed on the type. Its protocol is
//!   model-checked with loom (`src/queue/tests/loom_*.rs`).
//! * [`placement`]: choose a GPU pool for a job from pool snapshots.
//! * [`stats`]: per-priority counters and queue-wait percentiles of both queues
//!   (feature `stats`, on by default) and the ORCH-3406 metrics export (feature
//!   `metrics`).
//! * [`backpressure`]: what to tell a client whose enqueue was refused (ORCH-2007).
//!
//! # Cargo features
//!
//! * `stats` (default): the queues count what happens to their jobs and record wait
//!   times ([`stats`] says at what cost); without it, the recording is compiled out.
//! * `metrics`: [`stats::MetricsExporter`], publishing through the `metrics` facade.
//! * `serde`: serialization of the placement types.
//!
//! # Semantics
//!
//! Requirement ids in brackets are cited by the tests and by the docs of each method.
//! Ids of the form `ORCH-nnnn` (ORCH-2007, ORCH-3009, ORCH-3406, ...) name requirements
//! of the orchestrator this crate is built for (its HTTP API, its event fields and its
//! metric names); the docs cite them where a type implements one, and say what it is
//! there.
//!
//! * A *job* is an id (`I`, any `Copy + Eq + Hash + Send + Sync` type, `u64` by
//!   default), a payload (`T`, `()` for id-only use) and a
//!   [`Priority`](queue::Priority): `Interactive` (served first) or `Batch`. A *lane*
//!   is the FIFO of one priority. A job is *live* from its admission until it is
//!   dequeued, canceled or evicted.
//! * **\[Q1\]** The capacity `C` is fixed at construction and `len() <= C` always.
//!   `C == 0` is allowed and refuses every enqueue under both policies.
//! * **\[Q2\]** `enqueue` checks, in this order: a live duplicate id is refused with
//!   `DuplicateId`; a closed queue refuses with `Closed`; if `len() < C` the job joins
//!   the back of its lane; a full queue refuses with `QueueFull` under
//!   [`Policy::Reject`](queue::Policy::Reject), and under
//!   [`Policy::DropLru`](queue::Policy::DropLru) evicts the oldest `Batch` job (if
//!   there is none, the oldest `Interactive` job), admits the new job, and returns the
//!   evicted job (id, priority, payload) to the caller. Every refusal hands the payload
//!   back in the [`EnqueueError`](queue::EnqueueError) and changes nothing.
//! * **\[Q3\]** `try_dequeue` takes the front of the `Interactive` lane, else the front of
//!   the `Batch` lane, and reports how long the job waited.
//! * **\[Q4\]** `cancel(&id)` removes the live job `id` wherever it is and returns its
//!   payload; it returns `None` if `id` is not live.
//! * **\[Q5\]** `snapshot_priority(p)` lists the live ids of lane `p`, front to back.
//! * **\[Q6\]** `len`, `is_empty`, `capacity`, `policy`, and `position(&id)`: how many
//!   live jobs would be dequeued before `id`.
//! * **\[Q7\]** After `close()`, enqueues fail with `Closed`; dequeues drain what is
//!   left, then report [`TryDequeueError::Closed`](queue::TryDequeueError::Closed).
//!   Dropping a queue drops every payload still inside exactly once.
//!
//! # Example
//!
//! ```
//! use orchestrator_core::queue::{InMemoryQueue, Policy, Priority, TryDequeueError};
//!
//! let mut q = InMemoryQueue::with_capacity_policy(2, Policy::Reject);
//! assert!(q.enqueue(1, Priority::Batch).unwrap().evicted.is_none());
//! assert!(q.enqueue(2, Priority::Interactive).unwrap().evicted.is_none());
//! assert!(q.enqueue(3, Priority::Batch).unwrap_err().is_full());
//!
//! q.close();
//! assert_eq!(q.try_dequeue().unwrap().id, 2);
//! assert_eq!(q.try_dequeue().unwrap().id, 1);
//! assert_eq!(q.try_dequeue().unwrap_err(), TryDequeueError::Closed);
//! ```
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(rust_2018_idioms, unreachable_pub)]

mod admission;
pub mod backpressure;
pub mod placement;
pub mod queue;
pub mod stats;
mod sync;
