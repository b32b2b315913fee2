//! Criterion micro-benchmarks of Brisk's hot paths, each beside the same operation through
//! rusqlite where SQLite exposes one:
//!
//! - `varint/decode`, `record/decode`: Brisk's format decoding (SQLite has no public equivalent).
//! - `btree/seek_rowid`: a B-tree cursor seek on a warm cache; beside it, `point_select` runs
//!   the whole prepared `SELECT ... WHERE id = ?` on both engines (the closest SQLite operation).
//! - `vm/scan_expr`: VM dispatch over a 10,000-row in-memory table (column, arithmetic, aggregate
//!   step, next), both engines.
//! - `window/10000`: window functions (running sum, sliding average, rank) over 10,000 rows, all
//!   rows fetched, both engines.
//! - `prepare/join3`: parsing and planning a three-table join, both engines.
//!
//! `cargo bench -p brisk-perf` runs them all; `cargo bench -p brisk-perf -- prepare` one group.

use std::hint::black_box;
use std::sync::Arc;

use brisk::io::{Io, IoKind};
use brisk::storage::btree::{BTreeCursor, SeekKey, SeekOp, TreeKind};
use brisk::storage::pager::{Pager, PagerOptions};
use brisk::storage::record::{decode_record, encode_record, TextEncoding};
use brisk::storage::varint::{push_varint, read_varint};
use brisk::storage::IoPoll;
use brisk::{StepResult, Value};
use criterion::{criterion_group, criterion_main, Criterion};

const ROWS: i64 = 100_000;

const JOIN_SQL: &str = "SELECT c.name, c.region, p.name, p.price, o.qty, o.qty * p.price AS total \
     FROM orders AS o JOIN customers AS c ON c.id = o.customer_id JOIN products AS p ON p.id = o.product_id \
     WHERE o.customer_id = ?1";

const SCHEMA: &str = "
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT NOT NULL, val REAL NOT NULL);
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL);
CREATE TABLE products(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, product_id INTEGER NOT NULL, qty INTEGER NOT NULL);
CREATE INDEX orders_customer ON orders(customer_id);
";

/// A database file of `ROWS` rows, written by SQLite, in a fresh temporary directory.
fn fixture() -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("brisk-perf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bench.db");
    let _ = std::fs::remove_file(&path);
    let conn = rusqlite::Connection::open(&path).expect("open fixture");
    conn.execute_batch(SCHEMA).expect("schema");
    conn.execute_batch("BEGIN").expect("begin");
    {
        let mut ins = conn.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)").expect("prepare");
        for id in 1..=ROWS {
            ins.execute(rusqlite::params![id, (id * 48_271) % 2_147_483_647, format!("name-{id:08}"), id as f64 / 7.0])
                .expect("insert");
        }
    }
    conn.execute_batch("COMMIT").expect("commit");
    let s = path.to_str().expect("UTF-8 temp path").to_string();
    (dir, s)
}

fn varint(c: &mut Criterion) {
    let mut buf = Vec::new();
    let mut x: u64 = 1;
    for i in 0..1000u64 {
        // Lengths from 1 to 9 bytes, as record headers and cells hold them.
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        push_varint(&mut buf, x >> (i % 64));
    }
    c.bench_function("varint/decode_1000", |b| {
        b.iter(|| {
            let mut at = 0;
            let mut sum = 0u64;
            while at < buf.len() {
                let (v, n) = read_varint(&buf[at..]).expect("valid varint");
                sum = sum.wrapping_add(v);
                at += n;
            }
            black_box(sum)
        })
    });
}

fn record(c: &mut Criterion) {
    let rec = encode_record(
        &[
            Value::Integer(123_456),
            Value::Integer(7),
            Value::text("name-0001e240"),
            Value::Real(1234.56),
            Value::text("a note of some sixty characters, as the benchmark rows have"),
            Value::Null,
        ],
        TextEncoding::Utf8,
    );
    c.bench_function("record/decode_6_columns", |b| {
        b.iter(|| black_box(decode_record(black_box(&rec), TextEncoding::Utf8).expect("valid record")))
    });
}

fn poll<T>(io: &dyn Io, mut f: impl FnMut() -> brisk::Result<IoPoll<T>>) -> T {
    // Bounded: the sync backend completes each read at submission.
    for _ in 0..1_000 {
        match f().expect("btree operation") {
            IoPoll::Ready(v) => return v,
            IoPoll::Pending => io.run_once().expect("run_once"),
        }
    }
    panic!("a read never completed")
}

fn btree_and_point_select(c: &mut Criterion) {
    let (dir, path) = fixture();
    let root: u32 = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row("SELECT rootpage FROM sqlite_schema WHERE name = 't'", [], |r| r.get(0))
        .expect("rootpage");
    let io: Arc<dyn Io> = brisk::io::open_io(IoKind::Sync).expect("sync io");
    let mut pager =
        Pager::open(io.clone(), &path, PagerOptions { cache_size: -65_536, ..PagerOptions::default() }).expect("pager");
    pager.begin_read().expect("begin_read");
    let mut cursor = BTreeCursor::new(root, TreeKind::Table);
    let mut key: i64 = 0;
    c.bench_function("btree/seek_rowid/brisk", |b| {
        b.iter(|| {
            key = (key + 7_919) % ROWS + 1;
            black_box(poll(io.as_ref(), || cursor.seek(&mut pager, SeekKey::Rowid(key), SeekOp::EQ)))
        })
    });
    pager.end_read();
    drop(pager);

    let sql = "SELECT id, k, name, val FROM t WHERE id = ?1";
    let mut g = c.benchmark_group("point_select");
    let bconn = brisk::Database::open_with(&path, brisk::OpenOptions { io: IoKind::Sync, ..Default::default() })
        .and_then(|d| d.connect())
        .expect("brisk open");
    bconn.execute_batch("PRAGMA cache_size = -65536").expect("pragma");
    let mut bstmt = bconn.prepare(sql).expect("brisk prepare");
    let mut key = 0i64;
    g.bench_function("brisk", |b| {
        b.iter(|| {
            key = (key + 7_919) % ROWS + 1;
            bstmt.reset();
            bstmt.bind(1, key).expect("bind");
            let mut n = 0;
            while bstmt.step().expect("step") == StepResult::Row {
                n += bstmt.row().len();
            }
            black_box(n)
        })
    });
    let sconn = rusqlite::Connection::open(&path).expect("sqlite open");
    sconn.execute_batch("PRAGMA cache_size = -65536").expect("pragma");
    let mut sstmt = sconn.prepare(sql).expect("sqlite prepare");
    g.bench_function("sqlite", |b| {
        b.iter(|| {
            key = (key + 7_919) % ROWS + 1;
            sstmt.raw_bind_parameter(1, key).expect("bind");
            let mut rows = sstmt.raw_query();
            let mut n = 0;
            while let Some(row) = rows.next().expect("step") {
                for i in 0..4 {
                    black_box(row.get_ref(i).expect("column"));
                }
                n += 4;
            }
            black_box(n)
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

/// An in-memory database on each engine, both set up with `setup`.
fn in_memory(setup: &str) -> (brisk::Connection, rusqlite::Connection) {
    let bconn = brisk::Connection::open_in_memory().expect("brisk memory");
    bconn.execute_batch(setup).expect("brisk setup");
    let sconn = rusqlite::Connection::open_in_memory().expect("sqlite memory");
    sconn.execute_batch(setup).expect("sqlite setup");
    (bconn, sconn)
}

fn vm_dispatch(c: &mut Criterion) {
    let setup = "CREATE TABLE n(x INTEGER); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) INSERT INTO n SELECT x FROM c;";
    let sql = "SELECT sum(x * 2 + 1), max(x % 7), count(*) FROM n WHERE x > 10";
    let mut g = c.benchmark_group("vm/scan_expr_10000");
    let (bconn, sconn) = in_memory(setup);
    let mut bstmt = bconn.prepare(sql).expect("brisk prepare");
    g.bench_function("brisk", |b| {
        b.iter(|| {
            bstmt.reset();
            assert_eq!(bstmt.step().expect("step"), StepResult::Row);
            black_box(bstmt.row()[0].clone())
        })
    });
    let mut sstmt = sconn.prepare(sql).expect("sqlite prepare");
    g.bench_function("sqlite", |b| b.iter(|| black_box(sstmt.query_row([], |r| r.get::<_, i64>(0)).expect("row"))));
    g.finish();
}

/// Window functions over 10,000 rows in 7 partitions: a running sum, a sliding average (steps
/// and inverses) and a rank, all rows fetched.
fn window(c: &mut Criterion) {
    let setup = "CREATE TABLE n(x INTEGER, k INTEGER); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) INSERT INTO n SELECT x, x % 7 FROM c;";
    let sql = "SELECT x, sum(x) OVER (PARTITION BY k ORDER BY x), avg(x) OVER (ORDER BY x ROWS BETWEEN 5 PRECEDING AND 5 FOLLOWING), rank() OVER (ORDER BY k) FROM n";
    let mut g = c.benchmark_group("window/10000");
    let (bconn, sconn) = in_memory(setup);
    let mut bstmt = bconn.prepare(sql).expect("brisk prepare");
    g.bench_function("brisk", |b| {
        b.iter(|| {
            bstmt.reset();
            let mut n = 0;
            while bstmt.step().expect("step") == StepResult::Row {
                n += 1;
            }
            black_box(n)
        })
    });
    let mut sstmt = sconn.prepare(sql).expect("sqlite prepare");
    g.bench_function("sqlite", |b| {
        b.iter(|| {
            let mut rows = sstmt.query([]).expect("query");
            let mut n = 0;
            while rows.next().expect("row").is_some() {
                n += 1;
            }
            black_box(n)
        })
    });
    g.finish();
}

fn prepare(c: &mut Criterion) {
    let mut g = c.benchmark_group("prepare/join3");
    let bconn = brisk::Connection::open_in_memory().expect("brisk memory");
    bconn.execute_batch(SCHEMA).expect("brisk schema");
    g.bench_function("brisk", |b| b.iter(|| black_box(bconn.prepare(JOIN_SQL).expect("prepare"))));
    let sconn = rusqlite::Connection::open_in_memory().expect("sqlite memory");
    sconn.execute_batch(SCHEMA).expect("sqlite schema");
    g.bench_function("sqlite", |b| b.iter(|| black_box(sconn.prepare(JOIN_SQL).expect("prepare"))));
    g.finish();
}

/// An index range with a table lookup per row: `WHERE grp = ?` over an index on `grp`, 200 of
/// 20,000 rows, each fetched from the table by rowid for `score`.
fn index_range(c: &mut Criterion) {
    let setup =
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, grp INTEGER); CREATE INDEX t_grp ON t(grp); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
                 INSERT INTO t SELECT i, 'name ' || i, i * 0.5, i % 100 FROM n;";
    let sql = "SELECT count(*), sum(score) FROM t WHERE grp = ?1";
    let (bconn, sconn) = in_memory(setup);
    let mut g = c.benchmark_group("index_range/200_of_20000");
    let mut bstmt = bconn.prepare(sql).expect("brisk prepare");
    let mut grp = 0i64;
    g.bench_function("brisk", |b| {
        b.iter(|| {
            grp = (grp + 37) % 100;
            black_box(bstmt.query_all(&[brisk::Value::Integer(grp)]).expect("brisk query"))
        })
    });
    let mut sstmt = sconn.prepare(sql).expect("sqlite prepare");
    g.bench_function("sqlite", |b| {
        b.iter(|| {
            grp = (grp + 37) % 100;
            black_box(sstmt.query_row([grp], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?))).expect("sqlite query"))
        })
    });
    g.finish();
}

criterion_group!(benches, varint, record, btree_and_point_select, vm_dispatch, window, prepare, index_range);
criterion_main!(benches);
