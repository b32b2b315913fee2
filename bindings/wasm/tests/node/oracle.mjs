// The reference: Debian's sqlite3 shell, run on the same SQL. Expectations come from it, never
// from Brisk's own output.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The Node build (`wasm-bindgen --target nodejs`). */
export const brisk = require('../../pkg-node/brisk_wasm.js');

export const SQLITE3 = process.env.SQLITE3 ?? '/usr/bin/sqlite3';

/** Rows of the last statement of `sql`, as sqlite3 -json prints them ([] when there are none). */
export function sqliteRows(file, sql) {
  const out = execFileSync(SQLITE3, ['-json', file, sql], { encoding: 'utf8' });
  const text = out.trim();
  if (text === '') return [];
  // -json prints one array per statement that returned rows; take the last.
  const arrays = text.split(/\n(?=\[)/);
  return JSON.parse(arrays[arrays.length - 1]);
}

/** Output of sqlite3 in list mode. */
export function sqliteList(file, sql) {
  return execFileSync(SQLITE3, [file, sql], { encoding: 'utf8' });
}

/**
 * The error sqlite3 reports for `sql` (one statement): `{ message, offset }`, the offset in
 * UTF-16 code units when the shell shows where the error is (it shows a byte column).
 */
export function sqliteError(sql) {
  const r = spawnSync(SQLITE3, [':memory:', sql], { encoding: 'utf8' });
  if (r.status === 0) throw new Error(`sqlite3 accepted: ${sql}`);
  const lines = r.stderr.split('\n');
  const m = /^Error: (?:in prepare|stepping), (.*?)(?: \(\d+\))?$/.exec(lines[0]);
  if (!m) throw new Error(`unexpected sqlite3 output: ${r.stderr}`);
  let offset;
  const caret = lines.findIndex((l) => l.includes('^--- error here'));
  if (caret > 0) {
    const byte = lines[caret].indexOf('^') - 2;
    const stmtBytes = Buffer.from(lines[caret - 1].slice(2));
    const within = stmtBytes.subarray(0, byte).toString('utf8').length;
    // The shell shows the statement as given; find it in `sql` to get the script offset.
    offset = sql.indexOf(lines[caret - 1].slice(2).trimEnd()) + within;
  }
  return { message: m[1], offset };
}
