//! `SyncIo`: the portable backend, with blocking `pread`/`pwrite` that complete at submission.
//!
//! Owns nothing but open files; `run_once` has nothing to drive. On Unix each file is a
//! `UnixFile` (`unix_lock.rs`) — SQLite's POSIX advisory locks with the per-process inode
//! table — so a database opened with `SyncIo` can be shared with stock SQLite processes. Elsewhere
//! a fallback does seek+read/write under a mutex and locks within the process only.
//!
//! Durability: `sync` is `fsync` (`File::sync_all`: data and size), not `fdatasync`, because a
//! database or journal that grew needs its new size to survive a crash too. `sync_dir` fsyncs the
//! directory holding a path so that creating or deleting a journal is durable.

use std::sync::Arc;

use super::{codes, Completion, File, Io, LockLevel, OpenOptions};
use crate::error::{Error, Result};

#[cfg(unix)]
use super::unix_lock::{os_error, UnixFile as OsFile};
#[cfg(not(unix))]
use portable::{os_error, PortableFile as OsFile};

/// How many times an interrupted read is retried before it is reported.
const EINTR_RETRIES: usize = 100;

/// The blocking backend.
#[derive(Debug, Default)]
pub struct SyncIo;

impl SyncIo {
    pub fn new() -> SyncIo {
        SyncIo
    }
}

impl Io for SyncIo {
    fn open(&self, path: &str, options: OpenOptions) -> Result<Arc<dyn File>> {
        Ok(Arc::new(SyncFile { inner: OsFile::open(path, options)? }))
    }

    fn delete(&self, path: &str) -> Result<()> {
        delete_file(path)
    }

    fn exists(&self, path: &str) -> Result<bool> {
        file_exists(path)
    }

    fn run_once(&self) -> Result<()> {
        // Every request completed at submission.
        Ok(())
    }

    fn name(&self) -> &'static str {
        "sync"
    }

    fn sync_dir(&self, path: &str) -> Result<()> {
        sync_parent_dir(path)
    }
}

/// Unlinks `path`; a missing file is not an error. Shared with `UringIo`.
pub(crate) fn delete_file(path: &str) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(codes::IOERR_DELETE, format!("unlink {path}: {e}"))),
    }
}

/// Whether `path` exists (an empty file counts). Shared with `UringIo`.
pub(crate) fn file_exists(path: &str) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(codes::IOERR_ACCESS, format!("stat {path}: {e}"))),
    }
}

/// Fsyncs the directory that holds `path`, making a create or unlink in it durable.
#[cfg(unix)]
pub(crate) fn sync_parent_dir(path: &str) -> Result<()> {
    let dir = match std::path::Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let handle = std::fs::File::open(dir)
        .map_err(|e| Error::io(codes::IOERR_DIR_FSYNC, format!("open directory {}: {e}", dir.display())))?;
    match handle.sync_all() {
        Ok(()) => Ok(()),
        // Some file systems cannot fsync a directory; SQLite ignores that too.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        Err(e) => Err(Error::io(codes::IOERR_DIR_FSYNC, format!("fsync directory {}: {e}", dir.display()))),
    }
}

/// Directories cannot be fsynced portably outside Unix; the OS makes metadata durable itself.
#[cfg(not(unix))]
pub(crate) fn sync_parent_dir(_path: &str) -> Result<()> {
    Ok(())
}

/// One open file of `SyncIo`.
#[derive(Debug)]
struct SyncFile {
    inner: OsFile,
}

impl SyncFile {
    /// Reads until `len` bytes or the end of the file; the rest of the buffer stays zero.
    fn read_full(&self, offset: u64, len: usize) -> Result<(Vec<u8>, usize)> {
        let mut buf = vec![0u8; len];
        let mut done = 0;
        let mut interrupts = 0;
        // Bounded: each pass either moves forward, stops at the end, or counts an interrupt.
        while done < len {
            let at = offset.checked_add(done as u64).ok_or_else(|| Error::io(codes::IOERR_READ, "offset overflow"))?;
            match self.inner.read_at(&mut buf[done..], at) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted && interrupts < EINTR_RETRIES => interrupts += 1,
                Err(e) => return Err(os_error(codes::IOERR_READ, "pread", &e)),
            }
        }
        Ok((buf, done))
    }
}

impl File for SyncFile {
    fn pread(&self, offset: u64, len: usize) -> Result<Completion> {
        Ok(match self.read_full(offset, len) {
            Ok((buf, n)) => Completion::done(Ok(n), Some(buf)),
            Err(e) => Completion::done(Err(e), None),
        })
    }

    fn pwrite(&self, offset: u64, data: Vec<u8>) -> Result<Completion> {
        if self.inner.read_only() {
            return Err(Error::ReadOnly);
        }
        let result = match self.inner.write_all_at(&data, offset) {
            Ok(()) => Ok(data.len()),
            Err(e) if e.kind() == std::io::ErrorKind::WriteZero => Err(Error::Full),
            Err(e) => Err(os_error(codes::IOERR_WRITE, "pwrite", &e)),
        };
        Ok(Completion::done(result, None))
    }

    fn sync(&self) -> Result<Completion> {
        let result = self.inner.sync_all().map(|()| 0).map_err(|e| os_error(codes::IOERR_FSYNC, "fsync", &e));
        Ok(Completion::done(result, None))
    }

    fn truncate(&self, len: u64) -> Result<Completion> {
        if self.inner.read_only() {
            return Err(Error::ReadOnly);
        }
        let result = self.inner.set_len(len).map(|()| 0).map_err(|e| os_error(codes::IOERR_TRUNCATE, "ftruncate", &e));
        Ok(Completion::done(result, None))
    }

    fn size(&self) -> Result<u64> {
        self.inner.size()
    }

    fn lock(&self, level: LockLevel) -> Result<bool> {
        self.inner.lock(level)
    }

    fn unlock(&self, level: LockLevel) -> Result<()> {
        self.inner.unlock(level)
    }

    fn check_reserved_lock(&self) -> Result<bool> {
        self.inner.check_reserved_lock()
    }
}

/// The non-Unix fallback: positioned I/O as seek + read/write under a mutex, and locks that only
/// order the connections of this process (keyed by canonical path), since there is no portable
/// byte-range lock in `std`.
#[cfg(not(unix))]
mod portable {
    use std::collections::HashMap;
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::path::PathBuf;
    use std::sync::{Mutex, MutexGuard, OnceLock};

    use crate::error::{Error, Result};
    use crate::io::lock::{self, acquire, InodeLock, NoOsLocks};
    use crate::io::{codes, LockLevel, OpenOptions};

    #[derive(Debug, Default)]
    struct Entry {
        lock: InodeLock,
        refs: usize,
    }

    fn table() -> MutexGuard<'static, HashMap<PathBuf, Entry>> {
        static TABLE: OnceLock<Mutex<HashMap<PathBuf, Entry>>> = OnceLock::new();
        acquire(TABLE.get_or_init(Default::default))
    }

    pub(crate) fn os_error(code: i32, what: &str, err: &std::io::Error) -> Error {
        Error::io(code, format!("{what}: {err}"))
    }

    #[derive(Debug)]
    pub(crate) struct PortableFile {
        file: Mutex<std::fs::File>,
        key: PathBuf,
        level: Mutex<LockLevel>,
        read_only: bool,
    }

    impl PortableFile {
        pub(crate) fn open(path: &str, options: OpenOptions) -> Result<PortableFile> {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(!options.read_only)
                .create(options.create && !options.read_only)
                .open(path)
                .map_err(|e| Error::CantOpen(format!("{path}: {e}")))?;
            let key = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
            table().entry(key.clone()).or_default().refs += 1;
            Ok(PortableFile {
                file: Mutex::new(file),
                key,
                level: Mutex::new(LockLevel::None),
                read_only: options.read_only,
            })
        }

        pub(crate) fn read_only(&self) -> bool {
            self.read_only
        }

        pub(crate) fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
            let mut file = acquire(&self.file);
            file.seek(SeekFrom::Start(offset))?;
            file.read(buf)
        }

        pub(crate) fn write_all_at(&self, data: &[u8], offset: u64) -> std::io::Result<()> {
            let mut file = acquire(&self.file);
            file.seek(SeekFrom::Start(offset))?;
            file.write_all(data)
        }

        pub(crate) fn sync_all(&self) -> std::io::Result<()> {
            acquire(&self.file).sync_all()
        }

        pub(crate) fn set_len(&self, len: u64) -> std::io::Result<()> {
            acquire(&self.file).set_len(len)
        }

        pub(crate) fn size(&self) -> Result<u64> {
            acquire(&self.file).metadata().map(|m| m.len()).map_err(|e| os_error(codes::IOERR_FSTAT, "stat", &e))
        }

        pub(crate) fn lock(&self, want: LockLevel) -> Result<bool> {
            let mut level = acquire(&self.level);
            let mut table = table();
            let entry = table.entry(self.key.clone()).or_default();
            lock::lock(&mut level, &mut entry.lock, want, &NoOsLocks)
        }

        pub(crate) fn unlock(&self, want: LockLevel) -> Result<()> {
            let mut level = acquire(&self.level);
            let mut table = table();
            let entry = table.entry(self.key.clone()).or_default();
            lock::unlock(&mut level, &mut entry.lock, want, &NoOsLocks)
        }

        pub(crate) fn check_reserved_lock(&self) -> Result<bool> {
            let table = table();
            Ok(table.get(&self.key).is_some_and(|e| e.lock.level > LockLevel::Shared))
        }
    }

    impl Drop for PortableFile {
        fn drop(&mut self) {
            let mut level = acquire(&self.level);
            let mut table = table();
            if let Some(entry) = table.get_mut(&self.key) {
                let _ = lock::unlock(&mut level, &mut entry.lock, LockLevel::None, &NoOsLocks);
                entry.refs = entry.refs.saturating_sub(1);
                if entry.refs == 0 {
                    table.remove(&self.key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::contract_tests::{self, TempDir};

    #[test]
    fn file_contract() {
        let dir = TempDir::new("sync-contract");
        contract_tests::check_file_contract(&SyncIo::new(), dir.path());
    }

    #[test]
    fn lock_compatibility_between_handles() {
        let dir = TempDir::new("sync-locks");
        contract_tests::check_in_process_locking(&SyncIo::new(), dir.path());
    }

    #[test]
    fn sync_dir_of_a_relative_and_an_absolute_path() {
        let dir = TempDir::new("sync-dir");
        let io = SyncIo::new();
        io.sync_dir(&dir.file("x.db")).unwrap();
        io.sync_dir("x.db").unwrap();
    }

    #[test]
    fn write_to_a_read_only_handle_is_refused() {
        let dir = TempDir::new("sync-ro");
        let io = SyncIo::new();
        let path = dir.file("x.db");
        drop(io.open(&path, OpenOptions::default()).unwrap());
        let f = io.open(&path, OpenOptions { create: false, read_only: true }).unwrap();
        assert_eq!(f.pwrite(0, vec![1]).err(), Some(Error::ReadOnly));
        assert_eq!(f.truncate(0).err(), Some(Error::ReadOnly));
        // A read-only descriptor can still take the read locks a reader needs.
        assert!(f.lock(LockLevel::Shared).unwrap());
        assert!(!f.check_reserved_lock().unwrap());
        f.unlock(LockLevel::None).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn cross_process_locking_with_sqlite3() {
        crate::io::interop_tests::check_cross_process_locking(&SyncIo::new(), "sync");
    }
}
