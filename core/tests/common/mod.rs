//! Helpers shared by the integration tests: running SQL through Brisk and through bundled
//! SQLite (rusqlite), the oracle, and comparing what each returns. Each test crate uses a
//! part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

use brisk::{Connection, Value};

/// A rusqlite value as Brisk's.
pub fn to_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::text(std::str::from_utf8(t).unwrap()),
        ValueRef::Blob(b) => Value::blob(b),
    }
}

/// SQLite's own message, without rusqlite's additions (the SQL text and offset).
pub fn message(e: rusqlite::Error) -> String {
    sqlite_error(e).0
}

/// SQLite's message and extended result code, without rusqlite's additions.
pub fn sqlite_error(e: rusqlite::Error) -> (String, i32) {
    match e {
        rusqlite::Error::SqliteFailure(code, Some(m)) => (m, code.extended_code),
        rusqlite::Error::SqliteFailure(code, None) => (code.to_string(), code.extended_code),
        rusqlite::Error::SqlInputError { msg, error, .. } => (msg, error.extended_code),
        other => (other.to_string(), -1),
    }
}

/// A query's rows from Brisk; a failure panics naming the query.
pub fn brisk_rows(b: &Connection, query: &str) -> Vec<Vec<Value>> {
    b.prepare(query).unwrap_or_else(|e| panic!("{query}: {e}")).query_all(&[]).unwrap()
}

/// A query's rows from SQLite, or its error message.
pub fn try_sqlite_rows(s: &rusqlite::Connection, query: &str) -> Result<Vec<Vec<Value>>, String> {
    let mut st = s.prepare(query).map_err(message)?;
    let n = st.column_count();
    let rows = st
        .query_map([], |r| Ok((0..n).map(|i| to_value(r.get_ref(i).unwrap())).collect::<Vec<_>>()))
        .map_err(message)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(message)
}

/// A query's rows from SQLite; a failure panics naming the query.
pub fn sqlite_rows(s: &rusqlite::Connection, query: &str) -> Vec<Vec<Value>> {
    try_sqlite_rows(s, query).unwrap_or_else(|e| panic!("{query}: {e}"))
}

/// A query's rows, or the error message.
pub type Outcome = Result<Vec<Vec<Value>>, String>;

/// Runs `setup` then `query` in both engines and returns (brisk rows, sqlite rows).
pub fn both(setup: &str, query: &str) -> (Outcome, Outcome) {
    let b = Connection::open_in_memory().unwrap();
    let brisk = b.execute_batch(setup).map_err(|e| e.to_string()).and_then(|_| {
        let mut st = b.prepare(query).map_err(|e| e.to_string())?;
        st.query_all(&[]).map_err(|e| e.to_string())
    });
    let s = rusqlite::Connection::open_in_memory().unwrap();
    let sqlite = s.execute_batch(setup).map_err(message).and_then(|_| try_sqlite_rows(&s, query));
    (brisk, sqlite)
}

/// Both engines give the same rows, in the same order, or the same error message.
#[track_caller]
pub fn check(setup: &str, query: &str) {
    let (b, s) = both(setup, query);
    match (&b, &s) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "rows differ for {query}"),
        (Err(x), Err(y)) => assert_eq!(x, y, "errors differ for {query}"),
        _ => panic!("one engine failed for {query}: brisk={b:?} sqlite={s:?}"),
    }
}

/// Column names and rows, or the error message.
pub type NamedOutcome = Result<(Vec<String>, Vec<Vec<Value>>), String>;

/// Runs `setup` then `query` in both engines: (brisk, sqlite) column names and rows, or errors.
pub fn both_named(setup: &str, query: &str) -> (NamedOutcome, NamedOutcome) {
    let b = Connection::open_in_memory().unwrap();
    let brisk = b.execute_batch(setup).map_err(|e| e.to_string()).and_then(|_| {
        let mut st = b.prepare(query).map_err(|e| e.to_string())?;
        let names = st.column_names().to_vec();
        Ok((names, st.query_all(&[]).map_err(|e| e.to_string())?))
    });
    let s = rusqlite::Connection::open_in_memory().unwrap();
    let sqlite = s.execute_batch(setup).map_err(message).and_then(|_| {
        let names: Vec<String> = s.prepare(query).map_err(message)?.column_names().map(str::to_string).collect();
        Ok((names, try_sqlite_rows(&s, query)?))
    });
    (brisk, sqlite)
}

/// Compares both engines' column names and rows (or errors) on every query, collecting the
/// differences so one run shows them all. A query with ORDER BY compares row order too; the
/// others compare as multisets, since SQL leaves their order open.
#[track_caller]
pub fn check_all_named(setup: &str, queries: &[&str]) {
    let mut failures = Vec::new();
    for query in queries {
        let (b, s) = both_named(setup, query);
        let ok = match (&b, &s) {
            (Ok((bn, x)), Ok((sn, y))) => {
                let (mut x, mut y) = (x.clone(), y.clone());
                if !query.contains("ORDER BY") {
                    x.sort_by_key(|r| format!("{r:?}"));
                    y.sort_by_key(|r| format!("{r:?}"));
                }
                bn == sn && x == y
            }
            (Err(x), Err(y)) => x == y,
            _ => false,
        };
        if !ok {
            failures.push(format!("{query}\n  brisk:  {b:?}\n  sqlite: {s:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} queries differ:\n{}", failures.len(), queries.len(), failures.join("\n"));
}
