//! The 100-byte database header at the start of page 1.
//!
//! | offset | size | meaning |
//! |---|---|---|
//! | 0 | 16 | "SQLite format 3\0" |
//! | 16 | 2 | page size in bytes (1 means 65536) |
//! | 18 | 1 | file format write version (1 legacy, 2 WAL) |
//! | 19 | 1 | file format read version (1 legacy, 2 WAL) |
//! | 20 | 1 | reserved bytes at the end of each page |
//! | 21..24 | 3 | payload fractions, always 64, 32, 32 |
//! | 24 | 4 | file change counter |
//! | 28 | 4 | database size in pages (valid when offset 92 equals offset 24) |
//! | 32 | 4 | first freelist trunk page |
//! | 36 | 4 | number of freelist pages |
//! | 40 | 4 | schema cookie |
//! | 44 | 4 | schema format number (1..4) |
//! | 48 | 4 | default page cache size |
//! | 52 | 4 | largest root page (auto-vacuum), else 0 |
//! | 56 | 4 | text encoding (1 UTF-8, 2 UTF-16le, 3 UTF-16be) |
//! | 60 | 4 | user version |
//! | 64 | 4 | incremental-vacuum mode |
//! | 68 | 4 | application id |
//! | 72 | 20 | reserved, zero |
//! | 92 | 4 | version-valid-for: the change counter when offset 96 was written |
//! | 96 | 4 | SQLITE_VERSION_NUMBER of the last writer |

use crate::error::{Error, Result};
use crate::limits;
use crate::storage::record::TextEncoding;

pub const HEADER_SIZE: usize = 100;
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

pub const OFFSET_CHANGE_COUNTER: usize = 24;
pub const OFFSET_PAGE_COUNT: usize = 28;
pub const OFFSET_FREELIST_TRUNK: usize = 32;
pub const OFFSET_FREELIST_COUNT: usize = 36;
pub const OFFSET_SCHEMA_COOKIE: usize = 40;
pub const OFFSET_SCHEMA_FORMAT: usize = 44;
pub const OFFSET_DEFAULT_CACHE_SIZE: usize = 48;
pub const OFFSET_LARGEST_ROOT: usize = 52;
pub const OFFSET_TEXT_ENCODING: usize = 56;
pub const OFFSET_USER_VERSION: usize = 60;
pub const OFFSET_INCREMENTAL_VACUUM: usize = 64;
pub const OFFSET_APPLICATION_ID: usize = 68;
pub const OFFSET_VERSION_VALID_FOR: usize = 92;
pub const OFFSET_SQLITE_VERSION: usize = 96;

/// The SQLite version Brisk writes into offset 96 (the version whose file format it follows).
pub const SQLITE_VERSION_NUMBER: u32 = 3_054_001;

pub fn get_u32(buf: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes(buf[offset..offset + 4].try_into().expect("4 bytes"))
}

pub fn put_u32(buf: &mut [u8], offset: usize, v: u32) {
    buf[offset..offset + 4].copy_from_slice(&v.to_be_bytes());
}

pub fn get_u16(buf: &[u8], offset: usize) -> u16 {
    u16::from_be_bytes([buf[offset], buf[offset + 1]])
}

pub fn put_u16(buf: &mut [u8], offset: usize, v: u16) {
    buf[offset..offset + 2].copy_from_slice(&v.to_be_bytes());
}

/// The fields of the header the pager and B-tree need, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct DbHeader {
    pub page_size: usize,
    pub reserved_bytes: usize,
    pub wal: bool,
    pub change_counter: u32,
    /// Page count from offset 28, when it is valid (see the table above).
    pub page_count: Option<u32>,
    pub text_encoding: TextEncoding,
    pub auto_vacuum: bool,
    pub schema_format: u32,
}

impl DbHeader {
    /// Parses and validates a header. A wrong magic string is NOTADB; other bad fields are CORRUPT
    /// or NOTADB as SQLite reports them.
    pub fn parse(buf: &[u8]) -> Result<DbHeader> {
        if buf.len() < HEADER_SIZE || &buf[..16] != MAGIC {
            return Err(Error::NotADb);
        }
        let raw = get_u16(buf, 16) as usize;
        let page_size = if raw == 1 { 65536 } else { raw };
        if !(limits::MIN_PAGE_SIZE_BYTES..=limits::MAX_PAGE_SIZE_BYTES).contains(&page_size)
            || !page_size.is_power_of_two()
        {
            return Err(Error::NotADb);
        }
        let (write_version, read_version) = (buf[18], buf[19]);
        if read_version > 2 || write_version > 2 || read_version == 0 {
            return Err(Error::NotADb);
        }
        let reserved_bytes = buf[20] as usize;
        if page_size - reserved_bytes < 480 {
            return Err(Error::NotADb);
        }
        if buf[21] != 64 || buf[22] != 32 || buf[23] != 32 {
            return Err(Error::NotADb);
        }
        let change_counter = get_u32(buf, OFFSET_CHANGE_COUNTER);
        let count = get_u32(buf, OFFSET_PAGE_COUNT);
        let page_count = (count != 0 && get_u32(buf, OFFSET_VERSION_VALID_FOR) == change_counter).then_some(count);
        let enc = get_u32(buf, OFFSET_TEXT_ENCODING);
        // A database with no schema yet may have 0 here; SQLite treats that as UTF-8.
        let text_encoding = if enc == 0 { Some(TextEncoding::Utf8) } else { TextEncoding::from_header(enc) }
            .ok_or_else(|| Error::corrupt(format!("bad text encoding {enc}")))?;
        let schema_format = get_u32(buf, OFFSET_SCHEMA_FORMAT);
        if schema_format > 4 {
            return Err(Error::corrupt(format!("unsupported schema format {schema_format}")));
        }
        Ok(DbHeader {
            page_size,
            reserved_bytes,
            wal: read_version == 2 || write_version == 2,
            change_counter,
            page_count,
            text_encoding,
            auto_vacuum: get_u32(buf, OFFSET_LARGEST_ROOT) != 0,
            schema_format,
        })
    }

    /// Writes the header of a new, empty database (page 1 of a file being created).
    pub fn write_new(buf: &mut [u8], page_size: usize, reserved_bytes: usize, enc: TextEncoding) {
        buf[..HEADER_SIZE].fill(0);
        buf[..16].copy_from_slice(MAGIC);
        put_u16(buf, 16, if page_size == 65536 { 1 } else { page_size as u16 });
        buf[18] = 1;
        buf[19] = 1;
        buf[20] = reserved_bytes as u8;
        buf[21] = 64;
        buf[22] = 32;
        buf[23] = 32;
        put_u32(buf, OFFSET_PAGE_COUNT, 1);
        put_u32(buf, OFFSET_SCHEMA_FORMAT, 4);
        put_u32(buf, OFFSET_TEXT_ENCODING, enc.header_value());
        put_u32(buf, OFFSET_SQLITE_VERSION, SQLITE_VERSION_NUMBER);
    }
}
