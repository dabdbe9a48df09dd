"""The counter window. It only shows and collects: every rule is in ``desk_app.models``
and every change goes through ``desk_app.counter.Counter``."""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
)

from ..counter import Counter
from ..models.changes import Changes
from ..models.clerks import PASSWORDS_DIFFER
from ..models.rules import counter_rules
from ..models.settings import default_of
from ..models.errors import DomainError
from ..models.lifecycle import ACTION_LABELS
from ..printing.fonts import register_fonts
from ..printing.render import warm_up
from ..storage import keys
from .common import error_label, ok_cancel


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
        self.error = error_label()
        form = QFormLayout()
        form.addRow("Tên đăng nhập:", self.username)
        form.addRow("Mật khẩu:", self.password)
        buttons = ok_cancel("Đăng nhập", "Thoát", self.try_login, self.reject)
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


class SyncBridge(QObject):
    """Reports from the sync worker thread reach widgets only through this signal."""

    report = Signal(object)


class MainWindow(QMainWindow):
    """Tiếp nhận (F2), Hồ sơ (F3), Danh mục TTHC (F4), Thống kê (F5); the status bar always shows the clerk,
    what waits to sync and the last sync."""

    IDLE_MINUTES_DEFAULT = int(default_of("idle_lock_minutes") or 0)

    def __init__(self, counter: Counter, *, printer=None, preview: bool = True) -> None:
        super().__init__()
        from .catalogue import CatalogueView
        from .dossiers import DossiersView
        from .intake import IntakeView
        from .preview import QtPrinterBackend
        from .statistics import StatisticsView

        self.counter = counter
        self.printer = printer or QtPrinterBackend()
        self.setWindowTitle(f"Quầy Một Cửa — {counter.ward_name} — Quầy {counter.counter_no}")
        self.resize(1366, 768)
        self.tabs = QTabWidget(objectName="tabs")
        self.intake = IntakeView(counter, printer=self.printer, preview=preview)
        self.dossiers = DossiersView(counter, printer=self.printer)
        self.catalogue = CatalogueView(counter, printer=self.printer)
        self.statistics = StatisticsView(counter)
        self.tabs.addTab(self.intake, "Tiếp nhận (F2)")
        self.tabs.addTab(self.dossiers, "Hồ sơ (F3)")
        self.tabs.addTab(self.catalogue, "Danh mục TTHC (F4)")
        self.tabs.addTab(self.statistics, "Thống kê (F5)")
        self.setCentralWidget(self.tabs)
        for index, key in enumerate(("F2", "F3", "F4", "F5")):
            QShortcut(QKeySequence(key), self, activated=lambda i=index: self.show_tab(i))
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.switch_clerk)
        self.intake.changed.connect(self.on_changes)
        self.intake.changed.connect(self.dossiers.outside.add)
        self.dossiers.changed.connect(self.on_changes)

        menu = self.menuBar().addMenu("Quầy")
        menu.addAction("Khóa màn hình / đổi cán bộ (Ctrl+L)", self.switch_clerk)
        menu.addAction("Đồng bộ ngay (F9)", self.sync_now)
        menu.addAction("Thao tác cần xử lý khi đồng bộ…", self.show_attention)
        menu.addAction("Thoát", self.quit)
        # leaders only: the menu is not even there for a clerk without the right
        self.leader_menu = self.menuBar().addMenu("Lãnh đạo")
        self.leader_menu.addAction("Nhật ký truy cập…", self.show_access_log)
        self.leader_menu.addAction("Hủy dữ liệu hết thời hạn lưu trữ…", self.show_retention)
        self.leader_menu.addAction(f"Sự cố dữ liệu cá nhân (báo cáo trong {counter_rules().incident_hours_text})…", self.show_incidents)
        self.leader_dialogs: list[QDialog] = []
        self.access_log_dialog = None
        self._update_rights()
        QShortcut(QKeySequence("F9"), self, activated=self.sync_now)

        self.sync_bridge = SyncBridge()
        self.sync_bridge.report.connect(self.on_sync_report)
        self.scheduler = None
        self.last_report = None

        self.status_label = QLabel(objectName="status")
        self.statusBar().addPermanentWidget(self.status_label)
        self.refresh()
        self._status_timer = QTimer(self, interval=30_000, timeout=self.refresh)
        self._status_timer.start()
        minutes = int(counter.setting("idle_lock_minutes") or 0)
        self.idle = QTimer(self, singleShot=True, interval=max(1, minutes) * 60_000, timeout=self.lock)
        if minutes > 0:
            QApplication.instance().installEventFilter(self)
            self.idle.start()
        # the first receipt of the day would build the PDF font subsets (about 120 ms on the UI
        # thread): build them on a worker thread as soon as the window is up
        QTimer.singleShot(0, lambda: threading.Thread(target=warm_up, name="pdf-warm-up", daemon=True).start())

    def show_tab(self, index: int) -> None:
        """F2..F5; F5 again on Thống kê recomputes the figures."""
        if index == self.tabs.currentIndex() and self.tabs.widget(index) is self.statistics:
            self.statistics.refresh()
        self.tabs.setCurrentIndex(index)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() in (QEvent.KeyPress, QEvent.MouseButtonPress) and self.idle.isActive():
            self.idle.start()  # any key or click restarts the idle clock
        return False

    def on_changes(self, changes) -> None:
        """What a screen's operation changed: the status bar rereads the outbox when something
        waits to be sent; the statistics recompute when a figure can move and they show."""
        if changes.outbox:
            self.refresh()
        if changes.figures and self.statistics.isVisible():
            self.statistics.refresh()

    def refresh(self) -> None:
        from ..sync.client import outbox_state

        clerk = self.counter.clerk.full_name if self.counter.clerk else "chưa đăng nhập"
        state = outbox_state(self.counter.store)
        last = self.counter.store.get_setting("last_sync_at")  # written by the sync worker: read fresh
        if not self.counter.setting("district_url"):
            network = "Chưa kết nối máy chủ cấp tỉnh (làm việc ngoại tuyến)"
        elif self.last_report is not None and self.last_report.error:
            network = f"Mất kết nối: {self.last_report.error}"
        else:
            network = "Đã kết nối máy chủ cấp tỉnh"
        when = f"lần cuối {datetime.fromisoformat(last):%H:%M %d/%m/%Y}" if last else "chưa lần nào"
        attention = f"  |  Cần xử lý: {state['attention']}" if state["attention"] else ""
        if state["held"]:
            attention += f"  |  Nhận về chưa áp dụng: {state['held']}"
        self.status_label.setText(f"Cán bộ: {clerk}  |  {network}  |  Chờ đồng bộ: {state['pending']}"
                                  f"{attention}  |  Đồng bộ: {when}")

    def start_sync(self) -> None:
        """The background sync, when this counter is enrolled with a district server."""
        from ..sync.scheduler import SyncScheduler

        if not self.counter.setting("device_token") or self.counter.store.path is None:
            return
        self.scheduler = SyncScheduler(self.counter.store.path, on_report=self.sync_bridge.report.emit,
                                       end_of_day=self.counter.setting("sync_end_of_day"))
        self.scheduler.start()

    def sync_now(self) -> None:
        if self.scheduler is None:
            QMessageBox.information(self, "Đồng bộ", "Quầy chưa đăng ký với máy chủ cấp tỉnh (desk-app enroll).")
            return
        self.scheduler.sync_now()

    def on_sync_report(self, report) -> None:
        self.last_report = report
        self.refresh()
        if report.pulled:  # actions from the server (a result, a note): the lists and figures show them
            self.dossiers.outside.add(Changes(queues=True, figures=True))
            self.on_changes(Changes(figures=True))
        if report.clock_warning:
            self.statusBar().showMessage(report.clock_warning, 15_000)

    def show_attention(self) -> None:
        from ..sync.client import outbox_state

        state = outbox_state(self.counter.store)
        sent = [f"{i['code']} — {ACTION_LABELS.get(i['kind'], i['kind'])}: {i['last_error']}"
                for i in state["attention_items"]]
        held = [f"{i['code'] or 'Hồ sơ chưa có trên máy này'} — {ACTION_LABELS.get(i['kind'], i['kind'] or 'không rõ')}:"
                f" {i['reason']} (đã thử {i['attempts']} lần)" for i in state["held_items"]]
        parts = []
        if sent:
            parts.append("Máy chủ chưa nhận:\n" + "\n".join(sent))
        if held:
            parts.append("Nhận từ máy chủ nhưng chưa áp dụng được (sẽ thử lại mỗi lần đồng bộ):\n" + "\n".join(held))
        QMessageBox.information(self, "Thao tác cần xử lý",
                                "\n\n".join(parts) or "Không có thao tác nào cần xử lý.")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        # The window's own close button (a spontaneous event) warns like Thoát in the menu;
        # a close from code (the menu after its question, tests, shutdown) does not ask again.
        if event.spontaneous() and not self.confirm_leave("Thoát"):
            event.ignore()
            return
        if self.scheduler is not None:
            self.scheduler.shutdown()
        self.intake.shutdown()
        self.statistics.wait(5)
        super().closeEvent(event)

    # -- sessions: warn before leaving with work pending; leader-only screens -------------------
    def leave_warning(self, what: str = "Khóa màn hình") -> str | None:
        """What a clerk leaving the counter should know (None: nothing pending): actions not yet at
        the district, a half-typed intake form, a dossier open with its full personal data.
        ``what`` is the button that leaves (Khóa màn hình or Thoát): the question names it."""
        lines = []
        waiting = sum(self.counter.store.outbox.counts().values())
        if waiting:
            where = ("máy chủ cấp tỉnh" if self.counter.setting("district_url")
                     else "máy chủ cấp tỉnh (quầy đang làm việc ngoại tuyến)")
            lines.append(f"Còn {waiting} thao tác chưa đồng bộ lên {where}; máy sẽ tự gửi khi có kết nối, "
                         "đừng tắt hay mang máy đi trước khi đồng bộ xong.")
        if self.intake.has_unsaved_form():
            clerk = self.counter.clerk.full_name if self.counter.clerk else "cán bộ hiện tại"
            lines.append(f"Hồ sơ đang nhập dở sẽ được giữ trong bản nháp của {clerk} "
                         "(đăng nhập lại để nhập tiếp).")
        if self.dossiers.opened:
            lines.append(f"Hồ sơ {self.dossiers.opened} đang mở đầy đủ thông tin sẽ được đóng lại.")
        if not lines:
            return None
        before = "Trước khi thoát chương trình:" if what == "Thoát" else "Trước khi khóa màn hình / đổi cán bộ:"
        return "\n".join([before, *(f"• {line}" for line in lines), "", f"Vẫn {what.lower()}?"])

    def confirm_leave(self, what: str = "Khóa màn hình") -> bool:
        """True when nothing is pending or the clerk chose to go on; False: back to work."""
        text = self.leave_warning(what)
        if text is None:
            return True
        box = QMessageBox(QMessageBox.Warning, "Còn việc chưa xong", text, parent=self)
        go = box.addButton(what, QMessageBox.AcceptRole)
        back = box.addButton("Quay lại", QMessageBox.RejectRole)
        box.setDefaultButton(back)
        box.setEscapeButton(back)
        box.exec()
        return box.clickedButton() is go

    def switch_clerk(self) -> None:
        """Ctrl+L or the menu: warn about what is pending, then lock (the idle lock does not ask)."""
        if self.confirm_leave():
            self.lock()

    def quit(self) -> None:
        if self.confirm_leave("Thoát"):
            self.close()

    def _update_rights(self) -> None:
        allowed = bool(self.counter.clerk and self.counter.clerk.can("reports"))
        self.leader_menu.menuAction().setVisible(allowed)
        if not allowed and self.access_log_dialog is not None:
            self.access_log_dialog.close()
            self.access_log_dialog = None

    def show_access_log(self):
        from .access_log import AccessLogDialog

        try:
            dialog = AccessLogDialog(self.counter, self)
        except DomainError as exc:
            QMessageBox.warning(self, "Nhật ký truy cập", exc.message)
            return None
        if self.access_log_dialog is not None:
            self.access_log_dialog.close()
        self.access_log_dialog = dialog
        dialog.show()
        return dialog

    def show_retention(self):
        from .retention import RetentionDialog

        return self._leader_dialog(RetentionDialog, "Hủy dữ liệu cá nhân")

    def show_incidents(self):
        from .incidents import IncidentsDialog

        return self._leader_dialog(IncidentsDialog, "Sự cố dữ liệu cá nhân")

    def _leader_dialog(self, cls, title: str):
        try:
            dialog = cls(self.counter, self)
        except DomainError as exc:  # the dialogs check the right themselves
            QMessageBox.warning(self, title, exc.message)
            return None
        self.leader_dialogs.append(dialog)
        dialog.show()
        return dialog

    def _close_leader_dialogs(self) -> None:
        """At the lock: the next clerk logging in must not find a leader's screen open."""
        for dialog in self.leader_dialogs:
            dialog.close()
        self.leader_dialogs = []

    def lock(self) -> None:
        """Idle or Ctrl+L: nothing shows until a clerk logs in again (the same or another)."""
        self.intake.save_draft()
        previous = self.counter.clerk
        self.counter.logout()
        self.dossiers.close_record()  # full personal data shows again only after a logged view
        self._update_rights()
        self._close_leader_dialogs()
        self.centralWidget().setVisible(False)
        dialog = LoginDialog(self.counter, self)
        if previous:
            dialog.username.setText(previous.username)
            dialog.password.setFocus()
        if dialog.exec() != QDialog.Accepted:
            self.close()
            return
        self.centralWidget().setVisible(True)
        if previous and self.counter.clerk and previous.username != self.counter.clerk.username:
            self.intake.reset()  # another clerk: their own drafts, not the previous clerk's form
        self._update_rights()
        self.refresh()
        self.idle.start()

    def offer_drafts(self) -> None:
        drafts = self.counter.drafts.mine()
        if not drafts:
            return
        answer = QMessageBox.question(
            self, "Hồ sơ đang nhập dở",
            f"Có {len(drafts)} hồ sơ đang nhập dở từ lần trước. Mở lại hồ sơ gần nhất?")
        if answer == QMessageBox.Yes:
            self.tabs.setCurrentWidget(self.intake)
            self.intake.restore_draft(drafts[0])


class SetupDialog(QDialog):
    """First start of a real ward: its name and code, this counter's number, the first admin."""

    def __init__(self, counter: Counter, parent=None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.setWindowTitle("Thiết lập quầy lần đầu")
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for key, label, placeholder in (
            ("ward_name", "Tên phường/xã:", "Phường Đại Nài"), ("ward_code", "Mã đơn vị hành chính:", "42010"),
            ("counter_no", "Số quầy:", "1"), ("server", "Máy chủ cấp tỉnh (nếu có):", "https://…"),
            ("admin", "Tên đăng nhập quản trị:", "admin"), ("admin_name", "Họ tên quản trị viên:", ""),
            ("password", "Mật khẩu (ít nhất 8 ký tự):", ""), ("password2", "Nhập lại mật khẩu:", ""),
            ("passphrase", "Mật khẩu khóa dữ liệu (ít nhất 10 ký tự):", "mã hóa dữ liệu của phường"),
            ("passphrase2", "Nhập lại mật khẩu khóa dữ liệu:", ""),
        ):
            edit = QLineEdit(objectName=key)
            edit.setPlaceholderText(placeholder)
            if key.startswith("pass"):
                edit.setEchoMode(QLineEdit.Password)
            self.fields[key] = edit
            form.addRow(label, edit)
        self.error = error_label()
        buttons = ok_cancel("Khởi tạo", "Thoát", self.submit, self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def submit(self) -> None:
        f = {k: v.text().strip() for k, v in self.fields.items()}
        if f["password"] != f["password2"]:
            self.error.setText(PASSWORDS_DIFFER)
            return
        if f["passphrase"] != f["passphrase2"]:
            self.error.setText("Hai lần nhập mật khẩu khóa dữ liệu không giống nhau.")
            return
        try:
            keys.check_passphrase(f["passphrase"])  # the data of a real ward is encrypted from the start
            self.counter.initialise(ward_code=f["ward_code"], ward_name=f["ward_name"], counter_no=f["counter_no"],
                                    admin_username=f["admin"], admin_password=f["password"],
                                    admin_full_name=f["admin_name"] or "Quản trị viên",
                                    extra_settings={"district_url": f["server"]} if f["server"] else None)
        except DomainError as exc:
            self.error.setText(exc.message)
            return
        self.passphrase = f["passphrase"]
        self.made_by = f["admin_name"] or f["admin"]
        self.accept()


def _encrypt_new_ward(counter: Counter, path: Path, setup: "SetupDialog") -> Counter:
    """Right after set-up: encrypt the new ward's file and show its recovery key once."""
    from ..models.clock import vn_now
    from ..ops.encrypt import encrypt_ward
    from .unlock import RecoveryKeyDialog

    counter.close()
    done = encrypt_ward(path, setup.passphrase, made_by=setup.made_by, now=vn_now())
    RecoveryKeyDialog(done.result.recovery, done.sheet).exec()
    return Counter.open(path)


def run(path: Path, *, demo_if_missing: bool = True) -> int:
    """The counter window. No database yet: a demo ward when ``demo_if_missing`` (the README's
    first start), else the set-up dialog for a real ward."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Quầy Một Cửa")
    font = app.font()
    font.setPointSize(max(font.pointSize(), 11))  # readable at counter distance
    app.setFont(QFont(font))
    try:
        register_fonts()  # a missing glyph would print empty boxes: refuse to start instead
        if not path.exists() and demo_if_missing:
            from ..demo import generate_demo

            generate_demo(path, dossiers=400, seed=1)  # demo data: fictitious people, left unencrypted
        from ..storage.encryption import unlock_without_prompt
        from .unlock import UnlockDialog

        if path.exists() and not unlock_without_prompt(path) and UnlockDialog(path).exec() != QDialog.Accepted:
            return 0
        counter = Counter.open(path, create=True)
    except DomainError as exc:
        QMessageBox.critical(None, "Quầy Một Cửa", exc.message)
        return 2
    if not counter.store.is_initialised():
        setup = SetupDialog(counter)
        if setup.exec() != QDialog.Accepted:
            counter.close()
            return 0
        try:
            counter = _encrypt_new_ward(counter, path, setup)
        except DomainError as exc:
            QMessageBox.critical(None, "Quầy Một Cửa", exc.message)
            return 2
    login = LoginDialog(counter)
    probe = os.environ.get("DESK_APP_STARTUP_PROBE")
    if probe:  # bench/startup_bench.py: the moment the first window takes input, then leave
        QTimer.singleShot(0, lambda: (Path(probe).write_text(repr(time.time()), encoding="utf-8"), login.reject()))
    if login.exec() != QDialog.Accepted:
        counter.close()
        return 0
    window = MainWindow(counter)
    window.show()
    window.start_sync()
    window.offer_drafts()
    code = app.exec()
    window.intake.shutdown()
    window.statistics.wait(5)
    counter.close()
    return code
