"""The SQLite library the counter uses: SQLCipher's build (``sqlcipher3``), which reads plain
SQLite files as they are and encrypted ones with their key. Every counter connection comes
from here, so one library (and one family of exceptions) is in use for a ward file."""

from __future__ import annotations

try:
    from sqlcipher3 import dbapi2 as sqlite  # noqa: F401
    ENCRYPTION = True
except ImportError:  # pragma: no cover - a source checkout without the wheel: plain files only
    import sqlite3 as sqlite  # type: ignore[no-redef]
    ENCRYPTION = False

Connection = sqlite.Connection
Error = sqlite.Error
DatabaseError = sqlite.DatabaseError
IntegrityError = sqlite.IntegrityError
OperationalError = sqlite.OperationalError
complete_statement = sqlite.complete_statement
