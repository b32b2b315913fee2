//! The [`Executor`] over a Brisk connection: sqlite3's `shell_exec` loop over `compile_first`.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use brisk::api::{Connection, Database, OpenOptions, StepResult};
use brisk::io::IoKind;
use brisk::vdbe::program::ExplainMode;
use brisk::Error;

use crate::input::is_space;
use crate::output::{Printer, StatementKind};
use crate::shell::{ExecError, Executor, Phase};

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

impl Executor for BriskExecutor {
    fn exec(&mut self, sql: &str, out: &mut Printer) -> Result<(), ExecError> {
        let conn = self.connection()?;
        let mut rest = sql;
        while !rest.is_empty() {
            let prepared =
                conn.prepare_first(rest).map_err(|e| sql_error(Phase::Prepare, &e, rest, error_offset(&e)))?;
            let Some((mut stmt, tail)) = prepared else { break };
            let kind = match stmt.explain_mode() {
                ExplainMode::None => StatementKind::Normal,
                ExplainMode::Explain => StatementKind::Explain,
                ExplainMode::QueryPlan => StatementKind::QueryPlan,
            };
            let names = stmt.column_names().to_vec();
            out.begin_statement(kind);
            let result = loop {
                match stmt.step() {
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
            result?;
            rest = rest[tail..].trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        }
        Ok(())
    }
}
