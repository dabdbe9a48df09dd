"""The counter window, driven offscreen with real widgets and a real database."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desk_app.ui.app import LoginDialog, MainWindow


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


def test_search_without_diacritics_and_queues(qtbot, counter, clock, applicant):
    view = counter.receive("1.004873", applicant)
    window = MainWindow(counter)
    qtbot.addWidget(window)
    qtbot.keyClicks(window.search, "nguyen van duc")  # ASCII only: see shared/notes/stack-facts.md
    assert [r.code for r in window.model.rows] == [view.code]
    assert window.model.data(window.model.index(0, 1)) == "Nguyễn Văn Đức"
    window.search.clear()
    clock.set(2026, 12, 1, 9, 0)  # past the 3-working-day appointment
    window.queues.setCurrentRow(list(window.queues.item(i).data(Qt.UserRole)
                                     for i in range(window.queues.count())).index("overdue"))
    assert [r.code for r in window.model.rows] == [view.code]
    assert "Chờ đồng bộ: 1" in window.status_label.text()
