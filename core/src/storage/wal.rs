//! Reading a write-ahead log (`-wal` file) left by SQLite: the committed frames override pages of
//! the database file. Writing WAL is not implemented yet; a database in WAL mode opens read-only.
//!
//! WAL header (32 bytes): magic 0x377f0682 or 0x377f0683 (checksums little- or big-endian), format
//! version 3007000, page size, checkpoint sequence, salt-1, salt-2, checksum-1, checksum-2.
//! Each frame: a 24-byte header (page number, database size after commit or 0, salt-1, salt-2,
//! checksum-1, checksum-2) and one page. A frame is valid when its salts match the header's and the
//! running checksum over the header and every frame so far matches; the log ends at the last valid
//! commit frame (database size != 0).

use std::collections::HashMap;

use crate::storage::header::get_u32;

pub const HEADER_BYTES: usize = 32;
pub const FRAME_HEADER_BYTES: usize = 24;

/// The committed content of a WAL: for each page, the file offset of its newest committed image.
#[derive(Debug, Default, Clone)]
pub struct WalIndex {
    pub page_offsets: HashMap<u32, u64>,
    /// The database size in pages after the last committed frame.
    pub page_count: u32,
    pub frame_count: u32,
}

fn wal_checksum(big_endian: bool, data: &[u8], s: (u32, u32)) -> (u32, u32) {
    let (mut s0, mut s1) = s;
    for chunk in data.chunks_exact(8) {
        let (x0, x1) = if big_endian {
            (u32::from_be_bytes(chunk[0..4].try_into().unwrap()), u32::from_be_bytes(chunk[4..8].try_into().unwrap()))
        } else {
            (u32::from_le_bytes(chunk[0..4].try_into().unwrap()), u32::from_le_bytes(chunk[4..8].try_into().unwrap()))
        };
        s0 = s0.wrapping_add(x0).wrapping_add(s1);
        s1 = s1.wrapping_add(x1).wrapping_add(s0);
    }
    (s0, s1)
}

impl WalIndex {
    /// Scans a whole WAL image. Returns `None` when the header is missing or invalid (an empty or
    /// reset log: the database file alone is current).
    pub fn scan(wal: &[u8], db_page_size: usize) -> Option<WalIndex> {
        if wal.len() < HEADER_BYTES {
            return None;
        }
        let magic = get_u32(wal, 0);
        let big_endian = match magic {
            0x377f0682 => false,
            0x377f0683 => true,
            _ => return None,
        };
        let page_size = get_u32(wal, 8) as usize;
        if page_size != db_page_size || get_u32(wal, 4) != 3007000 {
            return None;
        }
        let mut sum = wal_checksum(big_endian, &wal[..24], (0, 0));
        if sum != (get_u32(wal, 24), get_u32(wal, 28)) {
            return None;
        }
        let salt = (get_u32(wal, 16), get_u32(wal, 20));
        let mut index = WalIndex::default();
        let mut pending: Vec<(u32, u64)> = Vec::new();
        let frame_bytes = FRAME_HEADER_BYTES + page_size;
        let mut offset = HEADER_BYTES;
        let mut frame_no = 0u32;
        // Bounded by the file length: each iteration consumes one frame.
        while offset + frame_bytes <= wal.len() {
            let fh = &wal[offset..offset + FRAME_HEADER_BYTES];
            if (get_u32(fh, 8), get_u32(fh, 12)) != salt {
                break;
            }
            sum = wal_checksum(big_endian, &fh[..8], sum);
            sum = wal_checksum(big_endian, &wal[offset + FRAME_HEADER_BYTES..offset + frame_bytes], sum);
            if sum != (get_u32(fh, 16), get_u32(fh, 20)) {
                break;
            }
            let pgno = get_u32(fh, 0);
            if pgno == 0 {
                break;
            }
            frame_no += 1;
            pending.push((pgno, (offset + FRAME_HEADER_BYTES) as u64));
            let commit_size = get_u32(fh, 4);
            if commit_size != 0 {
                for (p, o) in pending.drain(..) {
                    index.page_offsets.insert(p, o);
                }
                index.page_count = commit_size;
                index.frame_count = frame_no;
            }
            offset += frame_bytes;
        }
        (index.frame_count > 0).then_some(index)
    }
}
