"""The seed catalogue and its parser."""

from __future__ import annotations

import copy
import json
import unicodedata

import pytest

from desk_app.models.catalogue import DEFAULT_PATH, Catalogue, load_catalogue, parse_catalogue
from desk_app.models.deadlines import TimeLimit
from desk_app.models.errors import DomainError, ValidationError
from desk_app.models.fees import FeeSpec, compute_fee

SEED_CODES = {
    "1.001193", "1.000689", "1.004884", "1.000656", "1.005461", "1.000894", "1.004746", "1.004873",
    "1.001022", "1.004859", "1.004837", "2.000635", "2.002516", "2.000815", "2.000884", "2.000908",
    "2.001035", "2.001019", "2.000913",
}


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_seed_loads_with_all_procedures(catalogue):
    assert catalogue.version == "2026.12.1"
    codes = [p.code for p in catalogue.procedures]
    assert len(codes) >= 19
    assert len(codes) == len(set(codes))
    assert SEED_CODES <= set(codes)


def test_every_entry_is_complete(catalogue):
    for proc in catalogue.procedures:
        assert isinstance(proc.time_limit, TimeLimit), proc.code
        assert isinstance(proc.fee, FeeSpec), proc.code
        assert proc.components, proc.code
        assert any(c.required for c in proc.components), proc.code
        assert proc.declaration_template, proc.code
        assert proc.domain in ("Hộ tịch", "Chứng thực"), proc.code
        assert proc.legal_basis and proc.process and proc.submit_channels and proc.result, proc.code
        assert proc.active is True
        assert proc.retention.permanent or proc.retention.years, proc.code
        assert proc.time_limit.describe()


def test_every_string_in_seed_is_nfc(raw):
    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from walk(v)
        elif isinstance(value, list):
            for v in value:
                yield from walk(v)

    strings = list(walk(raw))
    assert len(strings) > 500
    bad = [s for s in strings if unicodedata.normalize("NFC", s) != s]
    assert bad == []


def test_seed_values_from_the_domain_table(catalogue):
    birth = catalogue.get("1.001193")
    assert birth.name == "Đăng ký khai sinh"
    assert birth.time_limit.kind == "same_day"
    assert birth.on_time_window_days == 60
    assert birth.declaration_template == "to_khai_khai_sinh"
    assert compute_fee(birth.fee).amount == 0
    assert compute_fee(birth.fee, late=True, settings={"fee.1.001193.late": "8000"}).amount == 8000
    assert catalogue.get("1.000656").on_time_window_days == 15
    assert catalogue.get("1.004873").time_limit.days == 3
    assert catalogue.get("1.004873").time_limit.verification_extra_days == 20
    assert catalogue.get("1.000894").requires_presence == ("Bên nam", "Bên nữ")
    assert compute_fee(catalogue.get("2.000635").fee, quantity=2).amount == 16000
    assert compute_fee(catalogue.get("2.000815").fee, pages=10, copies=2).amount == 24000
    assert compute_fee(catalogue.get("2.000884").fee).amount == 10000
    assert compute_fee(catalogue.get("2.001035").fee).amount == 50000
    assert compute_fee(catalogue.get("2.001019").fee).amount == 50000
    assert compute_fee(catalogue.get("2.000913").fee).amount == 30000
    assert catalogue.get("2.001035").time_limit.days == 2
    assert catalogue.get("2.001035").retention.years == 20
    assert catalogue.get("2.000884").retention.years == 2
    assert catalogue.get("2.000815").retention.permanent


def test_get_unknown_code_is_a_vietnamese_domain_error(catalogue):
    with pytest.raises(DomainError) as err:
        catalogue.get("9.999999")
    assert err.value.message == "Không tìm thấy thủ tục có mã 9.999999."


@pytest.mark.parametrize(
    "query, must_have, must_not_have",
    [
        ("khai sinh", {"1.001193", "1.000689", "1.004884"}, {"1.000656"}),
        ("kh sinh", {"1.001193", "1.004884"}, {"1.000894"}),
        ("sinh khai", {"1.001193"}, set()),
        ("ket hon", {"1.000894", "1.004746"}, {"1.001193"}),
        ("KẾT HÔN", {"1.000894"}, set()),
        ("chung thuc ban sao", {"2.000815"}, {"2.000884", "2.000908"}),
        ("tinh trang hon nhan", {"1.004873"}, {"1.000894"}),
        ("1.0048", {"1.004884", "1.004873", "1.004837", "1.004859"}, {"1.001193"}),
        ("2.000815", {"2.000815"}, {"2.000884"}),
        ("di chuc", {"2.001019"}, {"2.001035"}),
    ],
)
def test_find_without_diacritics(catalogue, query, must_have, must_not_have):
    found = {p.code for p in catalogue.find(query)}
    assert must_have <= found
    assert not (must_not_have & found)


def test_find_nothing(catalogue):
    assert catalogue.find("xyz không có") == []


def test_search_key_is_folded(catalogue):
    assert catalogue.get("1.001193").search_key == "1.001193 dang ky khai sinh"


def test_round_trip(catalogue, raw):
    again = parse_catalogue(catalogue.to_dict())
    assert again == catalogue
    for proc, entry in zip(catalogue.procedures, raw["procedures"]):
        assert proc.to_dict() == entry, proc.code
    assert json.loads(json.dumps(catalogue.to_dict(), ensure_ascii=False)) == raw


def _one(raw, **changes) -> dict:
    data = copy.deepcopy(raw)
    data["procedures"] = [data["procedures"][0]]
    data["procedures"][0].update(changes)
    return data


def test_strings_are_nfc_normalised_on_load(raw):
    decomposed = unicodedata.normalize("NFD", "Đăng ký khai sinh")
    assert decomposed != "Đăng ký khai sinh"
    cat = parse_catalogue(_one(raw, name=decomposed))
    assert cat.procedures[0].name == "Đăng ký khai sinh"


def test_duplicate_codes_refused(raw):
    data = copy.deepcopy(raw)
    data["procedures"].append(copy.deepcopy(data["procedures"][0]))
    with pytest.raises(ValidationError) as err:
        parse_catalogue(data)
    assert err.value.message == "Mã thủ tục 1.001193 bị trùng trong danh mục."


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"time_limit": {"kind": "weeks"}}, "time_limit", "Loại thời hạn không hợp lệ"),
        ({"fee": {"kind": "fixed", "unit": "việc"}}, "fee.amount", "thiếu số tiền"),
        ({"components": []}, "components", "ít nhất một thành phần"),
        ({"components": [{"name": "Tờ khai", "paper_kind": "photo"}]}, "components[1].paper_kind", "không hợp lệ"),
        ({"components": [{"name": "Tờ khai", "paper_kind": "original", "count": 0}]}, "components[1].count", "từ 1"),
        ({"solved_by": "district"}, "solved_by", "không hợp lệ"),
        ({"retention": {"years": 0}}, "retention", "years"),
        ({"retention": {"years": 2, "permanent": True}}, "retention", "permanent"),
        ({"declaration_template": "tờ khai"}, "declaration_template", "không dấu"),
        ({"name": ""}, "name", "không rỗng"),
        ({"legal_basis": "Luật Hộ tịch"}, "legal_basis", "danh sách"),
        ({"on_time_window_days": -5}, "on_time_window_days", "từ 1"),
        ({"colour": "đỏ"}, "colour", "không được hỗ trợ"),
        ({"location_independent": "có"}, "location_independent", "true hoặc false"),
        ({"handover_hours": {"transferred": 0}}, "handover_hours", "lớn hơn 0"),
        ({"handover_hours": {"signed": 4}}, "handover_hours", "transfer_returned"),
    ],
)
def test_malformed_entry_names_code_and_field(raw, changes, field, words):
    with pytest.raises(ValidationError) as err:
        parse_catalogue(_one(raw, **changes))
    assert err.value.field == field
    assert err.value.message.startswith(f"Thủ tục 1.001193, trường {field}:")
    assert words in err.value.message


def test_missing_field_named(raw):
    data = _one(raw)
    del data["procedures"][0]["result"]
    with pytest.raises(ValidationError) as err:
        parse_catalogue(data)
    assert err.value.message == "Thủ tục 1.001193, trường result: bị thiếu."


def test_entry_without_code_named_by_position(raw):
    data = _one(raw)
    del data["procedures"][0]["code"]
    with pytest.raises(ValidationError) as err:
        parse_catalogue(data)
    assert "thứ 1 (chưa có mã)" in err.value.message
    assert err.value.field == "code"


def test_catalogue_needs_version_and_procedures(raw):
    with pytest.raises(ValidationError):
        parse_catalogue({"procedures": raw["procedures"]})
    with pytest.raises(ValidationError):
        parse_catalogue({"version": "1", "procedures": []})


def test_load_missing_file(tmp_path):
    with pytest.raises(DomainError):
        load_catalogue(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ValidationError):
        load_catalogue(bad)


def test_fee_changes_need_a_day_a_fee_and_the_text_that_set_them_in_order():
    import pytest as _pytest

    from desk_app.models.catalogue import load_catalogue, parse_procedure
    from desk_app.models.errors import DomainError, ValidationError

    base = load_catalogue().get("2.000884").to_dict()
    fee = {"kind": "fixed", "amount": 15000, "unit": "trường hợp"}
    for bad, where in (([{"from": "2026-12-01", "fee": fee}], "source"),
                       ([{"from": "01/12/2026", "fee": fee, "source": "X"}], "YYYY-MM-DD"),
                       ([{"from": "2026-12-01", "fee": fee, "source": "X"},
                         {"from": "2026-06-01", "fee": fee, "source": "Y"}], "tăng dần")):
        with _pytest.raises((DomainError, ValidationError), match=where):
            parse_procedure({**base, "fee_changes": bad})
    ok = parse_procedure({**base, "fee_changes": [{"from": "2026-12-01", "fee": fee, "source": "X"}]})
    assert parse_procedure(ok.to_dict()) == ok  # round trip
