//! The `File` and `Io` contracts of `io/mod.rs`, as checks every backend's tests run.
//!
//! Each check takes the backend and a directory prefix for its files, so the same code runs against
//! the in-memory map, a temporary directory on disk, the simulator and io_uring.

use std::sync::Arc;

use super::*;

fn path(dir: &str, name: &str) -> String {
    format!("{dir}/{name}")
}

/// A recognisable byte pattern: `seed` distinguishes writes from each other.
pub(crate) fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1).collect()
}

/// Reads, writes, truncation, size, sync, several files, reopening and deletion.
pub(crate) fn check_file_contract(io: &dyn Io, dir: &str) {
    let a_path = path(dir, "a.db");
    let b_path = path(dir, "b.db");
    io.delete(&a_path).unwrap();
    io.delete(&b_path).unwrap();
    // Deleting a missing file is not an error.
    io.delete(&a_path).unwrap();
    assert!(!io.exists(&a_path).unwrap());

    // A missing file opened without `create` cannot be opened.
    let err = io.open(&a_path, OpenOptions { create: false, read_only: false }).err().expect("open of a missing file");
    assert_eq!(err.code(), crate::ResultCode::CantOpen, "{err:?}");

    let a = io.open(&a_path, OpenOptions::default()).unwrap();
    assert!(io.exists(&a_path).unwrap());
    assert_eq!(a.size().unwrap(), 0);

    // Reading an empty file: a zero-filled buffer of the requested length, zero bytes read.
    let (buf, n) = read_blocking(io, a.as_ref(), 0, 100).unwrap();
    assert_eq!((buf.len(), n), (100, 0));
    assert!(buf.iter().all(|&b| b == 0));
    let (buf, n) = read_blocking(io, a.as_ref(), 10, 0).unwrap();
    assert_eq!((buf.len(), n), (0, 0));

    // Write, then read back; a write past the end leaves a zero hole.
    let page = pattern(4096, 7);
    write_blocking(io, a.as_ref(), 0, page.clone()).unwrap();
    write_blocking(io, a.as_ref(), 8192, pattern(100, 9)).unwrap();
    assert_eq!(a.size().unwrap(), 8292);
    assert_eq!(read_blocking(io, a.as_ref(), 0, 4096).unwrap(), (page.clone(), 4096));
    let (hole, n) = read_blocking(io, a.as_ref(), 4096, 4096).unwrap();
    assert_eq!(n, 4096);
    assert!(hole.iter().all(|&b| b == 0));

    // A read straddling the end: short count, zeros past the end.
    let (buf, n) = read_blocking(io, a.as_ref(), 8192 + 50, 100).unwrap();
    assert_eq!((buf.len(), n), (100, 50));
    assert_eq!(&buf[..50], &pattern(100, 9)[50..]);
    assert!(buf[50..].iter().all(|&b| b == 0));
    // Entirely past the end.
    let (buf, n) = read_blocking(io, a.as_ref(), 1 << 20, 64).unwrap();
    assert_eq!((buf.len(), n), (64, 0));

    // The byte count of a write is its length.
    let c = a.pwrite(100, vec![0xAB; 10]).unwrap();
    assert_eq!(wait(io, &c).unwrap(), 10);
    let mut expected = page.clone();
    expected[100..110].fill(0xAB);
    assert_eq!(read_blocking(io, a.as_ref(), 0, 4096).unwrap().0, expected);

    // Truncate down, then extend with zeros.
    truncate_blocking(io, a.as_ref(), 1000).unwrap();
    assert_eq!(a.size().unwrap(), 1000);
    let (buf, n) = read_blocking(io, a.as_ref(), 900, 200).unwrap();
    assert_eq!(n, 100);
    assert_eq!(&buf[..100], &expected[900..1000]);
    assert!(buf[100..].iter().all(|&b| b == 0));
    truncate_blocking(io, a.as_ref(), 5000).unwrap();
    assert_eq!(a.size().unwrap(), 5000);
    let (buf, n) = read_blocking(io, a.as_ref(), 0, 5000).unwrap();
    assert_eq!(n, 5000);
    assert_eq!(&buf[..1000], &expected[..1000]);
    assert!(buf[1000..].iter().all(|&b| b == 0));
    sync_blocking(io, a.as_ref()).unwrap();

    // Several requests in flight at once, waited for in reverse order.
    let completions: Vec<(Completion, Vec<u8>)> = (0..8u8)
        .map(|i| {
            let data = pattern(512, i);
            (a.pwrite(u64::from(i) * 512, data.clone()).unwrap(), data)
        })
        .collect();
    for (c, data) in completions.iter().rev() {
        assert_eq!(wait(io, c).unwrap(), data.len());
    }
    let reads: Vec<Completion> = (0..8u64).map(|i| a.pread(i * 512, 512).unwrap()).collect();
    for (i, c) in reads.iter().enumerate() {
        assert_eq!(wait(io, c).unwrap(), 512);
        assert_eq!(c.take_buf().unwrap(), pattern(512, i as u8));
    }
    sync_blocking(io, a.as_ref()).unwrap();

    // A second file is independent of the first.
    let b = io.open(&b_path, OpenOptions::default()).unwrap();
    write_blocking(io, b.as_ref(), 0, vec![0x55; 300]).unwrap();
    sync_blocking(io, b.as_ref()).unwrap();
    assert_eq!(b.size().unwrap(), 300);
    assert_eq!(a.size().unwrap(), 5000);
    assert_eq!(read_blocking(io, a.as_ref(), 0, 512).unwrap().0, pattern(512, 0));

    // Two handles on one path see each other's writes.
    let a2 = io.open(&a_path, OpenOptions::default()).unwrap();
    write_blocking(io, a2.as_ref(), 4096, vec![0x77; 4]).unwrap();
    assert_eq!(read_blocking(io, a.as_ref(), 4096, 4).unwrap().0, vec![0x77; 4]);
    drop(a2);

    // Reopening sees the data, including read-only.
    drop(a);
    drop(b);
    let a = io.open(&a_path, OpenOptions { create: false, read_only: true }).unwrap();
    assert_eq!(a.size().unwrap(), 5000);
    assert_eq!(read_blocking(io, a.as_ref(), 512, 512).unwrap().0, pattern(512, 1));
    let b = io.open(&b_path, OpenOptions { create: false, read_only: false }).unwrap();
    assert_eq!(read_blocking(io, b.as_ref(), 0, 300).unwrap(), (vec![0x55; 300], 300));
    drop(a);
    drop(b);

    // Deletion.
    io.delete(&a_path).unwrap();
    io.delete(&b_path).unwrap();
    assert!(!io.exists(&a_path).unwrap());
    assert!(!io.exists(&b_path).unwrap());
    io.delete(&a_path).unwrap();
    io.sync_dir(&a_path).unwrap();
}

/// SQLite's lock compatibility between two handles of one backend on one file.
pub(crate) fn check_in_process_locking(io: &dyn Io, dir: &str) {
    use LockLevel::*;
    let p = path(dir, "locks.db");
    io.delete(&p).unwrap();
    let a: Arc<dyn File> = io.open(&p, OpenOptions::default()).unwrap();
    let b: Arc<dyn File> = io.open(&p, OpenOptions::default()).unwrap();

    assert!(!a.check_reserved_lock().unwrap());
    assert!(a.lock(Shared).unwrap());
    assert!(b.lock(Shared).unwrap());
    assert!(a.lock(Reserved).unwrap());
    assert!(b.check_reserved_lock().unwrap());
    assert!(!b.lock(Reserved).unwrap(), "one Reserved at a time");
    assert!(!a.lock(Exclusive).unwrap(), "b still holds Shared");
    // a now holds Pending: b keeps its Shared, but a third handle cannot get one.
    let c = io.open(&p, OpenOptions::default()).unwrap();
    assert!(!c.lock(Shared).unwrap(), "Pending blocks new Shared locks");
    b.unlock(None).unwrap();
    assert!(!b.lock(Shared).unwrap());
    assert!(a.lock(Exclusive).unwrap());
    assert!(!c.lock(Shared).unwrap(), "Exclusive stands alone");
    a.unlock(Shared).unwrap();
    assert!(!c.check_reserved_lock().unwrap());
    assert!(c.lock(Shared).unwrap());
    assert!(b.lock(Shared).unwrap());
    a.unlock(None).unwrap();
    b.unlock(None).unwrap();
    assert!(c.lock(Reserved).unwrap());
    assert!(c.lock(Exclusive).unwrap(), "sole reader upgrades at once");
    // Dropping a locked handle releases its locks.
    drop(c);
    assert!(!a.check_reserved_lock().unwrap());
    assert!(a.lock(Shared).unwrap());
    assert!(a.lock(Reserved).unwrap());
    assert!(a.lock(Exclusive).unwrap());
    a.unlock(None).unwrap();
    // Sequence errors are errors, not panics.
    assert!(b.lock(Reserved).is_err());
    drop(a);
    drop(b);
    io.delete(&p).unwrap();
}

/// A fresh directory under the system temporary directory, removed when dropped.
pub(crate) struct TempDir(std::path::PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!("brisk-{name}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(unique);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// The directory as a `&str` prefix for the contract checks.
    pub(crate) fn path(&self) -> &str {
        self.0.to_str().expect("temporary paths are UTF-8 in tests")
    }

    pub(crate) fn file(&self, name: &str) -> String {
        path(self.path(), name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
