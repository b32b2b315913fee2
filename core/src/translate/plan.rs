//! The planner: how each table of a loop nest is read (its access path), whether that path
//! already yields the rows in ORDER BY order, the code that opens and closes a table's loop, and
//! the covering-index rewrite done once a statement's program is complete.
//!
//! Access paths, cheapest first: a rowid (INTEGER PRIMARY KEY) equality or IN; an index (for a
//! WITHOUT ROWID table, also its primary key, which is the table's own B-tree) whose leading
//! columns equality and IN terms pin, plus a range on the next column; a full scan of an index
//! whose order is the ORDER BY's; a scan of the table.
//!
//! Invariants:
//! - A term serves an index column only when the comparison's affinity and collation are the
//!   column's (SQLite's sqlite3IndexAffinityOk and collation check); the WHERE clause is still
//!   tested in full at the loop, so a path only ever narrows the rows visited.
//! - IN values are read from an ephemeral set keyed by the index column's collation (a value
//!   and its duplicates are one key), NULLs skipped, so each matching entry is visited once.
//! - A loop that reads rows in reverse (ORDER BY ... DESC) has no IN keys: sets are read forward.
//! - The covering rewrite turns reads of a table cursor into reads of its index cursor only when
//!   every instruction using the table cursor is a column or rowid read the index can answer.

use std::sync::Arc;

use super::expr::{self, Ctx};
use super::select::{refers_to_scope, Bound};
use crate::error::Result;
use crate::parser::ast::{self, BinaryOp, Expr, InTarget};
use crate::schema::Index;
use crate::storage::btree::SeekOp;
use crate::value::Collation;
use crate::vdbe::insn::{CursorInfo, Insn};
use crate::vdbe::ops::Affinity;
use crate::vdbe::program::Label;

/// The values of an `IN` term serving as a key: read one by one from an ephemeral set.
#[derive(Clone)]
pub(super) struct InSet {
    /// The WHERE (or ON) term itself: the key makes it true for every row visited.
    pub term: Expr,
    pub source: InSource,
    /// Applied to each value before it keys the set (SQLite's IN comparison affinity).
    pub aff: Affinity,
    /// The set's key collation: the index column's.
    pub coll: Collation,
    /// Whether the set is read in descending order: the index column's, so that the values
    /// come in the index's order.
    pub desc: bool,
}

#[derive(Clone)]
pub(super) enum InSource {
    List(Vec<Expr>),
    Select(Box<ast::Select>),
}

/// What pins one index column.
#[derive(Clone)]
pub(super) enum KeyTerm {
    Eq(Expr, Affinity),
    In(InSet),
}

/// How a table in the FROM clause is visited.
pub(super) enum Access {
    /// Every row, in rowid order (a WITHOUT ROWID table: primary key order), or reversed.
    Scan { reverse: bool },
    /// `rowid = expr`: one SeekRowid.
    RowidEq(Expr),
    /// `rowid IN (...)`: one SeekRowid per distinct value.
    RowidIn(InSet),
    /// `rowid > x AND rowid < y` (either bound alone too): a seek, then rows up to the other.
    RowidRange { lower: Option<Bound>, upper: Option<Bound>, reverse: bool },
    /// Entries of an index (`primary`: a WITHOUT ROWID table's own B-tree) whose leading
    /// columns `keys` pin, within the bounds on the next column, then the table row by each
    /// entry's rowid (or primary key). No keys and no bounds: the whole index, for its order.
    Index {
        index: Arc<Index>,
        primary: bool,
        keys: Vec<KeyTerm>,
        lower: Option<Bound>,
        upper: Option<Bound>,
        reverse: bool,
    },
}

/// One ORDER BY key the outermost loop may deliver: a column of the table (None: the rowid).
pub(super) struct OrderCol {
    pub column: Option<usize>,
    pub collation: Collation,
    pub desc: bool,
    /// Whether NULLs come first (SQLite's default: first ASC, last DESC).
    pub nulls_first: bool,
}

/// An ORDER BY that every key of which reads scope table `si`.
pub(super) struct OrderWant {
    pub si: usize,
    pub cols: Vec<OrderCol>,
}

/// A table read through an index that might cover it, checked once the program is complete.
pub struct CoverCandidate {
    table_cursor: usize,
    index_cursor: usize,
    /// Table record position -> index entry position.
    map: Vec<(usize, usize)>,
    /// Rowid tables: the table's rowid is the entry's.
    rowid: bool,
    /// The instructions that position the table on the entry's row (removed when covering).
    seek: Vec<usize>,
    plan_row: usize,
}

fn is_rowid_ref(ctx: &Ctx, e: &Expr, si: usize) -> bool {
    let Expr::Column(c) = e else { return false };
    let st = &ctx.scope[si];
    if let Some(t) = &c.table {
        if !t.eq_ignore_ascii_case(&st.name) {
            return false;
        }
    } else if ctx.scope.len() > 1
        && ctx.scope.iter().enumerate().any(|(i, o)| i != si && o.table.column_index(&c.column).is_some())
    {
        return false;
    }
    if !st.table.has_rowid() {
        return false;
    }
    match st.table.column_index(&c.column) {
        Some(i) => st.table.rowid_alias == Some(i),
        None => ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(&c.column)),
    }
}

fn refers_only_earlier(ctx: &Ctx, e: &Expr, si: usize) -> bool {
    (si + 1..ctx.scope.len()).all(|later| !refers_to_scope(ctx, e, later))
}

/// Whether `e`, a value for a key of table `si`, can be computed before `si`'s loop.
fn usable_value(ctx: &Ctx, e: &Expr, si: usize) -> bool {
    !refers_to_scope(ctx, e, si) && refers_only_earlier(ctx, e, si)
}

/// Picks the access path for scope table `si` from the terms tested at its loop. With `order`,
/// prefers a path that yields that order; returns whether the path does.
pub(super) fn choose_access(ctx: &Ctx, si: usize, terms: &[Expr], order: Option<&OrderWant>) -> (Access, bool) {
    let order = order.filter(|o| o.si == si);
    let st = &ctx.scope[si];
    if st.eph.is_some() || st.regs.is_some() {
        return (Access::Scan { reverse: false }, false);
    }
    for t in terms {
        if let Expr::Binary { op: BinaryOp::Eq, left, right } = t {
            if is_rowid_ref(ctx, left, si) && usable_value(ctx, right, si) {
                return (Access::RowidEq((**right).clone()), true);
            }
            if is_rowid_ref(ctx, right, si) && usable_value(ctx, left, si) {
                return (Access::RowidEq((**left).clone()), true);
            }
        }
    }
    for t in terms {
        if let Expr::In { not: false, expr, target } = t {
            if is_rowid_ref(ctx, expr, si) {
                if let Some(set) = in_set(ctx, si, expr, target, Affinity::Integer) {
                    if set.coll == Collation::Binary || matches!(set.source, InSource::List(_)) {
                        let set = InSet { coll: Collation::Binary, ..set };
                        let ordered = order.is_some_and(|o| rowid_order(ctx, si, o) == Some(false));
                        return (Access::RowidIn(set), ordered);
                    }
                }
            }
        }
    }
    let best = choose_index(ctx, si, terms);
    let keyed = matches!(&best, Some(Access::Index { keys, .. }) if !keys.is_empty());
    if !keyed {
        let (lower, upper) = rowid_bounds(ctx, si, terms);
        if lower.is_some() || upper.is_some() {
            let order = order.map(|o| rowid_order(ctx, si, o));
            let reverse = order.flatten().unwrap_or(false);
            return (Access::RowidRange { lower, upper, reverse }, order.is_some_and(|r| r.is_some()));
        }
    }
    if let Some(access) = best {
        let ordered = match (&access, order) {
            (Access::Index { index, primary, keys, .. }, Some(o)) => index_order(ctx, si, index, *primary, keys, o),
            _ => None,
        };
        return match (access, ordered) {
            (Access::Index { index, primary, keys, lower, upper, .. }, Some(reverse)) => {
                (Access::Index { index, primary, keys, lower, upper, reverse }, true)
            }
            (access, _) => (access, false),
        };
    }
    // Nothing narrows the rows: read them in the order wanted, when some tree has it.
    if let Some(o) = order {
        if let Some(reverse) = rowid_order(ctx, si, o) {
            return (Access::Scan { reverse }, true);
        }
        for index in ctx.schema.table_indexes(&st.table) {
            if index.partial.is_some() || index.root == st.table.root {
                continue;
            }
            if let Some(reverse) = index_order(ctx, si, &index, false, &[], o) {
                let access = Access::Index { index, primary: false, keys: vec![], lower: None, upper: None, reverse };
                return (access, true);
            }
        }
    }
    (Access::Scan { reverse: false }, false)
}

/// Calls `note(bounded, bound, op, written)` for each range comparison among `terms`, both
/// ways round (`a < b` also as `b > a`) and BETWEEN as its two bounds; `written` is the
/// comparison as written, whose operand order decides its collation.
fn for_each_bound<'a>(terms: &'a [Expr], note: &mut dyn FnMut(&'a Expr, &'a Expr, BinaryOp, (&'a Expr, &'a Expr))) {
    for t in terms {
        match t {
            Expr::Binary { op: op @ (BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge), left, right } => {
                note(left, right, *op, (left, right));
                note(right, left, flip(*op), (left, right));
            }
            Expr::Between { not: false, expr, low, high } => {
                note(expr, low, BinaryOp::Ge, (expr, low));
                note(expr, high, BinaryOp::Le, (expr, high));
            }
            _ => {}
        }
    }
}

/// Bounds on the rowid of table `si` (rowid tables only): lower and upper.
fn rowid_bounds(ctx: &Ctx, si: usize, terms: &[Expr]) -> (Option<Bound>, Option<Bound>) {
    let (mut lower, mut upper) = (None, None);
    let mut note = |col_side: &Expr, other: &Expr, op: BinaryOp, written: (&Expr, &Expr)| {
        if !is_rowid_ref(ctx, col_side, si) || !usable_value(ctx, other, si) {
            return;
        }
        let Ok((aff, _)) = expr::comparison_rules(ctx, written.0, written.1) else { return };
        if !index_affinity_ok(aff, Affinity::Integer) {
            return;
        }
        let bound = Some((other.clone(), aff, matches!(op, BinaryOp::Ge | BinaryOp::Le)));
        match op {
            BinaryOp::Gt | BinaryOp::Ge if lower.is_none() => lower = bound,
            BinaryOp::Lt | BinaryOp::Le if upper.is_none() => upper = bound,
            _ => {}
        }
    };
    for_each_bound(terms, &mut note);
    (lower, upper)
}

/// The comparison `b op a` means `a flip(op) b`.
fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

/// The IN term `expr IN target` as a key for column `column_aff` of table `si`, when its values
/// can be computed before the loop.
fn in_set(ctx: &Ctx, si: usize, expr: &Expr, target: &InTarget, column_aff: Affinity) -> Option<InSet> {
    let left_coll = expr::expr_collation(ctx, expr).ok()?;
    match target {
        InTarget::List(list) => {
            if !list.iter().all(|e| usable_value(ctx, e, si)) {
                return None;
            }
            // A list compares with the left operand's affinity and collation alone.
            let aff = expr::declared_affinity(ctx, expr).unwrap_or(Affinity::Blob);
            let coll = left_coll.map(|(c, _)| c).unwrap_or_default();
            Some(InSet { term: in_term(expr, target), source: InSource::List(list.clone()), aff, coll, desc: false })
        }
        InTarget::Select(select) => {
            let (col_aff, col_coll) = subquery_rules(ctx, select)?;
            let left_aff = expr::declared_affinity(ctx, expr);
            let aff = match (left_aff, col_aff) {
                (Some(a), Some(b)) if a.is_numeric() || b.is_numeric() => Affinity::Numeric,
                (Some(_), Some(_)) | (None, None) => Affinity::Blob,
                (Some(a), None) | (None, Some(a)) => a,
            };
            if !index_affinity_ok(aff, column_aff) {
                return None;
            }
            let coll = match (left_coll, col_coll) {
                (Some((c, true)), _) | (_, Some((c, true))) | (Some((c, false)), _) | (_, Some((c, false))) => c,
                (None, None) => Collation::Binary,
            };
            Some(InSet {
                term: in_term(expr, target),
                source: InSource::Select(select.clone()),
                aff,
                coll,
                desc: false,
            })
        }
        _ => None,
    }
}

fn in_term(expr: &Expr, target: &InTarget) -> Expr {
    Expr::In { not: false, expr: Box::new(expr.clone()), target: target.clone() }
}

/// The terms an access path makes true for every row it visits, which need no test: its IN
/// terms (an IN subquery tested again would build its set twice).
pub(super) fn consumed_terms(access: &Access) -> Vec<Expr> {
    match access {
        Access::RowidIn(set) => vec![set.term.clone()],
        Access::Index { keys, .. } => keys
            .iter()
            .filter_map(|k| match k {
                KeyTerm::In(set) => Some(set.term.clone()),
                KeyTerm::Eq(..) => None,
            })
            .collect(),
        _ => vec![],
    }
}

/// For an uncorrelated one-column subquery over schema tables: its column's affinity and
/// collation (what IN compares with). None when the subquery might read an outer table or its
/// column's rules are not evident from the text; the IN term then serves no index.
/// An expression's comparison rules: its affinity and its collation (explicit or not).
type Rules = (Option<Affinity>, Option<(Collation, bool)>);

/// Resolves a subquery's column reference to (its table, its column; None for the rowid).
type InnerLookup<'a> = &'a dyn Fn(&ast::ColumnRef) -> Option<(usize, Option<usize>)>;

fn subquery_rules(ctx: &Ctx, select: &ast::Select) -> Option<Rules> {
    if select.with.is_some() || !select.body.compounds.is_empty() {
        return None;
    }
    let ast::SelectCore::Select(core) = &select.body.first else { return None };
    let from = core.from.as_ref()?;
    let mut tables: Vec<(String, Arc<crate::schema::Table>)> = Vec::new();
    for t in std::iter::once(&from.first).chain(from.joins.iter().map(|j| &j.table)) {
        let ast::TableRef::Table { name, alias, .. } = t else { return None };
        if name.schema.is_some() || ctx.ctes.iter().any(|c| c.name.eq_ignore_ascii_case(&name.name)) {
            return None;
        }
        let table = ctx.schema.table(&name.name)?.clone();
        tables.push((alias.clone().unwrap_or_else(|| name.name.clone()), table));
    }
    let [ast::ResultColumn::Expr { expr: result, .. }] = core.columns.as_slice() else { return None };
    // Every column reference must name one of the subquery's own tables.
    let mut exprs: Vec<&Expr> = vec![result];
    exprs.extend(core.where_clause.iter());
    exprs.extend(core.group_by.iter());
    exprs.extend(core.having.iter());
    exprs.extend(select.order_by.iter().map(|t| &t.expr));
    if let Some(l) = &select.limit {
        exprs.push(&l.limit);
        exprs.extend(l.offset.iter());
    }
    for j in &from.joins {
        match &j.constraint {
            Some(ast::JoinConstraint::On(e)) => exprs.push(e),
            Some(ast::JoinConstraint::Using(_)) | None => {}
        }
    }
    let mut refs = Vec::new();
    for e in &exprs {
        if !column_refs(e, &mut refs) {
            return None;
        }
    }
    let inner = |c: &ast::ColumnRef| -> Option<(usize, Option<usize>)> {
        let mut found = None;
        for (i, (name, t)) in tables.iter().enumerate() {
            if c.table.as_ref().is_some_and(|q| !q.eq_ignore_ascii_case(name)) {
                continue;
            }
            match t.column_index(&c.column) {
                Some(col) => found = found.or(Some((i, Some(col)))),
                None if t.has_rowid()
                    && ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(&c.column)) =>
                {
                    found = found.or(Some((i, None)))
                }
                None => {}
            }
        }
        found
    };
    if !refs.iter().all(|c| c.schema.is_none() && inner(c).is_some()) {
        return None;
    }
    fn rules(e: &Expr, inner: InnerLookup<'_>, tables: &[(String, Arc<crate::schema::Table>)]) -> Option<Rules> {
        match e {
            Expr::Column(c) => match inner(c)? {
                (t, Some(col)) => {
                    let column = &tables[t].1.columns[col];
                    Some((Some(column.affinity), Some((column.collation, false))))
                }
                (_, None) => Some((Some(Affinity::Integer), None)),
            },
            Expr::Collate { expr, collation } => {
                let (aff, _) = rules(expr, inner, tables)?;
                Some((aff, Some((Collation::from_name(collation)?, true))))
            }
            Expr::Cast { type_name, .. } => Some((Some(Affinity::from_decl_type(type_name)), None)),
            Expr::Literal(_) | Expr::Param(_) => Some((None, None)),
            _ => None,
        }
    }
    rules(result, &inner, &tables)
}

/// Collects the column references of `e`; false when `e` holds a subquery.
fn column_refs(e: &Expr, out: &mut Vec<ast::ColumnRef>) -> bool {
    match e {
        Expr::Column(c) => {
            out.push(c.clone());
            true
        }
        Expr::Literal(_) | Expr::Param(_) => true,
        Expr::Unary { expr, .. }
        | Expr::Cast { expr, .. }
        | Expr::Collate { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::IsTruth { expr, .. } => column_refs(expr, out),
        Expr::Binary { left, right, .. } => column_refs(left, out) && column_refs(right, out),
        Expr::Between { expr, low, high, .. } => {
            column_refs(expr, out) && column_refs(low, out) && column_refs(high, out)
        }
        Expr::Like { expr, pattern, escape, .. } => {
            column_refs(expr, out) && column_refs(pattern, out) && escape.as_ref().is_none_or(|x| column_refs(x, out))
        }
        Expr::In { expr, target: InTarget::List(l), .. } => {
            column_refs(expr, out) && l.iter().all(|x| column_refs(x, out))
        }
        Expr::Function(call) => match &call.args {
            ast::FunctionArgs::Star => call.filter.is_none() && call.over.is_none(),
            ast::FunctionArgs::List(a) => {
                call.filter.is_none() && call.over.is_none() && a.iter().all(|x| column_refs(x, out))
            }
        },
        Expr::Case { base, whens, else_expr } => {
            base.as_ref().is_none_or(|b| column_refs(b, out))
                && whens.iter().all(|(w, t)| column_refs(w, out) && column_refs(t, out))
                && else_expr.as_ref().is_none_or(|x| column_refs(x, out))
        }
        Expr::Row(items) => items.iter().all(|x| column_refs(x, out)),
        _ => false,
    }
}

/// Per table column: the best term of each kind that can serve an index on it.
struct ColumnTerms {
    eq: Vec<Option<(Expr, Affinity, Collation)>>,
    ins: Vec<Option<InSet>>,
    lows: Vec<Option<(Bound, Collation)>>,
    highs: Vec<Option<(Bound, Collation)>>,
}

fn column_terms(ctx: &Ctx, si: usize, terms: &[Expr]) -> ColumnTerms {
    let st = &ctx.scope[si];
    let n = st.table.columns.len();
    let mut ct = ColumnTerms { eq: vec![None; n], ins: vec![None; n], lows: vec![None; n], highs: vec![None; n] };
    let column_of = |e: &Expr| -> Option<usize> {
        let Expr::Column(c) = e else { return None };
        match expr::resolve_column(ctx, c) {
            Ok(Some((s, Some(col)))) if s == si => Some(col),
            _ => None,
        }
    };
    for t in terms {
        match t {
            Expr::Binary { op: BinaryOp::Eq, left, right } => {
                // The comparison's rules follow the operands' written order (the left one's
                // collation comes first), whichever side the column is on.
                let Ok((aff, coll)) = expr::comparison_rules(ctx, left, right) else { continue };
                for (col_side, other) in [(left, right), (right, left)] {
                    let Some(col) = column_of(col_side) else { continue };
                    if !usable_value(ctx, other, si) || !index_affinity_ok(aff, st.table.columns[col].affinity) {
                        continue;
                    }
                    if ct.eq[col].is_none() {
                        ct.eq[col] = Some(((**other).clone(), aff, coll));
                    }
                }
            }
            Expr::In { not: false, expr, target } => {
                let Some(col) = column_of(expr) else { continue };
                if ct.ins[col].is_none() {
                    ct.ins[col] = in_set(ctx, si, expr, target, st.table.columns[col].affinity);
                }
            }
            _ => {}
        }
    }
    let mut note = |col_side: &Expr, other: &Expr, op: BinaryOp, written: (&Expr, &Expr)| {
        let Some(col) = column_of(col_side) else { return };
        if !usable_value(ctx, other, si) {
            return;
        }
        let Ok((aff, coll)) = expr::comparison_rules(ctx, written.0, written.1) else { return };
        if !index_affinity_ok(aff, st.table.columns[col].affinity) {
            return;
        }
        let bound = ((other.clone(), aff, matches!(op, BinaryOp::Ge | BinaryOp::Le)), coll);
        match op {
            BinaryOp::Gt | BinaryOp::Ge if ct.lows[col].is_none() => ct.lows[col] = Some(bound),
            BinaryOp::Lt | BinaryOp::Le if ct.highs[col].is_none() => ct.highs[col] = Some(bound),
            _ => {}
        }
    };
    for_each_bound(terms, &mut note);
    ct
}

/// The PRIMARY KEY of a WITHOUT ROWID table as an index over the table's own B-tree.
fn primary_key_index(table: &crate::schema::Table) -> Index {
    Index {
        name: String::new(),
        table: table.name.clone(),
        root: table.root,
        columns: table
            .primary_key
            .iter()
            .map(|&(c, collation, desc)| crate::schema::IndexColumn { column: Some(c), expr: None, collation, desc })
            .collect(),
        unique: true,
        partial: None,
        sql: None,
        is_primary_key: true,
        // Only a seek key here: conflicts are checked by the DML code's own index list.
        on_conflict: None,
    }
}

/// The index (or WITHOUT ROWID primary key) whose leading columns the terms pin best.
fn choose_index(ctx: &Ctx, si: usize, terms: &[Expr]) -> Option<Access> {
    let st = &ctx.scope[si];
    let ct = column_terms(ctx, si, terms);
    let mut candidates: Vec<(Arc<Index>, bool)> = Vec::new();
    if st.table.without_rowid {
        candidates.push((Arc::new(primary_key_index(&st.table)), true));
    }
    for ix in ctx.schema.table_indexes(&st.table) {
        if ix.partial.is_none() && ix.root != st.table.root {
            candidates.push((ix, false));
        }
    }
    type Candidate = (usize, Arc<Index>, bool, Vec<KeyTerm>, Option<Bound>, Option<Bound>);
    let mut best: Option<Candidate> = None;
    for (ix, primary) in candidates {
        let mut keys = Vec::new();
        let mut score = 0;
        let mut all_eq = true;
        for ic in &ix.columns {
            let Some(col) = ic.column else { break };
            match (&ct.eq[col], &ct.ins[col]) {
                (Some((e, aff, coll)), _) if *coll == ic.collation => {
                    keys.push(KeyTerm::Eq(e.clone(), *aff));
                    score += 4;
                }
                (_, Some(set)) if set.coll == ic.collation => {
                    keys.push(KeyTerm::In(InSet { desc: ic.desc, ..set.clone() }));
                    score += 3;
                    all_eq = false;
                }
                _ => break,
            }
        }
        // A range on the next column, if it is an ascending plain column with the same collation.
        let (mut lower, mut upper) = (None, None);
        if let Some(ic) = ix.columns.get(keys.len()) {
            if let (Some(col), false) = (ic.column, ic.desc) {
                lower = ct.lows[col].clone().filter(|(_, c)| *c == ic.collation).map(|(b, _)| b);
                upper = ct.highs[col].clone().filter(|(_, c)| *c == ic.collation).map(|(b, _)| b);
            }
        }
        // A unique index fully pinned beats any other; each pinned column counts more than a bound.
        score += usize::from(lower.is_some())
            + usize::from(upper.is_some())
            + 2 * usize::from(ix.unique && all_eq && keys.len() == ix.columns.len());
        let useful = !keys.is_empty() || lower.is_some() || upper.is_some();
        if useful && best.as_ref().is_none_or(|(b, ..)| score > *b) {
            best = Some((score, ix, primary, keys, lower, upper));
        }
    }
    best.map(|(_, index, primary, keys, lower, upper)| Access::Index {
        index,
        primary,
        keys,
        lower,
        upper,
        reverse: false,
    })
}

/// Whether an index on a column of affinity `column` can serve a comparison made with affinity
/// `cmp` (SQLite's sqlite3IndexAffinityOk): the index holds values converted to the column's
/// affinity, so the comparison must convert the same way.
pub(super) fn index_affinity_ok(cmp: Affinity, column: Affinity) -> bool {
    match cmp {
        Affinity::Blob => true,
        Affinity::Text => column == Affinity::Text,
        _ => column.is_numeric(),
    }
}

/// Whether scanning table `si` in rowid (primary key) order gives `want`; Some(reverse).
fn rowid_order(ctx: &Ctx, si: usize, want: &OrderWant) -> Option<bool> {
    let table = &ctx.scope[si].table;
    if table.without_rowid {
        let pk = Arc::new(primary_key_index(table));
        return index_order(ctx, si, &pk, true, &[], want);
    }
    walk_order(&[(None, Collation::Binary, false)], &[], want)
}

/// Whether reading `index` with `keys` pinning its leading columns gives `want`; Some(reverse).
fn index_order(ctx: &Ctx, si: usize, index: &Index, primary: bool, keys: &[KeyTerm], want: &OrderWant) -> Option<bool> {
    let table = &ctx.scope[si].table;
    // The entry's columns in key order: the indexed ones, then the rowid or primary key tail.
    let mut seq: Vec<(Option<usize>, Collation, bool)> = Vec::new();
    for ic in &index.columns {
        // An expression column ends what the entries' order says about columns.
        let Some(c) = ic.column else { break };
        let c = if table.rowid_alias == Some(c) { None } else { Some(c) };
        seq.push((c, ic.collation, ic.desc));
    }
    if seq.len() == index.columns.len() && !primary {
        if table.has_rowid() {
            seq.push((None, Collation::Binary, false));
        } else {
            for j in super::dml::pk_tail(table, index) {
                let (c, coll, desc) = table.primary_key[j];
                seq.push((Some(c), coll, desc));
            }
        }
    }
    // A unique index pinned on every column by equality yields at most one row.
    if index.unique && keys.len() == index.columns.len() && keys.iter().all(|k| matches!(k, KeyTerm::Eq(..))) {
        return Some(false);
    }
    walk_order(&seq, keys, want)
}

fn walk_order(seq: &[(Option<usize>, Collation, bool)], keys: &[KeyTerm], want: &OrderWant) -> Option<bool> {
    let pinned = |p: usize| matches!(keys.get(p), Some(KeyTerm::Eq(..)));
    let mut pos = 0;
    let mut reverse = None;
    for w in &want.cols {
        // A column an equality pins (with the key's collation) is one value: it orders nothing.
        if (0..keys.len()).any(|p| pinned(p) && seq.get(p).is_some_and(|s| s.0 == w.column && s.1 == w.collation)) {
            continue;
        }
        while pos < seq.len() && pinned(pos) {
            pos += 1;
        }
        let &(column, coll, idesc) = seq.get(pos)?;
        if column != w.column || (column.is_some() && coll != w.collation) {
            return None;
        }
        let rev = w.desc != idesc;
        if reverse.is_some_and(|r| r != rev) || w.nulls_first == w.desc {
            return None;
        }
        if rev && keys.iter().any(|k| matches!(k, KeyTerm::In(_))) {
            return None;
        }
        reverse = Some(rev);
        pos += 1;
    }
    Some(reverse.unwrap_or(false))
}

/// The EXPLAIN QUERY PLAN line for reading scope table `si` by `access`.
pub(super) fn plan_detail(ctx: &Ctx, si: usize, access: &Access) -> String {
    // SQLite names the table by its alias, when it has one.
    let mut shown = ctx.scope[si].name.clone();
    if ctx.scope[si].nested.is_some() && shown.starts_with('\u{1}') {
        shown = "(subquery)".into();
    }
    match access {
        Access::RowidEq(_) | Access::RowidIn(_) => format!("SEARCH {shown} USING INTEGER PRIMARY KEY (rowid=?)"),
        Access::Scan { .. } => format!("SCAN {shown}"),
        Access::RowidRange { lower, upper, .. } => {
            let parts: Vec<&str> =
                [lower.as_ref().map(|_| "rowid>?"), upper.as_ref().map(|_| "rowid<?")].into_iter().flatten().collect();
            format!("SEARCH {shown} USING INTEGER PRIMARY KEY ({})", parts.join(" AND "))
        }
        Access::Index { index, primary, keys, lower, upper, .. } => {
            let table = &ctx.scope[si].table;
            let name = |c: &crate::schema::IndexColumn| match c.column {
                Some(i) if table.rowid_alias == Some(i) => "rowid".to_string(),
                Some(i) => table.columns[i].name.clone(),
                None => "<expr>".to_string(),
            };
            let mut cols: Vec<String> = index.columns[..keys.len()].iter().map(|c| format!("{}=?", name(c))).collect();
            if let Some(ic) = index.columns.get(keys.len()) {
                if lower.is_some() {
                    cols.push(format!("{}>?", name(ic)));
                }
                if upper.is_some() {
                    cols.push(format!("{}<?", name(ic)));
                }
            }
            let using = if *primary { "PRIMARY KEY".to_string() } else { format!("INDEX {}", index.name) };
            if cols.is_empty() {
                format!("SCAN {shown} USING {using}")
            } else {
                format!("SEARCH {shown} USING {using} ({})", cols.join(" AND "))
            }
        }
    }
}

/// How a loop opened by `emit_access` ends.
pub(super) struct LoopEnd {
    /// The cursor the loop steps (Next, or Prev when reversed) and the loop's top.
    step: Option<(usize, usize, bool)>,
    /// Where the loop goes when its range is exhausted: on to the next IN value.
    range_end: Label,
    /// Each IN key's set scan (outermost first): its cursor, its top, and the label before its
    /// Next (a NULL value or an empty inner set goes there).
    ins: Vec<(usize, usize, Label)>,
    /// The index cursor of an index lookup (put on its NULL row with the table's).
    pub index_cursor: Option<usize>,
    /// A co-routine's loop: the Yield to go back to.
    coroutine_top: Option<usize>,
}

impl LoopEnd {
    /// Emits the loop's step and the IN sets' steps; `brk` follows.
    pub(super) fn close(&self, ctx: &mut Ctx) {
        if let Some(top) = self.coroutine_top {
            ctx.b.emit(Insn::Goto { target: top });
        }
        if let Some((cursor, top, reverse)) = self.step {
            if reverse {
                ctx.b.emit(Insn::Prev { cursor, target: top });
            } else {
                ctx.b.emit(Insn::Next { cursor, target: top });
            }
        }
        ctx.b.resolve_label(self.range_end);
        for &(scan, top, skip) in self.ins.iter().rev() {
            ctx.b.resolve_label(skip);
            ctx.b.emit(Insn::Next { cursor: scan, target: top });
        }
    }
}

/// Fills a fresh ephemeral set with the IN values (affinity applied) and opens a scan over it;
/// jumps to `empty` when it has no values. Returns the scan cursor and the loop top, where the
/// value (never NULL: those go to `skip`) is loaded into `dest`.
fn emit_in_loop(ctx: &mut Ctx, set: &InSet, dest: usize, empty: Label, skip: Label) -> Result<(usize, usize)> {
    let id = ctx.b.alloc_cursor();
    let key = crate::vdbe::insn::SortKey { collations: vec![set.coll], desc: vec![set.desc], nulls_first: vec![None] };
    match &set.source {
        InSource::List(list) => {
            ctx.b.emit(Insn::EphOpen { id, distinct: true, key });
            ctx.b.emit(Insn::EphAffinity { id, affinity: set.aff });
            let r = ctx.b.alloc_register();
            for e in list {
                expr::expr_to_reg(ctx, e, r)?;
                ctx.b.emit(Insn::EphInsert { id, start: r, count: 1 });
            }
        }
        InSource::Select(select) => {
            let open_at = ctx.b.current_addr();
            ctx.b.emit(Insn::EphOpen { id, distinct: true, key: key.clone() });
            ctx.b.emit(Insn::EphAffinity { id, affinity: set.aff });
            ctx.b.emit(Insn::Noop { comment: None });
            expr::subquery(ctx, select, expr::Dest::Eph { id })?;
            if let Insn::Once { target } = ctx.b.insns[open_at + 3].clone() {
                // Uncorrelated: build the set once.
                ctx.b.insns[open_at] = Insn::Once { target };
                ctx.b.insns[open_at + 1] = Insn::EphOpen { id, distinct: true, key };
                ctx.b.insns[open_at + 2] = Insn::EphAffinity { id, affinity: set.aff };
                ctx.b.insns[open_at + 3] = Insn::Noop { comment: None };
            }
        }
    }
    let scan = ctx.b.alloc_cursor();
    ctx.b.emit(Insn::EphScan { cursor: scan, id });
    ctx.b.emit_jump(Insn::Rewind { cursor: scan, target: 0 }, empty);
    let top = ctx.b.current_addr();
    ctx.b.emit(Insn::Column { cursor: scan, column: 0, dest, default: None });
    ctx.b.emit_jump(Insn::IsNull { reg: dest, target: 0 }, skip);
    Ok((scan, top))
}

/// Opens the loop over scope table `si` by `access`: jumps to `brk` when there is no row, to
/// `next` when an index entry's row is missing.
/// The seek that starts a range scan at a bound (the lower one forward, the upper reversed).
fn start_seek(reverse: bool, inclusive: bool) -> SeekOp {
    match (reverse, inclusive) {
        (false, true) => SeekOp::GE,
        (false, false) => SeekOp::GT,
        (true, true) => SeekOp::LE,
        (true, false) => SeekOp::LT,
    }
}

/// The comparison with the other bound that ends the scan: the first key past it.
fn stop_seek(reverse: bool, inclusive: bool) -> SeekOp {
    match (reverse, inclusive) {
        (false, true) => SeekOp::GT,
        (false, false) => SeekOp::GE,
        (true, true) => SeekOp::LT,
        (true, false) => SeekOp::LE,
    }
}

pub(super) fn emit_access(ctx: &mut Ctx, si: usize, access: Access, brk: Label, next: Label) -> Result<LoopEnd> {
    let cursor = ctx.scope[si].cursor;
    let range_end = ctx.b.new_label();
    let mut end = LoopEnd { step: None, range_end, ins: vec![], index_cursor: None, coroutine_top: None };
    if let Some(reg) = ctx.scope[si].coroutine {
        // Each Yield makes the co-routine's next row; its end leaves the loop.
        end.coroutine_top = Some(ctx.b.current_addr());
        ctx.b.emit_jump(Insn::Yield { reg, target: 0 }, brk);
        return Ok(end);
    }
    match access {
        Access::RowidEq(e) => {
            let r = expr::expr_to_new_reg(ctx, &e)?;
            ctx.b.emit_jump(Insn::SeekRowid { cursor, rowid: r, target: 0 }, brk);
        }
        Access::RowidIn(set) => {
            let r = ctx.b.alloc_register();
            let (scan, top) = emit_in_loop(ctx, &set, r, brk, range_end)?;
            ctx.b.emit_jump(Insn::SeekRowid { cursor, rowid: r, target: 0 }, range_end);
            end.ins.push((scan, top, ctx.b.new_label()));
        }
        Access::RowidRange { lower, upper, reverse } => {
            let (start, stop) = if reverse { (&upper, &lower) } else { (&lower, &upper) };
            // The bounds compare numerically (a rowid against anything has numeric affinity).
            let stop_reg = match stop {
                Some((e, _, inclusive)) => {
                    let r = expr::expr_to_new_reg(ctx, e)?;
                    ctx.b.emit_jump(Insn::IsNull { reg: r, target: 0 }, brk);
                    ctx.b.emit(Insn::Affinity {
                        start: r,
                        count: 1,
                        affinities: Affinity::Numeric.letter().to_string(),
                    });
                    Some((r, *inclusive))
                }
                None => None,
            };
            match start {
                Some((e, _, inclusive)) => {
                    let r = expr::expr_to_new_reg(ctx, e)?;
                    ctx.b.emit_jump(Insn::IsNull { reg: r, target: 0 }, brk);
                    let op = start_seek(reverse, *inclusive);
                    ctx.b.emit_jump(Insn::Seek { op, cursor, key_start: r, key_count: 1, target: 0 }, brk);
                }
                None if reverse => {
                    ctx.b.emit_jump(Insn::Last { cursor, target: 0 }, brk);
                }
                None => {
                    ctx.b.emit_jump(Insn::Rewind { cursor, target: 0 }, brk);
                }
            }
            let top = ctx.b.current_addr();
            if let Some((bound, inclusive)) = stop_reg {
                let rowid = ctx.b.alloc_register();
                ctx.b.emit(Insn::Rowid { cursor, dest: rowid });
                let op = match (reverse, inclusive) {
                    (false, true) => crate::vdbe::insn::CmpOp::Gt,
                    (false, false) => crate::vdbe::insn::CmpOp::Ge,
                    (true, true) => crate::vdbe::insn::CmpOp::Lt,
                    (true, false) => crate::vdbe::insn::CmpOp::Le,
                };
                ctx.b.emit_jump(
                    Insn::Compare {
                        op,
                        lhs: rowid,
                        rhs: bound,
                        target: 0,
                        affinity: Affinity::Numeric,
                        collation: Collation::Binary,
                        jump_if_null: true,
                        null_eq: false,
                    },
                    brk,
                );
            }
            end.step = Some((cursor, top, reverse));
        }
        Access::Scan { reverse } => {
            let op = if reverse { Insn::Last { cursor, target: 0 } } else { Insn::Rewind { cursor, target: 0 } };
            ctx.b.emit_jump(op, brk);
            end.step = Some((cursor, ctx.b.current_addr(), reverse));
        }
        Access::Index { index, primary, keys, lower, upper, reverse } => {
            let table = ctx.scope[si].table.clone();
            let icursor = if primary {
                cursor
            } else {
                let icursor = ctx.b.alloc_cursor();
                let opened = ctx.b.emit(Insn::Once { target: 0 });
                let info = CursorInfo::Index(super::dml::index_key_info(&table, &index));
                ctx.b.emit(Insn::OpenRead { cursor: icursor, root: index.root, db: 0, info });
                ctx.b.patch_here(opened);
                icursor
            };
            let m = keys.len();
            // Registers: the key prefix and the lower bound; the prefix and the upper bound.
            let first = ctx.b.alloc_registers(m + 1);
            let upper_key = ctx.b.alloc_registers(m + 1);
            for (i, k) in keys.iter().enumerate() {
                if let KeyTerm::Eq(e, aff) = k {
                    expr::expr_to_reg(ctx, e, first + i)?;
                    // `= NULL` is never true: no row.
                    ctx.b.emit_jump(Insn::IsNull { reg: first + i, target: 0 }, brk);
                    ctx.b.emit(Insn::Affinity { start: first + i, count: 1, affinities: aff.letter().to_string() });
                }
            }
            // IN keys: one loop per set, outermost first; the seek happens per combination.
            for (i, k) in keys.iter().enumerate() {
                if let KeyTerm::In(set) = k {
                    let empty = end.ins.last().map(|x| x.2).unwrap_or(brk);
                    let skip = ctx.b.new_label();
                    let (scan, top) = emit_in_loop(ctx, set, first + i, empty, skip)?;
                    end.ins.push((scan, top, skip));
                }
            }
            let exhausted = end.ins.last().map(|x| x.2).unwrap_or(brk);
            // The bound that starts the loop (the upper one when reversed) and the one that ends it.
            let (start_bound, stop_bound) = if reverse { (&upper, &lower) } else { (&lower, &upper) };
            let start_op = match start_bound {
                Some((e, aff, inclusive)) => {
                    expr::expr_to_reg(ctx, e, first + m)?;
                    ctx.b.emit_jump(Insn::IsNull { reg: first + m, target: 0 }, brk);
                    ctx.b.emit(Insn::Affinity { start: first + m, count: 1, affinities: aff.letter().to_string() });
                    Some(start_seek(reverse, *inclusive))
                }
                // Only an upper bound, forward: start past the NULLs, which sort first.
                None if !reverse && upper.is_some() => {
                    ctx.b.emit(Insn::Null { dest: first + m, end: first + m });
                    Some(SeekOp::GT)
                }
                None => None,
            };
            // The stop key; reversed without a lower bound, the NULLs (sorting first) stop it.
            let stop = match stop_bound {
                Some((e, aff, inclusive)) => {
                    if m > 0 {
                        ctx.b.emit(Insn::Copy { src: first, dest: upper_key, extra: m - 1 });
                    }
                    expr::expr_to_reg(ctx, e, upper_key + m)?;
                    ctx.b.emit_jump(Insn::IsNull { reg: upper_key + m, target: 0 }, brk);
                    ctx.b.emit(Insn::Affinity { start: upper_key + m, count: 1, affinities: aff.letter().to_string() });
                    Some(stop_seek(reverse, *inclusive))
                }
                None if reverse && upper.is_some() && index.columns.get(m).is_some() => {
                    if m > 0 {
                        ctx.b.emit(Insn::Copy { src: first, dest: upper_key, extra: m - 1 });
                    }
                    ctx.b.emit(Insn::Null { dest: upper_key + m, end: upper_key + m });
                    Some(SeekOp::LE)
                }
                None => None,
            };
            match (start_op, m) {
                (Some(op), _) => {
                    ctx.b.emit_jump(
                        Insn::Seek { op, cursor: icursor, key_start: first, key_count: m + 1, target: 0 },
                        exhausted,
                    );
                }
                (None, 0) => {
                    let op = if reverse {
                        Insn::Last { cursor: icursor, target: 0 }
                    } else {
                        Insn::Rewind { cursor: icursor, target: 0 }
                    };
                    ctx.b.emit_jump(op, exhausted);
                }
                (None, _) => {
                    let op = if reverse { SeekOp::LE } else { SeekOp::GE };
                    ctx.b.emit_jump(
                        Insn::Seek { op, cursor: icursor, key_start: first, key_count: m, target: 0 },
                        exhausted,
                    );
                }
            }
            let top = ctx.b.current_addr();
            if let Some(op) = stop {
                ctx.b.emit_jump(
                    Insn::IdxCompare { op, cursor: icursor, key_start: upper_key, key_count: m + 1, target: 0 },
                    range_end,
                );
            }
            if m > 0 {
                let op = if reverse { SeekOp::LT } else { SeekOp::GT };
                ctx.b.emit_jump(
                    Insn::IdxCompare { op, cursor: icursor, key_start: first, key_count: m, target: 0 },
                    range_end,
                );
            }
            if !primary {
                let seek_at = ctx.b.current_addr();
                let map = index_map(&table, &index);
                if table.has_rowid() {
                    let rowid = ctx.b.alloc_register();
                    ctx.b.emit(Insn::IdxRowid { cursor: icursor, dest: rowid });
                    ctx.b.emit_jump(Insn::SeekRowid { cursor, rowid, target: 0 }, next);
                } else {
                    // The entry carries the primary key: seek the table by it.
                    let npk = table.primary_key.len();
                    let key = ctx.b.alloc_registers(npk);
                    for (j, &p) in super::dml::pk_positions(&table, &index).iter().enumerate() {
                        ctx.b.emit(Insn::Column { cursor: icursor, column: p, dest: key + j, default: None });
                    }
                    ctx.b.emit_jump(Insn::NotFound { cursor, key_start: key, key_count: npk, target: 0 }, next);
                }
                let seek: Vec<usize> = (seek_at..ctx.b.current_addr()).collect();
                ctx.cover_candidates.push(CoverCandidate {
                    table_cursor: cursor,
                    index_cursor: icursor,
                    map,
                    rowid: table.has_rowid(),
                    seek,
                    plan_row: ctx.plan_details.len().saturating_sub(1),
                });
                end.index_cursor = Some(icursor);
            }
            end.step = Some((icursor, top, reverse));
        }
    }
    // Without IN loops, `range_end` is resolved right before `brk`: the same place.
    Ok(end)
}

/// Table record position -> position in an entry of `index` (rowid tables: columns the index
/// holds; WITHOUT ROWID tables: also the primary key columns it carries).
fn index_map(table: &crate::schema::Table, index: &Index) -> Vec<(usize, usize)> {
    let mut map = Vec::new();
    for (j, ic) in index.columns.iter().enumerate() {
        if let Some(c) = ic.column {
            if table.rowid_alias != Some(c) && !map.iter().any(|&(r, _)| r == expr::record_position(table, c)) {
                map.push((expr::record_position(table, c), j));
            }
        }
    }
    if table.without_rowid {
        for (j, &p) in super::dml::pk_positions(table, index).iter().enumerate() {
            // A WITHOUT ROWID record leads with its primary key columns, in key order.
            if !map.iter().any(|&(r, _)| r == j) {
                map.push((j, p));
            }
        }
    }
    map
}

/// The covering-index rewrite: a table read through an index whose entries hold every column
/// the program reads from it is never positioned; its reads come from the index entry.
pub fn apply_covering(ctx: &mut Ctx) {
    let candidates = std::mem::take(&mut ctx.cover_candidates);
    'next: for c in candidates {
        let t = c.table_cursor;
        let mut rewrites: Vec<(usize, Insn)> = Vec::new();
        for (at, insn) in ctx.b.insns.iter().enumerate() {
            if c.seek.contains(&at) {
                continue;
            }
            let replacement = match insn {
                Insn::Column { cursor, column, dest, default } if *cursor == t => {
                    let Some(&(_, p)) = c.map.iter().find(|(r, _)| r == column) else { continue 'next };
                    Insn::Column { cursor: c.index_cursor, column: p, dest: *dest, default: default.clone() }
                }
                Insn::Rowid { cursor, dest } if *cursor == t && c.rowid => {
                    Insn::IdxRowid { cursor: c.index_cursor, dest: *dest }
                }
                Insn::OpenRead { cursor, .. } | Insn::Close { cursor } if *cursor == t => Insn::Noop { comment: None },
                // The index cursor is put on its NULL row with the table's.
                Insn::NullRow { cursor } if *cursor == t => Insn::Noop { comment: None },
                other => {
                    if mentions_cursor(other, t) {
                        continue 'next;
                    }
                    continue;
                }
            };
            rewrites.push((at, replacement));
        }
        for (at, insn) in rewrites {
            ctx.b.insns[at] = insn;
        }
        for &at in &c.seek {
            ctx.b.insns[at] = Insn::Noop { comment: None };
        }
        if let Some((row, _)) = ctx.plan_details.get_mut(c.plan_row) {
            *row = row.replacen(" USING INDEX ", " USING COVERING INDEX ", 1);
        }
    }
}

/// Whether `insn` names `cursor` as a cursor operand. Checked in debug builds against every
/// field named `...cursor` in the instruction's text, so a new instruction left out of
/// `Insn::cursor` fails the tests instead of letting the rewrite skip one of its reads.
fn mentions_cursor(insn: &Insn, cursor: usize) -> bool {
    let named = insn.cursor() == Some(cursor);
    debug_assert_eq!(named, mentions_cursor_by_text(insn, cursor), "Insn::cursor misses {insn:?}");
    named
}

fn mentions_cursor_by_text(insn: &Insn, cursor: usize) -> bool {
    let text = format!("{insn:?}");
    let needle = format!("cursor: {cursor}");
    text.match_indices(&needle).any(|(i, _)| {
        let after = text[i + needle.len()..].chars().next();
        !after.is_some_and(|ch| ch.is_ascii_digit())
    })
}
