// Brisk's WebAssembly build against SQLite's official one (@sqlite.org/sqlite-wasm), in the same
// Node process, on the same workloads: both engines in memory, driven through their JS APIs with
// prepared statements. Prints the .wasm sizes (raw and gzip -9) and, per workload, the median
// and p99 latency of one operation and Brisk's ratio to SQLite.
//
//   node bench/bench.mjs [ROWS]        (after build.sh; ROWS defaults to 20000)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { Database } = require('../pkg-node/brisk_wasm.js');
const rows = Number(process.argv[2] ?? 20000);

function size(file) {
  const bytes = fs.readFileSync(file);
  return { raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `op(i)` n times; returns median and p99 in microseconds. */
function measure(n, op) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    op(i);
    times[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  times.sort();
  return { p50: percentile(times, 50), p99: percentile(times, 99), total: times.reduce((a, b) => a + b, 0) };
}

const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, grp INTEGER); CREATE INDEX t_grp ON t(grp)';

function briskEngine() {
  const db = new Database();
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
  const point = db.prepare('SELECT name, score FROM t WHERE id = ?');
  const range = db.prepare('SELECT count(*), sum(score) FROM t WHERE grp = ?');
  point.raw(true);
  range.raw(true);
  return {
    begin: () => db.exec('BEGIN'),
    commit: () => db.exec('COMMIT'),
    insert: (i) => insert.run([i, `name ${i}`, i * 0.5, i % 100]),
    point: (i) => point.get([i]),
    range: (i) => range.get([i % 100]),
    scan: () => db.exec('SELECT grp, count(*), avg(score) FROM t GROUP BY grp ORDER BY 3 DESC LIMIT 5'),
  };
}

function sqliteEngine(sqlite3) {
  const db = new sqlite3.oo1.DB(':memory:');
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
  const point = db.prepare('SELECT name, score FROM t WHERE id = ?');
  const range = db.prepare('SELECT count(*), sum(score) FROM t WHERE grp = ?');
  const one = (stmt, params) => {
    stmt.bind(params);
    const row = stmt.step() ? stmt.get([]) : undefined;
    stmt.reset();
    return row;
  };
  return {
    begin: () => db.exec('BEGIN'),
    commit: () => db.exec('COMMIT'),
    insert: (i) => {
      insert.bind([i, `name ${i}`, i * 0.5, i % 100]).stepReset();
    },
    point: (i) => one(point, [i]),
    range: (i) => one(range, [i % 100]),
    scan: () => db.exec({ sql: 'SELECT grp, count(*), avg(score) FROM t GROUP BY grp ORDER BY 3 DESC LIMIT 5', returnValue: 'resultRows' }),
  };
}

function workloads(engine) {
  const out = {};
  engine.begin();
  out[`insert (${rows} rows, one transaction)`] = measure(rows, (i) => engine.insert(i + 1));
  engine.commit();
  out['point lookup by rowid'] = measure(rows, (i) => engine.point((i * 7919) % rows + 1));
  out['indexed count+sum (200 rows)'] = measure(2000, (i) => engine.range(i));
  out['GROUP BY scan of every row'] = measure(50, () => engine.scan());
  return out;
}

const sqlite3 = await sqlite3InitModule();
const briskWasm = size(path.join(here, '../pkg-node/brisk_wasm_bg.wasm'));
const sqliteWasm = size(require.resolve('@sqlite.org/sqlite-wasm/package.json').replace('package.json', 'dist/sqlite3.wasm'));
console.log(`engines: Brisk (bindings/wasm) and SQLite ${sqlite3.version.libVersion} (@sqlite.org/sqlite-wasm), Node ${process.version}`);
console.log(`wasm size: Brisk ${briskWasm.raw} bytes (${briskWasm.gzip} gzip -9), SQLite ${sqliteWasm.raw} bytes (${sqliteWasm.gzip} gzip -9): ${(briskWasm.raw / sqliteWasm.raw).toFixed(2)}x`);

// Warm both up once, then measure each in turn.
workloads(briskEngine());
workloads(sqliteEngine(sqlite3));
const b = workloads(briskEngine());
const s = workloads(sqliteEngine(sqlite3));
const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
console.log('| workload | Brisk p50 | SQLite p50 | Brisk p99 | SQLite p99 | total ratio |');
console.log('|---|---|---|---|---|---|');
for (const name of Object.keys(b)) {
  console.log(`| ${name} | ${fmt(b[name].p50)} | ${fmt(s[name].p50)} | ${fmt(b[name].p99)} | ${fmt(s[name].p99)} | ${(b[name].total / s[name].total).toFixed(2)}x |`);
}
