//! Parameter numbering in source order.
//!
//! SQLite numbers `?` parameters as the parser meets them, left to right. The compiler visits
//! clauses in execution order instead (UPDATE compiles WHERE before SET), so before compiling,
//! every `?` is rewritten to its `?NNN` number and named parameters are registered in the order
//! they first appear.

use crate::error::Result;
use crate::parser::ast::*;

use super::expr::Ctx;

/// Rewrites `?` to numbered parameters and registers named ones, in source order.
pub fn number_parameters(ctx: &mut Ctx, stmt: &mut Statement) -> Result<()> {
    let mut err = None;
    let mut f = |e: &mut Expr| {
        if let Expr::Param(p) = e {
            match ctx.register_param(p) {
                Ok(n) => {
                    if p.kind == ParamKind::Next {
                        p.kind = ParamKind::Numbered(n as u64);
                    }
                }
                Err(x) => {
                    err.get_or_insert(x);
                }
            }
        }
    };
    visit_statement(stmt, &mut f);
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

type Visitor<'a> = dyn FnMut(&mut Expr) + 'a;

fn visit_statement(stmt: &mut Statement, f: &mut Visitor<'_>) {
    match stmt {
        Statement::Select(s) => visit_select(s, f),
        Statement::Insert(i) => {
            if let Some(w) = &mut i.with {
                visit_with(w, f);
            }
            match &mut i.source {
                InsertSource::Values(rows) => rows.iter_mut().flatten().for_each(|e| visit_expr(e, f)),
                InsertSource::Select(s) => visit_select(s, f),
                InsertSource::DefaultValues => {}
            }
            for u in &mut i.upsert {
                for t in &mut u.target {
                    visit_expr(&mut t.expr, f);
                }
                if let Some(w) = &mut u.target_where {
                    visit_expr(w, f);
                }
                if let UpsertAction::Update { sets, where_clause } = &mut u.action {
                    sets.iter_mut().for_each(|a| visit_expr(&mut a.value, f));
                    if let Some(w) = where_clause {
                        visit_expr(w, f);
                    }
                }
            }
            visit_result_columns(&mut i.returning, f);
        }
        Statement::Update(u) => {
            if let Some(w) = &mut u.with {
                visit_with(w, f);
            }
            u.sets.iter_mut().for_each(|a| visit_expr(&mut a.value, f));
            if let Some(from) = &mut u.from {
                visit_from(from, f);
            }
            if let Some(w) = &mut u.where_clause {
                visit_expr(w, f);
            }
            visit_result_columns(&mut u.returning, f);
        }
        Statement::Delete(d) => {
            if let Some(w) = &mut d.with {
                visit_with(w, f);
            }
            if let Some(w) = &mut d.where_clause {
                visit_expr(w, f);
            }
            visit_result_columns(&mut d.returning, f);
        }
        Statement::Explain { stmt, .. } => visit_statement(stmt, f),
        _ => {}
    }
}

fn visit_with(w: &mut With, f: &mut Visitor<'_>) {
    for c in &mut w.ctes {
        visit_select(&mut c.select, f);
    }
}

fn visit_result_columns(cols: &mut [ResultColumn], f: &mut Visitor<'_>) {
    for c in cols {
        if let ResultColumn::Expr { expr, .. } = c {
            visit_expr(expr, f);
        }
    }
}

fn visit_select(s: &mut Select, f: &mut Visitor<'_>) {
    if let Some(w) = &mut s.with {
        visit_with(w, f);
    }
    visit_core(&mut s.body.first, f);
    for (_, core) in &mut s.body.compounds {
        visit_core(core, f);
    }
    for t in &mut s.order_by {
        visit_expr(&mut t.expr, f);
    }
    if let Some(l) = &mut s.limit {
        visit_expr(&mut l.limit, f);
        if let Some(o) = &mut l.offset {
            visit_expr(o, f);
        }
    }
}

fn visit_core(core: &mut SelectCore, f: &mut Visitor<'_>) {
    match core {
        SelectCore::Values(rows) => rows.iter_mut().flatten().for_each(|e| visit_expr(e, f)),
        SelectCore::Select(s) => {
            visit_result_columns(&mut s.columns, f);
            if let Some(from) = &mut s.from {
                visit_from(from, f);
            }
            if let Some(w) = &mut s.where_clause {
                visit_expr(w, f);
            }
            s.group_by.iter_mut().for_each(|e| visit_expr(e, f));
            if let Some(h) = &mut s.having {
                visit_expr(h, f);
            }
            s.windows.iter_mut().for_each(|(_, w)| visit_window(w, f));
        }
    }
}

fn visit_window(w: &mut WindowSpec, f: &mut Visitor<'_>) {
    w.partition_by.iter_mut().for_each(|e| visit_expr(e, f));
    w.order_by.iter_mut().for_each(|t| visit_expr(&mut t.expr, f));
    if let Some(frame) = &mut w.frame {
        for b in std::iter::once(&mut frame.start).chain(frame.end.as_mut()) {
            if let FrameBound::Preceding(e) | FrameBound::Following(e) = b {
                visit_expr(e, f);
            }
        }
    }
}

fn visit_from(from: &mut FromClause, f: &mut Visitor<'_>) {
    visit_table_ref(&mut from.first, f);
    for j in &mut from.joins {
        visit_table_ref(&mut j.table, f);
        if let Some(JoinConstraint::On(e)) = &mut j.constraint {
            visit_expr(e, f);
        }
    }
}

fn visit_table_ref(t: &mut TableRef, f: &mut Visitor<'_>) {
    match t {
        TableRef::Table { .. } => {}
        TableRef::Subquery { select, .. } => visit_select(select, f),
        TableRef::Function { args, .. } => args.iter_mut().for_each(|e| visit_expr(e, f)),
        TableRef::Nested { from, .. } => visit_from(from, f),
    }
}

/// Replaces unqualified column names that match no column in scope but do match a result
/// column alias with that column's expression (SQLite resolves aliases in WHERE, GROUP BY,
/// HAVING and ORDER BY this way). Subqueries are left alone.
pub fn substitute_aliases(e: &mut Expr, lookup: &dyn Fn(&ColumnRef) -> Option<Expr>) {
    if let Expr::Column(c) = e {
        if let Some(replacement) = lookup(c) {
            *e = replacement;
        }
        return;
    }
    if matches!(e, Expr::Exists { .. } | Expr::Subquery(_)) {
        return;
    }
    if let Expr::In { expr, target: InTarget::Select(_), .. } = e {
        substitute_aliases(expr, lookup);
        return;
    }
    let mut children: Vec<&mut Expr> = Vec::new();
    match e {
        Expr::Unary { expr, .. }
        | Expr::Cast { expr, .. }
        | Expr::Collate { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::IsTruth { expr, .. } => children.push(expr),
        Expr::Binary { left, right, .. } => {
            children.push(left);
            children.push(right);
        }
        Expr::Like { expr, pattern, escape, .. } => {
            children.push(expr);
            children.push(pattern);
            if let Some(x) = escape {
                children.push(x);
            }
        }
        Expr::Between { expr, low, high, .. } => {
            children.push(expr);
            children.push(low);
            children.push(high);
        }
        Expr::In { expr, target, .. } => {
            children.push(expr);
            if let InTarget::List(l) = target {
                children.extend(l.iter_mut());
            }
        }
        Expr::Case { base, whens, else_expr } => {
            if let Some(b) = base {
                children.push(b);
            }
            for (w, t) in whens {
                children.push(w);
                children.push(t);
            }
            if let Some(x) = else_expr {
                children.push(x);
            }
        }
        Expr::Function(call) => {
            if let FunctionArgs::List(args) = &mut call.args {
                children.extend(args.iter_mut());
            }
            if let Some(x) = &mut call.filter {
                children.push(x);
            }
        }
        Expr::Row(items) => children.extend(items.iter_mut()),
        _ => {}
    }
    for c in children {
        substitute_aliases(c, lookup);
    }
}

/// The first bind parameter or subquery in `e`, in source order: `Some(true)` for a parameter,
/// `Some(false)` for a subquery (neither may appear in a CHECK constraint).
pub fn first_param_or_subquery(e: &Expr) -> Option<bool> {
    let mut found = None;
    let mut e = e.clone();
    visit_expr(&mut e, &mut |x: &mut Expr| {
        if found.is_none() {
            found = Some(matches!(x, Expr::Param(_)));
        }
    });
    found
}

/// Calls `f` on every parameter, and on every subquery before its own parameters.
fn visit_expr(e: &mut Expr, f: &mut Visitor<'_>) {
    if matches!(e, Expr::Exists { .. } | Expr::Subquery(_) | Expr::In { target: InTarget::Select(_), .. }) {
        f(e);
    }
    match e {
        Expr::Literal(_) | Expr::Column(_) | Expr::Raise { .. } => {}
        Expr::Param(_) => f(e),
        Expr::Unary { expr, .. }
        | Expr::Cast { expr, .. }
        | Expr::Collate { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::IsTruth { expr, .. } => visit_expr(expr, f),
        Expr::Binary { left, right, .. } => {
            visit_expr(left, f);
            visit_expr(right, f);
        }
        Expr::Like { expr, pattern, escape, .. } => {
            visit_expr(expr, f);
            visit_expr(pattern, f);
            if let Some(x) = escape {
                visit_expr(x, f);
            }
        }
        Expr::Between { expr, low, high, .. } => {
            visit_expr(expr, f);
            visit_expr(low, f);
            visit_expr(high, f);
        }
        Expr::In { expr, target, .. } => {
            visit_expr(expr, f);
            match target {
                InTarget::List(l) => l.iter_mut().for_each(|x| visit_expr(x, f)),
                InTarget::Select(s) => visit_select(s, f),
                InTarget::Table(_) => {}
                InTarget::TableFunction { args, .. } => args.iter_mut().for_each(|x| visit_expr(x, f)),
            }
        }
        Expr::Exists { select, .. } | Expr::Subquery(select) => visit_select(select, f),
        Expr::Case { base, whens, else_expr } => {
            if let Some(b) = base {
                visit_expr(b, f);
            }
            for (w, t) in whens {
                visit_expr(w, f);
                visit_expr(t, f);
            }
            if let Some(x) = else_expr {
                visit_expr(x, f);
            }
        }
        Expr::Function(call) => {
            if let FunctionArgs::List(args) = &mut call.args {
                args.iter_mut().for_each(|x| visit_expr(x, f));
            }
            for t in &mut call.order_by {
                visit_expr(&mut t.expr, f);
            }
            if let Some(x) = &mut call.filter {
                visit_expr(x, f);
            }
            if let Some(Over::Spec(w)) = &mut call.over {
                visit_window(w, f);
            }
        }
        Expr::Row(items) => items.iter_mut().for_each(|x| visit_expr(x, f)),
    }
}
