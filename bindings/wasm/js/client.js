// The main thread's side of a Brisk database that lives in a Worker (worker.js): the same
// operations as `Database` and `Statement`, each returning a promise.
//
//   import { openDatabase } from './client.js';
//   const db = await openDatabase({ persistent: 'app.db' });   // OPFS; survives a reload
//   await db.exec('CREATE TABLE IF NOT EXISTS t(x)');
//   await db.run('INSERT INTO t VALUES (?)', [1]);
//   const rows = await db.all('SELECT x FROM t');
//
// Errors reject with an `Error` named as thrown in the worker (`SqliteError` for SQLite's), with
// its `code`, `errcode` and `offset`.

/** Opens a database in a new Worker: `{ persistent: name }` (OPFS), `{ bytes }` (a copy of a
 * database file) or `{}` (empty, in memory). `workerUrl` overrides where worker.js is. */
export async function openDatabase(options = {}) {
  const url = options.workerUrl ?? new URL('./worker.js', import.meta.url);
  const worker = new Worker(url, { type: 'module' });
  const db = new WorkerDatabase(worker);
  try {
    const { name } = await db._call('open', { persistent: options.persistent, bytes: options.bytes });
    db.name = name;
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return db;
}

export class WorkerDatabase {
  constructor(worker) {
    this.name = null;
    this._worker = worker;
    this._next = 1;
    this._pending = new Map();
    worker.onmessage = ({ data }) => {
      const call = this._pending.get(data.id);
      if (!call) return;
      this._pending.delete(data.id);
      if (data.error) call.reject(rebuild(data.error));
      else call.resolve(data.result);
    };
    worker.onerror = (event) => {
      const e = new Error(`the database worker failed: ${event.message ?? 'unknown error'}`);
      for (const call of this._pending.values()) call.reject(e);
      this._pending.clear();
    };
  }

  _call(op, args) {
    return new Promise((resolve, reject) => {
      if (!this._worker) {
        reject(new TypeError('The database connection is not open'));
        return;
      }
      const id = this._next++;
      this._pending.set(id, { resolve, reject });
      this._worker.postMessage({ id, op, args });
    });
  }

  /** Runs every statement of `sql`; resolves to `{ columns, values }` for each that has columns. */
  exec(sql) {
    return this._call('exec', { sql });
  }
  /** Every row of one statement, as objects (or arrays with `{ raw: true }`). */
  all(sql, params, { raw = false } = {}) {
    return this._call('all', { sql, params, raw });
  }
  /** The first row of one statement, or `undefined`. */
  get(sql, params, { raw = false } = {}) {
    return this._call('get', { sql, params, raw });
  }
  /** Runs one statement; resolves to `{ changes, lastInsertRowid }`. */
  run(sql, params) {
    return this._call('run', { sql, params });
  }
  /** The result columns of one statement: `{ name, type }`. */
  columns(sql) {
    return this._call('columns', { sql });
  }
  /** The database file's bytes, which stock SQLite opens. */
  export() {
    return this._call('export', {});
  }
  /** Replaces the worker's database: `{ persistent }`, `{ bytes }` or `{}`, as `openDatabase`. */
  async reopen(options = {}) {
    const { name } = await this._call('open', { persistent: options.persistent, bytes: options.bytes });
    this.name = name;
  }
  /** Closes the database (releasing its OPFS files) and ends the worker. */
  async close() {
    if (!this._worker) return;
    try {
      await this._call('close', {});
    } finally {
      this._worker.terminate();
      this._worker = null;
    }
  }
}

function rebuild(info) {
  const e = info.name === 'TypeError' ? new TypeError(info.message)
    : info.name === 'RangeError' ? new RangeError(info.message)
    : new Error(info.message);
  if (info.name && e.name !== info.name) e.name = info.name;
  for (const key of ['code', 'errcode', 'offset']) {
    if (info[key] !== undefined) e[key] = info[key];
  }
  return e;
}
