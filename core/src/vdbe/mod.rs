//! The bytecode engine: instructions (`insn`), programs and their builder (`program`), value
//! semantics (`ops`) and the virtual machine (`vm`).
//!
//! Architecture invariant: the VM knows nothing of SQL text or syntax trees; it runs programs
//! that `translate` produced, against the connection state in [`DbState`].

pub mod insn;
pub mod ops;
pub mod program;
pub mod vm;
pub mod window;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::schema::Schema;
use crate::storage::pager::Pager;

/// The per-connection state programs run against.
pub struct DbState {
    pub pager: Pager,
    pub schema: Arc<Schema>,
    /// False inside BEGIN ... COMMIT.
    pub autocommit: bool,
    pub last_insert_rowid: i64,
    /// Rows changed by the last INSERT, UPDATE or DELETE (sqlite3_changes).
    pub changes: i64,
    pub total_changes: i64,
    /// Statements that have begun running and not finished.
    pub active_statements: usize,
    /// Of those, the ones that write.
    pub active_writers: usize,
    /// Open SQL savepoints, innermost last: (name, pager savepoint depth, began the transaction).
    pub savepoints: Vec<(String, usize, bool)>,
    pub interrupted: Arc<AtomicBool>,
    /// Significant digits kept when a REAL becomes text (SQLITE_DBCONFIG_FP_DIGITS).
    pub fp_digits: u8,
    /// The application's functions and collations (replaced, never changed in place).
    pub registry: Arc<crate::functions::user::Registry>,
    /// sqlite3_progress_handler's callback and period.
    pub progress: Option<ProgressHandler>,
}

/// A progress handler: called every `every` VM instructions; returning true interrupts.
pub struct ProgressHandler {
    pub every: u64,
    pub handler: Box<dyn FnMut() -> bool + Send>,
}

impl DbState {
    pub fn new(pager: Pager) -> DbState {
        DbState {
            pager,
            schema: Arc::new(Schema::default()),
            autocommit: true,
            last_insert_rowid: 0,
            changes: 0,
            total_changes: 0,
            active_statements: 0,
            active_writers: 0,
            savepoints: Vec::new(),
            interrupted: Arc::new(AtomicBool::new(false)),
            fp_digits: crate::value::DEFAULT_FP_DIGITS,
            registry: Arc::default(),
            progress: None,
        }
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// Re-reads the schema from sqlite_schema (after DDL, or when another connection changed it).
    pub fn reload_schema(&mut self) -> Result<()> {
        let generation = self.schema.generation + 1;
        let mut schema = Schema::load(&mut self.pager)?;
        schema.generation = generation;
        schema.temp_views = self.schema.temp_views.clone();
        self.schema = Arc::new(schema);
        Ok(())
    }

    /// Whether the schema on disk is newer than the one in memory; if so, reads it (SQLite's
    /// schemaIsValid, when a statement fails to prepare). Only outside a statement: a running
    /// one keeps the schema it was compiled against.
    pub fn schema_is_stale(&mut self) -> bool {
        if self.active_statements > 0 {
            return false;
        }
        let started = self.pager.state() == crate::storage::pager::PagerState::Open;
        if started && self.pager.begin_read().is_err() {
            return false;
        }
        let stale = match self.pager.header_u32(crate::storage::header::OFFSET_SCHEMA_COOKIE) {
            Ok(cookie) => cookie != self.schema.cookie && self.reload_schema().is_ok(),
            Err(_) => false,
        };
        if started {
            self.pager.end_read();
        }
        stale
    }

    /// After a rollback the in-memory schema may describe tables that no longer exist: reload
    /// it when the cookie on disk disagrees.
    pub fn schema_dirty_check(&mut self) {
        let started = self.pager.state() == crate::storage::pager::PagerState::Open;
        if started && self.pager.begin_read().is_err() {
            return;
        }
        let cookie = self.pager.header_u32(crate::storage::header::OFFSET_SCHEMA_COOKIE).unwrap_or(0);
        if cookie != self.schema.cookie || self.schema.needs_reload {
            let _ = self.reload_schema();
        }
        if started {
            self.pager.end_read();
        }
    }

    /// SAVEPOINT, RELEASE and ROLLBACK TO.
    pub fn savepoint(&mut self, op: insn::SavepointOp, name: &str) -> Result<()> {
        use insn::SavepointOp::*;
        match op {
            Begin => {
                let began = self.autocommit;
                // A savepoint needs the write transaction's page images from its start.
                self.pager.begin_write(false)?;
                self.autocommit = false;
                let depth = self.pager.savepoint_begin();
                self.savepoints.push((name.to_string(), depth, began));
                Ok(())
            }
            Release | Rollback => {
                let Some(i) = self.savepoints.iter().rposition(|(n, _, _)| n.eq_ignore_ascii_case(name)) else {
                    return Err(Error::sql(format!("no such savepoint: {name}")));
                };
                let (_, depth, began) = self.savepoints[i].clone();
                if op == Rollback {
                    self.pager.savepoint_rollback(depth)?;
                    self.savepoints.truncate(i + 1);
                    self.schema_dirty_check();
                    return Ok(());
                }
                self.savepoints.truncate(i);
                self.pager.savepoint_release(depth);
                if began && i == 0 {
                    if self.active_writers > 0 {
                        return Err(Error::Busy);
                    }
                    self.pager.commit()?;
                    self.autocommit = true;
                }
                Ok(())
            }
        }
    }

    /// Pragmas that read or set connection state; returns the value to report.
    pub fn pragma(&mut self, name: &str, value: Option<&crate::value::Value>) -> Result<crate::value::Value> {
        crate::schema::pragma::run(self, name, value)
    }
}
