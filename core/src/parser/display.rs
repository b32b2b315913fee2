//! Renders the syntax tree back to SQL: one canonical spelling, every compound expression in
//! parentheses so the tree's shape is visible (`2 * 3 || 4` renders as `(2 * (3 || 4))`).
//! Used by the parser's tests and by anything that wants to show a statement (EXPLAIN, error
//! messages, debugging). Names are printed as stored; a column written in double quotes is
//! printed in double quotes.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::*;

fn list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

fn names(f: &mut Formatter<'_>, items: &[String]) -> fmt::Result {
    list(f, items)
}

fn string_literal(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    f.write_str(&s.replace('\'', "''"))?;
    f.write_char('\'')
}

impl Display for QualifiedName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.schema {
            write!(f, "{s}.")?;
        }
        f.write_str(&self.name)
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Integer(i) => write!(f, "{i}"),
            Literal::Real(r) => write!(f, "{r:?}"),
            Literal::String(s) => string_literal(f, s),
            Literal::Blob(b) => {
                f.write_str("X'")?;
                for byte in b {
                    write!(f, "{byte:02X}")?;
                }
                f.write_char('\'')
            }
            Literal::CurrentTime => f.write_str("CURRENT_TIME"),
            Literal::CurrentDate => f.write_str("CURRENT_DATE"),
            Literal::CurrentTimestamp => f.write_str("CURRENT_TIMESTAMP"),
        }
    }
}

impl Display for ColumnRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.schema {
            write!(f, "{s}.")?;
        }
        if let Some(t) = &self.table {
            write!(f, "{t}.")?;
        }
        if self.double_quoted {
            write!(f, "\"{}\"", self.column.replace('"', "\"\""))
        } else {
            f.write_str(&self.column)
        }
    }
}

impl UnaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Negate => "-",
            UnaryOp::Plus => "+",
            UnaryOp::Not => "NOT ",
            UnaryOp::BitNot => "~",
        }
    }
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Concat => "||",
            BinaryOp::JsonExtract => "->",
            BinaryOp::JsonExtractText => "->>",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Is => "IS",
            BinaryOp::IsNot => "IS NOT",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
        }
    }
}

impl LikeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            LikeOp::Like => "LIKE",
            LikeOp::Glob => "GLOB",
            LikeOp::Regexp => "REGEXP",
            LikeOp::Match => "MATCH",
        }
    }
}

impl ConflictResolution {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictResolution::Rollback => "ROLLBACK",
            ConflictResolution::Abort => "ABORT",
            ConflictResolution::Fail => "FAIL",
            ConflictResolution::Ignore => "IGNORE",
            ConflictResolution::Replace => "REPLACE",
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(l) => write!(f, "{l}"),
            Expr::Column(c) => write!(f, "{c}"),
            Expr::Param(p) => f.write_str(&p.text),
            Expr::Unary { op, expr } => {
                let inner = expr.to_string();
                // `- -1` must not print as `--1`, which is a comment.
                let sep = if *op == UnaryOp::Negate && inner.starts_with('-') { " " } else { "" };
                write!(f, "({}{sep}{inner})", op.as_str())
            }
            Expr::Binary { op, left, right } => write!(f, "({left} {} {right})", op.as_str()),
            Expr::Like { op, not, expr, pattern, escape } => {
                write!(f, "({expr} {}{} {pattern}", if *not { "NOT " } else { "" }, op.as_str())?;
                if let Some(e) = escape {
                    write!(f, " ESCAPE {e}")?;
                }
                f.write_char(')')
            }
            Expr::Between { not, expr, low, high } => {
                write!(f, "({expr} {}BETWEEN {low} AND {high})", if *not { "NOT " } else { "" })
            }
            Expr::In { not, expr, target } => {
                write!(f, "({expr} {}IN ", if *not { "NOT " } else { "" })?;
                match target {
                    InTarget::List(v) => {
                        f.write_char('(')?;
                        list(f, v)?;
                        f.write_char(')')?;
                    }
                    InTarget::Select(s) => write!(f, "({s})")?,
                    InTarget::Table(t) => write!(f, "{t}")?,
                    InTarget::TableFunction { name, args } => {
                        write!(f, "{name}(")?;
                        list(f, args)?;
                        f.write_char(')')?;
                    }
                }
                f.write_char(')')
            }
            Expr::IsNull { not, expr } => {
                write!(f, "({expr} {})", if *not { "NOTNULL" } else { "ISNULL" })
            }
            Expr::Exists { not, select } => {
                write!(f, "({}EXISTS ({select}))", if *not { "NOT " } else { "" })
            }
            Expr::Subquery(s) => write!(f, "({s})"),
            Expr::Case { base, whens, else_expr } => {
                f.write_str("CASE")?;
                if let Some(b) = base {
                    write!(f, " {b}")?;
                }
                for (w, t) in whens {
                    write!(f, " WHEN {w} THEN {t}")?;
                }
                if let Some(e) = else_expr {
                    write!(f, " ELSE {e}")?;
                }
                f.write_str(" END")
            }
            Expr::Cast { expr, type_name } => write!(f, "CAST({expr} AS {type_name})"),
            Expr::Collate { expr, collation } => write!(f, "({expr} COLLATE {collation})"),
            Expr::Function(fc) => write!(f, "{fc}"),
            Expr::Row(v) => {
                f.write_char('(')?;
                list(f, v)?;
                f.write_char(')')
            }
            Expr::IsTruth { not, truth, expr } => {
                write!(f, "({expr} IS {}{})", if *not { "NOT " } else { "" }, if *truth { "TRUE" } else { "FALSE" })
            }
            Expr::Raise { action, message } => {
                let a = match action {
                    RaiseAction::Ignore => "IGNORE",
                    RaiseAction::Rollback => "ROLLBACK",
                    RaiseAction::Abort => "ABORT",
                    RaiseAction::Fail => "FAIL",
                };
                write!(f, "RAISE({a}")?;
                if let Some(m) = message {
                    write!(f, ", {m}")?;
                }
                f.write_char(')')
            }
        }
    }
}

impl Display for FunctionCall {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        match &self.args {
            FunctionArgs::Star => f.write_char('*')?,
            FunctionArgs::List(v) => list(f, v)?,
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            list(f, &self.order_by)?;
        }
        f.write_char(')')?;
        if let Some(e) = &self.filter {
            write!(f, " FILTER (WHERE {e})")?;
        }
        match &self.over {
            None => Ok(()),
            Some(Over::Window(w)) => write!(f, " OVER {w}"),
            Some(Over::Spec(s)) => write!(f, " OVER ({s})"),
        }
    }
}

impl Display for WindowSpec {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(b) = &self.base {
            f.write_str(b)?;
            sep = " ";
        }
        if !self.partition_by.is_empty() {
            write!(f, "{sep}PARTITION BY ")?;
            list(f, &self.partition_by)?;
            sep = " ";
        }
        if !self.order_by.is_empty() {
            write!(f, "{sep}ORDER BY ")?;
            list(f, &self.order_by)?;
            sep = " ";
        }
        if let Some(fr) = &self.frame {
            let units = match fr.units {
                FrameUnits::Rows => "ROWS",
                FrameUnits::Range => "RANGE",
                FrameUnits::Groups => "GROUPS",
            };
            match &fr.end {
                None => write!(f, "{sep}{units} {}", fr.start)?,
                Some(e) => write!(f, "{sep}{units} BETWEEN {} AND {e}", fr.start)?,
            }
            match fr.exclude {
                FrameExclude::NoOthers => {}
                FrameExclude::CurrentRow => f.write_str(" EXCLUDE CURRENT ROW")?,
                FrameExclude::Group => f.write_str(" EXCLUDE GROUP")?,
                FrameExclude::Ties => f.write_str(" EXCLUDE TIES")?,
            }
        }
        Ok(())
    }
}

impl Display for FrameBound {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FrameBound::UnboundedPreceding => f.write_str("UNBOUNDED PRECEDING"),
            FrameBound::Preceding(e) => write!(f, "{e} PRECEDING"),
            FrameBound::CurrentRow => f.write_str("CURRENT ROW"),
            FrameBound::Following(e) => write!(f, "{e} FOLLOWING"),
            FrameBound::UnboundedFollowing => f.write_str("UNBOUNDED FOLLOWING"),
        }
    }
}

impl Display for OrderingTerm {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if self.desc {
            f.write_str(" DESC")?;
        }
        match self.nulls {
            Some(NullsOrder::First) => f.write_str(" NULLS FIRST"),
            Some(NullsOrder::Last) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl Display for Select {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(w) = &self.with {
            write!(f, "{w} ")?;
        }
        write!(f, "{}", self.body.first)?;
        for (op, core) in &self.body.compounds {
            let op = match op {
                CompoundOp::Union => "UNION",
                CompoundOp::UnionAll => "UNION ALL",
                CompoundOp::Intersect => "INTERSECT",
                CompoundOp::Except => "EXCEPT",
            };
            write!(f, " {op} {core}")?;
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            list(f, &self.order_by)?;
        }
        if let Some(l) = &self.limit {
            write!(f, " LIMIT {}", l.limit)?;
            if let Some(o) = &l.offset {
                write!(f, " OFFSET {o}")?;
            }
        }
        Ok(())
    }
}

impl Display for With {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(if self.recursive { "WITH RECURSIVE " } else { "WITH " })?;
        for (i, c) in self.ctes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&c.name)?;
            if !c.columns.is_empty() {
                f.write_char('(')?;
                names(f, &c.columns)?;
                f.write_char(')')?;
            }
            f.write_str(" AS ")?;
            match c.materialized {
                Some(true) => f.write_str("MATERIALIZED ")?,
                Some(false) => f.write_str("NOT MATERIALIZED ")?,
                None => {}
            }
            write!(f, "({})", c.select)?;
        }
        Ok(())
    }
}

fn values(f: &mut Formatter<'_>, rows: &[Vec<Expr>]) -> fmt::Result {
    f.write_str("VALUES ")?;
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_char('(')?;
        list(f, r)?;
        f.write_char(')')?;
    }
    Ok(())
}

impl Display for SelectCore {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectCore::Values(rows) => values(f, rows),
            SelectCore::Select(s) => {
                f.write_str(if s.distinct { "SELECT DISTINCT " } else { "SELECT " })?;
                list(f, &s.columns)?;
                if let Some(from) = &s.from {
                    write!(f, " FROM {from}")?;
                }
                if let Some(w) = &s.where_clause {
                    write!(f, " WHERE {w}")?;
                }
                if !s.group_by.is_empty() {
                    f.write_str(" GROUP BY ")?;
                    list(f, &s.group_by)?;
                }
                if let Some(h) = &s.having {
                    write!(f, " HAVING {h}")?;
                }
                for (i, (name, spec)) in s.windows.iter().enumerate() {
                    f.write_str(if i == 0 { " WINDOW " } else { ", " })?;
                    write!(f, "{name} AS ({spec})")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for ResultColumn {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ResultColumn::Expr { expr, alias, .. } => {
                write!(f, "{expr}")?;
                if let Some(a) = alias {
                    write!(f, " AS {a}")?;
                }
                Ok(())
            }
            ResultColumn::Star => f.write_char('*'),
            ResultColumn::TableStar(t) => write!(f, "{t}.*"),
        }
    }
}

impl Display for FromClause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        for j in &self.joins {
            let op = match j.operator {
                JoinOperator::Comma => ",",
                JoinOperator::Inner => " JOIN",
                JoinOperator::Left => " LEFT JOIN",
                JoinOperator::Right => " RIGHT JOIN",
                JoinOperator::Full => " FULL JOIN",
                JoinOperator::Cross => " CROSS JOIN",
            };
            if j.natural {
                f.write_str(" NATURAL")?;
            }
            write!(f, "{op} {}", j.table)?;
            match &j.constraint {
                None => {}
                Some(JoinConstraint::On(e)) => write!(f, " ON {e}")?,
                Some(JoinConstraint::Using(cols)) => {
                    f.write_str(" USING (")?;
                    names(f, cols)?;
                    f.write_char(')')?;
                }
            }
        }
        Ok(())
    }
}

fn alias(f: &mut Formatter<'_>, a: &Option<String>) -> fmt::Result {
    match a {
        Some(a) => write!(f, " AS {a}"),
        None => Ok(()),
    }
}

fn indexed(f: &mut Formatter<'_>, i: &Option<Indexed>) -> fmt::Result {
    match i {
        Some(Indexed::By(n)) => write!(f, " INDEXED BY {n}"),
        Some(Indexed::NotIndexed) => f.write_str(" NOT INDEXED"),
        None => Ok(()),
    }
}

impl Display for TableRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TableRef::Table { name, alias: a, indexed: i } => {
                write!(f, "{name}")?;
                alias(f, a)?;
                indexed(f, i)
            }
            TableRef::Subquery { select, alias: a } => {
                write!(f, "({select})")?;
                alias(f, a)
            }
            TableRef::Function { name, args, alias: a } => {
                write!(f, "{name}(")?;
                list(f, args)?;
                f.write_char(')')?;
                alias(f, a)
            }
            TableRef::Nested { from, alias: a } => {
                write!(f, "({from})")?;
                alias(f, a)
            }
        }
    }
}

impl Display for IndexedColumn {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if let Some(c) = &self.collation {
            write!(f, " COLLATE {c}")?;
        }
        if self.desc {
            f.write_str(" DESC")?;
        }
        Ok(())
    }
}

impl Display for Assignment {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.columns.len() == 1 {
            write!(f, "{} = {}", self.columns[0], self.value)
        } else {
            f.write_char('(')?;
            names(f, &self.columns)?;
            write!(f, ") = {}", self.value)
        }
    }
}

fn conflict(f: &mut Formatter<'_>, c: &Option<ConflictResolution>) -> fmt::Result {
    match c {
        Some(c) => write!(f, " ON CONFLICT {}", c.as_str()),
        None => Ok(()),
    }
}

fn returning(f: &mut Formatter<'_>, r: &[ResultColumn]) -> fmt::Result {
    if !r.is_empty() {
        f.write_str(" RETURNING ")?;
        list(f, r)?;
    }
    Ok(())
}

impl Display for ForeignKeyClause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "REFERENCES {}", self.table)?;
        if !self.columns.is_empty() {
            f.write_char('(')?;
            names(f, &self.columns)?;
            f.write_char(')')?;
        }
        let action = |a: ForeignKeyAction| match a {
            ForeignKeyAction::SetNull => "SET NULL",
            ForeignKeyAction::SetDefault => "SET DEFAULT",
            ForeignKeyAction::Cascade => "CASCADE",
            ForeignKeyAction::Restrict => "RESTRICT",
            ForeignKeyAction::NoAction => "NO ACTION",
        };
        if let Some(a) = self.on_delete {
            write!(f, " ON DELETE {}", action(a))?;
        }
        if let Some(a) = self.on_update {
            write!(f, " ON UPDATE {}", action(a))?;
        }
        if self.deferred {
            f.write_str(" DEFERRABLE INITIALLY DEFERRED")?;
        }
        Ok(())
    }
}

impl Display for ColumnDef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.type_name.is_empty() {
            write!(f, " {}", self.type_name)?;
        }
        for c in &self.constraints {
            if let Some(n) = &c.name {
                write!(f, " CONSTRAINT {n}")?;
            }
            match &c.kind {
                ColumnConstraintKind::PrimaryKey { desc, conflict: c, autoincrement } => {
                    f.write_str(" PRIMARY KEY")?;
                    if *desc {
                        f.write_str(" DESC")?;
                    }
                    conflict(f, c)?;
                    if *autoincrement {
                        f.write_str(" AUTOINCREMENT")?;
                    }
                }
                ColumnConstraintKind::NotNull { conflict: c } => {
                    f.write_str(" NOT NULL")?;
                    conflict(f, c)?;
                }
                ColumnConstraintKind::Unique { conflict: c } => {
                    f.write_str(" UNIQUE")?;
                    conflict(f, c)?;
                }
                ColumnConstraintKind::Check { expr: e, .. } => write!(f, " CHECK ({e})")?,
                ColumnConstraintKind::Default { expr, .. } => write!(f, " DEFAULT ({expr})")?,
                ColumnConstraintKind::Collate(c) => write!(f, " COLLATE {c}")?,
                ColumnConstraintKind::References(fk) => write!(f, " {fk}")?,
                ColumnConstraintKind::Generated { expr, stored } => {
                    write!(f, " AS ({expr}) {}", if *stored { "STORED" } else { "VIRTUAL" })?
                }
            }
        }
        Ok(())
    }
}

impl Display for TableConstraint {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.name {
            write!(f, "CONSTRAINT {n} ")?;
        }
        match &self.kind {
            TableConstraintKind::PrimaryKey { columns, conflict: c, autoincrement } => {
                f.write_str("PRIMARY KEY (")?;
                list(f, columns)?;
                if *autoincrement {
                    f.write_str(" AUTOINCREMENT")?;
                }
                f.write_char(')')?;
                conflict(f, c)
            }
            TableConstraintKind::Unique { columns, conflict: c } => {
                f.write_str("UNIQUE (")?;
                list(f, columns)?;
                f.write_char(')')?;
                conflict(f, c)
            }
            TableConstraintKind::Check { expr: e, .. } => write!(f, "CHECK ({e})"),
            TableConstraintKind::ForeignKey { columns, clause } => {
                f.write_str("FOREIGN KEY (")?;
                names(f, columns)?;
                write!(f, ") {clause}")
            }
        }
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Select(s) => write!(f, "{s}"),
            Statement::Insert(i) => {
                if let Some(w) = &i.with {
                    write!(f, "{w} ")?;
                }
                f.write_str("INSERT")?;
                if let Some(c) = i.or_conflict {
                    write!(f, " OR {}", c.as_str())?;
                }
                write!(f, " INTO {}", i.table)?;
                alias(f, &i.alias)?;
                if !i.columns.is_empty() {
                    f.write_str(" (")?;
                    names(f, &i.columns)?;
                    f.write_char(')')?;
                }
                match &i.source {
                    InsertSource::Values(rows) => {
                        f.write_char(' ')?;
                        values(f, rows)?;
                    }
                    InsertSource::Select(s) => write!(f, " {s}")?,
                    InsertSource::DefaultValues => f.write_str(" DEFAULT VALUES")?,
                }
                for u in &i.upsert {
                    f.write_str(" ON CONFLICT")?;
                    if !u.target.is_empty() {
                        f.write_str(" (")?;
                        list(f, &u.target)?;
                        f.write_char(')')?;
                        if let Some(w) = &u.target_where {
                            write!(f, " WHERE {w}")?;
                        }
                    }
                    match &u.action {
                        UpsertAction::Nothing => f.write_str(" DO NOTHING")?,
                        UpsertAction::Update { sets, where_clause } => {
                            f.write_str(" DO UPDATE SET ")?;
                            list(f, sets)?;
                            if let Some(w) = where_clause {
                                write!(f, " WHERE {w}")?;
                            }
                        }
                    }
                }
                returning(f, &i.returning)
            }
            Statement::Update(u) => {
                if let Some(w) = &u.with {
                    write!(f, "{w} ")?;
                }
                f.write_str("UPDATE")?;
                if let Some(c) = u.or_conflict {
                    write!(f, " OR {}", c.as_str())?;
                }
                write!(f, " {}", u.table)?;
                alias(f, &u.alias)?;
                indexed(f, &u.indexed)?;
                f.write_str(" SET ")?;
                list(f, &u.sets)?;
                if let Some(from) = &u.from {
                    write!(f, " FROM {from}")?;
                }
                if let Some(w) = &u.where_clause {
                    write!(f, " WHERE {w}")?;
                }
                returning(f, &u.returning)
            }
            Statement::Delete(d) => {
                if let Some(w) = &d.with {
                    write!(f, "{w} ")?;
                }
                write!(f, "DELETE FROM {}", d.table)?;
                alias(f, &d.alias)?;
                indexed(f, &d.indexed)?;
                if let Some(w) = &d.where_clause {
                    write!(f, " WHERE {w}")?;
                }
                returning(f, &d.returning)
            }
            Statement::CreateTable(t) => {
                f.write_str(if t.temporary { "CREATE TEMP TABLE " } else { "CREATE TABLE " })?;
                if t.if_not_exists {
                    f.write_str("IF NOT EXISTS ")?;
                }
                write!(f, "{}", t.name)?;
                match &t.body {
                    CreateTableBody::AsSelect(s) => write!(f, " AS {s}"),
                    CreateTableBody::Columns { columns, constraints, without_rowid, strict } => {
                        f.write_str(" (")?;
                        list(f, columns)?;
                        for c in constraints {
                            write!(f, ", {c}")?;
                        }
                        f.write_char(')')?;
                        let mut sep = " ";
                        if *without_rowid {
                            f.write_str(" WITHOUT ROWID")?;
                            sep = ", ";
                        }
                        if *strict {
                            write!(f, "{sep}STRICT")?;
                        }
                        Ok(())
                    }
                }
            }
            Statement::CreateIndex(i) => {
                f.write_str(if i.unique { "CREATE UNIQUE INDEX " } else { "CREATE INDEX " })?;
                if i.if_not_exists {
                    f.write_str("IF NOT EXISTS ")?;
                }
                write!(f, "{} ON {} (", i.name, i.table)?;
                list(f, &i.columns)?;
                f.write_char(')')?;
                if let Some(w) = &i.where_clause {
                    write!(f, " WHERE {w}")?;
                }
                Ok(())
            }
            Statement::CreateView(v) => {
                f.write_str(if v.temporary { "CREATE TEMP VIEW " } else { "CREATE VIEW " })?;
                if v.if_not_exists {
                    f.write_str("IF NOT EXISTS ")?;
                }
                write!(f, "{}", v.name)?;
                if !v.columns.is_empty() {
                    f.write_str(" (")?;
                    names(f, &v.columns)?;
                    f.write_char(')')?;
                }
                write!(f, " AS {}", v.select)
            }
            Statement::CreateTrigger(t) => {
                f.write_str(if t.temporary { "CREATE TEMP TRIGGER " } else { "CREATE TRIGGER " })?;
                if t.if_not_exists {
                    f.write_str("IF NOT EXISTS ")?;
                }
                let time = match t.time {
                    TriggerTime::Before => "BEFORE",
                    TriggerTime::After => "AFTER",
                    TriggerTime::InsteadOf => "INSTEAD OF",
                };
                write!(f, "{} {time} ", t.name)?;
                match &t.event {
                    TriggerEvent::Delete => f.write_str("DELETE")?,
                    TriggerEvent::Insert => f.write_str("INSERT")?,
                    TriggerEvent::Update(cols) => {
                        f.write_str("UPDATE")?;
                        if !cols.is_empty() {
                            f.write_str(" OF ")?;
                            names(f, cols)?;
                        }
                    }
                }
                write!(f, " ON {}", t.table)?;
                if t.for_each_row {
                    f.write_str(" FOR EACH ROW")?;
                }
                if let Some(w) = &t.when {
                    write!(f, " WHEN {w}")?;
                }
                f.write_str(" BEGIN ")?;
                for s in &t.body {
                    write!(f, "{s}; ")?;
                }
                f.write_str("END")
            }
            Statement::AlterTable(a) => {
                write!(f, "ALTER TABLE {} ", a.table)?;
                match &a.action {
                    AlterTableAction::RenameTo(n) => write!(f, "RENAME TO {n}"),
                    AlterTableAction::RenameColumn { old, new } => {
                        write!(f, "RENAME COLUMN {old} TO {new}")
                    }
                    AlterTableAction::AddColumn(c) => write!(f, "ADD COLUMN {c}"),
                    AlterTableAction::DropColumn(c) => write!(f, "DROP COLUMN {c}"),
                }
            }
            Statement::DropTable(d) | Statement::DropIndex(d) | Statement::DropView(d) | Statement::DropTrigger(d) => {
                let kind = match self {
                    Statement::DropTable(_) => "TABLE",
                    Statement::DropIndex(_) => "INDEX",
                    Statement::DropView(_) => "VIEW",
                    _ => "TRIGGER",
                };
                write!(f, "DROP {kind} {}{}", if d.if_exists { "IF EXISTS " } else { "" }, d.name)
            }
            Statement::Begin(k) => match k {
                TransactionKind::Deferred => f.write_str("BEGIN DEFERRED"),
                TransactionKind::Immediate => f.write_str("BEGIN IMMEDIATE"),
                TransactionKind::Exclusive => f.write_str("BEGIN EXCLUSIVE"),
            },
            Statement::Commit => f.write_str("COMMIT"),
            Statement::Rollback { savepoint: None } => f.write_str("ROLLBACK"),
            Statement::Rollback { savepoint: Some(s) } => write!(f, "ROLLBACK TO {s}"),
            Statement::Savepoint(s) => write!(f, "SAVEPOINT {s}"),
            Statement::Release(s) => write!(f, "RELEASE {s}"),
            Statement::Pragma(p) => {
                f.write_str("PRAGMA ")?;
                if let Some(s) = &p.schema {
                    write!(f, "{s}.")?;
                }
                f.write_str(&p.name)?;
                match &p.value {
                    None => Ok(()),
                    Some(PragmaValue::String(s)) => {
                        f.write_str(" = ")?;
                        string_literal(f, s)
                    }
                    Some(v) => write!(f, " = {}", v.text()),
                }
            }
            Statement::Explain { query_plan, stmt } => {
                write!(f, "EXPLAIN {}{stmt}", if *query_plan { "QUERY PLAN " } else { "" })
            }
            Statement::Vacuum { schema, into } => {
                f.write_str("VACUUM")?;
                if let Some(s) = schema {
                    write!(f, " {s}")?;
                }
                if let Some(e) = into {
                    write!(f, " INTO {e}")?;
                }
                Ok(())
            }
            Statement::Analyze(t) | Statement::Reindex(t) => {
                f.write_str(if matches!(self, Statement::Analyze(_)) { "ANALYZE" } else { "REINDEX" })?;
                match t {
                    Some(t) => write!(f, " {t}"),
                    None => Ok(()),
                }
            }
            Statement::Attach { file, schema, key } => {
                write!(f, "ATTACH {file} AS {schema}")?;
                match key {
                    Some(k) => write!(f, " KEY {k}"),
                    None => Ok(()),
                }
            }
            Statement::Detach(s) => write!(f, "DETACH {s}"),
        }
    }
}
