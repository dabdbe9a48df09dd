"""Tiếp nhận, driven offscreen with real widgets, a real database and real PDFs; only the printer
is fake (the edge of the world)."""

from __future__ import annotations

import io

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox
from pypdf import PdfReader

from desk_app.ui.intake import IntakeView


class FakePrinter:
    def __init__(self) -> None:
        self.jobs: list[tuple[bytes, str]] = []

    def print_pdf(self, pdf: bytes, title: str) -> None:
        self.jobs.append((pdf, title))

    def texts(self) -> list[str]:
        return [" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages) for pdf, _ in self.jobs]


def type_text(widget, text: str) -> int:
    """Type as a clerk does; Vietnamese letters as key events carrying their text (keyClicks with
    non-ASCII aborts pytest: see shared/notes/stack-facts.md). Returns the key events sent."""
    widget.setFocus()
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key_unknown, ch, Qt.NoModifier)
    return len(text)


def press_enter(widget) -> int:
    QTest.keyClick(widget, Qt.Key_Return)
    return 1


@pytest.fixture
def printer():
    return FakePrinter()


@pytest.fixture
def intake(qtbot, counter, printer):
    view = IntakeView(counter, printer=printer, preview=False)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    yield view
    view.shutdown()


@pytest.fixture
def no_dialogs(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: seen.append(text))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    return seen


BIRTH_VALUES = {
    "relationship": "Cha", "child.full_name": "Nguyễn Minh An", "child.birth_date": "01/11/2026",
    "child.sex": "Nam", "child.birth_place": "Bệnh viện Đa khoa tỉnh Hà Tĩnh",
}


def choose_birth(qtbot, intake):
    qtbot.keyClicks(intake.procedure_search, "dang ky khai sinh")
    assert intake.procedure_list.currentItem().data(Qt.UserRole) == "1.001193"
    qtbot.keyClick(intake.procedure_search, Qt.Key_Return)
    assert intake.procedure is not None and intake.procedure.code == "1.001193"


def test_intake_to_receipt_prints_receipt_and_declaration(qtbot, intake, counter, printer, applicant, no_dialogs):
    choose_birth(qtbot, intake)
    intake.set_values({f"applicant.{k}": v for k, v in applicant.items()} | BIRTH_VALUES)
    view = intake.accept()
    assert view is not None and view.status == "received", no_dialogs
    receipt, declaration = printer.texts()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt and view.code in receipt
    assert "TỜ KHAI ĐĂNG KÝ KHAI SINH" in declaration and "NGUYỄN MINH AN" in declaration
    prints = [a.payload["form"] for a in counter.store.actions_for(view.id) if a.kind == "printed"]
    assert prints == ["receipt", "declaration"]
    assert view.code in intake.message.text()


def test_errors_are_shown_and_nothing_is_saved(qtbot, intake, counter, printer, no_dialogs):
    choose_birth(qtbot, intake)
    intake.set_values({"applicant.full_name": "Lê Văn Tám", "child.birth_date": "31/02/2026"})
    assert intake.accept() is None
    assert counter.store.checks.counts()["dossiers"] == 0 and printer.jobs == []
    assert "chỗ cần sửa" in intake.message.text()


def test_missing_papers_lead_to_one_supplement_request(qtbot, intake, counter, printer, applicant, no_dialogs):
    choose_birth(qtbot, intake)
    intake.set_values({f"applicant.{k}": v for k, v in applicant.items()} | BIRTH_VALUES)
    for i in range(intake.papers.count()):  # the citizen did not bring the birth certificate
        item = intake.papers.item(i)
        if item.data(Qt.UserRole) == "Giấy chứng sinh":
            item.setCheckState(Qt.Unchecked)
    assert intake.missing_papers() == ["Giấy chứng sinh"]
    assert intake.accept() is None  # the clerk is asked to make the supplement request instead
    view = intake.request_supplement(intake.missing_papers(), "Hồ sơ thiếu giấy tờ theo quy định")
    assert view.status == "waiting_supplement"
    [slip] = printer.texts()
    assert "Giấy chứng sinh" in slip and view.code in slip
    assert counter.dossiers.supplement(view.code).status == "received"


def test_refusal_prints_the_refusal_slip(qtbot, intake, counter, printer, applicant, no_dialogs):
    choose_birth(qtbot, intake)
    intake.set_values({f"applicant.{k}": v for k, v in applicant.items()})
    view = intake.refuse("Người yêu cầu không thuộc trường hợp được đăng ký tại phường")
    assert view.status == "refused"
    assert "Người yêu cầu không thuộc trường hợp" in printer.texts()[0]


def test_same_day_dossier_is_returned_in_one_sitting(qtbot, intake, counter, printer, applicant, no_dialogs):
    qtbot.keyClicks(intake.procedure_search, "chung thuc chu ky")
    qtbot.keyClick(intake.procedure_search, Qt.Key_Return)
    assert intake.procedure.code == "2.000884" and intake.same_day_button.isEnabled()
    kind = intake.form.template.field("certification.kind").choices
    intake.set_values({f"applicant.{k}": v for k, v in applicant.items()}
                      | {"certification.kind": next(c for c in kind if "chữ ký" in c),
                         "document.name": "Giấy ủy quyền nhận lương hưu"})
    view = intake.return_at_once()
    assert view is not None, no_dialogs
    assert view.status == "returned" and view.state.timeliness == "on_time"
    assert len(printer.jobs) == 2
    receipt = printer.texts()[0]  # không hẹn: the receipt says it was returned, with no appointment
    assert ("Thời gian trả kết quả giải quyết hồ sơ: đã trả kết quả ngay cho công dân lúc 09 giờ 00 phút, "
            "ngày 23/11/2026 (không hẹn)") in " ".join(receipt.split())
    assert "17 giờ" not in receipt and "Khi nhận kết quả" not in receipt


def test_a_half_typed_form_is_saved_and_offered_back(qtbot, counter, printer, no_dialogs):
    first = IntakeView(counter, printer=printer, preview=False)
    qtbot.addWidget(first)
    qtbot.keyClicks(first.procedure_search, "khai sinh")
    qtbot.keyClick(first.procedure_search, Qt.Key_Return)
    type_text(first.form.field_widget("child.full_name"), "Trần Bảo Ngọc")
    qtbot.waitUntil(lambda: counter.drafts.mine() != [], timeout=3000)
    [draft] = counter.drafts.mine()
    assert draft["values"]["child.full_name"] == "Trần Bảo Ngọc"
    second = IntakeView(counter, printer=printer, preview=False)  # as after a crash and restart
    qtbot.addWidget(second)
    second.restore_draft(draft)
    assert second.procedure.code == "1.001193"
    assert second.form.values()["child.full_name"] == "Trần Bảo Ngọc"
    first.shutdown()
    second.shutdown()


def test_returning_citizen_birth_in_under_40_percent_of_the_keys(qtbot, intake, counter, printer, applicant,
                                                                  no_dialogs):
    """Key events for a birth registered for a returning citizen, against typing every character
    of every field into the Word template by hand (one more key per field to move on)."""
    counter.dossiers.receive("2.000884", applicant)  # the citizen came before
    intake.show()
    with pytest.warns(DeprecationWarning):
        QApplication.setActiveWindow(intake)  # offscreen has no window manager to activate it
    qtbot.waitActive(intake)
    keys = 0
    keys += type_text(intake.procedure_search, "khai sinh") + press_enter(intake.procedure_search)
    keys += type_text(intake.citizen_search, "042090012345") + press_enter(intake.citizen_search)
    typed = {"relationship": "Cha", "child.full_name": "Nguyễn Minh An", "child.birth_date": "01112026",
             "child.birth_place": "Bệnh viện Đa khoa tỉnh Hà Tĩnh", "mother.full_name": "Lê Thị Hoa",
             "mother.birth_date": "1992"}
    for field_id, text in typed.items():
        widget = intake.form.field_widget(field_id)
        keys += type_text(widget, text) + press_enter(widget)
    sex = intake.form.field_widget("child.sex")
    sex.setFocus()
    QTest.keyClick(sex, Qt.Key_N)  # "Nam" from the list
    keys += 1
    QTest.keyClick(sex, Qt.Key_Return, Qt.ControlModifier)  # Ctrl+Enter: accept and print
    keys += 1
    assert intake.last_view is not None, (intake.message.text(), no_dialogs)
    view = intake.last_view
    # what the clerk would have typed into Word: every value on the printed declaration
    data = dict(view.state.data["form_data"])
    applicant_known = view.state.data["applicant"]
    word_values = [applicant_known["full_name"], "15/03/1990", applicant_known["id_number"],
                   applicant_known["address"], data["relationship"], data["child.full_name"],
                   data["child.birth_date"], "ngày mồng một tháng mười một năm hai nghìn không trăm hai mươi sáu",
                   data["child.sex"], "Kinh", "Việt Nam", data["child.birth_place"], data["mother.full_name"],
                   data["mother.birth_date"], "Kinh", "Việt Nam", "Phường Đại Nài", "23", "11", "2026"]
    word_keys = sum(len(v) + 1 for v in word_values)
    ratio = keys / word_keys
    print(f"\nkey events: ours {keys}, Word template {word_keys}, ratio {ratio:.0%}")
    assert ratio <= 0.40


def test_the_clerk_picks_an_exemption_on_the_birth_form_and_the_receipt_says_it(qtbot, intake, counter, printer,
                                                                               applicant, no_dialogs):
    counter.set_settings({"fee.1.001193.late": "8000"})
    choose_birth(qtbot, intake)
    exempt = intake.form.field_widget("fee_exempt")
    assert [exempt.itemText(i) for i in range(exempt.count())][1:] == list(
        counter.catalogue.get("1.001193").chosen_fee_exemptions)
    late = BIRTH_VALUES | {"child.birth_date": "01/08/2026", "fee_exempt": "Người khuyết tật"}
    intake.set_values({f"applicant.{k}": v for k, v in applicant.items()} | late)
    view = intake.accept()
    assert view is not None, no_dialogs
    receipt = printer.texts()[0]
    assert "Miễn lệ phí (thuộc trường hợp: Người khuyết tật)" in receipt


def test_a_second_ctrl_enter_or_ctrl_b_shows_the_saved_dossier_and_records_nothing(qtbot, intake, counter, printer,
                                                                                  applicant, no_dialogs):
    intake.show()
    with pytest.warns(DeprecationWarning):
        QApplication.setActiveWindow(intake)  # offscreen has no window manager to activate it
    qtbot.waitActive(intake)
    choose_birth(qtbot, intake)
    intake.set_values({f"applicant.{k}": v for k, v in applicant.items()} | BIRTH_VALUES)
    field = intake.form.field_widget("child.full_name")
    field.setFocus()
    QTest.keyClick(field, Qt.Key_Return, Qt.ControlModifier)  # Ctrl+Enter: saved, papers printed
    saved = intake.last_view
    assert saved is not None and not saved.repeated, no_dialogs
    jobs, counts = len(printer.jobs), counter.store.checks.counts()
    QTest.keyClick(field, Qt.Key_Return, Qt.ControlModifier)  # the second press
    intake.accept_button.click()  # and a click on the button
    QTest.keyClick(field, Qt.Key_B, Qt.ControlModifier)  # Ctrl+B on a saved form: no second request
    assert counter.store.checks.counts() == counts and len(printer.jobs) == jobs
    assert intake.last_view.code == saved.code and intake.last_view.repeated
    assert f"Hồ sơ này đã được lưu (mã {saved.code}" in intake.message.text()
    assert no_dialogs == []
    QTest.keyClick(field, Qt.Key_N, Qt.ControlModifier)  # Mới: the next form is a new dossier
    choose_birth(qtbot, intake)
    intake.set_values({f"applicant.{k}": v for k, v in applicant.items()} | BIRTH_VALUES)
    assert intake.accept().code != saved.code
