"""brisk against the standard sqlite3 module: the same calls, the same results and errors.

Tests taking the `mod` fixture run once with sqlite3 and once with brisk; the expected values
are what sqlite3 (CPython 3.11 here) does. Tests that hold for brisk alone, where it differs
from SQLite on purpose or has no counterpart, take the `brisk` fixture."""

import datetime
import importlib
import os
import sqlite3
import sys
import threading
import time

import pytest

HAS_AUTOCOMMIT = hasattr(sqlite3, "LEGACY_TRANSACTION_CONTROL")


def error_of(fn):
    """(class name, message, sqlite_errorcode, sqlite_errorname) of the exception `fn` raises."""
    with pytest.raises(Exception) as info:
        fn()
    e = info.value
    return (type(e).__name__, str(e), getattr(e, "sqlite_errorcode", None), getattr(e, "sqlite_errorname", None))


# Module level.


def test_module_constants(mod):
    assert mod.apilevel == "2.0"
    assert mod.paramstyle == "qmark"
    assert mod.threadsafety == sqlite3.threadsafety
    assert (mod.PARSE_DECLTYPES, mod.PARSE_COLNAMES) == (1, 2)
    assert mod.version == "2.6.0"
    assert mod.version_info == (2, 6, 0)
    assert mod.Binary is memoryview
    assert mod.Date is datetime.date and mod.Timestamp is datetime.datetime
    assert mod.DateFromTicks(0) == datetime.date(*time.localtime(0)[:3])


def test_sqlite_result_and_authorizer_constants_match(brisk):
    ours = {n: getattr(brisk, n) for n in dir(brisk) if n.startswith("SQLITE_")}
    theirs = {n: getattr(sqlite3, n) for n in dir(sqlite3) if n.startswith("SQLITE_")}
    # Every constant this sqlite3 has, with its value; brisk also has 3.12's SQLITE_DBCONFIG_*.
    assert {n: v for n, v in ours.items() if n in theirs} == theirs
    assert set(ours) - set(theirs) <= {n for n in ours if n.startswith("SQLITE_DBCONFIG_")}


def test_sqlite_version_is_the_one_brisk_follows(brisk):
    # Brisk follows a newer SQLite than the system's sqlite3 links: this differs on purpose.
    con = brisk.connect(":memory:")
    assert brisk.sqlite_version == con.execute("SELECT sqlite_version()").fetchone()[0]
    assert brisk.sqlite_version_info == tuple(int(x) for x in brisk.sqlite_version.split("."))
    assert brisk.sqlite_version_info >= (3, 40, 0)


def test_exception_hierarchy(mod):
    assert issubclass(mod.Error, Exception)
    assert issubclass(mod.Warning, Exception) and not issubclass(mod.Warning, mod.Error)
    assert issubclass(mod.InterfaceError, mod.Error)
    assert issubclass(mod.DatabaseError, mod.Error)
    for name in ["DataError", "OperationalError", "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"]:
        cls = getattr(mod, name)
        assert issubclass(cls, mod.DatabaseError)
        assert getattr(mod.connect(":memory:"), name) is cls
    assert mod.connect(":memory:").Error is mod.Error


@pytest.mark.parametrize(
    "sql",
    ["select 1;", "select 1", "", ";", "select 'a;", "create trigger t after insert on x begin select 1; end;",
     "create trigger t after insert on x begin select 1;", "select 1; -- c\n", "/* x */ select 1;", "select 1 -- c;"],
)
def test_complete_statement(mod, sql):
    assert mod.complete_statement(sql) == sqlite3.complete_statement(sql)


def test_complete_statement_trailing_line_comment(brisk):
    # A `--` comment running to the end of the input: SQLite 3.40 (which this sqlite3 module
    # links) calls "select 1; -- c" complete; the SQLite that Brisk follows (3.54) does not.
    assert brisk.complete_statement("select 1; -- c") is False
    assert brisk.complete_statement("select 1; -- c\n") is True


# Errors: class, message and extended code, as CPython maps SQLite's result codes.

ERROR_CASES = [
    ("syntax", "selec", ()),
    ("no table", "select * from nope", ()),
    ("no column", "select nope from t", ()),
    ("unique", "insert into t values(1, 1, 'x')", ()),
    ("not null", "insert into t values(2, null, 'x')", ()),
    ("check", "insert into t values(3, 1, 'toolong')", ()),
    ("unique index", "insert into u values(1)", ()),
    ("mismatch", "insert into r values('a')", ()),
    ("too many", "select ?", (1, 2)),
    ("too few", "select ?, ?", (1,)),
    ("missing named", "select :x", {}),
    ("named for qmark", "select ?", {"x": 1}),
    ("unsupported type", "select ?", (object(),)),
    ("unsupported list", "select ?, ?", (1, [1])),
    ("unsupported params", "select ?", 1),
    ("overflow", "select ?", (2**63,)),
    ("underflow", "select ?", (-(2**63) - 1,)),
    ("two statements", "select 1; select 2", ()),
    ("null char", "select 1\0", ()),
    ("begin twice", "begin", ()),
    ("commit outside", "commit", ()),
    ("drop missing", "drop table nope", ()),
    ("create existing", "create table t(x)", ()),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors(mod, case):
    _, sql, params = case
    con = mod.connect(":memory:", isolation_level=None)
    con.executescript(
        "create table t(a integer primary key, b not null, c check(length(c) < 3));"
        "create table u(x); create unique index ux on u(x); insert into u values(1);"
        "create table r(i integer primary key);"
        "insert into t values(1, 1, 'x');"
    )
    if sql == "begin":
        con.execute("begin")
    expected = error_of(lambda: sqlite3_run(sql, params))
    assert error_of(lambda: con.execute(sql, params)) == expected


def sqlite3_run(sql, params):
    """The same statement on the same schema with the real sqlite3 module."""
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.executescript(
        "create table t(a integer primary key, b not null, c check(length(c) < 3));"
        "create table u(x); create unique index ux on u(x); insert into u values(1);"
        "create table r(i integer primary key);"
        "insert into t values(1, 1, 'x');"
    )
    if sql == "begin":
        con.execute("begin")
    return con.execute(sql, params)


def test_error_attributes_on_constraint(mod, con):
    con.execute("create table t(a primary key)")
    con.execute("insert into t values(1)")
    with pytest.raises(mod.IntegrityError) as info:
        con.execute("insert into t values(1)")
    assert info.value.sqlite_errorcode == mod.SQLITE_CONSTRAINT_PRIMARYKEY
    assert info.value.sqlite_errorname == "SQLITE_CONSTRAINT_PRIMARYKEY"
    assert isinstance(info.value, mod.DatabaseError)


def test_executescript_error(mod, con):
    assert error_of(lambda: con.executescript("create table a(x); bogus;")) == (
        "OperationalError", 'near "bogus": syntax error', 1, "SQLITE_ERROR")
    # Statements before the failing one ran.
    assert con.execute("select count(*) from a").fetchone() == (0,)


def test_open_failure(mod, tmp_path):
    path = str(tmp_path / "no" / "such" / "dir.db")

    def open_and_use():
        mod.connect(path).execute("create table t(x)")

    assert error_of(open_and_use) == ("OperationalError", "unable to open database file", 14, "SQLITE_CANTOPEN")


def test_not_a_database(mod, tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database file at all" * 200)
    con = mod.connect(str(path))
    assert error_of(lambda: con.execute("select * from sqlite_master")) == (
        "DatabaseError", "file is not a database", 26, "SQLITE_NOTADB")


def test_wrong_argument_types(mod, con):
    assert error_of(lambda: con.execute(1)) == ("TypeError", "execute() argument 1 must be str, not int", None, None)
    assert error_of(lambda: con.executescript(5))[0] == "TypeError"
    assert error_of(lambda: con.executemany("insert into t values(?)", 5))[0] in ("TypeError", "OperationalError")


# Parameters and types.


@pytest.mark.parametrize(
    "value",
    [None, 0, 1, -1, 2**63 - 1, -(2**63), 1.5, -0.0, 1e300, "", "text", "ünïcødé ✓", b"", b"\x00\x01\xff",
     True, False],
)
def test_round_trip(con, value):
    assert con.execute("select ?", (value,)).fetchone() == ((int(value) if isinstance(value, bool) else value),)


def test_buffer_types_bind_as_blobs(mod, con):
    import array

    assert con.execute("select ?, ?, ?", (bytearray(b"ab"), memoryview(b"cd"), array.array("B", [1, 2]))).fetchone() == (
        b"ab", b"cd", b"\x01\x02")
    assert con.execute("select typeof(?)", (bytearray(b"x"),)).fetchone() == ("blob",)


def test_subclasses_of_base_types(con):
    class MyInt(int):
        pass

    class MyStr(str):
        pass

    class MyFloat(float):
        pass

    assert con.execute("select ?, ?, ?", (MyInt(3), MyStr("s"), MyFloat(2.5))).fetchone() == (3, "s", 2.5)


def test_parameter_styles(con):
    assert con.execute("select ?, ?", (1, 2)).fetchone() == (1, 2)
    assert con.execute("select ?, ?", [1, 2]).fetchone() == (1, 2)
    assert con.execute("select :a, :b", {"a": 1, "b": 2}).fetchone() == (1, 2)
    assert con.execute("select :a, @b, $c", {"a": 1, "b": 2, "c": 3}).fetchone() == (1, 2, 3)
    assert con.execute("select ?2, ?1", (1, 2)).fetchone() == (2, 1)
    assert con.execute("select ?1, ?1", (7,)).fetchone() == (7, 7)
    assert con.execute("select :a, :a", {"a": 5}).fetchone() == (5, 5)
    assert con.execute("select ?", "a").fetchone() == ("a",)
    assert con.execute("select 1", {"unused": 5}).fetchone() == (1,)


def test_mapping_subclass_and_missing_key(mod, con):
    class D(dict):
        def __missing__(self, key):
            return "default"

    assert con.execute("select :x", D()).fetchone() == ("default",)


def test_sequence_like_parameters(con):
    class Seq:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            if i >= 2:
                raise IndexError
            return i * 10

    assert con.execute("select ?, ?", Seq()).fetchone() == (0, 10)


def test_adapters_and_conform(mod, con):
    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y

    class Conformer:
        def __conform__(self, protocol):
            if protocol is mod.PrepareProtocol:
                return "conformed"

    mod.register_adapter(Point, lambda p: f"{p.x};{p.y}")
    try:
        assert con.execute("select ?", (Point(1, 2),)).fetchone() == ("1;2",)
        assert con.execute("select ?", (Conformer(),)).fetchone() == ("conformed",)
        assert mod.adapt(Point(3, 4)) == "3;4"
        assert (Point, mod.PrepareProtocol) in mod.adapters
        assert error_of(lambda: mod.adapt(object())) == ("ProgrammingError", "can't adapt", None, None)
        assert mod.adapt(object, mod.PrepareProtocol, "alt") == "alt"
    finally:
        del mod.adapters[(Point, mod.PrepareProtocol)]


def test_adapter_for_a_base_type(mod):
    con = mod.connect(":memory:")
    mod.register_adapter(str, lambda s: s.upper())
    try:
        assert con.execute("select ?", ("abc",)).fetchone() == ("ABC",)
    finally:
        del mod.adapters[(str, mod.PrepareProtocol)]


def test_default_date_adapters(con):
    d = datetime.date(2024, 2, 29)
    dt = datetime.datetime(2024, 2, 29, 12, 30, 15, 123)
    assert con.execute("select ?, ?", (d, dt)).fetchone() == ("2024-02-29", "2024-02-29 12:30:15.000123")


# Converters.


def test_converters_decltypes(mod):
    con = mod.connect(":memory:", detect_types=mod.PARSE_DECLTYPES)
    mod.register_converter("point", lambda b: tuple(int(x) for x in b.split(b";")))
    mod.register_converter("Num", lambda b: ("num", b))
    try:
        con.execute("create table t(p point, n num(10), q integer not null, d date, ts timestamp, z point)")
        con.execute(
            "insert into t values(?, ?, ?, ?, ?, ?)",
            ("1;2", 2.5, 3, datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4, 5, 6), None),
        )
        row = con.execute("select * from t").fetchone()
        assert row == ((1, 2), ("num", b"2.5"), 3, datetime.date(2020, 1, 2),
                       datetime.datetime(2020, 1, 2, 3, 4, 5, 6), None)
        # An expression has no declared type.
        assert con.execute("select p || '' from t").fetchone() == ("1;2",)
        assert "POINT" in mod.converters
    finally:
        del mod.converters["POINT"]
        del mod.converters["NUM"]


def test_converters_colnames(mod):
    con = mod.connect(":memory:", detect_types=mod.PARSE_COLNAMES | mod.PARSE_DECLTYPES)
    mod.register_converter("upper", lambda b: b.decode().upper())
    try:
        cur = con.execute('select \'abc\' as "x [upper]", 5 as "y [upper]", 7 as "plain", \'2020-01-02\' as "d [date]"')
        assert cur.fetchone() == ("ABC", "5", 7, datetime.date(2020, 1, 2))
        assert [d[0] for d in cur.description] == ["x", "y", "plain", "d"]
        cur = con.execute('select 1 as "a[upper]", 2 as "b [nope]"')
        assert cur.fetchone() == ("1", 2)
        assert [d[0] for d in cur.description] == ["a", "b"]
    finally:
        del mod.converters["UPPER"]


def test_colnames_untouched_without_parse_colnames(mod, con):
    assert con.execute('select 1 as "x [int]"').description[0][0] == "x [int]"


def test_register_converter_needs_a_str(mod):
    assert error_of(lambda: mod.register_converter(1, int))[0] == "TypeError"


def test_text_factory(mod, con):
    con.execute("create table t(a)")
    con.execute("insert into t values('héllo')")
    con.text_factory = bytes
    assert con.execute("select a, 1, x'00' from t").fetchone() == ("héllo".encode(), 1, b"\x00")
    con.text_factory = bytearray
    assert con.execute("select a from t").fetchone() == (bytearray("héllo".encode()),)
    con.text_factory = lambda b: b.decode() + "!"
    assert con.execute("select a from t").fetchone() == ("héllo!",)
    con.text_factory = str
    assert con.execute("select a from t").fetchone() == ("héllo",)


# Cursors.


def test_description(mod, con):
    con.execute("create table t(a integer, b text)")
    cur = con.execute("select a, b as bee, a + 1 from t")
    assert cur.description == (("a",) + (None,) * 6, ("bee",) + (None,) * 6, ("a + 1",) + (None,) * 6)
    assert con.execute("insert into t values(1, 'x')").description is None
    assert con.cursor().description is None
    assert con.execute("select 1 as a, 2 as A").description == (("a",) + (None,) * 6, ("A",) + (None,) * 6)


def test_rowcount_and_lastrowid(mod, con):
    cur = con.cursor()
    assert (cur.rowcount, cur.lastrowid) == (-1, None)
    cur.execute("create table t(a)")
    assert cur.rowcount == -1
    cur.execute("insert into t values(1)")
    assert (cur.rowcount, cur.lastrowid) == (1, 1)
    cur.executemany("insert into t values(?)", [(2,), (3,), (4,)])
    assert cur.rowcount == 3
    assert cur.lastrowid == 1  # executemany leaves lastrowid alone
    cur.execute("update t set a = a + 1 where a > 2")
    assert cur.rowcount == 2
    cur.execute("delete from t where a > 100")
    assert cur.rowcount == 0
    cur.execute("select * from t")
    assert cur.rowcount == -1
    cur.execute("replace into t(rowid, a) values(10, 5)")
    assert (cur.rowcount, cur.lastrowid) == (1, 10)
    cur.executemany("insert into t values(?)", [])
    assert cur.rowcount == 0
    cur.executemany("insert into t values(?)", iter([(7,)]))
    assert cur.rowcount == 1
    cur.execute("")
    assert cur.rowcount == -1
    with pytest.raises(mod.ProgrammingError):
        cur.execute("select ?", ())
    assert cur.rowcount == -1


def test_parameter_kinds(mod, con):
    # The native binding's checks, each against sqlite3's: an explicit None is not "no
    # parameters", any non-dict with __getitem__ is a sequence, a dict subclass is a mapping.
    unsupported = ("ProgrammingError", "parameters are of unsupported type", None, None)
    assert error_of(lambda: con.execute("select 1", None)) == unsupported
    assert error_of(lambda: con.execute("select ?", 5)) == unsupported
    assert error_of(lambda: con.execute("select ?", {1})) == unsupported
    assert con.execute("select ?, ?", "ab").fetchone() == ("a", "b")

    class Seq:
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return 42

    class Defaulting(dict):
        def __missing__(self, key):
            return key * 2

    assert con.execute("select ?", Seq()).fetchone() == (42,)
    assert con.execute("select :ab", Defaulting()).fetchone() == ("abab",)
    assert error_of(lambda: con.execute("select 1", (), 1))[0] == "TypeError"


def test_recursive_use_from_an_adapter(mod, con):
    cur = con.cursor()

    class ReadsCursor:
        def __conform__(self, protocol):
            return repr(cur.description)

    class UsesCursor:
        def __conform__(self, protocol):
            cur.fetchone()
            return 1

    assert cur.execute("select ?", (ReadsCursor(),)).fetchone() == ("None",)
    assert error_of(lambda: cur.execute("select ?", (UsesCursor(),))) == (
        "ProgrammingError", "Recursive use of cursors not allowed.", None, None)
    assert (cur.rowcount, cur.description, cur.fetchone()) == (-1, None, None)
    assert cur.execute("select 2").fetchone() == (2,)


def test_executemany_rejects_queries(mod, con):
    assert error_of(lambda: con.executemany("select ?", [(1,)])) == (
        "ProgrammingError", "executemany() can only execute DML statements.", None, None)


def test_executemany_with_generator_and_dicts(con):
    con.execute("create table t(a, b)")
    con.executemany("insert into t values(:a, :b)", ({"a": i, "b": i * i} for i in range(5)))
    assert con.execute("select sum(a), sum(b) from t").fetchone() == (10, 30)


def test_fetch_methods(mod, con):
    con.execute("create table t(a)")
    con.executemany("insert into t values(?)", [(i,) for i in range(10)])
    cur = con.execute("select a from t order by a")
    assert cur.arraysize == 1
    assert cur.fetchone() == (0,)
    assert cur.fetchmany() == [(1,)]
    cur.arraysize = 3
    assert cur.fetchmany() == [(2,), (3,), (4,)]
    assert cur.fetchmany(2) == [(5,), (6,)]
    assert cur.fetchmany(size=1) == [(7,)]
    assert cur.fetchall() == [(8,), (9,)]
    assert cur.fetchone() is None
    assert cur.fetchall() == []
    assert cur.fetchmany() == []
    assert con.execute("select a from t").fetchmany(0) == [(i,) for i in range(10)]
    assert con.execute("select a from t").fetchmany(-1) == [(i,) for i in range(10)]
    assert [r for r in con.execute("select a from t where a < 3")] == [(0,), (1,), (2,)]
    assert con.execute("insert into t values(1)").fetchall() == []


def test_cursor_misc(mod, con):
    cur = con.cursor()
    assert cur.connection is con
    assert cur.setinputsizes([1]) is None
    assert cur.setoutputsize(1) is None and cur.setoutputsize(1, 0) is None
    assert iter(cur) is cur
    assert cur.execute("select 1") is cur
    assert cur.executescript("select 1") is cur
    assert con.execute("select 1").fetchall() == [(1,)]
    assert isinstance(con.cursor(), mod.Cursor)


def test_cursor_factory_and_subclass(mod, con):
    class MyCursor(mod.Cursor):
        pass

    assert isinstance(con.cursor(MyCursor), MyCursor)
    assert isinstance(con.cursor(factory=MyCursor), MyCursor)
    assert isinstance(MyCursor(con).execute("select 1"), MyCursor)


def test_connection_factory(mod):
    class MyConnection(mod.Connection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.marker = True

    con = mod.connect(":memory:", factory=MyConnection)
    assert isinstance(con, MyConnection) and con.marker
    assert con.execute("select 1").fetchone() == (1,)


def test_interleaved_cursors_and_statement_reuse(con):
    con.execute("create table t(a)")
    con.executemany("insert into t values(?)", [(i,) for i in range(5)])
    a = con.execute("select a from t order by a")
    b = con.execute("select a from t order by a")
    assert a.fetchone() == (0,)
    assert b.fetchone() == (0,)
    assert a.fetchone() == (1,)
    c = con.execute("select a from t order by a")
    assert [a.fetchone(), b.fetchone(), c.fetchone()] == [(2,), (1,), (0,)]
    # Re-executing a cursor resets its statement.
    a.execute("select a from t order by a desc")
    assert a.fetchone() == (4,)
    assert b.fetchall() == [(2,), (3,), (4,)]


def test_schema_change_between_executions(con):
    con.execute("create table t(a)")
    con.execute("insert into t values(1)")
    assert con.execute("select * from t").fetchall() == [(1,)]
    con.execute("drop table t")
    con.execute("create table t(a, b)")
    con.execute("insert into t values(2, 3)")
    cur = con.execute("select * from t")
    assert cur.fetchall() == [(2, 3)]
    assert [d[0] for d in cur.description] == ["a", "b"]


def test_row_factory(mod, con):
    con.row_factory = lambda cursor, row: {d[0]: v for d, v in zip(cursor.description, row)}
    assert con.execute("select 1 as a, 2 as b").fetchone() == {"a": 1, "b": 2}
    cur = con.cursor()
    cur.row_factory = lambda cursor, row: row[0]
    assert cur.execute("select 5").fetchall() == [5]
    con.row_factory = None
    assert con.execute("select 1").fetchone() == (1,)


# Row.


def test_row(mod, con):
    con.row_factory = mod.Row
    row = con.execute("select 1 as a, 'x' as Bee, null as c").fetchone()
    assert isinstance(row, mod.Row)
    assert row.keys() == ["a", "Bee", "c"]
    assert (row[0], row[1], row[-1], row["a"], row["bee"], row["BEE"]) == (1, "x", None, 1, "x", "x")
    assert row[0:2] == (1, "x")
    assert len(row) == 3
    assert list(row) == [1, "x", None]
    assert tuple(row) == (1, "x", None)
    assert dict(zip(row.keys(), row)) == {"a": 1, "Bee": "x", "c": None}
    assert error_of(lambda: row["nope"]) == ("IndexError", "No item with that key", None, None)
    assert error_of(lambda: row[5]) == ("IndexError", "tuple index out of range", None, None)
    assert error_of(lambda: row[1.0]) == ("IndexError", "Index must be int or string", None, None)
    other = con.execute("select 1 as a, 'x' as Bee, null as c").fetchone()
    assert row == other and hash(row) == hash(other)
    assert row != con.execute("select 1 as a, 'y' as Bee, null as c").fetchone()
    assert row != con.execute("select 1 as z, 'x' as Bee, null as c").fetchone()
    assert row != (1, "x", None)
    import collections.abc

    assert isinstance(row, collections.abc.Sequence)
    with pytest.raises(TypeError):
        row < other  # noqa: B015
    direct = mod.Row(con.execute("select 1 as q"), (9,))
    assert direct["q"] == 9


# Transactions.


def test_legacy_implicit_begin(mod, tmp_path):
    path = str(tmp_path / "t.db")
    con = mod.connect(path)
    assert con.isolation_level == ""
    con.execute("create table t(a)")
    assert not con.in_transaction  # DDL does not open a transaction
    con.execute("select * from t")
    assert not con.in_transaction
    con.execute("insert into t values(1)")
    assert con.in_transaction
    other = mod.connect(path)
    assert other.execute("select count(*) from t").fetchone() == (0,)
    con.commit()
    assert not con.in_transaction
    assert other.execute("select count(*) from t").fetchone() == (1,)
    con.execute("update t set a = 2")
    con.rollback()
    assert con.execute("select a from t").fetchall() == [(1,)]
    # Comments before the statement are skipped when looking for its first keyword.
    con.execute("/* c */ -- d\n insert into t values(3)")
    assert con.in_transaction
    con.commit()
    con.execute("  \n REPLACE into t values(4)")
    assert con.in_transaction
    con.commit()
    con.commit()  # nothing to commit: no error
    con.rollback()
    other.close()
    con.close()


@pytest.mark.parametrize("level", ["DEFERRED", "IMMEDIATE", "EXCLUSIVE", "immediate"])
def test_isolation_levels(mod, level):
    con = mod.connect(":memory:", isolation_level=level)
    assert con.isolation_level == level.upper() or con.isolation_level == level
    con.execute("create table t(a)")
    con.execute("insert into t values(1)")
    assert con.in_transaction
    con.commit()


def test_isolation_level_values(mod, con):
    con.isolation_level = "exclusive"
    assert con.isolation_level == sqlite3.connect(":memory:", isolation_level="exclusive").isolation_level
    assert error_of(lambda: setattr(con, "isolation_level", "bogus")) == (
        "ValueError", "isolation_level string must be '', 'DEFERRED', 'IMMEDIATE', or 'EXCLUSIVE'", None, None)
    assert error_of(lambda: setattr(con, "isolation_level", 1)) == (
        "TypeError", "isolation_level must be str or None", None, None)
    assert error_of(lambda: mod.connect(":memory:", isolation_level="bogus"))[0] == "ValueError"


def test_isolation_level_none_is_autocommit(mod, con):
    con.execute("create table t(a)")
    con.execute("insert into t values(1)")
    assert con.in_transaction
    con.isolation_level = None  # commits
    assert not con.in_transaction
    con.execute("insert into t values(2)")
    assert not con.in_transaction
    con.execute("begin")
    assert con.in_transaction
    con.execute("insert into t values(3)")
    con.rollback()
    assert con.execute("select a from t").fetchall() == [(1,), (2,)]


def test_executescript_commits_first(mod, tmp_path):
    path = str(tmp_path / "s.db")
    con = mod.connect(path)
    con.execute("create table t(a)")
    con.execute("insert into t values(1)")
    assert con.in_transaction
    con.executescript("insert into t values(2)")
    assert not con.in_transaction
    other = mod.connect(path)
    assert other.execute("select count(*) from t").fetchone() == (2,)
    con.executescript("begin; insert into t values(3);")
    assert con.in_transaction
    con.rollback()
    assert con.execute("select count(*) from t").fetchone() == (2,)


def test_context_manager(mod, con):
    con.execute("create table t(a unique)")
    with con as entered:
        assert entered is con
        con.execute("insert into t values(1)")
    assert not con.in_transaction
    with pytest.raises(mod.IntegrityError):
        with con:
            con.execute("insert into t values(2)")
            con.execute("insert into t values(1)")
    assert not con.in_transaction
    assert con.execute("select a from t").fetchall() == [(1,)]
    # The connection stays open.
    con.execute("select 1")


def test_in_transaction_explicit(mod, con):
    assert not con.in_transaction
    con.execute("begin")
    assert con.in_transaction
    con.execute("commit")
    assert not con.in_transaction


@pytest.fixture
def autocommit_mod(mod):
    if not hasattr(mod, "LEGACY_TRANSACTION_CONTROL"):
        pytest.skip(f"{mod.__name__} here predates Connection.autocommit (Python 3.12)")
    return mod


def test_autocommit_default_is_legacy(autocommit_mod):
    mod = autocommit_mod
    con = mod.connect(":memory:")
    assert mod.LEGACY_TRANSACTION_CONTROL == -1
    assert con.autocommit == mod.LEGACY_TRANSACTION_CONTROL


def test_autocommit_true(autocommit_mod, tmp_path):
    mod = autocommit_mod
    path = str(tmp_path / "a.db")
    con = mod.connect(path, autocommit=True)
    assert con.autocommit is True
    con.execute("create table t(a)")
    con.execute("insert into t values(1)")
    assert not con.in_transaction
    con.execute("begin")
    con.execute("insert into t values(2)")
    con.commit()  # does nothing in autocommit mode
    con.rollback()  # likewise
    assert con.in_transaction
    con.execute("rollback")
    con.executescript("begin; insert into t values(3);")
    assert con.in_transaction  # no implicit COMMIT before the script
    con.execute("commit")
    assert con.execute("select a from t").fetchall() == [(1,), (3,)]


def test_autocommit_false(autocommit_mod, tmp_path):
    mod = autocommit_mod
    path = str(tmp_path / "b.db")
    con = mod.connect(path, autocommit=False)
    assert con.autocommit is False
    assert con.in_transaction
    con.execute("create table t(a)")
    con.execute("insert into t values(1)")
    con.commit()
    assert con.in_transaction  # a new transaction opens at once
    con.execute("insert into t values(2)")
    con.rollback()
    assert con.in_transaction
    assert con.execute("select a from t").fetchall() == [(1,)]
    con.execute("insert into t values(3)")
    con.close()  # rolls back
    assert mod.connect(path).execute("select a from t").fetchall() == [(1,)]


def test_autocommit_switching(autocommit_mod):
    mod = autocommit_mod
    con = mod.connect(":memory:", autocommit=True)
    con.execute("create table t(a)")
    con.autocommit = False
    assert con.in_transaction
    con.execute("insert into t values(1)")
    con.autocommit = True  # commits
    assert not con.in_transaction
    con.autocommit = mod.LEGACY_TRANSACTION_CONTROL
    assert not con.in_transaction
    con.execute("insert into t values(2)")
    assert con.in_transaction  # legacy implicit BEGIN again
    for bad in (1, 0, "yes", None):
        assert error_of(lambda: setattr(con, "autocommit", bad)) == (
            "ValueError", "autocommit must be True, False, or sqlite3.LEGACY_TRANSACTION_CONTROL", None, None)
    assert error_of(lambda: mod.connect(":memory:", autocommit=2))[0] == "ValueError"


def test_autocommit_false_context_manager(autocommit_mod):
    mod = autocommit_mod
    con = mod.connect(":memory:", autocommit=False)
    con.execute("create table t(a)")
    with con:
        con.execute("insert into t values(1)")
    assert con.in_transaction
    with pytest.raises(ZeroDivisionError):
        with con:
            con.execute("insert into t values(2)")
            1 / 0
    assert con.execute("select a from t").fetchall() == [(1,)]


# Closing, threads, interrupt.


def test_closed_connection(mod):
    con = mod.connect(":memory:")
    cur = con.cursor()
    con.close()
    con.close()  # twice is fine
    closed = ("ProgrammingError", "Cannot operate on a closed database.", None, None)
    for fn in [lambda: con.execute("select 1"), con.cursor, con.commit, con.rollback, lambda: con.in_transaction,
               lambda: con.total_changes, lambda: con.isolation_level, lambda: cur.execute("select 1"),
               lambda: con.executescript("select 1"), con.iterdump, lambda: cur.fetchone()]:
        assert error_of(fn) == closed
    assert con.row_factory is None


def test_closed_cursor(mod, con):
    cur = con.execute("select 1")
    cur.close()
    cur.close()
    closed = ("ProgrammingError", "Cannot operate on a closed cursor.", None, None)
    for fn in [lambda: cur.execute("select 1"), cur.fetchone, cur.fetchall, cur.fetchmany,
               lambda: cur.executemany("select 1", []), lambda: cur.executescript("select 1"), lambda: next(cur)]:
        assert error_of(fn) == closed


def test_check_same_thread(mod):
    con = mod.connect(":memory:")
    errors = []

    def use():
        for fn in [lambda: con.execute("select 1"), con.cursor, con.commit, con.close]:
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                errors.append((type(e).__name__, str(e).split(". The object")[0]))

    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert errors == [("ProgrammingError", "SQLite objects created in a thread can only be used in that same thread")] * 4

    shared = mod.connect(":memory:", check_same_thread=False)
    shared.execute("create table t(a)")
    results = []

    def work(n):
        # Each thread its own SQL text: sqlite3 lets two threads race for one cached statement.
        for i in range(20):
            shared.execute(f"insert into t values(? + {n * 100})", (i,))
        results.append(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1, 2, 3]
    assert shared.execute("select count(*) from t").fetchone() == (80,)


def test_threads_sharing_statements(brisk):
    # brisk hands a cached statement to one cursor at a time, so threads running the same SQL
    # on a shared connection do not mix their bindings.
    shared = brisk.connect(":memory:", check_same_thread=False)
    shared.execute("create table t(a)")

    def work(n):
        for i in range(50):
            shared.execute("insert into t values(?)", (n * 1000 + i,))
            shared.execute("select count(*) from t").fetchone()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = sorted(a for (a,) in shared.execute("select a from t"))
    assert got == sorted(n * 1000 + i for n in range(4) for i in range(50))


ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"


def test_interrupt(mod):
    con = mod.connect(":memory:", check_same_thread=False)
    timer = threading.Timer(0.2, con.interrupt)
    timer.start()
    try:
        assert error_of(lambda: con.execute(ENDLESS)) == ("OperationalError", "interrupted", 9, "SQLITE_INTERRUPT")
    finally:
        timer.cancel()
    # The connection works afterwards.
    assert con.execute("select 1").fetchone() == (1,)


def test_gil_released_while_the_engine_works(brisk):
    # While one thread runs a long query, another keeps running Python code.
    con = brisk.connect(":memory:", check_same_thread=False)
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    timer = threading.Timer(0.3, con.interrupt)
    timer.start()
    try:
        with pytest.raises(brisk.OperationalError):
            con.execute(ENDLESS)
    finally:
        done.set()
        t.join()
        timer.cancel()
    assert len(ticks) > 10


# total_changes, iterdump, files shared between the modules, serialize, backup.


def test_total_changes(mod, con):
    con.execute("create table t(a)")
    con.executemany("insert into t values(?)", [(1,), (2,), (3,)])
    con.execute("update t set a = 0")
    assert con.total_changes == 6


DUMP_SCHEMA = [
    """CREATE TABLE "index"("index" blob);""",
    """INSERT INTO "index" VALUES(X'01');""",
    """CREATE TABLE "quoted""table"("quoted""field" text);""",
    """INSERT INTO "quoted""table" VALUES('quoted''value');""",
    "CREATE TABLE t1(id integer primary key, s1 text, t1_i1 integer not null, i2 integer, unique (s1), "
    "constraint t1_idx1 unique (i2));",
    "INSERT INTO \"t1\" VALUES(1,'foo',10,20);",
    "INSERT INTO \"t1\" VALUES(2,'foo2',30,30);",
    "CREATE TABLE t2(id integer, t2_i1 integer, t2_i2 integer, primary key (id),"
    "foreign key(t2_i1) references t1(t1_i1));",
    "CREATE TRIGGER trigger_1 update of t1_i1 on t1 begin update t2 set t2_i1 = new.t1_i1 where t2_i1 = old.t1_i1; end;",
    "CREATE VIEW v1 as select * from t1 left join t2 using (id);",
]


def test_iterdump(mod, con):
    for sql in DUMP_SCHEMA:
        con.execute(sql)
    assert list(con.iterdump()) == ["BEGIN TRANSACTION;"] + DUMP_SCHEMA + ["COMMIT;"]


def test_iterdump_matches_sqlite3(brisk):
    script = """
        create table a(x integer primary key autoincrement, y text, z real, w blob);
        insert into a(y, z, w) values('it''s', 1.5, x'00ff'), (null, -2e-10, null), ('', 0.1, x'');
        create table "b c"("d e" int);
        insert into "b c" values(1), (2);
        create index ai on a(y);
        create view v as select * from a;
        delete from a where x = 2;
    """
    ours = brisk.connect(":memory:")
    theirs = sqlite3.connect(":memory:")
    ours.executescript(script)
    theirs.executescript(script)
    assert list(ours.iterdump()) == list(theirs.iterdump())
    # Replaying the dump gives the same dump.
    copy = brisk.connect(":memory:")
    copy.executescript("\n".join(ours.iterdump()))
    assert list(copy.iterdump()) == list(theirs.iterdump())


@pytest.mark.parametrize("writer,reader", [("sqlite3", "brisk"), ("brisk", "sqlite3")])
def test_file_written_by_one_read_by_the_other(tmp_path, writer, reader):
    path = str(tmp_path / "shared.db")
    w = importlib.import_module(writer).connect(path)
    w.execute("create table t(i integer primary key, s text, r real, b blob)")
    w.executemany("insert into t(s, r, b) values(?, ?, ?)", [(f"row {n}", n / 3, bytes([n % 256]) * n) for n in range(500)])
    w.execute("create index ts on t(s)")
    w.commit()
    w.close()
    r = importlib.import_module(reader).connect(path)
    assert r.execute("select count(*), sum(length(b)), max(s) from t").fetchone() == (500, sum(range(500)), "row 99")
    assert r.execute("select r from t where s = 'row 7'").fetchone() == (7 / 3,)
    assert r.execute("pragma integrity_check").fetchone() == ("ok",)
    r.execute("insert into t(s) values('more')")
    r.commit()
    r.close()
    again = importlib.import_module(writer).connect(path)
    assert again.execute("select count(*) from t").fetchone() == (501,)


def test_serialize(mod, con):
    con.execute("create table t(a)")
    con.execute("insert into t values('hello')")
    con.commit()
    image = con.serialize()
    assert isinstance(image, bytes) and image.startswith(b"SQLite format 3\x00")
    check = sqlite3.connect(":memory:")
    check.deserialize(image)
    assert check.execute("select a from t").fetchall() == [("hello",)]


def test_backup(mod, con):
    con.executescript("create table t(a, b); insert into t values(1, 'x'), (2, 'y'); create index ta on t(a);")
    con.commit()
    target = mod.connect(":memory:")
    target.execute("create table old(z)")
    calls = []
    con.backup(target, progress=lambda status, remaining, total: calls.append((status, remaining)))
    assert target.execute("select * from t order by a").fetchall() == [(1, "x"), (2, "y")]
    assert target.execute("select name from sqlite_master where type = 'table'").fetchall() == [("t",)]
    assert calls and calls[-1][:2] == (mod.SQLITE_DONE, 0)
    with pytest.raises(ValueError):
        con.backup(con)


def test_uri(mod, tmp_path):
    path = tmp_path / "u.db"
    con = mod.connect(str(path))
    con.execute("create table t(a)")
    con.commit()
    con.close()
    ro = mod.connect(f"file:{path}?mode=ro", uri=True)
    assert ro.execute("select count(*) from t").fetchone() == (0,)
    assert error_of(lambda: ro.execute("insert into t values(1)"))[:3] == (
        "OperationalError", "attempt to write a readonly database", 8)
    missing = tmp_path / "missing.db"
    assert error_of(lambda: mod.connect(f"file:{missing}?mode=rw", uri=True).execute("select 1 from sqlite_master"))[
        :3] == ("OperationalError", "unable to open database file", 14)
    assert mod.connect("file::memory:", uri=True).execute("select 1").fetchone() == (1,)


def test_busy_timeout(mod, tmp_path):
    path = str(tmp_path / "busy.db")
    holder = mod.connect(path, check_same_thread=False)
    holder.execute("create table t(a)")
    holder.commit()
    holder.execute("insert into t values(1)")  # holds the write lock
    waiter = mod.connect(path, timeout=0.3)
    start = time.monotonic()
    assert error_of(lambda: waiter.execute("insert into t values(2)")) == (
        "OperationalError", "database is locked", 5, "SQLITE_BUSY")
    assert time.monotonic() - start >= 0.25
    waiter.rollback()
    # Released within the timeout: the waiting statement, inside its implicit transaction,
    # goes through (its refused attempts must not hold a lock that blocks the holder's COMMIT).
    waiter = mod.connect(path, timeout=5)
    timer = threading.Timer(0.2, holder.commit)
    timer.start()
    waiter.execute("insert into t values(3)")
    timer.join()
    waiter.commit()
    assert waiter.execute("select a from t order by a").fetchall() == [(1,), (3,)]


def test_pathlike_database(mod, tmp_path):
    con = mod.connect(tmp_path / "p.db")
    con.execute("create table t(a)")
    con.commit()
    assert os.path.exists(tmp_path / "p.db")


# User-defined functions, aggregates, collations, the progress handler, deserialize.


def test_create_function_results_and_arguments(mod, con):
    con.create_function("kind", 1, lambda x: type(x).__name__)
    con.create_function("args", -1, lambda *a: repr(a))
    con.create_function("echo", 1, lambda x: x)
    assert con.execute("select kind(1), kind(1.5), kind('a'), kind(x'01'), kind(null)").fetchone() == (
        "int", "float", "str", "bytes", "NoneType")
    assert con.execute("select args(1, 2.5, 'x', x'01', null), args()").fetchone() == (
        "(1, 2.5, 'x', b'\\x01', None)", "()")
    assert con.execute("select echo(?), echo(?), echo(?), echo(?), echo(?)", (None, -2**63, 0.5, "é", b"\0")).fetchone() \
        == (None, -2**63, 0.5, "é", b"\0")
    # Results: bool and int subclasses are integers, str and float subclasses their base, any buffer a blob.
    for value, expected in [(True, (1, "integer")), (bytearray(b"ab"), (b"ab", "blob")),
                            (memoryview(b"cd"), (b"cd", "blob")), (2.0, (2.0, "real"))]:
        con.create_function("r", 0, lambda value=value: value)
        assert con.execute("select r(), typeof(r())").fetchone() == expected
    # The text factory applies to the result, not to the arguments.
    con.text_factory = bytes
    assert con.execute("select kind('a')").fetchone() == (b"str",)


def test_create_function_overrides_and_arity(mod, con):
    con.create_function("abs", 1, lambda x: "mine")
    assert con.execute("select abs(-3)").fetchone() == ("mine",)
    con.create_function("two", 2, lambda a, b: a + b)
    con.create_function("TWO", -1, lambda *a: len(a))
    assert con.execute("select two(1, 2), two(1, 2, 3), Two(7)").fetchone() == (3, 3, 1)
    con.create_function("one", 1, lambda a: a)
    assert outcome(lambda: con.execute("select one()")) == (
        "OperationalError", "wrong number of arguments to function one()", 1, "SQLITE_ERROR")


def test_create_function_errors(mod, con):
    def boom():
        raise ValueError("boom")

    def overflow():
        raise OverflowError("o")

    def nomem():
        raise MemoryError()

    for name, func in [("boom", boom), ("obj", object), ("big", lambda: 2**70), ("small", lambda: -2**63 - 1),
                       ("over", overflow), ("nomem", nomem), ("surrogate", lambda: "\ud800")]:
        con.create_function(name, 0, func)
    results = {name: outcome(lambda: con.execute(f"select {name}()").fetchall())
               for name in ["boom", "obj", "big", "small", "over", "nomem", "surrogate"]}
    raised = ("OperationalError", "user-defined function raised exception", 1, "SQLITE_ERROR")
    toobig = ("DataError", "string or blob too big", 18, "SQLITE_TOOBIG")
    assert results == {"boom": raised, "obj": raised, "big": toobig, "small": toobig, "over": toobig,
                       "nomem": ("MemoryError", "", None, None), "surrogate": raised}
    # A non-callable, or None, is stored as it is: calling it fails (CPython 3.11 has no removal).
    con.create_function("boom", 0, None)
    con.create_function("three", 0, 3)
    assert outcome(lambda: con.execute("select boom()")) == raised
    assert outcome(lambda: con.execute("select three()")) == raised
    # Argument checks.
    assert outcome(lambda: con.create_function("f", -2, abs)) == ("OperationalError", "Error creating function", None, None)
    assert outcome(lambda: con.create_function("f" * 256, 1, abs)) == (
        "OperationalError", "Error creating function", None, None)
    assert outcome(lambda: con.create_function(1, 1, abs)) == (
        "TypeError", "create_function() argument 'name' must be str, not int", None, None)
    assert outcome(lambda: con.create_function("f", "1", abs))[:2] == (
        "TypeError", "'str' object cannot be interpreted as an integer")
    with pytest.raises(TypeError):
        con.create_function("f", 1, abs, True)


def test_callback_tracebacks(mod, con):
    seen = []
    con.create_function("boom", 0, lambda: 1 / 0)
    con.create_function("obj", 0, object)
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append((type(u.exc_value).__name__, str(u.exc_value)))
    try:
        mod.enable_callback_tracebacks(True)
        for sql in ["select boom()", "select obj()"]:
            with pytest.raises(mod.OperationalError):
                con.execute(sql)
        mod.enable_callback_tracebacks(False)
        with pytest.raises(mod.OperationalError):
            con.execute("select boom()")
    finally:
        sys.unraisablehook = old
        mod.enable_callback_tracebacks(False)
    assert seen == [("ZeroDivisionError", "division by zero"),
                    ("ProgrammingError", "User-defined functions cannot return 'object' values to SQLite")]


def test_deterministic_functions_in_indexes(mod, con):
    con.create_function("det", 1, lambda x: x * 2, deterministic=True)
    con.create_function("nondet", 1, lambda x: x * 2)
    con.execute("create table t(a)")
    con.executemany("insert into t values(?)", [(3,), (1,), (2,)])
    con.execute("create index td on t(det(a))")
    assert con.execute("select a from t where det(a) = 4").fetchall() == [(2,)]
    assert outcome(lambda: con.execute("create index tn on t(nondet(a))")) == (
        "OperationalError", "non-deterministic functions prohibited in index expressions", 1, "SQLITE_ERROR")


class _Sum:
    instances = 0

    def __init__(self):
        _Sum.instances += 1
        self.total = 0

    def step(self, value):
        if value is not None:
            self.total += value

    def finalize(self):
        return self.total


class _WindowSum:
    """A window sum that records each call, so the tests see the engine's call sequence."""

    calls = []

    def __init__(self):
        self.total = 0

    def step(self, v):
        _WindowSum.calls.append(("step", v))
        self.total += v

    def inverse(self, v):
        _WindowSum.calls.append(("inverse", v))
        self.total -= v

    def value(self):
        return self.total

    def finalize(self):
        return self.total


def test_create_window_function(mod, con):
    con.execute("create table t(x, y)")
    con.executemany("insert into t values(?, ?)", [("a", 4), ("b", 5), ("c", 3), ("d", 8), ("e", 1)])
    con.create_window_function("sumint", 1, _WindowSum)
    # CPython's own example: a frame one row either side.
    q = "select x, sumint(y) over (order by x rows between 1 preceding and 1 following) from t order by x"
    assert con.execute(q).fetchall() == [("a", 9), ("b", 12), ("c", 16), ("d", 12), ("e", 9)]
    # The calls the engine makes: steps as rows enter the frame, inverses as they leave.
    _WindowSum.calls = []
    con.execute("select sumint(y) over (order by x rows 1 preceding) from t").fetchall()
    assert _WindowSum.calls == [("step", 4), ("step", 5), ("inverse", 4), ("step", 3), ("inverse", 5),
                                ("step", 8), ("inverse", 3), ("step", 1)]
    assert con.execute(
        "select x, sumint(y) over w, sumint(y) over (w rows unbounded preceding) from t "
        "window w as (order by y desc) order by x").fetchall() == [
        ("a", 17, 17), ("b", 13, 13), ("c", 20, 20), ("d", 8, 8), ("e", 21, 21)]
    assert con.execute("select sumint(y) over (partition by y % 2 order by x), x from t").fetchall() == [
        (4, "a"), (12, "d"), (5, "b"), (8, "c"), (9, "e")]
    # Without OVER it is an aggregate, finalize giving the value.
    assert con.execute("select sumint(y) from t").fetchone() == (21,)
    # None removes it.
    con.create_window_function("sumint", 1, None)
    assert error_of(lambda: con.execute("select sumint(y) over () from t"))[:2] == (
        "OperationalError", "no such function: sumint")
    # An aggregate registered without window support may not have OVER.
    con.create_aggregate("plain", 1, _WindowSum)
    assert error_of(lambda: con.execute("select plain(y) over () from t"))[:2] == (
        "OperationalError", "plain() may not be used as a window function")


def test_create_window_function_errors(mod, con):
    con.execute("create table t(v)")
    con.executemany("insert into t values(?)", [(1,), (2,), (3,)])

    class NoValue:
        def step(self, v):
            pass

        def finalize(self):
            return 1

    class BadValue(_WindowSum):
        def value(self):
            raise ValueError

    class BadInverse(_WindowSum):
        def inverse(self, v):
            raise ValueError

    class NoInverse:
        def step(self, v):
            pass

        def value(self):
            return 0

    class BadFinalize(_WindowSum):
        def finalize(self):
            raise ValueError

    for name, cls in [("novalue", NoValue), ("badvalue", BadValue), ("badinverse", BadInverse),
                      ("noinverse", NoInverse), ("badfinalize", BadFinalize)]:
        con.create_window_function(name, 1, cls)
    assert error_of(lambda: con.execute("select novalue(v) over (order by v) from t").fetchall()) == (
        "OperationalError", "user-defined aggregate's 'value' method not defined", 1, "SQLITE_ERROR")
    assert error_of(lambda: con.execute("select badvalue(v) over () from t").fetchall())[:2] == (
        "OperationalError", "user-defined aggregate's 'value' method raised error")
    assert error_of(lambda: con.execute("select badinverse(v) over (rows 1 preceding) from t").fetchall())[:2] == (
        "OperationalError", "user-defined aggregate's 'inverse' method raised error")
    assert error_of(lambda: con.execute("select noinverse(v) over (rows 1 preceding) from t").fetchall())[:2] == (
        "OperationalError", "user-defined aggregate's 'inverse' method not defined")
    # finalize's error is not the statement's when the function runs as a window.
    assert con.execute("select badfinalize(v) over (rows 1 preceding) from t").fetchall() == [(1,), (3,), (5,)]
    # Arguments as CPython's argument parser checks them, and SQLite's limits.
    assert error_of(lambda: con.create_window_function(1, 1, _WindowSum))[:2] == (
        "TypeError", "create_window_function() argument 1 must be str, not int")
    assert error_of(lambda: con.create_window_function("w", "1", _WindowSum))[0] == "TypeError"
    assert error_of(lambda: con.create_window_function("w", 2**40, _WindowSum))[0] == "OverflowError"
    for name, n in [("x" * 300, 1), ("w", -2)]:
        assert error_of(lambda: con.create_window_function(name, n, _WindowSum))[:2] == (
            "ProgrammingError", "bad parameter or other API misuse")


def test_create_aggregate(mod, con):
    con.execute("create table t(g, v)")
    con.executemany("insert into t values(?, ?)", [(1, 1), (1, 2), (2, 5), (2, 5), (3, None)])
    con.create_aggregate("mysum", 1, _Sum)
    assert con.execute("select g, mysum(v) from t group by g order by g").fetchall() == [(1, 3), (2, 10), (3, 0)]
    assert con.execute("select mysum(distinct v), mysum(v) filter (where g = 2) from t").fetchone() == (8, 10)
    assert con.execute("select g from t group by g having mysum(v) > 5").fetchall() == [(2,)]
    # No rows: NULL, without making an instance or calling finalize.
    _Sum.instances = 0
    assert con.execute("select mysum(v) from t where 0").fetchall() == [(None,)]
    assert con.execute("select g, mysum(v) from t where 0 group by g").fetchall() == []
    assert _Sum.instances == 0

    class Collect:
        def __init__(self):
            self.rows = []

        def step(self, *args):
            self.rows.append(args)

        def finalize(self):
            return repr(self.rows)

    con.create_aggregate("collect", -1, Collect)
    assert con.execute("select collect(g, v), collect() from t where g < 3").fetchone() == (
        "[(1, 1), (1, 2), (2, 5), (2, 5)]", "[(), (), (), ()]")
    # An aggregate replaces a scalar of the same name and arity, and the other way round.
    con.create_function("mysum", 1, lambda v: -1)
    assert con.execute("select mysum(v) from t where g = 1").fetchall() == [(-1,), (-1,)]


def test_create_aggregate_errors(mod, con):
    con.execute("create table t(v)")
    con.execute("insert into t values(1)")

    class BadInit:
        def __init__(self):
            raise ValueError

    class BadStep:
        def step(self, v):
            raise ValueError

        def finalize(self):
            return 1

    class BadFinalize:
        def step(self, v):
            pass

        def finalize(self):
            raise ValueError

    class NoStep:
        def finalize(self):
            return 1

    class NoFinalize:
        def step(self, v):
            pass

    class BadResult(BadFinalize):
        def finalize(self):
            return object()

    class BigResult(BadFinalize):
        def finalize(self):
            return 2**64

    def error(text):
        return ("OperationalError", f"user-defined aggregate's {text}", 1, "SQLITE_ERROR")

    results = {}
    for cls in [BadInit, BadStep, BadFinalize, NoStep, NoFinalize, BadResult, BigResult, None]:
        con.create_aggregate("agg", 1, cls)
        name = getattr(cls, "__name__", "None")
        results[name] = outcome(lambda: con.execute("select agg(v) from t").fetchall())
        # With no rows nothing of the class runs.
        assert outcome(lambda: con.execute("select agg(v) from t where 0").fetchall()) == ("ok", [(None,)])
    assert results == {
        "BadInit": error("'__init__' method raised error"),
        "BadStep": error("'step' method raised error"),
        "BadFinalize": error("'finalize' method raised error"),
        "NoStep": error("'step' method not defined"),
        "NoFinalize": error("'finalize' method not defined"),
        "BadResult": error("'finalize' method raised error"),
        "BigResult": ("DataError", "string or blob too big", 18, "SQLITE_TOOBIG"),
        # None is stored as the class (CPython 3.11 has no removal): calling it fails.
        "None": error("'__init__' method raised error"),
    }
    assert outcome(lambda: con.create_aggregate("agg", -2, _Sum)) == (
        "OperationalError", "Error creating aggregate", None, None)
    assert outcome(lambda: con.create_aggregate(1, 1, _Sum)) == (
        "TypeError", "create_aggregate() argument 'name' must be str, not int", None, None)
    con.create_aggregate(name="kw", n_arg=1, aggregate_class=_Sum)
    assert con.execute("select kw(v) from t").fetchone() == (1,)


def _reverse(a, b):
    return (a < b) - (a > b)


def test_create_collation(mod, con):
    con.execute("create table t(a)")
    con.executemany("insert into t values(?)", [("b",), ("A",), ("c",), ("B",)])
    con.create_collation("rev", _reverse)
    assert con.execute("select a from t order by a collate rev").fetchall() == [("c",), ("b",), ("B",), ("A",)]
    assert con.execute("select a from t order by a collate REV").fetchall() == [("c",), ("b",), ("B",), ("A",)]
    assert con.execute("select 'a' < 'b' collate rev, 'a' = 'a' collate rev").fetchone() == (0, 1)
    assert con.execute("select max(a collate rev) from t").fetchone() == ("A",)
    # In a column definition, and through an index on that column.
    con.execute("create table u(a text collate rev)")
    con.executemany("insert into u values(?)", [("b",), ("a",), ("c",)])
    assert con.execute("select a from u order by a").fetchall() == [("c",), ("b",), ("a",)]
    assert con.execute("select a from u where a > 'b'").fetchall() == [("a",)]
    con.execute("create index ui on u(a)")
    assert con.execute("select a from u order by a").fetchall() == [("c",), ("b",), ("a",)]
    assert con.execute("select a from u where a < 'b'").fetchall() == [("c",)]
    con.create_collation("ix", lambda a, b: (a > b) - (a < b))
    con.execute("create index ti on t(a collate ix)")
    assert con.execute("select a from t order by a collate ix").fetchall() == [("A",), ("B",), ("b",), ("c",)]
    # Results: an int beyond C long counts by its sign; anything not an int is "equal".
    con.create_collation("huge", lambda a, b: 2**70 * _reverse(a, b))
    assert con.execute("select a from t order by a collate huge").fetchall() == [("c",), ("b",), ("B",), ("A",)]
    con.create_collation("text", lambda a, b: "x")
    assert con.execute("select a from t order by a collate text").fetchall() == [("b",), ("A",), ("c",), ("B",)]
    # Any name goes; None removes.
    con.create_collation("with space", _reverse)
    assert con.execute('select a from t order by a collate "with space" limit 1').fetchone() == ("c",)
    con.create_collation("rev", None)
    con.create_collation("never_there", None)
    e = outcome(lambda: con.execute("select a from t order by a collate rev"))
    assert e == ("OperationalError", "no such collation sequence: rev", 257, "SQLITE_ERROR_MISSING_COLLSEQ")
    assert outcome(lambda: con.create_collation("x", 3)) == ("TypeError", "parameter must be callable", None, None)
    assert outcome(lambda: con.create_collation(3, _reverse)) == (
        "TypeError", "create_collation() argument 1 must be str, not int", None, None)


def test_collation_exception_propagates(mod, con):
    con.execute("create table t(a)")
    con.executemany("insert into t values(?)", [("b",), ("a",)])

    def boom(a, b):
        raise ValueError("collation failed")

    con.create_collation("boom", boom)
    assert outcome(lambda: con.execute("select a from t order by a collate boom").fetchall()) == (
        "ValueError", "collation failed", None, None)
    # The connection works afterwards.
    assert con.execute("select count(*) from t").fetchone() == (2,)


_LONG_QUERY = "with recursive c(x) as (select 1 union all select x + 1 from c where x < 200000) select count(*) from c"


def test_progress_handler(mod, con):
    calls = []

    def handler():
        calls.append(1)
        return len(calls) > 3

    interrupted = ("OperationalError", "interrupted", 9, "SQLITE_INTERRUPT")
    con.set_progress_handler(handler, 100)
    assert outcome(lambda: con.execute(_LONG_QUERY).fetchall()) == interrupted
    assert len(calls) == 4
    con.set_progress_handler(lambda: 0, 100)
    assert con.execute(_LONG_QUERY).fetchall() == [(200000,)]

    def raises():
        raise ValueError

    class BadBool:
        def __bool__(self):
            raise ValueError

    # An exception, a result whose truth cannot be found, or a handler that is not callable
    # all abort the statement.
    for handler in [raises, lambda: BadBool(), 3, lambda: "yes"]:
        con.set_progress_handler(handler, 100)
        assert outcome(lambda: con.execute(_LONG_QUERY).fetchall()) == interrupted
    # None, or n below 1, turns it off.
    for handler, n in [(None, 100), (lambda: 1, 0), (lambda: 1, -5)]:
        con.set_progress_handler(handler, n)
        assert con.execute(_LONG_QUERY).fetchall() == [(200000,)]
    con.set_progress_handler(progress_handler=None, n=1)
    assert outcome(lambda: con.set_progress_handler(None, "1"))[0] == "TypeError"


def test_deserialize(mod, con):
    source = mod.connect(":memory:")
    source.executescript("create table t(a); insert into t values(1), (2); create index ti on t(a);")
    source.commit()
    image = source.serialize()
    con.execute("create table old(x)")
    con.deserialize(image)
    assert con.execute("select name from sqlite_master order by name").fetchall() == [("t",), ("ti",)]
    assert con.execute("select a from t where a > 1").fetchall() == [(2,)]
    # The copy is writable, and serializes back to a database with the change.
    con.execute("insert into t values(3)")
    con.commit()
    again = mod.connect(":memory:")
    again.deserialize(bytearray(con.serialize()))
    assert again.execute("select count(*) from t").fetchone() == (3,)
    again.deserialize(memoryview(image))
    assert again.execute("select count(*) from t").fetchone() == (2,)
    assert outcome(lambda: again.deserialize(b"")) == ("MemoryError", "", None, None)
    assert outcome(lambda: again.deserialize(3))[0] == "TypeError"
    assert outcome(lambda: con.serialize(name="aux")) == ("OperationalError", "unable to serialize 'aux'", None, None)
    again.close()
    assert outcome(lambda: again.deserialize(image)) == (
        "ProgrammingError", "Cannot operate on a closed database.", None, None)


def test_deserialize_inside_a_transaction(mod, con):
    source = mod.connect(":memory:")
    source.execute("create table t(a)")
    image = source.serialize()
    con.execute("create table u(a)")
    con.execute("insert into u values(1)")
    assert con.in_transaction
    con.deserialize(image)
    # The changes are gone with the old database, but a transaction is still open on the copy.
    assert con.in_transaction
    assert con.execute("select name from sqlite_master").fetchall() == [("t",)]
    con.execute("insert into t values(1)")
    con.commit()
    assert not con.in_transaction
    assert con.execute("select a from t").fetchall() == [(1,)]


def test_deserialize_other_schema(brisk):
    # CPython 3.11 raises SystemError here (SQLite sets no message); brisk says what is wrong.
    con = brisk.connect(":memory:")
    with pytest.raises(brisk.OperationalError, match="unknown database aux"):
        con.deserialize(con.serialize(), name="aux")


def test_backup_into_memory_is_a_page_copy(mod, con):
    con.executescript("create table t(a, b); insert into t values(1, 'x'), (2, 'y'); create index ta on t(a);")
    con.commit()
    target = mod.connect(":memory:")
    target.execute("create table old(z)")
    con.backup(target)
    assert target.execute("select * from t where a = 2").fetchall() == [(2, "y")]
    assert target.execute("pragma integrity_check").fetchone() == ("ok",)
    # The same pages as the source: page count and schema rows, byte for byte past the header.
    assert target.serialize()[100:] == con.serialize()[100:]
    target.execute("insert into t values(3, 'z')")
    target.commit()
    assert con.execute("select count(*) from t").fetchone() == (2,)


def test_callbacks_cannot_use_their_own_connection(brisk):
    # CPython allows it; in brisk the connection is locked by the statement running the
    # callback, so it raises instead of waiting forever.
    con = brisk.connect(":memory:")
    errors = []

    def same():
        try:
            con.execute("select 1")
        except brisk.ProgrammingError as e:
            errors.append(str(e))
            raise

    con.create_function("same", 0, same)
    with pytest.raises(brisk.OperationalError, match="user-defined function raised exception"):
        con.execute("select same()")
    assert errors and "from inside one of its own" in errors[0]
    other = brisk.connect(":memory:")
    con.create_function("other", 0, lambda: other.execute("select 41 + 1").fetchone()[0])
    assert con.execute("select other()").fetchone() == (42,)


# Blobs.


def outcome(fn):
    """What `fn` returns, or the (class, message, code, name) of what it raises."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - every outcome is compared between the modules
        return (type(e).__name__, str(e), getattr(e, "sqlite_errorcode", None), getattr(e, "sqlite_errorname", None))


def test_blob_reads_writes_and_seeks(mod):
    con = mod.connect(":memory:")
    con.execute("create table t(b blob, t text, i integer primary key, n)")
    con.execute("insert into t values(zeroblob(10), 'hello', 1, null)")
    b = con.blobopen("t", "b", 1)
    steps = [
        lambda: len(b), b.tell, lambda: b.write(b"abc"), b.tell, b.read, lambda: b.seek(0), lambda: b.read(2),
        lambda: b.seek(20), lambda: b.seek(-1, os.SEEK_END), lambda: b.read(100), lambda: b.seek(0, 7),
        lambda: b.write(b"x" * 20), lambda: b.seek(-2, os.SEEK_CUR), b.tell, lambda: b[0], lambda: b[-1],
        lambda: b[10], lambda: b[1:4], lambda: b[::2], lambda: b.__setitem__(0, 65),
        lambda: b.__setitem__(0, 300), lambda: b.__setitem__(slice(0, 2), b"ZZ"),
        lambda: b.__setitem__(slice(0, 2), b"Z"), lambda: b.__setitem__(slice(0, 6, 2), bytearray(b"123")),
        lambda: b.__setitem__("a", 1), lambda: b.__delitem__(0), lambda: b.write(memoryview(b"mv")),
    ]
    got = [outcome(step) for step in steps]
    b.close()
    got += [outcome(b.read), outcome(lambda: len(b)), outcome(b.close)]
    got.append(con.execute("select b, typeof(b) from t").fetchone())
    with con.blobopen("t", "t", 1) as tb:
        got += [outcome(lambda: tb.read(3)), outcome(lambda: tb.write(b"J")), outcome(tb.read)]
    got.append(con.execute("select t, typeof(t) from t").fetchone())
    with con.blobopen("t", "b", 1, readonly=True) as rb:
        got += [outcome(lambda: rb.write(b"q")), outcome(lambda: rb.read(3)), outcome(lambda: rb.__setitem__(0, 1))]
    assert got == [
        ("ok", 10), ("ok", 0), ("ok", None), ("ok", 3), ("ok", b"\0" * 7), ("ok", None), ("ok", b"ab"),
        ("ValueError", "offset out of blob range", None, None), ("ok", None), ("ok", b"\0"),
        ("ValueError", "'origin' should be os.SEEK_SET, os.SEEK_CUR, or os.SEEK_END", None, None),
        ("ValueError", "data longer than blob length", None, None), ("ok", None), ("ok", 8), ("ok", 97), ("ok", 0),
        ("IndexError", "Blob index out of range", None, None), ("ok", b"bc\0"), ("ok", b"ac\0\0\0"), ("ok", None),
        ("ValueError", "byte must be in range(0, 256)", None, None), ("ok", None),
        ("IndexError", "Blob slice assignment is wrong size", None, None), ("ok", None),
        ("TypeError", "Blob indices must be integers", None, None),
        ("TypeError", "Blob doesn't support item deletion", None, None), ("ok", None),
        ("ProgrammingError", "Cannot operate on a closed blob.", None, None),
        ("ProgrammingError", "Cannot operate on a closed blob.", None, None), ("ok", None),
        (b"1Z2\x003\x00\x00\x00mv", "blob"),
        ("ok", b"hel"), ("ok", None), ("ok", b"o"), ("helJo", "text"),
        ("OperationalError", "attempt to write a readonly database", 8, "SQLITE_READONLY"), ("ok", b"1Z2"),
        ("OperationalError", "attempt to write a readonly database", 8, "SQLITE_READONLY"),
    ]


def test_blob_open_errors(mod):
    con = mod.connect(":memory:")
    con.execute("create table t(b blob, i integer, r real, n)")
    con.execute("insert into t values(x'01', 1, 1.5, null)")
    con.execute("create table w(k primary key, b) without rowid")
    got = [
        outcome(lambda: con.blobopen("t", "b", 5)),
        outcome(lambda: con.blobopen("t", "nosuch", 1)),
        outcome(lambda: con.blobopen("nosuch", "b", 1)),
        outcome(lambda: con.blobopen("t", "b", 1, name="aux")),
        outcome(lambda: con.blobopen("t", "i", 1)),
        outcome(lambda: con.blobopen("t", "r", 1)),
        outcome(lambda: con.blobopen("t", "n", 1)),
        outcome(lambda: con.blobopen("w", "b", 1)),
        outcome(lambda: con.blobopen("T", "B", 1).read()),
    ]
    assert got == [
        ("OperationalError", "no such rowid: 5", 1, "SQLITE_ERROR"),
        ("OperationalError", 'no such column: "nosuch"', 1, "SQLITE_ERROR"),
        ("OperationalError", "no such table: main.nosuch", 1, "SQLITE_ERROR"),
        ("OperationalError", "no such table: aux.t", 1, "SQLITE_ERROR"),
        ("OperationalError", "cannot open value of type integer", 1, "SQLITE_ERROR"),
        ("OperationalError", "cannot open value of type real", 1, "SQLITE_ERROR"),
        ("OperationalError", "cannot open value of type null", 1, "SQLITE_ERROR"),
        ("OperationalError", "cannot open table without rowid: w", 1, "SQLITE_ERROR"),
        ("ok", b"\x01"),
    ]
    con.close()
    assert outcome(lambda: con.blobopen("t", "b", 1))[:2] == ("ProgrammingError", "Cannot operate on a closed database.")
