"""The entry screen built from the real birth declaration template, driven by key events offscreen.

Vietnamese text is typed with key events that carry the text, one per character (what
``qtbot.keyClicks`` would do, except that keyClicks with non-ASCII text aborts the whole run:
see shared/notes/stack-facts.md). ASCII keys go through qtbot.
"""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QGroupBox, QLineEdit, QPlainTextEdit, QScrollArea

from desk_app.models.catalogue import load_catalogue
from desk_app.models.forms import check_values, load_library, parse_template
from desk_app.paths import templates_dir
from desk_app.ui.form_widget import ERROR_COLOUR, WARNING_COLOUR, TemplateForm

TODAY = date(2026, 11, 23)
LINE_TYPES = {"text", "name", "date", "birth_date", "cccd", "phone", "email", "number", "money"}


def type_text(widget, text: str) -> int:
    """Type ``text`` into ``widget`` one character at a time, each key event carrying its
    character (safe for Vietnamese). Returns the number of key events sent."""
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier)
    return len(text)


def focused():
    return QApplication.focusWidget()


@pytest.fixture(scope="module")
def birth():
    # as the intake screen shows it for the birth registration: the exemptions from the catalogue
    return load_library(templates_dir(), strict=True).latest("to_khai_khai_sinh").for_procedure(
        load_catalogue().get("1.001193"))


def show(qtbot, form: TemplateForm) -> TemplateForm:
    qtbot.addWidget(form)
    form.resize(1000, 700)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    return form


@pytest.fixture
def form(qtbot, birth):
    return show(qtbot, TemplateForm(birth, today=TODAY))


def enter(qtbot, widget=None) -> int:
    qtbot.keyClick(widget or focused(), Qt.Key.Key_Return)
    return 1


def leave(qtbot, widget) -> None:
    """Move the focus away with Tab, as the clerk would."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Tab)
    assert focused() is not widget


def test_every_field_gets_a_widget_of_its_type_in_a_box_per_group(form, birth):
    expected_types = {**{t: QLineEdit for t in LINE_TYPES}, "multiline": QPlainTextEdit, "choice": QComboBox,
                      "bool": QCheckBox}
    for f in birth.fields:
        widget = form.field_widget(f.id)
        assert type(widget) is expected_types[f.type], f.id
        assert widget.objectName() == f.id
        assert form.findChild(type(widget), f.id) is widget
        label = form.findChild(type(form.message_label(f.id)), f"{f.id}.label")
        assert label.text() == f.label + (" *" if f.required else "")
        message = form.findChild(type(label), f"{f.id}.message")
        assert message is form.message_label(f.id) and message.isHidden()
    boxes = form.findChildren(QGroupBox)
    assert [b.title() for b in boxes] == ["Người yêu cầu", "Người được khai sinh", "Mẹ", "Cha",
                                          "Đề nghị cấp bản sao", "Lệ phí"]
    exempt = form.field_widget("fee_exempt")
    assert [exempt.itemText(i) for i in range(exempt.count())] == [
        "", "Người thuộc gia đình có công với cách mạng", "Người thuộc hộ nghèo", "Người khuyết tật"]
    assert form.findChild(QScrollArea).widget().isAncestorOf(boxes[0])
    # hints, placeholders and defaults come from the template
    cccd = form.field_widget("applicant.id_number")
    assert cccd.placeholderText() == "12 số"
    assert cccd.toolTip() == birth.field("applicant.id_number").help
    assert form.field_widget("child.birth_date").placeholderText() == "dd/mm/yyyy"
    assert form.values()["child.ethnicity"] == "Kinh"
    assert form.values()["child.nationality"] == "Việt Nam"
    assert form.values()["extract_copies"] == "0"
    sex = form.field_widget("child.sex")
    assert not sex.isEditable()
    assert [sex.itemText(i) for i in range(sex.count())] == ["", "Nam", "Nữ"]  # required, no default
    assert sex.currentText() == ""


def test_a_box_for_fields_without_group_and_choices_with_a_required_default(qtbot):
    template = parse_template('''
id = "thu"
version = "1"
kind = "declaration"
title = "THỬ"

[[fields]]
id = "note"
label = "Ghi chú"
type = "multiline"

[[fields]]
id = "urgent"
label = "Làm gấp"
type = "bool"
default = true

[[fields]]
id = "channel"
label = "Nhận kết quả"
type = "choice"
choices = ["Tại quầy", "Bưu điện"]
default = "Bưu điện"
required = true

[[blocks]]
type = "title"
text = "THỬ"
''')
    form = show(qtbot, TemplateForm(template, today=TODAY))
    assert [b.title() for b in form.findChildren(QGroupBox)] == ["Thông tin"]
    channel = form.field_widget("channel")
    assert [channel.itemText(i) for i in range(channel.count())] == ["Tại quầy", "Bưu điện"]
    assert form.values() == {"note": "", "urgent": True, "channel": "Bưu điện"}
    form.set_values({"note": "dòng một\ndòng hai", "urgent": False, "channel": "tại quầy"})
    assert form.values() == {"note": "dòng một\ndòng hai", "urgent": False, "channel": "Tại quầy"}
    # the clerk's own clicks and keys
    qtbot.mouseClick(form.field_widget("urgent"), Qt.MouseButton.LeftButton)
    channel.setFocus()
    qtbot.keyClick(channel, Qt.Key.Key_Down)
    assert form.values()["urgent"] is True
    assert form.values()["channel"] == "Bưu điện"
    assert check_values(template, form.values(), today=TODAY).values["urgent"] is True
    # Shift+Enter is a new line in a multi-line field, Enter moves on
    note = form.field_widget("note")
    note.setFocus()
    note.moveCursor(note.textCursor().MoveOperation.End)
    qtbot.keyClick(note, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    type_text(note, "ba")
    assert form.values()["note"] == "dòng một\ndòng hai\nba"
    enter(qtbot, note)
    assert focused() is form.field_widget("urgent")
    form.clear()
    assert form.values() == {"note": "", "urgent": True, "channel": "Bưu điện"}


def test_vietnamese_typed_by_key_events_is_normalised_when_the_field_is_left(form):
    name = form.field_widget("applicant.full_name")
    form.focus_first()
    assert focused() is name
    type_text(name, "nguyễn  văn đức")
    assert name.text() == "nguyễn  văn đức"  # nothing changes while typing
    born = form.field_widget("applicant.birth_date")
    born.setFocus()  # the clerk clicks the next field
    assert name.text() == "Nguyễn Văn Đức"
    type_text(born, "5/1/1991")
    form.field_widget("applicant.sex").setFocus()
    assert born.text() == "05/01/1991"
    assert form.message_label("applicant.full_name").isHidden()
    assert form.message_label("applicant.birth_date").isHidden()
    assert form.values()["applicant.full_name"] == "Nguyễn Văn Đức"


def test_a_date_that_does_not_exist_is_shown_under_the_field_and_check_reports_everything(qtbot, form, birth):
    born = form.field_widget("child.birth_date")
    born.setFocus()
    type_text(born, "31/02/2026")
    enter(qtbot, born)
    message = form.message_label("child.birth_date")
    assert message.isVisible()
    assert "không tồn tại" in message.text()
    assert ERROR_COLOUR in message.styleSheet()
    assert born.text() == "31/02/2026"  # an error leaves what was typed
    assert focused() is form.field_widget("child.sex")  # Enter still moves on
    # an empty required field is not nagged about as the clerk passes through it...
    assert form.message_label("child.sex").isHidden()

    result = form.check()
    assert set(result.errors) == {"applicant.full_name", "applicant.birth_date", "relationship",
                                  "child.full_name", "child.birth_date", "child.sex", "child.birth_place"}
    for f in birth.fields:
        label = form.message_label(f.id)
        if f.id in result.errors:
            assert label.isVisible() and label.text() == result.errors[f.id], f.id
        else:
            assert label.isHidden(), f.id
    assert "không tồn tại" in result.errors["child.birth_date"]
    assert result.errors["child.sex"] == "Chưa nhập giới tính."
    assert focused() is form.field_widget("applicant.full_name")  # the first field in error

    # ...but once reported, it follows what the clerk types
    relationship = form.field_widget("relationship")
    relationship.setFocus()
    qtbot.keyClicks(relationship, "Cha")
    form.field_widget("child.full_name").setFocus()
    assert form.message_label("relationship").isHidden()
    born.setFocus()
    born.selectAll()
    qtbot.keyClicks(born, "28/02/2026")
    qtbot.keyClick(born, Qt.Key.Key_Tab)
    assert form.message_label("child.birth_date").isHidden()
    assert "child.birth_date" not in form.check().errors


def test_cccd_contradicting_the_birth_year_or_sex_is_refused_with_the_digit_explained(qtbot, form):
    """Was only a warning: a paper could print a number and a birth date that cannot both be true."""
    born = form.field_widget("applicant.birth_date")
    born.setFocus()
    qtbot.keyClicks(born, "15/03/1985")
    enter(qtbot, born)
    sex = form.field_widget("applicant.sex")
    assert focused() is sex
    type_text(sex, "nữ")  # keyboard search in the list
    assert sex.currentText() == "Nữ"
    enter(qtbot, sex)
    cccd = form.field_widget("applicant.id_number")
    assert focused() is cccd
    qtbot.keyClicks(cccd, "042 090 012 345")  # a man born in 1990
    enter(qtbot, cccd)
    message = form.message_label("applicant.id_number")
    assert message.isVisible()
    assert ERROR_COLOUR in message.styleSheet()
    assert "chữ số thứ 4 là 0" in message.text() and "tức sinh năm 1990" in message.text()
    result = form.check()
    assert "tức sinh năm 1990" in result.errors["applicant.id_number"]
    # correcting the birth date leaves the sex to correct, explained by the same digit
    born.setFocus()
    born.selectAll()
    qtbot.keyClicks(born, "15/03/1990")
    enter(qtbot, born)
    assert "năm sinh" not in message.text() and "giới tính đã nhập (nữ)" in message.text()
    sex.setFocus()
    qtbot.keyClick(sex, Qt.Key.Key_Up)  # Nữ -> Nam
    enter(qtbot, sex)
    assert message.isHidden()
    assert form.check().values["applicant.id_number"] == "042090012345"


def test_enter_walks_the_fields_in_template_order_and_completes_on_the_last(qtbot, form, birth):
    order = [f.id for f in birth.fields]
    form.focus_first()
    for fid in order[:-1]:
        assert focused() is form.field_widget(fid), fid
        with qtbot.assertNotEmitted(form.completed):
            enter(qtbot)
    assert focused() is form.field_widget(order[-1])
    with qtbot.waitSignal(form.completed, timeout=1000):
        enter(qtbot)
    # Tab follows the same order
    form.focus_first()
    for fid in order[1:6]:
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        assert focused() is form.field_widget(fid)


def test_the_last_field_scrolls_into_view_at_1366x768(qtbot, form, birth):
    form.resize(1366, 768 - 120)  # the rest of the window: title bar, toolbar, buttons
    form.focus_first()
    for _ in birth.fields[:-1]:
        enter(qtbot)
    last = form.field_widget(birth.fields[-1].id)
    assert last.visibleRegion().boundingRect().height() == last.height()


def test_changed_carries_every_raw_value_on_every_edit(qtbot, form):
    seen: list[dict] = []
    form.changed.connect(seen.append)
    relationship = form.field_widget("relationship")
    relationship.setFocus()
    type_text(relationship, "Mẹ")
    assert [v["relationship"] for v in seen] == ["M", "Mẹ"]
    assert set(seen[-1]) == set(form.values()) and seen[-1]["child.ethnicity"] == "Kinh"
    with qtbot.waitSignal(form.changed) as blocker:
        form.field_widget("child.sex").setCurrentIndex(2)
    assert blocker.args[0]["child.sex"] == "Nữ"
    name = form.field_widget("child.full_name")
    name.setFocus()
    qtbot.keyClicks(name, "le thi hoa")
    with qtbot.waitSignal(form.changed) as blocker:
        qtbot.keyClick(name, Qt.Key.Key_Tab)  # normalised on the way out: the draft follows
    assert blocker.args[0]["child.full_name"] == "Le Thi Hoa"


def test_set_values_only_empty_keeps_what_the_clerk_typed(qtbot, form):
    name = form.field_widget("applicant.full_name")
    name.setFocus()
    type_text(name, "Trần Thị Bé")
    known = {"applicant.full_name": "Trần Thị Hoa", "applicant.phone": "0912345678",
             "applicant.sex": "Nữ", "mother.ethnicity": "Tày", "not.a.field": "x"}
    with qtbot.waitSignal(form.changed) as blocker:
        form.set_values(known, only_empty=True)
    values = form.values()
    assert values["applicant.full_name"] == "Trần Thị Bé"
    assert values["applicant.phone"] == "0912345678"
    assert values["applicant.sex"] == "Nữ"
    assert values["mother.ethnicity"] == "Tày"  # an untouched default is not the clerk's typing
    assert blocker.args[0] == values
    # the clerk changes a default: it is then theirs
    nationality = form.field_widget("father.nationality")
    nationality.setFocus()
    nationality.selectAll()
    type_text(nationality, "Lào")
    form.set_values({"father.nationality": "Việt Nam", "applicant.phone": "0987654321"}, only_empty=True)
    assert form.values()["father.nationality"] == "Lào"
    assert form.values()["applicant.phone"] == "0912345678"
    # restoring a draft overwrites
    form.set_values({"applicant.full_name": "Trần Thị Hoa", "extract_copies": 2, "child.birth_date": date(2026, 11, 2)})
    assert form.values()["applicant.full_name"] == "Trần Thị Hoa"
    assert form.values()["extract_copies"] == "2"
    assert form.values()["child.birth_date"] == "02/11/2026"
    form.clear()
    assert form.values() == TemplateForm(form.template, today=TODAY).values()


def test_choice_round_trips_through_values(form, birth):
    for choice in ("Nam", "Nữ", ""):
        form.set_values({"child.sex": choice, "applicant.sex": choice.upper()})
        assert form.values()["child.sex"] == choice
        assert form.values()["applicant.sex"] == choice
    restored = TemplateForm(birth, today=TODAY)
    form.set_values({"child.sex": "Nữ", "relationship": "Bà nội"})
    restored.set_values(form.values())
    assert restored.values() == form.values()


def test_key_events_to_fill_the_required_fields_of_the_birth_form(qtbot, form, birth):
    """From focus_first() to `completed`, Enter on every field, typing only the required
    fields that have no default. Every key event is counted; the form must then check clean."""
    typed = {
        "applicant.full_name": "nguyễn văn đức",
        "applicant.birth_date": "15/3/1990",
        "relationship": "Cha",
        "child.full_name": "nguyễn văn an",
        "child.birth_date": "2/11/2026",
        "child.sex": "n",  # keyboard search: Nam
        "child.birth_place": "Bệnh viện Đa khoa tỉnh Hà Tĩnh",
    }
    characters = enters = 0
    form.focus_first()
    done: list[bool] = []
    form.completed.connect(lambda: done.append(True))
    for f in birth.fields:
        assert focused() is form.field_widget(f.id), f.id
        if f.id in typed:
            characters += type_text(focused(), typed[f.id])
        enters += enter(qtbot)
    assert done == [True]
    assert {f.id for f in birth.fields if f.required and f.default is None} == set(typed)
    result = form.check()
    assert result.ok, result.errors
    assert result.values["child.sex"] == "Nam"
    assert result.values["applicant.full_name"] == "Nguyễn Văn Đức"
    assert (characters, enters) == (79, 28)  # one Enter past the optional exemption
    print(f"birth form: {characters + enters} key events ({characters} characters, {enters} Enter)")


def test_typing_into_a_number_replaces_its_default_whether_reached_by_enter_or_a_click(qtbot):
    """Copies 1, typing 2 gave 12 (and a fee of pages × copies to match): typing replaces."""
    request = load_library(templates_dir(), strict=True).latest("phieu_yeu_cau_chung_thuc")
    form = show(qtbot, TemplateForm(request, today=TODAY))
    order = [f.id for f in request.fields]
    before = form.field_widget(order[order.index("pages") - 1])
    pages, copies = form.field_widget("pages"), form.field_widget("copies")
    assert (pages.text(), copies.text()) == ("1", "1")
    before.setFocus()
    qtbot.keyClick(before, Qt.Key.Key_Return)  # Enter moves on to "Số trang"
    assert focused() is pages
    qtbot.keyClicks(pages, "12")
    assert pages.text() == "12"
    qtbot.mouseClick(copies, Qt.MouseButton.LeftButton)  # a click into "Số bản", still 1
    qtbot.wait(20)
    qtbot.keyClicks(copies, "3")
    assert copies.text() == "3"
    qtbot.mouseClick(pages, Qt.MouseButton.LeftButton)  # typed by the clerk: a click keeps it
    qtbot.wait(20)
    qtbot.keyClick(pages, Qt.Key.Key_End)
    qtbot.keyClicks(pages, "0")
    assert pages.text() == "120"
