"""The catalogue of procedures the counter receives.

Codes, time limits, fees and wording change with the law, so they live in
``resources/catalogue/procedures.json`` (later distributed by the district server), never in code.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from datetime import date
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .deadlines import TimeLimit
from .errors import DomainError, ValidationError
from .fees import FeeSpec, describe as describe_fee, settings_on
from .text import fold, nfc

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "resources" / "catalogue" / "procedures.json"

PAPER_KINDS = ("original", "certified_copy", "copy", "shown")
PAPER_KIND_LABELS = {
    "original": "Bản chính",
    "certified_copy": "Bản sao chứng thực",
    "copy": "Bản sao",
    "shown": "Xuất trình",
}
SOLVED_BY = ("ward", "higher")

_PROCEDURE_KEYS = {
    "code", "name", "domain", "solved_by", "time_limit", "time_limit_note", "fee", "fee_changes", "fee_note",
    "fee_exemptions", "legal_basis", "components", "process", "submit_channels", "result",
    "declaration_template", "retention", "requires_presence", "active", "on_time_window_days", "on_time_from",
    "on_time_exemption",
    "location_independent", "handover_hours",
}
# The hand-overs of a transferred dossier that can carry a step time, in working hours: the
# ward's part (receipt -> sent up) and the solving body's part (sent up -> result back).
HANDOVER_STEPS = ("transferred", "transfer_returned")
_REQUIRED_KEYS = (
    "code", "name", "domain", "solved_by", "time_limit", "fee", "components", "result",
    "declaration_template", "retention",
)


@dataclass(frozen=True)
class Component:
    """One paper of the dossier (thành phần hồ sơ), for the intake check-list."""

    name: str
    paper_kind: str
    count: int = 1
    required: bool = True
    note: str = ""

    @property
    def paper_kind_label(self) -> str:
        return PAPER_KIND_LABELS[self.paper_kind]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "paper_kind": self.paper_kind, "count": self.count, "required": self.required,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Retention:
    """How long the record is kept: ``years`` or permanently."""

    years: int | None = None
    permanent: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"permanent": True} if self.permanent else {"years": self.years}
        if self.note:
            out["note"] = self.note
        return out

    def describe(self) -> str:
        return "Vĩnh viễn" if self.permanent else f"{self.years} năm"


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    domain: str
    solved_by: str
    time_limit: TimeLimit
    fee: FeeSpec
    components: tuple[Component, ...]
    result: str
    declaration_template: str
    retention: Retention
    time_limit_note: str = ""
    fee_note: str = ""
    fee_exemptions: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()
    process: tuple[str, ...] = ()
    submit_channels: tuple[str, ...] = ()
    requires_presence: tuple[str, ...] = ()
    on_time_window_days: int | None = None  # registered later than this is late (the late fee applies)
    on_time_from: str = ""  # the form field the window counts from, e.g. "child.birth_date"
    on_time_exemption: str = ""  # the exemption the window decides (not the clerk's to choose)
    active: bool = True
    location_independent: bool = False  # may be received for a citizen of another ward and routed there
    handover_hours: Mapping[str, float] = field(default_factory=dict)  # step -> working hours
    # a fee that changes on a day: (from, spec, source), oldest first; ``fee`` is the one before
    fee_changes: tuple[tuple[date, FeeSpec, str], ...] = ()
    search_key: str = field(default="", init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "search_key", fold(f"{self.code} {self.name}"))

    def fee_on(self, day: date) -> FeeSpec:
        """The fee in force on ``day``: a dossier pays the fee of the day it is received, and keeps
        it whenever its papers are printed again."""
        spec = self.fee
        for start, changed, _source in self.fee_changes:
            if start <= day:
                spec = changed
        return spec

    def fee_wording(self, settings: Mapping[str, str] | None, day: date) -> str:
        """The fee as the papers and screens word it, in force on ``day`` (the province's
        amounts set for that day included)."""
        return describe_fee(self.fee_on(day), settings_on(settings, day))

    @property
    def chosen_fee_exemptions(self) -> tuple[str, ...]:
        """The exemptions the clerk chooses on proof (the one the window decides is computed)."""
        return tuple(e for e in self.fee_exemptions if e != self.on_time_exemption)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "domain": self.domain,
            "solved_by": self.solved_by,
            "time_limit": self.time_limit.to_dict(),
        }
        if self.time_limit_note:
            out["time_limit_note"] = self.time_limit_note
        if self.on_time_window_days is not None:
            out["on_time_window_days"] = self.on_time_window_days
        if self.on_time_from:
            out["on_time_from"] = self.on_time_from
        if self.on_time_exemption:
            out["on_time_exemption"] = self.on_time_exemption
        if self.location_independent:
            out["location_independent"] = True
        if self.handover_hours:
            out["handover_hours"] = dict(self.handover_hours)
        out["fee"] = self.fee.to_dict()
        if self.fee_changes:
            out["fee_changes"] = [{"from": start.isoformat(), "fee": spec.to_dict(), "source": source}
                                  for start, spec, source in self.fee_changes]
        if self.fee_note:
            out["fee_note"] = self.fee_note
        out.update(
            fee_exemptions=list(self.fee_exemptions),
            legal_basis=list(self.legal_basis),
            components=[c.to_dict() for c in self.components],
            process=list(self.process),
            submit_channels=list(self.submit_channels),
            result=self.result,
            declaration_template=self.declaration_template,
            retention=self.retention.to_dict(),
            requires_presence=list(self.requires_presence),
            active=self.active,
        )
        return out


@dataclass(frozen=True)
class Catalogue:
    version: str
    procedures: tuple[Procedure, ...]
    jurisdiction: str = ""
    note: str = ""

    @cached_property
    def _by_code(self) -> dict[str, Procedure]:
        return {p.code: p for p in self.procedures}

    def get(self, code: str) -> Procedure:
        found = self._by_code.get(nfc(code.strip()))
        if found is not None:
            return found
        code = nfc(code.strip())
        raise DomainError(f"Không tìm thấy thủ tục có mã {code}.", code="procedure_not_found")

    def name_of(self, code: str) -> str:
        """What screens and papers call a procedure: its name, or its code when this catalogue
        does not have it (a dossier pulled from a counter with a newer catalogue)."""
        try:
            return self.get(code).name
        except DomainError:
            return code

    def active(self) -> list[Procedure]:
        return [p for p in self.procedures if p.active]

    def find(self, query: str) -> list[Procedure]:
        """Procedures matching a code prefix, or all query words as prefixes of name words.

        Without diacritics and in any order: "kh sinh" finds "Đăng ký khai sinh".
        """
        words = re.findall(r"[\w.]+", fold(nfc(query)))
        if not words:
            return list(self.procedures)
        code_query = "".join(words)
        hits = []
        for proc in self.procedures:
            if proc.code.startswith(code_query):
                hits.append(proc)
                continue
            name_words = re.findall(r"\w+", proc.search_key)
            if all(any(w.startswith(q.strip(".")) for w in name_words) for q in words):
                hits.append(proc)
        # the most specific first: "khai sinh" puts "Đăng ký khai sinh" before the longer
        # "Đăng ký khai sinh kết hợp nhận cha, mẹ, con"; a code prefix before any name match
        return sorted(hits, key=lambda p: (not p.code.startswith(code_query), len(p.name)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version}
        if self.jurisdiction:
            out["jurisdiction"] = self.jurisdiction
        if self.note:
            out["note"] = self.note
        out["procedures"] = [p.to_dict() for p in self.procedures]
        return out


def load_catalogue(path: Path | None = None) -> Catalogue:
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DomainError(f"Không tìm thấy tệp danh mục thủ tục: {path}", code="catalogue_missing") from exc
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"Tệp danh mục thủ tục không đúng định dạng JSON (dòng {exc.lineno}): {path}", field="catalogue"
        ) from exc
    return parse_catalogue(data)


def parse_catalogue(data: dict[str, Any]) -> Catalogue:
    if not isinstance(data, dict):
        raise ValidationError("Danh mục thủ tục phải là một đối tượng JSON.", field="catalogue")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValidationError("Danh mục thủ tục thiếu số phiên bản (version).", field="version")
    raw = data.get("procedures")
    if not isinstance(raw, list) or not raw:
        raise ValidationError("Danh mục thủ tục không có thủ tục nào (procedures).", field="procedures")
    procedures: list[Procedure] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        proc = parse_procedure(entry, position=i + 1)
        if proc.code in seen:
            raise ValidationError(f"Mã thủ tục {proc.code} bị trùng trong danh mục.", field="code")
        seen.add(proc.code)
        procedures.append(proc)
    return Catalogue(
        version=nfc(version.strip()),
        procedures=tuple(procedures),
        jurisdiction=_opt_str(data, "jurisdiction"),
        note=_opt_str(data, "note"),
    )


def _opt_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return nfc(value) if isinstance(value, str) else ""


class _EntryReader:
    """Reads one entry, prefixing every error with the procedure code and field."""

    def __init__(self, entry: dict[str, Any], label: str) -> None:
        self.entry = entry
        self.label = label

    def fail(self, key: str, message: str) -> ValidationError:
        return ValidationError(f"Thủ tục {self.label}, trường {key}: {message}", field=key)

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.entry.get(key, None)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "phải là chuỗi không rỗng.")
        return nfc(value.strip())

    def texts(self, key: str, *, non_empty: bool = False) -> tuple[str, ...]:
        value = self.entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "phải là danh sách các chuỗi không rỗng.")
        if non_empty and not value:
            raise self.fail(key, "không được để trống.")
        return tuple(nfc(v.strip()) for v in value)

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise self.fail(key, f"giá trị {value!r} không hợp lệ; chỉ chấp nhận: {', '.join(allowed)}.")
        return value


def parse_procedure(entry: Any, *, position: int = 0) -> Procedure:
    if not isinstance(entry, dict):
        raise ValidationError(f"Thủ tục thứ {position} trong danh mục không phải đối tượng JSON.", field="procedures")
    code = entry.get("code")
    label = nfc(code) if isinstance(code, str) and code.strip() else f"thứ {position} (chưa có mã)"
    r = _EntryReader(entry, label)
    unknown = set(entry) - _PROCEDURE_KEYS
    if unknown:
        raise r.fail(", ".join(sorted(unknown)), "trường không được hỗ trợ.")
    for key in _REQUIRED_KEYS:
        if key not in entry:
            raise r.fail(key, "bị thiếu.")

    try:
        time_limit = TimeLimit.from_dict(entry["time_limit"])
    except ValidationError as exc:
        raise r.fail("time_limit", exc.message) from exc
    try:
        fee = FeeSpec.from_dict(entry["fee"])
    except ValidationError as exc:
        raise r.fail(exc.field or "fee", exc.message) from exc

    fee_changes = []
    raw_changes = entry.get("fee_changes", [])
    if not isinstance(raw_changes, list):
        raise r.fail("fee_changes", "phải là danh sách các lần thay đổi mức thu (from, fee, source).")
    for i, change in enumerate(raw_changes, 1):
        if not isinstance(change, dict) or set(change) - {"from", "fee", "source"} or not change.get("source"):
            raise r.fail(f"fee_changes[{i}]", "mỗi lần thay đổi ghi ngày áp dụng (from), mức thu (fee) và văn bản "
                         "quy định (source).")
        try:
            start = date.fromisoformat(str(change.get("from")))
            spec = FeeSpec.from_dict(change.get("fee"), field=f"fee_changes[{i}].fee")
        except ValueError:
            raise r.fail(f"fee_changes[{i}].from", "ngày áp dụng phải viết YYYY-MM-DD.") from None
        except ValidationError as exc:
            raise r.fail(exc.field or f"fee_changes[{i}].fee", exc.message) from exc
        if fee_changes and start <= fee_changes[-1][0]:
            raise r.fail(f"fee_changes[{i}].from", "các lần thay đổi phải theo thứ tự ngày áp dụng tăng dần.")
        fee_changes.append((start, spec, nfc(str(change["source"]))))

    window = entry.get("on_time_window_days")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1):
        raise r.fail("on_time_window_days", "phải là số ngày nguyên từ 1 trở lên.")
    window_from = r.text("on_time_from", required=False)
    if window_from and window is None:
        raise r.fail("on_time_from", "chỉ dùng cùng on_time_window_days.")
    on_time_exemption = r.text("on_time_exemption", required=False)
    if on_time_exemption and on_time_exemption not in r.texts("fee_exemptions"):
        raise r.fail("on_time_exemption", "phải là một trường hợp trong fee_exemptions.")
    active = entry.get("active", True)
    if not isinstance(active, bool):
        raise r.fail("active", "phải là true hoặc false.")
    independent = entry.get("location_independent", False)
    if not isinstance(independent, bool):
        raise r.fail("location_independent", "phải là true hoặc false.")
    handover = entry.get("handover_hours", {})
    if not isinstance(handover, dict) or set(handover) - set(HANDOVER_STEPS) or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in handover.values()):
        raise r.fail("handover_hours", "phải ghi số giờ làm việc (lớn hơn 0) cho các bước "
                     + ", ".join(HANDOVER_STEPS) + ".")
    template = r.text("declaration_template")
    if not template.replace("_", "").isalnum() or not template.isascii():
        raise r.fail("declaration_template", "mã mẫu tờ khai chỉ gồm chữ Latinh không dấu, số và dấu gạch dưới.")

    return Procedure(
        code=r.text("code"),
        name=r.text("name"),
        domain=r.text("domain"),
        solved_by=r.choice("solved_by", SOLVED_BY),
        time_limit=time_limit,
        time_limit_note=r.text("time_limit_note", required=False),
        fee=fee,
        fee_changes=tuple(fee_changes),
        fee_note=r.text("fee_note", required=False),
        fee_exemptions=r.texts("fee_exemptions"),
        legal_basis=r.texts("legal_basis"),
        components=_components(r),
        process=r.texts("process"),
        submit_channels=r.texts("submit_channels"),
        result=r.text("result"),
        declaration_template=template,
        retention=_retention(r),
        requires_presence=r.texts("requires_presence"),
        on_time_window_days=window,
        on_time_from=window_from,
        on_time_exemption=on_time_exemption,
        active=active,
        location_independent=independent,
        handover_hours={k: float(v) for k, v in handover.items()},
    )


def _components(r: _EntryReader) -> tuple[Component, ...]:
    raw = r.entry["components"]
    if not isinstance(raw, list) or not raw:
        raise r.fail("components", "phải có ít nhất một thành phần hồ sơ.")
    out = []
    for i, item in enumerate(raw, start=1):
        key = f"components[{i}]"
        if not isinstance(item, dict):
            raise r.fail(key, "phải là một đối tượng JSON.")
        unknown = set(item) - {"name", "paper_kind", "count", "required", "note"}
        if unknown:
            raise r.fail(key, "trường không được hỗ trợ: " + ", ".join(sorted(unknown)) + ".")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise r.fail(f"{key}.name", "thiếu tên giấy tờ.")
        kind = item.get("paper_kind")
        if kind not in PAPER_KINDS:
            raise r.fail(f"{key}.paper_kind", f"loại giấy tờ {kind!r} không hợp lệ; chỉ chấp nhận: {', '.join(PAPER_KINDS)}.")
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise r.fail(f"{key}.count", "số lượng phải là số nguyên từ 1 trở lên.")
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise r.fail(f"{key}.required", "phải là true hoặc false.")
        note = item.get("note", "")
        if not isinstance(note, str):
            raise r.fail(f"{key}.note", "ghi chú phải là chuỗi.")
        out.append(Component(nfc(name.strip()), kind, count, required, nfc(note.strip())))
    return tuple(out)


def _retention(r: _EntryReader) -> Retention:
    raw = r.entry["retention"]
    if not isinstance(raw, dict) or set(raw) - {"years", "permanent", "note"}:
        raise r.fail("retention", 'phải có dạng {"years": N} hoặc {"permanent": true}.')
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise r.fail("retention.note", "ghi chú phải là chuỗi.")
    if raw.get("permanent") is True and "years" not in raw:
        return Retention(permanent=True, note=nfc(note))
    years = raw.get("years")
    if "permanent" in raw or isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise r.fail("retention", 'phải có dạng {"years": N} (N ≥ 1) hoặc {"permanent": true}.')
    return Retention(years=years, note=nfc(note))
