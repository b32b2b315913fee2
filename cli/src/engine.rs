//! The [`Executor`] over a Brisk connection: sqlite3's `shell_exec` loop over `compile_first`.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use brisk::api::{Connection, Database, OpenOptions, Statement, StepResult};
use brisk::io::IoKind;
use brisk::vdbe::program::ExplainMode;
use brisk::{Error, Value};

use crate::input::is_space;
use crate::output::{Printer, StatementKind};
use crate::shell::{Eqp, ExecContext, ExecError, Executor, Phase, Prepared};

/// The shell prints REALs with the 15 significant digits of the sqlite3 shell it is checked
/// against (3.40; SQLite 3.52 and later keep 17, the library's default).
pub const SHELL_FP_DIGITS: u8 = 15;

/// A database opened on first use, as sqlite3 opens it only when the first SQL runs (so that a
/// mistyped filename with no SQL creates no file).
pub struct BriskExecutor {
    /// The filename as given; `:memory:` for an in-memory database.
    path: String,
    options: OpenOptions,
    conn: Option<Connection>,
    /// Called with the connection's interrupt flag when the connection opens: Ctrl-C on a
    /// terminal sets it (see `interactive.rs`).
    on_open: Option<fn(Arc<AtomicBool>)>,
}

impl BriskExecutor {
    pub fn new(path: &str, io: IoKind, read_only: bool) -> BriskExecutor {
        let options = OpenOptions { io, read_only, create: !read_only };
        BriskExecutor { path: path.to_string(), options, conn: None, on_open: None }
    }

    /// Has `hook` called with the interrupt flag of each connection this executor opens.
    pub fn on_open(&mut self, hook: fn(Arc<AtomicBool>)) {
        self.on_open = Some(hook);
    }

    /// The connection, opened if need be. A file that cannot be opened at all is fatal, as in
    /// sqlite3; one that opens but cannot be read (not a database, corrupt) fails each statement
    /// as sqlite3's prepare would.
    fn connection(&mut self) -> Result<Connection, ExecError> {
        if let Some(conn) = &self.conn {
            return Ok(conn.clone());
        }
        let open_failed = |e: Error| ExecError::Open { path: self.path.clone(), message: e.to_string() };
        let db = Database::open_with(&self.path, self.options.clone()).map_err(open_failed)?;
        match db.connect() {
            Ok(conn) => {
                conn.set_fp_digits(SHELL_FP_DIGITS);
                if let Some(hook) = self.on_open {
                    hook(conn.interrupt_handle());
                }
                self.conn = Some(conn.clone());
                Ok(conn)
            }
            Err(e @ Error::CantOpen(_)) => Err(open_failed(e)),
            Err(e) => Err(sql_error(Phase::Prepare, &e, "", None)),
        }
    }
}

fn sql_error(phase: Phase, e: &Error, sql: &str, offset: Option<usize>) -> ExecError {
    ExecError::Sql { phase, message: e.to_string(), code: e.code() as i32, sql: sql.to_string(), offset }
}

/// Where in `sql` (the text given to prepare) a compile error is, when known
/// (`sqlite3_error_offset`): a syntax error, or a name that did not resolve.
fn error_offset(e: &Error) -> Option<usize> {
    e.offset()
}

impl BriskExecutor {
    /// Runs one prepared statement to its end, printing its rows as `kind`; returns how long
    /// the engine spent in its steps, with the outcome.
    fn run_statement(
        &self,
        conn: &Connection,
        stmt: &mut Statement,
        kind: StatementKind,
        out: &mut Printer,
    ) -> (Duration, Result<(), ExecError>) {
        let names = stmt.column_names().to_vec();
        let mut engine_time = Duration::ZERO;
        out.begin_statement(kind);
        let result = loop {
            let started = Instant::now();
            let step = stmt.step();
            engine_time += started.elapsed();
            match step {
                Ok(StepResult::Row) => out.row(&names, stmt.row()),
                Ok(StepResult::Done) => break Ok(()),
                // `step` drives the I/O itself; `Io` does not reach here.
                Ok(StepResult::Io) => {
                    if let Err(e) = conn.run_io() {
                        break Err(sql_error(Phase::Step, &e, "", None));
                    }
                }
                Err(e) => break Err(sql_error(Phase::Step, &e, "", None)),
            }
        };
        out.end_statement();
        (engine_time, result)
    }

    /// `.eqp`: the plan (and with `full` the program) of a statement about to run, printed as
    /// sqlite3 prints them.
    fn explain_first(&self, conn: &Connection, sql: &str, eqp: Eqp, out: &mut Printer) -> Result<(), ExecError> {
        let mut modes = vec![("EXPLAIN QUERY PLAN ", StatementKind::EqpPlan)];
        if eqp == Eqp::Full {
            modes.push(("EXPLAIN ", StatementKind::EqpExplain));
        }
        for (prefix, kind) in modes {
            let text = format!("{prefix}{sql}");
            let mut stmt = conn.prepare(&text).map_err(|e| sql_error(Phase::Prepare, &e, &text, None))?;
            self.run_statement(conn, &mut stmt, kind, out).1?;
        }
        Ok(())
    }
}

/// Binds `.parameter` values by name, or NULL when a parameter has none (sqlite3's
/// `bind_prepared_stmt`); a nameless `?` is looked up as `?N`.
fn bind_parameters(stmt: &mut Statement, params: &BTreeMap<String, Value>) -> brisk::Result<()> {
    for i in 1..=stmt.parameter_count() {
        let name = stmt.parameter_name(i).map(str::to_string).unwrap_or_else(|| format!("?{i}"));
        stmt.bind(i, params.get(&name).cloned().unwrap_or(Value::Null))?;
    }
    Ok(())
}

impl Executor for BriskExecutor {
    fn exec(&mut self, sql: &str, ctx: &mut ExecContext, out: &mut Printer) -> Result<(), ExecError> {
        let conn = self.connection()?;
        let mut rest = sql;
        while !rest.is_empty() {
            let started = Instant::now();
            let prepared =
                conn.prepare_first(rest).map_err(|e| sql_error(Phase::Prepare, &e, rest, error_offset(&e)))?;
            let Some((mut stmt, tail)) = prepared else { break };
            let prepare_time = started.elapsed();
            if let Some(params) = &ctx.params {
                bind_parameters(&mut stmt, params).map_err(|e| sql_error(Phase::Step, &e, "", None))?;
            }
            let kind = match stmt.explain_mode() {
                ExplainMode::None => StatementKind::Normal,
                ExplainMode::Explain => StatementKind::Explain,
                ExplainMode::QueryPlan => StatementKind::QueryPlan,
            };
            if ctx.eqp != Eqp::Off && kind == StatementKind::Normal {
                self.explain_first(&conn, stmt.sql(), ctx.eqp, out)?;
            }
            let (step_time, result) = self.run_statement(&conn, &mut stmt, kind, out);
            ctx.latency.record(stmt.sql(), prepare_time + step_time);
            result?;
            rest = rest[tail..].trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        }
        Ok(())
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, ExecError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare(sql).map_err(|e| sql_error(Phase::Prepare, &e, sql, error_offset(&e)))?;
        stmt.query_all(params).map_err(|e| sql_error(Phase::Step, &e, "", None))
    }

    fn changes(&mut self) -> (i64, i64) {
        match &self.conn {
            Some(conn) => (conn.changes(), conn.total_changes()),
            None => (0, 0),
        }
    }

    fn filename(&self) -> String {
        if self.path == ":memory:" {
            return String::new();
        }
        // sqlite3 shows the full path of a file database.
        let path = std::path::Path::new(&self.path);
        match std::env::current_dir() {
            Ok(dir) if path.is_relative() => dir.join(path).to_string_lossy().into_owned(),
            _ => self.path.clone(),
        }
    }

    fn read_only(&self) -> bool {
        self.options.read_only
    }

    fn open(&mut self, path: &str, read_only: bool) -> Result<(), ExecError> {
        let path = if path.is_empty() { ":memory:" } else { path };
        let mut next = BriskExecutor::new(path, self.options.io, read_only);
        next.on_open = self.on_open;
        next.connection()?;
        *self = next;
        Ok(())
    }

    fn serialize(&mut self) -> Result<Vec<u8>, ExecError> {
        let conn = self.connection()?;
        conn.serialize().map_err(|e| sql_error(Phase::Step, &e, "", None))
    }

    fn prepare(&mut self, sql: &str) -> Result<Box<dyn Prepared>, ExecError> {
        let conn = self.connection()?;
        let stmt = conn.prepare(sql).map_err(|e| sql_error(Phase::Prepare, &e, sql, error_offset(&e)))?;
        Ok(Box::new(stmt))
    }

    fn is_autocommit(&mut self) -> bool {
        self.conn.as_ref().is_none_or(Connection::is_autocommit)
    }
}

impl Prepared for Statement {
    fn column_count(&self) -> usize {
        Statement::column_count(self)
    }

    fn run(&mut self, params: &[Value]) -> Result<(), ExecError> {
        let result = self.execute(params);
        // Rewind at once, as sqlite3_reset does, so the statement holds nothing open between runs.
        self.reset();
        result.map(drop).map_err(|e| sql_error(Phase::Step, &e, "", None))
    }
}
