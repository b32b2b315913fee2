//! The shell proper: runs SQL arguments or standard input through an [`Executor`], prints
//! results through the [`Printer`], and reports errors with sqlite3's wording and exit codes.
//!
//! Error reporting follows sqlite3 (`shell_exec`, `save_err_msg`, `runOneSqlLine`):
//! - a failure to compile is `in prepare, MESSAGE`, plus ` (CODE)` when the result code is not
//!   SQLITE_ERROR, plus two lines pointing at the error when its offset is known;
//! - a failure while running is `stepping, MESSAGE (CODE)`;
//! - from standard input these become `Parse error near line N: ...` and
//!   `Runtime error near line N: ...` (without `near line N` when reading a terminal), the rest of
//!   that chunk is skipped, and the shell goes on (stops with `-bail`), exiting 1 at the end;
//! - an SQL argument's error prints `Error: in prepare, ...` and exits with the result code.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::time::Instant;

use brisk::Value;

use crate::dot::{self, DotOutcome};
use crate::input::{is_space, Accumulator, Item};
use crate::output::Printer;
use crate::stats::LatencyStats;

/// When an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Prepare,
    Step,
}

/// Why running some SQL failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecError {
    /// A statement failed to compile or to run.
    Sql {
        phase: Phase,
        /// SQLite's message (`sqlite3_errmsg`).
        message: String,
        /// The primary result code.
        code: i32,
        /// The SQL from the failing statement on, and the byte offset of the error in it
        /// (`sqlite3_error_offset`), when known: sqlite3 shows that spot.
        sql: String,
        offset: Option<usize>,
    },
    /// The database could not be opened: sqlite3 says so and exits 1.
    Open { path: String, message: String },
}

impl ExecError {
    /// The primary result code (SQLITE_CANTOPEN for a database that cannot be opened).
    pub fn code(&self) -> i32 {
        match self {
            ExecError::Sql { code, .. } => *code,
            ExecError::Open { .. } => 14,
        }
    }

    /// SQLite's message.
    pub fn message(&self) -> &str {
        match self {
            ExecError::Sql { message, .. } | ExecError::Open { message, .. } => message,
        }
    }

    /// sqlite3's `save_err_msg` text without its phase: the message, the code when it is not
    /// SQLITE_ERROR, and the error context for compile errors.
    fn detail(phase: Phase, message: &str, code: i32, sql: &str, offset: Option<usize>) -> String {
        let mut s = message.to_string();
        if code > 1 {
            s.push_str(&format!(" ({code})"));
        }
        if phase == Phase::Prepare {
            s.push_str(&error_context(sql, offset));
        }
        s
    }
}

/// What the shell needs from a database.
pub trait Executor {
    /// Runs every statement of `sql` in order, printing result rows through `out`, and stops at
    /// the first error. `ctx` holds the session's settings for statements and collects timings.
    fn exec(&mut self, sql: &str, ctx: &mut ExecContext, out: &mut Printer) -> Result<(), ExecError>;
    /// Runs one statement for a dot-command and returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, ExecError>;
    /// `sqlite3_changes64` and `sqlite3_total_changes64`.
    fn changes(&mut self) -> (i64, i64);
    /// The database file's full name, `""` for an in-memory database.
    fn filename(&self) -> String;
    fn read_only(&self) -> bool;
    /// Closes the database and opens `path` instead (`.open`); `""` or `:memory:` is a new
    /// in-memory database.
    fn open(&mut self, path: &str, read_only: bool) -> Result<(), ExecError>;
    /// The database as a file holding it would be (`.backup`, `.save`).
    fn serialize(&mut self) -> Result<Vec<u8>, ExecError>;
    /// Compiles one statement to be run many times (`.import`'s INSERT), or only inspected.
    fn prepare(&mut self, sql: &str) -> Result<Box<dyn Prepared>, ExecError>;
    /// Whether no transaction is open (`sqlite3_get_autocommit`).
    fn is_autocommit(&mut self) -> bool;
}

/// A compiled statement that a dot-command runs repeatedly with new parameters.
pub trait Prepared {
    /// The number of columns in the statement's result (`sqlite3_column_count`).
    fn column_count(&self) -> usize;
    /// Binds `params` to `?1..?N`, runs the statement to its end and rewinds it.
    fn run(&mut self, params: &[Value]) -> Result<(), ExecError>;
}

/// `.eqp`: show each statement's query plan (and, with `full`, its program) before its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Eqp {
    #[default]
    Off,
    On,
    /// As `on` in Brisk, whose plans have no separate trigger lines.
    Trigger,
    Full,
}

impl Eqp {
    pub fn name(self) -> &'static str {
        match self {
            Eqp::Off => "off",
            Eqp::On => "on",
            Eqp::Trigger => "trigger",
            Eqp::Full => "full",
        }
    }
}

/// The session's settings that apply inside statements, and what running them collects.
#[derive(Default)]
pub struct ExecContext {
    pub eqp: Eqp,
    /// `.parameter` bindings by parameter name (`:x`, `$y`, `?1`); `None` until `.parameter
    /// init` or `set` creates the table, as sqlite3 binds only while `temp.sqlite_parameters`
    /// exists.
    pub params: Option<BTreeMap<String, Value>>,
    pub latency: LatencyStats,
}

/// sqlite3's `shell_error_context`: the SQL around the error offset, with a marker under it.
pub fn error_context(sql: &str, offset: Option<usize>) -> String {
    let z = sql.as_bytes();
    let Some(offset) = offset.filter(|&o| o < z.len()) else { return String::new() };
    // Show at most 50 bytes before the error and 78 in all, cutting only at character boundaries.
    let mut off = offset as isize;
    let mut start = 0;
    while off > 50 {
        off -= 1;
        start += 1;
        while start < z.len() && z[start] & 0xc0 == 0x80 {
            start += 1;
            off -= 1;
        }
    }
    let rest = &z[start..];
    let mut len = rest.len();
    if len > 78 {
        len = 78;
        while len > 0 && rest[len] & 0xc0 == 0x80 {
            len -= 1;
        }
    }
    let code: Vec<u8> = rest[..len].iter().map(|&c| if is_space(c) { b' ' } else { c }).collect();
    let code = String::from_utf8_lossy(&code);
    let off = off.max(0) as usize;
    if off < 25 {
        format!("\n  {code}\n  {:off$}^--- error here", "")
    } else {
        format!("\n  {code}\n  {:w$}error here ---^", "", w = off - 14)
    }
}

/// The shell's state.
pub struct Shell<E: Executor> {
    pub exec: E,
    pub ctx: ExecContext,
    pub out: Printer,
    err: Box<dyn Write>,
    /// Stop at the first error (`-bail`, `.bail on`).
    pub bail: bool,
    /// Print each input before running it (`-echo`).
    pub echo: bool,
    /// After each chunk of SQL, print the change counts (`.changes on`).
    pub count_changes: bool,
    /// After each chunk of SQL, print its run time (`.timer on`).
    pub timer: bool,
    /// Where output goes instead of standard output (`.output`, `.once`).
    pub redirect: Option<Redirect>,
    /// `.once`: inputs left before output returns to standard output (sqlite3's `outCount`).
    pub once_count: u8,
    /// The database's name as given on the command line or to `.open` (`.show` prints it).
    pub db_name: String,
}

/// Output sent to a file or a pipe.
pub struct Redirect {
    /// The name `.show` prints.
    pub name: String,
    /// The command reading a pipe, waited for when the redirection ends.
    pub child: Option<std::process::Child>,
    /// Standard output's writer, put back when the redirection ends.
    pub saved: Box<dyn Write>,
}

/// Wall-clock and CPU times at a moment, for `.timer`.
struct Times {
    wall: Instant,
    user: f64,
    sys: f64,
}

impl Times {
    fn now() -> Times {
        let (user, sys) = cpu_times();
        Times { wall: Instant::now(), user, sys }
    }

    /// sqlite3's `Run Time:` line for the time since `self`.
    fn run_time_line(&self) -> String {
        let now = Times::now();
        format!(
            "Run Time: real {:.3} user {:.6} sys {:.6}\n",
            now.wall.duration_since(self.wall).as_secs_f64(),
            now.user - self.user,
            now.sys - self.sys
        )
    }
}

/// This process's user and system CPU seconds (`getrusage`).
fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage fills the zeroed struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    (secs(usage.ru_utime), secs(usage.ru_stime))
}

/// How to read standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A terminal: prompts, and errors without line numbers; errors never stop the loop.
    Interactive,
    /// A file or pipe.
    Batch,
}

/// One read from a [`LineSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line without its line ending.
    Text(String),
    /// Ctrl-C at the prompt: the line being typed is abandoned.
    Interrupted,
    /// End of input (or Ctrl-D at the prompt, or an error reading).
    End,
}

/// Where [`Shell::process_lines`] reads its lines: a file or pipe ([`PlainLines`]), or the line
/// editor on a terminal (`interactive::Editor`).
pub trait LineSource {
    /// Reads the next line; a source that [shows prompts](LineSource::shows_prompt) shows
    /// `prompt` first.
    fn read_line(&mut self, prompt: &str) -> Line;

    /// True if the source shows the prompt itself; otherwise the shell writes it to its output.
    fn shows_prompt(&self) -> bool {
        false
    }
}

/// Lines from a reader, as sqlite3 reads a file or pipe: split at `\n`, a `\r` before it
/// dropped, invalid UTF-8 replaced.
pub struct PlainLines<'a>(pub &'a mut dyn BufRead);

impl LineSource for PlainLines<'_> {
    fn read_line(&mut self, _prompt: &str) -> Line {
        let mut buf = Vec::new();
        match self.0.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return Line::End,
            Ok(_) => {}
        }
        if buf.ends_with(b"\n") {
            buf.pop();
            if buf.ends_with(b"\r") {
                buf.pop();
            }
        }
        Line::Text(String::from_utf8_lossy(&buf).into_owned())
    }
}

pub const MAIN_PROMPT: &str = "brisk> ";
pub const CONTINUE_PROMPT: &str = "   ...> ";

impl<E: Executor> Shell<E> {
    pub fn new(exec: E, out: Printer, err: Box<dyn Write>) -> Shell<E> {
        Shell {
            exec,
            ctx: ExecContext::default(),
            out,
            err,
            bail: false,
            echo: false,
            count_changes: false,
            timer: false,
            redirect: None,
            once_count: 0,
            db_name: ":memory:".to_string(),
        }
    }

    /// Ends an `.output` or `.once` redirection: output goes to standard output again.
    pub fn reset_output(&mut self) {
        if let Some(r) = self.redirect.take() {
            self.out.flush();
            drop(self.out.replace_writer(r.saved));
            if let Some(mut child) = r.child {
                let _ = child.wait();
            }
        }
    }

    /// Counts down a `.once` after each input, as sqlite3 does at the end of each command.
    fn after_input(&mut self) {
        if self.once_count > 0 {
            self.once_count -= 1;
            if self.once_count == 0 {
                self.reset_output();
            }
        }
    }

    /// Writes to stderr, after flushing stdout so that the two interleave sensibly on a terminal.
    pub fn eprint(&mut self, s: &str) {
        self.out.flush();
        let _ = self.err.write_all(s.as_bytes());
        let _ = self.err.flush();
    }

    /// Runs SQL arguments (and dot-commands) in turn; the first error ends the run. Returns the
    /// exit code.
    pub fn run_commands(&mut self, commands: &[String]) -> i32 {
        for cmd in commands {
            if cmd.starts_with('.') {
                let outcome = dot::run(self, cmd);
                self.after_input();
                match outcome {
                    DotOutcome::Ok => {}
                    DotOutcome::Exit(code) => return code,
                    DotOutcome::Error => return 1,
                    DotOutcome::Failed(code) => return code,
                }
                continue;
            }
            if self.echo {
                self.out.write_str(&format!("{cmd}\n"));
            }
            let result = self.exec.exec(cmd, &mut self.ctx, &mut self.out);
            self.after_input();
            match result {
                Ok(()) => {}
                Err(ExecError::Sql { phase, message, code, sql, offset }) => {
                    let what = if phase == Phase::Prepare { "in prepare" } else { "stepping" };
                    let detail = ExecError::detail(phase, &message, code, &sql, offset);
                    self.out.flush();
                    self.eprint(&format!("Error: {what}, {detail}\n"));
                    return if code == 0 { 1 } else { code };
                }
                Err(e @ ExecError::Open { .. }) => return self.open_failed(e),
            }
        }
        0
    }

    /// Reads the start-up file: `-init FILE`, else `~/.briskrc`, else `~/.sqliterc` (so that a
    /// sqlite3 user's settings carry over). Returns an exit code when `-bail` ends the run.
    pub fn run_startup_file(&mut self, init_file: Option<&str>, interactive: bool) -> Option<i32> {
        let path = match init_file {
            Some(f) => std::path::PathBuf::from(f),
            None => {
                let home = std::path::PathBuf::from(std::env::var_os("HOME")?);
                let brisk = home.join(".briskrc");
                if brisk.exists() {
                    brisk
                } else {
                    home.join(".sqliterc")
                }
            }
        };
        match std::fs::File::open(&path) {
            Ok(f) => {
                if interactive {
                    self.eprint(&format!("-- Loading resources from {}\n", path.display()));
                }
                let code = self.process_input(&mut std::io::BufReader::new(f), InputKind::Batch);
                (code != 0 && self.bail).then_some(1)
            }
            Err(_) if init_file.is_some() => {
                self.eprint(&format!("cannot open: \"{}\"\n", path.display()));
                self.bail.then_some(1)
            }
            Err(_) => None,
        }
    }

    /// Runs one `-cmd COMMAND`: errors are reported and end the run only with `-bail`. Returns
    /// the exit code when the run ends.
    pub fn run_cmd_option(&mut self, cmd: &str) -> Option<i32> {
        if cmd.starts_with('.') {
            let outcome = dot::run(self, cmd);
            self.after_input();
            return match outcome {
                DotOutcome::Ok => None,
                // As sqlite3, which ends then with code 0.
                DotOutcome::Exit(_) => self.bail.then_some(0),
                DotOutcome::Error => self.bail.then_some(1),
                DotOutcome::Failed(code) => self.bail.then_some(code),
            };
        }
        let result = self.exec.exec(cmd, &mut self.ctx, &mut self.out);
        self.after_input();
        match result {
            Ok(()) => None,
            Err(ExecError::Sql { phase, message, code, sql, offset }) => {
                let what = if phase == Phase::Prepare { "in prepare" } else { "stepping" };
                let detail = ExecError::detail(phase, &message, code, &sql, offset);
                self.eprint(&format!("Error: {what}, {detail}\n"));
                self.bail.then_some(if code == 0 { 1 } else { code })
            }
            Err(e @ ExecError::Open { .. }) => Some(self.open_failed(e)),
        }
    }

    /// Reads input line by line and runs it (sqlite3's `process_input`). Returns the exit code:
    /// 1 if any error happened.
    pub fn process_input(&mut self, input: &mut dyn BufRead, kind: InputKind) -> i32 {
        self.process_lines(&mut PlainLines(input), kind)
    }

    /// [`Shell::process_input`] over any [`LineSource`] (the line editor on a terminal).
    pub fn process_lines(&mut self, input: &mut dyn LineSource, kind: InputKind) -> i32 {
        let interactive = kind == InputKind::Interactive;
        let mut acc = Accumulator::new();
        let mut errors = 0;
        while errors == 0 || !self.bail || interactive {
            let prompt = if acc.pending() { CONTINUE_PROMPT } else { MAIN_PROMPT };
            if interactive && !input.shows_prompt() {
                self.out.write_str(prompt);
            }
            self.out.flush();
            let line = match input.read_line(prompt) {
                Line::Text(line) => line,
                // Ctrl-C at the prompt abandons the line being typed but not the SQL pending from
                // earlier lines, as sqlite3 with readline does.
                Line::Interrupted => continue,
                Line::End => {
                    if interactive {
                        self.out.write_str("\n");
                    }
                    break;
                }
            };
            match acc.push_line(&line) {
                None => {}
                Some(Item::Dot(line)) => {
                    if self.echo {
                        self.out.write_str(&format!("{line}\n"));
                    }
                    let outcome = dot::run(self, &line);
                    self.after_input();
                    match outcome {
                        DotOutcome::Ok => {}
                        DotOutcome::Error | DotOutcome::Failed(_) => errors += 1,
                        DotOutcome::Exit(code) => {
                            if code != 0 {
                                self.out.flush();
                                std::process::exit(code);
                            }
                            break;
                        }
                    }
                }
                Some(Item::Sql { text, start_line }) => errors += self.run_chunk(&text, start_line, interactive),
            }
        }
        if let Some(Item::Sql { text, start_line }) = acc.finish() {
            errors += self.run_chunk(&text, start_line, interactive);
        }
        self.out.flush();
        i32::from(errors > 0)
    }

    /// Runs one chunk of SQL from the input; returns the number of errors (0 or 1).
    fn run_chunk(&mut self, sql: &str, start_line: usize, interactive: bool) -> usize {
        if self.echo {
            self.out.write_str(&format!("{sql}\n"));
        }
        let started = self.timer.then(Times::now);
        let result = self.exec.exec(sql, &mut self.ctx, &mut self.out);
        if let Some(started) = started {
            self.out.write_str(&started.run_time_line());
        }
        if result.is_ok() && self.count_changes {
            let (changes, total) = self.exec.changes();
            self.out.write_str(&format!("changes: {changes}   total_changes: {total}\n"));
        }
        self.after_input();
        match result {
            Ok(()) => 0,
            Err(ExecError::Sql { phase, message, code, sql, offset }) => {
                let kind = if phase == Phase::Prepare { "Parse error" } else { "Runtime error" };
                let detail = ExecError::detail(phase, &message, code, &sql, offset);
                let prefix = if interactive { format!("{kind}:") } else { format!("{kind} near line {start_line}:") };
                self.eprint(&format!("{prefix} {detail}\n"));
                1
            }
            Err(e @ ExecError::Open { .. }) => {
                let code = self.open_failed(e);
                std::process::exit(code);
            }
        }
    }

    /// Reports a database that cannot be opened, as sqlite3's `open_db` does; returns the exit code.
    fn open_failed(&mut self, e: ExecError) -> i32 {
        if let ExecError::Open { path, message } = e {
            self.out.flush();
            self.eprint(&format!("Error: unable to open database \"{path}\": {message}\n"));
        }
        1
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::output::{Settings, StatementKind};
    use crate::testutil::SharedBuf;

    /// A pretend database: `select N` prints N; `bad` fails to compile, `boom` fails at run time
    /// after printing a row, and anything else compiles and prints nothing. Statements are split
    /// at `;` (no quotes in these tests). It records what it was asked to run.
    #[derive(Default)]
    pub struct FakeDb {
        pub runs: Vec<String>,
    }

    impl Executor for FakeDb {
        fn query(&mut self, _sql: &str, _params: &[Value]) -> Result<Vec<Vec<Value>>, ExecError> {
            Ok(Vec::new())
        }

        fn changes(&mut self) -> (i64, i64) {
            (self.runs.len() as i64, 2 * self.runs.len() as i64)
        }

        fn filename(&self) -> String {
            String::new()
        }

        fn read_only(&self) -> bool {
            false
        }

        fn open(&mut self, _path: &str, _read_only: bool) -> Result<(), ExecError> {
            Ok(())
        }

        fn serialize(&mut self) -> Result<Vec<u8>, ExecError> {
            Ok(Vec::new())
        }

        fn prepare(&mut self, sql: &str) -> Result<Box<dyn Prepared>, ExecError> {
            self.runs.push(sql.to_string());
            Ok(Box::new(FakeStatement))
        }

        fn is_autocommit(&mut self) -> bool {
            true
        }

        fn exec(&mut self, sql: &str, _ctx: &mut ExecContext, out: &mut Printer) -> Result<(), ExecError> {
            self.runs.push(sql.to_string());
            let mut offset = 0;
            for stmt in sql.split_inclusive(';') {
                let start = offset + (stmt.len() - stmt.trim_start().len());
                offset += stmt.len();
                let s = stmt.trim().trim_end_matches(';').trim();
                if s.is_empty() {
                    continue;
                }
                out.begin_statement(StatementKind::Normal);
                if let Some(n) = s.strip_prefix("select ") {
                    out.row(&["n".to_string()], &[Value::Integer(n.parse().unwrap_or(0))]);
                } else if s == "bad" {
                    return Err(ExecError::Sql {
                        phase: Phase::Prepare,
                        message: "near \"bad\": syntax error".into(),
                        code: 1,
                        sql: sql[start..].to_string(),
                        offset: Some(0),
                    });
                } else if s == "boom" {
                    out.row(&["n".to_string()], &[Value::text("partial")]);
                    return Err(ExecError::Sql {
                        phase: Phase::Step,
                        message: "UNIQUE constraint failed: t.a".into(),
                        code: 19,
                        sql: String::new(),
                        offset: None,
                    });
                } else if s == "nosuch" {
                    return Err(ExecError::Sql {
                        phase: Phase::Prepare,
                        message: "no such table: nosuch".into(),
                        code: 1,
                        sql: sql[start..].to_string(),
                        offset: None,
                    });
                }
            }
            Ok(())
        }
    }

    /// A statement of the pretend database: one column, and every run succeeds.
    struct FakeStatement;

    impl Prepared for FakeStatement {
        fn column_count(&self) -> usize {
            1
        }

        fn run(&mut self, _params: &[Value]) -> Result<(), ExecError> {
            Ok(())
        }
    }

    pub fn shell(settings: Settings) -> (Shell<FakeDb>, SharedBuf, SharedBuf) {
        let (out, err) = (SharedBuf::default(), SharedBuf::default());
        let printer = Printer::new(Box::new(out.clone()), settings);
        (Shell::new(FakeDb::default(), printer, Box::new(err.clone())), out, err)
    }

    fn batch(input: &str, bail: bool) -> (i32, String, String, Vec<String>) {
        let (mut sh, out, err) = shell(Settings::default());
        sh.bail = bail;
        let code = sh.process_input(&mut input.as_bytes(), InputKind::Batch);
        (code, out.text(), err.text(), sh.exec.runs)
    }

    #[test]
    fn errors_continue_and_exit_1() {
        let (code, out, err, _) = batch("select 1;\nnosuch;\nselect 2;\n", false);
        assert_eq!((code, out.as_str()), (1, "1\n2\n"));
        assert_eq!(err, "Parse error near line 2: no such table: nosuch\n");
    }

    #[test]
    fn bail_stops_at_the_first_error() {
        let (code, out, err, runs) = batch("select 1;\n\n  boom;\nselect 2;\n", true);
        assert_eq!((code, out.as_str()), (1, "1\npartial\n"));
        assert_eq!(err, "Runtime error near line 3: UNIQUE constraint failed: t.a (19)\n");
        assert_eq!(runs, vec!["select 1;", "boom;"]);
    }

    #[test]
    fn an_error_skips_the_rest_of_its_chunk() {
        let (code, out, err, _) = batch("select 1; nosuch; select 2;\nselect 3;", false);
        assert_eq!((code, out.as_str()), (1, "1\n3\n"));
        assert_eq!(err, "Parse error near line 1: no such table: nosuch\n");
    }

    #[test]
    fn syntax_errors_point_at_the_offset() {
        let (_, _, err, _) = batch("select 1; bad;\n", false);
        assert_eq!(err, "Parse error near line 1: near \"bad\": syntax error\n  bad;\n  ^--- error here\n");
    }

    #[test]
    fn crlf_input_and_missing_final_semicolon() {
        let (code, out, err, runs) = batch("select 1;\r\nselect 2\r\n", false);
        assert_eq!((code, out.as_str(), err.as_str()), (0, "1\n2\n", ""));
        assert_eq!(runs, vec!["select 1;", "select 2"]);
    }

    #[test]
    fn interactive_prompts_and_error_prefix() {
        let (mut sh, out, err) = shell(Settings::default());
        sh.bail = true;
        let code = sh.process_input(&mut "select 1\n;\nnosuch;\nselect 2;\n".as_bytes(), InputKind::Interactive);
        assert_eq!(code, 1);
        assert_eq!(out.text(), "brisk>    ...> 1\nbrisk> brisk> 2\nbrisk> \n");
        assert_eq!(err.text(), "Parse error: no such table: nosuch\n");
    }

    #[test]
    fn sql_arguments_stop_at_the_first_error_with_its_code() {
        let (mut sh, out, err) = shell(Settings::default());
        let cmds: Vec<String> = ["select 1", "boom", "select 2"].iter().map(|s| s.to_string()).collect();
        assert_eq!(sh.run_commands(&cmds), 19);
        assert_eq!(out.text(), "1\npartial\n");
        assert_eq!(err.text(), "Error: stepping, UNIQUE constraint failed: t.a (19)\n");

        let (mut sh, _, err) = shell(Settings::default());
        assert_eq!(sh.run_commands(&["nosuch".to_string()]), 1);
        assert_eq!(err.text(), "Error: in prepare, no such table: nosuch\n");
    }

    #[test]
    fn error_context_layout() {
        assert_eq!(error_context("selec 1;", Some(0)), "\n  selec 1;\n  ^--- error here");
        assert_eq!(error_context("select\n  x", Some(9)), "\n  select   x\n           ^--- error here");
        assert_eq!(error_context("select 1", None), "");
        assert_eq!(error_context("select (1", Some(9)), "");
        let long = format!("select {} from t", "a, ".repeat(30));
        let got = error_context(&long, Some(40));
        assert_eq!(got, format!("\n  {}\n  {}error here ---^", &long[..78], " ".repeat(26)));
        // Past 50 bytes the start of the text is cut.
        let got = error_context(&long, Some(60));
        assert_eq!(got, format!("\n  {}\n  {}error here ---^", &long[10..88], " ".repeat(36)));
    }
}
