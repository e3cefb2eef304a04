//! The lanes' rings: cells reused lap after lap, dequeues that pass a cell a producer
//! is still writing, producers that leave a ticket unused when its cell still holds an
//! older job, and `Empty` answered only when nothing was live. Loom checks every access
//! to a cell's job against the happens-before order the protocol claims. The models use
//! capacities 1 and 2, so rings of 2 and 4 cells per lane, and wrap them.

#[cfg(feature = "stats")]
use super::assert_stats_add_up;
use super::{drop_counter, drops, model, Tracked};
use crate::queue::{ConcurrentQueue, Policy, Priority, TryDequeueError};
use crate::sync::{Arc, AtomicBool, Ordering};
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
fn a_stale_read_never_takes_the_job_that_reuses_its_cell() {
    model(|| {
        let counter = drop_counter();
        // Capacity 1: two cells per lane. Jobs 10 and 11 go through Batch cells 0 and
        // 1, so job 1 starts the second lap in cell 0.
        let q = Arc::new(ConcurrentQueue::<Tracked, u64>::with_capacity_policy(
            1,
            Policy::Reject,
        ));
        for id in [10, 11] {
            assert!(q
                .enqueue_item(id, Priority::Batch, Tracked::new(id, &counter))
                .is_ok());
            assert_eq!(q.cancel(&id).map(|item| item.id), Some(id));
        }
        assert!(q
            .enqueue_item(1, priority_of(1), Tracked::new(1, &counter))
            .is_ok());
        let q1 = Arc::clone(&q);
        let worker = thread::spawn(move || {
            q1.try_dequeue()
                .ok()
                .map(|job| (job.id, job.item.id, job.priority))
        });
        // Cancel job 1 (unless the worker has it), then admit job 2 in the other lane
        // while the worker may still be at job 1's cell.
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
            4,
            "[C2] every payload dropped exactly once"
        );
    });
}

#[test]
fn a_dequeue_that_passes_a_cell_being_written_loses_no_job() {
    model(|| {
        let counter = drop_counter();
        let q = Arc::new(ConcurrentQueue::<Tracked, u64>::with_capacity_policy(
            2,
            Policy::Reject,
        ));
        let producers: Vec<_> = [1u64, 2]
            .into_iter()
            .map(|id| {
                let q = Arc::clone(&q);
                let counter = std::sync::Arc::clone(&counter);
                thread::spawn(move || {
                    assert!(q
                        .enqueue_item(id, Priority::Batch, Tracked::new(id, &counter))
                        .is_ok());
                })
            })
            .collect();
        // May find the first ticket's cell still being written while the second is
        // handed out: it passes the cell, and that producer places its job again.
        let first = q.try_dequeue().ok().map(|job| (job.id, job.item.id));
        for producer in producers {
            producer.join().unwrap();
        }
        if let Some((id, item)) = first {
            assert_eq!(id, item);
        }
        let mut ids: Vec<u64> = first.map(|(id, _)| id).into_iter().collect();
        ids.extend(std::iter::from_fn(|| {
            q.try_dequeue().ok().map(|job| job.id)
        }));
        ids.sort_unstable();
        assert_eq!(ids, [1, 2], "[C2] both jobs come out, once each");
        assert_eq!(
            q.try_dequeue().map(|job| job.id),
            Err(TryDequeueError::Empty)
        );
        drop(q);
        assert_eq!(drops(&counter), 2);
    });
}

#[test]
fn empty_is_never_answered_while_a_finished_enqueue_is_live() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            2,
            Policy::Reject,
        ));
        let admitted = Arc::new(AtomicBool::new(false));
        let first = {
            let q = Arc::clone(&q);
            let admitted = Arc::clone(&admitted);
            thread::spawn(move || {
                assert!(q.enqueue(1, Priority::Batch).is_ok());
                admitted.store(true, Ordering::Release);
            })
        };
        let second = {
            let q = Arc::clone(&q);
            thread::spawn(move || assert!(q.enqueue(2, Priority::Batch).is_ok()))
        };
        // Once job 1's enqueue has returned, a job is live until this thread takes one:
        // a cell at the head that is still being written must not hide it.
        while !admitted.load(Ordering::Acquire) {
            thread::yield_now();
        }
        let got = q.try_dequeue().map(|job| job.id);
        assert!(got.is_ok(), "[Q3] Empty while job 1 was live: {got:?}");
        first.join().unwrap();
        second.join().unwrap();
    });
}

#[test]
fn empty_is_never_answered_while_a_job_another_dequeue_reached_is_live() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            2,
            Policy::Reject,
        ));
        assert!(q.enqueue(1, Priority::Batch).is_ok());
        let other = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.try_dequeue().ok().map(|job| job.id))
        };
        // Lets the other dequeue go first: loom's bounded search reaches the race
        // (this dequeue running between the other's steps) from there.
        thread::yield_now();
        let mine = q.try_dequeue().ok().map(|job| job.id);
        // Cancels only after the dequeue above returned, so job 1 was live for that
        // whole call unless the other dequeue took it: a dequeue that reached job 1
        // first must not hide it and then lose it to this cancel.
        let canceled = q.cancel(&1).is_some();
        let others = other.join().unwrap();
        assert!(
            mine.is_some() || others == Some(1),
            "[Q3] Empty while job 1 was live for the whole call (other: {others:?}, \
             canceled: {canceled})"
        );
        let ends =
            usize::from(mine.is_some()) + usize::from(others.is_some()) + usize::from(canceled);
        assert_eq!(ends, 1, "[C2] job 1 ended once");
    });
}

#[test]
fn a_producer_leaves_a_ticket_unused_past_a_live_job_on_a_wrapped_ring() {
    model(|| {
        // Capacity 2: four cells per lane. Job 1 stays live in cell 0 while jobs 10-12
        // go through cells 1-3, so the next ticket is cell 0 again, still held: the
        // producer of job 2 leaves it unused and takes cell 1 of the next lap, while a
        // worker takes job 1 and its dequeue passes the unused ticket.
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            2,
            Policy::Reject,
        ));
        assert!(q.enqueue(1, Priority::Batch).is_ok());
        for id in [10, 11, 12] {
            assert!(q.enqueue(id, Priority::Batch).is_ok());
            assert_eq!(q.cancel(&id), Some(()));
        }
        let worker = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let first = q.try_dequeue().ok().map(|job| job.id);
                let second = q.try_dequeue().ok().map(|job| job.id);
                (first, second)
            })
        };
        assert!(q.enqueue(2, Priority::Batch).is_ok());
        let (first, second) = worker.join().unwrap();
        assert_eq!(first, Some(1), "[C3] job 1 was first and live");
        let rest: Vec<u64> =
            std::iter::from_fn(|| q.try_dequeue().ok().map(|job| job.id)).collect();
        let mut all: Vec<u64> = second.into_iter().chain(rest).collect();
        all.sort_unstable();
        assert_eq!(all, [2], "[C2] job 2 comes out once, not stranded");
        assert!(q.is_empty());
    });
}

#[test]
fn a_late_producer_never_claims_a_ticket_the_head_has_passed() {
    model(|| {
        // Capacity 3: eight cells per lane. Job 1 stays live in cell 0 while seven jobs
        // go through cells 1-7, so both producers below start at cell 0, still held by
        // job 1. One may leave that ticket unused and move on while the other still
        // holds it; the worker then takes job 1 and passes the ticket. A producer that
        // read the old ticket must not claim cell 0 for it now: the head is past it.
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            3,
            Policy::Reject,
        ));
        assert!(q.enqueue(1, Priority::Batch).is_ok());
        for id in 10..17 {
            assert!(q.enqueue(id, Priority::Batch).is_ok());
            assert_eq!(q.cancel(&id), Some(()));
        }
        let producers: Vec<_> = [2u64, 3]
            .into_iter()
            .map(|id| {
                let q = Arc::clone(&q);
                thread::spawn(move || assert!(q.enqueue(id, Priority::Batch).is_ok()))
            })
            .collect();
        let first = q.try_dequeue().ok().map(|job| job.id);
        let second = q.try_dequeue().ok().map(|job| job.id);
        for producer in producers {
            producer.join().unwrap();
        }
        assert_eq!(first, Some(1), "[C3] job 1 was first and live");
        let rest: Vec<u64> =
            std::iter::from_fn(|| q.try_dequeue().ok().map(|job| job.id)).collect();
        let mut all: Vec<u64> = second.into_iter().chain(rest).collect();
        all.sort_unstable();
        assert_eq!(
            all,
            [2, 3],
            "[C2] jobs 2 and 3 come out once each, none stranded"
        );
    });
}

#[test]
fn a_slow_release_keeps_the_ticket_a_dequeue_raised_meanwhile() {
    use crate::queue::cell::CellJob;
    use crate::queue::lanes::Lanes;

    fn job(id: u64) -> CellJob<u64, u64> {
        CellJob {
            id,
            enqueued_at: std::time::Instant::now(),
            bucket: 0,
            item: id,
        }
    }

    /// Places a job as the queue does: again under a new ticket if a dequeue passed
    /// its cell while it was being written. Returns the ticket it got.
    fn place(lanes: &Lanes<u64, u64>, mut job: CellJob<u64, u64>) -> u64 {
        loop {
            let claimed = lanes.claim_and_write(Priority::Batch, job);
            let ticket = claimed.ticket();
            match lanes.publish(claimed) {
                Ok(()) => return ticket,
                Err(skipped) => {
                    job = lanes.take_back(&skipped);
                    lanes.release_skipped(skipped);
                }
            }
        }
    }

    model(|| {
        // Capacity 2 (the queue's bound keeps the cells held, here the slow taker's and
        // the two producers', within it): four cells per lane, first ticket 4 (cell 0).
        let lanes = Arc::new(Lanes::<u64, u64>::with_capacity(2));
        let lane = Priority::Batch;
        // Job 1 (ticket 4, cell 0) is taken, and its taker is slow to release the cell.
        let claimed = lanes.claim_and_write(lane, job(1));
        let (cell, ticket) = (claimed.cell(), claimed.ticket());
        assert!(lanes.publish(claimed).is_ok());
        let (taken_job, slow) = lanes.take(cell, ticket).unwrap();
        assert_eq!(taken_job.id, 1);
        // Jobs 10-12 (tickets 5-7, cells 1-3) come and go: head and tail are at ticket
        // 8, whose cell is cell 0, still held.
        assert!(lanes.take_front(lane).is_none());
        for id in 10..13 {
            place(&lanes, job(id));
            let (front, taken) = lanes.take_front(lane).unwrap();
            assert_eq!(front.id, id);
            lanes.release(taken);
        }

        let taker = {
            let lanes = Arc::clone(&lanes);
            thread::spawn(move || lanes.release(slow))
        };
        // May read ticket 8 and then find cell 0 only after the dequeue below passed
        // ticket 8 and the taker released the cell: it must not claim ticket 8 then.
        let late = {
            let lanes = Arc::clone(&lanes);
            thread::spawn(move || place(&lanes, job(3)))
        };
        // Leaves ticket 8 unused while cell 0 is held, then passes it.
        thread::yield_now();
        place(&lanes, job(4));
        let mut out = Vec::new();
        while let Some((job, taken)) = lanes.take_front(lane) {
            out.push(job.id);
            lanes.release(taken);
        }
        taker.join().unwrap();
        let late_ticket = late.join().unwrap();
        while let Some((job, taken)) = lanes.take_front(lane) {
            out.push(job.id);
            lanes.release(taken);
        }
        out.sort_unstable();
        assert_eq!(
            out,
            [3, 4],
            "[C2] job 3 (ticket {late_ticket}) was stranded behind the head"
        );
    });
}

#[test]
fn an_enqueue_placing_its_job_again_keeps_its_id_held() {
    model(|| {
        let q = Arc::new(ConcurrentQueue::<(), u64>::with_capacity_policy(
            3,
            Policy::Reject,
        ));
        let first = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.enqueue(1, Priority::Batch).is_ok())
        };
        let other = {
            let q = Arc::clone(&q);
            thread::spawn(move || assert!(q.enqueue(2, Priority::Batch).is_ok()))
        };
        let worker = {
            let q = Arc::clone(&q);
            // May pass job 1's cell while it is being written (job 2 behind it), so
            // that job 1 is placed again under a new ticket.
            thread::spawn(move || q.try_dequeue().ok().map(|job| job.id))
        };
        // A resend of id 1 while the first enqueue may be placing its job again: the id
        // must stay held throughout, so both are admitted only if job 1 was dequeued
        // in between.
        thread::yield_now();
        let resent = q.enqueue(1, Priority::Batch).is_ok();
        let first = first.join().unwrap();
        other.join().unwrap();
        let dequeued = worker.join().unwrap();
        assert!(
            !(first && resent) || dequeued == Some(1),
            "[C7] id 1 admitted twice while live (worker got {dequeued:?})"
        );
    });
}
