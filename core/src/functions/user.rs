//! Functions, aggregates and collations an application registers on its connection
//! (sqlite3_create_function, sqlite3_create_collation): the per-connection [`Registry`] and how
//! compilation finds it.
//!
//! Resolution happens at compile time: `translate` asks [`super::lookup`], which consults the
//! registry of the connection compiling on this thread (set by [`RegistryGuard`]) before the
//! built-ins, as sqlite3FindFunction searches the connection's functions first and the built-ins
//! only when none of them fits. The program then holds an `Arc` of the function it found, so a
//! call at run time is one indirect call, with no lookup.
//!
//! Invariant: a registry is never changed in place. A change builds a new one with a higher
//! `generation`; a program remembers the generation it was compiled under and is recompiled
//! before it next starts when they differ (SQLite expires its statements the same way), so a
//! prepared statement always runs the functions that were registered when it (re)started.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::value::{intern_collation, CollationFn, UserCollations, UserCollationsGuard, Value};

/// A user-defined aggregate's running state: one instance per group (SQLite's aggregate
/// context), made by the factory given to `Connection::create_aggregate`.
pub trait Aggregate: Send {
    /// Adds one row's arguments (xStep).
    fn step(&mut self, args: &[Value]) -> Result<()>;
    /// The aggregate's value (xFinal). With no rows at all, it is called on a fresh instance.
    fn finalize(&mut self) -> Result<Value>;
    /// The current value, as a window function reads it for each row (xValue). Only aggregates
    /// registered with `Connection::create_window_function` are asked.
    fn value(&mut self) -> Result<Value> {
        Err(Error::sql("this aggregate is not a window function"))
    }
    /// Removes one row's arguments that `step` added earlier (xInverse), as a window frame
    /// slides past the row. Only aggregates registered as window functions are asked.
    fn inverse(&mut self, _args: &[Value]) -> Result<()> {
        Err(Error::sql("this aggregate is not a window function"))
    }
}

/// A scalar function's body: its arguments in, its value or error out.
pub type ScalarFn = dyn Fn(&[Value]) -> Result<Value> + Send + Sync;

/// Makes a fresh aggregate state.
pub type AggregateFactory = dyn Fn() -> Box<dyn Aggregate> + Send + Sync;

/// A user scalar function as a compiled program holds it.
pub struct UserScalar {
    /// Lower case, as the registry keys it.
    pub name: String,
    pub deterministic: bool,
    pub func: Box<ScalarFn>,
}

impl fmt::Debug for UserScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}()", self.name)
    }
}

/// A user aggregate as a compiled program holds it.
pub struct UserAggregate {
    pub name: String,
    pub factory: Box<AggregateFactory>,
    /// Registered with `create_window_function`: usable with OVER.
    pub window: bool,
}

impl fmt::Debug for UserAggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}()", self.name)
    }
}

/// One registered function. Scalars and aggregates share a name space: registering either
/// under a (name, argument count) replaces what was there, as in SQLite.
#[derive(Clone, Debug)]
pub enum UserFunction {
    Scalar(Arc<UserScalar>),
    Aggregate(Arc<UserAggregate>),
}

/// A connection's functions and collations.
#[derive(Clone, Default)]
pub struct Registry {
    /// By lower-case name: (argument count, -1 for any; the function, or `None` where one was
    /// removed).
    functions: HashMap<String, Vec<(i32, Option<UserFunction>)>>,
    /// By interned collation name id.
    pub collations: Arc<UserCollations>,
    /// Bumped on every change; programs compiled under another generation are recompiled.
    pub generation: u64,
}

/// What the registry says about a call (see [`find`]).
#[derive(Debug)]
pub(crate) enum Found {
    Function(UserFunction),
    /// The best match is a removed function: SQLite keeps the removed entry, with no
    /// implementation, and it still wins the match, hiding a built-in or a version for any
    /// number of arguments; the call is then an error.
    Removed,
    /// The name has live versions, none for this many arguments.
    OtherCounts,
}

impl Registry {
    /// Adds or replaces (`Some`) or removes (`None`) function (`name`, `n_args`). Removing leaves
    /// an entry with no implementation, as sqlite3_create_function with no callbacks does.
    pub fn define(&mut self, name: &str, n_args: i32, f: Option<UserFunction>) {
        let versions = self.functions.entry(name.to_ascii_lowercase()).or_default();
        match versions.iter_mut().find(|(n, _)| *n == n_args) {
            Some(slot) => slot.1 = f,
            None => versions.push((n_args, f)),
        }
        self.generation += 1;
    }

    /// Adds, replaces (`Some`) or removes (`None`) collation `name`.
    pub fn set_collation(&mut self, name: &str, f: Option<Arc<CollationFn>>) {
        let id = intern_collation(name) as usize;
        let table = Arc::make_mut(&mut self.collations);
        if table.len() <= id {
            table.resize(id + 1, None);
        }
        table[id] = f;
        self.generation += 1;
    }

    /// sqlite3FindFunction over the connection's functions: the version registered for exactly
    /// `argc` arguments, else one for any number (removed ones included).
    fn find(&self, name: &str, argc: usize) -> Option<Found> {
        let versions = self.functions.get(name)?;
        let exact = versions.iter().find(|(n, _)| usize::try_from(*n).ok() == Some(argc));
        match exact.or_else(|| versions.iter().find(|(n, _)| *n < 0)) {
            Some((_, Some(f))) => Some(Found::Function(f.clone())),
            Some((_, None)) => Some(Found::Removed),
            None => versions.iter().any(|(_, f)| f.is_some()).then_some(Found::OtherCounts),
        }
    }

    /// Whether `name` has a version that is not removed (SQLite's probe with nArg -2).
    pub(crate) fn has_live(&self, name: &str) -> bool {
        self.functions.get(name).is_some_and(|v| v.iter().any(|(_, f)| f.is_some()))
    }
}

thread_local! {
    /// The registry of the connection compiling or running a statement on this thread.
    static CURRENT: RefCell<Option<Arc<Registry>>> = const { RefCell::new(None) };
}

/// Makes `registry` the one this thread's compilations and comparisons see until the guard drops.
/// Guards nest: a user function that runs a statement on another connection sets that
/// connection's registry, and the outer one is back when it returns.
pub struct RegistryGuard {
    previous: Option<Arc<Registry>>,
    _collations: UserCollationsGuard,
}

impl RegistryGuard {
    pub fn enter(registry: &Arc<Registry>) -> RegistryGuard {
        let collations = UserCollationsGuard::set(registry.collations.clone());
        let previous = CURRENT.with(|c| c.replace(Some(registry.clone())));
        RegistryGuard { previous, _collations: collations }
    }
}

impl Drop for RegistryGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = self.previous.take());
    }
}

/// The generation of this thread's registry (0 when none is set).
pub fn current_generation() -> u64 {
    CURRENT.with(|c| c.borrow().as_ref().map_or(0, |r| r.generation))
}

/// What this thread's registry says about `name` (lower case) called with `argc` arguments;
/// `None` when it has nothing under that name.
pub(crate) fn find(name: &str, argc: usize) -> Option<Found> {
    CURRENT.with(|c| {
        let c = c.borrow();
        let registry = c.as_ref()?;
        if registry.functions.is_empty() {
            return None;
        }
        registry.find(name, argc)
    })
}

/// Whether this thread's registry has a live version of `name` (lower case).
pub(crate) fn has_live(name: &str) -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(|r| r.has_live(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(name: &str) -> Option<UserFunction> {
        Some(UserFunction::Scalar(Arc::new(UserScalar {
            name: name.into(),
            deterministic: true,
            func: Box::new(|_| Ok(Value::Null)),
        })))
    }

    #[test]
    fn exact_count_beats_any_count_and_removed_entries_still_match() {
        let mut r = Registry::default();
        r.define("F", -1, scalar("any"));
        r.define("f", 2, scalar("two"));
        let name = |f: Option<Found>| match f {
            Some(Found::Function(UserFunction::Scalar(s))) => s.name.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(name(r.find("f", 2)), "two");
        assert_eq!(name(r.find("f", 3)), "any");
        r.define("f", 2, None);
        assert_eq!(name(r.find("f", 2)), "Some(Removed)");
        assert_eq!(name(r.find("f", 1)), "any");
        assert!(r.has_live("f"));
        r.define("f", -1, None);
        assert!(!r.has_live("f"));
        assert_eq!(name(r.find("f", 1)), "Some(Removed)");
        assert_eq!(name(r.find("g", 1)), "None");
        assert_eq!(r.generation, 4);
    }
}
