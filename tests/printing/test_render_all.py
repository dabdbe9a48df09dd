"""Every template in forms_templates/ renders with realistic data: text extracted from the real PDF,
the shipped font embedded, nothing outside the margins."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.rl_config import spaceShrinkage

from desk_app.models.clock import VN_TZ
from desk_app.models.forms import derive_values, load_library, lookup
from desk_app.paths import templates_dir
from desk_app.printing.fonts import register_fonts
from desk_app.printing.render import MARGINS, render_pdf

LIBRARY = load_library(templates_dir(), strict=True)
TEMPLATES = sorted((t for t in LIBRARY.versions.values() if t.kind != "fragment"), key=lambda t: t.key)
LONG_NAME = "Tôn Nữ Hoàng Thị Bảo Khuê Nguyễn Phước"
NOW = datetime(2026, 11, 23, 15, 20, tzinfo=VN_TZ)


def sample_value(field, long: bool):
    kind = field.type
    if kind == "name":
        return LONG_NAME if long else "Lê Văn Tám"
    if kind in ("date", "birth_date"):
        return "02/09/1995"
    if kind == "cccd":
        return "042195001234"
    if kind == "phone":
        return "0912345678"
    if kind == "email":
        return "khue.ton@example.vn"
    if kind == "choice":
        return field.choices[-1] if field.choices else "Người thuộc hộ nghèo"  # choices_from: the catalogue's
    if kind in ("number", "money"):
        return 3
    if kind == "bool":
        return True
    text = ("Số 123, ngõ 45, đường Nguyễn Thị Minh Khai, Tổ dân phố Đông Tiến, Phường Đại Nài, "
            "tỉnh Hà Tĩnh, Việt Nam — ghi chú dài để thử việc xuống dòng ") if long else "Ghi chú ngắn"
    return text[: field.max_length] if field.max_length else text


def context_for(template, *, long: bool, optional_empty: bool = False):
    person = {"full_name": LONG_NAME if long else "Lê Văn Tám", "id_number": "042195001234",
              "birth_date": "02/09/1995", "sex": "Nữ", "phone": "0912345678", "email": "",
              "address": sample_value(type("F", (), {"type": "text", "max_length": None})(), long)}
    rows = [{"code": f"42010-Q01-261123-{i:04d}", "procedure": "Chứng thực bản sao từ bản chính",
             "applicant": LONG_NAME, "contact": "0912345678", "solver": "UBND cấp xã", "received_at": NOW,
             "due_at": NOW, "returned_at": NOW, "result_channel": "Trực tiếp", "status": "Đã trả kết quả"}
            for i in range(1, 41)]
    ctx = {
        "ward": {"name": "Phường Đại Nài", "code": "42010", "body": "UBND Phường Đại Nài",
                 "unit": "Bộ phận tiếp nhận và trả kết quả", "place": "Đại Nài", "province": "Hà Tĩnh",
                 "address": "Số 1 đường Trần Phú", "phone": "02393855123", "hotline": "1022", "head_title": "Chủ tịch"},
        "counter": {"number": 1}, "clerk": {"full_name": "Trần Thị Lan", "username": "lan"},
        "printed": {"at": NOW, "date": NOW.date(), "copy_kind": "original", "copy_label": ""},
        "verify": {"text": "QMC1|42010-Q01-261123-0001|x@1|202611231520|ABCDEFGHIJKLMNOPQRST"},
        "dossier": {"code": "42010-Q01-261123-0001", "official_code": "", "received_at": NOW, "due_at": NOW,
                    "original_due_at": NOW, "returned_at": None, "status": "Đã tiếp nhận", "sets": 1,
                    "time_limit": "3 ngày làm việc", "fee": "Miễn lệ phí", "result_place": "Bộ phận Một cửa",
                    "book_line": "", "request": "Cấp Giấy xác nhận tình trạng hôn nhân",
                    "papers": [{"name": "Tờ khai (theo mẫu)", "paper_kind": "Bản chính", "count": 1}] * 3,
                    "steps": [{"from_unit": "Bộ phận một cửa", "to_unit": "Sở Tư pháp", "at": NOW, "due": "",
                               "verdict": "Đúng hạn", "note": "Chuyển liên thông"}]},
        "procedure": {"code": "2.000815", "name": "Chứng thực bản sao từ bản chính", "domain": "Chứng thực",
                      "time_limit": "Trong ngày", "fee": "2.000 đồng/trang", "result": "Bản sao có chứng thực",
                      "solved_by": "Cấp xã", "channels": "Trực tiếp",
                      "components": [{"name": "Bản chính giấy tờ", "paper_kind": "Bản chính", "count": 1,
                                      "required": "Bắt buộc"}],
                      "process": [{"text": "Tiếp nhận"}, {"text": "Chứng thực"}],
                      "legal_basis": [{"text": "Nghị định 23/2015/NĐ-CP"}], "exemptions": []},
        "applicant": person, "principal": {} if optional_empty else dict(person),
        "authorisation": {"text": "" if optional_empty else "Giấy ủy quyền số 12/2026"},
        "supplement": {"reason": "Hồ sơ thiếu giấy tờ", "contact": "0239 3855 123", "at": NOW,
                       "items": [{"text": "Giấy chứng sinh (bản chính)"}, {"text": "Bản sao CCCD của cha"}]},
        "refusal": {"reason": "Không thuộc thẩm quyền giải quyết", "at": NOW},
        "apology": {"reason": "Cần xác minh thêm", "new_due_at": NOW, "previous_due_at": NOW, "channel": "Tin nhắn", "at": NOW},
        "withdrawal": {"reason": "Công dân xin rút hồ sơ", "requested_at": NOW, "at": NOW},
        "book": {"from": date(2026, 11, 1), "to": date(2026, 11, 23), "count": len(rows), "domain": "", "rows": rows},
        "catalogue": {"procedures": []},
    }
    values = {} if optional_empty else {f.id: sample_value(f, long) for f in template.fields}
    if optional_empty:
        values = {f.id: sample_value(f, long) for f in template.fields if f.required}
    for key, value in values.items():
        if key.startswith("applicant."):
            ctx["applicant"][key.split(".", 1)[1]] = value
        else:
            ctx[key] = value
    ctx.update(derive_values(template, values, ctx, today=NOW.date()))
    return ctx


def text_positions(pdf: bytes):
    """(page width, page height, [(x0, x1, y, text)]) for every text run of every page."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        runs = []

        def visit(text, cm, tm, font, size, runs=runs):
            if not text.strip():
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = abs(tm[0] * cm[0]) or 1
            name = str(font["/BaseFont"]).split("+")[-1] if font else "Tinos-Bold"
            font_name = name if name.startswith("Tinos") else "Tinos-Bold"
            width = stringWidth(text.strip("\n"), font_name, size * scale)
            # a justified line may shrink each space by rl_config.spaceShrinkage to fit (ReportLab
            # draws it so): the narrowest it can be drawn is what must stay inside the margins
            shrink = spaceShrinkage * text.count(" ") * stringWidth(" ", font_name, size * scale)
            runs.append((x, x + width - shrink, y, text))

        page.extract_text(visitor_text=visit)
        box = page.mediabox
        pages.append((float(box.width), float(box.height), runs))
    return pages


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: f"{t.id}@{t.version}")
@pytest.mark.parametrize("long", [True, False], ids=["long", "short"])
def test_template_renders_inside_the_margins_with_the_shipped_font(template, long):
    register_fonts()
    ctx = context_for(template, long=long, optional_empty=not long)
    pdf = render_pdf(template, ctx)
    reader = PdfReader(io.BytesIO(pdf))
    text = flat(" ".join(p.extract_text() for p in reader.pages))
    title = flat(template.title)
    assert title in text or title.upper() in text.upper()
    if long:
        for f in template.fields:
            if f.type == "name" and lookup(ctx, f.id):
                assert LONG_NAME.upper() in text.upper(), f.id
    used = set()  # the fonts text is actually drawn in (ReportLab lists an unused Helvetica too)
    for page in reader.pages:
        page.extract_text(visitor_text=lambda t, cm, tm, font, size: t.strip() and font and used.add(
            (str(font["/BaseFont"]), "/FontFile2" in font["/FontDescriptor"])))
    assert used and all("Tinos" in name and embedded for name, embedded in used), used
    for page in reader.pages:  # every font the page refers to is embedded (was: a stray Helvetica)
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            assert descriptor and "/FontFile2" in descriptor.get_object(), font.get("/BaseFont")
    for width, height, runs in text_positions(pdf):
        for x0, x1, y, run in runs:
            assert x0 >= MARGINS["left"] - 1, (run, x0)
            assert x1 <= width - MARGINS["right"] + 2, (run, x1, width - MARGINS["right"])
            assert MARGINS["bottom"] - 1 <= y <= height - MARGINS["top"] + 1, (run, y)


def test_text_is_nfc_before_drawing():
    template = LIBRARY.latest("to_khai_khai_sinh")
    ctx = context_for(template, long=False)
    import unicodedata
    ctx["child.full_name"] = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    text = PdfReader(io.BytesIO(render_pdf(template, ctx))).pages[0].extract_text()
    assert "NGUYỄN THỊ ÁNH TUYẾT" in text
