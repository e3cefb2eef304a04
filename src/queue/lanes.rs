//! The lanes: one FIFO per priority, each a ring of [`Cell`]s that hold the jobs
//! themselves, sized from the capacity when the queue is built.
//!
//! # Tickets, laps and why dead cells cost nothing
//!
//! Each lane has a *tail* (the next ticket to hand out) and a *head* (the first ticket
//! not yet settled), both only ever growing. Ticket `t` goes into cell `t mod R` (`R`,
//! the ring length, is a power of two of at least twice the capacity). A producer does
//! not wait for the head to come round: it claims the cell at the tail if that cell is
//! free, writes its job, publishes it and only then moves the tail on (so a dequeue
//! that polls an empty lane reads no line the producer writes twice per job); a
//! producer that finds the tail's cell already claimed moves the tail on itself. If the
//! cell still holds an older job (one that is live, or being taken), the producer
//! leaves that ticket unused and moves the tail on. So a canceled job's cell is
//! reused on the next lap even while an older job sits at the front of the lane, and
//! the two lanes stay `2R` cells whatever the history: memory is fixed at construction
//! \[C8\] and no job allocates.
//!
//! The head moves past a ticket only once that ticket is settled in its cell (the
//! cell's ticket has reached it), which is what keeps a late producer out: its claim
//! needs the cell's ticket below its own.
//!
//! # A dequeue
//!
//! A dequeue reads the head `h` and its cell, and acts on the cell's word:
//!
//! * `Queued(h)`: takes the job with a CAS on the cell: that CAS is the dequeue's
//!   linearization point; then it moves the head on (any dequeue that finds the cell
//!   taken helps with that).
//! * ticket above `h` (the cell was reused on a later lap: ticket `h` was left unused),
//!   or `Taken(h)`, `Skipped(h)`, `Free(h)`: nothing to take at `h`; it moves the head on.
//! * `Writing(h)`: the producer of `h` is still writing. If it is the last ticket
//!   handed out, the lane has nothing live: `Empty`. Otherwise the dequeue passes it
//!   (`Skipped`) rather than wait, and the producer, when it finds out, places its job
//!   again under a new ticket.
//! * ticket below `h`: ticket `h` was not claimed. If the tail is at `h`, the lane is
//!   empty. Otherwise the ticket was left unused (its cell still held an older job when
//!   the tail passed it): the dequeue raises the cell's ticket (so a late claim fails)
//!   and moves the head on.
//!
//! So a dequeue answers `Empty` only when the lane had no live job at the moment it
//! read the cell at the head \[Q3\], and no operation ever waits for another thread to
//! finish writing a cell \[C6\].
//!
//! When a live job stays at the front while many jobs come and go behind it (a stalled
//! worker pool, clients cancelling and resending), the tickets between it and the tail
//! are mostly unused by the time it is taken. A dequeue that passes a cell raises its
//! ticket to the last one of that cell below the tail, and one that steps over a lap of
//! unused tickets in a row reads the whole ring once and moves the head straight to the
//! first ticket still unsettled, so the first dequeue after ten million cancels costs
//! about two laps of steps (15 µs at capacity 1024), not ten million.

use crossbeam_utils::CachePadded;

use crate::queue::cell::{Cell, CellJob, CellState};
use crate::queue::Priority;
use crate::sync::{AtomicU64, Ordering, IN_LOOM_MODEL};

/// The most cells both lanes hold together: the id table names a cell in 32 bits
/// (`index + 1`).
const MAX_CELLS: usize = 1 << 31;

/// The largest capacity the lanes support: each lane's ring is at least twice it.
pub(crate) const MAX_CAPACITY: usize = MAX_CELLS / 4;

/// One lane's counters, each on its own line: producers write the tail, dequeues the
/// head.
struct Ends {
    head: CachePadded<AtomicU64>,
    tail: CachePadded<AtomicU64>,
}

/// A cell claimed by a producer: it must [`publish`](Lanes::publish) it (or take its job
/// back when a dequeue passed it).
#[must_use = "a claimed cell must be published"]
pub(crate) struct ClaimedCell {
    cell: u32,
    ticket: u64,
    priority: Priority,
}

impl ClaimedCell {
    /// The cell's number, as the id table stores it.
    pub(crate) fn cell(&self) -> u32 {
        self.cell
    }

    /// The job's ticket: its place in the lane.
    pub(crate) fn ticket(&self) -> u64 {
        self.ticket
    }
}

/// A cell whose job this thread took out: it must [`release`](Lanes::release) it once the
/// job's id table entry is vacated.
#[must_use = "a taken cell must be released"]
pub(crate) struct TakenCell {
    cell: u32,
}

/// A cell passed while its producer was writing: the producer's job, to place again.
#[must_use = "a skipped cell must be released"]
pub(crate) struct SkippedCell {
    cell: u32,
}

/// Both lanes and their cells (see the module docs).
pub(crate) struct Lanes<T, I> {
    ends: [Ends; 2],
    /// Lane `l`'s cells are `cells[l * ring .. (l + 1) * ring]`.
    cells: Box<[Cell<T, I>]>,
    /// `R`, a power of two.
    ring: u64,
}

impl<T, I> Lanes<T, I> {
    /// Lanes for a queue of `capacity` (at most [`MAX_CAPACITY`]): two rings of
    /// `R = (2 × capacity).next_power_of_two()` cells (at least 2).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        debug_assert!(capacity <= MAX_CAPACITY);
        let ring = capacity.saturating_mul(2).max(2).next_power_of_two() as u64;
        // Tickets start at `ring`, so that cell `i`'s first ticket, `ring + i`, is above
        // the ticket `i` it starts with.
        let cells = (0..2 * ring).map(|index| Cell::new(index % ring)).collect();
        Lanes {
            ends: core::array::from_fn(|_| Ends {
                head: CachePadded::new(AtomicU64::new(ring)),
                tail: CachePadded::new(AtomicU64::new(ring)),
            }),
            cells,
            ring,
        }
    }

    /// The number of the cell that holds `ticket` of `priority`'s lane.
    fn cell_of(&self, priority: Priority, ticket: u64) -> u32 {
        (priority.index() as u64 * self.ring + (ticket & (self.ring - 1))) as u32
    }

    fn cell(&self, cell: u32) -> &Cell<T, I> {
        &self.cells[cell as usize]
    }

    /// The word of cell `cell`, for the id table.
    pub(crate) fn state(&self, cell: u32) -> CellState {
        self.cell(cell).state()
    }

    /// Claims the cell for the next ticket of `priority`'s lane and writes `job` into
    /// it. The caller then [`publish`](Self::publish)es it.
    pub(crate) fn claim_and_write(&self, priority: Priority, job: CellJob<T, I>) -> ClaimedCell {
        let tail = &self.ends[priority.index()].tail;
        // Acquire: see `advance`.
        let mut ticket = tail.load(Ordering::Acquire);
        loop {
            let number = self.cell_of(priority, ticket);
            let cell = self.cell(number);
            let seen = cell.state();
            if seen.ticket() < ticket && seen.is_free() {
                if cell.claim(seen, ticket) {
                    // SAFETY: this thread just claimed the cell and wrote nothing yet.
                    unsafe { cell.write(job) };
                    // The tail moves on in `publish`: a dequeue that finds this cell
                    // still being written while the tail is at its ticket answers
                    // `Empty` without reading anything this producer writes again. A
                    // producer that comes meanwhile sees the claim and moves the tail.
                    return ClaimedCell {
                        cell: number,
                        ticket,
                        priority,
                    };
                }
                // The word moved: look again.
            } else {
                // The ticket is taken (or settled), or the cell still holds an older
                // job: leave the ticket to whoever has it, or unused.
                ticket = self.advance(tail, ticket);
                continue;
            }
            // Acquire: see `advance`.
            ticket = tail.load(Ordering::Acquire);
        }
    }

    /// Moves `end` from `from` to `from + 1` unless another thread already moved it;
    /// returns where it is now.
    fn advance(&self, end: &AtomicU64, from: u64) -> u64 {
        // AcqRel / Acquire: an end moves past a ticket only after its mover saw that
        // ticket settled in its cell (or claimed it); whoever reads the new position
        // also sees that cell word, or a later one, so a dequeue never meets a cell
        // that is behind the head it read.
        match end.compare_exchange(from, from + 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => from + 1,
            Err(now) => now,
        }
    }

    /// Makes the job in `claimed` live. `Err` if a dequeue passed the cell while it was
    /// being written: the job is still the caller's (see [`take_back`](Self::take_back)).
    pub(crate) fn publish(&self, claimed: ClaimedCell) -> Result<(), SkippedCell> {
        let published = self.cell(claimed.cell).publish(claimed.ticket);
        self.advance(&self.ends[claimed.priority.index()].tail, claimed.ticket);
        if published {
            Ok(())
        } else {
            Err(SkippedCell { cell: claimed.cell })
        }
    }

    /// The job of a skipped cell, back to its producer; the caller then releases the
    /// cell (after it has detached the job's id table entry from it).
    pub(crate) fn take_back(&self, skipped: &SkippedCell) -> CellJob<T, I> {
        // SAFETY: `SkippedCell` comes only from a failed `publish` of a cell this thread
        // claimed and wrote, and is consumed by `release_skipped`: one take-back.
        unsafe { self.cell(skipped.cell).take_back() }
    }

    /// Frees a skipped cell whose job was taken back.
    pub(crate) fn release_skipped(&self, skipped: SkippedCell) {
        // SAFETY: the caller's producer owns the skipped cell (see `take_back`).
        unsafe { self.cell(skipped.cell).release() }
    }

    /// Takes the job of ticket `ticket` in cell `cell` if this call wins it.
    pub(crate) fn take(&self, cell: u32, ticket: u64) -> Option<(CellJob<T, I>, TakenCell)> {
        let job = self.cell(cell).take(ticket)?;
        Some((job, TakenCell { cell }))
    }

    /// Frees a taken cell: the caller is done with its job and has vacated its id.
    pub(crate) fn release(&self, taken: TakenCell) {
        // SAFETY: `TakenCell` comes only from a won `take`, and is consumed here once.
        unsafe { self.cell(taken.cell).release() }
    }

    /// Takes the front live job of `priority`'s lane; `None` if, when this call read the
    /// cell at the head, the lane had no live job (module docs).
    pub(crate) fn take_front(&self, priority: Priority) -> Option<(CellJob<T, I>, TakenCell)> {
        let ends = &self.ends[priority.index()];
        // Acquire: see `advance`.
        let mut head = ends.head.load(Ordering::Acquire);
        // Unused tickets stepped over in a row (see `catch_up`).
        let mut unused = 0;
        loop {
            let number = self.cell_of(priority, head);
            let cell = self.cell(number);
            let seen = cell.state();
            let ticket = seen.ticket();
            if ticket == head {
                if seen.is_queued() {
                    if let Some(job) = cell.take(head) {
                        self.advance(&ends.head, head);
                        return Some((job, TakenCell { cell: number }));
                    }
                    // Taken or passed meanwhile: look again.
                    continue;
                }
                if seen.is_writing() {
                    // Acquire: see `advance`.
                    if ends.tail.load(Ordering::Acquire) <= head + 1 {
                        return None;
                    }
                    if !cell.skip(head) {
                        // Published meanwhile: look again.
                        continue;
                    }
                }
            } else if ticket < head {
                if seen.is_queued() || seen.is_writing() {
                    // Cannot be: the head passed that ticket once its cell showed it
                    // settled, and `advance` orders that word before this read.
                    if cfg!(debug_assertions) || IN_LOOM_MODEL {
                        panic!("a live cell behind the head");
                    }
                    // Acquire: see `advance`.
                    head = ends.head.load(Ordering::Acquire);
                    continue;
                }
                // Acquire: see `advance`.
                let tail = ends.tail.load(Ordering::Acquire);
                if tail <= head {
                    return None;
                }
                // Settles every ticket of this cell below the tail at once, not only
                // `head`: they were all handed out or left unused, so a producer that
                // still holds one retries, and the head will find them settled.
                let last_below_tail = head + (tail - 1 - head) / self.ring * self.ring;
                if !cell.pass(seen, last_below_tail) {
                    continue;
                }
            } else {
                // A ticket left unused: the cell is already on a later lap.
                unused += 1;
                if unused >= self.catch_up_after() {
                    unused = 0;
                    if let Some(moved) = self.catch_up(priority, head) {
                        head = moved;
                        continue;
                    }
                }
            }
            head = self.advance(&ends.head, head);
        }
    }

    /// Unused tickets a dequeue steps over, one at a time, before it looks at the whole
    /// ring to jump ahead: a lap's worth, so the jump's cost (one read per cell) stays
    /// below the steps it saves. One inside the loom models, so they check the jump.
    fn catch_up_after(&self) -> u32 {
        if IN_LOOM_MODEL {
            1
        } else {
            self.ring.min(u64::from(u32::MAX)) as u32
        }
    }

    /// Moves `priority`'s head from `head` straight to the first ticket that is not
    /// settled in its cell, if that is further on: after a live job stayed at the front
    /// while many jobs came and went behind it, the head would otherwise step over every
    /// unused ticket one by one. Returns the head as this call left it, or `None` if it
    /// could not move it.
    ///
    /// Each cell settles the tickets of its residue class up to its own ticket, and its
    /// own ticket too unless it holds a live job (`Queued` or `Writing`). So the first
    /// unsettled ticket is the smallest, over the cells, of the cell's ticket (live) or
    /// the cell's ticket plus one lap (not live). That is never past the tail (the cell
    /// of the tail's own ticket holds at most the ticket one lap before it); the tail
    /// read before the cells bounds it all the same. Reads that are not the latest show
    /// smaller tickets, which only shortens the jump.
    fn catch_up(&self, priority: Priority, head: u64) -> Option<u64> {
        let ends = &self.ends[priority.index()];
        // Acquire: see `advance`.
        let mut target = ends.tail.load(Ordering::Acquire);
        let first = self.cell_of(priority, 0) as usize;
        for cell in &self.cells[first..first + self.ring as usize] {
            let seen = cell.state();
            let unsettled = if seen.is_queued() || seen.is_writing() {
                seen.ticket()
            } else {
                seen.ticket() + self.ring
            };
            target = target.min(unsettled);
        }
        if target <= head {
            return None;
        }
        // AcqRel / Acquire: as in `advance`.
        match ends
            .head
            .compare_exchange(head, target, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Some(target),
            Err(now) => Some(now),
        }
    }
}
