"""Render a form template with its values to PDF (ReportLab platypus).

A4, margins of Vietnamese administrative documents (top/bottom 20 mm, left 30 mm, right
15 mm), Tinos 13 pt. Every string is NFC and XML-escaped before it reaches a Paragraph;
long values wrap inside their box. Each page carries the dossier code, the template id
and version, and page x/y; the first page carries the verification QR code.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from datetime import date, datetime
from typing import Any, Mapping
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ..models.fees import format_money
from ..models.forms import Block, FormTemplate, lookup
from ..models.privacy import mask_id_number
from ..models.text import nfc
from ..models.validation import format_date, long_date, parse_date
from ..models.wording import paper_wording
from ..models.words import date_in_words, money_in_words, number_in_words
from .fonts import register_fonts
from .qr import draw_qr

rl_config.useA85 = 0  # binary streams: ASCII85 only makes the file bigger and slower to write

MARGINS = {"top": 20 * mm, "bottom": 20 * mm, "left": 30 * mm, "right": 15 * mm}
FOOTER_HEIGHT = 17 * mm  # inside the bottom margin line: QR code and the paper's identity
WORDS = paper_wording()
EMPTY = WORDS.text("header.blank")

# a table's plain cells (even empty ones) are set in ReportLab's Helvetica unless told: Tinos, so
# no font the paper does not embed is referenced
_TABLE_FONT = ("FONTNAME", (0, 0), (-1, -1), "Tinos")
_PH = re.compile(r"\{([^{}]*)\}")
_ALIGN = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT, "justify": TA_JUSTIFY}


def _nation() -> str:
    """Quốc hiệu and tiêu ngữ as the header prints them (the motto underlined)."""
    return f"<b>{WORDS.text('header.nation')}</b><br/><u><b>{WORDS.text('header.motto')}</b></u>"


# -- values -------------------------------------------------------------------------------

def _to_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return parse_date(value)
    return None


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None


def mask(value: str) -> str:
    """``001234567889`` -> ``0012******89``: lists show no full ID numbers (models.privacy)."""
    return mask_id_number(value)


def apply_filter(value: Any, name: str) -> str:
    if value in (None, ""):
        return ""
    if name == "date":
        d = _to_date(value)
        return format_date(d) if d else ""
    if name == "time":
        t = _to_datetime(value)
        return f"{t:%H} giờ {t:%M} phút" if t else ""
    if name == "hm":  # a time in a narrow column: 13:31
        t = _to_datetime(value)
        return f"{t:%H:%M}" if t else ""
    if name == "datetime":
        t = _to_datetime(value)
        return f"{t:%H} giờ {t:%M} phút, ngày {t:%d/%m/%Y}" if t else ""
    if name == "date_long":
        d = _to_date(value)
        return long_date(d) if d else ""
    if name == "date_words":
        d = _to_date(value)
        return date_in_words(d) if d else ""
    if name == "money":
        return format_money(int(value))
    if name == "money_words":
        return money_in_words(int(value))
    if name == "number_words":
        return number_in_words(int(value))
    if name == "upper":
        return str(value).upper()
    if name == "lower":
        return str(value).lower()
    if name == "yesno":
        return "Có" if value else "Không"
    if name == "masked":
        return mask(str(value))
    return str(value)


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, datetime):
        return f"{value:%H giờ %M phút, ngày %d/%m/%Y}"
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def fill(text: str, context: Mapping[str, Any], *, empty: str = EMPTY) -> str:
    """Replace every placeholder with its value (plain text, NFC)."""
    def one(match: re.Match) -> str:
        path, _, filt = match[1].partition("|")
        value = lookup(context, path.strip())
        out = apply_filter(value, filt.strip()) if filt else _format(value)
        return out if out else empty
    return nfc(_PH.sub(one, text))


def fill_markup(text: str, context: Mapping[str, Any], *, empty: str = EMPTY) -> str:
    """Like ``fill`` for Paragraph markup: values escaped; ``**bold**`` and ``*italic*`` in the
    template may span placeholders."""
    values: list[str] = []

    def hold(match: re.Match) -> str:
        path, _, filt = match[1].partition("|")
        value = lookup(context, path.strip())
        out = apply_filter(value, filt.strip()) if filt else _format(value)
        values.append(escape(nfc(out)).replace("\n", "<br/>") if out else empty)
        return f"\x00{len(values) - 1}\x00"

    markup = _template_markup(_PH.sub(hold, text))
    return re.sub("\x00(\\d+)\x00", lambda m: values[int(m[1])], markup)


def _template_markup(text: str) -> str:
    text = escape(nfc(text))
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", r"<i>\1</i>", text)
    return text.replace("\n", "<br/>")


# -- flowables ----------------------------------------------------------------------------

class DottedLine(Flowable):
    """``Label: value ........`` — wraps a long value, dots fill the rest of the last line."""

    def __init__(self, label: str, value: str, size: float, *, bold_value: bool = False) -> None:
        super().__init__()
        self.label, self.value, self.size = label, value, size
        self.value_font = "Tinos-Bold" if bold_value else "Tinos"
        self.lines: list[list[tuple[str, str]]] = []
        self.leading = size * 1.3

    def _words(self) -> list[tuple[str, str]]:
        words = [(w, "Tinos") for w in self.label.split()]
        words += [(w, self.value_font) for w in self.value.split()]
        return words

    def wrap(self, avail_width: float, avail_height: float):
        self.width = avail_width
        space = stringWidth(" ", "Tinos", self.size)
        lines: list[list[tuple[str, str]]] = [[]]
        used = 0.0
        for word, font in self._words():
            width = stringWidth(word, font, self.size)
            while width > avail_width:  # one very long token: break it by characters
                cut = len(word)
                while cut > 1 and stringWidth(word[:cut], font, self.size) > avail_width - used:
                    cut -= 1
                if lines[-1] and used + stringWidth(word[:cut], font, self.size) > avail_width:
                    lines.append([])
                    used = 0.0
                    continue
                lines[-1].append((word[:cut], font))
                lines.append([])
                used = 0.0
                word = word[cut:]
                width = stringWidth(word, font, self.size)
            need = width + (space if lines[-1] else 0)
            if lines[-1] and used + need > avail_width:
                lines.append([])
                used, need = 0.0, width
            lines[-1].append((word, font))
            used += need
        self.lines = [line for line in lines if line] or [[]]
        self.height = self.leading * len(self.lines)
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        space = stringWidth(" ", "Tinos", self.size)
        y = self.height - self.size
        x = 0.0
        for line in self.lines:
            x = 0.0
            runs: list[tuple[str, list[str]]] = []  # same-font words drawn as one string (copyable text)
            for word, font in line:
                if runs and runs[-1][0] == font:
                    runs[-1][1].append(word)
                else:
                    runs.append((font, [word]))
            for i, (font, words) in enumerate(runs):
                if i:
                    x += space
                text = " ".join(words)
                c.setFont(font, self.size)
                c.drawString(x, y, text)
                x += stringWidth(text, font, self.size)
            y -= self.leading
        # dots after the last word, to the right edge (the clerk typed it all; nothing to add by hand)
        y += self.leading
        dot_w = stringWidth(".", "Tinos", self.size)
        start = x + space
        count = int((self.width - start) / dot_w) - 1
        if count > 2:
            c.setFont("Tinos", self.size)
            c.drawString(start, y, "." * count)


class QrFooter:
    """Draws the footer on every page and the QR code on the first."""

    def __init__(self, template: FormTemplate, context: Mapping[str, Any]) -> None:
        self.template, self.context = template, context

    def identity(self) -> str:
        code = lookup(self.context, "dossier.code")
        parts = [WORDS.text("footer.code", code=code)] if code else []
        parts.append(WORDS.text("footer.template", id=self.template.id, version=self.template.version))
        if self.template.form_number:
            parts.append(self.template.form_number)
        copy = lookup(self.context, "printed.copy_label")
        if copy:
            parts.append(copy)
        return nfc(" — ".join(parts))


class _NumberedCanvas(rl_canvas.Canvas):
    """Two passes so each page can say "Trang x/y"."""

    footer: QrFooter | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # the doc template passes initialFontName=None, which would leave ReportLab's Helvetica
        # (a font never embedded) in every page's resources: the paper must print the same anywhere
        kwargs["initialFontName"] = kwargs.get("initialFontName") or "Tinos"
        kwargs["initialFontSize"] = kwargs.get("initialFontSize") or 13
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab API)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        footer = self.footer
        if footer is None:
            return
        width, _ = self._pagesize
        left, bottom = MARGINS["left"], MARGINS["bottom"]
        right = width - MARGINS["right"]
        self.setFont("Tinos-Italic", 8)
        self.setFillColor(colors.black)
        text_x = left
        verify = lookup(footer.context, "verify.text")
        if number == 1 and verify:
            side = 15 * mm
            draw_qr(self, verify, left, bottom, side)
            text_x = left + side + 3 * mm
            self.drawString(text_x, bottom + 9 * mm, WORDS.text("footer.verify"))
        identity, size = footer.identity(), 8.0
        while size > 5 and stringWidth(identity, "Tinos-Italic", size) > right - text_x:
            size -= 0.5  # shrink to stay inside the margins, never run off the page
        self.setFont("Tinos-Italic", size)
        self.drawString(text_x, bottom + 5 * mm, identity)
        self.setFont("Tinos-Italic", 8)
        self.drawRightString(right, bottom + 1 * mm, WORDS.text("footer.page", number=number, total=total))


# -- the document -------------------------------------------------------------------------

@lru_cache(maxsize=16)
def _styles(size: float) -> dict[str, ParagraphStyle]:
    """The paragraph styles for a body size; shared by every paper, never modified."""
    return {
        "body": ParagraphStyle("body", fontName="Tinos", fontSize=size, leading=size * 1.35, alignment=TA_JUSTIFY),
        "center": ParagraphStyle("center", fontName="Tinos", fontSize=size, leading=size * 1.3,
                                 alignment=TA_CENTER),
        "title": ParagraphStyle("title", fontName="Tinos-Bold", fontSize=size + 1, leading=(size + 1) * 1.3,
                                alignment=TA_CENTER, spaceBefore=6, spaceAfter=2),
        "note": ParagraphStyle("note", fontName="Tinos-Italic", fontSize=size - 2, leading=(size - 2) * 1.3,
                               alignment=TA_JUSTIFY),
        "cell": ParagraphStyle("cell", fontName="Tinos", fontSize=size - 1, leading=(size - 1) * 1.25),
        "cell_head": ParagraphStyle("cell_head", fontName="Tinos-Bold", fontSize=size - 1,
                                    leading=(size - 1) * 1.25, alignment=TA_CENTER),
    }


@lru_cache(maxsize=512)
def _style(size: float, name: str, overrides: tuple[tuple[str, Any], ...]) -> ParagraphStyle:
    return ParagraphStyle(f"{name}-x", parent=_styles(size)[name], **dict(overrides))


# Parsed markup per (text, style): the fixed wording of a template is parsed once per process
# instead of once per paper (ReportLab's parser is most of the time of building a story).
_PARSED: dict[tuple[str, int], tuple[ParagraphStyle, ParagraphStyle, list, Any]] = {}


class _Paragraph(Paragraph):
    """A Paragraph that remembers its last wrap: a table wraps each cell to measure it and
    again to draw it, at the same width; line breaking is the costliest step of a paper."""

    _wrapped: tuple[float, float, float, Any] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        last = self._wrapped
        # only while the broken lines are still the ones made for this width
        if last is not None and last[0] == availWidth and getattr(self, "blPara", None) is last[3]:
            self.width, self.height = last[1], last[2]
            return last[1], last[2]
        width, height = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, width, height, getattr(self, "blPara", None))
        return width, height


def _paragraph(markup: str, style: ParagraphStyle) -> Paragraph:
    key = (markup, id(style))
    hit = _PARSED.get(key)
    if hit is None or hit[0] is not style:  # an id can be reused once a style is gone
        para = _Paragraph(markup, style)
        if len(_PARSED) > 4096:
            _PARSED.clear()
        _PARSED[key] = (style, para.style, para.frags, para.bulletText)
        return para
    _, parsed_style, frags, bullet = hit
    return _Paragraph(markup, parsed_style, bulletText=bullet, frags=[f.clone() for f in frags])


class Renderer:
    def __init__(self, template: FormTemplate, context: Mapping[str, Any]) -> None:
        register_fonts()
        self.t, self.ctx = template, context
        self.size = template.font_size
        self.pagesize = landscape(A4) if template.orientation == "landscape" else A4
        self.width = self.pagesize[0] - MARGINS["left"] - MARGINS["right"]
        self.styles = _styles(self.size)
        self.keep_signatures_with_text = False
        self.signature_marks: list[tuple[_PageMark, _PageMark]] = []

    def p(self, markup: str, style: str = "body", **overrides: Any) -> Paragraph:
        base = _style(self.size, style, tuple(sorted(overrides.items()))) if overrides else self.styles[style]
        return _paragraph(markup, base)

    def text(self, raw: str, **kw: Any) -> str:
        return fill_markup(raw, self.ctx, **kw)

    def build(self) -> list[Flowable]:
        story: list[Flowable] = []
        for block in self.t.blocks:
            when, unless = block.get("when"), block.get("unless")
            if when is not None and lookup(self.ctx, when) in (None, "", [], {}, False):
                continue  # e.g. the "filed on behalf of" lines when nobody was authorised
            if unless is not None and lookup(self.ctx, unless) not in (None, "", [], {}, False):
                continue  # e.g. the appointment of a dossier returned in the same sitting
            flowables = getattr(self, f"block_{block.type}")(block)
            if block.type == "signatures" and story:
                if self.keep_signatures_with_text:
                    # signatures never stand alone on a page: the last lines above go over with them
                    tail, story[-1:] = story[-1:], []
                    flowables = [KeepTogether(tail + flowables)]
                else:
                    before, after = _PageMark(), _PageMark()
                    self.signature_marks.append((before, after))
                    flowables = [before, *flowables, after]
            story.extend(flowables)
        return story

    @property
    def signatures_alone(self) -> bool:
        """After a build: some signatures went to a page of their own."""
        return any(after.page != before.page for before, after in self.signature_marks)

    # each block type -> flowables
    def block_header(self, b: Block) -> list[Flowable]:
        left_lines = [self.text(x) for x in b.get("left", ["{ward.body_lines}"])]
        left_bold = [self.text(x) for x in b.get("left_bold", ["{ward.unit_lines}"])]
        left = "<br/>".join(left_lines + [f"<u><b>{x}</b></u>" for x in left_bold])
        right = _nation()
        size = self.size - 1
        style = {"fontSize": size, "leading": size * 1.3}
        rows = [[self.p(left, "center", **style), self.p(right, "center", **style)]]
        if b.get("date_line", True) or b.get("number"):
            number = self.text(b.get("number", WORDS.text("header.number")))
            place = self.text(b.get("date", "{ward.place}, {printed.date|date_long}"))
            rows.append([self.p(number, "center", **style), self.p(f"<i>{place}</i>", "center", **style)])
        table = Table(rows, colWidths=[self.width * 0.45, self.width * 0.55])
        table.setStyle(TableStyle([_TABLE_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        return [table, Spacer(1, 4 * mm)]

    def block_motto(self, b: Block) -> list[Flowable]:
        out: list[Flowable] = []
        if b.get("form_number", self.t.form_number):
            caption = self.text(b.get("form_number", self.t.form_number))
            out.append(self.p(f"<i>{caption}</i>", "body", alignment=TA_RIGHT, fontSize=self.size - 3))
        out.append(self.p(_nation(), "center"))
        out.append(Spacer(1, 3 * mm))
        return out

    def block_title(self, b: Block) -> list[Flowable]:
        out: list[Flowable] = [self.p(self.text(b.get("text", self.t.title)), "title")]
        if b.get("subtitle"):
            out.append(self.p(f"<i>{self.text(b.get('subtitle'))}</i>", "center"))
        out.append(Spacer(1, 3 * mm))
        return out

    def block_paragraph(self, b: Block) -> list[Flowable]:
        markup = self.text(b.get("text", ""))
        style = b.get("style", "")
        if "bold" in style:
            markup = f"<b>{markup}</b>"
        if "italic" in style:
            markup = f"<i>{markup}</i>"
        return [self.p(markup, "body", alignment=_ALIGN.get(b.get("align", "justify"), TA_JUSTIFY),
                       firstLineIndent=float(b.get("indent", 0)) * mm, spaceAfter=float(b.get("space_after", 1)))]

    def block_note(self, b: Block) -> list[Flowable]:
        return [self.p(self.text(b.get("text", "")), "note", spaceBefore=2)]

    def block_line(self, b: Block) -> list[Flowable]:
        label = fill(b.get("label", ""), self.ctx)
        value = fill(b.get("value", ""), self.ctx, empty="")
        return [DottedLine(label, value, self.size, bold_value=bool(b.get("bold_value", False)))]

    def block_row(self, b: Block) -> list[Flowable]:
        items = b.get("items", [])
        widths = [float(i.get("width", 1 / len(items))) * self.width for i in items]
        cells = [DottedLine(fill(i.get("label", ""), self.ctx), fill(i.get("value", ""), self.ctx, empty=""),
                            self.size) for i in items]
        table = Table([cells], colWidths=widths)
        table.setStyle(TableStyle([_TABLE_FONT, ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                                   ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return [table]

    def _items(self, source: str) -> list[Mapping[str, Any]]:
        items = lookup(self.ctx, source) or []
        out = []
        for index, item in enumerate(items, start=1):
            item = item if isinstance(item, Mapping) else {"text": item}
            out.append({"index": index, **item})
        return out

    def block_table(self, b: Block) -> list[Flowable]:
        columns = b.get("columns", [])
        widths = [float(c.get("width", 1 / len(columns))) * self.width for c in columns]
        data: list[list[Any]] = [[self.p(self.text(c.get("title", "")), "cell_head") for c in columns]]
        items = self._items(b.get("source", ""))
        strike = b.get("strike")  # a row whose flag is set is struck through (a dossier cancelled)
        for item in items:
            row_ctx = {**self.ctx, "item": item}
            struck = bool(strike and lookup(row_ctx, strike))
            data.append([self.p(_struck(fill_markup(c.get("value", ""), row_ctx, empty=""), struck), "cell",
                                alignment=_ALIGN.get(c.get("align", "left"), TA_LEFT)) for c in columns])
        if not items:
            data.append([self.p(self.text(b.get("empty", WORDS.text("table.empty"))), "cell", alignment=TA_CENTER)]
                        + [""] * (len(columns) - 1))
        table = Table(data, colWidths=widths, repeatRows=1)
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                 ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93))]
        if not items:
            style.append(("SPAN", (0, 1), (-1, 1)))
        if b.get("padding") is not None:  # a dense register (the tracking book): less air in each cell
            pad = float(b.get("padding"))
            style += [("TOPPADDING", (0, 0), (-1, -1), pad), ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
                      ("LEFTPADDING", (0, 0), (-1, -1), pad + 1), ("RIGHTPADDING", (0, 0), (-1, -1), pad + 1)]
        table.setStyle(TableStyle([_TABLE_FONT, *style]))
        return [Spacer(1, 1 * mm), table, Spacer(1, 2 * mm)]

    def block_list(self, b: Block) -> list[Flowable]:
        pattern = b.get("item", "{item.index}. {item.text}")
        items = self._items(b.get("source", ""))
        if not items:
            return [self.p(self.text(b.get("empty", EMPTY)), "body")]
        return [self.p(fill_markup(pattern, {**self.ctx, "item": item}), "body",
                       leftIndent=float(b.get("indent", 5)) * mm) for item in items]

    def block_signatures(self, b: Block) -> list[Flowable]:
        cols = b.get("columns", [])
        cells = []
        for col in cols:
            parts = []
            if col.get("date"):
                parts.append(f"<i>{self.text(col['date'])}</i>")
            parts.append(f"<b>{self.text(col.get('title', ''))}</b>")
            if col.get("note"):
                parts.append(f"<i>{self.text(col['note'])}</i>")
            block = [self.p("<br/>".join(parts), "center"), Spacer(1, float(b.get("space", 15)) * mm)]
            if col.get("name"):
                block.append(self.p(f"<b>{self.text(col['name'], empty='')}</b>", "center"))
            cells.append(block)
        widths = [float(col.get("width", 1 / max(1, len(cols)))) * self.width for col in cols]
        table = Table([cells], colWidths=widths)
        table.setStyle(TableStyle([_TABLE_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return [Spacer(1, 1 * mm), KeepTogether([table])]

    def block_spacer(self, b: Block) -> list[Flowable]:
        return [Spacer(1, float(b.get("height", 4)) * mm)]

    def block_page_break(self, b: Block) -> list[Flowable]:
        return [PageBreak()]


def _struck(markup: str, struck: bool) -> str:
    return f"<strike>{markup}</strike>" if struck and markup else markup


class _PageMark(Flowable):
    """Takes no room; remembers the page it fell on."""

    page = 0

    def wrap(self, *_: Any) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.page = self.canv.getPageNumber()


def render_pdf(template: FormTemplate, context: Mapping[str, Any]) -> bytes:
    """The PDF bytes of ``template`` filled with ``context``. When the signatures would stand
    alone on the last page, the paper is laid out again with the lines above them carried over."""
    pdf, renderer = _render(template, context, keep_signatures_with_text=False)
    if renderer.signatures_alone:
        pdf, _ = _render(template, context, keep_signatures_with_text=True)
    return pdf


def _render(template: FormTemplate, context: Mapping[str, Any], *,
            keep_signatures_with_text: bool) -> tuple[bytes, "Renderer"]:
    renderer = Renderer(template, context)
    renderer.keep_signatures_with_text = keep_signatures_with_text
    buffer = io.BytesIO()
    width, height = renderer.pagesize
    frame = Frame(MARGINS["left"], MARGINS["bottom"] + FOOTER_HEIGHT, renderer.width,
                  height - MARGINS["top"] - MARGINS["bottom"] - FOOTER_HEIGHT,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    code = lookup(context, "dossier.code") or ""
    doc = BaseDocTemplate(
        buffer, pagesize=renderer.pagesize, leftMargin=MARGINS["left"], rightMargin=MARGINS["right"],
        topMargin=MARGINS["top"], bottomMargin=MARGINS["bottom"], title=nfc(fill(template.title, context)),
        author=nfc(str(lookup(context, "ward.name") or "")), subject=f"{template.id} v{template.version} {code}",
        creator="Quầy Một Cửa (desk_app)", pageCompression=1,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    footer = QrFooter(template, context)

    class Canvas(_NumberedCanvas):
        pass

    Canvas.footer = footer
    doc.build(renderer.build(), canvasmaker=Canvas)
    return buffer.getvalue(), renderer


_WARM_UP = """
id = "khoi_dong"
version = "1"
kind = "slip"
title = "KHỞI ĐỘNG"

[[blocks]]
type = "header"

[[blocks]]
type = "title"
text = "GIẤY TIẾP NHẬN HỒ SƠ"
subtitle = "Khởi động bộ in"

[[blocks]]
type = "paragraph"
text = "Ông/bà **Nguyễn Thị Ánh Tuyết** — *Phường Đại Nài*, ngày 23 tháng 11 năm 2026."

[[blocks]]
type = "note"
text = "Nghiêng: Đặng Ỷ Lan."
"""


def warm_up() -> bytes:
    """Render one small paper with the three faces and a QR code, so the first receipt of the
    day does not pay for building the font subsets (about 120 ms). Run off the UI thread."""
    from ..models.forms import parse_template

    template = parse_template(_WARM_UP, "khoi_dong.toml")
    return render_pdf(template, {"ward": {"name": "Phường Đại Nài", "body": "UBND Phường Đại Nài", "place": "Đại Nài",
                                   "unit_lines": "Bộ phận tiếp nhận và trả kết quả"},
                          "printed": {"date": date(2026, 11, 23)},
                          "verify": {"text": "QMC1|42010-Q01-261123-0001|khoi_dong@1|202611230900|ABCDEFGHIJKLMNOPQRST"}})
