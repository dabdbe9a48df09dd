"""The shortcuts that make a receipt fast must not change what is printed."""

from __future__ import annotations

import hashlib
import io
import re

from pypdf import PdfReader

from desk_app.printing.fonts import _stable_text, register_fonts
from desk_app.printing.qr import qr_matrix
from desk_app.printing.render import render_pdf
from desk_app.models.forms import parse_template

# Digests of the module matrices made by ReportLab's own encoder before our changes (mask 2).
GOLDEN = {
    "QMC1|42010-Q01-261123-0001|giay_tiep_nhan@2025.2|202611230930|ABCDEFGHIJKLMNOPQRST":
        "5667f1ea80f9505a3aadc02d69faeb52023816e4852d6a0b8c7962ed4be90b94",
    "x": "8cb2db06f01c69718635a05d934a3ea04bdb00d7656e8ccee02104bfc7428a26",
    "QMC1|" + "9" * 200: "ae2b726f45c8baa5b7d4c324f7db6ea7f148de4b5537629bbd99b72482be9fe2",
}


def _digest(modules: list[list[bool]]) -> str:
    bits = "".join("".join("1" if cell else "0" for cell in row) for row in modules)
    return hashlib.sha256(bits.encode()).hexdigest()


def test_qr_modules_are_those_of_reportlabs_encoder():
    for text, digest in GOLDEN.items():
        assert _digest(qr_matrix(text)) == digest, text


def test_the_fixed_font_subset_fits_the_first_subset():
    register_fonts()
    assert len(_stable_text()) <= 160  # ReportLab's first subset has 160 free codes


TEMPLATE = """
id = "speed_probe"
version = "1"
kind = "slip"
title = "Phiếu thử"

[[fields]]
id = "name"
label = "Họ tên"

[[blocks]]
type = "paragraph"
text = "Người nộp: {name}"
"""


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_papers_rendered_one_after_another_keep_their_own_letters():
    """The first subset is shared; letters outside it (a foreign name) still print, and a
    later paper without them is not affected."""
    template = parse_template(TEMPLATE, "speed_probe.toml")
    names = ["Nguyễn Thị Ánh Tuyết", "François Müller Ñúñez", "Đặng Ỷ Lan", "Øystein Ærø"]
    for name in names * 2:
        pdf = render_pdf(template, {"name": name})
        assert f"Người nộp: {name}" in _text(pdf)


def test_widths_of_every_letter_match_the_font():
    template = parse_template(TEMPLATE, "speed_probe.toml")
    pdf = render_pdf(template, {"name": "Trần Văn Hải"})
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    from reportlab.pdfbase import pdfmetrics
    checked = 0
    for ref in fonts.values():
        font = ref.get_object()
        if "Tinos" not in str(font["/BaseFont"]):
            continue
        name = str(font["/BaseFont"]).split("+", 1)[1]
        widths = font["/Widths"]
        cmap = font["/ToUnicode"].get_object().get_data().decode()
        rl_font = pdfmetrics.getFont(name)
        for code_hex, uni_hex in re.findall(r"^<([0-9A-F]{2})> <([0-9A-F]{4})>$", cmap, re.M):
            code, uni = int(code_hex, 16), int(uni_hex, 16)
            if code and uni != 0x20:
                assert abs(widths[code] - rl_font.face.getCharWidth(uni)) < 1e-3  # printed with 4 decimals
                checked += 1
    assert checked > 100


def test_warm_up_prints_a_real_paper_with_every_face():
    from desk_app.printing.render import warm_up

    pdf = warm_up()
    text = _text(pdf)
    assert "Khởi động bộ in" in text and "Nguyễn Thị Ánh Tuyết" in text and "Đặng Ỷ Lan" in text
    fonts = {str(f.get_object()["/BaseFont"]) for f in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()}
    assert {"/AAAAAA+Tinos", "/AAAAAA+Tinos-Bold", "/AAAAAA+Tinos-Italic"} <= fonts
