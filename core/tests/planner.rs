//! The planner's access paths (IN lookups, index order for ORDER BY, covering indexes,
//! WITHOUT ROWID keys), each query's rows checked against bundled SQLite, and the plans of
//! queries with one clearly best plan checked against SQLite's EXPLAIN QUERY PLAN.

use brisk::Value;
mod common;
use common::*;

/// EXPLAIN QUERY PLAN's lines, in order, from both engines: each detail indented by its depth
/// in the plan's tree (from the id and parent columns), so nesting is compared too.
fn plans(setup: &str, query: &str) -> (Vec<String>, Vec<String>) {
    let q = format!("EXPLAIN QUERY PLAN {query}");
    let (b, s) = both(setup, &q);
    let lines = |rows: Outcome| -> Vec<String> {
        let rows = rows.unwrap_or_else(|e| panic!("{q}: {e}"));
        let int = |v: &Value| match v {
            Value::Integer(i) => *i,
            other => panic!("{q}: plan id {other:?}"),
        };
        let mut depth: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        rows.iter()
            .map(|r| {
                let d = depth.get(&int(&r[1])).map_or(0, |p| p + 1);
                depth.insert(int(&r[0]), d);
                let detail = match &r[3] {
                    Value::Text(t) => t.to_string(),
                    other => format!("{other:?}"),
                };
                format!("{}{detail}", "  ".repeat(d))
            })
            .collect()
    };
    (lines(b), lines(s))
}

/// Checks the rows against SQLite and that the plan is SQLite's (the detail lines in order).
#[track_caller]
fn check_plan(setup: &str, query: &str) {
    check(setup, query);
    let (b, s) = plans(setup, query);
    assert_eq!(b, s, "plans differ for {query}");
}

const SCHEMA: &str = "
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c INT, d);
CREATE INDEX tb ON t(b);
CREATE INDEX tcd ON t(c, d);
CREATE TABLE n(x TEXT COLLATE NOCASE, y);
CREATE INDEX nx ON n(x);
CREATE INDEX ny ON n(y COLLATE NOCASE);
CREATE TABLE w(k TEXT, j INT, v, PRIMARY KEY(k, j)) WITHOUT ROWID;
CREATE INDEX wv ON w(v);
CREATE TABLE wd(k INT PRIMARY KEY DESC, v TEXT) WITHOUT ROWID;
INSERT INTO t VALUES (1, 'x', 1, 10), (2, 'y', 1, 20), (3, 'x', 2, NULL), (4, NULL, 2, 5), (5, 'z', NULL, 7),
  (6, 'Y', 3, '8'), (7, '1', 1, 15), (8, 'x', 3, 2.5), (9, 'b', 1, 20);
INSERT INTO n VALUES ('a', 'A'), ('A', 'b'), ('b', 'B'), (NULL, NULL), ('c', 1), ('C', '1'), ('ab', 'AB');
INSERT INTO w VALUES ('a', 1, 10), ('a', 2, 20), ('a', 3, NULL), ('b', 1, 10), ('b', 2, 'x'), ('c', 5, 2.5),
  ('A', 1, 1), ('1', 1, 1);
INSERT INTO wd VALUES (1, 'p'), (5, 'q'), (3, NULL), (-2, 'r');
CREATE TABLE dd(p INTEGER PRIMARY KEY, q REAL);
CREATE INDEX ddq ON dd(q DESC);
INSERT INTO dd VALUES (1, 5.5), (2, 1.25), (3, 9), (4, 5.5), (5, NULL), (6, 1.25), (7, 3);
";

#[test]
fn in_lookups() {
    for q in [
        "SELECT * FROM t WHERE a IN (1, 3, 3, NULL, 99, '4', 5.0)",
        "SELECT * FROM t WHERE a IN ()",
        "SELECT * FROM t WHERE rowid IN (SELECT c FROM t)",
        "SELECT * FROM t WHERE b IN ('x', 'y', 'x', NULL)",
        "SELECT * FROM t WHERE b IN (1, 'z')",
        "SELECT * FROM t WHERE c IN ('1', 3.0, 2)",
        "SELECT * FROM t WHERE c = 1 AND d IN (10, 20, '15')",
        "SELECT * FROM t WHERE c IN (1, 3) AND d > 5",
        "SELECT * FROM t WHERE c IN (1, 3) AND d IN (20, 2.5, 10)",
        "SELECT * FROM t WHERE c IN (SELECT c FROM t WHERE b = 'x')",
        "SELECT * FROM t WHERE b IN (SELECT b FROM t WHERE c = 1)",
        "SELECT * FROM t WHERE c IN (SELECT d FROM t)",
        "SELECT * FROM t WHERE b IN (SELECT x FROM n)",
        "SELECT * FROM n WHERE x IN ('A', 'a', 'B')",
        "SELECT * FROM n WHERE x IN (SELECT b FROM t)",
        "SELECT * FROM n WHERE y IN ('a', 'b')",
        "SELECT * FROM n WHERE x COLLATE BINARY IN ('A', 'b')",
        "SELECT * FROM w WHERE k IN ('a', 'c', 'a')",
        "SELECT * FROM w WHERE k = 'a' AND j IN (3, 1, '2')",
        "SELECT * FROM w WHERE v IN (10, 'x', 1)",
        "SELECT * FROM t AS o WHERE c IN (SELECT c FROM t WHERE t.a = o.a + 1)",
        "SELECT t.a, w.k FROM t, w WHERE w.k IN ('a', 'b') AND w.j = t.c",
    ] {
        check(SCHEMA, q);
    }
}

#[test]
fn rowid_ranges() {
    for q in [
        "SELECT * FROM t WHERE a > 3",
        "SELECT * FROM t WHERE a >= 3 AND a <= 6",
        "SELECT * FROM t WHERE a > 2.5 AND a < 6.5",
        "SELECT * FROM t WHERE a > '3' AND rowid < '7'",
        "SELECT * FROM t WHERE a < 'x'",
        "SELECT * FROM t WHERE a > 'x'",
        "SELECT * FROM t WHERE a > NULL",
        "SELECT * FROM t WHERE 4 < a",
        "SELECT * FROM t WHERE a BETWEEN 2 AND 4 ORDER BY a DESC",
        "SELECT * FROM t WHERE a > 2 ORDER BY rowid DESC LIMIT 3",
        "SELECT * FROM t WHERE a > -9223372036854775808 AND a < 9e18",
        "SELECT t.a, u.a FROM t, t AS u WHERE u.a > t.a AND u.a < t.a + 3 ORDER BY 1, 2",
    ] {
        check(SCHEMA, q);
    }
}

#[test]
fn order_by_uses_index_order() {
    for q in [
        "SELECT * FROM t ORDER BY b",
        "SELECT * FROM t ORDER BY b DESC",
        "SELECT * FROM t ORDER BY b NULLS LAST",
        "SELECT * FROM t ORDER BY b DESC NULLS FIRST, a",
        "SELECT * FROM t ORDER BY b COLLATE NOCASE, a",
        "SELECT * FROM t ORDER BY a DESC",
        "SELECT * FROM t ORDER BY rowid LIMIT 3 OFFSET 2",
        "SELECT c, d FROM t ORDER BY c, d",
        "SELECT c, d FROM t ORDER BY c DESC, d DESC",
        "SELECT c, d FROM t ORDER BY c, d DESC",
        "SELECT * FROM t WHERE c = 1 ORDER BY d",
        "SELECT * FROM t WHERE c = 1 ORDER BY d DESC",
        "SELECT * FROM t WHERE c = 1 AND d > 10 ORDER BY d DESC",
        "SELECT * FROM t WHERE c = 1 AND d < 20 ORDER BY d DESC",
        "SELECT * FROM t WHERE c = 1 AND d BETWEEN 10 AND 20 ORDER BY d DESC LIMIT 2",
        "SELECT * FROM t WHERE c > 1 ORDER BY c DESC",
        "SELECT * FROM t WHERE c < 3 ORDER BY c DESC",
        "SELECT * FROM t WHERE b = 'x' ORDER BY a DESC",
        "SELECT * FROM t WHERE c IN (3, 1) ORDER BY c",
        "SELECT * FROM t WHERE c IN (3, 1) ORDER BY c DESC, a",
        "SELECT DISTINCT c FROM t ORDER BY c",
        "SELECT * FROM n ORDER BY x",
        "SELECT * FROM n ORDER BY x COLLATE BINARY",
        "SELECT * FROM n ORDER BY y",
        "SELECT * FROM n ORDER BY y COLLATE NOCASE DESC",
        "SELECT * FROM w ORDER BY k, j",
        "SELECT * FROM w ORDER BY k DESC, j DESC",
        "SELECT * FROM w WHERE k = 'a' ORDER BY j DESC",
        "SELECT * FROM wd ORDER BY k",
        "SELECT * FROM wd ORDER BY k DESC",
        "SELECT * FROM wd WHERE k IN (5, -2, 1) ORDER BY k DESC",
        "SELECT * FROM wd WHERE k IN (5, -2, 1) ORDER BY k",
        "SELECT p, q FROM dd WHERE q IN (SELECT q FROM dd WHERE p < 5) ORDER BY 2 DESC, 1",
        "SELECT p, q FROM dd WHERE q IN (3, 9, 1.25) ORDER BY q DESC",
        "SELECT p, q FROM dd WHERE q IN (3, 9, 1.25) ORDER BY q, p",
        "SELECT p, q FROM dd ORDER BY q DESC, p DESC",
        "SELECT p, q FROM dd WHERE q > 2 ORDER BY q",
        "SELECT t.a, w.v FROM t JOIN w ON w.j = t.c ORDER BY t.b, t.a, w.k",
        "SELECT t.a, w.v FROM t LEFT JOIN w ON w.j = t.c ORDER BY t.a DESC",
        "SELECT t.a, w.v FROM w RIGHT JOIN t ON w.j = t.c ORDER BY w.k, t.a",
    ] {
        check(SCHEMA, q);
    }
}

#[test]
fn without_rowid_lookups_and_writes() {
    for q in [
        "SELECT * FROM w WHERE k = 'a'",
        "SELECT * FROM w WHERE k = 'a' AND j > 1",
        "SELECT * FROM w WHERE k = 'a' AND j = 2",
        "SELECT * FROM w WHERE k > 'a'",
        "SELECT * FROM w WHERE k < 'b'",
        "SELECT * FROM w WHERE k = 1",
        "SELECT * FROM w WHERE v = 10",
        "SELECT k, j FROM w WHERE v > 5",
        "SELECT * FROM wd WHERE k > 0",
        "SELECT * FROM wd WHERE k = 5",
        "SELECT t.a, w.v FROM t JOIN w ON w.k = t.b AND w.j = t.c",
        // The table cursor, on its NULL row after an unmatched row, is sought by key again.
        "SELECT a.k, a.j, b.k, b.j FROM w AS a FULL JOIN w AS b ON a.v = b.v ORDER BY 1, 2, 3, 4",
        "SELECT a.k, a.j, b.k, b.j FROM w AS a LEFT JOIN w AS b ON a.v = b.v ORDER BY 1, 2, 3, 4",
    ] {
        check(SCHEMA, q);
    }
    let writes = "UPDATE w SET v = 99 WHERE k = 'a' AND j IN (1, 3);
        DELETE FROM w WHERE k IN ('b', 'zz');
        UPDATE w SET j = j + 10 WHERE k = 'c';
        DELETE FROM w WHERE v = 1;
        UPDATE t SET d = 0 WHERE a IN (2, 4);
        DELETE FROM t WHERE c IN (3);
        DELETE FROM wd WHERE k > 2;";
    check(&format!("{SCHEMA}{writes}"), "SELECT * FROM w ORDER BY k, j");
    check(&format!("{SCHEMA}{writes}"), "SELECT * FROM t");
    check(&format!("{SCHEMA}{writes}"), "SELECT * FROM wd");
}

#[test]
fn covering_indexes() {
    for q in [
        "SELECT b FROM t WHERE b IN ('x', 'z')",
        "SELECT b, a FROM t WHERE b > 'x'",
        "SELECT c, d, a FROM t WHERE c = 1",
        "SELECT count(*) FROM t WHERE c = 1",
        "SELECT c, sum(d) FROM t WHERE c IN (1, 2) GROUP BY c",
        "SELECT t.b, (SELECT count(*) FROM t AS u WHERE u.c = t.c) FROM t WHERE b = 'x'",
        "SELECT t.b, u.d FROM t LEFT JOIN t AS u ON u.c = t.a WHERE t.b = 'x'",
        "SELECT k, j, v FROM w WHERE v = 10",
    ] {
        check(SCHEMA, q);
    }
}

/// Queries with one clearly best plan: Brisk's EXPLAIN QUERY PLAN lines must be SQLite's.
#[test]
fn plans_match_sqlite() {
    for q in [
        "SELECT * FROM t WHERE a IN (1, 2, 3)",
        "SELECT * FROM t WHERE a = 2",
        "SELECT * FROM t WHERE b IN ('x', 'y')",
        "SELECT b FROM t WHERE b IN ('x', 'y')",
        "SELECT * FROM t WHERE c = 1 AND d IN (1, 2)",
        "SELECT * FROM t WHERE c IN (1, 2) AND d > 5",
        "SELECT * FROM t WHERE c = 1 AND d > 5 AND d < 9",
        "SELECT * FROM t ORDER BY b",
        "SELECT * FROM t ORDER BY b LIMIT 3",
        "SELECT * FROM t ORDER BY a DESC",
        "SELECT * FROM t ORDER BY d",
        "SELECT c, d FROM t ORDER BY c DESC, d DESC",
        "SELECT * FROM t WHERE c = 5 ORDER BY d",
        "SELECT * FROM t WHERE b = 'x' ORDER BY a",
        "SELECT * FROM t WHERE b = 'x' ORDER BY c",
        "SELECT count(*) FROM t WHERE c = 1",
        "SELECT * FROM w WHERE k = 'a'",
        "SELECT * FROM w WHERE k = 'a' AND j > 3",
        "SELECT * FROM w WHERE k IN ('a', 'b')",
        "SELECT * FROM w WHERE v = 3",
        "SELECT k FROM w WHERE v = 3",
        "SELECT * FROM w ORDER BY k",
        "SELECT * FROM w ORDER BY k DESC, j DESC",
        "SELECT * FROM n ORDER BY x",
        "SELECT * FROM n ORDER BY x COLLATE BINARY",
        "SELECT * FROM t, w WHERE t.c = w.j AND w.k = 'a'",
        "SELECT * FROM t WHERE a > 5 AND a < 10",
        "SELECT * FROM t WHERE rowid >= 3",
        "SELECT * FROM t WHERE a < 4 ORDER BY a DESC",
        "SELECT * FROM t WHERE a = (SELECT c FROM w WHERE k = 'c')",
        "SELECT * FROM t WHERE b IN (SELECT b FROM t WHERE c = 1)",
        "SELECT * FROM t AS u WHERE u.a = 1",
        "SELECT * FROM t AS u WHERE u.b = 'x'",
        "SELECT (SELECT b FROM t AS u WHERE u.a = t.c) FROM t WHERE a > 3 AND a < 9",
    ] {
        check_plan(SCHEMA, q);
    }
    let plain =
        "CREATE TABLE p(x, y); CREATE TABLE q(x, y); INSERT INTO p VALUES (1, 2), (3, 4); INSERT INTO q VALUES (3, 4);";
    for q in ["SELECT x FROM p UNION ALL SELECT x FROM q", "SELECT x, (SELECT count(*) FROM q WHERE q.x = p.x) FROM p"]
    {
        check_plan(plain, q);
    }
}

#[test]
fn dml_plans_match_sqlite() {
    for q in [
        "UPDATE w SET v = 1 WHERE k = 'a' AND j = 2",
        "DELETE FROM w WHERE k IN ('a', 'b')",
        "DELETE FROM t WHERE a IN (1, 2)",
        "UPDATE t SET d = 1 WHERE c = 2",
    ] {
        let (b, s) = plans(SCHEMA, q);
        assert_eq!(b, s, "plans differ for {q}");
    }
}

/// A SELECT without FROM scans one constant row; a VALUES clause of several rows is a scan of it.
#[test]
fn constant_rows_match_sqlite() {
    let setup = "CREATE TABLE t(a, b);";
    for q in [
        "SELECT 1",
        "SELECT count(*)",
        "SELECT 1 WHERE 0",
        "SELECT (SELECT 1)",
        "SELECT a FROM t WHERE a = (SELECT 2)",
        "VALUES (1)",
        "VALUES (1), (2)",
        "SELECT a, b FROM t UNION ALL SELECT 1, 2",
    ] {
        check_plan(setup, q);
    }
}

/// Subqueries, compound members and materialized FROM subqueries nest their lines under their
/// own, as SQLite's plan tree does.
#[test]
fn plan_lines_nest_like_sqlite() {
    let setup = "CREATE TABLE t(a, b); CREATE INDEX ta ON t(a); CREATE TABLE u(c, d);";
    for q in [
        "SELECT * FROM t WHERE a IN (SELECT c FROM u WHERE d > 2)",
        "SELECT c, (SELECT b FROM t WHERE t.a = u.c) FROM u",
        "SELECT b FROM t UNION ALL SELECT c FROM u",
        "SELECT * FROM (SELECT b, count(*) FROM t GROUP BY b) AS x LEFT JOIN u ON u.c > 1",
    ] {
        check_plan(setup, q);
    }
}

/// A query with window functions: a co-routine per window, the first outermost, each sorting
/// by its window unless an index gives the order; and GROUP BY's ORDER BY sort where the ORDER BY
/// is not the GROUP BY.
#[test]
fn window_and_group_by_plans_match_sqlite() {
    let setup = "CREATE TABLE t(a INTEGER PRIMARY KEY, b, c);";
    for q in [
        "SELECT a, row_number() OVER (ORDER BY a DESC) FROM t",
        "SELECT a, row_number() OVER (ORDER BY a) FROM t",
        "SELECT sum(a) OVER () FROM t",
        "SELECT a, row_number() OVER (ORDER BY a DESC), rank() OVER (PARTITION BY b ORDER BY c), sum(a) OVER () FROM t ORDER BY c",
        "SELECT b, sum(c), row_number() OVER (ORDER BY sum(c)) FROM t GROUP BY b ORDER BY 1",
        "SELECT b, c, sum(a) FROM t GROUP BY b, c ORDER BY 1 DESC, 2",
        "SELECT b, c, sum(a) FROM t GROUP BY b, c ORDER BY c, b",
        "SELECT b, sum(a) FROM t GROUP BY b ORDER BY b NULLS LAST",
        "SELECT b, sum(a) FROM t GROUP BY b ORDER BY 2",
    ] {
        check_plan(setup, q);
    }
}
