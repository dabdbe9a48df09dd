"""Opening the counter database: pragmas, migrations, refusal of a newer file."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import sqlite_utils

from ..models.errors import DomainError
from . import keys
from .driver import ENCRYPTION, Connection, DatabaseError, complete_statement, sqlite
from .schema import MIGRATIONS, SCHEMA_VERSION

_HEX_KEY = re.compile(r"[0-9a-f]{64}")


class StorageError(DomainError):
    """The database cannot be used; the message says why, in Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="storage")


class DatabaseTooNew(StorageError):
    pass


def connect(path: Path | str, *, key: str | None = None, readonly: bool = False) -> Connection:
    """A connection in autocommit mode: transactions are explicit (``transaction``).

    Each thread (the UI, the sync job) opens its own. An encrypted file is opened with ``key``
    or the key this process already unlocked for it (``keys.remember``); without one it is
    refused with a Vietnamese message, never read as garbage.
    """
    path = Path(path)
    key = key or keys.key_for(path)
    if key is None and keys.is_encrypted(path):
        if keys.key_file(path).exists():
            raise keys.Locked(path)
        raise StorageError(f"Tệp {path} không phải cơ sở dữ liệu của phần mềm, đã hỏng, hoặc đã mã hóa mà thiếu "
                           f"tệp khóa {keys.key_file(path).name} đi kèm.")
    target = f"file:{path}?mode=ro" if readonly else str(path)
    conn = sqlite.connect(target, uri=readonly, isolation_level=None, timeout=10.0, check_same_thread=False)
    if key is not None:
        if not ENCRYPTION:
            conn.close()
            raise StorageError("Bản cài đặt này thiếu thư viện mã hóa (sqlcipher3); không mở được dữ liệu đã mã hóa.")
        if not _HEX_KEY.fullmatch(key):
            conn.close()
            raise StorageError("Khóa dữ liệu không hợp lệ.")
        conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is reported below, not on stderr
        conn.execute(f"PRAGMA key = \"x'{key}'\"")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except DatabaseError:
            conn.close()
            raise keys.WrongSecret("Khóa dữ liệu") from None
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
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


def schema_version(conn: Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def inspect_file(conn: Connection) -> tuple[list[str], int, set[str]]:
    """A database file as a backup check sees it: SQLite's integrity verdict, the schema
    version and the table names."""
    verdict = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return verdict, version, tables


def open_copy_target(path: Path, key: str | None) -> Connection:
    """A file to copy a database into with the backup API; encrypted under ``key`` when given."""
    dest = sqlite.connect(str(path))
    if key is not None:
        dest.execute(f"PRAGMA key = \"x'{key}'\"")  # the copy stays encrypted under the ward key
    return dest


def self_contained(conn: Connection) -> None:
    """A rollback journal instead of WAL: the file alone is the whole database, and opening it
    later leaves no -wal and -shm files beside it."""
    conn.execute("PRAGMA journal_mode = DELETE").fetchall()


def settings_like(conn: Connection, prefix: str) -> dict[str, str]:
    """Settings whose key starts with ``prefix`` (the backup worker's own connection)."""
    return dict(conn.execute("SELECT key, value FROM settings WHERE key LIKE ?", (prefix + "%",)))


def upsert_settings(conn: Connection, values: dict[str, str]) -> None:
    """The one statement that writes settings (inside the caller's transaction)."""
    conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", list(values.items()))


def write_settings(conn: Connection, values: dict[str, str]) -> None:
    with transaction(conn):
        upsert_settings(conn, values)


def last_action_seq(conn: Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM actions").fetchone()[0]


def backup_to(conn: Connection, target: Path, *, key: str | None = None) -> Path:
    """A consistent copy with SQLite's backup API (safe while others write), encrypted with
    ``key`` when the source is."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dest = sqlite.connect(str(target))
    if key is not None:
        dest.execute(f"PRAGMA key = \"x'{key}'\"")
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def open_database(path: Path | str, *, create: bool = True, key: str | None = None) -> sqlite_utils.Database:
    """Open (and create or migrate) the counter database at ``path``; a new file is encrypted
    when ``key`` is given."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise StorageError(f"Không tìm thấy cơ sở dữ liệu: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
    key = key or keys.key_for(path)
    conn = connect(path, key=key)
    try:
        version = schema_version(conn)
        conn.execute("PRAGMA journal_mode = WAL")
    except DatabaseError as exc:
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
            backup_to(conn, path.parent / "backups" / f"{path.stem}-before-v{SCHEMA_VERSION}-{stamp}.sqlite3",
                      key=key)
        migrate(conn, version)
    # No sqlite-utils plugins: no third-party code hooks into the counter's database, and the
    # plugin scan of every installed package is not paid (it cost about 20 ms on each of the
    # first opens made at once, e.g. by the sync job and the window).
    return sqlite_utils.Database(conn, execute_plugins=False)


def migrate(conn: Connection, current: int) -> None:
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
        if complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
