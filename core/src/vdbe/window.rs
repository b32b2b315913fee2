//! Window functions at run time: `Insn::Window` turns the rows of an ephemeral table (the query
//! below the window functions, one row per result row before ORDER BY and LIMIT) into the same
//! rows with each window function's value appended.
//!
//! Each group of window functions sharing a PARTITION BY and ORDER BY sorts the rows (stably,
//! so peers keep the order they came in), splits them into partitions and peer groups, and
//! computes its functions partition by partition. The groups run last to first, each sorting
//! the order the one after it left, and the rows come out in the first group's order: what
//! SQLite's nesting of one subquery per window gives.
//!
//! Aggregates over a frame keep one running state per partition: rows entering the frame are
//! stepped, rows leaving it are inverted (SQLite's xInverse), and the state's value is read for
//! each row. An aggregate without an inverse (min, max, group_concat) starts over from the new
//! frame's first row whenever the frame's start moves. A frame's ends never move backwards, so a
//! partition costs O(rows) steps for invertible aggregates and for frames that start at the
//! partition's first row.

use std::cmp::Ordering;

use super::insn::SortKey;
use super::ops::{apply_affinity, arith, to_i64, truth, Affinity, ArithOp};
use crate::error::{Error, Result};
use crate::functions::aggregate::{Accumulator, Collated};
use crate::functions::AggregateFunc;
use crate::parser::ast::{FrameExclude, FrameUnits};
use crate::value::{Collation, Value};

/// What `Insn::Window` computes.
#[derive(Debug)]
pub struct WindowPlan {
    /// Groups of functions that share PARTITION BY and ORDER BY, in the order the query first
    /// names them.
    pub groups: Vec<WindowGroup>,
}

#[derive(Debug)]
pub struct WindowGroup {
    /// The input columns of PARTITION BY.
    pub partition: Vec<usize>,
    /// The input columns of ORDER BY.
    pub order: Vec<usize>,
    /// How the PARTITION BY then the ORDER BY columns sort.
    pub key: SortKey,
    pub calls: Vec<WindowCall>,
}

/// One window function call. Its value goes to appended column `out`.
#[derive(Debug)]
pub struct WindowCall {
    pub func: WindowFunc,
    /// Input columns of the arguments.
    pub args: Vec<usize>,
    /// Input column of the FILTER condition.
    pub filter: Option<usize>,
    pub frame: Frame,
    pub out: usize,
}

#[derive(Debug, Clone)]
pub enum WindowFunc {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
    /// An aggregate (built-in or the application's window function), and the collation its
    /// argument compares with.
    Aggregate(AggregateFunc, Collation),
}

impl WindowFunc {
    /// The name EXPLAIN shows.
    pub fn name(&self) -> String {
        match self {
            WindowFunc::RowNumber => "row_number",
            WindowFunc::Rank => "rank",
            WindowFunc::DenseRank => "dense_rank",
            WindowFunc::PercentRank => "percent_rank",
            WindowFunc::CumeDist => "cume_dist",
            WindowFunc::Ntile => "ntile",
            WindowFunc::Lag => "lag",
            WindowFunc::Lead => "lead",
            WindowFunc::FirstValue => "first_value",
            WindowFunc::LastValue => "last_value",
            WindowFunc::NthValue => "nth_value",
            WindowFunc::Aggregate(f, _) => return f.display_name().to_string(),
        }
        .to_string()
    }

    /// The built-in window function `name` (lower case) takes: `Some(Ok(f))` for a valid
    /// argument count, `Some(Err(()))` for a wrong one, `None` if it is not one of them.
    pub fn builtin(name: &str, argc: usize) -> Option<std::result::Result<WindowFunc, ()>> {
        let (f, ok) = match name {
            "row_number" => (WindowFunc::RowNumber, argc == 0),
            "rank" => (WindowFunc::Rank, argc == 0),
            "dense_rank" => (WindowFunc::DenseRank, argc == 0),
            "percent_rank" => (WindowFunc::PercentRank, argc == 0),
            "cume_dist" => (WindowFunc::CumeDist, argc == 0),
            "ntile" => (WindowFunc::Ntile, argc == 1),
            "lag" => (WindowFunc::Lag, (1..=3).contains(&argc)),
            "lead" => (WindowFunc::Lead, (1..=3).contains(&argc)),
            "first_value" => (WindowFunc::FirstValue, argc == 1),
            "last_value" => (WindowFunc::LastValue, argc == 1),
            "nth_value" => (WindowFunc::NthValue, argc == 2),
            _ => return None,
        };
        Some(if ok { Ok(f) } else { Err(()) })
    }

    /// Whether the frame decides the value (aggregates and the value functions); the ranking
    /// functions, lag and lead see the whole partition.
    pub fn uses_frame(&self) -> bool {
        matches!(
            self,
            WindowFunc::FirstValue | WindowFunc::LastValue | WindowFunc::NthValue | WindowFunc::Aggregate(..)
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: Bound,
    pub end: Bound,
    pub exclude: FrameExclude,
}

/// A frame bound; an offset is the input column holding its value.
#[derive(Debug, Clone, Copy)]
pub enum Bound {
    UnboundedPreceding,
    Preceding(usize),
    CurrentRow,
    Following(usize),
    UnboundedFollowing,
}

/// Computes the plan's functions over `rows`: the rows in output order, each extended by one
/// value per window function call.
pub fn compute(plan: &WindowPlan, rows: Vec<Vec<Value>>, interrupted: &dyn Fn() -> bool) -> Result<Vec<Vec<Value>>> {
    let n = rows.len();
    let calls: usize = plan.groups.iter().map(|g| g.calls.len()).sum();
    let mut values = vec![vec![Value::Null; calls]; n];
    // SQLite nests one subquery per window, the first window outermost, and each sorts the
    // rows the one inside produced with a stable sort: so the last window sorts the query's
    // rows, each earlier one sorts the previous one's order, and the first one's is the output.
    let mut perm: Vec<usize> = (0..n).collect();
    for g in plan.groups.iter().rev() {
        let keys: Vec<Vec<Value>> =
            rows.iter().map(|r| g.partition.iter().chain(&g.order).map(|&c| r[c].clone()).collect()).collect();
        perm.sort_by(|&a, &b| g.key.compare(&keys[a], &keys[b]));
        let np = g.partition.len();
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && equal_columns(&g.key, &keys[perm[start]], &keys[perm[end]], 0..np) {
                end += 1;
            }
            let part = Partition::new(g, &rows, &keys, &perm[start..end], interrupted);
            for call in &g.calls {
                part.check_interrupt(0)?;
                part.compute(call, &mut values)?;
            }
            start = end;
        }
    }
    let mut rows: Vec<Option<Vec<Value>>> = rows.into_iter().map(Some).collect();
    let mut values: Vec<Option<Vec<Value>>> = values.into_iter().map(Some).collect();
    Ok(perm
        .into_iter()
        .map(|i| {
            let mut row = rows[i].take().expect("each row once");
            row.extend(values[i].take().expect("each row once"));
            row
        })
        .collect())
}

/// Whether key columns `range` of `a` and `b` are equal under the key's collations (NULLs are
/// equal to each other, as in GROUP BY).
fn equal_columns(key: &SortKey, a: &[Value], b: &[Value], range: std::ops::Range<usize>) -> bool {
    range.into_iter().all(|i| a[i].compare(&b[i], key.collations[i]) == Ordering::Equal)
}

/// One partition's rows in window order, with its peer groups.
struct Partition<'a> {
    group: &'a WindowGroup,
    rows: &'a [Vec<Value>],
    keys: &'a [Vec<Value>],
    /// Input row numbers, in window order.
    members: &'a [usize],
    /// Per member: its peer group's number.
    peer_group: Vec<usize>,
    /// Where each peer group starts, then the partition's length.
    group_starts: Vec<usize>,
    /// Whether the statement was interrupted (checked every so many rows).
    interrupted: &'a dyn Fn() -> bool,
}

impl<'a> Partition<'a> {
    fn new(
        group: &'a WindowGroup,
        rows: &'a [Vec<Value>],
        keys: &'a [Vec<Value>],
        members: &'a [usize],
        interrupted: &'a dyn Fn() -> bool,
    ) -> Self {
        let np = group.partition.len();
        let width = np + group.order.len();
        let mut peer_group = vec![0; members.len()];
        let mut group_starts = vec![0];
        for i in 1..members.len() {
            if !equal_columns(&group.key, &keys[members[i - 1]], &keys[members[i]], np..width) {
                group_starts.push(i);
            }
            peer_group[i] = group_starts.len() - 1;
        }
        group_starts.push(members.len());
        Partition { group, rows, keys, members, peer_group, group_starts, interrupted }
    }

    fn len(&self) -> usize {
        self.members.len()
    }

    /// Fails with SQLITE_INTERRUPT when the statement was interrupted; looks every 64th
    /// member `i`, as a long partition is one instruction.
    fn check_interrupt(&self, i: usize) -> Result<()> {
        if i.is_multiple_of(64) && (self.interrupted)() {
            return Err(Error::Interrupt);
        }
        Ok(())
    }

    /// Argument `a` of the call at member `i`.
    fn arg(&self, call: &WindowCall, a: usize, i: usize) -> &Value {
        &self.rows[self.members[i]][call.args[a]]
    }

    fn compute(&self, call: &WindowCall, out: &mut [Vec<Value>]) -> Result<()> {
        let m = self.len();
        let mut set = |i: usize, v: Value| out[self.members[i]][call.out] = v;
        match &call.func {
            WindowFunc::RowNumber => (0..m).for_each(|i| set(i, Value::Integer(i as i64 + 1))),
            WindowFunc::Rank => {
                (0..m).for_each(|i| set(i, Value::Integer(self.group_starts[self.peer_group[i]] as i64 + 1)))
            }
            WindowFunc::DenseRank => (0..m).for_each(|i| set(i, Value::Integer(self.peer_group[i] as i64 + 1))),
            WindowFunc::PercentRank => (0..m).for_each(|i| {
                let rank = self.group_starts[self.peer_group[i]];
                set(i, Value::Real(if m > 1 { rank as f64 / (m - 1) as f64 } else { 0.0 }))
            }),
            WindowFunc::CumeDist => (0..m).for_each(|i| {
                let last = self.group_starts[self.peer_group[i] + 1];
                set(i, Value::Real(last as f64 / m as f64))
            }),
            WindowFunc::Ntile => {
                // SQLite's ntile reads its argument at the partition's first row.
                let buckets = to_i64(self.arg(call, 0, 0));
                if buckets <= 0 {
                    return Err(Error::sql("argument of ntile must be a positive integer"));
                }
                let (total, buckets) = (m as i64, buckets);
                let size = total / buckets;
                for i in 0..m {
                    let row = i as i64;
                    let tile = if size == 0 {
                        row + 1
                    } else {
                        let large = total - buckets * size;
                        let small = large * (size + 1);
                        if row < small {
                            1 + row / (size + 1)
                        } else {
                            1 + large + (row - small) / size
                        }
                    };
                    set(i, Value::Integer(tile));
                }
            }
            WindowFunc::Lag | WindowFunc::Lead => {
                let lead = matches!(call.func, WindowFunc::Lead);
                for i in 0..m {
                    let target = match call.args.get(1) {
                        None => Some(if lead { i as i128 + 1 } else { i as i128 - 1 }),
                        Some(_) => offset_row(i, self.arg(call, 1, i), lead),
                    };
                    let v = match target.filter(|t| (0..m as i128).contains(t)) {
                        Some(t) => self.arg(call, 0, t as usize).clone(),
                        None if call.args.len() > 2 => self.arg(call, 2, i).clone(),
                        None => Value::Null,
                    };
                    set(i, v);
                }
            }
            WindowFunc::FirstValue | WindowFunc::LastValue | WindowFunc::NthValue => {
                let offsets = self.offsets(&call.frame)?;
                for i in 0..m {
                    let mut rows = self.frame_members(&call.frame, &offsets, i);
                    let at = match call.func {
                        WindowFunc::FirstValue => rows.next(),
                        WindowFunc::LastValue => rows.last(),
                        _ => {
                            let nth = match apply_affinity(self.arg(call, 1, i).clone(), Affinity::Numeric) {
                                Value::Integer(k) if k > 0 => k as u64,
                                _ => return Err(Error::sql("second argument to nth_value must be a positive integer")),
                            };
                            rows.nth(usize::try_from(nth - 1).unwrap_or(usize::MAX))
                        }
                    };
                    set(i, at.map(|r| self.arg(call, 0, r).clone()).unwrap_or(Value::Null));
                }
            }
            WindowFunc::Aggregate(func, collation) => self.aggregate(call, func, *collation, &mut set)?,
        }
        Ok(())
    }

    /// An aggregate over each member's frame.
    fn aggregate(
        &self,
        call: &WindowCall,
        func: &AggregateFunc,
        collation: Collation,
        set: &mut impl FnMut(usize, Value),
    ) -> Result<()> {
        let offsets = self.offsets(&call.frame)?;
        // SQLite keeps a sliding min() or max() in an index of the frame's values, where the
        // latest of equal values wins; from the partition's start it steps as an aggregate,
        // where the first wins.
        let sliding_min_max =
            func.user.is_none() && func.kind.is_min_max() && !matches!(call.frame.start, Bound::UnboundedPreceding);
        let fresh = || {
            if sliding_min_max {
                State::MinMax(std::collections::BTreeSet::new())
            } else {
                State::Aggregate(Accumulator::new(false, collation))
            }
        };
        let mut state = fresh();
        if call.frame.exclude != FrameExclude::NoOthers {
            // With rows excluded the frame has a hole: each row's value is computed afresh over
            // its frame (SQLite's windowFullScan).
            let mut args = Vec::with_capacity(call.args.len());
            for i in 0..self.len() {
                // Each row scans its whole frame: look every row.
                if (self.interrupted)() {
                    return Err(Error::Interrupt);
                }
                let mut state = fresh();
                for r in self.frame_members(&call.frame, &offsets, i) {
                    if self.load(call, r, &mut args) {
                        state.step(func, collation, r, &args)?;
                    }
                }
                set(i, state.value(func)?);
                if let State::Aggregate(acc) = &mut state {
                    acc.finish(func);
                }
            }
            return Ok(());
        }
        // The rows the state holds: [held_start, held_end).
        let (mut held_start, mut held_end) = (0, 0);
        let mut args = Vec::with_capacity(call.args.len());
        let load = |r: usize, args: &mut Vec<Value>| self.load(call, r, args);
        for i in 0..self.len() {
            self.check_interrupt(i)?;
            let (s, e) = self.frame(&call.frame, &offsets, i);
            if s > held_start && s < held_end {
                // Remove the rows that left, when the aggregate can.
                let mut inverted = true;
                for r in held_start..s {
                    if load(r, &mut args) && !state.inverse(func, collation, r, &args)? {
                        inverted = false;
                        break;
                    }
                }
                if inverted {
                    held_start = s;
                } else {
                    state = fresh();
                    (held_start, held_end) = (s, s);
                }
            } else if s != held_start {
                state = fresh();
                (held_start, held_end) = (s, s);
            }
            while held_end < e {
                if load(held_end, &mut args) {
                    state.step(func, collation, held_end, &args)?;
                }
                held_end += 1;
            }
            set(i, state.value(func)?);
        }
        if let State::Aggregate(acc) = &mut state {
            acc.finish(func);
        }
        Ok(())
    }

    /// Loads member `r`'s arguments of `call` into `args`; false when its FILTER rejects it.
    fn load(&self, call: &WindowCall, r: usize, args: &mut Vec<Value>) -> bool {
        let row = &self.rows[self.members[r]];
        if let Some(f) = call.filter {
            if truth(&row[f]) != Some(true) {
                return false;
            }
        }
        args.clear();
        args.extend(call.args.iter().map(|&c| row[c].clone()));
        true
    }

    /// The members in member `i`'s frame, in order, without those its EXCLUDE clause removes.
    fn frame_members<'s>(
        &'s self,
        frame: &Frame,
        offsets: &(Value, Value),
        i: usize,
    ) -> impl Iterator<Item = usize> + 's {
        let (s, e) = self.frame(frame, offsets, i);
        let g = self.peer_group[i];
        let peers = self.group_starts[g]..self.group_starts[g + 1];
        let exclude = frame.exclude;
        (s..e).filter(move |&r| match exclude {
            FrameExclude::NoOthers => true,
            FrameExclude::CurrentRow => r != i,
            FrameExclude::Group => !peers.contains(&r),
            FrameExclude::Ties => r == i || !peers.contains(&r),
        })
    }

    /// The frame's offsets, read at the partition's first row and checked as SQLite checks
    /// them.
    fn offsets(&self, frame: &Frame) -> Result<(Value, Value)> {
        let read = |b: Bound, start: bool| -> Result<Value> {
            let (Bound::Preceding(c) | Bound::Following(c)) = b else { return Ok(Value::Null) };
            let v = self.rows[self.members[0]][c].clone();
            let which = if start { "starting" } else { "ending" };
            if frame.units == FrameUnits::Range {
                let v = apply_affinity(v, Affinity::Numeric);
                return match v {
                    Value::Integer(i) if i >= 0 => Ok(v),
                    Value::Real(r) if r >= 0.0 => Ok(v),
                    _ => Err(Error::sql(format!("frame {which} offset must be a non-negative number"))),
                };
            }
            match apply_affinity(v, Affinity::Numeric) {
                v @ Value::Integer(i) if i >= 0 => Ok(v),
                _ => Err(Error::sql(format!("frame {which} offset must be a non-negative integer"))),
            }
        };
        Ok((read(frame.start, true)?, read(frame.end, false)?))
    }

    /// Member `i`'s frame as a range of members `[start, end)` (empty when start >= end).
    fn frame(&self, frame: &Frame, offsets: &(Value, Value), i: usize) -> (usize, usize) {
        let start = self.bound(frame, frame.start, &offsets.0, i, true);
        let end = self.bound(frame, frame.end, &offsets.1, i, false);
        (start, end.max(start))
    }

    /// Where a bound puts the frame's start (`start`) or its exclusive end, for member `i`.
    fn bound(&self, frame: &Frame, b: Bound, offset: &Value, i: usize, start: bool) -> usize {
        let m = self.len();
        let k = |v: &Value| match v {
            Value::Integer(k) => usize::try_from(*k).unwrap_or(usize::MAX),
            _ => 0,
        };
        let edge = |at: usize| if start { at } else { at.saturating_add(1) };
        let g = self.peer_group[i];
        let groups = self.group_starts.len() - 1;
        match (b, frame.units) {
            (Bound::UnboundedPreceding, _) => 0,
            (Bound::UnboundedFollowing, _) => m,
            (Bound::CurrentRow, FrameUnits::Rows) => edge(i),
            (Bound::CurrentRow, _) => self.group_starts[if start { g } else { g + 1 }],
            (Bound::Preceding(_), FrameUnits::Rows) => match i.checked_sub(k(offset)) {
                Some(at) => edge(at),
                None => 0,
            },
            (Bound::Following(_), FrameUnits::Rows) => edge(i.saturating_add(k(offset))).min(m),
            (Bound::Preceding(_), FrameUnits::Groups) => match g.checked_sub(k(offset)) {
                Some(at) => self.group_starts[if start { at } else { at + 1 }],
                None => 0,
            },
            (Bound::Following(_), FrameUnits::Groups) => {
                let at = g.saturating_add(k(offset)).saturating_add(usize::from(!start));
                self.group_starts[at.min(groups)]
            }
            (Bound::Preceding(_) | Bound::Following(_), FrameUnits::Range) => {
                self.range_bound(matches!(b, Bound::Preceding(_)), offset, i, start)
            }
        }
    }

    /// A RANGE bound with an offset: the first member (for the start) or the first member past
    /// the bound (for the end) whose single ORDER BY value is within `offset` of member `i`'s.
    /// A NULL value's frame is its peers; other values never reach the NULLs. Text and blobs are
    /// not moved by the offset, as in SQLite.
    fn range_bound(&self, preceding: bool, offset: &Value, i: usize, start: bool) -> usize {
        let col = self.group.partition.len();
        let coll = self.group.key.collations[col];
        let desc = self.group.key.desc[col];
        let value = |r: usize| &self.keys[self.members[r]][col];
        let v = value(i);
        if v.is_null() {
            let g = self.peer_group[i];
            return self.group_starts[if start { g } else { g + 1 }];
        }
        let op = if preceding != desc { ArithOp::Subtract } else { ArithOp::Add };
        let target = match v {
            Value::Integer(_) | Value::Real(_) => arith(op, v, offset),
            _ => v.clone(),
        };
        // The members with a value: one run, since NULLs sort to one end.
        let lo = (0..self.len()).find(|&r| !value(r).is_null()).unwrap_or(0);
        let hi = (lo..self.len()).find(|&r| value(r).is_null()).unwrap_or(self.len());
        let in_order = |r: usize| {
            let o = value(r).compare(&target, coll);
            if desc {
                o.reverse()
            } else {
                o
            }
        };
        let run: Vec<usize> = (lo..hi).collect();
        lo + if start {
            run.partition_point(|&r| in_order(r) == Ordering::Less)
        } else {
            run.partition_point(|&r| in_order(r) != Ordering::Greater)
        }
    }
}

/// A window aggregate's running state.
enum State {
    Aggregate(Accumulator),
    /// A sliding min() or max(): the frame's non-NULL values with the member each came from.
    MinMax(std::collections::BTreeSet<(Collated, usize)>),
}

impl State {
    fn step(&mut self, func: &AggregateFunc, collation: Collation, member: usize, args: &[Value]) -> Result<()> {
        match self {
            State::Aggregate(acc) => acc.step(func, args),
            State::MinMax(set) => {
                if !args[0].is_null() {
                    set.insert((Collated(args[0].clone(), collation), member));
                }
                Ok(())
            }
        }
    }

    /// `Ok(false)`: the state cannot remove a row.
    fn inverse(&mut self, func: &AggregateFunc, collation: Collation, member: usize, args: &[Value]) -> Result<bool> {
        match self {
            State::Aggregate(acc) => acc.inverse(func, args),
            State::MinMax(set) => {
                set.remove(&(Collated(args[0].clone(), collation), member));
                Ok(true)
            }
        }
    }

    fn value(&mut self, func: &AggregateFunc) -> Result<Value> {
        match self {
            State::Aggregate(acc) => acc.value(func),
            State::MinMax(set) => {
                // The smallest (or largest) value; of equal ones, the latest member's.
                let best = if func.kind == crate::functions::aggregate::AggKind::Min {
                    set.first().map(|(v, _)| v).and_then(|least| set.range(..=(least.clone(), usize::MAX)).next_back())
                } else {
                    set.last()
                };
                Ok(best.map(|(v, _)| v.0.clone()).unwrap_or(Value::Null))
            }
        }
    }
}

/// The member lag() or lead() reads for member `i` with offset `v`: the offset as SQLite's row
/// arithmetic takes it (text as a number, a fraction reaching no row, NULL no row).
fn offset_row(i: usize, v: &Value, lead: bool) -> Option<i128> {
    let i = i as i128;
    match apply_affinity(v.clone(), Affinity::Numeric) {
        Value::Integer(k) => Some(if lead { i + k as i128 } else { i - k as i128 }),
        Value::Real(r) => {
            let at = if lead { i as f64 + r } else { i as f64 - r };
            (at.fract() == 0.0 && at.abs() < 1e18).then_some(at as i128)
        }
        Value::Null => None,
        // Text that is not a number counts as 0.
        _ => Some(i),
    }
}
