//! Deterministic simulation (`sqlite_tests::sim`): seeded workloads of three connections with
//! I/O errors, torn writes and power losses, each crash recovered and checked against the model,
//! by Brisk's integrity check and by SQLite's. `cargo run --release -p sqlite-tests --bin sim`
//! runs long ranges.

use sqlite_tests::sim::simulate;

/// Seeds 0..SEEDS, 300 steps each: none may fail.
const SEEDS: u64 = 150;

#[test]
fn seeded_workloads_with_faults_keep_every_property() {
    let mut failures = Vec::new();
    let (mut crashes, mut faults, mut commits) = (0, 0, 0);
    for seed in 0..SEEDS {
        match simulate(seed, 300) {
            Ok(r) => {
                crashes += r.crashes;
                faults += r.faults;
                commits += r.commits;
            }
            Err(e) => failures.push(e),
        }
    }
    println!("{SEEDS} seeds: {commits} commits, {faults} faults injected, {crashes} crashes recovered");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The workload really does crash and commit (a harness that stopped injecting would pass).
    assert!(crashes > SEEDS as usize && faults > SEEDS as usize && commits > 10 * SEEDS as usize);
}

/// A seed replays exactly: the same run, step for step.
#[test]
fn a_seed_replays_exactly() {
    assert_eq!(simulate(42, 300), simulate(42, 300));
}
