from datetime import date

import pytest
from hypothesis import given, strategies as st

from desk_app.models.dossier_code import make_code, parse_code
from desk_app.models.errors import ValidationError


def test_format_is_readable_and_documented():
    assert make_code("26734", 1, date(2026, 11, 22), 7) == "26734-Q01-261122-0007"


@given(st.integers(1, 99), st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.integers(1, 99999))
def test_round_trip(counter, day, seq):
    code = make_code("00004", counter, day, seq)
    parsed = parse_code(code)
    assert (parsed.ward, parsed.counter, parsed.day, parsed.seq) == ("00004", counter, day, seq)


def test_two_counters_never_collide_on_the_same_day():
    a = {make_code("26734", 1, date(2026, 11, 22), s) for s in range(1, 200)}
    b = {make_code("26734", 2, date(2026, 11, 22), s) for s in range(1, 200)}
    assert not a & b


@pytest.mark.parametrize("bad", ["", "26734-Q1-261122-0007", "26734-Q01-261322-0007", "abc"])
def test_bad_codes_are_refused_in_vietnamese(bad):
    with pytest.raises(ValidationError) as err:
        parse_code(bad)
    assert "Mã hồ sơ" in err.value.message


def test_bad_ward_or_counter():
    with pytest.raises(ValidationError):
        make_code("12", 1, date(2026, 1, 1), 1)
    with pytest.raises(ValidationError):
        make_code("26734", 100, date(2026, 1, 1), 1)
