"""`Connection.iterdump`: the database as SQL text, statement by statement, the same text
CPython's sqlite3 module produces (its Lib/sqlite3/dump.py, which mimics the shell's .dump).

Order: BEGIN TRANSACTION; each table by name with its rows (sqlite_sequence's rows held back,
sqlite_stat1 announced by ANALYZE, other sqlite_ tables skipped, virtual tables written into
sqlite_master under writable_schema); then indexes, triggers and views in schema order; then
sqlite_sequence's rows; COMMIT."""


def _quote_ident(name):
    return name.replace('"', '""')


def _iterdump(connection):
    cu = connection.cursor()
    writable_schema = False
    held_back = []
    yield "BEGIN TRANSACTION;"

    tables = cu.execute(
        'SELECT "name", "type", "sql" FROM "sqlite_master" '
        "WHERE \"sql\" NOT NULL AND \"type\" == 'table' ORDER BY \"name\""
    ).fetchall()
    for name, _type, sql in tables:
        if name == "sqlite_sequence":
            rows = cu.execute('SELECT * FROM "sqlite_sequence";').fetchall()
            held_back = ['DELETE FROM "sqlite_sequence"']
            held_back.extend(f"INSERT INTO \"sqlite_sequence\" VALUES('{seq_name}',{seq})" for seq_name, seq in rows)
            continue
        if name == "sqlite_stat1":
            yield 'ANALYZE "sqlite_master";'
        elif name.startswith("sqlite_"):
            continue
        elif sql.startswith("CREATE VIRTUAL TABLE"):
            if not writable_schema:
                writable_schema = True
                yield "PRAGMA writable_schema=ON;"
            escaped_name = name.replace("'", "''")
            escaped_sql = sql.replace("'", "''")
            yield (
                "INSERT INTO sqlite_master(type,name,tbl_name,rootpage,sql)"
                f"VALUES('table','{escaped_name}','{escaped_name}',0,'{escaped_sql}');"
            )
        else:
            yield f"{sql};"

        # One INSERT per row, its values written by SQL's quote().
        ident = _quote_ident(name)
        columns = [str(info[1]) for info in cu.execute(f'PRAGMA table_info("{ident}")').fetchall()]
        values = ",".join(f"'||quote(\"{_quote_ident(col)}\")||'" for col in columns)
        for (insert,) in cu.execute(f"SELECT 'INSERT INTO \"{ident}\" VALUES({values})' FROM \"{ident}\";"):
            yield f"{insert};"

    others = cu.execute(
        'SELECT "name", "type", "sql" FROM "sqlite_master" '
        "WHERE \"sql\" NOT NULL AND \"type\" IN ('index', 'trigger', 'view')"
    ).fetchall()
    for _name, _type, sql in others:
        yield f"{sql};"

    if writable_schema:
        yield "PRAGMA writable_schema=OFF;"
    # sqlite_sequence's rows go last, after the inserts that would have changed them.
    for statement in held_back:
        yield f"{statement};"
    yield "COMMIT;"
