//! Parser tests. SQLite (bundled, through rusqlite) is the oracle wherever it can answer:
//! syntax verdicts and error messages, operator precedence (by evaluating expressions and our
//! fully parenthesized rendering of them), the text stored in sqlite_schema, declared types,
//! default texts, column names and sqlite3_complete. The remaining tables state SQLite's
//! documented behavior (lang_expr.html, lang_createtable.html, ...).

use super::*;

fn one(sql: &str) -> Statement {
    let mut v = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(v.len(), 1, "{sql}");
    v.pop().unwrap()
}

fn render(sql: &str) -> String {
    one(sql).to_string()
}

fn err(sql: &str) -> ParseError {
    match parse_script(sql).find_map(|r| r.err()) {
        Some(e) => e,
        None => panic!("{sql}: parsed"),
    }
}

/// The single result expression of `SELECT <expr>`.
fn select_expr(expr: &str) -> Expr {
    match one(&format!("SELECT {expr}")) {
        Statement::Select(s) => match s.body.first {
            SelectCore::Select(core) => match core.columns.into_iter().next() {
                Some(ResultColumn::Expr { expr, .. }) => expr,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

fn lit(expr: &str) -> Literal {
    match select_expr(expr) {
        Expr::Literal(l) => l,
        other => panic!("{expr}: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions

#[test]
fn expressions_render_with_sqlite_shapes() {
    let cases = [
        ("2 * 3 || 4", "(2 * (3 || 4))"),
        ("-a || b", "((-a) || b)"),
        ("~a * b", "((~a) * b)"),
        ("a = b IS c", "((a = b) IS c)"),
        ("a IS b = c", "((a IS b) = c)"),
        ("a LIKE b = c", "((a LIKE b) = c)"),
        ("a < b = c", "((a < b) = c)"),
        ("NOT a = b", "(NOT (a = b))"),
        ("a AND b OR c AND d", "((a AND b) OR (c AND d))"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("a & b | c << 1", "(((a & b) | c) << 1)"),
        ("a -> 'b' ->> 'c'", "((a -> 'b') ->> 'c')"),
        ("a IS NOT b", "(a IS NOT b)"),
        ("a IS DISTINCT FROM b", "(a IS NOT b)"),
        ("a IS NOT DISTINCT FROM b", "(a IS b)"),
        ("a ISNULL", "(a ISNULL)"),
        ("a IS NULL", "(a ISNULL)"),
        ("a NOTNULL", "(a NOTNULL)"),
        ("a NOT NULL", "(a NOTNULL)"),
        ("a IS NOT NULL", "(a NOTNULL)"),
        ("a IS TRUE", "(a IS TRUE)"),
        ("a IS NOT FALSE", "(a IS NOT FALSE)"),
        ("a NOT GLOB 'x*'", "(a NOT GLOB 'x*')"),
        ("a NOT REGEXP 'r'", "(a NOT REGEXP 'r')"),
        ("a NOT MATCH 'm'", "(a NOT MATCH 'm')"),
        ("a LIKE 'x' ESCAPE '\\'", "(a LIKE 'x' ESCAPE '\\')"),
        ("a NOT LIKE 'x'", "(a NOT LIKE 'x')"),
        ("NOT a LIKE 'x'", "(a NOT LIKE 'x')"),
        ("NOT a NOT LIKE 'x'", "(a LIKE 'x')"),
        ("a IN (1, 2)", "(a IN (1, 2))"),
        ("a NOT IN ()", "(a NOT IN ())"),
        ("a IN (SELECT 1)", "(a IN (SELECT 1))"),
        ("a IN main.t", "(a IN main.t)"),
        ("a IN json_each('[1]')", "(a IN json_each('[1]'))"),
        ("a NOT BETWEEN b + 1 AND c", "(a NOT BETWEEN (b + 1) AND c)"),
        ("a BETWEEN 1 AND 2 AND c", "((a BETWEEN 1 AND 2) AND c)"),
        ("CASE a WHEN 1 THEN 'x' ELSE 'y' END", "CASE a WHEN 1 THEN 'x' ELSE 'y' END"),
        ("CASE WHEN a THEN b END", "CASE WHEN a THEN b END"),
        ("CAST(a AS varchar ( 10 ))", "CAST(a AS varchar ( 10 ))"),
        ("CAST(a AS unsigned  big int)", "CAST(a AS unsigned  big int)"),
        ("CAST(a AS)", "CAST(a AS )"),
        ("a COLLATE nocase", "(a COLLATE nocase)"),
        ("(a, b) = (1, 2)", "((a, b) = (1, 2))"),
        ("((a))", "a"),
        ("EXISTS (SELECT 1)", "(EXISTS (SELECT 1))"),
        ("NOT EXISTS (SELECT 1)", "(NOT EXISTS (SELECT 1))"),
        ("(SELECT 1)", "(SELECT 1)"),
        ("count(*)", "count(*)"),
        ("count(DISTINCT a)", "count(DISTINCT a)"),
        ("group_concat(a, ',' ORDER BY b DESC)", "group_concat(a, ',' ORDER BY b DESC)"),
        ("sum(a) FILTER (WHERE a > 1)", "sum(a) FILTER (WHERE (a > 1))"),
        (
            "row_number() OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
            "row_number() OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
        ),
        ("sum(a) OVER (w RANGE UNBOUNDED PRECEDING)", "sum(a) OVER (w RANGE UNBOUNDED PRECEDING)"),
        ("max(a) OVER w", "max(a) OVER w"),
        ("substr(a, 1, 2)", "substr(a, 1, 2)"),
        ("trim(a, 'x')", "trim(a, 'x')"),
        ("ceil(a) + floor(a)", "(ceil(a) + floor(a))"),
        ("char(65)", "char(65)"),
        ("date('now')", "date('now')"),
        ("t.a", "t.a"),
        ("main.t.a", "main.t.a"),
        ("\"a\"", "\"a\""),
        ("[a]", "a"),
        ("interval", "interval"),
        ("- - 1", "1"),
        ("-(1)", "-1"),
        ("-'a'", "(-'a')"),
        ("+1", "(+1)"),
        ("?", "?"),
        ("CURRENT_TIME", "CURRENT_TIME"),
    ];
    for (sql, want) in cases {
        assert_eq!(select_expr(sql).to_string(), want, "{sql}");
    }
}

/// Operator precedence and associativity checked against SQLite itself: each constant
/// expression must evaluate, in SQLite, to the same value as our fully parenthesized rendering
/// of its tree. The operands are chosen so that a wrong grouping changes the value or type.
#[test]
fn precedence_matches_sqlite_evaluation() {
    let exprs = [
        "2 * 3 || 4",
        "-1 || 2",
        "~0 || 1",
        "~1 * 2",
        "1 + 2 * 3",
        "10 - 2 - 3",
        "100 / 10 / 5",
        "2 * 3 % 4",
        "5 - 2 + 1",
        "1 << 2 + 1",
        "1 & 3 << 1",
        "4 | 1 & 2",
        "1 << 2 << 3",
        "64 >> 2 >> 1",
        "0 = 1 < 2",
        "3 > 2 > 1",
        "2 IS 2 = 1",
        "1 = 1 IS 1",
        "1 BETWEEN 0 AND 2 = 1",
        "2 NOT BETWEEN 3 AND 4 = 1",
        "NOT 1 = 2",
        "NOT 1 OR 1",
        "NOT NULL IS NULL",
        "1 OR 0 AND 0",
        "1 = 1 AND 2 = 2 OR 0",
        "1 + 2 ISNULL",
        "NULL ISNULL + 1",
        "5 NOTNULL = 1",
        "2 IN (1, 2) = 0",
        "1 || 2 LIKE '12'",
        "'a' LIKE 'A' = 1",
        "'ab' GLOB 'a*' = 1",
        "'ab' NOT GLOB 'a*' = 0",
        "NOT 'ab' GLOB 'a*' = 0",
        "NOT 'ab' NOT LIKE 'a%'",
        "NULL NOT LIKE 'a'",
        "'[1,2]' -> '$[1]' || 'x'",
        "'[1,2]' ->> '$[1]' + 1",
        "- - 1",
        "1 - -1",
        "+ - 1",
        "-9223372036854775808",
        "- 9223372036854775808",
        "9223372036854775808",
        "0x7FFFFFFFFFFFFFFF + 0",
        "0xFFFFFFFFFFFFFFFF",
        "-0x10",
        "CASE 1 WHEN 1 THEN 2 END + 1",
        "1 + CAST('2' AS INTEGER) * 3",
        "'a' = 'A' COLLATE nocase",
        "x'41' || 'b'",
        "(1, 2) < (1, 3)",
        "2 IS TRUE = 1",
        "0 IS NOT FALSE",
        "NULL IS DISTINCT FROM 1 = 1",
        "EXISTS (SELECT 1) + 1",
        "(SELECT 2) * 3",
        "abs(-3) * 2",
        "1 IN ()",
        "'5' + 1",
        "1e2 * 2",
        ".5 + 1.",
    ];
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let eval = |sql: &str| -> rusqlite::types::Value {
        db.query_row(&format!("SELECT {sql}"), [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    for e in exprs {
        let rendered = select_expr(e).to_string();
        assert_eq!(eval(e), eval(&rendered), "{e} parsed as {rendered}");
    }
}

#[test]
fn literals() {
    // Values as SQLite computes them (`select typeof(x), x`).
    assert_eq!(lit("0x1F"), Literal::Integer(31));
    assert_eq!(lit("0X1f"), Literal::Integer(31));
    assert_eq!(lit("0xFFFFFFFFFFFFFFFF"), Literal::Integer(-1));
    assert_eq!(lit("0x00000000000000001"), Literal::Integer(1));
    assert_eq!(lit("-0x10"), Literal::Integer(-16));
    assert_eq!(lit("9223372036854775807"), Literal::Integer(i64::MAX));
    assert_eq!(lit("9223372036854775808"), Literal::Real(9.223372036854776e18));
    assert_eq!(lit("-9223372036854775808"), Literal::Integer(i64::MIN));
    assert_eq!(lit("-9223372036854775809"), Literal::Real(-9.223372036854776e18));
    assert_eq!(lit("1e3"), Literal::Real(1000.0));
    assert_eq!(lit("1."), Literal::Real(1.0));
    assert_eq!(lit(".5"), Literal::Real(0.5));
    assert_eq!(lit("1_000"), Literal::Integer(1000));
    assert_eq!(lit("'it''s'"), Literal::String("it's".into()));
    assert_eq!(lit("x'0aFF'"), Literal::Blob(vec![0x0a, 0xff]));
    assert_eq!(lit("X''"), Literal::Blob(vec![]));
    assert_eq!(lit("TRUE"), Literal::Integer(1));
    assert_eq!(lit("false"), Literal::Integer(0));
    assert_eq!(lit("NULL"), Literal::Null);
    assert_eq!(lit("CURRENT_TIME"), Literal::CurrentTime);
    assert_eq!(lit("current_date"), Literal::CurrentDate);
    assert_eq!(lit("CURRENT_TIMESTAMP"), Literal::CurrentTimestamp);
    assert_eq!(err("SELECT 0x1FFFFFFFFFFFFFFFF").message, "hex literal too big: 0x1FFFFFFFFFFFFFFFF");
    assert_eq!(err("SELECT -0x8000000000000000").message, "hex literal too big: -0x8000000000000000");
}

#[test]
fn parameters_keep_kind_and_text() {
    let params = |sql: &str| -> Vec<Param> {
        match one(sql) {
            Statement::Select(s) => match s.body.first {
                SelectCore::Select(c) => c
                    .columns
                    .into_iter()
                    .map(|c| match c {
                        ResultColumn::Expr { expr: Expr::Param(p), .. } => p,
                        other => panic!("{other:?}"),
                    })
                    .collect(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    };
    let got = params("SELECT ?, ?7, :name, @at, $dollar, $tcl::ns(x), ?");
    let want = [
        (ParamKind::Next, "?"),
        (ParamKind::Numbered(7), "?7"),
        (ParamKind::Named, ":name"),
        (ParamKind::Named, "@at"),
        (ParamKind::Named, "$dollar"),
        (ParamKind::Named, "$tcl::ns(x)"),
        (ParamKind::Next, "?"),
    ];
    assert_eq!(got.len(), want.len());
    for (p, (kind, text)) in got.iter().zip(want) {
        assert_eq!((p.kind, p.text.as_str()), (kind, text));
    }
    // Range checks belong to the consumer, as in SQLite's parser (`?0` is a bind-time error).
    assert_eq!(params("SELECT ?0")[0].kind, ParamKind::Numbered(0));
    assert_eq!(err("SELECT :").message, "unrecognized token: \":\"");
}

#[test]
fn double_quoted_names_are_marked() {
    // SQLite reads a lone double-quoted identifier as a string when no column matches.
    assert!(matches!(select_expr("\"a\""), Expr::Column(ColumnRef { double_quoted: true, .. })));
    assert!(matches!(select_expr("[a]"), Expr::Column(ColumnRef { double_quoted: false, .. })));
    assert!(matches!(select_expr("`a`"), Expr::Column(ColumnRef { double_quoted: false, .. })));
    assert!(matches!(select_expr("a"), Expr::Column(ColumnRef { double_quoted: false, .. })));
}

// ---------------------------------------------------------------------------------------------
// Statements

#[test]
fn statements_render() {
    let cases = [
        ("select a+1 as x, b, t.*, * from t", "SELECT (a + 1) AS x, b, t.*, * FROM t"),
        ("SELECT a FROM t LIMIT 3, 4", "SELECT a FROM t LIMIT 4 OFFSET 3"),
        ("SELECT a FROM t LIMIT 4 OFFSET 3", "SELECT a FROM t LIMIT 4 OFFSET 3"),
        (
            "select distinct a from t group by a having count(*) > 1 order by a desc nulls last, b collate nocase nulls first",
            "SELECT DISTINCT a FROM t GROUP BY a HAVING (count(*) > 1) ORDER BY a DESC NULLS LAST, (b COLLATE nocase) NULLS FIRST",
        ),
        // All compound operators share one precedence, applied left to right.
        (
            "select 1 union select 2 intersect select 3 except select 4 union all select 5 order by 1",
            "SELECT 1 UNION SELECT 2 INTERSECT SELECT 3 EXCEPT SELECT 4 UNION ALL SELECT 5 ORDER BY 1",
        ),
        ("values (1, 2), (3, 4)", "VALUES (1, 2), (3, 4)"),
        ("select 1 union values (2)", "SELECT 1 UNION VALUES (2)"),
        (
            "with recursive c(x) as (select 1 union all select x+1 from c where x < 5) select x from c",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT (x + 1) FROM c WHERE (x < 5)) SELECT x FROM c",
        ),
        (
            "with m as materialized (select 1), n as not materialized (select 2) select * from m, n",
            "WITH m AS MATERIALIZED (SELECT 1), n AS NOT MATERIALIZED (SELECT 2) SELECT * FROM m, n",
        ),
        (
            "select * from a, b join c on x left outer join d using (y, z) natural join e cross join f, g right join h full join i",
            "SELECT * FROM a, b JOIN c ON x LEFT JOIN d USING (y, z) NATURAL JOIN e CROSS JOIN f, g RIGHT JOIN h FULL JOIN i",
        ),
        ("select * from a natural left join b", "SELECT * FROM a NATURAL LEFT JOIN b"),
        (
            "select * from (select 1) s, (values (1)) as v, json_each('[1]') j, t indexed by i, u not indexed, (t1 join t2) as n, (t3)",
            "SELECT * FROM (SELECT 1) AS s, (VALUES (1)) AS v, json_each('[1]') AS j, t INDEXED BY i, u NOT INDEXED, (t1 JOIN t2) AS n, t3",
        ),
        ("insert into t values (1, 'a'), (2, 'b')", "INSERT INTO t VALUES (1, 'a'), (2, 'b')"),
        ("insert or ignore into main.t (a, b) select * from u", "INSERT OR IGNORE INTO main.t (a, b) SELECT * FROM u"),
        ("replace into t default values", "INSERT OR REPLACE INTO t DEFAULT VALUES"),
        ("insert into t as x values (1)", "INSERT INTO t AS x VALUES (1)"),
        (
            "insert into t(a) values (1) on conflict (a) where a > 0 do update set b = excluded.b where b > 0",
            "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) WHERE (a > 0) DO UPDATE SET b = excluded.b WHERE (b > 0)",
        ),
        (
            "insert into t values (1) on conflict do nothing returning *, a + 1 as z",
            "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING RETURNING *, (a + 1) AS z",
        ),
        ("with x as (select 1) insert into t select * from x", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"),
        ("insert into t select 1 union select 2", "INSERT INTO t SELECT 1 UNION SELECT 2"),
        (
            "update or rollback t set a = 1, (b, c) = (2, 3) from u where t.id = u.id returning a",
            "UPDATE OR ROLLBACK t SET a = 1, (b, c) = (2, 3) FROM u WHERE (t.id = u.id) RETURNING a",
        ),
        ("update main.t as x indexed by i set a = 1", "UPDATE main.t AS x INDEXED BY i SET a = 1"),
        ("delete from main.t as tt where a > 1", "DELETE FROM main.t AS tt WHERE (a > 1)"),
        ("delete from t not indexed", "DELETE FROM t NOT INDEXED"),
        ("with x as (select 1) delete from t where a in x", "WITH x AS (SELECT 1) DELETE FROM t WHERE (a IN x)"),
        (
            "create table if not exists main.t(a integer primary key desc on conflict replace autoincrement, b unsigned big int not null on conflict fail)",
            "CREATE TABLE IF NOT EXISTS main.t (a integer PRIMARY KEY DESC ON CONFLICT REPLACE AUTOINCREMENT, b unsigned big int NOT NULL ON CONFLICT FAIL)",
        ),
        (
            "create table t(c varying character(255) unique collate nocase, d double precision default -5, e text default 'x' check (e <> ''))",
            "CREATE TABLE t (c varying character(255) UNIQUE COLLATE nocase, d double precision DEFAULT (-5), e text DEFAULT ('x') CHECK ((e <> '')))",
        ),
        (
            "create table t(g references p(x) on delete cascade on update set null deferrable initially deferred, h int generated always as (a * 2) stored, i as (a))",
            "CREATE TABLE t (g REFERENCES p(x) ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED, h int AS ((a * 2)) STORED, i AS (a) VIRTUAL)",
        ),
        (
            "create table t(j default current_timestamp, k default abc, l default true, m blob default x'00', n int(-3), o numeric(10, 2), p null)",
            "CREATE TABLE t (j DEFAULT (CURRENT_TIMESTAMP), k DEFAULT ('abc'), l DEFAULT (1), m blob DEFAULT (X'00'), n int(-3), o numeric(10, 2), p)",
        ),
        (
            "create table t(a, b, constraint pk primary key (a desc, b collate nocase) on conflict ignore, unique (b) on conflict ignore, check (a > 0) foreign key (b) references q(y))",
            "CREATE TABLE t (a, b, CONSTRAINT pk PRIMARY KEY (a DESC, b COLLATE nocase) ON CONFLICT IGNORE, UNIQUE (b) ON CONFLICT IGNORE, CHECK ((a > 0)), FOREIGN KEY (b) REFERENCES q(y))",
        ),
        ("create table t(a integer, primary key(a autoincrement))", "CREATE TABLE t (a integer, PRIMARY KEY (a AUTOINCREMENT))"),
        ("create table t(a primary key) without rowid, strict", "CREATE TABLE t (a PRIMARY KEY) WITHOUT ROWID, STRICT"),
        ("create table t(a) strict", "CREATE TABLE t (a) STRICT"),
        ("create temp table u as select 1 as x", "CREATE TEMP TABLE u AS SELECT 1 AS x"),
        ("create table 'q'(\"select\", [from])", "CREATE TABLE q (select, from)"),
        (
            "create unique index if not exists main.i on t (a collate nocase desc, lower(b)) where a > 0",
            "CREATE UNIQUE INDEX IF NOT EXISTS main.i ON t (a COLLATE nocase DESC, lower(b)) WHERE (a > 0)",
        ),
        ("create view if not exists v(x, y) as select 1, 2", "CREATE VIEW IF NOT EXISTS v (x, y) AS SELECT 1, 2"),
        ("create temporary view v as select 1", "CREATE TEMP VIEW v AS SELECT 1"),
        (
            "create trigger if not exists tr after update of a, b on t for each row when new.a > 0 begin insert into log values (new.a); update t set b = 1; select raise(abort, 'no'); delete from t; end",
            "CREATE TRIGGER IF NOT EXISTS tr AFTER UPDATE OF a, b ON t FOR EACH ROW WHEN (new.a > 0) BEGIN INSERT INTO log VALUES (new.a); UPDATE t SET b = 1; SELECT RAISE(ABORT, 'no'); DELETE FROM t; END",
        ),
        (
            "create temp trigger tr instead of delete on v begin select raise(ignore); end",
            "CREATE TEMP TRIGGER tr INSTEAD OF DELETE ON v BEGIN SELECT RAISE(IGNORE); END",
        ),
        ("create trigger tr insert on t begin select 1; end", "CREATE TRIGGER tr BEFORE INSERT ON t BEGIN SELECT 1; END"),
        ("alter table t rename to t2", "ALTER TABLE t RENAME TO t2"),
        ("alter table main.t rename a to b", "ALTER TABLE main.t RENAME COLUMN a TO b"),
        ("alter table t add z int default 0", "ALTER TABLE t ADD COLUMN z int DEFAULT (0)"),
        ("alter table t drop column z", "ALTER TABLE t DROP COLUMN z"),
        ("drop table if exists main.t", "DROP TABLE IF EXISTS main.t"),
        ("drop index i", "DROP INDEX i"),
        ("drop view v", "DROP VIEW v"),
        ("drop trigger if exists tr", "DROP TRIGGER IF EXISTS tr"),
        ("begin", "BEGIN DEFERRED"),
        ("begin immediate transaction", "BEGIN IMMEDIATE"),
        ("begin exclusive", "BEGIN EXCLUSIVE"),
        ("commit transaction", "COMMIT"),
        ("end", "COMMIT"),
        ("rollback", "ROLLBACK"),
        ("rollback transaction to savepoint s1", "ROLLBACK TO s1"),
        ("rollback to s2", "ROLLBACK TO s2"),
        ("savepoint s3", "SAVEPOINT s3"),
        ("release savepoint s4", "RELEASE s4"),
        ("release s5", "RELEASE s5"),
        ("explain select 1", "EXPLAIN SELECT 1"),
        ("explain query plan select * from t", "EXPLAIN QUERY PLAN SELECT * FROM t"),
        ("vacuum", "VACUUM"),
        ("vacuum main into 'f.db'", "VACUUM main INTO 'f.db'"),
        ("analyze", "ANALYZE"),
        ("analyze main.t", "ANALYZE main.t"),
        ("reindex nocase", "REINDEX nocase"),
        ("attach database 'x.db' as aux", "ATTACH 'x.db' AS aux"),
        ("attach 'y' as z key 'k'", "ATTACH 'y' AS z KEY 'k'"),
        ("detach database aux", "DETACH aux"),
    ];
    for (sql, want) in cases {
        assert_eq!(render(sql), want, "{sql}");
    }
}

#[test]
fn pragmas() {
    let pragma = |sql: &str| match one(sql) {
        Statement::Pragma(p) => p,
        other => panic!("{other:?}"),
    };
    let p = |schema: Option<&str>, name: &str, value: Option<PragmaValue>| Pragma {
        schema: schema.map(|s| s.to_string()),
        name: name.into(),
        value,
    };
    use PragmaValue::*;
    let cases = [
        ("PRAGMA foreign_keys", p(None, "foreign_keys", None)),
        ("PRAGMA foreign_keys = ON", p(None, "foreign_keys", Some(Name("ON".into())))),
        ("PRAGMA journal_mode=WAL", p(None, "journal_mode", Some(Name("WAL".into())))),
        ("PRAGMA journal_mode = 'wal'", p(None, "journal_mode", Some(String("wal".into())))),
        ("PRAGMA main.cache_size = -2000", p(Some("main"), "cache_size", Some(Number("-2000".into())))),
        ("PRAGMA page_size = +4096", p(None, "page_size", Some(Number("4096".into())))),
        ("PRAGMA mmap_size = 0x10", p(None, "mmap_size", Some(Number("0x10".into())))),
        ("PRAGMA cache_size(-500)", p(None, "cache_size", Some(Number("-500".into())))),
        ("PRAGMA table_info(t1)", p(None, "table_info", Some(Name("t1".into())))),
        ("PRAGMA aux.table_info(\"t 1\")", p(Some("aux"), "table_info", Some(Name("t 1".into())))),
        ("PRAGMA secure_delete = DELETE", p(None, "secure_delete", Some(Name("DELETE".into())))),
        ("PRAGMA locking_mode = default", p(None, "locking_mode", Some(Name("default".into())))),
    ];
    for (sql, want) in cases {
        assert_eq!(pragma(sql), want, "{sql}");
    }
    assert_eq!(pragma("PRAGMA x = -5").value.unwrap().text(), "-5");
}

#[test]
fn create_table_details() {
    let table = |sql: &str| match one(sql) {
        Statement::CreateTable(t) => *t,
        other => panic!("{other:?}"),
    };
    let t = table("CREATE TEMP TABLE IF NOT EXISTS t (a INTEGER PRIMARY KEY AUTOINCREMENT, b UNSIGNED BIG INT, c)");
    assert!(t.temporary && t.if_not_exists);
    let CreateTableBody::Columns { columns, constraints, without_rowid, strict } = t.body else { panic!() };
    assert!(constraints.is_empty() && !without_rowid && !strict);
    let types: Vec<&str> = columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(types, ["INTEGER", "UNSIGNED BIG INT", ""]);
    assert_eq!(
        columns[0].constraints[0].kind,
        ColumnConstraintKind::PrimaryKey { desc: false, conflict: None, autoincrement: true }
    );

    // Table-level UNIQUE with a conflict clause (sqlparser's SQLiteDialect rejects it).
    let t = table("CREATE TABLE t (a, b, UNIQUE (b) ON CONFLICT IGNORE)");
    let CreateTableBody::Columns { constraints, .. } = t.body else { panic!() };
    assert_eq!(constraints.len(), 1);
    let TableConstraintKind::Unique { columns, conflict } = &constraints[0].kind else { panic!() };
    assert_eq!(*conflict, Some(ConflictResolution::Ignore));
    assert_eq!(columns[0].column_name(), Some("b"));

    let t =
        table("CREATE TABLE t (a DEFAULT (1 +  2), b DEFAULT -  5, c CONSTRAINT x REFERENCES p ON DELETE SET DEFAULT)");
    let CreateTableBody::Columns { columns, .. } = t.body else { panic!() };
    let ColumnConstraintKind::Default { expr, text } = &columns[0].constraints[0].kind else { panic!() };
    assert_eq!((expr.to_string().as_str(), text.as_str()), ("(1 + 2)", "1 +  2"));
    let ColumnConstraintKind::Default { expr, text } = &columns[1].constraints[0].kind else { panic!() };
    assert_eq!((expr, text.as_str()), (&Expr::Literal(Literal::Integer(-5)), "-  5"));
    assert_eq!(columns[2].constraints[0].name.as_deref(), Some("x"));
    let ColumnConstraintKind::References(fk) = &columns[2].constraints[0].kind else { panic!() };
    assert_eq!((fk.table.as_str(), fk.on_delete), ("p", Some(ForeignKeyAction::SetDefault)));
}

// ---------------------------------------------------------------------------------------------
// Source text: sqlite_schema.sql, declared types, defaults, column names

/// The `sql` text we compute for CREATE statements is what SQLite stores in sqlite_schema.
#[test]
fn create_sql_matches_sqlite_schema() {
    let creates = [
        "create table  t( a  int primary key, b text ) ",
        "CREATE TABLE IF NOT EXISTS main . u ( x ) /* c */",
        "create temp table tt(a)",
        "create table w(a int primary key) without rowid , strict /* c */ -- d\n",
        "create table \"Q\"(a)",
        "create table [R] (b)",
        "create table 's'(c)",
        "create table v2(a int) strict",
        "create unique index if not exists main.i on t( a ) /*x*/ ",
        "create index j on t(b)  ",
        "create index k on t(a collate nocase desc) where a > 0",
        "create view if not exists v(x) as select 1 /* c */ ",
        "create temp view tv as select * from t\n\n",
        "create trigger tr after insert on t begin select 1; end",
        "create  temp trigger if not exists tr2 before delete on t for each row when 1 begin delete from u; end  /* x */",
    ];
    let db = rusqlite::Connection::open_in_memory().unwrap();
    for sql in creates {
        let ours = match one(sql) {
            Statement::CreateTable(t) => t.sql.expect("not AS SELECT"),
            Statement::CreateIndex(i) => i.sql,
            Statement::CreateView(v) => v.sql,
            Statement::CreateTrigger(t) => t.sql,
            other => panic!("{other:?}"),
        };
        db.execute_batch(&format!("{sql};")).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let found: bool = db
            .query_row(
                "SELECT count(*) FROM (SELECT sql FROM sqlite_schema UNION ALL SELECT sql FROM sqlite_temp_schema) WHERE sql = ?1",
                [&ours],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n == 1)
            .unwrap();
        assert!(found, "{sql:?}: our text {ours:?} is not in sqlite_schema");
    }
    // Without the final `;`, SQLite's index text runs to the end of the input.
    let ours = match one("create index z on t(a)  ") {
        Statement::CreateIndex(i) => i.sql,
        _ => unreachable!(),
    };
    assert_eq!(ours, "CREATE INDEX z on t(a)  ");
    // CREATE TABLE ... AS SELECT: SQLite generates the text from the result columns.
    assert!(matches!(one("create table x as select 1"), Statement::CreateTable(t) if t.sql.is_none()));
}

/// Declared types and default texts are what `PRAGMA table_info` shows.
#[test]
fn types_and_defaults_match_table_info() {
    let sql = "create table t(a unsigned   big int, b varchar ( 10 , 5 ), c \"my type\", d double precision, \
               e varying character(255), f int(-3), g blah(+4.5), h, i int default (1 +  2), j default -  5, \
               k default 'x''y', l default current_time, m default x'00', n default \"ident\", o default 0x10, \
               p default true, q int not null default 7)";
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch(sql).unwrap();
    let mut stmt = db.prepare("SELECT name, type, dflt_value FROM pragma_table_info('t')").unwrap();
    let theirs: Vec<(String, String, Option<String>)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let Statement::CreateTable(t) = one(sql) else { panic!() };
    let CreateTableBody::Columns { columns, .. } = t.body else { panic!() };
    let ours: Vec<(String, String, Option<String>)> = columns
        .iter()
        .map(|c| {
            let dflt = c.constraints.iter().find_map(|k| match &k.kind {
                ColumnConstraintKind::Default { text, .. } => Some(text.clone()),
                _ => None,
            });
            (c.name.clone(), c.type_name.clone(), dflt)
        })
        .collect();
    // SQLite records the six standard type names (INT, INTEGER, REAL, TEXT, BLOB, ANY) as a
    // code and reports them in upper case; the parser keeps the spelling.
    let std_types = ["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"];
    let ours: Vec<_> = ours
        .into_iter()
        .map(|(n, t, d)| {
            let t = if std_types.iter().any(|s| s.eq_ignore_ascii_case(&t)) { t.to_ascii_uppercase() } else { t };
            (n, t, d)
        })
        .collect();
    assert_eq!(ours, theirs);
}

/// Result column text (SQLite's name for an unaliased expression column) matches SQLite's.
#[test]
fn result_column_text_matches_sqlite_names() {
    let sql = "SELECT a  +  1, count( * ), -1, 'x' || \"y\", (SELECT 1), CASE WHEN a THEN 1 END, \
               a IS DISTINCT FROM b, abs(a) /* c */, x'00', ?, ?5, :p, a COLLATE nocase, CAST(a AS  int), \
               a BETWEEN 1 AND 2, 2 AS two, a NOT IN (1, 2) FROM t";
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch("CREATE TABLE t(a, b)").unwrap();
    let stmt = db.prepare(sql).unwrap();
    let theirs: Vec<String> = stmt.column_names().map(String::from).collect();
    let Statement::Select(s) = one(sql) else { panic!() };
    let SelectCore::Select(core) = s.body.first else { panic!() };
    let ours: Vec<String> = core
        .columns
        .iter()
        .map(|c| match c {
            ResultColumn::Expr { alias: Some(a), .. } => a.clone(),
            ResultColumn::Expr { text, .. } => text.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ours, theirs);
}

// ---------------------------------------------------------------------------------------------
// Scripts, errors and limits

#[test]
fn scripts_split_like_sqlite() {
    let sql = "  select 1 ; ;select 'a;b' -- ;\n; create trigger t after insert on x begin select 1; end; select 2";
    let got: Vec<(&str, usize)> = parse_script(sql).map(|r| r.unwrap()).map(|p| (&sql[p.span], p.tail)).collect();
    let tail1 = sql.find("; ;").unwrap() + 1;
    assert_eq!(
        got,
        [
            ("select 1 ", tail1),
            ("select 'a;b' -- ;\n", sql.find("\n;").unwrap() + 2),
            ("create trigger t after insert on x begin select 1; end", sql.rfind("; select 2").unwrap() + 1),
            ("select 2", sql.len()),
        ]
    );
    assert_eq!(split_statements(sql).len(), 4);
    assert!(parse("").unwrap().is_empty());
    assert!(parse(" ;; -- x\n").unwrap().is_empty());
    // Statements before an error are returned first, as sqlite3_exec runs them.
    let mut it = parse_script("create table t(a); selec 1; select 2");
    assert!(it.next().unwrap().is_ok());
    assert_eq!(it.next().unwrap().unwrap_err().message, "near \"selec\": syntax error");
    assert!(it.next().unwrap().is_ok());
}

#[test]
fn is_complete_matches_sqlite3_complete() {
    let cases = [
        "",
        "select 1",
        "select 1;",
        "select 1; -- c",
        "select 1 -- c;",
        "select ';",
        "select \"a;\"",
        "select 1 /* ; */;",
        "select 1 /* ;",
        "create trigger t after insert on x begin select 1;",
        "create trigger t after insert on x begin select 1; end",
        "create trigger t after insert on x begin select 1; end;",
        "CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END ;",
        "explain create trigger t after insert on x begin select 1;",
        "create table trigger(a);",
        "select [a;",
        ";",
        "  ;  ",
        "select x'00';",
        "select 1; select",
    ];
    for sql in cases {
        let c = std::ffi::CString::new(sql).unwrap();
        // SAFETY: sqlite3_complete reads a NUL-terminated string and keeps no reference to it.
        let theirs = unsafe { rusqlite::ffi::sqlite3_complete(c.as_ptr()) } != 0;
        assert_eq!(is_complete(sql), theirs, "{sql:?}");
    }
}

#[test]
fn error_messages_and_offsets() {
    let cases = [
        ("selec 1", "near \"selec\": syntax error", Some(0)),
        ("select 1 +", "incomplete input", None),
        ("select 1 +;", "near \";\": syntax error", Some(10)),
        ("select 'abc", "unrecognized token: \"'abc\"", Some(7)),
        ("select * from t where a = = 1", "near \"=\": syntax error", Some(26)),
        ("create table t(a int,)", "near \")\": syntax error", Some(21)),
        ("select 1; select \"a\" b c", "near \"c\": syntax error", Some(23)),
        ("select 1abc", "unrecognized token: \"1abc\"", Some(7)),
        ("create table t(a) x", "unknown table option: x", Some(18)),
    ];
    for (sql, msg, offset) in cases {
        let e = err(sql);
        assert_eq!((e.message.as_str(), e.offset), (msg, offset), "{sql}");
        let pos = offset.map(|offset| crate::error::ErrorPos { offset, source: 0 });
        assert_eq!(crate::Error::from(e), crate::Error::Sql(msg.into(), pos));
    }
}

/// Statements whose syntax verdict (and error message) must equal bundled SQLite's.
#[test]
fn syntax_matches_sqlite() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let mut diffs = Vec::new();
    for line in include_str!("testdata/syntax.sql").lines() {
        if line.trim().is_empty() || line.starts_with("--") {
            continue;
        }
        if let Some(gap) = line.strip_prefix("!gap ") {
            let theirs = sqlite_syntax_error(&db, gap);
            let ours = parse(gap).err().map(|e| e.to_string());
            if theirs.is_some() || ours.is_none() {
                diffs.push(format!("gap {gap}\n    sqlite: {theirs:?}\n    brisk:  {ours:?}"));
            }
            continue;
        }
        let theirs = sqlite_syntax_error(&db, line);
        let ours = parse(line).err().map(|e| e.to_string());
        if theirs != ours {
            diffs.push(format!("{line}\n    sqlite: {theirs:?}\n    brisk:  {ours:?}"));
        }
    }
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

#[test]
fn deep_input_is_an_error_not_a_crash() {
    let and_chain = |n: usize| format!("select 1{}", " and 1".repeat(n));
    assert!(parse(&and_chain(998)).is_ok());
    assert_eq!(err(&and_chain(1000)).message, "Expression tree is too large (maximum depth 1000)");
    let nested = |open: &str, close: &str, n: usize| format!("select {}1{}", open.repeat(n), close.repeat(n));
    assert!(parse(&nested("(", ")", 100)).is_ok());
    assert!(parse(&nested("abs(", ")", 100)).is_ok());
    assert!(parse(&nested("(select ", ")", 40)).is_ok());
    assert_eq!(err(&nested("(", ")", 2000)).message, "parser stack overflow");
    assert_eq!(err(&nested("abs(", ")", 2000)).message, "parser stack overflow");
    assert!(parse(&nested("(select ", ")", 100)).is_err());
    assert!(parse(&format!("select {}1", "- ".repeat(2000))).is_err());
}

/// sqlite3_prepare's verdict on one statement: Some(message) if it fails with a syntax-level
/// error, None if it gets past parsing (it may still fail later, e.g. on a missing table).
fn sqlite_syntax_error(db: &rusqlite::Connection, sql: &str) -> Option<String> {
    match db.prepare(sql) {
        Ok(_) => None,
        Err(rusqlite::Error::SqlInputError { msg, .. }) | Err(rusqlite::Error::SqliteFailure(_, Some(msg))) => {
            let syntax = msg.starts_with("near ")
                || msg == "incomplete input"
                || msg.starts_with("unrecognized token")
                || msg.starts_with("hex literal too big")
                || msg.starts_with("unknown table option")
                || msg.contains("parser stack overflow")
                || msg.starts_with("Expression tree is too large");
            syntax.then_some(msg)
        }
        Err(_) => None,
    }
}

// ---------------------------------------------------------------------------------------------
// sqllogictest

/// Records of a sqllogictest file that apply to SQLite: (kind, sql) where kind is "ok",
/// "error" or "query". Follows the corpus README: `#` lines dropped, `skipif`/`onlyif`
/// honored, `halt` stops the file.
fn slt_records(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.starts_with('#')).collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let mut skip = false;
        while i < lines.len() && (lines[i].starts_with("skipif") || lines[i].starts_with("onlyif")) {
            let mut w = lines[i].split_whitespace();
            let (cond, db) = (w.next().unwrap_or(""), w.next().unwrap_or("").to_ascii_lowercase());
            if (cond == "skipif" && db == "sqlite") || (cond == "onlyif" && db != "sqlite") {
                skip = true;
            }
            i += 1;
        }
        if i >= lines.len() {
            break;
        }
        let head = lines[i];
        if head.starts_with("halt") {
            if skip {
                i += 1;
                continue;
            }
            break;
        }
        let kind = if head.starts_with("statement ok") {
            Some("ok")
        } else if head.starts_with("statement error") {
            Some("error")
        } else if head.starts_with("query") {
            Some("query")
        } else {
            None
        };
        i += 1;
        let mut sql = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i] != "----" {
            sql.push(lines[i]);
            i += 1;
        }
        while i < lines.len() && !lines[i].trim().is_empty() {
            i += 1;
        }
        if let (Some(k), false) = (kind, skip) {
            out.push((k, sql.join("\n")));
        }
    }
    out
}

/// Parses every record; returns (records, failures). A failure is a `statement ok` or `query`
/// record we reject, or any single-statement record whose syntax verdict differs from
/// SQLite's.
fn check_slt(name: &str, text: &str, db: &rusqlite::Connection, failures: &mut Vec<String>) -> usize {
    let records = slt_records(text);
    for (kind, sql) in &records {
        let ours = parse(sql);
        if *kind != "error" {
            if let Err(e) = &ours {
                failures.push(format!("{name}: {e}\n    {sql}"));
                continue;
            }
        }
        if split_statements(sql).len() == 1 {
            let theirs = sqlite_syntax_error(db, sql);
            let ours = ours.err().map(|e| e.to_string());
            if theirs.is_some() != ours.is_some() || (theirs.is_some() && theirs != ours) {
                failures.push(format!("{name}: sqlite {theirs:?}, brisk {ours:?}\n    {sql}"));
            }
        }
    }
    records.len()
}

#[test]
fn sqllogictest_sample_parses() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let mut failures = Vec::new();
    let n = check_slt("slt_sample.test", include_str!("testdata/slt_sample.test"), &db, &mut failures);
    assert!(n > 400, "{n} records");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The whole corpus in `BRISK_SLT_DIR` (default /work/shared/sqllogictest), select1-5 and
/// evidence/: run with `BRISK_SLT_DIR=... cargo test -p brisk --lib parser::tests::sqllogictest_corpus`.
/// Without the corpus it checks the embedded sample again, so it always asserts something.
#[test]
fn sqllogictest_corpus_parses() {
    let dir = std::env::var("BRISK_SLT_DIR").unwrap_or_else(|_| "/work/shared/sqllogictest".into());
    let dir = std::path::Path::new(&dir);
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    if dir.is_dir() {
        for n in 1..=5 {
            files.push(dir.join(format!("select{n}.test")));
        }
        if let Ok(rd) = std::fs::read_dir(dir.join("evidence")) {
            files.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        n += check_slt(&f.display().to_string(), &text, &db, &mut failures);
    }
    if files.is_empty() {
        n += check_slt("slt_sample.test", include_str!("testdata/slt_sample.test"), &db, &mut failures);
    }
    assert!(n > 0);
    assert!(failures.is_empty(), "{} failures of {n} records:\n{}", failures.len(), failures.join("\n"));
}

/// Truncations and byte-level mutations of every statement in the syntax table, and the same
/// for the sqllogictest sample's first records: the parser may reject them but must not panic.
#[test]
fn never_panics_on_mutated_input() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces = [
        "(",
        ")",
        ",",
        ";",
        "'",
        "\"",
        "[",
        "`",
        "x'",
        "0x",
        "?",
        ":a",
        "-",
        "--",
        "/*",
        "*/",
        "NOT",
        "SELECT",
        "END",
        "CASE",
        "BEGIN",
        "ON",
        "é",
        "1e",
        ".",
        "||",
        "->",
        "AS",
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN ",
    ];
    let lines: Vec<&str> = include_str!("testdata/syntax.sql")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("--"))
        .map(|l| l.trim_start_matches("!gap "))
        .collect();
    for line in lines {
        // Every prefix, cut on character boundaries.
        for (i, _) in line.char_indices() {
            let _ = parse(&line[..i]);
            let _ = is_complete(&line[..i]);
        }
        // Random insertions and deletions.
        for _ in 0..20 {
            let mut s = line.to_string();
            let cuts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            let at = cuts[(next() as usize) % cuts.len()];
            if next() % 2 == 0 {
                s.insert_str(at, pieces[(next() as usize) % pieces.len()]);
            } else {
                let end = cuts.iter().copied().find(|&c| c > at).unwrap_or(at);
                s.replace_range(at..end, "");
            }
            let _ = parse(&s);
            let _ = split_statements(&s);
            let _ = is_complete(&s);
        }
    }
}
