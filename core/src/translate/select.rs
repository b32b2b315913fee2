//! SELECT: the FROM clause as nested loops over cursors (rowid lookups when the WHERE clause
//! pins the rowid), WHERE as conditional jumps, result columns, and aggregate queries without
//! GROUP BY.
//!
//! Parenthesized joins follow SQLite's parser (`normalize_from`): spliced into the FROM clause
//! where that means the same, otherwise materialized as a subquery whose scope entry keeps where
//! each column came from (`add_nested`, SQLite's SF_NestedFrom), so the inner tables' names
//! still resolve from outside.

use std::sync::Arc;

use super::expr::{self, cond_jump, expr_to_reg, AggInfo, Ctx, Dest, ScopeTable};
use super::join::emit_loops;
use crate::error::{Error, Result};
use crate::functions::{self, FunctionLookup};
use crate::parser::ast::{self, BinaryOp, Expr, JoinOperator, ResultColumn, SelectCore, TableRef};
use crate::schema::{Schema, Table};
use crate::vdbe::insn::{CursorInfo, Insn};
use crate::vdbe::program::Label;

/// One output column of a SELECT: its name, declared type, and expression.
pub struct OutColumn {
    pub name: String,
    pub decltype: Option<String>,
    pub expr: Expr,
}

/// A bound on an index column: value, comparison affinity, and whether it is included.
pub(super) type Bound = (Expr, crate::vdbe::ops::Affinity, bool);

/// Resolves the FROM clause into scope tables (opening no cursors yet).
pub fn resolve_from(
    ctx: &mut Ctx,
    schema: &Schema,
    from: &Option<ast::FromClause>,
) -> Result<Vec<(JoinOperator, Option<Expr>)>> {
    Ok(resolve_from_using(ctx, schema, from)?.0)
}

/// The joins of a FROM clause (each scope table's operator and ON terms), and each one's USING
/// columns (NATURAL ones spelled out; empty for the first table and for joins without USING).
type ResolvedJoins = (Vec<(JoinOperator, Option<Expr>)>, Vec<Vec<String>>);

/// `resolve_from`, also returning each scope table's USING columns.
fn resolve_from_using(ctx: &mut Ctx, schema: &Schema, from: &Option<ast::FromClause>) -> Result<ResolvedJoins> {
    let Some(from) = from else { return Ok((vec![], vec![])) };
    let flat = normalize_from(ctx, schema, from);
    let from = &flat;
    let mut joins = vec![(JoinOperator::Inner, None)];
    let mut usings = vec![vec![]];
    // With a RIGHT or FULL join anywhere, USING columns coalesce across the tables that share them.
    let any_right = from.joins.iter().any(|j| matches!(j.operator, JoinOperator::Right | JoinOperator::Full));
    let mut merges = Vec::new();
    // The first table, when it is a subquery, view or CTE, streams as a co-routine unless a
    // RIGHT or FULL join will scan it a second time.
    add_table(ctx, schema, &from.first, !any_right)?;
    let level_start = *ctx.levels.last().expect("a level");
    for j in &from.joins {
        add_table(ctx, schema, &j.table, false)?;
        let mut on = match &j.constraint {
            None => None,
            Some(ast::JoinConstraint::On(e)) => Some(e.clone()),
            Some(ast::JoinConstraint::Using(_)) => None,
        };
        // NATURAL and USING: each shared column is equal on both sides, and the right side's
        // copy is hidden (from `*` and from unqualified names), as in SQLite.
        let right = ctx.scope.len() - 1;
        let shared: Vec<String> = match (&j.constraint, j.natural) {
            (Some(ast::JoinConstraint::Using(cols)), _) => cols.clone(),
            (_, true) => ctx.scope[right]
                .table
                .columns
                .iter()
                .filter(|c| (level_start..right).any(|l| ctx.scope[l].table.column_index(&c.name).is_some()))
                .map(|c| c.name.clone())
                .collect(),
            _ => vec![],
        };
        for col in &shared {
            let rcol = ctx.scope[right].table.column_index(col).ok_or_else(|| {
                Error::sql(format!("cannot join using column {col} - column not present in both tables"))
            })?;
            let left = super::join::using_left_side(ctx, level_start, right, col, any_right)?;
            let eq = Expr::Binary {
                op: BinaryOp::Eq,
                left: Box::new(left),
                right: Box::new(Expr::Column(ast::ColumnRef {
                    schema: None,
                    table: Some(ctx.scope[right].name.clone()),
                    column: col.clone(),
                    double_quoted: false,
                    pos: Default::default(),
                })),
            };
            on = Some(match on.take() {
                None => eq,
                Some(prev) => Expr::Binary { op: BinaryOp::And, left: Box::new(prev), right: Box::new(eq) },
            });
            super::join::note_using_column(&mut merges, ctx, level_start, right, col, j.operator);
            let cursor = ctx.scope[right].cursor;
            ctx.hidden_columns.push((cursor, rcol));
        }
        joins.push((j.operator, on));
        usings.push(shared);
    }
    super::join::finish_using_merges(ctx, merges);
    Ok((joins, usings))
}

/// The FROM clause with its parenthesized groups as SQLite's parser leaves them (parse.y,
/// `seltablist ::= stl_prefix LP seltablist RP as on_using`):
/// - a group that starts the clause, without an alias, is its tables, spliced in (whatever its
///   joins: the left-deep chain means the same);
/// - a group of one table is that table under the group's alias (the table's own is dropped);
/// - any other group stays a `TableRef::Nested`, compiled as a subquery (`add_nested`), except
///   a group of inner joins of plain tables with distinct column names, joined by an inner join
///   with at most ON and no alias, which is spliced in too: its result and its column names are
///   the same, and the planner may then reorder its tables and use their indexes.
fn normalize_from(ctx: &Ctx, schema: &Schema, from: &ast::FromClause) -> ast::FromClause {
    fn is_inner(j: &ast::Join) -> bool {
        matches!(j.operator, JoinOperator::Comma | JoinOperator::Inner | JoinOperator::Cross)
            && !j.natural
            && !matches!(j.constraint, Some(ast::JoinConstraint::Using(_)))
    }
    // The subquery would rename a repeated column `x:1`; plain tables without repeats keep
    // their names either way.
    let same_names = |group: &ast::FromClause| {
        let mut names = std::collections::HashSet::new();
        std::iter::once(&group.first).chain(group.joins.iter().map(|j| &j.table)).all(|t| {
            let TableRef::Table { name, .. } = t else { return false };
            let shadowed = ctx.ctes.iter().any(|c| c.name.eq_ignore_ascii_case(&name.name))
                || ctx.cte_guards.iter().any(|g| g.name.eq_ignore_ascii_case(&name.name));
            match schema.table(&name.name) {
                Some(table) if !shadowed => table.columns.iter().all(|c| names.insert(c.name.to_ascii_lowercase())),
                _ => false,
            }
        })
    };
    let mut out = match &from.first {
        TableRef::Nested { from: inner, alias: None } => normalize_from(ctx, schema, inner),
        TableRef::Nested { from: inner, alias: Some(a) } if inner.joins.is_empty() => {
            ast::FromClause { first: with_alias(&inner.first, Some(a.clone())), joins: vec![] }
        }
        other => ast::FromClause { first: other.clone(), joins: vec![] },
    };
    for j in &from.joins {
        match &j.table {
            TableRef::Nested { from: inner, alias } if inner.joins.is_empty() => {
                out.joins.push(ast::Join { table: with_alias(&inner.first, alias.clone()), ..j.clone() });
            }
            TableRef::Nested { from: inner, alias: None } if is_inner(j) => {
                let inner = normalize_from(ctx, schema, inner);
                if !inner.joins.iter().all(is_inner) || !same_names(&inner) {
                    out.joins.push(j.clone());
                    continue;
                }
                out.joins.push(ast::Join {
                    operator: j.operator,
                    natural: false,
                    table: inner.first,
                    constraint: None,
                });
                out.joins.extend(inner.joins);
                // The outer ON applies once every table of the group is joined.
                if let Some(ast::JoinConstraint::On(e)) = &j.constraint {
                    let last = out.joins.last_mut().expect("just pushed");
                    last.constraint = Some(ast::JoinConstraint::On(match last.constraint.take() {
                        Some(ast::JoinConstraint::On(prev)) => {
                            Expr::Binary { op: BinaryOp::And, left: Box::new(prev), right: Box::new(e.clone()) }
                        }
                        _ => e.clone(),
                    }));
                }
            }
            _ => out.joins.push(j.clone()),
        }
    }
    out
}

/// `t` under alias `alias` (None: no alias).
fn with_alias(t: &TableRef, alias: Option<String>) -> TableRef {
    let mut t = t.clone();
    match &mut t {
        TableRef::Table { alias: a, .. }
        | TableRef::Subquery { alias: a, .. }
        | TableRef::Function { alias: a, .. }
        | TableRef::Nested { alias: a, .. } => *a = alias,
    }
    t
}

fn add_table(ctx: &mut Ctx, schema: &Schema, t: &TableRef, coroutine: bool) -> Result<()> {
    match t {
        TableRef::Table { name, alias, .. } => {
            if let Some(s) = &name.schema {
                if !s.eq_ignore_ascii_case("main") {
                    return Err(Error::sql(format!("unknown database {s}")));
                }
            }
            let display = alias.clone().unwrap_or_else(|| name.name.clone());
            if name.schema.is_none() {
                // Inside a CTE's own body, its name is the recursive step's current row or an error.
                if let Some(guard) = ctx.cte_guards.iter().rev().find(|g| g.name.eq_ignore_ascii_case(&name.name)) {
                    let shadowed = ctx.ctes[guard.ctes_len.min(ctx.ctes.len())..]
                        .iter()
                        .any(|c| c.name.eq_ignore_ascii_case(&name.name));
                    if !shadowed {
                        return match &guard.bind {
                            Some((id, names)) if guard.level == ctx.levels.len() => {
                                let (id, names) = (*id, names.clone());
                                let table = derived_table(&display, &names, &vec![None; names.len()]);
                                let cursor = ctx.b.alloc_cursor();
                                ctx.scope.push(ScopeTable::eph(table, display, cursor, id));
                                Ok(())
                            }
                            _ => Err(Error::sql(guard.message.replace("%s", &guard.name))),
                        };
                    }
                }
                if let Some(cte) = ctx.ctes.iter().rev().find(|c| c.name.eq_ignore_ascii_case(&name.name)).cloned() {
                    // The CTE sees only the CTEs defined before it.
                    let pos = ctx.ctes.iter().rposition(|c| c.name.eq_ignore_ascii_case(&name.name)).expect("found");
                    let hidden = ctx.ctes.split_off(pos);
                    let r = match recursive_shape(&cte) {
                        Err(e) => Err(e),
                        Ok(Some(shape)) => add_recursive(ctx, schema, &cte, &display, shape),
                        Ok(None) => {
                            ctx.cte_guards.push(super::expr::CteGuard::circular(&cte.name, ctx.ctes.len()));
                            let r = add_derived(ctx, schema, &cte.select, &display, &cte.columns, coroutine);
                            ctx.cte_guards.pop();
                            r
                        }
                    };
                    ctx.ctes.extend(hidden);
                    return r;
                }
            }
            let table = match schema.table(&name.name) {
                Some(t) => t.clone(),
                None => match schema.view(&name.name).cloned() {
                    Some(v) => return add_derived(ctx, schema, &v.select, &display, &v.columns, coroutine),
                    None => {
                        return Err(Error::sql(match &name.schema {
                            Some(db) => format!("no such table: {db}.{}", name.name),
                            None => format!("no such table: {}", name.name),
                        }))
                    }
                },
            };
            let cursor = ctx.b.alloc_cursor();
            ctx.scope.push(ScopeTable::table(table, display, cursor));
            Ok(())
        }
        TableRef::Subquery { select, alias } => {
            let display = alias.clone().unwrap_or_default();
            add_derived(ctx, schema, select, &display, &[], coroutine)
        }
        TableRef::Function { name, .. } => Err(Error::sql(format!("no such table-valued function: {}", name.name))),
        TableRef::Nested { from, alias } => add_nested(ctx, schema, from, alias.as_deref()),
    }
}

/// A subquery, view or CTE in FROM. As the outermost loop (`coroutine`), it runs as a
/// co-routine that hands the loop one row at a time, as SQLite's CO-ROUTINE does; elsewhere its
/// rows are materialized into an ephemeral table before the loops start and scanned like a
/// table, as SQLite's MATERIALIZE.
fn add_derived(
    ctx: &mut Ctx,
    schema: &Schema,
    select: &ast::Select,
    name: &str,
    columns: &[String],
    coroutine: bool,
) -> Result<()> {
    let (source, mut names, decltypes) = if coroutine {
        let (co, names, decltypes) = compile_coroutine(ctx, schema, select, name)?;
        ((None, Some(co.reg), Some(co.regs)), names, decltypes)
    } else {
        if !name.is_empty() {
            let line = ctx.plan_line(format!("MATERIALIZE {name}"));
            ctx.plan_parent.push(line);
        }
        let r = materialize(ctx, schema, select);
        if !name.is_empty() {
            ctx.plan_parent.pop();
        }
        let (id, names, decltypes) = r?;
        ((Some(id), None, None), names, decltypes)
    };
    if !columns.is_empty() {
        if columns.len() != names.len() {
            return Err(Error::sql(format!("table {name} has {} values for {} columns", names.len(), columns.len())));
        }
        names = columns.to_vec();
    }
    let mut table = derived_table(name, &names, &decltypes);
    // SQLite gives the column its result expression's affinity, not its declared type's.
    let affinities = expr::derived_affinities(select, &ctx.member_rules);
    if let Some(t) = Arc::get_mut(&mut table) {
        for (c, aff) in t.columns.iter_mut().zip(affinities) {
            c.affinity = aff.unwrap_or(c.affinity);
            c.no_affinity = aff.is_none();
        }
    }
    let cursor = ctx.b.alloc_cursor();
    let (eph, coroutine, regs) = source;
    ctx.scope.push(ScopeTable { table, name: name.to_string(), cursor, regs, eph, coroutine, nested: None });
    Ok(())
}

/// Where a column of a parenthesized join's subquery reads its value, inside the group.
enum NestedSource {
    /// Column `1` of the scope table with cursor `0`.
    Column(usize, usize),
    /// The rowid of the scope table with this cursor.
    Rowid(usize),
    /// A USING column's merged value.
    Using(Expr),
}

/// A parenthesized join that `normalize_from` left as a group (SQLite's SF_NestedFrom
/// subquery): its rows are materialized into an ephemeral table before the loops start, and its
/// scope entry records where each column came from, so that `b.x`, `*` and unqualified names
/// find the inner tables' columns as SQLite's lookupName and selectExpander do. Without an
/// alias, the entry's name is one no query can spell (its columns are still reachable through
/// the inner tables' names).
fn add_nested(ctx: &mut Ctx, schema: &Schema, from: &ast::FromClause, alias: Option<&str>) -> Result<()> {
    let id = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::EphOpen { id, distinct: false, key: Default::default() });
    // Like any subquery in FROM, the group does not see the tables beside it in this FROM
    // clause (the enclosing queries' tables, it does).
    let start = *ctx.levels.last().expect("a level");
    let siblings = ctx.scope.split_off(start);
    ctx.push_level();
    let r = fill_nested(ctx, schema, from, id);
    ctx.pop_level();
    ctx.scope.extend(siblings);
    let (mut columns, mut nested) = r?;
    // SQLite's sqlite3ColumnsFromExprList: a repeated name gets `:1`, `:2`, ... appended, and a
    // column whose name repeats a USING column's is not part of `*` (COLFLAG_NOEXPAND).
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for k in 0..columns.len() {
        let mut name = columns[k].name.clone();
        let mut count = 0usize;
        // Bounded: each probe adds a new suffix, and at most `k` names are taken.
        while let Some(&holder) = seen.get(&name.to_ascii_lowercase()) {
            if nested[holder].using_term {
                nested[k].no_expand = true;
            }
            let base = match name.rfind(':') {
                Some(p) if p > 0 && p + 1 < name.len() && name[p + 1..].bytes().all(|b| b.is_ascii_digit()) => {
                    &name[..p]
                }
                _ => name.as_str(),
            };
            count += 1;
            name = format!("{base}:{count}");
        }
        seen.insert(name.to_ascii_lowercase(), k);
        columns[k].name = name;
    }
    let cursor = ctx.b.alloc_cursor();
    let name = alias.map(str::to_string).unwrap_or_else(|| format!("\u{1}nested{cursor}"));
    let mut table = derived_table(&name, &[], &[]);
    Arc::get_mut(&mut table).expect("just made").columns = columns;
    ctx.scope.push(ScopeTable {
        table,
        name,
        cursor,
        regs: None,
        eph: Some(id),
        coroutine: None,
        nested: Some(nested.into()),
    });
    Ok(())
}

/// Compiles a group's joins, in a query level of their own, into ephemeral table `id`. Its
/// columns, in SQLite's order: for each table, the USING columns of the join to its right, then
/// the table's columns (a nested group's as it has them), then its rowid (tables with one).
fn fill_nested(
    ctx: &mut Ctx,
    schema: &Schema,
    from: &ast::FromClause,
    id: usize,
) -> Result<(Vec<crate::schema::Column>, Vec<expr::NestedColumn>)> {
    let (mut joins, usings) = resolve_from_using(ctx, schema, &Some(from.clone()))?;
    let level = *ctx.levels.last().expect("a level");
    let mut columns: Vec<crate::schema::Column> = Vec::new();
    let mut nested: Vec<expr::NestedColumn> = Vec::new();
    let mut sources: Vec<NestedSource> = Vec::new();
    let has = |list: &[String], name: &str| list.iter().any(|u| u.eq_ignore_ascii_case(name));
    for i in 0..ctx.scope.len() - level {
        let st = ctx.scope[level + i].clone();
        let next_using: &[String] = usings.get(i + 1).map(Vec::as_slice).unwrap_or(&[]);
        for u in next_using {
            let mut e = Expr::Column(ast::ColumnRef {
                schema: None,
                table: None,
                column: u.clone(),
                double_quoted: false,
                pos: Default::default(),
            });
            super::join::merge_using_names(ctx, &mut e);
            let mut c = derived_table("", std::slice::from_ref(u), &[column_decltype(ctx, &e)]).columns[0].clone();
            c.affinity = expr::declared_affinity(ctx, &e).unwrap_or(c.affinity);
            if let Some((coll, _)) = expr::expr_collation(ctx, &e)? {
                c.collation = coll;
            }
            columns.push(c);
            nested.push(expr::NestedColumn {
                table: None,
                name: u.clone(),
                rowid: false,
                using_term: true,
                no_expand: false,
            });
            sources.push(NestedSource::Using(e));
        }
        for (j, c) in st.table.columns.iter().enumerate() {
            let (table, name, no_expand) = match &st.nested {
                Some(inner) if inner[j].rowid => continue,
                Some(inner) => (inner[j].table.clone(), inner[j].name.clone(), inner[j].no_expand),
                None => (Some(st.name.clone()), c.name.clone(), false),
            };
            let mut c = c.clone();
            c.default = None;
            c.not_null = false;
            c.primary_key = false;
            columns.push(c.clone());
            nested.push(expr::NestedColumn {
                table,
                name,
                rowid: false,
                using_term: false,
                no_expand: no_expand || has(&usings[i], &c.name) || has(next_using, &c.name),
            });
            sources.push(NestedSource::Column(st.cursor, j));
        }
        if st.nested.is_none() && st.eph.is_none() && !st.table.without_rowid {
            // Named as SQLite names it (sqlite3RowidAlias): the first rowid name that is not a
            // column's.
            let shown = ["_ROWID_", "ROWID", "OID"].into_iter().find(|n| st.table.column_index(n).is_none());
            let Some(shown) = shown else { continue };
            let mut c = derived_table("", &[shown.to_string()], &[None]).columns[0].clone();
            c.affinity = crate::vdbe::ops::Affinity::Integer;
            columns.push(c);
            nested.push(expr::NestedColumn {
                table: Some(st.name.clone()),
                name: "rowid".into(),
                rowid: true,
                using_term: false,
                no_expand: true,
            });
            sources.push(NestedSource::Rowid(st.cursor));
        }
    }
    // Unqualified USING names in the ON clauses stand for the columns they read.
    for (_, on) in joins.iter_mut() {
        if let Some(e) = on {
            super::join::merge_using_names(ctx, e);
        }
    }
    open_cursors(ctx, false);
    let width = sources.len();
    let first = ctx.b.alloc_registers(width);
    emit_loops(ctx, &joins, None, &mut |ctx, _| {
        for (k, src) in sources.iter().enumerate() {
            let si = |cursor: usize| ctx.scope.iter().rposition(|st| st.cursor == cursor).expect("in scope");
            match src {
                NestedSource::Column(cursor, j) => {
                    let si = si(*cursor);
                    expr::emit_column(ctx, si, *j, first + k);
                }
                NestedSource::Rowid(cursor) => {
                    let si = si(*cursor);
                    expr::emit_rowid(ctx, si, first + k);
                }
                NestedSource::Using(e) => expr_to_reg(ctx, e, first + k)?,
            }
        }
        ctx.b.emit(Insn::EphInsert { id, start: first, count: width });
        Ok(())
    })?;
    Ok((columns, nested))
}

/// Emits `select` as a co-routine whose every row is left in registers (one per column, then
/// a NULL rowid) and yielded. Returns the co-routine and the result's column names and types.
fn compile_coroutine(
    ctx: &mut Ctx,
    schema: &Schema,
    select: &ast::Select,
    name: &str,
) -> Result<(Coroutine, Vec<String>, Vec<Option<String>>)> {
    let line = (!name.is_empty()).then(|| ctx.plan_line(format!("CO-ROUTINE {name}")));
    let reg = ctx.b.alloc_register();
    let init = ctx.b.emit(Insn::InitCoroutine { reg, target: 0, start: 0 });
    let slot = ctx.coroutine_rows.len();
    ctx.coroutine_rows.push(Vec::new());
    ctx.push_level();
    ctx.dest.push(Dest::Coroutine { reg, slot });
    ctx.plan_parent.extend(line);
    let r = compile_query(ctx, schema, select);
    if line.is_some() {
        ctx.plan_parent.pop();
    }
    ctx.dest.pop();
    ctx.pop_level();
    let (names, decltypes) = r?;
    ctx.b.emit(Insn::EndCoroutine { reg });
    let after = ctx.b.current_addr();
    if let Insn::InitCoroutine { target, start, .. } = &mut ctx.b.insns[init] {
        *target = after;
        *start = init + 1;
    }
    let regs = ctx.b.alloc_registers(names.len() + 1);
    for at in std::mem::take(&mut ctx.coroutine_rows[slot]) {
        if let Insn::SCopy { dest, .. } = &mut ctx.b.insns[at] {
            *dest += regs;
        }
    }
    Ok((Coroutine { reg, regs }, names, decltypes))
}

/// A co-routine's Yield register and the first of its row registers.
struct Coroutine {
    reg: usize,
    regs: usize,
}

/// How a CTE recurses, by SQLite's rule (resolveFromTermToCte): its compound ends in UNION or
/// UNION ALL, and the terms at the end joined by that same operator whose FROM clause names
/// the CTE are the recursive steps; the terms before them are the anchor.
pub(super) struct RecursiveShape {
    /// Index of the first recursive step in `compounds`.
    first_step: usize,
    /// UNION: a row already queued is not queued again.
    distinct: bool,
}

/// The CTE's recursive shape, or None when it does not recurse (then any use of its own name
/// inside it is a circular reference).
fn recursive_shape(cte: &ast::Cte) -> Result<Option<RecursiveShape>> {
    let compounds = &cte.select.body.compounds;
    let Some((last_op, _)) = compounds.last() else { return Ok(None) };
    if !matches!(last_op, ast::CompoundOp::Union | ast::CompoundOp::UnionAll) {
        return Ok(None);
    }
    let mut first_step = None;
    for (i, (op, core)) in compounds.iter().enumerate().rev() {
        if op != last_op {
            break;
        }
        match direct_references(core, &cte.name) {
            0 => break,
            1 => first_step = Some(i),
            _ => return Err(Error::sql(format!("multiple references to recursive table: {}", cte.name))),
        }
    }
    Ok(first_step.map(|first_step| RecursiveShape { first_step, distinct: *last_op == ast::CompoundOp::Union }))
}

/// How many tables of the core's own FROM clause (not its subqueries) are named `name`.
fn direct_references(core: &SelectCore, name: &str) -> usize {
    let SelectCore::Select(s) = core else { return 0 };
    let Some(from) = &s.from else { return 0 };
    std::iter::once(&from.first)
        .chain(from.joins.iter().map(|j| &j.table))
        .filter(
            |t| matches!(t, TableRef::Table { name: n, .. } if n.schema.is_none() && n.name.eq_ignore_ascii_case(name)),
        )
        .count()
}

/// A recursive CTE (SQLite's generateWithRecursiveQuery). The anchor's rows fill a queue: FIFO,
/// or with an ORDER BY a priority queue. Each row taken from the queue is a row of the CTE
/// (after OFFSET, until LIMIT) and is then the one-row table that every recursive step reads
/// the CTE's name as; the steps' rows join the queue (with UNION, only rows never queued
/// before). The CTE's rows are kept, in the order taken, in an ephemeral table.
fn add_recursive(ctx: &mut Ctx, schema: &Schema, cte: &ast::Cte, display: &str, shape: RecursiveShape) -> Result<()> {
    let select = &cte.select;
    let ctes_before = ctx.ctes.len();
    if let Some(with) = &select.with {
        ctx.ctes.extend(with.ctes.iter().cloned());
    }
    let r = recursive_body(ctx, schema, cte, shape);
    ctx.ctes.truncate(ctes_before);
    let (result, names) = r?;
    let table = derived_table(display, &names, &vec![None; names.len()]);
    let cursor = ctx.b.alloc_cursor();
    ctx.scope.push(ScopeTable::eph(table, display.to_string(), cursor, result));
    Ok(())
}

/// Emits the recursion; returns the ephemeral table of the CTE's rows and its column names.
fn recursive_body(
    ctx: &mut Ctx,
    schema: &Schema,
    cte: &ast::Cte,
    shape: RecursiveShape,
) -> Result<(usize, Vec<String>)> {
    let select = &cte.select;
    let body = &select.body;
    let steps = &body.compounds[shape.first_step..];
    let order = compound_order_columns(select, None)?;
    let ordered = !order.is_empty();
    let queue = ctx.b.alloc_cursor();
    let queue_open = ctx.b.current_addr();
    ctx.b.emit(Insn::EphOpen { id: queue, distinct: ordered, key: Default::default() });
    let seen = shape.distinct.then(|| {
        let id = ctx.b.alloc_cursor();
        (ctx.b.emit(Insn::EphOpen { id, distinct: true, key: Default::default() }), id)
    });
    let result = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::EphOpen { id: result, distinct: false, key: Default::default() });
    let seq = ordered.then(|| {
        let r = ctx.b.alloc_register();
        ctx.b.emit(Insn::Integer { value: 0, dest: r });
        r
    });
    let order_index = ctx.queue_orders.len();
    ctx.queue_orders.push(order.iter().map(|k| k.column).collect());
    let dest = Dest::Queue { id: queue, seen: seen.map(|s| s.1), seq, order: order_index };
    let done = ctx.b.new_label();
    let (limit, offset) = limit_registers(ctx, &select.limit)?;
    if let Some(l) = limit {
        ctx.b.emit_jump(Insn::IfNot { reg: l, target: 0, jump_if_null: true }, done);
    }

    // The anchor, where the CTE's own name is a circular reference.
    let anchor = ast::Select {
        with: None,
        body: ast::SelectBody { first: body.first.clone(), compounds: body.compounds[..shape.first_step].to_vec() },
        order_by: vec![],
        limit: None,
    };
    ctx.cte_guards.push(super::expr::CteGuard::circular(&cte.name, ctx.ctes.len()));
    ctx.push_level();
    ctx.dest.push(dest);
    ctx.result_rules.clear();
    let r = compile_query(ctx, schema, &anchor);
    ctx.dest.pop();
    ctx.pop_level();
    ctx.cte_guards.pop();
    let (mut names, _) = r?;
    let mut rules =
        if anchor.body.compounds.is_empty() { vec![ctx.result_rules.clone()] } else { ctx.member_rules.clone() };
    let width = names.len();
    if !cte.columns.is_empty() {
        if cte.columns.len() != width {
            return Err(Error::sql(format!("table {} has {width} values for {} columns", cte.name, cte.columns.len())));
        }
        names = cte.columns.clone();
    }

    // The loop: take a row, output it, run the steps over it.
    let nkeys = order.len();
    let queued = if ordered { nkeys + 1 + width } else { width };
    let regs = ctx.b.alloc_registers(queued.max(1));
    let row = regs + queued - width;
    let top = ctx.b.current_addr();
    ctx.b.emit_jump(Insn::EphPop { id: queue, start: regs, count: queued, target: 0 }, done);
    let run_steps = ctx.b.new_label();
    if let Some(o) = offset {
        ctx.b.emit_jump(Insn::IfPos { reg: o, target: 0, decrement: 1 }, run_steps);
    }
    ctx.b.emit(Insn::EphInsert { id: result, start: row, count: width });
    if let Some(l) = limit {
        ctx.b.emit_jump(Insn::DecrJumpZero { reg: l, target: 0 }, done);
    }
    ctx.b.resolve_label(run_steps);
    let current = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::EphOpen { id: current, distinct: false, key: Default::default() });
    ctx.b.emit(Insn::EphInsert { id: current, start: row, count: width });
    for (op, core) in steps {
        if is_aggregate(core)? {
            return Err(Error::sql("recursive aggregate queries not supported"));
        }
        // The step's own FROM clause reads the current row; a subquery may not.
        ctx.cte_guards.push(super::expr::CteGuard {
            name: cte.name.clone(),
            level: ctx.levels.len() + 1,
            bind: Some((current, names.clone())),
            message: "multiple recursive references: %s",
            ctes_len: ctx.ctes.len(),
        });
        ctx.push_level();
        ctx.dest.push(dest);
        ctx.result_rules.clear();
        let r = compile_simple(ctx, schema, core, &[], &None);
        ctx.dest.pop();
        ctx.pop_level();
        ctx.cte_guards.pop();
        let (step_names, _) = r?;
        if step_names.len() != width {
            return Err(Error::sql(format!(
                "SELECTs to the left and right of {} do not have the same number of result columns",
                compound_op_name(*op)
            )));
        }
        rules.push(ctx.result_rules.clone());
    }
    ctx.b.emit(Insn::Goto { target: top });
    ctx.b.resolve_label(done);

    // The queue and the set of queued rows compare as the compound's columns do: each with
    // the collation of the leftmost term that has one (an ORDER BY term's COLLATE first).
    let collations: Vec<crate::value::Collation> = (0..width)
        .map(|i| rules.iter().find_map(|m| m.get(i).and_then(|r| r.1).map(|(c, _)| c)).unwrap_or_default())
        .collect();
    if let Some(k) = order.iter().find(|k| k.column >= width) {
        return Err(Error::sql(format!(
            "{} ORDER BY term out of range - should be between 1 and {width}",
            ordinal(k.term + 1)
        )));
    }
    if let Some((at, _)) = seen {
        if let Insn::EphOpen { key, .. } = &mut ctx.b.insns[at] {
            *key = crate::vdbe::insn::SortKey {
                collations: collations.clone(),
                desc: vec![false; width],
                nulls_first: vec![None; width],
            };
        }
    }
    if ordered {
        if let Insn::EphOpen { key, .. } = &mut ctx.b.insns[queue_open] {
            *key = crate::vdbe::insn::SortKey {
                collations: order.iter().map(|k| k.collation.unwrap_or(collations[k.column])).collect(),
                desc: order.iter().map(|k| k.desc).collect(),
                nulls_first: order.iter().map(|k| k.nulls_first).collect(),
            };
        }
    }
    Ok((result, names))
}

/// Whether a SELECT is an aggregate query (GROUP BY, or an aggregate function in its result
/// or HAVING).
fn is_aggregate(core: &SelectCore) -> Result<bool> {
    let SelectCore::Select(s) = core else { return Ok(false) };
    if !s.group_by.is_empty() {
        return Ok(true);
    }
    let mut found = Vec::new();
    for c in &s.columns {
        if let ResultColumn::Expr { expr, .. } = c {
            expr::collect_aggregates(expr, &mut found)?;
        }
    }
    if let Some(h) = &s.having {
        expr::collect_aggregates(h, &mut found)?;
    }
    Ok(!found.is_empty())
}

fn compound_op_name(op: ast::CompoundOp) -> &'static str {
    match op {
        ast::CompoundOp::UnionAll => "UNION ALL",
        ast::CompoundOp::Union => "UNION",
        ast::CompoundOp::Except => "EXCEPT",
        ast::CompoundOp::Intersect => "INTERSECT",
    }
}

/// A compound's ORDER BY term as a result column.
pub(super) struct CompoundKey {
    /// The term's position in the ORDER BY (for messages).
    term: usize,
    column: usize,
    /// An explicit COLLATE on the term.
    collation: Option<crate::value::Collation>,
    desc: bool,
    nulls_first: Option<bool>,
}

/// A compound's ORDER BY as result columns, by SQLite's rule (resolveCompoundOrderBy): a term
/// is a column number; else, trying each member left to right, one of its result columns' AS
/// names, or an expression written as one of its result expressions. `names`, the result's
/// column names when known, also match a bare name (a column that `*` expanded to).
fn compound_order_columns(select: &ast::Select, names: Option<&[String]>) -> Result<Vec<CompoundKey>> {
    let members: Vec<&SelectCore> =
        std::iter::once(&select.body.first).chain(select.body.compounds.iter().map(|(_, c)| c)).collect();
    // Expressions compare as SQLite's resolved ones do: a column is the same column however
    // it is qualified or spelled.
    let text = |e: &Expr| {
        let mut e = e.clone();
        super::params::substitute_aliases(&mut e, &|c| {
            Some(Expr::Column(ast::ColumnRef {
                schema: None,
                table: None,
                column: c.column.to_ascii_lowercase(),
                double_quoted: false,
                pos: c.pos,
            }))
        });
        e
    };
    let mut out = Vec::new();
    for (term, t) in select.order_by.iter().enumerate() {
        let (inner, collation) = match &t.expr {
            Expr::Collate { expr, collation } => (
                expr.as_ref(),
                Some(
                    crate::value::Collation::from_name(collation)
                        .ok_or_else(|| Error::MissingCollation(collation.to_string()))?,
                ),
            ),
            e => (e, None),
        };
        let column = match inner {
            Expr::Literal(ast::Literal::Integer(k)) => {
                if *k < 1 || names.is_some_and(|n| *k as usize > n.len()) {
                    return Err(Error::sql(format!(
                        "{} ORDER BY term out of range - should be between 1 and {}",
                        ordinal(term + 1),
                        names.map_or(0, |n| n.len())
                    )));
                }
                Some(*k as usize - 1)
            }
            _ => {
                let bare = match inner {
                    Expr::Column(c) if c.table.is_none() => Some(c.column.as_str()),
                    _ => None,
                };
                let wanted = text(inner);
                members
                    .iter()
                    .find_map(|m| {
                        let columns: Vec<(Option<&str>, &Expr)> = match m {
                            SelectCore::Select(s) => {
                                let mut cols = Vec::new();
                                for c in &s.columns {
                                    match c {
                                        ResultColumn::Expr { expr, alias, .. } => cols.push((alias.as_deref(), expr)),
                                        _ => return None,
                                    }
                                }
                                cols
                            }
                            SelectCore::Values(rows) => rows.first()?.iter().map(|e| (None, e)).collect(),
                        };
                        let by_alias = bare.and_then(|b| {
                            columns.iter().position(|(a, _)| a.is_some_and(|a| a.eq_ignore_ascii_case(b)))
                        });
                        by_alias.or_else(|| columns.iter().position(|(_, e)| text(e) == wanted))
                    })
                    .or_else(|| bare.and_then(|b| names?.iter().position(|n| n.eq_ignore_ascii_case(b))))
            }
        };
        let column = column.ok_or_else(|| {
            Error::sql(format!("{} ORDER BY term does not match any column in the result set", ordinal(term + 1)))
        })?;
        out.push(CompoundKey {
            term,
            column,
            collation,
            desc: t.desc,
            nulls_first: t.nulls.map(|n| n == ast::NullsOrder::First),
        });
    }
    Ok(out)
}

/// Splits a WHERE clause into its AND-ed terms.
pub fn and_terms(e: &Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Binary { op: BinaryOp::And, left, right } => {
            and_terms(left, out);
            and_terms(right, out);
        }
        other => out.push(other.clone()),
    }
}

pub(super) fn refers_to_scope(ctx: &Ctx, e: &Expr, si: usize) -> bool {
    // Conservative: any column reference that could resolve to this table counts.
    let st = &ctx.scope[si];
    fn walk(e: &Expr, st: &ScopeTable, found: &mut bool) {
        match e {
            Expr::Column(c) => {
                let table_ok = c.table.as_ref().map(|t| st.answers_to(t)).unwrap_or(true);
                let in_group = |n: &[expr::NestedColumn]| n.iter().any(|n| n.name.eq_ignore_ascii_case(&c.column));
                if table_ok
                    && (st.table.column_index(&c.column).is_some()
                        || st.nested.as_deref().is_some_and(in_group)
                        || ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(&c.column)))
                {
                    *found = true;
                }
            }
            Expr::Unary { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Collate { expr, .. }
            | Expr::IsNull { expr, .. } => walk(expr, st, found),
            Expr::Binary { left, right, .. } => {
                walk(left, st, found);
                walk(right, st, found);
            }
            Expr::Function(call) => {
                if let ast::FunctionArgs::List(a) = &call.args {
                    a.iter().for_each(|x| walk(x, st, found));
                }
            }
            Expr::IsTruth { expr, .. } => walk(expr, st, found),
            Expr::Between { expr, low, high, .. } => {
                walk(expr, st, found);
                walk(low, st, found);
                walk(high, st, found);
            }
            Expr::Like { expr, pattern, escape, .. } => {
                walk(expr, st, found);
                walk(pattern, st, found);
                if let Some(x) = escape {
                    walk(x, st, found);
                }
            }
            Expr::In { expr, target: ast::InTarget::List(l), .. } => {
                walk(expr, st, found);
                l.iter().for_each(|x| walk(x, st, found));
            }
            Expr::Case { base, whens, else_expr } => {
                if let Some(b) = base {
                    walk(b, st, found);
                }
                for (w, t) in whens {
                    walk(w, st, found);
                    walk(t, st, found);
                }
                if let Some(x) = else_expr {
                    walk(x, st, found);
                }
            }
            Expr::Row(items) => items.iter().for_each(|x| walk(x, st, found)),
            Expr::Literal(_) | Expr::Param(_) => {}
            // Subqueries may read any table in scope: assume they read this one.
            _ => *found = true,
        }
    }
    let mut found = false;
    walk(e, st, &mut found);
    found
}

/// Opens read cursors for the tables of the innermost query level.
pub fn open_cursors(ctx: &mut Ctx, write: bool) {
    let start = *ctx.levels.last().expect("a level");
    let tables: Vec<ScopeTable> = ctx.scope[start..].to_vec();
    for st in tables {
        if let Some(id) = st.eph {
            ctx.b.emit(Insn::EphScan { cursor: st.cursor, id });
            continue;
        }
        if st.coroutine.is_some() {
            continue;
        }
        let info = table_cursor_info(&st.table);
        if write {
            ctx.b.emit(Insn::OpenWrite { cursor: st.cursor, root: st.table.root, db: 0, info });
        } else {
            ctx.b.emit(Insn::OpenRead { cursor: st.cursor, root: st.table.root, db: 0, info });
        }
    }
}

pub fn table_cursor_info(t: &Table) -> CursorInfo {
    if t.without_rowid {
        let mut k = crate::storage::record::KeyInfo::new(t.primary_key.len(), Default::default());
        for (i, (_, coll, desc)) in t.primary_key.iter().enumerate() {
            k.collations[i] = *coll;
            k.desc[i] = *desc;
        }
        CursorInfo::Index(k)
    } else {
        CursorInfo::Table { columns: t.columns.len() }
    }
}

/// The result columns of a simple select, with `*` expanded.
pub fn expand_columns(ctx: &Ctx, columns: &[ResultColumn], level_start: usize) -> Result<Vec<OutColumn>> {
    let level = &ctx.scope[level_start..];
    let mut out = Vec::new();
    for rc in columns {
        match rc {
            ResultColumn::Expr { expr, alias, text } => {
                let (name, decltype) = match (alias, expr) {
                    (Some(a), _) => (a.clone(), column_decltype(ctx, expr)),
                    (None, Expr::Column(c)) => {
                        // SQLite names a plain column reference by the column's declared name
                        // (a parenthesized join's column by its de-duplicated name).
                        let mut name = c.column.clone();
                        let group_column = match expr::resolve_column(ctx, c) {
                            Ok(Some((si, Some(col)))) if ctx.scope[si].nested.is_some() => Some((si, col)),
                            _ => None,
                        };
                        if let Some((si, col)) = group_column {
                            name = ctx.scope[si].table.columns[col].name.clone();
                        }
                        for st in level.iter().filter(|_| group_column.is_none()) {
                            if c.table.as_ref().map(|t| t.eq_ignore_ascii_case(&st.name)).unwrap_or(true) {
                                if let Some(i) = st.table.column_index(&c.column) {
                                    name = st.table.columns[i].name.clone();
                                    break;
                                }
                            }
                        }
                        (name, column_decltype(ctx, expr))
                    }
                    (None, _) => (text.clone(), None),
                };
                out.push(OutColumn { name, decltype, expr: expr.clone() });
            }
            ResultColumn::Star => {
                if level.is_empty() {
                    return Err(Error::sql("no tables specified"));
                }
                for st in level {
                    push_table_columns(ctx, st, &mut out, None, level.len() == 1);
                }
            }
            ResultColumn::TableStar(t) => {
                // A parenthesized join gives `t.*` the columns of its inner table `t` (not its
                // own alias: SQLite's selectExpander matches those by origin only).
                let before = out.len();
                let mut seen = false;
                for st in level {
                    if st.nested.is_some() {
                        push_table_columns(ctx, st, &mut out, Some(t), level.len() == 1);
                    } else if !seen && st.name.eq_ignore_ascii_case(t) {
                        seen = true;
                        push_table_columns(ctx, st, &mut out, Some(t), false);
                    }
                }
                if out.len() == before && !seen {
                    return Err(Error::sql(format!("no such table: {t}")));
                }
            }
        }
    }
    Ok(out)
}

/// A table's columns for `*` (`table` None: without the copies a USING/NATURAL join hides) or
/// `t.*` (all of them). For a parenthesized join, `*` leaves out its USING copies and rowids,
/// and `t.*` takes the columns of inner table `t`; as in SQLite, with no other table in the
/// FROM clause each column is then read by its bare name (which may be ambiguous).
fn push_table_columns(ctx: &Ctx, st: &ScopeTable, out: &mut Vec<OutColumn>, table: Option<&str>, alone: bool) {
    let skip_hidden = table.is_none();
    for (i, c) in st.table.columns.iter().enumerate() {
        if skip_hidden && ctx.hidden_columns.contains(&(st.cursor, i)) {
            continue;
        }
        if let Some(n) = st.nested.as_deref().map(|n| &n[i]) {
            let shown = match table {
                None => !n.no_expand,
                Some(t) => !n.rowid && n.table.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(t)),
            };
            if !shown {
                continue;
            }
        }
        // `*` reads a USING column as its unqualified name does (RIGHT and FULL joins change it).
        if let Some(e) = skip_hidden.then(|| super::join::using_replacement(ctx, st.cursor, i)).flatten() {
            out.push(OutColumn { name: c.name.clone(), decltype: column_decltype(ctx, &e), expr: e });
            continue;
        }
        let qualifier = (st.nested.is_none() || !alone).then(|| st.name.clone());
        out.push(OutColumn {
            name: c.name.clone(),
            decltype: Some(c.decl_type.clone()).filter(|d| !d.is_empty()),
            expr: Expr::Column(ast::ColumnRef {
                schema: None,
                table: qualifier,
                column: c.name.clone(),
                double_quoted: false,
                pos: Default::default(),
            }),
        });
    }
}

fn column_decltype(ctx: &Ctx, e: &Expr) -> Option<String> {
    let Expr::Column(c) = e else { return None };
    if let Ok(Some((si, Some(col)))) = expr::resolve_column(ctx, c) {
        if ctx.scope[si].nested.is_some() {
            let d = &ctx.scope[si].table.columns[col].decl_type;
            return (!d.is_empty()).then(|| d.clone());
        }
    }
    for st in ctx.scope.iter().rev() {
        if c.table.as_ref().map(|t| t.eq_ignore_ascii_case(&st.name)).unwrap_or(true) {
            if let Some(i) = st.table.column_index(&c.column) {
                let d = &st.table.columns[i].decl_type;
                return (!d.is_empty()).then(|| d.clone());
            }
        }
    }
    None
}

/// Compiles a SELECT statement that outputs rows.
/// Compiles a top-level SELECT whose rows are the statement's output.
pub fn compile_select(
    ctx: &mut Ctx,
    schema: &Schema,
    select: &ast::Select,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    compile_query(ctx, schema, select)
}

/// Compiles a query (WITH, compound, simple) sending its rows to the current destination.
/// Aggregate state is per query: a nested query saves and restores its container's.
pub fn compile_query(
    ctx: &mut Ctx,
    schema: &Schema,
    select: &ast::Select,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    let saved_aggs = (ctx.aggs.take(), ctx.in_agg_output);
    let ctes_before = ctx.ctes.len();
    if let Some(with) = &select.with {
        ctx.ctes.extend(with.ctes.iter().cloned());
    }
    let r = if select.body.compounds.is_empty() {
        compile_simple(ctx, schema, &select.body.first, &select.order_by, &select.limit)
    } else {
        compile_compound(ctx, schema, select)
    };
    ctx.ctes.truncate(ctes_before);
    ctx.aggs = saved_aggs.0;
    ctx.in_agg_output = saved_aggs.1;
    r
}

/// Sends one row (registers start..start+count) to the current destination.
pub fn emit_row(ctx: &mut Ctx, start: usize, count: usize) {
    match ctx.emit_row_dest() {
        Dest::Output => {
            ctx.b.emit(Insn::ResultRow { start, count });
        }
        Dest::Scalar { reg, width, done } => {
            for i in 0..count.min(width) {
                ctx.b.emit(Insn::SCopy { src: start + i, dest: reg + i });
            }
            ctx.b.emit_jump(Insn::Goto { target: 0 }, done);
        }
        Dest::Exists { reg, done } => {
            ctx.b.emit(Insn::Integer { value: 1, dest: reg });
            ctx.b.emit_jump(Insn::Goto { target: 0 }, done);
        }
        Dest::Eph { id } => {
            ctx.b.emit(Insn::EphInsert { id, start, count });
        }
        Dest::Discard => {}
        Dest::Coroutine { reg, slot } => {
            for i in 0..count {
                // The row registers are allocated once the co-routine's width is known.
                let at = ctx.b.emit(Insn::SCopy { src: start + i, dest: i });
                ctx.coroutine_rows[slot].push(at);
            }
            ctx.b.emit(Insn::Yield { reg, target: 0 });
        }
        Dest::Queue { id, seen, seq, order } => {
            let skip = ctx.b.new_label();
            if let Some(seen) = seen {
                ctx.b.emit_jump(Insn::EphFound { id: seen, start, count, target: 0 }, skip);
                ctx.b.emit(Insn::EphInsert { id: seen, start, count });
            }
            match seq {
                None => {
                    ctx.b.emit(Insn::EphInsert { id, start, count });
                }
                Some(seq) => {
                    let keys = ctx.queue_orders[order].clone();
                    let row = ctx.b.alloc_registers(keys.len() + 1 + count);
                    for (i, k) in keys.iter().enumerate() {
                        ctx.b.emit(Insn::SCopy { src: start + k, dest: row + i });
                    }
                    let one = ctx.b.alloc_register();
                    ctx.b.emit(Insn::Integer { value: 1, dest: one });
                    ctx.b.emit(Insn::Arith { op: crate::vdbe::ops::ArithOp::Add, lhs: seq, rhs: one, dest: seq });
                    ctx.b.emit(Insn::SCopy { src: seq, dest: row + keys.len() });
                    for i in 0..count {
                        ctx.b.emit(Insn::SCopy { src: start + i, dest: row + keys.len() + 1 + i });
                    }
                    ctx.b.emit(Insn::EphInsert { id, start: row, count: keys.len() + 1 + count });
                }
            }
            ctx.b.resolve_label(skip);
        }
    }
}

/// Computes the result columns into `out..`, then skips duplicates (DISTINCT) and OFFSET
/// rows, emits the row and counts it against LIMIT (jumping to `end` when reached).
fn output_row(
    ctx: &mut Ctx,
    cols: &[OutColumn],
    out: usize,
    distinct: Option<usize>,
    (offset_reg, limit_reg): (Option<usize>, Option<usize>),
    skip: Label,
    end: Label,
) -> Result<()> {
    for (i, c) in cols.iter().enumerate() {
        expr_to_reg(ctx, &c.expr, out + i)?;
    }
    distinct_check(ctx, distinct, out, cols.len(), skip);
    if let Some(o) = offset_reg {
        ctx.b.emit_jump(Insn::IfPos { reg: o, target: 0, decrement: 1 }, skip);
    }
    emit_row(ctx, out, cols.len());
    if let Some(l) = limit_reg {
        ctx.b.emit_jump(Insn::DecrJumpZero { reg: l, target: 0 }, end);
    }
    Ok(())
}

/// DISTINCT: jumps to `skip` when the row was seen before, else remembers it.
fn distinct_check(ctx: &mut Ctx, distinct: Option<usize>, start: usize, count: usize, skip: Label) {
    if let Some(id) = distinct {
        ctx.b.emit_jump(Insn::EphFound { id, start, count, target: 0 }, skip);
        ctx.b.emit(Insn::EphInsert { id, start, count });
    }
}

/// The set a DISTINCT query remembers its rows in; rows compare with each result column's
/// collation, as SQLite's ephemeral index does.
fn open_distinct(ctx: &mut Ctx, on: bool, cols: &[OutColumn]) -> Option<usize> {
    on.then(|| {
        let collations: Vec<_> = cols
            .iter()
            .map(|c| expr::expr_collation(ctx, &c.expr).ok().flatten().map(|(c, _)| c).unwrap_or_default())
            .collect();
        let n = collations.len();
        let key = crate::vdbe::insn::SortKey { collations, desc: vec![false; n], nulls_first: vec![None; n] };
        let id = ctx.b.alloc_cursor();
        ctx.b.emit(Insn::EphOpen { id, distinct: true, key });
        id
    })
}

/// A compound SELECT, left to right: the running result is an ephemeral table, a set once a
/// UNION, INTERSECT or EXCEPT has applied (rows then come out in sorted order, as SQLite's do),
/// a bag while only UNION ALL has.
fn compile_compound(
    ctx: &mut Ctx,
    schema: &Schema,
    select: &ast::Select,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    let first_distinct = !matches!(select.body.compounds.first(), Some((ast::CompoundOp::UnionAll, _)));
    let cur = ctx.b.alloc_cursor();
    // The sets' keys compare each column with SQLite's compound collation (the leftmost term
    // that has one), known once every term is compiled: the EphOpens are patched then.
    let mut opens = vec![ctx.b.current_addr()];
    ctx.b.emit(Insn::EphOpen { id: cur, distinct: first_distinct, key: Default::default() });
    ctx.dest.push(Dest::Eph { id: cur });
    // EXPLAIN QUERY PLAN: SQLite's lines for a compound run through temp B-trees (with ORDER BY
    // SQLite merges sorted members instead, which Brisk does not: no lines then).
    let explain = select.order_by.is_empty();
    // Each member's lines go under its own line, all under COMPOUND QUERY.
    let compound_line = explain.then(|| ctx.plan_line("COMPOUND QUERY".into()));
    ctx.plan_parent.extend(compound_line);
    let member_line = explain.then(|| ctx.plan_line("LEFT-MOST SUBQUERY".into()));
    ctx.plan_parent.extend(member_line);
    ctx.push_level();
    ctx.result_rules.clear();
    let first = compile_simple(ctx, schema, &select.body.first, &[], &None);
    if explain {
        ctx.plan_parent.pop();
    }
    ctx.pop_level();
    ctx.dest.pop();
    let (names, decltypes) = first?;
    let mut members = vec![ctx.result_rules.clone()];
    let mut collations: Vec<Option<crate::value::Collation>> =
        (0..names.len()).map(|i| ctx.result_rules.get(i).and_then(|r| r.1).map(|(c, _)| c)).collect();
    for (op, core) in &select.body.compounds {
        let target = match op {
            ast::CompoundOp::UnionAll => {
                ctx.b.emit(Insn::EphConvert { id: cur, distinct: false });
                cur
            }
            ast::CompoundOp::Union => {
                ctx.b.emit(Insn::EphConvert { id: cur, distinct: true });
                cur
            }
            ast::CompoundOp::Except | ast::CompoundOp::Intersect => {
                let tmp = ctx.b.alloc_cursor();
                opens.push(ctx.b.current_addr());
                ctx.b.emit(Insn::EphOpen { id: tmp, distinct: true, key: Default::default() });
                tmp
            }
        };
        // EXCEPT from nothing is nothing: SQLite does not run the right-hand SELECT then (so its
        // errors never happen).
        let skip_right = (*op == ast::CompoundOp::Except).then(|| {
            let skip = ctx.b.new_label();
            ctx.b.emit_jump(Insn::EphEmpty { id: cur, target: 0 }, skip);
            skip
        });
        if explain {
            let line = ctx.plan_line(
                match op {
                    ast::CompoundOp::UnionAll => "UNION ALL",
                    ast::CompoundOp::Union => "UNION USING TEMP B-TREE",
                    ast::CompoundOp::Except => "EXCEPT USING TEMP B-TREE",
                    ast::CompoundOp::Intersect => "INTERSECT USING TEMP B-TREE",
                }
                .into(),
            );
            ctx.plan_parent.push(line);
        }
        ctx.dest.push(Dest::Eph { id: target });
        ctx.push_level();
        ctx.result_rules.clear();
        let r = compile_simple(ctx, schema, core, &[], &None);
        if explain {
            ctx.plan_parent.pop();
        }
        ctx.pop_level();
        ctx.dest.pop();
        let (n2, _) = r?;
        members.push(ctx.result_rules.clone());
        if n2.len() != names.len() {
            let opname = match op {
                ast::CompoundOp::UnionAll => "UNION ALL",
                ast::CompoundOp::Union => "UNION",
                ast::CompoundOp::Except => "EXCEPT",
                ast::CompoundOp::Intersect => "INTERSECT",
            };
            return Err(Error::sql(format!(
                "SELECTs to the left and right of {opname} do not have the same number of result columns"
            )));
        }
        for (i, c) in collations.iter_mut().enumerate() {
            if c.is_none() {
                *c = ctx.result_rules.get(i).and_then(|r| r.1).map(|(c, _)| c);
            }
        }
        if target != cur {
            ctx.b.emit(Insn::EphCombine { id: cur, other: target, intersect: *op == ast::CompoundOp::Intersect });
        }
        if let Some(skip) = skip_right {
            ctx.b.resolve_label(skip);
        }
    }
    if explain {
        ctx.plan_parent.pop();
    }
    let collations: Vec<_> = collations.into_iter().map(Option::unwrap_or_default).collect();
    let n = collations.len();
    let key = crate::vdbe::insn::SortKey { collations, desc: vec![false; n], nulls_first: vec![None; n] };
    for at in opens {
        if let Insn::EphOpen { key: k, .. } = &mut ctx.b.insns[at] {
            *k = key.clone();
        }
    }
    // Read the result back as a derived table, so ORDER BY can name its columns. The table's
    // columns have positional names (the result's may repeat); the result names are aliases.
    ctx.push_level();
    let positional: Vec<String> = (0..names.len()).map(|i| format!("\u{1}{i}")).collect();
    let mut table = derived_table("", &positional, &decltypes);
    // ORDER BY sorts each column with its compound collation.
    if let Some(t) = Arc::get_mut(&mut table) {
        for (c, coll) in t.columns.iter_mut().zip(&key.collations) {
            c.collation = *coll;
        }
    }
    let cursor = ctx.b.alloc_cursor();
    ctx.scope.push(ScopeTable::eph(table.clone(), String::new(), cursor, cur));
    let columns: Vec<ResultColumn> = names
        .iter()
        .zip(&positional)
        .map(|(n, p)| ResultColumn::Expr {
            expr: Expr::Column(ast::ColumnRef {
                schema: None,
                table: None,
                column: p.clone(),
                double_quoted: false,
                pos: Default::default(),
            }),
            alias: Some(n.clone()),
            text: n.clone(),
        })
        .collect();
    let core = ast::SimpleSelect {
        distinct: false,
        columns,
        from: None,
        where_clause: None,
        group_by: vec![],
        having: None,
        windows: vec![],
    };
    // ORDER BY terms name result columns only, by number, alias or expression (SQLite's
    // resolveCompoundOrderBy); they reach the output loop as column numbers.
    let order_by: Vec<ast::OrderingTerm> = compound_order_columns(select, Some(&names))?
        .into_iter()
        .zip(&select.order_by)
        .map(|(k, t)| {
            let number = Expr::Literal(ast::Literal::Integer(k.column as i64 + 1));
            let expr = match &t.expr {
                Expr::Collate { collation, .. } => {
                    Expr::Collate { expr: Box::new(number), collation: collation.clone() }
                }
                _ => number,
            };
            ast::OrderingTerm { expr, desc: k.desc, nulls: t.nulls }
        })
        .collect();
    let r = compile_simple_over_scope(ctx, &core, &order_by, &select.limit, true);
    ctx.pop_level();
    r?;
    ctx.member_rules = members;
    Ok((names, decltypes))
}

/// A table describing the rows of a subquery, view or CTE.
pub fn derived_table(name: &str, names: &[String], decltypes: &[Option<String>]) -> Arc<Table> {
    let columns = names
        .iter()
        .zip(decltypes)
        .map(|(n, d)| crate::schema::Column {
            name: n.clone(),
            decl_type: d.clone().unwrap_or_default(),
            affinity: d.as_deref().map(crate::vdbe::ops::Affinity::from_decl_type).unwrap_or_default(),
            not_null: false,
            default: None,
            default_text: None,
            collation: Default::default(),
            primary_key: false,
            not_null_conflict: None,
            no_affinity: false,
            no_collation: false,
        })
        .collect();
    Arc::new(Table {
        name: name.to_string(),
        root: 0,
        columns,
        rowid_alias: None,
        without_rowid: false,
        autoincrement: false,
        primary_key: vec![],
        key_conflict: None,
        checks: vec![],
        sql: String::new(),
        indexes: vec![],
    })
}

/// Compiles a query into ephemeral table rows (a bag) and returns its column names and types.
pub fn materialize(
    ctx: &mut Ctx,
    schema: &Schema,
    select: &ast::Select,
) -> Result<(usize, Vec<String>, Vec<Option<String>>)> {
    let id = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::EphOpen { id, distinct: false, key: Default::default() });
    ctx.push_level();
    ctx.dest.push(Dest::Eph { id });
    let r = compile_query(ctx, schema, select);
    ctx.dest.pop();
    ctx.pop_level();
    let (names, decltypes) = r?;
    Ok((id, names, decltypes))
}

/// A simple SELECT or VALUES with its ORDER BY and LIMIT.
fn compile_simple(
    ctx: &mut Ctx,
    schema: &Schema,
    core: &SelectCore,
    order_by: &[ast::OrderingTerm],
    limit: &Option<ast::Limit>,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    let core = match core {
        SelectCore::Select(s) => s.as_ref(),
        SelectCore::Values(rows) => return compile_values(ctx, rows, order_by, limit),
    };
    if super::window::has_windows(core, order_by) {
        return super::window::compile_windowed(ctx, schema, core, order_by, limit);
    }
    resolve_from_into_scope(ctx, schema, core)?;
    compile_simple_over_scope(ctx, core, order_by, limit, false)
}

pub(super) fn resolve_from_into_scope(ctx: &mut Ctx, schema: &Schema, core: &ast::SimpleSelect) -> Result<()> {
    let joins = resolve_from(ctx, schema, &core.from)?;
    ctx.pending_joins = joins;
    Ok(())
}

/// The body of a simple SELECT once its FROM tables are in scope. Afterwards
/// `ctx.result_rules` holds its result columns' affinities and collations.
pub(super) fn compile_simple_over_scope(
    ctx: &mut Ctx,
    core: &ast::SimpleSelect,
    order_by: &[ast::OrderingTerm],
    limit: &Option<ast::Limit>,
    from_compound: bool,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    let level_start = *ctx.levels.last().expect("a level");
    let rules: Vec<_> = expand_columns(ctx, &core.columns, level_start)
        .map(|cols| {
            cols.iter()
                .map(|c| (expr::declared_affinity(ctx, &c.expr), expr::expr_collation(ctx, &c.expr).ok().flatten()))
                .collect()
        })
        .unwrap_or_default();
    let r = compile_simple_body(ctx, core, order_by, limit, from_compound)?;
    // A compound's final pass reads its members' rows back; the rules stay the last member's.
    if !from_compound {
        ctx.member_rules = vec![rules.clone()];
        ctx.result_rules = rules;
    }
    Ok(r)
}

fn compile_simple_body(
    ctx: &mut Ctx,
    core: &ast::SimpleSelect,
    order_by: &[ast::OrderingTerm],
    limit: &Option<ast::Limit>,
    from_compound: bool,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    let mut select = ast::Select {
        with: None,
        body: ast::SelectBody { first: SelectCore::Select(Box::new(core.clone())), compounds: vec![] },
        order_by: order_by.to_vec(),
        limit: limit.clone(),
    };
    let mut joins =
        if from_compound { vec![(JoinOperator::Inner, None)] } else { std::mem::take(&mut ctx.pending_joins) };
    let level_start = *ctx.levels.last().expect("a level");
    let mut cols = expand_columns(ctx, &core.columns, level_start)?;
    // Result aliases used in WHERE, GROUP BY, HAVING and ORDER BY stand for their expressions.
    let mut core = with_aliases_resolved(ctx, core)?;
    // Unqualified USING columns of RIGHT and FULL joins stand for the columns they read.
    if !ctx.using_merged.is_empty() {
        let merge = |ctx: &Ctx, e: &mut Expr| super::join::merge_using_names(ctx, e);
        cols.iter_mut().for_each(|c| merge(ctx, &mut c.expr));
        joins.iter_mut().filter_map(|(_, on)| on.as_mut()).for_each(|e| merge(ctx, e));
        core.where_clause.iter_mut().for_each(|e| merge(ctx, e));
        core.group_by.iter_mut().for_each(|e| merge(ctx, e));
        core.having.iter_mut().for_each(|e| merge(ctx, e));
        select.order_by.iter_mut().for_each(|t| merge(ctx, &mut t.expr));
    }
    let select = &select;
    // The loop order of an inner join is the planner's choice (after `*` took the FROM order).
    let joins = reorder_inner_joins(ctx, joins, &mut core);
    let core = &core;
    let distinct = open_distinct(ctx, core.distinct, &cols);
    let names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
    let decltypes: Vec<Option<String>> = cols.iter().map(|c| c.decltype.clone()).collect();

    // LIMIT and OFFSET.
    let (limit_reg, offset_reg) = limit_registers(ctx, &select.limit)?;
    let end = ctx.b.new_label();
    if let Some(l) = limit_reg {
        ctx.b.emit_jump(Insn::IfNot { reg: l, target: 0, jump_if_null: true }, end);
    }

    let mut agg_calls = Vec::new();
    for c in &cols {
        expr::collect_aggregates(&c.expr, &mut agg_calls)?;
    }
    if let Some(h) = &core.having {
        expr::collect_aggregates(h, &mut agg_calls)?;
    }
    if let Some(w) = &core.where_clause {
        let mut in_where = Vec::new();
        expr::collect_aggregates(w, &mut in_where)?;
        if let Some(a) = in_where.first() {
            // An aggregate written in WHERE is "misuse of aggregate function"; one a result
            // column's alias brought there (the same call, at the same place) is "misuse of
            // aggregate". Either way SQLite points at the call.
            let from_alias = a.pos.0.is_some() && agg_calls.iter().any(|c| c.pos.0 == a.pos.0);
            let message = if from_alias { "misuse of aggregate:" } else { "misuse of aggregate function" };
            return Err(Error::sql_at(format!("{message} {}()", a.name), a.pos.0));
        }
    }

    if core.group_by.is_empty() && core.having.is_some() {
        // Without GROUP BY, HAVING is allowed only when the result columns aggregate.
        let mut in_columns = Vec::new();
        for c in &cols {
            expr::collect_aggregates(&c.expr, &mut in_columns)?;
        }
        if in_columns.is_empty() {
            return Err(Error::sql("HAVING clause on a non-aggregate query"));
        }
    }
    if !core.group_by.is_empty() {
        for t in &select.order_by {
            expr::collect_aggregates(&t.expr, &mut agg_calls)?;
        }
        let grouped = Grouped { core, select, cols: &cols, agg_calls, limit_reg, offset_reg, end, distinct };
        compile_grouped(ctx, &joins, grouped)?;
        ctx.b.resolve_label(end);
        return Ok((names, decltypes));
    }
    if agg_calls.is_empty() {
        if core.having.is_some() {
            return Err(Error::sql("a GROUP BY clause is required before HAVING"));
        }
        open_cursors(ctx, false);
        if !select.order_by.is_empty() {
            let keys = order_by_terms(ctx, &select.order_by, &core.columns, &cols)?;
            emit_sorted(ctx, &joins, core.where_clause.as_ref(), &cols, &keys, (limit_reg, offset_reg, end), distinct)?;
            ctx.b.resolve_label(end);
            return Ok((names, decltypes));
        }
        let first = ctx.b.alloc_registers(cols.len());
        emit_loops(ctx, &joins, core.where_clause.as_ref(), &mut |ctx, skip| {
            output_row(ctx, &cols, first, distinct, (offset_reg, limit_reg), skip, end)
        })?;
        ctx.b.resolve_label(end);
        return Ok((names, decltypes));
    }

    // An aggregate query without GROUP BY: one output row.
    let mut aggs = Vec::new();
    for call in agg_calls {
        let argc = call.args.count();
        let FunctionLookup::Aggregate(func) = functions::lookup(&call.name, argc) else {
            unreachable!("collected as aggregate")
        };
        let acc_reg = ctx.b.alloc_register();
        aggs.push(AggInfo { expr: call, func, acc_reg });
    }
    let count_only = ctx.scope.len() == level_start + 1
        && ctx.scope[level_start].eph.is_none()
        && ctx.scope[level_start].coroutine.is_none()
        && core.where_clause.is_none()
        && core.having.is_none()
        && aggs.len() == 1
        && aggs[0].func.kind == functions::aggregate::AggKind::CountStar
        && aggs[0].expr.filter.is_none()
        && cols.len() == 1
        && matches!(cols[0].expr, Expr::Function(_));
    ctx.aggs = Some(aggs.clone());
    if count_only {
        // SELECT count(*) FROM t: OP_Count reads the tree's cell counts without decoding rows.
        let st = ctx.scope[level_start].clone();
        ctx.b.emit(Insn::OpenRead {
            cursor: st.cursor,
            root: st.table.root,
            db: 0,
            info: table_cursor_info(&st.table),
        });
        ctx.b.emit(Insn::Count { cursor: st.cursor, dest: aggs[0].acc_reg });
        ctx.b.emit(Insn::Close { cursor: st.cursor });
    } else {
        for a in &aggs {
            ctx.b.emit(Insn::Null { dest: a.acc_reg, end: a.acc_reg });
        }
        open_cursors(ctx, false);
        // Bare columns (outside aggregates) read the row SQLite picks: the one that set a min()
        // or max(), else the first. Their values are saved into one register block per table
        // and read back from there at output.
        let level_start = *ctx.levels.last().expect("a level");
        let mut bare_refs = Vec::new();
        for c in &cols {
            expr::collect_bare_columns(&c.expr, &mut bare_refs);
        }
        if let Some(h) = &core.having {
            expr::collect_bare_columns(h, &mut bare_refs);
        }
        let mut bare: Vec<(usize, Option<usize>, ast::ColumnRef)> = Vec::new();
        for c in bare_refs {
            // A name from a subquery may not resolve here: it names the subquery's tables.
            if let Ok(Some((si, col))) = expr::resolve_column(ctx, &c) {
                if si >= level_start && !bare.iter().any(|(s, k, _)| *s == si && *k == col) {
                    bare.push((si, col, c));
                }
            }
        }
        let mut bases = vec![0; ctx.scope.len()];
        for (si, base) in bases.iter_mut().enumerate().skip(level_start) {
            let width = ctx.scope[si].table.columns.len() + 1;
            *base = ctx.b.alloc_registers(width);
            ctx.b.emit(Insn::Null { dest: *base, end: *base + width - 1 });
        }
        let bare_reg = |ctx: &Ctx, si: usize, col: Option<usize>| match col {
            Some(c) => bases[si] + c,
            None => bases[si] + ctx.scope[si].table.columns.len(),
        };
        let min_max = aggs.iter().any(|a| a.func.kind.is_min_max());
        let first_row = ctx.b.alloc_register();
        ctx.b.emit(Insn::Integer { value: 1, dest: first_row });
        let aggs2 = aggs.clone();
        emit_loops(ctx, &joins, core.where_clause.as_ref(), &mut |ctx, _skip| {
            for a in &aggs2 {
                expr::emit_agg_step(ctx, a)?;
            }
            if !bare.is_empty() {
                let keep = ctx.b.new_label();
                if min_max {
                    ctx.b.emit_jump(Insn::IfMinMaxSkipped { target: 0 }, keep);
                } else {
                    ctx.b.emit_jump(Insn::IfNot { reg: first_row, target: 0, jump_if_null: true }, keep);
                }
                for (si, col, c) in &bare {
                    let dest = bare_reg(ctx, *si, *col);
                    expr_to_reg(ctx, &Expr::Column(c.clone()), dest)?;
                }
                ctx.b.emit(Insn::Integer { value: 0, dest: first_row });
                ctx.b.resolve_label(keep);
            }
            Ok(())
        })?;
        for (st, base) in ctx.scope.iter_mut().zip(&bases).skip(level_start) {
            st.regs = Some(*base);
        }
        for a in &aggs {
            ctx.b.emit(Insn::AggFinal { acc: a.acc_reg, argc: 0, func: a.func.clone() });
        }
        ctx.in_agg_output = true;
        let first = ctx.b.alloc_registers(cols.len());
        let skip = ctx.b.new_label();
        if let Some(h) = &core.having {
            cond_jump(ctx, h, skip)?;
        }
        if let Some(o) = offset_reg {
            ctx.b.emit_jump(Insn::IfPos { reg: o, target: 0, decrement: 1 }, skip);
        }
        for (i, c) in cols.iter().enumerate() {
            expr_to_reg(ctx, &c.expr, first + i)?;
        }
        emit_row(ctx, first, cols.len());
        ctx.b.resolve_label(skip);
        ctx.b.resolve_label(end);
        return Ok((names, decltypes));
    }
    ctx.in_agg_output = true;
    let first = ctx.b.alloc_registers(cols.len());
    let skip = ctx.b.new_label();
    if let Some(o) = offset_reg {
        ctx.b.emit_jump(Insn::IfPos { reg: o, target: 0, decrement: 1 }, skip);
    }
    for (i, c) in cols.iter().enumerate() {
        expr_to_reg(ctx, &c.expr, first + i)?;
    }
    emit_row(ctx, first, cols.len());
    ctx.b.resolve_label(skip);
    ctx.b.resolve_label(end);
    Ok((names, decltypes))
}

/// Orders the tables of an inner join (comma, JOIN, INNER JOIN: no LEFT, no CROSS, which
/// fixes the order in SQLite too) so that each next table is the one the most WHERE terms can
/// be tested on, given the tables already placed: a greedy plan that keeps chains of equality
/// joins from enumerating the full product. ON clauses join the WHERE terms.
fn reorder_inner_joins(
    ctx: &mut Ctx,
    joins: Vec<(JoinOperator, Option<Expr>)>,
    core: &mut ast::SimpleSelect,
) -> Vec<(JoinOperator, Option<Expr>)> {
    let base = *ctx.levels.last().expect("a level");
    let n = ctx.scope.len() - base;
    if n < 2
        || joins.iter().any(|(op, _)| {
            matches!(op, JoinOperator::Left | JoinOperator::Cross | JoinOperator::Right | JoinOperator::Full)
        })
    {
        return joins;
    }
    // Fold ON into WHERE: for an inner join they mean the same.
    for (_, on) in &joins {
        if let Some(on) = on {
            core.where_clause = Some(match core.where_clause.take() {
                None => on.clone(),
                Some(w) => Expr::Binary { op: BinaryOp::And, left: Box::new(w), right: Box::new(on.clone()) },
            });
        }
    }
    let mut terms = Vec::new();
    if let Some(w) = &core.where_clause {
        and_terms(w, &mut terms);
    }
    let refs: Vec<Vec<bool>> =
        terms.iter().map(|t| (0..n).map(|i| refers_to_scope(ctx, t, base + i)).collect()).collect();
    let weight: Vec<usize> =
        terms.iter().map(|t| if matches!(t, Expr::Binary { op: BinaryOp::Eq, .. }) { 4 } else { 1 }).collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut placed = vec![false; n];
    // A co-routine is read once, so it stays the outermost loop.
    if ctx.scope[base].coroutine.is_some() {
        placed[0] = true;
        chosen.push(0);
    }
    while chosen.len() < n {
        let mut best: Option<(usize, usize)> = None;
        for cand in (0..n).filter(|&i| !placed[i]) {
            // Terms that become testable once `cand` joins the placed tables.
            let score: usize = (0..terms.len())
                .filter(|&k| refs[k][cand] && (0..n).all(|j| !refs[k][j] || j == cand || placed[j]))
                .map(|k| weight[k])
                .sum();
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((cand, score));
            }
        }
        let (pick, _) = best.expect("a table remains");
        placed[pick] = true;
        chosen.push(pick);
    }
    if chosen.iter().enumerate().any(|(i, &c)| i != c) {
        let old: Vec<ScopeTable> = ctx.scope[base..].to_vec();
        for (i, &c) in chosen.iter().enumerate() {
            ctx.scope[base + i] = old[c].clone();
        }
    }
    vec![(JoinOperator::Inner, None); n]
}

/// A copy of `core` whose WHERE, GROUP BY and HAVING have result aliases replaced by the
/// aliased expressions, where a name matches no column in scope.
pub(super) fn with_aliases_resolved(ctx: &Ctx, core: &ast::SimpleSelect) -> Result<ast::SimpleSelect> {
    let aliases: Vec<(String, Expr)> = core
        .columns
        .iter()
        .filter_map(|rc| match rc {
            ResultColumn::Expr { expr, alias: Some(a), .. } => Some((a.clone(), expr.clone())),
            _ => None,
        })
        .collect();
    let mut out = core.clone();
    if aliases.is_empty() {
        return Ok(out);
    }
    let lookup = |c: &ast::ColumnRef| -> Option<Expr> {
        if c.table.is_some() || expr::resolve_column(ctx, c).ok().flatten().is_some() {
            return None;
        }
        aliases.iter().find(|(a, _)| a.eq_ignore_ascii_case(&c.column)).map(|(_, e)| e.clone())
    };
    if let Some(w) = &mut out.where_clause {
        super::params::substitute_aliases(w, &lookup);
    }
    for g in &mut out.group_by {
        super::params::substitute_aliases(g, &lookup);
    }
    if let Some(h) = &mut out.having {
        super::params::substitute_aliases(h, &lookup);
    }
    Ok(out)
}

/// Whether the ORDER BY names the GROUP BY terms in order (any direction, default NULLS
/// placement, the same collations): SQLite then reads the groups in that order and plans no
/// sort for the ORDER BY. Brisk sorts anyway; this decides the EXPLAIN QUERY PLAN line.
fn order_by_is_group_by(ctx: &Ctx, g: &Grouped<'_>, keys: &[OrderKey]) -> bool {
    keys.len() == g.core.group_by.len()
        && keys.iter().zip(&g.core.group_by).all(|(k, group)| {
            let group = match group {
                Expr::Literal(ast::Literal::Integer(i)) if *i >= 1 && (*i as usize) <= g.cols.len() => {
                    &g.cols[*i as usize - 1].expr
                }
                e => e,
            };
            let coll = expr::expr_collation(ctx, group).ok().flatten().map(|(c, _)| c).unwrap_or_default();
            k.expr.to_string() == group.to_string()
                && k.collation == coll
                && k.nulls_first.is_none_or(|first| first != k.desc)
        })
}

/// One ORDER BY key: the expression to sort on and how.
struct OrderKey {
    expr: Expr,
    collation: crate::value::Collation,
    desc: bool,
    nulls_first: Option<bool>,
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Resolves ORDER BY terms as SQLite does: an integer is a result column number, a bare name
/// matching a result column alias is that column, anything else is an expression over the FROM
/// clause.
fn order_by_terms(
    ctx: &Ctx,
    terms: &[ast::OrderingTerm],
    columns: &[ResultColumn],
    cols: &[OutColumn],
) -> Result<Vec<OrderKey>> {
    let mut out = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        let (inner, explicit_coll) = match &t.expr {
            Expr::Collate { expr, collation } => (expr.as_ref(), Some(collation.clone())),
            e => (e, None),
        };
        let expr = match inner {
            Expr::Literal(ast::Literal::Integer(k)) => {
                if *k < 1 || *k as usize > cols.len() {
                    return Err(Error::sql(format!(
                        "{} ORDER BY term out of range - should be between 1 and {}",
                        ordinal(i + 1),
                        cols.len()
                    )));
                }
                cols[*k as usize - 1].expr.clone()
            }
            Expr::Column(c) if c.table.is_none() => {
                let alias = columns.iter().find_map(|rc| match rc {
                    ResultColumn::Expr { expr, alias: Some(a), .. } if a.eq_ignore_ascii_case(&c.column) => {
                        Some(expr.clone())
                    }
                    _ => None,
                });
                alias.unwrap_or_else(|| inner.clone())
            }
            e => {
                let mut e = e.clone();
                let lookup = |c: &ast::ColumnRef| -> Option<Expr> {
                    if c.table.is_some() || expr::resolve_column(ctx, c).ok().flatten().is_some() {
                        return None;
                    }
                    columns.iter().find_map(|rc| match rc {
                        ResultColumn::Expr { expr, alias: Some(a), .. } if a.eq_ignore_ascii_case(&c.column) => {
                            Some(expr.clone())
                        }
                        _ => None,
                    })
                };
                super::params::substitute_aliases(&mut e, &lookup);
                e
            }
        };
        let collation = match explicit_coll {
            Some(name) => {
                crate::value::Collation::from_name(&name).ok_or_else(|| Error::MissingCollation(name.to_string()))?
            }
            None => expr::expr_collation(ctx, &expr)?.map(|(c, _)| c).unwrap_or_default(),
        };
        let nulls_first = t.nulls.map(|n| n == ast::NullsOrder::First);
        out.push(OrderKey { expr, collation, desc: t.desc, nulls_first });
    }
    Ok(out)
}

/// The ORDER BY as columns of one table of this query level, for the planner to match with
/// an index's order; None when a key is anything else.
fn order_want(ctx: &Ctx, keys: &[OrderKey]) -> Option<super::plan::OrderWant> {
    let level_start = *ctx.levels.last().expect("a level");
    let mut si = None;
    let mut cols = Vec::new();
    for k in keys {
        let mut e = &k.expr;
        while let Expr::Collate { expr, .. } = e {
            e = expr;
        }
        let Expr::Column(c) = e else { return None };
        let (s, column) = expr::resolve_column(ctx, c).ok().flatten()?;
        if s < level_start || si.is_some_and(|x| x != s) {
            return None;
        }
        si = Some(s);
        let column = column.filter(|&c| ctx.scope[s].table.rowid_alias != Some(c));
        cols.push(super::plan::OrderCol {
            column,
            collation: k.collation,
            desc: k.desc,
            nulls_first: k.nulls_first.unwrap_or(!k.desc),
        });
    }
    Some(super::plan::OrderWant { si: si?, cols })
}

/// The scan feeds a sorter (keys, then result columns); the output loop reads it back in order
/// and applies OFFSET and LIMIT.
fn emit_sorted(
    ctx: &mut Ctx,
    joins: &[(JoinOperator, Option<Expr>)],
    where_clause: Option<&Expr>,
    cols: &[OutColumn],
    keys: &[OrderKey],
    (limit_reg, offset_reg, end): (Option<usize>, Option<usize>, Label),
    distinct: Option<usize>,
) -> Result<()> {
    let sorter = ctx.b.alloc_cursor();
    let key = crate::vdbe::insn::SortKey {
        collations: keys.iter().map(|k| k.collation).collect(),
        desc: keys.iter().map(|k| k.desc).collect(),
        nulls_first: keys.iter().map(|k| k.nulls_first).collect(),
    };
    let sorter_open = ctx.b.emit(Insn::SorterOpen { cursor: sorter, key });
    let width = keys.len() + cols.len();
    let first = ctx.b.alloc_registers(width);
    // When the outermost loop reads its table in the ORDER BY's order, rows go straight out.
    let want = order_want(ctx, keys);
    let ordered = std::cell::Cell::new(false);
    super::join::emit_loops_ordered(ctx, joins, where_clause, want.as_ref(), &ordered, &mut |ctx, skip| {
        if ordered.get() {
            output_row(ctx, cols, first + keys.len(), distinct, (offset_reg, limit_reg), skip, end)?;
            return Ok(());
        }
        for (i, k) in keys.iter().enumerate() {
            expr_to_reg(ctx, &k.expr, first + i)?;
        }
        for (i, c) in cols.iter().enumerate() {
            expr_to_reg(ctx, &c.expr, first + keys.len() + i)?;
        }
        distinct_check(ctx, distinct, first + keys.len(), cols.len(), skip);
        ctx.b.emit(Insn::SorterInsert { cursor: sorter, start: first, count: width });
        Ok(())
    })?;
    if ordered.get() {
        ctx.b.insns[sorter_open] = Insn::Noop { comment: None };
        return Ok(());
    }
    ctx.plan_line("USE TEMP B-TREE FOR ORDER BY".into());
    ctx.b.emit_jump(Insn::SorterSort { cursor: sorter, target: 0 }, end);
    let top = ctx.b.current_addr();
    let next = ctx.b.new_label();
    if let Some(o) = offset_reg {
        ctx.b.emit_jump(Insn::IfPos { reg: o, target: 0, decrement: 1 }, next);
    }
    let out = ctx.b.alloc_registers(cols.len());
    for i in 0..cols.len() {
        ctx.b.emit(Insn::SorterColumn { cursor: sorter, column: keys.len() + i, dest: out + i });
    }
    emit_row(ctx, out, cols.len());
    if let Some(l) = limit_reg {
        ctx.b.emit_jump(Insn::DecrJumpZero { reg: l, target: 0 }, end);
    }
    ctx.b.resolve_label(next);
    ctx.b.emit(Insn::SorterNext { cursor: sorter, target: top });
    Ok(())
}

struct Grouped<'a> {
    core: &'a ast::SimpleSelect,
    select: &'a ast::Select,
    cols: &'a [OutColumn],
    agg_calls: Vec<ast::FunctionCall>,
    limit_reg: Option<usize>,
    offset_reg: Option<usize>,
    end: Label,
    distinct: Option<usize>,
}

/// GROUP BY: the scan files each row under its group (stepping the group's aggregates and
/// keeping the columns the output needs from the group's last row); the output loop reads the
/// groups in key order, applies HAVING, and emits rows (through a sorter when ORDER BY is given).
fn compile_grouped(ctx: &mut Ctx, joins: &[(JoinOperator, Option<Expr>)], g: Grouped<'_>) -> Result<()> {
    let group_terms: Vec<ast::OrderingTerm> =
        g.core.group_by.iter().map(|e| ast::OrderingTerm { expr: e.clone(), desc: false, nulls: None }).collect();
    let keys = order_by_terms(ctx, &group_terms, &g.core.columns, g.cols)?;
    for k in &keys {
        let mut inner = Vec::new();
        expr::collect_aggregates(&k.expr, &mut inner)?;
        if let Some(a) = inner.first() {
            return Err(Error::sql(format!(
                "aggregate functions are not allowed in the GROUP BY clause: {}()",
                a.name
            )));
        }
    }
    let mut aggs = Vec::new();
    for call in &g.agg_calls {
        let argc = call.args.count();
        let FunctionLookup::Aggregate(func) = functions::lookup(&call.name, argc) else {
            unreachable!("collected as aggregate")
        };
        let acc_reg = ctx.b.alloc_register();
        aggs.push(AggInfo { expr: call.clone(), func, acc_reg });
    }
    // Columns the output reads outside aggregates, taken from each group's last row.
    let mut bare_refs = Vec::new();
    for c in g.cols {
        expr::collect_bare_columns(&c.expr, &mut bare_refs);
    }
    if let Some(h) = &g.core.having {
        expr::collect_bare_columns(h, &mut bare_refs);
    }
    for t in &g.select.order_by {
        expr::collect_bare_columns(&t.expr, &mut bare_refs);
    }
    let mut bare: Vec<(usize, Option<usize>, ast::ColumnRef)> = Vec::new();
    for c in bare_refs {
        // A name from a subquery may not resolve here: it names the subquery's tables.
        if let Ok(Some((si, col))) = expr::resolve_column(ctx, &c) {
            if si < *ctx.levels.last().expect("a level") {
                continue;
            }
            if !bare.iter().any(|(s, k, _)| *s == si && *k == col) {
                bare.push((si, col, c));
            }
        }
    }
    let id = ctx.b.alloc_cursor();
    let sort_key = crate::vdbe::insn::SortKey {
        collations: keys.iter().map(|k| k.collation).collect(),
        desc: vec![false; keys.len()],
        nulls_first: vec![None; keys.len()],
    };
    let mut group_aggs = Vec::with_capacity(aggs.len());
    for a in &aggs {
        let args: &[Expr] = match &a.expr.args {
            ast::FunctionArgs::Star => &[],
            ast::FunctionArgs::List(x) => x,
        };
        group_aggs.push((a.func.clone(), a.expr.distinct, expr::agg_collation(ctx, args)?));
    }
    ctx.b.emit(Insn::GroupOpen { id, key: sort_key, aggs: group_aggs, bare: bare.len() });
    open_cursors(ctx, false);
    let key_first = ctx.b.alloc_registers(keys.len());
    let aggs2 = aggs.clone();
    let bare2 = bare.clone();
    emit_loops(ctx, joins, g.core.where_clause.as_ref(), &mut |ctx, _| {
        for (i, k) in keys.iter().enumerate() {
            expr_to_reg(ctx, &k.expr, key_first + i)?;
        }
        ctx.b.emit(Insn::GroupSelect { id, key_start: key_first, key_count: keys.len() });
        for (ai, a) in aggs2.iter().enumerate() {
            let args: Vec<Expr> = match &a.expr.args {
                ast::FunctionArgs::Star => vec![],
                ast::FunctionArgs::List(x) => x.clone(),
            };
            if a.expr.distinct && args.len() != 1 {
                return Err(Error::sql("DISTINCT aggregates must have exactly one argument"));
            }
            let skip = ctx.b.new_label();
            if let Some(f) = &a.expr.filter {
                cond_jump(ctx, f, skip)?;
            }
            let first = ctx.b.alloc_registers(args.len().max(1));
            for (i, x) in args.iter().enumerate() {
                expr_to_reg(ctx, x, first + i)?;
            }
            ctx.b.emit(Insn::GroupAggStep { id, agg: ai, first_arg: first, argc: args.len() });
            ctx.b.resolve_label(skip);
        }
        for (slot, (_, _, c)) in bare2.iter().enumerate() {
            let r = ctx.b.alloc_register();
            expr_to_reg(ctx, &Expr::Column(c.clone()), r)?;
            ctx.b.emit(Insn::GroupSetBare { id, slot, reg: r });
        }
        Ok(())
    })?;
    ctx.plan_line("USE TEMP B-TREE FOR GROUP BY".into());
    // The output loop: table columns now come from registers filled per group.
    let level_start = *ctx.levels.last().expect("a level");
    let widths: Vec<usize> = ctx.scope.iter().map(|st| st.table.columns.len() + 1).collect();
    let mut bases: Vec<usize> = vec![0; ctx.scope.len()];
    for si in level_start..ctx.scope.len() {
        bases[si] = ctx.b.alloc_registers(widths[si]);
        ctx.scope[si].regs = Some(bases[si]);
    }
    let sorter = if g.select.order_by.is_empty() { None } else { Some(ctx.b.alloc_cursor()) };
    let order_keys = match sorter {
        Some(_) => order_by_terms(ctx, &g.select.order_by, &g.core.columns, g.cols)?,
        None => vec![],
    };
    if let Some(sc) = sorter {
        let key = crate::vdbe::insn::SortKey {
            collations: order_keys.iter().map(|k| k.collation).collect(),
            desc: order_keys.iter().map(|k| k.desc).collect(),
            nulls_first: order_keys.iter().map(|k| k.nulls_first).collect(),
        };
        ctx.b.emit(Insn::SorterOpen { cursor: sc, key });
        if !order_by_is_group_by(ctx, &g, &order_keys) {
            ctx.plan_line("USE TEMP B-TREE FOR ORDER BY".into());
        }
    }
    let no_groups = ctx.b.new_label();
    ctx.b.emit_jump(Insn::GroupSort { id, target: 0 }, no_groups);
    let top = ctx.b.current_addr();
    for (i, a) in aggs.iter().enumerate() {
        ctx.b.emit(Insn::GroupColumn { id, field: crate::vdbe::insn::GroupField::Agg(i), dest: a.acc_reg });
    }
    for (slot, (si, col, _)) in bare.iter().enumerate() {
        let dest = match col {
            Some(c) => bases[*si] + c,
            None => bases[*si] + ctx.scope[*si].table.columns.len(),
        };
        ctx.b.emit(Insn::GroupColumn { id, field: crate::vdbe::insn::GroupField::Bare(slot), dest });
    }
    ctx.aggs = Some(aggs);
    ctx.in_agg_output = true;
    let next = grouped_output(ctx, &g, sorter, &order_keys)?;
    ctx.b.resolve_label(next);
    ctx.b.emit(Insn::GroupNext { id, target: top });
    ctx.b.resolve_label(no_groups);
    let ncols = g.cols.len();
    if let Some(sc) = sorter {
        ctx.b.emit_jump(Insn::SorterSort { cursor: sc, target: 0 }, g.end);
        let top = ctx.b.current_addr();
        let next = ctx.b.new_label();
        if let Some(o) = g.offset_reg {
            ctx.b.emit_jump(Insn::IfPos { reg: o, target: 0, decrement: 1 }, next);
        }
        let out = ctx.b.alloc_registers(ncols);
        for i in 0..ncols {
            ctx.b.emit(Insn::SorterColumn { cursor: sc, column: order_keys.len() + i, dest: out + i });
        }
        emit_row(ctx, out, ncols);
        if let Some(l) = g.limit_reg {
            ctx.b.emit_jump(Insn::DecrJumpZero { reg: l, target: 0 }, g.end);
        }
        ctx.b.resolve_label(next);
        ctx.b.emit(Insn::SorterNext { cursor: sc, target: top });
    }
    Ok(())
}

/// The output of one group: HAVING, then the row (to the sorter when ORDER BY is given).
/// Returns the label that moves to the next group.
fn grouped_output(ctx: &mut Ctx, g: &Grouped<'_>, sorter: Option<usize>, order_keys: &[OrderKey]) -> Result<Label> {
    let next = ctx.b.new_label();
    if let Some(h) = &g.core.having {
        cond_jump(ctx, h, next)?;
    }
    let ncols = g.cols.len();
    match sorter {
        Some(sc) => {
            let width = order_keys.len() + ncols;
            let first = ctx.b.alloc_registers(width);
            for (i, k) in order_keys.iter().enumerate() {
                expr_to_reg(ctx, &k.expr, first + i)?;
            }
            for (i, c) in g.cols.iter().enumerate() {
                expr_to_reg(ctx, &c.expr, first + order_keys.len() + i)?;
            }
            distinct_check(ctx, g.distinct, first + order_keys.len(), ncols, next);
            ctx.b.emit(Insn::SorterInsert { cursor: sc, start: first, count: width });
        }
        None => {
            let out = ctx.b.alloc_registers(ncols);
            for (i, c) in g.cols.iter().enumerate() {
                expr_to_reg(ctx, &c.expr, out + i)?;
            }
            distinct_check(ctx, g.distinct, out, ncols, next);
            if let Some(o) = g.offset_reg {
                ctx.b.emit_jump(Insn::IfPos { reg: o, target: 0, decrement: 1 }, next);
            }
            emit_row(ctx, out, ncols);
            if let Some(l) = g.limit_reg {
                ctx.b.emit_jump(Insn::DecrJumpZero { reg: l, target: 0 }, g.end);
            }
        }
    }
    Ok(next)
}

/// Evaluates LIMIT and OFFSET once, before the loop. A negative limit means no limit.
fn limit_registers(ctx: &mut Ctx, limit: &Option<ast::Limit>) -> Result<(Option<usize>, Option<usize>)> {
    let Some(l) = limit else {
        return Ok((None, None));
    };
    let lr = ctx.b.alloc_register();
    expr_to_reg(ctx, &l.limit, lr)?;
    ctx.b.emit(Insn::MustBeInt { reg: lr, target: 0 });
    // LIMIT -1 means no limit: make it the largest count.
    let neg = ctx.b.alloc_register();
    ctx.b.emit(Insn::Integer { value: 0, dest: neg });
    let j = ctx.b.emit(Insn::Compare {
        op: crate::vdbe::insn::CmpOp::Ge,
        lhs: lr,
        rhs: neg,
        target: 0,
        affinity: crate::vdbe::ops::Affinity::Blob,
        collation: Default::default(),
        jump_if_null: false,
        null_eq: false,
    });
    ctx.b.emit(Insn::Integer { value: i64::MAX, dest: lr });
    ctx.b.patch_here(j);
    let or = match &l.offset {
        Some(o) => {
            let r = ctx.b.alloc_register();
            expr_to_reg(ctx, o, r)?;
            ctx.b.emit(Insn::MustBeInt { reg: r, target: 0 });
            Some(r)
        }
        None => None,
    };
    Ok((Some(lr), or))
}

/// `VALUES (...), (...)` as a query.
fn compile_values(
    ctx: &mut Ctx,
    rows: &[Vec<Expr>],
    order_by: &[ast::OrderingTerm],
    limit: &Option<ast::Limit>,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    if limit.is_some() || !order_by.is_empty() {
        return Err(Error::sql("LIMIT or ORDER BY on VALUES is not supported yet"));
    }
    let n = rows.first().map(|r| r.len()).unwrap_or(0);
    // SQLite 3.54's plan lines: one row is a SELECT without FROM, more a VALUES clause.
    ctx.plan_line(if rows.len() == 1 {
        "SCAN CONSTANT ROW".into()
    } else {
        format!("SCAN {}-ROW VALUES CLAUSE", rows.len())
    });
    let first = ctx.b.alloc_registers(n);
    for row in rows {
        if row.len() != n {
            return Err(Error::sql("all VALUES must have the same number of terms"));
        }
        for (i, e) in row.iter().enumerate() {
            expr_to_reg(ctx, e, first + i)?;
        }
        emit_row(ctx, first, n);
    }
    // What IN and derived tables learn of the columns: the last row's expressions'.
    let mut rules = Vec::with_capacity(n);
    for e in rows.last().into_iter().flatten() {
        rules.push((expr::declared_affinity(ctx, e), expr::expr_collation(ctx, e)?));
    }
    ctx.member_rules = vec![rules.clone()];
    ctx.result_rules = rules;
    let names = (1..=n).map(|i| format!("column{i}")).collect();
    Ok((names, vec![None; n]))
}

/// Shared with DML: a single-table scan (or rowid lookup) with a WHERE clause.
pub fn single_table_scope(ctx: &mut Ctx, table: Arc<Table>, alias: Option<&str>) -> usize {
    let cursor = ctx.b.alloc_cursor();
    let name = alias.unwrap_or(&table.name).to_string();
    ctx.scope.push(ScopeTable::table(table, name, cursor));
    cursor
}
