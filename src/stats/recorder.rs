//! Where a queue counts what happens to its jobs: sharded per thread so that no counter
//! is shared by threads that run at the same time.
//!
//! Every event is one relaxed `fetch_add` on a counter in the calling thread's shard
//! (and a dequeue adds one to a wait-histogram bucket in the same shard). Threads get
//! shards round-robin on first use, so up to as many threads as there are shards never
//! share a cache line; the shard count is the machine's parallelism rounded up to a
//! power of two, at most [`MAX_SHARDS`]. Reading sums the shards.
//!
//! The counters are plain `std` atomics even under `--cfg loom`: they order nothing
//! (each is relaxed and read only to report), so the models do not need to explore them.
//!
//! With the `stats` feature off, [`StatsRecorder`] is an empty type whose methods do
//! nothing, and the compiler removes every call.

#[cfg(feature = "stats")]
pub(crate) use self::enabled::StatsRecorder;

#[cfg(not(feature = "stats"))]
pub(crate) use self::disabled::StatsRecorder;

/// Shards above this many cost memory (about 19 KiB each, mostly wait buckets) for
/// little gain: beyond it, threads share shards.
#[cfg(feature = "stats")]
pub(crate) const MAX_SHARDS: usize = 16;

#[cfg(feature = "stats")]
mod enabled {
    use core::time::Duration;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::OnceLock;

    use crossbeam_utils::CachePadded;

    use super::MAX_SHARDS;
    use crate::admission::{EnqueueErrorKind, Priority};
    use crate::stats::wait_histogram::{WaitRecorder, WaitStats};
    use crate::stats::{PriorityStats, QueueStats, Rejections};

    /// What can happen to a job (or a refused enqueue), one counter each.
    #[derive(Copy, Clone)]
    enum Event {
        Enqueued,
        Dequeued,
        Canceled,
        Evicted,
        RejectedFull,
        RejectedDuplicate,
        RejectedClosed,
    }

    const EVENTS: usize = 7;

    /// One shard: the counters of both priorities on their own cache lines, and the
    /// wait buckets (heap-allocated, one block per priority).
    struct Shard {
        counts: CachePadded<[[AtomicU64; EVENTS]; 2]>,
        waits: [WaitRecorder; 2],
    }

    impl Shard {
        fn new() -> Self {
            Shard {
                counts: CachePadded::new(Default::default()),
                waits: [WaitRecorder::new(), WaitRecorder::new()],
            }
        }

        fn count(&self, priority: Priority, event: Event) -> u64 {
            // Relaxed: a report; nothing is read on the strength of this value.
            self.counts[priority.index()][event as usize].load(Ordering::Relaxed)
        }
    }

    /// The counters and wait histograms of one queue.
    pub(crate) struct StatsRecorder {
        shards: Box<[Shard]>,
        /// `shards.len() - 1`; the length is a power of two.
        mask: usize,
    }

    impl StatsRecorder {
        /// One shard per hardware thread (rounded up to a power of two, at most
        /// `MAX_SHARDS`): for queues shared between threads.
        pub(crate) fn sharded() -> Self {
            Self::with_shards(machine_shards())
        }

        /// One shard: for a queue that one thread at a time uses (`&mut self`).
        pub(crate) fn single() -> Self {
            Self::with_shards(1)
        }

        fn with_shards(shards: usize) -> Self {
            debug_assert!(shards.is_power_of_two());
            StatsRecorder {
                shards: (0..shards).map(|_| Shard::new()).collect(),
                mask: shards - 1,
            }
        }

        #[inline]
        fn shard(&self) -> &Shard {
            &self.shards[thread_slot() & self.mask]
        }

        #[inline]
        fn add(&self, priority: Priority, event: Event) {
            // Relaxed: a counter read only to report; the queue's own atomics order
            // the operation it counts.
            self.shard().counts[priority.index()][event as usize].fetch_add(1, Ordering::Relaxed);
        }

        /// A job was admitted.
        #[inline]
        pub(crate) fn enqueued(&self, priority: Priority) {
            self.add(priority, Event::Enqueued);
        }

        /// An enqueue was refused.
        #[inline]
        pub(crate) fn rejected(&self, priority: Priority, kind: EnqueueErrorKind) {
            let event = match kind {
                EnqueueErrorKind::QueueFull => Event::RejectedFull,
                EnqueueErrorKind::DuplicateId => Event::RejectedDuplicate,
                EnqueueErrorKind::Closed => Event::RejectedClosed,
            };
            self.add(priority, event);
        }

        /// A worker took a job that had waited `waited`.
        #[inline]
        pub(crate) fn dequeued(&self, priority: Priority, waited: Duration) {
            let shard = self.shard();
            // Relaxed: as in `add`.
            shard.counts[priority.index()][Event::Dequeued as usize]
                .fetch_add(1, Ordering::Relaxed);
            shard.waits[priority.index()].record(waited);
        }

        /// A job was canceled.
        #[inline]
        pub(crate) fn canceled(&self, priority: Priority) {
            self.add(priority, Event::Canceled);
        }

        /// A job was evicted to make room.
        #[inline]
        pub(crate) fn evicted(&self, priority: Priority) {
            self.add(priority, Event::Evicted);
        }

        /// Sums the shards. `len`, `capacity` and `closed` come from the queue.
        pub(crate) fn snapshot(&self, len: usize, capacity: usize, closed: bool) -> QueueStats {
            let priority = |priority: Priority| {
                let total = |event| self.shards.iter().map(|s| s.count(priority, event)).sum();
                let enqueued: u64 = total(Event::Enqueued);
                let dequeued: u64 = total(Event::Dequeued);
                let canceled: u64 = total(Event::Canceled);
                let evicted: u64 = total(Event::Evicted);
                PriorityStats {
                    enqueued,
                    dequeued,
                    canceled,
                    evicted,
                    rejected: Rejections {
                        full: total(Event::RejectedFull),
                        duplicate: total(Event::RejectedDuplicate),
                        closed: total(Event::RejectedClosed),
                    },
                    depth: enqueued.saturating_sub(dequeued + canceled + evicted),
                    wait: WaitStats::from_recorders(
                        self.shards.iter().map(|s| &s.waits[priority.index()]),
                    ),
                }
            };
            QueueStats {
                interactive: priority(Priority::Interactive),
                batch: priority(Priority::Batch),
                len,
                capacity,
                closed,
            }
        }
    }

    /// The shard count for this machine, computed once (`available_parallelism` reads
    /// cgroup files).
    fn machine_shards() -> usize {
        static SHARDS: OnceLock<usize> = OnceLock::new();
        *SHARDS.get_or_init(|| {
            std::thread::available_parallelism()
                .map_or(1, |threads| threads.get())
                .next_power_of_two()
                .min(MAX_SHARDS)
        })
    }

    /// This thread's shard number, handed out round-robin on the thread's first event.
    #[inline]
    fn thread_slot() -> usize {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            // Relaxed: only uniqueness matters, and the RMW gives it.
            static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed);
        }
        SLOT.with(|slot| *slot)
    }
}

#[cfg(not(feature = "stats"))]
mod disabled {
    use core::time::Duration;

    use crate::admission::{EnqueueErrorKind, Priority};

    /// The `stats` feature is off: nothing is recorded.
    pub(crate) struct StatsRecorder;

    impl StatsRecorder {
        pub(crate) fn sharded() -> Self {
            StatsRecorder
        }

        pub(crate) fn single() -> Self {
            StatsRecorder
        }

        #[inline(always)]
        pub(crate) fn enqueued(&self, _: Priority) {}

        #[inline(always)]
        pub(crate) fn rejected(&self, _: Priority, _: EnqueueErrorKind) {}

        #[inline(always)]
        pub(crate) fn dequeued(&self, _: Priority, _: Duration) {}

        #[inline(always)]
        pub(crate) fn canceled(&self, _: Priority) {}

        #[inline(always)]
        pub(crate) fn evicted(&self, _: Priority) {}
    }
}
