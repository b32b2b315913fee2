//! SQL values: SQLite's five storage classes, their sort order, and the collating sequences.
//! A leaf module: every layer uses it and it uses nothing but the error type.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// One SQL value. Text is always UTF-8 inside the engine; UTF-16 databases convert at the record boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(Arc<str>),
    Blob(Arc<[u8]>),
}

/// The storage class of a value, in SQLite's cross-type sort order (NULL < numbers < TEXT < BLOB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StorageClass {
    Null,
    Numeric,
    Text,
    Blob,
}

/// The collating sequences SQLite builds in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collation {
    #[default]
    Binary,
    NoCase,
    RTrim,
}

impl Collation {
    pub fn from_name(name: &str) -> Option<Collation> {
        match name.to_ascii_uppercase().as_str() {
            "BINARY" => Some(Collation::Binary),
            "NOCASE" => Some(Collation::NoCase),
            "RTRIM" => Some(Collation::RTrim),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Collation::Binary => "BINARY",
            Collation::NoCase => "NOCASE",
            Collation::RTrim => "RTRIM",
        }
    }

    /// Compares two strings as this collation does.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            Collation::Binary => a.as_bytes().cmp(b.as_bytes()),
            // NOCASE folds only ASCII, exactly as SQLite's sqlite3StrICmp does.
            Collation::NoCase => {
                let (a, b) = (a.as_bytes(), b.as_bytes());
                for (x, y) in a.iter().zip(b.iter()) {
                    let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
                    if x != y {
                        return x.cmp(&y);
                    }
                }
                a.len().cmp(&b.len())
            }
            Collation::RTrim => a.trim_end_matches(' ').as_bytes().cmp(b.trim_end_matches(' ').as_bytes()),
        }
    }
}

impl Value {
    pub fn text(s: &str) -> Value {
        Value::Text(Arc::from(s))
    }

    pub fn blob(b: &[u8]) -> Value {
        Value::Blob(Arc::from(b))
    }

    pub fn storage_class(&self) -> StorageClass {
        match self {
            Value::Null => StorageClass::Null,
            Value::Integer(_) | Value::Real(_) => StorageClass::Numeric,
            Value::Text(_) => StorageClass::Text,
            Value::Blob(_) => StorageClass::Blob,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The name `typeof()` returns.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Integer(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
    }

    /// Compares two values in SQLite's sort order (sqlite3MemCompare), using `coll` for text.
    pub fn compare(&self, other: &Value, coll: Collation) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Less,
            (_, Null) => Ordering::Greater,
            (Integer(a), Integer(b)) => a.cmp(b),
            (Integer(a), Real(b)) => compare_int_real(*a, *b),
            (Real(a), Integer(b)) => compare_int_real(*b, *a).reverse(),
            (Real(a), Real(b)) => compare_reals(*a, *b),
            (Integer(_) | Real(_), _) => Ordering::Less,
            (_, Integer(_) | Real(_)) => Ordering::Greater,
            (Text(a), Text(b)) => coll.compare(a, b),
            (Text(_), Blob(_)) => Ordering::Less,
            (Blob(_), Text(_)) => Ordering::Greater,
            (Blob(a), Blob(b)) => a.as_ref().cmp(b.as_ref()),
        }
    }
}

/// NaN never reaches storage (SQLite stores it as NULL), so a total order on the rest is enough.
pub fn compare_reals(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// Compares an integer with a real exactly, as sqlite3IntFloatCompare does (no precision loss
/// for integers beyond 2^53).
pub fn compare_int_real(i: i64, r: f64) -> Ordering {
    if r.is_nan() {
        return Ordering::Greater;
    }
    if r < -9223372036854775808.0 {
        return Ordering::Greater;
    }
    if r >= 9223372036854775808.0 {
        return Ordering::Less;
    }
    let y = r as i64;
    match i.cmp(&y) {
        Ordering::Equal => {
            let s = i as f64;
            compare_reals(s, r).then_with(|| {
                // i == trunc(r): compare the fractional part.
                let frac = r - (y as f64);
                if frac > 0.0 {
                    Ordering::Less
                } else if frac < 0.0 {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                }
            })
        }
        o => o,
    }
}

impl fmt::Display for Value {
    /// Formats as `sqlite3_column_text` would: integers in decimal, reals as SQLite prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => f.write_str(&format_real(*r)),
            Value::Text(s) => f.write_str(s),
            Value::Blob(b) => f.write_str(&String::from_utf8_lossy(b)),
        }
    }
}

/// Formats a REAL the way SQLite's `%!.15g` does: 15 significant digits, always with a decimal
/// point or exponent, so `1.0` prints as `1.0` and `1e100` as `1.0e+100`.
pub fn format_real(r: f64) -> String {
    if r.is_nan() {
        return String::new();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Inf".into() } else { "-Inf".into() };
    }
    if r == 0.0 {
        return if r.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // %.15g: choose between fixed and exponent notation by the decimal exponent.
    let s = format!("{:.14e}", r);
    let (mantissa, exp) = s.split_once('e').expect("exponent format");
    let exp: i32 = exp.parse().expect("exponent digits");
    if !(-4..15).contains(&exp) {
        let mut m = mantissa.trim_end_matches('0').to_string();
        if m.ends_with('.') {
            m.push('0');
        }
        if !m.contains('.') {
            m.push_str(".0");
        }
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (14 - exp).max(0) as usize;
        let mut out = format!("{:.*}", decimals, r);
        if out.contains('.') {
            out = out.trim_end_matches('0').to_string();
            if out.ends_with('.') {
                out.push('0');
            }
        } else {
            out.push_str(".0");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_print_as_sqlite_does() {
        // Expected strings are what `sqlite3 :memory: "select X"` prints.
        for (v, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.5e100, "1.5e+100"),
            (123456789012345.0, "123456789012345.0"),
            (1234567890123456.0, "1.23456789012346e+15"),
            (1e-5, "1.0e-05"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (1.2345678901234567, "1.23456789012346"),
        ] {
            assert_eq!(format_real(v), want, "{v}");
        }
    }

    #[test]
    fn cross_type_order() {
        let vals = [Value::Null, Value::Integer(1), Value::Real(1.5), Value::text("a"), Value::blob(b"a")];
        for w in vals.windows(2) {
            assert_eq!(w[0].compare(&w[1], Collation::Binary), Ordering::Less);
        }
        assert_eq!(compare_int_real(i64::MAX, 9223372036854775807.0), Ordering::Less);
        assert_eq!(Collation::NoCase.compare("ABC", "abc"), Ordering::Equal);
        assert_eq!(Collation::RTrim.compare("abc  ", "abc"), Ordering::Equal);
    }
}
