//! Brisk: a SQLite-compatible embedded database engine.

pub mod error;
pub mod io;
pub mod limits;
pub mod parser;
pub mod storage;
pub mod value;

pub use error::{Error, Result, ResultCode};
pub use value::Value;
