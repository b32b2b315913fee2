//! SQLite's file-lock state machine, shared by every backend.
//!
//! SQLite builds its five lock levels out of POSIX byte-range locks on three regions of the database
//! file (see `limits::PENDING_BYTE`):
//!
//! | level     | byte-range locks held                                                    |
//! |-----------|--------------------------------------------------------------------------|
//! | Shared    | read lock on the shared range (taken under a temporary read lock on PENDING) |
//! | Reserved  | Shared + write lock on RESERVED_BYTE                                     |
//! | Pending   | Reserved + write lock on PENDING_BYTE (no new Shared locks can start)    |
//! | Exclusive | Pending + write lock on the whole shared range                           |
//!
//! POSIX locks belong to a process, not to a file descriptor, so two connections of one process
//! never conflict at the OS level. Like SQLite's `unixInodeInfo`, an [`InodeLock`] therefore records
//! what all connections of this process hold on one file, and [`lock`] / [`unlock`] refuse in-process
//! conflicts from that record before asking the OS about other processes. These functions are a
//! transcription of `unixLock` and `posixUnlock` from SQLite's `os_unix.c`; the OS side is the
//! [`OsLocks`] trait, which the in-memory and simulated backends implement as "always granted" (they
//! have no other processes), so the same code gives them SQLite's in-process compatibility rules.
//!
//! Invariants of an [`InodeLock`]:
//! - `level == None` exactly when `holders == 0`.
//! - At most one connection is above Shared, and then `level` is that connection's level.

use std::sync::{Mutex, MutexGuard};

use super::{codes, LockLevel};
use crate::error::{Error, Result};
use crate::limits::{PENDING_BYTE, RESERVED_BYTE, SHARED_FIRST, SHARED_SIZE};

/// Locks a mutex, ignoring poisoning: the state behind our mutexes stays consistent across a panic
/// (each update is a few plain assignments), and an I/O layer that panics on every later call would
/// turn one bug into many.
pub(crate) fn acquire<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The kind of a byte-range lock request (`F_RDLCK`, `F_WRLCK`, `F_UNLCK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeLock {
    Read,
    Write,
    Unlock,
}

/// The OS half of locking: byte-range locks visible to other processes.
pub(crate) trait OsLocks {
    /// Sets a byte-range lock on `len` bytes at `start` (`len == 0`: to the end of the file).
    /// `Ok(false)` when another process holds a conflicting lock.
    fn set(&self, kind: RangeLock, start: u64, len: u64) -> Result<bool>;
    /// Whether another process holds a lock on RESERVED_BYTE.
    fn reserved_elsewhere(&self) -> Result<bool>;
}

/// The OS half for backends that live in one process: every request is granted.
pub(crate) struct NoOsLocks;

impl OsLocks for NoOsLocks {
    fn set(&self, _kind: RangeLock, _start: u64, _len: u64) -> Result<bool> {
        Ok(true)
    }
    fn reserved_elsewhere(&self) -> Result<bool> {
        Ok(false)
    }
}

/// What the connections of this process hold on one file (SQLite's `unixInodeInfo` lock fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InodeLock {
    /// The strongest level any connection holds.
    pub level: LockLevel,
    /// How many connections hold Shared or stronger (SQLite's `nShared`, which equals `nLock`).
    pub holders: u32,
}

impl Default for InodeLock {
    fn default() -> Self {
        InodeLock { level: LockLevel::None, holders: 0 }
    }
}

/// One handle's lock level on a file that only this process can lock (the in-memory and
/// registered-handle backends): `File`'s lock calls over the file's shared `InodeLock`.
#[derive(Debug)]
pub(crate) struct LocalLock {
    level: Mutex<LockLevel>,
}

impl LocalLock {
    pub fn new() -> LocalLock {
        LocalLock { level: Mutex::new(LockLevel::None) }
    }

    pub fn lock(&self, inode: &Mutex<InodeLock>, want: LockLevel) -> Result<bool> {
        lock(&mut acquire(&self.level), &mut acquire(inode), want, &NoOsLocks)
    }

    pub fn unlock(&self, inode: &Mutex<InodeLock>, want: LockLevel) -> Result<()> {
        unlock(&mut acquire(&self.level), &mut acquire(inode), want, &NoOsLocks)
    }

    pub fn check_reserved(inode: &Mutex<InodeLock>) -> Result<bool> {
        check_reserved(&acquire(inode), &NoOsLocks)
    }

    /// Releases every lock, as closing a handle does.
    pub fn release(&self, inode: &Mutex<InodeLock>) {
        let _ = self.unlock(inode, LockLevel::None);
    }
}

fn unlock_failed(what: &str) -> Error {
    Error::io(codes::IOERR_UNLOCK, format!("could not release the {what} lock"))
}

/// Raises `file` (one connection's level) to `want`. `Ok(false)` means busy: another connection, in
/// this process or another, holds a conflicting lock. After a busy Exclusive request that got as far
/// as the PENDING byte the connection holds Pending, as in SQLite, and may retry later.
pub(crate) fn lock(file: &mut LockLevel, inode: &mut InodeLock, want: LockLevel, os: &dyn OsLocks) -> Result<bool> {
    if *file >= want {
        return Ok(true);
    }
    // SQLite's sequence: None only moves to Shared; Reserved and Pending need Shared first.
    if *file == LockLevel::None && want != LockLevel::Shared {
        return Err(Error::Internal(format!("lock: {want:?} requested without a Shared lock")));
    }

    // Another connection of this process holds a lock that precludes ours.
    if *file != inode.level && (inode.level >= LockLevel::Pending || want > LockLevel::Shared) {
        return Ok(false);
    }

    // Shared while this process already holds Shared or Reserved: share the OS lock.
    if want == LockLevel::Shared && matches!(inode.level, LockLevel::Shared | LockLevel::Reserved) {
        *file = LockLevel::Shared;
        inode.holders += 1;
        return Ok(true);
    }

    if want == LockLevel::Shared {
        debug_assert_eq!(inode.holders, 0);
        // A read lock on PENDING fails while a writer holds Pending, which is how a writer waiting
        // for readers to drain keeps new readers out.
        if !os.set(RangeLock::Read, PENDING_BYTE, 1)? {
            return Ok(false);
        }
        let got = os.set(RangeLock::Read, SHARED_FIRST, SHARED_SIZE);
        let released = os.set(RangeLock::Unlock, PENDING_BYTE, 1);
        match (got, released) {
            (Ok(true), Ok(true)) => {}
            (Ok(false), Ok(true)) => return Ok(false),
            (Err(e), _) => return Err(e),
            (Ok(granted), _) => {
                // We hold a stray PENDING read lock; drop whatever we got rather than keep locks
                // the bookkeeping does not know about.
                if granted {
                    let _ = os.set(RangeLock::Unlock, SHARED_FIRST, SHARED_SIZE);
                }
                return Err(unlock_failed("temporary PENDING"));
            }
        }
        *file = LockLevel::Shared;
        inode.level = LockLevel::Shared;
        inode.holders = 1;
        return Ok(true);
    }

    // A writer moving from Reserved to Exclusive (or asking for Pending explicitly) first takes
    // PENDING, so that no new reader starts while it waits for the current ones to finish.
    if want == LockLevel::Pending || (want == LockLevel::Exclusive && *file == LockLevel::Reserved) {
        if !os.set(RangeLock::Write, PENDING_BYTE, 1)? {
            return Ok(false);
        }
        *file = LockLevel::Pending;
        inode.level = LockLevel::Pending;
        if want == LockLevel::Pending {
            return Ok(true);
        }
    }

    // Another connection of this process still reads: its OS lock is ours too, so only the count
    // can tell.
    if want == LockLevel::Exclusive && inode.holders > 1 {
        return Ok(false);
    }

    let (start, len) = match want {
        LockLevel::Reserved => (RESERVED_BYTE, 1),
        _ => (SHARED_FIRST, SHARED_SIZE),
    };
    if !os.set(RangeLock::Write, start, len)? {
        return Ok(false);
    }
    *file = want;
    inode.level = want;
    Ok(true)
}

/// Lowers `file` to `want` (Shared or None), as SQLite's `posixUnlock`.
pub(crate) fn unlock(file: &mut LockLevel, inode: &mut InodeLock, want: LockLevel, os: &dyn OsLocks) -> Result<()> {
    if want > LockLevel::Shared {
        return Err(Error::Internal(format!("unlock: cannot lower a lock to {want:?}")));
    }
    if *file <= want {
        return Ok(());
    }
    if *file > LockLevel::Shared {
        debug_assert_eq!(inode.level, *file);
        if want == LockLevel::Shared {
            // Turning the write lock on the shared range back into a read lock is atomic in POSIX;
            // failing means another process broke the protocol.
            if !os.set(RangeLock::Read, SHARED_FIRST, SHARED_SIZE)? {
                return Err(Error::io(codes::IOERR_RDLOCK, "could not downgrade to a shared lock"));
            }
        }
        // PENDING_BYTE and RESERVED_BYTE are adjacent: release both at once.
        if !os.set(RangeLock::Unlock, PENDING_BYTE, 2)? {
            return Err(unlock_failed("PENDING and RESERVED"));
        }
        inode.level = LockLevel::Shared;
    }
    if want == LockLevel::None {
        inode.holders = inode.holders.saturating_sub(1);
        if inode.holders == 0 {
            // The last reader of this process: only now may the OS lock go, since it is shared by
            // every connection of the process.
            let released = os.set(RangeLock::Unlock, 0, 0);
            inode.level = LockLevel::None;
            *file = LockLevel::None;
            if !released? {
                return Err(unlock_failed("shared"));
            }
        }
    }
    *file = want;
    Ok(())
}

/// Whether any connection, in this process or another, holds Reserved or stronger.
pub(crate) fn check_reserved(inode: &InodeLock, os: &dyn OsLocks) -> Result<bool> {
    if inode.level > LockLevel::Shared {
        return Ok(true);
    }
    os.reserved_elsewhere()
}

#[cfg(test)]
mod tests {
    use super::*;
    use LockLevel::*;

    /// Two connections of one process on one file, with no other process.
    struct Pair {
        a: LockLevel,
        b: LockLevel,
        inode: InodeLock,
    }

    impl Pair {
        fn new() -> Pair {
            Pair { a: None, b: None, inode: InodeLock::default() }
        }
        fn lock_a(&mut self, want: LockLevel) -> bool {
            lock(&mut self.a, &mut self.inode, want, &NoOsLocks).unwrap()
        }
        fn lock_b(&mut self, want: LockLevel) -> bool {
            lock(&mut self.b, &mut self.inode, want, &NoOsLocks).unwrap()
        }
        fn unlock_a(&mut self, want: LockLevel) {
            unlock(&mut self.a, &mut self.inode, want, &NoOsLocks).unwrap()
        }
        fn unlock_b(&mut self, want: LockLevel) {
            unlock(&mut self.b, &mut self.inode, want, &NoOsLocks).unwrap()
        }
    }

    #[test]
    fn shared_locks_share_and_one_reserved_coexists() {
        let mut p = Pair::new();
        assert!(p.lock_a(Shared));
        assert!(p.lock_b(Shared));
        assert!(p.lock_a(Reserved));
        assert!(!p.lock_b(Reserved), "only one Reserved at a time");
        assert!(check_reserved(&p.inode, &NoOsLocks).unwrap());
        p.unlock_b(None);
        assert!(p.lock_b(Shared), "Shared is compatible with Reserved");
        assert_eq!(p.inode.holders, 2);
    }

    #[test]
    fn pending_blocks_new_readers_and_exclusive_waits_for_old_ones() {
        let mut p = Pair::new();
        assert!(p.lock_a(Shared));
        assert!(p.lock_b(Shared));
        assert!(p.lock_a(Reserved));
        assert!(!p.lock_a(Exclusive), "b still reads");
        assert_eq!(p.a, Pending, "a busy Exclusive request leaves Pending held");
        p.unlock_b(None);
        assert!(!p.lock_b(Shared), "Pending keeps new readers out");
        assert!(p.lock_a(Exclusive));
        assert!(!p.lock_b(Shared));
        p.unlock_a(Shared);
        assert_eq!(p.inode.level, Shared);
        assert!(!check_reserved(&p.inode, &NoOsLocks).unwrap());
        assert!(p.lock_b(Shared));
        p.unlock_a(None);
        p.unlock_b(None);
        assert_eq!(p.inode, InodeLock::default());
    }

    #[test]
    fn sequence_errors_are_reported_not_panicked() {
        let mut p = Pair::new();
        assert!(lock(&mut p.a, &mut p.inode, Reserved, &NoOsLocks).is_err());
        assert!(unlock(&mut p.a, &mut p.inode, Reserved, &NoOsLocks).is_err());
        // Unlocking what is not held is a no-op.
        p.unlock_a(None);
        assert_eq!(p.inode, InodeLock::default());
    }

    #[test]
    fn explicit_pending_then_exclusive() {
        let mut p = Pair::new();
        assert!(p.lock_a(Shared));
        assert!(p.lock_a(Reserved));
        assert!(p.lock_a(Pending));
        assert!(p.lock_a(Exclusive));
        p.unlock_a(None);
        assert_eq!(p.inode, InodeLock::default());
    }
}
