//! Async workers on a multi-threaded tokio runtime share one `ConcurrentQueue` with
//! producers that run as tasks too.
//!
//! `ConcurrentQueue::dequeue` is an ordinary future: it needs no runtime feature, wakes
//! on enqueue and close without polling on a timer, and is cancel-safe (dropping it
//! never loses a job). Run with `cargo run --release --example async_worker`.

// tokio does not build under `--cfg loom` (the loom models' build), so under it this
// example is an empty program.
#[cfg(loom)]
fn main() {}

#[cfg(not(loom))]
fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let served = runtime.block_on(demo::run());
    println!("{served} jobs served by 3 async workers");
}

#[cfg(not(loom))]
mod demo {
    use std::sync::Arc;
    use std::time::Duration;

    use orchestrator_core::queue::{ConcurrentQueue, Policy, Priority};

    /// What a front end would put in the queue: the prompt of one request.
    type Prompt = String;

    pub async fn run() -> usize {
        let queue = Arc::new(ConcurrentQueue::<Prompt>::with_capacity_policy(
            64,
            Policy::DropLru,
        ));

        // Workers: each awaits a job, "runs" it, and stops once the queue is closed and
        // drained (`dequeue` then returns `Err(QueueClosed)`).
        let workers: Vec<_> = (0..3)
            .map(|worker| {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move {
                    let mut served = 0;
                    while let Ok(job) = queue.dequeue().await {
                        tokio::time::sleep(Duration::from_millis(1)).await; // the GPU
                        println!(
                            "worker {worker}: job {} ({}, {:?} in queue): {}",
                            job.id, job.priority, job.waited, job.item
                        );
                        served += 1;
                    }
                    served
                })
            })
            .collect();

        // Two front ends submit jobs. Under `DropLru` an admission can evict an older
        // job: its client must be told, so `evicted` is always looked at.
        let front_ends: Vec<_> = (0..2u64)
            .map(|front_end| {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move {
                    let mut evicted = 0;
                    for n in 0..20u64 {
                        let id = front_end * 1_000 + n;
                        let priority = if n % 4 == 0 {
                            Priority::Interactive
                        } else {
                            Priority::Batch
                        };
                        match queue.enqueue_item(id, priority, format!("prompt {id}")) {
                            Ok(admitted) => {
                                if let Some(dropped) = admitted.evicted {
                                    println!("front end {front_end}: job {} dropped", dropped.id);
                                    evicted += 1;
                                }
                            }
                            Err(refused) => {
                                println!("front end {front_end}: job {id} refused: {refused}");
                            }
                        }
                        tokio::task::yield_now().await;
                    }
                    evicted
                })
            })
            .collect();

        let mut evicted = 0;
        for front_end in front_ends {
            evicted += front_end.await.expect("front end task");
        }
        queue.close(); // the workers drain what is left, then stop
        let mut served = 0;
        for worker in workers {
            served += worker.await.expect("worker task");
        }
        assert_eq!(
            served + evicted,
            40,
            "every job was served or reported dropped"
        );
        served
    }
}
