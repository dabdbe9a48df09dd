"""The clerk's work queues and any dossier: list, details, journal and the actions the status allows.

It only shows and collects: every rule is in ``desk_app.models`` (the buttons ask the
lifecycle which actions the status allows) and every change goes through
``desk_app.counter.Counter``. Each action is a method (``do_apology``...) that tests call
directly; the buttons open small dialogs that collect the input and call those methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterable

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..counter import Counter, DossierView
from ..models.changes import Changes
from .changes import PendingChanges
from ..models.errors import DomainError
from ..models.journal import Action
from ..models.survey import CHANNELS
from ..models.lifecycle import (
    ACTION_LABELS,
    FLAG_LABELS,
    STATUS_LABELS,
    check_transition,
)
from ..models.papers import available as available_papers
from ..models.rules import counter_rules
from ..models.queues import QUEUE_LABELS, queue as queue_rule
from ..models.validation import format_date, parse_date
from ..models.papers import PAPER_LABELS
from ..printing.papers import Paper, Papers
from ..models.privacy import mask_id_number, mask_phone
from ..storage.records import DossierRow
from .common import InputDialog
from .preview import DossierPrints, PdfPreviewDialog, PrinterBackend
from .survey import SurveyDialog, offer_survey

# Flags as the list shows them: short, most urgent first.
SHORT_FLAGS: dict[str, str] = {
    "needs_apology": "Cần xin lỗi",
    "overdue": "Quá hạn",
    "late_without_apology": "Trễ, chưa xin lỗi",
    "due_soon": "Sắp đến hạn",
    "notify_citizen": "Cần báo dân",
    "ready_early": "Xong trước hẹn",
    "paused": "Tạm dừng tính hạn",
}
URGENT_FLAGS = {"overdue", "needs_apology", "late_without_apology"}
def fmt_dt(value: datetime | None) -> str:
    return value.strftime("%H:%M %d/%m/%Y") if value else ""


def ordered_flags(flags: Iterable[str]) -> list[str]:
    present = set(flags)
    if "needs_apology" in present:
        present.discard("overdue")  # "cần xin lỗi" already says it is late
    return [f for f in SHORT_FLAGS if f in present]


@dataclass(frozen=True)
class ActionButton:
    """One button: its label, the lifecycle action it performs (None: always possible)."""

    key: str
    label: str
    kind: str | None


ACTIONS: tuple[ActionButton, ...] = (
    ActionButton("start_processing", "Chuyển xử lý", "processing_started"),
    ActionButton("transfer", "Chuyển liên thông…", "transferred"),
    ActionButton("transfer_returned", "Nhận lại kết quả liên thông…", "transfer_returned"),
    ActionButton("result_ready", "Có kết quả", "result_ready"),
    ActionButton("notify", "Báo công dân…", "citizen_notified"),
    ActionButton("return", "Trả kết quả…", "returned"),
    ActionButton("apology", "Xin lỗi và hẹn lại…", "apology_issued"),
    ActionButton("withdraw", "Dừng giải quyết…", "withdrawn"),
    ActionButton("supplement", "Yêu cầu bổ sung…", "supplement_requested"),
    ActionButton("supplemented", "Nhận giấy tờ bổ sung…", "supplemented"),
    ActionButton("cancel", "Hủy hồ sơ nhập nhầm…", "cancelled"),
    ActionButton("reprint", "In lại giấy tờ…", None),
    ActionButton("survey", "Khảo sát hài lòng…", "survey_recorded"),
)


class DossierListModel(QAbstractTableModel):
    HEADERS = ("Mã hồ sơ", "Người nộp", "Thủ tục", "Trạng thái", "Hẹn trả", "Cảnh báo")

    def __init__(self, counter: Counter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.rows: list[DossierRow] = []
        self._cells: list[tuple[str, ...]] = []
        self._flags: list[list[str]] = []

    def set_rows(self, rows: list[DossierRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self._flags = [ordered_flags(self.counter.dossiers.flags_of(r)) for r in rows]
        self._cells = [self._cells_of(r, fl) for r, fl in zip(rows, self._flags)]
        self.endResetModel()

    def _cells_of(self, r: DossierRow, flags: list[str]) -> tuple[str, ...]:
        return (r.code, r.applicant_name, self._procedure_name(r.procedure_code),
                STATUS_LABELS.get(r.status, r.status), fmt_dt(r.due_at), ", ".join(SHORT_FLAGS[f] for f in flags))

    def _procedure_name(self, code: str) -> str:
        return self.counter.catalogue.name_of(code)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.DisplayRole:
            return self._cells[r][c]
        if role == Qt.ToolTipRole:
            if c == 5 and self._flags[r]:
                return "\n".join(FLAG_LABELS[f] for f in self._flags[r])
            if c == 2:
                return self._cells[r][2]
        if role == Qt.ForegroundRole and c in (4, 5):
            fl = set(self._flags[r])
            if fl & URGENT_FLAGS:
                return QColor("#b00020")
            if "due_soon" in fl or "notify_citizen" in fl:
                return QColor("#9a5b00")
        if role == Qt.FontRole and c == 5 and set(self._flags[r]) & URGENT_FLAGS:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def set_row(self, index: int, row: DossierRow) -> None:
        """One row redrawn in place (a print, a survey): the list keeps its order and selection."""
        flags = ordered_flags(self.counter.dossiers.flags_of(row))
        self.rows[index], self._flags[index], self._cells[index] = row, flags, self._cells_of(row, flags)
        self.dataChanged.emit(self.index(index, 0), self.index(index, len(self.HEADERS) - 1))

    def code_at(self, row: int) -> str | None:
        return self.rows[row].code if 0 <= row < len(self.rows) else None

    def row_of(self, code: str) -> int:
        for i, r in enumerate(self.rows):
            if r.code == code:
                return i
        return -1


def caption(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label

def action_detail(a: Action) -> str:
    p = a.payload
    if a.kind in ("received", "supplemented") and p.get("due_at"):
        return f"hẹn trả {fmt_dt(datetime.fromisoformat(p['due_at']))}"
    if a.kind == "transferred":
        return p.get("to_unit", "")
    if a.kind == "transfer_received":
        return p.get("unit", "")
    if a.kind == "transfer_returned":
        return f"từ {p['from_unit']}" if p.get("from_unit") else ""
    if a.kind == "citizen_notified":
        return p.get("channel", "")
    if a.kind == "returned":
        return f"người nhận {p['received_by']}" if p.get("received_by") else ""
    if a.kind == "apology_issued":
        new = fmt_dt(datetime.fromisoformat(p["new_due_at"])) if p.get("new_due_at") else ""
        return f"hẹn mới {new}; {p.get('reason', '')}"
    if a.kind in ("withdrawn", "refused", "cancelled", "clock_paused"):
        return p.get("reason", "")
    if a.kind == "supplement_requested":
        return "; ".join(p.get("items", []))
    if a.kind == "printed":
        label = PAPER_LABELS.get(p.get("form", ""), p.get("form", ""))
        return label + (" (bản in lại)" if p.get("copy_kind") == "reprint" else "")
    if a.kind == "official_code_assigned":
        return p.get("official_code", "")
    if a.kind == "survey_recorded":
        return CHANNELS.get(p.get("channel", ""), "")
    if a.kind == "note":
        return p.get("text", "")
    return p.get("note", "") or ""


class DossiersView(QWidget):
    """Queues with counts, search, the list, and the selected dossier with its actions."""

    changed = Signal(object)  # the Changes of every recorded action: the main window passes them on

    def __init__(self, counter: Counter, *, printer: PrinterBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dialogs = DossierDialogs(self)  # ask_*: the questions before an action
        self.printing = DossierPrinting(self)  # the dossier's papers: preview, print, reprint
        self.counter = counter
        self.printer = printer
        self.papers = Papers(counter)
        failed = getattr(printer, "failed", None)  # QtPrinterBackend spools on a thread and reports here
        if failed is not None:
            failed.connect(lambda message: QMessageBox.warning(self, "Lỗi máy in", message))
        self.current: DossierView | None = None
        self.outside = PendingChanges(self, self.apply_changes)  # changes made on other screens
        self.current_actions: list[Action] = []
        self.queue_name: str = next(iter(QUEUE_LABELS))
        self.preview: PdfPreviewDialog | None = None
        self.survey_dialog: SurveyDialog | None = None
        self._clerk_names: dict[str, str] | None = None
        self.opened: str | None = None  # the dossier opened in full (logged); a selected row shows masked data

        # -- search
        self.search_box = QLineEdit()
        self.search_box.setObjectName("search")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setPlaceholderText("Tìm hồ sơ: tên (gõ không dấu cũng được), CCCD, số điện thoại "
                                           "hoặc mã hồ sơ   (Ctrl+F)")
        self._search_timer = QTimer(self, singleShot=True, interval=180)
        self._search_timer.timeout.connect(self.reload_list)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_box.installEventFilter(self)

        # -- queues
        self.queues = QListWidget()
        self.queues.setObjectName("queues")
        self.queues.setAccessibleName("Danh sách công việc")
        for key, label in QUEUE_LABELS.items():
            item = QListWidgetItem(label)
            item.setData(Qt.UserRole, key)
            self.queues.addItem(item)
        self.queues.setSpacing(2)
        self.queues.currentItemChanged.connect(self._queue_chosen)
        self.queues.itemClicked.connect(self._queue_chosen)  # the same queue again, after a search
        self.queues.itemActivated.connect(self._queue_chosen)
        queue_box = QWidget()
        ql = QVBoxLayout(queue_box)
        ql.setContentsMargins(0, 0, 0, 0)
        ql.addWidget(caption("Việc cần làm"))
        ql.addWidget(self.queues)

        # -- list
        self.model = DossierListModel(counter, self)
        self.table = QTableView()
        self.table.setObjectName("dossiers")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for the actions
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideRight)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setResizeContentsPrecision(40)  # fit columns to the first rows, not all 500 on each refresh
        header.setHighlightSections(False)
        for col in range(len(DossierListModel.HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.Stretch if col == 2 else QHeaderView.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(lambda index: self._enter_row(index.row()))
        self.table.installEventFilter(self)
        self.heading = QLabel("")
        self.heading.setObjectName("heading")
        middle = QWidget()
        ml = QVBoxLayout(middle)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(self.heading)
        ml.addWidget(self.table, 1)

        # -- details
        self.detail_title = QLabel("Chọn một hồ sơ trong danh sách.")
        self.detail_title.setObjectName("detail_title")
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextInteractionFlags(Qt.TextSelectableByMouse)
        title_font = self.detail_title.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        title_font.setBold(True)
        self.detail_title.setFont(title_font)
        self.detail_fields: dict[str, QLabel] = {}
        self.open_button = QPushButton("Xem đầy đủ thông tin (Enter)")
        self.open_button.setObjectName("open_record")
        self.open_button.setToolTip("Hiện đủ số định danh và số điện thoại; lượt xem được ghi vào nhật ký truy cập")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: self.current and self.open_dossier(self.current.code))
        facts = QFormLayout()
        facts.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        facts.setRowWrapPolicy(QFormLayout.DontWrapRows)
        facts.setVerticalSpacing(3)
        for key, label in (("applicant", "Người nộp:"), ("procedure", "Thủ tục:"), ("status", "Trạng thái:"),
                           ("received", "Tiếp nhận:"), ("due", "Hẹn trả:"), ("flags", "Cảnh báo:")):
            value = QLabel("")
            value.setObjectName(f"detail_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextSelectableByMouse)
            facts.addRow(label, value)
            self.detail_fields[key] = value

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setSpacing(6)
        handlers = {
            "start_processing": self.dialogs.ask_start_processing, "transfer": self.dialogs.ask_transfer,
            "transfer_returned": self.dialogs.ask_transfer_returned, "result_ready": self.do_result_ready,
            "notify": self.dialogs.ask_notify, "return": self.dialogs.ask_return, "apology": self.dialogs.ask_apology,
            "withdraw": self.dialogs.ask_withdraw, "supplement": self.dialogs.ask_supplement, "reprint": self.dialogs.ask_reprint,
            "survey": self.dialogs.ask_survey, "supplemented": self.dialogs.ask_supplemented,
            "cancel": self.dialogs.ask_cancel,
        }
        for i, action in enumerate(ACTIONS):
            button = QPushButton(action.label)
            button.setObjectName(action.key)
            button.setAutoDefault(True)  # Enter presses the focused button
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, h=handlers[action.key]: h())
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[action.key] = button
        actions_box = QGroupBox("Thao tác")
        actions_box.setLayout(grid)

        self.journal = QTableWidget(0, 3)
        self.journal.setObjectName("journal")
        self.journal.setHorizontalHeaderLabels(["Thời gian", "Thao tác", "Cán bộ"])
        self.journal.verticalHeader().setVisible(False)
        self.journal.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.journal.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.journal.setWordWrap(True)  # the unit, reason or new date is the point of a line
        self.journal.setTabKeyNavigation(False)
        self.journal.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        jh = self.journal.horizontalHeader()
        jh.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        jh.setSectionResizeMode(1, QHeaderView.Stretch)
        jh.setSectionResizeMode(2, QHeaderView.ResizeToContents)

        details = QWidget()
        details.setObjectName("details")
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.detail_title)
        left.addLayout(facts)
        left.addWidget(self.open_button, 0, Qt.AlignLeft)
        left.addWidget(actions_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(caption("Nhật ký xử lý"))
        right.addWidget(self.journal, 1)
        dl = QHBoxLayout(details)
        dl.setContentsMargins(0, 4, 0, 0)
        dl.addLayout(left, 1)
        dl.addLayout(right, 1)

        work = QSplitter(Qt.Vertical)  # the list above, the selected dossier below
        work.setChildrenCollapsible(False)
        work.addWidget(middle)
        work.addWidget(details)
        work.setStretchFactor(0, 1)
        work.setStretchFactor(1, 0)
        splitter = QSplitter(Qt.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(queue_box)
        splitter.addWidget(work)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 1130])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_box)
        layout.addWidget(splitter, 1)

        # keyboard: Ctrl+F to search; tab order search -> queues -> list -> actions -> journal
        find = QShortcut(QKeySequence.Find, self)
        find.setContext(Qt.WidgetWithChildrenShortcut)
        find.activated.connect(self.focus_search)
        QWidget.setTabOrder(self.search_box, self.queues)
        QWidget.setTabOrder(self.queues, self.table)
        previous: QWidget = self.table
        for action in ACTIONS:
            QWidget.setTabOrder(previous, self.buttons[action.key])
            previous = self.buttons[action.key]
        QWidget.setTabOrder(previous, self.journal)

        self.queues.blockSignals(True)
        self.queues.setCurrentRow(0)
        self.queues.blockSignals(False)
        self.refresh()


    # -- reading ----------------------------------------------------------------------------
    def apply_changes(self, changes: Changes) -> None:
        """Refresh what an operation changed: the counts and the list when a dossier came or
        moved between queues; else only the rows and the details of the dossiers it touched."""
        if changes.queues:
            self.refresh()
            return
        for code in changes.dossiers:
            index = self.model.row_of(code)
            row = self.counter.store.get_dossier(code) if index >= 0 else None
            if row is not None:
                self.model.set_row(index, row)
        if self.current is not None and self.current.code in changes.dossiers:
            self._load_details(self.current.code)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.outside.flush()

    def refresh(self) -> None:
        """Queue counts, the list (keeping the selected dossier) and the details."""
        self._refresh_counts()
        keep = self.current.code if self.current else None
        shown = self.reload_list(select=keep)
        if keep and shown != keep:  # it left the list (e.g. no longer overdue): still show it
            self._load_details(keep)

    def _refresh_counts(self) -> None:
        for i in range(self.queues.count()):
            item = self.queues.item(i)
            key = item.data(Qt.UserRole)
            n = len(self.counter.dossiers.queue(key, limit=1000))
            shown = "1000+" if n >= 1000 else str(n)
            item.setText(f"{QUEUE_LABELS[key]} ({shown})")
            font = item.font()
            font.setBold(n > 0 and queue_rule(key).pressing)
            item.setFont(font)
            item.setForeground(QColor("#b00020") if n and queue_rule(key).urgent else QColor())

    def reload_list(self, select: str | None = None) -> str | None:
        """Reload the queue or the search results; select ``select`` (else the first row).
        Returns the code now selected."""
        self._search_timer.stop()
        text = self.search_box.text().strip()
        if text:
            self.queues.clearSelection()  # the list is no longer that queue
            rows = self.counter.dossiers.search(text, limit=200)
            self.heading.setText(f"Kết quả tìm “{text}”: {len(rows)} hồ sơ")
        else:
            current = self.queues.currentItem()
            if current is not None and not current.isSelected():
                self.queues.blockSignals(True)
                current.setSelected(True)
                self.queues.blockSignals(False)
            rows = self.counter.dossiers.queue(self.queue_name, limit=500)
            self.heading.setText(f"{QUEUE_LABELS[self.queue_name]}: {len(rows)} hồ sơ")
        self.model.set_rows(rows)
        row = self.model.row_of(select) if select else -1
        if row < 0 and rows and (text or not select):
            row = 0
        if row < 0:
            return None
        self.table.selectRow(row)  # shows its details through currentRowChanged
        self.table.scrollTo(self.model.index(row, 0))
        return self.model.code_at(row)

    def show_queue(self, name: str) -> None:
        queue_rule(name)  # an unknown name says so, in Vietnamese
        self.queue_name = name
        keys = [self.queues.item(i).data(Qt.UserRole) for i in range(self.queues.count())]
        self.queues.blockSignals(True)
        self.queues.setCurrentRow(keys.index(name))
        self.queues.blockSignals(False)
        if self.search_box.text():
            self.search_box.blockSignals(True)
            self.search_box.clear()
            self.search_box.blockSignals(False)
        self.reload_list()

    def search(self, text: str) -> list[DossierRow]:
        """Search at once (the box waits a moment after the last key)."""
        self.search_box.setText(text)
        self.reload_list()
        return self.model.rows

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.ShortcutFocusReason)
        self.search_box.selectAll()

    def rows(self) -> list[DossierRow]:
        return list(self.model.rows)

    def open_dossier(self, code: str) -> DossierView | None:
        """Open a dossier with its full personal data (logged in the access log), selecting it in
        the list when it is there."""
        row = self.model.row_of(code)
        if row >= 0 and self.table.currentIndex().row() != row:
            self.table.selectRow(row)
        return self._load_details(code, open_record=True)

    def close_record(self) -> None:
        """Back to masked data (the screen is locked or the clerk changes)."""
        self.opened = None
        self._show_details()

    def _load_details(self, code: str, *, open_record: bool = False) -> DossierView | None:
        try:
            view = self.counter.privacy.open_record(code) if open_record else self.counter.dossiers.dossier(code)
        except DomainError as exc:
            self.warn(exc)
            return None
        if open_record:
            self.opened = view.code
        elif self.opened != view.code:
            self.opened = None  # another dossier selected: the opened one is closed
        self.current = view
        self.current_actions = self.counter.store.actions_for(view.id)
        self._show_details()
        return view

    def _show_details(self) -> None:
        view, actions = self.current, self.current_actions
        if view is None:
            return
        row, state = view.row, view.state
        self.detail_title.setText(f"Hồ sơ {view.code}" + (f"  ·  mã cấp trên {row.official_code}"
                                                          if row.official_code else ""))
        full = self.opened == view.code
        who = [row.applicant_name]
        if row.applicant_id_number:
            who.append(f"CCCD {row.applicant_id_number if full else mask_id_number(row.applicant_id_number)}")
        if row.applicant_phone:
            who.append(f"ĐT {row.applicant_phone if full else mask_phone(row.applicant_phone)}")
        self.open_button.setEnabled(not full)
        self.open_button.setText("Đang xem đầy đủ thông tin" if full else "Xem đầy đủ thông tin (Enter)")
        self.detail_fields["applicant"].setText(" · ".join(who))
        self.detail_fields["procedure"].setText(view.procedure.name if view.procedure else row.procedure_code)
        status = STATUS_LABELS.get(view.status, view.status)
        if state.supplement_requests:
            status += " (đã yêu cầu bổ sung 1 lần)"
        self.detail_fields["status"].setText(status)
        self.detail_fields["received"].setText(fmt_dt(state.received_at) or "—")
        due = fmt_dt(state.due_at) or "—"
        if state.apologies and state.original_due_at and state.original_due_at != state.due_at:
            due += f" (đã hẹn lại; hẹn đầu {fmt_dt(state.original_due_at)})"
        if state.returned_at:
            due += f"; đã trả {fmt_dt(state.returned_at)}"
        self.detail_fields["due"].setText(due)
        shown = ordered_flags(view.flags)
        self.detail_fields["flags"].setText(", ".join(FLAG_LABELS[f] for f in shown) or "—")
        colour = "#b00020" if set(shown) & URGENT_FLAGS else "#9a5b00"
        self.detail_fields["flags"].setStyleSheet(f"color: {colour}; font-weight: bold" if shown else "")
        names = self._clerks()
        self.journal.setRowCount(len(actions))
        for i, a in enumerate(actions):
            what = ACTION_LABELS.get(a.kind, a.kind)
            detail = action_detail(a)
            cells = (fmt_dt(a.at), f"{what}: {detail}" if detail else what, names.get(a.clerk, a.clerk))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.journal.setItem(i, col, item)
        self.journal.scrollToBottom()
        self._update_buttons()

    def _update_buttons(self) -> None:
        view = self.current
        for action in ACTIONS:
            button = self.buttons[action.key]
            if view is None:
                button.setEnabled(False)
                button.setToolTip("")
                continue
            if action.kind is None:
                forms = self.printing.available_papers()
                button.setEnabled(bool(forms))
                button.setToolTip("" if forms else "Hồ sơ này chưa có giấy tờ nào để in.")
                continue
            try:
                check_transition(view.state, action.kind)
                if action.kind == "cancelled" and (refusal := self.counter.dossiers.cancel_refusal(view)):
                    raise DomainError(refusal)
            except DomainError as exc:
                button.setEnabled(False)
                button.setToolTip(exc.message)  # why not: tooltips show on disabled buttons
            else:
                button.setEnabled(True)
                button.setToolTip("")

    def _clerks(self) -> dict[str, str]:
        if self._clerk_names is None:
            self._clerk_names = {c["username"]: c["full_name"] for c in self.counter.store.reference.list_clerks()}
        return self._clerk_names


    # -- events -------------------------------------------------------------------------------
    def _queue_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.show_queue(item.data(Qt.UserRole))

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        code = self.model.code_at(current.row()) if current.isValid() else None
        if code:
            self._load_details(code)

    def _enter_row(self, row: int) -> None:
        code = self.model.code_at(row)
        if not code:
            return
        if self._load_details(code, open_record=True) is None:
            return
        for action in ACTIONS:  # straight to the first thing the clerk can do with it
            if self.buttons[action.key].isEnabled():
                self.buttons[action.key].setFocus(Qt.TabFocusReason)
                return
        self.journal.setFocus(Qt.TabFocusReason)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.KeyPress:
            key = event.key()
            if obj is self.table and key in (Qt.Key_Return, Qt.Key_Enter):
                self._enter_row(self.table.currentIndex().row())
                return True
            if obj is self.search_box:
                if key in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Down):
                    self.reload_list()
                    self.table.setFocus(Qt.TabFocusReason)
                    return True
                if key == Qt.Key_Escape and self.search_box.text():
                    self.search_box.clear()
                    self.reload_list()
                    return True
        return super().eventFilter(obj, event)

    # -- actions: callable from tests, each one database call then a refresh ------------------------
    def warn(self, exc: DomainError) -> None:
        QMessageBox.warning(self, "Không thực hiện được", exc.message)

    def _code(self, code: str | None) -> str:
        if code:
            return code
        if self.current is None:
            raise DomainError("Chưa chọn hồ sơ.", code="no_dossier")
        return self.current.code

    def _run(self, operation: Callable[[str], DossierView], code: str | None) -> DossierView | None:
        try:
            key = self._code(code)
            view = operation(key)
        except DomainError as exc:
            self.warn(exc)
            return None
        self.current = view
        self.apply_changes(view.changes)
        self.changed.emit(view.changes)
        return view

    def do_start_processing(self, code: str | None = None, to: str = "", *, print_slip: bool = False) -> DossierView | None:
        """Hand the dossier to the specialist ``to``; ``print_slip`` opens the control slip that goes with it."""
        view = self._run(lambda k: self.counter.dossiers.start_processing(k, to=to), code)
        if view is not None and print_slip:
            self.printing.preview_papers(["control"], code=view.code)
        return view

    def do_transfer(self, to_unit: str, note: str = "", code: str | None = None) -> DossierView | None:
        return self._run(lambda k: self.counter.dossiers.transfer(k, to_unit, note=note), code)

    def do_transfer_returned(self, from_unit: str, note: str = "", code: str | None = None) -> DossierView | None:
        return self._run(lambda k: self.counter.dossiers.transfer_returned(k, from_unit, note=note), code)

    def do_result_ready(self, code: str | None = None) -> DossierView | None:
        return self._run(lambda k: self.counter.dossiers.mark_result_ready(k), code)

    def do_notify(self, channel: str, note: str = "", code: str | None = None) -> DossierView | None:
        return self._run(lambda k: self.counter.dossiers.notify_citizen(k, channel, note=note), code)

    def do_return(self, received_by: str = "", note: str = "", *, print_form: str | None = None,
                  code: str | None = None, survey: bool = False) -> DossierView | None:
        """Hand the result over; nothing is printed unless ``print_form`` is chosen. With
        ``survey`` the satisfaction survey is offered first (the citizen is still at the
        counter), and the chosen paper's preview opens when it closes."""
        view = self._run(lambda k: self.counter.dossiers.return_result(k, received_by=received_by, note=note), code)
        if view is None:
            return None
        then = (lambda: self.printing.preview_papers([print_form], code=view.code)) if print_form else None
        if not (survey and self.dialogs.ask_survey(view.code, then=then)) and then:
            then()
        return view

    def do_apology(self, reason: str, new_date: str | date, channel: str = "Trực tiếp",
                   code: str | None = None) -> DossierView | None:
        """Apology and a new appointment (``new_date`` as dd/mm/yyyy), then the slip's preview."""
        try:
            day = parse_date(new_date, field="new_due_at")
        except DomainError as exc:
            self.warn(exc)
            return None
        view = self._run(lambda k: self.counter.dossiers.issue_apology(k, reason, day, channel=channel), code)
        if view is not None:
            self.printing.preview_papers(["apology"], code=view.code)
        return view

    def do_withdraw(self, reason: str, code: str | None = None) -> DossierView | None:
        view = self._run(lambda k: self.counter.dossiers.withdraw(k, reason), code)
        if view is not None:
            self.printing.preview_papers(["stop_notice"], code=view.code)
        return view

    def do_supplement(self, items: Iterable[str] | str, reason: str, contact: str = "",
                      code: str | None = None) -> DossierView | None:
        if isinstance(items, str):
            items = [line for line in items.splitlines() if line.strip()]
        items = list(items)
        view = self._run(lambda k: self.counter.dossiers.request_supplement(items, reason, dossier=k, contact=contact), code)
        if view is not None:
            self.printing.preview_papers(["supplement"], code=view.code)
        return view


class DossierDialogs:
    """The dialogs that collect what an action needs (a unit, a reason, a new date), then hand it
    to the view's ``do_*`` operations: the questions apart from the screen's layout and lists."""

    def __init__(self, view: DossiersView) -> None:
        self.view = view

    def ask_start_processing(self) -> None:
        d = InputDialog(self._title("Chuyển xử lý"), "Giao hồ sơ cho công chức chuyên môn giải quyết; phiếu kiểm soát "
                        "quá trình giải quyết hồ sơ (Mẫu số 06) đi kèm hồ sơ.", self.view, ok_text="Giao và xem phiếu")
        d.add_choice("to", "Giao cho:", [(u, u) for u in self._used_specialists()], editable=True)
        d.fields["to"].setCurrentText("")
        d.focus_key = "to"
        self._ask(d, lambda v: self.view.do_start_processing(to=v["to"], print_slip=True))

    def _used_specialists(self) -> list[str]:
        return [u for u in self.view.counter.store.lists.handover_receivers() if u][:15]

    def ask_transfer(self) -> None:
        d = InputDialog(self._title("Chuyển liên thông"), "Hồ sơ được chuyển cho cơ quan khác giải quyết.", self.view)
        d.add_choice("to_unit", "Cơ quan nhận:", [(u, u) for u in self._used_units()], editable=True)
        d.fields["to_unit"].setCurrentText("")
        d.add_line("note", "Ghi chú:")
        self._ask(d, lambda v: self.view.do_transfer(v["to_unit"], v["note"]))

    def ask_transfer_returned(self) -> None:
        unit = next((a.payload.get("to_unit", "") for a in reversed(self.view.current_actions)
                     if a.kind == "transferred"), "")
        d = InputDialog(self._title("Nhận lại kết quả liên thông"), "Kết quả giải quyết đã về bộ phận một cửa.", self.view)
        d.add_line("from_unit", "Nhận từ cơ quan:", unit)
        d.add_line("note", "Ghi chú:")
        self._ask(d, lambda v: self.view.do_transfer_returned(v["from_unit"], v["note"]))

    def ask_notify(self) -> None:
        d = InputDialog(self._title("Báo công dân đến nhận kết quả"), "", self.view)
        d.add_choice("channel", "Cách báo:", [(c, c) for c in counter_rules().notify_channels], editable=True)
        d.add_line("note", "Ghi chú:")
        self._ask(d, lambda v: self.view.do_notify(v["channel"], v["note"]))

    def ask_return(self) -> None:
        name = self.view.current.row.applicant_name if self.view.current else ""
        d = InputDialog(self._title("Trả kết quả"), "", self.view)
        d.add_line("received_by", "Người nhận:", name)
        d.add_line("note", "Ghi chú:")
        choices = [("Không in", None)] + [(self.view.printing.paper_label(f), f) for f in self.view.printing.available_papers()]
        d.add_choice("print_form", "In kèm:", choices)
        self._ask(d, lambda v: self.view.do_return(v["received_by"], v["note"], print_form=v["print_form"], survey=True))

    def ask_survey(self, code: str | None = None, *, then: Callable[[], object] | None = None) -> SurveyDialog | None:
        """The survey dialog for a returned dossier (window-modal, not blocking); ``then`` runs
        after it closes. None when it cannot be offered (``then`` is not run)."""
        view = self.view
        try:
            key = view._code(code)
        except DomainError as exc:
            view.warn(exc)
            return None

        def done(dialog: SurveyDialog) -> None:
            if view.survey_dialog is dialog:
                view.survey_dialog = None
            if dialog.view is not None:
                if view.current is not None and view.current.code == dialog.code:
                    view.current = dialog.view
                view.apply_changes(dialog.view.changes)
                view.changed.emit(dialog.view.changes)
            if then is not None:
                then()

        if view.survey_dialog is not None and view.survey_dialog.isVisible():
            view.survey_dialog.reject()
        view.survey_dialog = offer_survey(view.counter, key, view, on_done=done)
        return view.survey_dialog

    def ask_apology(self) -> None:
        suggestion = ""
        if self.view.current is not None:
            today = self.view.counter.now().date()
            due = self.view.current.state.due_at.date() if self.view.current.state.due_at else today
            suggestion = format_date(self.view.counter.calendar.next_working_day(max(today, due)))
        d = InputDialog(self._title("Xin lỗi và hẹn lại ngày trả"),
                        "Chỉ được hẹn lại một lần. Phiếu xin lỗi ghi rõ lý do và ngày hẹn mới.", self.view,
                        ok_text="Ghi và xem phiếu")
        d.add_text("reason", "Lý do chậm:")
        d.add_line("new_date", "Ngày hẹn mới:", suggestion, "dd/mm/yyyy")
        d.add_choice("channel", "Gửi phiếu qua:", [(c, c) for c in counter_rules().apology_channels], editable=True)
        self._ask(d, lambda v: self.view.do_apology(v["reason"], v["new_date"], v["channel"]))

    def ask_withdraw(self) -> None:
        d = InputDialog(self._title("Dừng giải quyết hồ sơ"),
                        "Công dân yêu cầu dừng khi hồ sơ chưa có kết quả. Sau đó in thông báo dừng giải quyết.",
                        self.view, ok_text="Ghi và xem thông báo")
        d.add_text("reason", "Lý do:")
        self._ask(d, lambda v: self.view.do_withdraw(v["reason"]))

    def ask_supplement(self) -> None:
        d = InputDialog(self._title("Yêu cầu bổ sung hồ sơ"),
                        "Chỉ yêu cầu bổ sung MỘT lần: ghi đủ tất cả nội dung cần bổ sung, mỗi dòng một nội dung.",
                        self.view, ok_text="Ghi và xem phiếu")
        d.add_text("items", "Nội dung cần bổ sung:")
        d.add_line("reason", "Lý do:")
        d.focus_key = "items"  # what is missing comes first, then why
        d.add_line("contact", "Liên hệ:")
        self._ask(d, lambda v: self.view.do_supplement(v["items"], v["reason"], v["contact"]))

    def ask_supplemented(self) -> None:
        """The citizen is back with what the supplement request asked: tick what was brought."""
        view = self.view.current
        if view is None:
            return
        held = {p["name"] for p in view.state.data.get("papers") or []}
        asked = "; ".join(view.state.supplement_items)
        d = InputDialog(self._title("Nhận giấy tờ bổ sung"),
                        f"Đã yêu cầu bổ sung: {asked}.\nĐánh dấu các giấy tờ công dân mang đến. Hồ sơ đủ thì được "
                        "tiếp nhận và tính lại thời hạn từ hôm nay; in lại giấy tiếp nhận và hẹn trả kết quả.",
                        self.view, ok_text="Tiếp nhận và xem giấy hẹn")
        components = view.procedure.components if view.procedure else ()
        d.add_checklist("papers", "Giấy tờ mang đến:",
                        [(c.name, c.name not in held and c.required) for c in components if c.name not in held])
        self._ask(d, lambda v: self.record_brought(v["papers"]))

    def record_brought(self, papers: list[str], code: str | None = None) -> DossierView | None:
        """Record the papers brought; the dossier is received (its clock restarts) and the new
        receipt opens in the preview."""
        view = self.view._run(lambda k: self.view.counter.dossiers.supplement(k, papers=papers), code)
        if view is not None:
            self.view.printing.preview_papers(["receipt"], code=view.code)
        return view

    def ask_cancel(self) -> None:
        d = InputDialog(self._title("Hủy hồ sơ nhập nhầm"),
                        "Chỉ dùng cho hồ sơ nhập nhầm (sai thủ tục, sai người, nhập trùng). Hồ sơ không bị xóa: vẫn "
                        "giữ mã, bị gạch trong sổ theo dõi và không tính vào các chỉ tiêu giải quyết. Hồ sơ đã giao "
                        "giấy tờ cho công dân chỉ lãnh đạo được hủy. Công dân xin dừng thì dùng “Dừng giải quyết”.",
                        self.view, ok_text="Hủy hồ sơ", cancel_text="Quay lại")  # never two "Hủy"
        d.add_text("reason", "Nhập nhầm điều gì:")
        self._ask(d, lambda v: self.view._run(lambda k: self.view.counter.dossiers.cancel(k, v["reason"]), None))

    def ask_reprint(self) -> None:
        forms = self.view.printing.available_papers()
        d = InputDialog(self._title("In lại giấy tờ"), "Chọn các giấy tờ cần in (lượt in được ghi vào nhật ký).",
                        self.view, ok_text="Xem trước")
        chooser = QListWidget()
        chooser.setObjectName("forms")
        for i, form in enumerate(forms):
            item = QListWidgetItem(self.view.printing.paper_label(form))
            item.setData(Qt.UserRole, form)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if i == 0 else Qt.Unchecked)
            chooser.addItem(item)
        chooser.setFixedHeight(min(8, max(2, len(forms))) * (self.view.fontMetrics().height() + 10))
        d.form.addRow(chooser)

        def chosen(_values: dict[str, Any]) -> object:
            picked = [chooser.item(i).data(Qt.UserRole) for i in range(chooser.count())
                      if chooser.item(i).checkState() == Qt.Checked]
            return self.view.printing.do_reprint(picked)

        self._ask(d, chosen)

    def _ask(self, dialog: InputDialog, submit: Callable[[dict[str, Any]], object]) -> object:
        dialog.submit = submit
        dialog.exec()
        return dialog.result_value

    def _title(self, what: str) -> str:
        return f"{what} — hồ sơ {self.view.current.code}" if self.view.current else what

    def _used_units(self) -> list[str]:
        try:
            units = self.view.counter.store.lists.transfer_units()
        except Exception:  # noqa: BLE001 - suggestions only
            return []
        return list(dict.fromkeys(u for u in units if u))[:15]


class DossierPrinting:
    """The papers of the dossier on screen: which exist, what the clerk calls them, the preview
    and the print (recorded once each)."""

    def __init__(self, view: DossiersView) -> None:
        self.view = view

    def do_reprint(self, forms: Iterable[str], code: str | None = None) -> PdfPreviewDialog | None:
        return self.preview_papers(list(forms), code=code)

    def available_papers(self, view: DossierView | None = None, actions: list[Action] | None = None) -> list[str]:
        """The papers this dossier has (what Papers would agree to print)."""
        view = view or self.view.current
        if view is None or view.status == "cancelled":  # no longer a record: nothing to hand out
            return []
        actions = actions if actions is not None else (self.view.current_actions if view is self.view.current
                                                       else self.view.counter.store.actions_for(view.id))
        return available_papers(
            received=view.state.received_at is not None or view.status == "returned",
            has_declaration=bool(view.row.template_id or (view.procedure and view.procedure.declaration_template)),
            kinds=(a.kind for a in actions))

    def paper_label(self, form: str, view: DossierView | None = None) -> str:
        """What the clerk calls the paper; a declaration by its own title ("Tờ khai đăng ký khai sinh")."""
        view = view or self.view.current
        if form == "declaration" and view is not None:
            try:
                title = " ".join(self.view.papers.template_for(view, form).title.split())
            except DomainError:
                return PAPER_LABELS[form]
            return title[:1].upper() + title[1:].lower() if title.isupper() else title
        return PAPER_LABELS.get(form, form)

    def render_paper(self, code: str, form: str) -> Paper:
        """The paper for the preview (not journaled); marked "Bản in lại" when it was printed before."""
        return self.view.papers.dossier_paper(code, form, record=False)

    def preview_papers(self, forms: list[str], code: str | None = None) -> PdfPreviewDialog | None:
        """Open the preview of ``forms`` (window-modal, not blocking); printing records each paper."""
        try:
            key = self.view._code(code)
            if not forms:
                raise DomainError("Chưa chọn giấy tờ nào để in.", code="nothing_to_print")
            rendered = [(form, self.render_paper(key, form)) for form in forms]
        except DomainError as exc:
            self.view.warn(exc)
            return None
        def refreshed(changes: Changes) -> None:
            self.view.apply_changes(changes)
            self.view.changed.emit(changes)

        prints = DossierPrints(self.view.counter, key, rendered, after=refreshed)
        if self.view.preview is not None:
            self.view.preview.close()
        self.view.preview = PdfPreviewDialog(prints.papers, self.view.printer, self.view, on_print=prints.printed,
                                             on_save=prints.saved)
        self.view.preview.resize(860, max(600, min(1000, (self.view.window().height() or 900) - 40)))
        self.view.preview.open()
        return self.view.preview
