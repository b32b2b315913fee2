//! The public API: [`Database`], [`Connection`], [`Statement`] and [`Row`], shaped like rusqlite's.
//! The shell and the bindings use this and nothing else.
//!
//! Blocking by default: [`Statement::step`] drives the I/O backend until the VM has a row or is
//! done. The async surface underneath is [`Statement::step_async`], which returns
//! [`StepResult::Io`] when a page read is in flight; the caller then drives I/O with
//! [`Connection::run_io`] (or its own event loop) and steps again.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Error, Result};
pub use crate::functions::user::Aggregate;
use crate::functions::user::{AggregateFactory, Registry, RegistryGuard, UserAggregate, UserFunction, UserScalar};
use crate::io::{self, Io, IoKind};
use crate::storage::pager::{Pager, PagerOptions};
use crate::translate;
use crate::value::Value;
use crate::vdbe::program::{ExplainMode, Program};
pub use crate::vdbe::vm::StepResult;
use crate::vdbe::vm::Vm;
use crate::vdbe::{DbState, ProgressHandler};

/// How to open a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub io: IoKind,
    pub read_only: bool,
    /// Create the file when missing (SQLITE_OPEN_CREATE).
    pub create: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { io: IoKind::Default, read_only: false, create: true }
    }
}

/// A database: a file (or `:memory:`) and the I/O backend it is opened with. Each
/// [`Connection`] from it has its own pager and cache, as SQLite connections do.
#[derive(Clone)]
pub struct Database {
    path: String,
    io: Arc<dyn Io>,
    options: OpenOptions,
    in_memory: bool,
}

impl Database {
    pub fn open(path: &str) -> Result<Database> {
        Database::open_with(path, OpenOptions::default())
    }

    pub fn open_with(path: &str, options: OpenOptions) -> Result<Database> {
        let in_memory = path == ":memory:" || path.is_empty();
        let kind = if in_memory { IoKind::Memory } else { options.io };
        let io = io::open_io(kind)?;
        if !in_memory && !options.create && !io.exists(path)? {
            return Err(Error::CantOpen(path.to_string()));
        }
        Ok(Database { path: path.to_string(), io, options, in_memory })
    }

    /// A database over a caller-supplied backend (the simulated backend in tests, OPFS in the browser).
    pub fn open_with_io(path: &str, io: Arc<dyn Io>, read_only: bool) -> Result<Database> {
        Ok(Database {
            path: path.to_string(),
            io,
            options: OpenOptions { read_only, ..OpenOptions::default() },
            in_memory: false,
        })
    }

    pub fn io(&self) -> &Arc<dyn Io> {
        &self.io
    }

    pub fn connect(&self) -> Result<Connection> {
        let pager = Pager::open(
            self.io.clone(),
            &self.path,
            PagerOptions { read_only: self.options.read_only, in_memory: self.in_memory, ..PagerOptions::default() },
        )?;
        let mut state = DbState::new(pager);
        // Read the schema now so that the first prepare sees it. Like SQLite, a file that cannot
        // be read (not a database, locked, corrupt) fails the first statement that touches it,
        // not the open: `SELECT 1` still works.
        if state.pager.begin_read().is_ok() {
            let _ = state.reload_schema();
            state.pager.end_read();
        }
        Ok(Connection { state: Arc::new(Mutex::new(state)), io: self.io.clone() })
    }
}

/// One connection: its own pager, schema and transaction state.
#[derive(Clone)]
pub struct Connection {
    state: Arc<Mutex<DbState>>,
    io: Arc<dyn Io>,
}

impl Connection {
    /// Opens `path` with the default backend and returns a connection to it.
    pub fn open(path: &str) -> Result<Connection> {
        Database::open(path)?.connect()
    }

    pub fn open_in_memory() -> Result<Connection> {
        Connection::open(":memory:")
    }

    fn lock(&self) -> MutexGuard<'_, DbState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Compiles the first statement of `sql`.
    pub fn prepare(&self, sql: &str) -> Result<Statement> {
        let (program, _tail) = self.compile_first(sql)?.ok_or_else(|| Error::Misuse("not an SQL statement".into()))?;
        Ok(Statement::new(self.clone(), program))
    }

    /// Prepares the first statement of `sql` and returns it with the byte offset where the rest
    /// begins (sqlite3_prepare's tail), or `None` when only whitespace and comments remain.
    pub fn prepare_first(&self, sql: &str) -> Result<Option<(Statement, usize)>> {
        Ok(self.compile_first(sql)?.map(|(program, tail)| (Statement::new(self.clone(), program), tail)))
    }

    /// Compiles the first statement of `sql`; returns it and the byte offset where the rest begins,
    /// or `None` when `sql` holds only whitespace and comments.
    pub fn compile_first(&self, sql: &str) -> Result<Option<(Arc<Program>, usize)>> {
        let Some(parsed) = crate::parser::parse_script(sql).next().transpose()? else {
            return Ok(None);
        };
        let mut db = self.lock();
        let _registry = RegistryGuard::enter(&db.registry);
        // A schema that could not be read at open is read now; if it still cannot be, the
        // statement fails with that error only when it needed the schema (SELECT 1 does not).
        let load_error = if db.schema.generation == 0 && db.active_statements == 0 && db.autocommit {
            let r = db.pager.begin_read().and_then(|_| db.reload_schema());
            db.pager.end_read();
            r.err()
        } else {
            None
        };
        let mut compiled = translate::compile(&db.schema, &parsed.stmt, &sql[parsed.span.clone()]);
        // As SQLite's schemaIsValid: a statement that does not compile against the schema read
        // earlier may compile against the one on disk now (another connection's DDL, a table
        // it created or dropped): when the schema cookie moved, read the schema again and retry.
        if compiled.is_err() && load_error.is_none() && db.schema_is_stale() {
            compiled = translate::compile(&db.schema, &parsed.stmt, &sql[parsed.span.clone()]);
        }
        let program = match compiled {
            Ok(p) => p,
            // An error's offset is kept only when it points into this statement's text, not
            // into a view's or trigger's stored SQL (sqlite3_error_offset is then -1).
            Err(e) => return Err(load_error.unwrap_or(e.located_in(parsed.source))),
        };
        Ok(Some((Arc::new(program), parsed.tail)))
    }

    /// Runs one statement and returns the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<usize> {
        let mut stmt = self.prepare(sql)?;
        stmt.bind_all(params)?;
        while stmt.step()? == StepResult::Row {}
        Ok(self.changes() as usize)
    }

    /// Runs every statement in `sql`, discarding rows (sqlite3_exec without a callback).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.execute_script(sql, |_, _| Ok(()))
    }

    /// Runs every statement in `sql`, calling `on_row(column_names, row)` for each result row.
    pub fn execute_script(&self, sql: &str, mut on_row: impl FnMut(&[String], &[Value]) -> Result<()>) -> Result<()> {
        let mut rest = sql;
        // Each iteration consumes at least one statement's text.
        while let Some((program, tail)) = self.compile_first(rest)? {
            let mut stmt = Statement::new(self.clone(), program);
            let names = stmt.column_names().to_vec();
            while stmt.step()? == StepResult::Row {
                on_row(&names, stmt.row())?;
            }
            rest = &rest[tail..];
        }
        Ok(())
    }

    /// Runs a query expected to return one row and maps it.
    pub fn query_row<T>(&self, sql: &str, params: &[Value], f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<T> {
        let mut stmt = self.prepare(sql)?;
        stmt.bind_all(params)?;
        match stmt.step()? {
            StepResult::Row => f(&Row { values: stmt.row(), names: stmt.column_names() }),
            _ => Err(Error::sql("query returned no rows")),
        }
    }

    pub fn last_insert_rowid(&self) -> i64 {
        self.lock().last_insert_rowid
    }

    pub fn changes(&self) -> i64 {
        self.lock().changes
    }

    pub fn total_changes(&self) -> i64 {
        self.lock().total_changes
    }

    pub fn is_autocommit(&self) -> bool {
        self.lock().autocommit
    }

    /// Interrupts running statements (sqlite3_interrupt); they fail with SQLITE_INTERRUPT.
    pub fn interrupt(&self) {
        let flag = self.lock().interrupted.clone();
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets how many significant digits a REAL keeps when this connection turns it into text
    /// (SQLite's SQLITE_DBCONFIG_FP_DIGITS: 3 to 23; 17 by default as in SQLite 3.52 and later,
    /// 15 in earlier versions). Another value leaves the setting alone. Returns the setting.
    pub fn set_fp_digits(&self, digits: u8) -> u8 {
        let mut db = self.lock();
        if (3..=23).contains(&digits) {
            db.fp_digits = digits;
        }
        db.fp_digits
    }

    /// A handle that interrupts this connection from another thread without locking it.
    pub fn interrupt_handle(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.lock().interrupted.clone()
    }

    /// The database as a file holding it would be (sqlite3_serialize), read inside a read
    /// transaction so that it is one committed state (or this connection's open transaction).
    /// Pages are copied as they are, as SQLite's backup copies them; the header's in-header page
    /// count is made valid, and a WAL database's file-format bytes become those of rollback mode,
    /// since the image has no WAL beside it. The shell's `.backup` and `.save` write this image.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let mut db = self.lock();
        let reading_here = db.pager.state() == crate::storage::pager::PagerState::Open;
        db.pager.begin_read()?;
        let result = (|| {
            let (count, size) = (db.pager.page_count(), db.pager.page_size());
            let mut image = Vec::with_capacity(count.max(1) as usize * size);
            for pgno in 1..=count {
                image.extend_from_slice(&db.pager.get_blocking(pgno)?.read());
            }
            if count == 0 {
                // Nothing written yet: the image of an empty database, as SQLite's backup makes.
                image.extend_from_slice(&db.pager.new_page_one());
            }
            let count = count.max(1);
            if image.len() >= 100 {
                if image[18] == 2 && image[19] == 2 {
                    image[18] = 1;
                    image[19] = 1;
                }
                image[28..32].copy_from_slice(&count.to_be_bytes());
                let change_counter: [u8; 4] = image[24..28].try_into().expect("four bytes");
                image[92..96].copy_from_slice(&change_counter);
            }
            Ok(image)
        })();
        if reading_here {
            db.pager.end_read();
        }
        result
    }

    /// Registers scalar function `name` taking `n_args` arguments (-1: any number), as
    /// sqlite3_create_function does: names are case-insensitive; a function registered for
    /// (name, n_args) replaces the one there (scalar or aggregate); one registered for exactly
    /// the number of arguments a call has wins over one for any number, and either over a
    /// built-in of the same name. An error `f` returns is the statement's error, message and
    /// code as they are (an `Error::sql` message is SQLITE_ERROR). `deterministic`
    /// (SQLITE_DETERMINISTIC) allows the function in index expressions and partial index WHERE
    /// clauses. Statements prepared earlier are recompiled before they next start.
    pub fn create_function<F>(&self, name: &str, n_args: i32, deterministic: bool, f: F) -> Result<()>
    where
        F: Fn(&[Value]) -> Result<Value> + Send + Sync + 'static,
    {
        check_function_args(name, n_args)?;
        let func = UserScalar { name: name.to_ascii_lowercase(), deterministic, func: Box::new(f) };
        self.change_registry(|r| r.define(name, n_args, Some(UserFunction::Scalar(Arc::new(func)))));
        Ok(())
    }

    /// Registers aggregate `name` taking `n_args` arguments (-1: any number): `factory` makes
    /// the state of each group (sqlite3_create_function with xStep and xFinal). Same name rules
    /// as [`Connection::create_function`]; works with GROUP BY, DISTINCT and FILTER.
    pub fn create_aggregate<F>(&self, name: &str, n_args: i32, factory: F) -> Result<()>
    where
        F: Fn() -> Box<dyn Aggregate> + Send + Sync + 'static,
    {
        self.define_aggregate(name, n_args, Box::new(factory), false)
    }

    /// Registers aggregate window function `name` (sqlite3_create_window_function): as
    /// [`Connection::create_aggregate`], and also usable with OVER, where each row reads the
    /// state's [`Aggregate::value`] and rows leaving the frame go to [`Aggregate::inverse`].
    pub fn create_window_function<F>(&self, name: &str, n_args: i32, factory: F) -> Result<()>
    where
        F: Fn() -> Box<dyn Aggregate> + Send + Sync + 'static,
    {
        self.define_aggregate(name, n_args, Box::new(factory), true)
    }

    fn define_aggregate(&self, name: &str, n_args: i32, factory: Box<AggregateFactory>, window: bool) -> Result<()> {
        check_function_args(name, n_args)?;
        let func = UserAggregate { name: name.to_ascii_lowercase(), factory, window };
        self.change_registry(|r| r.define(name, n_args, Some(UserFunction::Aggregate(Arc::new(func)))));
        Ok(())
    }

    /// Removes the function or aggregate registered as (`name`, `n_args`), exactly as
    /// sqlite3_create_function with no callbacks does: nothing there is not an error, and the
    /// entry stays behind with no implementation, so a call that it matches best (this many
    /// arguments, or any number for -1) is "wrong number of arguments" rather than a built-in
    /// of that name or the version for any number of arguments.
    pub fn remove_function(&self, name: &str, n_args: i32) -> Result<()> {
        check_function_args(name, n_args)?;
        self.change_registry(|r| r.define(name, n_args, None));
        Ok(())
    }

    /// Registers collating sequence `name` (case-insensitive), replacing one of that name
    /// (sqlite3_create_collation): usable in COLLATE clauses, column definitions, ORDER BY,
    /// comparisons and indexes. `f` must be a total order, as SQLite requires.
    pub fn create_collation<F>(&self, name: &str, f: F) -> Result<()>
    where
        F: Fn(&str, &str) -> std::cmp::Ordering + Send + Sync + 'static,
    {
        self.change_registry(|r| r.set_collation(name, Some(Arc::new(f))));
        Ok(())
    }

    /// Removes collating sequence `name` (sqlite3_create_collation with no callback): statements
    /// that need it fail with "no such collation sequence" from then on.
    pub fn remove_collation(&self, name: &str) -> Result<()> {
        self.change_registry(|r| r.set_collation(name, None));
        Ok(())
    }

    /// Sets the progress handler (sqlite3_progress_handler): `handler` is called about every
    /// `n_instructions` VM instructions of a running statement, and when a step returns; its
    /// returning true interrupts the statement with SQLITE_INTERRUPT ("interrupted"). `None`, or
    /// `n_instructions` below 1, removes it. The handler must not use this connection.
    pub fn set_progress_handler<F>(&self, n_instructions: i32, handler: Option<F>)
    where
        F: FnMut() -> bool + Send + 'static,
    {
        let mut db = self.lock();
        db.progress = match handler {
            Some(h) if n_instructions > 0 => {
                Some(ProgressHandler { every: n_instructions as u64, handler: Box::new(h) })
            }
            _ => None,
        };
    }

    /// A new registry from `change`, for statements compiled from now on; prepared ones are
    /// recompiled before they next start (SQLite expires them).
    fn change_registry(&self, change: impl FnOnce(&mut Registry)) {
        let mut db = self.lock();
        let mut registry = (*db.registry).clone();
        change(&mut registry);
        db.registry = Arc::new(registry);
    }

    /// Replaces this connection's database with an in-memory copy of `image`, a database file's
    /// bytes (sqlite3_deserialize into "main", with the copy owned by the connection). The
    /// copy is read and written like a file, in memory: nothing reaches the file the connection
    /// had open. Fails with SQLITE_BUSY inside a transaction or while a statement runs.
    /// Statements prepared earlier are recompiled before they next start.
    pub fn deserialize(&self, image: &[u8]) -> Result<()> {
        let mut db = self.lock();
        if !db.autocommit || db.active_statements > 0 {
            return Err(Error::Busy);
        }
        let memory: Arc<dyn Io> = Arc::new(io::memory::MemoryIo::new());
        const PATH: &str = "deserialized.db";
        if !image.is_empty() {
            let file = memory.open(PATH, io::OpenOptions { create: true, read_only: false })?;
            let c = file.pwrite(0, image.to_vec())?;
            io::wait(memory.as_ref(), &c)?;
        }
        let pager = Pager::open(memory, PATH, PagerOptions::default())?;
        let old = std::mem::replace(&mut db.pager, pager);
        drop(old);
        db.savepoints.clear();
        // A generation no program compiled so far has, so each is recompiled against the new
        // schema; read now, as at open (a file that cannot be read fails its first statement).
        let generation = db.schema.generation + 1;
        let temp_views = db.schema.temp_views.clone();
        db.schema = Arc::new(crate::schema::Schema { generation, temp_views, ..Default::default() });
        let loaded = db.pager.begin_read().and_then(|_| db.reload_schema());
        db.pager.end_read();
        if loaded.is_err() {
            // Generation 0 is "not read yet": each statement tries again and fails with the
            // reason (`file is not a database`), as it does on a file that cannot be read.
            let temp_views = db.schema.temp_views.clone();
            db.schema = Arc::new(crate::schema::Schema { generation: 0, temp_views, ..Default::default() });
        }
        Ok(())
    }

    /// Copies this connection's database into `dest`, replacing what `dest` had: `dest` then
    /// holds an in-memory copy ([`Connection::serialize`] then [`Connection::deserialize`]).
    pub fn backup_to(&self, dest: &Connection) -> Result<()> {
        let image = self.serialize()?;
        dest.deserialize(&image)
    }

    /// Drives the I/O backend once (after [`StepResult::Io`]).
    pub fn run_io(&self) -> Result<()> {
        self.io.run_once()
    }

    pub fn io_name(&self) -> &'static str {
        self.io.name()
    }
}

/// sqlite3_create_function's argument checks: SQLITE_MISUSE for a name longer than 255 bytes
/// or an argument count outside -1..=SQLITE_MAX_FUNCTION_ARG.
fn check_function_args(name: &str, n_args: i32) -> Result<()> {
    if name.len() > 255 || !(-1..=crate::limits::MAX_FUNCTION_ARG).contains(&n_args) {
        return Err(Error::Misuse("bad parameter or other API misuse".into()));
    }
    Ok(())
}

/// A compiled statement.
pub struct Statement {
    conn: Connection,
    vm: Vm,
}

impl Statement {
    fn new(conn: Connection, program: Arc<Program>) -> Statement {
        Statement { vm: Vm::new(program), conn }
    }

    pub fn sql(&self) -> &str {
        &self.vm.program().sql
    }

    pub fn column_count(&self) -> usize {
        self.vm.program().column_names.len()
    }

    pub fn column_names(&self) -> &[String] {
        &self.vm.program().column_names
    }

    pub fn column_decltype(&self, i: usize) -> Option<&str> {
        self.vm.program().column_decltypes.get(i).and_then(|d| d.as_deref())
    }

    pub fn explain_mode(&self) -> ExplainMode {
        self.vm.program().explain
    }

    pub fn is_read_only(&self) -> bool {
        self.vm.program().read_only
    }

    pub fn parameter_count(&self) -> usize {
        self.vm.parameter_count()
    }

    /// The name of parameter `index` (1-based) including its prefix (`:a`, `@a`, `$a`).
    pub fn parameter_name(&self, index: usize) -> Option<&str> {
        self.vm.program().parameters.get(index.checked_sub(1)?).and_then(|n| n.as_deref())
    }

    /// The index of the named parameter (name with its prefix).
    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        self.vm.program().parameters.iter().position(|n| n.as_deref() == Some(name)).map(|i| i + 1)
    }

    pub fn bind(&mut self, index: usize, v: impl Into<Value>) -> Result<()> {
        self.vm.bind(index, v.into())
    }

    /// Binds positional values to parameters 1..=n. Too many values is an error, as in SQLite.
    pub fn bind_all(&mut self, params: &[Value]) -> Result<()> {
        if params.len() > self.parameter_count() {
            return Err(Error::Range);
        }
        for (i, v) in params.iter().enumerate() {
            self.vm.bind(i + 1, v.clone())?;
        }
        Ok(())
    }

    pub fn clear_bindings(&mut self) {
        self.vm.clear_bindings();
    }

    /// One step of the VM without blocking on I/O.
    pub fn step_async(&mut self) -> Result<StepResult> {
        let conn = self.conn.clone();
        let mut db = conn.lock();
        let _digits = crate::value::FpDigitsGuard::set(db.fp_digits);
        let _registry = RegistryGuard::enter(&db.registry);
        // Bounded: a schema change makes us recompile at most a few times in a row.
        for _ in 0..8 {
            match self.vm.step(&mut db) {
                Err(Error::SchemaChanged) => {
                    db.interrupted.store(false, std::sync::atomic::Ordering::Relaxed);
                    let program = self.vm.program().clone();
                    let Some(parsed) = crate::parser::parse_script(&program.sql).next().transpose()? else {
                        return Err(Error::SchemaChanged);
                    };
                    let fresh = translate::compile(&db.schema, &parsed.stmt, &program.sql[parsed.span])?;
                    // The bindings carry over to the recompiled program.
                    let mut vm = Vm::new(Arc::new(fresh));
                    for (i, v) in self.vm.params().iter().enumerate().take(vm.parameter_count()) {
                        vm.bind(i + 1, v.clone())?;
                    }
                    self.vm = vm;
                }
                other => return other,
            }
        }
        Err(Error::SchemaChanged)
    }

    /// One step, driving I/O until a row or the end.
    pub fn step(&mut self) -> Result<StepResult> {
        // Bounded by io::wait's bound per read; each Io result means a read completed.
        loop {
            match self.step_async()? {
                StepResult::Io => self.conn.run_io()?,
                other => return Ok(other),
            }
        }
    }

    /// The current row's values (after `step` returned `Row`).
    pub fn row(&self) -> &[Value] {
        self.vm.row()
    }

    /// Rewinds the statement so it can run again (bindings kept).
    pub fn reset(&mut self) {
        let conn = self.conn.clone();
        let mut db = conn.lock();
        self.vm.reset(&mut db);
    }

    /// Runs the statement with `params` and collects every row.
    pub fn query_all(&mut self, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        self.reset();
        self.bind_all(params)?;
        let mut rows = Vec::new();
        while self.step()? == StepResult::Row {
            rows.push(self.row().to_vec());
        }
        Ok(rows)
    }

    /// Runs the statement with `params` to completion; returns the rows it changed.
    pub fn execute(&mut self, params: &[Value]) -> Result<usize> {
        self.reset();
        self.bind_all(params)?;
        while self.step()? == StepResult::Row {}
        Ok(self.vm.changes() as usize)
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        if self.vm.is_running() {
            let conn = self.conn.clone();
            let mut db = conn.lock();
            self.vm.reset(&mut db);
        }
    }
}

/// A row borrowed from a statement.
pub struct Row<'a> {
    values: &'a [Value],
    names: &'a [String],
}

impl<'a> Row<'a> {
    pub fn get(&self, i: usize) -> Result<&'a Value> {
        self.values.get(i).ok_or(Error::Range)
    }

    pub fn values(&self) -> &'a [Value] {
        self.values
    }

    pub fn column_names(&self) -> &'a [String] {
        self.names
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Integer(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Integer(v as i64)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::text(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(Arc::from(v.as_str()))
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::blob(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(Arc::from(v))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// Builds a `&[Value]` from mixed Rust values: `params![1, "a", 2.5]`.
#[macro_export]
macro_rules! params {
    () => { &[] as &[$crate::Value] };
    ($($v:expr),+ $(,)?) => { &[$($crate::Value::from($v)),+] as &[$crate::Value] };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An endless query, stopped only by an interrupt (it jumps backwards on every row).
    const ENDLESS: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c";

    #[test]
    fn interrupt_stops_the_running_statement_only() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(a); INSERT INTO t VALUES (1), (2), (3);").unwrap();
        let handle = conn.interrupt_handle();
        handle.store(true, std::sync::atomic::Ordering::Relaxed);
        // Set before the statement starts: cleared as it starts, as in SQLite.
        assert_eq!(
            conn.query_row("SELECT count(*) FROM t", &[], |r| Ok(r.get(0)?.clone())).unwrap(),
            Value::Integer(3)
        );

        let mut stmt = conn.prepare(ENDLESS).unwrap();
        let flag = handle.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let err = stmt.step().unwrap_err();
        stopper.join().unwrap();
        assert!(matches!(err, Error::Interrupt), "{err:?}");
        assert_eq!((err.to_string(), err.code() as i32), ("interrupted".to_string(), 9));
        drop(stmt);

        // The flag stays set after the interrupted statement; the next one still runs (with and
        // without a table, since only statements that open a b-tree count as active).
        assert!(handle.load(std::sync::atomic::Ordering::Relaxed));
        let rows = conn.prepare("SELECT a FROM t ORDER BY a DESC").unwrap().query_all(&[]).unwrap();
        assert_eq!(rows, vec![vec![Value::Integer(3)], vec![Value::Integer(2)], vec![Value::Integer(1)]]);
        handle.store(true, std::sync::atomic::Ordering::Relaxed);
        let rows = conn
            .prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100) SELECT sum(x) FROM c")
            .unwrap()
            .query_all(&[])
            .unwrap();
        assert_eq!(rows, vec![vec![Value::Integer(5050)]]);
    }

    /// A window computed in one instruction still stops when interrupted: this one would
    /// step a billion rows (a frame with EXCLUDE is summed afresh for each of 50,000 rows).
    #[test]
    fn interrupt_stops_a_long_window_computation() {
        let conn = Connection::open_in_memory().unwrap();
        let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000)
            SELECT sum(x) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) FROM c";
        let mut stmt = conn.prepare(sql).unwrap();
        let flag = conn.interrupt_handle();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let err = stmt.step().unwrap_err();
        stopper.join().unwrap();
        assert!(matches!(err, Error::Interrupt), "{err:?}");
    }
}
