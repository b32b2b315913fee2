//! Formatting result rows the way sqlite3 prints them.
//!
//! Every output mode of sqlite3 3.40's `.mode` is here. Row-at-a-time modes print in
//! [`Printer::row`]; the column family (`column`, `box`, `table`, `markdown`, see
//! [`crate::columnar`]) buffers a statement's rows and prints them in [`Printer::end_statement`],
//! where `json` also closes its array and `count` prints its total. EXPLAIN listings are printed
//! in list mode with a header whatever the mode (sqlite3's aligned explain layout comes later),
//! and EXPLAIN QUERY PLAN as sqlite3's tree.
//!
//! Only `list` and `line` escape control characters (as SQLite 3.50 and later do); the other modes
//! print values as 3.40 does, since their formats (quote, json, html, tcl) have escapes of their
//! own or, for `ascii`, use control characters as separators.

use std::borrow::Cow;
use std::io::Write;

use brisk::parser::keywords::is_keyword;
use brisk::Value;

use crate::columnar::{char_count, width_print};
use crate::real40::format_real;

/// An output mode (sqlite3's `.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Values separated by the column separator, rows ended by the row separator.
    #[default]
    List,
    /// RFC 4180 values: a value with a space, quote, control or non-ASCII character, or the
    /// separator, is double-quoted (sqlite3's `output_csv`).
    Csv,
    /// One `name = value` line per column, names right-aligned (at least 5 wide), records
    /// separated by an empty line.
    Line,
    /// Aligned columns separated by two spaces; a header and a dashed rule when headers are on.
    Column,
    /// Columns framed with Unicode box-drawing characters; always with a centred header.
    Box,
    /// Columns framed with `+`, `-` and `|`; always with a centred header.
    Table,
    /// A Markdown table; always with a centred header.
    Markdown,
    /// One JSON array per statement, one object per row.
    Json,
    /// `INSERT INTO table VALUES(...);` per row, values as SQL literals.
    Insert,
    /// Values as SQL literals, separated by the separators.
    Quote,
    /// `<TR>` rows of `<TD>` cells (`<TH>` for the header), HTML-escaped.
    Html,
    /// Like list, with the ASCII unit (0x1F) and record (0x1E) separators by default.
    Ascii,
    /// Values as TCL (C-style) quoted strings.
    Tcl,
    /// Only the number of rows, after each statement that returned any.
    Count,
    /// Nothing.
    Off,
    /// sqlite3's explain layout for every statement (`.explain on`).
    Explain,
}

impl Mode {
    /// The name `.mode` shows (sqlite3's `modeDescr`).
    pub fn name(self) -> &'static str {
        match self {
            Mode::List => "list",
            Mode::Csv => "csv",
            Mode::Line => "line",
            Mode::Column => "column",
            Mode::Box => "box",
            Mode::Table => "table",
            Mode::Markdown => "markdown",
            Mode::Json => "json",
            Mode::Insert => "insert",
            Mode::Quote => "quote",
            Mode::Html => "html",
            Mode::Ascii => "ascii",
            Mode::Tcl => "tcl",
            Mode::Count => "count",
            Mode::Off => "off",
            Mode::Explain => "explain",
        }
    }

    /// The modes laid out by [`crate::columnar`], which take `--wrap` and the other options.
    pub fn is_columnar(self) -> bool {
        matches!(self, Mode::Column | Mode::Box | Mode::Table | Mode::Markdown)
    }
}

/// The options of the column-family modes (sqlite3's `ColModeOpts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnOptions {
    /// Wrap values longer than this many characters (0: never), unless `.width` sets the column's.
    pub wrap: i32,
    /// Wrap at word boundaries.
    pub word_wrap: bool,
    /// Show values as SQL literals.
    pub quote: bool,
}

impl ColumnOptions {
    /// What `.mode column` (and box, table, markdown) starts from. The command-line options
    /// (`-column`, ...) leave the initial options, which do not wrap.
    pub const DOT_MODE: ColumnOptions = ColumnOptions { wrap: 60, word_wrap: false, quote: false };
    /// `.mode qbox`.
    pub const QBOX: ColumnOptions = ColumnOptions { wrap: 60, word_wrap: false, quote: true };
}

/// How control characters in values are shown (sqlite3's `.mode --escape`): since SQLite 3.50 the
/// shell shows them as `^X` by default; tab, newline and CR-LF pass through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escape {
    #[default]
    Ascii,
    /// As the Unicode control pictures U+2400..U+241F.
    Symbol,
    Off,
}

/// The settings that shape output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    pub header: bool,
    pub col_sep: String,
    pub row_sep: String,
    pub null_value: String,
    pub escape: Escape,
    /// Whether headers were set explicitly (`-header`, `-noheader`, `.headers`): if not,
    /// `.mode column` turns them on (sqlite3's `SHFLG_HeaderSet`).
    pub header_set: bool,
    pub columns: ColumnOptions,
    /// `.width`: column widths for the column family; 0 is automatic, negative right-aligns.
    pub widths: Vec<i32>,
    /// The table name of insert mode, already quoted if it needs to be.
    pub table_name: String,
    /// `.explain auto` (the default): EXPLAIN and EXPLAIN QUERY PLAN get their own layouts.
    pub auto_explain: bool,
    /// The mode to go back to when `.explain on` (which sets [`Mode::Explain`]) ends.
    pub normal_mode: Mode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::List,
            header: false,
            col_sep: "|".into(),
            row_sep: "\n".into(),
            null_value: String::new(),
            escape: Escape::Ascii,
            header_set: false,
            columns: ColumnOptions::default(),
            widths: Vec::new(),
            table_name: String::new(),
            auto_explain: true,
            normal_mode: Mode::List,
        }
    }
}

/// What the current statement is, which with the settings decides how its rows are shown
/// (sqlite3's `cMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatementKind {
    /// An ordinary statement: shown in the output mode.
    #[default]
    Normal,
    /// An EXPLAIN listing: in sqlite3's explain layout (fixed widths, loop bodies indented)
    /// while `.explain` is `auto` or `on`, else in the output mode.
    Explain,
    /// EXPLAIN QUERY PLAN rows `(id, parent, notused, detail)`: a tree while `.explain` is
    /// `auto`, else rows in the output mode.
    QueryPlan,
    /// The plan `.eqp` shows before a statement: always a tree.
    EqpPlan,
    /// The program `.eqp full` shows: always in the explain layout.
    EqpExplain,
}

/// How the current statement's rows are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Display {
    Mode(Mode),
    /// sqlite3's explain layout; `indent` for an EXPLAIN listing, whose loops are indented.
    Explain {
        indent: bool,
    },
    PlanTree,
}

pub struct Printer {
    out: Box<dyn Write>,
    pub settings: Settings,
    kind: StatementKind,
    /// Rows printed for the current statement.
    count: usize,
    /// EXPLAIN QUERY PLAN rows of the current statement: (id, parent, detail).
    plan: Vec<(i64, i64, String)>,
    /// The column names and rows of the current statement, in a column-family mode.
    names: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Printer {
    pub fn new(out: Box<dyn Write>, settings: Settings) -> Printer {
        Printer {
            out,
            settings,
            kind: StatementKind::Normal,
            count: 0,
            plan: Vec::new(),
            names: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Call before each statement's first row.
    pub fn begin_statement(&mut self, kind: StatementKind) {
        self.kind = kind;
        self.count = 0;
        self.plan.clear();
        self.names.clear();
        self.rows.clear();
    }

    /// How the current statement's rows are printed (sqlite3's `cMode` choice in `shell_exec`).
    fn display(&self) -> Display {
        let mode = self.settings.mode;
        let explain_mode = mode == Mode::Explain;
        match self.kind {
            StatementKind::EqpPlan => Display::PlanTree,
            StatementKind::EqpExplain => Display::Explain { indent: true },
            StatementKind::QueryPlan if !explain_mode && self.settings.auto_explain => Display::PlanTree,
            StatementKind::Explain if explain_mode || self.settings.auto_explain => Display::Explain { indent: true },
            _ if explain_mode => Display::Explain { indent: false },
            _ => Display::Mode(mode),
        }
    }

    /// The mode the current statement's rows are printed in, when not a layout of its own.
    fn statement_mode(&self) -> Mode {
        match self.display() {
            Display::Mode(m) => m,
            Display::Explain { .. } | Display::PlanTree => Mode::Off,
        }
    }

    /// Call after each statement's last row (or its error): prints buffered column-family rows,
    /// closes a JSON array, counts rows in count mode, shows a query plan.
    pub fn end_statement(&mut self) {
        let plan = std::mem::take(&mut self.plan);
        self.query_plan(&plan);
        let rows = std::mem::take(&mut self.rows);
        if let Display::Explain { indent } = self.display() {
            let names = std::mem::take(&mut self.names);
            self.explain_layout(&names, &rows, indent);
            return;
        }
        match self.statement_mode() {
            m if m.is_columnar() => crate::columnar::render(&mut self.out, &self.settings, &self.names, &rows),
            Mode::Json if self.count > 0 => self.write_str("]\n"),
            Mode::Count if self.count > 0 => {
                let n = self.count;
                self.write_str(&format!("{n} row{}\n", if n == 1 { "" } else { "s" }));
            }
            _ => {}
        }
    }

    /// Prints one result row (and, before the first, the header when it is on).
    pub fn row(&mut self, names: &[String], values: &[Value]) {
        let header = self.count == 0 && self.settings.header;
        self.count += 1;
        let display = self.display();
        if let Display::Explain { .. } = display {
            if self.count == 1 {
                self.names = names.to_vec();
            }
            self.rows.push(values.to_vec());
            return;
        }
        if display == Display::PlanTree {
            let int = |v: Option<&Value>| match v {
                Some(Value::Integer(i)) => *i,
                _ => 0,
            };
            let detail = values.get(3).map(|v| v.to_string()).unwrap_or_default();
            self.plan.push((int(values.first()), int(values.get(1)), detail));
            return;
        }
        match self.statement_mode() {
            Mode::List => {
                if header {
                    let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
                    list_line(&mut self.out, &self.settings, &names);
                }
                let cells: Vec<Cow<'_, [u8]>> = values.iter().map(|v| cell(v, &self.settings)).collect();
                let cells: Vec<&[u8]> = cells.iter().map(|c| c.as_ref()).collect();
                list_line(&mut self.out, &self.settings, &cells);
            }
            Mode::Line => {
                // sqlite3 pads by bytes (strlen), as printf's %*s does.
                let width = names.iter().map(|n| n.len()).max().unwrap_or(0).max(5);
                if self.count > 1 {
                    let _ = self.out.write_all(self.settings.row_sep.as_bytes());
                }
                for (name, v) in names.iter().zip(values) {
                    let value = cell(v, &self.settings);
                    let pad = " ".repeat(width - name.len());
                    let _ = write!(self.out, "{pad}{name} = ");
                    let _ = self.out.write_all(&escape_output(&value, self.settings.escape));
                    let _ = self.out.write_all(self.settings.row_sep.as_bytes());
                }
            }
            Mode::Csv => {
                if header {
                    let names: Vec<Option<&[u8]>> = names.iter().map(|n| Some(n.as_bytes())).collect();
                    csv_line(&mut self.out, &self.settings, &names);
                }
                let cells: Vec<Option<Cow<'_, [u8]>>> =
                    values.iter().map(|v| (!v.is_null()).then(|| cell(v, &self.settings))).collect();
                let cells: Vec<Option<&[u8]>> = cells.iter().map(|c| c.as_deref()).collect();
                csv_line(&mut self.out, &self.settings, &cells);
            }
            Mode::Column | Mode::Box | Mode::Table | Mode::Markdown => {
                if self.count == 1 {
                    self.names = names.to_vec();
                }
                self.rows.push(values.to_vec());
            }
            Mode::Off | Mode::Explain => {}
            Mode::Count => {}
            Mode::Json => {
                let mut o = Vec::new();
                o.extend_from_slice(if self.count == 1 { b"[{" } else { b",\n{" });
                for (i, (name, v)) in names.iter().zip(values).enumerate() {
                    json_string(&mut o, name.as_bytes());
                    o.push(b':');
                    match v {
                        Value::Null => o.extend_from_slice(b"null"),
                        Value::Integer(n) => o.extend_from_slice(n.to_string().as_bytes()),
                        Value::Real(r) if r.is_infinite() => {
                            o.extend_from_slice(if *r > 0.0 { b"1e999" } else { b"-1e999" })
                        }
                        Value::Real(r) => o.extend_from_slice(format_real(*r).as_bytes()),
                        // The whole blob, NULs included (its length is known).
                        Value::Blob(b) => json_string(&mut o, b),
                        Value::Text(t) => json_string(&mut o, until_nul(t.as_bytes())),
                    }
                    if i + 1 < values.len() {
                        o.push(b',');
                    }
                }
                o.push(b'}');
                let _ = self.out.write_all(&o);
            }
            Mode::Html => {
                let mut o = Vec::new();
                if header {
                    o.extend_from_slice(b"<TR>");
                    for name in names {
                        o.extend_from_slice(b"<TH>");
                        html_string(&mut o, name.as_bytes());
                        o.extend_from_slice(b"</TH>\n");
                    }
                    o.extend_from_slice(b"</TR>\n");
                }
                o.extend_from_slice(b"<TR>");
                for v in values {
                    o.extend_from_slice(b"<TD>");
                    html_string(&mut o, &cell(v, &self.settings));
                    o.extend_from_slice(b"</TD>\n");
                }
                o.extend_from_slice(b"</TR>\n");
                let _ = self.out.write_all(&o);
            }
            Mode::Tcl => self.write_joined(header, names, values, c_string),
            Mode::Ascii => self.write_joined(header, names, values, |o, z| o.extend_from_slice(z)),
            Mode::Quote => {
                let s = &self.settings;
                let mut o = Vec::new();
                if header {
                    let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
                    joined(&mut o, s, &names, quoted_string);
                }
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        o.extend_from_slice(s.col_sep.as_bytes());
                    }
                    match v {
                        Value::Real(r) => o.extend_from_slice(format_real(*r).as_bytes()),
                        _ => sql_literal(&mut o, v, quoted_string),
                    }
                }
                o.extend_from_slice(s.row_sep.as_bytes());
                let _ = self.out.write_all(&o);
            }
            Mode::Insert => {
                let mut o = Vec::new();
                o.extend_from_slice(b"INSERT INTO ");
                o.extend_from_slice(self.settings.table_name.as_bytes());
                if self.settings.header {
                    o.push(b'(');
                    for (i, name) in names.iter().enumerate() {
                        if i > 0 {
                            o.push(b',');
                        }
                        o.extend_from_slice(quote_identifier(name).as_bytes());
                    }
                    o.push(b')');
                }
                for (i, v) in values.iter().enumerate() {
                    o.extend_from_slice(if i > 0 { b"," } else { b" VALUES(" });
                    insert_value(&mut o, v, false);
                }
                o.extend_from_slice(b");\n");
                let _ = self.out.write_all(&o);
            }
        }
    }

    /// Prints rows in sqlite3's explain layout (`MODE_Explain`): columns 4, 13, 4, 4, 4, 13, 2
    /// and 13 characters wide, a header and dashes, a value wider than its column pushing the
    /// rest along, and in an EXPLAIN listing each loop body indented two more spaces
    /// (`explain_data_prepare`).
    fn explain_layout(&mut self, names: &[String], rows: &[Vec<Value>], indent: bool) {
        const WIDTHS: [usize; 8] = [4, 13, 4, 4, 4, 13, 2, 13];
        if rows.is_empty() {
            return;
        }
        let n = names.len().min(WIDTHS.len());
        let indents = if indent && names.len() == 8 { explain_indents(rows) } else { Vec::new() };
        let mut o = Vec::new();
        for (i, name) in names[..n].iter().enumerate() {
            width_print(&mut o, WIDTHS[i] as i64, name.as_bytes());
            o.extend_from_slice(if i == n - 1 { b"\n" } else { b"  " });
        }
        for (i, w) in WIDTHS[..n].iter().enumerate() {
            o.extend_from_slice("-".repeat(*w).as_bytes());
            o.extend_from_slice(if i == n - 1 { b"\n" } else { b"  " });
        }
        for (r, row) in rows.iter().enumerate() {
            for (i, v) in row[..n].iter().enumerate() {
                let text = cell(v, &self.settings);
                let chars = char_count(&text);
                let mut w = if i == n - 1 { 0 } else { WIDTHS[i] };
                let mut sep: &[u8] = b"  ";
                if chars > w {
                    w = chars;
                    sep = b" ";
                }
                if i == 1 {
                    if let Some(&spaces) = indents.get(r) {
                        o.extend_from_slice(" ".repeat(spaces).as_bytes());
                    }
                }
                width_print(&mut o, w as i64, &text);
                o.extend_from_slice(if i == n - 1 { b"\n" } else { sep });
            }
        }
        let _ = self.out.write_all(&o);
    }

    /// A row, and the header before it, with each cell written by `show` and joined by the
    /// separators (tcl and ascii modes).
    fn write_joined(&mut self, header: bool, names: &[String], values: &[Value], show: fn(&mut Vec<u8>, &[u8])) {
        let s = &self.settings;
        let mut o = Vec::new();
        if header {
            let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
            joined(&mut o, s, &names, show);
        }
        let cells: Vec<Cow<'_, [u8]>> = values.iter().map(|v| cell(v, s)).collect();
        let cells: Vec<&[u8]> = cells.iter().map(|c| c.as_ref()).collect();
        joined(&mut o, s, &cells, show);
        let _ = self.out.write_all(&o);
    }

    /// Prints EXPLAIN QUERY PLAN rows `(id, parent, detail)` as sqlite3's tree (`eqp_render`).
    fn query_plan(&mut self, rows: &[(i64, i64, String)]) {
        let mut rows = rows;
        let Some(first) = rows.first() else { return };
        if first.2.starts_with('-') {
            if rows.len() == 1 {
                return;
            }
            let title = first.2.get(3..).unwrap_or("");
            let _ = writeln!(self.out, "{title}");
            rows = &rows[1..];
        } else {
            let _ = writeln!(self.out, "QUERY PLAN");
        }
        let mut prefix = String::new();
        self.query_plan_level(rows, 0, &mut prefix);
    }

    fn query_plan_level(&mut self, rows: &[(i64, i64, String)], parent: i64, prefix: &mut String) {
        // sqlite3 keeps the prefix in a 100-byte buffer and stops descending when it is full.
        const MAX_PREFIX: usize = 100 - 7;
        let children: Vec<&(i64, i64, String)> = rows.iter().filter(|r| r.1 == parent).collect();
        for (k, (id, _, text)) in children.iter().enumerate() {
            let last = k + 1 == children.len();
            let _ = writeln!(self.out, "{prefix}{}{text}", if last { "`--" } else { "|--" });
            let n = prefix.len();
            if n < MAX_PREFIX {
                prefix.push_str(if last { "   " } else { "|  " });
                self.query_plan_level(rows, *id, prefix);
                prefix.truncate(n);
            }
        }
    }

    /// Sends output somewhere else from now on; returns the writer it replaces.
    pub fn replace_writer(&mut self, out: Box<dyn Write>) -> Box<dyn Write> {
        self.flush();
        std::mem::replace(&mut self.out, out)
    }

    /// Writes text as is (prompts, echoed input, dot-command output).
    pub fn write_str(&mut self, s: &str) {
        let _ = self.out.write_all(s.as_bytes());
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

/// The text sqlite3 shows for a value: `sqlite3_column_text`, which stops at a NUL byte, or the
/// null value.
pub fn cell<'a>(v: &'a Value, settings: &'a Settings) -> Cow<'a, [u8]> {
    match v {
        Value::Null => Cow::Borrowed(settings.null_value.as_bytes()),
        Value::Integer(_) | Value::Real(_) => Cow::Owned(v.to_string().into_bytes()),
        Value::Text(s) => Cow::Borrowed(until_nul(s.as_bytes())),
        Value::Blob(b) => Cow::Borrowed(until_nul(b)),
    }
}

/// One list-mode line: escaped cells joined by the column separator, then the row separator.
fn list_line(out: &mut dyn Write, settings: &Settings, cells: &[&[u8]]) {
    for (i, cell) in cells.iter().enumerate() {
        let _ = out.write_all(&escape_output(cell, settings.escape));
        let sep = if i + 1 < cells.len() { &settings.col_sep } else { &settings.row_sep };
        let _ = out.write_all(sep.as_bytes());
    }
}

/// One csv-mode line: each value quoted as sqlite3's `output_csv` decides (NULL is the null
/// value, as is), joined by the column separator, then the row separator.
fn csv_line(out: &mut dyn Write, settings: &Settings, cells: &[Option<&[u8]>]) {
    for (i, cell) in cells.iter().enumerate() {
        match cell {
            None => {
                let _ = out.write_all(settings.null_value.as_bytes());
            }
            Some(z) => {
                let sep = settings.col_sep.as_bytes();
                // sqlite3's needCsvQuote: controls, space, `"`, `'`, DEL and every non-ASCII byte;
                // an empty value is quoted too.
                let special = |c: &u8| *c <= b' ' || *c == b'"' || *c == b'\'' || *c >= 0x7f;
                let has_sep = !sep.is_empty() && z.windows(sep.len()).any(|w| w == sep);
                if z.is_empty() || z.iter().any(special) || has_sep {
                    let mut quoted = Vec::with_capacity(z.len() + 2);
                    quoted.push(b'"');
                    for &c in z.iter() {
                        if c == b'"' {
                            quoted.push(b'"');
                        }
                        quoted.push(c);
                    }
                    quoted.push(b'"');
                    let _ = out.write_all(&quoted);
                } else {
                    let _ = out.write_all(z);
                }
            }
        }
        let sep = if i + 1 < cells.len() { &settings.col_sep } else { &settings.row_sep };
        let _ = out.write_all(sep.as_bytes());
    }
}

/// Cells (already converted) joined by the column separator through `show`, then the row
/// separator.
fn joined(o: &mut Vec<u8>, settings: &Settings, cells: &[&[u8]], show: impl Fn(&mut Vec<u8>, &[u8])) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            o.extend_from_slice(settings.col_sep.as_bytes());
        }
        show(o, c);
    }
    o.extend_from_slice(settings.row_sep.as_bytes());
}

/// A non-REAL value as an SQL literal, text through `text` (quote and insert modes).
fn sql_literal(o: &mut Vec<u8>, v: &Value, text: fn(&mut Vec<u8>, &[u8])) {
    match v {
        Value::Null => o.extend_from_slice(b"NULL"),
        Value::Integer(n) => o.extend_from_slice(n.to_string().as_bytes()),
        Value::Real(r) => o.extend_from_slice(format_real(*r).as_bytes()),
        Value::Text(t) => text(o, until_nul(t.as_bytes())),
        Value::Blob(b) => {
            o.extend_from_slice(b"X'");
            for byte in b.iter() {
                o.extend_from_slice(format!("{byte:02x}").as_bytes());
            }
            o.push(b'\'');
        }
    }
}

/// A value as insert mode and `.dump` write it, an SQL literal that reads back as the same
/// value: whole REALs as `N.0`, other REALs with 20 significant digits as sqlite3 3.40 prints
/// them, infinities as `1e999`; text with newlines and carriage returns spelled out through
/// `replace(...)` unless `newlines` keeps them (`.dump --newlines`).
pub fn insert_value(o: &mut Vec<u8>, v: &Value, newlines: bool) {
    match v {
        Value::Real(r) if r.is_infinite() => o.extend_from_slice(if *r > 0.0 { b"1e999" } else { b"-1e999" }),
        // A whole number as `N.0`: C's `(sqlite3_int64)r`, where only values inside the i64
        // range convert back to themselves.
        Value::Real(r) if (-TWO_POW_63..TWO_POW_63).contains(r) && *r == (*r as i64) as f64 => {
            o.extend_from_slice(format!("{}.0", *r as i64).as_bytes())
        }
        Value::Real(r) => o.extend_from_slice(format_real(*r).as_bytes()),
        _ if newlines => sql_literal(o, v, quoted_string),
        _ => sql_literal(o, v, quoted_escaped_string),
    }
}

/// sqlite3's `output_quoted_string`: `'...'` with quotes doubled; newlines as they are.
fn quoted_string(o: &mut Vec<u8>, z: &[u8]) {
    o.push(b'\'');
    for &c in z {
        if c == b'\'' {
            o.push(c);
        }
        o.push(c);
    }
    o.push(b'\'');
}

/// sqlite3's `output_quoted_escaped_string` (insert mode): like [`quoted_string`], but newlines
/// and carriage returns are written as an escape that does not occur in the text, with
/// `replace(..., '\n', char(10))` around the literal to restore them.
fn quoted_escaped_string(o: &mut Vec<u8>, z: &[u8]) {
    let has_nl = z.contains(&b'\n');
    let has_cr = z.contains(&b'\r');
    if !has_nl && !has_cr {
        return quoted_string(o, z);
    }
    let contains = |needle: &[u8]| z.windows(needle.len()).any(|w| w == needle);
    // sqlite3's `unused_string`.
    let unused = |a: &str, b: &str| -> String {
        if !contains(a.as_bytes()) {
            return a.to_string();
        }
        if !contains(b.as_bytes()) {
            return b.to_string();
        }
        (0u32..).map(|i| format!("({a}{i})")).find(|s| !contains(s.as_bytes())).unwrap_or_default()
    };
    let nl = unused("\\n", "\\012");
    let cr = unused("\\r", "\\015");
    if has_nl {
        o.extend_from_slice(b"replace(");
    }
    if has_cr {
        o.extend_from_slice(b"replace(");
    }
    o.push(b'\'');
    for &c in z {
        match c {
            b'\'' => o.extend_from_slice(b"''"),
            b'\n' => o.extend_from_slice(nl.as_bytes()),
            b'\r' => o.extend_from_slice(cr.as_bytes()),
            _ => o.push(c),
        }
    }
    o.push(b'\'');
    if has_cr {
        o.extend_from_slice(format!(",'{cr}',char(13))").as_bytes());
    }
    if has_nl {
        o.extend_from_slice(format!(",'{nl}',char(10))").as_bytes());
    }
}

/// sqlite3's `output_json_string`.
fn json_string(o: &mut Vec<u8>, z: &[u8]) {
    o.push(b'"');
    for &c in z {
        match c {
            b'\\' | b'"' => o.extend_from_slice(&[b'\\', c]),
            0x08 => o.extend_from_slice(b"\\b"),
            0x0c => o.extend_from_slice(b"\\f"),
            b'\n' => o.extend_from_slice(b"\\n"),
            b'\r' => o.extend_from_slice(b"\\r"),
            b'\t' => o.extend_from_slice(b"\\t"),
            0..=0x1f => o.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            _ => o.push(c),
        }
    }
    o.push(b'"');
}

/// sqlite3's `output_html_string`.
fn html_string(o: &mut Vec<u8>, z: &[u8]) {
    for &c in z {
        match c {
            b'<' => o.extend_from_slice(b"&lt;"),
            b'&' => o.extend_from_slice(b"&amp;"),
            b'>' => o.extend_from_slice(b"&gt;"),
            b'"' => o.extend_from_slice(b"&quot;"),
            b'\'' => o.extend_from_slice(b"&#39;"),
            _ => o.push(c),
        }
    }
}

/// [`c_string`] as text (`.show`, `.import -v`).
pub fn c_string_text(z: &[u8]) -> String {
    let mut o = Vec::new();
    c_string(&mut o, z);
    String::from_utf8_lossy(&o).into_owned()
}

/// sqlite3's `output_c_string` (tcl mode): C escapes, and octal for what C's `isprint` rejects
/// (every byte outside printable ASCII).
pub fn c_string(o: &mut Vec<u8>, z: &[u8]) {
    o.push(b'"');
    for &c in z {
        match c {
            b'\\' => o.extend_from_slice(b"\\\\"),
            b'"' => o.extend_from_slice(b"\\\""),
            b'\t' => o.extend_from_slice(b"\\t"),
            b'\n' => o.extend_from_slice(b"\\n"),
            b'\r' => o.extend_from_slice(b"\\r"),
            0x20..=0x7e => o.push(c),
            _ => o.extend_from_slice(format!("\\{c:03o}").as_bytes()),
        }
    }
    o.push(b'"');
}

/// 2^63: the doubles in [-2^63, 2^63) are the ones that fit an i64.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// A name as sqlite3's insert mode writes it: as is when it is a plain identifier and not a
/// keyword, else in double quotes with `"` doubled (`quoteChar`, `set_table_name`).
pub fn quote_identifier(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !is_keyword(name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// sqlite3's `explain_data_prepare`: the indentation of each row of an EXPLAIN listing. The body
/// of a loop closed by Next, Prev, VNext, VPrev or SorterNext is indented two spaces, as is the
/// span a Goto jumps back over when it lands on a Yield, SeekLT, SeekGT, RowSetRead or Rewind
/// (or has a non-zero P1).
fn explain_indents(rows: &[Vec<Value>]) -> Vec<usize> {
    const NEXT: [&str; 5] = ["Next", "Prev", "VPrev", "VNext", "SorterNext"];
    const YIELD: [&str; 5] = ["Yield", "SeekLT", "SeekGT", "RowSetRead", "Rewind"];
    let int = |v: &Value| match v {
        Value::Integer(i) => *i,
        _ => 0,
    };
    let mut indents = vec![0usize; rows.len()];
    let mut is_yield = vec![false; rows.len()];
    for (op_index, row) in rows.iter().enumerate() {
        let addr = int(&row[0]);
        let opcode = row[1].to_string();
        let p1 = int(&row[2]);
        // The P2 jump target as an index into the rows (they differ inside trigger programs).
        let target = int(&row[3]) + (op_index as i64 - addr);
        is_yield[op_index] = YIELD.contains(&opcode.as_str());
        if NEXT.contains(&opcode.as_str()) && target > 0 {
            for indent in indents.iter_mut().take(op_index).skip(target as usize) {
                *indent += 2;
            }
        }
        if opcode == "Goto" && target >= 0 && (target as usize) <= op_index {
            let t = target as usize;
            if t < op_index + 1 && (is_yield[t] || p1 != 0) {
                for indent in indents.iter_mut().take(op_index).skip(t) {
                    *indent += 2;
                }
            }
        }
    }
    indents
}

/// The bytes before the first NUL, as a C string would have them.
fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// sqlite3's `escapeOutput`: control characters other than tab, newline and the CR of a CR-LF
/// become `^X` (or a control picture).
pub fn escape_output(z: &[u8], mode: Escape) -> Cow<'_, [u8]> {
    let needs_escape = |i: usize| {
        let c = z[i];
        c <= 0x1f && c != b'\t' && c != b'\n' && (c != b'\r' || z.get(i + 1) != Some(&b'\n'))
    };
    if mode == Escape::Off || !(0..z.len()).any(needs_escape) {
        return Cow::Borrowed(z);
    }
    let mut out = Vec::with_capacity(z.len() + 8);
    for (i, &c) in z.iter().enumerate() {
        if !needs_escape(i) {
            out.push(c);
        } else if mode == Escape::Symbol {
            out.extend_from_slice(&[0xe2, 0x90, 0x80 + c]);
        } else {
            out.extend_from_slice(&[b'^', 0x40 + c]);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::SharedBuf;

    fn printer(settings: Settings) -> (Printer, SharedBuf) {
        let buf = SharedBuf::default();
        (Printer::new(Box::new(buf.clone()), settings), buf)
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn list_mode_rows() {
        let (mut p, buf) = printer(Settings::default());
        p.begin_statement(StatementKind::Normal);
        p.row(&names(&["a", "b", "c", "d"]), &[Value::Integer(1), Value::Null, Value::Real(2.5), Value::text("x")]);
        p.row(
            &names(&["a", "b", "c", "d"]),
            &[Value::Integer(-7), Value::Real(1.0), Value::text(""), Value::blob(b"hi")],
        );
        assert_eq!(buf.text(), "1||2.5|x\n-7|1.0||hi\n");
    }

    #[test]
    fn header_once_per_statement() {
        let settings = Settings { header: true, ..Settings::default() };
        let (mut p, buf) = printer(settings);
        let n = names(&["x", "y"]);
        p.begin_statement(StatementKind::Normal);
        p.row(&n, &[Value::Integer(1), Value::Integer(2)]);
        p.row(&n, &[Value::Integer(3), Value::Integer(4)]);
        p.begin_statement(StatementKind::Normal);
        p.row(&names(&["z"]), &[Value::Integer(5)]);
        assert_eq!(buf.text(), "x|y\n1|2\n3|4\nz\n5\n");
    }

    #[test]
    fn separators_and_null_value() {
        let settings =
            Settings { col_sep: ", ".into(), row_sep: ";\n".into(), null_value: "NULL".into(), ..Settings::default() };
        let (mut p, buf) = printer(settings);
        p.begin_statement(StatementKind::Normal);
        p.row(&names(&["a", "b"]), &[Value::Null, Value::text("t")]);
        assert_eq!(buf.text(), "NULL, t;\n");
    }

    #[test]
    fn text_stops_at_nul_and_controls_are_escaped() {
        let (mut p, buf) = printer(Settings::default());
        p.begin_statement(StatementKind::Normal);
        p.row(&names(&["a", "b", "c"]), &[Value::text("ab\0cd"), Value::text("x\u{1}y\tz"), Value::text("l1\r\nl2\r")]);
        assert_eq!(buf.text(), "ab|x^Ay\tz|l1\r\nl2^M\n");
        assert_eq!(escape_output(b"a\x1bb", Escape::Symbol).as_ref(), "a\u{241b}b".as_bytes());
        assert_eq!(escape_output(b"a\x1bb", Escape::Off).as_ref(), b"a\x1bb");
    }

    /// The listing sqlite3 3.40 prints for `EXPLAIN SELECT a FROM t WHERE b>1 ORDER BY a`
    /// (columns, indentation of the scan and sorter loops), rebuilt from its rows.
    const SQLITE3_EXPLAIN: &str = "\
addr  opcode         p1    p2    p3    p4             p5  comment      
----  -------------  ----  ----  ----  -------------  --  -------------
0     Init           0     17    0                    0   
1     SorterOpen     1     3     0     k(1,B)         0   
2     OpenRead       0     2     0     2              0   
3     Rewind         0     10    0                    0   
4       Column         0     1     1                    0   
5       Le             2     9     1     BINARY-8       81  
6       Column         0     0     3                    0   
7       MakeRecord     3     1     5                    0   
8       SorterInsert   1     5     3     1              0   
9     Next           0     4     0                    1   
10    OpenPseudo     2     6     3                    0   
11    SorterSort     1     16    0                    0   
12      SorterData     1     6     2                    0   
13      Column         2     0     4                    0   
14      ResultRow      4     1     0                    0   
15    SorterNext     1     12    0                    0   
16    Halt           0     0     0                    0   
17    Transaction    0     0     1     0              1   
18    Integer        1     2     0                    0   
19    Goto           0     1     0                    0   
";

    fn explain_rows() -> Vec<Vec<Value>> {
        SQLITE3_EXPLAIN
            .lines()
            .skip(2)
            .map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                let int = |s: &str| Value::Integer(s.parse().unwrap());
                let p4 = if f.len() == 7 { f[5] } else { "" };
                vec![
                    int(f[0]),
                    Value::text(f[1]),
                    int(f[2]),
                    int(f[3]),
                    int(f[4]),
                    Value::text(p4),
                    int(f[f.len() - 1]),
                    Value::Null,
                ]
            })
            .collect()
    }

    #[test]
    fn explain_layout_as_sqlite3() {
        let cols = names(&["addr", "opcode", "p1", "p2", "p3", "p4", "p5", "comment"]);
        for mode in [Mode::List, Mode::Csv, Mode::Box] {
            let (mut p, buf) = printer(Settings { mode, ..Settings::default() });
            p.begin_statement(StatementKind::Explain);
            for row in explain_rows() {
                p.row(&cols, &row);
            }
            p.end_statement();
            assert_eq!(buf.text(), SQLITE3_EXPLAIN, "{mode:?}");
        }
        // `.explain off`: the rows in the output mode.
        let (mut p, buf) = printer(Settings { auto_explain: false, ..Settings::default() });
        p.begin_statement(StatementKind::Explain);
        p.row(&cols, &explain_rows()[0]);
        p.end_statement();
        assert_eq!(buf.text(), "0|Init|0|17|0||0|\n");
        // `.explain on`: every statement in the layout, without indentation; a wide value pushes
        // the next column along with one space.
        let settings = Settings { mode: Mode::Explain, auto_explain: false, ..Settings::default() };
        let (mut p, buf) = printer(settings);
        p.begin_statement(StatementKind::Normal);
        p.row(&names(&["5", "6"]), &[Value::Integer(5), Value::Integer(6)]);
        p.row(&names(&["5", "6"]), &[Value::text("wider"), Value::Null]);
        p.end_statement();
        assert_eq!(buf.text(), "5     6            \n----  -------------\n5     6\nwider \n");
    }

    #[test]
    fn query_plan_tree() {
        let (mut p, buf) = printer(Settings { header: true, ..Settings::default() });
        let cols = names(&["id", "parent", "notused", "detail"]);
        p.begin_statement(StatementKind::QueryPlan);
        for (id, parent, detail) in
            [(2, 0, "SCAN t"), (5, 0, "SCALAR SUBQUERY 1"), (8, 5, "SCAN u"), (9, 5, "USE TEMP B-TREE FOR ORDER BY")]
        {
            p.row(&cols, &[Value::Integer(id), Value::Integer(parent), Value::Integer(0), Value::text(detail)]);
        }
        p.end_statement();
        assert_eq!(
            buf.text(),
            "QUERY PLAN\n|--SCAN t\n`--SCALAR SUBQUERY 1\n   |--SCAN u\n   `--USE TEMP B-TREE FOR ORDER BY\n"
        );
        let (mut p, buf) = printer(Settings::default());
        p.begin_statement(StatementKind::QueryPlan);
        p.end_statement();
        assert_eq!(buf.text(), "");
    }

    /// Expected outputs are what /usr/bin/sqlite3 3.40.1 prints for the same rows.
    #[test]
    fn literal_and_markup_modes() {
        let cols = names(&["a", "b c"]);
        let row = [Value::text("it's\n"), Value::Real(0.1)];
        let run = |mode: Mode, header: bool| {
            let settings = Settings { mode, header, table_name: "t".into(), ..Settings::default() };
            let (mut p, buf) = printer(settings);
            p.begin_statement(StatementKind::Normal);
            p.row(&cols, &row);
            p.row(&cols, &[Value::Null, Value::blob(b"\x01A")]);
            p.end_statement();
            buf.text()
        };
        assert_eq!(
            run(Mode::Json, false),
            "[{\"a\":\"it's\\n\",\"b c\":0.10000000000000000555},\n{\"a\":null,\"b c\":\"\\u0001A\"}]\n"
        );
        assert_eq!(
            run(Mode::Insert, true),
            "INSERT INTO t(a,\"b c\") VALUES(replace('it''s\\n','\\n',char(10)),0.10000000000000000555);\n\
             INSERT INTO t(a,\"b c\") VALUES(NULL,X'0141');\n"
        );
        assert_eq!(
            run(Mode::Html, true),
            "<TR><TH>a</TH>\n<TH>b c</TH>\n</TR>\n<TR><TD>it&#39;s\n</TD>\n<TD>0.1</TD>\n</TR>\n\
             <TR><TD></TD>\n<TD>\u{1}A</TD>\n</TR>\n"
        );
        assert_eq!(run(Mode::Count, false), "2 rows\n");
        assert_eq!(run(Mode::Off, true), "");
    }

    #[test]
    fn column_family_prints_when_the_statement_ends() {
        let settings = Settings { mode: Mode::Box, ..Settings::default() };
        let (mut p, buf) = printer(settings);
        p.begin_statement(StatementKind::Normal);
        p.row(&names(&["n", "t"]), &[Value::Integer(1), Value::text("日本")]);
        assert_eq!(buf.text(), "");
        p.end_statement();
        assert_eq!(buf.text(), "┌───┬────┐\n│ n │ t  │\n├───┼────┤\n│ 1 │ 日本 │\n└───┴────┘\n");
    }

    #[test]
    fn identifiers_are_quoted_like_sqlite3() {
        assert_eq!(quote_identifier("abc_1"), "abc_1");
        assert_eq!(quote_identifier("table"), "\"table\"");
        assert_eq!(quote_identifier("Select"), "\"Select\"");
        assert_eq!(quote_identifier("9a"), "\"9a\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_identifier(""), "\"\"");
        assert_eq!(quote_identifier("héllo"), "\"héllo\"");
    }
}
