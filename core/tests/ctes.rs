//! Common table expressions and compound ORDER BY, each query run through Brisk and bundled
//! SQLite (rusqlite), rows compared in order: a recursive CTE's rows come in the order its
//! queue hands them out, so order is part of the answer.

mod common;
use common::check;

const EMP: &str = "CREATE TABLE emp(id INTEGER PRIMARY KEY, boss INTEGER, name TEXT COLLATE NOCASE);
    INSERT INTO emp VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'd'), (5, 4, 'C'), (6, 3, 'e');";

#[test]
fn recursive_ctes_with_order_by_use_a_priority_queue() {
    for q in [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c ORDER BY 1 LIMIT 5 OFFSET 2) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 3 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT x - 1 FROM c WHERE x > 0 ORDER BY 1) SELECT * FROM c",
        // Equal keys leave the queue in the order they entered it.
        "WITH RECURSIVE c(x, y) AS (SELECT 3, 'a' UNION ALL SELECT 3, 'b' UNION ALL SELECT x - 1, y FROM c WHERE x > 0 ORDER BY 1 DESC) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 'B' UNION ALL SELECT 'a' UNION ALL SELECT x || 'x' FROM c WHERE length(x) < 3 ORDER BY 1 COLLATE NOCASE) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 2 UNION ALL SELECT NULL UNION ALL SELECT x + 1 FROM c WHERE x < 4 ORDER BY 1 NULLS LAST) SELECT quote(x) FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 AS n UNION ALL SELECT x + 1 FROM c WHERE x < 5 ORDER BY n DESC LIMIT 3) SELECT * FROM c",
        // An ORDER BY expression matches a recursive step's result expression.
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5 ORDER BY x + 1) SELECT * FROM c",
        "WITH RECURSIVE c(x, y) AS (SELECT 1 AS a, 'q' AS b UNION ALL SELECT x + 1, 'p' FROM c WHERE x < 3 ORDER BY b, a DESC) SELECT * FROM c",
        // Depth-first and breadth-first walks of a tree, the documented idiom; the column's
        // NOCASE collation orders the queue. (Names and ids of siblings sort alike, so the
        // step's rows come in the same order whichever way each engine scans `emp`.)
        "WITH RECURSIVE t(id, name, depth) AS (SELECT id, name, 0 FROM emp WHERE boss IS NULL
            UNION ALL SELECT emp.id, emp.name, depth + 1 FROM emp JOIN t ON emp.boss = t.id ORDER BY 3 DESC)
            SELECT group_concat(name, '/') FROM t",
        "WITH RECURSIVE t(id, name, depth) AS (SELECT id, name, 0 FROM emp WHERE boss IS NULL
            UNION ALL SELECT emp.id, emp.name, depth + 1 FROM emp JOIN t ON emp.boss = t.id ORDER BY 2)
            SELECT group_concat(name, '/') FROM t",
        "WITH RECURSIVE t(id, name, depth) AS (SELECT id, name, 0 FROM emp WHERE boss IS NULL
            UNION SELECT emp.id, emp.name, depth + 1 FROM emp JOIN t ON emp.boss = t.id ORDER BY 3, 2 DESC)
            SELECT group_concat(name, '/') FROM t",
    ] {
        check(EMP, q);
    }
}

#[test]
fn recursive_ctes_with_offset_limit_and_several_steps() {
    for q in [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5 LIMIT 2 OFFSET 1) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 LIMIT -1 OFFSET 2) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3 OFFSET -1) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 0) SELECT count(*) FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 ORDER BY 1 LIMIT 10 OFFSET 2) SELECT * FROM c",
        // Several anchors and several recursive steps, each step run for every row taken.
        "WITH RECURSIVE c(x) AS (SELECT 5 UNION ALL SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 7 UNION ALL SELECT x * 10 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 5 UNION ALL SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 7 UNION ALL SELECT x * 10 FROM c WHERE x < 3 ORDER BY 1) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM c WHERE x < 3 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 2 UNION SELECT 1 UNION SELECT x + 1 FROM c WHERE x < 3 UNION SELECT x + 2 FROM c WHERE x < 3) SELECT * FROM c",
        // UNION: a row queued once is never queued again, so this recursion ends.
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x % 3 + 1 FROM c) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 'a' UNION SELECT upper(x) FROM c UNION SELECT lower(x) FROM c) SELECT * FROM c",
        // RECURSIVE is optional: a CTE naming itself in its last term recurses.
        "WITH c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (VALUES (1) UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c AS cc WHERE cc.x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM (SELECT 1 AS z) LEFT JOIN c ON z = x WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c",
        // Recursive CTEs used twice, inside another, and inside a correlated subquery.
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT * FROM c, c AS d ORDER BY 1, 2",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3),
            d(y) AS (SELECT x FROM c UNION ALL SELECT y * 2 FROM d WHERE y < 10) SELECT * FROM d",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3)
            SELECT x, (WITH RECURSIVE d(y) AS (SELECT x UNION ALL SELECT y + 1 FROM d WHERE y < 3) SELECT group_concat(y) FROM d) FROM c",
        // A long FIFO queue stays linear.
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT count(*), sum(x) FROM c",
    ] {
        check(EMP, q);
    }
}

#[test]
fn recursive_cte_errors_match_sqlite() {
    for q in [
        "WITH RECURSIVE c(x) AS (SELECT x FROM c UNION ALL SELECT 1) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT c.x + 1 FROM c, c AS d WHERE c.x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT max(x) + 1 FROM c) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 GROUP BY x) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 INTERSECT SELECT 2) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT max(x) FROM c)) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM (SELECT * FROM c) WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT 2 WHERE EXISTS (SELECT 1 FROM c)) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 AND (SELECT 1 FROM c) UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 5 UNION SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 7 UNION SELECT x * 10 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 UNION ALL VALUES (9)) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5 ORDER BY 2) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 ORDER BY nosuch) SELECT * FROM c",
        "WITH RECURSIVE c(x, y) AS (SELECT 1 AS a, 'q' UNION ALL SELECT x + 1, 'p' FROM c WHERE x < 3 ORDER BY y) SELECT * FROM c",
        "WITH RECURSIVE c(x, y) AS (SELECT 1, 2 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 UNION ALL SELECT x, x FROM c WHERE x < 3) SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 ORDER BY 1 LIMIT 'a') SELECT * FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM main.c WHERE x < 3) SELECT * FROM c",
    ] {
        check(EMP, q);
    }
}

#[test]
fn a_cte_naming_itself_is_a_circular_reference() {
    let setup = "CREATE TABLE c(x); INSERT INTO c VALUES (7);";
    for q in [
        "WITH c AS (SELECT * FROM c) SELECT * FROM c",
        "WITH c AS (SELECT x + 1 FROM c UNION ALL SELECT 1) SELECT * FROM c",
        "WITH c AS (SELECT * FROM main.c) SELECT * FROM c",
        // A CTE of the same name inside the body hides the outer one.
        "WITH c AS (SELECT x FROM (WITH c AS (SELECT 5 AS x) SELECT x FROM c)) SELECT * FROM c",
    ] {
        check(setup, q);
    }
}

#[test]
fn compound_order_by_names_result_columns() {
    let setup = "CREATE TABLE t(a COLLATE NOCASE, b); INSERT INTO t VALUES ('b', 1), ('A', 2);";
    for q in [
        // Each column sorts with its compound collation.
        "SELECT a FROM t UNION ALL SELECT 'B' ORDER BY 1",
        "SELECT a FROM t UNION SELECT 'B' ORDER BY 1 COLLATE BINARY",
        "SELECT * FROM t UNION ALL SELECT 'B', 0 ORDER BY b",
        "SELECT a, b FROM t UNION ALL SELECT 'B', 0 ORDER BY t.b",
        "SELECT a, b + 1 FROM t UNION ALL SELECT 'B', 0 ORDER BY b + 1",
        "SELECT a, b + 1 FROM t UNION ALL SELECT 'B', 0 AS z ORDER BY z DESC",
        "SELECT a AS b, b AS a FROM t UNION ALL SELECT 'z', 9 ORDER BY a",
        "VALUES (1, 2) UNION ALL SELECT a, b FROM t ORDER BY b",
        "SELECT 1 AS a, 3 AS b UNION SELECT 2, 1 ORDER BY b COLLATE NOCASE DESC",
        "SELECT 1 AS a UNION SELECT 2 ORDER BY nosuch",
        "SELECT 1 AS a UNION SELECT 2 ORDER BY a + 1",
        "SELECT a, b FROM t UNION ALL SELECT 'B', 0 ORDER BY 3",
        "SELECT a, b FROM t UNION ALL SELECT 'B', 0 ORDER BY 0",
        "SELECT a FROM t UNION SELECT 'B' ORDER BY 1 COLLATE nosuch",
    ] {
        check(setup, q);
    }
}
