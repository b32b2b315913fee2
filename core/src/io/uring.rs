//! `UringIo`: the Linux backend, with reads, writes and syncs submitted through io_uring.
//!
//! Owns one ring and the table (slab) of requests the kernel is working on. A request is pushed
//! to the submission queue when the caller submits it; the queue goes to the kernel in one batch
//! per [`Io::run_once`] (or earlier, when it fills up). `run_once` then waits for at least one
//! completion, and finishes every completion the kernel has posted.
//!
//! Memory safety rests on one invariant: **a request's buffer and file stay alive and unmoved from
//! the moment its SQE is pushed until its CQE is reaped.** Each in-flight entry owns its buffer (a
//! `Vec`, whose heap block never moves while the entry is in the slab, even if the slab grows) and
//! an `Arc` of its file (so the descriptor stays open); entries leave the slab only when their CQE
//! has been processed. Dropping the backend first waits for the kernel to finish every request,
//! and leaks the buffers if it cannot.
//!
//! Partial transfers: a read that returns fewer bytes than asked is followed by a read of the
//! rest, and only a read of 0 bytes (the end of the file) leaves the tail zero-filled; a short
//! write is resubmitted for its remainder. Truncation has no io_uring opcode on older kernels, so
//! it is an `ftruncate` done at submission. Locks are the POSIX locks of `unix_lock.rs`, exactly as
//! in `SyncIo`, so both backends and stock SQLite can share a database.
//!
//! Bound on the completion queue: the number of requests the kernel owns never exceeds the CQ size
//! (a new request first waits for a completion), so completions are never dropped or overflowed.
//!
//! The ring is behind a mutex (`Io` is `Send + Sync`); `run_once` holds it while it waits, so one
//! thread driving the ring blocks other threads' submissions for that time.

use std::sync::{Arc, Mutex};

use io_uring::{opcode, types, IoUring, Probe};

use super::lock::acquire;
use super::sync::{delete_file, file_exists, sync_parent_dir};
use super::unix_lock::{os_error, UnixFile};
use super::{codes, Completion, File, Io, IoResult, LockLevel, OpenOptions};
use crate::error::{Error, Result};

/// Submission queue entries; the completion queue gets twice as many.
const RING_ENTRIES: u32 = 256;
/// The most one SQE moves: lengths are `u32`, and Linux moves at most 0x7ffff000 bytes per call.
const MAX_SQE_BYTES: usize = 1 << 30;
/// How often an interrupted (EINTR/EAGAIN) request or ring call is retried before it is reported.
const RETRIES: u32 = 100;

fn ring_error(what: &str, err: &std::io::Error) -> Error {
    Error::io(codes::IOERR, format!("io_uring {what}: {err}"))
}

fn is_transient(errno: i32) -> bool {
    errno == libc::EINTR || errno == libc::EAGAIN
}

/// What an in-flight request is doing.
enum OpKind {
    /// Reading `buf.len()` bytes at `offset`; `done` of them have arrived. `buf` starts zeroed.
    Read {
        buf: Vec<u8>,
        offset: u64,
        done: usize,
    },
    /// Writing `data` at `offset`; `done` bytes are written.
    Write {
        data: Vec<u8>,
        offset: u64,
        done: usize,
    },
    Sync,
}

/// One in-flight request: owns everything the kernel may touch.
struct Op {
    file: Arc<UnixFile>,
    kind: OpKind,
    completion: Completion,
    retries: u32,
}

/// What to do with a request after one of its CQEs.
enum Next {
    Resubmit,
    Complete(IoResult),
}

struct RingState {
    ring: IoUring,
    /// The slab of in-flight requests; a slot's index is its SQEs' `user_data`.
    slots: Vec<Option<Op>>,
    free: Vec<usize>,
    /// Occupied slots.
    live: usize,
    /// CQEs reaped from the ring but not processed yet, as (user_data, result).
    ready: Vec<(u64, i32)>,
    cq_capacity: usize,
    /// The most one SQE moves; below `MAX_SQE_BYTES` only in tests, to force partial transfers.
    max_sqe_bytes: usize,
}

impl RingState {
    /// Requests the kernel owns (pushed, and not reaped yet).
    fn kernel_owned(&self) -> usize {
        self.live - self.ready.len()
    }

    /// Moves every posted CQE to `ready`.
    fn reap(&mut self) {
        for cqe in self.ring.completion() {
            self.ready.push((cqe.user_data(), cqe.result()));
        }
    }

    /// Hands queued SQEs to the kernel without waiting.
    fn submit(&mut self) -> Result<()> {
        let mut last = None;
        for _ in 0..RETRIES {
            match self.ring.submit() {
                Ok(_) => return Ok(()),
                Err(e) if e.raw_os_error().is_some_and(|n| is_transient(n) || n == libc::EBUSY) => {
                    // EBUSY: the kernel wants the CQ emptied first.
                    self.reap();
                    last = Some(e);
                }
                Err(e) => return Err(ring_error("submit", &e)),
            }
        }
        Err(ring_error("submit", &last.unwrap_or_else(|| std::io::Error::from_raw_os_error(libc::EAGAIN))))
    }

    /// Submits queued SQEs and waits until at least one CQE is posted (or a signal interrupts).
    fn submit_and_wait(&mut self) -> Result<()> {
        match self.ring.submit_and_wait(1) {
            Ok(_) => {}
            Err(e) if e.raw_os_error().is_some_and(|n| is_transient(n) || n == libc::EBUSY) => {}
            Err(e) => return Err(ring_error("submit_and_wait", &e)),
        }
        self.reap();
        Ok(())
    }

    /// Pushes the SQE for the (remaining part of the) request in slot `key`.
    fn push(&mut self, key: usize) -> Result<()> {
        let max = self.max_sqe_bytes;
        let Some(op) = self.slots.get_mut(key).and_then(Option::as_mut) else {
            return Err(Error::Internal(format!("io_uring: no request in slot {key}")));
        };
        let fd = types::Fd(op.file.fd());
        let entry = match &mut op.kind {
            OpKind::Read { buf, offset, done } => {
                let rest = &mut buf[*done..];
                let len = rest.len().min(max) as u32;
                opcode::Read::new(fd, rest.as_mut_ptr(), len).offset(*offset + *done as u64).build()
            }
            OpKind::Write { data, offset, done } => {
                let rest = &data[*done..];
                let len = rest.len().min(max) as u32;
                opcode::Write::new(fd, rest.as_ptr(), len).offset(*offset + *done as u64).build()
            }
            OpKind::Sync => opcode::Fsync::new(fd).build(),
        }
        .user_data(key as u64);
        for _ in 0..2 {
            // SAFETY: the SQE points into the buffer owned by slot `key` and names the descriptor of
            // the `UnixFile` the slot holds an `Arc` of. The slot is emptied only after this SQE's
            // CQE is reaped (`process`), the `Vec`'s heap block does not move while it sits in the
            // slot, and `Drop` waits for every CQE before freeing the slab (module invariant).
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                return Ok(());
            }
            // The submission queue is full: hand it to the kernel and try again.
            self.submit()?;
        }
        Err(Error::io(codes::IOERR, "io_uring submission queue stays full"))
    }

    /// Starts a new request.
    fn start(&mut self, op: Op) -> Result<Completion> {
        // Keep the kernel's share within the CQ so completions can never overflow it.
        for _ in 0..RETRIES {
            if self.kernel_owned() < self.cq_capacity {
                break;
            }
            self.submit_and_wait()?;
        }
        if self.kernel_owned() >= self.cq_capacity {
            return Err(Error::io(codes::IOERR, "io_uring completion queue stays full"));
        }
        let completion = op.completion.clone();
        let key = match self.free.pop() {
            Some(key) => {
                self.slots[key] = Some(op);
                key
            }
            None => {
                self.slots.push(Some(op));
                self.slots.len() - 1
            }
        };
        self.live += 1;
        if let Err(e) = self.push(key) {
            // Never pushed: the kernel does not know it, so the slot can go.
            self.remove(key);
            return Err(e);
        }
        Ok(completion)
    }

    fn remove(&mut self, key: usize) -> Option<Op> {
        let op = self.slots.get_mut(key)?.take()?;
        self.free.push(key);
        self.live -= 1;
        Some(op)
    }

    /// Handles one CQE: completes its request, or resubmits the rest of a partial transfer.
    fn process(&mut self, user_data: u64, res: i32) {
        let key = user_data as usize;
        let Some(op) = self.slots.get_mut(key).and_then(Option::as_mut) else { return };
        let next = if res < 0 {
            let err = std::io::Error::from_raw_os_error(-res);
            if is_transient(-res) && op.retries < RETRIES {
                op.retries += 1;
                Next::Resubmit
            } else {
                let (code, what) = match op.kind {
                    OpKind::Read { .. } => (codes::IOERR_READ, "read"),
                    OpKind::Write { .. } => (codes::IOERR_WRITE, "write"),
                    OpKind::Sync => (codes::IOERR_FSYNC, "fsync"),
                };
                Next::Complete(Err(os_error(code, what, &err)))
            }
        } else {
            let n = res as usize;
            match &mut op.kind {
                // 0 bytes: the end of the file; the rest of the buffer stays zero.
                OpKind::Read { done, .. } if n == 0 => Next::Complete(Ok(*done)),
                OpKind::Read { buf, done, .. } => {
                    *done += n;
                    if *done < buf.len() {
                        Next::Resubmit
                    } else {
                        Next::Complete(Ok(*done))
                    }
                }
                // A write that makes no progress will not make any: report it as SQLite does.
                OpKind::Write { .. } if n == 0 => Next::Complete(Err(Error::Full)),
                OpKind::Write { data, done, .. } => {
                    *done += n;
                    if *done < data.len() {
                        Next::Resubmit
                    } else {
                        Next::Complete(Ok(data.len()))
                    }
                }
                OpKind::Sync => Next::Complete(Ok(0)),
            }
        };
        let result = match next {
            Next::Resubmit => match self.push(key) {
                Ok(()) => return,
                Err(e) => Err(e),
            },
            Next::Complete(result) => result,
        };
        if let Some(op) = self.remove(key) {
            let buf = match (op.kind, &result) {
                (OpKind::Read { buf, .. }, Ok(_)) => Some(buf),
                _ => None,
            };
            op.completion.complete(result, buf);
        }
    }

    fn run_once(&mut self) -> Result<()> {
        if self.live == 0 {
            return Ok(());
        }
        if self.ready.is_empty() {
            self.submit_and_wait()?;
        } else {
            self.submit()?;
            self.reap();
        }
        // Only what was posted so far: resubmissions complete in a later call.
        for (user_data, res) in std::mem::take(&mut self.ready) {
            self.process(user_data, res);
        }
        Ok(())
    }
}

impl Drop for RingState {
    fn drop(&mut self) {
        // The kernel may still write into buffers of requests in flight: wait for all of them.
        // Bounded: each round reaps at least one completion unless the ring fails.
        for _ in 0..1_000_000 {
            if self.live == 0 {
                return;
            }
            if self.run_once().is_err() {
                break;
            }
        }
        if self.live > 0 {
            // Cannot confirm the kernel is done with these buffers: leak them rather than let it
            // write into freed memory.
            std::mem::forget(std::mem::take(&mut self.slots));
        }
    }
}

type Ring = Arc<Mutex<RingState>>;

/// The io_uring backend.
pub struct UringIo {
    ring: Ring,
}

impl UringIo {
    /// Sets up a ring. Fails when the kernel refuses io_uring (too old, disabled, or forbidden by
    /// a seccomp policy) or lacks the read, write or fsync opcodes.
    pub fn new() -> Result<UringIo> {
        UringIo::with_max_sqe_bytes(MAX_SQE_BYTES)
    }

    fn with_max_sqe_bytes(max_sqe_bytes: usize) -> Result<UringIo> {
        let ring = IoUring::new(RING_ENTRIES).map_err(|e| ring_error("setup", &e))?;
        let mut probe = Probe::new();
        ring.submitter().register_probe(&mut probe).map_err(|e| ring_error("probe", &e))?;
        for (code, name) in
            [(opcode::Read::CODE, "READ"), (opcode::Write::CODE, "WRITE"), (opcode::Fsync::CODE, "FSYNC")]
        {
            if !probe.is_supported(code) {
                return Err(Error::io(codes::IOERR, format!("io_uring: the kernel lacks IORING_OP_{name}")));
            }
        }
        let cq_capacity = ring.params().cq_entries() as usize;
        Ok(UringIo {
            ring: Arc::new(Mutex::new(RingState {
                ring,
                slots: Vec::new(),
                free: Vec::new(),
                live: 0,
                ready: Vec::new(),
                cq_capacity,
                max_sqe_bytes,
            })),
        })
    }
}

impl Io for UringIo {
    fn open(&self, path: &str, options: OpenOptions) -> Result<Arc<dyn File>> {
        Ok(Arc::new(UringFile { ring: self.ring.clone(), file: Arc::new(UnixFile::open(path, options)?) }))
    }

    fn delete(&self, path: &str) -> Result<()> {
        delete_file(path)
    }

    fn exists(&self, path: &str) -> Result<bool> {
        file_exists(path)
    }

    fn run_once(&self) -> Result<()> {
        acquire(&self.ring).run_once()
    }

    fn name(&self) -> &'static str {
        "uring"
    }

    fn sync_dir(&self, path: &str) -> Result<()> {
        sync_parent_dir(path)
    }
}

/// One open file of `UringIo`.
struct UringFile {
    ring: Ring,
    /// Shared with the requests in flight, which keep the descriptor open.
    file: Arc<UnixFile>,
}

impl UringFile {
    fn start(&self, kind: OpKind) -> Result<Completion> {
        let op = Op { file: self.file.clone(), kind, completion: Completion::new(), retries: 0 };
        acquire(&self.ring).start(op)
    }
}

impl File for UringFile {
    fn pread(&self, offset: u64, len: usize) -> Result<Completion> {
        if len == 0 {
            return Ok(Completion::done(Ok(0), Some(Vec::new())));
        }
        offset.checked_add(len as u64).ok_or_else(|| Error::io(codes::IOERR_READ, "offset overflow"))?;
        self.start(OpKind::Read { buf: vec![0u8; len], offset, done: 0 })
    }

    fn pwrite(&self, offset: u64, data: Vec<u8>) -> Result<Completion> {
        if self.file.read_only() {
            return Err(Error::ReadOnly);
        }
        if data.is_empty() {
            return Ok(Completion::done(Ok(0), None));
        }
        offset.checked_add(data.len() as u64).ok_or(Error::Full)?;
        self.start(OpKind::Write { data, offset, done: 0 })
    }

    fn sync(&self) -> Result<Completion> {
        self.start(OpKind::Sync)
    }

    fn truncate(&self, len: u64) -> Result<Completion> {
        if self.file.read_only() {
            return Err(Error::ReadOnly);
        }
        // IORING_OP_FTRUNCATE only exists since Linux 6.9: truncate synchronously.
        let result = self.file.set_len(len).map(|()| 0).map_err(|e| os_error(codes::IOERR_TRUNCATE, "ftruncate", &e));
        Ok(Completion::done(result, None))
    }

    fn size(&self) -> Result<u64> {
        self.file.size()
    }

    fn lock(&self, level: LockLevel) -> Result<bool> {
        self.file.lock(level)
    }

    fn unlock(&self, level: LockLevel) -> Result<()> {
        self.file.unlock(level)
    }

    fn check_reserved_lock(&self) -> Result<bool> {
        self.file.check_reserved_lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::contract_tests::{self, pattern, TempDir};
    use crate::io::{read_blocking, wait, write_blocking};

    /// The ring, or `None` (with the reason printed) where the kernel refuses io_uring.
    fn uring(max_sqe_bytes: usize) -> Option<UringIo> {
        match UringIo::with_max_sqe_bytes(max_sqe_bytes) {
            Ok(io) => Some(io),
            Err(e) => {
                println!("skipping: io_uring unavailable: {e:?}");
                None
            }
        }
    }

    #[test]
    fn file_contract() {
        let Some(io) = uring(MAX_SQE_BYTES) else { return };
        let dir = TempDir::new("uring-contract");
        contract_tests::check_file_contract(&io, dir.path());
    }

    #[test]
    fn file_contract_with_partial_transfers() {
        // 100-byte SQEs: every page-sized read and write needs many follow-ups.
        let Some(io) = uring(100) else { return };
        let dir = TempDir::new("uring-partial");
        contract_tests::check_file_contract(&io, dir.path());
    }

    #[test]
    fn lock_compatibility_between_handles() {
        let Some(io) = uring(MAX_SQE_BYTES) else { return };
        let dir = TempDir::new("uring-locks");
        contract_tests::check_in_process_locking(&io, dir.path());
    }

    #[test]
    fn cross_process_locking_with_sqlite3() {
        let Some(io) = uring(MAX_SQE_BYTES) else { return };
        crate::io::interop_tests::check_cross_process_locking(&io, "uring");
    }

    #[test]
    fn requests_stay_in_flight_until_run_once() {
        let Some(io) = uring(MAX_SQE_BYTES) else { return };
        let dir = TempDir::new("uring-pending");
        let f = io.open(&dir.file("x"), OpenOptions::default()).unwrap();
        let c = f.pwrite(0, vec![1; 4096]).unwrap();
        // Nothing is submitted to the kernel before run_once.
        assert!(!c.is_done());
        assert_eq!(wait(&io, &c).unwrap(), 4096);
    }

    #[test]
    fn more_requests_than_the_rings_hold() {
        let Some(io) = uring(MAX_SQE_BYTES) else { return };
        let dir = TempDir::new("uring-many");
        let f = io.open(&dir.file("x"), OpenOptions::default()).unwrap();
        let count = (RING_ENTRIES as usize) * 5;
        let writes: Vec<Completion> =
            (0..count).map(|i| f.pwrite(i as u64 * 512, pattern(512, i as u8)).unwrap()).collect();
        for c in &writes {
            assert_eq!(wait(&io, c).unwrap(), 512);
        }
        let reads: Vec<Completion> = (0..count).map(|i| f.pread(i as u64 * 512, 512).unwrap()).collect();
        for (i, c) in reads.iter().enumerate() {
            assert_eq!(wait(&io, c).unwrap(), 512);
            assert_eq!(c.take_buf().unwrap(), pattern(512, i as u8));
        }
    }

    #[test]
    fn dropping_the_backend_waits_for_requests_in_flight() {
        let Some(io) = uring(MAX_SQE_BYTES) else { return };
        let dir = TempDir::new("uring-drop");
        let f = io.open(&dir.file("x"), OpenOptions::default()).unwrap();
        write_blocking(&io, f.as_ref(), 0, vec![7; 8192]).unwrap();
        let reads: Vec<Completion> = (0..16).map(|_| f.pread(0, 8192).unwrap()).collect();
        drop(f);
        drop(io);
        for c in &reads {
            assert_eq!(c.result(), Some(Ok(8192)));
            assert_eq!(c.take_buf().unwrap(), vec![7; 8192]);
        }
    }

    #[test]
    fn io_errors_complete_the_request() {
        let Some(io) = uring(MAX_SQE_BYTES) else { return };
        let dir = TempDir::new("uring-err");
        let f = io.open(&dir.file("x"), OpenOptions::default()).unwrap();
        // An offset past the largest file size: the kernel refuses the write (EFBIG or EINVAL).
        let c = f.pwrite(i64::MAX as u64 - 1, vec![1; 10]).unwrap();
        assert!(wait(&io, &c).is_err());
        assert_eq!(read_blocking(&io, f.as_ref(), 0, 10).unwrap().1, 0);
    }
}
