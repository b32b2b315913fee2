//! `HandleIo`: files the embedder opened for us, as synchronous handles.
//!
//! Some hosts can only open a file asynchronously but then read and write it synchronously. The
//! browser's Origin Private File System is one: `createSyncAccessHandle()` returns a promise, and
//! the handle it gives reads, writes, flushes and truncates synchronously (in a dedicated Worker).
//! The engine opens files synchronously, so the embedder opens every file a database can need
//! first (the database and its `-journal`) and registers each handle here under its path with
//! [`HandleIo::register`]. Every request then completes at submission, as with `SyncIo`.
//!
//! A registered path is a file that exists while its handle holds bytes or since it was opened
//! with `create`, and until it is deleted. Deleting truncates the handle to zero bytes and marks
//! the file missing; the handle itself stays registered, so the file can be created again (the
//! rollback journal, once per write transaction). A path nobody registered cannot be opened.
//! An empty handle at registration is a missing file, which is what SQLite makes of an empty
//! journal too: not hot.
//!
//! Locking follows SQLite's in-process rules (`lock.rs` with no OS half): a host that hands out
//! such handles gives one owner exclusive access to the file (OPFS does), so no other process can
//! hold a lock on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::lock::{acquire, InodeLock, LocalLock};
use super::{codes, Completion, File, Io, LockLevel, OpenOptions};
use crate::error::{Error, Result};

/// A file the embedder opened: synchronous positioned reads and writes.
///
/// Errors are the embedder's to describe; return them as `Error::io` with an `SQLITE_IOERR_*`
/// code (see [`codes`]) or as [`Error::Full`] when the storage quota is exhausted.
pub trait SyncHandle: Send + Sync {
    /// Reads into `buf` at `offset`; returns the bytes read (fewer at the end of the file).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;
    /// Writes all of `data` at `offset`, extending the file (with zeros over any gap).
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()>;
    /// Makes every completed write durable.
    fn flush(&self) -> Result<()>;
    /// Truncates, or extends with zeros, to `len` bytes.
    fn truncate(&self, len: u64) -> Result<()>;
    /// The file's size in bytes.
    fn size(&self) -> Result<u64>;
}

/// One registered path: its handle, whether the file exists, and its lock record.
struct Slot {
    handle: Arc<dyn SyncHandle>,
    exists: Mutex<bool>,
    lock: Mutex<InodeLock>,
}

/// The backend over registered handles. See the module documentation.
#[derive(Default)]
pub struct HandleIo {
    files: Mutex<HashMap<String, Arc<Slot>>>,
}

impl HandleIo {
    pub fn new() -> HandleIo {
        HandleIo::default()
    }

    /// Registers `handle` as the file at `path`, replacing any handle registered there. The file
    /// exists if the handle holds any bytes.
    pub fn register(&self, path: &str, handle: Arc<dyn SyncHandle>) -> Result<()> {
        let exists = handle.size()? > 0;
        let slot = Slot { handle, exists: Mutex::new(exists), lock: Mutex::new(InodeLock::default()) };
        acquire(&self.files).insert(path.to_string(), Arc::new(slot));
        Ok(())
    }

    fn slot(&self, path: &str) -> Option<Arc<Slot>> {
        acquire(&self.files).get(path).cloned()
    }
}

impl Io for HandleIo {
    fn open(&self, path: &str, options: OpenOptions) -> Result<Arc<dyn File>> {
        let Some(slot) = self.slot(path) else {
            return Err(Error::CantOpen(format!("{path}: no handle was registered for this file")));
        };
        {
            let mut exists = acquire(&slot.exists);
            if !*exists {
                if !options.create || options.read_only {
                    return Err(Error::CantOpen(format!("{path}: no such file")));
                }
                *exists = true;
            }
        }
        Ok(Arc::new(HandleFile { slot, level: LocalLock::new(), read_only: options.read_only }))
    }

    fn delete(&self, path: &str) -> Result<()> {
        if let Some(slot) = self.slot(path) {
            let mut exists = acquire(&slot.exists);
            if *exists {
                slot.handle.truncate(0).map_err(|e| as_ioerr(e, codes::IOERR_DELETE))?;
                slot.handle.flush().map_err(|e| as_ioerr(e, codes::IOERR_DELETE))?;
                *exists = false;
            }
        }
        Ok(())
    }

    fn exists(&self, path: &str) -> Result<bool> {
        Ok(self.slot(path).is_some_and(|slot| *acquire(&slot.exists)))
    }

    fn run_once(&self) -> Result<()> {
        // Every request completed at submission.
        Ok(())
    }

    fn name(&self) -> &'static str {
        "handles"
    }
}

/// An error from the embedder's handle, as an I/O error with `code` unless it already is one
/// (or is a full disk).
fn as_ioerr(e: Error, code: i32) -> Error {
    match e {
        Error::Io { .. } | Error::Full => e,
        other => Error::io(code, other.to_string()),
    }
}

/// One open file: its own lock level over the shared slot.
struct HandleFile {
    slot: Arc<Slot>,
    level: LocalLock,
    read_only: bool,
}

impl File for HandleFile {
    fn pread(&self, offset: u64, len: usize) -> Result<Completion> {
        let mut buf = vec![0u8; len];
        let result = self.slot.handle.read_at(offset, &mut buf).map_err(|e| as_ioerr(e, codes::IOERR_READ));
        // Bytes past the end stay zero; a handle that claims more than it was asked is clamped.
        let result = result.map(|n| n.min(len));
        Ok(Completion::done(result, Some(buf)))
    }

    fn pwrite(&self, offset: u64, data: Vec<u8>) -> Result<Completion> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let result = self.slot.handle.write_at(offset, &data).map_err(|e| as_ioerr(e, codes::IOERR_WRITE));
        Ok(Completion::done(result.map(|()| data.len()), None))
    }

    fn sync(&self) -> Result<Completion> {
        let result = self.slot.handle.flush().map_err(|e| as_ioerr(e, codes::IOERR_FSYNC));
        Ok(Completion::done(result.map(|()| 0), None))
    }

    fn truncate(&self, len: u64) -> Result<Completion> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let result = self.slot.handle.truncate(len).map_err(|e| as_ioerr(e, codes::IOERR_TRUNCATE));
        Ok(Completion::done(result.map(|()| 0), None))
    }

    fn size(&self) -> Result<u64> {
        self.slot.handle.size().map_err(|e| as_ioerr(e, codes::IOERR_FSTAT))
    }

    fn lock(&self, level: LockLevel) -> Result<bool> {
        self.level.lock(&self.slot.lock, level)
    }

    fn unlock(&self, level: LockLevel) -> Result<()> {
        self.level.unlock(&self.slot.lock, level)
    }

    fn check_reserved_lock(&self) -> Result<bool> {
        LocalLock::check_reserved(&self.slot.lock)
    }
}

impl Drop for HandleFile {
    fn drop(&mut self) {
        // A handle closed while locked releases its locks, as closing a database file does.
        self.level.release(&self.slot.lock);
    }
}

/// A handle over a byte vector: for tests, and for embedders that want a registered file in memory.
#[derive(Debug, Default)]
pub struct VecHandle {
    data: Mutex<Vec<u8>>,
}

impl VecHandle {
    pub fn new(data: Vec<u8>) -> VecHandle {
        VecHandle { data: Mutex::new(data) }
    }

    /// A copy of the bytes.
    pub fn bytes(&self) -> Vec<u8> {
        acquire(&self.data).clone()
    }
}

impl SyncHandle for VecHandle {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let (bytes, n) = super::memory::read_from(&acquire(&self.data), offset, buf.len());
        buf.copy_from_slice(&bytes);
        Ok(n)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        super::memory::write_into(&mut acquire(&self.data), offset, data)
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn truncate(&self, len: u64) -> Result<()> {
        super::memory::resize(&mut acquire(&self.data), super::memory::len_to_usize(len)?)
    }

    fn size(&self) -> Result<u64> {
        Ok(acquire(&self.data).len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{contract_tests, read_blocking};

    fn io_with(paths: &[&str]) -> HandleIo {
        let io = HandleIo::new();
        for p in paths {
            io.register(p, Arc::new(VecHandle::default())).unwrap();
        }
        io
    }

    #[test]
    fn file_contract() {
        let io = io_with(&["h/a.db", "h/b.db"]);
        contract_tests::check_file_contract(&io, "h");
    }

    #[test]
    fn lock_compatibility_between_handles() {
        let io = io_with(&["h/locks.db"]);
        contract_tests::check_in_process_locking(&io, "h");
    }

    #[test]
    fn unregistered_paths_cannot_be_opened_and_do_not_exist() {
        let io = io_with(&["db"]);
        let err = io.open("db-wal", OpenOptions::default()).err().expect("no handle");
        assert_eq!(err.code(), crate::ResultCode::CantOpen);
        assert!(!io.exists("db-wal").unwrap());
        io.delete("db-wal").unwrap();
    }

    #[test]
    fn a_handle_with_bytes_is_an_existing_file_and_delete_empties_it() {
        let io = HandleIo::new();
        let handle = Arc::new(VecHandle::new(vec![1, 2, 3]));
        io.register("j", handle.clone()).unwrap();
        assert!(io.exists("j").unwrap());
        let f = io.open("j", OpenOptions { create: false, read_only: true }).unwrap();
        assert_eq!(read_blocking(&io, f.as_ref(), 0, 4).unwrap(), (vec![1, 2, 3, 0], 3));
        assert_eq!(f.pwrite(0, vec![9]).err(), Some(Error::ReadOnly));
        drop(f);
        io.delete("j").unwrap();
        assert!(!io.exists("j").unwrap());
        assert!(handle.bytes().is_empty(), "deleting empties the handle");
    }

    /// A handle whose every call fails, as a browser's does when the quota is exhausted.
    struct Failing;

    impl SyncHandle for Failing {
        fn read_at(&self, _: u64, _: &mut [u8]) -> Result<usize> {
            Err(Error::Internal("NotReadableError".into()))
        }
        fn write_at(&self, _: u64, _: &[u8]) -> Result<()> {
            Err(Error::Full)
        }
        fn flush(&self) -> Result<()> {
            Err(Error::Internal("InvalidStateError".into()))
        }
        fn truncate(&self, _: u64) -> Result<()> {
            Err(Error::Internal("InvalidStateError".into()))
        }
        fn size(&self) -> Result<u64> {
            Ok(0)
        }
    }

    #[test]
    fn handle_errors_become_sqlite_io_errors() {
        let io = HandleIo::new();
        io.register("f", Arc::new(Failing)).unwrap();
        let f = io.open("f", OpenOptions::default()).unwrap();
        let read = f.pread(0, 10).unwrap();
        assert_eq!(read.bytes().unwrap_err().extended_code(), codes::IOERR_READ);
        assert_eq!(f.pwrite(0, vec![1]).unwrap().bytes().unwrap_err(), Error::Full);
        assert_eq!(f.sync().unwrap().bytes().unwrap_err().extended_code(), codes::IOERR_FSYNC);
        assert_eq!(f.truncate(0).unwrap().bytes().unwrap_err().extended_code(), codes::IOERR_TRUNCATE);
    }

    /// A handle that refuses writes once `budget` more have been made, as a power loss would.
    struct Dying {
        inner: Arc<VecHandle>,
        budget: Mutex<Option<usize>>,
    }

    impl SyncHandle for Dying {
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
            self.inner.read_at(offset, buf)
        }
        fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
            if let Some(left) = acquire(&self.budget).as_mut() {
                if *left == 0 {
                    return Err(Error::io(codes::IOERR_WRITE, "gone"));
                }
                *left -= 1;
            }
            self.inner.write_at(offset, data)
        }
        fn flush(&self) -> Result<()> {
            Ok(())
        }
        fn truncate(&self, len: u64) -> Result<()> {
            if acquire(&self.budget).is_some() {
                return Err(Error::io(codes::IOERR_TRUNCATE, "gone"));
            }
            self.inner.truncate(len)
        }
        fn size(&self) -> Result<u64> {
            self.inner.size()
        }
    }

    #[test]
    fn a_database_over_handles_rolls_back_a_hot_journal() {
        use crate::api::{Connection, Database};
        let db_bytes = Arc::new(VecHandle::default());
        let journal_bytes = Arc::new(VecHandle::default());
        let open = |budget: Option<usize>| -> Connection {
            let io = HandleIo::new();
            let db = Dying { inner: db_bytes.clone(), budget: Mutex::new(budget) };
            io.register("app.db", Arc::new(db)).unwrap();
            io.register("app.db-journal", journal_bytes.clone()).unwrap();
            Database::open_with_io("app.db", Arc::new(io), false).unwrap().connect().unwrap()
        };
        let count = |conn: &Connection| -> Vec<Value> {
            conn.prepare("SELECT count(*), sum(length(x)) FROM t").unwrap().query_all(&[]).unwrap().remove(0)
        };
        use crate::value::Value;

        let conn = open(None);
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (zeroblob(3000)), (zeroblob(3000))").unwrap();
        assert!(journal_bytes.bytes().is_empty(), "the journal is deleted after the commit");
        drop(conn);

        // The database file takes one page write of the commit, then fails: the commit fails
        // with the journal in place and the file half written.
        let conn = open(Some(1));
        let err =
            conn.execute_batch("UPDATE t SET x = zeroblob(2000); INSERT INTO t VALUES (zeroblob(9000))").unwrap_err();
        assert_eq!(err.code(), crate::ResultCode::IoErr, "{err:?}");
        drop(conn);
        assert!(!journal_bytes.bytes().is_empty(), "the journal stayed behind");

        // Reopened, the hot journal is rolled back: the last committed state, intact.
        let conn = open(None);
        assert_eq!(count(&conn), vec![Value::Integer(2), Value::Integer(6000)]);
        let check = conn.prepare("PRAGMA integrity_check").unwrap().query_all(&[]).unwrap();
        assert_eq!(check, vec![vec![Value::text("ok")]]);
        assert!(journal_bytes.bytes().is_empty(), "the rollback deletes the journal");
    }
}
