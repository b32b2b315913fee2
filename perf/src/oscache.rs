//! Taking a database file out of the operating system's page cache, and checking that it left.
//!
//! Two methods: `posix_fadvise(POSIX_FADV_DONTNEED)` on the one file (the default: it touches
//! nothing else on a machine shared with other work), or writing 3 to `/proc/sys/vm/drop_caches`
//! (needs root, and empties the cache of every file on the machine). Either way the file must be
//! clean first: the kernel keeps dirty pages, so we `fdatasync` before advising.
//!
//! [`resident_fraction`] asks the kernel (`mincore` over a read-only mapping) how much of the file
//! is still cached, so the report can say the cold runs really were cold.

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictMethod {
    Fadvise,
    DropCaches,
}

impl EvictMethod {
    pub fn describe(self) -> &'static str {
        match self {
            EvictMethod::Fadvise => "posix_fadvise(POSIX_FADV_DONTNEED) on the database file, after fdatasync",
            EvictMethod::DropCaches => "echo 3 > /proc/sys/vm/drop_caches (whole machine), after sync",
        }
    }
}

/// Takes `path` out of the OS page cache.
pub fn evict(path: &Path, method: EvictMethod) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.sync_data().map_err(|e| format!("fdatasync {}: {e}", path.display()))?;
    match method {
        EvictMethod::Fadvise => {
            // SAFETY: the descriptor is open for the duration of the call; fadvise reads no memory of ours.
            let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
            if rc != 0 {
                return Err(format!("posix_fadvise: error {rc}"));
            }
        }
        EvictMethod::DropCaches => {
            // SAFETY: sync takes no arguments and cannot fail.
            unsafe { libc::sync() };
            std::fs::write("/proc/sys/vm/drop_caches", "3\n").map_err(|e| format!("drop_caches: {e}"))?;
        }
    }
    Ok(())
}

/// Whether writing to drop_caches is allowed here (it is tried once, harmlessly: "1" drops only
/// clean page-cache pages).
pub fn drop_caches_allowed() -> bool {
    std::fs::write("/proc/sys/vm/drop_caches", "1\n").is_ok()
}

/// The fraction of `path`'s pages that are in the OS page cache (0.0 to 1.0).
pub fn resident_fraction(path: &Path) -> Result<f64, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = file.metadata().map_err(|e| e.to_string())?.len() as usize;
    if len == 0 {
        return Ok(0.0);
    }
    // SAFETY: sysconf has no memory-safety preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let pages = len.div_ceil(page);
    // SAFETY: a fresh private read-only mapping of an open file; we never dereference it, only hand
    // it to mincore, and unmap it below with the same length.
    let addr = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, file.as_raw_fd(), 0) };
    if addr == libc::MAP_FAILED {
        return Err("mmap failed".into());
    }
    let mut vec = vec![0u8; pages];
    // SAFETY: `addr` is a live mapping of `len` bytes and `vec` holds one byte per page of it.
    let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr()) };
    // SAFETY: unmapping exactly the mapping made above.
    unsafe { libc::munmap(addr, len) };
    if rc != 0 {
        return Err("mincore failed".into());
    }
    Ok(vec.iter().filter(|b| **b & 1 != 0).count() as f64 / pages as f64)
}
