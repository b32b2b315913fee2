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

/// A collating sequence: one SQLite builds in, or one the application registers on its
/// connection (`Connection::create_collation`), named by an id from the process-wide name table
/// (`intern_collation`). The id stands for the name, not for a function: which function compares
/// is looked up, at each comparison, in the collations of the connection whose statement is
/// running on this thread (see `UserCollationsGuard`). The built-in variants never look anything
/// up, so they stay as fast as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collation {
    #[default]
    Binary,
    NoCase,
    RTrim,
    User(u32),
}

/// A user collation's comparison (sqlite3_create_collation's xCompare).
pub type CollationFn = dyn Fn(&str, &str) -> Ordering + Send + Sync;

/// A connection's user collations, indexed by interned name id.
pub type UserCollations = Vec<Option<Arc<CollationFn>>>;

/// Collation names ever seen (registered, or declared in a schema), case-folded, each with the
/// spelling it was first seen with. Append-only, so an id never changes meaning; bounded by the
/// number of distinct names a process uses.
static COLLATION_NAMES: std::sync::Mutex<Vec<(String, &'static str)>> = std::sync::Mutex::new(Vec::new());

/// The id of collation name `name` (case-insensitive, as SQLite's names are), adding it.
pub fn intern_collation(name: &str) -> u32 {
    let folded = name.to_ascii_lowercase();
    let mut names = COLLATION_NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = names.iter().position(|(n, _)| *n == folded) {
        return i as u32;
    }
    // Leaked once per distinct name, so that `Collation::name` can stay `&'static str`.
    let spelling: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push((folded, spelling));
    (names.len() - 1) as u32
}

/// The id of `name` if it was ever interned.
fn collation_id(name: &str) -> Option<u32> {
    let names = COLLATION_NAMES.lock().unwrap_or_else(|p| p.into_inner());
    names.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)).map(|i| i as u32)
}

thread_local! {
    /// The user collations of the connection whose statement is being compiled or run on this
    /// thread (set by `UserCollationsGuard`).
    static USER_COLLATIONS: std::cell::RefCell<Option<Arc<UserCollations>>> = const { std::cell::RefCell::new(None) };
}

/// Makes `collations` the ones this thread's comparisons use until the guard drops (nesting
/// restores the outer connection's).
pub struct UserCollationsGuard(Option<Arc<UserCollations>>);

impl UserCollationsGuard {
    pub fn set(collations: Arc<UserCollations>) -> UserCollationsGuard {
        UserCollationsGuard(USER_COLLATIONS.with(|c| c.replace(Some(collations))))
    }
}

impl Drop for UserCollationsGuard {
    fn drop(&mut self) {
        USER_COLLATIONS.with(|c| *c.borrow_mut() = self.0.take());
    }
}

/// The function of user collation `id` on this thread's connection.
fn user_collation(id: u32) -> Option<Arc<CollationFn>> {
    USER_COLLATIONS.with(|c| c.borrow().as_ref().and_then(|t| t.get(id as usize).cloned().flatten()))
}

impl Collation {
    /// The collation `name` names, if it is built in or registered on this thread's connection.
    pub fn from_name(name: &str) -> Option<Collation> {
        if let Some(c) = Collation::builtin(name) {
            return Some(c);
        }
        let id = collation_id(name)?;
        user_collation(id).map(|_| Collation::User(id))
    }

    fn builtin(name: &str) -> Option<Collation> {
        if name.eq_ignore_ascii_case("BINARY") {
            Some(Collation::Binary)
        } else if name.eq_ignore_ascii_case("NOCASE") {
            Some(Collation::NoCase)
        } else if name.eq_ignore_ascii_case("RTRIM") {
            Some(Collation::RTrim)
        } else {
            None
        }
    }

    /// The collation a schema declares, whether or not it is registered now: SQLite loads a
    /// schema naming an unknown collation and fails only the statements that need it.
    pub fn declared(name: &str) -> Collation {
        Collation::builtin(name).unwrap_or_else(|| Collation::User(intern_collation(name)))
    }

    /// Whether comparisons with this collation can run on this thread's connection.
    pub fn is_available(self) -> bool {
        match self {
            Collation::User(id) => user_collation(id).is_some(),
            _ => true,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Collation::Binary => "BINARY",
            Collation::NoCase => "NOCASE",
            Collation::RTrim => "RTRIM",
            Collation::User(id) => {
                let names = COLLATION_NAMES.lock().unwrap_or_else(|p| p.into_inner());
                names.get(id as usize).map(|(_, s)| *s).unwrap_or("?")
            }
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
            // A program that needs a missing collation fails to compile, and changing a
            // connection's collations expires its statements; a collation gone while a statement
            // runs (removed from inside a callback) compares as BINARY, never crashes. The
            // function is called with no borrow held, so it may itself run statements.
            Collation::User(id) => match user_collation(id) {
                Some(f) => f(a, b),
                None => a.as_bytes().cmp(b.as_bytes()),
            },
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

/// Significant digits SQLite keeps when it turns a REAL into text (`SQLITE_DBCONFIG_FP_DIGITS`):
/// 17 since SQLite 3.52, 15 before.
pub const DEFAULT_FP_DIGITS: u8 = 17;

thread_local! {
    /// The digits in force for REAL-to-text conversions on this thread: a statement's step sets
    /// its connection's setting for its duration (see `FpDigitsGuard`).
    static FP_DIGITS: std::cell::Cell<u8> = const { std::cell::Cell::new(DEFAULT_FP_DIGITS) };
}

/// The digits REAL-to-text conversions on this thread use now.
pub fn fp_digits() -> u8 {
    FP_DIGITS.with(|d| d.get())
}

/// Sets this thread's REAL-to-text digits (3..=23, as SQLite accepts) until the guard drops.
pub struct FpDigitsGuard(u8);

impl FpDigitsGuard {
    pub fn set(digits: u8) -> FpDigitsGuard {
        assert!((3..=23).contains(&digits), "fp digits out of range: {digits}");
        FpDigitsGuard(FP_DIGITS.with(|d| d.replace(digits)))
    }
}

impl Drop for FpDigitsGuard {
    fn drop(&mut self) {
        FP_DIGITS.with(|d| d.set(self.0));
    }
}

/// Formats a REAL as SQLite turns it into text, with this thread's digits (`fp_digits`).
pub fn format_real(r: f64) -> String {
    format_real_digits(r, fp_digits())
}

/// Formats a REAL the way SQLite's `%!.<digits>g` does: always with a decimal point or an
/// exponent (`1.0`, `1.0e+100`), trailing zeros removed. With 17 digits SQLite first tries a
/// shorter form that reads back as the same double (`0.1`, not `0.10000000000000001`).
pub fn format_real_digits(r: f64, digits: u8) -> String {
    if r.is_nan() {
        return String::new();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Inf".into() } else { "-Inf".into() };
    }
    let (negative, mut z, dp) = decimal_digits(r, digits as usize);
    // %g: exponent notation when the exponent is below -4 or at least the precision.
    let precision = digits as i32 - 1;
    let exp = dp - 1;
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    if exp < -4 || exp > precision {
        out.push(z[0] as char);
        out.push('.');
        if z.len() > 1 {
            out.push_str(std::str::from_utf8(&z[1..]).expect("digits"));
        } else {
            out.push('0');
        }
        let sign = if exp < 0 { '-' } else { '+' };
        out.push('e');
        out.push(sign);
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
        return out;
    }
    if dp <= 0 {
        out.push_str("0.");
        for _ in dp..0 {
            out.push('0');
        }
        out.push_str(std::str::from_utf8(&z).expect("digits"));
        return out;
    }
    let int_len = dp as usize;
    while z.len() < int_len {
        z.push(b'0');
    }
    out.push_str(std::str::from_utf8(&z[..int_len]).expect("digits"));
    out.push('.');
    if z.len() > int_len {
        out.push_str(std::str::from_utf8(&z[int_len..]).expect("digits"));
    } else {
        out.push('0');
    }
    out
}

/// SQLite's sqlite3FpDecode for `%!.<digits>g`: the sign, the significant digits (no trailing
/// zeros, at least one) and the position of the decimal point (`digits × 10^(dp - len)`).
fn decimal_digits(r: f64, digits: usize) -> (bool, Vec<u8>, i32) {
    if r == 0.0 {
        // Negative zero prints without its sign.
        return (false, vec![b'0'], 1);
    }
    let negative = r < 0.0;
    let a = r.abs();
    let (v, p) = crate::fp::decimal_significand(a, if digits >= 17 { 18 } else { digits as i32 + 1 });
    let mut z: Vec<u8> = v.to_string().into_bytes();
    let mut dp = z.len() as i32 + p;
    let n = z.len();
    let mut round_at = digits.min(n);
    if digits == 17 {
        // Try a shorter text that reads back as the same double: a run of 9s rounded up or of
        // 0s dropped around the 15th and 16th digits.
        let reads_back = |v: u64, p: i32| format!("{v}e{p}").parse::<f64>().ok() == Some(a);
        if z[15] == b'9' && z[14] == b'9' {
            let mut jj = 14;
            while jj > 0 && z[jj - 1] == b'9' {
                jj -= 1;
            }
            let v2 = if jj == 0 { 1 } else { digits_value(&z[..jj]) + 1 };
            if reads_back(v2, dp - jj as i32) {
                round_at = jj + 1;
            }
        } else if dp >= n as i32 || (z[15] == b'0' && z[14] == b'0' && z[13] == b'0') {
            let mut jj = 13;
            while jj > 1 && z[jj - 1] == b'0' {
                jj -= 1;
            }
            if reads_back(digits_value(&z[..jj]), dp - jj as i32) {
                round_at = jj + 1;
            }
        }
    }
    if round_at < n {
        round_digits(&mut z, &mut dp, round_at);
    }
    while z.len() > 1 && *z.last().expect("a digit") == b'0' {
        z.pop();
    }
    (negative, z, dp)
}

/// SQLite's sqlite3FpDecode for printf's %f, %e and %g: the sign, the significant digits (no
/// trailing zeros, at least one) and the decimal point's position (`0.d1d2... × 10^dp`) of
/// finite `r`. `i_round > 0` rounds to that many significant digits, `i_round <= 0` to
/// `-i_round` places after the decimal point; never more than `mx_round` significant digits
/// (16, or 26 with the `!` flag). Rounding is half away from zero, as SQLite's.
pub(crate) fn fp_decode(r: f64, i_round: i32, mx_round: i32) -> (bool, Vec<u8>, i32) {
    if r == 0.0 {
        return (false, vec![b'0'], 1);
    }
    if i_round == 17 && mx_round > 17 {
        return decimal_digits(r, 17);
    }
    let negative = r < 0.0;
    let n = if i_round <= 0 || i_round >= 18 { 18 } else { i_round + 1 };
    let (v, p) = crate::fp::decimal_significand(r.abs(), n);
    let mut z: Vec<u8> = v.to_string().into_bytes();
    let mut dp = z.len() as i32 + p;
    let mut i_round = i_round;
    if i_round <= 0 {
        i_round = dp - i_round;
        if i_round == 0 && z[0] >= b'5' {
            i_round = 1;
            z.insert(0, b'0');
            dp += 1;
        }
    }
    if i_round > 0 && (i_round < z.len() as i32 || z.len() as i32 > mx_round) {
        let at = i_round.min(mx_round) as usize;
        if at < z.len() {
            round_digits(&mut z, &mut dp, at);
        }
    }
    while z.len() > 1 && *z.last().expect("a digit") == b'0' {
        z.pop();
    }
    if z == [b'0'] {
        // Everything rounded away: zero, with the decimal point where SQLite leaves it.
        return (negative, z, 1);
    }
    (negative, z, dp)
}

/// Keeps the first `at` (< z.len()) digits, rounding half up on the next one; a carry out of
/// the first digit adds a leading 1 and moves the decimal point `dp` right.
fn round_digits(z: &mut Vec<u8>, dp: &mut i32, at: usize) {
    let up = z[at] >= b'5';
    z.truncate(at);
    if !up {
        return;
    }
    let mut j = at;
    loop {
        if j == 0 {
            z.insert(0, b'1');
            *dp += 1;
            return;
        }
        j -= 1;
        if z[j] == b'9' {
            z[j] = b'0';
        } else {
            z[j] += 1;
            return;
        }
    }
}

fn digits_value(z: &[u8]) -> u64 {
    z.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'))
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
            assert_eq!(format_real_digits(v, 15), want, "{v}");
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
