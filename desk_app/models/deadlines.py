"""Time limits of procedures and the due time of a dossier.

A procedure's time limit is data from the catalogue (``TimeLimit.from_dict``):
  {"kind": "same_day"}
  {"kind": "working_days", "days": 3, "clock_start": "next_working_day",
   "verification_extra_days": 5}
  {"kind": "working_hours", "hours": 16}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from .calendar import OfficeHours, SkippedDay, WorkingCalendar, wall_clock
from .errors import ValidationError

TIME_LIMIT_KINDS = ("same_day", "working_days", "working_hours")
CLOCK_STARTS = ("next_working_day", "receipt_day")


@dataclass(frozen=True)
class TimeLimit:
    kind: str
    days: int = 0
    hours: float = 0.0
    clock_start: str = "next_working_day"
    verification_extra_days: int = 0

    def __post_init__(self) -> None:
        if self.kind not in TIME_LIMIT_KINDS:
            raise ValidationError(f"Loại thời hạn không hợp lệ: {self.kind!r}", field="time_limit")
        if self.clock_start not in CLOCK_STARTS:
            raise ValidationError(
                f"Cách tính bắt đầu thời hạn không hợp lệ: {self.clock_start!r}", field="time_limit"
            )
        if self.kind == "working_days" and self.days < 1:
            raise ValidationError("Thời hạn theo ngày làm việc phải từ 1 ngày trở lên.", field="time_limit")
        if self.kind == "working_hours" and self.hours <= 0:
            raise ValidationError("Thời hạn theo giờ làm việc phải lớn hơn 0.", field="time_limit")
        if self.verification_extra_days < 0:
            raise ValidationError("Thời gian xác minh không được âm.", field="time_limit")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TimeLimit":
        if not isinstance(data, dict) or "kind" not in data:
            raise ValidationError("Thiếu loại thời hạn giải quyết (kind).", field="time_limit")
        unknown = set(data) - {"kind", "days", "hours", "clock_start", "verification_extra_days"}
        if unknown:
            raise ValidationError(
                "Thời hạn có trường không biết: " + ", ".join(sorted(unknown)), field="time_limit"
            )
        return cls(
            kind=data["kind"],
            days=int(data.get("days", 0)),
            hours=float(data.get("hours", 0)),
            clock_start=data.get("clock_start", "next_working_day"),
            verification_extra_days=int(data.get("verification_extra_days", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "working_days":
            out["days"] = self.days
        if self.kind == "working_hours":
            out["hours"] = self.hours
        if self.clock_start != "next_working_day":
            out["clock_start"] = self.clock_start
        if self.verification_extra_days:
            out["verification_extra_days"] = self.verification_extra_days
        return out

    def describe(self, cutoff: time = time(15, 0)) -> str:
        """Vietnamese wording for slips and listings; ``cutoff`` is the ward's same-day cut-off."""
        if self.kind == "same_day":
            text = (
                f"Trong ngày làm việc (tiếp nhận sau {_vi_clock(cutoff)} "
                "thì trả trong ngày làm việc tiếp theo)"
            )
        elif self.kind == "working_days":
            text = f"{self.days} ngày làm việc"
        else:
            hours = int(self.hours) if float(self.hours).is_integer() else self.hours
            text = f"{hours} giờ làm việc"
        if self.verification_extra_days:
            text += f"; trường hợp cần xác minh thêm không quá {self.verification_extra_days} ngày làm việc"
        return text


def _vi_clock(t: time) -> str:
    """15:00 -> "15 giờ", 15:30 -> "15 giờ 30 phút" (the wording of legal texts)."""
    return f"{t.hour} giờ" if not t.minute else f"{t.hour} giờ {t.minute:02d} phút"


TIMELINESS_LABELS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}


@dataclass(frozen=True)
class DueTime:
    """When a dossier is due, and why.

    ``clock_start`` is the first day counted. ``skipped`` lists the non-working days from the
    receipt day to the due day. ``cutoff`` is the same-day cut-off that applied (None for limits in
    hours), kept so ``explain`` can say the dossier came in after it.
    """

    received_at: datetime
    clock_start: date
    due_at: datetime
    skipped: tuple[SkippedDay, ...] = ()
    cutoff: time | None = None

    def explain(self) -> str:
        received = self.received_at
        text = f"Tiếp nhận {received:%H:%M} ngày {received:%d/%m/%Y}"
        on_day_off = next((s for s in self.skipped if s.day == received.date()), None)
        if on_day_off is not None:
            text += f" (ngày nghỉ: {on_day_off.reason})"
        elif self.cutoff is not None and after_cutoff(received, self.cutoff):
            text += f" (sau {self.cutoff:%H:%M})"
        text += f" — hẹn trả {self.due_at:%H:%M} ngày {self.due_at:%d/%m/%Y}"
        if self.skipped:
            text += "; bỏ qua: " + ", ".join(s.describe() for s in self.skipped)
        return text


def after_cutoff(received_at: datetime, cutoff: time) -> bool:
    """"Tiếp nhận sau 15 giờ": read by the minute, as the clock on the wall reads, so a dossier
    received at 15:00 (15:00:40 included) is not after 15:00; one at 15:01 is."""
    return received_at.time().replace(second=0, microsecond=0) > cutoff


def compute_due(
    received_at: datetime,
    limit: TimeLimit,
    calendar: WorkingCalendar,
    hours: OfficeHours = OfficeHours(),
    *,
    with_verification: bool = False,
) -> DueTime:
    """The appointment for a dossier received at ``received_at`` (wall-clock, tzinfo kept).

    same_day: before the cut-off on a working day, due at closing that day; otherwise at closing
    of the next working day. working_days N: day 1 is the first working day after the receipt
    day ("next_working_day"), or the receipt day itself when received on a working day before
    the cut-off ("receipt_day"); due at closing of day N. working_hours H: H working hours from
    receipt. ``with_verification`` adds ``verification_extra_days`` working days (for limits in
    hours, that many full working days of hours).
    """
    extra = limit.verification_extra_days if with_verification else 0
    received_day = received_at.date()
    in_time = calendar.is_working_day(received_day) and not after_cutoff(received_at, hours.same_day_cutoff)
    cutoff: time | None = hours.same_day_cutoff
    if limit.kind == "working_hours":
        total = limit.hours + extra * hours.hours_per_day
        clock_start = calendar.add_working_hours(received_at, 0, office_hours=hours).date()
        due_at = calendar.add_working_hours(received_at, total, office_hours=hours)
        cutoff = None
    else:
        if limit.kind == "same_day":
            days = 1
            first = received_day if in_time else calendar.next_working_day(received_day)
        else:
            days = limit.days
            if limit.clock_start == "receipt_day" and in_time:
                first = received_day
            else:
                first = calendar.next_working_day(received_day)
            if limit.clock_start == "next_working_day":
                cutoff = None  # the cut-off does not move this clock
        clock_start = first
        due_day = calendar.add_working_days(first, days - 1 + extra)
        due_at = datetime.combine(due_day, hours.closing, tzinfo=received_at.tzinfo)
    skipped = tuple(calendar.skipped_days(date.fromordinal(received_day.toordinal() - 1), due_at.date()))
    return DueTime(received_at=received_at, clock_start=clock_start, due_at=due_at, skipped=skipped, cutoff=cutoff)


def classify_return(returned_at: datetime, due_at: datetime) -> str:
    """"late" after ``due_at``; "early" on a calendar day before the due day; else "on_time"."""
    returned = wall_clock(returned_at, due_at)
    due = wall_clock(due_at)
    if returned > due:
        return "late"
    if returned.date() < due.date():
        return "early"
    return "on_time"


def is_due_soon(now: datetime, due_at: datetime, calendar: WorkingCalendar) -> bool:
    """Not yet past, and due today or by the next working day (the "hạn trả ngày mai" warning)."""
    current = wall_clock(now, due_at)
    due = wall_clock(due_at)
    if current > due:
        return False
    return due.date() <= calendar.next_working_day(current.date())
