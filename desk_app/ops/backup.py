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
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ..models.errors import DomainError
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
        def number(key: str, default: int) -> int:
            try:
                return max(1, int(settings.get(key, default)))
            except ValueError:
                return default
        return cls(number("backup.keep_daily", 12), number("backup.keep_weekly", 10),
                   number("backup.keep_monthly", 9))


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


def check_backup(path: Path) -> list[str]:
    """Problems that make ``path`` unfit to restore (empty when it is a sound ward database)."""
    if not path.is_file():
        return [f"Không tìm thấy tệp {path}."]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [f"Không mở được tệp {path.name}: {exc}."]
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            return [f"Tệp {path.name} bị hỏng: {'; '.join(result[:5])}."]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
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


def make_backup(db_path: Path, folder: Path, *, now: datetime, second_folder: Path | None = None) -> Path:
    """Snapshot ``db_path`` into ``folder`` (and copy it to ``second_folder`` when reachable).
    The file appears under its final name only once complete and checked."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{db_path.stem}-{now:%Y%m%d-%H%M%S}.sqlite3"
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    dest = sqlite3.connect(str(partial))
    try:
        source.backup(dest)  # one read transaction: a consistent snapshot; writers go on in the WAL
    finally:
        dest.close()
        source.close()
    problems = check_backup(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupError("Bản sao lưu vừa tạo không đạt kiểm tra: " + " ".join(problems))
    partial.replace(target)
    if second_folder is not None:
        try:
            second_folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, second_folder / target.name)
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


def restore(backup: Path, db_path: Path, *, now: datetime) -> Path:
    """Replace the database at ``db_path`` with ``backup`` after checking it; the current file
    is kept first as ``<name>-before-restore-<time>.sqlite3`` in its backups folder. Returns
    that kept file. The app must not have the database open."""
    problems = check_backup(backup)
    if problems:
        raise BackupError("Không khôi phục: " + " ".join(problems) + " Cơ sở dữ liệu hiện tại không bị thay đổi.")
    kept = db_path.parent / "backups" / f"{db_path.stem}-before-restore-{now:%Y%m%d-%H%M%S}.sqlite3"
    kept.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        current = sqlite3.connect(str(db_path), timeout=30)
        dest = sqlite3.connect(str(kept))
        try:
            current.backup(dest)
        finally:
            dest.close()
            current.close()
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    target = sqlite3.connect(str(db_path), timeout=30)
    try:
        source.backup(target)  # page by page into the live file, atomically for other readers
    finally:
        target.close()
        source.close()
    return kept
