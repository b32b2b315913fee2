//! Interop in both directions with bundled SQLite (rusqlite): files SQLite writes, Brisk reads
//! identically; files Brisk writes pass SQLite's integrity check and hold exactly what Brisk
//! committed. Each case runs on the sync and the io_uring backends.

use brisk::io::IoKind;
use brisk::{Connection, Database, OpenOptions, Value};
use sqlite_tests::{brisk_rows, sqlite_rows, temp_dir};

fn open(path: &str, io: IoKind) -> Connection {
    Database::open_with(path, OpenOptions { io, ..OpenOptions::default() }).unwrap().connect().unwrap()
}

const BACKENDS: [IoKind; 2] = [IoKind::Sync, IoKind::Uring];

/// Rows of every shape: integers of every width, reals, text, blobs large enough to overflow,
/// NULLs.
fn fill_with_sqlite(db: &rusqlite::Connection, rows: i64) {
    db.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL, d BLOB);
         CREATE INDEX t_b ON t(b);
         CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;",
    )
    .unwrap();
    let tx = db.unchecked_transaction().unwrap();
    {
        let mut ins = tx.prepare("INSERT INTO t(a, b, c, d) VALUES (?, ?, ?, ?)").unwrap();
        let mut insw = tx.prepare("INSERT INTO w VALUES (?, ?)").unwrap();
        for i in 0..rows {
            let a: i64 = match i % 7 {
                0 => i,
                1 => -i * 1000,
                2 => i << 20,
                3 => i64::MAX - i,
                4 => i64::MIN + i,
                5 => 0,
                _ => 1,
            };
            let b = format!("text-{:08}-{}", (i * 7919) % rows, "x".repeat((i % 13) as usize));
            let c = if i % 5 == 0 { None } else { Some(i as f64 / 3.0) };
            let d: Vec<u8> = if i % 1000 == 0 {
                vec![(i % 251) as u8; 5000 + (i as usize % 3000)]
            } else {
                vec![i as u8; (i % 17) as usize]
            };
            ins.execute(rusqlite::params![a, b, c, d]).unwrap();
            if i % 10 == 0 {
                insw.execute(rusqlite::params![format!("k{i:07}"), i]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
    // Deleted rows put pages on the freelist.
    db.execute_batch("DELETE FROM t WHERE id % 10 = 3;").unwrap();
}

#[test]
fn brisk_reads_what_sqlite_writes_at_every_page_size() {
    for page_size in [512, 1024, 4096, 65536] {
        let dir = temp_dir(&format!("ps{page_size}"));
        let path = dir.join("s.db");
        let path = path.to_str().unwrap();
        let rows = if page_size == 512 { 20_000 } else { 100_000 };
        {
            let db = rusqlite::Connection::open(path).unwrap();
            db.execute_batch(&format!("PRAGMA page_size={page_size};")).unwrap();
            fill_with_sqlite(&db, rows);
        }
        let want = sqlite_rows(path, "SELECT * FROM t");
        let want_w = sqlite_rows(path, "SELECT * FROM w");
        for io in BACKENDS {
            let conn = open(path, io);
            assert_eq!(brisk_rows(&conn, "SELECT * FROM t"), want, "page size {page_size} {io:?}");
            assert_eq!(brisk_rows(&conn, "SELECT * FROM w"), want_w, "page size {page_size} {io:?}");
            assert_eq!(brisk_rows(&conn, "SELECT count(*) FROM t"), sqlite_rows(path, "SELECT count(*) FROM t"));
            assert_eq!(
                brisk_rows(&conn, "SELECT b, d FROM t WHERE id = 1001"),
                sqlite_rows(path, "SELECT b, d FROM t WHERE id = 1001")
            );
            assert_eq!(
                brisk_rows(&conn, "PRAGMA integrity_check"),
                vec![vec![Value::text("ok")]],
                "page size {page_size}"
            );
        }
    }
}

#[test]
fn brisk_reads_utf16_and_auto_vacuum_databases() {
    for (pragmas, label) in [
        ("PRAGMA encoding='UTF-16le';", "utf16le"),
        ("PRAGMA encoding='UTF-16be';", "utf16be"),
        ("PRAGMA auto_vacuum=FULL;", "autovacuum"),
    ] {
        let dir = temp_dir(label);
        let path = dir.join("s.db");
        let path = path.to_str().unwrap();
        {
            let db = rusqlite::Connection::open(path).unwrap();
            db.execute_batch(pragmas).unwrap();
            fill_with_sqlite(&db, 3000);
            db.execute_batch("INSERT INTO t(b) VALUES ('héllo wörld ✓ 𝄞');").unwrap();
        }
        let conn = open(path, IoKind::Sync);
        assert_eq!(brisk_rows(&conn, "SELECT * FROM t"), sqlite_rows(path, "SELECT * FROM t"), "{label}");
        assert_eq!(brisk_rows(&conn, "SELECT * FROM w"), sqlite_rows(path, "SELECT * FROM w"), "{label}");
    }
}

#[test]
fn brisk_reads_uncheckpointed_wal_frames() {
    let dir = temp_dir("wal");
    let path = dir.join("s.db");
    let path = path.to_str().unwrap();
    let db = rusqlite::Connection::open(path).unwrap();
    let mode: String = db.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    db.execute_batch("PRAGMA wal_autocheckpoint=0;").unwrap();
    fill_with_sqlite(&db, 5000);
    db.execute_batch("UPDATE t SET b = 'changed' WHERE id < 100;").unwrap();
    assert!(std::fs::metadata(format!("{path}-wal")).unwrap().len() > 0, "frames stay in the WAL");
    // The writer stays open (a close would checkpoint); Brisk reads the committed frames.
    let conn = open(path, IoKind::Sync);
    assert_eq!(brisk_rows(&conn, "SELECT * FROM t"), sqlite_rows(path, "SELECT * FROM t"));
    drop(db);
}

#[test]
fn sqlite_reads_what_brisk_writes() {
    for io in BACKENDS {
        let dir = temp_dir(&format!("bw{io:?}"));
        let path = dir.join("b.db");
        let path = path.to_str().unwrap();
        let conn = open(path, io);
        conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL, d BLOB); CREATE INDEX t_b ON t(b); CREATE TABLE u(x UNIQUE, y);").unwrap();
        conn.execute_batch("BEGIN").unwrap();
        let mut ins = conn.prepare("INSERT INTO t(a, b, c, d) VALUES (?, ?, ?, ?)").unwrap();
        for i in 0..100_000i64 {
            let d: Vec<u8> = if i % 997 == 0 { vec![(i % 251) as u8; 9000] } else { vec![i as u8; (i % 11) as usize] };
            ins.execute(&[
                Value::Integer(i * 31 - 7),
                Value::text(&format!("row{:06}", (i * 7919) % 100_000)),
                if i % 4 == 0 { Value::Null } else { Value::Real(i as f64 / 7.0) },
                Value::from(d),
            ])
            .unwrap();
        }
        drop(ins);
        conn.execute_batch("COMMIT").unwrap();
        conn.execute_batch("INSERT INTO u VALUES (1, 'a'), (2, 'b'), ('x', NULL);").unwrap();
        conn.execute_batch(
            "DELETE FROM t WHERE id % 3 = 0; UPDATE t SET b = b || '!' WHERE id % 5 = 0; DELETE FROM u WHERE x = 2;",
        )
        .unwrap();
        let ours = brisk_rows(&conn, "SELECT * FROM t");
        let ours_u = brisk_rows(&conn, "SELECT * FROM u");
        drop(conn);
        let db = rusqlite::Connection::open(path).unwrap();
        let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok", "{io:?}");
        drop(db);
        assert_eq!(sqlite_rows(path, "SELECT * FROM t"), ours, "{io:?}");
        assert_eq!(sqlite_rows(path, "SELECT * FROM u"), ours_u, "{io:?}");
        // The index SQLite uses agrees with the table.
        assert_eq!(
            sqlite_rows(path, "SELECT count(*) FROM t INDEXED BY t_b WHERE b > ''"),
            sqlite_rows(path, "SELECT count(*) FROM t NOT INDEXED WHERE b > ''")
        );
    }
}

#[test]
fn brisk_writes_into_a_file_sqlite_made() {
    let dir = temp_dir("mixed");
    let path = dir.join("m.db");
    let path = path.to_str().unwrap();
    {
        let db = rusqlite::Connection::open(path).unwrap();
        fill_with_sqlite(&db, 20_000);
    }
    let conn = open(path, IoKind::Sync);
    conn.execute_batch("INSERT INTO t(a, b) VALUES (1, 'new'); UPDATE t SET c = -1 WHERE id % 7 = 0; DELETE FROM t WHERE id % 11 = 0; DROP INDEX t_b; CREATE INDEX t_a ON t(a);").unwrap();
    let ours = brisk_rows(&conn, "SELECT * FROM t");
    drop(conn);
    let db = rusqlite::Connection::open(path).unwrap();
    let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(db);
    assert_eq!(sqlite_rows(path, "SELECT * FROM t"), ours);
}

#[test]
fn reserved_bytes_at_the_end_of_each_page_are_respected() {
    // Only the sqlite3 shell sets reserved bytes without FFI (`.filectrl reserve_bytes`).
    let dir = temp_dir("reserved");
    let path = dir.join("r.db");
    let path = path.to_str().unwrap();
    let status = std::process::Command::new("sqlite3")
        .args([
            path,
            ".filectrl reserve_bytes 40",
            "PRAGMA page_size=1024; CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB); CREATE INDEX t_b ON t(b);",
        ])
        .status()
        .expect("the sqlite3 shell is installed (scripts/test.sh installs it)");
    assert!(status.success());
    {
        let db = rusqlite::Connection::open(path).unwrap();
        let tx = db.unchecked_transaction().unwrap();
        for i in 0..3000i64 {
            let blob = vec![i as u8; if i % 100 == 0 { 3000 } else { 30 }];
            tx.execute("INSERT INTO t(b, c) VALUES (?, ?)", rusqlite::params![format!("v{}", (i * 37) % 3000), blob])
                .unwrap();
        }
        tx.commit().unwrap();
    }
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes[20], 40, "the file has 40 reserved bytes per page");
    let conn = open(path, IoKind::Sync);
    assert_eq!(brisk_rows(&conn, "SELECT * FROM t"), sqlite_rows(path, "SELECT * FROM t"));
    conn.execute_batch("INSERT INTO t(b, c) SELECT b || '!', c FROM t WHERE a % 3 = 0; DELETE FROM t WHERE a % 7 = 0;")
        .unwrap();
    let ours = brisk_rows(&conn, "SELECT * FROM t");
    assert_eq!(brisk_rows(&conn, "PRAGMA integrity_check"), vec![vec![Value::text("ok")]]);
    drop(conn);
    assert_eq!(sqlite_rows(path, "PRAGMA integrity_check"), vec![vec![Value::text("ok")]]);
    assert_eq!(sqlite_rows(path, "SELECT * FROM t"), ours);
    assert_eq!(std::fs::read(path).unwrap()[20], 40);
}

/// A WITHOUT ROWID table with a composite, collated, partly descending key, a secondary index,
/// a UNIQUE index and an index sharing a key column (whose entries then carry only the rest).
const WITHOUT_ROWID_SCHEMA: &str =
    "CREATE TABLE w(a INTEGER, b TEXT COLLATE NOCASE, c, d BLOB, e, PRIMARY KEY(b, a DESC)) WITHOUT ROWID;
     CREATE INDEX w_c ON w(c);
     CREATE UNIQUE INDEX w_e ON w(e);
     CREATE INDEX w_da ON w(d, a);";

/// A deterministic pseudo-random sequence (an LCG), so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

/// Random writes to the WITHOUT ROWID table `w`: inserts and replaces (some with values that
/// overflow), updates of key and non-key columns, and deletes by key and by other columns.
fn random_without_rowid_writes(conn: &Connection, rng: &mut Lcg, rounds: usize) {
    conn.execute_batch("BEGIN").unwrap();
    let mut ins = conn.prepare("INSERT OR REPLACE INTO w VALUES (?, ?, ?, ?, ?)").unwrap();
    for i in 0..rounds {
        let key = rng.next(4000);
        let b = if rng.next(2) == 0 { format!("key{key:05}") } else { format!("KEY{key:05}") };
        let c = match rng.next(3) {
            0 => Value::Integer(rng.next(1000) as i64),
            1 => Value::text(&"c".repeat(rng.next(40) as usize)),
            _ => Value::Null,
        };
        let d = if rng.next(50) == 0 { vec![7u8; 3000 + rng.next(3000) as usize] } else { vec![i as u8; 3] };
        let e = if rng.next(3) == 0 { Value::Integer(i as i64) } else { Value::Null };
        ins.execute(&[Value::Integer(rng.next(3) as i64), Value::text(&b), c, Value::from(d), e]).unwrap();
    }
    drop(ins);
    conn.execute_batch("COMMIT").unwrap();
    for _ in 0..20 {
        let k = rng.next(4000);
        let stmt = match rng.next(6) {
            0 => format!("DELETE FROM w WHERE b = 'key{k:05}'"),
            1 => format!("DELETE FROM w WHERE c = {}", k % 1000),
            2 => format!("UPDATE w SET c = 'u' || c, d = zeroblob({}) WHERE a = {}", k % 5000, k % 3),
            3 => format!("UPDATE OR REPLACE w SET b = 'moved{k:05}' WHERE b > 'key{k:05}' AND b < 'key{:05}'", k + 40),
            4 => format!("UPDATE OR IGNORE w SET a = a + 1 WHERE b < 'key{k:05}'"),
            _ => format!("DELETE FROM w WHERE b BETWEEN 'key{k:05}' AND 'key{:05}'", k + 200),
        };
        conn.execute_batch(&stmt).unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
}

/// SQLite's verdict on the file, and its rows of `w` compared with what Brisk saw.
fn sqlite_agrees_on_w(path: &str, ours: &[Vec<Value>]) {
    let db = rusqlite::Connection::open(path).unwrap();
    let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(db);
    assert_eq!(sqlite_rows(path, "SELECT * FROM w"), ours);
    // Each index SQLite can use agrees with the table.
    for (index, term) in [("w_c", "c IS NOT NULL"), ("w_e", "e IS NOT NULL"), ("w_da", "d IS NOT NULL")] {
        assert_eq!(
            sqlite_rows(path, &format!("SELECT count(*) FROM w INDEXED BY {index} WHERE {term}")),
            sqlite_rows(path, &format!("SELECT count(*) FROM w NOT INDEXED WHERE {term}")),
            "{index}"
        );
    }
}

#[test]
fn sqlite_reads_without_rowid_tables_brisk_writes() {
    for (io, page_size) in [(IoKind::Sync, 1024), (IoKind::Uring, 4096)] {
        let dir = temp_dir(&format!("wr{io:?}"));
        let path = dir.join("w.db");
        let path = path.to_str().unwrap();
        let conn = open(path, io);
        conn.execute_batch(&format!("PRAGMA page_size={page_size}; {WITHOUT_ROWID_SCHEMA}")).unwrap();
        let mut rng = Lcg(page_size);
        random_without_rowid_writes(&conn, &mut rng, 6000);
        let ours = brisk_rows(&conn, "SELECT * FROM w");
        assert!(ours.len() > 1000, "{}", ours.len());
        drop(conn);
        sqlite_agrees_on_w(path, &ours);
    }
}

#[test]
fn brisk_writes_into_without_rowid_tables_sqlite_made() {
    let dir = temp_dir("wr-mixed");
    let path = dir.join("m.db");
    let path = path.to_str().unwrap();
    {
        let db = rusqlite::Connection::open(path).unwrap();
        db.execute_batch(&format!("PRAGMA page_size=1024; {WITHOUT_ROWID_SCHEMA}")).unwrap();
        db.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
             INSERT INTO w SELECT i % 3, printf('key%05d', i), i % 100, CASE WHEN i % 97 = 0 THEN zeroblob(4000) ELSE x'01' END,
                    CASE WHEN i % 2 = 0 THEN i END FROM n;",
        )
        .unwrap();
    }
    let conn = open(path, IoKind::Sync);
    let mut rng = Lcg(7);
    random_without_rowid_writes(&conn, &mut rng, 3000);
    conn.execute_batch("CREATE INDEX w_ec ON w(e, c); DELETE FROM w WHERE c = 5; UPDATE w SET e = NULL WHERE c = 6;")
        .unwrap();
    let ours = brisk_rows(&conn, "SELECT * FROM w");
    drop(conn);
    sqlite_agrees_on_w(path, &ours);
    assert_eq!(
        sqlite_rows(path, "SELECT count(*) FROM w INDEXED BY w_ec WHERE e IS NOT NULL"),
        sqlite_rows(path, "SELECT count(*) FROM w NOT INDEXED WHERE e IS NOT NULL")
    );
}

/// SQLite stores a whole-number REAL as an integer in the record; Brisk must read it back as
/// REAL, through the table, a covering index and an aggregate alike, as SQLite does.
#[test]
fn whole_number_reals_read_back_as_real() {
    let dir = temp_dir("reals");
    let path = dir.join("r.db");
    let path = path.to_str().unwrap();
    {
        let db = rusqlite::Connection::open(path).unwrap();
        db.execute_batch(
            "CREATE TABLE t(x REAL, y NUMERIC, z);
             INSERT INTO t VALUES (824.0, 5.0, 7.0), (1.5, 2.5, 3.5), (-0.0, -0.0, -0.0), (1e15, 2.0, 3);
             CREATE INDEX tx ON t(x);",
        )
        .unwrap();
    }
    let queries = [
        "SELECT x, typeof(x), y, typeof(y), z, typeof(z) FROM t",
        "SELECT x, typeof(x) FROM t WHERE x > 100 ORDER BY x",
        "SELECT max(x), sum(x), typeof(min(x)) FROM t",
        "SELECT x || '' FROM t ORDER BY x",
    ];
    for io in BACKENDS {
        let conn = open(path, io);
        for q in queries {
            assert_eq!(brisk_rows(&conn, q), sqlite_rows(path, q), "{q}");
        }
    }
}

/// REAL affinity on reading turns integers into REAL and nothing else: text that SQLite kept
/// in a REAL column (it does not look like a number) stays text.
#[test]
fn real_columns_keep_text_and_blobs_as_stored() {
    let dir = temp_dir("reals_text");
    let path = dir.join("r.db");
    let path = path.to_str().unwrap();
    {
        let db = rusqlite::Connection::open(path).unwrap();
        db.execute_batch("CREATE TABLE t(x REAL); INSERT INTO t VALUES ('abc'), (x'01'), (NULL), (' 12 '), (3);")
            .unwrap();
    }
    let q = "SELECT x, typeof(x), quote(x) FROM t";
    for io in BACKENDS {
        assert_eq!(brisk_rows(&open(path, io), q), sqlite_rows(path, q));
    }
}
