"""`desk-app encrypt`, unlocking from the command line, `change-passphrase` — real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
PASS = "mật khẩu phường 2026"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DESK_APP_")}
    full = {**base, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, "-m", "desk_app", *args], capture_output=True, text=True, env=full,
                          timeout=300, cwd=ROOT, stdin=subprocess.DEVNULL)


def test_encrypt_then_every_command_needs_the_key(tmp_path):
    db = tmp_path / "ward.sqlite3"
    assert run("demo", "--db", str(db), "--dossiers", "20", "--seed", "4").returncode == 0
    name = run("search", "--db", str(db), "nguyen").stdout.splitlines()[0]
    sheet = tmp_path / "sheet.pdf"
    done = run("encrypt", "--db", str(db), "--sheet", str(sheet), "--by", "Trần Thị Lan",
               env={"DESK_APP_NEW_PASSPHRASE": PASS})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    recovery = lines[lines.index(next(l for l in lines if l.startswith("Khóa khôi phục"))) + 1].strip()
    assert len(recovery) == 29 and recovery.count("-") == 4
    text = " ".join(p.extract_text() for p in PdfReader(sheet).pages)
    assert "PHIẾU KHÓA KHÔI PHỤC DỮ LIỆU" in text and recovery in text

    locked = run("search", "--db", str(db), "nguyen")
    assert locked.returncode == 2 and "đã được mã hóa" in locked.stderr and "Traceback" not in locked.stderr
    wrong = run("search", "--db", str(db), "nguyen", env={"DESK_APP_PASSPHRASE": "sai mật khẩu rồi"})
    assert wrong.returncode == 2 and "Mật khẩu khóa dữ liệu không đúng" in wrong.stderr
    ok = run("search", "--db", str(db), "nguyen", env={"DESK_APP_PASSPHRASE": PASS})
    assert ok.returncode == 0 and ok.stdout.splitlines()[0] == name
    by_recovery = run("check", "--db", str(db), env={"DESK_APP_RECOVERY_KEY": recovery.lower()})
    assert by_recovery.returncode == 0, by_recovery.stderr

    changed = run("change-passphrase", "--db", str(db), "--recovery",
                  env={"DESK_APP_RECOVERY_KEY": recovery, "DESK_APP_NEW_PASSPHRASE": "mật khẩu mới 2027"})
    assert changed.returncode == 0, changed.stderr
    assert run("check", "--db", str(db), env={"DESK_APP_PASSPHRASE": PASS}).returncode == 2
    assert run("check", "--db", str(db), env={"DESK_APP_PASSPHRASE": "mật khẩu mới 2027"}).returncode == 0

    backup = run("backup", "--db", str(db), env={"DESK_APP_PASSPHRASE": "mật khẩu mới 2027"})
    assert backup.returncode == 0, backup.stderr
    path = Path(backup.stdout.split("Đã sao lưu: ", 1)[1].splitlines()[0].strip())
    assert b"SQLite format 3" not in path.read_bytes()[:16]


def test_exports_of_an_encrypted_ward_need_a_password(tmp_path):
    import io

    import msoffcrypto
    from openpyxl import load_workbook

    db = tmp_path / "ward.sqlite3"
    assert run("demo", "--db", str(db), "--dossiers", "20", "--seed", "4").returncode == 0
    plain = tmp_path / "plain.xlsx"
    args = ("report", "--db", str(db), "--kind", "book", "--from", "2018-01-01", "--to", "2027-12-31")
    assert run(*args, "--out", str(plain)).returncode == 0
    names = [row[3] for row in load_workbook(plain).active.iter_rows(values_only=True) if row[3]]
    assert run("encrypt", "--db", str(db), env={"DESK_APP_NEW_PASSPHRASE": PASS}).returncode == 0

    refused = run(*args, "--out", str(tmp_path / "x.xlsx"), env={"DESK_APP_PASSPHRASE": PASS})
    assert refused.returncode == 2 and "phải có mật khẩu" in refused.stderr and not (tmp_path / "x.xlsx").exists()
    out = tmp_path / "book.xlsx"
    done = run(*args, "--out", str(out), env={"DESK_APP_PASSPHRASE": PASS, "DESK_APP_EXPORT_PASSWORD": "xuất-2026!"})
    assert done.returncode == 0 and "có mật khẩu" in done.stdout
    raw = out.read_bytes()
    assert raw[:4] != b"PK\x03\x04"  # not a readable zip: an encrypted Office container
    try:
        load_workbook(out)
        raise AssertionError("opened without the password")
    except Exception as exc:  # noqa: BLE001
        assert "zip" in str(exc).lower() or "file" in str(exc).lower()
    office = msoffcrypto.OfficeFile(io.BytesIO(raw))
    office.load_key(password="xuất-2026!")
    clear = io.BytesIO()
    office.decrypt(clear)
    again = [row[3] for row in load_workbook(clear).active.iter_rows(values_only=True) if row[3]]
    assert again == names and any("Nguyễn" in str(n) or "Trần" in str(n) for n in names)

    pdf = tmp_path / "book.pdf"
    assert run(*args, "--out", str(pdf), env={"DESK_APP_PASSPHRASE": PASS,
                                               "DESK_APP_EXPORT_PASSWORD": "xuất-2026!"}).returncode == 0
    reader = PdfReader(pdf)
    assert reader.is_encrypted
    assert reader.decrypt("sai") == 0 and PdfReader(pdf).decrypt("xuất-2026!") != 0
