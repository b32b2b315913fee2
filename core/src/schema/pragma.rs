//! Pragmas that read or change connection and pager state. Pragmas that read the schema or run
//! the integrity check are compiled by `translate` instead.

use crate::error::{Error, Result};
use crate::storage::header;
use crate::storage::pager::{JournalMode, Synchronous};
use crate::value::Value;
use crate::vdbe::ops::to_i64;
use crate::vdbe::DbState;

/// The pragmas `run` handles, so the compiler can tell a known pragma from an unknown one
/// (SQLite ignores unknown pragmas silently).
pub const STATE_PRAGMAS: &[&str] = &[
    "page_size",
    "cache_size",
    "journal_mode",
    "synchronous",
    "encoding",
    "page_count",
    "freelist_count",
    "auto_vacuum",
];

fn pragma_text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Runs `PRAGMA name` or `PRAGMA name = value`; returns the row value, or NULL for no row.
pub fn run(db: &mut DbState, name: &str, value: Option<&Value>) -> Result<Value> {
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "page_size" => {
            if let Some(v) = value {
                db.pager.set_page_size(to_i64(v) as usize);
                return Ok(Value::Null);
            }
            Ok(Value::Integer(db.pager.page_size() as i64))
        }
        "cache_size" => {
            if let Some(v) = value {
                db.pager.set_cache_size(to_i64(v));
                return Ok(Value::Null);
            }
            Ok(Value::Integer(db.pager.cache_size()))
        }
        "journal_mode" => {
            if let Some(v) = value {
                let text = pragma_text(v);
                let Some(mode) = JournalMode::from_name(&text) else {
                    // SQLite ignores an unknown mode and reports the current one.
                    return Ok(Value::text(db.pager.journal_mode().name()));
                };
                let m = db.pager.set_journal_mode(mode)?;
                return Ok(Value::text(m.name()));
            }
            Ok(Value::text(db.pager.journal_mode().name()))
        }
        "synchronous" => {
            if let Some(v) = value {
                let s = match pragma_text(v).to_ascii_lowercase().as_str() {
                    "off" | "0" => Synchronous::Off,
                    "normal" | "1" => Synchronous::Normal,
                    "full" | "2" => Synchronous::Full,
                    "extra" | "3" => Synchronous::Extra,
                    _ => return Ok(Value::Null),
                };
                db.pager.set_synchronous(s);
                return Ok(Value::Null);
            }
            Ok(Value::Integer(db.pager.synchronous() as i64))
        }
        "encoding" => {
            if let Some(v) = value {
                let enc = match pragma_text(v).to_ascii_lowercase().as_str() {
                    "utf-8" | "utf8" => crate::storage::record::TextEncoding::Utf8,
                    "utf-16le" | "utf16le" => crate::storage::record::TextEncoding::Utf16le,
                    "utf-16be" | "utf16be" => crate::storage::record::TextEncoding::Utf16be,
                    "utf-16" | "utf16" => {
                        if cfg!(target_endian = "little") {
                            crate::storage::record::TextEncoding::Utf16le
                        } else {
                            crate::storage::record::TextEncoding::Utf16be
                        }
                    }
                    _ => return Err(Error::sql(format!("unsupported encoding: {}", pragma_text(v)))),
                };
                db.pager.set_text_encoding(enc);
                return Ok(Value::Null);
            }
            db.pager.begin_read()?;
            let e = db.pager.text_encoding();
            Ok(Value::text(e.name()))
        }
        "page_count" => Ok(Value::Integer(db.pager.page_count() as i64)),
        "freelist_count" => Ok(Value::Integer(db.pager.header_u32(header::OFFSET_FREELIST_COUNT)? as i64)),
        "auto_vacuum" => {
            if value.is_some() {
                return Ok(Value::Null);
            }
            let v = db.pager.header_u32(header::OFFSET_LARGEST_ROOT)?;
            let inc = db.pager.header_u32(header::OFFSET_INCREMENTAL_VACUUM)?;
            Ok(Value::Integer(if v == 0 {
                0
            } else if inc != 0 {
                2
            } else {
                1
            }))
        }
        _ => Ok(Value::Null),
    }
}
