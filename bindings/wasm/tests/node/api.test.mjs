// The JavaScript API of the Node build: Database, Statement, values, errors, functions, export
// and import, and files through synchronous handles. Expectations come from the sqlite3 shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brisk, sqliteError, sqliteList, sqliteRows } from './oracle.mjs';

const { Database } = brisk;

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-wasm-'));
}

test('exec runs a script and returns each result with columns', () => {
  const db = new Database();
  const script = `CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);
    INSERT INTO t(b) VALUES ('x'), ('y'), (NULL);
    SELECT a, b FROM t ORDER BY a;
    SELECT count(*) AS n FROM t WHERE 0;
    UPDATE t SET b = upper(b);
    SELECT group_concat(b, '-') AS g FROM t;`;
  const results = db.exec(script);
  const expected = [
    sqliteRows(':memory:', script.replace(/SELECT count[^;]*;[\s\S]*$/, '')),
    sqliteRows(':memory:', script.replace(/SELECT group_concat[^;]*;$/, '').replace(/SELECT a, b[^;]*;/, '')),
    sqliteRows(':memory:', script),
  ];
  assert.equal(results.length, 3);
  assert.deepEqual(results[0].columns, ['a', 'b']);
  assert.deepEqual(results[0].values, expected[0].map((r) => [r.a, r.b]));
  assert.deepEqual(results[1], { columns: ['n'], values: expected[1].map((r) => [r.n]) });
  assert.deepEqual(results[2].values, [[expected[2][0].g]]);
  db.close();
});

test('prepare: get, all, run, iterate, columns, raw, finalize', () => {
  const db = new Database();
  db.exec('CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL)');
  const insert = db.prepare('INSERT INTO t(b, c) VALUES (?, ?)');
  assert.equal(insert.reader, false);
  assert.deepEqual(insert.run(['one', 1.5]), { changes: 1, lastInsertRowid: 1 });
  assert.deepEqual(insert.run(['two', 2]), { changes: 1, lastInsertRowid: 2 });
  assert.deepEqual(insert.run(['three', null]), { changes: 1, lastInsertRowid: 3 });
  assert.equal(db.lastInsertRowid, 3);

  const select = db.prepare('SELECT a, b, c FROM t WHERE a >= ? ORDER BY a');
  assert.equal(select.reader, true);
  assert.equal(select.source, 'SELECT a, b, c FROM t WHERE a >= ? ORDER BY a');
  assert.deepEqual(select.columns(), [
    { name: 'a', type: 'INTEGER' },
    { name: 'b', type: 'TEXT' },
    { name: 'c', type: 'REAL' },
  ]);
  assert.deepEqual(select.get(2), { a: 2, b: 'two', c: 2 });
  assert.equal(select.get(9), undefined);
  assert.deepEqual(select.all(1), [
    { a: 1, b: 'one', c: 1.5 },
    { a: 2, b: 'two', c: 2 },
    { a: 3, b: 'three', c: null },
  ]);
  select.raw(true);
  assert.deepEqual(select.all([3]), [[3, 'three', null]]);
  select.raw(false);

  // iterate is lazy: breaking out leaves the statement ready to run again.
  const seen = [];
  for (const row of select.iterate(1)) {
    seen.push(row.a);
    if (row.a === 2) break;
  }
  assert.deepEqual(seen, [1, 2]);
  assert.deepEqual([...select.iterate(2)].map((r) => r.b), ['two', 'three']);

  // Running the statement again ends an iteration in progress, with an error rather than rows
  // from the new run; finalizing does too.
  const it = select.iterate(1);
  assert.equal(it.next().value.a, 1);
  assert.equal(select.all(3).length, 1);
  assert.throws(() => it.next(), { name: 'TypeError', message: 'The statement was run again while an iteration of it was in progress' });
  assert.deepEqual(it.next(), { value: undefined, done: true });

  // bind, then step and row.
  select.bind([2]);
  assert.equal(select.step(), true);
  assert.deepEqual(select.row(), { a: 2, b: 'two', c: 2 });
  assert.equal(select.step(), true);
  assert.equal(select.step(), false);
  // After the end, stepping starts over with the same bindings.
  assert.equal(select.step(), true);
  assert.equal(select.row().a, 2);

  // run on UPDATE counts changes.
  assert.equal(db.prepare('UPDATE t SET c = 0 WHERE c IS NOT NULL').run().changes, 2);
  assert.equal(db.changes, 2);

  select.finalize();
  assert.throws(() => select.all(), { name: 'TypeError', message: 'This statement has been finalized' });
  db.close();
});

test('one statement per prepare', () => {
  const db = new Database();
  assert.throws(() => db.prepare('SELECT 1; SELECT 2'), RangeError);
  assert.throws(() => db.prepare('  -- nothing\n'), RangeError);
  // A trailing semicolon, comment or whitespace is not a statement.
  assert.deepEqual(db.prepare('SELECT 1 AS x; -- done\n').get(), { x: 1 });
});

test('values map between JavaScript and SQLite', () => {
  const db = new Database();
  const q = db.prepare('SELECT ? AS v, typeof(?1) AS t');
  const cases = [
    [null, null, 'null'],
    [undefined, null, 'null'],
    [42, 42, 'integer'],
    [-0, 0, 'integer'],
    [1.25, 1.25, 'real'],
    [2 ** 60, 2 ** 60, 'real'],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'integer'],
    [NaN, null, 'null'],
    [Infinity, Infinity, 'real'],
    [true, 1, 'integer'],
    [false, 0, 'integer'],
    [12345678901234567n, 12345678901234567n, 'integer'],
    [5n, 5, 'integer'],
    ['héllo 😀', 'héllo 😀', 'text'],
    ['', '', 'text'],
    [new Uint8Array([1, 2, 255]), new Uint8Array([1, 2, 255]), 'blob'],
    [new Uint8Array(0), new Uint8Array(0), 'blob'],
  ];
  for (const [input, output, type] of cases) {
    const row = q.get([input]);
    assert.deepEqual(row, { v: output, t: type }, `binding ${String(input)}`);
  }
  // Other views and buffers are blobs of their bytes.
  const bytes = new Uint16Array([0x0201, 0x0403]);
  assert.deepEqual(q.get([bytes]).v, new Uint8Array([1, 2, 3, 4]));
  assert.deepEqual(q.get([bytes.buffer]).v, new Uint8Array([1, 2, 3, 4]));
  assert.deepEqual(q.get([new DataView(bytes.buffer, 1, 2)]).v, new Uint8Array([2, 3]));
  // Integers beyond 2^53 come back as BigInt, exactly as sqlite3 prints them.
  const big = db.prepare('SELECT 9223372036854775807 AS a, -9223372036854775808 AS b, 9007199254740993 AS c, 9007199254740991 AS d').get();
  const expected = sqliteList(':memory:', 'SELECT 9223372036854775807, -9223372036854775808, 9007199254740993, 9007199254740991').trim().split('|');
  assert.deepEqual(big, { a: BigInt(expected[0]), b: BigInt(expected[1]), c: BigInt(expected[2]), d: Number(expected[3]) });
  assert.equal(typeof big.d, 'number');
  // Out of range and unsupported values are errors, not silent conversions.
  assert.throws(() => q.get([2n ** 63n]), RangeError);
  assert.throws(() => q.get([1, 2]), RangeError);
  assert.throws(() => q.get([{ toString: () => 'x' }]), TypeError);
  assert.throws(() => q.get([[1]]), TypeError);
  assert.throws(() => q.get([Symbol('s')]), TypeError);
  assert.throws(() => q.get([() => 1]), TypeError);
});

test('named and positional parameters', () => {
  const db = new Database();
  const q = db.prepare('SELECT :a AS a, @b AS b, $c AS c');
  assert.deepEqual(q.get({ a: 1, b: 'two', c: null }), { a: 1, b: 'two', c: null });
  assert.deepEqual(q.get({ ':a': 3, '@b': 4, $c: 5 }), { a: 3, b: 4, c: 5 });
  assert.throws(() => q.get({ nope: 1 }), { name: 'RangeError', message: "No parameter named 'nope' in this statement" });
  const p = db.prepare('SELECT ?1 + ?2 AS s, ?2 AS second');
  assert.deepEqual(p.get([2, 3]), { s: 5, second: 3 });
  assert.throws(() => p.get([1, 2, 3]), RangeError);
  // A single value binds the first parameter; unbound ones are NULL.
  assert.deepEqual(p.get(7), { s: null, second: null });
});

test('errors carry SQLite code, message and offset', () => {
  const db = new Database();
  db.exec('CREATE TABLE t(a UNIQUE)');
  for (const sql of ['SELEC 1', 'SELECT nosuch FROM t', "SELECT 'é😀', nosuch", 'SELECT * FROM nope']) {
    const want = sqliteError(sql.replace('FROM t', 'FROM (SELECT 1 AS a)'));
    assert.throws(() => db.prepare(sql), (e) => {
      assert.equal(e.name, 'SqliteError');
      assert.equal(e.message, want.message);
      assert.equal(e.code, 'SQLITE_ERROR');
      assert.equal(e.errcode, 1);
      if (want.offset !== undefined) assert.equal(e.offset, want.offset, sql);
      return true;
    }, sql);
  }
  // exec reports the offset in the whole script.
  const script = "INSERT INTO t VALUES ('é');\nSELECT nosuch FROM t";
  const stmtError = sqliteError('SELECT nosuch FROM (SELECT 1 AS a)');
  assert.throws(() => db.exec(script), (e) => e.offset === script.indexOf('SELECT') + stmtError.offset);

  const unique = sqliteError('CREATE TABLE t(a UNIQUE); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)');
  db.exec('DELETE FROM t; INSERT INTO t VALUES (1)');
  assert.throws(() => db.prepare('INSERT INTO t VALUES (1)').run(), {
    name: 'SqliteError',
    message: unique.message,
    code: 'SQLITE_CONSTRAINT_UNIQUE',
    errcode: 2067,
  });
  // The failed statement changed nothing.
  assert.deepEqual(db.exec('SELECT count(*) FROM t')[0].values, [[1]]);
});

test('transactions', () => {
  const db = new Database();
  db.exec('CREATE TABLE t(x)');
  assert.equal(db.inTransaction, false);
  db.exec('BEGIN; INSERT INTO t VALUES (1)');
  assert.equal(db.inTransaction, true);
  db.exec('ROLLBACK');
  assert.equal(db.inTransaction, false);
  assert.deepEqual(db.prepare('SELECT count(*) AS n FROM t').get(), { n: 0 });
});

test('JavaScript functions', () => {
  const db = new Database();
  db.function('js_add', (a, b) => a + b);
  db.function('js_concat', (...xs) => xs.join('+'), { varargs: true });
  db.function('js_len', (b) => b.length, { deterministic: true });
  db.function('js_fail', () => {
    throw new Error('no good');
  });
  db.function('js_big', () => 2n ** 62n);
  assert.deepEqual(db.prepare('SELECT js_add(2, 3) AS s, js_concat(1, 2, 3) AS c, js_big() AS b').get(), {
    s: 5,
    c: '1+2+3',
    b: 2n ** 62n,
  });
  // Fixed arity: another count is SQLite's "wrong number of arguments".
  assert.throws(() => db.prepare('SELECT js_add(1)'), { message: 'wrong number of arguments to function js_add()' });
  assert.throws(() => db.prepare('SELECT js_fail()').get(), { name: 'SqliteError', message: 'no good', code: 'SQLITE_ERROR' });
  // Deterministic functions may be used in an index expression.
  db.exec("CREATE TABLE t(b BLOB); CREATE INDEX t_len ON t(js_len(b)); INSERT INTO t VALUES (x'0102'), (x'010203')");
  assert.deepEqual(db.prepare('SELECT hex(b) AS h FROM t WHERE js_len(b) = 3').all(), [{ h: '010203' }]);
});

test('a function cannot use its own connection mid-statement, but may use another', () => {
  const db = new Database();
  const other = new Database();
  other.exec('CREATE TABLE k(v); INSERT INTO k VALUES (41)');
  db.function('own', () => db.prepare('SELECT 1 AS x').get().x);
  db.function('closes', () => db.close());
  db.function('other', () => other.prepare('SELECT v + 1 AS v FROM k').get().v);
  for (const sql of ['SELECT own()', 'SELECT closes()']) {
    assert.throws(() => db.prepare(sql).get(), {
      name: 'SqliteError',
      message: 'This database connection is busy executing a query',
    });
  }
  assert.equal(db.open, true);
  assert.deepEqual(db.prepare('SELECT other() AS v').get(), { v: 42 });
  assert.deepEqual(db.prepare('SELECT 1 AS x').get(), { x: 1 });
});

test('random() is random', () => {
  const db = new Database();
  const [[a, b]] = db.exec('SELECT random(), random()')[0].values;
  assert.notEqual(a, b);
  assert.equal(db.prepare('SELECT length(randomblob(16)) AS n').get().n, 16);
});

test('export gives a file stock SQLite opens; a file SQLite made opens here', () => {
  const dir = tempDir();
  const db = new Database();
  db.exec(`CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);
    CREATE INDEX t_b ON t(b);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
    INSERT INTO t(b, c) SELECT 'row ' || i, zeroblob(i * 10) FROM n;`);
  const file = path.join(dir, 'exported.db');
  fs.writeFileSync(file, db.export());
  assert.equal(sqliteList(file, 'PRAGMA integrity_check').trim(), 'ok');
  assert.deepEqual(sqliteRows(file, 'SELECT count(*) AS n, sum(length(c)) AS s, max(b) AS m FROM t'), [
    db.prepare('SELECT count(*) AS n, sum(length(c)) AS s, max(b) AS m FROM t').get(),
  ]);

  const made = path.join(dir, 'made.db');
  sqliteList(made, `CREATE TABLE u(x, y); CREATE INDEX u_y ON u(y);
    INSERT INTO u VALUES (1, 'a'), (2.5, x'00ff'), (NULL, 'ü');
    CREATE VIEW v AS SELECT x * 2 AS d FROM u WHERE x IS NOT NULL;`);
  const copy = new Database(fs.readFileSync(made));
  const want = sqliteRows(made, 'SELECT quote(x) AS x, quote(y) AS y FROM u ORDER BY rowid');
  assert.deepEqual(copy.prepare('SELECT quote(x) AS x, quote(y) AS y FROM u ORDER BY rowid').all(), want);
  assert.deepEqual(copy.prepare('SELECT d FROM v').all(), sqliteRows(made, 'SELECT d FROM v'));
  // The copy is in memory: writing to it leaves the file alone.
  copy.exec('DELETE FROM u');
  assert.equal(sqliteList(made, 'SELECT count(*) FROM u').trim(), '3');
  // Not a database: SQLite's error on first use.
  const junk = new Database(new Uint8Array(4096).fill(7));
  assert.throws(() => junk.exec('SELECT * FROM sqlite_schema'), { message: 'file is not a database', code: 'SQLITE_NOTADB' });
  fs.rmSync(dir, { recursive: true });
});

/** A synchronous access handle over a file, as OPFS gives one in a Worker. */
class FileHandle {
  constructor(file) {
    this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    this.calls = { flush: 0 };
  }
  read(buf, { at }) {
    return fs.readSync(this.fd, buf, 0, buf.length, at);
  }
  write(buf, { at }) {
    return fs.writeSync(this.fd, buf, 0, buf.length, at);
  }
  flush() {
    this.calls.flush++;
    fs.fsyncSync(this.fd);
  }
  truncate(size) {
    fs.ftruncateSync(this.fd, size);
  }
  getSize() {
    return fs.fstatSync(this.fd).size;
  }
  close() {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

test('a database over synchronous handles persists and stock SQLite reads it', () => {
  const dir = tempDir();
  const file = path.join(dir, 'app.db');
  const open = () => {
    const h = [new FileHandle(file), new FileHandle(`${file}-journal`)];
    return [Database.fromHandles('app.db', h[0], h[1]), h];
  };
  let [db, handles] = open();
  db.exec('CREATE TABLE t(a INTEGER PRIMARY KEY, b); CREATE INDEX t_b ON t(b)');
  const insert = db.prepare('INSERT INTO t(b) VALUES (?)');
  db.exec('BEGIN');
  for (let i = 0; i < 2000; i++) insert.run([`value ${i}`]);
  db.exec('COMMIT');
  assert.ok(handles[0].calls.flush > 0, 'commits flush the database file');
  assert.equal(fs.statSync(`${file}-journal`).size, 0, 'the journal is emptied after each commit');
  db.close();
  assert.equal(handles[0].fd, null, 'close closes the handles');
  assert.throws(() => db.exec('SELECT 1'), { name: 'TypeError', message: 'The database connection is not open' });
  assert.throws(() => insert.run(['x']), TypeError);

  assert.equal(sqliteList(file, 'PRAGMA integrity_check').trim(), 'ok');
  assert.deepEqual(sqliteRows(file, "SELECT count(*) AS n, max(b) AS m FROM t WHERE b LIKE 'value 1%'"), [
    { n: 1111, m: 'value 1999' },
  ]);

  // Stock SQLite writes; Brisk reopens and sees it.
  sqliteList(file, "INSERT INTO t(b) VALUES ('from sqlite3')");
  [db, handles] = open();
  assert.deepEqual(db.prepare('SELECT a, b FROM t ORDER BY a DESC LIMIT 1').get(), { a: 2001, b: 'from sqlite3' });
  // A rolled-back transaction leaves nothing behind.
  db.exec("BEGIN; DELETE FROM t; INSERT INTO t(b) VALUES ('gone'); ROLLBACK");
  assert.deepEqual(db.prepare('SELECT count(*) AS n FROM t').get(), { n: 2001 });
  db.close();
  assert.equal(sqliteList(file, 'PRAGMA integrity_check; SELECT count(*) FROM t').trim(), 'ok\n2001');
  fs.rmSync(dir, { recursive: true });
});

test('a hot journal left by a failed commit is rolled back on the next open', () => {
  const dir = tempDir();
  const file = path.join(dir, 'crash.db');
  const handles = () => [new FileHandle(file), new FileHandle(`${file}-journal`)];
  let h = handles();
  let db = Database.fromHandles('crash.db', h[0], h[1]);
  db.exec("CREATE TABLE t(x); INSERT INTO t VALUES ('kept')");
  db.close();

  // The database file dies after its first write of the next commit.
  h = handles();
  let writes = 0;
  const write = h[0].write.bind(h[0]);
  h[0].write = (buf, opts) => {
    if (++writes > 1) throw Object.assign(new Error('the disk went away'), { name: 'InvalidStateError' });
    return write(buf, opts);
  };
  db = Database.fromHandles('crash.db', h[0], h[1]);
  assert.throws(() => db.exec("BEGIN; DELETE FROM t; INSERT INTO t VALUES (zeroblob(20000)); COMMIT"), (e) => {
    assert.equal(e.code.startsWith('SQLITE_IOERR'), true, e.code);
    return true;
  });
  // Simulate the crash: the handles go away with the journal in place.
  h[0].close();
  h[1].close();
  assert.ok(fs.statSync(`${file}-journal`).size > 0, 'the journal is hot');

  h = handles();
  db = Database.fromHandles('crash.db', h[0], h[1]);
  assert.deepEqual(db.prepare('SELECT x FROM t').all(), [{ x: 'kept' }]);
  db.close();
  assert.equal(sqliteList(file, 'PRAGMA integrity_check; SELECT x FROM t').trim(), 'ok\nkept');
  fs.rmSync(dir, { recursive: true });
});
