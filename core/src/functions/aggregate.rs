//! Aggregate functions: the accumulator each keeps, its step and its final value, with SQLite's
//! rules (sum of integers overflowing is an error, total() is always REAL, avg() is REAL, min and
//! max ignore NULLs, group_concat skips NULLs).

use std::sync::Arc;

use super::user::Aggregate;
use super::AggregateFunc;
use crate::error::{Error, Result};
use crate::value::{Collation, Value};
use crate::vdbe::ops::{parse_numeric_text, to_f64, to_numeric, to_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    CountStar,
    Count,
    Sum,
    Total,
    Avg,
    Min,
    Max,
    GroupConcat,
    /// The application's (`AggregateFunc::user`).
    User,
}

impl AggKind {
    /// `Some(None)`: an aggregate name with the wrong argument count; `None`: not an aggregate.
    /// min() and max() with two or more arguments are the scalar functions.
    pub fn from_name(name: &str, argc: usize) -> Option<Option<AggKind>> {
        let k = match (name, argc) {
            ("count", 0) => AggKind::CountStar,
            ("count", 1) => AggKind::Count,
            ("sum", 1) => AggKind::Sum,
            ("total", 1) => AggKind::Total,
            ("avg", 1) => AggKind::Avg,
            ("min", 1) => AggKind::Min,
            ("max", 1) => AggKind::Max,
            ("group_concat", 1 | 2) | ("string_agg", 2) => AggKind::GroupConcat,
            ("min" | "max", _) => return None,
            ("count" | "sum" | "total" | "avg" | "group_concat" | "string_agg", _) => return Some(None),
            _ => return None,
        };
        Some(Some(k))
    }

    pub fn name(self) -> &'static str {
        match self {
            AggKind::CountStar | AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Total => "total",
            AggKind::Avg => "avg",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::GroupConcat => "group_concat",
            AggKind::User => "",
        }
    }
}

/// The running state of one aggregate.
#[derive(Default)]
pub struct Accumulator {
    count: i64,
    int_sum: i64,
    real_sum: f64,
    /// Kahan-Babuska compensation, as SQLite uses for sum/total/avg of reals.
    real_err: f64,
    saw_real: bool,
    overflow: bool,
    best: Option<Value>,
    text: String,
    /// DISTINCT aggregates: the values seen so far, ordered by `collation`.
    seen: Option<std::collections::BTreeSet<Collated>>,
    /// The argument's collation: DISTINCT and min()/max() compare with it.
    collation: Collation,
    /// Whether the last step of a min() or max() left the best value alone (so the row's bare
    /// columns are not the result's).
    pub skipped: bool,
    /// A user aggregate's state, made by its factory at the first step.
    user: Option<Box<dyn Aggregate>>,
    /// A user aggregate's value once finalized: a group's value may be read more than once,
    /// and SQLite calls xFinal once per group.
    user_result: Option<Result<Value>>,
}

/// sqlite3_result_double stores a NaN as NULL.
fn nan_to_null(v: Value) -> Value {
    match v {
        Value::Real(r) if r.is_nan() => Value::Null,
        v => v,
    }
}

fn kbn_add(sum: &mut f64, err: &mut f64, x: f64) {
    let s = *sum;
    let t = s + x;
    if s.abs() > x.abs() {
        *err += (s - t) + x;
    } else {
        *err += (x - t) + s;
    }
    *sum = t;
}

impl AggKind {
    pub fn is_min_max(self) -> bool {
        matches!(self, AggKind::Min | AggKind::Max)
    }
}

/// A value ordered by a collation: a DISTINCT aggregate's set of values seen, and a sliding
/// window min() or max()'s set of the frame's values.
#[derive(Debug, Clone)]
pub(crate) struct Collated(pub Value, pub Collation);

impl PartialEq for Collated {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Collated {}

impl PartialOrd for Collated {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Collated {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.compare(&other.0, self.1)
    }
}

impl Accumulator {
    /// An accumulator whose argument compares with `collation` (SQLite's OP_CollSeq).
    pub fn new(distinct: bool, collation: Collation) -> Accumulator {
        Accumulator { seen: distinct.then(Default::default), collation, ..Default::default() }
    }

    pub fn step(&mut self, func: &AggregateFunc, args: &[Value]) -> Result<()> {
        let kind = func.kind;
        self.skipped = false;
        if let Some(agg) = &func.user {
            // DISTINCT passes each value once, NULL included, as SQLite's ephemeral index of
            // the values seen does (records compare NULL equal to NULL).
            if let (Some(seen), Some(v)) = (&mut self.seen, args.first()) {
                if !seen.insert(Collated(v.clone(), self.collation)) {
                    return Ok(());
                }
            }
            return self.user.get_or_insert_with(|| (agg.factory)()).step(args);
        }
        if kind == AggKind::CountStar {
            self.count += 1;
            return Ok(());
        }
        let v = &args[0];
        if let Some(seen) = &mut self.seen {
            if !v.is_null() && !seen.insert(Collated(v.clone(), self.collation)) {
                return Ok(());
            }
        }
        match kind {
            AggKind::CountStar | AggKind::User => unreachable!(),
            AggKind::Count => {
                if !v.is_null() {
                    self.count += 1;
                }
            }
            AggKind::Sum | AggKind::Total | AggKind::Avg => {
                if v.is_null() {
                    return Ok(());
                }
                self.count += 1;
                // Only INTEGER values keep the sum exact, as in SQLite's sumStep, which asks
                // sqlite3_value_numeric_type: text that is wholly an integer ('12', ' 3 ') counts
                // as one; other text, REALs and blobs make the sum approximate.
                let as_integer = match v {
                    Value::Text(s) => match parse_numeric_text(s) {
                        Some(i @ Value::Integer(_)) => Some(i),
                        _ => None,
                    },
                    _ => None,
                };
                let exact = matches!(v, Value::Integer(_)) || as_integer.is_some();
                match as_integer.unwrap_or_else(|| to_numeric(v)) {
                    Value::Integer(i) if exact && !self.saw_real && !self.overflow => match self.int_sum.checked_add(i)
                    {
                        Some(s) => self.int_sum = s,
                        None => {
                            self.overflow = true;
                            self.real_sum = self.int_sum as f64;
                            kbn_add(&mut self.real_sum, &mut self.real_err, i as f64);
                        }
                    },
                    other => {
                        if !self.saw_real && !self.overflow {
                            self.real_sum = self.int_sum as f64;
                        }
                        if !exact {
                            self.saw_real = true;
                        }
                        kbn_add(&mut self.real_sum, &mut self.real_err, to_f64(&other));
                        if !self.saw_real {
                            // An integer after an overflow: keep accumulating in REAL.
                        }
                    }
                }
            }
            AggKind::Min | AggKind::Max => {
                // SQLite's "skip accumulator load": a row that does not become the new min or
                // max does not lend its bare columns to the result.
                self.skipped = true;
                if v.is_null() {
                    self.skipped = self.best.is_some();
                    return Ok(());
                }
                let replace = match &self.best {
                    None => true,
                    Some(b) => {
                        let o = v.compare(b, self.collation);
                        if kind == AggKind::Min {
                            o.is_lt()
                        } else {
                            o.is_gt()
                        }
                    }
                };
                if replace {
                    self.best = Some(v.clone());
                    self.skipped = false;
                }
            }
            AggKind::GroupConcat => {
                let Some(t) = to_text(v) else { return Ok(()) };
                if self.count > 0 {
                    match args.get(1) {
                        Some(sep) => {
                            if let Some(s) = to_text(sep) {
                                self.text.push_str(&s);
                            }
                        }
                        None => self.text.push(','),
                    }
                }
                self.count += 1;
                self.text.push_str(&t);
            }
        }
        Ok(())
    }

    /// Removes one row's arguments from the state (a window frame's xInverse). `Ok(false)`:
    /// this aggregate has no inverse (min, max, group_concat), and the caller starts over.
    pub fn inverse(&mut self, func: &AggregateFunc, args: &[Value]) -> Result<bool> {
        if let Some(agg) = &func.user {
            self.user.get_or_insert_with(|| (agg.factory)()).inverse(args)?;
            return Ok(true);
        }
        match func.kind {
            AggKind::CountStar => self.count -= 1,
            AggKind::Count => {
                if !args[0].is_null() {
                    self.count -= 1;
                }
            }
            AggKind::Sum | AggKind::Total | AggKind::Avg => {
                let v = &args[0];
                if v.is_null() {
                    return Ok(true);
                }
                self.count -= 1;
                let as_integer = match v {
                    Value::Text(s) => match parse_numeric_text(s) {
                        Some(i @ Value::Integer(_)) => Some(i),
                        _ => None,
                    },
                    _ => None,
                };
                let x = as_integer.unwrap_or_else(|| to_numeric(v));
                // As SQLite's sumInverse: while the sum is exact, every value in it is an integer.
                match x {
                    Value::Integer(i) if !self.saw_real && !self.overflow => match self.int_sum.checked_sub(i) {
                        Some(s) => self.int_sum = s,
                        None => {
                            self.overflow = true;
                            self.real_sum = self.int_sum as f64;
                            kbn_add(&mut self.real_sum, &mut self.real_err, -(i as f64));
                        }
                    },
                    other => kbn_add(&mut self.real_sum, &mut self.real_err, -to_f64(&other)),
                }
            }
            AggKind::Min | AggKind::Max | AggKind::GroupConcat => return Ok(false),
            AggKind::User => unreachable!("a user aggregate carries its function"),
        }
        Ok(true)
    }

    /// The current value of a window frame's aggregate (xValue), leaving the state as it is.
    pub fn value(&mut self, func: &AggregateFunc) -> Result<Value> {
        match &func.user {
            Some(agg) => self.user.get_or_insert_with(|| (agg.factory)()).value().map(nan_to_null),
            None => self.finalize(func),
        }
    }

    /// Ends a window partition: a user aggregate's xFinal runs once, as SQLite runs it when it
    /// frees the state, and what it returns, error or value, is dropped.
    pub fn finish(&mut self, func: &AggregateFunc) {
        if func.user.is_some() {
            let _ = self.finalize(func);
        }
    }

    /// The Kahan-Babuska-Neumaier sum, without the compensation once that overflowed (an
    /// infinite value summed): SQLite's `if( !sqlite3IsOverflow(rErr) ) r += rErr`.
    fn compensated_sum(&self) -> f64 {
        if self.real_err.is_finite() {
            self.real_sum + self.real_err
        } else {
            self.real_sum
        }
    }

    pub fn finalize(&mut self, func: &AggregateFunc) -> Result<Value> {
        if let Some(agg) = &func.user {
            if self.user_result.is_none() {
                // The state the steps built; with no rows, a fresh one (SQLite calls xFinal then too).
                let mut state = self.user.take().unwrap_or_else(|| (agg.factory)());
                self.user_result = Some(state.finalize().map(nan_to_null));
            }
            return self.user_result.clone().expect("finalized above");
        }
        Ok(match func.kind {
            AggKind::User => unreachable!("a user aggregate carries its function"),
            AggKind::CountStar | AggKind::Count => Value::Integer(self.count),
            AggKind::Sum => {
                if self.count == 0 {
                    Value::Null
                } else if self.saw_real {
                    Value::Real(self.compensated_sum())
                } else if self.overflow {
                    return Err(Error::sql("integer overflow"));
                } else {
                    Value::Integer(self.int_sum)
                }
            }
            AggKind::Total => {
                if self.saw_real || self.overflow {
                    Value::Real(self.compensated_sum())
                } else {
                    Value::Real(self.int_sum as f64)
                }
            }
            AggKind::Avg => {
                if self.count == 0 {
                    Value::Null
                } else {
                    let sum = if self.saw_real || self.overflow { self.compensated_sum() } else { self.int_sum as f64 };
                    Value::Real(sum / self.count as f64)
                }
            }
            AggKind::Min | AggKind::Max => self.best.clone().unwrap_or(Value::Null),
            AggKind::GroupConcat => {
                if self.count == 0 {
                    Value::Null
                } else {
                    Value::Text(Arc::from(self.text.as_str()))
                }
            }
        })
    }
}
