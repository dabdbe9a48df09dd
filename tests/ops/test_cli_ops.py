"""`desk-app backup`, `desk-app restore FILE` and `desk-app --self-test` as real processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "desk_app", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)


def count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM dossiers").fetchone()[0]


def test_backup_then_restore_from_the_command_line(tmp_path):
    db = tmp_path / "ward.sqlite3"
    assert run("demo", "--db", str(db), "--dossiers", "30", "--seed", "2").returncode == 0
    made = run("backup", "--db", str(db), "--to", str(tmp_path / "bk"))
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.split("Đã sao lưu: ", 1)[1].splitlines()[0].strip())
    assert backup.exists() and count(backup) == 30
    assert run("demo", "--db", str(db), "--dossiers", "10", "--seed", "5").returncode == 0
    assert count(db) == 40

    restored = run("restore", "--db", str(db), str(backup))
    assert restored.returncode == 0, restored.stderr
    assert count(db) == 30
    kept = Path(restored.stdout.split("được giữ tại: ", 1)[1].strip())
    assert count(kept) == 40
    assert run("check", "--db", str(db)).returncode == 0


def test_restore_of_a_bad_file_changes_nothing(tmp_path):
    db = tmp_path / "ward.sqlite3"
    assert run("demo", "--db", str(db), "--dossiers", "5", "--seed", "2").returncode == 0
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not a database at all" * 100)
    result = run("restore", "--db", str(db), str(bad))
    assert result.returncode == 2
    assert "Không khôi phục" in result.stderr and "không bị thay đổi" in result.stderr
    assert "Traceback" not in result.stderr
    assert count(db) == 5


def test_self_test_from_the_command_line():
    result = run("--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KẾT QUẢ: tất cả kiểm tra đạt." in result.stdout


def test_the_command_line_backup_follows_the_folder_and_keep_policy_set_in_the_window(tmp_path):
    db = tmp_path / "ward.sqlite3"
    assert run("demo", "--db", str(db), "--dossiers", "5", "--seed", "3").returncode == 0
    folder, usb = tmp_path / "chosen", tmp_path / "usb"
    folder.mkdir()
    for stamp in ("20261001-090000", "20261101-090000", "20261102-090000"):  # older ones, to be thinned
        (folder / f"ward-{stamp}.sqlite3").write_bytes(b"")
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                         "excluded.value", [("backup.folder", str(folder)), ("backup.second_folder", str(usb)),
                                            ("backup.keep_daily", "1"), ("backup.keep_weekly", "1"),
                                            ("backup.keep_monthly", "1")])
    made = run("backup", "--db", str(db))
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.split("Đã sao lưu: ", 1)[1].splitlines()[0].strip())
    assert backup.parent == folder and count(backup) == 5
    assert "Đã xóa 3 bản sao lưu cũ (giữ 1 ngày, 1 tuần, 1 tháng gần nhất)." in made.stdout
    assert sorted(p.name for p in folder.iterdir()) == [backup.name]  # no .part, -wal or -shm beside it
    assert [p.name for p in usb.iterdir()] == [backup.name]
    assert not (db.parent / "backups").exists()
    with sqlite3.connect(backup) as conn:  # one self-contained file: opening it leaves nothing beside
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert sorted(p.name for p in folder.iterdir()) == [backup.name]
