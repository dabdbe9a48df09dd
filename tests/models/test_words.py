"""Numbers, dates and money in Vietnamese words."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk_app.models.words import date_in_words, money_in_words, number_in_words


@pytest.mark.parametrize(
    "n, words",
    [
        (0, "không"),
        (1, "một"),
        (4, "bốn"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),  # not "mười mốt"
        (14, "mười bốn"),  # not "mười tư"
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (55, "năm mươi lăm"),
        (91, "chín mươi mốt"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (104, "một trăm linh bốn"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (115, "một trăm mười lăm"),
        (121, "một trăm hai mươi mốt"),
        (999, "chín trăm chín mươi chín"),
        (1000, "một nghìn"),
        (1001, "một nghìn không trăm linh một"),
        (1010, "một nghìn không trăm mười"),
        (1100, "một nghìn một trăm"),
        (2000, "hai nghìn"),
        (2024, "hai nghìn không trăm hai mươi tư"),
        (2025, "hai nghìn không trăm hai mươi lăm"),
        (1985, "một nghìn chín trăm tám mươi lăm"),
        (15_000, "mười lăm nghìn"),
        (21_000, "hai mươi mốt nghìn"),
        (105_000, "một trăm linh năm nghìn"),
        (200_000, "hai trăm nghìn"),
        (1_000_000, "một triệu"),
        (1_000_005, "một triệu không trăm linh năm"),
        (1_005_000, "một triệu không trăm linh năm nghìn"),
        (1_000_100, "một triệu một trăm"),
        (123_456_789, "một trăm hai mươi ba triệu bốn trăm năm mươi sáu nghìn bảy trăm tám mươi chín"),
        (1_000_000_000, "một tỷ"),
        (1_000_000_005, "một tỷ không trăm linh năm"),
        (2_100_000_000, "hai tỷ một trăm triệu"),
        (1_000_000_000_000, "một nghìn tỷ"),
        (5_000_000_000_000_000, "năm triệu tỷ"),
        (-3, "âm ba"),
    ],
)
def test_number_in_words(n, words):
    assert number_in_words(n) == words


def test_number_in_words_rejects_non_int():
    with pytest.raises(TypeError):
        number_in_words(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        number_in_words(True)


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=10**15))
def test_number_in_words_shape(n):
    words = number_in_words(n)
    assert unicodedata.is_normalized("NFC", words)
    assert words == words.strip() and "  " not in words
    assert "mười mốt" not in words and "mười tư" not in words and "linh tư" not in words
    assert not words.startswith("không trăm")
    assert (words == "không") == (n == 0)


@pytest.mark.parametrize(
    "d, words",
    [
        (date(2024, 2, 1), "ngày mồng một tháng hai năm hai nghìn không trăm hai mươi tư"),
        (date(2024, 1, 1), "ngày mồng một tháng một năm hai nghìn không trăm hai mươi tư"),
        (date(2025, 4, 30), "ngày ba mươi tháng tư năm hai nghìn không trăm hai mươi lăm"),
        (date(2025, 9, 2), "ngày mồng hai tháng chín năm hai nghìn không trăm hai mươi lăm"),
        (date(2026, 2, 4), "ngày mồng bốn tháng hai năm hai nghìn không trăm hai mươi sáu"),
        (date(2026, 3, 5), "ngày mồng năm tháng ba năm hai nghìn không trăm hai mươi sáu"),
        (date(2023, 10, 10), "ngày mồng mười tháng mười năm hai nghìn không trăm hai mươi ba"),
        (date(2023, 11, 11), "ngày mười một tháng mười một năm hai nghìn không trăm hai mươi ba"),
        (date(2000, 12, 31), "ngày ba mươi mốt tháng mười hai năm hai nghìn"),
        (date(1985, 5, 15), "ngày mười lăm tháng năm năm một nghìn chín trăm tám mươi lăm"),
        (date(1999, 6, 24), "ngày hai mươi tư tháng sáu năm một nghìn chín trăm chín mươi chín"),
        (date(2010, 7, 21), "ngày hai mươi mốt tháng bảy năm hai nghìn không trăm mười"),
        (date(2001, 8, 14), "ngày mười bốn tháng tám năm hai nghìn không trăm linh một"),
        (date(2005, 4, 25), "ngày hai mươi lăm tháng tư năm hai nghìn không trăm linh năm"),
    ],
)
def test_date_in_words(d, words):
    assert date_in_words(d) == words


@settings(max_examples=200)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_date_in_words_shape(d):
    words = date_in_words(d)
    assert words.startswith("ngày ")
    assert ("mồng" in words) == (d.day <= 10)
    assert " tháng " in words and " năm " in words
    assert "Giêng" not in words and "Chạp" not in words


@pytest.mark.parametrize(
    "amount, words",
    [
        (0, "Không đồng"),
        (8_000, "Tám nghìn đồng"),
        (2_000, "Hai nghìn đồng"),
        (10_000, "Mười nghìn đồng"),
        (50_000, "Năm mươi nghìn đồng"),
        (200_000, "Hai trăm nghìn đồng"),
        (1_500_000, "Một triệu năm trăm nghìn đồng"),
        (1_021_000, "Một triệu không trăm hai mươi mốt nghìn đồng"),
    ],
)
def test_money_in_words(amount, words):
    assert money_in_words(amount) == words


def test_money_in_words_refuses_negative_and_non_int():
    with pytest.raises(ValueError):
        money_in_words(-1)
    with pytest.raises(TypeError):
        money_in_words(8000.0)  # type: ignore[arg-type]
