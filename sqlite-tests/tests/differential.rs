//! Differential test: random schemas, rows, queries and data changes through Brisk and through
//! bundled SQLite, compared statement by statement (see `sqlite_tests::diffgen`). A fixed range of
//! seeds runs here; `DIFF_CASES` and `DIFF_SEED` widen it, and the `diff` binary is for long runs.
//! Constructs where Brisk is known to differ are switched off in `diffgen::known_gaps`.

use sqlite_tests::diffgen::check_seed;

#[test]
fn brisk_matches_sqlite_on_generated_cases() {
    let env = |var: &str, default: u64| std::env::var(var).ok().map_or(default, |s| s.parse().unwrap());
    let cases = env("DIFF_CASES", 300);
    let first = env("DIFF_SEED", 0);
    let mut differences = Vec::new();
    let mut messages = 0;
    let mut timeouts = 0;
    for seed in first..first + cases {
        let checked = check_seed(seed);
        timeouts += checked.timed_out as usize;
        let (diff, soft) = (checked.difference, checked.messages);
        // Both engines failing with different messages is a softer signal: shown, not failed.
        for m in soft {
            messages += 1;
            if messages <= 20 {
                println!("message mismatch: {}\n    SQLite: {}\n    Brisk:  {}", m.sql, m.sqlite, m.brisk);
            }
        }
        if let Some(text) = diff {
            println!("{text}");
            differences.push(seed);
        }
    }
    println!("{cases} cases, {messages} error-message mismatch(es), {timeouts} abandoned as too slow");
    assert!(differences.is_empty(), "Brisk differs from SQLite on seeds {differences:?} (reproductions above)");
}
