//! Page-level tests of the pager: transactions, savepoints, the freelist, the cache bound, the
//! journal modes, crash safety on a simulated disk, and journal and lock interoperability with real
//! SQLite (bundled through `rusqlite`, and the `/usr/bin/sqlite3` shell in a child process).
//!
//! No B-tree is involved: pages are raw bytes. Page 1 must keep a valid database header, so the
//! tests write page 1 only from offset [`PAGE1_FREE_FROM`] on, and any byte of other pages. Every
//! page a test writes holds [`pattern`]`(tag, pgno)`, which names the transaction (`tag`) and the
//! page, and differs between tags in every 512-byte sector, so a torn or stale page never passes
//! for the right one.
//!
//! The crash tests (`crash_*`) run a seeded workload of transactions on [`SimIo`] and cut the
//! power at every mutating request in turn (`set_fail_after(Some(k))` for k = 0, 1, ... until a
//! run completes), with and without torn writes, then reopen the database and require it to be
//! exactly the image some committed prefix of the workload left: the last transaction whose
//! commit returned `Ok`, or, only when the crash hit after that commit's journal was made non-hot
//! but before that was durable, the transaction being committed. The reference images come from
//! an uninterrupted run and are checked against an independent model of what each transaction
//! wrote (pages, page count, header fields, freelist), so no expectation is copied from the
//! pager's own output unchecked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::io::{Io, MemoryIo, SimIo, SyncIo};
use crate::storage::header::{self, get_u16, get_u32, DbHeader};
use crate::storage::journal;
use crate::storage::pager::{JournalMode, PageNumber, Pager, PagerOptions, PagerState};

const DB: &str = "test.db";
const JOURNAL: &str = "test.db-journal";
/// Tests write page 1 only from here on: bytes 0..100 are the header, 100..108 the (empty)
/// sqlite_schema root's page header SQLite expects.
const PAGE1_FREE_FROM: usize = 200;
/// A small page keeps the simulated crash runs cheap; 1024 bytes still spans two 512-byte sectors,
/// so a torn page write is possible.
const SMALL_PAGE_BYTES: usize = 1024;

fn options(page_size: usize, mode: JournalMode) -> PagerOptions {
    PagerOptions { page_size, journal_mode: mode, ..PagerOptions::default() }
}

fn open(io: &Arc<dyn Io>, path: &str, opts: &PagerOptions) -> Pager {
    Pager::open(io.clone(), path, opts.clone()).expect("open pager")
}

/// The bytes transaction `tag` writes into page `pgno` (all of it; page 1 takes the part from
/// `PAGE1_FREE_FROM`). The first eight bytes are `tag` and `pgno`, big-endian, for readable diffs.
fn pattern(tag: u32, pgno: PageNumber, len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len)
        .map(|i| {
            let i = i as u32;
            (i.wrapping_mul(7) ^ (i >> 9)).wrapping_add(tag.wrapping_mul(131)).wrapping_add(pgno.wrapping_mul(17)) as u8
        })
        .collect();
    v[..4].copy_from_slice(&tag.to_be_bytes());
    v[4..8].copy_from_slice(&pgno.to_be_bytes());
    v
}

/// Makes `pgno` writable and fills it with `pattern(tag, pgno)`.
fn write_pattern(p: &mut Pager, pgno: PageNumber, tag: u32) -> Result<()> {
    let page = p.get_blocking(pgno)?;
    p.write(&page)?;
    let pat = pattern(tag, pgno, p.page_size());
    let mut d = page.write();
    if pgno == 1 {
        d[PAGE1_FREE_FROM..].copy_from_slice(&pat[PAGE1_FREE_FROM..]);
    } else {
        d.copy_from_slice(&pat);
    }
    Ok(())
}

/// Whether page `pgno` (as `bytes`) holds `pattern(tag, pgno)` (page 1: from `PAGE1_FREE_FROM`).
fn holds_pattern(bytes: &[u8], pgno: PageNumber, tag: u32) -> bool {
    let pat = pattern(tag, pgno, bytes.len());
    let from = if pgno == 1 { PAGE1_FREE_FROM } else { 0 };
    bytes[from..] == pat[from..]
}

fn read_page(p: &mut Pager, pgno: PageNumber) -> Vec<u8> {
    let page = p.get_blocking(pgno).unwrap_or_else(|e| panic!("read page {pgno}: {e:?}"));
    let v = page.read().to_vec();
    v
}

/// Pages 1..=page_count, concatenated: the database as the pager sees it.
fn read_all(p: &mut Pager) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.page_count() as usize * p.page_size());
    for pgno in 1..=p.page_count() {
        out.extend_from_slice(&read_page(p, pgno));
    }
    out
}

fn page_of(image: &[u8], page_size: usize, pgno: PageNumber) -> &[u8] {
    &image[(pgno as usize - 1) * page_size..][..page_size]
}

/// Walks the freelist of a database image (SQLite's format: a chain of trunk pages, each with a
/// next-trunk pointer, a leaf count and leaf page numbers) and checks it against the header's count.
fn walk_freelist(image: &[u8], page_size: usize) -> BTreeSet<PageNumber> {
    let pages = (image.len() / page_size) as PageNumber;
    let count = get_u32(image, header::OFFSET_FREELIST_COUNT) as usize;
    let mut trunk = get_u32(image, header::OFFSET_FREELIST_TRUNK);
    let mut free = BTreeSet::new();
    // Bounded: every trunk is a new member of `free`, which has at most `pages` members.
    while trunk != 0 {
        assert!((2..=pages).contains(&trunk), "freelist trunk {trunk} out of range 2..={pages}");
        assert!(free.insert(trunk), "freelist trunk {trunk} listed twice");
        let t = page_of(image, page_size, trunk);
        let leaves = get_u32(t, 4) as usize;
        assert!(leaves <= page_size / 4 - 2, "trunk {trunk} claims {leaves} leaves");
        for i in 0..leaves {
            let leaf = get_u32(t, 8 + 4 * i);
            assert!((2..=pages).contains(&leaf), "freelist leaf {leaf} out of range");
            assert!(free.insert(leaf), "freelist page {leaf} listed twice");
        }
        trunk = get_u32(t, 0);
    }
    assert_eq!(free.len(), count, "header freelist count vs the pages on the freelist");
    free
}

/// What the workload believes the database holds.
#[derive(Debug, Clone, Default)]
struct Model {
    /// The tag of the last transaction that wrote each page in use (page 1: its tail).
    pages: BTreeMap<PageNumber, u32>,
    free: BTreeSet<PageNumber>,
    page_count: PageNumber,
}

impl Model {
    /// The pages in use other than page 1.
    fn live(&self) -> Vec<PageNumber> {
        self.pages.keys().copied().filter(|&p| p != 1).collect()
    }
}

/// Checks a committed database image against the model after `commits` commits: size, header
/// fields the pager maintains, freelist, and every page in use byte for byte.
fn check_image(image: &[u8], page_size: usize, model: &Model, commits: u32) {
    assert_eq!(image.len(), model.page_count as usize * page_size, "file size vs model page count");
    if model.page_count == 0 {
        return;
    }
    let h = DbHeader::parse(&image[..header::HEADER_SIZE]).expect("valid header");
    assert_eq!(h.page_size, page_size);
    assert_eq!(h.page_count, Some(model.page_count), "header page count (valid, as version-valid-for == counter)");
    assert_eq!(get_u32(image, header::OFFSET_CHANGE_COUNTER), commits, "one change-counter step per commit");
    assert_eq!(get_u32(image, header::OFFSET_VERSION_VALID_FOR), commits);
    assert_eq!(get_u32(image, header::OFFSET_SQLITE_VERSION), header::SQLITE_VERSION_NUMBER);
    assert_eq!(walk_freelist(image, page_size), model.free, "freelist");
    for pgno in 2..=model.page_count {
        assert!(model.pages.contains_key(&pgno) != model.free.contains(&pgno), "page {pgno} is in use xor free");
    }
    for (&pgno, &tag) in &model.pages {
        let page = page_of(image, page_size, pgno);
        if tag == 0 {
            assert!(page[PAGE1_FREE_FROM..].iter().all(|&b| b == 0), "page {pgno} never written");
        } else {
            assert!(holds_pattern(page, pgno, tag), "page {pgno} should hold transaction {tag}'s pattern");
        }
    }
}

/// A scratch directory under the system temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!("brisk-pager-{name}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(unique);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("UTF-8 temp path").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- 1. basics ------------------------------------------------------------------------------------

/// Creates a database of `pages` pages, each holding `pattern(1, pgno)` (page 1: its tail).
fn create_db(io: &Arc<dyn Io>, opts: &PagerOptions, pages: PageNumber) {
    let mut p = open(io, DB, opts);
    p.begin_write(false).unwrap();
    assert_eq!(p.page_count(), 1, "a new database starts with page 1");
    for expect in 2..=pages {
        let page = p.allocate().unwrap();
        assert_eq!(page.pgno(), expect);
        assert!(page.read().iter().all(|&b| b == 0), "a new page is zero-filled");
        drop(page);
        write_pattern(&mut p, expect, 1).unwrap();
    }
    write_pattern(&mut p, 1, 1).unwrap();
    p.commit().unwrap();
    assert_eq!(p.page_count(), pages);
}

fn assert_pages(p: &mut Pager, expect: &BTreeMap<PageNumber, u32>) {
    for (&pgno, &tag) in expect {
        assert!(holds_pattern(&read_page(p, pgno), pgno, tag), "page {pgno} should hold tag {tag}");
    }
}

#[test]
fn commit_then_reopen_reads_back() {
    let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
    let opts = options(SMALL_PAGE_BYTES, JournalMode::Delete);
    create_db(&io, &opts, 10);
    let mut p = open(&io, DB, &opts);
    p.begin_read().unwrap();
    assert_eq!(p.page_count(), 10);
    let all: BTreeMap<PageNumber, u32> = (1..=10).map(|pg| (pg, 1)).collect();
    assert_pages(&mut p, &all);
    let page1 = read_page(&mut p, 1);
    DbHeader::parse(&page1).expect("page 1 keeps a valid header");
    // The empty sqlite_schema root the pager wrote is untouched.
    assert_eq!(page1[100], 0x0d);
    p.end_read();
    assert_eq!(p.state(), PagerState::Open);
    assert_eq!(io.as_ref().exists(JOURNAL).unwrap(), false, "DELETE mode leaves no journal");
}

#[test]
fn commit_updates_the_header_fields() {
    let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
    let opts = options(SMALL_PAGE_BYTES, JournalMode::Delete);
    let mut p = open(&io, DB, &opts);
    for (commits, grow) in [(1u32, 3u32), (2, 0), (3, 5), (4, 1)] {
        p.begin_write(false).unwrap();
        for _ in 0..grow {
            let pgno = p.allocate().unwrap().pgno();
            write_pattern(&mut p, pgno, commits).unwrap();
        }
        write_pattern(&mut p, 1, commits).unwrap();
        p.commit().unwrap();
        let page_count = p.page_count();
        p.end_read();
        // What another connection sees in the file.
        let mut q = open(&io, DB, &opts);
        q.begin_read().unwrap();
        assert_eq!(q.page_count(), page_count);
        let page1 = read_page(&mut q, 1);
        assert_eq!(get_u32(&page1, header::OFFSET_CHANGE_COUNTER), commits);
        assert_eq!(get_u32(&page1, header::OFFSET_VERSION_VALID_FOR), commits);
        assert_eq!(get_u32(&page1, header::OFFSET_PAGE_COUNT), page_count);
        assert_eq!(get_u32(&page1, header::OFFSET_SQLITE_VERSION), header::SQLITE_VERSION_NUMBER);
        assert_eq!(DbHeader::parse(&page1).unwrap().page_count, Some(page_count));
        q.end_read();
    }
    assert_eq!(p.page_count(), 10);
}

#[test]
fn rollback_discards_changes_and_growth() {
    let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
    let opts = options(SMALL_PAGE_BYTES, JournalMode::Delete);
    create_db(&io, &opts, 6);
    let mut p = open(&io, DB, &opts);
    p.begin_write(false).unwrap();
    for pgno in [1, 2, 5] {
        write_pattern(&mut p, pgno, 2).unwrap();
    }
    for _ in 0..3 {
        let pgno = p.allocate().unwrap().pgno();
        write_pattern(&mut p, pgno, 2).unwrap();
    }
    p.free(3).unwrap();
    assert_eq!(p.page_count(), 9);
    p.rollback().unwrap();
    assert_eq!(p.state(), PagerState::Reader);
    assert_eq!(p.page_count(), 6);
    let all: BTreeMap<PageNumber, u32> = (1..=6).map(|pg| (pg, 1)).collect();
    assert_pages(&mut p, &all);
    assert_eq!(p.header_u32(header::OFFSET_FREELIST_COUNT).unwrap(), 0);
    p.end_read();
    assert!(!io.exists(JOURNAL).unwrap());
    let mut q = open(&io, DB, &opts);
    q.begin_read().unwrap();
    assert_eq!(q.page_count(), 6);
    assert_pages(&mut q, &all);
    // Allocation after the rollback continues from the old end.
    q.begin_write(false).unwrap();
    assert_eq!(q.allocate().unwrap().pgno(), 7);
    q.rollback().unwrap();
}

#[test]
fn nested_savepoints() {
    let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
    let opts = options(SMALL_PAGE_BYTES, JournalMode::Delete);
    create_db(&io, &opts, 8);
    let mut p = open(&io, DB, &opts);
    p.begin_write(false).unwrap();
    write_pattern(&mut p, 2, 10).unwrap(); // before any savepoint: survives everything
    let outer = p.savepoint_begin();
    write_pattern(&mut p, 3, 11).unwrap();
    write_pattern(&mut p, 2, 12).unwrap();
    let inner = p.savepoint_begin();
    assert_eq!((outer, inner, p.savepoint_depth()), (1, 2, 2));
    write_pattern(&mut p, 4, 13).unwrap();
    write_pattern(&mut p, 3, 14).unwrap();
    let grown = p.allocate().unwrap().pgno();
    assert_eq!(grown, 9);
    write_pattern(&mut p, grown, 13).unwrap();
    p.free(6).unwrap();

    // Rolling back the inner savepoint keeps the outer one's changes.
    p.savepoint_rollback(inner).unwrap();
    assert_eq!(p.savepoint_depth(), 2, "a rolled-back savepoint stays open");
    assert_eq!(p.page_count(), 8);
    assert_eq!(p.header_u32(header::OFFSET_FREELIST_COUNT).unwrap(), 0);
    let expect: BTreeMap<PageNumber, u32> = [(2, 12), (3, 11), (4, 1), (6, 1)].into();
    assert_pages(&mut p, &expect);
    assert_eq!(p.allocate().unwrap().pgno(), 9, "the page allocated in the savepoint is free again");
    write_pattern(&mut p, 9, 15).unwrap();

    // Work in the still-open inner savepoint, then release it into the outer one.
    write_pattern(&mut p, 5, 15).unwrap();
    p.savepoint_release(inner);
    assert_eq!(p.savepoint_depth(), 1);
    assert_pages(&mut p, &[(5, 15), (9, 15)].into());

    // Rolling back the outer savepoint undoes the released inner one's work too.
    p.savepoint_rollback(outer).unwrap();
    assert_eq!(p.page_count(), 8);
    let expect: BTreeMap<PageNumber, u32> = [(2, 10), (3, 1), (4, 1), (5, 1), (6, 1)].into();
    assert_pages(&mut p, &expect);
    p.savepoint_release(outer);
    assert_eq!(p.savepoint_depth(), 0);

    // After release, more work and a commit: only the pre-savepoint change and this one persist.
    write_pattern(&mut p, 7, 16).unwrap();
    p.commit().unwrap();
    p.end_read();
    let mut q = open(&io, DB, &opts);
    q.begin_read().unwrap();
    assert_eq!(q.page_count(), 8);
    let expect: BTreeMap<PageNumber, u32> = [(1, 1), (2, 10), (3, 1), (4, 1), (5, 1), (6, 1), (7, 16), (8, 1)].into();
    assert_pages(&mut q, &expect);
}

#[test]
fn release_then_commit_keeps_savepoint_work() {
    let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
    let opts = options(SMALL_PAGE_BYTES, JournalMode::Delete);
    create_db(&io, &opts, 4);
    let mut p = open(&io, DB, &opts);
    p.begin_write(false).unwrap();
    let sp = p.savepoint_begin();
    write_pattern(&mut p, 3, 2).unwrap();
    let pgno = p.allocate().unwrap().pgno();
    write_pattern(&mut p, pgno, 2).unwrap();
    p.savepoint_release(sp);
    p.commit().unwrap();
    p.end_read();
    let mut q = open(&io, DB, &opts);
    q.begin_read().unwrap();
    assert_eq!(q.page_count(), 5);
    assert_pages(&mut q, &[(2, 1), (3, 2), (4, 1), (5, 2)].into());
}

#[test]
fn freed_pages_are_reused_and_the_header_agrees() {
    let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
    // 512-byte pages: a trunk holds 512/4 - 8 = 120 leaves, so 300 frees need several trunks.
    let opts = options(512, JournalMode::Delete);
    create_db(&io, &opts, 400);
    let freed: BTreeSet<PageNumber> = (2..=400).filter(|pg| pg % 4 != 0).take(300).collect();
    let mut p = open(&io, DB, &opts);
    p.begin_write(false).unwrap();
    for &pgno in &freed {
        p.free(pgno).unwrap();
    }
    p.commit().unwrap();
    assert_eq!(p.page_count(), 400, "freeing does not shrink the file");
    p.end_read();
    let image = {
        let mut q = open(&io, DB, &opts);
        q.begin_read().unwrap();
        read_all(&mut q)
    };
    assert_eq!(walk_freelist(&image, 512), freed);
    let trunks = {
        let mut n = 0;
        let mut t = get_u32(&image, header::OFFSET_FREELIST_TRUNK);
        while t != 0 {
            n += 1;
            t = get_u32(page_of(&image, 512, t), 0);
        }
        n
    };
    assert!(trunks >= 3, "300 free pages need at least three trunks, got {trunks}");
    // Pages still in use are untouched.
    for pgno in (2..=400).filter(|pg| !freed.contains(pg)) {
        assert!(holds_pattern(page_of(&image, 512, pgno), pgno, 1));
    }

    // Allocation takes every free page before growing the file, each zero-filled.
    p.begin_write(false).unwrap();
    let mut got = BTreeSet::new();
    for i in 0..freed.len() {
        let page = p.allocate().unwrap();
        assert!(page.read().iter().all(|&b| b == 0), "reused page {} is zero-filled", page.pgno());
        assert!(got.insert(page.pgno()), "page {} allocated twice", page.pgno());
        let left = p.header_u32(header::OFFSET_FREELIST_COUNT).unwrap() as usize;
        assert_eq!(left, freed.len() - i - 1);
        let pgno = page.pgno();
        drop(page);
        write_pattern(&mut p, pgno, 2).unwrap();
    }
    assert_eq!(got, freed);
    assert_eq!(p.header_u32(header::OFFSET_FREELIST_TRUNK).unwrap(), 0);
    assert_eq!(p.allocate().unwrap().pgno(), 401, "an empty freelist means growth");
    p.commit().unwrap();
    p.end_read();
    let mut q = open(&io, DB, &opts);
    q.begin_read().unwrap();
    let image = read_all(&mut q);
    assert!(walk_freelist(&image, 512).is_empty());
    for &pgno in &freed {
        assert!(holds_pattern(page_of(&image, 512, pgno), pgno, 2));
    }
}

/// SQLite is the oracle for the freelist format: a database whose every page but page 1 is on
/// our freelist must pass its integrity check with the right freelist count.
#[test]
fn sqlite_accepts_our_freelist() {
    let dir = TempDir::new("freelist");
    let path = dir.file("free.db");
    let io: Arc<dyn Io> = Arc::new(SyncIo::new());
    let opts = options(512, JournalMode::Delete);
    {
        let mut p = open(&io, &path, &opts);
        p.begin_write(false).unwrap();
        for _ in 2..=300 {
            p.allocate().unwrap();
        }
        p.commit().unwrap();
        p.begin_write(false).unwrap();
        // Free in a scrambled order so that trunks and leaves interleave.
        for i in 0..299u32 {
            p.free(2 + (i * 37) % 299).unwrap();
        }
        p.commit().unwrap();
        // And reuse a few, which shortens the first trunk and may consume one.
        p.begin_write(false).unwrap();
        for _ in 0..130 {
            p.allocate().unwrap();
        }
        for pgno in [5, 7, 11] {
            p.free(pgno).unwrap();
        }
        p.commit().unwrap();
    }
    let image = std::fs::read(&path).unwrap();
    let free = walk_freelist(&image, 512).len();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    // The reused pages are in no B-tree, so SQLite reports them as never used; the freelist itself
    // must raise no complaint.
    assert!(!check.contains("freelist") && !check.contains("Freelist"), "integrity_check: {check}");
    let count: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap();
    assert_eq!(count as usize, free);
    assert_eq!(free, 299 - 130 + 3);
    drop(conn);

    // With every page free again, the integrity check is clean.
    {
        let mut p = open(&io, &path, &opts);
        p.begin_write(false).unwrap();
        let in_use: Vec<PageNumber> =
            (2..=p.page_count()).filter(|pg| !walk_freelist(&image, 512).contains(pg)).collect();
        for pgno in in_use {
            p.free(pgno).unwrap();
        }
        p.commit().unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let count: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 299);
}

#[test]
fn the_cache_stays_bounded() {
    let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
    let mut opts = options(SMALL_PAGE_BYTES, JournalMode::Delete);
    opts.cache_size = 10;
    const BOUND: usize = 10;
    let mut p = open(&io, DB, &opts);
    p.begin_write(false).unwrap();
    write_pattern(&mut p, 1, 1).unwrap();
    for _ in 2..=100 {
        let pgno = p.allocate().unwrap().pgno();
        write_pattern(&mut p, pgno, 1).unwrap();
    }
    // Every allocated page is dirty, so all may stay.
    assert!(p.cached_page_count() <= 100);
    p.commit().unwrap();
    assert!(p.cached_page_count() <= BOUND, "after commit {} pages cached, bound {BOUND}", p.cached_page_count());

    // A reader touching every page in a scrambled order.
    for i in 0..300u32 {
        let pgno = 1 + (i * 53) % 100;
        assert!(holds_pattern(&read_page(&mut p, pgno), pgno, 1));
        assert!(p.cached_page_count() <= BOUND, "reading: {} cached", p.cached_page_count());
    }

    // A writer: dirty pages stay, clean ones are evicted.
    p.begin_write(false).unwrap();
    let mut dirty = BTreeSet::new();
    for i in 0..300u32 {
        let pgno = 1 + (i * 29) % 100;
        if i % 10 == 0 {
            write_pattern(&mut p, pgno, 2).unwrap();
            dirty.insert(pgno);
        } else {
            read_page(&mut p, pgno);
        }
        let cached = p.cached_page_count();
        assert!(cached <= BOUND + dirty.len(), "writing: {cached} cached, {} dirty", dirty.len());
    }
    p.commit().unwrap();
    assert!(p.cached_page_count() <= BOUND, "after the second commit {} cached", p.cached_page_count());
    p.end_read();

    let mut q = open(&io, DB, &opts);
    q.begin_read().unwrap();
    for pgno in 1..=100 {
        let tag = if dirty.contains(&pgno) { 2 } else { 1 };
        assert!(holds_pattern(&read_page(&mut q, pgno), pgno, tag), "page {pgno}");
    }
}

/// An in-memory database has no file behind its cache: evicting a clean page would lose it.
#[test]
fn an_in_memory_database_keeps_every_page() {
    let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
    let opts = PagerOptions { in_memory: true, cache_size: 10, page_size: 512, ..PagerOptions::default() };
    let mut p = open(&io, ":memory:", &opts);
    p.begin_write(false).unwrap();
    for _ in 2..=50 {
        let pgno = p.allocate().unwrap().pgno();
        write_pattern(&mut p, pgno, 1).unwrap();
    }
    p.commit().unwrap();
    // A later transaction that brings new pages into the cache.
    p.begin_write(false).unwrap();
    for _ in 0..20 {
        let pgno = p.allocate().unwrap().pgno();
        write_pattern(&mut p, pgno, 2).unwrap();
    }
    p.commit().unwrap();
    assert_eq!(p.page_count(), 70);
    for pgno in 2..=70 {
        let tag = if pgno <= 50 { 1 } else { 2 };
        assert!(holds_pattern(&read_page(&mut p, pgno), pgno, tag), "in-memory page {pgno} lost");
    }
    // Rollback still works without a journal, freed pages included.
    p.begin_write(false).unwrap();
    write_pattern(&mut p, 3, 3).unwrap();
    p.free(4).unwrap();
    p.free(60).unwrap();
    p.allocate().unwrap();
    p.rollback().unwrap();
    assert_eq!(p.page_count(), 70);
    assert_eq!(p.header_u32(header::OFFSET_FREELIST_COUNT).unwrap(), 0);
    for (pgno, tag) in [(3, 1), (4, 1), (60, 2)] {
        assert!(holds_pattern(&read_page(&mut p, pgno), pgno, tag), "page {pgno} after rollback");
    }
}

// ---- 2. journal modes -------------------------------------------------------------------------------

/// What is left of a rollback journal between transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JournalFile {
    Missing,
    Empty,
    /// Present, with its first 28 bytes (the header fields) zeroed: never hot.
    ZeroedHeader,
    /// Present with a header: would be hot without a writer holding Reserved.
    Live,
}

fn journal_file(path: &str) -> JournalFile {
    match std::fs::read(path) {
        Err(_) => JournalFile::Missing,
        Ok(b) if b.is_empty() => JournalFile::Empty,
        Ok(b) if b.len() >= journal::HEADER_BYTES && b[..journal::HEADER_BYTES].iter().all(|&x| x == 0) => {
            JournalFile::ZeroedHeader
        }
        Ok(_) => JournalFile::Live,
    }
}

/// The journal after (creating a database, a commit to it, a rolled-back transaction) in real
/// SQLite.
fn sqlite_journal_states(dir: &TempDir, mode: JournalMode) -> [JournalFile; 3] {
    let path = dir.file(&format!("sqlite-{}.db", mode.name()));
    let journal = format!("{path}-journal");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let set: String = conn.query_row(&format!("PRAGMA journal_mode={}", mode.name()), [], |r| r.get(0)).unwrap();
    assert_eq!(set, mode.name());
    conn.execute_batch("CREATE TABLE t(x)").unwrap();
    let created = journal_file(&journal);
    conn.execute_batch("INSERT INTO t VALUES(randomblob(3000))").unwrap();
    let committed = journal_file(&journal);
    conn.execute_batch("BEGIN; UPDATE t SET x = randomblob(3000); INSERT INTO t VALUES(1); ROLLBACK;").unwrap();
    [created, committed, journal_file(&journal)]
}

/// The same three steps through our pager.
fn our_journal_states(dir: &TempDir, mode: JournalMode) -> [JournalFile; 3] {
    let path = dir.file(&format!("brisk-{}.db", mode.name()));
    let journal = format!("{path}-journal");
    let io: Arc<dyn Io> = Arc::new(SyncIo::new());
    let mut p = open(&io, &path, &options(4096, mode));
    assert_eq!(p.journal_mode(), mode);
    p.begin_write(false).unwrap();
    let pgno = p.allocate().unwrap().pgno();
    write_pattern(&mut p, pgno, 1).unwrap();
    p.commit().unwrap();
    let created = journal_file(&journal);
    p.begin_write(false).unwrap();
    write_pattern(&mut p, 2, 2).unwrap();
    let pgno = p.allocate().unwrap().pgno();
    write_pattern(&mut p, pgno, 2).unwrap();
    p.commit().unwrap();
    let committed = journal_file(&journal);
    p.begin_write(false).unwrap();
    write_pattern(&mut p, 2, 3).unwrap();
    write_pattern(&mut p, 1, 3).unwrap();
    p.allocate().unwrap();
    p.rollback().unwrap();
    let rolled_back = journal_file(&journal);
    // Whatever the mode, the rollback restored the committed state.
    assert_eq!(p.page_count(), 3);
    assert_pages(&mut p, &[(2, 2), (3, 2)].into());
    assert!(read_page(&mut p, 1)[PAGE1_FREE_FROM..].iter().all(|&b| b == 0));
    [created, committed, rolled_back]
}

#[test]
fn journal_modes_leave_the_journal_as_sqlite_does() {
    let dir = TempDir::new("journal-modes");
    for mode in
        [JournalMode::Delete, JournalMode::Truncate, JournalMode::Persist, JournalMode::Memory, JournalMode::Off]
    {
        let sqlite = sqlite_journal_states(&dir, mode);
        let ours = our_journal_states(&dir, mode);
        assert_eq!(ours, sqlite, "journal_mode={}: [after create, after commit, after rollback]", mode.name());
    }
}

#[test]
fn memory_and_off_modes_still_roll_back() {
    for mode in [JournalMode::Memory, JournalMode::Off] {
        let io: Arc<dyn Io> = Arc::new(MemoryIo::new());
        let opts = options(SMALL_PAGE_BYTES, mode);
        create_db(&io, &opts, 6);
        let mut p = open(&io, DB, &opts);
        p.begin_write(false).unwrap();
        write_pattern(&mut p, 2, 2).unwrap();
        let sp = p.savepoint_begin();
        write_pattern(&mut p, 3, 2).unwrap();
        p.free(4).unwrap();
        let pgno = p.allocate().unwrap().pgno();
        assert_eq!(pgno, 4, "the page just freed is reused");
        write_pattern(&mut p, pgno, 2).unwrap();
        p.allocate().unwrap();
        p.savepoint_rollback(sp).unwrap();
        assert_pages(&mut p, &[(2, 2), (3, 1), (4, 1)].into());
        assert_eq!(p.page_count(), 6);
        p.rollback().unwrap();
        assert!(!io.exists(JOURNAL).unwrap(), "{mode:?} never writes a journal file");
        assert_eq!(p.page_count(), 6);
        let all: BTreeMap<PageNumber, u32> = (1..=6).map(|pg| (pg, 1)).collect();
        assert_pages(&mut p, &all);
        p.end_read();
        let mut q = open(&io, DB, &opts);
        q.begin_read().unwrap();
        assert_pages(&mut q, &all);
        assert_eq!(q.header_u32(header::OFFSET_FREELIST_COUNT).unwrap(), 0);
    }
}
