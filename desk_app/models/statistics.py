"""What the ward reports: the figures of dossier handling for a period, their definitions and
their Vietnamese names. Pure: the storage layer counts, this module names and combines.

Each figure is dated by its own event (see METRIC_HELP): "received" by the start of the legal
clock, "solved" by the return of the result, a refusal by its action, and so on; "pending" is
taken at the end of the period (or now, when the period has not ended).
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

from .clock import VN_TZ
from .errors import ValidationError
from .survey import SatisfactionIndex
from .validation import parse_date

# Figure -> Vietnamese label, in report order.
METRICS: dict[str, str] = {
    "received": "Tiếp nhận",
    "solved": "Đã giải quyết",
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Quá hạn",
    "pending_not_due": "Đang giải quyết, chưa đến hạn",
    "pending_overdue": "Đang giải quyết, đã quá hạn",
    "supplement_requests": "Yêu cầu bổ sung",
    "second_supplement_requests": "Yêu cầu bổ sung lần hai",
    "refused": "Từ chối tiếp nhận",
    "withdrawn": "Dừng giải quyết",
    "apologies": "Phiếu xin lỗi, hẹn lại",
    "transferred": "Chuyển liên thông",
    "surveys": "Phiếu khảo sát",
    "cancelled": "Hủy do nhập nhầm",
}
METRIC_HELP: dict[str, str] = {
    "received": "Hồ sơ đủ thành phần được tiếp nhận (bắt đầu tính thời hạn) trong kỳ.",
    "solved": "Hồ sơ đã trả kết quả trong kỳ; trước hạn, đúng hạn, quá hạn so với ngày hẹn đầu tiên.",
    "pending_not_due": "Hồ sơ đã tiếp nhận, chưa có kết quả vào cuối kỳ, chưa đến hạn trả.",
    "pending_overdue": "Hồ sơ đã tiếp nhận, chưa có kết quả vào cuối kỳ, đã quá hạn trả.",
    "supplement_requests": "Số lần yêu cầu bổ sung hồ sơ trong kỳ.",
    "second_supplement_requests": "Hồ sơ bị yêu cầu bổ sung quá một lần (quy định: phải bằng 0).",
    "refused": "Hồ sơ từ chối tiếp nhận trong kỳ.",
    "withdrawn": "Hồ sơ dừng giải quyết theo yêu cầu của công dân trong kỳ.",
    "apologies": "Phiếu xin lỗi và hẹn lại ngày trả đã gửi trong kỳ.",
    "transferred": "Hồ sơ chuyển liên thông lên cấp trên trong kỳ.",
    "surveys": "Phiếu khảo sát sự hài lòng ghi nhận trong kỳ.",
    "cancelled": "Hồ sơ nhập nhầm đã hủy trong kỳ: không tính vào mọi chỉ tiêu khác.",
}
DIMENSIONS: dict[str, str] = {
    "procedure": "Thủ tục",
    "domain": "Lĩnh vực",
    "clerk": "Cán bộ tiếp nhận",
    "month": "Tháng",
}
COUNTS = tuple(METRICS)


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included, Vietnam time."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError(f"Ngày cuối kỳ {self.end:%d/%m/%Y} trước ngày đầu kỳ {self.start:%d/%m/%Y}.",
                                  field="to")
        if (self.end - self.start).days > 3700:
            raise ValidationError("Kỳ thống kê dài quá mười năm.", field="to")

    @property
    def label(self) -> str:
        return f"từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"

    def bounds(self) -> tuple[str, str]:
        """ISO strings [first instant, first instant after] for comparisons with stored times."""
        first = datetime.combine(self.start, time(0), VN_TZ)
        after = datetime.combine(self.end + timedelta(days=1), time(0), VN_TZ)
        return first.isoformat(), after.isoformat()

    def as_of(self, now: datetime) -> datetime:
        """The instant "pending" is taken at: the end of the period, or now if that is earlier."""
        end = datetime.combine(self.end + timedelta(days=1), time(0), VN_TZ)
        return min(end, now.astimezone(VN_TZ))

    @classmethod
    def parse(cls, start: str | date, end: str | date) -> "Period":
        return cls(_day(start, "from"), _day(end, "to"))

    @classmethod
    def month(cls, day: date) -> "Period":
        last = _calendar.monthrange(day.year, day.month)[1]
        return cls(day.replace(day=1), day.replace(day=last))

    @classmethod
    def quarter(cls, day: date) -> "Period":
        first_month = 3 * ((day.month - 1) // 3) + 1
        last = date(day.year, first_month + 2, _calendar.monthrange(day.year, first_month + 2)[1])
        return cls(date(day.year, first_month, 1), last)

    @classmethod
    def year(cls, day: date) -> "Period":
        return cls(date(day.year, 1, 1), date(day.year, 12, 31))


def _day(value: str | date, field_name: str) -> date:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parsed = parse_date(text)
    if parsed is None:
        raise ValidationError(f"Ngày “{text}” không hợp lệ (ví dụ 31/12/2026).", field=field_name)
    return parsed


@dataclass
class Figures:
    """The figures of one row (a procedure, a domain, a clerk, a month) or of the total."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    days_to_return: float = 0.0  # sum over solved dossiers with a receipt time, in days
    days_to_return_n: int = 0
    share_of_legal_time: float = 0.0  # sum of (time to result) / (legal time allowed)
    share_of_legal_time_n: int = 0
    satisfaction: SatisfactionIndex | None = None

    def __getitem__(self, metric: str) -> int:
        return self.counts[metric]

    def add(self, other: "Figures") -> None:
        for key, value in other.counts.items():
            self.counts[key] += value
        self.days_to_return += other.days_to_return
        self.days_to_return_n += other.days_to_return_n
        self.share_of_legal_time += other.share_of_legal_time
        self.share_of_legal_time_n += other.share_of_legal_time_n

    @property
    def on_time_rate(self) -> float | None:
        """Share of solved dossiers solved early or on time."""
        solved = self.counts["solved"]
        return (self.counts["early"] + self.counts["on_time"]) / solved if solved else None

    @property
    def average_days_to_return(self) -> float | None:
        return self.days_to_return / self.days_to_return_n if self.days_to_return_n else None

    @property
    def average_share_of_legal_time(self) -> float | None:
        """Average of actual time / legal time (1.0 = took all the time the law allows)."""
        n = self.share_of_legal_time_n
        return self.share_of_legal_time / n if n else None

    @property
    def time_cut(self) -> float | None:
        """How much shorter than the law, on average (Hà Nội aims at 0.30–0.50)."""
        share = self.average_share_of_legal_time
        return None if share is None else 1 - share

    def row(self) -> dict[str, Any]:
        """Flat values for a table or a spreadsheet row."""
        return {**self.counts, "on_time_rate": self.on_time_rate, "average_days_to_return": self.average_days_to_return,
                "time_cut": self.time_cut,
                "satisfaction": self.satisfaction.overall if self.satisfaction else None}


# Derived columns beside the counts, with their labels.
DERIVED: dict[str, str] = {
    "on_time_rate": "Tỷ lệ đúng và trước hạn",
    "average_days_to_return": "Số ngày trung bình từ tiếp nhận đến trả",
    "time_cut": "Rút ngắn so với thời hạn luật định",
    "satisfaction": "Chỉ số hài lòng",
}


@dataclass
class StatisticsTable:
    period: Period
    dimension: str | None
    rows: list[tuple[str, str, Figures]]  # (key, Vietnamese label, figures), sorted by label
    total: Figures
    as_of: datetime
    filters: Mapping[str, str] = field(default_factory=dict)

    @property
    def dimension_label(self) -> str:
        return DIMENSIONS.get(self.dimension or "", "")

    def summary(self) -> str:
        t = self.total
        return (f"Kỳ {self.period.label}: tiếp nhận {t['received']} hồ sơ; đã giải quyết {t['solved']} "
                f"({t['early']} trước hạn, {t['on_time']} đúng hạn, {t['late']} quá hạn); đang giải quyết "
                f"{t['pending_not_due'] + t['pending_overdue']} ({t['pending_overdue']} quá hạn).")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def format_value(metric: str, value: Any) -> str:
    if metric in ("on_time_rate", "time_cut", "satisfaction"):
        return percent(value)
    if metric == "average_days_to_return":
        return days(value)
    return "—" if value is None else str(value)
