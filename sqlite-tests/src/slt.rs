//! A runner for SQLite's sqllogictest corpus (`.test` files), generic over the engine under test.
//!
//! The format, the rendering of values, sorting and hashing follow the corpus README
//! (`shared/sqllogictest/README.md`), which describes upstream's `sqllogictest.c` and
//! `slt_sqlite.c`. The pieces, in the order a file goes through them:
//!
//! 1. [`parse`] turns a file into [`Record`]s: `statement`, `query`, `hash-threshold`, `halt`, each
//!    with its `skipif`/`onlyif` conditions. Comment lines are deleted first, so they never split
//!    a record.
//! 2. [`run_records`] runs the records against an [`Engine`] and reports one [`RecordResult`] per
//!    statement or query record: pass, fail (wrong result), error (the engine failed where success
//!    was expected) or skipped (a condition excludes the database).
//! 3. [`run_file`] does this in a worker thread with deadlines, so that an engine that hangs
//!    costs one record, or at worst one file, not the run. A record that takes too long is
//!    interrupted and fails; if the engine does not come back, or the whole file takes too long,
//!    the worker is abandoned and the records not finished count as failed.
//!
//! Architecture invariant: rendering a value is the runner's job, never the engine's. An engine
//! returns [`Value`]s and the runner converts them as upstream's SQLite adapter does through
//! `sqlite3_column_int`/`_text`/`_double`, with its own code for SQLite's integer parsing and
//! printf. The engine under test (Brisk) therefore cannot make a wrong result look right by
//! formatting it the same wrong way the runner does.
//!
//! Query semantics copied from upstream: a query fails only if it cannot be prepared (or has the
//! wrong number of columns); an error while stepping just ends the result set, and the rows so far
//! are compared. A `statement` record may hold several statements and runs like `sqlite3_exec`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use brisk::Value;

/// The database name that `skipif`/`onlyif` compare against. Brisk is SQLite-compatible, so it
/// takes SQLite's branches of the corpus.
pub const SQLITE: &str = "sqlite";

/// Results with more values than this are compared by hash, until a `hash-threshold` record says
/// otherwise (upstream's default).
pub const DEFAULT_HASH_THRESHOLD: usize = 8;

/// At most this many expected/actual lines are kept per failure; a result with thousands of
/// values would otherwise make a failure report (and the memory of a long run) huge.
const MAX_DETAIL_LINES: usize = 40;

// ---------------------------------------------------------------------------------------------
// Records

/// The type letter of one result column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `I`: `sqlite3_column_int`, printed `%d`.
    Integer,
    /// `T`: `sqlite3_column_text`.
    Text,
    /// `R`: `sqlite3_column_double`, printed `%.3f`.
    Real,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortMode {
    NoSort,
    RowSort,
    ValueSort,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    SkipIf(String),
    OnlyIf(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordKind {
    Statement {
        expect_error: bool,
        sql: String,
    },
    Query {
        types: Vec<ColumnType>,
        sort: SortMode,
        label: Option<String>,
        sql: String,
        /// The lines after `----`; `None` when the record has no `----` (then only preparing is
        /// checked, as upstream does).
        expected: Option<Vec<String>>,
    },
    HashThreshold(usize),
    Halt,
    /// A record the parser could not read. It counts as a failure when it applies, so a typo in a
    /// file is seen rather than silently skipped.
    Invalid {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based line number of the record's first line (its first condition, if any).
    pub line: usize,
    pub conditions: Vec<Condition>,
    pub kind: RecordKind,
}

impl Record {
    /// Whether the record applies to database `db`: no `skipif db`, and no `onlyif` naming
    /// another database. Names compare case-insensitively.
    pub fn applies_to(&self, db: &str) -> bool {
        self.conditions.iter().all(|c| match c {
            Condition::SkipIf(name) => !name.eq_ignore_ascii_case(db),
            Condition::OnlyIf(name) => name.eq_ignore_ascii_case(db),
        })
    }

    /// Whether the record is a test that gets a result (as opposed to a control record).
    pub fn is_test(&self) -> bool {
        matches!(self.kind, RecordKind::Statement { .. } | RecordKind::Query { .. } | RecordKind::Invalid { .. })
    }

    /// The SQL of a statement or query; empty for other records.
    pub fn sql(&self) -> &str {
        match &self.kind {
            RecordKind::Statement { sql, .. } | RecordKind::Query { sql, .. } => sql,
            _ => "",
        }
    }
}

/// Parses the text of a `.test` file. Never fails: a record it cannot read becomes
/// [`RecordKind::Invalid`].
pub fn parse(text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let mut block: Vec<(usize, &str)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        // Comment lines are deleted before anything else, even inside a record.
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            if !block.is_empty() {
                records.push(parse_block(&block));
                block.clear();
            }
        } else {
            block.push((i + 1, line));
        }
    }
    if !block.is_empty() {
        records.push(parse_block(&block));
    }
    records
}

/// Parses one record: its non-blank, non-comment lines, with their line numbers. `block` is
/// never empty.
fn parse_block(block: &[(usize, &str)]) -> Record {
    let line = block[0].0;
    let mut conditions = Vec::new();
    let mut rest = block;
    while let Some(&(_, text)) = rest.first() {
        let mut words = text.split_whitespace();
        let condition = match words.next() {
            Some("skipif") => Condition::SkipIf,
            Some("onlyif") => Condition::OnlyIf,
            _ => break,
        };
        // Anything after the database name (often a `# comment`) is ignored.
        let Some(db) = words.next() else {
            return invalid(line, conditions, format!("{text:?}: condition without a database name"));
        };
        conditions.push(condition(db.to_string()));
        rest = &rest[1..];
    }
    let Some((&(_, head), body)) = rest.split_first() else {
        return invalid(line, conditions, "conditions without a record".to_string());
    };
    let words: Vec<&str> = head.split_whitespace().collect();
    let body_lines = || body.iter().map(|&(_, l)| l);
    let kind = match words.first().copied() {
        Some("statement") => {
            let expect_error = match words.get(1).copied() {
                Some("ok") => false,
                Some("error") => true,
                _ => {
                    return invalid(line, conditions, format!("{head:?}: expected `statement ok` or `statement error`"))
                }
            };
            RecordKind::Statement { expect_error, sql: body_lines().collect::<Vec<_>>().join("\n") }
        }
        Some("query") => {
            let Some(letters) = words.get(1) else {
                return invalid(line, conditions, format!("{head:?}: query without column types"));
            };
            let mut types = Vec::with_capacity(letters.len());
            for c in letters.chars() {
                types.push(match c {
                    'I' => ColumnType::Integer,
                    'T' => ColumnType::Text,
                    'R' => ColumnType::Real,
                    _ => return invalid(line, conditions, format!("{head:?}: unknown column type {c:?}")),
                });
            }
            let sort = match words.get(2).copied() {
                None | Some("nosort") => SortMode::NoSort,
                Some("rowsort") => SortMode::RowSort,
                Some("valuesort") => SortMode::ValueSort,
                Some(other) => return invalid(line, conditions, format!("{head:?}: unknown sort mode {other:?}")),
            };
            let label = words.get(3).map(|s| s.to_string());
            let mut sql = Vec::new();
            let mut expected = None;
            for l in body_lines() {
                match &mut expected {
                    None if l.trim_end() == "----" => expected = Some(Vec::new()),
                    None => sql.push(l),
                    Some(values) => values.push(l.to_string()),
                }
            }
            RecordKind::Query { types, sort, label, sql: sql.join("\n"), expected }
        }
        Some("hash-threshold") => match words.get(1).and_then(|n| n.parse().ok()) {
            Some(n) => RecordKind::HashThreshold(n),
            None => return invalid(line, conditions, format!("{head:?}: expected a count")),
        },
        Some("halt") => RecordKind::Halt,
        _ => return invalid(line, conditions, format!("{head:?}: unknown record type")),
    };
    Record { line, conditions, kind }
}

fn invalid(line: usize, conditions: Vec<Condition>, message: String) -> Record {
    Record { line, conditions, kind: RecordKind::Invalid { message } }
}

// ---------------------------------------------------------------------------------------------
// Rendering: what upstream's SQLite adapter prints for a value of each column type

/// Renders one value for a column of type `ty`, as upstream's `slt_sqlite.c` does.
pub fn render(value: &Value, ty: ColumnType) -> String {
    if value.is_null() {
        return "NULL".to_string();
    }
    match ty {
        ColumnType::Integer => column_int(value).to_string(),
        ColumnType::Text => {
            let text = column_text(value);
            // C strings end at the first NUL byte.
            let text = text.split(|&b| b == 0).next().unwrap_or(&[]);
            if text.is_empty() {
                "(empty)".to_string()
            } else {
                text.iter().map(|&b| if (0x20..=0x7e).contains(&b) { b as char } else { '@' }).collect()
            }
        }
        ColumnType::Real => format_fixed(column_double(value), 3),
    }
}

/// `sqlite3_column_int`: the 64-bit integer value cut to its low 32 bits.
pub fn column_int(value: &Value) -> i32 {
    let wide = match value {
        Value::Null => 0,
        Value::Integer(i) => *i,
        // sqlite3RealToI64: truncate toward zero, saturating (`as` saturates in Rust too).
        Value::Real(r) => *r as i64,
        Value::Text(s) => atoi64(s.as_bytes()),
        Value::Blob(b) => atoi64(b),
    };
    wide as i32
}

/// `sqlite3_column_double`.
pub fn column_double(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        Value::Text(s) => atof(s.as_bytes()),
        Value::Blob(b) => atof(b),
    }
}

/// `sqlite3_column_text`: integers in decimal, reals as `%!.15g`.
pub fn column_text(value: &Value) -> Vec<u8> {
    match value {
        Value::Null => Vec::new(),
        Value::Integer(i) => i.to_string().into_bytes(),
        Value::Real(r) => format_real15(*r).into_bytes(),
        Value::Text(s) => s.as_bytes().to_vec(),
        Value::Blob(b) => b.to_vec(),
    }
}

/// `sqlite3Isspace`: space, \t, \n, \v, \f, \r.
fn is_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0d).contains(&b)
}

/// SQLite's `sqlite3Atoi64` on text: leading spaces, a sign, the leading digits; the rest is
/// ignored. Out-of-range values saturate.
pub fn atoi64(bytes: &[u8]) -> i64 {
    let mut i = 0;
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < bytes.len() && (bytes[i] == b'-' || bytes[i] == b'+') {
        negative = bytes[i] == b'-';
        i += 1;
    }
    // Accumulate in 128 bits: 20+ digits saturate below, and more than 38 digits would overflow
    // even i128, so stop accumulating once the value is clearly out of range.
    let mut magnitude: i128 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        if magnitude <= i64::MAX as i128 + 1 {
            magnitude = magnitude * 10 + (bytes[i] - b'0') as i128;
        }
        i += 1;
    }
    let signed = if negative { -magnitude } else { magnitude };
    signed.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// SQLite's text-to-real conversion: the longest leading prefix that reads as a number
/// (spaces, sign, digits, a point, digits, an exponent); 0.0 when there is none.
pub fn atof(bytes: &[u8]) -> f64 {
    let mut i = 0;
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    let start = i;
    if i < bytes.len() && (bytes[i] == b'-' || bytes[i] == b'+') {
        i += 1;
    }
    let digits_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let mut mantissa_digits = i - digits_start;
    if i < bytes.len() && bytes[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        mantissa_digits += j - frac_start;
        i = j;
    }
    if mantissa_digits == 0 {
        return 0.0;
    }
    let mantissa_end = i;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'-' || bytes[j] == b'+') {
            j += 1;
        }
        let exp_start = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        i = if j > exp_start { j } else { mantissa_end };
    }
    // The prefix is ASCII by construction; Rust's parser accepts "1.", ".5" and "+1e5".
    std::str::from_utf8(&bytes[start..i]).ok().and_then(|s| s.parse().ok()).unwrap_or(0.0)
}

/// A double split into decimal digits the way SQLite's `sqlite3FpDecode` does it: `digits`
/// (no leading or trailing zeros, each 0..=9) times 10^(`point` - digits.len()).
struct Decoded {
    negative: bool,
    digits: Vec<u8>,
    /// Digits before the decimal point: the value is 0.d1d2d3... x 10^point.
    point: i32,
}

/// `sqlite3FpDecode(r, round, max_round)` (SQLite 3.43+) for a finite `r`: round to `round`
/// significant digits when `round` > 0, or to -`round` digits after the point when `round` <= 0,
/// never keeping more than `max_round` significant digits.
///
/// SQLite first converts the double to an integer of 16-19 decimal digits (`sqlite3Fp2Convert10`:
/// `round + 1` digits truncated, or 18 digits rounded to nearest for `%f` and large precisions),
/// then rounds that digit string half up. Rounding twice can round up where rounding the exact
/// value once would not (…4949 → …495 → …50), so we repeat both steps on the exact decimal
/// expansion of the double.
fn fp_decode(r: f64, round: i32, max_round: i32) -> Decoded {
    debug_assert!(r.is_finite());
    if r == 0.0 {
        // Negative zero too: SQLite tests r<0.0, which is false for -0.0.
        return Decoded { negative: false, digits: vec![0], point: 1 };
    }
    let negative = r < 0.0;
    // 40 correctly rounded significant digits: more than the 19 that SQLite's conversion keeps.
    let exp_form = format!("{:.39e}", r.abs());
    let (mantissa, exponent) = exp_form.split_once('e').expect("Rust's {:e} format has an exponent");
    let exponent: i32 = exponent.parse().expect("Rust's {:e} exponent is an integer");
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    let mut point = exponent + 1;

    // sqlite3Fp2Convert10(m, e, n): r = m * 2^e with m's top bit set; the result is r * 10^p
    // as an integer, where p comes from an approximate log10 of 2^(e+63).
    let bits = r.abs().to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let e = if biased == 0 { -1074 - fraction.leading_zeros() as i32 } else { biased - 1086 };
    let n = if round <= 0 || round >= 18 { 18 } else { round + 1 };
    let pwr2to10 = |x: i32| (x * 78913) >> 18;
    let p = n - 1 - pwr2to10(e + 63);
    let integer_digits = (point + p) as usize;
    assert!((1..digits.len()).contains(&integer_digits), "Fp2Convert10 keeps 16 to 19 digits, not {integer_digits}");
    if n == 18 {
        round_half_up(&mut digits, integer_digits, &mut point);
    } else {
        digits.truncate(integer_digits);
    }

    let mut round = if round <= 0 { point - round } else { round };
    if round == 0 && digits[0] >= 5 {
        // Rounds up into a new leading digit.
        digits.insert(0, 0);
        point += 1;
        round = 1;
    }
    if round > 0 {
        round_half_up(&mut digits, round.min(max_round) as usize, &mut point);
    }
    // round < 0: every digit lies past the precision; printing shows zeros there anyway.
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    Decoded { negative, digits, point }
}

/// Keeps the first `keep` digits, adding one to the last kept digit when the first dropped one
/// is 5 or more; a carry out of the first digit adds a digit in front and moves the point.
fn round_half_up(digits: &mut Vec<u8>, keep: usize, point: &mut i32) {
    if keep >= digits.len() {
        return;
    }
    let round_up = digits[keep] >= 5;
    digits.truncate(keep);
    if !round_up {
        return;
    }
    for j in (0..keep).rev() {
        if digits[j] == 9 {
            digits[j] = 0;
        } else {
            digits[j] += 1;
            return;
        }
    }
    digits.insert(0, 1);
    *point += 1;
}

fn special(r: f64) -> Option<String> {
    if r.is_nan() {
        Some("NaN".to_string())
    } else if r.is_infinite() {
        Some(if r > 0.0 { "Inf" } else { "-Inf" }.to_string())
    } else {
        None
    }
}

/// SQLite's `printf("%.Nf", r)`: since 3.43 at most 16 significant digits are kept, so
/// -9223372036854775808.0 prints as `-9223372036854776000.000`.
pub fn format_fixed(r: f64, precision: usize) -> String {
    if let Some(s) = special(r) {
        return s;
    }
    let d = fp_decode(r, -(precision as i32), 16);
    let digit = |pos: i32| -> char {
        if pos >= 0 && (pos as usize) < d.digits.len() {
            (b'0' + d.digits[pos as usize]) as char
        } else {
            '0'
        }
    };
    let mut out = String::new();
    if d.negative {
        out.push('-');
    }
    if d.point <= 0 {
        out.push('0');
    } else {
        out.extend((0..d.point).map(digit));
    }
    if precision > 0 {
        out.push('.');
        out.extend((d.point..d.point + precision as i32).map(digit));
    }
    out
}

/// SQLite's `printf("%!.15g", r)`, the text of a REAL (`sqlite3_column_text` in the SQLite that
/// made the corpus): 15 significant digits, trailing zeros removed but at least one digit after
/// the point, exponent form below 1e-4 and from 1e15.
pub fn format_real15(r: f64) -> String {
    if let Some(s) = special(r) {
        return s;
    }
    const PRECISION: i32 = 15;
    let d = fp_decode(r, PRECISION, 20);
    let digit = |pos: i32| -> char {
        if pos >= 0 && (pos as usize) < d.digits.len() {
            (b'0' + d.digits[pos as usize]) as char
        } else {
            '0'
        }
    };
    let mut out = String::new();
    if d.negative {
        out.push('-');
    }
    let exp = d.point - 1;
    if !(-4..PRECISION).contains(&exp) {
        out.push(digit(0));
        out.push('.');
        let fraction: String = (1..d.digits.len() as i32).map(digit).collect();
        out.push_str(if fraction.is_empty() { "0" } else { &fraction });
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else {
        if d.point <= 0 {
            out.push('0');
        } else {
            out.extend((0..d.point).map(digit));
        }
        out.push('.');
        let fraction: String = (d.point..d.digits.len() as i32).map(digit).collect();
        out.push_str(if fraction.is_empty() { "0" } else { &fraction });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// MD5 (RFC 1321), for `N values hashing to H`. Written out rather than taken from a crate: it is
// sixty lines, checked below against the RFC's test vectors, and keeps the workspace's
// dependency set (and Cargo.lock) unchanged.

const MD5_SHIFTS: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
    21,
];

/// floor(|sin(i + 1)| * 2^32), from RFC 1321.
const MD5_K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
    0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
    0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
    0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
];

/// The lowercase hex MD5 of `data`.
pub fn md5_hex(data: &[u8]) -> String {
    let mut state: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_le_bytes());
    for block in message.chunks_exact(64) {
        let m: Vec<u32> = block.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a.wrapping_add(f).wrapping_add(MD5_K[i]).wrapping_add(m[g]).rotate_left(MD5_SHIFTS[i]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(rotated);
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
    state.iter().flat_map(|s| s.to_le_bytes()).fold(String::with_capacity(32), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// The hash line of a result: MD5 over `value + "\n"` for each value in order.
pub fn hash_line(values: &[String]) -> String {
    let mut data = Vec::with_capacity(values.iter().map(|v| v.len() + 1).sum());
    for v in values {
        data.extend_from_slice(v.as_bytes());
        data.push(b'\n');
    }
    format!("{} values hashing to {}", values.len(), md5_hex(&data))
}

// ---------------------------------------------------------------------------------------------
// Engines

/// Stops a running statement from another thread (`sqlite3_interrupt`).
pub type Interrupter = Box<dyn Fn() + Send>;

/// A database engine under test. Each file gets a fresh engine over an empty database.
pub trait Engine {
    /// Runs every statement of `sql` (sqlite3_exec); rows are discarded.
    fn run_statement(&mut self, sql: &str) -> Result<(), String>;

    /// Prepares the first statement of `sql` and returns its rows. An error while preparing is an
    /// `Err`; an error while stepping ends the rows (see [`Engine::last_step_error`]).
    fn run_query(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, String>;

    /// The column count of the statement last prepared by [`Engine::run_query`], when the engine
    /// knows it, so that an empty result is still checked against the record's type letters.
    fn last_column_count(&self) -> Option<usize> {
        None
    }

    /// The error that ended the last query's rows early, if any. Shown in failure reports.
    fn last_step_error(&self) -> Option<String> {
        None
    }

    /// A way to stop a hung statement when a file's deadline passes.
    fn interrupter(&self) -> Option<Interrupter> {
        None
    }
}

/// Brisk, over an in-memory database.
pub struct BriskEngine {
    conn: brisk::Connection,
    /// The connection's interrupt flag. Brisk's flag stays set once raised (SQLite's clears when
    /// no statement runs), so each call lowers it first: an interrupt is meant for the record
    /// running when the runner's deadline passed, not for the ones after it.
    interrupt: Arc<AtomicBool>,
    column_count: Option<usize>,
    step_error: Option<String>,
}

impl BriskEngine {
    pub fn new() -> Result<BriskEngine, String> {
        let conn = brisk::Connection::open_in_memory().map_err(|e| e.to_string())?;
        let interrupt = conn.interrupt_handle();
        Ok(BriskEngine { conn, interrupt, column_count: None, step_error: None })
    }
}

impl Engine for BriskEngine {
    fn run_statement(&mut self, sql: &str) -> Result<(), String> {
        self.interrupt.store(false, Ordering::Relaxed);
        self.conn.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn run_query(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, String> {
        self.interrupt.store(false, Ordering::Relaxed);
        self.column_count = None;
        self.step_error = None;
        let mut stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        self.column_count = Some(stmt.column_count());
        let mut rows = Vec::new();
        loop {
            match stmt.step() {
                Ok(brisk::StepResult::Row) => rows.push(stmt.row().to_vec()),
                Ok(_) => break,
                Err(e) => {
                    self.step_error = Some(e.to_string());
                    break;
                }
            }
        }
        Ok(rows)
    }

    fn last_column_count(&self) -> Option<usize> {
        self.column_count
    }

    fn last_step_error(&self) -> Option<String> {
        self.step_error.clone()
    }

    fn interrupter(&self) -> Option<Interrupter> {
        let flag = self.interrupt.clone();
        Some(Box::new(move || flag.store(true, Ordering::Relaxed)))
    }
}

/// Real SQLite (bundled, through rusqlite) over an in-memory database: the reference that
/// proves the runner.
pub struct SqliteEngine {
    conn: rusqlite::Connection,
    column_count: Option<usize>,
    step_error: Option<String>,
}

impl SqliteEngine {
    pub fn new() -> Result<SqliteEngine, String> {
        let conn = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
        Ok(SqliteEngine { conn, column_count: None, step_error: None })
    }
}

/// A column value as a [`Value`]. Text that is not UTF-8 becomes a blob with the same bytes,
/// which renders identically (rendering works on bytes) without a lossy conversion.
fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => Value::text(s),
            Err(_) => Value::blob(t),
        },
        ValueRef::Blob(b) => Value::blob(b),
    }
}

impl Engine for SqliteEngine {
    fn run_statement(&mut self, sql: &str) -> Result<(), String> {
        use rusqlite::fallible_iterator::FallibleIterator as _;
        // sqlite3_exec: each statement in turn, each stepped to the end. (rusqlite's
        // execute_batch steps a statement only once, so a failing row after the first is missed.)
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        while let Some(mut stmt) = batch.next().map_err(|e| e.to_string())? {
            let mut rows = stmt.raw_query();
            while rows.next().map_err(|e| e.to_string())?.is_some() {}
        }
        Ok(())
    }

    fn run_query(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, String> {
        use rusqlite::fallible_iterator::FallibleIterator as _;
        self.column_count = None;
        self.step_error = None;
        // Like sqlite3_prepare_v2: the first statement, whatever follows it.
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        let mut stmt = batch.next().map_err(|e| e.to_string())?.ok_or("no SQL statement")?;
        let n = stmt.column_count();
        self.column_count = Some(n);
        let mut out = Vec::new();
        let mut rows = stmt.raw_query();
        loop {
            match rows.next() {
                Ok(Some(row)) => {
                    let values = (0..n).map(|i| row.get_ref(i).map(sqlite_value)).collect::<Result<Vec<_>, _>>();
                    match values {
                        Ok(values) => out.push(values),
                        Err(e) => {
                            self.step_error = Some(e.to_string());
                            break;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    self.step_error = Some(e.to_string());
                    break;
                }
            }
        }
        Ok(out)
    }

    fn last_column_count(&self) -> Option<usize> {
        self.column_count
    }

    fn last_step_error(&self) -> Option<String> {
        self.step_error.clone()
    }

    fn interrupter(&self) -> Option<Interrupter> {
        let handle = self.conn.get_interrupt_handle();
        Some(Box::new(move || handle.interrupt()))
    }
}

/// The engines the binary and the tests can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Brisk,
    Sqlite,
}

impl EngineKind {
    pub fn from_name(name: &str) -> Option<EngineKind> {
        match name {
            "brisk" => Some(EngineKind::Brisk),
            "sqlite" => Some(EngineKind::Sqlite),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Brisk => "brisk",
            EngineKind::Sqlite => "sqlite",
        }
    }

    /// A fresh engine over an empty in-memory database.
    pub fn open(self) -> Result<Box<dyn Engine>, String> {
        Ok(match self {
            EngineKind::Brisk => Box::new(BriskEngine::new()?),
            EngineKind::Sqlite => Box::new(SqliteEngine::new()?),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Running records

/// The result of one statement or query record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    /// The engine ran the record but the result is wrong: different values, or success where
    /// `statement error` expected an error (expected `error`, actual `ok`).
    Fail {
        expected: Vec<String>,
        actual: Vec<String>,
        /// An error that ended the rows early, which usually explains the difference.
        step_error: Option<String>,
    },
    /// The engine failed where success was expected; also a panic, the file's deadline, the
    /// wrong number of columns or an unreadable record.
    Error {
        message: String,
    },
    /// A `skipif`/`onlyif` condition excludes the database.
    Skipped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordResult {
    pub line: usize,
    pub sql: String,
    pub outcome: Outcome,
}

impl RecordResult {
    pub fn is_failure(&self) -> bool {
        matches!(self.outcome, Outcome::Fail { .. } | Outcome::Error { .. })
    }

    /// A short key that groups failures with the same cause: the error message with names and
    /// numbers blanked out, or the kind of wrong result.
    pub fn category(&self) -> String {
        match &self.outcome {
            Outcome::Pass => "pass".to_string(),
            Outcome::Skipped => "skipped".to_string(),
            Outcome::Error { message } => format!("error: {}", normalize_message(message)),
            Outcome::Fail { expected, actual, step_error } => {
                if let Some(e) = step_error {
                    format!("wrong result, rows ended by: {}", normalize_message(e))
                } else if expected == &["error"] && actual == &["ok"] {
                    "statement succeeded, error expected".to_string()
                } else if expected.len() == 1 && expected[0].contains(" values hashing to ") {
                    let count = |s: &str| s.split(' ').next().and_then(|n| n.parse::<usize>().ok());
                    let actual_count = if actual.len() == 1 && actual[0].contains(" values hashing to ") {
                        count(&actual[0])
                    } else {
                        None
                    };
                    if actual_count == count(&expected[0]) {
                        "wrong result: same count, different values (hashed)".to_string()
                    } else {
                        "wrong result: different number of values".to_string()
                    }
                } else if expected.len() != actual.len() {
                    "wrong result: different number of values".to_string()
                } else {
                    "wrong result: same count, different values".to_string()
                }
            }
        }
    }

    /// A multi-line description for failure reports: the SQL, then expected and actual.
    pub fn detail(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "  sql: {}", self.sql.replace('\n', "\n       "));
        match &self.outcome {
            Outcome::Fail { expected, actual, step_error } => {
                let _ = writeln!(out, "  expected: {}", expected.join(" | "));
                let _ = writeln!(out, "  actual:   {}", actual.join(" | "));
                if let Some(e) = step_error {
                    let _ = writeln!(out, "  rows ended by error: {e}");
                }
            }
            Outcome::Error { message } => {
                let _ = writeln!(out, "  error: {message}");
            }
            Outcome::Pass | Outcome::Skipped => {}
        }
        out
    }
}

/// Blanks out the parts of an error message that vary between records (quoted text, numbers,
/// the name after `no such table:`), so that messages with one cause group together. A panic's
/// location is kept whole: it is what tells two panics apart.
pub fn normalize_message(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or("");
    if let Some(rest) = first_line.strip_prefix("panic at ") {
        if let Some((location, text)) = rest.split_once(": ") {
            return format!("panic at {location}: {}", normalize_message(text));
        }
    }
    let mut out = String::with_capacity(first_line.len());
    let mut chars = first_line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                out.push(c);
                out.push('_');
                out.push(c);
            }
            c if c.is_ascii_digit() => {
                while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    chars.next();
                }
                out.push('N');
            }
            c => out.push(c),
        }
    }
    // "no such column: t1.x", "UNIQUE constraint failed: t1.a" and friends: the tail is a name.
    if let Some((head, tail)) = out.split_once(": ") {
        let names_follow =
            ["no such", "ambiguous", "constraint failed", "already exists"].iter().any(|h| head.contains(h));
        if names_follow && !tail.contains(' ') {
            return format!("{head}: _");
        }
    }
    const MAX_CHARS: usize = 120;
    if out.chars().count() > MAX_CHARS {
        out = out.chars().take(MAX_CHARS).collect::<String>() + "...";
    }
    out
}

fn truncate_lines(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > MAX_DETAIL_LINES {
        let more = lines.len() - MAX_DETAIL_LINES;
        lines.truncate(MAX_DETAIL_LINES);
        lines.push(format!("... ({more} more)"));
    }
    lines
}

thread_local! {
    /// Where the last panic on this thread happened, set by the hook from
    /// [`install_panic_hook`]; read when a record's panic is caught.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Set while this thread runs an engine call whose panics the runner catches.
    static IN_ENGINE: RefCell<bool> = const { RefCell::new(false) };
}

/// Installs a panic hook that stays quiet for panics inside an engine call (the runner catches
/// them and reports them as record errors, with their location) and defers to the previous
/// hook for every other panic. Without it, a run of an unfinished engine prints thousands of
/// panic messages.
pub fn install_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if IN_ENGINE.with(|f| *f.borrow()) {
            let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(location));
        } else {
            previous(info);
        }
    }));
}

/// Runs `f`, turning a panic into an error message (with its location when the hook from
/// [`install_panic_hook`] is installed).
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    IN_ENGINE.with(|flag| *flag.borrow_mut() = true);
    LAST_PANIC.with(|p| *p.borrow_mut() = None);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    IN_ENGINE.with(|flag| *flag.borrow_mut() = false);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string payload)".to_string());
        let location = LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default();
        format!("panic{location}: {message}")
    })
}

/// Runs one statement record.
fn run_statement_record(engine: &mut dyn Engine, sql: &str, expect_error: bool) -> Outcome {
    match (catch_panic(|| engine.run_statement(sql)), expect_error) {
        (Ok(Ok(())), false) | (Ok(Err(_)), true) => Outcome::Pass,
        (Ok(Ok(())), true) => {
            Outcome::Fail { expected: vec!["error".to_string()], actual: vec!["ok".to_string()], step_error: None }
        }
        (Ok(Err(message)), false) => Outcome::Error { message },
        // A panic is never the error a `statement error` record means.
        (Err(message), _) => Outcome::Error { message },
    }
}

/// Runs one query record and compares its rendered result.
fn run_query_record(
    engine: &mut dyn Engine,
    types: &[ColumnType],
    sort: SortMode,
    sql: &str,
    expected: Option<&[String]>,
    hash_threshold: usize,
) -> Outcome {
    let rows = match catch_panic(|| engine.run_query(sql)) {
        Ok(Ok(rows)) => rows,
        Ok(Err(message)) | Err(message) => return Outcome::Error { message },
    };
    let step_error = engine.last_step_error();
    let columns = engine.last_column_count().or_else(|| rows.first().map(Vec::len));
    let width_ok = columns.is_none_or(|n| n == types.len()) && rows.iter().all(|r| r.len() == types.len());
    if !width_ok {
        let got = columns.unwrap_or_else(|| rows[0].len());
        return Outcome::Error {
            message: format!("wrong number of columns: the query has {got}, the record expects {}", types.len()),
        };
    }
    let mut values: Vec<String> =
        rows.iter().flat_map(|row| row.iter().zip(types).map(|(v, &ty)| render(v, ty))).collect();
    match sort {
        SortMode::NoSort => {}
        SortMode::ValueSort => values.sort_unstable(),
        SortMode::RowSort => {
            // Rows compare column by column with strcmp, which is byte order on `String`s.
            let mut sorted: Vec<&[String]> = values.chunks(types.len()).collect();
            sorted.sort();
            values = sorted.concat();
        }
    }
    let actual = if hash_threshold > 0 && values.len() > hash_threshold { vec![hash_line(&values)] } else { values };
    match expected {
        None => Outcome::Pass,
        Some(expected) if expected == actual.as_slice() => Outcome::Pass,
        Some(expected) => {
            Outcome::Fail { expected: truncate_lines(expected.to_vec()), actual: truncate_lines(actual), step_error }
        }
    }
}

/// What [`run_records`] reports after each record, and whether to go on.
pub enum Progress {
    Continue,
    Stop,
}

/// Runs `records` in order against `engine` as database `db`. After each record, calls
/// `on_record(index, result)`, with `None` for control records (`hash-threshold`, `halt`), and
/// stops when it returns [`Progress::Stop`] or at a `halt` that applies.
pub fn run_records(
    engine: &mut dyn Engine,
    records: &[Record],
    db: &str,
    mut on_record: impl FnMut(usize, Option<RecordResult>) -> Progress,
) {
    let mut hash_threshold = DEFAULT_HASH_THRESHOLD;
    for (index, record) in records.iter().enumerate() {
        let applies = record.applies_to(db);
        let outcome = match &record.kind {
            RecordKind::Halt if applies => {
                on_record(index, None);
                return;
            }
            RecordKind::HashThreshold(n) if applies => {
                hash_threshold = *n;
                None
            }
            RecordKind::Halt | RecordKind::HashThreshold(_) => None,
            _ if !applies => Some(Outcome::Skipped),
            RecordKind::Statement { expect_error, sql } => Some(run_statement_record(engine, sql, *expect_error)),
            RecordKind::Query { types, sort, sql, expected, .. } => {
                Some(run_query_record(engine, types, *sort, sql, expected.as_deref(), hash_threshold))
            }
            RecordKind::Invalid { message } => {
                Some(Outcome::Error { message: format!("unreadable record: {message}") })
            }
        };
        let result = outcome.map(|outcome| RecordResult { line: record.line, sql: record.sql().to_string(), outcome });
        if let Progress::Stop = on_record(index, result) {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files, with a deadline

/// The results of one file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: String,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Every failed record, in file order (without the records never run after a timeout).
    pub failures: Vec<RecordResult>,
    /// Records counted as failed because the file's deadline passed before they ran.
    pub not_run: usize,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl FileReport {
    fn count(&mut self, result: RecordResult) {
        match result.outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Fail { .. } | Outcome::Error { .. } => {
                self.failed += 1;
                self.failures.push(result);
            }
        }
    }

    /// `N passed, M failed, K skipped`.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped)
    }
}

/// Creates a fresh engine for a file; called on the file's worker thread.
pub type EngineFactory = Arc<dyn Fn() -> Result<Box<dyn Engine>, String> + Send + Sync>;

/// The factory for one of the built-in engines.
pub fn factory(kind: EngineKind) -> EngineFactory {
    Arc::new(move || kind.open())
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The name `skipif`/`onlyif` compare against.
    pub db: String,
    /// How long one file may take before the rest of its records count as failed.
    pub timeout_per_file: Duration,
    /// How long one record may take before the engine is interrupted. The record then fails
    /// and the file goes on, if the engine stops within [`INTERRUPT_GRACE`]; otherwise the file
    /// is given up as on its own timeout.
    pub timeout_per_record: Duration,
}

/// How long an interrupted engine has to return from the record it was running.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            db: SQLITE.to_string(),
            timeout_per_file: Duration::from_secs(300),
            // Generous: SQLite's slowest file in the corpus takes under 5 s, and a record cut short
            // on a loaded CI machine would count as a failure.
            timeout_per_record: Duration::from_secs(60),
        }
    }
}

/// A worker's message to the thread that keeps the file's deadline.
enum Message {
    Interrupter(Interrupter),
    Record(usize, Option<RecordResult>),
    EngineFailed(String),
    Done,
}

/// Worker threads get a large stack: an engine's recursive-descent parser and expression
/// compiler recurse once per nesting level, and the random/ files nest deeply.
const WORKER_STACK_BYTES: usize = 256 << 20;

/// Reads, parses and runs one file on a fresh engine, in a worker thread. If the file is not
/// done within `options.timeout_per_file`, the engine is interrupted, the worker is abandoned
/// (it stops at its next record, if it ever returns) and every record not yet finished counts as
/// failed.
pub fn run_file(path: &Path, factory: &EngineFactory, options: &RunOptions) -> FileReport {
    let display = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => run_text(&display, &String::from_utf8_lossy(&bytes), factory, options),
        Err(e) => FileReport {
            path: display.clone(),
            failed: 1,
            failures: vec![RecordResult {
                line: 0,
                sql: String::new(),
                outcome: Outcome::Error { message: format!("cannot read {display}: {e}") },
            }],
            ..FileReport::default()
        },
    }
}

/// [`run_file`] on text already read; `name` labels the report.
pub fn run_text(name: &str, text: &str, factory: &EngineFactory, options: &RunOptions) -> FileReport {
    let start = Instant::now();
    let records = Arc::new(parse(text));
    let mut report = FileReport { path: name.to_string(), ..FileReport::default() };
    let (tx, rx) = mpsc::channel::<Message>();
    let abandon = Arc::new(AtomicBool::new(false));
    let worker = {
        let records = records.clone();
        let factory = factory.clone();
        let db = options.db.clone();
        let abandon = abandon.clone();
        std::thread::Builder::new().name(format!("slt {name}")).stack_size(WORKER_STACK_BYTES).spawn(move || {
            let mut engine = match catch_panic(|| factory()) {
                Ok(Ok(engine)) => engine,
                Ok(Err(e)) | Err(e) => {
                    let _ = tx.send(Message::EngineFailed(e));
                    return;
                }
            };
            if let Some(interrupt) = engine.interrupter() {
                let _ = tx.send(Message::Interrupter(interrupt));
            }
            run_records(engine.as_mut(), &records, &db, |index, result| {
                if abandon.load(Ordering::Relaxed) || tx.send(Message::Record(index, result)).is_err() {
                    Progress::Stop
                } else {
                    Progress::Continue
                }
            });
            let _ = tx.send(Message::Done);
        })
    };
    let worker = match worker {
        Ok(w) => w,
        Err(e) => {
            count_unrun(&mut report, &records, 0, &options.db, &format!("cannot start a worker thread: {e}"));
            report.elapsed = start.elapsed();
            return report;
        }
    };
    let file_deadline = start + options.timeout_per_file;
    let mut record_deadline = start + options.timeout_per_record;
    // The record in progress: everything before `next` has reported.
    let mut next = 0;
    let mut interrupt: Option<Interrupter> = None;
    // Set when the record `next` was interrupted for taking too long.
    let mut interrupted: Option<usize> = None;
    let give_up = |report: &mut FileReport, next: usize, reason: &str| {
        abandon.store(true, Ordering::Relaxed);
        report.timed_out = true;
        count_unrun(report, &records, next, &options.db, reason);
    };
    let finished = loop {
        let wait = file_deadline.min(record_deadline).saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(Message::Interrupter(f)) => interrupt = Some(f),
            Ok(Message::Record(index, result)) => {
                next = index + 1;
                record_deadline = Instant::now() + options.timeout_per_record;
                if let Some(mut result) = result {
                    if interrupted == Some(index) {
                        let secs = options.timeout_per_record.as_secs_f64();
                        let message = format!("timeout: record not done after {secs} s (interrupted)");
                        result.outcome = Outcome::Error { message };
                    }
                    report.count(result);
                }
                interrupted = None;
            }
            Ok(Message::Done) => break true,
            Ok(Message::EngineFailed(e)) => {
                count_unrun(&mut report, &records, 0, &options.db, &format!("cannot open the engine: {e}"));
                break true;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                if now >= file_deadline {
                    if let Some(interrupt) = &interrupt {
                        interrupt();
                    }
                    let secs = options.timeout_per_file.as_secs_f64();
                    give_up(&mut report, next, &format!("timeout: file not done after {secs} s"));
                    break false;
                }
                match (&interrupt, interrupted) {
                    (Some(interrupt), None) => {
                        // Stop the slow record and see whether the engine comes back.
                        interrupt();
                        interrupted = Some(next);
                        record_deadline = now + INTERRUPT_GRACE;
                    }
                    _ => {
                        let secs = options.timeout_per_record.as_secs_f64();
                        let reason =
                            format!("timeout: record not done after {secs} s, and did not stop when interrupted");
                        give_up(&mut report, next, &reason);
                        break false;
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Only a panic outside catch_panic (a runner bug) gets here.
                give_up(&mut report, next, "the worker thread died");
                break false;
            }
        }
    };
    if finished {
        let _ = worker.join();
    }
    // Otherwise the worker is left to itself: a thread cannot be killed, and it stops at its
    // next record boundary because `abandon` is set.
    report.elapsed = start.elapsed();
    report
}

/// Counts the records from `from` on that never got a result: the first applicable one is a
/// failure with `reason` (the record that hung, after a timeout), the rest count as failed
/// without details, and skipped ones as skipped, up to a `halt` that applies.
fn count_unrun(report: &mut FileReport, records: &[Record], from: usize, db: &str, reason: &str) {
    let mut first = true;
    for record in &records[from..] {
        let applies = record.applies_to(db);
        if matches!(record.kind, RecordKind::Halt) && applies {
            break;
        }
        if !record.is_test() {
            continue;
        }
        if !applies {
            report.skipped += 1;
        } else if first {
            first = false;
            report.count(RecordResult {
                line: record.line,
                sql: record.sql().to_string(),
                outcome: Outcome::Error { message: reason.to_string() },
            });
        } else {
            report.failed += 1;
            report.not_run += 1;
        }
    }
}

/// Every `.test` file at `path` (a file, or a directory searched recursively), sorted.
pub fn collect_test_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if path.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let p = entry?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "test") {
                    out.push(p);
                }
            }
        }
        out.sort();
    } else {
        out.push(path.to_path_buf());
    }
    Ok(out)
}

/// Failures grouped by [`RecordResult::category`], most frequent first; records not run after a
/// timeout form their own group.
pub fn categories<'a>(reports: impl IntoIterator<Item = &'a FileReport>) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for report in reports {
        for failure in &report.failures {
            *counts.entry(failure.category()).or_default() += 1;
        }
        if report.not_run > 0 {
            *counts.entry("not run: the file timed out".to_string()).or_default() += report.not_run;
        }
    }
    let mut sorted: Vec<(String, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted
}

/// Where the corpus is: `$SLT_CORPUS`, else `shared/sqllogictest` beside the repository (where
/// the workplace and CI put it), else `/work/shared/sqllogictest`.
pub fn corpus_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SLT_CORPUS") {
        return Some(PathBuf::from(dir));
    }
    let beside_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/sqllogictest");
    [beside_repo, PathBuf::from("/work/shared/sqllogictest")].into_iter().find(|p| p.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_conditions_comments_and_crlf() {
        let text = "hash-threshold 8\r\n\r\nstatement ok\r\nCREATE TABLE t(a)\r\n# a comment inside\r\n\r\n\
                    skipif mysql # why\r\nonlyif sqlite\r\nquery IT rowsort label-1\r\nSELECT a,\r\n'x' FROM t\r\n----\r\n1\r\nx\r\n\r\n\
                    statement error\r\nBAD\r\n\r\n   \r\nquery R nosort\r\nSELECT 1.0\r\n\r\nhalt\r\n\r\nbogus\r\n";
        let records = parse(text);
        assert_eq!(records.len(), 7);
        assert_eq!(records[0].kind, RecordKind::HashThreshold(8));
        assert_eq!(records[1].kind, RecordKind::Statement { expect_error: false, sql: "CREATE TABLE t(a)".into() });
        assert_eq!(records[2].line, 7);
        assert_eq!(records[2].conditions, vec![Condition::SkipIf("mysql".into()), Condition::OnlyIf("sqlite".into())]);
        assert_eq!(
            records[2].kind,
            RecordKind::Query {
                types: vec![ColumnType::Integer, ColumnType::Text],
                sort: SortMode::RowSort,
                label: Some("label-1".into()),
                sql: "SELECT a,\n'x' FROM t".into(),
                expected: Some(vec!["1".into(), "x".into()]),
            }
        );
        assert!(records[2].applies_to("sqlite") && records[2].applies_to("SQLite"));
        assert!(!records[2].applies_to("mysql"));
        assert_eq!(records[3].kind, RecordKind::Statement { expect_error: true, sql: "BAD".into() });
        assert!(matches!(&records[4].kind, RecordKind::Query { expected: None, .. }));
        assert_eq!(records[5].kind, RecordKind::Halt);
        assert!(matches!(records[6].kind, RecordKind::Invalid { .. }));
        assert_eq!(
            parse("halt\n\nbogus\n")[1].kind,
            RecordKind::Invalid { message: "\"bogus\": unknown record type".into() }
        );
        assert!(matches!(parse("query X nosort\nSELECT 1\n")[0].kind, RecordKind::Invalid { .. }));
        assert!(matches!(parse("skipif\nhalt\n")[0].kind, RecordKind::Invalid { .. }));
    }

    #[test]
    fn renders_integers_like_column_int() {
        let i = |v: Value| render(&v, ColumnType::Integer);
        assert_eq!(i(Value::Integer(5)), "5");
        assert_eq!(i(Value::Integer(1 << 32 | 7)), "7");
        assert_eq!(i(Value::Integer(i64::MIN)), "0");
        assert_eq!(i(Value::Integer(0xffff_ffff)), "-1");
        assert_eq!(i(Value::Real(-2.7)), "-2");
        assert_eq!(i(Value::Real(2.7)), "2");
        assert_eq!(i(Value::Real(1e30)), "-1"); // saturates to i64::MAX, whose low 32 bits are -1
        assert_eq!(i(Value::text("abc")), "0");
        assert_eq!(i(Value::text("  -12xyz")), "-12");
        assert_eq!(i(Value::text("+7.9")), "7");
        assert_eq!(i(Value::text("99999999999999999999")), "-1");
        assert_eq!(i(Value::Null), "NULL");
    }

    #[test]
    fn renders_text_and_reals() {
        let t = |v: Value| render(&v, ColumnType::Text);
        assert_eq!(t(Value::text("")), "(empty)");
        assert_eq!(t(Value::text("a\tb\u{e9}")), "a@b@@");
        assert_eq!(t(Value::Integer(-3)), "-3");
        assert_eq!(t(Value::Real(1.0)), "1.0");
        assert_eq!(t(Value::Real(-0.0)), "0.0");
        assert_eq!(t(Value::Real(0.1)), "0.1");
        assert_eq!(t(Value::Real(1e15)), "1.0e+15");
        assert_eq!(t(Value::Real(123456789012345.0)), "123456789012345.0");
        assert_eq!(t(Value::Real(1.5e-5)), "1.5e-05");
        assert_eq!(t(Value::Null), "NULL");
        let r = |v: Value| render(&v, ColumnType::Real);
        assert_eq!(r(Value::Integer(1)), "1.000");
        assert_eq!(r(Value::Real(-0.0)), "0.000");
        assert_eq!(r(Value::Real(-9223372036854775808.0)), "-9223372036854776000.000");
        assert_eq!(r(Value::text("2.5abc")), "2.500");
        assert_eq!(r(Value::text("abc")), "0.000");
        assert_eq!(r(Value::Real(0.0005)), "0.001");
        assert_eq!(r(Value::Real(0.0625)), "0.063");
        assert_eq!(r(Value::Real(-0.0001)), "-0.000");
        assert_eq!(r(Value::Real(999.9996)), "1000.000");
    }

    /// The printf emulation against the bundled SQLite's own printf, over edge cases and a
    /// deterministic spread of doubles. `%!.15g` matches SQLite 3.43+ as well as the SQLite that
    /// made the corpus for the values shown; `%.3f` is SQLite 3.43+'s.
    #[test]
    fn printf_matches_bundled_sqlite() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            0.0625,
            0.0005,
            0.00049,
            1e-5,
            1.5e-5,
            1e-300,
            5e-324,
            0.1,
            0.2,
            0.3,
            1.0 / 3.0,
            2.0 / 3.0,
            49.47,
            999.9995,
            999.9996,
            1e15,
            1e16,
            1e17,
            1e20,
            1e300,
            1.7976931348623157e308,
            123456789012345.6,
            1234567890123456.7,
            9007199254740993.0,
            -9223372036854775808.0,
            9.223372036854776e18,
            12345.678949999,
            0.00001234,
            100.0,
            4.35,
            2.675,
            1.0005,
            1.0015,
        ];
        let mut state: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..3000 {
            // xorshift64*: a fixed, reproducible spread of bit patterns and magnitudes.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let bits = state.wrapping_mul(0x2545f4914f6cdd1d);
            let r = f64::from_bits(bits);
            if r.is_finite() {
                values.push(r);
            }
            let scale = 10f64.powi((bits % 40) as i32 - 20);
            values.push((bits >> 11) as f64 / (1u64 << 53) as f64 * scale * if bits & 1 == 0 { 1.0 } else { -1.0 });
        }
        for r in values {
            let (f3, g15): (String, String) = db
                .query_row("SELECT printf('%.3f', ?1), printf('%!.15g', ?1)", [r], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap();
            assert_eq!(format_fixed(r, 3), f3, "%.3f of {r:e}");
            assert_eq!(format_real15(r), g15, "%!.15g of {r:e}");
        }
    }

    #[test]
    fn md5_matches_rfc_1321() {
        let cases = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, digest) in cases {
            assert_eq!(md5_hex(input.as_bytes()), digest, "md5({input:?})");
        }
        for (i, k) in MD5_K.iter().enumerate() {
            assert_eq!(*k, ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32, "K[{i}]");
        }
        // The README's example.
        assert_eq!(
            hash_line(&["1".into(), "2".into(), "3".into()]),
            "3 values hashing to c0710d6b4f15dfa88f600b0e6b624077"
        );
    }

    /// An engine scripted in memory, to check the runner's own logic.
    struct Scripted {
        rows: Vec<Vec<Value>>,
        columns: usize,
        /// When set, `HANG` stops as soon as it is interrupted.
        stop: Option<Arc<AtomicBool>>,
    }

    impl Engine for Scripted {
        fn run_statement(&mut self, sql: &str) -> Result<(), String> {
            if sql.contains("BAD") {
                Err("syntax error".into())
            } else if sql.contains("PANIC") {
                panic!("scripted panic")
            } else {
                Ok(())
            }
        }

        fn run_query(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, String> {
            if sql.contains("HANG") {
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(30) {
                    if let Some(stop) = &self.stop {
                        if stop.swap(false, Ordering::Relaxed) {
                            return Err("interrupted".into());
                        }
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            Ok(self.rows.clone())
        }

        fn last_column_count(&self) -> Option<usize> {
            Some(self.columns)
        }

        fn interrupter(&self) -> Option<Interrupter> {
            let stop = self.stop.clone()?;
            Some(Box::new(move || stop.store(true, Ordering::Relaxed)))
        }
    }

    fn run_scripted(text: &str, rows: Vec<Vec<Value>>, columns: usize) -> Vec<Outcome> {
        let mut engine = Scripted { rows, columns, stop: None };
        let mut out = Vec::new();
        run_records(&mut engine, &parse(text), SQLITE, |_, r| {
            out.extend(r.map(|r| r.outcome));
            Progress::Continue
        });
        out
    }

    #[test]
    fn sorts_hashes_and_compares() {
        install_panic_hook(); // the scripted panic is reported as a record error, not printed
        let rows = vec![vec![Value::Integer(9), Value::text("b")], vec![Value::Integer(10), Value::Null]];
        let text = "query IT nosort\nq\n----\n9\nb\n10\nNULL\n\n\
                    query IT rowsort\nq\n----\n10\nNULL\n9\nb\n\n\
                    query IT valuesort\nq\n----\n10\n9\nNULL\nb\n\n\
                    hash-threshold 3\n\nquery IT rowsort\nq\n----\n4 values hashing to x\n\n\
                    query I nosort\nq\n----\n\n\
                    statement ok\nBAD\n\nstatement error\nBAD\n\nstatement error\nfine\n\n\
                    skipif sqlite\nstatement ok\nBAD\n\nonlyif mysql\nhalt\n\nstatement ok\nPANIC\n\nhalt\n\nstatement ok\nBAD\n";
        let outcomes = run_scripted(text, rows.clone(), 2);
        assert_eq!(outcomes[..3], [Outcome::Pass, Outcome::Pass, Outcome::Pass]);
        let sorted = vec!["10".to_string(), "NULL".into(), "9".into(), "b".into()];
        let hash = hash_line(&sorted);
        assert!(matches!(&outcomes[3], Outcome::Fail { actual, .. } if actual == &[hash]));
        assert!(matches!(&outcomes[4], Outcome::Error { message } if message.starts_with("wrong number of columns")));
        assert!(matches!(&outcomes[5], Outcome::Error { message } if message == "syntax error"));
        assert_eq!(outcomes[6], Outcome::Pass);
        assert!(
            matches!(&outcomes[7], Outcome::Fail { expected, actual, .. } if expected == &["error"] && actual == &["ok"])
        );
        assert_eq!(outcomes[8], Outcome::Skipped);
        assert!(matches!(&outcomes[9], Outcome::Error { message } if message.contains("scripted panic")));
        assert_eq!(outcomes.len(), 10, "the second halt applies and stops the file");
        // An empty result against an empty expected result, with the engine's column count.
        assert_eq!(run_scripted("query II nosort\nq\n----\n", vec![], 2), [Outcome::Pass]);
        assert!(matches!(&run_scripted("query I nosort\nq\n----\n", vec![], 2)[0], Outcome::Error { .. }));
    }

    #[test]
    fn a_hung_file_times_out_and_counts_the_rest_as_failed() {
        let factory: EngineFactory =
            Arc::new(|| Ok(Box::new(Scripted { rows: vec![], columns: 1, stop: None }) as Box<dyn Engine>));
        let text =
            "statement ok\nx\n\nquery I nosort\nHANG\n----\n\nstatement ok\nx\n\nskipif sqlite\nstatement ok\nx\n\n\
                    statement ok\nx\n\nhalt\n\nstatement ok\nx\n";
        let options = RunOptions { timeout_per_file: Duration::from_millis(300), ..RunOptions::default() };
        let report = run_text("hang", text, &factory, &options);
        assert!(report.timed_out);
        assert_eq!((report.passed, report.failed, report.skipped, report.not_run), (1, 3, 1, 2));
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].line, 4);
    }

    #[test]
    fn a_slow_record_is_interrupted_and_the_file_goes_on() {
        let factory: EngineFactory = Arc::new(|| {
            Ok(Box::new(Scripted { rows: vec![], columns: 1, stop: Some(Arc::default()) }) as Box<dyn Engine>)
        });
        let text = "statement ok\nx\n\nquery I nosort\nHANG\n----\n\nstatement ok\nx\n\nquery I nosort\nq\n----\n";
        let options = RunOptions { timeout_per_record: Duration::from_millis(200), ..RunOptions::default() };
        let report = run_text("slow", text, &factory, &options);
        assert!(!report.timed_out);
        assert_eq!((report.passed, report.failed, report.skipped, report.not_run), (3, 1, 0, 0));
        assert!(
            matches!(&report.failures[0].outcome, Outcome::Error { message } if message.contains("interrupted")),
            "{:?}",
            report.failures
        );
    }

    #[test]
    fn normalizes_messages() {
        assert_eq!(normalize_message("no such column: t1.x"), "no such column: _");
        assert_eq!(normalize_message("near \"FROM\": syntax error"), "near \"_\": syntax error");
        assert_eq!(
            normalize_message("panic at core/src/a.rs:12: index 3 out of range"),
            "panic at core/src/a.rs:12: index N out of range"
        );
        assert_eq!(normalize_message("misuse: x"), "misuse: x");
    }
}
