//! `SimIo`: a deterministic simulated disk for crash and scheduling tests.
//!
//! Owns a set of files, each with two images:
//! - the *volatile* image: what reads see — every completed write and truncate, as in a page cache;
//! - the *durable* image: what survives [`SimIo::power_loss`] — only what a `sync` covered.
//!
//! Completed writes and truncates not yet covered by a sync are kept, in completion order, in the
//! file's *unsynced log*. A `sync` covers exactly the mutations of its file that completed before
//! the sync was *submitted* (the contract in `io/mod.rs`), so a write racing a sync is not made
//! durable by it. Invariant: `durable` + the unsynced log, applied in order, equals `volatile`.
//!
//! Scheduling: requests never complete at submission. Each [`Io::run_once`] completes exactly one
//! in-flight request, chosen by the seeded PRNG, so callers must cope with pending I/O and with
//! any completion order; the same seed and the same calls give the same order.
//!
//! Failures: [`SimIo::set_fail_after`] lets `n` more mutating requests (write, sync, truncate,
//! delete) through and then "kills the machine": that request, every later request of any kind,
//! and every request still in flight fails with an I/O error until `power_loss`.
//! [`SimIo::fail_next_matching`] fails one request of a kind and lets the machine live.
//!
//! Assumptions about the simulated media, to keep in mind when reading a crash test:
//! - File creation and deletion are durable at once, as on a journaling file system followed by
//!   a directory sync; `sync_dir` is therefore a no-op. Only file *contents* can be lost.
//! - Without `torn`, a power loss keeps exactly the durable images. With `torn`, each unsynced
//!   mutation independently survives or not, and at most one write is torn at a 512-byte sector
//!   boundary (its first or its last sectors survive): a disk that wrote some pages, in any order,
//!   but never half a sector.
//!
//! Locks follow SQLite's in-process rules, with the same code as `MemoryIo` (`lock.rs`). After a
//! power loss every handle opened before it is dead (all its calls fail), every lock is gone, and
//! the fail-after setting is cleared so the database can be reopened and checked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::lock::{self, acquire, InodeLock, NoOsLocks};
use super::memory::{len_to_usize, read_from, resize, write_into};
use super::{codes, Completion, File, Io, LockLevel, OpenOptions};
use crate::error::{Error, Result};

/// The size of the unit a simulated disk writes atomically.
const SECTOR_SIZE_BYTES: u64 = 512;

/// The kinds of request [`SimIo::fail_next_matching`] can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimOp {
    Read,
    Write,
    Sync,
    Truncate,
    Delete,
}

impl SimOp {
    fn error_code(self) -> i32 {
        match self {
            SimOp::Read => codes::IOERR_READ,
            SimOp::Write => codes::IOERR_WRITE,
            SimOp::Sync => codes::IOERR_FSYNC,
            SimOp::Truncate => codes::IOERR_TRUNCATE,
            SimOp::Delete => codes::IOERR_DELETE,
        }
    }

    fn injected(self) -> Error {
        Error::io(self.error_code(), format!("simulated {self:?} failure"))
    }
}

/// SplitMix64 (Steele, Lea and Flood): tiny, fast, and good enough to pick schedules.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must be positive.
    fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// A completed mutation not yet covered by a sync.
#[derive(Debug, Clone)]
enum Mutation {
    Write { offset: u64, data: Vec<u8> },
    Truncate { len: u64 },
}

impl Mutation {
    fn apply(&self, image: &mut Vec<u8>) -> Result<()> {
        match self {
            Mutation::Write { offset, data } => write_into(image, *offset, data),
            Mutation::Truncate { len } => resize(image, len_to_usize(*len)?),
        }
    }
}

#[derive(Debug, Default)]
struct SimNode {
    durable: Vec<u8>,
    volatile: Vec<u8>,
    /// (completion sequence number, mutation), in completion order.
    unsynced: Vec<(u64, Mutation)>,
    lock: InodeLock,
    /// Live handles of the current generation.
    handles: usize,
    /// Whether a path names this node; an unlinked node lives while handles remain.
    linked: bool,
}

#[derive(Debug)]
enum Request {
    Read {
        offset: u64,
        len: usize,
    },
    Write {
        offset: u64,
        data: Vec<u8>,
    },
    /// Covers the node's mutations with a sequence number up to `upto`.
    Sync {
        upto: u64,
    },
    Truncate {
        len: u64,
    },
}

impl Request {
    fn kind(&self) -> SimOp {
        match self {
            Request::Read { .. } => SimOp::Read,
            Request::Write { .. } => SimOp::Write,
            Request::Sync { .. } => SimOp::Sync,
            Request::Truncate { .. } => SimOp::Truncate,
        }
    }
}

#[derive(Debug)]
struct InFlight {
    node: u64,
    request: Request,
    completion: Completion,
    /// Set at submission by `fail_next_matching`.
    fail: bool,
}

#[derive(Debug)]
struct SimState {
    rng: SplitMix64,
    paths: HashMap<String, u64>,
    nodes: HashMap<u64, SimNode>,
    next_node: u64,
    in_flight: Vec<InFlight>,
    /// Sequence number of the last completed mutation, over all files.
    seq: u64,
    /// Mutating requests submitted so far (see `request_count`).
    requests: u64,
    fail_after: Option<u64>,
    fail_next: Vec<SimOp>,
    /// The machine died (fail-after tripped): everything fails until `power_loss`.
    dead: bool,
    /// Bumped by `power_loss`; handles of older generations are dead.
    generation: u64,
}

impl SimState {
    /// Counts a mutating request and says whether it fails (the machine dies, or a one-shot
    /// failure of this kind is armed).
    fn admit_mutation(&mut self, kind: SimOp) -> bool {
        self.requests += 1;
        if !self.dead {
            match self.fail_after {
                Some(0) => self.dead = true,
                Some(n) => self.fail_after = Some(n - 1),
                None => {}
            }
        }
        self.dead || self.take_one_shot(kind)
    }

    fn take_one_shot(&mut self, kind: SimOp) -> bool {
        match self.fail_next.iter().position(|&k| k == kind) {
            Some(i) => {
                self.fail_next.remove(i);
                true
            }
            None => false,
        }
    }

    fn down(&self, code: i32) -> Error {
        Error::io(code, "the simulated machine is down")
    }

    /// Executes one request against its node.
    fn execute(&mut self, node_id: u64, request: Request) -> (super::IoResult, Option<Vec<u8>>) {
        let Some(node) = self.nodes.get_mut(&node_id) else {
            return (Err(Error::io(request.kind().error_code(), "file vanished")), None);
        };
        match request {
            Request::Read { offset, len } => {
                let (buf, n) = read_from(&node.volatile, offset, len);
                (Ok(n), Some(buf))
            }
            Request::Write { offset, data } => {
                let moved = data.len();
                self.apply_mutation(node_id, Mutation::Write { offset, data }, moved)
            }
            Request::Truncate { len } => self.apply_mutation(node_id, Mutation::Truncate { len }, 0),
            Request::Sync { upto } => {
                // Mutations are logged in sequence order, so the covered ones are a prefix.
                let covered = node.unsynced.iter().take_while(|(seq, _)| *seq <= upto).count();
                for (_, mutation) in node.unsynced.drain(..covered) {
                    // Cannot fail: the same mutation already applied to the larger volatile image.
                    let _ = mutation.apply(&mut node.durable);
                }
                (Ok(0), None)
            }
        }
    }

    /// Applies a write or truncate to the volatile image and logs it as unsynced; `moved` is the
    /// byte count the request reports.
    fn apply_mutation(&mut self, node_id: u64, mutation: Mutation, moved: usize) -> (super::IoResult, Option<Vec<u8>>) {
        let Some(node) = self.nodes.get_mut(&node_id) else {
            return (Err(Error::io(codes::IOERR_WRITE, "file vanished")), None);
        };
        match mutation.apply(&mut node.volatile) {
            Ok(()) => {
                self.seq += 1;
                node.unsynced.push((self.seq, mutation));
                (Ok(moved), None)
            }
            Err(e) => (Err(e), None),
        }
    }

    /// The image a torn power loss leaves: the durable image plus a random subset of the unsynced
    /// mutations, one write possibly cut at a sector boundary.
    fn torn_image(rng: &mut SplitMix64, node: &SimNode) -> Vec<u8> {
        let mut image = node.durable.clone();
        let torn = if !node.unsynced.is_empty() && rng.coin() { Some(rng.below(node.unsynced.len())) } else { None };
        for (i, (_, mutation)) in node.unsynced.iter().enumerate() {
            if Some(i) == torn {
                if let Mutation::Write { offset, data } = mutation {
                    let end = offset + data.len() as u64;
                    let first = (offset / SECTOR_SIZE_BYTES + 1) * SECTOR_SIZE_BYTES;
                    if first < end {
                        let boundaries = ((end - first).div_ceil(SECTOR_SIZE_BYTES)) as usize;
                        let cut = first + rng.below(boundaries) as u64 * SECTOR_SIZE_BYTES;
                        let split = (cut - offset) as usize;
                        let _ = if rng.coin() {
                            write_into(&mut image, *offset, &data[..split])
                        } else {
                            write_into(&mut image, cut, &data[split..])
                        };
                        continue;
                    }
                }
            }
            if rng.coin() {
                let _ = mutation.apply(&mut image);
            }
        }
        image
    }
}

/// The simulated backend. Share it as `Arc<SimIo>` to keep the test hooks at hand.
#[derive(Debug)]
pub struct SimIo {
    state: Arc<Mutex<SimState>>,
}

impl SimIo {
    /// A simulator whose schedules and torn writes are all derived from `seed`.
    pub fn new(seed: u64) -> SimIo {
        SimIo {
            state: Arc::new(Mutex::new(SimState {
                rng: SplitMix64(seed),
                paths: HashMap::new(),
                nodes: HashMap::new(),
                next_node: 0,
                in_flight: Vec::new(),
                seq: 0,
                requests: 0,
                fail_after: None,
                fail_next: Vec::new(),
                dead: false,
                generation: 0,
            })),
        }
    }

    /// `Some(n)`: `n` more mutating requests (write, sync, truncate, delete) succeed, then the
    /// machine dies: that request and everything after it fails. `Some(0)` fails the very next
    /// one. `None` disarms (a machine already dead stays dead until `power_loss`).
    pub fn set_fail_after(&self, n: Option<u64>) {
        acquire(&self.state).fail_after = n;
    }

    /// Fails the next request of `kind` (one-shot) without killing the machine.
    pub fn fail_next_matching(&self, kind: SimOp) {
        acquire(&self.state).fail_next.push(kind);
    }

    /// The number of mutating requests (write, sync, truncate, delete) submitted so far, counted
    /// the same way as `set_fail_after`: running a workload once and reading this gives the crash
    /// points `0..count` to enumerate.
    pub fn request_count(&self) -> u64 {
        acquire(&self.state).requests
    }

    /// Whether the machine died (fail-after tripped) and awaits `power_loss`.
    pub fn is_dead(&self) -> bool {
        acquire(&self.state).dead
    }

    /// Cuts the power: every file reverts to its durable image (plus, with `torn`, a seeded
    /// random part of its unsynced mutations), requests in flight fail, open handles die, locks
    /// are released, and the failure settings are cleared.
    pub fn power_loss(&self, torn: bool) {
        let mut guard = acquire(&self.state);
        let state = &mut *guard;
        for f in state.in_flight.drain(..) {
            f.completion.complete(Err(Error::io(f.request.kind().error_code(), "power lost")), None);
        }
        state.nodes.retain(|_, node| node.linked);
        let mut ids: Vec<u64> = state.nodes.keys().copied().collect();
        // HashMap order is not deterministic; the PRNG must visit files in a fixed order.
        ids.sort_unstable();
        for id in ids {
            let Some(node) = state.nodes.get_mut(&id) else { continue };
            let image = if torn { SimState::torn_image(&mut state.rng, node) } else { node.durable.clone() };
            *node = SimNode { durable: image.clone(), volatile: image, linked: true, ..SimNode::default() };
        }
        state.generation += 1;
        state.dead = false;
        state.fail_after = None;
        state.fail_next.clear();
    }

    /// The current (volatile) content of a file, as reads see it.
    pub fn file_bytes(&self, path: &str) -> Option<Vec<u8>> {
        let state = acquire(&self.state);
        state.paths.get(path).and_then(|id| state.nodes.get(id)).map(|node| node.volatile.clone())
    }

    /// Creates or replaces a file's content, durably (as if written and synced).
    pub fn set_file_bytes(&self, path: &str, bytes: Vec<u8>) {
        let mut guard = acquire(&self.state);
        let state = &mut *guard;
        let id = match state.paths.get(path) {
            Some(&id) => id,
            None => {
                let id = state.next_node;
                state.next_node += 1;
                state.paths.insert(path.to_string(), id);
                state.nodes.insert(id, SimNode { linked: true, ..SimNode::default() });
                id
            }
        };
        if let Some(node) = state.nodes.get_mut(&id) {
            node.durable = bytes.clone();
            node.volatile = bytes;
            node.unsynced.clear();
        }
    }
}

impl Io for SimIo {
    fn open(&self, path: &str, options: OpenOptions) -> Result<Arc<dyn File>> {
        let mut guard = acquire(&self.state);
        let state = &mut *guard;
        if state.dead {
            return Err(Error::CantOpen(format!("{path}: the simulated machine is down")));
        }
        let id = match state.paths.get(path) {
            Some(&id) => id,
            None if options.create && !options.read_only => {
                // Creation is durable at once (see the module header).
                let id = state.next_node;
                state.next_node += 1;
                state.paths.insert(path.to_string(), id);
                state.nodes.insert(id, SimNode { linked: true, ..SimNode::default() });
                id
            }
            None => return Err(Error::CantOpen(format!("{path}: no such file"))),
        };
        if let Some(node) = state.nodes.get_mut(&id) {
            node.handles += 1;
        }
        Ok(Arc::new(SimFile {
            state: self.state.clone(),
            node: id,
            generation: state.generation,
            level: Mutex::new(LockLevel::None),
            read_only: options.read_only,
        }))
    }

    fn delete(&self, path: &str) -> Result<()> {
        let mut guard = acquire(&self.state);
        let state = &mut *guard;
        if state.admit_mutation(SimOp::Delete) {
            return Err(if state.dead { state.down(codes::IOERR_DELETE) } else { SimOp::Delete.injected() });
        }
        // Durable at once (see the module header); open handles keep the node, as after unlink.
        if let Some(id) = state.paths.remove(path) {
            let orphan = state.nodes.get_mut(&id).map(|node| {
                node.linked = false;
                node.handles == 0
            });
            if orphan == Some(true) {
                state.nodes.remove(&id);
            }
        }
        Ok(())
    }

    fn exists(&self, path: &str) -> Result<bool> {
        let state = acquire(&self.state);
        if state.dead {
            return Err(state.down(codes::IOERR_ACCESS));
        }
        Ok(state.paths.contains_key(path))
    }

    fn run_once(&self) -> Result<()> {
        let mut guard = acquire(&self.state);
        let state = &mut *guard;
        if state.in_flight.is_empty() {
            return Ok(());
        }
        let pick = state.rng.below(state.in_flight.len());
        let InFlight { node, request, completion, fail } = state.in_flight.swap_remove(pick);
        let (result, buf) = if state.dead {
            (Err(state.down(request.kind().error_code())), None)
        } else if fail {
            (Err(request.kind().injected()), None)
        } else {
            state.execute(node, request)
        };
        completion.complete(result, buf);
        Ok(())
    }

    fn name(&self) -> &'static str {
        "simulated"
    }
}

/// One handle on a simulated file.
#[derive(Debug)]
struct SimFile {
    state: Arc<Mutex<SimState>>,
    node: u64,
    generation: u64,
    level: Mutex<LockLevel>,
    read_only: bool,
}

impl SimFile {
    fn dead_handle(code: i32) -> Error {
        Error::io(code, "file handle died in a simulated power loss")
    }

    /// Queues the request `make` builds (from the state, under its lock) unless this handle or the
    /// machine is dead.
    fn submit(&self, kind: SimOp, make: impl FnOnce(&SimState) -> Request) -> Result<Completion> {
        let mut state = acquire(&self.state);
        if state.generation != self.generation {
            return Err(Self::dead_handle(kind.error_code()));
        }
        let request = make(&state);
        let fail = match kind {
            SimOp::Read => state.dead || state.take_one_shot(kind),
            _ => state.admit_mutation(kind),
        };
        let completion = Completion::new();
        state.in_flight.push(InFlight { node: self.node, request, completion: completion.clone(), fail });
        Ok(completion)
    }
}

impl File for SimFile {
    fn pread(&self, offset: u64, len: usize) -> Result<Completion> {
        self.submit(SimOp::Read, |_| Request::Read { offset, len })
    }

    fn pwrite(&self, offset: u64, data: Vec<u8>) -> Result<Completion> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        self.submit(SimOp::Write, |_| Request::Write { offset, data })
    }

    fn sync(&self) -> Result<Completion> {
        // The sync covers what completed before now, whatever completes while it is in flight.
        self.submit(SimOp::Sync, |state| Request::Sync { upto: state.seq })
    }

    fn truncate(&self, len: u64) -> Result<Completion> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        self.submit(SimOp::Truncate, |_| Request::Truncate { len })
    }

    fn size(&self) -> Result<u64> {
        let state = acquire(&self.state);
        if state.generation != self.generation {
            return Err(Self::dead_handle(codes::IOERR_FSTAT));
        }
        if state.dead {
            return Err(state.down(codes::IOERR_FSTAT));
        }
        state
            .nodes
            .get(&self.node)
            .map(|node| node.volatile.len() as u64)
            .ok_or_else(|| Error::io(codes::IOERR_FSTAT, "file vanished"))
    }

    fn lock(&self, level: LockLevel) -> Result<bool> {
        let mut mine = acquire(&self.level);
        let mut state = acquire(&self.state);
        if state.generation != self.generation {
            return Err(Self::dead_handle(codes::IOERR_LOCK));
        }
        let node = state.nodes.get_mut(&self.node).ok_or_else(|| Error::io(codes::IOERR_LOCK, "file vanished"))?;
        lock::lock(&mut mine, &mut node.lock, level, &NoOsLocks)
    }

    fn unlock(&self, level: LockLevel) -> Result<()> {
        let mut mine = acquire(&self.level);
        let mut state = acquire(&self.state);
        if state.generation != self.generation {
            // Power loss released every lock already.
            *mine = LockLevel::None;
            return Ok(());
        }
        let node = state.nodes.get_mut(&self.node).ok_or_else(|| Error::io(codes::IOERR_UNLOCK, "file vanished"))?;
        lock::unlock(&mut mine, &mut node.lock, level, &NoOsLocks)
    }

    fn check_reserved_lock(&self) -> Result<bool> {
        let state = acquire(&self.state);
        if state.generation != self.generation {
            return Err(Self::dead_handle(codes::IOERR_CHECKRESERVEDLOCK));
        }
        let node = state.nodes.get(&self.node).ok_or_else(|| Error::io(codes::IOERR_LOCK, "file vanished"))?;
        lock::check_reserved(&node.lock, &NoOsLocks)
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        let mut mine = acquire(&self.level);
        let mut state = acquire(&self.state);
        if state.generation != self.generation {
            return;
        }
        let orphan = state.nodes.get_mut(&self.node).map(|node| {
            let _ = lock::unlock(&mut mine, &mut node.lock, LockLevel::None, &NoOsLocks);
            node.handles = node.handles.saturating_sub(1);
            !node.linked && node.handles == 0
        });
        if orphan == Some(true) {
            state.nodes.remove(&self.node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::contract_tests::{self, pattern};
    use crate::io::{read_blocking, sync_blocking, truncate_blocking, wait, write_blocking};

    #[test]
    fn file_contract() {
        for seed in 0..4 {
            contract_tests::check_file_contract(&SimIo::new(seed), "sim");
        }
    }

    #[test]
    fn lock_compatibility_between_handles() {
        contract_tests::check_in_process_locking(&SimIo::new(1), "sim");
    }

    #[test]
    fn completions_stay_pending_until_run_once() {
        let io = SimIo::new(7);
        let f = io.open("db", OpenOptions::default()).unwrap();
        let c = f.pwrite(0, vec![1; 10]).unwrap();
        assert!(!c.is_done(), "nothing completes at submission");
        assert!(io.file_bytes("db").unwrap().is_empty(), "a pending write is not visible");
        io.run_once().unwrap();
        assert_eq!(c.result(), Some(Ok(10)));
        // run_once with nothing in flight returns at once.
        io.run_once().unwrap();
    }

    /// The order in which `seed` completes eight writes submitted together.
    fn completion_order(seed: u64) -> Vec<usize> {
        let io = SimIo::new(seed);
        let f = io.open("db", OpenOptions::default()).unwrap();
        let cs: Vec<Completion> = (0..8).map(|i| f.pwrite(i * 10, vec![1; 10]).unwrap()).collect();
        let mut order = Vec::new();
        for _ in 0..8 {
            io.run_once().unwrap();
            let done: Vec<usize> = (0..8).filter(|&i| cs[i].is_done() && !order.contains(&i)).collect();
            assert_eq!(done.len(), 1, "exactly one request completes per run_once");
            order.push(done[0]);
        }
        order
    }

    #[test]
    fn completion_order_is_seeded() {
        assert_eq!(completion_order(42), completion_order(42));
        let orders: std::collections::HashSet<Vec<usize>> = (0..8).map(completion_order).collect();
        assert!(orders.len() > 1, "different seeds give different schedules");
        assert!(orders.iter().any(|o| *o != (0..8).collect::<Vec<_>>()), "not always submission order");
    }

    #[test]
    fn power_loss_keeps_only_synced_data() {
        let io = SimIo::new(3);
        let f = io.open("db", OpenOptions::default()).unwrap();
        write_blocking(&io, f.as_ref(), 0, vec![1; 1024]).unwrap();
        sync_blocking(&io, f.as_ref()).unwrap();
        write_blocking(&io, f.as_ref(), 512, vec![2; 1024]).unwrap();
        truncate_blocking(&io, f.as_ref(), 100).unwrap();
        assert_eq!(io.file_bytes("db").unwrap(), vec![1; 100]);

        io.power_loss(false);
        assert_eq!(io.file_bytes("db").unwrap(), vec![1; 1024]);
        // Old handles are dead; a new one sees the durable image.
        assert!(f.pread(0, 10).is_err());
        assert!(f.size().is_err());
        let f = io.open("db", OpenOptions::default()).unwrap();
        assert_eq!(read_blocking(&io, f.as_ref(), 0, 1024).unwrap(), (vec![1; 1024], 1024));
    }

    #[test]
    fn a_sync_covers_only_writes_completed_before_it_was_submitted() {
        for seed in 0..16 {
            let io = SimIo::new(seed);
            let f = io.open("db", OpenOptions::default()).unwrap();
            write_blocking(&io, f.as_ref(), 0, vec![1; 512]).unwrap();
            // A write still in flight when the sync is submitted is not covered, whichever of
            // the two completes first.
            let w = f.pwrite(512, vec![2; 512]).unwrap();
            let s = f.sync().unwrap();
            wait(&io, &w).unwrap();
            wait(&io, &s).unwrap();
            io.power_loss(false);
            assert_eq!(io.file_bytes("db").unwrap(), vec![1; 512], "seed {seed}");
        }
    }

    /// A synced base image, then 16 unsynced two-sector writes, then a torn power loss.
    fn torn_outcome(seed: u64) -> Vec<u8> {
        let io = SimIo::new(seed);
        let f = io.open("db", OpenOptions::default()).unwrap();
        write_blocking(&io, f.as_ref(), 0, vec![0xEE; 16 * 1024]).unwrap();
        sync_blocking(&io, f.as_ref()).unwrap();
        for i in 0..16u64 {
            write_blocking(&io, f.as_ref(), i * 1024, pattern(1024, i as u8)).unwrap();
        }
        io.power_loss(true);
        io.file_bytes("db").unwrap()
    }

    #[test]
    fn torn_power_loss_is_seeded_and_sector_granular() {
        assert_eq!(torn_outcome(5), torn_outcome(5), "same seed, same outcome");
        let outcomes: std::collections::HashSet<Vec<u8>> = (0..8).map(torn_outcome).collect();
        assert!(outcomes.len() > 1, "different seeds keep different subsets");
        let mut torn_seen = false;
        for image in &outcomes {
            assert_eq!(image.len(), 16 * 1024);
            let mut kept = 0;
            for i in 0..16usize {
                let new = pattern(1024, i as u8);
                let sectors: Vec<bool> = (0..2)
                    .map(|s| {
                        let got = &image[i * 1024 + s * 512..][..512];
                        let is_new = got == &new[s * 512..][..512];
                        assert!(is_new || got.iter().all(|&b| b == 0xEE), "a sector is old or new, never mixed");
                        is_new
                    })
                    .collect();
                torn_seen |= sectors[0] != sectors[1];
                kept += usize::from(sectors[0] && sectors[1]);
            }
            assert!(kept < 16, "some unsynced writes are lost");
        }
        assert!(torn_seen, "some seed tears a write");
        assert!(outcomes.iter().any(|image| image.iter().any(|&b| b != 0xEE)), "some unsynced writes survive");
    }

    #[test]
    fn fail_after_kills_the_machine_until_power_loss() {
        let io = SimIo::new(9);
        let f = io.open("db", OpenOptions::default()).unwrap();
        write_blocking(&io, f.as_ref(), 0, vec![1; 100]).unwrap();
        sync_blocking(&io, f.as_ref()).unwrap();
        let before = io.request_count();
        io.set_fail_after(Some(1));
        write_blocking(&io, f.as_ref(), 0, vec![2; 100]).unwrap();
        let err = sync_blocking(&io, f.as_ref()).unwrap_err();
        assert_eq!(err.extended_code(), codes::IOERR_FSYNC);
        assert!(io.is_dead());
        // Everything fails now, reads included.
        assert!(write_blocking(&io, f.as_ref(), 0, vec![3; 1]).is_err());
        assert_eq!(read_blocking(&io, f.as_ref(), 0, 1).unwrap_err().extended_code(), codes::IOERR_READ);
        assert!(io.delete("db").is_err());
        assert!(io.open("other", OpenOptions::default()).is_err());
        assert_eq!(io.request_count(), before + 4);

        io.power_loss(false);
        assert!(!io.is_dead());
        let f = io.open("db", OpenOptions::default()).unwrap();
        assert_eq!(read_blocking(&io, f.as_ref(), 0, 100).unwrap().0, vec![1; 100]);
        write_blocking(&io, f.as_ref(), 0, vec![4; 100]).unwrap();
    }

    #[test]
    fn fail_after_zero_fails_the_next_request_and_in_flight_ones() {
        let io = SimIo::new(11);
        let f = io.open("db", OpenOptions::default()).unwrap();
        let early = f.pwrite(0, vec![1; 10]).unwrap();
        io.set_fail_after(Some(0));
        let late = f.pwrite(10, vec![1; 10]).unwrap();
        assert!(wait(&io, &late).is_err());
        assert!(wait(&io, &early).is_err(), "the machine died before it reached the disk");
    }

    #[test]
    fn request_count_counts_mutations_only() {
        let io = SimIo::new(0);
        let f = io.open("db", OpenOptions::default()).unwrap();
        write_blocking(&io, f.as_ref(), 0, vec![1; 10]).unwrap();
        read_blocking(&io, f.as_ref(), 0, 10).unwrap();
        sync_blocking(&io, f.as_ref()).unwrap();
        truncate_blocking(&io, f.as_ref(), 5).unwrap();
        f.size().unwrap();
        drop(f);
        io.delete("db").unwrap();
        assert_eq!(io.request_count(), 4);
    }

    #[test]
    fn fail_next_matching_is_one_shot() {
        let io = SimIo::new(2);
        let f = io.open("db", OpenOptions::default()).unwrap();
        io.fail_next_matching(SimOp::Sync);
        write_blocking(&io, f.as_ref(), 0, vec![1; 10]).unwrap();
        assert_eq!(sync_blocking(&io, f.as_ref()).unwrap_err().extended_code(), codes::IOERR_FSYNC);
        sync_blocking(&io, f.as_ref()).unwrap();
        io.fail_next_matching(SimOp::Read);
        assert!(read_blocking(&io, f.as_ref(), 0, 10).is_err());
        assert_eq!(read_blocking(&io, f.as_ref(), 0, 10).unwrap().1, 10);
        assert!(!io.is_dead());
    }

    #[test]
    fn creation_and_deletion_are_durable_at_once() {
        let io = SimIo::new(4);
        let keep = io.open("created", OpenOptions::default()).unwrap();
        write_blocking(&io, keep.as_ref(), 0, vec![9; 10]).unwrap();
        let gone = io.open("deleted", OpenOptions::default()).unwrap();
        write_blocking(&io, gone.as_ref(), 0, vec![1; 10]).unwrap();
        sync_blocking(&io, gone.as_ref()).unwrap();
        drop(gone);
        io.delete("deleted").unwrap();
        io.power_loss(true);
        assert!(!io.exists("deleted").unwrap());
        assert!(io.exists("created").unwrap());
        assert!(io.file_bytes("created").unwrap().len() <= 10);
    }

    #[test]
    fn set_file_bytes_is_durable() {
        let io = SimIo::new(8);
        io.set_file_bytes("db", vec![5; 300]);
        io.power_loss(true);
        assert_eq!(io.file_bytes("db").unwrap(), vec![5; 300]);
        let f = io.open("db", OpenOptions { create: false, read_only: true }).unwrap();
        assert_eq!(f.size().unwrap(), 300);
        assert_eq!(io.file_bytes("missing"), None);
    }

    #[test]
    fn power_loss_releases_locks_and_kills_handles() {
        let io = SimIo::new(6);
        let a = io.open("db", OpenOptions::default()).unwrap();
        assert!(a.lock(LockLevel::Shared).unwrap());
        assert!(a.lock(LockLevel::Reserved).unwrap());
        assert!(a.lock(LockLevel::Exclusive).unwrap());
        let pending = a.pwrite(0, vec![1]).unwrap();
        io.power_loss(false);
        assert!(pending.result().unwrap().is_err(), "in-flight requests fail");
        assert!(a.lock(LockLevel::Shared).is_err());
        let b = io.open("db", OpenOptions::default()).unwrap();
        assert!(b.lock(LockLevel::Shared).unwrap());
        assert!(b.lock(LockLevel::Reserved).unwrap());
        assert!(b.lock(LockLevel::Exclusive).unwrap());
        drop(a);
        assert!(b.check_reserved_lock().unwrap(), "a dead handle's drop leaves the new locks alone");
    }
}
