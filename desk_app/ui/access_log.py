"""Nhật ký truy cập: who viewed, printed, exported or searched by ID number, for the ward's
leaders (role leader or admin). It only shows: the entries are written by ``Counter``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..counter import Counter
from ..models.errors import DomainError
from ..models.privacy import ACCESS_KINDS, CLI_ACTOR, AccessFilter
from ..models.papers import PAPER_LABELS

HEADERS = ("Thời gian", "Cán bộ", "Quầy", "Thao tác", "Đối tượng", "Chi tiết")
EXPORT_LABELS = {
    "handling": "Báo cáo tình hình giải quyết hồ sơ",
    "book": "Sổ theo dõi hồ sơ",
    "listing": "Niêm yết thủ tục",
    "paper": "Giấy tờ của hồ sơ (lưu PDF)",
}
DEFAULT_DAYS = 30


class AccessLogDialog(QDialog):
    """The log with filters by period, clerk and kind; newest first. Refuses (DomainError) to
    open for a clerk without the right to see reports."""

    def __init__(self, counter: Counter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        clerks_in_log = counter.privacy.access_clerks()  # checks the right before anything is shown
        self.setWindowTitle("Nhật ký truy cập dữ liệu cá nhân")
        self.setObjectName("access_log")
        self.resize(1100, 640)
        self._names = {c["username"]: c["full_name"] for c in counter.store.reference.list_clerks()}
        self._names[CLI_ACTOR] = "Dòng lệnh (không đăng nhập)"

        today = counter.now().date()
        self.date_from = self._date_edit("date_from", today - timedelta(days=DEFAULT_DAYS))
        self.date_to = self._date_edit("date_to", today)
        self.clerk = QComboBox(objectName="clerk")
        self.clerk.addItem("Tất cả cán bộ", "")
        for username in sorted(set(self._names) - {CLI_ACTOR} | set(clerks_in_log)):
            self.clerk.addItem(self._names.get(username, username), username)
        self.kind = QComboBox(objectName="kind")
        self.kind.addItem("Tất cả thao tác", "")
        for key, label in ACCESS_KINDS.items():
            self.kind.addItem(label, key)

        filters = QHBoxLayout()
        for label, widget in (("Từ ngày:", self.date_from), ("Đến ngày:", self.date_to), ("Cán bộ:", self.clerk),
                              ("Thao tác:", self.kind)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addStretch(1)

        self.table = QTableWidget(0, len(HEADERS), objectName="entries")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for col in range(len(HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.Stretch if col == 5 else QHeaderView.ResizeToContents)
        self.summary = QLabel("", objectName="summary")
        note = QLabel("Nhật ký chỉ được ghi thêm, không sửa hay xóa được; số định danh chỉ lưu dạng che.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.button(QDialogButtonBox.Close).setText("Đóng")
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(note)
        layout.addWidget(buttons)

        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self.refresh())
        for combo in (self.clerk, self.kind):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.entries: list[dict[str, Any]] = []
        self.refresh()

    @staticmethod
    def _date_edit(name: str, day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day), objectName=name)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setCalendarPopup(True)
        return edit

    @staticmethod
    def _day(edit: QDateEdit) -> date:
        d = edit.date()
        return date(d.year(), d.month(), d.day())

    def set_filters(self, *, start: date | None = None, end: date | None = None, clerk: str | None = None,
                    kind: str | None = None) -> None:
        """Set several filters at once (one reload)."""
        widgets = (self.date_from, self.date_to, self.clerk, self.kind)
        for w in widgets:
            w.blockSignals(True)
        for edit, day in ((self.date_from, start), (self.date_to, end)):
            if day is not None:
                edit.setDate(QDate(day.year, day.month, day.day))
        for combo, value in ((self.clerk, clerk), (self.kind, kind)):
            if value is not None:
                combo.setCurrentIndex(max(0, combo.findData(value)))
        for w in widgets:
            w.blockSignals(False)
        self.refresh()

    def current_filter(self) -> AccessFilter:
        return AccessFilter(start=self._day(self.date_from), end=self._day(self.date_to),
                            clerk=self.clerk.currentData() or "", kind=self.kind.currentData() or "")

    def refresh(self) -> None:
        f = self.current_filter()
        if f.end < f.start:
            self.entries = []
            self.table.setRowCount(0)
            self.summary.setText("Ngày cuối kỳ trước ngày đầu kỳ: chọn lại khoảng ngày.")
            return
        try:
            self.entries = self.counter.privacy.access_log(f)
        except DomainError as exc:
            self.entries = []
            self.table.setRowCount(0)
            self.summary.setText(exc.message)
            return
        self.table.setRowCount(len(self.entries))
        for i, entry in enumerate(self.entries):
            for col, text in enumerate(self.cells(entry)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, col, item)
        self.summary.setText(f"{len(self.entries)} lượt truy cập từ {f.start:%d/%m/%Y} đến {f.end:%d/%m/%Y}.")

    def cells(self, entry: dict[str, Any]) -> tuple[str, ...]:
        return (f"{entry['at']:%H:%M:%S %d/%m/%Y}", self.clerk_label(entry), str(entry["counter"]),
                ACCESS_KINDS.get(entry["kind"], entry["kind"]), self.subject_label(entry), self.detail_label(entry))

    def clerk_label(self, entry: dict[str, Any]) -> str:
        name = self._names.get(entry["clerk"], entry["clerk"])
        os_user = entry["detail"].get("os_user")
        return f"{name} — người dùng máy {os_user}" if os_user else name

    def subject_label(self, entry: dict[str, Any]) -> str:
        subject = entry["subject"]
        if entry["kind"] == "search_id":
            return f"Số định danh {subject}"
        if subject.startswith("citizen:"):
            row = self.counter.store.people.find_citizen(citizen_id=subject.split(":", 1)[1])
            return f"Công dân {row['full_name']}" if row else "Công dân (đã xóa)"
        if entry["kind"] == "export":
            return f"Tệp {subject}"
        return f"Hồ sơ {subject}" if subject else ""

    def detail_label(self, entry: dict[str, Any]) -> str:
        d = entry["detail"]
        if entry["kind"] == "view_record":
            if d.get("record") == "citizen":
                return "Điền thông tin công dân đã đến khi tiếp nhận"
            return self._procedure_name(d.get("procedure", ""))
        if entry["kind"] == "print":
            label = PAPER_LABELS.get(d.get("form", ""), d.get("form", ""))
            return label + (" (bản in lại)" if d.get("copy_kind") == "reprint" else "")
        if entry["kind"] == "search_id":
            where = "hồ sơ" if d.get("in") == "dossiers" else "công dân đã đến"
            return f"Tìm trong {where}: {d.get('found', 0)} kết quả"
        if entry["kind"] == "export":
            parts = [EXPORT_LABELS.get(d.get("what", ""), PAPER_LABELS.get(d.get("what", ""), d.get("what", "")))]
            period = d.get("period")
            if period:
                start, end = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
                parts.append(f"từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}")
            if d.get("dossier"):
                parts.append(f"hồ sơ {d['dossier']}")
            if d.get("format"):
                parts.append(str(d["format"]).upper())
            return ", ".join(p for p in parts if p)
        return ""

    def _procedure_name(self, code: str) -> str:
        return self.counter.catalogue.name_of(code)
