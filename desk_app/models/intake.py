"""Rules at intake: the applicant's data and the completeness of the papers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

from .catalogue import Procedure
from .errors import ValidationError
from .fees import FeeQuote, compute_fee, settings_on
from .text import clean_text
from .validation import (
    parse_date,
    validate_birth_date,
    validate_email,
    validate_id_number,
    validate_name,
    validate_phone,
)

PERSON_FIELDS = ("full_name", "id_number", "birth_date", "sex", "phone", "email", "address")
SEX_VALUES = {"nam": "nam", "nu": "nữ", "nữ": "nữ", "m": "nam", "f": "nữ"}

PAPER_KIND_LABELS = {
    "original": "Bản chính",
    "certified_copy": "Bản sao có chứng thực",
    "copy": "Bản chụp",
    "shown": "Xuất trình",
}


@dataclass(frozen=True)
class Person:
    """A citizen as typed at the counter, validated and normalised."""

    full_name: str
    id_number: str | None = None
    birth_date: str | None = None  # ISO yyyy-mm-dd
    sex: str | None = None  # "nam" | "nữ"
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    warnings: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # other fields a form asks (ethnicity…)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in {
            **self.extra,
            "full_name": self.full_name, "id_number": self.id_number, "birth_date": self.birth_date,
            "sex": self.sex, "phone": self.phone, "email": self.email, "address": self.address,
        }.items() if v}


def _text(value: Any) -> str:
    return clean_text(str(value)) if value is not None else ""


def normalize_person(data: Mapping[str, Any], *, today: date, prefix: str = "",
                     require_id: bool = False) -> Person:
    """Validate a person's fields. Errors raise ValidationError (field = prefix + name);
    disagreements between the ID number and birth year or sex are warnings."""
    full_name = validate_name(_text(data.get("full_name")), field=prefix + "full_name")
    birth: date | None = None
    raw_birth = data.get("birth_date")
    if isinstance(raw_birth, date):
        birth = validate_birth_date(raw_birth, today, field=prefix + "birth_date")
    elif _text(raw_birth):
        birth = validate_birth_date(parse_date(_text(raw_birth), field=prefix + "birth_date"), today,
                                    field=prefix + "birth_date")
    sex = None
    if _text(data.get("sex")):
        sex = SEX_VALUES.get(_text(data.get("sex")).lower())
        if sex is None:
            raise ValidationError("Giới tính chỉ nhận “Nam” hoặc “Nữ”.", field=prefix + "sex")
    warnings: tuple[str, ...] = ()
    id_number = None
    if _text(data.get("id_number")):
        info = validate_id_number(_text(data.get("id_number")), birth_date=birth, sex=sex,
                                  field=prefix + "id_number")
        id_number, warnings = info.number, tuple(info.warnings)
    elif require_id:
        raise ValidationError("Chưa nhập số định danh cá nhân (CCCD).", field=prefix + "id_number")
    phone = validate_phone(_text(data.get("phone")), field=prefix + "phone") if _text(data.get("phone")) else None
    email = validate_email(_text(data.get("email")), field=prefix + "email") if _text(data.get("email")) else None
    address = _text(data.get("address")) or None
    extra = {k: _text(v) if isinstance(v, str) else v for k, v in data.items()
             if k not in PERSON_FIELDS and v not in (None, "")}
    return Person(full_name, id_number, birth.isoformat() if birth else None, sex, phone, email, address, warnings,
                  extra)


@dataclass(frozen=True)
class PaperReceived:
    name: str
    paper_kind: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "paper_kind": self.paper_kind, "count": self.count}


def papers_from_checklist(procedure: Procedure, ticked: Iterable[str] | None) -> list[PaperReceived]:
    """The papers received, from the names the clerk ticked (None = the required components)."""
    if ticked is None:
        return [PaperReceived(c.name, c.paper_kind, c.count) for c in procedure.components if c.required]
    names = {clean_text(n) for n in ticked}
    return [PaperReceived(c.name, c.paper_kind, c.count) for c in procedure.components if c.name in names]


def _count(values: Mapping[str, Any], key: str, default: int) -> int:
    raw = values.get(key)
    try:
        return max(int(raw), 0) if raw not in (None, "") else default
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class Timeliness:
    """Whether a registration is made within the window the law gives (the late fee applies
    after it): ``late`` is None when it cannot be told, with ``line`` saying why."""

    late: bool | None
    line: str = ""


def registration_timeliness(procedure: Procedure, form_values: Mapping[str, Any], today: date) -> Timeliness:
    """Late registration (e.g. a birth after 60 days, a death after 15), from the catalogue's
    ``on_time_window_days`` counted from the form field ``on_time_from``."""
    window = procedure.on_time_window_days
    if window is None:
        return Timeliness(False)
    if not procedure.on_time_from:
        return Timeliness(None, f"Danh mục chưa ghi ngày bắt đầu tính thời hạn {window} ngày; "
                                "chưa xác định được đăng ký đúng hạn hay quá hạn.")
    raw = form_values.get(procedure.on_time_from)
    try:
        start = raw if isinstance(raw, date) else parse_date(str(raw), field=procedure.on_time_from)
    except ValidationError:
        return Timeliness(None, "Chưa nhập ngày bắt đầu tính thời hạn đăng ký: chưa xác định được "
                                "đăng ký đúng hạn hay quá hạn.")
    days = (today - start).days
    if days > window:
        return Timeliness(True, f"Đăng ký quá hạn: {days} ngày kể từ ngày {start:%d/%m/%Y}, "
                                f"quá thời hạn {window} ngày.")
    return Timeliness(False, f"Đăng ký đúng hạn (trong {window} ngày kể từ ngày {start:%d/%m/%Y}).")


def fee_exemption(procedure: Procedure, form_values: Mapping[str, Any]) -> str:
    """The exemption the clerk chose (form field ``fee_exempt``), one of the catalogue's."""
    chosen = clean_text(str(form_values.get("fee_exempt") or ""))
    if not chosen:
        return ""
    for case in procedure.chosen_fee_exemptions:
        if case.casefold() == chosen.casefold():
            return case
    raise ValidationError(f"“{chosen}” không phải trường hợp được miễn lệ phí của thủ tục này.", field="fee_exempt")


def quote_fee(procedure: Procedure, form_values: Mapping[str, Any], settings: Mapping[str, str] | None = None,
              *, today: date, online: bool = False) -> FeeQuote:
    """What the citizen pays at intake, from the catalogue's fee and the typed counts
    (``pages`` and ``copies`` for certified copies, ``quantity`` otherwise), the late fee when
    registered after the legal window, nothing for an exemption the clerk chose."""
    timeliness = registration_timeliness(procedure, form_values, today)
    exemption = fee_exemption(procedure, form_values)
    settings = settings_on(settings, today)  # the fee and the province's amounts in force today
    quote = compute_fee(procedure.fee_on(today), quantity=max(1, _count(form_values, "quantity", 1)),
                        pages=_count(form_values, "pages", 1), copies=max(1, _count(form_values, "copies", 1)),
                        exempt=bool(exemption), late=bool(timeliness.late), online=online, settings=settings)
    lines = [timeliness.line] if timeliness.line else []
    if exemption:
        lines.append(f"Trường hợp được miễn: {exemption}.")
    return FeeQuote(quote.amount, (*lines, *quote.lines), late=bool(timeliness.late), exemption=exemption)


def papers_on_file(actions: Iterable[Any]) -> list[dict[str, Any]]:
    """Every paper the dossier holds, as each paper lists them: those handed in at intake, then
    those brought at the supplement (each with ``brought_at``), one line per component."""
    out: dict[str, dict[str, Any]] = {}
    for action in actions:
        if "dossier" in action.payload and not out:
            for p in action.payload["dossier"].get("papers") or []:
                out[p["name"]] = dict(p)
        elif action.kind == "supplemented":
            for p in action.payload.get("papers") or []:
                if p["name"] not in out:
                    out[p["name"]] = {**p, "brought_at": action.at}
    return list(out.values())


def missing_components(procedure: Procedure, received: Iterable[PaperReceived]) -> list[str]:
    """Required components not received: each becomes an item of the one supplement request."""
    have = {p.name for p in received}
    return [c.name for c in procedure.components if c.required and c.name not in have]
