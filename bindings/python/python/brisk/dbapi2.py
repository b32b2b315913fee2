"""The DB-API 2.0 interface (PEP 249) over Brisk, with the extensions of CPython's sqlite3 module.

This is the Python half of `brisk`; `brisk._brisk` is the native half (opening, preparing,
binding, stepping, and the exception classes). Behaviour follows CPython 3.11's `_sqlite`
module (Modules/_sqlite/connection.c, cursor.c, statement.c, microprotocols.c, row.c), with
3.12's `autocommit` attribute. Each method below names the CPython behaviour it reproduces
where that is not obvious.

Transactions (the three modes of `Connection.autocommit`):
- LEGACY_TRANSACTION_CONTROL (the default): `isolation_level` governs. When it is not None, a
  BEGIN is issued before an INSERT, UPDATE, DELETE or REPLACE that runs outside a transaction;
  `executescript` commits an open transaction first; `commit` and `rollback` act only when a
  transaction is open.
- True: the engine's own autocommit; no implicit statements, `commit`/`rollback` do nothing.
- False: a transaction is always open; `commit` and `rollback` end it and BEGIN the next,
  `close` rolls it back.
"""

import builtins
import collections.abc
import datetime
import operator
import os
import threading
import time

from brisk import _brisk
from brisk._brisk import (  # noqa: F401  (re-exported)
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
    complete_statement,
)
from brisk._constants import *  # noqa: F401,F403  (the SQLITE_* constants)

paramstyle = "qmark"
apilevel = "2.0"
# Connections and cursors may be shared between threads (with check_same_thread=False): each
# engine call is serialized on the connection, as SQLite's serialized threading mode does.
threadsafety = 3

# The pysqlite version the sqlite3 module reports (deprecated there since 3.12).
version = "2.6.0"
version_info = (2, 6, 0)
# The SQLite version Brisk follows (sqlite_version() in SQL gives the same).
sqlite_version = _brisk.SQLITE_VERSION
sqlite_version_info = tuple(int(x) for x in sqlite_version.split("."))
# Brisk's own version.
brisk_version = _brisk.BRISK_VERSION

PARSE_DECLTYPES = 1
PARSE_COLNAMES = 2
LEGACY_TRANSACTION_CONTROL = -1

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = memoryview


def DateFromTicks(ticks):
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks):
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks):
    return Timestamp(*time.localtime(ticks)[:6])


class PrepareProtocol:
    """The protocol `adapt` adapts to: a value SQLite can store."""

    __module__ = "brisk"


# (type, protocol) -> adapter, as sqlite3.adapters.
adapters = {}
# Upper-cased type name -> converter, as sqlite3.converters.
converters = {}
# Set once an adapter is registered for int, float, str or bytearray: from then on every
# parameter is looked up in `adapters` (CPython's pysqlite_BaseTypeAdapted).
_base_type_adapted = False
_BASE_TYPES = (int, float, str, bytearray)


def register_adapter(type, adapter, /):
    """Registers `adapter(value)` to turn values of `type` into ones SQLite can store."""
    global _base_type_adapted
    if type in _BASE_TYPES:
        _base_type_adapted = True
        _brisk.set_base_type_adapted()
    adapters[(type, PrepareProtocol)] = adapter


def register_converter(typename, converter, /):
    """Registers `converter(bytes)` for columns declared (or named, with PARSE_COLNAMES) `typename`."""
    if not isinstance(typename, str):
        raise TypeError(f"register_converter() argument 1 must be str, not {type(typename).__name__}")
    converters[typename.upper()] = converter


_MISSING = object()


def adapt(obj, proto=PrepareProtocol, alt=_MISSING, /):
    """Adapts `obj` to `proto`: a registered adapter, then `proto.__adapt__`, then
    `obj.__conform__(proto)`; else `alt`, or ProgrammingError without one (microprotocols.c)."""
    adapter = adapters.get((type(obj), proto))
    if adapter is not None:
        return adapter(obj)
    adapt_method = getattr(proto, "__adapt__", None)
    if adapt_method is not None:
        adapted = adapt_method(obj)
        if adapted is not None:
            return adapted
    conform = getattr(obj, "__conform__", None)
    if conform is not None:
        adapted = conform(proto)
        if adapted is not None:
            return adapted
    if alt is not _MISSING:
        return alt
    raise ProgrammingError("can't adapt")


def _register_default_adapters_and_converters():
    # The adapters and converters CPython 3.11 registers at import (deprecated in 3.12).
    def adapt_date(val):
        return val.isoformat()

    def adapt_datetime(val):
        return val.isoformat(" ")

    def convert_date(val):
        return datetime.date(*map(int, val.split(b"-")))

    def convert_timestamp(val):
        datepart, timepart = val.split(b" ")
        year, month, day = map(int, datepart.split(b"-"))
        timepart_full = timepart.split(b".")
        hours, minutes, seconds = map(int, timepart_full[0].split(b":"))
        microseconds = int("{:0<6.6}".format(timepart_full[1].decode())) if len(timepart_full) == 2 else 0
        return datetime.datetime(year, month, day, hours, minutes, seconds, microseconds)

    register_adapter(datetime.date, adapt_date)
    register_adapter(datetime.datetime, adapt_datetime)
    register_converter("date", convert_date)
    register_converter("timestamp", convert_timestamp)


_register_default_adapters_and_converters()


class Row:
    """A result row indexed by position and by case-insensitive column name (row.c)."""

    __module__ = "brisk"
    __slots__ = ("_description", "_data")

    def __new__(cls, cursor, data, /):
        if not isinstance(cursor, Cursor):
            raise TypeError(f"Row() argument 1 must be {__name__}.Cursor, not {type(cursor).__name__}")
        if not isinstance(data, tuple):
            raise TypeError(f"Row() argument 2 must be tuple, not {type(data).__name__}")
        self = object.__new__(cls)
        self._description = cursor.description
        self._data = data
        return self

    def keys(self):
        if self._description is None:
            return []
        return [d[0] for d in self._description]

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._data[key]
        if isinstance(key, str):
            if self._description is not None:
                folded = key.casefold() if key.isascii() else None
                for i, d in enumerate(self._description):
                    name = d[0]
                    # SQLite compares names case-insensitively in ASCII only, as row.c does.
                    if name == key or (folded is not None and name.isascii() and name.casefold() == folded):
                        return self._data[i]
            raise IndexError("No item with that key")
        if isinstance(key, slice):
            return self._data[key]
        raise IndexError("Index must be int or string")

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        return iter(self._data)

    def __eq__(self, other):
        if not isinstance(other, Row):
            return NotImplemented
        return self._description == other._description and self._data == other._data

    def __ne__(self, other):
        if not isinstance(other, Row):
            return NotImplemented
        return not self == other

    def __hash__(self):
        return hash(self._description) ^ hash(self._data)

    def __lt__(self, other):
        return NotImplemented

    __le__ = __gt__ = __ge__ = __lt__


collections.abc.Sequence.register(Row)


def _check_autocommit(value):
    if value is True or value is False:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value == LEGACY_TRANSACTION_CONTROL:
        return LEGACY_TRANSACTION_CONTROL
    raise ValueError("autocommit must be True, False, or sqlite3.LEGACY_TRANSACTION_CONTROL")


def _check_isolation_level(level):
    if level is None:
        return None
    if not isinstance(level, str):
        raise TypeError("isolation_level must be str or None")
    upper = level.upper()
    if upper not in ("", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
        raise ValueError("isolation_level string must be '', 'DEFERRED', 'IMMEDIATE', or 'EXCLUSIVE'")
    return upper


def _open_args(database, uri):
    """The path and (read_only, create) flags for `database`, reading a `file:` URI when `uri`."""
    if isinstance(database, (str, bytes, os.PathLike)):
        path = os.fsdecode(database)
    else:
        raise TypeError(f"expected str, bytes or os.PathLike object, not {type(database).__name__}")
    if not uri or not path.startswith("file:"):
        return path, False, True
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(path)
    if parts.netloc not in ("", "localhost"):
        raise OperationalError(f"invalid uri authority: {parts.netloc}")
    params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    target = unquote(parts.path)
    mode = params.get("mode", "rwc")
    if mode == "memory" or target == ":memory:":
        return ":memory:", False, True
    if mode not in ("ro", "rw", "rwc"):
        raise OperationalError(f"no such access mode: {mode}")
    return target, mode == "ro", mode == "rwc"


class Connection:
    """A connection to a Brisk database (sqlite3.Connection)."""

    __module__ = "brisk"

    def __init__(
        self,
        database,
        timeout=5.0,
        detect_types=0,
        isolation_level="",
        check_same_thread=True,
        factory=None,
        cached_statements=128,
        uri=False,
        *,
        autocommit=LEGACY_TRANSACTION_CONTROL,
    ):
        path, read_only, create = _open_args(database, uri)
        self._isolation_level = _check_isolation_level(isolation_level)
        self._autocommit = _check_autocommit(autocommit)
        self._thread_ident = threading.get_ident()
        self._check_same_thread = bool(check_same_thread)
        self._detect_types = int(detect_types)
        # The statement cache lives in the native connection, with what the native cursor
        # checks on every call.
        self._native = _brisk.NativeConnection(
            path,
            read_only,
            create,
            float(timeout),
            self._thread_ident,
            self._check_same_thread,
            bool(self._detect_types),
            bool(self._detect_types & PARSE_COLNAMES),
            max(int(cached_statements), 0),
        )
        # A private in-memory database, which a backup can replace with a page copy.
        self._in_memory = path in (":memory:", "")
        self._closed = False
        self.row_factory = None
        self.text_factory = str
        if self._autocommit is False:
            self._exec("BEGIN")

    # Checks, in CPython's order: thread, then open connection.

    def _check_thread(self):
        if self._check_same_thread and threading.get_ident() != self._thread_ident:
            raise ProgrammingError(
                "SQLite objects created in a thread can only be used in that same thread. "
                f"The object was created in thread id {self._thread_ident} "
                f"and this is thread id {threading.get_ident()}."
            )

    def _check(self):
        if self._check_same_thread and threading.get_ident() != self._thread_ident:
            self._check_thread()
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed database.")

    def _exec(self, sql):
        """Runs one transaction-control statement (connection_exec_stmt), waiting out locks."""
        stmt = self._native.prepare(sql)[0]
        while stmt.step() is not None:
            pass

    def _in_transaction(self):
        return self._native.in_transaction()

    # Attributes.

    @property
    def isolation_level(self):
        self._check()
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value):
        self._check()
        level = _check_isolation_level(value)
        self._isolation_level = level
        if level is None:
            # Re-enables autocommit: an open transaction is committed (as commit() would).
            self.commit()

    @property
    def autocommit(self):
        self._check()
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value):
        self._check()
        self._autocommit = _check_autocommit(value)
        if self._autocommit is True and self._in_transaction():
            self._exec("COMMIT")
        elif self._autocommit is False and not self._in_transaction():
            self._exec("BEGIN")

    @property
    def in_transaction(self):
        self._check()
        return self._in_transaction()

    @property
    def total_changes(self):
        self._check()
        return self._native.total_changes()

    # Error classes as attributes, as DB-API's optional extension has them.
    Warning = Warning
    Error = Error
    InterfaceError = InterfaceError
    DatabaseError = DatabaseError
    DataError = DataError
    OperationalError = OperationalError
    IntegrityError = IntegrityError
    InternalError = InternalError
    ProgrammingError = ProgrammingError
    NotSupportedError = NotSupportedError

    # Methods.

    def cursor(self, factory=None):
        self._check()
        cur = (factory or Cursor)(self)
        if not isinstance(cur, Cursor):
            raise TypeError(f"factory must return a cursor, not {type(cur).__name__}")
        if self.row_factory is not None and cur.row_factory is None:
            cur.row_factory = self.row_factory
        return cur

    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, parameters, /):
        return self.cursor().executemany(sql, parameters)

    def executescript(self, sql_script, /):
        return self.cursor().executescript(sql_script)

    def commit(self):
        self._end_transaction("COMMIT")

    def rollback(self):
        self._end_transaction("ROLLBACK")

    def _end_transaction(self, verb):
        """COMMIT or ROLLBACK as each autocommit mode has it: in legacy mode only when a
        transaction is open, with autocommit=False always and a new transaction begun at once,
        with autocommit=True never."""
        self._check()
        if self._autocommit == LEGACY_TRANSACTION_CONTROL:
            if self._in_transaction():
                self._exec(verb)
        elif self._autocommit is False:
            self._exec(verb)
            self._exec("BEGIN")

    def close(self):
        self._check_thread()
        if self._closed:
            return
        self._native.clear_cache()
        if self._autocommit is False and self._in_transaction():
            self._exec("ROLLBACK")
        self._closed = True
        self._native.close()

    def interrupt(self):
        # Any thread may interrupt (CPython checks only that the connection is open).
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed database.")
        self._native.interrupt()

    def __enter__(self):
        self._check()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is None and exc_value is None and traceback is None:
            try:
                self.commit()
            except BaseException:
                # A failed commit is rolled back before the error propagates.
                self.rollback()
                raise
        else:
            self.rollback()
        return False

    def __call__(self, sql):
        raise NotSupportedError("calling a connection to compile SQL is not supported by brisk")

    def iterdump(self):
        self._check()
        from brisk.dump import _iterdump

        return _iterdump(self)

    def serialize(self, *, name="main"):
        self._check()
        if name != "main":
            raise OperationalError(f"unable to serialize '{name}'")
        return self._native.serialize()

    def backup(self, target, *, pages=-1, progress=None, name="main", sleep=0.250):
        """Copies this database into `target` (another brisk Connection), in one go whatever
        `pages` says; `progress`, when given, is called once, with (SQLITE_DONE, 0, page count).

        An in-memory target gets an exact page copy (what sqlite3_backup makes). A file target
        gets a logical copy instead, since Brisk has no page-level backup into a file yet: its
        schema and rows are replaced by this database's in one transaction, with the same
        tables, rows, indexes, views and triggers, in a page layout that may differ."""
        self._check()
        if not isinstance(target, Connection):
            raise TypeError(f"backup() argument 1 must be {__name__}.Connection, not {type(target).__name__}")
        if target is self:
            raise ValueError("target cannot be the same connection instance")
        target._check()
        if name != "main":
            raise OperationalError(f"unknown database {name}")
        if progress is not None and not callable(progress):
            raise TypeError("progress argument must be a callable")
        if target._in_transaction():
            raise OperationalError("target is in transaction")
        if target._in_memory:
            self._native.backup_to(target._native)
        else:
            from brisk.dump import _iterdump

            script = "\n".join(line for line in _iterdump(self) if line not in ("BEGIN TRANSACTION;", "COMMIT;"))
            drops = []
            for kind, obj in target._native_rows(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
            ):
                drops.append(f'DROP {kind.upper()} IF EXISTS "{obj.replace(chr(34), chr(34) * 2)}";')
            target._native.execute_script("BEGIN;" + "".join(drops) + script + "\nCOMMIT;")
        if progress is not None:
            count = self._native_rows("PRAGMA page_count")[0][0]
            progress(SQLITE_DONE, 0, count)  # noqa: F405

    def _native_rows(self, sql, params=()):
        stmt = self._native.prepare(sql)[0]
        if params:
            stmt.bind(list(params))
        rows = []
        while (row := stmt.step()) is not None:
            rows.append(row)
        return rows

    # User-defined functions, aggregates, collations and the progress handler. They run inside
    # the engine's step with the connection locked, so one that uses this same connection
    # raises ProgrammingError (CPython allows it).

    def create_function(self, name, narg, func, *, deterministic=False):
        """Registers `func` as SQL function `name` taking `narg` arguments (-1: any number).

        As CPython 3.11: `func` is stored as given (None or a non-callable is not a removal, and
        calling it fails); an exception in it is the statement's OperationalError "user-defined
        function raised exception" (MemoryError stays MemoryError, OverflowError is DataError
        "string or blob too big")."""
        self._check()
        name = _str_arg("create_function", "name", name)
        narg = _c_int(narg)
        if not self._native.create_function(name, narg, func, bool(deterministic)):
            raise OperationalError("Error creating function")

    def create_aggregate(self, name, n_arg, aggregate_class):
        """Registers `aggregate_class` as SQL aggregate `name`: an instance per group, made on
        the group's first row; `step(*args)` per row, `finalize()` for the value. A group with
        no rows is NULL without making an instance, as in CPython."""
        self._check()
        name = _str_arg("create_aggregate", "name", name)
        n_arg = _c_int(n_arg)
        if not self._native.create_aggregate(name, n_arg, aggregate_class):
            raise OperationalError("Error creating aggregate")

    def create_window_function(self, name, num_params, aggregate_class, /):
        """Registers `aggregate_class` as aggregate window function `name`; None removes it.

        As CPython: an instance per partition (or group, without OVER), made on its first row;
        `step(*args)` for each row entering the frame, `inverse(*args)` for each leaving it,
        `value()` for each row's result, and `finalize()` at the end, whose result is the
        aggregate's without OVER. A name or argument count SQLite refuses is ProgrammingError."""
        self._check()
        if not isinstance(name, str):
            raise TypeError(f"create_window_function() argument 1 must be str, not {type(name).__name__}")
        num_params = _c_int(num_params)
        if not self._native.create_window_function(name, num_params, aggregate_class):
            raise ProgrammingError("bad parameter or other API misuse")

    def create_collation(self, name, callable, /):
        """Registers `callable(a, b)` (negative, zero, positive) as collation `name`; None removes
        it. An exception in it propagates from the statement, as in CPython."""
        self._check()
        if not isinstance(name, str):
            raise TypeError(f"create_collation() argument 1 must be str, not {type(name).__name__}")
        if callable is not None and not builtins.callable(callable):
            raise TypeError("parameter must be callable")
        self._native.create_collation(name, callable)

    def set_progress_handler(self, progress_handler, n):
        """Calls `progress_handler()` about every `n` VM instructions (none for `n` < 1 or a None
        handler); a true result or an exception interrupts the statement ("interrupted").
        Brisk counts its own instructions, so the number of calls differs from SQLite's."""
        self._check()
        n = _c_int(n)
        self._native.set_progress_handler(progress_handler, n)

    def set_authorizer(self, authorizer_callback):
        self._not_supported("set_authorizer")

    def set_trace_callback(self, trace_callback):
        self._not_supported("set_trace_callback")

    def blobopen(self, table, column, row, /, *, readonly=False, name="main"):
        """A Blob over the value in `table`.`column` at rowid `row` (sqlite3_blob_open)."""
        self._check()
        return Blob(self, table, column, row, readonly, name)

    def deserialize(self, data, /, *, name="main"):
        """Replaces the database with an in-memory copy of `data`, a database file's bytes
        (sqlite3_deserialize). Statements prepared before are recompiled; a cursor still reading
        makes it fail with "database is locked"."""
        self._check()
        if isinstance(data, str):
            data = data.encode("utf-8")
        else:
            try:
                data = memoryview(data).tobytes()
            except TypeError:
                raise TypeError(
                    f"deserialize() argument 1 must be str or bytes-like object, not {type(data).__name__}"
                ) from None
        if not isinstance(name, str):
            raise TypeError(f"deserialize() argument 'name' must be str, not {type(name).__name__}")
        if name != "main":
            raise OperationalError(f"unknown database {name}")
        if not data:
            # CPython 3.11 asks sqlite3_malloc64 for zero bytes, gets NULL and raises this.
            raise MemoryError()
        # SQLite's deserialize drops the open transaction's changes with the old database but
        # keeps the connection out of autocommit, so a transaction is still open on the copy.
        in_transaction = self._in_transaction()
        if in_transaction:
            self._native.execute_script("ROLLBACK")
        self._native.deserialize(data)
        if in_transaction:
            self._native.execute_script("BEGIN")

    def enable_load_extension(self, enable, /):
        self._not_supported("enable_load_extension")

    def load_extension(self, name, /, *, entrypoint=None):
        self._not_supported("load_extension")

    def getlimit(self, category, /):
        self._not_supported("getlimit")

    def setlimit(self, category, limit, /):
        self._not_supported("setlimit")


def _c_int(value):
    """`value` as a C int, with the errors CPython's argument parsing ("i") gives."""
    value = operator.index(value)
    if value > 2**31 - 1:
        raise OverflowError("signed integer is greater than maximum")
    if value < -(2**31):
        raise OverflowError("signed integer is less than minimum")
    return value


def _str_arg(function, param, value):
    if not isinstance(value, str):
        raise TypeError(f"{function}() argument '{param}' must be str, not {type(value).__name__}")
    return value


def _quote_name(name):
    return '"' + name.replace('"', '""') + '"'


class Blob:
    """A BLOB (or TEXT) value of one row, read and written in place like a file of fixed size
    (sqlite3.Blob). Its bytes are read when it opens; each write updates the row at once, so the
    value keeps its size and type as SQLite's incremental I/O keeps them."""

    __module__ = "brisk"

    def __init__(self, connection, table, column, row, readonly, name):
        self._connection = connection
        self._readonly = bool(readonly)
        self._closed = False
        self._offset = 0
        if name.lower() != "main":
            raise _brisk.error_for_code(SQLITE_ERROR, f"no such table: {name}.{table}")  # noqa: F405
        found = connection._native_rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE", (table,)
        )
        if not found:
            raise _brisk.error_for_code(SQLITE_ERROR, f"no such table: main.{table}")  # noqa: F405
        self._table = found[0][0]
        columns = [r[1] for r in connection._native_rows(f"PRAGMA table_info({_quote_name(self._table)})")]
        match = [c for c in columns if c.lower() == column.lower()]
        if not match:
            raise _brisk.error_for_code(SQLITE_ERROR, f'no such column: "{column}"')  # noqa: F405
        self._column = match[0]
        try:
            connection._native_rows(f"SELECT rowid FROM {_quote_name(self._table)} LIMIT 0")
        except OperationalError:
            raise _brisk.error_for_code(  # noqa: B904
                SQLITE_ERROR, f"cannot open table without rowid: {self._table}"  # noqa: F405
            )
        if not isinstance(row, int):
            raise TypeError(f"'{type(row).__name__}' object cannot be interpreted as an integer")
        self._row = row
        rows = connection._native_rows(
            f"SELECT typeof({_quote_name(self._column)}), {_quote_name(self._column)} "
            f"FROM {_quote_name(self._table)} WHERE rowid = ?1",
            (row,),
        )
        if not rows:
            raise _brisk.error_for_code(SQLITE_ERROR, f"no such rowid: {row}")  # noqa: F405
        kind, value = rows[0]
        if kind not in ("blob", "text"):
            raise _brisk.error_for_code(SQLITE_ERROR, f"cannot open value of type {kind}")  # noqa: F405
        self._is_text = kind == "text"
        self._data = bytearray(value.encode("utf-8") if self._is_text else value)

    def _check(self):
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed blob.")
        self._connection._check()

    def _store(self, data):
        """Writes `data` (the whole value, same size) to the row, then keeps it."""
        if self._readonly:
            raise _brisk.error_for_code(SQLITE_READONLY, "attempt to write a readonly database")  # noqa: F405
        value = "CAST(?1 AS TEXT)" if self._is_text else "?1"
        self._connection._native_rows(
            f"UPDATE {_quote_name(self._table)} SET {_quote_name(self._column)} = {value} WHERE rowid = ?2",
            (bytes(data), self._row),
        )
        self._data = data

    def close(self):
        self._connection._check()
        self._closed = True

    def __len__(self):
        self._check()
        return len(self._data)

    def read(self, length=-1, /):
        self._check()
        end = len(self._data) if length < 0 else min(len(self._data), self._offset + length)
        data = bytes(self._data[self._offset:end])
        self._offset = max(self._offset, end)
        return data

    def write(self, data, /):
        self._check()
        data = bytes(memoryview(data))
        if len(data) > len(self._data) - self._offset:
            raise ValueError("data longer than blob length")
        new = bytearray(self._data)
        new[self._offset:self._offset + len(data)] = data
        self._store(new)
        self._offset += len(data)

    def tell(self):
        self._check()
        return self._offset

    def seek(self, offset, origin=os.SEEK_SET, /):
        self._check()
        if origin == os.SEEK_SET:
            base = 0
        elif origin == os.SEEK_CUR:
            base = self._offset
        elif origin == os.SEEK_END:
            base = len(self._data)
        else:
            raise ValueError("'origin' should be os.SEEK_SET, os.SEEK_CUR, or os.SEEK_END")
        target = base + offset
        if target < 0 or target > len(self._data):
            raise ValueError("offset out of blob range")
        self._offset = target

    def __enter__(self):
        self._check()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _index(self, index):
        if not hasattr(index, "__index__"):
            raise TypeError("Blob indices must be integers")
        i = index.__index__()
        if i < 0:
            i += len(self._data)
        if not 0 <= i < len(self._data):
            raise IndexError("Blob index out of range")
        return i

    def __getitem__(self, key):
        self._check()
        if isinstance(key, slice):
            return bytes(self._data[key])
        return self._data[self._index(key)]

    def __setitem__(self, key, value):
        self._check()
        new = bytearray(self._data)
        if isinstance(key, slice):
            data = bytes(memoryview(value))
            positions = range(*key.indices(len(self._data)))
            if len(data) != len(positions):
                raise IndexError("Blob slice assignment is wrong size")
            for i, b in zip(positions, data):
                new[i] = b
        else:
            i = self._index(key)
            if not isinstance(value, int) or not 0 <= value <= 255:
                raise ValueError("byte must be in range(0, 256)")
            new[i] = value
        self._store(new)

    def __delitem__(self, key):
        raise TypeError("Blob doesn't support item deletion")


def _converter_map(native, connection):
    """One converter (or None) per column of statement `native`, from the column name's
    "[type]" and the declared type (pysqlite_build_row_cast_map); None when no converter
    applies. The native cursor calls it on each execute when `detect_types` is set."""
    detect = connection._detect_types
    if not detect:
        return None
    names = native.column_names()
    decltypes = native.column_decltypes() if detect & PARSE_DECLTYPES else [None] * len(names)
    result = []
    for name, decl in zip(names, decltypes):
        conv = None
        if detect & PARSE_COLNAMES:
            start = name.find("[")
            if start >= 0:
                end = name.find("]", start + 1)
                # The last "[" before the first "]" after it starts the type name.
                if end >= 0:
                    start = name.rfind("[", 0, end)
                    conv = converters.get(name[start + 1 : end].upper())
        if conv is None and decl is not None:
            cut = len(decl)
            for i, ch in enumerate(decl):
                if ch in " (":
                    cut = i
                    break
            conv = converters.get(decl[:cut].upper())
        result.append(conv)
    return result if any(c is not None for c in result) else None


_brisk.set_hooks(adapt, PrepareProtocol, _converter_map)


class Cursor(_brisk.NativeCursor):
    """A cursor over a connection (sqlite3.Cursor).

    `execute`, `executemany`, the fetch methods, iteration, `close` and the `description`,
    `rowcount`, `lastrowid`, `connection`, `arraysize` and `row_factory` attributes are the
    native base class's (`brisk._brisk.NativeCursor`): one native call per operation, as
    CPython's C cursor does the whole operation in C."""

    __module__ = "brisk"

    def __init__(self, connection, /):
        if not isinstance(connection, Connection):
            raise TypeError(f"Cursor() argument must be {__name__}.Connection, not {type(connection).__name__}")
        connection._check_thread()
        self._init(connection, connection._native)

    def executescript(self, sql_script, /):
        if not isinstance(sql_script, str):
            raise TypeError(f"executescript() argument must be str, not {type(sql_script).__name__}")
        self._check()
        if "\0" in sql_script:
            raise ValueError("embedded null character")
        conn = self.connection
        self._release()
        if conn._autocommit == LEGACY_TRANSACTION_CONTROL:
            if conn._in_transaction():
                conn._exec("COMMIT")
        conn._native.execute_script(sql_script)
        return self

    def setinputsizes(self, sizes, /):
        pass

    def setoutputsize(self, size, column=None, /):
        pass


def connect(
    database,
    timeout=5.0,
    detect_types=0,
    isolation_level="",
    check_same_thread=True,
    factory=Connection,
    cached_statements=128,
    uri=False,
    *,
    autocommit=LEGACY_TRANSACTION_CONTROL,
):
    """Opens a connection to the database file `database` (":memory:" for a private in-memory one)."""
    if factory is None:
        factory = Connection
    kwargs = dict(
        timeout=timeout,
        detect_types=detect_types,
        isolation_level=isolation_level,
        check_same_thread=check_same_thread,
        cached_statements=cached_statements,
        uri=uri,
    )
    if autocommit is not LEGACY_TRANSACTION_CONTROL:
        kwargs["autocommit"] = autocommit
    return factory(database, **kwargs)


def enable_callback_tracebacks(enable, /):
    """Whether exceptions in user callbacks are printed (through sys.unraisablehook)."""
    _brisk.enable_callback_tracebacks(bool(_c_int(enable)))
