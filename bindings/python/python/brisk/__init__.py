"""Brisk as a drop-in for Python's sqlite3 module: `import brisk as sqlite3`.

The DB-API 2.0 interface (PEP 249) with the sqlite3 module's extensions; see brisk.dbapi2."""

from brisk.dbapi2 import *  # noqa: F401,F403
from brisk.dbapi2 import (  # noqa: F401  (names `import *` leaves out)
    LEGACY_TRANSACTION_CONTROL,
    PARSE_COLNAMES,
    PARSE_DECLTYPES,
    adapt,
    adapters,
    converters,
    sqlite_version,
    sqlite_version_info,
    version,
    version_info,
)
