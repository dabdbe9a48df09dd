"""Nhật ký truy cập, offscreen with a real database: only leaders and admins see it, entries in
Vietnamese, filtered by period, clerk and kind; a full ID number never appears."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from desk_app.models.errors import DomainError
from desk_app.models.statistics import Period
from desk_app.printing.papers import Papers
from desk_app.ui.access_log import AccessLogDialog
from desk_app.ui.app import LoginDialog, MainWindow

FULL_ID = "042090012345"


class FakePrinter:
    def print_pdf(self, pdf: bytes, title: str) -> None:
        pass


@pytest.fixture
def warnings(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: shown.append(text))
    return shown


@pytest.fixture
def activity(counter, applicant, clock):
    """Monday: Lan searches by CCCD, opens the dossier and prints the receipt; Tuesday: the admin
    opens it; a citizen is filled in at intake."""
    view = counter.dossiers.receive("1.004873", applicant)
    counter.dossiers.search(FULL_ID)
    counter.privacy.open_record(view.code)
    Papers(counter).dossier_paper(view.code, "receipt")
    clock.set(2026, 11, 24, 10, 0)
    counter.login("admin", "quantri123")
    counter.privacy.open_record(view.code)
    counter.privacy.open_citizen(view.row.applicant_id)
    counter.add_clerk("hung", "Lê Văn Hùng", "leader", "lanhdao123")
    counter.login("hung", "lanhdao123")
    return view


def rows(dialog: AccessLogDialog) -> list[list[str]]:
    t = dialog.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_the_leader_reads_every_access_in_vietnamese(qtbot, counter, activity):
    dialog = AccessLogDialog(counter)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Nhật ký truy cập dữ liệu cá nhân"
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(6)] == [
        "Thời gian", "Cán bộ", "Quầy", "Thao tác", "Đối tượng", "Chi tiết"]
    shown = rows(dialog)
    assert [r[1:4] for r in shown] == [
        ["Nguyễn Thị Quản Trị", "1", "Xem hồ sơ"], ["Nguyễn Thị Quản Trị", "1", "Xem hồ sơ"],
        ["Trần Thị Lan", "1", "In giấy tờ"], ["Trần Thị Lan", "1", "Xem hồ sơ"],
        ["Trần Thị Lan", "1", "Tìm theo số định danh"]]
    assert shown[0][4:] == ["Công dân Nguyễn Văn Đức", "Điền thông tin công dân đã đến khi tiếp nhận"]
    assert shown[1][4:] == [f"Hồ sơ {activity.code}", "Cấp Giấy xác nhận tình trạng hôn nhân"]
    assert shown[2][5] == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    assert shown[4][0] == "09:00:00 23/11/2026"
    assert shown[4][4:] == ["Số định danh 0420******45", "Tìm trong hồ sơ: 1 kết quả"]
    assert FULL_ID not in str(shown)
    assert dialog.summary.text() == "5 lượt truy cập từ 25/10/2026 đến 24/11/2026."


def test_filters_by_period_clerk_and_kind(qtbot, counter, activity):
    dialog = AccessLogDialog(counter)
    qtbot.addWidget(dialog)
    dialog.set_filters(kind="view_record")
    assert [r[3] for r in rows(dialog)] == ["Xem hồ sơ"] * 3
    dialog.set_filters(clerk="lan")
    assert [r[1] for r in rows(dialog)] == ["Trần Thị Lan"]
    dialog.kind.setCurrentIndex(0)  # "Tất cả thao tác": the combo alone reloads
    assert dialog.kind.currentText() == "Tất cả thao tác" and len(rows(dialog)) == 3
    dialog.set_filters(clerk="", start=date(2026, 11, 24), end=date(2026, 11, 24))
    assert {r[1] for r in rows(dialog)} == {"Nguyễn Thị Quản Trị"}
    dialog.set_filters(start=date(2026, 11, 25), end=date(2026, 11, 24))
    assert rows(dialog) == [] and "chọn lại khoảng ngày" in dialog.summary.text()


def test_an_export_from_the_command_line_names_it(qtbot, counter, activity):
    counter.logout()
    counter.privacy.log_export("book", "/tmp/so.xlsx", period=Period(date(2026, 11, 1), date(2026, 11, 30)),
                               detail={"format": "xlsx"})
    counter.login("hung", "lanhdao123")
    dialog = AccessLogDialog(counter)
    qtbot.addWidget(dialog)
    dialog.set_filters(kind="export")
    [row] = rows(dialog)
    assert row[1].startswith("Dòng lệnh (không đăng nhập)")
    assert row[3:] == ["Xuất dữ liệu", "Tệp /tmp/so.xlsx", "Sổ theo dõi hồ sơ, từ 01/11/2026 đến 30/11/2026, XLSX"]


def test_a_clerk_cannot_open_it(qtbot, counter, activity):
    counter.login("lan", "canbo1234")
    with pytest.raises(DomainError) as refused:
        AccessLogDialog(counter)
    assert refused.value.code == "forbidden"


def test_the_menu_shows_only_for_leaders_and_follows_the_clerk(qtbot, counter, activity, warnings, monkeypatch):
    counter.login("lan", "canbo1234")
    window = MainWindow(counter, printer=FakePrinter(), preview=False)
    qtbot.addWidget(window)
    try:
        titles = [a.text() for a in window.menuBar().actions() if a.isVisible()]
        assert "Lãnh đạo" not in titles
        assert window.show_access_log() is None and warnings  # even called directly: refused
        monkeypatch.setattr(LoginDialog, "exec",
                            lambda dialog: (counter.login("hung", "lanhdao123"), QDialog.Accepted)[1])
        window.lock()
        assert "Lãnh đạo" in [a.text() for a in window.menuBar().actions() if a.isVisible()]
        item = window.leader_menu.actions()[0]  # the retention and incident screens follow it
        assert item.text() == "Nhật ký truy cập…"
        item.trigger()
        dialog = window.access_log_dialog
        assert dialog is not None and dialog.isVisible() and dialog.table.rowCount() == 5
        monkeypatch.setattr(LoginDialog, "exec",
                            lambda dialog: (counter.login("lan", "canbo1234"), QDialog.Accepted)[1])
        window.lock()  # a clerk takes over: the log closes and the menu goes
        assert window.access_log_dialog is None and not dialog.isVisible()
        assert "Lãnh đạo" not in [a.text() for a in window.menuBar().actions() if a.isVisible()]
    finally:
        window.intake.shutdown()
        window.statistics.wait(10)
