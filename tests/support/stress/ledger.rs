//! The ledger: checks the logs of a stress run against the guarantees ([C1]–[C5], [C7],
//! [Q2]); what each check proves is in the module docs of `support::stress`.

use std::collections::HashMap;
use std::fmt;

use orchestrator_core::queue::{Policy, Priority};

use super::log::{Admission, DupRefusal, EndKind, Ending};
use super::run::Outcome;
use super::{Config, Finish};

/// Checks every guarantee the logs can show and returns a one-line summary.
pub fn check_ledger(cfg: Config, out: &Outcome) -> String {
    let ctx = format!("{cfg:?}");
    let admissions: Vec<&Admission> = out.logs.iter().flat_map(|l| &l.admissions).collect();
    let endings: Vec<&Ending> = out.logs.iter().flat_map(|l| &l.endings).collect();

    // [C2] each admitted job (serial) ends at most once, as the job it was admitted as.
    let mut admitted: HashMap<usize, &Admission> = HashMap::new();
    for a in &admissions {
        assert!(
            admitted.insert(a.serial, a).is_none(),
            "{ctx}: serial admitted twice"
        );
    }
    let mut ended: HashMap<usize, &Ending> = HashMap::new();
    for e in &endings {
        let a = admitted
            .get(&e.serial)
            .unwrap_or_else(|| panic!("{ctx}: [C2] {e:?} ended a job that was never admitted"));
        assert_eq!(
            (e.id, e.priority),
            (a.id, a.priority),
            "{ctx}: [C2] {e:?} does not match its admission {a:?}"
        );
        if let Some(first) = ended.insert(e.serial, e) {
            panic!("{ctx}: [C2]/[C5] job ended twice:\n  {first:?}\n  {e:?}\n  admitted {a:?}");
        }
    }
    let inside = admissions.len() - ended.len();
    match cfg.finish {
        Finish::CloseAndDrain => assert_eq!(
            inside, 0,
            "{ctx}: [C2] {inside} admitted jobs never ended although the queue was drained"
        ),
        Finish::DropWithJobsInside => assert_eq!(
            inside, out.len_at_drop,
            "{ctx}: [C2] jobs not ended by any call vs len() before the drop"
        ),
    }

    // [C2] payloads: each dropped exactly once overall; before the queue itself was
    // dropped, exactly the payloads of the jobs still inside were not yet dropped.
    for serial in 0..out.created {
        let still_inside = admitted.contains_key(&serial) && !ended.contains_key(&serial);
        let before = out.drops_before_queue_drop[serial];
        assert_eq!(
            before,
            usize::from(!still_inside),
            "{ctx}: [C2] payload {serial} dropped {before} times before the queue was dropped \
             (inside the queue: {still_inside})"
        );
        assert_eq!(
            out.drops_after[serial], 1,
            "{ctx}: [C2] payload {serial} dropped {} times in all",
            out.drops_after[serial]
        );
    }

    // Per id, in admission order (one producer per id, so admissions of an id are
    // sequential).
    let mut by_id: HashMap<u64, Vec<&Admission>> = HashMap::new();
    for a in &admissions {
        by_id.entry(a.id).or_default().push(a);
    }
    let end_of = |serial: usize| ended.get(&serial).copied();
    for list in by_id.values_mut() {
        list.sort_by_key(|a| a.start);
        for pair in list.windows(2) {
            let (first, second) = (pair[0], pair[1]);
            match end_of(first.serial) {
                Some(e) if e.start < second.ret => {}
                other => panic!(
                    "{ctx}: [Q2] id {:#x} admitted again while its previous job was live:\n  \
                     first {first:?}\n  ended {other:?}\n  second {second:?}",
                    first.id
                ),
            }
        }
    }
    let dup_refusals: Vec<&DupRefusal> = out.logs.iter().flat_map(|l| &l.dup_refusals).collect();
    for d in &dup_refusals {
        let justified = by_id.get(&d.id).is_some_and(|list| {
            list.iter()
                .any(|a| a.ret < d.start && end_of(a.serial).is_none_or(|e| e.ret > d.start))
        });
        assert!(
            justified,
            "{ctx}: [Q2] DuplicateId for {:#x} at {d:?} although no job with that id was \
             live then; admissions: {:?}",
            d.id,
            by_id.get(&d.id)
        );
    }

    // [C1] jobs surely live at once: admitted (returned) before a stamp, ending call
    // started after it.
    let mut events: Vec<(u64, i64)> = Vec::new();
    for a in &admissions {
        let end = end_of(a.serial).map_or(u64::MAX, |e| e.start);
        if a.ret < end {
            events.push((a.ret, 1));
            if end != u64::MAX {
                events.push((end, -1));
            }
        }
    }
    events.sort_unstable();
    let (mut live, mut max_live) = (0i64, 0i64);
    for (_, delta) in events {
        live += delta;
        max_live = max_live.max(live);
    }
    assert!(
        max_live as usize <= cfg.capacity,
        "{ctx}: [C1] {max_live} jobs were live at once, capacity {}",
        cfg.capacity
    );

    // A job is "taken from its lane" when a dequeue or an eviction ends it: both pop the
    // lane. Canceled jobs are left out of the checks below: another thread can pop a
    // job's slot and then lose it to the canceller, and whatever it did in between
    // cannot see that job. A job that never ended (drop variant) stays in its lane.
    let taken = |a: &Admission| -> Option<u64> {
        match end_of(a.serial) {
            None => Some(u64::MAX),
            Some(e) if e.kind == EndKind::Canceled => None,
            Some(e) => Some(e.start),
        }
    };

    // [C3] (and [Q2] for evictions) per lane: a.ret < b.start, a not canceled, b taken
    // from the lane => a was taken by a call that started before b's taker returned.
    // Two-pointer sweep: `by_ret` feeds every `a` that returned before `b` started.
    for lane in Priority::ALL {
        let mut by_ret: Vec<&Admission> = admissions
            .iter()
            .copied()
            .filter(|a| a.priority == lane)
            .collect();
        let mut by_start = by_ret.clone();
        by_ret.sort_unstable_by_key(|a| a.ret);
        by_start.sort_unstable_by_key(|a| a.start);
        let mut i = 0;
        let mut latest: Option<(u64, &Admission)> = None;
        for b in by_start {
            while i < by_ret.len() && by_ret[i].ret < b.start {
                let a = by_ret[i];
                if let Some(a_taken) = taken(a) {
                    if latest.is_none_or(|(l, _)| a_taken > l) {
                        latest = Some((a_taken, a));
                    }
                }
                i += 1;
            }
            let Some(eb) = end_of(b.serial).filter(|e| e.kind != EndKind::Canceled) else {
                continue;
            };
            if let Some((a_taken, a)) = latest {
                assert!(
                    a_taken < eb.ret,
                    "{ctx}: [C3] {lane} job b left its lane before job a although a was \
                     admitted first and was not canceled:\n  a {a:?}\n    {:?}\n  \
                     b {b:?}\n    {eb:?}",
                    end_of(a.serial)
                );
            }
        }
    }

    let jobs_of = |lane: Option<Priority>| -> Vec<(u64, u64, &Admission)> {
        admissions
            .iter()
            .copied()
            .filter(|a| lane.is_none_or(|p| a.priority == p))
            .filter_map(|a| taken(a).map(|t| (a.ret, t, a)))
            .collect()
    };

    // [C4] a dequeue that returned a Batch job never ran inside the live span of an
    // Interactive job that stayed in its lane.
    let batch_dequeues: Vec<(u64, u64, &Ending)> = endings
        .iter()
        .filter(|e| e.kind == EndKind::Dequeued && e.priority == Priority::Batch)
        .map(|e| (e.start, e.ret, *e))
        .collect();
    check_no_call_inside_a_live_span(
        &ctx,
        "[C4] a dequeue returned a Batch job",
        jobs_of(Some(Priority::Interactive)),
        batch_dequeues,
    );

    // [Q2] a DropLru enqueue evicted an Interactive job only when no Batch job was
    // queued for its whole call.
    let interactive_evictions: Vec<(u64, u64, &Ending)> = endings
        .iter()
        .filter(|e| e.kind == EndKind::Evicted && e.priority == Priority::Interactive)
        .map(|e| (e.start, e.ret, *e))
        .collect();
    check_no_call_inside_a_live_span(
        &ctx,
        "[Q2] an enqueue evicted an Interactive job",
        jobs_of(Some(Priority::Batch)),
        interactive_evictions,
    );

    // [C7] under DropLru a full queue evicts; `QueueFull` is allowed only when there
    // was nothing to evict. A refusing enqueue pops both lanes empty, so a job that was
    // in a lane for its whole call would have been its victim.
    if cfg.policy == Policy::DropLru {
        let refusals: Vec<(u64, u64, (u64, u64))> = out
            .logs
            .iter()
            .flat_map(|l| l.full_refusals.iter().map(|&(s, r)| (s, r, (s, r))))
            .collect();
        check_no_call_inside_a_live_span(
            &ctx,
            "[C7] a DropLru enqueue was refused with QueueFull (call stamps)",
            jobs_of(None),
            refusals,
        );
    }

    let count = |kind| endings.iter().filter(|e| e.kind == kind).count();
    let full: usize = out.logs.iter().map(|l| l.full_refusals.len()).sum();
    let foreign: usize = out.logs.iter().map(|l| l.foreign_cancels).sum();
    format!(
        "admitted {}, dequeued {}, canceled {}, evicted {}, inside at drop {}, QueueFull {}, \
         DuplicateId {}, foreign cancels {}, max surely-live {} / {}, len samples {}",
        admissions.len(),
        count(EndKind::Dequeued),
        count(EndKind::Canceled),
        count(EndKind::Evicted),
        inside,
        full,
        dup_refusals.len(),
        foreign,
        max_live,
        cfg.capacity,
        out.samples
    )
}

/// Fails if some call `(start, ret, what)` ran entirely inside the live span
/// `(admitted_ret, left_start, job)` of some job: `admitted_ret < start` and
/// `left_start > ret`. Sweep over both lists sorted by their first stamp.
pub fn check_no_call_inside_a_live_span<C: fmt::Debug>(
    ctx: &str,
    rule: &str,
    mut jobs: Vec<(u64, u64, &Admission)>,
    mut calls: Vec<(u64, u64, C)>,
) {
    jobs.sort_unstable_by_key(|&(ret, _, _)| ret);
    calls.sort_unstable_by_key(|&(start, _, _)| start);
    let mut i = 0;
    let mut latest: Option<(u64, &Admission)> = None;
    for (start, ret, call) in calls {
        while i < jobs.len() && jobs[i].0 < start {
            let (_, left, job) = jobs[i];
            if latest.is_none_or(|(l, _)| left > l) {
                latest = Some((left, job));
            }
            i += 1;
        }
        if let Some((left, job)) = latest {
            assert!(
                left < ret,
                "{ctx}: {rule} {call:?} while job {job:?} was queued for the whole call (it left \
                 its lane at stamp {left})"
            );
        }
    }
}

/// Single worker: per producer and lane, jobs are dequeued in admission order.
pub fn check_single_worker_order(cfg: Config, out: &Outcome) {
    let admissions: HashMap<usize, &Admission> = out
        .logs
        .iter()
        .flat_map(|l| &l.admissions)
        .map(|a| (a.serial, a))
        .collect();
    let orders: Vec<&Vec<usize>> = out
        .logs
        .iter()
        .map(|l| &l.dequeue_order)
        .filter(|o| !o.is_empty())
        .collect();
    assert!(orders.len() <= 1, "more than one thread dequeued");
    let Some(order) = orders.first() else { return };
    let mut last: HashMap<(usize, Priority), &Admission> = HashMap::new();
    for serial in order.iter() {
        let a = admissions[serial];
        if let Some(prev) = last.insert((a.producer, a.priority), a) {
            assert!(
                prev.start < a.start,
                "{cfg:?}: [C3] producer {} {} lane: {a:?} dequeued after {prev:?}, which was \
                 admitted later",
                a.producer,
                a.priority
            );
        }
    }
}
