"""Papers of real dossiers: receipt and declaration filled from the journal, printing audited,
the QR code verifiable, old template versions still printable."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from desk_app.models.errors import DomainError, ValidationError
from desk_app.models.forms import load_library, parse_template
from desk_app.paths import templates_dir
from desk_app.printing.papers import Papers
from desk_app.printing.verify import verify_text

BIRTH_FORM = {
    "relationship": "Cha", "child.full_name": "Nguyễn Minh An", "child.birth_date": "01/11/2026",
    "child.sex": "Nam", "child.ethnicity": "Kinh", "child.nationality": "Việt Nam",
    "child.birth_place": "Bệnh viện Đa khoa tỉnh Hà Tĩnh", "mother.full_name": "Lê Thị Hoa",
    "father.full_name": "Nguyễn Văn Đức", "extract_copies": 2,
}


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture
def papers(counter):
    return Papers(counter)


def test_receipt_carries_code_applicant_times_papers_and_fee(counter, clock, papers, applicant):
    clock.set(2026, 11, 23, 15, 20)  # after 15:00; 24/11 is a public holiday in the calendar data
    view = counter.dossiers.receive("1.001193", applicant, form_data=BIRTH_FORM)
    text = text_of(papers.dossier_paper(view.code, "receipt").pdf)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert f"Mã hồ sơ: {view.code}" in text and "Nguyễn Văn Đức" in text and "042090012345" in text
    assert "15 giờ 20 phút, ngày 23/11/2026" in text
    assert "17 giờ 00 phút, ngày 25/11/2026" in text
    assert "Giấy chứng sinh" in text and "Miễn lệ phí" in text
    assert "Mẫu số 01" in text and "Trang 1/1" in text
    assert "Nộp thay cho" not in text  # nobody was authorised


def test_authorised_filing_is_printed_on_the_receipt(counter, papers, applicant):
    principal = {"full_name": "Phạm Thị Mai", "id_number": "042185000222", "address": "Thôn 5, xã Cẩm Bình",
                 "phone": "0987000111"}
    view = counter.dossiers.receive("2.000884", applicant, principal=principal, authorisation="Giấy ủy quyền số 15/2026/UQ")
    text = text_of(papers.dossier_paper(view.code, "receipt").pdf)
    assert "Nộp thay cho" in text and "Phạm Thị Mai" in text and "042185000222" in text
    assert "Giấy ủy quyền số 15/2026/UQ" in text


def test_declaration_prints_typed_values_and_the_date_in_words(counter, papers, applicant):
    view = counter.dossiers.receive("1.001193", applicant, form_data=BIRTH_FORM)
    text = text_of(papers.dossier_paper(view.code, "declaration").pdf)
    assert "TỜ KHAI ĐĂNG KÝ KHAI SINH" in text and "NGUYỄN MINH AN" in text
    assert "ngày mồng một tháng mười một năm hai nghìn không trăm hai mươi sáu" in text
    assert "Lê Thị Hoa" in text and "Làm tại: Đại Nài, ngày 23 tháng 11 năm 2026" in text


def test_printing_is_audited_and_a_reprint_says_so(counter, papers, applicant):
    view = counter.dossiers.receive("1.001193", applicant, form_data=BIRTH_FORM)
    papers.dossier_paper(view.code, "receipt")
    second = papers.dossier_paper(view.code, "receipt")
    papers.dossier_paper(view.code, "receipt", record=False)  # a preview is not a print
    prints = [a.payload for a in counter.store.actions_for(view.id) if a.kind == "printed"]
    assert [(p["form"], p["copy_kind"], p["template_id"], p["template_version"]) for p in prints] == [
        ("receipt", "original", "giay_tiep_nhan", "2026.1"), ("receipt", "reprint", "giay_tiep_nhan", "2026.1")]
    assert "Bản in lại" in text_of(second.pdf)


def test_the_qr_content_is_signed_with_the_ward_key(counter, papers, applicant):
    view = counter.dossiers.receive("1.001193", applicant)
    template = papers.template_for(counter.dossiers.dossier(view.code), "receipt")
    context = papers.dossier_context(counter.dossiers.dossier(view.code), template)
    signed = context["verify"]["text"]
    assert signed.startswith(f"QMC1|{view.code}|giay_tiep_nhan@2026.1|")
    key = counter.setting("paper_key")
    assert verify_text(key, signed)
    assert not verify_text(key, signed.replace(view.code, view.code[:-1] + "9"))
    assert not verify_text("00" * 32, signed)


def test_a_slip_without_its_step_is_refused_in_vietnamese(counter, papers, applicant):
    view = counter.dossiers.request_supplement(["Giấy chứng sinh"], "Thiếu giấy", procedure_code="1.001193", applicant=applicant)
    with pytest.raises(DomainError) as err:
        papers.dossier_paper(view.code, "receipt")
    assert "chưa được tiếp nhận" in err.value.message
    with pytest.raises(DomainError) as err:
        papers.dossier_paper(view.code, "refusal")
    assert "chưa in được" in err.value.message
    with pytest.raises(DomainError):
        papers.dossier_paper(view.code, "passport")


def test_a_dossier_keeps_its_template_version_after_an_upgrade(counter, applicant, tmp_path, monkeypatch):
    view = counter.dossiers.receive("1.001193", applicant, form_data=BIRTH_FORM)
    typed_with = counter.templates.latest("to_khai_khai_sinh").version  # the database keeps it from now on
    original = (templates_dir() / "declarations" / "to_khai_khai_sinh.toml").read_text(encoding="utf-8")
    newer = original.replace(f'version = "{typed_with}"', 'version = "2099.1"').replace(
        'text = "TỜ KHAI ĐĂNG KÝ KHAI SINH"', 'text = "TỜ KHAI ĐĂNG KÝ KHAI SINH (MẪU MỚI)"')
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "to_khai_khai_sinh.toml").write_text(newer, encoding="utf-8")
    for path in templates_dir().glob("slips/*.toml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr("desk_app.counter.templates_dir", lambda: folder)
    counter._templates = None  # as at the next start of the upgraded app
    papers = Papers(counter)
    assert papers.library.latest("to_khai_khai_sinh").version == "2099.1"
    pinned = counter.dossiers.dossier(view.code)
    assert pinned.row.template_version == typed_with
    text = text_of(papers.dossier_paper(view.code, "declaration").pdf)
    assert "MẪU MỚI" not in text and f"v{typed_with}" in text


def test_the_shipped_templates_all_load():
    library = load_library(templates_dir())
    assert library.errors == []
    assert parse_template(library.latest("giay_tiep_nhan").text).slip_type == "receipt"


def test_the_fee_is_computed_at_intake_and_printed_in_figures_and_words(counter, papers, applicant):
    view = counter.dossiers.receive("2.000815", applicant, form_data={"pages": 5, "copies": 2})
    [received] = [a for a in counter.store.actions_for(view.id) if a.kind == "received"]
    assert received.payload["fee"]["amount"] == 2 * (2000 + 2000 + 1000 + 1000 + 1000)
    text = text_of(papers.dossier_paper(view.code, "receipt").pdf)
    assert "14.000 đồng (Mười bốn nghìn đồng)" in text
    counter.set_settings({"fee.1.004873": "15.000"})
    exempt = counter.dossiers.receive("1.004873", applicant, form_data={"fee_exempt": "Người thuộc hộ nghèo"})
    fee = [a for a in counter.store.actions_for(exempt.id)][0].payload["fee"]
    assert fee["amount"] == 0 and "Trường hợp được miễn: Người thuộc hộ nghèo." in fee["lines"]
    with pytest.raises(ValidationError, match="không phải trường hợp được miễn"):
        counter.dossiers.receive("2.000884", applicant, form_data={"fee_exempt": "Người thuộc hộ nghèo"})


def test_a_reprint_keeps_the_day_of_the_decision(counter, clock, papers, applicant):
    view = counter.dossiers.receive("1.004873", applicant)  # Monday 23/11/2026
    counter.dossiers.issue_apology(view.code, "Cần xác minh thêm tại nơi cư trú trước đây", date(2026, 12, 2))
    clock.set(2026, 12, 7, 9, 0)  # reprinted two weeks later
    text = text_of(papers.dossier_paper(view.code, "apology").pdf)
    assert "Đại Nài, ngày 23 tháng 11 năm 2026" in text
    receipt = text_of(papers.dossier_paper(view.code, "receipt").pdf)
    assert "Đại Nài, ngày 23 tháng 11 năm 2026" in receipt


def test_a_late_birth_registration_pays_the_late_fee_on_its_receipt(counter, papers, applicant, clock):
    counter.set_settings({"fee.1.001193.late": "8.000"})
    late = counter.dossiers.receive("1.001193", applicant, form_data={**BIRTH_FORM, "child.birth_date": "01/08/2026"})
    [received] = [a for a in counter.store.actions_for(late.id) if a.kind == "received"]
    assert received.payload["fee"]["amount"] == 8000 and received.payload["fee"]["late"] is True
    text = text_of(papers.dossier_paper(late.code, "receipt").pdf)
    assert ("8.000 đồng (Tám nghìn đồng): lệ phí đăng ký quá hạn, 8.000 đồng/trường hợp (mức thu do Hội đồng "
            "nhân dân tỉnh quy định)") in text
    on_time = counter.dossiers.receive("1.001193", applicant, form_data=BIRTH_FORM)  # born 01/11, 22 days before
    assert text_of(papers.dossier_paper(on_time.code, "receipt").pdf).count("8.000 đồng") == 0
    counter.set_settings({"fee.1.001193.late": ""})
    unset = counter.dossiers.receive("1.001193", applicant, form_data={**BIRTH_FORM, "child.birth_date": "01/08/2026"})
    assert ("Đăng ký quá hạn: theo mức thu do Hội đồng nhân dân tỉnh quy định (phường chưa cài đặt mức thu nên "
            "chưa thu)") in text_of(papers.dossier_paper(unset.code, "receipt").pdf)
    poor = counter.dossiers.receive("1.001193", applicant, form_data={**BIRTH_FORM, "child.birth_date": "01/08/2026",
                                                                      "fee_exempt": "Người thuộc hộ nghèo"})
    assert "Miễn lệ phí (thuộc trường hợp: Người thuộc hộ nghèo)" in text_of(
        papers.dossier_paper(poor.code, "receipt").pdf)


def test_a_dossier_whose_template_version_is_gone_is_not_printed_with_another(counter, papers, applicant):
    view = counter.dossiers.receive("1.001193", applicant, form_data=BIRTH_FORM)
    counter.store.conn.execute("UPDATE dossiers SET template_version = '1999.1' WHERE id = ?", (view.id,))
    with pytest.raises(DomainError, match="phiên bản 1999.1") as err:
        papers.dossier_paper(view.code, "declaration")
    assert err.value.code == "template_missing"
    assert papers.library.get("to_khai_khai_sinh").version == papers.library.latest("to_khai_khai_sinh").version


def test_a_sum_typed_on_a_form_prints_with_separators_and_in_words(counter, applicant, tmp_path):
    """A money field prints "50.000.000 đồng (Năm mươi triệu đồng)", never "50000000"."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "to_khai_gia_tri.toml").write_text('''
id = "to_khai_gia_tri"
version = "1"
kind = "declaration"
slip_type = "declaration"
title = "TỜ KHAI"

[[fields]]
id = "contract.value"
label = "Giá trị hợp đồng"
type = "money"

[[blocks]]
type = "paragraph"
text = "Giá trị hợp đồng: {contract.value}."
''', encoding="utf-8")
    library = load_library(folder, strict=True)
    view = counter.dossiers.receive("2.000884", applicant, form_data={"contract.value": "50000000"},
                                    template=("to_khai_gia_tri", "1"))
    text = text_of(Papers(counter, library).dossier_paper(view.code, "declaration", record=False).pdf)
    assert "Giá trị hợp đồng: 50.000.000 đồng (Năm mươi triệu đồng)." in text
    assert "50000000" not in text


def test_signatures_never_stand_alone_on_a_page():
    """A paper whose signatures would fall alone on the last page carries the line above over."""
    from desk_app.printing.render import _render, render_pdf

    def paper(lines: int):
        body = "".join(f'\n[[blocks]]\ntype = "paragraph"\ntext = "Dòng số {i} của giấy."\n' for i in range(lines))
        return parse_template(f'''
id = "thu_chu_ky"
version = "1"
kind = "slip"
slip_type = "receipt"
title = "THỬ"
{body}
[[blocks]]
type = "signatures"
columns = [{{ title = "NGƯỜI NỘP HỒ SƠ", name = "Nguyễn Văn An" }}]
''')

    alone = next(n for n in range(20, 60) if _render(paper(n), {}, keep_signatures_with_text=False)[1].signatures_alone)
    pages = PdfReader(io.BytesIO(render_pdf(paper(alone), {}))).pages
    last = pages[-1].extract_text()
    assert "NGƯỜI NỘP HỒ SƠ" in last and f"Dòng số {alone - 1} của giấy." in last


def test_names_since_the_reform_and_a_reprint_that_keeps_its_appointment(counter, clock, papers, applicant):
    """The unit line is the ward's own one-stop centre (settings may name it otherwise); the body is
    written out in normal case mid-sentence; a receipt reprinted after an apology still gives the
    appointment it gave, and the apology is Mẫu số 04's "Văn bản xin lỗi và đề nghị gia hạn"."""
    view = counter.dossiers.receive("1.004873", applicant)
    first = text_of(papers.dossier_paper(view.code, "receipt").pdf)
    assert "Trung tâm Phục vụ hành chính công phường Đại Nài đã tiếp nhận hồ sơ của:" in first
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG" in first and "ỦY BAN NHÂN DÂN" in first
    assert "huyện" not in first.lower() and "UBND" not in first
    clock.set(2026, 11, 25, 9, 0)
    counter.dossiers.issue_apology(view.code, "Phải xác minh tại nơi cư trú trước đây", date(2026, 12, 2))
    reprint = text_of(papers.dossier_paper(view.code, "receipt").pdf)
    appointment = "5. Thời gian trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, ngày 27/11/2026."
    assert appointment in first and appointment in reprint and "02/12/2026" not in reprint
    assert "Bản in lại" in reprint
    apology = text_of(papers.dossier_paper(view.code, "apology").pdf)
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in apology and "02/12/2026" in apology
    counter.set_settings({"ward.unit": "Bộ phận Một cửa phường Đại Nài"})  # the ward's own data wins
    assert "Bộ phận Một cửa phường Đại Nài đã tiếp nhận" in text_of(papers.dossier_paper(view.code, "receipt").pdf)


def test_the_tracking_book_holds_at_least_ten_dossiers_a_page(counter, clock, papers, applicant):
    """Issue: 83 dossiers on 28 landscape pages. A book a person uses: ten and more a page."""
    import math

    address = "Số 123, đường Trần Hưng Đạo, Tổ dân phố 3, Phường Đại Nài, tỉnh Hà Tĩnh"
    given = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lâm", "Minh", "Nam", "Oanh"]
    names = [f"Nguyễn {m} {g}" for m in ("Văn", "Thị", "Hữu", "Minh") for g in given]
    for i in range(44):
        code = "2.000884" if i % 3 == 0 else "1.004873"  # one in three with the longest procedure name
        counter.dossiers.receive(code, {**applicant, "address": address, "phone": f"09123{i:05d}",
                                        "id_number": f"04209001{i:04d}", "full_name": names[i]})
    day = counter.now().date()
    pages = PdfReader(io.BytesIO(papers.book(day, day).pdf)).pages
    assert len(pages) <= math.ceil(44 / 10)
    assert names[43] in " ".join(pages[-1].extract_text().split())  # the last one, on the last page


def test_the_receipt_names_the_dossier_code_and_the_provinces_beside_it(counter, papers, applicant):
    view = counter.dossiers.receive("1.004873", applicant)
    text = text_of(papers.dossier_paper(view.code, "receipt", record=False).pdf)
    assert f"Mã hồ sơ: {view.code}" in text and "hệ thống giải quyết thủ tục hành chính của tỉnh" not in text
    counter.dossiers.assign_official_code(view.code, "000.00.42.H10-261123-0007")
    text = text_of(papers.dossier_paper(view.code, "receipt", record=False).pdf)
    assert ("Mã hồ sơ trên hệ thống giải quyết thủ tục hành chính của tỉnh: 000.00.42.H10-261123-0007") in text
