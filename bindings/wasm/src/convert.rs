//! Values and errors between Brisk and JavaScript.
//!
//! To JavaScript: NULL is `null`, an integer is a number when it is a safe integer (|i| < 2^53)
//! and a `BigInt` otherwise, a real is a number, text a string and a blob a `Uint8Array` (a copy).
//! From JavaScript: `null` and `undefined` are NULL, a boolean is 0 or 1, a number is an integer
//! when it is a safe integer and a real otherwise (NaN is NULL, as `sqlite3_bind_double` makes
//! it), a `BigInt` is an integer (a `RangeError` beyond 64 bits), a string is text, and an
//! `ArrayBuffer` or any typed array or `DataView` is a blob of its bytes. Anything else is a
//! `TypeError`.
//!
//! Errors are `Error` objects named `SqliteError`, with SQLite's message, `code` (the result
//! code's name, e.g. `SQLITE_CONSTRAINT_UNIQUE`), `errcode` (the extended result code) and,
//! when SQLite would report one (`sqlite3_error_offset`), `offset`: where in the SQL text, in
//! UTF-16 code units (a JavaScript string index), the error is.

use brisk::{Error, Value};
use js_sys::{Array, ArrayBuffer, BigInt, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: i64 = (1 << 53) - 1;

pub fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Integer(i) => int_to_js(*i),
        Value::Real(r) => JsValue::from_f64(*r),
        Value::Text(s) => JsValue::from_str(s),
        Value::Blob(b) => Uint8Array::from(&b[..]).into(),
    }
}

pub fn int_to_js(i: i64) -> JsValue {
    if (-MAX_SAFE..=MAX_SAFE).contains(&i) {
        JsValue::from_f64(i as f64)
    } else {
        BigInt::from(i).into()
    }
}

pub fn from_js(v: &JsValue) -> Result<Value, JsValue> {
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Integer(i64::from(b)));
    }
    if let Some(n) = v.as_f64() {
        if n.is_nan() {
            return Ok(Value::Null);
        }
        if n.fract() == 0.0 && n.abs() <= MAX_SAFE as f64 {
            return Ok(Value::Integer(n as i64));
        }
        return Ok(Value::Real(n));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::Text(s.into()));
    }
    if v.is_bigint() {
        let big: &BigInt = v.unchecked_ref();
        return i64::try_from(big.clone())
            .map(Value::Integer)
            .map_err(|_| js_sys::RangeError::new("BigInt is outside the 64-bit integer range").into());
    }
    if let Some(buf) = v.dyn_ref::<ArrayBuffer>() {
        return Ok(Value::Blob(Uint8Array::new(buf).to_vec().into()));
    }
    if ArrayBuffer::is_view(v) {
        let buffer = Reflect::get(v, &"buffer".into())?;
        let offset = Reflect::get(v, &"byteOffset".into())?.as_f64().unwrap_or(0.0) as u32;
        let len = Reflect::get(v, &"byteLength".into())?.as_f64().unwrap_or(0.0) as u32;
        let bytes = Uint8Array::new_with_byte_offset_and_length(&buffer, offset, len);
        return Ok(Value::Blob(bytes.to_vec().into()));
    }
    Err(js_sys::TypeError::new(&format!(
        "SQLite cannot hold this value: {}",
        v.js_typeof().as_string().unwrap_or_default()
    ))
    .into())
}

/// An engine error as a JavaScript `SqliteError`; `sql` is the text the offset is into, and
/// `base` the byte where the statement began in it.
pub fn sqlite_error(e: &Error, sql: Option<(&str, usize)>) -> JsValue {
    let offset = match (sql, e.offset()) {
        (Some((text, base)), Some(off)) => Some(utf16_index(text, base + off)),
        _ => None,
    };
    error_with_code(&e.to_string(), e.extended_code(), offset)
}

pub fn error_with_code(message: &str, code: i32, offset: Option<usize>) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name("SqliteError");
    let obj: &Object = err.as_ref();
    let name = brisk::result_code_name(code).unwrap_or("SQLITE_ERROR");
    // Setting a property on a fresh Error cannot fail.
    let _ = Reflect::set(obj, &"code".into(), &name.into());
    let _ = Reflect::set(obj, &"errcode".into(), &JsValue::from(code));
    if let Some(offset) = offset {
        let _ = Reflect::set(obj, &"offset".into(), &JsValue::from(offset as u32));
    }
    err.into()
}

/// The UTF-16 index of byte `byte` of `text` (clamped to the text, and to a character boundary).
pub fn utf16_index(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    text[..byte].encode_utf16().count()
}

/// The JavaScript message of a thrown value: an Error's `message`, or the value as a string.
pub fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// The `name` of a thrown DOMException or Error (`QuotaExceededError`, ...), if it has one.
pub fn js_error_name(e: &JsValue) -> Option<String> {
    Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string())
}

/// The parameters of `get`, `all`, `run`, `iterate` and `bind`: nothing, an array of positional
/// values, an object of named values (keys with or without the `:`, `@` or `$`), or one value.
pub enum Params {
    None,
    Positional(Vec<Value>),
    Named(Vec<(String, Value)>),
}

impl Params {
    pub fn from_js(v: &JsValue) -> Result<Params, JsValue> {
        if v.is_undefined() {
            return Ok(Params::None);
        }
        if Array::is_array(v) {
            let arr: &Array = v.unchecked_ref();
            return arr.iter().map(|x| from_js(&x)).collect::<Result<_, _>>().map(Params::Positional);
        }
        if is_plain_object(v) {
            let obj: &Object = v.unchecked_ref();
            let mut out = Vec::new();
            for entry in Object::entries(obj).iter() {
                let pair: Array = entry.unchecked_into();
                let key = pair.get(0).as_string().unwrap_or_default();
                out.push((key, from_js(&pair.get(1))?));
            }
            return Ok(Params::Named(out));
        }
        Ok(Params::Positional(vec![from_js(v)?]))
    }
}

/// An object made by `{...}` or `Object.create(null)`: not an array, typed array, `Date` or the like.
fn is_plain_object(v: &JsValue) -> bool {
    if !v.is_object() || ArrayBuffer::is_view(v) || v.is_instance_of::<ArrayBuffer>() {
        return false;
    }
    let proto = Object::get_prototype_of(v);
    proto.is_null() || proto == Object::get_prototype_of(&Object::new())
}
