//! Expression compilation: name resolution against the tables in scope, SQLite's affinity and
//! collation rules for comparisons, and code for values (`expr_to_reg`) and for conditions
//! (`cond_jump`, which jumps when the condition is false or NULL).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::functions::{self, AggregateFunc, FunctionLookup};
use crate::parser::ast::{self, BinaryOp, Expr, InTarget, LikeOp, Literal, ParamKind, UnaryOp};
use crate::schema::{Schema, Table};
use crate::value::Collation;
use crate::vdbe::insn::{BitOp, CmpOp, Insn};
use crate::vdbe::ops::{Affinity, ArithOp};
use crate::vdbe::program::{Label, ProgramBuilder};

/// A table in scope: its cursor and how its columns are read.
#[derive(Debug, Clone)]
pub struct ScopeTable {
    pub table: Arc<Table>,
    /// The name it is referred to by (alias or table name).
    pub name: String,
    pub cursor: usize,
    /// A scan over an ephemeral table (a subquery in FROM, a view, a CTE) instead of a B-tree.
    pub eph: Option<usize>,
    /// When set, the row's values are in registers (starting here, one per column, then the
    /// rowid) instead of being read from the cursor: UPDATE's new row, for CHECK constraints,
    /// and a co-routine's row.
    pub regs: Option<usize>,
    /// A subquery in FROM run as a co-routine (SQLite's CO-ROUTINE): each Yield on this
    /// register makes its next row, in `regs`. Only ever the outermost loop, scanned once.
    pub coroutine: Option<usize>,
    /// A parenthesized join compiled as a subquery (SQLite's SF_NestedFrom): where each of its
    /// columns came from, one entry per column of `table`, so names of the inner tables resolve.
    pub nested: Option<Arc<[NestedColumn]>>,
}

/// One column of a parenthesized join compiled as a subquery: SQLite's ENAME_TAB result
/// column `db.table.column` (or `..column` for a USING column's merged value, or the rowid).
#[derive(Debug, Clone)]
pub struct NestedColumn {
    /// The inner table (its alias or name) the column belongs to; None for a USING column,
    /// which only an unqualified name reaches.
    pub table: Option<String>,
    /// The column's name in that table (not the subquery's de-duplicated column name).
    pub name: String,
    /// The inner table's rowid: any rowid name finds it, `*` never shows it.
    pub rowid: bool,
    /// A USING column's merged value (SQLite's bUsingTerm): the first such match ends the
    /// search of this group, so the copies behind it are not ambiguous.
    pub using_term: bool,
    /// Not part of `*` (SQLite's COLFLAG_NOEXPAND): a USING copy, a rowid, a name that
    /// repeats a USING column's. `t.*` for an inner table still shows the copies.
    pub no_expand: bool,
}

impl NestedColumn {
    /// Whether the reference `table.name` (table optional) names this column (SQLite's
    /// sqlite3MatchEName), not counting rowid names.
    pub fn matches(&self, table: Option<&str>, name: &str) -> bool {
        let table_ok = match (table, &self.table) {
            (None, _) => true,
            (Some(t), Some(own)) => t.eq_ignore_ascii_case(own),
            (Some(_), None) => false,
        };
        table_ok && !self.rowid && self.name.eq_ignore_ascii_case(name)
    }
}

impl ScopeTable {
    /// A table read through its B-tree cursor.
    pub fn table(table: Arc<Table>, name: String, cursor: usize) -> ScopeTable {
        ScopeTable { table, name, cursor, regs: None, eph: None, coroutine: None, nested: None }
    }

    /// Rows of ephemeral table `id` (a materialized subquery, view or CTE), read by `cursor`.
    pub fn eph(table: Arc<Table>, name: String, cursor: usize, id: usize) -> ScopeTable {
        ScopeTable { eph: Some(id), ..ScopeTable::table(table, name, cursor) }
    }

    /// Whether a reference qualified by `table` may read this scope table: its own name, or,
    /// for a parenthesized join, one of its inner tables'.
    pub fn answers_to(&self, table: &str) -> bool {
        self.name.eq_ignore_ascii_case(table)
            || self
                .nested
                .as_ref()
                .is_some_and(|n| n.iter().any(|c| c.table.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(table))))
    }
}

/// An aggregate call found in the result columns or HAVING.
#[derive(Debug, Clone)]
pub struct AggInfo {
    pub expr: ast::FunctionCall,
    pub func: AggregateFunc,
    pub acc_reg: usize,
}

/// A result column's comparison affinity (None: no affinity) and collation (true: explicit).
pub type ColumnRules = (Option<Affinity>, Option<(Collation, bool)>);

/// Where a query's rows go.
#[derive(Debug, Clone, Copy)]
pub enum Dest {
    /// ResultRow: the statement's output.
    Output,
    /// A scalar or row subquery: the first `width` columns of the first row into
    /// `reg..reg + width`, then jump to `done`.
    Scalar { reg: usize, width: usize, done: Label },
    /// EXISTS: 1 into `reg` at the first row, then jump to `done`.
    Exists { reg: usize, done: Label },
    /// Every row into ephemeral table `id`.
    Eph { id: usize },
    /// A co-routine's row: copied into the registers `ctx.coroutine_rows[slot]` will name (the
    /// copies' addresses are noted there and patched once the row's width is known), then
    /// Yield on `reg` hands it to the loop reading it.
    Coroutine { reg: usize, slot: usize },
    /// Nowhere: a SELECT inside a trigger runs for its side effects (RAISE) only.
    Discard,
    /// A recursive CTE's queue `id`, skipping rows already in set `seen` (UNION). With an
    /// ORDER BY, the queue is a set ordered by the columns `ctx.queue_orders[order]` of the row,
    /// then by the sequence number counted in register `seq` (equal keys leave in FIFO order):
    /// each queued row is those columns, the number, then the row.
    Queue { id: usize, seen: Option<usize>, seq: Option<usize>, order: usize },
}

/// Inside the body of CTE `name`, its own name is not the CTE: a recursive step's FROM clause
/// reads it as the row being processed (`bind`: ephemeral table and column names, at query
/// level `level`), and any other use is SQLite's error `message` ("circular reference: %s").
#[derive(Clone)]
pub struct CteGuard {
    pub name: String,
    pub level: usize,
    pub bind: Option<(usize, Vec<String>)>,
    pub message: &'static str,
    /// `ctx.ctes.len()` when the guard was set: a CTE of the same name defined inside the body
    /// (at or after this index) hides the guard.
    pub ctes_len: usize,
}

impl CteGuard {
    /// The CTE's name anywhere in this part of its body is SQLite's "circular reference".
    pub fn circular(name: &str, ctes_len: usize) -> CteGuard {
        CteGuard { name: name.to_string(), level: 0, bind: None, message: "circular reference: %s", ctes_len }
    }
}

/// Compilation state shared by one statement.
pub struct Ctx {
    pub b: ProgramBuilder,
    pub schema: Arc<Schema>,
    /// Tables in scope, outermost query first; `levels[i]` is where query level i's tables start.
    pub scope: Vec<ScopeTable>,
    pub levels: Vec<usize>,
    /// Per level: whether a name in it resolved to an outer level (a correlated subquery).
    /// Interior mutability because name resolution takes `&Ctx`.
    pub correlated_cell: std::cell::RefCell<Vec<bool>>,
    /// Where the rows of the query being compiled go (innermost last).
    pub dest: Vec<Dest>,
    /// Common table expressions visible here, innermost last.
    pub ctes: Vec<ast::Cte>,
    /// CTEs whose bodies are being compiled, innermost last: what their names mean there.
    pub cte_guards: Vec<CteGuard>,
    /// Key columns of recursive CTE queues with an ORDER BY (see `Dest::Queue`).
    pub queue_orders: Vec<Vec<usize>>,
    /// Per co-routine: the addresses of the copies into its row registers (see `Dest::Coroutine`).
    pub coroutine_rows: Vec<Vec<usize>>,
    /// Columns a NATURAL or USING join hides: (cursor, column) of the right-hand copies.
    pub hidden_columns: Vec<(usize, usize)>,
    /// What an unqualified USING column stands for when a RIGHT or FULL join changed it from
    /// the leftmost table's copy: ((cursor, column) of that copy, expression).
    pub using_merged: Vec<((usize, usize), Expr)>,
    /// Triggers being compiled, innermost last (a trigger does not fire itself).
    pub trigger_stack: Vec<String>,
    /// Where RAISE(IGNORE) jumps in the trigger being compiled: the firing row's end.
    pub raise_ignore: Vec<Label>,
    /// The joins of the FROM clause just resolved, for the query body that follows.
    pub pending_joins: Vec<(ast::JoinOperator, Option<Expr>)>,
    /// Parameter names by number (index 0 is ?1).
    pub params: Vec<Option<String>>,
    /// The highest `?` number used so far (for the next bare `?`).
    pub next_param: usize,
    /// Aggregates of the current SELECT, when it is an aggregate query.
    pub aggs: Option<Vec<AggInfo>>,
    /// Whether aggregate references read the accumulator (after AggFinal) instead of stepping.
    pub in_agg_output: bool,
    /// Set while compiling an expression that must be deterministic: what SQLite's error calls
    /// it ("index expressions", "partial index WHERE clauses").
    pub deterministic_only: Option<&'static str>,
    /// EXPLAIN QUERY PLAN details of the loops emitted so far ("SCAN t").
    pub plan_details: Vec<(String, Option<usize>)>,
    /// The EXPLAIN QUERY PLAN line the lines being made belong under (innermost last).
    pub plan_parent: Vec<usize>,
    pub query_plan_rows: Vec<(i64, i64, String)>,
    /// The affinity and collation of each result column of the simple SELECT compiled last
    /// (for a compound, its rightmost member): what `x IN (SELECT ...)` compares with.
    pub result_rules: Vec<ColumnRules>,
    /// The first result column's rules of each subquery compiled so far, by the address of
    /// its AST node: a scalar subquery compares with that column's affinity. Shared with the
    /// scratch contexts that compile a subquery apart to learn them (`subquery_rules`).
    /// The rules of each member's result columns (leftmost first) of the query compiled last:
    /// what SQLite derives a subquery's column affinities from.
    pub member_rules: Vec<Vec<ColumnRules>>,
    /// The node is kept with its rules: an address freed by a scratch context may come back.
    pub subquery_rules: std::rc::Rc<std::cell::RefCell<std::collections::HashMap<usize, (ast::Select, ColumnRules)>>>,
    /// Tables read through an index that may cover them (see `plan::apply_covering`).
    pub cover_candidates: Vec<super::plan::CoverCandidate>,
}

impl Ctx {
    pub fn new(schema: Arc<Schema>) -> Ctx {
        Ctx {
            b: ProgramBuilder::new(),
            schema,
            scope: vec![],
            levels: vec![0],
            correlated_cell: std::cell::RefCell::new(vec![false]),
            dest: vec![Dest::Output],
            ctes: vec![],
            pending_joins: vec![],
            trigger_stack: vec![],
            hidden_columns: vec![],
            using_merged: vec![],
            cte_guards: vec![],
            queue_orders: vec![],
            coroutine_rows: vec![],
            raise_ignore: vec![],
            params: vec![],
            next_param: 0,
            aggs: None,
            in_agg_output: false,
            deterministic_only: None,
            plan_details: vec![],
            plan_parent: vec![],
            query_plan_rows: vec![],
            result_rules: vec![],
            subquery_rules: Default::default(),
            member_rules: vec![],
            cover_candidates: vec![],
        }
    }

    /// Whether column `name` of scope table `si` is a hidden USING/NATURAL copy.
    pub fn is_hidden(&self, si: usize, name: &str) -> bool {
        let st = &self.scope[si];
        st.table.column_index(name).is_some_and(|c| self.hidden_columns.contains(&(st.cursor, c)))
    }

    /// Marks every level inside `outer` as depending on it.
    fn mark_correlated(&self, outer: usize) {
        let mut c = self.correlated_cell.borrow_mut();
        for l in outer + 1..c.len() {
            c[l] = true;
        }
    }

    /// Enters a nested query level (a subquery's FROM tables go after this).
    pub fn push_level(&mut self) {
        self.levels.push(self.scope.len());
        self.correlated_cell.borrow_mut().push(false);
    }

    /// Leaves the innermost level, dropping its tables; returns whether it was correlated.
    pub fn pop_level(&mut self) -> bool {
        let start = self.levels.pop().expect("a level to pop");
        self.scope.truncate(start);
        self.correlated_cell.borrow_mut().pop().unwrap_or(false)
    }

    /// Adds an EXPLAIN QUERY PLAN line under the current parent line; returns its index.
    pub fn plan_line(&mut self, detail: String) -> usize {
        let parent = self.plan_parent.last().copied();
        self.plan_details.push((detail, parent));
        self.plan_details.len() - 1
    }

    pub fn emit_row_dest(&self) -> Dest {
        *self.dest.last().expect("a destination")
    }

    /// The number of parameter `p`, registering it (SQLite's numbering rules).
    pub fn register_param(&mut self, p: &ast::Param) -> Result<usize> {
        let idx = match p.kind {
            ParamKind::Next => self.next_param + 1,
            ParamKind::Numbered(n) => {
                if n == 0 || n as usize > crate::limits::MAX_VARIABLE_NUMBER {
                    return Err(Error::sql(format!(
                        "variable number must be between ?1 and ?{}",
                        crate::limits::MAX_VARIABLE_NUMBER
                    )));
                }
                n as usize
            }
            ParamKind::Named => {
                if let Some(i) = self.params.iter().position(|n| n.as_deref() == Some(p.text.as_str())) {
                    return Ok(i + 1);
                }
                self.next_param + 1
            }
        };
        if self.params.len() < idx {
            self.params.resize(idx, None);
        }
        if p.kind == ParamKind::Named {
            self.params[idx - 1] = Some(p.text.clone());
        }
        self.next_param = self.next_param.max(idx);
        Ok(idx)
    }
}

/// Resolves a column reference to (scope slot, column), with `None` for the rowid; `Ok(None)`
/// when nothing in scope has that name.
pub fn resolve_column(ctx: &Ctx, c: &ast::ColumnRef) -> Result<Option<(usize, Option<usize>)>> {
    Ok(match resolve(ctx, c)? {
        Some(Resolved::Column { scope, column }) => Some((scope, Some(column))),
        Some(Resolved::Rowid { scope }) => Some((scope, None)),
        None => None,
    })
}

/// The column references in `e` outside aggregate calls, including those in subqueries: a
/// correlated subquery in an aggregate query's output reads the outer row's columns from the
/// row SQLite picks, like a bare column. A reference in a subquery may name the subquery's own
/// tables; the caller keeps only those resolving to the aggregate query's tables.
pub fn collect_bare_columns(e: &Expr, out: &mut Vec<ast::ColumnRef>) {
    match e {
        Expr::Subquery(select) | Expr::Exists { select, .. } => collect_select_columns(select, out),
        Expr::In { expr, target: InTarget::Select(select), .. } => {
            collect_bare_columns(expr, out);
            collect_select_columns(select, out);
        }
        Expr::Column(c) if !out.contains(c) => out.push(c.clone()),
        Expr::Function(call) => {
            let argc = call.args.count();
            if call.over.is_none() && matches!(functions::lookup(&call.name, argc), FunctionLookup::Aggregate(_)) {
                return;
            }
            if let ast::FunctionArgs::List(args) = &call.args {
                args.iter().for_each(|a| collect_bare_columns(a, out));
            }
        }
        Expr::Unary { expr, .. }
        | Expr::Cast { expr, .. }
        | Expr::Collate { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::IsTruth { expr, .. } => collect_bare_columns(expr, out),
        Expr::Binary { left, right, .. } => {
            collect_bare_columns(left, out);
            collect_bare_columns(right, out);
        }
        Expr::Like { expr, pattern, escape, .. } => {
            collect_bare_columns(expr, out);
            collect_bare_columns(pattern, out);
            if let Some(e) = escape {
                collect_bare_columns(e, out);
            }
        }
        Expr::Between { expr, low, high, .. } => {
            collect_bare_columns(expr, out);
            collect_bare_columns(low, out);
            collect_bare_columns(high, out);
        }
        Expr::In { expr, target, .. } => {
            collect_bare_columns(expr, out);
            if let InTarget::List(l) = target {
                l.iter().for_each(|x| collect_bare_columns(x, out));
            }
        }
        Expr::Case { base, whens, else_expr } => {
            if let Some(b) = base {
                collect_bare_columns(b, out);
            }
            for (w, t) in whens {
                collect_bare_columns(w, out);
                collect_bare_columns(t, out);
            }
            if let Some(e) = else_expr {
                collect_bare_columns(e, out);
            }
        }
        Expr::Row(items) => items.iter().for_each(|x| collect_bare_columns(x, out)),
        _ => {}
    }
}

/// The column references anywhere in `select` (see `collect_bare_columns`).
fn collect_select_columns(select: &ast::Select, out: &mut Vec<ast::ColumnRef>) {
    fn table_ref(t: &ast::TableRef, out: &mut Vec<ast::ColumnRef>) {
        match t {
            ast::TableRef::Subquery { select, .. } => collect_select_columns(select, out),
            ast::TableRef::Function { args, .. } => args.iter().for_each(|a| collect_bare_columns(a, out)),
            ast::TableRef::Nested { from, .. } => from_clause(from, out),
            ast::TableRef::Table { .. } => {}
        }
    }
    fn from_clause(f: &ast::FromClause, out: &mut Vec<ast::ColumnRef>) {
        table_ref(&f.first, out);
        for j in &f.joins {
            table_ref(&j.table, out);
            if let Some(ast::JoinConstraint::On(e)) = &j.constraint {
                collect_bare_columns(e, out);
            }
        }
    }
    fn core(c: &ast::SelectCore, out: &mut Vec<ast::ColumnRef>) {
        match c {
            ast::SelectCore::Values(rows) => rows.iter().flatten().for_each(|e| collect_bare_columns(e, out)),
            ast::SelectCore::Select(s) => {
                for col in &s.columns {
                    if let ast::ResultColumn::Expr { expr, .. } = col {
                        collect_bare_columns(expr, out);
                    }
                }
                if let Some(f) = &s.from {
                    from_clause(f, out);
                }
                let rest = s.where_clause.iter().chain(&s.group_by).chain(&s.having);
                rest.for_each(|e| collect_bare_columns(e, out));
            }
        }
    }
    if let Some(with) = &select.with {
        with.ctes.iter().for_each(|c| collect_select_columns(&c.select, out));
    }
    core(&select.body.first, out);
    select.body.compounds.iter().for_each(|(_, c)| core(c, out));
    select.order_by.iter().for_each(|t| collect_bare_columns(&t.expr, out));
    if let Some(l) = &select.limit {
        collect_bare_columns(&l.limit, out);
        if let Some(o) = &l.offset {
            collect_bare_columns(o, out);
        }
    }
}

/// Where a column reference resolves.
enum Resolved {
    Column { scope: usize, column: usize },
    Rowid { scope: usize },
}

fn is_rowid_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("rowid") || name.eq_ignore_ascii_case("oid") || name.eq_ignore_ascii_case("_rowid_")
}

fn resolve(ctx: &Ctx, c: &ast::ColumnRef) -> Result<Option<Resolved>> {
    // Innermost query level first; the first level with a match wins, as in SQLite.
    let innermost = ctx.levels.len() - 1;
    for level in (0..ctx.levels.len()).rev() {
        let start = ctx.levels[level];
        let end = if level == innermost { ctx.scope.len() } else { ctx.levels[level + 1] };
        if let Some(r) = resolve_in(ctx, c, start..end)? {
            if level < innermost {
                ctx.mark_correlated(level);
            }
            return Ok(Some(r));
        }
    }
    if c.table.is_some() && !ctx.scope.iter().any(|st| st.answers_to(c.table.as_deref().unwrap_or(""))) {
        return Err(Error::sql_at(format!("no such column: {}", display_name(c)), c.pos.0));
    }
    Ok(None)
}

fn resolve_in(ctx: &Ctx, c: &ast::ColumnRef, range: std::ops::Range<usize>) -> Result<Option<Resolved>> {
    let mut found: Option<Resolved> = None;
    let ambiguous = || Error::sql_at(format!("ambiguous column name: {}", display_name(c)), c.pos.0);
    for si in range.clone() {
        let st = &ctx.scope[si];
        if let Some(nested) = &st.nested {
            // SQLite's lookupName for an SF_NestedFrom item: the inner tables' names first.
            let mut hit = false;
            // Joined to its left by USING on this name: the left-hand copy names it.
            let using_hidden = c.table.is_none()
                && st.table.column_index(&c.column).is_some_and(|ci| ctx.hidden_columns.contains(&(st.cursor, ci)));
            for (j, nc) in nested.iter().enumerate() {
                if !nc.matches(c.table.as_deref(), &c.column) {
                    continue;
                }
                hit = true;
                if using_hidden {
                    continue;
                }
                if found.is_some() {
                    return Err(ambiguous());
                }
                found = Some(Resolved::Column { scope: si, column: j });
                if nc.using_term {
                    break;
                }
            }
            // Then the group's own alias, with its columns' de-duplicated names.
            if hit || !c.table.as_ref().is_some_and(|t| t.eq_ignore_ascii_case(&st.name)) {
                continue;
            }
            if let Some(ci) = st.table.column_index(&c.column) {
                if found.is_some() {
                    return Err(ambiguous());
                }
                found = Some(Resolved::Column { scope: si, column: ci });
            }
            continue;
        }
        if let Some(t) = &c.table {
            if !t.eq_ignore_ascii_case(&st.name) {
                continue;
            }
        }
        if let Some(ci) = st.table.column_index(&c.column) {
            // An unqualified name of a USING column means the left-hand copy.
            if c.table.is_none() && ctx.hidden_columns.contains(&(st.cursor, ci)) {
                continue;
            }
            if found.is_some() {
                return Err(ambiguous());
            }
            found = Some(Resolved::Column { scope: si, column: ci });
        }
    }
    if found.is_none() && is_rowid_name(&c.column) {
        for si in range {
            let st = &ctx.scope[si];
            if let Some(nested) = &st.nested {
                // An inner table's rowid, kept as a column of the group.
                for (j, nc) in nested.iter().enumerate() {
                    let table_ok = match (&c.table, &nc.table) {
                        (None, _) => true,
                        (Some(t), Some(own)) => t.eq_ignore_ascii_case(own),
                        (Some(_), None) => false,
                    };
                    if nc.rowid && table_ok {
                        if found.is_some() {
                            return Err(ambiguous());
                        }
                        found = Some(Resolved::Column { scope: si, column: j });
                    }
                }
                continue;
            }
            if let Some(t) = &c.table {
                if !t.eq_ignore_ascii_case(&st.name) {
                    continue;
                }
            }
            if st.table.has_rowid() {
                if found.is_some() {
                    return Err(ambiguous());
                }
                found = Some(Resolved::Rowid { scope: si });
            }
        }
    }
    Ok(found)
}

fn display_name(c: &ast::ColumnRef) -> String {
    match &c.table {
        Some(t) => format!("{t}.{}", c.column),
        None => c.column.clone(),
    }
}

/// The position of table column `column` in the stored record (WITHOUT ROWID tables store the
/// primary key columns first).
pub fn record_position(table: &Table, column: usize) -> usize {
    if !table.without_rowid {
        return column;
    }
    if let Some(p) = table.primary_key.iter().position(|(c, _, _)| *c == column) {
        return p;
    }
    let pk: Vec<usize> = table.primary_key.iter().map(|(c, _, _)| *c).collect();
    pk.len() + (0..column).filter(|c| !pk.contains(c)).count()
}

/// Emits code reading column `column` of the table in scope slot `si` into `dest`.
pub fn emit_column(ctx: &mut Ctx, si: usize, column: usize, dest: usize) {
    let st = ctx.scope[si].clone();
    if let Some(base) = st.regs {
        ctx.b.emit(Insn::SCopy { src: base + column, dest });
        return;
    }
    if st.table.rowid_alias == Some(column) {
        ctx.b.emit(Insn::Rowid { cursor: st.cursor, dest });
    } else {
        let default = st.table.columns[column].default.as_ref().and_then(constant_value);
        ctx.b.emit(Insn::Column { cursor: st.cursor, column: record_position(&st.table, column), dest, default });
        // SQLite stores a whole-number REAL as an integer in the record; a REAL column's value
        // reads back as REAL (OP_RealAffinity). Subquery rows are kept as they were made.
        if st.eph.is_none() && st.table.columns[column].affinity == Affinity::Real {
            ctx.b.emit(Insn::RealAffinity { reg: dest });
        }
    }
}

pub fn emit_rowid(ctx: &mut Ctx, si: usize, dest: usize) {
    let st = ctx.scope[si].clone();
    if let Some(base) = st.regs {
        ctx.b.emit(Insn::SCopy { src: base + st.table.columns.len(), dest });
        return;
    }
    ctx.b.emit(Insn::Rowid { cursor: st.cursor, dest });
}

/// The value of a constant expression (a literal, possibly negated), for column defaults.
pub fn constant_value(e: &Expr) -> Option<crate::value::Value> {
    use crate::value::Value;
    match e {
        Expr::Literal(Literal::Null) => Some(Value::Null),
        Expr::Literal(Literal::Integer(i)) => Some(Value::Integer(*i)),
        Expr::Literal(Literal::Real(r)) => Some(Value::Real(*r)),
        Expr::Literal(Literal::String(s)) => Some(Value::text(s)),
        Expr::Literal(Literal::Blob(b)) => Some(Value::blob(b)),
        Expr::Unary { op: UnaryOp::Negate, expr } => match constant_value(expr)? {
            Value::Integer(i) => Some(i.checked_neg().map(Value::Integer).unwrap_or(Value::Real(-(i as f64)))),
            Value::Real(r) => Some(Value::Real(-r)),
            _ => None,
        },
        Expr::Unary { op: UnaryOp::Plus, expr } => constant_value(expr),
        _ => None,
    }
}

/// The affinity an expression carries into a comparison (SQLite's sqlite3ExprAffinity).
pub fn expr_affinity(ctx: &Ctx, e: &Expr) -> Affinity {
    declared_affinity(ctx, e).unwrap_or(Affinity::Blob)
}

/// The affinity an expression has, or None for "no affinity" (a literal, an arithmetic result):
/// SQLite tells a column of BLOB affinity apart from an expression with none.
pub fn declared_affinity(ctx: &Ctx, e: &Expr) -> Option<Affinity> {
    match e {
        Expr::Column(c) => match resolve(ctx, c) {
            Ok(Some(Resolved::Column { scope, column })) => {
                let c = &ctx.scope[scope].table.columns[column];
                (!c.no_affinity).then_some(c.affinity)
            }
            Ok(Some(Resolved::Rowid { .. })) => Some(Affinity::Integer),
            _ => None,
        },
        Expr::Cast { type_name, .. } => Some(Affinity::from_decl_type(type_name)),
        Expr::Collate { expr, .. } => declared_affinity(ctx, expr),
        // sqlite3ExprAffinity of TK_SELECT: the affinity of the first result column.
        Expr::Subquery(select) => subquery_rules(ctx, select).0,
        _ => None,
    }
}

/// The collation an expression carries (explicit COLLATE, then a column's collation).
pub fn expr_collation(ctx: &Ctx, e: &Expr) -> Result<Option<(Collation, bool)>> {
    Ok(match e {
        // Unknown names are an error only where the collation is used: `translate::compile`
        // checks every collation the program compares with, as SQLite fails only when its
        // code generator needs the collating sequence (`SELECT 'a' COLLATE nosuch` works).
        Expr::Collate { collation, .. } => Some((Collation::declared(collation), true)),
        Expr::Column(c) => match resolve(ctx, c)? {
            Some(Resolved::Column { scope, column }) => {
                let c = &ctx.scope[scope].table.columns[column];
                (!c.no_collation).then_some((c.collation, false))
            }
            _ => None,
        },
        Expr::Unary { op: UnaryOp::Plus, expr } | Expr::Cast { expr, .. } => expr_collation(ctx, expr)?,
        // An expression holding an explicit COLLATE somewhere (outside subqueries) takes it,
        // as explicit: SQLite propagates EP_Collate up the tree and sqlite3ExprCollSeq follows
        // it down, left operand first, then the right one or the first list item holding one.
        other => match collate_child(other) {
            Some(child) => expr_collation(ctx, child)?.map(|(c, _)| (c, true)),
            None => None,
        },
    })
}

/// The operands of `e` in SQLite's order (pLeft, then pRight or the list), not looking into
/// subqueries.
fn operands(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Unary { expr, .. }
        | Expr::Cast { expr, .. }
        | Expr::Collate { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::IsTruth { expr, .. } => vec![expr],
        Expr::Binary { left, right, .. } => vec![left, right],
        Expr::Like { expr, pattern, escape, .. } => {
            let mut v: Vec<&Expr> = vec![pattern, expr];
            v.extend(escape.as_deref());
            v
        }
        Expr::Between { expr, low, high, .. } => vec![expr, low, high],
        Expr::In { expr, target, .. } => {
            let mut v: Vec<&Expr> = vec![expr];
            if let InTarget::List(l) = target {
                v.extend(l);
            }
            v
        }
        Expr::Case { base, whens, else_expr } => {
            let mut v: Vec<&Expr> = base.as_deref().into_iter().collect();
            for (w, t) in whens {
                v.push(w);
                v.push(t);
            }
            v.extend(else_expr.as_deref());
            v
        }
        Expr::Function(call) => match &call.args {
            ast::FunctionArgs::List(args) => args.iter().collect(),
            ast::FunctionArgs::Star => vec![],
        },
        Expr::Row(items) => items.iter().collect(),
        _ => vec![],
    }
}

/// Whether `e` holds an explicit COLLATE outside subqueries (SQLite's EP_Collate).
fn has_collate(e: &Expr) -> bool {
    matches!(e, Expr::Collate { .. }) || operands(e).into_iter().any(has_collate)
}

/// The operand sqlite3ExprCollSeq follows into: the first one holding a COLLATE.
fn collate_child(e: &Expr) -> Option<&Expr> {
    operands(e).into_iter().find(|c| has_collate(c))
}

/// The affinity and collation a comparison between `l` and `r` uses.
pub fn comparison_rules(ctx: &Ctx, l: &Expr, r: &Expr) -> Result<(Affinity, Collation)> {
    Ok(combine_rules(
        (declared_affinity(ctx, l), expr_collation(ctx, l)?),
        (declared_affinity(ctx, r), expr_collation(ctx, r)?),
    ))
}

/// The affinity and collation a comparison uses, from what each operand carries.
fn combine_rules(l: ColumnRules, r: ColumnRules) -> (Affinity, Collation) {
    // SQLite's sqlite3CompareAffinity: two operands with affinity compare numerically if either
    // is numeric and as they are otherwise; one operand with affinity lends it to the other.
    let aff = match (l.0, r.0) {
        (Some(a), Some(b)) => {
            if a.is_numeric() || b.is_numeric() {
                Affinity::Numeric
            } else {
                Affinity::Blob
            }
        }
        (Some(a), None) | (None, Some(a)) => {
            if a.is_numeric() {
                Affinity::Numeric
            } else {
                a
            }
        }
        (None, None) => Affinity::Blob,
    };
    let coll = match (l.1, r.1) {
        (Some((c, true)), _) => c,
        (_, Some((c, true))) => c,
        (Some((c, false)), _) => c,
        (_, Some((c, false))) => c,
        _ => Collation::Binary,
    };
    (aff, coll)
}

fn cmp_op(op: BinaryOp) -> Option<CmpOp> {
    Some(match op {
        BinaryOp::Eq => CmpOp::Eq,
        BinaryOp::Ne => CmpOp::Ne,
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        BinaryOp::Gt => CmpOp::Gt,
        BinaryOp::Ge => CmpOp::Ge,
        _ => return None,
    })
}

/// Compiles `e` into a new register and returns it.
pub fn expr_to_new_reg(ctx: &mut Ctx, e: &Expr) -> Result<usize> {
    let r = ctx.b.alloc_register();
    expr_to_reg(ctx, e, r)?;
    Ok(r)
}

/// Compiles `e` so that its value ends up in `dest`.
pub fn expr_to_reg(ctx: &mut Ctx, e: &Expr, dest: usize) -> Result<()> {
    expr_to_reg_depth(ctx, e, dest, 0)
}

fn expr_to_reg_depth(ctx: &mut Ctx, e: &Expr, dest: usize, depth: usize) -> Result<()> {
    if depth > crate::limits::MAX_EXPR_DEPTH {
        return Err(Error::sql(format!(
            "Expression tree is too large (maximum depth {})",
            crate::limits::MAX_EXPR_DEPTH
        )));
    }
    let d = depth + 1;
    match e {
        Expr::Literal(l) => emit_literal(ctx, l, dest)?,
        Expr::Column(c) => match resolve(ctx, c)? {
            Some(Resolved::Column { scope, column }) => emit_column(ctx, scope, column, dest),
            Some(Resolved::Rowid { scope }) => emit_rowid(ctx, scope, dest),
            None => {
                if c.double_quoted && c.table.is_none() {
                    // SQLite's misfeature: an unknown "identifier" is a string literal.
                    ctx.b.emit(Insn::String8 { value: Arc::from(c.column.as_str()), dest });
                } else {
                    return Err(Error::sql_at(format!("no such column: {}", display_name(c)), c.pos.0));
                }
            }
        },
        Expr::Param(p) => {
            let index = ctx.register_param(p)?;
            ctx.b.emit(Insn::Variable { index, dest });
        }
        Expr::Unary { op, expr } => match op {
            UnaryOp::Plus => expr_to_reg_depth(ctx, expr, dest, d)?,
            UnaryOp::Negate => {
                if let Some(v) = constant_value(e) {
                    emit_value(ctx, v, dest);
                } else {
                    let zero = ctx.b.alloc_register();
                    ctx.b.emit(Insn::Integer { value: 0, dest: zero });
                    let r = ctx.b.alloc_register();
                    expr_to_reg_depth(ctx, expr, r, d)?;
                    ctx.b.emit(Insn::Arith { op: ArithOp::Subtract, lhs: zero, rhs: r, dest });
                }
            }
            UnaryOp::Not => {
                let r = ctx.b.alloc_register();
                expr_to_reg_depth(ctx, expr, r, d)?;
                ctx.b.emit(Insn::Not { src: r, dest });
            }
            UnaryOp::BitNot => {
                let r = ctx.b.alloc_register();
                expr_to_reg_depth(ctx, expr, r, d)?;
                ctx.b.emit(Insn::BitNot { src: r, dest });
            }
        },
        Expr::Binary { op, left, right } => {
            if row_subquery_comparison(ctx, *op, left, right, dest, d)? {
                return Ok(());
            }
            check_row_members(ctx, left)?;
            check_row_members(ctx, right)?;
            if let Some(rewritten) = expand_row_comparison(*op, left, right)? {
                return expr_to_reg_depth(ctx, &rewritten, dest, d);
            }
            if let Some(cmp) = cmp_op(*op) {
                return comparison_value(ctx, cmp, left, right, dest, false, d);
            }
            if matches!(op, BinaryOp::Is | BinaryOp::IsNot) {
                let (l, r) = (ctx.b.alloc_register(), ctx.b.alloc_register());
                expr_to_reg_depth(ctx, left, l, d)?;
                expr_to_reg_depth(ctx, right, r, d)?;
                let (aff, coll) = comparison_rules(ctx, left, right)?;
                // IS compares like = but with NULL == NULL.
                ctx.b.emit(Insn::Integer { value: (*op == BinaryOp::IsNot) as i64, dest });
                let j = ctx.b.emit(Insn::Compare {
                    op: CmpOp::Eq,
                    lhs: l,
                    rhs: r,
                    target: 0,
                    affinity: aff,
                    collation: coll,
                    jump_if_null: false,
                    null_eq: true,
                });
                let skip = ctx.b.emit(Insn::Goto { target: 0 });
                ctx.b.patch_here(j);
                ctx.b.emit(Insn::Integer { value: (*op == BinaryOp::Is) as i64, dest });
                ctx.b.patch_here(skip);
                return Ok(());
            }
            let (l, r) = (ctx.b.alloc_register(), ctx.b.alloc_register());
            expr_to_reg_depth(ctx, left, l, d)?;
            expr_to_reg_depth(ctx, right, r, d)?;
            let insn = match op {
                BinaryOp::Add => Insn::Arith { op: ArithOp::Add, lhs: l, rhs: r, dest },
                BinaryOp::Sub => Insn::Arith { op: ArithOp::Subtract, lhs: l, rhs: r, dest },
                BinaryOp::Mul => Insn::Arith { op: ArithOp::Multiply, lhs: l, rhs: r, dest },
                BinaryOp::Div => Insn::Arith { op: ArithOp::Divide, lhs: l, rhs: r, dest },
                BinaryOp::Rem => Insn::Arith { op: ArithOp::Remainder, lhs: l, rhs: r, dest },
                BinaryOp::Concat => Insn::Concat { lhs: l, rhs: r, dest },
                BinaryOp::BitAnd => Insn::Bit { op: BitOp::And, lhs: l, rhs: r, dest },
                BinaryOp::BitOr => Insn::Bit { op: BitOp::Or, lhs: l, rhs: r, dest },
                BinaryOp::ShiftLeft => Insn::Bit { op: BitOp::ShiftLeft, lhs: l, rhs: r, dest },
                BinaryOp::ShiftRight => Insn::Bit { op: BitOp::ShiftRight, lhs: l, rhs: r, dest },
                BinaryOp::And => Insn::And { lhs: l, rhs: r, dest },
                BinaryOp::Or => Insn::Or { lhs: l, rhs: r, dest },
                BinaryOp::JsonExtract | BinaryOp::JsonExtractText => {
                    return Err(Error::sql("JSON operators are not supported yet"))
                }
                _ => unreachable!("comparisons handled above"),
            };
            ctx.b.emit(insn);
        }
        Expr::Like { op, not, expr, pattern, escape } => {
            let name = match op {
                LikeOp::Like => "like",
                LikeOp::Glob => "glob",
                LikeOp::Regexp => return Err(Error::sql("no such function: REGEXP")),
                LikeOp::Match => return Err(Error::sql("unable to use function MATCH in the requested context")),
            };
            let argc = if escape.is_some() { 3 } else { 2 };
            let first = ctx.b.alloc_registers(argc);
            expr_to_reg_depth(ctx, pattern, first, d)?;
            expr_to_reg_depth(ctx, expr, first + 1, d)?;
            if let Some(esc) = escape {
                expr_to_reg_depth(ctx, esc, first + 2, d)?;
            }
            // The connection's own like() or glob() replaces the operator's, as in SQLite.
            match functions::lookup(name, argc) {
                FunctionLookup::Scalar(func) => {
                    let collation = Collation::Binary;
                    ctx.b.emit(Insn::Function { const_mask: 0, first_arg: first, dest, func, argc, collation });
                }
                FunctionLookup::UserScalar(func) => {
                    check_deterministic(ctx, &func, None)?;
                    ctx.b.emit(Insn::UserFunction { first_arg: first, dest, func, argc });
                }
                _ => return Err(Error::sql(format!("no such function: {name}"))),
            }
            if *not {
                ctx.b.emit(Insn::Not { src: dest, dest });
            }
        }
        Expr::Between { not, expr, low, high } => {
            let ge = Expr::Binary { op: BinaryOp::Ge, left: expr.clone(), right: low.clone() };
            let le = Expr::Binary { op: BinaryOp::Le, left: expr.clone(), right: high.clone() };
            let both = Expr::Binary { op: BinaryOp::And, left: Box::new(ge), right: Box::new(le) };
            if *not {
                let r = ctx.b.alloc_register();
                expr_to_reg_depth(ctx, &both, r, d)?;
                ctx.b.emit(Insn::Not { src: r, dest });
            } else {
                expr_to_reg_depth(ctx, &both, dest, d)?;
            }
        }
        Expr::In { expr, target: InTarget::List(_), .. } if is_vector(ctx, expr) && !matches!(**expr, Expr::Row(_)) => {
            return Err(Error::sql("row value misused"));
        }
        Expr::In { not, expr, target: InTarget::List(list) } if matches!(**expr, Expr::Row(_)) => {
            // (a, b) IN ((1, 2), (3, 4)) is the OR of the row equalities.
            let n = operand_width(ctx, expr);
            for item in list {
                let k = if matches!(item, Expr::Row(_)) { operand_width(ctx, item) } else { 1 };
                if k != n {
                    let terms = if k == 1 { "term" } else { "terms" };
                    return Err(Error::sql(format!("IN(...) element has {k} {terms} - expected {n}")));
                }
            }
            let mut any: Option<Expr> = None;
            for item in list {
                let eq = Expr::Binary { op: BinaryOp::Eq, left: expr.clone(), right: Box::new(item.clone()) };
                any = Some(match any {
                    None => eq,
                    Some(prev) => Expr::Binary { op: BinaryOp::Or, left: Box::new(prev), right: Box::new(eq) },
                });
            }
            let any = any.unwrap_or(Expr::Literal(Literal::Integer(0)));
            let e = if *not { Expr::Unary { op: UnaryOp::Not, expr: Box::new(any) } } else { any };
            expr_to_reg_depth(ctx, &e, dest, d)?;
        }
        Expr::In { not, expr, target: target @ (InTarget::Select(_) | InTarget::Table(_)) } if is_vector(ctx, expr) => {
            let select = match target {
                InTarget::Select(select) => (**select).clone(),
                InTarget::Table(name) => table_as_select(name),
                _ => unreachable!("matched above"),
            };
            in_select_row(ctx, expr, &select, *not, dest, d)?
        }
        Expr::In { not, expr, target } => match target {
            InTarget::List(list) => in_list_value(ctx, expr, list, *not, dest, d)?,
            InTarget::Select(select) => in_select_value(ctx, expr, select, *not, dest, d)?,
            InTarget::Table(name) => {
                let select = table_as_select(name);
                in_select_value(ctx, expr, &select, *not, dest, d)?
            }
            InTarget::TableFunction { name, .. } => {
                return Err(Error::sql(format!("no such table-valued function: {}", name.name)))
            }
        },
        Expr::IsNull { not, expr } => {
            let r = ctx.b.alloc_register();
            expr_to_reg_depth(ctx, expr, r, d)?;
            ctx.b.emit(Insn::Integer { value: 1, dest });
            let j = if *not {
                ctx.b.emit(Insn::NotNull { reg: r, target: 0 })
            } else {
                ctx.b.emit(Insn::IsNull { reg: r, target: 0 })
            };
            ctx.b.emit(Insn::Integer { value: 0, dest });
            ctx.b.patch_here(j);
        }
        Expr::Case { base: Some(base), whens, else_expr } if is_vector(ctx, base) => {
            // CASE row WHEN row ...: each WHEN is the row comparison `row = when`.
            let whens = whens
                .iter()
                .map(|(w, t)| {
                    (Expr::Binary { op: BinaryOp::Eq, left: base.clone(), right: Box::new(w.clone()) }, t.clone())
                })
                .collect();
            let searched = Expr::Case { base: None, whens, else_expr: else_expr.clone() };
            expr_to_reg_depth(ctx, &searched, dest, d)?
        }
        Expr::Case { base, whens, else_expr } => {
            let end = ctx.b.new_label();
            let base_reg = match base {
                Some(b) => Some(expr_to_new_reg(ctx, b)?),
                None => None,
            };
            for (when, then) in whens {
                let next = ctx.b.new_label();
                match (&base_reg, base) {
                    (Some(br), Some(be)) => {
                        let wr = expr_to_new_reg(ctx, when)?;
                        let (aff, coll) = comparison_rules(ctx, be, when)?;
                        ctx.b.emit_jump(
                            Insn::Compare {
                                op: CmpOp::Ne,
                                lhs: *br,
                                rhs: wr,
                                target: 0,
                                affinity: aff,
                                collation: coll,
                                jump_if_null: true,
                                null_eq: false,
                            },
                            next,
                        );
                    }
                    _ => cond_jump_depth(ctx, when, next, d)?,
                }
                expr_to_reg_depth(ctx, then, dest, d)?;
                ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
                ctx.b.resolve_label(next);
            }
            match else_expr {
                Some(e) => expr_to_reg_depth(ctx, e, dest, d)?,
                None => {
                    ctx.b.emit(Insn::Null { dest, end: dest });
                }
            }
            ctx.b.resolve_label(end);
        }
        Expr::Cast { expr, type_name } => {
            expr_to_reg_depth(ctx, expr, dest, d)?;
            ctx.b.emit(Insn::Cast { reg: dest, affinity: Affinity::from_decl_type(type_name) });
        }
        Expr::Collate { expr, .. } => expr_to_reg_depth(ctx, expr, dest, d)?,
        Expr::Function(call) => function_call(ctx, call, dest, d)?,
        Expr::IsTruth { not, truth, expr } => {
            // x IS TRUE: x is non-NULL and true; x IS FALSE: non-NULL and false.
            let r = ctx.b.alloc_register();
            expr_to_reg_depth(ctx, expr, r, d)?;
            ctx.b.emit(Insn::Integer { value: (*not) as i64, dest });
            let null = ctx.b.emit(Insn::IsNull { reg: r, target: 0 });
            let j = if *truth {
                ctx.b.emit(Insn::IfNot { reg: r, target: 0, jump_if_null: true })
            } else {
                ctx.b.emit(Insn::If { reg: r, target: 0, jump_if_null: true })
            };
            ctx.b.emit(Insn::Integer { value: (!*not) as i64, dest });
            ctx.b.patch_here(null);
            ctx.b.patch_here(j);
        }
        Expr::Row(_) => return Err(Error::sql("row value misused")),
        Expr::Subquery(select) => {
            let done = ctx.b.new_label();
            // The result is cached across rows (Once) in a register of its own: `dest` may be
            // overwritten between evaluations.
            let result = ctx.b.alloc_register();
            ctx.result_rules.clear();
            let n = subquery(ctx, select, Dest::Scalar { reg: result, width: 1, done })?;
            let rules = ctx.result_rules.first().cloned().unwrap_or((None, None));
            ctx.subquery_rules.borrow_mut().insert(select_key(select), ((**select).clone(), rules));
            ctx.b.emit(Insn::SCopy { src: result, dest });
            if n != 1 {
                return Err(Error::sql(format!("sub-select returns {n} columns - expected 1")));
            }
        }
        Expr::Exists { not, select } => {
            let done = ctx.b.new_label();
            // The subquery's result may be cached across rows (Once), so NOT must not overwrite it.
            let found = ctx.b.alloc_register();
            subquery(ctx, select, Dest::Exists { reg: found, done })?;
            if *not {
                ctx.b.emit(Insn::Not { src: found, dest });
            } else {
                ctx.b.emit(Insn::SCopy { src: found, dest });
            }
        }
        Expr::Raise { action, message } => {
            let Some(&ignore) = ctx.raise_ignore.last() else {
                return Err(Error::sql("RAISE() may only be used within a trigger-program"));
            };
            let oe = match action {
                ast::RaiseAction::Ignore => {
                    ctx.b.emit_jump(Insn::Goto { target: 0 }, ignore);
                    ctx.b.emit(Insn::Null { dest, end: dest });
                    return Ok(());
                }
                ast::RaiseAction::Rollback => crate::vdbe::vm::OE_ROLLBACK,
                ast::RaiseAction::Abort => crate::vdbe::vm::OE_ABORT,
                ast::RaiseAction::Fail => crate::vdbe::vm::OE_FAIL,
            };
            let text = match message.as_deref() {
                Some(Expr::Literal(Literal::String(s))) => s.clone(),
                Some(other) => constant_value(other).map(|v| v.to_string()).unwrap_or_default(),
                None => String::new(),
            };
            ctx.b.emit(Insn::Halt {
                code: crate::error::extended::CONSTRAINT_TRIGGER,
                on_error: oe,
                message: Some(text),
            });
            ctx.b.emit(Insn::Null { dest, end: dest });
        }
    }
    Ok(())
}

fn emit_value(ctx: &mut Ctx, v: crate::value::Value, dest: usize) {
    use crate::value::Value;
    match v {
        Value::Null => {
            ctx.b.emit(Insn::Null { dest, end: dest });
        }
        Value::Integer(i) => {
            ctx.b.emit(Insn::Integer { value: i, dest });
        }
        Value::Real(r) => {
            ctx.b.emit(Insn::Real { value: r, dest });
        }
        Value::Text(s) => {
            ctx.b.emit(Insn::String8 { value: s, dest });
        }
        Value::Blob(b) => {
            ctx.b.emit(Insn::Blob { value: b, dest });
        }
    }
}

fn emit_literal(ctx: &mut Ctx, l: &Literal, dest: usize) -> Result<()> {
    match l {
        Literal::Null => emit_value(ctx, crate::value::Value::Null, dest),
        Literal::Integer(i) => emit_value(ctx, crate::value::Value::Integer(*i), dest),
        Literal::Real(r) => emit_value(ctx, crate::value::Value::Real(*r), dest),
        Literal::String(s) => emit_value(ctx, crate::value::Value::text(s), dest),
        Literal::Blob(b) => emit_value(ctx, crate::value::Value::blob(b), dest),
        Literal::CurrentTime | Literal::CurrentDate | Literal::CurrentTimestamp => {
            return Err(Error::sql("date and time functions are not supported yet"));
        }
    }
    Ok(())
}

/// A comparison of row values, `(a, b) < (c, d)`, as the scalar expression SQLite defines it:
/// `=` is the AND of the pairs, `<>` its negation, `IS` pairwise IS, and the orderings compare
/// lexicographically (`a < c OR (a = c AND b < d)`), with SQL's NULL rules throughout.
fn expand_row_comparison(op: BinaryOp, left: &Expr, right: &Expr) -> Result<Option<Expr>> {
    let (Expr::Row(l), Expr::Row(r)) = (left, right) else {
        let comparison = matches!(
            op,
            BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge
                | BinaryOp::Is
                | BinaryOp::IsNot
        );
        if comparison && (matches!(left, Expr::Row(_)) || matches!(right, Expr::Row(_))) {
            if matches!(left, Expr::Subquery(_)) || matches!(right, Expr::Subquery(_)) {
                return Err(Error::sql("row value subqueries are not supported yet"));
            }
            return Err(Error::sql("row value misused"));
        }
        return Ok(None);
    };
    if l.len() != r.len() {
        return Err(Error::sql("row value misused"));
    }
    let bin = |op, a: &Expr, b: &Expr| Expr::Binary { op, left: Box::new(a.clone()), right: Box::new(b.clone()) };
    let and = |a: Expr, b: Expr| Expr::Binary { op: BinaryOp::And, left: Box::new(a), right: Box::new(b) };
    let or = |a: Expr, b: Expr| Expr::Binary { op: BinaryOp::Or, left: Box::new(a), right: Box::new(b) };
    let pairwise =
        |op: BinaryOp| l.iter().zip(r).map(|(a, b)| bin(op, a, b)).reduce(and).expect("rows have two or more values");
    Ok(Some(match op {
        BinaryOp::Eq => pairwise(BinaryOp::Eq),
        BinaryOp::Is => pairwise(BinaryOp::Is),
        BinaryOp::Ne => Expr::Unary { op: UnaryOp::Not, expr: Box::new(pairwise(BinaryOp::Eq)) },
        BinaryOp::IsNot => Expr::Unary { op: UnaryOp::Not, expr: Box::new(pairwise(BinaryOp::Is)) },
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let strict = match op {
                BinaryOp::Lt | BinaryOp::Le => BinaryOp::Lt,
                _ => BinaryOp::Gt,
            };
            // Built from the last pair outward: last uses op itself, earlier ones strict-or-equal.
            let n = l.len();
            let mut e = bin(op, &l[n - 1], &r[n - 1]);
            for k in (0..n - 1).rev() {
                e = or(bin(strict, &l[k], &r[k]), and(bin(BinaryOp::Eq, &l[k], &r[k]), e));
            }
            e
        }
        _ => return Err(Error::sql("row value misused")),
    }))
}

/// `dest = (left op right)`: 1, 0 or NULL.
fn comparison_value(
    ctx: &mut Ctx,
    op: CmpOp,
    left: &Expr,
    right: &Expr,
    dest: usize,
    _negate: bool,
    d: usize,
) -> Result<()> {
    if matches!(left, Expr::Row(_)) || matches!(right, Expr::Row(_)) {
        return Err(Error::sql("row values are not supported yet"));
    }
    let (l, r) = (ctx.b.alloc_register(), ctx.b.alloc_register());
    expr_to_reg_depth(ctx, left, l, d)?;
    expr_to_reg_depth(ctx, right, r, d)?;
    let (aff, coll) = comparison_rules(ctx, left, right)?;
    ctx.b.emit(Insn::Null { dest, end: dest });
    let n1 = ctx.b.emit(Insn::IsNull { reg: l, target: 0 });
    let n2 = ctx.b.emit(Insn::IsNull { reg: r, target: 0 });
    ctx.b.emit(Insn::Integer { value: 1, dest });
    let j = ctx.b.emit(Insn::Compare {
        op,
        lhs: l,
        rhs: r,
        target: 0,
        affinity: aff,
        collation: coll,
        jump_if_null: false,
        null_eq: false,
    });
    ctx.b.emit(Insn::Integer { value: 0, dest });
    ctx.b.patch_here(j);
    ctx.b.patch_here(n1);
    ctx.b.patch_here(n2);
    Ok(())
}

/// Compiles a subquery inline with destination `dest`. An uncorrelated subquery runs once per
/// statement execution (guarded by Once); a correlated one runs each time it is reached.
/// Returns its column count.
pub(super) fn subquery(ctx: &mut Ctx, select: &ast::Select, dest: Dest) -> Result<usize> {
    let once = ctx.b.emit(Insn::Noop { comment: None });
    // The result's initial value, set inside the Once guard so a cached result survives.
    match dest {
        Dest::Scalar { reg, width, .. } => {
            ctx.b.emit(Insn::Null { dest: reg, end: reg + width.max(1) - 1 });
        }
        Dest::Exists { reg, .. } => {
            ctx.b.emit(Insn::Integer { value: 0, dest: reg });
        }
        _ => {}
    }
    // EXPLAIN QUERY PLAN's line for the subquery, numbered in order (SQLite numbers SELECTs in
    // parse order, which agrees while subqueries are neither nested nor compound).
    let kind = if matches!(dest, Dest::Eph { .. }) { "LIST" } else { "SCALAR" };
    let id = ctx.plan_details.iter().filter(|d| d.0.contains("SUBQUERY ")).count() + 1;
    let plan_row = ctx.plan_line(format!("{kind} SUBQUERY {id}"));
    let schema = ctx.schema.clone();
    ctx.push_level();
    ctx.dest.push(dest);
    ctx.plan_parent.push(plan_row);
    let r = super::select::compile_query(ctx, &schema, select);
    ctx.plan_parent.pop();
    ctx.dest.pop();
    let correlated = ctx.pop_level();
    if correlated {
        ctx.plan_details[plan_row].0 = format!("CORRELATED {kind} SUBQUERY {id}");
    }
    let (names, _) = r?;
    if let Dest::Scalar { done, .. } | Dest::Exists { done, .. } = dest {
        ctx.b.resolve_label(done);
    }
    if !correlated {
        let here = ctx.b.current_addr();
        ctx.b.insns[once] = Insn::Once { target: here };
    }
    Ok(names.len())
}

/// `SELECT * FROM name`, for `x IN name`.
fn table_as_select(name: &ast::QualifiedName) -> ast::Select {
    let core = ast::SimpleSelect {
        distinct: false,
        columns: vec![ast::ResultColumn::Star],
        from: Some(ast::FromClause {
            first: ast::TableRef::Table { name: name.clone(), alias: None, indexed: None },
            joins: vec![],
        }),
        where_clause: None,
        group_by: vec![],
        having: None,
        windows: vec![],
    };
    ast::Select {
        with: None,
        body: ast::SelectBody { first: ast::SelectCore::Select(Box::new(core)), compounds: vec![] },
        order_by: vec![],
        limit: None,
    }
}

/// `dest = expr [NOT] IN (SELECT ...)`: the subquery fills an ephemeral set once (or per row
/// when correlated), then membership decides, with SQL's NULL rules.
fn in_select_value(ctx: &mut Ctx, expr: &Expr, select: &ast::Select, not: bool, dest: usize, d: usize) -> Result<()> {
    if matches!(expr, Expr::Row(_)) {
        return Err(Error::sql("row values are not supported yet"));
    }
    let x = ctx.b.alloc_register();
    expr_to_reg_depth(ctx, expr, x, d)?;
    let id = ctx.b.alloc_cursor();
    // The set is (re)built where the subquery runs: once, or each time when correlated. Its key
    // collation and affinity depend on the subquery's column, known once it is compiled.
    let open_at = ctx.b.current_addr();
    ctx.b.emit(Insn::EphOpen { id, distinct: true, key: Default::default() });
    ctx.b.emit(Insn::Noop { comment: None });
    ctx.result_rules.clear();
    let n = subquery(ctx, select, Dest::Eph { id })?;
    if n != 1 {
        return Err(Error::sql(format!("sub-select returns {n} columns - expected 1")));
    }
    // SQLite's rules for IN (SELECT): the comparison affinity of the left operand and the
    // subquery's column, as for `=`; the left operand's collation first, then the column's.
    let (col_aff, col_coll) = ctx.result_rules.first().cloned().unwrap_or((None, None));
    let left_aff = declared_affinity(ctx, expr);
    let aff = match (left_aff, col_aff) {
        (Some(a), Some(b)) if a.is_numeric() || b.is_numeric() => Affinity::Numeric,
        (Some(_), Some(_)) | (None, None) => Affinity::Blob,
        (Some(a), None) | (None, Some(a)) => a,
    };
    let coll = match (expr_collation(ctx, expr)?, col_coll) {
        (Some((c, true)), _) | (_, Some((c, true))) | (Some((c, false)), _) | (_, Some((c, false))) => c,
        (None, None) => Collation::Binary,
    };
    let key = crate::vdbe::insn::SortKey { collations: vec![coll], desc: vec![false], nulls_first: vec![None] };
    ctx.b.insns[open_at] = Insn::EphOpen { id, distinct: true, key: key.clone() };
    ctx.b.insns[open_at + 1] = Insn::EphAffinity { id, affinity: aff };
    if let Insn::Once { target } = ctx.b.insns[open_at + 2].clone() {
        // Uncorrelated: move the Once guard before EphOpen so the set is built once.
        ctx.b.insns[open_at] = Insn::Once { target };
        ctx.b.insns[open_at + 1] = Insn::EphOpen { id, distinct: true, key };
        ctx.b.insns[open_at + 2] = Insn::EphAffinity { id, affinity: aff };
    }
    if aff != Affinity::Blob {
        ctx.b.emit(Insn::Affinity { start: x, count: 1, affinities: aff.letter().to_string() });
    }
    let end = ctx.b.new_label();
    let found = ctx.b.new_label();
    let x_null = ctx.b.new_label();
    ctx.b.emit(Insn::Null { dest, end: dest });
    ctx.b.emit_jump(Insn::IsNull { reg: x, target: 0 }, x_null);
    ctx.b.emit_jump(Insn::EphFound { id, start: x, count: 1, target: 0 }, found);
    ctx.b.emit_jump(Insn::EphHasNull { id, target: 0 }, end);
    ctx.b.emit(Insn::Integer { value: not as i64, dest });
    ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
    ctx.b.resolve_label(found);
    ctx.b.emit(Insn::Integer { value: (!not) as i64, dest });
    ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
    // x is NULL: the result is NULL, unless the set is empty (then IN is false).
    ctx.b.resolve_label(x_null);
    let scan = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::EphScan { cursor: scan, id });
    let empty = ctx.b.emit(Insn::Rewind { cursor: scan, target: 0 });
    ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
    ctx.b.patch_here(empty);
    ctx.b.emit(Insn::Integer { value: not as i64, dest });
    ctx.b.resolve_label(end);
    Ok(())
}

/// `dest = expr [NOT] IN (list)` with SQL's NULL rules.
fn in_list_value(ctx: &mut Ctx, expr: &Expr, list: &[Expr], not: bool, dest: usize, d: usize) -> Result<()> {
    let x = ctx.b.alloc_register();
    expr_to_reg_depth(ctx, expr, x, d)?;
    let found = ctx.b.new_label();
    let end = ctx.b.new_label();
    let saw_null = ctx.b.alloc_register();
    ctx.b.emit(Insn::Integer { value: 0, dest: saw_null });
    ctx.b.emit(Insn::Null { dest, end: dest });
    if list.is_empty() {
        ctx.b.emit(Insn::Integer { value: not as i64, dest });
        ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
    } else {
        ctx.b.emit_jump(Insn::IsNull { reg: x, target: 0 }, end);
    }
    // SQLite compares with the left operand's affinity and collation alone (the list's items
    // lend theirs to nothing), unlike `=`.
    let aff = declared_affinity(ctx, expr).unwrap_or(Affinity::Blob);
    let coll = expr_collation(ctx, expr)?.map(|(c, _)| c).unwrap_or_default();
    for item in list {
        let r = expr_to_new_reg(ctx, item)?;
        let nn = ctx.b.emit(Insn::NotNull { reg: r, target: 0 });
        ctx.b.emit(Insn::Integer { value: 1, dest: saw_null });
        ctx.b.patch_here(nn);
        ctx.b.emit_jump(
            Insn::Compare {
                op: CmpOp::Eq,
                lhs: x,
                rhs: r,
                target: 0,
                affinity: aff,
                collation: coll,
                jump_if_null: false,
                null_eq: false,
            },
            found,
        );
    }
    // No match: NULL if the list had a NULL, else false.
    let keep_null = ctx.b.emit(Insn::If { reg: saw_null, target: 0, jump_if_null: false });
    ctx.b.emit(Insn::Integer { value: not as i64, dest });
    ctx.b.patch_here(keep_null);
    ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
    ctx.b.resolve_label(found);
    ctx.b.emit(Insn::Integer { value: (!not) as i64, dest });
    ctx.b.resolve_label(end);
    Ok(())
}

fn function_call(ctx: &mut Ctx, call: &ast::FunctionCall, dest: usize, d: usize) -> Result<()> {
    if call.over.is_some() {
        let builtin_window = crate::vdbe::window::WindowFunc::builtin(&call.name.to_ascii_lowercase(), 0).is_some();
        if !builtin_window && matches!(functions::lookup(&call.name, 0), FunctionLookup::NotFound) {
            return Err(Error::sql_at(format!("no such function: {}", call.name), call.pos.0));
        }
        // A window function where none may be (WHERE, GROUP BY, HAVING, another window
        // function's arguments, an UPDATE or an index): the SELECTs that may hold them were
        // rewritten before this (see `window`).
        return Err(Error::sql_at(format!("misuse of window function {}()", call.name), call.pos.0));
    }
    let args: &[Expr] = match &call.args {
        ast::FunctionArgs::Star => &[],
        ast::FunctionArgs::List(a) => a,
    };
    match functions::lookup(&call.name, args.len()) {
        FunctionLookup::Aggregate(func) => {
            // `f(*)` is `f()` to SQLite's parser: only count(*) among the built-ins takes no
            // arguments, but a user aggregate may.
            let star_ok = func.kind == functions::aggregate::AggKind::CountStar || func.user.is_some();
            if matches!(call.args, ast::FunctionArgs::Star) && !star_ok {
                return Err(Error::sql_at(
                    format!("wrong number of arguments to function {}()", call.name),
                    call.pos.0,
                ));
            }
            let Some(aggs) = &mut ctx.aggs else {
                return Err(Error::sql_at(format!("misuse of aggregate function {}()", call.name), call.pos.0));
            };
            if !ctx.in_agg_output {
                return Err(Error::sql_at(format!("misuse of aggregate function {}()", call.name), call.pos.0));
            }
            let i = aggs
                .iter()
                .position(|a| &a.expr == call)
                .ok_or_else(|| Error::Internal("aggregate not collected".into()))?;
            let acc = aggs[i].acc_reg;
            let _ = func;
            ctx.b.emit(Insn::SCopy { src: acc, dest });
            Ok(())
        }
        FunctionLookup::UserScalar(func) => {
            if call.distinct {
                return Err(Error::sql("DISTINCT aggregates must have exactly one argument"));
            }
            if call.filter.is_some() {
                return Err(Error::sql(format!("FILTER may not be used with non-aggregate {}()", call.name)));
            }
            check_deterministic(ctx, &func, call.pos.0)?;
            let first = ctx.b.alloc_registers(args.len().max(1));
            for (i, a) in args.iter().enumerate() {
                expr_to_reg_depth(ctx, a, first + i, d)?;
            }
            ctx.b.emit(Insn::UserFunction { first_arg: first, dest, func, argc: args.len() });
            Ok(())
        }
        FunctionLookup::Scalar(func) => {
            if !func.deterministic {
                if let Some(place) = ctx.deterministic_only {
                    return Err(Error::sql_at(
                        format!("non-deterministic functions prohibited in {place}"),
                        call.pos.0,
                    ));
                }
            }
            if call.distinct {
                return Err(Error::sql("DISTINCT aggregates must have exactly one argument"));
            }
            if call.filter.is_some() {
                return Err(Error::sql(format!("FILTER may not be used with non-aggregate {}()", call.name)));
            }
            if matches!(call.args, ast::FunctionArgs::Star) {
                return Err(Error::sql_at(
                    format!("wrong number of arguments to function {}()", call.name),
                    call.pos.0,
                ));
            }
            // coalesce/ifnull/iif evaluate lazily in SQLite; with no side effects in our
            // functions, evaluating every argument gives the same result.
            let first = ctx.b.alloc_registers(args.len().max(1));
            for (i, a) in args.iter().enumerate() {
                expr_to_reg_depth(ctx, a, first + i, d)?;
            }
            // min(), max() and nullif() compare with the first argument's collation that has
            // one (SQLite's SQLITE_FUNC_NEEDCOLL).
            let mut collation = Collation::Binary;
            if matches!(func.name, "min" | "max" | "nullif") {
                for a in args {
                    if let Some((c, _)) = expr_collation(ctx, a)? {
                        collation = c;
                        break;
                    }
                }
            }
            ctx.b.emit(Insn::Function { const_mask: 0, first_arg: first, dest, func, argc: args.len(), collation });
            Ok(())
        }
        FunctionLookup::WrongArgCount => {
            Err(Error::sql_at(format!("wrong number of arguments to function {}()", call.name), call.pos.0))
        }
        FunctionLookup::NotFound => Err(Error::sql_at(format!("no such function: {}", call.name), call.pos.0)),
    }
}

/// SQLite's "non-deterministic functions prohibited in ..." where the expression being compiled
/// must give the same value each time (an index expression, a partial index's WHERE).
fn check_deterministic(
    ctx: &Ctx,
    func: &crate::functions::user::UserScalar,
    pos: Option<crate::error::ErrorPos>,
) -> Result<()> {
    match ctx.deterministic_only {
        Some(place) if !func.deterministic => {
            Err(Error::sql_at(format!("non-deterministic functions prohibited in {place}"), pos))
        }
        _ => Ok(()),
    }
}

/// Emits code that jumps to `if_false` when `e` is false or NULL, and falls through when true.
pub fn cond_jump(ctx: &mut Ctx, e: &Expr, if_false: Label) -> Result<()> {
    cond_jump_depth(ctx, e, if_false, 0)
}

fn cond_jump_depth(ctx: &mut Ctx, e: &Expr, if_false: Label, depth: usize) -> Result<()> {
    if depth > crate::limits::MAX_EXPR_DEPTH {
        return Err(Error::sql(format!(
            "Expression tree is too large (maximum depth {})",
            crate::limits::MAX_EXPR_DEPTH
        )));
    }
    match e {
        Expr::Binary { op: BinaryOp::And, left, right } => {
            cond_jump_depth(ctx, left, if_false, depth + 1)?;
            cond_jump_depth(ctx, right, if_false, depth + 1)
        }
        Expr::Binary { op, left, right }
            if cmp_op(*op).is_some() && !is_vector(ctx, left) && !is_vector(ctx, right) =>
        {
            let cmp = cmp_op(*op).expect("comparison");
            let (l, r) = (ctx.b.alloc_register(), ctx.b.alloc_register());
            expr_to_reg_depth(ctx, left, l, depth + 1)?;
            expr_to_reg_depth(ctx, right, r, depth + 1)?;
            let (aff, coll) = comparison_rules(ctx, left, right)?;
            ctx.b.emit_jump(
                Insn::Compare {
                    op: cmp.negated(),
                    lhs: l,
                    rhs: r,
                    target: 0,
                    affinity: aff,
                    collation: coll,
                    jump_if_null: true,
                    null_eq: false,
                },
                if_false,
            );
            Ok(())
        }
        _ => {
            let r = expr_to_new_reg(ctx, e)?;
            ctx.b.emit_jump(Insn::IfNot { reg: r, target: 0, jump_if_null: true }, if_false);
            Ok(())
        }
    }
}

/// Finds the aggregate calls in `e` (not descending into subqueries).
pub fn collect_aggregates(e: &Expr, out: &mut Vec<ast::FunctionCall>) -> Result<()> {
    match e {
        Expr::Function(call) => {
            let argc = call.args.count();
            if call.over.is_none() {
                if let FunctionLookup::Aggregate(_) = functions::lookup(&call.name, argc) {
                    if let ast::FunctionArgs::List(args) = &call.args {
                        let mut inner = Vec::new();
                        for a in args {
                            collect_aggregates(a, &mut inner)?;
                        }
                        if !inner.is_empty() {
                            return Err(Error::sql_at(
                                format!("misuse of aggregate function {}()", inner[0].name),
                                inner[0].pos.0,
                            ));
                        }
                    }
                    if !out.contains(call) {
                        out.push((**call).clone());
                    }
                    return Ok(());
                }
            }
            if let ast::FunctionArgs::List(args) = &call.args {
                for a in args {
                    collect_aggregates(a, out)?;
                }
            }
        }
        Expr::Unary { expr, .. } | Expr::Cast { expr, .. } | Expr::Collate { expr, .. } | Expr::IsNull { expr, .. } => {
            collect_aggregates(expr, out)?
        }
        Expr::Binary { left, right, .. } => {
            collect_aggregates(left, out)?;
            collect_aggregates(right, out)?;
        }
        Expr::Like { expr, pattern, escape, .. } => {
            collect_aggregates(expr, out)?;
            collect_aggregates(pattern, out)?;
            if let Some(e) = escape {
                collect_aggregates(e, out)?;
            }
        }
        Expr::Between { expr, low, high, .. } => {
            collect_aggregates(expr, out)?;
            collect_aggregates(low, out)?;
            collect_aggregates(high, out)?;
        }
        Expr::In { expr, target, .. } => {
            collect_aggregates(expr, out)?;
            if let InTarget::List(l) = target {
                for x in l {
                    collect_aggregates(x, out)?;
                }
            }
        }
        Expr::Case { base, whens, else_expr } => {
            if let Some(b) = base {
                collect_aggregates(b, out)?;
            }
            for (w, t) in whens {
                collect_aggregates(w, out)?;
                collect_aggregates(t, out)?;
            }
            if let Some(e) = else_expr {
                collect_aggregates(e, out)?;
            }
        }
        Expr::Row(items) => {
            for x in items {
                collect_aggregates(x, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Emits the AggStep for one collected aggregate (inside the scan loop).
/// The collation an aggregate compares its argument with: the first argument's.
pub fn agg_collation(ctx: &Ctx, args: &[Expr]) -> Result<Collation> {
    Ok(match args.first() {
        Some(a) => expr_collation(ctx, a)?.map(|(c, _)| c).unwrap_or_default(),
        None => Collation::Binary,
    })
}

pub fn emit_agg_step(ctx: &mut Ctx, agg: &AggInfo) -> Result<()> {
    let args: Vec<Expr> = match &agg.expr.args {
        ast::FunctionArgs::Star => vec![],
        ast::FunctionArgs::List(a) => a.clone(),
    };
    if agg.expr.distinct && args.len() != 1 {
        return Err(Error::sql("DISTINCT aggregates must have exactly one argument"));
    }
    let skip = ctx.b.new_label();
    if let Some(f) = &agg.expr.filter {
        cond_jump(ctx, f, skip)?;
    }
    let first = ctx.b.alloc_registers(args.len().max(1));
    for (i, a) in args.iter().enumerate() {
        expr_to_reg(ctx, a, first + i)?;
    }
    let collation = agg_collation(ctx, &args)?;
    ctx.b.emit(Insn::AggStep {
        first_arg: first,
        acc: agg.acc_reg,
        func: agg.func.clone(),
        argc: args.len(),
        distinct: agg.expr.distinct,
        collation,
    });
    ctx.b.resolve_label(skip);
    Ok(())
}

/// One value of a row operand in registers, with what it lends a comparison.
struct RowField {
    reg: usize,
    rules: ColumnRules,
}

/// The number of values `e` stands for: a row's length, a subquery's column count, else 1.
fn operand_width(ctx: &Ctx, e: &Expr) -> usize {
    match e {
        Expr::Row(items) => items.len(),
        Expr::Subquery(select) => select_width(ctx, select),
        _ => 1,
    }
}

/// The number of columns `select` returns: its first member's, counted as written unless a `*`
/// needs the FROM clause, when it is compiled apart (in a scratch context that sees the same
/// names) and its columns counted. A query that fails to compile there counts as one column, so
/// that compiling it for real reports the error.
fn select_width(ctx: &Ctx, select: &ast::Select) -> usize {
    match &select.body.first {
        ast::SelectCore::Values(rows) => return rows.first().map_or(1, |r| r.len()),
        ast::SelectCore::Select(core) => {
            if core.columns.iter().all(|c| matches!(c, ast::ResultColumn::Expr { .. })) {
                return core.columns.len();
            }
        }
    }
    let mut scratch = scratch_ctx(ctx);
    let schema = ctx.schema.clone();
    super::select::compile_query(&mut scratch, &schema, select).map_or(1, |(names, _)| names.len())
}

fn select_key(select: &ast::Select) -> usize {
    select as *const ast::Select as usize
}

/// A context for compiling a subquery apart, to learn its shape: it sees the same names.
fn scratch_ctx(ctx: &Ctx) -> Ctx {
    let mut scratch = Ctx::new(ctx.schema.clone());
    scratch.scope = ctx.scope.clone();
    scratch.levels = ctx.levels.clone();
    scratch.correlated_cell = std::cell::RefCell::new(ctx.correlated_cell.borrow().clone());
    scratch.ctes = ctx.ctes.clone();
    scratch.cte_guards = ctx.cte_guards.clone();
    scratch.queue_orders = ctx.queue_orders.clone();
    scratch.coroutine_rows = ctx.coroutine_rows.clone();
    scratch.hidden_columns = ctx.hidden_columns.clone();
    scratch.using_merged = ctx.using_merged.clone();
    scratch.params = ctx.params.clone();
    scratch.next_param = ctx.next_param;
    scratch.subquery_rules = ctx.subquery_rules.clone();
    scratch.push_level();
    scratch.dest.push(Dest::Discard);
    scratch
}

/// The affinity and collation of a scalar subquery's first result column (its rightmost
/// member's, for a compound, as SQLite's pSelect->pEList). Known once the subquery is compiled;
/// asked before (by the planner), it is compiled apart first.
fn subquery_rules(ctx: &Ctx, select: &ast::Select) -> ColumnRules {
    let key = select_key(select);
    if let Some((node, r)) = ctx.subquery_rules.borrow().get(&key) {
        if node == select {
            return *r;
        }
    }
    let mut scratch = scratch_ctx(ctx);
    let schema = ctx.schema.clone();
    let rules = match super::select::compile_query(&mut scratch, &schema, select) {
        Ok(_) => scratch.result_rules.first().cloned().unwrap_or((None, None)),
        Err(_) => (None, None),
    };
    ctx.subquery_rules.borrow_mut().insert(key, (select.clone(), rules));
    rules
}

/// Whether `e` is a row value: a row, or a subquery returning more than one column.
fn is_vector(ctx: &Ctx, e: &Expr) -> bool {
    matches!(e, Expr::Row(_)) || (matches!(e, Expr::Subquery(_)) && operand_width(ctx, e) > 1)
}

/// Checks the members of a row: none may be a row itself or a subquery of several columns.
fn check_row_members(ctx: &Ctx, e: &Expr) -> Result<()> {
    if let Expr::Row(items) = e {
        for item in items {
            match item {
                Expr::Row(_) => return Err(Error::sql("row value misused")),
                Expr::Subquery(_) => {
                    let n = operand_width(ctx, item);
                    if n != 1 {
                        return Err(Error::sql(format!("sub-select returns {n} columns - expected 1")));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Compiles row operand `e` (`width` values) into consecutive registers. A subquery's first
/// row is read once per evaluation (or once in all, uncorrelated); with no row, every value is
/// NULL. Each value lends its affinity and collation (a subquery's only the affinity of its
/// result columns).
fn row_fields(ctx: &mut Ctx, e: &Expr, width: usize, d: usize) -> Result<Vec<RowField>> {
    let base = ctx.b.alloc_registers(width);
    match e {
        Expr::Row(items) => {
            check_row_members(ctx, e)?;
            let mut fields = Vec::with_capacity(width);
            for (i, item) in items.iter().enumerate() {
                expr_to_reg_depth(ctx, item, base + i, d)?;
                fields.push(RowField {
                    reg: base + i,
                    rules: (declared_affinity(ctx, item), expr_collation(ctx, item)?),
                });
            }
            Ok(fields)
        }
        Expr::Subquery(select) => {
            let done = ctx.b.new_label();
            // Cached across rows (Once) in registers of its own, as for a scalar subquery.
            let result = ctx.b.alloc_registers(width);
            ctx.result_rules.clear();
            let n = subquery(ctx, select, Dest::Scalar { reg: result, width, done })?;
            if n != width {
                return Err(Error::sql("row value misused"));
            }
            let rules = ctx.result_rules.clone();
            let mut fields = Vec::with_capacity(width);
            for i in 0..width {
                ctx.b.emit(Insn::SCopy { src: result + i, dest: base + i });
                // A subquery's columns lend their affinity but, unlike in IN, not their
                // collation (as bundled SQLite compares them).
                let aff = rules.get(i).and_then(|r| r.0);
                fields.push(RowField { reg: base + i, rules: (aff, None) });
            }
            Ok(fields)
        }
        _ => {
            expr_to_reg_depth(ctx, e, base, d)?;
            Ok(vec![RowField { reg: base, rules: (declared_affinity(ctx, e), expr_collation(ctx, e)?) }])
        }
    }
}

/// `dest = (left op right)` for row values where a side is a subquery (SQLite's
/// codeVectorCompare): `=` and `<>` are the AND of the pairs (NULL when a pair is NULL and none
/// differs), IS and IS NOT compare NULLs as values, and the orderings decide at the first pair
/// that is not equal, NULL when that pair has a NULL. Returns false when `op` is no comparison
/// or neither side is a row-valued subquery (the caller compiles those).
fn row_subquery_comparison(
    ctx: &mut Ctx,
    op: BinaryOp,
    left: &Expr,
    right: &Expr,
    dest: usize,
    d: usize,
) -> Result<bool> {
    let is_cmp = cmp_op(op).is_some() || matches!(op, BinaryOp::Is | BinaryOp::IsNot);
    if !is_cmp || !(matches!(left, Expr::Subquery(_)) || matches!(right, Expr::Subquery(_))) {
        return Ok(false);
    }
    let (lw, rw) = (operand_width(ctx, left), operand_width(ctx, right));
    if lw == 1 && rw == 1 {
        return Ok(false);
    }
    if lw != rw {
        return Err(Error::sql("row value misused"));
    }
    let l = row_fields(ctx, left, lw, d)?;
    let r = row_fields(ctx, right, rw, d)?;
    compare_rows(ctx, op, &l, &r, dest);
    Ok(true)
}

fn compare_rows(ctx: &mut Ctx, op: BinaryOp, l: &[RowField], r: &[RowField], dest: usize) {
    let yes = ctx.b.new_label();
    let no = ctx.b.new_label();
    let null = ctx.b.new_label();
    let end = ctx.b.new_label();
    let compare = |ctx: &mut Ctx, op: CmpOp, a: &RowField, b: &RowField, null_eq: bool, target: Label| {
        let (affinity, collation) = combine_rules(a.rules, b.rules);
        ctx.b.emit_jump(
            Insn::Compare { op, lhs: a.reg, rhs: b.reg, target: 0, affinity, collation, jump_if_null: false, null_eq },
            target,
        );
    };
    match op {
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Is | BinaryOp::IsNot => {
            let is = matches!(op, BinaryOp::Is | BinaryOp::IsNot);
            let (equal, unequal) = if matches!(op, BinaryOp::Eq | BinaryOp::Is) { (yes, no) } else { (no, yes) };
            let saw_null = ctx.b.alloc_register();
            ctx.b.emit(Insn::Integer { value: 0, dest: saw_null });
            for (a, b) in l.iter().zip(r) {
                if !is {
                    let next = ctx.b.new_label();
                    let set_null = ctx.b.new_label();
                    ctx.b.emit_jump(Insn::IsNull { reg: a.reg, target: 0 }, set_null);
                    ctx.b.emit_jump(Insn::IsNull { reg: b.reg, target: 0 }, set_null);
                    compare(ctx, CmpOp::Ne, a, b, false, unequal);
                    ctx.b.emit_jump(Insn::Goto { target: 0 }, next);
                    ctx.b.resolve_label(set_null);
                    ctx.b.emit(Insn::Integer { value: 1, dest: saw_null });
                    ctx.b.resolve_label(next);
                } else {
                    compare(ctx, CmpOp::Ne, a, b, true, unequal);
                }
            }
            ctx.b.emit_jump(Insn::If { reg: saw_null, target: 0, jump_if_null: false }, null);
            ctx.b.emit_jump(Insn::Goto { target: 0 }, equal);
        }
        _ => {
            let (last, strict) = match op {
                BinaryOp::Lt => (CmpOp::Lt, CmpOp::Lt),
                BinaryOp::Le => (CmpOp::Le, CmpOp::Lt),
                BinaryOp::Gt => (CmpOp::Gt, CmpOp::Gt),
                _ => (CmpOp::Ge, CmpOp::Gt),
            };
            let n = l.len();
            for (i, (a, b)) in l.iter().zip(r).enumerate() {
                ctx.b.emit_jump(Insn::IsNull { reg: a.reg, target: 0 }, null);
                ctx.b.emit_jump(Insn::IsNull { reg: b.reg, target: 0 }, null);
                if i + 1 == n {
                    compare(ctx, last, a, b, false, yes);
                    ctx.b.emit_jump(Insn::Goto { target: 0 }, no);
                } else {
                    compare(ctx, strict, a, b, false, yes);
                    compare(ctx, CmpOp::Ne, a, b, false, no);
                }
            }
        }
    }
    ctx.b.resolve_label(null);
    ctx.b.emit(Insn::Null { dest, end: dest });
    ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
    ctx.b.resolve_label(yes);
    ctx.b.emit(Insn::Integer { value: 1, dest });
    ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
    ctx.b.resolve_label(no);
    ctx.b.emit(Insn::Integer { value: 0, dest });
    ctx.b.resolve_label(end);
}

/// `dest = row [NOT] IN (SELECT ...)` for a row of `width` values: true when a row of the
/// subquery equals it in every column, else NULL when some row differs in no column but has a
/// NULL in a pair, else false (an empty subquery gives false whatever the NULLs). Each column
/// compares with the rules of `IN (SELECT ...)` for one column.
fn in_select_row(ctx: &mut Ctx, expr: &Expr, select: &ast::Select, not: bool, dest: usize, d: usize) -> Result<()> {
    let width = operand_width(ctx, expr);
    let l = row_fields(ctx, expr, width, d)?;
    let id = ctx.b.alloc_cursor();
    let open_at = ctx.b.current_addr();
    ctx.b.emit(Insn::EphOpen { id, distinct: false, key: Default::default() });
    ctx.result_rules.clear();
    let n = subquery(ctx, select, Dest::Eph { id })?;
    if n != width {
        return Err(Error::sql(format!("sub-select returns {n} columns - expected {width}")));
    }
    if let Insn::Once { target } = ctx.b.insns[open_at + 1].clone() {
        // Uncorrelated: the Once guard goes before EphOpen so the rows are gathered once.
        ctx.b.insns[open_at] = Insn::Once { target };
        ctx.b.insns[open_at + 1] = Insn::EphOpen { id, distinct: false, key: Default::default() };
    }
    let rules: Vec<(Affinity, Collation)> = l
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (col_aff, col_coll) = ctx.result_rules.get(i).cloned().unwrap_or((None, None));
            let aff = match (f.rules.0, col_aff) {
                (Some(a), Some(b)) if a.is_numeric() || b.is_numeric() => Affinity::Numeric,
                (Some(_), Some(_)) | (None, None) => Affinity::Blob,
                (Some(a), None) | (None, Some(a)) => a,
            };
            let coll = match (f.rules.1, col_coll) {
                (Some((c, true)), _) | (_, Some((c, true))) | (Some((c, false)), _) | (_, Some((c, false))) => c,
                (None, None) => Collation::Binary,
            };
            (aff, coll)
        })
        .collect();
    // Each row of the subquery, in turn: a row equal in every column decides true; a row that
    // differs nowhere but meets a NULL makes the answer NULL unless a later row is equal.
    let end = ctx.b.new_label();
    let found = ctx.b.new_label();
    let saw_null = ctx.b.alloc_register();
    let v = ctx.b.alloc_register();
    ctx.b.emit(Insn::Integer { value: 0, dest: saw_null });
    ctx.b.emit(Insn::Integer { value: not as i64, dest });
    let scan = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::EphScan { cursor: scan, id });
    let empty = ctx.b.emit(Insn::Rewind { cursor: scan, target: 0 });
    let top = ctx.b.current_addr();
    let next_row = ctx.b.new_label();
    let row_null = ctx.b.alloc_register();
    ctx.b.emit(Insn::Integer { value: 0, dest: row_null });
    for (i, (f, (affinity, collation))) in l.iter().zip(&rules).enumerate() {
        ctx.b.emit(Insn::Column { cursor: scan, column: i, dest: v, default: None });
        let is_null = ctx.b.new_label();
        let next_col = ctx.b.new_label();
        ctx.b.emit_jump(Insn::IsNull { reg: f.reg, target: 0 }, is_null);
        ctx.b.emit_jump(Insn::IsNull { reg: v, target: 0 }, is_null);
        ctx.b.emit_jump(
            Insn::Compare {
                op: CmpOp::Ne,
                lhs: f.reg,
                rhs: v,
                target: 0,
                affinity: *affinity,
                collation: *collation,
                jump_if_null: false,
                null_eq: false,
            },
            next_row,
        );
        ctx.b.emit_jump(Insn::Goto { target: 0 }, next_col);
        ctx.b.resolve_label(is_null);
        ctx.b.emit(Insn::Integer { value: 1, dest: row_null });
        ctx.b.resolve_label(next_col);
    }
    ctx.b.emit_jump(Insn::IfNot { reg: row_null, target: 0, jump_if_null: false }, found);
    ctx.b.emit(Insn::Integer { value: 1, dest: saw_null });
    ctx.b.resolve_label(next_row);
    ctx.b.emit(Insn::Next { cursor: scan, target: top });
    let no_match = ctx.b.emit(Insn::IfNot { reg: saw_null, target: 0, jump_if_null: false });
    ctx.b.emit(Insn::Null { dest, end: dest });
    ctx.b.patch_here(no_match);
    ctx.b.emit_jump(Insn::Goto { target: 0 }, end);
    ctx.b.resolve_label(found);
    ctx.b.emit(Insn::Integer { value: (!not) as i64, dest });
    ctx.b.resolve_label(end);
    ctx.b.patch_here(empty);
    Ok(())
}

/// The affinities SQLite gives a derived table's columns (sqlite3SubqueryColumnTypes): the
/// affinity of the leftmost member's result expression (a table's column, a CAST, a scalar
/// subquery; None for the rest), turned to BLOB when another member's column holds numbers (for
/// a text column) or text (for a numeric one). `members` are the members' result rules, as
/// compiling `select` left them in `Ctx::member_rules`.
pub fn derived_affinities(select: &ast::Select, members: &[Vec<ColumnRules>]) -> Vec<Option<Affinity>> {
    let exprs = |core: &ast::SelectCore| -> Option<Vec<Expr>> {
        match core {
            ast::SelectCore::Values(rows) => rows.last().cloned(),
            ast::SelectCore::Select(s) => s
                .columns
                .iter()
                .map(|c| match c {
                    ast::ResultColumn::Expr { expr, .. } => Some(expr.clone()),
                    _ => None,
                })
                .collect(),
        }
    };
    if members.len() != 1 + select.body.compounds.len() {
        return vec![];
    }
    let others: Vec<Option<Vec<Expr>>> = select.body.compounds.iter().map(|(_, c)| exprs(c)).collect();
    // sqlite3ExprDataType's mask: 0x01 numbers, 0x02 text, 0x04 blobs.
    fn by_affinity(aff: Option<Affinity>) -> u8 {
        match aff {
            Some(a) if a.is_numeric() => 0x05,
            Some(Affinity::Text) => 0x06,
            Some(_) => 0x07,
            None => 0,
        }
    }
    fn data_type(e: &Expr, aff: Option<Affinity>) -> u8 {
        match e {
            Expr::Collate { expr, .. } | Expr::Unary { op: UnaryOp::Plus, expr } => data_type(expr, aff),
            Expr::Literal(Literal::Null) => 0,
            Expr::Literal(Literal::String(_)) => 0x02,
            Expr::Literal(Literal::Blob(_)) => 0x04,
            Expr::Binary { op: BinaryOp::Concat, .. } => 0x06,
            Expr::Param(_) | Expr::Function(_) => 0x07,
            Expr::Column(_) | Expr::Cast { .. } | Expr::Subquery(_) => match aff {
                Some(a) if a.is_numeric() => 0x05,
                Some(Affinity::Text) => 0x06,
                _ => 0x07,
            },
            Expr::Case { whens, else_expr, .. } => {
                let arms = whens.iter().map(|(_, t)| t).chain(else_expr.as_deref());
                arms.fold(0, |m, t| m | data_type(t, declared_affinity_of_literal(t)))
            }
            _ => 0x01,
        }
    }
    fn declared_affinity_of_literal(e: &Expr) -> Option<Affinity> {
        match e {
            Expr::Cast { type_name, .. } => Some(Affinity::from_decl_type(type_name)),
            _ => None,
        }
    }
    members[0]
        .iter()
        .enumerate()
        .map(|(i, (aff, _))| {
            let aff = (*aff)?;
            let mut mask = 0u8;
            for (k, o) in others.iter().enumerate() {
                let rule = members[k + 1].get(i).and_then(|r| r.0);
                mask |= match o.as_ref().and_then(|o| o.get(i)) {
                    Some(e) => data_type(e, rule),
                    None => by_affinity(rule),
                };
            }
            Some(if (aff == Affinity::Text && mask & 0x01 != 0) || (aff.is_numeric() && mask & 0x02 != 0) {
                Affinity::Blob
            } else {
                aff
            })
        })
        .collect()
}
