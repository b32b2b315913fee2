//! B-tree interop with stock SQLite (bundled through rusqlite), in both directions: trees Brisk
//! writes pass SQLite's `PRAGMA integrity_check` and read back exactly; trees SQLite writes scan,
//! seek and take further edits in Brisk.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use brisk::io::sync::SyncIo;
use brisk::io::Io;
use brisk::storage::btree::{integrity_check, BTreeCursor, InsertKey, SeekKey, SeekOp, TreeKind};
use brisk::storage::pager::{PageNumber, Pager, PagerOptions};
use brisk::storage::record::{decode_record, encode_record, KeyInfo, TextEncoding};
use brisk::storage::IoPoll;
use brisk::{Result, Value};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh path in the temp directory; the file and its journal are removed on drop.
struct TempDb(PathBuf);

impl TempDb {
    fn new(tag: &str) -> TempDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("brisk-btree-{tag}-{}-{n}.db", std::process::id()));
        let _ = std::fs::remove_file(&p);
        TempDb(p)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(format!("{}-journal", self.path()));
    }
}

fn wait<T>(pager: &mut Pager, mut f: impl FnMut(&mut Pager) -> Result<IoPoll<T>>) -> T {
    for _ in 0..1_000_000 {
        match f(pager).unwrap() {
            IoPoll::Ready(v) => return v,
            IoPoll::Pending => pager.run_io().unwrap(),
        }
    }
    panic!("I/O never completed");
}

fn payload(pager: &mut Pager, c: &mut BTreeCursor) -> Vec<u8> {
    wait(pager, |p| {
        c.payload(p).map(|r| match r {
            IoPoll::Ready(d) => IoPoll::Ready(d.to_vec()),
            IoPoll::Pending => IoPoll::Pending,
        })
    })
}

fn open_pager(path: &str) -> Pager {
    let io: Arc<dyn Io> = Arc::new(SyncIo::new());
    Pager::open(io, path, PagerOptions::default()).unwrap()
}

/// One row of sqlite_schema.
#[derive(Debug, Clone)]
struct SchemaRow {
    kind: String,
    name: String,
    root: PageNumber,
    sql: String,
}

fn read_schema(pager: &mut Pager) -> Vec<SchemaRow> {
    let mut c = BTreeCursor::new(1, TreeKind::Table);
    let mut rows = Vec::new();
    let mut on = wait(pager, |p| c.rewind(p));
    while on {
        let v = decode_record(&payload(pager, &mut c), TextEncoding::Utf8).unwrap();
        let text = |i: usize| match &v[i] {
            Value::Text(s) => s.to_string(),
            _ => String::new(),
        };
        let root = match v[3] {
            Value::Integer(r) => r as PageNumber,
            _ => 0,
        };
        rows.push(SchemaRow { kind: text(0), name: text(1), root, sql: text(4) });
        on = wait(pager, |p| c.next(p));
    }
    rows
}

fn root_of(schema: &[SchemaRow], name: &str) -> PageNumber {
    schema.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no {name} in the schema")).root
}

/// Every tree in the file, for Brisk's integrity check.
fn all_roots(schema: &[SchemaRow]) -> Vec<(PageNumber, bool, String)> {
    let mut roots = vec![(1, false, "sqlite_schema".to_string())];
    for r in schema.iter().filter(|r| r.root != 0) {
        let is_index = r.kind == "index" || r.sql.to_ascii_uppercase().contains("WITHOUT ROWID");
        roots.push((r.root, is_index, r.name.clone()));
    }
    roots
}

fn to_brisk(v: rusqlite::types::Value) -> Value {
    match v {
        rusqlite::types::Value::Null => Value::Null,
        rusqlite::types::Value::Integer(i) => Value::Integer(i),
        rusqlite::types::Value::Real(r) => Value::Real(r),
        rusqlite::types::Value::Text(s) => Value::text(&s),
        rusqlite::types::Value::Blob(b) => Value::blob(&b),
    }
}

/// xorshift64*, for reproducible data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn text_of(rng: &mut Rng, max: u64) -> String {
    let len = match rng.below(10) {
        0..=6 => rng.below(30),
        7..=8 => rng.below(400),
        _ => rng.below(max),
    };
    (0..len).map(|_| (b'a' + rng.below(26) as u8) as char).collect()
}

fn value_of(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => Value::Integer(rng.next() as i64 >> rng.below(64)),
        2 => Value::Real((rng.below(1_000_000) as f64) / 7.0),
        3 => Value::text(&text_of(rng, 3000)),
        4 => Value::blob(&(0..rng.below(5000)).map(|i| i as u8).collect::<Vec<u8>>()),
        _ => Value::Integer(rng.below(3) as i64),
    }
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |row| {
            (0..n).map(|i| row.get::<_, rusqlite::types::Value>(i).map(to_brisk)).collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap();
    rows.map(|r| r.unwrap()).collect()
}

fn sqlite_integrity(path: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let rows = sqlite_rows(&conn, "PRAGMA integrity_check");
    rows.into_iter()
        .map(|r| match &r[0] {
            Value::Text(s) => s.to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Writes rows into a table, its index and a WITHOUT ROWID table through Brisk, with replaces and
/// deletes, and checks what SQLite makes of the file.
fn brisk_writes_sqlite_reads(page_size: u32, rows: i64) {
    let db = TempDb::new("w");
    {
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA page_size={page_size};
             CREATE TABLE t(a, b);
             CREATE INDEX i ON t(b);
             CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
        ))
        .unwrap();
    }
    let mut pager = open_pager(db.path());
    pager.begin_read().unwrap();
    let schema = read_schema(&mut pager);
    let (t, i, w) = (root_of(&schema, "t"), root_of(&schema, "i"), root_of(&schema, "w"));
    pager.end_read();

    let mut rng = Rng(0x5eed ^ u64::from(page_size));
    let mut model: BTreeMap<i64, (Value, Value)> = BTreeMap::new();
    let mut wmodel: BTreeMap<String, Value> = BTreeMap::new();
    let index_kind = TreeKind::Index(KeyInfo::new(2, TextEncoding::Utf8));
    let w_kind = TreeKind::Index(KeyInfo::new(1, TextEncoding::Utf8));
    for batch in 0..3 {
        pager.begin_write(false).unwrap();
        let mut ct = BTreeCursor::new(t, TreeKind::Table);
        let mut ci = BTreeCursor::new(i, index_kind.clone());
        let mut cw = BTreeCursor::new(w, w_kind.clone());
        for n in 0..rows {
            let rowid = if rng.below(4) == 0 { rng.below(rows as u64 * 2) as i64 + 1 } else { batch * rows + n + 1 };
            let (a, b) = (value_of(&mut rng), Value::text(&text_of(&mut rng, 2500)));
            if let Some((_, old_b)) = model.get(&rowid) {
                // Replacing a row: its old index entry goes first.
                let key = [old_b.clone(), Value::Integer(rowid)];
                assert!(wait(&mut pager, |p| ci.seek(p, SeekKey::Index(&key), SeekOp::EQ)));
                ci.delete(&mut pager).unwrap();
            }
            let rec = encode_record(&[a.clone(), b.clone()], TextEncoding::Utf8);
            ct.insert(&mut pager, InsertKey::Rowid(rowid), &rec).unwrap();
            ci.insert(
                &mut pager,
                InsertKey::Index(&encode_record(&[b.clone(), Value::Integer(rowid)], TextEncoding::Utf8)),
                &[],
            )
            .unwrap();
            model.insert(rowid, (a, b));
            if n % 3 == 0 {
                let k = text_of(&mut rng, 1500);
                let v = value_of(&mut rng);
                if wmodel.contains_key(&k) {
                    assert!(wait(&mut pager, |p| cw.seek(p, SeekKey::Index(&[Value::text(&k)]), SeekOp::EQ)));
                    cw.delete(&mut pager).unwrap();
                }
                cw.insert(
                    &mut pager,
                    InsertKey::Index(&encode_record(&[Value::text(&k), v.clone()], TextEncoding::Utf8)),
                    &[],
                )
                .unwrap();
                wmodel.insert(k, v);
            }
        }
        // Delete a fifth of the rows, with their index entries.
        let victims: Vec<i64> = model.keys().copied().filter(|_| rng.below(5) == 0).collect();
        for rowid in victims {
            let (_, b) = model.remove(&rowid).unwrap();
            assert!(wait(&mut pager, |p| ct.seek(p, SeekKey::Rowid(rowid), SeekOp::EQ)));
            ct.delete(&mut pager).unwrap();
            let key = [b, Value::Integer(rowid)];
            assert!(wait(&mut pager, |p| ci.seek(p, SeekKey::Index(&key), SeekOp::EQ)));
            ci.delete(&mut pager).unwrap();
        }
        let errors = integrity_check(&mut pager, &all_roots(&schema), 100).unwrap();
        assert!(errors.is_empty(), "Brisk's check: {errors:?}");
        pager.commit().unwrap();
        pager.end_read();

        assert_eq!(sqlite_integrity(db.path()), vec!["ok".to_string()], "page size {page_size}, batch {batch}");
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        let got = sqlite_rows(&conn, "SELECT rowid, a, b FROM t ORDER BY rowid");
        let want: Vec<Vec<Value>> =
            model.iter().map(|(r, (a, b))| vec![Value::Integer(*r), a.clone(), b.clone()]).collect();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "table rows differ");
        let got = sqlite_rows(&conn, "SELECT b, rowid FROM t INDEXED BY i WHERE b IS NOT NULL ORDER BY b, rowid");
        assert_eq!(got.len(), model.len());
        let got = sqlite_rows(&conn, "SELECT k, v FROM w ORDER BY k");
        let want: Vec<Vec<Value>> = wmodel.iter().map(|(k, v)| vec![Value::text(k), v.clone()]).collect();
        assert!(got == want, "WITHOUT ROWID rows differ");
    }
}

#[test]
fn brisk_writes_sqlite_reads_512() {
    brisk_writes_sqlite_reads(512, 1500);
}

#[test]
fn brisk_writes_sqlite_reads_4096() {
    brisk_writes_sqlite_reads(4096, 3000);
}

/// SQLite writes 100k rows of varied sizes, a WITHOUT ROWID table and an index, and deletes some;
/// Brisk scans and seeks them, checks the file, then edits SQLite's pages (freeblocks and all)
/// and SQLite checks the result.
#[test]
fn sqlite_writes_brisk_reads() {
    let db = TempDb::new("r");
    {
        let mut conn = rusqlite::Connection::open(db.path()).unwrap();
        conn.execute_batch(
            "CREATE TABLE t(a, b);
             CREATE INDEX i ON t(b);
             CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut rng = Rng(42);
            let mut ins = tx.prepare("INSERT INTO t(rowid, a, b) VALUES (?1, ?2, ?3)").unwrap();
            let mut insw = tx.prepare("INSERT OR REPLACE INTO w(k, v) VALUES (?1, ?2)").unwrap();
            for n in 1..=100_000i64 {
                let a: Vec<u8> = (0..match rng.below(100) {
                    0..=79 => rng.below(40),
                    80..=97 => rng.below(1000),
                    _ => rng.below(20_000),
                })
                    .map(|i| i as u8)
                    .collect();
                let b = format!("k{:08}", rng.below(50_000));
                ins.execute(rusqlite::params![n * 3, a, b]).unwrap();
                if n % 4 == 0 {
                    insw.execute(rusqlite::params![format!("w{}", rng.below(1_000_000)), n]).unwrap();
                }
            }
        }
        tx.commit().unwrap();
        conn.execute_batch("DELETE FROM t WHERE rowid % 7 = 0; DELETE FROM w WHERE v % 5 = 0;").unwrap();
    }
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    let table = sqlite_rows(&conn, "SELECT rowid, a, b FROM t ORDER BY rowid");
    let index = sqlite_rows(&conn, "SELECT b, rowid FROM t ORDER BY b, rowid");
    let wrows = sqlite_rows(&conn, "SELECT k, v FROM w ORDER BY k");
    drop(conn);

    let mut pager = open_pager(db.path());
    pager.begin_read().unwrap();
    let schema = read_schema(&mut pager);
    let (t, i, w) = (root_of(&schema, "t"), root_of(&schema, "i"), root_of(&schema, "w"));
    let errors = integrity_check(&mut pager, &all_roots(&schema), 100).unwrap();
    assert!(errors.is_empty(), "Brisk's check of SQLite's file: {errors:?}");

    // Full scans, forwards, and backwards over the table.
    let mut ct = BTreeCursor::new(t, TreeKind::Table);
    let mut on = wait(&mut pager, |p| ct.rewind(p));
    let mut n = 0;
    while on {
        let row = &table[n];
        assert_eq!(Value::Integer(ct.rowid().unwrap()), row[0]);
        let v = decode_record(&payload(&mut pager, &mut ct), TextEncoding::Utf8).unwrap();
        assert!(v[0] == row[1] && v[1] == row[2], "row {n} differs");
        n += 1;
        on = wait(&mut pager, |p| ct.next(p));
    }
    assert_eq!(n, table.len());
    let mut on = wait(&mut pager, |p| ct.last(p));
    while on {
        n -= 1;
        assert_eq!(Value::Integer(ct.rowid().unwrap()), table[n][0]);
        on = wait(&mut pager, |p| ct.prev(p));
    }
    assert_eq!(n, 0);
    assert_eq!(wait(&mut pager, |p| ct.count(p)), table.len() as u64);

    // Seeks: every op at deleted, present and absent rowids.
    let mut rng = Rng(7);
    let rowids: Vec<i64> =
        table.iter().map(|r| if let Value::Integer(i) = r[0] { i } else { unreachable!() }).collect();
    for _ in 0..2000 {
        let key = rng.below(300_010) as i64 - 5;
        let pos = rowids.partition_point(|&r| r < key);
        for (op, want) in [
            (SeekOp::EQ, rowids.get(pos).filter(|&&r| r == key)),
            (SeekOp::GE, rowids.get(pos)),
            (SeekOp::GT, rowids.get(rowids.partition_point(|&r| r <= key))),
            (SeekOp::LT, pos.checked_sub(1).and_then(|p| rowids.get(p))),
            (SeekOp::LE, rowids.partition_point(|&r| r <= key).checked_sub(1).and_then(|p| rowids.get(p))),
        ] {
            let found = wait(&mut pager, |p| ct.seek(p, SeekKey::Rowid(key), op));
            assert_eq!(found.then(|| ct.rowid().unwrap()), want.copied(), "{op:?} {key}");
        }
    }

    // The index, in full and by prefix.
    let mut ci = BTreeCursor::new(i, TreeKind::Index(KeyInfo::new(2, TextEncoding::Utf8)));
    let mut on = wait(&mut pager, |p| ci.rewind(p));
    let mut n = 0;
    while on {
        let v = decode_record(&payload(&mut pager, &mut ci), TextEncoding::Utf8).unwrap();
        assert!(v == index[n], "index entry {n} differs");
        n += 1;
        on = wait(&mut pager, |p| ci.next(p));
    }
    assert_eq!(n, index.len());
    for _ in 0..2000 {
        let b = Value::text(&format!("k{:08}", rng.below(50_000)));
        let cmp = |r: &Vec<Value>| r[0].compare(&b, brisk::value::Collation::Binary);
        let first =
            Some(index.partition_point(|r| cmp(r).is_lt())).filter(|&p| p < index.len() && cmp(&index[p]).is_eq());
        let found = wait(&mut pager, |p| ci.seek(p, SeekKey::Index(std::slice::from_ref(&b)), SeekOp::EQ));
        assert_eq!(found, first.is_some());
        if let Some(pos) = first {
            let v = decode_record(&payload(&mut pager, &mut ci), TextEncoding::Utf8).unwrap();
            assert!(v == index[pos]);
        }
        let last = index.partition_point(|r| cmp(r).is_le()).checked_sub(1);
        let found = wait(&mut pager, |p| ci.seek(p, SeekKey::Index(std::slice::from_ref(&b)), SeekOp::LE));
        assert_eq!(found, last.is_some());
        if let Some(pos) = last {
            let v = decode_record(&payload(&mut pager, &mut ci), TextEncoding::Utf8).unwrap();
            assert!(v == index[pos]);
        }
    }

    // The WITHOUT ROWID table.
    let mut cw = BTreeCursor::new(w, TreeKind::Index(KeyInfo::new(1, TextEncoding::Utf8)));
    let mut on = wait(&mut pager, |p| cw.rewind(p));
    let mut n = 0;
    while on {
        let v = decode_record(&payload(&mut pager, &mut cw), TextEncoding::Utf8).unwrap();
        assert!(v == wrows[n], "WITHOUT ROWID row {n} differs");
        n += 1;
        on = wait(&mut pager, |p| cw.next(p));
    }
    assert_eq!(n, wrows.len());
    for row in wrows.iter().step_by(37) {
        assert!(wait(&mut pager, |p| cw.seek(p, SeekKey::Index(&row[..1]), SeekOp::EQ)));
        let v = decode_record(&payload(&mut pager, &mut cw), TextEncoding::Utf8).unwrap();
        assert!(&v == row);
    }
    pager.end_read();

    // Brisk edits SQLite's pages: deletes through the index order, inserts in between.
    pager.begin_write(false).unwrap();
    let mut model: BTreeMap<i64, (Value, Value)> = table
        .iter()
        .map(|r| (if let Value::Integer(i) = r[0] { i } else { unreachable!() }, (r[1].clone(), r[2].clone())))
        .collect();
    let mut on = wait(&mut pager, |p| ci.seek(p, SeekKey::Index(&[Value::text("k00020000")]), SeekOp::GE));
    let mut deleted = 0;
    while on && deleted < 8000 {
        let v = decode_record(&payload(&mut pager, &mut ci), TextEncoding::Utf8).unwrap();
        let Value::Integer(rowid) = v[1] else { panic!("index entry without rowid") };
        ci.delete(&mut pager).unwrap();
        assert!(wait(&mut pager, |p| ct.seek(p, SeekKey::Rowid(rowid), SeekOp::EQ)));
        ct.delete(&mut pager).unwrap();
        model.remove(&rowid);
        deleted += 1;
        on = wait(&mut pager, |p| ci.next(p));
    }
    for n in 0..3000i64 {
        let rowid = n * 3 + 1;
        let a = Value::blob(&vec![n as u8; (n as usize * 13) % 6000]);
        let b = Value::text(&format!("k{:08}", (n * 7919) % 50_000));
        ct.insert(&mut pager, InsertKey::Rowid(rowid), &encode_record(&[a.clone(), b.clone()], TextEncoding::Utf8))
            .unwrap();
        ci.insert(
            &mut pager,
            InsertKey::Index(&encode_record(&[b.clone(), Value::Integer(rowid)], TextEncoding::Utf8)),
            &[],
        )
        .unwrap();
        model.insert(rowid, (a, b));
    }
    let errors = integrity_check(&mut pager, &all_roots(&schema), 100).unwrap();
    assert!(errors.is_empty(), "Brisk's check after editing: {errors:?}");
    pager.commit().unwrap();
    drop(pager);
    assert_eq!(sqlite_integrity(db.path()), vec!["ok".to_string()]);
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    let got = sqlite_rows(&conn, "SELECT rowid, a, b FROM t ORDER BY rowid");
    let want: Vec<Vec<Value>> =
        model.iter().map(|(r, (a, b))| vec![Value::Integer(*r), a.clone(), b.clone()]).collect();
    assert!(got == want, "rows after Brisk's edits differ");
}

/// sqlite_schema lives on page 1, after the 100-byte database header: Brisk grows it past one
/// page (balance_deeper on page 1) and shrinks it back (the root taking its only child's cells),
/// and SQLite reads the schema and checks the file each time.
#[test]
fn brisk_grows_and_shrinks_the_schema_table() {
    use brisk::storage::btree::max_rowid;
    use brisk::storage::header::OFFSET_SCHEMA_COOKIE;
    let db = TempDb::new("s");
    {
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        conn.execute_batch("PRAGMA page_size=512; CREATE TABLE t(a); INSERT INTO t VALUES (1);").unwrap();
    }
    let mut pager = open_pager(db.path());
    pager.begin_write(false).unwrap();
    let first = max_rowid(&mut pager, 1).unwrap().unwrap_or(0);
    let mut c = BTreeCursor::new(1, TreeKind::Table);
    for n in 1..=300i64 {
        let name = format!("v{n}");
        let sql = format!("CREATE VIEW {name} AS SELECT {n} AS x, '{}' AS pad", "p".repeat((n as usize * 37) % 1500));
        let rec = encode_record(
            &[Value::text("view"), Value::text(&name), Value::text(&name), Value::Integer(0), Value::text(&sql)],
            TextEncoding::Utf8,
        );
        c.insert(&mut pager, InsertKey::Rowid(first + n), &rec).unwrap();
    }
    let cookie = pager.header_u32(OFFSET_SCHEMA_COOKIE).unwrap();
    pager.set_header_u32(OFFSET_SCHEMA_COOKIE, cookie + 1).unwrap();
    let schema = read_schema(&mut pager);
    assert!(integrity_check(&mut pager, &all_roots(&schema), 10).unwrap().is_empty());
    pager.commit().unwrap();
    pager.end_read();
    assert_eq!(sqlite_integrity(db.path()), vec!["ok".to_string()]);
    {
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        assert_eq!(
            sqlite_rows(&conn, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'"),
            vec![vec![Value::Integer(300)]]
        );
        assert_eq!(sqlite_rows(&conn, "SELECT x FROM v150"), vec![vec![Value::Integer(150)]]);
    }

    pager.begin_write(false).unwrap();
    let page1_type = |pager: &mut Pager| pager.get_blocking(1).unwrap().read()[100];
    assert_eq!(page1_type(&mut pager), 0x05, "page 1 became an interior page");
    let mut on = wait(&mut pager, |p| c.rewind(p));
    while on {
        let v = decode_record(&payload(&mut pager, &mut c), TextEncoding::Utf8).unwrap();
        if v[0] == Value::text("view") {
            c.delete(&mut pager).unwrap();
        }
        on = wait(&mut pager, |p| c.next(p));
    }
    assert_eq!(page1_type(&mut pager), 0x0d, "page 1 is a leaf again");
    let cookie = pager.header_u32(OFFSET_SCHEMA_COOKIE).unwrap();
    pager.set_header_u32(OFFSET_SCHEMA_COOKIE, cookie + 1).unwrap();
    pager.commit().unwrap();
    drop(pager);
    assert_eq!(sqlite_integrity(db.path()), vec!["ok".to_string()]);
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    assert_eq!(sqlite_rows(&conn, "SELECT count(*) FROM sqlite_schema"), vec![vec![Value::Integer(1)]]);
    assert_eq!(sqlite_rows(&conn, "SELECT a FROM t"), vec![vec![Value::Integer(1)]]);
}
