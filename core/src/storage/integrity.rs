//! The B-tree half of `PRAGMA integrity_check` (SQLite's sqlite3BtreeIntegrityCheck): page
//! structure, rowid order, overflow chains, the freelist, and that every page of the file is
//! used exactly once. Messages use SQLite's wording so that the two tools read alike.
//!
//! Checked per page, as SQLite's checkTreePage does:
//! 1. The header is valid and the free space (freeblock chain) is consistent.
//! 2. Cells, freeblocks and fragments cover the content area exactly, without overlap, and the
//!    fragment count in the header matches.
//! 3. Rowids of a table tree are in order and within the bounds of their dividers.
//! 4. Overflow chains have the length their payload needs.
//! 5. Every leaf is at the same depth.
//!
//! Index key order is not checked here (neither does SQLite's B-tree layer): comparing keys needs
//! their collations, and the VM's index-versus-table check covers it.
//!
//! Bounded: every page is visited at most once (a second reference is an error, not a visit),
//! and recursion stops at `limits::MAX_BTREE_DEPTH`.

use crate::error::Result;
use crate::limits;
use crate::storage::btree_page::{free_space, parse_cell, Geometry, PageInfo};
use crate::storage::header::{get_u16, get_u32, OFFSET_FREELIST_COUNT, OFFSET_FREELIST_TRUNK};
use crate::storage::pager::{PageNumber, Pager};

struct Checker<'a> {
    pager: &'a mut Pager,
    geo: Geometry,
    page_count: PageNumber,
    referenced: Vec<bool>,
    errors: Vec<String>,
    remaining: usize,
}

impl Checker<'_> {
    fn msg(&mut self, m: String) {
        if self.remaining == 0 {
            return;
        }
        self.remaining -= 1;
        self.errors.push(m);
    }

    /// Counts a reference to `pgno`; true (after reporting) when it is out of range or already
    /// referenced, so the caller does not visit it.
    fn check_ref(&mut self, prefix: &str, pgno: PageNumber) -> bool {
        if pgno == 0 || pgno > self.page_count {
            self.msg(format!("{prefix}invalid page number {pgno}"));
            return true;
        }
        if self.referenced[pgno as usize] {
            self.msg(format!("{prefix}2nd reference to page {pgno}"));
            return true;
        }
        self.referenced[pgno as usize] = true;
        false
    }

    /// Walks the freelist or an overflow chain, which should hold `expected` pages.
    fn check_list(&mut self, prefix: &str, is_freelist: bool, first: PageNumber, expected: u32) {
        let mut left = i64::from(expected);
        let errors_at_start = self.errors.len();
        let mut pgno = first;
        // Bounded: check_ref refuses a page seen before, so each page is visited once.
        while pgno != 0 && self.remaining > 0 {
            if self.check_ref(prefix, pgno) {
                break;
            }
            left -= 1;
            let page = match self.pager.get_blocking(pgno) {
                Ok(p) => p,
                Err(_) => {
                    self.msg(format!("{prefix}failed to get page {pgno}"));
                    break;
                }
            };
            let d = page.read();
            if is_freelist {
                let leaves = get_u32(&d, 4) as usize;
                if leaves > self.geo.usable / 4 - 2 {
                    self.msg(format!("{prefix}freelist leaf count too big on page {pgno}"));
                    left -= 1;
                } else {
                    for i in 0..leaves {
                        let leaf = get_u32(&d, 8 + 4 * i);
                        self.check_ref(prefix, leaf);
                    }
                    left -= leaves as i64;
                }
            }
            pgno = get_u32(&d, 0);
        }
        if left != 0 && errors_at_start == self.errors.len() {
            let what = if is_freelist { "size" } else { "overflow list length" };
            self.msg(format!("{prefix}{what} is {} but should be {expected}", i64::from(expected) - left));
        }
    }

    /// Checks the subtree at `pgno`; returns its depth (leaves are 1, a page that could not be
    /// checked 0) and its smallest rowid. `max_key` bounds the rowids of a table subtree.
    fn check_tree_page(
        &mut self,
        root: PageNumber,
        pgno: PageNumber,
        table: bool,
        level: usize,
        ref_prefix: &str,
        max_key: i64,
    ) -> (i64, i64) {
        let (depth, min_key) = self.check_tree_page_inner(root, pgno, table, level, ref_prefix, max_key);
        (depth, min_key.unwrap_or(max_key))
    }

    fn check_tree_page_inner(
        &mut self,
        root: PageNumber,
        pgno: PageNumber,
        table: bool,
        level: usize,
        ref_prefix: &str,
        mut max_key: i64,
    ) -> (i64, Option<i64>) {
        if self.remaining == 0 || pgno == 0 {
            return (0, None);
        }
        if self.check_ref(ref_prefix, pgno) {
            return (0, None);
        }
        let prefix = format!("Tree {root} page {pgno}: ");
        if level > limits::MAX_BTREE_DEPTH {
            self.msg(format!("{prefix}tree deeper than {} levels", limits::MAX_BTREE_DEPTH));
            return (0, None);
        }
        let page = match self.pager.get_blocking(pgno) {
            Ok(p) => p,
            Err(e) => {
                self.msg(format!("{prefix}unable to get the page. error code={}", e.extended_code()));
                return (0, None);
            }
        };
        let data = page.read();
        let geo = self.geo;
        let usable = geo.usable;
        let info = match PageInfo::parse(&data, pgno, &geo) {
            Ok(i) => i,
            Err(e) => {
                self.msg(format!("{prefix}btreeInitPage() returns error code {}", e.extended_code()));
                return (0, None);
            }
        };
        if info.is_table() != table {
            let (is, want) = if table { ("an index", "table") } else { ("a table", "index") };
            self.msg(format!("{prefix}{is} page in {want} tree"));
            return (0, None);
        }
        if free_space(&data, &info, &geo).is_err() {
            self.msg(format!("{prefix}free space corruption"));
            return (0, None);
        }
        let mut depth: i64 = -1;
        let mut key_can_be_equal = true;
        let mut coverage = true;
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(info.ncell + 8);
        if !info.is_leaf() {
            let child_prefix = format!("Tree {root} page {pgno} right child: ");
            (depth, max_key) = self.check_tree_page(root, info.right_child, table, level + 1, &child_prefix, max_key);
            key_can_be_equal = false;
        }
        for i in (0..info.ncell).rev() {
            if self.remaining == 0 {
                break;
            }
            let cell_prefix = format!("Tree {root} page {pgno} cell {i}: ");
            let pc = get_u16(&data, info.cell_ptr_start() + 2 * i) as usize;
            if pc < info.content_start || pc > usable - 4 {
                self.msg(format!("{cell_prefix}Offset {pc} out of range {}..{}", info.content_start, usable - 4));
                coverage = false;
                continue;
            }
            let c = match parse_cell(&data, pc, usable, info.page_type, &geo) {
                Ok(c) => c,
                Err(_) => {
                    self.msg(format!("{cell_prefix}Extends off end of page"));
                    coverage = false;
                    continue;
                }
            };
            if info.is_table() {
                let out_of_order = if key_can_be_equal { c.rowid > max_key } else { c.rowid >= max_key };
                if out_of_order {
                    self.msg(format!("{cell_prefix}Rowid {} out of order", c.rowid));
                }
                max_key = c.rowid;
                key_can_be_equal = false;
            }
            if c.has_overflow() {
                let pages = geo.overflow_pages(c.payload_size, c.local);
                let pages = u32::try_from(pages).unwrap_or(u32::MAX);
                self.check_list(&cell_prefix, false, c.overflow, pages);
            }
            if !info.is_leaf() {
                let d2;
                (d2, max_key) = self.check_tree_page(root, c.child, table, level + 1, &cell_prefix, max_key);
                key_can_be_equal = false;
                if d2 != depth {
                    self.msg(format!("{cell_prefix}Child page depth differs"));
                    depth = d2;
                }
            }
            spans.push((pc, pc + c.size - 1));
        }
        if coverage && self.remaining > 0 {
            // Freeblocks (the chain was validated by free_space above).
            let mut fb = info.first_freeblock;
            while fb > 0 {
                let size = get_u16(&data, fb + 2) as usize;
                spans.push((fb, (fb + size).saturating_sub(1)));
                fb = get_u16(&data, fb) as usize;
            }
            spans.sort_unstable();
            // Signed: a corrupt zero-size freeblock makes a span that ends before it starts.
            let mut frag: i64 = 0;
            let mut prev_end = info.content_start as i64 - 1;
            let mut overlap = false;
            for &(start, end) in &spans {
                if prev_end >= start as i64 {
                    self.msg(format!("Multiple uses for byte {start} of page {pgno}"));
                    overlap = true;
                    break;
                }
                frag += start as i64 - prev_end - 1;
                prev_end = end as i64;
            }
            if !overlap {
                frag += usable as i64 - prev_end - 1;
                if frag != info.frag as i64 {
                    self.msg(format!("Fragmentation of {frag} bytes reported as {} on page {pgno}", info.frag));
                }
            }
        }
        (depth + 1, Some(max_key))
    }
}

/// Checks the trees at `roots` (root page, whether it is an index, its name) and the freelist,
/// and that every page of the file belongs to exactly one of them. `roots` must list every tree
/// in the file. Returns at most `max_errors` messages; none means the file is sound.
pub fn integrity_check(
    pager: &mut Pager,
    roots: &[(PageNumber, bool, String)],
    max_errors: usize,
) -> Result<Vec<String>> {
    let page_count = pager.page_count();
    if page_count == 0 || max_errors == 0 {
        return Ok(Vec::new());
    }
    let geo = Geometry::new(pager.usable_size());
    let trunk = pager.header_u32(OFFSET_FREELIST_TRUNK)?;
    let free_count = pager.header_u32(OFFSET_FREELIST_COUNT)?;
    let pending = pager.pending_byte_page();
    let mut ck = Checker {
        pager,
        geo,
        page_count,
        referenced: vec![false; page_count as usize + 1],
        errors: Vec::new(),
        remaining: max_errors,
    };
    if pending <= page_count {
        ck.referenced[pending as usize] = true;
    }
    ck.check_list("Freelist: ", true, trunk, free_count);
    for (root, is_index, _name) in roots {
        if ck.remaining == 0 {
            break;
        }
        ck.check_tree_page(*root, *root, !is_index, 0, "", i64::MAX);
    }
    for pgno in 1..=page_count {
        if ck.remaining == 0 {
            break;
        }
        if !ck.referenced[pgno as usize] {
            ck.msg(format!("Page {pgno}: never used"));
        }
    }
    Ok(ck.errors)
}
