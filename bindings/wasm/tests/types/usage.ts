// Compiled by tsc --strict in test.sh (not run): the declarations wasm-bindgen generates, and
// client.d.ts, must describe the API as the README and tests/node use it.
import init, { Database, Statement, type Row, type RunResult, type SqlValue } from '../../www/pkg/brisk_wasm.js';
import { openDatabase, type WorkerDatabase } from '../../www/pkg/client.js';

export async function inMemory(): Promise<SqlValue[]> {
  await init();
  const db = new Database();
  const copy = new Database(db.export());
  db.exec('CREATE TABLE t(a, b)');
  const insert: Statement = db.prepare('INSERT INTO t VALUES (?, ?)');
  const r: RunResult = insert.run([1, 'x']);
  insert.run({ a: 2n, b: new Uint8Array([1]) });
  insert.run(null);
  const rowid: number | bigint = r.lastInsertRowid;
  const q = db.prepare('SELECT a, b FROM t');
  const first: Row | undefined = q.get();
  const all: Row[] = q.all();
  for (const row of q.iterate()) void row;
  q.raw();
  q.raw(false);
  db.function('twice', (x) => (typeof x === 'number' ? x * 2 : null), { deterministic: true });
  db.function('plain', () => 1);
  const results = db.exec('SELECT 1');
  copy.close();
  db.close();
  void rowid, first, all;
  return results[0].values[0];
}

export async function inWorker(): Promise<Row[]> {
  const persistent = await Database.openPersistent('app.db');
  persistent.close();
  const db: WorkerDatabase = await openDatabase({ persistent: 'app.db' });
  await db.run('INSERT INTO t VALUES (?)', [1]);
  const bytes: Uint8Array = await db.export();
  await db.reopen({ bytes });
  const rows = await db.all('SELECT * FROM t', undefined, { raw: true });
  await db.close();
  return rows;
}
