//! The one public error type. Each variant maps to a SQLite primary result code (and, where SQLite
//! reports one, an extended code), and its message is the text SQLite shows for the same failure.

/// SQLite's primary result codes, numbered as in `sqlite3.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ResultCode {
    Error = 1,
    Internal = 2,
    Perm = 3,
    Abort = 4,
    Busy = 5,
    Locked = 6,
    NoMem = 7,
    ReadOnly = 8,
    Interrupt = 9,
    IoErr = 10,
    Corrupt = 11,
    NotFound = 12,
    Full = 13,
    CantOpen = 14,
    Protocol = 15,
    Schema = 17,
    TooBig = 18,
    Constraint = 19,
    Mismatch = 20,
    Misuse = 21,
    Range = 25,
    NotADb = 26,
}

/// Extended constraint codes (`SQLITE_CONSTRAINT_*`), used where SQLite reports them.
pub mod extended {
    pub const IOERR_READ: i32 = 10 | (1 << 8);
    pub const IOERR_SHORT_READ: i32 = 10 | (2 << 8);
    pub const IOERR_WRITE: i32 = 10 | (3 << 8);
    pub const IOERR_FSYNC: i32 = 10 | (4 << 8);
    pub const IOERR_TRUNCATE: i32 = 10 | (6 << 8);
    pub const IOERR_DELETE: i32 = 10 | (10 << 8);
    pub const IOERR_LOCK: i32 = 10 | (15 << 8);
    pub const CONSTRAINT_CHECK: i32 = 19 | (1 << 8);
    pub const CONSTRAINT_TRIGGER: i32 = 19 | (7 << 8);
    pub const CONSTRAINT_NOTNULL: i32 = 19 | (5 << 8);
    pub const CONSTRAINT_PRIMARYKEY: i32 = 19 | (6 << 8);
    pub const CONSTRAINT_UNIQUE: i32 = 19 | (8 << 8);
    pub const CONSTRAINT_ROWID: i32 = 19 | (10 << 8);
}

/// Where in SQL text an error is (`sqlite3_error_offset`): the byte offset, and which parse of
/// which text it is an offset into (see `parser::parse_script`), so that an error found in SQL
/// stored in the schema (a view's, a trigger's) is never reported at an offset of the
/// statement being prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPos {
    pub offset: usize,
    /// The parse the offset belongs to; 0 for the statement being prepared itself.
    pub source: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A generic SQL error (`SQLITE_ERROR`): parse errors, unknown tables and columns, misuse of
    /// SQL; with the place in the SQL text it concerns, where SQLite reports one.
    #[error("{0}")]
    Sql(String, Option<ErrorPos>),
    /// An I/O failure (`SQLITE_IOERR_*`); `code` is the extended result code.
    #[error("disk I/O error")]
    Io { code: i32, detail: String },
    /// A collating sequence no one registered (`SQLITE_ERROR_MISSING_COLLSEQ`).
    #[error("no such collation sequence: {0}")]
    MissingCollation(String),
    /// The file is not a database (`SQLITE_NOTADB`).
    #[error("file is not a database")]
    NotADb,
    /// The database file is malformed (`SQLITE_CORRUPT`); the detail says where, for debugging.
    #[error("database disk image is malformed")]
    Corrupt(String),
    /// A constraint failed (`SQLITE_CONSTRAINT_*`); `code` is the extended result code.
    #[error("{message}")]
    Constraint { code: i32, message: String },
    /// Another connection holds a conflicting lock (`SQLITE_BUSY`).
    #[error("database is locked")]
    Busy,
    /// The file could not be opened (`SQLITE_CANTOPEN`).
    #[error("unable to open database file")]
    CantOpen(String),
    /// A write was attempted on a read-only database (`SQLITE_READONLY`).
    #[error("attempt to write a readonly database")]
    ReadOnly,
    /// The disk is full (`SQLITE_FULL`).
    #[error("database or disk is full")]
    Full,
    /// A string or blob exceeds the size limit (`SQLITE_TOOBIG`).
    #[error("string or blob too big")]
    TooBig,
    /// A parameter index is out of range (`SQLITE_RANGE`).
    #[error("column index out of range")]
    Range,
    /// The API was used wrongly (`SQLITE_MISUSE`).
    #[error("{0}")]
    Misuse(String),
    /// Datatype mismatch (`SQLITE_MISMATCH`).
    #[error("datatype mismatch")]
    Mismatch,
    /// The statement was interrupted (`SQLITE_INTERRUPT`).
    #[error("interrupted")]
    Interrupt,
    /// The statement was aborted, e.g. by ROLLBACK (`SQLITE_ABORT`).
    #[error("{0}")]
    Abort(String),
    /// Memory could not be allocated within the limits (`SQLITE_NOMEM`).
    #[error("out of memory")]
    NoMem,
    /// An internal error (`SQLITE_INTERNAL`).
    #[error("internal error: {0}")]
    Internal(String),
    /// The schema changed since the statement was compiled (`SQLITE_SCHEMA`); the API recompiles
    /// the statement and retries, as `sqlite3_prepare_v2` statements do.
    #[error("database schema has changed")]
    SchemaChanged,
}

impl Error {
    /// The primary result code, as `sqlite3_errcode() & 0xff` would give.
    pub fn code(&self) -> ResultCode {
        match self {
            Error::Sql(..) | Error::MissingCollation(_) => ResultCode::Error,
            Error::Io { .. } => ResultCode::IoErr,
            Error::NotADb => ResultCode::NotADb,
            Error::Corrupt(_) => ResultCode::Corrupt,
            Error::Constraint { .. } => ResultCode::Constraint,
            Error::Busy => ResultCode::Busy,
            Error::CantOpen(_) => ResultCode::CantOpen,
            Error::ReadOnly => ResultCode::ReadOnly,
            Error::Full => ResultCode::Full,
            Error::TooBig => ResultCode::TooBig,
            Error::Range => ResultCode::Range,
            Error::Misuse(_) => ResultCode::Misuse,
            Error::Mismatch => ResultCode::Mismatch,
            Error::Interrupt => ResultCode::Interrupt,
            Error::Abort(_) => ResultCode::Abort,
            Error::NoMem => ResultCode::NoMem,
            Error::Internal(_) => ResultCode::Internal,
            Error::SchemaChanged => ResultCode::Schema,
        }
    }

    /// The extended result code, as `sqlite3_extended_errcode()` would give.
    pub fn extended_code(&self) -> i32 {
        match self {
            Error::Io { code, .. } | Error::Constraint { code, .. } => *code,
            Error::MissingCollation(_) => 257,
            other => other.code() as i32,
        }
    }

    pub fn corrupt(detail: impl Into<String>) -> Error {
        Error::Corrupt(detail.into())
    }

    pub fn sql(message: impl Into<String>) -> Error {
        Error::Sql(message.into(), None)
    }

    /// A SQL error about the name at `pos` (when the parser knows where it was).
    pub fn sql_at(message: impl Into<String>, pos: Option<ErrorPos>) -> Error {
        Error::Sql(message.into(), pos)
    }

    /// The byte offset in the SQL text given to `prepare` of the token the error is about, as
    /// `sqlite3_error_offset` reports it: syntax errors, and names that do not resolve (no such
    /// column or function, ambiguous column names, objects that already exist).
    pub fn offset(&self) -> Option<usize> {
        match self {
            Error::Sql(_, Some(pos)) if pos.source == 0 => Some(pos.offset),
            _ => None,
        }
    }

    /// Keeps the error's offset only if it is into the parse `source` (the statement being
    /// prepared), marking it so; an offset into other SQL text is dropped.
    pub fn located_in(self, source: u32) -> Error {
        match self {
            Error::Sql(m, Some(pos)) => {
                let pos = (pos.source == source).then_some(ErrorPos { offset: pos.offset, source: 0 });
                Error::Sql(m, pos)
            }
            other => other,
        }
    }

    pub fn io(code: i32, detail: impl Into<String>) -> Error {
        Error::Io { code, detail: detail.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
