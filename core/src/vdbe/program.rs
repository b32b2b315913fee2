//! A compiled program and the builder the compiler emits into.

use std::fmt::Write;

use crate::vdbe::insn::Insn;

/// What a statement is, for EXPLAIN and for the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExplainMode {
    #[default]
    None,
    Explain,
    QueryPlan,
}

/// A compiled statement: instructions plus what the VM and the API need to run it.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub insns: Vec<Insn>,
    pub n_registers: usize,
    pub n_cursors: usize,
    pub column_names: Vec<String>,
    /// Declared types of result columns that come straight from a table column.
    pub column_decltypes: Vec<Option<String>>,
    /// Parameter names by index (index 0 is parameter 1); `None` for `?` and `?NNN`.
    pub parameters: Vec<Option<String>>,
    pub sql: String,
    /// True when the program never writes the database.
    pub read_only: bool,
    /// INSERT, UPDATE and DELETE: the statement's row count becomes the connection's changes()
    /// (SQLite's changeCntOn); other statements leave it alone.
    pub counts_changes: bool,
    pub explain: ExplainMode,
    /// EXPLAIN QUERY PLAN rows: (id, parent, detail).
    pub query_plan: Vec<(i64, i64, String)>,
    /// The schema generation the program was compiled against.
    pub schema_generation: u64,
    /// The generation of the connection's function and collation registry it was compiled
    /// under: a program compiled before a registration is recompiled before it starts.
    pub registry_generation: u64,
}

/// One EXPLAIN row: addr, opcode, p1, p2, p3, p4, p5, comment.
pub type ExplainRow = (i64, String, i64, i64, i64, String, u16, String);

impl Program {
    /// The EXPLAIN listing in sqlite3's layout.
    pub fn explain_rows(&self) -> Vec<ExplainRow> {
        self.insns
            .iter()
            .enumerate()
            .map(|(addr, insn)| {
                let (name, p1, p2, p3, p4, p5, comment) = insn.explain();
                (addr as i64, name, p1, p2, p3, p4, p5, comment)
            })
            .collect()
    }

    /// A human-readable listing for debugging.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for (addr, name, p1, p2, p3, p4, p5, comment) in self.explain_rows() {
            let _ = writeln!(out, "{addr:<4} {name:<13} {p1:<4} {p2:<4} {p3:<4} {p4:<13} {p5:<2} {comment}");
        }
        out
    }
}

/// A forward jump whose target is not known yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

/// Emits instructions, allocates registers and cursors, and patches jumps.
#[derive(Debug, Default)]
pub struct ProgramBuilder {
    pub insns: Vec<Insn>,
    n_registers: usize,
    n_cursors: usize,
    labels: Vec<Option<usize>>,
    /// (instruction address, label) pairs to patch when labels resolve.
    fixups: Vec<(usize, Label)>,
}

impl ProgramBuilder {
    pub fn new() -> ProgramBuilder {
        // Register 0 is unused, as in SQLite, so that EXPLAIN listings match.
        ProgramBuilder { n_registers: 1, ..Default::default() }
    }

    pub fn emit(&mut self, insn: Insn) -> usize {
        self.insns.push(insn);
        self.insns.len() - 1
    }

    /// Emits an instruction whose jump goes to `label`.
    pub fn emit_jump(&mut self, insn: Insn, label: Label) -> usize {
        let addr = self.emit(insn);
        self.fixups.push((addr, label));
        addr
    }

    pub fn current_addr(&self) -> usize {
        self.insns.len()
    }

    pub fn alloc_register(&mut self) -> usize {
        self.n_registers += 1;
        self.n_registers - 1
    }

    pub fn alloc_registers(&mut self, n: usize) -> usize {
        let first = self.n_registers;
        self.n_registers += n;
        first
    }

    pub fn alloc_cursor(&mut self) -> usize {
        self.n_cursors += 1;
        self.n_cursors - 1
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Binds `label` to the next instruction's address.
    pub fn resolve_label(&mut self, label: Label) {
        self.labels[label.0] = Some(self.insns.len());
    }

    /// Sets the jump target of the instruction at `addr` to the next instruction.
    pub fn patch_here(&mut self, addr: usize) {
        let here = self.insns.len();
        if let Some(t) = self.insns[addr].target_mut() {
            *t = here;
        }
    }

    pub fn finish(mut self) -> (Vec<Insn>, usize, usize) {
        for (addr, label) in std::mem::take(&mut self.fixups) {
            let target = self.labels[label.0].expect("every label used in a jump is resolved");
            if let Some(t) = self.insns[addr].target_mut() {
                *t = target;
            }
        }
        (self.insns, self.n_registers, self.n_cursors)
    }
}
