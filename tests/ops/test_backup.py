"""Backups: made from a consistent snapshot while the counter writes, thinned, restored only
after a check, the current file always kept."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timedelta

import pytest

from desk_app.counter import Counter
from desk_app.ops.backup import BackupError, KeepPolicy, check_backup, keep_plan, list_backups, make_backup, restore, thin
from desk_app.ops.service import BackupService
from desk_app.storage.schema import SCHEMA_VERSION
from tests.conftest import APPLICANT

COPY = "2.000815"
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khoa", "Lâm", "Minh", "Nga", "Oanh", "Phúc"]


def person(n: int) -> dict:
    return {**APPLICANT, "full_name": f"Trần Văn {GIVEN[n % 12]}", "id_number": f"0420900{n:05d}"}


def test_keep_plan_keeps_dailies_weeklies_monthlies_and_the_newest():
    start = datetime(2025, 1, 1, 8)
    stamps = [start + timedelta(hours=6 * i) for i in range(4 * 600)]  # 600 days, four a day
    keep = keep_plan(stamps, KeepPolicy(daily=12, weekly=10, monthly=9))
    newest = max(stamps)
    assert newest in keep
    days = sorted({s.date() for s in keep}, reverse=True)
    assert days[:12] == [newest.date() - timedelta(days=i) for i in range(12)]
    # one per day kept, the newest of that day
    for day in days[:12]:
        assert [s for s in keep if s.date() == day] == [max(s for s in stamps if s.date() == day)]
    months = {(s.year, s.month) for s in keep}
    assert len(months) == 9
    assert len(keep) <= 12 + 10 + 9
    assert keep_plan([]) == set()


def test_a_pc_left_off_keeps_its_last_backups():
    stamps = [datetime(2026, 1, 5, 17), datetime(2026, 3, 2, 17), datetime(2026, 11, 20, 17)]
    assert keep_plan(stamps) == set(stamps)


def test_backup_restore_round_trip_keeps_the_current_file(tmp_path, counter, clock, db_path):
    first = counter.dossiers.receive(COPY, person(1), form_data={"pages": 1, "copies": 1}).code
    backup = make_backup(db_path, tmp_path / "bk", now=clock())
    assert check_backup(backup) == []
    later = counter.dossiers.receive(COPY, person(2), form_data={"pages": 1, "copies": 1}).code
    counter.close()

    kept = restore(backup, db_path, now=clock() + timedelta(minutes=5))
    again = Counter.open(db_path, clock=clock)
    assert again.store.get_dossier(first) is not None
    assert again.store.get_dossier(later) is None  # the state of the backup
    assert again.check() == []
    again.close()
    old = sqlite3.connect(kept)
    assert old.execute("SELECT count(*) FROM dossiers WHERE code = ?", (later,)).fetchone()[0] == 1
    old.close()


def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(tmp_path, counter, clock, db_path):
    code = counter.dossiers.receive(COPY, person(1), form_data={"pages": 1, "copies": 1}).code
    counter.close()
    broken = tmp_path / "hong.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x13" * 5000)
    foreign = tmp_path / "other.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (x)").connection.commit()
    newer = tmp_path / "newer.sqlite3"
    make_backup(db_path, tmp_path, now=clock()).rename(newer)
    with sqlite3.connect(newer) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for path, words in ((broken, "hỏng|không phải cơ sở dữ liệu"), (foreign, "không phải bản sao lưu"),
                        (newer, "phiên bản phần mềm mới hơn"), (tmp_path / "none.sqlite3", "Không tìm thấy")):
        with pytest.raises(BackupError, match=words):
            restore(path, db_path, now=clock())
    again = Counter.open(db_path, clock=clock)
    assert again.store.get_dossier(code) is not None and again.check() == []
    again.close()
    assert not list((db_path.parent / "backups").glob("*before-restore*"))


def test_a_backup_made_during_heavy_writes_has_every_dossier_committed_before_it(tmp_path, counter, db_path, clock):
    counter.close()
    committed: list[tuple[float, str]] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            c = Counter.open(db_path, clock=clock)
            c.login("lan", "canbo1234")
            n = 0
            while not stop.is_set() and n < 400:
                code = c.dossiers.receive(COPY, person(n), form_data={"pages": 1, "copies": 1}).code
                committed.append((time.monotonic(), code))  # after COMMIT returned
                n += 1
            c.close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while len(committed) < 40:
        time.sleep(0.01)
    started = time.monotonic()
    backup = make_backup(db_path, tmp_path / "bk", now=clock())
    while len(committed) < 80 and thread.is_alive():
        time.sleep(0.01)
    stop.set()
    thread.join()
    assert not errors
    before = [code for at, code in committed if at < started]
    assert len(before) >= 40 and len(committed) > len(before)  # writes went on around the backup

    restored = tmp_path / "restored.sqlite3"
    restore(backup, restored, now=clock())
    again = Counter.open(restored, clock=clock)
    assert again.check() == []
    codes = {r["code"] for r in again.store.query("SELECT code FROM dossiers")}
    assert set(before) <= codes
    again.close()


def test_thin_removes_only_what_the_plan_drops(tmp_path, counter, clock, db_path):
    folder = tmp_path / "bk"
    folder.mkdir()
    for i in range(30):
        (folder / f"ward-{datetime(2026, 10, 1) + timedelta(days=i):%Y%m%d-%H%M%S}.sqlite3").write_bytes(b"x")
    (folder / "ward-before-v6-20261001-000000.sqlite3").write_bytes(b"x")  # a migration's copy: not ours
    removed = thin(folder, KeepPolicy(daily=5, weekly=2, monthly=1))
    left = [stamp for stamp, _ in list_backups(folder)]
    assert len(left) + len(removed) == 30
    assert max(left) == datetime(2026, 10, 30) and len(left) <= 8
    assert (folder / "ward-before-v6-20261001-000000.sqlite3").exists()


def test_the_service_backs_up_when_changed_and_due(tmp_path, counter, clock, db_path):
    service = BackupService(db_path, clock=clock)
    assert service.is_due()  # never backed up
    first = service.run()
    assert first is not None and first.parent == db_path.parent / "backups"
    assert service.run() is None  # nothing changed
    counter.dossiers.receive(COPY, person(3), form_data={"pages": 1, "copies": 1})
    clock.advance(hours=1)
    assert not service.is_due()  # changed, but the last one is an hour old
    clock.advance(hours=2, seconds=1)
    assert service.is_due()
    counter.set_settings({"backup.second_folder": str(tmp_path / "usb")})
    second = service.run()
    assert second is not None and (tmp_path / "usb" / second.name).exists()
    assert service.run(force=True) is not None  # the end of the day makes one anyway


def test_portable_mode_keeps_data_beside_the_executable(tmp_path, monkeypatch):
    from desk_app import paths

    monkeypatch.setattr(paths, "app_dir", lambda: tmp_path)
    monkeypatch.delenv(paths.DB_ENV, raising=False)
    assert not paths.is_portable() and paths.data_dir() != tmp_path / "data"
    (tmp_path / paths.PORTABLE_MARKER).write_text("", encoding="utf-8")
    assert paths.default_db_path() == tmp_path / "data" / "ward.sqlite3"
    assert paths.logs_dir() == tmp_path / "data" / "logs"


def test_backup_scheduler_jobs(tmp_path, counter, clock, db_path):
    from desk_app.ops.service import BackupScheduler

    scheduler = BackupScheduler(BackupService(db_path, clock=clock), end_of_day="17:30")
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    assert set(jobs) == {"backup-interval", "backup-end-of-day"}
    assert jobs["backup-end-of-day"].kwargs == {"force": True}
    scheduler._run(force=True)
    assert list_backups(db_path.parent / "backups")
