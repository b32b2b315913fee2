//! `brisk._brisk`: the native half of the `brisk` Python package, a drop-in for the standard
//! `sqlite3` module. It owns what touches the engine: opening a connection, preparing,
//! binding, stepping, turning rows into Python objects, and turning engine errors into the
//! DB-API exception classes with CPython's mapping; and, in [`cursor`], the per-call paths of
//! the cursor (execute, executemany, fetching) with the connection's statement cache, so that
//! one call costs about what CPython's C cursor costs. The rest of the DB-API surface
//! (Connection, the rest of Cursor, Row, transactions, adapters and converters, iterdump) is
//! Python in `python/brisk/`, as CPython's own `Lib/sqlite3` keeps its pure-Python parts.
//!
//! Architecture invariants:
//! - The GIL is released (`Python::detach`) whenever the engine may do real work: open,
//!   prepare, step, scripts, serialize. Engine locks are only ever taken inside those closures
//!   or without waiting on the GIL, so a thread holding an engine lock never waits for the GIL
//!   and the two cannot deadlock.
//! - User callbacks (functions, aggregates, collations, the progress handler) run inside a
//!   step, with the engine connection locked and the GIL released; each re-acquires the GIL
//!   (`Python::attach`) and marks its thread as inside a callback of that connection
//!   ([`CallbackScope`]). Any use of the same connection from there raises ProgrammingError
//!   instead of waiting forever on the lock its own step holds (CPython allows it; the engine
//!   does not).
//! - A `NativeStatement` is used by one cursor at a time (the statement cache,
//!   `NativeConnection::statement`, hands out idle statements only); its mutex only guards
//!   against misuse from two threads of a `check_same_thread=False` connection.

mod cursor;

use std::cell::RefCell;
use std::cmp::Ordering as CmpOrdering;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use brisk::{Aggregate, Database, OpenOptions, StepResult, Value};
use pyo3::create_exception;
use pyo3::exceptions::{PyAttributeError, PyException, PyMemoryError, PyOverflowError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyFloat, PyInt, PyString, PyTuple};

create_exception!(brisk, Warning, PyException, "Warnings about the database interface.");
create_exception!(brisk, Error, PyException, "The base class of the other exceptions in this module.");
create_exception!(brisk, InterfaceError, Error, "An error in the database interface rather than the database.");
create_exception!(brisk, DatabaseError, Error, "An error related to the database.");
create_exception!(brisk, DataError, DatabaseError, "A problem with the processed data (a value too large).");
create_exception!(brisk, OperationalError, DatabaseError, "An error in the database's operation.");
create_exception!(brisk, IntegrityError, DatabaseError, "A constraint failed.");
create_exception!(brisk, InternalError, DatabaseError, "The database met an internal error.");
create_exception!(brisk, ProgrammingError, DatabaseError, "The API or SQL was used wrongly.");
create_exception!(brisk, NotSupportedError, DatabaseError, "A method or API the database does not support.");

/// Raises `message` as the exception class CPython's `_pysqlite_seterror` picks for the
/// extended result code `code`, with `sqlite_errorcode` and `sqlite_errorname` set.
fn raise_code(py: Python<'_>, code: i32, message: String) -> PyErr {
    // CPython's get_exception_class, keyed on the primary code.
    let err = match code & 0xff {
        7 => return PyMemoryError::new_err(()),
        2 | 12 => InternalError::new_err(message),
        1 | 3 | 4 | 5 | 6 | 8 | 9 | 10 | 13 | 14 | 15 | 16 | 17 => OperationalError::new_err(message),
        11 => DatabaseError::new_err(message),
        18 => DataError::new_err(message),
        19 | 20 => IntegrityError::new_err(message),
        21 | 25 => InterfaceError::new_err(message),
        _ => DatabaseError::new_err(message),
    };
    let value = err.value(py);
    let name = brisk::result_code_name(code).unwrap_or("unknown error code");
    // Setting attributes on a fresh exception instance cannot fail short of memory exhaustion;
    // the exception is still worth raising without them.
    let _ = value.setattr("sqlite_errorcode", code);
    let _ = value.setattr("sqlite_errorname", name);
    err
}

fn raise(py: Python<'_>, e: brisk::Error) -> PyErr {
    raise_code(py, e.extended_code(), e.to_string())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `sqlite3.enable_callback_tracebacks`: whether an exception in a user callback is printed
/// (through `sys.unraisablehook`, as CPython's `print_or_clear_traceback` does) before it
/// becomes the statement's error. Module-wide, as in CPython.
static CALLBACK_TRACEBACKS: AtomicBool = AtomicBool::new(false);

/// What the callbacks of one connection share with it.
#[derive(Default)]
struct Shared {
    /// The exception a collation raised during the current step. CPython leaves it set: later
    /// comparisons in the same step return "equal" without calling the collation, and the
    /// exception is raised when the step returns; this slot is that "set" state.
    pending: Mutex<Option<PyErr>>,
}

impl Shared {
    /// The identity [`CallbackScope`] records: the address of the connection's `Shared`.
    fn id(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    /// The exception a collation left during the last step, taken.
    fn take_pending(&self) -> Option<PyErr> {
        lock(&self.pending).take()
    }
}

thread_local! {
    /// The connections (by [`Shared::id`]) whose callbacks this thread is running, innermost
    /// last: a callback may run a statement on another connection, whose callbacks nest.
    static IN_CALLBACK: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks this thread as running a callback of connection `id` while it lives.
struct CallbackScope;

impl CallbackScope {
    fn enter(id: usize) -> CallbackScope {
        IN_CALLBACK.with(|c| c.borrow_mut().push(id));
        CallbackScope
    }
}

impl Drop for CallbackScope {
    fn drop(&mut self) {
        IN_CALLBACK.with(|c| c.borrow_mut().pop());
    }
}

/// Runs `f` with the GIL, as a callback of connection `id`.
fn callback<R>(id: usize, f: impl FnOnce(Python<'_>) -> R) -> R {
    Python::attach(|py| {
        let _scope = CallbackScope::enter(id);
        f(py)
    })
}

/// ProgrammingError when this thread is inside a callback of connection `id`: the engine
/// connection is locked by the step that called it, so waiting for it would never end.
fn check_not_in_callback(id: usize) -> PyResult<()> {
    if IN_CALLBACK.with(|c| c.borrow().contains(&id)) {
        return Err(ProgrammingError::new_err(
            "brisk cannot use a connection from inside one of its own user-defined functions, \
             aggregates, collations or progress handler",
        ));
    }
    Ok(())
}

/// The engine error for exception `err` raised in a user callback, as CPython's
/// `set_sqlite_error` makes it: MemoryError is SQLITE_NOMEM, OverflowError SQLITE_TOOBIG, and
/// anything else `message` (SQLITE_ERROR). The exception is printed when tracebacks are enabled
/// and dropped otherwise.
fn callback_error(py: Python<'_>, err: PyErr, message: &str, callable: &Bound<'_, PyAny>) -> brisk::Error {
    let e = if err.is_instance_of::<PyMemoryError>(py) {
        brisk::Error::NoMem
    } else if err.is_instance_of::<PyOverflowError>(py) {
        brisk::Error::TooBig
    } else {
        brisk::Error::sql(message)
    };
    if CALLBACK_TRACEBACKS.load(Ordering::Relaxed) {
        err.write_unraisable(py, Some(callable));
    }
    e
}

/// A user function's arguments as CPython's `_pysqlite_build_py_params` gives them: TEXT is
/// always str (the text factory does not apply), BLOB bytes.
fn py_args<'py>(py: Python<'py>, args: &[Value]) -> PyResult<Bound<'py, PyTuple>> {
    let items = args.iter().map(|v| to_python(py, v.clone(), None)).collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// A user function's (or aggregate's `finalize`) result as an engine value, as CPython's
/// `_pysqlite_set_result` takes it: what a parameter may be.
fn result_value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    engine_value(v)?.ok_or_else(|| {
        let name = v.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        ProgrammingError::new_err(format!("User-defined functions cannot return '{name}' values to SQLite"))
    })
}

/// A Python aggregate's state for one group. The instance is made on the first step, as
/// CPython makes it, so a group with no rows gives NULL without calling the class or finalize.
struct PyAggregate {
    class: Arc<Py<PyAny>>,
    instance: Option<Py<PyAny>>,
    conn_id: usize,
}

impl PyAggregate {
    /// The group's instance, made on first use.
    fn instance<'py>(&mut self, py: Python<'py>) -> brisk::Result<Bound<'py, PyAny>> {
        if let Some(i) = &self.instance {
            return Ok(i.bind(py).clone());
        }
        let class = self.class.bind(py);
        let i = class
            .call0()
            .map_err(|e| callback_error(py, e, "user-defined aggregate's '__init__' method raised error", class))?;
        self.instance = Some(i.clone().unbind());
        Ok(i)
    }

    /// Calls `step` or `inverse` (`method`) with a row's arguments, as CPython's step and
    /// inverse callbacks do.
    fn call_with_row(&mut self, method: &str, args: &[Value]) -> brisk::Result<()> {
        callback(self.conn_id, |py| {
            let instance = self.instance(py)?;
            let class = self.class.bind(py);
            let m = instance.getattr(method).map_err(|e| {
                callback_error(py, e, &format!("user-defined aggregate's '{method}' method not defined"), class)
            })?;
            py_args(py, args).and_then(|a| m.call1(a)).map_err(|e| {
                callback_error(py, e, &format!("user-defined aggregate's '{method}' method raised error"), class)
            })?;
            Ok(())
        })
    }
}

impl Aggregate for PyAggregate {
    fn step(&mut self, args: &[Value]) -> brisk::Result<()> {
        self.call_with_row("step", args)
    }

    fn inverse(&mut self, args: &[Value]) -> brisk::Result<()> {
        self.call_with_row("inverse", args)
    }

    fn value(&mut self) -> brisk::Result<Value> {
        callback(self.conn_id, |py| {
            let instance = self.instance(py)?;
            let class = self.class.bind(py);
            instance.call_method0("value").and_then(|r| result_value(&r)).map_err(|e| {
                let message = if e.is_instance_of::<PyAttributeError>(py) {
                    "user-defined aggregate's 'value' method not defined"
                } else {
                    "user-defined aggregate's 'value' method raised error"
                };
                callback_error(py, e, message, class)
            })
        })
    }

    fn finalize(&mut self) -> brisk::Result<Value> {
        let Some(instance) = self.instance.take() else { return Ok(Value::Null) };
        callback(self.conn_id, |py| {
            let class = self.class.bind(py);
            instance.bind(py).call_method0("finalize").and_then(|r| result_value(&r)).map_err(|e| {
                // CPython names an AttributeError from anywhere in finalize "not defined".
                let message = if e.is_instance_of::<PyAttributeError>(py) {
                    "user-defined aggregate's 'finalize' method not defined"
                } else {
                    "user-defined aggregate's 'finalize' method raised error"
                };
                callback_error(py, e, message, class)
            })
        })
    }
}

/// A collation's result as CPython's `collation_callback` reads it (PyLong_AsLongAndOverflow):
/// the sign of an int (or of an object with `__index__`), the sign of the overflow for an int
/// beyond C long, and "equal" for anything else.
fn collation_order(r: &Bound<'_, PyAny>) -> CmpOrdering {
    let mut overflow: std::os::raw::c_int = 0;
    // SAFETY: `r` is a live object and the GIL is held; the call reads it and at most sets
    // (and here clears) the thread's error indicator.
    let value = unsafe { pyo3::ffi::PyLong_AsLongAndOverflow(r.as_ptr(), &mut overflow) };
    if value == -1 && PyErr::take(r.py()).is_some() {
        return CmpOrdering::Equal;
    }
    let sign = if overflow != 0 { overflow as std::os::raw::c_long } else { value };
    sign.cmp(&0)
}

/// One engine connection. Closing drops the engine connection; the Python layer checks
/// `closed` first and raises ProgrammingError, so the `None` case here is a backstop.
#[pyclass(module = "brisk._brisk", frozen)]
struct NativeConnection {
    conn: Mutex<Option<brisk::Connection>>,
    /// Set from any thread by `interrupt` without locking the connection, which a statement
    /// running in another thread holds.
    interrupt: Arc<AtomicBool>,
    /// How long a statement that finds the database locked keeps retrying (`timeout`).
    busy_timeout: Duration,
    shared: Arc<Shared>,
    /// Set by `close`; read without the `conn` lock by every cursor operation.
    closed: AtomicBool,
    /// The thread that opened the connection (`threading.get_ident()`), and whether other
    /// threads are refused (`check_same_thread`).
    thread_ident: u64,
    check_same_thread: bool,
    /// `detect_types` is non-zero, and has PARSE_COLNAMES.
    detect_types: bool,
    parse_colnames: bool,
    /// The statement cache (`cached_statements`), keyed by SQL text.
    cache: Mutex<StatementCache>,
    /// Serializes the legacy implicit BEGIN between threads sharing the connection, so that it
    /// is issued once. Taken only with the GIL released.
    begin_lock: Mutex<()>,
}

/// The connection's prepared statements by SQL text, least recently used evicted first.
/// Only touched with the GIL held and without running Python code while locked.
struct StatementCache {
    capacity: usize,
    /// Bumped on every lookup; an entry's tick says when it was last used.
    clock: u64,
    entries: HashMap<Box<str>, (Py<NativeStatement>, u64)>,
}

impl NativeConnection {
    fn get(&self) -> PyResult<brisk::Connection> {
        check_not_in_callback(self.shared.id())?;
        lock(&self.conn).clone().ok_or_else(|| ProgrammingError::new_err("Cannot operate on a closed database."))
    }

    /// The checks every cursor operation starts with, in CPython's order: the thread, then an
    /// open connection (pysqlite_check_thread, pysqlite_check_connection).
    fn check(&self) -> PyResult<()> {
        if self.check_same_thread {
            // SAFETY: PyThread_get_thread_ident only reads the calling thread's identity.
            let current = unsafe { pyo3::ffi::PyThread_get_thread_ident() } as u64;
            if current != self.thread_ident {
                return Err(ProgrammingError::new_err(format!(
                    "SQLite objects created in a thread can only be used in that same thread. \
                     The object was created in thread id {} and this is thread id {current}.",
                    self.thread_ident
                )));
            }
        }
        if self.closed.load(Ordering::Relaxed) {
            return Err(ProgrammingError::new_err("Cannot operate on a closed database."));
        }
        Ok(())
    }

    fn new_statement(&self, stmt: brisk::Statement, sql: &str) -> NativeStatement {
        NativeStatement {
            stmt: Mutex::new(stmt),
            fresh: AtomicBool::new(true),
            dirty: AtomicBool::new(false),
            in_use: AtomicBool::new(false),
            is_dml: is_dml(sql),
            busy_timeout: self.busy_timeout,
            shared: self.shared.clone(),
        }
    }

    /// A prepared statement for `sql`, marked in use: the cached one when it is idle, else a
    /// new one (cached when `sql` is not). None when `sql` holds no statement. Taking a cached
    /// statement is atomic, so threads sharing the connection never share a statement.
    fn statement(&self, py: Python<'_>, sql: &str) -> PyResult<Option<Py<NativeStatement>>> {
        let cached = {
            let mut cache = lock(&self.cache);
            cache.clock += 1;
            let now = cache.clock;
            match cache.entries.get_mut(sql) {
                Some((stmt, tick)) => {
                    *tick = now;
                    Some(stmt.clone_ref(py))
                }
                None => None,
            }
        };
        if let Some(stmt) = &cached {
            if !stmt.get().in_use.swap(true, Ordering::Acquire) {
                return Ok(cached);
            }
        }
        if sql.contains('\0') {
            return Err(ProgrammingError::new_err("the query contains a null character"));
        }
        let conn = self.get()?;
        let prepared = py.detach(|| conn.prepare_first(sql)).map_err(|e| raise(py, e))?;
        let Some((stmt, tail)) = prepared else { return Ok(None) };
        if has_remaining_sql(&sql[tail..]) {
            return Err(ProgrammingError::new_err("You can only execute one statement at a time."));
        }
        let stmt = self.new_statement(stmt, sql);
        stmt.in_use.store(true, Ordering::Relaxed);
        let stmt = Py::new(py, stmt)?;
        if cached.is_none() {
            let evicted = {
                let mut cache = lock(&self.cache);
                let mut evicted = None;
                if cache.capacity > 0 && !cache.entries.contains_key(sql) {
                    let now = cache.clock;
                    cache.entries.insert(sql.into(), (stmt.clone_ref(py), now));
                    if cache.entries.len() > cache.capacity {
                        let oldest = cache.entries.iter().min_by_key(|(_, (_, tick))| *tick).map(|(k, _)| k.clone());
                        evicted = oldest.and_then(|k| cache.entries.remove(&k));
                    }
                }
                evicted
            };
            // Dropped outside the lock: freeing a statement may run other code.
            drop(evicted);
        }
        Ok(Some(stmt))
    }

    /// The legacy implicit BEGIN: `BEGIN <level>` unless a transaction is open, once between
    /// threads sharing the connection.
    fn begin_if_needed(&self, py: Python<'_>, level: &str) -> PyResult<()> {
        let conn = self.get()?;
        let sql = format!("BEGIN {level}");
        let result = py.detach(|| {
            let _guard = lock(&self.begin_lock);
            if !conn.is_autocommit() {
                return Ok(());
            }
            let Some((mut stmt, _)) = conn.prepare_first(&sql)? else { return Ok(()) };
            let fresh = AtomicBool::new(true);
            while step_retrying(&mut stmt, &fresh, self.busy_timeout)?.is_some() {}
            Ok(())
        });
        result.map_err(|e| raise(py, e))
    }
}

/// The offset of the first byte of `sql` that is not a blank or inside a comment, or `None`
/// when there is none (an unterminated comment runs to the end), as CPython's `lstrip_sql` and
/// `pysqlite_check_remaining_sql` skip them.
fn first_token(sql: &str) -> Option<usize> {
    let bytes = sql.as_bytes();
    let mut i = 0;
    // Each iteration consumes at least one byte or returns.
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => i += 2 + sql[i + 2..].find('\n')? + 1,
            b'/' if bytes.get(i + 1) == Some(&b'*') => i += 2 + sql[i + 2..].find("*/")? + 2,
            _ => return Some(i),
        }
    }
    None
}

/// CPython's `is_dml` test: the first keyword after blanks and comments, compared
/// case-insensitively by prefix (statement.c, lstrip_sql).
fn is_dml(sql: &str) -> bool {
    let Some(start) = first_token(sql) else { return false };
    let rest = &sql.as_bytes()[start..];
    ["insert", "update", "delete", "replace"]
        .iter()
        .any(|kw| rest.len() >= kw.len() && rest[..kw.len()].eq_ignore_ascii_case(kw.as_bytes()))
}

#[pymethods]
impl NativeConnection {
    /// Opens `path` (`:memory:` or "" for a private in-memory database); `read_only` and
    /// `create` are SQLITE_OPEN_READONLY and SQLITE_OPEN_CREATE; a statement that finds the
    /// database locked retries for `timeout_s` seconds (sqlite3_busy_timeout).
    ///
    /// The rest is what the native cursor needs: the opening thread and `check_same_thread`,
    /// whether `detect_types` is set and has PARSE_COLNAMES, and the statement cache's size.
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (path, read_only, create, timeout_s, thread_ident=0, check_same_thread=false, detect_types=false, parse_colnames=false, cached_statements=0))]
    fn new(
        py: Python<'_>,
        path: String,
        read_only: bool,
        create: bool,
        timeout_s: f64,
        thread_ident: u64,
        check_same_thread: bool,
        detect_types: bool,
        parse_colnames: bool,
        cached_statements: usize,
    ) -> PyResult<Self> {
        let options = OpenOptions { read_only, create, ..OpenOptions::default() };
        let conn =
            py.detach(|| Database::open_with(&path, options).and_then(|db| db.connect())).map_err(|e| raise(py, e))?;
        let interrupt = conn.interrupt_handle();
        let busy_timeout = Duration::try_from_secs_f64(timeout_s.max(0.0)).unwrap_or(Duration::MAX);
        Ok(NativeConnection {
            conn: Mutex::new(Some(conn)),
            interrupt,
            busy_timeout,
            shared: Arc::default(),
            closed: AtomicBool::new(false),
            thread_ident,
            check_same_thread,
            detect_types,
            parse_colnames,
            cache: Mutex::new(StatementCache { capacity: cached_statements, clock: 0, entries: HashMap::new() }),
            begin_lock: Mutex::new(()),
        })
    }

    /// Compiles the first statement of `sql`. Returns the statement (None when `sql` holds only
    /// whitespace and comments) and whether anything but whitespace and comments follows it.
    fn prepare(&self, py: Python<'_>, sql: &str) -> PyResult<(Option<NativeStatement>, bool)> {
        let conn = self.get()?;
        let prepared = py.detach(|| conn.prepare_first(sql)).map_err(|e| raise(py, e))?;
        Ok(match prepared {
            None => (None, false),
            Some((stmt, tail)) => {
                let more = has_remaining_sql(&sql[tail..]);
                (Some(self.new_statement(stmt, sql)), more)
            }
        })
    }

    /// Runs every statement of `sql`, discarding rows (sqlite3_exec without a callback).
    fn execute_script(&self, py: Python<'_>, sql: &str) -> PyResult<()> {
        let conn = self.get()?;
        let result = py.detach(|| conn.execute_batch(sql));
        if let Some(e) = self.shared.take_pending() {
            return Err(e);
        }
        result.map_err(|e| raise(py, e))
    }

    fn changes(&self, py: Python<'_>) -> PyResult<i64> {
        let conn = self.get()?;
        Ok(py.detach(|| conn.changes()))
    }

    fn total_changes(&self, py: Python<'_>) -> PyResult<i64> {
        let conn = self.get()?;
        Ok(py.detach(|| conn.total_changes()))
    }

    fn last_insert_rowid(&self, py: Python<'_>) -> PyResult<i64> {
        let conn = self.get()?;
        Ok(py.detach(|| conn.last_insert_rowid()))
    }

    /// True when a transaction is open (`!sqlite3_get_autocommit`).
    fn in_transaction(&self, py: Python<'_>) -> PyResult<bool> {
        let conn = self.get()?;
        Ok(!py.detach(|| conn.is_autocommit()))
    }

    /// Makes the statement running on this connection, in any thread, fail with SQLITE_INTERRUPT.
    fn interrupt(&self) {
        self.interrupt.store(true, Ordering::Relaxed);
    }

    /// The database image (sqlite3_serialize of "main").
    fn serialize<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let conn = self.get()?;
        let image = py.detach(|| conn.serialize()).map_err(|e| raise(py, e))?;
        Ok(PyBytes::new(py, &image))
    }

    /// Replaces the database with an in-memory copy of `data` (sqlite3_deserialize of "main").
    fn deserialize(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        let conn = self.get()?;
        py.detach(|| conn.deserialize(data)).map_err(|e| raise(py, e))
    }

    /// Makes `target` an in-memory page copy of this database.
    fn backup_to(&self, py: Python<'_>, target: &NativeConnection) -> PyResult<()> {
        let conn = self.get()?;
        let target = target.get()?;
        py.detach(|| conn.backup_to(&target)).map_err(|e| raise(py, e))
    }

    /// Registers scalar function `name` calling `func` (sqlite3_create_function_v2 with
    /// CPython's `func_callback`). Returns False when the engine refuses the name or argument
    /// count, for the Python layer's "Error creating function".
    fn create_function(
        &self,
        py: Python<'_>,
        name: &str,
        n_args: i32,
        func: Py<PyAny>,
        deterministic: bool,
    ) -> PyResult<bool> {
        let conn = self.get()?;
        let id = self.shared.id();
        let body = move |args: &[Value]| {
            callback(id, |py| {
                let func = func.bind(py);
                py_args(py, args)
                    .and_then(|a| func.call1(a))
                    .and_then(|r| result_value(&r))
                    .map_err(|e| callback_error(py, e, "user-defined function raised exception", func))
            })
        };
        Ok(py.detach(|| conn.create_function(name, n_args, deterministic, body)).is_ok())
    }

    /// Registers aggregate `name`, an instance of `class` per group. Returns False when the
    /// engine refuses the name or argument count.
    fn create_aggregate(&self, py: Python<'_>, name: &str, n_args: i32, class: Py<PyAny>) -> PyResult<bool> {
        let conn = self.get()?;
        let id = self.shared.id();
        let class = Arc::new(class);
        let factory = move || -> Box<dyn Aggregate> {
            Box::new(PyAggregate { class: class.clone(), instance: None, conn_id: id })
        };
        Ok(py.detach(|| conn.create_aggregate(name, n_args, factory)).is_ok())
    }

    /// Registers aggregate window function `name`, an instance of `class` per partition (or
    /// group), or removes it when `class` is None. Returns False when the engine refuses the
    /// name or argument count.
    fn create_window_function(
        &self,
        py: Python<'_>,
        name: &str,
        n_args: i32,
        class: Option<Py<PyAny>>,
    ) -> PyResult<bool> {
        let conn = self.get()?;
        let Some(class) = class else { return Ok(py.detach(|| conn.remove_function(name, n_args)).is_ok()) };
        let id = self.shared.id();
        let class = Arc::new(class);
        let factory = move || -> Box<dyn Aggregate> {
            Box::new(PyAggregate { class: class.clone(), instance: None, conn_id: id })
        };
        Ok(py.detach(|| conn.create_window_function(name, n_args, factory)).is_ok())
    }

    /// Registers collation `name` calling `func(a, b)`, or removes it when `func` is None.
    fn create_collation(&self, py: Python<'_>, name: &str, func: Option<Py<PyAny>>) -> PyResult<()> {
        let conn = self.get()?;
        let result = match func {
            None => py.detach(|| conn.remove_collation(name)),
            Some(func) => {
                let shared = self.shared.clone();
                let compare = move |a: &str, b: &str| {
                    callback(shared.id(), |py| {
                        if lock(&shared.pending).is_some() {
                            return CmpOrdering::Equal;
                        }
                        match func.bind(py).call1((a, b)) {
                            Ok(r) => collation_order(&r),
                            Err(e) => {
                                *lock(&shared.pending) = Some(e);
                                CmpOrdering::Equal
                            }
                        }
                    })
                };
                py.detach(|| conn.create_collation(name, compare))
            }
        };
        result.map_err(|e| raise(py, e))
    }

    /// Sets (or, with None, removes) the progress handler, called about every `n` VM
    /// instructions; a true result, or an exception, interrupts the statement.
    fn set_progress_handler(&self, py: Python<'_>, handler: Option<Py<PyAny>>, n: i32) -> PyResult<()> {
        let conn = self.get()?;
        let id = self.shared.id();
        let handler = handler.map(|h| {
            move || {
                callback(id, |py| {
                    let h = h.bind(py);
                    match h.call0().and_then(|r| r.is_truthy()) {
                        Ok(abort) => abort,
                        Err(e) => {
                            if CALLBACK_TRACEBACKS.load(Ordering::Relaxed) {
                                e.write_unraisable(py, Some(h));
                            }
                            true
                        }
                    }
                })
            }
        });
        py.detach(|| conn.set_progress_handler(n, handler));
        Ok(())
    }

    /// Resets the cached statements that cursors still hold and empties the cache.
    fn clear_cache(&self, py: Python<'_>) {
        let entries: Vec<_> = lock(&self.cache).entries.drain().map(|(_, (stmt, _))| stmt).collect();
        for stmt in &entries {
            stmt.get().release(py);
        }
        drop(entries);
    }

    /// Drops the engine connection; an open transaction is rolled back as its pager goes away.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        check_not_in_callback(self.shared.id())?;
        self.closed.store(true, Ordering::Relaxed);
        let conn = lock(&self.conn).take();
        py.detach(move || drop(conn));
        Ok(())
    }
}

/// A compiled statement. Rows come back as tuples of None, int, float, str (or the text
/// factory's result) and bytes; columns with a converter give the converter's result.
#[pyclass(module = "brisk._brisk", frozen)]
struct NativeStatement {
    stmt: Mutex<brisk::Statement>,
    /// True until the statement has stepped successfully since its last reset: only then may a
    /// step that found the database locked be retried, since it has done nothing yet.
    fresh: AtomicBool,
    /// True once it has stepped since its last reset: only then does a reset have work to do
    /// (a running statement holds its read or write state until reset).
    dirty: AtomicBool,
    /// Handed to a cursor (the statement cache gives out idle statements only).
    in_use: AtomicBool,
    /// INSERT, UPDATE, DELETE or REPLACE: counts changes, and may need the implicit BEGIN.
    is_dml: bool,
    busy_timeout: Duration,
    shared: Arc<Shared>,
}

/// The pauses between retries of a locked statement, as SQLite's default busy handler takes
/// them (sqliteDefaultBusyCallback), in milliseconds; the last repeats.
const BUSY_DELAYS_MS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

/// One step of `stmt`; while `fresh`, a step that finds the database locked is reset and
/// retried until `busy_timeout` has passed. Called with the GIL released.
fn step_retrying(
    stmt: &mut brisk::Statement,
    fresh: &AtomicBool,
    busy_timeout: Duration,
) -> brisk::Result<Option<Vec<Value>>> {
    let start = Instant::now();
    // Bounded by the timeout: each retry sleeps at least a millisecond.
    for attempt in 0usize.. {
        match stmt.step() {
            Ok(StepResult::Row) => {
                fresh.store(false, Ordering::Relaxed);
                return Ok(Some(stmt.row().to_vec()));
            }
            Ok(_) => {
                fresh.store(false, Ordering::Relaxed);
                return Ok(None);
            }
            Err(brisk::Error::Busy) if fresh.load(Ordering::Relaxed) => {
                let delay = Duration::from_millis(BUSY_DELAYS_MS[attempt.min(BUSY_DELAYS_MS.len() - 1)]);
                let elapsed = start.elapsed();
                if elapsed >= busy_timeout {
                    return Err(brisk::Error::Busy);
                }
                stmt.reset();
                std::thread::sleep(delay.min(busy_timeout - elapsed));
            }
            Err(e) => return Err(e),
        }
    }
    unreachable!("the retry loop returns")
}

impl NativeStatement {
    /// One step with the statement locked; see [`step_retrying`]. Called with the GIL released.
    fn step_with_retry(&self) -> brisk::Result<Option<Vec<Value>>> {
        let mut stmt = lock(&self.stmt);
        self.step_locked(&mut stmt)
    }

    fn step_locked(&self, stmt: &mut brisk::Statement) -> brisk::Result<Option<Vec<Value>>> {
        self.dirty.store(true, Ordering::Relaxed);
        step_retrying(stmt, &self.fresh, self.busy_timeout)
    }

    /// Rewinds the locked statement when it has stepped since its last reset.
    fn reset_locked(&self, stmt: &mut brisk::Statement) {
        if self.dirty.swap(false, Ordering::Relaxed) {
            stmt.reset();
        }
        self.fresh.store(true, Ordering::Relaxed);
    }

    /// Gives the statement back (`_Statement.release`): rewound, then idle for the next cursor.
    fn release(&self, py: Python<'_>) {
        if self.in_use.load(Ordering::Relaxed) {
            if self.dirty.load(Ordering::Relaxed) {
                py.detach(|| self.reset_locked(&mut lock(&self.stmt)));
            }
            self.in_use.store(false, Ordering::Release);
        }
    }
}

#[pymethods]
impl NativeStatement {
    fn column_names(&self) -> Vec<String> {
        lock(&self.stmt).column_names().to_vec()
    }

    fn column_decltypes(&self) -> Vec<Option<String>> {
        let stmt = lock(&self.stmt);
        (0..stmt.column_count()).map(|i| stmt.column_decltype(i).map(str::to_string)).collect()
    }

    fn parameter_count(&self) -> usize {
        lock(&self.stmt).parameter_count()
    }

    /// Parameter names with their prefix (`:a`), None for `?` parameters; index 0 is parameter 1.
    fn parameter_names(&self) -> Vec<Option<String>> {
        let stmt = lock(&self.stmt);
        (1..=stmt.parameter_count()).map(|i| stmt.parameter_name(i).map(str::to_string)).collect()
    }

    fn is_read_only(&self) -> bool {
        lock(&self.stmt).is_read_only()
    }

    fn sql(&self) -> String {
        lock(&self.stmt).sql().to_string()
    }

    /// Binds `values` (already adapted) to parameters 1..=n, as CPython's
    /// `bind_parameters` does after its count checks.
    fn bind(&self, py: Python<'_>, values: Vec<Bound<'_, PyAny>>) -> PyResult<()> {
        check_not_in_callback(self.shared.id())?;
        let converted = values.iter().enumerate().map(|(i, v)| to_value(v, i + 1)).collect::<PyResult<Vec<_>>>()?;
        let mut stmt = lock(&self.stmt);
        stmt.clear_bindings();
        for (i, v) in converted.into_iter().enumerate() {
            stmt.bind(i + 1, v).map_err(|e| raise(py, e))?;
        }
        Ok(())
    }

    /// Steps once with the GIL released. Returns the row, or None when the statement is done.
    /// `text_factory` is None for str; `converters` has one entry per column (or is None).
    #[pyo3(signature = (text_factory=None, converters=None))]
    fn step<'py>(
        &self,
        py: Python<'py>,
        text_factory: Option<Bound<'py, PyAny>>,
        converters: Option<Vec<Option<Bound<'py, PyAny>>>>,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        check_not_in_callback(self.shared.id())?;
        let row = py.detach(|| self.step_with_retry());
        // An exception a collation raised is the step's outcome, as CPython raises it.
        if let Some(e) = self.shared.take_pending() {
            return Err(e);
        }
        let row = row.map_err(|e| raise(py, e))?;
        let Some(row) = row else { return Ok(None) };
        let mut items = Vec::with_capacity(row.len());
        for (i, value) in row.into_iter().enumerate() {
            let converter = converters.as_ref().and_then(|c| c.get(i)).and_then(|c| c.as_ref());
            items.push(match converter {
                Some(conv) => convert(py, conv, value)?,
                None => to_python(py, value, text_factory.as_ref())?,
            });
        }
        PyTuple::new(py, items).map(Some)
    }

    /// Rewinds the statement; its bindings are kept.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        check_not_in_callback(self.shared.id())?;
        py.detach(|| {
            lock(&self.stmt).reset();
            self.dirty.store(false, Ordering::Relaxed);
        });
        self.fresh.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// A parameter as an engine value, the way CPython's `bind_param` takes it.
fn to_value(v: &Bound<'_, PyAny>, index: usize) -> PyResult<Value> {
    engine_value(v)?.ok_or_else(|| unsupported(v, index))
}

/// A Python value as an engine value: exact types first, then subclasses of int, float and str,
/// then anything with the buffer protocol; `None` for any other type.
fn engine_value(v: &Bound<'_, PyAny>) -> PyResult<Option<Value>> {
    let value = if v.is_none() {
        Value::Null
    } else if v.is_instance_of::<PyInt>() {
        v.extract::<i64>()
            .map(Value::Integer)
            .map_err(|_| PyOverflowError::new_err("Python int too large to convert to SQLite INTEGER"))?
    } else if let Ok(f) = v.cast::<PyFloat>() {
        Value::Real(f.value())
    } else if let Ok(s) = v.cast::<PyString>() {
        Value::text(s.to_str()?)
    } else if let Ok(b) = v.cast::<PyBytes>() {
        Value::blob(b.as_bytes())
    } else if let Ok(b) = v.cast::<PyByteArray>() {
        Value::blob(&b.to_vec())
    } else if is_buffer(v) {
        // Any other buffer (memoryview, array.array): its bytes, as PyBUF_SIMPLE sees them.
        let bytes = v.py().get_type::<PyBytes>().call1((v,))?;
        Value::blob(bytes.cast::<PyBytes>()?.as_bytes())
    } else {
        return Ok(None);
    };
    Ok(Some(value))
}

fn is_buffer(v: &Bound<'_, PyAny>) -> bool {
    // SAFETY: PyObject_CheckBuffer only reads the type's buffer slot of a live object.
    unsafe { pyo3::ffi::PyObject_CheckBuffer(v.as_ptr()) == 1 }
}

fn unsupported(v: &Bound<'_, PyAny>, index: usize) -> PyErr {
    let name = v.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
    ProgrammingError::new_err(format!("Error binding parameter {index}: type '{name}' is not supported"))
}

fn to_python<'py>(
    py: Python<'py>,
    value: Value,
    text_factory: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        Value::Real(r) => PyFloat::new(py, r).into_any(),
        Value::Text(s) => match text_factory {
            None => PyString::new(py, &s).into_any(),
            Some(f) if f.is(py.get_type::<PyBytes>()) => PyBytes::new(py, s.as_bytes()).into_any(),
            Some(f) if f.is(py.get_type::<PyByteArray>()) => PyByteArray::new(py, s.as_bytes()).into_any(),
            Some(f) => f.call1((PyBytes::new(py, s.as_bytes()),))?,
        },
        Value::Blob(b) => PyBytes::new(py, &b).into_any(),
    })
}

/// A converter gets the value as bytes, as `sqlite3_column_blob` gives it (numbers as their
/// text); NULL stays None without calling it.
fn convert<'py>(py: Python<'py>, converter: &Bound<'py, PyAny>, value: Value) -> PyResult<Bound<'py, PyAny>> {
    let bytes = match value {
        Value::Null => return Ok(py.None().into_bound(py)),
        Value::Integer(i) => PyBytes::new(py, i.to_string().as_bytes()),
        Value::Real(r) => PyBytes::new(py, brisk::value::format_real(r).as_bytes()),
        Value::Text(s) => PyBytes::new(py, s.as_bytes()),
        Value::Blob(b) => PyBytes::new(py, &b),
    };
    converter.call1((bytes,))
}

/// True when `tail` holds more than whitespace and comments: CPython's
/// `pysqlite_check_remaining_sql`, which makes `execute` refuse a second statement.
fn has_remaining_sql(tail: &str) -> bool {
    first_token(tail).is_some()
}

/// `sqlite3.complete_statement`: whether `statement` ends with a complete SQL statement.
#[pyfunction]
fn complete_statement(statement: &str) -> bool {
    brisk::parser::is_complete(statement)
}

/// Raises the exception CPython would for extended result code `code` with `message`
/// (the Python layer's errors that come from the engine's codes, such as a failed BEGIN).
#[pyfunction]
fn error_for_code(py: Python<'_>, code: i32, message: String) -> PyErr {
    raise_code(py, code, message)
}

/// `sqlite3.enable_callback_tracebacks`.
#[pyfunction]
fn enable_callback_tracebacks(enable: bool) {
    CALLBACK_TRACEBACKS.store(enable, Ordering::Relaxed);
}

#[pymodule]
fn _brisk(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Warning", py.get_type::<Warning>())?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("InterfaceError", py.get_type::<InterfaceError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("OperationalError", py.get_type::<OperationalError>())?;
    m.add("IntegrityError", py.get_type::<IntegrityError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("ProgrammingError", py.get_type::<ProgrammingError>())?;
    m.add("NotSupportedError", py.get_type::<NotSupportedError>())?;
    m.add_class::<NativeConnection>()?;
    m.add_class::<NativeStatement>()?;
    // Named Cursor, as messages about its methods name it; exported as the base class.
    m.add("NativeCursor", py.get_type::<cursor::NativeCursor>())?;
    m.add_function(wrap_pyfunction!(cursor::set_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(cursor::set_base_type_adapted, m)?)?;
    m.add_function(wrap_pyfunction!(complete_statement, m)?)?;
    m.add_function(wrap_pyfunction!(error_for_code, m)?)?;
    m.add_function(wrap_pyfunction!(enable_callback_tracebacks, m)?)?;
    m.add("SQLITE_VERSION", brisk::functions::scalar::SQLITE_VERSION)?;
    m.add("BRISK_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::has_remaining_sql;

    #[test]
    fn remaining_sql_is_anything_but_whitespace_and_comments() {
        for (tail, more) in [
            ("", false),
            ("  \n\t", false),
            ("-- c", false),
            ("-- c\n  /* d */ ", false),
            ("/* open", false),
            ("select 2", true),
            ("-- c\nx", true),
            ("/* c */ ;", true),
            ("- x", true),
        ] {
            assert_eq!(has_remaining_sql(tail), more, "{tail:?}");
        }
    }
}
