//! The main job, for now: admission, eviction, cancel and dequeue on the reference
//! model, printing what happened at each step.
//!
//! Run it with `cargo run --release --example orchestrate`.

use std::process::ExitCode;

use orchestrator_core::queue::{InMemoryQueue, Policy, Priority};

/// What a front end would send: the job id, its class and the prompt.
const SUBMISSIONS: [(u64, Priority, &str); 6] = [
    (101, Priority::Batch, "nightly summary of 3k tickets"),
    (102, Priority::Interactive, "chat: explain this stack trace"),
    (103, Priority::Batch, "embed 10k documents"),
    (104, Priority::Interactive, "chat: draft a reply"),
    (
        102,
        Priority::Interactive,
        "chat: explain this stack trace (retry)",
    ),
    (105, Priority::Interactive, "chat: translate to German"),
];

fn main() -> ExitCode {
    let capacity = 4;
    let mut queue: InMemoryQueue<&str> =
        InMemoryQueue::with_capacity_policy(capacity, Policy::DropLru);
    println!("queue: capacity {capacity}, policy {}", queue.policy());

    let (mut admitted, mut evicted, mut refused) = (0, 0, 0);
    for (id, priority, prompt) in SUBMISSIONS {
        match queue.enqueue_item(id, priority, prompt) {
            Ok(outcome) => {
                admitted += 1;
                println!("admit   {id} [{priority}] {prompt:?}");
                if let Some(victim) = outcome.evicted {
                    evicted += 1;
                    println!(
                        "evict   {} [{}] {:?}: tell its client it was dropped",
                        victim.id, victim.priority, victim.item
                    );
                }
            }
            Err(err) => {
                refused += 1;
                println!("refuse  {id} [{priority}]: {}", err.kind());
            }
        }
    }

    println!(
        "waiting: interactive {:?}, batch {:?}; job 103 is at position {:?}",
        queue.snapshot_priority(Priority::Interactive),
        queue.snapshot_priority(Priority::Batch),
        queue.position(&103),
    );

    let mut canceled = 0;
    if let Some(prompt) = queue.cancel(&104) {
        canceled += 1;
        println!("cancel  104: client gave up on {prompt:?}");
    }

    queue.close();
    let mut served = 0;
    while let Ok(job) = queue.dequeue() {
        served += 1;
        println!(
            "serve   {} [{}] {:?} after {:?} in queue",
            job.id, job.priority, job.item, job.waited
        );
    }

    println!(
        "totals: admitted {admitted}, refused {refused}, evicted {evicted}, canceled {canceled}, served {served}"
    );
    // The ledger: every admitted job left exactly one way.
    if admitted == evicted + canceled + served && queue.is_empty() {
        println!("ledger: every admitted job accounted for exactly once");
        ExitCode::SUCCESS
    } else {
        println!("ledger: MISMATCH");
        ExitCode::FAILURE
    }
}
