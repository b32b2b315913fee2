//! The rollback journal's on-disk format, as SQLite's pager.c writes it.
//!
//! A journal is one or more segments. Each segment starts with a header padded to the sector size:
//!
//! | offset | size | meaning |
//! |---|---|---|
//! | 0 | 8 | magic d9 d5 05 f9 20 a1 63 d7 |
//! | 8 | 4 | number of page records in this segment (0xffffffff: up to the end of the file) |
//! | 12 | 4 | checksum nonce |
//! | 16 | 4 | database size in pages before the transaction |
//! | 20 | 4 | sector size |
//! | 24 | 4 | page size |
//!
//! then `nRec` records of: page number (4), the page's original image (page size), checksum (4).
//! The checksum is the nonce plus the bytes at offsets page_size-200, page_size-400, ... (> 0).

use crate::storage::header::{get_u32, put_u32};

pub const MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
pub const HEADER_BYTES: usize = 28;
/// SQLite's default sector size (SQLITE_DEFAULT_SECTOR_SIZE); journal headers are padded to it.
pub const SECTOR_SIZE: usize = 4096;

/// A parsed segment header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JournalHeader {
    pub record_count: u32,
    pub nonce: u32,
    pub original_page_count: u32,
    pub sector_size: u32,
    pub page_size: u32,
}

impl JournalHeader {
    pub fn parse(buf: &[u8]) -> Option<JournalHeader> {
        if buf.len() < HEADER_BYTES || buf[..8] != MAGIC {
            return None;
        }
        Some(JournalHeader {
            record_count: get_u32(buf, 8),
            nonce: get_u32(buf, 12),
            original_page_count: get_u32(buf, 16),
            sector_size: get_u32(buf, 20),
            page_size: get_u32(buf, 24),
        })
    }

    /// The header padded to `sector_size` bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = vec![0u8; self.sector_size as usize];
        buf[..8].copy_from_slice(&MAGIC);
        put_u32(&mut buf, 8, self.record_count);
        put_u32(&mut buf, 12, self.nonce);
        put_u32(&mut buf, 16, self.original_page_count);
        put_u32(&mut buf, 20, self.sector_size);
        put_u32(&mut buf, 24, self.page_size);
        buf
    }
}

/// SQLite's journal page checksum (pager_cksum).
pub fn checksum(nonce: u32, page: &[u8]) -> u32 {
    let mut sum = nonce;
    let mut i = page.len() as isize - 200;
    while i > 0 {
        sum = sum.wrapping_add(u32::from(page[i as usize]));
        i -= 200;
    }
    sum
}

/// Encodes one journal record.
pub fn encode_record(pgno: u32, page: &[u8], nonce: u32) -> Vec<u8> {
    let mut rec = Vec::with_capacity(page.len() + 8);
    rec.extend_from_slice(&pgno.to_be_bytes());
    rec.extend_from_slice(page);
    rec.extend_from_slice(&checksum(nonce, page).to_be_bytes());
    rec
}
