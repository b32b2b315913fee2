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
use crate::storage::pager::{JournalMode, PageNumber, Pager, PagerOptions, PagerState, Synchronous};

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
    assert!(!io.as_ref().exists(JOURNAL).unwrap(), "DELETE mode leaves no journal");
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

// ---- 3. crash safety ----------------------------------------------------------------------------

/// SplitMix64: picks what each transaction of a crash workload does.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must be positive.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A seeded sequence of write transactions. The same seed gives the same transactions and, on a
/// `SimIo` of the same seed, the same requests in the same order, up to wherever a crash stops it.
#[derive(Debug, Clone, Copy)]
struct Workload {
    seed: u64,
    txns: u32,
    mode: JournalMode,
    synchronous: Synchronous,
}

impl Workload {
    fn new(seed: u64, txns: u32, mode: JournalMode) -> Workload {
        Workload { seed, txns, mode, synchronous: Synchronous::Full }
    }

    fn options(&self) -> PagerOptions {
        // A cache of 10 pages for ~20-40 pages in use: pages are evicted and reread.
        PagerOptions { cache_size: 10, synchronous: self.synchronous, ..options(SMALL_PAGE_BYTES, self.mode) }
    }

    /// The number of requests that make a commit's journal non-hot, at the end of the commit
    /// (invariant 5): the delete; or the truncate or header-zeroing write, then (FULL) its sync.
    fn commit_point_requests(&self) -> u64 {
        match self.mode {
            JournalMode::Delete => 1,
            JournalMode::Truncate | JournalMode::Persist if self.synchronous >= Synchronous::Full => 2,
            JournalMode::Truncate | JournalMode::Persist => 1,
            other => panic!("{other:?} is not crash-safe"),
        }
    }

    /// How many commits that returned Ok a power loss may take back. Below FULL, TRUNCATE and
    /// PERSIST do not sync the journal's end (neither does SQLite: `fullSync` gates that sync),
    /// so the last commit's journal can come back hot and undo it: durability is lost, never
    /// atomicity.
    fn commits_a_crash_may_undo(&self) -> usize {
        usize::from(self.synchronous < Synchronous::Full && self.mode != JournalMode::Delete)
    }
}

/// How a run of the workload ended.
#[derive(Debug)]
enum Stop {
    Completed,
    /// An operation of transaction `txn` failed: its commit, or one before it.
    Failed {
        txn: u32,
        in_commit: bool,
        error: Error,
    },
}

/// Allocates a page, checks it against the model (a free page if any, else the next one) and
/// fills it with `pattern(tag)`.
fn allocate_pattern(p: &mut Pager, tag: u32, m: &mut Model) -> Result<PageNumber> {
    let page = p.allocate()?;
    let pgno = page.pgno();
    assert!(page.read().iter().all(|&b| b == 0), "allocated page {pgno} is not zero-filled");
    drop(page);
    if m.free.is_empty() {
        assert_eq!(pgno, m.page_count + 1, "with an empty freelist, allocate grows the file");
        m.page_count = pgno;
    } else {
        assert!(m.free.remove(&pgno), "allocate gave page {pgno}, not one of the free pages {:?}", m.free);
    }
    write_pattern(p, pgno, tag)?;
    m.pages.insert(pgno, tag);
    Ok(pgno)
}

/// Transaction `t` up to (not including) its commit, applied to the pager and to `m`.
fn transaction_body(p: &mut Pager, rng: &mut Rng, t: u32, m: &mut Model) -> Result<()> {
    p.begin_write(false)?;
    if m.page_count == 0 {
        // The transaction that creates the database.
        m.page_count = 1;
        write_pattern(p, 1, t)?;
        m.pages.insert(1, t);
        for _ in 0..6 {
            allocate_pattern(p, t, m)?;
        }
        return Ok(());
    }
    let live = m.live();
    for _ in 0..1 + rng.below(4) {
        let pgno = if rng.below(5) == 0 { 1 } else { live[rng.below(live.len())] };
        write_pattern(p, pgno, t)?;
        m.pages.insert(pgno, t);
    }
    // Every fourth transaction frees pages and the next one allocates, so that every seed
    // exercises freelist reuse as well as growth; the rest is left to chance.
    if t % 4 == 3 || rng.below(2) == 0 {
        for _ in 0..1 + rng.below(3) {
            allocate_pattern(p, t, m)?;
        }
    }
    if t % 4 == 2 || rng.below(4) == 0 {
        for _ in 0..1 + rng.below(2) {
            let live = m.live();
            if live.len() <= 3 {
                break;
            }
            let pgno = live[rng.below(live.len())];
            p.free(pgno)?;
            m.pages.remove(&pgno);
            m.free.insert(pgno);
        }
    }
    if t % 5 == 4 || rng.below(5) == 0 {
        // Work a savepoint rolls back must never reach the file, crash or not.
        let sp = p.savepoint_begin();
        let mut scratch = m.clone();
        let live = m.live();
        write_pattern(p, live[rng.below(live.len())], t + 10_000)?;
        write_pattern(p, 1, t + 10_000)?;
        allocate_pattern(p, t + 10_000, &mut scratch)?;
        if live.len() > 3 {
            p.free(live[rng.below(live.len())])?;
        }
        p.savepoint_rollback(sp)?;
        p.savepoint_release(sp);
    }
    assert_eq!(p.page_count(), m.page_count);
    Ok(())
}

/// Runs the workload on `io`; `committed(t, model)` is called after each commit that returned Ok.
fn run_workload(io: &Arc<SimIo>, w: &Workload, mut committed: impl FnMut(u32, &Model)) -> Stop {
    let dyn_io: Arc<dyn Io> = io.clone();
    let mut pager = match Pager::open(dyn_io, DB, w.options()) {
        Ok(p) => p,
        Err(error) => return Stop::Failed { txn: 1, in_commit: false, error },
    };
    let mut rng = Rng(w.seed ^ 0x5EED);
    let mut model = Model::default();
    for t in 1..=w.txns {
        let mut next = model.clone();
        if let Err(error) = transaction_body(&mut pager, &mut rng, t, &mut next) {
            // The pager is dropped with the machine dead: a real crash runs no more code, and
            // here every request the drop makes fails.
            return Stop::Failed { txn: t, in_commit: false, error };
        }
        if let Err(error) = pager.commit() {
            return Stop::Failed { txn: t, in_commit: true, error };
        }
        model = next;
        committed(t, &model);
    }
    Stop::Completed
}

/// An uninterrupted run: the image and model after each commit (index 0: before the first),
/// and the request count at the end of each commit.
struct Reference {
    images: Vec<Vec<u8>>,
    models: Vec<Model>,
    commit_end: Vec<u64>,
    requests: u64,
}

fn reference_run(w: &Workload) -> Reference {
    let io = Arc::new(SimIo::new(w.seed));
    let mut r =
        Reference { images: vec![Vec::new()], models: vec![Model::default()], commit_end: vec![0], requests: 0 };
    let stop = run_workload(&io, w, |t, model| {
        let image = io.file_bytes(DB).expect("the database exists");
        check_image(&image, SMALL_PAGE_BYTES, model, t);
        let journal = io.file_bytes(JOURNAL);
        match w.mode {
            JournalMode::Delete => assert_eq!(journal, None, "DELETE: no journal after commit {t}"),
            JournalMode::Truncate => assert_eq!(journal, Some(Vec::new()), "TRUNCATE: empty journal after commit {t}"),
            _ => {
                let j = journal.expect("PERSIST keeps its journal");
                assert!(j[..journal::HEADER_BYTES].iter().all(|&b| b == 0), "PERSIST: zeroed header after commit {t}");
            }
        }
        r.images.push(image);
        r.models.push(model.clone());
        r.commit_end.push(io.request_count());
    });
    assert!(matches!(stop, Stop::Completed), "the reference run failed: {stop:?}");
    r.requests = io.request_count();
    // The workload must exercise what the crash tests are about.
    let grew = r.models.windows(2).skip(1).any(|m| m[1].page_count > m[0].page_count);
    let reused = r.models.windows(2).any(|m| m[0].free.iter().any(|pg| !m[1].free.contains(pg)));
    assert!(grew, "seed {}: no transaction grew the file", w.seed);
    assert!(reused, "seed {}: no transaction reused a free page", w.seed);
    r
}

/// Reopens the database after a power loss (which plays a hot journal back) and returns its
/// content, checking that the file holds exactly those pages and that no hot journal is left.
fn recover(io: &Arc<SimIo>, w: &Workload, what: &str) -> Vec<u8> {
    let dyn_io: Arc<dyn Io> = io.clone();
    let mut p = Pager::open(dyn_io, DB, w.options()).unwrap_or_else(|e| panic!("{what}: reopen: {e:?}"));
    p.begin_read().unwrap_or_else(|e| panic!("{what}: begin_read after the power loss: {e:?}"));
    let got = read_all(&mut p);
    p.end_read();
    drop(p);
    let file = io.file_bytes(DB).unwrap_or_default();
    assert!(file == got, "{what}: the file ({} bytes) is not the {} bytes of pages read", file.len(), got.len());
    if let Some(j) = io.file_bytes(JOURNAL) {
        assert!(j.is_empty() || j[0] == 0, "{what}: a hot journal survived recovery");
    }
    got
}

/// Which pages of `got` differ from `want`, for failure messages.
fn page_diff(got: &[u8], want: &[u8]) -> String {
    if got.len() != want.len() {
        return format!("{} pages instead of {}", got.len() / SMALL_PAGE_BYTES, want.len() / SMALL_PAGE_BYTES);
    }
    let pages: Vec<usize> = (0..got.len() / SMALL_PAGE_BYTES)
        .filter(|&i| {
            got[i * SMALL_PAGE_BYTES..][..SMALL_PAGE_BYTES] != want[i * SMALL_PAGE_BYTES..][..SMALL_PAGE_BYTES]
        })
        .map(|i| i + 1)
        .collect();
    format!("pages {pages:?} differ")
}

/// After recovery the database must take a new transaction: write page 1, allocate (from the
/// freelist if it has pages), commit, and check the result against the model.
fn follow_up(io: &Arc<SimIo>, w: &Workload, model: &Model, commits: u32, what: &str) {
    let dyn_io: Arc<dyn Io> = io.clone();
    let mut m = model.clone();
    let mut p = Pager::open(dyn_io, DB, w.options()).unwrap();
    p.begin_write(false).unwrap_or_else(|e| panic!("{what}: begin_write after recovery: {e:?}"));
    m.page_count = m.page_count.max(1);
    write_pattern(&mut p, 1, 20_000).unwrap();
    m.pages.insert(1, 20_000);
    allocate_pattern(&mut p, 20_000, &mut m).unwrap();
    p.commit().unwrap_or_else(|e| panic!("{what}: commit after recovery: {e:?}"));
    drop(p);
    check_image(&io.file_bytes(DB).unwrap(), SMALL_PAGE_BYTES, &m, commits + 1);
}

/// Crashes the workload at every mutating request in turn; returns the number of crash points
/// and how many of them undid a commit that had returned Ok (see `commits_a_crash_may_undo`).
fn crash_at_every_request(w: &Workload, torn: bool) -> (usize, usize) {
    let r = reference_run(w);
    let mut points = 0;
    let mut undone = 0;
    // Bounded: run k makes at most r.requests requests, so k = r.requests completes.
    for k in 0..=r.requests {
        let io = Arc::new(SimIo::new(w.seed));
        io.set_fail_after(Some(k));
        let (txn, in_commit, error) = match run_workload(&io, w, |_, _| {}) {
            Stop::Completed => {
                assert_eq!(k, r.requests, "seed {}: a run crashing at request {k} completed", w.seed);
                break;
            }
            Stop::Failed { txn, in_commit, error } => (txn, in_commit, error),
        };
        let what = format!(
            "{:?} seed {} torn {torn}, crash at request {k} of {} in transaction {txn} ({}): {error:?}",
            w.mode,
            w.seed,
            r.requests,
            if in_commit { "commit" } else { "before commit" }
        );
        assert!(io.is_dead(), "{what}: failed without a crash");
        io.power_loss(torn);
        let got = recover(&io, w, &what);
        let last_ok = txn as usize - 1;
        // The transaction being committed may be there only if its commit point (the journal
        // going non-hot) completed and a torn power loss happened to keep it.
        let commit_point = r.commit_end[txn as usize] - w.commit_point_requests();
        let may_be_new = torn && in_commit && k > commit_point;
        let oldest = last_ok.saturating_sub(w.commits_a_crash_may_undo());
        let which = if let Some(j) = (oldest..=last_ok).rev().find(|&j| got == r.images[j]) {
            j
        } else if may_be_new && got == r.images[txn as usize] {
            txn as usize
        } else {
            let near: Vec<String> = (last_ok.saturating_sub(2)..=(txn as usize).min(r.images.len() - 1))
                .map(|j| format!("vs commit {j}: {}", page_diff(&got, &r.images[j])))
                .collect();
            panic!("{what}: the database is no state the workload committed; {}", near.join("; "))
        };
        follow_up(&io, w, &r.models[which], which as u32, &what);
        points += 1;
        undone += usize::from(which < last_ok);
    }
    (points, undone)
}

fn crash_suite(mode: JournalMode, synchronous: Synchronous, seeds: &[u64], txns: u32) -> usize {
    crash_suite_torn(mode, synchronous, seeds, txns, &[false, true])
}

fn crash_suite_torn(mode: JournalMode, synchronous: Synchronous, seeds: &[u64], txns: u32, torn: &[bool]) -> usize {
    let start = std::time::Instant::now();
    let (mut points, mut undone) = (0, 0);
    for &seed in seeds {
        for &torn in torn {
            let w = Workload { synchronous, ..Workload::new(seed, txns, mode) };
            let (p, u) = crash_at_every_request(&w, torn);
            points += p;
            undone += u;
        }
    }
    let elapsed = start.elapsed();
    println!("{mode:?} synchronous={synchronous:?}: {points} crash points ({undone} undid a commit) in {elapsed:.1?}");
    if synchronous >= Synchronous::Full {
        assert_eq!(undone, 0);
    }
    points
}

#[test]
fn crash_at_every_request_delete_mode() {
    let points = crash_suite(JournalMode::Delete, Synchronous::Full, &[1, 2, 3], 12);
    assert!(points >= 400, "only {points} crash points");
}

#[test]
fn crash_at_every_request_truncate_mode() {
    let points = crash_suite(JournalMode::Truncate, Synchronous::Full, &[4, 5], 12);
    assert!(points >= 250, "only {points} crash points");
}

#[test]
fn crash_at_every_request_persist_mode() {
    let points = crash_suite(JournalMode::Persist, Synchronous::Full, &[6, 7], 12);
    assert!(points >= 250, "only {points} crash points");
}

// ---- failed commits ---------------------------------------------------------------------------

/// `MemoryIo` with one injected failure: the write to the database file after `n` more succeed
/// fails, and the machine lives on (unlike `SimIo`'s fail-after, which kills it).
struct FaultyIo {
    inner: MemoryIo,
    /// Database-file writes still allowed before the failing one.
    db_writes_left: Arc<std::sync::Mutex<Option<usize>>>,
}

struct FaultyFile {
    inner: Arc<dyn crate::io::File>,
    db_writes_left: Option<Arc<std::sync::Mutex<Option<usize>>>>,
}

impl FaultyIo {
    fn new() -> FaultyIo {
        FaultyIo { inner: MemoryIo::new(), db_writes_left: Arc::new(std::sync::Mutex::new(None)) }
    }

    fn fail_db_write_after(&self, n: usize) {
        *self.db_writes_left.lock().unwrap() = Some(n);
    }
}

impl Io for FaultyIo {
    fn open(&self, path: &str, options: crate::io::OpenOptions) -> Result<Arc<dyn crate::io::File>> {
        let inner = self.inner.open(path, options)?;
        let db_writes_left = (path == DB).then(|| self.db_writes_left.clone());
        Ok(Arc::new(FaultyFile { inner, db_writes_left }))
    }
    fn delete(&self, path: &str) -> Result<()> {
        self.inner.delete(path)
    }
    fn exists(&self, path: &str) -> Result<bool> {
        self.inner.exists(path)
    }
    fn run_once(&self) -> Result<()> {
        self.inner.run_once()
    }
    fn name(&self) -> &'static str {
        "faulty"
    }
}

impl crate::io::File for FaultyFile {
    fn pread(&self, offset: u64, len: usize) -> Result<crate::io::Completion> {
        self.inner.pread(offset, len)
    }
    fn pwrite(&self, offset: u64, data: Vec<u8>) -> Result<crate::io::Completion> {
        if let Some(left) = &self.db_writes_left {
            let mut left = left.lock().unwrap();
            match *left {
                Some(0) => {
                    *left = None;
                    let e = Error::io(crate::io::codes::IOERR_WRITE, "injected");
                    return Ok(crate::io::Completion::done(Err(e), None));
                }
                Some(n) => *left = Some(n - 1),
                None => {}
            }
        }
        self.inner.pwrite(offset, data)
    }
    fn sync(&self) -> Result<crate::io::Completion> {
        self.inner.sync()
    }
    fn truncate(&self, len: u64) -> Result<crate::io::Completion> {
        self.inner.truncate(len)
    }
    fn size(&self) -> Result<u64> {
        self.inner.size()
    }
    fn lock(&self, level: crate::io::LockLevel) -> Result<bool> {
        self.inner.lock(level)
    }
    fn unlock(&self, level: crate::io::LockLevel) -> Result<()> {
        self.inner.unlock(level)
    }
    fn check_reserved_lock(&self) -> Result<bool> {
        self.inner.check_reserved_lock()
    }
}

/// A commit that fails after writing part of the database file leaves the pager in the error
/// state; rolling back must play the journal back, and the pager must then work again.
#[test]
fn a_failed_commit_rolls_back_from_the_journal() {
    // MEMORY keeps its journal in memory: no crash safety, but a failed commit rolls back.
    for mode in [JournalMode::Delete, JournalMode::Truncate, JournalMode::Persist, JournalMode::Memory] {
        let faulty = Arc::new(FaultyIo::new());
        let io: Arc<dyn Io> = faulty.clone();
        let opts = options(SMALL_PAGE_BYTES, mode);
        create_db(&io, &opts, 6);
        let mut p = open(&io, DB, &opts);
        p.begin_write(false).unwrap();
        for pgno in 2..=5 {
            write_pattern(&mut p, pgno, 2).unwrap();
        }
        let pgno = p.allocate().unwrap().pgno();
        write_pattern(&mut p, pgno, 2).unwrap();
        // Page 1 and page 2 reach the file; page 3's write fails.
        faulty.fail_db_write_after(2);
        assert!(p.commit().is_err(), "{mode:?}: the injected write failure is reported");
        assert_eq!(p.state(), PagerState::Error);
        let torn = faulty.inner.open(DB, crate::io::OpenOptions::default()).unwrap();
        let (page2, _) =
            crate::io::read_blocking(&faulty.inner, torn.as_ref(), SMALL_PAGE_BYTES as u64, SMALL_PAGE_BYTES).unwrap();
        drop(torn);
        assert!(holds_pattern(&page2, 2, 2), "{mode:?}: the failed commit did write part of the file");

        // A second commit must not report success for a transaction that is not there.
        assert!(p.commit().is_err(), "{mode:?}: commit in the error state");
        p.rollback().unwrap_or_else(|e| panic!("{mode:?}: rollback after a failed commit: {e:?}"));
        assert_ne!(p.state(), PagerState::Error);

        p.begin_read().unwrap();
        assert_eq!(p.page_count(), 6);
        let all: BTreeMap<PageNumber, u32> = (1..=6).map(|pg| (pg, 1)).collect();
        assert_pages(&mut p, &all);
        assert!(journal_not_hot(&faulty.inner), "{mode:?}: the journal is no longer hot");
        // The pager works again, and another connection sees the same.
        p.begin_write(false).unwrap();
        write_pattern(&mut p, 3, 3).unwrap();
        p.commit().unwrap();
        p.end_read();
        let mut q = open(&io, DB, &opts);
        q.begin_read().unwrap();
        assert_eq!(q.page_count(), 6);
        assert_pages(&mut q, &[(2, 1), (3, 3), (4, 1), (5, 1), (6, 1)].into());
        assert_eq!(get_u32(&read_page(&mut q, 1), header::OFFSET_CHANGE_COUNTER), 2);
    }
}

fn journal_not_hot(io: &MemoryIo) -> bool {
    if !io.exists(JOURNAL).unwrap() {
        return true;
    }
    let f = io.open(JOURNAL, crate::io::OpenOptions::default()).unwrap();
    let size = f.size().unwrap();
    size == 0 || crate::io::read_blocking(io, f.as_ref(), 0, 1).unwrap().0[0] == 0
}

/// With journal_mode=OFF nothing can undo a half-written commit (SQLite calls the result
/// undefined), but the connection must not be stuck in the error state.
#[test]
fn a_failed_commit_without_a_journal_leaves_a_usable_pager() {
    let faulty = Arc::new(FaultyIo::new());
    let io: Arc<dyn Io> = faulty.clone();
    let opts = options(SMALL_PAGE_BYTES, JournalMode::Off);
    create_db(&io, &opts, 6);
    let mut p = open(&io, DB, &opts);
    p.begin_write(false).unwrap();
    write_pattern(&mut p, 2, 2).unwrap();
    write_pattern(&mut p, 3, 2).unwrap();
    p.allocate().unwrap();
    faulty.fail_db_write_after(1);
    assert!(p.commit().is_err());
    p.rollback().unwrap();
    p.begin_read().unwrap();
    assert_eq!(p.page_count(), 6, "the file is cut back to its size before the transaction");
    p.begin_write(false).unwrap();
    for pgno in 1..=6 {
        write_pattern(&mut p, pgno, 3).unwrap();
    }
    p.commit().unwrap();
    let all: BTreeMap<PageNumber, u32> = (1..=6).map(|pg| (pg, 3)).collect();
    assert_pages(&mut p, &all);
}

// ---- 4 and 5. hot journals between SQLite and us -----------------------------------------------

/// The segment headers of a rollback journal (SQLite starts a new segment at a sector boundary
/// each time it syncs the journal mid-transaction, e.g. to spill its cache).
fn journal_segments(j: &[u8]) -> Vec<journal::JournalHeader> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    // Bounded: every segment moves `offset` forward by at least one sector.
    while let Some(h) = j.get(offset..).and_then(journal::JournalHeader::parse) {
        out.push(h);
        let records_end = offset + h.sector_size as usize + h.record_count as usize * (h.page_size as usize + 8);
        offset = records_end.div_ceil(h.sector_size as usize) * h.sector_size as usize;
    }
    out
}

#[test]
fn our_pager_rolls_back_a_hot_journal_left_by_sqlite() {
    // FULL syncs the journal before each spill and starts a new segment after it; OFF never
    // syncs and writes one segment whose record count is 0xffffffff ("up to the end").
    for synchronous in ["FULL", "OFF"] {
        rollback_sqlite_hot_journal(synchronous);
    }
}

fn rollback_sqlite_hot_journal(synchronous: &str) {
    let dir = TempDir::new("sqlite-hot");
    let db = dir.file("live.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "delete");
    conn.execute_batch(&format!(
        "PRAGMA synchronous={synchronous}; PRAGMA cache_size=1;
         CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX tv ON t(v);"
    ))
    .unwrap();
    conn.execute_batch(
        "BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO t SELECT i, printf('%0200d', i) FROM n;
         COMMIT;",
    )
    .unwrap();
    let before = std::fs::read(&db).unwrap();

    // A transaction big enough for the one-page cache to spill into the database file: rows grow
    // (page splits, the file grows) and the index is rewritten.
    conn.execute_batch(
        "BEGIN;
         UPDATE t SET v = 'x' || v || 'x' WHERE id % 2 = 0;
         INSERT INTO t SELECT id + 2000, v FROM t WHERE id <= 500;",
    )
    .unwrap();
    // The crash image: both files as they are in the middle of the transaction.
    let crash = dir.file("crash.db");
    std::fs::copy(&db, &crash).unwrap();
    std::fs::copy(format!("{db}-journal"), format!("{crash}-journal")).unwrap();
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);

    let crash_image = std::fs::read(&crash).unwrap();
    assert!(crash_image != before, "SQLite did not write the database file mid-transaction: nothing to roll back");
    let journal_bytes = std::fs::read(format!("{crash}-journal")).unwrap();
    let segments = journal_segments(&journal_bytes);
    assert!(!segments.is_empty() && segments[0].record_count > 0, "SQLite's journal holds records");
    if synchronous == "OFF" {
        assert_eq!(segments[0].record_count, u32::MAX, "an unsynced journal's record count runs to the end");
    } else {
        assert!(segments.len() > 1, "spilling a synced journal starts new segments");
    }
    println!(
        "SQLite's hot journal (synchronous={synchronous}): {} bytes, {} segment(s) of {:?} records; database {} -> {} bytes",
        journal_bytes.len(),
        segments.len(),
        segments.iter().map(|h| h.record_count).collect::<Vec<_>>(),
        before.len(),
        crash_image.len()
    );

    let io: Arc<dyn Io> = Arc::new(SyncIo::new());
    let mut p = open(&io, &crash, &PagerOptions::default());
    p.begin_read().expect("begin_read rolls the hot journal back");
    assert_eq!(p.page_size(), get_u16(&before, 16) as usize);
    let ps = p.page_size();
    let got = read_all(&mut p);
    assert_eq!(got.len(), before.len(), "page count after rollback");
    let differing: Vec<usize> =
        (0..got.len() / ps).filter(|&i| got[i * ps..][..ps] != before[i * ps..][..ps]).collect();
    assert!(differing.is_empty(), "pages (0-based) {differing:?} differ from the pre-transaction image");
    p.end_read();
    drop(p);
    assert_eq!(std::fs::read(&crash).unwrap(), before, "the file is byte for byte the pre-transaction file");
    assert!(!std::path::Path::new(&format!("{crash}-journal")).exists(), "the hot journal is gone");

    let conn = rusqlite::Connection::open(&crash).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 2000);
    let changed: i64 = conn.query_row("SELECT count(*) FROM t WHERE v LIKE 'x%'", [], |r| r.get(0)).unwrap();
    assert_eq!(changed, 0);
}

const BLOB_BYTES: usize = 3000;

/// A database made by SQLite: one table, one row whose blob is 3000 'a's on a table leaf page.
/// Returns the file and the blob's page number and offset in that page.
fn sqlite_blob_database(dir: &TempDir) -> (Vec<u8>, PageNumber, usize) {
    let path = dir.file("blob-source.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);").unwrap();
    conn.execute("INSERT INTO t VALUES(1, ?1)", [vec![b'a'; BLOB_BYTES]]).unwrap();
    drop(conn);
    let image = std::fs::read(&path).unwrap();
    let ps = get_u16(&image, 16) as usize;
    let at = image.windows(BLOB_BYTES).position(|w| w.iter().all(|&b| b == b'a')).expect("the blob is in the file");
    assert_eq!(at / ps, (at + BLOB_BYTES - 1) / ps, "the blob lies on one page");
    (image, (at / ps + 1) as PageNumber, at % ps)
}

/// Through our pager: overwrite the middle third of the blob with 'b's and commit.
fn overwrite_blob(io: &Arc<SimIo>, mode: JournalMode, pgno: PageNumber, offset: usize) -> Result<()> {
    let dyn_io: Arc<dyn Io> = io.clone();
    let mut p = Pager::open(dyn_io, DB, PagerOptions { journal_mode: mode, ..PagerOptions::default() })?;
    p.begin_write(false)?;
    let page = p.get_blocking(pgno)?;
    p.write(&page)?;
    page.write()[offset + BLOB_BYTES / 3..offset + 2 * BLOB_BYTES / 3].fill(b'b');
    drop(page);
    p.commit()
}

/// What SQLite makes of a database file and journal: the blob, and its integrity check. The files
/// are written to `dir` first, so SQLite (which finds the journal hot) rolls it back there.
fn sqlite_reads_blob(dir: &TempDir, name: &str, db: &[u8], journal: Option<&[u8]>) -> (Vec<u8>, String) {
    let path = dir.file(name);
    std::fs::write(&path, db).unwrap();
    let jpath = format!("{path}-journal");
    match journal {
        Some(j) => std::fs::write(&jpath, j).unwrap(),
        None => {
            let _ = std::fs::remove_file(&jpath);
        }
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let blob: Vec<u8> = conn.query_row("SELECT b FROM t WHERE id = 1", [], |r| r.get(0)).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    (blob, check)
}

#[test]
fn sqlite_rolls_back_a_hot_journal_left_by_our_pager() {
    let dir = TempDir::new("our-hot");
    let (original, pgno, offset) = sqlite_blob_database(&dir);
    let mut expected_new = vec![b'a'; BLOB_BYTES];
    expected_new[BLOB_BYTES / 3..2 * BLOB_BYTES / 3].fill(b'b');
    let mut rolled_back_by_sqlite = 0;
    for mode in [JournalMode::Delete, JournalMode::Truncate, JournalMode::Persist] {
        // Uninterrupted: SQLite sees the change.
        let io = Arc::new(SimIo::new(1));
        io.set_file_bytes(DB, original.clone());
        overwrite_blob(&io, mode, pgno, offset).unwrap();
        let requests = io.request_count();
        let (blob, check) = sqlite_reads_blob(&dir, "committed.db", &io.file_bytes(DB).unwrap(), None);
        assert_eq!(check, "ok");
        assert!(blob == expected_new, "{mode:?}: SQLite sees the committed change");
        let finalize = Workload::new(0, 0, mode).commit_point_requests();

        for k in 0..requests {
            for torn in [false, true] {
                let io = Arc::new(SimIo::new(k * 2 + u64::from(torn)));
                io.set_file_bytes(DB, original.clone());
                io.set_fail_after(Some(k));
                assert!(overwrite_blob(&io, mode, pgno, offset).is_err(), "{mode:?}: crash at {k} of {requests}");
                io.power_loss(torn);
                let db = io.file_bytes(DB).unwrap();
                let journal = io.file_bytes(JOURNAL);
                let hot = journal.as_ref().is_some_and(|j| !j.is_empty() && j[0] != 0);
                let touched = db != original;
                let (blob, check) =
                    sqlite_reads_blob(&dir, &format!("crash-{}-{k}-{torn}.db", mode.name()), &db, journal.as_deref());
                assert_eq!(check, "ok", "{mode:?} crash at {k} torn {torn}");
                // Only a torn loss after the journal went non-hot may keep the new content.
                let may_be_new = torn && k > requests - finalize;
                let what = format!(
                    "{mode:?} crash at request {k} of {requests}, torn {torn}, hot {hot}, file touched {touched}"
                );
                if blob != vec![b'a'; BLOB_BYTES] {
                    assert!(
                        may_be_new && blob == expected_new,
                        "{what}: SQLite read a blob that is neither old nor new"
                    );
                }
                if hot && touched {
                    rolled_back_by_sqlite += 1;
                    let after = std::fs::read(dir.file(&format!("crash-{}-{k}-{torn}.db", mode.name()))).unwrap();
                    assert!(after == original, "{what}: SQLite's rollback restores the file byte for byte");
                }
            }
        }
    }
    println!("SQLite rolled back {rolled_back_by_sqlite} of our hot journals over a modified database file");
    assert!(rolled_back_by_sqlite >= 3, "no crash left SQLite a hot journal over a modified file");
}

// ---- 6. locking against the sqlite3 shell ----------------------------------------------------------

const SQLITE3: &str = "/usr/bin/sqlite3";

/// Runs `sql` in a one-shot `sqlite3` process; returns (success, stdout, stderr).
fn sqlite3(db: &str, sql: &str) -> (bool, String, String) {
    let out = std::process::Command::new(SQLITE3).arg(db).arg(sql).output().expect("run sqlite3");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sqlite3_ok(db: &str, sql: &str) -> String {
    let (ok, out, err) = sqlite3(db, sql);
    assert!(ok, "sqlite3 `{sql}` failed: {err}");
    out
}

fn sqlite3_locked(db: &str, sql: &str) {
    let (ok, _, err) = sqlite3(db, sql);
    assert!(!ok && err.contains("database is locked"), "sqlite3 `{sql}` should find the database locked: {err:?}");
}

/// A `sqlite3` process that ran some SQL and keeps its transaction, and so its locks, until
/// dropped (end of input: the shell rolls back and exits).
struct Sqlite3Holder {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
}

impl Sqlite3Holder {
    fn start(db: &str, sql: &str) -> Sqlite3Holder {
        use std::io::{BufRead, Write};
        let child = std::process::Command::new(SQLITE3)
            .arg(db)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn sqlite3");
        let mut holder = Sqlite3Holder { child, stdin: None };
        let mut stdin = holder.child.stdin.take().expect("piped stdin");
        // `.bail on`: a failing statement ends the shell, and we never read "ready".
        writeln!(stdin, ".bail on\n{sql}\nSELECT 'ready';").expect("write to sqlite3");
        stdin.flush().expect("flush");
        holder.stdin = Some(stdin);
        let mut out = std::io::BufReader::new(holder.child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        for _ in 0..100 {
            line.clear();
            assert!(out.read_line(&mut line).expect("read sqlite3") > 0, "sqlite3 exited after `{sql}`");
            if line.trim() == "ready" {
                return holder;
            }
        }
        panic!("sqlite3 never got ready after `{sql}`");
    }
}

impl Drop for Sqlite3Holder {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}

#[test]
fn locking_against_the_sqlite3_shell() {
    if !std::path::Path::new(SQLITE3).exists() {
        println!("skipping: {SQLITE3} is missing");
        return;
    }
    let dir = TempDir::new("shell");
    let db = dir.file("shared.db");
    sqlite3_ok(&db, "CREATE TABLE t(x); INSERT INTO t VALUES(1),(2),(3);");
    let io: Arc<dyn Io> = Arc::new(SyncIo::new());
    let mut p = open(&io, &db, &PagerOptions::default());

    // Our write transaction, with a page journaled but nothing committed: we hold Reserved, so
    // sqlite3 still reads (and does not take our live journal for a hot one), but cannot write.
    p.begin_write(false).unwrap();
    p.set_header_u32(header::OFFSET_USER_VERSION, 7).unwrap();
    assert!(std::path::Path::new(&format!("{db}-journal")).exists(), "the journal is being written");
    assert_eq!(sqlite3_ok(&db, "SELECT count(*) FROM t;"), "3");
    assert_eq!(sqlite3_ok(&db, "PRAGMA user_version;"), "0", "our change is not visible before commit");
    sqlite3_locked(&db, "BEGIN IMMEDIATE;");
    p.commit().unwrap();
    p.end_read();

    // Committed and unlocked: sqlite3 sees the change and can write.
    assert_eq!(sqlite3_ok(&db, "PRAGMA user_version;"), "7");
    sqlite3_ok(&db, "INSERT INTO t VALUES(4);");
    assert_eq!(sqlite3_ok(&db, "SELECT count(*) FROM t; PRAGMA integrity_check;"), "4\nok");
    // And we see sqlite3's commit (its change counter moved on from ours).
    p.begin_read().unwrap();
    assert_eq!(p.header_u32(header::OFFSET_CHANGE_COUNTER).unwrap(), get_u32(&std::fs::read(&db).unwrap(), 24));
    assert_eq!(p.page_count() as usize * p.page_size(), std::fs::metadata(&db).unwrap().len() as usize);
    p.end_read();

    // sqlite3 holds EXCLUSIVE: we cannot even read.
    {
        let _h = Sqlite3Holder::start(&db, "BEGIN EXCLUSIVE;");
        assert_eq!(p.begin_read(), Err(Error::Busy));
        assert_eq!(p.state(), PagerState::Open);
    }
    p.begin_read().unwrap();
    p.end_read();

    // sqlite3 holds RESERVED: we read, but cannot start writing.
    {
        let _h = Sqlite3Holder::start(&db, "BEGIN IMMEDIATE; INSERT INTO t VALUES(5);");
        p.begin_read().unwrap();
        assert_eq!(p.begin_write(false), Err(Error::Busy));
        assert_eq!(p.state(), PagerState::Reader);
        p.end_read();
    }

    // sqlite3 holds SHARED: our commit cannot get Exclusive, and says so; once the reader has
    // gone, the same commit goes through.
    {
        let h = Sqlite3Holder::start(&db, "BEGIN; SELECT count(*) FROM t;");
        p.begin_write(false).unwrap();
        p.set_header_u32(header::OFFSET_USER_VERSION, 8).unwrap();
        assert_eq!(p.commit(), Err(Error::Busy));
        drop(h);
        p.commit().unwrap();
        p.end_read();
    }
    assert_eq!(sqlite3_ok(&db, "PRAGMA user_version; SELECT count(*) FROM t; PRAGMA integrity_check;"), "8\n4\nok");
}

// ---- async reads --------------------------------------------------------------------------------

/// `get` on a backend that completes requests only in `run_once`: `Pending` until the read is
/// driven, one read per page however often it is asked for, then `Ready` with the page.
#[test]
fn get_is_pending_until_the_read_is_driven() {
    use crate::storage::IoPoll;
    let sim = Arc::new(SimIo::new(5));
    let io: Arc<dyn Io> = sim.clone();
    let opts = options(SMALL_PAGE_BYTES, JournalMode::Delete);
    create_db(&io, &opts, 12);
    let mut p = open(&io, DB, &opts);
    p.begin_read().unwrap();
    let wanted: Vec<PageNumber> = vec![3, 7, 11];
    for &pgno in &wanted {
        assert!(matches!(p.get(pgno).unwrap(), IoPoll::Pending), "page {pgno} needs a read");
        assert!(matches!(p.get(pgno).unwrap(), IoPoll::Pending), "asking again submits nothing new");
    }
    // Bounded: each run_once completes one of the three reads in flight.
    let mut ready = BTreeMap::new();
    for _ in 0..10 {
        p.run_io().unwrap();
        for &pgno in &wanted {
            if let std::collections::btree_map::Entry::Vacant(slot) = ready.entry(pgno) {
                if let IoPoll::Ready(page) = p.get(pgno).unwrap() {
                    slot.insert(page.read().to_vec());
                }
            }
        }
        if ready.len() == wanted.len() {
            break;
        }
    }
    assert_eq!(ready.len(), wanted.len(), "three run_once calls complete three reads");
    for (pgno, bytes) in ready {
        assert!(holds_pattern(&bytes, pgno, 1), "page {pgno}");
        assert!(matches!(p.get(pgno).unwrap(), IoPoll::Ready(_)), "page {pgno} is cached now");
    }
    assert!(p.get(13).is_err(), "a page past the end is corruption, not a read");
}

/// synchronous=NORMAL: a power loss may undo the last commit that returned Ok (the truncation
/// that ended its journal was not synced), but never part of a transaction, as long as the disk
/// keeps the order of writes between syncs.
///
/// Torn power losses are left out on purpose: NORMAL skips the sync between the journal records
/// and the record count, and does not sync the truncation, so a disk that reorders unsynced
/// writes can keep the previous transaction's journal header and count with some of its records
/// overwritten by the new transaction's, and playback then restores a stale prefix of the
/// previous transaction (tried: seed 8 replays pages 3 and 6 of commit 7 only). SQLite's
/// syncJournal and pager_playback share that structure; it is the "very small chance of
/// corruption" its documentation accepts for NORMAL in rollback-journal mode. FULL, above,
/// is tested torn.
#[test]
fn crash_at_every_request_truncate_mode_synchronous_normal() {
    let points = crash_suite_torn(JournalMode::Truncate, Synchronous::Normal, &[8, 9], 12, &[false]);
    assert!(points >= 150, "only {points} crash points");
}
