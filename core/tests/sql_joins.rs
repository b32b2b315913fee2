//! Outer joins (LEFT chains, RIGHT, FULL) through the public API, each query run through Brisk
//! and bundled SQLite (rusqlite) on the same data. Queries with ORDER BY over every column compare
//! rows in order; the others compare as multisets, since SQL leaves their order open and the two
//! planners may pick different loop orders.

mod common;
use brisk::Value;
use common::{check_all_named as check_all, to_value};

/// Three tables sharing a column `x` (with NULLs and duplicates), one more, and an empty one.
const ABC: &str = "CREATE TABLE a(x, y); CREATE TABLE b(x, z); CREATE TABLE c(x, w); CREATE TABLE d(w, v);
    CREATE TABLE e(x, q);
    INSERT INTO a VALUES (1, 'a1'), (2, 'a2'), (NULL, 'an'), (2, 'a2b'), (5, 'a5');
    INSERT INTO b VALUES (2, 'b2'), (3, 'b3'), (NULL, 'bn'), (5, 'b5');
    INSERT INTO c VALUES (3, 'c3'), (4, 'c4'), (1, 'c1'), (5, 'c5');
    INSERT INTO d VALUES ('c4', 'd4'), ('c1', 'd1'), ('zz', 'dz');";

#[test]
fn right_and_full_joins() {
    check_all(
        ABC,
        &[
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x",
            "SELECT * FROM a RIGHT OUTER JOIN b ON a.x = b.x ORDER BY 1, 2, 3, 4",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x",
            "SELECT * FROM a FULL OUTER JOIN b ON a.x = b.x ORDER BY 1, 2, 3, 4",
            "SELECT * FROM a RIGHT JOIN b ON 0",
            "SELECT * FROM a FULL JOIN b ON 0",
            "SELECT * FROM a FULL JOIN b ON 1",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x AND a.y <> 'a2'",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x AND b.z = 'b5'",
            "SELECT * FROM a RIGHT JOIN b ON a.x IS b.x",
            // Empty tables on either side.
            "SELECT * FROM e RIGHT JOIN b ON e.x = b.x",
            "SELECT * FROM b RIGHT JOIN e ON e.x = b.x",
            "SELECT * FROM e FULL JOIN b ON e.x = b.x",
            "SELECT * FROM b FULL JOIN e ON e.x = b.x",
            "SELECT * FROM e FULL JOIN e AS e2 ON 1",
            // The same table on both sides.
            "SELECT * FROM a AS p FULL JOIN a AS q ON p.x = q.x + 1",
        ],
    );
}

#[test]
fn where_terms_apply_after_outer_joins() {
    check_all(
        ABC,
        &[
            // Anti-joins: the unmatched rows only.
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x WHERE b.x IS NULL",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x WHERE a.x IS NULL",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x WHERE a.y IS NULL OR b.z IS NULL",
            // WHERE on either side filters the joined rows, not the inputs.
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x WHERE a.y = 'a2'",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x WHERE b.z <> 'b2'",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x WHERE a.x > 1",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x WHERE coalesce(a.x, b.x) >= 3",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x WHERE b.z = 'b2' OR a.x = 1",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x WHERE 1",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x WHERE 0",
            // ON against WHERE: the same term gives different answers.
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x AND b.z = 'b2'",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x WHERE b.z = 'b2'",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x AND a.y = 'a2'",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x WHERE a.y = 'a2'",
        ],
    );
}

#[test]
fn chains_of_joins() {
    check_all(
        ABC,
        &[
            // LEFT JOIN followed by more joins.
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x JOIN c ON c.x = a.x",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x JOIN c ON c.x = b.x",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x LEFT JOIN c ON c.x = b.x",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x LEFT JOIN c ON c.x = a.x LEFT JOIN d ON d.w = c.w",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x, c WHERE c.x = a.x",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x, c WHERE c.x = b.x",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x LEFT JOIN c ON c.x = b.x WHERE c.x IS NULL",
            "SELECT * FROM a, b LEFT JOIN c ON c.x = b.x WHERE a.x = b.x",
            "SELECT * FROM a LEFT JOIN e ON e.x = a.x LEFT JOIN b ON b.x = a.x",
            // RIGHT and FULL in chains, with INNER, LEFT and comma joins.
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x RIGHT JOIN c ON c.x = b.x",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x FULL JOIN c ON c.x = b.x",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x FULL JOIN c ON c.x = coalesce(a.x, b.x)",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x LEFT JOIN c ON c.x = b.x",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x JOIN c ON c.x = b.x",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x JOIN c ON c.x = a.x",
            "SELECT * FROM a LEFT JOIN b ON a.x = b.x RIGHT JOIN c ON c.x = b.x",
            "SELECT * FROM a JOIN b ON a.x = b.x FULL JOIN c ON c.x = a.x",
            "SELECT * FROM a, b FULL JOIN c ON c.x = b.x WHERE a.x = 1",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x, c WHERE c.x = coalesce(a.x, b.x)",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x LEFT JOIN c ON c.x = a.x FULL JOIN d ON d.w = c.w",
            "SELECT * FROM a RIGHT JOIN b ON a.x = b.x RIGHT JOIN c ON c.x = a.x RIGHT JOIN d ON d.w = c.w",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x FULL JOIN c ON c.x = b.x WHERE a.x IS NULL",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x FULL JOIN c ON c.x = b.x WHERE c.w <> 'c3'",
            "SELECT * FROM a FULL JOIN e ON e.x = a.x FULL JOIN b ON b.x = e.x",
            "SELECT * FROM a CROSS JOIN b RIGHT JOIN c ON c.x = a.x AND c.x = b.x",
            // ON may read only tables to its left in an outer join.
            "SELECT * FROM a LEFT JOIN b ON c.x = 1 JOIN c",
            "SELECT * FROM a RIGHT JOIN b ON c.x = 1 JOIN c",
            "SELECT * FROM a JOIN b ON c.x = a.x JOIN c",
        ],
    );
}

#[test]
fn using_and_natural_with_right_and_full() {
    check_all(
        ABC,
        &[
            "SELECT * FROM a RIGHT JOIN b USING (x)",
            "SELECT * FROM a FULL JOIN b USING (x)",
            "SELECT x, a.x, b.x FROM a RIGHT JOIN b USING (x)",
            "SELECT x, a.x, b.x FROM a FULL JOIN b USING (x)",
            "SELECT * FROM a NATURAL RIGHT JOIN b",
            "SELECT * FROM a NATURAL FULL JOIN b NATURAL FULL JOIN c",
            "SELECT * FROM a FULL JOIN b USING (x) FULL JOIN c USING (x) WHERE x > 1 ORDER BY x, y, z, w",
            "SELECT * FROM a FULL JOIN b USING (x) LEFT JOIN c USING (x)",
            "SELECT * FROM a FULL JOIN b USING (x) RIGHT JOIN c USING (x)",
            "SELECT * FROM a LEFT JOIN b USING (x) RIGHT JOIN c USING (x)",
            "SELECT * FROM a JOIN b USING (x) FULL JOIN c USING (x)",
            "SELECT * FROM a, b FULL JOIN c USING (x)",
            "SELECT a.*, b.* FROM a FULL JOIN b USING (x)",
            "SELECT b.*, c.* FROM a FULL JOIN b USING (x) FULL JOIN c USING (x)",
            "SELECT x, count(*) FROM a FULL JOIN b USING (x) GROUP BY x ORDER BY x",
            "SELECT x FROM a FULL JOIN b USING (x) ORDER BY x DESC",
            "SELECT * FROM a LEFT JOIN b USING (y)",
        ],
    );
}

#[test]
fn aggregates_order_limit_distinct_over_outer_joins() {
    check_all(
        ABC,
        &[
            "SELECT count(*), count(a.x), count(b.x), sum(a.x), max(b.z) FROM a FULL JOIN b ON a.x = b.x",
            "SELECT b.z, count(a.y) FROM a RIGHT JOIN b ON a.x = b.x GROUP BY b.z ORDER BY b.z",
            "SELECT a.x, count(*) FROM a FULL JOIN b ON a.x = b.x GROUP BY a.x HAVING count(*) > 1 ORDER BY a.x",
            "SELECT count(*) FROM a LEFT JOIN b ON a.x = b.x LEFT JOIN c ON c.x = b.x",
            "SELECT count(*) FROM e FULL JOIN b ON e.x = b.x",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x ORDER BY b.z, a.y LIMIT 3",
            "SELECT * FROM a FULL JOIN b ON a.x = b.x ORDER BY a.y DESC, b.z LIMIT 2 OFFSET 2",
            "SELECT DISTINCT a.x, b.x FROM a FULL JOIN b ON a.x = b.x ORDER BY 1, 2",
            "SELECT DISTINCT b.x IS NULL FROM a RIGHT JOIN b ON a.x = b.x",
            "SELECT a.y FROM a FULL JOIN b ON a.x = b.x LIMIT 3",
        ],
    );
}

#[test]
fn outer_joins_in_subqueries() {
    check_all(
        ABC,
        &[
            "SELECT * FROM (SELECT a.x AS ax, b.x AS bx FROM a FULL JOIN b ON a.x = b.x) WHERE bx IS NULL",
            "SELECT * FROM c WHERE c.x IN (SELECT b.x FROM a RIGHT JOIN b ON a.x = b.x WHERE a.x IS NULL)",
            // Correlated: the outer join runs once per row of c, its matched set starting empty.
            "SELECT c.w, (SELECT count(*) FROM a FULL JOIN b ON a.x = b.x WHERE coalesce(a.x, b.x) = c.x) FROM c",
            "SELECT c.w, (SELECT group_concat(coalesce(a.y, '-') || b.z) FROM a RIGHT JOIN b ON a.x = b.x \
             AND a.x = c.x) FROM c ORDER BY c.w",
            "SELECT * FROM c WHERE EXISTS (SELECT 1 FROM a FULL JOIN b ON a.x = b.x WHERE b.x = c.x AND a.x IS NULL)",
            // Subqueries and views as the right side.
            "SELECT * FROM a RIGHT JOIN (SELECT x, z FROM b WHERE x > 2) AS s ON a.x = s.x",
            "SELECT * FROM (SELECT * FROM a WHERE x < 3) AS s FULL JOIN (SELECT * FROM b) AS t ON s.x = t.x",
            "WITH t(x) AS (VALUES (1), (3), (7)) SELECT * FROM a FULL JOIN t ON a.x = t.x",
            "SELECT * FROM a FULL JOIN b ON a.x = (SELECT max(x) FROM c WHERE c.x = b.x)",
        ],
    );
    let views = format!("{ABC} CREATE VIEW vb AS SELECT x, z FROM b WHERE z <> 'b3';");
    check_all(
        &views,
        &[
            "SELECT * FROM a FULL JOIN vb ON a.x = vb.x",
            "SELECT * FROM vb RIGHT JOIN a ON a.x = vb.x LEFT JOIN c USING (x)",
        ],
    );
}

#[test]
fn outer_joins_through_indexes() {
    // Indexes and integer primary keys on the join columns put index lookups and rowid seeks
    // inside the outer joins' loops.
    let setup = format!(
        "{ABC}
        CREATE INDEX bx ON b(x); CREATE INDEX cx ON c(x);
        CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO p VALUES (1, 'p1'), (2, 'p2'), (3, 'p3'), (9, 'p9');
"
    );
    check_all(
        &setup,
        &[
            "SELECT * FROM a LEFT JOIN b ON b.x = a.x LEFT JOIN c ON c.x = b.x",
            "SELECT * FROM a RIGHT JOIN b ON b.x = a.x",
            "SELECT * FROM a FULL JOIN b ON b.x = a.x FULL JOIN c ON c.x = b.x",
            "SELECT * FROM a FULL JOIN b ON b.x = a.x AND b.x > 2",
            "SELECT * FROM a LEFT JOIN p ON p.id = a.x",
            "SELECT * FROM a FULL JOIN p ON p.id = a.x",
            "SELECT * FROM a RIGHT JOIN p ON p.id = a.x WHERE a.x IS NULL",
            "SELECT * FROM a LEFT JOIN b ON b.x = a.x LEFT JOIN p ON p.id = b.x",
            "SELECT * FROM a FULL JOIN b ON b.x = a.x WHERE b.x = 2",
            "SELECT * FROM a, b LEFT JOIN c ON c.x = b.x WHERE b.x = a.x",
        ],
    );
}

#[test]
fn without_rowid_right_sides_key_the_matched_set_by_primary_key() {
    // Brisk does not write WITHOUT ROWID tables yet: SQLite builds the file, both engines read it.
    let path = std::env::temp_dir().join(format!("brisk-joins-wr-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let s = rusqlite::Connection::open(&path).unwrap();
    s.execute_batch(
        "CREATE TABLE a(x, y); INSERT INTO a VALUES (1, 'a1'), (2, 'b2'), (NULL, 'an'), (4, 'zz');
         CREATE TABLE w(k TEXT, j INTEGER, n, PRIMARY KEY (k, j)) WITHOUT ROWID;
         INSERT INTO w VALUES ('a1', 1, 10), ('a1', 2, 11), ('b2', 1, 20), ('qq', 7, 30);",
    )
    .unwrap();
    let b = brisk::Database::open(path.to_str().unwrap()).unwrap().connect().unwrap();
    for q in [
        "SELECT * FROM a FULL JOIN w ON w.k = a.y ORDER BY 1, 2, 3, 4, 5",
        "SELECT * FROM a RIGHT JOIN w ON w.k = a.y AND w.j = 1 ORDER BY 1, 2, 3, 4, 5",
        "SELECT * FROM w RIGHT JOIN a ON w.k = a.y ORDER BY 1, 2, 3, 4, 5",
        "SELECT count(*), count(a.x), count(w.n) FROM a FULL JOIN w ON w.n = a.x * 10",
    ] {
        let mut st = s.prepare(q).unwrap();
        let n = st.column_count();
        let want: Vec<Vec<Value>> = st
            .query_map([], |r| Ok((0..n).map(|i| to_value(r.get_ref(i).unwrap())).collect()))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let got = b.prepare(q).unwrap().query_all(&[]).unwrap();
        assert_eq!(got, want, "rows differ for {q}");
    }
    drop(b);
    drop(s);
    let _ = std::fs::remove_file(&path);
}

/// An inner join's ON term with a subquery is tested at its own join, before a later RIGHT
/// join counts the row as matched; explicit COLLATE anywhere in an expression gives it that
/// collation (here for DISTINCT).
#[test]
fn on_terms_with_subqueries_before_right_joins() {
    check_all(
        "CREATE TABLE t1(c0); INSERT INTO t1 VALUES (1), (2);",
        &[
            "SELECT NULL FROM t1 AS a JOIN t1 AS b ON (1 IN (SELECT NULL FROM t1)) RIGHT JOIN t1 AS c ON NULL",
            "SELECT c.c0 FROM t1 AS a JOIN t1 AS b ON (1 IN (SELECT NULL FROM t1)) RIGHT JOIN t1 AS c ON 1",
            "SELECT count(*) FROM t1 AS a JOIN t1 AS b ON b.c0 IN (SELECT c0 FROM t1 WHERE c0 > a.c0) RIGHT JOIN t1 AS c ON c.c0 = b.c0",
        ],
    );
    check_all(
        "CREATE TABLE t1(c0); INSERT INTO t1 VALUES ('ABC'), ('Abc'), ('x');",
        &[
            "SELECT DISTINCT (CASE WHEN NULL THEN NULL WHEN NULL THEN (1 COLLATE NOCASE) ELSE c0 END) FROM t1",
            "SELECT DISTINCT c0 || ('' COLLATE NOCASE) FROM t1",
            "SELECT c0 || '' = 'abc' COLLATE NOCASE, upper(c0 COLLATE NOCASE) = 'abc', c0 IN ('abc' COLLATE NOCASE) FROM t1",
        ],
    );
}
