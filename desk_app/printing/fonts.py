"""The serif shipped with the app (Tinos, OFL), registered for ReportLab and checked for
full Vietnamese coverage: a missing glyph would print as an empty box, silently."""

from __future__ import annotations

import zlib
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfdoc, pdfmetrics
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


# The non-ASCII characters every document's first font subset holds, in this order. Fixed
# content means the embedded subset is the same bytes in every paper, so it is built and
# compressed once per process instead of once per PDF (about 8 ms of a receipt). It must fit
# the 160 free codes of ReportLab's first subset; anything else a name needs (ç, ñ, ...) goes
# to a second subset made per document, as before.
STABLE_EXTRAS = "–—…“”‘’•°№«»·×"


def _stable_text() -> str:
    seen = dict.fromkeys(ch for ch in VIETNAMESE + STABLE_EXTRAS if ord(ch) > 126)
    return "".join(seen)


class StableSubsetTTFont(TTFont):
    """A TTFont whose first subset is fixed (see STABLE_EXTRAS); the subset's font program is
    made once and reused. Output stays a normal ReportLab subset font."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        make = self.face.makeSubset
        cache: dict[tuple[int, ...], bytes] = {}

        def make_subset(subset: list[int]) -> bytes:
            key = tuple(subset)
            if key not in cache:
                if len(cache) > 64:  # rare foreign letters make varied second subsets
                    cache.clear()
                cache[key] = make(subset)
            return cache[key]

        self.face.makeSubset = make_subset
        self._stable = "".join(ch for ch in _stable_text() if ord(ch) in self.face.charToGlyph)

    def splitString(self, text: Any, doc: Any, encoding: str = "utf-8") -> list:  # noqa: N802
        if doc not in self.state:
            self.state[doc] = self._fresh_state()
        return super().splitString(text, doc, encoding)

    def _fresh_state(self) -> Any:
        """A document's subset state with the fixed codes already assigned (a copy of one
        made by ReportLab's own assignment, once)."""
        model = getattr(self, "_model_state", None)
        if model is None:
            model = TTFont.State(self._asciiReadable, self)
            key = _Probe()
            self.state[key] = model
            super().splitString(self._stable, key, "utf-8")
            del self.state[key]
            self._model_state = model
        state = TTFont.State.__new__(TTFont.State)
        state.__dict__.update(model.__dict__)
        state.assignments = dict(model.assignments)
        state.subsets = [list(s) for s in model.subsets]
        return state

    def addObjects(self, doc: Any) -> None:  # noqa: N802
        state = self.state.get(doc)
        subsets = [tuple(s) for s in state.subsets] if state else []
        names = [self.getSubsetInternalName(n, doc)[1:] for n in range(len(subsets))]
        super().addObjects(doc)
        fonts = doc.idToObject["BasicFonts"].dict
        for name, subset in zip(names, subsets):
            fonts[name].Widths = _widths(self, subset)  # the same 256 numbers in every paper


_WIDTHS: dict[tuple[str, tuple[int, ...]], "_FormattedArray"] = {}


class _FormattedArray(pdfdoc.PDFArray):
    """A PDF array formatted once (numbers only, no references)."""

    def __init__(self, sequence: list) -> None:
        super().__init__(sequence)
        self._bytes: bytes | None = None

    def format(self, document: Any, IND: bytes = b"\n ") -> bytes:  # noqa: N803
        if self._bytes is None:
            self._bytes = super().format(document, IND)
        return self._bytes


def _widths(font: TTFont, subset: tuple[int, ...]) -> _FormattedArray:
    key = (font.fontName, subset)
    array = _WIDTHS.get(key)
    if array is None:
        if len(_WIDTHS) > 256:
            _WIDTHS.clear()
        array = _WIDTHS[key] = _FormattedArray([font.face.getCharWidth(code) for code in subset])
    return array


class _Probe:
    """A weak-referenceable stand-in for a document while the model state is made."""


class _MemoFlate(pdfdoc.PDFStreamFilterZCompress):
    """Flate that remembers its large outputs: the fixed font subsets compress to the same
    bytes in every PDF. Page streams differ and are simply compressed."""

    def __init__(self, entries: int = 32, threshold: int = 2048) -> None:
        self._memo: OrderedDict[bytes, bytes] = OrderedDict()
        self._entries, self._threshold = entries, threshold

    def encode(self, text: Any) -> bytes:
        data = text.encode("utf8") if isinstance(text, str) else bytes(text)
        if len(data) < self._threshold:
            return zlib.compress(data)
        out = self._memo.get(data)
        if out is None:
            out = self._memo[data] = zlib.compress(data)
            if len(self._memo) > self._entries:
                self._memo.popitem(last=False)
        else:
            self._memo.move_to_end(data)
        return out


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
        pdfmetrics.registerFont(StableSubsetTTFont(name, str(path)))
        gaps = missing_glyphs(name)
        if gaps:
            raise FontProblem(f"Phông chữ {filename} thiếu {len(gaps)} ký tự tiếng Việt: {''.join(gaps[:20])}")
    if not isinstance(pdfdoc.PDFZCompress, _MemoFlate):
        pdfdoc.PDFZCompress = _MemoFlate()  # ReportLab looks it up at each use
    addMapping(FAMILY, 0, 0, "Tinos")
    addMapping(FAMILY, 1, 0, "Tinos-Bold")
    addMapping(FAMILY, 0, 1, "Tinos-Italic")
    addMapping(FAMILY, 1, 1, "Tinos-BoldItalic")
    return FAMILY
