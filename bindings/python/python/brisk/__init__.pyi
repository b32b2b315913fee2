"""Type stubs for brisk, a drop-in for the standard sqlite3 module."""

import datetime
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from os import PathLike
from types import TracebackType
from typing import Any, Final, Literal, TypeVar, overload

from _typeshed import ReadableBuffer
from typing_extensions import Self, TypeAlias

_T = TypeVar("_T")
_CursorT = TypeVar("_CursorT", bound=Cursor)
_SqliteData: TypeAlias = str | bytes | int | float | None
_AdaptedInputData: TypeAlias = _SqliteData | Any
_Parameters: TypeAlias = Sequence[_AdaptedInputData] | Mapping[str, _AdaptedInputData]
_IsolationLevel: TypeAlias = Literal["DEFERRED", "EXCLUSIVE", "IMMEDIATE"] | str | None

paramstyle: Final[str]
apilevel: Final[str]
threadsafety: Final[int]
version: Final[str]
version_info: Final[tuple[int, int, int]]
sqlite_version: Final[str]
sqlite_version_info: Final[tuple[int, int, int]]
brisk_version: Final[str]
PARSE_DECLTYPES: Final[int]
PARSE_COLNAMES: Final[int]
LEGACY_TRANSACTION_CONTROL: Final[int]

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = memoryview

def DateFromTicks(ticks: float) -> datetime.date: ...
def TimeFromTicks(ticks: float) -> datetime.time: ...
def TimestampFromTicks(ticks: float) -> datetime.datetime: ...

adapters: dict[tuple[type[Any], Any], Callable[[Any], Any]]
converters: dict[str, Callable[[bytes], Any]]

def register_adapter(type: type[_T], adapter: Callable[[_T], _SqliteData], /) -> None: ...
def register_converter(typename: str, converter: Callable[[bytes], Any], /) -> None: ...
def adapt(obj: Any, proto: Any = ..., alt: _T = ..., /) -> Any: ...
def complete_statement(statement: str) -> bool: ...
def enable_callback_tracebacks(enable: bool, /) -> None: ...
def connect(
    database: str | bytes | PathLike[str] | PathLike[bytes],
    timeout: float = 5.0,
    detect_types: int = 0,
    isolation_level: _IsolationLevel = "",
    check_same_thread: bool = True,
    factory: type[Connection] | None = ...,
    cached_statements: int = 128,
    uri: bool = False,
    *,
    autocommit: bool | int = ...,
) -> Connection: ...

class PrepareProtocol: ...

class Warning(Exception): ...
class Error(Exception):
    sqlite_errorcode: int
    sqlite_errorname: str
class InterfaceError(Error): ...
class DatabaseError(Error): ...
class DataError(DatabaseError): ...
class OperationalError(DatabaseError): ...
class IntegrityError(DatabaseError): ...
class InternalError(DatabaseError): ...
class ProgrammingError(DatabaseError): ...
class NotSupportedError(DatabaseError): ...

class Connection:
    Warning: type[Warning]
    Error: type[Error]
    InterfaceError: type[InterfaceError]
    DatabaseError: type[DatabaseError]
    DataError: type[DataError]
    OperationalError: type[OperationalError]
    IntegrityError: type[IntegrityError]
    InternalError: type[InternalError]
    ProgrammingError: type[ProgrammingError]
    NotSupportedError: type[NotSupportedError]
    row_factory: Callable[[Cursor, tuple[Any, ...]], Any] | None
    text_factory: Callable[[bytes], Any]
    isolation_level: str | None
    autocommit: bool | int
    @property
    def in_transaction(self) -> bool: ...
    @property
    def total_changes(self) -> int: ...
    def __init__(
        self,
        database: str | bytes | PathLike[str] | PathLike[bytes],
        timeout: float = 5.0,
        detect_types: int = 0,
        isolation_level: _IsolationLevel = "",
        check_same_thread: bool = True,
        factory: type[Connection] | None = None,
        cached_statements: int = 128,
        uri: bool = False,
        *,
        autocommit: bool | int = ...,
    ) -> None: ...
    @overload
    def cursor(self, factory: None = None) -> Cursor: ...
    @overload
    def cursor(self, factory: Callable[[Connection], _CursorT]) -> _CursorT: ...
    def execute(self, sql: str, parameters: _Parameters = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[_Parameters], /) -> Cursor: ...
    def executescript(self, sql_script: str, /) -> Cursor: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...
    def interrupt(self) -> None: ...
    def iterdump(self) -> Generator[str, None, None]: ...
    def serialize(self, *, name: str = "main") -> bytes: ...
    def backup(
        self,
        target: Connection,
        *,
        pages: int = -1,
        progress: Callable[[int, int, int], object] | None = None,
        name: str = "main",
        sleep: float = 0.25,
    ) -> None: ...
    # User callbacks. They must not use this same connection: doing so raises ProgrammingError.
    def create_function(self, name: str, narg: int, func: Callable[..., Any] | None, *, deterministic: bool = False) -> None: ...
    def create_aggregate(self, name: str, n_arg: int, aggregate_class: Callable[[], Any] | None) -> None: ...
    def create_collation(self, name: str, callable: Callable[[str, str], int] | None, /) -> None: ...
    def set_progress_handler(self, progress_handler: Callable[[], object] | None, n: int) -> None: ...
    def deserialize(self, data: ReadableBuffer | str, /, *, name: str = "main") -> None: ...
    # Not supported yet: each raises NotSupportedError.
    def create_window_function(self, name: str, num_params: int, aggregate_class: Callable[[], Any] | None, /) -> None: ...
    def set_authorizer(self, authorizer_callback: Callable[..., int] | None) -> None: ...
    def set_trace_callback(self, trace_callback: Callable[[str], object] | None) -> None: ...
    def blobopen(self, table: str, column: str, row: int, /, *, readonly: bool = False, name: str = "main") -> Blob: ...
    def enable_load_extension(self, enable: bool, /) -> None: ...
    def load_extension(self, name: str, /, *, entrypoint: str | None = None) -> None: ...
    def getlimit(self, category: int, /) -> int: ...
    def setlimit(self, category: int, limit: int, /) -> int: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self, type: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None, /
    ) -> Literal[False]: ...

class Blob:
    def close(self) -> None: ...
    def read(self, length: int = -1, /) -> bytes: ...
    def write(self, data: bytes | bytearray | memoryview, /) -> None: ...
    def tell(self) -> int: ...
    def seek(self, offset: int, origin: int = 0, /) -> None: ...
    def __len__(self) -> int: ...
    def __enter__(self) -> Blob: ...
    def __exit__(self, *exc: object) -> Literal[False]: ...
    def __getitem__(self, key: int | slice) -> Any: ...
    def __setitem__(self, key: int | slice, value: Any) -> None: ...

class Cursor(Iterator[Any]):
    arraysize: int
    row_factory: Callable[[Cursor, tuple[Any, ...]], Any] | None
    @property
    def connection(self) -> Connection: ...
    @property
    def description(self) -> tuple[tuple[str, None, None, None, None, None, None], ...] | None: ...
    @property
    def lastrowid(self) -> int | None: ...
    @property
    def rowcount(self) -> int: ...
    def __init__(self, connection: Connection, /) -> None: ...
    def execute(self, sql: str, parameters: _Parameters = ..., /) -> Self: ...
    def executemany(self, sql: str, seq_of_parameters: Iterable[_Parameters], /) -> Self: ...
    def executescript(self, sql_script: str, /) -> Self: ...
    def fetchone(self) -> Any: ...
    def fetchmany(self, size: int | None = ...) -> list[Any]: ...
    def fetchall(self) -> list[Any]: ...
    def close(self) -> None: ...
    def setinputsizes(self, sizes: object, /) -> None: ...
    def setoutputsize(self, size: object, column: object = None, /) -> None: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> Any: ...

class Row(Sequence[Any]):
    def __new__(cls, cursor: Cursor, data: tuple[Any, ...], /) -> Self: ...
    def keys(self) -> list[str]: ...
    @overload
    def __getitem__(self, key: int | str, /) -> Any: ...
    @overload
    def __getitem__(self, key: slice, /) -> tuple[Any, ...]: ...
    def __hash__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

# Result codes, authorizer action codes, limit categories and db_config options.
SQLITE_OK: Final[int]
SQLITE_OK_LOAD_PERMANENTLY: Final[int]
SQLITE_OK_SYMLINK: Final[int]
SQLITE_ERROR: Final[int]
SQLITE_ERROR_MISSING_COLLSEQ: Final[int]
SQLITE_ERROR_RETRY: Final[int]
SQLITE_ERROR_SNAPSHOT: Final[int]
SQLITE_INTERNAL: Final[int]
SQLITE_PERM: Final[int]
SQLITE_ABORT: Final[int]
SQLITE_ABORT_ROLLBACK: Final[int]
SQLITE_BUSY: Final[int]
SQLITE_BUSY_RECOVERY: Final[int]
SQLITE_BUSY_SNAPSHOT: Final[int]
SQLITE_BUSY_TIMEOUT: Final[int]
SQLITE_LOCKED: Final[int]
SQLITE_LOCKED_SHAREDCACHE: Final[int]
SQLITE_LOCKED_VTAB: Final[int]
SQLITE_NOMEM: Final[int]
SQLITE_READONLY: Final[int]
SQLITE_READONLY_RECOVERY: Final[int]
SQLITE_READONLY_CANTLOCK: Final[int]
SQLITE_READONLY_ROLLBACK: Final[int]
SQLITE_READONLY_DBMOVED: Final[int]
SQLITE_READONLY_CANTINIT: Final[int]
SQLITE_READONLY_DIRECTORY: Final[int]
SQLITE_INTERRUPT: Final[int]
SQLITE_IOERR: Final[int]
SQLITE_IOERR_READ: Final[int]
SQLITE_IOERR_SHORT_READ: Final[int]
SQLITE_IOERR_WRITE: Final[int]
SQLITE_IOERR_FSYNC: Final[int]
SQLITE_IOERR_DIR_FSYNC: Final[int]
SQLITE_IOERR_TRUNCATE: Final[int]
SQLITE_IOERR_FSTAT: Final[int]
SQLITE_IOERR_UNLOCK: Final[int]
SQLITE_IOERR_RDLOCK: Final[int]
SQLITE_IOERR_DELETE: Final[int]
SQLITE_IOERR_BLOCKED: Final[int]
SQLITE_IOERR_NOMEM: Final[int]
SQLITE_IOERR_ACCESS: Final[int]
SQLITE_IOERR_CHECKRESERVEDLOCK: Final[int]
SQLITE_IOERR_LOCK: Final[int]
SQLITE_IOERR_CLOSE: Final[int]
SQLITE_IOERR_DIR_CLOSE: Final[int]
SQLITE_IOERR_SHMOPEN: Final[int]
SQLITE_IOERR_SHMSIZE: Final[int]
SQLITE_IOERR_SHMLOCK: Final[int]
SQLITE_IOERR_SHMMAP: Final[int]
SQLITE_IOERR_SEEK: Final[int]
SQLITE_IOERR_DELETE_NOENT: Final[int]
SQLITE_IOERR_MMAP: Final[int]
SQLITE_IOERR_GETTEMPPATH: Final[int]
SQLITE_IOERR_CONVPATH: Final[int]
SQLITE_IOERR_VNODE: Final[int]
SQLITE_IOERR_AUTH: Final[int]
SQLITE_IOERR_BEGIN_ATOMIC: Final[int]
SQLITE_IOERR_COMMIT_ATOMIC: Final[int]
SQLITE_IOERR_ROLLBACK_ATOMIC: Final[int]
SQLITE_IOERR_DATA: Final[int]
SQLITE_IOERR_CORRUPTFS: Final[int]
SQLITE_CORRUPT: Final[int]
SQLITE_CORRUPT_VTAB: Final[int]
SQLITE_CORRUPT_SEQUENCE: Final[int]
SQLITE_CORRUPT_INDEX: Final[int]
SQLITE_NOTFOUND: Final[int]
SQLITE_FULL: Final[int]
SQLITE_CANTOPEN: Final[int]
SQLITE_CANTOPEN_NOTEMPDIR: Final[int]
SQLITE_CANTOPEN_ISDIR: Final[int]
SQLITE_CANTOPEN_FULLPATH: Final[int]
SQLITE_CANTOPEN_CONVPATH: Final[int]
SQLITE_CANTOPEN_DIRTYWAL: Final[int]
SQLITE_CANTOPEN_SYMLINK: Final[int]
SQLITE_PROTOCOL: Final[int]
SQLITE_EMPTY: Final[int]
SQLITE_SCHEMA: Final[int]
SQLITE_TOOBIG: Final[int]
SQLITE_CONSTRAINT: Final[int]
SQLITE_CONSTRAINT_CHECK: Final[int]
SQLITE_CONSTRAINT_COMMITHOOK: Final[int]
SQLITE_CONSTRAINT_FOREIGNKEY: Final[int]
SQLITE_CONSTRAINT_FUNCTION: Final[int]
SQLITE_CONSTRAINT_NOTNULL: Final[int]
SQLITE_CONSTRAINT_PRIMARYKEY: Final[int]
SQLITE_CONSTRAINT_TRIGGER: Final[int]
SQLITE_CONSTRAINT_UNIQUE: Final[int]
SQLITE_CONSTRAINT_VTAB: Final[int]
SQLITE_CONSTRAINT_ROWID: Final[int]
SQLITE_CONSTRAINT_PINNED: Final[int]
SQLITE_MISMATCH: Final[int]
SQLITE_MISUSE: Final[int]
SQLITE_NOLFS: Final[int]
SQLITE_AUTH: Final[int]
SQLITE_AUTH_USER: Final[int]
SQLITE_FORMAT: Final[int]
SQLITE_RANGE: Final[int]
SQLITE_NOTADB: Final[int]
SQLITE_NOTICE: Final[int]
SQLITE_NOTICE_RECOVER_WAL: Final[int]
SQLITE_NOTICE_RECOVER_ROLLBACK: Final[int]
SQLITE_WARNING: Final[int]
SQLITE_WARNING_AUTOINDEX: Final[int]
SQLITE_ROW: Final[int]
SQLITE_DONE: Final[int]
SQLITE_LIMIT_LENGTH: Final[int]
SQLITE_CREATE_INDEX: Final[int]
SQLITE_DENY: Final[int]
SQLITE_LIMIT_SQL_LENGTH: Final[int]
SQLITE_CREATE_TABLE: Final[int]
SQLITE_IGNORE: Final[int]
SQLITE_LIMIT_COLUMN: Final[int]
SQLITE_CREATE_TEMP_INDEX: Final[int]
SQLITE_LIMIT_EXPR_DEPTH: Final[int]
SQLITE_CREATE_TEMP_TABLE: Final[int]
SQLITE_LIMIT_COMPOUND_SELECT: Final[int]
SQLITE_CREATE_TEMP_TRIGGER: Final[int]
SQLITE_LIMIT_VDBE_OP: Final[int]
SQLITE_CREATE_TEMP_VIEW: Final[int]
SQLITE_LIMIT_FUNCTION_ARG: Final[int]
SQLITE_CREATE_TRIGGER: Final[int]
SQLITE_LIMIT_ATTACHED: Final[int]
SQLITE_CREATE_VIEW: Final[int]
SQLITE_LIMIT_LIKE_PATTERN_LENGTH: Final[int]
SQLITE_DELETE: Final[int]
SQLITE_LIMIT_VARIABLE_NUMBER: Final[int]
SQLITE_DROP_INDEX: Final[int]
SQLITE_LIMIT_TRIGGER_DEPTH: Final[int]
SQLITE_DROP_TABLE: Final[int]
SQLITE_LIMIT_WORKER_THREADS: Final[int]
SQLITE_DROP_TEMP_INDEX: Final[int]
SQLITE_DROP_TEMP_TABLE: Final[int]
SQLITE_DROP_TEMP_TRIGGER: Final[int]
SQLITE_DROP_TEMP_VIEW: Final[int]
SQLITE_DROP_TRIGGER: Final[int]
SQLITE_DROP_VIEW: Final[int]
SQLITE_INSERT: Final[int]
SQLITE_PRAGMA: Final[int]
SQLITE_READ: Final[int]
SQLITE_SELECT: Final[int]
SQLITE_TRANSACTION: Final[int]
SQLITE_UPDATE: Final[int]
SQLITE_ATTACH: Final[int]
SQLITE_DETACH: Final[int]
SQLITE_ALTER_TABLE: Final[int]
SQLITE_REINDEX: Final[int]
SQLITE_ANALYZE: Final[int]
SQLITE_CREATE_VTABLE: Final[int]
SQLITE_DROP_VTABLE: Final[int]
SQLITE_FUNCTION: Final[int]
SQLITE_SAVEPOINT: Final[int]
SQLITE_RECURSIVE: Final[int]
SQLITE_DBCONFIG_ENABLE_FKEY: Final[int]
SQLITE_DBCONFIG_ENABLE_TRIGGER: Final[int]
SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER: Final[int]
SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION: Final[int]
SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE: Final[int]
SQLITE_DBCONFIG_ENABLE_QPSG: Final[int]
SQLITE_DBCONFIG_TRIGGER_EQP: Final[int]
SQLITE_DBCONFIG_RESET_DATABASE: Final[int]
SQLITE_DBCONFIG_DEFENSIVE: Final[int]
SQLITE_DBCONFIG_WRITABLE_SCHEMA: Final[int]
SQLITE_DBCONFIG_LEGACY_ALTER_TABLE: Final[int]
SQLITE_DBCONFIG_DQS_DML: Final[int]
SQLITE_DBCONFIG_DQS_DDL: Final[int]
SQLITE_DBCONFIG_ENABLE_VIEW: Final[int]
SQLITE_DBCONFIG_LEGACY_FILE_FORMAT: Final[int]
SQLITE_DBCONFIG_TRUSTED_SCHEMA: Final[int]
