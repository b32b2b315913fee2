//! The statement-level parser: dispatches on the first keyword, parses the statements whose
//! grammar sqlparser gets wrong or lacks (DDL, PRAGMA, transaction control, EXPLAIN, VACUUM,
//! ANALYZE, REINDEX, ATTACH, DETACH) directly with `Parser` primitives, following SQLite's
//! `parse.y`, and hands SELECT/VALUES/WITH/INSERT/REPLACE/UPDATE/DELETE to sqlparser.
//! Expressions and queries inside DDL still come from sqlparser's expression and query parsers,
//! through the Brisk dialect.
//!
//! Owning DDL gives exact SQLite behavior for the forms sqlparser's SQLiteDialect misses:
//! multi-word type names kept verbatim, table-level `UNIQUE (..) ON CONFLICT ..`,
//! `PRIMARY KEY (a AUTOINCREMENT)`, `CREATE TRIGGER IF NOT EXISTS`, `PRAGMA x = -1`,
//! `PRAGMA journal_mode = WAL`, `PRAGMA table_info(t)`, and the `sqlite_schema.sql` text.

use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::ast::*;
use super::convert::{decode_hex, number, Conv};
use super::dialect::{is_reserved, parse_type_span};
use super::lexer::offset_of;
use super::{is_sqlite_space, Ctx, PResult, ParseError};

pub(crate) fn statement(cx: &Ctx, p: &mut Parser) -> PResult<Statement> {
    StmtParser { cx, p, constraint_name: None }.statement()
}

struct StmtParser<'x, 'a, 'd> {
    cx: &'x Ctx<'a>,
    p: &'x mut Parser<'d>,
    /// parse.y's `pParse->constraintName` while a CREATE TABLE is parsed: the last
    /// `CONSTRAINT name` seen, which names every later CHECK until a new column starts or a
    /// comma separates table constraints (so it can carry from the last column's constraints to
    /// the first table constraint, as in SQLite).
    constraint_name: Option<String>,
}

/// SQLite's `sqlite3Dequote`: text starting with a quote character loses the quotes, doubled
/// quotes inside becoming one, and ends at the closing quote (whatever follows it is dropped).
pub(crate) fn sqlite_dequote(z: &str) -> String {
    let mut chars = z.chars();
    let quote = match chars.next() {
        Some('[') => ']',
        Some(q @ ('"' | '\'' | '`')) => q,
        _ => return z.to_string(),
    };
    let mut out = String::new();
    let mut rest = chars.peekable();
    while let Some(c) = rest.next() {
        if c == quote {
            if rest.peek() == Some(&quote) {
                out.push(quote);
                rest.next();
            } else {
                break;
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn keyword_of(t: &Token) -> Keyword {
    match t {
        Token::Word(w) if w.quote_style.is_none() => w.keyword,
        _ => Keyword::NoKeyword,
    }
}

/// The keywords that end a column's type name and start a column constraint.
fn starts_column_constraint(t: &Token) -> bool {
    matches!(
        keyword_of(t),
        Keyword::CONSTRAINT
            | Keyword::PRIMARY
            | Keyword::NOT
            | Keyword::NULL
            | Keyword::UNIQUE
            | Keyword::CHECK
            | Keyword::DEFAULT
            | Keyword::COLLATE
            | Keyword::REFERENCES
            | Keyword::GENERATED
            | Keyword::AS
    )
}

/// SQLite's `sqlite3DequoteToken` on a declared type: a type that starts with a quote and has
/// no other quote character before its last one loses its first and last characters (so
/// `"my type"` is recorded as `my type`).
fn dequote_type(t: &str) -> &str {
    let b = t.as_bytes();
    let is_quote = |c: &u8| matches!(c, b'"' | b'\'' | b'[' | b'`');
    if b.len() >= 2 && is_quote(&b[0]) && !b[1..b.len() - 1].iter().any(is_quote) {
        &t[1..t.len() - 1]
    } else {
        t
    }
}

impl<'x, 'a, 'd> StmtParser<'x, 'a, 'd> {
    // -----------------------------------------------------------------------------------------
    // Primitives

    fn err(&self, e: ParserError) -> ParseError {
        self.cx.parser_error(e, self.p)
    }

    fn near(&self) -> ParseError {
        self.cx.near_next(self.p)
    }

    fn peek(&self) -> &Token {
        &self.p.peek_token_ref().token
    }

    fn kw(&self) -> Keyword {
        keyword_of(self.peek())
    }

    fn at_end(&self) -> bool {
        *self.peek() == Token::EOF
    }

    fn eat_kw(&mut self, k: Keyword) -> bool {
        if self.kw() == k {
            self.p.advance_token();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, k: Keyword) -> PResult<()> {
        if self.eat_kw(k) {
            Ok(())
        } else {
            Err(self.near())
        }
    }

    fn eat_tok(&mut self, t: &Token) -> bool {
        self.p.consume_token(t)
    }

    fn expect_tok(&mut self, t: &Token) -> PResult<TokenWithSpan> {
        if *self.peek() == *t {
            Ok(self.p.next_token())
        } else {
            Err(self.near())
        }
    }

    /// Byte offset of the next token.
    fn next_offset(&self) -> usize {
        offset_of(self.p.peek_token_ref().span.start).unwrap_or(self.cx.end)
    }

    /// Byte offset just past the last token consumed.
    fn prev_end(&self) -> usize {
        offset_of(self.p.get_current_token().span.end).unwrap_or(self.cx.end)
    }

    /// A name (`nm` in parse.y): an identifier, quoted or not, or a string literal. Returns the
    /// name and the byte offset of its token.
    fn name(&mut self) -> PResult<(String, usize)> {
        let off = self.next_offset();
        match self.peek() {
            t if is_reserved(t) => return Err(self.near()),
            Token::Word(_) | Token::SingleQuotedString(_) => {}
            _ => return Err(self.near()),
        }
        match self.p.next_token().token {
            Token::Word(w) => Ok((w.value, off)),
            Token::SingleQuotedString(s) => Ok((s, off)),
            _ => unreachable!("checked above"),
        }
    }

    /// `[schema.]name`, and the byte offset of the last part.
    fn qualified_name(&mut self) -> PResult<(QualifiedName, usize)> {
        let (first, off) = self.name()?;
        if self.eat_tok(&Token::Period) {
            let (name, off) = self.name()?;
            return Ok((QualifiedName { schema: Some(first), name }, off));
        }
        Ok((QualifiedName { schema: None, name: first }, off))
    }

    /// `( name, ... )`
    fn name_list(&mut self) -> PResult<Vec<String>> {
        self.expect_tok(&Token::LParen)?;
        let mut out = Vec::new();
        loop {
            out.push(self.name()?.0);
            if !self.eat_tok(&Token::Comma) {
                break;
            }
        }
        self.expect_tok(&Token::RParen)?;
        Ok(out)
    }

    fn expr(&mut self) -> PResult<Expr> {
        let e = self.p.parse_expr().map_err(|e| self.err(e))?;
        Conv::new(self.cx).expr(e)
    }

    /// `( expr )`, and the byte range of the expression's text inside the parentheses.
    /// `CHECK ( expr )` after CHECK: the expression and the name its failure reports, the
    /// constraint's name or else the text between the parentheses with the spaces at both ends
    /// trimmed (comments kept), dequoted (sqlite3AddCheckConstraint).
    fn check_expr(&mut self) -> PResult<(Expr, String)> {
        let lp = self.next_offset();
        self.expect_tok(&Token::LParen)?;
        let e = self.expr()?;
        let rp = self.next_offset();
        self.expect_tok(&Token::RParen)?;
        let label = match &self.constraint_name {
            Some(n) => n.clone(),
            None => sqlite_dequote(self.cx.sql[lp + 1..rp].trim_matches(is_sqlite_space)),
        };
        Ok((e, label))
    }

    fn paren_expr(&mut self) -> PResult<(Expr, std::ops::Range<usize>)> {
        self.expect_tok(&Token::LParen)?;
        let start = self.next_offset();
        let e = self.expr()?;
        let end = self.prev_end();
        self.expect_tok(&Token::RParen)?;
        Ok((e, start..end))
    }

    fn query(&mut self) -> PResult<Select> {
        let q = self.p.parse_query().map_err(|e| self.err(e))?;
        Conv::new(self.cx).query(q)
    }

    fn if_not_exists(&mut self) -> PResult<bool> {
        if self.eat_kw(Keyword::IF) {
            self.expect_kw(Keyword::NOT)?;
            self.expect_kw(Keyword::EXISTS)?;
            return Ok(true);
        }
        Ok(false)
    }

    fn if_exists(&mut self) -> PResult<bool> {
        if self.eat_kw(Keyword::IF) {
            self.expect_kw(Keyword::EXISTS)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `ROLLBACK | ABORT | FAIL | IGNORE | REPLACE`
    fn resolution(&mut self) -> PResult<ConflictResolution> {
        let r = match self.kw() {
            Keyword::ROLLBACK => ConflictResolution::Rollback,
            Keyword::ABORT => ConflictResolution::Abort,
            Keyword::FAIL => ConflictResolution::Fail,
            Keyword::IGNORE => ConflictResolution::Ignore,
            Keyword::REPLACE => ConflictResolution::Replace,
            _ => return Err(self.near()),
        };
        self.p.advance_token();
        Ok(r)
    }

    /// `[ON CONFLICT resolution]`
    fn on_conflict(&mut self) -> PResult<Option<ConflictResolution>> {
        if self.kw() == Keyword::ON && keyword_of(&self.p.peek_nth_token_ref(1).token) == Keyword::CONFLICT {
            self.p.advance_token();
            self.p.advance_token();
            return Ok(Some(self.resolution()?));
        }
        Ok(None)
    }

    /// `ASC | DESC`, true for DESC.
    fn sort_order(&mut self) -> bool {
        if self.eat_kw(Keyword::DESC) {
            return true;
        }
        self.eat_kw(Keyword::ASC);
        false
    }

    // -----------------------------------------------------------------------------------------
    // Statements

    fn statement(&mut self) -> PResult<Statement> {
        match self.kw() {
            Keyword::SELECT
            | Keyword::VALUES
            | Keyword::WITH
            | Keyword::INSERT
            | Keyword::REPLACE
            | Keyword::UPDATE
            | Keyword::DELETE => {
                self.dml_precheck()?;
                let s = self.p.parse_statement().map_err(|e| self.err(e))?;
                Conv::new(self.cx).statement(s)
            }
            Keyword::EXPLAIN => {
                self.p.advance_token();
                let query_plan = self.eat_kw(Keyword::QUERY);
                if query_plan {
                    self.expect_kw(Keyword::PLAN)?;
                }
                if self.kw() == Keyword::EXPLAIN {
                    return Err(self.near());
                }
                let stmt = self.statement()?;
                Ok(Statement::Explain { query_plan, stmt: Box::new(stmt) })
            }
            Keyword::PRAGMA => self.pragma(),
            Keyword::BEGIN => {
                self.p.advance_token();
                let kind = match self.kw() {
                    Keyword::DEFERRED => TransactionKind::Deferred,
                    Keyword::IMMEDIATE => TransactionKind::Immediate,
                    Keyword::EXCLUSIVE => TransactionKind::Exclusive,
                    _ => TransactionKind::Deferred,
                };
                if matches!(self.kw(), Keyword::DEFERRED | Keyword::IMMEDIATE | Keyword::EXCLUSIVE) {
                    self.p.advance_token();
                }
                self.transaction_opt()?;
                Ok(Statement::Begin(kind))
            }
            Keyword::COMMIT | Keyword::END => {
                self.p.advance_token();
                self.transaction_opt()?;
                Ok(Statement::Commit)
            }
            Keyword::ROLLBACK => {
                self.p.advance_token();
                self.transaction_opt()?;
                if self.eat_kw(Keyword::TO) {
                    self.eat_kw(Keyword::SAVEPOINT);
                    return Ok(Statement::Rollback { savepoint: Some(self.name()?.0) });
                }
                Ok(Statement::Rollback { savepoint: None })
            }
            Keyword::SAVEPOINT => {
                self.p.advance_token();
                Ok(Statement::Savepoint(self.name()?.0))
            }
            Keyword::RELEASE => {
                self.p.advance_token();
                self.eat_kw(Keyword::SAVEPOINT);
                Ok(Statement::Release(self.name()?.0))
            }
            Keyword::VACUUM => {
                self.p.advance_token();
                let schema = if !self.at_end() && self.kw() != Keyword::INTO { Some(self.name()?.0) } else { None };
                let into = if self.eat_kw(Keyword::INTO) { Some(self.expr()?) } else { None };
                Ok(Statement::Vacuum { schema, into })
            }
            Keyword::ANALYZE => {
                self.p.advance_token();
                let target = if self.at_end() { None } else { Some(self.qualified_name()?.0) };
                Ok(Statement::Analyze(target))
            }
            Keyword::REINDEX => {
                self.p.advance_token();
                let target = if self.at_end() { None } else { Some(self.qualified_name()?.0) };
                Ok(Statement::Reindex(target))
            }
            Keyword::ATTACH => {
                self.p.advance_token();
                self.eat_kw(Keyword::DATABASE);
                let file = self.expr()?;
                self.expect_kw(Keyword::AS)?;
                let schema = self.expr()?;
                let key = if self.eat_kw(Keyword::KEY) { Some(self.expr()?) } else { None };
                Ok(Statement::Attach { file, schema, key })
            }
            Keyword::DETACH => {
                self.p.advance_token();
                self.eat_kw(Keyword::DATABASE);
                Ok(Statement::Detach(self.expr()?))
            }
            Keyword::DROP => self.drop(),
            Keyword::CREATE => self.create(),
            Keyword::ALTER => self.alter(),
            _ => Err(self.near()),
        }
    }

    /// Catches, before sqlparser sees them, the DML forms where sqlparser is more permissive
    /// than SQLite or reports a different token: `DELETE` without `FROM`, `DEFAULT` not
    /// followed by `VALUES`, and an UPDATE target followed by anything but `AS`, `SET`,
    /// `INDEXED` or `NOT INDEXED`.
    fn dml_precheck(&self) -> PResult<()> {
        let p = &*self.p;
        let kw = |n: usize| keyword_of(&p.peek_nth_token_ref(n).token);
        match self.kw() {
            Keyword::DELETE if kw(1) != Keyword::FROM => Err(self.cx.near_token(p.peek_nth_token_ref(1))),
            Keyword::INSERT | Keyword::REPLACE => {
                // After `INTO [schema.]table` comes `AS`, `(`, `VALUES`, `SELECT`, `WITH` or
                // `DEFAULT`; sqlparser would read another word as an alias.
                let mut n = 1;
                if kw(n) == Keyword::OR {
                    n += 2;
                }
                if kw(n) == Keyword::INTO {
                    n += 2;
                    if p.peek_nth_token_ref(n).token == Token::Period {
                        n += 2;
                    }
                    let next = p.peek_nth_token_ref(n);
                    if matches!(next.token, Token::Word(_))
                        && !matches!(
                            keyword_of(&next.token),
                            Keyword::AS | Keyword::VALUES | Keyword::SELECT | Keyword::WITH | Keyword::DEFAULT
                        )
                    {
                        return Err(self.cx.near_token(next));
                    }
                }
                let mut n = 1;
                loop {
                    match &p.peek_nth_token_ref(n).token {
                        Token::EOF | Token::SemiColon => return Ok(()),
                        t if keyword_of(t) == Keyword::DEFAULT => {
                            if kw(n + 1) != Keyword::VALUES {
                                return Err(self.cx.near_token(p.peek_nth_token_ref(n + 1)));
                            }
                            return Ok(());
                        }
                        // DEFAULT can only come before the source.
                        t if matches!(keyword_of(t), Keyword::VALUES | Keyword::SELECT | Keyword::WITH) => {
                            return Ok(())
                        }
                        _ => n += 1,
                    }
                }
            }
            Keyword::UPDATE => {
                let mut n = 1;
                if kw(n) == Keyword::OR {
                    n += 2;
                }
                n += 1;
                if p.peek_nth_token_ref(n).token == Token::Period {
                    n += 2;
                }
                match kw(n) {
                    Keyword::AS | Keyword::SET | Keyword::INDEXED | Keyword::NOT => Ok(()),
                    _ => Err(self.cx.near_token(p.peek_nth_token_ref(n))),
                }
            }
            _ => Ok(()),
        }
    }

    /// `[TRANSACTION [name]]` after BEGIN, COMMIT, END, ROLLBACK.
    fn transaction_opt(&mut self) -> PResult<()> {
        if self.eat_kw(Keyword::TRANSACTION) && !self.at_end() && self.kw() != Keyword::TO {
            self.name()?;
        }
        Ok(())
    }

    /// `PRAGMA [schema.]name [= value | (value)]`
    fn pragma(&mut self) -> PResult<Statement> {
        self.p.advance_token();
        let (name, _) = self.qualified_name()?;
        let value = if self.eat_tok(&Token::Eq) {
            Some(self.pragma_value()?)
        } else if self.eat_tok(&Token::LParen) {
            let v = self.pragma_value()?;
            self.expect_tok(&Token::RParen)?;
            Some(v)
        } else {
            None
        };
        Ok(Statement::Pragma(Pragma { schema: name.schema, name: name.name, value }))
    }

    /// `[+|-] number | name | string | ON | DELETE | DEFAULT | ...` (`nmnum`, `plus_num`,
    /// `minus_num` in parse.y). A sign becomes part of a number's text, as SQLite passes it on.
    fn pragma_value(&mut self) -> PResult<PragmaValue> {
        let sign = match self.peek() {
            Token::Minus => "-",
            Token::Plus => "+",
            _ => "",
        };
        if !sign.is_empty() {
            self.p.advance_token();
            if !matches!(self.peek(), Token::Number(..)) {
                return Err(self.near());
            }
        }
        let off = self.next_offset();
        match self.p.next_token().token {
            Token::Number(..) => {
                let text = &self.cx.sql[off..self.prev_end()];
                // SQLite drops a leading `+` and keeps a leading `-`.
                let sign = if sign == "-" { "-" } else { "" };
                Ok(PragmaValue::Number(format!("{sign}{text}")))
            }
            Token::SingleQuotedString(s) => Ok(PragmaValue::String(s)),
            Token::Word(w) => Ok(PragmaValue::Name(w.value)),
            _ => {
                self.p.prev_token();
                Err(self.near())
            }
        }
    }

    fn drop(&mut self) -> PResult<Statement> {
        self.p.advance_token();
        let kind = self.kw();
        if !matches!(kind, Keyword::TABLE | Keyword::INDEX | Keyword::VIEW | Keyword::TRIGGER) {
            return Err(self.near());
        }
        self.p.advance_token();
        let if_exists = self.if_exists()?;
        let (name, _) = self.qualified_name()?;
        let d = DropObject { if_exists, name };
        Ok(match kind {
            Keyword::TABLE => Statement::DropTable(d),
            Keyword::INDEX => Statement::DropIndex(d),
            Keyword::VIEW => Statement::DropView(d),
            _ => Statement::DropTrigger(d),
        })
    }

    fn create(&mut self) -> PResult<Statement> {
        self.p.advance_token();
        let temporary = matches!(self.kw(), Keyword::TEMP | Keyword::TEMPORARY);
        if temporary {
            self.p.advance_token();
        }
        let unique = !temporary && self.eat_kw(Keyword::UNIQUE);
        match self.kw() {
            Keyword::TABLE if !unique => {
                self.p.advance_token();
                self.create_table(temporary)
            }
            Keyword::INDEX if !temporary => {
                self.p.advance_token();
                self.create_index(unique)
            }
            Keyword::VIEW if !unique => {
                self.p.advance_token();
                self.create_view(temporary)
            }
            Keyword::TRIGGER if !unique => {
                self.p.advance_token();
                self.create_trigger(temporary)
            }
            Keyword::VIRTUAL if !unique && !temporary => {
                Err(ParseError::new("virtual tables are not supported", Some(self.next_offset())))
            }
            _ => Err(self.near()),
        }
    }

    // -----------------------------------------------------------------------------------------
    // CREATE TABLE

    fn create_table(&mut self, temporary: bool) -> PResult<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let (name, name_start) = self.qualified_name()?;
        if self.eat_kw(Keyword::AS) {
            let select = self.query()?;
            return Ok(Statement::CreateTable(Box::new(CreateTable {
                temporary,
                if_not_exists,
                name,
                name_pos: self.cx.pos(Some(name_start)),
                body: CreateTableBody::AsSelect(Box::new(select)),
                sql: None,
            })));
        }
        self.expect_tok(&Token::LParen)?;
        let mut columns = Vec::new();
        let mut constraints = Vec::new();
        // Whether the table constraints have begun (a bare `CONSTRAINT name` adds none).
        let mut in_constraints = false;
        loop {
            if self.starts_table_constraint() && !columns.is_empty() {
                in_constraints = true;
                constraints.extend(self.table_constraint()?);
            } else if !in_constraints {
                columns.push(self.column_def()?);
            } else {
                return Err(self.near());
            }
            if self.eat_tok(&Token::Comma) {
                if in_constraints {
                    self.constraint_name = None;
                }
                continue;
            }
            // Table constraints may follow each other without a comma (parse.y `tconscomma`).
            if in_constraints && self.starts_table_constraint() {
                continue;
            }
            break;
        }
        self.expect_tok(&Token::RParen)?;
        let close_end = self.prev_end();
        let (mut without_rowid, mut strict, mut has_options) = (false, false, false);
        if !self.at_end() {
            loop {
                if self.eat_kw(Keyword::WITHOUT) {
                    match self.peek() {
                        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("rowid") => {}
                        Token::Word(w) => {
                            return Err(ParseError::new(
                                format!("unknown table option: {}", w.value),
                                Some(self.next_offset()),
                            ))
                        }
                        _ => return Err(self.near()),
                    }
                    self.p.advance_token();
                    without_rowid = true;
                } else if self.eat_kw(Keyword::STRICT) {
                    strict = true;
                } else if let Token::Word(w) = self.peek() {
                    return Err(ParseError::new(
                        format!("unknown table option: {}", w.value),
                        Some(self.next_offset()),
                    ));
                } else {
                    return Err(self.near());
                }
                has_options = true;
                if !self.eat_tok(&Token::Comma) {
                    break;
                }
            }
        }
        // sqlite3EndTable: from the table name to the `)`, or with table options to the end of
        // the statement (the `;` excluded).
        let end = if has_options { self.cx.end } else { close_end };
        let sql = format!("CREATE TABLE {}", &self.cx.sql[name_start..end]);
        Ok(Statement::CreateTable(Box::new(CreateTable {
            temporary,
            if_not_exists,
            name,
            name_pos: self.cx.pos(Some(name_start)),
            body: CreateTableBody::Columns { columns, constraints, without_rowid, strict },
            sql: Some(sql),
        })))
    }

    fn starts_table_constraint(&self) -> bool {
        matches!(
            self.kw(),
            Keyword::CONSTRAINT | Keyword::PRIMARY | Keyword::UNIQUE | Keyword::CHECK | Keyword::FOREIGN
        )
    }

    fn column_def(&mut self) -> PResult<ColumnDef> {
        let (name, _) = self.name()?;
        let type_name = match parse_type_span(self.p, &starts_column_constraint).map_err(|e| self.err(e))? {
            Some(span) => {
                let (s, e) = (offset_of(span.start).unwrap_or(0), offset_of(span.end).unwrap_or(0));
                dequote_type(&self.cx.sql[s..e]).to_string()
            }
            None => String::new(),
        };
        let mut constraints = Vec::new();
        self.constraint_name = None;
        loop {
            let cname = if self.eat_kw(Keyword::CONSTRAINT) { Some(self.name()?.0) } else { None };
            if cname.is_some() {
                self.constraint_name = cname.clone();
            }
            let kind = match self.kw() {
                Keyword::PRIMARY => {
                    self.p.advance_token();
                    self.expect_kw(Keyword::KEY)?;
                    let desc = self.sort_order();
                    let conflict = self.on_conflict()?;
                    let autoincrement = self.eat_kw(Keyword::AUTOINCREMENT);
                    ColumnConstraintKind::PrimaryKey { desc, conflict, autoincrement }
                }
                Keyword::NOT => {
                    self.p.advance_token();
                    self.expect_kw(Keyword::NULL)?;
                    ColumnConstraintKind::NotNull { conflict: self.on_conflict()? }
                }
                Keyword::NULL => {
                    // `NULL [conflict]` is accepted and means nothing.
                    self.p.advance_token();
                    self.on_conflict()?;
                    continue;
                }
                Keyword::UNIQUE => {
                    self.p.advance_token();
                    ColumnConstraintKind::Unique { conflict: self.on_conflict()? }
                }
                Keyword::CHECK => {
                    self.p.advance_token();
                    let (expr, label) = self.check_expr()?;
                    ColumnConstraintKind::Check { expr, label }
                }
                Keyword::DEFAULT => {
                    self.p.advance_token();
                    self.default_value()?
                }
                Keyword::COLLATE => {
                    self.p.advance_token();
                    ColumnConstraintKind::Collate(self.name()?.0)
                }
                Keyword::REFERENCES => {
                    self.p.advance_token();
                    ColumnConstraintKind::References(self.foreign_key_clause()?)
                }
                Keyword::GENERATED | Keyword::AS => {
                    if self.eat_kw(Keyword::GENERATED) {
                        self.expect_kw(Keyword::ALWAYS)?;
                    }
                    self.expect_kw(Keyword::AS)?;
                    let (expr, _) = self.paren_expr()?;
                    let stored = self.eat_kw(Keyword::STORED);
                    if !stored {
                        self.eat_kw(Keyword::VIRTUAL);
                    }
                    ColumnConstraintKind::Generated { expr, stored }
                }
                // `CONSTRAINT name` alone is a constraint of its own (parse.y `ccons`) that only
                // names later CHECKs.
                _ if cname.is_some() => continue,
                _ => break,
            };
            constraints.push(ColumnConstraint { name: cname, kind });
        }
        Ok(ColumnDef { name, type_name, constraints })
    }

    /// `DEFAULT (expr) | DEFAULT [+|-] literal | DEFAULT name` (the name is a string, except
    /// TRUE and FALSE).
    fn default_value(&mut self) -> PResult<ColumnConstraintKind> {
        if *self.peek() == Token::LParen {
            let (expr, range) = self.paren_expr()?;
            return Ok(ColumnConstraintKind::Default { expr, text: self.cx.sql[range].to_string() });
        }
        let start = self.next_offset();
        let sign = match self.peek() {
            Token::Minus => Some(UnaryOp::Negate),
            Token::Plus => Some(UnaryOp::Plus),
            _ => None,
        };
        if sign.is_some() {
            self.p.advance_token();
        }
        let tok_off = self.next_offset();
        let tok = self.p.next_token();
        let expr = match tok.token {
            Token::Number(text, _) => {
                let neg = sign == Some(UnaryOp::Negate);
                let lit = number(&text, neg).map_err(|()| {
                    let src = &self.cx.sql[tok_off..self.prev_end()];
                    ParseError::new(format!("hex literal too big: {}{src}", if neg { "-" } else { "" }), Some(start))
                })?;
                let e = Expr::Literal(lit);
                match sign {
                    Some(UnaryOp::Plus) => Expr::Unary { op: UnaryOp::Plus, expr: Box::new(e) },
                    _ => e,
                }
            }
            Token::SingleQuotedString(s) => self.signed(sign, Expr::Literal(Literal::String(s))),
            Token::HexStringLiteral(h) => self.signed(sign, Expr::Literal(Literal::Blob(decode_hex(&h)))),
            Token::Word(w) => {
                let lit = match (w.quote_style, w.keyword) {
                    (None, Keyword::NULL) => Literal::Null,
                    (None, Keyword::TRUE) => Literal::Integer(1),
                    (None, Keyword::FALSE) => Literal::Integer(0),
                    (None, Keyword::CURRENT_TIME) => Literal::CurrentTime,
                    (None, Keyword::CURRENT_DATE) => Literal::CurrentDate,
                    (None, Keyword::CURRENT_TIMESTAMP) => Literal::CurrentTimestamp,
                    _ if sign.is_none() => Literal::String(w.value),
                    _ => {
                        self.p.prev_token();
                        return Err(self.near());
                    }
                };
                self.signed(sign, Expr::Literal(lit))
            }
            _ => {
                self.p.prev_token();
                return Err(self.near());
            }
        };
        let text = self.cx.sql[start..self.prev_end()].to_string();
        Ok(ColumnConstraintKind::Default { expr, text })
    }

    fn signed(&self, sign: Option<UnaryOp>, e: Expr) -> Expr {
        match sign {
            Some(op) => Expr::Unary { op, expr: Box::new(e) },
            None => e,
        }
    }

    /// `REFERENCES` already consumed: `table [(cols)] [ON DELETE|UPDATE action | MATCH name]...
    /// [[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]]`
    fn foreign_key_clause(&mut self) -> PResult<ForeignKeyClause> {
        let (table, _) = self.name()?;
        let columns = if *self.peek() == Token::LParen { self.name_list()? } else { Vec::new() };
        let mut fk = ForeignKeyClause { table, columns, on_delete: None, on_update: None, deferred: false };
        loop {
            if self.kw() == Keyword::ON && keyword_of(&self.p.peek_nth_token_ref(1).token) != Keyword::CONFLICT {
                self.p.advance_token();
                let event = self.kw();
                if !matches!(event, Keyword::DELETE | Keyword::UPDATE | Keyword::INSERT) {
                    return Err(self.near());
                }
                self.p.advance_token();
                let action = if self.eat_kw(Keyword::SET) {
                    if self.eat_kw(Keyword::NULL) {
                        ForeignKeyAction::SetNull
                    } else {
                        self.expect_kw(Keyword::DEFAULT)?;
                        ForeignKeyAction::SetDefault
                    }
                } else if self.eat_kw(Keyword::CASCADE) {
                    ForeignKeyAction::Cascade
                } else if self.eat_kw(Keyword::RESTRICT) {
                    ForeignKeyAction::Restrict
                } else {
                    self.expect_kw(Keyword::NO)?;
                    self.expect_kw(Keyword::ACTION)?;
                    ForeignKeyAction::NoAction
                };
                match event {
                    Keyword::DELETE => fk.on_delete = Some(action),
                    Keyword::UPDATE => fk.on_update = Some(action),
                    _ => {}
                }
            } else if self.eat_kw(Keyword::MATCH) {
                self.name()?;
            } else {
                break;
            }
        }
        let not = self.kw() == Keyword::NOT && keyword_of(&self.p.peek_nth_token_ref(1).token) == Keyword::DEFERRABLE;
        if not {
            self.p.advance_token();
        }
        if self.eat_kw(Keyword::DEFERRABLE) {
            if self.eat_kw(Keyword::INITIALLY) {
                if self.eat_kw(Keyword::DEFERRED) {
                    fk.deferred = !not;
                } else {
                    self.expect_kw(Keyword::IMMEDIATE)?;
                }
            }
        } else if not {
            return Err(self.near());
        }
        Ok(fk)
    }

    /// `( expr [COLLATE name] [ASC|DESC], ... [AUTOINCREMENT] )`; AUTOINCREMENT only where
    /// `allow_autoincrement` (a table PRIMARY KEY).
    fn indexed_columns(&mut self, allow_autoincrement: bool) -> PResult<(Vec<IndexedColumn>, bool)> {
        self.expect_tok(&Token::LParen)?;
        let mut out = Vec::new();
        loop {
            let e = self.p.parse_expr().map_err(|e| self.err(e))?;
            let desc = self.sort_order();
            out.push(Conv::new(self.cx).indexed_column(e, desc)?);
            if !self.eat_tok(&Token::Comma) {
                break;
            }
        }
        let autoincrement = allow_autoincrement && self.eat_kw(Keyword::AUTOINCREMENT);
        self.expect_tok(&Token::RParen)?;
        Ok((out, autoincrement))
    }

    /// One table constraint; None for a bare `CONSTRAINT name` (parse.y `tcons`), which only
    /// names the CHECKs that follow.
    fn table_constraint(&mut self) -> PResult<Option<TableConstraint>> {
        let name = if self.eat_kw(Keyword::CONSTRAINT) { Some(self.name()?.0) } else { None };
        if name.is_some() {
            self.constraint_name = name.clone();
        }
        let kind = match self.kw() {
            _ if name.is_some() && !self.starts_table_constraint() => return Ok(None),
            Keyword::PRIMARY => {
                self.p.advance_token();
                self.expect_kw(Keyword::KEY)?;
                let (columns, autoincrement) = self.indexed_columns(true)?;
                TableConstraintKind::PrimaryKey { columns, conflict: self.on_conflict()?, autoincrement }
            }
            Keyword::UNIQUE => {
                self.p.advance_token();
                let (columns, _) = self.indexed_columns(false)?;
                TableConstraintKind::Unique { columns, conflict: self.on_conflict()? }
            }
            Keyword::CHECK => {
                self.p.advance_token();
                let (expr, label) = self.check_expr()?;
                // parse.y accepts (and ignores) a conflict clause here.
                self.on_conflict()?;
                TableConstraintKind::Check { expr, label }
            }
            Keyword::FOREIGN => {
                self.p.advance_token();
                self.expect_kw(Keyword::KEY)?;
                let columns = self.name_list()?;
                self.expect_kw(Keyword::REFERENCES)?;
                TableConstraintKind::ForeignKey { columns, clause: self.foreign_key_clause()? }
            }
            _ => return Err(self.near()),
        };
        Ok(Some(TableConstraint { name, kind }))
    }

    // -----------------------------------------------------------------------------------------
    // CREATE INDEX, VIEW, TRIGGER; ALTER TABLE

    fn create_index(&mut self, unique: bool) -> PResult<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let (name, name_start) = self.qualified_name()?;
        self.expect_kw(Keyword::ON)?;
        let (table, _) = self.name()?;
        let (columns, _) = self.indexed_columns(false)?;
        let where_clause = if self.eat_kw(Keyword::WHERE) { Some(self.expr()?) } else { None };
        // sqlite3CreateIndex: from the index name to the end of the statement.
        let sql =
            format!("CREATE{} INDEX {}", if unique { " UNIQUE" } else { "" }, &self.cx.sql[name_start..self.cx.end]);
        Ok(Statement::CreateIndex(Box::new(CreateIndex {
            unique,
            if_not_exists,
            name,
            table,
            columns,
            where_clause,
            sql,
        })))
    }

    fn create_view(&mut self, temporary: bool) -> PResult<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let (name, name_start) = self.qualified_name()?;
        let columns = if *self.peek() == Token::LParen { self.name_list()? } else { Vec::new() };
        self.expect_kw(Keyword::AS)?;
        let select = self.query()?;
        // sqlite3CreateView: from the view name to the end of the statement, trailing spaces
        // trimmed.
        let sql = format!("CREATE VIEW {}", self.cx.sql[name_start..self.cx.end].trim_end_matches(is_sqlite_space));
        Ok(Statement::CreateView(Box::new(CreateView {
            temporary,
            if_not_exists,
            name,
            name_pos: self.cx.pos(Some(name_start)),
            columns,
            select: Box::new(select),
            sql,
        })))
    }

    fn create_trigger(&mut self, temporary: bool) -> PResult<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let (name, name_start) = self.qualified_name()?;
        let time = match self.kw() {
            Keyword::BEFORE => {
                self.p.advance_token();
                TriggerTime::Before
            }
            Keyword::AFTER => {
                self.p.advance_token();
                TriggerTime::After
            }
            Keyword::INSTEAD => {
                self.p.advance_token();
                self.expect_kw(Keyword::OF)?;
                TriggerTime::InsteadOf
            }
            _ => TriggerTime::Before,
        };
        let event = match self.kw() {
            Keyword::DELETE => TriggerEvent::Delete,
            Keyword::INSERT => TriggerEvent::Insert,
            Keyword::UPDATE => TriggerEvent::Update(Vec::new()),
            _ => return Err(self.near()),
        };
        self.p.advance_token();
        let event = match event {
            TriggerEvent::Update(_) if self.eat_kw(Keyword::OF) => {
                let mut cols = Vec::new();
                loop {
                    cols.push(self.name()?.0);
                    if !self.eat_tok(&Token::Comma) {
                        break;
                    }
                }
                TriggerEvent::Update(cols)
            }
            e => e,
        };
        self.expect_kw(Keyword::ON)?;
        let (table, _) = self.name()?;
        let for_each_row = self.eat_kw(Keyword::FOR);
        if for_each_row {
            self.expect_kw(Keyword::EACH)?;
            self.expect_kw(Keyword::ROW)?;
        }
        let when = if self.eat_kw(Keyword::WHEN) { Some(self.expr()?) } else { None };
        self.expect_kw(Keyword::BEGIN)?;
        let mut body = Vec::new();
        loop {
            if !matches!(
                self.kw(),
                Keyword::INSERT
                    | Keyword::REPLACE
                    | Keyword::UPDATE
                    | Keyword::DELETE
                    | Keyword::SELECT
                    | Keyword::WITH
                    | Keyword::VALUES
            ) {
                return Err(self.near());
            }
            body.push(self.statement()?);
            self.expect_tok(&Token::SemiColon)?;
            if self.eat_kw(Keyword::END) {
                break;
            }
        }
        // sqlite3FinishTrigger: from the trigger name to the end of END.
        let sql = format!("CREATE TRIGGER {}", &self.cx.sql[name_start..self.prev_end()]);
        Ok(Statement::CreateTrigger(Box::new(CreateTrigger {
            temporary,
            if_not_exists,
            name,
            name_pos: self.cx.pos(Some(name_start)),
            time,
            event,
            table,
            for_each_row,
            when,
            body,
            sql,
        })))
    }

    fn alter(&mut self) -> PResult<Statement> {
        self.p.advance_token();
        self.expect_kw(Keyword::TABLE)?;
        let (table, _) = self.qualified_name()?;
        let action = match self.kw() {
            Keyword::RENAME => {
                self.p.advance_token();
                if self.eat_kw(Keyword::TO) {
                    AlterTableAction::RenameTo(self.name()?.0)
                } else {
                    self.eat_kw(Keyword::COLUMN);
                    let (old, _) = self.name()?;
                    self.expect_kw(Keyword::TO)?;
                    let (new, _) = self.name()?;
                    AlterTableAction::RenameColumn { old, new }
                }
            }
            Keyword::ADD => {
                self.p.advance_token();
                self.eat_kw(Keyword::COLUMN);
                AlterTableAction::AddColumn(self.column_def()?)
            }
            Keyword::DROP => {
                self.p.advance_token();
                self.eat_kw(Keyword::COLUMN);
                AlterTableAction::DropColumn(self.name()?.0)
            }
            _ => return Err(self.near()),
        };
        Ok(Statement::AlterTable(Box::new(AlterTable { table, action })))
    }
}
