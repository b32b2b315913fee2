//! Deterministic simulation: a seeded workload of several connections on the simulated disk
//! (`brisk::io::SimIo`), with I/O errors, torn writes and power losses injected, checked against
//! a model after every step and after every crash.
//!
//! The workload: three connections to one database. Each step does one of these:
//! - opens a write transaction (`BEGIN IMMEDIATE`) on a random connection;
//! - writes, in it or in autocommit mode: inserts (some rows overflow 1024-byte pages), updates,
//!   deletes and DDL (tables and indexes created and dropped);
//! - commits or rolls back;
//! - reads a table on a random connection;
//! - injects a fault.
//!
//! A write from another connection while a transaction is open must fail with SQLITE_BUSY and
//! change nothing. A read sees the committed state, or, on the connection that owns the open
//! transaction, that transaction's own changes.
//!
//! A fault arms the simulator: either the next request of one kind fails, or the machine dies
//! after a few more mutating requests. The workload goes on until an operation fails. Then the
//! power goes: every connection is dropped, the disk keeps its durable image (torn or not), and
//! the database is reopened. Afterwards:
//! - the database holds the committed state, or that state plus the transaction whose commit
//!   was cut off, as a whole;
//! - Brisk's integrity check passes;
//! - SQLite, on the same bytes, passes its own and reads the same rows.
//!
//! Everything is derived from the seed, so a failing seed replays exactly
//! (`cargo run --release -p sqlite-tests --bin sim -- 1 SEED`).

use std::collections::BTreeMap;
use std::sync::Arc;

use brisk::io::{SimIo, SimOp};
use brisk::{Connection, Database, Error, Value};

use crate::diffgen::Rng;

const PATH: &str = "sim.db";
const CONNECTIONS: usize = 3;
const TABLES: usize = 3;
const FAULT_WINDOW: usize = 20;

type Rows = BTreeMap<i64, (String, Vec<u8>)>;
/// Table name to rows.
type Model = BTreeMap<String, Rows>;

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SimReport {
    pub steps: usize,
    pub commits: usize,
    pub rollbacks: usize,
    pub busy: usize,
    pub faults: usize,
    pub crashes: usize,
    pub reads_checked: usize,
}

struct Sim {
    seed: u64,
    rng: Rng,
    io: Arc<SimIo>,
    conns: Vec<Connection>,
    committed: Model,
    /// The open write transaction: its connection and its view of the data.
    txn: Option<(usize, Model)>,
    /// A fault is armed: the next failure is expected and ends in a crash.
    armed: bool,
    /// The step the fault was armed at: one that has not fired within `FAULT_WINDOW` steps is
    /// followed by a power loss anyway.
    armed_at: usize,
    report: SimReport,
    next_id: i64,
}

fn open(io: &Arc<SimIo>) -> brisk::Result<Connection> {
    Database::open_with_io(PATH, io.clone(), false)?.connect()
}

fn table_name(i: usize) -> String {
    format!("t{i}")
}

impl Sim {
    fn fail(&self, step: usize, what: impl std::fmt::Display) -> String {
        format!("seed {} step {step}: {what}", self.seed)
    }

    /// The model a connection sees.
    fn view(&self, c: usize) -> &Model {
        match &self.txn {
            Some((owner, m)) if *owner == c => m,
            _ => &self.committed,
        }
    }

    /// Runs `sql` on connection `c` as a write. `Ok(true)`: it ran; `Ok(false)`: it failed as
    /// expected (busy, or a fault fired: `self.armed` stays set for the caller to crash).
    fn write(&mut self, step: usize, c: usize, sql: &str, params: &[Value]) -> Result<bool, String> {
        match self.conns[c].execute(sql, params) {
            Ok(_) => Ok(true),
            Err(Error::Busy) => {
                self.report.busy += 1;
                Ok(false)
            }
            Err(_) if self.armed => Ok(false),
            Err(e) => Err(self.fail(step, format!("connection {c}: {sql}: {e}"))),
        }
    }

    /// One write statement for connection `c`, applied to `model` when it succeeds.
    fn random_write(&mut self, step: usize, c: usize, model: &mut Model) -> Result<bool, String> {
        let t = table_name(self.rng.below(TABLES));
        let exists = model.contains_key(&t);
        let choice = self.rng.below(100);
        if !exists || choice < 3 {
            if exists {
                let ok = self.write(step, c, &format!("DROP TABLE {t}"), &[])?;
                if ok {
                    model.remove(&t);
                }
                return Ok(ok);
            }
            let sql = format!("CREATE TABLE {t}(id INTEGER PRIMARY KEY, v TEXT, w BLOB); CREATE INDEX {t}_v ON {t}(v)");
            // Two statements, one step of the model: in a transaction of their own when the
            // connection has none open.
            let own = self.txn.as_ref().is_some_and(|(owner, _)| *owner == c);
            let batch = if own { sql } else { format!("BEGIN IMMEDIATE; {sql}; COMMIT") };
            return match self.conns[c].execute_batch(&batch) {
                Ok(()) => {
                    model.insert(t, Rows::new());
                    Ok(true)
                }
                Err(e) => {
                    if !own && !self.conns[c].is_autocommit() {
                        let _ = self.conns[c].execute_batch("ROLLBACK");
                    }
                    match e {
                        Error::Busy => {
                            self.report.busy += 1;
                            Ok(false)
                        }
                        _ if self.armed => Ok(false),
                        e => Err(self.fail(step, format!("connection {c}: {batch}: {e}"))),
                    }
                }
            };
        }
        let rows = model.get_mut(&t).expect("table exists");
        let ids: Vec<i64> = rows.keys().copied().collect();
        // An empty table gets an insert.
        let choice = if ids.is_empty() { 3 } else { choice };
        match choice {
            3..=59 => {
                let id = self.next_id;
                self.next_id += 1;
                let v = format!("s{}-{}", self.seed, "v".repeat(self.rng.below(30)));
                let len = if self.rng.chance(10) { self.rng.range(2000, 6000) } else { self.rng.below(80) };
                let w: Vec<u8> = (0..len).map(|i| (id as usize).wrapping_add(i) as u8).collect();
                let ok = self.write(
                    step,
                    c,
                    &format!("INSERT INTO {t}(id, v, w) VALUES (?, ?, ?)"),
                    &[Value::Integer(id), Value::text(&v), Value::blob(&w)],
                )?;
                if ok {
                    model.get_mut(&t).expect("table").insert(id, (v, w));
                }
                Ok(ok)
            }
            60..=79 => {
                let id = ids[self.rng.below(ids.len())];
                let v = format!("u{step}");
                let ok = self.write(
                    step,
                    c,
                    &format!("UPDATE {t} SET v = ? WHERE id = ?"),
                    &[Value::text(&v), Value::Integer(id)],
                )?;
                if ok {
                    model.get_mut(&t).expect("table").get_mut(&id).expect("row").0 = v;
                }
                Ok(ok)
            }
            _ => {
                let id = ids[self.rng.below(ids.len())];
                let ok = self.write(step, c, &format!("DELETE FROM {t} WHERE id <= ?"), &[Value::Integer(id)])?;
                if ok {
                    model.get_mut(&t).expect("table").retain(|k, _| *k > id);
                }
                Ok(ok)
            }
        }
    }

    /// The rows of every table connection `c` reads, and the table list.
    fn read_all(&self, c: usize) -> brisk::Result<Model> {
        let conn = &self.conns[c];
        let mut out = Model::new();
        let names = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")?.query_all(&[])?;
        for row in names {
            let Value::Text(name) = &row[0] else { continue };
            let mut rows = Rows::new();
            for r in conn.prepare(&format!("SELECT id, v, w FROM {name} ORDER BY id"))?.query_all(&[])? {
                let (Value::Integer(id), Value::Text(v), Value::Blob(w)) = (&r[0], &r[1], &r[2]) else {
                    return Err(Error::Internal(format!("unexpected row types in {name}: {r:?}")));
                };
                rows.insert(*id, (v.to_string(), w.to_vec()));
            }
            out.insert(name.to_string(), rows);
        }
        Ok(out)
    }

    fn check_read(&mut self, step: usize, c: usize) -> Result<(), String> {
        match self.read_all(c) {
            Ok(seen) => {
                if &seen != self.view(c) {
                    return Err(
                        self.fail(step, format!("connection {c} reads {} differ from the model", describe(&seen)))
                    );
                }
                self.report.reads_checked += 1;
                Ok(())
            }
            Err(_) if self.armed => {
                let in_flight = None;
                self.crash(step, in_flight)
            }
            Err(e) => Err(self.fail(step, format!("connection {c}: read failed: {e}"))),
        }
    }

    /// The power goes; everything reopens; the state must be one the model allows.
    fn crash(&mut self, step: usize, commit_in_flight: Option<Model>) -> Result<(), String> {
        self.report.crashes += 1;
        self.conns.clear();
        let torn = self.rng.chance(50);
        self.io.power_loss(torn);
        self.armed = false;
        self.txn = None;
        for _ in 0..CONNECTIONS {
            self.conns.push(open(&self.io).map_err(|e| self.fail(step, format!("reopen after a crash: {e}")))?);
        }
        let seen = self.read_all(0).map_err(|e| self.fail(step, format!("read after a crash: {e}")))?;
        if seen != self.committed {
            match commit_in_flight {
                Some(m) if m == seen => self.committed = m,
                _ => {
                    return Err(self.fail(
                        step,
                        format!(
                            "after a crash (torn: {torn}) the database holds {}, not {}",
                            describe(&seen),
                            describe(&self.committed)
                        ),
                    ))
                }
            }
        }
        let check = self.conns[0].prepare("PRAGMA integrity_check").and_then(|mut s| s.query_all(&[]));
        if check.as_ref().ok() != Some(&vec![vec![Value::text("ok")]]) {
            return Err(self.fail(step, format!("Brisk's integrity check after a crash: {check:?}")));
        }
        self.check_with_sqlite(step)
    }

    /// SQLite, on a copy of the bytes, passes its integrity check and reads the model.
    fn check_with_sqlite(&self, step: usize) -> Result<(), String> {
        let Some(bytes) = self.io.file_bytes(PATH) else { return Ok(()) };
        let dir = crate::temp_dir("sim");
        let path = dir.join("copy.db");
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
        let db = rusqlite::Connection::open(&path).map_err(|e| e.to_string())?;
        let check = crate::sqlite_query(&db, "PRAGMA integrity_check");
        if check != vec![vec![Value::text("ok")]] {
            return Err(self.fail(step, format!("SQLite's integrity check: {check:?}")));
        }
        for (name, rows) in &self.committed {
            let got = crate::sqlite_query(&db, &format!("SELECT id, v, w FROM {name} ORDER BY id"));
            let want: Vec<Vec<Value>> =
                rows.iter().map(|(id, (v, w))| vec![Value::Integer(*id), Value::text(v), Value::blob(w)]).collect();
            if got != want {
                return Err(self
                    .fail(step, format!("SQLite reads {name} differently: {} rows, model {}", got.len(), want.len())));
            }
        }
        drop(db);
        let _ = std::fs::remove_dir_all(dir);
        Ok(())
    }

    fn step(&mut self, step: usize) -> Result<(), String> {
        let c = self.rng.below(CONNECTIONS);
        let roll = self.rng.below(100);
        match roll {
            // Open a write transaction.
            0..=9 if self.txn.is_none() => match self.conns[c].execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => self.txn = Some((c, self.committed.clone())),
                Err(Error::Busy) => self.report.busy += 1,
                Err(_) if self.armed => return self.crash(step, None),
                Err(e) => return Err(self.fail(step, format!("BEGIN IMMEDIATE: {e}"))),
            },
            // Commit or roll back.
            10..=19 if self.txn.is_some() => {
                let (owner, working) = self.txn.clone().expect("open");
                let commit = self.rng.chance(75);
                let sql = if commit { "COMMIT" } else { "ROLLBACK" };
                match self.conns[owner].execute_batch(sql) {
                    Ok(()) => {
                        if commit {
                            self.committed = working;
                            self.report.commits += 1;
                        } else {
                            self.report.rollbacks += 1;
                        }
                        self.txn = None;
                    }
                    Err(_) if self.armed => return self.crash(step, commit.then_some(working)),
                    Err(e) => return Err(self.fail(step, format!("{sql}: {e}"))),
                }
            }
            // Reads.
            20..=34 => self.check_read(step, c)?,
            // Faults: a failing request of one kind, or the machine dying soon.
            35..=38 => {
                self.report.faults += 1;
                self.armed = true;
                self.armed_at = step;
                if self.rng.chance(50) {
                    let kind =
                        *self.rng.pick(&[SimOp::Write, SimOp::Sync, SimOp::Truncate, SimOp::Delete, SimOp::Read]);
                    self.io.fail_next_matching(kind);
                } else {
                    self.io.set_fail_after(Some(self.rng.below(12) as u64));
                }
            }
            // Writes: in the open transaction (its owner), or autocommit (busy if another has one).
            _ => {
                let own = self.txn.as_ref().is_some_and(|(owner, _)| *owner == c);
                let mut model = if own { self.txn.as_ref().expect("open").1.clone() } else { self.committed.clone() };
                let ok = self.random_write(step, c, &mut model)?;
                if self.armed && !ok {
                    // A fault fired mid-write: an autocommit write may have committed or not.
                    let in_flight = (!own).then_some(model);
                    let in_flight = match (&self.txn, in_flight) {
                        (None, Some(m)) => Some(m),
                        _ => None,
                    };
                    return self.crash(step, in_flight);
                }
                if ok {
                    if own {
                        self.txn.as_mut().expect("open").1 = model;
                    } else if self.txn.is_none() {
                        self.committed = model;
                        self.report.commits += 1;
                    } else {
                        return Err(
                            self.fail(step, format!("connection {c} wrote while another held a write transaction"))
                        );
                    }
                }
            }
        }
        // A fault that has not fired yet may still fire later; one that killed the machine
        // without any statement noticing (it died after the last request) is found here.
        if self.armed && (self.io.is_dead() || step - self.armed_at >= FAULT_WINDOW) {
            let in_flight = None;
            return self.crash(step, in_flight);
        }
        Ok(())
    }
}

fn describe(m: &Model) -> String {
    let parts: Vec<String> = m.iter().map(|(t, rows)| format!("{t}: {} rows", rows.len())).collect();
    format!("{{{}}}", parts.join(", "))
}

/// Runs `steps` steps of the workload from `seed`. `Err` describes the first broken property,
/// with the seed and step to replay it.
pub fn simulate(seed: u64, steps: usize) -> Result<SimReport, String> {
    let io = Arc::new(SimIo::new(seed));
    let first = open(&io).map_err(|e| format!("seed {seed}: open: {e}"))?;
    first.execute_batch("PRAGMA page_size = 1024").map_err(|e| format!("seed {seed}: {e}"))?;
    let mut conns = vec![first];
    for _ in 1..CONNECTIONS {
        conns.push(open(&io).map_err(|e| format!("seed {seed}: open: {e}"))?);
    }
    let mut sim = Sim {
        seed,
        rng: Rng::new(seed),
        io,
        conns,
        committed: Model::new(),
        txn: None,
        armed: false,
        armed_at: 0,
        report: SimReport::default(),
        next_id: 1,
    };
    for step in 0..steps {
        sim.step(step)?;
        sim.report.steps += 1;
    }
    // The end: whatever is open is rolled back by a last crash, and checked.
    sim.io.set_fail_after(None);
    sim.crash(steps, None)?;
    Ok(sim.report)
}
