//! The benchmark's data: a seeded generator, the schema, and the database file both engines read.
//!
//! The file is built once per run (through bundled SQLite, the reference writer) and copied, so
//! Brisk and SQLite start from byte-identical files: the same rows, the same B-tree layout, the
//! same page size. Every row and every operation's parameters are a pure function of the seed.

use std::path::Path;

/// SplitMix64: small, fast, and good enough to spread keys; the same sequence on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for operation `op` of stream `stream`: each operation's parameters depend only on
    /// (seed, stream, op), so both engines see the same ones whatever order they run in.
    pub fn for_op(seed: u64, stream: u64, op: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ op.wrapping_mul(0xd1b5_4a32_d192_ed03));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        lo + (self.next_u64() % ((hi - lo) as u64 + 1)) as i64
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn word(&mut self, len: usize) -> String {
        (0..len).map(|_| (b'a' + (self.next_u64() % 26) as u8) as char).collect()
    }
}

/// The secondary key of row `id`: a permutation of the rowids (distinct because the multiplier is
/// invertible modulo the prime), so a lookup by `k` finds exactly one row.
pub fn secondary_key(id: i64) -> i64 {
    const PRIME: i64 = 2_147_483_647; // 2^31 - 1
    (id.wrapping_mul(48_271)).rem_euclid(PRIME)
}

/// Sizes of one run's tables.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Rows of `t`, the main table (point reads, ranges, the aggregate, updates, deletes).
    pub rows: i64,
    pub customers: i64,
    pub products: i64,
    pub orders: i64,
}

/// The settings both engines run with, applied to each connection and read back to check.
#[derive(Debug, Clone)]
pub struct Settings {
    pub page_size_bytes: u32,
    /// `PRAGMA cache_size`: negative means KiB, as in SQLite.
    pub cache_size: i64,
    pub journal_mode: &'static str,
    pub synchronous: &'static str,
}

impl Settings {
    /// The pragmas for a connection, with `synchronous` overridden when a workload asks.
    pub fn pragmas(&self, synchronous: Option<&str>) -> Vec<String> {
        vec![
            format!("PRAGMA page_size = {}", self.page_size_bytes),
            format!("PRAGMA cache_size = {}", self.cache_size),
            format!("PRAGMA journal_mode = {}", self.journal_mode),
            format!("PRAGMA synchronous = {}", synchronous.unwrap_or(self.synchronous)),
        ]
    }
}

pub const SCHEMA: &str = "
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, grp INTEGER NOT NULL, name TEXT NOT NULL, val REAL NOT NULL, note TEXT);
CREATE TABLE w(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT NOT NULL, val REAL NOT NULL);
CREATE INDEX w_k ON w(k);
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL);
CREATE TABLE products(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, product_id INTEGER NOT NULL, qty INTEGER NOT NULL);
";

/// Indexes built after the bulk load (faster, and a compact layout as a real import would have).
pub const INDEXES: &str = "
CREATE INDEX t_k ON t(k);
CREATE INDEX orders_customer ON orders(customer_id);
";

/// Writes the database file at `path` (replacing it) with SQLite, from `seed`.
pub fn build(path: &Path, sizes: Sizes, settings: &Settings, seed: u64) -> Result<(), String> {
    let _ = std::fs::remove_file(path);
    let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    let err = |e: rusqlite::Error| e.to_string();
    conn.execute_batch(&format!(
        "PRAGMA page_size = {}; PRAGMA journal_mode = {}; PRAGMA synchronous = OFF;",
        settings.page_size_bytes, settings.journal_mode
    ))
    .map_err(err)?;
    conn.execute_batch(SCHEMA).map_err(err)?;
    conn.execute_batch("BEGIN").map_err(err)?;
    let mut rng = Rng::new(seed);
    {
        let mut ins = conn.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6)").map_err(err)?;
        for id in 1..=sizes.rows {
            let name = format!("name-{:08x}", rng.next_u64() as u32);
            let note_len = rng.range(20, 80) as usize;
            let note = rng.word(note_len);
            let grp = rng.range(0, 99);
            let val = (rng.unit() * 1_000_000.0).round() / 100.0;
            ins.execute(rusqlite::params![id, secondary_key(id), grp, name, val, note]).map_err(err)?;
        }
        let mut ins = conn.prepare("INSERT INTO customers VALUES (?1, ?2, ?3)").map_err(err)?;
        for id in 1..=sizes.customers {
            let region = ["north", "south", "east", "west"][rng.range(0, 3) as usize];
            ins.execute(rusqlite::params![id, format!("customer-{id}-{}", rng.word(6)), region]).map_err(err)?;
        }
        let mut ins = conn.prepare("INSERT INTO products VALUES (?1, ?2, ?3)").map_err(err)?;
        for id in 1..=sizes.products {
            let price = (rng.unit() * 10_000.0).round() / 100.0;
            ins.execute(rusqlite::params![id, format!("product-{}", rng.word(10)), price]).map_err(err)?;
        }
        let mut ins = conn.prepare("INSERT INTO orders VALUES (?1, ?2, ?3, ?4)").map_err(err)?;
        for id in 1..=sizes.orders {
            let c = rng.range(1, sizes.customers);
            let p = rng.range(1, sizes.products);
            ins.execute(rusqlite::params![id, c, p, rng.range(1, 20)]).map_err(err)?;
        }
    }
    conn.execute_batch("COMMIT").map_err(err)?;
    conn.execute_batch(INDEXES).map_err(err)?;
    conn.execute_batch("PRAGMA journal_mode = DELETE;").map_err(err)?;
    Ok(())
}
