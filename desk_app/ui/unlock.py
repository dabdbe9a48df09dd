"""Opening an encrypted ward (passphrase or recovery key) and showing the recovery key once,
when encryption is turned on at set-up."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from ..models.errors import DomainError
from ..storage.encryption import unlock
from .common import error_label, ok_cancel


class UnlockDialog(QDialog):
    """Asked at start when this PC cannot open the ward's data by itself (no OS key store)."""

    def __init__(self, path: Path, parent=None) -> None:
        super().__init__(parent)
        self.path = path
        self.setWindowTitle("Mở khóa dữ liệu của phường")
        intro = QLabel(f"Dữ liệu {path.name} được mã hóa. Nhập mật khẩu khóa dữ liệu của phường "
                       "(người quản trị giữ), hoặc khóa khôi phục in trên phiếu niêm phong.")
        intro.setWordWrap(True)
        self.secret = QLineEdit(objectName="secret")
        self.secret.setEchoMode(QLineEdit.Password)
        self.use_recovery = QCheckBox("Dùng khóa khôi phục (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX)", objectName="use_recovery")
        self.use_recovery.toggled.connect(
            lambda on: self.secret.setEchoMode(QLineEdit.Normal if on else QLineEdit.Password))
        self.error = error_label()
        form = QFormLayout()
        form.addRow("Mật khẩu hoặc khóa:", self.secret)
        buttons = ok_cancel("Mở khóa", "Thoát", self.submit, self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro,):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.use_recovery)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.secret.setFocus()

    def submit(self) -> None:
        text = self.secret.text()
        try:
            if self.use_recovery.isChecked():
                unlock(self.path, recovery=text)
            else:
                unlock(self.path, passphrase=text)
        except DomainError as exc:
            self.error.setText(exc.message)
            self.secret.selectAll()
            return
        self.accept()


class RecoveryKeyDialog(QDialog):
    """Shown once after encryption is turned on: the recovery key and its sheet to print."""

    def __init__(self, recovery: str, sheet: bytes, printer=None, parent=None) -> None:
        super().__init__(parent)
        self.sheet, self.printer = sheet, printer
        self.setWindowTitle("Khóa khôi phục dữ liệu")
        text = QLabel("Dữ liệu của phường đã được mã hóa. Khóa khôi phục dưới đây mở được dữ liệu khi quên mật "
                      "khẩu. In Phiếu khóa khôi phục, niêm phong và giao lãnh đạo giữ; khóa này chỉ hiện một lần.")
        text.setWordWrap(True)
        key = QLabel(recovery, objectName="recovery")
        key.setStyleSheet("font-size: 20pt; font-weight: bold; letter-spacing: 2px")
        key.setTextInteractionFlags(key.textInteractionFlags())
        print_button = QPushButton("In phiếu khóa khôi phục…", objectName="print_sheet")
        print_button.clicked.connect(self.print_sheet)
        self.done_box = QCheckBox("Tôi đã in phiếu và sẽ niêm phong, giao lãnh đạo giữ", objectName="done")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok)
        buttons.button(QDialogButtonBox.Ok).setText("Tiếp tục")
        buttons.button(QDialogButtonBox.Ok).setEnabled(False)
        self.done_box.toggled.connect(buttons.button(QDialogButtonBox.Ok).setEnabled)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        for widget in (text, key, print_button, self.done_box, buttons):
            layout.addWidget(widget)

    def print_sheet(self) -> None:
        from ..models.forms import load_template_file
        from ..paths import templates_dir
        from ..printing.papers import Paper
        from .preview import PdfPreviewDialog, QtPrinterBackend

        template = load_template_file(templates_dir() / "reports" / "phieu_khoa_khoi_phuc.toml")
        paper = Paper(self.sheet, template, "phieu-khoa-khoi-phuc.pdf")
        PdfPreviewDialog(paper, self.printer or QtPrinterBackend(), self).exec()
