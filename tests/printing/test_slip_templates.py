"""The one-stop slips rendered from real dossiers: real operations on a real temporary database,
the real templates in forms_templates/slips/, the PDF text read back with pypdf."""

from __future__ import annotations

import io
import re
import tomllib
import unicodedata
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader

from desk_app.models.clock import VN_TZ
from desk_app.models.forms import load_template_file
from desk_app.paths import templates_dir
from desk_app.printing.papers import Papers

SLIPS = templates_dir() / "slips"
LONG_NAME = "Tôn Nữ Hoàng Thị Bảo Khuê Nguyễn Phước"
MARRIAGE = "1.004873"  # Cấp Giấy xác nhận tình trạng hôn nhân: 3 working days
COPY = "2.000815"  # Chứng thực bản sao từ bản chính: same day


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def pages(pdf: bytes) -> list[str]:
    return [_norm(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    return " ".join(pages(pdf))


def form_number(filename: str) -> str:
    with open(SLIPS / filename, "rb") as fh:
        return tomllib.load(fh)["form_number"]


def at(hour: int, minute: int, day: date) -> str:
    return f"{hour:02d} giờ {minute:02d} phút, ngày {day:%d/%m/%Y}"


@pytest.fixture
def papers(counter):
    return Papers(counter)


# -- the files themselves ---------------------------------------------------------------------

EXPECTED = {
    "phieu_yeu_cau_bo_sung.toml": ("slip", "supplement", "Mẫu số 02"),
    "phieu_tu_choi.toml": ("slip", "refusal", "Mẫu số 03"),
    "phieu_xin_loi.toml": ("slip", "apology", "Mẫu số 04"),
    "thong_bao_dung.toml": ("slip", "stop_notice", "Mẫu số 05"),
    "phieu_kiem_soat.toml": ("slip", "control", "Mẫu số 06"),
    "so_theo_doi.toml": ("book", "book", "Mẫu số 07"),
    "niem_yet.toml": ("listing", "listing", ""),
}


@pytest.mark.parametrize("filename", sorted(EXPECTED))
def test_template_file_is_valid_and_chosen_for_its_slip_type(filename, papers):
    template = load_template_file(SLIPS / filename)  # raises TemplateError when broken
    kind, slip_type, number = EXPECTED[filename]
    assert (template.kind, template.slip_type, template.form_number) == (kind, slip_type, number)
    assert re.fullmatch(r"\d{4}\.\d+", template.version)
    assert "Thông tư 03/2025/TT-VPCP" in template.follows
    assert template.text.lstrip().startswith("#")  # the comment saying which form it follows
    assert unicodedata.normalize("NFC", template.text) == template.text
    assert papers.slip_template(slip_type).id == template.id
    for block in template.blocks:
        if block.type == "table":
            assert sum(c["width"] for c in block.get("columns")) == pytest.approx(1.0)


# -- Mẫu 02: supplement request -------------------------------------------------------------------

def test_supplement_request_lists_every_item_once(counter, papers, applicant):
    applicant.update(full_name=LONG_NAME, email="bao.khue@example.vn")
    items = ["Giấy tờ chứng minh đã ly hôn (bản án hoặc quyết định của Tòa án)",
             "Tờ khai chưa ghi nơi cư trú trước khi chuyển đến"]
    view = counter.dossiers.request_supplement(items, "Hồ sơ chưa đủ thành phần theo quy định", procedure_code=MARRIAGE,
                                               applicant=applicant, contact="Công chức Tư pháp – Hộ tịch, 0239 3855 123")
    text = text_of(papers.dossier_paper(view.code, "supplement", record=False).pdf)

    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert text.count(view.code) >= 2  # in the body, not only in the footer
    assert LONG_NAME in text
    assert "Cấp Giấy xác nhận tình trạng hôn nhân" in text
    assert "bao.khue@example.vn" in text
    assert "Hồ sơ của Ông/bà cần được bổ sung, hoàn thiện các nội dung sau:" in text
    assert f"1. {items[0]}" in text and f"2. {items[1]}" in text
    assert "Lý do: Hồ sơ chưa đủ thành phần theo quy định" in text
    assert "Công chức Tư pháp – Hộ tịch, 0239 3855 123" in text
    assert "yêu cầu bổ sung một lần" in text
    assert "NGƯỜI HƯỚNG DẪN" in text and "Trần Thị Lan" in text
    assert form_number("phieu_yeu_cau_bo_sung.toml") in text


# -- Mẫu 03: refusal ------------------------------------------------------------------------------

def test_refusal_gives_the_reason(counter, papers, applicant):
    reason = "Yêu cầu không thuộc thẩm quyền giải quyết của Ủy ban nhân dân cấp xã"
    view = counter.dossiers.refuse(reason, procedure_code=MARRIAGE, applicant=applicant)
    text = text_of(papers.dossier_paper(view.code, "refusal", record=False).pdf)

    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert text.count(view.code) >= 2
    assert "Nguyễn Văn Đức" in text
    assert "042090012345" in text
    assert "Trần Phú" in text  # the address
    assert "không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:" in text
    assert reason in text
    assert "NGƯỜI NỘP HỒ SƠ" in text and "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert form_number("phieu_tu_choi.toml") in text


# -- Mẫu 04: apology and new date -----------------------------------------------------------------

def test_apology_gives_old_and_new_appointment(counter, clock, papers, applicant):
    view = counter.dossiers.receive(MARRIAGE, applicant)
    received, due = view.state.received_at, view.state.due_at
    clock.set(2026, 11, 25, 9, 0)
    view = counter.dossiers.issue_apology(view.code, "Phải xác minh tình trạng hôn nhân tại nơi cư trú trước đây",
                                          date(2026, 12, 2), channel="Tin nhắn")
    text = text_of(papers.dossier_paper(view.code, "apology", record=False).pdf)

    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text  # Mẫu số 04, TT 03/2025/TT-VPCP
    assert "PHIẾU XIN LỖI" not in text  # the repealed 2018 title
    assert "Kính gửi: Ông/bà Nguyễn Văn Đức" in text
    assert f"Mã hồ sơ: {view.code}." in text
    assert "Số định danh cá nhân của Ông/bà: 042090012345." in text
    assert f"vào {at(received.hour, received.minute, received.date())}" in text
    assert "Cấp Giấy xác nhận tình trạng hôn nhân" in text
    assert f"Thời gian hẹn trả kết quả giải quyết hồ sơ: {at(due.hour, due.minute, due.date())}." in text
    assert "Lý do: Phải xác minh tình trạng hôn nhân tại nơi cư trú trước đây" in text
    assert "xin lỗi Ông/bà" in text
    assert "hẹn trả kết quả giải quyết hồ sơ vào 17 giờ 00 phút, ngày 02/12/2026" in text
    assert "bằng hình thức: Tin nhắn" in text
    assert "TM. ỦY BAN NHÂN DÂN PHƯỜNG ĐẠI NÀI CHỦ TỊCH" in text
    assert form_number("phieu_xin_loi.toml") in text


def test_apology_leaves_out_empty_optional_lines(counter, clock, papers):
    view = counter.dossiers.receive(MARRIAGE, {"full_name": LONG_NAME, "birth_date": "01/01/1980", "sex": "Nữ"})
    clock.set(2026, 11, 25, 9, 0)
    view = counter.dossiers.issue_apology(view.code, "Cần xác minh", date(2026, 12, 3), channel="")
    text = text_of(papers.dossier_paper(view.code, "apology", record=False).pdf)

    assert f"Kính gửi: Ông/bà {LONG_NAME}" in text
    assert "Số định danh cá nhân" not in text
    assert "bằng hình thức" not in text
    assert "17 giờ 00 phút, ngày 03/12/2026" in text
    assert len(pages(papers.dossier_paper(view.code, "apology", record=False).pdf)) == 1


# -- Mẫu 05: stop notice --------------------------------------------------------------------------

def test_stop_notice_confirms_handling_stopped(counter, clock, papers, applicant):
    view = counter.dossiers.receive(MARRIAGE, applicant)
    clock.advance(hours=2)
    asked = datetime(2026, 11, 23, 10, 30, tzinfo=VN_TZ)
    view = counter.dossiers.withdraw(view.code, "Không còn nhu cầu", requested_at=asked)
    pdf = papers.dossier_paper(view.code, "stop_notice", record=False).pdf
    text = text_of(pdf)

    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert text.count(view.code) >= 2
    assert "Nguyễn Văn Đức" in text
    assert "Vào 10 giờ 30 phút, ngày 23/11/2026, Ông/bà đã đề nghị dừng giải quyết hồ sơ" in text
    assert "Lý do: Không còn nhu cầu" in text
    assert "đã dừng giải quyết hồ sơ kể từ ngày 23 tháng 11 năm 2026" in text
    assert "nhận lại giấy tờ đã nộp" in text
    assert "1. Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)" in text
    assert "NGƯỜI NHẬN LẠI HỒ SƠ" in text
    assert form_number("thong_bao_dung.toml") in text
    assert len(pages(pdf)) == 1


# -- Mẫu 06: control slip -------------------------------------------------------------------------

def test_control_slip_has_a_row_per_hand_over(counter, clock, papers, applicant):
    view = counter.dossiers.receive(MARRIAGE, applicant)
    unit = "Sở Tư pháp tỉnh Hà Tĩnh"
    clock.set(2026, 11, 23, 10, 15)
    counter.dossiers.transfer(view.code, unit)
    clock.set(2026, 11, 25, 14, 45)
    counter.dossiers.transfer_returned(view.code, unit)
    due = view.state.due_at
    text = text_of(papers.dossier_paper(view.code, "control", record=False).pdf)

    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert f"mã hồ sơ: {view.code}" in text
    assert "Nguyễn Văn Đức" in text
    assert f"Thời gian hẹn trả kết quả: {at(due.hour, due.minute, due.date())}" in text
    assert "Tên cơ quan, đơn vị giao / nhận" in text
    assert f"Giao: Trung tâm Phục vụ hành chính công phường Đại Nài Nhận: {unit}" in text
    assert f"Giao: {unit} Nhận: Trung tâm Phục vụ hành chính công phường Đại Nài" in text
    assert "10 giờ 15 phút, ngày 23/11/2026" in text
    assert "14 giờ 45 phút, ngày 25/11/2026" in text
    assert "Chuyển liên thông" in text and "Nhận lại kết quả liên thông" in text
    assert form_number("phieu_kiem_soat.toml") in text


# -- Mẫu 07: tracking book ------------------------------------------------------------------------

BOOK_HEADER = ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Người nộp hồ sơ", "Địa chỉ, số điện thoại",
               "Cơ quan giải quyết", "Ngày nhận hồ sơ", "Ngày hẹn trả kết quả", "Ngày trả kết quả",
               "Cách nhận kết quả", "Ký nhận"]


def test_book_runs_over_pages_with_the_header_on_each(counter, clock, papers, applicant):
    codes = []
    for i in range(60):
        person = dict(applicant, full_name=LONG_NAME) if i % 10 == 0 else applicant
        codes.append(counter.dossiers.receive(COPY if i % 2 else MARRIAGE, person).code)
        clock.advance(minutes=25)
        if clock.at.hour >= 16:
            clock.at = (clock.at + timedelta(days=1)).replace(hour=8, minute=0)
    pdf = papers.book(date(2026, 11, 23), clock.at.date()).pdf
    texts = pages(pdf)

    assert len(texts) > 1
    for number, page in enumerate(texts, start=1):
        for title in BOOK_HEADER:
            assert title in page, f"trang {number} thiếu cột “{title}”"
    whole = " ".join(texts)
    assert "SỔ THEO DÕI HỒ SƠ" in texts[0]
    assert f"Từ ngày 23/11/2026 đến ngày {clock.at:%d/%m/%Y}" in texts[0]
    assert "Tổng số hồ sơ: 60" in texts[0]
    assert all(code in whole for code in codes)
    assert LONG_NAME in whole and "Chứng thực bản sao từ bản chính" in whole
    assert "0912345678" in whole
    assert form_number("so_theo_doi.toml") in texts[-1]
    assert PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width > PdfReader(io.BytesIO(pdf)).pages[0].mediabox.height


# -- public listing -------------------------------------------------------------------------------

def test_listing_publishes_the_procedure(counter, papers):
    counter.set_settings({"ward.address": "Số 168, đường Hà Huy Tập", "ward.hotline": "1900 1234"})
    text = text_of(papers.listing(COPY).pdf)

    assert "NIÊM YẾT THỦ TỤC HÀNH CHÍNH" in text
    assert "CHỨNG THỰC BẢN SAO TỪ BẢN CHÍNH" in text
    assert "Mã thủ tục: 2.000815" in text and "Lĩnh vực: Chứng thực" in text
    assert "Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao" in text
    assert "Thời hạn giải quyết: Trong ngày làm việc" in text
    assert "2.000 đồng/trang" in text
    assert "Cách thức nộp hồ sơ: Trực tiếp" in text
    assert "Bước 1. Người yêu cầu nộp hồ sơ" in text
    assert "Kết quả giải quyết: Bản sao được chứng thực từ bản chính" in text
    assert "Nghị định số 23/2015/NĐ-CP" in text
    assert "8. Nơi tiếp nhận hồ sơ và trả kết quả: Trung tâm Phục vụ hành chính công phường Đại Nài." in text
    assert "Số 168, đường Hà Huy Tập" in text and "1900 1234" in text
    assert "Đối tượng được miễn, giảm" not in text  # 2.000815 lists none


def test_listing_prints_exemptions_when_there_are_some(counter, papers):
    text = text_of(papers.listing("1.001193").pdf)
    assert "ĐĂNG KÝ KHAI SINH" in text
    assert "Đối tượng được miễn, giảm: – Đăng ký khai sinh đúng hạn. – Người thuộc gia đình có công với cách mạng." in text
    assert "Đường dây nóng" not in text  # no hotline set


def test_the_control_slip_goes_with_every_hand_over_from_the_one_stop(counter, clock, applicant):
    """Mẫu số 06 with the dossier handed to the ward's specialist, not only after a transfer to
    the level above; each hand-over with its time and who gave and who received."""
    from desk_app.models.errors import DomainError
    from desk_app.printing.papers import Papers

    papers = Papers(counter)
    view = counter.dossiers.receive("1.004873", applicant)
    with pytest.raises(DomainError, match="Chuyển xử lý.*hoặc.*Chuyển liên thông"):
        papers.dossier_paper(view.code, "control", record=False)
    clock.set(2026, 11, 23, 10, 30)
    counter.dossiers.start_processing(view.code, to="Nguyễn Văn Chuyên (công chức tư pháp - hộ tịch)")
    text = text_of(papers.dossier_paper(view.code, "control", record=False).pdf)
    assert "Nhận: Nguyễn Văn Chuyên (công chức tư pháp - hộ tịch)" in text
    assert "Giao: Trần Thị Lan" in text and "10 giờ 30 phút, ngày 23/11/2026" in text
    assert "Chuyển xử lý" in text
