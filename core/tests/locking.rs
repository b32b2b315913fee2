//! Locks between two connections to one file, checked against SQLite doing the same steps: a
//! write that finds the database locked must not keep a lock that blocks the other writer.

use brisk::Connection;

fn temp_path(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("brisk-locking-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path.to_string_lossy().into_owned()
}

/// The steps: A writes and keeps its transaction open; B, inside BEGIN, tries to write and is
/// refused; A commits; B's transaction goes on and can write now. Each engine's outcome per step.
const STEPS: [(char, &str); 6] = [
    ('a', "BEGIN; INSERT INTO t VALUES(1)"),
    ('b', "BEGIN"),
    ('b', "INSERT INTO t VALUES(2)"),
    ('a', "COMMIT"),
    ('b', "INSERT INTO t VALUES(3)"),
    ('b', "COMMIT"),
];

fn brisk_outcomes(path: &str) -> Vec<Result<(), String>> {
    let a = Connection::open(path).unwrap();
    a.execute_batch("CREATE TABLE t(x)").unwrap();
    let b = Connection::open(path).unwrap();
    STEPS
        .iter()
        .map(|(who, sql)| {
            let conn = if *who == 'a' { &a } else { &b };
            conn.execute_batch(sql).map_err(|e| e.to_string())
        })
        .collect()
}

fn sqlite_outcomes(path: &str) -> Vec<Result<(), String>> {
    let a = rusqlite::Connection::open(path).unwrap();
    a.execute_batch("CREATE TABLE t(x)").unwrap();
    let b = rusqlite::Connection::open(path).unwrap();
    for c in [&a, &b] {
        c.busy_timeout(std::time::Duration::ZERO).unwrap();
    }
    STEPS
        .iter()
        .map(|(who, sql)| {
            let conn = if *who == 'a' { &a } else { &b };
            conn.execute_batch(sql).map_err(|e| match e {
                rusqlite::Error::SqliteFailure(_, Some(m)) => m,
                other => other.to_string(),
            })
        })
        .collect()
}

#[test]
fn refused_write_inside_begin_releases_its_lock() {
    let want = sqlite_outcomes(&temp_path("sqlite.db"));
    assert!(want[2].is_err() && want[3].is_ok(), "{want:?}");
    let path = temp_path("brisk.db");
    assert_eq!(brisk_outcomes(&path), want);
    let rows: Vec<i64> = {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut s = c.prepare("SELECT x FROM t ORDER BY x").unwrap();
        s.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(rows, vec![1, 3]);
}

/// Another connection's DDL: a statement that does not compile against the schema a
/// connection read earlier is compiled again against the schema on disk (SQLite's
/// schemaIsValid), so a table created or dropped elsewhere is seen at once.
#[test]
fn prepare_sees_another_connections_ddl() {
    const STEPS: [(char, &str); 6] = [
        ('b', "SELECT count(*) FROM sqlite_schema"),
        ('a', "CREATE TABLE t(x)"),
        ('b', "INSERT INTO t VALUES (1)"),
        ('a', "DROP TABLE t; CREATE TABLE u(y)"),
        ('b', "INSERT INTO u VALUES (2)"),
        ('b', "INSERT INTO t VALUES (3)"),
    ];
    let path = temp_path("ddl-brisk.db");
    let (a, b) = (Connection::open(&path).unwrap(), Connection::open(&path).unwrap());
    let brisk: Vec<Result<(), String>> = STEPS
        .iter()
        .map(|(who, sql)| (if *who == 'a' { &a } else { &b }).execute_batch(sql).map_err(|e| e.to_string()))
        .collect();
    let path = temp_path("ddl-sqlite.db");
    let (a, b) = (rusqlite::Connection::open(&path).unwrap(), rusqlite::Connection::open(&path).unwrap());
    let sqlite: Vec<Result<(), String>> = STEPS
        .iter()
        .map(|(who, sql)| {
            (if *who == 'a' { &a } else { &b }).execute_batch(sql).map_err(|e| match e {
                rusqlite::Error::SqliteFailure(_, Some(m)) => m,
                other => other.to_string(),
            })
        })
        .collect();
    assert_eq!(brisk, sqlite);
    assert_eq!(sqlite.last(), Some(&Err("no such table: t".to_string())));
}
