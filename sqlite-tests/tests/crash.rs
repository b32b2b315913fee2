//! Crash safety through SQL on the simulated disk: a seeded sequence of transactions runs with a
//! power loss injected at every write, sync, truncate and delete in turn. After each crash the
//! database is reopened (playing back the hot journal) and must hold exactly the transactions
//! that committed (a transaction whose commit was cut off may be wholly there or wholly absent),
//! pass Brisk's integrity check, and pass SQLite's on the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use brisk::io::SimIo;
use brisk::{Connection, Database, Value};
use sqlite_tests::{brisk_rows, sqlite_rows, temp_dir};

const PATH: &str = "crash.db";

type Model = BTreeMap<i64, (String, Vec<u8>)>;

/// One transaction: its statements with their parameters, and the model after it commits.
type Txn = (Vec<(String, Vec<Value>)>, Model);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One transaction of the workload: statements and the model after it.
fn plan(seed: u64, transactions: usize) -> Vec<Txn> {
    let mut rng = Rng(seed);
    let mut model = Model::new();
    let mut next_id = 1i64;
    let mut out = Vec::new();
    for t in 0..transactions {
        let mut stmts = Vec::new();
        for _ in 0..1 + rng.below(6) {
            match rng.below(10) {
                0..=5 => {
                    let id = next_id;
                    next_id += 1;
                    let v = format!("t{t}-r{id}-{}", "v".repeat(rng.below(40) as usize));
                    // Some rows overflow onto overflow pages (page size 1024).
                    let len = if rng.below(8) == 0 { 1500 + rng.below(4000) } else { rng.below(60) } as usize;
                    let w = vec![(id % 251) as u8; len];
                    stmts.push((
                        "INSERT INTO t(id, v, w) VALUES (?, ?, ?)".to_string(),
                        vec![Value::Integer(id), Value::text(&v), Value::from(w.clone())],
                    ));
                    model.insert(id, (v, w));
                }
                6..=7 if !model.is_empty() => {
                    let keys: Vec<i64> = model.keys().copied().collect();
                    let id = keys[rng.below(keys.len() as u64) as usize];
                    let v = format!("upd{t}-{id}");
                    stmts.push((
                        "UPDATE t SET v = ? WHERE id = ?".to_string(),
                        vec![Value::text(&v), Value::Integer(id)],
                    ));
                    model.get_mut(&id).expect("present").0 = v;
                }
                _ if !model.is_empty() => {
                    let keys: Vec<i64> = model.keys().copied().collect();
                    let id = keys[rng.below(keys.len() as u64) as usize];
                    stmts.push(("DELETE FROM t WHERE id = ?".to_string(), vec![Value::Integer(id)]));
                    model.remove(&id);
                }
                _ => {}
            }
        }
        out.push((stmts, model.clone()));
    }
    out
}

fn connect(sim: &Arc<SimIo>) -> brisk::Result<Connection> {
    Database::open_with_io(PATH, sim.clone(), false)?.connect()
}

fn setup(conn: &Connection) -> brisk::Result<()> {
    conn.execute_batch(
        "PRAGMA page_size=1024; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, w BLOB); CREATE INDEX t_v ON t(v);",
    )
}

/// Runs the workload until it finishes or an operation fails; returns how many transactions
/// committed.
fn run(conn: &Connection, txns: &[Txn]) -> (usize, bool) {
    for (i, (stmts, _)) in txns.iter().enumerate() {
        let r = (|| -> brisk::Result<()> {
            conn.execute_batch("BEGIN")?;
            for (sql, params) in stmts {
                conn.execute(sql, params)?;
            }
            conn.execute_batch("COMMIT")
        })();
        if r.is_err() {
            return (i, false);
        }
    }
    (txns.len(), true)
}

fn model_rows(m: &Model) -> Vec<Vec<Value>> {
    m.iter().map(|(id, (v, w))| vec![Value::Integer(*id), Value::text(v), Value::blob(w)]).collect()
}

#[test]
fn every_crash_point_leaves_whole_transactions() {
    let mut crash_points = 0;
    for seed in 1..=16u64 {
        let txns = plan(seed, 16);
        // A clean run counts the requests: each is a crash point.
        let sim = Arc::new(SimIo::new(seed));
        let conn = connect(&sim).unwrap();
        setup(&conn).unwrap();
        let base = sim.request_count();
        assert_eq!(run(&conn, &txns), (txns.len(), true));
        let total = sim.request_count() - base;
        drop(conn);
        for k in 0..total {
            let sim = Arc::new(SimIo::new(seed * 1000 + k));
            let conn = connect(&sim).unwrap();
            setup(&conn).unwrap();
            sim.set_fail_after(Some(k));
            let (committed, finished) = run(&conn, &txns);
            assert!(!finished || committed == txns.len());
            drop(conn);
            sim.power_loss(k % 2 == 1);
            crash_points += 1;
            let conn = connect(&sim).unwrap_or_else(|e| panic!("seed {seed} crash point {k}: reopen failed: {e}"));
            let rows = brisk_rows(&conn, "SELECT id, v, w FROM t");
            let before = if committed == 0 { Model::new() } else { txns[committed - 1].1.clone() };
            let ok_states = [Some(before), txns.get(committed).map(|t| t.1.clone())];
            assert!(
                ok_states.iter().flatten().any(|m| model_rows(m) == rows),
                "seed {seed} crash point {k}: {} rows after {committed} commits is neither state: {:?} vs {:?}",
                rows.len(),
                rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect::<Vec<_>>(),
                ok_states
                    .iter()
                    .flatten()
                    .map(|m| m.iter().map(|(k, v)| (*k, v.0.clone())).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            );
            assert_eq!(
                brisk_rows(&conn, "PRAGMA integrity_check"),
                vec![vec![Value::text("ok")]],
                "seed {seed} point {k}"
            );
            drop(conn);
            // SQLite agrees on the same bytes (checked on a sample of points to keep the run short).
            if k % 8 == 0 {
                let dir = temp_dir("crash");
                let path = dir.join("c.db");
                std::fs::write(&path, sim.file_bytes(PATH).expect("database exists")).unwrap();
                let path = path.to_str().unwrap();
                assert_eq!(
                    sqlite_rows(path, "PRAGMA integrity_check"),
                    vec![vec![Value::text("ok")]],
                    "seed {seed} point {k}"
                );
                assert_eq!(sqlite_rows(path, "SELECT id, v, w FROM t"), rows, "seed {seed} point {k}");
            }
        }
    }
    println!("{crash_points} crash points, each recovered to a committed state");
    assert!(crash_points >= 1000, "only {crash_points} crash points");
}
