//! Row triggers: BEFORE and AFTER triggers on INSERT, UPDATE [OF columns] and DELETE, compiled
//! inline at each row of the statement that fires them, as SQLite's sub-programs run.
//!
//! The trigger body sees OLD and NEW as pseudo-tables whose values are in registers; its
//! statements compile in their own query level above them. A trigger does not fire itself
//! recursively (SQLite's default, recursive_triggers off). RAISE(IGNORE) skips the rest of the
//! firing row; RAISE(ABORT|FAIL|ROLLBACK, msg) fails the statement with SQLITE_CONSTRAINT_TRIGGER.

use std::sync::Arc;

use super::expr::{cond_jump, Ctx, Dest, ScopeTable};
use crate::error::{Error, Result};
use crate::parser::ast::{Statement, TriggerEvent, TriggerTime};
use crate::schema::Table;
use crate::vdbe::program::Label;

/// Where the firing row's values are: registers `base..base+n` and the rowid at `base+n`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowRegs {
    pub old: Option<usize>,
    pub new: Option<usize>,
}

/// Whether `table` has any trigger for `event` ("insert", "update", "delete").
pub fn has_triggers(ctx: &Ctx, table: &Table, event: &str) -> bool {
    [TriggerTime::Before, TriggerTime::After]
        .iter()
        .any(|t| !ctx.schema.triggers_for(&table.name, *t, event).is_empty())
}

/// Emits the bodies of the `time` triggers on `table` for `event`. `changed` lists the columns an
/// UPDATE sets (for UPDATE OF). `skip_row` is where RAISE(IGNORE) goes.
pub fn fire(
    ctx: &mut Ctx,
    table: &Arc<Table>,
    time: TriggerTime,
    event: &str,
    changed: &[usize],
    rows: RowRegs,
    skip_row: Label,
) -> Result<()> {
    for trigger in ctx.schema.triggers_for(&table.name, time, event) {
        if ctx.trigger_stack.iter().any(|t| t.eq_ignore_ascii_case(&trigger.name)) {
            continue;
        }
        if let TriggerEvent::Update(cols) = &trigger.event {
            if !cols.is_empty() && !cols.iter().any(|c| table.column_index(c).is_some_and(|i| changed.contains(&i))) {
                continue;
            }
        }
        if ctx.trigger_stack.len() >= crate::limits::MAX_TRIGGER_DEPTH {
            return Err(Error::sql("too many levels of trigger recursion"));
        }
        // The body compiles in a fresh name scope: OLD and NEW, then each statement's tables.
        let saved_scope = std::mem::take(&mut ctx.scope);
        let saved_levels = std::mem::replace(&mut ctx.levels, vec![0]);
        let saved_correlated = std::mem::replace(&mut *ctx.correlated_cell.borrow_mut(), vec![false]);
        let saved_aggs = (ctx.aggs.take(), ctx.in_agg_output);
        let saved_ctes = std::mem::take(&mut ctx.ctes);
        for (name, base) in [("old", rows.old), ("new", rows.new)] {
            if let Some(base) = base {
                let cursor = ctx.b.alloc_cursor();
                ctx.scope
                    .push(ScopeTable { regs: Some(base), ..ScopeTable::table(table.clone(), name.into(), cursor) });
            }
        }
        ctx.trigger_stack.push(trigger.name.clone());
        ctx.raise_ignore.push(skip_row);
        let result = (|| -> Result<()> {
            let skip = ctx.b.new_label();
            if let Some(w) = &trigger.when {
                cond_jump(ctx, w, skip)?;
            }
            let schema = ctx.schema.clone();
            for stmt in &trigger.body {
                ctx.push_level();
                let r = match stmt {
                    Statement::Insert(i) => super::dml::compile_insert(ctx, &schema, i),
                    Statement::Update(u) => super::dml::compile_update(ctx, &schema, u),
                    Statement::Delete(d) => super::dml::compile_delete(ctx, &schema, d),
                    Statement::Select(s) => {
                        ctx.dest.push(Dest::Discard);
                        let r = super::select::compile_query(ctx, &schema, s).map(|_| ());
                        ctx.dest.pop();
                        r
                    }
                    _ => Err(Error::sql("only INSERT, UPDATE, DELETE and SELECT may appear in a trigger")),
                };
                ctx.pop_level();
                r?;
            }
            ctx.b.resolve_label(skip);
            Ok(())
        })();
        ctx.raise_ignore.pop();
        ctx.trigger_stack.pop();
        ctx.scope = saved_scope;
        ctx.levels = saved_levels;
        *ctx.correlated_cell.borrow_mut() = saved_correlated;
        ctx.aggs = saved_aggs.0;
        ctx.in_agg_output = saved_aggs.1;
        ctx.ctes = saved_ctes;
        result?;
    }
    Ok(())
}
