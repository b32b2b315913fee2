// The playground page (www/index.html) in headless Chromium, and the Worker API under it, with
// a persistent database in the Origin Private File System. Every expected value comes from the
// stock sqlite3 shell (/usr/bin/sqlite3) running the same SQL.
//
//   bash build.sh && node tests/browser/playground.mjs        (from bindings/wasm)
//
// Serves www/ on 127.0.0.1 (no COOP/COEP headers: the design needs none), drives Debian's
// chromium with playwright-core in a fresh profile (so OPFS survives a reload within the test),
// and leaves screenshots in test-artifacts/ (playground.png with results, playground-error.png,
// playground-plan.png). Exits non-zero on failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.resolve(here, '../..');
const www = path.join(wasmDir, 'www');
const artifacts = path.join(wasmDir, 'test-artifacts');
const SQLITE = process.env.SQLITE3 ?? '/usr/bin/sqlite3';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const started = Date.now();

// ---------------------------------------------------------------------------------------------
// The stock sqlite3 shell

const US = '\x1f'; // column separator in sqlite3's output
const RS = '\x1e'; // row separator

function sqlite3(args, { allowFail = false } = {}) {
  const r = spawnSync(SQLITE, ['-batch', ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (!allowFail && (r.status !== 0 || r.stderr)) {
    throw new Error(`sqlite3 ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  return r;
}

function splitRows(out) {
  return out.split(RS).slice(0, -1).map((row) => row.split(US));
}

/** The rows the last statements of `sql` print on `db`, as the playground shows their cells:
 * NULL as `NULL`, a blob as x'hex', an integer as its digits, a real as the shell prints it
 * (`%!.15g`; a whole one as an integer, see below) and text as itself. Returns { columns, rows } (columns from the header). */
function sqliteExpected(db, sql) {
  const common = ['-cmd', '.headers on', '-cmd', `.separator ${US} ${RS}`];
  const quoted = splitRows(sqlite3(['-cmd', '.mode quote', ...common, db, sql]).stdout);
  const listed = splitRows(sqlite3(['-cmd', '.mode list', '-cmd', '.nullvalue NULL', ...common, db, sql]).stdout);
  assert.equal(quoted.length, listed.length);
  if (listed.length === 0) return { columns: [], rows: [] };
  const rows = listed.slice(1).map((row, r) =>
    row.map((shown, c) => {
      const q = quoted[r + 1][c];
      if (q === 'NULL') return 'NULL';
      if (/^X'[0-9a-fA-F]*'$/.test(q)) return `x'${q.slice(2, -1).toLowerCase()}'`;
      if (q.startsWith("'")) return q.slice(1, -1).replaceAll("''", "'");
      // A number, as the shell shows it; except that the API hands the page integers and reals
      // alike as numbers, so a whole real (6499.0) shows as an integer (6499).
      if (!/^-?\d+$/.test(q) && Number.isInteger(Number(q)) && Math.abs(Number(q)) <= Number.MAX_SAFE_INTEGER) {
        return String(Number(q));
      }
      return shown;
    }),
  );
  return { columns: listed[0], rows };
}

/** Where the sqlite3 shell says `sql` fails: { message, offset } with `offset` the UTF-16 index
 * into `sql` (from the shell's `^--- error here` context), or undefined without one. */
function sqliteError(db, sql) {
  const r = sqlite3([db, sql], { allowFail: true });
  assert.notEqual(r.status, 0, `sqlite3 accepted ${sql}`);
  const lines = r.stderr.split('\n');
  const message = lines[0]
    .replace(/^(?:Parse error|Runtime error|Error)(?: near line \d+)?: /, '')
    .replace(/^(?:in prepare|stepping), /, '')
    .replace(/ \(\d+\)$/, '');
  let offset;
  const caretLine = lines.findIndex((l) => /^ {2}\s*(\^--- error here|error here ---\^)/.test(l));
  if (caretLine > 0) {
    const context = lines[caretLine - 1].slice(2);
    const caretByte = lines[caretLine].indexOf('^') - 2;
    // The context is the statement from its start (or from a later point when it is long), with
    // whitespace shown as spaces: find it in `sql`.
    const flat = sql.replace(/\s/g, ' ');
    const start = flat.indexOf(context);
    assert.ok(start >= 0, `sqlite3's error context ${JSON.stringify(context)} is not in the SQL`);
    offset = start + Buffer.from(context).subarray(0, caretByte).toString().length;
  }
  return { message, offset };
}

/** sqlite3's EXPLAIN QUERY PLAN tree for `query` on `db`, as the shell prints it. */
function sqlitePlan(db, query) {
  return sqlite3([db, `EXPLAIN QUERY PLAN ${query}`]).stdout.trimEnd();
}

/** Line and column (1-based, the column in characters) of UTF-16 index `offset` in `text`. */
function lineColumn(text, offset) {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: [...text.slice(lineStart, offset)].length + 1 };
}

// ---------------------------------------------------------------------------------------------
// A static file server for www/

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function serve(root) {
  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const file = path.join(root, path.normalize(pathname));
    if (!file.startsWith(root + path.sep) || req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(403).end();
      return;
    }
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'content-length': stat.size,
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---------------------------------------------------------------------------------------------
// The page

async function idle(page) {
  await page.waitForFunction(() => document.body.dataset.ready === '1' && !document.body.dataset.busy);
}

/** The result tables: { columns, rows (cell texts), classes (cell classes) } each. */
function tables(page) {
  return page.$$eval('#results table.result', (ts) =>
    ts.map((t) => ({
      columns: [...t.tHead.rows[0].cells].map((c) => c.textContent),
      rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
      classes: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.className)),
    })),
  );
}

async function errorShown(page) {
  return page.$eval('#error', (e) => (e.hidden ? null : { text: e.textContent, ...e.dataset }));
}

/** Puts `sql` in the editor and runs it with the Run button or with Ctrl-Enter. */
async function run(page, sql, { key = false } = {}) {
  await page.fill('#sql', sql);
  if (key) await page.press('#sql', 'Control+Enter');
  else await page.click('#run');
  await idle(page);
  return { tables: await tables(page), error: await errorShown(page), status: await page.textContent('#status') };
}

async function planTree(page) {
  await page.click('#plan');
  await idle(page);
  assert.equal(await errorShown(page), null, 'the query plan failed');
  return (await page.textContent('#plan-tree')).trimEnd();
}

/** The SCAN and SEARCH lines of a plan tree, as drawn (with their tree prefixes). */
function scanLines(tree) {
  return tree.split('\n').filter((l) => /(?:^|--)(?:SCAN|SEARCH) /.test(l));
}

function assertPlan(pageTree, sqliteTree, what) {
  const expected = scanLines(sqliteTree);
  assert.ok(expected.length > 0, `sqlite3 printed no SCAN/SEARCH line for ${what}:\n${sqliteTree}`);
  assert.ok(pageTree.startsWith('QUERY PLAN\n'), `the plan tree starts with QUERY PLAN:\n${pageTree}`);
  for (const line of expected) {
    assert.ok(pageTree.split('\n').includes(line), `${what}: the page's plan lacks sqlite3's line\n  ${line}\npage:\n${pageTree}\nsqlite3:\n${sqliteTree}`);
  }
  if (pageTree !== sqliteTree) console.log(`note: ${what}: plan differs from sqlite3's beyond SCAN/SEARCH\npage:\n${pageTree}\nsqlite3:\n${sqliteTree}`);
}

// ---------------------------------------------------------------------------------------------
// The test

const SETUP = `DROP TABLE IF EXISTS items;
CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, note TEXT, data BLOB, big INTEGER);
CREATE INDEX items_name ON items(name);
INSERT INTO items VALUES (1, 'apple', 3.25, NULL, x'00ff10', 9007199254740993);
INSERT INTO items VALUES (2, 'crème brûlée ☃ 日本 😀', -2.5e-7, 'it''s', NULL, -42);
INSERT INTO items VALUES (3, NULL, 1e100, '', x'', 0);
INSERT INTO items(name, price) VALUES ('tab	and  spaces', 0.1);
`;
const SELECT_ITEMS = 'SELECT id, name, price, note, data, big, typeof(price) AS t FROM items ORDER BY id;';

async function main() {
  assert.ok(fs.existsSync(path.join(www, 'pkg', 'brisk_wasm_bg.wasm')), 'www/pkg is missing: run build.sh first');
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium)`);
  assert.ok(fs.existsSync(SQLITE), `${SQLITE} is missing (apt-get install sqlite3)`);
  fs.mkdirSync(artifacts, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-playground-'));
  const refDb = path.join(tmp, 'reference.db'); // what the page's playground.db should hold
  const summary = [];

  const server = await serve(www);
  const url = `http://127.0.0.1:${server.address().port}/`;
  let context;
  try {
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
      acceptDownloads: true,
      viewport: { width: 1100, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    const pageErrors = [];
    page.on('pageerror', (e) => {
      pageErrors.push(e);
      console.error(`page error: ${e.stack ?? e}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') console.error(`console error: ${m.text()}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) console.error(`HTTP ${res.status()} for ${res.url()}`);
    });
    page.on('requestfailed', (req) => console.error(`request failed: ${req.url()}: ${req.failure()?.errorText}`));

    // 1. The page opens playground.db from OPFS.
    await page.goto(url);
    await idle(page);
    assert.equal(await page.textContent('#db-name'), 'playground.db');
    assert.ok((await page.inputValue('#sql')).includes('CREATE TABLE'), 'the editor starts with an example');
    summary.push('page ready with playground.db');

    // 2. A script: rows with NULL, a real, unicode text and blobs; cells as sqlite3 shows them.
    sqlite3([refDb, SETUP]);
    const expected = sqliteExpected(refDb, SELECT_ITEMS);
    let r = await run(page, SETUP + SELECT_ITEMS);
    assert.equal(r.error, null, `the script failed: ${r.error?.text}`);
    assert.equal(r.tables.length, 1);
    assert.deepEqual(r.tables[0].columns, expected.columns);
    assert.deepEqual(r.tables[0].rows, expected.rows);
    assert.equal(r.tables[0].classes[0][3], 'null', 'NULL is shown distinctly');
    assert.equal(r.tables[0].classes[0][4], 'blob');
    assert.match(r.status, /4 rows/);
    await page.screenshot({ path: path.join(artifacts, 'playground.png'), fullPage: true });
    summary.push(`script: ${expected.rows.length} rows match sqlite3`);

    // 3. Several result sets, including one without rows.
    const multi = "SELECT 1 AS one, 'two' AS two; SELECT name FROM items WHERE 0; SELECT count(*) FROM items;";
    r = await run(page, multi);
    assert.equal(r.error, null);
    assert.deepEqual(r.tables.map((t) => t.columns), [['one', 'two'], ['name'], ['count(*)']]);
    assert.deepEqual(r.tables.map((t) => t.rows), [
      sqliteExpected(refDb, "SELECT 1 AS one, 'two' AS two").rows,
      [],
      sqliteExpected(refDb, 'SELECT count(*) FROM items').rows,
    ]);

    // 4. A syntax error: SQLite's message, and its line and column under a caret.
    const bad = "SELECT 1;\nSELECT id,\n  name, 'é' FROM items WHERE ORDER BY id;\nSELECT 2;";
    const want = sqliteError(refDb, bad);
    assert.ok(want.offset !== undefined, 'sqlite3 shows where the error is');
    const at = lineColumn(bad, want.offset);
    r = await run(page, bad);
    assert.ok(r.error, 'the error is shown');
    assert.ok(r.error.text.includes(want.message), `#error shows ${want.message}: ${r.error.text}`);
    assert.ok(r.error.text.includes('SQLITE_ERROR'), 'the error shows its code');
    assert.ok(r.error.text.includes(`line ${at.line}, column ${at.column}`), `#error gives line ${at.line}, column ${at.column}: ${r.error.text}`);
    assert.equal(Number(r.error.offset), want.offset);
    const shownContext = await page.textContent('#error .context');
    const [errLine, caret] = shownContext.split('\n');
    assert.equal(errLine, bad.split('\n')[at.line - 1]);
    assert.equal([...caret].indexOf('^'), at.column - 1, `the caret is under column ${at.column}:\n${shownContext}`);
    assert.equal(await page.$eval('#sql', (e) => e.selectionStart), want.offset, "the editor's selection moves to the error");
    assert.equal(r.tables.length, 0);
    await page.screenshot({ path: path.join(artifacts, 'playground-error.png') });
    summary.push(`syntax error: "${want.message}" at line ${at.line}, column ${at.column}`);

    // "no such column" has a position too.
    const noColumnSql = 'SELECT 1;\nSELECT id, nosuch FROM items;';
    const noColumn = sqliteError(refDb, noColumnSql);
    r = await run(page, noColumnSql);
    assert.ok(r.error?.text.includes(noColumn.message), `#error shows ${noColumn.message}: ${r.error?.text}`);
    if (noColumn.offset !== undefined) assert.equal(Number(r.error.offset), noColumn.offset);

    // An error without a position in the script ("no such table"), as sqlite3 words it.
    const missing = sqliteError(refDb, 'SELECT * FROM nosuch');
    r = await run(page, 'SELECT * FROM nosuch');
    assert.ok(r.error?.text.includes(missing.message), `#error shows ${missing.message}: ${r.error?.text}`);

    // 5. Explain and Query plan, for the statement at the cursor.
    const searchQuery = 'SELECT name FROM items WHERE id = 2';
    const scanQuery = "SELECT id FROM items WHERE note IS NULL OR name > 'b' ORDER BY price";
    await page.fill('#sql', `${scanQuery};\n-- a comment; with a semicolon\n${searchQuery};`);
    let tree = await planTree(page); // the cursor is at the end: the last statement
    assertPlan(tree, sqlitePlan(refDb, searchQuery), searchQuery);
    await page.$eval('#sql', (e) => e.setSelectionRange(3, 3)); // now in the first
    tree = await planTree(page);
    assertPlan(tree, sqlitePlan(refDb, scanQuery), scanQuery);
    await page.screenshot({ path: path.join(artifacts, 'playground-plan.png') });
    const indexQuery = "SELECT id FROM items WHERE name = 'apple'";
    await page.fill('#sql', indexQuery);
    tree = await planTree(page);
    assertPlan(tree, sqlitePlan(refDb, indexQuery), indexQuery);
    summary.push(`query plans match sqlite3: ${scanLines(tree).map((l) => l.replace(/^[|`\- ]+/, '')).join('; ')}`);

    await page.fill('#sql', searchQuery);
    await page.click('#explain');
    await idle(page);
    assert.equal(await errorShown(page), null);
    const bytecode = (await tables(page))[0];
    assert.deepEqual(bytecode.columns, ['addr', 'opcode', 'p1', 'p2', 'p3', 'p4', 'p5', 'comment']);
    assert.ok(bytecode.rows.length > 2, 'EXPLAIN lists instructions');
    assert.deepEqual(bytecode.rows.map((row) => row[0]), bytecode.rows.map((_, i) => String(i)), 'addresses count from 0');
    assert.ok(bytecode.rows.some((row) => row[1] === 'ResultRow'), 'the bytecode has a ResultRow');
    // An error in EXPLAIN's statement points into the editor's text, not the EXPLAIN prefix.
    await page.fill('#sql', 'SELECT 1;\nSELECT FROM items;');
    await page.click('#explain');
    await idle(page);
    const explainError = await errorShown(page);
    const explainWant = sqliteError(refDb, 'SELECT 1;\nSELECT FROM items;');
    assert.ok(explainError?.text.includes(explainWant.message), `explain error: ${explainError?.text}`);
    assert.equal(Number(explainError.offset), explainWant.offset);
    summary.push(`explain: ${bytecode.rows.length} instructions`);

    // 6. A reload: playground.db still holds the rows. Ctrl-Enter runs the editor.
    await page.reload();
    await idle(page);
    assert.equal(await page.textContent('#db-name'), 'playground.db');
    r = await run(page, SELECT_ITEMS, { key: true });
    assert.equal(r.error, null, r.error?.text);
    assert.deepEqual(r.tables[0].rows, expected.rows);
    summary.push('rows survive a reload (OPFS); Ctrl-Enter runs');

    // 7. Download: stock sqlite3 opens the file and finds the rows.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.equal(download.suggestedFilename(), 'playground.db');
    const downloaded = path.join(tmp, 'downloaded.db');
    await download.saveAs(downloaded);
    await idle(page);
    assert.equal(sqlite3([downloaded, 'PRAGMA integrity_check;']).stdout.trim(), 'ok');
    assert.deepEqual(sqliteExpected(downloaded, SELECT_ITEMS), expected);
    assert.equal(sqlite3([downloaded, "SELECT name FROM sqlite_schema WHERE type = 'index'"]).stdout.trim(), 'items_name');
    summary.push(`download: ${fs.statSync(downloaded).size} bytes, integrity ok, rows match`);

    // 8. A file that is not a database: the error shows and playground.db is open again.
    const notDb = path.join(tmp, 'broken.db');
    fs.writeFileSync(notDb, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080, 7)]));
    await page.setInputFiles('#open-file', notDb);
    await idle(page);
    const notDbError = await errorShown(page);
    assert.ok(notDbError?.text.includes('SQLITE_NOTADB'), `opening broken.db: ${notDbError?.text}`);
    assert.equal(await page.textContent('#db-name'), 'playground.db');
    r = await run(page, 'SELECT count(*) FROM items');
    assert.deepEqual(r.tables[0]?.rows, [['4']]);

    // Open a database file that sqlite3 made.
    const fixture = path.join(tmp, 'shop.sqlite');
    sqlite3([fixture, `
      CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
      CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer, total REAL, placed TEXT);
      CREATE INDEX orders_customer ON orders(customer_id);
      CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
      INSERT INTO customer(name, city) VALUES ('Ada', 'London'), ('Grace', 'New York'), ('Linus', NULL), ('Zoë', 'Zürich');
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
      INSERT INTO orders(customer_id, total, placed) SELECT i % 4 + 1, (i * 37 % 251) + 0.5, date('2024-01-01', '+' || i || ' days') FROM n;`]);
    await page.setInputFiles('#open-file', fixture);
    await page.waitForFunction(() => document.getElementById('db-name').textContent.includes('shop.sqlite'));
    await idle(page);
    const fixtureQuery = `SELECT c.name, c.city, count(o.id) AS n, round(sum(o.total), 2) AS total, max(o.placed) AS last
      FROM customer c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY total DESC;`;
    r = await run(page, fixtureQuery);
    assert.equal(r.error, null, r.error?.text);
    const fixtureExpected = sqliteExpected(fixture, fixtureQuery);
    assert.deepEqual(r.tables[0].columns, fixtureExpected.columns);
    assert.deepEqual(r.tables[0].rows, fixtureExpected.rows);
    const viewQuery = 'SELECT count(*), min(total) FROM big_orders';
    r = await run(page, viewQuery);
    assert.deepEqual(r.tables[0].rows, sqliteExpected(fixture, viewQuery).rows);
    const fixturePlanQuery = 'SELECT total FROM orders WHERE customer_id = 3';
    await page.fill('#sql', fixturePlanQuery);
    assertPlan(await planTree(page), sqlitePlan(fixture, fixturePlanQuery), fixturePlanQuery);
    summary.push(`opened shop.sqlite from disk: ${fixtureExpected.rows.length} rows match sqlite3`);

    // 9. An empty in-memory database, then back to playground.db.
    await page.click('#memory');
    await idle(page);
    assert.equal(await page.textContent('#db-name'), ':memory:');
    r = await run(page, 'SELECT count(*) FROM sqlite_schema');
    assert.deepEqual(r.tables[0].rows, [['0']]);
    await page.click('#persistent');
    await idle(page);
    assert.equal(await page.textContent('#db-name'), 'playground.db');
    r = await run(page, SELECT_ITEMS);
    assert.deepEqual(r.tables[0].rows, expected.rows);
    summary.push('switched to :memory: and back to playground.db');

    // 10. The Worker API directly.
    const errorSql = "SELECT '☃😀';\n  SELEC 2";
    const api = await page.evaluate(async (errorSql) => {
      const { openDatabase } = await import('./pkg/client.js');
      const show = (v) => (v === null ? null : typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v);
      const caught = async (promise) => {
        try {
          await promise;
          return 'no error';
        } catch (e) {
          return { name: e.name, message: e.message, code: e.code, errcode: e.errcode, offset: e.offset };
        }
      };
      const out = {};
      const a = await openDatabase({ persistent: 'api-test.db' });
      out.name = a.name;
      await a.exec('CREATE TABLE kv(k TEXT PRIMARY KEY, v)');
      const ran = await a.run('INSERT INTO kv VALUES (?, ?)', ['big', 2n ** 62n + 1n]);
      out.run = { changes: ran.changes, lastInsertRowid: show(ran.lastInsertRowid) };
      await a.run('INSERT INTO kv VALUES (:k, :v)', { k: 'blob', v: new Uint8Array([1, 2, 254]) });
      await a.run('INSERT INTO kv VALUES ($k, $v)', { k: 'real', v: 0.5 });
      out.busy = await caught(openDatabase({ persistent: 'api-test.db' }));
      out.busyPage = await caught(openDatabase({ persistent: 'playground.db' }));
      out.error = await caught(a.exec(errorSql));
      out.constraint = await caught(a.run('INSERT INTO kv VALUES (?, 1)', ['big']));
      await a.close();
      out.afterClose = await caught(a.exec('SELECT 1'));
      const b = await openDatabase({ persistent: 'api-test.db' });
      out.rows = (await b.all('SELECT k, v FROM kv ORDER BY k', [], { raw: true })).map((row) => row.map(show));
      out.get = await b.get('SELECT typeof(v) AS t, length(v) AS n FROM kv WHERE k = ?', ['blob']);
      out.columns = await b.columns('SELECT k, v FROM kv');
      await b.close();
      const c = await openDatabase({ persistent: 'api-test.db' }); // closing released it
      out.reopenedCount = (await c.get('SELECT count(*) AS n FROM kv')).n;
      await c.close();
      return out;
    }, errorSql);
    assert.equal(api.name, 'api-test.db');
    assert.deepEqual(api.run, { changes: 1, lastInsertRowid: 1 });
    assert.equal(api.busy.code, 'SQLITE_BUSY', JSON.stringify(api.busy));
    assert.equal(api.busy.errcode, 5);
    assert.equal(api.busy.name, 'SqliteError');
    assert.equal(api.busyPage.code, 'SQLITE_BUSY', JSON.stringify(api.busyPage));
    const apiWant = sqliteError(':memory:', errorSql);
    assert.equal(api.error.name, 'SqliteError');
    assert.equal(api.error.message, apiWant.message);
    assert.equal(api.error.code, 'SQLITE_ERROR');
    assert.equal(api.error.errcode, 1);
    assert.equal(api.error.offset, apiWant.offset);
    assert.equal(api.error.offset, errorSql.indexOf('SELEC 2'), 'offsets are UTF-16 indexes');
    const constraint = sqliteError(':memory:', "CREATE TABLE kv(k TEXT PRIMARY KEY, v); INSERT INTO kv VALUES ('big', 1), ('big', 1)");
    assert.equal(api.constraint.message, constraint.message);
    assert.equal(api.constraint.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.equal(api.constraint.errcode, 1555);
    assert.match(api.afterClose.message, /not open/);
    assert.deepEqual(api.rows, [['big', `${2n ** 62n + 1n}n`], ['blob', [1, 2, 254]], ['real', 0.5]]);
    assert.deepEqual(api.get, { t: 'blob', n: 3 });
    assert.deepEqual(api.columns, [{ name: 'k', type: 'TEXT' }, { name: 'v', type: null }]);
    assert.equal(api.reopenedCount, 3);
    summary.push('worker API: persistence across close/reopen, SQLITE_BUSY for a second open, error code/errcode/offset');

    // 11. On the main thread: an in-memory Database directly, no Worker; OPFS's synchronous
    // handles exist only in a Worker, so a persistent open here is refused with a reason.
    const main = await page.evaluate(async () => {
      const { default: init, Database } = await import('./pkg/brisk_wasm.js');
      await init();
      const db = new Database();
      db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2.5), ('three'), (x'04'), (NULL)");
      const rows = db.prepare('SELECT quote(x) AS q FROM t ORDER BY rowid').all().map((r) => r.q);
      const copy = new Database(db.export());
      const copied = copy.prepare('SELECT count(*) AS n FROM t').get().n;
      let persistent;
      try {
        await Database.openPersistent('main-thread.db');
        persistent = 'opened';
      } catch (e) {
        persistent = { name: e.name, code: e.code, message: e.message };
      }
      return { rows, copied, persistent };
    });
    const mainWant = sqlite3([':memory:', "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2.5), ('three'), (x'04'), (NULL); SELECT quote(x) FROM t ORDER BY rowid"]);
    assert.deepEqual(main.rows, mainWant.stdout.trim().split('\n'));
    assert.equal(main.copied, 5);
    assert.equal(main.persistent.code, 'SQLITE_CANTOPEN', JSON.stringify(main.persistent));
    assert.match(main.persistent.message, /dedicated Worker/);
    summary.push('main thread: in-memory Database, export and reopen; persistent open refused outside a Worker');

    assert.deepEqual(pageErrors, [], 'no uncaught page errors');
  } finally {
    await context?.close().catch((e) => console.error(`closing the browser: ${e}`));
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  for (const line of summary) console.log(`ok - ${line}`);
  console.log(`playground: all passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshot in ${path.relative(process.cwd(), path.join(artifacts, 'playground.png'))}`);
}

const watchdog = setTimeout(() => {
  console.error('playground: timed out after 120 s');
  process.exit(1);
}, 120_000);
watchdog.unref();

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
