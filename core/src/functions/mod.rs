//! Built-in SQL functions: scalar functions (`scalar.rs`, the math functions in `math.rs`) and
//! aggregates (`aggregate.rs`), found by name and argument count the way SQLite's function table
//! is searched, after the functions the application registered on the connection (`user.rs`).

pub mod aggregate;
pub mod math;
pub mod printf;
pub mod scalar;
pub mod user;

use std::fmt;
use std::sync::Arc;

use crate::error::Result;
use crate::value::Value;

/// What a scalar function may read of the connection.
#[derive(Debug, Default, Clone)]
pub struct FuncContext {
    pub last_insert_rowid: i64,
    pub changes: i64,
    pub total_changes: i64,
    /// The collation min(), max() and nullif() compare with (SQLite's OP_CollSeq).
    pub collation: crate::value::Collation,
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

/// An aggregate function: a built-in one, or (`kind` User) the application's.
#[derive(Clone)]
pub struct AggregateFunc {
    pub name: &'static str,
    pub kind: aggregate::AggKind,
    pub user: Option<Arc<user::UserAggregate>>,
}

impl AggregateFunc {
    /// The name EXPLAIN shows.
    pub fn display_name(&self) -> &str {
        match &self.user {
            Some(u) => &u.name,
            None => self.name,
        }
    }
}

impl fmt::Debug for AggregateFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}()", self.display_name())
    }
}

/// The result of looking a function up by name and argument count.
pub enum FunctionLookup {
    Scalar(ScalarFunc),
    /// A scalar function the application registered.
    UserScalar(Arc<user::UserScalar>),
    Aggregate(AggregateFunc),
    /// The name exists but not with this many arguments.
    WrongArgCount,
    NotFound,
}

/// Finds a function. `argc` is the number of arguments (`count(*)` has 0). As in
/// sqlite3FindFunction, the connection's own functions come first (one registered for exactly
/// `argc` arguments, else one for any number), and the built-ins are searched only when none
/// fits; a name known only with other argument counts is "wrong number of arguments".
pub fn lookup(name: &str, argc: usize) -> FunctionLookup {
    let lower = name.to_ascii_lowercase();
    let registered = user::find(&lower, argc);
    match registered {
        Some(user::Found::Function(user::UserFunction::Scalar(f))) => return FunctionLookup::UserScalar(f),
        Some(user::Found::Function(user::UserFunction::Aggregate(f))) => {
            return FunctionLookup::Aggregate(AggregateFunc { name: "", kind: aggregate::AggKind::User, user: Some(f) })
        }
        // A removed version hides the built-ins; the name then exists if anything live has it.
        Some(user::Found::Removed) => {
            let live = user::has_live(&lower) || !matches!(builtin(&lower, argc), FunctionLookup::NotFound);
            return if live { FunctionLookup::WrongArgCount } else { FunctionLookup::NotFound };
        }
        Some(user::Found::OtherCounts) | None => {}
    }
    match (builtin(&lower, argc), registered) {
        (FunctionLookup::NotFound, Some(user::Found::OtherCounts)) => FunctionLookup::WrongArgCount,
        (found, _) => found,
    }
}

/// The built-in function `name` (lower case) with `argc` arguments.
fn builtin(lower: &str, argc: usize) -> FunctionLookup {
    match aggregate::AggKind::from_name(lower, argc) {
        Some(Some(kind)) => FunctionLookup::Aggregate(AggregateFunc { name: kind.name(), kind, user: None }),
        Some(None) => FunctionLookup::WrongArgCount,
        None => scalar::lookup(lower, argc),
    }
}
