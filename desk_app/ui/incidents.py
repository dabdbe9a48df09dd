"""The leader's incident log: every personal data incident with its 72-hour deadline (overdue in
red), a form to add one, "reported" with to whom and when, and the book exported as PDF or XLSX."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..counter import Counter
from ..models.clock import as_vn
from ..models.errors import DomainError
from ..models.incidents import INCIDENT_KINDS, Incident
from ..models.rules import counter_rules
from .common import error_label, ok_cancel

HEADERS = ("Phát hiện lúc", "Loại sự cố", "Mô tả", "Số người bị ảnh hưởng", f"Hạn báo cáo ({counter_rules().incident_hours_text})", "Tình trạng")
OVERDUE = QColor("#f8d7da")


def _qt(moment: datetime) -> QDateTime:
    return QDateTime(moment.date(), moment.time().replace(microsecond=0))


def _py(edit: QDateTimeEdit, like: datetime) -> datetime:
    value = edit.dateTime().toPython()
    return as_vn(value.replace(tzinfo=like.tzinfo))


class IncidentForm(QDialog):
    """A new incident: when it was detected, what kind, what happened, whose data, what was done."""

    def __init__(self, counter: Counter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.setWindowTitle("Ghi nhận sự cố dữ liệu cá nhân")
        now = counter.now()
        self.detected = QDateTimeEdit(_qt(now), objectName="detected_at", calendarPopup=True)
        self.detected.setDisplayFormat("HH:mm dd/MM/yyyy")
        self.kind = QComboBox(objectName="kind")
        for code, label in INCIDENT_KINDS.items():
            self.kind.addItem(label, code)
        self.description = QPlainTextEdit(objectName="description")
        self.data_affected = QLineEdit(objectName="data_affected")
        self.data_affected.setPlaceholderText("Ví dụ: họ tên, số định danh, địa chỉ của người nộp hồ sơ")
        self.people = QLineEdit(objectName="people_affected")
        self.people.setPlaceholderText("Để trống nếu chưa rõ")
        self.measures = QPlainTextEdit(objectName="measures")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("Phát hiện lúc:", self.detected)
        form.addRow("Loại sự cố:", self.kind)
        form.addRow("Mô tả sự cố:", self.description)
        form.addRow("Dữ liệu bị ảnh hưởng:", self.data_affected)
        form.addRow("Số người bị ảnh hưởng:", self.people)
        form.addRow("Biện pháp đã thực hiện:", self.measures)
        buttons = ok_cancel("Ghi nhận", "Bỏ qua", self.submit, self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.incident: Incident | None = None

    def submit(self) -> None:
        try:
            self.incident = self.counter.privacy.record_incident(
                detected_at=_py(self.detected, self.counter.now()), kind=self.kind.currentData(),
                description=self.description.toPlainText(), data_affected=self.data_affected.text(),
                people_affected=self.people.text(), measures=self.measures.toPlainText())
        except DomainError as exc:
            self.error.setText(exc.message)
            return
        self.accept()


class ReportedForm(QDialog):
    """When, and to which authority, the incident was reported."""

    def __init__(self, counter: Counter, incident: Incident, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter, self.incident = counter, incident
        self.setWindowTitle("Đã báo cáo sự cố")
        self.to = QLineEdit(objectName="reported_to")
        self.to.setPlaceholderText("Ví dụ: Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05)")
        self.at = QDateTimeEdit(_qt(counter.now()), objectName="reported_at", calendarPopup=True)
        self.at.setDisplayFormat("HH:mm dd/MM/yyyy")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("Sự cố:", QLabel(f"{incident.kind_label} — phát hiện {incident.detected_at:%H:%M %d/%m/%Y}"))
        form.addRow("Đã báo cáo cho:", self.to)
        form.addRow("Lúc:", self.at)
        buttons = ok_cancel("Lưu", "Bỏ qua", self.submit, self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def submit(self) -> None:
        try:
            self.counter.privacy.mark_incident_reported(self.incident.id, self.to.text(), _py(self.at, self.counter.now()))
        except DomainError as exc:
            self.error.setText(exc.message)
            return
        self.accept()


class IncidentsDialog(QDialog):
    """Refuses (DomainError) to open for a clerk without the right to see reports."""

    def __init__(self, counter: Counter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if counter.clerk is None or not counter.clerk.can("reports"):
            raise DomainError("Chỉ lãnh đạo hoặc quản trị viên được xem sổ sự cố dữ liệu cá nhân.", code="forbidden")
        self.counter = counter
        self.setWindowTitle(f"Sự cố dữ liệu cá nhân — báo cáo trong {counter_rules().incident_hours_text}")
        self.setObjectName("incidents")
        self.resize(1100, 520)
        self.summary = QLabel("", objectName="summary", wordWrap=True)
        self.table = QTableWidget(0, len(HEADERS), objectName="incidents_table")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.add_button = QPushButton("Thêm sự cố…", objectName="add")
        self.reported_button = QPushButton("Đã báo cáo…", objectName="reported")
        self.export_button = QPushButton("Xuất sổ (PDF, Excel)…", objectName="export")
        close = QPushButton("Đóng")
        self.add_button.clicked.connect(self.add)
        self.reported_button.clicked.connect(self.mark_reported)
        self.export_button.clicked.connect(self.export)
        close.clicked.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.reported_button, self.export_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.incidents: list[Incident] = []
        self.refresh()

    def refresh(self) -> None:
        now = self.counter.now()
        self.incidents = self.counter.privacy.incidents()
        self.table.setRowCount(len(self.incidents))
        bold = QFont()
        bold.setBold(True)
        for r, i in enumerate(self.incidents):
            people = "" if i.people_affected is None else str(i.people_affected)
            values = (f"{i.detected_at:%H:%M %d/%m/%Y}", i.kind_label, i.description, people,
                      f"{i.deadline:%H:%M %d/%m/%Y}", i.status(now))
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 3:
                    item.setTextAlignment(Qt.AlignCenter)
                if i.overdue(now):
                    item.setBackground(QBrush(OVERDUE))
                    if c == 5:
                        item.setFont(bold)
                self.table.setItem(r, c, item)
        waiting = [i for i in self.incidents if i.reported_at is None]
        late = [i for i in waiting if i.overdue(now)]
        text = f"{len(self.incidents)} sự cố; {len(waiting)} chưa báo cáo"
        self.summary.setText(text + (f", trong đó {len(late)} đã quá {counter_rules().incident_hours_text}." if late else "."))
        self._selection_changed()

    def selected(self) -> Incident | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return self.incidents[min(rows)] if rows else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.reported_button.setEnabled(chosen is not None and chosen.reported_at is None)

    def add(self) -> IncidentForm:
        form = IncidentForm(self.counter, self)
        form.accepted.connect(self.refresh)
        form.open()
        return form

    def mark_reported(self) -> ReportedForm | None:
        chosen = self.selected()
        if chosen is None:
            return None
        form = ReportedForm(self.counter, chosen, self)
        form.accepted.connect(self.refresh)
        form.open()
        return form

    def export(self, path: str | Path | None = None) -> Path | None:
        """Ask where (PDF or XLSX by the name), then write; an encrypted ward's file gets a password."""
        from ..printing.incidents import IncidentLog
        from ..printing.protect import check_password, protect
        from ..storage import keys

        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, "Xuất sổ theo dõi sự cố", "so-su-co.pdf",
                                                  "PDF (*.pdf);;Excel (*.xlsx)")
            if not name:
                return None
            path = name
        target = Path(path)
        fmt = target.suffix.lstrip(".").lower()
        try:
            if fmt not in ("pdf", "xlsx"):
                raise DomainError("Chỉ xuất ra tệp .pdf hoặc .xlsx.")
            data = IncidentLog(self.counter).make(fmt).data
            db = self.counter.store.path
            if db is not None and keys.is_encrypted(db):  # encrypted data never leaves in clear
                password, ok = QInputDialog.getText(self, "Mật khẩu cho tệp xuất",
                                                    "Dữ liệu của phường đã mã hóa: đặt mật khẩu cho tệp (ít nhất 8 ký tự):",
                                                    QLineEdit.Password)
                if not ok:
                    return None
                check_password(password)
                data = protect(data, fmt, password)
            target.write_bytes(data)
        except DomainError as exc:
            QMessageBox.warning(self, self.windowTitle(), exc.message)
            return None
        except OSError as exc:
            QMessageBox.warning(self, self.windowTitle(), f"Không ghi được tệp {target} ({exc.strerror or exc}).")
            return None
        return target
