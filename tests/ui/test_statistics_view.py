"""Thống kê, offscreen with real widgets and a real database: dossiers built through the Counter
(the real working days, the 24/11 holiday, the 15:00 cut-off), figures checked by hand."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from PySide6.QtCore import Qt

from desk_app.counter import Counter
from desk_app.models.statistics import DERIVED, METRICS
from desk_app.ui.statistics import StatisticsView

COPY = "2.000815"  # certified copy: same day, 15:00 cut-off
MARITAL = "1.004873"  # marital-status certificate: 3 working days
COLUMN = {key: i for i, key in enumerate([*METRICS, *DERIVED], start=1)}


def person(n: int) -> dict:
    given = ["An", "Bình", "Cường", "Dũng", "Đào"][n]
    return {"full_name": f"Nguyễn Văn {given}", "id_number": f"0420900{n:05d}", "birth_date": "15/03/1990",
            "sex": "Nam", "phone": f"0912{n:06d}", "address": "Tổ dân phố 3, Phường Đại Nài"}


@pytest.fixture
def ward(counter, clock):
    """November 2026: A on time, B early, C late (after the 27/11 appointment), D overdue and
    received by the admin; two surveys. The report is made on Monday 30/11 at noon."""
    v = {}
    clock.set(2026, 11, 23, 9, 0)
    v["A"] = counter.dossiers.receive(COPY, person(1), form_data={"pages": 2, "copies": 1})
    v["C"] = counter.dossiers.receive(MARITAL, person(3))
    counter.login("admin", "quantri123")
    v["D"] = counter.dossiers.receive(MARITAL, person(4))
    counter.login("lan", "canbo1234")
    clock.set(2026, 11, 23, 10, 0)
    counter.dossiers.mark_result_ready(v["A"].code)
    v["A"] = counter.dossiers.return_result(v["A"].code)
    clock.set(2026, 11, 23, 15, 30)
    v["B"] = counter.dossiers.receive(COPY, person(2), form_data={"pages": 1, "copies": 3})  # after 15:00
    clock.set(2026, 11, 23, 16, 0)
    counter.dossiers.mark_result_ready(v["B"].code)
    v["B"] = counter.dossiers.return_result(v["B"].code)
    clock.set(2026, 11, 30, 10, 0)
    counter.dossiers.mark_result_ready(v["C"].code)
    v["C"] = counter.dossiers.return_result(v["C"].code)
    counter.dossiers.record_survey(v["A"].code, {"officer_polite": 5, "result_on_time": 4, "access_place": 2})
    counter.dossiers.record_survey(v["B"].code, {"officer_polite": 3, "result_on_time": 5}, channel="paper")
    clock.set(2026, 11, 30, 12, 0)
    assert [v[k].state.timeliness for k in "ABC"] == ["on_time", "early", "late"]
    return v


@pytest.fixture
def view(qtbot, counter, ward):
    widget = StatisticsView(counter)
    qtbot.addWidget(widget)
    widget.resize(1366, 700)
    with qtbot.waitSignal(widget.computed, timeout=10_000):
        widget.show()  # the first query runs when the tab is shown
    yield widget
    widget.wait(10)


def cell(view, row: int, key: str) -> str:
    return view.table.item(row, COLUMN[key]).text()


def row_labels(view) -> list[str]:
    return [view.table.item(r, 0).text() for r in range(view.table.rowCount())]


def bar_sets(chart) -> dict[str, list[float]]:
    [series] = chart.series()
    return {s.label(): [s.at(i) for i in range(s.count())] for s in series.barSets()}


def categories(chart) -> list[str]:
    axis = next(a for a in chart.axes() if hasattr(a, "categories"))
    return axis.categories()


def test_this_month_by_the_counters_clock_with_the_right_figures(view):
    assert (view.date_from.date().toString("dd/MM/yyyy"), view.date_to.date().toString("dd/MM/yyyy")) == (
        "01/11/2026", "30/11/2026")
    assert view.grouping.currentText() == "Tổng hợp" and view.error == ""
    assert view.summary.text() == (
        "Kỳ từ ngày 01/11/2026 đến ngày 30/11/2026: tiếp nhận 4 hồ sơ; đã giải quyết 3 (1 trước hạn, 1 đúng hạn, "
        "1 quá hạn); đang giải quyết 1 (1 quá hạn). Chỉ số hài lòng 50,0 % (2 phiếu khảo sát).")
    # one bold total row, every figure in its named column
    assert row_labels(view) == ["Tổng cộng"]
    assert view.table.item(0, 0).font().bold()
    headers = [view.table.horizontalHeaderItem(c).text().replace("\n", " ") for c in range(view.table.columnCount())]
    assert headers[1:] == [*METRICS.values(), *DERIVED.values()]
    assert [cell(view, 0, k) for k in ("received", "solved", "early", "on_time", "late", "pending_overdue",
                                       "surveys")] == ["4", "3", "1", "1", "1", "1", "2"]
    assert cell(view, 0, "on_time_rate") == "66,7 %"
    assert cell(view, 0, "satisfaction") == "50,0 %"


def test_switching_the_grouping_changes_the_rows(qtbot, view):
    with qtbot.waitSignal(view.computed, timeout=10_000):
        view.grouping.setCurrentIndex(view.grouping.findText("Cán bộ"))
    assert view.table.horizontalHeaderItem(0).text() == "Cán bộ tiếp nhận"
    assert row_labels(view) == ["Tổng cộng", "Nguyễn Thị Quản Trị", "Trần Thị Lan"]
    assert [cell(view, r, "received") for r in range(3)] == ["4", "1", "3"]
    assert view.table.item(0, 0).font().bold() and not view.table.item(1, 0).font().bold()

    with qtbot.waitSignal(view.computed, timeout=10_000):
        view.set_grouping("procedure")
    labels = row_labels(view)
    assert len(labels) == 3 and labels[0] == "Tổng cộng"
    copy_row = next(r for r, text in enumerate(labels) if text.endswith(f"({COPY})"))
    marital_row = next(r for r, text in enumerate(labels) if text.endswith(f"({MARITAL})"))
    assert (cell(view, copy_row, "solved"), cell(view, copy_row, "early"), cell(view, copy_row, "on_time")) == (
        "2", "1", "1")
    assert (cell(view, marital_row, "received"), cell(view, marital_row, "late")) == ("2", "1")

    with qtbot.waitSignal(view.computed, timeout=10_000):
        view.set_procedure(MARITAL)  # only one procedure
    assert len(row_labels(view)) == 2 and cell(view, 0, "received") == "2"
    assert view.summary.text().startswith("Thủ tục Cấp Giấy xác nhận tình trạng hôn nhân")


def test_charts_carry_the_figures(qtbot, view, counter):
    # the whole ward: one bar per month, stacked early / on time / late
    assert categories(view.timeliness_chart) == ["11/2026"]
    assert bar_sets(view.timeliness_chart) == {"Trước hạn": [1.0], "Đúng hạn": [1.0], "Quá hạn": [1.0]}
    # satisfaction by area, in the survey's order from the top (Qt draws the first at the bottom)
    areas = [label for _id, label in counter.survey.areas]
    assert categories(view.satisfaction_chart) == list(reversed(areas))
    by_area = dict(zip(categories(view.satisfaction_chart), bar_sets(view.satisfaction_chart)["Tỷ lệ hài lòng (%)"]))
    assert by_area == {"Tiếp cận dịch vụ": 0.0, "Thủ tục hành chính": 0.0, "Công chức trực tiếp giải quyết": 50.0,
                       "Kết quả giải quyết": 100.0, "Tiếp nhận, xử lý ý kiến góp ý": 0.0}
    assert dict(view.satisfaction_values(view.result.table))["Thủ tục hành chính"] is None  # nobody answered
    assert "chung 50,0 %, 2 phiếu" in view.satisfaction_chart.title()

    with qtbot.waitSignal(view.computed, timeout=10_000):
        view.set_grouping("procedure")
    names = categories(view.timeliness_chart)
    # rows in Vietnamese order (Cấp before Chứng), drawn bottom to top
    assert names == ["Chứng thực bản sao từ bản chí…", "Cấp Giấy xác nhận tình trạng…"]
    assert bar_sets(view.timeliness_chart) == {"Trước hạn": [1.0, 0.0], "Đúng hạn": [1.0, 0.0],
                                               "Quá hạn": [0.0, 1.0]}


def test_presets_and_a_period_the_wrong_way_round(qtbot, view):
    with qtbot.waitSignal(view.computed, timeout=10_000):
        qtbot.mouseClick(view.quick["quarter"], Qt.LeftButton)
    assert view.result.table.period.start == date(2026, 10, 1) and view.result.table.period.end == date(2026, 12, 31)
    with qtbot.waitSignal(view.computed, timeout=10_000):
        qtbot.mouseClick(view.quick["year"], Qt.LeftButton)
    assert view.date_from.date().toString("dd/MM/yyyy") == "01/01/2026"
    assert view.date_to.date().toString("dd/MM/yyyy") == "31/12/2026"
    with qtbot.waitSignal(view.computed, timeout=10_000):
        view.set_period(date(2026, 12, 1), date(2026, 11, 1))
    assert view.error == "Ngày cuối kỳ 01/11/2026 trước ngày đầu kỳ 01/12/2026."
    assert view.summary.text() == view.error and not view.is_busy
    with qtbot.waitSignal(view.computed, timeout=10_000):
        qtbot.mouseClick(view.quick["month"], Qt.LeftButton)
    assert view.error == "" and cell(view, 0, "received") == "4"


def test_the_query_runs_on_a_worker_thread_with_its_own_connection(qtbot, view, counter, monkeypatch):
    seen = []
    original = Counter.statistics

    def spy(self, *args, **kwargs):
        seen.append((threading.current_thread() is threading.main_thread(), self.store.conn is counter.store.conn,
                     view.busy.isVisible()))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Counter, "statistics", spy)
    with qtbot.waitSignal(view.computed, timeout=10_000):
        view.refresh()
        assert view.is_busy
    # off the UI thread, on another connection, with the busy indicator showing meanwhile
    assert seen and all(s == (False, False, True) for s in seen)
    assert not view.busy.isVisible() and view.refresh_button.isEnabled()
