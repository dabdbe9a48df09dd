"""The counter window: login, the four screens, the status bar, locking, first set-up."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desk_app.counter import Counter
from desk_app.ui.app import LoginDialog, MainWindow, SetupDialog


class FakePrinter:
    def __init__(self) -> None:
        self.jobs = []

    def print_pdf(self, pdf: bytes, title: str) -> None:
        self.jobs.append(title)


@pytest.fixture
def window(qtbot, counter):
    w = MainWindow(counter, printer=FakePrinter(), preview=False)
    qtbot.addWidget(w)
    yield w
    w.intake.shutdown()
    w.statistics.wait(10)


def test_login_refuses_a_wrong_password_in_vietnamese(qtbot, counter):
    counter.logout()
    dialog = LoginDialog(counter)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.username, "lan")
    qtbot.keyClicks(dialog.password, "wrong-password")
    qtbot.keyClick(dialog.password, Qt.Key_Return)
    assert dialog.error.text() == "Tên đăng nhập hoặc mật khẩu không đúng."
    assert counter.clerk is None
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "canbo1234")
    qtbot.keyClick(dialog.password, Qt.Key_Return)
    assert counter.clerk.username == "lan"


def test_four_screens_by_function_keys_and_the_status_bar(qtbot, window, counter, applicant):
    window.show()
    with pytest.warns(DeprecationWarning):
        QApplication.setActiveWindow(window)
    qtbot.waitActive(window)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Tiếp nhận (F2)", "Hồ sơ (F3)", "Danh mục TTHC (F4)", "Thống kê (F5)"]
    qtbot.keyClick(window, Qt.Key_F3)
    assert window.tabs.currentWidget() is window.dossiers
    qtbot.keyClick(window, Qt.Key_F4)
    assert window.tabs.currentWidget() is window.catalogue
    with qtbot.waitSignal(window.statistics.computed, timeout=10_000):
        qtbot.keyClick(window, Qt.Key_F5)  # the figures are computed when the tab shows
    assert window.tabs.currentWidget() is window.statistics
    assert window.statistics.table.item(0, 0).text() == "Tổng cộng"
    with qtbot.waitSignal(window.statistics.computed, timeout=10_000):
        qtbot.keyClick(window, Qt.Key_F5)  # F5 again recomputes
    text = window.status_label.text()
    assert "Cán bộ: Trần Thị Lan" in text and "Chờ đồng bộ: 0" in text and "ngoại tuyến" in text
    view = counter.dossiers.receive("1.004873", applicant)
    window.intake.changed.emit(view.changes)
    assert "Chờ đồng bộ: 1" in window.status_label.text()


def test_lock_hides_everything_until_a_clerk_logs_in(qtbot, window, counter, monkeypatch):
    seen = {}

    def fake_exec(dialog):
        seen["visible_while_locked"] = window.centralWidget().isVisible()
        seen["clerk_while_locked"] = counter.clerk
        counter.login("admin", "quantri123")  # another clerk takes the counter
        return QDialog.Accepted

    monkeypatch.setattr(LoginDialog, "exec", fake_exec)
    window.show()
    window.lock()
    assert seen == {"visible_while_locked": False, "clerk_while_locked": None}
    assert window.centralWidget().isVisible() and counter.clerk.username == "admin"
    assert "Nguyễn Thị Quản Trị" in window.status_label.text()


def test_drafts_are_offered_back_after_a_restart(qtbot, window, counter, monkeypatch):
    counter.drafts.save("d-1", procedure_code="1.001193", template=("to_khai_khai_sinh", "2024.2"),
                                values={"child.full_name": "Trần Bảo Ngọc"})
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    window.offer_drafts()
    assert window.tabs.currentWidget() is window.intake
    assert window.intake.form.values()["child.full_name"] == "Trần Bảo Ngọc"


def test_first_start_setup_creates_the_ward(qtbot, tmp_path):
    counter = Counter.open(tmp_path / "new.sqlite3", create=True)
    dialog = SetupDialog(counter)
    qtbot.addWidget(dialog)
    values = {"ward_name": "Phường Thành Sen", "ward_code": "42001", "counter_no": "3", "admin": "quantri",
              "admin_name": "Lê Văn Quản", "password": "matkhau-manh", "password2": "matkhau-khac",
              "passphrase": "khoa-du-lieu-phuong", "passphrase2": "khoa-du-lieu-phuong"}
    for key, value in values.items():
        dialog.fields[key].setText(value)
    dialog.submit()
    assert dialog.error.text() == "Hai lần nhập mật khẩu không giống nhau."
    dialog.fields["password2"].setText("matkhau-manh")
    dialog.fields["ward_code"].setText("4")
    dialog.submit()
    assert "Mã đơn vị hành chính" in dialog.error.text() and not counter.store.is_initialised()
    dialog.fields["ward_code"].setText("42001")
    dialog.fields["passphrase"].setText("ngan")
    dialog.submit()
    assert dialog.error.text() == "Hai lần nhập mật khẩu khóa dữ liệu không giống nhau."
    dialog.fields["passphrase2"].setText("ngan")
    dialog.submit()
    assert "ít nhất 10 ký tự" in dialog.error.text() and not counter.store.is_initialised()
    dialog.fields["passphrase"].setText("khoa-du-lieu-phuong")
    dialog.fields["passphrase2"].setText("khoa-du-lieu-phuong")
    dialog.submit()
    assert dialog.result() == QDialog.Accepted and dialog.passphrase == "khoa-du-lieu-phuong"
    assert counter.ward_name == "Phường Thành Sen" and counter.counter_no == 3
    assert counter.login("quantri", "matkhau-manh").role == "admin"
    counter.close()


def test_actions_pulled_but_not_applicable_are_in_the_status_bar_and_the_attention_list(
        qtbot, window, counter, applicant, monkeypatch):
    from desk_app.storage.inbox import Inbox
    from desk_app.models.clock import VN_TZ
    from datetime import datetime

    view = counter.dossiers.receive("1.004873", applicant)
    Inbox(counter.store.conn).hold({"id": "a1", "dossier_id": view.id, "kind": "transfer_received",
                                    "server_seq": 7}, "Hồ sơ chưa chuyển liên thông.", datetime.now(VN_TZ))
    window.refresh()
    assert "Nhận về chưa áp dụng: 1" in window.status_label.text()
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: shown.append((title, text)))
    window.show_attention()
    [(title, text)] = shown
    assert title == "Thao tác cần xử lý"
    assert f"{view.code} — Cơ quan cấp trên đã nhận hồ sơ: Hồ sơ chưa chuyển liên thông. (đã thử 1 lần)" in text


def test_a_dossier_saved_at_intake_is_in_the_dossier_screen_when_it_shows(qtbot, window, counter, applicant):
    window.show()
    queues = window.dossiers.queues
    assert queues.item(0).text() == "Đến hạn hôm nay (0)"
    view = counter.dossiers.receive("2.000884", applicant, form_data={"certification.kind": "Chứng thực chữ ký",
                                                                      "document.name": "Giấy ủy quyền"})
    window.intake.changed.emit(view.changes)  # as the intake screen does after saving
    assert queues.item(0).text() == "Đến hạn hôm nay (0)"  # hidden: waits until it shows
    window.show_tab(1)  # F3
    assert queues.item(0).text() == "Đến hạn hôm nay (1)"
    assert view.code in [r.code for r in window.dossiers.rows()]
