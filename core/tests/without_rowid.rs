//! INSERT, UPDATE and DELETE on WITHOUT ROWID tables, each script run through Brisk and bundled
//! SQLite (rusqlite): every statement must succeed or fail alike (same message and extended
//! code), and the queries that follow must return the same rows.

use brisk::{Connection, Value};
mod common;
use common::*;

/// Runs `steps` in both engines (each statement separately: failures must agree), then
/// compares every query in `queries` and SQLite's verdict on its own copy.
#[track_caller]
fn check(steps: &str, queries: &[&str]) {
    let b = Connection::open_in_memory().unwrap();
    let s = rusqlite::Connection::open_in_memory().unwrap();
    for st in steps.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let be = b.execute_batch(st).err().map(|e| (e.to_string(), e.extended_code()));
        let se = s.execute_batch(st).err().map(sqlite_error);
        assert_eq!(be, se, "outcome of {st}");
        // Brisk counts rows changed inside triggers (COMPAT.md), so only trigger-free scripts
        // compare the counters.
        if !steps.contains("TRIGGER") {
            let changes = "SELECT changes(), total_changes(), last_insert_rowid()";
            assert_eq!(brisk_rows(&b, changes), sqlite_rows(&s, changes), "changes after {st}");
        }
    }
    for q in queries {
        assert_eq!(brisk_rows(&b, q), sqlite_rows(&s, q), "rows of {q} after {steps}");
    }
    assert_eq!(brisk_rows(&b, "PRAGMA integrity_check"), vec![vec![Value::text("ok")]]);
}

#[test]
fn insert_and_primary_key_constraints() {
    check(
        "CREATE TABLE t(a, b, c, PRIMARY KEY(a, b)) WITHOUT ROWID;
        INSERT INTO t VALUES (1, 'x', 10), (2, 'y', 20), (1, 'y', 30);
        INSERT INTO t VALUES (1, 'x', 99);
        INSERT INTO t VALUES (NULL, 'z', 1);
        INSERT INTO t VALUES (5, NULL, 1);
        INSERT INTO t(a, c) VALUES (6, 1);
        INSERT OR IGNORE INTO t VALUES (1, 'x', 11), (3, 'z', 33);
        INSERT OR REPLACE INTO t VALUES (2, 'y', 22);
        REPLACE INTO t VALUES (9, 'q', 90);
        INSERT OR FAIL INTO t VALUES (7, 'a', 1), (1, 'x', 2), (8, 'b', 3);
        INSERT OR ABORT INTO t VALUES (10, 'a', 1), (1, 'x', 2);
        BEGIN;
        INSERT INTO t VALUES (11, 'a', 1);
        INSERT OR ROLLBACK INTO t VALUES (1, 'x', 2);
        INSERT INTO t VALUES (12, 'a', 1);
        COMMIT",
        &["SELECT * FROM t", "SELECT * FROM t WHERE a = 1", "SELECT c FROM t WHERE a = 2 AND b = 'y'"],
    );
    check(
        "CREATE TABLE k(id TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 5, w) WITHOUT ROWID;
        INSERT INTO k VALUES ('a', 1, 2);
        INSERT INTO k VALUES ('a', 1, 2);
        INSERT INTO k VALUES ('b', NULL, 2);
        INSERT OR REPLACE INTO k VALUES ('b', NULL, 2);
        INSERT OR IGNORE INTO k VALUES ('c', NULL, 2);
        INSERT INTO k(v) VALUES (3);
        INSERT INTO k VALUES (1, 2, 3)",
        &["SELECT id, typeof(id), v, w FROM k"],
    );
}

#[test]
fn affinity_collation_and_desc_keys() {
    check(
        "CREATE TABLE t(a TEXT, b INTEGER, c REAL, d, PRIMARY KEY(b DESC, a COLLATE NOCASE)) WITHOUT ROWID;
        INSERT INTO t VALUES ('abc', '12', '1', x'00'), ('ABC', 12, 2, 1), ('Abd', 12.0, '3.5', 'z');
        INSERT INTO t VALUES ('x', 1, 1, 1), ('y', '2', 1, 1), (3, 3, 3, 3);
        INSERT OR REPLACE INTO t VALUES ('aBc', 12, 9, 9);
        UPDATE t SET d = 'u' WHERE a = 'ABD';
        DELETE FROM t WHERE b = 1",
        &[
            "SELECT a, typeof(a), b, typeof(b), c, typeof(c), d FROM t",
            "SELECT * FROM t WHERE a = 'ABC' AND b = 12",
            "SELECT * FROM t ORDER BY a",
        ],
    );
    check(
        "CREATE TABLE n(k TEXT COLLATE NOCASE PRIMARY KEY, v) WITHOUT ROWID;
        INSERT INTO n VALUES ('Hello', 1);
        INSERT INTO n VALUES ('HELLO', 2);
        INSERT OR REPLACE INTO n VALUES ('hello', 3);
        UPDATE n SET k = 'World' WHERE k = 'HeLLo';
        INSERT INTO n VALUES ('world', 4)",
        &["SELECT * FROM n", "SELECT * FROM n WHERE k = 'WORLD'"],
    );
}

#[test]
fn update_and_delete() {
    let setup = "CREATE TABLE t(a INTEGER, b TEXT, c, PRIMARY KEY(a)) WITHOUT ROWID;
        INSERT INTO t VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3), (4, 'four', 4), (5, 'five', 5)";
    for stmt in [
        "UPDATE t SET c = c * 10",
        "UPDATE t SET c = c * 10 WHERE a = 3",
        "UPDATE t SET b = upper(b) WHERE c > 2",
        "UPDATE t SET a = a + 10",
        "UPDATE t SET a = a + 1",
        "UPDATE t SET a = 3 WHERE a = 1",
        "UPDATE OR REPLACE t SET a = 3 WHERE a = 1",
        "UPDATE OR IGNORE t SET a = a + 1",
        "UPDATE OR REPLACE t SET a = a + 1",
        "UPDATE t SET a = NULL WHERE a = 2",
        "UPDATE OR IGNORE t SET a = NULL WHERE a = 2",
        "UPDATE t SET a = '7' WHERE a = 2",
        "UPDATE t SET a = a WHERE a = 2",
        "DELETE FROM t WHERE a = 2",
        "DELETE FROM t WHERE b LIKE 't%'",
        "DELETE FROM t WHERE a > 2 AND c < 5",
        "DELETE FROM t",
    ] {
        check(&format!("{setup};\n{stmt}"), &["SELECT * FROM t", "SELECT * FROM t WHERE a = 3"]);
    }
}

#[test]
fn secondary_and_unique_indexes() {
    let setup = "CREATE TABLE t(a, b, c UNIQUE, d, PRIMARY KEY(b, a)) WITHOUT ROWID;
        CREATE INDEX td ON t(d);
        CREATE UNIQUE INDEX tda ON t(d, a);
        CREATE INDEX tpart ON t(c) WHERE d > 2;
        CREATE INDEX texpr ON t(a + d);
        INSERT INTO t VALUES (1, 'x', 10, 1), (2, 'x', 20, 2), (1, 'y', 30, 3), (3, 'z', NULL, 3), (4, 'z', NULL, 4)";
    for stmt in [
        "INSERT INTO t VALUES (9, 'q', 10, 9)",
        "INSERT INTO t VALUES (1, 'q', 11, 1)",
        "INSERT OR REPLACE INTO t VALUES (9, 'q', 10, 9)",
        "INSERT OR REPLACE INTO t VALUES (1, 'y', 20, 1)",
        "INSERT OR IGNORE INTO t VALUES (9, 'q', 10, 9), (8, 'p', 80, 8)",
        "UPDATE t SET c = 20 WHERE a = 1 AND b = 'x'",
        "UPDATE OR REPLACE t SET c = 20 WHERE a = 1 AND b = 'x'",
        "UPDATE t SET d = d + 1",
        "UPDATE t SET b = 'w' WHERE c = 30",
        "UPDATE OR REPLACE t SET b = 'x' WHERE c = 30",
        "UPDATE t SET a = a * 2, d = 7",
        "DELETE FROM t WHERE d = 3",
        "DELETE FROM t WHERE c IS NULL",
        "REINDEX t",
    ] {
        check(
            &format!("{setup};\n{stmt}"),
            &["SELECT * FROM t", "SELECT * FROM t WHERE d = 3", "SELECT b, a FROM t WHERE c = 20"],
        );
    }
    // An index built over existing rows, and one failing on duplicates.
    check(
        "CREATE TABLE w(k PRIMARY KEY, v) WITHOUT ROWID;
        INSERT INTO w VALUES (1, 'a'), (2, 'b'), (3, 'a');
        CREATE INDEX wv ON w(v);
        CREATE UNIQUE INDEX wu ON w(v);
        CREATE UNIQUE INDEX wk ON w(v, k);
        INSERT INTO w VALUES (4, 'a');
        DELETE FROM w WHERE v = 'a'",
        &["SELECT * FROM w", "SELECT * FROM w WHERE v = 'b'"],
    );
}

#[test]
fn constraint_check_order() {
    // Which constraint a row breaks first decides the message.
    for setup in [
        "CREATE TABLE t(a PRIMARY KEY, b UNIQUE) WITHOUT ROWID",
        "CREATE TABLE t(a UNIQUE, b PRIMARY KEY) WITHOUT ROWID",
        "CREATE TABLE t(a, b UNIQUE, PRIMARY KEY(a)) WITHOUT ROWID",
        "CREATE TABLE t(a UNIQUE, b, c UNIQUE, PRIMARY KEY(b)) WITHOUT ROWID",
        "CREATE TABLE t(a PRIMARY KEY, b, c) WITHOUT ROWID;\nCREATE UNIQUE INDEX tb ON t(b);\nCREATE UNIQUE INDEX ta ON t(a)",
        // Rowid tables follow the same order.
        "CREATE TABLE t(a UNIQUE, b UNIQUE)",
        "CREATE TABLE t(a, b PRIMARY KEY, c UNIQUE)",
        "CREATE TABLE t(a, b);\nCREATE UNIQUE INDEX ta ON t(a);\nCREATE UNIQUE INDEX tb ON t(b)",
    ] {
        check(
            &format!(
                "{setup};\nINSERT INTO t(a, b) VALUES (1, 1);\nINSERT INTO t(a, b) VALUES (1, 1);\n\
                 INSERT INTO t(a, b) VALUES (2, 2);\nUPDATE t SET a = 1, b = 1 WHERE a = 2"
            ),
            &["SELECT * FROM t"],
        );
    }
}

#[test]
fn triggers_and_insert_select() {
    check(
        "CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
        CREATE TABLE log(x);
        CREATE TRIGGER ti AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('ins ' || NEW.k || ' ' || NEW.v); END;
        CREATE TRIGGER tu BEFORE UPDATE ON t BEGIN INSERT INTO log VALUES ('upd ' || OLD.k || '>' || NEW.k); END;
        CREATE TRIGGER td AFTER DELETE ON t BEGIN INSERT INTO log VALUES ('del ' || OLD.k); END;
        INSERT INTO t VALUES ('a', 1), ('b', 2);
        INSERT INTO t SELECT k || k, v * 10 FROM t;
        UPDATE t SET k = k || '!' WHERE v > 5;
        DELETE FROM t WHERE k = 'a';
        INSERT OR REPLACE INTO t VALUES ('b', 3)",
        &["SELECT * FROM t", "SELECT rowid, x FROM log"],
    );
    // A trigger writing to a WITHOUT ROWID table.
    check(
        "CREATE TABLE src(a);
        CREATE TABLE agg(k PRIMARY KEY, n) WITHOUT ROWID;
        CREATE TRIGGER s AFTER INSERT ON src BEGIN
          INSERT OR IGNORE INTO agg VALUES (NEW.a, 0);
          UPDATE agg SET n = n + 1 WHERE k = NEW.a;
        END;
        INSERT INTO src VALUES (1), (2), (1), (3), (1)",
        &["SELECT * FROM agg"],
    );
}

#[test]
fn wide_rows_and_overflow() {
    let cols: Vec<String> = (0..40).map(|i| format!("c{i}")).collect();
    let mut steps = format!("CREATE TABLE w({}, PRIMARY KEY(c7, c3)) WITHOUT ROWID;\n", cols.join(", "));
    for r in 0..30 {
        let vals: Vec<String> = (0..40)
            .map(|i| match (i + r) % 4 {
                0 => format!("{}", r * 100 + i),
                1 => format!("'{}'", "v".repeat((r * 37 + i) % 50)),
                2 => format!("hex(zeroblob({})) || '{r}'", if i == 5 { 2500 } else { 1 }),
                _ => "NULL".to_string(),
            })
            .map(|v| if v == "NULL" && (r % 2 == 0) { format!("{r}") } else { v })
            .collect();
        steps += &format!("INSERT OR REPLACE INTO w VALUES ({});\n", vals.join(", "));
    }
    steps += "INSERT INTO w(c7, c3, c0) VALUES (zeroblob(3000) || 'k', 'big', 1);\n";
    steps += "UPDATE w SET c10 = zeroblob(9000) WHERE c0 IS NOT NULL;\nDELETE FROM w WHERE c1 > 'vvv'";
    check(&steps, &["SELECT count(*), sum(length(c5)), sum(length(c10)) FROM w", "SELECT c7, c3, c0, c1 FROM w"]);
}
