//! The `brisk` binary against Debian's `sqlite3` shell: each case runs both programs on the same
//! arguments and standard input, each in a fresh directory of its own, and compares standard
//! output, standard error and the exit status byte for byte.
//!
//! Only behaviour that SQLite 3.40 (Debian's shell) and 3.54 (what Brisk follows) share belongs
//! here: no control characters in output (3.50 started escaping them), no `-help` text, no
//! banners. The output modes that 3.40 has and 3.54 reworked (quote, insert, json, the column
//! family) follow 3.40, the shell brisk is a drop-in for (`output_modes`). Known gaps in Brisk
//! are listed in COMPAT.md.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const SQLITE3: &str = "/usr/bin/sqlite3";
const BRISK: &str = env!("CARGO_BIN_EXE_brisk");

/// One invocation: arguments and standard input.
struct Step {
    args: &'static [&'static str],
    stdin: &'static str,
}

/// A case: invocations run one after another in the same directory (so a later one sees the
/// database files an earlier one left).
struct Case {
    name: &'static str,
    steps: Vec<Step>,
    /// Run both programs with argv[0] = "sqlite3", for messages that name the program.
    same_argv0: bool,
    /// Files (name, contents) written into each program's directory before the first step.
    files: &'static [(&'static str, &'static [u8])],
}

fn case(name: &'static str, args: &'static [&'static str], stdin: &'static str) -> Case {
    Case { name, steps: vec![Step { args, stdin }], same_argv0: false, files: &[] }
}

fn steps(name: &'static str, steps: &[(&'static [&'static str], &'static str)]) -> Case {
    Case {
        name,
        steps: steps.iter().map(|&(args, stdin)| Step { args, stdin }).collect(),
        same_argv0: false,
        files: &[],
    }
}

impl Case {
    /// The case with these input files in its directory.
    fn with_files(self, files: &'static [(&'static str, &'static [u8])]) -> Case {
        Case { files, ..self }
    }
}

/// What one invocation did.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

fn fresh_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("brisk-cli-test-{}-{n}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

fn run_step(program: &str, dir: &Path, step: &Step, argv0: Option<&str>) -> Outcome {
    run_program(program, dir, step.args, step.stdin, argv0)
}

fn run_program(program: &str, dir: &Path, args: &[&str], stdin: &str, argv0: Option<&str>) -> Outcome {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        // Keep ~/.sqliterc and the history file out of it.
        .env("HOME", dir)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("SQLITE_HISTORY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(argv0) = argv0 {
        cmd.arg0(argv0);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let mut stdin_pipe = child.stdin.take().expect("piped stdin");
    // A program that exits without reading its input closes the pipe; that is not an error here.
    let _ = stdin_pipe.write_all(stdin.as_bytes());
    drop(stdin_pipe);
    let out = child.wait_with_output().expect("wait for the program");
    Outcome {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn require_sqlite3() {
    assert!(
        Path::new(SQLITE3).exists(),
        "{SQLITE3} is missing: these tests compare brisk with Debian's sqlite3 shell. Install it with \
         `apt-get install sqlite3` (the README's test command, `bash scripts/test.sh`, does this)."
    );
}

/// Runs every case under both programs; panics with a report of every case that differs.
fn compare(cases: Vec<Case>) {
    require_sqlite3();
    let mut failures = Vec::new();
    for case in &cases {
        let (brisk_dir, sqlite_dir) = (fresh_dir("brisk"), fresh_dir("sqlite3"));
        let argv0 = case.same_argv0.then_some("sqlite3");
        for dir in [&brisk_dir, &sqlite_dir] {
            for (name, contents) in case.files {
                std::fs::write(dir.join(name), contents).expect("write an input file");
            }
        }
        for (i, step) in case.steps.iter().enumerate() {
            let want = run_step(SQLITE3, &sqlite_dir, step, argv0);
            let got = run_step(BRISK, &brisk_dir, step, argv0);
            if got != want {
                failures.push(format!(
                    "case {:?}, step {} (args {:?}, stdin {:?}):\n  sqlite3: {want:?}\n  brisk:   {got:?}",
                    case.name,
                    i + 1,
                    step.args,
                    step.stdin
                ));
                break;
            }
        }
        let _ = std::fs::remove_dir_all(&brisk_dir);
        let _ = std::fs::remove_dir_all(&sqlite_dir);
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn values_and_expressions() {
    compare(vec![
        case("literals", &[":memory:", "select 1, 'a', 2.5, null, -3"], ""),
        case("arithmetic", &[":memory:", "select 1+2*3, 10/3, 10/3.0, -7 % 3, 2.0*3, 7.5/2.5"], ""),
        case("text", &[":memory:", "select 'x' || 'y', 'it''s', 'héllo wörld', '\"q\"', ''"], ""),
        case("reals", &[":memory:", "select 0.1+0.2, 1e100, 1.5e-7, 100.0, 1e15, 123456.789, -0.5"], ""),
        case("big integers", &[":memory:", "select 9223372036854775807, -9223372036854775808, 123456789012345678"], ""),
        case("integer overflow to real", &[":memory:", "select 9223372036854775807 + 1"], ""),
        case("nulls", &[":memory:", "select null, null is null, null = null, 1 + null, coalesce(null, 'd')"], ""),
        case(
            "comparisons",
            &[":memory:", "select 1 < 2, 'a' < 'b', 2 between 1 and 3, 5 in (1, 5), 'abc' like 'a%'"],
            "",
        ),
        case("case", &[":memory:", "select case when 1 > 2 then 'x' else 'y' end, case 3 when 3 then 'three' end"], ""),
        case(
            "functions",
            &[":memory:", "select abs(-5), length('hello'), upper('abc'), lower('ABC'), typeof(1.0)"],
            "",
        ),
        case("newline in a value", &[":memory:", "select 'a\nb', 'c'"], ""),
        case("no rows", &[":memory:", "select 1 where 0"], ""),
        case("no filename", &[], "select 42;\n"),
    ]);
}

#[test]
fn standard_input() {
    compare(vec![
        case("one per line", &[], "select 1;\nselect 'two';\nselect 3.0;\n"),
        case("several per line", &[], "select 1; select 2;select 3;\n"),
        case("statement over several lines", &[], "select\n  1\n  +\n  2\n;\n"),
        case("last statement without semicolon", &[], "select 1;\nselect 2"),
        case(
            "comments and blank lines",
            &[],
            "-- c\n/* block\n comment */\n\nselect 1; -- trailing\n\n;\nselect 2 -- hi\n;select 3",
        ),
        case("semicolons in strings and comments", &[], "select ';' -- ;\n, 'a;b';\nselect 1 as \"x;\", 2 as [y;];\n"),
        case("go and slash", &[], "select 1\ngo\nselect 2\n/\nselect 3\n"),
        case("crlf line endings", &[], "select 1;\r\nselect 'a';\r\n"),
        case("empty input", &[], ""),
        case("only comments", &[], "-- nothing\n/* at all */\n"),
        case("memory filename", &[":memory:"], "select 'mem';\n"),
    ]);
}

#[test]
fn output_options() {
    compare(vec![
        case("header", &["-header", ":memory:", "select 1 as a, 2 as b, 'x' as \"c d\""], ""),
        case("header per statement", &["-header"], "select 1 as x;\nselect 2 as y, 3 as z;\nselect 4 where 0;\n"),
        case("header from an expression", &["-header", ":memory:", "select 1+1, 'a'||'b'"], ""),
        case("noheader wins when last", &["-header", "-noheader", ":memory:", "select 1 as a"], ""),
        case("separator", &["-separator", ",", ":memory:", "select 1, 2, 'a'"], ""),
        case("long separator", &["-separator", " :: ", ":memory:", "select 1, null, 3"], ""),
        case("options after the filename", &[":memory:", "-separator", ";", "-header", "select 1 as a, 2 as b"], ""),
        case("double-dash options", &["--header", "--separator", "/", ":memory:", "select 1 as a, 2 as b"], ""),
        case("nullvalue", &["-nullvalue", "NULL", ":memory:", "select null, 1, null"], ""),
        case("newline", &["-newline", "X", ":memory:", "select 1, 2", "select 3"], ""),
        case("tabs", &["-tabs", "-header", ":memory:", "select 1 as a, 2 as b"], ""),
        case("all together", &["-header", "-separator", ",", "-nullvalue", "-"], "select 1 as a, null as b;\n"),
        case(
            "csv",
            &[
                "-csv",
                "-header",
                ":memory:",
                "select 1 as 'x y', 'a,b', null, '', 'say \"hi\"', 'it''s', 2.5, 'é', x'41'",
            ],
            "",
        ),
        case("csv with a separator", &["-csv", "-separator", ";", ":memory:", "select 'a,b', 'c;d', 'e'"], ""),
        case("line", &["-line", ":memory:", "select 1 as a, null as bb, 'x' as ccccccc; select 2 as z, 3 as y"], ""),
    ]);
}

#[test]
fn errors() {
    compare(vec![
        case("no such table from stdin", &[], "select 1;\nselect * from nosuch;\nselect 2;\n"),
        case("bail", &["-bail"], "select 1;\nselect * from nosuch;\nselect 2;\n"),
        case("error skips the rest of its line", &[], "select 1; select * from nosuch; select 2;\nselect 3;\n"),
        case("line of a multi-line statement", &[], "select 1;\n\n  select\n  *\n from nosuch;\nselect 2;\n"),
        case("syntax error", &[], "selec 1;\n"),
        case("syntax error later in a line", &[], "select 1, 2 frm x;\n"),
        case("syntax error far into a line", &[], "select 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 17;\n"),
        case("incomplete input", &[], "select (1"),
        case("unterminated string", &[], "select 'abc"),
        case("several errors", &[], "select * from a;\nselec 2;\nselect 3;\nselect * from b;\n"),
        case("sql argument error", &[":memory:", "select * from nosuch"], ""),
        case("sql argument syntax error", &[":memory:", "selec 1"], ""),
        case(
            "sql arguments stop at the first error",
            &[":memory:", "select 1", "select * from nosuch", "select 2"],
            "",
        ),
        case("arguments mean stdin is not read", &[":memory:", "select 1"], "select 2;\n"),
        case("readonly missing file", &["-readonly", "nosuch.db", "select 1"], ""),
        case("unopenable file", &["no/such/dir/x.db", "select 1"], ""),
        case("unopenable file from stdin", &["no/such/dir/x.db"], "select 1;\n"),
        Case { same_argv0: true, ..case("unknown option", &["-bogus"], "") },
        Case { same_argv0: true, ..case("unknown option with two dashes", &["--bogus", ":memory:"], "") },
        Case { same_argv0: true, ..case("missing option value", &[":memory:", "-separator"], "") },
    ]);
}

/// Errors found after parsing: sqlite3 puts the caret under the name that did not resolve (and
/// shows none where SQLite records no offset: no such table, names inside a join's ON clause).
#[test]
fn error_offsets_after_parsing() {
    const SCHEMA: &str = "create table t(a, b); create table u(a, c); create index i on t(a);
create view v as select 1 as x; create trigger tr after insert on t begin select 1; end;
";
    let cases: &[(&str, &str)] = &[
        ("no such column", "select x from t;\n"),
        ("no such qualified column", "select t.x from t;\n"),
        ("no such table of a column", "select  nosuch.a from t;\n"),
        ("no such column far into a line", "select a, b, a, b, a, b, a, b, a, b, a, b, a, b from t where zz = 1;\n"),
        ("no such column in order by", "select a from t order by zz;\n"),
        ("no such column in group by", "select a from t group by zz;\n"),
        ("no such column in having", "select a from t group by a having zz;\n"),
        ("aggregate through an alias in where", "select sum(a) as s from t where s > 1;\n"),
        ("no such column in limit", "select a from t limit x;\n"),
        ("no such column in a subquery", "select (select zz) from t;\n"),
        ("no such column in a derived table", "select a from (select zz from t);\n"),
        ("no such column in a compound", "select a from t union select zz from u;\n"),
        ("no such column in insert select", "insert into t select zz from u;\n"),
        ("no such column in update", "update t set a = zz;\n"),
        ("no such column in an update target", "update t set zz = 1;\n"),
        ("no such column in a join's on", "select * from t join u on zz = 1;\n"),
        ("no such column in a where", "select * from t, u where t.zz = 1;\n"),
        ("no such column in a primary key", "create table w(a, b, primary key(zz));\n"),
        ("ambiguous column", "select a from t, u;\n"),
        ("ambiguous column in where", "select t.a from t, u where a = 1;\n"),
        ("no such table", "select * from nosuch;\n"),
        ("no such function", "select foo(1);\n"),
        ("no such function in where", "select * from t where bar(a, b) > 1;\n"),
        ("wrong number of arguments", "select min() from t;\n"),
        ("wrong number of arguments to like", "select like(1);\n"),
        ("misuse of aggregate", "select a from t where sum(a) > 1;\n"),
        ("nested aggregate", "select count(count(a)) from t;\n"),
        ("table exists", "create table t(z);\n"),
        ("qualified table exists", "create table main.t(x);\n"),
        ("view exists", "create view v as select 2;\n"),
        ("table named like a view", "create table v(x);\n"),
        ("view named like a table", "create view t as select 2;\n"),
        ("table named like an index", "create table i(x);\n"),
        ("index exists", "create index i on t(b);\n"),
        ("index named like a table", "create index t on t(b);\n"),
        ("trigger exists", "create trigger tr after insert on t begin select 1; end;\n"),
        (
            "error in a view's text",
            "create view bad as select a from t; drop table t; create table t(b); select * from bad;\n",
        ),
        ("natural join with on", "select * from t natural join u on t.a = u.a;\n"),
        ("second statement of a line", "select 1; select zz from t;\n"),
        ("multi-line statement", "select a,\n  zz\nfrom t;\n"),
    ];
    let cases = cases
        .iter()
        .map(|&(name, sql)| {
            let stdin: &'static str = Box::leak(format!("{SCHEMA}{sql}").into_boxed_str());
            case(name, &[], stdin)
        })
        .collect();
    compare(cases);
}

#[test]
fn dot_commands() {
    compare(vec![
        case("headers", &[], ".headers on\nselect 1 as a;\n.headers off\nselect 2 as b;\n"),
        case(
            "nullvalue and separator",
            &[],
            ".nullvalue N\n.separator ,\nselect null, 1;\n.separator | \"\\n--\\n\"\nselect 2, 3;\n",
        ),
        case("quoted arguments", &[], ".separator ' - '\nselect 1, 2;\n"),
        case("unknown command", &[], ".foo\nselect 1;\n"),
        case("usage error", &[], ".headers\nselect 1;\n"),
        case("not a boolean", &[], ".headers maybe\nselect 1 as a;\n"),
        case("bail on", &[], ".bail on\nselect * from nosuch;\nselect 2;\n"),
        case("quit", &[], "select 1;\n.quit\nselect 2;\n"),
        case("exit", &[], "select 1;\n.exit\nselect 2;\n"),
        case("exit code", &[], ".exit 3\n"),
        case("hash comment", &[], "# a comment\nselect 1;\n"),
        case("dot-command argument", &[":memory:", ".headers on", "select 1 as a"], ""),
        case("unknown dot-command argument", &[":memory:", ".foo", "select 1"], ""),
        case(
            "mode csv, tabs and list",
            &[],
            ".mode csv\n.headers on\nselect 1 as \"x,y\", 2 as \"q\"\"r\", null, ' a', 'b\tc', char(127);\n.mode\n\
             .mode tabs\nselect 'a b', 'c';\n.mode\n.mode list\nselect 1, 2;\n.nullvalue NN\n.mode csv\nselect null, 'NN';\n",
        ),
        case("mode csv with a separator", &[], ".mode csv\n.separator ;\nselect 'x,y', 'a;b', 3;\n"),
        case(
            "mode line",
            &[],
            "create table t(a, b);\ninsert into t values (1, 'x'), (null, 'it''s'), (2.5, 'é');\n.mode line\n\
             select * from t;\nselect a as longname, b from t limit 1;\n.nullvalue NN\n\
             select a as 'é', b as 'éé' from t;\nselect 1 where 0;\nselect 'a\nb' as x;\n.mode list\nselect 1, 2;\n",
        ),
    ]);
}

#[test]
fn tables() {
    compare(vec![
        case(
            "create, insert, select",
            &[],
            "create table t(a integer, b text, c real);\n\
             insert into t values (1, 'one', 1.5), (2, null, 2.0), (3, 'three', null);\n\
             select * from t;\n\
             select a, b from t where a >= 2;\n\
             select a * 10, c / 2, b is null from t where c is not null;\n",
        ),
        case(
            "header with table columns",
            &["-header", "-nullvalue", "(null)"],
            "create table t(x, y);\ninsert into t values (1, null), (2, 'b');\nselect * from t;\nselect x as renamed, y from t where x = 2;\n",
        ),
        steps(
            "sql arguments on a file",
            &[
                (&["test.db", "create table t(a, b)", "insert into t values (1, 'x'), (2, 'y')"], ""),
                (&["test.db", "select * from t where a = 2"], ""),
                (&["test.db"], "select count(*), sum(a) from t;\n"),
            ],
        ),
        case(
            "constraint error from stdin",
            &[],
            "create table t(a unique);\ninsert into t values (1);\ninsert into t values (1);\nselect * from t;\n",
        ),
        case("constraint error in an argument", &[":memory:", "create table t(a primary key)", "insert into t values (1), (1)"], ""),
        case(
            "not null constraint with bail",
            &["-bail"],
            "create table t(a not null);\ninsert into t values (null);\nselect 1;\n",
        ),
        steps(
            "readonly database",
            &[(&["ro.db", "create table t(a)", "insert into t values (1)"], ""), (&["-readonly", "ro.db"], "select * from t;\ninsert into t values (2);\nselect count(*) from t;\n")],
        ),
        case("update and delete", &[], "create table t(a, b);\ninsert into t values (1, 'a'), (2, 'b'), (3, 'c');\nupdate t set b = 'B' where a = 2;\ndelete from t where a = 3;\nselect * from t;\n"),
        case(
            "order by, limit and aggregates",
            &["-header"],
            "create table t(name text, n integer);\n\
             insert into t values ('b', 2), ('a', 1), ('c', 3), ('d', null);\n\
             select name, n from t order by n desc limit 2;\n\
             select count(*), count(n), sum(n), avg(n), min(n), max(name) from t;\n\
             select * from t order by name limit 1 offset 2;\n",
        ),
        case(
            "joins",
            &[],
            "create table a(id integer primary key, x);\ncreate table b(aid, y);\n\
             insert into a(x) values ('one'), ('two'), ('three');\ninsert into b values (1, 'p'), (1, 'q'), (3, 'r');\n\
             select a.id, x, y from a join b on a.id = b.aid;\nselect x, y from a left join b on a.id = b.aid where a.id = 2;\n",
        ),
        case(
            "types and affinity",
            &[],
            "create table t(i integer, r real, t text, n numeric, b blob, u);\n\
             insert into t values ('12', '1', 5, '3.0', x'6869', 1.5);\n\
             select typeof(i), typeof(r), typeof(t), typeof(n), typeof(b), typeof(u) from t;\nselect * from t;\n",
        ),
        case(
            "rowid and integer primary key",
            &[],
            "create table t(id integer primary key, v);\ninsert into t(v) values ('a'), ('b');\n\
             insert into t values (10, 'c');\ninsert into t(v) values ('d');\nselect rowid, * from t;\n",
        ),
        case(
            "index",
            &[],
            "create table t(a, b);\ncreate index ta on t(a);\ncreate unique index tb on t(b);\n\
             insert into t values (3, 'x'), (1, 'y'), (2, 'z');\nselect a from t where a > 1 order by a;\n\
             insert into t values (4, 'x');\nselect count(*) from t;\n",
        ),
        case(
            "many rows",
            &[],
            "create table t(a, b);\nbegin;\n\
             insert into t values (1, 'row one'), (2, 'row two'), (3, 'row three'), (4, 'row four');\n\
             insert into t values (5, 'row five'), (6, 'row six');\ncommit;\nselect * from t where a % 3 = 0;\n",
        ),
        case("transaction", &[], "create table t(a);\nbegin;\ninsert into t values (1);\nrollback;\nselect count(*) from t;\n"),
    ]);
}

/// Every output mode of 3.40's `.mode`, its options and `.width`, on values of every type.
#[test]
fn output_modes() {
    // NULL, empty text, non-ASCII and wide characters, a multi-line value, a TAB, a blob,
    // integers and reals, over two rows.
    const VALUES: &str = "select 1 as n, 'héllo' as h, '日本語' as j, null as z, 2.5 as r, 'a\nbc' as ml, \
                          'x\ty' as tab, '' as e, x'414243' as b \
                          union all select 12345, 'x', 'y', 'zz', -1, 'q', 'r', 'longer text', x'00'";
    const LONG: &str = "select 'the quick brown fox jumps over the lazy dog and keeps on running far away' as a, \
                        'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz' as b, \
                        'foo-bar-baz-qux-quux' as c";
    const MULTI: &str = "select 'a\nb\nc' as x, 1 as y union all select 'd', 'e\nf' union all select 'g', 'h'";
    const REALS: &str = "select 0.1 as a, 1.5, 1e100, 100.0, 1e15, 1.0/3, -0.0, 9e18, 9.3e18, 1e300*1e300 as inf, \
                         -1e300*1e300, 123456789.123, 2.5e-300, 9223372036854775807.0, -9223372036854775808.0";
    let mut cases = Vec::new();
    for mode in [
        "column", "box", "table", "markdown", "qbox", "json", "html", "insert", "quote", "ascii", "tcl", "count", "off",
    ] {
        let name: &'static str = Box::leak(format!("{mode}: values, no rows, two statements").into_boxed_str());
        let set: &'static str = Box::leak(format!(".mode {mode}").into_boxed_str());
        cases.push(case(
            name,
            Box::leak(Box::new([
                "-nullvalue",
                "NUL",
                ":memory:",
                set,
                VALUES,
                "select 1 where 0",
                "select 0.1 as a; select 3 as b",
                ".mode",
            ])),
            "",
        ));
        let name: &'static str = Box::leak(format!("{mode}: headers on, reals").into_boxed_str());
        let stdin: &'static str =
            Box::leak(format!(".headers on\n.mode {mode}\n{VALUES};\n{REALS};\n").into_boxed_str());
        cases.push(case(name, &[], stdin));
    }
    for mode in ["column", "box", "table", "markdown"] {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        cases.push(case(
            leak(format!("{mode}: wrap, word wrap, quote")),
            &[],
            leak(format!(
                ".mode {mode} --wrap 10\n{LONG};\n.mode {mode} --wrap 12 --ww\n{LONG};\n.mode\n\
                 .mode {mode} --wordwrap on --quote\n{LONG};\nselect 1, 'a''b', null, x'ff00', 2.5, 'l1\nl2';\n\
                 .mode {mode} --noquote\n{LONG};\n.mode\n"
            )),
        ));
        cases.push(case(
            leak(format!("{mode}: widths")),
            &[],
            leak(format!(
                ".width 3 -6 0 2 -1\n.mode {mode}\nselect 'abcdef' as a, 'x' as b, 'hello' as c, 1234 as d, 'e' as e \
                 union all select 1, 2, 3, 4, 5;\n.width\nselect 'abcdef' as a;\n.wi -8\nselect 'abc' as a, 'b' as bb;\n"
            )),
        ));
        cases.push(case(
            leak(format!("{mode}: multi-line rows and control characters")),
            &[],
            leak(format!(
                ".mode {mode}\n{MULTI};\nselect 'a'||char(1)||'b'||char(13)||'c'||char(13,10)||'d' as x, \
                 'tab\tx\tyy\tz' as y;\n"
            )),
        ));
        let opt: &'static str = leak(format!("-{mode}"));
        cases.push(case(
            leak(format!("{mode}: command-line option")),
            Box::leak(Box::new([opt, ":memory:", LONG, ".mode"])),
            "",
        ));
    }
    cases.extend([
        case("column: headers follow .headers", &[], ".mode column\nselect 1 as a;\n.headers off\n.mode column\nselect 2 as b;\n"),
        case("column: -noheader is kept", &["-noheader", ":memory:", ".mode column", "select 1 as a"], ""),
        case("column: -header -column", &["-header", "-column", ":memory:", ".mode", "select 1 as a", ".mode", "select 2 as b"], ""),
        case("column: query plan", &[], "create table t(a);\n.mode column\nexplain query plan select * from t;\n.mode json\nexplain query plan select * from t;\n"),
        case("column: statements without rows", &[":memory:", ".mode column", "create table t(a, b)", "insert into t values (1, 2)", "select * from t"], ""),
        case("mode: current mode and re-applying it", &[], ".mode\n.separator ,\n.mode\nselect 1, 2;\n.mode tabs\n.separator ;\n.mode\nselect 1, 2;\n\
              .mode line\n.separator a b\n.mode\nselect 1 as x, 2 as y;\n.mode csv\n.mode\nselect 1, 2;\n.mode quote\n.separator ; ;\n.mode\nselect 1, 2;\n"),
        case("mode: abbreviations", &[], ".mode t\n.mode\n.mode c\n.mode\n.mode ta\n.mode\n.mode ''\n.mode\n.mode j\n.mode\n.m b\n.mode\n.mode h\n.mode\n.mode q\n.mode\n"),
        case("mode: unknown mode", &[], ".mode foo\nselect 1;\n.mode --bogus\n"),
        case("mode: extra argument", &[], ".mode list a b\nselect 1;\n"),
        case("mode: unknown option", &[], ".mode list t --bogus\nselect 1;\n"),
        case("mode: options without values", &[], ".mode column --wrap\n.mode\n.mode box --wordwrap maybe\n.mode\n"),
        case(
            "insert: table names and column names",
            &["-header"],
            ".mode insert t1\nselect 1 as a, 'x' as 'b c', 2 as 'select', 3 as _x9, 4 as '9a', 5 as 'a\"b', 6 as \"Table\";\n\
             .mode insert select\nselect 1;\n.mode insert\nselect 2;\n.mode insert a\"b\nselect 3;\n.mode\nselect 4;\n",
        ),
        case(
            "insert: newlines and carriage returns",
            &[],
            ".mode insert \"my table\"\nselect 'a\nb', 'c'||char(13)||'d', '\\n', 'x\\n'||char(10), '\\n\\012'||char(10), \
             x'', '', null, 'it''s';\n",
        ),
        case(
            "quote and json: escapes",
            &["-header"],
            ".mode quote\nselect 'it''s' as \"a'b\", 'l1\nl2', char(9, 1), x'00ff';\n.mode json\n\
             select 'x\"y\\z' as \"k\\\"\", x'0041ff', char(1,8,9,10,12,13,31,127), 'é';\n",
        ),
        case("html: escapes", &["-header"], ".mode html\nselect 1 as '<a>', '&\"''<>' as b, null;\nselect 2 where 0;\n"),
        case("tcl: escapes", &["-header"], ".mode tcl\nselect 'a\"b\\c\td' as 'x y', null, 'é', char(1);\n"),
        case("ascii: option and separators", &["-header", "-ascii", ":memory:", "select 1 as a, null, 'x'"], ""),
        case("quote: option", &["-quote", "-header", ":memory:", "select 1 as a, 'x' as 'b c', 2.5"], ""),
        case("html and json options", &["-html", ":memory:", "select 1", ".mode json", "select 2"], ""),
        case("json: option", &["-json", ":memory:", "select 1 as a, 'b' as b"], ""),
        case("mode switching in one input", &[], "select 1 as a;\n.mode box\nselect 2 as b;\n.mode json\nselect 3 as c;\n.mode list\nselect 4;\n"),
    ]);
    compare(cases);
}

/// Input files for the `.import` cases.
const IMPORT_FILES: &[(&str, &[u8])] = &[
    ("t.csv", b"a,b,c\n1,2,3\n\"x,y\",\"he said \"\"hi\"\"\",\n"),
    ("multiline.csv", b"id,text\n1,\"two\nlines\"\n2,\"comma, inside\"\n3,\"\"\n4,plain\n"),
    ("crlf.csv", b"a,b\r\n1,\"x\r\ny\"\r\n\"3\",4\r\n5,6"),
    ("bom.csv", b"\xef\xbb\xbfa,b\n1,2"),
    ("bom-quoted.csv", b"\xef\xbb\xbf\"a\",b\n1,2\n"),
    ("runon.csv", b"a,b\n\"abc\"def,x\n1,2\n\"q\",3\n"),
    ("unterminated.csv", b"a,b\n\"abc,1\n2,3\n"),
    ("ragged.csv", b"a,b,c\n1\n1,2\n1,2,3,4,5\n\n7,8,9"),
    ("dups.csv", b"a,a,,\"q\"\"x\",A,b c\n1,2,3,4,5,6\n"),
    ("clash.csv", b"a,a,a_1,A_01\n1,2,3,4\n"),
    ("wide.csv", b"x,y,z,x,c5,c6,c7,c8,c9,c10,x,c12\n1,2,3,4,5,6,7,8,9,10,11,12\n"),
    ("keys.csv", b"k,v\n1,one\n1,again\n2,two\n"),
    ("keys-last-bad.csv", b"k,v\n1,one\n2,two\n1,again\n"),
    ("empty.csv", b""),
    ("header-only.csv", b"a,b\n"),
    ("blank-lines.csv", b"\n\n1,2\n\n"),
    ("list.txt", b"a|b\n1|2\n\"3|4\"|5\n"),
    ("tabs.tsv", b"a\tb\n1\t2\n3\n4\t5\t6\n"),
    ("ascii.txt", b"a\x1fb\x1e1\x1f2\x1e\x1e3\x1f4\x1f5\x1e"),
    ("nul.csv", b"a,b\nx\0y,2\n"),
];

#[test]
fn import() {
    let cases = vec![
        case("creates the table from the header", &[], ".import --csv t.csv t\n.schema\nselect * from t;\n"),
        case(
            "quotes, embedded newlines and commas",
            &[],
            ".import --csv multiline.csv t\n.mode quote\nselect * from t;\n",
        ),
        case("crlf and no final newline", &[], ".import --csv crlf.csv t\n.mode quote\nselect * from t;\n"),
        case("byte-order mark", &[], ".import --csv bom.csv t\n.import --csv bom-quoted.csv u\n.schema\nselect * from t, u;\n"),
        case("a quote not followed by a separator", &[], ".import --csv runon.csv t\n.mode quote\nselect * from t;\n"),
        case("unterminated quote", &[], ".import --csv unterminated.csv t\n.mode quote\nselect * from t;\n"),
        case(
            "too few and too many fields",
            &[],
            ".import --csv ragged.csv t\n.mode quote\nselect * from t;\n",
        ),
        case("duplicate and empty column names", &[], ".import --csv dups.csv t\n.schema\nselect * from t;\n"),
        case("renamed columns that clash", &[], ".import --csv -v clash.csv t\n.import --csv -v wide.csv w\n.schema\n"),
        case(
            "existing table: every row is data",
            &[],
            "create table t(a, b, c);\n.import --csv t.csv t\nselect * from t;\n",
        ),
        case(
            "existing table with fewer columns",
            &[],
            "create table t(a);\n.import --csv t.csv t\nselect * from t;\n",
        ),
        case(
            "skip",
            &[],
            "create table t(a, b, c);\n.import --csv --skip 1 t.csv t\n.import --csv --skip 9 t.csv t\n\
             .import --skip 2 --csv t.csv u\nselect * from t;\n.schema u\n",
        ),
        case(
            "verbose",
            &[],
            ".import -v --csv t.csv t\n.import -v t.csv u\n.import -v -v --csv t.csv t\n.mode csv\n\
             .import -v t.csv t\n",
        ),
        case("list mode separators", &[], ".import list.txt t\nselect * from t;\n.mode quote\nselect * from t;\n"),
        case(
            "tabs and other separators",
            &[],
            ".mode tabs\n.import tabs.tsv t\nselect * from t;\n.separator ;\n.import tabs.tsv u\n\
             .separator \"\\t\"\n.import tabs.tsv u\n.mode list\nselect * from u;\n",
        ),
        case(
            "separators import refuses",
            &[],
            ".separator ab\n.import t.csv t\n.separator , \"\\r\\n\"\n.import t.csv t\n.separator \"\"\n\
             .import t.csv t\n.separator , \"\"\n.import t.csv t\n.separator , \"\\n\"\n.import t.csv t\nselect count(*) from t;\n",
        ),
        case(
            "csv mode reads crlf rows and then writes lf",
            &[],
            ".mode csv\n.import crlf.csv t\nselect * from t;\n.mode csv\nselect * from t;\n",
        ),
        case(
            "ascii",
            &[],
            ".import --ascii ascii.txt t\nselect * from t;\n.mode ascii\n.import -v ascii.txt u\n.mode list\n\
             select * from u;\n.mode ascii\n.import --csv blank-lines.csv v\n.mode list\nselect * from v;\n",
        ),
        case(
            "blank lines",
            &[],
            ".import --csv blank-lines.csv t\n.mode quote\nselect * from t;\ncreate table u(a, b);\n\
             .import --csv blank-lines.csv u\nselect * from u;\n",
        ),
        case("a NUL byte ends the value", &[], ".import --csv nul.csv t\n.mode quote\nselect * from t;\n"),
        case(
            "from a command",
            &[],
            ".import --csv \"|cat t.csv\" t\nselect * from t;\n.import --csv \"|printf 'p,q\\n1,2'\" u\n\
             select * from u;\n.import --csv \"|true\" w\n",
        ),
        case(
            "empty input and missing file",
            &[],
            ".import --csv empty.csv t\n.import --csv header-only.csv t\n.schema\nselect count(*) from t;\n\
             .import --csv nosuch.csv t\n.import --csv . t2\n",
        ),
        case(
            "usage errors",
            &[],
            ".import\n.import t.csv\n.import t.csv t extra\n.import --bogus t.csv t\n.import -skip\n\
             .import t.csv t --skip\n",
        ),
        case("abbreviation", &[], ".i --csv t.csv t\n.im --csv t.csv t\nselect count(*) from t;\n"),
        case(
            "schema option and views",
            &[],
            ".import --csv --schema main t.csv t\n.schema\ncreate view v as select 1 a, 2 b, 3 c;\n\
             .import --csv t.csv v\n",
        ),
        case(
            "constraint failures are reported and skipped",
            &[],
            "create table t(k primary key, v);\n.import --csv -v keys.csv t\nselect * from t;\n",
        ),
        case(
            "inside an open transaction",
            &[],
            "create table t(k primary key, v);\nbegin;\n.import --csv keys.csv t\nrollback;\nselect count(*) from t;\n",
        ),
        case(
            "a failed last row counts as an error",
            &["-bail"],
            "create table t(k primary key, v);\n.import --csv keys-last-bad.csv t\nselect 'not reached';\n",
        ),
        case(
            "failed rows before the last do not",
            &["-bail"],
            "create table t(k primary key, v);\n.import --csv keys.csv t\nselect 'reached';\n",
        ),
        case(
            "argument: the last row's result code is the exit status",
            &[":memory:", "create table t(k primary key, v)", ".import --csv keys-last-bad.csv t", "select 1"],
            "",
        ),
        case(
            "argument: a missing file",
            &[":memory:", ".import nosuch.csv t", "select 1"],
            "",
        ),
        case("argument: success", &[":memory:", ".import --csv t.csv t", "select * from t"], ""),
        steps(
            "the data is committed",
            &[(&["db.sqlite", ".import --csv multiline.csv t"], ""), (&["db.sqlite", "select * from t"], "")],
        ),
    ];
    compare(cases.into_iter().map(|c| c.with_files(IMPORT_FILES)).collect());
}

/// What only Brisk has: the version line, the usage text, the I/O backend option.
#[test]
fn brisk_only_options() {
    let dir = fresh_dir("own");
    let run = |args: &'static [&'static str], stdin: &'static str| run_step(BRISK, &dir, &Step { args, stdin }, None);

    let v = run(&["-version"], "");
    assert_eq!(v.status, Some(0));
    assert_eq!(v.stdout, format!("brisk {} (SQLite 3.54.1 compatible)\n", env!("CARGO_PKG_VERSION")));

    let h = run(&["-help"], "");
    assert_eq!(h.status, Some(0));
    assert!(h.stderr.starts_with("Usage: "), "{h:?}");
    assert!(h.stderr.contains("-io BACKEND"), "{h:?}");

    for backend in ["sync", "memory", "uring"] {
        let args: &'static [&'static str] = match backend {
            "sync" => &["--io", "sync", ":memory:", "select 1 + 1"],
            "memory" => &["--io", "memory", ":memory:", "select 1 + 1"],
            _ => &["--io", "uring", ":memory:", "select 1 + 1"],
        };
        let o = run(args, "");
        assert_eq!((o.status, o.stdout.as_str()), (Some(0), "2\n"), "{backend}: {o:?}");
    }

    let bad = run(&["--io", "floppy"], "");
    assert_eq!(bad.status, Some(1));
    assert!(bad.stderr.contains("unknown I/O backend: floppy"), "{bad:?}");

    let explain = run(&[":memory:", "explain select 1"], "");
    assert_eq!(explain.status, Some(0), "{explain:?}");
    // sqlite3's explain layout; Brisk's program has comments where Debian's build has none.
    let head = "addr  opcode         p1    p2    p3    p4             p5  comment      \n\
                ----  -------------  ----  ----  ----  -------------  --  -------------\n\
                0     Init           0     ";
    assert!(explain.stdout.starts_with(head), "{explain:?}");

    let _ = std::fs::remove_dir_all(&dir);
}

/// A schema with a bit of everything the schema commands list.
const SCHEMA: &str = "create table t1(a integer primary key, b text, c real, d blob);\n\
    insert into t1 values(1, 'x', 1.5, x'00ff'), (2, 'it''s', null, null), (3, 'a\nb', 100.0, ''), \
    (4, 'cr\r\nlf', -0.0, x''), (5, '', 0.25, null), (6, null, 1e100, null);\n\
    create table \"order\"(x, \"we\"\"ird\" text);\ninsert into \"order\" values(1, 2);\n\
    create table s(id integer primary key autoincrement, v);\ninsert into s(v) values(1), (2);\n\
    create index i1 on t1(b);\ncreate unique index i2 on t1(c, d);\n\
    create view v1 as select a, b as \"x y\", 1 from t1;\n\
    create trigger tr after insert on s begin select 1; end;\n\
    create table w(k primary key, v) without rowid;\ninsert into w values('a', 1);\n\
    create table aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa(x);\ncreate table bb(y);\ncreate table c(z);\n\
    create table t2(c unique, d primary key);\n";

#[test]
fn schema_commands() {
    compare(vec![
        steps(
            "tables, indexes, schema",
            &[
                (&["db"], SCHEMA),
                (&["db", ".tables"], ""),
                (&["db", ".tables t%"], ""),
                (&["db", ".tables nosuch", ".tables a b"], ""),
                (&["db", ".indexes"], ""),
                (&["db", ".indexes t1"], ""),
                (&["db", ".indices t2"], ""),
                (&["db", ".indexes a b"], ""),
                (&["db", ".schema"], ""),
                (&["db", ".schema t1"], ""),
                (&["db", ".schema --nosys"], ""),
                (&["db", ".schema --indent"], ""),
                (&["db", ".schema --indent --nosys t%"], ""),
                (&["db", ".schema T%"], ""),
                (&["db", ".schema v?"], ""),
                (&["db", ".schema main.t1"], ""),
                (&["db", ".schema nosuch"], ""),
                (&["db", ".schema --bogus"], ""),
                (&["db", ".schema a b"], ""),
            ],
        ),
        case("tables in an empty database", &[], ".tables\n.indexes\n.schema\nselect 1;\n"),
        case(
            "many short names",
            &[],
            "create table a(x);create table b(x);create table c(x);create table d(x);\n\
             create table e(x);create table f(x);create table g(x);create table h(x);create table i(x);\n\
             create table j(x);create table k(x);create table l(x);create table m(x);create table n(x);\n\
             create table o(x);create table p(x);create table q(x);create table r(x);create table s(x);\n\
             create table tt(x);create table uu(x);create table vv(x);create table ww(x);create table xx(x);\n\
             create table yy(x);create table zz(x);create table ab(x);create table abc(x);\n.tables\n",
        ),
        case("databases in memory", &[], ".databases\n"),
        case(
            "schema --indent",
            &[],
            "create table t1(a integer primary key, b text not null default 'x', c real check(c > 0), d blob, e, f, g, \
             h, unique(b, c));\ncreate table s(x);\ncreate table   \"sp ace\"  (  a   int ,b  varchar(  10  ) )  ;\n\
             create table q(a text default 'x(y', b text default 'p,q', c \"we(ird\", d [br,ack], e, f, g, h, i, j, k, \
             l, m, n, o, pp, qq);\ncreate table r(a text default 'x)y', b, c, d, e, f, g, h, i, j, k, l, m, n, o, pp, \
             qq, rr, ss, tt, uu);\ncreate table u(a,\n   b,   c  , d -- note (x\n   , e, f, g, h, i, j, k, l, m, n, o, \
             p, q, r, s, t, u, v, w);\ncreate table l(alpha INTEGER, beta TEXT, gamma REAL, delta BLOB, epsilon, zeta, \
             eta -- comment here\r\n, theta);\ncreate view v as select a,   b from t1;\n.schema --indent\n",
        ),
    ]);
}

#[test]
fn dump() {
    compare(vec![
        steps(
            "dump a database",
            &[
                (&["db"], SCHEMA),
                (&["db", ".dump"], ""),
                (&["db", ".dump t%"], ""),
                (&["db", ".dump --data-only"], ""),
                (&["db", ".dump --nosys o%"], ""),
                (&["db", ".dump --newlines t1"], ""),
                (&["db", ".dump nosuch"], ""),
                (&["db", ".dump --bogus"], ""),
            ],
        ),
        case("dump an empty database", &[], ".dump\n"),
    ]);
}

/// `.dump` output loaded into a fresh database by the other program gives the same dump again:
/// brisk's dump read by sqlite3, and sqlite3's read by brisk.
#[test]
fn dump_round_trips() {
    require_sqlite3();
    let dir = fresh_dir("roundtrip");
    let run = |program: &str, args: &[&str], stdin: &str| -> String {
        let out = run_program(program, &dir, args, stdin, None);
        assert_eq!((out.status, out.stderr.as_str()), (Some(0), ""), "{program} {args:?}");
        out.stdout
    };
    run(BRISK, &["source.db"], SCHEMA);
    let brisk_dump = run(BRISK, &["source.db", ".dump"], "");
    run(SQLITE3, &["from-brisk.db"], &brisk_dump);
    let sqlite_dump = run(SQLITE3, &["from-brisk.db", ".dump"], "");
    assert_eq!(sqlite_dump, brisk_dump);
    assert_eq!(run(SQLITE3, &["from-brisk.db", "pragma integrity_check"], ""), "ok\n");
    run(BRISK, &["from-sqlite.db"], &sqlite_dump);
    assert_eq!(run(BRISK, &["from-sqlite.db", ".dump"], ""), sqlite_dump);
    assert_eq!(run(SQLITE3, &["from-sqlite.db", "pragma integrity_check"], ""), "ok\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn settings_and_files() {
    compare(vec![
        case("print", &[], ".print a 'b c' \"d\\te\"\n.print\n.pri x\n"),
        case("echo", &[], ".echo on\nselect 1;\n.print x\n.echo off\nselect 2;\n"),
        case("changes", &[], "create table t(a);\n.changes on\ninsert into t values(1),(2);\nselect 1;\n\
             update t set a = a + 1;\ndelete from t where a = 2;\n.changes off\ninsert into t values(5);\n.changes\n"),
        case("show", &[], ".show\n.headers on\n.mode csv\n.nullvalue 'a\"b\\c'\n.separator '\\t' \"\\r\\n\"\n.show\n"),
        case("show column options", &[], ".mode box --wrap 20 --ww\n.width 3 -4 0\n.show\n.show x\n"),
        case("eqp", &[], "create table t(a, b);\ncreate index ta on t(a);\n.eqp on\nselect * from t where a = 1;\n\
             select b from t order by b;\ninsert into t values(1, 2);\n.eqp off\nselect * from t;\n.eqp\n.eqp bogus\n"),
        case("explain settings", &[], "create table t(a);\n.explain off\nexplain query plan select * from t;\n\
             .explain auto\nexplain query plan select * from t;\n.explain\nselect 5, 6;\n.show\n.explain off\nselect 7;\n"),
        case("timer usage", &[], ".timer\n.timer maybe\n"),
        case("parameters", &[], ".parameter list\n.parameter set :a 1\n.parameter set :bbb 'x y'\n\
             .parameter set $c 2.5\n.parameter set @d x'00'\n.parameter set :e null\n.parameter set :f abs(-3)\n\
             .parameter set :g select\n.parameter list\nselect :a, :bbb, $c, @d, :e, :f, :g, :nosuch, ?1;\n\
             .parameter unset :a\nselect :a, :bbb;\n.parameter clear\n.parameter list\nselect :bbb;\n\
             .parameter\n.parameter set x\n.parameter init\n.parameter list\n"),
        steps(
            "output and once",
            &[
                (&[], ".output out.txt\nselect 1;\n.print p\n.output\nselect 2;\n.once once.txt\nselect 3;\nselect 4;\n"),
                (&[], ".read out.txt\n"),
                (&[":memory:", ".read once.txt"], ""),
                (&[], ".output |tr a-z A-Z\nselect 'abc';\n.output stdout\nselect 'def';\n"),
                (&[], ".output no/such/dir/x\n.output a b\n.once a b\n.output --bogus\n.once\nselect 5;\n"),
                (&[], ".once --bom bom.txt\nselect 'x';\n"),
            ],
        ),
        steps(
            "read",
            &[
                (&[], ".output r.sql\n.print select 1;\n.print select * from nosuch;\n.print select 2;\n.output\n"),
                (&[], "select 0;\n.read r.sql\nselect 3;\n"),
                (&["-bail"], ".read r.sql\nselect 3;\n"),
                (&[], ".bail on\n.read r.sql\nselect 4;\n"),
                (&[":memory:", ".read r.sql", "select 9"], ""),
                (&[], ".read nosuch.sql\n.read\n.read |cat r.sql\n.read \"|cat r.sql\"\n"),
            ],
        ),
        steps(
            "open and backup",
            &[
                (&[], ".open a.db\ncreate table t(x);\ninsert into t values(1),(2);\n.open\n.tables\n\
                    .open a.db\nselect * from t;\n.backup b.db\n.save c.db\n.backup main d.db\n.backup\n\
                    .backup nosuch e.db\n.backup a b c\n.open --bogus x\n.open a b\n"),
                (&["b.db", "select * from t", "pragma integrity_check"], ""),
                (&["c.db", "select count(*) from t"], ""),
                (&[], ".open --new a.db\n.tables\ncreate table u(y);\n.open --readonly a.db\n.tables\n\
                    create table v(z);\n.open no/such/dir/x.db\nselect 1;\n"),
                (&[], ".save empty.db\n"),
                (&["empty.db", "pragma integrity_check", ".tables"], ""),
            ],
        ),
        case("cmd options", &["-cmd", ".mode csv", "-cmd", "select 1, 'a b'"], "select 2, 'c d';\n"),
        case("cmd errors", &["-cmd", "select * from nosuch", "-cmd", ".bogus"], "select 2;\n"),
        case("cmd errors with bail", &["-bail", "-cmd", "select * from nosuch"], "select 2;\n"),
        steps(
            "init file",
            &[
                (&[], ".output init.sql\n.print .headers on\n.print select 'from init';\n.output\n"),
                (&["-init", "init.sql"], "select 1 as a;\n"),
                (&["-init", "nosuch.sql"], "select 1 as a;\n"),
            ],
        ),
    ]);
}

/// `.timer` prints sqlite3's `Run Time:` line after each chunk of SQL (times vary, so the shape
/// is checked), and `.stats latency` reports every statement text run so far with its count.
#[test]
fn timer_and_latency_report() {
    let dir = fresh_dir("timer");
    let input = ".timer on\nselect 1;\ncreate table t(a);\n.timer off\ninsert into t values(1);\n\
                 insert into t values(1);\nselect   count(*)\n  from t;\n.stats latency\n.stats latency clear\n\
                 .stats latency\n.stats\n";
    let o = run_program(BRISK, &dir, &[], input, None);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "1", "{o:?}");
    for line in [lines[1], lines[2]] {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 8, "{line}");
        assert_eq!((fields[0], fields[1], fields[2], fields[4], fields[6]), ("Run", "Time:", "real", "user", "sys"));
        assert!(fields[3].parse::<f64>().is_ok() && fields[3].split('.').nth(1).map(str::len) == Some(3), "{line}");
        assert!(fields[5].parse::<f64>().is_ok() && fields[7].parse::<f64>().is_ok(), "{line}");
    }
    assert_eq!(lines[3], "2");
    assert!(
        lines[4].starts_with("statement ") && lines[4].ends_with("p50        p90        p99      p99.9        max")
    );
    let counts: Vec<(String, String)> = lines[5..9]
        .iter()
        .map(|l| {
            let cols: Vec<&str> = l.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
            (cols[0].to_string(), cols[1].to_string())
        })
        .collect();
    let want = [
        ("select 1", "1"),
        ("create table t(a)", "1"),
        ("insert into t values(1)", "2"),
        ("select count(*) from t", "1"),
    ];
    assert_eq!(counts, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert_eq!(lines[9], "no statements timed yet");
    assert_eq!(lines.len(), 10, "{o:?}");
    assert_eq!(o.stderr, "Usage: .stats latency ?clear?\n");
    let _ = std::fs::remove_dir_all(&dir);
}
