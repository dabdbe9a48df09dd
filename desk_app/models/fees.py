"""Fees and charges of procedures: the spec is data from the catalogue, never a constant here.

A fee spec is one of:
  {"kind": "free"}                                    (optional "label", default "Miễn lệ phí")
  {"kind": "fixed", "amount": 10000, "unit": "trường hợp"}
  {"kind": "per_page", "tiers": [{"from_page": 1, "amount": 2000}, {"from_page": 3, "amount": 1000}],
   "max_per_copy": 200000, "unit": "trang"}           (optional "copy_unit", default "bản")
  {"kind": "provincial", "setting": "fee.1.004873", "default_amount": 0, "unit": "việc"}
Any spec may carry "late": {spec} (registered after the legal window) and "online": {spec}.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ValidationError
from .text import nfc

FEE_KINDS = ("free", "fixed", "per_page", "provincial")

_KEYS_BY_KIND: dict[str, set[str]] = {
    "free": {"label"},
    "fixed": {"amount", "unit"},
    "per_page": {"tiers", "max_per_copy", "unit", "copy_unit"},
    "provincial": {"setting", "default_amount", "unit"},
}
_COMMON_KEYS = {"kind", "late", "online"}

_ORDINALS = {
    1: "thứ nhất", 2: "thứ hai", 3: "thứ ba", 4: "thứ tư", 5: "thứ năm",
    6: "thứ sáu", 7: "thứ bảy", 8: "thứ tám", 9: "thứ chín", 10: "thứ mười",
}

PROVINCIAL_WORDING = "Theo mức thu do Hội đồng nhân dân tỉnh quy định"


def format_money(amount: int) -> str:
    """8000 -> "8.000 đồng" (Vietnamese uses the dot as thousands separator)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(amount)):,} đồng".replace(",", ".")


def _ordinal(n: int) -> str:
    return _ORDINALS.get(n, f"thứ {n}")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


@dataclass(frozen=True)
class PageTier:
    """From page ``from_page`` on (counted on the original), each page costs ``amount``."""

    from_page: int
    amount: int


@dataclass(frozen=True)
class FeeSpec:
    kind: str
    amount: int = 0
    unit: str = ""
    tiers: tuple[PageTier, ...] = ()
    max_per_copy: int | None = None
    copy_unit: str = "bản"
    setting: str = ""
    default_amount: int = 0
    label: str = ""
    late: "FeeSpec | None" = None
    online: "FeeSpec | None" = None

    @classmethod
    def from_dict(cls, data: Any, *, field: str = "fee") -> "FeeSpec":
        """Validate a spec from the catalogue; errors name the path, e.g. "fee.late.amount"."""
        if isinstance(data, FeeSpec):
            return data
        if not isinstance(data, dict):
            raise ValidationError(f"Lệ phí ({field}) phải là một đối tượng JSON.", field=field)
        kind = data.get("kind")
        if kind not in FEE_KINDS:
            raise ValidationError(
                f"Lệ phí ({field}): loại lệ phí {kind!r} không hợp lệ; "
                f"chỉ chấp nhận: {', '.join(FEE_KINDS)}.",
                field=f"{field}.kind",
            )
        unknown = set(data) - _COMMON_KEYS - _KEYS_BY_KIND[kind]
        if unknown:
            raise ValidationError(
                f"Lệ phí ({field}): trường không dùng được cho loại {kind!r}: "
                + ", ".join(sorted(unknown)) + ".",
                field=field,
            )
        late = cls.from_dict(data["late"], field=f"{field}.late") if "late" in data else None
        online = cls.from_dict(data["online"], field=f"{field}.online") if "online" in data else None

        if kind == "free":
            label = data.get("label", "")
            if not isinstance(label, str):
                raise ValidationError(f"Lệ phí ({field}): nhãn (label) phải là chuỗi.", field=f"{field}.label")
            return cls(kind=kind, label=nfc(label), late=late, online=online)

        unit = _text(data, "unit", field, default="trang" if kind == "per_page" else None)
        if kind == "fixed":
            amount = _money(data, "amount", field, required=True)
            return cls(kind=kind, amount=amount, unit=unit, late=late, online=online)

        if kind == "provincial":
            setting = _text(data, "setting", field, default=None)
            default_amount = _money(data, "default_amount", field, required=False)
            return cls(kind=kind, setting=setting, default_amount=default_amount, unit=unit,
                       late=late, online=online)

        tiers = _tiers(data.get("tiers"), field)
        max_per_copy = None
        if "max_per_copy" in data and data["max_per_copy"] is not None:
            max_per_copy = _money(data, "max_per_copy", field, required=True)
            if max_per_copy == 0:
                raise ValidationError(
                    f"Lệ phí ({field}): mức tối đa mỗi bản (max_per_copy) phải lớn hơn 0.",
                    field=f"{field}.max_per_copy",
                )
        copy_unit = _text(data, "copy_unit", field, default="bản")
        return cls(kind=kind, tiers=tiers, max_per_copy=max_per_copy, unit=unit,
                   copy_unit=copy_unit, late=late, online=online)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "free":
            if self.label:
                out["label"] = self.label
        elif self.kind == "fixed":
            out["amount"] = self.amount
            out["unit"] = self.unit
        elif self.kind == "per_page":
            out["tiers"] = [{"from_page": t.from_page, "amount": t.amount} for t in self.tiers]
            if self.max_per_copy is not None:
                out["max_per_copy"] = self.max_per_copy
            out["unit"] = self.unit
            if self.copy_unit != "bản":
                out["copy_unit"] = self.copy_unit
        else:
            out["setting"] = self.setting
            out["default_amount"] = self.default_amount
            out["unit"] = self.unit
        if self.late is not None:
            out["late"] = self.late.to_dict()
        if self.online is not None:
            out["online"] = self.online.to_dict()
        return out

    def describe(self, settings: Mapping[str, str] | None = None) -> str:
        return describe(self, settings=settings)


def _text(data: dict[str, Any], key: str, field: str, *, default: str | None) -> str:
    if key not in data:
        if default is None:
            raise ValidationError(f"Lệ phí ({field}): thiếu trường {key!r}.", field=f"{field}.{key}")
        return default
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"Lệ phí ({field}): trường {key!r} phải là chuỗi không rỗng.", field=f"{field}.{key}"
        )
    return nfc(value.strip())


def _money(data: dict[str, Any], key: str, field: str, *, required: bool) -> int:
    if key not in data:
        if required:
            raise ValidationError(f"Lệ phí ({field}): thiếu số tiền {key!r}.", field=f"{field}.{key}")
        return 0
    value = data[key]
    # bool is an int in Python; money in đồng is always a whole number.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"Lệ phí ({field}): số tiền {key!r} phải là số nguyên (đồng), không phải {value!r}.",
            field=f"{field}.{key}",
        )
    if value < 0:
        raise ValidationError(f"Lệ phí ({field}): số tiền {key!r} không được âm.", field=f"{field}.{key}")
    return value


def _tiers(raw: Any, field: str) -> tuple[PageTier, ...]:
    where = f"{field}.tiers"
    if not isinstance(raw, list) or not raw:
        raise ValidationError(f"Lệ phí ({field}): thiếu bảng mức thu theo trang (tiers).", field=where)
    tiers: list[PageTier] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"from_page", "amount"}:
            raise ValidationError(
                f"Lệ phí ({field}): mức thu thứ {i + 1} phải có đúng hai trường from_page và amount.",
                field=where,
            )
        page = item["from_page"]
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise ValidationError(
                f"Lệ phí ({field}): mức thu thứ {i + 1} có số trang bắt đầu không hợp lệ: {page!r}.",
                field=where,
            )
        amount = _money(item, "amount", where, required=True)
        tiers.append(PageTier(from_page=page, amount=amount))
    if tiers[0].from_page != 1:
        raise ValidationError(f"Lệ phí ({field}): mức thu đầu tiên phải bắt đầu từ trang 1.", field=where)
    for prev, cur in zip(tiers, tiers[1:]):
        if cur.from_page <= prev.from_page:
            raise ValidationError(
                f"Lệ phí ({field}): các mức thu phải xếp theo số trang tăng dần.", field=where
            )
    return tuple(tiers)


# ---------------------------------------------------------------- wording for the public listing


def describe(spec: FeeSpec | dict[str, Any], settings: Mapping[str, str] | None = None) -> str:
    """Vietnamese wording of a fee, e.g. "10.000 đồng/trường hợp".

    With ``settings``, a provincial fee the ward has configured shows its amount.
    """
    spec = FeeSpec.from_dict(spec)
    text = _describe_one(spec, settings)
    if spec.late is not None:
        text += "; đăng ký quá hạn: " + _lower_first(describe(spec.late, settings))
    if spec.online is not None:
        text += "; nộp hồ sơ trực tuyến: " + _lower_first(describe(spec.online, settings))
    return text


def _describe_one(spec: FeeSpec, settings: Mapping[str, str] | None) -> str:
    if spec.kind == "free":
        return spec.label or "Miễn lệ phí"
    if spec.kind == "fixed":
        return f"{format_money(spec.amount)}/{spec.unit}"
    if spec.kind == "provincial":
        configured = _setting_amount(spec, settings)
        if configured is not None:
            return f"{format_money(configured)}/{spec.unit} (mức thu do Hội đồng nhân dân tỉnh quy định)"
        return PROVINCIAL_WORDING
    parts = []
    for i, tier in enumerate(spec.tiers):
        rate = f"{format_money(tier.amount)}/{spec.unit}"
        if i == 0:
            parts.append(rate)
        else:
            parts.append(f"từ {spec.unit} {_ordinal(tier.from_page)} trở lên {rate}")
    if spec.max_per_copy is not None:
        parts.append(f"tối đa {format_money(spec.max_per_copy)}/{spec.copy_unit}")
    return "; ".join(parts)


# ---------------------------------------------------------------- computing what the citizen pays


@dataclass(frozen=True)
class FeeQuote:
    amount: int
    lines: tuple[str, ...]
    late: bool = False  # the late-registration fee applied
    exemption: str = ""  # the exemption the clerk chose, on proof


def settings_on(settings: Mapping[str, str] | None, day: Any) -> dict[str, str]:
    """The fee settings in force on ``day``: a province's new amount is set ahead as
    ``fee.<code>@YYYY-MM-DD`` (from that day on) beside ``fee.<code>`` (before), so a dossier
    received before the change keeps its amount and one received after pays the new one."""
    out = dict(settings or {})
    dated = sorted((k.partition("@")[2], k) for k in out if k.startswith("fee.") and "@" in k)
    for start, key in dated:
        if start and start <= day.isoformat() and str(out[key]).strip():
            out[key.partition("@")[0]] = out[key]
    return out


def _setting_amount(spec: FeeSpec, settings: Mapping[str, str] | None) -> int | None:
    if not settings or spec.setting not in settings:
        return None
    raw = str(settings[spec.setting]).strip()
    if not raw:  # cleared in the settings: not set
        return None
    # Clerks type "8.000" or "8 000" as well as "8000".
    cleaned = re.sub(r"[.\s]|đồng|đ", "", raw)
    if not cleaned.isdigit():
        raise ValidationError(
            f"Cài đặt mức thu {spec.setting!r} không phải số tiền hợp lệ: {raw!r}.", field=spec.setting
        )
    return int(cleaned)


def _positive(value: int, name: str, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{what} phải là số nguyên từ 1 trở lên (nhận được {value!r}).", field=name)


def compute_fee(
    spec: FeeSpec | dict[str, Any],
    *,
    quantity: int = 1,
    pages: int = 0,
    copies: int = 1,
    exempt: bool = False,
    late: bool = False,
    online: bool = False,
    settings: Mapping[str, str] | None = None,
) -> FeeQuote:
    """What the citizen pays, with Vietnamese lines explaining the sum.

    fixed / provincial: amount × ``quantity``. per_page: (pages counted on the original, capped per
    copy) × ``copies`` × ``quantity``. ``late`` / ``online`` switch to those sub-specs when present.
    """
    spec = FeeSpec.from_dict(spec)
    _positive(quantity, "quantity", "Số lượng")
    _positive(copies, "copies", "Số bản")
    lines: list[str] = []
    if late and spec.late is not None:
        spec = spec.late
        lines.append("Áp dụng mức thu khi đăng ký quá hạn.")
    if online and spec.online is not None:
        spec = spec.online
        lines.append("Áp dụng mức thu khi nộp hồ sơ trực tuyến.")
    if exempt:
        lines.append(f"Thuộc trường hợp được miễn: {format_money(0)}.")
        return FeeQuote(0, tuple(lines))

    if spec.kind == "free":
        lines.append(f"{spec.label or 'Miễn lệ phí'}: {format_money(0)}.")
        return FeeQuote(0, tuple(lines))

    if spec.kind in ("fixed", "provincial"):
        if spec.kind == "fixed":
            unit_amount = spec.amount
        else:
            configured = _setting_amount(spec, settings)
            if configured is None:
                unit_amount = spec.default_amount
                lines.append(
                    "Chưa cài đặt mức thu do Hội đồng nhân dân tỉnh quy định "
                    f"({spec.setting}); tạm áp dụng mức mặc định {format_money(unit_amount)}."
                )
            else:
                unit_amount = configured
                lines.append(f"Mức thu do Hội đồng nhân dân tỉnh quy định: {format_money(unit_amount)}/{spec.unit}.")
        total = unit_amount * quantity
        lines.append(f"{quantity} {spec.unit} × {format_money(unit_amount)} = {format_money(total)}.")
        lines.append(f"Tổng cộng: {format_money(total)}.")
        return FeeQuote(total, tuple(lines))

    # per_page
    _positive(pages, "pages", "Số trang của bản chính")
    per_copy = 0
    bounds = [t.from_page for t in spec.tiers[1:]] + [pages + 1]
    for tier, next_from in zip(spec.tiers, bounds):
        last = min(pages, next_from - 1)
        if last < tier.from_page:
            break
        count = last - tier.from_page + 1
        subtotal = count * tier.amount
        per_copy += subtotal
        span = f"{spec.unit.capitalize()} {tier.from_page}" if count == 1 else (
            f"{spec.unit.capitalize()} {tier.from_page}–{last}"
        )
        lines.append(
            f"{span}: {count} {spec.unit} × {format_money(tier.amount)} = {format_money(subtotal)}."
        )
    if spec.max_per_copy is not None and per_copy > spec.max_per_copy:
        lines.append(
            f"Vượt mức tối đa, mỗi {spec.copy_unit} chỉ thu {format_money(spec.max_per_copy)}."
        )
        per_copy = spec.max_per_copy
    lines.append(f"Mỗi {spec.copy_unit}: {format_money(per_copy)}.")
    total = per_copy * copies * quantity
    count_text = f"{copies} {spec.copy_unit}"
    if quantity > 1:
        count_text = f"{quantity} giấy tờ × {count_text}"
    lines.append(f"{count_text} × {format_money(per_copy)} = {format_money(total)}.")
    lines.append(f"Tổng cộng: {format_money(total)}.")
    return FeeQuote(total, tuple(lines))
