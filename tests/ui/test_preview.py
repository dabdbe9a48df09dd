"""The print preview shows the real PDF of a real dossier; printing goes to a fake printer
(a printer is the edge of the world) or, for the Qt backend, to a PDF file."""

from __future__ import annotations

import io

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from desk_app.models.errors import DomainError
from desk_app.printing.papers import Papers
from desk_app.ui.preview import PdfPreviewDialog, QtPrinterBackend, load_pdf, paper_title


class FakePrinter:
    def __init__(self, fail: str | None = None) -> None:
        self.jobs: list[tuple[bytes, str]] = []
        self.fail = fail

    def print_pdf(self, pdf: bytes, title: str) -> None:
        if self.fail:
            raise DomainError(self.fail, code="no_printer")
        self.jobs.append((pdf, title))


@pytest.fixture
def warnings(monkeypatch):
    shown: list[tuple[str, str]] = []

    def capture(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.Ok

    monkeypatch.setattr(QMessageBox, "warning", capture)
    return shown


@pytest.fixture
def dossier(counter, applicant):
    return counter.dossiers.receive("1.004873", applicant)  # marital status: receipt and a declaration


@pytest.fixture
def receipt(counter, dossier):
    return Papers(counter).dossier_paper(dossier.code, "receipt", record=False)


@pytest.fixture
def declaration(counter, dossier):
    return Papers(counter).dossier_paper(dossier.code, "declaration", record=False)


def test_the_preview_renders_the_real_receipt_page_zoomed_to_width(qtbot, receipt):
    dialog = PdfPreviewDialog(receipt, FakePrinter())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    page_view = dialog.views[0]
    assert page_view.page_count == 1
    assert dialog.windowTitle() == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    assert [b.text() for b in (dialog.print_button, dialog.save_button, dialog.close_button)] == [
        "In (Ctrl+P)", "Lưu PDF… (Ctrl+S)", "Đóng"]
    qtbot.waitUntil(lambda: not page_view.pages[0].pixmap().isNull())
    qtbot.waitUntil(lambda: abs(page_view.pages[0].pixmap().deviceIndependentSize().width()
                                - (page_view.viewport().width() - 2 * page_view.MARGIN)) <= 1)
    image = page_view.pages[0].pixmap().toImage()
    assert image.width() > 300 and image.height() > image.width()  # an A4 page, portrait
    # the page is drawn, not blank: some dark (text) pixels in the upper half
    dark = sum(1 for y in range(0, image.height() // 2, 4) for x in range(0, image.width(), 4)
               if image.pixelColor(x, y).lightness() < 100)
    assert dark > 50


def test_print_all_sends_every_paper_then_calls_on_print(qtbot, receipt, declaration):
    printer, recorded = FakePrinter(), []
    dialog = PdfPreviewDialog([receipt, declaration], printer, on_print=recorded.append)
    qtbot.addWidget(dialog)
    assert dialog.tabs.count() == 2 and dialog.tabs.tabText(1) == "Tờ khai cấp giấy xác nhận tình trạng hôn nhân"
    assert dialog.summary.text() == "2 giấy tờ, 2 trang"
    assert dialog.print_all() is True
    assert printer.jobs == [(receipt.pdf, paper_title(receipt)), (declaration.pdf, paper_title(declaration))]
    assert recorded == [receipt, declaration]
    assert dialog.result() == QDialog.Accepted


def test_ctrl_p_prints(qtbot, receipt):
    printer, recorded = FakePrinter(), []
    dialog = PdfPreviewDialog(receipt, printer, on_print=recorded.append)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog, Qt.Key_P, Qt.ControlModifier)
    assert len(printer.jobs) == 1 and recorded == [receipt]


def test_a_missing_printer_is_said_in_vietnamese_and_nothing_is_recorded(qtbot, receipt, warnings):
    recorded = []
    dialog = PdfPreviewDialog(receipt, FakePrinter(fail="Máy tính chưa có máy in mặc định."), on_print=recorded.append)
    qtbot.addWidget(dialog)
    assert dialog.print_all() is False
    assert warnings == [("Không in được", "Máy tính chưa có máy in mặc định.")]
    assert recorded == [] and dialog.result() != QDialog.Accepted


def test_save_writes_the_pdf_under_the_papers_name(qtbot, receipt, tmp_path, monkeypatch):
    asked = {}

    def fake_save(parent, caption, proposed, filters):
        asked["proposed"], asked["filters"] = proposed, filters
        return str(tmp_path / "giay-hen"), filters  # the clerk typed a name without .pdf

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    dialog = PdfPreviewDialog(receipt, FakePrinter())
    qtbot.addWidget(dialog)
    saved = dialog.save_pdf()
    assert asked["proposed"].endswith(receipt.filename) and "pdf" in asked["filters"]
    assert saved == tmp_path / "giay-hen.pdf"
    assert saved.read_bytes() == receipt.pdf


def test_cancelling_save_writes_nothing(qtbot, receipt, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    dialog = PdfPreviewDialog(receipt, FakePrinter())
    qtbot.addWidget(dialog)
    assert dialog.save_pdf() is None
    assert list(tmp_path.glob("*.pdf")) == []


def test_qt_backend_refuses_an_unknown_printer_in_vietnamese(qapp, receipt):
    with pytest.raises(DomainError) as err:
        QtPrinterBackend("khong-co-may-in-nay").print_pdf(receipt.pdf, "Giấy hẹn")
    assert "Không tìm thấy máy in “khong-co-may-in-nay”" in err.value.message


def two_page_pdf() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n in (1, 2):
        c.drawString(100, 700, f"Trang {n}")
        c.showPage()
    c.save()
    return out.getvalue()


def test_qt_backend_draws_each_page_on_an_a4_sheet_at_300_dpi(qtbot, tmp_path):
    target = tmp_path / "printed.pdf"
    backend = QtPrinterBackend(output_file=target)
    with qtbot.waitSignal(backend.finished, timeout=20000) as done:
        backend.print_pdf(two_page_pdf(), "Hai trang")  # returns at once: the work is on a thread
    assert done.args == ["Hai trang"]
    reader = PdfReader(target)
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595) < 2 and abs(float(box.height) - 842) < 2  # A4 in points
    image = reader.pages[0].images[0].image
    assert abs(image.width - 2480) <= 2 and abs(image.height - 3508) <= 2  # 300 dpi
    assert load_pdf(target.read_bytes()).pageCount() == 2
