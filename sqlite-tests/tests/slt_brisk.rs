//! Brisk's progress on a fixed part of the sqllogictest corpus: the number of records that pass
//! must not fall below a floor. The floor ratchets up: when Brisk passes more, raise
//! `PASS_FLOOR` to the new count (printed by this test) so that a regression fails here.

use std::time::Duration;

use sqlite_tests::slt::{self, EngineKind, RunOptions};

/// Corpus files, relative to the corpus directory. Small ones: this runs in debug builds.
const FILES: &[&str] = &[
    "select1.test",
    "select2.test",
    "select3.test",
    "select5.test",
    "index/between/10/slt_good_5.test",
    "index/delete/100/slt_good_0.test",
    "index/in/10/slt_good_3.test",
    "index/orderby/100/slt_good_2.test",
    "index/view/100/slt_good_2.test",
    "random/aggregates/slt_good_36.test",
    "random/expr/slt_good_32.test",
    "random/groupby/slt_good_0.test",
    "evidence/in1.test",
    "evidence/in2.test",
    "evidence/slt_lang_aggfunc.test",
    "evidence/slt_lang_createtrigger.test",
    "evidence/slt_lang_createview.test",
    "evidence/slt_lang_dropindex.test",
    "evidence/slt_lang_droptable.test",
    "evidence/slt_lang_droptrigger.test",
    "evidence/slt_lang_dropview.test",
    "evidence/slt_lang_reindex.test",
    "evidence/slt_lang_replace.test",
    "evidence/slt_lang_update.test",
];

/// Records of `FILES` that Brisk must pass; it only ever goes up. The 28 records Brisk fails
/// here need triggers, TEMP views and REINDEX.
const PASS_FLOOR: usize = 86_024;

#[test]
fn brisk_passes_at_least_the_floor() {
    slt::install_panic_hook();
    let corpus = slt::corpus_dir().expect("the sqllogictest corpus (shared/sqllogictest, or set SLT_CORPUS)");
    // A deadline per file keeps an engine hang from stalling the test suite.
    let options = RunOptions { timeout_per_file: Duration::from_secs(60), ..RunOptions::default() };
    let factory = slt::factory(EngineKind::Brisk);
    let mut reports = Vec::new();
    for file in FILES {
        let report = slt::run_file(&corpus.join(file), &factory, &options);
        println!("{file}: {}", report.summary());
        reports.push(report);
    }
    let passed: usize = reports.iter().map(|r| r.passed).sum();
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    for (category, count) in slt::categories(&reports).iter().take(10) {
        println!("{count:>6}  {category}");
    }
    println!("brisk: {passed} passed, {failed} failed (floor {PASS_FLOOR})");
    assert!(passed + failed > 0, "no records ran");
    assert!(passed >= PASS_FLOOR, "Brisk passed {passed} records, below the floor of {PASS_FLOOR}");
}
