//! SELECTs with window functions, rewritten as SQLite's sqlite3WindowRewrite does: the query
//! below the window functions (FROM, WHERE, GROUP BY, HAVING) produces, per result row, every
//! value the window functions and the rest of the result need; `Insn::Window` appends each
//! window function's value to those rows (see `vdbe::window`); and the result columns, DISTINCT,
//! ORDER BY and LIMIT then run over the extended rows as a query over a derived table.
//!
//! Column references, aggregate calls and subqueries in the result columns and ORDER BY become
//! columns of the lower query, which computes them where the FROM tables are in scope; what is
//! left above them (the window calls, literals, and the operators and functions around them)
//! reads the derived table's columns.

use std::sync::Arc;

use super::expr::{Ctx, Dest, ScopeTable};
use super::select::{
    compile_simple_over_scope, derived_table, expand_columns, resolve_from_into_scope, with_aliases_resolved,
};
use crate::error::{Error, Result};
use crate::functions::{self, FunctionLookup};
use crate::parser::ast::{
    self, ColumnRef, Expr, FrameBound, FrameUnits, FunctionArgs, FunctionCall, JoinOperator, Literal, OrderingTerm,
    Over, ResultColumn, SimpleSelect, SrcPos, WindowSpec,
};
use crate::schema::Schema;
use crate::vdbe::insn::{Insn, SortKey};
use crate::vdbe::window::{Bound, Frame, WindowCall, WindowFunc, WindowGroup, WindowPlan};

/// Whether a result column or ORDER BY term of this SELECT calls a window function.
pub fn has_windows(core: &SimpleSelect, order_by: &[OrderingTerm]) -> bool {
    core.columns.iter().any(|c| matches!(c, ResultColumn::Expr { expr, .. } if contains_window(expr)))
        || order_by.iter().any(|t| contains_window(&t.expr))
}

/// Calls `$f` on each direct subexpression of `$e` that belongs to the same query (not those
/// inside subqueries), through shared (`iter`) or mutable (`iter_mut`, `mut`) references.
macro_rules! children {
    ($e:expr, $f:expr, $iter:ident $(, $m:tt)?) => {{
        let f = $f;
        match $e {
            Expr::Literal(_) | Expr::Column(_) | Expr::Param(_) | Expr::Raise { .. } => {}
            Expr::Exists { .. } | Expr::Subquery(_) => {}
            Expr::Unary { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Collate { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::IsTruth { expr, .. } => f(expr),
            Expr::Binary { left, right, .. } => {
                f(left);
                f(right);
            }
            Expr::Like { expr, pattern, escape, .. } => {
                f(expr);
                f(pattern);
                escape.$iter().for_each(|x| f(x));
            }
            Expr::Between { expr, low, high, .. } => {
                f(expr);
                f(low);
                f(high);
            }
            Expr::In { expr, target, .. } => {
                f(expr);
                match target {
                    ast::InTarget::List(l) => l.$iter().for_each(|x| f(x)),
                    ast::InTarget::TableFunction { args, .. } => args.$iter().for_each(|x| f(x)),
                    ast::InTarget::Select(_) | ast::InTarget::Table(_) => {}
                }
            }
            Expr::Case { base, whens, else_expr } => {
                base.$iter().for_each(|x| f(x));
                for (w, t) in whens {
                    f(w);
                    f(t);
                }
                else_expr.$iter().for_each(|x| f(x));
            }
            Expr::Function(call) => {
                if let FunctionArgs::List(args) = & $($m)? call.args {
                    args.$iter().for_each(|x| f(x));
                }
                call.filter.$iter().for_each(|x| f(x));
            }
            Expr::Row(items) => items.$iter().for_each(|x| f(x)),
        }
    }};
}

/// Whether `e` calls a window function, outside any subquery (a subquery's window functions
/// are its own).
fn contains_window(e: &Expr) -> bool {
    let mut found = is_window_call(e);
    children!(e, &mut |c: &Expr| found = found || contains_window(c), iter);
    found
}

/// Whether `e` calls an aggregate outside any window call's arguments and window.
fn aggregate_outside_windows(e: &Expr) -> bool {
    if let Expr::Function(call) = e {
        if call.over.is_some() {
            return false;
        }
        let argc = call.args.count();
        if matches!(functions::lookup(&call.name, argc), FunctionLookup::Aggregate(_)) {
            return true;
        }
    }
    let mut found = false;
    children!(e, &mut |c: &Expr| found = found || aggregate_outside_windows(c), iter);
    found
}

/// Whether `e` names result alias `alias` where no column of that name is in scope.
fn names_alias(ctx: &Ctx, e: &Expr, alias: &str) -> bool {
    if let Expr::Column(c) = e {
        return c.table.is_none()
            && c.column.eq_ignore_ascii_case(alias)
            && super::expr::resolve_column(ctx, c).ok().flatten().is_none();
    }
    let mut found = false;
    children!(e, &mut |c: &Expr| found = found || names_alias(ctx, c, alias), iter);
    found
}

fn is_window_call(e: &Expr) -> bool {
    matches!(e, Expr::Function(call) if call.over.is_some())
}

/// A column of the derived table the upper query reads: lower query column `i`, or window
/// function `i`'s value. The names are ones no query can spell.
fn placeholder(window: bool, i: usize) -> Expr {
    Expr::Column(ColumnRef {
        schema: None,
        table: None,
        column: column_name(window, i),
        double_quoted: false,
        pos: SrcPos::default(),
    })
}

fn column_name(window: bool, i: usize) -> String {
    format!("\u{1}{}{i}", if window { 'w' } else { 'c' })
}

/// A window function call with its window resolved. Its expressions become lower query
/// columns once every call is known ([`Rewriter::assign_columns`]).
struct CallSpec {
    func: WindowFunc,
    args: Vec<Expr>,
    filter: Option<Expr>,
    units: FrameUnits,
    start: FrameBound,
    end: FrameBound,
    exclude: ast::FrameExclude,
    out: usize,
    /// Lower query columns of the arguments, FILTER, and frame offsets.
    arg_cols: Vec<usize>,
    filter_col: Option<usize>,
    start_col: Option<usize>,
    end_col: Option<usize>,
}

/// Window functions that share PARTITION BY and ORDER BY.
struct GroupSpec {
    /// The window's text, which identifies it.
    text: String,
    partition_by: Vec<Expr>,
    order_by: Vec<OrderingTerm>,
    calls: Vec<CallSpec>,
    /// Lower query columns of PARTITION BY, and of ORDER BY with its direction and NULLS.
    partition: Vec<usize>,
    order: Vec<(usize, bool, Option<ast::NullsOrder>)>,
}

struct Rewriter<'a> {
    named: &'a [(String, WindowSpec)],
    /// The lower query's result columns, with their text (which identifies them).
    lower: Vec<(Expr, String)>,
    groups: Vec<GroupSpec>,
    calls: usize,
}

impl Rewriter<'_> {
    /// The lower query's column computing `e` (one column per distinct expression; each `?`
    /// is a parameter of its own, so an expression with one gets its own column).
    fn column(&mut self, e: Expr) -> usize {
        let text = e.to_string();
        if !text.contains('?') {
            if let Some(i) = self.lower.iter().position(|(_, t)| *t == text) {
                return i;
            }
        }
        self.lower.push((e, text));
        self.lower.len() - 1
    }

    /// Rewrites `e` for the upper query, as SQLite's selectWindowRewriteExprCb does: window
    /// calls become their values' columns; column references, aggregate calls and subqueries
    /// become lower query columns; literals, parameters and the operators and functions around
    /// them stay.
    fn split(&mut self, e: &mut Expr) -> Result<()> {
        let lower = match e {
            Expr::Function(call) if call.over.is_some() => {
                let k = self.window_call(call)?;
                *e = placeholder(true, k);
                return Ok(());
            }
            Expr::Function(call) => {
                let argc = call.args.count();
                matches!(functions::lookup(&call.name, argc), FunctionLookup::Aggregate(_))
            }
            Expr::Column(_)
            | Expr::Subquery(_)
            | Expr::Exists { .. }
            | Expr::In { target: ast::InTarget::Select(_) | ast::InTarget::Table(_), .. } => true,
            // A row value compared with a row subquery goes down whole with it.
            Expr::Binary { left, right, .. } if matches!(**left, Expr::Row(_)) || matches!(**right, Expr::Row(_)) => {
                !(contains_window(left) || contains_window(right))
            }
            _ => false,
        };
        if lower {
            let i = self.column(std::mem::replace(e, Expr::Literal(Literal::Null)));
            *e = placeholder(false, i);
            return Ok(());
        }
        let mut r = Ok(());
        children!(
            e,
            &mut |c: &mut Expr| {
                if r.is_ok() {
                    r = self.split(c);
                }
            },
            iter_mut,
            mut
        );
        r
    }

    /// Gives each window's PARTITION BY and ORDER BY terms, then its calls' arguments and
    /// FILTERs (the calls in reverse, as SQLite's window list holds them), lower query
    /// columns after those of the result columns and ORDER BY: SQLite's order, which decides
    /// the order of aggregates in the lower query and so which row lends a GROUP BY query its
    /// bare columns.
    fn assign_columns(&mut self) {
        let mut groups = std::mem::take(&mut self.groups);
        for g in &mut groups {
            g.partition = g.partition_by.iter().map(|e| self.column(e.clone())).collect();
            g.order = g.order_by.iter().map(|t| (self.column(t.expr.clone()), t.desc, t.nulls)).collect();
            for c in g.calls.iter_mut().rev() {
                c.arg_cols = c.args.iter().map(|a| self.column(a.clone())).collect();
                c.filter_col = c.filter.as_ref().map(|f| self.column(f.clone()));
            }
        }
        for c in groups.iter_mut().flat_map(|g| g.calls.iter_mut()) {
            let mut offset = |b: &FrameBound| match b {
                FrameBound::Preceding(e) | FrameBound::Following(e) => Some(self.column((**e).clone())),
                _ => None,
            };
            c.start_col = offset(&c.start);
            c.end_col = offset(&c.end);
        }
        self.groups = groups;
    }

    /// Resolves a window function call and its window, returning its value's number.
    fn window_call(&mut self, call: &FunctionCall) -> Result<usize> {
        let at = call.pos.0;
        let args: &[Expr] = match &call.args {
            FunctionArgs::Star => &[],
            FunctionArgs::List(a) => a,
        };
        let lower_name = call.name.to_ascii_lowercase();
        let not_window = || Error::sql_at(format!("{}() may not be used as a window function", call.name), at);
        let wrong_args = || Error::sql_at(format!("wrong number of arguments to function {}()", call.name), at);
        let func = match functions::lookup(&call.name, args.len()) {
            FunctionLookup::Aggregate(f) => {
                if f.user.as_ref().is_some_and(|u| !u.window) {
                    return Err(not_window());
                }
                let collation = Default::default();
                WindowFunc::Aggregate(f, collation)
            }
            FunctionLookup::Scalar(_) | FunctionLookup::UserScalar(_) => return Err(not_window()),
            FunctionLookup::WrongArgCount => return Err(wrong_args()),
            FunctionLookup::NotFound => match WindowFunc::builtin(&lower_name, args.len()) {
                Some(Ok(f)) => f,
                Some(Err(())) => return Err(wrong_args()),
                None => return Err(Error::sql_at(format!("no such function: {}", call.name), at)),
            },
        };
        if matches!(call.args, FunctionArgs::Star) && !matches!(&func, WindowFunc::Aggregate(..)) {
            return Err(wrong_args());
        }
        if call.distinct {
            return Err(Error::sql("DISTINCT is not supported for window functions"));
        }
        if call.filter.is_some() && !matches!(func, WindowFunc::Aggregate(..)) {
            return Err(Error::sql("FILTER clause may only be used with aggregate window functions"));
        }
        let spec = match call.over.as_ref().expect("a window call") {
            Over::Window(name) => named_window(self.named, name)?,
            Over::Spec(s) => resolve_spec(self.named, s)?,
        };
        let frame = spec.frame.clone().unwrap_or(ast::Frame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: Some(FrameBound::CurrentRow),
            exclude: Default::default(),
        });
        let end = frame.end.clone().unwrap_or(FrameBound::CurrentRow);
        check_frame(&frame.start, &end)?;
        let has_offset = |b: &FrameBound| matches!(b, FrameBound::Preceding(_) | FrameBound::Following(_));
        if frame.units == FrameUnits::Range
            && (has_offset(&frame.start) || has_offset(&end))
            && spec.order_by.len() != 1
        {
            return Err(Error::sql("RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression"));
        }

        let text = format!("{}", WindowSpec { frame: None, ..spec.clone() });
        let out = self.calls;
        self.calls += 1;
        let call = CallSpec {
            func,
            args: args.to_vec(),
            filter: call.filter.as_ref().map(|f| (**f).clone()),
            units: frame.units,
            start: frame.start,
            end,
            exclude: frame.exclude,
            out,
            arg_cols: vec![],
            filter_col: None,
            start_col: None,
            end_col: None,
        };
        match self.groups.iter_mut().find(|g| g.text == text) {
            Some(g) => g.calls.push(call),
            None => self.groups.push(GroupSpec {
                text,
                partition_by: spec.partition_by,
                order_by: spec.order_by,
                calls: vec![call],
                partition: vec![],
                order: vec![],
            }),
        }
        Ok(out)
    }
}

/// `OVER name`: the named window, its base resolved among the windows defined before it.
fn named_window(named: &[(String, WindowSpec)], name: &str) -> Result<WindowSpec> {
    let i = named
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| Error::sql(format!("no such window: {name}")))?;
    resolve_spec(&named[..i], &named[i].1)
}

/// `OVER (base ...)`: the base window's PARTITION BY and ORDER BY, which the call may not
/// override (it may add an ORDER BY the base lacks), and no base frame.
fn resolve_spec(named: &[(String, WindowSpec)], spec: &WindowSpec) -> Result<WindowSpec> {
    let Some(base_name) = &spec.base else { return Ok(spec.clone()) };
    let base = named_window(named, base_name)?;
    if !spec.partition_by.is_empty() {
        return Err(Error::sql(format!("cannot override PARTITION clause of window: {base_name}")));
    }
    if !spec.order_by.is_empty() && !base.order_by.is_empty() {
        return Err(Error::sql(format!("cannot override ORDER BY clause of window: {base_name}")));
    }
    if base.frame.is_some() {
        return Err(Error::sql(format!("cannot override frame specification of window: {base_name}")));
    }
    Ok(WindowSpec {
        base: None,
        partition_by: base.partition_by,
        order_by: if spec.order_by.is_empty() { base.order_by } else { spec.order_by.clone() },
        frame: spec.frame.clone(),
    })
}

/// The frames SQLite rejects: one whose start comes after its end in every row.
fn check_frame(start: &FrameBound, end: &FrameBound) -> Result<()> {
    let rank = |b: &FrameBound| match b {
        FrameBound::UnboundedPreceding => 0,
        FrameBound::Preceding(_) => 1,
        FrameBound::CurrentRow => 2,
        FrameBound::Following(_) => 3,
        FrameBound::UnboundedFollowing => 4,
    };
    if matches!(start, FrameBound::UnboundedFollowing) || matches!(end, FrameBound::UnboundedPreceding) {
        return Err(Error::sql("unsupported frame specification"));
    }
    let (s, e) = (rank(start), rank(end));
    if (s == 2 && e < 2) || (s == 3 && e < 3) {
        return Err(Error::sql("unsupported frame specification"));
    }
    Ok(())
}

/// Compiles a SELECT whose result columns or ORDER BY call window functions.
pub fn compile_windowed(
    ctx: &mut Ctx,
    schema: &Schema,
    core: &SimpleSelect,
    order_by: &[OrderingTerm],
    limit: &Option<ast::Limit>,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    // The window calls are resolved first, since EXPLAIN QUERY PLAN nests the FROM clause's
    // lines under a co-routine per window (the first outermost, each reading the one inside
    // it and sorting its rows by its window); their errors wait until the FROM clause has
    // been resolved, as SQLite reports them.
    let mut rw = Rewriter { named: &core.windows, lower: Vec::new(), groups: Vec::new(), calls: 0 };
    let split = split_written(&mut rw, core, order_by);
    let first_id = next_subquery_id(ctx);
    let depth = ctx.plan_parent.len();
    for j in 0..rw.groups.len().max(1) {
        let line = ctx.plan_line(format!("CO-ROUTINE (subquery-{})", first_id + j));
        ctx.plan_parent.push(line);
    }
    let r = compile_windowed_body(ctx, schema, core, rw, split, limit, first_id);
    ctx.plan_parent.truncate(depth);
    r
}

/// The upper query's forms of the result columns as written (`None` for `*` and `t.*`, which
/// hold no window calls) and of the ORDER BY terms.
type Written = (Vec<Option<Expr>>, Vec<OrderingTerm>);

fn split_written(rw: &mut Rewriter<'_>, core: &SimpleSelect, order_by: &[OrderingTerm]) -> Result<Written> {
    let mut columns = Vec::with_capacity(core.columns.len());
    for c in &core.columns {
        columns.push(match c {
            ResultColumn::Expr { expr, .. } => {
                let mut e = expr.clone();
                rw.split(&mut e)?;
                Some(e)
            }
            _ => None,
        });
    }
    let aliases: Vec<&String> = core
        .columns
        .iter()
        .filter_map(|c| match c {
            ResultColumn::Expr { alias, .. } => alias.as_ref(),
            _ => None,
        })
        .collect();
    let mut upper_order = Vec::with_capacity(order_by.len());
    for t in order_by {
        // Column numbers and result aliases (under a COLLATE too) name the upper query's
        // columns, as before.
        let term = match &t.expr {
            Expr::Collate { expr, .. } => expr,
            e => e,
        };
        let keep = match term {
            Expr::Literal(Literal::Integer(_)) => true,
            Expr::Column(c) if c.table.is_none() && !c.double_quoted => {
                aliases.iter().any(|a| a.eq_ignore_ascii_case(&c.column))
            }
            _ => false,
        };
        let mut t = t.clone();
        if !keep {
            rw.split(&mut t.expr)?;
        }
        upper_order.push(t);
    }
    Ok((columns, upper_order))
}

/// The number the next `(subquery-N)` of EXPLAIN QUERY PLAN takes: the query itself is 1.
fn next_subquery_id(ctx: &Ctx) -> usize {
    let used = ctx.plan_details.iter().filter_map(|(d, _)| {
        let rest = &d[d.find("(subquery-")? + "(subquery-".len()..];
        rest[..rest.find(')')?].parse::<usize>().ok()
    });
    used.max().unwrap_or(1) + 1
}

fn compile_windowed_body(
    ctx: &mut Ctx,
    schema: &Schema,
    core: &SimpleSelect,
    mut rw: Rewriter<'_>,
    split: Result<Written>,
    limit: &Option<ast::Limit>,
    first_id: usize,
) -> Result<(Vec<String>, Vec<Option<String>>)> {
    resolve_from_into_scope(ctx, schema, core)?;
    let (written, upper_order) = split?;
    let level_start = *ctx.levels.last().expect("a level");
    // The upper query's result columns keep the names the original ones have; `*` and `t.*`
    // expand to column references, which the lower query computes.
    let mut cols = Vec::with_capacity(core.columns.len());
    let mut upper_columns = Vec::with_capacity(core.columns.len());
    for (rc, upper) in core.columns.iter().zip(written) {
        for c in expand_columns(ctx, std::slice::from_ref(rc), level_start)? {
            let e = match &upper {
                Some(e) => e.clone(),
                None => {
                    let mut e = c.expr.clone();
                    rw.split(&mut e)?;
                    e
                }
            };
            upper_columns.push(ResultColumn::Expr { expr: e, alias: Some(c.name.clone()), text: c.name.clone() });
            cols.push(c);
        }
    }
    // SQLite requires an aggregate outside the window calls for HAVING without GROUP BY.
    if core.group_by.is_empty() && core.having.is_some() && !cols.iter().any(|c| aggregate_outside_windows(&c.expr)) {
        return Err(Error::sql("HAVING clause on a non-aggregate query"));
    }
    rw.assign_columns();
    if rw.lower.is_empty() {
        rw.lower.push((Expr::Literal(Literal::Null), String::new()));
    }
    // Result aliases in WHERE, GROUP BY and HAVING stand for their expressions; one that
    // stands for a window call is an error.
    for c in &core.columns {
        if let ResultColumn::Expr { expr, alias: Some(alias), .. } = c {
            let clauses = core.where_clause.iter().chain(&core.group_by).chain(core.having.iter());
            if contains_window(expr) && clauses.into_iter().any(|e| names_alias(ctx, e, alias)) {
                return Err(Error::sql(format!("misuse of aliased window function {alias}")));
            }
        }
    }
    let core = &with_aliases_resolved(ctx, core)?;

    // The lower query, into an ephemeral table.
    let lower = SimpleSelect {
        distinct: false,
        columns: rw
            .lower
            .iter()
            .map(|(e, _)| ResultColumn::Expr { expr: e.clone(), alias: None, text: String::new() })
            .collect(),
        from: core.from.clone(),
        where_clause: core.where_clause.clone(),
        group_by: core.group_by.clone(),
        having: core.having.clone(),
        windows: vec![],
    };
    // The lower query sorts its rows by the last window (the innermost), so the planner may
    // read them in that order from an index; each window's sort is stable, so the rows stay
    // in that order for it.
    let lower_order: Vec<OrderingTerm> = rw
        .groups
        .last()
        .map(|g| {
            let keys = g.partition.iter().map(|&c| (c, false, None)).chain(g.order.iter().copied());
            keys.map(|(c, desc, nulls)| OrderingTerm {
                expr: Expr::Literal(Literal::Integer(c as i64 + 1)),
                desc,
                nulls,
            })
            .collect()
        })
        .unwrap_or_default();
    let id = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::EphOpen { id, distinct: false, key: Default::default() });
    ctx.dest.push(Dest::Eph { id });
    let r = compile_simple_over_scope(ctx, &lower, &lower_order, &None, false);
    ctx.dest.pop();
    for (j, g) in rw.groups.iter().enumerate().rev().skip(1) {
        ctx.plan_parent.pop();
        ctx.plan_line(format!("SCAN (subquery-{})", first_id + j + 1));
        if !g.partition.is_empty() || !g.order.is_empty() {
            ctx.plan_line("USE TEMP B-TREE FOR ORDER BY".into());
        }
    }
    ctx.plan_parent.pop();
    let (_, decltypes) = r?;
    let rules = ctx.result_rules.clone();
    let collation = |i: usize| rules.get(i).and_then(|r| r.1).map(|(c, _)| c).unwrap_or_default();

    let plan = WindowPlan {
        groups: rw
            .groups
            .iter()
            .map(|g| {
                let keys = g.partition.iter().map(|&c| (c, false, None)).chain(g.order.iter().copied());
                let mut key = SortKey::default();
                for (c, desc, nulls) in keys {
                    key.collations.push(collation(c));
                    key.desc.push(desc);
                    key.nulls_first.push(nulls.map(|n| n == ast::NullsOrder::First));
                }
                let calls = g
                    .calls
                    .iter()
                    .map(|c| {
                        let bound = |b: &FrameBound, col: Option<usize>| match b {
                            FrameBound::UnboundedPreceding => Bound::UnboundedPreceding,
                            FrameBound::Preceding(_) => Bound::Preceding(col.expect("an offset column")),
                            FrameBound::CurrentRow => Bound::CurrentRow,
                            FrameBound::Following(_) => Bound::Following(col.expect("an offset column")),
                            FrameBound::UnboundedFollowing => Bound::UnboundedFollowing,
                        };
                        let func = match &c.func {
                            WindowFunc::Aggregate(f, _) => WindowFunc::Aggregate(
                                f.clone(),
                                c.arg_cols.first().map(|&a| collation(a)).unwrap_or_default(),
                            ),
                            f => f.clone(),
                        };
                        WindowCall {
                            func,
                            args: c.arg_cols.clone(),
                            filter: c.filter_col,
                            frame: Frame {
                                units: c.units,
                                start: bound(&c.start, c.start_col),
                                end: bound(&c.end, c.end_col),
                                exclude: c.exclude,
                            },
                            out: c.out,
                        }
                    })
                    .collect();
                WindowGroup { partition: g.partition.clone(), order: g.order.iter().map(|o| o.0).collect(), key, calls }
            })
            .collect(),
    };
    ctx.b.emit(Insn::Window { id, plan: Arc::new(plan) });

    // The upper query reads the extended rows in place of the FROM tables.
    let width = rw.lower.len();
    let mut names: Vec<String> = (0..width).map(|i| column_name(false, i)).collect();
    names.extend((0..rw.calls).map(|i| column_name(true, i)));
    let mut types = decltypes;
    types.resize(names.len(), None);
    let mut table = derived_table("", &names, &types);
    if let Some(t) = Arc::get_mut(&mut table) {
        for (i, c) in t.columns.iter_mut().enumerate() {
            // Window values, and expressions without affinity, have none.
            let r = rules.get(i).filter(|_| i < width);
            c.affinity = r.and_then(|r| r.0).unwrap_or(c.affinity);
            c.no_affinity = r.and_then(|r| r.0).is_none();
            c.collation = r.and_then(|r| r.1).map(|(coll, _)| coll).unwrap_or(c.collation);
            // SQLite leaves subqueries and window calls above the rewrite, where they have no
            // collation of their own.
            c.no_collation = match rw.lower.get(i) {
                Some((e, _)) => matches!(e, Expr::Subquery(_) | Expr::Exists { .. } | Expr::In { .. }),
                None => true,
            };
        }
    }
    ctx.scope.truncate(level_start);
    let cursor = ctx.b.alloc_cursor();
    ctx.scope.push(ScopeTable {
        table,
        name: format!("(subquery-{first_id})"),
        cursor,
        regs: None,
        eph: Some(id),
        coroutine: None,
        nested: None,
    });
    ctx.pending_joins = vec![(JoinOperator::Inner, None)];
    let upper = SimpleSelect {
        distinct: core.distinct,
        columns: upper_columns,
        from: None,
        where_clause: None,
        group_by: vec![],
        having: None,
        windows: vec![],
    };
    let (_, _) = compile_simple_over_scope(ctx, &upper, &upper_order, limit, false)?;
    let names = cols.iter().map(|c| c.name.clone()).collect();
    let decltypes = cols.iter().map(|c| c.decltype.clone()).collect();
    Ok((names, decltypes))
}
