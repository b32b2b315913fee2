//! `Error::offset` (SQLite's `sqlite3_error_offset`) for errors found after parsing, against
//! bundled SQLite through rusqlite, whose prepare errors carry the offset.

use brisk::Connection;

const SCHEMA: &str = "CREATE TABLE t(a, b); CREATE TABLE u(a, c); CREATE INDEX i ON t(a);
    CREATE VIEW v AS SELECT 1 AS x; CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;
    CREATE VIEW bad AS SELECT a FROM u; ";

/// The message and offset SQLite reports when preparing `sql`.
fn sqlite_prepare_error(s: &rusqlite::Connection, sql: &str) -> Option<(String, Option<usize>)> {
    match s.prepare(sql) {
        Ok(_) => None,
        Err(rusqlite::Error::SqlInputError { msg, offset, .. }) => Some((msg, usize::try_from(offset).ok())),
        Err(rusqlite::Error::SqliteFailure(_, Some(m))) => Some((m, None)),
        Err(other) => Some((other.to_string(), None)),
    }
}

#[test]
fn offsets_of_names_that_do_not_resolve() {
    let b = Connection::open_in_memory().unwrap();
    let s = rusqlite::Connection::open_in_memory().unwrap();
    // `bad` reads u.a; u is recreated without it, so the view's own text fails to resolve.
    let setup = format!("{SCHEMA} DROP TABLE u; CREATE TABLE u(c);");
    b.execute_batch(&setup).unwrap();
    s.execute_batch(&setup).unwrap();
    for sql in [
        "SELECT x FROM t",
        "SELECT t.x FROM t",
        "SELECT  nosuch.a FROM t",
        "select a, b from t where zz = 1",
        "SELECT a FROM t ORDER BY zz",
        "SELECT a FROM t GROUP BY a HAVING zz",
        "SELECT (SELECT zz) FROM t",
        "SELECT a FROM (SELECT zz FROM t)",
        "SELECT a FROM t UNION SELECT zz FROM u",
        "INSERT INTO t SELECT zz FROM u",
        "UPDATE t SET a = zz",
        "SELECT a FROM t, u AS t2 WHERE t2.zz = 1",
        "SELECT * FROM t, v WHERE v.x = 1 AND y = 2",
        "SELECT a FROM t AS x, t AS y",
        "SELECT * FROM nosuch",
        "SELECT foo(1)",
        "SELECT * FROM t WHERE bar(a, b) > 1",
        "SELECT min() FROM t",
        "SELECT nosuch(a) OVER () FROM t",
        "SELECT a FROM t WHERE sum(a) > 1",
        "SELECT sum(a) AS s FROM t WHERE s > 1",
        "SELECT count(count(a)) FROM t",
        "CREATE TABLE t(z)",
        "CREATE TABLE main.t(z)",
        "CREATE VIEW v AS SELECT 2",
        "CREATE TABLE v(x)",
        "CREATE VIEW t AS SELECT 2",
        "CREATE TABLE i(x)",
        "CREATE INDEX i ON t(b)",
        "CREATE INDEX t ON t(b)",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
        "CREATE TABLE w(a, b, PRIMARY KEY (zz))",
        "SELECT * FROM bad",
    ] {
        let be = b.prepare(sql).err().map(|e| (e.to_string(), e.offset()));
        assert_eq!(be, sqlite_prepare_error(&s, sql), "{sql}");
    }
}
