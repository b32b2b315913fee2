//! The B-tree layer: cursors over table trees (rowid keys, data in the leaves) and index trees
//! (key records, in every page), in SQLite's file format. Built on the pager; knows nothing of SQL.
//!
//! Code map:
//! - `btree_page.rs`: the page format (headers, cells, overflow thresholds) and single-page edits.
//! - this file: cursors (navigation, seek, insert, delete, count) and whole-tree operations.
//! - `btree_balance.rs`: balance_quick, balance_nonroot, balance_deeper (splits and merges).
//! - `integrity.rs`: `PRAGMA integrity_check` over the trees.
//!
//! Cursor position: a stack of pages from the root with an index in each. On interior levels the
//! index is the child taken (0..=ncell, ncell being the right child); on the top level it is the
//! cell the cursor is on. Table entries live only in leaves; index cursors can be on an interior
//! cell, since an index divider is a real entry.
//!
//! Cursor states:
//! ```text
//!   Invalid --rewind/last/seek--> Valid <--next/prev--> Eof
//!                                  |  ^
//!            delete (no rebalance) |  | next/prev (from the hole)
//!                                  v  |
//!                                 Hole
//!   Valid/Hole --the tree's stamp moved, or delete rebalanced--> Saved --restore (seek)--> Valid/Hole
//! ```
//! `Hole` is the place of a deleted key: the stack points at its successor position (possibly
//! the end of a leaf), so next() lands on the entry that followed it and prev() on the one before.
//! `Saved` keeps just the key (rowid or key record) and re-seeks on the next use (SQLite's
//! saveCursorPosition/restoreCursorPosition).
//!
//! Cursor save and restore: the pager keeps a change stamp per tree root
//! ([`Pager::tree_stamp`]). Every write through a cursor bumps its tree's stamp first; every
//! cursor compares its stamp on each call and, when it moved, turns its position into `Saved`
//! before touching a page, because the pages it holds may have been rewritten or freed.
//!
//! Async: navigation methods build the new position in locals and commit it only when every page
//! the step needs is in hand, so `IoPoll::Pending` leaves the cursor unchanged. Writes read
//! pages blocking, after loading the whole leaf path.
//!
//! Architecture invariants: every page read from disk is checked before use (`Error::Corrupt`,
//! never a panic); every loop over on-disk structures is bounded by the page count, the tree
//! depth limit or the payload size.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::limits;
use crate::ready;
use crate::storage::btree_balance::{self, PathLevel};
use crate::storage::btree_page::{
    cell_rowid, drop_cell, fit_cell, free_space, header_offset, insert_cell, is_table, read_node, zero_page, CellInfo,
    Geometry, Node, PageInfo, MAX_PAYLOAD_BYTES, MIN_CELL_BYTES, PAGE_INDEX_INTERIOR, PAGE_INDEX_LEAF, PAGE_TABLE_LEAF,
};
use crate::storage::header::{get_u32, put_u32};
pub use crate::storage::integrity::integrity_check;
use crate::storage::pager::{PageNumber, PageRef, Pager};
use crate::storage::record::{compare_record, decode_record, KeyInfo};
use crate::storage::varint::push_varint;
use crate::storage::IoPoll;
use crate::value::Value;

/// What a tree holds.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeKind {
    /// Rowid keys with the record in the leaves.
    Table,
    /// Key records only: indexes and WITHOUT ROWID tables.
    Index(KeyInfo),
}

impl TreeKind {
    pub fn is_table(&self) -> bool {
        matches!(self, TreeKind::Table)
    }

    fn leaf_type(&self) -> u8 {
        if self.is_table() {
            PAGE_TABLE_LEAF
        } else {
            PAGE_INDEX_LEAF
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekOp {
    GE,
    GT,
    LE,
    LT,
    EQ,
}

#[derive(Debug, Clone, Copy)]
pub enum SeekKey<'a> {
    Rowid(i64),
    /// Column values compared with the stored key records; may be a prefix of their columns.
    Index(&'a [Value]),
}

#[derive(Debug, Clone, Copy)]
pub enum InsertKey<'a> {
    Rowid(i64),
    /// The key record (for index trees the data is empty).
    Index(&'a [u8]),
}

/// Bound on the retries of a blocking wait for page reads: each retry follows a completed read.
const MAX_IO_RETRIES: usize = 100_000_000;

/// One level of a cursor's path.
#[derive(Debug, Clone)]
struct Level {
    page: PageRef,
    info: PageInfo,
    idx: usize,
}

#[derive(Debug, Clone)]
enum SavedKey {
    Rowid(i64),
    Record(Vec<u8>),
}

#[derive(Debug)]
enum State {
    Invalid,
    Valid,
    Eof,
    Hole(SavedKey),
    Saved(SavedKey),
}

/// What a seek compares the entries with.
enum Probe<'a> {
    Rowid(i64),
    Values(&'a [Value]),
}

/// Progress of a payload read that returned `Pending`, so the retry continues where it stopped
/// instead of re-reading the overflow chain from its start.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PayloadProgress {
    /// Which buffer is being filled: a resumed read must append to the same one.
    buffer: Buffer,
    first_overflow: PageNumber,
    payload_size: u64,
    done_bytes: usize,
    done_pages: u64,
    next: PageNumber,
    stamp: u64,
}

/// The destination of a payload read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Buffer {
    Scratch,
    Payload,
}

/// The resumable state of `count()`.
#[derive(Debug)]
struct CountState {
    stack: Vec<(PageRef, PageInfo, usize)>,
    total: u64,
    started: bool,
    stamp: u64,
}

#[derive(Debug)]
struct Position {
    stack: Vec<Level>,
    state: State,
    stamp: u64,
    rowid: i64,
    /// Index cursors: the whole key record of the current entry.
    key: Vec<u8>,
    /// Table cursors: the record of the current entry, once read.
    payload: Vec<u8>,
    payload_ready: bool,
}

/// A cursor over one tree.
#[derive(Debug)]
pub struct BTreeCursor {
    root: PageNumber,
    kind: TreeKind,
    pos: Position,
    scratch: Vec<u8>,
    /// Tree pages loaded by an operation that returned `Pending`, held so the cache keeps them
    /// until the retry (a deep descent could otherwise evict its own upper levels and livelock).
    pins: Vec<PageRef>,
    progress: Option<PayloadProgress>,
    count: Option<CountState>,
}

/// Navigation over a tree, borrowing what it needs from a cursor and the pager.
struct Nav<'a> {
    pager: &'a mut Pager,
    geo: Geometry,
    root: PageNumber,
    kind: &'a TreeKind,
    scratch: &'a mut Vec<u8>,
    pins: &'a mut Vec<PageRef>,
    progress: &'a mut Option<PayloadProgress>,
    /// The cursor's current path, when the tree has not changed since it was loaded: a descent
    /// reuses its pages instead of asking the pager again (most seeks share the upper levels).
    hint: Vec<Level>,
}

fn geometry(pager: &Pager) -> Geometry {
    Geometry::new(pager.usable_size())
}

/// Drives `f` until it is ready, running the I/O backend in between.
fn block<T>(pager: &mut Pager, mut f: impl FnMut(&mut Pager) -> Result<IoPoll<T>>) -> Result<T> {
    for _ in 0..MAX_IO_RETRIES {
        match f(pager)? {
            IoPoll::Ready(v) => return Ok(v),
            IoPoll::Pending => pager.run_io()?,
        }
    }
    Err(Error::Internal("B-tree page read never completed".into()))
}

/// Reads the whole payload of cell `c` (whose page image is `data`) into `out`, following the
/// overflow chain. The chain length is bounded by the payload size and the page count, and a
/// chain that loops back to its start is corruption. A read that returns `Pending` resumes where
/// it stopped when called again for the same cell (`progress`); `pins` keeps the overflow pages
/// cached for an operation that reads several payloads (a seek comparing keys), so its retry
/// finds the earlier ones without reading them again.
fn read_payload(
    pager: &mut Pager,
    geo: &Geometry,
    data: &[u8],
    c: &CellInfo,
    out: &mut Vec<u8>,
    buffer: Buffer,
    progress: &mut Option<PayloadProgress>,
    root: PageNumber,
    mut pins: Option<&mut Vec<PageRef>>,
) -> Result<IoPoll<()>> {
    let local = &data[c.payload_offset..c.payload_offset + c.local];
    if !c.has_overflow() {
        out.clear();
        out.extend_from_slice(local);
        return Ok(IoPoll::Ready(()));
    }
    let pages = geo.overflow_pages(c.payload_size, c.local);
    if pages > u64::from(pager.page_count()) {
        return Err(Error::corrupt(format!(
            "payload of {} bytes needs more pages than the database has",
            c.payload_size
        )));
    }
    let stamp = pager.tree_stamp(root);
    let mut state = match *progress {
        Some(p)
            if p.buffer == buffer
                && p.first_overflow == c.overflow
                && p.payload_size == c.payload_size
                && p.stamp == stamp
                && out.len() == p.done_bytes =>
        {
            p
        }
        _ => {
            out.clear();
            out.reserve(c.payload_size as usize);
            out.extend_from_slice(local);
            PayloadProgress {
                buffer,
                first_overflow: c.overflow,
                payload_size: c.payload_size,
                done_bytes: out.len(),
                done_pages: 0,
                next: c.overflow,
                stamp,
            }
        }
    };
    *progress = None;
    let chunk = geo.overflow_bytes();
    while state.done_pages < pages {
        let pgno = state.next;
        if pgno < 2 || pgno > pager.page_count() {
            return Err(Error::corrupt(format!("overflow page {pgno} out of range")));
        }
        let page = match pager.get(pgno)? {
            IoPoll::Ready(p) => p,
            IoPoll::Pending => {
                *progress = Some(state);
                return Ok(IoPoll::Pending);
            }
        };
        if let Some(pins) = pins.as_deref_mut() {
            pins.push(page.clone());
        }
        let d = page.read();
        let take = (c.payload_size as usize - state.done_bytes).min(chunk);
        out.extend_from_slice(&d[4..4 + take]);
        state.done_bytes += take;
        state.done_pages += 1;
        state.next = get_u32(&d, 0);
        if (state.next == c.overflow || state.next == pgno) && state.done_pages < pages {
            return Err(Error::corrupt(format!("overflow chain loops at page {pgno}")));
        }
    }
    debug_assert_eq!(out.len() as u64, c.payload_size);
    Ok(IoPoll::Ready(()))
}

/// The pages of the overflow chain of `c`, checked: in range, no repeats, none of `in_use`.
fn overflow_chain(pager: &mut Pager, geo: &Geometry, c: &CellInfo, in_use: &[PageNumber]) -> Result<Vec<PageNumber>> {
    if !c.has_overflow() {
        return Ok(Vec::new());
    }
    let pages = geo.overflow_pages(c.payload_size, c.local);
    if pages > u64::from(pager.page_count()) {
        return Err(Error::corrupt("overflow chain longer than the database"));
    }
    let mut chain = Vec::with_capacity(pages as usize);
    let mut seen = HashSet::with_capacity(pages as usize);
    let mut pgno = c.overflow;
    for i in 0..pages {
        if pgno < 2 || pgno > pager.page_count() || !seen.insert(pgno) || in_use.contains(&pgno) {
            return Err(Error::corrupt(format!("bad overflow page {pgno}")));
        }
        chain.push(pgno);
        if i + 1 < pages {
            pgno = get_u32(&pager.get_blocking(pgno)?.read(), 0);
        }
    }
    Ok(chain)
}

/// Frees the overflow chain of `c`.
fn free_overflow(pager: &mut Pager, geo: &Geometry, c: &CellInfo, in_use: &[PageNumber]) -> Result<()> {
    for pgno in overflow_chain(pager, geo, c, in_use)? {
        pager.free(pgno)?;
    }
    Ok(())
}

/// Builds the leaf cell for a new entry, spilling the payload past the local part into newly
/// allocated overflow pages.
fn build_cell(pager: &mut Pager, geo: &Geometry, t: u8, rowid: i64, payload: &[u8]) -> Result<Vec<u8>> {
    if payload.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(Error::TooBig);
    }
    let local = geo.local_size(t, payload.len() as u64);
    let mut cell = Vec::with_capacity(local + 22);
    push_varint(&mut cell, payload.len() as u64);
    if t == PAGE_TABLE_LEAF {
        push_varint(&mut cell, rowid as u64);
    }
    cell.extend_from_slice(&payload[..local]);
    if local < payload.len() {
        let mut prev: Option<PageRef> = None;
        for chunk in payload[local..].chunks(geo.overflow_bytes()) {
            let page = pager.allocate()?;
            {
                let mut d = page.write();
                put_u32(&mut d, 0, 0);
                d[4..4 + chunk.len()].copy_from_slice(chunk);
            }
            match &prev {
                Some(p) => put_u32(&mut p.write(), 0, page.pgno()),
                None => cell.extend_from_slice(&page.pgno().to_be_bytes()),
            }
            prev = Some(page);
        }
    }
    cell.resize(cell.len().max(MIN_CELL_BYTES), 0);
    Ok(cell)
}

impl Nav<'_> {
    fn is_table(&self) -> bool {
        self.kind.is_table()
    }

    fn key_info(&self) -> &KeyInfo {
        match self.kind {
            TreeKind::Index(k) => k,
            TreeKind::Table => unreachable!("key info of a table tree"),
        }
    }

    /// Loads page `pgno` as the next level below `stack`, checking it belongs there.
    fn load(&mut self, pgno: PageNumber, stack: &[Level]) -> Result<IoPoll<Level>> {
        if stack.is_empty() {
            debug_assert_eq!(pgno, self.root);
        } else if pgno < 2 || stack.iter().any(|l| l.page.pgno() == pgno) {
            return Err(Error::corrupt(format!(
                "page {} has child page {pgno}, which is on its own path",
                stack[stack.len() - 1].page.pgno()
            )));
        } else if stack.len() >= limits::MAX_BTREE_DEPTH {
            return Err(Error::corrupt(format!("tree {} deeper than {} levels", self.root, limits::MAX_BTREE_DEPTH)));
        }
        if let Some(h) = self.hint.get(stack.len()) {
            if h.page.pgno() == pgno {
                let level = Level { page: h.page.clone(), info: h.info, idx: 0 };
                self.pins.push(level.page.clone());
                return Ok(IoPoll::Ready(level));
            }
            self.hint.truncate(stack.len());
        }
        if pgno == 0 || pgno > self.pager.page_count() {
            return Err(Error::corrupt(format!(
                "page {pgno} out of range (database has {} pages)",
                self.pager.page_count()
            )));
        }
        let page = ready!(self.pager.get(pgno)?);
        let info = PageInfo::parse(&page.read(), pgno, &self.geo)?;
        if info.is_table() != self.is_table() {
            return Err(Error::corrupt(format!("page {pgno} has the wrong kind for tree {}", self.root)));
        }
        self.pins.push(page.clone());
        Ok(IoPoll::Ready(Level { page, info, idx: 0 }))
    }

    /// Pushes the child at the top level's index; the new level starts at its first position
    /// (`leftmost`) or its end position.
    fn push_child(&mut self, stack: &mut Vec<Level>, leftmost: bool) -> Result<IoPoll<()>> {
        let top = stack.last().expect("non-empty path");
        let child = {
            let d = top.page.read();
            top.info.child(&d, top.idx, &self.geo)?
        };
        let mut level = ready!(self.load(child, stack)?);
        level.idx = if leftmost { 0 } else { level.info.ncell };
        stack.push(level);
        Ok(IoPoll::Ready(()))
    }

    /// Descends from the top level to a leaf, always first (`leftmost`) or always last.
    fn descend(&mut self, stack: &mut Vec<Level>, leftmost: bool) -> Result<IoPoll<()>> {
        while !stack.last().expect("non-empty path").info.is_leaf() {
            ready!(self.push_child(stack, leftmost)?);
        }
        Ok(IoPoll::Ready(()))
    }

    /// A bound on the steps of a walk that may cross empty pages.
    fn walk_bound(&self) -> usize {
        self.pager.page_count() as usize + 2
    }

    /// From a position (an entry, or the end of a leaf), finds the first entry at or after it.
    /// Returns false (with the stack emptied) when there is none.
    fn settle_forward(&mut self, stack: &mut Vec<Level>) -> Result<IoPoll<bool>> {
        for _ in 0..self.walk_bound() {
            let top = stack.last().expect("non-empty path");
            if top.idx < top.info.ncell {
                return Ok(IoPoll::Ready(true));
            }
            if !top.info.is_leaf() {
                // An interior position past the last cell: continue in the right child.
                ready!(self.push_child(stack, true)?);
                ready!(self.descend(stack, true)?);
                continue;
            }
            loop {
                stack.pop();
                let Some(parent) = stack.last_mut() else {
                    return Ok(IoPoll::Ready(false));
                };
                if parent.idx < parent.info.ncell {
                    if !self.is_table() {
                        // The index divider after the subtree we left is the next entry.
                        return Ok(IoPoll::Ready(true));
                    }
                    parent.idx += 1;
                    break;
                }
            }
            ready!(self.descend(stack, true)?);
        }
        Err(Error::corrupt(format!("tree {} walk did not end", self.root)))
    }

    /// Moves from the current entry to the next one.
    fn step_forward(&mut self, stack: &mut Vec<Level>) -> Result<IoPoll<bool>> {
        let top = stack.last_mut().expect("non-empty path");
        top.idx += 1;
        if !top.info.is_leaf() {
            // On an index divider: the next entry is the first of the subtree to its right.
            ready!(self.push_child(stack, true)?);
            ready!(self.descend(stack, true)?);
        }
        self.settle_forward(stack)
    }

    /// From a position (an entry, or the end of a leaf), finds the last entry before it.
    fn step_back(&mut self, stack: &mut Vec<Level>) -> Result<IoPoll<bool>> {
        for _ in 0..self.walk_bound() {
            let top = stack.last_mut().expect("non-empty path");
            if !top.info.is_leaf() {
                // Before an index divider: the last entry of its left subtree.
                ready!(self.push_child(stack, false)?);
                ready!(self.descend(stack, false)?);
                continue;
            }
            if top.idx > 0 {
                top.idx -= 1;
                return Ok(IoPoll::Ready(true));
            }
            loop {
                stack.pop();
                let Some(parent) = stack.last_mut() else {
                    return Ok(IoPoll::Ready(false));
                };
                if parent.idx > 0 {
                    parent.idx -= 1;
                    if !self.is_table() {
                        return Ok(IoPoll::Ready(true));
                    }
                    break;
                }
            }
            ready!(self.push_child(stack, false)?);
            ready!(self.descend(stack, false)?);
        }
        Err(Error::corrupt(format!("tree {} walk did not end", self.root)))
    }

    /// Compares cell `i` of `level` with the probe (the cell's order relative to it).
    fn compare_cell(&mut self, level: &Level, i: usize, probe: &Probe<'_>) -> Result<IoPoll<Ordering>> {
        let data = level.page.read();
        if let Probe::Rowid(r) = probe {
            let off = level.info.cell_offset(&data, i, &self.geo)?;
            return Ok(IoPoll::Ready(cell_rowid(&data, off, self.geo.usable, level.info.page_type)?.cmp(r)));
        }
        let c = level.info.cell(&data, i, &self.geo)?;
        match probe {
            Probe::Rowid(_) => unreachable!("handled above"),
            Probe::Values(values) => {
                if !c.has_overflow() {
                    let local = &data[c.payload_offset..c.payload_offset + c.local];
                    return Ok(IoPoll::Ready(compare_record(local, values, self.key_info())?));
                }
                ready!(read_payload(
                    self.pager,
                    &self.geo,
                    &data,
                    &c,
                    self.scratch,
                    Buffer::Scratch,
                    self.progress,
                    self.root,
                    Some(self.pins)
                )?);
                Ok(IoPoll::Ready(compare_record(self.scratch, values, self.key_info())?))
            }
        }
    }

    /// The first cell of `level` at or after the probe (`strict`: after it), and whether that
    /// cell compares equal.
    fn lower_bound(&mut self, level: &Level, probe: &Probe<'_>, strict: bool) -> Result<IoPoll<(usize, bool)>> {
        let n = level.info.ncell;
        if let Probe::Rowid(r) = probe {
            // A table seek reads only the cells' rowids: one read lock on the page for the
            // whole search rather than one per comparison.
            let data = level.page.read();
            let geo = &self.geo;
            return bisect(n, strict, |mid| {
                let off = level.info.cell_offset(&data, mid, geo)?;
                Ok(IoPoll::Ready(cell_rowid(&data, off, geo.usable, level.info.page_type)?.cmp(r)))
            });
        }
        bisect(n, strict, |mid| self.compare_cell(level, mid, probe))
    }

    /// Descends to the first position at or after the probe (`strict`: after it), which may be
    /// the end of a leaf. With `stop_at_equal`, stops at an entry equal to the probe, on any
    /// level of an index tree, and returns true.
    fn seek_position(
        &mut self,
        stack: &mut Vec<Level>,
        probe: &Probe<'_>,
        strict: bool,
        stop_at_equal: bool,
    ) -> Result<IoPoll<bool>> {
        stack.clear();
        let root = ready!(self.load(self.root, stack)?);
        stack.push(root);
        loop {
            let top = stack.len() - 1;
            let (i, eq) = ready!(self.lower_bound(&stack[top], probe, strict)?);
            stack[top].idx = i;
            let leaf = stack[top].info.is_leaf();
            if stop_at_equal && eq && (leaf || !self.is_table()) {
                return Ok(IoPoll::Ready(true));
            }
            if leaf {
                return Ok(IoPoll::Ready(false));
            }
            ready!(self.push_child(stack, true)?);
        }
    }

    /// The rowid of the entry at the top of `stack` (table trees); for index trees, reads its
    /// key record into the scratch buffer.
    fn entry_key(&mut self, stack: &[Level]) -> Result<IoPoll<i64>> {
        let top = stack.last().expect("non-empty path");
        let data = top.page.read();
        let c = top.info.cell(&data, top.idx, &self.geo)?;
        if self.is_table() {
            if !top.info.is_leaf() {
                return Err(Error::Internal("table cursor on an interior cell".into()));
            }
            return Ok(IoPoll::Ready(c.rowid));
        }
        ready!(read_payload(
            self.pager,
            &self.geo,
            &data,
            &c,
            self.scratch,
            Buffer::Scratch,
            self.progress,
            self.root,
            None
        )?);
        Ok(IoPoll::Ready(0))
    }
}

impl Position {
    fn new() -> Position {
        Position {
            stack: Vec::new(),
            state: State::Invalid,
            stamp: 0,
            rowid: 0,
            key: Vec::new(),
            payload: Vec::new(),
            payload_ready: false,
        }
    }

    fn set_eof(&mut self, stamp: u64) {
        self.stack.clear();
        self.state = State::Eof;
        self.payload_ready = false;
        self.stamp = stamp;
    }

    /// The key of the current entry (Valid) or of the deleted or saved one.
    fn saved_key(&mut self, table: bool) -> Option<SavedKey> {
        match &mut self.state {
            State::Valid => Some(if table { SavedKey::Rowid(self.rowid) } else { SavedKey::Record(self.key.clone()) }),
            State::Hole(k) | State::Saved(k) => Some(k.clone()),
            State::Invalid | State::Eof => None,
        }
    }
}

impl BTreeCursor {
    pub fn new(root: PageNumber, kind: TreeKind) -> BTreeCursor {
        BTreeCursor {
            root,
            kind,
            pos: Position::new(),
            scratch: Vec::new(),
            pins: Vec::new(),
            progress: None,
            count: None,
        }
    }

    pub fn root(&self) -> PageNumber {
        self.root
    }

    pub fn kind(&self) -> &TreeKind {
        &self.kind
    }

    fn split<'a>(&'a mut self, pager: &'a mut Pager) -> (Nav<'a>, &'a mut Position) {
        let geo = geometry(pager);
        (
            Nav {
                pager,
                geo,
                root: self.root,
                kind: &self.kind,
                scratch: &mut self.scratch,
                pins: &mut self.pins,
                progress: &mut self.progress,
                hint: Vec::new(),
            },
            &mut self.pos,
        )
    }

    /// A zero-length file is an empty database (as in SQLite): every tree in it is empty. Moves
    /// the cursor to EOF and returns true in that case.
    fn empty_file(&mut self, pager: &Pager) -> bool {
        if pager.page_count() != 0 {
            return false;
        }
        self.pos.set_eof(pager.tree_stamp(self.root));
        true
    }

    /// Turns the position into a saved key when the tree changed since the cursor last looked.
    fn sync_stamp(&mut self, pager: &Pager) {
        let now = pager.tree_stamp(self.root);
        if now == self.pos.stamp {
            return;
        }
        self.pos.stamp = now;
        self.count = None;
        self.pos.payload_ready = false;
        self.pos.stack.clear();
        let table = self.kind.is_table();
        let saved = match &mut self.pos.state {
            State::Valid => Some(if table {
                SavedKey::Rowid(self.pos.rowid)
            } else {
                SavedKey::Record(std::mem::take(&mut self.pos.key))
            }),
            State::Hole(k) => Some(std::mem::replace(k, SavedKey::Rowid(0))),
            State::Saved(_) => None,
            State::Invalid | State::Eof => {
                return;
            }
        };
        if let Some(k) = saved {
            self.pos.state = State::Saved(k);
        }
    }

    /// Commits `stack` as the new position: on its top entry when `on`, else at EOF.
    fn finish(nav: &mut Nav<'_>, pos: &mut Position, stack: Vec<Level>, on: bool) -> Result<IoPoll<bool>> {
        let stamp = nav.pager.tree_stamp(nav.root);
        if !on {
            pos.set_eof(stamp);
            nav.pins.clear();
            return Ok(IoPoll::Ready(false));
        }
        let rowid = ready!(nav.entry_key(&stack)?);
        pos.stack = stack;
        pos.state = State::Valid;
        pos.rowid = rowid;
        if !nav.is_table() {
            std::mem::swap(&mut pos.key, nav.scratch);
        }
        pos.payload_ready = false;
        pos.stamp = stamp;
        nav.pins.clear();
        Ok(IoPoll::Ready(true))
    }

    /// Re-seeks a saved position: Valid when its key is still there, else a Hole before the
    /// entry that follows it.
    fn restore(&mut self, pager: &mut Pager) -> Result<IoPoll<()>> {
        let State::Saved(key) = &self.pos.state else {
            return Ok(IoPoll::Ready(()));
        };
        let key = key.clone();
        let table = self.kind.is_table();
        let values;
        let probe = match &key {
            SavedKey::Rowid(r) => Probe::Rowid(*r),
            SavedKey::Record(rec) => {
                let TreeKind::Index(ki) = &self.kind else { unreachable!("record key on a table cursor") };
                values = decode_record(rec, ki.encoding)?;
                Probe::Values(&values)
            }
        };
        let (mut nav, pos) = self.split(pager);
        let mut stack = Vec::new();
        ready!(nav.seek_position(&mut stack, &probe, false, false)?);
        let mut landed = stack.clone();
        if ready!(nav.settle_forward(&mut landed)?) {
            let top = landed.last().expect("non-empty path");
            let ord = ready!(nav.compare_cell(top, top.idx, &probe)?);
            if ord == Ordering::Equal && (table || matches!(key, SavedKey::Record(_))) {
                ready!(Self::finish(&mut nav, pos, landed, true)?);
                return Ok(IoPoll::Ready(()));
            }
        }
        pos.stamp = nav.pager.tree_stamp(nav.root);
        pos.stack = stack;
        pos.state = State::Hole(key);
        pos.payload_ready = false;
        nav.pins.clear();
        Ok(IoPoll::Ready(()))
    }

    /// Moves to the first entry; false when the tree is empty.
    pub fn rewind(&mut self, pager: &mut Pager) -> Result<IoPoll<bool>> {
        self.sync_stamp(pager);
        if self.empty_file(pager) {
            return Ok(IoPoll::Ready(false));
        }
        let (mut nav, pos) = self.split(pager);
        nav.hint = pos.stack.clone();
        let mut stack = Vec::new();
        let root = ready!(nav.load(nav.root, &stack)?);
        stack.push(root);
        ready!(nav.descend(&mut stack, true)?);
        let on = ready!(nav.settle_forward(&mut stack)?);
        Self::finish(&mut nav, pos, stack, on)
    }

    /// Moves to the last entry; false when the tree is empty.
    pub fn last(&mut self, pager: &mut Pager) -> Result<IoPoll<bool>> {
        self.sync_stamp(pager);
        if self.empty_file(pager) {
            return Ok(IoPoll::Ready(false));
        }
        let (mut nav, pos) = self.split(pager);
        nav.hint = pos.stack.clone();
        let mut stack = Vec::new();
        let mut root = ready!(nav.load(nav.root, &stack)?);
        root.idx = root.info.ncell;
        stack.push(root);
        ready!(nav.descend(&mut stack, false)?);
        let on = ready!(nav.step_back(&mut stack)?);
        Self::finish(&mut nav, pos, stack, on)
    }

    /// Moves to the next entry; false when it moved past the last (the cursor is then at EOF).
    pub fn next(&mut self, pager: &mut Pager) -> Result<IoPoll<bool>> {
        self.sync_stamp(pager);
        if matches!(self.pos.state, State::Saved(_)) {
            ready!(self.restore(pager)?);
        }
        let table = self.kind.is_table();
        let (mut nav, pos) = self.split(pager);
        match pos.state {
            State::Invalid | State::Eof => Ok(IoPoll::Ready(false)),
            State::Saved(_) => unreachable!("restored above"),
            State::Valid => {
                // Fast path: the next cell of the same leaf.
                let top = pos.stack.last().expect("valid cursor has a path");
                if top.info.is_leaf() && top.idx + 1 < top.info.ncell {
                    let mut probe_stack = [top.clone()];
                    probe_stack[0].idx += 1;
                    let rowid = ready!(nav.entry_key(&probe_stack)?);
                    let top = pos.stack.last_mut().expect("valid cursor has a path");
                    top.idx += 1;
                    pos.rowid = rowid;
                    if !table {
                        std::mem::swap(&mut pos.key, nav.scratch);
                    }
                    pos.payload_ready = false;
                    nav.pins.clear();
                    return Ok(IoPoll::Ready(true));
                }
                let mut stack = pos.stack.clone();
                let on = ready!(nav.step_forward(&mut stack)?);
                Self::finish(&mut nav, pos, stack, on)
            }
            State::Hole(_) => {
                let mut stack = pos.stack.clone();
                let on = ready!(nav.settle_forward(&mut stack)?);
                Self::finish(&mut nav, pos, stack, on)
            }
        }
    }

    /// Moves to the previous entry; false when it moved before the first (the cursor is then at EOF).
    pub fn prev(&mut self, pager: &mut Pager) -> Result<IoPoll<bool>> {
        self.sync_stamp(pager);
        if matches!(self.pos.state, State::Saved(_)) {
            ready!(self.restore(pager)?);
        }
        let table = self.kind.is_table();
        let (mut nav, pos) = self.split(pager);
        match pos.state {
            State::Invalid | State::Eof => Ok(IoPoll::Ready(false)),
            State::Saved(_) => unreachable!("restored above"),
            State::Valid | State::Hole(_) => {
                let top = pos.stack.last().expect("positioned cursor has a path");
                if matches!(pos.state, State::Valid) && top.info.is_leaf() && top.idx > 0 {
                    let mut probe_stack = [top.clone()];
                    probe_stack[0].idx -= 1;
                    let rowid = ready!(nav.entry_key(&probe_stack)?);
                    let top = pos.stack.last_mut().expect("valid cursor has a path");
                    top.idx -= 1;
                    pos.rowid = rowid;
                    if !table {
                        std::mem::swap(&mut pos.key, nav.scratch);
                    }
                    pos.payload_ready = false;
                    nav.pins.clear();
                    return Ok(IoPoll::Ready(true));
                }
                let mut stack = pos.stack.clone();
                let on = ready!(nav.step_back(&mut stack)?);
                Self::finish(&mut nav, pos, stack, on)
            }
        }
    }

    /// Positions per `op` and returns whether the cursor is on an entry satisfying it. EQ finds
    /// an exact match (for an index prefix, the first entry whose prefix equals); GE/GT land on
    /// the smallest entry >= / > the key, LE/LT on the largest <= / <. When the result is false
    /// the cursor is at EOF.
    pub fn seek(&mut self, pager: &mut Pager, key: SeekKey<'_>, op: SeekOp) -> Result<IoPoll<bool>> {
        self.sync_stamp(pager);
        let probe = match (key, &self.kind) {
            (SeekKey::Rowid(r), TreeKind::Table) => Probe::Rowid(r),
            (SeekKey::Index(v), TreeKind::Index(_)) => Probe::Values(v),
            _ => return Err(Error::Misuse("seek key does not match the tree kind".into())),
        };
        if self.empty_file(pager) {
            return Ok(IoPoll::Ready(false));
        }
        let (mut nav, pos) = self.split(pager);
        nav.hint = pos.stack.clone();
        let strict = matches!(op, SeekOp::GT | SeekOp::LE);
        let mut stack = Vec::new();
        ready!(nav.seek_position(&mut stack, &probe, strict, false)?);
        match op {
            SeekOp::GE | SeekOp::GT | SeekOp::EQ => {
                let mut on = ready!(nav.settle_forward(&mut stack)?);
                if on && op == SeekOp::EQ {
                    let top = stack.last().expect("non-empty path");
                    on = ready!(nav.compare_cell(top, top.idx, &probe)?) == Ordering::Equal;
                }
                Self::finish(&mut nav, pos, stack, on)
            }
            SeekOp::LE | SeekOp::LT => {
                let on = ready!(nav.step_back(&mut stack)?);
                Self::finish(&mut nav, pos, stack, on)
            }
        }
    }

    /// Whether the cursor is at EOF or was never positioned. A cursor whose entry was deleted is
    /// not at EOF: next() and prev() move to the neighbours of the deleted entry.
    pub fn is_eof(&self) -> bool {
        matches!(self.pos.state, State::Eof | State::Invalid)
    }

    /// The rowid of the current entry (table cursors). After the entry was deleted (through
    /// this or another cursor), the rowid it had.
    pub fn rowid(&self) -> Result<i64> {
        if !self.kind.is_table() {
            return Err(Error::Misuse("rowid() on an index cursor".into()));
        }
        match &self.pos.state {
            State::Valid => Ok(self.pos.rowid),
            State::Hole(SavedKey::Rowid(r)) | State::Saved(SavedKey::Rowid(r)) => Ok(*r),
            _ => Err(Error::Misuse("cursor is not on an entry".into())),
        }
    }

    /// The whole payload of the current entry (table: the record; index: the key record),
    /// following overflow pages. When the entry was deleted through another cursor, the payload
    /// is empty (SQLite's null row: every column reads as NULL).
    pub fn payload(&mut self, pager: &mut Pager) -> Result<IoPoll<&[u8]>> {
        self.sync_stamp(pager);
        if matches!(self.pos.state, State::Saved(_)) {
            ready!(self.restore(pager)?);
        }
        match self.pos.state {
            State::Valid => {}
            State::Hole(_) => return Ok(IoPoll::Ready(&[])),
            _ => return Err(Error::Misuse("cursor is not on an entry".into())),
        }
        if !self.kind.is_table() {
            return Ok(IoPoll::Ready(&self.pos.key));
        }
        if !self.pos.payload_ready {
            let geo = geometry(pager);
            let top = self.pos.stack.last().expect("valid cursor has a path");
            let data = top.page.read();
            let c = top.info.cell(&data, top.idx, &geo)?;
            ready!(read_payload(
                pager,
                &geo,
                &data,
                &c,
                &mut self.pos.payload,
                Buffer::Payload,
                &mut self.progress,
                self.root,
                None
            )?);
            self.pos.payload_ready = true;
        }
        Ok(IoPoll::Ready(&self.pos.payload))
    }

    /// Forgets the position; the next rewind/last/seek positions afresh.
    pub fn invalidate(&mut self) {
        self.pos.stack.clear();
        self.pos.state = State::Invalid;
        self.pos.payload_ready = false;
        self.pins.clear();
        self.progress = None;
        self.count = None;
    }

    /// The number of entries in the tree (OP_Count). Resumable across `Pending`.
    pub fn count(&mut self, pager: &mut Pager) -> Result<IoPoll<u64>> {
        if pager.page_count() == 0 {
            return Ok(IoPoll::Ready(0));
        }
        let stamp = pager.tree_stamp(self.root);
        if self.count.as_ref().is_none_or(|c| c.stamp != stamp) {
            self.count = Some(CountState { stack: Vec::new(), total: 0, started: false, stamp });
        }
        let geo = geometry(pager);
        let table = self.kind.is_table();
        let bound = 2 * pager.page_count() as usize + 4;
        for _ in 0..bound {
            let cs = self.count.as_mut().expect("count state");
            let Some(top) = cs.stack.last_mut() else {
                if cs.started {
                    let total = cs.total;
                    self.count = None;
                    return Ok(IoPoll::Ready(total));
                }
                let (mut nav, _) = self.split(pager);
                let root = ready!(nav.load(nav.root, &[])?);
                nav.pins.clear();
                let cs = self.count.as_mut().expect("count state");
                cs.stack.push((root.page, root.info, 0));
                cs.started = true;
                continue;
            };
            let (page, info, next) = (top.0.clone(), top.1, top.2);
            if info.is_leaf() {
                cs.total += info.ncell as u64;
                cs.stack.pop();
                continue;
            }
            if next > info.ncell {
                cs.stack.pop();
                continue;
            }
            let child = info.child(&page.read(), next, &geo)?;
            // Check the child as a cursor descent would (depth, cycles, kind).
            let path: Vec<Level> =
                cs.stack.iter().map(|(p, i, _)| Level { page: p.clone(), info: *i, idx: 0 }).collect();
            let (mut nav, _) = self.split(pager);
            let level = ready!(nav.load(child, &path)?);
            nav.pins.clear();
            let cs = self.count.as_mut().expect("count state");
            if !table && next == 0 {
                cs.total += info.ncell as u64;
            }
            cs.stack.last_mut().expect("count path").2 = next + 1;
            cs.stack.push((level.page, level.info, 0));
        }
        Err(Error::corrupt(format!("tree {} walk did not end", self.root)))
    }

    // ---- writes -------------------------------------------------------------------------------

    /// Inserts an entry, or replaces the one with the same key (table: the same rowid; index:
    /// a stored record comparing equal on every column of the new one, with the key info's
    /// collations, so for a WITHOUT ROWID table a row with the same primary key but other values
    /// is a different entry: the VM deletes the old row first, as SQLite's does). Afterwards the
    /// cursor is on the new entry.
    pub fn insert(&mut self, pager: &mut Pager, key: InsertKey<'_>, data: &[u8]) -> Result<()> {
        let (rowid, payload) = match (key, &self.kind) {
            (InsertKey::Rowid(r), TreeKind::Table) => (r, data),
            (InsertKey::Index(rec), TreeKind::Index(_)) if data.is_empty() => (0, rec),
            _ => return Err(Error::Misuse("insert key does not match the tree kind".into())),
        };
        if payload.len() as u64 > MAX_PAYLOAD_BYTES {
            return Err(Error::TooBig);
        }
        let values;
        let probe = match &self.kind {
            TreeKind::Table => Probe::Rowid(rowid),
            TreeKind::Index(ki) => {
                values = decode_record(payload, ki.encoding)?;
                Probe::Values(&values)
            }
        };
        let geo = geometry(pager);
        // Load the whole path first: nothing is modified until every page is in hand.
        let (stack, exact) = match self.insert_position_near(pager, rowid)? {
            Some(found) => found,
            None => self.insert_position(pager, &probe)?,
        };
        self.insert_at(pager, &geo, stack, exact, rowid, payload, &probe)
    }

    /// The insert position from a full descent: the path, and whether the key is already there.
    fn insert_position(&mut self, pager: &mut Pager, probe: &Probe<'_>) -> Result<(Vec<Level>, bool)> {
        let mut stack = Vec::new();
        let exact = block(pager, |p| {
            let stamp_ok = self.pos.stamp == p.tree_stamp(self.root);
            let (mut nav, pos) = self.split(p);
            if stamp_ok {
                nav.hint = pos.stack.clone();
            }
            let r = nav.seek_position(&mut stack, probe, false, true);
            // Pages stay pinned across a retry, so a deep path cannot evict itself.
            if !matches!(r, Ok(IoPoll::Pending)) {
                nav.pins.clear();
            }
            r
        })?;
        Ok((stack, exact))
    }

    /// The insert position of `rowid` found from the cursor's own position, without a descent,
    /// when the cursor is on the entry just before it (SQLite's append case: an insert after an
    /// insert with the next rowid). `None` when that does not apply.
    fn insert_position_near(&mut self, pager: &Pager, rowid: i64) -> Result<Option<(Vec<Level>, bool)>> {
        if !self.kind.is_table()
            || !matches!(self.pos.state, State::Valid)
            || self.pos.stamp != pager.tree_stamp(self.root)
            || rowid <= self.pos.rowid
        {
            return Ok(None);
        }
        let geo = geometry(pager);
        let Some(top) = self.pos.stack.last() else { return Ok(None) };
        let next = top.idx + 1;
        let exact = if next < top.info.ncell {
            // Between the current cell and the next one of the same leaf: that leaf holds it.
            let data = top.page.read();
            let off = top.info.cell_offset(&data, next, &geo)?;
            match cell_rowid(&data, off, geo.usable, top.info.page_type)?.cmp(&rowid) {
                Ordering::Less => return Ok(None),
                Ordering::Equal => true,
                Ordering::Greater => false,
            }
        } else if self.pos.stack[..self.pos.stack.len() - 1].iter().all(|l| l.idx == l.info.ncell) {
            // Past the last entry of the rightmost leaf: appended there.
            false
        } else {
            return Ok(None);
        };
        let mut stack = self.pos.stack.clone();
        stack.last_mut().expect("non-empty path").idx = next;
        Ok(Some((stack, exact)))
    }

    /// Inserts the cell for `payload` at the position `stack` (replacing the entry there when
    /// `exact`), balances, and leaves the cursor on the new entry.
    #[allow(clippy::too_many_arguments)]
    fn insert_at(
        &mut self,
        pager: &mut Pager,
        geo: &Geometry,
        mut stack: Vec<Level>,
        exact: bool,
        rowid: i64,
        payload: &[u8],
        probe: &Probe<'_>,
    ) -> Result<()> {
        let geo = *geo;
        pager.bump_tree_stamp(self.root);
        self.count = None;
        let top = stack.len() - 1;
        let page = stack[top].page.clone();
        let idx = stack[top].idx;
        let on_leaf = stack[top].info.is_leaf();
        let mut cell = build_cell(pager, &geo, self.kind.leaf_type(), rowid, payload)?;
        let path_pages: Vec<PageNumber> = stack.iter().map(|l| l.page.pgno()).collect();
        if exact {
            let old = {
                let d = page.read();
                stack[top].info.cell(&d, idx, &geo)?
            };
            if !on_leaf {
                // Replacing an index divider: the new cell keeps the old left child.
                let mut c = old.child.to_be_bytes().to_vec();
                c.extend_from_slice(&cell);
                cell = fit_cell(c, PAGE_INDEX_INTERIOR, &geo)?;
            }
            free_overflow(pager, &geo, &old, &path_pages)?;
        }
        pager.write(&page)?;
        let fits = {
            let mut d = page.write();
            if exact {
                drop_cell(&mut d, &mut stack[top].info, idx, &geo)?;
            }
            insert_cell(&mut d, &mut stack[top].info, idx, &cell, &geo)?
        };
        if fits {
            let (mut nav, pos) = self.split(pager);
            let done = Self::finish(&mut nav, pos, stack, true)?;
            return match done {
                IoPoll::Ready(_) => Ok(()),
                // Only an overflowing index key needs reads here; position by seeking instead.
                IoPoll::Pending => self.position_at(pager, probe),
            };
        }
        let mut path: Vec<PathLevel> = stack.iter().map(|l| PathLevel { page: l.page.clone(), idx: l.idx }).collect();
        let mut overrides: Vec<Option<Node>> = vec![None; path.len()];
        let quick = self.kind.is_table()
            && !exact
            && top > 0
            && idx == stack[top].info.ncell
            && stack[top - 1].idx == stack[top - 1].info.ncell
            && stack[top - 1].page.pgno() != 1;
        drop(stack);
        if quick {
            btree_balance::balance_quick(pager, &geo, &path, &mut overrides, top, cell)?;
            btree_balance::balance(pager, &geo, &mut path, &mut overrides, top - 1)?;
        } else {
            let mut node = {
                let d = page.read();
                read_node(&d, &PageInfo::parse(&d, page.pgno(), &geo)?, &geo)?
            };
            node.cells.insert(idx, &cell);
            overrides[top] = Some(node);
            btree_balance::balance(pager, &geo, &mut path, &mut overrides, top)?;
        }
        self.position_at(pager, probe)
    }

    /// Positions the cursor on the entry equal to `probe`, which must exist (after an insert).
    fn position_at(&mut self, pager: &mut Pager, probe: &Probe<'_>) -> Result<()> {
        let found = block(pager, |p| {
            let (mut nav, pos) = self.split(p);
            let mut stack = Vec::new();
            let exact = ready!(nav.seek_position(&mut stack, probe, false, true)?);
            if !exact {
                return Ok(IoPoll::Ready(false));
            }
            Self::finish(&mut nav, pos, stack, true)
        })?;
        if !found {
            // The descent that placed the entry cannot find it: the keys around it are out of
            // order, which only a damaged file causes.
            return Err(Error::corrupt(format!("tree {}: keys out of order (inserted entry not found)", self.root)));
        }
        Ok(())
    }

    /// Deletes the current entry. Afterwards next() moves to the entry that followed it and
    /// prev() to the one that preceded it.
    pub fn delete(&mut self, pager: &mut Pager) -> Result<()> {
        self.sync_stamp(pager);
        if matches!(self.pos.state, State::Saved(_)) {
            block(pager, |p| self.restore(p))?;
        }
        if !matches!(self.pos.state, State::Valid) {
            return Err(Error::Misuse("delete: cursor is not on an entry".into()));
        }
        let table = self.kind.is_table();
        let saved = self.pos.saved_key(table).expect("valid cursor has a key");
        let geo = geometry(pager);
        pager.bump_tree_stamp(self.root);
        self.count = None;
        let mut stack = std::mem::take(&mut self.pos.stack);
        self.pos.payload_ready = false;
        let top = stack.len() - 1;
        let page = stack[top].page.clone();
        let idx = stack[top].idx;
        let path_pages: Vec<PageNumber> = stack.iter().map(|l| l.page.pgno()).collect();
        if stack[top].info.is_leaf() {
            let cell = {
                let d = page.read();
                stack[top].info.cell(&d, idx, &geo)?
            };
            free_overflow(pager, &geo, &cell, &path_pages)?;
            pager.write(&page)?;
            let free = {
                let mut d = page.write();
                drop_cell(&mut d, &mut stack[top].info, idx, &geo)?;
                free_space(&d, &stack[top].info, &geo)?
            };
            if top == 0 || free * 3 <= geo.usable * 2 {
                self.pos.stack = stack;
                self.pos.state = State::Hole(saved);
                self.pos.stamp = pager.tree_stamp(self.root);
                return Ok(());
            }
            let mut path: Vec<PathLevel> =
                stack.iter().map(|l| PathLevel { page: l.page.clone(), idx: l.idx }).collect();
            let mut overrides = vec![None; path.len()];
            drop(stack);
            btree_balance::balance(pager, &geo, &mut path, &mut overrides, top)?;
        } else {
            // An index divider: replace it with its predecessor, the last entry of its left
            // subtree, then rebalance that leaf and, if still needed, the divider's page.
            let mut leaf_stack = stack.clone();
            block(pager, |p| {
                let (mut nav, _) = self.split(p);
                let r = nav.push_child(&mut leaf_stack, false).and_then(|r| match r {
                    IoPoll::Ready(()) => nav.descend(&mut leaf_stack, false),
                    IoPoll::Pending => Ok(IoPoll::Pending),
                });
                if matches!(r, Ok(IoPoll::Pending)) {
                    leaf_stack.truncate(top + 1);
                } else {
                    nav.pins.clear();
                }
                r
            })?;
            let leaf_level = leaf_stack.len() - 1;
            let leaf = leaf_stack[leaf_level].page.clone();
            let leaf_info = leaf_stack[leaf_level].info;
            if leaf_info.ncell == 0 {
                return Err(Error::corrupt(format!("empty leaf page {} under an index divider", leaf.pgno())));
            }
            let (old, replacement) = {
                let d = page.read();
                let old = stack[top].info.cell(&d, idx, &geo)?;
                let ld = leaf.read();
                let lc = leaf_info.cell(&ld, leaf_info.ncell - 1, &geo)?;
                let mut c = old.child.to_be_bytes().to_vec();
                c.extend_from_slice(&ld[lc.offset..lc.offset + lc.raw_size]);
                (old, fit_cell(c, PAGE_INDEX_INTERIOR, &geo)?)
            };
            free_overflow(pager, &geo, &old, &path_pages)?;
            let mut overrides: Vec<Option<Node>> = vec![None; leaf_stack.len()];
            pager.write(&page)?;
            {
                let mut d = page.write();
                let info = &mut leaf_stack[top].info;
                drop_cell(&mut d, info, idx, &geo)?;
                if !insert_cell(&mut d, info, idx, &replacement, &geo)? {
                    let mut node = read_node(&d, info, &geo)?;
                    node.cells.insert(idx, &replacement);
                    overrides[top] = Some(node);
                }
            }
            pager.write(&leaf)?;
            {
                let mut d = leaf.write();
                let info = &mut leaf_stack[leaf_level].info;
                let last = info.ncell - 1;
                drop_cell(&mut d, info, last, &geo)?;
            }
            let mut path: Vec<PathLevel> =
                leaf_stack.iter().map(|l| PathLevel { page: l.page.clone(), idx: l.idx }).collect();
            drop(leaf_stack);
            drop(stack);
            let stopped = btree_balance::balance(pager, &geo, &mut path, &mut overrides, leaf_level)?;
            if stopped > top {
                path.truncate(top + 1);
                overrides.truncate(top + 1);
                btree_balance::balance(pager, &geo, &mut path, &mut overrides, top)?;
            }
        }
        self.pos.state = State::Saved(saved);
        self.pos.stack.clear();
        self.pos.stamp = pager.tree_stamp(self.root);
        Ok(())
    }
}

/// Creates an empty tree of `kind` and returns its root page.
pub fn create_tree(pager: &mut Pager, kind: &TreeKind) -> Result<PageNumber> {
    let geo = geometry(pager);
    let page = pager.allocate()?;
    zero_page(&mut page.write(), header_offset(page.pgno()), kind.leaf_type(), &geo);
    pager.bump_tree_stamp(page.pgno());
    Ok(page.pgno())
}

/// Frees every page below `pgno` (and `pgno` itself when `free_self`), with the overflow chains
/// of its cells. `seen` catches pages referenced twice, which would otherwise be freed twice.
fn clear_page(
    pager: &mut Pager,
    geo: &Geometry,
    pgno: PageNumber,
    depth: usize,
    free_self: bool,
    table: bool,
    seen: &mut HashSet<PageNumber>,
) -> Result<()> {
    if depth > limits::MAX_BTREE_DEPTH {
        return Err(Error::corrupt(format!("tree deeper than {} levels at page {pgno}", limits::MAX_BTREE_DEPTH)));
    }
    if pgno < 1 || pgno > pager.page_count() || !seen.insert(pgno) {
        return Err(Error::corrupt(format!("page {pgno} out of range or referenced twice")));
    }
    let page = pager.get_blocking(pgno)?;
    let (info, cells) = {
        let d = page.read();
        let info = PageInfo::parse(&d, pgno, geo)?;
        let cells = (0..info.ncell).map(|i| info.cell(&d, i, geo)).collect::<Result<Vec<_>>>()?;
        (info, cells)
    };
    if info.is_table() != table {
        return Err(Error::corrupt(format!("page {pgno} has the wrong kind for its tree")));
    }
    for c in &cells {
        if c.has_overflow() {
            let chain = overflow_chain(pager, geo, c, &[])?;
            for p in &chain {
                if !seen.insert(*p) {
                    return Err(Error::corrupt(format!("overflow page {p} referenced twice")));
                }
            }
            for p in chain {
                pager.free(p)?;
            }
        }
        if !info.is_leaf() {
            clear_page(pager, geo, c.child, depth + 1, true, table, seen)?;
        }
    }
    if !info.is_leaf() {
        clear_page(pager, geo, info.right_child, depth + 1, true, table, seen)?;
    }
    if free_self {
        pager.free(pgno)?;
    }
    Ok(())
}

/// Frees every page of the tree but the root, which becomes an empty leaf.
pub fn clear_tree(pager: &mut Pager, root: PageNumber) -> Result<()> {
    let geo = geometry(pager);
    pager.bump_tree_stamp(root);
    let page = pager.get_blocking(root)?;
    let t = PageInfo::parse(&page.read(), root, &geo)?.page_type;
    let mut seen = HashSet::new();
    clear_page(pager, &geo, root, 0, false, is_table(t), &mut seen)?;
    pager.write(&page)?;
    zero_page(
        &mut page.write(),
        header_offset(root),
        if is_table(t) { PAGE_TABLE_LEAF } else { PAGE_INDEX_LEAF },
        &geo,
    );
    Ok(())
}

/// Frees every page of the tree, the root included.
pub fn drop_tree(pager: &mut Pager, root: PageNumber) -> Result<()> {
    if root == 1 {
        return Err(Error::Internal("cannot drop the schema tree".into()));
    }
    clear_tree(pager, root)?;
    pager.free(root)
}

/// The largest rowid in a table tree, for OP_NewRowid.
pub fn max_rowid(pager: &mut Pager, root: PageNumber) -> Result<Option<i64>> {
    let mut c = BTreeCursor::new(root, TreeKind::Table);
    if block(pager, |p| c.last(p))? {
        Ok(Some(c.rowid()?))
    } else {
        Ok(None)
    }
}

/// The first of `n` sorted entries at or after a probe (`strict`: after it), given each entry's
/// ordering against the probe, and whether that entry compares equal.
fn bisect(
    n: usize,
    strict: bool,
    mut cmp: impl FnMut(usize) -> Result<IoPoll<Ordering>>,
) -> Result<IoPoll<(usize, bool)>> {
    let (mut lo, mut hi) = (0, n);
    let mut eq_at_hi = false;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let ord = ready!(cmp(mid)?);
        let satisfied = if strict { ord == Ordering::Greater } else { ord != Ordering::Less };
        if satisfied {
            hi = mid;
            eq_at_hi = ord == Ordering::Equal;
        } else {
            lo = mid + 1;
        }
    }
    Ok(IoPoll::Ready((lo, eq_at_hi && lo < n)))
}
