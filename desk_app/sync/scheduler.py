"""When the counter syncs: at start-up, every few minutes while items wait, at the end of the
day, and on "Đồng bộ ngay". APScheduler's BackgroundScheduler runs the job on a worker thread
with its own SQLite connection (SyncClient opens one per cycle).

Misfires: a PC that slept through a run must still sync on waking, so every job coalesces
(one catch-up run, not a burst) and has no grace limit (APScheduler's default of 1 s silently
skips a run that wakes late).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .client import SyncClient, SyncReport

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


class SyncScheduler:
    def __init__(self, db_path: Path | str, *, interval_minutes: float = 5, end_of_day: str = "17:15",
                 on_report: Callable[[SyncReport], None] | None = None,
                 client: SyncClient | None = None) -> None:
        self.client = client or SyncClient(db_path)
        self.on_report = on_report
        self.interval_minutes = interval_minutes
        hour, minute = (int(x) for x in end_of_day.split(":"))
        self.scheduler = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="Asia/Ho_Chi_Minh")
        self.scheduler.add_job(self.run_once, IntervalTrigger(minutes=interval_minutes), id="sync-interval")
        self.scheduler.add_job(self.run_once, CronTrigger(hour=hour, minute=minute), id="sync-end-of-day")
        self._lock = threading.Lock()
        self.last: SyncReport | None = None

    def start(self) -> None:
        self.scheduler.start()
        self.sync_now()  # at start-up too: a PC switched on after days offline sends at once

    def sync_now(self) -> None:
        """"Đồng bộ ngay": one run on the worker thread, now."""
        self.scheduler.add_job(self.run_once, id="sync-now", replace_existing=True)

    def run_once(self) -> SyncReport | None:
        if not self._lock.acquire(blocking=False):
            return None  # a cycle is already running
        try:
            try:
                report = self.client.sync_once()
            except Exception as exc:  # noqa: BLE001 - a worker thread must never die silently
                log.exception("sync cycle failed")
                report = SyncReport(error=f"Lỗi khi đồng bộ: {exc}")
            self.last = report
            if self.on_report:
                self.on_report(report)
            return report
        finally:
            self._lock.release()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
