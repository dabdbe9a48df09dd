"""Masking of ID numbers and phones in lists, and what counts as a search by ID number."""

from __future__ import annotations

from datetime import date

import pytest

from desk_app.models.clock import VN_TZ
from desk_app.models.privacy import ACCESS_KINDS, AccessFilter, id_number_query, mask_id_number, mask_phone
from desk_app.printing.render import apply_filter, mask


@pytest.mark.parametrize("value, shown", [
    ("001234567889", "0012******89"),
    ("042 090 012 345", "0420******45"),   # typed with spaces: the separators go, the digits stay hidden
    ("042.090.012.345", "0420******45"),
    ("012345678", "0123***78"),             # a 9-digit CMND
    ("12345", "*****"),                     # too short to be a number: nothing of it shows
    ("", ""),
    (None, ""),
])
def test_mask_id_number(value, shown):
    assert mask_id_number(value) == shown


@pytest.mark.parametrize("value, shown", [
    ("0912345678", "0912***678"),
    ("0912 345 678", "0912***678"),
    ("02393855123", "0239****123"),        # a landline: 11 digits
    ("1234567", "****567"),
    ("", ""),
    (None, ""),
])
def test_mask_phone(value, shown):
    assert mask_phone(value) == shown


def test_the_template_filter_and_the_lists_use_the_same_rule():
    assert mask("042090012345") == mask_id_number("042090012345") == "0420******45"
    assert apply_filter("042090012345", "masked") == "0420******45"


@pytest.mark.parametrize("query, digits", [
    ("042090012345", "042090012345"),
    (" 042 090 012 345 ", "042090012345"),
    ("012345678", "012345678"),
    ("0912345678", None),        # a phone number (10 digits)
    ("02393855123", None),       # a landline (11 digits)
    ("04209001234", None),
    ("Nguyễn Văn Đức", None),
    ("42010-Q01-261123-0001", None),
    ("０４２０９００１２３４５", None),  # full-width digits are not what a clerk types
    ("", None),
])
def test_id_number_query(query, digits):
    assert id_number_query(query) == digits


def test_access_kinds_are_labelled_in_vietnamese():
    assert ACCESS_KINDS == {"view_record": "Xem hồ sơ", "print": "In giấy tờ", "export": "Xuất dữ liệu",
                            "search_id": "Tìm theo số định danh"}


def test_access_filter_bounds_cover_whole_days_in_vietnam_time():
    f = AccessFilter.of({"start": date(2026, 11, 1), "end": date(2026, 11, 30), "kind": "print"})
    assert f.bounds(VN_TZ) == ("2026-11-01T00:00:00+07:00", "2026-12-01T00:00:00+07:00")
    assert AccessFilter.of(None).bounds(VN_TZ) == (None, None)
