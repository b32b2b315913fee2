//! The B-tree page format: page headers, the four cell formats, the payload overflow thresholds,
//! and the in-place edits of one page (inserting and dropping cells, freeblocks, defragmenting).
//! It knows nothing of trees: `btree.rs` navigates, `btree_balance.rs` splits and merges.
//!
//! Page header (at offset 100 on page 1, after the database header; at offset 0 elsewhere):
//!
//! | offset | size | meaning |
//! |---|---|---|
//! | 0 | 1 | page type: 0x02 index interior, 0x05 table interior, 0x0a index leaf, 0x0d table leaf |
//! | 1 | 2 | offset of the first freeblock, 0 when there is none |
//! | 3 | 2 | number of cells |
//! | 5 | 2 | start of the cell content area (0 means 65536) |
//! | 7 | 1 | fragmented free bytes inside the content area |
//! | 8 | 4 | right child page (interior pages only; leaf headers are 8 bytes) |
//!
//! The cell pointer array (2 bytes per cell, in key order) follows the header; cell content grows
//! down from the end of the usable area. Cells:
//!
//! | page type | cell |
//! |---|---|
//! | table leaf | varint payload size, varint rowid, local payload, [4-byte first overflow page] |
//! | table interior | 4-byte left child, varint rowid |
//! | index leaf | varint payload size, local payload, [4-byte first overflow page] |
//! | index interior | 4-byte left child, varint payload size, local payload, [4-byte first overflow page] |
//!
//! Invariants of a well-formed page (what SQLite's `PRAGMA integrity_check` verifies):
//! 1. A cell occupies at least 4 bytes (shorter ones are padded), so a freed cell holds a freeblock.
//! 2. Freeblocks form a chain in increasing offset order inside the content area; each starts with
//!    the 2-byte offset of the next and its own 2-byte size (at least 4). Two freeblocks are never
//!    closer than 4 bytes: [`free_block`] merges them, counting the gap as fragmented bytes.
//! 3. Cells, freeblocks and fragments cover the content area exactly, and the fragment count in
//!    byte 7 is their total (SQLite keeps it at most 60).
//!
//! Page bytes are untrusted: every read here checks its bounds and reports `Error::Corrupt`.

use crate::error::{Error, Result};
use crate::storage::header::{get_u16, get_u32, put_u16, put_u32};
use crate::storage::pager::PageNumber;
use crate::storage::varint::{push_varint, read_varint};

pub const PAGE_INDEX_INTERIOR: u8 = 0x02;
pub const PAGE_TABLE_INTERIOR: u8 = 0x05;
pub const PAGE_INDEX_LEAF: u8 = 0x0a;
pub const PAGE_TABLE_LEAF: u8 = 0x0d;

/// The smallest space a cell takes on a page (SQLite pads shorter cells).
pub const MIN_CELL_BYTES: usize = 4;
/// The largest payload accepted, from disk or from a caller (SQLite stores sizes as 32-bit).
pub const MAX_PAYLOAD_BYTES: u64 = i32::MAX as u64;
/// pageFindSlot leaves a too-small remainder of a freeblock as fragments only while the page has
/// at most this many fragmented bytes, so the count never passes 60.
const MAX_FRAGMENTS_BEFORE_SLOT: u8 = 57;

/// Where the B-tree header of page `pgno` starts.
pub fn header_offset(pgno: PageNumber) -> usize {
    if pgno == 1 {
        100
    } else {
        0
    }
}

pub fn is_valid_type(t: u8) -> bool {
    matches!(t, PAGE_INDEX_INTERIOR | PAGE_TABLE_INTERIOR | PAGE_INDEX_LEAF | PAGE_TABLE_LEAF)
}

pub fn is_leaf(t: u8) -> bool {
    t & 0x08 != 0
}

/// Table pages (rowid keys) have the INTKEY flag.
pub fn is_table(t: u8) -> bool {
    t & 0x01 != 0
}

/// The size of the B-tree header for pages of type `t`.
pub fn header_size(t: u8) -> usize {
    if is_leaf(t) {
        8
    } else {
        12
    }
}

pub fn interior_type_of(t: u8) -> u8 {
    t & !0x08
}

pub fn leaf_type_of(t: u8) -> u8 {
    t | 0x08
}

/// The page-size-dependent constants of the format.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub usable: usize,
    max_local_table: usize,
    max_local_index: usize,
    min_local: usize,
}

impl Geometry {
    pub fn new(usable: usize) -> Geometry {
        assert!(usable >= 480, "usable size {usable} below the format's minimum");
        Geometry {
            usable,
            max_local_table: usable - 35,
            max_local_index: (usable - 12) * 64 / 255 - 23,
            min_local: (usable - 12) * 32 / 255 - 23,
        }
    }

    /// The largest payload kept entirely on a page of type `t`.
    pub fn max_local(&self, t: u8) -> usize {
        if t == PAGE_TABLE_LEAF {
            self.max_local_table
        } else {
            self.max_local_index
        }
    }

    /// How many bytes of a payload of `size` bytes are stored on a page of type `t`; the rest
    /// goes to overflow pages (the fileformat2 rule).
    pub fn local_size(&self, t: u8, size: u64) -> usize {
        let max = self.max_local(t) as u64;
        if size <= max {
            return size as usize;
        }
        let min = self.min_local as u64;
        let surplus = min + (size - min) % (self.usable as u64 - 4);
        if surplus <= max {
            surplus as usize
        } else {
            min as usize
        }
    }

    /// Payload bytes held by one overflow page.
    pub fn overflow_bytes(&self) -> usize {
        self.usable - 4
    }

    /// The length of the overflow chain of a payload of `size` bytes with `local` on the page.
    pub fn overflow_pages(&self, size: u64, local: usize) -> u64 {
        size.saturating_sub(local as u64).div_ceil(self.overflow_bytes() as u64)
    }
}

fn corrupt_page(pgno: PageNumber, what: &str) -> Error {
    Error::corrupt(format!("page {pgno}: {what}"))
}

/// The parsed, validated header of one B-tree page.
#[derive(Debug, Clone, Copy)]
pub struct PageInfo {
    pub pgno: PageNumber,
    /// Offset of the B-tree header (100 on page 1).
    pub hdr: usize,
    pub page_type: u8,
    pub ncell: usize,
    pub first_freeblock: usize,
    pub content_start: usize,
    pub frag: usize,
    /// The right child of an interior page; 0 on leaves.
    pub right_child: PageNumber,
}

impl PageInfo {
    /// Parses and checks the header of page `pgno` (the whole page image in `data`).
    pub fn parse(data: &[u8], pgno: PageNumber, geo: &Geometry) -> Result<PageInfo> {
        let hdr = header_offset(pgno);
        let page_type = data[hdr];
        if !is_valid_type(page_type) {
            return Err(corrupt_page(pgno, &format!("bad page type {page_type:#04x}")));
        }
        let ncell = get_u16(data, hdr + 3) as usize;
        let cell_ptr_start = hdr + header_size(page_type);
        // Every cell needs a 2-byte pointer and at least 4 bytes of content.
        if ncell > (geo.usable - cell_ptr_start) / (2 + MIN_CELL_BYTES) {
            return Err(corrupt_page(pgno, &format!("{ncell} cells do not fit")));
        }
        let raw = get_u16(data, hdr + 5) as usize;
        let content_start = if raw == 0 { 65536 } else { raw };
        if content_start > geo.usable || content_start < cell_ptr_start + 2 * ncell {
            return Err(corrupt_page(pgno, &format!("cell content area starts at {content_start}")));
        }
        let right_child = if is_leaf(page_type) { 0 } else { get_u32(data, hdr + 8) };
        Ok(PageInfo {
            pgno,
            hdr,
            page_type,
            ncell,
            first_freeblock: get_u16(data, hdr + 1) as usize,
            content_start,
            frag: data[hdr + 7] as usize,
            right_child,
        })
    }

    pub fn is_leaf(&self) -> bool {
        is_leaf(self.page_type)
    }

    pub fn is_table(&self) -> bool {
        is_table(self.page_type)
    }

    pub fn cell_ptr_start(&self) -> usize {
        self.hdr + header_size(self.page_type)
    }

    pub fn cell_ptr_end(&self) -> usize {
        self.cell_ptr_start() + 2 * self.ncell
    }

    /// The offset of cell `i`, checked to lie between the pointer array and the end of the page.
    pub fn cell_offset(&self, data: &[u8], i: usize, geo: &Geometry) -> Result<usize> {
        assert!(i < self.ncell, "cell {i} of {} on page {}", self.ncell, self.pgno);
        let off = get_u16(data, self.cell_ptr_start() + 2 * i) as usize;
        if off < self.cell_ptr_end() || off > geo.usable - MIN_CELL_BYTES {
            return Err(corrupt_page(self.pgno, &format!("cell {i} at offset {off} out of range")));
        }
        Ok(off)
    }

    /// Parses cell `i`.
    pub fn cell(&self, data: &[u8], i: usize, geo: &Geometry) -> Result<CellInfo> {
        let off = self.cell_offset(data, i, geo)?;
        parse_cell(data, off, geo.usable, self.page_type, geo).map_err(|e| match e {
            Error::Corrupt(m) => corrupt_page(self.pgno, &format!("cell {i}: {m}")),
            other => other,
        })
    }

    /// The child page that position `i` (0..=ncell) of an interior page leads to.
    pub fn child(&self, data: &[u8], i: usize, geo: &Geometry) -> Result<PageNumber> {
        debug_assert!(!self.is_leaf());
        if i == self.ncell {
            Ok(self.right_child)
        } else {
            Ok(get_u32(data, self.cell_offset(data, i, geo)?))
        }
    }

    /// Writes the mutable header fields back into the page.
    fn store(&self, data: &mut [u8]) {
        put_u16(data, self.hdr + 1, self.first_freeblock as u16);
        put_u16(data, self.hdr + 3, self.ncell as u16);
        // 65536 is stored as 0, which the `as u16` truncation does.
        put_u16(data, self.hdr + 5, self.content_start as u16);
        data[self.hdr + 7] = self.frag as u8;
    }
}

/// One parsed cell.
#[derive(Debug, Clone, Copy, Default)]
pub struct CellInfo {
    pub offset: usize,
    /// Bytes the cell occupies on a page (at least [`MIN_CELL_BYTES`]).
    pub size: usize,
    /// Bytes the cell's fields take before padding.
    pub raw_size: usize,
    /// Left child (interior pages), else 0.
    pub child: PageNumber,
    /// Rowid (table pages), else 0.
    pub rowid: i64,
    pub payload_size: u64,
    /// Payload bytes on the page.
    pub local: usize,
    /// Where the local payload starts, in the same buffer as `offset`.
    pub payload_offset: usize,
    /// First overflow page, 0 when the payload is all local.
    pub overflow: PageNumber,
}

impl CellInfo {
    pub fn has_overflow(&self) -> bool {
        (self.local as u64) < self.payload_size
    }
}

/// Parses a cell of a page of type `t` starting at `offset` in `data`, which must end by `limit`.
pub fn parse_cell(data: &[u8], offset: usize, limit: usize, t: u8, geo: &Geometry) -> Result<CellInfo> {
    let buf = data.get(offset..limit).ok_or_else(|| Error::corrupt("cell outside the page"))?;
    let mut c = CellInfo { offset, ..CellInfo::default() };
    let mut pos = 0;
    if !is_leaf(t) {
        if buf.len() < 4 {
            return Err(Error::corrupt("truncated child pointer"));
        }
        c.child = get_u32(buf, 0);
        pos = 4;
    }
    if t == PAGE_TABLE_INTERIOR {
        let (v, n) = read_varint(&buf[pos..]).ok_or_else(|| Error::corrupt("truncated rowid"))?;
        c.rowid = v as i64;
        pos += n;
        c.raw_size = pos;
        c.size = pos.max(MIN_CELL_BYTES);
        c.payload_offset = offset + pos;
        return Ok(c);
    }
    let (p, n) = read_varint(&buf[pos..]).ok_or_else(|| Error::corrupt("truncated payload size"))?;
    pos += n;
    if p > MAX_PAYLOAD_BYTES {
        return Err(Error::corrupt(format!("payload size {p} too large")));
    }
    if t == PAGE_TABLE_LEAF {
        let (v, n) = read_varint(&buf[pos..]).ok_or_else(|| Error::corrupt("truncated rowid"))?;
        c.rowid = v as i64;
        pos += n;
    }
    c.payload_size = p;
    c.local = geo.local_size(t, p);
    c.payload_offset = offset + pos;
    pos += c.local;
    if c.has_overflow() {
        if pos + 4 > buf.len() {
            return Err(Error::corrupt("cell extends past the end of the page"));
        }
        c.overflow = get_u32(buf, pos);
        pos += 4;
    } else if pos > buf.len() {
        return Err(Error::corrupt("cell extends past the end of the page"));
    }
    c.raw_size = pos;
    c.size = pos.max(MIN_CELL_BYTES);
    Ok(c)
}

/// Just the rowid of the table cell at `offset` (the binary searches' hot path).
pub fn cell_rowid(data: &[u8], offset: usize, limit: usize, t: u8) -> Result<i64> {
    let buf = data.get(offset..limit).ok_or_else(|| Error::corrupt("cell outside the page"))?;
    let pos = match t {
        PAGE_TABLE_INTERIOR => 4,
        PAGE_TABLE_LEAF => read_varint(buf).ok_or_else(|| Error::corrupt("truncated payload size"))?.1,
        _ => return Err(Error::Internal("rowid of an index cell".into())),
    };
    let (v, _) = buf.get(pos..).and_then(read_varint).ok_or_else(|| Error::corrupt("truncated rowid"))?;
    Ok(v as i64)
}

/// The child pointer at the start of an interior cell held in memory.
pub fn cell_child(cell: &[u8]) -> Result<PageNumber> {
    if cell.len() < 4 {
        return Err(Error::corrupt("interior cell shorter than its child pointer"));
    }
    Ok(get_u32(cell, 0))
}

pub fn set_cell_child(cell: &mut [u8], child: PageNumber) {
    put_u32(cell, 0, child);
}

/// Reshapes `cell` to the exact size a cell of type `t` takes: trims bytes past its fields
/// (padding from another page type) and pads to [`MIN_CELL_BYTES`].
pub fn fit_cell(mut cell: Vec<u8>, t: u8, geo: &Geometry) -> Result<Vec<u8>> {
    let info = parse_cell(&cell, 0, cell.len(), t, geo)?;
    cell.truncate(info.raw_size);
    cell.resize(info.size, 0);
    Ok(cell)
}

/// Cells held in memory, in one buffer: a balance copies hundreds of cells, and an allocation
/// per cell would cost more than the copying. Removing a cell only forgets its span; the buffer
/// lives as long as one balance.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    buf: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// Sum of the cells' lengths.
    bytes: usize,
}

impl Cells {
    pub fn with_capacity(cells: usize, bytes: usize) -> Cells {
        Cells { buf: Vec::with_capacity(bytes), spans: Vec::with_capacity(cells), bytes: 0 }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Sum of the cells' lengths.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn get(&self, i: usize) -> &[u8] {
        let (start, len) = self.spans[i];
        &self.buf[start..start + len]
    }

    pub fn get_mut(&mut self, i: usize) -> &mut [u8] {
        let (start, len) = self.spans[i];
        &mut self.buf[start..start + len]
    }

    pub fn push(&mut self, cell: &[u8]) {
        self.insert(self.spans.len(), cell);
    }

    pub fn insert(&mut self, i: usize, cell: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(cell);
        self.spans.insert(i, (start, cell.len()));
        self.bytes += cell.len();
    }

    /// Removes cells `range` and returns copies of them.
    pub fn remove_range(&mut self, range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
        let removed: Vec<Vec<u8>> = range.clone().map(|i| self.get(i).to_vec()).collect();
        self.spans.drain(range);
        self.bytes -= removed.iter().map(Vec::len).sum::<usize>();
        removed
    }

    /// Appends copies of `other`'s cells `range`.
    pub fn extend_from(&mut self, other: &Cells, range: std::ops::Range<usize>) {
        for i in range {
            self.push(other.get(i));
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.spans.iter().map(|&(start, len)| &self.buf[start..start + len])
    }
}

/// A page's content held in memory while it is rebuilt: the cells in order and the right child.
#[derive(Debug, Clone)]
pub struct Node {
    pub page_type: u8,
    pub cells: Cells,
    pub right: PageNumber,
}

impl Node {
    pub fn empty(page_type: u8, right: PageNumber) -> Node {
        Node { page_type, cells: Cells::default(), right }
    }

    /// Bytes the cells and their pointers take.
    pub fn content_bytes(&self) -> usize {
        self.cells.bytes() + 2 * self.cells.len()
    }

    /// Whether the node fits on a page whose B-tree header starts at `hdr`.
    pub fn fits(&self, hdr: usize, geo: &Geometry) -> bool {
        hdr + header_size(self.page_type) + self.content_bytes() <= geo.usable
    }
}

/// Copies every cell of a page into a [`Node`].
pub fn read_node(data: &[u8], info: &PageInfo, geo: &Geometry) -> Result<Node> {
    let mut cells = Cells::with_capacity(info.ncell, geo.usable.saturating_sub(info.content_start));
    read_cells_into(data, info, geo, &mut cells)?;
    Ok(Node { page_type: info.page_type, cells, right: info.right_child })
}

/// Appends copies of every cell of a page to `out`.
pub fn read_cells_into(data: &[u8], info: &PageInfo, geo: &Geometry, out: &mut Cells) -> Result<()> {
    for i in 0..info.ncell {
        let c = info.cell(data, i, geo)?;
        out.push(&data[c.offset..c.offset + c.size]);
    }
    Ok(())
}

/// Whether cells `range` of `cells` fit on a page of type `t` whose header starts at `hdr`.
pub fn cells_fit(cells: &Cells, range: std::ops::Range<usize>, t: u8, hdr: usize, geo: &Geometry) -> bool {
    let content: usize = range.map(|i| cells.get(i).len() + 2).sum();
    hdr + header_size(t) + content <= geo.usable
}

/// Writes `node` as the whole content of a page (defragmented: no freeblocks, no fragments).
/// Bytes before `hdr` (the database header on page 1) are kept.
pub fn write_node(data: &mut [u8], hdr: usize, node: &Node, geo: &Geometry) {
    write_cells(data, hdr, node.page_type, node.right, &node.cells, 0..node.cells.len(), geo);
}

/// Writes cells `range` of `cells` as the whole content of a page of type `t`, like [`write_node`].
pub fn write_cells(
    data: &mut [u8],
    hdr: usize,
    t: u8,
    right: PageNumber,
    cells: &Cells,
    range: std::ops::Range<usize>,
    geo: &Geometry,
) {
    assert!(cells_fit(cells, range.clone(), t, hdr, geo), "cells do not fit their page");
    let usable = geo.usable;
    let ncell = range.len();
    let ptr_start = hdr + header_size(t);
    let mut top = usable;
    for (i, ci) in range.enumerate() {
        let cell = cells.get(ci);
        top -= cell.len();
        data[top..top + cell.len()].copy_from_slice(cell);
        put_u16(data, ptr_start + 2 * i, top as u16);
    }
    data[hdr..ptr_start].fill(0);
    data[ptr_start + 2 * ncell..top].fill(0);
    data[hdr] = t;
    if !is_leaf(t) {
        put_u32(data, hdr + 8, right);
    }
    let info = PageInfo {
        pgno: 0,
        hdr,
        page_type: t,
        ncell,
        first_freeblock: 0,
        content_start: top,
        frag: 0,
        right_child: right,
    };
    info.store(data);
}

/// Formats `data` as an empty page of type `t`.
pub fn zero_page(data: &mut [u8], hdr: usize, t: u8, geo: &Geometry) {
    write_node(data, hdr, &Node::empty(t, 0), geo);
}

/// Free bytes on the page: the gap between the pointer array and the content area, the
/// freeblocks, and the fragments. Checks the freeblock chain as SQLite's btreeComputeFreeSpace.
pub fn free_space(data: &[u8], info: &PageInfo, geo: &Geometry) -> Result<usize> {
    let usable = geo.usable;
    let top = info.content_start;
    let first = info.cell_ptr_end();
    let mut total = info.frag + top;
    let mut pc = info.first_freeblock;
    if pc > 0 {
        if pc < top {
            return Err(corrupt_page(info.pgno, "freeblock before the cell content area"));
        }
        // Bounded: offsets strictly increase (by at least 4) and stay below the usable size.
        loop {
            if pc > usable - 4 {
                return Err(corrupt_page(info.pgno, "freeblock past the end of the page"));
            }
            let next = get_u16(data, pc) as usize;
            let size = get_u16(data, pc + 2) as usize;
            total += size;
            if next <= pc + size + 3 {
                if next > 0 {
                    return Err(corrupt_page(info.pgno, "freeblocks out of order"));
                }
                if pc + size > usable {
                    return Err(corrupt_page(info.pgno, "freeblock extends past the end of the page"));
                }
                break;
            }
            pc = next;
        }
    }
    if total > usable || total < first {
        return Err(corrupt_page(info.pgno, "free space accounting is inconsistent"));
    }
    Ok(total - first)
}

/// Takes `n` bytes from a freeblock, first fit (SQLite's pageFindSlot). `None` when no freeblock
/// can serve without pushing the fragment count past 60.
fn find_slot(data: &mut [u8], info: &mut PageInfo, n: usize, geo: &Geometry) -> Result<Option<usize>> {
    let mut prev = info.hdr + 1;
    let mut pc = info.first_freeblock;
    // Bounded by the usable size: offsets strictly increase (checked).
    while pc != 0 {
        if pc <= prev || pc > geo.usable - 4 {
            return Err(corrupt_page(info.pgno, "freeblock chain out of order"));
        }
        let size = get_u16(data, pc + 2) as usize;
        if size >= n {
            let rest = size - n;
            if rest < 4 {
                if data[info.hdr + 7] > MAX_FRAGMENTS_BEFORE_SLOT {
                    return Ok(None);
                }
                let next = get_u16(data, pc);
                put_u16(data, prev, next);
                if prev == info.hdr + 1 {
                    info.first_freeblock = next as usize;
                }
                info.frag += rest;
                data[info.hdr + 7] = info.frag as u8;
                return Ok(Some(pc));
            }
            if pc + rest > geo.usable {
                return Err(corrupt_page(info.pgno, "freeblock extends past the end of the page"));
            }
            put_u16(data, pc + 2, rest as u16);
            return Ok(Some(pc + rest));
        }
        prev = pc;
        pc = get_u16(data, pc) as usize;
    }
    Ok(None)
}

/// Reserves `n` bytes of cell content (SQLite's allocateSpace). The caller has checked that the
/// page has `n + 2` free bytes (the 2 for the new cell pointer).
fn allocate_space(data: &mut [u8], info: &mut PageInfo, n: usize, geo: &Geometry) -> Result<usize> {
    let gap = info.cell_ptr_end();
    if gap > info.content_start {
        return Err(corrupt_page(info.pgno, "cell pointers overlap the content area"));
    }
    if info.first_freeblock != 0 && gap + 2 <= info.content_start {
        if let Some(off) = find_slot(data, info, n, geo)? {
            return Ok(off);
        }
    }
    if gap + 2 + n > info.content_start {
        defragment(data, info, geo)?;
        if gap + 2 + n > info.content_start {
            return Err(corrupt_page(info.pgno, "free space smaller than its accounting"));
        }
    }
    info.content_start -= n;
    info.store(data);
    Ok(info.content_start)
}

/// Inserts `cell` as cell `idx`. Returns false, leaving the page unchanged, when it does not fit.
pub fn insert_cell(data: &mut [u8], info: &mut PageInfo, idx: usize, cell: &[u8], geo: &Geometry) -> Result<bool> {
    assert!(idx <= info.ncell && cell.len() >= MIN_CELL_BYTES);
    if cell.len() + 2 > free_space(data, info, geo)? {
        return Ok(false);
    }
    let off = allocate_space(data, info, cell.len(), geo)?;
    data[off..off + cell.len()].copy_from_slice(cell);
    let at = info.cell_ptr_start() + 2 * idx;
    let end = info.cell_ptr_end();
    data.copy_within(at..end, at + 2);
    put_u16(data, at, off as u16);
    info.ncell += 1;
    info.store(data);
    Ok(true)
}

/// Removes cell `idx`, turning its bytes into a freeblock (or fragments).
pub fn drop_cell(data: &mut [u8], info: &mut PageInfo, idx: usize, geo: &Geometry) -> Result<()> {
    let c = info.cell(data, idx, geo)?;
    if c.offset + c.size > geo.usable {
        return Err(corrupt_page(info.pgno, "cell extends past the end of the page"));
    }
    free_block(data, info, c.offset, c.size, geo)?;
    let at = info.cell_ptr_start() + 2 * idx;
    let end = info.cell_ptr_end();
    data.copy_within(at + 2..end, at);
    info.ncell -= 1;
    if info.ncell == 0 {
        // An empty page has no freeblocks or fragments (as SQLite's dropCell leaves it).
        info.first_freeblock = 0;
        info.frag = 0;
        info.content_start = geo.usable;
    }
    info.store(data);
    Ok(())
}

/// Returns `size` bytes at `start` to the page's free space (SQLite's freeSpace): merges with the
/// neighbouring freeblocks when they are less than 4 bytes away (the gap bytes were fragments),
/// and moves the content area start instead when the block is at the start of the area.
fn free_block(data: &mut [u8], info: &mut PageInfo, start: usize, size: usize, geo: &Geometry) -> Result<()> {
    let usable = geo.usable;
    let hdr = info.hdr;
    let mut start = start;
    let mut end = start + size;
    let mut ptr = hdr + 1;
    let mut next;
    if info.first_freeblock != 0 {
        let mut absorbed = 0usize;
        // Bounded: `ptr` strictly increases (checked) and stays below the usable size.
        loop {
            next = get_u16(data, ptr) as usize;
            if next >= start {
                break;
            }
            if next <= ptr {
                if next == 0 {
                    break;
                }
                return Err(corrupt_page(info.pgno, "freeblock chain out of order"));
            }
            ptr = next;
        }
        if next > usable - 4 {
            return Err(corrupt_page(info.pgno, "freeblock past the end of the page"));
        }
        if next != 0 && end + 3 >= next {
            if end > next {
                return Err(corrupt_page(info.pgno, "freed cell overlaps a freeblock"));
            }
            absorbed = next - end;
            end = next + get_u16(data, next + 2) as usize;
            if end > usable {
                return Err(corrupt_page(info.pgno, "freeblock extends past the end of the page"));
            }
            next = get_u16(data, next) as usize;
        }
        if ptr > hdr + 1 {
            let ptr_end = ptr + get_u16(data, ptr + 2) as usize;
            if ptr_end + 3 >= start {
                if ptr_end > start {
                    return Err(corrupt_page(info.pgno, "freed cell overlaps a freeblock"));
                }
                absorbed += start - ptr_end;
                start = ptr;
            }
        }
        if absorbed > info.frag {
            return Err(corrupt_page(info.pgno, "fragment count too small"));
        }
        info.frag -= absorbed;
    } else {
        next = 0;
    }
    if start <= info.content_start {
        if start < info.content_start || ptr != hdr + 1 {
            return Err(corrupt_page(info.pgno, "freed cell before the content area"));
        }
        info.first_freeblock = next;
        info.content_start = end;
    } else {
        put_u16(data, ptr, start as u16);
        if ptr == hdr + 1 {
            info.first_freeblock = start;
        }
        put_u16(data, start, next as u16);
        put_u16(data, start + 2, (end - start) as u16);
    }
    info.store(data);
    Ok(())
}

/// Moves every cell to the end of the page, leaving one gap and no freeblocks or fragments
/// (SQLite's defragmentPage). Cell order and the pointer array are kept.
pub fn defragment(data: &mut [u8], info: &mut PageInfo, geo: &Geometry) -> Result<()> {
    let usable = geo.usable;
    let src = data[..usable].to_vec();
    let mut top = usable;
    let ptr_end = info.cell_ptr_end();
    for i in 0..info.ncell {
        let c = info.cell(&src, i, geo)?;
        if top < ptr_end + c.size {
            return Err(corrupt_page(info.pgno, "cells overlap"));
        }
        top -= c.size;
        data[top..top + c.size].copy_from_slice(&src[c.offset..c.offset + c.size]);
        put_u16(data, info.cell_ptr_start() + 2 * i, top as u16);
    }
    data[ptr_end..top].fill(0);
    info.first_freeblock = 0;
    info.frag = 0;
    info.content_start = top;
    info.store(data);
    Ok(())
}

/// The divider cell of a table interior page: left child and rowid.
pub fn table_interior_cell(child: PageNumber, rowid: i64) -> Vec<u8> {
    let mut cell = Vec::with_capacity(13);
    cell.extend_from_slice(&child.to_be_bytes());
    push_varint(&mut cell, rowid as u64);
    cell.resize(cell.len().max(MIN_CELL_BYTES), 0);
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geometry {
        Geometry::new(512)
    }

    fn leaf_cell(rowid: i64, len: usize) -> Vec<u8> {
        let mut c = Vec::new();
        push_varint(&mut c, len as u64);
        push_varint(&mut c, rowid as u64);
        c.extend(std::iter::repeat_n(rowid as u8, len));
        c.resize(c.len().max(4), 0);
        c
    }

    #[test]
    fn local_size_follows_the_file_format() {
        // Values from SQLite's formulas for a 4096-byte page: maxLocal 4061 (table) and 1002
        // (index), minLocal 489.
        let g = Geometry::new(4096);
        assert_eq!(g.local_size(PAGE_TABLE_LEAF, 4061), 4061);
        // Just over maxLocal the surplus would exceed it, so only minLocal stays on the page.
        assert_eq!(g.local_size(PAGE_TABLE_LEAF, 4062), 489);
        assert_eq!(g.local_size(PAGE_TABLE_LEAF, 4092 + 600), 600);
        assert_eq!(g.local_size(PAGE_INDEX_LEAF, 1002), 1002);
        assert_eq!(g.local_size(PAGE_INDEX_LEAF, 1003), 489);
        assert_eq!(g.local_size(PAGE_INDEX_LEAF, 5000), 908);
        assert_eq!(g.local_size(PAGE_TABLE_LEAF, 100_000), 1792);
    }

    #[test]
    fn insert_drop_keeps_free_space_consistent() {
        let g = geo();
        let mut data = vec![0u8; 512];
        zero_page(&mut data, 0, PAGE_TABLE_LEAF, &g);
        let mut info = PageInfo::parse(&data, 2, &g).unwrap();
        let initial = free_space(&data, &info, &g).unwrap();
        assert_eq!(initial, 512 - 8);
        let mut n = 0;
        while insert_cell(&mut data, &mut info, n, &leaf_cell(n as i64, 7 + n % 5), &g).unwrap() {
            n += 1;
        }
        // Drop every other cell, then refill: freeblocks and fragments must be reused.
        for i in (0..n).rev().step_by(2) {
            drop_cell(&mut data, &mut info, i, &g).unwrap();
            free_space(&data, &info, &g).unwrap();
        }
        let mut m = 0;
        loop {
            let at = info.ncell;
            if !insert_cell(&mut data, &mut info, at, &leaf_cell(100 + m, 3), &g).unwrap() {
                break;
            }
            m += 1;
        }
        assert!(m > 0);
        assert!(info.frag <= 60);
        while info.ncell > 0 {
            drop_cell(&mut data, &mut info, 0, &g).unwrap();
        }
        assert_eq!(free_space(&data, &info, &g).unwrap(), initial);
        assert_eq!(info.content_start, 512);
    }

    #[test]
    fn bad_headers_are_corrupt() {
        let g = geo();
        let mut data = vec![0u8; 512];
        data[0] = 0x07;
        assert!(matches!(PageInfo::parse(&data, 2, &g), Err(Error::Corrupt(_))));
        zero_page(&mut data, 0, PAGE_TABLE_LEAF, &g);
        put_u16(&mut data, 3, 200);
        assert!(matches!(PageInfo::parse(&data, 2, &g), Err(Error::Corrupt(_))));
        zero_page(&mut data, 0, PAGE_TABLE_LEAF, &g);
        put_u16(&mut data, 3, 1);
        put_u16(&mut data, 8, 600);
        put_u16(&mut data, 5, 500);
        let info = PageInfo::parse(&data, 2, &g).unwrap();
        assert!(matches!(info.cell(&data, 0, &g), Err(Error::Corrupt(_))));
    }
}
