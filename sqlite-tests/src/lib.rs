//! Shared helpers for the conformance and interop tests: run the same query through Brisk and
//! through bundled SQLite (rusqlite) and get rows in one representation; and [`slt`], the
//! sqllogictest runner.

use std::path::PathBuf;

use brisk::{Connection, Value};

pub mod diffgen;
pub mod fuzzing;
pub mod sim;
pub mod slt;

/// A fresh, empty directory under the system temp dir, unique per call.
pub fn temp_dir(label: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "brisk-test-{}-{}-{}",
        std::process::id(),
        label,
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn from_sqlite(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::text(&String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => Value::blob(b),
    }
}

/// Every row of `sql` as bundled SQLite returns it from the database at `path`.
pub fn sqlite_rows(path: &str, sql: &str) -> Vec<Vec<Value>> {
    let db = rusqlite::Connection::open(path).unwrap();
    sqlite_query(&db, sql)
}

pub fn sqlite_query(db: &rusqlite::Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut st = db.prepare(sql).unwrap();
    let n = st.column_count();
    let rows =
        st.query_map([], |r| Ok((0..n).map(|i| from_sqlite(r.get_ref(i).unwrap())).collect::<Vec<_>>())).unwrap();
    rows.collect::<Result<Vec<_>, _>>().unwrap()
}

/// Every row of `sql` as Brisk returns it.
pub fn brisk_rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut st = conn.prepare(sql).unwrap_or_else(|e| panic!("prepare {sql}: {e}"));
    st.query_all(&[]).unwrap_or_else(|e| panic!("run {sql}: {e}"))
}
