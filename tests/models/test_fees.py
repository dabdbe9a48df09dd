"""Fee specs and computation. Amounts are the national ones quoted in the seed catalogue."""

from __future__ import annotations

import pytest

from desk_app.models.errors import ValidationError
from desk_app.models.fees import FeeQuote, FeeSpec, compute_fee, describe, format_money

CERTIFIED_COPY = {
    "kind": "per_page",
    "tiers": [{"from_page": 1, "amount": 2000}, {"from_page": 3, "amount": 1000}],
    "max_per_copy": 200000,
    "unit": "trang",
}
SIGNATURE = {"kind": "fixed", "amount": 10000, "unit": "trường hợp"}
CONTRACT = {"kind": "fixed", "amount": 50000, "unit": "hợp đồng, giao dịch"}
BIRTH = {
    "kind": "free",
    "late": {"kind": "provincial", "setting": "fee.1.001193.late", "default_amount": 0, "unit": "trường hợp",
             "online": {"kind": "provincial", "setting": "fee.1.001193.late.online", "default_amount": 0,
                        "unit": "trường hợp"}},
}


@pytest.mark.parametrize(
    "amount, text",
    [(0, "0 đồng"), (999, "999 đồng"), (8000, "8.000 đồng"), (200000, "200.000 đồng"), (1234567, "1.234.567 đồng")],
)
def test_format_money(amount, text):
    assert format_money(amount) == text


@pytest.mark.parametrize(
    "pages, per_copy",
    [(1, 2000), (2, 4000), (3, 5000), (10, 12000), (198, 200000), (199, 200000), (500, 200000)],
)
def test_certified_copy_per_copy(pages, per_copy):
    assert compute_fee(CERTIFIED_COPY, pages=pages).amount == per_copy


@pytest.mark.parametrize(
    "pages, copies, total",
    [(1, 3, 6000), (2, 2, 8000), (3, 4, 20000), (10, 3, 36000), (500, 2, 400000)],
)
def test_certified_copy_times_copies(pages, copies, total):
    assert compute_fee(CERTIFIED_COPY, pages=pages, copies=copies).amount == total


def test_certified_copy_lines_explain_tiers_and_cap():
    quote = compute_fee(CERTIFIED_COPY, pages=10, copies=3)
    assert quote == FeeQuote(
        36000,
        (
            "Trang 1–2: 2 trang × 2.000 đồng = 4.000 đồng.",
            "Trang 3–10: 8 trang × 1.000 đồng = 8.000 đồng.",
            "Mỗi bản: 12.000 đồng.",
            "3 bản × 12.000 đồng = 36.000 đồng.",
            "Tổng cộng: 36.000 đồng.",
        ),
    )
    capped = compute_fee(CERTIFIED_COPY, pages=500)
    assert "Vượt mức tối đa, mỗi bản chỉ thu 200.000 đồng." in capped.lines
    assert capped.lines[-1] == "Tổng cộng: 200.000 đồng."


def test_certified_copy_needs_pages():
    with pytest.raises(ValidationError) as err:
        compute_fee(CERTIFIED_COPY, pages=0)
    assert "Số trang" in err.value.message
    assert err.value.field == "pages"


def test_signature_and_contract_fixed_fees():
    assert compute_fee(SIGNATURE).amount == 10000
    assert compute_fee(SIGNATURE, quantity=3).amount == 30000
    assert compute_fee(CONTRACT).amount == 50000
    assert compute_fee(CONTRACT).lines[-1] == "Tổng cộng: 50.000 đồng."
    assert compute_fee({"kind": "fixed", "amount": 8000, "unit": "bản sao"}, quantity=2).amount == 16000


def test_birth_on_time_is_free_late_uses_settings():
    assert compute_fee(BIRTH).amount == 0
    settings = {"fee.1.001193.late": "8.000", "fee.1.001193.late.online": "4000"}
    late = compute_fee(BIRTH, late=True, settings=settings)
    assert late.amount == 8000
    assert late.lines[0] == "Áp dụng mức thu khi đăng ký quá hạn."
    assert compute_fee(BIRTH, late=True, online=True, settings=settings).amount == 4000
    # online alone on an on-time birth: still free (no "online" at the top level)
    assert compute_fee(BIRTH, online=True, settings=settings).amount == 0


def test_provincial_without_setting_uses_default_and_says_so():
    spec = {"kind": "provincial", "setting": "fee.1.004873", "default_amount": 5000, "unit": "việc"}
    quote = compute_fee(spec)
    assert quote.amount == 5000
    assert "Chưa cài đặt mức thu" in quote.lines[0]
    assert compute_fee(spec, settings={"fee.1.004873": "15000"}, quantity=2).amount == 30000


def test_provincial_setting_must_be_a_number():
    spec = {"kind": "provincial", "setting": "fee.x", "default_amount": 0, "unit": "việc"}
    with pytest.raises(ValidationError) as err:
        compute_fee(spec, settings={"fee.x": "tám nghìn"})
    assert "fee.x" in err.value.message


def test_exemption_gives_zero():
    settings = {"fee.1.001193.late": "8000"}
    quote = compute_fee(BIRTH, late=True, exempt=True, settings=settings)
    assert quote.amount == 0
    assert "miễn" in quote.lines[-1]
    assert compute_fee(CERTIFIED_COPY, pages=5, copies=2, exempt=True).amount == 0


def test_describe_wording():
    assert describe(CERTIFIED_COPY) == "2.000 đồng/trang; từ trang thứ ba trở lên 1.000 đồng/trang; tối đa 200.000 đồng/bản"
    assert describe({"kind": "free"}) == "Miễn lệ phí"
    assert describe(SIGNATURE) == "10.000 đồng/trường hợp"
    provincial = {"kind": "provincial", "setting": "fee.a", "default_amount": 0, "unit": "việc"}
    assert describe(provincial) == "Theo mức thu do Hội đồng nhân dân tỉnh quy định"
    assert describe(provincial, settings={"fee.a": "8000"}) == (
        "8.000 đồng/việc (mức thu do Hội đồng nhân dân tỉnh quy định)"
    )
    assert describe(BIRTH).startswith("Miễn lệ phí; đăng ký quá hạn: theo mức thu do Hội đồng nhân dân tỉnh quy định")


@pytest.mark.parametrize(
    "spec, field, words",
    [
        ({"kind": "gift"}, "fee.kind", "không hợp lệ"),
        ({"amount": 5}, "fee.kind", "loại lệ phí"),
        ({"kind": "fixed", "unit": "trường hợp"}, "fee.amount", "thiếu số tiền"),
        ({"kind": "fixed", "amount": -1, "unit": "trường hợp"}, "fee.amount", "không được âm"),
        ({"kind": "fixed", "amount": "10000", "unit": "trường hợp"}, "fee.amount", "số nguyên"),
        ({"kind": "fixed", "amount": 10.5, "unit": "trường hợp"}, "fee.amount", "số nguyên"),
        ({"kind": "fixed", "amount": 10000}, "fee.unit", "thiếu trường"),
        ({"kind": "per_page", "tiers": []}, "fee.tiers", "thiếu bảng mức thu"),
        ({"kind": "per_page", "tiers": [{"from_page": 2, "amount": 1}]}, "fee.tiers", "trang 1"),
        (
            {"kind": "per_page", "tiers": [{"from_page": 1, "amount": 2}, {"from_page": 1, "amount": 1}]},
            "fee.tiers", "tăng dần",
        ),
        ({"kind": "provincial", "default_amount": 0, "unit": "việc"}, "fee.setting", "thiếu trường"),
        ({"kind": "free", "amount": 0}, "fee", "không dùng được"),
        ({"kind": "free", "late": {"kind": "fixed", "unit": "việc"}}, "fee.late.amount", "fee.late"),
    ],
)
def test_malformed_specs_give_vietnamese_errors(spec, field, words):
    with pytest.raises(ValidationError) as err:
        FeeSpec.from_dict(spec)
    assert err.value.field == field
    assert words in err.value.message
    assert err.value.message.startswith("Lệ phí")


@pytest.mark.parametrize("spec", [CERTIFIED_COPY, SIGNATURE, BIRTH, {"kind": "free", "label": "Không thu phí, lệ phí"}])
def test_round_trip(spec):
    parsed = FeeSpec.from_dict(spec)
    assert parsed.to_dict() == spec
    assert FeeSpec.from_dict(parsed.to_dict()) == parsed


def test_bad_quantity_and_copies():
    with pytest.raises(ValidationError):
        compute_fee(SIGNATURE, quantity=0)
    with pytest.raises(ValidationError):
        compute_fee(CERTIFIED_COPY, pages=2, copies=0)
