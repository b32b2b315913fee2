//! The virtual machine: runs a [`Program`] one instruction at a time over registers and B-tree
//! cursors, yielding result rows.
//!
//! Async: an instruction that needs a page not in the cache returns `IoPoll::Pending` from the
//! cursor without changing anything; the VM then returns [`StepResult::Io`] with the program
//! counter unchanged, and the next `step` re-executes the same instruction. Writes (Insert,
//! Delete, IdxInsert...) read the pages they need blocking, so they never suspend half-done.
//!
//! Transactions: `Transaction` opens a read or write transaction; `Halt` commits when the
//! connection is in autocommit mode and this is the last writing statement, or releases the
//! statement savepoint inside an explicit transaction. On error the statement's changes are undone
//! (statement savepoint), or the whole transaction in autocommit mode.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{extended, Error, Result};
use crate::functions::aggregate::Accumulator;
use crate::functions::FuncContext;
use crate::storage::btree::{self, BTreeCursor, InsertKey, SeekKey, SeekOp, TreeKind};
use crate::storage::header;
use crate::storage::record::{encode_record_into, RecordHeader, TextEncoding};
use crate::storage::IoPoll;
use crate::value::{Collation, Value};
use crate::vdbe::insn::{BitOp, CmpOp, Cookie, CursorInfo, Insn, SavepointOp, OPFLAG_LASTROWID, OPFLAG_NCHANGE};
use crate::vdbe::ops::{self, apply_affinity, Affinity};
use crate::vdbe::program::Program;
use crate::vdbe::DbState;

/// Conflict resolution codes carried by Halt's `on_error` (SQLite's OE_*).
pub const OE_ROLLBACK: u8 = 1;
pub const OE_ABORT: u8 = 2;
pub const OE_FAIL: u8 = 3;

/// What one call to [`Vm::step`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepResult {
    /// A result row is ready in [`Vm::row`].
    Row,
    /// The program finished.
    Done,
    /// A page read is in flight: drive the I/O backend and call `step` again.
    Io,
}

/// A cursor and the decoded header of the row it is on.
struct VCursor {
    btree: BTreeCursor,
    /// Column count for tables, for NULL-filling short records.
    payload: Vec<u8>,
    header: RecordHeader,
    row_valid: bool,
    /// For NewRowid: rowid chosen last time, so consecutive inserts need no seek.
    writable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VmState {
    Ready,
    Running,
    Done,
}

pub struct Vm {
    program: Arc<Program>,
    pc: usize,
    regs: Vec<Value>,
    cursors: Vec<Option<VCursor>>,
    accumulators: Vec<Option<Accumulator>>,
    /// Whether the last min() or max() step kept its best value (IfMinMaxSkipped).
    minmax_skipped: bool,
    /// Instructions run since the statement started (SQLITE_STMTSTATUS_VM_STEP).
    steps: u64,
    /// When `steps` reaches this, the progress handler is due.
    progress_limit: u64,
    params: Vec<Value>,
    once: HashSet<usize>,
    state: VmState,
    row_start: usize,
    row_len: usize,
    /// Rows changed by this statement (sqlite3_changes).
    changes: i64,
    /// Whether this statement counted itself as active / writing in the connection.
    active: bool,
    writing: bool,
    savepoint_depth: Option<usize>,
    record_buf: Vec<u8>,
    /// The conflict resolution of the constraint that failed (OE_ABORT unless a Halt said otherwise).
    on_error: u8,
    /// Sorters by cursor number: the rows, the ordering, and the read position.
    sorters: std::collections::HashMap<usize, Sorter>,
    /// Ephemeral tables by id, and scan cursors over them (cursor -> (table id, position)).
    ephemeral: std::collections::HashMap<usize, EphTable>,
    eph_cursors: std::collections::HashMap<usize, (usize, usize)>,
    /// Cursors on their NULL row (NullRow): an outer join's unmatched side.
    null_rows: HashSet<usize>,
    /// GROUP BY tables by id.
    groups: std::collections::HashMap<usize, GroupTable>,
    /// RowSets by register (UPDATE and DELETE's first pass), read in insertion order.
    rowsets: std::collections::HashMap<usize, std::collections::VecDeque<i64>>,
}

impl Vm {
    pub fn new(program: Arc<Program>) -> Vm {
        let n_params = program.parameters.len();
        Vm {
            regs: vec![Value::Null; program.n_registers.max(1)],
            cursors: (0..program.n_cursors).map(|_| None).collect(),
            accumulators: Vec::new(),
            minmax_skipped: false,
            steps: 0,
            progress_limit: u64::MAX,
            params: vec![Value::Null; n_params],
            once: HashSet::new(),
            pc: 0,
            state: VmState::Ready,
            row_start: 0,
            row_len: 0,
            changes: 0,
            active: false,
            writing: false,
            savepoint_depth: None,
            record_buf: Vec::new(),
            on_error: OE_ABORT,
            rowsets: std::collections::HashMap::new(),
            sorters: std::collections::HashMap::new(),
            groups: std::collections::HashMap::new(),
            ephemeral: std::collections::HashMap::new(),
            eph_cursors: std::collections::HashMap::new(),
            null_rows: HashSet::new(),
            program,
        }
    }

    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// Binds parameter `index` (1-based).
    pub fn bind(&mut self, index: usize, v: Value) -> Result<()> {
        if index == 0 || index > self.params.len() {
            return Err(Error::Range);
        }
        self.params[index - 1] = v;
        Ok(())
    }

    pub fn params(&self) -> &[Value] {
        &self.params
    }

    pub fn clear_bindings(&mut self) {
        self.params.iter_mut().for_each(|p| *p = Value::Null);
    }

    pub fn parameter_count(&self) -> usize {
        self.params.len()
    }

    /// The current result row.
    pub fn row(&self) -> &[Value] {
        &self.regs[self.row_start..self.row_start + self.row_len]
    }

    pub fn changes(&self) -> i64 {
        self.changes
    }

    pub fn is_running(&self) -> bool {
        self.state == VmState::Running
    }

    /// Rewinds the program to run again with the same bindings. A statement abandoned while
    /// running ends its part of the transaction as if it had finished (SQLite's sqlite3_reset).
    pub fn reset(&mut self, db: &mut DbState) {
        if self.state == VmState::Running {
            let _ = self.finish(db, true);
        }
        self.pc = 0;
        self.state = VmState::Ready;
        self.cursors.iter_mut().for_each(|c| *c = None);
        self.accumulators.clear();
        self.rowsets.clear();
        self.sorters.clear();
        self.groups.clear();
        self.ephemeral.clear();
        self.eph_cursors.clear();
        self.null_rows.clear();
        self.once.clear();
        self.changes = 0;
        self.regs.iter_mut().for_each(|r| *r = Value::Null);
    }

    /// EXPLAIN and EXPLAIN QUERY PLAN: the program's listing or plan, one row per step, with
    /// nothing executed.
    fn step_explain(&mut self) -> Result<StepResult> {
        use crate::vdbe::program::ExplainMode;
        let i = self.pc;
        let row: Vec<Value> = match self.program.explain {
            ExplainMode::Explain => match self.program.insns.get(i) {
                None => Vec::new(),
                Some(insn) => {
                    let (name, p1, p2, p3, p4, p5, comment) = insn.explain();
                    vec![
                        Value::Integer(i as i64),
                        Value::text(&name),
                        Value::Integer(p1),
                        Value::Integer(p2),
                        Value::Integer(p3),
                        Value::text(&p4),
                        Value::Integer(p5 as i64),
                        if comment.is_empty() { Value::Null } else { Value::text(&comment) },
                    ]
                }
            },
            _ => match self.program.query_plan.get(i) {
                None => Vec::new(),
                Some((id, parent, detail)) => {
                    vec![Value::Integer(*id), Value::Integer(*parent), Value::Integer(0), Value::text(detail)]
                }
            },
        };
        if row.is_empty() {
            self.state = VmState::Done;
            return Ok(StepResult::Done);
        }
        self.state = VmState::Running;
        self.pc += 1;
        if self.regs.len() < row.len() {
            self.regs.resize(row.len(), Value::Null);
        }
        self.row_start = 0;
        self.row_len = row.len();
        for (k, v) in row.into_iter().enumerate() {
            self.regs[k] = v;
        }
        Ok(StepResult::Row)
    }

    /// SQLite's checks on a backward jump: sqlite3_interrupt, then the progress handler.
    fn check_interrupt(&mut self, db: &mut DbState) -> Result<()> {
        if db.is_interrupted() {
            return Err(Error::Interrupt);
        }
        if db.progress.is_some() {
            self.run_progress_handler(db)?;
        }
        Ok(())
    }

    /// Calls the progress handler once for every `every` instructions run since it was last
    /// called (sqlite3_progress_handler); its returning true interrupts the statement.
    fn run_progress_handler(&mut self, db: &mut DbState) -> Result<()> {
        let Some(p) = db.progress.as_mut() else { return Ok(()) };
        // Bounded: each iteration moves the limit up by `every` (at least 1) towards `steps`.
        while self.steps >= self.progress_limit {
            self.progress_limit += p.every;
            if (p.handler)() {
                self.progress_limit = u64::MAX;
                return Err(Error::Interrupt);
            }
        }
        Ok(())
    }

    /// Runs until a row, the end, or pending I/O.
    pub fn step(&mut self, db: &mut DbState) -> Result<StepResult> {
        if self.program.explain != crate::vdbe::program::ExplainMode::None {
            if self.state == VmState::Done {
                return Ok(StepResult::Done);
            }
            return self.step_explain();
        }
        match self.state {
            VmState::Done => return Ok(StepResult::Done),
            VmState::Ready => {
                // The connection's functions or collations changed since this program was
                // compiled: recompile it first (SQLite expires its statements).
                if self.program.registry_generation != db.registry.generation {
                    return Err(Error::SchemaChanged);
                }
                // As sqlite3_step: a statement that starts while no other is running clears a
                // pending interrupt, so an interrupt that arrives between statements (or outlives
                // the one it stopped) does not stop the next. Statements that open no b-tree are
                // not counted in `active_statements`; with one statement at a time, as the shell
                // runs them, that makes no difference.
                if db.active_statements == 0 {
                    db.interrupted.store(false, std::sync::atomic::Ordering::Relaxed);
                }
                self.on_error = OE_ABORT;
                self.state = VmState::Running;
                self.pc = 0;
                self.changes = 0;
                self.steps = 0;
            }
            VmState::Running => {}
        }
        if let Some(p) = &db.progress {
            // As sqlite3VdbeExec: the next call comes after the next multiple of `every`
            // instructions this statement runs.
            self.progress_limit = self.steps + (p.every - self.steps % p.every);
        }
        let mut result = self.run(db);
        // SQLite also calls the handler when a step returns. A statement that finished keeps
        // what it did (its Halt has committed) and still reports the interrupt.
        if db.progress.is_some() {
            match result {
                Ok(StepResult::Row) => {
                    if let Err(e) = self.run_progress_handler(db) {
                        result = Err(e);
                    }
                }
                Ok(StepResult::Done) => {
                    self.run_progress_handler(db)?;
                }
                _ => {}
            }
        }
        match result {
            Ok(r) => Ok(r),
            Err(e) => {
                // As SQLite's vdbeHalt: a statement whose changes are undone reports none (in
                // changes() and total_changes()); OR FAIL keeps and reports what it did.
                if self.program.counts_changes {
                    if self.on_error == OE_FAIL {
                        db.changes = self.changes;
                    } else {
                        db.total_changes -= self.changes;
                        db.changes = 0;
                    }
                }
                let rollback_err = self.abort(db, &e);
                self.state = VmState::Done;
                Err(rollback_err.unwrap_or(e))
            }
        }
    }

    /// Undoes the statement after an error: the statement savepoint inside an explicit
    /// transaction, or the whole transaction in autocommit mode.
    fn abort(&mut self, db: &mut DbState, _e: &Error) -> Option<Error> {
        self.cursors.iter_mut().for_each(|c| *c = None);
        let mut out = None;
        if self.writing {
            match (self.on_error, db.autocommit) {
                // OR FAIL keeps what the statement did before the failing row.
                (OE_FAIL, true) => {
                    if db.active_writers == 1 {
                        if let Err(e) = db.pager.commit() {
                            let _ = db.pager.rollback();
                            out = Some(e);
                        }
                    }
                }
                (OE_FAIL, false) => {
                    if let Some(depth) = self.savepoint_depth.take() {
                        db.pager.savepoint_release(depth);
                    }
                }
                // OR ROLLBACK ends the whole transaction.
                (OE_ROLLBACK, _) => {
                    if let Err(e) = db.pager.rollback() {
                        out = Some(e);
                    }
                    self.savepoint_depth = None;
                    db.autocommit = true;
                    db.savepoints.clear();
                    db.schema_dirty_check();
                }
                (_, true) => {
                    if let Err(e) = db.pager.rollback() {
                        out = Some(e);
                    }
                    db.schema_dirty_check();
                }
                (_, false) => {
                    if let Some(depth) = self.savepoint_depth.take() {
                        if let Err(e) = db.pager.savepoint_rollback(depth) {
                            out = Some(e);
                        }
                        db.pager.savepoint_release(depth);
                        db.schema_dirty_check();
                    }
                }
            }
        }
        self.deactivate(db);
        if db.autocommit && db.active_statements == 0 && db.pager.state() == crate::storage::pager::PagerState::Reader {
            db.pager.end_read();
        }
        out
    }

    fn deactivate(&mut self, db: &mut DbState) {
        if self.active {
            db.active_statements -= 1;
            self.active = false;
        }
        if self.writing {
            db.active_writers -= 1;
            self.writing = false;
        }
    }

    /// Ends the statement: commit in autocommit mode when it is the last writer, release the
    /// statement savepoint otherwise.
    fn finish(&mut self, db: &mut DbState, abandoned: bool) -> Result<()> {
        self.cursors.iter_mut().for_each(|c| *c = None);
        let was_writing = self.writing;
        if let Some(depth) = self.savepoint_depth.take() {
            db.pager.savepoint_release(depth);
        }
        self.deactivate(db);
        let _ = abandoned;
        if db.autocommit {
            if was_writing && db.active_writers == 0 {
                if let Err(e) = db.pager.commit() {
                    let _ = db.pager.rollback();
                    db.schema_dirty_check();
                    return Err(e);
                }
            }
            if db.active_statements == 0 && db.pager.state() == crate::storage::pager::PagerState::Reader {
                db.pager.end_read();
            }
        }
        Ok(())
    }

    fn eph(&mut self, id: usize) -> Result<&mut EphTable> {
        self.ephemeral.get_mut(&id).ok_or_else(|| Error::Internal("ephemeral table not open".into()))
    }

    fn group(&mut self, id: usize) -> Result<&mut GroupTable> {
        self.groups.get_mut(&id).ok_or_else(|| Error::Internal("group table not open".into()))
    }

    fn cursor(&mut self, i: usize) -> Result<&mut VCursor> {
        self.cursors.get_mut(i).and_then(|c| c.as_mut()).ok_or_else(|| Error::Internal(format!("cursor {i} not open")))
    }

    fn jump_if(&mut self, cond: bool, target: usize) {
        if cond {
            self.pc = target;
        } else {
            self.pc += 1;
        }
    }

    fn open_cursor(
        &mut self,
        db: &mut DbState,
        cursor: usize,
        root: u32,
        info: &CursorInfo,
        writable: bool,
    ) -> Result<()> {
        // Root 1 of an empty database is sqlite_schema's empty root (the pager supplies it).
        let empty_schema = root == 1 && db.pager.page_count() == 0;
        if root == 0 || (root > db.pager.page_count() && !empty_schema) {
            return Err(Error::corrupt(format!("root page {root} out of range")));
        }
        let kind = match info {
            CursorInfo::Table { .. } => TreeKind::Table,
            CursorInfo::Index(k) => {
                let mut k = k.clone();
                k.encoding = db.pager.text_encoding();
                TreeKind::Index(k)
            }
        };
        if cursor >= self.cursors.len() {
            self.cursors.resize_with(cursor + 1, || None);
        }
        self.cursors[cursor] = Some(VCursor {
            btree: BTreeCursor::new(root, kind),
            payload: Vec::new(),
            header: RecordHeader::default(),
            row_valid: false,
            writable,
        });
        Ok(())
    }

    fn func_context(&self, db: &DbState) -> FuncContext {
        FuncContext {
            last_insert_rowid: db.last_insert_rowid,
            changes: db.changes,
            total_changes: db.total_changes,
            collation: Collation::Binary,
        }
    }

    fn run(&mut self, db: &mut DbState) -> Result<StepResult> {
        let program = self.program.clone();
        let insns = &program.insns;
        let enc = db.pager.text_encoding();
        // Each iteration executes one instruction; loops in the program are bounded by the data
        // they scan, and interruption is checked on every backward jump.
        loop {
            self.steps += 1;
            let Some(insn) = insns.get(self.pc) else {
                return Err(Error::Internal(format!("program counter {} out of range", self.pc)));
            };
            match insn {
                Insn::Init { target } | Insn::Goto { target } => {
                    if *target <= self.pc {
                        self.check_interrupt(db)?;
                    }
                    self.pc = *target;
                }
                Insn::Halt { code, message, on_error } => {
                    if *code != 0 {
                        self.on_error = *on_error;
                        let msg = message.clone().unwrap_or_default();
                        return Err(halt_error(*code, msg));
                    }
                    self.finish(db, false)?;
                    self.state = VmState::Done;
                    if program.counts_changes {
                        db.changes = self.changes;
                    }
                    return Ok(StepResult::Done);
                }
                Insn::HaltIfNull { reg, code, message, on_error } => {
                    if self.regs[*reg].is_null() {
                        self.on_error = *on_error;
                        return Err(halt_error(*code, message.clone()));
                    }
                    self.pc += 1;
                }
                Insn::Transaction { write, schema_cookie, exclusive, .. } => {
                    if !self.active {
                        if *write {
                            db.pager.begin_write(*exclusive)?;
                        } else {
                            db.pager.begin_read()?;
                        }
                        db.active_statements += 1;
                        self.active = true;
                    } else if *write {
                        db.pager.begin_write(*exclusive)?;
                    }
                    // The schema may have changed under us (another connection's DDL).
                    let cookie = db.pager.header_u32(header::OFFSET_SCHEMA_COOKIE)?;
                    if cookie != db.schema.cookie {
                        db.reload_schema()?;
                    }
                    if db.schema.generation != program.schema_generation || cookie != *schema_cookie {
                        return Err(Error::SchemaChanged);
                    }
                    if *write && !self.writing {
                        self.writing = true;
                        db.active_writers += 1;
                        if !db.autocommit {
                            self.savepoint_depth = Some(db.pager.savepoint_begin());
                        }
                    }
                    self.pc += 1;
                }
                Insn::AutoCommit { autocommit, rollback, begin_mode } => {
                    self.exec_autocommit(db, *autocommit, *rollback, *begin_mode)?;
                    self.pc += 1;
                }
                Insn::Savepoint { op, name } => {
                    db.savepoint(*op, name)?;
                    self.pc += 1;
                }
                Insn::Integer { value, dest } => {
                    self.regs[*dest] = Value::Integer(*value);
                    self.pc += 1;
                }
                Insn::Real { value, dest } => {
                    self.regs[*dest] = Value::Real(*value);
                    self.pc += 1;
                }
                Insn::String8 { value, dest } => {
                    self.regs[*dest] = Value::Text(value.clone());
                    self.pc += 1;
                }
                Insn::Blob { value, dest } => {
                    self.regs[*dest] = Value::Blob(value.clone());
                    self.pc += 1;
                }
                Insn::Null { dest, end } => {
                    for r in *dest..=(*end).max(*dest) {
                        self.regs[r] = Value::Null;
                    }
                    self.pc += 1;
                }
                Insn::Variable { index, dest } => {
                    self.regs[*dest] = self.params.get(index - 1).cloned().unwrap_or(Value::Null);
                    self.pc += 1;
                }
                Insn::Copy { src, dest, extra } => {
                    for i in 0..=*extra {
                        self.regs[dest + i] = self.regs[src + i].clone();
                    }
                    self.pc += 1;
                }
                Insn::SCopy { src, dest } => {
                    self.regs[*dest] = self.regs[*src].clone();
                    self.pc += 1;
                }
                Insn::OpenRead { cursor, root, info, .. } => {
                    self.open_cursor(db, *cursor, *root, info, false)?;
                    self.pc += 1;
                }
                Insn::OpenWrite { cursor, root, info, .. } => {
                    self.open_cursor(db, *cursor, *root, info, true)?;
                    self.pc += 1;
                }
                Insn::OpenWriteReg { cursor, root_reg, info, .. } => {
                    let root = ops::to_i64(&self.regs[*root_reg]) as u32;
                    self.open_cursor(db, *cursor, root, info, true)?;
                    self.pc += 1;
                }
                Insn::Close { cursor } => {
                    if let Some(c) = self.cursors.get_mut(*cursor) {
                        *c = None;
                    }
                    self.pc += 1;
                }
                Insn::NullRow { cursor } => {
                    self.null_rows.insert(*cursor);
                    self.pc += 1;
                }
                // A cursor on its NULL row reads NULLs and has no next row.
                Insn::Next { cursor, .. } | Insn::Prev { cursor, .. }
                    if !self.null_rows.is_empty() && self.null_rows.contains(cursor) =>
                {
                    self.pc += 1;
                }
                Insn::Column { cursor, dest, .. } | Insn::Rowid { cursor, dest } | Insn::IdxRowid { cursor, dest }
                    if !self.null_rows.is_empty() && self.null_rows.contains(cursor) =>
                {
                    self.regs[*dest] = Value::Null;
                    self.pc += 1;
                }
                Insn::Rewind { cursor, .. }
                | Insn::Last { cursor, .. }
                | Insn::SeekRowid { cursor, .. }
                | Insn::NotExists { cursor, .. }
                | Insn::Seek { cursor, .. }
                | Insn::NotFound { cursor, .. }
                | Insn::EphScan { cursor, .. }
                    if !self.null_rows.is_empty() && self.null_rows.remove(cursor) =>
                {
                    // Repositioned: off the NULL row; run the instruction itself next time round.
                }
                Insn::Rewind { cursor, target } if self.eph_cursors.contains_key(cursor) => {
                    let (id, pos) = self.eph_cursors.get_mut(cursor).expect("checked");
                    *pos = 0;
                    let empty = self.ephemeral.get(id).map(|t| t.is_empty()).unwrap_or(true);
                    self.jump_if(empty, *target);
                }
                Insn::Next { cursor, target } if self.eph_cursors.contains_key(cursor) => {
                    self.check_interrupt(db)?;
                    let (id, pos) = self.eph_cursors.get_mut(cursor).expect("checked");
                    *pos += 1;
                    let more = self.ephemeral.get(id).map(|t| *pos < t.len()).unwrap_or(false);
                    self.jump_if(more, *target);
                }
                Insn::Column { cursor, column, dest, .. } if self.eph_cursors.contains_key(cursor) => {
                    let (id, pos) = self.eph_cursors[cursor];
                    self.regs[*dest] = self
                        .ephemeral
                        .get(&id)
                        .and_then(|t| t.row(pos))
                        .and_then(|r| r.get(*column))
                        .cloned()
                        .unwrap_or(Value::Null);
                    self.pc += 1;
                }
                Insn::Rowid { cursor, dest } if self.eph_cursors.contains_key(cursor) => {
                    let (_, pos) = self.eph_cursors[cursor];
                    self.regs[*dest] = Value::Integer(pos as i64 + 1);
                    self.pc += 1;
                }
                Insn::Rewind { cursor, target } | Insn::Last { cursor, target } => {
                    let last = matches!(insn, Insn::Last { .. });
                    let c = self.cursor(*cursor)?;
                    let r = if last { c.btree.last(&mut db.pager)? } else { c.btree.rewind(&mut db.pager)? };
                    let IoPoll::Ready(found) = r else {
                        return Ok(StepResult::Io);
                    };
                    c.row_valid = false;
                    self.jump_if(!found, *target);
                }
                Insn::Next { cursor, target } | Insn::Prev { cursor, target } => {
                    self.check_interrupt(db)?;
                    let prev = matches!(insn, Insn::Prev { .. });
                    let c = self.cursor(*cursor)?;
                    let r = if prev { c.btree.prev(&mut db.pager)? } else { c.btree.next(&mut db.pager)? };
                    let IoPoll::Ready(more) = r else {
                        return Ok(StepResult::Io);
                    };
                    c.row_valid = false;
                    self.jump_if(more, *target);
                }
                Insn::Column { cursor, column, dest, default } => {
                    let c = self
                        .cursors
                        .get_mut(*cursor)
                        .and_then(|c| c.as_mut())
                        .ok_or_else(|| Error::Internal("cursor not open".into()))?;
                    if !c.row_valid {
                        if c.btree.is_eof() {
                            self.regs[*dest] = Value::Null;
                            self.pc += 1;
                            continue;
                        }
                        let IoPoll::Ready(p) = c.btree.payload(&mut db.pager)? else {
                            return Ok(StepResult::Io);
                        };
                        c.payload.clear();
                        c.payload.extend_from_slice(p);
                        c.header.parse_into(&c.payload, c.payload.len())?;
                        c.row_valid = true;
                    }
                    let v = if *column < c.header.len() {
                        c.header.column(&c.payload, *column, enc)?
                    } else {
                        default.clone().unwrap_or(Value::Null)
                    };
                    self.regs[*dest] = v;
                    self.pc += 1;
                }
                Insn::Rowid { cursor, dest } | Insn::IdxRowid { cursor, dest } => {
                    let is_idx = matches!(insn, Insn::IdxRowid { .. });
                    let c = self
                        .cursors
                        .get_mut(*cursor)
                        .and_then(|c| c.as_mut())
                        .ok_or_else(|| Error::Internal("cursor not open".into()))?;
                    if c.btree.is_eof() {
                        self.regs[*dest] = Value::Null;
                    } else if is_idx {
                        // The rowid is the last field of an index record.
                        let IoPoll::Ready(p) = c.btree.payload(&mut db.pager)? else {
                            return Ok(StepResult::Io);
                        };
                        let h = RecordHeader::parse(p, p.len())?;
                        let v = if h.len() == 0 { Value::Null } else { h.column(p, h.len() - 1, enc)? };
                        self.regs[*dest] = v;
                    } else {
                        self.regs[*dest] = Value::Integer(c.btree.rowid()?);
                    }
                    self.pc += 1;
                }
                Insn::ResultRow { start, count } => {
                    self.row_start = *start;
                    self.row_len = *count;
                    self.pc += 1;
                    return Ok(StepResult::Row);
                }
                Insn::MakeRecord { start, count, dest, affinities } => {
                    if let Some(aff) = affinities {
                        for (i, ch) in aff.chars().enumerate().take(*count) {
                            let v = std::mem::replace(&mut self.regs[start + i], Value::Null);
                            self.regs[start + i] = apply_affinity(v, Affinity::from_letter(ch));
                        }
                    }
                    encode_record_into(&self.regs[*start..start + count], enc, &mut self.record_buf);
                    if self.record_buf.len() > crate::limits::MAX_LENGTH_BYTES {
                        return Err(Error::TooBig);
                    }
                    self.regs[*dest] = Value::Blob(Arc::from(self.record_buf.as_slice()));
                    self.pc += 1;
                }
                Insn::NewRowid { cursor, dest } => {
                    let c = self.cursor(*cursor)?;
                    let IoPoll::Ready(found) = c.btree.last(&mut db.pager)? else {
                        return Ok(StepResult::Io);
                    };
                    c.row_valid = false;
                    let rowid = if !found {
                        1
                    } else {
                        let max = c.btree.rowid()?;
                        if max == i64::MAX {
                            return Err(Error::Full);
                        }
                        max + 1
                    };
                    self.regs[*dest] = Value::Integer(rowid);
                    self.pc += 1;
                }
                Insn::Insert { cursor, record, rowid, flags, .. } => {
                    let key = match &self.regs[*rowid] {
                        Value::Integer(i) => *i,
                        _ => return Err(Error::Mismatch),
                    };
                    let data = match &self.regs[*record] {
                        Value::Blob(b) => b.clone(),
                        _ => return Err(Error::Internal("Insert data is not a record".into())),
                    };
                    let c = self
                        .cursors
                        .get_mut(*cursor)
                        .and_then(|c| c.as_mut())
                        .ok_or_else(|| Error::Internal("cursor not open".into()))?;
                    debug_assert!(c.writable);
                    c.btree.insert(&mut db.pager, InsertKey::Rowid(key), &data)?;
                    c.row_valid = false;
                    if flags & OPFLAG_NCHANGE != 0 {
                        self.changes += 1;
                        db.total_changes += 1;
                    }
                    if flags & OPFLAG_LASTROWID != 0 {
                        db.last_insert_rowid = key;
                    }
                    self.pc += 1;
                }
                Insn::Delete { cursor, flags, .. } => {
                    let c = self
                        .cursors
                        .get_mut(*cursor)
                        .and_then(|c| c.as_mut())
                        .ok_or_else(|| Error::Internal("cursor not open".into()))?;
                    c.btree.delete(&mut db.pager)?;
                    c.row_valid = false;
                    if flags & OPFLAG_NCHANGE != 0 {
                        self.changes += 1;
                        db.total_changes += 1;
                    }
                    self.pc += 1;
                }
                Insn::SeekRowid { cursor, rowid, target } | Insn::NotExists { cursor, rowid, target } => {
                    let key = match &self.regs[*rowid] {
                        Value::Integer(i) => Some(*i),
                        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => Some(*r as i64),
                        Value::Text(_) | Value::Blob(_) => {
                            match ops::apply_affinity(self.regs[*rowid].clone(), Affinity::Integer) {
                                Value::Integer(i) => Some(i),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    let c = self.cursor(*cursor)?;
                    let found = match key {
                        None => false,
                        Some(k) => {
                            let IoPoll::Ready(f) = c.btree.seek(&mut db.pager, SeekKey::Rowid(k), SeekOp::EQ)? else {
                                return Ok(StepResult::Io);
                            };
                            f
                        }
                    };
                    c.row_valid = false;
                    self.jump_if(!found, *target);
                }
                Insn::Seek { op, cursor, key_start, key_count, target } => {
                    let key: Vec<Value> = self.regs[*key_start..key_start + key_count].to_vec();
                    let c = self.cursor(*cursor)?;
                    let r = match &c.btree_kind_is_table() {
                        true => {
                            // A table seek by rowid: a non-integer key is rounded the way SQLite's
                            // OP_SeekGE does for integer keys.
                            let (k, op2) = seek_rowid_key(&key[0], *op);
                            match k {
                                None => IoPoll::Ready(false),
                                Some(k) => c.btree.seek(&mut db.pager, SeekKey::Rowid(k), op2)?,
                            }
                        }
                        false => c.btree.seek(&mut db.pager, SeekKey::Index(&key), *op)?,
                    };
                    let IoPoll::Ready(found) = r else {
                        return Ok(StepResult::Io);
                    };
                    c.row_valid = false;
                    self.jump_if(!found, *target);
                }
                Insn::IdxCompare { op, cursor, key_start, key_count, target } => {
                    let c = self
                        .cursors
                        .get_mut(*cursor)
                        .and_then(|c| c.as_mut())
                        .ok_or_else(|| Error::Internal("cursor not open".into()))?;
                    let key_info = match c.btree.kind() {
                        TreeKind::Index(k) => k.clone(),
                        TreeKind::Table => return Err(Error::Internal("IdxCompare on a table cursor".into())),
                    };
                    let IoPoll::Ready(p) = c.btree.payload(&mut db.pager)? else {
                        return Ok(StepResult::Io);
                    };
                    let ord = crate::storage::record::compare_record(
                        p,
                        &self.regs[*key_start..key_start + key_count],
                        &key_info,
                    )?;
                    let holds = match op {
                        SeekOp::GE => ord.is_ge(),
                        SeekOp::GT => ord.is_gt(),
                        SeekOp::LE => ord.is_le(),
                        SeekOp::LT => ord.is_lt(),
                        SeekOp::EQ => ord.is_eq(),
                    };
                    self.jump_if(holds, *target);
                }
                Insn::IdxInsert { cursor, record, flags, .. } => {
                    let data = match &self.regs[*record] {
                        Value::Blob(b) => b.clone(),
                        _ => return Err(Error::Internal("IdxInsert key is not a record".into())),
                    };
                    let c = self
                        .cursors
                        .get_mut(*cursor)
                        .and_then(|c| c.as_mut())
                        .ok_or_else(|| Error::Internal("cursor not open".into()))?;
                    c.btree.insert(&mut db.pager, InsertKey::Index(&data), &[])?;
                    c.row_valid = false;
                    if flags & OPFLAG_NCHANGE != 0 {
                        self.changes += 1;
                        db.total_changes += 1;
                    }
                    self.pc += 1;
                }
                Insn::IdxDelete { cursor, key_start, key_count } => {
                    let key: Vec<Value> = self.regs[*key_start..key_start + key_count].to_vec();
                    let c = self.cursor(*cursor)?;
                    // Writes read blocking, so a pending seek is driven to completion here.
                    let found = loop {
                        match c.btree.seek(&mut db.pager, SeekKey::Index(&key), SeekOp::EQ)? {
                            IoPoll::Ready(f) => break f,
                            IoPoll::Pending => db.pager.run_io()?,
                        }
                    };
                    if found {
                        c.btree.delete(&mut db.pager)?;
                    }
                    c.row_valid = false;
                    self.pc += 1;
                }
                Insn::Found { cursor, key_start, key_count, target }
                | Insn::NotFound { cursor, key_start, key_count, target }
                | Insn::NoConflict { cursor, key_start, key_count, target } => {
                    let key: Vec<Value> = self.regs[*key_start..key_start + key_count].to_vec();
                    let any_null = key.iter().any(|v| v.is_null());
                    let c = self.cursor(*cursor)?;
                    let found = if matches!(insn, Insn::NoConflict { .. }) && any_null {
                        false
                    } else {
                        let IoPoll::Ready(f) = c.btree.seek(&mut db.pager, SeekKey::Index(&key), SeekOp::EQ)? else {
                            return Ok(StepResult::Io);
                        };
                        f
                    };
                    c.row_valid = false;
                    let jump = match insn {
                        Insn::Found { .. } => found,
                        _ => !found,
                    };
                    self.jump_if(jump, *target);
                }
                Insn::Compare { op, lhs, rhs, target, affinity, collation, jump_if_null, null_eq } => {
                    let (a, b) = (&self.regs[*lhs], &self.regs[*rhs]);
                    if a.is_null() || b.is_null() {
                        if *null_eq {
                            let both = a.is_null() && b.is_null();
                            let holds = match op {
                                CmpOp::Eq => both,
                                CmpOp::Ne => !both,
                                _ => false,
                            };
                            self.jump_if(holds, *target);
                        } else {
                            self.jump_if(*jump_if_null, *target);
                        }
                        continue;
                    }
                    let ord = ops::compare_with_affinity(a, b, *affinity, *collation);
                    self.jump_if(op.holds(ord), *target);
                }
                Insn::If { reg, target, jump_if_null } => {
                    let t = ops::truth(&self.regs[*reg]);
                    self.jump_if(t.unwrap_or(*jump_if_null), *target);
                }
                Insn::IfNot { reg, target, jump_if_null } => {
                    let t = ops::truth(&self.regs[*reg]);
                    self.jump_if(t.map(|b| !b).unwrap_or(*jump_if_null), *target);
                }
                Insn::IsNull { reg, target } => {
                    let n = self.regs[*reg].is_null();
                    self.jump_if(n, *target);
                }
                Insn::NotNull { reg, target } => {
                    let n = !self.regs[*reg].is_null();
                    self.jump_if(n, *target);
                }
                Insn::Not { src, dest } => {
                    self.regs[*dest] = match ops::truth(&self.regs[*src]) {
                        None => Value::Null,
                        Some(b) => Value::Integer(!b as i64),
                    };
                    self.pc += 1;
                }
                Insn::BitNot { src, dest } => {
                    self.regs[*dest] = if self.regs[*src].is_null() {
                        Value::Null
                    } else {
                        Value::Integer(!ops::int_value(&self.regs[*src]))
                    };
                    self.pc += 1;
                }
                Insn::And { lhs, rhs, dest } | Insn::Or { lhs, rhs, dest } => {
                    let and = matches!(insn, Insn::And { .. });
                    let (a, b) = (ops::truth(&self.regs[*lhs]), ops::truth(&self.regs[*rhs]));
                    let r = if and {
                        match (a, b) {
                            (Some(false), _) | (_, Some(false)) => Some(false),
                            (Some(true), Some(true)) => Some(true),
                            _ => None,
                        }
                    } else {
                        match (a, b) {
                            (Some(true), _) | (_, Some(true)) => Some(true),
                            (Some(false), Some(false)) => Some(false),
                            _ => None,
                        }
                    };
                    self.regs[*dest] = r.map(|b| Value::Integer(b as i64)).unwrap_or(Value::Null);
                    self.pc += 1;
                }
                Insn::Arith { op, lhs, rhs, dest } => {
                    self.regs[*dest] = ops::arith(*op, &self.regs[*lhs], &self.regs[*rhs]);
                    self.pc += 1;
                }
                Insn::Bit { op, lhs, rhs, dest } => {
                    let (a, b) = (&self.regs[*lhs], &self.regs[*rhs]);
                    self.regs[*dest] = if a.is_null() || b.is_null() {
                        Value::Null
                    } else {
                        let (x, y) = (ops::int_value(a), ops::int_value(b));
                        Value::Integer(match op {
                            BitOp::And => x & y,
                            BitOp::Or => x | y,
                            BitOp::ShiftLeft => shift_left(x, y),
                            BitOp::ShiftRight => shift_left(x, y.checked_neg().unwrap_or(i64::MAX)),
                        })
                    };
                    self.pc += 1;
                }
                Insn::Concat { lhs, rhs, dest } => {
                    self.regs[*dest] = ops::concat(&self.regs[*lhs], &self.regs[*rhs]);
                    self.pc += 1;
                }
                Insn::Cast { reg, affinity } => {
                    self.regs[*reg] = ops::cast(&self.regs[*reg], *affinity);
                    self.pc += 1;
                }
                Insn::Is { lhs, rhs, dest, negate } => {
                    let eq = self.regs[*lhs].compare(&self.regs[*rhs], Collation::Binary).is_eq();
                    self.regs[*dest] = Value::Integer((eq != *negate) as i64);
                    self.pc += 1;
                }
                Insn::Function { first_arg, dest, func, argc, collation, .. } => {
                    let ctx = FuncContext { collation: *collation, ..self.func_context(db) };
                    let v = (func.func)(&ctx, &self.regs[*first_arg..first_arg + argc])?;
                    if let Value::Text(s) = &v {
                        if s.len() > crate::limits::MAX_LENGTH_BYTES {
                            return Err(Error::TooBig);
                        }
                    }
                    self.regs[*dest] = v;
                    self.pc += 1;
                }
                Insn::UserFunction { first_arg, dest, func, argc } => {
                    // The function's error is the statement's, with its message, as
                    // sqlite3_result_error makes it.
                    let v = match (func.func)(&self.regs[*first_arg..first_arg + argc])? {
                        // sqlite3_result_double stores a NaN as NULL.
                        Value::Real(r) if r.is_nan() => Value::Null,
                        v => v,
                    };
                    let too_big = match &v {
                        Value::Text(t) => t.len() > crate::limits::MAX_LENGTH_BYTES,
                        Value::Blob(b) => b.len() > crate::limits::MAX_LENGTH_BYTES,
                        _ => false,
                    };
                    if too_big {
                        return Err(Error::TooBig);
                    }
                    self.regs[*dest] = v;
                    self.pc += 1;
                }
                Insn::AggStep { first_arg, acc, func, argc, distinct, collation } => {
                    if *acc >= self.accumulators.len() {
                        self.accumulators.resize_with(acc + 1, || None);
                    }
                    let a = self.accumulators[*acc].get_or_insert_with(|| Accumulator::new(*distinct, *collation));
                    a.step(func, &self.regs[*first_arg..first_arg + argc])?;
                    if func.kind.is_min_max() {
                        self.minmax_skipped = a.skipped;
                    }
                    self.pc += 1;
                }
                Insn::AggFinal { acc, func, .. } => {
                    let v = match self.accumulators.get_mut(*acc).and_then(|a| a.take()) {
                        Some(mut a) => a.finalize(func)?,
                        None => Accumulator::new(false, Collation::Binary).finalize(func)?,
                    };
                    self.regs[*acc] = v;
                    self.pc += 1;
                }
                Insn::Count { cursor, dest } => {
                    let c = self.cursor(*cursor)?;
                    let IoPoll::Ready(n) = c.btree.count(&mut db.pager)? else {
                        return Ok(StepResult::Io);
                    };
                    self.regs[*dest] = Value::Integer(n as i64);
                    self.pc += 1;
                }
                Insn::CreateBtree { dest, index, .. } => {
                    let kind = if *index { TreeKind::Index(Default::default()) } else { TreeKind::Table };
                    let root = btree::create_tree(&mut db.pager, &kind)?;
                    self.regs[*dest] = Value::Integer(root as i64);
                    self.pc += 1;
                }
                Insn::Destroy { root, .. } => {
                    btree::drop_tree(&mut db.pager, *root)?;
                    self.pc += 1;
                }
                Insn::Clear { root, .. } => {
                    btree::clear_tree(&mut db.pager, *root)?;
                    self.pc += 1;
                }
                Insn::ParseSchema { .. } => {
                    db.reload_schema()?;
                    self.pc += 1;
                }
                Insn::ReadCookie { dest, cookie, .. } => {
                    let v = db.pager.header_u32(cookie_offset(*cookie))?;
                    self.regs[*dest] =
                        Value::Integer(if *cookie == Cookie::UserVersion || *cookie == Cookie::ApplicationId {
                            v as i32 as i64
                        } else {
                            v as i64
                        });
                    self.pc += 1;
                }
                Insn::SetCookie { cookie, value, .. } => {
                    db.pager.set_header_u32(cookie_offset(*cookie), *value as u32)?;
                    self.pc += 1;
                }
                Insn::BumpSchema { .. } => {
                    let v = db.pager.header_u32(header::OFFSET_SCHEMA_COOKIE)?;
                    db.pager.set_header_u32(header::OFFSET_SCHEMA_COOKIE, v.wrapping_add(1))?;
                    // A new database gets schema format 4 and its text encoding on first DDL.
                    if db.pager.header_u32(header::OFFSET_SCHEMA_FORMAT)? == 0 {
                        db.pager.set_header_u32(header::OFFSET_SCHEMA_FORMAT, 4)?;
                    }
                    if db.pager.header_u32(header::OFFSET_TEXT_ENCODING)? == 0 {
                        let e: TextEncoding = db.pager.text_encoding();
                        db.pager.set_header_u32(header::OFFSET_TEXT_ENCODING, e.header_value())?;
                    }
                    self.pc += 1;
                }
                Insn::Once { target } => {
                    let first = self.once.insert(self.pc);
                    self.jump_if(!first, *target);
                }
                Insn::Gosub { ret, target } => {
                    self.regs[*ret] = Value::Integer(self.pc as i64);
                    self.pc = *target;
                }
                Insn::InitCoroutine { reg, target, start } => {
                    self.regs[*reg] = Value::Integer(*start as i64);
                    self.pc = *target;
                }
                Insn::Yield { reg, .. } => {
                    let resume = match self.regs[*reg] {
                        Value::Integer(a) if a >= 0 && (a as usize) < insns.len() => a as usize,
                        _ => return Err(Error::Internal("Yield to a co-routine that is not running".into())),
                    };
                    self.regs[*reg] = Value::Integer(self.pc as i64 + 1);
                    self.pc = resume;
                }
                Insn::EndCoroutine { reg } => {
                    // r[reg] is the address after the Yield that resumed the co-routine.
                    let caller = match self.regs[*reg] {
                        Value::Integer(a) if a >= 1 && (a as usize) <= insns.len() => a as usize - 1,
                        _ => return Err(Error::Internal("EndCoroutine without a caller".into())),
                    };
                    let Insn::Yield { target, .. } = insns[caller] else {
                        return Err(Error::Internal("EndCoroutine's caller is not a Yield".into()));
                    };
                    self.regs[*reg] = Value::Null;
                    self.pc = target;
                }
                Insn::Return { reg } => {
                    let back = ops::to_i64(&self.regs[*reg]);
                    if back < 0 || back as usize >= insns.len() {
                        return Err(Error::Internal("Return to an invalid address".into()));
                    }
                    self.pc = back as usize + 1;
                }
                Insn::IfPos { reg, target, decrement } => {
                    let v = ops::to_i64(&self.regs[*reg]);
                    if v > 0 {
                        self.regs[*reg] = Value::Integer(v - decrement);
                        self.pc = *target;
                    } else {
                        self.pc += 1;
                    }
                }
                Insn::DecrJumpZero { reg, target } => {
                    let v = ops::to_i64(&self.regs[*reg]);
                    let nv = v.saturating_sub(1);
                    self.regs[*reg] = Value::Integer(nv);
                    self.jump_if(nv == 0, *target);
                }
                Insn::MustBeInt { reg, target } => {
                    let v = apply_affinity(self.regs[*reg].clone(), Affinity::Numeric);
                    match v {
                        Value::Integer(_) => {
                            self.regs[*reg] = v;
                            self.pc += 1;
                        }
                        _ => {
                            if *target == 0 {
                                return Err(Error::Mismatch);
                            }
                            self.pc = *target;
                        }
                    }
                }
                Insn::RealAffinity { reg } => {
                    if let Value::Integer(i) = self.regs[*reg] {
                        self.regs[*reg] = Value::Real(i as f64);
                    }
                    self.pc += 1;
                }
                Insn::Affinity { start, count, affinities } => {
                    for (i, ch) in affinities.chars().enumerate().take(*count) {
                        let v = std::mem::replace(&mut self.regs[start + i], Value::Null);
                        self.regs[start + i] = apply_affinity(v, Affinity::from_letter(ch));
                    }
                    self.pc += 1;
                }
                Insn::IntegrityCk { dest, roots, max_errors } => {
                    let errors = btree::integrity_check(&mut db.pager, roots, *max_errors)?;
                    self.regs[*dest] =
                        if errors.is_empty() { Value::text("ok") } else { Value::text(&errors.join("\n")) };
                    self.pc += 1;
                }
                Insn::Pragma { name, value, dest } => {
                    let v = db.pragma(name, value.as_ref())?;
                    self.regs[*dest] = v;
                    self.pc += 1;
                }
                Insn::SorterOpen { cursor, key } => {
                    self.sorters.insert(*cursor, Sorter { key: key.clone(), rows: Vec::new(), pos: 0 });
                    self.pc += 1;
                }
                Insn::SorterInsert { cursor, start, count } => {
                    let row = self.regs[*start..start + count].to_vec();
                    let s = self.sorters.get_mut(cursor).ok_or_else(|| Error::Internal("sorter not open".into()))?;
                    s.rows.push(row);
                    self.pc += 1;
                }
                Insn::SorterSort { cursor, target } => {
                    let s = self.sorters.get_mut(cursor).ok_or_else(|| Error::Internal("sorter not open".into()))?;
                    let key = s.key.clone();
                    // A stable sort keeps insertion order among equal keys, as SQLite's sorter
                    // does for rows that compare equal.
                    s.rows.sort_by(|a, b| key.compare(a, b));
                    s.pos = 0;
                    let empty = s.rows.is_empty();
                    self.jump_if(empty, *target);
                }
                Insn::SorterNext { cursor, target } => {
                    let s = self.sorters.get_mut(cursor).ok_or_else(|| Error::Internal("sorter not open".into()))?;
                    s.pos += 1;
                    let more = s.pos < s.rows.len();
                    self.jump_if(more, *target);
                }
                Insn::SorterColumn { cursor, column, dest } => {
                    let s = self.sorters.get(cursor).ok_or_else(|| Error::Internal("sorter not open".into()))?;
                    self.regs[*dest] = s.rows.get(s.pos).and_then(|r| r.get(*column)).cloned().unwrap_or(Value::Null);
                    self.pc += 1;
                }
                Insn::GroupOpen { id, key, aggs, bare } => {
                    self.groups.insert(*id, GroupTable::new(key.clone(), aggs.clone(), *bare));
                    self.pc += 1;
                }
                Insn::GroupSelect { id, key_start, key_count } => {
                    let key = self.regs[*key_start..key_start + key_count].to_vec();
                    self.group(*id)?.select(key);
                    self.pc += 1;
                }
                Insn::GroupAggStep { id, agg, first_arg, argc } => {
                    let args = self.regs[*first_arg..first_arg + argc].to_vec();
                    self.group(*id)?.step(*agg, &args)?;
                    self.pc += 1;
                }
                Insn::GroupSetBare { id, slot, reg } => {
                    let v = self.regs[*reg].clone();
                    let g = self.group(*id)?;
                    // SQLite's bare columns: the row that set a min() or max(), else the
                    // group's first row.
                    let load = if g.has_min_max { !g.minmax_skipped } else { g.fresh };
                    if load {
                        let cur = g.current;
                        g.states[cur].bare[*slot] = v;
                    }
                    self.pc += 1;
                }
                Insn::IfMinMaxSkipped { target } => {
                    let skipped = self.minmax_skipped;
                    self.jump_if(skipped, *target);
                }
                Insn::GroupSort { id, target } => {
                    let g = self.group(*id)?;
                    g.order = g.index.values().copied().collect();
                    g.pos = 0;
                    let empty = g.order.is_empty();
                    self.jump_if(empty, *target);
                }
                Insn::GroupNext { id, target } => {
                    let g = self.group(*id)?;
                    g.pos += 1;
                    let more = g.pos < g.order.len();
                    self.jump_if(more, *target);
                }
                Insn::GroupColumn { id, field, dest } => {
                    let g = self.group(*id)?;
                    let state = &mut g.states[g.order[g.pos]];
                    let v = match field {
                        crate::vdbe::insn::GroupField::Agg(i) => state.accs[*i].finalize(&g.aggs[*i].0)?,
                        crate::vdbe::insn::GroupField::Bare(i) => state.bare[*i].clone(),
                    };
                    self.regs[*dest] = v;
                    self.pc += 1;
                }
                Insn::EphOpen { id, distinct, key } => {
                    self.ephemeral.insert(*id, EphTable::new(*distinct, key.clone()));
                    self.pc += 1;
                }
                Insn::EphAffinity { id, affinity } => {
                    self.eph(*id)?.affinity = *affinity;
                    self.pc += 1;
                }
                Insn::EphInsert { id, start, count } => {
                    let row = self.regs[*start..start + count].to_vec();
                    self.eph(*id)?.insert(row);
                    self.pc += 1;
                }
                Insn::EphFound { id, start, count, target } => {
                    let row = self.regs[*start..start + count].to_vec();
                    let found = self.eph(*id)?.contains(row);
                    self.jump_if(found, *target);
                }
                Insn::EphEmpty { id, target } => {
                    let empty = self.eph(*id)?.is_empty();
                    self.jump_if(empty, *target);
                }
                Insn::EphHasNull { id, target } => {
                    let has = self.eph(*id)?.has_null;
                    self.jump_if(has, *target);
                }
                Insn::EphPop { id, start, count, target } => match self.eph(*id)?.pop_first() {
                    Some(row) => {
                        for (i, v) in row.into_iter().take(*count).enumerate() {
                            self.regs[start + i] = v;
                        }
                        self.pc += 1;
                    }
                    None => self.pc = *target,
                },
                Insn::Window { id, plan } => {
                    let t = self.eph(*id)?;
                    let rows = std::mem::take(&mut t.bag);
                    t.bag = super::window::compute(plan, rows, &|| db.is_interrupted())?;
                    self.pc += 1;
                }
                Insn::EphConvert { id, distinct } => {
                    self.eph(*id)?.convert(*distinct);
                    self.pc += 1;
                }
                Insn::EphCombine { id, other, intersect } => {
                    let other = self
                        .ephemeral
                        .remove(other)
                        .ok_or_else(|| Error::Internal("ephemeral table not open".into()))?;
                    self.eph(*id)?.combine(&other, *intersect);
                    self.pc += 1;
                }
                Insn::EphScan { cursor, id } => {
                    if let Some(t) = self.ephemeral.get_mut(id) {
                        t.freeze();
                    }
                    self.eph_cursors.insert(*cursor, (*id, 0));
                    self.pc += 1;
                }
                Insn::TempView { name, sql } => {
                    let mut schema = (*db.schema).clone();
                    schema.set_temp_view(name, sql.as_deref())?;
                    schema.generation += 1;
                    db.schema = Arc::new(schema);
                    self.pc += 1;
                }
                Insn::RowSetAdd { set, value } => {
                    let v = ops::to_i64(&self.regs[*value]);
                    self.rowsets.entry(*set).or_default().push_back(v);
                    self.pc += 1;
                }
                Insn::RowSetRead { set, dest, target } => match self.rowsets.get_mut(set).and_then(|s| s.pop_front()) {
                    Some(v) => {
                        self.regs[*dest] = Value::Integer(v);
                        self.pc += 1;
                    }
                    None => self.pc = *target,
                },
                Insn::Noop { .. } => self.pc += 1,
            }
        }
    }

    fn exec_autocommit(&mut self, db: &mut DbState, autocommit: bool, rollback: bool, begin_mode: u8) -> Result<()> {
        if !autocommit {
            if !db.autocommit {
                return Err(Error::sql("cannot start a transaction within a transaction"));
            }
            db.autocommit = false;
            // BEGIN IMMEDIATE / EXCLUSIVE take their locks now; DEFERRED waits for the first access.
            match begin_mode {
                1 => db.pager.begin_write(false)?,
                2 => db.pager.begin_write(true)?,
                _ => {}
            }
            return Ok(());
        }
        if db.autocommit {
            return Err(Error::sql(if rollback {
                "cannot rollback - no transaction is active"
            } else {
                "cannot commit - no transaction is active"
            }));
        }
        if rollback {
            db.pager.rollback()?;
            db.schema_dirty_check();
        } else {
            if db.active_writers > 0 {
                return Err(Error::Busy);
            }
            db.pager.commit()?;
        }
        db.autocommit = true;
        db.savepoints.clear();
        // This statement itself is active; the read transaction ends when it finishes.
        Ok(())
    }
}

/// An in-memory sorter (ORDER BY, GROUP BY). Rows are kept whole; spilling to a temporary
/// file for sorts larger than memory is not implemented yet.
struct Sorter {
    key: crate::vdbe::insn::SortKey,
    rows: Vec<Vec<Value>>,
    pos: usize,
}

/// A GROUP BY key ordered by the query's collations and directions.
#[derive(Clone)]
struct GroupKey(Vec<Value>, Arc<crate::vdbe::insn::SortKey>);

impl PartialEq for GroupKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for GroupKey {}

impl PartialOrd for GroupKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GroupKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.1.compare(&self.0, &other.0)
    }
}

/// An ephemeral table: a bag of rows, or a set of distinct rows in key order.
struct EphTable {
    key: Arc<crate::vdbe::insn::SortKey>,
    bag: Vec<Vec<Value>>,
    set: Option<std::collections::BTreeSet<GroupKey>>,
    /// The set's rows in order, built when a scan starts.
    frozen: Vec<Vec<Value>>,
    has_null: bool,
    /// Applied to the first column of each inserted row.
    affinity: Affinity,
    /// For a UNION's set, the rows of the term being added (see `insert`).
    term: Option<std::collections::BTreeSet<GroupKey>>,
    /// How many of a bag's rows EphPop has taken (they stay as empty rows until compacted).
    head: usize,
}

impl EphTable {
    fn new(distinct: bool, key: crate::vdbe::insn::SortKey) -> EphTable {
        EphTable {
            key: Arc::new(key),
            bag: Vec::new(),
            set: distinct.then(Default::default),
            frozen: Vec::new(),
            has_null: false,
            affinity: Affinity::Blob,
            term: None,
            head: 0,
        }
    }

    fn full_key(&self, row: &[Value]) -> Arc<crate::vdbe::insn::SortKey> {
        // Columns beyond the declared key compare with BINARY, ascending.
        if self.key.collations.len() >= row.len() {
            return self.key.clone();
        }
        let mut k = (*self.key).clone();
        while k.collations.len() < row.len() {
            k.collations.push(Collation::Binary);
            k.desc.push(false);
            k.nulls_first.push(None);
        }
        Arc::new(k)
    }

    fn insert(&mut self, mut row: Vec<Value>) {
        if self.affinity != Affinity::Blob {
            if let Some(first) = row.first_mut() {
                *first = apply_affinity(std::mem::replace(first, Value::Null), self.affinity);
            }
        }
        if row.first().is_some_and(|v| v.is_null()) {
            self.has_null = true;
        }
        match &mut self.set {
            None => self.bag.push(row),
            Some(_) => {
                let full = self.full_key(&row);
                let key = GroupKey(row, full);
                let set = self.set.as_mut().expect("set");
                match &mut self.term {
                    // Within one query the first of equal rows stays.
                    None => {
                        set.insert(key);
                    }
                    // A later UNION term's row replaces an equal earlier term's row, as SQLite's
                    // merge of the sorted terms keeps the right-hand one; within the term the
                    // first still stays.
                    Some(term) => {
                        if term.insert(key.clone()) {
                            set.replace(key);
                        }
                    }
                }
            }
        }
    }

    fn contains(&self, row: Vec<Value>) -> bool {
        match &self.set {
            Some(set) => {
                let key = self.full_key(&row);
                set.contains(&GroupKey(row, key))
            }
            None => self.bag.iter().any(|r| self.key.compare(r, &row).is_eq()),
        }
    }

    fn convert(&mut self, distinct: bool) {
        self.term = None;
        match (distinct, self.set.is_some()) {
            (true, false) => {
                self.set = Some(Default::default());
                for row in std::mem::take(&mut self.bag) {
                    self.insert(row);
                }
            }
            (false, true) => {
                let set = self.set.take().expect("set");
                self.bag = set.into_iter().map(|k| k.0).collect();
            }
            _ => {}
        }
        // The rows that follow are a new compound term.
        self.term = distinct.then(Default::default);
    }

    fn combine(&mut self, other: &EphTable, intersect: bool) {
        self.convert(true);
        let set = self.set.as_mut().expect("set");
        let keep: std::collections::BTreeSet<GroupKey> = std::mem::take(set)
            .into_iter()
            .filter(|k| {
                let present = other.contains(k.0.clone());
                present == intersect
            })
            .collect();
        *set = keep;
    }

    fn freeze(&mut self) {
        if let Some(set) = &self.set {
            self.frozen = set.iter().map(|k| k.0.clone()).collect();
        }
    }

    fn len(&self) -> usize {
        if self.set.is_some() {
            self.frozen.len()
        } else {
            self.bag.len()
        }
    }

    /// Whether the table holds no row (without freezing a set, as a scan would).
    fn is_empty(&self) -> bool {
        match &self.set {
            Some(set) => set.is_empty(),
            None => self.bag.len() == self.head,
        }
    }

    /// Removes and returns the first row: a bag's oldest, a set's smallest.
    fn pop_first(&mut self) -> Option<Vec<Value>> {
        match &mut self.set {
            Some(set) => set.pop_first().map(|k| k.0),
            None => {
                let row = std::mem::take(self.bag.get_mut(self.head)?);
                self.head += 1;
                // Compact once the taken rows are the larger part, so a long queue stays linear.
                if self.head == self.bag.len() {
                    self.bag.clear();
                    self.head = 0;
                } else if self.head >= 1024 && self.head * 2 >= self.bag.len() {
                    self.bag.drain(..self.head);
                    self.head = 0;
                }
                Some(row)
            }
        }
    }

    fn row(&self, i: usize) -> Option<&Vec<Value>> {
        if self.set.is_some() {
            self.frozen.get(i)
        } else {
            self.bag.get(i)
        }
    }
}

struct GroupState {
    accs: Vec<Accumulator>,
    bare: Vec<Value>,
}

/// The groups of a GROUP BY query, kept in key order.
struct GroupTable {
    key: Arc<crate::vdbe::insn::SortKey>,
    aggs: Vec<(crate::functions::AggregateFunc, bool, Collation)>,
    bare: usize,
    index: std::collections::BTreeMap<GroupKey, usize>,
    states: Vec<GroupState>,
    current: usize,
    order: Vec<usize>,
    pos: usize,
    /// Whether the current group was created by the last select (its first row).
    fresh: bool,
    has_min_max: bool,
    /// Whether the row's last min() or max() step kept its best value.
    minmax_skipped: bool,
}

impl GroupTable {
    fn new(
        key: crate::vdbe::insn::SortKey,
        aggs: Vec<(crate::functions::AggregateFunc, bool, Collation)>,
        bare: usize,
    ) -> GroupTable {
        GroupTable {
            key: Arc::new(key),
            has_min_max: aggs.iter().any(|(f, ..)| f.kind.is_min_max()),
            fresh: false,
            minmax_skipped: false,
            aggs,
            bare,
            index: Default::default(),
            states: Vec::new(),
            current: 0,
            order: Vec::new(),
            pos: 0,
        }
    }

    fn select(&mut self, key: Vec<Value>) {
        let k = GroupKey(key, self.key.clone());
        if let Some(&i) = self.index.get(&k) {
            self.current = i;
            self.fresh = false;
            return;
        }
        self.fresh = true;
        let i = self.states.len();
        self.states.push(GroupState {
            accs: self.aggs.iter().map(|(_, distinct, coll)| Accumulator::new(*distinct, *coll)).collect(),
            bare: vec![Value::Null; self.bare],
        });
        self.index.insert(k, i);
        self.current = i;
    }

    fn step(&mut self, agg: usize, args: &[Value]) -> Result<()> {
        let func = &self.aggs[agg].0;
        let kind = func.kind;
        let acc = &mut self.states[self.current].accs[agg];
        acc.step(func, args)?;
        if kind.is_min_max() {
            self.minmax_skipped = acc.skipped;
        }
        Ok(())
    }
}

impl VCursor {
    fn btree_kind_is_table(&self) -> bool {
        matches!(self.btree.kind(), TreeKind::Table)
    }
}

fn shift_left(x: i64, n: i64) -> i64 {
    if n >= 64 {
        0
    } else if n >= 0 {
        ((x as u64) << n) as i64
    } else if n <= -64 {
        if x < 0 {
            -1
        } else {
            0
        }
    } else {
        x >> (-n)
    }
}

/// Converts a seek key to an integer rowid and adjusts the operator so a REAL key lands where
/// SQLite's OP_SeekGE family puts it (e.g. `rowid > 2.5` seeks GE 3).
fn seek_rowid_key(v: &Value, op: SeekOp) -> (Option<i64>, SeekOp) {
    match apply_affinity(v.clone(), Affinity::Numeric) {
        Value::Integer(i) => (Some(i), op),
        Value::Real(r) => {
            if r.is_nan() {
                return (None, op);
            }
            let f = r.floor();
            let i = ops::real_to_i64(f);
            match op {
                SeekOp::GT | SeekOp::GE => {
                    if r > 9.2e18 {
                        (None, op)
                    } else if r < -9.2e18 {
                        (Some(i64::MIN), SeekOp::GE)
                    } else if f == r {
                        (Some(i), op)
                    } else {
                        (Some(i), SeekOp::GT)
                    }
                }
                SeekOp::LT | SeekOp::LE => {
                    if r < -9.2e18 {
                        (None, op)
                    } else if r > 9.2e18 {
                        (Some(i64::MAX), SeekOp::LE)
                    } else if f == r {
                        (Some(i), op)
                    } else {
                        (Some(i), SeekOp::LE)
                    }
                }
                SeekOp::EQ => {
                    if f == r {
                        (Some(i), op)
                    } else {
                        (None, op)
                    }
                }
            }
        }
        Value::Null => (None, op),
        // Text or blob keys sort after every integer.
        _ => match op {
            SeekOp::LT | SeekOp::LE => (Some(i64::MAX), SeekOp::LE),
            _ => (None, op),
        },
    }
}

fn cookie_offset(c: Cookie) -> usize {
    match c {
        Cookie::SchemaVersion => header::OFFSET_SCHEMA_COOKIE,
        Cookie::SchemaFormat => header::OFFSET_SCHEMA_FORMAT,
        Cookie::DefaultCacheSize => header::OFFSET_DEFAULT_CACHE_SIZE,
        Cookie::UserVersion => header::OFFSET_USER_VERSION,
        Cookie::ApplicationId => header::OFFSET_APPLICATION_ID,
    }
}

fn halt_error(code: i32, message: String) -> Error {
    match code & 0xff {
        19 => Error::Constraint { code, message },
        4 => Error::Abort(message),
        _ => {
            if code == extended::CONSTRAINT_NOTNULL {
                Error::Constraint { code, message }
            } else {
                Error::sql(message)
            }
        }
    }
}

#[allow(unused_imports)]
use SavepointOp as _SavepointOpInScope;
