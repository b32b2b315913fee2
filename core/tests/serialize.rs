//! `Connection::serialize`: the image of a database, as the shell's `.backup` writes it, must be
//! a file stock SQLite opens, passes its integrity check, and holds exactly what was committed.

mod common;

use brisk::Connection;
use common::{brisk_rows, sqlite_rows};

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("brisk-serialize-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

const SETUP: &str = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c);
    CREATE INDEX tb ON t(b);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO t SELECT i, printf('row %05d', i), randomblob(i % 700) FROM n;
    DELETE FROM t WHERE a % 7 = 0;
    CREATE VIEW v AS SELECT b FROM t WHERE a < 10;";

const QUERY: &str = "SELECT a, b, length(c) FROM t ORDER BY a";

/// Writes the image, opens it with SQLite and compares it with the source.
fn check_image(source: &Connection, name: &str) {
    let image = source.serialize().unwrap();
    let path = temp_path(name);
    std::fs::write(&path, &image).unwrap();
    let sqlite = rusqlite::Connection::open(&path).unwrap();
    let check: String = sqlite.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    assert_eq!(sqlite_rows(&sqlite, QUERY), brisk_rows(source, QUERY));
    assert_eq!(sqlite_rows(&sqlite, "SELECT * FROM v"), brisk_rows(source, "SELECT * FROM v"));
    // The image is the file as SQLite sees it: its own count of pages agrees.
    let pages: i64 = sqlite.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    let page_size: i64 = sqlite.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    assert_eq!(pages * page_size, image.len() as i64);
}

#[test]
fn in_memory_database() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SETUP).unwrap();
    check_image(&conn, "memory.db");
}

#[test]
fn file_database_inside_and_outside_a_transaction() {
    let path = temp_path("source.db");
    let conn = Connection::open(path.to_str().unwrap()).unwrap();
    conn.execute_batch(SETUP).unwrap();
    check_image(&conn, "file.db");
    // Inside a transaction the image holds this connection's view, uncommitted rows included.
    conn.execute_batch("BEGIN; INSERT INTO t VALUES(100000, 'late', x'00');").unwrap();
    check_image(&conn, "file-in-txn.db");
    conn.execute_batch("COMMIT").unwrap();
}

#[test]
fn empty_database() {
    let conn = Connection::open_in_memory().unwrap();
    // As SQLite's backup of an empty database: one page, the header and an empty schema.
    assert_eq!(conn.serialize().unwrap().len(), 4096);
    let path = temp_path("empty.db");
    std::fs::write(&path, conn.serialize().unwrap()).unwrap();
    let sqlite = rusqlite::Connection::open(&path).unwrap();
    let check: String = sqlite.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    assert_eq!(sqlite_rows(&sqlite, "SELECT count(*) FROM sqlite_schema"), vec![vec![brisk::Value::Integer(0)]]);
}
