//! The FROM clause's loop nest: one loop per table in join order, the WHERE and ON terms tested
//! in the loops, and outer joins (LEFT, RIGHT, FULL) compiled as SQLite compiles them.
//!
//! The nest, for table `i` (outermost first):
//!
//! ```text
//!     [LEFT/FULL: flag_i = 0]
//!     open the loop (Rewind, SeekRowid or index Seek)  -- no row: brk_i
//! top_i:
//!     ON terms of an outer join                         -- false: next_i
//!     [RIGHT/FULL: remember the row in matched_i]
//! first_i:
//!     [LEFT/FULL: flag_i = 1]
//! sub_i:                                                -- RIGHT/FULL: the subroutine starts here
//!     WHERE terms placed here                           -- false: cont_i
//!     ... the inner loops and the body ...
//! cont_i:
//!     [RIGHT/FULL: Return when called as the subroutine]
//! next_i:
//!     Next -> top_i
//! brk_i:
//!     [LEFT/FULL: if flag_i is 0: NullRow, goto first_i (the inner loops see NULLs)]
//! ```
//!
//! After the outermost loop, each RIGHT/FULL table `k` in order gets a second pass: every table
//! before `k` is put on its NULL row, table `k` is scanned, and each row not in `matched_k` runs
//! the subroutine `sub_k` (SQLite's sqlite3WhereRightJoinLoop). The matched set is keyed by
//! rowid (an ephemeral table's row position, a WITHOUT ROWID table's primary key).
//!
//! Invariants:
//! - A LEFT join's null pass jumps back into its own loop body with the cursor on its NULL row;
//!   the cursor's Next then falls through (NullRow), and the flag, now 1, ends the level.
//! - WHERE terms never filter a table's rows before an outer join decides on them: a WHERE term
//!   is tested at the innermost table it reads, but no earlier than the last RIGHT/FULL table
//!   (whose matching sees every row to its left), and after the outer join's flag and matched
//!   set are updated. ON terms of an outer join are tested at that join's table only.
//! - Only an outer join's own ON terms choose its table's access path; an inner table's access
//!   path uses only the terms tested at its own loop.

use super::expr::{self, cond_jump, Ctx};
use super::plan::{choose_access, emit_access, plan_detail, Access, LoopEnd, OrderWant};
use super::select::{and_terms, refers_to_scope};
use crate::error::{Error, Result};
use crate::parser::ast::{self, Expr, JoinOperator};
use crate::vdbe::insn::Insn;
use crate::vdbe::program::Label;

/// A RIGHT or FULL join's state: the set of matched rows and its subroutine.
struct RightJoin {
    /// Ephemeral set of the keys of the rows that matched.
    matched: usize,
    /// Return-address register of the subroutine (NULL while running inline).
    ret: usize,
    sub_start: Label,
}

/// One loop of the nest.
struct Level {
    /// Continue with this loop's next row (the subroutine's end for RIGHT/FULL).
    cont: Label,
    next: Label,
    /// Past this loop's last row.
    brk: Label,
    end: LoopEnd,
    /// LEFT/FULL: the "matched" flag register and where the null pass re-enters the body.
    left: Option<(usize, Label)>,
    right: Option<RightJoin>,
}

fn is_outer(op: JoinOperator) -> bool {
    matches!(op, JoinOperator::Left | JoinOperator::Right | JoinOperator::Full)
}

/// Emits nested loops over the scope tables with the WHERE clause, calling `body` for each
/// qualifying row combination. `body` may jump to the given label to skip to the next row.
pub fn emit_loops(
    ctx: &mut Ctx,
    joins: &[(JoinOperator, Option<Expr>)],
    where_clause: Option<&Expr>,
    body: &mut dyn FnMut(&mut Ctx, Label) -> Result<()>,
) -> Result<()> {
    emit_loops_ordered(ctx, joins, where_clause, None, &std::cell::Cell::new(false), body)
}

/// `emit_loops`, preferring for the outermost loop an access path that yields the rows in
/// `order`; `ordered` is set (before `body` runs) when the nest does.
pub(super) fn emit_loops_ordered(
    ctx: &mut Ctx,
    joins: &[(JoinOperator, Option<Expr>)],
    where_clause: Option<&Expr>,
    order: Option<&OrderWant>,
    ordered: &std::cell::Cell<bool>,
    body: &mut dyn FnMut(&mut Ctx, Label) -> Result<()>,
) -> Result<()> {
    ordered.set(false);
    let mut where_terms = Vec::new();
    if let Some(w) = where_clause {
        and_terms(w, &mut where_terms);
    }
    let n = ctx.scope.len();
    let base = *ctx.levels.last().expect("a level");
    if n == base {
        // SELECT without FROM: one row (sqlite3WhereBegin's plan line for no tables).
        ctx.plan_line("SCAN CONSTANT ROW".into());
        let skip = ctx.b.new_label();
        for t in &where_terms {
            cond_jump(ctx, t, skip)?;
        }
        body(ctx, skip)?;
        ctx.b.resolve_label(skip);
        return Ok(());
    }
    let count = n - base;
    let ops: Vec<JoinOperator> = (0..count).map(|i| joins.get(i).map(|j| j.0).unwrap_or(JoinOperator::Inner)).collect();
    let innermost_ref = |ctx: &Ctx, t: &Expr| (0..count).rev().find(|&l| refers_to_scope(ctx, t, base + l));
    // The last RIGHT/FULL table at or before each position.
    let last_right: Vec<Option<usize>> = (0..count)
        .map(|l| (0..=l).rev().find(|&k| matches!(ops[k], JoinOperator::Right | JoinOperator::Full)))
        .collect();
    // Terms tested inside the loops (after the outer-join bookkeeping), with their loop.
    let mut terms: Vec<(Expr, usize)> = Vec::new();
    for t in where_terms {
        let at = innermost_ref(ctx, &t).unwrap_or(0).max(last_right[count - 1].unwrap_or(0));
        terms.push((t, at));
    }
    // ON terms: an outer join's stay at its table; an inner join's are WHERE terms of the join
    // so far (tested no earlier than the last RIGHT/FULL table before it).
    let mut on_terms: Vec<Vec<Expr>> = vec![vec![]; count];
    for (l, (op, on)) in joins.iter().enumerate().take(count) {
        let Some(on) = on else { continue };
        let mut parts = Vec::new();
        and_terms(on, &mut parts);
        for t in parts {
            if is_outer(*op) {
                check_on_refs(ctx, &t, base + l)?;
                on_terms[l].push(t);
            } else {
                // An ON term reads only the tables up to its own (a subquery in it may look as
                // if it reads them all): never test it later than its join, where a RIGHT join
                // after it would already have counted the row as matched.
                let at = innermost_ref(ctx, &t).unwrap_or(0).min(l).max(last_right[l].unwrap_or(0));
                terms.push((t, at));
            }
        }
    }

    let mut levels: Vec<Level> = Vec::new();
    let loop_exit = ctx.b.new_label();
    // Each RIGHT/FULL join's matched set and return register start empty on every run of the
    // nest (a correlated subquery runs it many times).
    let mut rights: Vec<Option<RightJoin>> = Vec::new();
    for &op in &ops {
        rights.push(if matches!(op, JoinOperator::Right | JoinOperator::Full) {
            let matched = ctx.b.alloc_cursor();
            ctx.b.emit(Insn::EphOpen { id: matched, distinct: true, key: Default::default() });
            let ret = ctx.b.alloc_register();
            ctx.b.emit(Insn::Null { dest: ret, end: ret });
            Some(RightJoin { matched, ret, sub_start: ctx.b.new_label() })
        } else {
            None
        });
    }
    for (l, right) in rights.into_iter().enumerate() {
        let si = base + l;
        let op = ops[l];
        let (cont, next, brk) = (ctx.b.new_label(), ctx.b.new_label(), ctx.b.new_label());
        // Only the outermost loop's order can be the result's, and not when a RIGHT or FULL
        // join adds unmatched rows after the nest.
        let want = order.filter(|_| l == 0 && last_right[count - 1].is_none());
        let (access, in_order) = if ctx.scope[si].eph.is_some() {
            (Access::Scan { reverse: false }, false)
        } else if is_outer(op) {
            choose_access(ctx, si, &on_terms[l], want)
        } else {
            let here: Vec<Expr> = terms.iter().filter(|(_, at)| *at == l).map(|(t, _)| t.clone()).collect();
            choose_access(ctx, si, &here, want)
        };
        if want.is_some() && in_order {
            ordered.set(true);
        }
        let flag = matches!(op, JoinOperator::Left | JoinOperator::Full).then(|| {
            let f = ctx.b.alloc_register();
            ctx.b.emit(Insn::Integer { value: 0, dest: f });
            f
        });
        // A compound's result, read back for ORDER BY and LIMIT, has no line of its own.
        if !ctx.scope[si].name.is_empty() {
            let mut detail = plan_detail(ctx, si, &access);
            if matches!(op, JoinOperator::Left | JoinOperator::Full) {
                detail.push_str(" LEFT-JOIN");
            }
            ctx.plan_line(detail);
        }
        let consumed = super::plan::consumed_terms(&access);
        let end = emit_access(ctx, si, access, brk, next)?;
        for t in &on_terms[l] {
            if !consumed.contains(t) {
                cond_jump(ctx, t, next)?;
            }
        }
        if let Some(rj) = &right {
            // Remember that this row matched, for the pass over unmatched rows.
            let (key, key_count) = match_key(ctx, si);
            let seen = ctx.b.new_label();
            ctx.b.emit_jump(Insn::EphFound { id: rj.matched, start: key, count: key_count, target: 0 }, seen);
            ctx.b.emit(Insn::EphInsert { id: rj.matched, start: key, count: key_count });
            ctx.b.resolve_label(seen);
        }
        let left = flag.map(|f| {
            let first = ctx.b.new_label();
            ctx.b.resolve_label(first);
            ctx.b.emit(Insn::Integer { value: 1, dest: f });
            (f, first)
        });
        if let Some(rj) = &right {
            ctx.b.resolve_label(rj.sub_start);
        }
        for (t, at) in &terms {
            if *at == l && !consumed.contains(t) {
                cond_jump(ctx, t, cont)?;
            }
        }
        levels.push(Level { cont, next, brk, end, left, right });
    }
    let innermost_cont = levels.last().expect("at least one level").cont;
    body(ctx, innermost_cont)?;
    for (l, level) in levels.iter().enumerate().rev() {
        let si = base + l;
        ctx.b.resolve_label(level.cont);
        if let Some(rj) = &level.right {
            ctx.b.emit_jump(Insn::IfNot { reg: rj.ret, target: 0, jump_if_null: true }, level.next);
            ctx.b.emit(Insn::Return { reg: rj.ret });
        }
        ctx.b.resolve_label(level.next);
        level.end.close(ctx);
        ctx.b.resolve_label(level.brk);
        if let Some((flag, first)) = level.left {
            // No row matched: run the inner loops once more with this table's row all NULL.
            let done = ctx.b.new_label();
            ctx.b.emit_jump(Insn::If { reg: flag, target: 0, jump_if_null: false }, done);
            null_row(ctx, si, level.end.index_cursor);
            ctx.b.emit_jump(Insn::Goto { target: 0 }, first);
            ctx.b.resolve_label(done);
        }
    }
    ctx.b.resolve_label(loop_exit);
    // The RIGHT/FULL tables' rows that matched nothing, with the tables before them NULL.
    for (l, level) in levels.iter().enumerate() {
        let Some(rj) = &level.right else { continue };
        let si = base + l;
        for (j, before) in levels.iter().enumerate().take(l) {
            null_row(ctx, base + j, before.end.index_cursor);
        }
        let tname = ctx.scope[si].table.name.clone();
        ctx.plan_line(format!("RIGHT-JOIN {tname}"));
        let cursor = ctx.scope[si].cursor;
        let done = ctx.b.new_label();
        let next = ctx.b.new_label();
        ctx.b.emit_jump(Insn::Rewind { cursor, target: 0 }, done);
        let top = ctx.b.current_addr();
        let (key, key_count) = match_key(ctx, si);
        ctx.b.emit_jump(Insn::EphFound { id: rj.matched, start: key, count: key_count, target: 0 }, next);
        ctx.b.emit_jump(Insn::Gosub { ret: rj.ret, target: 0 }, rj.sub_start);
        ctx.b.resolve_label(next);
        ctx.b.emit(Insn::Next { cursor, target: top });
        ctx.b.resolve_label(done);
    }
    Ok(())
}

/// SQLite's "ON clause references tables to its right" for an outer join's ON term.
fn check_on_refs(ctx: &Ctx, t: &Expr, si: usize) -> Result<()> {
    let mut refs = Vec::new();
    expr::collect_bare_columns(t, &mut refs);
    for c in refs {
        if let Ok(Some((s, _))) = expr::resolve_column(ctx, &c) {
            if s > si {
                return Err(Error::sql("ON clause references tables to its right"));
            }
        }
    }
    Ok(())
}

/// Puts scope table `si` (and its index cursor) on its NULL row.
fn null_row(ctx: &mut Ctx, si: usize, index_cursor: Option<usize>) {
    ctx.b.emit(Insn::NullRow { cursor: ctx.scope[si].cursor });
    if let Some(ic) = index_cursor {
        ctx.b.emit(Insn::NullRow { cursor: ic });
    }
}

/// Reads the key that identifies the current row of scope table `si` in a matched set: the
/// rowid (an ephemeral table's row position), or a WITHOUT ROWID table's primary key.
fn match_key(ctx: &mut Ctx, si: usize) -> (usize, usize) {
    let st = ctx.scope[si].clone();
    if st.table.without_rowid && st.eph.is_none() {
        let k = st.table.primary_key.len();
        let start = ctx.b.alloc_registers(k);
        for i in 0..k {
            ctx.b.emit(Insn::Column { cursor: st.cursor, column: i, dest: start + i, default: None });
        }
        (start, k)
    } else {
        let r = ctx.b.alloc_register();
        ctx.b.emit(Insn::Rowid { cursor: st.cursor, dest: r });
        (r, 1)
    }
}

/// How an unqualified USING column reads, worked out join by join as SQLite's lookupName does:
/// the leftmost table with the column, and the tables whose copies the name reads (the left one
/// after INNER/LEFT joins, the right one after a RIGHT join, all of them, coalesced, after FULL).
pub(super) struct UsingMerge {
    first: usize,
    column: String,
    reads: Vec<usize>,
}

fn qualified(ctx: &Ctx, si: usize, column: &str) -> Expr {
    Expr::Column(ast::ColumnRef {
        schema: None,
        table: Some(ctx.scope[si].name.clone()),
        column: column.to_string(),
        double_quoted: false,
        pos: Default::default(),
    })
}

fn coalesce(mut args: Vec<Expr>) -> Expr {
    if args.len() == 1 {
        return args.pop().expect("one");
    }
    Expr::Function(Box::new(ast::FunctionCall {
        name: "coalesce".into(),
        args: ast::FunctionArgs::List(args),
        distinct: false,
        order_by: vec![],
        filter: None,
        over: None,
        pos: Default::default(),
    }))
}

/// The leftmost table in `start..right` with a visible column `column`.
fn using_first(ctx: &Ctx, start: usize, right: usize, column: &str) -> Result<usize> {
    (start..right)
        .find(|&l| ctx.scope[l].table.column_index(column).is_some() && !ctx.is_hidden(l, column))
        .ok_or_else(|| Error::sql(format!("cannot join using column {column} - column not present in both tables")))
}

/// The left side of `USING (column)` for the join of scope table `right`: the leftmost table's
/// column, or, when the FROM clause has a RIGHT or FULL join, the coalesce of every table to the
/// left that has it (each after the first must have joined it by USING too).
pub(super) fn using_left_side(ctx: &Ctx, start: usize, right: usize, column: &str, any_right: bool) -> Result<Expr> {
    let first = using_first(ctx, start, right, column)?;
    let mut args = vec![qualified(ctx, first, column)];
    if any_right {
        for l in first + 1..right {
            if ctx.scope[l].table.column_index(column).is_some() {
                if !ctx.is_hidden(l, column) {
                    return Err(Error::sql(format!("ambiguous reference to {column} in USING()")));
                }
                args.push(qualified(ctx, l, column));
            }
        }
    }
    Ok(coalesce(args))
}

/// Records that scope table `right` joined `column` by USING with operator `op`.
pub(super) fn note_using_column(
    merges: &mut Vec<UsingMerge>,
    ctx: &Ctx,
    start: usize,
    right: usize,
    column: &str,
    op: JoinOperator,
) {
    let Ok(first) = using_first(ctx, start, right, column) else { return };
    let i = match merges.iter().position(|m| m.first == first && m.column.eq_ignore_ascii_case(column)) {
        Some(i) => i,
        None => {
            merges.push(UsingMerge { first, column: column.to_string(), reads: vec![first] });
            merges.len() - 1
        }
    };
    match op {
        JoinOperator::Right => merges[i].reads = vec![right],
        JoinOperator::Full => merges[i].reads.push(right),
        _ => {}
    }
}

/// Installs the unqualified meaning of each USING column that a RIGHT or FULL join changed.
pub(super) fn finish_using_merges(ctx: &mut Ctx, merges: Vec<UsingMerge>) {
    for m in merges {
        if m.reads == [m.first] {
            continue;
        }
        let Some(col) = ctx.scope[m.first].table.column_index(&m.column) else { continue };
        let e = coalesce(m.reads.iter().map(|&si| qualified(ctx, si, &m.column)).collect());
        ctx.using_merged.push(((ctx.scope[m.first].cursor, col), e));
    }
}

/// The expression an unqualified USING column stands for, when a RIGHT or FULL join changed it
/// from the leftmost table's copy.
pub(super) fn using_replacement(ctx: &Ctx, cursor: usize, column: usize) -> Option<Expr> {
    ctx.using_merged.iter().find(|(k, _)| *k == (cursor, column)).map(|(_, e)| e.clone())
}

/// Rewrites the unqualified USING columns in `e` (outside subqueries) to what they stand for.
pub(super) fn merge_using_names(ctx: &Ctx, e: &mut Expr) {
    if ctx.using_merged.is_empty() {
        return;
    }
    super::params::substitute_aliases(e, &|c: &ast::ColumnRef| {
        if c.table.is_some() {
            return None;
        }
        let (si, col) = expr::resolve_column(ctx, c).ok().flatten()?;
        using_replacement(ctx, ctx.scope[si].cursor, col?)
    });
}
