//! Long differential runs against bundled SQLite: `diff [CASES] [FIRST_SEED]` (defaults 10000
//! and 0; `DIFF_CASES`/`DIFF_SEED` work too). Prints each difference, shrunk to a SQL script,
//! and every error-message mismatch once; exits non-zero if any difference was found.

use std::collections::BTreeSet;
use std::time::Instant;

use sqlite_tests::diffgen::{check_seed, run_brisk, run_sqlite};

fn arg(i: usize, var: &str, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .or_else(|| std::env::var(var).ok())
        .map(|s| s.parse().unwrap_or_else(|_| panic!("{var}: not a number: {s}")))
        .unwrap_or(default)
}

fn main() {
    // `diff --script FILE`: run a reproduction (one statement per line) on both engines.
    if std::env::args().nth(1).as_deref() == Some("--script") {
        let path = std::env::args().nth(2).expect("diff --script FILE");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let brisk = brisk::Connection::open_in_memory().unwrap();
        let sqlite = rusqlite::Connection::open_in_memory().unwrap();
        for sql in text.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            let a = run_sqlite(&sqlite, sql);
            let b = run_brisk(&brisk, sql);
            let mark = if a == b { "same" } else { "DIFFERENT" };
            println!("{sql}\n  [{mark}] SQLite: {}\n  Brisk:  {}", a.describe(), b.describe());
        }
        return;
    }
    let cases = arg(1, "DIFF_CASES", 10_000);
    let first = arg(2, "DIFF_SEED", 0);
    let start = Instant::now();
    let mut differences = 0;
    let mut timeouts = 0;
    let mut seen_messages = BTreeSet::new();
    for seed in first..first + cases {
        let checked = check_seed(seed);
        timeouts += checked.timed_out as usize;
        let (diff, messages) = (checked.difference, checked.messages);
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
    println!(
        "{cases} cases from seed {first}: {differences} difference(s), {timeouts} abandoned as too slow, in {:.1?}",
        start.elapsed()
    );
    if differences > 0 {
        std::process::exit(1);
    }
}
