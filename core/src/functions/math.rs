//! SQLite's math functions (SQLITE_ENABLE_MATH_FUNCTIONS, func.c): acos ... trunc, as the
//! sqlite3 3.40 shell computes them.
//!
//! Their shared rules, from func.c:
//! - An argument is used only when `sqlite3_value_numeric_type` calls it a number: INTEGER,
//!   REAL, or TEXT that is entirely a number (`'4'`, `' 4.5 '`); anything else (NULL, other
//!   text, BLOBs) makes the result NULL.
//! - The result is a REAL; a NaN result is NULL (sqlite3_result_double stores NaN as NULL).
//! - ceil, floor and trunc give an INTEGER argument back unchanged.
//! - The logarithms are ln(X) divided by ln(10), ln(2) or ln(B); they return NULL for arguments at or below zero, and `log(B, X)` also when
//!   `ln(B) <= 0` (3.40 checks the base's type twice and never the value's: any number works).
//!
//! The C library computes each function: asinh, acosh and atanh are called through FFI because
//! Rust's versions are not glibc's and may differ in the last bit. WebAssembly has no C
//! library; there the `libm` crate computes those three.

use super::FuncContext;
use crate::error::Result;
use crate::value::Value;
use crate::vdbe::ops::parse_numeric_text;

/// The number an argument stands for, as `sqlite3_value_numeric_type` decides.
fn numeric(v: &Value) -> Option<Value> {
    match v {
        Value::Integer(_) | Value::Real(_) => Some(v.clone()),
        Value::Text(s) => parse_numeric_text(s),
        Value::Null | Value::Blob(_) => None,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        _ => unreachable!("numeric() returns numbers only"),
    }
}

/// A REAL result; NaN becomes NULL as in sqlite3_result_double.
fn real(r: f64) -> Value {
    if r.is_nan() {
        Value::Null
    } else {
        Value::Real(r)
    }
}

fn math1(a: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    Ok(match numeric(&a[0]) {
        Some(x) => real(f(as_f64(&x))),
        None => Value::Null,
    })
}

fn math2(a: &[Value], f: fn(f64, f64) -> f64) -> Result<Value> {
    Ok(match (numeric(&a[0]), numeric(&a[1])) {
        (Some(x), Some(y)) => real(f(as_f64(&x), as_f64(&y))),
        _ => Value::Null,
    })
}

/// ceil, floor, trunc: an INTEGER stays as it is, a REAL is rounded.
fn rounding(a: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    Ok(match numeric(&a[0]) {
        Some(Value::Integer(i)) => Value::Integer(i),
        Some(Value::Real(r)) => real(f(r)),
        _ => Value::Null,
    })
}

#[cfg(not(target_arch = "wasm32"))]
mod cmath {
    extern "C" {
        pub fn asinh(x: f64) -> f64;
        pub fn acosh(x: f64) -> f64;
        pub fn atanh(x: f64) -> f64;
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn c_asinh(x: f64) -> f64 {
    // SAFETY: a pure C math function of one double, with no pointers or global state.
    unsafe { cmath::asinh(x) }
}

#[cfg(not(target_arch = "wasm32"))]
fn c_acosh(x: f64) -> f64 {
    // SAFETY: as for asinh.
    unsafe { cmath::acosh(x) }
}

#[cfg(not(target_arch = "wasm32"))]
fn c_atanh(x: f64) -> f64 {
    // SAFETY: as for asinh.
    unsafe { cmath::atanh(x) }
}

// WebAssembly has no C library: the `libm` crate, a port of musl's, computes these there.
#[cfg(target_arch = "wasm32")]
use libm::{acosh as c_acosh, asinh as c_asinh, atanh as c_atanh};

pub fn acos(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::acos)
}
pub fn acosh(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, c_acosh)
}
pub fn asin(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::asin)
}
pub fn asinh(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, c_asinh)
}
pub fn atan(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::atan)
}
pub fn atan2(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math2(a, f64::atan2)
}
pub fn atanh(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, c_atanh)
}
pub fn ceil(_: &FuncContext, a: &[Value]) -> Result<Value> {
    rounding(a, f64::ceil)
}
pub fn floor(_: &FuncContext, a: &[Value]) -> Result<Value> {
    rounding(a, f64::floor)
}
pub fn trunc(_: &FuncContext, a: &[Value]) -> Result<Value> {
    rounding(a, f64::trunc)
}
pub fn cos(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::cos)
}
pub fn cosh(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::cosh)
}
pub fn sin(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::sin)
}
pub fn sinh(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::sinh)
}
pub fn tan(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::tan)
}
pub fn tanh(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::tanh)
}
pub fn sqrt(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::sqrt)
}
pub fn exp(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, f64::exp)
}
pub fn degrees(_: &FuncContext, a: &[Value]) -> Result<Value> {
    // func.c's radToDeg: x*(180.0/M_PI), the constant folded first.
    math1(a, |x| x * (180.0 / std::f64::consts::PI))
}
pub fn radians(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math1(a, |x| x * (std::f64::consts::PI / 180.0))
}
pub fn pow(_: &FuncContext, a: &[Value]) -> Result<Value> {
    math2(a, f64::powf)
}
pub fn modulo(_: &FuncContext, a: &[Value]) -> Result<Value> {
    // Rust's `%` on f64 is C's fmod.
    math2(a, |x, y| x % y)
}
pub fn pi(_: &FuncContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Real(std::f64::consts::PI))
}

/// The argument of a logarithm: a number above zero.
fn log_arg(v: &Value) -> Option<f64> {
    numeric(v).map(|x| as_f64(&x)).filter(|x| *x > 0.0)
}

fn log_with(a: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    Ok(match log_arg(&a[0]) {
        Some(x) => real(f(x)),
        None => Value::Null,
    })
}

pub fn ln(_: &FuncContext, a: &[Value]) -> Result<Value> {
    log_with(a, f64::ln)
}
// 3.40 takes the natural logarithm and divides by M_LN10 or M_LN2, which differs from C's
// log10() and log2() in the last bit for some arguments (log10(1000) is 2.9999999999999996).
pub fn log10(_: &FuncContext, a: &[Value]) -> Result<Value> {
    log_with(a, |x| x.ln() / std::f64::consts::LN_10)
}
pub fn log2(_: &FuncContext, a: &[Value]) -> Result<Value> {
    log_with(a, |x| x.ln() / std::f64::consts::LN_2)
}

/// log(X) is log10(X); log(B, X) is ln(X)/ln(B), NULL when ln(B) <= 0.
pub fn log(c: &FuncContext, a: &[Value]) -> Result<Value> {
    if a.len() == 1 {
        return log10(c, a);
    }
    let Some(b) = log_arg(&a[0]).map(f64::ln).filter(|b| *b > 0.0) else {
        return Ok(Value::Null);
    };
    // 3.40 reads X with sqlite3_value_double, without checking its type: text that is not a
    // number reads as its numeric prefix (and `'abc'` as 0, which is then refused).
    let x = match &a[1] {
        Value::Null => 0.0,
        other => crate::vdbe::ops::to_f64(other),
    };
    if x <= 0.0 {
        return Ok(Value::Null);
    }
    Ok(real(x.ln() / b))
}
