//! Conversion of sqlparser's syntax tree into Brisk's [`ast`](super::ast).
//!
//! Takes sqlparser nodes by value so names and strings move instead of being copied. Anything
//! sqlparser accepted that SQLite's grammar does not (other dialects' syntax) is rejected here
//! with a syntax error at the node's position when one is known. Expression depth is bounded by
//! [`MAX_EXPR_DEPTH`], so a pathological left-deep chain (`1+1+1+...`) is an error, not a stack
//! overflow.

use sqlparser::ast as sp;
use sqlparser::ast::Spanned;
use sqlparser::tokenizer::Span;

use super::dialect::is_reserved_word;

use super::ast::*;
use super::lexer::{offset_of, Kind, Punct};
use super::{Ctx, PResult, ParseError, MAX_EXPR_DEPTH};

/// A converter for one statement.
pub(crate) struct Conv<'c, 'a> {
    pub cx: &'c Ctx<'a>,
    /// Height of the expression being converted (SQLite's `nHeight`).
    depth: usize,
    /// Nesting of queries (subqueries, CTEs, derived tables).
    query_depth: usize,
    /// Converting a join's ON clause: its names get no position, as SQLite 3.40 reports no
    /// offset for errors there.
    in_join_on: bool,
}

/// How deeply queries may nest. SQLite 3.54 rejects 45 nested scalar subqueries as too deep an
/// expression tree; 50 keeps the converter's recursion well inside a 2 MiB thread stack even in
/// unoptimized builds.
const MAX_QUERY_DEPTH: usize = 50;

fn start_of(span: Span) -> Option<usize> {
    offset_of(span.start)
}

/// The parts of a sqlparser SELECT that SQLite has.
struct SelectParts {
    distinct: Option<sp::Distinct>,
    projection: Vec<sp::SelectItem>,
    from: Vec<sp::TableWithJoins>,
    selection: Option<sp::Expr>,
    group_by: sp::GroupByExpr,
    having: Option<sp::Expr>,
    named_window: Vec<sp::NamedWindowDefinition>,
}

impl<'c, 'a> Conv<'c, 'a> {
    pub fn new(cx: &'c Ctx<'a>) -> Self {
        Conv { cx, depth: 0, query_depth: 0, in_join_on: false }
    }

    /// `near "ORDER": syntax error` (or LIMIT) for the first ORDER or LIMIT outside
    /// parentheses: where SQLite's default build stops on UPDATE/DELETE ... ORDER BY/LIMIT.
    fn clause_keyword_error(&self) -> ParseError {
        let mut depth = 0usize;
        for t in self.cx.toks {
            match t.kind {
                Kind::Punct(Punct::LParen) => depth += 1,
                Kind::Punct(Punct::RParen) => depth = depth.saturating_sub(1),
                Kind::Word if depth == 0 => {
                    let w = t.text(self.cx.sql);
                    if w.eq_ignore_ascii_case("order") || w.eq_ignore_ascii_case("limit") {
                        return self.cx.near(t.start);
                    }
                }
                _ => {}
            }
        }
        ParseError::new("syntax error", None)
    }

    /// The position of a name starting at `span` (none inside a join's ON clause).
    fn name_pos(&self, span: Span) -> SrcPos {
        if self.in_join_on {
            return SrcPos::default();
        }
        self.cx.pos(start_of(span))
    }

    /// A syntax error for sqlparser syntax SQLite does not have, located at `span` if known.
    fn reject(&self, span: Span) -> ParseError {
        match start_of(span) {
            Some(o) => self.cx.near(o),
            None => ParseError::new("syntax error", None),
        }
    }

    fn reject_node<T: Spanned>(&self, node: &T) -> ParseError {
        self.reject(node.span())
    }

    /// The source text a span covers (a type name, a default value).
    pub fn span_text(&self, span: Span) -> &'a str {
        match (offset_of(span.start), offset_of(span.end)) {
            (Some(s), Some(e)) if s <= e && e <= self.cx.sql.len() => &self.cx.sql[s..e],
            _ => "",
        }
    }

    // -----------------------------------------------------------------------------------------
    // Names

    /// A one-part name.
    pub fn simple_name(&self, name: sp::ObjectName) -> PResult<String> {
        let span = name.span();
        let mut parts = name.0;
        if parts.len() != 1 {
            return Err(self.reject(span));
        }
        match parts.pop() {
            Some(sp::ObjectNamePart::Identifier(id)) => Ok(id.value),
            _ => Err(self.reject(span)),
        }
    }

    /// `[schema.]name`
    pub fn qualified_name(&self, name: sp::ObjectName) -> PResult<QualifiedName> {
        let span = name.span();
        let mut ids = Vec::with_capacity(2);
        for part in name.0 {
            match part {
                sp::ObjectNamePart::Identifier(id) => ids.push(id.value),
                _ => return Err(self.reject(span)),
            }
        }
        match ids.len() {
            1 => Ok(QualifiedName { schema: None, name: ids.pop().unwrap_or_default() }),
            2 => {
                let name = ids.pop().unwrap_or_default();
                Ok(QualifiedName { schema: ids.pop(), name })
            }
            _ => Err(self.reject(span)),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Statements sqlparser parses: SELECT, VALUES, INSERT, UPDATE, DELETE (with WITH).

    pub fn statement(&mut self, s: sp::Statement) -> PResult<Statement> {
        match s {
            sp::Statement::Query(q) => self.query_statement(q),
            sp::Statement::Insert(i) => Ok(Statement::Insert(Box::new(self.insert(i, None)?))),
            sp::Statement::Update(u) => Ok(Statement::Update(Box::new(self.update(u, None)?))),
            sp::Statement::Delete(d) => Ok(Statement::Delete(Box::new(self.delete(d, None)?))),
            other => Err(self.reject_node(&other)),
        }
    }

    /// A query statement, which may be `WITH ... INSERT/UPDATE/DELETE`.
    fn query_statement(&mut self, q: Box<sp::Query>) -> PResult<Statement> {
        if !matches!(*q.body, sp::SetExpr::Insert(_) | sp::SetExpr::Update(_) | sp::SetExpr::Delete(_)) {
            return Ok(Statement::Select(Box::new(self.query(q)?)));
        }
        let sp::Query { with, body, order_by, limit_clause, .. } = *q;
        if order_by.is_some() || limit_clause.is_some() {
            return Err(ParseError::new("ORDER BY and LIMIT are not supported on INSERT, UPDATE and DELETE", None));
        }
        let with = match with {
            Some(w) => Some(self.with(w)?),
            None => None,
        };
        match *body {
            sp::SetExpr::Insert(sp::Statement::Insert(i)) => Ok(Statement::Insert(Box::new(self.insert(i, with)?))),
            sp::SetExpr::Update(sp::Statement::Update(u)) => Ok(Statement::Update(Box::new(self.update(u, with)?))),
            sp::SetExpr::Delete(sp::Statement::Delete(d)) => Ok(Statement::Delete(Box::new(self.delete(d, with)?))),
            _ => Err(ParseError::new("syntax error", None)),
        }
    }

    fn insert(&mut self, i: sp::Insert, with: Option<With>) -> PResult<Insert> {
        let span = i.insert_token.0.span;
        if i.ignore
            || i.overwrite
            || i.partitioned.is_some()
            || !i.after_columns.is_empty()
            || !i.assignments.is_empty()
            || i.output.is_some()
            || i.priority.is_some()
            || i.insert_alias.is_some()
            || i.settings.is_some()
            || i.format_clause.is_some()
            || i.has_table_keyword
            || i.by_name
        {
            return Err(self.reject(span));
        }
        let table = match i.table {
            sp::TableObject::TableName(n) => {
                // SQLite requires INTO (sqlparser, like MySQL, does not).
                if !i.into {
                    return Err(self.reject_node(&n));
                }
                self.qualified_name(n)?
            }
            _ => return Err(self.reject(span)),
        };
        if let Some(a) = &i.table_alias {
            if !a.explicit {
                return Err(self.reject(a.alias.span));
            }
        }
        let or_conflict = match (i.or, i.replace_into) {
            (_, true) => Some(ConflictResolution::Replace),
            (Some(c), false) => Some(conflict(c)),
            (None, false) => None,
        };
        let mut columns = Vec::with_capacity(i.columns.len());
        for c in i.columns {
            columns.push(self.simple_name(c)?);
        }
        let source = match i.source {
            None => InsertSource::DefaultValues,
            Some(q) => {
                let plain_values = q.with.is_none()
                    && q.order_by.is_none()
                    && q.limit_clause.is_none()
                    && matches!(*q.body, sp::SetExpr::Values(_));
                if plain_values {
                    let sp::SetExpr::Values(v) = *q.body else { unreachable!("checked above") };
                    InsertSource::Values(self.values(v)?)
                } else {
                    InsertSource::Select(Box::new(self.query(q)?))
                }
            }
        };
        let mut upsert = Vec::new();
        match i.on {
            None => {}
            Some(sp::OnInsert::OnConflict(oc)) => upsert.push(self.upsert(oc)?),
            Some(_) => return Err(self.reject(span)),
        }
        Ok(Insert {
            with,
            or_conflict,
            table,
            alias: i.table_alias.map(|a| a.alias.value),
            columns,
            source,
            upsert,
            returning: self.returning(i.returning)?,
        })
    }

    fn upsert(&mut self, oc: sp::OnConflict) -> PResult<Upsert> {
        let (target, target_where) = match oc.conflict_target {
            None => (Vec::new(), None),
            Some(sp::ConflictTarget::Columns { columns, predicate }) => {
                let target = columns
                    .into_iter()
                    .map(|c| IndexedColumn { expr: Expr::column(c.value), collation: None, desc: false })
                    .collect();
                (target, self.opt_expr(predicate)?)
            }
            Some(sp::ConflictTarget::OnConstraint(n)) => return Err(self.reject_node(&n)),
        };
        let action = match oc.action {
            sp::OnConflictAction::DoNothing => UpsertAction::Nothing,
            sp::OnConflictAction::DoUpdate(u) => UpsertAction::Update {
                sets: self.assignments(u.assignments)?,
                where_clause: self.opt_expr(u.selection)?,
            },
        };
        Ok(Upsert { target, target_where, action })
    }

    fn returning(&mut self, r: Option<Vec<sp::SelectItem>>) -> PResult<Vec<ResultColumn>> {
        match r {
            None => Ok(Vec::new()),
            Some(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.result_column(item, None)?);
                }
                Ok(out)
            }
        }
    }

    fn assignments(&mut self, v: Vec<sp::Assignment>) -> PResult<Vec<Assignment>> {
        let mut out = Vec::with_capacity(v.len());
        for a in v {
            let columns = match a.target {
                sp::AssignmentTarget::ColumnName(n) => vec![self.simple_name(n)?],
                sp::AssignmentTarget::Tuple(ns) => {
                    let mut cols = Vec::with_capacity(ns.len());
                    for n in ns {
                        cols.push(self.simple_name(n)?);
                    }
                    cols
                }
            };
            out.push(Assignment { columns, value: self.expr(a.value)? });
        }
        Ok(out)
    }

    /// The single table an UPDATE or DELETE names, with its alias and INDEXED BY.
    fn target_table(&mut self, t: sp::TableWithJoins) -> PResult<(QualifiedName, Option<String>, Option<Indexed>)> {
        if !t.joins.is_empty() {
            return Err(self.reject_node(&t.joins[0].relation));
        }
        match self.table_factor(t.relation)? {
            TableRef::Table { name, alias, indexed } => Ok((name, alias, indexed)),
            _ => Err(ParseError::new("syntax error", None)),
        }
    }

    fn update(&mut self, u: sp::Update, with: Option<With>) -> PResult<Update> {
        let span = u.update_token.0.span;
        if u.on_cluster.is_some() || u.output.is_some() || u.settings.is_some() {
            return Err(self.reject(span));
        }
        if !u.order_by.is_empty() || u.limit.is_some() {
            // SQLite's default build has no ORDER BY/LIMIT on UPDATE (SQLITE_ENABLE_UPDATE_DELETE_LIMIT).
            return Err(self.clause_keyword_error());
        }
        let (table, alias, indexed) = self.target_table(u.table)?;
        let from = match u.from {
            None => None,
            Some(sp::UpdateTableFromKind::AfterSet(v)) => self.from(v)?,
            Some(sp::UpdateTableFromKind::BeforeSet(_)) => return Err(self.reject(span)),
        };
        Ok(Update {
            with,
            or_conflict: u.or.map(conflict),
            table,
            alias,
            indexed,
            sets: self.assignments(u.assignments)?,
            from,
            where_clause: self.opt_expr(u.selection)?,
            returning: self.returning(u.returning)?,
        })
    }

    fn delete(&mut self, d: sp::Delete, with: Option<With>) -> PResult<Delete> {
        let span = d.delete_token.0.span;
        if !d.tables.is_empty()
            || d.on_cluster.is_some()
            || d.using.is_some()
            || d.output.is_some()
            || d.settings.is_some()
        {
            return Err(self.reject(span));
        }
        if !d.order_by.is_empty() || d.limit.is_some() {
            // SQLite's default build has no ORDER BY/LIMIT on DELETE (SQLITE_ENABLE_UPDATE_DELETE_LIMIT).
            return Err(self.clause_keyword_error());
        }
        let mut tables = match d.from {
            sp::FromTable::WithFromKeyword(v) => v,
            sp::FromTable::WithoutKeyword(_) => return Err(self.reject(span)),
        };
        if tables.len() != 1 {
            return Err(self.reject(span));
        }
        let (table, alias, indexed) = self.target_table(tables.pop().expect("one table"))?;
        Ok(Delete {
            with,
            table,
            alias,
            indexed,
            where_clause: self.opt_expr(d.selection)?,
            returning: self.returning(d.returning)?,
        })
    }

    // -----------------------------------------------------------------------------------------
    // Queries

    pub fn query(&mut self, q: Box<sp::Query>) -> PResult<Select> {
        if self.query_depth >= MAX_QUERY_DEPTH {
            return Err(Self::too_large());
        }
        self.query_depth += 1;
        let r = self.query_inner(q);
        self.query_depth -= 1;
        r
    }

    fn query_inner(&mut self, q: Box<sp::Query>) -> PResult<Select> {
        let sp::Query {
            with,
            body,
            order_by,
            limit_clause,
            fetch,
            locks,
            for_clause,
            settings,
            format_clause,
            pipe_operators,
        } = *q;
        if fetch.is_some()
            || !locks.is_empty()
            || for_clause.is_some()
            || settings.is_some()
            || format_clause.is_some()
            || !pipe_operators.is_empty()
        {
            return Err(ParseError::new("syntax error", None));
        }
        let with = match with {
            Some(w) => Some(self.with(w)?),
            None => None,
        };
        let body = self.select_body(body)?;
        let order_by = match order_by {
            None => Vec::new(),
            Some(ob) => match ob.kind {
                sp::OrderByKind::Expressions(v) if ob.interpolate.is_none() => self.ordering_terms(v)?,
                _ => return Err(ParseError::new("syntax error", None)),
            },
        };
        let limit = match limit_clause {
            None => None,
            Some(l) => Some(self.limit(l)?),
        };
        Ok(Select { with, body, order_by, limit })
    }

    fn limit(&mut self, l: sp::LimitClause) -> PResult<Limit> {
        match l {
            sp::LimitClause::LimitOffset { limit, offset, limit_by } => {
                if !limit_by.is_empty() {
                    return Err(ParseError::new("syntax error", None));
                }
                let Some(limit) = limit else {
                    // OFFSET without LIMIT.
                    return Err(match offset {
                        Some(o) => self.reject_node(&o.value),
                        None => ParseError::new("syntax error", None),
                    });
                };
                let offset = match offset {
                    Some(o) if o.rows == sp::OffsetRows::None => Some(self.expr(o.value)?),
                    Some(o) => return Err(self.reject_node(&o.value)),
                    None => None,
                };
                Ok(Limit { limit: self.expr(limit)?, offset })
            }
            sp::LimitClause::OffsetCommaLimit { offset, limit } => {
                Ok(Limit { limit: self.expr(limit)?, offset: Some(self.expr(offset)?) })
            }
        }
    }

    fn with(&mut self, w: sp::With) -> PResult<With> {
        let mut ctes = Vec::with_capacity(w.cte_tables.len());
        for c in w.cte_tables {
            if c.from.is_some() {
                return Err(self.reject(c.alias.name.span));
            }
            let mut columns = Vec::with_capacity(c.alias.columns.len());
            for col in c.alias.columns {
                if col.data_type.is_some() {
                    return Err(self.reject(col.name.span));
                }
                columns.push(col.name.value);
            }
            ctes.push(Cte {
                name: c.alias.name.value,
                columns,
                materialized: c.materialized.map(|m| matches!(m, sp::CteAsMaterialized::Materialized)),
                select: Box::new(self.query(c.query)?),
            });
        }
        Ok(With { recursive: w.recursive, ctes })
    }

    /// Flattens sqlparser's compound tree (which gives INTERSECT a higher precedence than
    /// UNION) into SQLite's left-to-right list: an in-order walk yields the cores and operators
    /// in source order, and SQLite applies them left to right.
    fn select_body(&mut self, body: Box<sp::SetExpr>) -> PResult<SelectBody> {
        let mut cores = Vec::new();
        let mut ops = Vec::new();
        self.flatten(body, &mut cores, &mut ops)?;
        let mut cores = cores.into_iter();
        let first = cores.next().ok_or_else(|| ParseError::new("syntax error", None))?;
        Ok(SelectBody { first, compounds: ops.into_iter().zip(cores).collect() })
    }

    fn flatten(&mut self, e: Box<sp::SetExpr>, cores: &mut Vec<SelectCore>, ops: &mut Vec<CompoundOp>) -> PResult<()> {
        let span = match &*e {
            sp::SetExpr::Select(_) | sp::SetExpr::Values(_) | sp::SetExpr::SetOperation { .. } => Span::empty(),
            other => other.span(),
        };
        match *e {
            sp::SetExpr::Select(s) => cores.push(SelectCore::Select(Box::new(self.simple_select(s)?))),
            sp::SetExpr::Values(v) => cores.push(SelectCore::Values(self.values(v)?)),
            sp::SetExpr::SetOperation { left, op, set_quantifier, right } => {
                self.flatten(left, cores, ops)?;
                use sp::SetQuantifier as Q;
                let op = match (op, set_quantifier) {
                    (sp::SetOperator::Union, Q::All) => CompoundOp::UnionAll,
                    (sp::SetOperator::Union, Q::None | Q::Distinct) => CompoundOp::Union,
                    (sp::SetOperator::Intersect, Q::None) => CompoundOp::Intersect,
                    (sp::SetOperator::Except, Q::None) => CompoundOp::Except,
                    _ => return Err(ParseError::new("syntax error", None)),
                };
                ops.push(op);
                self.flatten(right, cores, ops)?;
            }
            sp::SetExpr::Query(_) => {
                // A parenthesized query as a compound member: not SQLite syntax. Point at the
                // parenthesis if it is just before the query.
                return Err(match start_of(span).and_then(|o| o.checked_sub(1)) {
                    Some(o) if self.cx.token_at(o).is_some() => self.cx.near(o),
                    _ => self.reject(span),
                });
            }
            _ => return Err(self.reject(span)),
        }
        Ok(())
    }

    fn values(&mut self, v: sp::Values) -> PResult<Vec<Vec<Expr>>> {
        if v.explicit_row {
            return Err(ParseError::new("syntax error", None));
        }
        let mut rows = Vec::with_capacity(v.rows.len());
        let mut width = None;
        for row in v.rows {
            let row: Vec<sp::Expr> = row.content;
            if *width.get_or_insert(row.len()) != row.len() {
                return Err(ParseError::new("all VALUES must have the same number of terms", None));
            }
            rows.push(self.exprs(row)?);
        }
        Ok(rows)
    }

    fn simple_select(&mut self, s: Box<sp::Select>) -> PResult<SimpleSelect> {
        let span = s.select_token.0.span;
        if !s.optimizer_hints.is_empty()
            || s.select_modifiers.is_some()
            || s.top.is_some()
            || s.exclude.is_some()
            || s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !s.connect_by.is_empty()
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
            || s.qualify.is_some()
            || s.value_table_mode.is_some()
            || !matches!(s.flavor, sp::SelectFlavor::Standard)
        {
            return Err(self.reject(span));
        }
        let sp::Select { distinct, projection, from, selection, group_by, having, named_window, .. } = *s;
        let s = SelectParts { distinct, projection, from, selection, group_by, having, named_window };
        let distinct = match s.distinct {
            None | Some(sp::Distinct::All) => false,
            Some(sp::Distinct::Distinct) => true,
            Some(sp::Distinct::On(_)) => return Err(self.reject(span)),
        };
        let texts = start_of(span).and_then(|o| self.cx.index_at(o)).map(|i| self.projection_ranges(i));
        let texts = texts.filter(|t| t.len() == s.projection.len());
        let mut columns = Vec::with_capacity(s.projection.len());
        for (n, item) in s.projection.into_iter().enumerate() {
            let range = texts.as_ref().map(|t| t[n]);
            columns.push(self.result_column(item, range)?);
        }
        let group_by = match s.group_by {
            sp::GroupByExpr::Expressions(v, mods) if mods.is_empty() => self.exprs(v)?,
            _ => return Err(self.reject(span)),
        };
        let mut windows = Vec::with_capacity(s.named_window.len());
        for sp::NamedWindowDefinition(name, w) in s.named_window {
            let spec = match w {
                sp::NamedWindowExpr::WindowSpec(spec) => self.window_spec(spec)?,
                sp::NamedWindowExpr::NamedWindow(base) => {
                    WindowSpec { base: Some(base.value), partition_by: Vec::new(), order_by: Vec::new(), frame: None }
                }
            };
            windows.push((name.value, spec));
        }
        Ok(SimpleSelect {
            distinct,
            columns,
            from: self.from(s.from)?,
            where_clause: self.opt_expr(s.selection)?,
            group_by,
            having: self.opt_expr(s.having)?,
            windows,
        })
    }

    /// Token index ranges of the result columns of the SELECT whose keyword is token `select`:
    /// the columns are separated by commas outside parentheses and end at the first clause
    /// keyword or unbalanced `)`.
    fn projection_ranges(&self, select: usize) -> Vec<(usize, usize)> {
        let toks = self.cx.toks;
        let sql = self.cx.sql;
        let is_word = |i: usize, w: &str| toks[i].kind == Kind::Word && toks[i].text(sql).eq_ignore_ascii_case(w);
        let mut i = select + 1;
        if i < toks.len() && (is_word(i, "distinct") || is_word(i, "all")) {
            i += 1;
        }
        let mut out = Vec::new();
        let mut start = i;
        let mut depth = 0usize;
        while i < toks.len() {
            let t = &toks[i];
            match t.kind {
                Kind::Punct(Punct::LParen) => depth += 1,
                Kind::Punct(Punct::RParen) => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                Kind::Punct(Punct::Comma) if depth == 0 => {
                    out.push((start, i));
                    start = i + 1;
                }
                Kind::Word if depth == 0 => {
                    let w = t.text(sql);
                    let ends = [
                        "from",
                        "where",
                        "group",
                        "having",
                        "window",
                        "order",
                        "limit",
                        "union",
                        "intersect",
                        "except",
                    ]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k));
                    // `x IS [NOT] DISTINCT FROM y` is not the FROM clause.
                    if ends && !(w.eq_ignore_ascii_case("from") && i > 0 && is_word(i - 1, "distinct")) {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        out.push((start, i));
        out
    }

    /// Source text of tokens `[a, b)` of the statement as SQLite's `sqlite3DbSpanDup` takes
    /// it for a column name: from the first token to the start of the token that follows
    /// (so comments in between are kept), surrounding spaces trimmed.
    fn tokens_text(&self, a: usize, b: usize) -> String {
        if a >= b {
            return String::new();
        }
        let toks = self.cx.toks;
        let end = toks.get(b).map_or(self.cx.end, |t| t.start);
        self.cx.sql[toks[a].start..end].trim_end_matches(super::is_sqlite_space).to_string()
    }

    fn result_column(&mut self, item: sp::SelectItem, range: Option<(usize, usize)>) -> PResult<ResultColumn> {
        match item {
            sp::SelectItem::UnnamedExpr(e) => {
                let text = match range {
                    Some((a, b)) => self.tokens_text(a, b),
                    None => self.span_text(e.span()).to_string(),
                };
                Ok(ResultColumn::Expr { expr: self.expr(e)?, alias: None, text })
            }
            sp::SelectItem::ExprWithAlias { expr, alias } => {
                let text = match (range, start_of(alias.span).and_then(|o| self.cx.index_at(o))) {
                    (Some((a, _)), Some(mut end)) => {
                        let toks = self.cx.toks;
                        if end > a
                            && toks[end - 1].kind == Kind::Word
                            && toks[end - 1].text(self.cx.sql).eq_ignore_ascii_case("as")
                        {
                            end -= 1;
                        }
                        self.tokens_text(a, end)
                    }
                    _ => self.span_text(expr.span()).to_string(),
                };
                Ok(ResultColumn::Expr { expr: self.expr(expr)?, alias: Some(alias.value), text })
            }
            sp::SelectItem::Wildcard(opts) => {
                self.check_wildcard(&opts)?;
                Ok(ResultColumn::Star)
            }
            sp::SelectItem::QualifiedWildcard(kind, opts) => {
                self.check_wildcard(&opts)?;
                match kind {
                    sp::SelectItemQualifiedWildcardKind::ObjectName(n) => {
                        Ok(ResultColumn::TableStar(self.simple_name(n)?))
                    }
                    sp::SelectItemQualifiedWildcardKind::Expr(e) => Err(self.reject_node(&e)),
                }
            }
            other => Err(self.reject_node(&other)),
        }
    }

    fn check_wildcard(&self, o: &sp::WildcardAdditionalOptions) -> PResult<()> {
        if o.opt_ilike.is_some()
            || o.opt_exclude.is_some()
            || o.opt_except.is_some()
            || o.opt_replace.is_some()
            || o.opt_rename.is_some()
            || o.opt_alias.is_some()
        {
            return Err(self.reject(o.wildcard_token.0.span));
        }
        Ok(())
    }

    /// A FROM clause: sqlparser's comma-separated list of join trees, flattened into SQLite's
    /// left-deep chain.
    pub fn from(&mut self, v: Vec<sp::TableWithJoins>) -> PResult<Option<FromClause>> {
        let mut from: Option<FromClause> = None;
        for twj in v {
            let table = self.table_factor(twj.relation)?;
            match from.as_mut() {
                None => from = Some(FromClause { first: table, joins: Vec::with_capacity(twj.joins.len()) }),
                Some(f) => {
                    f.joins.push(Join { operator: JoinOperator::Comma, natural: false, table, constraint: None })
                }
            }
            let f = from.as_mut().expect("set above");
            for j in twj.joins {
                f.joins.push(self.join(j)?);
            }
        }
        Ok(from)
    }

    fn join(&mut self, j: sp::Join) -> PResult<Join> {
        use sp::JoinOperator as J;
        let span = j.relation.span();
        let (operator, c) = match j.join_operator {
            J::Join(c) | J::Inner(c) => (JoinOperator::Inner, c),
            J::Left(c) | J::LeftOuter(c) => (JoinOperator::Left, c),
            J::Right(c) | J::RightOuter(c) => (JoinOperator::Right, c),
            J::FullOuter(c) => (JoinOperator::Full, c),
            J::CrossJoin(c) => (JoinOperator::Cross, c),
            _ => return Err(self.reject(span)),
        };
        if j.global {
            return Err(self.reject(span));
        }
        let table = self.table_factor(j.relation)?;
        let (natural, constraint) = match c {
            sp::JoinConstraint::None => (false, None),
            sp::JoinConstraint::Natural => (true, None),
            sp::JoinConstraint::On(e) => {
                self.in_join_on = true;
                let on = self.expr(e);
                self.in_join_on = false;
                (false, Some(JoinConstraint::On(on?)))
            }
            sp::JoinConstraint::Using(names) => {
                let mut cols = Vec::with_capacity(names.len());
                for n in names {
                    cols.push(self.simple_name(n)?);
                }
                (false, Some(JoinConstraint::Using(cols)))
            }
            sp::JoinConstraint::UsingAlias(..) => return Err(self.reject(span)),
        };
        Ok(Join { operator, natural, table, constraint })
    }

    fn table_alias(&self, a: Option<sp::TableAlias>) -> PResult<Option<String>> {
        match a {
            None => Ok(None),
            Some(a) if a.columns.is_empty() && a.at.is_none() => Ok(Some(a.name.value)),
            Some(a) => Err(self.reject(a.name.span)),
        }
    }

    fn table_factor(&mut self, t: sp::TableFactor) -> PResult<TableRef> {
        let span = t.span();
        match t {
            sp::TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_directives,
                inheritance,
            } => {
                if !with_hints.is_empty()
                    || version.is_some()
                    || with_ordinality
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || sample.is_some()
                    || inheritance.is_some()
                    || index_directives.len() > 1
                {
                    return Err(self.reject(span));
                }
                let name = self.qualified_name(name)?;
                let alias = self.table_alias(alias)?;
                if let Some(args) = args {
                    if args.settings.is_some() || !index_directives.is_empty() {
                        return Err(self.reject(span));
                    }
                    return Ok(TableRef::Function { name, args: self.function_args_plain(args.args)?, alias });
                }
                let indexed = match index_directives.into_iter().next() {
                    None => None,
                    Some(sp::TableIndexDirective::IndexedBy(i)) => Some(Indexed::By(i.value)),
                    Some(sp::TableIndexDirective::NotIndexed) => Some(Indexed::NotIndexed),
                    Some(_) => return Err(self.reject(span)),
                };
                Ok(TableRef::Table { name, alias, indexed })
            }
            sp::TableFactor::Derived { lateral: false, mut subquery, alias, sample: None } => {
                // `((SELECT ...)) AS s`: sqlparser reads the inner parentheses as the query's;
                // SQLite as a group of one subquery, which is that subquery.
                while subquery.with.is_none() && subquery.order_by.is_none() && subquery.limit_clause.is_none() {
                    let sp::SetExpr::Query(inner) = *subquery.body else { break };
                    subquery = inner;
                }
                Ok(TableRef::Subquery { select: Box::new(self.query(subquery)?), alias: self.table_alias(alias)? })
            }
            sp::TableFactor::NestedJoin { table_with_joins, alias } => {
                let from = self.from(vec![*table_with_joins])?.ok_or_else(|| self.reject(span))?;
                let alias = self.table_alias(alias)?;
                // `(t)` is just the table. `(t AS y)` keeps its alias only where it starts the
                // FROM clause, and `(t) AS x` takes the outer one: the translator decides.
                let aliased = match &from.first {
                    TableRef::Table { alias, .. }
                    | TableRef::Subquery { alias, .. }
                    | TableRef::Function { alias, .. } => alias.is_some(),
                    TableRef::Nested { .. } => false,
                };
                if from.joins.is_empty() && alias.is_none() && !aliased {
                    return Ok(from.first);
                }
                Ok(TableRef::Nested { from: Box::new(from), alias })
            }
            sp::TableFactor::Function { lateral: false, name, args, with_ordinality: false, alias } => {
                Ok(TableRef::Function {
                    name: self.qualified_name(name)?,
                    args: self.function_args_plain(args)?,
                    alias: self.table_alias(alias)?,
                })
            }
            _ => Err(self.reject(span)),
        }
    }

    /// Arguments of a table-valued function: plain expressions only.
    fn function_args_plain(&mut self, args: Vec<sp::FunctionArg>) -> PResult<Vec<Expr>> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            match a {
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => out.push(self.expr(e)?),
                other => return Err(self.reject_node(&other)),
            }
        }
        Ok(out)
    }

    fn ordering_terms(&mut self, v: Vec<sp::OrderByExpr>) -> PResult<Vec<OrderingTerm>> {
        let mut out = Vec::with_capacity(v.len());
        for o in v {
            if o.with_fill.is_some() {
                return Err(self.reject_node(&o.expr));
            }
            let desc = match o.options.sort {
                None | Some(sp::OrderBySort::Asc) => false,
                Some(sp::OrderBySort::Desc) => true,
                Some(sp::OrderBySort::Using(_)) => return Err(self.reject_node(&o.expr)),
            };
            let nulls = o.options.nulls_first.map(|f| if f { NullsOrder::First } else { NullsOrder::Last });
            out.push(OrderingTerm { expr: self.expr(o.expr)?, desc, nulls });
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    pub fn exprs(&mut self, v: Vec<sp::Expr>) -> PResult<Vec<Expr>> {
        let mut out = Vec::with_capacity(v.len());
        for e in v {
            out.push(self.expr(e)?);
        }
        Ok(out)
    }

    pub fn opt_expr(&mut self, e: Option<sp::Expr>) -> PResult<Option<Expr>> {
        match e {
            None => Ok(None),
            Some(e) => Ok(Some(self.expr(e)?)),
        }
    }

    // Takes sqlparser's boxes as its tree holds them.
    #[allow(clippy::boxed_local)]
    fn bexpr(&mut self, e: Box<sp::Expr>) -> PResult<Box<Expr>> {
        Ok(Box::new(self.expr(*e)?))
    }

    fn opt_bexpr(&mut self, e: Option<Box<sp::Expr>>) -> PResult<Option<Box<Expr>>> {
        match e {
            None => Ok(None),
            Some(e) => Ok(Some(self.bexpr(e)?)),
        }
    }

    fn too_large() -> ParseError {
        ParseError::new(format!("Expression tree is too large (maximum depth {MAX_EXPR_DEPTH})"), None)
    }

    /// Converts an expression. Parentheses are dropped. Left-deep chains of binary operators
    /// (`a AND b AND c ...`, the common deep case) are walked iteratively; other nesting
    /// recurses, bounded by sqlparser's recursion limit. As in SQLite, the tree's height may not
    /// exceed [`MAX_EXPR_DEPTH`].
    ///
    /// `expr_inner` hands each variant to its own function so that, in unoptimized builds, the
    /// frames on the recursive path stay small.
    pub fn expr(&mut self, mut e: sp::Expr) -> PResult<Expr> {
        while let sp::Expr::Nested(inner) = e {
            e = *inner;
        }
        if self.depth >= MAX_EXPR_DEPTH {
            return Err(Self::too_large());
        }
        self.depth += 1;
        let r = match e {
            sp::Expr::BinaryOp { .. } => self.binary_chain(e),
            e => self.expr_inner(e),
        };
        self.depth -= 1;
        r
    }

    fn binary_chain(&mut self, e: sp::Expr) -> PResult<Expr> {
        let mut rights = Vec::new();
        let mut cur = e;
        let leaf = loop {
            match cur {
                sp::Expr::BinaryOp { left, op, right } => {
                    rights.push((op, right));
                    cur = *left;
                }
                sp::Expr::Nested(inner) => cur = *inner,
                other => break other,
            }
        };
        let height = rights.len();
        if self.depth + height > MAX_EXPR_DEPTH {
            return Err(Self::too_large());
        }
        self.depth += height;
        let r = self.fold_chain(leaf, rights);
        self.depth -= height;
        r
    }

    fn fold_chain(&mut self, leaf: sp::Expr, rights: Vec<(sp::BinaryOperator, Box<sp::Expr>)>) -> PResult<Expr> {
        let mut acc = self.expr(leaf)?;
        for (op, right) in rights.into_iter().rev() {
            let span = right.span();
            let like = match op {
                sp::BinaryOperator::Glob => Some(LikeOp::Glob),
                sp::BinaryOperator::Regexp => Some(LikeOp::Regexp),
                sp::BinaryOperator::Match => Some(LikeOp::Match),
                _ => None,
            };
            let right = self.bexpr(right)?;
            acc = match like {
                Some(op) => Expr::Like { op, not: false, expr: Box::new(acc), pattern: right, escape: None },
                None => {
                    let op = binary_op(op).ok_or_else(|| self.reject(span))?;
                    let zero = |e: &Expr| matches!(e, Expr::Literal(Literal::Integer(0)));
                    if op == BinaryOp::And && (zero(&acc) || zero(&right)) {
                        // SQLite's parser (sqlite3ExprAnd) replaces `x AND 0` by the integer 0,
                        // unevaluated: in ORDER BY it is then a column number.
                        Expr::Literal(Literal::Integer(0))
                    } else {
                        Expr::Binary { op, left: Box::new(acc), right }
                    }
                }
            };
        }
        Ok(acc)
    }

    fn expr_inner(&mut self, e: sp::Expr) -> PResult<Expr> {
        use sp::Expr as E;
        match e {
            E::Identifier(id) => Ok(Expr::Column(ColumnRef {
                schema: None,
                table: None,
                double_quoted: id.quote_style == Some('"'),
                pos: self.name_pos(id.span),
                column: id.value,
            })),
            E::CompoundIdentifier(ids) => self.compound_identifier(ids),
            E::IsNull(e) => Ok(Expr::IsNull { not: false, expr: self.bexpr(e)? }),
            E::IsNotNull(e) => Ok(Expr::IsNull { not: true, expr: self.bexpr(e)? }),
            E::IsTrue(e) => self.truth(e, false, true),
            E::IsNotTrue(e) => self.truth(e, true, true),
            E::IsFalse(e) => self.truth(e, false, false),
            E::IsNotFalse(e) => self.truth(e, true, false),
            E::IsDistinctFrom(a, b) => self.binary(BinaryOp::IsNot, a, b),
            E::IsNotDistinctFrom(a, b) => self.binary(BinaryOp::Is, a, b),
            E::In { expr, target, negated, global: false } => self.in_expr(expr, target, negated),
            E::Between { expr, negated, low, high } => self.between(expr, negated, low, high),
            E::Like { negated, any: false, expr, pattern, escape_char } => {
                self.like(LikeOp::Like, negated, expr, pattern, escape_char)
            }
            E::RLike { negated, expr, pattern, regexp: true } => {
                self.like(LikeOp::Regexp, negated, expr, pattern, None)
            }
            E::UnaryOp { op, expr } => self.unary(op, expr),
            E::Cast { kind: sp::CastKind::Cast, expr, data_type, format: None } => self.cast(expr, data_type),
            E::Collate { expr, collation } => self.collate(expr, collation),
            E::Value(v) => self.value(v, false),
            E::Function(f) => self.function(f),
            E::Case { operand, conditions, else_result, .. } => self.case(operand, conditions, else_result),
            E::Exists { subquery, negated } => self.exists(subquery, negated),
            E::Subquery(q) => self.subquery(q),
            E::Tuple(v) => Ok(Expr::Row(self.exprs(v)?)),
            other => Err(self.reject_node(&other)),
        }
    }

    fn compound_identifier(&mut self, ids: Vec<sp::Ident>) -> PResult<Expr> {
        let span = ids.first().map(|i| i.span).unwrap_or(Span::empty());
        // `a.from`: after the dot SQLite wants a name, and reserved words are not names.
        if let Some(id) = ids.iter().find(|i| i.quote_style.is_none() && is_reserved_word(&i.value)) {
            return Err(self.reject(id.span));
        }
        let mut it = ids.into_iter().map(|i| i.value);
        let (a, b, c) = (it.next(), it.next(), it.next());
        if it.next().is_some() {
            return Err(self.reject(span));
        }
        let pos = self.name_pos(span);
        match (a, b, c) {
            (Some(t), Some(c), None) => {
                Ok(Expr::Column(ColumnRef { schema: None, table: Some(t), column: c, double_quoted: false, pos }))
            }
            (Some(s), Some(t), Some(c)) => {
                Ok(Expr::Column(ColumnRef { schema: Some(s), table: Some(t), column: c, double_quoted: false, pos }))
            }
            _ => Err(self.reject(span)),
        }
    }

    fn truth(&mut self, e: Box<sp::Expr>, not: bool, truth: bool) -> PResult<Expr> {
        Ok(Expr::IsTruth { not, truth, expr: self.bexpr(e)? })
    }

    fn binary(&mut self, op: BinaryOp, a: Box<sp::Expr>, b: Box<sp::Expr>) -> PResult<Expr> {
        Ok(Expr::Binary { op, left: self.bexpr(a)?, right: self.bexpr(b)? })
    }

    fn in_expr(&mut self, expr: Box<sp::Expr>, target: sp::InTarget, not: bool) -> PResult<Expr> {
        let target = match target {
            sp::InTarget::List(v) => InTarget::List(self.exprs(v)?),
            sp::InTarget::Subquery(mut q) => {
                // `x IN ((SELECT ...))`: SQLite reads the extra parentheses as the same subquery.
                while q.with.is_none() && q.order_by.is_none() && q.limit_clause.is_none() {
                    let sp::SetExpr::Query(inner) = *q.body else { break };
                    q = inner;
                }
                InTarget::Select(Box::new(self.query(q)?))
            }
            sp::InTarget::Table { name, args: None } => InTarget::Table(self.qualified_name(name)?),
            sp::InTarget::Table { name, args: Some(args) } => {
                InTarget::TableFunction { name: self.qualified_name(name)?, args: self.function_args_plain(args)? }
            }
            sp::InTarget::Unnest(e) => return Err(self.reject_node(&*e)),
        };
        Ok(Expr::In { not, expr: self.bexpr(expr)?, target })
    }

    fn between(&mut self, expr: Box<sp::Expr>, not: bool, low: Box<sp::Expr>, high: Box<sp::Expr>) -> PResult<Expr> {
        Ok(Expr::Between { not, expr: self.bexpr(expr)?, low: self.bexpr(low)?, high: self.bexpr(high)? })
    }

    fn like(
        &mut self,
        op: LikeOp,
        not: bool,
        expr: Box<sp::Expr>,
        pattern: Box<sp::Expr>,
        escape: Option<Box<sp::Expr>>,
    ) -> PResult<Expr> {
        Ok(Expr::Like {
            op,
            not,
            expr: self.bexpr(expr)?,
            pattern: self.bexpr(pattern)?,
            escape: self.opt_bexpr(escape)?,
        })
    }

    fn cast(&mut self, expr: Box<sp::Expr>, data_type: sp::DataType) -> PResult<Expr> {
        let type_name = self.type_name(&data_type)?;
        Ok(Expr::Cast { expr: self.bexpr(expr)?, type_name })
    }

    fn collate(&mut self, expr: Box<sp::Expr>, collation: sp::ObjectName) -> PResult<Expr> {
        Ok(Expr::Collate { expr: self.bexpr(expr)?, collation: self.simple_name(collation)? })
    }

    fn case(
        &mut self,
        operand: Option<Box<sp::Expr>>,
        conditions: Vec<sp::CaseWhen>,
        else_result: Option<Box<sp::Expr>>,
    ) -> PResult<Expr> {
        let base = self.opt_bexpr(operand)?;
        let mut whens = Vec::with_capacity(conditions.len());
        for w in conditions {
            whens.push((self.expr(w.condition)?, self.expr(w.result)?));
        }
        Ok(Expr::Case { base, whens, else_expr: self.opt_bexpr(else_result)? })
    }

    fn exists(&mut self, q: Box<sp::Query>, not: bool) -> PResult<Expr> {
        Ok(Expr::Exists { not, select: Box::new(self.query(q)?) })
    }

    fn subquery(&mut self, q: Box<sp::Query>) -> PResult<Expr> {
        Ok(Expr::Subquery(Box::new(self.query(q)?)))
    }

    fn unary(&mut self, op: sp::UnaryOperator, e: Box<sp::Expr>) -> PResult<Expr> {
        let op = match op {
            sp::UnaryOperator::Minus => {
                // Fold the sign into a numeric literal, as SQLite's code generator does; this is
                // also how -9223372036854775808 can be an integer.
                if let sp::Expr::Value(v) = *e {
                    if matches!(v.value, sp::Value::Number(..)) {
                        return self.value(v, true);
                    }
                    return Ok(Expr::Unary { op: UnaryOp::Negate, expr: Box::new(self.value(v, false)?) });
                }
                // `- -1` and `-(1)`: fold again when the operand became a number.
                return Ok(match self.expr(*e)? {
                    Expr::Literal(Literal::Integer(i)) if i != i64::MIN => Expr::Literal(Literal::Integer(-i)),
                    Expr::Literal(Literal::Real(r)) => Expr::Literal(Literal::Real(-r)),
                    other => Expr::Unary { op: UnaryOp::Negate, expr: Box::new(other) },
                });
            }
            sp::UnaryOperator::Plus => UnaryOp::Plus,
            sp::UnaryOperator::Not => {
                // `NOT x LIKE y` is `x NOT LIKE y` (NOT binds looser than LIKE); the dialect
                // builds `x NOT GLOB y` the same way.
                return Ok(match self.expr(*e)? {
                    Expr::Like { op, not, expr, pattern, escape } => {
                        Expr::Like { op, not: !not, expr, pattern, escape }
                    }
                    other => Expr::Unary { op: UnaryOp::Not, expr: Box::new(other) },
                });
            }
            sp::UnaryOperator::BitwiseNot => UnaryOp::BitNot,
            _ => return Err(self.reject_node(&*e)),
        };
        Ok(Expr::Unary { op, expr: self.bexpr(e)? })
    }

    /// The declared type a cast names: its source text (see the dialect's type hook).
    pub fn type_name(&self, dt: &sp::DataType) -> PResult<String> {
        match dt {
            sp::DataType::Unspecified => Ok(String::new()),
            sp::DataType::Custom(name, mods) if mods.is_empty() && name.0.len() == 1 => match &name.0[0] {
                sp::ObjectNamePart::Identifier(id) if id.value.is_empty() => Ok(self.span_text(id.span).to_string()),
                _ => Err(ParseError::new("syntax error", None)),
            },
            _ => Err(ParseError::new("syntax error", None)),
        }
    }

    /// A literal or parameter. `negate` folds a leading minus into a number.
    fn value(&mut self, v: sp::ValueWithSpan, negate: bool) -> PResult<Expr> {
        let offset = start_of(v.span);
        let lit = match v.value {
            sp::Value::Number(text, _) => {
                let source = offset.and_then(|o| self.cx.token_at(o)).map(|t| t.text(self.cx.sql)).unwrap_or(&text);
                number(&text, negate).map_err(|()| {
                    ParseError::new(format!("hex literal too big: {}{}", if negate { "-" } else { "" }, source), offset)
                })?
            }
            sp::Value::SingleQuotedString(s) => Literal::String(s),
            sp::Value::HexStringLiteral(h) => Literal::Blob(decode_hex(&h)),
            sp::Value::Boolean(b) => Literal::Integer(b as i64),
            sp::Value::Null => Literal::Null,
            sp::Value::Placeholder(text) => return Ok(Expr::Param(param(text))),
            _ => return Err(self.reject(v.span)),
        };
        Ok(Expr::Literal(lit))
    }

    fn function(&mut self, f: sp::Function) -> PResult<Expr> {
        let span = f.name.span();
        if f.uses_odbc_syntax
            || !matches!(f.parameters, sp::FunctionArguments::None)
            || !f.within_group.is_empty()
            || f.null_treatment.is_some()
        {
            return Err(self.reject(span));
        }
        let unquoted = matches!(f.name.0.as_slice(), [sp::ObjectNamePart::Identifier(id)] if id.quote_style.is_none());
        let name = self.simple_name(f.name)?;
        let list = match f.args {
            sp::FunctionArguments::None => {
                // CURRENT_TIME and friends, written without parentheses.
                let lit = match name.to_ascii_uppercase().as_str() {
                    "CURRENT_TIME" if unquoted => Literal::CurrentTime,
                    "CURRENT_DATE" if unquoted => Literal::CurrentDate,
                    "CURRENT_TIMESTAMP" if unquoted => Literal::CurrentTimestamp,
                    _ => return Err(self.reject(span)),
                };
                if f.filter.is_some() || f.over.is_some() {
                    return Err(self.reject(span));
                }
                return Ok(Expr::Literal(lit));
            }
            sp::FunctionArguments::Subquery(q) => return Err(self.reject_node(&*q)),
            sp::FunctionArguments::List(l) => l,
        };
        if unquoted && name.eq_ignore_ascii_case("raise") {
            return self.raise(list.args, span);
        }
        let distinct = match list.duplicate_treatment {
            None | Some(sp::DuplicateTreatment::All) => false,
            Some(sp::DuplicateTreatment::Distinct) => true,
        };
        let mut order_by = Vec::new();
        for c in list.clauses {
            match c {
                sp::FunctionArgumentClause::OrderBy(v) => order_by = self.ordering_terms(v)?,
                _ => return Err(self.reject(span)),
            }
        }
        let args = if matches!(list.args.as_slice(), [sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard)]) {
            if distinct {
                // `count(DISTINCT *)`: SQLite stops at the `*`.
                let star = start_of(span)
                    .and_then(|o| self.cx.index_at(o))
                    .and_then(|i| self.cx.toks[i..].iter().find(|t| t.kind == Kind::Punct(Punct::Star)));
                return Err(match star {
                    Some(t) => self.cx.near(t.start),
                    None => self.reject(span),
                });
            }
            FunctionArgs::Star
        } else {
            FunctionArgs::List(self.function_args_plain(list.args)?)
        };
        let filter = match f.filter {
            Some(e) => Some(self.bexpr(e)?),
            None => None,
        };
        let over = match f.over {
            None => None,
            Some(sp::WindowType::NamedWindow(n)) => Some(Over::Window(n.value)),
            Some(sp::WindowType::WindowSpec(s)) => Some(Over::Spec(self.window_spec(s)?)),
        };
        let pos = self.name_pos(span);
        Ok(Expr::Function(Box::new(FunctionCall { name, args, distinct, order_by, filter, over, pos })))
    }

    /// `RAISE(action [, message])`, which the statement parser encodes as a call of `raise`
    /// whose first argument is the action word.
    fn raise(&mut self, args: Vec<sp::FunctionArg>, span: Span) -> PResult<Expr> {
        let mut args = self.function_args_plain(args)?.into_iter();
        let action = match args.next() {
            Some(Expr::Column(c)) => match c.column.to_ascii_uppercase().as_str() {
                "IGNORE" => RaiseAction::Ignore,
                "ROLLBACK" => RaiseAction::Rollback,
                "ABORT" => RaiseAction::Abort,
                "FAIL" => RaiseAction::Fail,
                _ => return Err(self.reject(span)),
            },
            _ => return Err(self.reject(span)),
        };
        let message = args.next().map(Box::new);
        if args.next().is_some() || (action == RaiseAction::Ignore) != message.is_none() {
            return Err(self.reject(span));
        }
        Ok(Expr::Raise { action, message })
    }

    fn window_spec(&mut self, s: sp::WindowSpec) -> PResult<WindowSpec> {
        // An EXCLUDE clause comes as a window name (see `exclude_rewrites`).
        let mut base = s.window_name.map(|n| (n.value, n.span));
        let mut exclude = FrameExclude::NoOthers;
        if let Some((name, span)) = &base {
            if let Some(rest) = name.strip_prefix(super::EXCLUDE_PREFIX) {
                let (kind, base_name) = rest.split_once(':').unwrap_or((rest, ""));
                exclude = match kind {
                    "CURRENT ROW" => FrameExclude::CurrentRow,
                    "GROUP" => FrameExclude::Group,
                    "TIES" => FrameExclude::Ties,
                    _ => FrameExclude::NoOthers,
                };
                if s.window_frame.is_none() {
                    // EXCLUDE belongs to a frame: without one it is SQLite's syntax error.
                    return Err(match super::lexer::offset_of(span.start).and_then(|o| self.cx.index_at(o)) {
                        Some(i) => self.cx.near_index(i),
                        None => ParseError::new("near \"EXCLUDE\": syntax error", None),
                    });
                }
                base = (!base_name.is_empty()).then(|| (base_name.to_string(), *span));
            }
        }
        let frame = match s.window_frame {
            None => None,
            Some(f) => Some(Frame {
                exclude,
                units: match f.units {
                    sp::WindowFrameUnits::Rows => FrameUnits::Rows,
                    sp::WindowFrameUnits::Range => FrameUnits::Range,
                    sp::WindowFrameUnits::Groups => FrameUnits::Groups,
                },
                start: self.frame_bound(f.start_bound, true)?,
                end: match f.end_bound {
                    Some(b) => Some(self.frame_bound(b, false)?),
                    None => None,
                },
            }),
        };
        Ok(WindowSpec {
            base: base.map(|(n, _)| n),
            partition_by: self.exprs(s.partition_by)?,
            order_by: self.ordering_terms(s.order_by)?,
            frame,
        })
    }

    fn frame_bound(&mut self, b: sp::WindowFrameBound, _start: bool) -> PResult<FrameBound> {
        Ok(match b {
            sp::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            sp::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            sp::WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(self.frame_offset(e)?),
            sp::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            sp::WindowFrameBound::Following(Some(e)) => FrameBound::Following(self.frame_offset(e)?),
        })
    }

    /// A frame offset. sqlparser reads one that starts with a string (`'1' PRECEDING`) as an
    /// INTERVAL; with no units that is just its value.
    #[allow(clippy::boxed_local)]
    fn frame_offset(&mut self, e: Box<sp::Expr>) -> PResult<Box<Expr>> {
        match *e {
            sp::Expr::Interval(iv)
                if iv.leading_field.is_none()
                    && iv.last_field.is_none()
                    && iv.leading_precision.is_none()
                    && iv.fractional_seconds_precision.is_none() =>
            {
                self.bexpr(iv.value)
            }
            e => self.bexpr(Box::new(e)),
        }
    }

    /// Splits an index key `expr [COLLATE name]` into the expression and its collation.
    pub fn indexed_column(&mut self, e: sp::Expr, desc: bool) -> PResult<IndexedColumn> {
        match self.expr(e)? {
            Expr::Collate { expr, collation } => Ok(IndexedColumn { expr: *expr, collation: Some(collation), desc }),
            expr => Ok(IndexedColumn { expr, collation: None, desc }),
        }
    }
}

fn conflict(c: sp::SqliteOnConflict) -> ConflictResolution {
    match c {
        sp::SqliteOnConflict::Rollback => ConflictResolution::Rollback,
        sp::SqliteOnConflict::Abort => ConflictResolution::Abort,
        sp::SqliteOnConflict::Fail => ConflictResolution::Fail,
        sp::SqliteOnConflict::Ignore => ConflictResolution::Ignore,
        sp::SqliteOnConflict::Replace => ConflictResolution::Replace,
    }
}

fn binary_op(op: sp::BinaryOperator) -> Option<BinaryOp> {
    use sp::BinaryOperator as B;
    Some(match op {
        B::Plus => BinaryOp::Add,
        B::Minus => BinaryOp::Sub,
        B::Multiply => BinaryOp::Mul,
        B::Divide => BinaryOp::Div,
        B::Modulo => BinaryOp::Rem,
        B::StringConcat => BinaryOp::Concat,
        B::Gt => BinaryOp::Gt,
        B::Lt => BinaryOp::Lt,
        B::GtEq => BinaryOp::Ge,
        B::LtEq => BinaryOp::Le,
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::Ne,
        B::And => BinaryOp::And,
        B::Or => BinaryOp::Or,
        B::BitwiseOr => BinaryOp::BitOr,
        B::BitwiseAnd => BinaryOp::BitAnd,
        B::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
        B::PGBitwiseShiftRight => BinaryOp::ShiftRight,
        B::Is => BinaryOp::Is,
        B::IsNot => BinaryOp::IsNot,
        B::Arrow => BinaryOp::JsonExtract,
        B::LongArrow => BinaryOp::JsonExtractText,
        _ => return None,
    })
}

/// A numeric literal's value, as SQLite reads it: hex is a 64-bit two's-complement integer
/// (error if it needs more than 64 bits); a decimal integer that does not fit in i64 is a real;
/// `negate` applies a leading minus (so `-9223372036854775808` is i64::MIN).
pub(crate) fn number(text: &str, negate: bool) -> Result<Literal, ()> {
    let b = text.as_bytes();
    if b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        let digits = text[2..].trim_start_matches('0');
        if digits.len() > 16 {
            return Err(());
        }
        let v = if digits.is_empty() { 0 } else { u64::from_str_radix(digits, 16).map_err(|_| ())? as i64 };
        if negate {
            // -0x8000000000000000 has no i64 negation; SQLite reports it too big.
            return v.checked_neg().map(Literal::Integer).ok_or(());
        }
        return Ok(Literal::Integer(v));
    }
    let is_int = b.iter().all(u8::is_ascii_digit);
    if is_int {
        if let Ok(v) = text.parse::<i64>() {
            return Ok(Literal::Integer(if negate { -v } else { v }));
        }
        if negate && text.trim_start_matches('0') == "9223372036854775808" {
            return Ok(Literal::Integer(i64::MIN));
        }
    }
    let r: f64 = text.parse().unwrap_or(0.0);
    Ok(Literal::Real(if negate { -r } else { r }))
}

pub(crate) fn decode_hex(h: &str) -> Vec<u8> {
    let nib = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    };
    h.as_bytes().chunks_exact(2).map(|p| (nib(p[0]) << 4) | nib(p[1])).collect()
}

fn param(text: String) -> Param {
    let kind = if let Some(n) = text.strip_prefix('?') {
        if n.is_empty() {
            ParamKind::Next
        } else {
            ParamKind::Numbered(n.parse().unwrap_or(u64::MAX))
        }
    } else {
        ParamKind::Named
    };
    Param { kind, text }
}
