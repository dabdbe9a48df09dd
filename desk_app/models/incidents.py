"""The personal data incident log: what happened, to whose data, what was done, and whether the
authority was told within the deadline after detection (resources/rules/counter.json: 72 hours,
Personal Data Protection Law 91/2025/QH15, Decree 356/2025/NĐ-CP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from .errors import ValidationError
from .rules import counter_rules
from .text import clean_text, fold

# code (stored) -> what the leader sees
INCIDENT_KINDS: dict[str, str] = {
    "lost_device": "Mất hoặc bị lấy cắp máy tính/USB",
    "unauthorised_access": "Truy cập trái phép",
    "wrong_disclosure": "Tiết lộ nhầm dữ liệu",
    "malware": "Mã độc, tấn công mạng",
    "other": "Khác",
}

# a small allowance for two PCs' clocks: "detected" a few minutes ahead is not the future
_CLOCK_SLACK = timedelta(minutes=5)


def kind_code(kind: str) -> str:
    """The stored code of a kind given as its code or its Vietnamese label."""
    text = clean_text(kind or "")
    if text in INCIDENT_KINDS:
        return text
    wanted = fold(text)
    for code, label in INCIDENT_KINDS.items():
        if fold(label) == wanted:
            return code
    raise ValidationError("Loại sự cố không hợp lệ. Chọn một trong: " + "; ".join(INCIDENT_KINDS.values()) + ".",
                          field="kind")


def report_deadline(detected_at: datetime) -> datetime:
    return detected_at + counter_rules().incident_report_within


@dataclass(frozen=True)
class Incident:
    id: str
    detected_at: datetime
    recorded_at: datetime
    recorded_by: str
    kind: str
    description: str
    data_affected: str = ""
    people_affected: int | None = None
    measures: str = ""
    reported_at: datetime | None = None
    reported_to: str = ""

    @property
    def kind_label(self) -> str:
        return INCIDENT_KINDS.get(self.kind, self.kind)

    @property
    def deadline(self) -> datetime:
        return report_deadline(self.detected_at)

    def overdue(self, now: datetime) -> bool:
        """Not reported and past the deadline, or reported late."""
        if self.reported_at is not None:
            return self.reported_at > self.deadline
        return now > self.deadline

    def status(self, now: datetime) -> str:
        if self.reported_at is not None:
            late = f" (quá {counter_rules().incident_hours_text})" if self.reported_at > self.deadline else ""
            return f"Đã báo cáo lúc {self.reported_at:%H:%M %d/%m/%Y}{late}"
        left = self.deadline - now
        if left.total_seconds() < 0:
            hours = int(-left.total_seconds() // 3600)
            return f"Quá hạn báo cáo {hours} giờ" if hours else "Quá hạn báo cáo"
        hours = int(left.total_seconds() // 3600)
        return f"Còn {hours} giờ để báo cáo" if hours else "Còn dưới 1 giờ để báo cáo"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Incident":
        return cls(
            id=row["id"], detected_at=datetime.fromisoformat(row["detected_at"]),
            recorded_at=datetime.fromisoformat(row["recorded_at"]), recorded_by=row["recorded_by"],
            kind=row["kind"], description=row["description"], data_affected=row["data_affected"],
            people_affected=row["people_affected"], measures=row["measures"],
            reported_at=datetime.fromisoformat(row["reported_at"]) if row["reported_at"] else None,
            reported_to=row["reported_to"],
        )


def check_incident(*, detected_at: datetime, kind: str, description: str, data_affected: str = "",
                   people_affected: int | str | None = None, measures: str = "",
                   now: datetime) -> dict[str, Any]:
    """The incident's fields cleaned, or a Vietnamese ValidationError naming the field."""
    if detected_at.tzinfo is None:
        raise ValidationError("Thời điểm phát hiện phải có múi giờ.", field="detected_at")
    if detected_at > now + _CLOCK_SLACK:
        raise ValidationError("Thời điểm phát hiện sự cố không thể ở tương lai.", field="detected_at")
    text = clean_text(description or "")
    if len(text) < 5:
        raise ValidationError("Phải mô tả sự cố (điều gì đã xảy ra, ở đâu, phát hiện thế nào).", field="description")
    people: int | None
    if people_affected in (None, ""):
        people = None
    else:
        try:
            people = int(str(people_affected).replace(".", "").strip())
        except ValueError:
            raise ValidationError("Số người bị ảnh hưởng phải là số nguyên.", field="people_affected") from None
        if people < 0:
            raise ValidationError("Số người bị ảnh hưởng không thể âm.", field="people_affected")
    return {
        "detected_at": detected_at, "kind": kind_code(kind), "description": text,
        "data_affected": clean_text(data_affected or ""), "people_affected": people,
        "measures": clean_text(measures or ""),
    }


def check_report(incident: Incident, *, reported_to: str, at: datetime, now: datetime) -> str:
    """Who was told, checked; returns it cleaned."""
    to = clean_text(reported_to or "")
    if len(to) < 3:
        raise ValidationError("Phải ghi cơ quan đã nhận thông báo (ví dụ Bộ Công an — A05).", field="reported_to")
    if incident.reported_at is not None:
        raise ValidationError("Sự cố này đã được ghi nhận là đã báo cáo.", field="reported_at")
    if at < incident.detected_at:
        raise ValidationError("Thời điểm báo cáo không thể trước thời điểm phát hiện sự cố.", field="reported_at")
    if at > now + _CLOCK_SLACK:
        raise ValidationError("Thời điểm báo cáo không thể ở tương lai.", field="reported_at")
    return to
