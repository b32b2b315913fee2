//! The two engines behind one small interface, so that every workload runs the same SQL, with the
//! same parameters, through each engine's natural API: Brisk's `Statement::bind/step/row`, and
//! rusqlite's `raw_bind_parameter/raw_query` over bundled SQLite.
//!
//! Fairness rules this module keeps:
//! - Both engines read every column of every result row (Brisk decodes a row when it is produced;
//!   SQLite decodes lazily, so the SQLite side calls `get_ref` on each column).
//! - Statements are prepared once and reset between runs on both sides; only the `prepare`
//!   workload pays for parsing and planning.
//! - Every run returns a [`Digest`] of its rows, so the harness can check that both engines
//!   returned the same answer before it compares how fast they did.

use brisk::{StepResult, Value};
use rusqlite::types::ValueRef;

/// A statement parameter, borrowed so that neither engine's binding cost includes our allocation.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Int(i64),
    Real(f64),
    Text(&'a str),
}

/// An owned parameter, generated per operation.
#[derive(Debug, Clone)]
pub enum OwnedParam {
    Int(i64),
    Real(f64),
    Text(String),
}

impl OwnedParam {
    pub fn as_param(&self) -> Param<'_> {
        match self {
            OwnedParam::Int(i) => Param::Int(*i),
            OwnedParam::Real(r) => Param::Real(*r),
            OwnedParam::Text(s) => Param::Text(s),
        }
    }
}

/// What a run returned: the number of rows and an order-insensitive hash of their values (rows may
/// come back in different orders where SQL leaves the order unspecified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Digest {
    pub rows: u64,
    pub hash: u64,
}

impl Digest {
    fn add_row(&mut self, row_hash: u64) {
        self.rows += 1;
        self.hash = self.hash.wrapping_add(mix(row_hash));
    }

    pub fn merge(&mut self, other: Digest) {
        self.rows += other.rows;
        self.hash = self.hash.wrapping_add(other.hash);
    }
}

fn mix(mut x: u64) -> u64 {
    // SplitMix64's finaliser: spreads a row hash before the order-insensitive sum.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A REAL hashed at 10 significant digits: two engines may sum a million doubles in different
/// orders (SQLite's `sum` uses Kahan-Babuska-Neumaier summation) and differ in the last bits.
fn real_hash(x: f64) -> u64 {
    if x == 0.0 || !x.is_finite() {
        return x.to_bits() & 0x7fff_ffff_ffff_ffff;
    }
    let scale = 10f64.powi(9 - x.abs().log10().floor() as i32);
    ((x * scale).round() as i64 as u64) ^ 0x5555
}

/// Hashes one column value the same way for both engines.
fn value_hash(acc: u64, v: ValueRef<'_>) -> u64 {
    let h = match v {
        ValueRef::Null => 0x9e37,
        ValueRef::Integer(i) => i as u64,
        ValueRef::Real(r) => real_hash(r),
        ValueRef::Text(t) => fnv(t),
        ValueRef::Blob(b) => fnv(b) ^ 0xb10b,
    };
    acc.wrapping_mul(0x100_0000_01b3).wrapping_add(h)
}

fn brisk_value_ref(v: &Value) -> ValueRef<'_> {
    match v {
        Value::Null => ValueRef::Null,
        Value::Integer(i) => ValueRef::Integer(*i),
        Value::Real(r) => ValueRef::Real(*r),
        Value::Text(t) => ValueRef::Text(t.as_bytes()),
        Value::Blob(b) => ValueRef::Blob(b),
    }
}

/// One engine's connection.
pub trait Engine {
    /// The I/O backend the connection reads and writes through.
    fn backend(&self) -> &'static str;
    /// Compiles one statement.
    fn prepare<'c>(&'c self, sql: &str) -> Result<Box<dyn Stmt + 'c>, String>;
    /// Runs one statement without parameters and returns its digest.
    fn run(&self, sql: &str) -> Result<Digest, String> {
        self.prepare(sql)?.run(&[])
    }
    /// Runs a query and returns its first column of its first row as text (pragma read-back).
    fn query_text(&self, sql: &str) -> Result<String, String>;
}

/// A prepared statement.
pub trait Stmt {
    /// Binds `params` (1-based, in order), runs to completion, reads every column of every row.
    fn run(&mut self, params: &[Param<'_>]) -> Result<Digest, String>;
    /// Runs like `run` and returns every row as text with its types visible (`5` is an INTEGER,
    /// `5.0` a REAL, `'5'` TEXT), sorted: to say what differs when two digests do.
    fn rows(&mut self, params: &[Param<'_>]) -> Result<Vec<String>, String>;
}

fn show(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => format!("{r:?}"),
        ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("x'{}'", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
    }
}

// ---- Brisk ----------------------------------------------------------------------------------

pub struct BriskEngine {
    pub conn: brisk::Connection,
}

impl BriskEngine {
    pub fn open(path: &str, io: brisk::io::IoKind) -> Result<BriskEngine, String> {
        let db = brisk::Database::open_with(path, brisk::OpenOptions { io, ..brisk::OpenOptions::default() })
            .map_err(|e| e.to_string())?;
        Ok(BriskEngine { conn: db.connect().map_err(|e| e.to_string())? })
    }
}

impl Engine for BriskEngine {
    fn backend(&self) -> &'static str {
        self.conn.io_name()
    }

    fn prepare<'c>(&'c self, sql: &str) -> Result<Box<dyn Stmt + 'c>, String> {
        let stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        Ok(Box::new(BriskStmt { stmt }))
    }

    fn query_text(&self, sql: &str) -> Result<String, String> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        match stmt.step().map_err(|e| e.to_string())? {
            StepResult::Row => Ok(match &stmt.row()[0] {
                Value::Text(t) => t.to_string(),
                other => other.to_string(),
            }),
            _ => Ok(String::new()),
        }
    }
}

struct BriskStmt {
    stmt: brisk::Statement,
}

impl BriskStmt {
    fn bind(&mut self, params: &[Param<'_>]) -> Result<(), String> {
        self.stmt.reset();
        for (i, p) in params.iter().enumerate() {
            let v = match *p {
                Param::Int(x) => Value::Integer(x),
                Param::Real(x) => Value::Real(x),
                Param::Text(s) => Value::text(s),
            };
            self.stmt.bind(i + 1, v).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl Stmt for BriskStmt {
    fn rows(&mut self, params: &[Param<'_>]) -> Result<Vec<String>, String> {
        self.bind(params)?;
        let mut out = Vec::new();
        while self.stmt.step().map_err(|e| e.to_string())? == StepResult::Row {
            let cols: Vec<String> = self.stmt.row().iter().map(|v| show(brisk_value_ref(v))).collect();
            out.push(format!("({})", cols.join(", ")));
        }
        out.sort();
        Ok(out)
    }

    fn run(&mut self, params: &[Param<'_>]) -> Result<Digest, String> {
        self.bind(params)?;
        let mut digest = Digest::default();
        // Bounded by the statement's own row count.
        loop {
            match self.stmt.step() {
                Ok(StepResult::Row) => {
                    let h = self.stmt.row().iter().fold(0u64, |acc, v| value_hash(acc, brisk_value_ref(v)));
                    digest.add_row(h);
                }
                Ok(_) => return Ok(digest),
                Err(e) => {
                    self.stmt.reset();
                    return Err(e.to_string());
                }
            }
        }
    }
}

// ---- SQLite (rusqlite, bundled) -------------------------------------------------------------

pub struct SqliteEngine {
    pub conn: rusqlite::Connection,
}

impl SqliteEngine {
    pub fn open(path: &str) -> Result<SqliteEngine, String> {
        Ok(SqliteEngine { conn: rusqlite::Connection::open(path).map_err(|e| e.to_string())? })
    }
}

impl Engine for SqliteEngine {
    fn backend(&self) -> &'static str {
        "unix-vfs"
    }

    fn prepare<'c>(&'c self, sql: &str) -> Result<Box<dyn Stmt + 'c>, String> {
        let stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        let columns = stmt.column_count();
        Ok(Box::new(SqliteStmt { stmt, columns }))
    }

    fn query_text(&self, sql: &str) -> Result<String, String> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        let mut rows = stmt.raw_query();
        match rows.next().map_err(|e| e.to_string())? {
            Some(row) => Ok(match row.get_ref(0).map_err(|e| e.to_string())? {
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                ValueRef::Integer(i) => i.to_string(),
                ValueRef::Real(r) => r.to_string(),
                ValueRef::Null => "NULL".into(),
                ValueRef::Blob(_) => "<blob>".into(),
            }),
            None => Ok(String::new()),
        }
    }
}

struct SqliteStmt<'c> {
    stmt: rusqlite::Statement<'c>,
    columns: usize,
}

impl SqliteStmt<'_> {
    fn bind(&mut self, params: &[Param<'_>]) -> Result<(), String> {
        for (i, p) in params.iter().enumerate() {
            let r = match *p {
                Param::Int(x) => self.stmt.raw_bind_parameter(i + 1, x),
                Param::Real(x) => self.stmt.raw_bind_parameter(i + 1, x),
                Param::Text(s) => self.stmt.raw_bind_parameter(i + 1, s),
            };
            r.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl Stmt for SqliteStmt<'_> {
    fn rows(&mut self, params: &[Param<'_>]) -> Result<Vec<String>, String> {
        self.bind(params)?;
        let columns = self.columns;
        let mut out = Vec::new();
        let mut rows = self.stmt.raw_query();
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            let mut cols = Vec::with_capacity(columns);
            for c in 0..columns {
                cols.push(show(row.get_ref(c).map_err(|e| e.to_string())?));
            }
            out.push(format!("({})", cols.join(", ")));
        }
        out.sort();
        Ok(out)
    }

    fn run(&mut self, params: &[Param<'_>]) -> Result<Digest, String> {
        self.bind(params)?;
        let columns = self.columns;
        let mut digest = Digest::default();
        // Dropping `rows` resets the statement.
        let mut rows = self.stmt.raw_query();
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            let mut h = 0u64;
            for c in 0..columns {
                h = value_hash(h, row.get_ref(c).map_err(|e| e.to_string())?);
            }
            digest.add_row(h);
        }
        Ok(digest)
    }
}
