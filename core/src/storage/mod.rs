//! Storage: the file format, the pager (page cache, rollback journal, locking) and the B-tree.
//!
//! Layering: `btree` uses `pager`; `pager` uses `io`. Nothing here knows about SQL.

pub mod btree;
pub mod btree_balance;
pub mod btree_page;
pub mod header;
pub mod integrity;
pub mod journal;
pub mod pager;
pub mod record;
pub mod varint;
pub mod wal;

#[cfg(test)]
mod btree_tests;
#[cfg(test)]
mod pager_tests;

/// The outcome of an operation that may need I/O first: `Pending` means a read was submitted and
/// nothing observable changed, so the caller drives the I/O backend and repeats the same call.
#[derive(Debug)]
pub enum IoPoll<T> {
    Ready(T),
    Pending,
}

/// Unwraps an `IoPoll::Ready`, or returns `Ok(IoPoll::Pending)` from the enclosing function.
#[macro_export]
macro_rules! ready {
    ($e:expr) => {
        match $e {
            $crate::storage::IoPoll::Ready(v) => v,
            $crate::storage::IoPoll::Pending => return Ok($crate::storage::IoPoll::Pending),
        }
    };
}
