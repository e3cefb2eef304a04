//! [C2], [C5] Slots are reused: a handle to a finished job must never reach the job that
//! reuses its slot, and the arena's chunk installation and free list must hand each slot
//! to one owner at a time (loom checks every access to a slot's job cell against the
//! happens-before order the protocol claims). The free list itself is a lane, a
//! loom-visible stand-in here (see the `sync` module).

#[cfg(feature = "stats")]
use super::assert_stats_add_up;
use super::{drop_counter, drops, model, Tracked};
use crate::queue::slot::SlotJob;
use crate::queue::slot_arena::SlotArena;
use crate::queue::{ConcurrentQueue, Policy, Priority, TryDequeueError};
use crate::sync::Arc;
use loom::thread;

/// The priority each id of the first model is enqueued with.
fn priority_of(id: u64) -> Priority {
    if id == 1 {
        Priority::Batch
    } else {
        Priority::Interactive
    }
}

#[test]
fn a_stale_lane_handle_never_takes_the_job_that_reuses_its_slot() {
    model(|| {
        let counter = drop_counter();
        // Capacity 1: job 2 can only be admitted into the slot job 1 left.
        let q = Arc::new(ConcurrentQueue::<Tracked, u64>::with_capacity_policy(
            1,
            Policy::Reject,
        ));
        assert!(q
            .enqueue_item(1, priority_of(1), Tracked::new(1, &counter))
            .is_ok());
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || {
            q1.try_dequeue()
                .ok()
                .map(|job| (job.id, job.item.id, job.priority))
        });
        // Cancel job 1 (unless the worker has it), then reuse its slot for job 2 in the
        // other lane: the Batch lane still holds job 1's handle.
        let canceled = q.cancel(&1).map(|item| item.id);
        let admitted = q
            .enqueue_item(2, priority_of(2), Tracked::new(2, &counter))
            .is_ok();
        let dequeued = worker.join().unwrap();

        if let Some((id, item, priority)) = dequeued {
            assert_eq!(id, item, "the payload belongs to the id");
            assert_eq!(
                priority,
                priority_of(id),
                "job {id} came out of its own lane"
            );
        }
        let got_1 =
            usize::from(canceled == Some(1)) + usize::from(dequeued.map(|d| d.0) == Some(1));
        assert_eq!(
            got_1, 1,
            "[C2]/[C5] job 1 ended exactly once: {canceled:?} {dequeued:?}"
        );
        if dequeued.map(|d| d.0) == Some(2) {
            assert!(admitted);
        }
        // Whatever is still inside is job 2, once.
        let rest: Vec<u64> =
            std::iter::from_fn(|| q.try_dequeue().ok().map(|job| job.id)).collect();
        let expected_rest = if admitted && dequeued.map(|d| d.0) != Some(2) {
            vec![2]
        } else {
            vec![]
        };
        assert_eq!(rest, expected_rest);
        assert_eq!(
            q.try_dequeue().map(|job| job.id),
            Err(TryDequeueError::Empty)
        );
        #[cfg(feature = "stats")]
        assert_stats_add_up(&q);
        drop(q);
        assert_eq!(
            drops(&counter),
            2,
            "[C2] every payload dropped exactly once"
        );
    });
}

#[test]
fn the_free_list_and_chunk_installs_give_each_slot_one_owner() {
    model(|| {
        // Slot 0 is chunk 0; the two threads' first slots are 1 and 2, both in chunk 1,
        // so they race to install it, and then reuse slots the others freed.
        let arena = Arc::new(SlotArena::<u64, u64>::with_limit(3));
        let first = arena.publish(arena.insert(job(0)).ok().unwrap());
        let threads: Vec<_> = [1u64, 2]
            .into_iter()
            .map(|id| {
                let arena = Arc::clone(&arena);
                thread::spawn(move || {
                    for round in [id, id + 10] {
                        let handle = arena.publish(arena.insert(job(round)).ok().unwrap());
                        let taken = arena.take(handle).map(|job| (job.id, job.item));
                        assert_eq!(taken, Some((round, round * 100)));
                        arena.recycle(handle);
                    }
                })
            })
            .collect();
        assert_eq!(arena.take(first).map(|job| job.item), Some(0));
        assert!(arena.take(first).is_none(), "a handle wins once");
        arena.recycle(first);
        for thread in threads {
            thread.join().unwrap();
        }
    });
}

fn job(id: u64) -> SlotJob<u64, u64> {
    SlotJob {
        id,
        priority: Priority::Batch,
        enqueued_at: std::time::Instant::now(),
        bucket: 0,
        item: id * 100,
    }
}
