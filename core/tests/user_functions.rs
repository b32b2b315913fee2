//! Application-defined functions, aggregates and collations, the progress handler and
//! deserialize: each registration is made on a Brisk connection and on bundled SQLite (through
//! rusqlite) alike, and the same statements must give the same rows or the same error.

mod common;

use std::cmp::Ordering;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use brisk::{Aggregate, Connection, Value};
use common::{sqlite_error, to_value};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::functions::{Context, FunctionFlags};

/// A function body shared by both engines: arguments in, a value or an error message out.
type Body = fn(&[Value]) -> Result<Value, String>;

fn to_sqlite(v: Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Integer(i) => V::Integer(i),
        Value::Real(r) => V::Real(r),
        Value::Text(t) => V::Text(t.to_string()),
        Value::Blob(b) => V::Blob(b.to_vec()),
    }
}

fn args_of(ctx: &Context<'_>) -> Vec<Value> {
    (0..ctx.len()).map(|i| to_value(ctx.get_raw(i))).collect()
}

/// A statement's rows, or its error: (message, primary result code).
type Outcome = Result<Vec<Vec<Value>>, (String, i32)>;

/// A Brisk connection and a SQLite connection given the same registrations.
struct Pair {
    b: Connection,
    s: rusqlite::Connection,
}

impl Pair {
    fn new() -> Pair {
        Pair { b: Connection::open_in_memory().unwrap(), s: rusqlite::Connection::open_in_memory().unwrap() }
    }

    fn scalar(&self, name: &str, n_args: i32, deterministic: bool, body: Body) {
        self.b.create_function(name, n_args, deterministic, move |a| body(a).map_err(brisk::Error::sql)).unwrap();
        let mut flags = FunctionFlags::SQLITE_UTF8;
        if deterministic {
            flags |= FunctionFlags::SQLITE_DETERMINISTIC;
        }
        self.s
            .create_scalar_function(name, n_args, flags, move |ctx| {
                body(&args_of(ctx)).map(to_sqlite).map_err(|m| rusqlite::Error::UserFunctionError(m.into()))
            })
            .unwrap();
    }

    fn aggregate(&self, name: &str, n_args: i32, spec: AggSpec) {
        self.b.create_aggregate(name, n_args, move || Box::new(BriskAgg { spec, rows: Vec::new() })).unwrap();
        self.s.create_aggregate_function(name, n_args, FunctionFlags::SQLITE_UTF8, SqliteAgg(spec)).unwrap();
    }

    /// An aggregate window function: the state is the frame's rows, oldest first.
    fn window(&self, name: &str, n_args: i32, spec: AggSpec) {
        self.b.create_window_function(name, n_args, move || Box::new(BriskAgg { spec, rows: Vec::new() })).unwrap();
        self.s.create_window_function(name, n_args, FunctionFlags::SQLITE_UTF8, SqliteAgg(spec)).unwrap();
    }

    fn collation(&self, name: &str, f: fn(&str, &str) -> Ordering) {
        self.b.create_collation(name, f).unwrap();
        self.s.create_collation(name, f).unwrap();
    }

    fn remove_function(&self, name: &str, n_args: i32) {
        self.b.remove_function(name, n_args).unwrap();
        self.s.remove_function(name, n_args).unwrap();
    }

    fn remove_collation(&self, name: &str) {
        self.b.remove_collation(name).unwrap();
        self.s.remove_collation(name).unwrap();
    }

    fn brisk(&self, sql: &str) -> Outcome {
        let run = || -> brisk::Result<Vec<Vec<Value>>> {
            let mut rows = Vec::new();
            self.b.execute_script(sql, |_, r| {
                rows.push(r.to_vec());
                Ok(())
            })?;
            Ok(rows)
        };
        run().map_err(|e| (e.to_string(), e.code() as i32))
    }

    fn sqlite(&self, sql: &str) -> Outcome {
        let err = |e: rusqlite::Error| {
            let (m, code) = sqlite_error(e);
            (m, code & 0xff)
        };
        let mut rows = Vec::new();
        let mut batch = rusqlite::Batch::new(&self.s, sql);
        while let Some(mut st) = batch.next().map_err(err)? {
            let n = st.column_count();
            let mut q = st.raw_query();
            while let Some(r) = q.next().map_err(err)? {
                rows.push((0..n).map(|i| to_value(r.get_ref(i).unwrap())).collect());
            }
        }
        Ok(rows)
    }

    /// Both engines give the same rows, or the same error and result code.
    #[track_caller]
    fn check(&self, sql: &str) -> Outcome {
        let (b, s) = (self.brisk(sql), self.sqlite(sql));
        assert_eq!(b, s, "engines differ for {sql}");
        b
    }

    #[track_caller]
    fn ok(&self, sql: &str) -> Vec<Vec<Value>> {
        self.check(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"))
    }

    #[track_caller]
    fn err(&self, sql: &str) -> String {
        match self.check(sql) {
            Ok(rows) => panic!("{sql} succeeded: {rows:?}"),
            Err((m, _)) => m,
        }
    }
}

/// An aggregate both engines run: the rows' arguments are collected, `finish` makes the value;
/// `step_check` may reject a row.
#[derive(Clone, Copy)]
struct AggSpec {
    step_check: fn(&[Value]) -> Result<(), String>,
    finish: fn(&[Vec<Value>]) -> Result<Value, String>,
}

fn accept(_: &[Value]) -> Result<(), String> {
    Ok(())
}

struct BriskAgg {
    spec: AggSpec,
    rows: Vec<Vec<Value>>,
}

impl Aggregate for BriskAgg {
    fn step(&mut self, args: &[Value]) -> brisk::Result<()> {
        (self.spec.step_check)(args).map_err(brisk::Error::sql)?;
        self.rows.push(args.to_vec());
        Ok(())
    }

    fn finalize(&mut self) -> brisk::Result<Value> {
        (self.spec.finish)(&self.rows).map_err(brisk::Error::sql)
    }

    fn value(&mut self) -> brisk::Result<Value> {
        (self.spec.finish)(&self.rows).map_err(brisk::Error::sql)
    }

    /// A frame's rows leave oldest first.
    fn inverse(&mut self, args: &[Value]) -> brisk::Result<()> {
        assert_eq!(self.rows.first().map(Vec::as_slice), Some(args), "inverse of a row not the oldest");
        self.rows.remove(0);
        Ok(())
    }
}

struct SqliteAgg(AggSpec);

impl rusqlite::functions::Aggregate<Vec<Vec<Value>>, rusqlite::types::Value> for SqliteAgg {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Vec<Vec<Value>>> {
        Ok(Vec::new())
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Vec<Vec<Value>>) -> rusqlite::Result<()> {
        let args = args_of(ctx);
        (self.0.step_check)(&args).map_err(|m| rusqlite::Error::UserFunctionError(m.into()))?;
        acc.push(args);
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, acc: Option<Vec<Vec<Value>>>) -> rusqlite::Result<rusqlite::types::Value> {
        // No rows: the value over nothing, as a fresh Brisk state gives.
        (self.0.finish)(&acc.unwrap_or_default())
            .map(to_sqlite)
            .map_err(|m| rusqlite::Error::UserFunctionError(m.into()))
    }
}

impl rusqlite::functions::WindowAggregate<Vec<Vec<Value>>, rusqlite::types::Value> for SqliteAgg {
    fn value(&self, acc: Option<&mut Vec<Vec<Value>>>) -> rusqlite::Result<rusqlite::types::Value> {
        (self.0.finish)(acc.map(|a| a.as_slice()).unwrap_or_default())
            .map(to_sqlite)
            .map_err(|m| rusqlite::Error::UserFunctionError(m.into()))
    }

    fn inverse(&self, _: &mut Context<'_>, acc: &mut Vec<Vec<Value>>) -> rusqlite::Result<()> {
        acc.remove(0);
        Ok(())
    }
}

fn text(s: &str) -> Value {
    Value::text(s)
}

fn int(i: i64) -> Value {
    Value::Integer(i)
}

// Function bodies.

fn double(a: &[Value]) -> Result<Value, String> {
    Ok(match &a[0] {
        Value::Integer(i) => int(i * 2),
        Value::Real(r) => Value::Real(r * 2.0),
        Value::Null => Value::Null,
        Value::Text(t) => text(&format!("{t}{t}")),
        Value::Blob(b) => Value::blob(&[b.as_ref(), b.as_ref()].concat()),
    })
}

fn describe(a: &[Value]) -> Result<Value, String> {
    let parts: Vec<String> = a.iter().map(|v| format!("{}:{}", v.type_name(), v)).collect();
    Ok(text(&format!("{}[{}]", a.len(), parts.join(","))))
}

fn fails(a: &[Value]) -> Result<Value, String> {
    match &a[0] {
        Value::Integer(i) if *i > 2 => Err(format!("too big: {i}")),
        v => Ok(v.clone()),
    }
}

fn constant_one(_: &[Value]) -> Result<Value, String> {
    Ok(int(1))
}

fn constant_two(_: &[Value]) -> Result<Value, String> {
    Ok(int(2))
}

fn user_abs(_: &[Value]) -> Result<Value, String> {
    Ok(text("mine"))
}

fn nan(_: &[Value]) -> Result<Value, String> {
    Ok(Value::Real(f64::NAN))
}

fn reverse(a: &str, b: &str) -> Ordering {
    b.cmp(a)
}

fn by_length(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then(a.cmp(b))
}

const SUM_INTS: AggSpec = AggSpec {
    step_check: accept,
    finish: |rows| Ok(int(rows.iter().map(|r| if let Value::Integer(i) = r[0] { i } else { 0 }).sum())),
};

/// Every row's arguments, NULLs too, as text: shows exactly what the engine passed.
const LIST: AggSpec = AggSpec {
    step_check: accept,
    finish: |rows| {
        let items: Vec<String> = rows
            .iter()
            .map(|r| r.iter().map(|v| format!("{}:{v}", v.type_name())).collect::<Vec<_>>().join("/"))
            .collect();
        Ok(text(&format!("{}[{}]", rows.len(), items.join(","))))
    },
};

const STEP_FAILS: AggSpec = AggSpec {
    step_check: |a| if a[0] == int(3) { Err("step saw 3".into()) } else { Ok(()) },
    finish: |rows| Ok(int(rows.len() as i64)),
};

const FINAL_FAILS: AggSpec = AggSpec { step_check: accept, finish: |_| Err("finalize failed".into()) };

const SETUP: &str = "CREATE TABLE t(a, b, c TEXT);
    INSERT INTO t VALUES (1, 'x', 'apple'), (2, 'y', 'Banana'), (3, 'x', 'cherry'), (NULL, 'y', NULL),
        (2, 'z', 'date'), (1.5, 'x', 'Elder'), ('txt', 'y', 'fig'), (x'0102', 'z', 'grape');";

#[test]
fn scalar_functions_give_sqlites_values() {
    let p = Pair::new();
    p.ok(SETUP);
    p.scalar("double", 1, true, double);
    p.scalar("describe", -1, true, describe);
    p.ok("SELECT double(a), DOUBLE(b), Double(c) FROM t");
    p.ok("SELECT describe(), describe(1), describe(a, b, c, 2.5, NULL) FROM t");
    p.ok("SELECT a FROM t WHERE double(a) > 2 ORDER BY double(a) DESC");
    p.ok("SELECT double(b), count(*) FROM t GROUP BY double(b) ORDER BY 1");
    p.ok("SELECT sum(double(a)), max(describe(c)) FROM t");
    p.ok("SELECT double(double(7)), double(?1) IS NULL");
    // Expressions of every kind as arguments, and in a subquery and a view.
    p.ok("SELECT describe(a + 1, b || c, (SELECT max(a) FROM t), CASE WHEN a > 1 THEN 'big' END) FROM t");
    p.ok("CREATE VIEW v AS SELECT double(a) AS d FROM t; SELECT * FROM v ORDER BY d");
    // A NaN result is NULL, as sqlite3_result_double stores it.
    p.scalar("nan", 0, true, nan);
    p.ok("SELECT nan(), typeof(nan())");
}

#[test]
fn lookup_by_name_and_argument_count() {
    let p = Pair::new();
    p.scalar("f", -1, true, constant_one);
    p.scalar("f", 2, true, constant_two);
    // Exactly two arguments: the two-argument version; any other count: the variadic one.
    p.ok("SELECT f(), f(1), f(1, 2), F(1, 2, 3)");
    p.scalar("g", 1, true, constant_one);
    assert_eq!(p.err("SELECT g(1, 2)"), "wrong number of arguments to function g()");
    assert_eq!(p.err("SELECT g()"), "wrong number of arguments to function g()");
    assert_eq!(p.err("SELECT nosuch(1)"), "no such function: nosuch");
    // Removing one version leaves the other (except where the removed one matches best).
    p.remove_function("f", 2);
    p.ok("SELECT f(1), f(1, 2, 3)");
    assert_eq!(p.err("SELECT f(1, 2)"), "wrong number of arguments to function f()");
    p.remove_function("f", -1);
    assert_eq!(p.err("SELECT f(1)"), "no such function: f");
    // Removing what is not there is not an error.
    p.remove_function("never", 3);
    assert_eq!(p.err("SELECT never(1, 2, 3)"), "no such function: never");
    // `g(*)` is `g()`.
    assert_eq!(p.err("SELECT g(*)"), "wrong number of arguments to function g()");
    p.scalar("h", 0, true, constant_two);
    p.ok("SELECT h(*)");
    // A removed version still matches best, hiding the one for any number of arguments and
    // a built-in of the same name.
    p.scalar("k", -1, true, constant_one);
    p.scalar("k", 1, true, constant_two);
    p.remove_function("k", 1);
    assert_eq!(p.err("SELECT k(1)"), "wrong number of arguments to function k()");
    p.ok("SELECT k(), k(1, 2)");
    p.scalar("abs", 1, true, constant_two);
    p.remove_function("abs", 1);
    assert_eq!(p.err("SELECT abs(-1)"), "wrong number of arguments to function abs()");
}

#[test]
fn user_functions_override_builtins() {
    let p = Pair::new();
    p.scalar("abs", 1, true, user_abs);
    p.ok("SELECT abs(-5), ABS('x')");
    // A version for another argument count does not hide the built-in.
    p.scalar("upper", 2, true, user_abs);
    p.ok("SELECT upper('a'), upper('a', 'b')");
    p.scalar("length", -1, true, user_abs);
    p.ok("SELECT length('abc'), length()");
    // Aggregates too, and the built-in is back once the user's is removed.
    p.aggregate("sum", 1, LIST);
    p.ok("CREATE TABLE n(x); INSERT INTO n VALUES (1), (2); SELECT sum(x) FROM n");
    // Removing the user's leaves an entry that still hides the built-in (sqlite3FindFunction
    // picks it, and it has no implementation).
    p.remove_function("sum", 1);
    assert_eq!(p.err("SELECT sum(x) FROM n"), "wrong number of arguments to function sum()");
    p.ok("SELECT total(x), abs(-5) FROM n");
    // The LIKE and GLOB operators call like() and glob(), so the user's replace them.
    p.scalar("like", 2, true, constant_one);
    p.ok("SELECT 'a' LIKE 'b', 'a' NOT LIKE 'b'");
}

#[test]
fn function_errors_are_the_statements() {
    let p = Pair::new();
    p.ok(SETUP);
    p.scalar("fails", 1, true, fails);
    assert_eq!(p.err("SELECT fails(a) FROM t WHERE typeof(a) = 'integer'"), "too big: 3");
    p.ok("SELECT fails(a) FROM t WHERE a < 3");
    // In a write, the statement's changes are undone.
    p.ok("CREATE TABLE u(x)");
    assert_eq!(p.err("INSERT INTO u SELECT fails(a) FROM t WHERE typeof(a) = 'integer'"), "too big: 3");
    p.ok("SELECT count(*) FROM u");
    // The code Brisk gives a function's error is the one it returned.
    let b = Connection::open_in_memory().unwrap();
    b.create_function("busy", 0, false, |_| Err(brisk::Error::Busy)).unwrap();
    let e = b.prepare("SELECT busy()").unwrap().query_all(&[]).unwrap_err();
    assert_eq!(e, brisk::Error::Busy);
}

#[test]
fn function_misuse() {
    let b = Connection::open_in_memory().unwrap();
    let s = rusqlite::Connection::open_in_memory().unwrap();
    for (name, n) in [("f", -2), ("f", 1001), (&"x".repeat(256)[..], 1)] {
        let be = b.create_function(name, n, true, |_| Ok(Value::Null)).unwrap_err();
        let se = s.create_scalar_function(name, n, FunctionFlags::SQLITE_UTF8, |_| Ok(0)).unwrap_err();
        let (smsg, scode) = sqlite_error(se);
        assert_eq!((be.to_string(), be.code() as i32), (smsg, scode), "{name}/{n}");
    }
    b.create_function("f", 1000, true, |_| Ok(Value::Null)).unwrap();
    s.create_scalar_function("f", 1000, FunctionFlags::SQLITE_UTF8, |_| Ok(0)).unwrap();
}

#[test]
fn statements_prepared_earlier_see_later_registrations() {
    let p = Pair::new();
    p.scalar("f", 0, true, constant_one);
    let mut bs = p.b.prepare("SELECT f()").unwrap();
    let mut ss = p.s.prepare("SELECT f()").unwrap();
    let sqlite_once = |ss: &mut rusqlite::Statement<'_>| -> Result<Vec<Value>, String> {
        let mut q = ss.raw_query();
        let mut out = Vec::new();
        while let Some(r) = q.next().map_err(common::message)? {
            out.push(to_value(r.get_ref(0).unwrap()));
        }
        Ok(out)
    };
    let brisk_once = |bs: &mut brisk::Statement| -> Result<Vec<Value>, String> {
        bs.query_all(&[]).map(|rows| rows.into_iter().map(|r| r[0].clone()).collect()).map_err(|e| e.to_string())
    };
    assert_eq!(brisk_once(&mut bs), sqlite_once(&mut ss));
    // Replaced: the prepared statement runs the new function.
    p.scalar("f", 0, true, constant_two);
    let (b, s) = (brisk_once(&mut bs), sqlite_once(&mut ss));
    assert_eq!(b, s);
    assert_eq!(b, Ok(vec![int(2)]));
    // Removed: it fails as preparing it again would.
    p.remove_function("f", 0);
    let (b, s) = (brisk_once(&mut bs), sqlite_once(&mut ss));
    assert_eq!(b, s);
    assert_eq!(b, Err("no such function: f".to_string()));
    // Registered again: it runs again.
    p.scalar("f", 0, true, constant_one);
    assert_eq!(brisk_once(&mut bs), sqlite_once(&mut ss));
}

#[test]
fn non_deterministic_functions_in_indexes() {
    let p = Pair::new();
    p.ok("CREATE TABLE t(a, b)");
    p.scalar("det", 1, true, double);
    p.scalar("nondet", 1, false, double);
    assert_eq!(p.err("CREATE INDEX i1 ON t(nondet(a))"), "non-deterministic functions prohibited in index expressions");
    assert_eq!(
        p.err("CREATE INDEX i2 ON t(a) WHERE nondet(b) > 0"),
        "non-deterministic functions prohibited in partial index WHERE clauses"
    );
    assert_eq!(
        p.err("CREATE INDEX i3 ON t(a) WHERE random() > 0"),
        "non-deterministic functions prohibited in partial index WHERE clauses"
    );
    p.ok("CREATE INDEX i4 ON t(det(a)); CREATE INDEX i5 ON t(b) WHERE det(a) > 2");
    p.ok("INSERT INTO t VALUES (1, 2), (3, 4); SELECT a FROM t WHERE det(a) = 6");
    // Elsewhere a non-deterministic function is fine, and runs for each row.
    p.ok("SELECT nondet(a) FROM t ORDER BY 1");
}

#[test]
fn aggregates_group_distinct_filter_and_empty_input() {
    let p = Pair::new();
    p.ok(SETUP);
    p.aggregate("list", -1, LIST);
    p.aggregate("sumints", 1, SUM_INTS);
    p.ok("SELECT list(a), sumints(a), LIST(b, c) FROM t");
    p.ok("SELECT b, list(a), sumints(a) FROM t GROUP BY b ORDER BY b");
    p.ok("SELECT b, list(a) FROM t GROUP BY b HAVING sumints(a) > 2 ORDER BY b");
    // DISTINCT passes each value once (NULL once too); FILTER only the rows it keeps.
    p.ok("INSERT INTO t VALUES (NULL, 'y', NULL), (1, 'x', 'again'); SELECT list(DISTINCT a), list(a) FROM t");
    p.ok("SELECT b, list(DISTINCT a), sumints(DISTINCT a) FROM t GROUP BY b ORDER BY b");
    p.ok("SELECT list(a) FILTER (WHERE b = 'x'), list(DISTINCT b) FILTER (WHERE a > 1) FROM t");
    p.ok("SELECT list(DISTINCT c COLLATE NOCASE) FROM (SELECT 'a' AS c UNION ALL SELECT 'A' UNION ALL SELECT 'b')");
    assert_eq!(p.err("SELECT list(DISTINCT a, b) FROM t"), "DISTINCT aggregates must have exactly one argument");
    // No rows: the value over nothing; per group: no group, no row.
    p.ok("SELECT list(a), sumints(a), list() FROM t WHERE 0");
    p.ok("SELECT b, list(a) FROM t WHERE 0 GROUP BY b");
    // Zero arguments, and `*` meaning zero arguments.
    p.ok("SELECT list(), list(*) FROM t");
    // Used twice, in the output and in ORDER BY.
    p.ok("SELECT b, sumints(a), sumints(a) + 1 FROM t GROUP BY b ORDER BY sumints(a), b");
    // In a correlated subquery, and over a join.
    p.ok("SELECT b, (SELECT list(c) FROM t AS u WHERE u.b = t.b AND u.a > 1) FROM t GROUP BY b ORDER BY b");
    p.ok("SELECT sumints(x.a + y.a) FROM t AS x JOIN t AS y ON x.a = y.a + 1");
    assert_eq!(p.err("SELECT a FROM t WHERE list(a) > 0"), "misuse of aggregate function list()");
}

#[test]
fn window_functions() {
    let p = Pair::new();
    p.ok(SETUP);
    p.window("wlist", -1, LIST);
    p.window("wsum", 1, SUM_INTS);
    p.aggregate("plain", 1, SUM_INTS);
    // Each row's value is the frame's rows: steps add rows, inverses remove the oldest.
    p.ok("SELECT a, wlist(a) OVER (ORDER BY a ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t");
    p.ok("SELECT a, wsum(a) OVER (ORDER BY a), wlist(a, b) OVER (PARTITION BY b ORDER BY a DESC) FROM t");
    p.ok("SELECT a, wlist(c) OVER (ORDER BY a ROWS BETWEEN 2 FOLLOWING AND 3 FOLLOWING) FROM t");
    p.ok("SELECT a, wlist(a) FILTER (WHERE a > 1) OVER (ORDER BY a ROWS 1 PRECEDING) FROM t");
    p.ok("SELECT a, wsum(a) OVER (ORDER BY a GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING) FROM t");
    // A window function is an aggregate without OVER too.
    p.ok("SELECT wsum(a), wlist(b) FROM t");
    assert_eq!(p.err("SELECT plain(a) OVER (ORDER BY a) FROM t"), "plain() may not be used as a window function");
}

#[test]
fn aggregate_errors() {
    let p = Pair::new();
    p.ok(SETUP);
    p.aggregate("stepfails", 1, STEP_FAILS);
    p.aggregate("finalfails", 1, FINAL_FAILS);
    assert_eq!(p.err("SELECT stepfails(a) FROM t"), "step saw 3");
    p.ok("SELECT stepfails(a) FROM t WHERE a IS NOT 3");
    assert_eq!(p.err("SELECT finalfails(a) FROM t"), "finalize failed");
    assert_eq!(p.err("SELECT b, finalfails(a) FROM t GROUP BY b"), "finalize failed");
    assert_eq!(p.err("SELECT finalfails(a) FROM t WHERE 0"), "finalize failed");
}

#[test]
fn finalize_runs_once_per_group() {
    let b = Connection::open_in_memory().unwrap();
    b.execute_batch(SETUP).unwrap();
    let finals = Arc::new(AtomicUsize::new(0));
    struct Counting(Arc<AtomicUsize>, i64);
    impl Aggregate for Counting {
        fn step(&mut self, _: &[Value]) -> brisk::Result<()> {
            self.1 += 1;
            Ok(())
        }
        fn finalize(&mut self) -> brisk::Result<Value> {
            self.0.fetch_add(1, Relaxed);
            Ok(Value::Integer(self.1))
        }
    }
    let f = finals.clone();
    b.create_aggregate("cnt", 1, move || Box::new(Counting(f.clone(), 0))).unwrap();
    let rows =
        b.prepare("SELECT b, cnt(a), cnt(a) * 10 FROM t GROUP BY b HAVING cnt(a) > 0").unwrap().query_all(&[]).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(finals.load(Relaxed), 3, "xFinal once per group, as SQLite calls it");
}

#[test]
fn collations_in_every_place() {
    let p = Pair::new();
    p.collation("rev", reverse);
    p.collation("ByLen", by_length);
    p.ok(SETUP);
    p.ok("SELECT c FROM t ORDER BY c COLLATE rev");
    p.ok("SELECT c FROM t ORDER BY c COLLATE bylen DESC");
    p.ok("SELECT 'a' < 'b' COLLATE rev, 'a' COLLATE REV < 'b', 'abc' = 'xyz' COLLATE bylen, 'ab' < 'b' COLLATE bylen");
    p.ok("SELECT c FROM t WHERE c > 'c' COLLATE rev ORDER BY 1");
    p.ok("SELECT c FROM t WHERE c BETWEEN 'b' AND 'e' COLLATE rev ORDER BY 1");
    p.ok("SELECT 'b' COLLATE rev IN ('a', 'b'), max(c COLLATE rev), min(c COLLATE bylen) FROM t");
    // Column definitions, and an index that must be in the collation's order.
    p.ok("CREATE TABLE w(s TEXT COLLATE rev, n); CREATE INDEX wi ON w(s);
          INSERT INTO w VALUES ('m', 1), ('a', 2), ('z', 3), ('q', 4), ('b', 5);");
    p.ok("SELECT s FROM w ORDER BY s");
    p.ok("SELECT s FROM w WHERE s > 'm' ORDER BY s");
    p.ok("SELECT s FROM w WHERE s = 'q'");
    p.ok("SELECT s, n FROM w ORDER BY s DESC LIMIT 3");
    p.ok("PRAGMA integrity_check");
    p.ok("CREATE TABLE k(s TEXT PRIMARY KEY COLLATE bylen, v) WITHOUT ROWID;
          INSERT INTO k VALUES ('ccc', 1), ('a', 2), ('bb', 3); SELECT * FROM k; SELECT * FROM k WHERE s > 'zz'");
    // Grouping and DISTINCT by the collation.
    p.ok("SELECT DISTINCT length(c) FROM t ORDER BY 1");
    p.ok("CREATE TABLE g(s COLLATE bylen); INSERT INTO g VALUES ('a'), ('b'), ('cc'), ('a');
          SELECT s, count(*) FROM g GROUP BY s ORDER BY s; SELECT count(DISTINCT s) FROM g");
    p.ok("SELECT c COLLATE rev FROM t UNION SELECT 'zz' ORDER BY 1");
}

#[test]
fn missing_collations_fail_as_in_sqlite() {
    let p = Pair::new();
    p.ok("CREATE TABLE t(a)");
    // Only where it is needed: a COLLATE that compares nothing is not.
    p.ok("SELECT 'a' COLLATE nosuch, a COLLATE nosuch FROM t");
    assert_eq!(p.err("SELECT 'a' COLLATE nosuch = 'b'"), "no such collation sequence: nosuch");
    // With SQLite's extended code, SQLITE_ERROR_MISSING_COLLSEQ.
    let theirs = p.s.prepare("SELECT 'a' COLLATE nosuch = 'b'").map(|_| ()).map_err(|e| sqlite_error(e).1);
    let ours = p.b.prepare("SELECT 'a' COLLATE nosuch = 'b'").map(|_| ()).map_err(|e| e.extended_code());
    assert_eq!((ours, theirs), (Err(257), Err(257)));
    assert_eq!(p.err("SELECT a FROM t WHERE a COLLATE nosuch IN ('x', 'y')"), "no such collation sequence: nosuch");
    assert_eq!(p.err("SELECT a FROM t ORDER BY a COLLATE nosuch"), "no such collation sequence: nosuch");
    assert_eq!(p.err("CREATE TABLE u(x COLLATE nosuch)"), "no such collation sequence: nosuch");
    assert_eq!(p.err("CREATE INDEX i ON t(a COLLATE nosuch)"), "no such collation sequence: nosuch");
    // A schema naming a collation that has gone: only statements that compare with it fail.
    p.collation("gone", reverse);
    p.ok("CREATE TABLE g(s COLLATE gone, n); CREATE TABLE h(s COLLATE gone); CREATE INDEX hi ON h(s);
          INSERT INTO g VALUES ('a', 1), ('b', 2); INSERT INTO h VALUES ('x')");
    p.remove_collation("gone");
    p.ok("SELECT * FROM g");
    p.ok("INSERT INTO g VALUES ('c', 3); SELECT count(*) FROM g");
    assert_eq!(p.err("SELECT s FROM g ORDER BY s"), "no such collation sequence: gone");
    assert_eq!(p.err("SELECT * FROM g WHERE s = 'a'"), "no such collation sequence: gone");
    assert_eq!(p.err("SELECT max(s) FROM g"), "no such collation sequence: gone");
    assert_eq!(p.err("INSERT INTO h VALUES ('y')"), "no such collation sequence: gone");
    p.ok("SELECT count(s) FROM g");
    // Registered again: everything works.
    p.collation("gone", reverse);
    p.ok("SELECT s FROM g ORDER BY s; INSERT INTO h VALUES ('y'); SELECT s FROM h ORDER BY s");
}

#[test]
fn a_schema_loaded_without_its_collation() {
    // A database made with a collation, opened by a connection that lacks it.
    let mut p = Pair::new();
    p.collation("rev", reverse);
    p.ok("CREATE TABLE w(s TEXT COLLATE rev); CREATE INDEX wi ON w(s); INSERT INTO w VALUES ('a'), ('c'), ('b')");
    let image = p.b.serialize().unwrap();
    let mut q = Pair::new();
    q.b.deserialize(&image).unwrap();
    q.s.execute_batch("CREATE TABLE w(s TEXT COLLATE nocase)").unwrap();
    let sqlite_image = p.s.serialize("main").unwrap().to_vec();
    q.s.deserialize_read_exact("main", &sqlite_image[..], sqlite_image.len(), false).unwrap();
    q.ok("SELECT s FROM w");
    assert_eq!(q.err("SELECT s FROM w ORDER BY s"), "no such collation sequence: rev");
    assert_eq!(q.err("INSERT INTO w VALUES ('d')"), "no such collation sequence: rev");
    q.collation("rev", reverse);
    q.ok(
        "SELECT s FROM w ORDER BY s; INSERT INTO w VALUES ('d'); SELECT s FROM w WHERE s < 'c'; PRAGMA integrity_check",
    );
}

#[test]
fn progress_handler_interrupts() {
    let mut s = rusqlite::Connection::open_in_memory().unwrap();
    let b = Connection::open_in_memory().unwrap();
    let long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT sum(x) FROM c";
    // Called while a long statement runs; returning false lets it finish.
    let (bc, sc) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (bc2, sc2) = (bc.clone(), sc.clone());
    b.set_progress_handler(
        100,
        Some(move || {
            bc2.fetch_add(1, Relaxed);
            false
        }),
    );
    s.progress_handler(
        100,
        Some(move || {
            sc2.fetch_add(1, Relaxed);
            false
        }),
    )
    .unwrap();
    let brisk_sum = b.query_row(long, &[], |r| Ok(r.get(0)?.clone())).unwrap();
    let sqlite_sum: i64 = s.query_row(long, [], |r| r.get(0)).unwrap();
    assert_eq!(brisk_sum, int(sqlite_sum));
    assert!(bc.load(Relaxed) > 100 && sc.load(Relaxed) > 100, "{bc:?} {sc:?}");
    // Returning true interrupts with SQLITE_INTERRUPT.
    b.set_progress_handler(100, Some(|| true));
    s.progress_handler(100, Some(|| true)).unwrap();
    let be = b.query_row(long, &[], |r| Ok(r.get(0)?.clone())).unwrap_err();
    let se = s.query_row(long, [], |r| r.get::<_, i64>(0)).unwrap_err();
    assert_eq!((be.to_string(), be.code() as i32), sqlite_error(se));
    // Also a short statement: the handler runs when a step returns.
    b.execute_batch("CREATE TABLE t(a); INSERT INTO t VALUES (1)")
        .unwrap_or_else(|e| assert_eq!(e.to_string(), "interrupted"));
    // Removed: nothing is interrupted; the connection is usable.
    b.set_progress_handler(0, None::<fn() -> bool>);
    s.progress_handler(0, None::<fn() -> bool>).unwrap();
    assert_eq!(b.query_row(long, &[], |r| Ok(r.get(0)?.clone())).unwrap(), int(sqlite_sum));
    // Interrupting a write undoes it.
    let mut p = Pair::new();
    p.ok("CREATE TABLE t(a)");
    p.b.set_progress_handler(10, Some(|| true));
    p.s.progress_handler(10, Some(|| true)).unwrap();
    let ins =
        "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c";
    assert_eq!(p.check(ins), Err(("interrupted".to_string(), 9)));
    p.b.set_progress_handler(0, None::<fn() -> bool>);
    p.s.progress_handler(0, None::<fn() -> bool>).unwrap();
    p.ok("SELECT count(*) FROM t");
}

#[test]
fn deserialize_replaces_the_database() {
    let mut p = Pair::new();
    p.ok("CREATE TABLE old(x); INSERT INTO old VALUES (1)");
    // An image SQLite made, loaded into Brisk; and Brisk's image loaded into SQLite.
    let mut maker = rusqlite::Connection::open_in_memory().unwrap();
    maker
        .execute_batch(
            "PRAGMA page_size = 1024; CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT); CREATE INDEX tb ON t(b);
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500)
             INSERT INTO t SELECT x, printf('row %05d', x) FROM c;",
        )
        .unwrap();
    let image = maker.serialize("main").unwrap().to_vec();
    let mut stale = p.b.prepare("SELECT count(*) FROM old").unwrap();
    p.b.deserialize(&image).unwrap();
    p.s.deserialize_read_exact("main", &image[..], image.len(), false).unwrap();
    p.ok("SELECT count(*), sum(a), max(b) FROM t; SELECT b FROM t WHERE b > 'row 00490' ORDER BY b");
    assert_eq!(p.err("SELECT * FROM old"), "no such table: old");
    // A statement prepared before fails as preparing it now would.
    assert_eq!(stale.query_all(&[]).unwrap_err().to_string(), "no such table: old");
    // The copy is writable, and its image is a database SQLite reads.
    p.ok("INSERT INTO t(b) VALUES ('new'); DELETE FROM t WHERE a % 2 = 0; PRAGMA integrity_check");
    let back = p.b.serialize().unwrap();
    let mut reader = rusqlite::Connection::open_in_memory().unwrap();
    reader.deserialize_read_exact("main", &back[..], back.len(), false).unwrap();
    let n: i64 = reader.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(int(n), p.ok("SELECT count(*) FROM t")[0][0]);
    // backup_to: another connection gets a copy.
    let other = Connection::open_in_memory().unwrap();
    p.b.backup_to(&other).unwrap();
    assert_eq!(
        other.prepare("SELECT count(*), max(a) FROM t").unwrap().query_all(&[]).unwrap(),
        p.ok("SELECT count(*), max(a) FROM t")
    );
    // Not inside a transaction.
    p.b.execute_batch("BEGIN").unwrap();
    assert_eq!(p.b.deserialize(&image).unwrap_err(), brisk::Error::Busy);
    p.b.execute_batch("COMMIT").unwrap();
    // An empty image is an empty database.
    p.b.deserialize(&[]).unwrap();
    assert_eq!(p.b.prepare("SELECT count(*) FROM sqlite_schema").unwrap().query_all(&[]).unwrap(), vec![vec![int(0)]]);
    // An image that is not a database: every statement that reads it fails as SQLite's does.
    let junk: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    p.b.deserialize(&junk).unwrap();
    p.s.deserialize_read_exact("main", &junk[..], junk.len(), false).unwrap();
    assert_eq!(p.err("SELECT * FROM sqlite_master"), "file is not a database");
    assert_eq!(p.err("SELECT count(*) FROM t"), "file is not a database");
}
