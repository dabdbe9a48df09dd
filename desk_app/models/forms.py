"""Forms as data: a template (TOML in ``forms_templates/``) declares the fields the clerk types
and the layout of the printed paper. The same template drives the entry screen and the PDF.

A template has ``id``, ``version``, ``kind`` (declaration, slip, listing, book, report), for slips the
``slip_type`` (receipt, supplement, refusal, apology, stop_notice, control, book) and the form
number and circular it follows, then ``[[fields]]``, ``[[derived]]`` and ``[[blocks]]``.
Placeholders are ``{path}`` or ``{path|filter}``. A broken template is refused at load with a
message naming the file and line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Mapping

from .errors import DomainError, ValidationError
from .text import clean_text, nfc
from .validation import (
    format_date,
    parse_date,
    validate_birth_date,
    validate_email,
    validate_id_number,
    validate_name,
    validate_phone,
)
from .words import date_in_words, money_in_words, number_in_words
from .wording import WORDING_FILE

KINDS = ("declaration", "slip", "listing", "book", "report", "fragment")  # fragment: fields only, shared by screens
PAPER_TYPES = ("receipt", "supplement", "refusal", "apology", "stop_notice", "control", "book", "listing",
              "declaration")
FIELD_TYPES = ("text", "multiline", "name", "date", "birth_date", "cccd", "phone", "email", "choice",
               "number", "money", "bool")
BLOCK_TYPES = ("header", "motto", "title", "paragraph", "line", "row", "table", "list", "signatures",
               "note", "spacer", "page_break")
FILTERS = ("date", "time", "hm", "datetime", "date_long", "date_words", "money", "money_words", "number_words",
           "upper", "yesno", "masked", "lower")
DERIVED_FUNCTIONS = ("date_in_words", "money_in_words", "number_in_words", "age", "upper", "year")

# What a slip, listing or book may print besides its own fields: the context the printing
# package builds. Lists name the keys of their items.
CONTEXT_SCHEMA: dict[str, Any] = {
    "ward": ["name", "code", "body", "body_lines", "unit", "unit_lines", "place", "province", "address", "phone", "hotline", "head_title",
             "head_name"],
    "counter": ["number"],
    "clerk": ["full_name", "username"],
    "printed": ["at", "date", "copy_kind", "copy_label"],
    "declared": ["at", "date"],
    "verify": ["text", "signature"],
    "dossier": ["code", "official_code", "received_at", "due_at", "original_due_at", "returned_at",
                "status", "sets", "time_limit", "fee", "result_place", "book_line", "request", "home_unit", "receipt_due_at",
                "returned_at_once",
                {"papers": ["index", "name", "paper_kind", "count"]},
                {"steps": ["index", "from_unit", "to_unit", "at", "due", "due_text", "verdict", "note", "people"]}],
    "procedure": ["code", "name", "domain", "time_limit", "fee", "result", "solved_by", "channels",
                  {"components": ["index", "name", "paper_kind", "count", "required"]},
                  {"process": ["index", "text"]},
                  {"legal_basis": ["index", "text"]},
                  {"exemptions": ["index", "text"]}],
    "applicant": ["full_name", "id_number", "birth_date", "sex", "phone", "email", "address"],
    "principal": ["full_name", "id_number", "birth_date", "sex", "phone", "email", "address"],
    "authorisation": ["text"],
    "supplement": ["reason", "contact", "at", {"items": ["index", "text"]}],
    "refusal": ["reason", "at"],
    "apology": ["reason", "new_due_at", "previous_due_at", "channel", "at"],
    "withdrawal": ["reason", "requested_at", "clerk", "at"],
    "book": ["from", "to", "count", "domain",
             {"rows": ["index", "code", "procedure", "applicant", "contact", "solver", "received_at",
                       "due_at", "returned_at", "result_channel", "status", "cancelled"]}],
    "catalogue": [{"procedures": ["index", "code", "name", "time_limit", "fee"]}],
    # the recovery sheet printed when the ward's data is encrypted (printing/recovery.py)
    "recovery": ["key", "database", "made_at", "made_by", "key_file"],
    # the periodic report (printing/reports.py): figures already formatted for print
    "report": ["from", "to", "period", "dimension", "summary", "as_of", "surveys", "satisfaction",
               {"rows": ["index", "label", "received", "solved", "early", "on_time", "late", "pending_not_due",
                         "pending_overdue", "supplement_requests", "second_supplement_requests", "refused",
                         "withdrawn", "apologies", "transferred", "surveys", "on_time_rate",
                         "average_days_to_return", "time_cut", "satisfaction"]},
               {"areas": ["index", "label", "value"]}],
    # the personal data incident log (printing/incidents.py): no name or ID number of anyone affected
    "incidents": ["as_of", "count", "open", "overdue",
                  {"rows": ["index", "detected_at", "kind", "description", "data_affected", "people_affected",
                            "measures", "deadline", "reported", "status", "recorded_by"]}],
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class TemplateError(DomainError):
    """A template file that cannot be used: names the file and the line."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        where = f"{source}, dòng {line}" if line else source
        super().__init__(f"Mẫu giấy tờ lỗi ({where}): {message}", code="template")
        self.source, self.line = source, line


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str = "text"
    required: bool = False
    help: str = ""
    default: Any = None
    choices: tuple[str, ...] = ()
    group: str = ""
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    check_birth_date: str | None = None  # a cccd field checked against this date field
    check_sex: str | None = None
    choices_from: str = ""  # the choices are the procedure's (CHOICE_SOURCES), see for_procedure


# Where a choice field may take its choices from: a procedure's attribute in the catalogue.
CHOICE_SOURCES = {"procedure.fee_exemptions": "chosen_fee_exemptions"}


@dataclass(frozen=True)
class Derived:
    id: str
    function: str
    argument: str


@dataclass(frozen=True)
class Block:
    type: str
    props: Mapping[str, Any]
    line: int | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)


@dataclass(frozen=True)
class FormTemplate:
    id: str
    version: str
    kind: str
    title: str
    slip_type: str = ""
    form_number: str = ""
    follows: str = ""  # the legal text and form this template reproduces
    orientation: str = "portrait"
    font_size: float = 13.0
    fields: tuple[Field, ...] = ()
    derived: tuple[Derived, ...] = ()
    blocks: tuple[Block, ...] = ()
    source: str = ""
    text: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    def field(self, field_id: str) -> Field:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    def for_procedure(self, procedure: Any) -> "FormTemplate":
        """This template as one procedure's entry screen shows it: a field whose choices come
        from the catalogue (``choices_from``) takes them, and is left out when there are none."""
        if not any(f.choices_from for f in self.fields):
            return self
        fields = []
        for f in self.fields:
            if f.choices_from:
                choices = tuple(getattr(procedure, CHOICE_SOURCES[f.choices_from]))
                if not choices:
                    continue
                f = replace(f, choices=choices)
            fields.append(f)
        return replace(self, fields=tuple(fields))

    def groups(self) -> list[tuple[str, list[Field]]]:
        """Fields in order, grouped as the entry screen shows them."""
        out: list[tuple[str, list[Field]]] = []
        for f in self.fields:
            if not out or out[-1][0] != f.group:
                out.append((f.group, []))
            out[-1][1].append(f)
        return out


def _lines(text: str) -> list[str]:
    """TOML's lines: only LF (or CRLF) ends one; str.splitlines would also split on U+0085 and
    other separators a value may hold, and the line numbers would drift."""
    return text.replace("\r\n", "\n").split("\n")


def _line_of(text: str, needle: str, start_line: int = 1) -> int | None:
    lines = _lines(text)
    for number in range(max(1, start_line), len(lines) + 1):
        if needle in lines[number - 1]:
            return number
    return None


def _table_lines(text: str, table: str) -> list[int]:
    """Line numbers where each ``[[table]]`` entry starts."""
    return [i for i, line in enumerate(_lines(text), start=1) if line.strip() == f"[[{table}]]"]


def parse_template(text: str, source: str = "<mẫu>") -> FormTemplate:
    """Parse and check a template; raise TemplateError naming ``source`` and the line."""
    text = nfc(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        if line is None and "end of document" in str(exc):
            line = len(_lines(text))
        raise TemplateError(source, line, f"cú pháp TOML sai ({exc}).") from None

    def fail(message: str, needle: str | None = None, start: int = 1) -> None:
        raise TemplateError(source, _line_of(text, needle, start) if needle else None, message)

    allowed_top = {"id", "version", "kind", "title", "slip_type", "form_number", "follows", "orientation",
                   "font_size", "fields", "derived", "blocks", "description"}
    for key in data:
        if key not in allowed_top:
            fail(f"khóa không biết “{key}”.", key)
    for key in ("id", "version", "kind", "title"):
        if not isinstance(data.get(key), str) or not data.get(key):
            fail(f"thiếu “{key}” (chuỗi).")
    if not re.fullmatch(r"[a-z0-9_]+", data["id"]):
        fail("id chỉ gồm chữ thường không dấu, số và gạch dưới.", "id")
    if data["kind"] not in KINDS:
        fail(f"kind phải là một trong {', '.join(KINDS)}.", "kind")
    if data.get("slip_type") and data["slip_type"] not in PAPER_TYPES:
        fail(f"slip_type không biết “{data['slip_type']}”.", "slip_type")
    if data.get("orientation", "portrait") not in ("portrait", "landscape"):
        fail("orientation phải là portrait hoặc landscape.", "orientation")

    field_lines = _table_lines(text, "fields")
    fields: list[Field] = []
    field_keys = {"id", "label", "type", "required", "help", "default", "choices", "group", "max_length",
                  "minimum", "maximum", "check_birth_date", "check_sex", "choices_from"}
    for index, raw in enumerate(data.get("fields", [])):
        line = field_lines[index] if index < len(field_lines) else None
        for key in raw:
            if key not in field_keys:
                raise TemplateError(source, _line_of(text, key, line or 1), f"trường có khóa không biết “{key}”.")
        fid, ftype = raw.get("id"), raw.get("type", "text")
        if not isinstance(fid, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*", fid):
            raise TemplateError(source, line, f"id trường không hợp lệ: {fid!r}.")
        if ftype not in FIELD_TYPES:
            raise TemplateError(source, _line_of(text, "type", line or 1),
                                f"trường “{fid}” có kiểu không biết “{ftype}” (dùng: {', '.join(FIELD_TYPES)}).")
        if not raw.get("label"):
            raise TemplateError(source, line, f"trường “{fid}” thiếu nhãn (label).")
        if raw.get("choices_from") and (ftype != "choice" or raw["choices_from"] not in CHOICE_SOURCES):
            raise TemplateError(source, _line_of(text, "choices_from", line or 1),
                                f"trường “{fid}”: choices_from chỉ dùng cho kiểu choice, lấy từ "
                                f"{', '.join(CHOICE_SOURCES)}.")
        if ftype == "choice" and not raw.get("choices") and not raw.get("choices_from"):
            raise TemplateError(source, line, f"trường “{fid}” kiểu choice phải có danh sách choices.")
        if any(f.id == fid for f in fields):
            raise TemplateError(source, line, f"trường “{fid}” khai báo hai lần.")
        fields.append(Field(
            id=fid, label=raw["label"], type=ftype, required=bool(raw.get("required", False)),
            help=raw.get("help", ""), default=raw.get("default"), choices=tuple(raw.get("choices", ())),
            group=raw.get("group", ""), max_length=raw.get("max_length"), minimum=raw.get("minimum"),
            maximum=raw.get("maximum"), check_birth_date=raw.get("check_birth_date"),
            check_sex=raw.get("check_sex"), choices_from=raw.get("choices_from", ""),
        ))
    field_ids = {f.id for f in fields}
    for f in fields:
        for ref in (f.check_birth_date, f.check_sex):
            if ref and ref not in field_ids:
                fail(f"trường “{f.id}” tham chiếu trường không có “{ref}”.", ref)

    derived: list[Derived] = []
    derived_lines = _table_lines(text, "derived")
    for index, raw in enumerate(data.get("derived", [])):
        line = derived_lines[index] if index < len(derived_lines) else None
        match = re.fullmatch(r"\s*([a-z_]+)\(\s*([a-z0-9_.]+)\s*\)\s*", raw.get("from", ""))
        if line:
            line = _line_of(text, "from", line) or line
        if not raw.get("id") or not match:
            raise TemplateError(source, line, "giá trị suy ra phải có id và from = \"hàm(trường)\".")
        if match[1] not in DERIVED_FUNCTIONS:
            raise TemplateError(source, line, f"hàm không biết “{match[1]}” (dùng: {', '.join(DERIVED_FUNCTIONS)}).")
        if match[2] not in field_ids and not _in_schema(match[2]):
            raise TemplateError(source, line, f"giá trị suy ra dùng trường không có “{match[2]}”.")
        derived.append(Derived(raw["id"], match[1], match[2]))
    known = field_ids | {d.id for d in derived}

    blocks: list[Block] = []
    block_lines = _table_lines(text, "blocks")
    for index, raw in enumerate(data.get("blocks", [])):
        line = block_lines[index] if index < len(block_lines) else None
        btype = raw.get("type")
        if btype not in BLOCK_TYPES:
            # no "type" line below the last block's header: name the header itself
            where = (_line_of(text, "type", line) or line) if line else None
            raise TemplateError(source, where, f"khối có kiểu không biết “{btype}” (dùng: {', '.join(BLOCK_TYPES)}).")
        _check_placeholders(raw, known, source, text, line)
        for condition in ("when", "unless"):
            when = raw.get(condition)
            if when is not None and not (when in known or _in_schema(when)):
                raise TemplateError(source, _line_of(text, str(when), line or 1),
                                    f"điều kiện {condition} = “{when}” không ứng với trường hay dữ liệu nào.")
        blocks.append(Block(btype, raw, line))
    if not blocks and data["kind"] != "fragment":
        fail("mẫu không có khối bố cục nào ([[blocks]]).")

    return FormTemplate(
        id=data["id"], version=data["version"], kind=data["kind"], title=data["title"],
        slip_type=data.get("slip_type", ""), form_number=data.get("form_number", ""),
        follows=data.get("follows", ""), orientation=data.get("orientation", "portrait"),
        font_size=float(data.get("font_size", 13)), fields=tuple(fields), derived=tuple(derived),
        blocks=tuple(blocks), source=source, text=text,
    )


def _line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match[1]) if match else None


def _in_schema(path: str, item_source: str | None = None) -> bool:
    parts = path.split(".")
    if item_source is not None and parts[0] == "item":
        return len(parts) == 2 and parts[1] in _item_keys(item_source)
    node: Any = CONTEXT_SCHEMA.get(parts[0])
    if node is None or len(parts) != 2:
        return False
    names = {k if isinstance(k, str) else next(iter(k)) for k in node}
    return parts[1] in names


def _item_keys(source: str) -> list[str]:
    root, _, name = source.partition(".")
    for entry in CONTEXT_SCHEMA.get(root, []):
        if isinstance(entry, dict) and name in entry:
            return entry[name]
    return []


def placeholders(value: Any) -> list[str]:
    """Every ``{...}`` inside a block's strings (recursively)."""
    out: list[str] = []
    if isinstance(value, str):
        out += _PLACEHOLDER.findall(value)
    elif isinstance(value, dict):
        for v in value.values():
            out += placeholders(v)
    elif isinstance(value, list):
        for v in value:
            out += placeholders(v)
    return out


def _check_placeholders(raw: Mapping[str, Any], known: set[str], source: str, text: str,
                        line: int | None) -> None:
    item_source = raw.get("source")
    if item_source is not None and not _item_keys(item_source) and item_source not in known:
        raise TemplateError(source, _line_of(text, str(item_source), line or 1),
                            f"nguồn danh sách không biết “{item_source}”.")
    for ph in placeholders(raw):
        path, _, filt = ph.partition("|")
        path, filt = path.strip(), filt.strip()
        if filt and filt not in FILTERS:
            raise TemplateError(source, _line_of(text, "{" + ph + "}", line or 1),
                                f"bộ lọc không biết “{filt}” trong {{{ph}}} (dùng: {', '.join(FILTERS)}).")
        if path in known or _in_schema(path, item_source) or (
                item_source in known and path.startswith("item")):
            continue
        raise TemplateError(source, _line_of(text, "{" + ph + "}", line or 1),
                            f"chỗ điền {{{ph}}} không ứng với trường hay dữ liệu nào.")


# -- values typed for a template ----------------------------------------------------------

@dataclass
class FormCheck:
    values: dict[str, Any] = field(default_factory=dict)  # normalised, ready to store
    errors: dict[str, str] = field(default_factory=dict)  # field id -> Vietnamese message
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_field(f: Field, raw: Any, *, today: date, values: Mapping[str, Any] | None = None) -> tuple[Any, str | None]:
    """Normalise one typed value. Returns (value, warning); raises ValidationError."""
    values = values or {}
    if raw is None or (isinstance(raw, str) and not clean_text(raw)):
        if f.required:
            raise ValidationError(f"Chưa nhập {f.label[:1].lower() + f.label[1:]}.", field=f.id, code="required")
        return None, None
    if f.type == "bool":
        return bool(raw), None
    text = clean_text(str(raw), multiline=f.type == "multiline")
    if f.max_length and len(text) > f.max_length:
        raise ValidationError(f"{f.label}: tối đa {f.max_length} ký tự.", field=f.id)
    if f.type in ("text", "multiline"):
        return text, None
    if f.type == "name":
        return validate_name(text, field=f.id), None
    if f.type in ("date", "birth_date"):
        d = parse_date(text, field=f.id)
        if f.type == "birth_date":
            d = validate_birth_date(d, today, field=f.id)
        return format_date(d), None
    if f.type == "cccd":
        birth = values.get(f.check_birth_date) if f.check_birth_date else None
        birth_date = parse_date(birth) if isinstance(birth, str) and birth else None
        sex = values.get(f.check_sex) if f.check_sex else None
        info = validate_id_number(text, birth_date=birth_date, sex=sex or None, field=f.id, today=today)
        return info.number, "; ".join(info.warnings) or None
    if f.type == "phone":
        return validate_phone(text, field=f.id), None
    if f.type == "email":
        return validate_email(text, field=f.id), None
    if f.type == "choice":
        for choice in f.choices:
            if choice.casefold() == text.casefold():
                return choice, None
        raise ValidationError(f"{f.label}: chọn một trong {', '.join(f.choices)}.", field=f.id)
    if f.type in ("number", "money"):
        digits = re.sub(r"[.\s,đ]|đồng", "", text.lower())
        if not re.fullmatch(r"-?\d+", digits):
            raise ValidationError(f"{f.label}: phải là số.", field=f.id)
        number = int(digits)
        if f.minimum is not None and number < f.minimum:
            raise ValidationError(f"{f.label}: không nhỏ hơn {int(f.minimum)}.", field=f.id)
        if f.maximum is not None and number > f.maximum:
            raise ValidationError(f"{f.label}: không lớn hơn {int(f.maximum)}.", field=f.id)
        return number, None
    raise ValidationError(f"Kiểu trường không hỗ trợ: {f.type}", field=f.id)


def check_values(template: FormTemplate, raw: Mapping[str, Any], *, today: date) -> FormCheck:
    """Check every field of a form at once (the clerk sees all problems together)."""
    result = FormCheck()
    ordered = sorted(template.fields, key=lambda f: f.type == "cccd")  # dates and sex first
    for f in ordered:
        value = raw.get(f.id, f.default)
        try:
            clean, warning = check_field(f, value, today=today, values=result.values)
        except ValidationError as exc:
            result.errors[f.id] = exc.message
            continue
        if clean is not None:
            result.values[f.id] = clean
        if warning:
            result.warnings[f.id] = warning
    return result


def derive_values(template: FormTemplate, values: Mapping[str, Any], context: Mapping[str, Any] | None = None,
                  *, today: date | None = None) -> dict[str, Any]:
    """Text the clerk never types: dates and money in words, age, upper case."""
    out: dict[str, Any] = {}
    for d in template.derived:
        source = values.get(d.argument)
        if source is None and context is not None:
            source = lookup(context, d.argument)
        if source in (None, ""):
            continue
        try:
            out[d.id] = _derive(d.function, source, today or date.today())
        except (ValueError, ValidationError):
            continue  # a bad source value is reported by check_values, not here
    return out


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return parse_date(str(value))


def _derive(function: str, value: Any, today: date) -> Any:
    if function == "date_in_words":
        return date_in_words(_as_date(value))
    if function == "money_in_words":
        return money_in_words(int(value))
    if function == "number_in_words":
        return number_in_words(int(value))
    if function == "age":
        born = _as_date(value)
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if function == "year":
        return _as_date(value).year
    if function == "upper":
        return str(value).upper()
    raise ValueError(function)


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """``a.b.c`` in nested dicts; a flat key with dots wins (form values are stored flat)."""
    if path in context:
        return context[path]
    node: Any = context
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node


def split_applicant(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Form values -> (applicant fields without the ``applicant.`` prefix, the rest)."""
    applicant = {k[len("applicant."):]: v for k, v in values.items() if k.startswith("applicant.")}
    rest = {k: v for k, v in values.items() if not k.startswith("applicant.")}
    return applicant, rest


def load_template_file(path: Path) -> FormTemplate:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(path.name, None, f"không đọc được tệp ({exc}).") from None
    return parse_template(text, source=path.name)


@dataclass
class TemplateLibrary:
    """Every template version known: the newest is used for new papers; a dossier keeps its own."""

    versions: dict[tuple[str, str], FormTemplate] = field(default_factory=dict)
    errors: list[TemplateError] = field(default_factory=list)

    def add(self, template: FormTemplate) -> None:
        self.versions[template.key] = template

    def latest(self, template_id: str) -> FormTemplate:
        found = [t for (tid, _), t in self.versions.items() if tid == template_id]
        if not found:
            raise DomainError(f"Chưa có mẫu “{template_id}”.", code="template_missing")
        return max(found, key=lambda t: _version_key(t.version))

    def get(self, template_id: str, version: str | None = None) -> FormTemplate:
        """That version, or the newest when no version is named. A named version that is missing
        is an error, never another version: a dossier prints as it was typed or not at all."""
        if not version:
            return self.latest(template_id)
        found = self.versions.get((template_id, version))
        if found is None:
            raise DomainError(f"Không có mẫu “{template_id}” phiên bản {version} (phiên bản hồ sơ được tiếp nhận); "
                              "không in bằng phiên bản khác. Hãy đồng bộ mẫu từ máy chủ cấp tỉnh.",
                              code="template_missing")
        return found

    def ids(self) -> list[str]:
        return sorted({tid for tid, _ in self.versions})


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-]", version))


def load_library(folder: Path, *, strict: bool = False) -> TemplateLibrary:
    """Load every ``*.toml`` under ``folder``. A broken file is recorded (or raised when strict),
    never a crash: the other templates stay usable."""
    library = TemplateLibrary()
    for path in sorted(folder.rglob("*.toml")):
        if path.name == WORDING_FILE:  # the shared words, not a template
            continue
        try:
            library.add(load_template_file(path))
        except TemplateError as exc:
            if strict:
                raise
            library.errors.append(exc)
    return library
