//! CREATE and DROP of tables and indexes: allocate or free B-trees, write or delete the
//! sqlite_schema rows, bump the schema cookie, and reload the schema (ParseSchema).

use std::sync::Arc;

use super::dml::index_key_info;
use super::expr::{emit_column, Ctx, ScopeTable};
use super::select::table_cursor_info;
use super::Compiled;
use crate::error::{extended, Error, Result};
use crate::parser::ast;
use crate::schema::{self, Index, Schema};
use crate::vdbe::insn::{CmpOp, CursorInfo, Insn};
use crate::vdbe::ops::Affinity;

const SCHEMA_CURSOR_COLUMNS: usize = 5;

fn name_in_use(schema: &Schema, name: &str) -> bool {
    schema.table(name).is_some() || schema.index(name).is_some() || schema.view(name).is_some()
}

/// SQLite's error for a new table or view whose name is taken (sqlite3StartTable): a table or
/// view's points at the name, an index's has no offset.
fn name_taken(schema: &Schema, name: &str, pos: ast::SrcPos) -> Error {
    if schema.index(name).is_some() {
        return Error::sql(format!("there is already an index named {name}"));
    }
    let what = if schema.view(name).is_some() { "view" } else { "table" };
    Error::sql_at(format!("{what} {name} already exists"), pos.0)
}

fn reserved_name(name: &str) -> bool {
    name.len() >= 7 && name.as_bytes()[..7].eq_ignore_ascii_case(b"sqlite_")
}

/// Appends one sqlite_schema row; `root` is a register holding the root page (or None for 0).
fn insert_schema_row(
    ctx: &mut Ctx,
    cursor: usize,
    kind: &str,
    name: &str,
    tbl_name: &str,
    root: Option<usize>,
    sql: Option<&str>,
) {
    let first = ctx.b.alloc_registers(SCHEMA_CURSOR_COLUMNS);
    ctx.b.emit(Insn::String8 { value: Arc::from(kind), dest: first });
    ctx.b.emit(Insn::String8 { value: Arc::from(name), dest: first + 1 });
    ctx.b.emit(Insn::String8 { value: Arc::from(tbl_name), dest: first + 2 });
    match root {
        Some(r) => ctx.b.emit(Insn::SCopy { src: r, dest: first + 3 }),
        None => ctx.b.emit(Insn::Integer { value: 0, dest: first + 3 }),
    };
    match sql {
        Some(s) => ctx.b.emit(Insn::String8 { value: Arc::from(s), dest: first + 4 }),
        None => ctx.b.emit(Insn::Null { dest: first + 4, end: first + 4 }),
    };
    let rowid = ctx.b.alloc_register();
    let rec = ctx.b.alloc_register();
    ctx.b.emit(Insn::NewRowid { cursor, dest: rowid });
    ctx.b.emit(Insn::MakeRecord {
        start: first,
        count: SCHEMA_CURSOR_COLUMNS,
        dest: rec,
        affinities: Some("BBBDB".into()),
    });
    ctx.b.emit(Insn::Insert { cursor, record: rec, rowid, flags: 0, table: None });
}

fn open_schema_cursor(ctx: &mut Ctx) -> usize {
    let cursor = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::OpenWrite { cursor, root: 1, db: 0, info: CursorInfo::Table { columns: SCHEMA_CURSOR_COLUMNS } });
    cursor
}

pub fn create_table(ctx: &mut Ctx, schema: &Schema, ct: &ast::CreateTable) -> Result<Compiled> {
    let name = &ct.name.name;
    if name_in_use(schema, name) {
        if ct.if_not_exists && (schema.table(name).is_some() || schema.view(name).is_some()) {
            return Ok(Compiled { txn: super::Txn::Read, ..Compiled::none() });
        }
        return Err(name_taken(schema, name, ct.name_pos));
    }
    if reserved_name(name) {
        return Err(Error::sql(format!("object name reserved for internal use: {name}")));
    }
    let Some(sql) = &ct.sql else {
        return Err(Error::sql("CREATE TABLE ... AS SELECT is not supported yet"));
    };
    // Validate the definition now, as SQLite does at prepare time.
    let table = schema::table_from_ast(ct, 0, sql.clone())?;
    check_expressions(ctx, &table)?;
    let autos = schema::auto_index_specs(ct, &table)?;
    let root = ctx.b.alloc_register();
    ctx.b.emit(Insn::CreateBtree { db: 0, dest: root, index: table.without_rowid });
    // (number, root register) of each automatic index; a WITHOUT ROWID table's PRIMARY KEY
    // takes its number but is stored as the table itself.
    let mut auto_roots = Vec::new();
    for (i, spec) in autos.iter().enumerate() {
        if spec.primary_key && table.without_rowid {
            continue;
        }
        let r = ctx.b.alloc_register();
        ctx.b.emit(Insn::CreateBtree { db: 0, dest: r, index: true });
        auto_roots.push((i + 1, r));
    }
    let cursor = open_schema_cursor(ctx);
    insert_schema_row(ctx, cursor, "table", name, name, Some(root), Some(sql));
    for (number, r) in &auto_roots {
        let iname = format!("sqlite_autoindex_{name}_{number}");
        insert_schema_row(ctx, cursor, "index", &iname, name, Some(*r), None);
    }
    // The first AUTOINCREMENT table brings sqlite_sequence, as in SQLite.
    if table.autoincrement && schema.table("sqlite_sequence").is_none() {
        let seq_root = ctx.b.alloc_register();
        ctx.b.emit(Insn::CreateBtree { db: 0, dest: seq_root, index: false });
        insert_schema_row(
            ctx,
            cursor,
            "table",
            "sqlite_sequence",
            "sqlite_sequence",
            Some(seq_root),
            Some("CREATE TABLE sqlite_sequence(name,seq)"),
        );
    }
    ctx.b.emit(Insn::BumpSchema { db: 0 });
    ctx.b.emit(Insn::ParseSchema { db: 0 });
    Ok(Compiled::write())
}

/// SQLite resolves a new table's CHECK constraints and column defaults when it is created: a
/// CHECK naming no column of the table fails then (as would any other name error), and a DEFAULT
/// that reads a column is "not constant". Compiled into a scratch program and thrown away.
fn check_expressions(ctx: &Ctx, table: &schema::Table) -> Result<()> {
    let mut scratch = Ctx::new(ctx.schema.clone());
    let table = Arc::new(table.clone());
    for c in table.columns.iter() {
        let Some(d) = &c.default else { continue };
        let not_constant = || Error::sql(format!("default value of column [{}] is not constant", c.name));
        if super::params::first_param_or_subquery(d).is_some() {
            return Err(not_constant());
        }
        let r = scratch.b.alloc_register();
        if let Err(Error::Sql(m, _)) = super::expr::expr_to_reg(&mut scratch, d, r) {
            if m.starts_with("no such column") {
                return Err(not_constant());
            }
        }
    }
    let base = scratch.b.alloc_registers(table.columns.len() + 1);
    scratch.scope.push(ScopeTable { regs: Some(base), ..ScopeTable::table(table.clone(), table.name.clone(), 0) });
    for (e, _) in &table.checks {
        match super::params::first_param_or_subquery(e) {
            Some(true) => return Err(Error::sql("parameters prohibited in CHECK constraints")),
            Some(false) => return Err(Error::sql("subqueries prohibited in CHECK constraints")),
            None => {}
        }
        let r = scratch.b.alloc_register();
        super::expr::expr_to_reg(&mut scratch, e, r)?;
    }
    Ok(())
}

pub fn create_index(ctx: &mut Ctx, schema: &Schema, ci: &ast::CreateIndex) -> Result<Compiled> {
    let name = &ci.name.name;
    if name_in_use(schema, name) {
        if ci.if_not_exists && schema.index(name).is_some() {
            return Ok(Compiled { txn: super::Txn::Read, ..Compiled::none() });
        }
        return Err(match schema.index(name) {
            Some(_) => Error::sql(format!("index {name} already exists")),
            None => Error::sql(format!("there is already a table named {name}")),
        });
    }
    if reserved_name(name) {
        return Err(Error::sql(format!("object name reserved for internal use: {name}")));
    }
    let table =
        schema.table(&ci.table).cloned().ok_or_else(|| Error::sql(format!("no such table: main.{}", ci.table)))?;
    if table.root == 1 {
        return Err(Error::sql(format!("table {} may not be indexed", table.name)));
    }
    let mut index: Index = schema::index_from_sql(schema, &ci.sql, 0)?;
    index.root = 0;
    let root = ctx.b.alloc_register();
    ctx.b.emit(Insn::CreateBtree { db: 0, dest: root, index: true });
    let scursor = open_schema_cursor(ctx);
    insert_schema_row(ctx, scursor, "index", name, &table.name, Some(root), Some(&ci.sql));
    // Fill the index from the table's rows.
    let icursor = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::OpenWriteReg {
        cursor: icursor,
        root_reg: root,
        db: 0,
        info: CursorInfo::Index(index_key_info(&table, &index)),
    });
    fill_index(ctx, &table, &index, icursor)?;
    ctx.scope.clear();
    ctx.b.emit(Insn::BumpSchema { db: 0 });
    ctx.b.emit(Insn::ParseSchema { db: 0 });
    Ok(Compiled::write())
}

/// Deletes the sqlite_schema rows whose `column` (1 = name, 2 = tbl_name) equals `value`.
/// Deletes the sqlite_schema rows whose `column` (1 = name, 2 = tbl_name) equals `value`, and
/// whose type is `kind` when given (names of different kinds may coincide).
fn delete_schema_rows(ctx: &mut Ctx, column: usize, value: &str, kind: Option<&str>) {
    let cursor = open_schema_cursor(ctx);
    let v = ctx.b.alloc_register();
    ctx.b.emit(Insn::String8 { value: Arc::from(value), dest: v });
    let kind_reg = kind.map(|k| {
        let r = ctx.b.alloc_register();
        ctx.b.emit(Insn::String8 { value: Arc::from(k), dest: r });
        r
    });
    let done = ctx.b.new_label();
    ctx.b.emit_jump(Insn::Rewind { cursor, target: 0 }, done);
    let top = ctx.b.current_addr();
    let col = ctx.b.alloc_register();
    ctx.b.emit(Insn::Column { cursor, column, dest: col, default: None });
    let skip = ctx.b.new_label();
    ctx.b.emit_jump(
        Insn::Compare {
            op: CmpOp::Ne,
            lhs: col,
            rhs: v,
            target: 0,
            affinity: Affinity::Blob,
            collation: crate::value::Collation::NoCase,
            jump_if_null: true,
            null_eq: false,
        },
        skip,
    );
    if let Some(k) = kind_reg {
        let t = ctx.b.alloc_register();
        ctx.b.emit(Insn::Column { cursor, column: 0, dest: t, default: None });
        ctx.b.emit_jump(
            Insn::Compare {
                op: CmpOp::Ne,
                lhs: t,
                rhs: k,
                target: 0,
                affinity: Affinity::Blob,
                collation: Default::default(),
                jump_if_null: true,
                null_eq: false,
            },
            skip,
        );
    }
    ctx.b.emit(Insn::Delete { cursor, flags: 0, table: None });
    ctx.b.resolve_label(skip);
    ctx.b.emit(Insn::Next { cursor, target: top });
    ctx.b.resolve_label(done);
    ctx.b.emit(Insn::Close { cursor });
}

pub fn drop_table(ctx: &mut Ctx, schema: &Schema, d: &ast::DropObject) -> Result<Compiled> {
    let Some(table) = schema.table(&d.name.name).cloned() else {
        if d.if_exists {
            return Ok(Compiled { txn: super::Txn::Read, ..Compiled::none() });
        }
        if schema.view(&d.name.name).is_some() {
            return Err(Error::sql(format!("use DROP VIEW to delete view {}", d.name.name)));
        }
        return Err(Error::sql(format!("no such table: {}", d.name.name)));
    };
    if table.root == 1 || reserved_name(&table.name) {
        return Err(Error::sql(format!("table {} may not be dropped", table.name)));
    }
    for ix in schema.table_indexes(&table) {
        ctx.b.emit(Insn::Destroy { root: ix.root, db: 0 });
    }
    ctx.b.emit(Insn::Destroy { root: table.root, db: 0 });
    delete_schema_rows(ctx, 2, &table.name, None);
    if table.autoincrement {
        if let Some(seq) = schema.table("sqlite_sequence") {
            let c = ctx.b.alloc_cursor();
            ctx.b.emit(Insn::OpenWrite { cursor: c, root: seq.root, db: 0, info: CursorInfo::Table { columns: 2 } });
            super::dml::delete_sequence_row(ctx, c, &table.name);
        }
    }
    ctx.b.emit(Insn::BumpSchema { db: 0 });
    ctx.b.emit(Insn::ParseSchema { db: 0 });
    Ok(Compiled::write())
}

pub fn drop_index(ctx: &mut Ctx, schema: &Schema, d: &ast::DropObject) -> Result<Compiled> {
    let Some(index) = schema.index(&d.name.name).cloned() else {
        if d.if_exists {
            return Ok(Compiled { txn: super::Txn::Read, ..Compiled::none() });
        }
        return Err(Error::sql(format!("no such index: {}", d.name.name)));
    };
    if index.sql.is_none() {
        return Err(Error::sql("index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped"));
    }
    ctx.b.emit(Insn::Destroy { root: index.root, db: 0 });
    delete_schema_rows(ctx, 1, &index.name, Some("index"));
    ctx.b.emit(Insn::BumpSchema { db: 0 });
    ctx.b.emit(Insn::ParseSchema { db: 0 });
    Ok(Compiled::write())
}

pub fn create_view(ctx: &mut Ctx, schema: &Schema, cv: &ast::CreateView) -> Result<Compiled> {
    let name = &cv.name.name;
    if name_in_use(schema, name) {
        if cv.if_not_exists && schema.view(name).is_some() {
            return Ok(Compiled { txn: super::Txn::Read, ..Compiled::none() });
        }
        return Err(name_taken(schema, name, cv.name_pos));
    }
    if reserved_name(name) {
        return Err(Error::sql(format!("object name reserved for internal use: {name}")));
    }
    // SQLite checks the view's query when it is created: compile it once, for the errors.
    {
        let mut scratch = Ctx::new(ctx.schema.clone());
        scratch.dest.push(super::expr::Dest::Eph { id: 0 });
        let (names, _) = super::select::compile_query(&mut scratch, schema, &cv.select)?;
        if !cv.columns.is_empty() && cv.columns.len() != names.len() {
            return Err(Error::sql(format!(
                "expected {} columns for '{}' but got {}",
                cv.columns.len(),
                name,
                names.len()
            )));
        }
    }
    if cv.temporary {
        // A TEMP view lives in the connection, not the file: no transaction needed.
        ctx.b.emit(Insn::TempView { name: name.clone(), sql: Some(cv.sql.clone()) });
        return Ok(Compiled::none());
    }
    let cursor = open_schema_cursor(ctx);
    insert_schema_row(ctx, cursor, "view", name, name, None, Some(&cv.sql));
    ctx.b.emit(Insn::BumpSchema { db: 0 });
    ctx.b.emit(Insn::ParseSchema { db: 0 });
    Ok(Compiled::write())
}

pub fn drop_view(ctx: &mut Ctx, schema: &Schema, d: &ast::DropObject) -> Result<Compiled> {
    let Some(view) = schema.view(&d.name.name).cloned() else {
        if d.if_exists {
            return Ok(Compiled { txn: super::Txn::Read, ..Compiled::none() });
        }
        if schema.table(&d.name.name).is_some() {
            return Err(Error::sql(format!("use DROP TABLE to delete table {}", d.name.name)));
        }
        return Err(Error::sql(format!("no such view: {}", d.name.name)));
    };
    if schema.is_temp_view(&view.name) {
        ctx.b.emit(Insn::TempView { name: view.name.clone(), sql: None });
        return Ok(Compiled::none());
    }
    delete_schema_rows(ctx, 1, &view.name, Some("view"));
    ctx.b.emit(Insn::BumpSchema { db: 0 });
    ctx.b.emit(Insn::ParseSchema { db: 0 });
    Ok(Compiled::write())
}

/// Adds an entry to the index open on `icursor` for every row of `table` (CREATE INDEX and
/// REINDEX), checking uniqueness as it goes.
fn fill_index(ctx: &mut Ctx, table: &Arc<crate::schema::Table>, index: &Index, icursor: usize) -> Result<()> {
    let tcursor = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::OpenRead { cursor: tcursor, root: table.root, db: 0, info: table_cursor_info(table) });
    let done = ctx.b.new_label();
    ctx.b.emit_jump(Insn::Rewind { cursor: tcursor, target: 0 }, done);
    let top = ctx.b.current_addr();
    ctx.scope = vec![ScopeTable::table(Arc::clone(table), table.name.clone(), tcursor)];
    let next = ctx.b.new_label();
    if let Some(w) = &index.partial {
        ctx.deterministic_only = Some("partial index WHERE clauses");
        let r = super::expr::cond_jump(ctx, w, next);
        ctx.deterministic_only = None;
        r?;
    }
    // The key: the indexed values, then the rowid (or the primary key columns the index lacks).
    let tail = super::dml::pk_tail(table, index);
    let count = index.columns.len() + if table.without_rowid { tail.len() } else { 1 };
    let key = ctx.b.alloc_registers(count);
    for (i, c) in index.columns.iter().enumerate() {
        match (c.column, &c.expr) {
            (Some(col), _) => emit_column(ctx, 0, col, key + i),
            (None, Some(e)) => {
                ctx.deterministic_only = Some("index expressions");
                let r = super::expr::expr_to_reg(ctx, e, key + i);
                ctx.deterministic_only = None;
                r?;
            }
            (None, None) => unreachable!("index column is a column or an expression"),
        }
    }
    if table.without_rowid {
        for (k, &j) in tail.iter().enumerate() {
            emit_column(ctx, 0, table.primary_key[j].0, key + index.columns.len() + k);
        }
    } else {
        ctx.b.emit(Insn::Rowid { cursor: tcursor, dest: key + index.columns.len() });
    }
    if index.unique {
        let ok = ctx.b.new_label();
        ctx.b.emit_jump(
            Insn::NoConflict { cursor: icursor, key_start: key, key_count: index.columns.len(), target: 0 },
            ok,
        );
        let cols: Vec<String> = index
            .columns
            .iter()
            .filter_map(|c| c.column)
            .map(|i| format!("{}.{}", table.name, table.columns[i].name))
            .collect();
        ctx.b.emit(Insn::Halt {
            code: extended::CONSTRAINT_UNIQUE,
            on_error: 2,
            message: Some(format!("UNIQUE constraint failed: {}", cols.join(", "))),
        });
        ctx.b.resolve_label(ok);
    }
    let rec = ctx.b.alloc_register();
    ctx.b.emit(Insn::MakeRecord { start: key, count, dest: rec, affinities: None });
    ctx.b.emit(Insn::IdxInsert { cursor: icursor, record: rec, key_start: key, key_count: count, flags: 0 });
    ctx.b.resolve_label(next);
    ctx.b.emit(Insn::Next { cursor: tcursor, target: top });
    ctx.b.resolve_label(done);
    ctx.scope.clear();
    Ok(())
}

/// REINDEX [name]: rebuilds the indexes named (an index), on a table, or using a collation; all
/// of them with no name.
pub fn reindex(ctx: &mut Ctx, schema: &Schema, target: &Option<ast::QualifiedName>) -> Result<Compiled> {
    let mut indexes: Vec<Arc<Index>> = schema.indexes.values().cloned().collect();
    if let Some(t) = target {
        super::check_main(&t.schema)?;
        if let Some(ix) = schema.index(&t.name) {
            indexes = vec![ix.clone()];
        } else if let Some(tb) = schema.table(&t.name) {
            indexes = schema.table_indexes(tb);
        } else if let Some(coll) = crate::value::Collation::from_name(&t.name) {
            indexes.retain(|ix| ix.columns.iter().any(|c| c.collation == coll));
        } else {
            return Err(Error::sql("unable to identify the object to be reindexed"));
        }
    }
    indexes.sort_by_key(|ix| ix.root);
    for ix in indexes {
        let Some(table) = schema.table(&ix.table).cloned() else { continue };
        ctx.b.emit(Insn::Clear { root: ix.root, db: 0 });
        let icursor = ctx.b.alloc_cursor();
        ctx.b.emit(Insn::OpenWrite {
            cursor: icursor,
            root: ix.root,
            db: 0,
            info: CursorInfo::Index(index_key_info(&table, &ix)),
        });
        fill_index(ctx, &table, &ix, icursor)?;
    }
    Ok(Compiled::write())
}

pub fn create_trigger(ctx: &mut Ctx, schema: &Schema, ct: &ast::CreateTrigger) -> Result<Compiled> {
    let name = &ct.name.name;
    if schema.trigger(name).is_some() {
        if ct.if_not_exists {
            return Ok(Compiled { txn: super::Txn::Read, ..Compiled::none() });
        }
        return Err(Error::sql_at(format!("trigger {name} already exists"), ct.name_pos.0));
    }
    if reserved_name(name) {
        return Err(Error::sql(format!("object name reserved for internal use: {name}")));
    }
    if ct.temporary {
        return Err(Error::sql("TEMP triggers are not supported yet"));
    }
    let table = match schema.table(&ct.table) {
        Some(t) => t.clone(),
        None if schema.view(&ct.table).is_some() => {
            return Err(Error::sql("INSTEAD OF triggers on views are not supported yet"))
        }
        None => return Err(Error::sql(format!("no such table: main.{}", ct.table))),
    };
    if table.root == 1 || reserved_name(&table.name) {
        return Err(Error::sql("cannot create trigger on system table"));
    }
    if ct.time == ast::TriggerTime::InsteadOf {
        return Err(Error::sql(format!("cannot create INSTEAD OF trigger on table: {}", table.name)));
    }
    let cursor = open_schema_cursor(ctx);
    insert_schema_row(ctx, cursor, "trigger", name, &table.name, None, Some(&ct.sql));
    ctx.b.emit(Insn::BumpSchema { db: 0 });
    ctx.b.emit(Insn::ParseSchema { db: 0 });
    Ok(Compiled::write())
}

pub fn drop_trigger(ctx: &mut Ctx, schema: &Schema, d: &ast::DropObject) -> Result<Compiled> {
    let Some(trigger) = schema.trigger(&d.name.name).cloned() else {
        if d.if_exists {
            return Ok(Compiled { txn: super::Txn::Read, ..Compiled::none() });
        }
        return Err(Error::sql(format!("no such trigger: {}", d.name.name)));
    };
    delete_schema_rows(ctx, 1, &trigger.name, Some("trigger"));
    ctx.b.emit(Insn::BumpSchema { db: 0 });
    ctx.b.emit(Insn::ParseSchema { db: 0 });
    Ok(Compiled::write())
}
