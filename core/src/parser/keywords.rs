//! SQLite's keywords (`sqlite3_keyword_check`): the 147 words SQLite's tokenizer knows, which an
//! identifier must be quoted to use. The shell quotes names with them; SQLite's own tokenizer
//! treats many as identifiers where the grammar allows (the "fallback" rule), so the parser does
//! not use this list.

/// Every SQLite keyword, upper case, sorted.
pub const KEYWORDS: [&str; 147] = [
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

/// True if `word` is an SQLite keyword, in any case.
pub fn is_keyword(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    KEYWORDS.binary_search(&upper.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_found_in_any_case() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        for w in ["select", "Order", "ROWID_NOT", "rowid", "t1", "current_timestamp", ""] {
            let want = matches!(w, "select" | "Order" | "current_timestamp");
            assert_eq!(is_keyword(w), want, "{w}");
        }
    }

    /// The list is SQLite's: bundled SQLite's `sqlite3_keyword_name` enumerates the same words.
    #[test]
    fn matches_bundled_sqlite() {
        let n = unsafe { rusqlite::ffi::sqlite3_keyword_count() };
        let mut theirs: Vec<String> = (0..n)
            .map(|i| {
                let mut z: *const std::os::raw::c_char = std::ptr::null();
                let mut len = 0;
                // SAFETY: i is below sqlite3_keyword_count(); SQLite returns a static string.
                unsafe {
                    rusqlite::ffi::sqlite3_keyword_name(i, &mut z, &mut len);
                    let bytes = std::slice::from_raw_parts(z as *const u8, len as usize);
                    String::from_utf8_lossy(bytes).into_owned()
                }
            })
            .collect();
        theirs.sort();
        assert_eq!(theirs, KEYWORDS.to_vec());
    }
}
