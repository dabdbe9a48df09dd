"""Vietnam time. The counter's clock is injected (tests control it; see ``Counter``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

VN_TZ = timezone(timedelta(hours=7), "ICT")  # no daylight saving in Vietnam

Clock = Callable[[], datetime]


def vn_now() -> datetime:
    return datetime.now(VN_TZ).replace(microsecond=0)


def as_vn(value: datetime) -> datetime:
    """Attach Vietnam time to a naive wall-clock datetime; convert an aware one."""
    if value.tzinfo is None:
        return value.replace(tzinfo=VN_TZ)
    return value.astimezone(VN_TZ)
