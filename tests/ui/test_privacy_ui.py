"""Personal data on screen, offscreen with real widgets and a real database: ID numbers and phones
masked in lists and results until the clerk opens the record (which is logged); a warning before
a clerk leaves with work pending; the intake asks only what the procedure's form needs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QMessageBox

from desk_app.ui.app import LoginDialog, MainWindow
from desk_app.ui.dossiers import DossiersView
from desk_app.ui.intake import APPLICANT_FRAGMENT, IntakeView

FULL_ID, FULL_PHONE = "042090012345", "0912345678"


class FakePrinter:
    def __init__(self) -> None:
        self.jobs = []

    def print_pdf(self, pdf: bytes, title: str) -> None:
        self.jobs.append(title)


def type_text(widget, text: str) -> None:
    """Vietnamese letters as key events carrying their text (keyClicks with non-ASCII aborts
    pytest: see shared/notes/stack-facts.md)."""
    widget.setFocus()
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key_unknown, ch, Qt.NoModifier)


@pytest.fixture(autouse=True)
def warnings(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: shown.append(text))
    return shown


@pytest.fixture
def dossier(counter, applicant):
    return counter.dossiers.receive("1.004873", applicant)


@pytest.fixture
def dossiers(qtbot, counter):
    view = DossiersView(counter, printer=FakePrinter())
    qtbot.addWidget(view)
    return view


@pytest.fixture
def intake(qtbot, counter):
    view = IntakeView(counter, printer=FakePrinter(), preview=False)
    qtbot.addWidget(view)
    yield view
    view.shutdown()


@pytest.fixture
def window(qtbot, counter):
    w = MainWindow(counter, printer=FakePrinter(), preview=False)
    qtbot.addWidget(w)
    yield w
    w.intake.shutdown()
    w.statistics.wait(10)


def views(counter):
    return [(e["kind"], e["subject"]) for e in counter.store.privacy.access_entries()]


def all_text(view: DossiersView) -> str:
    model = view.model
    cells = [str(model.data(model.index(r, c))) for r in range(model.rowCount()) for c in range(model.columnCount())]
    return " ".join(cells + [label.text() for label in view.detail_fields.values()])


# -- dossiers: masked until opened ------------------------------------------------------------

def test_search_results_mask_until_the_clerk_opens_the_record(qtbot, dossiers, counter, dossier):
    rows = dossiers.search(FULL_ID)
    assert [r.code for r in rows] == [dossier.code] and dossiers.current.code == dossier.code
    shown = all_text(dossiers)
    assert "0420******45" in shown and "0912***678" in shown
    assert FULL_ID not in shown and FULL_PHONE not in shown
    assert views(counter) == [("search_id", "0420******45")]  # selecting a row is not opening it
    assert dossiers.open_button.isEnabled()

    qtbot.mouseClick(dossiers.open_button, Qt.LeftButton)
    applicant = dossiers.detail_fields["applicant"].text()
    assert f"CCCD {FULL_ID}" in applicant and f"ĐT {FULL_PHONE}" in applicant
    assert views(counter) == [("view_record", dossier.code), ("search_id", "0420******45")]
    assert not dossiers.open_button.isEnabled()

    dossiers.do_start_processing()  # the screen refreshes after an action: still open, one view
    assert FULL_ID in dossiers.detail_fields["applicant"].text()
    assert len(views(counter)) == 2
    dossiers.close_record()
    assert FULL_ID not in dossiers.detail_fields["applicant"].text()


def test_enter_on_a_row_opens_it_and_another_row_closes_it(qtbot, dossiers, counter, dossier, applicant):
    other = counter.dossiers.receive("1.004873", dict(applicant, full_name="Trần Thị Hoa", id_number="042190000111", sex="Nữ",
                                                      phone="0987000111"))
    rows = dossiers.search("0")  # both, by the start of their phones and ID numbers
    assert {r.code for r in rows} == {dossier.code, other.code}
    first = dossiers.model.code_at(0)
    QTest.keyClick(dossiers.table, Qt.Key_Return)
    assert dossiers.opened == first and views(counter) == [("view_record", first)]
    dossiers.table.selectRow(1)  # the next one: back to masked, nothing logged
    second = dossiers.model.code_at(1)
    assert dossiers.current.code == second and dossiers.opened is None
    assert "******" in dossiers.detail_fields["applicant"].text()
    assert len(views(counter)) == 1


def test_queue_lists_show_no_id_number_or_phone(dossiers, counter, dossier):
    for key in ("due_today", "overdue", "ready_to_return", "waiting_supplement"):
        dossiers.show_queue(key)
        assert FULL_ID not in all_text(dossiers) and FULL_PHONE not in all_text(dossiers)
    assert views(counter) == []


# -- intake: citizen search results masked, the fill logged --------------------------------------

def test_intake_citizen_results_are_masked_and_the_fill_is_a_logged_view(intake, counter, dossier, applicant):
    counter.dossiers.receive("1.004873", dict(applicant, full_name="Nguyễn Văn Đạt", id_number="042090099999",
                                              phone="0987654321"))
    intake.choose_procedure("2.000884")
    intake.lookup_citizen("nguyen van")
    texts = [intake.citizen_results.item(i).text() for i in range(intake.citizen_results.count())]
    assert len(texts) == 2
    joined = " ".join(texts)
    assert "0420******45" in joined and "0912***678" in joined and "0987***321" in joined
    assert FULL_ID not in joined and FULL_PHONE not in joined and "0987654321" not in joined
    assert views(counter) == []
    intake.fill_citizen(dossier.row.applicant_id)
    assert intake.values()["applicant.id_number"] == FULL_ID  # the form itself has the full number
    assert views(counter) == [("view_record", f"citizen:{dossier.row.applicant_id}")]
    intake.lookup_citizen(FULL_ID)  # one result: filled at once, the search logged masked
    kinds = [k for k, _ in views(counter)]
    assert kinds.count("search_id") == 1 and FULL_ID not in str(counter.store.privacy.access_entries())


# -- least data ------------------------------------------------------------------------------------

def asked(intake: IntakeView) -> set[str]:
    return {f.id for form in (intake.applicant_form, intake.form) if form is not None for f in form.template.fields}


def test_certifications_ask_no_ethnicity_or_religion(intake, counter):
    """A certification or a copy needs who asks and what is certified: no sensitive data."""
    procedures = [p for p in counter.catalogue.procedures
                  if p.declaration_template in ("phieu_yeu_cau_chung_thuc", "phieu_yeu_cau_cap_ban_sao_so_goc")]
    assert len(procedures) >= 5
    for proc in procedures:
        intake.choose_procedure(proc.code)
        fields = asked(intake)
        assert fields and not [f for f in fields if "ethnicity" in f or "religion" in f], proc.code


def test_the_intake_asks_only_the_template_plus_the_common_applicant_block(intake, counter):
    fragment = {f.id for f in counter.templates.latest(APPLICANT_FRAGMENT).fields}
    assert not [f for f in fragment if "ethnicity" in f or "religion" in f]
    for proc in counter.catalogue.active():
        intake.choose_procedure(proc.code)
        own = {f.id for f in counter.templates.latest(proc.declaration_template).fields}
        has_applicant = any(f.startswith("applicant.") for f in own)
        assert asked(intake) == own | (set() if has_applicant else fragment), proc.code


# -- sessions: a warning before leaving with work pending -------------------------------------------

def test_nothing_pending_locks_without_a_question(qtbot, window, counter, monkeypatch):
    asked_texts = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked_texts.append(box.text()))
    monkeypatch.setattr(LoginDialog, "exec", lambda dialog: (counter.login("lan", "canbo1234"), QDialog.Accepted)[1])
    assert window.leave_warning() is None
    window.switch_clerk()
    assert asked_texts == [] and counter.clerk.username == "lan"


def test_switching_clerk_with_pending_work_warns_and_can_go_back(qtbot, window, counter, dossier, monkeypatch):
    window.dossiers.open_dossier(dossier.code)
    window.intake.choose_procedure("1.004873")
    type_text(window.intake.form.field_widget("person.full_name"), "Lê Thị Hoa")
    assert window.intake.has_unsaved_form()
    seen: list[dict] = []

    def answer(choice):
        def fake_exec(box):
            seen.append({"text": box.text(), "buttons": sorted(b.text() for b in box.buttons()),
                         "default": box.defaultButton().text()})
            next(b for b in box.buttons() if b.text() == choice).click()
            return 0
        return fake_exec

    locked = []
    monkeypatch.setattr(MainWindow, "lock", lambda self: locked.append(True))
    monkeypatch.setattr(QMessageBox, "exec", answer("Quay lại"))
    window.switch_clerk()  # Ctrl+L and the menu
    assert locked == [] and counter.clerk.username == "lan"
    text = seen[0]["text"]
    assert "Còn 1 thao tác chưa đồng bộ lên máy chủ cấp tỉnh" in text
    assert "Hồ sơ đang nhập dở sẽ được giữ trong bản nháp của Trần Thị Lan" in text
    assert f"Hồ sơ {dossier.code} đang mở đầy đủ thông tin sẽ được đóng lại" in text
    assert seen[0]["buttons"] == ["Khóa màn hình", "Quay lại"] and seen[0]["default"] == "Quay lại"

    monkeypatch.setattr(QMessageBox, "exec", answer("Khóa màn hình"))
    window.switch_clerk()
    assert locked == [True]


class TitleBarClose(QCloseEvent):
    """A close event as the window system sends it when the title bar's close button is clicked
    (Qt marks those spontaneous; QWindow.close() from code is not, and PySide cannot send one)."""

    def spontaneous(self) -> bool:  # noqa: D102
        return True


def test_the_window_close_button_warns_like_the_menu(qtbot, window, counter, dossier, monkeypatch):
    """The title bar's close button asks the same question as Thoát in the menu; "Quay lại"
    keeps the window and everything in it."""
    seen: list[dict] = []

    def answer(choice):
        def fake_exec(box):
            seen.append({"text": box.text(), "buttons": sorted(b.text() for b in box.buttons())})
            next(b for b in box.buttons() if b.text() == choice).click()
            return 0
        return fake_exec

    window.show()
    qtbot.waitExposed(window)
    monkeypatch.setattr(QMessageBox, "exec", answer("Quay lại"))
    event = TitleBarClose()
    window.closeEvent(event)
    assert seen and not event.isAccepted(), "the close button would close the window without a question"
    assert seen[0]["buttons"] == ["Quay lại", "Thoát"]
    assert seen[0]["text"].startswith("Trước khi thoát chương trình:")
    assert "Còn 1 thao tác chưa đồng bộ lên máy chủ cấp tỉnh" in seen[0]["text"]
    assert seen[0]["text"].endswith("Vẫn thoát?")
    assert window.scheduler is None or window.scheduler.scheduler.running  # nothing was shut down

    monkeypatch.setattr(QMessageBox, "exec", answer("Thoát"))
    event = TitleBarClose()
    window.closeEvent(event)
    assert event.isAccepted() and len(seen) == 2


def test_closing_from_code_does_not_ask(qtbot, window, counter, dossier, monkeypatch):
    asked_texts = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked_texts.append(box.text()))
    window.show()
    qtbot.waitExposed(window)
    assert window.leave_warning() is not None  # something is pending, yet a close from code is silent
    window.close()
    assert asked_texts == [] and not window.isVisible()


def test_locking_closes_the_open_record_and_keeps_the_draft(qtbot, window, counter, dossier, monkeypatch):
    window.dossiers.open_dossier(dossier.code)
    window.intake.choose_procedure("1.004873")
    type_text(window.intake.form.field_widget("person.full_name"), "Lê Thị Hoa")
    monkeypatch.setattr(QMessageBox, "exec", lambda box: next(
        b for b in box.buttons() if b.text() == "Khóa màn hình").click())
    monkeypatch.setattr(LoginDialog, "exec", lambda dialog: (counter.login("lan", "canbo1234"), QDialog.Accepted)[1])
    window.switch_clerk()
    assert window.dossiers.opened is None
    assert FULL_ID not in window.dossiers.detail_fields["applicant"].text()
    [draft] = counter.drafts.mine()
    assert draft["values"]["person.full_name"] == "Lê Thị Hoa"


def test_the_idle_lock_is_on_by_default_and_does_not_ask(qtbot, counter, dossier, monkeypatch):
    assert MainWindow.IDLE_MINUTES_DEFAULT == 10
    w = MainWindow(counter, printer=FakePrinter(), preview=False)
    qtbot.addWidget(w)
    try:
        assert w.idle.isActive() and w.idle.interval() == 10 * 60_000
        w.dossiers.open_dossier(dossier.code)
        asked_texts = []
        monkeypatch.setattr(QMessageBox, "exec", lambda box: asked_texts.append(box.text()))
        monkeypatch.setattr(LoginDialog, "exec",
                            lambda dialog: (counter.login("lan", "canbo1234"), QDialog.Accepted)[1])
        w.idle.timeout.emit()  # nobody at the counter: lock at once, no question
        assert asked_texts == [] and w.dossiers.opened is None
    finally:
        w.intake.shutdown()
        w.statistics.wait(10)


def test_a_paper_saved_as_pdf_is_a_logged_export(qtbot, dossiers, counter, dossier, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    target = tmp_path / "giay-hen"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    preview = dossiers.printing.preview_papers(["receipt"], code=dossier.code)
    assert preview.save_pdf() == target.with_name("giay-hen.pdf")
    [entry] = [e for e in counter.store.privacy.access_entries() if e["kind"] == "export"]
    assert entry["subject"] == str(target.with_name("giay-hen.pdf")) and entry["clerk"] == "lan"
    assert entry["detail"] == {"what": "paper", "dossier": dossier.code, "form": "receipt"}
    preview.close()
