//! Lock interoperability with stock SQLite: the `sqlite3` shell in a child process holds or asks for
//! locks on the same database file as one of our Unix backends.
//!
//! An in-process SQLite (rusqlite) cannot be the other party: POSIX locks belong to the process, so
//! its locks and ours would never conflict. The shell is `/usr/bin/sqlite3`; when it is missing the
//! checks print why and return.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::contract_tests::TempDir;
use super::{Io, LockLevel, OpenOptions};

const SQLITE3: &str = "/usr/bin/sqlite3";

fn sqlite3_available(test: &str) -> bool {
    let found = std::path::Path::new(SQLITE3).exists();
    if !found {
        println!("skipping {test}: {SQLITE3} is missing");
    }
    found
}

/// Runs `sql` in a one-shot shell; returns (success, stdout, stderr).
fn run(db: &str, sql: &str) -> (bool, String, String) {
    let out = Command::new(SQLITE3).arg(db).arg(sql).output().expect("run sqlite3");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_locked(db: &str, sql: &str, why: &str) {
    let (ok, _, err) = run(db, sql);
    assert!(!ok && err.contains("database is locked"), "{why}: sqlite3 `{sql}` gave ok={ok} stderr={err:?}");
}

fn assert_runs(db: &str, sql: &str, why: &str) -> String {
    let (ok, out, err) = run(db, sql);
    assert!(ok, "{why}: sqlite3 `{sql}` failed: {err}");
    out
}

/// A shell that ran some SQL and keeps its transaction (and so its locks) open until dropped.
struct Holder {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Holder {
    fn start(db: &str, sql: &str) -> Holder {
        let child = Command::new(SQLITE3)
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sqlite3");
        // From here on, `Drop` reaps the child whatever happens.
        let mut holder = Holder { child, stdin: None };
        let mut stdin = holder.child.stdin.take().expect("piped stdin");
        // `.bail on`: if the statement fails, the shell exits and we never see "ready".
        writeln!(stdin, ".bail on\n{sql}\nSELECT 'ready';").expect("write to sqlite3");
        stdin.flush().expect("flush sqlite3 stdin");
        holder.stdin = Some(stdin);
        let mut out = BufReader::new(holder.child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        for _ in 0..100 {
            line.clear();
            let n = out.read_line(&mut line).expect("read sqlite3 output");
            assert!(n > 0, "sqlite3 exited before holding its lock after `{sql}`");
            if line.trim() == "ready" {
                return holder;
            }
        }
        panic!("sqlite3 never became ready after `{sql}`");
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // End of input: the shell exits, which rolls back and releases its locks.
        drop(self.stdin.take());
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}

/// The POSIX lock protocol against the `sqlite3` shell, both ways, plus the in-process pitfall of
/// closing a second descriptor of the same file.
pub(crate) fn check_cross_process_locking(io: &dyn Io, name: &str) {
    use LockLevel::*;
    if !sqlite3_available("check_cross_process_locking") {
        return;
    }
    let dir = TempDir::new(&format!("{name}-interop"));
    let db = dir.file("interop.db");
    assert_runs(&db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", "setup");
    let f = io.open(&db, OpenOptions::default()).unwrap();

    // sqlite3 holds EXCLUSIVE: we cannot even read.
    {
        let _h = Holder::start(&db, "BEGIN EXCLUSIVE;");
        assert!(!f.lock(Shared).unwrap(), "Shared must be refused under sqlite3's EXCLUSIVE");
        assert!(f.check_reserved_lock().unwrap());
    }
    assert!(!f.check_reserved_lock().unwrap());
    assert!(f.lock(Shared).unwrap());
    f.unlock(None).unwrap();

    // sqlite3 holds RESERVED: we may read but not write.
    {
        let _h = Holder::start(&db, "BEGIN IMMEDIATE;");
        assert!(f.check_reserved_lock().unwrap(), "another process's RESERVED is visible");
        assert!(f.lock(Shared).unwrap());
        assert!(!f.lock(Reserved).unwrap());
        f.unlock(None).unwrap();
    }

    // sqlite3 holds SHARED: we get Reserved, but Exclusive stops at Pending, which keeps new
    // readers out until the old one leaves.
    {
        let _h = Holder::start(&db, "BEGIN; SELECT count(*) FROM t;");
        assert!(f.lock(Shared).unwrap());
        assert!(f.lock(Reserved).unwrap());
        assert!(!f.lock(Exclusive).unwrap());
        assert_locked(&db, "SELECT count(*) FROM t;", "our PENDING blocks a new reader");
    }
    assert!(f.lock(Exclusive).unwrap(), "the reader left");
    assert_locked(&db, "SELECT count(*) FROM t;", "our EXCLUSIVE blocks readers");
    f.unlock(Shared).unwrap();
    assert_eq!(assert_runs(&db, "SELECT count(*) FROM t;", "readers share with our Shared").trim(), "1");
    assert_locked(&db, "BEGIN EXCLUSIVE;", "our Shared blocks EXCLUSIVE");
    assert!(f.lock(Reserved).unwrap());
    assert_locked(&db, "BEGIN IMMEDIATE;", "our RESERVED blocks another writer");
    assert_eq!(assert_runs(&db, "SELECT count(*) FROM t;", "readers share with our Reserved").trim(), "1");

    // Closing another descriptor of the same file must not drop our locks.
    drop(io.open(&db, OpenOptions::default()).unwrap());
    assert_locked(&db, "BEGIN IMMEDIATE;", "our RESERVED survives closing a second handle");
    f.unlock(None).unwrap();
    assert_runs(&db, "BEGIN IMMEDIATE; COMMIT;", "all our locks are gone");

    // Two handles both reading: one leaving must not take the other's shared lock with it.
    let g = io.open(&db, OpenOptions::default()).unwrap();
    assert!(f.lock(Shared).unwrap());
    assert!(g.lock(Shared).unwrap());
    g.unlock(None).unwrap();
    drop(g);
    assert_locked(&db, "BEGIN EXCLUSIVE;", "f still reads after g left");
    f.unlock(None).unwrap();
    assert_runs(&db, "BEGIN EXCLUSIVE; COMMIT;", "no reader is left");

    // Dropping a locked handle releases its locks.
    assert!(f.lock(Shared).unwrap());
    assert!(f.lock(Reserved).unwrap());
    drop(f);
    assert_runs(&db, "BEGIN EXCLUSIVE; COMMIT;", "closing released everything");
}
