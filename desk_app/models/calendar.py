"""Working days and working hours of a ward office.

Public holidays come from the ``holidays`` package (Vietnam, Vietnamese names): Tết with the
government's extra days, days given in lieu, and the weekend days worked in exchange. Local
overrides announced later (by the province or the ward) win over everything. The package is only
the default: the server can distribute a yearly table as overrides.

Datetimes may be naive or aware; we work on wall-clock local time (Vietnam has no DST) and give
results back with the tzinfo of the input.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

import holidays

from .errors import ValidationError
from .text import nfc

OVERRIDE_KINDS = ("off", "work")
SATURDAY = "Thứ Bảy"
SUNDAY = "Chủ nhật"

# The package's lunar tables stop at 2100; outside its range only weekends are non-working.
_HOLIDAY_YEARS = range(max(holidays.VN.start_year, 1), holidays.VN.end_year + 1)

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DAY = timedelta(days=1)


def _parse_hhmm(value: Any, field: str) -> time:
    if isinstance(value, time):
        return value
    match = _HHMM.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValidationError(f"Giờ không hợp lệ (cần dạng HH:MM): {value!r}", field=field)
    return time(int(match.group(1)), int(match.group(2)))


def _hhmm(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class OfficeHours:
    """Opening hours, the same-day cut-off and the sessions that count as working hours."""

    opening: time = time(7, 30)
    closing: time = time(17, 0)
    same_day_cutoff: time = time(15, 0)
    sessions: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))

    def __post_init__(self) -> None:
        field = "office_hours"
        sessions = tuple(tuple(s) for s in self.sessions)
        object.__setattr__(self, "sessions", sessions)
        all_times = [self.opening, self.closing, self.same_day_cutoff] + [t for s in sessions for t in s]
        for t in all_times:
            if not isinstance(t, time) or t.tzinfo is not None or t.second or t.microsecond:
                raise ValidationError(f"Giờ làm việc phải ở dạng giờ:phút, không múi giờ: {t!r}", field=field)
        if not self.opening < self.closing:
            raise ValidationError("Giờ mở cửa phải trước giờ đóng cửa.", field=field)
        if not self.opening < self.same_day_cutoff <= self.closing:
            raise ValidationError("Giờ chốt nhận hồ sơ trong ngày phải nằm trong giờ làm việc.", field=field)
        if not sessions:
            raise ValidationError("Phải có ít nhất một buổi làm việc.", field=field)
        previous_end = self.opening
        for session in sessions:
            if len(session) != 2:
                raise ValidationError("Mỗi buổi làm việc gồm giờ bắt đầu và giờ kết thúc.", field=field)
            start, end = session
            if not start < end:
                raise ValidationError(
                    f"Buổi làm việc {_hhmm(start)}–{_hhmm(end)}: giờ bắt đầu phải trước giờ kết thúc.", field=field
                )
            if start < previous_end:
                raise ValidationError(
                    "Các buổi làm việc phải theo thứ tự, không chồng nhau và nằm trong giờ mở cửa.", field=field
                )
            previous_end = end
        if previous_end > self.closing:
            raise ValidationError("Buổi làm việc cuối phải kết thúc trước giờ đóng cửa.", field=field)

    @property
    def minutes_per_day(self) -> int:
        return sum(_minutes(e) - _minutes(s) for s, e in self.sessions)

    @property
    def hours_per_day(self) -> float:
        return self.minutes_per_day / 60

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "OfficeHours":
        field = "office_hours"
        if not isinstance(data, dict):
            raise ValidationError("Cấu hình giờ làm việc không hợp lệ.", field=field)
        unknown = set(data) - {"opening", "closing", "same_day_cutoff", "sessions"}
        if unknown:
            raise ValidationError("Giờ làm việc có trường không biết: " + ", ".join(sorted(unknown)), field=field)
        default = cls()
        kwargs: dict[str, Any] = {}
        for key in ("opening", "closing", "same_day_cutoff"):
            kwargs[key] = _parse_hhmm(data[key], field) if key in data else getattr(default, key)
        if "sessions" in data:
            raw = data["sessions"]
            if not isinstance(raw, (list, tuple)) or not all(
                isinstance(s, (list, tuple)) and len(s) == 2 for s in raw
            ):
                raise ValidationError("Các buổi làm việc phải là danh sách cặp [bắt đầu, kết thúc].", field=field)
            kwargs["sessions"] = tuple((_parse_hhmm(s, field), _parse_hhmm(e, field)) for s, e in raw)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "opening": _hhmm(self.opening),
            "closing": _hhmm(self.closing),
            "same_day_cutoff": _hhmm(self.same_day_cutoff),
            "sessions": [[_hhmm(s), _hhmm(e)] for s, e in self.sessions],
        }


@dataclass(frozen=True)
class DayOverride:
    """A local decision announced later: ``kind`` "off" (a day off) or "work" (a worked day)."""

    day: date
    kind: str
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise ValidationError(f"Ngày điều chỉnh không hợp lệ: {self.day!r}", field="override")
        if self.kind not in OVERRIDE_KINDS:
            raise ValidationError(f"Loại điều chỉnh ngày không hợp lệ: {self.kind!r}", field="override")
        reason = nfc(self.reason or "").strip()
        if not reason:
            raise ValidationError("Phải ghi lý do điều chỉnh ngày làm việc.", field="override")
        object.__setattr__(self, "reason", reason)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DayOverride":
        try:
            day = date.fromisoformat(data["day"])
            return cls(day=day, kind=data["kind"], reason=data.get("reason", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"Điều chỉnh ngày làm việc không hợp lệ: {data!r}", field="override") from exc

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "kind": self.kind, "reason": self.reason}


@dataclass(frozen=True)
class SkippedDay:
    """A non-working day and why, in Vietnamese."""

    day: date
    reason: str

    def describe(self) -> str:
        return f"{self.day:%d/%m/%Y} ({self.reason})"


class _Year:
    """One year's table. ``off`` maps each non-working day to its reason."""

    __slots__ = ("off", "off_sorted", "work_ordinals")

    def __init__(self, off: dict[date, str], work_ordinals: list[int]) -> None:
        self.off = off
        self.off_sorted = sorted(off)
        self.work_ordinals = work_ordinals


def wall_clock(dt: datetime, ref: datetime | None = None) -> datetime:
    """Naive wall-clock time; if both are aware, ``dt`` is first seen in ``ref``'s zone."""
    if dt.tzinfo is not None and ref is not None and ref.tzinfo is not None:
        dt = dt.astimezone(ref.tzinfo)
    return dt.replace(tzinfo=None)


class WorkingCalendar:
    """Monday–Friday minus public holidays, plus weekend days worked in exchange, then overrides.

    Years are built lazily and cached, so ``is_working_day`` is a dict lookup and a set lookup.
    When two overrides name the same day, the later one wins (it was announced later).
    """

    def __init__(
        self,
        overrides: Iterable[DayOverride] = (),
        *,
        saturday_working: bool = False,
        office_hours: OfficeHours | None = None,
    ) -> None:
        self.overrides: dict[date, DayOverride] = {}
        for override in overrides:
            if not isinstance(override, DayOverride):
                raise ValidationError("Điều chỉnh ngày làm việc không hợp lệ.", field="override")
            self.overrides[override.day] = override
        self.saturday_working = saturday_working
        self.office_hours = office_hours or OfficeHours()
        self._years: dict[int, _Year] = {}
        self._off: dict[int, dict[date, str]] = {}  # hot path: year -> off days

    # -- year tables --------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._build_year(year)
            self._years[year] = table
            self._off[year] = table.off
        return table

    def _build_year(self, year: int) -> _Year:
        names: dict[date, str] = {}
        worked_weekends: set[date] = set()
        if year in _HOLIDAY_YEARS:
            vn = holidays.VN(years=year, language="vi")
            names = {d: nfc(n) for d, n in vn.items() if d.year == year}
            # weekend_workdays also holds other years' cross-year swaps: keep this year's only.
            worked_weekends = {d for d in vn.weekend_workdays if d.year == year}
        off: dict[date, str] = {}
        work: list[int] = []
        day = date(year, 1, 1)
        while day.year == year:
            weekday = day.weekday()
            reason: str | None = None
            if day in names:
                reason = names[day]
            elif weekday == 6 and day not in worked_weekends:
                reason = SUNDAY
            elif weekday == 5 and day not in worked_weekends and not self.saturday_working:
                reason = SATURDAY
            override = self.overrides.get(day)
            if override is not None:
                reason = override.reason if override.kind == "off" else None
            if reason is None:
                work.append(day.toordinal())
            else:
                off[day] = reason
            if day.month == 12 and day.day == 31:
                break
            day += _DAY
        return _Year(off, work)

    # -- days ---------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        off = self._off.get(d.year)
        if off is None:
            off = self._year(d.year).off
        return d not in off

    def why_not_working(self, d: date) -> str | None:
        """The Vietnamese reason ``d`` is not a working day, or None if it is one."""
        return self._year(d.year).off.get(d)

    def next_working_day(self, d: date, include_self: bool = False) -> date:
        if include_self and self.is_working_day(d):
            return d
        return self.add_working_days(d, 1)

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d``; n == 0 gives ``d`` itself if it is working."""
        if n < 0:
            raise ValidationError("Số ngày làm việc không được âm.", field="days")
        if n == 0:
            if self.is_working_day(d):
                return d
            n = 1
        year = d.year
        ordinals = self._year(year).work_ordinals
        index = bisect_right(ordinals, d.toordinal()) + n - 1
        while index >= len(ordinals):
            index -= len(ordinals)
            year += 1
            ordinals = self._year(year).work_ordinals
        return date.fromordinal(ordinals[index])

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days lie in (a, b]; 0 when b <= a."""
        if b <= a:
            return 0
        a_ord, b_ord = a.toordinal(), b.toordinal()
        count = 0
        for year in range(a.year, b.year + 1):
            ordinals = self._year(year).work_ordinals
            lo = bisect_right(ordinals, a_ord) if year == a.year else 0
            hi = bisect_right(ordinals, b_ord) if year == b.year else len(ordinals)
            count += hi - lo
        return count

    def skipped_days(self, a: date, b: date) -> list[SkippedDay]:
        """Non-working days in (a, b], in order, with their reasons."""
        out: list[SkippedDay] = []
        for year in range(a.year, b.year + 1):
            table = self._year(year)
            days = table.off_sorted
            lo = bisect_right(days, a) if year == a.year else 0
            hi = bisect_right(days, b) if year == b.year else len(days)
            out.extend(SkippedDay(day, table.off[day]) for day in days[lo:hi])
        return out

    # -- hours --------------------------------------------------------------------------------

    def add_working_hours(
        self, start: datetime, hours: float, *, office_hours: OfficeHours | None = None
    ) -> datetime:
        """``start`` plus ``hours`` counted only inside the sessions of working days.

        A start outside a session snaps forward to the next session. A result that lands on a
        session's end stays there (17:00, not 07:30 the next working day).
        """
        if hours < 0:
            raise ValidationError("Số giờ làm việc không được âm.", field="hours")
        oh = office_hours or self.office_hours
        tz = start.tzinfo
        current = wall_clock(start)
        remaining = timedelta(hours=hours)
        per_day = timedelta(minutes=oh.minutes_per_day)
        day = current.date()
        while True:
            if self.is_working_day(day):
                for s, e in oh.sessions:
                    session_start = datetime.combine(day, s)
                    session_end = datetime.combine(day, e)
                    if current >= session_end:
                        continue
                    current = max(current, session_start)
                    available = session_end - current
                    if remaining <= available:
                        return (current + remaining).replace(tzinfo=tz)
                    remaining -= available
                    current = session_end
            # Jump over whole days so long durations stay cheap; keep a non-empty last day.
            whole_days = max(0, (remaining - timedelta(microseconds=1)) // per_day)
            remaining -= whole_days * per_day
            day = self.add_working_days(day, whole_days + 1)
            current = datetime.combine(day, time(0))

    def working_hours_between(
        self, a: datetime, b: datetime, *, office_hours: OfficeHours | None = None
    ) -> float:
        """Working hours in [a, b] counted inside sessions; 0.0 when b <= a."""
        oh = office_hours or self.office_hours
        b = wall_clock(b, a)
        a = wall_clock(a)
        if b <= a:
            return 0.0
        total = self._overlap(a.date(), a, b, oh)
        if b.date() > a.date():
            total += self._overlap(b.date(), a, b, oh)
            middle = self.working_days_between(a.date(), b.date() - _DAY)
            total += middle * timedelta(minutes=oh.minutes_per_day)
        return total / timedelta(hours=1)

    def _overlap(self, day: date, lo: datetime, hi: datetime, oh: OfficeHours) -> timedelta:
        total = timedelta(0)
        if not self.is_working_day(day):
            return total
        for s, e in oh.sessions:
            start = max(datetime.combine(day, s), lo)
            end = min(datetime.combine(day, e), hi)
            if end > start:
                total += end - start
        return total
