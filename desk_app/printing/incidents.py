"""The personal data incident log for the leader, as PDF (``forms_templates/reports/so_su_co.toml``)
or XLSX: every incident with its 72-hour deadline, overdue ones marked. No one affected is named."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..counter import Counter
from ..models.rules import counter_rules
from ..models.errors import DomainError
from ..models.forms import FormTemplate
from ..models.incidents import Incident
from .papers import Papers
from .reports import FORMATS, HEADER_ROW, Report, _align, _font, _header_row, _preamble, _put_text_cell, _save, _widths, _workbook, \
    render_many

TEMPLATE_ID = "so_su_co"
OVERDUE_FILL = "F8D7DA"  # the same pale red the leader's screen uses


def _reported(incident: Incident) -> str:
    if incident.reported_at is None:
        return ""
    return f"{incident.reported_at:%H:%M %d/%m/%Y} — {incident.reported_to}"


class IncidentLog:
    def __init__(self, counter: Counter, papers: Papers | None = None) -> None:
        self.counter = counter
        self.papers = papers or Papers(counter)

    def template(self) -> FormTemplate:
        try:
            return self.papers.library.latest(TEMPLATE_ID)
        except (DomainError, KeyError):
            raise DomainError("Thiếu mẫu Sổ theo dõi sự cố dữ liệu cá nhân (forms_templates/reports/so_su_co.toml).",
                              code="template_missing") from None

    def rows(self, now: datetime) -> list[dict[str, Any]]:
        """Oldest first, as a book is written."""
        out = []
        for incident in reversed(self.counter.privacy.incidents()):
            out.append({
                "detected_at": incident.detected_at, "kind": incident.kind_label,
                "description": incident.description, "data_affected": incident.data_affected,
                "people_affected": "" if incident.people_affected is None else incident.people_affected,
                "measures": incident.measures, "deadline": incident.deadline, "reported": _reported(incident),
                "status": incident.status(now), "recorded_by": incident.recorded_by,
                "overdue": incident.overdue(now),
            })
        return out

    def context(self) -> dict[str, Any]:
        now = self.counter.now()
        rows = self.rows(now)
        return {
            "ward": self.papers.ward_context(),
            "printed": {"at": now, "date": now.date(), "copy_kind": "original", "copy_label": ""},
            "incidents": {
                "as_of": now, "count": len(rows), "rows": rows,
                "open": sum(1 for r in rows if not r["reported"]),
                "overdue": sum(1 for r in rows if r["overdue"]),
            },
        }

    def make(self, fmt: str) -> Report:
        if fmt not in FORMATS:
            raise DomainError(f"Định dạng “{fmt}” không hỗ trợ (dùng: {', '.join(FORMATS)}).", code="bad_format")
        return self.pdf() if fmt == "pdf" else self.xlsx()

    def pdf(self) -> Report:
        template = self.template()
        ctx = self.context()
        stamp = ctx["printed"]["at"]
        return Report(render_many(template, [ctx]), "incidents", "pdf", template.title,
                      f"so-su-co-{stamp:%Y%m%d}.pdf", ctx["incidents"]["count"])

    def xlsx(self) -> Report:
        from openpyxl.styles import PatternFill

        template = self.template()
        ctx = self.context()
        data = ctx["incidents"]
        book = _workbook()
        ws = book.active
        ws.title = "Sự cố"
        headers = ["STT", "Phát hiện lúc", "Loại sự cố", "Mô tả", "Dữ liệu bị ảnh hưởng", "Số người bị ảnh hưởng",
                   "Biện pháp đã thực hiện", f"Hạn báo cáo ({counter_rules().incident_hours_text})", "Đã báo cáo", "Tình trạng", "Người ghi nhận"]
        _preamble(ws, ctx["ward"], template.title, [
            f"Tính đến {data['as_of']:%H:%M ngày %d/%m/%Y}",
            f"Tổng số: {data['count']}; chưa báo cáo: {data['open']}; quá {counter_rules().incident_hours_text}: {data['overdue']}"], len(headers))
        _header_row(ws, HEADER_ROW, headers)
        keys = ["detected_at", "kind", "description", "data_affected", "people_affected", "measures", "deadline",
                "reported", "status", "recorded_by"]
        red = PatternFill("solid", fgColor=OVERDUE_FILL)
        for r, item in enumerate(data["rows"], HEADER_ROW + 1):
            ws.cell(r, 1, r - HEADER_ROW).alignment = _align(horizontal="center", vertical="top")
            for col, key in enumerate(keys, 2):
                cell = ws.cell(r, col)
                _put_text_cell(cell, item[key])
                if item["overdue"]:
                    cell.fill = red
            if item["overdue"]:
                ws.cell(r, 1).fill = red
                ws.cell(r, 11).font = _font(bold=True)
        _widths(ws, [6, 17, 26, 45, 30, 12, 36, 17, 30, 24, 14])
        ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
        stamp = data["as_of"]
        return Report(_save(book), "incidents", "xlsx", template.title, f"so-su-co-{stamp:%Y%m%d}.xlsx", data["count"])
