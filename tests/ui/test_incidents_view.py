"""The leader's incident log: add, overdue in red, mark reported, export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtTest import QTest

from desk_app.models.errors import DomainError
from desk_app.ui.incidents import OVERDUE, IncidentsDialog


def type_text(widget, text: str) -> None:
    """Vietnamese typed as key events carrying the text (qtbot.keyClicks aborts on it)."""
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key_unknown, ch, Qt.NoModifier)


@pytest.fixture
def leader(counter):
    counter.login("admin", "quantri123")
    counter.add_clerk("lanhdao", "Lê Văn Lãnh Đạo", "leader", "lanhdao123")
    counter.login("lanhdao", "lanhdao123")
    return counter


def test_a_clerk_cannot_open_it(qtbot, counter):
    with pytest.raises(DomainError, match="Chỉ lãnh đạo"):
        IncidentsDialog(counter)


def test_add_an_incident_see_the_deadline_mark_it_reported(qtbot, leader, clock):
    counter = leader
    dialog = IncidentsDialog(counter)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0
    form = dialog.add()
    form.detected.setDateTime(QDateTime(clock().date(), clock().time()).addSecs(-3600))
    form.kind.setCurrentIndex(form.kind.findText("Tiết lộ nhầm dữ liệu"))
    type_text(form.description, "Gửi nhầm phiếu hẹn cho người khác")
    type_text(form.people, "1")
    form.submit()
    assert form.result() == form.DialogCode.Accepted
    assert dialog.table.rowCount() == 1
    assert [dialog.table.item(0, c).text() for c in (0, 1, 4, 5)] == [
        "08:00 23/11/2026", "Tiết lộ nhầm dữ liệu", "08:00 26/11/2026", "Còn 71 giờ để báo cáo"]
    assert dialog.table.item(0, 0).background().color() != OVERDUE

    counter.privacy.record_incident(detected_at=clock() - timedelta(hours=80), kind="lost_device",
                                    description="Mất máy tính xách tay của bộ phận một cửa")
    dialog.refresh()
    assert "2 sự cố; 2 chưa báo cáo, trong đó 1 đã quá 72 giờ." == dialog.summary.text()
    late_row = next(r for r in range(2) if dialog.table.item(r, 1).text().startswith("Mất"))
    assert dialog.table.item(late_row, 0).background().color() == OVERDUE
    assert dialog.table.item(late_row, 5).text() == "Quá hạn báo cáo 8 giờ"

    assert not dialog.reported_button.isEnabled()
    dialog.table.selectRow(late_row)
    assert dialog.reported_button.isEnabled()
    reported = dialog.mark_reported()
    reported.submit()
    assert "Phải ghi cơ quan" in reported.error.text()  # nothing typed yet
    type_text(reported.to, "Bộ Công an (A05)")
    reported.submit()
    assert reported.result() == reported.DialogCode.Accepted
    row = next(r for r in range(2) if dialog.table.item(r, 1).text().startswith("Mất"))
    assert dialog.table.item(row, 5).text().startswith("Đã báo cáo lúc 09:00 23/11/2026 (quá 72 giờ)")


def test_a_bad_form_says_why_and_records_nothing(qtbot, leader):
    dialog = IncidentsDialog(leader)
    qtbot.addWidget(dialog)
    form = dialog.add()
    form.submit()
    assert "Phải mô tả sự cố" in form.error.text() and leader.privacy.incidents() == []


def test_export_writes_the_book(qtbot, leader, clock, tmp_path):
    leader.privacy.record_incident(detected_at=clock() - timedelta(hours=2), kind="other", description="Thử xuất sổ sự cố")
    dialog = IncidentsDialog(leader)
    qtbot.addWidget(dialog)
    assert dialog.export(tmp_path / "so.xlsx").read_bytes()[:2] == b"PK"
    assert dialog.export(tmp_path / "so.pdf").read_bytes().startswith(b"%PDF")
