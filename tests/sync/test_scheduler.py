"""The sync scheduler: runs at start-up and on demand on a worker thread, never two cycles at
once, and a PC that slept still syncs (coalesce, no misfire grace)."""

from __future__ import annotations

import threading
from desk_app.sync.client import SyncClient
from desk_app.sync.scheduler import JOB_DEFAULTS, SyncScheduler


def test_job_defaults_never_skip_a_late_run():
    assert JOB_DEFAULTS == {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


def test_start_runs_a_cycle_on_a_worker_thread_and_reports(counter, db_path):
    counter.store.conn.execute("PRAGMA wal_checkpoint")
    reports, threads, done = [], [], threading.Event()

    def on_report(report):
        reports.append(report)
        threads.append(threading.current_thread())
        done.set()

    scheduler = SyncScheduler(db_path, on_report=on_report)
    try:
        scheduler.start()
        assert done.wait(10), "no cycle at start-up"
        assert threads[0] is not threading.main_thread()
        assert "Chưa khai báo địa chỉ máy chủ cấp tỉnh" in reports[0].error  # not enrolled: said plainly
        done.clear()
        scheduler.sync_now()
        assert done.wait(10), "Đồng bộ ngay did not run"
    finally:
        scheduler.shutdown()
    assert counter.store.get_setting("last_sync_error")


def test_every_job_coalesces_and_has_no_misfire_grace(counter, db_path):
    """APScheduler's default grace of 1 s silently drops a run that wakes late (a PC that slept)."""
    scheduler = SyncScheduler(db_path, interval_minutes=5, end_of_day="17:30")
    scheduler.scheduler.start(paused=True)  # jobs get their defaults when the scheduler starts
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    scheduler.shutdown()
    assert set(jobs) == {"sync-interval", "sync-end-of-day"}
    for job in jobs.values():
        assert job.coalesce and job.misfire_grace_time is None and job.max_instances == 1
    assert str(jobs["sync-end-of-day"].trigger.fields[5]) == "17"  # hour
    assert str(jobs["sync-end-of-day"].trigger.fields[6]) == "30"  # minute


def test_no_two_cycles_at_once(counter, db_path):
    scheduler = SyncScheduler(db_path, client=SyncClient(db_path))
    assert scheduler._lock.acquire(blocking=False)
    try:
        assert scheduler.run_once() is None  # a cycle is running: this one steps aside
    finally:
        scheduler._lock.release()
    assert scheduler.run_once() is not None
