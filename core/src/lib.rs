//! Brisk: a SQLite-compatible embedded database engine.
//!
//! Layers, top to bottom (a layer only uses the ones below it): [`api`] → [`translate`] →
//! [`vdbe`] (with [`schema`] and [`functions`]) → [`storage`] (B-tree, pager) → [`io`].
//! [`parser`] turns SQL text into the syntax tree `translate` compiles.

pub mod api;
pub mod error;
mod error_names;
pub mod fp;
pub mod functions;
pub mod io;
pub mod limits;
pub mod parser;
pub mod schema;
pub mod storage;
pub mod translate;
pub mod value;
pub mod vdbe;

pub use api::{Aggregate, Connection, Database, OpenOptions, Row, Statement, StepResult};
pub use error::{Error, Result, ResultCode};
pub use error_names::result_code_name;
pub use value::Value;
