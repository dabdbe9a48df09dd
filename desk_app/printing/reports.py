"""The reports a ward hands in, headless, as PDF or XLSX.

- ``handling``: the periodic report of dossier handling (báo cáo tình hình tiếp nhận và giải
  quyết hồ sơ TTHC) — the figures of ``Counter.statistics`` for a period, one row per procedure,
  domain, clerk or month, a total row, the summary sentence and the satisfaction index by area.
  The PDF follows the ``kind = "report"`` template in ``forms_templates/reports/``.
- ``book``: the tracking book (sổ theo dõi hồ sơ) of the period; the PDF is ``Papers.book``.
- ``listing``: the public listing (niêm yết) of every active procedure; the PDF is the listing
  template of ``Papers.listing``, one procedure after another in one file.

Everything printed is Vietnamese; in the spreadsheets numbers stay numbers (percentages as
real percentages, dates as dates) so the district can add them up.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from ..counter import Counter
from ..models.errors import DomainError
from ..models.forms import FormTemplate, lookup
from ..models.statistics import (
    DERIVED,
    DIMENSIONS,
    METRIC_HELP,
    METRICS,
    Figures,
    Period,
    StatisticsTable,
    format_value,
    percent,
)
from ..models.text import nfc
from ..models.wording import paper_wording
from .papers import Papers

WORDS = paper_wording()
KINDS: dict[str, str] = {kind: WORDS.text(f"reports.{kind}") for kind in ("handling", "book", "listing")}
FORMATS = ("pdf", "xlsx")
TOTAL_LABEL = WORDS.text("reports.total")
DERIVED_HELP: dict[str, str] = WORDS.table("reports.derived_help")  # what the derived columns mean
# Metrics whose help is the one of another ("early" is explained with "solved").
_HELP_OF = {"early": "solved", "on_time": "solved", "late": "solved"}


@dataclass(frozen=True)
class Report:
    data: bytes
    kind: str
    format: str
    title: str
    filename: str
    rows: int  # rows of the table (without the total)


def _dimension(dimension: str | None) -> str:
    dimension = dimension or "procedure"
    if dimension not in DIMENSIONS:
        raise DomainError(f"Không có cách nhóm “{dimension}” (dùng: {', '.join(DIMENSIONS)}).", code="bad_dimension")
    return dimension


class Reports:
    def __init__(self, counter: Counter, papers: Papers | None = None) -> None:
        self.counter = counter
        self.papers = papers or Papers(counter)

    # -- the one entry point ------------------------------------------------------------------
    def make(self, kind: str, fmt: str, period: Period | None = None, *, dimension: str | None = None) -> Report:
        if kind not in KINDS:
            raise DomainError(f"Không có loại báo cáo “{kind}” (dùng: {', '.join(KINDS)}).", code="bad_kind")
        if fmt not in FORMATS:
            raise DomainError(f"Định dạng “{fmt}” không hỗ trợ (dùng: {', '.join(FORMATS)}).", code="bad_format")
        if kind == "listing":
            return self.listing_pdf() if fmt == "pdf" else self.listing_xlsx()
        if period is None:
            raise DomainError(f"{KINDS[kind]} cần kỳ báo cáo (--from và --to).", code="bad_range")
        if kind == "book":
            return self.book_pdf(period) if fmt == "pdf" else self.book_xlsx(period)
        dimension = _dimension(dimension)
        return self.handling_pdf(period, dimension) if fmt == "pdf" else self.handling_xlsx(period, dimension)

    # -- the handling report ------------------------------------------------------------------
    def report_template(self) -> FormTemplate:
        """The ward may pick one (setting ``template.report``); else the first report template."""
        library = self.papers.library
        chosen = self.counter.setting("template.report")
        if chosen:
            return library.get(chosen)
        candidates = sorted(t.id for t in library.versions.values() if t.kind == "report")
        if not candidates:
            raise DomainError("Chưa có mẫu báo cáo (forms_templates/reports/).", code="template_missing")
        return library.latest(candidates[0])

    def handling_table(self, period: Period, dimension: str = "procedure") -> StatisticsTable:
        return self.counter.statistics(period, dimension=_dimension(dimension))

    def handling_context(self, table: StatisticsTable) -> dict[str, Any]:
        rows = [{"index": i, "label": label, **_formatted(f)} for i, (_, label, f) in enumerate(table.rows, 1)]
        rows.append({"index": "", "label": TOTAL_LABEL, **_formatted(table.total)})
        total = table.total
        areas = []
        if total.satisfaction is not None and total.satisfaction.responses:
            survey = self.counter.survey
            areas = [{"label": survey.area_label(area), "value": percent(share)}
                     for area, share in total.satisfaction.by_area.items()]
        now = self.counter.now()
        return {
            "ward": self.papers.ward_context(),
            "printed": {"at": now, "date": now.date(), "copy_kind": "original", "copy_label": ""},
            "report": {
                "from": table.period.start, "to": table.period.end, "period": table.period.label,
                "dimension": table.dimension_label or WORDS.text("reports.whole"), "summary": table.summary(),
                "as_of": table.as_of, "surveys": total["surveys"],
                "satisfaction": format_value("satisfaction", total.satisfaction.overall if total.satisfaction else None),
                "rows": rows, "areas": areas,
            },
        }

    def handling_pdf(self, period: Period, dimension: str = "procedure") -> Report:
        table = self.handling_table(period, dimension)
        template = self.report_template()
        pdf = render_many(template, [self.handling_context(table)])
        return Report(pdf, "handling", "pdf", template.title, _filename("bao-cao", period, "pdf"), len(table.rows))

    def handling_xlsx(self, period: Period, dimension: str = "procedure") -> Report:
        table = self.handling_table(period, dimension)
        title = self.report_template().title
        ward = self.papers.ward_context()
        book = _workbook()
        ws = book.active
        ws.title = WORDS.text("reports.sheet")
        metrics = list(METRICS) + list(DERIVED)
        headers = [WORDS.text("reports.number_column"), table.dimension_label] + [METRICS.get(m) or DERIVED[m] for m in metrics]
        _preamble(ws, ward, title, [WORDS.text("reports.period", period=period.label),
                                    WORDS.text("reports.as_of", when=_when(table.as_of),
                                               dimension=table.dimension_label.lower())], len(headers))
        _header_row(ws, HEADER_ROW, headers)
        r = HEADER_ROW
        for index, (_, label, figures) in enumerate(table.rows, 1):
            r += 1
            _figures_row(ws, r, index, label, figures, metrics)
        r += 1
        _figures_row(ws, r, None, TOTAL_LABEL, table.total, metrics, bold=True)
        r += 2
        ws.cell(r, 1, nfc(table.summary()))
        total = table.total
        if total.satisfaction is not None and total.satisfaction.responses:
            r += 2
            ws.cell(r, 1, WORDS.text("reports.satisfaction")).font = _font(bold=True)
            survey = self.counter.survey
            for area, share in total.satisfaction.by_area.items():
                r += 1
                ws.cell(r, 2, nfc(survey.area_label(area)))
                _number(ws.cell(r, 3), share, "0.0%")
            r += 1
            ws.cell(r, 2, WORDS.text("reports.satisfaction_overall")).font = _font(bold=True)
            _number(ws.cell(r, 3), total.satisfaction.overall, "0.0%").font = _font(bold=True)
        _widths(ws, [6, 46] + [13] * len(metrics))
        ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
        _help_sheet(book, metrics)
        return Report(_save(book), "handling", "xlsx", title, _filename("bao-cao", period, "xlsx"), len(table.rows))

    # -- the tracking book ----------------------------------------------------------------------
    def book_pdf(self, period: Period) -> Report:
        paper = self.papers.book(period.start, period.end)
        return Report(paper.pdf, "book", "pdf", paper.template.title, paper.filename, len(self.book_rows(period)))

    def book_rows(self, period: Period) -> list[dict[str, Any]]:
        """The rows ``Papers.book`` prints."""
        return self.papers.book_rows(period.start, period.end)

    def book_xlsx(self, period: Period) -> Report:
        template = self.papers.slip_template("book")
        columns = _book_columns(template)  # (title, key) from the template's table: same columns as the PDF
        columns.append((WORDS.text("book.status_column"), "status"))
        rows = self.book_rows(period)
        book = _workbook()
        ws = book.active
        ws.title = WORDS.text("book.sheet")
        _preamble(ws, self.papers.ward_context(), template.title,
                  [WORDS.text("book.period", start=f"{period.start:%d/%m/%Y}", end=f"{period.end:%d/%m/%Y}"),
                   WORDS.text("book.count", count=len(rows))], len(columns))
        _header_row(ws, HEADER_ROW, [title for title, _ in columns])
        for r, item in enumerate(rows, HEADER_ROW + 1):
            item = {"index": r - HEADER_ROW, **item}
            for col, (_, key) in enumerate(columns, 1):
                _put_text_cell(ws.cell(r, col), item.get(key))
        widths = {"index": 6, "code": 24, "procedure": 40, "applicant": 24, "contact": 36, "solver": 18,
                  "received_at": 17, "due_at": 17, "returned_at": 17, "result_channel": 14, "status": 18}
        _widths(ws, [widths.get(key, 16) for _, key in columns])
        ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
        return Report(_save(book), "book", "xlsx", template.title, _filename("so-theo-doi", period, "xlsx"), len(rows))

    # -- the public listing ---------------------------------------------------------------------
    def listing_contexts(self) -> list[dict[str, Any]]:
        now = self.counter.now()
        ward = self.papers.ward_context()
        printed = {"at": now, "date": now.date(), "copy_kind": "original", "copy_label": ""}
        return [{"ward": ward, "procedure": self.papers.procedure_context(proc), "printed": printed}
                for proc in self.counter.catalogue.active()]

    def listing_pdf(self) -> Report:
        template = self.papers.slip_template("listing")
        contexts = self.listing_contexts()
        if not contexts:
            raise DomainError("Danh mục chưa có thủ tục nào đang áp dụng.", code="empty_catalogue")
        return Report(render_many(template, contexts), "listing", "pdf", template.title, "niem-yet.pdf", len(contexts))

    def listing_xlsx(self) -> Report:
        template = self.papers.slip_template("listing")
        procedures = [ctx["procedure"] for ctx in self.listing_contexts()]
        book = _workbook()
        ws = book.active
        ws.title = WORDS.text("listing.sheet")
        headers = WORDS.texts("listing.headers")
        _preamble(ws, self.papers.ward_context(), template.title,
                  [WORDS.text("listing.count", count=len(procedures))], len(headers))
        _header_row(ws, HEADER_ROW, headers)
        for r, proc in enumerate(procedures, HEADER_ROW + 1):
            components = "\n".join(WORDS.text("procedure.component_line", index=i, name=c["name"],
                                              paper_kind=c["paper_kind"], count=c["count"],
                                              required=c["required"].lower())
                                   for i, c in enumerate(proc["components"], 1))
            values = [r - HEADER_ROW, proc["code"], proc["name"], proc["domain"], proc["time_limit"], proc["fee"],
                      components or WORDS.text("procedure.no_components")]
            for col, value in enumerate(values, 1):
                cell = ws.cell(r, col, nfc(value) if isinstance(value, str) else value)
                cell.alignment = _align(wrap_text=True, vertical="top")
        _widths(ws, [6, 11, 45, 18, 32, 32, 70])
        ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
        return Report(_save(book), "listing", "xlsx", template.title, "niem-yet.xlsx", len(procedures))


# -- PDF ----------------------------------------------------------------------------------------

def _report_renderer():
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak

    from .render import Renderer

    class ReportRenderer(Renderer):
        """The blocks of render.py, plus ``min_space = MM`` on any block: it starts a new page
        unless that much room is left, so a section heading never ends a page and the signatures
        never stand alone on the last one."""

        def build(self) -> list[Any]:
            story: list[Any] = []
            for block in self.t.blocks:
                when = block.get("when")
                if when is not None and lookup(self.ctx, when) in (None, "", [], {}):
                    continue
                if block.get("min_space"):
                    story.append(CondPageBreak(float(block.get("min_space")) * mm))
                story.extend(getattr(self, f"block_{block.type}")(block))
            return story

    return ReportRenderer


def render_many(template: FormTemplate, contexts: Sequence[Mapping[str, Any]]) -> bytes:
    """``render_pdf`` for one or several contexts: each one starts a new page; pages counted
    over the whole file."""
    from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate

    from .render import FOOTER_HEIGHT, MARGINS, QrFooter, _NumberedCanvas, fill

    renderer_class = _report_renderer()
    story: list[Any] = []
    renderer = None
    for i, ctx in enumerate(contexts):
        renderer = renderer_class(template, ctx)
        if i:
            story.append(PageBreak())
        story.extend(renderer.build())
    if renderer is None:
        raise DomainError("Không có gì để in.", code="empty")
    buffer = io.BytesIO()
    width, height = renderer.pagesize
    frame = Frame(MARGINS["left"], MARGINS["bottom"] + FOOTER_HEIGHT, renderer.width,
                  height - MARGINS["top"] - MARGINS["bottom"] - FOOTER_HEIGHT,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    first = contexts[0]
    doc = BaseDocTemplate(
        buffer, pagesize=renderer.pagesize, leftMargin=MARGINS["left"], rightMargin=MARGINS["right"],
        topMargin=MARGINS["top"], bottomMargin=MARGINS["bottom"], title=nfc(fill(template.title, first)),
        author=nfc(str(lookup(first, "ward.name") or "")), subject=f"{template.id} v{template.version}",
        creator="Quầy Một Cửa (desk_app)", pageCompression=1,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    class Canvas(_NumberedCanvas):
        footer = QrFooter(template, first)

    doc.build(story, canvasmaker=Canvas)
    return buffer.getvalue()


# -- XLSX helpers ---------------------------------------------------------------------------

HEADER_ROW = 6  # rows 1-4: ward, title, period, as-of; row 5 empty


def _workbook():
    try:
        from openpyxl import Workbook
    except ImportError:  # pragma: no cover - a broken install
        raise DomainError("Thiếu thư viện openpyxl để ghi tệp Excel (pip install openpyxl).",
                          code="missing_dependency") from None
    return Workbook()


def _font(*, bold: bool = False, size: float = 11, italic: bool = False):
    from openpyxl.styles import Font

    return Font(name="Times New Roman", bold=bold, italic=italic, size=size)


def _align(**kwargs: Any):
    from openpyxl.styles import Alignment

    return Alignment(**kwargs)


def _preamble(ws: Any, ward: Mapping[str, Any], title: str, lines: Iterable[str], width: int) -> None:
    """Rows 1-4: the ward, the title, then the period lines."""
    from openpyxl.utils import get_column_letter

    ws.cell(1, 1, nfc(f"{ward['body']} — {ward['unit']}")).font = _font(bold=True)
    ws.cell(2, 1, nfc(title)).font = _font(bold=True, size=13)
    for r, line in enumerate(lines, 3):
        ws.cell(r, 1, nfc(line)).font = _font(italic=True)
    ws.merge_cells(f"A2:{get_column_letter(max(width, 1))}2")
    ws.cell(2, 1).alignment = _align(horizontal="left")


def _put_text_cell(cell: Any, value: Any) -> None:
    """A list cell: a date-time as a real one (Vietnam time, as printed), text in NFC, blank
    left empty; wrapped, top-aligned."""
    if isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = "dd/mm/yyyy hh:mm"
    elif value not in (None, ""):
        cell.value = nfc(value) if isinstance(value, str) else value
    cell.alignment = _align(wrap_text=True, vertical="top")


def _header_row(ws: Any, row: int, headers: Sequence[str]) -> None:
    from openpyxl.styles import Border, PatternFill, Side

    thin = Side(style="thin")
    for col, text in enumerate(headers, 1):
        cell = ws.cell(row, col, nfc(text))
        cell.font = _font(bold=True)
        cell.alignment = _align(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    ws.row_dimensions[row].height = 62


def _number(cell: Any, value: float | int | None, number_format: str) -> Any:
    if value is not None:
        cell.value = value
    cell.number_format = number_format
    return cell


FORMATS_BY_METRIC = {"on_time_rate": "0.0%", "time_cut": "0.0%", "satisfaction": "0.0%",
                     "average_days_to_return": "0.0"}


def _figures_row(ws: Any, row: int, index: int | None, label: str, figures: Figures, metrics: Sequence[str],
                 *, bold: bool = False) -> None:
    values = figures.row()
    if index is not None:
        ws.cell(row, 1, index).alignment = _align(horizontal="center")
    label_cell = ws.cell(row, 2, nfc(label))
    label_cell.alignment = _align(wrap_text=True, vertical="top")
    for col, metric in enumerate(metrics, 3):
        cell = _number(ws.cell(row, col), values.get(metric), FORMATS_BY_METRIC.get(metric, "0"))
        cell.alignment = _align(horizontal="center", vertical="top")
    if bold:
        for col in range(1, len(metrics) + 3):
            ws.cell(row, col).font = _font(bold=True)


def _widths(ws: Any, widths: Sequence[float]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _help_sheet(book: Any, metrics: Sequence[str]) -> None:
    ws = book.create_sheet(WORDS.text("reports.help_sheet"))
    _header_row(ws, 1, WORDS.texts("reports.help_headers"))
    ws.row_dimensions[1].height = 20
    for r, metric in enumerate(metrics, 2):
        label = METRICS.get(metric) or DERIVED[metric]
        text = METRIC_HELP.get(metric) or METRIC_HELP.get(_HELP_OF.get(metric, ""), "") or DERIVED_HELP.get(metric, "")
        ws.cell(r, 1, nfc(label)).alignment = _align(wrap_text=True, vertical="top")
        ws.cell(r, 2, nfc(text)).alignment = _align(wrap_text=True, vertical="top")
    _widths(ws, [38, 100])
    ws.freeze_panes = "A2"


def _book_columns(template: FormTemplate) -> list[tuple[str, str]]:
    """(title, item key) of the book template's table; a column without a value (the signature)
    is left out."""
    for block in template.blocks:
        if block.type == "table" and block.get("source") == "book.rows":
            out = []
            for column in block.get("columns", []):
                found = re.search(r"\{item\.([a-z_]+)", column.get("value", ""))
                if found:
                    out.append((nfc(column.get("title", "")), found[1]))
            return out
    raise DomainError(f"Mẫu {template.id} không có bảng sổ theo dõi (book.rows).", code="template")


def _save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- small things -----------------------------------------------------------------------------

def _formatted(figures: Figures) -> dict[str, str]:
    return {metric: format_value(metric, value) for metric, value in figures.row().items()}


def _when(moment: datetime) -> str:
    return f"{moment:%H} giờ {moment:%M} phút, ngày {moment:%d/%m/%Y}"


def _filename(stem: str, period: Period, ext: str) -> str:
    return f"{stem}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{ext}"


def parse_period(start: str | date | None, end: str | date | None) -> Period:
    """``Period.parse`` with a message when an end is missing."""
    if not start or not end:
        raise DomainError("Cần kỳ báo cáo: --from NGÀY --to NGÀY (ví dụ --from 2026-11-01 --to 2026-11-30).",
                          code="bad_range")
    return Period.parse(start, end)
