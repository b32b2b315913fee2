// The Brisk playground: a SQL editor over a database in a Worker (pkg/client.js). By default the
// database is playground.db in the browser's Origin Private File System, so it survives a reload;
// it can be switched to an empty in-memory database or to a copy of a database file from disk,
// and downloaded as a file stock SQLite opens.
//
// For tests: <body data-ready="1"> once a database is open, and data-busy while an operation
// (run, explain, switching databases) is in progress.
import { openDatabase } from './pkg/client.js';

const PERSISTENT_NAME = 'playground.db';
const STORAGE_KEY = 'brisk-playground.sql';
const MAX_ROWS = 1000; // rows shown per result table
const MAX_BLOB_BYTES = 256; // bytes of a blob shown in hex

const EXAMPLE = `-- Brisk, a SQLite-compatible database, running in this page.
-- playground.db is kept in the browser's storage: it survives a reload.
CREATE TABLE IF NOT EXISTS fruit(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  color TEXT,
  price REAL
);
INSERT OR IGNORE INTO fruit(name, color, price) VALUES
  ('apple', 'red', 0.5),
  ('banana', 'yellow', 0.25),
  ('cherry', 'red', 2.95),
  ('kiwi', NULL, 0.75);
SELECT color, count(*) AS n, round(avg(price), 2) AS avg_price
FROM fruit GROUP BY color ORDER BY n DESC, color;
`;

const $ = (id) => document.getElementById(id);
const editor = $('sql');
const results = $('results');
const errorBox = $('error');
const status = $('status');
const dbName = $('db-name');

let db = null;
/** What is open: { kind: 'persistent' | 'memory' | 'file', name, label }. */
let current = null;
let busy = false;

// ---------------------------------------------------------------------------------------------
// Values

/** A real as the sqlite3 shell shows it (`%!.15g`). */
function formatReal(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  const [mantissa, expText] = x.toExponential(14).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 15) {
    const m = mantissa.replace(/0+$/, '').replace(/\.$/, '.0');
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, 14 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '.0') : `${fixed}.0`;
}

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A table cell for one SQL value. */
function valueCell(v) {
  const td = document.createElement('td');
  if (v === null || v === undefined) {
    td.className = 'null';
    td.textContent = 'NULL';
  } else if (typeof v === 'bigint') {
    td.className = 'num';
    td.textContent = v.toString();
  } else if (typeof v === 'number') {
    td.className = 'num';
    // Integers up to 2^53 arrive as numbers; a whole number beyond that can only be a real.
    td.textContent = Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? String(v) : formatReal(v);
  } else if (v instanceof Uint8Array) {
    td.className = 'blob';
    const shown = v.length > MAX_BLOB_BYTES ? v.subarray(0, MAX_BLOB_BYTES) : v;
    td.textContent = `x'${hex(shown)}'${v.length > MAX_BLOB_BYTES ? '…' : ''}`;
    td.title = `blob, ${v.length} byte${v.length === 1 ? '' : 's'}`;
  } else {
    td.className = 'text';
    td.textContent = String(v);
  }
  return td;
}

function plural(n, word) {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function elapsed(ms) {
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function resultTable({ columns, values }, caption, extraClass = '') {
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  const table = document.createElement('table');
  table.className = `result ${extraClass}`.trim();
  if (caption) {
    const cap = document.createElement('caption');
    cap.textContent = caption;
    table.append(cap);
  }
  const head = table.createTHead().insertRow();
  for (const name of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = name;
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of values.slice(0, MAX_ROWS)) {
    const tr = body.insertRow();
    for (const v of row) tr.append(valueCell(v));
  }
  wrap.append(table);
  if (values.length > MAX_ROWS) {
    const more = document.createElement('p');
    more.className = 'more';
    more.textContent = `Showing the first ${plural(MAX_ROWS, 'row')} of ${values.length.toLocaleString('en-US')}.`;
    wrap.append(more);
  }
  return wrap;
}

/** EXPLAIN QUERY PLAN rows (id, parent, notused, detail) as the sqlite3 shell draws them. */
export function planTree(rows) {
  const children = new Map();
  for (const [id, parent, , detail] of rows) {
    const key = Number(parent);
    if (!children.has(key)) children.set(key, []);
    children.get(key).push({ id: Number(id), detail: String(detail) });
  }
  const lines = ['QUERY PLAN'];
  const seen = new Set();
  const level = (parent, prefix) => {
    const kids = children.get(parent) ?? [];
    kids.forEach((row, i) => {
      const last = i === kids.length - 1;
      lines.push(`${prefix}${last ? '`--' : '|--'}${row.detail}`);
      if (!seen.has(row.id)) {
        seen.add(row.id);
        level(row.id, prefix + (last ? '   ' : '|  '));
      }
    });
  };
  level(0, '');
  return lines.join('\n');
}

function clearOutput() {
  results.replaceChildren();
  errorBox.hidden = true;
  errorBox.replaceChildren();
  delete errorBox.dataset.line;
  delete errorBox.dataset.column;
  delete errorBox.dataset.offset;
}

/** Line (1-based), column (1-based, in characters) and the line's text at `offset` of `text`. */
function position(text, offset) {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = text.length;
  return {
    line: before.split('\n').length,
    column: [...text.slice(lineStart, offset)].length + 1,
    lineText: text.slice(lineStart, lineEnd).replace(/\r$/, ''),
    prefix: text.slice(lineStart, offset),
  };
}

/** Shows `e`; `offset`, when known, is where in the editor's text the error is. */
function showError(e, offset) {
  errorBox.replaceChildren();
  const head = document.createElement('div');
  head.className = 'error-head';
  const code = document.createElement('span');
  code.className = 'code';
  code.textContent = e.code ? `${e.code} (${e.errcode})` : e.name || 'Error';
  const msg = document.createElement('span');
  msg.className = 'message';
  msg.textContent = e.message;
  head.append(code, ' ', msg);
  errorBox.append(head);

  const text = editor.value;
  if (Number.isInteger(offset) && offset >= 0 && offset <= text.length) {
    const pos = position(text, offset);
    const where = document.createElement('div');
    where.className = 'where';
    where.textContent = `at line ${pos.line}, column ${pos.column}`;
    const context = document.createElement('pre');
    context.className = 'context';
    // The caret line keeps the tabs of the line so the caret lines up under the column.
    const pad = pos.prefix.replace(/[^\t]/gu, ' ');
    context.textContent = `${pos.lineText}\n${pad}^--- error here`;
    errorBox.append(where, context);
    errorBox.dataset.line = pos.line;
    errorBox.dataset.column = pos.column;
    errorBox.dataset.offset = offset;

    // Select the token at the error, and scroll the editor to it.
    const token = /^(?:[\p{L}\p{N}_$]+|"[^"]*"?|'[^']*'?|\S)/u.exec(text.slice(offset));
    editor.focus();
    editor.setSelectionRange(offset, offset + (token ? token[0].length : 0));
    const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
    const top = (pos.line - 1) * lineHeight;
    if (top < editor.scrollTop || top > editor.scrollTop + editor.clientHeight - lineHeight) {
      editor.scrollTop = Math.max(0, top - 2 * lineHeight);
    }
  }
  errorBox.hidden = false;
  status.textContent = 'Error.';
  status.className = 'status failed';
}

function setStatus(text) {
  status.textContent = text;
  status.className = 'status';
}

function showDatabase() {
  dbName.textContent = current.label;
  dbName.title = current.kind === 'persistent'
    ? 'Stored in the browser (Origin Private File System); kept across reloads'
    : current.kind === 'file' ? 'A copy in memory: download it to keep changes' : 'In memory: gone on reload';
  document.body.dataset.db = current.kind;
  $('persistent').setAttribute('aria-pressed', String(current.kind === 'persistent'));
  $('memory').setAttribute('aria-pressed', String(current.kind === 'memory'));
}

// ---------------------------------------------------------------------------------------------
// Statements in the editor

/** The [start, end) spans of the statements of `sql`, split at semicolons outside strings,
 * identifiers, comments and trigger bodies; `end` excludes the semicolon. */
export function statementSpans(sql) {
  const spans = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  const skipQuoted = (q) => {
    for (let j = i + 1; ; ) {
      const k = sql.indexOf(q, j);
      if (k < 0) return n;
      if (q !== ']' && sql[k + 1] === q) {
        j = k + 2;
        continue;
      }
      return k + 1;
    }
  };
  while (i < n) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') i = skipQuoted(c);
    else if (c === '[') i = skipQuoted(']');
    else if (c === '-' && sql[i + 1] === '-') {
      const k = sql.indexOf('\n', i);
      i = k < 0 ? n : k + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const k = sql.indexOf('*/', i + 2);
      i = k < 0 ? n : k + 2;
    } else if (c === ';') {
      const text = stripComments(sql.slice(start, i));
      const trigger = /^\s*create\s+(?:temp\s+|temporary\s+)?trigger\b/i.test(text);
      if (!trigger || /\bend\s*$/i.test(text)) {
        spans.push([start, i]);
        start = i + 1;
      }
      i++;
    } else i++;
  }
  spans.push([start, n]);
  return spans
    .map(([s, e]) => {
      while (s < e && /\s/.test(sql[s])) s++;
      while (e > s && /\s/.test(sql[e - 1])) e--;
      return [s, e];
    })
    .filter(([s, e]) => stripComments(sql.slice(s, e)).trim() !== '');
}

function stripComments(sql) {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, ' ');
}

/** The statement at the editor's cursor (the one the cursor is in or follows), or the first. */
function statementAtCursor() {
  const text = editor.value;
  const spans = statementSpans(text);
  if (spans.length === 0) return null;
  const cursor = editor.selectionStart ?? 0;
  let chosen = spans[0];
  for (const span of spans) {
    if (span[0] <= cursor) chosen = span;
  }
  return { start: chosen[0], sql: text.slice(chosen[0], chosen[1]) };
}

// ---------------------------------------------------------------------------------------------
// Actions

/** Runs `action` as the one operation in progress, with data-busy set meanwhile. */
async function exclusive(action) {
  if (busy || !db) return;
  busy = true;
  document.body.dataset.busy = '1';
  try {
    await action();
  } finally {
    busy = false;
    delete document.body.dataset.busy;
  }
}

async function totalChanges() {
  try {
    const row = await db.get('SELECT total_changes()', undefined, { raw: true });
    return Number(row[0]);
  } catch {
    return null;
  }
}

function run() {
  return exclusive(async () => {
    const sql = editor.value;
    clearOutput();
    if (sql.trim() === '') {
      setStatus('Nothing to run.');
      return;
    }
    setStatus('Running…');
    const changesBefore = await totalChanges();
    const t0 = performance.now();
    let sets;
    try {
      sets = await db.exec(sql);
    } catch (e) {
      showError(e, e.offset);
      return;
    }
    const ms = performance.now() - t0;
    const changesAfter = await totalChanges();
    sets.forEach((set, i) => {
      const caption = sets.length > 1 ? `Result ${i + 1} of ${sets.length}` : '';
      results.append(resultTable(set, caption));
    });
    const parts = [];
    if (sets.length === 0) parts.push('Done: no result rows');
    else if (sets.length === 1) parts.push(plural(sets[0].values.length, 'row'));
    else parts.push(`${sets.length} results: ${sets.map((s) => plural(s.values.length, 'row')).join(', ')}`);
    if (changesBefore !== null && changesAfter !== null && changesAfter > changesBefore) {
      parts.push(`${plural(changesAfter - changesBefore, 'row')} changed`);
    }
    parts.push(elapsed(ms));
    setStatus(parts.join(' · '));
  });
}

function explain(queryPlan) {
  return exclusive(async () => {
    clearOutput();
    const stmt = statementAtCursor();
    if (!stmt) {
      setStatus('Nothing to explain.');
      return;
    }
    const prefix = queryPlan ? 'EXPLAIN QUERY PLAN ' : 'EXPLAIN ';
    const t0 = performance.now();
    let sets;
    try {
      sets = await db.exec(prefix + stmt.sql);
    } catch (e) {
      const offset = Number.isInteger(e.offset) ? stmt.start + Math.max(0, e.offset - prefix.length) : undefined;
      showError(e, offset);
      return;
    }
    const ms = performance.now() - t0;
    const set = sets[0] ?? { columns: [], values: [] };
    const title = document.createElement('p');
    title.className = 'explained';
    title.textContent = prefix + (stmt.sql.length > 200 ? `${stmt.sql.slice(0, 200)}…` : stmt.sql);
    results.append(title);
    if (queryPlan) {
      const pre = document.createElement('pre');
      pre.id = 'plan-tree';
      pre.className = 'plan';
      pre.textContent = set.values.length ? planTree(set.values) : '(no query plan for this statement)';
      results.append(pre);
      setStatus(`Query plan · ${elapsed(ms)}`);
    } else {
      results.append(resultTable(set, '', 'explain'));
      setStatus(`${plural(set.values.length, 'instruction')} · ${elapsed(ms)}`);
    }
  });
}

/** Opens `options` in the worker; on failure goes back to a usable database. */
async function switchTo(options, info) {
  clearOutput();
  const previous = current;
  try {
    await db.reopen(options);
    // A file's bytes are only read when used: make sure they are a database now.
    await db.get('SELECT count(*) FROM sqlite_schema');
  } catch (e) {
    showError(e);
    // The worker closed its database before trying the new one: reopen what was open (an
    // in-memory database's contents are gone, so that becomes an empty one).
    try {
      if (previous?.kind === 'persistent') await db.reopen({ persistent: PERSISTENT_NAME });
      else {
        await db.reopen({});
        current = { kind: 'memory', name: 'memory', label: ':memory:' };
      }
    } catch {
      await db.reopen({});
      current = { kind: 'memory', name: 'memory', label: ':memory:' };
    }
    showDatabase();
    return false;
  }
  current = info;
  showDatabase();
  return true;
}

function usePersistent() {
  return exclusive(async () => {
    if (await switchTo({ persistent: PERSISTENT_NAME }, persistentInfo())) {
      setStatus(`Opened ${PERSISTENT_NAME}, kept in this browser's storage.`);
    }
  });
}

function useMemory() {
  return exclusive(async () => {
    if (await switchTo({}, { kind: 'memory', name: 'memory', label: ':memory:' })) {
      setStatus('Opened an empty in-memory database: it is gone on reload.');
    }
  });
}

function openFile(file) {
  return exclusive(async () => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const magic = new TextDecoder().decode(bytes.subarray(0, 16));
    if (bytes.length > 0 && magic !== 'SQLite format 3\0') {
      clearOutput();
      showError(new Error(`${file.name} is not a SQLite database file`));
      return;
    }
    const info = { kind: 'file', name: file.name, label: `${file.name} (in memory)` };
    if (await switchTo({ bytes }, info)) {
      setStatus(`Opened a copy of ${file.name} (${plural(bytes.length, 'byte')}) in memory: download it to keep changes.`);
    }
  });
}

function download() {
  return exclusive(async () => {
    let bytes;
    try {
      bytes = await db.export();
    } catch (e) {
      showError(e);
      return;
    }
    const name = current.kind === 'memory' ? 'memory.db' : current.name.replace(/(\.(db|sqlite3?))?$/i, (m) => m || '.db');
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/x-sqlite3' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setStatus(`Downloaded ${name} (${plural(bytes.length, 'byte')}).`);
  });
}

function persistentInfo() {
  return { kind: 'persistent', name: PERSISTENT_NAME, label: PERSISTENT_NAME };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens playground.db, waiting a little while another page (the one before a reload) lets
 * it go; falls back to an in-memory database when it stays busy or OPFS is unavailable. */
async function start() {
  let lastError = null;
  for (let attempt = 0; attempt < 12; attempt++) {
    try {
      db = await openDatabase({ persistent: PERSISTENT_NAME });
      current = persistentInfo();
      break;
    } catch (e) {
      lastError = e;
      if (e.code !== 'SQLITE_BUSY') break;
      await sleep(100 + attempt * 50);
    }
  }
  if (!db) {
    try {
      db = await openDatabase({});
      current = { kind: 'memory', name: 'memory', label: ':memory:' };
    } catch (e) {
      dbName.textContent = 'none';
      showError(e);
      status.textContent = 'Could not start the database worker.';
      return;
    }
    showError(lastError);
    setStatus(`${PERSISTENT_NAME} could not be opened, so this is an in-memory database.`);
  } else {
    setStatus(`Opened ${PERSISTENT_NAME}, kept in this browser's storage.`);
  }
  showDatabase();
  for (const id of ['run', 'explain', 'plan']) $(id).disabled = false;
  document.body.dataset.ready = '1';
}

// ---------------------------------------------------------------------------------------------
// Wiring

editor.value = localStorage.getItem(STORAGE_KEY) ?? EXAMPLE;
editor.addEventListener('input', () => {
  try {
    localStorage.setItem(STORAGE_KEY, editor.value);
  } catch {
    // Storage full or unavailable: the editor still works.
  }
});
editor.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    run();
  }
});
$('run').addEventListener('click', run);
$('explain').addEventListener('click', () => explain(false));
$('plan').addEventListener('click', () => explain(true));
$('memory').addEventListener('click', useMemory);
$('persistent').addEventListener('click', usePersistent);
$('download').addEventListener('click', download);
$('open-file').addEventListener('change', (event) => {
  const input = event.target;
  const file = input.files?.[0];
  if (file) openFile(file).finally(() => (input.value = ''));
});

start();
