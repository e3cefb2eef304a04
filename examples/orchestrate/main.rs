//! The demo: a simulated LLM-serving orchestrator on one machine.
//!
//! ```sh
//! cargo run --release --example orchestrate                                # about 10 s
//! cargo run --release --example orchestrate -- --policy drop-lru --capacity 8
//! cargo run --release --example orchestrate -- --seed 7 --fast --json
//! ```
//!
//! Front-end threads submit jobs into a bounded `ConcurrentQueue`, a canceller thread
//! cancels some of them, and worker threads take them out, ask `placement::place` for a
//! GPU pool and run them there in simulated time. At the end it prints a report per
//! priority and per pool, and the ledger: every submission must have ended exactly
//! once, or the exit status is 1. How it works is in `sim/mod.rs`.

mod sim;

use std::hash::{BuildHasher, RandomState};
use std::io::{self, Write};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use orchestrator_core::queue::Policy;

use sim::ledger::{Counts, Progress};
use sim::report::Report;
use sim::{Config, Millis, Mode, SPEEDUP};

const ABOUT: &str = "A simulated LLM-serving orchestrator: front ends submit jobs into a \
bounded ConcurrentQueue, clients cancel and resend, workers take the jobs, placement picks \
a GPU pool for each, and a ledger checks that every submission ended exactly once.";

const LONG_ABOUT_TAIL: &str = "By default the threads take turns in an order drawn from the \
seed, so the same flags and --seed print the same counts. With --free-run they race for \
real, and the counts vary from run to run. Simulated time runs 10x faster than the wall \
clock: the default 8 s of traffic are 80 simulated seconds.";

/// Flags of the demo.
#[derive(Debug, Parser)]
#[command(about = ABOUT, long_about = format!("{ABOUT}\n\n{LONG_ABOUT_TAIL}"))]
struct Args {
    /// Jobs to submit (client resends come on top)
    #[arg(long, default_value_t = 300)]
    jobs: usize,

    /// Front-end threads that submit jobs
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    producers: u16,

    /// Worker threads that take jobs, place them and run them (the pools have 12 slots)
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u16).range(1..))]
    workers: u16,

    /// Queue capacity (0 refuses every job)
    #[arg(long, default_value_t = 32)]
    capacity: usize,

    /// What a full queue does with a new job
    #[arg(long, value_enum, default_value_t = PolicyArg::Reject)]
    policy: PolicyArg,

    /// Share of jobs whose client gives up and cancels, 0 to 1
    #[arg(long, default_value_t = 0.1, value_parser = share)]
    cancel_rate: f64,

    /// Share of jobs whose client resends the same job id, 0 to 1
    #[arg(long, default_value_t = 0.05, value_parser = share)]
    retry_rate: f64,

    /// Wall-clock seconds during which the front ends submit jobs (10x as many simulated
    /// seconds); then the queue closes and drains
    #[arg(long, default_value_t = 8.0, value_parser = seconds)]
    duration: f64,

    /// Seed of the workload and the turn order [default: random, printed in the report]
    #[arg(long)]
    seed: Option<u64>,

    /// Run all threads at once, with real blocking and sleeping: counts depend on timing
    #[arg(long, conflicts_with = "fast")]
    free_run: bool,

    /// Do not follow the wall clock: finish as fast as possible, with the same counts
    #[arg(long)]
    fast: bool,

    /// Print the report as JSON on stdout (the progress bar stays on stderr)
    #[arg(long)]
    json: bool,
}

/// `--policy`: `reject` or `drop-lru`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum PolicyArg {
    /// Refuse the new job
    Reject,
    /// Evict the oldest Batch job (else the oldest Interactive job) to admit the new one
    DropLru,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = args.config();
    let started = Instant::now();
    let report = run_with_progress_bar(&config);
    eprintln!(
        "finished in {:.1} s of wall-clock time",
        started.elapsed().as_secs_f64()
    );
    match print_report(&report, args.json) {
        // A closed pipe (`| head`) is the reader's choice, not a failure of the run.
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("cannot write the report: {error}");
            ExitCode::FAILURE
        }
        _ if report.ledger.ok => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// Prints the report on stdout, as tables or as JSON.
fn print_report(report: &Report, json: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        write!(out, "{report}")?;
    }
    out.flush()
}

impl Args {
    fn config(&self) -> Config {
        let seed = self.seed.unwrap_or_else(random_seed);
        let mode = if self.free_run {
            Mode::FreeRun
        } else {
            Mode::Deterministic { paced: !self.fast }
        };
        Config {
            jobs: self.jobs,
            front_ends: self.producers.into(),
            workers: self.workers.into(),
            capacity: self.capacity,
            policy: match self.policy {
                PolicyArg::Reject => Policy::Reject,
                PolicyArg::DropLru => Policy::DropLru,
            },
            cancel_rate: self.cancel_rate,
            retry_rate: self.retry_rate,
            window_ms: (self.duration * 1000.0 * SPEEDUP as f64).round() as Millis,
            seed,
            mode,
        }
    }
}

/// A short seed that differs from run to run (std's hasher keys are random).
fn random_seed() -> u64 {
    RandomState::new().hash_one(Instant::now()) % 1_000_000
}

/// Runs the simulation on a second thread while this one draws a progress bar on
/// stderr. indicatif hides the bar when stderr is not a terminal.
fn run_with_progress_bar(config: &Config) -> Report {
    let progress = Progress::default();
    let style =
        ProgressStyle::with_template("{spinner} {elapsed:>3} [{wide_bar}] {pos}/{len} {msg}")
            .expect("the template is valid")
            .progress_chars("=> ");
    let bar = ProgressBar::new(0).with_style(style);
    thread::scope(|scope| {
        let simulation = scope.spawn(|| sim::run(config, &progress));
        while !simulation.is_finished() {
            show(&bar, progress.counts());
            thread::sleep(Duration::from_millis(50));
        }
        bar.finish_and_clear();
        simulation
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Bar: submissions settled out of those planned; message: how the admitted ones went.
fn show(bar: &ProgressBar, counts: Counts) {
    if counts.planned == 0 {
        return; // the workload is not drawn yet
    }
    bar.set_length(counts.planned);
    bar.set_position(counts.settled);
    bar.set_message(format!(
        "admitted {} · done {} · canceled {} · evicted {}",
        counts.admitted, counts.done, counts.canceled, counts.evicted
    ));
}

/// Parses a share in `0..=1`.
fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(format!("{text:?} is not a number from 0 to 1")),
    }
}

/// Parses a positive number of seconds (at most a day).
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value > 0.0 && value <= 86_400.0 => Ok(value),
        _ => Err(format!(
            "{text:?} is not a number of seconds above 0 (up to 86400)"
        )),
    }
}
