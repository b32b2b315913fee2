//! The pager: page cache, transactions, the rollback journal and file locking.
//!
//! It owns the database file, the journal file and the page cache, and hands pages to the B-tree
//! as [`PageRef`]s. It knows nothing of B-trees except the empty root of page 1 it writes when it
//! creates a database.
//!
//! States (SQLite's names in brackets):
//!
//! ```text
//!   Open [OPEN] --begin_read--> Reader [READER] --begin_write--> Writer [WRITER_LOCKED/CACHEMOD]
//!      ^                          |   ^                              |
//!      +--------end_read----------+   +------commit / rollback-------+
//! ```
//!
//! Invariants:
//! 1. The database file is written only inside `commit`, after every journal record is durable
//!    (journal written, then synced, then its header's record count written and synced).
//!    So until `commit` runs, rolling back is just dropping the dirty pages from the cache
//!    (an in-memory database, whose cache is its only copy, restores them from its memory journal).
//! 2. A page is journaled (its original image appended to the journal) at most once per
//!    transaction, the first time it is made writable, and only if it existed when the
//!    transaction began (pages past the original size need no undo: the file is truncated back).
//! 3. Dirty pages stay in the cache until commit or rollback; only clean pages are evicted.
//! 4. The lock is at least Shared in Reader, at least Reserved in Writer, and Exclusive while
//!    `commit` writes the database file.
//! 5. The commit point of DELETE, TRUNCATE and PERSIST mode is the journal becoming non-hot
//!    (deleted, truncated, or its header zeroed), after the database file was synced.
//!
//! Async: [`Pager::get`] returns [`IoPoll::Pending`] when the page must be read first; the read has
//! then been submitted and the caller retries after driving the I/O backend. Everything that
//! mutates works on pages already in the cache.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::{Error, Result};
use crate::io::{self, Completion, File, Io, LockLevel, OpenOptions};
use crate::limits;
use crate::storage::header::{self, get_u32, put_u32, DbHeader};
use crate::storage::journal::{self, JournalHeader};
use crate::storage::record::TextEncoding;
use crate::storage::wal::WalIndex;
use crate::storage::IoPoll;

/// A page number, 1-based as in the file format.
pub type PageNumber = u32;

/// One page of the database, shared between the cache and cursors.
#[derive(Debug)]
pub struct Page {
    pgno: PageNumber,
    data: RwLock<Box<[u8]>>,
    dirty: AtomicBool,
}

pub type PageRef = Arc<Page>;

impl Page {
    fn new(pgno: PageNumber, data: Box<[u8]>) -> Page {
        Page { pgno, data: RwLock::new(data), dirty: AtomicBool::new(false) }
    }

    pub fn pgno(&self) -> PageNumber {
        self.pgno
    }

    /// The page's bytes (the whole page, including reserved bytes at the end).
    pub fn read(&self) -> RwLockReadGuard<'_, Box<[u8]>> {
        self.data.read().expect("page lock poisoned")
    }

    /// Mutable access. The caller must have called [`Pager::write`] on this page in the current
    /// transaction; that is checked here, because writing a page that was not journaled could
    /// corrupt the database on a crash.
    pub fn write(&self) -> RwLockWriteGuard<'_, Box<[u8]>> {
        assert!(self.is_dirty(), "page {} written without Pager::write", self.pgno);
        self.data.write().expect("page lock poisoned")
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }
}

/// SQLite's journal modes for rollback-journal databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalMode {
    Delete,
    Truncate,
    Persist,
    Memory,
    Off,
    Wal,
}

impl JournalMode {
    pub fn from_name(name: &str) -> Option<JournalMode> {
        Some(match name.to_ascii_lowercase().as_str() {
            "delete" => JournalMode::Delete,
            "truncate" => JournalMode::Truncate,
            "persist" => JournalMode::Persist,
            "memory" => JournalMode::Memory,
            "off" => JournalMode::Off,
            "wal" => JournalMode::Wal,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            JournalMode::Delete => "delete",
            JournalMode::Truncate => "truncate",
            JournalMode::Persist => "persist",
            JournalMode::Memory => "memory",
            JournalMode::Off => "off",
            JournalMode::Wal => "wal",
        }
    }
}

/// `PRAGMA synchronous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Synchronous {
    Off = 0,
    Normal = 1,
    Full = 2,
    Extra = 3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerState {
    Open,
    Reader,
    Writer,
    /// A commit failed after the database file may have been written: the connection must roll
    /// back (from the journal) before doing anything else.
    Error,
}

/// Options for opening a pager.
#[derive(Debug, Clone)]
pub struct PagerOptions {
    pub read_only: bool,
    /// Page size for a new database.
    pub page_size: usize,
    /// `PRAGMA cache_size`: positive is pages, negative is KiB.
    pub cache_size: i64,
    pub journal_mode: JournalMode,
    pub synchronous: Synchronous,
    /// A database with no file behind it (`:memory:`): no journal, no locks.
    pub in_memory: bool,
}

impl Default for PagerOptions {
    fn default() -> Self {
        PagerOptions {
            read_only: false,
            page_size: limits::DEFAULT_PAGE_SIZE_BYTES,
            cache_size: limits::DEFAULT_CACHE_SIZE,
            journal_mode: JournalMode::Delete,
            synchronous: Synchronous::Full,
            in_memory: false,
        }
    }
}

/// Original page images kept for rolling back to a savepoint (statement or SAVEPOINT).
#[derive(Debug, Default)]
struct Savepoint {
    originals: HashMap<PageNumber, Box<[u8]>>,
    page_count: PageNumber,
}

/// The bounded page cache: clean pages are evicted in least-recently-used order.
#[derive(Debug, Default)]
struct PageCache {
    pages: HashMap<PageNumber, (PageRef, u64)>,
    /// Clean pages in least-recently-used order (dirty pages are never candidates, so they are
    /// kept out of it: eviction never scans past them).
    lru: BTreeMap<u64, PageNumber>,
    /// Dirty pages, in page-number order (the order commit writes them).
    dirty: std::collections::BTreeSet<PageNumber>,
    tick: u64,
}

impl PageCache {
    fn get(&mut self, pgno: PageNumber) -> Option<PageRef> {
        let (page, tick) = self.pages.get_mut(&pgno)?;
        if !self.dirty.contains(&pgno) {
            self.lru.remove(tick);
            self.tick += 1;
            *tick = self.tick;
            self.lru.insert(self.tick, pgno);
        }
        Some(page.clone())
    }

    fn insert(&mut self, page: PageRef, capacity: usize) {
        self.tick += 1;
        let pgno = page.pgno;
        let dirty = page.is_dirty();
        if let Some((_, old)) = self.pages.insert(pgno, (page, self.tick)) {
            self.lru.remove(&old);
        }
        if dirty {
            self.dirty.insert(pgno);
        } else {
            self.dirty.remove(&pgno);
            self.lru.insert(self.tick, pgno);
        }
        self.evict(capacity);
    }

    /// Moves a page that became dirty out of the eviction order.
    fn mark_dirty(&mut self, pgno: PageNumber) {
        if self.dirty.insert(pgno) {
            if let Some((_, tick)) = self.pages.get(&pgno) {
                self.lru.remove(tick);
            }
        }
    }

    /// Makes one dirty page clean again (its original image was put back).
    fn mark_clean(&mut self, pgno: PageNumber) {
        if self.dirty.remove(&pgno) {
            if let Some((page, tick)) = self.pages.get_mut(&pgno) {
                page.dirty.store(false, Ordering::Release);
                self.tick += 1;
                *tick = self.tick;
                self.lru.insert(self.tick, pgno);
            }
        }
    }

    /// Makes every dirty page clean (after commit or rollback) and returns them to the LRU order.
    fn mark_all_clean(&mut self) {
        for pgno in std::mem::take(&mut self.dirty) {
            if let Some((page, tick)) = self.pages.get_mut(&pgno) {
                page.dirty.store(false, Ordering::Release);
                self.tick += 1;
                *tick = self.tick;
                self.lru.insert(self.tick, pgno);
            }
        }
    }

    /// Evicts clean pages nobody else holds until the cache fits, oldest first. Only pinned
    /// pages (held by a cursor) are skipped, and a cursor holds a root-to-leaf path at most.
    fn evict(&mut self, capacity: usize) {
        if self.pages.len() <= capacity {
            return;
        }
        let mut victims = Vec::new();
        let excess = self.pages.len() - capacity;
        for (&tick, &pgno) in self.lru.iter() {
            if victims.len() >= excess {
                break;
            }
            let (page, _) = &self.pages[&pgno];
            if Arc::strong_count(page) == 1 {
                victims.push((tick, pgno));
            }
        }
        for (tick, pgno) in victims {
            self.lru.remove(&tick);
            self.pages.remove(&pgno);
        }
    }

    fn remove(&mut self, pgno: PageNumber) {
        if let Some((_, tick)) = self.pages.remove(&pgno) {
            self.lru.remove(&tick);
        }
        self.dirty.remove(&pgno);
    }

    fn clear(&mut self) {
        self.pages.clear();
        self.lru.clear();
        self.dirty.clear();
    }

    fn dirty_pages(&self) -> Vec<PageRef> {
        self.dirty.iter().filter_map(|p| self.pages.get(p).map(|(page, _)| page.clone())).collect()
    }
}

pub struct Pager {
    io: Arc<dyn Io>,
    path: String,
    file: Option<Arc<dyn File>>,
    journal_path: String,
    journal: Option<Arc<dyn File>>,
    options: PagerOptions,
    state: PagerState,
    lock: LockLevel,
    page_size: usize,
    reserved_bytes: usize,
    text_encoding: TextEncoding,
    auto_vacuum: bool,
    /// Database size in pages, as the current transaction sees it.
    page_count: PageNumber,
    /// Database size when the write transaction began.
    original_page_count: PageNumber,
    cache: PageCache,
    cache_capacity: usize,
    pending_reads: HashMap<PageNumber, Completion>,
    /// Pages journaled in this write transaction (invariant 2).
    journaled: HashSet<PageNumber>,
    /// The journal of an in-memory database or of journal_mode=MEMORY: the original image of
    /// each page changed in this write transaction. An in-memory database's cache is the only
    /// copy of its data, and a MEMORY-mode commit that fails halfway has no journal file, so
    /// rollback restores from here.
    memory_journal: HashMap<PageNumber, Box<[u8]>>,
    journal_offset: u64,
    journal_nonce: u32,
    journal_records: u32,
    journal_writes: Vec<Completion>,
    savepoints: Vec<Savepoint>,
    /// Bytes 24..40 of the header when the cache was last known valid; another process's commit
    /// changes them, and then the cache is dropped.
    header_fingerprint: Option<[u8; 16]>,
    wal: Option<WalIndex>,
    wal_file: Option<Arc<dyn File>>,
    nonce_state: u64,
    /// Change stamps for B-tree cursors (btree.rs, "cursor save and restore"): the B-tree bumps a
    /// tree's stamp on every write to it; rollbacks and new read transactions raise the floor of
    /// every stamp, because pages may then change under any tree. Cursors re-seek when it moved.
    tree_stamps: HashMap<PageNumber, u64>,
    tree_stamp_floor: u64,
    tree_stamp_last: u64,
}

fn ioerr_cant_open(path: &str, e: Error) -> Error {
    match e {
        Error::CantOpen(_) => e,
        other => Error::CantOpen(format!("{path}: {other}")),
    }
}

impl Pager {
    /// Opens the database at `path` through `io`. The file is not read until the first transaction.
    pub fn open(io: Arc<dyn Io>, path: &str, options: PagerOptions) -> Result<Pager> {
        let file = if options.in_memory {
            None
        } else {
            let opts = OpenOptions { create: !options.read_only, read_only: options.read_only };
            Some(io.open(path, opts).map_err(|e| ioerr_cant_open(path, e))?)
        };
        let page_size = options.page_size;
        let mut pager = Pager {
            io,
            path: path.to_string(),
            file,
            journal_path: format!("{path}-journal"),
            journal: None,
            state: PagerState::Open,
            lock: LockLevel::None,
            page_size,
            reserved_bytes: 0,
            text_encoding: TextEncoding::Utf8,
            auto_vacuum: false,
            page_count: 0,
            original_page_count: 0,
            cache: PageCache::default(),
            cache_capacity: 0,
            pending_reads: HashMap::new(),
            journaled: HashSet::new(),
            memory_journal: HashMap::new(),
            journal_offset: 0,
            journal_nonce: 0,
            journal_records: 0,
            journal_writes: Vec::new(),
            savepoints: Vec::new(),
            header_fingerprint: None,
            wal: None,
            wal_file: None,
            nonce_state: 0x9E37_79B9_7F4A_7C15 ^ (path.len() as u64),
            tree_stamps: HashMap::new(),
            tree_stamp_floor: 0,
            tree_stamp_last: 0,
            options,
        };
        pager.set_cache_size(pager.options.cache_size);
        if pager.options.in_memory {
            pager.options.journal_mode = JournalMode::Memory;
        }
        Ok(pager)
    }

    pub fn io(&self) -> &Arc<dyn Io> {
        &self.io
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// Bytes of each page the B-tree may use (page size less the reserved bytes).
    pub fn usable_size(&self) -> usize {
        self.page_size - self.reserved_bytes
    }

    pub fn page_count(&self) -> PageNumber {
        self.page_count
    }

    pub fn text_encoding(&self) -> TextEncoding {
        self.text_encoding
    }

    pub fn state(&self) -> PagerState {
        self.state
    }

    pub fn is_read_only(&self) -> bool {
        self.options.read_only
    }

    pub fn journal_mode(&self) -> JournalMode {
        if self.wal.is_some() {
            JournalMode::Wal
        } else {
            self.options.journal_mode
        }
    }

    /// Sets the journal mode (outside a write transaction). WAL is not writable yet.
    pub fn set_journal_mode(&mut self, mode: JournalMode) -> Result<JournalMode> {
        if self.options.in_memory {
            if matches!(mode, JournalMode::Memory | JournalMode::Off) {
                self.options.journal_mode = mode;
            }
            return Ok(self.options.journal_mode);
        }
        if mode == JournalMode::Wal {
            return Err(Error::sql("Brisk cannot write WAL databases yet: journal_mode=WAL is not supported"));
        }
        if self.state == PagerState::Writer {
            return Err(Error::sql("cannot change journal mode from within a transaction"));
        }
        if self.wal.is_some() {
            return Err(Error::sql("Brisk cannot yet convert a WAL database to a rollback journal"));
        }
        if self.options.journal_mode == JournalMode::Persist && mode != JournalMode::Persist {
            // A persistent journal left behind would look hot to nobody (its header is zeroed),
            // but SQLite deletes it when leaving PERSIST, and so do we.
            self.io.delete(&self.journal_path)?;
        }
        self.options.journal_mode = mode;
        Ok(mode)
    }

    pub fn synchronous(&self) -> Synchronous {
        self.options.synchronous
    }

    pub fn set_synchronous(&mut self, s: Synchronous) {
        self.options.synchronous = s;
    }

    /// `PRAGMA cache_size`: positive is a page count, negative is KiB.
    pub fn set_cache_size(&mut self, n: i64) {
        self.options.cache_size = n;
        let pages = if n >= 0 { n as usize } else { ((-n) as usize * 1024) / self.page_size };
        // SQLite keeps at least 10 pages; a B-tree operation holds a path of pages at once. An
        // in-memory database has nothing behind its cache, so no page of it may ever be evicted.
        self.cache_capacity = if self.options.in_memory { usize::MAX } else { pages.max(10) };
        self.cache.evict(self.cache_capacity);
    }

    pub fn cache_size(&self) -> i64 {
        self.options.cache_size
    }

    pub fn is_auto_vacuum(&self) -> bool {
        self.auto_vacuum
    }

    /// Sets the page size of a database that has no pages yet; ignored otherwise, as in SQLite.
    pub fn set_page_size(&mut self, size: usize) {
        if self.page_count == 0
            && self.state != PagerState::Writer
            && size.is_power_of_two()
            && (limits::MIN_PAGE_SIZE_BYTES..=limits::MAX_PAGE_SIZE_BYTES).contains(&size)
        {
            self.page_size = size;
            self.options.page_size = size;
            self.cache.clear();
            self.set_cache_size(self.options.cache_size);
        }
    }

    fn file(&self) -> &Arc<dyn File> {
        self.file.as_ref().expect("a file-backed pager has a file")
    }

    // ---- transactions -------------------------------------------------------------------------

    /// Starts a read transaction: takes a Shared lock, rolls back a hot journal, and drops the
    /// cache if another connection changed the file.
    pub fn begin_read(&mut self) -> Result<()> {
        match self.state {
            PagerState::Reader | PagerState::Writer => return Ok(()),
            PagerState::Error => return Err(Error::Internal("pager is in the error state".into())),
            PagerState::Open => {}
        }
        // Without a lock, another connection may have changed any tree.
        self.bump_all_tree_stamps();
        if self.options.in_memory {
            self.state = PagerState::Reader;
            return Ok(());
        }
        if !self.file().lock(LockLevel::Shared)? {
            return Err(Error::Busy);
        }
        self.lock = LockLevel::Shared;
        if let Err(e) = self.begin_read_locked() {
            self.unlock_to(LockLevel::None);
            return Err(e);
        }
        self.state = PagerState::Reader;
        Ok(())
    }

    fn begin_read_locked(&mut self) -> Result<()> {
        if self.has_hot_journal()? {
            self.rollback_hot_journal()?;
        }
        let file_size = self.file().size()?;
        if file_size == 0 {
            self.cache.clear();
            self.header_fingerprint = None;
            self.page_count = 0;
            self.wal = None;
            return Ok(());
        }
        let (hdr, _) = io::read_blocking(self.io.as_ref(), self.file().as_ref(), 0, header::HEADER_SIZE)?;
        let parsed = DbHeader::parse(&hdr)?;
        let mut fingerprint = [0u8; 16];
        fingerprint.copy_from_slice(&hdr[24..40]);
        if self.header_fingerprint != Some(fingerprint) || parsed.page_size != self.page_size || parsed.wal {
            self.cache.clear();
            self.pending_reads.clear();
        }
        self.header_fingerprint = Some(fingerprint);
        self.page_size = parsed.page_size;
        self.reserved_bytes = parsed.reserved_bytes;
        self.text_encoding = parsed.text_encoding;
        self.auto_vacuum = parsed.auto_vacuum;
        self.set_cache_size(self.options.cache_size);
        let from_file = file_size.div_ceil(self.page_size as u64).min(u64::from(limits::MAX_PAGE_COUNT)) as u32;
        self.page_count = parsed.page_count.unwrap_or(from_file).min(from_file.max(1));
        self.wal = None;
        if parsed.wal {
            self.load_wal()?;
        }
        Ok(())
    }

    /// Reads the committed frames of the `-wal` file, if there is one.
    fn load_wal(&mut self) -> Result<()> {
        let wal_path = format!("{}-wal", self.path);
        if !self.io.exists(&wal_path)? {
            return Ok(());
        }
        let file = self.io.open(&wal_path, OpenOptions { create: false, read_only: true })?;
        let size = file.size()?;
        if size > (1u64 << 40) {
            return Err(Error::corrupt("WAL file too large"));
        }
        let (bytes, n) = io::read_blocking(self.io.as_ref(), file.as_ref(), 0, size as usize)?;
        if let Some(index) = WalIndex::scan(&bytes[..n], self.page_size) {
            self.page_count = index.page_count;
            self.wal = Some(index);
            self.wal_file = Some(file);
        }
        Ok(())
    }

    /// Ends a read transaction (outside a write transaction), dropping the Shared lock.
    pub fn end_read(&mut self) {
        if self.state == PagerState::Reader {
            self.unlock_to(LockLevel::None);
            self.state = PagerState::Open;
        }
    }

    fn unlock_to(&mut self, level: LockLevel) {
        if self.options.in_memory || self.lock <= level {
            return;
        }
        // An unlock failure leaves a stronger lock than we wanted; the next lock call sorts it out.
        let _ = self.file().unlock(level);
        self.lock = level;
    }

    /// Starts a write transaction: takes a Reserved lock. With `exclusive`, takes the Exclusive
    /// lock at once (BEGIN EXCLUSIVE).
    pub fn begin_write(&mut self, exclusive: bool) -> Result<()> {
        if self.options.read_only {
            return Err(Error::ReadOnly);
        }
        let was_open = self.state == PagerState::Open;
        self.begin_read()?;
        if self.state == PagerState::Writer {
            return Ok(());
        }
        if let Err(e) = self.take_write_locks(exclusive) {
            // Like SQLite's unlockBtreeIfUnused: a write that could not start leaves no read
            // transaction behind when there was none, so the Shared lock does not block the
            // writer that holds the database (inside BEGIN ... as much as outside).
            if was_open {
                self.end_read();
            } else {
                self.unlock_to(LockLevel::Shared);
            }
            return Err(e);
        }
        self.state = PagerState::Writer;
        self.original_page_count = self.page_count;
        self.journaled.clear();
        self.journal_offset = 0;
        self.journal_records = 0;
        self.savepoints.clear();
        if self.page_count == 0 {
            self.create_page_one()?;
        }
        Ok(())
    }

    /// The checks and locks a write transaction needs on top of a read transaction.
    fn take_write_locks(&mut self, exclusive: bool) -> Result<()> {
        if self.wal.is_some() {
            return Err(Error::ReadOnly);
        }
        if self.auto_vacuum {
            return Err(Error::sql("Brisk cannot write auto-vacuum databases yet"));
        }
        if !self.options.in_memory {
            if !self.file().lock(LockLevel::Reserved)? {
                return Err(Error::Busy);
            }
            self.lock = LockLevel::Reserved;
            if exclusive {
                self.lock_exclusive()?;
            }
        }
        Ok(())
    }

    fn lock_exclusive(&mut self) -> Result<()> {
        if self.lock >= LockLevel::Exclusive || self.options.in_memory {
            return Ok(());
        }
        // Readers drain while Pending blocks new ones; SQLite's busy handler would retry here.
        if !self.file().lock(LockLevel::Pending)? {
            return Err(Error::Busy);
        }
        self.lock = LockLevel::Pending;
        if !self.file().lock(LockLevel::Exclusive)? {
            return Err(Error::Busy);
        }
        self.lock = LockLevel::Exclusive;
        Ok(())
    }

    /// Page 1 of a new, empty database with this pager's settings: the header and an empty
    /// table-leaf root for sqlite_schema.
    pub fn new_page_one(&self) -> Box<[u8]> {
        let mut data = vec![0u8; self.page_size].into_boxed_slice();
        DbHeader::write_new(&mut data, self.page_size, self.reserved_bytes, self.text_encoding);
        data[100] = 0x0d; // table leaf
        let content_start = if self.usable_size() == 65536 { 0 } else { self.usable_size() as u16 };
        header::put_u16(&mut data, 105, content_start);
        data
    }

    /// Writes page 1 of a new database.
    fn create_page_one(&mut self) -> Result<()> {
        self.page_count = 1;
        let page = Arc::new(Page::new(1, self.new_page_one()));
        page.dirty.store(true, Ordering::Release);
        self.cache.insert(page, self.cache_capacity);
        Ok(())
    }

    pub fn set_text_encoding(&mut self, enc: TextEncoding) {
        if self.page_count == 0 {
            self.text_encoding = enc;
        }
    }

    // ---- pages ----------------------------------------------------------------------------------

    fn check_pgno(&self, pgno: PageNumber) -> Result<()> {
        if pgno == 0 || pgno > self.page_count {
            return Err(Error::corrupt(format!("page {pgno} out of range (database has {} pages)", self.page_count)));
        }
        Ok(())
    }

    /// The page, or `Pending` after submitting its read.
    pub fn get(&mut self, pgno: PageNumber) -> Result<IoPoll<PageRef>> {
        if pgno == 1 && self.page_count == 0 {
            // An empty database reads as one with an empty schema, as in SQLite; nothing is
            // written until a write transaction creates page 1.
            return Ok(IoPoll::Ready(Arc::new(Page::new(1, self.new_page_one()))));
        }
        self.check_pgno(pgno)?;
        if let Some(p) = self.cache.get(pgno) {
            return Ok(IoPoll::Ready(p));
        }
        if let Some(c) = self.pending_reads.get(&pgno) {
            if !c.is_done() {
                return Ok(IoPoll::Pending);
            }
            let c = self.pending_reads.remove(&pgno).expect("present");
            c.bytes()?;
            let buf = c.take_buf().ok_or_else(|| Error::Internal("read without buffer".into()))?;
            return Ok(IoPoll::Ready(self.install(pgno, buf)));
        }
        let c = self.submit_read(pgno)?;
        if c.is_done() {
            c.bytes()?;
            let buf = c.take_buf().ok_or_else(|| Error::Internal("read without buffer".into()))?;
            return Ok(IoPoll::Ready(self.install(pgno, buf)));
        }
        self.pending_reads.insert(pgno, c);
        Ok(IoPoll::Pending)
    }

    fn submit_read(&mut self, pgno: PageNumber) -> Result<Completion> {
        if self.options.in_memory {
            // Every page of an in-memory database lives in the cache; a page that is not there
            // was never written.
            return Ok(Completion::done(Ok(self.page_size), Some(vec![0u8; self.page_size])));
        }
        if let (Some(wal), Some(wf)) = (&self.wal, &self.wal_file) {
            if let Some(&off) = wal.page_offsets.get(&pgno) {
                return wf.pread(off, self.page_size);
            }
        }
        self.file().pread((pgno as u64 - 1) * self.page_size as u64, self.page_size)
    }

    fn install(&mut self, pgno: PageNumber, buf: Vec<u8>) -> PageRef {
        let page = Arc::new(Page::new(pgno, buf.into_boxed_slice()));
        self.cache.insert(page.clone(), self.cache_capacity);
        page
    }

    /// The page, reading it now if needed.
    pub fn get_blocking(&mut self, pgno: PageNumber) -> Result<PageRef> {
        // Bounded: a read completes after finitely many run_once calls (io::wait's bound).
        for _ in 0..1_000_000 {
            match self.get(pgno)? {
                IoPoll::Ready(p) => return Ok(p),
                IoPoll::Pending => {
                    let c = self.pending_reads.get(&pgno).cloned().expect("pending read");
                    io::wait(self.io.as_ref(), &c)?;
                }
            }
        }
        Err(Error::Internal("page read never completed".into()))
    }

    /// Drives the I/O backend once (for callers that got `IoPoll::Pending`).
    pub fn run_io(&self) -> Result<()> {
        self.io.run_once()
    }

    /// Makes `page` writable in the current write transaction: journals its original image if
    /// needed (invariant 2), keeps it for open savepoints, and marks it dirty.
    pub fn write(&mut self, page: &PageRef) -> Result<()> {
        if self.state != PagerState::Writer {
            return Err(Error::Internal("page written outside a write transaction".into()));
        }
        let pgno = page.pgno;
        if let Some(sp) = self.savepoints.last_mut() {
            if pgno <= sp.page_count && !sp.originals.contains_key(&pgno) {
                sp.originals.insert(pgno, page.read().clone());
            }
        }
        if !self.journaled.contains(&pgno) {
            if pgno <= self.original_page_count && self.uses_journal_file() {
                let image = page.read().clone();
                self.journal_page(pgno, &image)?;
            } else if pgno <= self.original_page_count
                && (self.options.in_memory || self.options.journal_mode == JournalMode::Memory)
            {
                self.memory_journal.insert(pgno, page.read().clone());
            }
            self.journaled.insert(pgno);
        }
        page.dirty.store(true, Ordering::Release);
        self.cache.mark_dirty(pgno);
        Ok(())
    }

    fn uses_journal_file(&self) -> bool {
        !self.options.in_memory
            && matches!(self.options.journal_mode, JournalMode::Delete | JournalMode::Truncate | JournalMode::Persist)
    }

    fn next_nonce(&mut self) -> u32 {
        // splitmix64: the nonce only has to differ between transactions.
        self.nonce_state = self.nonce_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.nonce_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as u32
    }

    fn open_journal(&mut self) -> Result<()> {
        if self.journal.is_some() && self.journal_offset > 0 {
            return Ok(());
        }
        let jf = self.io.open(&self.journal_path, OpenOptions { create: true, read_only: false })?;
        self.journal_nonce = self.next_nonce();
        let hdr = JournalHeader {
            record_count: 0,
            nonce: self.journal_nonce,
            original_page_count: self.original_page_count,
            sector_size: journal::SECTOR_SIZE as u32,
            page_size: self.page_size as u32,
        };
        let c = jf.pwrite(0, hdr.encode())?;
        self.journal_writes.push(c);
        self.journal_offset = journal::SECTOR_SIZE as u64;
        self.journal = Some(jf);
        Ok(())
    }

    fn journal_page(&mut self, pgno: PageNumber, image: &[u8]) -> Result<()> {
        self.open_journal()?;
        let rec = journal::encode_record(pgno, image, self.journal_nonce);
        let len = rec.len() as u64;
        let c = self.journal.as_ref().expect("journal open").pwrite(self.journal_offset, rec)?;
        self.journal_writes.push(c);
        self.journal_offset += len;
        self.journal_records += 1;
        Ok(())
    }

    /// Allocates a page: from the freelist when it has one, else at the end of the file. The page
    /// is writable and zero-filled.
    pub fn allocate(&mut self) -> Result<PageRef> {
        let page1 = self.get_blocking(1)?;
        let (trunk, count) = {
            let d = page1.read();
            (get_u32(&d, header::OFFSET_FREELIST_TRUNK), get_u32(&d, header::OFFSET_FREELIST_COUNT))
        };
        if trunk != 0 && count > 0 {
            let trunk_page = self.get_blocking(trunk)?;
            let (next, leaves) = {
                let d = trunk_page.read();
                (get_u32(&d, 0), get_u32(&d, 4))
            };
            let max_leaves = (self.usable_size() / 4 - 2) as u32;
            if leaves > max_leaves {
                return Err(Error::corrupt(format!("freelist trunk {trunk} claims {leaves} leaves")));
            }
            let pgno = if leaves > 0 {
                let leaf = get_u32(&trunk_page.read(), 8 + 4 * (leaves as usize - 1));
                self.check_pgno(leaf)?;
                if leaf == 1 || leaf == trunk {
                    return Err(Error::corrupt("freelist leaf points at a page in use"));
                }
                self.write(&trunk_page)?;
                put_u32(&mut trunk_page.write(), 4, leaves - 1);
                leaf
            } else {
                if next != 0 {
                    self.check_pgno(next)?;
                }
                self.write(&page1)?;
                put_u32(&mut page1.write(), header::OFFSET_FREELIST_TRUNK, next);
                trunk
            };
            self.write(&page1)?;
            put_u32(&mut page1.write(), header::OFFSET_FREELIST_COUNT, count - 1);
            let page = self.get_blocking(pgno)?;
            self.write(&page)?;
            page.write().fill(0);
            return Ok(page);
        }
        let mut pgno = self.page_count + 1;
        if pgno == self.pending_byte_page() {
            // The page holding the lock bytes is never used (SQLite's PENDING_BYTE_PAGE).
            pgno += 1;
        }
        if pgno > limits::MAX_PAGE_COUNT {
            return Err(Error::Full);
        }
        self.page_count = pgno;
        let page = Arc::new(Page::new(pgno, vec![0u8; self.page_size].into_boxed_slice()));
        self.journaled.insert(pgno);
        page.dirty.store(true, Ordering::Release);
        self.cache.insert(page.clone(), self.cache_capacity);
        Ok(page)
    }

    /// The page number that holds the lock bytes, which no B-tree ever uses.
    pub fn pending_byte_page(&self) -> PageNumber {
        (limits::PENDING_BYTE / self.page_size as u64) as PageNumber + 1
    }

    /// Puts `pgno` on the freelist.
    pub fn free(&mut self, pgno: PageNumber) -> Result<()> {
        self.check_pgno(pgno)?;
        if pgno == 1 {
            return Err(Error::corrupt("attempt to free page 1"));
        }
        let page1 = self.get_blocking(1)?;
        let (trunk, count) = {
            let d = page1.read();
            (get_u32(&d, header::OFFSET_FREELIST_TRUNK), get_u32(&d, header::OFFSET_FREELIST_COUNT))
        };
        self.write(&page1)?;
        put_u32(&mut page1.write(), header::OFFSET_FREELIST_COUNT, count + 1);
        if trunk != 0 {
            let trunk_page = self.get_blocking(trunk)?;
            let leaves = get_u32(&trunk_page.read(), 4);
            // SQLite leaves the last six slots unused for compatibility with old readers.
            let max_leaves = (self.usable_size() / 4 - 8) as u32;
            if leaves < max_leaves {
                self.write(&trunk_page)?;
                let mut d = trunk_page.write();
                put_u32(&mut d, 8 + 4 * leaves as usize, pgno);
                put_u32(&mut d, 4, leaves + 1);
                drop(d);
                // The freed page's content no longer matters; drop any cached copy so a later
                // allocate reads (and zeroes) it afresh. Not in memory: the cached copy is the
                // only one, and a rollback would need it back.
                if let Some(p) = self.cache.get(pgno) {
                    if !p.is_dirty() && !self.options.in_memory {
                        self.cache.remove(pgno);
                    }
                }
                return Ok(());
            }
        }
        // The freed page becomes the new first trunk.
        let page = self.get_blocking(pgno)?;
        self.write(&page)?;
        {
            let mut d = page.write();
            d.fill(0);
            put_u32(&mut d, 0, trunk);
            put_u32(&mut d, 4, 0);
        }
        put_u32(&mut page1.write(), header::OFFSET_FREELIST_TRUNK, pgno);
        Ok(())
    }

    /// Reads a 4-byte big-endian field of the database header.
    pub fn header_u32(&mut self, offset: usize) -> Result<u32> {
        if self.page_count == 0 {
            return Ok(0);
        }
        let p = self.get_blocking(1)?;
        let v = get_u32(&p.read(), offset);
        Ok(v)
    }

    /// Writes a 4-byte field of the database header (in a write transaction).
    pub fn set_header_u32(&mut self, offset: usize, v: u32) -> Result<()> {
        let p = self.get_blocking(1)?;
        self.write(&p)?;
        put_u32(&mut p.write(), offset, v);
        Ok(())
    }

    // ---- B-tree change stamps ------------------------------------------------------------------

    /// The change stamp of the tree rooted at `root`: it differs from an earlier value whenever
    /// the tree may have changed since.
    pub fn tree_stamp(&self, root: PageNumber) -> u64 {
        self.tree_stamps.get(&root).copied().unwrap_or(0).max(self.tree_stamp_floor)
    }

    /// Records that the tree rooted at `root` changed (called by the B-tree on every write).
    pub fn bump_tree_stamp(&mut self, root: PageNumber) {
        self.tree_stamp_last += 1;
        self.tree_stamps.insert(root, self.tree_stamp_last);
    }

    fn bump_all_tree_stamps(&mut self) {
        self.tree_stamp_last += 1;
        self.tree_stamp_floor = self.tree_stamp_last;
        self.tree_stamps.clear();
    }

    // ---- savepoints -----------------------------------------------------------------------------

    /// Opens a savepoint (a statement or SQL SAVEPOINT) and returns its depth.
    pub fn savepoint_begin(&mut self) -> usize {
        self.savepoints.push(Savepoint { originals: HashMap::new(), page_count: self.page_count });
        self.savepoints.len()
    }

    /// Releases savepoints down to `depth - 1`, merging what they kept into the enclosing one.
    pub fn savepoint_release(&mut self, depth: usize) {
        while self.savepoints.len() >= depth && depth > 0 {
            let sp = self.savepoints.pop().expect("savepoint");
            if let Some(outer) = self.savepoints.last_mut() {
                for (pgno, image) in sp.originals {
                    if pgno <= outer.page_count {
                        outer.originals.entry(pgno).or_insert(image);
                    }
                }
            }
        }
    }

    /// Undoes every change made since savepoint `depth` began; the savepoint stays open.
    pub fn savepoint_rollback(&mut self, depth: usize) -> Result<()> {
        self.bump_all_tree_stamps();
        while self.savepoints.len() > depth {
            self.savepoint_release(self.savepoints.len());
        }
        let Some(sp) = self.savepoints.last_mut() else { return Ok(()) };
        let originals = std::mem::take(&mut sp.originals);
        let page_count = sp.page_count;
        for (pgno, image) in originals {
            if let Some(p) = self.cache.get(pgno) {
                p.data.write().expect("page lock").copy_from_slice(&image);
            } else {
                return Err(Error::Internal(format!("savepoint page {pgno} left the cache")));
            }
        }
        // Pages allocated after the savepoint began are dropped.
        let extra: Vec<PageNumber> = self.cache.pages.keys().copied().filter(|&p| p > page_count).collect();
        for p in extra {
            self.cache.remove(p);
        }
        self.page_count = page_count;
        Ok(())
    }

    pub fn savepoint_depth(&self) -> usize {
        self.savepoints.len()
    }

    /// The number of pages in the cache, dirty ones included (for tests of the cache bound).
    #[cfg(test)]
    pub(crate) fn cached_page_count(&self) -> usize {
        self.cache.pages.len()
    }

    // ---- commit and rollback --------------------------------------------------------------------

    /// Commits the write transaction (see invariants 1 and 5) and returns to Reader.
    pub fn commit(&mut self) -> Result<()> {
        if self.state == PagerState::Error {
            // The failed commit's transaction is not in the file: only rollback may follow.
            return Err(Error::Internal("pager is in the error state".into()));
        }
        if self.state != PagerState::Writer {
            return Ok(());
        }
        self.savepoints.clear();
        let dirty = self.cache.dirty_pages();
        if dirty.is_empty() && self.page_count == self.original_page_count {
            self.finish_write();
            return Ok(());
        }
        if self.options.in_memory {
            drop(dirty);
            self.cache.mark_all_clean();
            self.finish_write();
            return Ok(());
        }
        // Unpin the pages: after the commit they may be evicted (see the end of this function).
        drop(dirty);
        // The change counter and page count live in page 1, which is therefore always written.
        let page1 = self.get_blocking(1)?;
        self.write(&page1)?;
        {
            let mut d = page1.write();
            let counter = get_u32(&d, header::OFFSET_CHANGE_COUNTER).wrapping_add(1);
            put_u32(&mut d, header::OFFSET_CHANGE_COUNTER, counter);
            put_u32(&mut d, header::OFFSET_VERSION_VALID_FOR, counter);
            put_u32(&mut d, header::OFFSET_SQLITE_VERSION, header::SQLITE_VERSION_NUMBER);
            put_u32(&mut d, header::OFFSET_PAGE_COUNT, self.page_count);
        }
        let dirty = self.cache.dirty_pages();
        // A new database has no page to journal, but it still needs a durable journal before its
        // file is written: the header's original size of 0 is what rolls a crash in the middle
        // back to the empty file. SQLite opens the journal at the first write in any case.
        if self.uses_journal_file() && self.journal.is_none() {
            self.open_journal()?;
        }
        self.sync_journal()?;
        self.lock_exclusive()?;
        if let Err(e) = self.write_database(&dirty) {
            self.state = PagerState::Error;
            return Err(e);
        }
        if let Err(e) = self.finalize_journal() {
            self.state = PagerState::Error;
            return Err(e);
        }
        self.cache.mark_all_clean();
        let d = page1.read();
        let mut fp = [0u8; 16];
        fp.copy_from_slice(&d[24..40]);
        drop(d);
        self.header_fingerprint = Some(fp);
        // The pages just made clean count against the cache bound again (invariant 3 only let
        // them exceed it while dirty); our own references must go first or they pin them.
        drop(dirty);
        drop(page1);
        self.cache.evict(self.cache_capacity);
        self.finish_write();
        Ok(())
    }

    /// Waits for the journal writes, then makes the journal durable with its record count.
    fn sync_journal(&mut self) -> Result<()> {
        for c in std::mem::take(&mut self.journal_writes) {
            io::wait(self.io.as_ref(), &c)?;
        }
        let Some(jf) = self.journal.clone() else { return Ok(()) };
        let sync = self.options.synchronous;
        if sync >= Synchronous::Full {
            io::sync_blocking(self.io.as_ref(), jf.as_ref())?;
        }
        io::write_blocking(self.io.as_ref(), jf.as_ref(), 8, self.journal_records.to_be_bytes().to_vec())?;
        if sync >= Synchronous::Normal {
            io::sync_blocking(self.io.as_ref(), jf.as_ref())?;
            if self.options.journal_mode == JournalMode::Delete {
                self.io.sync_dir(&self.journal_path)?;
            }
        }
        Ok(())
    }

    /// Writes every dirty page to the database file in one batch, truncates, and syncs.
    fn write_database(&mut self, dirty: &[PageRef]) -> Result<()> {
        let file = self.file().clone();
        let mut inflight = Vec::with_capacity(dirty.len());
        for p in dirty {
            if p.pgno > self.page_count {
                continue;
            }
            let data = p.read().to_vec();
            inflight.push(file.pwrite((p.pgno as u64 - 1) * self.page_size as u64, data)?);
        }
        let mut first_err = None;
        for c in inflight {
            if let Err(e) = io::wait(self.io.as_ref(), &c) {
                first_err.get_or_insert(e);
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        let size = self.page_count as u64 * self.page_size as u64;
        if file.size()? > size {
            io::truncate_blocking(self.io.as_ref(), file.as_ref(), size)?;
        }
        if self.options.synchronous > Synchronous::Off {
            io::sync_blocking(self.io.as_ref(), file.as_ref())?;
        }
        Ok(())
    }

    /// Makes the journal non-hot: the commit point (invariant 5).
    fn finalize_journal(&mut self) -> Result<()> {
        let Some(jf) = self.journal.take() else { return Ok(()) };
        match self.options.journal_mode {
            JournalMode::Truncate => {
                io::truncate_blocking(self.io.as_ref(), jf.as_ref(), 0)?;
                if self.options.synchronous >= Synchronous::Full {
                    io::sync_blocking(self.io.as_ref(), jf.as_ref())?;
                }
            }
            JournalMode::Persist => {
                io::write_blocking(self.io.as_ref(), jf.as_ref(), 0, vec![0u8; journal::HEADER_BYTES])?;
                if self.options.synchronous >= Synchronous::Full {
                    io::sync_blocking(self.io.as_ref(), jf.as_ref())?;
                }
            }
            _ => {
                drop(jf);
                self.io.delete(&self.journal_path)?;
            }
        }
        Ok(())
    }

    fn finish_write(&mut self) {
        self.journaled.clear();
        self.memory_journal.clear();
        self.journal_records = 0;
        self.journal_offset = 0;
        self.journal = None;
        self.journal_writes.clear();
        self.savepoints.clear();
        self.original_page_count = self.page_count;
        self.state = PagerState::Reader;
        self.unlock_to(LockLevel::Shared);
    }

    /// Rolls back the write transaction. Before `commit` started writing the database file this
    /// only drops dirty pages (invariant 1); after a failed commit it plays the journal back.
    pub fn rollback(&mut self) -> Result<()> {
        self.bump_all_tree_stamps();
        match self.state {
            PagerState::Writer => {
                for c in std::mem::take(&mut self.journal_writes) {
                    let _ = io::wait(self.io.as_ref(), &c);
                }
                // An in-memory database cannot reread its pages: put the originals back (they
                // are dirty, so still cached), and only then drop what is left (new pages).
                for (pgno, image) in std::mem::take(&mut self.memory_journal) {
                    if let Some(p) = self.cache.get(pgno) {
                        p.data.write().expect("page lock").copy_from_slice(&image);
                        self.cache.mark_clean(pgno);
                    }
                }
                self.discard_dirty();
                // The journal ends as after a commit: deleted, truncated or zeroed by the mode,
                // as SQLite's pager_end_transaction leaves it either way.
                self.finalize_journal()?;
                self.page_count = self.original_page_count;
                self.finish_write();
                Ok(())
            }
            PagerState::Error => {
                self.discard_dirty();
                self.cache.clear();
                self.journal = None;
                self.journal_writes.clear();
                self.header_fingerprint = None;
                if self.uses_journal_file() {
                    self.rollback_hot_journal()?;
                } else {
                    self.rollback_memory_journal()?;
                }
                self.finish_write();
                self.end_read();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Puts back a failed commit's original pages from the memory journal (MEMORY mode; OFF has
    /// none, so only the size is restored) and cuts the file to its size before the transaction.
    fn rollback_memory_journal(&mut self) -> Result<()> {
        let file = self.file().clone();
        // Kept until finish_write, so that a rollback failing here can be retried.
        let mut pgnos: Vec<PageNumber> = self.memory_journal.keys().copied().collect();
        pgnos.sort_unstable();
        for pgno in pgnos {
            let image = self.memory_journal[&pgno].to_vec();
            io::write_blocking(self.io.as_ref(), file.as_ref(), (pgno as u64 - 1) * self.page_size as u64, image)?;
        }
        let size = self.original_page_count as u64 * self.page_size as u64;
        if file.size()? > size {
            io::truncate_blocking(self.io.as_ref(), file.as_ref(), size)?;
        }
        if self.options.synchronous > Synchronous::Off {
            io::sync_blocking(self.io.as_ref(), file.as_ref())?;
        }
        Ok(())
    }

    fn discard_dirty(&mut self) {
        for p in self.cache.dirty_pages() {
            self.cache.remove(p.pgno);
        }
    }

    /// A journal is hot when it exists with a non-zero header, and no connection holds a Reserved
    /// lock (the writer that made it is gone).
    fn has_hot_journal(&mut self) -> Result<bool> {
        if !self.io.exists(&self.journal_path)? {
            return Ok(false);
        }
        if self.file().check_reserved_lock()? {
            return Ok(false);
        }
        let jf = self.io.open(&self.journal_path, OpenOptions { create: false, read_only: false })?;
        if jf.size()? == 0 {
            return Ok(false);
        }
        let (first, _) = io::read_blocking(self.io.as_ref(), jf.as_ref(), 0, 1)?;
        Ok(first[0] != 0)
    }

    /// Plays a hot journal back into the database file and removes it (SQLite's pager_playback).
    /// Called with at least a Shared lock; takes Exclusive for the duration.
    fn rollback_hot_journal(&mut self) -> Result<()> {
        if self.options.read_only {
            return Err(Error::ReadOnly);
        }
        let had = self.lock;
        if !self.file().lock(LockLevel::Reserved)? {
            return Err(Error::Busy);
        }
        // A failed writer may already hold more than Reserved.
        self.lock = self.lock.max(LockLevel::Reserved);
        self.lock_exclusive()?;
        let jf = self.io.open(&self.journal_path, OpenOptions { create: false, read_only: false })?;
        let size = jf.size()?;
        let file = self.file().clone();
        let mut offset = 0u64;
        let mut original_size: Option<u32> = None;
        let mut page_size = 0usize;
        // Each segment consumes at least one sector, so this loop ends by the file size.
        while offset + journal::HEADER_BYTES as u64 <= size {
            let (hbuf, _) = io::read_blocking(self.io.as_ref(), jf.as_ref(), offset, journal::HEADER_BYTES)?;
            let Some(h) = JournalHeader::parse(&hbuf) else { break };
            let ps = h.page_size as usize;
            let sector = h.sector_size as usize;
            if !(512..=65536).contains(&ps)
                || !ps.is_power_of_two()
                || !(32..=65536).contains(&sector)
                || !sector.is_power_of_two()
            {
                break;
            }
            if page_size != 0 && ps != page_size {
                break;
            }
            page_size = ps;
            original_size.get_or_insert(h.original_page_count);
            offset += sector as u64;
            let rec_len = (ps + 8) as u64;
            let count = if h.record_count == u32::MAX {
                (size.saturating_sub(offset)) / rec_len
            } else {
                u64::from(h.record_count)
            };
            let mut valid = true;
            for _ in 0..count {
                if offset + rec_len > size {
                    valid = false;
                    break;
                }
                let (rec, _) = io::read_blocking(self.io.as_ref(), jf.as_ref(), offset, rec_len as usize)?;
                let pgno = u32::from_be_bytes(rec[..4].try_into().expect("4"));
                let image = &rec[4..4 + ps];
                let sum = u32::from_be_bytes(rec[4 + ps..].try_into().expect("4"));
                if sum != journal::checksum(h.nonce, image) || pgno == 0 {
                    valid = false;
                    break;
                }
                if pgno <= h.original_page_count {
                    io::write_blocking(self.io.as_ref(), file.as_ref(), (pgno as u64 - 1) * ps as u64, image.to_vec())?;
                }
                offset += rec_len;
            }
            if !valid || h.record_count == u32::MAX {
                break;
            }
            // The next segment header starts at a sector boundary.
            offset = offset.div_ceil(sector as u64) * sector as u64;
        }
        if let Some(n) = original_size {
            io::truncate_blocking(self.io.as_ref(), file.as_ref(), n as u64 * page_size as u64)?;
        }
        io::sync_blocking(self.io.as_ref(), file.as_ref())?;
        drop(jf);
        self.io.delete(&self.journal_path)?;
        self.cache.clear();
        self.header_fingerprint = None;
        // Back to the caller's level: a reader returns to Shared; a failed writer (the error
        // state) keeps Exclusive, which finishing its transaction lowers. Locks are only ever
        // lowered to Shared or None, so `had` itself cannot be the target.
        if had <= LockLevel::Shared {
            self.file().unlock(LockLevel::Shared)?;
            self.lock = LockLevel::Shared;
        }
        Ok(())
    }
}

impl Drop for Pager {
    fn drop(&mut self) {
        if self.state == PagerState::Writer {
            let _ = self.rollback();
        }
        self.end_read();
        self.unlock_to(LockLevel::None);
    }
}
