//! Formatting result rows the way sqlite3 prints them.
//!
//! The `list` mode (with `.mode tabs`, list with a tab separator), `csv` and `line` exist so far;
//! [`Mode`] is where `line`, `column`, `box` and the rest will go, each as a new arm in
//! [`Printer::row`]. EXPLAIN listings are printed
//! in list mode with a header (sqlite3's aligned explain layout comes later), and EXPLAIN QUERY
//! PLAN as sqlite3's tree.

use std::borrow::Cow;
use std::io::Write;

use brisk::Value;

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
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::List => "list",
            Mode::Csv => "csv",
            Mode::Line => "line",
        }
    }
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
        }
    }
}

/// How the current statement's rows are shown (sqlite3's `cMode`, which EXPLAIN overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatementKind {
    /// In the output mode.
    #[default]
    Normal,
    /// An EXPLAIN listing: list mode, always with its header.
    // TODO: sqlite3's explain layout (fixed widths, loop indentation).
    Explain,
    /// EXPLAIN QUERY PLAN rows `(id, parent, notused, detail)`, shown as a tree when the
    /// statement ends.
    QueryPlan,
}

/// Writes results to the output stream. Write errors are ignored, as sqlite3 ignores them (a
/// closed pipe ends the process through SIGPIPE, see `main`).
pub struct Printer {
    out: Box<dyn Write>,
    pub settings: Settings,
    kind: StatementKind,
    /// Rows printed for the current statement.
    count: usize,
    /// EXPLAIN QUERY PLAN rows of the current statement: (id, parent, detail).
    plan: Vec<(i64, i64, String)>,
}

impl Printer {
    pub fn new(out: Box<dyn Write>, settings: Settings) -> Printer {
        Printer { out, settings, kind: StatementKind::Normal, count: 0, plan: Vec::new() }
    }

    /// Call before each statement's first row.
    pub fn begin_statement(&mut self, kind: StatementKind) {
        self.kind = kind;
        self.count = 0;
        self.plan.clear();
    }

    /// Call after each statement's last row (or its error): shows a query plan.
    pub fn end_statement(&mut self) {
        let plan = std::mem::take(&mut self.plan);
        self.query_plan(&plan);
    }

    /// Prints one result row (and, before the first, the header when it is on).
    pub fn row(&mut self, names: &[String], values: &[Value]) {
        let header = self.count == 0 && (self.settings.header || self.kind == StatementKind::Explain);
        self.count += 1;
        if self.kind == StatementKind::QueryPlan {
            let int = |v: Option<&Value>| match v {
                Some(Value::Integer(i)) => *i,
                _ => 0,
            };
            let detail = values.get(3).map(|v| v.to_string()).unwrap_or_default();
            self.plan.push((int(values.first()), int(values.get(1)), detail));
            return;
        }
        match self.settings.mode {
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
        }
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
fn cell<'a>(v: &'a Value, settings: &'a Settings) -> Cow<'a, [u8]> {
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

    #[test]
    fn explain_listing_always_has_a_header() {
        let (mut p, buf) = printer(Settings::default());
        let cols = names(&["addr", "opcode", "p1", "p2", "p3", "p4", "p5", "comment"]);
        let row = |addr: i64, op: &str| {
            vec![
                Value::Integer(addr),
                Value::text(op),
                Value::Integer(0),
                Value::Integer(3),
                Value::Integer(0),
                Value::text(""),
                Value::Integer(0),
                Value::Null,
            ]
        };
        p.begin_statement(StatementKind::Explain);
        p.row(&cols, &row(0, "Init"));
        p.row(&cols, &row(1, "Halt"));
        p.end_statement();
        assert_eq!(buf.text(), "addr|opcode|p1|p2|p3|p4|p5|comment\n0|Init|0|3|0||0|\n1|Halt|0|3|0||0|\n");
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
}
