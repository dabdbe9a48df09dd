"""Time limits of procedures and the due time of a dossier.

A procedure's time limit is data from the catalogue (``TimeLimit.from_dict``):
  {"kind": "same_day"}
  {"kind": "working_days", "days": 3, "clock_start": "next_working_day",
   "verification_extra_days": 5}
  {"kind": "working_hours", "hours": 16}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

    def describe(self) -> str:
        """Vietnamese wording for slips and listings."""
        if self.kind == "same_day":
            text = "Trong ngày làm việc (tiếp nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo)"
        elif self.kind == "working_days":
            text = f"{self.days} ngày làm việc"
        else:
            hours = int(self.hours) if float(self.hours).is_integer() else self.hours
            text = f"{hours} giờ làm việc"
        if self.verification_extra_days:
            text += f"; trường hợp cần xác minh thêm không quá {self.verification_extra_days} ngày làm việc"
        return text
