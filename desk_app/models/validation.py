"""Field validators. Each returns the normalised value or raises ``ValidationError`` whose
Vietnamese message the clerk reads as is, with ``field`` naming the field."""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from .errors import ValidationError
from .text import clean_text, fold, normalize_name
from .rules import counter_rules

__all__ = [
    "parse_date",
    "format_date",
    "validate_birth_date",
    "IdNumberInfo",
    "validate_id_number",
    "province_codes",
    "validate_phone",
    "validate_email",
    "validate_name",
    "validate_required",
]

PROVINCE_CODES_PATH = Path(__file__).resolve().parents[2] / "resources" / "reference" / "province_codes.json"

# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DMY_RE = re.compile(r"([0-9]{1,2}) ?([/.\-]) ?([0-9]{1,2}) ?\2 ?([0-9]+)")
_COMPACT_RE = re.compile(r"[0-9]{6}|[0-9]{8}")
_DATE_EXAMPLE = "ví dụ 05/09/1985"


def long_date(d: date) -> str:
    """"ngày 05 tháng 9 năm 2026", as Nghị định 30/2020/NĐ-CP writes a date: a zero before a day
    under 10 and before months 1 and 2 only ("tháng 01", "tháng 02", "tháng 9", "tháng 12")."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def format_date(d: date) -> str:
    """dd/mm/yyyy, the way Vietnamese forms print dates."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _make_date(day: int, month: int, year: int, field: str) -> date:
    shown = f"{day:02d}/{month:02d}/{year:04d}"
    if not 1 <= month <= 12:
        raise ValidationError(
            f"Ngày {shown} không tồn tại: tháng chỉ từ 1 đến 12.", field=field, code="no_such_date"
        )
    if not 1 <= year <= 9999:
        raise ValidationError(f"Ngày {shown} không tồn tại.", field=field, code="no_such_date")
    last = calendar.monthrange(year, month)[1]
    if day < 1:
        raise ValidationError(f"Ngày {shown} không tồn tại.", field=field, code="no_such_date")
    if day > last:
        raise ValidationError(
            f"Ngày {shown} không tồn tại: tháng {month} năm {year} chỉ có {last} ngày.",
            field=field,
            code="no_such_date",
        )
    return date(year, month, day)


def parse_date(text: str, field: str = "date") -> date:
    """Read a date typed by the clerk.

    Accepts dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy, ddmmyyyy and ISO yyyy-mm-dd.
    Two-digit years are refused: "85" could be 1885, 1985 or 2085.
    """
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    s = clean_text(text if isinstance(text, str) else ("" if text is None else str(text)))
    if not s:
        raise ValidationError("Chưa nhập ngày.", field=field, code="required")
    if m := _ISO_RE.fullmatch(s):
        return _make_date(int(m[3]), int(m[2]), int(m[1]), field)
    if m := _DMY_RE.fullmatch(s):
        day, month, year = m[1], m[3], m[4]
    elif m := _COMPACT_RE.fullmatch(s):
        day, month, year = s[:2], s[2:4], s[4:]
    else:
        raise ValidationError(
            f"Ngày “{s}” không đúng dạng ngày/tháng/năm ({_DATE_EXAMPLE}).", field=field, code="format"
        )
    if len(year) == 2:
        raise ValidationError(
            f"Năm phải ghi đủ 4 chữ số ({_DATE_EXAMPLE}, không ghi 05/09/85).", field=field, code="two_digit_year"
        )
    if len(year) != 4:
        raise ValidationError(
            f"Năm phải có đúng 4 chữ số; “{s}” có năm {len(year)} chữ số.", field=field, code="format"
        )
    return _make_date(int(day), int(month), int(year), field)


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


def validate_birth_date(d: date, today: date, field: str = "birth_date") -> date:
    """A birth date is not in the future and not before 1900."""
    d, today = _as_date(d), _as_date(today)
    if d > today:
        raise ValidationError(
            f"Ngày sinh {format_date(d)} ở sau ngày hôm nay ({format_date(today)}).", field=field, code="future"
        )
    if d.year < 1900:
        raise ValidationError(
            f"Ngày sinh {format_date(d)} trước năm 1900; kiểm tra lại năm sinh.", field=field, code="too_old"
        )
    return d


# --------------------------------------------------------------------------------------------
# Personal ID number (số định danh cá nhân) and old CMND
# --------------------------------------------------------------------------------------------

Sex = Literal["nam", "nữ"]


@dataclass(frozen=True)
class IdNumberInfo:
    """What a personal ID number tells. For a 9-digit CMND only ``number`` and ``kind`` are set."""

    number: str
    kind: Literal["cccd", "cmnd"]
    province_code: str | None
    province_name: str | None
    century: int | None
    sex: Sex | None
    birth_year_2digits: str | None
    warnings: tuple[str, ...] = ()

    @property
    def birth_year(self) -> int | None:
        if self.century is None or self.birth_year_2digits is None:
            return None
        return self.century + int(self.birth_year_2digits)


@lru_cache(maxsize=1)
def province_codes() -> Mapping[str, str]:
    """Province codes of the ID number, loaded once from the reference file."""
    with PROVINCE_CODES_PATH.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return {str(code): unicodedata.normalize("NFC", name) for code, name in data["codes"].items()}


_ID_SEPARATORS_RE = re.compile(r"[\s.\-\u2010-\u2015]")


def _normalise_sex(sex: str) -> Sex:
    key = fold(clean_text(sex))
    if key in ("nam", "male", "m"):
        return "nam"
    if key in ("nu", "female", "f"):
        return "nữ"
    raise ValidationError("Giới tính phải là “nam” hoặc “nữ”.", field="sex", code="invalid")


def validate_id_number(
    text: str,
    *,
    birth_date: date | int | None = None,
    sex: str | None = None,
    allow_cmnd: bool = False,
    field: str = "id_number",
    today: date | None = None,
) -> IdNumberInfo:
    """Check a personal ID number (12 digits) or, when ``allow_cmnd`` (an "old ID number" kept
    beside it), an old CMND (9 digits): the CMND is no identity paper since its validity ended
    (``counter_rules().cmnd_valid_until``).

    The 12-digit number has no check digit, so only its shape is checked. Digit 4 gives the
    century and sex, digits 5-6 the birth year: when they disagree with ``birth_date`` (a date
    or a year) or ``sex`` typed on the form, the number is refused with the digit explained (one
    of the two is a typo, and a paper must not carry both). An unknown province code is a
    warning. ``today`` defaults to the current date.
    """
    s = clean_text(text if isinstance(text, str) else ("" if text is None else str(text)))
    number = _ID_SEPARATORS_RE.sub("", s)
    if not number:
        raise ValidationError("Chưa nhập số định danh cá nhân.", field=field, code="required")
    bad = next((ch for ch in number if not "0" <= ch <= "9"), None)
    if bad is not None:
        raise ValidationError(
            f"Số định danh cá nhân chỉ gồm chữ số; ký tự “{bad}” không hợp lệ.", field=field, code="format"
        )
    if len(number) == 9:
        if not allow_cmnd:
            until = counter_rules().cmnd_valid_until
            raise ValidationError(
                f"Chứng minh nhân dân 9 chữ số không còn là giấy tờ tùy thân (chỉ có giá trị đến hết ngày "
                f"{until:%d/%m/%Y}, Luật Căn cước 2023): hãy nhập số định danh cá nhân 12 chữ số in trên thẻ "
                "căn cước hoặc căn cước công dân.",
                field=field,
                code="cmnd_not_allowed",
            )
        return IdNumberInfo(number, "cmnd", None, None, None, None, None, ())
    if len(number) != 12:
        expected = "12 chữ số (số chứng minh nhân dân cũ: 9 chữ số)" if allow_cmnd else "12 chữ số"
        raise ValidationError(
            f"Số định danh cá nhân phải có {expected}; số vừa nhập có {len(number)} chữ số.",
            field=field,
            code="length",
        )

    today = _as_date(today) if today is not None else date.today()
    code_digit = int(number[3])
    century = 1900 + (code_digit // 2) * 100
    id_sex: Sex = "nam" if code_digit % 2 == 0 else "nữ"
    yy = number[4:6]
    year = century + int(yy)
    if century > today.year // 100 * 100:
        raise ValidationError(
            f"Số định danh cá nhân không hợp lệ: chữ số thứ tư là {code_digit}, tức là sinh trong "
            f"các năm {century}–{century + 99}, chưa tới.",
            field=field,
            code="future",
        )
    if year > today.year:
        raise ValidationError(
            f"Số định danh cá nhân không hợp lệ: năm sinh ghi trong số (chữ số thứ tư đến thứ sáu) "
            f"là {year}, sau năm nay.",
            field=field,
            code="future",
        )

    warnings: list[str] = []
    province = number[:3]
    province_name = province_codes().get(province)
    if province_name is None:
        warnings.append(
            f"Mã tỉnh {province} (3 chữ số đầu) không có trong danh sách mã tỉnh; kiểm tra lại số định danh."
        )
    if birth_date is not None:
        given_year = birth_date if isinstance(birth_date, int) else birth_date.year
        if given_year != year:
            raise ValidationError(
                f"Số định danh không khớp với năm sinh đã nhập ({given_year}): chữ số thứ 4 là {code_digit} "
                f"(sinh trong các năm {century}–{century + 99}) và chữ số thứ 5–6 là {yy}, tức sinh năm {year}. "
                "Kiểm tra lại số định danh hoặc ngày sinh.",
                field=field,
                code="id_birth_year",
            )
    if sex is not None and clean_text(sex):
        given_sex = _normalise_sex(sex)
        if given_sex != id_sex:
            raise ValidationError(
                f"Số định danh không khớp với giới tính đã nhập ({given_sex}): chữ số thứ 4 là {code_digit}, "
                f"số chẵn là nam, số lẻ là nữ, tức {id_sex}. Kiểm tra lại số định danh hoặc giới tính.",
                field=field,
                code="id_sex",
            )
    return IdNumberInfo(number, "cccd", province, province_name, century, id_sex, yy, tuple(warnings))


# --------------------------------------------------------------------------------------------
# Phone and e-mail
# --------------------------------------------------------------------------------------------

_PHONE_SEPARATORS_RE = re.compile(r"[\s.\-()\u2010-\u2015]")
_MOBILE_PREFIXES = ("03", "05", "07", "08", "09")


def validate_phone(text: str, field: str = "phone") -> str:
    """A Vietnamese phone number as "0xxxxxxxxx": mobile 10 digits (03, 05, 07, 08, 09),
    landline 11 digits (02). Spaces, dots, dashes and a +84 / 84 / 0084 prefix are accepted."""
    s = clean_text(text if isinstance(text, str) else ("" if text is None else str(text)))
    compact = _PHONE_SEPARATORS_RE.sub("", s)
    if not compact:
        raise ValidationError("Chưa nhập số điện thoại.", field=field, code="required")
    international = False
    if compact.startswith("+"):
        compact = compact[1:]
        if not compact.startswith("84"):
            raise ValidationError(
                "Chỉ nhận số điện thoại Việt Nam (mã quốc gia +84).", field=field, code="foreign"
            )
        international = True
    elif compact.startswith("0084"):
        compact = compact[2:]
        international = True
    if not re.fullmatch(r"[0-9]+", compact):
        raise ValidationError(
            "Số điện thoại chỉ gồm chữ số (được có dấu cách, dấu chấm, dấu gạch ngang hoặc mã +84).",
            field=field,
            code="format",
        )
    # "84" without "+" is the country code only when the rest has the length of a number.
    if international or (compact.startswith("84") and len(compact) in (11, 12)):
        rest = compact[2:]
        number = rest if rest.startswith("0") else "0" + rest
    else:
        number = compact
    if not number.startswith("0"):
        raise ValidationError(
            "Số điện thoại phải bắt đầu bằng số 0 hoặc mã +84.", field=field, code="format"
        )
    prefix = number[:2]
    if prefix == "02":
        if len(number) != 11:
            raise ValidationError(
                f"Số máy bàn (đầu 02) phải có 11 chữ số; số vừa nhập có {len(number)} chữ số.",
                field=field,
                code="length",
            )
    elif prefix in _MOBILE_PREFIXES:
        if len(number) != 10:
            raise ValidationError(
                f"Số di động phải có 10 chữ số; số vừa nhập có {len(number)} chữ số.",
                field=field,
                code="length",
            )
    elif prefix == "01" and len(number) == 11:
        raise ValidationError(
            "Số di động 11 chữ số đầu 01 đã được đổi sang số 10 chữ số từ năm 2018; hãy nhập số mới.",
            field=field,
            code="old_prefix",
        )
    else:
        raise ValidationError(
            f"Đầu số {prefix} không phải đầu số điện thoại Việt Nam (di động: 03, 05, 07, 08, 09; máy bàn: 02).",
            field=field,
            code="prefix",
        )
    return number


_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_EMAIL_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_EMAIL_TLD_RE = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


def validate_email(text: str, field: str = "email") -> str:
    """A plain e-mail address; the domain is returned in lower case."""
    s = clean_text(text if isinstance(text, str) else ("" if text is None else str(text)))
    if not s:
        raise ValidationError("Chưa nhập địa chỉ thư điện tử.", field=field, code="required")
    if " " in s:
        raise ValidationError("Địa chỉ thư điện tử không được có dấu cách.", field=field, code="format")
    if not s.isascii():
        raise ValidationError(
            "Địa chỉ thư điện tử không được có chữ có dấu (hãy tắt bộ gõ tiếng Việt khi nhập).",
            field=field,
            code="format",
        )
    if s.count("@") != 1:
        raise ValidationError(
            "Địa chỉ thư điện tử phải có đúng một ký tự @, ví dụ ten@example.com.", field=field, code="format"
        )
    local, domain = s.split("@")
    domain = domain.lower()
    labels = domain.split(".")
    if (
        len(s) > 254
        or len(local) > 64
        or not _EMAIL_LOCAL_RE.fullmatch(local)
        or len(labels) < 2
        or not all(_EMAIL_LABEL_RE.fullmatch(label) for label in labels)
        or not _EMAIL_TLD_RE.fullmatch(labels[-1])
    ):
        raise ValidationError(
            f"Địa chỉ thư điện tử “{s}” không hợp lệ (ví dụ đúng: ten@example.com).", field=field, code="format"
        )
    return f"{local}@{domain}"


# --------------------------------------------------------------------------------------------
# Names and required fields
# --------------------------------------------------------------------------------------------

_NAME_MAX = 100


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def validate_name(text: str, field: str = "full_name") -> str:
    """A person's full name: Latin letters (every Vietnamese letter), spaces, and an
    apostrophe or hyphen inside a word for ethnic-minority or foreign names (H'Hen, Jean-Pierre).
    Returned capitalised the Vietnamese way."""
    name = normalize_name(text if isinstance(text, str) else ("" if text is None else str(text)))
    if not name:
        raise ValidationError("Chưa nhập họ, chữ đệm, tên.", field=field, code="required")
    if any(unicodedata.category(ch) == "Nd" for ch in name):
        raise ValidationError("Họ, chữ đệm, tên không được có chữ số.", field=field, code="digits")
    for ch in name:
        if not (_is_latin_letter(ch) or unicodedata.category(ch).startswith("M") or ch in " '-"):
            raise ValidationError(
                f"Họ, chữ đệm, tên chỉ gồm chữ cái, dấu cách, dấu nháy (') và dấu gạch nối (-); "
                f"không dùng được “{ch}”.",
                field=field,
                code="characters",
            )
    for word in name.split(" "):
        if word[0] in "'-" or word[-1] in "'-" or "--" in word or "''" in word or "'-" in word or "-'" in word:
            raise ValidationError(
                "Dấu nháy (') và dấu gạch nối (-) chỉ được đặt giữa hai chữ cái.",
                field=field,
                code="punctuation",
            )
    if sum(1 for ch in name if ch.isalpha()) < 2:
        raise ValidationError(
            "Họ, chữ đệm, tên quá ngắn (cần ít nhất 2 chữ cái).", field=field, code="too_short"
        )
    if len(name) > _NAME_MAX:
        raise ValidationError(
            f"Họ, chữ đệm, tên dài quá {_NAME_MAX} ký tự ({len(name)} ký tự).", field=field, code="too_long"
        )
    return name


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not clean_text(value)
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return len(value) == 0
    return False


def validate_required(values: Mapping[str, Any], required: Iterable[str], labels: Mapping[str, str]) -> list[str]:
    """Messages for the required fields left empty, in the order given:
    "Chưa nhập Họ, chữ đệm, tên." (the label is used as written)."""
    return [f"Chưa nhập {labels.get(key, key)}." for key in required if _is_missing(values.get(key))]
