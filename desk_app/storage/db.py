"""Opening the counter database: pragmas, migrations, refusal of a newer file."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import sqlite_utils

from ..models.errors import DomainError
from .schema import MIGRATIONS, SCHEMA_VERSION


class StorageError(DomainError):
    """The database cannot be used; the message says why, in Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="storage")


class DatabaseTooNew(StorageError):
    pass


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection in autocommit mode: transactions are explicit (``transaction``).

    Each thread (the UI, the sync job) opens its own.
    """
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic change. BEGIN IMMEDIATE takes the write lock up front, so two
    writers never deadlock half-way through. Nested calls become savepoints, so a
    batch (the demo generator, an import) can wrap many operations in one commit."""
    if conn.in_transaction:
        conn.execute("SAVEPOINT nested")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO nested")
            conn.execute("RELEASE nested")
            raise
        else:
            conn.execute("RELEASE nested")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def backup_to(conn: sqlite3.Connection, target: Path) -> Path:
    """A consistent copy with SQLite's backup API (safe while others write)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dest = sqlite3.connect(str(target))
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def open_database(path: Path | str, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and create or migrate) the counter database at ``path``."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise StorageError(f"Không tìm thấy cơ sở dữ liệu: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        version = schema_version(conn)
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StorageError(f"Tệp {path} không phải cơ sở dữ liệu của phần mềm hoặc đã hỏng ({exc}).") from None
    # FULL: a receipt may already be printed when the power fails; its dossier must survive.
    conn.execute("PRAGMA synchronous = FULL")
    if version > SCHEMA_VERSION:
        conn.close()
        raise DatabaseTooNew(
            f"Cơ sở dữ liệu được tạo bởi phiên bản phần mềm mới hơn (lược đồ {version}, phần mềm này "
            f"chỉ hiểu đến {SCHEMA_VERSION}). Hãy cập nhật phần mềm; dữ liệu không bị thay đổi."
        )
    if version < SCHEMA_VERSION:
        if version > 0:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            backup_to(conn, path.parent / "backups" / f"{path.stem}-before-v{SCHEMA_VERSION}-{stamp}.sqlite3")
        migrate(conn, version)
    return sqlite_utils.Database(conn)


def migrate(conn: sqlite3.Connection, current: int) -> None:
    for number in range(current, SCHEMA_VERSION):
        step = MIGRATIONS[number]
        with transaction(conn):
            if callable(step):
                step(conn)
            else:
                for statement in _split_sql(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (triggers keep their inner semicolons)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
