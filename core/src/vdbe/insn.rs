//! The instruction set: SQLite's opcodes with named operands, and their EXPLAIN rendering in
//! SQLite's layout (addr, opcode, p1, p2, p3, p4, p5, comment).
//!
//! Register and cursor numbers are plain `usize` indexes into the VM's arrays; jump targets are
//! instruction addresses (patched by the program builder once known).

use std::fmt::Write;
use std::sync::Arc;

use crate::functions::{AggregateFunc, ScalarFunc};
use crate::storage::btree::SeekOp;
use crate::storage::pager::PageNumber;
use crate::storage::record::KeyInfo;
use crate::value::{Collation, Value};
use crate::vdbe::ops::{Affinity, ArithOp};

/// Flags on OP_Insert / OP_Delete (SQLite's OPFLAG_*).
pub const OPFLAG_NCHANGE: u8 = 0x01;
pub const OPFLAG_LASTROWID: u8 = 0x20;
pub const OPFLAG_ISUPDATE: u8 = 0x04;

/// The comparison opcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "Eq",
            CmpOp::Ne => "Ne",
            CmpOp::Lt => "Lt",
            CmpOp::Le => "Le",
            CmpOp::Gt => "Gt",
            CmpOp::Ge => "Ge",
        }
    }

    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }

    /// The operator that holds when the operands are swapped.
    pub fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }

    /// The operator that holds exactly when this one does not (ignoring NULL).
    pub fn negated(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }
}

/// What a cursor opened by OpenRead/OpenWrite reads.
#[derive(Debug, Clone, PartialEq)]
pub enum CursorInfo {
    /// A table B-tree with this many columns.
    Table { columns: usize },
    /// An index B-tree (or WITHOUT ROWID table).
    Index(KeyInfo),
}

/// Bit operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    ShiftLeft,
    ShiftRight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavepointOp {
    Begin,
    Release,
    Rollback,
}

/// Which database header field OP_ReadCookie / OP_SetCookie touch (BTREE_* in SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cookie {
    SchemaVersion = 1,
    SchemaFormat = 2,
    DefaultCacheSize = 3,
    UserVersion = 6,
    ApplicationId = 8,
}

/// One VM instruction.
#[derive(Debug, Clone)]
pub enum Insn {
    Init {
        target: usize,
    },
    Goto {
        target: usize,
    },
    /// Ends the program. `code` 0 is success; otherwise an error with `message`.
    Halt {
        code: i32,
        on_error: u8,
        message: Option<String>,
    },
    HaltIfNull {
        reg: usize,
        code: i32,
        on_error: u8,
        message: String,
    },
    Transaction {
        db: usize,
        write: bool,
        schema_cookie: u32,
        exclusive: bool,
    },
    AutoCommit {
        autocommit: bool,
        rollback: bool,
        begin_mode: u8,
    },
    Savepoint {
        op: SavepointOp,
        name: String,
    },
    Integer {
        value: i64,
        dest: usize,
    },
    Real {
        value: f64,
        dest: usize,
    },
    String8 {
        value: Arc<str>,
        dest: usize,
    },
    Blob {
        value: Arc<[u8]>,
        dest: usize,
    },
    /// Sets registers dest..=end to NULL.
    Null {
        dest: usize,
        end: usize,
    },
    Variable {
        index: usize,
        dest: usize,
    },
    Copy {
        src: usize,
        dest: usize,
        extra: usize,
    },
    SCopy {
        src: usize,
        dest: usize,
    },
    OpenRead {
        cursor: usize,
        root: PageNumber,
        db: usize,
        info: CursorInfo,
    },
    OpenWrite {
        cursor: usize,
        root: PageNumber,
        db: usize,
        info: CursorInfo,
    },
    /// Opens a cursor whose root page number is in a register (a table created by this program).
    OpenWriteReg {
        cursor: usize,
        root_reg: usize,
        db: usize,
        info: CursorInfo,
    },
    Close {
        cursor: usize,
    },
    Rewind {
        cursor: usize,
        target: usize,
    },
    Last {
        cursor: usize,
        target: usize,
    },
    Next {
        cursor: usize,
        target: usize,
    },
    Prev {
        cursor: usize,
        target: usize,
    },
    Column {
        cursor: usize,
        column: usize,
        dest: usize,
        default: Option<Value>,
    },
    Rowid {
        cursor: usize,
        dest: usize,
    },
    ResultRow {
        start: usize,
        count: usize,
    },
    MakeRecord {
        start: usize,
        count: usize,
        dest: usize,
        affinities: Option<String>,
    },
    NewRowid {
        cursor: usize,
        dest: usize,
    },
    Insert {
        cursor: usize,
        record: usize,
        rowid: usize,
        flags: u8,
        table: Option<String>,
    },
    Delete {
        cursor: usize,
        flags: u8,
        table: Option<String>,
    },
    /// Jumps to `target` when no row has the rowid in `rowid` (or it is not an integer).
    SeekRowid {
        cursor: usize,
        rowid: usize,
        target: usize,
    },
    NotExists {
        cursor: usize,
        rowid: usize,
        target: usize,
    },
    /// Positions an index or table cursor; jumps to `target` when nothing satisfies `op`.
    Seek {
        op: SeekOp,
        cursor: usize,
        key_start: usize,
        key_count: usize,
        target: usize,
    },
    /// Compares the index entry under the cursor with the key; jumps when `op` holds.
    IdxCompare {
        op: SeekOp,
        cursor: usize,
        key_start: usize,
        key_count: usize,
        target: usize,
    },
    /// Inserts the record r[record] into an index (or WITHOUT ROWID table). `flags`:
    /// OPFLAG_NCHANGE counts a row change (the table of a WITHOUT ROWID table).
    IdxInsert {
        cursor: usize,
        record: usize,
        key_start: usize,
        key_count: usize,
        flags: u8,
    },
    IdxDelete {
        cursor: usize,
        key_start: usize,
        key_count: usize,
    },
    IdxRowid {
        cursor: usize,
        dest: usize,
    },
    /// Jumps to `target` when an index entry with the key's prefix exists (Found) or does not (NotFound/NoConflict).
    Found {
        cursor: usize,
        key_start: usize,
        key_count: usize,
        target: usize,
    },
    NotFound {
        cursor: usize,
        key_start: usize,
        key_count: usize,
        target: usize,
    },
    NoConflict {
        cursor: usize,
        key_start: usize,
        key_count: usize,
        target: usize,
    },
    Compare {
        op: CmpOp,
        lhs: usize,
        rhs: usize,
        target: usize,
        affinity: Affinity,
        collation: Collation,
        jump_if_null: bool,
        null_eq: bool,
    },
    /// Jumps when r[reg] is true (or NULL and `jump_if_null`).
    If {
        reg: usize,
        target: usize,
        jump_if_null: bool,
    },
    IfNot {
        reg: usize,
        target: usize,
        jump_if_null: bool,
    },
    IsNull {
        reg: usize,
        target: usize,
    },
    NotNull {
        reg: usize,
        target: usize,
    },
    Not {
        src: usize,
        dest: usize,
    },
    BitNot {
        src: usize,
        dest: usize,
    },
    And {
        lhs: usize,
        rhs: usize,
        dest: usize,
    },
    Or {
        lhs: usize,
        rhs: usize,
        dest: usize,
    },
    /// r[dest] = r[lhs] op r[rhs]. (SQLite writes this as r[P3]=r[P2] op r[P1].)
    Arith {
        op: ArithOp,
        lhs: usize,
        rhs: usize,
        dest: usize,
    },
    Bit {
        op: BitOp,
        lhs: usize,
        rhs: usize,
        dest: usize,
    },
    Concat {
        lhs: usize,
        rhs: usize,
        dest: usize,
    },
    Cast {
        reg: usize,
        affinity: Affinity,
    },
    /// r[dest] = r[lhs] IS r[rhs] (or IS NOT when `negate`), never NULL.
    Is {
        lhs: usize,
        rhs: usize,
        dest: usize,
        negate: bool,
    },
    Function {
        const_mask: u32,
        first_arg: usize,
        dest: usize,
        func: ScalarFunc,
        argc: usize,
        /// What min(), max() and nullif() compare with.
        collation: Collation,
    },
    /// r[dest] = a user function of r[first_arg..first_arg+argc] (a function call of its own,
    /// so the built-ins' `Function` stays a plain fn pointer call).
    UserFunction {
        first_arg: usize,
        dest: usize,
        func: std::sync::Arc<crate::functions::user::UserScalar>,
        argc: usize,
    },
    AggStep {
        first_arg: usize,
        acc: usize,
        func: AggregateFunc,
        argc: usize,
        distinct: bool,
        /// The argument's collation, for DISTINCT and min()/max().
        collation: Collation,
    },
    AggFinal {
        acc: usize,
        argc: usize,
        func: AggregateFunc,
    },
    Count {
        cursor: usize,
        dest: usize,
    },
    CreateBtree {
        db: usize,
        dest: usize,
        index: bool,
    },
    Destroy {
        root: PageNumber,
        db: usize,
    },
    Clear {
        root: PageNumber,
        db: usize,
    },
    ParseSchema {
        db: usize,
    },
    ReadCookie {
        db: usize,
        dest: usize,
        cookie: Cookie,
    },
    SetCookie {
        db: usize,
        cookie: Cookie,
        value: i64,
    },
    /// Increments the schema cookie (for DDL).
    BumpSchema {
        db: usize,
    },
    Once {
        target: usize,
    },
    Gosub {
        ret: usize,
        target: usize,
    },
    /// Sets up a co-routine (SQLite's InitCoroutine): r[reg] = `start`, the address of its
    /// first instruction, then jumps to `target`, past its body.
    InitCoroutine {
        reg: usize,
        target: usize,
        start: usize,
    },
    /// Swaps control with the other side of co-routine `reg`: jumps to the address in r[reg],
    /// leaving there the address after this instruction. When the co-routine ends
    /// (EndCoroutine), the loop that yielded to it continues at `target`.
    Yield {
        reg: usize,
        target: usize,
    },
    /// The co-routine `reg` has no more rows: control goes to the `target` of the Yield that
    /// last resumed it.
    EndCoroutine {
        reg: usize,
    },
    Return {
        reg: usize,
    },
    /// If r[reg] > 0: r[reg] -= decrement and jump.
    IfPos {
        reg: usize,
        target: usize,
        decrement: i64,
    },
    DecrJumpZero {
        reg: usize,
        target: usize,
    },
    MustBeInt {
        reg: usize,
        target: usize,
    },
    Affinity {
        start: usize,
        count: usize,
        affinities: String,
    },
    /// An integer in r[reg] becomes REAL (SQLite's OP_RealAffinity): a REAL column's
    /// whole-number value, which the record holds as an integer. Other values are left alone.
    RealAffinity {
        reg: usize,
    },
    /// Runs the structural integrity check over the listed trees; r[dest] gets the report.
    IntegrityCk {
        dest: usize,
        roots: Vec<(PageNumber, bool, String)>,
        max_errors: usize,
    },
    /// Runs a pragma that needs the connection state (journal_mode, cache_size...) and writes its
    /// result row to registers dest.. (count given).
    Pragma {
        name: String,
        value: Option<Value>,
        dest: usize,
    },
    /// Opens sorter `cursor` ordering rows by their first `key.collations.len()` values.
    SorterOpen {
        cursor: usize,
        key: SortKey,
    },
    /// Adds the row r[start..start+count] (key values first) to the sorter.
    SorterInsert {
        cursor: usize,
        start: usize,
        count: usize,
    },
    /// Sorts; jumps to `target` when the sorter is empty, else positions on the first row.
    SorterSort {
        cursor: usize,
        target: usize,
    },
    /// Moves to the next sorted row; jumps to `target` while there is one.
    SorterNext {
        cursor: usize,
        target: usize,
    },
    /// r[dest] = value `column` of the current sorted row.
    SorterColumn {
        cursor: usize,
        column: usize,
        dest: usize,
    },
    /// Opens GROUP BY table `id`: groups ordered by `key`, each with the listed aggregates
    /// (DISTINCT or not, the argument's collation) and `bare` slots for column values taken
    /// from the row SQLite picks (see GroupSetBare).
    GroupOpen {
        id: usize,
        key: SortKey,
        aggs: Vec<(AggregateFunc, bool, Collation)>,
        bare: usize,
    },
    /// Makes the group with key r[key_start..key_start+key_count] current, creating it.
    GroupSelect {
        id: usize,
        key_start: usize,
        key_count: usize,
    },
    /// Steps aggregate `agg` of the current group with r[first_arg..first_arg+argc].
    GroupAggStep {
        id: usize,
        agg: usize,
        first_arg: usize,
        argc: usize,
    },
    /// Jumps to `target` when the last min() or max() step kept its best value: the row does
    /// not supply the bare columns (SQLite's skipped accumulator load).
    IfMinMaxSkipped {
        target: usize,
    },
    /// Stores r[reg] in bare slot `slot` of the current group, when this row supplies the bare
    /// columns: the one that set a min() or max(), else the group's first.
    GroupSetBare {
        id: usize,
        slot: usize,
        reg: usize,
    },
    /// Starts reading groups in key order; jumps to `target` when there are none.
    GroupSort {
        id: usize,
        target: usize,
    },
    /// Moves to the next group; jumps to `target` while there is one.
    GroupNext {
        id: usize,
        target: usize,
    },
    /// r[dest] = a field of the group being read.
    GroupColumn {
        id: usize,
        field: GroupField,
        dest: usize,
    },
    /// Opens (or empties) ephemeral table `id`: a bag of rows in insertion order, or with
    /// `distinct` a set of rows in `key` order.
    EphOpen {
        id: usize,
        distinct: bool,
        key: SortKey,
    },
    /// Sets the affinity applied to the first column of each row added to ephemeral table `id`
    /// (the comparison affinity of an `IN (SELECT ...)`); EphOpen clears it.
    EphAffinity {
        id: usize,
        affinity: Affinity,
    },
    /// Adds r[start..start+count] to ephemeral table `id` (a set ignores duplicates).
    EphInsert {
        id: usize,
        start: usize,
        count: usize,
    },
    /// Jumps to `target` when ephemeral set `id` holds the row r[start..start+count].
    EphFound {
        id: usize,
        start: usize,
        count: usize,
        target: usize,
    },
    /// Jumps to `target` when ephemeral table `id` holds a row whose first value is NULL.
    /// Jumps to `target` when ephemeral table `id` holds no row.
    EphEmpty {
        id: usize,
        target: usize,
    },
    EphHasNull {
        id: usize,
        target: usize,
    },
    /// Takes the first row of ephemeral table `id` (a bag's oldest, a set's smallest) into
    /// r[start..start+count] and removes it; jumps to `target` when the table is empty. A
    /// recursive CTE's queue: a table popped from is not scanned.
    EphPop {
        id: usize,
        start: usize,
        count: usize,
        target: usize,
    },
    /// Turns ephemeral table `id` into a set (`distinct`) or a bag, keeping its rows.
    EphConvert {
        id: usize,
        distinct: bool,
    },
    /// Removes from set `id` the rows of set `other` (EXCEPT), or keeps only them (INTERSECT).
    EphCombine {
        id: usize,
        other: usize,
        intersect: bool,
    },
    /// Replaces the rows of ephemeral table `id` (a bag) with the same rows, each followed by
    /// the values of the plan's window functions, in the order of the plan's first window.
    Window {
        id: usize,
        plan: std::sync::Arc<super::window::WindowPlan>,
    },
    /// Opens scan cursor `cursor` over ephemeral table `id` (rows read with Rewind/Next/Column).
    EphScan {
        cursor: usize,
        id: usize,
    },
    /// Creates (with `sql`) or drops a TEMP view in the connection's schema.
    TempView {
        name: String,
        sql: Option<String>,
    },
    /// Adds the integer r[value] to the RowSet in register `set`.
    RowSetAdd {
        set: usize,
        value: usize,
    },
    /// Takes the next rowid from the RowSet into `dest`, or jumps to `target` when it is empty.
    RowSetRead {
        set: usize,
        dest: usize,
        target: usize,
    },
    /// Puts `cursor` on its "NULL row" (an outer join's row that matched nothing): Column and
    /// Rowid read NULL and Next/Prev fall through, until Rewind, Last or a seek repositions it.
    NullRow {
        cursor: usize,
    },
    Noop {
        comment: Option<String>,
    },
}

fn jump_fields(insn: &mut Insn) -> Option<&mut usize> {
    use Insn::*;
    match insn {
        Init { target }
        | Goto { target }
        | Rewind { target, .. }
        | Last { target, .. }
        | Next { target, .. }
        | Prev { target, .. }
        | SeekRowid { target, .. }
        | NotExists { target, .. }
        | Seek { target, .. }
        | IdxCompare { target, .. }
        | Found { target, .. }
        | NotFound { target, .. }
        | NoConflict { target, .. }
        | Compare { target, .. }
        | If { target, .. }
        | IfNot { target, .. }
        | IsNull { target, .. }
        | NotNull { target, .. }
        | Once { target }
        | Gosub { target, .. }
        | InitCoroutine { target, .. }
        | Yield { target, .. }
        | IfPos { target, .. }
        | DecrJumpZero { target, .. }
        | MustBeInt { target, .. }
        | RowSetRead { target, .. }
        | SorterSort { target, .. }
        | SorterNext { target, .. }
        | GroupSort { target, .. }
        | GroupNext { target, .. }
        | IfMinMaxSkipped { target }
        | EphFound { target, .. }
        | EphPop { target, .. }
        | EphEmpty { target, .. }
        | EphHasNull { target, .. } => Some(target),
        _ => None,
    }
}

impl Insn {
    /// Every collation this instruction compares with (every variant with a `Collation`, a
    /// `SortKey` or an index `KeyInfo`): a program that names a user collation its connection
    /// lacks fails to compile, as SQLite's code generator fails to find the collating sequence.
    pub fn collations(&self, mut f: impl FnMut(Collation)) {
        use Insn::*;
        match self {
            Compare { collation, .. } | Function { collation, .. } => f(*collation),
            // An aggregate compares its argument only for DISTINCT and in min() and max()
            // (SQLite's OP_CollSeq and the DISTINCT index).
            AggStep { collation, distinct, func, .. } if *distinct || func.kind.is_min_max() => f(*collation),
            SorterOpen { key, .. } | EphOpen { key, .. } => key.collations.iter().for_each(|c| f(*c)),
            Window { plan, .. } => plan.groups.iter().for_each(|g| {
                g.key.collations.iter().for_each(|c| f(*c));
                g.calls.iter().for_each(|call| {
                    if let super::window::WindowFunc::Aggregate(func, c) = &call.func {
                        if func.kind.is_min_max() {
                            f(*c)
                        }
                    }
                })
            }),
            GroupOpen { key, aggs, .. } => {
                key.collations.iter().for_each(|c| f(*c));
                aggs.iter()
                    .filter(|(func, distinct, _)| *distinct || func.kind.is_min_max())
                    .for_each(|(_, _, c)| f(*c));
            }
            OpenRead { info: CursorInfo::Index(k), .. }
            | OpenWrite { info: CursorInfo::Index(k), .. }
            | OpenWriteReg { info: CursorInfo::Index(k), .. } => k.collations.iter().for_each(|c| f(*c)),
            _ => {}
        }
    }

    /// The cursor this instruction operates on, if any (every variant with a `cursor` field).
    pub fn cursor(&self) -> Option<usize> {
        use Insn::*;
        match self {
            OpenRead { cursor, .. }
            | OpenWrite { cursor, .. }
            | OpenWriteReg { cursor, .. }
            | Close { cursor, .. }
            | Rewind { cursor, .. }
            | Last { cursor, .. }
            | Next { cursor, .. }
            | Prev { cursor, .. }
            | Column { cursor, .. }
            | Rowid { cursor, .. }
            | NewRowid { cursor, .. }
            | Insert { cursor, .. }
            | Delete { cursor, .. }
            | SeekRowid { cursor, .. }
            | NotExists { cursor, .. }
            | Seek { cursor, .. }
            | IdxCompare { cursor, .. }
            | IdxInsert { cursor, .. }
            | IdxDelete { cursor, .. }
            | IdxRowid { cursor, .. }
            | Found { cursor, .. }
            | NotFound { cursor, .. }
            | NoConflict { cursor, .. }
            | Count { cursor, .. }
            | SorterOpen { cursor, .. }
            | SorterInsert { cursor, .. }
            | SorterSort { cursor, .. }
            | SorterNext { cursor, .. }
            | SorterColumn { cursor, .. }
            | EphScan { cursor, .. }
            | NullRow { cursor, .. } => Some(*cursor),
            _ => None,
        }
    }

    /// The jump target, for the builder to patch.
    pub fn target_mut(&mut self) -> Option<&mut usize> {
        jump_fields(self)
    }

    /// SQLite's opcode name, p1..p5 and comment for EXPLAIN.
    pub fn explain(&self) -> (String, i64, i64, i64, String, u16, String) {
        use Insn::*;
        let s = |x: &str| x.to_string();
        let (name, p1, p2, p3, p4, p5, comment): (String, i64, i64, i64, String, u16, String) = match self {
            Init { target } => (s("Init"), 0, *target as i64, 0, s(""), 0, s("Start at ") + &target.to_string()),
            Goto { target } => (s("Goto"), 0, *target as i64, 0, s(""), 0, s("")),
            Halt { code, on_error, message } => {
                (s("Halt"), *code as i64, *on_error as i64, 0, message.clone().unwrap_or_default(), 0, s(""))
            }
            HaltIfNull { reg, code, on_error, message } => {
                (s("HaltIfNull"), *code as i64, *on_error as i64, *reg as i64, message.clone(), 0, s(""))
            }
            Transaction { db, write, schema_cookie, .. } => (
                s("Transaction"),
                *db as i64,
                *write as i64,
                *schema_cookie as i64,
                s("0"),
                1,
                format!("usesStmtJournal={}", *write as u8),
            ),
            AutoCommit { autocommit, rollback, .. } => {
                (s("AutoCommit"), *autocommit as i64, *rollback as i64, 0, s(""), 0, s(""))
            }
            Savepoint { op, name } => (s("Savepoint"), *op as i64, 0, 0, name.clone(), 0, s("")),
            Integer { value, dest } => {
                if i32::try_from(*value).is_ok() {
                    (s("Integer"), *value, *dest as i64, 0, s(""), 0, format!("r[{dest}]={value}"))
                } else {
                    (s("Int64"), 0, *dest as i64, 0, value.to_string(), 0, format!("r[{dest}]={value}"))
                }
            }
            Real { value, dest } => (
                s("Real"),
                0,
                *dest as i64,
                0,
                crate::value::format_real(*value),
                0,
                format!("r[{dest}]={}", crate::value::format_real(*value)),
            ),
            String8 { value, dest } => {
                (s("String8"), 0, *dest as i64, 0, value.to_string(), 0, format!("r[{dest}]='{value}'"))
            }
            Blob { value, dest } => {
                (s("Blob"), value.len() as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]= (len={})", value.len()))
            }
            Null { dest, end } => (
                s("Null"),
                0,
                *dest as i64,
                *end as i64,
                s(""),
                0,
                if end > dest { format!("r[{dest}..{end}]=NULL") } else { format!("r[{dest}]=NULL") },
            ),
            Variable { index, dest } => {
                (s("Variable"), *index as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]=parameter({index})"))
            }
            Copy { src, dest, extra } => {
                (s("Copy"), *src as i64, *dest as i64, *extra as i64, s(""), 0, format!("r[{dest}]=r[{src}]"))
            }
            SCopy { src, dest } => (s("SCopy"), *src as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]=r[{src}]")),
            OpenRead { cursor, root, db, info } => (
                s("OpenRead"),
                *cursor as i64,
                *root as i64,
                *db as i64,
                cursor_p4(info),
                0,
                format!("root={root} iDb={db}"),
            ),
            OpenWrite { cursor, root, db, info } => (
                s("OpenWrite"),
                *cursor as i64,
                *root as i64,
                *db as i64,
                cursor_p4(info),
                0,
                format!("root={root} iDb={db}"),
            ),
            OpenWriteReg { cursor, root_reg, db, info } => (
                s("OpenWrite"),
                *cursor as i64,
                *root_reg as i64,
                *db as i64,
                cursor_p4(info),
                2,
                format!("root=r[{root_reg}] iDb={db}"),
            ),
            Close { cursor } => (s("Close"), *cursor as i64, 0, 0, s(""), 0, s("")),
            Rewind { cursor, target } => (s("Rewind"), *cursor as i64, *target as i64, 0, s(""), 0, s("")),
            Last { cursor, target } => (s("Last"), *cursor as i64, *target as i64, 0, s(""), 0, s("")),
            Next { cursor, target } => (s("Next"), *cursor as i64, *target as i64, 0, s(""), 1, s("")),
            Prev { cursor, target } => (s("Prev"), *cursor as i64, *target as i64, 0, s(""), 1, s("")),
            Column { cursor, column, dest, .. } => (
                s("Column"),
                *cursor as i64,
                *column as i64,
                *dest as i64,
                s(""),
                0,
                format!("r[{dest}]= cursor {cursor} column {column}"),
            ),
            Rowid { cursor, dest } => {
                (s("Rowid"), *cursor as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]=rowid"))
            }
            ResultRow { start, count } => (
                s("ResultRow"),
                *start as i64,
                *count as i64,
                0,
                s(""),
                0,
                format!("output=r[{start}..{}]", start + count - 1),
            ),
            MakeRecord { start, count, dest, affinities } => (
                s("MakeRecord"),
                *start as i64,
                *count as i64,
                *dest as i64,
                affinities.clone().unwrap_or_default(),
                0,
                format!("r[{dest}]=mkrec(r[{start}..{}])", start + count - 1),
            ),
            NewRowid { cursor, dest } => {
                (s("NewRowid"), *cursor as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]=rowid"))
            }
            Insert { cursor, record, rowid, flags, table } => (
                s("Insert"),
                *cursor as i64,
                *record as i64,
                *rowid as i64,
                table.clone().unwrap_or_default(),
                *flags as u16,
                format!("intkey=r[{rowid}] data=r[{record}]"),
            ),
            Delete { cursor, flags, table } => {
                (s("Delete"), *cursor as i64, 0, 0, table.clone().unwrap_or_default(), *flags as u16, s(""))
            }
            SeekRowid { cursor, rowid, target } => {
                (s("SeekRowid"), *cursor as i64, *target as i64, *rowid as i64, s(""), 0, format!("intkey=r[{rowid}]"))
            }
            NotExists { cursor, rowid, target } => {
                (s("NotExists"), *cursor as i64, *target as i64, *rowid as i64, s(""), 0, format!("intkey=r[{rowid}]"))
            }
            Seek { op, cursor, key_start, key_count, target } => (
                format!("Seek{op:?}"),
                *cursor as i64,
                *target as i64,
                *key_start as i64,
                key_count.to_string(),
                0,
                format!("key=r[{key_start}..{}]", key_start + key_count - 1),
            ),
            IdxCompare { op, cursor, key_start, key_count, target } => (
                format!("Idx{op:?}"),
                *cursor as i64,
                *target as i64,
                *key_start as i64,
                key_count.to_string(),
                0,
                format!("key=r[{key_start}..{}]", key_start + key_count - 1),
            ),
            IdxInsert { cursor, record, key_start, key_count, flags } => (
                s("IdxInsert"),
                *cursor as i64,
                *record as i64,
                *key_start as i64,
                key_count.to_string(),
                16 | *flags as u16,
                format!("key=r[{record}]"),
            ),
            IdxDelete { cursor, key_start, key_count } => (
                s("IdxDelete"),
                *cursor as i64,
                *key_start as i64,
                *key_count as i64,
                s(""),
                0,
                format!("key=r[{key_start}..{}]", key_start + key_count - 1),
            ),
            IdxRowid { cursor, dest } => {
                (s("IdxRowid"), *cursor as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]=rowid"))
            }
            Found { cursor, key_start, key_count, target } => (
                s("Found"),
                *cursor as i64,
                *target as i64,
                *key_start as i64,
                key_count.to_string(),
                0,
                format!("key=r[{key_start}]"),
            ),
            NotFound { cursor, key_start, key_count, target } => (
                s("NotFound"),
                *cursor as i64,
                *target as i64,
                *key_start as i64,
                key_count.to_string(),
                0,
                format!("key=r[{key_start}]"),
            ),
            NoConflict { cursor, key_start, key_count, target } => (
                s("NoConflict"),
                *cursor as i64,
                *target as i64,
                *key_start as i64,
                key_count.to_string(),
                0,
                format!("key=r[{key_start}]"),
            ),
            Compare { op, lhs, rhs, target, affinity, collation, jump_if_null, null_eq } => {
                let p5 = (affinity_code(*affinity) as u16)
                    | if *jump_if_null { 0x10 } else { 0 }
                    | if *null_eq { 0x80 } else { 0 };
                let p4 = if *collation == Collation::Binary { s("") } else { collation.name().to_string() };
                (
                    op.name().to_string(),
                    *rhs as i64,
                    *target as i64,
                    *lhs as i64,
                    p4,
                    p5,
                    format!("if r[{lhs}]{}r[{rhs}] goto {target}", cmp_symbol(*op)),
                )
            }
            If { reg, target, jump_if_null } => {
                (s("If"), *reg as i64, *target as i64, *jump_if_null as i64, s(""), 0, s(""))
            }
            IfNot { reg, target, jump_if_null } => {
                (s("IfNot"), *reg as i64, *target as i64, *jump_if_null as i64, s(""), 0, s(""))
            }
            IsNull { reg, target } => {
                (s("IsNull"), *reg as i64, *target as i64, 0, s(""), 0, format!("if r[{reg}]==NULL goto {target}"))
            }
            NotNull { reg, target } => {
                (s("NotNull"), *reg as i64, *target as i64, 0, s(""), 0, format!("if r[{reg}]!=NULL goto {target}"))
            }
            Not { src, dest } => (s("Not"), *src as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]=!r[{src}]")),
            BitNot { src, dest } => {
                (s("BitNot"), *src as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]=~r[{src}]"))
            }
            And { lhs, rhs, dest } => (
                s("And"),
                *lhs as i64,
                *rhs as i64,
                *dest as i64,
                s(""),
                0,
                format!("r[{dest}]=(r[{lhs}] && r[{rhs}])"),
            ),
            Or { lhs, rhs, dest } => {
                (s("Or"), *lhs as i64, *rhs as i64, *dest as i64, s(""), 0, format!("r[{dest}]=(r[{lhs}] || r[{rhs}])"))
            }
            Arith { op, lhs, rhs, dest } => {
                let (n, sym) = match op {
                    ArithOp::Add => ("Add", "+"),
                    ArithOp::Subtract => ("Subtract", "-"),
                    ArithOp::Multiply => ("Multiply", "*"),
                    ArithOp::Divide => ("Divide", "/"),
                    ArithOp::Remainder => ("Remainder", "%"),
                };
                (s(n), *rhs as i64, *lhs as i64, *dest as i64, s(""), 0, format!("r[{dest}]=r[{lhs}]{sym}r[{rhs}]"))
            }
            Bit { op, lhs, rhs, dest } => {
                let (n, sym) = match op {
                    BitOp::And => ("BitAnd", "&"),
                    BitOp::Or => ("BitOr", "|"),
                    BitOp::ShiftLeft => ("ShiftLeft", "<<"),
                    BitOp::ShiftRight => ("ShiftRight", ">>"),
                };
                (s(n), *rhs as i64, *lhs as i64, *dest as i64, s(""), 0, format!("r[{dest}]=r[{lhs}]{sym}r[{rhs}]"))
            }
            Concat { lhs, rhs, dest } => {
                (s("Concat"), *rhs as i64, *lhs as i64, *dest as i64, s(""), 0, format!("r[{dest}]=r[{lhs}]+r[{rhs}]"))
            }
            Cast { reg, affinity } => {
                (s("Cast"), *reg as i64, affinity_code(*affinity) as i64, 0, s(""), 0, format!("affinity(r[{reg}])"))
            }
            Is { lhs, rhs, dest, negate } => {
                (s(if *negate { "IsNot" } else { "Is" }), *lhs as i64, *rhs as i64, *dest as i64, s(""), 0, s(""))
            }
            Function { const_mask, first_arg, dest, func, argc, .. } => (
                s("Function"),
                *const_mask as i64,
                *first_arg as i64,
                *dest as i64,
                format!("{}({argc})", func.name),
                0,
                format!("r[{dest}]=func(r[{first_arg}..])"),
            ),
            UserFunction { first_arg, dest, func, argc } => (
                s("Function"),
                0,
                *first_arg as i64,
                *dest as i64,
                format!("{}({argc})", func.name),
                0,
                format!("r[{dest}]=func(r[{first_arg}..])"),
            ),
            AggStep { first_arg, acc, func, argc, .. } => (
                s("AggStep"),
                0,
                *first_arg as i64,
                *acc as i64,
                format!("{}({argc})", func.display_name()),
                *argc as u16,
                format!("accum=r[{acc}] step(r[{first_arg}])"),
            ),
            AggFinal { acc, argc, func } => (
                s("AggFinal"),
                *acc as i64,
                *argc as i64,
                0,
                format!("{}({argc})", func.display_name()),
                0,
                format!("accum=r[{acc}] N={argc}"),
            ),
            Count { cursor, dest } => {
                (s("Count"), *cursor as i64, *dest as i64, 0, s(""), 0, format!("r[{dest}]=count()"))
            }
            CreateBtree { db, dest, index } => (
                s("CreateBtree"),
                *db as i64,
                *dest as i64,
                if *index { 2 } else { 1 },
                s(""),
                0,
                format!("r[{dest}]=root iDb={db} flags={}", if *index { 2 } else { 1 }),
            ),
            Destroy { root, db } => (s("Destroy"), *root as i64, 0, *db as i64, s(""), 0, s("")),
            Clear { root, db } => (s("Clear"), *root as i64, *db as i64, 0, s(""), 0, s("")),
            ParseSchema { db } => (s("ParseSchema"), *db as i64, 0, 0, s(""), 0, s("")),
            ReadCookie { db, dest, cookie } => {
                (s("ReadCookie"), *db as i64, *dest as i64, *cookie as i64, s(""), 0, s(""))
            }
            SetCookie { db, cookie, value } => (s("SetCookie"), *db as i64, *cookie as i64, *value, s(""), 0, s("")),
            BumpSchema { db } => (s("SetCookie"), *db as i64, 1, 0, s(""), 0, s("schema_version+1")),
            Once { target } => (s("Once"), 0, *target as i64, 0, s(""), 0, s("")),
            Gosub { ret, target } => (s("Gosub"), *ret as i64, *target as i64, 0, s(""), 0, s("")),
            Return { reg } => (s("Return"), *reg as i64, 0, 0, s(""), 0, s("")),
            InitCoroutine { reg, target, start } => {
                (s("InitCoroutine"), *reg as i64, *target as i64, *start as i64, s(""), 0, s(""))
            }
            Yield { reg, target } => (s("Yield"), *reg as i64, *target as i64, 0, s(""), 0, s("")),
            EndCoroutine { reg } => (s("EndCoroutine"), *reg as i64, 0, 0, s(""), 0, s("")),
            RealAffinity { reg } => (s("RealAffinity"), *reg as i64, 0, 0, s(""), 0, s("")),
            IfPos { reg, target, decrement } => (
                s("IfPos"),
                *reg as i64,
                *target as i64,
                *decrement,
                s(""),
                0,
                format!("if r[{reg}]>0 then r[{reg}]-={decrement}, goto {target}"),
            ),
            DecrJumpZero { reg, target } => (
                s("DecrJumpZero"),
                *reg as i64,
                *target as i64,
                0,
                s(""),
                0,
                format!("if (--r[{reg}])==0 goto {target}"),
            ),
            MustBeInt { reg, target } => (s("MustBeInt"), *reg as i64, *target as i64, 0, s(""), 0, s("")),
            Affinity { start, count, affinities } => (
                s("Affinity"),
                *start as i64,
                *count as i64,
                0,
                affinities.clone(),
                0,
                format!("affinity(r[{start}..{}])", start + count - 1),
            ),
            IntegrityCk { dest, roots, max_errors } => {
                (s("IntegrityCk"), *max_errors as i64, *dest as i64, 0, format!("{} roots", roots.len()), 0, s(""))
            }
            Pragma { name, dest, .. } => (s("Pragma"), 0, *dest as i64, 0, name.clone(), 0, s("")),
            SorterOpen { cursor, key } => {
                (s("SorterOpen"), *cursor as i64, key.collations.len() as i64, 0, sort_key_p4(key), 0, s(""))
            }
            SorterInsert { cursor, start, count } => (
                s("SorterInsert"),
                *cursor as i64,
                *start as i64,
                *count as i64,
                s(""),
                0,
                format!("key=r[{start}..{}]", start + count - 1),
            ),
            SorterSort { cursor, target } => (s("SorterSort"), *cursor as i64, *target as i64, 0, s(""), 0, s("")),
            SorterNext { cursor, target } => (s("SorterNext"), *cursor as i64, *target as i64, 0, s(""), 0, s("")),
            SorterColumn { cursor, column, dest } => (
                s("Column"),
                *cursor as i64,
                *column as i64,
                *dest as i64,
                s(""),
                0,
                format!("r[{dest}]=sorter column {column}"),
            ),
            GroupOpen { id, key, aggs, bare } => {
                (s("GroupOpen"), *id as i64, aggs.len() as i64, *bare as i64, sort_key_p4(key), 0, s(""))
            }
            GroupSelect { id, key_start, key_count } => {
                (s("GroupSelect"), *id as i64, *key_start as i64, *key_count as i64, s(""), 0, s(""))
            }
            GroupAggStep { id, agg, first_arg, argc } => {
                (s("AggStep"), *id as i64, *first_arg as i64, *agg as i64, s(""), *argc as u16, s(""))
            }
            IfMinMaxSkipped { target } => {
                (s("If"), 0, *target as i64, 0, s(""), 0, s("skip the bare columns unless min/max changed"))
            }
            GroupSetBare { id, slot, reg } => {
                (s("GroupSetBare"), *id as i64, *slot as i64, *reg as i64, s(""), 0, s(""))
            }
            GroupSort { id, target } => (s("GroupSort"), *id as i64, *target as i64, 0, s(""), 0, s("")),
            GroupNext { id, target } => (s("GroupNext"), *id as i64, *target as i64, 0, s(""), 0, s("")),
            GroupColumn { id, field, dest } => {
                (s("GroupColumn"), *id as i64, *dest as i64, 0, format!("{field:?}"), 0, s(""))
            }
            EphOpen { id, distinct, key } => (
                s("OpenEphemeral"),
                *id as i64,
                key.collations.len() as i64,
                *distinct as i64,
                sort_key_p4(key),
                0,
                s(""),
            ),
            EphAffinity { id, affinity } => {
                (s("Noop"), *id as i64, 0, 0, affinity.letter().to_string(), 0, s("affinity of ephemeral keys"))
            }
            EphInsert { id, start, count } => {
                (s("IdxInsert"), *id as i64, *start as i64, *count as i64, s(""), 0, s(""))
            }
            EphFound { id, start, count, target } => {
                (s("Found"), *id as i64, *target as i64, *start as i64, count.to_string(), 0, s(""))
            }
            EphEmpty { id, target } => (s("IfEmpty"), *id as i64, *target as i64, 0, s(""), 0, s("")),
            EphHasNull { id, target } => (s("IfNullRow"), *id as i64, *target as i64, 0, s(""), 0, s("")),
            EphPop { id, start, count, target } => (
                s("EphPop"),
                *id as i64,
                *target as i64,
                *start as i64,
                s(""),
                0,
                format!("r[{start}..{}] = first row, removed", start + count),
            ),
            EphConvert { id, distinct } => {
                (s("Noop"), *id as i64, *distinct as i64, 0, s(""), 0, s("convert ephemeral table"))
            }
            EphCombine { id, other, intersect } => {
                (s(if *intersect { "Intersect" } else { "Except" }), *id as i64, *other as i64, 0, s(""), 0, s(""))
            }
            EphScan { cursor, id } => (s("OpenDup"), *cursor as i64, *id as i64, 0, s(""), 0, s("")),
            Window { id, plan } => {
                let names: Vec<String> =
                    plan.groups.iter().flat_map(|g| g.calls.iter().map(|c| c.func.name())).collect();
                (s("Window"), *id as i64, names.len() as i64, 0, names.join(","), 0, s("window functions"))
            }
            TempView { name, sql } => {
                (s(if sql.is_some() { "CreateTempView" } else { "DropTempView" }), 0, 0, 0, name.clone(), 0, s(""))
            }
            RowSetAdd { set, value } => {
                (s("RowSetAdd"), *set as i64, *value as i64, 0, s(""), 0, format!("rowset(r[{set}])=r[{value}]"))
            }
            RowSetRead { set, dest, target } => (
                s("RowSetRead"),
                *set as i64,
                *target as i64,
                *dest as i64,
                s(""),
                0,
                format!("r[{dest}]=rowset(r[{set}])"),
            ),
            NullRow { cursor } => (s("NullRow"), *cursor as i64, 0, 0, s(""), 0, s("")),
            Noop { comment } => (s("Noop"), 0, 0, 0, s(""), 0, comment.clone().unwrap_or_default()),
        };
        (name, p1, p2, p3, p4, p5, comment)
    }
}

/// A field of a GROUP BY group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupField {
    /// The final value of aggregate i.
    Agg(usize),
    /// Bare slot i.
    Bare(usize),
}

/// How a sorter orders rows: per key column, a collation, a direction and where NULLs go.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SortKey {
    pub collations: Vec<Collation>,
    pub desc: Vec<bool>,
    /// `Some(true)`: NULLS FIRST; `Some(false)`: NULLS LAST; `None`: SQLite's default (NULL is
    /// the smallest value, so first ascending and last descending).
    pub nulls_first: Vec<Option<bool>>,
}

impl SortKey {
    pub fn compare(&self, a: &[Value], b: &[Value]) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        for i in 0..self.collations.len() {
            let (x, y) = (&a[i], &b[i]);
            let desc = self.desc[i];
            let ord = match (x.is_null(), y.is_null(), self.nulls_first[i]) {
                (true, true, _) => Ordering::Equal,
                (true, false, Some(first)) => return if first { Ordering::Less } else { Ordering::Greater },
                (false, true, Some(first)) => return if first { Ordering::Greater } else { Ordering::Less },
                _ => x.compare(y, self.collations[i]),
            };
            let ord = if desc { ord.reverse() } else { ord };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

fn sort_key_p4(k: &SortKey) -> String {
    let mut s = format!("k({}", k.collations.len());
    for (c, d) in k.collations.iter().zip(&k.desc) {
        let _ = write!(s, ",{}{}", if *d { "-" } else { "" }, if *c == Collation::Binary { "B" } else { c.name() });
    }
    s.push(')');
    s
}

fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// SQLite's SQLITE_AFF_* codes as they appear in p5 ('A' = 0x41 ...).
fn affinity_code(a: Affinity) -> u8 {
    a.letter() as u8
}

fn cursor_p4(info: &CursorInfo) -> String {
    match info {
        CursorInfo::Table { columns } => columns.to_string(),
        CursorInfo::Index(k) => {
            let mut s = format!("k({}", k.collations.len());
            for (c, d) in k.collations.iter().zip(&k.desc) {
                let _ =
                    write!(s, ",{}{}", if *d { "-" } else { "" }, if *c == Collation::Binary { "" } else { c.name() });
            }
            s.push(')');
            s
        }
    }
}
