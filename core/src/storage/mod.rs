//! Storage: the file format, the pager (page cache, rollback journal, locking) and the B-tree.
//!
//! Layering: `btree` uses `pager`; `pager` uses `io`. Nothing here knows about SQL.

pub mod record;
pub mod varint;
