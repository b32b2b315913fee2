//! The Brisk dialect: sqlparser's [`SQLiteDialect`] with the gaps between it and SQLite's grammar
//! closed through the `Dialect` hooks.
//!
//! It claims SQLiteDialect's type id, so every `dialect_of!(self is SQLiteDialect)` branch inside
//! sqlparser still applies, and forwards every method SQLiteDialect overrides. On top of that:
//! - operator precedence follows SQLite's table (lang_expr.html): `||`, `->`, `->>` bind tighter
//!   than `*`; unary `-`, `+`, `~` bind tighter than `||`; `=`, `IS`, `IN`, `LIKE`, `GLOB`,
//!   `BETWEEN` share one left-associative level;
//! - postfix `ISNULL`, and `NOT GLOB` / `NOT REGEXP` / `NOT MATCH`;
//! - words sqlparser parses as special syntax but SQLite treats as plain function names
//!   (`substr`, `trim`, `ceil`, `floor`, `position`, ...) become ordinary function calls;
//! - type names are SQLite's: any run of names with an optional `(n)` or `(n, m)`, kept as the
//!   source span (the converter slices the original text, as SQLite stores it);
//! - CTEs accept `AS [NOT] MATERIALIZED`.

use std::any::TypeId;

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments,
    Ident, ObjectName, ObjectNamePart, Statement, UnaryOperator,
};
use sqlparser::dialect::{BindPlaceholderStyle, Dialect, Precedence, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token};

/// SQLite's single level for `=`, `==`, `!=`, `<>`, `IS`, `IS NOT`, `IN`, `LIKE`, `GLOB`,
/// `MATCH`, `REGEXP`, `BETWEEN`, `ISNULL`, `NOTNULL`, `NOT NULL`.
pub(crate) const EQ_PREC: u8 = 20;
/// `||`, `->`, `->>`: above `*` (40).
const CONCAT_PREC: u8 = 45;
/// The operand of unary `-`, `+`, `~`: above every binary operator.
const UNARY_PREC: u8 = 50;

#[derive(Debug, Default)]
pub(crate) struct BriskDialect {
    inner: SQLiteDialect,
}

fn is_word(tok: &Token, name: &str) -> bool {
    matches!(tok, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(name))
}

fn keyword_of(tok: &Token) -> Keyword {
    match tok {
        Token::Word(w) if w.quote_style.is_none() => w.keyword,
        _ => Keyword::NoKeyword,
    }
}

/// SQLite's reserved words: the keywords that are not in parse.y's `%fallback ID` list, so can
/// never be a name (checked with `CREATE TABLE kw(a)` against SQLite).
pub(crate) fn is_reserved(tok: &Token) -> bool {
    match tok {
        Token::Word(w) if w.quote_style.is_none() => {
            is_reserved_keyword(w.keyword) || w.value.eq_ignore_ascii_case("isnull")
        }
        _ => false,
    }
}

/// [`is_reserved`] for an unquoted word's text.
pub(crate) fn is_reserved_word(word: &str) -> bool {
    is_reserved_keyword(super::lexer::keyword(word)) || word.eq_ignore_ascii_case("isnull")
}

fn is_reserved_keyword(k: Keyword) -> bool {
    use Keyword::*;
    matches!(
        k,
        ADD | ALL
            | ALTER
            | AND
            | AS
            | AUTOINCREMENT
            | BETWEEN
            | CASE
            | CHECK
            | COLLATE
            | COMMIT
            | CONSTRAINT
            | CREATE
            | DEFAULT
            | DEFERRABLE
            | DELETE
            | DISTINCT
            | DROP
            | ELSE
            | ESCAPE
            | EXCEPT
            | EXISTS
            | FOREIGN
            | FROM
            | GROUP
            | HAVING
            | IN
            | INDEX
            | INSERT
            | INTERSECT
            | INTO
            | IS
            | JOIN
            | LIMIT
            | NOT
            | NOTHING
            | NOTNULL
            | NULL
            | ON
            | OR
            | ORDER
            | PRIMARY
            | REFERENCES
            | RETURNING
            | SELECT
            | SET
            | TABLE
            | THEN
            | TO
            | TRANSACTION
            | UNION
            | UNIQUE
            | UPDATE
            | USING
            | VALUES
            | WHEN
            | WHERE
    )
}

/// Can this token be one of the names of a SQLite type name (`typename ::= ids | typename ids`)?
fn is_type_word(tok: &Token) -> bool {
    matches!(tok, Token::Word(_) | Token::SingleQuotedString(_))
}

/// Parses a SQLite type name at the parser's position: names, then optionally `( signed )` or
/// `( signed , signed )`. Returns the byte span of the whole type (None if no name is next),
/// leaving the parser after it. `stop` tells which names end the type (constraint keywords in
/// a column definition).
pub(crate) fn parse_type_span(parser: &mut Parser, stop: &dyn Fn(&Token) -> bool) -> Result<Option<Span>, ParserError> {
    let first = parser.peek_token_ref();
    if !is_type_word(&first.token) || stop(&first.token) {
        return Ok(None);
    }
    let start = first.span.start;
    let mut end = first.span.end;
    parser.advance_token();
    loop {
        let t = parser.peek_token_ref();
        if !is_type_word(&t.token) || stop(&t.token) {
            break;
        }
        end = t.span.end;
        parser.advance_token();
    }
    if parser.peek_token_ref().token == Token::LParen {
        parser.advance_token();
        for i in 0..2 {
            if matches!(parser.peek_token_ref().token, Token::Plus | Token::Minus) {
                parser.advance_token();
            }
            let t = parser.next_token();
            if !matches!(t.token, Token::Number(..)) {
                return parser.expected("a number in the type name", t);
            }
            let t = parser.next_token();
            match t.token {
                Token::RParen => {
                    end = t.span.end;
                    break;
                }
                Token::Comma if i == 0 => {}
                _ => return parser.expected("')'", t),
            }
        }
    }
    Ok(Some(Span::new(start, end)))
}

/// The sqlparser stand-in for a type name: a one-part custom type whose identifier is empty and
/// whose span is the type's text in the source.
pub(crate) fn type_placeholder(span: Span) -> DataType {
    DataType::Custom(
        ObjectName(vec![ObjectNamePart::Identifier(Ident { value: String::new(), quote_style: None, span })]),
        vec![],
    )
}

/// `RAISE ( IGNORE )` or `RAISE ( ROLLBACK|ABORT|FAIL , expr )`, encoded as a call of the
/// unquoted name `raise` whose first argument is the action as an identifier: RAISE is a keyword
/// in SQLite, so no real function call can look like this. The converter decodes it.
fn parse_raise(parser: &mut Parser) -> Result<Expr, ParserError> {
    let t = parser.next_token();
    let Token::Word(w) = t.token else { unreachable!("checked by the caller") };
    let name = ObjectName(vec![ObjectNamePart::Identifier(w.into_ident(t.span))]);
    parser.expect_token(&Token::LParen)?;
    let action = parser.next_token();
    let ignore = match keyword_of(&action.token) {
        Keyword::IGNORE => true,
        Keyword::ROLLBACK | Keyword::ABORT | Keyword::FAIL => false,
        _ => return parser.expected("IGNORE, ROLLBACK, ABORT or FAIL", action),
    };
    let Token::Word(aw) = action.token else { unreachable!("a keyword is a word") };
    let mut args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(aw.into_ident(action.span))))];
    if !ignore {
        parser.expect_token(&Token::Comma)?;
        args.push(FunctionArg::Unnamed(FunctionArgExpr::Expr(parser.parse_expr()?)));
    }
    parser.expect_token(&Token::RParen)?;
    Ok(Expr::Function(Function {
        name,
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList { duplicate_treatment: None, args, clauses: vec![] }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    }))
}

impl Dialect for BriskDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<SQLiteDialect>()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.inner.is_delimited_identifier_start(ch)
    }

    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.inner.identifier_quote_style(identifier)
    }

    fn ordered_bind_placeholder_style(&self) -> Option<BindPlaceholderStyle> {
        self.inner.ordered_bind_placeholder_style()
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.inner.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.inner.is_identifier_part(ch)
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }

    fn supports_start_transaction_modifier(&self) -> bool {
        true
    }

    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        self.inner.parse_statement(parser)
    }

    /// Only `CAST(x AS type)` reaches here with a type name: Brisk parses column definitions
    /// itself. sqlparser also calls this speculatively at the start of every expression (to
    /// find `DATE '...'`-style typed strings, which SQLite does not have); failing fast there
    /// keeps that cheap and makes the word parse as a name.
    fn parse_data_type(&self, parser: &mut Parser) -> Option<Result<DataType, ParserError>> {
        if keyword_of(&parser.get_current_token().token) != Keyword::AS {
            // Speculative call: the error is discarded, so do not spend a formatted message.
            return Some(Err(ParserError::ParserError(String::new())));
        }
        match parse_type_span(parser, &|t| *t == Token::RParen) {
            Ok(Some(span)) => Some(Ok(type_placeholder(span))),
            Ok(None) => {
                let found = parser.peek_token();
                Some(parser.expected("a type name", found))
            }
            Err(e) => Some(Err(e)),
        }
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        let tok = parser.peek_token_ref();
        let op = match &tok.token {
            Token::Minus => Some(UnaryOperator::Minus),
            Token::Plus => Some(UnaryOperator::Plus),
            Token::Tilde => Some(UnaryOperator::BitwiseNot),
            _ => None,
        };
        if let Some(op) = op {
            parser.advance_token();
            return Some(parser.parse_subexpr(UNARY_PREC).map(|e| Expr::UnaryOp { op, expr: Box::new(e) }));
        }
        // Words sqlparser gives special syntax that are plain functions in SQLite.
        let special = matches!(
            keyword_of(&tok.token),
            Keyword::SUBSTR
                | Keyword::SUBSTRING
                | Keyword::TRIM
                | Keyword::CEIL
                | Keyword::CEILING
                | Keyword::FLOOR
                | Keyword::POSITION
                | Keyword::OVERLAY
                | Keyword::EXTRACT
                | Keyword::CONVERT
                | Keyword::INTERVAL
                | Keyword::ARRAY
                | Keyword::MAP
                | Keyword::STRUCT
        );
        // sqlparser turns keywords without a prefix meaning into column names; SQLite's reserved
        // words are never names.
        if is_reserved(&tok.token)
            && !matches!(keyword_of(&tok.token), Keyword::NOT | Keyword::NULL | Keyword::CASE | Keyword::EXISTS)
        {
            let found = parser.peek_token();
            return Some(parser.expected("an expression", found));
        }
        if keyword_of(&tok.token) == Keyword::RAISE && parser.peek_nth_token_ref(1).token == Token::LParen {
            return Some(parse_raise(parser));
        }
        if special && parser.peek_nth_token_ref(1).token == Token::LParen {
            let t = parser.next_token();
            let Token::Word(w) = t.token else { unreachable!("checked above") };
            let name = ObjectName(vec![ObjectNamePart::Identifier(w.into_ident(t.span))]);
            return Some(parser.parse_function(name));
        }
        None
    }

    fn parse_infix(&self, parser: &mut Parser, expr: &Expr, precedence: u8) -> Option<Result<Expr, ParserError>> {
        let tok = &parser.peek_token_ref().token;
        if is_word(tok, "isnull") {
            parser.advance_token();
            return Some(Ok(Expr::IsNull(Box::new(expr.clone()))));
        }
        if keyword_of(tok) == Keyword::NOT {
            let op = match keyword_of(&parser.peek_nth_token_ref(1).token) {
                Keyword::GLOB => Some(BinaryOperator::Glob),
                Keyword::REGEXP => Some(BinaryOperator::Regexp),
                Keyword::MATCH => Some(BinaryOperator::Match),
                _ => None,
            };
            if let Some(op) = op {
                parser.advance_token();
                parser.advance_token();
                let right = match parser.parse_subexpr(precedence) {
                    Ok(e) => e,
                    Err(e) => return Some(Err(e)),
                };
                let inner = Expr::BinaryOp { left: Box::new(expr.clone()), op, right: Box::new(right) };
                return Some(Ok(Expr::UnaryOp { op: UnaryOperator::Not, expr: Box::new(inner) }));
            }
        }
        self.inner.parse_infix(parser, expr, precedence)
    }

    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        let tok = &parser.peek_token_ref().token;
        match tok {
            Token::StringConcat | Token::Arrow | Token::LongArrow => Some(Ok(CONCAT_PREC)),
            _ if is_word(tok, "isnull") => Some(Ok(EQ_PREC)),
            _ => self.inner.get_next_precedence(parser),
        }
    }

    fn prec_value(&self, prec: Precedence) -> u8 {
        match prec {
            Precedence::Between | Precedence::Eq | Precedence::Like | Precedence::Is => EQ_PREC,
            other => self.inner.prec_value(other),
        }
    }

    fn supports_in_empty_list(&self) -> bool {
        true
    }

    fn supports_limit_comma(&self) -> bool {
        true
    }

    fn supports_asc_desc_in_column_definition(&self) -> bool {
        true
    }

    fn supports_dollar_placeholder(&self) -> bool {
        true
    }

    fn supports_notnull_operator(&self) -> bool {
        true
    }

    fn supports_is_operator(&self) -> bool {
        true
    }

    fn supports_comma_separated_trim(&self) -> bool {
        true
    }

    fn supports_numeric_literal_underscores(&self) -> bool {
        true
    }

    fn supports_double_eq_assignment(&self) -> bool {
        true
    }

    fn supports_string_literal_column_names(&self) -> bool {
        true
    }

    fn supports_cast_empty_data_type_to_unspecified(&self) -> bool {
        true
    }

    fn supports_national_string_literal(&self) -> bool {
        false
    }

    fn supports_parens_around_table_factor(&self) -> bool {
        true
    }

    fn supports_unterminated_block_comments(&self) -> bool {
        true
    }

    fn is_column_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        self.inner.is_column_alias(kw, parser)
    }

    fn supports_over_keyword_as_column_alias(&self) -> bool {
        true
    }

    fn supports_indexed_by(&self) -> bool {
        true
    }

    fn is_table_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        self.inner.is_table_alias(kw, parser)
    }

    fn supports_comma_join_constraint(&self) -> bool {
        true
    }

    /// `a CROSS JOIN b ON ...` (SQLite treats CROSS JOIN as an inner join with a fixed order).
    fn supports_cross_join_constraint(&self) -> bool {
        true
    }

    fn supports_aggregate_order_by_with_empty_args(&self) -> bool {
        true
    }

    fn supports_bitwise_shift_operators(&self) -> bool {
        true
    }

    fn supports_in_table_expression(&self) -> bool {
        true
    }

    fn is_table_factor(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        self.inner.is_table_factor(kw, parser)
    }

    fn between_low_bound_precedence(&self) -> u8 {
        self.inner.between_low_bound_precedence()
    }

    /// SQLite's reserved words never fall back to being a column name.
    fn is_reserved_for_identifier(&self, kw: Keyword) -> bool {
        is_reserved_keyword(kw)
    }

    /// `INSERT INTO t AS x` (for upsert).
    fn supports_insert_table_alias(&self) -> bool {
        true
    }

    fn supports_cte_materialization(&self) -> bool {
        true
    }

    fn supports_window_clause_named_window_reference(&self) -> bool {
        true
    }
}
