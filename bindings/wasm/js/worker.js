// The Worker that owns a Brisk database for a page: the browser's Origin Private File System
// gives synchronous file access only in a dedicated Worker, so a persistent database lives here,
// and the page talks to it through `client.js`. An in-memory database or a file's bytes work too.
//
// Protocol: the page posts `{ id, op, args }`; the worker answers `{ id, result }` or
// `{ id, error }`, one message at a time, in order. Operations: open, exec, all, get, run,
// export, close (see client.js).
import init, { Database } from './brisk_wasm.js';

const ready = init();
let db = null;

function statement(sql, use) {
  const stmt = db.prepare(sql);
  try {
    return use(stmt);
  } finally {
    stmt.finalize();
  }
}

const ops = {
  async open({ persistent, bytes } = {}) {
    // The new database first: if it cannot open, the current one stays. Reopening the same
    // persistent name must release its files before they can be opened again.
    if (db && persistent && db.name === persistent) {
      db.close();
      db = null;
    }
    const next = persistent ? await Database.openPersistent(persistent) : new Database(bytes ?? null);
    if (db) db.close();
    db = next;
    return { name: db.name };
  },
  exec: ({ sql }) => db.exec(sql),
  all: ({ sql, params, raw }) => statement(sql, (s) => (s.raw(!!raw), s.all(params))),
  get: ({ sql, params, raw }) => statement(sql, (s) => (s.raw(!!raw), s.get(params))),
  run: ({ sql, params }) => statement(sql, (s) => s.run(params)),
  columns: ({ sql }) => statement(sql, (s) => s.columns()),
  export: () => db.export(),
  close() {
    if (db) db.close();
    db = null;
  },
};

function describe(e) {
  if (e instanceof Error) {
    return { name: e.name, message: e.message, code: e.code, errcode: e.errcode, offset: e.offset };
  }
  return { name: 'Error', message: String(e) };
}

async function handle({ id, op, args }) {
  try {
    await ready;
    if (!Object.hasOwn(ops, op)) throw new TypeError(`unknown operation: ${op}`);
    if (op !== 'open' && op !== 'close' && !db) throw new TypeError('The database connection is not open');
    const result = await ops[op](args ?? {});
    const transfer = result instanceof Uint8Array ? [result.buffer] : [];
    self.postMessage({ id, result }, transfer);
  } catch (e) {
    self.postMessage({ id, error: describe(e) });
  }
}

// One request at a time: an `open` that waits for OPFS must finish before the next request runs.
let queue = Promise.resolve();
self.onmessage = (event) => {
  queue = queue.then(() => handle(event.data));
};
