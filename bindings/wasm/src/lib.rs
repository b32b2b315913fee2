//! Brisk for JavaScript: the `Database` and `Statement` classes, built with wasm-bindgen for the
//! browser (`--target web`) and Node (`--target nodejs`).
//!
//! A `Database` is in memory (`new Database()`), a copy of a database file's bytes
//! (`new Database(bytes)`), or a file in the browser's Origin Private File System
//! (`await Database.openPersistent(name)`, in a dedicated Worker; `opfs.rs`). The engine runs
//! synchronously on the calling thread: in memory every request completes at once, and OPFS's
//! synchronous access handles complete at once too, so no call here ever waits on a promise
//! after the database is open. `js/worker.js` and `js/client.js` put a promise-based API on the
//! main thread in front of a Worker that owns the database.
//!
//! Values and errors map as `convert.rs` describes.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use brisk::io::{HandleIo, SyncHandle};
use brisk::{Connection, Error, StepResult, Value};
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

mod convert;
mod opfs;

use convert::{from_js, int_to_js, sqlite_error, to_js, Params};
pub use opfs::SyncAccessHandle;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A value SQLite stores: NULL, an integer (a BigInt beyond 2^53), a real, text or a blob. */
export type SqlValue = null | number | bigint | string | Uint8Array;
/** Values JavaScript may bind: booleans bind as 0 or 1, any typed array or ArrayBuffer as a blob. */
export type BindValue = SqlValue | boolean | undefined | ArrayBuffer | ArrayBufferView;
/** Parameters: positional values in an array, named ones in an object (keys with or without their prefix), or one value. */
export type BindParams = BindValue[] | Record<string, BindValue> | BindValue;
/** A row: an object keyed by column name, or an array in raw mode. */
export type Row = Record<string, SqlValue> | SqlValue[];
export interface RunResult { changes: number; lastInsertRowid: number | bigint; }
export interface ColumnInfo { name: string; type: string | null; }
export interface ExecResult { columns: string[]; values: SqlValue[][]; }
export interface FunctionOptions { varargs?: boolean; deterministic?: boolean; }
/** Errors thrown for SQLite's failures. */
export interface SqliteError extends Error { name: "SqliteError"; code: string; errcode: number; offset?: number; }
/** What `Database.fromHandles` reads and writes through: OPFS's FileSystemSyncAccessHandle, or an object with its methods. */
export interface SyncAccessHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  truncate(size: number): void;
  getSize(): number;
  close(): void;
}
/** Parameters are optional: without them, a statement runs with the values bound before. */
export interface Statement {
  get(): Row | undefined;
  all(): Row[];
  run(): RunResult;
  iterate(): IterableIterator<Row>;
}
"#;

/// What a `Database` and its statements share: the connection until `close`, and the OPFS
/// handles to release then.
struct Shared {
    conn: RefCell<Option<Connection>>,
    handles: RefCell<Vec<SyncAccessHandle>>,
    /// Set while one of the connection's JavaScript functions runs: the connection is in the
    /// middle of a statement then, and using it from the function is refused.
    in_function: Rc<std::cell::Cell<bool>>,
}

impl Shared {
    /// Fails as `conn` does, without taking a handle to the connection.
    fn ensure_open(&self) -> Result<(), JsValue> {
        if self.in_function.get() {
            return Err(js_sys::TypeError::new("This database connection is busy executing a query").into());
        }
        if self.conn.borrow().is_none() {
            return Err(js_sys::TypeError::new("The database connection is not open").into());
        }
        Ok(())
    }

    fn conn(&self) -> Result<Connection, JsValue> {
        if self.in_function.get() {
            return Err(js_sys::TypeError::new("This database connection is busy executing a query").into());
        }
        self.conn.borrow().clone().ok_or_else(|| js_sys::TypeError::new("The database connection is not open").into())
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Once per module: seeds random() from `Math.random()` (wasm32 has no clock or OS randomness in
/// `std`), and sends a panic's message to `console.error` before the trap, which alone would say
/// only "unreachable".
fn init_once() {
    thread_local!(static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if !DONE.with(|s| s.replace(true)) {
        let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        brisk::functions::scalar::seed_random(hi << 32 | lo);
        std::panic::set_hook(Box::new(|info| console_error(&format!("brisk: {info}"))));
    }
}

/// A database connection.
#[wasm_bindgen]
pub struct Database {
    shared: Rc<Shared>,
    name: String,
}

#[wasm_bindgen]
impl Database {
    /// An in-memory database: empty, or a copy of `bytes` (a database file's contents).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | null")] bytes: JsValue,
    ) -> Result<Database, JsValue> {
        init_once();
        let conn = Connection::open_in_memory().map_err(|e| sqlite_error(&e, None))?;
        if !(bytes.is_undefined() || bytes.is_null()) {
            let Value::Blob(image) = from_js(&bytes)? else {
                return Err(js_sys::TypeError::new("a database is opened from a Uint8Array or an ArrayBuffer").into());
            };
            conn.deserialize(&image).map_err(|e| sqlite_error(&e, None))?;
        }
        Ok(Database::wrap(conn, Vec::new(), ":memory:".into()))
    }

    /// Opens (creating it when missing) the database `name` in the Origin Private File System.
    /// Works in a dedicated Worker, where OPFS gives synchronous access handles; the handles are
    /// exclusive, so another tab or worker cannot open the same database until `close`.
    #[wasm_bindgen(js_name = openPersistent)]
    pub async fn open_persistent(name: String) -> Result<Database, JsValue> {
        init_once();
        let (db, journal) = opfs::open_handles(&name).await?;
        Database::from_handles(name, db, journal)
    }

    /// Opens database `name` over two synchronous access handles the caller opened: the
    /// database file's and its rollback journal's. Any object with OPFS's `read`, `write`,
    /// `flush`, `truncate`, `getSize` and `close` will do (Node's tests use files). `close`
    /// closes both handles.
    #[wasm_bindgen(js_name = fromHandles)]
    pub fn from_handles(name: String, db: SyncAccessHandle, journal: SyncAccessHandle) -> Result<Database, JsValue> {
        init_once();
        let io = HandleIo::new();
        let journal_path = format!("{name}-journal");
        let register = |path: &str, h: &SyncAccessHandle| -> Result<(), JsValue> {
            let handle: Arc<dyn SyncHandle> = Arc::new(opfs::OpfsFile::new(h.clone()));
            io.register(path, handle).map_err(|e| sqlite_error(&e, None))
        };
        register(&name, &db)?;
        register(&journal_path, &journal)?;
        let opened = brisk::Database::open_with_io(&name, Arc::new(io), false).and_then(|d| d.connect());
        let conn = match opened {
            Ok(conn) => conn,
            Err(e) => {
                opfs::close_all(&[db, journal]);
                return Err(sqlite_error(&e, None));
            }
        };
        Ok(Database::wrap(conn, vec![db, journal], name))
    }

    fn wrap(conn: Connection, handles: Vec<SyncAccessHandle>, name: String) -> Database {
        let shared =
            Shared { conn: RefCell::new(Some(conn)), handles: RefCell::new(handles), in_function: Rc::default() };
        Database { shared: Rc::new(shared), name }
    }

    /// The database's name: `:memory:` or the persistent name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// Whether the database is open (until `close`).
    #[wasm_bindgen(getter)]
    pub fn open(&self) -> bool {
        self.shared.conn.borrow().is_some()
    }

    /// Whether a transaction is open (BEGIN without COMMIT or ROLLBACK yet).
    #[wasm_bindgen(getter, js_name = inTransaction)]
    pub fn in_transaction(&self) -> Result<bool, JsValue> {
        Ok(!self.shared.conn()?.is_autocommit())
    }

    /// Runs every statement of `sql`. Returns, for each statement that has result columns, its
    /// column names and rows (as arrays), in order.
    #[wasm_bindgen(unchecked_return_type = "ExecResult[]")]
    pub fn exec(&self, sql: &str) -> Result<Array, JsValue> {
        let conn = self.shared.conn()?;
        let results = Array::new();
        let mut pos = 0;
        while pos < sql.len() {
            let prepared = conn.prepare_first(&sql[pos..]).map_err(|e| sqlite_error(&e, Some((sql, pos))))?;
            let Some((mut stmt, tail)) = prepared else { break };
            let columns = stmt.column_names().to_vec();
            let values = Array::new();
            while stmt.step().map_err(|e| sqlite_error(&e, Some((sql, pos))))? == StepResult::Row {
                values.push(&row_array(stmt.row()));
            }
            if !columns.is_empty() {
                let result = Object::new();
                set(&result, "columns", &columns.iter().map(|c| JsValue::from_str(c)).collect::<Array>());
                set(&result, "values", &values);
                results.push(&result);
            }
            pos += tail.max(1);
        }
        Ok(results)
    }

    /// Compiles the one statement in `sql` (a second statement is an error).
    pub fn prepare(&self, sql: &str) -> Result<Statement, JsValue> {
        let conn = self.shared.conn()?;
        let (stmt, tail) = match conn.prepare_first(sql) {
            Ok(Some(prepared)) => prepared,
            Ok(None) => return Err(js_sys::RangeError::new("The supplied SQL string contains no statements").into()),
            Err(e) => return Err(sqlite_error(&e, Some((sql, 0)))),
        };
        // A second statement is an error; finding one needs only the parser.
        if brisk::parser::parse_script(&sql[tail..]).next().is_some() {
            return Err(js_sys::RangeError::new("The supplied SQL string contains more than one statement").into());
        }
        let columns = stmt.column_names().iter().map(|c| JsValue::from_str(c)).collect();
        let inner = StmtInner {
            shared: self.shared.clone(),
            stmt: Some(stmt),
            columns,
            raw: false,
            sql: sql.to_string(),
            generation: 0,
        };
        Ok(Statement { inner: Rc::new(RefCell::new(inner)) })
    }

    /// The database as a file's bytes (`sqlite3_serialize`): stock SQLite opens them.
    pub fn export(&self) -> Result<Uint8Array, JsValue> {
        let image = self.shared.conn()?.serialize().map_err(|e| sqlite_error(&e, None))?;
        Ok(Uint8Array::from(&image[..]))
    }

    /// Registers `fn` as SQL function `name`, taking `fn.length` arguments (any number with
    /// `varargs`). A JavaScript exception in it fails the statement with its message.
    pub fn function(
        &self,
        name: &str,
        #[wasm_bindgen(unchecked_param_type = "(...args: SqlValue[]) => BindValue")] func: Function,
        #[wasm_bindgen(unchecked_optional_param_type = "FunctionOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let conn = self.shared.conn()?;
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let flag = |key: &str| -> bool {
            options.is_object() && Reflect::get(&options, &key.into()).map(|v| v.is_truthy()).unwrap_or(false)
        };
        let n_args = if flag("varargs") { -1 } else { func.length() as i32 };
        let js = JsFunction { func, busy: self.shared.in_function.clone() };
        conn.create_function(name, n_args, flag("deterministic"), move |args| js.call(args))
            .map_err(|e| sqlite_error(&e, None))
    }

    /// Closes the database: statements fail from now on, and a persistent database's files are
    /// released for others to open.
    pub fn close(&self) -> Result<(), JsValue> {
        if self.shared.in_function.get() {
            return Err(js_sys::TypeError::new("This database connection is busy executing a query").into());
        }
        self.shared.conn.borrow_mut().take();
        let handles = std::mem::take(&mut *self.shared.handles.borrow_mut());
        opfs::close_all(&handles);
        Ok(())
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    #[wasm_bindgen(getter)]
    pub fn changes(&self) -> Result<f64, JsValue> {
        Ok(self.shared.conn()?.changes() as f64)
    }

    /// The rowid of the most recent successful INSERT.
    #[wasm_bindgen(getter, js_name = lastInsertRowid, unchecked_return_type = "number | bigint")]
    pub fn last_insert_rowid(&self) -> Result<JsValue, JsValue> {
        Ok(int_to_js(self.shared.conn()?.last_insert_rowid()))
    }
}

/// A JavaScript function called from SQL. The wasm32 target has one thread, so the engine's
/// `Send + Sync` bound on functions holds for it. While it runs, its connection refuses calls
/// (the engine holds the connection for the statement in progress).
struct JsFunction {
    func: Function,
    /// The connection's `in_function` flag, set while `func` runs.
    busy: Rc<std::cell::Cell<bool>>,
}

// SAFETY: wasm32-unknown-unknown without the `atomics` feature runs on one thread; the function
// is never touched from another. The crate refuses to build with threads (below).
unsafe impl Send for JsFunction {}
unsafe impl Sync for JsFunction {}

#[cfg(target_feature = "atomics")]
compile_error!("brisk-wasm holds JavaScript objects in engine callbacks and needs a single-threaded build");

impl JsFunction {
    fn call(&self, args: &[Value]) -> brisk::Result<Value> {
        let js_args: Array = args.iter().map(to_js).collect();
        let outer = self.busy.replace(true);
        let result = self.func.apply(&JsValue::NULL, &js_args);
        self.busy.set(outer);
        let result = result.map_err(|e| Error::sql(convert::js_message(&e)))?;
        from_js(&result).map_err(|e| Error::sql(convert::js_message(&e)))
    }
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn row_array(row: &[Value]) -> Array {
    row.iter().map(to_js).collect()
}

/// A compiled statement.
#[wasm_bindgen]
pub struct Statement {
    inner: Rc<RefCell<StmtInner>>,
}

/// A statement's state, shared with the iterators `iterate` returns.
struct StmtInner {
    shared: Rc<Shared>,
    stmt: Option<brisk::Statement>,
    columns: Vec<JsValue>,
    raw: bool,
    sql: String,
    /// Counts the runs started (and finalization): an iterator belongs to one run.
    generation: u64,
}

#[wasm_bindgen]
impl Statement {
    /// The statement's SQL text.
    #[wasm_bindgen(getter)]
    pub fn source(&self) -> String {
        self.inner.borrow().sql.clone()
    }

    /// Whether the statement returns rows (has result columns).
    #[wasm_bindgen(getter)]
    pub fn reader(&self) -> bool {
        !self.inner.borrow().columns.is_empty()
    }

    /// Rows come as arrays of values (`raw()` or `raw(true)`) or as objects keyed by column
    /// name (the default, and `raw(false)`).
    pub fn raw(&self, toggle: Option<bool>) -> Result<(), JsValue> {
        self.state()?.raw = toggle.unwrap_or(true);
        Ok(())
    }

    /// The result columns: name and declared type.
    #[wasm_bindgen(unchecked_return_type = "ColumnInfo[]")]
    pub fn columns(&self) -> Result<Array, JsValue> {
        let mut inner = self.state()?;
        let names = inner.columns.clone();
        let stmt = inner.live()?;
        let out = Array::new();
        for (i, name) in names.iter().enumerate() {
            let col = Object::new();
            set(&col, "name", name);
            set(&col, "type", &stmt.column_decltype(i).map(JsValue::from_str).unwrap_or(JsValue::NULL));
            out.push(&col);
        }
        Ok(out)
    }

    /// Rewinds the statement and binds `params` in place of any earlier bindings.
    pub fn bind(&self, #[wasm_bindgen(unchecked_param_type = "BindParams")] params: JsValue) -> Result<(), JsValue> {
        let params = Params::from_js(&params)?;
        let mut inner = self.state()?;
        inner.generation += 1;
        let stmt = inner.live()?;
        stmt.reset();
        stmt.clear_bindings();
        bind(stmt, params)
    }

    /// Advances to the next row: `true` when there is one (read it with `row()`), `false` at
    /// the end, after which the next `step` starts the statement again.
    pub fn step(&self) -> Result<bool, JsValue> {
        self.state()?.step()
    }

    /// The current row, after `step()` returned `true`.
    #[wasm_bindgen(unchecked_return_type = "Row")]
    pub fn row(&self) -> Result<JsValue, JsValue> {
        self.state()?.row()
    }

    /// Runs the statement with `params` and returns its first row, or `undefined` when it has none.
    #[wasm_bindgen(unchecked_return_type = "Row | undefined")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "BindParams")] params: JsValue,
    ) -> Result<JsValue, JsValue> {
        let mut inner = self.state()?;
        inner.start(&params)?;
        let row = if inner.step()? { inner.row()? } else { JsValue::UNDEFINED };
        inner.live()?.reset();
        Ok(row)
    }

    /// Runs the statement with `params` and returns every row.
    #[wasm_bindgen(unchecked_return_type = "Row[]")]
    pub fn all(&self, #[wasm_bindgen(unchecked_param_type = "BindParams")] params: JsValue) -> Result<Array, JsValue> {
        let mut inner = self.state()?;
        inner.start(&params)?;
        let rows = Array::new();
        while inner.step()? {
            rows.push(&inner.row()?);
        }
        Ok(rows)
    }

    /// Runs the statement with `params` to its end; returns the rows it changed and the last
    /// inserted rowid.
    #[wasm_bindgen(unchecked_return_type = "RunResult")]
    pub fn run(&self, #[wasm_bindgen(unchecked_param_type = "BindParams")] params: JsValue) -> Result<Object, JsValue> {
        let mut inner = self.state()?;
        inner.start(&params)?;
        while inner.step()? {}
        let conn = inner.shared.conn()?;
        let result = Object::new();
        set(&result, "changes", &JsValue::from_f64(conn.changes() as f64));
        set(&result, "lastInsertRowid", &int_to_js(conn.last_insert_rowid()));
        Ok(result)
    }

    /// Runs the statement with `params` and returns an iterator over its rows, computed as they
    /// are asked for (`for (const row of stmt.iterate())`).
    #[wasm_bindgen(unchecked_return_type = "IterableIterator<Row>")]
    pub fn iterate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "BindParams")] params: JsValue,
    ) -> Result<JsValue, JsValue> {
        let generation = {
            let mut inner = self.state()?;
            inner.start(&params)?;
            inner.generation
        };
        let it = RowIterator { inner: self.inner.clone(), generation, done: false };
        let value: JsValue = it.into();
        Reflect::set(&value, &js_sys::Symbol::iterator(), &return_this())?;
        Ok(value)
    }

    /// Releases the statement; using it afterwards is an error.
    pub fn finalize(&self) -> Result<(), JsValue> {
        let mut inner = self.state()?;
        inner.stmt = None;
        inner.generation += 1;
        Ok(())
    }
}

impl Statement {
    /// The statement's state; refused while a call on it is in progress (a JavaScript function
    /// called by the statement's own step cannot reach it: its connection refuses first).
    fn state(&self) -> Result<std::cell::RefMut<'_, StmtInner>, JsValue> {
        self.inner
            .try_borrow_mut()
            .map_err(|_| js_sys::TypeError::new("This statement is busy executing a query").into())
    }
}

impl StmtInner {
    fn live(&mut self) -> Result<&mut brisk::Statement, JsValue> {
        self.shared.ensure_open()?;
        self.stmt.as_mut().ok_or_else(finalized)
    }

    /// Rewinds and, when `params` holds any, binds them.
    fn start(&mut self, params: &JsValue) -> Result<(), JsValue> {
        let params = Params::from_js(params)?;
        self.generation += 1;
        let stmt = self.live()?;
        stmt.reset();
        if !matches!(params, Params::None) {
            stmt.clear_bindings();
            bind(stmt, params)?;
        }
        Ok(())
    }

    fn step(&mut self) -> Result<bool, JsValue> {
        self.shared.ensure_open()?;
        // The statement field alone, so that the SQL stays readable for an error.
        let stmt = self.stmt.as_mut().ok_or_else(finalized)?;
        match stmt.step() {
            Ok(StepResult::Row) => Ok(true),
            Ok(_) => {
                stmt.reset();
                Ok(false)
            }
            Err(e) => {
                stmt.reset();
                Err(sqlite_error(&e, Some((&self.sql, 0))))
            }
        }
    }

    fn row(&mut self) -> Result<JsValue, JsValue> {
        let raw = self.raw;
        let columns = self.columns.clone();
        let values = self.live()?.row();
        if raw {
            return Ok(row_array(values).into());
        }
        let obj = Object::new();
        for (name, v) in columns.iter().zip(values) {
            Reflect::set(&obj, name, &to_js(v))?;
        }
        Ok(obj.into())
    }
}

fn finalized() -> JsValue {
    js_sys::TypeError::new("This statement has been finalized").into()
}

fn bind(stmt: &mut brisk::Statement, params: Params) -> Result<(), JsValue> {
    let err = |e: Error| sqlite_error(&e, None);
    match params {
        Params::None => Ok(()),
        Params::Positional(values) => {
            if values.len() > stmt.parameter_count() {
                return Err(js_sys::RangeError::new(&format!(
                    "Too many parameter values were provided: the statement takes {}, {} were given",
                    stmt.parameter_count(),
                    values.len()
                ))
                .into());
            }
            stmt.bind_all(&values).map_err(err)
        }
        Params::Named(pairs) => {
            for (key, value) in pairs {
                let index = if key.starts_with([':', '@', '$']) {
                    stmt.parameter_index(&key)
                } else {
                    [':', '@', '$'].iter().find_map(|p| stmt.parameter_index(&format!("{p}{key}")))
                };
                let Some(index) = index else {
                    return Err(
                        js_sys::RangeError::new(&format!("No parameter named '{key}' in this statement")).into()
                    );
                };
                stmt.bind(index, value).map_err(err)?;
            }
            Ok(())
        }
    }
}

/// `function () { return this; }`, for iterators to be iterable. Made once.
fn return_this() -> Function {
    thread_local!(static F: Function = Function::new_no_args("return this"));
    F.with(Function::clone)
}

/// The iterator `Statement.iterate` returns: each `next()` steps the statement once.
#[wasm_bindgen]
pub struct RowIterator {
    inner: Rc<RefCell<StmtInner>>,
    /// The statement's run this iterator reads; once the statement runs again, it ends.
    generation: u64,
    done: bool,
}

#[wasm_bindgen]
impl RowIterator {
    /// The iterator protocol's `next`: `{ value, done }`.
    #[wasm_bindgen(unchecked_return_type = "IteratorResult<Row>")]
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Object, JsValue> {
        let result = Object::new();
        let mut value = JsValue::UNDEFINED;
        if !self.done {
            let mut inner = self
                .inner
                .try_borrow_mut()
                .map_err(|_| js_sys::TypeError::new("This statement is busy executing a query"))?;
            if inner.generation != self.generation {
                self.done = true;
                return Err(js_sys::TypeError::new(
                    "The statement was run again while an iteration of it was in progress",
                )
                .into());
            }
            match inner.step() {
                Ok(true) => value = inner.row()?,
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        set(&result, "value", &value);
        set(&result, "done", &JsValue::from_bool(self.done));
        Ok(result)
    }

    /// Ends the iteration early (`break` out of `for...of`), rewinding the statement.
    #[wasm_bindgen(js_name = "return")]
    pub fn return_(&mut self) -> Object {
        if !self.done {
            self.done = true;
            if let Ok(mut inner) = self.inner.try_borrow_mut() {
                if inner.generation == self.generation {
                    if let Some(s) = inner.stmt.as_mut() {
                        s.reset();
                    }
                }
            }
        }
        let result = Object::new();
        set(&result, "done", &JsValue::TRUE);
        result
    }
}
