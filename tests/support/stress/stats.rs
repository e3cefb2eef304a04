//! The stats of a stress run against its logs, at quiescence.

use orchestrator_core::queue::Priority;

use super::log::{EndKind, Ending, Log};
use super::run::Outcome;
use super::Config;

/// The stats add up at quiescence and match the logs event for event.
#[cfg(feature = "stats")]
pub fn check_stats(cfg: Config, out: &Outcome) {
    let (stats, lane_lens) = &out.stats_at_end;
    let ctx = format!("{cfg:?}\n{stats:#?}");
    let endings: Vec<&Ending> = out.logs.iter().flat_map(|l| &l.endings).collect();
    for priority in Priority::ALL {
        let lane = stats.priority(priority);
        let admitted = out
            .logs
            .iter()
            .flat_map(|l| &l.admissions)
            .filter(|a| a.priority == priority)
            .count() as u64;
        let ended = |kind: EndKind| {
            endings
                .iter()
                .filter(|e| e.priority == priority && e.kind == kind)
                .count() as u64
        };
        assert_eq!(lane.enqueued, admitted, "{priority} enqueued\n{ctx}");
        assert_eq!(
            lane.dequeued,
            ended(EndKind::Dequeued),
            "{priority} dequeued\n{ctx}"
        );
        assert_eq!(
            lane.canceled,
            ended(EndKind::Canceled),
            "{priority} canceled\n{ctx}"
        );
        assert_eq!(
            lane.evicted,
            ended(EndKind::Evicted),
            "{priority} evicted\n{ctx}"
        );
        assert_eq!(
            lane.enqueued,
            lane.dequeued + lane.canceled + lane.evicted + lane.depth,
            "{priority}: enqueued = dequeued + canceled + evicted + depth\n{ctx}"
        );
        assert_eq!(
            lane.depth,
            lane_lens[priority.index()] as u64,
            "{priority} depth vs snapshot_priority\n{ctx}"
        );
        assert_eq!(
            lane.wait.samples, lane.dequeued,
            "{priority} wait samples\n{ctx}"
        );
        assert_eq!(
            lane.rejected.closed, 0,
            "{priority}: no enqueue after close\n{ctx}"
        );
    }
    assert_eq!(stats.depth(), stats.len as u64, "depths vs len()\n{ctx}");
    let refused = |count: fn(&Log) -> usize| out.logs.iter().map(count).sum::<usize>() as u64;
    assert_eq!(
        stats.interactive.rejected.full + stats.batch.rejected.full,
        refused(|l| l.full_refusals.len()),
        "QueueFull refusals\n{ctx}"
    );
    assert_eq!(
        stats.interactive.rejected.duplicate + stats.batch.rejected.duplicate,
        refused(|l| l.dup_refusals.len()),
        "DuplicateId refusals\n{ctx}"
    );
}
