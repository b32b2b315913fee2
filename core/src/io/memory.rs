//! `MemoryIo`: files as named byte vectors, for tests and `:memory:`-style databases.
//!
//! Owns a map from path (the exact string, not normalised) to a node holding the bytes and the
//! in-process lock record of that file. Every request completes at submission, so `run_once` has
//! nothing to do. Opening a path again in the same `MemoryIo` sees the same node; deleting a path
//! removes it from the map while open handles keep the node alive, like an unlinked Unix file.
//!
//! Locking follows SQLite's in-process rules (`lock.rs` with no OS half): any number of Shared
//! plus at most one Reserved; Pending admits no new Shared; Exclusive stands alone.
//!
//! Nothing here is durable: `sync` is a no-op that succeeds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::lock::{acquire, InodeLock, LocalLock};
use super::{Completion, File, Io, LockLevel, OpenOptions};
use crate::error::{Error, Result};

/// One file's contents and its lock record.
#[derive(Debug, Default)]
struct MemNode {
    data: Mutex<Vec<u8>>,
    lock: Mutex<InodeLock>,
}

/// The in-memory backend. Cheap to create; every instance is its own file system.
#[derive(Debug, Default)]
pub struct MemoryIo {
    files: Mutex<HashMap<String, Arc<MemNode>>>,
}

impl MemoryIo {
    pub fn new() -> MemoryIo {
        MemoryIo::default()
    }
}

/// Reads `len` bytes at `offset` of `data` into a zero-filled buffer; returns it and the bytes
/// really read. Shared with the simulated backend.
pub(crate) fn read_from(data: &[u8], offset: u64, len: usize) -> (Vec<u8>, usize) {
    let mut buf = vec![0u8; len];
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
    let n = len.min(data.len() - start);
    buf[..n].copy_from_slice(&data[start..start + n]);
    (buf, n)
}

/// Writes `src` at `offset` of `data`, extending with zeros. A size the process cannot hold is
/// reported as a full disk rather than an allocation abort.
pub(crate) fn write_into(data: &mut Vec<u8>, offset: u64, src: &[u8]) -> Result<()> {
    let end = offset.checked_add(src.len() as u64).ok_or(Error::Full)?;
    let start = usize::try_from(offset).map_err(|_| Error::Full)?;
    let end = usize::try_from(end).map_err(|_| Error::Full)?;
    resize(data, end.max(data.len()))?;
    data[start..end].copy_from_slice(src);
    Ok(())
}

/// Truncates or zero-extends `data` to `len` bytes.
pub(crate) fn resize(data: &mut Vec<u8>, len: usize) -> Result<()> {
    if len > data.len() {
        data.try_reserve(len - data.len()).map_err(|_| Error::Full)?;
    }
    data.resize(len, 0);
    Ok(())
}

/// Converts a length for `resize`, reporting a size the process cannot address as a full disk.
pub(crate) fn len_to_usize(len: u64) -> Result<usize> {
    usize::try_from(len).map_err(|_| Error::Full)
}

impl Io for MemoryIo {
    fn open(&self, path: &str, options: OpenOptions) -> Result<Arc<dyn File>> {
        let mut files = acquire(&self.files);
        let node = match files.get(path) {
            Some(node) => node.clone(),
            None if options.create && !options.read_only => {
                let node = Arc::new(MemNode::default());
                files.insert(path.to_string(), node.clone());
                node
            }
            None => return Err(Error::CantOpen(format!("{path}: no such file"))),
        };
        Ok(Arc::new(MemFile { node, level: LocalLock::new(), read_only: options.read_only }))
    }

    fn delete(&self, path: &str) -> Result<()> {
        acquire(&self.files).remove(path);
        Ok(())
    }

    fn exists(&self, path: &str) -> Result<bool> {
        Ok(acquire(&self.files).contains_key(path))
    }

    fn run_once(&self) -> Result<()> {
        // Every request completed at submission.
        Ok(())
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}

/// One open handle: its own lock level over the shared node.
#[derive(Debug)]
struct MemFile {
    node: Arc<MemNode>,
    level: LocalLock,
    read_only: bool,
}

impl File for MemFile {
    fn pread(&self, offset: u64, len: usize) -> Result<Completion> {
        let data = acquire(&self.node.data);
        let (buf, n) = read_from(&data, offset, len);
        Ok(Completion::done(Ok(n), Some(buf)))
    }

    fn pwrite(&self, offset: u64, data: Vec<u8>) -> Result<Completion> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let result = write_into(&mut acquire(&self.node.data), offset, &data).map(|()| data.len());
        Ok(Completion::done(result, None))
    }

    fn sync(&self) -> Result<Completion> {
        Ok(Completion::done(Ok(0), None))
    }

    fn truncate(&self, len: u64) -> Result<Completion> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let result = len_to_usize(len).and_then(|len| resize(&mut acquire(&self.node.data), len)).map(|()| 0);
        Ok(Completion::done(result, None))
    }

    fn size(&self) -> Result<u64> {
        Ok(acquire(&self.node.data).len() as u64)
    }

    fn lock(&self, level: LockLevel) -> Result<bool> {
        self.level.lock(&self.node.lock, level)
    }

    fn unlock(&self, level: LockLevel) -> Result<()> {
        self.level.unlock(&self.node.lock, level)
    }

    fn check_reserved_lock(&self) -> Result<bool> {
        LocalLock::check_reserved(&self.node.lock)
    }
}

impl Drop for MemFile {
    fn drop(&mut self) {
        // A handle closed while locked releases its locks, as closing a database file does.
        self.level.release(&self.node.lock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{contract_tests, read_blocking, write_blocking};

    #[test]
    fn file_contract() {
        let io = MemoryIo::new();
        contract_tests::check_file_contract(&io, "mem");
    }

    #[test]
    fn lock_compatibility_between_handles() {
        let io = MemoryIo::new();
        contract_tests::check_in_process_locking(&io, "db");
    }

    #[test]
    fn instances_are_separate_file_systems() {
        let a = MemoryIo::new();
        let b = MemoryIo::new();
        let f = a.open("x", OpenOptions::default()).unwrap();
        write_blocking(&a, f.as_ref(), 0, vec![1, 2, 3]).unwrap();
        assert!(!b.exists("x").unwrap());
        let again = a.open("x", OpenOptions { create: false, read_only: true }).unwrap();
        assert_eq!(read_blocking(&a, again.as_ref(), 0, 3).unwrap(), (vec![1, 2, 3], 3));
    }

    #[test]
    fn absurd_offsets_are_a_full_disk_not_an_abort() {
        let io = MemoryIo::new();
        let f = io.open("x", OpenOptions::default()).unwrap();
        let err = write_blocking(&io, f.as_ref(), u64::MAX - 1, vec![1, 2, 3]).unwrap_err();
        assert_eq!(err, Error::Full);
        assert_eq!(f.size().unwrap(), 0);
    }
}
