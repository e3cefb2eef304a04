//! The two ways to run the actors: in turns (reproducible) or freely (timing decides).

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::{self, Scope};
use std::time::{Duration, Instant};

use super::actors::{Actor, Next, Queue};
use super::rng::Rng;
use super::{Millis, SPEEDUP, TICK_MS};

/// The time an actor's step sees, and whether the step may block.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    /// A turn at this simulated time. The step must not block: the other threads are
    /// waiting for it to finish its turn.
    Turn(Millis),
    /// The free run's clock: the simulated time is the wall-clock time since the start,
    /// times [`SPEEDUP`]; steps block when they have nothing to do.
    Wall(WallClock),
}

impl Clock {
    /// The simulated time now.
    pub fn now(&self) -> Millis {
        match self {
            Clock::Turn(now) => *now,
            Clock::Wall(wall) => wall.now(),
        }
    }

    /// Whether the step may block waiting for a job or a slot.
    pub fn may_block(&self) -> bool {
        matches!(self, Clock::Wall(_))
    }
}

/// Simulated time that runs [`SPEEDUP`] times faster than the wall clock.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    start: Instant,
}

impl WallClock {
    /// A clock at simulated time 0 now.
    pub fn start() -> Self {
        Self {
            start: Instant::now(),
        }
    }

    /// The simulated time now.
    pub fn now(&self) -> Millis {
        let wall_us = self.start.elapsed().as_micros();
        (wall_us * u128::from(SPEEDUP) / 1000) as Millis
    }

    /// Sleeps until the simulated time `at` (at once if it has passed).
    pub fn sleep_until(&self, at: Millis) {
        let wall = Duration::from_micros(at.saturating_mul(1000) / SPEEDUP);
        let deadline = self.start + wall;
        let now = Instant::now();
        if deadline > now {
            thread::sleep(deadline - now);
        }
    }
}

/// Runs the actors in turns and returns the simulated time at which the last one
/// finished.
///
/// Every actor runs on its own thread, but only one of them at a time: each tick, the
/// actors that have something due take a turn each, in an order drawn from `order`, and
/// the driver waits for one turn to end before it starts the next. So every queue
/// operation still crosses threads (a front end's enqueue, a worker's dequeue, the
/// canceller's cancel), while the sequence of operations, and so every count, depends
/// only on the seed. The queue closes at the first tick at or after `close_at`.
///
/// With `paced`, each tick waits for the wall clock (`TICK_MS / SPEEDUP` per tick), so
/// that the run can be watched; otherwise it runs as fast as the turns go.
pub fn in_turns(
    actors: Vec<Actor<'_>>,
    queue: &Queue,
    close_at: Millis,
    mut order: Rng,
    paced: bool,
) -> Millis {
    thread::scope(|scope| {
        let mut seats: Vec<Seat> = actors
            .into_iter()
            .map(|actor| Seat::spawn(scope, actor))
            .collect();
        let wall = WallClock::start();
        let mut now = 0;
        loop {
            if now >= close_at && !queue.is_closed() {
                queue.close();
            }
            let mut due: Vec<usize> = (0..seats.len())
                .filter(|&seat| seats[seat].is_due(now))
                .collect();
            order.shuffle(&mut due);
            for seat in due {
                seats[seat].take_turn(now);
            }
            if seats.iter().all(Seat::is_finished) {
                // Dropping the seats hangs up their turn channels: the threads return.
                return now;
            }
            now += TICK_MS;
            if paced {
                wall.sleep_until(now);
            }
        }
    })
}

/// An actor's thread, as the turn driver sees it.
struct Seat {
    turn: Sender<Millis>,
    done: Receiver<Next>,
    /// When it next has something to do; `None` once finished.
    due: Option<Millis>,
}

impl Seat {
    /// Starts `actor` on its own thread, waiting for its first turn.
    fn spawn<'scope, 'env>(scope: &'scope Scope<'scope, 'env>, mut actor: Actor<'env>) -> Self {
        let (turn, turns) = channel::<Millis>();
        let (done_with, done) = channel::<Next>();
        scope.spawn(move || {
            for now in turns {
                let next = actor.step(Clock::Turn(now));
                if done_with.send(next).is_err() {
                    return;
                }
            }
        });
        Seat {
            turn,
            done,
            due: Some(0),
        }
    }

    fn is_due(&self, now: Millis) -> bool {
        self.due.is_some_and(|due| due <= now)
    }

    fn is_finished(&self) -> bool {
        self.due.is_none()
    }

    /// Gives the actor its turn at `now` and waits until the turn is over.
    fn take_turn(&mut self, now: Millis) {
        self.turn.send(now).expect("an actor thread stopped");
        let next = self.done.recv().expect("an actor thread panicked");
        self.due = match next {
            Next::At(at) => Some(at.max(now + TICK_MS)),
            Next::Again => Some(now + TICK_MS),
            Next::Finished => None,
        };
    }
}

/// Runs every actor freely on its own thread, with real blocking and sleeping, closes
/// the queue at `close_at`, and returns the simulated time at which the last actor
/// finished. What happens first is up to the OS scheduler, so the counts vary from run
/// to run; the ledger must hold all the same.
pub fn free(actors: Vec<Actor<'_>>, queue: &Queue, close_at: Millis) -> Millis {
    let clock = WallClock::start();
    thread::scope(|scope| {
        for mut actor in actors {
            scope.spawn(move || loop {
                match actor.step(Clock::Wall(clock)) {
                    Next::At(at) => clock.sleep_until(at),
                    // Blocking steps wait inside the step; yield if one ever asks anyway.
                    Next::Again => thread::yield_now(),
                    Next::Finished => return,
                }
            });
        }
        clock.sleep_until(close_at);
        queue.close();
    });
    clock.now()
}
