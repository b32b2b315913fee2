//! Every input in the fuzz targets' seed corpora (`fuzz/corpus/TARGET/`) and every input that
//! once found a bug (`fuzz/regressions/TARGET/`) runs through the target's body on each test
//! run, so a bug the fuzzer found stays fixed without the fuzzer.

use std::path::Path;

use sqlite_tests::fuzzing;

fn replay(target: &str, body: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<_> = entries.map(|e| e.expect("directory entry").path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{} fails", file.display());
            count += 1;
        }
    }
    assert!(count > 0, "no inputs for {target} under {}", root.display());
}

#[test]
fn sql() {
    replay("sql", fuzzing::sql);
}

#[test]
fn db_file() {
    replay("db_file", fuzzing::db_file);
}

#[test]
fn record() {
    replay("record", fuzzing::record);
}

#[test]
fn btree() {
    replay("btree", fuzzing::btree);
}

#[test]
fn differential() {
    replay("differential", fuzzing::differential);
}
