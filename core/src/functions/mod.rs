//! Built-in SQL functions: scalar functions (`scalar.rs`, the math functions in `math.rs`) and
//! aggregates (`aggregate.rs`), found by name and argument count the way SQLite's function table
//! is searched.

pub mod aggregate;
pub mod math;
pub mod printf;
pub mod scalar;

use std::fmt;

use crate::error::Result;
use crate::value::Value;

/// What a scalar function may read of the connection.
#[derive(Debug, Default, Clone)]
pub struct FuncContext {
    pub last_insert_rowid: i64,
    pub changes: i64,
    pub total_changes: i64,
}

pub type ScalarImpl = fn(&FuncContext, &[Value]) -> Result<Value>;

/// A scalar function: its name (lower case) and implementation.
#[derive(Clone, Copy)]
pub struct ScalarFunc {
    pub name: &'static str,
    pub func: ScalarImpl,
    /// Whether the same arguments always give the same result (usable in indexes, CHECK).
    pub deterministic: bool,
}

impl fmt::Debug for ScalarFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}()", self.name)
    }
}

/// An aggregate function.
#[derive(Clone, Copy)]
pub struct AggregateFunc {
    pub name: &'static str,
    pub kind: aggregate::AggKind,
}

impl fmt::Debug for AggregateFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}()", self.name)
    }
}

/// The result of looking a function up by name and argument count.
pub enum FunctionLookup {
    Scalar(ScalarFunc),
    Aggregate(AggregateFunc),
    /// The name exists but not with this many arguments.
    WrongArgCount,
    NotFound,
}

/// Finds a built-in function. `argc` is the number of arguments (`count(*)` has 0).
pub fn lookup(name: &str, argc: usize) -> FunctionLookup {
    let lower = name.to_ascii_lowercase();
    if let Some(kind) = aggregate::AggKind::from_name(&lower, argc) {
        return match kind {
            Some(kind) => FunctionLookup::Aggregate(AggregateFunc { name: kind.name(), kind }),
            None => FunctionLookup::WrongArgCount,
        };
    }
    scalar::lookup(&lower, argc)
}
