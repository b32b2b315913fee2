//! Long deterministic-simulation runs: `sim [SEEDS] [FIRST_SEED] [STEPS]` (defaults 100, 0 and
//! 400). Runs each seed's workload with faults and crashes (`sqlite_tests::sim`), prints the
//! first failure of each failing seed and the totals, and exits non-zero if any seed failed.
//! A failing seed replays exactly: `sim 1 SEED`.

use std::time::Instant;

use sqlite_tests::sim::{simulate, SimReport};

fn arg(i: usize, default: u64) -> u64 {
    std::env::args().nth(i).map(|s| s.parse().unwrap_or_else(|_| panic!("not a number: {s}"))).unwrap_or(default)
}

fn main() {
    let (seeds, first, steps) = (arg(1, 100), arg(2, 0), arg(3, 400) as usize);
    let start = Instant::now();
    let mut total = SimReport::default();
    let mut failed = 0;
    for seed in first..first + seeds {
        match simulate(seed, steps) {
            Ok(r) => {
                total.steps += r.steps;
                total.commits += r.commits;
                total.rollbacks += r.rollbacks;
                total.busy += r.busy;
                total.faults += r.faults;
                total.crashes += r.crashes;
                total.reads_checked += r.reads_checked;
            }
            Err(e) => {
                failed += 1;
                println!("{e}");
            }
        }
    }
    println!(
        "{seeds} seeds from {first}, {steps} steps each: {failed} failed; {} steps, {} commits, {} rollbacks, {} busy, {} faults injected, {} crashes recovered, {} reads checked, in {:.1?}",
        total.steps, total.commits, total.rollbacks, total.busy, total.faults, total.crashes, total.reads_checked,
        start.elapsed()
    );
    if failed > 0 {
        std::process::exit(1);
    }
}
