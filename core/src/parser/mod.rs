//! The SQL parser: SQLite's SQL text in, Brisk's [`ast`] out.
//!
//! Pipeline, per script:
//! 1. `lexer` tokenizes the whole script with SQLite's rules (every token keeps its byte range)
//!    and splits it into statements where `sqlite3_complete` would (a `;` inside a CREATE
//!    TRIGGER body does not end the statement).
//! 2. Each statement's tokens are handed to sqlparser's `Parser` (never its tokenizer) with
//!    Brisk's `dialect`, whose hooks close the gaps between sqlparser's SQLiteDialect and
//!    SQLite. Token spans encode byte offsets (line 1, column = offset + 1), so every position
//!    sqlparser reports maps straight back to the source. A few FROM-clause tokens are handed
//!    over as others (`join_rewrites`: the commas of `(a, b)` as JOIN, the CROSS of `NATURAL
//!    CROSS JOIN` and the inner alias of `x, (t AS y)` as spaces), one for one, so indices into
//!    the statement's tokens stay aligned.
//! 3. `stmt` drives the parse: it parses the statements sqlparser gets wrong or does not know
//!    (CREATE TABLE/INDEX/VIEW/TRIGGER, DROP, ALTER TABLE, PRAGMA, transactions, EXPLAIN, VACUUM,
//!    ANALYZE, REINDEX, ATTACH, DETACH) itself, on top of the `Parser` primitives and its
//!    expression and query parsers, and hands SELECT/INSERT/UPDATE/DELETE to sqlparser.
//! 4. `convert` turns sqlparser's tree into Brisk's, rejecting what SQLite would not accept.
//!
//! Architecture invariant: nothing outside this module names a sqlparser type; the public
//! surface is [`ast`], [`ParseError`], and the functions below.
//!
//! Errors carry SQLite's text: `near "X": syntax error` (X is the offending token's source text),
//! `incomplete input` when the statement ends early, `unrecognized token: "X"` for text that is
//! not a token, `hex literal too big: ...`, `unknown table option: ...`, `parser stack overflow`
//! and `Expression tree is too large (maximum depth 1000)` for input nested too deeply, plus a
//! byte offset into the script when there is one. The tests check verdicts and messages against
//! bundled SQLite (`testdata/syntax.sql`, the sqllogictest sample).
//!
//! For the consumer (the translator):
//! - bind parameters keep their text and kind ([`Param`]); numbering them is the consumer's, as
//!   in SQLite: `?` takes the next number, `?NNN` sets it, a named parameter takes the next free
//!   number on first sight and reuses it afterwards; range checks (`?0`) are the consumer's too;
//! - a lone double-quoted identifier is marked ([`ColumnRef::double_quoted`]): SQLite reads it as
//!   a string literal when no column has that name;
//! - result columns keep their source text ([`ResultColumn::Expr`]), which SQLite uses as the
//!   column name of an unaliased expression;
//! - CREATE statements carry the text SQLite stores in `sqlite_schema.sql` (not for
//!   `CREATE TABLE ... AS SELECT`, whose text SQLite generates);
//! - declared types are kept as SQLite records them, except that SQLite reports the six standard
//!   type names in upper case.
//!
//! Known gaps, each an error rather than a wrong tree (listed as `!gap` in `testdata/syntax.sql`):
//! `GLOB`/`REGEXP`/`MATCH ... ESCAPE`; more than one upsert `ON CONFLICT` clause;
//! `CREATE VIRTUAL TABLE`. A window frame's `EXCLUDE`, which sqlparser lacks, reaches it as a
//! window name (`exclude_rewrites`). Nesting is
//! bounded below SQLite 3.54's limits (about 145 levels of parentheses or calls, 50 of
//! subqueries) so that parsing never overflows a 2 MiB thread stack, even unoptimized.

pub mod ast;
mod convert;
mod dialect;
mod display;
pub mod keywords;
mod lexer;
mod stmt;
#[cfg(test)]
mod tests;

use std::ops::Range;

use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Whitespace};

pub use ast::*;
pub use lexer::is_complete;

use crate::error::Error;
use lexer::{Kind, RawToken, StatementTokens};

/// SQLite's `sqlite3Isspace`.
pub(crate) fn is_sqlite_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r' | '\x0b')
}

/// SQLite's `SQLITE_MAX_EXPR_DEPTH`: deeper expressions are an error, not a stack overflow.
pub const MAX_EXPR_DEPTH: usize = 1000;

/// A parse failure: SQLite's message and, when known, the byte offset in the script of the
/// token it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub offset: Option<usize>,
}

impl ParseError {
    pub(crate) fn new(message: impl Into<String>, offset: Option<usize>) -> ParseError {
        ParseError { message: message.into(), offset }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::Sql(e.message, e.offset.map(|offset| crate::error::ErrorPos { offset, source: 0 }))
    }
}

pub(crate) type PResult<T> = std::result::Result<T, ParseError>;

/// One parsed statement and where it is in the script.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedStatement {
    pub stmt: Statement,
    /// Byte range of the statement's text: from its first token up to, not including, the `;`
    /// that ends it (or the end of the script). Leading spaces and comments are excluded;
    /// trailing ones are included, as SQLite keeps them.
    pub span: Range<usize>,
    /// Byte offset just past the statement's `;` (or the end of the script): where the next
    /// statement starts, like the tail `sqlite3_prepare` returns.
    pub tail: usize,
    /// The parse the statement's positions (`ast::SrcPos`) belong to.
    pub source: u32,
}

/// Parses every statement of `sql`. Empty statements (`;;`) are skipped.
pub fn parse(sql: &str) -> crate::Result<Vec<Statement>> {
    let mut out = Vec::new();
    for st in parse_script(sql) {
        out.push(st?.stmt);
    }
    Ok(out)
}

/// Parses `sql` one statement at a time, as `sqlite3_prepare` walks a script with its tail
/// pointer: each item is parsed only when the iterator reaches it, so statements before a
/// syntax error can run first, as in `sqlite3_exec`.
///
/// Each call is a new source: positions in the statements it yields carry its number, which
/// `ParsedStatement::source` gives, so an error can tell the SQL it points into.
pub fn parse_script(sql: &str) -> Script<'_> {
    static NEXT_SOURCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    // 0 is reserved for "the statement being prepared" (ErrorPos); skip it on wrapping.
    let source = NEXT_SOURCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed).max(1);
    let toks = lexer::tokenize(sql);
    Script { sql, toks, pos: 0, source }
}

/// Splits `sql` into statement byte ranges without parsing them (same ranges as
/// [`ParsedStatement::span`]).
pub fn split_statements(sql: &str) -> Vec<Range<usize>> {
    let toks: Vec<RawToken> = lexer::tokenize(sql);
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(st) = next_range(&toks, sql, &mut pos) {
        out.push(toks[st.first].start..st.end);
    }
    out
}

/// The iterator [`parse_script`] returns.
pub struct Script<'a> {
    sql: &'a str,
    toks: Vec<RawToken>,
    pos: usize,
    source: u32,
}

fn next_range(toks: &[RawToken], sql: &str, pos: &mut usize) -> Option<StatementTokens> {
    while *pos < toks.len() && toks[*pos].kind == Kind::Semi {
        *pos += 1;
    }
    if *pos >= toks.len() {
        return None;
    }
    let st = lexer::next_statement(toks, sql, *pos);
    *pos = st.last + 1;
    Some(st)
}

impl Iterator for Script<'_> {
    type Item = Result<ParsedStatement, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let st = next_range(&self.toks, self.sql, &mut self.pos)?;
        let tail = if st.has_semi { st.end + 1 } else { st.end };
        let span = self.toks[st.first].start..st.end;
        Some(parse_statement(self.sql, &self.toks[st.first..st.last], st, self.source).map(|stmt| ParsedStatement {
            stmt,
            span,
            tail,
            source: self.source,
        }))
    }
}

/// What the statement parsers and the converter know about the statement being parsed.
pub(crate) struct Ctx<'a> {
    pub sql: &'a str,
    /// The statement's significant tokens; index i is the parser's token i.
    pub toks: &'a [RawToken],
    /// Byte offset of the `;` ending the statement, or the end of the script.
    pub end: usize,
    pub has_semi: bool,
    /// The first token that is not valid SQL, where the tokens given to the parser stop.
    pub illegal: Option<RawToken>,
    /// This parse's number (see [`parse_script`]).
    pub source: u32,
}

impl Ctx<'_> {
    /// The position of the token starting at byte `offset`, in this parse.
    pub fn pos(&self, offset: Option<usize>) -> ast::SrcPos {
        ast::SrcPos(offset.map(|offset| crate::error::ErrorPos { offset, source: self.source }))
    }

    /// The token starting at byte `offset`, if any.
    fn token_at(&self, offset: usize) -> Option<&RawToken> {
        let i = self.toks.partition_point(|t| t.start < offset);
        self.toks.get(i).filter(|t| t.start == offset)
    }

    /// Index (into `toks`) of the token starting at `offset`.
    pub fn index_at(&self, offset: usize) -> Option<usize> {
        let i = self.toks.partition_point(|t| t.start < offset);
        (i < self.toks.len() && self.toks[i].start == offset).then_some(i)
    }

    fn unrecognized(&self, t: &RawToken) -> ParseError {
        ParseError::new(format!("unrecognized token: \"{}\"", t.text(self.sql)), Some(t.start))
    }

    /// The error for a statement that ended before the grammar was satisfied.
    pub fn at_end(&self) -> ParseError {
        if let Some(t) = &self.illegal {
            self.unrecognized(t)
        } else if self.has_semi {
            ParseError::new("near \";\": syntax error", Some(self.end))
        } else {
            ParseError::new("incomplete input", None)
        }
    }

    /// `near "X": syntax error` for the token starting at `offset`.
    pub fn near(&self, offset: usize) -> ParseError {
        if let Some(i) = self.index_at(offset).filter(|&i| self.word(i).as_deref() == Some("EXCLUDE")) {
            // A frame's EXCLUDE clause that `exclude_rewrites` did not take: SQLite's grammar
            // fails at the first word that does not continue it.
            let expect: &[&str] = match self.word(i + 1).as_deref() {
                Some("NO") => &["OTHERS"],
                Some("CURRENT") => &["ROW"],
                Some("GROUP" | "TIES") => &[],
                _ => return self.near_index(i + 1),
            };
            let mut at = i + 2;
            for w in expect {
                if self.word(at).as_deref() != Some(w) {
                    return self.near_index(at);
                }
                at += 1;
            }
            return self.near_index(at);
        }
        if self.index_at(offset).is_some_and(|i| self.natural_join_constraint(i)) {
            // sqlparser stops at the ON or USING; SQLite parses it and then refuses the join
            // (sqlite3ProcessJoin), with no offset.
            return ParseError::new("a NATURAL join may not have an ON or USING clause", None);
        }
        match self.token_at(offset) {
            Some(t) => ParseError::new(format!("near \"{}\": syntax error", t.text(self.sql)), Some(offset)),
            None if offset >= self.end => self.at_end(),
            None => ParseError::new("syntax error", Some(offset)),
        }
    }

    /// Token `i` as an upper-case word, if it is one.
    fn word(&self, i: usize) -> Option<String> {
        self.toks.get(i).filter(|t| t.kind == Kind::Word).map(|t| t.text(self.sql).to_ascii_uppercase())
    }

    /// `near "X": syntax error` for token `i`, or the statement's end.
    pub fn near_index(&self, i: usize) -> ParseError {
        match self.toks.get(i) {
            Some(t) => ParseError::new(format!("near \"{}\": syntax error", t.text(self.sql)), Some(t.start)),
            None => self.at_end(),
        }
    }

    /// Whether token `i` is the ON or USING of a NATURAL join: walking back over the joined
    /// table (parenthesized parts skipped whole) reaches `NATURAL [LEFT|RIGHT|FULL|INNER|CROSS]
    /// [OUTER] JOIN`.
    fn natural_join_constraint(&self, i: usize) -> bool {
        let word = |t: &RawToken| (t.kind == Kind::Word).then(|| t.text(self.sql).to_ascii_uppercase());
        if !matches!(word(&self.toks[i]).as_deref(), Some("ON" | "USING")) {
            return false;
        }
        let mut depth = 0usize;
        let mut j = i;
        // Bounded by the statement's tokens.
        while j > 0 {
            j -= 1;
            let t = &self.toks[j];
            match t.kind {
                Kind::Punct(lexer::Punct::RParen) => depth += 1,
                Kind::Punct(lexer::Punct::LParen) => match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return false,
                },
                Kind::Punct(lexer::Punct::Comma) if depth == 0 => return false,
                Kind::Word if depth == 0 => match word(t).as_deref() {
                    Some("JOIN") => {
                        for w in self.toks[..j].iter().rev().map(word) {
                            match w.as_deref().unwrap_or("") {
                                "NATURAL" => return true,
                                "LEFT" | "RIGHT" | "FULL" | "INNER" | "CROSS" | "OUTER" => continue,
                                _ => return false,
                            }
                        }
                        return false;
                    }
                    Some("FROM" | "ON" | "USING" | "SELECT" | "WHERE") => return false,
                    _ => {}
                },
                _ => {}
            }
        }
        false
    }

    /// `near "X": syntax error` for the parser's next token.
    pub fn near_next(&self, p: &Parser) -> ParseError {
        self.near_token(p.peek_token_ref())
    }

    pub fn near_token(&self, t: &TokenWithSpan) -> ParseError {
        if t.token == Token::EOF {
            return self.at_end();
        }
        match lexer::offset_of(t.span.start) {
            Some(o) => self.near(o),
            None => self.at_end(),
        }
    }

    /// Maps a sqlparser error to SQLite's message for the same input.
    pub fn parser_error(&self, e: ParserError, p: &Parser) -> ParseError {
        let msg = match e {
            ParserError::RecursionLimitExceeded => return ParseError::new("parser stack overflow", None),
            ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
        };
        if let Some(i) = msg.rfind(" at Line: ") {
            if let Some(col) = msg[i..].rsplit("Column: ").next().and_then(|c| c.trim().parse::<usize>().ok()) {
                if col > 0 {
                    return self.near(col - 1);
                }
            }
        }
        if msg.contains("found: EOF") {
            return self.at_end();
        }
        self.near_next(p)
    }
}

/// sqlparser's recursion budget: about one unit per level of nested parentheses, function
/// calls, CASE or unary operators. SQLite 3.40 runs out of parser stack at about 100 nested
/// parentheses or 40 nested calls (3.54 allows more); 150 covers the first and keeps the
/// converter's recursion inside a 2 MiB thread stack in unoptimized builds. Exceeding it is
/// SQLite's "parser stack overflow".
const RECURSION_LIMIT: usize = 150;

/// How a token is handed to sqlparser in place of itself, for FROM syntax SQLite has and
/// sqlparser lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JoinRewrite {
    /// The CROSS of `NATURAL CROSS JOIN`, which SQLite reads as a NATURAL JOIN (CROSS only
    /// fixes the loop order): a space sqlparser skips.
    Skip,
    /// A comma between the tables of a parenthesized join, `(a, b)`: sqlparser parses only
    /// JOINs there, and `a JOIN b` without a constraint is the same join.
    Join,
}

/// The words that may follow a table in FROM without being its alias.
const NOT_ALIAS: &[&str] = &[
    "ON",
    "USING",
    "JOIN",
    "LEFT",
    "RIGHT",
    "FULL",
    "INNER",
    "CROSS",
    "NATURAL",
    "OUTER",
    "WHERE",
    "GROUP",
    "ORDER",
    "LIMIT",
    "HAVING",
    "WINDOW",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "INDEXED",
    "NOT",
    "BY",
    "RETURNING",
    "SET",
];

/// Finds the tokens to rewrite (see `JoinRewrite`). A parenthesis opens a group of joined
/// tables when it stands where a table may (after FROM, JOIN, a comma of a FROM clause, or
/// another such parenthesis) and does not start a subquery; a comma directly inside it
/// separates tables. One pass, one frame per open parenthesis.
///
/// A group of one table is that table under the group's alias (parse.y): the table's own alias
/// holds only when the group starts its FROM clause (or group) and has no alias of its own.
/// sqlparser keeps the inner alias always, and refuses two, so otherwise the inner alias is
/// skipped.
/// What [`exclude_rewrites`] puts at a token's place.
enum ExcludeRewrite {
    /// The window's name for sqlparser: [`EXCLUDE_PREFIX`], the EXCLUDE words, `:`, and the
    /// base window's name, if any; with the index of the EXCLUDE token, whose place it takes
    /// in error messages.
    Name(String, usize),
    /// The token at this index (the window's tokens move one place right).
    Shift(usize),
    /// Nothing (a whitespace token, which the parser skips).
    Skip,
}

/// How the window name sqlparser is given carries a frame's EXCLUDE clause to the converter.
pub(crate) const EXCLUDE_PREFIX: &str = "\u{1}exclude:";

/// SQLite's frame `EXCLUDE NO OTHERS | CURRENT ROW | GROUP | TIES`, which sqlparser does not
/// parse. In `(... EXCLUDE x)`, closing a window, the EXCLUDE words become a window name at
/// the start of the window (`("\u{1}exclude:TIES:base" ...)`, after the base window's name if
/// there is one), which sqlparser takes as `OVER (base ...)` and the converter reads back. The
/// tokens keep their count, so the rest still line up with `toks`.
fn exclude_rewrites(toks: &[RawToken], sql: &str) -> std::collections::HashMap<usize, ExcludeRewrite> {
    let mut out = std::collections::HashMap::new();
    let word = |i: usize| toks.get(i).filter(|t| t.kind == Kind::Word).map(|t| t.text(sql).to_ascii_uppercase());
    for i in 0..toks.len() {
        if word(i).as_deref() != Some("EXCLUDE") {
            continue;
        }
        let kind_len = match (word(i + 1).as_deref(), word(i + 2).as_deref()) {
            (Some("NO"), Some("OTHERS")) | (Some("CURRENT"), Some("ROW")) => 2,
            (Some("GROUP" | "TIES"), _) => 1,
            _ => continue,
        };
        let close = i + 1 + kind_len;
        if toks.get(close).map(|t| t.kind) != Some(Kind::Punct(lexer::Punct::RParen)) {
            continue;
        }
        // The window's opening parenthesis.
        let mut depth = 0usize;
        let mut open = None;
        for j in (0..i).rev() {
            match toks[j].kind {
                Kind::Punct(lexer::Punct::RParen) => depth += 1,
                Kind::Punct(lexer::Punct::LParen) if depth == 0 => {
                    open = Some(j);
                    break;
                }
                Kind::Punct(lexer::Punct::LParen) => depth -= 1,
                _ => {}
            }
        }
        // `(EXCLUDE ...`: SQLite reads EXCLUDE as a window's name, and fails after it.
        let Some(open) = open.filter(|&o| o + 1 < i) else { continue };
        let kind: Vec<String> = (i + 1..close).filter_map(word).collect();
        let mut name = format!("{EXCLUDE_PREFIX}{}:", kind.join(" "));
        let first = open + 1;
        let base = match toks[first].kind {
            Kind::QuotedId(_) => true,
            Kind::Word => !matches!(word(first).as_deref(), Some("PARTITION" | "ORDER" | "ROWS" | "RANGE" | "GROUPS")),
            _ => false,
        };
        if base {
            match lexer::to_sqlparser(&toks[first], sql).map(|t| t.token) {
                Ok(Token::Word(w)) => name.push_str(&w.value),
                _ => continue,
            }
            out.insert(first, ExcludeRewrite::Name(name, i));
        } else {
            out.insert(first, ExcludeRewrite::Name(name, i));
            for j in first + 1..=i {
                out.insert(j, ExcludeRewrite::Shift(j - 1));
            }
        }
        for j in i + usize::from(!base)..close {
            out.insert(j, ExcludeRewrite::Skip);
        }
    }
    out
}

fn join_rewrites(toks: &[RawToken], sql: &str) -> Vec<Option<JoinRewrite>> {
    #[derive(Clone, Copy)]
    struct Frame {
        /// Inside a FROM clause at this depth.
        in_from: bool,
        /// This parenthesis is a group of joined tables.
        group: bool,
        /// The group starts its FROM clause or its enclosing group.
        first: bool,
        /// A JOIN or comma was seen directly inside the group.
        joined: bool,
    }
    let word = |t: &RawToken| (t.kind == Kind::Word).then(|| t.text(sql).to_ascii_uppercase());
    let is_name = |t: &RawToken| {
        matches!(t.kind, Kind::QuotedId(_))
            || word(t)
                .is_some_and(|w| !NOT_ALIAS.contains(&w.as_str()) && !dialect::is_reserved(&Token::make_word(&w, None)))
    };
    let mut out = vec![None; toks.len()];
    let none = Frame { in_from: false, group: false, first: false, joined: false };
    let mut frames = vec![none];
    for (i, t) in toks.iter().enumerate() {
        let top = frames.len() - 1;
        match t.kind {
            Kind::Punct(lexer::Punct::LParen) => {
                let prev = i.checked_sub(1).map(|p| &toks[p]);
                let at_table = match prev.map(|p| (p.kind, word(p))) {
                    Some((Kind::Punct(lexer::Punct::Comma), _)) => frames[top].in_from,
                    Some((Kind::Punct(lexer::Punct::LParen), _)) => frames[top].group,
                    Some((Kind::Word, Some(w))) => w == "FROM" || (w == "JOIN" && frames[top].in_from),
                    _ => false,
                };
                let subquery =
                    toks.get(i + 1).and_then(word).is_some_and(|w| matches!(w.as_str(), "SELECT" | "VALUES" | "WITH"));
                let group = at_table && !subquery;
                let first = prev
                    .is_some_and(|p| p.kind == Kind::Punct(lexer::Punct::LParen) || word(p).as_deref() == Some("FROM"));
                frames.push(Frame { in_from: group, group, first, joined: false });
            }
            Kind::Punct(lexer::Punct::RParen) => {
                let Some(f) = frames.pop().filter(|_| !frames.is_empty()) else {
                    frames = vec![none];
                    continue;
                };
                // `(t AS y)` or `(t y)`: skip the alias unless it is the one that holds.
                let outer_alias = toks.get(i + 1).is_some_and(|n| word(n).as_deref() == Some("AS") || is_name(n));
                if f.group && !f.joined && (!f.first || outer_alias) && i >= 3 && is_name(&toks[i - 1]) {
                    let before = &toks[i - 2];
                    if word(before).as_deref() == Some("AS") {
                        out[i - 2] = Some(JoinRewrite::Skip);
                        out[i - 1] = Some(JoinRewrite::Skip);
                    } else if is_name(before) || before.kind == Kind::Punct(lexer::Punct::RParen) {
                        out[i - 1] = Some(JoinRewrite::Skip);
                    }
                }
            }
            Kind::Punct(lexer::Punct::Comma) if frames[top].group => {
                out[i] = Some(JoinRewrite::Join);
                frames[top].joined = true;
            }
            Kind::Word => match word(t).as_deref() {
                Some("FROM") => frames[top].in_from = true,
                Some("JOIN") => frames[top].joined = true,
                Some(
                    "WHERE" | "GROUP" | "HAVING" | "ORDER" | "LIMIT" | "WINDOW" | "UNION" | "EXCEPT" | "INTERSECT"
                    | "SELECT" | "VALUES" | "RETURNING" | "SET",
                ) => frames[top] = none,
                Some("CROSS") if i > 0 && word(&toks[i - 1]).as_deref() == Some("NATURAL") => {
                    out[i] = Some(JoinRewrite::Skip)
                }
                _ => {}
            },
            _ => {}
        }
    }
    out
}

fn parse_statement(sql: &str, toks: &[RawToken], st: StatementTokens, source: u32) -> PResult<Statement> {
    let mut sp_tokens = Vec::with_capacity(toks.len());
    let mut illegal = None;
    let rewrites = join_rewrites(toks, sql);
    let excludes = exclude_rewrites(toks, sql);
    for (i, t) in toks.iter().enumerate() {
        if let Some(r) = excludes.get(&i) {
            match r {
                ExcludeRewrite::Name(name, at) => {
                    let span = lexer::to_sqlparser(&toks[*at], sql).map(|t| t.span).unwrap_or(Span::empty());
                    sp_tokens.push(TokenWithSpan::new(Token::make_word(name, Some('"')), span));
                }
                ExcludeRewrite::Shift(j) => match lexer::to_sqlparser(&toks[*j], sql) {
                    Ok(tok) => sp_tokens.push(tok),
                    Err(()) => {
                        illegal = Some(toks[*j]);
                        break;
                    }
                },
                ExcludeRewrite::Skip => {
                    let span = lexer::to_sqlparser(t, sql).map(|t| t.span).unwrap_or(Span::empty());
                    sp_tokens.push(TokenWithSpan::new(Token::Whitespace(Whitespace::Space), span));
                }
            }
            continue;
        }
        match lexer::to_sqlparser(t, sql) {
            // The token stays (as another one), so `toks` still line up with sqlparser's tokens.
            Ok(tok) => match rewrites.get(i).copied().flatten() {
                Some(JoinRewrite::Skip) => {
                    sp_tokens.push(TokenWithSpan::new(Token::Whitespace(Whitespace::Space), tok.span))
                }
                Some(JoinRewrite::Join) => sp_tokens.push(TokenWithSpan::new(Token::make_keyword("JOIN"), tok.span)),
                None => sp_tokens.push(tok),
            },
            Err(()) => {
                illegal = Some(*t);
                break;
            }
        }
    }
    let cx = Ctx { sql, toks: &toks[..sp_tokens.len()], end: st.end, has_semi: st.has_semi, illegal, source };
    let dialect = dialect::BriskDialect::default();
    let mut p = Parser::new(&dialect).with_recursion_limit(RECURSION_LIMIT).with_tokens_with_locations(sp_tokens);
    let stmt = stmt::statement(&cx, &mut p)?;
    match &p.peek_token_ref().token {
        Token::EOF => {}
        // sqlparser leaves `ORDER`/`GROUP` not followed by `BY` unparsed where the clause could
        // start; SQLite accepts the word and fails on the next token. (Followed by `BY`, the
        // clause is not allowed here at all and the word itself is the error.)
        Token::Word(w)
            if w.quote_style.is_none()
                && matches!(w.keyword, Keyword::ORDER | Keyword::GROUP)
                && !matches!(&p.peek_nth_token_ref(1).token, Token::Word(b) if b.keyword == Keyword::BY) =>
        {
            return Err(cx.near_token(p.peek_nth_token_ref(1)));
        }
        _ => return Err(cx.near_next(&p)),
    }
    if let Some(t) = &cx.illegal {
        return Err(cx.unrecognized(t));
    }
    Ok(stmt)
}
