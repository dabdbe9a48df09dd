"""How long a dossier's personal data is kept, and when it is due for purging.

The Personal Data Protection Law (91/2025/QH15) keeps personal data only as long as the purpose
needs, unless a law says longer. Each procedure of the catalogue carries its retention
(``Procedure.retention``: registers permanent, signature-certification copies 2 years, certified
transactions 20 years); a ward may override one with the setting ``retention.<procedure code>``
(a number of years, or "permanent"/"vĩnh viễn"). Only closed dossiers (returned, refused,
withdrawn) are ever due, counted from the day they were closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from .catalogue import Retention
from .errors import ValidationError
from .text import fold

CLOSED_STATUSES = ("returned", "refused", "withdrawn", "cancelled")
SETTING_PREFIX = "retention."
_PERMANENT_WORDS = {"permanent", "vinh vien", "vo thoi han"}


def setting_key(procedure_code: str) -> str:
    return f"{SETTING_PREFIX}{procedure_code}"


def parse_override(value: str | int, *, procedure_code: str = "") -> Retention:
    """A ward's setting: "5" (years) or "permanent" / "vĩnh viễn"."""
    text = " ".join(fold(str(value)).split())
    if text in _PERMANENT_WORDS:
        return Retention(permanent=True, note="Theo thiết lập của phường/xã.")
    if text.isdigit() and 1 <= int(text) <= 200:
        return Retention(years=int(text), note="Theo thiết lập của phường/xã.")
    where = f" của thủ tục {procedure_code}" if procedure_code else ""
    raise ValidationError(
        f"Thời hạn lưu trữ{where} không hợp lệ: “{value}”. Ghi số năm (1–200) hoặc “vĩnh viễn”.",
        field=setting_key(procedure_code) if procedure_code else "retention")


def effective_retention(procedure_code: str, catalogue_retention: Retention,
                        settings: Mapping[str, str]) -> Retention:
    """The catalogue's retention unless the ward set its own for this procedure."""
    override = settings.get(setting_key(procedure_code))
    if override is None or not str(override).strip():
        return catalogue_retention
    return parse_override(override, procedure_code=procedure_code)


def add_years(moment: datetime, years: int) -> datetime:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def expires_at(closed_at: datetime, retention: Retention) -> datetime | None:
    """When the personal data may be purged; None when it is kept permanently."""
    if retention.permanent or not retention.years:
        return None
    return add_years(closed_at, retention.years)


def purge_due(closed_at: datetime | None, retention: Retention, now: datetime) -> bool:
    """True when a dossier closed at ``closed_at`` is past its retention at ``now``. An open
    dossier (no closing date) or a permanent record is never due."""
    if closed_at is None:
        return False
    end = expires_at(closed_at, retention)
    return end is not None and now >= end


PURGE_STATES: dict[str, str] = {
    "listed": "Chờ lãnh đạo xác nhận",
    "confirmed": "Đã xác nhận, đang xóa",
    "done": "Đã xóa dữ liệu cá nhân",
    "cancelled": "Đã hủy bỏ",
}
SYSTEM_ACTOR = "system"  # a listing made by a command run without login


@dataclass(frozen=True)
class Purge:
    """A list of dossiers past retention, put to the leader; nothing is removed before
    ``confirmed_by`` is set."""

    id: str
    listed_at: datetime
    listed_by: str
    dossier_ids: tuple[str, ...]
    state: str
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    done_at: datetime | None = None
    kept_ids: tuple[str, ...] = ()  # listed, but no longer due when confirmed (e.g. a new action)
    scrubbed: bool | None = None  # on confirmation: whether the file was rewritten without the old bytes

    @property
    def state_label(self) -> str:
        return PURGE_STATES.get(self.state, self.state)

    @property
    def purged_count(self) -> int:
        return len(self.dossier_ids) - len(self.kept_ids) if self.state == "done" else 0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Purge":
        def dt(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(id=row["id"], listed_at=datetime.fromisoformat(row["listed_at"]), listed_by=row["listed_by"],
                   dossier_ids=tuple(json.loads(row["dossier_ids"])), state=row["state"],
                   confirmed_at=dt(row["confirmed_at"]), confirmed_by=row["confirmed_by"], done_at=dt(row["done_at"]),
                   kept_ids=tuple(json.loads(row.get("kept_ids") or "[]")))


@dataclass(frozen=True)
class PurgeGroup:
    """One line of the leader's screen: how many dossiers of a procedure are due."""

    procedure_code: str
    procedure_name: str
    retention: str  # "2 năm", "20 năm"
    count: int
