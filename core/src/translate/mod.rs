//! Translation of a parsed statement into a VM program: name resolution, access-path choice,
//! and code emission.
//!
//! Architecture invariant: translation reads only the in-memory [`Schema`]; it never does I/O.
//! Every program follows SQLite's shape: `Init` jumps to the `Transaction` instructions at the
//! end, which jump back to the body.

mod ddl;
mod dml;
pub mod expr;
mod join;
pub(crate) mod params;
mod plan;
mod select;
mod trigger;
mod window;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::parser::ast::{self, Statement};
use crate::schema::Schema;
use crate::value::Value;
use crate::vdbe::insn::{Cookie, Insn, SavepointOp};
use crate::vdbe::program::{ExplainMode, Program};
use expr::Ctx;

/// Compiles one statement. `sql` is its source text (kept for re-preparation and the shell).
pub fn compile(schema: &Arc<Schema>, stmt: &Statement, sql: &str) -> Result<Program> {
    let (inner, explain) = match stmt {
        Statement::Explain { query_plan, stmt } => {
            (stmt.as_ref(), if *query_plan { ExplainMode::QueryPlan } else { ExplainMode::Explain })
        }
        other => (other, ExplainMode::None),
    };
    let mut ctx = Ctx::new(schema.clone());
    let mut numbered = inner.clone();
    params::number_parameters(&mut ctx, &mut numbered)?;
    let inner = &numbered;
    let init = ctx.b.emit(Insn::Init { target: 0 });
    let body_start = ctx.b.current_addr();
    let kind = compile_body(&mut ctx, schema, inner)?;
    ctx.b.emit(Insn::Halt { code: 0, on_error: 0, message: None });
    // The transaction prologue, reached from Init. A read-only program that touches no table
    // (SELECT 1) needs no transaction, as in SQLite, so it runs even on an unreadable file.
    let prologue = ctx.b.current_addr();
    let touches_storage = ctx.b.insns.iter().any(|i| {
        matches!(
            i,
            Insn::OpenRead { .. }
                | Insn::OpenWrite { .. }
                | Insn::OpenWriteReg { .. }
                | Insn::ReadCookie { .. }
                | Insn::IntegrityCk { .. }
                | Insn::Pragma { .. }
        )
    });
    let txn = if kind.txn == Txn::Read && !touches_storage { Txn::None } else { kind.txn };
    match txn {
        Txn::None => {}
        Txn::Read => {
            ctx.b.emit(Insn::Transaction { db: 0, write: false, schema_cookie: schema.cookie, exclusive: false });
        }
        Txn::Write => {
            ctx.b.emit(Insn::Transaction { db: 0, write: true, schema_cookie: schema.cookie, exclusive: false });
        }
    }
    ctx.b.emit(Insn::Goto { target: body_start });
    if let Insn::Init { target } = &mut ctx.b.insns[init] {
        *target = prologue;
    }
    let params = std::mem::take(&mut ctx.params);
    let query_plan = std::mem::take(&mut ctx.query_plan_rows);
    let (insns, n_registers, n_cursors) = ctx.b.finish();
    let mut program = Program {
        insns,
        n_registers,
        n_cursors,
        column_names: kind.columns,
        column_decltypes: kind.decltypes,
        parameters: params,
        sql: sql.to_string(),
        read_only: kind.txn != Txn::Write,
        counts_changes: matches!(inner, Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_)),
        explain,
        query_plan,
        schema_generation: schema.generation,
        registry_generation: crate::functions::user::current_generation(),
    };
    // A user collation the program compares with must be registered now (a schema may name
    // one that is not: SQLite fails only the statements that need it).
    let mut missing = None;
    for insn in &program.insns {
        insn.collations(|c| {
            if missing.is_none() && !c.is_available() {
                missing = Some(c);
            }
        });
    }
    if let Some(c) = missing {
        return Err(Error::MissingCollation(c.name().to_string()));
    }
    match explain {
        ExplainMode::Explain => {
            program.column_names =
                ["addr", "opcode", "p1", "p2", "p3", "p4", "p5", "comment"].iter().map(|s| s.to_string()).collect();
            program.column_decltypes = vec![None; 8];
            program.read_only = true;
        }
        ExplainMode::QueryPlan => {
            program.column_names = ["id", "parent", "notused", "detail"].iter().map(|s| s.to_string()).collect();
            program.column_decltypes = vec![None; 4];
            program.read_only = true;
        }
        ExplainMode::None => {}
    }
    Ok(program)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Txn {
    None,
    Read,
    Write,
}

struct Compiled {
    txn: Txn,
    columns: Vec<String>,
    decltypes: Vec<Option<String>>,
}

impl Compiled {
    fn write() -> Compiled {
        Compiled { txn: Txn::Write, columns: vec![], decltypes: vec![] }
    }

    fn none() -> Compiled {
        Compiled { txn: Txn::None, columns: vec![], decltypes: vec![] }
    }
}

fn check_main(schema_name: &Option<String>) -> Result<()> {
    match schema_name {
        Some(s) if !s.eq_ignore_ascii_case("main") => Err(Error::sql(format!("unknown database {s}"))),
        _ => Ok(()),
    }
}

fn compile_body(ctx: &mut Ctx, schema: &Schema, stmt: &Statement) -> Result<Compiled> {
    match stmt {
        Statement::Select(s) => {
            let (columns, decltypes) = select::compile_select(ctx, schema, s)?;
            plan::apply_covering(ctx);
            ctx.add_plan_rows();
            Ok(Compiled { txn: Txn::Read, columns, decltypes })
        }
        Statement::Insert(i) => {
            dml::compile_insert(ctx, schema, i)?;
            Ok(Compiled::write())
        }
        Statement::Update(u) => {
            dml::compile_update(ctx, schema, u)?;
            ctx.add_plan_rows();
            Ok(Compiled::write())
        }
        Statement::Delete(d) => {
            dml::compile_delete(ctx, schema, d)?;
            ctx.add_plan_rows();
            Ok(Compiled::write())
        }
        Statement::CreateTable(ct) => {
            check_main(&ct.name.schema)?;
            if ct.temporary {
                return Err(Error::sql("TEMP tables are not supported yet"));
            }
            ddl::create_table(ctx, schema, ct)
        }
        Statement::CreateIndex(ci) => {
            check_main(&ci.name.schema)?;
            ddl::create_index(ctx, schema, ci)
        }
        Statement::DropTable(d) => {
            check_main(&d.name.schema)?;
            ddl::drop_table(ctx, schema, d)
        }
        Statement::DropIndex(d) => {
            check_main(&d.name.schema)?;
            ddl::drop_index(ctx, schema, d)
        }
        Statement::Begin(kind) => {
            let mode = match kind {
                ast::TransactionKind::Deferred => 0,
                ast::TransactionKind::Immediate => 1,
                ast::TransactionKind::Exclusive => 2,
            };
            ctx.b.emit(Insn::AutoCommit { autocommit: false, rollback: false, begin_mode: mode });
            Ok(Compiled::none())
        }
        Statement::Commit => {
            ctx.b.emit(Insn::AutoCommit { autocommit: true, rollback: false, begin_mode: 0 });
            Ok(Compiled::none())
        }
        Statement::Rollback { savepoint: None } => {
            ctx.b.emit(Insn::AutoCommit { autocommit: true, rollback: true, begin_mode: 0 });
            Ok(Compiled::none())
        }
        Statement::Rollback { savepoint: Some(name) } => {
            ctx.b.emit(Insn::Savepoint { op: SavepointOp::Rollback, name: name.clone() });
            Ok(Compiled::none())
        }
        Statement::Savepoint(name) => {
            ctx.b.emit(Insn::Savepoint { op: SavepointOp::Begin, name: name.clone() });
            Ok(Compiled::none())
        }
        Statement::Release(name) => {
            ctx.b.emit(Insn::Savepoint { op: SavepointOp::Release, name: name.clone() });
            Ok(Compiled::none())
        }
        Statement::Pragma(p) => compile_pragma(ctx, schema, p),
        Statement::Explain { .. } => Err(Error::sql("near \"EXPLAIN\": syntax error")),
        Statement::CreateView(cv) => {
            check_main(&cv.name.schema)?;
            ddl::create_view(ctx, schema, cv)
        }
        Statement::CreateTrigger(ct) => {
            check_main(&ct.name.schema)?;
            ddl::create_trigger(ctx, schema, ct)
        }
        Statement::AlterTable(_) => Err(Error::sql("ALTER TABLE is not supported yet")),
        Statement::DropView(d) => {
            check_main(&d.name.schema)?;
            ddl::drop_view(ctx, schema, d)
        }
        Statement::DropTrigger(d) => {
            check_main(&d.name.schema)?;
            ddl::drop_trigger(ctx, schema, d)
        }
        Statement::Vacuum { .. } => Err(Error::sql("VACUUM is not supported yet")),
        Statement::Analyze(_) => Err(Error::sql("ANALYZE is not supported yet")),
        Statement::Reindex(target) => ddl::reindex(ctx, schema, target),
        Statement::Attach { .. } | Statement::Detach(_) => Err(Error::sql("ATTACH and DETACH are not supported yet")),
    }
}

fn pragma_value(p: &ast::Pragma) -> Option<Value> {
    p.value.as_ref().map(|v| match v {
        ast::PragmaValue::Number(n) => match n.parse::<i64>() {
            Ok(i) => Value::Integer(i),
            Err(_) => n.parse::<f64>().map(Value::Real).unwrap_or_else(|_| Value::text(n)),
        },
        other => Value::text(other.text()),
    })
}

fn compile_pragma(ctx: &mut Ctx, schema: &Schema, p: &ast::Pragma) -> Result<Compiled> {
    check_main(&p.schema)?;
    let name = p.name.to_ascii_lowercase();
    let value = pragma_value(p);
    let one_column = |name: &str| Compiled { txn: Txn::Read, columns: vec![name.to_string()], decltypes: vec![None] };
    match name.as_str() {
        "integrity_check" | "quick_check" => {
            let max_errors = match &value {
                Some(Value::Integer(n)) if *n > 0 => *n as usize,
                _ => 100,
            };
            let mut roots = vec![(1u32, false, "sqlite_schema".to_string())];
            let mut tables: Vec<_> = schema.tables.values().filter(|t| t.root != 1).collect();
            tables.sort_by_key(|t| t.root);
            tables.dedup_by_key(|t| t.root);
            for t in tables {
                roots.push((t.root, t.without_rowid, t.name.clone()));
            }
            let mut indexes: Vec<_> = schema.indexes.values().collect();
            indexes.sort_by_key(|i| i.root);
            for i in indexes {
                roots.push((i.root, true, i.name.clone()));
            }
            let dest = ctx.b.alloc_register();
            ctx.b.emit(Insn::IntegrityCk { dest, roots, max_errors });
            ctx.b.emit(Insn::ResultRow { start: dest, count: 1 });
            Ok(one_column(&name))
        }
        "user_version" | "schema_version" | "application_id" => {
            let cookie = match name.as_str() {
                "user_version" => Cookie::UserVersion,
                "schema_version" => Cookie::SchemaVersion,
                _ => Cookie::ApplicationId,
            };
            match value {
                Some(v) => {
                    let n = crate::vdbe::ops::to_i64(&v);
                    ctx.b.emit(Insn::SetCookie { db: 0, cookie, value: n });
                    Ok(Compiled::write())
                }
                None => {
                    let dest = ctx.b.alloc_register();
                    ctx.b.emit(Insn::ReadCookie { db: 0, dest, cookie });
                    ctx.b.emit(Insn::ResultRow { start: dest, count: 1 });
                    Ok(one_column(&name))
                }
            }
        }
        "table_info" | "table_xinfo" => {
            let Some(v) = &p.value else {
                return Ok(Compiled::none());
            };
            let first = ctx.b.alloc_registers(6);
            if let Some(view) = schema.view(v.text()) {
                // A view's columns are its SELECT's result columns.
                let sql = format!("SELECT * FROM \"{}\"", view.name.replace('"', "\"\""));
                let stmt = crate::parser::parse(&sql)?.into_iter().next().expect("one statement");
                let program = compile(&ctx.schema.clone(), &stmt, &sql)?;
                for (cid, (name, decl)) in program.column_names.iter().zip(&program.column_decltypes).enumerate() {
                    ctx.b.emit(Insn::Integer { value: cid as i64, dest: first });
                    ctx.b.emit(Insn::String8 { value: Arc::from(name.as_str()), dest: first + 1 });
                    ctx.b.emit(Insn::String8 { value: Arc::from(decl.as_deref().unwrap_or("")), dest: first + 2 });
                    ctx.b.emit(Insn::Integer { value: 0, dest: first + 3 });
                    ctx.b.emit(Insn::Null { dest: first + 4, end: first + 4 });
                    ctx.b.emit(Insn::Integer { value: 0, dest: first + 5 });
                    ctx.b.emit(Insn::ResultRow { start: first, count: 6 });
                }
                return Ok(Compiled {
                    txn: Txn::Read,
                    columns: ["cid", "name", "type", "notnull", "dflt_value", "pk"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    decltypes: vec![None; 6],
                });
            }
            let Some(t) = schema.table(v.text()) else {
                return Ok(Compiled { txn: Txn::Read, ..Compiled::none() });
            };
            for (cid, c) in t.columns.iter().enumerate() {
                ctx.b.emit(Insn::Integer { value: cid as i64, dest: first });
                ctx.b.emit(Insn::String8 { value: Arc::from(c.name.as_str()), dest: first + 1 });
                ctx.b.emit(Insn::String8 { value: Arc::from(c.decl_type.as_str()), dest: first + 2 });
                ctx.b.emit(Insn::Integer { value: c.not_null as i64, dest: first + 3 });
                match &c.default_text {
                    Some(d) => ctx.b.emit(Insn::String8 { value: Arc::from(d.as_str()), dest: first + 4 }),
                    None => ctx.b.emit(Insn::Null { dest: first + 4, end: first + 4 }),
                };
                let pk = t.primary_key.iter().position(|(i, _, _)| *i == cid).map(|p| p as i64 + 1).unwrap_or(0);
                ctx.b.emit(Insn::Integer { value: pk, dest: first + 5 });
                ctx.b.emit(Insn::ResultRow { start: first, count: 6 });
            }
            Ok(Compiled {
                txn: Txn::Read,
                columns: ["cid", "name", "type", "notnull", "dflt_value", "pk"].iter().map(|s| s.to_string()).collect(),
                decltypes: vec![None; 6],
            })
        }
        n if crate::schema::pragma::STATE_PRAGMAS.contains(&n) => {
            let dest = ctx.b.alloc_register();
            ctx.b.emit(Insn::Pragma { name: name.clone(), value: value.clone(), dest });
            let skip = ctx.b.emit(Insn::IsNull { reg: dest, target: 0 });
            ctx.b.emit(Insn::ResultRow { start: dest, count: 1 });
            ctx.b.patch_here(skip);
            // Setting page_size, cache_size or synchronous needs no transaction; reading
            // header-backed values does.
            let txn = if value.is_some()
                && matches!(n, "page_size" | "cache_size" | "synchronous" | "journal_mode" | "encoding")
            {
                Txn::None
            } else {
                Txn::Read
            };
            Ok(Compiled { txn, columns: vec![name.clone()], decltypes: vec![None] })
        }
        // SQLite ignores pragmas it does not know.
        _ => Ok(Compiled::none()),
    }
}

impl Ctx {
    /// Records EXPLAIN QUERY PLAN rows for the tables scanned by this statement.
    fn add_plan_rows(&mut self) {
        // Row ids start at 2, as SQLite's do; a parent is named by its id (0: the top).
        let rows = std::mem::take(&mut self.plan_details);
        for (i, (detail, parent)) in rows.into_iter().enumerate() {
            self.query_plan_rows.push(((i as i64) + 2, parent.map_or(0, |p| p as i64 + 2), detail));
        }
    }
}
