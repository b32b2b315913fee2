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

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A generic SQL error (`SQLITE_ERROR`): parse errors, unknown tables and columns, misuse of SQL.
    #[error("{0}")]
    Sql(String),
    /// An I/O failure (`SQLITE_IOERR_*`); `code` is the extended result code.
    #[error("disk I/O error")]
    Io { code: i32, detail: String },
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
            Error::Sql(_) => ResultCode::Error,
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
            other => other.code() as i32,
        }
    }

    pub fn corrupt(detail: impl Into<String>) -> Error {
        Error::Corrupt(detail.into())
    }

    pub fn sql(message: impl Into<String>) -> Error {
        Error::Sql(message.into())
    }

    pub fn io(code: i32, detail: impl Into<String>) -> Error {
        Error::Io { code, detail: detail.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
