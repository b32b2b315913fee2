//! Constraints and their conflict resolution, each script run through Brisk and bundled SQLite
//! (rusqlite): every statement must succeed or fail alike (same message and extended code, the
//! same changes() and autocommit state after it), and the queries that follow must return the
//! same rows. Covers the ON CONFLICT clauses of NOT NULL, UNIQUE and PRIMARY KEY constraints
//! against the statement's `OR ...`, CHECK failure messages, and schemas written by SQLite.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use brisk::{Connection, Value};
mod common;
use common::*;

/// Runs `steps` (statements separated by `;` at a line end) on both connections, comparing
/// each outcome, then compares the rows of every query.
#[track_caller]
fn run_both(b: &Connection, s: &rusqlite::Connection, steps: &str, queries: &[&str]) {
    for st in steps.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let be = b.execute_batch(st).err().map(|e| (e.to_string(), e.extended_code()));
        let se = s.execute_batch(st).err().map(sqlite_error);
        assert_eq!(be, se, "outcome of {st}");
        let changes = "SELECT changes(), total_changes(), last_insert_rowid()";
        assert_eq!(brisk_rows(b, changes), sqlite_rows(s, changes), "changes after {st}");
        assert_eq!(b.is_autocommit(), s.is_autocommit(), "autocommit after {st}");
    }
    for q in queries {
        assert_eq!(brisk_rows(b, q), sqlite_rows(s, q), "rows of {q} after {steps}");
    }
    assert_eq!(brisk_rows(b, "PRAGMA integrity_check"), vec![vec![Value::text("ok")]]);
}

#[track_caller]
fn check(steps: &str, queries: &[&str]) {
    let b = Connection::open_in_memory().unwrap();
    let s = rusqlite::Connection::open_in_memory().unwrap();
    run_both(&b, &s, steps, queries);
}

const ALGORITHMS: [&str; 5] = ["ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE"];

/// The statement-level prefixes: none (the constraint's clause applies) and each override.
const STATEMENTS: [&str; 6] =
    ["INSERT", "INSERT OR ROLLBACK", "INSERT OR ABORT", "INSERT OR FAIL", "INSERT OR IGNORE", "REPLACE"];

#[test]
fn not_null_on_conflict() {
    for alg in ALGORITHMS {
        for default in ["", " DEFAULT 'dflt'", " DEFAULT NULL"] {
            for ins in STATEMENTS {
                let steps = format!(
                    "CREATE TABLE t(a INTEGER PRIMARY KEY, b NOT NULL ON CONFLICT {alg}{default}, c NOT NULL);
                     INSERT INTO t VALUES (1, 'x', 1);
                     BEGIN;
                     INSERT INTO t VALUES (2, 'y', 2);
                     {ins} INTO t VALUES (3, 'p', 3), (4, NULL, 4), (5, 'q', 5);
                     {ins} INTO t VALUES (6, NULL, NULL);
                     {ins} INTO t(a, c) VALUES (7, 7);
                     UPDATE t SET b = NULL WHERE a = 1;
                     UPDATE OR IGNORE t SET b = NULL WHERE a = 1;
                     UPDATE OR REPLACE t SET b = NULL WHERE a = 1;
                     COMMIT"
                );
                check(&steps, &["SELECT * FROM t"]);
            }
        }
    }
}

#[test]
fn unique_on_conflict_column_and_table_level() {
    for alg in ALGORITHMS {
        for table in [
            format!("CREATE TABLE t(a INTEGER PRIMARY KEY, b UNIQUE ON CONFLICT {alg}, c)"),
            format!("CREATE TABLE t(a INTEGER PRIMARY KEY, b, c, UNIQUE (b) ON CONFLICT {alg})"),
            format!("CREATE TABLE t(a INTEGER PRIMARY KEY, b, c, UNIQUE (b, c) ON CONFLICT {alg})"),
            format!("CREATE TABLE t(a PRIMARY KEY, b UNIQUE ON CONFLICT {alg}, c) WITHOUT ROWID"),
            format!("CREATE TABLE t(a, b, c, PRIMARY KEY (b, c) ON CONFLICT {alg}) WITHOUT ROWID"),
        ] {
            for ins in STATEMENTS {
                let steps = format!(
                    "{table};
                     INSERT INTO t VALUES (1, 'x', 1);
                     INSERT INTO t VALUES (2, 'y', 2);
                     BEGIN;
                     INSERT INTO t VALUES (3, 'z', 3);
                     {ins} INTO t VALUES (4, 'p', 4), (5, 'x', 1), (6, 'q', 6);
                     {ins} INTO t VALUES (7, 'y', 2);
                     UPDATE t SET b = 'x', c = 1 WHERE a = 2;
                     UPDATE OR FAIL t SET b = 'x', c = 1 WHERE a >= 2;
                     COMMIT"
                );
                check(&steps, &["SELECT * FROM t ORDER BY a"]);
            }
        }
    }
}

#[test]
fn primary_key_on_conflict() {
    for alg in ALGORITHMS {
        for table in [
            format!("CREATE TABLE t(a INTEGER PRIMARY KEY ON CONFLICT {alg}, b)"),
            format!("CREATE TABLE t(a INTEGER, b, PRIMARY KEY (a) ON CONFLICT {alg})"),
            format!("CREATE TABLE t(a TEXT PRIMARY KEY ON CONFLICT {alg}, b)"),
            format!("CREATE TABLE t(a PRIMARY KEY ON CONFLICT {alg}, b) WITHOUT ROWID"),
        ] {
            for ins in STATEMENTS {
                let steps = format!(
                    "{table};
                     INSERT INTO t VALUES (1, 'a');
                     BEGIN;
                     INSERT INTO t VALUES (2, 'b');
                     {ins} INTO t VALUES (3, 'c'), (1, 'dup'), (4, 'd');
                     UPDATE t SET a = 1 WHERE a = 2;
                     UPDATE OR IGNORE t SET a = 3 WHERE a = 4;
                     COMMIT"
                );
                check(&steps, &["SELECT * FROM t ORDER BY a"]);
            }
        }
    }
}

/// REPLACE on one constraint and something else on another: SQLite checks the REPLACE indexes
/// last, and defers an INTEGER PRIMARY KEY's own REPLACE until after the UNIQUE checks.
#[test]
fn mixed_conflict_algorithms() {
    let cases = [
        "CREATE TABLE t(a INTEGER PRIMARY KEY ON CONFLICT REPLACE, b UNIQUE ON CONFLICT IGNORE, c)",
        "CREATE TABLE t(a INTEGER PRIMARY KEY ON CONFLICT REPLACE, b UNIQUE ON CONFLICT FAIL, c)",
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b UNIQUE ON CONFLICT REPLACE, c UNIQUE)",
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b UNIQUE, c UNIQUE ON CONFLICT REPLACE)",
        "CREATE TABLE t(a INTEGER PRIMARY KEY ON CONFLICT IGNORE, b UNIQUE ON CONFLICT REPLACE, c UNIQUE ON CONFLICT ABORT)",
        "CREATE TABLE t(a PRIMARY KEY ON CONFLICT REPLACE, b UNIQUE, c UNIQUE ON CONFLICT IGNORE) WITHOUT ROWID",
    ];
    for table in cases {
        for extra in ["", "CREATE UNIQUE INDEX ic ON t(c);", "CREATE UNIQUE INDEX ib ON t(b, c);"] {
            let steps = format!(
                "{table};
                 {extra}
                 INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30);
                 INSERT INTO t VALUES (1, 'b', 30);
                 INSERT INTO t VALUES (4, 'a', 20);
                 INSERT INTO t VALUES (2, 'x', 99);
                 INSERT INTO t VALUES (5, 'c', 10);
                 UPDATE t SET b = 'a' WHERE a = 2;
                 UPDATE t SET c = 30 WHERE b = 'b';
                 INSERT OR ABORT INTO t VALUES (6, 'a', 60)"
            );
            check(&steps, &["SELECT * FROM t ORDER BY a"]);
        }
    }
}

#[test]
fn constraint_order_and_multi_column_messages() {
    check(
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b NOT NULL, c CHECK (c > 0), d, e, UNIQUE (d, e));
         INSERT INTO t VALUES (1, 1, 1, 1, 1);
         INSERT INTO t VALUES (1, NULL, 1, 2, 2);
         INSERT INTO t VALUES (1, 1, 0, 2, 2);
         INSERT INTO t VALUES (1, 1, 1, 2, 2);
         INSERT INTO t VALUES (2, 1, 1, 1, 1);
         INSERT INTO t VALUES (2, NULL, 0, 1, 1);
         UPDATE t SET b = NULL, c = 0;
         UPDATE t SET a = 1, c = 0",
        &["SELECT * FROM t"],
    );
    check(
        "CREATE TABLE t(a, b, c, PRIMARY KEY (a, b), UNIQUE (c, b));
         INSERT INTO t VALUES (1, 2, 3);
         INSERT INTO t VALUES (1, 2, 4);
         INSERT INTO t VALUES (5, 2, 3)",
        &["SELECT * FROM t"],
    );
    check(
        "CREATE TABLE t(a, b, c, PRIMARY KEY (a, b), UNIQUE (c, b)) WITHOUT ROWID;
         INSERT INTO t VALUES (1, 2, 3);
         INSERT INTO t VALUES (1, 2, 4);
         INSERT INTO t VALUES (5, 2, 3);
         INSERT INTO t VALUES (NULL, 2, 3)",
        &["SELECT * FROM t"],
    );
    // A NOT NULL REPLACE column whose default is NULL is checked after the other columns.
    check(
        "CREATE TABLE t(a NOT NULL ON CONFLICT REPLACE DEFAULT NULL, b NOT NULL);
         INSERT INTO t VALUES (NULL, NULL);
         INSERT INTO t VALUES (NULL, 1)",
        &["SELECT * FROM t"],
    );
    // Identical UNIQUE constraints are one index; their clauses must agree.
    check(
        "CREATE TABLE t(a UNIQUE, b, UNIQUE (a) ON CONFLICT IGNORE);
         INSERT INTO t VALUES (1, 1);
         INSERT INTO t VALUES (1, 2);
         CREATE TABLE u(a UNIQUE ON CONFLICT FAIL, UNIQUE (a) ON CONFLICT IGNORE)",
        &["SELECT * FROM t"],
    );
}

#[test]
fn check_messages() {
    for (table, rows) in [
        ("CREATE TABLE t(a CHECK(a>0))", "(0)"),
        ("CREATE TABLE t(a CHECK (  a  >  0  ))", "(0)"),
        ("CREATE TABLE t(a, CHECK(a>0 /* positive */ ))", "(0)"),
        ("CREATE TABLE t(a, CHECK(\n\t/* lead */ a > 0\n))", "(0)"),
        ("CREATE TABLE t(a CONSTRAINT pos CHECK(a > 0))", "(0)"),
        ("CREATE TABLE t(a, CONSTRAINT \"my check\" CHECK(a > 0))", "(0)"),
        ("CREATE TABLE t(a, CONSTRAINT [br] CHECK(a > 0))", "(0)"),
        ("CREATE TABLE t(a, CHECK(\"a\" > 0))", "(0)"),
        ("CREATE TABLE t(a, CHECK('x''y' <> a))", "('x''y')"),
        ("CREATE TABLE t(a CONSTRAINT x CHECK(a > 0) CHECK(a < 9))", "(10)"),
        ("CREATE TABLE t(a CONSTRAINT x NOT NULL CHECK(a < 9))", "(10)"),
        ("CREATE TABLE t(a CONSTRAINT x CHECK(a > 0), b CHECK(b < 9))", "(1, 10)"),
        ("CREATE TABLE t(a CONSTRAINT x CHECK(a > 0), CHECK(a < 9))", "(10)"),
        ("CREATE TABLE t(a, CONSTRAINT x CHECK(a > 0), CHECK(a < 9))", "(10)"),
        ("CREATE TABLE t(a, CONSTRAINT x UNIQUE(a) CHECK(a < 9))", "(10)"),
        ("CREATE TABLE t(a, b, CHECK(a > 0) ON CONFLICT IGNORE, CHECK(a + b < 10))", "(1, 10), (0, 1)"),
        ("CREATE TABLE t(a PRIMARY KEY CHECK(a <> 'k')) WITHOUT ROWID", "('k')"),
    ] {
        for ins in ["INSERT", "INSERT OR IGNORE", "INSERT OR REPLACE", "INSERT OR FAIL"] {
            check(
                &format!("{table};\n{ins} INTO t VALUES {rows};\nUPDATE t SET a = 0;\nUPDATE OR IGNORE t SET a = -1"),
                &["SELECT * FROM t"],
            );
        }
    }
}

#[test]
fn foreign_key_clauses_parse() {
    // Bundled SQLite enforces foreign keys by default; Brisk, like the sqlite3 shell, does not.
    // So only the schema is compared here.
    let b = Connection::open_in_memory().unwrap();
    let s = rusqlite::Connection::open_in_memory().unwrap();
    s.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    run_both(
        &b,
        &s,
        "CREATE TABLE p(id INTEGER PRIMARY KEY, k UNIQUE);
         CREATE TABLE c(x REFERENCES p(id) ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED,
                        y, z CONSTRAINT fk REFERENCES p MATCH FULL,
                        FOREIGN KEY (y) REFERENCES p(k) ON DELETE SET DEFAULT NOT DEFERRABLE);
         INSERT INTO c VALUES (1, 2, 3)",
        &["SELECT * FROM c", "SELECT sql FROM sqlite_schema"],
    );
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

struct TempDb(PathBuf);

impl TempDb {
    fn new() -> TempDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("brisk-constraints-{}-{n}.db", std::process::id()));
        let _ = std::fs::remove_file(&p);
        TempDb(p)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(format!("{}-journal", self.path()));
    }
}

const SCHEMA: &str = "CREATE TABLE r(a INTEGER PRIMARY KEY ON CONFLICT IGNORE, b UNIQUE ON CONFLICT REPLACE,
                         c NOT NULL ON CONFLICT REPLACE DEFAULT 'c', d CONSTRAINT dpos CHECK (d > 0),
                         e CHECK( e <> 'bad' ), UNIQUE (c, e) ON CONFLICT FAIL);
    CREATE TABLE w(k PRIMARY KEY ON CONFLICT REPLACE, v NOT NULL ON CONFLICT IGNORE, u UNIQUE) WITHOUT ROWID;
    CREATE UNIQUE INDEX wu ON w(v, u)";

const WRITES: &str = "INSERT INTO r VALUES (1, 'x', NULL, 1, 'e1');
    INSERT INTO r VALUES (1, 'y', 'c', 1, 'e2');
    INSERT INTO r VALUES (2, 'x', NULL, 2, 'e3');
    INSERT INTO r VALUES (3, 'z', 'c', 3, 'e3');
    INSERT INTO r VALUES (4, 'q', 'c', 0, 'e4');
    INSERT INTO r VALUES (5, 'q', 'c', 5, 'bad');
    INSERT INTO w VALUES (1, 'a', 1), (1, 'b', 2), (2, NULL, 3);
    INSERT INTO w VALUES (3, 'c', 2);
    UPDATE w SET k = 1 WHERE k = 3";

/// A schema SQLite wrote, with conflict clauses on its constraints, read and written by Brisk;
/// and the same schema written by Brisk, read back by Brisk after reopening and by SQLite.
#[test]
fn conflict_clauses_survive_reopening() {
    let queries = ["SELECT * FROM r ORDER BY a", "SELECT * FROM w ORDER BY k", "SELECT * FROM sqlite_schema"];
    // SQLite creates the schema; Brisk writes.
    let db = TempDb::new();
    rusqlite::Connection::open(db.path()).unwrap().execute_batch(SCHEMA).unwrap();
    let mem = rusqlite::Connection::open_in_memory().unwrap();
    mem.execute_batch(SCHEMA).unwrap();
    {
        let b = Connection::open(db.path()).unwrap();
        run_both(&b, &mem, WRITES, &queries);
    }
    // Brisk creates the schema, writes after reopening; SQLite checks the file.
    let db2 = TempDb::new();
    {
        let b = Connection::open(db2.path()).unwrap();
        b.execute_batch(SCHEMA).unwrap();
    }
    let mem2 = rusqlite::Connection::open_in_memory().unwrap();
    mem2.execute_batch(SCHEMA).unwrap();
    {
        let b = Connection::open(db2.path()).unwrap();
        run_both(&b, &mem2, WRITES, &queries);
    }
    let s = rusqlite::Connection::open(db2.path()).unwrap();
    for q in queries {
        assert_eq!(sqlite_rows(&s, q), sqlite_rows(&mem2, q), "{q} read by SQLite");
    }
    assert_eq!(sqlite_rows(&s, "PRAGMA integrity_check"), vec![vec![Value::text("ok")]]);
}

/// CREATE TABLE checks its constraints as SQLite does when the table is created.
#[test]
fn constraint_definitions_are_checked_at_create() {
    for steps in [
        "CREATE TABLE t(a DEFAULT (a + 1))",
        "CREATE TABLE t(a DEFAULT (random()));\nINSERT INTO t DEFAULT VALUES",
        "CREATE TABLE t(a, UNIQUE (a + 1))",
        "CREATE TABLE t(a, PRIMARY KEY (a + 1))",
        "CREATE TABLE t(a, b, CHECK (zz > 0))",
        "CREATE TABLE t(a, b, CHECK (t.a > 0));\nINSERT INTO t VALUES (0, 0)",
        "CREATE TABLE t(a, b, CHECK (rowid > 0));\nINSERT INTO t VALUES (0, 0)",
        "CREATE TABLE t(a CHECK (count(*) > 0))",
        "CREATE TABLE t(a CHECK (nosuch(a) > 0))",
        "CREATE TABLE t(a, FOREIGN KEY (zz) REFERENCES p(x))",
        "CREATE TABLE t(a, FOREIGN KEY (a) REFERENCES p(x, y))",
        "CREATE TABLE t(a REFERENCES p(x, y))",
        "CREATE TABLE t(a CONSTRAINT x);\nINSERT INTO t VALUES (1)",
        "CREATE TABLE t(a, CONSTRAINT x);\nINSERT INTO t VALUES (1)",
        "CREATE TABLE t(a, CONSTRAINT x, CONSTRAINT y CHECK (a > 0));\nINSERT INTO t VALUES (0)",
        "CREATE TABLE t(a, CONSTRAINT x, b)",
        "CREATE TABLE t(a PRIMARY KEY, b PRIMARY KEY)",
        "CREATE TABLE t(a TEXT PRIMARY KEY AUTOINCREMENT)",
        "CREATE TABLE t(a CHECK (a > 0) ON CONFLICT IGNORE)",
        "CREATE TABLE t(a CHECK (?))",
        "CREATE TABLE t(a CHECK (a > 0 AND :p))",
        "CREATE TABLE t(a CHECK (a IN (SELECT 1)))",
        "CREATE TABLE t(a CHECK (EXISTS (SELECT 1)))",
        "CREATE TABLE t(a, b CHECK ((SELECT 1)), c CHECK (?))",
        "CREATE TABLE t(a DEFAULT (?))",
        "CREATE TABLE t(a DEFAULT ((SELECT 1)))",
    ] {
        let b = Connection::open_in_memory().unwrap();
        let s = rusqlite::Connection::open_in_memory().unwrap();
        s.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        run_both(&b, &s, steps, &[]);
    }
}
