//! The math functions checked against the sqlite3 shell (3.40, built with
//! SQLITE_ENABLE_MATH_FUNCTIONS; bundled SQLite is built without them). Each expression's type
//! and text (REALs with the shell's 15 digits) must be the same in both engines.

use std::process::Command;

use brisk::{Connection, Value};

const SQLITE3: &str = "/usr/bin/sqlite3";

/// Every math function on ordinary values, edge values and non-numeric arguments.
fn cases() -> Vec<String> {
    let one_arg = [
        "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "ceiling", "cos", "cosh", "degrees", "exp", "floor",
        "ln", "log", "log10", "log2", "radians", "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
    ];
    let args = [
        "0",
        "1",
        "-1",
        "2",
        "0.5",
        "-0.5",
        "0.0",
        "-0.0",
        "1.5",
        "-2.5",
        "3.7",
        "100",
        "1000",
        "7",
        "0.3",
        "12345",
        "1e-300",
        "1e300",
        "-1e300",
        "1e22",
        "9223372036854775807",
        "-9223372036854775808",
        "4503599627370497",
        "NULL",
        "'4'",
        "' 4.5 '",
        "'abc'",
        "'4abc'",
        "''",
        "'1e2'",
        "x'34'",
        "x''",
        "1e999",
        "-1e999",
    ];
    let mut out = vec![];
    for f in one_arg {
        for a in args {
            out.push(format!("{f}({a})"));
        }
    }
    let pairs = [
        ("2", "10"),
        ("10", "2"),
        ("2", "0.5"),
        ("-2", "0.5"),
        ("-8", "3"),
        ("0", "0"),
        ("0", "-1"),
        ("-0.0", "-1"),
        ("1", "8"),
        ("0.5", "8"),
        ("7", "-3"),
        ("-7.5", "2"),
        ("5", "0"),
        ("5.5", "0.0"),
        ("1e308", "10"),
        ("9223372036854775807", "2"),
        ("'8'", "'2'"),
        ("2", "'8x'"),
        ("2", "x'38'"),
        ("'x'", "8"),
        ("2", "NULL"),
        ("NULL", "2"),
        ("0.0", "-0.0"),
        ("-0.0", "-0.0"),
        ("1e999", "1e999"),
        ("-1", "1e999"),
    ];
    for f in ["atan2", "log", "mod", "pow", "power"] {
        for (x, y) in pairs {
            out.push(format!("{f}({x}, {y})"));
        }
    }
    out.extend(["pi()", "pi() * 2", "ceil(floor(2.5))", "degrees(radians(90))", "typeof(pi())"].map(String::from));
    out
}

/// `type|text` for each expression, as the sqlite3 shell prints `SELECT typeof(e), e`.
fn sqlite3_outputs(exprs: &[String]) -> Vec<String> {
    let script: String = exprs.iter().map(|e| format!("SELECT typeof({e}), {e};\n")).collect();
    let out = Command::new(SQLITE3).arg(":memory:").arg(script).output().expect("run sqlite3");
    assert!(out.status.success(), "sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8 output");
    text.lines().map(String::from).collect()
}

fn brisk_output(conn: &Connection, e: &str) -> String {
    let mut st =
        conn.prepare(&format!("SELECT typeof({e}), CAST({e} AS TEXT)")).unwrap_or_else(|err| panic!("{e}: {err}"));
    let rows = st.query_all(&[]).unwrap_or_else(|err| panic!("{e}: {err}"));
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::Text(s) => s.to_string(),
        other => panic!("{e}: expected text, got {other:?}"),
    };
    format!("{}|{}", text(&rows[0][0]), text(&rows[0][1]))
}

#[test]
fn math_functions_match_sqlite3_shell() {
    if !std::path::Path::new(SQLITE3).exists() {
        eprintln!("skipped: {SQLITE3} is absent (scripts/test.sh installs it)");
        return;
    }
    let exprs = cases();
    let expected = sqlite3_outputs(&exprs);
    assert_eq!(expected.len(), exprs.len(), "one line per expression from sqlite3");
    let conn = Connection::open_in_memory().unwrap();
    conn.set_fp_digits(15);
    let mut differences = vec![];
    for (e, want) in exprs.iter().zip(&expected) {
        let got = brisk_output(&conn, e);
        if &got != want {
            differences.push(format!("{e}: brisk {got:?}, sqlite3 {want:?}"));
        }
    }
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
}

#[test]
fn math_function_argument_counts() {
    let conn = Connection::open_in_memory().unwrap();
    for (sql, message) in [
        ("SELECT sqrt()", "wrong number of arguments to function sqrt()"),
        ("SELECT log(1, 2, 3)", "wrong number of arguments to function log()"),
        ("SELECT pi(1)", "wrong number of arguments to function pi()"),
        ("SELECT atan2(1)", "wrong number of arguments to function atan2()"),
    ] {
        let err = conn.prepare(sql).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some(message), "{sql}");
    }
}
