//! End-to-end SQL through the public API, each case checked against bundled SQLite (rusqlite):
//! the same script runs in both engines and the rows must be identical.

use brisk::{Connection, Value};
mod common;
use common::*;

const T: &str = "CREATE TABLE t(a INTEGER, b TEXT, c REAL, d);
INSERT INTO t VALUES (1, 'one', 1.5, NULL), (2, 'two', 2.5, x'0102'), (3, 'three', NULL, 3);
INSERT INTO t(a, b) VALUES (4, 'four');";

#[test]
fn select_expressions_without_tables() {
    for q in [
        "SELECT 1, 'a', 2.5, NULL, x'ff'",
        "SELECT 1 + 2 * 3, 7 / 2, 7 % 3, 7.0 / 2, 1 / 0, -(-3)",
        "SELECT 9223372036854775807 + 1, -9223372036854775808 - 1",
        "SELECT 'a' || 'b' || 3, 1 < 2, 2 < 1, NULL = NULL, NULL IS NULL, 1 IS NOT NULL",
        "SELECT 1 AND 0, 1 OR NULL, NULL AND 0, NOT 1, NOT NULL, ~5, 5 & 3, 5 | 3, 1 << 3, -16 >> 2",
        "SELECT '10' + 5, '3.5' * 2, 'abc' + 1, 10 = '10', CAST('12abc' AS INTEGER)",
        "SELECT CASE WHEN 1 > 2 THEN 'x' WHEN 2 > 1 THEN 'y' ELSE 'z' END, CASE 3 WHEN 1 THEN 'a' ELSE 'b' END",
        "SELECT 2 IN (1, 2, 3), 5 NOT IN (1, 2), NULL IN (1), 1 IN (NULL, 1), 2 IN (NULL, 1), 3 BETWEEN 1 AND 5",
        "SELECT 'abc' LIKE 'A%', 'abc' GLOB 'A*', 'a_c' LIKE 'a\\_c' ESCAPE '\\'",
        "SELECT abs(-3), length('héllo'), upper('abc'), lower('ABC'), substr('hello', 2, 3), typeof(1.0), coalesce(NULL, 2)",
        "SELECT hex('abc'), quote('it''s'), replace('aaa', 'a', 'b'), trim('  x  '), instr('hello', 'l'), round(2.567, 2)",
        "SELECT max(1, 2, 3), min('a', 'b'), nullif(1, 1), ifnull(NULL, 'd'), iif(1, 'y', 'n'), unicode('A'), char(72, 105)",
        // round() rounds SQLite's decimal digits half away from zero: 2.25 is 2.3, and 2.675
        // (just below, in binary) is 2.67.
        "SELECT round(2.25, 1), round(-2.25, 1), round(23.5625, 3), round(2.675, 2), round(0.125, 2), round(1e300, 2), round(-0.5)",
        "SELECT round(123456789.123456789, 20), round(0.1 + 0.2, 16), round(4503599627370497.0, 1), round(-1.5), round(2.5)",
        // `x AND 0` is the literal 0 to SQLite's parser: x is never evaluated.
        "SELECT abs(-9223372036854775807 - 1) AND 0, 0 AND abs(-9223372036854775807 - 1), 1 AND 0, (2 AND 0) + 1",
        // min(), max() and nullif() compare with their first argument's collation that has one.
        "SELECT nullif('A' COLLATE NOCASE, 'a'), min('b', 'B' COLLATE NOCASE), max('a' COLLATE NOCASE, 'A', 'b'), min(0.0, 0), max(0, 0.0)",
    ] {
        check("", q);
    }
}

/// A sum that reaches infinity: the compensation term is dropped once it overflows, as in
/// SQLite, so the sum is infinite rather than NaN (NULL).
#[test]
fn sums_reaching_infinity() {
    let setup = "CREATE TABLE r(x); INSERT INTO r VALUES (1e308), (1e308), (1.5), (-1e308);";
    check(setup, "SELECT sum(x), total(x), avg(x), sum(x) OVER (ORDER BY rowid ROWS 1 PRECEDING) FROM r");
    check(setup, "SELECT avg(x) OVER (), total(x) OVER (ORDER BY rowid) FROM r");
}

/// `x AND 0` in ORDER BY is column number 0, out of range, as in SQLite.
#[test]
fn and_zero_is_a_constant() {
    check(T, "SELECT a FROM t ORDER BY (a AND 0)");
    check(T, "SELECT a FROM t ORDER BY (a AND 1)");
    check(T, "SELECT nosuch AND 0 FROM t");
}

#[test]
fn scalar_functions_use_column_collations() {
    let setup =
        "CREATE TABLE c(x TEXT COLLATE NOCASE, y TEXT); INSERT INTO c VALUES ('ABC', 'abc'), ('b', 'B'), (NULL, 'q');";
    check(setup, "SELECT nullif(x, 'abc'), nullif(y, x), min(x, 'a'), max(y, x), min(y, x COLLATE RTRIM) FROM c");
}

#[test]
fn crud_round_trip() {
    check(T, "SELECT * FROM t");
    check(T, "SELECT a, b FROM t WHERE a > 1 AND c IS NOT NULL");
    check(T, "SELECT count(*) FROM t");
    check(T, "SELECT count(*), sum(a), avg(a), min(b), max(c), total(c), count(c), group_concat(b) FROM t");
    check(T, "SELECT rowid, a FROM t WHERE rowid = 2");
    check(&format!("{T} UPDATE t SET b = upper(b), c = c * 2 WHERE a >= 2;"), "SELECT * FROM t");
    check(&format!("{T} DELETE FROM t WHERE a % 2 = 0;"), "SELECT * FROM t");
    check(&format!("{T} DELETE FROM t;"), "SELECT count(*) FROM t");
    check(T, "SELECT a FROM t LIMIT 2");
    check(T, "SELECT a FROM t LIMIT 2 OFFSET 1");
}

#[test]
fn affinity_and_types() {
    let setup = "CREATE TABLE x(i INTEGER, t TEXT, r REAL, n NUMERIC, b BLOB);
        INSERT INTO x VALUES ('12', 12, '1.5', '3.0', '7'), ('abc', 1.0, 2, '1e3', 1);";
    check(setup, "SELECT i, typeof(i), t, typeof(t), r, typeof(r), n, typeof(n), b, typeof(b) FROM x");
    check(setup, "SELECT i FROM x WHERE i = '12'");
    check(setup, "SELECT t FROM x WHERE t = 12");
}

#[test]
fn integer_primary_key_is_the_rowid() {
    let setup = "CREATE TABLE p(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO p VALUES (10, 'a'); INSERT INTO p(v) VALUES ('b');";
    check(setup, "SELECT id, rowid, v FROM p");
    check(setup, "SELECT v FROM p WHERE id = 11");
    check(&format!("{setup} UPDATE p SET id = 20 WHERE id = 10;"), "SELECT * FROM p");
}

#[test]
fn constraint_errors_match_sqlite() {
    let setup = "CREATE TABLE u(id INTEGER PRIMARY KEY, e TEXT UNIQUE, n NOT NULL); INSERT INTO u VALUES (1, 'x', 1);";
    for stmt in
        ["INSERT INTO u VALUES (1, 'y', 1)", "INSERT INTO u VALUES (2, 'x', 1)", "INSERT INTO u VALUES (2, 'z', NULL)"]
    {
        let b = Connection::open_in_memory().unwrap();
        b.execute_batch(setup).unwrap();
        let s = rusqlite::Connection::open_in_memory().unwrap();
        s.execute_batch(setup).unwrap();
        let be = b.execute(stmt, &[]).unwrap_err();
        let se = s.execute(stmt, []).unwrap_err();
        let rusqlite::Error::SqliteFailure(code, Some(msg)) = se else { panic!("{se:?}") };
        assert_eq!(be.to_string(), msg, "{stmt}");
        assert_eq!(be.extended_code(), code.extended_code, "{stmt}");
        // The failed statement left the table unchanged.
        let n = b.query_row("SELECT count(*) FROM u", &[], |r| Ok(r.get(0)?.clone())).unwrap();
        assert_eq!(n, Value::Integer(1));
    }
}

#[test]
fn errors_for_unknown_names_match_sqlite() {
    check(T, "SELECT nosuch FROM t");
    check(T, "SELECT * FROM nosuch");
    check(T, "SELECT nosuch(1)");
}

#[test]
fn transactions_commit_and_roll_back() {
    let b = Connection::open_in_memory().unwrap();
    b.execute_batch(
        "CREATE TABLE t(a); BEGIN; INSERT INTO t VALUES (1); ROLLBACK; BEGIN; INSERT INTO t VALUES (2); COMMIT;",
    )
    .unwrap();
    let rows = b.prepare("SELECT a FROM t").unwrap().query_all(&[]).unwrap();
    assert_eq!(rows, vec![vec![Value::Integer(2)]]);
    b.execute_batch(
        "SAVEPOINT s1; INSERT INTO t VALUES (3); SAVEPOINT s2; INSERT INTO t VALUES (4); ROLLBACK TO s2; RELEASE s1;",
    )
    .unwrap();
    let rows = b.prepare("SELECT a FROM t").unwrap().query_all(&[]).unwrap();
    assert_eq!(rows, vec![vec![Value::Integer(2)], vec![Value::Integer(3)]]);
}

#[test]
fn parameters_bind_by_position_and_name() {
    let b = Connection::open_in_memory().unwrap();
    b.execute_batch("CREATE TABLE t(a, b)").unwrap();
    b.execute("INSERT INTO t VALUES (?, ?)", brisk::params![1, "x"]).unwrap();
    let mut st = b.prepare("INSERT INTO t VALUES (:a, ?5)").unwrap();
    assert_eq!(st.parameter_count(), 5);
    assert_eq!(st.parameter_index(":a"), Some(1));
    st.bind(1, 2).unwrap();
    st.bind(5, "y").unwrap();
    while st.step().unwrap() == brisk::StepResult::Row {}
    let rows = b.prepare("SELECT a, b FROM t WHERE a = ?").unwrap().query_all(brisk::params![2]).unwrap();
    assert_eq!(rows, vec![vec![Value::Integer(2), Value::text("y")]]);
    assert!(b.execute("SELECT ?", brisk::params![1, 2]).is_err());
    // Numbers follow the text, not the order clauses are compiled in.
    b.execute("UPDATE t SET b = ? WHERE a = ?", brisk::params!["z", 2]).unwrap();
    let rows = b.prepare("SELECT b FROM t WHERE a = 2").unwrap().query_all(&[]).unwrap();
    assert_eq!(rows, vec![vec![Value::text("z")]]);
}

/// Runs each statement in both engines (each may fail; failures must agree), then compares the
/// rows of `query`.
#[track_caller]
fn check_steps(steps: &[&str], query: &str) {
    let b = Connection::open_in_memory().unwrap();
    let s = rusqlite::Connection::open_in_memory().unwrap();
    for st in steps {
        let be = b.execute_batch(st).err().map(|e| e.to_string());
        let se = s.execute_batch(st).err().map(message);
        assert_eq!(be, se, "outcome of {st}");
    }
    let (bq, sq) = (b.prepare(query).unwrap().query_all(&[]).unwrap(), {
        let mut st = s.prepare(query).unwrap();
        let n = st.column_count();
        st.query_map([], |r| Ok((0..n).map(|i| to_value(r.get_ref(i).unwrap())).collect::<Vec<_>>()))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    });
    assert_eq!(bq, sq, "rows of {query} after {steps:?}");
}

#[test]
fn insert_select_and_conflict_clauses() {
    let t = "CREATE TABLE t(id INTEGER PRIMARY KEY, u TEXT UNIQUE, n NOT NULL DEFAULT 'd', c CHECK (c > 0))";
    check_steps(
        &[
            t,
            "INSERT INTO t VALUES (1, 'a', 1, 1), (2, 'b', 2, 2)",
            "INSERT INTO t SELECT id + 10, u || 'x', n, c FROM t",
            "INSERT INTO t(u, n, c) SELECT 'z' || id, id, 5 FROM t WHERE id > 10",
            "INSERT OR IGNORE INTO t VALUES (1, 'q', 1, 1), (3, 'a', 1, 1), (4, 'w', NULL, 1), (5, 'e', 1, -1), (6, 'ok', 1, 1)",
            "INSERT OR REPLACE INTO t VALUES (1, 'b', 7, 7)",
            "INSERT OR REPLACE INTO t(id, u, n, c) VALUES (20, 'new', NULL, 1)",
            "INSERT INTO t VALUES (2, 'dup', 1, 1)",
            "INSERT OR FAIL INTO t VALUES (30, 'f1', 1, 1), (31, 'a', 1, 1), (32, 'f3', 1, 1)",
            "INSERT OR ROLLBACK INTO t VALUES (40, 'r1', 1, 1), (41, 'ok', 1, 1)",
            "UPDATE OR IGNORE t SET u = 'ax' WHERE id = 12",
            "UPDATE OR REPLACE t SET u = 'bx' WHERE id = 11",
            "UPDATE t SET id = 1 WHERE id = 6",
            "UPDATE OR REPLACE t SET id = 1 WHERE id = 6",
        ],
        "SELECT * FROM t",
    );
    check_steps(
        &[
            "CREATE TABLE a(x)",
            "BEGIN",
            "INSERT INTO a VALUES (1)",
            "CREATE TABLE b(y UNIQUE)",
            "INSERT INTO b VALUES (1)",
            "INSERT OR ROLLBACK INTO b VALUES (1)",
            "COMMIT",
        ],
        "SELECT * FROM a",
    );
}

#[test]
fn queries_with_subqueries_groups_and_compounds() {
    let setup = "CREATE TABLE e(id INTEGER PRIMARY KEY, dept TEXT, pay INTEGER, boss INTEGER);
        INSERT INTO e VALUES (1, 'eng', 100, NULL), (2, 'eng', 80, 1), (3, 'ops', 70, 1), (4, 'ops', NULL, 3), (5, 'eng', 90, 2), (6, NULL, 10, NULL);";
    for q in [
        "SELECT dept, count(*), sum(pay), avg(pay), max(pay) FROM e GROUP BY dept",
        "SELECT dept, count(*) AS n FROM e GROUP BY dept HAVING n > 1 ORDER BY n DESC, dept",
        "SELECT dept FROM e GROUP BY 1 ORDER BY 1 DESC",
        "SELECT DISTINCT dept FROM e ORDER BY dept",
        "SELECT id, (SELECT count(*) FROM e AS x WHERE x.boss = e.id) AS reports FROM e ORDER BY id",
        "SELECT id FROM e WHERE pay > (SELECT avg(pay) FROM e) ORDER BY pay DESC",
        "SELECT id FROM e WHERE EXISTS (SELECT 1 FROM e AS x WHERE x.boss = e.id) ORDER BY id",
        "SELECT id FROM e WHERE id IN (SELECT boss FROM e) ORDER BY id",
        "SELECT id FROM e WHERE id NOT IN (SELECT boss FROM e WHERE boss IS NOT NULL) ORDER BY id",
        "SELECT 1 IN (SELECT boss FROM e), 7 IN (SELECT boss FROM e), 7 NOT IN (SELECT boss FROM e)",
        "SELECT dept FROM e UNION SELECT 'zzz' ORDER BY 1",
        "SELECT pay FROM e UNION ALL SELECT pay FROM e WHERE id < 3",
        "SELECT boss FROM e INTERSECT SELECT id FROM e",
        "SELECT id FROM e EXCEPT SELECT boss FROM e",
        "SELECT * FROM (SELECT dept, sum(pay) AS total FROM e GROUP BY dept) WHERE total > 100",
        "WITH rich AS (SELECT id, pay FROM e WHERE pay >= 90) SELECT count(*), sum(pay) FROM rich",
        "SELECT a.id, b.id FROM e AS a JOIN e AS b ON a.boss = b.id ORDER BY a.id",
        "SELECT a.id, b.id FROM e AS a LEFT JOIN e AS b ON a.boss = b.id ORDER BY a.id",
        "SELECT id, pay FROM e ORDER BY pay NULLS FIRST, id LIMIT 3 OFFSET 1",
        "SELECT count(DISTINCT dept), group_concat(DISTINCT dept) FROM e",
        "SELECT dept, count(*) FILTER (WHERE pay > 75) FROM e GROUP BY dept",
    ] {
        check(setup, q);
    }
}

#[test]
fn index_lookups_match_a_full_scan_and_sqlite() {
    let setup = "CREATE TABLE t(a INTEGER, b TEXT, c TEXT COLLATE NOCASE, d);
        CREATE INDEX t_a ON t(a); CREATE INDEX t_bc ON t(b, c); CREATE INDEX t_c ON t(c); CREATE UNIQUE INDEX t_d ON t(d);
        INSERT INTO t VALUES (1, '1', 'x', 1), (2, '2', 'X', 2), (2, '2', 'y', 3), (NULL, NULL, NULL, 4), (3, 'abc', 'ABC', '5'), (10, '10', 'x', 6.5);";
    for q in [
        "SELECT * FROM t WHERE a = 2",
        "SELECT * FROM t WHERE a = '2'",
        "SELECT * FROM t WHERE b = 2",
        "SELECT * FROM t WHERE b = '2' AND c = 'x'",
        "SELECT * FROM t WHERE c = 'X'",
        "SELECT * FROM t WHERE c = 'abc'",
        "SELECT * FROM t WHERE a = NULL",
        "SELECT * FROM t WHERE d = 5",
        "SELECT * FROM t WHERE d = '5'",
        "SELECT * FROM t WHERE d = 6.5",
        "SELECT x.d, y.d FROM t AS x, t AS y WHERE y.a = x.a AND x.d < 4",
    ] {
        check(setup, q);
    }
    let b = Connection::open_in_memory().unwrap();
    b.execute_batch(setup).unwrap();
    let plan = b.prepare("EXPLAIN QUERY PLAN SELECT * FROM t WHERE a = 2").unwrap().query_all(&[]).unwrap();
    assert_eq!(plan[0][3], Value::text("SEARCH t USING INDEX t_a (a=?)"));
}

#[test]
fn temp_views_and_reindex() {
    check_steps(
        &[
            "CREATE TABLE t(a, b COLLATE NOCASE)",
            "CREATE INDEX t_b ON t(b)",
            "INSERT INTO t VALUES (1, 'x'), (2, 'Y'), (3, 'z')",
            "CREATE TEMP VIEW v AS SELECT a, b FROM t WHERE a > 1",
            "CREATE TEMP VIEW v AS SELECT 1",
            "CREATE VIEW w AS SELECT a FROM v",
            "REINDEX t_b",
            "REINDEX t",
            "REINDEX NOCASE",
            "REINDEX",
            "REINDEX nosuch",
            "DROP VIEW v",
            "DROP VIEW v",
        ],
        "SELECT * FROM t WHERE b = 'y'",
    );
    let b = Connection::open_in_memory().unwrap();
    b.execute_batch("CREATE TABLE t(a); INSERT INTO t VALUES (5); CREATE TEMP VIEW v AS SELECT a * 2 AS d FROM t")
        .unwrap();
    assert_eq!(b.prepare("SELECT d FROM v").unwrap().query_all(&[]).unwrap(), vec![vec![Value::Integer(10)]]);
    // A TEMP view is not in the file's schema.
    assert_eq!(
        b.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'view'").unwrap().query_all(&[]).unwrap(),
        vec![vec![Value::Integer(0)]]
    );
}

#[test]
fn triggers_fire_like_sqlite() {
    let setup = [
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)",
        "CREATE TABLE log(what TEXT, old_v TEXT, new_v TEXT)",
        "CREATE INDEX t_v ON t(v)",
        "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('ins', NULL, new.v); END",
        "CREATE TRIGGER t_bu BEFORE UPDATE OF v ON t WHEN new.v <> old.v BEGIN INSERT INTO log VALUES ('upd', old.v, new.v); END",
        "CREATE TRIGGER t_ad AFTER DELETE ON t BEGIN INSERT INTO log SELECT 'del', old.v, count(*) FROM t; END",
        "CREATE TRIGGER t_guard BEFORE INSERT ON t WHEN new.n < 0 BEGIN SELECT RAISE(ABORT, 'negative n'); END",
        "CREATE TRIGGER t_skip BEFORE INSERT ON t WHEN new.n = 0 BEGIN SELECT RAISE(IGNORE); END",
        "CREATE TRIGGER log_count AFTER INSERT ON log BEGIN UPDATE t SET n = n + 1 WHERE id = 1; END",
    ];
    let mut steps: Vec<&str> = setup.to_vec();
    steps.extend([
        "INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2)",
        "INSERT INTO t VALUES (3, 'c', -1)",
        "INSERT INTO t VALUES (4, 'd', 0)",
        "UPDATE t SET v = 'bb' WHERE id = 2",
        "UPDATE t SET n = 5 WHERE id = 2",
        "UPDATE t SET v = v WHERE id = 1",
        "DELETE FROM t WHERE id = 2",
        "DROP TRIGGER t_guard",
        "DROP TRIGGER t_guard",
        "INSERT INTO t VALUES (5, 'e', -1)",
    ]);
    check_steps(&steps, "SELECT * FROM t");
    check_steps(&steps, "SELECT * FROM log");
    check_steps(&steps, "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name");
}

#[test]
fn natural_and_using_joins() {
    let setup = "CREATE TABLE a(id INTEGER, x TEXT, k INTEGER); CREATE TABLE b(id INTEGER, y TEXT, k INTEGER);
        INSERT INTO a VALUES (1, 'a1', 10), (2, 'a2', 20), (3, 'a3', 30);
        INSERT INTO b VALUES (1, 'b1', 10), (2, 'b2', 99), (4, 'b4', 40);";
    for q in [
        "SELECT * FROM a JOIN b USING (id) ORDER BY id",
        "SELECT * FROM a JOIN b USING (id, k)",
        "SELECT * FROM a NATURAL JOIN b",
        "SELECT * FROM a LEFT JOIN b USING (id) ORDER BY id",
        "SELECT id, x, y FROM a JOIN b USING (id) ORDER BY id",
        "SELECT b.*, a.id FROM a JOIN b USING (id) ORDER BY a.id",
        "SELECT * FROM a JOIN b USING (nosuch)",
    ] {
        check(setup, q);
    }
}

#[test]
fn recursive_ctes() {
    let setup = "CREATE TABLE emp(id INTEGER PRIMARY KEY, boss INTEGER, name TEXT);
        INSERT INTO emp VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'c'), (5, 4, 'd');";
    for q in [
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 10) SELECT sum(n), count(*) FROM c",
        "WITH RECURSIVE c(x) AS (VALUES (1) UNION SELECT x % 3 + 1 FROM c) SELECT x FROM c ORDER BY x",
        "WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM emp WHERE boss IS NULL UNION ALL SELECT emp.id, depth + 1 FROM emp JOIN sub ON emp.boss = sub.id) SELECT * FROM sub ORDER BY id",
        "WITH RECURSIVE fib(a, b) AS (SELECT 0, 1 UNION ALL SELECT b, a + b FROM fib WHERE b < 100) SELECT group_concat(a) FROM fib",
        // LIMIT ends an otherwise endless recursion after its first rows, in queue order.
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5) SELECT group_concat(x) FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x % 3 + 1 FROM c LIMIT 10) SELECT group_concat(x) FROM c",
        "WITH RECURSIVE c(x) AS (VALUES (1), (2) UNION ALL SELECT x + 10 FROM c LIMIT 5) SELECT group_concat(x) FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 0) SELECT count(*) FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 LIMIT -1) SELECT group_concat(x) FROM c",
    ] {
        check(setup, q);
    }
}

#[test]
fn autoincrement_keeps_sqlite_sequence() {
    let steps = [
        "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
        "INSERT INTO t(v) VALUES ('a'), ('b'), ('c')",
        "DELETE FROM t WHERE id = 3",
        "INSERT INTO t(v) VALUES ('d')",
        "INSERT INTO t VALUES (10, 'e')",
        "DELETE FROM t WHERE id >= 4",
        "INSERT INTO t(v) VALUES ('f')",
        "CREATE TABLE u(id INTEGER PRIMARY KEY AUTOINCREMENT, w)",
        "INSERT INTO u(w) SELECT v FROM t",
        "CREATE TABLE bad(id INTEGER, x PRIMARY KEY AUTOINCREMENT)",
    ];
    check_steps(&steps, "SELECT * FROM t");
    check_steps(&steps, "SELECT * FROM sqlite_sequence ORDER BY name");
    let mut with_drop = steps.to_vec();
    with_drop.push("DROP TABLE t");
    check_steps(&with_drop, "SELECT * FROM sqlite_sequence ORDER BY name");
    check_steps(&with_drop, "SELECT name, sql FROM sqlite_schema ORDER BY name");
}

#[test]
fn printf_matches_sqlite() {
    for q in [
        "SELECT printf('%d|%5d|%-5d|%05d|%+d|% d|%,d', 42, 42, 42, 42, 42, 42, 1234567)",
        "SELECT printf('%x|%X|%o|%#x|%#o|%08.3x', 255, 255, 8, 255, 8, 10)",
        "SELECT printf('%f|%.2f|%10.3f|%-10.1f|%e|%.3E|%g|%g|%g|%G', 3.14159, 2.5, -1.5, 2.25, 12345.678, 0.000123, 100000.0, 1000000.0, 0.0001, 1e-5)",
        "SELECT printf('%s|%10s|%-10s|%.2s|%q|%Q|%Q|%w', 'abc', 'abc', 'abc', 'abc', 'it''s', 'it''s', NULL, 'a\"b')",
        "SELECT printf('%c|%5.2s|%%|%*d|%.*f', 'xyz', 'hello', 6, 7, 2, 3.14159)",
        "SELECT format('%d items at %.2f', 3, 9.5), printf(NULL), printf('%d'), printf('%s and %s', 1)",
        "SELECT printf('%.0f|%.0f|%.1f|%g|%g', 0.5, 1.5, 0.05, 123456789.0, 0.0)",
    ] {
        check("", q);
    }
}

#[test]
fn row_values() {
    let setup = "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 2), (1, 3), (2, 1), (NULL, 1), (2, NULL);";
    for q in [
        "SELECT (1, 2) = (1, 2), (1, 2) = (1, 3), (1, NULL) = (1, 2), (1, NULL) = (2, 2), (1, 2) <> (1, 3)",
        "SELECT (1, 2) < (1, 3), (1, 2) < (2, 0), (1, NULL) < (2, 0), (1, 2) < (1, NULL), (2, 1) >= (1, 9), (1, 2, 3) <= (1, 2, 3)",
        "SELECT (1, NULL) IS (1, NULL), (1, 2) IS NOT (1, 2)",
        "SELECT a, b FROM t WHERE (a, b) > (1, 2) ORDER BY a, b",
        "SELECT a, b FROM t WHERE (a, b) IN ((1, 3), (2, 1)) ORDER BY a",
        "SELECT a, b FROM t WHERE (a, b) NOT IN ((1, 3), (2, 1)) ORDER BY a, b",
        "SELECT (1, 2) = (1, 2, 3)",
    ] {
        check(setup, q);
    }
}

#[test]
fn index_range_scans_match_sqlite() {
    let setup = "CREATE TABLE r(a INTEGER, b TEXT, c);
        CREATE INDEX r_a ON r(a); CREATE INDEX r_bc ON r(b, c); CREATE INDEX r_c ON r(c);
        INSERT INTO r VALUES (1, 'x', 1), (2, 'x', 5), (3, 'y', 2.5), (NULL, 'y', NULL), (5, 'z', 'text'), (8, NULL, x'00'), (13, 'x', 9);";
    for q in [
        "SELECT a FROM r WHERE a > 2",
        "SELECT a FROM r WHERE a >= 2 AND a < 8",
        "SELECT a FROM r WHERE a <= 3",
        "SELECT a FROM r WHERE 3 < a",
        "SELECT a FROM r WHERE a BETWEEN 2 AND 5",
        "SELECT a FROM r WHERE a > '2'",
        "SELECT a FROM r WHERE a < NULL",
        "SELECT b, c FROM r WHERE b = 'x' AND c > 1",
        "SELECT b, c FROM r WHERE b = 'x' AND c <= 5",
        "SELECT c FROM r WHERE c > 2",
        "SELECT c FROM r WHERE c < 'u'",
        "SELECT c FROM r WHERE c >= 'text'",
    ] {
        check(setup, q);
    }
    let b = Connection::open_in_memory().unwrap();
    b.execute_batch(setup).unwrap();
    let plan = b.prepare("EXPLAIN QUERY PLAN SELECT a FROM r WHERE a > 2").unwrap().query_all(&[]).unwrap();
    assert_eq!(plan[0][3], Value::text("SEARCH r USING COVERING INDEX r_a (a>?)"));
}

/// Reproductions the differential test found, each compared with bundled SQLite.
#[test]
fn differential_findings() {
    let setup = "CREATE TABLE t1(a, b NUMERIC); INSERT INTO t1 VALUES (1, 2), ('a', 3), (-9223372036854775808, 1);";
    for q in [
        "SELECT 1 FROM t1 HAVING count(*)",
        "SELECT min(0.0, 0), min(0, 0.0), max(0.0, 0), max(0, 0.0)",
        "SELECT substr(1, -9223372036854775808, '-3'), substr('abc', 9223372036854775807, 9223372036854775807)",
        "SELECT NULL FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t1)",
        "SELECT count(*) FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t1 AS x WHERE x.a = t1.b)",
        "SELECT sum(a) FROM (SELECT 'a' AS a UNION ALL SELECT -9223372036854775808 UNION ALL SELECT -9223372036854775808)",
        "SELECT 1 % '1e2', ~ '1e-05', 1 << '1e2', 7 & '3.9', 7 % 2.5, '12abc' | 0",
        "SELECT CAST(-9223372036854775808.0 AS NUMERIC), typeof(CAST(4503599627370496.0 AS NUMERIC)), typeof(CAST(1125899906842624.0 AS NUMERIC))",
    ] {
        check(setup, q);
    }
    check_steps(
        &[
            "CREATE TABLE n(x NUMERIC)",
            "INSERT INTO n VALUES (-9223372036854775808.0), (2251799813685248.0), (2251799813685247.0)",
        ],
        "SELECT x, typeof(x) FROM n",
    );
}

/// More differential findings: comparison affinity between two columns, index lookups whose
/// comparison affinity does not suit the index, CAST of numeric text, repeated compound columns,
/// and cached subquery results in UPDATE.
#[test]
fn differential_findings_affinity_and_caching() {
    for (setup, q) in [
        ("CREATE TABLE t1(c0 INTEGER); CREATE TABLE t3(c0 REAL, c1 TEXT); INSERT INTO t1 VALUES (10.0); INSERT INTO t3 VALUES (NULL, 10); CREATE INDEX t3_i0 ON t3(c1, c0);", "SELECT count(*) FROM t1 a7 JOIN t3 a9 ON a7.c0 = a9.c1"),
        ("CREATE TABLE t1(c0 INTEGER COLLATE NOCASE, c1); CREATE TABLE t3(c0 TEXT, c1, c2 TEXT); CREATE INDEX t3_i1 ON t3(c2); INSERT INTO t1 VALUES (0, 42); INSERT INTO t3 VALUES (NULL, 1e10, 0);", "SELECT count(*) FROM t1 a2 JOIN t3 a4 ON a2.c0 = a4.c2"),
        ("CREATE TABLE t1(c0 TEXT COLLATE NOCASE, c1, c2 NUMERIC, c3 TEXT); INSERT INTO t1 VALUES (10, 2, 42, 'B');", "SELECT c1 <= c0, c0 >= c1, c1 < '10', c0 = 10 FROM t1"),
        ("CREATE TABLE t1(c4 TEXT); INSERT INTO t1 VALUES (3.0), ('1e2'), ('2.5');", "SELECT CAST(c4 AS NUMERIC), typeof(CAST(c4 AS NUMERIC)) FROM t1"),
        ("CREATE TABLE t1(c0 NUMERIC COLLATE NOCASE); CREATE TABLE t3(c0 BLOB, c1, c2 NUMERIC, c3 NUMERIC); INSERT INTO t1 VALUES ('ABC'); INSERT INTO t3 VALUES (1, 2, 3, 4);", "SELECT a0.c1, a0.c1 FROM t3 a0 UNION ALL SELECT 1, NULL FROM t1"),
        // The left operand's collation decides, even when the indexed column is on the right.
        ("CREATE TABLE t1(c0 REAL, c1 NUMERIC); CREATE TABLE t2(c0 INTEGER, c1 TEXT COLLATE NOCASE); CREATE INDEX t1_i0 ON t1(c1); INSERT INTO t1 VALUES (-5, 'B'); INSERT INTO t2 VALUES (10, 'b');", "SELECT (SELECT count(*) FROM t2 JOIN t1 ON t2.c1 = t1.c1), (SELECT count(*) FROM t2 JOIN t1 ON t1.c1 = t2.c1), (SELECT count(*) FROM t2, t1 WHERE t2.c1 >= t1.c1 AND t2.c1 <= t1.c1)"),
    ] {
        check(setup, q);
    }
    check_steps(
        &[
            "CREATE TABLE t1(c0 REAL, c1 BLOB)",
            "CREATE TABLE t2(c0 INTEGER, c1 BLOB, c2 NUMERIC, c3 NUMERIC, c4 INTEGER)",
            "INSERT INTO t2 VALUES (0, 2.25, x'', '10', 10), (1e-5, 1e10, 42, 10.0, 42)",
            "UPDATE t2 SET c2 = t2.c3, c4 = (SELECT NULL FROM t1 LIMIT 1)",
        ],
        "SELECT * FROM t2",
    );
}

/// IN's comparison rules differ from `=`'s: a list compares with the left operand's affinity
/// and collation alone; a subquery combines the left operand's with its column's (for a
/// compound, the rightmost member's).
#[test]
fn in_uses_sqlites_affinity_and_collation() {
    let setup = "CREATE TABLE t(c TEXT, n TEXT COLLATE NOCASE, i INTEGER, r REAL, b);
        INSERT INTO t VALUES ('5', 'A', 5, 1.0, x'41'), ('1.0e-05', 'b', NULL, 2.5, NULL);";
    for q in [
        "SELECT 5 IN (c), 5 = c, c IN (5), 'a' IN (n), 'a' = n, n IN ('a'), i IN ('5'), '5' IN (i) FROM t",
        "SELECT (c * 1) IN (c), round(r) IN (r), upper(3) NOT IN (i), 42 NOT IN (c) FROM t",
        "SELECT '5' IN (SELECT i FROM t), 5 IN (SELECT c FROM t), r IN (SELECT upper(1)) FROM t",
        "SELECT 5 IN (SELECT c FROM t UNION SELECT 7), 5 IN (SELECT 7 UNION SELECT c FROM t) FROM t",
        "SELECT 5 IN (SELECT c FROM t UNION ALL SELECT 7), 5 IN (SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT c FROM t)",
        "SELECT 'a' IN (SELECT n FROM t), n IN (SELECT 'a'), '0' IN (SELECT (1 < 1)), c IN (SELECT (1 < 1)) FROM t",
        "SELECT count(*) FROM t AS x WHERE x.c IN (SELECT i FROM t)",
        "SELECT i IN (SELECT CAST('a ' AS NUMERIC)), c IN (SELECT c FROM t AS y WHERE y.i = t.i) FROM t",
    ] {
        check(setup, q);
    }
}

/// String functions over zero-length blobs and NULs: SQLite reads an empty blob as a NULL
/// pointer in substr, and LIKE and GLOB stop at a NUL.
#[test]
fn string_functions_on_empty_blobs_and_nuls() {
    check(
        "",
        "SELECT quote(substr(x'', 1)), quote(substr(x'', 1, 1)), quote(replace(1, x'', NULL)), \
         quote(replace('abc', '', 'x')), quote(replace('abc', NULL, 'x')), quote(replace('abc', 'b', NULL)), \
         x'' LIKE '', x'00' LIKE '_', x'41' LIKE '_', x'0041' LIKE '%A', x'00' GLOB '?', 'a' || x'00' || 'b' LIKE 'a', \
         quote(substr('', 1)), quote(substr(x'0102', 2))",
    );
    // A pattern starting with a NUL is empty to SQLite's replace() (it tests zPattern[0]).
    check("", "SELECT quote(replace(1, x'00', NULL)), replace('a', x'0061', 'b'), replace('ab', x'00', 'z')");
}

/// REALs become text with 17 significant digits (SQLite 3.52 and later) unless a shorter form
/// reads back as the same double.
#[test]
fn reals_become_text_as_sqlite_prints_them() {
    check(
        "CREATE TABLE t(x); INSERT INTO t VALUES (1e-5), (1e10), (0.1), (-0.0);",
        "SELECT CAST(x * 3.0 AS TEXT), length(1e10 - x), hex(total(x)), x || '', CAST(0.0 / -5 AS TEXT) FROM t",
    );
}

/// Bare columns in an aggregate query come from the row that set a min() or max(), else from
/// the group's first row.
#[test]
fn bare_columns_follow_sqlites_rule() {
    let setup = "CREATE TABLE t(x, y); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (2, 'd'), (NULL, 'e');";
    for q in [
        "SELECT x, total(x) FROM t",
        "SELECT x, y, count(*) FROM t GROUP BY x > 0",
        "SELECT y, max(x) FROM t",
        "SELECT y, min(x) FROM t",
        "SELECT y, max(x), min(x) FROM t",
        "SELECT y, min(x), max(x) FROM t",
        "SELECT x, sum(x) FROM t WHERE x < 0",
        "SELECT y, max(x) FROM t GROUP BY x IS NULL",
        "SELECT y, min(x) FROM t GROUP BY x IS NULL ORDER BY 1",
        "SELECT y, count(*) FROM t GROUP BY x",
        "SELECT (SELECT y || max(x) FROM t AS u WHERE u.x >= t.x) FROM t",
    ] {
        check(setup, q);
    }
}

/// DISTINCT and compound sets compare with the columns' collations (a compound's from its
/// leftmost term that has one); of equal rows, a later UNION term's replaces an earlier one's.
#[test]
fn distinct_and_compounds_use_column_collations() {
    let setup = "CREATE TABLE t(a TEXT COLLATE NOCASE, b); INSERT INTO t VALUES ('A', 1), ('a', 2), ('b', 3);";
    for q in [
        "SELECT DISTINCT a FROM t",
        "SELECT DISTINCT a COLLATE BINARY FROM t",
        "SELECT a FROM t UNION SELECT 'B'",
        "SELECT 'B' UNION SELECT a FROM t",
        "SELECT 1 UNION SELECT 1.0",
        "SELECT a FROM t UNION ALL SELECT 'x' UNION SELECT 'X'",
        "SELECT 'x' UNION ALL SELECT 'X' UNION SELECT a FROM t",
        "SELECT a FROM t INTERSECT SELECT 'B'",
        "SELECT a FROM t EXCEPT SELECT 'B'",
        "SELECT b, a FROM t EXCEPT SELECT 2, 'A'",
    ] {
        check(setup, q);
    }
}

/// Row values against subqueries: comparisons with the first row (NULLs when there is none),
/// IN and NOT IN with SQL's NULL rules per column, CASE and BETWEEN, and SQLite's messages for
/// rows where they do not belong.
#[test]
fn row_valued_subqueries() {
    let setup = "CREATE TABLE t(a INTEGER, b TEXT, c);
        INSERT INTO t VALUES (1, '1', 1), (2, '2', NULL), (NULL, '3', 3), (3, 'x', 4);
        CREATE TABLE u(x, y TEXT, z NUMERIC, w TEXT COLLATE NOCASE);
        INSERT INTO u VALUES (1, '1', 1, 'A'), (2, NULL, 2, 'b'), ('3', '3', '3', 'C');";
    for q in [
        "SELECT (1, 2) = (SELECT 1, 2), (1, 2) <> (SELECT 1, 2), (1, 2) = (SELECT 1, 3)",
        "SELECT (1, 2) < (SELECT 1, 3), (1, 2) <= (SELECT 1, 2), (1, 2) > (SELECT 0, 9), (1, 2) >= (SELECT 1, 3)",
        "SELECT (1, 2) = (SELECT 1, 2 WHERE 0), (1, 2) IS (SELECT 1, 2 WHERE 0), (NULL, NULL) IS (SELECT 1, 2 WHERE 0)",
        "SELECT (1, NULL) IS (SELECT 1, NULL), (1, NULL) IS NOT (SELECT 1, NULL), (1, 2) IS NOT (SELECT 1, NULL)",
        "SELECT (1, 2) < (SELECT 1, NULL), (1, 2) < (SELECT 2, NULL), (1, 2) < (SELECT NULL, 3)",
        "SELECT (1, NULL) = (SELECT 2, 2), (1, NULL) = (SELECT 1, 2), (1, NULL) <> (SELECT 2, 2)",
        "SELECT (SELECT 1, 2) = (1, 2), (SELECT 1, 2) = (SELECT 1, 2), (SELECT 2, 1) > (SELECT 1, 2)",
        "SELECT (SELECT * FROM t) = (SELECT * FROM t), (SELECT * FROM t) = (1, '1', 1)",
        "SELECT (1, 2) = (SELECT x, z FROM u ORDER BY x DESC)",
        "SELECT a, (a, b) = (SELECT x, y FROM u WHERE x = a) FROM t",
        "SELECT a, (a, b) IS (SELECT x, y FROM u WHERE x = a) FROM t",
        "SELECT * FROM t WHERE (a, b) > (SELECT 1, '1')",
        "SELECT * FROM t WHERE (a, c) = (SELECT x, z FROM u WHERE z = 1)",
        "SELECT (b, 1) = (SELECT x, 1 FROM u), (a, 1) = (SELECT y, 1 FROM u WHERE x = 1) FROM t",
        "SELECT ('a', 1) = (SELECT w, 1 FROM u), (w, 1) = (SELECT 'a', 1) FROM u",
        "SELECT (SELECT w, 1 FROM u) = ('a', 1), ('a', 1) IS (SELECT w, 1 FROM u), ('b', 1) > (SELECT w, 1 FROM u)",
        "SELECT (1, 1) = (SELECT y, 1 FROM u WHERE x = 1), ('1', 1) = (SELECT z, 1 FROM u WHERE x = 1)",
        "SELECT (a, b) IN (SELECT x, y FROM u), (a, b) NOT IN (SELECT x, y FROM u) FROM t",
        "SELECT a, (a, c) IN (SELECT x, z FROM u), (a, c) NOT IN (SELECT x, z FROM u) FROM t",
        "SELECT (1, NULL) IN (SELECT 1, 2), (1, NULL) IN (SELECT 1, 2 WHERE 0), (1, NULL) NOT IN (SELECT 2, 2)",
        "SELECT (1, NULL) NOT IN (SELECT 1, 2 UNION SELECT 2, NULL), (1, 2) IN (SELECT 1, NULL)",
        "SELECT (1, 2) IN (VALUES (1, 2)), (1, 2) IN (SELECT 1, 2 UNION SELECT 3, 4), (3, 4) IN (SELECT * FROM (SELECT 3, 4))",
        "SELECT (1, '1', 1) IN t, (9, 9, 9) NOT IN t, (SELECT 1, 2) IN (SELECT 1, 2)",
        "SELECT (b, c) IN (SELECT y, x FROM u) FROM t",
        "SELECT ('a', 1) IN (SELECT w, x FROM u), ('c', '3') IN (SELECT w, z FROM u)",
        "SELECT a FROM t WHERE (a, b) IN (SELECT x, y FROM u)",
        "SELECT a FROM t WHERE (a, b) NOT IN (SELECT x, y FROM u WHERE y IS NOT NULL)",
        "SELECT a, (a, a) IN (SELECT x, z FROM u WHERE x < t.a) FROM t",
        "SELECT CASE (1, 2) WHEN (1, 2) THEN 'y' END, CASE (1, 2) WHEN (SELECT 1, 2) THEN 'y' ELSE 'n' END",
        "SELECT CASE (SELECT 1, 2) WHEN (0, 0) THEN 'a' WHEN (1, 2) THEN 'b' END",
        "SELECT (1, 2) BETWEEN (0, 0) AND (3, 3), (1, 2) BETWEEN (SELECT 0, 0) AND (3, 3), (5, 5) NOT BETWEEN (SELECT 0, 0) AND (3, 3)",
        "SELECT (1, 2) = (SELECT 1, 2, 3)",
        "SELECT (1, 2) IN (SELECT 1, 2, 3)",
        "SELECT (1, 2) IN (SELECT 1)",
        "SELECT 1 IN (SELECT 1, 2)",
        "SELECT (1, 2) IN (1, 2)",
        "SELECT (1, 2) IN ((1, 2), (3))",
        "SELECT (1, 2) IN ((1, 2), (3, 4, 5))",
        "SELECT 1 IN ((1, 2))",
        "SELECT 1 = (SELECT 1, 2)",
        "SELECT (SELECT 1, 2)",
        "SELECT (SELECT 1, 2) + 1",
        "SELECT (SELECT 1, 2) IS NULL",
        "SELECT (SELECT 1, 2) IN ((1, 2))",
        "SELECT (1, 2) IN t",
        "SELECT 2 BETWEEN (SELECT 1, 2) AND 3",
        "SELECT (1, (2, 3)) = (1, (2, 3))",
        "SELECT (1, (SELECT 2, 3)) = (1, (2, 3))",
        "SELECT (1, 2) = (SELECT 1, 2) COLLATE nocase",
        "SELECT 1 WHERE (1, 2) = (SELECT 1, 2)",
        "SELECT 1 WHERE (SELECT 1, 2)",
    ] {
        check(setup, q);
    }
}

/// A column of an aggregate query read only from a correlated subquery comes from the row
/// SQLite picks for bare columns (the one that set min() or max(), else the first).
#[test]
fn bare_columns_in_correlated_subqueries() {
    let setup = "CREATE TABLE t(x, y); INSERT INTO t VALUES (1, 'a'), (3, 'c'), (2, 'b'), (NULL, 'e');
        CREATE TABLE u(p, q); INSERT INTO u VALUES (1, 'one'), (2, 'two'), (3, 'three');";
    for q in [
        "SELECT (SELECT y FROM t AS u WHERE u.x = t.x), max(x) FROM t",
        "SELECT (SELECT y FROM t AS u WHERE u.x = t.x), min(x) FROM t",
        "SELECT (SELECT y FROM t AS u WHERE u.x = t.x), count(*) FROM t",
        "SELECT (SELECT q FROM u WHERE p = t.x), max(x) FROM t",
        "SELECT (SELECT q FROM u WHERE p = x), min(x) FROM t",
        "SELECT EXISTS (SELECT 1 FROM u WHERE p = t.x + 1), max(x) FROM t",
        "SELECT t.x IN (SELECT p FROM u WHERE q > t.y), max(x) FROM t",
        "SELECT (SELECT q FROM u WHERE p = t.x), max(x) FROM t GROUP BY y > 'b' ORDER BY 1",
        "SELECT (SELECT group_concat(q) FROM u WHERE p <= t.x), sum(x) FROM t",
        "SELECT max(x) FROM t HAVING (SELECT q FROM u WHERE p = t.x) IS NOT NULL",
        "SELECT (SELECT q FROM (SELECT * FROM u WHERE p = t.x)), max(x) FROM t",
    ] {
        check(setup, q);
    }
}

/// A scalar subquery compares with the affinity of its first result column; a derived table's
/// column has the affinity of its result expression (a CAST, a table's column).
#[test]
fn subquery_affinities() {
    let setup = "CREATE TABLE t(a INTEGER, b TEXT, c NUMERIC, d, e REAL);
        INSERT INTO t VALUES (1, '1', 1, 1, 1.0), (2, '02', '2', '2', 2.5);";
    for q in [
        "SELECT '1' = (SELECT a FROM t WHERE a = 1), 1 = (SELECT b FROM t WHERE a = 1), '1' = (SELECT d FROM t WHERE a = 1)",
        "SELECT (SELECT a FROM t WHERE a = 1) = '1', (SELECT b FROM t WHERE a = 1) = 1, (SELECT c FROM t WHERE a = 2) = 2",
        "SELECT '1.0' = (SELECT e FROM t WHERE a = 1), '1' = (SELECT CAST(d AS INTEGER) FROM t WHERE a = 1)",
        "SELECT '1' = (SELECT a FROM t WHERE a = 1 UNION ALL SELECT 5), '1' = (SELECT 5 UNION ALL SELECT a FROM t WHERE a = 1)",
        "SELECT a FROM t WHERE b = (SELECT a FROM t WHERE a = 1)",
        "SELECT a FROM t WHERE a = (SELECT b FROM t WHERE a = 1)",
        "SELECT a FROM t WHERE c = (SELECT d FROM t WHERE a = 2)",
        "SELECT '1' IN (SELECT a FROM t), (SELECT a FROM t WHERE a = 1) IN ('1'), (SELECT a FROM t WHERE a = 1) BETWEEN '0' AND '2'",
        "SELECT x = '1' FROM (SELECT CAST(a AS INTEGER) AS x FROM t)",
        "SELECT x = '1' FROM (SELECT CAST(d AS TEXT) AS x FROM t)",
        "SELECT x = 1, x = '1' FROM (SELECT CAST(b AS REAL) AS x FROM t)",
        "SELECT * FROM (SELECT a FROM t) WHERE a = '1'",
        "SELECT * FROM (SELECT b FROM t) WHERE b = 1",
        "SELECT * FROM (SELECT c FROM t) WHERE c = '2'",
        "SELECT * FROM (SELECT d FROM t) WHERE d = '2'",
        "SELECT x FROM (SELECT a + 0 AS x FROM t) WHERE x = '1'",
        "WITH w(x) AS (SELECT CAST(d AS INTEGER) FROM t) SELECT x = '2' FROM w",
        "SELECT x = '1' FROM (SELECT CAST(a AS INTEGER) AS x FROM t UNION ALL SELECT 3)",
        "SELECT x = '1' FROM (SELECT CAST(a AS INTEGER) AS x FROM t UNION ALL SELECT 'z')",
        "SELECT x = 1 FROM (SELECT CAST(a AS TEXT) AS x FROM t UNION ALL SELECT 'z')",
        "SELECT x = 1 FROM (SELECT CAST(a AS TEXT) AS x FROM t UNION ALL SELECT 7)",
        "SELECT a FROM (SELECT a FROM t UNION SELECT b FROM t) WHERE a = '1'",
        "SELECT a FROM (SELECT a FROM t UNION ALL SELECT c FROM t) WHERE a = '2'",
        "SELECT b FROM (SELECT b FROM t UNION ALL SELECT d FROM t) WHERE b = 1",
        "SELECT b FROM (SELECT b FROM t UNION ALL SELECT e FROM t) WHERE b = 1",
        "SELECT b FROM (SELECT b FROM t UNION ALL SELECT 'q') WHERE b = 1",
        "SELECT a FROM (SELECT a FROM t UNION ALL SELECT 'q') WHERE a = '1'",
        "SELECT a FROM (SELECT a FROM t UNION ALL SELECT upper('q')) WHERE a = '1'",
        "SELECT a FROM (SELECT a FROM t UNION ALL SELECT NULL) WHERE a = '1'",
        "SELECT a FROM (SELECT a FROM t UNION ALL SELECT * FROM (SELECT b FROM t)) WHERE a = '1'",
        "SELECT x FROM (SELECT (SELECT a FROM t WHERE a = 1) AS x) WHERE x = '1'",
        "SELECT x FROM (SELECT (SELECT b FROM t WHERE a = 1) AS x) WHERE x = 1",
        "SELECT column1 FROM (VALUES (1), ('1')) WHERE column1 = '1'",
        "SELECT x = '1' FROM (SELECT CAST(a AS INTEGER) AS x FROM t UNION ALL SELECT CASE WHEN a THEN 'y' END FROM t)",
        "SELECT '1' IN (VALUES (1)), 1 IN (VALUES ('1')), '1' IN (SELECT a FROM t UNION ALL VALUES (5))",
    ] {
        check(setup, q);
    }
}

/// A COLLATE anywhere inside an expression gives the expression that collation, as explicit
/// (SQLite's EP_Collate); CAST and unary plus keep their operand's.
#[test]
fn collate_inside_expressions() {
    let setup =
        "CREATE TABLE t(a TEXT, b TEXT COLLATE NOCASE, c BLOB); INSERT INTO t VALUES ('B', 'x', 'B'), ('b', 'X', 'b');";
    for q in [
        "SELECT lower('Abc') > ifnull((c COLLATE NOCASE), NULL) FROM t",
        "SELECT 'abc' > ifnull(c COLLATE NOCASE, 1), ifnull(c, 1 COLLATE NOCASE) = 'b', (a COLLATE NOCASE) || '' = 'b' FROM t",
        "SELECT (a COLLATE NOCASE) || (b COLLATE BINARY) = 'bx', (a || b COLLATE BINARY) = 'bx' FROM t",
        "SELECT CAST(b AS TEXT) = 'X', +b = 'X', CAST(a COLLATE NOCASE AS TEXT) = 'b' FROM t",
        "SELECT CASE WHEN 1 THEN a COLLATE NOCASE END = 'b', coalesce(NULL, a COLLATE NOCASE) IN ('b') FROM t",
        "SELECT DISTINCT lower(a) COLLATE BINARY || '' FROM t",
        "SELECT DISTINCT upper(a COLLATE NOCASE) || a FROM t",
        "SELECT a FROM t ORDER BY substr(a COLLATE NOCASE, 1), a",
        "SELECT (SELECT a COLLATE NOCASE FROM t) = 'b'",
        "SELECT a FROM t WHERE (a COLLATE NOCASE) BETWEEN 'b' AND 'b'",
    ] {
        check(setup, q);
    }
}

/// Aggregates compare their argument with its collation (DISTINCT, min, max); CAST keeps its
/// operand's collation; text becomes an INTEGER by its integer prefix (`'1e2'` is 1).
#[test]
fn collations_in_aggregates_and_integer_prefixes() {
    let setup = "CREATE TABLE t(a TEXT COLLATE NOCASE, b); INSERT INTO t VALUES ('abc', 1), ('Abc', 2), ('b', 3), ('B', 4), (NULL, 5);";
    for q in [
        "SELECT count(DISTINCT a), min(a), max(a), group_concat(DISTINCT a) FROM t",
        "SELECT b > 2, count(DISTINCT a), max(a), min(a COLLATE BINARY) FROM t GROUP BY b > 2",
        "SELECT count(DISTINCT a COLLATE BINARY), max(a), b FROM t",
        "SELECT CASE CAST(a AS TEXT) WHEN lower(a) THEN 'x' ELSE 'y' END FROM t",
        "SELECT CAST('1e2' AS INTEGER), CAST(' 12abc' AS INTEGER), CAST('1e20' AS INTEGER), CAST('-1.5' AS INTEGER), \
         CAST('9223372036854775808' AS INTEGER), CAST('-9223372036854775809' AS INTEGER), CAST(x'3132' AS INTEGER), \
         CAST('   -7e3x' AS INTEGER), substr('abcdef', '2e1')",
    ] {
        check(setup, q);
    }
}

/// A negative zero stored in a REAL column reads back as +0.0 (SQLite stores an integral REAL
/// as an integer); elsewhere it keeps its sign.
#[test]
fn negative_zero_in_real_columns() {
    let setup = "CREATE TABLE t(r REAL, x); INSERT INTO t VALUES (0 * -2.5, 0 * -2.5);";
    let (b, s) = both(setup, "SELECT r, x FROM t");
    let signs = |rows: &Vec<Vec<Value>>| -> Vec<bool> {
        rows[0].iter().map(|v| matches!(v, Value::Real(r) if r.is_sign_negative())).collect()
    };
    let (b, s) = (b.expect("brisk"), s.expect("sqlite"));
    assert_eq!(signs(&b), signs(&s), "brisk {b:?} sqlite {s:?}");
}

#[test]
fn having_without_group_by_filters_the_one_group() {
    let setup = "CREATE TABLE t(a, b); CREATE TABLE e(a);";
    for (s, q) in [
        (setup, "SELECT count(*) FROM e HAVING count(*) > 0"),
        (setup, "SELECT count(*) FROM e HAVING count(*) = 0"),
        (T, "SELECT count(*) FROM t HAVING count(*) > 3"),
        (T, "SELECT count(*) FROM t HAVING count(*) > 4"),
        (T, "SELECT count(*) FROM t HAVING zz"),
    ] {
        check(s, q);
    }
}

#[test]
fn a_unique_index_naming_a_column_twice_is_enforced() {
    for setup in [
        "CREATE TABLE t(a, b); CREATE UNIQUE INDEX i ON t(a, a); INSERT INTO t VALUES (1, 2);",
        "CREATE TABLE t(a, b, UNIQUE(a, a)); INSERT INTO t VALUES (1, 2);",
    ] {
        let (b, s) = both(&format!("{setup} INSERT INTO t VALUES (1, 3);"), "SELECT * FROM t");
        assert_eq!(b, s);
        assert!(b.is_err());
        check(&format!("{setup} INSERT INTO t VALUES (2, 3);"), "SELECT * FROM t ORDER BY a");
    }
}

#[test]
fn except_from_nothing_skips_the_right_side_and_negative_zero_is_stored_as_sqlite_does() {
    let setup = "CREATE TABLE t(a); CREATE TABLE e(a); INSERT INTO t VALUES (1), (2), (3);
        CREATE TABLE r(x REAL, y); INSERT INTO r VALUES (0.0 * -1, 0.0 * -1), (-0.0, -0.0);";
    for q in [
        // The right-hand SELECT would overflow; with nothing to remove from, SQLite never runs it.
        "SELECT 1 WHERE 0 EXCEPT SELECT abs(-9223372036854775807 - 1)",
        "SELECT a FROM e EXCEPT SELECT abs(-9223372036854775807 - 1) UNION SELECT 5",
        "SELECT a FROM t EXCEPT SELECT abs(-9223372036854775807 - 1)",
        "SELECT a FROM t EXCEPT SELECT 2 UNION ALL SELECT 9 EXCEPT SELECT 3",
        "SELECT x, y, quote(x), quote(y), 1 / x FROM r",
    ] {
        check(setup, q);
    }
}

#[test]
fn quote_ends_text_at_a_nul_as_sqlite_does() {
    let setup = "CREATE TABLE t(c0, c1, c2); INSERT INTO t VALUES ('b', x'00', 2.25);
        UPDATE t SET c0 = quote(c1 || c2);";
    for q in [
        "SELECT quote('a' || char(0) || 'b'), quote(x'00' || 2.25), quote(char(0)), length(quote('x' || char(0)))",
        "SELECT quote(c0), c0 FROM t",
    ] {
        check(setup, q);
    }
}

/// sum() stays an exact INTEGER over text that is wholly an integer (what `.import` stores), as
/// SQLite's sumStep decides through sqlite3_value_numeric_type.
#[test]
fn sum_over_text_and_blobs() {
    let setup = "CREATE TABLE t(a TEXT, b); INSERT INTO t VALUES('1', ' 12 '), ('2', '3x'), ('40', x'31');";
    for query in [
        "SELECT sum(a), total(a), avg(a) FROM t",
        "SELECT sum(b), total(b), avg(b) FROM t",
        "SELECT sum('1.5'), sum('3.0'), sum('-0'), sum('1e2'), sum('0x10'), sum(''), sum('  ') FROM t",
        "SELECT typeof(sum(a)), typeof(sum(b)), typeof(sum(a || '')) FROM t",
        "SELECT sum('9223372036854775807') FROM t",
    ] {
        check(setup, query);
    }
}
