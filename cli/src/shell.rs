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

use std::io::{BufRead, Write};

use crate::dot::{self, DotOutcome};
use crate::input::{is_space, Accumulator, Item};
use crate::output::Printer;

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

/// What the shell needs from a database: run every statement of `sql` in order, printing result
/// rows through `out`, and stop at the first error.
pub trait Executor {
    fn exec(&mut self, sql: &str, out: &mut Printer) -> Result<(), ExecError>;
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
    pub out: Printer,
    err: Box<dyn Write>,
    /// Stop at the first error (`-bail`, `.bail on`).
    pub bail: bool,
    /// Print each input before running it (`-echo`).
    pub echo: bool,
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
        Shell { exec, out, err, bail: false, echo: false }
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
                match dot::run(self, cmd) {
                    DotOutcome::Ok => {}
                    DotOutcome::Exit(code) => return code,
                    DotOutcome::Error => return 1,
                }
                continue;
            }
            if self.echo {
                self.out.write_str(&format!("{cmd}\n"));
            }
            match self.exec.exec(cmd, &mut self.out) {
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
                    match dot::run(self, &line) {
                        DotOutcome::Ok => {}
                        DotOutcome::Error => errors += 1,
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
        match self.exec.exec(sql, &mut self.out) {
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
    use brisk::Value;

    /// A pretend database: `select N` prints N; `bad` fails to compile, `boom` fails at run time
    /// after printing a row, and anything else compiles and prints nothing. Statements are split
    /// at `;` (no quotes in these tests). It records what it was asked to run.
    #[derive(Default)]
    pub struct FakeDb {
        pub runs: Vec<String>,
    }

    impl Executor for FakeDb {
        fn exec(&mut self, sql: &str, out: &mut Printer) -> Result<(), ExecError> {
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
