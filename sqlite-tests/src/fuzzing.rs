//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`), here so that the regression tests
//! (`tests/fuzz_regressions.rs`) run every saved input through exactly the code the fuzzer ran.
//!
//! Each function takes the fuzzer's bytes and panics only on a bug: a panic inside Brisk, a
//! broken property (a model mismatch, a failed integrity check, a round trip that changes a
//! value), or a difference from SQLite. Errors Brisk reports are expected outcomes. Work is
//! bounded so that no input can hang: statements are interrupted after a budget of VM
//! instructions, inputs are truncated, and rows read per statement are capped.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use brisk::storage::record::{decode_record, encode_record, RecordHeader, TextEncoding};
use brisk::storage::varint::{push_varint, read_varint, varint_len};
use brisk::{Connection, StepResult, Value};

/// SQL text longer than this is cut (libFuzzer's inputs grow; long texts only slow it down).
const MAX_SQL: usize = 4096;
/// VM instructions a statement may run before it is interrupted.
const INSTRUCTION_BUDGET: u64 = 2_000_000;
/// Rows read from one statement.
const MAX_ROWS: usize = 10_000;

/// Interrupts any statement of `conn` that runs longer than the budget; the count starts again
/// for each statement (`reset_budget`).
fn limit(conn: &Connection) -> Arc<AtomicU64> {
    let used = Arc::new(AtomicU64::new(0));
    let counter = used.clone();
    const EVERY: u64 = 1000;
    conn.set_progress_handler(
        EVERY as i32,
        Some(move || counter.fetch_add(EVERY, Ordering::Relaxed) >= INSTRUCTION_BUDGET),
    );
    used
}

/// Runs every statement of `sql` on `conn`, reading at most `MAX_ROWS` rows of each; stops at the
/// first error (as `sqlite3_exec` does) and returns it.
fn run_script(conn: &Connection, budget: &AtomicU64, sql: &str) -> Option<brisk::Error> {
    let mut pos = 0;
    while pos < sql.len() {
        budget.store(0, Ordering::Relaxed);
        let (mut stmt, tail) = match conn.prepare_first(&sql[pos..]) {
            Ok(Some(prepared)) => prepared,
            Ok(None) => return None,
            Err(e) => return Some(e),
        };
        for _ in 0..MAX_ROWS {
            match stmt.step() {
                Ok(StepResult::Row) => {
                    std::hint::black_box(stmt.row());
                }
                Ok(_) => break,
                Err(e) => return Some(e),
            }
        }
        pos += tail.max(1);
    }
    None
}

/// SQL text: parsed, compiled and run on an in-memory database. Any error is fine; a panic, a
/// hang or an unbounded allocation is not.
pub fn sql(data: &[u8]) {
    let data = &data[..data.len().min(MAX_SQL)];
    let text = String::from_utf8_lossy(data);
    let conn = Connection::open_in_memory().expect("in-memory database");
    let budget = limit(&conn);
    // Run past errors: each statement that failed is skipped, as a shell does.
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let next = rest.find(';').map(|i| i + 1).unwrap_or(rest.len());
        let _ = run_script(&conn, &budget, &rest[..next]);
        pos += next;
    }
    // Whatever the statements did, the database is still consistent.
    budget.store(0, Ordering::Relaxed);
    check_integrity(&conn, &budget);
}

/// `PRAGMA integrity_check` on `conn` must say `ok` (an interrupted check proves nothing).
fn check_integrity(conn: &Connection, budget: &AtomicU64) {
    budget.store(0, Ordering::Relaxed);
    match conn.prepare("PRAGMA integrity_check").and_then(|mut s| s.query_all(&[])) {
        Ok(rows) => assert_eq!(rows, vec![vec![Value::text("ok")]], "integrity check"),
        Err(brisk::Error::Interrupt) => {}
        Err(e) => panic!("integrity check failed to run: {e}"),
    }
}

/// Arbitrary bytes as a database file: opened, its schema read, every table and index scanned,
/// and integrity-checked. Errors (corrupt, not a database) are expected; panics are bugs.
pub fn db_file(data: &[u8]) {
    let conn = Connection::open_in_memory().expect("in-memory database");
    let budget = limit(&conn);
    if conn.deserialize(data).is_err() {
        return;
    }
    let _ = run_script(
        &conn,
        &budget,
        "PRAGMA integrity_check; PRAGMA quick_check; PRAGMA page_count; PRAGMA freelist_count",
    );
    budget.store(0, Ordering::Relaxed);
    let names = match conn.prepare("SELECT type, name FROM sqlite_schema").and_then(|mut s| s.query_all(&[])) {
        Ok(rows) => rows,
        Err(_) => return,
    };
    for row in names.iter().take(64) {
        let (Value::Text(kind), Value::Text(name)) = (&row[0], &row[1]) else { continue };
        let quoted = name.replace('"', "\"\"");
        let sql = match &**kind {
            "table" | "view" => format!("SELECT * FROM \"{quoted}\""),
            "index" => format!("SELECT count(*) FROM sqlite_schema WHERE name = '{}'", name.replace('\'', "''")),
            _ => continue,
        };
        let _ = run_script(&conn, &budget, &sql);
    }
    // Writing to a damaged file must fail cleanly too.
    let _ =
        run_script(&conn, &budget, "CREATE TABLE fuzz_new(x); INSERT INTO fuzz_new VALUES (1); DELETE FROM fuzz_new");
}

/// Records and varints: decoding never panics, and what decodes re-encodes to a record that
/// decodes to the same values; a varint reads back as written.
pub fn record(data: &[u8]) {
    for enc in [TextEncoding::Utf8, TextEncoding::Utf16le, TextEncoding::Utf16be] {
        let _ = RecordHeader::parse(data, data.len());
        if let Ok(values) = decode_record(data, enc) {
            let again = decode_record(&encode_record(&values, enc), enc).expect("a record we encoded decodes");
            assert_eq!(format!("{again:?}"), format!("{values:?}"), "record round trip ({enc:?})");
        }
    }
    for start in 0..data.len().min(16) {
        if let Some((v, n)) = read_varint(&data[start..]) {
            assert!((1..=9).contains(&n), "varint length {n}");
            let mut out = Vec::new();
            push_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v));
            assert_eq!(read_varint(&out), Some((v, out.len())), "varint round trip of {v}");
        }
    }
}

/// Operations on a table B-tree (rowid keys, blob values, some spilling onto overflow pages)
/// with an index on the values, on a 512-byte-page database file in memory, checked after
/// every batch against a `BTreeMap` and by the integrity check. Transactions roll back too.
pub fn btree(data: &[u8]) {
    let io: Arc<dyn brisk::io::Io> = Arc::new(brisk::io::MemoryIo::new());
    let conn = brisk::Database::open_with_io("fuzz.db", io, false).and_then(|d| d.connect()).expect("open");
    conn.execute_batch(
        "PRAGMA page_size = 512; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB); CREATE INDEX tv ON t(v)",
    )
    .expect("schema");
    let budget = limit(&conn);
    let mut model: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
    let mut saved: Option<BTreeMap<i64, Vec<u8>>> = None;
    let value = |k: i64, len: usize| -> Vec<u8> {
        (0..len).map(|i| (k as usize).wrapping_mul(31).wrapping_add(i) as u8).collect()
    };
    let ops = data.chunks_exact(4);
    for (n, op) in ops.take(2000).enumerate() {
        budget.store(0, Ordering::Relaxed);
        let k = i64::from(u16::from_le_bytes([op[1], op[2]]) % 1024);
        let len = [0usize, 3, 40, 200, 700, 3000][usize::from(op[3] % 6)];
        let exec = |sql: &str, params: &[Value]| conn.execute(sql, params).expect(sql);
        match op[0] % 8 {
            0..=2 => {
                let v = value(k, len);
                exec("INSERT OR REPLACE INTO t(k, v) VALUES (?, ?)", &[Value::Integer(k), Value::from(v.clone())]);
                model.insert(k, v);
            }
            3 => {
                exec("DELETE FROM t WHERE k = ?", &[Value::Integer(k)]);
                model.remove(&k);
            }
            4 => {
                let hi = k + i64::from(op[3]);
                exec("DELETE FROM t WHERE k BETWEEN ? AND ?", &[Value::Integer(k), Value::Integer(hi)]);
                model.retain(|key, _| !(k..=hi).contains(key));
            }
            5 => {
                let v = value(k + 1, len);
                exec("UPDATE t SET v = ? WHERE k = ?", &[Value::from(v.clone()), Value::Integer(k)]);
                if let Some(old) = model.get_mut(&k) {
                    *old = v;
                }
            }
            6 if saved.is_none() => {
                exec("BEGIN", &[]);
                saved = Some(model.clone());
            }
            6 => {
                if op[3] % 2 == 0 {
                    exec("COMMIT", &[]);
                } else {
                    exec("ROLLBACK", &[]);
                    model = saved.clone().expect("a transaction is open");
                }
                saved = None;
            }
            _ => {
                // A seek: the row there, or none.
                let got =
                    conn.prepare("SELECT v FROM t WHERE k = ?").and_then(|mut s| s.query_all(&[Value::Integer(k)]));
                let want: Vec<Vec<Value>> = model.get(&k).map(|v| vec![Value::from(v.clone())]).into_iter().collect();
                assert_eq!(got.expect("seek"), want, "seek of {k}");
            }
        }
        if n % 64 == 63 {
            compare(&conn, &model);
        }
    }
    if saved.is_some() {
        conn.execute_batch("COMMIT").expect("commit");
    }
    compare(&conn, &model);
    check_integrity(&conn, &budget);
}

fn compare(conn: &Connection, model: &BTreeMap<i64, Vec<u8>>) {
    let rows = conn.prepare("SELECT k, v FROM t ORDER BY k").and_then(|mut s| s.query_all(&[])).expect("scan");
    let want: Vec<Vec<Value>> = model.iter().map(|(k, v)| vec![Value::Integer(*k), Value::from(v.clone())]).collect();
    assert_eq!(rows.len(), want.len(), "row count");
    assert!(rows == want, "table contents differ from the model");
    // The index holds the same entries, in value order.
    let by_index =
        conn.prepare("SELECT count(*) FROM t INDEXED BY tv WHERE v IS NOT NULL").and_then(|mut s| s.query_all(&[]));
    if let Ok(n) = by_index {
        assert_eq!(n, vec![vec![Value::Integer(model.len() as i64)]], "index entries");
    }
}

/// One case of the differential generator (`diffgen`), chosen by the input's first eight bytes:
/// schema, data and queries through Brisk and bundled SQLite, results and errors compared.
pub fn differential(data: &[u8]) {
    let mut seed = [0u8; 8];
    let n = data.len().min(8);
    seed[..n].copy_from_slice(&data[..n]);
    let seed = u64::from_le_bytes(seed);
    let checked = crate::diffgen::check_seed(seed);
    if let Some(text) = checked.difference {
        panic!("seed {seed}: Brisk and SQLite differ\n{text}");
    }
}
