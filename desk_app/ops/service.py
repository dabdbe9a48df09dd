"""When backups are made: every few hours when the database changed, and after the end-of-day
sync. Runs on the scheduler's worker thread with its own connections."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from ..models.clock import vn_now
from ..models.settings import default_of
from ..storage.db import connect, last_action_seq, settings_like, write_settings
from .backup import KeepPolicy, make_backup, thin

log = logging.getLogger(__name__)


class BackupService:
    def __init__(self, db_path: Path | str, *, clock: Callable[[], datetime] = vn_now) -> None:
        self.db_path = Path(db_path)
        self.clock = clock
        self._lock = threading.Lock()

    def _settings(self) -> dict[str, str]:
        conn = connect(self.db_path, readonly=True)
        try:
            return settings_like(conn, "backup.")
        finally:
            conn.close()

    def _last_seq(self) -> int:
        conn = connect(self.db_path, readonly=True)
        try:
            return last_action_seq(conn)
        finally:
            conn.close()

    def _remember(self, at: datetime, seq: int) -> None:
        conn = connect(self.db_path)
        try:
            write_settings(conn, {"backup.last_at": at.isoformat(), "backup.last_seq": str(seq)})
        finally:
            conn.close()

    @property
    def folder(self) -> Path:
        configured = self._settings().get("backup.folder")
        return Path(configured) if configured else self.db_path.parent / "backups"

    def is_due(self) -> bool:
        """Changed since the last backup, and that was at least ``backup.every_hours`` ago."""
        settings = self._settings()
        if int(settings.get("backup.last_seq", default_of("backup.last_seq"))) == self._last_seq():
            return False
        last = settings.get("backup.last_at")
        hours = float(settings.get("backup.every_hours", default_of("backup.every_hours")))
        return last is None or self.clock() - datetime.fromisoformat(last) >= timedelta(hours=hours)

    def run(self, *, force: bool = False) -> Path | None:
        """Make a backup (when due, or always with ``force``), then thin the folder."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if not force and not self.is_due():
                return None
            return self._backup(None).path
        finally:
            self._lock.release()

    def backup_now(self, folder: Path | None = None) -> "BackupMade":
        """A backup now, whatever the schedule (``desk-app backup``): into ``folder`` when given,
        else the folder set in the window; the second folder and the keep policy as set there."""
        with self._lock:
            return self._backup(folder)

    def _backup(self, folder: Path | None) -> "BackupMade":
        settings = self._settings()
        seq = self._last_seq()
        now = self.clock()
        folder = folder or self.folder
        second = settings.get("backup.second_folder")
        path = make_backup(self.db_path, folder, now=now, second_folder=Path(second) if second else None)
        self._remember(now, seq)
        policy = KeepPolicy.from_settings(settings)
        removed = thin(folder, policy)
        log.info("backup %s made, %d old ones removed", path.name, len(removed))
        return BackupMade(path, tuple(removed), policy)


@dataclass(frozen=True)
class BackupMade:
    path: Path
    removed: tuple[Path, ...]
    policy: KeepPolicy


class BackupScheduler:
    """Backups on their own worker thread: checked every ``every_minutes`` (made when due), and
    one at ``end_of_day`` whatever happened, after the end-of-day sync (17:15 by default)."""

    def __init__(self, service: BackupService, *, every_minutes: float = 30, end_of_day: str = "17:30") -> None:
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        from ..sync.scheduler import JOB_DEFAULTS

        self.service = service
        hour, minute = (int(x) for x in end_of_day.split(":"))
        self.scheduler = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="Asia/Ho_Chi_Minh")
        self.scheduler.add_job(self._run, IntervalTrigger(minutes=every_minutes), id="backup-interval")
        self.scheduler.add_job(self._run, CronTrigger(hour=hour, minute=minute), id="backup-end-of-day",
                               kwargs={"force": True})

    def _run(self, force: bool = False) -> None:
        try:
            self.service.run(force=force)
        except Exception:  # noqa: BLE001 - a failed backup is logged; the next run tries again
            log.exception("backup failed")

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
