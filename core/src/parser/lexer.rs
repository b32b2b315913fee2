//! SQLite's tokenizer, ported from `sqlite3GetToken` in `tokenize.c`, and the statement splitter
//! and `sqlite3_complete` built on it.
//!
//! Brisk tokenizes SQL itself instead of using sqlparser's tokenizer, for three reasons:
//! SQLite's lexical rules differ from sqlparser's in ways that change meaning (`0x1F` is an
//! integer, not a blob; `?NNN`, `:name`, `@name`, `$name` are one token each; `1abc` is an
//! unrecognized token, not a number and a name); every token needs its exact byte range, for
//! SQLite's error messages (`near "X": syntax error`), for column names taken from the source
//! text, and for the CREATE text stored in `sqlite_schema`; and tokenizing once is cheaper than
//! tokenizing twice.
//!
//! Invariants: lexing never fails and never panics on any input (bad input becomes an
//! [`Kind::Illegal`] token); the tokens of a string cover it exactly, in order, without gaps.
//! Token boundaries always fall on UTF-8 character boundaries because every multi-byte
//! character is an identifier character, as in SQLite.

use sqlparser::keywords::{Keyword, ALL_KEYWORDS, ALL_KEYWORDS_INDEX};
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Word};

/// The operators and punctuation SQLite knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Punct {
    Minus,
    LParen,
    RParen,
    Plus,
    Star,
    Slash,
    Rem,
    Eq,
    EqEq,
    Le,
    /// `<>` or `!=`.
    Ne,
    Lshift,
    Lt,
    Ge,
    Rshift,
    Gt,
    Concat,
    BitOr,
    Comma,
    BitAnd,
    BitNot,
    Dot,
    /// `->`
    Arrow,
    /// `->>`
    LongArrow,
}

/// The class of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Spaces, tabs, newlines, `--` comments and terminated `/* */` comments.
    Space,
    /// A `/* ...` or `-- ...` comment that runs to the end of the input: SQLite parses it as a
    /// comment, but `sqlite3_complete` reports the input incomplete.
    OpenComment,
    Semi,
    /// An unquoted identifier or keyword.
    Word,
    /// An identifier quoted with `"`, `` ` `` or `[...]`; the byte is the opening quote.
    QuotedId(u8),
    /// A string literal in single quotes.
    String,
    /// A blob literal `x'..'` with an even number of hex digits.
    Blob,
    /// A decimal integer, a real, or a hex integer (`0x...`).
    Number,
    /// A bind parameter: `?`, `?NNN`, `:name`, `@name`, `$name`, `#name`.
    Variable,
    Punct(Punct),
    /// A token SQLite rejects with `unrecognized token: "..."`.
    Illegal,
    /// A string, quoted identifier or bracket identifier that is not closed before the end of
    /// the input (an error for the parser, "incomplete" for `sqlite3_complete`).
    Unterminated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawToken {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl RawToken {
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }

    /// Tokens the parser never sees.
    pub fn is_space(&self) -> bool {
        matches!(self.kind, Kind::Space | Kind::OpenComment)
    }
}

/// SQLite's `IdChar`: letters, digits, `_`, `$` and every byte of a multi-byte character.
fn is_id_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_id_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// SQLite's `sqlite3Isspace`: space, \t, \n, \f, \r (and \v).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r' | b'\x0b')
}

/// Scans a run of digits accepted by `is_digit` and `_` digit separators (SQLite 3.46+ takes
/// any `_` here and checks the placement afterwards). Returns the index after the run.
fn scan_digits(z: &[u8], mut i: usize, is_digit: fn(&u8) -> bool) -> usize {
    while i < z.len() && (is_digit(&z[i]) || z[i] == b'_') {
        i += 1;
    }
    i
}

/// Returns the kind and byte length of the token at the start of `z` (which is not empty).
pub(crate) fn next_token(z: &[u8]) -> (Kind, usize) {
    let at = |i: usize| z.get(i).copied().unwrap_or(0);
    let c = z[0];
    match c {
        b' ' | b'\t' | b'\n' | b'\x0c' | b'\r' | b'\x0b' => {
            let n = z.iter().take_while(|&&c| is_space(c)).count();
            (Kind::Space, n)
        }
        b'-' => match at(1) {
            b'-' => match z.iter().position(|&c| c == b'\n') {
                Some(n) => (Kind::Space, n),
                // sqlite3_complete counts a `--` comment that runs to the end as incomplete.
                None => (Kind::OpenComment, z.len()),
            },
            b'>' => {
                if at(2) == b'>' {
                    (Kind::Punct(Punct::LongArrow), 3)
                } else {
                    (Kind::Punct(Punct::Arrow), 2)
                }
            }
            _ => (Kind::Punct(Punct::Minus), 1),
        },
        b'(' => (Kind::Punct(Punct::LParen), 1),
        b')' => (Kind::Punct(Punct::RParen), 1),
        b';' => (Kind::Semi, 1),
        b'+' => (Kind::Punct(Punct::Plus), 1),
        b'*' => (Kind::Punct(Punct::Star), 1),
        b'/' => {
            if at(1) != b'*' {
                return (Kind::Punct(Punct::Slash), 1);
            }
            match z[2..].windows(2).position(|w| w == b"*/") {
                Some(p) => (Kind::Space, 2 + p + 2),
                None => (Kind::OpenComment, z.len()),
            }
        }
        b'%' => (Kind::Punct(Punct::Rem), 1),
        b'=' => {
            if at(1) == b'=' {
                (Kind::Punct(Punct::EqEq), 2)
            } else {
                (Kind::Punct(Punct::Eq), 1)
            }
        }
        b'<' => match at(1) {
            b'=' => (Kind::Punct(Punct::Le), 2),
            b'>' => (Kind::Punct(Punct::Ne), 2),
            b'<' => (Kind::Punct(Punct::Lshift), 2),
            _ => (Kind::Punct(Punct::Lt), 1),
        },
        b'>' => match at(1) {
            b'=' => (Kind::Punct(Punct::Ge), 2),
            b'>' => (Kind::Punct(Punct::Rshift), 2),
            _ => (Kind::Punct(Punct::Gt), 1),
        },
        b'!' => {
            if at(1) == b'=' {
                (Kind::Punct(Punct::Ne), 2)
            } else {
                (Kind::Illegal, 1)
            }
        }
        b'|' => {
            if at(1) == b'|' {
                (Kind::Punct(Punct::Concat), 2)
            } else {
                (Kind::Punct(Punct::BitOr), 1)
            }
        }
        b',' => (Kind::Punct(Punct::Comma), 1),
        b'&' => (Kind::Punct(Punct::BitAnd), 1),
        b'~' => (Kind::Punct(Punct::BitNot), 1),
        b'`' | b'\'' | b'"' => {
            let mut i = 1;
            loop {
                match z.get(i) {
                    None => return (Kind::Unterminated, z.len()),
                    Some(&d) if d == c => {
                        if at(i + 1) == c {
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(_) => i += 1,
                }
            }
            if c == b'\'' {
                (Kind::String, i)
            } else {
                (Kind::QuotedId(c), i)
            }
        }
        b'.' => {
            if at(1).is_ascii_digit() {
                scan_number(z)
            } else {
                (Kind::Punct(Punct::Dot), 1)
            }
        }
        b'0'..=b'9' => scan_number(z),
        b'[' => match z.iter().position(|&c| c == b']') {
            Some(p) => (Kind::QuotedId(b'['), p + 1),
            None => (Kind::Unterminated, z.len()),
        },
        b'?' => {
            let n = z[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            (Kind::Variable, 1 + n)
        }
        b'$' | b'@' | b':' | b'#' => {
            // As sqlite3GetToken: a name of identifier characters, which may contain `::`
            // and may end in a parenthesized TCL-style suffix.
            let mut n = 0;
            let mut i = 1;
            let mut kind = Kind::Variable;
            while i < z.len() {
                let c = z[i];
                if is_id_char(c) {
                    n += 1;
                } else if c == b'(' && n > 0 {
                    loop {
                        i += 1;
                        if i >= z.len() || is_space(z[i]) || z[i] == b')' {
                            break;
                        }
                    }
                    if at(i) == b')' {
                        i += 1;
                    } else {
                        kind = Kind::Illegal;
                    }
                    break;
                } else if c == b':' && at(i + 1) == b':' {
                    i += 1;
                } else {
                    break;
                }
                i += 1;
            }
            if n == 0 {
                kind = Kind::Illegal;
            }
            (kind, i)
        }
        b'x' | b'X' if at(1) == b'\'' => {
            let mut i = 2;
            while at(i).is_ascii_hexdigit() {
                i += 1;
            }
            let mut kind = Kind::Blob;
            if at(i) != b'\'' || i % 2 != 0 {
                kind = Kind::Illegal;
                while i < z.len() && z[i] != b'\'' {
                    i += 1;
                }
            }
            if i < z.len() {
                i += 1;
            } else {
                kind = Kind::Unterminated;
            }
            (kind, i)
        }
        c if is_id_start(c) => {
            let n = z.iter().take_while(|&&c| is_id_char(c)).count();
            (Kind::Word, n)
        }
        _ => (Kind::Illegal, 1),
    }
}

/// Scans a numeric literal at the start of `z` (a digit, or `.` and a digit).
fn scan_number(z: &[u8]) -> (Kind, usize) {
    let at = |i: usize| z.get(i).copied().unwrap_or(0);
    let mut i;
    if z[0] == b'0' && (at(1) == b'x' || at(1) == b'X') && at(2).is_ascii_hexdigit() {
        i = scan_digits(z, 2, u8::is_ascii_hexdigit);
    } else {
        i = scan_digits(z, 0, u8::is_ascii_digit);
        if at(i) == b'.' {
            i += 1;
            if at(i).is_ascii_digit() {
                i = scan_digits(z, i, u8::is_ascii_digit);
            }
        }
        if (at(i) == b'e' || at(i) == b'E')
            && (at(i + 1).is_ascii_digit() || ((at(i + 1) == b'+' || at(i + 1) == b'-') && at(i + 2).is_ascii_digit()))
        {
            i = scan_digits(z, i + 2, u8::is_ascii_digit);
        }
    }
    // sqlite3DequoteNumber: every `_` must sit between two digits (hex digits in hex).
    let hex = at(1) == b'x' || at(1) == b'X';
    let digit = |c: u8| {
        if hex {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        }
    };
    let misplaced = (0..i).any(|k| z[k] == b'_' && (k == 0 || !digit(z[k - 1]) || !digit(at(k + 1))));
    let mut kind = if misplaced { Kind::Illegal } else { Kind::Number };
    while i < z.len() && is_id_char(z[i]) {
        kind = Kind::Illegal;
        i += 1;
    }
    (kind, i)
}

/// Tokenizes `sql`, leaving out spaces and comments (the parser never sees them, and
/// `sqlite3_complete`'s state machine ignores them).
pub(crate) fn tokenize(sql: &str) -> Vec<RawToken> {
    let z = sql.as_bytes();
    let mut out = Vec::with_capacity(z.len() / 4 + 1);
    let mut pos = 0;
    while pos < z.len() {
        let (kind, n) = next_token(&z[pos..]);
        debug_assert!(n > 0 && pos + n <= z.len());
        let tok = RawToken { kind, start: pos, end: pos + n };
        if !tok.is_space() {
            out.push(tok);
        }
        pos += n;
    }
    out
}

/// The token classes of `sqlite3_complete`'s state machine.
#[derive(Clone, Copy)]
enum CompleteToken {
    Semi = 0,
    Ws = 1,
    Other = 2,
    Explain = 3,
    Create = 4,
    Temp = 5,
    Trigger = 6,
    End = 7,
}

/// `sqlite3_complete`'s transition table: `TRANS[state][token]`. States: 0 invalid, 1 start
/// (after a complete statement), 2 normal, 3 explain, 4 create, 5 trigger body, 6 semicolon
/// inside a trigger body, 7 END inside a trigger body.
const TRANS: [[u8; 8]; 8] = [
    [1, 0, 2, 3, 4, 2, 2, 2],
    [1, 1, 2, 3, 4, 2, 2, 2],
    [1, 2, 2, 2, 2, 2, 2, 2],
    [1, 3, 3, 2, 4, 2, 2, 2],
    [1, 4, 2, 2, 2, 4, 5, 2],
    [6, 5, 5, 5, 5, 5, 5, 5],
    [6, 6, 5, 5, 5, 5, 5, 7],
    [1, 7, 5, 5, 5, 5, 5, 5],
];

fn classify(tok: &RawToken, sql: &str) -> CompleteToken {
    match tok.kind {
        Kind::Semi => CompleteToken::Semi,
        Kind::Space | Kind::OpenComment => CompleteToken::Ws,
        Kind::Word => {
            let w = tok.text(sql);
            if w.eq_ignore_ascii_case("create") {
                CompleteToken::Create
            } else if w.eq_ignore_ascii_case("temp") || w.eq_ignore_ascii_case("temporary") {
                CompleteToken::Temp
            } else if w.eq_ignore_ascii_case("trigger") {
                CompleteToken::Trigger
            } else if w.eq_ignore_ascii_case("end") {
                CompleteToken::End
            } else if w.eq_ignore_ascii_case("explain") {
                CompleteToken::Explain
            } else {
                CompleteToken::Other
            }
        }
        _ => CompleteToken::Other,
    }
}

/// True if `sql` ends with a complete statement, as `sqlite3_complete` decides: the last
/// non-space token is a `;` that ends a statement (not one inside a CREATE TRIGGER body), and
/// no string, quoted identifier or block comment is left open.
pub fn is_complete(sql: &str) -> bool {
    let z = sql.as_bytes();
    let mut state = 0u8;
    let mut pos = 0;
    while pos < z.len() {
        let (kind, n) = next_token(&z[pos..]);
        let tok = RawToken { kind, start: pos, end: pos + n };
        if matches!(kind, Kind::Unterminated | Kind::OpenComment) {
            return false;
        }
        state = TRANS[state as usize][classify(&tok, sql) as usize];
        pos += n;
    }
    state == 1
}

/// One statement of a script: the index range of its tokens in the token vector (spaces
/// included, the terminating `;` excluded) and the byte offset of the terminating `;` (or the
/// end of the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatementTokens {
    pub first: usize,
    pub last: usize,
    pub end: usize,
    /// True if the statement ends with a `;` rather than the end of the input.
    pub has_semi: bool,
}

/// Finds the end of the statement whose tokens start at `toks[from]`: the first `;` that
/// `sqlite3_complete`'s state machine says ends a statement. `state` starts at 0 (invalid).
pub(crate) fn next_statement(toks: &[RawToken], sql: &str, from: usize) -> StatementTokens {
    let mut state = 0u8;
    let mut i = from;
    while i < toks.len() {
        let t = &toks[i];
        let s = TRANS[state as usize][classify(t, sql) as usize];
        if matches!(t.kind, Kind::Semi) && s == 1 {
            return StatementTokens { first: from, last: i, end: t.start, has_semi: true };
        }
        state = s;
        i += 1;
    }
    StatementTokens { first: from, last: toks.len(), end: sql.len(), has_semi: false }
}

/// Builds the sqlparser token for a significant raw token. Spans encode byte offsets: line 1,
/// column = offset + 1 (start inclusive, end exclusive), so positions in sqlparser's errors
/// and AST map straight back to the source.
pub(crate) fn to_sqlparser(tok: &RawToken, sql: &str) -> Result<TokenWithSpan, ()> {
    let text = tok.text(sql);
    let token = match tok.kind {
        Kind::Word => Token::Word(Word { value: text.to_string(), quote_style: None, keyword: keyword(text) }),
        Kind::QuotedId(q) => {
            let inner = &text[1..text.len() - 1];
            let value = if q == b'[' { inner.to_string() } else { dequote(inner, q as char) };
            Token::make_word(&value, Some(q as char))
        }
        Kind::String => Token::SingleQuotedString(dequote(&text[1..text.len() - 1], '\'')),
        Kind::Blob => Token::HexStringLiteral(text[2..text.len() - 1].to_string()),
        Kind::Number => Token::Number(text.replace('_', ""), false),
        Kind::Variable => Token::Placeholder(text.to_string()),
        Kind::Punct(p) => match p {
            Punct::Minus => Token::Minus,
            Punct::LParen => Token::LParen,
            Punct::RParen => Token::RParen,
            Punct::Plus => Token::Plus,
            Punct::Star => Token::Mul,
            Punct::Slash => Token::Div,
            Punct::Rem => Token::Mod,
            Punct::Eq => Token::Eq,
            Punct::EqEq => Token::DoubleEq,
            Punct::Le => Token::LtEq,
            Punct::Ne => Token::Neq,
            Punct::Lshift => Token::ShiftLeft,
            Punct::Lt => Token::Lt,
            Punct::Ge => Token::GtEq,
            Punct::Rshift => Token::ShiftRight,
            Punct::Gt => Token::Gt,
            Punct::Concat => Token::StringConcat,
            Punct::BitOr => Token::Pipe,
            Punct::Comma => Token::Comma,
            Punct::BitAnd => Token::Ampersand,
            Punct::BitNot => Token::Tilde,
            Punct::Dot => Token::Period,
            Punct::Arrow => Token::Arrow,
            Punct::LongArrow => Token::LongArrow,
        },
        Kind::Semi => Token::SemiColon,
        Kind::Illegal | Kind::Unterminated | Kind::Space | Kind::OpenComment => return Err(()),
    };
    Ok(TokenWithSpan::new(token, span_of(tok.start, tok.end)))
}

/// FNV-1a: a fast hash for the short keys of the keyword table.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type KeywordMap = std::collections::HashMap<&'static [u8], Keyword, std::hash::BuildHasherDefault<Fnv>>;

/// sqlparser's keyword for an unquoted word: the same answer as `Token::make_word`, which
/// binary-searches ~900 keywords folding case in every comparison (the largest single cost of
/// parsing a short statement when measured). Here the word is upper-cased once into a stack
/// buffer and looked up in a hash table built on first use.
pub(crate) fn keyword(word: &str) -> Keyword {
    static MAP: std::sync::OnceLock<KeywordMap> = std::sync::OnceLock::new();
    let map =
        MAP.get_or_init(|| ALL_KEYWORDS.iter().zip(ALL_KEYWORDS_INDEX).map(|(k, v)| (k.as_bytes(), *v)).collect());
    let b = word.as_bytes();
    let mut buf = [0u8; 48];
    if b.len() > buf.len() {
        return Keyword::NoKeyword;
    }
    for (d, s) in buf.iter_mut().zip(b) {
        *d = s.to_ascii_uppercase();
    }
    map.get(&buf[..b.len()]).copied().unwrap_or(Keyword::NoKeyword)
}

pub(crate) fn span_of(start: usize, end: usize) -> Span {
    Span::new(Location::new(1, start as u64 + 1), Location::new(1, end as u64 + 1))
}

/// The byte offset a sqlparser location stands for (see [`to_sqlparser`]); None for the empty
/// location sqlparser uses for EOF and synthesized nodes.
pub(crate) fn offset_of(loc: Location) -> Option<usize> {
    if loc.line == 0 || loc.column == 0 {
        None
    } else {
        Some(loc.column as usize - 1)
    }
}

/// Removes the quote doubling inside a quoted token (`it''s` -> `it's`).
fn dequote(inner: &str, q: char) -> String {
    let doubled = match q {
        '\'' => "''",
        '"' => "\"\"",
        _ => "``",
    };
    if inner.contains(doubled) {
        inner.replace(doubled, &doubled[..1])
    } else {
        inner.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(Kind, &str)> {
        tokenize(sql).iter().map(|t| (t.kind, t.text(sql))).collect()
    }

    #[test]
    fn tokens_follow_sqlite() {
        use Kind::*;
        let cases: &[(&str, &[(Kind, &str)])] = &[
            ("0x1F", &[(Number, "0x1F")]),
            ("0x", &[(Illegal, "0x")]),
            ("1abc", &[(Illegal, "1abc")]),
            ("1e", &[(Illegal, "1e")]),
            ("1e+5 1.5e-3 .5 1.", &[(Number, "1e+5"), (Number, "1.5e-3"), (Number, ".5"), (Number, "1.")]),
            ("1.5.5", &[(Number, "1.5"), (Number, ".5")]),
            ("1_000", &[(Number, "1_000")]),
            ("1__0", &[(Illegal, "1__0")]),
            ("x'0a' X'' x'0'", &[(Blob, "x'0a'"), (Blob, "X''"), (Illegal, "x'0'")]),
            (
                "? ?12 :a @b $c #d",
                &[
                    (Variable, "?"),
                    (Variable, "?12"),
                    (Variable, ":a"),
                    (Variable, "@b"),
                    (Variable, "$c"),
                    (Variable, "#d"),
                ],
            ),
            (": @", &[(Illegal, ":"), (Illegal, "@")]),
            ("$a::b(c) x", &[(Variable, "$a::b(c)"), (Word, "x")]),
            (
                "'it''s' \"a\"\"b\" [x y] `q`",
                &[
                    (String, "'it''s'"),
                    (QuotedId(b'"'), "\"a\"\"b\""),
                    (QuotedId(b'['), "[x y]"),
                    (QuotedId(b'`'), "`q`"),
                ],
            ),
            ("'abc", &[(Unterminated, "'abc")]),
            (
                "a->b->>c",
                &[
                    (Word, "a"),
                    (Punct(self::Punct::Arrow), "->"),
                    (Word, "b"),
                    (Punct(self::Punct::LongArrow), "->>"),
                    (Word, "c"),
                ],
            ),
            (
                "a<>b!=c==d<=e>=f<<g>>h||i|j",
                &[
                    (Word, "a"),
                    (Punct(self::Punct::Ne), "<>"),
                    (Word, "b"),
                    (Punct(self::Punct::Ne), "!="),
                    (Word, "c"),
                    (Punct(self::Punct::EqEq), "=="),
                    (Word, "d"),
                    (Punct(self::Punct::Le), "<="),
                    (Word, "e"),
                    (Punct(self::Punct::Ge), ">="),
                    (Word, "f"),
                    (Punct(self::Punct::Lshift), "<<"),
                    (Word, "g"),
                    (Punct(self::Punct::Rshift), ">>"),
                    (Word, "h"),
                    (Punct(self::Punct::Concat), "||"),
                    (Word, "i"),
                    (Punct(self::Punct::BitOr), "|"),
                    (Word, "j"),
                ],
            ),
            ("a$b é_1 -- c\n/* d */ e", &[(Word, "a$b"), (Word, "é_1"), (Word, "e")]),
            ("! #", &[(Illegal, "!"), (Illegal, "#")]),
        ];
        for (sql, want) in cases {
            assert_eq!(&kinds(sql), want, "{sql}");
        }
    }

    #[test]
    fn keyword_lookup_agrees_with_sqlparser() {
        for &k in ALL_KEYWORDS {
            for w in [k.to_string(), k.to_ascii_lowercase()] {
                let Token::Word(want) = Token::make_word(&w, None) else { unreachable!() };
                assert_eq!(keyword(&w), want.keyword, "{w}");
            }
        }
        for w in ["", "a", "selectx", "é", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"] {
            assert_eq!(keyword(w), Keyword::NoKeyword, "{w}");
        }
    }

    #[test]
    fn complete_matches_sqlite3_complete() {
        // Expected values are what sqlite3_complete() returns (checked with the sqlite3 shell's
        // line continuation and SQLite's own test cases in test/complete.test).
        let cases = [
            ("", false),
            ("select 1", false),
            ("select 1;", true),
            ("select 1; ", true),
            ("select 1; -- c", false),
            ("select 1; -- c\n", true),
            ("select 1 -- c;", false),
            ("select ';", false),
            ("select 1 /* ; ", false),
            ("select 1 /* ; */;", true),
            ("create trigger t after insert on x begin select 1;", false),
            ("create trigger t after insert on x begin select 1; end", false),
            ("create trigger t after insert on x begin select 1; end;", true),
            ("create temp trigger t after insert on x begin select 1; end ;", true),
            ("explain create trigger t after insert on x begin select 1;", false),
            ("create table trigger(a);", true),
            ("select [a;", false),
            (";", true),
        ];
        for (sql, want) in cases {
            assert_eq!(is_complete(sql), want, "{sql:?}");
        }
    }
}
