//! Proves the sqllogictest runner: real SQLite (bundled, through rusqlite) must pass every
//! record of select1.test that applies to it. A failure here is a runner bug, not an engine bug.
//! (The whole corpus is checked the same way with the `slt` binary; see the README.)

use std::time::Duration;

use sqlite_tests::slt::{self, EngineKind, RunOptions};

#[test]
fn bundled_sqlite_passes_all_of_select1() {
    let corpus = slt::corpus_dir().expect("the sqllogictest corpus (shared/sqllogictest, or set SLT_CORPUS)");
    let options = RunOptions { timeout_per_file: Duration::from_secs(120), ..RunOptions::default() };
    let report = slt::run_file(&corpus.join("select1.test"), &slt::factory(EngineKind::Sqlite), &options);
    let details: String = report.failures.iter().take(5).map(|f| format!("line {}:\n{}", f.line, f.detail())).collect();
    assert_eq!(report.failed, 0, "{}\n{details}", report.summary());
    // select1.test has 1031 statement and query records, none with conditions.
    assert_eq!((report.passed, report.skipped), (1031, 0), "{}", report.summary());
}
