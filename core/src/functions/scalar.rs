//! Scalar functions, each with SQLite's NULL handling and argument conversions.

use std::sync::Arc;

use super::{math, FuncContext, FunctionLookup, ScalarFunc, ScalarImpl};
use crate::error::{Error, Result};
use crate::value::{format_real, Value};
use crate::vdbe::ops::{real_to_i64, to_f64, to_i64, to_numeric, to_text};

/// SQLite's version that Brisk is compatible with, as `sqlite_version()` reports it.
pub const SQLITE_VERSION: &str = "3.54.1";

/// (name, min args, max args (usize::MAX for any), deterministic, implementation)
const TABLE: &[(&str, usize, usize, bool, ScalarImpl)] = &[
    ("abs", 1, 1, true, abs),
    ("acos", 1, 1, true, math::acos),
    ("acosh", 1, 1, true, math::acosh),
    ("asin", 1, 1, true, math::asin),
    ("asinh", 1, 1, true, math::asinh),
    ("atan", 1, 1, true, math::atan),
    ("atan2", 2, 2, true, math::atan2),
    ("atanh", 1, 1, true, math::atanh),
    ("ceil", 1, 1, true, math::ceil),
    ("ceiling", 1, 1, true, math::ceil),
    ("changes", 0, 0, false, changes),
    ("char", 0, usize::MAX, true, char_fn),
    ("coalesce", 2, usize::MAX, true, coalesce),
    ("concat", 1, usize::MAX, true, concat),
    ("concat_ws", 2, usize::MAX, true, concat_ws),
    ("cos", 1, 1, true, math::cos),
    ("cosh", 1, 1, true, math::cosh),
    ("degrees", 1, 1, true, math::degrees),
    ("exp", 1, 1, true, math::exp),
    ("floor", 1, 1, true, math::floor),
    ("format", 1, usize::MAX, true, printf),
    ("glob", 2, 2, true, glob_fn),
    ("hex", 1, 1, true, hex),
    ("if", 2, 3, true, iif),
    ("ifnull", 2, 2, true, coalesce),
    ("iif", 3, 3, true, iif),
    ("instr", 2, 2, true, instr),
    ("last_insert_rowid", 0, 0, false, last_insert_rowid),
    ("length", 1, 1, true, length),
    ("like", 2, 3, true, like_fn),
    ("likelihood", 2, 2, true, first),
    ("likely", 1, 1, true, first),
    ("ln", 1, 1, true, math::ln),
    ("log", 1, 2, true, math::log),
    ("log10", 1, 1, true, math::log10),
    ("log2", 1, 1, true, math::log2),
    ("lower", 1, 1, true, lower),
    ("ltrim", 1, 2, true, ltrim),
    ("max", 2, usize::MAX, true, max),
    ("min", 2, usize::MAX, true, min),
    ("mod", 2, 2, true, math::modulo),
    ("nullif", 2, 2, true, nullif),
    ("octet_length", 1, 1, true, octet_length),
    ("pi", 0, 0, true, math::pi),
    ("pow", 2, 2, true, math::pow),
    ("power", 2, 2, true, math::pow),
    ("printf", 1, usize::MAX, true, printf),
    ("quote", 1, 1, true, quote),
    ("radians", 1, 1, true, math::radians),
    ("random", 0, 0, false, random),
    ("randomblob", 1, 1, false, randomblob),
    ("replace", 3, 3, true, replace),
    ("round", 1, 2, true, round),
    ("rtrim", 1, 2, true, rtrim),
    ("sign", 1, 1, true, sign),
    ("sin", 1, 1, true, math::sin),
    ("sinh", 1, 1, true, math::sinh),
    ("sqlite_version", 0, 0, true, sqlite_version),
    ("sqrt", 1, 1, true, math::sqrt),
    ("substr", 2, 3, true, substr),
    ("substring", 2, 3, true, substr),
    ("tan", 1, 1, true, math::tan),
    ("tanh", 1, 1, true, math::tanh),
    ("total_changes", 0, 0, false, total_changes),
    ("trim", 1, 2, true, trim),
    ("trunc", 1, 1, true, math::trunc),
    ("typeof", 1, 1, true, typeof_fn),
    ("unhex", 1, 2, true, unhex),
    ("unicode", 1, 1, true, unicode),
    ("unlikely", 1, 1, true, first),
    ("upper", 1, 1, true, upper),
    ("zeroblob", 1, 1, true, zeroblob),
];

pub fn lookup(name: &str, argc: usize) -> FunctionLookup {
    let mut found_name = false;
    for &(n, lo, hi, deterministic, func) in TABLE {
        if n == name {
            found_name = true;
            if (lo..=hi).contains(&argc) {
                return FunctionLookup::Scalar(ScalarFunc { name: n, func, deterministic });
            }
        }
    }
    if found_name {
        FunctionLookup::WrongArgCount
    } else {
        FunctionLookup::NotFound
    }
}

fn text(s: String) -> Value {
    Value::Text(Arc::from(s.as_str()))
}

fn printf(_: &FuncContext, a: &[Value]) -> Result<Value> {
    match to_text(&a[0]) {
        None => Ok(Value::Null),
        Some(f) => Ok(text(super::printf::format(&f, &a[1..]))),
    }
}

fn first(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(a[0].clone())
}

fn abs(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(match &a[0] {
        Value::Null => Value::Null,
        Value::Integer(i) => Value::Integer(i.checked_abs().ok_or_else(|| Error::sql("integer overflow"))?),
        Value::Real(r) => Value::Real(r.abs()),
        other => match to_numeric(other) {
            Value::Integer(i) => Value::Real((i as f64).abs()),
            Value::Real(r) => Value::Real(r.abs()),
            _ => Value::Real(0.0),
        },
    })
}

fn char_fn(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let s: String =
        a.iter().map(|v| char::from_u32(to_i64(v).clamp(0, 0x10FFFF) as u32).unwrap_or('\u{FFFD}')).collect();
    Ok(text(s))
}

fn changes(c: &FuncContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Integer(c.changes))
}

fn total_changes(c: &FuncContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Integer(c.total_changes))
}

fn last_insert_rowid(c: &FuncContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Integer(c.last_insert_rowid))
}

fn coalesce(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(a.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null))
}

fn concat(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(text(a.iter().filter_map(to_text).map(|s| s.to_string()).collect()))
}

fn concat_ws(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let Some(sep) = to_text(&a[0]) else {
        return Ok(Value::Null);
    };
    let parts: Vec<String> = a[1..].iter().filter_map(to_text).map(|s| s.to_string()).collect();
    Ok(text(parts.join(&sep)))
}

fn iif(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let cond = crate::vdbe::ops::truth(&a[0]).unwrap_or(false);
    Ok(if cond { a[1].clone() } else { a.get(2).cloned().unwrap_or(Value::Null) })
}

fn hex(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let bytes: Vec<u8> = match &a[0] {
        Value::Null => Vec::new(),
        Value::Blob(b) => b.to_vec(),
        other => to_text(other).map(|s| s.as_bytes().to_vec()).unwrap_or_default(),
    };
    Ok(text(bytes.iter().map(|b| format!("{b:02X}")).collect()))
}

fn unhex(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let Some(s) = to_text(&a[0]) else {
        return Ok(Value::Null);
    };
    let ignore: Option<Arc<str>> = match a.get(1) {
        Some(Value::Null) => return Ok(Value::Null),
        Some(v) => to_text(v),
        None => None,
    };
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(d1) = c.to_digit(16) {
            let Some(d2) = chars.next().and_then(|c2| c2.to_digit(16)) else {
                return Ok(Value::Null);
            };
            out.push((d1 * 16 + d2) as u8);
        } else if ignore.as_ref().is_some_and(|ig| ig.contains(c)) {
            continue;
        } else {
            return Ok(Value::Null);
        }
    }
    Ok(Value::Blob(Arc::from(out)))
}

fn instr(_: &FuncContext, a: &[Value]) -> Result<Value> {
    if a[0].is_null() || a[1].is_null() {
        return Ok(Value::Null);
    }
    if let (Value::Blob(h), Value::Blob(n)) = (&a[0], &a[1]) {
        let pos = if n.is_empty() { Some(0) } else { h.windows(n.len()).position(|w| w == n.as_ref()) };
        return Ok(Value::Integer(pos.map(|p| p as i64 + 1).unwrap_or(0)));
    }
    let (h, n) = (to_text(&a[0]).unwrap_or_default(), to_text(&a[1]).unwrap_or_default());
    Ok(Value::Integer(match h.find(n.as_ref()) {
        Some(byte) => h[..byte].chars().count() as i64 + 1,
        None => 0,
    }))
}

fn length(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(match &a[0] {
        Value::Null => Value::Null,
        Value::Blob(b) => Value::Integer(b.len() as i64),
        // SQLite counts characters up to the first NUL.
        Value::Text(s) => Value::Integer(s.split('\0').next().unwrap_or("").chars().count() as i64),
        other => Value::Integer(to_text(other).map(|s| s.chars().count()).unwrap_or(0) as i64),
    })
}

fn octet_length(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(match &a[0] {
        Value::Null => Value::Null,
        Value::Blob(b) => Value::Integer(b.len() as i64),
        other => Value::Integer(to_text(other).map(|s| s.len()).unwrap_or(0) as i64),
    })
}

fn lower(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(to_text(&a[0]).map(|s| text(s.to_ascii_lowercase())).unwrap_or(Value::Null))
}

fn upper(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(to_text(&a[0]).map(|s| text(s.to_ascii_uppercase())).unwrap_or(Value::Null))
}

fn trim_impl(a: &[Value], left: bool, right: bool) -> Result<Value> {
    let Some(s) = to_text(&a[0]) else {
        return Ok(Value::Null);
    };
    let set: Vec<char> = match a.get(1) {
        None => vec![' '],
        Some(v) => match to_text(v) {
            None => return Ok(Value::Null),
            Some(t) => t.chars().collect(),
        },
    };
    let mut r: &str = &s;
    if left {
        r = r.trim_start_matches(|c| set.contains(&c));
    }
    if right {
        r = r.trim_end_matches(|c| set.contains(&c));
    }
    Ok(Value::text(r))
}

fn trim(_: &FuncContext, a: &[Value]) -> Result<Value> {
    trim_impl(a, true, true)
}

fn ltrim(_: &FuncContext, a: &[Value]) -> Result<Value> {
    trim_impl(a, true, false)
}

fn rtrim(_: &FuncContext, a: &[Value]) -> Result<Value> {
    trim_impl(a, false, true)
}

fn minmax(ctx: &FuncContext, a: &[Value], want_max: bool) -> Result<Value> {
    if a.iter().any(|v| v.is_null()) {
        return Ok(Value::Null);
    }
    let mut best = &a[0];
    for v in &a[1..] {
        // As SQLite's minmaxFunc: min() moves to a later equal argument, max() keeps the first.
        let o = v.compare(best, ctx.collation);
        if (want_max && o.is_gt()) || (!want_max && o.is_le()) {
            best = v;
        }
    }
    Ok(best.clone())
}

fn max(ctx: &FuncContext, a: &[Value]) -> Result<Value> {
    minmax(ctx, a, true)
}

fn min(ctx: &FuncContext, a: &[Value]) -> Result<Value> {
    minmax(ctx, a, false)
}

fn nullif(ctx: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(if a[0].compare(&a[1], ctx.collation).is_eq() { Value::Null } else { a[0].clone() })
}

/// quote(): the value as an SQL literal.
pub fn quote_value(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => {
            // quote() uses %!.15g, then checks the round trip and falls back to %!.20e.
            let s = format_real(*r);
            if s.parse::<f64>().ok() == Some(*r) {
                s
            } else {
                let e = format!("{:.19e}", r);
                let (m, x) = e.split_once('e').unwrap_or((&e, "0"));
                let x: i32 = x.parse().unwrap_or(0);
                format!("{m}e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs())
            }
        }
        // SQLite formats the text with %Q, as a C string: it ends at the first NUL.
        Value::Text(s) => format!("'{}'", s.split('\0').next().unwrap_or_default().replace('\'', "''")),
        Value::Blob(b) => format!("X'{}'", b.iter().map(|x| format!("{x:02X}")).collect::<String>()),
    }
}

fn quote(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(text(quote_value(&a[0])))
}

thread_local! {
    /// The state of random() and randomblob() (splitmix64), seeded from the clock.
    static RANDOM_STATE: std::cell::Cell<u64> = std::cell::Cell::new(clock_seed() ^ 0x9E37_79B9_7F4A_7C15);
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn clock_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// wasm32-unknown-unknown has no clock in `std` (asking panics): the embedder seeds with
/// [`seed_random`] from the host's randomness.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn clock_seed() -> u64 {
    0
}

/// Reseeds this thread's random() and randomblob() (SQLite seeds from the OS's randomness).
pub fn seed_random(seed: u64) {
    RANDOM_STATE.with(|s| s.set(seed ^ 0x9E37_79B9_7F4A_7C15));
}

fn next_random() -> u64 {
    RANDOM_STATE.with(|s| {
        let mut x = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(x);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    })
}

fn random(_: &FuncContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Integer(next_random() as i64))
}

fn randomblob(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let n = to_i64(&a[0]).max(1) as usize;
    if n > crate::limits::MAX_LENGTH_BYTES {
        return Err(Error::TooBig);
    }
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        out.extend_from_slice(&next_random().to_le_bytes());
    }
    out.truncate(n);
    Ok(Value::Blob(Arc::from(out)))
}

fn zeroblob(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let n = to_i64(&a[0]).max(0) as usize;
    if n > crate::limits::MAX_LENGTH_BYTES {
        return Err(Error::TooBig);
    }
    Ok(Value::Blob(Arc::from(vec![0u8; n])))
}

fn replace(_: &FuncContext, a: &[Value]) -> Result<Value> {
    // SQLite's order: an empty pattern returns the string before the replacement is looked at.
    // A pattern whose first character is a NUL counts as empty (SQLite tests zPattern[0]).
    let (Some(s), Some(from)) = (to_text(&a[0]), to_text(&a[1])) else {
        return Ok(Value::Null);
    };
    if from.is_empty() || from.starts_with('\0') {
        return Ok(Value::Text(s));
    }
    let Some(to) = to_text(&a[2]) else {
        return Ok(Value::Null);
    };
    Ok(text(s.replace(from.as_ref(), &to)))
}

fn round(_: &FuncContext, a: &[Value]) -> Result<Value> {
    if a[0].is_null() || a.get(1).is_some_and(|v| v.is_null()) {
        return Ok(Value::Null);
    }
    let digits = a.get(1).map(to_i64).unwrap_or(0).clamp(0, 30);
    let x = to_f64(&a[0]);
    // Beyond 2^52 a double has no fraction to round.
    if !(-4503599627370496.0..=4503599627370496.0).contains(&x) {
        return Ok(Value::Real(x));
    }
    if digits == 0 {
        let r = if x < 0.0 { -((-x) + 0.5).floor() } else { (x + 0.5).floor() };
        return Ok(Value::Real(r));
    }
    // SQLite formats with %!.*f, its own decimal conversion, which rounds the decimal digits
    // half away from zero (2.25 is 2.3), and reads the result back.
    let s = super::printf::format("%!.*f", &[Value::Integer(digits), Value::Real(x)]);
    Ok(Value::Real(s.parse().unwrap_or(x)))
}

fn sign(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(match to_numeric(&a[0]) {
        Value::Integer(i) if !matches!(a[0], Value::Text(_) | Value::Blob(_)) || is_numeric_text(&a[0]) => {
            Value::Integer(i.signum())
        }
        Value::Real(r) if !matches!(a[0], Value::Text(_) | Value::Blob(_)) || is_numeric_text(&a[0]) => {
            Value::Integer(if r > 0.0 {
                1
            } else if r < 0.0 {
                -1
            } else {
                0
            })
        }
        _ => Value::Null,
    })
}

fn is_numeric_text(v: &Value) -> bool {
    match v {
        Value::Text(s) => crate::vdbe::ops::parse_numeric_text(s).is_some(),
        _ => false,
    }
}

fn sqlite_version(_: &FuncContext, _: &[Value]) -> Result<Value> {
    Ok(Value::text(SQLITE_VERSION))
}

fn substr(_: &FuncContext, a: &[Value]) -> Result<Value> {
    if a.iter().any(|v| v.is_null()) {
        return Ok(Value::Null);
    }
    // SQLite reads a zero-length blob as a NULL pointer and returns NULL.
    if matches!(&a[0], Value::Blob(b) if b.is_empty()) {
        return Ok(Value::Null);
    }
    let start = to_i64(&a[1]);
    let len = a.get(2).map(to_i64);
    // Operates on characters for text and bytes for blobs (SQLite's substrFunc).
    fn window(n: i64, start: i64, len: Option<i64>) -> (usize, usize) {
        // Saturating throughout: the arguments may be anywhere in i64's range.
        let mut p1 = start;
        let mut p2 = len.unwrap_or(n.saturating_add(1).max(0));
        if p1 < 0 {
            p1 = p1.saturating_add(n);
            if p1 < 0 {
                p2 = p2.saturating_add(p1);
                if p2 < 0 {
                    p2 = 0;
                }
                p1 = 0;
            }
        } else if p1 > 0 {
            p1 -= 1;
        } else if p2 > 0 {
            p2 -= 1;
        }
        if p2 < 0 {
            if p2 < p1.saturating_neg() {
                p2 = p1;
            } else {
                p2 = p2.saturating_neg();
            }
            p1 = p1.saturating_sub(p2);
        }
        let p1 = p1.clamp(0, n);
        let end = p1.saturating_add(p2).clamp(p1, n);
        (p1 as usize, end as usize)
    }
    match &a[0] {
        Value::Blob(b) => {
            let (s, e) = window(b.len() as i64, start, len);
            Ok(Value::Blob(Arc::from(&b[s..e])))
        }
        other => {
            let s = to_text(other).unwrap_or_default();
            let chars: Vec<char> = s.chars().collect();
            let (st, e) = window(chars.len() as i64, start, len);
            Ok(text(chars[st..e].iter().collect()))
        }
    }
}

fn typeof_fn(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(Value::text(a[0].type_name()))
}

fn unicode(_: &FuncContext, a: &[Value]) -> Result<Value> {
    Ok(match to_text(&a[0]) {
        None => Value::Null,
        Some(s) => s.chars().next().map(|c| Value::Integer(c as i64)).unwrap_or(Value::Null),
    })
}

/// SQLite's LIKE: `%` and `_`, ASCII case-insensitive, with an optional escape character.
pub fn like(pattern: &str, s: &str, escape: Option<char>) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    like_match(&p, &t, escape, 0)
}

fn like_match(p: &[char], t: &[char], esc: Option<char>, depth: usize) -> bool {
    if depth > 1000 {
        return false;
    }
    let (mut pi, mut ti) = (0, 0);
    while pi < p.len() {
        let c = p[pi];
        if Some(c) == esc {
            pi += 1;
            let Some(&lit) = p.get(pi) else { return false };
            if ti >= t.len() || !t[ti].eq_ignore_ascii_case(&lit) {
                return false;
            }
            pi += 1;
            ti += 1;
        } else if c == '%' {
            while pi < p.len() && (p[pi] == '%' || p[pi] == '_') {
                if p[pi] == '_' {
                    if ti >= t.len() {
                        return false;
                    }
                    ti += 1;
                }
                pi += 1;
            }
            if pi == p.len() {
                return true;
            }
            return (ti..=t.len()).any(|k| like_match(&p[pi..], &t[k..], esc, depth + 1));
        } else if c == '_' {
            if ti >= t.len() {
                return false;
            }
            pi += 1;
            ti += 1;
        } else {
            if ti >= t.len() || !t[ti].eq_ignore_ascii_case(&c) {
                return false;
            }
            pi += 1;
            ti += 1;
        }
    }
    ti == t.len()
}

/// SQLite's GLOB: `*`, `?`, `[...]` classes with ranges and `^` negation, case-sensitive.
pub fn glob(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    glob_match(&p, &t, 0)
}

fn glob_match(p: &[char], t: &[char], depth: usize) -> bool {
    if depth > 1000 {
        return false;
    }
    let (mut pi, mut ti) = (0, 0);
    while pi < p.len() {
        match p[pi] {
            '*' => {
                while pi < p.len() && p[pi] == '*' {
                    pi += 1;
                }
                if pi == p.len() {
                    return true;
                }
                return (ti..=t.len()).any(|k| glob_match(&p[pi..], &t[k..], depth + 1));
            }
            '?' => {
                if ti >= t.len() {
                    return false;
                }
                pi += 1;
                ti += 1;
            }
            '[' => {
                if ti >= t.len() {
                    return false;
                }
                let c = t[ti];
                let mut j = pi + 1;
                let negate = p.get(j) == Some(&'^');
                if negate {
                    j += 1;
                }
                let mut matched = false;
                let mut first = true;
                loop {
                    let Some(&pc) = p.get(j) else { return false };
                    if pc == ']' && !first {
                        break;
                    }
                    first = false;
                    if p.get(j + 1) == Some(&'-') && p.get(j + 2).is_some_and(|&e| e != ']') {
                        if pc <= c && c <= p[j + 2] {
                            matched = true;
                        }
                        j += 3;
                    } else {
                        if pc == c {
                            matched = true;
                        }
                        j += 1;
                    }
                }
                if matched == negate {
                    return false;
                }
                pi = j + 1;
                ti += 1;
            }
            c => {
                if ti >= t.len() || t[ti] != c {
                    return false;
                }
                pi += 1;
                ti += 1;
            }
        }
    }
    ti == t.len()
}

/// SQLite matches LIKE and GLOB over C strings: a NUL (from a blob, say) ends the text.
fn up_to_nul(s: &str) -> &str {
    s.split('\0').next().unwrap_or("")
}

fn like_fn(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let (Some(p), Some(s)) = (to_text(&a[0]), to_text(&a[1])) else {
        return Ok(Value::Null);
    };
    let (p, s) = (up_to_nul(&p), up_to_nul(&s));
    let esc = match a.get(2) {
        None => None,
        Some(v) => match to_text(v) {
            None => return Ok(Value::Null),
            Some(e) => {
                let mut it = e.chars();
                match (it.next(), it.next()) {
                    (Some(c), None) => Some(c),
                    _ => return Err(Error::sql("ESCAPE expression must be a single character")),
                }
            }
        },
    };
    Ok(Value::Integer(like(p, s, esc) as i64))
}

fn glob_fn(_: &FuncContext, a: &[Value]) -> Result<Value> {
    let (Some(p), Some(s)) = (to_text(&a[0]), to_text(&a[1])) else {
        return Ok(Value::Null);
    };
    Ok(Value::Integer(glob(up_to_nul(&p), up_to_nul(&s)) as i64))
}

#[allow(dead_code)]
fn real_to_int(r: f64) -> i64 {
    real_to_i64(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_and_glob() {
        assert!(like("a%c", "ABBC", None));
        assert!(!like("a_c", "ac", None));
        assert!(like("10!%", "10%", Some('!')));
        assert!(glob("a*[0-9]", "abc7"));
        assert!(!glob("a*[^0-9]", "abc7"));
        assert!(!glob("A*", "abc"));
    }

    #[test]
    fn substr_windows_match_sqlite() {
        // Expected values from sqlite3: select substr('hello', 2, 3), substr('hello', -3), substr('hello', 0, 2), substr('hello', 3, -2)
        let c = FuncContext::default();
        let f = |args: &[Value]| substr(&c, args).unwrap();
        assert_eq!(f(&[Value::text("hello"), Value::Integer(2), Value::Integer(3)]), Value::text("ell"));
        assert_eq!(f(&[Value::text("hello"), Value::Integer(-3)]), Value::text("llo"));
        assert_eq!(f(&[Value::text("hello"), Value::Integer(0), Value::Integer(2)]), Value::text("h"));
        assert_eq!(f(&[Value::text("hello"), Value::Integer(3), Value::Integer(-2)]), Value::text("he"));
    }
}
