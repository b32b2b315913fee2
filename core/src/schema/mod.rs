//! The schema: tables, columns, indexes and views, read from `sqlite_schema` by parsing each
//! object's stored CREATE statement, exactly as SQLite rebuilds its schema on open.
//!
//! Invariant: a `Schema` is immutable once built; DDL writes `sqlite_schema` and the VM reloads
//! a new `Schema` (ParseSchema), so compiled programs keep the one they were compiled against.

pub mod pragma;

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::parser::ast::{
    self, ColumnConstraintKind, ConflictResolution, CreateTableBody, Expr, Statement, TableConstraintKind,
};
use crate::storage::btree::{BTreeCursor, TreeKind};
use crate::storage::header;
use crate::storage::pager::{PageNumber, Pager};
use crate::storage::record::RecordHeader;
use crate::storage::IoPoll;
use crate::value::{Collation, Value};
use crate::vdbe::ops::Affinity;

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub decl_type: String,
    pub affinity: Affinity,
    pub not_null: bool,
    pub default: Option<Expr>,
    /// The default's text as `PRAGMA table_info` shows it.
    pub default_text: Option<String>,
    pub collation: Collation,
    pub primary_key: bool,
    /// `NOT NULL ON CONFLICT ...`: how a NULL is resolved when the statement names no
    /// algorithm (None: ABORT).
    pub not_null_conflict: Option<ConflictResolution>,
    /// A subquery's column whose expression has no affinity (a literal, an arithmetic result,
    /// EXISTS): comparisons treat it as SQLite's SQLITE_AFF_NONE, not as a BLOB column.
    pub no_affinity: bool,
    /// No collation either (a window function's value, or a subquery that SQLite evaluates
    /// above its window functions): a comparison takes the other operand's.
    pub no_collation: bool,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub root: PageNumber,
    pub columns: Vec<Column>,
    /// The column that aliases the rowid (`INTEGER PRIMARY KEY`).
    pub rowid_alias: Option<usize>,
    pub without_rowid: bool,
    pub autoincrement: bool,
    /// Columns of the PRIMARY KEY, in key order (with collation and direction).
    pub primary_key: Vec<(usize, Collation, bool)>,
    /// `PRIMARY KEY ON CONFLICT ...` (SQLite's keyConf): the algorithm for a rowid conflict
    /// when the statement names none (None: ABORT).
    pub key_conflict: Option<ConflictResolution>,
    /// CHECK constraints with the name a failure reports (`CHECK constraint failed: name`).
    pub checks: Vec<(Expr, String)>,
    pub sql: String,
    /// Indexes on this table, by name (looked up in `Schema::indexes`).
    pub indexes: Vec<String>,
}

impl Table {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn has_rowid(&self) -> bool {
        !self.without_rowid
    }
}

#[derive(Debug, Clone)]
pub struct IndexColumn {
    /// The table column, or None for an expression key.
    pub column: Option<usize>,
    pub expr: Option<Expr>,
    pub collation: Collation,
    pub desc: bool,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub root: PageNumber,
    pub columns: Vec<IndexColumn>,
    pub unique: bool,
    pub partial: Option<Expr>,
    /// None for automatic indexes (UNIQUE and PRIMARY KEY constraints).
    pub sql: Option<String>,
    /// For the UNIQUE constraint message: "UNIQUE constraint failed: t.a, t.b".
    pub is_primary_key: bool,
    /// The `ON CONFLICT` clause of the UNIQUE or PRIMARY KEY constraint that made an automatic
    /// index (SQLite's Index.onError): the algorithm when the statement names none (None:
    /// ABORT, as for CREATE UNIQUE INDEX).
    pub on_conflict: Option<ConflictResolution>,
}

#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub columns: Vec<String>,
    pub select: ast::Select,
    pub sql: String,
}

/// A trigger: when it fires and the statements it runs.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    pub time: ast::TriggerTime,
    pub event: ast::TriggerEvent,
    pub when: Option<Expr>,
    pub body: Vec<Statement>,
    pub sql: String,
}

/// One row of sqlite_schema.
#[derive(Debug, Clone)]
pub struct SchemaRow {
    pub kind: String,
    pub name: String,
    pub tbl_name: String,
    pub rootpage: i64,
    pub sql: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub tables: HashMap<String, Arc<Table>>,
    pub indexes: HashMap<String, Arc<Index>>,
    pub views: HashMap<String, Arc<View>>,
    pub triggers: HashMap<String, Arc<Trigger>>,
    /// TEMP views: the connection's own, kept across schema reloads (SQLite's temp schema,
    /// which is searched first).
    pub temp_views: HashMap<String, Arc<View>>,
    /// Every object row in sqlite_schema order (for .schema, .dump and DROP).
    pub rows: Vec<SchemaRow>,
    /// The schema cookie this schema was read at.
    pub cookie: u32,
    /// Increments on every reload, so compiled programs can tell they are stale.
    pub generation: u64,
    pub needs_reload: bool,
}

/// The table that describes every other: sqlite_schema, rooted at page 1.
pub fn schema_table() -> Table {
    let col = |name: &str, t: &str| Column {
        name: name.into(),
        decl_type: t.into(),
        affinity: Affinity::from_decl_type(t),
        not_null: false,
        default: None,
        default_text: None,
        collation: Collation::Binary,
        primary_key: false,
        not_null_conflict: None,
        no_affinity: false,
        no_collation: false,
    };
    Table {
        name: "sqlite_schema".into(),
        root: 1,
        columns: vec![col("type", "text"), col("name", "text"), col("tbl_name", "text"), col("rootpage", "int"), col("sql", "text")],
        rowid_alias: None,
        without_rowid: false,
        autoincrement: false,
        primary_key: vec![],
        key_conflict: None,
        checks: vec![],
        sql: "CREATE TABLE sqlite_schema (\n  type text,\n  name text,\n  tbl_name text,\n  rootpage integer,\n  sql text\n)".into(),
        indexes: vec![],
    }
}

fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Arc<Table>> {
        self.tables.get(&key(name))
    }

    pub fn index(&self, name: &str) -> Option<&Arc<Index>> {
        self.indexes.get(&key(name))
    }

    pub fn view(&self, name: &str) -> Option<&Arc<View>> {
        self.temp_views.get(&key(name)).or_else(|| self.views.get(&key(name)))
    }

    pub fn trigger(&self, name: &str) -> Option<&Arc<Trigger>> {
        self.triggers.get(&key(name))
    }

    /// The triggers on `table` for `event` at `time`, in creation order (sqlite_schema order).
    pub fn triggers_for(&self, table: &str, time: ast::TriggerTime, event: &str) -> Vec<Arc<Trigger>> {
        let mut out: Vec<(usize, Arc<Trigger>)> = self
            .triggers
            .values()
            .filter(|t| t.table.eq_ignore_ascii_case(table) && t.time == time)
            .filter(|t| {
                matches!(
                    (&t.event, event),
                    (ast::TriggerEvent::Insert, "insert")
                        | (ast::TriggerEvent::Delete, "delete")
                        | (ast::TriggerEvent::Update(_), "update")
                )
            })
            .map(|t| {
                (
                    self.rows
                        .iter()
                        .position(|r| r.kind == "trigger" && r.name.eq_ignore_ascii_case(&t.name))
                        .unwrap_or(usize::MAX),
                    t.clone(),
                )
            })
            .collect();
        // SQLite runs a table's triggers newest first.
        out.sort_by_key(|(pos, _)| std::cmp::Reverse(*pos));
        out.into_iter().map(|(_, t)| t).collect()
    }

    pub fn is_temp_view(&self, name: &str) -> bool {
        self.temp_views.contains_key(&key(name))
    }

    /// Adds (with `sql`) or removes (without) a TEMP view.
    pub fn set_temp_view(&mut self, name: &str, sql: Option<&str>) -> Result<()> {
        match sql {
            None => {
                self.temp_views.remove(&key(name));
            }
            Some(sql) => {
                let Some(Statement::CreateView(v)) = parse_one(sql)? else {
                    return Err(Error::Internal("TEMP view text is not CREATE VIEW".into()));
                };
                let view = View {
                    name: name.to_string(),
                    columns: v.columns.clone(),
                    select: (*v.select).clone(),
                    sql: sql.to_string(),
                };
                self.temp_views.insert(key(name), Arc::new(view));
            }
        }
        Ok(())
    }

    /// Indexes of `table` in creation order.
    pub fn table_indexes(&self, table: &Table) -> Vec<Arc<Index>> {
        table.indexes.iter().filter_map(|n| self.index(n).cloned()).collect()
    }

    /// Reads sqlite_schema (the caller holds a read transaction) and builds the schema.
    pub fn load(pager: &mut Pager) -> Result<Schema> {
        struct Loading(bool);
        impl Drop for Loading {
            fn drop(&mut self) {
                LOADING.with(|l| l.set(self.0));
            }
        }
        let _loading = Loading(LOADING.with(|l| l.replace(true)));
        let mut schema = Schema::default();
        // An empty database still has its (empty) schema table.
        let master = Arc::new(schema_table());
        schema.tables.insert("sqlite_schema".into(), master.clone());
        schema.tables.insert("sqlite_master".into(), master);
        if pager.page_count() == 0 {
            return Ok(schema);
        }
        schema.cookie = pager.header_u32(header::OFFSET_SCHEMA_COOKIE)?;
        schema.rows = read_schema_rows(pager)?;
        // Tables first, so indexes can resolve their columns.
        let rows = schema.rows.clone();
        for row in rows.iter().filter(|r| r.kind == "table") {
            let Some(sql) = &row.sql else { continue };
            let table = table_from_sql(sql, row.rootpage).map_err(|e| malformed(&row.name, e))?;
            schema.tables.insert(key(&table.name), Arc::new(table));
        }
        for row in rows.iter().filter(|r| r.kind == "index") {
            let index = match &row.sql {
                Some(sql) => index_from_sql(&schema, sql, row.rootpage).map_err(|e| malformed(&row.name, e))?,
                None => auto_index(&schema, row)?,
            };
            if let Some(t) = schema.tables.get_mut(&key(&index.table)) {
                Arc::make_mut(t).indexes.push(index.name.clone());
            }
            schema.indexes.insert(key(&index.name), Arc::new(index));
        }
        for row in rows.iter().filter(|r| r.kind == "trigger") {
            let Some(sql) = &row.sql else { continue };
            if let Some(Statement::CreateTrigger(t)) = parse_one(sql).map_err(|e| malformed(&row.name, e))? {
                schema.triggers.insert(key(&row.name), Arc::new(trigger_from_ast(&t)));
            }
        }
        for row in rows.iter().filter(|r| r.kind == "view") {
            let Some(sql) = &row.sql else { continue };
            if let Ok(Some(Statement::CreateView(v))) = parse_one(sql) {
                schema.views.insert(
                    key(&row.name),
                    Arc::new(View {
                        name: row.name.clone(),
                        columns: v.columns.clone(),
                        select: (*v.select).clone(),
                        sql: sql.clone(),
                    }),
                );
            }
        }
        Ok(schema)
    }
}

fn malformed(name: &str, e: Error) -> Error {
    Error::corrupt(format!("malformed database schema ({name}) - {e}"))
}

/// Scans sqlite_schema's B-tree.
fn read_schema_rows(pager: &mut Pager) -> Result<Vec<SchemaRow>> {
    let mut cursor = BTreeCursor::new(1, TreeKind::Table);
    let enc = pager.text_encoding();
    let mut rows = Vec::new();
    let mut more = drive(pager, |p| cursor.rewind(p))?;
    let mut header = RecordHeader::default();
    // Bounded by the number of rows in the tree, itself bounded by the file size.
    while more {
        let payload = drive(pager, |p| {
            cursor.payload(p).map(|r| match r {
                IoPoll::Ready(b) => IoPoll::Ready(b.to_vec()),
                IoPoll::Pending => IoPoll::Pending,
            })
        })?;
        header.parse_into(&payload, payload.len())?;
        let get = |i: usize| header.column(&payload, i, enc);
        let text = |v: Value| match v {
            Value::Text(s) => Ok(s.to_string()),
            Value::Null => Ok(String::new()),
            _ => Err(Error::corrupt("sqlite_schema column is not text")),
        };
        let row = SchemaRow {
            kind: text(get(0)?)?,
            name: text(get(1)?)?,
            tbl_name: text(get(2)?)?,
            rootpage: match get(3)? {
                Value::Integer(i) => i,
                _ => 0,
            },
            sql: match get(4)? {
                Value::Text(s) => Some(s.to_string()),
                _ => None,
            },
        };
        rows.push(row);
        more = drive(pager, |p| cursor.next(p))?;
    }
    Ok(rows)
}

/// Runs a cursor operation to completion, driving I/O while it is pending.
pub fn drive<T>(pager: &mut Pager, mut f: impl FnMut(&mut Pager) -> Result<IoPoll<T>>) -> Result<T> {
    for _ in 0..10_000_000 {
        match f(pager)? {
            IoPoll::Ready(v) => return Ok(v),
            IoPoll::Pending => pager.run_io()?,
        }
    }
    Err(Error::Internal("I/O never completed".into()))
}

pub fn trigger_from_ast(t: &ast::CreateTrigger) -> Trigger {
    Trigger {
        name: t.name.name.clone(),
        table: t.table.clone(),
        time: t.time,
        event: t.event.clone(),
        when: t.when.clone(),
        body: t.body.clone(),
        sql: t.sql.clone(),
    }
}

/// Parses the first statement of a stored schema SQL text.
fn parse_one(sql: &str) -> Result<Option<Statement>> {
    Ok(crate::parser::parse_script(sql).next().transpose()?.map(|p| p.stmt))
}

thread_local! {
    /// Set while `Schema::load` reads sqlite_schema.
    static LOADING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The collation a definition names. CREATE TABLE and CREATE INDEX need it registered now;
/// a stored schema may name one that is not (SQLite loads it, and fails only the statements
/// that compare with it: see `translate::compile`).
fn named_collation(name: &str) -> Result<Collation> {
    if LOADING.with(|l| l.get()) {
        return Ok(Collation::declared(name));
    }
    Collation::from_name(name).ok_or_else(|| Error::MissingCollation(name.to_string()))
}

/// Builds a table from its CREATE TABLE text.
pub fn table_from_sql(sql: &str, root: i64) -> Result<Table> {
    let Some(Statement::CreateTable(ct)) = parse_one(sql)? else {
        return Err(Error::sql("expected CREATE TABLE"));
    };
    table_from_ast(&ct, root, sql.to_string())
}

/// Builds a table from a parsed CREATE TABLE.
pub fn table_from_ast(ct: &ast::CreateTable, root: i64, sql: String) -> Result<Table> {
    let CreateTableBody::Columns { columns, constraints, without_rowid, .. } = &ct.body else {
        return Err(Error::sql("CREATE TABLE AS SELECT has no column definitions"));
    };
    if root < 0 || root > u32::MAX as i64 {
        return Err(Error::corrupt(format!("bad root page {root}")));
    }
    let mut table = Table {
        name: ct.name.name.clone(),
        root: root as PageNumber,
        columns: Vec::with_capacity(columns.len()),
        rowid_alias: None,
        without_rowid: *without_rowid,
        autoincrement: false,
        primary_key: vec![],
        key_conflict: None,
        checks: vec![],
        sql,
        indexes: vec![],
    };
    let mut pk_desc = false;
    for (i, def) in columns.iter().enumerate() {
        if table.column_index(&def.name).is_some() {
            return Err(Error::sql(format!("duplicate column name: {}", def.name)));
        }
        let mut col = Column {
            name: def.name.clone(),
            decl_type: def.type_name.clone(),
            affinity: Affinity::from_decl_type(&def.type_name),
            not_null: false,
            default: None,
            default_text: None,
            collation: Collation::Binary,
            primary_key: false,
            not_null_conflict: None,
            no_affinity: false,
            no_collation: false,
        };
        for c in &def.constraints {
            match &c.kind {
                ColumnConstraintKind::PrimaryKey { desc, autoincrement, conflict } => {
                    if !table.primary_key.is_empty() {
                        return Err(Error::sql(format!("table \"{}\" has more than one primary key", table.name)));
                    }
                    col.primary_key = true;
                    table.primary_key.push((i, Collation::Binary, *desc));
                    pk_desc = *desc;
                    table.autoincrement |= *autoincrement;
                    table.key_conflict = *conflict;
                }
                ColumnConstraintKind::NotNull { conflict } => {
                    col.not_null = true;
                    col.not_null_conflict = *conflict;
                }
                ColumnConstraintKind::Default { expr, text } => {
                    col.default = Some(expr.clone());
                    col.default_text = Some(text.clone());
                }
                ColumnConstraintKind::Collate(name) => {
                    col.collation = named_collation(name)?;
                }
                ColumnConstraintKind::Check { expr, label } => table.checks.push((expr.clone(), label.clone())),
                ColumnConstraintKind::References(fk) if fk.columns.len() > 1 => {
                    return Err(Error::sql(format!(
                        "foreign key on {} should reference only one column of table {}",
                        def.name, fk.table
                    )));
                }
                _ => {}
            }
        }
        if col.primary_key {
            // A column PRIMARY KEY compares with the column's collation, wherever COLLATE is.
            table.primary_key[0].1 = col.collation;
        }
        table.columns.push(col);
    }
    for c in constraints {
        match &c.kind {
            TableConstraintKind::PrimaryKey { columns: cols, autoincrement, conflict } => {
                if !table.primary_key.is_empty() {
                    return Err(Error::sql(format!("table \"{}\" has more than one primary key", table.name)));
                }
                for ic in cols {
                    let name = ic
                        .column_name()
                        .ok_or_else(|| Error::sql("expressions prohibited in PRIMARY KEY and UNIQUE constraints"))?;
                    let pos = match &ic.expr {
                        Expr::Column(c) => c.pos.0,
                        Expr::Collate { expr, .. } => match expr.as_ref() {
                            Expr::Column(c) => c.pos.0,
                            _ => None,
                        },
                        _ => None,
                    };
                    let idx = table
                        .column_index(name)
                        .ok_or_else(|| Error::sql_at(format!("no such column: {name}"), pos))?;
                    let coll = match &ic.collation {
                        Some(n) => named_collation(n)?,
                        None => table.columns[idx].collation,
                    };
                    table.columns[idx].primary_key = true;
                    table.primary_key.push((idx, coll, ic.desc));
                }
                if cols.len() == 1 {
                    pk_desc = cols[0].desc;
                }
                table.autoincrement |= *autoincrement;
                table.key_conflict = *conflict;
            }
            TableConstraintKind::Check { expr, label } => table.checks.push((expr.clone(), label.clone())),
            TableConstraintKind::ForeignKey { columns: cols, clause } => {
                // sqlite3CreateForeignKey: foreign_keys off still checks the definition.
                if !clause.columns.is_empty() && clause.columns.len() != cols.len() {
                    return Err(Error::sql(
                        "number of columns in foreign key does not match the number of columns in the referenced table",
                    ));
                }
                if let Some(c) = cols.iter().find(|c| table.column_index(c).is_none()) {
                    return Err(Error::sql(format!("unknown column \"{c}\" in foreign key definition")));
                }
            }
            _ => {}
        }
    }
    // INTEGER PRIMARY KEY (exactly that type name, one column, not DESC) aliases the rowid.
    if !table.without_rowid && table.primary_key.len() == 1 {
        let (i, _, _) = table.primary_key[0];
        if table.columns[i].decl_type.eq_ignore_ascii_case("INTEGER") && !pk_desc {
            table.rowid_alias = Some(i);
        }
    }
    // A PRIMARY KEY's ON CONFLICT is the rowid's only when it aliases the rowid; otherwise it
    // belongs to the key's index (sqlite3AddPrimaryKey).
    if table.rowid_alias.is_none() && !table.without_rowid {
        table.key_conflict = None;
    }
    if table.autoincrement && table.rowid_alias.is_none() {
        return Err(Error::sql("AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY"));
    }
    if table.without_rowid && table.primary_key.is_empty() {
        return Err(Error::sql(format!("PRIMARY KEY missing on table {}", table.name)));
    }
    // A PRIMARY KEY column of a WITHOUT ROWID table is NOT NULL, and a column repeated in the
    // key with the same collation is kept once (SQLite's convertToWithoutRowidTable).
    if table.without_rowid {
        let mut key: Vec<(usize, Collation, bool)> = Vec::with_capacity(table.primary_key.len());
        for (i, coll, desc) in table.primary_key.clone() {
            table.columns[i].not_null = true;
            if !key.iter().any(|(j, c, _)| *j == i && *c == coll) {
                key.push((i, coll, desc));
            }
        }
        table.primary_key = key;
    }
    Ok(table)
}

fn index_columns(table: &Table, cols: &[ast::IndexedColumn]) -> Result<Vec<IndexColumn>> {
    cols.iter()
        .map(|ic| {
            let collation_name = ic.collation.clone();
            let (column, expr) = match &ic.expr {
                Expr::Column(c) if c.table.is_none() => match table.column_index(&c.column) {
                    Some(i) => (Some(i), None),
                    None => return Err(Error::sql(format!("no such column: {}", c.column))),
                },
                Expr::Collate { expr, .. } => match expr.as_ref() {
                    Expr::Column(c) => match table.column_index(&c.column) {
                        Some(i) => (Some(i), None),
                        None => return Err(Error::sql(format!("no such column: {}", c.column))),
                    },
                    other => (None, Some(other.clone())),
                },
                other => (None, Some(other.clone())),
            };
            let coll_from_expr = match &ic.expr {
                Expr::Collate { collation, .. } => Some(collation.clone()),
                _ => None,
            };
            let collation = match collation_name.or(coll_from_expr) {
                Some(n) => named_collation(&n)?,
                None => column.map(|i| table.columns[i].collation).unwrap_or_default(),
            };
            Ok(IndexColumn { column, expr, collation, desc: ic.desc })
        })
        .collect()
}

/// Builds an index from its CREATE INDEX text.
pub fn index_from_sql(schema: &Schema, sql: &str, root: i64) -> Result<Index> {
    let Some(Statement::CreateIndex(ci)) = parse_one(sql)? else {
        return Err(Error::sql("expected CREATE INDEX"));
    };
    let table = schema.table(&ci.table).ok_or_else(|| Error::sql(format!("no such table: main.{}", ci.table)))?;
    Ok(Index {
        name: ci.name.name.clone(),
        table: table.name.clone(),
        root: root as PageNumber,
        columns: index_columns(table, &ci.columns)?,
        unique: ci.unique,
        partial: ci.where_clause.clone(),
        sql: Some(sql.to_string()),
        is_primary_key: false,
        on_conflict: None,
    })
}

/// One automatic index a table's constraints need: its columns, whether it is the PRIMARY
/// KEY's, and its constraint's ON CONFLICT clause.
#[derive(Debug, Clone)]
pub struct AutoIndexSpec {
    pub columns: Vec<IndexColumn>,
    pub primary_key: bool,
    pub on_conflict: Option<ConflictResolution>,
}

/// The automatic indexes a table's constraints need, in the order SQLite numbers them
/// (`sqlite_autoindex_T_1`, `_2`, ...): column constraints in column order, then table
/// constraints; a PRIMARY KEY that aliases the rowid needs none. The PRIMARY KEY of a WITHOUT
/// ROWID table is listed (it takes a number) though its index is the table itself, which has no
/// sqlite_schema row of its own.
pub fn auto_index_specs(ct: &ast::CreateTable, table: &Table) -> Result<Vec<AutoIndexSpec>> {
    let CreateTableBody::Columns { columns, constraints, .. } = &ct.body else {
        return Ok(vec![]);
    };
    let mut specs: Vec<AutoIndexSpec> = Vec::new();
    let push = |spec: AutoIndexSpec, specs: &mut Vec<AutoIndexSpec>| -> Result<()> {
        // SQLite skips a UNIQUE constraint identical to an earlier one, keeping the ON CONFLICT
        // clause one of them names (sqlite3CreateIndex).
        let same = |a: &AutoIndexSpec| {
            a.columns.len() == spec.columns.len()
                && a.columns.iter().zip(&spec.columns).all(|(x, y)| x.column == y.column && x.collation == y.collation)
        };
        match specs.iter_mut().find(|a| same(a)) {
            Some(earlier) => match (earlier.on_conflict, spec.on_conflict) {
                (Some(a), Some(b)) if a != b => return Err(Error::sql("conflicting ON CONFLICT clauses specified")),
                (None, b) => earlier.on_conflict = b,
                _ => {}
            },
            None => specs.push(spec),
        }
        Ok(())
    };
    for (i, def) in columns.iter().enumerate() {
        let column =
            |desc: bool| vec![IndexColumn { column: Some(i), expr: None, collation: table.columns[i].collation, desc }];
        for c in &def.constraints {
            match &c.kind {
                ColumnConstraintKind::PrimaryKey { desc, conflict, .. } if table.rowid_alias != Some(i) => {
                    let spec = AutoIndexSpec { columns: column(*desc), primary_key: true, on_conflict: *conflict };
                    push(spec, &mut specs)?;
                }
                ColumnConstraintKind::Unique { conflict } => {
                    let spec = AutoIndexSpec { columns: column(false), primary_key: false, on_conflict: *conflict };
                    push(spec, &mut specs)?;
                }
                _ => {}
            }
        }
    }
    for c in constraints {
        if let TableConstraintKind::PrimaryKey { columns: cols, .. }
        | TableConstraintKind::Unique { columns: cols, .. } = &c.kind
        {
            if index_columns(table, cols)?.iter().any(|c| c.column.is_none()) {
                return Err(Error::sql("expressions prohibited in PRIMARY KEY and UNIQUE constraints"));
            }
        }
        match &c.kind {
            TableConstraintKind::PrimaryKey { columns: cols, conflict, .. } if table.rowid_alias.is_none() => {
                let spec =
                    AutoIndexSpec { columns: index_columns(table, cols)?, primary_key: true, on_conflict: *conflict };
                push(spec, &mut specs)?;
            }
            TableConstraintKind::Unique { columns: cols, conflict } => {
                let spec =
                    AutoIndexSpec { columns: index_columns(table, cols)?, primary_key: false, on_conflict: *conflict };
                push(spec, &mut specs)?;
            }
            _ => {}
        }
    }
    Ok(specs)
}

/// The number SQLite gives a WITHOUT ROWID table's PRIMARY KEY among its automatic indexes
/// (the `N` of `sqlite_autoindex_T_N`, which no sqlite_schema row carries).
pub fn primary_key_number(table: &Table) -> Result<Option<usize>> {
    if !table.without_rowid {
        return Ok(None);
    }
    let Some(Statement::CreateTable(ct)) = parse_one(&table.sql)? else {
        return Err(Error::corrupt("table sql"));
    };
    Ok(auto_index_specs(&ct, table)?.iter().position(|s| s.primary_key).map(|i| i + 1))
}

/// Rebuilds an automatic index (sql NULL in sqlite_schema) from its table's constraints.
fn auto_index(schema: &Schema, row: &SchemaRow) -> Result<Index> {
    let table = schema
        .table(&row.tbl_name)
        .ok_or_else(|| Error::corrupt(format!("index {} on missing table {}", row.name, row.tbl_name)))?;
    let prefix = format!("sqlite_autoindex_{}_", table.name);
    let n: usize = row
        .name
        .strip_prefix(&prefix)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::corrupt(format!("unexpected automatic index name {}", row.name)))?;
    let Some(Statement::CreateTable(ct)) = parse_one(&table.sql)? else {
        return Err(Error::corrupt("table sql"));
    };
    let specs = auto_index_specs(&ct, table)?;
    let spec = specs
        .get(n.wrapping_sub(1))
        .cloned()
        .ok_or_else(|| Error::corrupt(format!("no constraint for {}", row.name)))?;
    if spec.primary_key && table.without_rowid {
        return Err(Error::corrupt(format!("{} names a WITHOUT ROWID table's primary key", row.name)));
    }
    Ok(Index {
        name: row.name.clone(),
        table: table.name.clone(),
        root: row.rootpage as PageNumber,
        columns: spec.columns,
        unique: true,
        partial: None,
        sql: None,
        is_primary_key: spec.primary_key,
        on_conflict: spec.on_conflict,
    })
}
