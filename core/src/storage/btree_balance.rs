//! Balancing: keeps every B-tree page within its size after an insert or a delete, the way
//! SQLite's btree.c does, so the pages Brisk writes look like the pages SQLite writes.
//!
//! - [`balance_quick`]: appending past the right edge of the rightmost table leaf puts the new
//!   cell alone on a new right sibling (the autoincrementing-insert case; leaves stay full).
//! - `balance_nonroot`: redistributes the cells of up to three siblings, with the dividers between
//!   them, over as many pages as they need (up to five), and replaces the dividers in the parent.
//!   Table leaves have rowid dividers (the largest rowid of the left sibling); table interior and
//!   index pages move their dividers down into the cell list and new ones up, since an index
//!   divider is a real entry.
//! - `balance_deeper`: when the root overflows, its content moves to a new child and the root
//!   becomes an interior page with that single child; the root page number never changes.
//! - The root gets shallower again when merging leaves it with no cells and its only child fits
//!   into it.
//!
//! A page that does not fit is carried as a [`Node`] (its cells in memory), an "override" of its
//! page image, until the balance of its parent writes it out: SQLite's overflow cells,
//! generalized to the whole page. A page is underfull, and merged with its siblings, when more
//! than two thirds of it is free (SQLite's threshold).
//!
//! Invariant: a balance rewrites whole pages from their cell lists, so every page it writes is
//! defragmented and its header consistent; the parent's divider cells are rebuilt from the new
//! pages, never patched.

use crate::error::{Error, Result};
use crate::limits;
use crate::storage::btree_page::{
    cell_child, cells_fit, fit_cell, free_space, header_offset, insert_cell, interior_type_of, is_leaf, is_table,
    parse_cell, read_cells_into, read_node, set_cell_child, table_interior_cell, write_cells, write_node, Cells,
    Geometry, Node, PageInfo, PAGE_TABLE_LEAF,
};
use crate::storage::header::put_u32;
use crate::storage::pager::{PageNumber, PageRef, Pager};

/// Siblings balanced together (SQLite's NB).
const NB: usize = 3;
/// The most pages those siblings' cells can need.
const MAX_NEW_PAGES: usize = NB + 2;

/// One level of the path being balanced: the page and the child index taken from it.
#[derive(Debug, Clone)]
pub(crate) struct PathLevel {
    pub page: PageRef,
    pub idx: usize,
}

fn corrupt(what: impl Into<String>) -> Error {
    Error::corrupt(what.into())
}

fn page_node(page: &PageRef, geo: &Geometry) -> Result<Node> {
    let d = page.read();
    read_node(&d, &PageInfo::parse(&d, page.pgno(), geo)?, geo)
}

fn is_underfull(page: &PageRef, geo: &Geometry) -> Result<bool> {
    let d = page.read();
    let info = PageInfo::parse(&d, page.pgno(), geo)?;
    Ok(free_space(&d, &info, geo)? * 3 > geo.usable * 2)
}

/// Writes `node` to `page` when it fits; otherwise keeps it as the page's override.
fn store_node(pager: &mut Pager, geo: &Geometry, page: &PageRef, node: Node, slot: &mut Option<Node>) -> Result<()> {
    let hdr = header_offset(page.pgno());
    if node.fits(hdr, geo) {
        pager.write(page)?;
        write_node(&mut page.write(), hdr, &node, geo);
        *slot = None;
    } else {
        *slot = Some(node);
    }
    Ok(())
}

/// Balances the path from level `start` upwards (SQLite's balance()). `overrides[l]`, when set,
/// is the true content of `path[l]`, which did not fit its page. Returns the level at which
/// balancing stopped because the page there needed nothing.
pub(crate) fn balance(
    pager: &mut Pager,
    geo: &Geometry,
    path: &mut Vec<PathLevel>,
    overrides: &mut Vec<Option<Node>>,
    start: usize,
) -> Result<usize> {
    assert_eq!(path.len(), overrides.len());
    let mut level = start;
    // Each round moves up a level, except balance_deeper, which happens at most once: after it
    // the root has no cells and takes at most MAX_NEW_PAGES - 1 dividers.
    for _ in 0..2 * limits::MAX_BTREE_DEPTH + 4 {
        if level == 0 {
            let Some(node) = overrides[0].take() else {
                return Ok(0);
            };
            balance_deeper(pager, geo, path, overrides, node)?;
            level = 1;
            continue;
        }
        if overrides[level].is_none() && !is_underfull(&path[level].page, geo)? {
            return Ok(level);
        }
        let child = overrides[level].take();
        let parent_page = path[level - 1].page.clone();
        let mut parent = match overrides[level - 1].take() {
            Some(n) => n,
            None => page_node(&parent_page, geo)?,
        };
        let ancestors: Vec<PageNumber> = path[..level].iter().map(|l| l.page.pgno()).collect();
        balance_nonroot(
            pager,
            geo,
            &parent_page,
            &mut parent,
            path[level - 1].idx,
            &path[level].page,
            child,
            level == 1,
            &ancestors,
        )?;
        store_node(pager, geo, &parent_page, parent, &mut overrides[level - 1])?;
        level -= 1;
    }
    Err(Error::Internal("balance did not converge".into()))
}

/// Moves the root's content (`node`, which does not fit) to a new child page and makes the root
/// an interior page whose only child is that page.
fn balance_deeper(
    pager: &mut Pager,
    geo: &Geometry,
    path: &mut Vec<PathLevel>,
    overrides: &mut Vec<Option<Node>>,
    node: Node,
) -> Result<()> {
    let root = path[0].page.clone();
    let child = pager.allocate()?;
    pager.write(&root)?;
    let root_node = Node::empty(interior_type_of(node.page_type), child.pgno());
    write_node(&mut root.write(), header_offset(root.pgno()), &root_node, geo);
    path[0].idx = 0;
    path.insert(1, PathLevel { page: child, idx: 0 });
    overrides[0] = None;
    overrides.insert(1, Some(node));
    Ok(())
}

/// Appends `cell`, which did not fit on the rightmost table leaf `path[level]`, as the only cell
/// of a new right sibling, and adds the divider for the old leaf to the parent (SQLite's
/// balance_quick). The parent may then overflow; the caller balances it.
pub(crate) fn balance_quick(
    pager: &mut Pager,
    geo: &Geometry,
    path: &[PathLevel],
    overrides: &mut [Option<Node>],
    level: usize,
    cell: Vec<u8>,
) -> Result<()> {
    assert!(level > 0);
    let leaf = &path[level].page;
    let parent = &path[level - 1].page;
    let last_rowid = {
        let d = leaf.read();
        let info = PageInfo::parse(&d, leaf.pgno(), geo)?;
        if info.ncell == 0 || info.page_type != PAGE_TABLE_LEAF {
            return Err(corrupt(format!("page {}: not a table leaf with cells", leaf.pgno())));
        }
        info.cell(&d, info.ncell - 1, geo)?.rowid
    };
    let new = pager.allocate()?;
    let mut node = Node::empty(PAGE_TABLE_LEAF, 0);
    node.cells.push(&cell);
    write_node(&mut new.write(), 0, &node, geo);
    let divider = table_interior_cell(leaf.pgno(), last_rowid);
    pager.write(parent)?;
    let mut d = parent.write();
    let mut info = PageInfo::parse(&d, parent.pgno(), geo)?;
    let n = info.ncell;
    if insert_cell(&mut d, &mut info, n, &divider, geo)? {
        put_u32(&mut d, info.hdr + 8, new.pgno());
    } else {
        let mut node = read_node(&d, &info, geo)?;
        node.cells.push(&divider);
        node.right = new.pgno();
        overrides[level - 1] = Some(node);
    }
    Ok(())
}

/// Redistributes the cells of the child at `child_idx` of `parent` and up to two of its
/// siblings (SQLite's balance_nonroot). `child` is the child's true content when it did not fit
/// its page. Rewrites the siblings, allocates or frees pages as the cell count needs, and
/// updates `parent` (the caller writes it). When the parent is the root and ends up with no
/// cells, the single remaining child is copied into it if it fits.
fn balance_nonroot(
    pager: &mut Pager,
    geo: &Geometry,
    parent_page: &PageRef,
    parent: &mut Node,
    child_idx: usize,
    child_page: &PageRef,
    child: Option<Node>,
    parent_is_root: bool,
    ancestors: &[PageNumber],
) -> Result<()> {
    let parent_pgno = parent_page.pgno();
    if is_leaf(parent.page_type) {
        return Err(corrupt(format!("page {parent_pgno}: leaf page used as a parent")));
    }
    let nc = parent.cells.len();
    if child_idx > nc {
        return Err(Error::Internal(format!("child index {child_idx} past the {nc} cells of page {parent_pgno}")));
    }
    // Pick the siblings: the child and its neighbours, as SQLite does.
    let (nx_div, n_old) = if nc < 2 {
        (0, nc + 1)
    } else if child_idx == 0 {
        (0, NB)
    } else if child_idx == nc {
        (nc - 2, NB)
    } else {
        (child_idx - 1, NB)
    };
    let mut child = child;
    let mut old_pages: Vec<PageRef> = Vec::with_capacity(n_old);
    let mut b = Cells::with_capacity(n_old * geo.usable / 8, n_old * geo.usable);
    let mut cnt_old = [0usize; NB];
    let mut page_type = 0;
    let mut last_right = 0;
    let dividers: Vec<Vec<u8>> = (nx_div..nx_div + n_old - 1).map(|c| parent.cells.get(c).to_vec()).collect();
    for j in 0..n_old {
        let c = nx_div + j;
        let pgno = if c == nc { parent.right } else { cell_child(parent.cells.get(c))? };
        if pgno < 2
            || pgno > pager.page_count()
            || ancestors.contains(&pgno)
            || old_pages.iter().any(|p| p.pgno() == pgno)
        {
            return Err(corrupt(format!("page {parent_pgno}: bad child page {pgno}")));
        }
        let page = if c == child_idx {
            if pgno != child_page.pgno() {
                return Err(Error::Internal(format!(
                    "page {parent_pgno}: child {child_idx} is not page {}",
                    child_page.pgno()
                )));
            }
            child_page.clone()
        } else {
            pager.get_blocking(pgno)?
        };
        // Gather every cell of the siblings, in order, with the dividers between them (except
        // for table leaves, whose dividers are only copies of rowids).
        let (t, right) = match (c == child_idx).then(|| child.take()).flatten() {
            Some(node) => {
                b.extend_from(&node.cells, 0..node.cells.len());
                (node.page_type, node.right)
            }
            None => {
                let d = page.read();
                let info = PageInfo::parse(&d, pgno, geo)?;
                read_cells_into(&d, &info, geo, &mut b)?;
                (info.page_type, info.right_child)
            }
        };
        if is_table(t) != is_table(parent.page_type) || (j > 0 && t != page_type) {
            return Err(corrupt(format!("page {pgno}: page type differs from its siblings or parent")));
        }
        page_type = t;
        last_right = right;
        old_pages.push(page);
        cnt_old[j] = b.len();
        if j + 1 < n_old && t != PAGE_TABLE_LEAF {
            let div = &dividers[j];
            if div.len() < 4 {
                return Err(corrupt(format!("page {parent_pgno}: divider cell too short")));
            }
            let cell = if is_leaf(t) {
                fit_cell(div[4..].to_vec(), t, geo)?
            } else {
                // The divider comes down with the left sibling's right child as its left child.
                let mut cell = right.to_be_bytes().to_vec();
                cell.extend_from_slice(&div[4..]);
                fit_cell(cell, t, geo)?
            };
            b.push(&cell);
        }
    }
    parent.cells.remove_range(nx_div..nx_div + n_old - 1);
    let leaf = is_leaf(page_type);
    let leaf_data = page_type == PAGE_TABLE_LEAF;
    let n_cells = b.len();
    let size = |i: usize| b.get(i).len() as i64 + 2;

    // Distribute: first pack each page from the left, adding pages as needed, then move cells
    // right while that evens the pages out (SQLite's two passes, kept exactly so the pages
    // match what SQLite would write).
    let usable_space = (geo.usable - 12 + if leaf { 4 } else { 0 }) as i64;
    let mut sz_new = [0i64; MAX_NEW_PAGES];
    let mut cnt_new = [0usize; MAX_NEW_PAGES];
    for j in 0..n_old {
        let start = if j == 0 { 0 } else { cnt_old[j - 1] + usize::from(!leaf_data) };
        sz_new[j] = (start..cnt_old[j]).map(size).sum();
        cnt_new[j] = cnt_old[j];
    }
    let mut k = n_old;
    let mut i = 0;
    while i < k {
        while sz_new[i] > usable_space {
            if i + 1 >= k {
                k = i + 2;
                if k > MAX_NEW_PAGES {
                    return Err(corrupt(format!("page {parent_pgno}: children need more than {MAX_NEW_PAGES} pages")));
                }
                sz_new[k - 1] = 0;
                cnt_new[k - 1] = n_cells;
            }
            if cnt_new[i] == 0 {
                return Err(corrupt(format!("page {parent_pgno}: cell larger than a page")));
            }
            let sz = size(cnt_new[i] - 1);
            sz_new[i] -= sz;
            let moved = if leaf_data {
                sz
            } else if cnt_new[i] < n_cells {
                size(cnt_new[i])
            } else {
                0
            };
            sz_new[i + 1] += moved;
            cnt_new[i] -= 1;
        }
        while cnt_new[i] < n_cells {
            let sz = size(cnt_new[i]);
            if sz_new[i] + sz > usable_space {
                break;
            }
            sz_new[i] += sz;
            cnt_new[i] += 1;
            let moved = if leaf_data {
                sz
            } else if cnt_new[i] < n_cells {
                size(cnt_new[i])
            } else {
                0
            };
            sz_new[i + 1] -= moved;
        }
        if cnt_new[i] >= n_cells {
            k = i + 1;
        } else if cnt_new[i] <= if i > 0 { cnt_new[i - 1] } else { 0 } {
            return Err(corrupt(format!("page {parent_pgno}: cannot distribute the cells of its children")));
        }
        i += 1;
    }
    for i in (1..k).rev() {
        let mut sz_right = sz_new[i];
        let mut sz_left = sz_new[i - 1];
        let mut r = cnt_new[i - 1] as i64 - 1;
        let mut d = r + 1 - i64::from(leaf_data);
        while r >= 0 {
            let (ru, du) = (r as usize, d as usize);
            let bias = if i == k - 1 { 0 } else { 2 };
            if sz_right != 0 && sz_right + size(du) > sz_left - (b.get(ru).len() as i64 + bias) {
                break;
            }
            sz_right += size(du);
            sz_left -= size(ru);
            cnt_new[i - 1] = ru;
            r -= 1;
            d -= 1;
        }
        sz_new[i] = sz_right;
        sz_new[i - 1] = sz_left;
        if cnt_new[i - 1] <= if i > 1 { cnt_new[i - 2] } else { 0 } {
            return Err(corrupt(format!("page {parent_pgno}: cannot distribute the cells of its children")));
        }
    }

    // Build the new pages' content and the dividers that go up.
    let mut pgnos: Vec<PageNumber> = old_pages.iter().take(k).map(|p| p.pgno()).collect();
    let mut allocated: Vec<PageRef> = Vec::new();
    let mut rights: Vec<PageNumber> = Vec::with_capacity(k);
    let mut new_dividers: Vec<Vec<u8>> = Vec::with_capacity(k);
    // Page numbers are assigned in increasing order, as SQLite does, so that a scan reads the
    // file forwards. Allocation happens only once the cells are known to fit.
    let mut start = 0;
    let mut ranges = Vec::with_capacity(k);
    for &end in &cnt_new[..k] {
        if end < start {
            return Err(corrupt(format!("page {parent_pgno}: cannot distribute the cells of its children")));
        }
        ranges.push((start, end));
        start = if leaf_data { end } else { end + 1 };
    }
    if ranges.iter().any(|&(start, end)| !cells_fit(&b, start..end, page_type, 0, geo)) {
        return Err(corrupt(format!("page {parent_pgno}: a child's cells do not fit on a page")));
    }
    while pgnos.len() < k {
        let page = pager.allocate()?;
        pgnos.push(page.pgno());
        allocated.push(page);
    }
    pgnos.sort_unstable();
    for (j, &(start, end)) in ranges.iter().enumerate() {
        let right = if leaf {
            0
        } else if j + 1 < k {
            cell_child(b.get(end))?
        } else {
            last_right
        };
        if j + 1 < k {
            let pg = pgnos[j].to_be_bytes();
            let divider = if leaf_data {
                if end == start {
                    return Err(corrupt("empty table leaf in a balance"));
                }
                let last = b.get(end - 1);
                table_interior_cell(pgnos[j], parse_cell(last, 0, last.len(), PAGE_TABLE_LEAF, geo)?.rowid)
            } else if leaf {
                let mut c = pg.to_vec();
                c.extend_from_slice(b.get(end));
                fit_cell(c, interior_type_of(page_type), geo)?
            } else {
                let mut c = pg.to_vec();
                c.extend_from_slice(&b.get(end)[4..]);
                fit_cell(c, page_type, geo)?
            };
            new_dividers.push(divider);
        }
        rights.push(right);
    }

    // The parent: new dividers in place of the old, and the pointer to the last sibling.
    let last_was_right = nx_div + n_old - 1 == nc;
    for (j, d) in new_dividers.iter().enumerate() {
        parent.cells.insert(nx_div + j, d);
    }
    let last_pgno = pgnos[k - 1];
    if last_was_right {
        parent.right = last_pgno;
    } else {
        set_cell_child(parent.cells.get_mut(nx_div + k - 1), last_pgno);
    }

    let page_for = |pgno: PageNumber| -> PageRef {
        old_pages.iter().chain(allocated.iter()).find(|p| p.pgno() == pgno).expect("page of the balance").clone()
    };
    let mut to_free: Vec<PageNumber> = old_pages.iter().map(|p| p.pgno()).filter(|p| !pgnos.contains(p)).collect();
    if parent_is_root
        && parent.cells.is_empty()
        && cells_fit(&b, ranges[0].0..ranges[0].1, page_type, header_offset(parent_pgno), geo)
    {
        // The root lost its last divider: it takes its only child's content (SQLite's
        // balance-shallower step), and the child page is freed.
        debug_assert_eq!(k, 1);
        let mut cells = Cells::with_capacity(ranges[0].1 - ranges[0].0, geo.usable);
        cells.extend_from(&b, ranges[0].0..ranges[0].1);
        *parent = Node { page_type, cells, right: rights[0] };
        to_free.push(pgnos[0]);
    } else {
        for (j, &pgno) in pgnos.iter().enumerate() {
            let page = page_for(pgno);
            pager.write(&page)?;
            write_cells(&mut page.write(), 0, page_type, rights[j], &b, ranges[j].0..ranges[j].1, geo);
        }
    }
    drop(old_pages);
    drop(allocated);
    for pgno in to_free {
        pager.free(pgno)?;
    }
    Ok(())
}
