"""The serif shipped with the app (Tinos, OFL), registered for ReportLab and checked for
full Vietnamese coverage: a missing glyph would print as an empty box, silently."""

from __future__ import annotations

from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..models.errors import DomainError
from ..paths import resource_path

FAMILY = "Tinos"
FILES = {
    "Tinos": "Tinos-Regular.ttf",
    "Tinos-Bold": "Tinos-Bold.ttf",
    "Tinos-Italic": "Tinos-Italic.ttf",
    "Tinos-BoldItalic": "Tinos-BoldItalic.ttf",
}
# Every letter Vietnamese writes, both cases, plus the punctuation our papers use.
VIETNAMESE = (
    "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ"
    "AÀẢÃÁẠĂẰẲẴẮẶÂẦẨẪẤẬBCDĐEÈẺẼÉẸÊỀỂỄẾỆGHIÌỈĨÍỊKLMNOÒỎÕÓỌÔỒỔỖỐỘƠỜỞỠỚỢPQRSTUÙỦŨÚỤƯỪỬỮỨỰVXYỲỶỸÝỴ"
    "0123456789.,;:!?()[]/-–—…“”‘’%*+=&"
)


class FontProblem(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="font")


def missing_glyphs(font_name: str, text: str = VIETNAMESE) -> list[str]:
    font = pdfmetrics.getFont(font_name)
    charmap = font.face.charToGlyph
    return [ch for ch in dict.fromkeys(text) if ord(ch) not in charmap]


@lru_cache(maxsize=1)
def register_fonts() -> str:
    """Register the family once; raise FontProblem (Vietnamese) if a file or a glyph is missing."""
    for name, filename in FILES.items():
        path = resource_path("fonts", filename)
        if not path.exists():
            raise FontProblem(f"Thiếu tệp phông chữ {path}. Hãy cài lại phần mềm.")
        pdfmetrics.registerFont(TTFont(name, str(path)))
        gaps = missing_glyphs(name)
        if gaps:
            raise FontProblem(f"Phông chữ {filename} thiếu {len(gaps)} ký tự tiếng Việt: {''.join(gaps[:20])}")
    addMapping(FAMILY, 0, 0, "Tinos")
    addMapping(FAMILY, 1, 0, "Tinos-Bold")
    addMapping(FAMILY, 0, 1, "Tinos-Italic")
    addMapping(FAMILY, 1, 1, "Tinos-BoldItalic")
    return FAMILY
