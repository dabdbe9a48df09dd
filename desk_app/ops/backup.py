"""Backups of the ward database: made, kept, thinned and restored.

A backup is a consistent snapshot taken with SQLite's backup API on its own connection (the
counter keeps working meanwhile), checked with ``PRAGMA integrity_check`` before it counts, and
named by its time. Kept: the newest of each of the last 12 days, 10 weeks and 9 months that
have one (the numbers are settings), optionally copied to a second folder (a USB disk).
A restore checks the file first and keeps the current database beside it before replacing
anything.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ..models.errors import DomainError
from ..models.settings import default_of
from ..storage import keys
from ..storage.db import connect, inspect_file, open_copy_target, self_contained
from ..storage.driver import DatabaseError, Error
from ..storage.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})\.sqlite3$")
REQUIRED_TABLES = ("settings", "procedures", "dossiers", "actions", "outbox")


class BackupError(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="backup")


@dataclass(frozen=True)
class KeepPolicy:
    daily: int = 12
    weekly: int = 10
    monthly: int = 9

    @classmethod
    def from_settings(cls, settings: dict[str, str]) -> "KeepPolicy":
        def number(key: str) -> int:
            default = int(default_of(key) or 1)
            try:
                return max(1, int(settings.get(key, default)))
            except ValueError:
                return default
        return cls(number("backup.keep_daily"), number("backup.keep_weekly"), number("backup.keep_monthly"))


def keep_plan(stamps: Iterable[datetime], policy: KeepPolicy = KeepPolicy()) -> set[datetime]:
    """Which backups to keep: the newest of each of the most recent ``daily`` days, ``weekly``
    ISO weeks and ``monthly`` months that have a backup (so a PC left off for a month still
    keeps twelve), and always the newest of all."""
    ordered = sorted(set(stamps), reverse=True)
    keep: set[datetime] = set(ordered[:1])
    for key, count in ((lambda t: t.date(), policy.daily),
                       (lambda t: t.isocalendar()[:2], policy.weekly),
                       (lambda t: (t.year, t.month), policy.monthly)):
        seen: list = []
        for stamp in ordered:  # newest first: the first of each bucket is its newest
            bucket = key(stamp)
            if bucket in seen:
                continue
            if len(seen) == count:
                break
            seen.append(bucket)
            keep.add(stamp)
    return keep


def list_backups(folder: Path) -> list[tuple[datetime, Path]]:
    out = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = _NAME.match(path.name)
            if match and "-before-" not in path.name:
                out.append((datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S"), path))
    return sorted(out)


def check_backup(path: Path, *, key: str | None = None) -> list[str]:
    """Problems that make ``path`` unfit to restore (empty when it is a sound ward database).
    An encrypted backup is read with ``key`` (the ward's)."""
    if not path.is_file():
        return [f"Không tìm thấy tệp {path}."]
    try:
        if keys.is_encrypted(path) and key is None:
            return [f"Tệp {path.name} đã mã hóa hoặc không phải cơ sở dữ liệu; cần khóa dữ liệu của phường."]
        conn = connect(path, key=key if keys.is_encrypted(path) else None, readonly=True)
    except DomainError as exc:
        return [f"Tệp {path.name}: {exc.message}"]
    except Error as exc:
        return [f"Không mở được tệp {path.name}: {exc}."]
    try:
        result, version, tables = inspect_file(conn)
        if result != ["ok"]:
            return [f"Tệp {path.name} bị hỏng: {'; '.join(result[:5])}."]
    except DatabaseError as exc:
        return [f"Tệp {path.name} không phải cơ sở dữ liệu ({exc})."]
    finally:
        conn.close()
    problems = []
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing or version < 1:
        problems.append(f"Tệp {path.name} không phải bản sao lưu của phần mềm Quầy Một Cửa.")
    elif version > SCHEMA_VERSION:
        problems.append(f"Tệp {path.name} do phiên bản phần mềm mới hơn tạo (lược đồ {version}); hãy cập nhật phần mềm.")
    return problems


def make_backup(db_path: Path, folder: Path, *, now: datetime, second_folder: Path | None = None,
                key: str | None = None) -> Path:
    """Snapshot ``db_path`` into ``folder`` (and copy it to ``second_folder`` when reachable).
    The file appears under its final name only once complete and checked. An encrypted
    database gives an encrypted backup (same key); its wrapped key file is copied beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    key = key or keys.key_for(db_path)
    target = folder / f"{db_path.stem}-{now:%Y%m%d-%H%M%S}.sqlite3"
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    source = connect(db_path, key=key, readonly=True)
    dest = open_copy_target(partial, key)
    try:
        source.backup(dest)  # one read transaction: a consistent snapshot; writers go on in the WAL
        self_contained(dest)  # no -wal and -shm beside it at every later open
    finally:
        dest.close()
        source.close()
    try:
        problems = check_backup(partial, key=key)
        if problems:
            partial.unlink(missing_ok=True)
            raise BackupError("Bản sao lưu vừa tạo không đạt kiểm tra: " + " ".join(problems))
        partial.replace(target)
    finally:
        for suffix in ("-wal", "-shm", "-journal"):
            partial.with_name(partial.name + suffix).unlink(missing_ok=True)
    key_file = keys.key_file(db_path)
    copies = [target] + ([key_file] if key is not None and key_file.exists() else [])
    for extra in copies[1:]:
        shutil.copy2(extra, folder / extra.name)  # wrapped only: useless without passphrase or recovery key
    if second_folder is not None:
        try:
            second_folder.mkdir(parents=True, exist_ok=True)
            for item in copies:
                shutil.copy2(item, second_folder / item.name)
        except OSError as exc:  # the USB disk is not plugged in: the main copy still counts
            log.warning("second backup folder %s unavailable: %s", second_folder, exc)
    return target


def thin(folder: Path, policy: KeepPolicy = KeepPolicy()) -> list[Path]:
    """Delete backups outside ``keep_plan``; returns what was removed."""
    backups = list_backups(folder)
    keep = keep_plan((stamp for stamp, _ in backups), policy)
    removed = []
    for stamp, path in backups:
        if stamp not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def restore(backup: Path, db_path: Path, *, now: datetime, key: str | None = None) -> Path:
    """Replace the database at ``db_path`` with ``backup`` after checking it; the current file
    is kept first as ``<name>-before-restore-<time>.sqlite3`` in its backups folder. Returns
    that kept file. The app must not have the database open. An encrypted backup needs the
    ward key (``key`` or the one unlocked for ``db_path``)."""
    key = key or keys.key_for(db_path)
    problems = check_backup(backup, key=key)
    if problems:
        raise BackupError("Không khôi phục: " + " ".join(problems) + " Cơ sở dữ liệu hiện tại không bị thay đổi.")
    kept = db_path.parent / "backups" / f"{db_path.stem}-before-restore-{now:%Y%m%d-%H%M%S}.sqlite3"
    kept.parent.mkdir(parents=True, exist_ok=True)
    encrypted = keys.is_encrypted(backup)
    if db_path.exists():
        current = connect(db_path, key=key if keys.is_encrypted(db_path) else None)
        dest = open_copy_target(kept, key if keys.is_encrypted(db_path) else None)
        try:
            current.backup(dest)
        finally:
            dest.close()
            current.close()
        if keys.is_encrypted(db_path) != encrypted:  # plain into encrypted or back: start a fresh file
            db_path.unlink()
            for suffix in ("-wal", "-shm"):
                db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    source = connect(backup, key=key if encrypted else None, readonly=True)
    target = open_copy_target(db_path, key if encrypted else None)
    try:
        source.backup(target)  # page by page into the live file, atomically for other readers
    finally:
        target.close()
        source.close()
    return kept
