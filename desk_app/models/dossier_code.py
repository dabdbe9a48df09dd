"""Dossier codes: readable, unique across every counter of a ward while offline, never reused.

Format ``WARD-Qcc-YYMMDD-NNNN``, for example ``26734-Q01-261122-0007``:
  WARD    the ward's administrative code (digits, as the province lists it);
  Qcc     the counter number, two digits (Q = quầy); each counter of a ward has its own
          number, so two counters offline never produce the same code;
  YYMMDD  the receipt date on the counter's clock;
  NNNN    that counter's sequence for the day, from 0001, taken in the same
          transaction that saves the dossier (a number is never handed out twice).
The upstream system may later issue its own official code; the dossier keeps both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .errors import ValidationError

CODE_PATTERN = re.compile(r"^(?P<ward>\d{3,8})-Q(?P<counter>\d{2})-(?P<day>\d{6})-(?P<seq>\d{4,})$")


@dataclass(frozen=True)
class DossierCode:
    ward: str
    counter: int
    day: date
    seq: int

    def __str__(self) -> str:
        return f"{self.ward}-Q{self.counter:02d}-{self.day:%y%m%d}-{self.seq:04d}"


def validate_ward_code(ward: str) -> str:
    ward = (ward or "").strip()
    if not re.fullmatch(r"\d{3,8}", ward):
        raise ValidationError("Mã đơn vị hành chính của phường/xã phải gồm 3 đến 8 chữ số.", field="ward_code")
    return ward


def validate_counter_no(counter: int | str) -> int:
    try:
        number = int(counter)
    except (TypeError, ValueError):
        raise ValidationError("Số quầy phải là số từ 1 đến 99.", field="counter") from None
    if not 1 <= number <= 99:
        raise ValidationError("Số quầy phải là số từ 1 đến 99.", field="counter")
    return number


def make_code(ward: str, counter: int, day: date, seq: int) -> str:
    if seq < 1:
        raise ValueError("sequence starts at 1")
    return str(DossierCode(validate_ward_code(ward), validate_counter_no(counter), day, seq))


def parse_code(text: str) -> DossierCode:
    match = CODE_PATTERN.match((text or "").strip().upper())
    if not match:
        raise ValidationError(f"Mã hồ sơ không đúng định dạng: {text!r} (ví dụ 26734-Q01-261122-0007).",
                              field="code")
    raw = match["day"]
    try:
        day = date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError:
        raise ValidationError(f"Mã hồ sơ có ngày không hợp lệ: {text!r}.", field="code") from None
    return DossierCode(match["ward"], int(match["counter"]), day, int(match["seq"]))
