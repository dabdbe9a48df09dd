"""Field validators: every rule and every Vietnamese message."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk_app.models.errors import ValidationError
from desk_app.models.validation import (
    PROVINCE_CODES_PATH,
    IdNumberInfo,
    format_date,
    parse_date,
    province_codes,
    validate_birth_date,
    validate_email,
    validate_id_number,
    validate_name,
    validate_phone,
    validate_required,
)

TODAY = date(2026, 1, 15)


def error_of(func, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)
    return info.value


# --- dates --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["05/09/2024", "5/9/2024", "05-09-2024", "05.09.2024", "05092024", "2024-09-05", "2024-9-5",
     " 05 / 09 / 2024 ", "5.9.2024"],
)
def test_parse_date_accepted_forms(text):
    assert parse_date(text) == date(2024, 9, 5)


def test_parse_date_passes_dates_through():
    assert parse_date(date(2024, 9, 5)) == date(2024, 9, 5)  # type: ignore[arg-type]
    assert parse_date(datetime(2024, 9, 5, 10, 30)) == date(2024, 9, 5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text, message",
    [
        ("31/02/2020", "Ngày 31/02/2020 không tồn tại: tháng 2 năm 2020 chỉ có 29 ngày."),
        ("29/02/2021", "Ngày 29/02/2021 không tồn tại: tháng 2 năm 2021 chỉ có 28 ngày."),
        ("31/04/2024", "Ngày 31/04/2024 không tồn tại: tháng 4 năm 2024 chỉ có 30 ngày."),
        ("12/13/2020", "Ngày 12/13/2020 không tồn tại: tháng chỉ từ 1 đến 12."),
        ("1/0/2020", "Ngày 01/00/2020 không tồn tại: tháng chỉ từ 1 đến 12."),
        ("00/01/2020", "Ngày 00/01/2020 không tồn tại."),
        ("01/01/0000", "Ngày 01/01/0000 không tồn tại."),
        ("2020-02-30", "Ngày 30/02/2020 không tồn tại: tháng 2 năm 2020 chỉ có 29 ngày."),
    ],
)
def test_parse_date_impossible_dates(text, message):
    err = error_of(parse_date, text, field="birth_date")
    assert err.message == message
    assert err.field == "birth_date"
    assert err.code == "no_such_date"


@pytest.mark.parametrize("text", ["05/09/85", "5-9-85", "050985"])
def test_parse_date_two_digit_year_is_refused(text):
    err = error_of(parse_date, text)
    assert err.message == "Năm phải ghi đủ 4 chữ số (ví dụ 05/09/1985, không ghi 05/09/85)."
    assert err.code == "two_digit_year"
    assert err.field == "date"


def test_parse_date_other_year_lengths():
    assert error_of(parse_date, "5/9/20245").message == "Năm phải có đúng 4 chữ số; “5/9/20245” có năm 5 chữ số."
    assert error_of(parse_date, "5/9/202").message == "Năm phải có đúng 4 chữ số; “5/9/202” có năm 3 chữ số."


@pytest.mark.parametrize("text", ["abc", "05/09-2024", "2024/09/05", "5 tháng 9 2024", "1234567", "05/09/2024 10:00"])
def test_parse_date_bad_format(text):
    err = error_of(parse_date, text)
    assert err.message == f"Ngày “{text}” không đúng dạng ngày/tháng/năm (ví dụ 05/09/1985)."
    assert err.code == "format"


@pytest.mark.parametrize("text", ["", "   ", None])
def test_parse_date_empty(text):
    err = error_of(parse_date, text)
    assert err.message == "Chưa nhập ngày."
    assert err.code == "required"


def test_format_date():
    assert format_date(date(2024, 2, 1)) == "01/02/2024"
    assert format_date(date(999, 12, 31)) == "31/12/0999"


@settings(max_examples=300)
@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_date_round_trips_format_date(d):
    assert parse_date(format_date(d)) == d
    assert parse_date(d.isoformat()) == d
    assert parse_date(format_date(d).replace("/", "")) == d


def test_validate_birth_date():
    assert validate_birth_date(date(1985, 9, 5), TODAY) == date(1985, 9, 5)
    assert validate_birth_date(TODAY, TODAY) == TODAY
    assert validate_birth_date(date(1900, 1, 1), TODAY) == date(1900, 1, 1)
    assert validate_birth_date(datetime(1985, 9, 5, 8), datetime(2026, 1, 15, 9)) == date(1985, 9, 5)


def test_validate_birth_date_future():
    err = error_of(validate_birth_date, date(2026, 1, 16), TODAY)
    assert err.message == "Ngày sinh 16/01/2026 ở sau ngày hôm nay (15/01/2026)."
    assert err.field == "birth_date" and err.code == "future"


def test_validate_birth_date_before_1900():
    err = error_of(validate_birth_date, date(1899, 12, 31), TODAY, field="mother_birth_date")
    assert err.message == "Ngày sinh 31/12/1899 trước năm 1900; kiểm tra lại năm sinh."
    assert err.field == "mother_birth_date" and err.code == "too_old"


# --- personal ID number -------------------------------------------------------------------

def test_province_codes_file():
    data = json.loads(PROVINCE_CODES_PATH.read_text(encoding="utf-8"))
    assert set(data) >= {"version", "source", "codes"}
    codes = province_codes()
    assert len(codes) == 63
    assert codes["001"] == "Hà Nội"
    assert codes["042"] == "Hà Tĩnh"
    assert codes["079"] == "Thành phố Hồ Chí Minh"
    assert codes["096"] == "Cà Mau"
    assert all(len(k) == 3 and k.isdigit() for k in codes)
    assert all(unicodedata.is_normalized("NFC", v) for v in codes.values())
    assert province_codes() is codes  # loaded once


@pytest.mark.parametrize(
    "text", ["001085012345", "001 085 012345", "001.085.012.345", "001-085-012345", " 0010 8501 2345 "]
)
def test_id_number_separators(text):
    info = validate_id_number(text, today=TODAY)
    assert info == IdNumberInfo("001085012345", "cccd", "001", "Hà Nội", 1900, "nam", "85", ())
    assert info.birth_year == 1985


@pytest.mark.parametrize(
    "digit, century, sex",
    [("0", 1900, "nam"), ("1", 1900, "nữ"), ("2", 2000, "nam"), ("3", 2000, "nữ")],
)
def test_id_number_century_and_sex(digit, century, sex):
    info = validate_id_number(f"042{digit}05123456", today=TODAY)
    assert (info.century, info.sex, info.birth_year_2digits) == (century, sex, "05")
    assert info.province_name == "Hà Tĩnh"
    assert info.birth_year == century + 5


@pytest.mark.parametrize("digit, first, last", [("4", 2100, 2199), ("5", 2100, 2199), ("6", 2200, 2299),
                                                ("7", 2200, 2299), ("8", 2300, 2399), ("9", 2300, 2399)])
def test_id_number_future_century_is_an_error(digit, first, last):
    err = error_of(validate_id_number, f"001{digit}00123456", today=TODAY)
    assert err.message == (
        f"Số định danh cá nhân không hợp lệ: chữ số thứ tư là {digit}, tức là sinh trong "
        f"các năm {first}–{last}, chưa tới."
    )
    assert err.code == "future" and err.field == "id_number"


def test_id_number_future_century_is_fine_once_it_has_come():
    info = validate_id_number("001401123456", today=date(2101, 6, 1))
    assert (info.century, info.sex, info.birth_year) == (2100, "nam", 2101)


def test_id_number_future_year_in_this_century_is_an_error():
    err = error_of(validate_id_number, "001299012345", today=TODAY)
    assert err.message == (
        "Số định danh cá nhân không hợp lệ: năm sinh ghi trong số (chữ số thứ tư đến thứ sáu) là 2099, sau năm nay."
    )
    assert validate_id_number("001226012345", today=TODAY).birth_year == 2026


def test_id_number_unknown_province_is_a_warning():
    info = validate_id_number("003085012345", today=TODAY)
    assert info.province_code == "003" and info.province_name is None
    assert info.warnings == (
        "Mã tỉnh 003 (3 chữ số đầu) không có trong danh sách mã tỉnh; kiểm tra lại số định danh.",
    )


def test_id_number_contradicting_the_birth_year_or_sex_is_refused_with_the_digit_explained():
    """Issue: only warned, so a paper could carry a number and a birth date that cannot both be true."""
    err = error_of(validate_id_number, "001085012345", birth_date=date(1986, 3, 1), today=TODAY)
    assert err.message == ("Số định danh không khớp với năm sinh đã nhập (1986): chữ số thứ 4 là 0 (sinh trong các "
                           "năm 1900–1999) và chữ số thứ 5–6 là 85, tức sinh năm 1985. Kiểm tra lại số định danh "
                           "hoặc ngày sinh.")
    assert (err.field, err.code) == ("id_number", "id_birth_year")
    err = error_of(validate_id_number, "001085012345", birth_date=date(1985, 3, 1), sex="nữ", today=TODAY)
    assert err.message == ("Số định danh không khớp với giới tính đã nhập (nữ): chữ số thứ 4 là 0, số chẵn là nam, "
                           "số lẻ là nữ, tức nam. Kiểm tra lại số định danh hoặc giới tính.")
    assert err.code == "id_sex"
    err = error_of(validate_id_number, "042301012345", birth_date=date(2001, 5, 1), sex="nam", today=TODAY)
    assert err.code == "id_sex" and "chữ số thứ 4 là 3" in err.message  # born in the 2000s, female


def test_id_number_matching_birth_date_and_sex_give_no_warning():
    assert validate_id_number("001185012345", birth_date=date(1985, 3, 1), sex="Nữ", today=TODAY).warnings == ()
    assert validate_id_number("001185012345", birth_date=1985, sex="nu", today=TODAY).warnings == ()
    assert validate_id_number("001085012345", sex="NAM", today=TODAY).warnings == ()
    assert validate_id_number("001085012345", sex="", today=TODAY).warnings == ()


def test_id_number_bad_sex_argument():
    err = error_of(validate_id_number, "001085012345", sex="khác", today=TODAY)
    assert err.message == "Giới tính phải là “nam” hoặc “nữ”."
    assert err.field == "sex"


def test_cmnd_nine_digits_only_as_an_old_number_kept_beside():
    info = validate_id_number("123 456 789", birth_date=date(1970, 1, 1), sex="nam", allow_cmnd=True)
    assert info == IdNumberInfo("123456789", "cmnd", None, None, None, None, None, ())
    assert info.birth_year is None


def test_cmnd_is_no_identity_paper_since_the_end_of_2024():
    err = error_of(validate_id_number, "123456789", field="applicant_id")  # refused by default
    assert err.message == (
        "Chứng minh nhân dân 9 chữ số không còn là giấy tờ tùy thân (chỉ có giá trị đến hết ngày 31/12/2024, "
        "Luật Căn cước 2023): hãy nhập số định danh cá nhân 12 chữ số in trên thẻ căn cước hoặc căn cước công dân."
    )
    assert err.field == "applicant_id" and err.code == "cmnd_not_allowed"


@pytest.mark.parametrize("text, count", [("12345", 5), ("0010850123456", 13), ("00108501234", 11)])
def test_id_number_wrong_length(text, count):
    err = error_of(validate_id_number, text, allow_cmnd=True)
    assert err.message == (
        f"Số định danh cá nhân phải có 12 chữ số (số chứng minh nhân dân cũ: 9 chữ số); số vừa nhập có {count} chữ số."
    )
    err = error_of(validate_id_number, text, allow_cmnd=False)
    assert err.message == f"Số định danh cá nhân phải có 12 chữ số; số vừa nhập có {count} chữ số."
    assert err.code == "length"


@pytest.mark.parametrize("text, bad", [("00108501234a", "a"), ("001/085/012345", "/"), ("００1085012345", "０")])
def test_id_number_non_digits(text, bad):
    err = error_of(validate_id_number, text)
    assert err.message == f"Số định danh cá nhân chỉ gồm chữ số; ký tự “{bad}” không hợp lệ."
    assert err.code == "format"


@pytest.mark.parametrize("text", ["", "  ", " . - ", None])
def test_id_number_empty(text):
    err = error_of(validate_id_number, text)
    assert err.message == "Chưa nhập số định danh cá nhân."
    assert err.code == "required"


@settings(max_examples=500)
@given(st.one_of(st.text(), st.text(alphabet="0123456789 .-", max_size=16)), st.booleans())
def test_id_number_raises_only_validation_error(text, allow_cmnd):
    try:
        info = validate_id_number(text, allow_cmnd=allow_cmnd, today=TODAY)
    except ValidationError as err:
        assert err.field == "id_number" and err.message
    else:
        assert len(info.number) in (9, 12) and info.number.isdigit()


@settings(max_examples=300)
@given(
    st.sampled_from(sorted(province_codes())),
    st.integers(0, 3),
    st.integers(0, 99),
    st.integers(0, 999_999),
)
def test_id_number_decodes_every_generated_number(province, digit, yy, tail):
    number = f"{province}{digit}{yy:02d}{tail:06d}"
    year = 1900 + (digit // 2) * 100 + yy
    if year > TODAY.year:
        with pytest.raises(ValidationError):
            validate_id_number(number, today=TODAY)
        return
    info = validate_id_number(number, today=TODAY, birth_date=date(year, 1, 1), sex="nam" if digit % 2 == 0 else "nữ")
    assert info.number == number and info.warnings == ()
    assert info.birth_year == year


# --- phone --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("+84 0912 345 678", "0912345678"),
        ("0084 912 345 678", "0912345678"),
        ("(+84) 912 345 678", "0912345678"),
        ("0353 123 456", "0353123456"),
        ("0563123456", "0563123456"),
        ("0703123456", "0703123456"),
        ("0813123456", "0813123456"),
        ("024 3825 1234", "02438251234"),
        ("+84 24 3825 1234", "02438251234"),
        ("842438251234", "02438251234"),
    ],
)
def test_validate_phone_accepts(text, expected):
    assert validate_phone(text) == expected


@pytest.mark.parametrize(
    "text, message, code",
    [
        ("", "Chưa nhập số điện thoại.", "required"),
        (" - ", "Chưa nhập số điện thoại.", "required"),
        ("+1 555 1234", "Chỉ nhận số điện thoại Việt Nam (mã quốc gia +84).", "foreign"),
        ("09a2345678", "Số điện thoại chỉ gồm chữ số (được có dấu cách, dấu chấm, dấu gạch ngang hoặc mã +84).", "format"),
        ("912345678", "Số điện thoại phải bắt đầu bằng số 0 hoặc mã +84.", "format"),
        ("0912345", "Số di động phải có 10 chữ số; số vừa nhập có 7 chữ số.", "length"),
        ("09123456789", "Số di động phải có 10 chữ số; số vừa nhập có 11 chữ số.", "length"),
        ("0243825123", "Số máy bàn (đầu 02) phải có 11 chữ số; số vừa nhập có 10 chữ số.", "length"),
        ("01234567890", "Số di động 11 chữ số đầu 01 đã được đổi sang số 10 chữ số từ năm 2018; hãy nhập số mới.", "old_prefix"),
        ("0412345678", "Đầu số 04 không phải đầu số điện thoại Việt Nam (di động: 03, 05, 07, 08, 09; máy bàn: 02).", "prefix"),
        ("0612345678", "Đầu số 06 không phải đầu số điện thoại Việt Nam (di động: 03, 05, 07, 08, 09; máy bàn: 02).", "prefix"),
        ("0012345678", "Đầu số 00 không phải đầu số điện thoại Việt Nam (di động: 03, 05, 07, 08, 09; máy bàn: 02).", "prefix"),
    ],
)
def test_validate_phone_refuses(text, message, code):
    err = error_of(validate_phone, text, field="contact_phone")
    assert err.message == message
    assert err.code == code and err.field == "contact_phone"


@st.composite
def valid_phone(draw):
    if draw(st.booleans()):
        digits = draw(st.sampled_from(["3", "5", "7", "8", "9"])) + "".join(
            draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8))
        )
    else:
        digits = "2" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
    prefix = draw(st.sampled_from(["0", "+84", "+84 ", "84", "0084", "+84 0", "(+84) "]))
    sep = draw(st.sampled_from(["", " ", ".", "-"]))
    chunks = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return "0" + digits, prefix + sep.join(chunks)


@settings(max_examples=300)
@given(valid_phone())
def test_validate_phone_accepts_every_valid_number(pair):
    expected, typed = pair
    assert validate_phone(typed) == expected


# --- e-mail -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("ten@example.com", "ten@example.com"),
        ("  Nguyen.Van.Duc@Gmail.COM ", "Nguyen.Van.Duc@gmail.com"),
        ("a+tag@sub.domain.gov.vn", "a+tag@sub.domain.gov.vn"),
        ("x_y-z@mail-server.vn", "x_y-z@mail-server.vn"),
    ],
)
def test_validate_email_accepts(text, expected):
    assert validate_email(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Chưa nhập địa chỉ thư điện tử."),
        ("ten @example.com", "Địa chỉ thư điện tử không được có dấu cách."),
        ("nguyễn@gmail.com", "Địa chỉ thư điện tử không được có chữ có dấu (hãy tắt bộ gõ tiếng Việt khi nhập)."),
        ("ten.example.com", "Địa chỉ thư điện tử phải có đúng một ký tự @, ví dụ ten@example.com."),
        ("a@@b.com", "Địa chỉ thư điện tử phải có đúng một ký tự @, ví dụ ten@example.com."),
        ("ten@example", "Địa chỉ thư điện tử “ten@example” không hợp lệ (ví dụ đúng: ten@example.com)."),
        ("a..b@c.com", "Địa chỉ thư điện tử “a..b@c.com” không hợp lệ (ví dụ đúng: ten@example.com)."),
        (".a@c.com", "Địa chỉ thư điện tử “.a@c.com” không hợp lệ (ví dụ đúng: ten@example.com)."),
        ("a@-b.com", "Địa chỉ thư điện tử “a@-b.com” không hợp lệ (ví dụ đúng: ten@example.com)."),
        ("a@b.c", "Địa chỉ thư điện tử “a@b.c” không hợp lệ (ví dụ đúng: ten@example.com)."),
        ("@b.com", "Địa chỉ thư điện tử “@b.com” không hợp lệ (ví dụ đúng: ten@example.com)."),
    ],
)
def test_validate_email_refuses(text, message):
    err = error_of(validate_email, text)
    assert err.message == message
    assert err.field == "email"


# --- names --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("nguyễn văn đức", "Nguyễn Văn Đức"),
        ("NGUYỄN THỊ ÁNH", "Nguyễn Thị Ánh"),
        ("  lê   văn  tám ", "Lê Văn Tám"),
        ("h'hen niê", "H'Hen Niê"),
        ("ksor h’bơ", "Ksor H'Bơ"),
        ("jean-pierre dupont", "Jean-Pierre Dupont"),
        ("NguyÔn V¨n §øc", "Nguyễn Văn Đức"),
        ("Ly", "Ly"),
    ],
)
def test_validate_name_accepts(text, expected):
    assert validate_name(text) == expected


@pytest.mark.parametrize(
    "text, message, code",
    [
        ("", "Chưa nhập họ, chữ đệm, tên.", "required"),
        ("Nguyễn Văn 2", "Họ, chữ đệm, tên không được có chữ số.", "digits"),
        ("Nguyễn V. Đức", "Họ, chữ đệm, tên chỉ gồm chữ cái, dấu cách, dấu nháy (') và dấu gạch nối (-); không dùng được “.”.", "characters"),
        ("Иван Петров", "Họ, chữ đệm, tên chỉ gồm chữ cái, dấu cách, dấu nháy (') và dấu gạch nối (-); không dùng được “И”.", "characters"),
        ("'An", "Dấu nháy (') và dấu gạch nối (-) chỉ được đặt giữa hai chữ cái.", "punctuation"),
        ("An-", "Dấu nháy (') và dấu gạch nối (-) chỉ được đặt giữa hai chữ cái.", "punctuation"),
        ("Jean--Pierre", "Dấu nháy (') và dấu gạch nối (-) chỉ được đặt giữa hai chữ cái.", "punctuation"),
        ("A", "Họ, chữ đệm, tên quá ngắn (cần ít nhất 2 chữ cái).", "too_short"),
        ("A" * 101, "Họ, chữ đệm, tên dài quá 100 ký tự (101 ký tự).", "too_long"),
    ],
)
def test_validate_name_refuses(text, message, code):
    err = error_of(validate_name, text, field="father_name")
    assert err.message == message
    assert err.code == code and err.field == "father_name"


def test_validate_name_length_limit_is_inclusive():
    assert len(validate_name("a" * 100)) == 100


# --- required fields ----------------------------------------------------------------------

def test_validate_required():
    labels = {"full_name": "Họ, chữ đệm, tên", "birth_date": "Ngày, tháng, năm sinh", "id_number": "Số định danh cá nhân"}
    values = {"full_name": "  ", "birth_date": date(1990, 1, 1), "id_number": None, "papers": [], "note": "x"}
    assert validate_required(values, ["full_name", "birth_date", "id_number", "papers", "note", "absent"], labels) == [
        "Chưa nhập Họ, chữ đệm, tên.",
        "Chưa nhập Số định danh cá nhân.",
        "Chưa nhập papers.",
        "Chưa nhập absent.",
    ]
    assert validate_required({"full_name": "An"}, ("full_name",), labels) == []
    assert validate_required({"count": 0}, ["count"], {}) == []  # zero is a value


def test_a_long_date_is_written_as_decree_30_2020_writes_it():
    from desk_app.models.validation import long_date

    assert long_date(date(2026, 9, 5)) == "ngày 05 tháng 9 năm 2026"
    assert long_date(date(2026, 2, 19)) == "ngày 19 tháng 02 năm 2026"
    assert long_date(date(2026, 1, 1)) == "ngày 01 tháng 01 năm 2026"
    assert long_date(date(2026, 12, 23)) == "ngày 23 tháng 12 năm 2026"
    assert long_date(date(2026, 3, 10)) == "ngày 10 tháng 3 năm 2026"
