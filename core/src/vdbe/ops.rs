//! Value semantics the VM applies: type affinity, text-to-number conversion, arithmetic with
//! SQLite's overflow rules, comparison with affinity, truth values, and CAST.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::value::{format_real, Collation, Value};

/// Column and expression affinity (SQLite's `SQLITE_AFF_*`), with the letters EXPLAIN shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Affinity {
    #[default]
    Blob,
    Text,
    Numeric,
    Integer,
    Real,
}

impl Affinity {
    /// The affinity of a declared column type (SQLite's rules in section 3.1 of datatype3.html).
    pub fn from_decl_type(decl: &str) -> Affinity {
        let t = decl.to_ascii_uppercase();
        if t.contains("INT") {
            Affinity::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Affinity::Text
        } else if t.contains("BLOB") || t.trim().is_empty() {
            Affinity::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }

    pub fn letter(self) -> char {
        match self {
            Affinity::Blob => 'A',
            Affinity::Text => 'B',
            Affinity::Numeric => 'C',
            Affinity::Integer => 'D',
            Affinity::Real => 'E',
        }
    }

    pub fn from_letter(c: char) -> Affinity {
        match c {
            'B' => Affinity::Text,
            'C' => Affinity::Numeric,
            'D' => Affinity::Integer,
            'E' => Affinity::Real,
            _ => Affinity::Blob,
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Affinity::Numeric | Affinity::Integer | Affinity::Real)
    }
}

/// Applies an affinity to a value as SQLite does when storing into a column.
pub fn apply_affinity(v: Value, aff: Affinity) -> Value {
    match aff {
        Affinity::Blob => v,
        Affinity::Text => match v {
            Value::Integer(_) | Value::Real(_) => Value::Text(Arc::from(v.to_string().as_str())),
            other => other,
        },
        Affinity::Numeric | Affinity::Integer => match &v {
            // A well-formed number; a REAL with no fractional part that fits becomes INTEGER.
            Value::Text(s) => match parse_numeric_text(s) {
                Some(Value::Real(r)) => real_to_int_if_exact(r).map(Value::Integer).unwrap_or(Value::Real(r)),
                Some(n) => n,
                None => v,
            },
            Value::Real(r) => real_to_int_if_exact(*r).map(Value::Integer).unwrap_or(v),
            _ => v,
        },
        Affinity::Real => match &v {
            Value::Text(s) => match parse_numeric_text(s) {
                Some(Value::Integer(i)) => Value::Real(i as f64),
                Some(n) => n,
                None => v,
            },
            Value::Integer(i) => Value::Real(*i as f64),
            // SQLite stores an integral REAL of a REAL column as an integer (IntReal): a
            // negative zero reads back as 0.0.
            Value::Real(r) if *r == 0.0 => Value::Real(0.0),
            _ => v,
        },
    }
}

/// A REAL that is exactly an integer within ±2^63 converts under NUMERIC/INTEGER affinity.
fn real_to_int_if_exact(r: f64) -> Option<i64> {
    // SQLite's sqlite3VdbeIntegerAffinity: an exact integer strictly between i64's extremes.
    if r.fract() == 0.0 && r > -9223372036854775808.0 && r < 9223372036854775807.0 {
        return Some(r as i64);
    }
    None
}

/// CAST(... AS NUMERIC) converts a real only when it is an integer within ±2^51
/// (SQLite's sqlite3RealSameAsInt), a narrower rule than column affinity's.
fn real_same_as_int(r: f64) -> Option<i64> {
    const LIMIT: f64 = 2251799813685248.0;
    if r.fract() == 0.0 && r > -LIMIT && r < LIMIT {
        return Some(r as i64);
    }
    None
}

/// Parses text that is entirely a number (leading and trailing spaces allowed), as NUMERIC
/// affinity requires: an integer when it fits in 64 bits and has no point or exponent, else REAL.
pub fn parse_numeric_text(s: &str) -> Option<Value> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return None;
    }
    let (len, is_int) = scan_number(t.as_bytes());
    if len != t.len() || len == 0 {
        return None;
    }
    if is_int {
        if let Ok(i) = t.parse::<i64>() {
            return Some(Value::Integer(i));
        }
    }
    let r = parse_f64(t)?;
    if !is_int {
        return Some(Value::Real(r));
    }
    Some(Value::Real(r))
}

/// Scans the longest numeric prefix: optional sign, digits, optional fraction, optional exponent.
/// Returns its length and whether it is integer-shaped. A bare sign or dot is no number.
fn scan_number(b: &[u8]) -> (usize, bool) {
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut int_digits = i - digits_start;
    let mut is_int = true;
    if i < b.len() && b[i] == b'.' {
        let dot = i;
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return (0, true);
        }
        if i == frac_start && int_digits == 0 {
            i = dot;
        }
        is_int = false;
        int_digits += i - frac_start;
    }
    if int_digits == 0 {
        return (0, true);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
            is_int = false;
        }
    }
    (i, is_int)
}

fn parse_f64(t: &str) -> Option<f64> {
    let t = t.strip_prefix('+').unwrap_or(t);
    let r: f64 = t.parse().ok()?;
    Some(r)
}

/// The numeric value of a value in arithmetic context (sqlite3VdbeMemNumerify): text uses its
/// longest numeric prefix (none gives 0), blobs likewise, NULL stays NULL.
pub fn to_numeric(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Integer(_) | Value::Real(_) => v.clone(),
        Value::Text(s) => text_prefix_numeric(s),
        Value::Blob(b) => text_prefix_numeric(&String::from_utf8_lossy(b)),
    }
}

fn text_prefix_numeric(s: &str) -> Value {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (len, is_int) = scan_number(t.as_bytes());
    if len == 0 {
        return Value::Integer(0);
    }
    let num = &t[..len];
    if is_int {
        if let Ok(i) = num.parse::<i64>() {
            return Value::Integer(i);
        }
    }
    Value::Real(parse_f64(num).unwrap_or(0.0))
}

/// The integer value as SQLite's integer operators (`%` on reals, `&`, `|`, `~`, `<<`, `>>`)
/// take it (sqlite3VdbeIntValue): reals truncate toward zero, text and blobs give the integer
/// at their start (`'1e2'` is 1), saturating.
pub fn int_value(v: &Value) -> i64 {
    match v {
        Value::Null => 0,
        Value::Integer(i) => *i,
        Value::Real(r) => real_to_i64(*r),
        Value::Text(s) => integer_prefix(s.as_bytes()),
        Value::Blob(b) => integer_prefix(b),
    }
}

fn integer_prefix(b: &[u8]) -> i64 {
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = i < b.len() && b[i] == b'-';
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let mut v: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        let d = i64::from(b[i] - b'0');
        v = match v.checked_mul(10).and_then(|x| if neg { x.checked_sub(d) } else { x.checked_add(d) }) {
            Some(x) => x,
            None => return if neg { i64::MIN } else { i64::MAX },
        };
        i += 1;
    }
    v
}

/// The integer value (sqlite3VdbeIntValue): reals truncate toward zero, saturating.
/// A value as an INTEGER (sqlite3VdbeIntValue): text and blobs by their integer prefix, as
/// sqlite3Atoi64 reads it (`'1e2'` is 1, `' 12abc'` is 12), saturating on overflow.
pub fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Integer(i) => *i,
        Value::Real(r) => real_to_i64(*r),
        Value::Text(s) => atoi64_prefix(s.as_bytes()),
        Value::Blob(b) => atoi64_prefix(b),
        Value::Null => 0,
    }
}

fn atoi64_prefix(z: &[u8]) -> i64 {
    let mut i = 0;
    while i < z.len() && matches!(z[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let negative = match z.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    // Accumulate the magnitude as u64; more than 19 digits or beyond i64 saturates.
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    while let Some(d) = z.get(i).filter(|c| c.is_ascii_digit()) {
        match magnitude.checked_mul(10).and_then(|m| m.checked_add(u64::from(d - b'0'))) {
            Some(m) => magnitude = m,
            None => overflow = true,
        }
        i += 1;
    }
    if negative {
        if overflow || magnitude > 1 << 63 {
            i64::MIN
        } else {
            (magnitude as i64).wrapping_neg()
        }
    } else if overflow || magnitude > i64::MAX as u64 {
        i64::MAX
    } else {
        magnitude as i64
    }
}

pub fn real_to_i64(r: f64) -> i64 {
    if r.is_nan() {
        0
    } else if r <= -9223372036854775808.0 {
        i64::MIN
    } else if r >= 9223372036854775807.0 {
        i64::MAX
    } else {
        r as i64
    }
}

pub fn to_f64(v: &Value) -> f64 {
    match to_numeric(v) {
        Value::Integer(i) => i as f64,
        Value::Real(r) => r,
        _ => 0.0,
    }
}

/// SQL truth: NULL is unknown (None); numbers are true when non-zero; text and blobs by their
/// numeric prefix.
pub fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(*i != 0),
        Value::Real(r) => Some(*r != 0.0),
        other => Some(to_f64(other) != 0.0),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Remainder,
}

/// Arithmetic with SQLite's rules: integer operations that overflow switch to REAL; division by
/// zero gives NULL; `%` works on integers (reals are truncated).
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let (x, y) = (to_numeric(a), to_numeric(b));
    if let (Value::Integer(i), Value::Integer(j)) = (&x, &y) {
        let (i, j) = (*i, *j);
        let r = match op {
            ArithOp::Add => i.checked_add(j),
            ArithOp::Subtract => i.checked_sub(j),
            ArithOp::Multiply => i.checked_mul(j),
            ArithOp::Divide => {
                if j == 0 {
                    return Value::Null;
                }
                if i == i64::MIN && j == -1 {
                    None
                } else {
                    Some(i / j)
                }
            }
            ArithOp::Remainder => {
                if j == 0 {
                    return Value::Null;
                }
                if j == -1 {
                    Some(0)
                } else {
                    Some(i % j)
                }
            }
        };
        if let Some(r) = r {
            return Value::Integer(r);
        }
    }
    let (fx, fy) = (to_f64(&x), to_f64(&y));
    match op {
        ArithOp::Add => real_result(fx + fy),
        ArithOp::Subtract => real_result(fx - fy),
        ArithOp::Multiply => real_result(fx * fy),
        ArithOp::Divide => {
            if fy == 0.0 {
                Value::Null
            } else {
                real_result(fx / fy)
            }
        }
        ArithOp::Remainder => {
            // SQLite takes the operands' integer values here, not their numeric ones.
            let (ix, iy) = (int_value(a), int_value(b));
            let _ = (fx, fy);
            if iy == 0 {
                return Value::Null;
            }
            let r = if iy == -1 { 0 } else { ix % iy };
            Value::Real(r as f64)
        }
    }
}

fn real_result(r: f64) -> Value {
    if r.is_nan() {
        Value::Null
    } else {
        Value::Real(r)
    }
}

/// Text form of a value for concatenation and text affinity (`sqlite3_value_text`).
pub fn to_text(v: &Value) -> Option<Arc<str>> {
    match v {
        Value::Null => None,
        Value::Text(s) => Some(s.clone()),
        Value::Integer(i) => Some(Arc::from(i.to_string().as_str())),
        Value::Real(r) => Some(Arc::from(format_real(*r).as_str())),
        Value::Blob(b) => Some(Arc::from(String::from_utf8_lossy(b).as_ref())),
    }
}

pub fn concat(a: &Value, b: &Value) -> Value {
    match (to_text(a), to_text(b)) {
        (Some(x), Some(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(&x);
            s.push_str(&y);
            Value::Text(Arc::from(s.as_str()))
        }
        _ => Value::Null,
    }
}

/// Prepares the operands of a comparison as SQLite does (sqlite3CompareAffinity already chosen by
/// the compiler): with numeric affinity, text that looks like a number becomes one; with text
/// affinity, numbers become text.
pub fn compare_with_affinity(a: &Value, b: &Value, aff: Affinity, coll: Collation) -> Ordering {
    match aff {
        Affinity::Numeric | Affinity::Integer | Affinity::Real => {
            let a2 = if matches!(a, Value::Text(_)) { apply_affinity(a.clone(), Affinity::Numeric) } else { a.clone() };
            let b2 = if matches!(b, Value::Text(_)) { apply_affinity(b.clone(), Affinity::Numeric) } else { b.clone() };
            a2.compare(&b2, coll)
        }
        Affinity::Text => {
            let a2 = if matches!(a, Value::Integer(_) | Value::Real(_)) {
                apply_affinity(a.clone(), Affinity::Text)
            } else {
                a.clone()
            };
            let b2 = if matches!(b, Value::Integer(_) | Value::Real(_)) {
                apply_affinity(b.clone(), Affinity::Text)
            } else {
                b.clone()
            };
            a2.compare(&b2, coll)
        }
        Affinity::Blob => a.compare(b, coll),
    }
}

/// CAST(v AS type), by the affinity of the type name.
pub fn cast(v: &Value, aff: Affinity) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    match aff {
        Affinity::Blob => match v {
            Value::Blob(_) => v.clone(),
            other => Value::Blob(Arc::from(to_text(other).unwrap_or_default().as_bytes())),
        },
        Affinity::Text => Value::Text(to_text(v).unwrap_or_default()),
        Affinity::Integer => Value::Integer(match v {
            Value::Real(r) => real_to_i64(*r),
            other => to_i64(other),
        }),
        Affinity::Real => Value::Real(to_f64(v)),
        Affinity::Numeric => match v {
            Value::Integer(_) | Value::Real(_) => v.clone(),
            other => {
                let n = to_numeric(other);
                match n {
                    Value::Real(r) => real_same_as_int(r).map(Value::Integer).unwrap_or(n),
                    n => n,
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_of_declared_types() {
        for (decl, aff) in [
            ("INTEGER", Affinity::Integer),
            ("TINYINT", Affinity::Integer),
            ("VARCHAR(10)", Affinity::Text),
            ("CLOB", Affinity::Text),
            ("BLOB", Affinity::Blob),
            ("", Affinity::Blob),
            ("DOUBLE PRECISION", Affinity::Real),
            ("DECIMAL(10,5)", Affinity::Numeric),
            ("FLOATING POINT", Affinity::Integer), // "INT" wins, as in SQLite's documented example
        ] {
            assert_eq!(Affinity::from_decl_type(decl), aff, "{decl}");
        }
    }

    #[test]
    fn numeric_text() {
        assert_eq!(parse_numeric_text(" 12 "), Some(Value::Integer(12)));
        assert_eq!(parse_numeric_text("1.5e3"), Some(Value::Real(1500.0)));
        assert_eq!(parse_numeric_text("12abc"), None);
        assert_eq!(parse_numeric_text("."), None);
        assert_eq!(parse_numeric_text("9223372036854775808"), Some(Value::Real(9223372036854775808.0)));
        assert_eq!(to_numeric(&Value::text("12abc")), Value::Integer(12));
        assert_eq!(to_numeric(&Value::text("abc")), Value::Integer(0));
        assert_eq!(to_numeric(&Value::text("3.5x")), Value::Real(3.5));
    }

    #[test]
    fn arithmetic_overflow_and_division() {
        assert_eq!(
            arith(ArithOp::Add, &Value::Integer(i64::MAX), &Value::Integer(1)),
            Value::Real(9223372036854775808.0)
        );
        assert_eq!(arith(ArithOp::Divide, &Value::Integer(7), &Value::Integer(2)), Value::Integer(3));
        assert_eq!(arith(ArithOp::Divide, &Value::Integer(7), &Value::Integer(0)), Value::Null);
        assert_eq!(arith(ArithOp::Remainder, &Value::Real(7.5), &Value::Integer(2)), Value::Real(1.0));
        assert_eq!(arith(ArithOp::Multiply, &Value::text("3"), &Value::Integer(2)), Value::Integer(6));
    }
}
