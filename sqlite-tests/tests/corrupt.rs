//! Corrupt, truncated and non-database files give an error, quickly: never a panic, a hang or
//! an unbounded allocation.

use std::sync::mpsc;
use std::time::Duration;

use brisk::io::IoKind;
use brisk::{Database, Error, OpenOptions};
use sqlite_tests::temp_dir;

/// A small valid database made by SQLite: two tables, an index, overflow rows, freelist pages.
fn sample_db() -> Vec<u8> {
    let dir = temp_dir("sample");
    let path = dir.join("s.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "PRAGMA page_size=1024;
         CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);
         CREATE INDEX t_b ON t(b);
         CREATE TABLE u(x, y);",
    )
    .unwrap();
    for i in 0..300 {
        let blob = vec![i as u8; if i % 50 == 0 { 3000 } else { 20 }];
        db.execute("INSERT INTO t(b, c) VALUES (?, ?)", rusqlite::params![format!("row{i}"), blob]).unwrap();
        db.execute("INSERT INTO u VALUES (?, ?)", rusqlite::params![i, i * 2]).unwrap();
    }
    db.execute_batch("DELETE FROM u WHERE x % 3 = 0;").unwrap();
    drop(db);
    std::fs::read(&path).unwrap()
}

/// Opens the bytes as a database and reads everything; returns the first error, if any.
/// Fails the test if this takes more than a few seconds (a hang) or panics.
fn read_all(bytes: Vec<u8>, label: &str) -> Option<Error> {
    let dir = temp_dir("corrupt");
    let path = dir.join("c.db");
    std::fs::write(&path, &bytes).unwrap();
    let path = path.to_str().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    let label2 = label.to_string();
    std::thread::spawn(move || {
        let r = (|| -> brisk::Result<()> {
            let conn = Database::open_with(&path, OpenOptions { io: IoKind::Sync, read_only: true, create: false })?
                .connect()?;
            for sql in [
                "SELECT * FROM t",
                "SELECT * FROM u",
                "SELECT count(*) FROM t",
                "SELECT b FROM t WHERE a = 150",
                "PRAGMA integrity_check",
            ] {
                let mut st = conn.prepare(sql)?;
                st.query_all(&[])?;
            }
            Ok(())
        })();
        let _ = tx.send(r.err());
        let _ = label2;
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(e) => e,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{label}: reading took too long (a hang?)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{label}: the reader panicked"),
    }
}

#[test]
fn the_sample_reads_cleanly() {
    assert_eq!(read_all(sample_db(), "sample"), None);
}

#[test]
fn a_non_database_file_is_notadb() {
    let e = read_all(
        b"this is not a database, just some text that is long enough to have a header......................".repeat(20),
        "text",
    );
    assert!(matches!(e, Some(Error::NotADb)), "{e:?}");
}

#[test]
fn truncated_files_give_errors() {
    let db = sample_db();
    for len in [10, 99, 100, 1024, 1500, 2048, db.len() / 2, db.len() - 1024] {
        let e = read_all(db[..len].to_vec(), &format!("truncated to {len}"));
        assert!(e.is_some(), "truncated to {len} read without error");
    }
    // A cut inside the last page loses bytes that may be free space; like SQLite (which reads
    // the missing tail as zeros), the outcome may be success or an error, but never a panic.
    let _ = read_all(db[..db.len() - 1].to_vec(), "truncated by one byte");
}

#[test]
fn flipped_bytes_never_panic_or_hang() {
    let db = sample_db();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..300 {
        let mut bytes = db.clone();
        for _ in 0..1 + round % 8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let pos = (state as usize) % bytes.len();
            bytes[pos] ^= 1 << ((state >> 60) as u8 % 8);
        }
        // Either outcome is fine; what matters is that it returns.
        let _ = read_all(bytes, &format!("flip round {round}"));
    }
}

fn page(db: &mut [u8], pgno: usize) -> &mut [u8] {
    &mut db[(pgno - 1) * 1024..pgno * 1024]
}

/// The root page of table `name`, from sqlite_schema (read with SQLite).
fn root_of(db: &[u8], name: &str) -> usize {
    let dir = temp_dir("root");
    let path = dir.join("r.db");
    std::fs::write(&path, db).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.query_row("SELECT rootpage FROM sqlite_schema WHERE name = ?", [name], |r| r.get::<_, i64>(0)).unwrap() as usize
}

#[test]
fn an_interior_page_that_points_to_itself_is_corrupt() {
    let mut db = sample_db();
    let root = root_of(&db, "t");
    let p = page(&mut db, root);
    assert_eq!(p[0], 0x05, "t's root is an interior table page");
    // The right-most child pointer (offset 8) points back at the root.
    p[8..12].copy_from_slice(&(root as u32).to_be_bytes());
    let e = read_all(db, "self-pointing interior page");
    assert!(matches!(e, Some(Error::Corrupt(_))), "{e:?}");
}

#[test]
fn a_looping_overflow_chain_is_corrupt() {
    let mut db = sample_db();
    // Row 50's blob is 3000 bytes of 50: a page holding only those bytes after its 4-byte
    // next-page pointer is an overflow page in the middle of that row's chain.
    let n = db.len() / 1024;
    let mut done = false;
    for pgno in 2..=n {
        let p = page(&mut db, pgno);
        let next = u32::from_be_bytes(p[..4].try_into().unwrap()) as usize;
        if next > 1 && next <= n && p[4..].iter().all(|&b| b == 50) {
            p[..4].copy_from_slice(&(pgno as u32).to_be_bytes());
            done = true;
            break;
        }
    }
    assert!(done, "the sample has an overflow chain");
    let e = read_all(db, "looping overflow chain");
    assert!(e.is_some(), "a looping overflow chain read without error");
}

#[test]
fn a_looping_freelist_is_reported() {
    let mut db = sample_db();
    let trunk = u32::from_be_bytes(db[32..36].try_into().unwrap()) as usize;
    assert!(trunk != 0, "the sample has a freelist");
    let p = page(&mut db, trunk);
    p[..4].copy_from_slice(&(trunk as u32).to_be_bytes());
    // The tables still read; the integrity check reports the loop as an error row or an error.
    let dir = temp_dir("freelist");
    let path = dir.join("f.db");
    std::fs::write(&path, &db).unwrap();
    let conn =
        Database::open_with(path.to_str().unwrap(), OpenOptions { io: IoKind::Sync, read_only: true, create: false })
            .unwrap()
            .connect()
            .unwrap();
    let r = conn.prepare("PRAGMA integrity_check").and_then(|mut s| s.query_all(&[]));
    match r {
        Ok(rows) => assert_ne!(rows, vec![vec![brisk::Value::text("ok")]]),
        Err(e) => assert!(matches!(e, Error::Corrupt(_)), "{e:?}"),
    }
}
