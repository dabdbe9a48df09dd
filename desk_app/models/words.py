"""Numbers, dates and sums of money in Vietnamese words, for forms the clerk never types.

Reading rules: "mốt" for 1 and "lăm" for 5 after "mươi"; "lăm" after "mười"; "linh" (not "lẻ")
for a zero ten ("một trăm linh năm"); "không trăm" for an empty hundreds inside a bigger number
("hai nghìn không trăm hai mươi tư"); "nghìn", "triệu", "tỷ". A 4 after "mươi" is read "tư"
(hai mươi tư), as civil-status registers write it; elsewhere "bốn" (mười bốn, linh bốn).
"""

from __future__ import annotations

from datetime import date

__all__ = ["number_in_words", "date_in_words", "money_in_words"]

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUPS = ("", "nghìn", "triệu")  # above a billion the pattern restarts with "tỷ"


def _below_thousand(n: int, inner: bool) -> list[str]:
    """Words for 0 < n < 1000. ``inner``: a group after a bigger one, so a zero hundreds is
    read ("không trăm") and a lone unit takes "linh"."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or inner:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(_DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else _DIGITS[units])
        return words
    words += [_DIGITS[tens], "mươi"]
    if units == 1:
        words.append("mốt")
    elif units == 4:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def _below_billion(n: int, inner: bool) -> list[str]:
    """Words for 0 < n < 10**9; empty groups are skipped ("một triệu không trăm linh năm")."""
    groups = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            continue
        words += _below_thousand(g, inner or bool(words))
        if _GROUPS[index]:
            words.append(_GROUPS[index])
    return words


def _words(n: int, inner: bool) -> list[str]:
    billions, rest = divmod(n, 10**9)
    words: list[str] = []
    if billions:
        words += _words(billions, inner) + ["tỷ"]
    if rest:
        words += _below_billion(rest, inner or bool(words))
    return words


def number_in_words(n: int) -> str:
    """Vietnamese reading of an integer: 2024 -> "hai nghìn không trăm hai mươi tư",
    21 -> "hai mươi mốt", 105 -> "một trăm linh năm", 0 -> "không", -3 -> "âm ba"."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("number_in_words needs an int")
    if n == 0:
        return "không"
    if n < 0:
        return "âm " + number_in_words(-n)
    return " ".join(_words(n, inner=False))


def date_in_words(d: date) -> str:
    """Civil-status style: "ngày mồng một tháng hai năm hai nghìn không trăm hai mươi tư".

    Days 1-10 take "mồng"; months are read as numbers ("tháng một", "tháng tư" for April,
    "tháng mười hai"), not "tháng Giêng"/"tháng Chạp", as on the Circular 04/2024 forms.
    """
    day = ("mồng " if d.day <= 10 else "") + number_in_words(d.day)
    month = "tư" if d.month == 4 else number_in_words(d.month)
    return f"ngày {day} tháng {month} năm {number_in_words(d.year)}"


def money_in_words(amount: int) -> str:
    """A sum in đồng for receipts: 8000 -> "Tám nghìn đồng", 0 -> "Không đồng"."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("money_in_words needs an int number of đồng")
    if amount < 0:
        raise ValueError("money_in_words: a sum of money cannot be negative")
    words = number_in_words(amount)
    return words[0].upper() + words[1:] + " đồng"
