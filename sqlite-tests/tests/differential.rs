//! Differential test: random schemas, rows, queries and data changes through Brisk and through
//! bundled SQLite, compared statement by statement (see `sqlite_tests::diffgen`).
//!
//! This test runs a fixed range of seeds and fails when any of them differs (longer ranges
//! still find the classes listed in COMPAT.md), printing every differing case's first
//! difference. `cargo run --release -p sqlite-tests --bin diff`
//! runs long ranges and shrinks each difference to a small reproduction.

use sqlite_tests::diffgen::{run_case, Gen};

/// Seeds 0..CASES: none may differ. A case abandoned as too slow (3 s a statement, on a loaded
/// machine) counts apart.
const CASES: u64 = 100;

#[test]
fn brisk_matches_sqlite_on_generated_cases_within_the_known_gaps() {
    let mut differing = Vec::new();
    let mut timeouts = 0;
    for seed in 0..CASES {
        let report = run_case(&Gen::case(seed));
        timeouts += report.timed_out as usize;
        if let Some(m) = report.mismatch {
            println!("seed {seed}: {}\n    SQLite: {}\n    Brisk:  {}", m.sql, m.sqlite.describe(), m.brisk.describe());
            differing.push(seed);
        }
    }
    println!("{CASES} cases: {} differ, {timeouts} abandoned as too slow", differing.len());
    assert!(timeouts < CASES as usize / 4, "too many cases abandoned as too slow: {timeouts}");
    assert!(differing.is_empty(), "{} seeds differ: {differing:?}", differing.len());
}
