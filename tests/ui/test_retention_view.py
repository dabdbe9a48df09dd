"""The leader's retention screen: counts per procedure, confirm or cancel, never for a clerk."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desk_app.models.errors import DomainError
from desk_app.ui.retention import RetentionDialog

SIGNATURE = "2.000884"  # kept 2 years


@pytest.fixture
def due(counter, clock, applicant):
    """One signature certification returned, synced, and now past its two years; a leader logged in."""
    counter.login("admin", "quantri123")
    counter.add_clerk("lanhdao", "Lê Văn Lãnh Đạo", "leader", "lanhdao123")
    counter.login("lan", "canbo1234")
    view = counter.dossiers.receive(SIGNATURE, applicant)
    counter.dossiers.mark_result_ready(view.code)
    counter.dossiers.return_result(view.code)
    with counter.store.transaction():
        counter.store.conn.execute("DELETE FROM outbox")  # the district confirmed them
    clock.advance(days=365 * 2 + 1)
    return view


def test_a_clerk_cannot_open_it(qtbot, counter):
    with pytest.raises(DomainError, match="Chỉ lãnh đạo"):
        RetentionDialog(counter)


def test_the_leader_lists_sees_counts_and_confirms(qtbot, counter, due):
    counter.login("lanhdao", "lanhdao123")
    dialog = RetentionDialog(counter, ask=False)
    qtbot.addWidget(dialog)
    assert "Chưa có danh sách" in dialog.status.text() and not dialog.confirm_button.isEnabled()
    qtbot.mouseClick(dialog.list_button, Qt.LeftButton)
    assert dialog.table.rowCount() == 1
    assert [dialog.table.item(0, c).text() for c in (0, 2, 3)] == [SIGNATURE, "2 năm", "1"]
    assert "1 hồ sơ chờ lãnh đạo xác nhận" in dialog.status.text() and "Chưa xóa" in dialog.status.text()
    assert counter.dossiers.dossier(due.code).row.applicant_name  # still there
    qtbot.mouseClick(dialog.confirm_button, Qt.LeftButton)
    assert "Đã xóa dữ liệu cá nhân của 1 hồ sơ (Lê Văn Lãnh Đạo xác nhận" in dialog.status.text()
    assert dialog.table.rowCount() == 0 and not dialog.confirm_button.isEnabled()
    assert counter.store.get_dossier(due.code).applicant_name == ""
    assert counter.check() == []


def test_answering_no_removes_nothing_and_cancel_withdraws_the_list(qtbot, counter, due, monkeypatch):
    counter.privacy.list_purge()  # made by the clerk: waiting for the leader
    counter.login("lanhdao", "lanhdao123")
    dialog = RetentionDialog(counter)
    qtbot.addWidget(dialog)
    assert "(Trần Thị Lan)" in dialog.status.text() and dialog.confirm_button.isEnabled()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.No)
    qtbot.mouseClick(dialog.confirm_button, Qt.LeftButton)
    assert "Xóa vĩnh viễn dữ liệu cá nhân của 1 hồ sơ" in asked[0]
    assert counter.privacy.pending_purge() is not None and counter.store.get_dossier(due.code).applicant_name
    qtbot.mouseClick(dialog.cancel_button, Qt.LeftButton)
    assert counter.privacy.pending_purge() is None and "Đã hủy bỏ danh sách" in dialog.status.text()
    assert counter.store.get_dossier(due.code).applicant_name
