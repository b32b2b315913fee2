//! Parenthesized joins in FROM, in every form SQLite accepts, and `NATURAL CROSS JOIN`. Each
//! query runs through Brisk and bundled SQLite (rusqlite) on the same data, and the two answers
//! (column names and rows, or the error message) must agree. Queries with ORDER BY compare rows
//! in order; the others compare as multisets, since SQL leaves their order open.
//!
//! SQLite splices a group that starts the FROM clause into it, takes a one-table group as that
//! table, and compiles any other group as a subquery whose columns keep their inner tables'
//! names (SF_NestedFrom): these tests cover outer joins inside and around groups, USING and
//! NATURAL with groups, aliases, `*` and `t.*`, qualified and bare names, NULL rows, groups two
//! deep, and the ambiguity errors.

mod common;
use common::check_all_named as check_all;

/// Tables sharing a column `x` (with NULLs and duplicates), an INTEGER PRIMARY KEY table, an
/// empty table and one with typed columns.
const DATA: &str = "CREATE TABLE a(x, y); CREATE TABLE b(x, z); CREATE TABLE c(x, w); CREATE TABLE d(w, v);
    CREATE TABLE e(x, q); CREATE TABLE p(id INTEGER PRIMARY KEY, x);
    CREATE TABLE t(x INTEGER, s TEXT COLLATE NOCASE); CREATE INDEX ax ON a(x);
    INSERT INTO a VALUES (1, 'a1'), (2, 'a2'), (NULL, 'an'), (2, 'a2b'), (5, 'a5');
    INSERT INTO b VALUES (2, 'b2'), (3, 'b3'), (NULL, 'bn'), (5, 'b5');
    INSERT INTO c VALUES (3, 'c3'), (4, 'c4'), (1, 'c1'), (5, 'c5');
    INSERT INTO d VALUES ('c4', 'd4'), ('c1', 'd1'), ('zz', 'dz');
    INSERT INTO p VALUES (1, 2), (7, 3), (9, NULL);
    INSERT INTO t VALUES (2, 'B2'), (5, 'x');";

#[test]
fn outer_joins_inside_parentheses() {
    check_all(
        DATA,
        &[
            // A group that starts the FROM clause is spliced into it.
            "SELECT * FROM (a LEFT JOIN b ON a.x = b.x) JOIN c ON c.x = a.x",
            "SELECT * FROM (a LEFT JOIN b ON a.x = b.x) LEFT JOIN c ON c.x = b.x",
            "SELECT * FROM (a RIGHT JOIN b ON a.x = b.x) FULL JOIN c ON c.x = b.x",
            "SELECT x FROM (a LEFT JOIN b USING (x)) LEFT JOIN c USING (x)",
            // Anywhere else it is a subquery.
            "SELECT * FROM c JOIN (a LEFT JOIN b ON a.x = b.x) ON c.x = a.x",
            "SELECT * FROM c, (a LEFT JOIN b ON a.x = b.x) ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
            "SELECT * FROM c JOIN (a RIGHT JOIN b ON a.x = b.x) ON c.x = b.x",
            "SELECT * FROM c JOIN (a FULL JOIN b ON a.x = b.x) ON c.x IS b.x OR c.x IS a.x",
            "SELECT * FROM c CROSS JOIN (a FULL JOIN b ON a.x = b.x) WHERE c.x = 5",
            "SELECT a.y, b.z, c.w FROM c JOIN (a LEFT JOIN b ON a.x = b.x) ON c.x = a.x WHERE b.z IS NULL",
            "SELECT count(*), count(b.x), group_concat(a.y) FROM c JOIN (a LEFT JOIN b ON a.x = b.x) ON 1",
            "SELECT a.x, count(*) FROM c JOIN (a LEFT JOIN b ON a.x = b.x) ON c.x <= a.x GROUP BY a.x ORDER BY 1",
            "SELECT DISTINCT b.z FROM c, (a LEFT JOIN b ON a.x = b.x) ORDER BY 1 LIMIT 2",
        ],
    );
}

#[test]
fn groups_on_the_right_of_outer_joins() {
    check_all(
        DATA,
        &[
            "SELECT * FROM a LEFT JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x",
            "SELECT * FROM a LEFT JOIN (b JOIN c ON b.x = c.x) ON a.x = c.x ORDER BY a.y",
            "SELECT a.y, b.z, c.w FROM a LEFT JOIN (b LEFT JOIN c ON b.x = c.x) ON a.x = b.x",
            "SELECT a.y, b.z, c.w FROM a RIGHT JOIN (b LEFT JOIN c ON b.x = c.x) ON a.x = b.x",
            "SELECT a.y, b.z, c.w FROM a FULL JOIN (b RIGHT JOIN c ON b.x = c.x) ON a.x = c.x",
            "SELECT a.y, b.z, c.w FROM a LEFT JOIN (b, c) ON a.x = b.x AND b.x = c.x",
            "SELECT * FROM a LEFT JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x WHERE c.w IS NULL",
            "SELECT * FROM e LEFT JOIN (b JOIN c ON b.x = c.x) ON 1",
            "SELECT * FROM a LEFT JOIN (e JOIN c ON e.x = c.x) ON 1",
            "SELECT a.y, c.w, d.v FROM a LEFT JOIN (c LEFT JOIN d ON c.w = d.w) ON a.x = c.x",
            // Inner joins inside and around: the answers do not depend on the grouping.
            "SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x",
            "SELECT * FROM a, (b, c) WHERE a.x = b.x AND b.x = c.x",
            "SELECT a.y, b.z FROM a JOIN (b CROSS JOIN c) ON a.x = b.x AND c.x = 4",
            // The group's ON sees only the group's tables.
            "SELECT * FROM a LEFT JOIN (b JOIN c ON c.x = a.x) ON a.x = b.x",
            // Inside a subquery, correlated through the group's ON.
            "SELECT a.y, (SELECT count(*) FROM b LEFT JOIN (c JOIN d ON c.w = d.w) ON b.x = c.x WHERE b.x >= a.x) FROM a",
            "SELECT y FROM a WHERE EXISTS (SELECT 1 FROM e RIGHT JOIN (b LEFT JOIN c USING (x)) ON 0 WHERE b.x = a.x)",
            "SELECT * FROM (SELECT b.z, c.w FROM a LEFT JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x) ORDER BY 1, 2",
        ],
    );
}

#[test]
fn using_and_natural_with_groups() {
    check_all(
        DATA,
        &[
            "SELECT * FROM a LEFT JOIN (b JOIN c USING (x)) USING (x)",
            "SELECT * FROM a LEFT JOIN (b JOIN c ON b.x = c.x) USING (x)",
            "SELECT * FROM a JOIN (b LEFT JOIN c USING (x)) USING (x)",
            "SELECT * FROM a RIGHT JOIN (b LEFT JOIN c USING (x)) USING (x)",
            "SELECT * FROM a FULL JOIN (b LEFT JOIN c USING (x)) USING (x)",
            "SELECT x, y, z, w FROM a FULL JOIN (b RIGHT JOIN c USING (x)) USING (x)",
            "SELECT x FROM a LEFT JOIN (b JOIN c USING (x)) USING (x)",
            "SELECT x FROM a JOIN (b LEFT JOIN c ON b.x = c.x) AS g USING (x)",
            "SELECT * FROM a NATURAL LEFT JOIN (b NATURAL JOIN c)",
            "SELECT * FROM a NATURAL JOIN (b LEFT JOIN c USING (x))",
            "SELECT * FROM a NATURAL RIGHT JOIN (c NATURAL LEFT JOIN d)",
            "SELECT * FROM c NATURAL JOIN (b, d)",
            "SELECT * FROM (b JOIN c USING (x) JOIN e USING (x)) AS g",
            "SELECT * FROM a, (b JOIN c USING (x) JOIN e USING (x))",
            "SELECT * FROM a, (b FULL JOIN c USING (x))",
            "SELECT x FROM e, (b FULL JOIN c USING (x))",
            "SELECT b.x, c.x FROM a LEFT JOIN (b JOIN c USING (x)) USING (x)",
            "SELECT c.* FROM a, (b JOIN c USING (x))",
            "SELECT * FROM a LEFT JOIN (b JOIN c USING (x)) ON a.x = b.x WHERE x > 0",
            // A USING column must be in the group.
            "SELECT * FROM a JOIN (b JOIN c ON 1) USING (y)",
            "SELECT * FROM a JOIN (b JOIN c USING (x) JOIN a AS a2 ON 1) ON 1",
        ],
    );
}

#[test]
fn aliased_groups_and_star() {
    check_all(
        DATA,
        &[
            "SELECT g.x, g.z, g.w FROM a LEFT JOIN (b JOIN c ON b.x = c.x) AS g ON a.x = g.x",
            "SELECT b.x, c.w, g.w FROM a LEFT JOIN (b JOIN c ON b.x = c.x) AS g ON a.x = b.x",
            "SELECT * FROM a LEFT JOIN (b JOIN c ON b.x = c.x) AS g ON a.x = g.x",
            "SELECT * FROM (b LEFT JOIN c ON b.x = c.x) AS g, a",
            "SELECT * FROM (b LEFT JOIN c USING (x)) AS g",
            "SELECT * FROM (b LEFT JOIN c ON b.x = c.x) AS g",
            "SELECT g.* FROM a, (b JOIN c ON b.x = c.x) AS g",
            "SELECT c.*, b.* FROM a, (b JOIN c ON b.x = c.x) AS g",
            "SELECT c.* FROM (b JOIN c ON b.x = c.x) AS g",
            "SELECT a.*, c.* FROM (a LEFT JOIN b ON a.x = b.x) AS g, c",
            "SELECT b.*, a.* FROM a LEFT JOIN (b RIGHT JOIN c ON b.x = c.x) ON a.x = c.x",
            "SELECT z.* FROM a, (b JOIN c ON 1)",
            "SELECT g.x FROM a, (b JOIN c ON b.x = c.x) AS g WHERE g.w > 'c'",
            "SELECT g.x, g.y FROM (a LEFT JOIN b ON a.x = b.x) AS g ORDER BY 1, 2",
            "SELECT * FROM (a LEFT JOIN b ON a.x = b.x) AS g JOIN c ON c.x = g.x",
            "SELECT * FROM a JOIN ((b LEFT JOIN c ON b.x = c.x)) AS g ON a.x = g.x",
            // One table in parentheses is that table; its own alias holds only where it starts
            // the FROM clause.
            "SELECT y.x FROM (a AS y), b",
            "SELECT y.x FROM b, (a AS y)",
            "SELECT a.x FROM b, (a AS y)",
            "SELECT q.x FROM b, (a AS y) AS q",
            "SELECT * FROM b LEFT JOIN (a) ON a.x = b.x",
            "SELECT y.x FROM b, (a y)",
            "SELECT a.y FROM b, (a y) WHERE a.x = b.x",
            "SELECT q.y FROM (a AS y) AS q, b WHERE q.x = b.x",
            "SELECT y.y FROM (a AS y), b WHERE y.x = b.x",
            "SELECT * FROM b JOIN (a INDEXED BY ax) ON a.x = b.x",
            "SELECT * FROM b JOIN (main.a) ON a.x = b.x",
            "SELECT q.k FROM b, ((SELECT 1 AS k) s) q",
            "SELECT s.k FROM b, ((SELECT 1 AS k) s)",
            "SELECT * FROM b LEFT JOIN ((SELECT x, 1 AS k FROM a) AS s) AS q ON q.x = b.x",
        ],
    );
}

#[test]
fn names_through_groups() {
    check_all(
        DATA,
        &[
            // Bare names: one inner column answers; two are ambiguous, as in SQLite.
            "SELECT y, z, w FROM d, (a LEFT JOIN b ON a.x = b.x) LEFT JOIN c ON c.w = d.w",
            "SELECT x FROM a LEFT JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x",
            "SELECT x FROM d, (b JOIN c ON b.x = c.x)",
            "SELECT x FROM d, (b JOIN c USING (x))",
            "SELECT v FROM d, (b JOIN c USING (x))",
            "SELECT x FROM a JOIN (b LEFT JOIN c USING (x)) AS g ON 1",
            "SELECT * FROM (b JOIN c USING (x) LEFT JOIN a ON a.x = b.x) AS g",
            "SELECT 1 FROM d, (b JOIN c USING (x) LEFT JOIN a ON a.x = b.x)",
            // Missing names.
            "SELECT b.nope FROM a LEFT JOIN (b JOIN c ON 1) ON 1",
            "SELECT nope.x FROM a LEFT JOIN (b JOIN c ON 1) ON 1",
            "SELECT g.nope FROM a LEFT JOIN (b JOIN c ON 1) AS g ON 1",
            "SELECT nope FROM a LEFT JOIN (b JOIN c ON 1) ON 1",
            // Names in WHERE, ORDER BY, GROUP BY and expressions.
            "SELECT b.z || '-' || ifnull(c.w, '?') AS bw FROM a LEFT JOIN (b LEFT JOIN c ON b.x = c.x) ON a.x = b.x WHERE a.x > 1 ORDER BY bw",
            "SELECT c.w, count(*) FROM a LEFT JOIN (b RIGHT JOIN c ON b.x = c.x) ON a.x = c.x GROUP BY c.w ORDER BY c.w",
            "SELECT w FROM a LEFT JOIN (b LEFT JOIN c ON b.x = c.x) ON a.x = b.x ORDER BY w DESC, y",
            // Rowids and INTEGER PRIMARY KEYs of the inner tables.
            "SELECT b.rowid, c.oid FROM a LEFT JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x",
            "SELECT * FROM a LEFT JOIN (p JOIN b ON p.x = b.x) ON a.x = p.x",
            "SELECT p.id, p.rowid, b.x FROM a LEFT JOIN (p JOIN b ON p.x = b.x) ON a.x = p.x",
            "SELECT * FROM b, (p JOIN p AS p2 ON p.id = p2.id)",
            // Affinity and collation come with the column.
            "SELECT t.s FROM a LEFT JOIN (t JOIN b ON t.x = b.x) ON a.x = t.x WHERE t.s = 'b2'",
            "SELECT t.x FROM a LEFT JOIN (t JOIN b ON t.x = b.x) ON a.x = t.x WHERE t.x = '2'",
        ],
    );
}

#[test]
fn groups_two_deep() {
    check_all(
        DATA,
        &[
            "SELECT * FROM a LEFT JOIN (b LEFT JOIN (c JOIN d ON c.w = d.w) ON b.x = c.x) ON a.x = b.x",
            "SELECT a.y, b.z, c.w, d.v FROM a LEFT JOIN (b RIGHT JOIN (c LEFT JOIN d ON c.w = d.w) ON b.x = c.x) ON a.x = c.x",
            "SELECT * FROM a FULL JOIN (b LEFT JOIN (c LEFT JOIN d USING (w)) USING (x)) USING (x)",
            "SELECT x, w FROM a LEFT JOIN (b LEFT JOIN (c LEFT JOIN d USING (w)) USING (x)) USING (x)",
            "SELECT c.*, g.* FROM a LEFT JOIN (b LEFT JOIN (c JOIN d ON c.w = d.w) AS h ON b.x = h.x) AS g ON a.x = g.x",
            "SELECT h.w, g.z FROM a LEFT JOIN (b LEFT JOIN (c JOIN d ON c.w = d.w) AS h ON b.x = h.x) AS g ON a.x = g.x",
            "SELECT * FROM e, (a LEFT JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x)",
            "SELECT * FROM d, ((a LEFT JOIN b ON a.x = b.x) LEFT JOIN c ON c.x = a.x) WHERE d.w = c.w",
        ],
    );
}

#[test]
fn natural_cross_join_is_a_natural_join() {
    check_all(
        DATA,
        &[
            "SELECT * FROM a NATURAL CROSS JOIN b",
            "SELECT * FROM a natural cross join c ORDER BY y",
            "SELECT * FROM c NATURAL CROSS JOIN d NATURAL CROSS JOIN b",
            "SELECT * FROM a NATURAL CROSS JOIN (b LEFT JOIN c USING (x))",
            "SELECT * FROM a NATURAL CROSS JOIN d",
            "SELECT * FROM a NATURAL CROSS JOIN b ON a.x = b.x",
            "SELECT * FROM a NATURAL CROSS JOIN b USING (x)",
        ],
    );
}
