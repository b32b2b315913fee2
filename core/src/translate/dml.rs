//! INSERT, UPDATE and DELETE: constraint checks (NOT NULL, CHECK, PRIMARY KEY, UNIQUE) and
//! keeping every index in step with its table.
//!
//! UPDATE and DELETE run in two passes: the first collects the rowids the WHERE clause selects
//! into a RowSet (for a WITHOUT ROWID table, the primary keys into an ephemeral table), the
//! second changes them. So a row is never visited twice, however the change moves it (the
//! Halloween problem).
//!
//! A WITHOUT ROWID table is an index B-tree whose entries are the primary key columns then the
//! other columns; its PRIMARY KEY is checked like a UNIQUE index, and its secondary indexes carry
//! the key columns they lack instead of a rowid (see `pk_tail`).

use std::sync::Arc;

use super::expr::{cond_jump, emit_column, expr_to_reg, Ctx, ScopeTable};
use super::join::emit_loops;
use super::select::{single_table_scope, table_cursor_info};
use crate::error::{extended, Error, Result};
use crate::parser::ast::{self, ConflictResolution, Expr, InsertSource, TriggerTime};
use crate::schema::{Index, IndexColumn, Schema, Table};
use crate::storage::record::KeyInfo;
use crate::vdbe::insn::{CmpOp, CursorInfo, Insn, OPFLAG_LASTROWID, OPFLAG_NCHANGE};
use crate::vdbe::ops::Affinity;
use crate::vdbe::program::Label;

fn writable_table(schema: &Schema, name: &ast::QualifiedName) -> Result<Arc<Table>> {
    super::check_main(&name.schema)?;
    let t = match schema.table(&name.name) {
        Some(t) => t.clone(),
        None if schema.view(&name.name).is_some() => {
            return Err(Error::sql(format!("cannot modify {} because it is a view", name.name)))
        }
        None => return Err(Error::sql(format!("no such table: {}", name.name))),
    };
    if t.root == 1 {
        return Err(Error::sql(format!("table {} may not be modified", name.name)));
    }
    Ok(t)
}

/// For an index on a WITHOUT ROWID table: the primary key columns (indexes into
/// `table.primary_key`) its entries carry after the indexed values, in key order. A key column
/// the index already holds with the same collation is not repeated (SQLite's isDupColumn).
pub fn pk_tail(table: &Table, index: &Index) -> Vec<usize> {
    if !table.without_rowid {
        return vec![];
    }
    (0..table.primary_key.len())
        .filter(|&j| {
            let (col, coll, _) = table.primary_key[j];
            !index.columns.iter().any(|c| c.column == Some(col) && c.collation == coll)
        })
        .collect()
}

/// Where each primary key column (in key order) sits in an entry of `index` on a WITHOUT ROWID
/// table: in the indexed values when the index holds it, else in the appended tail.
pub(super) fn pk_positions(table: &Table, index: &Index) -> Vec<usize> {
    let tail = pk_tail(table, index);
    (0..table.primary_key.len())
        .map(|j| match tail.iter().position(|&t| t == j) {
            Some(p) => index.columns.len() + p,
            None => {
                let (col, coll, _) = table.primary_key[j];
                index
                    .columns
                    .iter()
                    .position(|c| c.column == Some(col) && c.collation == coll)
                    .expect("a key column left out of the tail is in the index")
            }
        })
        .collect()
}

/// The PRIMARY KEY of a WITHOUT ROWID table as an index: the table's own B-tree, checked for
/// uniqueness like any UNIQUE index.
fn primary_key_index(table: &Table, number: usize) -> Index {
    Index {
        name: format!("sqlite_autoindex_{}_{}", table.name, number),
        table: table.name.clone(),
        root: table.root,
        columns: table
            .primary_key
            .iter()
            .map(|&(c, collation, desc)| IndexColumn { column: Some(c), expr: None, collation, desc })
            .collect(),
        unique: true,
        partial: None,
        sql: None,
        is_primary_key: true,
        on_conflict: table.key_conflict,
    }
}

pub fn index_key_info(table: &Table, index: &Index) -> KeyInfo {
    let tail = pk_tail(table, index);
    let n = index.columns.len() + if table.without_rowid { tail.len() } else { 1 };
    let mut k = KeyInfo::new(n, Default::default());
    for (i, c) in index.columns.iter().enumerate() {
        k.collations[i] = c.collation;
        k.desc[i] = c.desc;
    }
    for (p, &j) in tail.iter().enumerate() {
        let (_, coll, desc) = table.primary_key[j];
        k.collations[index.columns.len() + p] = coll;
        k.desc[index.columns.len() + p] = desc;
    }
    k
}

/// Opens the table and its indexes for writing; returns the index cursors.
fn open_for_write(ctx: &mut Ctx, table: &Table, cursor: usize, indexes: &[Arc<Index>]) -> Vec<usize> {
    ctx.b.emit(Insn::OpenWrite { cursor, root: table.root, db: 0, info: table_cursor_info(table) });
    indexes
        .iter()
        .map(|ix| {
            let c = ctx.b.alloc_cursor();
            ctx.b.emit(Insn::OpenWrite {
                cursor: c,
                root: ix.root,
                db: 0,
                info: CursorInfo::Index(index_key_info(table, ix)),
            });
            c
        })
        .collect()
}

fn affinity_string(table: &Table) -> String {
    table.columns.iter().map(|c| c.affinity.letter()).collect()
}

/// Registers `base..base+n` hold a row's column values and `base+n` its rowid; this makes the
/// row visible to expressions (CHECK, index expressions, partial-index WHERE) by name.
fn row_scope(table: &Arc<Table>, cursor: usize, base: usize) -> ScopeTable {
    ScopeTable { regs: Some(base), ..ScopeTable::table(table.clone(), table.name.clone(), cursor) }
}

/// Computes index `ix`'s key for the row in registers (values at `base`, rowid at base+n) into
/// consecutive new registers; returns (first register, column count including the rowid/PK).
fn index_key(ctx: &mut Ctx, table: &Arc<Table>, ix: &Index, cursor: usize, base: usize) -> Result<(usize, usize)> {
    let n = table.columns.len();
    let tail = pk_tail(table, ix);
    let count = ix.columns.len() + if table.without_rowid { tail.len() } else { 1 };
    let first = ctx.b.alloc_registers(count);
    let saved = std::mem::take(&mut ctx.scope);
    ctx.scope.push(row_scope(table, cursor, base));
    for (i, c) in ix.columns.iter().enumerate() {
        match (c.column, &c.expr) {
            (Some(col), _) => {
                let src = if table.rowid_alias == Some(col) { base + n } else { base + col };
                ctx.b.emit(Insn::SCopy { src, dest: first + i });
            }
            (None, Some(e)) => expr_to_reg(ctx, e, first + i)?,
            (None, None) => unreachable!("an index column is a column or an expression"),
        }
    }
    if table.without_rowid {
        for (k, &j) in tail.iter().enumerate() {
            ctx.b.emit(Insn::SCopy { src: base + table.primary_key[j].0, dest: first + ix.columns.len() + k });
        }
    } else {
        ctx.b.emit(Insn::SCopy { src: base + n, dest: first + ix.columns.len() });
    }
    ctx.scope = saved;
    Ok((first, count))
}

/// Jumps to `skip` when a partial index's WHERE is false for the row in registers.
fn partial_guard(ctx: &mut Ctx, table: &Arc<Table>, ix: &Index, cursor: usize, base: usize, skip: Label) -> Result<()> {
    if let Some(w) = &ix.partial {
        let saved = std::mem::take(&mut ctx.scope);
        ctx.scope.push(row_scope(table, cursor, base));
        let r = cond_jump(ctx, w, skip);
        ctx.scope = saved;
        r?;
    }
    Ok(())
}

fn unique_message(table: &Table, ix: &Index) -> String {
    let cols: Vec<String> = ix
        .columns
        .iter()
        .map(|c| match c.column {
            Some(i) => format!("{}.{}", table.name, table.columns[i].name),
            None => "index '".to_string() + &ix.name + "'",
        })
        .collect();
    if ix.columns.iter().any(|c| c.column.is_none()) {
        return format!("UNIQUE constraint failed: index '{}'", ix.name);
    }
    format!("UNIQUE constraint failed: {}", cols.join(", "))
}

/// How a statement resolves a constraint failure (INSERT OR ..., UPDATE OR ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    Abort,
    Fail,
    Rollback,
    /// Skip the row: jump to the label (the next row).
    Ignore(Label),
    /// Delete the rows in the way (UNIQUE, PRIMARY KEY); NOT NULL takes the column default.
    Replace,
}

/// A statement's conflict clause (`INSERT OR ...`, `UPDATE OR ...`), which overrides every
/// constraint's own `ON CONFLICT`, and the label IGNORE skips to.
#[derive(Debug, Clone, Copy)]
struct Resolve {
    stmt: Option<ConflictResolution>,
    next: Label,
}

impl Resolve {
    /// The algorithm for a constraint whose own clause is `constraint`: the statement's if it
    /// names one, else the constraint's, else ABORT (sqlite3GenerateConstraintChecks).
    fn of(self, constraint: Option<ConflictResolution>) -> OnConflict {
        OnConflict::from_ast(self.stmt.or(constraint), self.next)
    }
}

/// A rowid to check for a conflict with an existing row (INSERT with a rowid given, UPDATE
/// that changes it).
#[derive(Debug, Clone, Copy)]
struct RowidCheck {
    /// The register holding the new rowid.
    new: usize,
    /// UPDATE: the row's old rowid (the same value is no conflict).
    old: Option<usize>,
    /// INSERT: a register that is 0 when the rowid was generated (no check needed).
    given: Option<usize>,
}

impl OnConflict {
    fn from_ast(c: Option<ConflictResolution>, next_row: Label) -> OnConflict {
        match c {
            None | Some(ConflictResolution::Abort) => OnConflict::Abort,
            Some(ConflictResolution::Fail) => OnConflict::Fail,
            Some(ConflictResolution::Rollback) => OnConflict::Rollback,
            Some(ConflictResolution::Ignore) => OnConflict::Ignore(next_row),
            Some(ConflictResolution::Replace) => OnConflict::Replace,
        }
    }

    fn oe(self) -> u8 {
        match self {
            OnConflict::Rollback => crate::vdbe::vm::OE_ROLLBACK,
            OnConflict::Fail => crate::vdbe::vm::OE_FAIL,
            _ => crate::vdbe::vm::OE_ABORT,
        }
    }

    /// Emits the failure: skip the row for IGNORE, else halt with the error.
    fn fail(self, ctx: &mut Ctx, code: i32, message: String) {
        match self {
            OnConflict::Ignore(next) => {
                ctx.b.emit_jump(Insn::Goto { target: 0 }, next);
            }
            other => {
                ctx.b.emit(Insn::Halt { code, on_error: other.oe(), message: Some(message) });
            }
        }
    }
}

/// The write context of INSERT or UPDATE: the table, its cursor and its indexes.
struct Target<'a> {
    table: &'a Arc<Table>,
    cursor: usize,
    indexes: &'a [Arc<Index>],
    idx_cursors: &'a [usize],
    /// AUTOINCREMENT: the register holding the largest rowid ever used (sqlite_sequence).
    sequence: Option<usize>,
    /// WITHOUT ROWID: whether the PRIMARY KEY needs a uniqueness check (INSERT, or an UPDATE
    /// that sets a key column).
    check_pk: bool,
}

impl Target<'_> {
    /// The unique constraints to check with their cursors, in SQLite's order: its list of the
    /// table's indexes, which puts each new index first, so the newest is checked first, except
    /// that indexes whose constraint says ON CONFLICT REPLACE stay after all others
    /// (sqlite3CreateIndex). A WITHOUT ROWID table's PRIMARY KEY was created at its place among
    /// the automatic indexes.
    fn unique_checks(&self) -> Result<Vec<(Arc<Index>, usize)>> {
        let mut created: Vec<(Arc<Index>, usize)> =
            self.indexes.iter().cloned().zip(self.idx_cursors.iter().copied()).collect();
        if self.table.without_rowid && self.check_pk {
            let number = crate::schema::primary_key_number(self.table)?.unwrap_or(1);
            let prefix = format!("sqlite_autoindex_{}_", self.table.name);
            let auto_number = |ix: &Index| ix.name.strip_prefix(&prefix).and_then(|n| n.parse::<usize>().ok());
            let at =
                created.iter().position(|(ix, _)| auto_number(ix).is_none_or(|k| k > number)).unwrap_or(created.len());
            created.insert(at, (Arc::new(primary_key_index(self.table, number)), self.cursor));
        }
        let replace = |ix: &Index| ix.unique && ix.on_conflict == Some(ConflictResolution::Replace);
        let mut list: Vec<(Arc<Index>, usize)> = Vec::with_capacity(created.len());
        for entry in created {
            if !replace(&entry.0) || list.first().is_none_or(|(head, _)| replace(head)) {
                list.insert(0, entry);
            } else {
                let at = list.iter().position(|(ix, _)| replace(ix)).unwrap_or(list.len());
                list.insert(at, entry);
            }
        }
        list.retain(|(ix, _)| ix.unique);
        Ok(list)
    }
}

/// Deletes the row whose rowid is in `rowid` (and its index entries), if it exists: REPLACE
/// clearing the way.
fn delete_by_rowid(ctx: &mut Ctx, t: &Target<'_>, rowid: usize) -> Result<()> {
    let n = t.table.columns.len();
    let base = ctx.b.alloc_registers(n + 1);
    let gone = ctx.b.emit(Insn::NotExists { cursor: t.cursor, rowid, target: 0 });
    load_row(ctx, t.table, t.cursor, base);
    delete_index_entries(ctx, t.table, t.cursor, t.indexes, t.idx_cursors, base)?;
    ctx.b.emit(Insn::Delete { cursor: t.cursor, flags: 0, table: None });
    ctx.b.patch_here(gone);
    Ok(())
}

/// WITHOUT ROWID: deletes the row whose primary key is in `key..` (and its index entries), if
/// it exists: REPLACE clearing the way.
fn delete_by_key(ctx: &mut Ctx, t: &Target<'_>, key: usize) -> Result<()> {
    let n = t.table.columns.len();
    let base = ctx.b.alloc_registers(n + 1);
    let gone = ctx.b.emit(Insn::NotFound {
        cursor: t.cursor,
        key_start: key,
        key_count: t.table.primary_key.len(),
        target: 0,
    });
    load_row(ctx, t.table, t.cursor, base);
    delete_index_entries(ctx, t.table, t.cursor, t.indexes, t.idx_cursors, base)?;
    ctx.b.emit(Insn::Delete { cursor: t.cursor, flags: 0, table: None });
    ctx.b.patch_here(gone);
    Ok(())
}

/// NOT NULL, CHECK, rowid and UNIQUE checks for the new row in registers `base..`, in
/// SQLite's order. `old_rowid` is set for UPDATE (an index entry of the row itself is no
/// conflict): the rowid, or for a WITHOUT ROWID table the first of the registers holding the old
/// primary key.
fn check_constraints(
    ctx: &mut Ctx,
    t: &Target<'_>,
    base: usize,
    old_rowid: Option<usize>,
    rowid_check: Option<RowidCheck>,
    res: Resolve,
) -> Result<()> {
    let table = t.table;
    // NOT NULL in two passes, as SQLite: the first puts each REPLACE column's default in place
    // of a NULL, the second checks those columns again (a default may be NULL) after all others.
    let mut replaced = Vec::new();
    for (i, c) in table.columns.iter().enumerate() {
        if !c.not_null || table.rowid_alias == Some(i) {
            continue;
        }
        let message = format!("NOT NULL constraint failed: {}.{}", table.name, c.name);
        match (res.of(c.not_null_conflict), &c.default) {
            (OnConflict::Replace, Some(d)) => {
                let ok = ctx.b.emit(Insn::NotNull { reg: base + i, target: 0 });
                expr_to_reg(ctx, d, base + i)?;
                ctx.b.patch_here(ok);
                replaced.push((i, message));
            }
            (OnConflict::Ignore(next), _) => {
                ctx.b.emit_jump(Insn::IsNull { reg: base + i, target: 0 }, next);
            }
            (other, _) => {
                // REPLACE without a default is ABORT.
                let oe = if other == OnConflict::Replace { crate::vdbe::vm::OE_ABORT } else { other.oe() };
                ctx.b.emit(Insn::HaltIfNull {
                    reg: base + i,
                    code: extended::CONSTRAINT_NOTNULL,
                    on_error: oe,
                    message,
                });
            }
        }
    }
    for (i, message) in replaced {
        let oe = crate::vdbe::vm::OE_ABORT;
        ctx.b.emit(Insn::HaltIfNull { reg: base + i, code: extended::CONSTRAINT_NOTNULL, on_error: oe, message });
    }
    if !table.checks.is_empty() {
        let saved = std::mem::take(&mut ctx.scope);
        ctx.scope.push(row_scope(table, t.cursor, base));
        // A CHECK has no ON CONFLICT of its own: the statement's, with REPLACE as ABORT.
        let on_check = match res.of(None) {
            OnConflict::Replace => OnConflict::Abort,
            other => other,
        };
        for (chk, name) in &table.checks {
            let ok = ctx.b.new_label();
            // CHECK fails only when the expression is false (NULL passes).
            let r = ctx.b.alloc_register();
            expr_to_reg(ctx, chk, r)?;
            ctx.b.emit_jump(Insn::If { reg: r, target: 0, jump_if_null: true }, ok);
            on_check.fail(ctx, extended::CONSTRAINT_CHECK, format!("CHECK constraint failed: {name}"));
            ctx.b.resolve_label(ok);
        }
        ctx.scope = saved;
    }
    // The rowid. A REPLACE from the PRIMARY KEY's own clause waits until the UNIQUE checks
    // are done when other constraints may resolve differently (SQLite's "defer IPK REPLACE
    // until last").
    let rowid_on = res.of(table.key_conflict);
    let defer_rowid = rowid_on == OnConflict::Replace && res.stmt.is_none() && !t.indexes.is_empty();
    if let Some(rc) = rowid_check.filter(|_| !defer_rowid) {
        check_rowid(ctx, t, rc, rowid_on)?;
    }
    for (ix, ic) in t.unique_checks()? {
        let ix = ix.as_ref();
        let skip = ctx.b.new_label();
        partial_guard(ctx, table, ix, t.cursor, base, skip)?;
        let (key, _) = index_key(ctx, table, ix, t.cursor, base)?;
        ctx.b.emit_jump(Insn::NoConflict { cursor: ic, key_start: key, key_count: ix.columns.len(), target: 0 }, skip);
        if table.without_rowid {
            // The conflicting row's primary key, read from the entry found.
            let npk = table.primary_key.len();
            let found = ctx.b.alloc_registers(npk);
            for (j, pos) in pk_positions(table, ix).into_iter().enumerate() {
                ctx.b.emit(Insn::Column { cursor: ic, column: pos, dest: found + j, default: None });
            }
            if let Some(old) = old_rowid {
                // The entry found may be this row's own: the same key under the key's collations.
                let other = ctx.b.new_label();
                for (j, &(_, collation, _)) in table.primary_key.iter().enumerate() {
                    ctx.b.emit_jump(
                        Insn::Compare {
                            op: CmpOp::Ne,
                            lhs: found + j,
                            rhs: old + j,
                            target: 0,
                            affinity: Affinity::Blob,
                            collation,
                            jump_if_null: true,
                            null_eq: false,
                        },
                        other,
                    );
                }
                ctx.b.emit_jump(Insn::Goto { target: 0 }, skip);
                ctx.b.resolve_label(other);
            }
            let on = res.of(ix.on_conflict);
            if on == OnConflict::Replace {
                delete_by_key(ctx, t, found)?;
            } else {
                let code =
                    if ix.is_primary_key { extended::CONSTRAINT_PRIMARYKEY } else { extended::CONSTRAINT_UNIQUE };
                on.fail(ctx, code, unique_message(table, ix));
            }
            ctx.b.resolve_label(skip);
            continue;
        }
        let found = ctx.b.alloc_register();
        ctx.b.emit(Insn::IdxRowid { cursor: ic, dest: found });
        if let Some(old) = old_rowid {
            // The entry found may be this row's own.
            ctx.b.emit_jump(
                Insn::Compare {
                    op: CmpOp::Eq,
                    lhs: found,
                    rhs: old,
                    target: 0,
                    affinity: Affinity::Blob,
                    collation: Default::default(),
                    jump_if_null: false,
                    null_eq: false,
                },
                skip,
            );
        }
        let on = res.of(ix.on_conflict);
        if on == OnConflict::Replace {
            delete_by_rowid(ctx, t, found)?;
        } else {
            let code = if ix.is_primary_key { extended::CONSTRAINT_PRIMARYKEY } else { extended::CONSTRAINT_UNIQUE };
            on.fail(ctx, code, unique_message(table, ix));
        }
        ctx.b.resolve_label(skip);
    }
    if let Some(rc) = rowid_check.filter(|_| defer_rowid) {
        check_rowid(ctx, t, rc, rowid_on)?;
    }
    Ok(())
}

/// The new rowid must not be another row's: REPLACE deletes that row, the others fail.
fn check_rowid(ctx: &mut Ctx, t: &Target<'_>, rc: RowidCheck, on: OnConflict) -> Result<()> {
    let table = t.table;
    let ok = ctx.b.new_label();
    if let Some(given) = rc.given {
        ctx.b.emit_jump(Insn::IfNot { reg: given, target: 0, jump_if_null: true }, ok);
    }
    if let Some(old) = rc.old {
        ctx.b.emit_jump(
            Insn::Compare {
                op: CmpOp::Eq,
                lhs: rc.new,
                rhs: old,
                target: 0,
                affinity: Affinity::Blob,
                collation: Default::default(),
                jump_if_null: false,
                null_eq: false,
            },
            ok,
        );
    }
    ctx.b.emit_jump(Insn::NotExists { cursor: t.cursor, rowid: rc.new, target: 0 }, ok);
    if on == OnConflict::Replace {
        delete_by_rowid(ctx, t, rc.new)?;
    } else {
        let col = table.rowid_alias.map(|a| table.columns[a].name.clone()).unwrap_or_else(|| "rowid".into());
        on.fail(ctx, extended::CONSTRAINT_PRIMARYKEY, format!("UNIQUE constraint failed: {}.{}", table.name, col));
    }
    ctx.b.resolve_label(ok);
    Ok(())
}

fn insert_index_entries(
    ctx: &mut Ctx,
    table: &Arc<Table>,
    cursor: usize,
    indexes: &[Arc<Index>],
    idx_cursors: &[usize],
    base: usize,
) -> Result<()> {
    index_entries(ctx, table, cursor, indexes, idx_cursors, base, true)
}

fn delete_index_entries(
    ctx: &mut Ctx,
    table: &Arc<Table>,
    cursor: usize,
    indexes: &[Arc<Index>],
    idx_cursors: &[usize],
    base: usize,
) -> Result<()> {
    index_entries(ctx, table, cursor, indexes, idx_cursors, base, false)
}

/// Adds (`insert`) or removes the row in registers `base..` to or from every index, skipping
/// partial indexes whose WHERE the row does not satisfy.
fn index_entries(
    ctx: &mut Ctx,
    table: &Arc<Table>,
    cursor: usize,
    indexes: &[Arc<Index>],
    idx_cursors: &[usize],
    base: usize,
    insert: bool,
) -> Result<()> {
    for (ix, &ic) in indexes.iter().zip(idx_cursors) {
        let skip = ctx.b.new_label();
        partial_guard(ctx, table, ix, cursor, base, skip)?;
        let (key, count) = index_key(ctx, table, ix, cursor, base)?;
        if insert {
            let rec = ctx.b.alloc_register();
            ctx.b.emit(Insn::MakeRecord { start: key, count, dest: rec, affinities: None });
            ctx.b.emit(Insn::IdxInsert { cursor: ic, record: rec, key_start: key, key_count: count, flags: 0 });
        } else {
            ctx.b.emit(Insn::IdxDelete { cursor: ic, key_start: key, key_count: count });
        }
        ctx.b.resolve_label(skip);
    }
    Ok(())
}

/// WITHOUT ROWID: builds the table's entry from the row registers: the primary key columns in
/// key order, then the other columns in table order. Returns (record, first value, count).
fn key_record(ctx: &mut Ctx, table: &Table, base: usize) -> (usize, usize, usize) {
    let pk: Vec<usize> = table.primary_key.iter().map(|(c, _, _)| *c).collect();
    let order: Vec<usize> = pk.iter().copied().chain((0..table.columns.len()).filter(|c| !pk.contains(c))).collect();
    let first = ctx.b.alloc_registers(order.len());
    for (pos, col) in order.iter().enumerate() {
        debug_assert!(pos == super::expr::record_position(table, *col) || pk[..pos].contains(col));
        ctx.b.emit(Insn::SCopy { src: base + col, dest: first + pos });
    }
    let rec = ctx.b.alloc_register();
    ctx.b.emit(Insn::MakeRecord { start: first, count: order.len(), dest: rec, affinities: None });
    (rec, first, order.len())
}

/// Builds the table record from the row registers (the rowid alias is stored as NULL).
fn table_record(ctx: &mut Ctx, table: &Table, base: usize) -> usize {
    let n = table.columns.len();
    let rec = ctx.b.alloc_register();
    match table.rowid_alias {
        Some(a) => {
            let first = ctx.b.alloc_registers(n);
            ctx.b.emit(Insn::Copy { src: base, dest: first, extra: n - 1 });
            ctx.b.emit(Insn::Null { dest: first + a, end: first + a });
            ctx.b.emit(Insn::MakeRecord { start: first, count: n, dest: rec, affinities: None });
        }
        None => {
            ctx.b.emit(Insn::MakeRecord { start: base, count: n, dest: rec, affinities: None });
        }
    }
    rec
}

pub fn compile_insert(ctx: &mut Ctx, schema: &Schema, ins: &ast::Insert) -> Result<()> {
    if !ins.upsert.is_empty() {
        return Err(Error::sql("upsert is not supported yet"));
    }
    if !ins.returning.is_empty() {
        return Err(Error::sql("RETURNING is not supported yet"));
    }
    let table = writable_table(schema, &ins.table)?;
    let n = table.columns.len();
    // Map each supplied value to a table column (usize::MAX: the rowid).
    let targets: Vec<usize> = if ins.columns.is_empty() {
        (0..n).collect()
    } else {
        let mut v = Vec::new();
        for c in &ins.columns {
            match table.column_index(c) {
                Some(i) => v.push(i),
                None if table.has_rowid() && ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(c)) => {
                    v.push(usize::MAX)
                }
                None => return Err(Error::sql(format!("table {} has no column named {}", table.name, c))),
            }
        }
        v
    };
    let count_error = |supplied: usize| {
        if ins.columns.is_empty() {
            Error::sql(format!("table {} has {} columns but {} values were supplied", table.name, n, supplied))
        } else {
            Error::sql(format!("{} values for {} columns", supplied, targets.len()))
        }
    };
    // A plain VALUES list is inserted row by row; any other query is materialized first (so a
    // query reading the table being written sees it as it was, as in SQLite).
    let values: Option<Vec<Vec<Expr>>> = match &ins.source {
        InsertSource::Values(rows) if ins.with.is_none() => Some(rows.clone()),
        InsertSource::DefaultValues => Some(vec![vec![]]),
        _ => None,
    };
    let source = match values {
        Some(rows) => {
            for row in &rows {
                if !matches!(ins.source, InsertSource::DefaultValues) && row.len() != targets.len() {
                    return Err(count_error(row.len()));
                }
            }
            None
        }
        None => {
            let select = match &ins.source {
                InsertSource::Select(s) => (**s).clone(),
                InsertSource::Values(rows) => ast::Select {
                    with: None,
                    body: ast::SelectBody { first: ast::SelectCore::Values(rows.clone()), compounds: vec![] },
                    order_by: vec![],
                    limit: None,
                },
                InsertSource::DefaultValues => unreachable!("handled above"),
            };
            let mut select = select;
            if select.with.is_none() {
                select.with = ins.with.clone();
            }
            let (id, names, _) = super::select::materialize(ctx, schema, &select)?;
            if names.len() != targets.len() {
                return Err(count_error(names.len()));
            }
            Some((id, names.len()))
        }
    };
    let cursor = ctx.b.alloc_cursor();
    let indexes = schema.table_indexes(&table);
    let idx_cursors = open_for_write(ctx, &table, cursor, &indexes);
    // AUTOINCREMENT: read the table's sqlite_sequence entry now, write it back at the end.
    let sequence = match (table.autoincrement, schema.table("sqlite_sequence")) {
        (true, Some(seq)) => {
            let c = ctx.b.alloc_cursor();
            ctx.b.emit(Insn::OpenWrite { cursor: c, root: seq.root, db: 0, info: CursorInfo::Table { columns: 2 } });
            Some((c, load_sequence(ctx, c, &table.name)))
        }
        _ => None,
    };
    let target = Target {
        table: &table,
        cursor,
        indexes: &indexes,
        idx_cursors: &idx_cursors,
        sequence: sequence.map(|s| s.1),
        check_pk: true,
    };
    let base = ctx.b.alloc_registers(n + 1);
    match (source, &ins.source) {
        (None, src) => {
            let rows: Vec<Vec<Expr>> = match src {
                InsertSource::Values(rows) => rows.clone(),
                _ => vec![vec![]],
            };
            for row in &rows {
                let next = ctx.b.new_label();
                let res = Resolve { stmt: ins.or_conflict, next };
                emit_insert_row(ctx, &target, &targets, row, base, res)?;
                ctx.b.resolve_label(next);
            }
        }
        (Some((id, width)), _) => {
            // The source rows, read back as a derived table named by position.
            ctx.push_level();
            let names: Vec<String> = (0..width).map(|i| format!("\u{1}{i}")).collect();
            let src = super::select::derived_table("\u{1}src", &names, &vec![None; width]);
            let scan = ctx.b.alloc_cursor();
            ctx.scope.push(ScopeTable::eph(src, "\u{1}src".into(), scan, id));
            ctx.b.emit(Insn::EphScan { cursor: scan, id });
            let done = ctx.b.new_label();
            ctx.b.emit_jump(Insn::Rewind { cursor: scan, target: 0 }, done);
            let top = ctx.b.current_addr();
            let row: Vec<Expr> = names.iter().map(|nm| Expr::column(nm.clone())).collect();
            let next = ctx.b.new_label();
            let res = Resolve { stmt: ins.or_conflict, next };
            let r = emit_insert_row(ctx, &target, &targets, &row, base, res);
            ctx.b.resolve_label(next);
            ctx.b.emit(Insn::Next { cursor: scan, target: top });
            ctx.b.resolve_label(done);
            ctx.pop_level();
            r?;
        }
    }
    if let Some((c, seq)) = sequence {
        store_sequence(ctx, c, &table.name, seq);
    }
    Ok(())
}

/// AUTOINCREMENT: a new rowid is never below the largest ever used plus one.
fn above_sequence(ctx: &mut Ctx, t: &Target<'_>, rowid: usize) {
    let Some(seq) = t.sequence else { return };
    let one = ctx.b.alloc_register();
    ctx.b.emit(Insn::Integer { value: 1, dest: one });
    let floor = ctx.b.alloc_register();
    ctx.b.emit(Insn::Arith { op: crate::vdbe::ops::ArithOp::Add, lhs: seq, rhs: one, dest: floor });
    let skip = ctx.b.emit(eq_jump(rowid, floor, CmpOp::Ge));
    ctx.b.emit(Insn::SCopy { src: floor, dest: rowid });
    ctx.b.patch_here(skip);
}

/// Reads `table`'s sqlite_sequence value into a new register (0 when it has none).
fn load_sequence(ctx: &mut Ctx, cursor: usize, table: &str) -> usize {
    let seq = ctx.b.alloc_register();
    ctx.b.emit(Insn::Integer { value: 0, dest: seq });
    for_sequence_rows(ctx, cursor, table, |ctx| {
        ctx.b.emit(Insn::Column { cursor, column: 1, dest: seq, default: None });
    });
    seq
}

/// Emits a scan of sqlite_sequence (open on `cursor`) that runs `body` on each row named `table`.
fn for_sequence_rows(ctx: &mut Ctx, cursor: usize, table: &str, body: impl FnOnce(&mut Ctx)) {
    let name = ctx.b.alloc_register();
    ctx.b.emit(Insn::String8 { value: Arc::from(table), dest: name });
    let done = ctx.b.new_label();
    ctx.b.emit_jump(Insn::Rewind { cursor, target: 0 }, done);
    let top = ctx.b.current_addr();
    let col = ctx.b.alloc_register();
    ctx.b.emit(Insn::Column { cursor, column: 0, dest: col, default: None });
    let next = ctx.b.new_label();
    ctx.b.emit_jump(eq_jump(col, name, CmpOp::Ne), next);
    body(ctx);
    ctx.b.resolve_label(next);
    ctx.b.emit(Insn::Next { cursor, target: top });
    ctx.b.resolve_label(done);
}

fn eq_jump(lhs: usize, rhs: usize, op: CmpOp) -> Insn {
    Insn::Compare {
        op,
        lhs,
        rhs,
        target: 0,
        affinity: Affinity::Blob,
        collation: Default::default(),
        jump_if_null: true,
        null_eq: false,
    }
}

/// Deletes `table`'s row from sqlite_sequence (open on `cursor`).
pub fn delete_sequence_row(ctx: &mut Ctx, cursor: usize, table: &str) {
    for_sequence_rows(ctx, cursor, table, |ctx| {
        ctx.b.emit(Insn::Delete { cursor, flags: 0, table: None });
    });
}

/// Writes `table`'s sequence value back to sqlite_sequence, once it is above 0.
fn store_sequence(ctx: &mut Ctx, cursor: usize, table: &str, seq: usize) {
    let skip = ctx.b.emit(Insn::IfNot { reg: seq, target: 0, jump_if_null: true });
    delete_sequence_row(ctx, cursor, table);
    let rec_regs = ctx.b.alloc_registers(2);
    ctx.b.emit(Insn::String8 { value: Arc::from(table), dest: rec_regs });
    ctx.b.emit(Insn::SCopy { src: seq, dest: rec_regs + 1 });
    let rec = ctx.b.alloc_register();
    ctx.b.emit(Insn::MakeRecord { start: rec_regs, count: 2, dest: rec, affinities: None });
    let rowid = ctx.b.alloc_register();
    ctx.b.emit(Insn::NewRowid { cursor, dest: rowid });
    ctx.b.emit(Insn::Insert { cursor, record: rec, rowid, flags: 0, table: None });
    ctx.b.patch_here(skip);
}

/// One row of INSERT: values (supplied, default or NULL), the rowid, affinity, constraint
/// checks, then the table record and every index entry.
fn emit_insert_row(
    ctx: &mut Ctx,
    t: &Target<'_>,
    targets: &[usize],
    row: &[Expr],
    base: usize,
    res: Resolve,
) -> Result<()> {
    let next = res.next;
    let table = t.table;
    let cursor = t.cursor;
    let n = table.columns.len();
    let rowid = base + n;
    if !table.has_rowid() {
        ctx.b.emit(Insn::Null { dest: rowid, end: rowid });
    }
    for col in 0..n {
        let supplied = targets.iter().position(|&x| x == col).and_then(|p| row.get(p));
        match supplied {
            Some(e) => expr_to_reg(ctx, e, base + col)?,
            None => match &table.columns[col].default {
                Some(d) => expr_to_reg(ctx, d, base + col)?,
                None => {
                    ctx.b.emit(Insn::Null { dest: base + col, end: base + col });
                }
            },
        }
    }
    if table.without_rowid {
        // The row is its key: no rowid to choose, the PRIMARY KEY is checked with the indexes.
        ctx.b.emit(Insn::Affinity { start: base, count: n, affinities: affinity_string(table) });
        let rows = super::trigger::RowRegs { old: None, new: Some(base) };
        super::trigger::fire(ctx, table, TriggerTime::Before, "insert", &[], rows, next)?;
        check_constraints(ctx, t, base, None, None, res)?;
        let (rec, first, count) = key_record(ctx, table, base);
        ctx.b.emit(Insn::IdxInsert { cursor, record: rec, key_start: first, key_count: count, flags: OPFLAG_NCHANGE });
        insert_index_entries(ctx, table, cursor, t.indexes, t.idx_cursors, base)?;
        super::trigger::fire(ctx, table, TriggerTime::After, "insert", &[], rows, next)?;
        return Ok(());
    }
    let rowid_expr = targets.iter().position(|&x| x == usize::MAX).and_then(|p| row.get(p));
    let src = match (table.rowid_alias, rowid_expr) {
        (_, Some(e)) => {
            expr_to_reg(ctx, e, rowid)?;
            true
        }
        (Some(a), None) => {
            ctx.b.emit(Insn::SCopy { src: base + a, dest: rowid });
            true
        }
        (None, None) => false,
    };
    let ok = ctx.b.new_label();
    let mut rowid_check = None;
    if src {
        // `given` tells the rowid check (after NOT NULL and CHECK, as in SQLite) whether the
        // rowid came from the statement.
        let given = ctx.b.alloc_register();
        ctx.b.emit(Insn::Integer { value: 0, dest: given });
        let have = ctx.b.emit(Insn::NotNull { reg: rowid, target: 0 });
        ctx.b.emit(Insn::NewRowid { cursor, dest: rowid });
        above_sequence(ctx, t, rowid);
        ctx.b.emit_jump(Insn::Goto { target: 0 }, ok);
        ctx.b.patch_here(have);
        ctx.b.emit(Insn::MustBeInt { reg: rowid, target: 0 });
        ctx.b.emit(Insn::Integer { value: 1, dest: given });
        rowid_check = Some(RowidCheck { new: rowid, old: None, given: Some(given) });
    } else {
        ctx.b.emit(Insn::NewRowid { cursor, dest: rowid });
        above_sequence(ctx, t, rowid);
    }
    ctx.b.resolve_label(ok);
    if let Some(a) = table.rowid_alias {
        ctx.b.emit(Insn::SCopy { src: rowid, dest: base + a });
    }
    ctx.b.emit(Insn::Affinity { start: base, count: n, affinities: affinity_string(table) });
    let rows = super::trigger::RowRegs { old: None, new: Some(base) };
    super::trigger::fire(ctx, table, TriggerTime::Before, "insert", &[], rows, next)?;
    check_constraints(ctx, t, base, None, rowid_check, res)?;
    let rec = table_record(ctx, table, base);
    ctx.b.emit(Insn::Insert {
        cursor,
        record: rec,
        rowid,
        flags: OPFLAG_NCHANGE | OPFLAG_LASTROWID,
        table: Some(table.name.clone()),
    });
    insert_index_entries(ctx, table, cursor, t.indexes, t.idx_cursors, base)?;
    if let Some(seq) = t.sequence {
        // The sequence only grows: it remembers the largest rowid ever inserted.
        let skip = ctx.b.emit(eq_jump(seq, rowid, CmpOp::Ge));
        ctx.b.emit(Insn::SCopy { src: rowid, dest: seq });
        ctx.b.patch_here(skip);
    }
    super::trigger::fire(ctx, table, TriggerTime::After, "insert", &[], rows, next)?;
    Ok(())
}

/// The rows pass one of UPDATE and DELETE selected: their rowids in a RowSet register, or for a
/// WITHOUT ROWID table their primary keys in an ephemeral table.
enum Selected {
    Rowids(usize),
    Keys { id: usize, scan: usize },
}

/// Pass one of UPDATE and DELETE: the rows the WHERE clause selects.
fn collect_rows(ctx: &mut Ctx, where_clause: Option<&Expr>, cursor: usize) -> Result<Selected> {
    let st = ctx.scope.last().expect("the statement's table").clone();
    let npk = st.table.primary_key.len();
    let selected = if st.table.has_rowid() {
        let set = ctx.b.alloc_register();
        ctx.b.emit(Insn::Null { dest: set, end: set });
        Selected::Rowids(set)
    } else {
        let id = ctx.b.alloc_cursor();
        ctx.b.emit(Insn::EphOpen { id, distinct: false, key: Default::default() });
        Selected::Keys { id, scan: ctx.b.alloc_cursor() }
    };
    let joins = vec![(ast::JoinOperator::Inner, None)];
    ctx.b.emit(Insn::OpenRead { cursor, root: st.table.root, db: 0, info: table_cursor_info(&st.table) });
    emit_loops(ctx, &joins, where_clause, &mut |ctx, _| {
        match selected {
            Selected::Rowids(set) => {
                let r = ctx.b.alloc_register();
                ctx.b.emit(Insn::Rowid { cursor, dest: r });
                ctx.b.emit(Insn::RowSetAdd { set, value: r });
            }
            Selected::Keys { id, .. } => {
                // The key columns lead the table's entries.
                let r = ctx.b.alloc_registers(npk);
                for j in 0..npk {
                    ctx.b.emit(Insn::Column { cursor, column: j, dest: r + j, default: None });
                }
                ctx.b.emit(Insn::EphInsert { id, start: r, count: npk });
            }
        }
        Ok(())
    })?;
    ctx.b.emit(Insn::Close { cursor });
    Ok(selected)
}

/// Pass two's loop over the selected rows. `start` takes the next row's key into `key..` (the
/// rowid, or the primary key columns) and positions `cursor` on its row, going to `done` when
/// there are no more and to `next` when the row is gone; `end` (at `next`) loops back.
struct RowLoop {
    top: usize,
    scan: Option<usize>,
}

impl Selected {
    fn start(&self, ctx: &mut Ctx, table: &Table, cursor: usize, key: usize, done: Label, next: Label) -> RowLoop {
        match *self {
            Selected::Rowids(set) => {
                let top = ctx.b.current_addr();
                ctx.b.emit_jump(Insn::RowSetRead { set, dest: key, target: 0 }, done);
                seek_row(ctx, table, cursor, key, next);
                RowLoop { top, scan: None }
            }
            Selected::Keys { id, scan } => {
                ctx.b.emit(Insn::EphScan { cursor: scan, id });
                ctx.b.emit_jump(Insn::Rewind { cursor: scan, target: 0 }, done);
                let top = ctx.b.current_addr();
                for j in 0..table.primary_key.len() {
                    ctx.b.emit(Insn::Column { cursor: scan, column: j, dest: key + j, default: None });
                }
                seek_row(ctx, table, cursor, key, next);
                RowLoop { top, scan: Some(scan) }
            }
        }
    }
}

impl RowLoop {
    fn end(self, ctx: &mut Ctx) {
        match self.scan {
            None => ctx.b.emit(Insn::Goto { target: self.top }),
            Some(scan) => ctx.b.emit(Insn::Next { cursor: scan, target: self.top }),
        };
    }
}

/// Positions `cursor` on the row whose key (rowid, or primary key columns) is in `key..`;
/// jumps to `gone` when there is none.
fn seek_row(ctx: &mut Ctx, table: &Table, cursor: usize, key: usize, gone: Label) {
    if table.has_rowid() {
        ctx.b.emit_jump(Insn::NotExists { cursor, rowid: key, target: 0 }, gone);
    } else {
        let key_count = table.primary_key.len();
        ctx.b.emit_jump(Insn::NotFound { cursor, key_start: key, key_count, target: 0 }, gone);
    }
}

/// Loads every column of the row under `cursor` and its rowid into `base..=base+n`.
fn load_row(ctx: &mut Ctx, table: &Arc<Table>, cursor: usize, base: usize) {
    let n = table.columns.len();
    let saved = std::mem::take(&mut ctx.scope);
    ctx.scope.push(ScopeTable::table(table.clone(), table.name.clone(), cursor));
    for i in 0..n {
        emit_column(ctx, 0, i, base + i);
    }
    ctx.scope = saved;
    if table.has_rowid() {
        ctx.b.emit(Insn::Rowid { cursor, dest: base + n });
    } else {
        ctx.b.emit(Insn::Null { dest: base + n, end: base + n });
    }
}

pub fn compile_delete(ctx: &mut Ctx, schema: &Schema, del: &ast::Delete) -> Result<()> {
    if del.with.is_some() || !del.returning.is_empty() {
        return Err(Error::sql("WITH and RETURNING are not supported yet"));
    }
    let table = writable_table(schema, &del.table)?;
    let cursor = single_table_scope(ctx, table.clone(), del.alias.as_deref());
    let selected = collect_rows(ctx, del.where_clause.as_ref(), cursor)?;
    let level_start = *ctx.levels.last().expect("a level");
    ctx.scope.truncate(level_start);
    let indexes = schema.table_indexes(&table);
    let idx_cursors = open_for_write(ctx, &table, cursor, &indexes);
    let n = table.columns.len();
    let base = ctx.b.alloc_registers(n + 1);
    // The row's key: its rowid (in the row's rowid slot) or its primary key columns.
    let key = if table.has_rowid() { base + n } else { ctx.b.alloc_registers(table.primary_key.len()) };
    let done = ctx.b.new_label();
    let next = ctx.b.new_label();
    let row_loop = selected.start(ctx, &table, cursor, key, done, next);
    let triggers = super::trigger::has_triggers(ctx, &table, "delete");
    if triggers {
        let old = super::trigger::RowRegs { old: Some(base), new: None };
        load_row(ctx, &table, cursor, base);
        super::trigger::fire(ctx, &table, TriggerTime::Before, "delete", &[], old, next)?;
        // The trigger may have changed or removed the row.
        seek_row(ctx, &table, cursor, key, next);
    }
    if !indexes.is_empty() {
        load_row(ctx, &table, cursor, base);
        delete_index_entries(ctx, &table, cursor, &indexes, &idx_cursors, base)?;
    }
    ctx.b.emit(Insn::Delete { cursor, flags: OPFLAG_NCHANGE, table: Some(table.name.clone()) });
    if triggers {
        let old = super::trigger::RowRegs { old: Some(base), new: None };
        super::trigger::fire(ctx, &table, TriggerTime::After, "delete", &[], old, next)?;
    }
    ctx.b.resolve_label(next);
    row_loop.end(ctx);
    ctx.b.resolve_label(done);
    Ok(())
}

pub fn compile_update(ctx: &mut Ctx, schema: &Schema, upd: &ast::Update) -> Result<()> {
    if upd.with.is_some() || !upd.returning.is_empty() || upd.from.is_some() {
        return Err(Error::sql("UPDATE with WITH, FROM or RETURNING is not supported yet"));
    }
    let table = writable_table(schema, &upd.table)?;
    let n = table.columns.len();
    // Resolve the assignments: column index (usize::MAX for the rowid) and value.
    let mut sets: Vec<(usize, &Expr)> = Vec::new();
    for a in &upd.sets {
        if a.columns.len() != 1 {
            return Err(Error::sql("row value assignments are not supported yet"));
        }
        let c = &a.columns[0];
        let col = match table.column_index(c) {
            Some(i) => i,
            None if table.has_rowid() && ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(c)) => {
                usize::MAX
            }
            None => return Err(Error::sql(format!("no such column: {c}"))),
        };
        sets.retain(|(x, _)| *x != col);
        sets.push((col, &a.value));
    }
    let rowid_changes = sets.iter().any(|(c, _)| *c == usize::MAX || Some(*c) == table.rowid_alias);
    // WITHOUT ROWID: a new primary key moves the row, and every index entry holds the key.
    let pk_changes = sets.iter().any(|(c, _)| table.primary_key.iter().any(|(k, _, _)| k == c));
    let key_changes = if table.has_rowid() { rowid_changes } else { pk_changes };
    let cursor = single_table_scope(ctx, table.clone(), upd.alias.as_deref());
    let selected = collect_rows(ctx, upd.where_clause.as_ref(), cursor)?;
    let all_indexes = schema.table_indexes(&table);
    // REPLACE (the statement's, or else a constraint's) may delete other rows, whose entries
    // leave every index.
    let may_replace = match upd.or_conflict {
        Some(c) => c == ConflictResolution::Replace,
        None => all_indexes.iter().any(|ix| ix.on_conflict == Some(ConflictResolution::Replace)),
    };
    // Only indexes over a changed column (or the rowid) need maintenance.
    let indexes: Vec<Arc<Index>> = all_indexes
        .into_iter()
        .filter(|ix| {
            key_changes
                || may_replace
                || ix.partial.is_some()
                || ix.columns.iter().any(|c| c.column.is_none() || sets.iter().any(|(s, _)| Some(*s) == c.column))
        })
        .collect();
    let idx_cursors = open_for_write(ctx, &table, cursor, &indexes);
    let target = Target {
        table: &table,
        cursor,
        indexes: &indexes,
        idx_cursors: &idx_cursors,
        sequence: None,
        check_pk: pk_changes,
    };
    let old = ctx.b.alloc_registers(n + 1);
    let new = ctx.b.alloc_registers(n + 1);
    let old_rowid = old + n;
    let new_rowid = new + n;
    // The row's key: its rowid, or its primary key columns.
    let old_key = if table.has_rowid() { old_rowid } else { ctx.b.alloc_registers(table.primary_key.len()) };
    let done = ctx.b.new_label();
    let next = ctx.b.new_label();
    let res = Resolve { stmt: upd.or_conflict, next };
    let row_loop = selected.start(ctx, &table, cursor, old_key, done, next);
    load_row(ctx, &table, cursor, old);
    // New values, computed against the old row (the cursor is on it).
    for i in 0..=n {
        ctx.b.emit(Insn::SCopy { src: old + i, dest: new + i });
    }
    for (col, e) in &sets {
        let dest = if *col == usize::MAX { new_rowid } else { new + col };
        expr_to_reg(ctx, e, dest)?;
    }
    if let Some(a) = table.rowid_alias {
        if sets.iter().any(|(c, _)| *c == a) {
            ctx.b.emit(Insn::SCopy { src: new + a, dest: new_rowid });
        }
    }
    if rowid_changes {
        // A NULL rowid alias gets a fresh rowid, as on INSERT.
        let have = ctx.b.emit(Insn::NotNull { reg: new_rowid, target: 0 });
        ctx.b.emit(Insn::NewRowid { cursor, dest: new_rowid });
        ctx.b.patch_here(have);
        ctx.b.emit(Insn::MustBeInt { reg: new_rowid, target: 0 });
        if let Some(a) = table.rowid_alias {
            ctx.b.emit(Insn::SCopy { src: new_rowid, dest: new + a });
        }
    }
    ctx.b.emit(Insn::Affinity { start: new, count: n, affinities: affinity_string(&table) });
    let changed: Vec<usize> = sets.iter().map(|(c, _)| *c).collect();
    let rows = super::trigger::RowRegs { old: Some(old), new: Some(new) };
    let triggers = super::trigger::has_triggers(ctx, &table, "update");
    if triggers {
        super::trigger::fire(ctx, &table, TriggerTime::Before, "update", &changed, rows, next)?;
        seek_row(ctx, &table, cursor, old_key, next);
    }
    let rowid_check = rowid_changes.then_some(RowidCheck { new: new_rowid, old: Some(old_rowid), given: None });
    check_constraints(ctx, &target, new, Some(old_key), rowid_check, res)?;
    delete_index_entries(ctx, &table, cursor, &indexes, &idx_cursors, old)?;
    if !table.has_rowid() {
        // The entry is the key: take the old one out (the checks moved the cursor), put the new
        // one in.
        let gone = ctx.b.new_label();
        seek_row(ctx, &table, cursor, old_key, gone);
        ctx.b.emit(Insn::Delete { cursor, flags: 0, table: None });
        ctx.b.resolve_label(gone);
        let (rec, first, count) = key_record(ctx, &table, new);
        ctx.b.emit(Insn::IdxInsert { cursor, record: rec, key_start: first, key_count: count, flags: OPFLAG_NCHANGE });
    } else {
        let rec = table_record(ctx, &table, new);
        if rowid_changes {
            let gone = ctx.b.emit(Insn::NotExists { cursor, rowid: old_rowid, target: 0 });
            ctx.b.emit(Insn::Delete { cursor, flags: 0, table: None });
            ctx.b.patch_here(gone);
            ctx.b.emit(Insn::Insert {
                cursor,
                record: rec,
                rowid: new_rowid,
                flags: OPFLAG_NCHANGE,
                table: Some(table.name.clone()),
            });
        } else {
            ctx.b.emit(Insn::Insert {
                cursor,
                record: rec,
                rowid: old_rowid,
                flags: OPFLAG_NCHANGE,
                table: Some(table.name.clone()),
            });
        }
    }
    insert_index_entries(ctx, &table, cursor, &indexes, &idx_cursors, new)?;
    if triggers {
        super::trigger::fire(ctx, &table, TriggerTime::After, "update", &changed, rows, next)?;
    }
    ctx.b.resolve_label(next);
    row_loop.end(ctx);
    ctx.b.resolve_label(done);
    Ok(())
}
