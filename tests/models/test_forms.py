"""The template format: refused with the file and line when broken; values checked per type."""

from datetime import date

import pytest

from desk_app.models.forms import (
    TemplateError,
    check_values,
    derive_values,
    load_library,
    lookup,
    parse_template,
    split_applicant,
)

GOOD = '''id = "thu"
version = "1"
kind = "declaration"
title = "TỜ KHAI THỬ"

[[fields]]
id = "person.full_name"
label = "Họ, chữ đệm, tên"
type = "name"
required = true

[[fields]]
id = "person.birth_date"
label = "Ngày sinh"
type = "birth_date"

[[fields]]
id = "person.sex"
label = "Giới tính"
type = "choice"
choices = ["Nam", "Nữ"]

[[fields]]
id = "person.id_number"
label = "Số định danh cá nhân"
type = "cccd"
check_birth_date = "person.birth_date"
check_sex = "person.sex"

[[fields]]
id = "copies"
label = "Số bản sao"
type = "number"
minimum = 0
maximum = 10

[[derived]]
id = "person.birth_date_words"
from = "date_in_words(person.birth_date)"

[[blocks]]
type = "title"

[[blocks]]
type = "line"
label = "Họ tên:"
value = "{person.full_name|upper}, sinh {person.birth_date_words}; {ward.place}"
'''


def test_a_good_template_parses():
    t = parse_template(GOOD, "thu.toml")
    assert (t.id, t.version, t.kind) == ("thu", "1", "declaration")
    assert [f.id for f in t.fields][:2] == ["person.full_name", "person.birth_date"]
    assert t.groups() == [("", list(t.fields))]


@pytest.mark.parametrize("broken, line, words", [
    (GOOD.replace('type = "name"', 'type = "nam"'), 9, "kiểu không biết"),
    (GOOD.replace("{person.full_name|upper}", "{person.fullname|upper}"), 47, "không ứng với trường"),
    (GOOD.replace("{person.full_name|upper}", "{person.full_name|hoa}"), 47, "bộ lọc không biết"),
    (GOOD.replace('type = "line"', 'type = "lines"'), 45, "khối có kiểu không biết"),
    (GOOD.replace('from = "date_in_words(person.birth_date)"', 'from = "words(person.birth_date)"'), 39,
     "hàm không biết"),
    (GOOD.replace('title = "TỜ KHAI THỬ"', 'title = "TỜ KHAI THỬ'), 4, "cú pháp TOML"),
    (GOOD.replace('label = "Ngày sinh"', 'label = "Ngày sinh"\ncolour = "red"'), 15, "khóa không biết"),
    (GOOD.replace('check_sex = "person.sex"', 'check_sex = "person.gender"'), 28, "tham chiếu trường không có"),
])
def test_broken_templates_name_the_file_and_line(broken, line, words):
    with pytest.raises(TemplateError) as err:
        parse_template(broken, "thu.toml")
    assert err.value.line == line, err.value.message
    assert f"thu.toml, dòng {line}" in err.value.message and words in err.value.message


def test_a_broken_file_does_not_stop_the_others(tmp_path):
    (tmp_path / "a.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.toml").write_text(GOOD.replace('id = "thu"', 'id = "hai"').replace("kind = ", "kin = "),
                                     encoding="utf-8")
    library = load_library(tmp_path)
    assert library.ids() == ["thu"]
    assert len(library.errors) == 1 and "b.toml" in library.errors[0].message
    with pytest.raises(TemplateError):
        load_library(tmp_path, strict=True)


def test_versions_are_kept_and_the_newest_wins(tmp_path):
    (tmp_path / "v1.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "v2.toml").write_text(GOOD.replace('version = "1"', 'version = "2"'), encoding="utf-8")
    (tmp_path / "v10.toml").write_text(GOOD.replace('version = "1"', 'version = "10"'), encoding="utf-8")
    library = load_library(tmp_path)
    assert library.latest("thu").version == "10"
    assert library.get("thu", "2").version == "2"


def test_check_values_reports_every_problem_at_once_in_vietnamese():
    t = parse_template(GOOD, "thu.toml")
    result = check_values(t, {"person.full_name": "", "person.birth_date": "31/02/2000", "copies": "11"},
                          today=date(2026, 11, 23))
    assert set(result.errors) == {"person.full_name", "person.birth_date", "copies"}
    assert result.errors["person.full_name"] == "Chưa nhập họ, chữ đệm, tên."
    assert "không tồn tại" in result.errors["person.birth_date"]


def test_check_values_normalises_and_refuses_a_cccd_that_contradicts_the_sex():
    t = parse_template(GOOD, "thu.toml")
    values = {"person.full_name": "trần  thị bích", "person.birth_date": "5/1/1991",
              "person.sex": "nữ", "person.id_number": "042 191 000 111", "copies": "2"}
    result = check_values(t, values, today=date(2026, 11, 23))
    assert result.ok
    assert result.values == {"person.full_name": "Trần Thị Bích", "person.birth_date": "05/01/1991",
                             "person.sex": "Nữ", "person.id_number": "042191000111", "copies": 2}
    wrong = check_values(t, {**values, "person.sex": "nam"}, today=date(2026, 11, 23))
    assert not wrong.ok  # digit 4 says female, the clerk typed Nam
    assert "chữ số thứ 4 là 1" in wrong.errors["person.id_number"]


def test_derived_values_and_lookup():
    t = parse_template(GOOD, "thu.toml")
    derived = derive_values(t, {"person.birth_date": "01/02/2024"})
    assert derived == {"person.birth_date_words": "ngày mồng một tháng hai năm hai nghìn không trăm hai mươi tư"}
    ctx = {"person.full_name": "A", "ward": {"place": "Đại Nài"}}
    assert lookup(ctx, "person.full_name") == "A" and lookup(ctx, "ward.place") == "Đại Nài"
    assert lookup(ctx, "ward.none") is None


def test_split_applicant():
    assert split_applicant({"applicant.full_name": "A", "child.full_name": "B"}) == (
        {"full_name": "A"}, {"child.full_name": "B"})
