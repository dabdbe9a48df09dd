"""Danh mục TTHC: every procedure with its components, time limit and fee; print its public listing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..counter import Counter
from ..models.errors import DomainError
from ..models.intake import PAPER_KIND_LABELS
from ..printing.papers import Papers
from .preview import PdfPreviewDialog, PrinterBackend


class CatalogueView(QWidget):
    def __init__(self, counter: Counter, *, printer: PrinterBackend, parent=None) -> None:
        super().__init__(parent)
        self.counter, self.printer = counter, printer
        self.search = QLineEdit(objectName="catalogue_search")
        self.search.setPlaceholderText("Tìm thủ tục: tên không dấu hoặc mã")
        self.search.textChanged.connect(self.fill)
        self.list = QListWidget(objectName="catalogue_list")
        self.list.currentItemChanged.connect(self.show_procedure)
        self.details = QTextBrowser(objectName="catalogue_details")
        self.print_button = QPushButton("In niêm yết công khai…", objectName="print_listing")
        self.print_button.clicked.connect(self.print_listing)
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.list)
        right = QVBoxLayout()
        right.addWidget(self.details)
        right.addWidget(self.print_button, 0, Qt.AlignRight)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)
        self.fill("")

    def fill(self, text: str) -> None:
        catalogue = self.counter.catalogue
        self.list.clear()
        for proc in (catalogue.find(text) if text.strip() else catalogue.procedures):
            item = QListWidgetItem(f"{proc.code} — {proc.name}")
            item.setData(Qt.UserRole, proc.code)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def show_procedure(self, item: QListWidgetItem | None) -> None:
        if item is None:
            self.details.clear()
            return
        proc = self.counter.catalogue.get(item.data(Qt.UserRole))
        rows = "".join(f"<li>{c.name} — {PAPER_KIND_LABELS.get(c.paper_kind, c.paper_kind)}, {c.count} bản"
                       f"{'' if c.required else ' (nếu có)'}</li>" for c in proc.components)
        basis = "".join(f"<li>{b}</li>" for b in proc.legal_basis)
        self.details.setHtml(
            f"<h3>{proc.name}</h3><p>Mã: {proc.code} — Lĩnh vực: {proc.domain}</p>"
            f"<p><b>Thời hạn giải quyết:</b> {proc.time_limit.describe(self.counter.office_hours.same_day_cutoff)}</p>"
            f"<p><b>Phí, lệ phí:</b> {proc.fee_wording(self.counter.settings(), self.counter.now().date())}</p>"
            f"<p><b>Thành phần hồ sơ:</b></p><ul>{rows}</ul>"
            f"<p><b>Kết quả:</b> {proc.result}</p><p><b>Căn cứ pháp lý:</b></p><ul>{basis}</ul>")

    def print_listing(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        try:
            paper = Papers(self.counter).listing(item.data(Qt.UserRole))
        except DomainError as exc:
            QMessageBox.warning(self, "Quầy Một Cửa", exc.message)
            return
        PdfPreviewDialog([paper], self.printer, self).exec()

