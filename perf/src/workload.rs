//! The workloads and the loop that measures them.
//!
//! Each workload runs against both engines in one process, interleaved: the operations are split
//! into rounds, and in each round Brisk and SQLite run the same slice of operations (same
//! parameters, from the same seed), taking turns at going first. Drift on a shared machine (another
//! build starting, the CPU clock changing) then lands on both engines alike.
//!
//! Two load modes:
//! - closed loop: the next operation starts when the previous one ends; latency is service time.
//! - open loop: operations are due at a fixed arrival rate, and each one's latency is measured from
//!   the time it was *due*, not from when it started. A stall then delays every operation queued
//!   behind it and shows in the tail, where a closed loop would hide it by simply issuing fewer
//!   operations during the stall (coordinated omission). The rate is the same for both engines:
//!   a fraction (`--open-load`) of the slower engine's closed-loop throughput, so both run below
//!   saturation and the comparison is of stalls, not of queue collapse.
//!
//! Warm workloads first read every table and index once on each connection (`PREWARM`), so they
//! measure the engines' own page caches; the cold workloads open a fresh connection per operation.
//!
//! Before measuring, a few operations run on both engines and their results (row count and a hash of
//! every value) are compared; after measuring, a check query compares the final state of what
//! the workload wrote. A mismatch is reported beside the numbers.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::data::{secondary_key, Rng, Settings, Sizes};
use crate::engine::{BriskEngine, Digest, Engine, OwnedParam, Param, SqliteEngine, Stmt};
use crate::oscache::{self, EvictMethod};

/// Which engine, and for Brisk which I/O backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Brisk,
    Sqlite,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Brisk => "brisk",
            Side::Sqlite => "sqlite",
        }
    }
}

/// Parameters of one operation, a pure function of the generator and the table sizes.
type ParamGen = fn(&mut Rng, &Sizes) -> Vec<OwnedParam>;

/// What one operation does.
#[derive(Clone)]
pub enum Shape {
    /// Run one prepared statement with fresh parameters.
    Stmt { sql: &'static str, params: ParamGen },
    /// Compile a statement and drop it.
    Prepare { sql: &'static str },
    /// `BEGIN`, `rows` executions of a prepared statement, `COMMIT`.
    Txn { sql: &'static str, rows: usize, params: ParamGen },
    /// Open a fresh connection (empty page cache), run `COLD_LOOKUPS` point reads and a 1,000-row
    /// range sum, close. With `evict`, the file is first taken out of the OS page cache.
    Cold { evict: bool },
}

pub const COLD_LOOKUPS: usize = 10;

#[derive(Clone)]
pub struct Workload {
    pub id: &'static str,
    pub title: String,
    pub shape: Shape,
    pub brisk_io: brisk::io::IoKind,
    /// `PRAGMA synchronous` for this workload, when not the run's default.
    pub synchronous: Option<&'static str>,
    /// Operations per engine per load mode (before the time cap).
    pub ops: usize,
    pub open_loop: bool,
    /// Compares the final state of what the workload wrote.
    pub check_sql: Option<&'static str>,
}

fn rowid(rng: &mut Rng, s: &Sizes) -> i64 {
    rng.range(1, s.rows)
}

fn p_rowid(rng: &mut Rng, s: &Sizes) -> Vec<OwnedParam> {
    vec![OwnedParam::Int(rowid(rng, s))]
}

fn p_secondary(rng: &mut Rng, s: &Sizes) -> Vec<OwnedParam> {
    vec![OwnedParam::Int(secondary_key(rowid(rng, s)))]
}

fn p_range(rng: &mut Rng, s: &Sizes) -> Vec<OwnedParam> {
    vec![OwnedParam::Int(rng.range(1, (s.rows - 99).max(1)))]
}

fn p_none(_: &mut Rng, _: &Sizes) -> Vec<OwnedParam> {
    Vec::new()
}

fn p_insert(rng: &mut Rng, _: &Sizes) -> Vec<OwnedParam> {
    let k = rng.range(0, 1 << 40);
    let name = format!("w-{}", rng.word(12));
    vec![OwnedParam::Int(k), OwnedParam::Text(name), OwnedParam::Real((rng.unit() * 1e6).round() / 100.0)]
}

fn p_update(rng: &mut Rng, s: &Sizes) -> Vec<OwnedParam> {
    vec![OwnedParam::Int(rowid(rng, s)), OwnedParam::Real((rng.unit() * 1e6).round() / 100.0)]
}

fn p_customer(rng: &mut Rng, s: &Sizes) -> Vec<OwnedParam> {
    vec![OwnedParam::Int(rng.range(1, s.customers))]
}

const JOIN_SQL: &str = "SELECT c.name, c.region, p.name, p.price, o.qty, o.qty * p.price AS total \
     FROM orders AS o JOIN customers AS c ON c.id = o.customer_id JOIN products AS p ON p.id = o.product_id \
     WHERE o.customer_id = ?1";

/// How many operations each workload runs in each mode.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub point: usize,
    pub range: usize,
    pub aggregate: usize,
    pub commit: usize,
    pub txn: usize,
    pub prepare: usize,
    pub cold: usize,
}

/// The workloads, in the order they run: reads first, then writes, then the cold-cache reads
/// (which see the table after the writes, identically on both engines).
pub fn all(scale: Scale, sizes: &Sizes) -> Vec<Workload> {
    use brisk::io::IoKind;
    let w = |id, title: String, shape, ops, open_loop| Workload {
        id,
        title,
        shape,
        brisk_io: IoKind::Default,
        synchronous: None,
        ops,
        open_loop,
        check_sql: None,
    };
    let mut v = vec![
        w(
            "point_rowid",
            "point SELECT by rowid".into(),
            Shape::Stmt { sql: "SELECT id, k, grp, name, val, note FROM t WHERE id = ?1", params: p_rowid },
            scale.point,
            true,
        ),
        w(
            "point_index",
            "point SELECT by secondary index".into(),
            Shape::Stmt { sql: "SELECT id, k, grp, name, val FROM t WHERE k = ?1", params: p_secondary },
            scale.point,
            true,
        ),
        w(
            "range_100",
            "range scan, 100 rows by rowid".into(),
            Shape::Stmt { sql: "SELECT id, k, name, val FROM t WHERE id >= ?1 AND id < ?1 + 100", params: p_range },
            scale.range,
            true,
        ),
        w(
            "aggregate",
            format!("aggregate over {} rows", sizes.rows),
            Shape::Stmt { sql: "SELECT count(*), sum(val), min(k), max(grp) FROM t", params: p_none },
            scale.aggregate,
            true,
        ),
        w(
            "join3",
            "three-table join by customer".into(),
            Shape::Stmt { sql: JOIN_SQL, params: p_customer },
            scale.range,
            true,
        ),
        w("prepare", "prepare the join statement".into(), Shape::Prepare { sql: JOIN_SQL }, scale.prepare, true),
    ];
    let insert = "INSERT INTO w(k, name, val) VALUES (?1, ?2, ?3)";
    let check_w = Some("SELECT count(*), sum(k), sum(val), max(name) FROM w");
    let check_t = Some("SELECT count(*), sum(k), sum(val) FROM t");
    for (id, sync, io) in [
        ("insert_full", "FULL", IoKind::Default),
        ("insert_full_sync_io", "FULL", IoKind::Sync),
        ("insert_normal", "NORMAL", IoKind::Default),
    ] {
        let mut x = w(
            id,
            format!("INSERT, one row per transaction, synchronous={sync}"),
            Shape::Stmt { sql: insert, params: p_insert },
            scale.commit,
            true,
        );
        x.synchronous = Some(sync);
        x.brisk_io = io;
        x.check_sql = check_w;
        v.push(x);
    }
    let writes = [
        (
            "insert_txn_1000",
            "INSERT 1,000 rows per transaction",
            Shape::Txn { sql: insert, rows: 1000, params: p_insert },
            scale.txn,
            check_w,
        ),
        (
            "update_key",
            "UPDATE by rowid, one per transaction",
            Shape::Stmt { sql: "UPDATE t SET val = ?2 WHERE id = ?1", params: p_update },
            scale.commit,
            check_t,
        ),
        (
            "delete_key",
            "DELETE by rowid, one per transaction",
            Shape::Stmt { sql: "DELETE FROM t WHERE id = ?1", params: p_rowid },
            scale.commit,
            check_t,
        ),
    ];
    for (id, title, shape, ops, check) in writes {
        let mut x = w(id, title.into(), shape, ops, true);
        x.check_sql = check;
        v.push(x);
    }
    for (io, io_label) in [(IoKind::Uring, "io_uring"), (IoKind::Sync, "sync")] {
        for (evict, id) in [(false, "cold_os_cached"), (true, "cold_os_evicted")] {
            let id: &'static str = match (id, io) {
                ("cold_os_cached", IoKind::Uring) => "cold_os_cached_uring",
                ("cold_os_cached", _) => "cold_os_cached_sync",
                (_, IoKind::Uring) => "cold_os_evicted_uring",
                _ => "cold_os_evicted_sync",
            };
            let where_ = if evict { "file evicted from the OS cache" } else { "file in the OS cache" };
            let mut x = w(
                id,
                format!(
                    "fresh connection + {COLD_LOOKUPS} point reads + 1,000-row range, {where_}, Brisk on {io_label}"
                ),
                Shape::Cold { evict },
                scale.cold,
                false,
            );
            x.brisk_io = io;
            v.push(x);
        }
    }
    v
}

/// Everything a workload needs to open connections.
pub struct Ctx {
    pub seed: u64,
    pub sizes: Sizes,
    pub settings: Settings,
    pub brisk_path: PathBuf,
    pub sqlite_path: PathBuf,
    pub evict: EvictMethod,
    pub rounds: usize,
    pub warmup_ops: usize,
    pub verify_ops: usize,
    pub open_load: f64,
    /// Wall-time cap for one workload's load mode (both engines together).
    pub mode_cap: Duration,
}

impl Ctx {
    fn path(&self, side: Side) -> &PathBuf {
        match side {
            Side::Brisk => &self.brisk_path,
            Side::Sqlite => &self.sqlite_path,
        }
    }

    /// Opens a connection of `side` with the run's settings applied.
    fn open(&self, side: Side, io: brisk::io::IoKind, synchronous: Option<&str>) -> Result<Box<dyn Engine>, String> {
        let path = self.path(side).to_str().ok_or("non-UTF-8 path")?;
        let engine: Box<dyn Engine> = match side {
            Side::Brisk => Box::new(BriskEngine::open(path, io)?),
            Side::Sqlite => Box::new(SqliteEngine::open(path)?),
        };
        for p in self.settings.pragmas(synchronous) {
            engine.run(&p).map_err(|e| format!("{p}: {e}"))?;
        }
        Ok(engine)
    }
}

/// Queries that read every table and index once, so that a warm workload starts with every page in
/// the engine's own cache (the cache is sized to hold the whole file), instead of filling it
/// during the measurement. The cold workloads measure the other case.
const PREWARM: &[&str] = &[
    "SELECT sum(length(note)), sum(val) FROM t",
    "SELECT count(*) FROM t WHERE k >= 0",
    "SELECT sum(qty) FROM orders",
    "SELECT count(*) FROM orders WHERE customer_id >= 0",
    "SELECT sum(length(name)) FROM customers",
    "SELECT sum(price) FROM products",
    "SELECT sum(val) FROM w",
    "SELECT count(*) FROM w WHERE k >= 0",
];

/// The settings a connection reports after we set them, as text for the report.
fn read_back(engine: &dyn Engine) -> String {
    ["page_size", "cache_size", "journal_mode", "synchronous"]
        .iter()
        .map(|p| format!("{p}={}", engine.query_text(&format!("PRAGMA {p}")).unwrap_or_else(|e| format!("error: {e}"))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One engine's operation runner for one workload.
trait OpRunner {
    /// Untimed preparation of operation `op` (parameters, cache eviction).
    fn prepare(&mut self, op: u64) -> Result<(), String>;
    /// The timed operation.
    fn run(&mut self) -> Result<Digest, String>;
    /// The prepared operation's rows as text, for explaining a mismatch (statements only).
    fn rows(&mut self) -> Option<Result<Vec<String>, String>> {
        None
    }
}

struct StmtRunner<'e> {
    stmt: Box<dyn Stmt + 'e>,
    params: ParamGen,
    seed: u64,
    stream: u64,
    sizes: Sizes,
    current: Vec<OwnedParam>,
}

impl OpRunner for StmtRunner<'_> {
    fn prepare(&mut self, op: u64) -> Result<(), String> {
        self.current = (self.params)(&mut Rng::for_op(self.seed, self.stream, op), &self.sizes);
        Ok(())
    }

    fn run(&mut self) -> Result<Digest, String> {
        let params: Vec<Param<'_>> = self.current.iter().map(OwnedParam::as_param).collect();
        self.stmt.run(&params)
    }

    fn rows(&mut self) -> Option<Result<Vec<String>, String>> {
        let params: Vec<Param<'_>> = self.current.iter().map(OwnedParam::as_param).collect();
        Some(self.stmt.rows(&params))
    }
}

struct PrepareRunner<'e> {
    engine: &'e dyn Engine,
    sql: &'static str,
}

impl OpRunner for PrepareRunner<'_> {
    fn prepare(&mut self, _op: u64) -> Result<(), String> {
        Ok(())
    }

    fn run(&mut self) -> Result<Digest, String> {
        drop(self.engine.prepare(self.sql)?);
        Ok(Digest::default())
    }
}

struct TxnRunner<'e> {
    begin: Box<dyn Stmt + 'e>,
    stmt: Box<dyn Stmt + 'e>,
    commit: Box<dyn Stmt + 'e>,
    rows: usize,
    params: ParamGen,
    seed: u64,
    stream: u64,
    sizes: Sizes,
    current: Vec<Vec<OwnedParam>>,
}

impl OpRunner for TxnRunner<'_> {
    fn prepare(&mut self, op: u64) -> Result<(), String> {
        let mut rng = Rng::for_op(self.seed, self.stream, op);
        self.current = (0..self.rows).map(|_| (self.params)(&mut rng, &self.sizes)).collect();
        Ok(())
    }

    fn run(&mut self) -> Result<Digest, String> {
        self.begin.run(&[])?;
        let mut d = Digest::default();
        for row in &self.current {
            let params: Vec<Param<'_>> = row.iter().map(OwnedParam::as_param).collect();
            d.merge(self.stmt.run(&params)?);
        }
        self.commit.run(&[])?;
        Ok(d)
    }
}

struct ColdRunner<'c> {
    ctx: &'c Ctx,
    side: Side,
    io: brisk::io::IoKind,
    evict: bool,
    stream: u64,
    lookups: Vec<i64>,
    range_start: i64,
}

impl OpRunner for ColdRunner<'_> {
    fn prepare(&mut self, op: u64) -> Result<(), String> {
        let mut rng = Rng::for_op(self.ctx.seed, self.stream, op);
        self.lookups = (0..COLD_LOOKUPS).map(|_| rowid(&mut rng, &self.ctx.sizes)).collect();
        self.range_start = rng.range(1, (self.ctx.sizes.rows - 999).max(1));
        if self.evict {
            oscache::evict(self.ctx.path(self.side), self.ctx.evict)?;
        }
        Ok(())
    }

    fn run(&mut self) -> Result<Digest, String> {
        let engine = self.ctx.open(self.side, self.io, None)?;
        let mut d = Digest::default();
        {
            let mut point = engine.prepare("SELECT id, k, grp, name, val, note FROM t WHERE id = ?1")?;
            for id in &self.lookups {
                d.merge(point.run(&[Param::Int(*id)])?);
            }
            let mut range = engine.prepare("SELECT count(*), sum(val) FROM t WHERE id >= ?1 AND id < ?1 + 1000")?;
            d.merge(range.run(&[Param::Int(self.range_start)])?);
        }
        drop(engine);
        Ok(d)
    }
}

fn stream_id(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Creates the runner for `w` over `engine` (or, for cold workloads, over fresh connections).
fn runner<'e>(
    ctx: &'e Ctx,
    w: &Workload,
    side: Side,
    engine: &'e dyn Engine,
) -> Result<Box<dyn OpRunner + 'e>, String> {
    let stream = stream_id(w.id);
    Ok(match &w.shape {
        Shape::Stmt { sql, params } => Box::new(StmtRunner {
            stmt: engine.prepare(sql)?,
            params: *params,
            seed: ctx.seed,
            stream,
            sizes: ctx.sizes,
            current: Vec::new(),
        }),
        Shape::Prepare { sql } => Box::new(PrepareRunner { engine, sql }),
        Shape::Txn { sql, rows, params } => Box::new(TxnRunner {
            begin: engine.prepare("BEGIN")?,
            stmt: engine.prepare(sql)?,
            commit: engine.prepare("COMMIT")?,
            rows: *rows,
            params: *params,
            seed: ctx.seed,
            stream,
            sizes: ctx.sizes,
            current: Vec::new(),
        }),
        Shape::Cold { evict } => Box::new(ColdRunner {
            ctx,
            side,
            io: if side == Side::Brisk { w.brisk_io } else { brisk::io::IoKind::Sync },
            evict: *evict,
            stream,
            lookups: Vec::new(),
            range_start: 1,
        }),
    })
}

/// One engine's measurements in one load mode.
pub struct Measured {
    pub ops: u64,
    /// Time the engine spent on its operations (closed loop) or its rounds' wall time (open loop).
    pub busy: Duration,
    pub hist: Histogram<u64>,
}

impl Measured {
    fn new() -> Measured {
        Measured {
            ops: 0,
            busy: Duration::ZERO,
            hist: Histogram::new_with_bounds(1, 1_000_000_000_000, 3).expect("valid histogram bounds"),
        }
    }

    pub fn throughput_per_s(&self) -> f64 {
        if self.busy.is_zero() {
            0.0
        } else {
            self.ops as f64 / self.busy.as_secs_f64()
        }
    }

    fn record(&mut self, latency: Duration) {
        let ns = latency.as_nanos().clamp(1, u128::from(self.hist.high())) as u64;
        self.hist.record(ns).expect("value clamped into the histogram's range");
        self.ops += 1;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Closed,
    Open,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Closed => "closed",
            Mode::Open => "open",
        }
    }
}

pub struct ModeResult {
    pub mode: Mode,
    /// Open loop: the arrival rate both engines were driven at.
    pub rate_per_s: Option<f64>,
    pub brisk: Measured,
    pub sqlite: Measured,
    /// Set when the time cap ended the mode before every planned operation ran.
    pub capped: bool,
}

pub struct WorkloadResult {
    pub workload: Workload,
    pub brisk_settings: String,
    pub sqlite_settings: String,
    pub brisk_io: String,
    pub modes: Vec<ModeResult>,
    /// Operations whose results differed between the engines, with the first difference.
    pub mismatch: Option<String>,
    /// Why the workload could not run (to completion) on Brisk.
    pub brisk_error: Option<String>,
    /// A failure of SQLite or of the harness itself: a bug in the benchmark.
    pub harness_error: Option<String>,
    /// For cold workloads with eviction: how much of each file was in the OS cache after evicting.
    pub residency_after_evict: Option<(f64, f64)>,
}

/// The first `ops` operations of a mode, as (round, range of op indices) slices.
fn rounds(ops: usize, rounds: usize) -> Vec<std::ops::Range<u64>> {
    let rounds = rounds.clamp(1, ops.max(1));
    (0..rounds).map(|r| ((ops * r / rounds) as u64)..((ops * (r + 1) / rounds) as u64)).collect()
}

const STREAM_VERIFY: u64 = 0;
const STREAM_WARMUP: u64 = 1 << 40;
const STREAM_CLOSED: u64 = 2 << 40;
const STREAM_OPEN: u64 = 3 << 40;

enum Failure {
    Brisk(String),
    Harness(String),
}

fn fail(side: Side, e: String) -> Failure {
    match side {
        Side::Brisk => Failure::Brisk(e),
        Side::Sqlite => Failure::Harness(format!("sqlite: {e}")),
    }
}

/// Runs one operation untimed-prepared, then timed; `due` is when it should have started (open loop).
fn timed(r: &mut dyn OpRunner, side: Side, op: u64, due: Option<Instant>) -> Result<(Duration, Digest), Failure> {
    r.prepare(op).map_err(|e| Failure::Harness(format!("{}: preparing op: {e}", side.name())))?;
    if let Some(due) = due {
        wait_until(due);
    }
    let start = Instant::now();
    let d = r.run().map_err(|e| fail(side, e))?;
    let end = Instant::now();
    Ok((end - due.unwrap_or(start), d))
}

/// Sleeps, then spins, until `t` (sleep alone overshoots by tens of microseconds).
fn wait_until(t: Instant) {
    loop {
        let now = Instant::now();
        if now >= t {
            return;
        }
        let left = t - now;
        if left > Duration::from_micros(200) {
            std::thread::sleep(left - Duration::from_micros(100));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Runs workload `w` on both engines.
pub fn run(ctx: &Ctx, w: &Workload) -> WorkloadResult {
    let mut result = WorkloadResult {
        workload: w.clone(),
        brisk_settings: String::new(),
        sqlite_settings: String::new(),
        brisk_io: String::new(),
        modes: Vec::new(),
        mismatch: None,
        brisk_error: None,
        harness_error: None,
        residency_after_evict: None,
    };
    let sqlite = match ctx.open(Side::Sqlite, brisk::io::IoKind::Sync, w.synchronous) {
        Ok(e) => e,
        Err(e) => {
            result.harness_error = Some(format!("sqlite open: {e}"));
            return result;
        }
    };
    let brisk = match ctx.open(Side::Brisk, w.brisk_io, w.synchronous) {
        Ok(e) => e,
        Err(e) => {
            result.brisk_error = Some(format!("open: {e}"));
            return result;
        }
    };
    if !matches!(w.shape, Shape::Cold { .. }) {
        for q in PREWARM {
            if let Err(e) = sqlite.run(q) {
                result.harness_error = Some(format!("sqlite prewarm {q}: {e}"));
                return result;
            }
            if let Err(e) = brisk.run(q) {
                result.brisk_error = Some(format!("prewarm {q}: {e}"));
                return result;
            }
        }
    }
    result.brisk_settings = read_back(brisk.as_ref());
    result.sqlite_settings = read_back(sqlite.as_ref());
    result.brisk_io = brisk.backend().to_string();
    let mut runners: [Box<dyn OpRunner + '_>; 2] =
        match (runner(ctx, w, Side::Brisk, brisk.as_ref()), runner(ctx, w, Side::Sqlite, sqlite.as_ref())) {
            (Ok(b), Ok(s)) => [b, s],
            (Err(e), _) => {
                result.brisk_error = Some(format!("prepare: {e}"));
                return result;
            }
            (_, Err(e)) => {
                result.harness_error = Some(format!("sqlite prepare: {e}"));
                return result;
            }
        };
    let sides = [Side::Brisk, Side::Sqlite];
    let outcome = (|| -> Result<(), Failure> {
        // Same answers first.
        let mut mismatches = 0;
        let verify_ops = (w.ops / 10).clamp(1, ctx.verify_ops);
        for op in 0..verify_ops as u64 {
            let (_, b) = timed(runners[0].as_mut(), Side::Brisk, STREAM_VERIFY + op, None)?;
            let (_, s) = timed(runners[1].as_mut(), Side::Sqlite, STREAM_VERIFY + op, None)?;
            if b != s {
                mismatches += 1;
                if result.mismatch.is_none() {
                    let mut m = format!("op {op}: brisk {} rows, sqlite {} rows", b.rows, s.rows);
                    if let (Some(Ok(br)), Some(Ok(sr))) = (runners[0].rows(), runners[1].rows()) {
                        if let Some((x, y)) = br.iter().zip(&sr).find(|(x, y)| x != y) {
                            m.push_str(&format!(", first differing row: brisk {x} vs sqlite {y}"));
                        }
                    }
                    result.mismatch = Some(m);
                }
            }
        }
        if mismatches > 0 {
            let first = result.mismatch.take().unwrap_or_default();
            result.mismatch = Some(format!("{mismatches} of {} verified ops differ; {first}", verify_ops));
        }
        if let Shape::Cold { evict: true } = w.shape {
            // Show that eviction works: evict, then ask the kernel what is left.
            let mut fr = [0.0; 2];
            for (i, side) in sides.iter().enumerate() {
                oscache::evict(ctx.path(*side), ctx.evict).map_err(Failure::Harness)?;
                fr[i] = oscache::resident_fraction(ctx.path(*side)).map_err(Failure::Harness)?;
            }
            result.residency_after_evict = Some((fr[0], fr[1]));
        }
        // Warm-up, unrecorded.
        for (r, range) in rounds((w.ops / 10).clamp(1, ctx.warmup_ops), 2).into_iter().enumerate() {
            for k in 0..2 {
                let i = (r + k) % 2;
                for op in range.clone() {
                    timed(runners[i].as_mut(), sides[i], STREAM_WARMUP + op, None)?;
                }
            }
        }
        let closed = measure(ctx, w, &mut runners, Mode::Closed, None)?;
        let rate = closed.brisk.throughput_per_s().min(closed.sqlite.throughput_per_s()) * ctx.open_load;
        result.modes.push(closed);
        if w.open_loop && rate > 0.0 {
            result.modes.push(measure(ctx, w, &mut runners, Mode::Open, Some(rate))?);
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => {}
        Err(Failure::Brisk(e)) => result.brisk_error = Some(e),
        Err(Failure::Harness(e)) => result.harness_error = Some(e),
    }
    drop(runners);
    if result.brisk_error.is_none() && result.harness_error.is_none() {
        if let Some(check) = w.check_sql {
            match (brisk.run(check), sqlite.run(check)) {
                (Ok(b), Ok(s)) if b != s => {
                    let m =
                        format!("final state differs ({check}): brisk hash {:016x}, sqlite {:016x}", b.hash, s.hash);
                    result.mismatch = Some(match result.mismatch.take() {
                        Some(prev) => format!("{prev}; {m}"),
                        None => m,
                    });
                }
                (Ok(_), Ok(_)) => {}
                (Err(e), _) => result.brisk_error = Some(format!("check query: {e}")),
                (_, Err(e)) => result.harness_error = Some(format!("sqlite check query: {e}")),
            }
        }
    }
    result
}

fn measure(
    ctx: &Ctx,
    w: &Workload,
    runners: &mut [Box<dyn OpRunner + '_>; 2],
    mode: Mode,
    rate_per_s: Option<f64>,
) -> Result<ModeResult, Failure> {
    let sides = [Side::Brisk, Side::Sqlite];
    let mut m = [Measured::new(), Measured::new()];
    let base = if mode == Mode::Closed { STREAM_CLOSED } else { STREAM_OPEN };
    let interval = rate_per_s.map(|r| Duration::from_secs_f64(1.0 / r));
    let started = Instant::now();
    let mut capped = false;
    // At least five operations a round, so an open-loop round's wall time means something.
    let plan = rounds(w.ops, ctx.rounds.min((w.ops / 5).max(1)));
    let planned_rounds = plan.len();
    for (r, range) in plan.into_iter().enumerate() {
        if started.elapsed() > ctx.mode_cap {
            capped = r < planned_rounds;
            break;
        }
        for k in 0..2 {
            // Alternate which engine goes first in each round.
            let i = (r + k) % 2;
            let round_start = Instant::now();
            for (j, op) in range.clone().enumerate() {
                let due = interval.map(|iv| round_start + iv * j as u32);
                let (lat, _) = timed(runners[i].as_mut(), sides[i], base + op, due)?;
                m[i].record(lat);
                if due.is_none() {
                    m[i].busy += lat;
                }
            }
            if interval.is_some() {
                m[i].busy += round_start.elapsed();
            }
        }
    }
    let [brisk, sqlite] = m;
    Ok(ModeResult { mode, rate_per_s, brisk, sqlite, capped })
}
