"""The reports a ward hands in (handling report, tracking book, listing), PDF and XLSX, from a
week of dossiers built through the real counter operations and counted by hand.

The week: Monday 2/11/2026 to Sunday 8/11/2026 (no holiday). The period ends before the day
the tests run, so "pending" is taken at the end of the period (9/11 00:00) both in-process and
in the CLI's own process (tests/test_cli.py reuses ``build_week``).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from desk_app.models.errors import DomainError
from desk_app.models.forms import TemplateError, parse_template
from desk_app.models.statistics import DERIVED, METRIC_HELP, METRICS, Period
from desk_app.printing.reports import HEADER_ROW, TOTAL_LABEL, Reports

COPY = "2.000815"  # certified copy: same day, 15:00 cut-off
MARITAL = "1.004873"  # marital-status certificate: 3 working days
BIRTH = "1.001193"
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đào", "Giang", "Hà", "Khoa", "Lâm", "Minh", "Nga"]
WEEK = Period(date(2026, 11, 2), date(2026, 11, 8))


def person(n: int) -> dict:
    return {"full_name": f"Nguyễn Văn {GIVEN[n]}", "id_number": f"0420900{n:05d}", "birth_date": "15/03/1990",
            "sex": "Nam", "phone": f"0912{n:06d}", "address": "Tổ dân phố 3, Phường Đại Nài"}


def build_week(counter, clock) -> dict:
    """A: copy, on time. B: copy after 15:00, early. C: marital, apology, late. D: marital by the
    admin, overdue. E: supplement asked then given (4/11), due 9/11: not due. F: refused.
    G: withdrawn. H: transferred, overdue. J: after the period. Two surveys (A, B)."""
    v = {}
    clock.set(2026, 11, 2, 9, 0)
    v["A"] = counter.dossiers.receive(COPY, person(1), form_data={"pages": 2, "copies": 1})
    v["C"] = counter.dossiers.receive(MARITAL, person(3))
    v["E"] = counter.dossiers.request_supplement(["Tờ khai có chữ ký"], "Thiếu chữ ký", procedure_code=MARITAL,
                                                 applicant=person(5))
    v["F"] = counter.dossiers.refuse("Không thuộc thẩm quyền của phường", procedure_code=BIRTH, applicant=person(6))
    v["G"] = counter.dossiers.receive(MARITAL, person(7))
    v["H"] = counter.dossiers.receive(MARITAL, person(8))
    counter.login("admin", "quantri123")
    v["D"] = counter.dossiers.receive(MARITAL, person(4))
    counter.login("lan", "canbo1234")
    clock.set(2026, 11, 2, 10, 0)
    counter.dossiers.mark_result_ready(v["A"].code)
    clock.set(2026, 11, 2, 10, 5)
    v["A"] = counter.dossiers.return_result(v["A"].code)
    clock.set(2026, 11, 2, 15, 30)
    v["B"] = counter.dossiers.receive(COPY, person(2), form_data={"pages": 1, "copies": 3})
    clock.set(2026, 11, 2, 16, 0)
    counter.dossiers.mark_result_ready(v["B"].code)
    v["B"] = counter.dossiers.return_result(v["B"].code)
    clock.set(2026, 11, 4, 9, 0)
    v["E"] = counter.dossiers.supplement(v["E"].code)
    clock.set(2026, 11, 5, 9, 0)
    counter.dossiers.issue_apology(v["C"].code, "Chờ xác minh", date(2026, 11, 10))
    counter.dossiers.withdraw(v["G"].code, "Công dân xin rút hồ sơ")
    counter.dossiers.transfer(v["H"].code, "UBND tỉnh Hà Tĩnh")
    clock.set(2026, 11, 6, 10, 0)
    counter.dossiers.mark_result_ready(v["C"].code)
    clock.set(2026, 11, 6, 10, 30)
    v["C"] = counter.dossiers.return_result(v["C"].code)
    counter.dossiers.record_survey(v["A"].code, {"officer_polite": 5, "result_on_time": 4, "access_place": 2})
    counter.dossiers.record_survey(v["B"].code, {"officer_polite": 3, "result_on_time": 5}, channel="paper")
    clock.set(2026, 11, 9, 9, 0)
    v["J"] = counter.dossiers.receive(COPY, person(10), form_data={"pages": 1, "copies": 1})
    counter.login("admin", "quantri123")
    counter.set_settings({"ward.head_name": "Lê Văn Thành", "ward.head_title": "Chủ tịch"})
    counter.login("lan", "canbo1234")
    clock.set(2026, 11, 20, 14, 0)  # the report is made later: pending as of the end of the period
    return v


@pytest.fixture
def week(counter, clock):
    return build_week(counter, clock)


@pytest.fixture
def reports(counter):
    return Reports(counter)


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def sheet_table(data: bytes, sheet: str | None = None):
    """(worksheet, {header: column}, {label in column B: row}) of a report read back."""
    book = load_workbook(io.BytesIO(data))
    ws = book[sheet] if sheet else book.worksheets[0]
    headers = {ws.cell(HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, c).value}
    labels = {ws.cell(r, 2).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, 2).value}
    return ws, headers, labels


def name(counter, code: str) -> str:
    return f"{counter.catalogue.get(code).name} ({code})"


# -- the handling report --------------------------------------------------------------------

def test_the_rules_the_counts_rest_on(counter, week):
    assert [week[k].state.timeliness for k in "ABC"] == ["on_time", "early", "late"]
    assert counter.dossiers.dossier(week["E"].code).state.due_at == datetime.fromisoformat("2026-11-09T17:00:00+07:00")
    t = counter.statistics(WEEK).total
    assert (t["received"], t["solved"], t["early"], t["on_time"], t["late"]) == (7, 3, 1, 1, 1)
    assert (t["pending_not_due"], t["pending_overdue"]) == (1, 2)


def test_handling_pdf_has_the_headings_and_the_hand_counted_figures(counter, week, reports):
    report = reports.make("handling", "pdf", WEEK)
    assert report.data.startswith(b"%PDF") and report.rows == 3
    reader = PdfReader(io.BytesIO(report.data))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    text = text_of(report.data)
    for heading in ("ỦY BAN NHÂN DÂN PHƯỜNG ĐẠI NÀI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                    "BÁO CÁO TÌNH HÌNH TIẾP NHẬN VÀ GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH",
                    "Kỳ báo cáo: từ ngày 02/11/2026 đến ngày 08/11/2026",
                    "1. Kết quả tiếp nhận và giải quyết hồ sơ", "Tiếp nhận", "Đã giải quyết", "Trước hạn",
                    "Đúng hạn", "Quá hạn", "Tỷ lệ đúng và trước hạn", "Chỉ số hài lòng", "Thủ tục",
                    "3. Mức độ hài lòng của người dân, tổ chức", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH",
                    "Lê Văn Thành", "Đại Nài, ngày 20 tháng 11 năm 2026", "00 giờ 00 phút, ngày 09/11/2026"):
        assert heading in text, heading
    # the summary sentence with the hand counts
    assert ("tiếp nhận 7 hồ sơ; đã giải quyết 3 (1 trước hạn, 1 đúng hạn, 1 quá hạn); "
            "đang giải quyết 3 (2 quá hạn)") in text
    # rows: STT, label, received, solved, early, on time, late, pending not due, overdue, rate ...
    assert re.search(r"Chứng thực bản sao từ bản chính \(2\.000815\) 2 2 1 1 0 0 0 100,0 %", text)
    assert re.search(r"Cấp Giấy xác nhận tình trạng hôn nhân \(1\.004873\) 5 1 0 0 1 1 2 0,0 %", text)
    assert re.search(r"Tổng cộng 7 3 1 1 1 1 2 66,7 % 1,4 ", text)
    # second table: supplements 1, second 0, refused 1, stopped 1, apologies 1, transferred 1, surveys 2
    assert re.search(r"Tổng cộng 1 0 1 1 1 1 2", text)
    assert re.search(r"Đăng ký khai sinh \(1\.001193\) 0 0 1 0 0 0 0", text)
    # satisfaction: officer 1/2, result 2/2, access 0/1, mean of areas answered 50 %
    assert "Số phiếu khảo sát ghi nhận trong kỳ: 2; chỉ số hài lòng chung: 50,0 %" in text
    assert "Công chức trực tiếp giải quyết 50,0 %" in text and "Kết quả giải quyết 100,0 %" in text
    assert "Tiếp cận dịch vụ 0,0 %" in text


def test_handling_pdf_stays_inside_the_margins_of_landscape_a4(counter, week, reports):
    from desk_app.printing.render import MARGINS
    from tests.printing.test_render_all import text_positions

    for dimension in ("procedure", "clerk", "domain", "month"):
        pages = text_positions(reports.make("handling", "pdf", WEEK, dimension=dimension).data)
        for width, height, runs in pages:
            assert (round(width), round(height)) == (842, 595)
            for x0, x1, y, run in runs:
                assert x0 >= MARGINS["left"] - 1 and x1 <= width - MARGINS["right"] + 2, (dimension, run)
                assert MARGINS["bottom"] - 1 <= y <= height - MARGINS["top"] + 1, (dimension, run)
        # the signatures share their page with the satisfaction table, never alone
        last = " ".join(run for _, _, _, run in pages[-1][2])
        assert "TM. ỦY BAN NHÂN DÂN" in last and "Tiêu chí đánh giá" in last


def test_handling_pdf_by_clerk_and_by_month(counter, week, reports):
    text = text_of(reports.make("handling", "pdf", WEEK, dimension="clerk").data)
    assert "Cán bộ tiếp nhận" in text
    assert re.search(r"Nguyễn Thị Quản Trị 1 0 0 0 0 0 1", text)
    assert re.search(r"Trần Thị Lan 6 3 1 1 1 1 1", text)
    month = text_of(reports.make("handling", "pdf", Period(date(2026, 11, 1), date(2026, 11, 30)),
                                 dimension="month").data)
    assert re.search(r"Tháng 11/2026 8 3", month)  # with J (9/11)


def test_handling_xlsx_has_the_numbers_in_the_right_cells(counter, week, reports):
    report = reports.make("handling", "xlsx", WEEK)
    ws, headers, labels = sheet_table(report.data)
    assert ws.title == "Báo cáo"
    assert ws["A1"].value == "Ủy ban nhân dân phường Đại Nài — Trung tâm Phục vụ hành chính công phường Đại Nài"
    assert ws["A2"].value == "BÁO CÁO TÌNH HÌNH TIẾP NHẬN VÀ GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH"
    assert ws["A3"].value == "Kỳ báo cáo: từ ngày 02/11/2026 đến ngày 08/11/2026"
    assert ws.freeze_panes == f"C{HEADER_ROW + 1}"
    assert ws.cell(HEADER_ROW, 1).value == "STT" and ws.cell(HEADER_ROW, 2).value == "Thủ tục"
    assert list(headers)[2:] == list(METRICS.values()) + list(DERIVED.values())
    copy, marital, birth, total = (labels[name(counter, COPY)], labels[name(counter, MARITAL)],
                                   labels[name(counter, BIRTH)], labels[TOTAL_LABEL])
    # Vietnamese order of the labels: Cấp…, Chứng thực…, Đăng ký…; the total last
    assert (marital, copy, birth, total) == tuple(range(HEADER_ROW + 1, HEADER_ROW + 5))

    def at(row: int, metric: str):
        return ws.cell(row, headers[METRICS.get(metric) or DERIVED[metric]])

    expected_total = {"received": 7, "solved": 3, "early": 1, "on_time": 1, "late": 1, "pending_not_due": 1,
                      "pending_overdue": 2, "supplement_requests": 1, "second_supplement_requests": 0,
                      "refused": 1, "withdrawn": 1, "apologies": 1, "transferred": 1, "surveys": 2}
    for metric, value in expected_total.items():
        assert at(total, metric).value == value, metric
    assert (at(copy, "received").value, at(copy, "early").value, at(copy, "on_time").value) == (2, 1, 1)
    assert (at(marital, "received").value, at(marital, "late").value, at(marital, "pending_overdue").value) == (5, 1, 2)
    assert at(birth, "refused").value == 1 and at(birth, "received").value == 0
    # percentages are real percentages; days a number; nothing solved: an empty cell, not "—"
    rate = at(total, "on_time_rate")
    assert rate.value == pytest.approx(2 / 3) and rate.number_format == "0.0%"
    assert at(copy, "on_time_rate").value == 1 and at(marital, "on_time_rate").value == 0
    assert at(birth, "on_time_rate").value is None
    days = [65 / 1440, 30 / 1440, 4 + 1.5 / 24]  # A 09:00-10:05, B 15:30-16:00, C 2/11 09:00-6/11 10:30
    average = at(total, "average_days_to_return")
    assert average.value == pytest.approx(sum(days) / 3) and average.number_format == "0.0"
    assert at(total, "satisfaction").value == pytest.approx(0.5) and at(total, "satisfaction").number_format == "0.0%"
    assert ws.cell(total, 2).font.b and ws.column_dimensions["B"].width > 30
    # the summary sentence under the table, then the index by area
    below = [ws.cell(r, c).value for r in range(total + 1, ws.max_row + 1) for c in (1, 2, 3)]
    assert any(isinstance(v, str) and v.startswith("Kỳ từ ngày 02/11/2026 đến ngày 08/11/2026: tiếp nhận 7 hồ sơ")
               for v in below)
    area_rows = {ws.cell(r, 2).value: ws.cell(r, 3).value for r in range(total + 1, ws.max_row + 1)}
    assert area_rows["Công chức trực tiếp giải quyết"] == pytest.approx(0.5)
    assert area_rows["Kết quả giải quyết"] == 1 and area_rows["Tiếp cận dịch vụ"] == 0
    assert area_rows["Chung"] == pytest.approx(0.5)


def test_handling_xlsx_second_sheet_defines_the_figures(week, reports):
    book = load_workbook(io.BytesIO(reports.make("handling", "xlsx", WEEK, dimension="domain").data))
    assert book.sheetnames == ["Báo cáo", "Định nghĩa"]
    help_sheet = book["Định nghĩa"]
    defined = {help_sheet.cell(r, 1).value: help_sheet.cell(r, 2).value for r in range(2, help_sheet.max_row + 1)}
    assert defined[METRICS["received"]] == METRIC_HELP["received"]
    assert defined[METRICS["second_supplement_requests"]] == METRIC_HELP["second_supplement_requests"]
    assert all(defined[label] for label in list(METRICS.values()) + list(DERIVED.values()))
    ws = book["Báo cáo"]
    assert ws.cell(HEADER_ROW, 2).value == "Lĩnh vực"


def test_an_empty_period_still_makes_a_report(counter, reports):
    empty = Period(date(2026, 1, 5), date(2026, 1, 9))
    text = text_of(reports.make("handling", "pdf", empty).data)
    assert "(Chưa có phiếu khảo sát nào trong kỳ)" in text and "Tổng cộng 0 0 0 0 0 0 0 —" in text
    ws, headers, labels = sheet_table(reports.make("handling", "xlsx", empty).data)
    assert ws.cell(labels[TOTAL_LABEL], headers[METRICS["received"]]).value == 0


# -- the tracking book and the listing ------------------------------------------------------

def test_book_pdf_and_xlsx_hold_the_same_dossiers(counter, week, reports):
    codes = [week[k].code for k in "ACEFGHDB"]  # created in the period, oldest first
    text = text_of(reports.make("book", "pdf", WEEK).data)
    assert "SỔ THEO DÕI HỒ SƠ" in text and "Tổng số hồ sơ: 8" in text
    assert all(code in text for code in codes) and week["J"].code not in text
    ws, headers, _ = sheet_table(reports.make("book", "xlsx", WEEK).data)
    assert ws["A2"].value == "SỔ THEO DÕI HỒ SƠ"
    assert list(headers) == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Người nộp hồ sơ", "Địa chỉ, số điện thoại",
                             "Cơ quan giải quyết", "Ngày nhận hồ sơ", "Ngày hẹn trả kết quả", "Ngày trả kết quả",
                             "Cách nhận kết quả", "Tình trạng"]
    rows = list(range(HEADER_ROW + 1, ws.max_row + 1))
    assert [ws.cell(r, headers["Mã hồ sơ"]).value for r in rows] == codes
    first = rows[0]
    assert ws.cell(first, headers["Người nộp hồ sơ"]).value == "Nguyễn Văn Bình"
    returned = ws.cell(first, headers["Ngày trả kết quả"])
    assert returned.value == datetime(2026, 11, 2, 10, 5) and returned.number_format == "dd/mm/yyyy hh:mm"
    transferred = rows[codes.index(week["H"].code)]
    assert ws.cell(transferred, headers["Cơ quan giải quyết"]).value == "Cấp trên (liên thông)"
    assert ws.cell(transferred, headers["Ngày trả kết quả"]).value is None


def test_listing_pdf_has_every_procedure_and_xlsx_one_row_each(counter, reports):
    active = counter.catalogue.active()
    report = reports.make("listing", "pdf")
    reader = PdfReader(io.BytesIO(report.data))
    assert len(reader.pages) >= len(active) and report.rows == len(active)
    text = text_of(report.data)
    assert text.count("NIÊM YẾT THỦ TỤC HÀNH CHÍNH") == len(active)
    assert all(p.name.upper() in text.upper() for p in active)
    assert f"Trang {len(reader.pages)}/{len(reader.pages)}" in text
    ws, headers, _ = sheet_table(reports.make("listing", "xlsx").data)
    assert list(headers) == ["STT", "Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Thời hạn giải quyết", "Phí, lệ phí",
                             "Thành phần hồ sơ"]
    codes = {ws.cell(r, 2).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    assert set(codes) == {p.code for p in active}
    row = codes[COPY]
    assert ws.cell(row, 3).value == counter.catalogue.get(COPY).name
    assert "2.000 đồng/trang" in ws.cell(row, 6).value and ws.cell(row, 4).value == "Chứng thực"
    assert ws.cell(codes[BIRTH], 7).value.startswith("1. ")


# -- errors and the template kind ----------------------------------------------------------

def test_unknown_kind_format_dimension_and_missing_period_are_refused_in_vietnamese(reports):
    with pytest.raises(DomainError, match="Không có loại báo cáo"):
        reports.make("summary", "pdf", WEEK)
    with pytest.raises(DomainError, match="Định dạng “docx” không hỗ trợ"):
        reports.make("handling", "docx", WEEK)
    with pytest.raises(DomainError, match="Không có cách nhóm"):
        reports.make("handling", "pdf", WEEK, dimension="ward")
    with pytest.raises(DomainError, match="cần kỳ báo cáo"):
        reports.make("book", "xlsx", None)


def test_report_is_a_template_kind_with_its_own_context():
    base = 'id = "bc"\nversion = "1"\nkind = "report"\ntitle = "BÁO CÁO"\n\n[[blocks]]\ntype = "table"\n' \
           'source = "report.rows"\ncolumns = [{ title = "Tiếp nhận", value = "{item.%s}" }]\n'
    template = parse_template(base % "received")
    assert template.kind == "report"
    with pytest.raises(TemplateError, match="item.received_late"):
        parse_template(base % "received_late")
    with pytest.raises(TemplateError, match="kind phải là"):
        parse_template(base.replace('"report"', '"bao_cao"') % "received")
