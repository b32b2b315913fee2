//! Subqueries, views and CTEs in FROM, each query run through Brisk and bundled SQLite
//! (rusqlite). The first table of a FROM clause streams as a co-routine, as in SQLite: rows it
//! never hands out are never computed, so a LIMIT stops it before a row that would fail.

mod common;
use common::check;

const T: &str = "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z');
    CREATE VIEW v AS SELECT CASE WHEN a = 2 THEN abs(-9223372036854775807 - 1) ELSE a END AS x FROM t;";

#[test]
fn the_first_derived_table_streams() {
    for q in [
        // Row 2 overflows: materializing the subquery first would fail where SQLite does not.
        "SELECT x FROM (SELECT CASE WHEN a = 2 THEN abs(-9223372036854775807 - 1) ELSE a END AS x FROM t) LIMIT 1",
        "SELECT x FROM v LIMIT 1",
        "WITH c AS (SELECT CASE WHEN a = 2 THEN abs(-9223372036854775807 - 1) ELSE a END AS x FROM t) SELECT x FROM c LIMIT 1",
        "SELECT x FROM v",
        "SELECT x FROM v LIMIT 2",
    ] {
        check(T, q);
    }
}

#[test]
fn derived_tables_in_joins_and_subqueries() {
    for q in [
        "SELECT * FROM (SELECT a, b FROM t WHERE a > 1) AS x LEFT JOIN t AS u ON u.a = x.a + 1",
        "SELECT * FROM (SELECT a, b FROM t WHERE a > 1) AS x RIGHT JOIN t AS u ON u.a = x.a + 1",
        "SELECT * FROM (SELECT 1 AS one) FULL JOIN t ON a = one",
        "SELECT a, (SELECT count(*) FROM (SELECT * FROM t AS w WHERE w.a <= t.a) AS q JOIN t AS z ON z.a = q.a) FROM t",
        "SELECT count(*), sum(a) FROM (SELECT a FROM t UNION ALL SELECT a FROM t)",
        "SELECT * FROM (SELECT * FROM (SELECT a * 10 AS k FROM t) WHERE k > 10) AS y, t WHERE t.a * 10 = y.k",
        "WITH c AS (SELECT a FROM t) SELECT * FROM c AS c1, c AS c2 WHERE c1.a < c2.a ORDER BY 1, 2",
        "SELECT b, n FROM (SELECT a, count(*) AS n FROM t GROUP BY a) AS g JOIN t USING (a) ORDER BY b DESC",
        "SELECT DISTINCT x FROM (SELECT a % 2 AS x FROM t) ORDER BY x",
        "SELECT x FROM (SELECT a AS x FROM t ORDER BY a DESC LIMIT 2) ORDER BY x",
        "SELECT * FROM (VALUES (1), (2)) AS v, t WHERE t.a = v.column1",
        "SELECT max(k), min(k) FROM (SELECT a + 1 AS k FROM t WHERE b <> 'y')",
        "SELECT count(*) FROM (SELECT a FROM t)",
        "SELECT (SELECT x FROM (SELECT t.a * 2 AS x)) FROM t",
        "SELECT * FROM t WHERE a IN (SELECT x FROM (SELECT a + 1 AS x FROM t))",
        "SELECT * FROM (SELECT a FROM t) AS p, (SELECT b FROM t) AS q WHERE p.a = 2 ORDER BY q.b",
        "SELECT * FROM (SELECT * FROM (SELECT * FROM (SELECT a FROM t WHERE a < 3)))",
        "SELECT sum(x) FROM (SELECT a AS x FROM t) GROUP BY x % 2 ORDER BY 1",
    ] {
        check(T, q);
    }
}

/// A subquery's column whose expression has no affinity (a literal, EXISTS, arithmetic) is not
/// a BLOB column: compared with a TEXT operand it takes TEXT affinity, as SQLite's
/// SQLITE_AFF_NONE does.
#[test]
fn columns_without_affinity_compare_as_sqlite() {
    for q in [
        "SELECT CAST(0 AS TEXT) >= x FROM (SELECT EXISTS(SELECT 1) AS x)",
        "SELECT CAST(0 AS TEXT) >= x, x = '1', x < '1' FROM (SELECT 1 AS x)",
        "SELECT x = '2', b = x FROM (SELECT a + 1 AS x, b FROM t)",
        "WITH c(x) AS (SELECT 1) SELECT x = '1', CAST(x AS TEXT) = x FROM c",
        "SELECT x = '1' FROM (SELECT a AS x FROM t)",
        "SELECT CAST(1 / 3 AS TEXT) BETWEEN EXISTS(SELECT 1) AND 2, count(*) OVER () FROM t",
    ] {
        check(T, q);
    }
}
