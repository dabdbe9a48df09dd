"""Print preview of the real PDF, and the printer at the edge of the world.

The preview shows the very bytes that will be printed (``QPdfDocument``), not a
re-layout. Printing goes through a ``PrinterBackend``: ``QtPrinterBackend`` on the
counter PC, a fake one in tests.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRectF, QSize, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPageLayout, QPageSize, QPainter, QPalette, QPixmap, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..models.errors import DomainError
from ..models.papers import PAPER_LABELS
from ..printing.papers import Paper

PRINT_DPI = 300


class PrinterBackend(Protocol):
    def print_pdf(self, pdf: bytes, title: str) -> None:
        """Send ``pdf`` to the printer; raise ``DomainError`` (Vietnamese) when it cannot."""


def paper_title(paper: Paper) -> str:
    """The paper's name as the clerk says it: "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"."""
    slip = paper.template.slip_type
    if slip in PAPER_LABELS and slip != "declaration":
        return PAPER_LABELS[slip]
    title = " ".join(paper.template.title.split())
    return title[:1].upper() + title[1:].lower() if title.isupper() else title


def load_pdf(pdf: bytes, parent: QObject | None = None) -> QPdfDocument:
    """A ``QPdfDocument`` over ``pdf`` (through a QBuffer kept alive by the document)."""
    doc = QPdfDocument(parent)
    buffer = QBuffer(doc)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.ReadOnly)
    doc.load(buffer)
    if doc.status() != QPdfDocument.Status.Ready or doc.pageCount() < 1:
        raise DomainError("Không đọc được tệp PDF của giấy tờ (tệp hỏng hoặc rỗng).", code="bad_pdf")
    doc._buffer = buffer  # noqa: SLF001 - the buffer must live as long as the document
    return doc


def paint_pdf(pdf: bytes, printer: QPrinter, title: str = "") -> int:
    """Draw every page of ``pdf`` on ``printer``, one page per sheet, rendered at 300 dpi.

    Returns the number of pages. Safe on a worker thread (QPainter on a QPrinter is)."""
    doc = load_pdf(pdf)
    try:
        first = doc.pagePointSize(0)
        orientation = (QPageLayout.Orientation.Landscape if first.width() > first.height()
                       else QPageLayout.Orientation.Portrait)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageOrientation(orientation)
        printer.setResolution(PRINT_DPI)
        printer.setFullPage(True)  # the PDF carries its own margins
        if title:
            printer.setDocName(title)
        painter = QPainter()
        if not painter.begin(printer):
            raise DomainError("Không gửi được bản in tới máy in. Hãy kiểm tra máy in (bật nguồn, giấy, kết nối) "
                              "rồi in lại.", code="printer_failed")
        try:
            for page in range(doc.pageCount()):
                if page:
                    printer.newPage()
                points = doc.pagePointSize(page)
                size = QSize(round(points.width() * PRINT_DPI / 72), round(points.height() * PRINT_DPI / 72))
                image = doc.render(page, size)
                target = QRectF(printer.paperRect(QPrinter.Unit.DevicePixel))
                scale = min(target.width() / size.width(), target.height() / size.height())
                w, h = size.width() * scale, size.height() * scale
                painter.drawImage(QRectF(target.x() + (target.width() - w) / 2,
                                         target.y() + (target.height() - h) / 2, w, h), image)
            return doc.pageCount()
        finally:
            painter.end()
    finally:
        doc.close()


class QtPrinterBackend(QObject):
    """The counter's printer (the system default unless a name is given).

    ``print_pdf`` checks the printer at once (a missing printer raises ``DomainError``) and
    then renders and spools on a worker thread, so the window never freezes; ``finished``
    or ``failed`` (with a Vietnamese message) reports the outcome. ``output_file`` prints to a
    PDF file instead of a device (for a counter without a printer, and for checks)."""

    finished = Signal(str)  # title
    failed = Signal(str)  # Vietnamese message

    def __init__(self, printer_name: str | None = None, *, output_file: str | Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.printer_name = printer_name
        self.output_file = Path(output_file) if output_file else None
        self._threads: list[threading.Thread] = []

    def printer_info(self) -> QPrinterInfo:
        if self.printer_name:
            info = QPrinterInfo.printerInfo(self.printer_name)
            if info.isNull():
                raise DomainError(f"Không tìm thấy máy in “{self.printer_name}”. Hãy kiểm tra máy in hoặc chọn "
                                  "máy in khác trong cài đặt.", code="no_printer")
            return info
        info = QPrinterInfo.defaultPrinter()
        if info.isNull():
            raise DomainError("Máy tính chưa có máy in mặc định. Hãy kết nối và cài đặt máy in rồi in lại "
                              "(hoặc lưu PDF để in ở máy khác).", code="no_printer")
        return info

    def print_pdf(self, pdf: bytes, title: str) -> None:
        name = None if self.output_file else self.printer_info().printerName()
        thread = threading.Thread(target=self._run, args=(bytes(pdf), title, name), name=f"print {title}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the jobs already started (the app calls it before quitting)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _run(self, pdf: bytes, title: str, printer_name: str | None) -> None:
        try:
            if self.output_file:
                printer = QPrinter(QPrinter.PrinterMode.HighResolution)
                printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
                printer.setOutputFileName(str(self.output_file))
            else:
                printer = QPrinter(QPrinterInfo.printerInfo(printer_name), QPrinter.PrinterMode.HighResolution)
            paint_pdf(pdf, printer, title)
        except DomainError as exc:
            self.failed.emit(exc.message)
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            self.failed.emit(f"Lỗi khi in “{title}”: {exc}")
        else:
            self.finished.emit(title)


class _PageView(QScrollArea):
    """All pages of one PDF, each rendered to an image as wide as the view (zoom to width)."""

    MARGIN = 16

    def __init__(self, paper: Paper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paper = paper
        self.document = load_pdf(paper.pdf, self)
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.StrongFocus)  # arrows and Page Up/Down scroll
        body = QWidget()
        body.setAutoFillBackground(True)
        palette = body.palette()
        palette.setColor(QPalette.Window, QColor("#6b6f75"))
        body.setPalette(palette)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(self.MARGIN, self.MARGIN, self.MARGIN, self.MARGIN)
        layout.setSpacing(self.MARGIN)
        self.pages: list[QLabel] = []
        for page in range(self.document.pageCount()):
            label = QLabel()
            label.setObjectName(f"page{page + 1}")
            label.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
            label.setAccessibleName(f"Trang {page + 1}/{self.document.pageCount()}")
            layout.addWidget(label)
            self.pages.append(label)
        layout.addStretch(1)
        self.setWidget(body)
        self._width = 0
        self._timer = QTimer(self, singleShot=True, interval=40)
        self._timer.timeout.connect(self.render_pages)

    @property
    def page_count(self) -> int:
        return self.document.pageCount()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._timer.start()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._width:
            self.render_pages()

    def render_pages(self) -> None:
        width = max(200, self.viewport().width() - 2 * self.MARGIN)
        if width == self._width:
            return
        self._width = width
        ratio = self.devicePixelRatioF()
        for page, label in enumerate(self.pages):
            points = self.document.pagePointSize(page)
            size = QSize(round(width * ratio), round(width * ratio * points.height() / points.width()))
            image = self.document.render(page, size)
            if image.hasAlphaChannel():  # some pages come back transparent: paper is white
                sheet = QImage(image.size(), QImage.Format_RGB32)
                sheet.fill(Qt.white)
                painter = QPainter(sheet)
                painter.drawImage(0, 0, image)
                painter.end()
                image = sheet
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            label.setPixmap(pixmap)


class PdfPreviewDialog(QDialog):
    """The papers exactly as they will print; print them all in one step, or save one as PDF."""

    def __init__(self, papers: Sequence[Paper] | Paper, backend: PrinterBackend, parent: QWidget | None = None,
                 *, on_print: Callable[[Paper], object] | None = None,
                 on_save: Callable[[Paper, Path], object] | None = None) -> None:
        super().__init__(parent)
        self.papers: list[Paper] = [papers] if isinstance(papers, Paper) else list(papers)
        if not self.papers:
            raise DomainError("Không có giấy tờ nào để xem trước.", code="nothing_to_print")
        self.backend = backend
        self.on_print = on_print
        self.on_save = on_save  # a saved PDF leaves the database: the access log records it
        self.printed: list[Paper] = []
        titles = [paper_title(p) for p in self.papers]
        self.setWindowTitle(" + ".join(titles))
        self.setObjectName("preview")
        self.resize(860, 940)

        self.views = [_PageView(p, self) for p in self.papers]
        if len(self.views) == 1:
            pages: QWidget = self.views[0]
        else:
            self.tabs = QTabWidget()
            self.tabs.setObjectName("papers")
            for view, title in zip(self.views, titles):
                self.tabs.addTab(view, title)
            pages = self.tabs

        total = sum(v.page_count for v in self.views)
        summary = (f"{len(self.papers)} giấy tờ, {total} trang" if len(self.papers) > 1
                   else f"{total} trang")
        self.summary = QLabel(summary)
        self.summary.setObjectName("summary")

        self.print_button = QPushButton("In (Ctrl+P)")
        self.print_button.setObjectName("print")
        self.print_button.setDefault(True)
        self.save_button = QPushButton("Lưu PDF… (Ctrl+S)")
        self.save_button.setObjectName("save")
        self.close_button = QPushButton("Đóng")
        self.close_button.setObjectName("close")
        self.close_button.setAutoDefault(False)
        self.save_button.setAutoDefault(False)
        self.print_button.clicked.connect(self.print_all)
        self.save_button.clicked.connect(self.save_pdf)
        self.close_button.clicked.connect(self.reject)  # Esc does the same (QDialog)
        QShortcut(QKeySequence.Print, self, activated=self.print_all)
        QShortcut(QKeySequence.Save, self, activated=self.save_pdf)

        buttons = QHBoxLayout()
        buttons.addWidget(self.summary)
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(pages, 1)
        layout.addLayout(buttons)
        self.print_button.setFocus()

    def current_paper(self) -> Paper:
        if len(self.views) > 1:
            return self.views[self.tabs.currentIndex()].paper
        return self.papers[0]

    def print_all(self) -> bool:
        """Send every paper to the printer, calling ``on_print`` after each; close when all went."""
        for paper in self.papers:
            if paper in self.printed:
                continue  # a second Ctrl+P after a failure does not print the first paper twice
            try:
                self.backend.print_pdf(paper.pdf, paper_title(paper))
            except DomainError as exc:
                QMessageBox.warning(self, "Không in được", exc.message)
                return False
            self.printed.append(paper)
            if self.on_print is not None:
                try:
                    self.on_print(paper)
                except DomainError as exc:
                    QMessageBox.warning(self, "Không ghi được lượt in", exc.message)
                    return False
        self.accept()
        return True

    def save_pdf(self) -> Path | None:
        """Save the paper on screen as a PDF file (name proposed from the paper)."""
        paper = self.current_paper()
        folder = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation) or str(Path.home())
        path, _ = QFileDialog.getSaveFileName(self, "Lưu PDF", str(Path(folder) / paper.filename),
                                              "Tệp PDF (*.pdf)")
        if not path:
            return None
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            target = target.with_name(target.name + ".pdf")
        try:
            target.write_bytes(paper.pdf)
        except OSError as exc:
            QMessageBox.warning(self, "Không lưu được", f"Không lưu được tệp {target}: {exc.strerror or exc}.")
            return None
        if self.on_save is not None:
            try:
                self.on_save(paper, target)
            except DomainError as exc:
                QMessageBox.warning(self, "Không ghi được nhật ký truy cập", exc.message)
        return target


class DossierPrints:
    """Print-and-record for the papers of one dossier, the same from every screen: each paper
    printed is journalled (original or reprint, template version), each saved to a file goes in
    the access log. ``after`` gets what each recorded print changed (a screen refreshing itself)."""

    def __init__(self, counter: Any, code: str, papers: list[tuple[str, Paper]],
                 after: Callable[[Any], object] | None = None) -> None:
        self.counter, self.code, self.after = counter, code, after
        self.form_of = {id(paper): form for form, paper in papers}
        self.papers = [paper for _, paper in papers]

    def printed(self, paper: Paper) -> None:
        view = self.counter.dossiers.record_print(self.code, self.form_of[id(paper)], template_id=paper.template.id,
                                                  template_version=paper.template.version, digest=paper.digest)
        if self.after is not None:
            self.after(view.changes)

    def saved(self, paper: Paper, path: Any) -> None:
        self.counter.privacy.log_export("paper", path, detail={"dossier": self.code, "form": self.form_of[id(paper)]})
