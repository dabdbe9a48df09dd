"""Personal data (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15): masking for lists, the access log's
vocabulary, and what counts as a search by ID number.

Plain rules, no storage: the access log is written by ``Counter`` into ``access_log`` (schema 7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Mapping

from .text import nfc

__all__ = [
    "ACCESS_KINDS",
    "CLI_ACTOR",
    "AccessFilter",
    "id_number_query",
    "mask_id_number",
    "mask_phone",
]

# What the leader reads in "Nhật ký truy cập"; the keys are what access_log.kind holds.
ACCESS_KINDS: dict[str, str] = {
    "view_record": "Xem hồ sơ",
    "print": "In giấy tờ",
    "export": "Xuất dữ liệu",
    "search_id": "Tìm theo số định danh",
}

# The clerk column of an entry written by a command run without login (desk-app report).
CLI_ACTOR = "(dòng lệnh)"

_SEPARATORS = re.compile(r"[\s.\-]")


def _compact(value: Any) -> str:
    return _SEPARATORS.sub("", nfc("" if value is None else str(value)))


def mask_id_number(value: Any) -> str:
    """``001234567889`` -> ``0012******89``; a 9-digit CMND ``012345678`` -> ``0123***78``.

    Lists and the access log show no full ID number: enough to tell two people apart at the
    counter, not enough to be the number. Separators typed with it are dropped."""
    text = _compact(value)
    if len(text) <= 6:
        return "*" * len(text)  # too short to be a real number: show nothing of it
    return text[:4] + "*" * (len(text) - 6) + text[-2:]


def mask_phone(value: Any) -> str:
    """``0912345678`` -> ``0912***678``; a landline ``02393855123`` -> ``0239****123``."""
    text = _compact(value)
    if len(text) <= 7:
        return "*" * max(0, len(text) - 3) + text[-3:]
    return text[:4] + "*" * (len(text) - 7) + text[-3:]


def id_number_query(query: Any) -> str | None:
    """The digits when a search query is an ID number (12-digit CCCD or 9-digit CMND, typed with
    or without separators), else None. Phone numbers (10 or 11 digits) are not ID numbers."""
    text = _compact(query)
    if text.isascii() and text.isdigit() and len(text) in (9, 12):
        return text
    return None


@dataclass(frozen=True)
class AccessFilter:
    """What the leader filters the access log by: a period of days (both ends included), a clerk,
    a kind. Empty means any."""

    start: date | None = None
    end: date | None = None
    clerk: str = ""
    kind: str = ""

    @classmethod
    def of(cls, value: "AccessFilter | Mapping[str, Any] | None") -> "AccessFilter":
        if value is None:
            return cls()
        if isinstance(value, AccessFilter):
            return value
        return cls(**dict(value))

    def bounds(self, tz: tzinfo | None) -> tuple[str | None, str | None]:
        """ISO lower bound (included) and upper bound (excluded) of ``at`` for the period."""
        lo = datetime.combine(self.start, time(0, 0), tz).isoformat() if self.start else None
        hi = datetime.combine(self.end + timedelta(days=1), time(0, 0), tz).isoformat() if self.end else None
        return lo, hi
