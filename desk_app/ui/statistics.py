"""Thống kê: the ward's figures for a period, grouped by procedure, domain, clerk or month, with
a chart of timeliness and one of the satisfaction index.

Only shows and collects: the figures come from ``Counter.statistics``. The query runs on a
worker thread with its own SQLite connection (a connection belongs to its thread: the same way
the sync worker works), and the result reaches the widgets through a Qt signal.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QObject, QMargins, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..counter import Counter
from ..models.errors import DomainError
from ..models.statistics import DERIVED, DIMENSIONS, METRIC_HELP, METRICS, Period, StatisticsTable, format_value
from ..storage.store import Store

# "Theo": the grouping the clerk picks; None is the whole ward.
GROUPINGS: tuple[tuple[str, str | None], ...] = (
    ("Tổng hợp", None),
    ("Thủ tục", "procedure"),
    ("Lĩnh vực", "domain"),
    ("Cán bộ", "clerk"),
    ("Tháng", "month"),
)
COLUMNS: tuple[tuple[str, str], ...] = tuple(METRICS.items()) + tuple(DERIVED.items())
TIMELINESS = (("early", "#2e7d32"), ("on_time", "#1565c0"), ("late", "#c62828"))
CHART_GROUPS = 8  # the chart keeps the groups with the most solved dossiers
LABELLED_BARS = 6  # numbers inside the bars only when there is room for them


def wrap_header(text: str, width: int = 16) -> str:
    """A long column name on two or three lines (headers wrap only at explicit line breaks)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def short_label(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Request:
    period: Period
    dimension: str | None
    filters: dict[str, str]


@dataclass(frozen=True)
class Result:
    table: StatisticsTable
    by_month: StatisticsTable | None  # for the chart when the table has no groups


class _Bridge(QObject):
    """Results from the worker thread reach the widgets only through these signals."""

    done = Signal(int, object)
    failed = Signal(int, str)


def compute(counter: Counter, request: Request, *, own_connection: bool = True) -> Result:
    """The figures of ``request``. With ``own_connection`` (on a worker thread) a second
    connection to the same file is opened and closed here."""
    if own_connection and counter.store.path is not None:
        worker = Counter(Store.open(counter.store.path, create=False), clock=counter.clock,
                         catalogue=counter.catalogue)
    else:
        worker, own_connection = counter, False
    try:
        table = worker.statistics(request.period, dimension=request.dimension, filters=request.filters)
        by_month = None
        if request.dimension is None:
            by_month = worker.statistics(request.period, dimension="month", filters=request.filters)
        return Result(table, by_month)
    finally:
        if own_connection:
            worker.close()


class StatisticsView(QWidget):
    """Period, grouping and procedure filter above; the table; the two charts below."""

    computed = Signal()  # after each result is shown (tests and screenshots wait on it)

    def __init__(self, counter: Counter, parent: QWidget | None = None, *, threaded: bool = True) -> None:
        super().__init__(parent)
        self.counter = counter
        self.threaded = threaded and counter.store.path is not None
        self.result: Result | None = None
        self.error: str = ""
        self._generation = 0
        self._running = False
        self._pending = False
        self._threads: list[threading.Thread] = []
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_done)
        self._bridge.failed.connect(self._on_failed)
        self._timer = QTimer(self, singleShot=True, interval=120)  # the UI paints first; edits coalesce
        self._timer.timeout.connect(self._start)

        # -- controls
        today = counter.now().date()
        month = Period.month(today)
        self.date_from = self._date_edit("date_from", month.start)
        self.date_to = self._date_edit("date_to", month.end)
        self.quick: dict[str, QPushButton] = {}
        for key, label in (("month", "Tháng này"), ("quarter", "Quý này"), ("year", "Năm nay")):
            button = QPushButton(label, objectName=f"quick_{key}")
            button.clicked.connect(lambda _c=False, k=key: self.set_preset(k))
            self.quick[key] = button
        self.grouping = QComboBox(objectName="grouping")
        for label, key in GROUPINGS:
            self.grouping.addItem(label, key)
        self.procedure = QComboBox(objectName="procedure_filter")
        self.procedure.addItem("Tất cả thủ tục", "")
        for proc in sorted(counter.catalogue.procedures, key=lambda p: p.name.casefold()):
            self.procedure.addItem(short_label(f"{proc.name} ({proc.code})", 60), proc.code)
            self.procedure.setItemData(self.procedure.count() - 1, f"{proc.name} ({proc.code})", Qt.ToolTipRole)
        self.procedure.setMinimumContentsLength(14)
        self.procedure.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.refresh_button = QPushButton("Làm mới", objectName="refresh")
        self.refresh_button.setToolTip("Tính lại các số liệu (F5 khi đang ở màn hình này)")
        self.refresh_button.clicked.connect(self.refresh)
        self.busy = QProgressBar(objectName="busy")
        self.busy.setRange(0, 0)  # indeterminate: "đang tính"
        self.busy.setTextVisible(False)
        self.busy.setFixedWidth(110)
        self.busy.setAccessibleName("Đang tính thống kê")
        self.busy.setVisible(False)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Từ ngày:"))
        controls.addWidget(self.date_from)
        controls.addWidget(QLabel("đến ngày:"))
        controls.addWidget(self.date_to)
        for button in self.quick.values():
            controls.addWidget(button)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Theo:"))
        controls.addWidget(self.grouping)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Thủ tục:"))
        controls.addWidget(self.procedure, 1)
        controls.addWidget(self.refresh_button)

        self.summary = QLabel("", objectName="summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)

        # -- table
        self.table = QTableWidget(0, len(COLUMNS) + 1, objectName="statistics")
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignCenter | Qt.TextWordWrap)
        header.setHighlightSections(False)
        header.setMinimumSectionSize(60)
        for col, (key, label) in enumerate(COLUMNS, start=1):
            item = QTableWidgetItem(wrap_header(label))
            item.setToolTip(METRIC_HELP.get(key, label))
            self.table.setHorizontalHeaderItem(col, item)
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Interactive)
        self.table.setColumnWidth(0, 300)

        # -- charts
        self.timeliness_chart = QChart()
        self.timeliness_chart.setObjectName("timeliness_chart")
        self.satisfaction_chart = QChart()
        self.satisfaction_chart.setObjectName("satisfaction_chart")
        self.chart_views: list[QChartView] = []
        for chart in (self.timeliness_chart, self.satisfaction_chart):
            chart.setAnimationOptions(QChart.NoAnimation)
            chart.legend().setAlignment(Qt.AlignBottom)
            chart.setMargins(QMargins(4, 4, 4, 4))
            view = QChartView(chart)
            view.setRenderHint(QPainter.Antialiasing)
            view.setMinimumHeight(220)
            self.chart_views.append(view)
        charts = QSplitter(Qt.Horizontal)
        charts.setChildrenCollapsible(False)
        for view in self.chart_views:
            charts.addWidget(view)
        charts.setSizes([700, 600])

        body = QSplitter(Qt.Vertical)
        body.setChildrenCollapsible(False)
        body.addWidget(self.table)
        body.addWidget(charts)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 1)
        body.setSizes([260, 330])
        self.body = body

        layout = QVBoxLayout(self)
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary, 1)
        summary_row.addWidget(self.busy, 0, Qt.AlignTop)
        layout.addLayout(controls)
        layout.addLayout(summary_row)
        layout.addWidget(body, 1)

        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self.refresh())
        self.grouping.currentIndexChanged.connect(lambda _i: self.refresh())
        self.procedure.currentIndexChanged.connect(lambda _i: self.refresh())

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day), objectName=name)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setCalendarPopup(True)
        return edit

    # -- input --------------------------------------------------------------------------------
    @staticmethod
    def _day(edit: QDateEdit) -> date:
        d = edit.date()
        return date(d.year(), d.month(), d.day())

    def set_period(self, start: date, end: date) -> None:
        for edit, day in ((self.date_from, start), (self.date_to, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)
        self.refresh()

    def set_preset(self, name: str) -> None:
        """Tháng này / Quý này / Năm nay, by the counter's clock."""
        period = getattr(Period, name)(self.counter.now().date())
        self.set_period(period.start, period.end)

    def set_grouping(self, dimension: str | None) -> None:
        self.grouping.setCurrentIndex(self.grouping.findData(dimension))
        self.refresh()

    def set_procedure(self, code: str) -> None:
        self.procedure.setCurrentIndex(max(0, self.procedure.findData(code)))
        self.refresh()

    def request(self) -> Request:
        """What the controls ask for; raises ValidationError (Vietnamese) for a bad period."""
        period = Period(self._day(self.date_from), self._day(self.date_to))
        code = self.procedure.currentData() or ""
        return Request(period, self.grouping.currentData(), {"procedure": code} if code else {})

    # -- running ------------------------------------------------------------------------------------
    @property
    def is_busy(self) -> bool:
        return self._running or self._timer.isActive()

    def refresh(self) -> None:
        """Recompute soon (after the UI has painted; several changes in a row make one query)."""
        self._timer.start()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.refresh()  # the figures move with every action at the counter

    def _start(self) -> None:
        if self._running:
            self._pending = True  # one query at a time; the latest request runs after it
            return
        try:
            request = self.request()
        except DomainError as exc:
            self._show_error(exc.message)
            return
        self._generation += 1
        generation = self._generation
        self._running = True
        self._pending = False
        self.busy.setVisible(True)
        self.refresh_button.setEnabled(False)
        if not self.threaded:
            self._work(generation, request, own_connection=False)
            return
        thread = threading.Thread(target=self._work, args=(generation, request), name="statistics", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _work(self, generation: int, request: Request, *, own_connection: bool = True) -> None:
        try:
            result = compute(self.counter, request, own_connection=own_connection)
        except DomainError as exc:
            self._emit(self._bridge.failed, generation, exc.message)
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            self._emit(self._bridge.failed, generation, f"Lỗi khi tính thống kê: {exc}")
        else:
            self._emit(self._bridge.done, generation, result)

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window closed while the worker ran
            pass

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a running query (before closing the database)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _finished(self) -> None:
        self._running = False
        self.busy.setVisible(False)
        self.refresh_button.setEnabled(True)
        if self._pending:
            self._pending = False
            self._timer.start()

    def _on_done(self, generation: int, result: Result) -> None:
        self._finished()
        if generation != self._generation or self._pending or self._timer.isActive():
            return  # a newer request is on its way
        self.result, self.error = result, ""
        self.summary.setStyleSheet("")
        self.show_result(result)
        self.computed.emit()

    def _on_failed(self, generation: int, message: str) -> None:
        self._finished()
        if generation == self._generation:
            self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.summary.setText(message)
        self.summary.setStyleSheet("color: #b00020")
        self.computed.emit()

    # -- showing ------------------------------------------------------------------------------
    def show_result(self, result: Result) -> None:
        table = result.table
        text = table.summary()
        sat = table.total.satisfaction
        if sat is not None and sat.responses:
            text += f" Chỉ số hài lòng {format_value('satisfaction', sat.overall)} ({sat.responses} phiếu khảo sát)."
        if table.filters.get("procedure"):
            text = f"Thủ tục {self.procedure.currentText()} — " + text
        self.summary.setText(text)
        self._fill_table(table)
        self._fill_timeliness(result)
        self._fill_satisfaction(table)

    def _fill_table(self, table: StatisticsTable) -> None:
        first = table.dimension_label or "Toàn phường"
        if table.dimension == "clerk":
            first = DIMENSIONS["clerk"]
        self.table.setHorizontalHeaderItem(0, QTableWidgetItem(first))
        # the total first: always in sight, however many groups follow
        rows = [("Tổng cộng", table.total)] + [(label, figures) for _key, label, figures in table.rows]
        self.table.setRowCount(len(rows))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for r, (label, figures) in enumerate(rows):
            values = figures.row()
            total = r == 0
            cells = [label] + [format_value(key, values[key]) for key, _ in COLUMNS]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setToolTip(label)
                else:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if total:
                    item.setFont(bold)
                    item.setBackground(QColor("#e8eef7"))
                self.table.setItem(r, c, item)
        # a short table leaves the room to the charts
        header = self.table.horizontalHeader()
        wanted = (header.sizeHint().height() + self.table.verticalHeader().defaultSectionSize() * min(len(rows), 8)
                  + self.table.horizontalScrollBar().sizeHint().height() + 2 * self.table.frameWidth() + 4)
        total_height = sum(self.body.sizes())
        if total_height > 0:
            self.body.setSizes([wanted, max(total_height - wanted, 240)])

    def timeliness_groups(self, result: Result) -> list[tuple[str, dict[str, int]]]:
        """The chart's bars: per group (or per month for the whole ward), solved ones only."""
        table = result.table if result.table.rows else (result.by_month or result.table)
        groups = [(self._chart_label(table.dimension, key, label), {k: figures[k] for k, _c in TIMELINESS})
                  for key, label, figures in table.rows if figures["solved"]]
        if not table.rows:
            total = result.table.total
            groups = [("Toàn phường", {k: total[k] for k, _c in TIMELINESS})] if total["solved"] else []
        if table.dimension != "month" and len(groups) > CHART_GROUPS:
            groups = sorted(groups, key=lambda g: -sum(g[1].values()))[:CHART_GROUPS]
        return groups

    def _chart_label(self, dimension: str | None, key: str, label: str) -> str:
        if dimension == "month" and len(key) == 7:
            return f"{key[5:7]}/{key[:4]}"
        if dimension == "procedure":
            label = self.counter.catalogue.name_of(key)
        return short_label(label, 30)

    def _fill_timeliness(self, result: Result) -> None:
        chart = self.timeliness_chart
        self._clear(chart)
        groups = self.timeliness_groups(result)
        by_month = (result.table.dimension or (result.by_month and "month")) == "month"
        horizontal = not by_month
        if horizontal:
            groups = list(reversed(groups))  # Qt draws the first category at the bottom
        title = "Hồ sơ đã giải quyết: trước hạn, đúng hạn, quá hạn"
        if not groups:
            title += " (chưa có hồ sơ nào trong kỳ)"
        elif len(groups) < len([r for r in result.table.rows if r[2]["solved"]]):
            title += f" ({len(groups)} nhóm nhiều hồ sơ nhất)"
        chart.setTitle(title)
        series = QHorizontalStackedBarSeries() if horizontal else QStackedBarSeries()
        for key, colour in TIMELINESS:
            bar = QBarSet(METRICS[key])
            bar.setColor(QColor(colour))
            bar.setLabelColor(QColor("white"))
            bar.append([float(values[key]) for _label, values in groups])
            series.append(bar)
        series.setLabelsVisible(len(groups) <= LABELLED_BARS)
        series.setLabelsFormat("@value")
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([label for label, _v in groups] or [""])
        categories.setLabelsFont(self._axis_font())
        values = QValueAxis()
        values.setLabelFormat("%d")
        highest = max((sum(v.values()) for _l, v in groups), default=0)
        values.setRange(0, max(1, highest))
        values.applyNiceNumbers()
        values.setLabelFormat("%d")
        chart.addAxis(categories, Qt.AlignLeft if horizontal else Qt.AlignBottom)
        chart.addAxis(values, Qt.AlignBottom if horizontal else Qt.AlignLeft)
        series.attachAxis(categories)
        series.attachAxis(values)
        chart.legend().setVisible(True)

    def satisfaction_values(self, table: StatisticsTable) -> list[tuple[str, float | None]]:
        """(area label, index in percent) in the survey's order."""
        sat = table.total.satisfaction
        survey = self.counter.survey
        by_area = sat.by_area if sat is not None else {}
        return [(label, None if by_area.get(area) is None else by_area[area] * 100) for area, label in survey.areas]

    def _fill_satisfaction(self, table: StatisticsTable) -> None:
        chart = self.satisfaction_chart
        self._clear(chart)
        sat = table.total.satisfaction
        areas = list(reversed(self.satisfaction_values(table)))  # first area at the top
        if sat is None or not sat.responses:
            chart.setTitle("Chỉ số hài lòng theo nhóm tiêu chí (chưa có phiếu khảo sát trong kỳ)")
        else:
            chart.setTitle(f"Chỉ số hài lòng theo nhóm tiêu chí — chung {format_value('satisfaction', sat.overall)}, "
                           f"{sat.responses} phiếu")
        bar = QBarSet("Tỷ lệ hài lòng (%)")
        bar.setColor(QColor("#00897b"))
        bar.append([float(round(value or 0.0)) for _label, value in areas])  # whole percents: the table has the rest
        series = QHorizontalBarSeries()
        series.append(bar)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value %")
        series.setLabelsPosition(QBarSeries.LabelsInsideEnd)
        bar.setLabelColor(QColor("white"))
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([short_label(label, 30) for label, _v in areas])
        categories.setLabelsFont(self._axis_font())
        values = QValueAxis()
        values.setRange(0, 100)
        values.setTickCount(6)
        values.setLabelFormat("%d %%")
        chart.addAxis(categories, Qt.AlignLeft)
        chart.addAxis(values, Qt.AlignBottom)
        series.attachAxis(categories)
        series.attachAxis(values)
        chart.legend().setVisible(False)

    def _axis_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() * 0.85))
        return font

    @staticmethod
    def _clear(chart: QChart) -> None:
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
            axis.deleteLater()
