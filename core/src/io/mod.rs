//! The I/O layer: the only module that touches the operating system's files.
//!
//! The model is completion-based. A request (read, write, sync, truncate) is *submitted* and returns
//! a [`Completion`] at once; the request finishes later, when the backend processes it, and the
//! caller either polls [`Completion::is_done`] or drives the backend with [`Io::run_once`] until it
//! is. A synchronous backend may finish a request before returning it; callers must not rely on
//! either behaviour. [`wait`] is the blocking bridge: it drives the backend until one completion is done.
//!
//! Architecture invariant: nothing outside `io/` names `std::fs`, `libc` file calls or `io_uring`.
//!
//! Contracts every backend keeps:
//! - A read of `len` bytes at `offset` completes with a buffer of exactly `len` bytes; bytes past the
//!   end of the file are zero, and [`Completion::bytes`] tells how many were really read (a short read).
//! - A write completes only once all its bytes were handed to the OS (or to the backend's store).
//! - `sync` completes once every write that *completed* before it was submitted is durable.
//!   Writes that have not completed when a sync is submitted are not covered by it.
//! - Requests on one file may complete in any order; a caller that needs ordering (write, then
//!   sync) waits for the first before submitting the second.
//! - Lock calls are synchronous and follow SQLite's POSIX locking protocol (see [`LockLevel`]), so
//!   that Brisk and stock SQLite can share one rollback-journal database file.
//!
//! Code map ([`open_io`] picks a backend from an [`IoKind`]):
//! - `uring.rs` — [`UringIo`] (Linux): io_uring, batched submission, completes in `run_once`.
//! - `sync.rs` — [`SyncIo`]: blocking `pread`/`pwrite`, completes at submission.
//! - `memory.rs` — [`MemoryIo`]: named byte vectors, completes at submission.
//! - `handles.rs` — [`HandleIo`]: synchronous handles the embedder opened and registered by path
//!   (the browser's OPFS access handles, opened asynchronously before the database), completes at
//!   submission.
//! - `simulated.rs` — [`SimIo`]: seeded simulated disk with volatile/durable images, power loss and
//!   injected failures, completes one request per `run_once`; for crash tests.
//! - `lock.rs` — SQLite's lock state machine (`unixLock`/`posixUnlock`) shared by every backend;
//!   `unix_lock.rs` — its `fcntl` half and the per-process inode table, for `SyncIo` and `UringIo`.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

pub mod handles;
mod lock;
pub mod memory;
pub mod simulated;
pub mod sync;
#[cfg(unix)]
mod unix_lock;
#[cfg(target_os = "linux")]
pub mod uring;

#[cfg(test)]
mod contract_tests;
#[cfg(all(test, unix))]
mod interop_tests;

pub use handles::{HandleIo, SyncHandle};
pub use memory::MemoryIo;
pub use simulated::{SimIo, SimOp};
pub use sync::SyncIo;
#[cfg(target_os = "linux")]
pub use uring::UringIo;

/// Extended I/O result codes (`SQLITE_IOERR_*`, numbered as in `sqlite3.h`) the backends report.
pub mod codes {
    pub use crate::error::extended::{
        IOERR_DELETE, IOERR_FSYNC, IOERR_LOCK, IOERR_READ, IOERR_SHORT_READ, IOERR_TRUNCATE, IOERR_WRITE,
    };
    /// Plain `SQLITE_IOERR`.
    pub const IOERR: i32 = 10;
    pub const IOERR_DIR_FSYNC: i32 = 10 | (5 << 8);
    pub const IOERR_FSTAT: i32 = 10 | (7 << 8);
    pub const IOERR_UNLOCK: i32 = 10 | (8 << 8);
    pub const IOERR_RDLOCK: i32 = 10 | (9 << 8);
    pub const IOERR_ACCESS: i32 = 10 | (13 << 8);
    pub const IOERR_CHECKRESERVEDLOCK: i32 = 10 | (14 << 8);
}

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Create the file when it is missing.
    pub create: bool,
    /// Open read-only.
    pub read_only: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { create: true, read_only: false }
    }
}

/// SQLite's file lock levels (`SQLITE_LOCK_*`), in increasing strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockLevel {
    None = 0,
    Shared = 1,
    Reserved = 2,
    Pending = 3,
    Exclusive = 4,
}

/// One open file. Every method takes `&self`: a file is shared by the pager and by requests in flight.
pub trait File: Send + Sync {
    /// Submits a read of `len` bytes at `offset`.
    fn pread(&self, offset: u64, len: usize) -> Result<Completion>;
    /// Submits a write of `data` at `offset`. The buffer is owned by the request until it completes.
    fn pwrite(&self, offset: u64, data: Vec<u8>) -> Result<Completion>;
    /// Submits a sync (fsync or fdatasync) of everything written and completed so far.
    fn sync(&self) -> Result<Completion>;
    /// Submits a truncation (or extension with zeros) to `len` bytes.
    fn truncate(&self, len: u64) -> Result<Completion>;
    /// The current size of the file in bytes. Synchronous.
    fn size(&self) -> Result<u64>;
    /// Raises the lock to `level`, SQLite-style (Shared, Reserved, Pending then Exclusive). Returns
    /// `Ok(false)` when another process holds a conflicting lock (the caller reports SQLITE_BUSY).
    fn lock(&self, level: LockLevel) -> Result<bool>;
    /// Lowers the lock to `level` (Shared or None).
    fn unlock(&self, level: LockLevel) -> Result<()>;
    /// Whether any process holds a Reserved or stronger lock (used for hot-journal detection).
    fn check_reserved_lock(&self) -> Result<bool>;
}

/// An I/O backend: opens files and drives their requests.
pub trait Io: Send + Sync {
    /// Opens (or creates) a file.
    fn open(&self, path: &str, options: OpenOptions) -> Result<Arc<dyn File>>;
    /// Deletes a file; deleting a missing file is not an error.
    fn delete(&self, path: &str) -> Result<()>;
    /// Whether a file exists.
    fn exists(&self, path: &str) -> Result<bool>;
    /// Processes submitted requests. Blocks until at least one request completes when any is in
    /// flight; returns at once when none is.
    fn run_once(&self) -> Result<()>;
    /// The backend's name as `brisk --io` spells it: "uring", "sync", "memory" or "simulated"
    /// ("handles" for [`HandleIo`], which the shell does not offer).
    fn name(&self) -> &'static str;
    /// Whether a sync of one file also makes its directory entry durable is the backend's concern;
    /// this syncs the directory holding `path` (after creating or deleting a journal). Default: no-op.
    fn sync_dir(&self, _path: &str) -> Result<()> {
        Ok(())
    }
}

/// The outcome of a finished request: the number of bytes moved (reads and writes) or 0.
pub type IoResult = std::result::Result<usize, Error>;

#[derive(Debug, Default)]
struct CompletionState {
    result: Option<IoResult>,
    buf: Option<Vec<u8>>,
}

/// A handle to one request. Cloning it shares the request. The backend calls [`Completion::complete`]
/// exactly once; the submitter reads the outcome.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    state: Arc<Mutex<CompletionState>>,
}

impl Completion {
    pub fn new() -> Completion {
        Completion::default()
    }

    /// A request already finished, for backends that complete at submission.
    pub fn done(result: IoResult, buf: Option<Vec<u8>>) -> Completion {
        let c = Completion::new();
        c.complete(result, buf);
        c
    }

    /// Called by the backend when the request finishes. For reads, `buf` is the buffer, always of
    /// the requested length.
    pub fn complete(&self, result: IoResult, buf: Option<Vec<u8>>) {
        let mut state = self.state.lock().expect("completion lock poisoned");
        assert!(state.result.is_none(), "a completion completes once");
        state.result = Some(result);
        state.buf = buf;
    }

    pub fn is_done(&self) -> bool {
        self.state.lock().expect("completion lock poisoned").result.is_some()
    }

    /// The outcome; `None` while the request is in flight.
    pub fn result(&self) -> Option<IoResult> {
        self.state.lock().expect("completion lock poisoned").result.clone()
    }

    /// Bytes moved by a finished request, or the request's error.
    pub fn bytes(&self) -> Result<usize> {
        match self.result() {
            Some(r) => r,
            None => Err(Error::Internal("completion polled before it finished".into())),
        }
    }

    /// Takes the buffer of a finished read (once).
    pub fn take_buf(&self) -> Option<Vec<u8>> {
        self.state.lock().expect("completion lock poisoned").buf.take()
    }
}

/// Drives `io` until `c` is done and returns its outcome. The blocking bridge over the async model.
pub fn wait(io: &dyn Io, c: &Completion) -> Result<usize> {
    // Bounded: every backend completes a request in a finite number of run_once calls, and a stuck
    // backend is a bug we would rather see as an error than as a hang.
    for _ in 0..100_000_000u64 {
        if let Some(r) = c.result() {
            return r;
        }
        io.run_once()?;
    }
    Err(Error::Internal("I/O request never completed".into()))
}

/// Reads `len` bytes at `offset`, blocking. Returns the buffer and how many bytes were really read.
pub fn read_blocking(io: &dyn Io, file: &dyn File, offset: u64, len: usize) -> Result<(Vec<u8>, usize)> {
    let c = file.pread(offset, len)?;
    let n = wait(io, &c)?;
    let buf = c.take_buf().ok_or_else(|| Error::Internal("read completed without a buffer".into()))?;
    Ok((buf, n))
}

/// Writes `data` at `offset`, blocking.
pub fn write_blocking(io: &dyn Io, file: &dyn File, offset: u64, data: Vec<u8>) -> Result<()> {
    let c = file.pwrite(offset, data)?;
    wait(io, &c).map(|_| ())
}

/// Syncs `file`, blocking.
pub fn sync_blocking(io: &dyn Io, file: &dyn File) -> Result<()> {
    let c = file.sync()?;
    wait(io, &c).map(|_| ())
}

/// Truncates `file` to `len`, blocking.
pub fn truncate_blocking(io: &dyn Io, file: &dyn File, len: u64) -> Result<()> {
    let c = file.truncate(len)?;
    wait(io, &c).map(|_| ())
}

/// Which backend to open a database with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoKind {
    /// io_uring on Linux (falls back to `Sync` when the kernel refuses it), `Sync` elsewhere.
    Default,
    Uring,
    Sync,
    Memory,
}

impl IoKind {
    /// The backend named as `brisk --io` spells it: "uring", "sync", "memory" (or "default").
    pub fn from_name(name: &str) -> Option<IoKind> {
        match name {
            "default" => Some(IoKind::Default),
            "uring" => Some(IoKind::Uring),
            "sync" => Some(IoKind::Sync),
            "memory" => Some(IoKind::Memory),
            _ => None,
        }
    }
}

/// Opens a backend. `Default` and `Uring` use io_uring on Linux and fall back to `SyncIo` when the
/// kernel refuses it, saying so once per process on stderr; `Memory` is a fresh, empty `MemoryIo`.
pub fn open_io(kind: IoKind) -> Result<Arc<dyn Io>> {
    match kind {
        IoKind::Sync => Ok(Arc::new(SyncIo::new())),
        IoKind::Memory => Ok(Arc::new(MemoryIo::new())),
        IoKind::Default | IoKind::Uring => Ok(uring_or_sync(kind)),
    }
}

#[cfg(target_os = "linux")]
fn uring_or_sync(_kind: IoKind) -> Arc<dyn Io> {
    match UringIo::new() {
        Ok(io) => Arc::new(io),
        Err(e) => {
            let reason = match &e {
                Error::Io { detail, .. } => detail.clone(),
                other => other.to_string(),
            };
            warn_sync_fallback(&reason);
            Arc::new(SyncIo::new())
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn uring_or_sync(kind: IoKind) -> Arc<dyn Io> {
    // Elsewhere `Default` means `Sync`; only an explicit request for io_uring deserves a word.
    if kind == IoKind::Uring {
        warn_sync_fallback("not available on this platform");
    }
    Arc::new(SyncIo::new())
}

/// Tells the user, once per process, that io_uring was asked for but the sync backend is in use.
fn warn_sync_fallback(reason: &str) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| eprintln!("brisk: io_uring unavailable ({reason}), using the sync backend"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_kind_names() {
        assert_eq!(IoKind::from_name("uring"), Some(IoKind::Uring));
        assert_eq!(IoKind::from_name("sync"), Some(IoKind::Sync));
        assert_eq!(IoKind::from_name("memory"), Some(IoKind::Memory));
        assert_eq!(IoKind::from_name("default"), Some(IoKind::Default));
        assert_eq!(IoKind::from_name("mmap"), None);
    }

    #[test]
    fn open_io_gives_the_named_backend() {
        assert_eq!(open_io(IoKind::Sync).unwrap().name(), "sync");
        assert_eq!(open_io(IoKind::Memory).unwrap().name(), "memory");
        for kind in [IoKind::Default, IoKind::Uring] {
            let name = open_io(kind).unwrap().name();
            let expected = if cfg!(target_os = "linux") && uring_available() { "uring" } else { "sync" };
            assert_eq!(name, expected, "{kind:?}");
        }
        // Memory backends are fresh each time.
        let a = open_io(IoKind::Memory).unwrap();
        drop(a.open("x", OpenOptions::default()).unwrap());
        assert!(!open_io(IoKind::Memory).unwrap().exists("x").unwrap());
    }

    fn uring_available() -> bool {
        #[cfg(target_os = "linux")]
        return UringIo::new().is_ok();
        #[cfg(not(target_os = "linux"))]
        return false;
    }
}
