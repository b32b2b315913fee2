//! An open Unix file with SQLite-compatible POSIX advisory locks, shared by `SyncIo` and `UringIo`.
//!
//! POSIX `fcntl` locks have two traps that SQLite's `os_unix.c` works around and so must we:
//! 1. They belong to the process and the inode, not to the descriptor: two connections of one
//!    process never see each other's locks. The lock levels of all connections of this process are
//!    therefore counted in a per-process inode table (SQLite's `unixInodeInfo`), keyed by
//!    `(st_dev, st_ino)`, and `lock.rs` refuses in-process conflicts from that count.
//! 2. Closing *any* descriptor of an inode drops *all* of the process's locks on it. A handle closed
//!    while other connections of the process hold locks therefore does not close its descriptor:
//!    the descriptor is parked in the inode's `unused` list and closed when the last lock goes.
//!
//! Invariants:
//! - Every live [`UnixFile`] counts once in its inode's `refs`; the entry is removed at zero.
//! - A descriptor is closed only while this process holds no lock on the inode (`holders == 0`),
//!   except when the entry itself goes away, which happens only once no handle is left.
//! - Lock order: a handle's `level` mutex, then the inode table mutex.
//!
//! Limitation (shared with SQLite): a descriptor of the same file opened behind our back in this
//! process (another library, another SQLite) is not in the table, and closing it drops our locks.

use std::collections::HashMap;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::{AsRawFd, RawFd};
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::lock::{self, acquire, InodeLock, OsLocks, RangeLock};
use super::{codes, LockLevel, OpenOptions};
use crate::error::{Error, Result};
use crate::limits::RESERVED_BYTE;

/// `(st_dev, st_ino)`: what POSIX locks are attached to.
type InodeKey = (u64, u64);

/// What this process holds on one inode.
#[derive(Debug, Default)]
struct InodeInfo {
    lock: InodeLock,
    /// Live handles on the inode.
    refs: usize,
    /// Descriptors of closed handles, kept open because closing them would drop live locks.
    unused: Vec<std::fs::File>,
}

fn inode_table() -> MutexGuard<'static, HashMap<InodeKey, InodeInfo>> {
    static TABLE: OnceLock<Mutex<HashMap<InodeKey, InodeInfo>>> = OnceLock::new();
    acquire(TABLE.get_or_init(Default::default))
}

/// How many retries an `fcntl` interrupted by a signal gets before we report it.
const EINTR_RETRIES: usize = 100;

/// A `struct flock` for `len` bytes at `start`.
fn flock(kind: RangeLock, start: u64, len: u64) -> libc::flock {
    // SAFETY: `flock` is a plain C struct of integers; all-zero is a valid value, and zeroing also
    // clears the platform-specific padding and fields we do not set.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = match kind {
        RangeLock::Read => libc::F_RDLCK,
        RangeLock::Write => libc::F_WRLCK,
        RangeLock::Unlock => libc::F_UNLCK,
    } as _;
    fl.l_whence = libc::SEEK_SET as _;
    // The lock bytes sit at 1 GiB, far inside `off_t` on every platform.
    fl.l_start = start as libc::off_t;
    fl.l_len = len as libc::off_t;
    fl
}

/// The OS half of the lock protocol: `fcntl(F_SETLK)` on one descriptor of the inode. Any
/// descriptor will do, since the locks belong to the process.
struct Fcntl(RawFd);

impl OsLocks for Fcntl {
    fn set(&self, kind: RangeLock, start: u64, len: u64) -> Result<bool> {
        let fl = flock(kind, start, len);
        let mut last = None;
        for _ in 0..EINTR_RETRIES {
            // SAFETY: `self.0` is an open descriptor owned by the handle that made this `Fcntl` and
            // outlives the call; `fl` is a valid `flock` that F_SETLK only reads.
            if unsafe { libc::fcntl(self.0, libc::F_SETLK, &fl) } == 0 {
                return Ok(true);
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => {
                    last = Some(err);
                    continue;
                }
                // The errors SQLite's sqliteErrorFromPosixError reads as "someone else holds it".
                Some(libc::EACCES | libc::EAGAIN | libc::EBUSY | libc::ETIMEDOUT | libc::ENOLCK)
                    if kind != RangeLock::Unlock =>
                {
                    return Ok(false)
                }
                _ => {
                    let code = if kind == RangeLock::Unlock { codes::IOERR_UNLOCK } else { codes::IOERR_LOCK };
                    return Err(Error::io(code, format!("fcntl(F_SETLK, {start:#x}+{len}): {err}")));
                }
            }
        }
        Err(Error::io(codes::IOERR_LOCK, format!("fcntl(F_SETLK) kept being interrupted: {last:?}")))
    }

    fn reserved_elsewhere(&self) -> Result<bool> {
        let mut fl = flock(RangeLock::Write, RESERVED_BYTE, 1);
        for _ in 0..EINTR_RETRIES {
            // SAFETY: as in `set`; F_GETLK writes the conflicting lock (if any) into `fl`, which is
            // a valid, exclusively borrowed `flock`.
            if unsafe { libc::fcntl(self.0, libc::F_GETLK, &mut fl) } == 0 {
                return Ok(fl.l_type != libc::F_UNLCK as _);
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EINTR) {
                return Err(Error::io(codes::IOERR_CHECKRESERVEDLOCK, format!("fcntl(F_GETLK): {err}")));
            }
        }
        Err(Error::io(codes::IOERR_CHECKRESERVEDLOCK, "fcntl(F_GETLK) kept being interrupted"))
    }
}

/// Maps an OS error of a data operation to Brisk's error, with `code` for everything but a full disk.
pub(crate) fn os_error(code: i32, what: &str, err: &std::io::Error) -> Error {
    if err.raw_os_error() == Some(libc::ENOSPC) {
        return Error::Full;
    }
    Error::io(code, format!("{what}: {err}"))
}

/// One open file: the descriptor, its inode, and this connection's lock level.
#[derive(Debug)]
pub(crate) struct UnixFile {
    /// `Some` for the whole life of the handle; `Drop` takes it to close or park it.
    file: Option<std::fs::File>,
    key: InodeKey,
    level: Mutex<LockLevel>,
    read_only: bool,
}

impl UnixFile {
    /// Opens `path` and registers it in the inode table.
    pub(crate) fn open(path: &str, options: OpenOptions) -> Result<UnixFile> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(!options.read_only)
            .create(options.create && !options.read_only)
            // SQLite's default permissions for a new database (SQLITE_DEFAULT_FILE_PERMISSIONS).
            .mode(0o644)
            .open(path)
            .map_err(|e| Error::CantOpen(format!("{path}: {e}")))?;
        let meta = file.metadata().map_err(|e| os_error(codes::IOERR_FSTAT, "fstat", &e))?;
        if meta.is_dir() {
            return Err(Error::CantOpen(format!("{path}: is a directory")));
        }
        let key = (meta.dev(), meta.ino());
        inode_table().entry(key).or_default().refs += 1;
        Ok(UnixFile { file: Some(file), key, level: Mutex::new(LockLevel::None), read_only: options.read_only })
    }

    fn file(&self) -> &std::fs::File {
        self.file.as_ref().expect("a UnixFile has its descriptor until it is dropped")
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.file().as_raw_fd()
    }

    pub(crate) fn read_only(&self) -> bool {
        self.read_only
    }

    /// One `pread`: may return fewer bytes than asked for (0 at the end of the file).
    pub(crate) fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        self.file().read_at(buf, offset)
    }

    /// `pwrite` until all of `data` is written.
    pub(crate) fn write_all_at(&self, data: &[u8], offset: u64) -> std::io::Result<()> {
        self.file().write_all_at(data, offset)
    }

    /// `fsync`: data and metadata (the file size matters to SQLite after an extension).
    pub(crate) fn sync_all(&self) -> std::io::Result<()> {
        self.file().sync_all()
    }

    pub(crate) fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.file().set_len(len)
    }

    pub(crate) fn size(&self) -> Result<u64> {
        self.file().metadata().map(|m| m.len()).map_err(|e| os_error(codes::IOERR_FSTAT, "fstat", &e))
    }

    pub(crate) fn lock(&self, want: LockLevel) -> Result<bool> {
        let mut level = acquire(&self.level);
        let mut table = inode_table();
        let info = table.get_mut(&self.key).ok_or_else(|| Error::Internal("inode missing from the table".into()))?;
        lock::lock(&mut level, &mut info.lock, want, &Fcntl(self.fd()))
    }

    pub(crate) fn unlock(&self, want: LockLevel) -> Result<()> {
        let mut level = acquire(&self.level);
        let mut table = inode_table();
        let info = table.get_mut(&self.key).ok_or_else(|| Error::Internal("inode missing from the table".into()))?;
        let result = lock::unlock(&mut level, &mut info.lock, want, &Fcntl(self.fd()));
        if info.lock.holders == 0 {
            // No lock of this process is left to lose: parked descriptors may close now.
            info.unused.clear();
        }
        result
    }

    pub(crate) fn check_reserved_lock(&self) -> Result<bool> {
        let table = inode_table();
        let info = table.get(&self.key).ok_or_else(|| Error::Internal("inode missing from the table".into()))?;
        lock::check_reserved(&info.lock, &Fcntl(self.fd()))
    }
}

impl Drop for UnixFile {
    fn drop(&mut self) {
        let mut level = acquire(&self.level);
        let mut table = inode_table();
        let Some(file) = self.file.take() else { return };
        let Some(info) = table.get_mut(&self.key) else { return };
        // Closing a database file releases its locks, as sqlite3_close does.
        let _ = lock::unlock(&mut level, &mut info.lock, LockLevel::None, &Fcntl(file.as_raw_fd()));
        info.refs = info.refs.saturating_sub(1);
        if info.lock.holders > 0 {
            info.unused.push(file);
        } else {
            info.unused.clear();
            drop(file);
        }
        if info.refs == 0 {
            table.remove(&self.key);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// How many descriptors are parked for `path`'s inode (test hook for the deferred close).
    pub(crate) fn parked_fds(path: &str) -> usize {
        let meta = std::fs::metadata(path).unwrap();
        inode_table().get(&(meta.dev(), meta.ino())).map_or(0, |info| info.unused.len())
    }

    #[test]
    fn closing_a_handle_parks_its_descriptor_while_another_holds_locks() {
        let dir = crate::io::contract_tests::TempDir::new("unix-lock-park");
        let path = dir.file("db");
        let a = UnixFile::open(&path, OpenOptions::default()).unwrap();
        let b = UnixFile::open(&path, OpenOptions::default()).unwrap();
        assert!(a.lock(LockLevel::Shared).unwrap());
        drop(b);
        assert_eq!(parked_fds(&path), 1);
        a.unlock(LockLevel::None).unwrap();
        assert_eq!(parked_fds(&path), 0);
        drop(a);
        let meta = std::fs::metadata(&path).unwrap();
        assert!(inode_table().get(&(meta.dev(), meta.ino())).is_none(), "the entry goes with the last handle");
    }
}
