//! Window functions, each query run through Brisk and bundled SQLite (rusqlite): column names,
//! rows and errors compared. Rows compare in order: without an outer ORDER BY, SQLite returns
//! them in the order of the query's first window, and so does Brisk.

mod common;
use common::{both_named, check_all_named};

const DATA: &str = "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c, d REAL, e TEXT COLLATE NOCASE);
    INSERT INTO t VALUES (1, 'x', 10, 1.5, 'a'), (2, 'y', 20, NULL, 'B'), (3, 'x', 30, 2.5, 'A'), (4, 'y', 40, 2.5, 'b'),
        (5, 'x', NULL, -1.0, 'c'), (6, 'z', 60, 0.25, 'C'), (7, 'x', 10, 1e300, NULL), (8, NULL, 'txt', 3.0, 'a'),
        (9, 'y', 20, 1e300, 'd'), (10, 'x', x'00ff', -1e300, 'D');
    CREATE TABLE g(grp, v);
    INSERT INTO g VALUES (1, 5), (1, 5), (1, 7), (2, NULL), (2, 3), (3, 9223372036854775807), (3, 1), (3, -1);
    CREATE TABLE empty(x);";

/// Every query compares in order: all of them either have an outer ORDER BY or take SQLite's
/// window order, which Brisk reproduces.
#[track_caller]
fn check_ordered(queries: &[&str]) {
    let mut failures = Vec::new();
    for q in queries {
        let (b, s) = both_named(DATA, q);
        if b != s {
            failures.push(format!("{q}\n  brisk:  {b:?}\n  sqlite: {s:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} queries differ:\n{}", failures.len(), queries.len(), failures.join("\n"));
}

#[test]
fn ranking_functions() {
    check_ordered(&[
        "SELECT a, row_number() OVER (ORDER BY a DESC) FROM t",
        "SELECT a, b, row_number() OVER (PARTITION BY b ORDER BY a DESC) FROM t",
        "SELECT a, c, rank() OVER (ORDER BY c), dense_rank() OVER (ORDER BY c) FROM t",
        "SELECT a, b, percent_rank() OVER (ORDER BY b), cume_dist() OVER (ORDER BY b) FROM t",
        "SELECT a, percent_rank() OVER (PARTITION BY b ORDER BY c), cume_dist() OVER (PARTITION BY b) FROM t",
        "SELECT a, ntile(3) OVER (ORDER BY a), ntile(4) OVER (PARTITION BY b ORDER BY a), ntile(20) OVER (ORDER BY a) FROM t",
        "SELECT a, ntile(a) OVER (ORDER BY a) FROM t",
        "SELECT a, e, rank() OVER (ORDER BY e), rank() OVER (ORDER BY e COLLATE BINARY) FROM t",
        "SELECT a, rank() OVER (ORDER BY c DESC NULLS FIRST), rank() OVER (ORDER BY c NULLS LAST) FROM t",
        "SELECT row_number() OVER () FROM empty",
        "SELECT row_number() OVER (), count(*) OVER ()",
        "SELECT a, row_number() OVER () FROM t WHERE a > 8",
    ]);
}

#[test]
fn value_functions() {
    check_ordered(&[
        "SELECT a, lag(a) OVER (ORDER BY a), lead(a) OVER (ORDER BY a) FROM t",
        "SELECT a, lag(c, 2, 'none') OVER (PARTITION BY b ORDER BY a), lead(c, 3, a * 100) OVER (ORDER BY a) FROM t",
        "SELECT a, lag(a, -1) OVER (ORDER BY a), lead(a, 0) OVER (ORDER BY a), lag(a, 'x') OVER (ORDER BY a) FROM t",
        "SELECT a, lag(a, NULL, 7) OVER (ORDER BY a), lag(a, 1.5) OVER (ORDER BY a), lead(a, '2') OVER (ORDER BY a) FROM t",
        "SELECT a, first_value(c) OVER (ORDER BY a), last_value(c) OVER (ORDER BY a), nth_value(c, 3) OVER (ORDER BY a) FROM t",
        "SELECT a, first_value(a) OVER (ORDER BY c NULLS FIRST), last_value(a) OVER (ORDER BY c), nth_value(a, 2) OVER (ORDER BY c) FROM t",
        "SELECT a, first_value(a) OVER w, last_value(a) OVER w, nth_value(a, 2) OVER w FROM t
            WINDOW w AS (PARTITION BY b ORDER BY a ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)",
        "SELECT a, nth_value(a, '2') OVER (ORDER BY a), nth_value(a, 2.0) OVER (ORDER BY a) FROM t",
    ]);
}

#[test]
fn aggregates_over_frames() {
    check_ordered(&[
        "SELECT a, sum(a) OVER (ORDER BY a), count(*) OVER (ORDER BY a), avg(a) OVER (), total(d) OVER () FROM t",
        "SELECT a, b, count(c) OVER (PARTITION BY b), sum(c) OVER (PARTITION BY b ORDER BY a) FROM t",
        "SELECT a, sum(a) OVER (ORDER BY a ROWS 1 PRECEDING), sum(a) OVER (ORDER BY a ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) FROM t",
        "SELECT a, sum(a) OVER (ORDER BY a ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING),
            sum(a) OVER (ORDER BY a ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) FROM t",
        "SELECT a, min(a) OVER (ORDER BY a ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING),
            max(c) OVER (ORDER BY a ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) FROM t",
        "SELECT a, min(e) OVER (ORDER BY a ROWS 2 PRECEDING), max(e) OVER (PARTITION BY b) FROM t",
        "SELECT a, group_concat(a) OVER (ORDER BY a ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING),
            group_concat(b, '-') OVER (ORDER BY a ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM t",
        "SELECT a, avg(c) OVER (ORDER BY a ROWS 2 PRECEDING), total(c) OVER (), count(c) OVER (ORDER BY a) FROM t",
        "SELECT a, sum(d) OVER (ORDER BY a ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), avg(d) OVER (ORDER BY a ROWS 3 PRECEDING) FROM t",
        "SELECT grp, v, sum(v) OVER (PARTITION BY grp ORDER BY v ROWS 1 PRECEDING) FROM g",
        "SELECT grp, v, sum(v) OVER (ORDER BY grp, v ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM g",
        "SELECT a, c, sum(a) FILTER (WHERE c > 15) OVER (ORDER BY a), count(*) FILTER (WHERE b = 'x') OVER () FROM t",
        "SELECT a, string_agg(b, '+') OVER (PARTITION BY b IS NULL ORDER BY a DESC) FROM t",
    ]);
}

#[test]
fn range_and_groups_frames() {
    check_ordered(&[
        "SELECT a, c, sum(a) OVER (ORDER BY c RANGE BETWEEN 10 PRECEDING AND 5 FOLLOWING) FROM t",
        "SELECT a, c, sum(a) OVER (ORDER BY c DESC RANGE BETWEEN 10 PRECEDING AND 5 FOLLOWING) FROM t",
        "SELECT a, d, count(*) OVER (ORDER BY d RANGE BETWEEN 1 PRECEDING AND 1.5 FOLLOWING) FROM t",
        "SELECT a, c, count(*) OVER (ORDER BY c NULLS LAST RANGE BETWEEN 10 PRECEDING AND CURRENT ROW) FROM t",
        "SELECT a, c, count(*) OVER (ORDER BY c RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM t",
        "SELECT a, c, count(*) OVER (ORDER BY c RANGE BETWEEN 5 FOLLOWING AND 20 FOLLOWING) FROM t",
        "SELECT a, c, sum(a) OVER (ORDER BY c GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t",
        "SELECT a, c, sum(a) OVER (ORDER BY c GROUPS BETWEEN CURRENT ROW AND 2 FOLLOWING) FROM t",
        "SELECT a, c, sum(a) OVER (ORDER BY c GROUPS 2 PRECEDING) FROM t",
        "SELECT a, b, group_concat(a) OVER (ORDER BY b RANGE CURRENT ROW) FROM t",
        "SELECT grp, v, sum(v) OVER (PARTITION BY grp ORDER BY v RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) FROM g",
    ]);
}

#[test]
fn frames_with_exclude() {
    check_ordered(&[
        "SELECT a, c, sum(a) OVER (ORDER BY c GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) FROM t",
        "SELECT a, b, sum(a) OVER (ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE GROUP),
            sum(a) OVER (ORDER BY b RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE TIES) FROM t",
        "SELECT a, group_concat(a) OVER (ORDER BY b RANGE UNBOUNDED PRECEDING EXCLUDE CURRENT ROW) FROM t",
        "SELECT a, first_value(a) OVER (ORDER BY b RANGE UNBOUNDED PRECEDING EXCLUDE CURRENT ROW),
            last_value(a) OVER (ORDER BY b ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE GROUP),
            nth_value(a, 2) OVER (ORDER BY b GROUPS UNBOUNDED PRECEDING EXCLUDE TIES) FROM t",
        "SELECT a, min(a) OVER (ORDER BY b ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW),
            max(e) OVER (ORDER BY b RANGE CURRENT ROW EXCLUDE NO OTHERS), count(*) OVER (w ROWS 2 PRECEDING EXCLUDE TIES)
            FROM t WINDOW w AS (ORDER BY b)",
        "SELECT a, sum(a) OVER w FROM t WINDOW w AS (PARTITION BY b ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW)",
        "SELECT grp, v, sum(v) FILTER (WHERE v > 1) OVER (ORDER BY v RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING EXCLUDE TIES) FROM g",
    ]);
}

#[test]
fn windows_with_the_rest_of_the_query() {
    check_ordered(&[
        // Aggregate queries: windows over the groups.
        "SELECT b, sum(c), row_number() OVER (ORDER BY sum(c)) FROM t GROUP BY b",
        "SELECT b, count(*) AS n, rank() OVER (ORDER BY count(*) DESC) FROM t GROUP BY b HAVING n > 1",
        "SELECT b AS k, sum(sum(a)) OVER (ORDER BY b) FROM t GROUP BY k",
        "SELECT max(a), row_number() OVER () FROM t",
        "SELECT sum(count(*)) OVER () FROM t GROUP BY b",
        // Outer ORDER BY, LIMIT, DISTINCT and expressions around window calls.
        "SELECT row_number() OVER (ORDER BY a) AS rn, a FROM t ORDER BY rn DESC LIMIT 3",
        "SELECT a FROM t ORDER BY row_number() OVER (ORDER BY c DESC), a",
        "SELECT e AS k, rank() OVER (ORDER BY a) AS r FROM t ORDER BY k COLLATE BINARY, 2 COLLATE NOCASE DESC",
        "SELECT a, 100 - rank() OVER (ORDER BY b) * 2 AS x FROM t ORDER BY x, a",
        "SELECT a, CASE WHEN row_number() OVER (PARTITION BY b ORDER BY a) = 1 THEN 'first' ELSE b END FROM t ORDER BY 1",
        "SELECT DISTINCT b, count(*) OVER (PARTITION BY b) FROM t ORDER BY 1",
        "SELECT b, count(*) OVER (PARTITION BY b) FROM t ORDER BY 2 DESC, 1 LIMIT 4 OFFSET 1",
        "SELECT t.*, row_number() OVER (ORDER BY a DESC) FROM t",
        "SELECT *, sum(a) OVER () FROM t WHERE a < 4",
        "SELECT a, b, coalesce(lag(b) OVER (ORDER BY a), '-') || '>' || b FROM t ORDER BY a",
        // Subqueries, joins, CTEs and compounds.
        "SELECT (SELECT sum(a) OVER () FROM t t2 WHERE t2.a <= t.a LIMIT 1) FROM t ORDER BY a",
        "SELECT x.a, y.grp, row_number() OVER (PARTITION BY y.grp ORDER BY x.a) FROM t x JOIN g y ON x.a = y.grp",
        "WITH w AS (SELECT a, rank() OVER (ORDER BY c) r FROM t) SELECT * FROM w WHERE r < 4 ORDER BY a",
        "SELECT * FROM (SELECT b, sum(a) OVER (PARTITION BY b) s FROM t) WHERE s > 10 ORDER BY 1, 2",
        "SELECT a, row_number() OVER (ORDER BY a) FROM t WHERE a < 3 UNION ALL SELECT grp, rank() OVER (ORDER BY v) FROM g",
        "SELECT a, (SELECT count(*) FROM g WHERE g.grp = t.a) AS n, sum(a) OVER (ORDER BY a) FROM t",
        // The lower query lists columns and aggregates as SQLite's rewrite does, which decides
        // the row a GROUP BY query's bare columns come from (here: not min(1)'s row).
        "SELECT min(max(NULL)) OVER (ORDER BY NULL RANGE CURRENT ROW), c - min(1) FROM g
            JOIN (SELECT 10.0 AS c UNION ALL SELECT 10) GROUP BY c COLLATE NOCASE, c",
        "SELECT ((grp, v) = (SELECT 1, 5)), count(*) OVER (PARTITION BY grp) FROM g",
        "SELECT count(*) OVER (PARTITION BY total(1)), count(*) FROM g HAVING 1",
        // Window values and subqueries have no collation: a comparison takes the column's.
        "SELECT a, e, row_number() OVER (ORDER BY a) > e, e < lag(e) OVER (ORDER BY a) FROM t",
        "SELECT a, (SELECT b FROM t AS u WHERE u.a = t.a) > e, count(*) OVER () FROM t ORDER BY a",
        "SELECT a, CAST(a AS TEXT) >= EXISTS(SELECT 1), sum(a) OVER () FROM t ORDER BY a",
        // Named windows and inheritance.
        "SELECT a, sum(a) OVER w, count(*) OVER w FROM t WINDOW w AS (PARTITION BY b ORDER BY a)",
        "SELECT a, sum(a) OVER (w ORDER BY a DESC) FROM t WINDOW w AS (PARTITION BY b)",
        "SELECT a, sum(a) OVER (w ROWS 1 PRECEDING) FROM t WINDOW w AS (ORDER BY a)",
        "SELECT a, sum(a) OVER w2 FROM t WINDOW w1 AS (PARTITION BY b), w2 AS (w1 ORDER BY a)",
        // Several windows: rows come in the first window's order.
        "SELECT a, rank() OVER (PARTITION BY b ORDER BY c), row_number() OVER (ORDER BY a DESC) FROM t",
        "SELECT a, row_number() OVER (ORDER BY a DESC), sum(a) OVER (PARTITION BY b ORDER BY a) FROM t",
    ]);
}

#[test]
fn window_errors() {
    check_all_named(
        DATA,
        &[
            "SELECT a FROM t WHERE row_number() OVER () > 1",
            "SELECT a FROM t GROUP BY row_number() OVER ()",
            "SELECT a, count(*) FROM t GROUP BY b HAVING row_number() OVER () > 1",
            "SELECT abs(a) OVER () FROM t",
            "SELECT count(DISTINCT a) OVER () FROM t",
            "SELECT row_number() FILTER (WHERE a > 1) OVER () FROM t",
            "SELECT sum(sum(a) OVER ()) OVER () FROM t",
            "SELECT sum(a) OVER w FROM t",
            "SELECT sum(a) OVER (w PARTITION BY b) FROM t WINDOW w AS (ORDER BY a)",
            "SELECT sum(a) OVER (w ORDER BY b) FROM t WINDOW w AS (ORDER BY a)",
            "SELECT sum(a) OVER (w) FROM t WINDOW w AS (ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
            "SELECT sum(a) OVER (RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
            "SELECT sum(a) OVER (ORDER BY a, b RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
            "SELECT sum(a) OVER (ORDER BY a ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM t",
            "SELECT sum(a) OVER (ORDER BY a ROWS BETWEEN 1.5 PRECEDING AND CURRENT ROW) FROM t",
            "SELECT sum(a) OVER (ORDER BY a ROWS BETWEEN CURRENT ROW AND NULL FOLLOWING) FROM t",
            "SELECT sum(a) OVER (ORDER BY a RANGE BETWEEN -1 PRECEDING AND CURRENT ROW) FROM t",
            "SELECT sum(a) OVER (ORDER BY a RANGE BETWEEN 'x' PRECEDING AND CURRENT ROW) FROM t",
            "SELECT sum(a) OVER (ORDER BY a ROWS BETWEEN '1' PRECEDING AND '1' FOLLOWING) FROM t",
            "SELECT sum(a) OVER (ORDER BY a RANGE BETWEEN '2' PRECEDING AND CURRENT ROW) FROM t",
            "SELECT sum(a) OVER (ORDER BY a ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM t",
            "SELECT sum(a) OVER (ORDER BY a ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM t",
            "SELECT ntile(0) OVER () FROM t",
            "SELECT ntile(-2) OVER () FROM t",
            "SELECT nth_value(a, 0) OVER () FROM t",
            "SELECT nth_value(a, 'x') OVER () FROM t",
            "SELECT row_number(1) OVER () FROM t",
            "SELECT lag() OVER () FROM t",
            "SELECT no_such_fn(a) OVER () FROM t",
            "SELECT sum(a, b) OVER () FROM t",
            "UPDATE t SET c = row_number() OVER ()",
            // An aggregate only inside a window is not enough for HAVING without GROUP BY.
            "SELECT cume_dist() OVER (PARTITION BY total(1)) FROM t HAVING 1",
            "SELECT a, row_number() OVER () AS rn FROM t WHERE rn > 1",
        ],
    );
}

/// Parameters in OVER clauses and WINDOW definitions take their numbers in text order.
#[test]
fn parameters_in_windows() {
    let q = "SELECT a, sum(a) OVER (ORDER BY a ROWS ? PRECEDING), ?, sum(a) OVER w, ntile(?) OVER w FROM t
        WINDOW w AS (ORDER BY a ROWS BETWEEN CURRENT ROW AND ? FOLLOWING)";
    let b = brisk::Connection::open_in_memory().unwrap();
    b.execute_batch(DATA).unwrap();
    let params =
        [brisk::Value::Integer(2), brisk::Value::text("p"), brisk::Value::Integer(3), brisk::Value::Integer(1)];
    let brisk_rows = b.prepare(q).unwrap().query_all(&params).unwrap();
    let s = rusqlite::Connection::open_in_memory().unwrap();
    s.execute_batch(DATA).unwrap();
    let mut st = s.prepare(q).unwrap();
    let sqlite_rows: Vec<Vec<brisk::Value>> = st
        .query_map(rusqlite::params![2, "p", 3, 1], |r| {
            Ok((0..5).map(|i| common::to_value(r.get_ref(i).unwrap())).collect())
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(brisk_rows, sqlite_rows);
}

/// A large partition with a sliding frame: the running state slides (steps and inverses)
/// rather than starting over, and the sums agree with SQLite's to the last digit.
#[test]
fn long_partitions_slide() {
    let setup = "CREATE TABLE n(i INTEGER PRIMARY KEY, r REAL, k);
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000)
        INSERT INTO n SELECT i, (i * 7919 % 1000) / 7.0, i % 7 FROM c;";
    for q in [
        "SELECT i, sum(r) OVER (ORDER BY i ROWS BETWEEN 50 PRECEDING AND 50 FOLLOWING) FROM n",
        "SELECT i, avg(i) OVER (PARTITION BY k ORDER BY r ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM n",
        "SELECT i, max(r) OVER (ORDER BY i ROWS BETWEEN 5 PRECEDING AND 5 FOLLOWING) FROM n",
        "SELECT k, count(*) OVER (ORDER BY k RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM n",
    ] {
        let (b, s) = both_named(setup, q);
        assert_eq!(b, s, "{q}");
    }
}
