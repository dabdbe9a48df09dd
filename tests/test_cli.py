"""The desk-app command line, run as a real process on a real database file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, "-m", "desk_app", *args], capture_output=True, text=True,
                          input=stdin, env=full_env, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "ward.sqlite3"
    result = run("demo", "--db", str(path), "--dossiers", "150", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "150 hồ sơ" in result.stdout
    return path


def test_init_without_a_terminal_generates_the_password_once(tmp_path):
    db = tmp_path / "ward.sqlite3"
    result = run("init", "--db", str(db), "--ward-code", "26734", "--ward-name", "Phường Hoàn Kiếm",
                 "--counter", "2", "--admin", "admin", stdin="")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "Đã khởi tạo Phường Hoàn Kiếm (mã 26734), quầy số 2" in lines[0]
    password = lines[-1]
    assert len(password) >= 12
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT password_hash FROM clerks WHERE username = 'admin'").fetchone()[0]
    assert stored.startswith("$argon2") and password not in stored
    again = run("init", "--db", str(db), "--ward-code", "26734", "--ward-name", "Phường Hoàn Kiếm",
                "--counter", "2", "--admin", "admin", "--password", "matkhau123")
    assert again.returncode == 2 and "đã được khởi tạo" in again.stderr


def test_init_refuses_bad_input_with_a_vietnamese_message(tmp_path):
    result = run("init", "--db", str(tmp_path / "w.sqlite3"), "--ward-code", "12", "--ward-name", "Phường A",
                 "--counter", "1", "--admin", "admin", "--password", "matkhau123")
    assert result.returncode == 2
    assert "Mã đơn vị hành chính" in result.stderr and "Traceback" not in result.stderr
    missing = run("init", "--db", str(tmp_path / "w2.sqlite3"), stdin="")
    assert missing.returncode == 2 and "Thiếu mã phường/xã" in missing.stderr


def test_procedures_lists_the_catalogue():
    result = run("procedures")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) >= 19
    birth = next(line for line in lines if line.startswith("1.001193"))
    assert "Đăng ký khai sinh" in birth and "Trong ngày" in birth
    copy = next(line for line in lines if line.startswith("2.000815"))
    assert "2.000 đồng/trang" in copy


def test_due_over_tet_lists_the_skipped_days(tmp_path):
    result = run("due", "--db", str(tmp_path / "none.sqlite3"), "--procedure", "1.001193",
                 "--received", "2026-02-13T16:00")
    assert result.returncode == 2  # a --db that does not exist is an error, said plainly
    result = run("due", "--procedure", "1.001193", "--received", "2026-02-13T16:00",
                 env={"DESK_APP_DB": str(tmp_path / "none.sqlite3")})
    assert result.returncode == 0, result.stderr
    assert "Hẹn trả: 17:00 ngày 23/02/2026" in result.stdout
    for day in ("14/02/2026 (Thứ Bảy)", "15/02/2026 (Chủ nhật)", "16/02/2026", "20/02/2026"):
        assert day in result.stdout
    bad = run("due", "--procedure", "1.001193", "--received", "13/02/2026",
              env={"DESK_APP_DB": str(tmp_path / "none.sqlite3")})
    assert bad.returncode == 2 and "không hợp lệ" in bad.stderr


def test_search_check_and_print_on_a_demo_ward(demo_db, tmp_path):
    first = sqlite3.connect(demo_db).execute(
        "SELECT code, applicant_name FROM dossiers WHERE status = 'returned' ORDER BY num LIMIT 1").fetchone()
    code, name = first
    from desk_app.models.text import fold
    result = run("search", "--db", str(demo_db), fold(name))
    assert result.returncode == 0
    assert any(line.startswith(code) and name in line for line in result.stdout.splitlines())
    result = run("search", "--db", str(demo_db), '"(*^^%$'"'")
    assert result.returncode == 0 and "Không tìm thấy" in result.stderr
    check = run("check", "--db", str(demo_db))
    assert check.returncode == 0 and "toàn vẹn" in check.stdout
    out = tmp_path / "receipt.pdf"
    printed = run("print", "--db", str(demo_db), code, "--form", "receipt", "--out", str(out))
    assert printed.returncode == 0, printed.stderr
    assert out.read_bytes().startswith(b"%PDF")
    refused = run("print", "--db", str(demo_db), code, "--form", "apology", "--out", str(tmp_path / "a.pdf"))
    assert refused.returncode == 2 and "chưa in được" in refused.stderr


def test_demo_is_deterministic_by_seed(tmp_path):
    dumps = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.sqlite3"
        assert run("demo", "--db", str(path), "--dossiers", "40", "--seed", "9").returncode == 0
        conn = sqlite3.connect(path)
        dumps.append(conn.execute("SELECT code, applicant_name, applicant_id_number, status, due_at, returned_at "
                                  "FROM dossiers ORDER BY code").fetchall()
                     + conn.execute("SELECT id, kind, at, hash FROM actions ORDER BY seq").fetchall())
    assert dumps[0] == dumps[1] and len(dumps[0]) > 40


def test_check_finds_a_tampered_journal(demo_db, tmp_path):
    copy = tmp_path / "tampered.sqlite3"
    src = sqlite3.connect(demo_db)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    dst.execute("DROP TRIGGER actions_no_update")
    dst.execute("UPDATE actions SET at = '2026-01-01T08:00:00+07:00' WHERE seq = 5")
    dst.commit()
    dst.close()
    result = run("check", "--db", str(copy))
    assert result.returncode == 1 and "mã băm không khớp" in result.stdout


def test_a_database_from_a_newer_app_is_refused_without_a_traceback(demo_db, tmp_path):
    copy = tmp_path / "newer.sqlite3"
    dst = sqlite3.connect(copy)
    sqlite3.connect(demo_db).backup(dst)
    dst.execute("PRAGMA user_version = 42")
    dst.commit()
    dst.close()
    result = run("search", "--db", str(copy), "nguyen")
    assert result.returncode == 2 and "phiên bản phần mềm mới hơn" in result.stderr
    assert "Traceback" not in result.stderr


# -- desk-app report ------------------------------------------------------------------------

@pytest.fixture
def week_db(counter, clock, db_path) -> Path:
    """The hand-counted week of tests/printing/test_reports.py in a real file; the test's counter
    stays open and idle, as a clerk's window would while the report runs."""
    from tests.printing.test_reports import build_week

    build_week(counter, clock)
    return db_path


def test_report_pdf_of_the_hand_counted_week(week_db, tmp_path):
    import io
    import re

    from pypdf import PdfReader

    out = tmp_path / "bao-cao" / "tuan.pdf"  # a folder that does not exist yet is made
    result = run("report", "--db", str(week_db), "--from", "2026-11-02", "--to", "08/11/2026",
                 "--format", "pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Đã ghi" in result.stdout and "từ ngày 02/11/2026 đến ngày 08/11/2026" in result.stdout
    pdf = out.read_bytes()
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "BÁO CÁO TÌNH HÌNH TIẾP NHẬN VÀ GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH" in text
    assert re.search(r"Tổng cộng 7 3 1 1 1 1 2 66,7 %", text)  # pending as of the period's end
    by_clerk = run("report", "--db", str(week_db), "--from", "2026-11-02", "--to", "2026-11-08",
                   "--out", str(tmp_path / "clerk.pdf"), "--by", "clerk")
    assert by_clerk.returncode == 0, by_clerk.stderr
    assert not list(tmp_path.glob("**/.*.tmp"))


def test_report_xlsx_handling_book_and_listing(week_db, tmp_path):
    import io

    from openpyxl import load_workbook

    from desk_app.models.statistics import METRICS
    from desk_app.printing.reports import HEADER_ROW, TOTAL_LABEL

    out = tmp_path / "thang.xlsx"  # the format from the file's suffix
    result = run("report", "--db", str(week_db), "--from", "2026-11-01", "--to", "2026-11-30", "--by", "month",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    ws = load_workbook(io.BytesIO(out.read_bytes()))["Báo cáo"]
    headers = {ws.cell(HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    assert ws.cell(HEADER_ROW + 1, 2).value == "Tháng 11/2026"
    assert ws.cell(HEADER_ROW + 2, 2).value == TOTAL_LABEL
    assert ws.cell(HEADER_ROW + 1, headers[METRICS["received"]]).value == 8  # J (9/11) too
    assert ws.cell(HEADER_ROW + 1, headers[METRICS["refused"]]).value == 1

    book = tmp_path / "so.xlsx"
    result = run("report", "--db", str(week_db), "--kind", "book", "--from", "2026-11-02", "--to", "2026-11-08",
                 "--format", "xlsx", "--out", str(book))
    assert result.returncode == 0, result.stderr
    assert load_workbook(book).active.max_row == HEADER_ROW + 8

    listing = tmp_path / "niem-yet.xlsx"
    result = run("report", "--db", str(week_db), "--kind", "listing", "--out", str(listing))
    assert result.returncode == 0, result.stderr
    assert load_workbook(listing).active.cell(HEADER_ROW, 2).value == "Mã thủ tục"


def test_report_errors_are_vietnamese_and_leave_no_file(week_db, tmp_path):
    out = str(tmp_path / "r.pdf")
    cases = [
        (["--from", "2026-11-08", "--to", "2026-11-02", "--out", out], "trước ngày đầu kỳ"),
        (["--from", "hôm qua", "--to", "2026-11-02", "--out", out], "Ngày “hôm qua”"),
        (["--from", "2026-11-01", "--to", "2026-11-02", "--out", str(tmp_path / "r.docx")], "không hỗ trợ"),
        (["--from", "2026-11-01", "--to", "2026-11-02", "--out", out, "--format", "odt"], "không hỗ trợ"),
        (["--from", "2026-11-01", "--to", "2026-11-02", "--out", out, "--by", "ward"], "Không có cách nhóm"),
        (["--from", "2026-11-01", "--to", "2026-11-02", "--out", out, "--kind", "summary"], "Không có loại báo cáo"),
        (["--from", "2026-11-01", "--out", out], "Cần kỳ báo cáo"),
        (["--from", "2026-11-01", "--to", "2026-11-02"], "Cần tệp ghi ra"),
        (["--from", "2026-11-01", "--to", "2026-11-02", "--format", "pdf", "--out", str(tmp_path)],
         "Không ghi được tệp"),
        (["--from", "2026-11-01", "--to", "2026-11-02", "--out", str(week_db / "r.pdf")], "Không ghi được tệp"),
    ]
    for args, message in cases:
        result = run("report", "--db", str(week_db), *args)
        assert result.returncode == 2, (args, result.stdout)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    missing = run("report", "--db", str(tmp_path / "none.sqlite3"), "--from", "2026-11-01", "--to", "2026-11-02",
                  "--out", out)
    assert missing.returncode == 2 and "Không tìm thấy cơ sở dữ liệu" in missing.stderr
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "none.sqlite3").exists()
