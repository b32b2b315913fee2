//! Long differential runs against bundled SQLite: `diff [CASES] [FIRST_SEED]` (defaults 10000
//! and 0; `DIFF_CASES`/`DIFF_SEED` work too). Prints each difference, shrunk to a SQL script,
//! and every error-message mismatch once; exits non-zero if any difference was found.

use std::collections::BTreeSet;
use std::time::Instant;

use sqlite_tests::diffgen::check_seed;

fn arg(i: usize, var: &str, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .or_else(|| std::env::var(var).ok())
        .map(|s| s.parse().unwrap_or_else(|_| panic!("{var}: not a number: {s}")))
        .unwrap_or(default)
}

fn main() {
    let cases = arg(1, "DIFF_CASES", 10_000);
    let first = arg(2, "DIFF_SEED", 0);
    let start = Instant::now();
    let mut differences = 0;
    let mut seen_messages = BTreeSet::new();
    for seed in first..first + cases {
        let (diff, messages) = check_seed(seed);
        for m in messages {
            if seen_messages.insert((m.sqlite.clone(), m.brisk.clone())) {
                println!("message mismatch: {}\n    SQLite: {}\n    Brisk:  {}", m.sql, m.sqlite, m.brisk);
            }
        }
        if let Some(text) = diff {
            differences += 1;
            println!("{text}");
        }
    }
    println!("{cases} cases from seed {first}: {differences} difference(s) in {:.1?}", start.elapsed());
    if differences > 0 {
        std::process::exit(1);
    }
}
