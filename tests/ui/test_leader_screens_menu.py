"""The retention and incident screens hang in the leaders' menu of the counter window, and close
when the screen locks."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from desk_app.ui.app import LoginDialog, MainWindow
from desk_app.ui.incidents import IncidentsDialog
from desk_app.ui.retention import RetentionDialog


class FakePrinter:
    def print_pdf(self, pdf: bytes, title: str) -> None:
        pass


@pytest.fixture
def window(qtbot, counter):
    counter.login("admin", "quantri123")
    counter.add_clerk("lanhdao", "Lê Văn Lãnh Đạo", "leader", "lanhdao123")
    counter.login("lanhdao", "lanhdao123")
    w = MainWindow(counter, printer=FakePrinter(), preview=False)
    qtbot.addWidget(w)
    yield w
    w.intake.shutdown()
    w.statistics.wait(10)


def test_the_leader_opens_both_screens_and_the_lock_closes_them(qtbot, window, counter, monkeypatch):
    labels = [a.text() for a in window.leader_menu.actions()]
    assert "Hủy dữ liệu hết thời hạn lưu trữ…" in labels
    assert "Sự cố dữ liệu cá nhân (báo cáo trong 72 giờ)…" in labels
    retention, incidents = window.show_retention(), window.show_incidents()
    assert isinstance(retention, RetentionDialog) and isinstance(incidents, IncidentsDialog)
    assert retention.isVisible() and incidents.isVisible()

    def clerk_logs_in(dialog):
        counter.login("lan", "canbo1234")
        return QDialog.Accepted

    monkeypatch.setattr(LoginDialog, "exec", clerk_logs_in)
    window.lock()
    assert not retention.isVisible() and not incidents.isVisible()
    told = []
    monkeypatch.setattr("desk_app.ui.app.QMessageBox.warning", lambda parent, title, text: told.append(text))
    assert window.show_retention() is None  # a clerk is told why, nothing opens
    assert told and "Chỉ lãnh đạo" in told[0]
