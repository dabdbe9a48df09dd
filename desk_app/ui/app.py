"""The counter window. It only shows and collects: every rule is in ``desk_app.models``
and every change goes through ``desk_app.counter.Counter``."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..counter import QUEUES, Counter
from ..models.errors import DomainError
from ..models.lifecycle import ACTION_LABELS, STATUS_LABELS
from ..storage.store import DossierRow


def fmt_dt(value) -> str:
    return value.strftime("%H:%M %d/%m/%Y") if value else ""


class DossierTableModel(QAbstractTableModel):
    HEADERS = ("Mã hồ sơ", "Người nộp", "Thủ tục", "Trạng thái", "Hẹn trả")

    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.rows: list[DossierRow] = []

    def set_rows(self, rows: list[DossierRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if role != Qt.DisplayRole or not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if col == 0:
            return row.code
        if col == 1:
            return row.applicant_name
        if col == 2:
            try:
                return self.counter.catalogue.get(row.procedure_code).name
            except DomainError:
                return row.procedure_code
        if col == 3:
            return STATUS_LABELS.get(row.status, row.status)
        return fmt_dt(row.due_at)


class LoginDialog(QDialog):
    def __init__(self, counter: Counter, parent=None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.setWindowTitle(f"Đăng nhập — {counter.ward_name}, quầy {counter.counter_no}")
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.Password)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow("Tên đăng nhập:", self.username)
        form.addRow("Mật khẩu:", self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Đăng nhập")
        buttons.button(QDialogButtonBox.Cancel).setText("Thoát")
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.try_login)

    def try_login(self) -> None:
        try:
            self.counter.login(self.username.text(), self.password.text())
        except DomainError as exc:
            self.error.setText(exc.message)
            self.password.selectAll()
            self.password.setFocus()
            return
        self.accept()


class MainWindow(QMainWindow):
    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.setWindowTitle(f"Quầy Một Cửa — {counter.ward_name} — Quầy {counter.counter_no}")
        self.resize(1280, 720)

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Tìm hồ sơ: tên (không cần dấu), CCCD, số điện thoại hoặc mã hồ sơ — Ctrl+F")
        self.search.textChanged.connect(self.run_search)

        self.queues = QListWidget()
        self.queues.setObjectName("queues")
        for key, label in QUEUES.items():
            item = QListWidgetItem(label)
            item.setData(Qt.UserRole, key)
            self.queues.addItem(item)
        self.queues.setMaximumWidth(240)
        self.queues.currentItemChanged.connect(self.show_queue)

        self.model = DossierTableModel(counter)
        self.table = QTableView()
        self.table.setObjectName("dossiers")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectRows)
        header = self.table.horizontalHeader()
        for col in range(len(DossierTableModel.HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.Stretch if col == 2 else QHeaderView.ResizeToContents)
        self.table.doubleClicked.connect(self.open_dossier)
        self.table.activated.connect(self.open_dossier)

        self.heading = QLabel("")
        self.heading.setObjectName("heading")
        right = QVBoxLayout()
        right.addWidget(self.search)
        right.addWidget(self.heading)
        right.addWidget(self.table)
        body = QHBoxLayout()
        body.addWidget(self.queues)
        body.addLayout(right)
        central = QWidget()
        central.setLayout(body)
        self.setCentralWidget(central)

        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search.setFocus)
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self.refresh_status()
        self.queues.setCurrentRow(0)
        self.search.setFocus()

    def refresh_status(self) -> None:
        clerk = self.counter.clerk.full_name if self.counter.clerk else "chưa đăng nhập"
        waiting = self.counter.store.outbox_count()
        last = self.counter.setting("last_sync_at")
        sync = f"đồng bộ lần cuối {last}" if last else "chưa đồng bộ với máy chủ huyện"
        self.status_label.setText(f"Cán bộ: {clerk}  |  Chờ đồng bộ: {waiting}  |  {sync}")

    def show_queue(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        rows = self.counter.queue(item.data(Qt.UserRole), limit=500)
        self.heading.setText(f"{item.text()}: {len(rows)} hồ sơ")
        self.model.set_rows(rows)

    def run_search(self, text: str) -> None:
        if not text.strip():
            self.show_queue(self.queues.currentItem())
            return
        rows = self.counter.search(text, limit=100)
        self.heading.setText(f"Kết quả tìm “{text}”: {len(rows)} hồ sơ")
        self.model.set_rows(rows)

    def open_dossier(self, index: QModelIndex) -> None:
        row = self.model.rows[index.row()]
        DossierDialog(self.counter, row.code, self).exec()


class DossierDialog(QDialog):
    """A dossier's whole journal, read-only."""

    def __init__(self, counter: Counter, code: str, parent=None) -> None:
        super().__init__(parent)
        view = counter.dossier(code)
        self.setWindowTitle(f"Hồ sơ {view.code}")
        self.resize(760, 520)
        lines = [
            f"Mã hồ sơ: {view.code}",
            f"Thủ tục: {view.procedure.name if view.procedure else view.row.procedure_code}",
            f"Người nộp: {view.row.applicant_name}",
            f"Trạng thái: {STATUS_LABELS.get(view.status, view.status)}",
            f"Hẹn trả: {fmt_dt(view.state.due_at)}",
            "",
            "Nhật ký xử lý:",
        ]
        for action in counter.store.actions_for(view.id):
            lines.append(f"  {fmt_dt(action.at)}  {ACTION_LABELS.get(action.kind, action.kind)}  ({action.clerk})")
        text = QPlainTextEdit("\n".join(lines))
        text.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.button(QDialogButtonBox.Close).setText("Đóng")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def ensure_database(path: Path) -> None:
    """First start on a machine with no ward yet: a demo ward, as the README promises."""
    if path.exists():
        return
    from ..demo import generate_demo

    generate_demo(path, dossiers=400, seed=1)


def run(path: Path) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Quầy Một Cửa")
    font = app.font()
    font.setPointSize(max(font.pointSize(), 11))  # readable at counter distance
    app.setFont(QFont(font))
    try:
        ensure_database(path)
        counter = Counter.open(path)
        counter.ward_name  # noqa: B018 - raises a clear message on an uninitialised file
    except DomainError as exc:
        QMessageBox.critical(None, "Quầy Một Cửa", exc.message)
        return 2
    login = LoginDialog(counter)
    if login.exec() != QDialog.Accepted:
        counter.close()
        return 0
    window = MainWindow(counter)
    window.show()
    code = app.exec()
    counter.close()
    return code
