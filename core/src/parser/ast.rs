//! Brisk's syntax tree for SQLite's SQL: what the translator compiles to bytecode.
//!
//! Plain owned data: no lifetimes, no sqlparser types, `Box` only for recursion. Names (tables,
//! columns, schemas, aliases, functions, collations) are stored dequoted, exactly as written;
//! consumers compare them case-insensitively (ASCII), as SQLite does.
//!
//! Invariants the parser guarantees:
//! - parentheses are not represented: `(a)` is `a`; a parenthesized list of two or more
//!   expressions is [`Expr::Row`];
//! - a negative numeric literal is folded into the literal (`-5` is `Integer(-5)`,
//!   `-9223372036854775808` is `Integer(i64::MIN)`), while unary `+` is kept (it strips column
//!   affinity in SQLite);
//! - `IS DISTINCT FROM` is [`BinaryOp::IsNot`] and `IS NOT DISTINCT FROM` is [`BinaryOp::Is`]:
//!   SQLite defines them so;
//! - a compound SELECT is the flat, left-associative list SQLite evaluates (all compound
//!   operators have the same precedence in SQLite).

/// One SQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Box<Select>),
    Insert(Box<Insert>),
    Update(Box<Update>),
    Delete(Box<Delete>),
    CreateTable(Box<CreateTable>),
    CreateIndex(Box<CreateIndex>),
    CreateView(Box<CreateView>),
    CreateTrigger(Box<CreateTrigger>),
    AlterTable(Box<AlterTable>),
    DropTable(DropObject),
    DropIndex(DropObject),
    DropView(DropObject),
    DropTrigger(DropObject),
    /// `BEGIN [DEFERRED|IMMEDIATE|EXCLUSIVE] [TRANSACTION [name]]`
    Begin(TransactionKind),
    /// `COMMIT` or `END`, with or without `TRANSACTION`.
    Commit,
    /// `ROLLBACK [TRANSACTION] [TO [SAVEPOINT] name]`
    Rollback {
        savepoint: Option<String>,
    },
    Savepoint(String),
    /// `RELEASE [SAVEPOINT] name`
    Release(String),
    Pragma(Pragma),
    Explain {
        query_plan: bool,
        stmt: Box<Statement>,
    },
    /// `VACUUM [schema] [INTO expr]`
    Vacuum {
        schema: Option<String>,
        into: Option<Expr>,
    },
    /// `ANALYZE [schema | table | schema.table]`
    Analyze(Option<QualifiedName>),
    /// `REINDEX [collation | table | index | schema.name]`
    Reindex(Option<QualifiedName>),
    /// `ATTACH [DATABASE] file AS schema [KEY key]`
    Attach {
        file: Expr,
        schema: Expr,
        key: Option<Expr>,
    },
    /// `DETACH [DATABASE] schema`
    Detach(Expr),
}

/// `[schema.]name`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QualifiedName {
    pub schema: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionKind {
    #[default]
    Deferred,
    Immediate,
    Exclusive,
}

/// SQLite's conflict resolution algorithms (`OR ROLLBACK`, `ON CONFLICT ABORT`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictResolution {
    Rollback,
    Abort,
    Fail,
    Ignore,
    Replace,
}

// ---------------------------------------------------------------------------------------------
// SELECT

/// A complete query: `[WITH ...] core [compound-op core]... [ORDER BY ...] [LIMIT ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub with: Option<With>,
    pub body: SelectBody,
    pub order_by: Vec<OrderingTerm>,
    pub limit: Option<Limit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct With {
    pub recursive: bool,
    pub ctes: Vec<Cte>,
}

/// `name [(columns)] AS [[NOT] MATERIALIZED] (select)`
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    pub name: String,
    pub columns: Vec<String>,
    /// `Some(true)` for `AS MATERIALIZED`, `Some(false)` for `AS NOT MATERIALIZED`.
    pub materialized: Option<bool>,
    pub select: Box<Select>,
}

/// The first core and the compound operators that follow it, applied left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectBody {
    pub first: SelectCore,
    pub compounds: Vec<(CompoundOp, SelectCore)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompoundOp {
    Union,
    UnionAll,
    Intersect,
    Except,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectCore {
    Select(Box<SimpleSelect>),
    /// `VALUES (..), (..)`: every row has the same number of expressions.
    Values(Vec<Vec<Expr>>),
}

/// `SELECT [DISTINCT|ALL] columns [FROM ...] [WHERE ...] [GROUP BY ... [HAVING ...]] [WINDOW ...]`
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleSelect {
    pub distinct: bool,
    pub columns: Vec<ResultColumn>,
    pub from: Option<FromClause>,
    pub where_clause: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub windows: Vec<(String, WindowSpec)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResultColumn {
    /// An expression; `text` is its source text exactly as written (from its first token to
    /// its last, alias excluded), which SQLite uses as the column name when there is no alias.
    Expr { expr: Expr, alias: Option<String>, text: String },
    /// `*`
    Star,
    /// `table.*`
    TableStar(String),
}

/// A FROM clause as SQLite sees it: a left-deep chain of joins. Comma joins are
/// [`JoinOperator::Comma`].
#[derive(Debug, Clone, PartialEq)]
pub struct FromClause {
    pub first: TableRef,
    pub joins: Vec<Join>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub operator: JoinOperator,
    pub natural: bool,
    pub table: TableRef,
    pub constraint: Option<JoinConstraint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOperator {
    /// `,`
    Comma,
    /// `JOIN` or `INNER JOIN`
    Inner,
    /// `LEFT [OUTER] JOIN`
    Left,
    /// `RIGHT [OUTER] JOIN`
    Right,
    /// `FULL [OUTER] JOIN`
    Full,
    /// `CROSS JOIN`
    Cross,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JoinConstraint {
    On(Expr),
    Using(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    /// `[schema.]table [AS alias] [INDEXED BY index | NOT INDEXED]`
    Table { name: QualifiedName, alias: Option<String>, indexed: Option<Indexed> },
    /// `(select) [AS alias]`, including `(VALUES ...)`.
    Subquery { select: Box<Select>, alias: Option<String> },
    /// A table-valued function: `[schema.]name(args) [AS alias]`.
    Function { name: QualifiedName, args: Vec<Expr>, alias: Option<String> },
    /// A parenthesized join: `(a JOIN b ON ...)`.
    Nested { from: Box<FromClause>, alias: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indexed {
    By(String),
    NotIndexed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderingTerm {
    /// COLLATE, if any, is inside: [`Expr::Collate`].
    pub expr: Expr,
    pub desc: bool,
    pub nulls: Option<NullsOrder>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullsOrder {
    First,
    Last,
}

/// `LIMIT limit [OFFSET offset]`; `LIMIT a, b` is stored as `limit: b, offset: Some(a)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub limit: Expr,
    pub offset: Option<Expr>,
}

// ---------------------------------------------------------------------------------------------
// INSERT, UPDATE, DELETE

#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub with: Option<With>,
    /// `INSERT OR x`; `REPLACE INTO` is `Some(Replace)`.
    pub or_conflict: Option<ConflictResolution>,
    pub table: QualifiedName,
    pub alias: Option<String>,
    /// Empty when no column list was given.
    pub columns: Vec<String>,
    pub source: InsertSource,
    pub upsert: Vec<Upsert>,
    pub returning: Vec<ResultColumn>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InsertSource {
    /// A plain `VALUES (..), (..)` list.
    Values(Vec<Vec<Expr>>),
    /// Any other query.
    Select(Box<Select>),
    DefaultValues,
}

/// `ON CONFLICT [(target) [WHERE ...]] DO NOTHING | DO UPDATE SET ... [WHERE ...]`
#[derive(Debug, Clone, PartialEq)]
pub struct Upsert {
    pub target: Vec<IndexedColumn>,
    pub target_where: Option<Expr>,
    pub action: UpsertAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpsertAction {
    Nothing,
    Update { sets: Vec<Assignment>, where_clause: Option<Expr> },
}

/// `col = expr` or `(a, b) = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub columns: Vec<String>,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub with: Option<With>,
    pub or_conflict: Option<ConflictResolution>,
    pub table: QualifiedName,
    pub alias: Option<String>,
    pub indexed: Option<Indexed>,
    pub sets: Vec<Assignment>,
    pub from: Option<FromClause>,
    pub where_clause: Option<Expr>,
    pub returning: Vec<ResultColumn>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub with: Option<With>,
    pub table: QualifiedName,
    pub alias: Option<String>,
    pub indexed: Option<Indexed>,
    pub where_clause: Option<Expr>,
    pub returning: Vec<ResultColumn>,
}

// ---------------------------------------------------------------------------------------------
// DDL

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub temporary: bool,
    pub if_not_exists: bool,
    pub name: QualifiedName,
    /// The name's token ("table t already exists" points there).
    pub name_pos: SrcPos,
    pub body: CreateTableBody,
    /// The text SQLite stores in `sqlite_schema.sql` for this table: `CREATE TABLE ` followed by
    /// the source from the table name on (see `schema_sql` in the parser). None for
    /// `CREATE TABLE ... AS SELECT`, whose text SQLite generates from the result columns.
    pub sql: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CreateTableBody {
    Columns { columns: Vec<ColumnDef>, constraints: Vec<TableConstraint>, without_rowid: bool, strict: bool },
    AsSelect(Box<Select>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    /// The declared type as SQLite records it: the source text from its first token to its
    /// last (`VARCHAR(10)`, `UNSIGNED  BIG INT` with its spacing), `""` when absent; a type that
    /// is a single quoted name is dequoted (`"my type"` -> `my type`). SQLite reports the six
    /// standard names (INT, INTEGER, REAL, TEXT, BLOB, ANY) in upper case; that is the
    /// consumer's job.
    pub type_name: String,
    pub constraints: Vec<ColumnConstraint>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnConstraint {
    /// `CONSTRAINT name`
    pub name: Option<String>,
    pub kind: ColumnConstraintKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ColumnConstraintKind {
    PrimaryKey {
        desc: bool,
        conflict: Option<ConflictResolution>,
        autoincrement: bool,
    },
    NotNull {
        conflict: Option<ConflictResolution>,
    },
    Unique {
        conflict: Option<ConflictResolution>,
    },
    /// `label` is what a failure reports: `CHECK constraint failed: <label>`.
    Check {
        expr: Expr,
        label: String,
    },
    /// `text` is the default's source text as `PRAGMA table_info` shows it: the expression
    /// inside the parentheses for `DEFAULT (expr)`, else the literal with its sign.
    Default {
        expr: Expr,
        text: String,
    },
    Collate(String),
    References(ForeignKeyClause),
    /// `[GENERATED ALWAYS] AS (expr) [STORED | VIRTUAL]`
    Generated {
        expr: Expr,
        stored: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableConstraint {
    pub name: Option<String>,
    pub kind: TableConstraintKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableConstraintKind {
    PrimaryKey {
        columns: Vec<IndexedColumn>,
        conflict: Option<ConflictResolution>,
        autoincrement: bool,
    },
    Unique {
        columns: Vec<IndexedColumn>,
        conflict: Option<ConflictResolution>,
    },
    /// `label` is what a failure reports: `CHECK constraint failed: <label>`.
    Check {
        expr: Expr,
        label: String,
    },
    ForeignKey {
        columns: Vec<String>,
        clause: ForeignKeyClause,
    },
}

/// `REFERENCES table [(columns)] [ON DELETE|UPDATE action]... [[NOT] DEFERRABLE [INITIALLY ...]]`
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeyClause {
    pub table: String,
    pub columns: Vec<String>,
    pub on_delete: Option<ForeignKeyAction>,
    pub on_update: Option<ForeignKeyAction>,
    /// `DEFERRABLE INITIALLY DEFERRED`: checked at commit instead of per statement.
    pub deferred: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignKeyAction {
    SetNull,
    SetDefault,
    Cascade,
    Restrict,
    NoAction,
}

/// An index key: an expression (usually a column name) with its collation and direction.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedColumn {
    pub expr: Expr,
    pub collation: Option<String>,
    pub desc: bool,
}

impl IndexedColumn {
    /// The column name when the key is a plain (unqualified) column.
    pub fn column_name(&self) -> Option<&str> {
        match &self.expr {
            Expr::Column(c) if c.table.is_none() => Some(&c.column),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    pub unique: bool,
    pub if_not_exists: bool,
    /// The index name; its schema is the schema of the table too.
    pub name: QualifiedName,
    pub table: String,
    pub columns: Vec<IndexedColumn>,
    pub where_clause: Option<Expr>,
    /// The text SQLite stores in `sqlite_schema.sql`.
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    pub temporary: bool,
    pub if_not_exists: bool,
    pub name: QualifiedName,
    pub name_pos: SrcPos,
    pub columns: Vec<String>,
    pub select: Box<Select>,
    /// The text SQLite stores in `sqlite_schema.sql`.
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTrigger {
    pub temporary: bool,
    pub if_not_exists: bool,
    pub name: QualifiedName,
    pub name_pos: SrcPos,
    pub time: TriggerTime,
    pub event: TriggerEvent,
    pub table: String,
    pub for_each_row: bool,
    pub when: Option<Expr>,
    /// INSERT, UPDATE, DELETE and SELECT statements.
    pub body: Vec<Statement>,
    /// The text SQLite stores in `sqlite_schema.sql`.
    pub sql: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerTime {
    Before,
    After,
    InsteadOf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerEvent {
    Delete,
    Insert,
    /// `UPDATE [OF columns]`
    Update(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    pub table: QualifiedName,
    pub action: AlterTableAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableAction {
    RenameTo(String),
    RenameColumn { old: String, new: String },
    AddColumn(ColumnDef),
    DropColumn(String),
}

/// `DROP TABLE|INDEX|VIEW|TRIGGER [IF EXISTS] [schema.]name`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropObject {
    pub if_exists: bool,
    pub name: QualifiedName,
}

/// `PRAGMA [schema.]name [= value | (value)]`
#[derive(Debug, Clone, PartialEq)]
pub struct Pragma {
    pub schema: Option<String>,
    pub name: String,
    pub value: Option<PragmaValue>,
}

/// A pragma argument. SQLite hands pragmas their argument as text; [`PragmaValue::text`] gives
/// that text.
#[derive(Debug, Clone, PartialEq)]
pub enum PragmaValue {
    /// A name or keyword, quoted or not: `WAL`, `ON`, `t1`, `"t1"`.
    Name(String),
    /// A string literal.
    String(String),
    /// A number with its sign, exactly as written: `-2000`, `+5`, `1.5`, `0x10`.
    Number(String),
}

impl PragmaValue {
    /// The argument as SQLite's pragma code sees it (`zRight`).
    pub fn text(&self) -> &str {
        match self {
            PragmaValue::Name(s) | PragmaValue::String(s) | PragmaValue::Number(s) => s,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Literal),
    Column(ColumnRef),
    Param(Param),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `expr [NOT] LIKE|GLOB|REGEXP|MATCH pattern [ESCAPE escape]`
    Like {
        op: LikeOp,
        not: bool,
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<Box<Expr>>,
    },
    /// `expr [NOT] BETWEEN low AND high`
    Between {
        not: bool,
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    /// `expr [NOT] IN ...`
    In {
        not: bool,
        expr: Box<Expr>,
        target: InTarget,
    },
    /// `expr ISNULL`, `expr IS NULL` (`not: false`); `expr NOTNULL`, `expr NOT NULL`,
    /// `expr IS NOT NULL` (`not: true`).
    IsNull {
        not: bool,
        expr: Box<Expr>,
    },
    /// `[NOT] EXISTS (select)`
    Exists {
        not: bool,
        select: Box<Select>,
    },
    /// A scalar subquery `(select)`.
    Subquery(Box<Select>),
    /// `CASE [base] WHEN .. THEN .. [ELSE ..] END`
    Case {
        base: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_expr: Option<Box<Expr>>,
    },
    /// `CAST(expr AS type)`; the type exactly as written, `""` when empty.
    Cast {
        expr: Box<Expr>,
        type_name: String,
    },
    Collate {
        expr: Box<Expr>,
        collation: String,
    },
    Function(Box<FunctionCall>),
    /// A row value `(a, b, ...)` with two or more elements.
    Row(Vec<Expr>),
    /// `expr IS [NOT] TRUE|FALSE`: SQLite's truth test (`2 IS TRUE` is 1, while `2 IS 1` is 0).
    IsTruth {
        not: bool,
        truth: bool,
        expr: Box<Expr>,
    },
    /// `RAISE(IGNORE)`, `RAISE(ROLLBACK|ABORT|FAIL, message)` (trigger programs only).
    Raise {
        action: RaiseAction,
        message: Option<Box<Expr>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    /// Integer literals that fit in i64; `TRUE` and `FALSE` are 1 and 0.
    Integer(i64),
    /// Real literals, and integer literals too big for i64.
    Real(f64),
    String(String),
    Blob(Vec<u8>),
    CurrentTime,
    CurrentDate,
    CurrentTimestamp,
}

/// Where a name was in the SQL text it was parsed from, for the error offset of an error about
/// it (`sqlite3_error_offset`). Every position equals every other, so expressions compare by
/// what they say, not where they were written (GROUP BY terms matching result columns).
#[derive(Debug, Clone, Copy, Default)]
pub struct SrcPos(pub Option<crate::error::ErrorPos>);

impl PartialEq for SrcPos {
    fn eq(&self, _: &SrcPos) -> bool {
        true
    }
}

impl Eq for SrcPos {}

/// `[[schema.]table.]column`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    pub schema: Option<String>,
    pub table: Option<String>,
    pub column: String,
    /// The name was a lone identifier in double quotes: SQLite reads it as a string literal
    /// when no column has that name.
    pub double_quoted: bool,
    /// The first token of the reference (SQLite points "no such column: t.x" at the `t`).
    pub pos: SrcPos,
}

/// A bind parameter. SQLite numbers them: `?` takes the next number, `?NNN` is number NNN, a
/// named parameter takes the next free number the first time its name appears and reuses it
/// afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub kind: ParamKind,
    /// The exact source text: `?`, `?12`, `:name`, `@name`, `$name`.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// `?`
    Next,
    /// `?NNN`, with NNN as written (range checks are the consumer's, as in SQLite).
    Numbered(u64),
    /// `:name`, `@name`, `$name`, `#name`.
    Named,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`
    Negate,
    /// `+`
    Plus,
    /// `NOT`
    Not,
    /// `~`
    BitNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `||`
    Concat,
    /// `->`
    JsonExtract,
    /// `->>`
    JsonExtractText,
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    /// `<<`
    ShiftLeft,
    /// `>>`
    ShiftRight,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=` and `==`
    Eq,
    /// `!=` and `<>`
    Ne,
    /// `IS`, `IS NOT DISTINCT FROM`
    Is,
    /// `IS NOT`, `IS DISTINCT FROM`
    IsNot,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeOp {
    Like,
    Glob,
    Regexp,
    Match,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InTarget {
    /// `IN (a, b, ...)`, possibly empty.
    List(Vec<Expr>),
    Select(Box<Select>),
    /// `IN [schema.]table`
    Table(QualifiedName),
    /// `IN [schema.]function(args)` (a table-valued function).
    TableFunction {
        name: QualifiedName,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    pub name: String,
    pub args: FunctionArgs,
    pub distinct: bool,
    /// `ORDER BY` inside the argument list (aggregates such as `group_concat(x ORDER BY y)`).
    pub order_by: Vec<OrderingTerm>,
    /// `FILTER (WHERE ...)`
    pub filter: Option<Box<Expr>>,
    /// `OVER ...`: a window function call.
    pub over: Option<Over>,
    /// The function's name token.
    pub pos: SrcPos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FunctionArgs {
    /// `name(*)`, as in `count(*)`.
    Star,
    /// `name(a, b)`; empty for `name()`.
    List(Vec<Expr>),
}

impl FunctionArgs {
    /// The number of arguments a function lookup sees (`f(*)` has none).
    pub fn count(&self) -> usize {
        match self {
            FunctionArgs::Star => 0,
            FunctionArgs::List(a) => a.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Over {
    /// `OVER name`
    Window(String),
    /// `OVER (...)`
    Spec(WindowSpec),
}

/// `([base] [PARTITION BY ...] [ORDER BY ...] [frame])`
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpec {
    pub base: Option<String>,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<OrderingTerm>,
    pub frame: Option<Frame>,
}

/// `ROWS|RANGE|GROUPS start` or `... BETWEEN start AND end`, `[EXCLUDE ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: FrameBound,
    /// None for the one-bound form, which means `AND CURRENT ROW`.
    pub end: Option<FrameBound>,
    pub exclude: FrameExclude,
}

/// A frame's `EXCLUDE` clause: which rows near the current one leave the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameExclude {
    /// `EXCLUDE NO OTHERS`, or no clause.
    #[default]
    NoOthers,
    CurrentRow,
    /// The current row's peers, the row included.
    Group,
    /// The current row's peers, the row kept.
    Ties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    Rows,
    Range,
    Groups,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Box<Expr>),
    CurrentRow,
    Following(Box<Expr>),
    UnboundedFollowing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaiseAction {
    Ignore,
    Rollback,
    Abort,
    Fail,
}

impl Expr {
    pub fn boxed(self) -> Box<Expr> {
        Box::new(self)
    }

    /// A plain unqualified column reference, as the parser builds it.
    pub fn column(name: impl Into<String>) -> Expr {
        Expr::Column(ColumnRef {
            schema: None,
            table: None,
            column: name.into(),
            double_quoted: false,
            pos: SrcPos::default(),
        })
    }
}
