//! `NativeCursor`: the per-call paths of `sqlite3.Cursor` (execute, executemany, fetchone,
//! fetchmany, fetchall, iteration), the base class of the Python `brisk.Cursor`. One call into
//! this module does what CPython's `_pysqlite_query_execute` and `pysqlite_cursor_iternext` do
//! per call (Modules/_sqlite/cursor.c): the cursor and connection checks, the statement-cache
//! lookup, parameter checks, adaptation and binding, the step, the description and the
//! rowcount/lastrowid bookkeeping, and building rows with the text factory and converters.
//! What is rare stays Python (`brisk/dbapi2.py`): `__init__`, `executescript`, the converter
//! map (`_converter_map`) and adaptation itself (`adapt`), which this module calls.
//!
//! Invariants:
//! - The cursor's state is borrowed only for short stretches that run no Python code: every
//!   callback (adapters, sequence and mapping access, converters, the text factory, the row
//!   factory, the parameter iterator) runs with no borrow held, so a callback may read the
//!   cursor's attributes; one that calls the cursor's methods finds `locked` set (during
//!   execute) and gets "Recursive use of cursors not allowed.", as in CPython.
//! - A step runs with the GIL released, as CPython's `pysqlite_step` runs sqlite3_step: the
//!   engine may wait on its connection lock (another thread using the connection) or on I/O.
//!   Reset, bind, step and the change counters of one execution share one release.
//! - The cursor holds at most one statement, marked in use; it is reset and handed back to the
//!   cache (`release`) when its rows run out, on the next execute, on close, on error and when
//!   the cursor is freed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use brisk::Value;
use pyo3::exceptions::{PyLookupError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyIterator, PyList, PyString, PyTuple};

use crate::{
    check_not_in_callback, convert, lock, raise, to_python, to_value, NativeConnection, NativeStatement,
    ProgrammingError,
};

/// Set once an adapter is registered for int, float, str or bytearray: from then on every
/// parameter goes through `adapt` (CPython's pysqlite_BaseTypeAdapted).
static BASE_TYPE_ADAPTED: AtomicBool = AtomicBool::new(false);

/// The Python layer's hooks: `adapt`, `PrepareProtocol` and `_converter_map`, set at import.
struct Hooks {
    adapt: Py<PyAny>,
    protocol: Py<PyAny>,
    converter_map: Py<PyAny>,
}

static HOOKS: OnceLock<Hooks> = OnceLock::new();

fn hooks() -> PyResult<&'static Hooks> {
    HOOKS.get().ok_or_else(|| ProgrammingError::new_err("brisk._brisk.set_hooks was not called"))
}

/// Registers the Python layer's `adapt(obj, proto, alt)`, `PrepareProtocol` and
/// `_converter_map(statement)`.
#[pyfunction]
pub(crate) fn set_hooks(adapt: Py<PyAny>, protocol: Py<PyAny>, converter_map: Py<PyAny>) {
    let _ = HOOKS.set(Hooks { adapt, protocol, converter_map });
}

/// Marks a base type (int, float, str, bytearray) as adapted.
#[pyfunction]
pub(crate) fn set_base_type_adapted() {
    BASE_TYPE_ADAPTED.store(true, Ordering::Relaxed);
}

fn recursive_use() -> PyErr {
    ProgrammingError::new_err("Recursive use of cursors not allowed.")
}

fn not_initialized() -> PyErr {
    ProgrammingError::new_err("Base Cursor.__init__ not called.")
}

/// `value` ready to bind: itself when it needs no adaptation (an exact int, float, str,
/// bytearray, None or bytes, and no base type adapted), else `adapt(value, PrepareProtocol,
/// value)`.
fn adapt_param<'py>(value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = value.py();
    if !BASE_TYPE_ADAPTED.load(Ordering::Relaxed)
        && (value.is_none()
            || value.is_exact_instance_of::<PyInt>()
            || value.is_exact_instance_of::<PyFloat>()
            || value.is_exact_instance_of::<PyString>()
            || value.is_exact_instance_of::<PyBytes>()
            || value.is_exact_instance_of::<PyByteArray>())
    {
        return Ok(value);
    }
    let hooks = hooks()?;
    hooks.adapt.bind(py).call1((&value, hooks.protocol.bind(py), &value))
}

fn unsupported_parameters() -> PyErr {
    ProgrammingError::new_err("parameters are of unsupported type")
}

/// The values to bind for `parameters`, with CPython's checks (`bind_parameters`): an exact
/// tuple or list, or any non-dict whose type has `__getitem__`, is a sequence whose length
/// must match; a dict (or subclass) supplies named parameters. Every value is adapted before
/// any is converted, as the Python layer did.
fn bind_values(stmt: &NativeStatement, parameters: &Bound<'_, PyAny>) -> PyResult<Vec<Value>> {
    let needed = lock(&stmt.stmt).parameter_count();
    let is_dict = parameters.is_instance_of::<PyDict>();
    let adapted: Vec<Bound<'_, PyAny>> = if let Ok(tuple) = parameters.cast_exact::<PyTuple>() {
        check_count(needed, tuple.len())?;
        tuple.iter().map(adapt_param).collect::<PyResult<_>>()?
    } else if let Ok(list) = parameters.cast_exact::<PyList>() {
        check_count(needed, list.len())?;
        // Indexed as the Python layer did, so a list changed by an adapter reads the same.
        (0..needed).map(|i| list.get_item(i).and_then(adapt_param)).collect::<PyResult<_>>()?
    } else if !is_dict && parameters.get_type().hasattr(intern!(parameters.py(), "__getitem__"))? {
        let supplied = match parameters.len() {
            Ok(n) => n,
            Err(e) if e.is_instance_of::<PyTypeError>(parameters.py()) => return Err(unsupported_parameters()),
            Err(e) => return Err(e),
        };
        check_count(needed, supplied)?;
        (0..supplied).map(|i| parameters.get_item(i).and_then(adapt_param)).collect::<PyResult<_>>()?
    } else if is_dict {
        let names: Vec<Option<String>> = {
            let s = lock(&stmt.stmt);
            (1..=needed).map(|i| s.parameter_name(i).map(str::to_string)).collect()
        };
        let mut values = Vec::with_capacity(needed);
        for (i, name) in names.into_iter().enumerate() {
            let Some(name) = name else {
                return Err(ProgrammingError::new_err(format!(
                    "Binding {} has no name, but you supplied a dictionary (which has only names).",
                    i + 1
                )));
            };
            let key = name.chars().next().map_or("", |c| &name[c.len_utf8()..]);
            let value = match parameters.get_item(key) {
                Ok(v) => v,
                Err(e) if e.is_instance_of::<PyLookupError>(parameters.py()) => {
                    return Err(ProgrammingError::new_err(format!(
                        "You did not supply a value for binding parameter :{key}."
                    )))
                }
                Err(e) => return Err(e),
            };
            values.push(adapt_param(value)?);
        }
        values
    } else {
        return Err(unsupported_parameters());
    };
    adapted.iter().enumerate().map(|(i, v)| to_value(v, i + 1)).collect()
}

fn check_count(needed: usize, supplied: usize) -> PyResult<()> {
    if supplied != needed {
        return Err(ProgrammingError::new_err(format!(
            "Incorrect number of bindings supplied. The current statement uses {needed}, and there are {supplied} supplied."
        )));
    }
    Ok(())
}

/// A row of engine values as a tuple: converters (one per column, None for none) first, else
/// the text factory (None for str).
fn build_row<'py>(
    py: Python<'py>,
    values: Vec<Value>,
    text_factory: Option<&Bound<'py, PyAny>>,
    converters: Option<&Bound<'py, PyTuple>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut items = Vec::with_capacity(values.len());
    for (i, value) in values.into_iter().enumerate() {
        let converter = match converters {
            Some(c) if i < c.len() => Some(c.get_item(i)?).filter(|c| !c.is_none()),
            _ => None,
        };
        items.push(match converter {
            Some(conv) => convert(py, &conv, value)?,
            None => to_python(py, value, text_factory)?,
        });
    }
    Ok(PyTuple::new(py, items)?.into_any())
}

/// The connection's text factory, None when it is `str`.
fn text_factory<'py>(connection: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = connection.py();
    let tf = connection.getattr(intern!(py, "text_factory"))?;
    Ok(if tf.is(py.get_type::<PyString>()) { None } else { Some(tf) })
}

/// What one execution of a statement gives back from the engine.
struct Executed {
    row: Option<Vec<Value>>,
    changes: i64,
    last_insert_rowid: i64,
}

/// Rewinds `stmt` (when it has run), binds `values`, steps once, and reads the change
/// counters; `reset_after` rewinds again after the step (executemany), and a statement that
/// is done is always rewound. One GIL release for all of it.
fn execute_once(
    py: Python<'_>,
    conn: &brisk::Connection,
    stmt: &NativeStatement,
    values: Vec<Value>,
    reset_after: bool,
) -> PyResult<Executed> {
    let result = py.detach(|| -> brisk::Result<Executed> {
        let mut s = lock(&stmt.stmt);
        stmt.reset_locked(&mut s);
        s.clear_bindings();
        for (i, v) in values.into_iter().enumerate() {
            s.bind(i + 1, v)?;
        }
        let row = stmt.step_locked(&mut s);
        let (changes, last_insert_rowid) = (conn.changes(), conn.last_insert_rowid());
        let row = row?;
        if reset_after || row.is_none() {
            stmt.reset_locked(&mut s);
        }
        Ok(Executed { row, changes, last_insert_rowid })
    });
    if let Some(e) = stmt.shared.take_pending() {
        return Err(e);
    }
    result.map_err(|e| raise(py, e))
}

/// The base class of `brisk.Cursor`, holding the cursor's state.
#[pyclass(module = "brisk", name = "Cursor", subclass)]
pub(crate) struct NativeCursor {
    /// Set by `_init` (the Python `__init__`); CPython's "Base Cursor.__init__ not called".
    initialized: bool,
    /// The Python Connection, and its native half.
    connection: Option<Py<PyAny>>,
    native: Option<Py<NativeConnection>>,
    stmt: Option<Py<NativeStatement>>,
    /// The row the next fetch returns: the statement runs one row ahead.
    next_row: Option<Py<PyAny>>,
    /// One converter (or None) per column; None when no converter applies.
    converters: Option<Py<PyTuple>>,
    description: Option<Py<PyAny>>,
    lastrowid: Option<i64>,
    rowcount: i64,
    closed: bool,
    /// Set while execute runs, so a callback cannot use the cursor.
    locked: bool,
    #[pyo3(get, set)]
    arraysize: i32,
    #[pyo3(get, set)]
    row_factory: Option<Py<PyAny>>,
}

impl Drop for NativeCursor {
    fn drop(&mut self) {
        if let Some(stmt) = self.stmt.take() {
            Python::attach(|py| stmt.get().release(py));
        }
    }
}

/// The connection halves a cursor operation works with.
struct Conn<'py> {
    object: Bound<'py, PyAny>,
    native: Bound<'py, NativeConnection>,
}

impl NativeCursor {
    fn state<'py>(slf: &Bound<'py, Self>) -> PyResult<PyRefMut<'py, Self>> {
        slf.try_borrow_mut().map_err(|_| recursive_use())
    }

    /// CPython's `check_cursor`: initialized, open, not in use, then the connection's checks.
    fn check<'py>(slf: &Bound<'py, Self>) -> PyResult<Conn<'py>> {
        let py = slf.py();
        let s = Self::state(slf)?;
        if !s.initialized {
            return Err(not_initialized());
        }
        if s.closed {
            return Err(ProgrammingError::new_err("Cannot operate on a closed cursor."));
        }
        if s.locked {
            return Err(recursive_use());
        }
        let (Some(object), Some(native)) = (&s.connection, &s.native) else { return Err(not_initialized()) };
        native.get().check()?;
        Ok(Conn { object: object.bind(py).clone(), native: native.bind(py).clone() })
    }

    /// Hands the statement back (rewound) and forgets the pending row.
    fn release(slf: &Bound<'_, Self>) -> PyResult<()> {
        let (stmt, row) = {
            let mut s = Self::state(slf)?;
            (s.stmt.take(), s.next_row.take())
        };
        if let Some(stmt) = stmt {
            stmt.get().release(slf.py());
        }
        drop(row);
        Ok(())
    }

    fn execute_impl<'py>(
        slf: &Bound<'py, Self>,
        sql: &Bound<'py, PyString>,
        parameters: Parameters<'py>,
    ) -> PyResult<()> {
        let conn = Self::check(slf)?;
        let old = {
            let mut s = Self::state(slf)?;
            s.locked = true;
            (s.stmt.take(), s.next_row.take(), s.description.take())
        };
        if let Some(stmt) = &old.0 {
            stmt.get().release(slf.py());
        }
        let result = Self::run(slf, &conn, sql, parameters);
        let mut s = Self::state(slf)?;
        s.locked = false;
        if result.is_err() {
            s.rowcount = -1;
            let stmt = s.stmt.take();
            s.next_row = None;
            drop(s);
            if let Some(stmt) = stmt {
                stmt.get().release(slf.py());
            }
        }
        drop(old);
        result
    }

    /// `_pysqlite_query_execute` after the checks, with the cursor locked and its previous
    /// statement released.
    fn run<'py>(
        slf: &Bound<'py, Self>,
        conn: &Conn<'py>,
        sql: &Bound<'py, PyString>,
        parameters: Parameters<'py>,
    ) -> PyResult<()> {
        let py = slf.py();
        let multiple = matches!(parameters, Parameters::Many(_));
        Self::state(slf)?.rowcount = 0;
        let native = conn.native.get();
        let Some(stmt) = native.statement(py, sql.to_str()?)? else {
            // Only whitespace and comments: nothing runs.
            Self::state(slf)?.rowcount = -1;
            return Ok(());
        };
        let st = stmt.get();
        Self::state(slf)?.stmt = Some(stmt.clone_ref(py));
        if multiple && lock(&st.stmt).is_read_only() {
            return Err(ProgrammingError::new_err("executemany() can only execute DML statements."));
        }
        if st.is_dml {
            // The legacy implicit BEGIN, as the Python layer decided it.
            let autocommit = conn.object.getattr(intern!(py, "_autocommit"))?;
            if autocommit.eq(-1)? {
                let level = conn.object.getattr(intern!(py, "_isolation_level"))?;
                if !level.is_none() {
                    native.begin_if_needed(py, level.cast::<PyString>()?.to_str()?)?;
                }
            }
        }
        let converters = if native.detect_types {
            let map = hooks()?.converter_map.bind(py).call1((&stmt, &conn.object))?;
            if map.is_none() {
                None
            } else {
                Some(PyTuple::new(py, map.try_iter()?.collect::<PyResult<Vec<_>>>()?)?)
            }
        } else {
            None
        };
        Self::state(slf)?.converters = converters.as_ref().map(|c| c.clone().unbind());
        let engine = native.get()?;
        let step = |parameters: &Bound<'py, PyAny>| -> PyResult<()> {
            let values = bind_values(st, parameters)?;
            let out = execute_once(py, &engine, st, values, multiple)?;
            let row = match out.row {
                Some(values) => Some(build_row(py, values, text_factory(&conn.object)?.as_ref(), converters.as_ref())?),
                None => None,
            };
            let description = if Self::state(slf)?.description.is_none() {
                Self::build_description(py, st, native.parse_colnames)?
            } else {
                None
            };
            let mut s = Self::state(slf)?;
            if description.is_some() {
                s.description = description;
            }
            if st.is_dml {
                s.rowcount += out.changes;
            } else {
                s.rowcount = -1;
            }
            if !multiple {
                s.lastrowid = Some(out.last_insert_rowid);
                match row {
                    Some(row) => s.next_row = Some(row.unbind()),
                    None => {
                        // Already rewound by execute_once.
                        let stmt = s.stmt.take();
                        drop(s);
                        if let Some(stmt) = stmt {
                            stmt.get().release(py);
                        }
                    }
                }
            }
            Ok(())
        };
        match parameters {
            Parameters::One(p) => step(&p)?,
            Parameters::Many(iter) => {
                for p in iter {
                    step(&p?)?;
                }
                Self::release(slf)?;
            }
        }
        Ok(())
    }

    /// The description for the statement's columns, None when it has none.
    fn build_description(py: Python<'_>, stmt: &NativeStatement, parse_colnames: bool) -> PyResult<Option<Py<PyAny>>> {
        let s = lock(&stmt.stmt);
        let names = s.column_names();
        if names.is_empty() {
            return Ok(None);
        }
        let none = py.None();
        let columns = names
            .iter()
            .map(|name| {
                let name = if parse_colnames { column_name(name) } else { name };
                PyTuple::new(
                    py,
                    [
                        PyString::new(py, name).into_any().unbind(),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                    ],
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Some(PyTuple::new(py, columns)?.into_any().unbind()))
    }

    /// `__next__`: the pending row (through the row factory), stepping for the one after it.
    fn next_row<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        let conn = Self::check(slf)?;
        let (stmt, row, converters) = {
            let mut s = Self::state(slf)?;
            let Some(stmt) = s.stmt.as_ref().map(|s| s.clone_ref(py)) else { return Ok(None) };
            (stmt, s.next_row.take(), s.converters.as_ref().map(|c| c.clone_ref(py)))
        };
        let Some(row) = row else {
            Self::release(slf)?;
            return Ok(None);
        };
        let st = stmt.get();
        let next = (|| {
            check_not_in_callback(st.shared.id())?;
            let tf = text_factory(&conn.object)?;
            let values = py.detach(|| {
                let mut s = lock(&st.stmt);
                let row = st.step_locked(&mut s);
                if matches!(row, Ok(None)) {
                    st.reset_locked(&mut s);
                }
                row
            });
            if let Some(e) = st.shared.take_pending() {
                return Err(e);
            }
            match values.map_err(|e| raise(py, e))? {
                Some(values) => build_row(py, values, tf.as_ref(), converters.as_ref().map(|c| c.bind(py))).map(Some),
                None => Ok(None),
            }
        })();
        match next {
            Ok(Some(next)) => Self::state(slf)?.next_row = Some(next.unbind()),
            Ok(None) => Self::release(slf)?,
            Err(e) => {
                // The pending row stays pending, as the Python layer left it.
                Self::state(slf)?.next_row = Some(row);
                return Err(e);
            }
        }
        let factory = Self::state(slf)?.row_factory.as_ref().map(|f| f.clone_ref(py));
        let row = row.into_bound(py);
        match factory {
            Some(f) => f.bind(py).call1((slf, row)).map(Some),
            None => Ok(Some(row)),
        }
    }
}

/// A column's name as the description gives it with PARSE_COLNAMES: cut at the first "[",
/// and the blank before it.
fn column_name(name: &str) -> &str {
    match name.find('[') {
        Some(pos) if pos > 0 && name.as_bytes()[pos - 1] == b' ' => &name[..pos - 1],
        Some(pos) => &name[..pos],
        None => name,
    }
}

enum Parameters<'py> {
    One(Bound<'py, PyAny>),
    Many(Bound<'py, PyIterator>),
}

fn sql_arg<'a, 'py>(function: &str, sql: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, PyString>> {
    sql.cast::<PyString>().map_err(|_| {
        let name = sql.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        PyTypeError::new_err(format!("{function}() argument 1 must be str, not {name}"))
    })
}

#[pymethods]
impl NativeCursor {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        NativeCursor {
            initialized: false,
            connection: None,
            native: None,
            stmt: None,
            next_row: None,
            converters: None,
            description: None,
            lastrowid: None,
            rowcount: -1,
            closed: false,
            locked: false,
            arraysize: 1,
            row_factory: None,
        }
    }

    /// The base `__init__`'s work once the Python layer has checked `connection`.
    fn _init(&mut self, connection: Py<PyAny>, native: Py<NativeConnection>) {
        self.connection = Some(connection);
        self.native = Some(native);
        self.initialized = true;
    }

    #[getter]
    fn connection(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.connection.as_ref().map(|c| c.clone_ref(py))
    }

    #[getter]
    fn description(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.description.as_ref().map(|d| d.clone_ref(py))
    }

    #[getter]
    fn lastrowid(&self) -> Option<i64> {
        self.lastrowid
    }

    #[getter]
    fn rowcount(&self) -> i64 {
        self.rowcount
    }

    /// The checks every cursor method starts with (for the Python layer's `executescript`).
    fn _check(slf: &Bound<'_, Self>) -> PyResult<()> {
        Self::check(slf).map(drop)
    }

    /// Hands the statement back to the cache (for the Python layer's `executescript`).
    fn _release(slf: &Bound<'_, Self>) -> PyResult<()> {
        Self::release(slf)
    }

    /// `execute(sql, parameters=(), /)`; `parameters` is taken as `*args` so that an explicit
    /// None stays distinct from no argument.
    #[pyo3(signature = (sql, /, *args))]
    fn execute<'py>(
        slf: &Bound<'py, Self>,
        sql: &Bound<'py, PyAny>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, Self>> {
        if args.len() > 1 {
            return Err(PyTypeError::new_err(format!("execute expected at most 2 arguments, got {}", args.len() + 1)));
        }
        let sql = sql_arg("execute", sql)?;
        let parameters = if args.is_empty() { PyTuple::empty(slf.py()).into_any() } else { args.get_item(0)? };
        Self::execute_impl(slf, sql, Parameters::One(parameters))?;
        Ok(slf.clone())
    }

    #[pyo3(signature = (sql, seq_of_parameters, /))]
    fn executemany<'py>(
        slf: &Bound<'py, Self>,
        sql: &Bound<'py, PyAny>,
        seq_of_parameters: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let sql = sql_arg("executemany", sql)?;
        Self::check(slf)?;
        let iter = seq_of_parameters.try_iter()?;
        Self::execute_impl(slf, sql, Parameters::Many(iter))?;
        Ok(slf.clone())
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyAny>>> {
        Self::next_row(slf)
    }

    fn fetchone<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyAny>>> {
        Self::next_row(slf)
    }

    /// Up to `size` rows (`arraysize` by default); all of them when `size` is below 1.
    #[pyo3(signature = (size=None))]
    fn fetchmany<'py>(slf: &Bound<'py, Self>, size: Option<i64>) -> PyResult<Bound<'py, PyList>> {
        let size = match size {
            Some(n) => n,
            None => Self::state(slf)?.arraysize as i64,
        };
        let rows = PyList::empty(slf.py());
        // Bounded by the statement's rows.
        while let Some(row) = Self::next_row(slf)? {
            rows.append(row)?;
            if rows.len() as i64 == size {
                break;
            }
        }
        Ok(rows)
    }

    fn fetchall<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let rows = PyList::empty(slf.py());
        // Bounded by the statement's rows.
        while let Some(row) = Self::next_row(slf)? {
            rows.append(row)?;
        }
        Ok(rows)
    }

    fn close(slf: &Bound<'_, Self>) -> PyResult<()> {
        let native = {
            let s = Self::state(slf)?;
            if !s.initialized {
                return Err(not_initialized());
            }
            s.native.as_ref().map(|n| n.clone_ref(slf.py()))
        };
        if let Some(native) = native {
            native.get().check()?;
        }
        Self::release(slf)?;
        Self::state(slf)?.closed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::column_name;

    #[test]
    fn column_names_lose_their_type_suffix() {
        for (name, want) in [("a", "a"), ("a [int]", "a"), ("a[int]", "a"), ("[int]", ""), ("a  [x]", "a ")] {
            assert_eq!(column_name(name), want, "{name:?}");
        }
    }
}
