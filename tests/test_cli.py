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


# -- desk-app purge and desk-app incidents ---------------------------------------------------------

@pytest.fixture
def retention_db(tmp_path) -> Path:
    """A ward whose signature certification (kept 2 years) was returned three years ago and synced,
    and whose permanent certified copy was returned the same day."""
    from datetime import datetime, timedelta

    from desk_app.counter import Counter
    from desk_app.models.clock import VN_TZ
    from tests.conftest import FakeClock

    path = tmp_path / "ward.sqlite3"
    clock = FakeClock(datetime.now(VN_TZ).replace(hour=9, minute=0) - timedelta(days=3 * 366))
    counter = Counter.open(path, clock=clock, create=True)
    counter.initialise(ward_code="42010", ward_name="Phường Đại Nài", counter_no=1, admin_username="admin",
                       admin_password="quantri123")
    counter.login("admin", "quantri123")
    counter.add_clerk("lanhdao", "Lê Văn Lãnh Đạo", "leader", "lanhdao123")
    counter.add_clerk("lan", "Trần Thị Lan", "clerk", "canbo1234")
    counter.login("lan", "canbo1234")
    for code, person in (("2.000884", {"full_name": "Phạm Thị Hồng Nhung", "id_number": "042190055501", "sex": "Nữ"}),
                         ("2.000815", {"full_name": "Võ Minh Khôi", "id_number": "042090077702", "sex": "Nam"})):
        view = counter.dossiers.receive(code, {**person, "birth_date": "02/09/1990", "phone": "0987654321",
                                               "address": "Số 7, đường Hà Huy Tập, Phường Đại Nài"})
        counter.dossiers.mark_result_ready(view.code)
        counter.dossiers.return_result(view.code)
    with counter.store.transaction():  # what the sync client does once the district has them
        counter.store.conn.execute("DELETE FROM outbox")
    counter.close()
    return path


def test_purge_lists_then_only_a_leader_confirms(retention_db):
    db = str(retention_db)
    none = run("purge", "--db", db)
    assert none.returncode == 2 and "Chọn đúng một việc" in none.stderr
    listed = run("purge", "--db", db, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "1 hồ sơ đã hết thời hạn lưu trữ" in listed.stdout and "2.000884" in listed.stdout
    assert "(lưu 2 năm): 1 hồ sơ" in listed.stdout and "Chưa xóa dữ liệu nào" in listed.stdout
    purge_id = listed.stdout.split("Danh sách hủy dữ liệu cá nhân ", 1)[1].split(",", 1)[0]

    no_user = run("purge", "--db", db, "--confirm", purge_id, stdin="")
    assert no_user.returncode == 2 and "--user" in no_user.stderr
    no_password = run("purge", "--db", db, "--confirm", purge_id, "--user", "lanhdao", stdin="",
                      env={"DESK_APP_PASSWORD": ""})
    assert no_password.returncode == 2 and "Thiếu mật khẩu" in no_password.stderr
    wrong = run("purge", "--db", db, "--confirm", purge_id, "--user", "lanhdao", env={"DESK_APP_PASSWORD": "sai-mat-khau"})
    assert wrong.returncode == 2 and "mật khẩu không đúng" in wrong.stderr
    clerk = run("purge", "--db", db, "--confirm", purge_id, "--user", "lan", env={"DESK_APP_PASSWORD": "canbo1234"})
    assert clerk.returncode == 2 and "không phải lãnh đạo" in clerk.stderr
    for result in (no_user, no_password, wrong, clerk):
        assert "Traceback" not in result.stderr
    assert "Phạm Thị Hồng Nhung".encode() in _file_bytes(retention_db)  # nothing removed yet

    done = run("purge", "--db", db, "--confirm", purge_id, "--user", "lanhdao", env={"DESK_APP_PASSWORD": "lanhdao123"})
    assert done.returncode == 0, done.stderr
    assert "Lê Văn Lãnh Đạo đã xác nhận" in done.stdout and "của 1 hồ sơ" in done.stdout
    data = _file_bytes(retention_db)
    assert "Phạm Thị Hồng Nhung".encode() not in data and b"042190055501" not in data
    assert "Võ Minh Khôi".encode() in data
    check = run("check", "--db", db)
    assert check.returncode == 0 and "toàn vẹn" in check.stdout, check.stdout
    again = run("purge", "--db", db, "--confirm", purge_id, "--user", "lanhdao", env={"DESK_APP_PASSWORD": "lanhdao123"})
    assert again.returncode == 2 and "không còn chờ xác nhận" in again.stderr
    nothing = run("purge", "--db", db, "--list")
    assert nothing.returncode == 0 and "không lập danh sách" in nothing.stdout


def _file_bytes(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_incidents_list_and_export_with_the_72_hour_deadline(tmp_path):
    from datetime import datetime, timedelta

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from desk_app.counter import Counter
    from desk_app.models.clock import VN_TZ

    path = tmp_path / "ward.sqlite3"
    counter = Counter.open(path, create=True)
    counter.initialise(ward_code="42010", ward_name="Phường Đại Nài", counter_no=1, admin_username="admin",
                       admin_password="quantri123")
    counter.login("admin", "quantri123")
    now = datetime.now(VN_TZ)
    counter.privacy.record_incident(detected_at=now - timedelta(hours=80), kind="Mất hoặc bị lấy cắp máy tính/USB",
                                    description="Mất USB chứa bản quét giấy tờ", people_affected=12)
    counter.privacy.record_incident(detected_at=now - timedelta(hours=1, minutes=30), kind="Tiết lộ nhầm dữ liệu",
                                    description="Gửi nhầm phiếu hẹn cho người khác", measures="Gọi điện thu hồi")
    counter.close()

    listed = run("incidents", "--db", str(path))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert "Tiết lộ nhầm dữ liệu" in lines[0] and "Còn 70 giờ" in lines[0]  # newest first
    assert lines[1].startswith("QUÁ HẠN") and "Mất hoặc bị lấy cắp máy tính/USB" in lines[1]

    xlsx = tmp_path / "su-co.xlsx"
    result = run("incidents", "--db", str(path), "--export", str(xlsx))
    assert result.returncode == 0, result.stderr
    assert "2 sự cố, XLSX" in result.stdout
    ws = load_workbook(xlsx).active
    assert ws.cell(2, 1).value == "SỔ THEO DÕI SỰ CỐ DỮ LIỆU CÁ NHÂN"
    assert ws.cell(7, 3).value == "Mất hoặc bị lấy cắp máy tính/USB" and ws.cell(7, 6).value == 12
    assert ws.cell(7, 3).fill.fgColor.rgb.endswith("F8D7DA")  # overdue, highlighted
    assert ws.cell(8, 3).fill.fgColor.rgb in (None, "00000000")

    pdf = tmp_path / "su-co.pdf"
    result = run("incidents", "--db", str(path), "--export", str(pdf))
    assert result.returncode == 0, result.stderr
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages)
    assert "SỔ THEO DÕI SỰ CỐ DỮ LIỆU CÁ NHÂN" in text and "Quá hạn báo cáo 8 giờ" in text
    bad = run("incidents", "--db", str(path), "--export", str(tmp_path / "su-co.doc"))
    assert bad.returncode == 2 and "không hỗ trợ" in bad.stderr and "Traceback" not in bad.stderr


def test_nothing_the_clerk_reads_calls_the_server_above_the_ward_a_district():
    """No district level since 1/7/2025: the server is the province's."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    said = [f"{p.relative_to(root)}:{n}" for folder in ("desk_app", "desk_district")
            for p in (root / folder).rglob("*.py")
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "huyện" in line]
    assert said == []


def test_list_and_show_as_json_for_support_staff(week_db, counter):
    """`desk-app list --json` and `desk-app show CODE --json`: what a support engineer or a script
    reads, with the papers printed and their digests; showing a dossier is logged."""
    import hashlib
    import json

    from desk_app.printing.papers import Papers

    code = counter.store.lists.dossiers(limit=1)[0].code
    paper = Papers(counter).dossier_paper(code, "receipt")  # printed: journaled with its digest
    listed = run("list", "--db", str(week_db), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert code in [r["code"] for r in rows] and all(r["status_label"] for r in rows)
    returned = json.loads(run("list", "--db", str(week_db), "--status", "returned", "--json").stdout)
    assert returned and {r["status"] for r in returned} == {"returned"}
    bad = run("list", "--db", str(week_db), "--status", "xong")
    assert bad.returncode == 2 and "Không có trạng thái “xong”" in bad.stderr and "Traceback" not in bad.stderr

    shown = run("show", "--db", str(week_db), code, "--json")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["code"] == code and record["procedure"]["name"] and record["journal"][0]["seq"] == 1
    assert record["due_at"] and record["status_label"]
    receipt = [p for p in record["papers_printed"] if p["form"] == "receipt"][-1]
    assert receipt["sha256"] == hashlib.sha256(paper.pdf).hexdigest()
    entries = counter.store.privacy.access_entries({"kind": "view_record"})
    assert any(e["subject"] == code and e["detail"].get("via") == "cli show" for e in entries)
    missing = run("show", "--db", str(week_db), "42010-Q01-000000-9999")
    assert missing.returncode == 2 and "Không tìm thấy hồ sơ" in missing.stderr
