//! Every limit in one place, mirroring SQLite's `sqliteLimit.h`. Loops over on-disk structures are
//! bounded by these or by the page count, so a corrupt file cannot cause a hang or an unbounded allocation.

/// SQLITE_MAX_LENGTH: the largest string or blob, in bytes.
pub const MAX_LENGTH_BYTES: usize = 1_000_000_000;
/// SQLITE_MAX_SQL_LENGTH.
pub const MAX_SQL_LENGTH_BYTES: usize = 1_000_000_000;
/// SQLITE_MAX_COLUMN.
pub const MAX_COLUMNS: usize = 2000;
/// SQLITE_MAX_VARIABLE_NUMBER.
pub const MAX_VARIABLE_NUMBER: usize = 32766;
/// SQLITE_MAX_PAGE_COUNT.
pub const MAX_PAGE_COUNT: u32 = 0xFFFF_FFFE;
/// The smallest and largest page sizes the file format allows.
pub const MIN_PAGE_SIZE_BYTES: usize = 512;
pub const MAX_PAGE_SIZE_BYTES: usize = 65536;
/// SQLITE_DEFAULT_PAGE_SIZE.
pub const DEFAULT_PAGE_SIZE_BYTES: usize = 4096;
/// SQLITE_DEFAULT_CACHE_SIZE: negative means KiB, as in `PRAGMA cache_size`.
pub const DEFAULT_CACHE_SIZE: i64 = -2000;
/// The deepest B-tree SQLite will descend (BTCURSOR_MAX_DEPTH).
pub const MAX_BTREE_DEPTH: usize = 20;
/// SQLITE_MAX_EXPR_DEPTH.
pub const MAX_EXPR_DEPTH: usize = 1000;
/// SQLITE_MAX_TRIGGER_DEPTH.
pub const MAX_TRIGGER_DEPTH: usize = 1000;
/// SQLITE_MAX_COMPOUND_SELECT.
pub const MAX_COMPOUND_SELECT: usize = 500;
/// The byte offset of SQLite's lock bytes (PENDING_BYTE, RESERVED_BYTE, SHARED_FIRST).
pub const PENDING_BYTE: u64 = 0x4000_0000;
pub const RESERVED_BYTE: u64 = PENDING_BYTE + 1;
pub const SHARED_FIRST: u64 = PENDING_BYTE + 2;
pub const SHARED_SIZE: u64 = 510;
/// SQLITE_MAX_FUNCTION_ARG: the most arguments a registered function may declare.
pub const MAX_FUNCTION_ARG: i32 = 1000;
