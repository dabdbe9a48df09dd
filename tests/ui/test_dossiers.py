"""The clerk's dossier view, offscreen with real widgets and a real database: queues move with
the clock, actions go through the Counter, buttons follow the lifecycle, printing is audited."""

from __future__ import annotations

import io
import re

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from pypdf import PdfReader

from desk_app.printing.papers import Papers
from desk_app.ui.dossiers import DossiersView, InputDialog
from desk_app.ui.preview import PdfPreviewDialog


class FakePrinter:
    def __init__(self) -> None:
        self.jobs: list[tuple[bytes, str]] = []

    def print_pdf(self, pdf: bytes, title: str) -> None:
        self.jobs.append((pdf, title))


@pytest.fixture
def printer():
    return FakePrinter()


@pytest.fixture(autouse=True)
def warnings(monkeypatch):
    """Every warning the view shows, captured (a real message box would block the test)."""
    shown: list[str] = []

    def capture(parent, title, text, *args, **kwargs):
        shown.append(text)
        return QMessageBox.Ok

    monkeypatch.setattr(QMessageBox, "warning", capture)
    return shown


@pytest.fixture
def view(qtbot, counter, printer):
    widget = DossiersView(counter, printer=printer)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    return widget


@pytest.fixture
def dossier(counter, applicant):
    # Monday 23/11/2026 09:00, marital status certificate: 3 working days
    return counter.dossiers.receive("1.004873", applicant)


def codes(view):
    return [r.code for r in view.rows()]


def kinds(counter, code):
    return [a.kind for a in counter.store.actions_for(counter.dossiers.dossier(code).id)]


def enabled(view):
    return {key for key, button in view.buttons.items() if button.isEnabled()}


def through_dialog(view, button: str, fill) -> None:
    """Click an action button and let ``fill`` answer the modal dialog it opens. A failing
    ``fill`` closes the dialog and fails the test instead of hanging it."""
    errors = []

    def answer():
        dialogs = [d for d in view.findChildren(InputDialog) if d.isVisible()]
        try:
            assert len(dialogs) == 1, dialogs
            fill(dialogs[0])
        except BaseException as exc:  # noqa: BLE001 - reported below, after the dialog is gone
            errors.append(exc)
            for d in dialogs:
                d.reject()

    QTimer.singleShot(0, answer)
    view.buttons[button].click()
    if errors:
        raise errors[0]


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def test_an_overdue_dossier_appears_in_the_overdue_and_apology_queues(view, clock, dossier):
    view.show_queue("overdue")
    assert codes(view) == []
    clock.set(2026, 12, 1, 9, 0)  # past the appointment
    view.refresh()
    view.show_queue("overdue")
    assert codes(view) == [dossier.code]
    assert view.heading.text() == "Quá hạn: 1 hồ sơ"
    assert view.model.data(view.model.index(0, 5)) == "Cần xin lỗi"
    view.show_queue("needs_apology")
    assert codes(view) == [dossier.code]
    labels = [view.queues.item(i).text() for i in range(view.queues.count())]
    assert "Quá hạn (1)" in labels and "Cần phiếu xin lỗi (1)" in labels
    # the first row is selected and its details shown, flags in Vietnamese
    assert view.current.code == dossier.code
    assert view.detail_fields["flags"].text() == "Cần phiếu xin lỗi"


def test_apology_through_the_view_then_a_second_is_refused_in_vietnamese(qtbot, view, counter, clock, dossier,
                                                                         warnings):
    clock.set(2026, 12, 1, 9, 0)
    view.refresh()
    view.show_queue("needs_apology")
    view.open_dossier(dossier.code)
    with qtbot.waitSignal(view.changed):
        result = view.do_apology("Chờ kết quả xác minh từ nơi cư trú trước đây", "04/12/2026")
    assert result is not None and warnings == []
    assert kinds(counter, dossier.code)[-1] == "apology_issued"
    assert counter.dossiers.dossier(dossier.code).state.due_at.strftime("%d/%m/%Y") == "04/12/2026"
    assert codes(view) == []  # no longer needs an apology
    assert view.current.code == dossier.code  # still shown though it left the list
    assert "Xin lỗi và hẹn lại ngày trả: hẹn mới 17:00 04/12/2026" in view.journal.item(1, 1).text()
    # the apology slip opens at once for printing
    assert isinstance(view.preview, PdfPreviewDialog)
    assert view.preview.windowTitle() == "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"
    assert "04/12/2026" in text_of(view.preview.papers[0].pdf)
    # a second apology: the button says why not, and the rule answers in Vietnamese
    assert not view.buttons["apology"].isEnabled()
    assert "không được hẹn lại lần thứ hai" in view.buttons["apology"].toolTip()
    assert view.do_apology("Lý do khác", "07/12/2026") is None
    assert warnings == ["Hồ sơ đã được hẹn lại ngày trả một lần; không được hẹn lại lần thứ hai."]
    assert kinds(counter, dossier.code).count("apology_issued") == 1


def test_a_bad_new_date_is_refused_before_anything_is_written(view, counter, dossier, warnings):
    view.open_dossier(dossier.code)
    assert view.do_apology("Chờ xác minh", "31/02/2026") is None
    assert warnings and "không tồn tại" in warnings[0].lower()
    assert view.do_apology("Chờ xác minh", "28/11/2026") is None  # a Saturday
    assert "không phải ngày làm việc" in warnings[1]
    assert "apology_issued" not in kinds(counter, dossier.code)
    assert view.preview is None


def test_the_apology_button_collects_the_input_in_a_dialog(qtbot, view, counter, clock, dossier):
    clock.set(2026, 12, 1, 9, 0)
    view.refresh()
    view.open_dossier(dossier.code)
    seen = {}

    def fill(dialog):
        seen["suggested"] = dialog.fields["new_date"].text()
        dialog.fields["reason"].setPlainText("Chờ kết quả xác minh")  # Vietnamese set directly, not typed
        dialog.fields["new_date"].setText("07/12/2026")
        dialog.buttons.button(QDialogButtonBox.Ok).click()

    through_dialog(view, "apology", fill)
    assert seen["suggested"] == "02/12/2026"  # the next working day after today
    state = counter.dossiers.dossier(dossier.code).state
    assert state.apologies == 1 and state.apology_reason == "Chờ kết quả xác minh"
    assert state.due_at.strftime("%d/%m/%Y") == "07/12/2026"


def test_buttons_follow_the_status(view, counter, dossier):
    view.open_dossier(dossier.code)
    assert enabled(view) == {"start_processing", "transfer", "result_ready", "apology", "withdraw", "supplement",
                             "reprint", "cancel"}
    assert "Đã tiếp nhận" in view.buttons["return"].toolTip()
    view.do_transfer("Sở Tư pháp tỉnh Hà Tĩnh")
    assert view.detail_fields["status"].text() == "Đã chuyển liên thông"
    assert enabled(view) == {"transfer_returned", "apology", "withdraw", "reprint", "cancel"}
    view.do_transfer_returned("Sở Tư pháp tỉnh Hà Tĩnh")
    assert enabled(view) == {"notify", "return", "reprint", "cancel"}
    assert view.buttons["apology"].toolTip() == "Hồ sơ đã có kết quả, không cần phiếu xin lỗi và hẹn lại."
    view.do_notify("Điện thoại")
    view.do_return("Nguyễn Văn Đức")
    assert enabled(view) == {"reprint", "survey"}  # the satisfaction survey, once
    assert "chỉ lãnh đạo" in view.buttons["cancel"].toolTip()  # the result handed over: a leader's act


def test_return_after_the_result_is_ready_prints_nothing_by_default(qtbot, view, counter, dossier, printer,
                                                                    warnings):
    view.open_dossier(dossier.code)
    assert view.do_return("Nguyễn Văn Đức") is None  # not ready yet
    assert warnings == ["Không thể thực hiện “Trả kết quả” khi hồ sơ đang ở trạng thái “Đã tiếp nhận”."]
    view.do_start_processing()
    view.do_result_ready()
    view.show_queue("ready_to_return")
    assert codes(view) == [dossier.code]
    assert "Cần báo công dân đến nhận" in view.detail_fields["flags"].text()
    with qtbot.waitSignal(view.changed):
        view.do_return("Nguyễn Văn Đức")
    journal = counter.store.actions_for(counter.dossiers.dossier(dossier.code).id)
    assert [a.kind for a in journal] == ["received", "processing_started", "result_ready", "returned"]
    assert journal[-1].payload["received_by"] == "Nguyễn Văn Đức"
    assert view.detail_fields["status"].text() == "Đã trả kết quả"
    assert codes(view) == [] and "Có kết quả, chờ trả (0)" in view.queues.item(4).text()
    assert view.preview is None and printer.jobs == []


def test_the_return_dialog_offers_no_print_first(qtbot, view, counter, dossier, warnings):
    view.open_dossier(dossier.code)
    view.do_result_ready()
    seen = {}

    def accept(dialog):
        seen["choice"] = dialog.fields["print_form"].currentText()
        seen["received_by"] = dialog.fields["received_by"].text()
        dialog.buttons.button(QDialogButtonBox.Ok).click()

    through_dialog(view, "return", accept)
    assert seen == {"choice": "Không in", "received_by": "Nguyễn Văn Đức"}
    assert warnings == []
    assert counter.dossiers.dossier(dossier.code).status == "returned"
    assert "printed" not in kinds(counter, dossier.code) and view.preview is None


def test_search_without_diacritics_finds_the_dossier_and_masks_the_id(qtbot, view, dossier, counter, applicant):
    other = dict(applicant, full_name="Trần Thị Hoa", id_number="042190000111", phone="0987000111", sex="Nữ")
    counter.dossiers.receive("1.004873", other)
    qtbot.keyClicks(view.search_box, "nguyen van duc")  # ASCII only: see shared/notes/stack-facts.md
    qtbot.waitUntil(lambda: codes(view) == [dossier.code])
    assert view.model.data(view.model.index(0, 1)) == "Nguyễn Văn Đức"
    assert view.heading.text() == "Kết quả tìm “nguyen van duc”: 1 hồ sơ"
    assert view.current.code == dossier.code
    shown = view.detail_fields["applicant"].text()
    assert "0420******45" in shown and "042090012345" not in shown
    qtbot.keyClick(view.search_box, Qt.Key_Escape)
    assert view.search_box.text() == "" and view.heading.text().startswith("Đến hạn hôm nay")


def test_keyboard_ctrl_f_and_enter_on_a_row(qtbot, view, counter, dossier):
    view.show()
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key_F, Qt.ControlModifier)
    assert view.search_box.hasFocus()
    qtbot.keyClicks(view.search_box, dossier.code[-11:])  # the tail of the code: "261123-0001"
    qtbot.keyClick(view.search_box, Qt.Key_Return)  # to the list
    assert view.table.hasFocus() and codes(view) == [dossier.code]
    qtbot.keyClick(view.table, Qt.Key_Return)  # into the dossier: its first possible action
    assert view.buttons["start_processing"].hasFocus()
    qtbot.keyClick(view.buttons["start_processing"], Qt.Key_Tab)  # the table does not swallow Tab
    assert view.buttons["transfer"].hasFocus()
    qtbot.keyClick(view.buttons["transfer"], Qt.Key_Backtab)
    errors = []

    def answer():  # "Chuyển xử lý" asks whom the dossier goes to, then shows the control slip
        dialogs = [d for d in view.findChildren(InputDialog) if d.isVisible()]
        try:
            dialogs[0].fields["to"].setCurrentText("Nguyễn Văn Chuyên")
            dialogs[0].buttons.button(QDialogButtonBox.Ok).click()
        except BaseException as exc:  # noqa: BLE001 - reported below, after the dialog is gone
            errors.append(exc)
            for d in dialogs:
                d.reject()

    QTimer.singleShot(0, answer)
    qtbot.keyClick(view.buttons["start_processing"], Qt.Key_Return)  # Enter presses it
    assert not errors, errors
    assert counter.dossiers.dossier(dossier.code).status == "in_progress"
    assert view.preview.windowTitle() == "Phiếu kiểm soát quá trình giải quyết hồ sơ"
    assert "Nhận: Nguyễn Văn Chuyên" in text_of(view.preview.papers[0].pdf)


def test_reprint_records_an_audited_reprint(qtbot, view, counter, dossier, printer):
    Papers(counter).dossier_paper(dossier.code, "receipt")  # the original, printed at intake
    view.open_dossier(dossier.code)
    assert view.printing.available_papers() == ["receipt", "declaration"]
    dialog = view.printing.do_reprint(["receipt"])
    assert isinstance(dialog, PdfPreviewDialog)
    assert kinds(counter, dossier.code).count("printed") == 1  # a preview is not a print
    assert "Bản in lại" in text_of(dialog.papers[0].pdf)
    with qtbot.waitSignal(view.changed):
        assert dialog.print_all()
    assert [title for _pdf, title in printer.jobs] == ["Giấy tiếp nhận hồ sơ và hẹn trả kết quả"]
    assert printer.jobs[0][0] == dialog.papers[0].pdf
    last = counter.store.actions_for(counter.dossiers.dossier(dossier.code).id)[-1]
    assert last.kind == "printed" and last.clerk == "lan"
    assert (last.payload["form"], last.payload["copy_kind"], last.payload["template_id"]) == (
        "receipt", "reprint", "giay_tiep_nhan")
    assert view.journal.item(view.journal.rowCount() - 1, 1).text() == (
        "In giấy tờ: Giấy tiếp nhận hồ sơ và hẹn trả kết quả (bản in lại)")


def test_supplement_once_then_refused_and_its_slip_opens(view, counter, dossier, warnings):
    view.open_dossier(dossier.code)
    view.do_supplement("Bản sao giấy chứng tử của vợ trước\nGiấy xác nhận nơi cư trú", "Thiếu giấy tờ chứng minh")
    assert counter.dossiers.dossier(dossier.code).status == "waiting_supplement"
    assert view.preview.windowTitle() == "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
    assert "Giấy xác nhận nơi cư trú" in text_of(view.preview.papers[0].pdf)
    assert not view.buttons["supplement"].isEnabled()
    assert view.do_supplement(["Khác"], "Lần hai") is None
    assert "không yêu cầu bổ sung hồ sơ quá một lần" in warnings[0]


def test_withdraw_opens_the_stop_notice(view, counter, dossier):
    view.open_dossier(dossier.code)
    view.do_withdraw("Công dân xin rút hồ sơ để bổ sung sau")
    assert counter.dossiers.dossier(dossier.code).status == "withdrawn"
    assert view.preview.windowTitle() == "Thông báo dừng giải quyết hồ sơ"
    assert enabled(view) == {"reprint", "cancel"}  # the notice not yet printed: no paper handed over
    assert "stop_notice" in view.printing.available_papers()


def test_a_paused_dossier_reads_paused_in_the_list_as_in_its_details(qtbot, view, counter, clock, dossier):
    clock.set(2026, 11, 25, 9, 0)
    counter.dossiers.pause_clock(dossier.code, "Chờ kết quả xác minh")
    clock.set(2026, 12, 1, 9, 0)  # past the old appointment, the clock standing still
    view.refresh()
    for name in ("overdue", "needs_apology"):
        view.show_queue(name)
        assert codes(view) == [], name
    labels = [view.queues.item(i).text() for i in range(view.queues.count())]
    assert "Quá hạn (0)" in labels and "Cần phiếu xin lỗi (0)" in labels
    qtbot.keyClicks(view.search_box, dossier.code[-11:])
    view.reload_list()
    assert codes(view) == [dossier.code]
    assert view.model.data(view.model.index(0, 5)) == "Tạm dừng tính hạn"
    assert view.detail_fields["flags"].text() == "Đang tạm dừng tính thời hạn"


def test_a_print_redraws_its_row_and_details_not_the_whole_list(qtbot, view, counter, dossier, printer):
    other = counter.dossiers.receive("1.004873", {**counter.dossiers.dossier(dossier.code).state.data["applicant"],
                                                  "full_name": "Lê Văn Bình", "id_number": "", "birth_date": ""})
    view.search(dossier.code[:-4])  # the day's codes: both dossiers listed
    assert {dossier.code, other.code} <= set(codes(view))
    view.open_dossier(dossier.code)
    resets, redrawn = [], []
    view.model.modelReset.connect(lambda: resets.append(1))
    view.model.dataChanged.connect(lambda top, bottom: redrawn.append(view.model.code_at(top.row())))
    dialog = view.printing.do_reprint(["receipt"])
    with qtbot.waitSignal(view.changed) as signal:
        assert dialog.print_all()
    changes = signal.args[0]
    assert changes.dossiers == {dossier.code} and not changes.queues
    assert resets == [] and redrawn == [dossier.code]  # one row redrawn, the list not reloaded
    assert view.journal.item(view.journal.rowCount() - 1, 1).text().startswith("In giấy tờ")
    view.do_start_processing(dossier.code)  # a step of the path: the list and the counts reload
    assert resets


@pytest.mark.parametrize("button", ["withdraw", "apology", "supplement"])
def test_an_action_dialog_opens_in_its_reason_and_refuses_a_blank_one(qtbot, view, counter, dossier, warnings,
                                                                      button):
    from PySide6.QtTest import QTest

    view.open_dossier(dossier.code)
    seen = {}

    def fill(dialog):
        reason = dialog.fields["items" if button == "supplement" else "reason"]  # the request: what, then why
        seen["focus"] = QApplication.focusWidget() is reason or dialog.focusWidget() is reason
        QTest.keyClick(dialog.focusWidget(), Qt.Key_Return)  # Enter too early: a new line, nothing recorded
        assert dialog.isVisible()
        dialog.buttons.button(QDialogButtonBox.Ok).click()  # OK with a blank reason
        seen["still_open"] = dialog.isVisible()
        dialog.reject()

    through_dialog(view, button, fill)
    assert seen == {"focus": True, "still_open": True}
    assert warnings and warnings[-1].startswith("Phải ghi")
    assert kinds(counter, dossier.code) == ["received"]


def test_the_papers_brought_after_a_supplement_are_ticked_and_the_dossier_resumes(qtbot, view, counter, clock,
                                                                                 applicant, warnings):
    from PySide6.QtTest import QTest

    identity = next(c.name for c in counter.catalogue.get("1.004873").components if c.name.startswith("Giấy tờ tùy thân"))
    waiting = counter.dossiers.request_supplement([identity], "Thiếu giấy tờ tùy thân", procedure_code="1.004873",
                                                  applicant=applicant, papers=["Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)"])
    clock.set(2026, 11, 25, 10, 0)
    view.show_queue("waiting_supplement")
    view.open_dossier(waiting.code)
    assert view.buttons["supplemented"].isEnabled() and not view.buttons["supplement"].isEnabled()

    def fill(dialog):
        papers = dialog.fields["papers"]
        texts = [papers.item(i).text() for i in range(papers.count())]
        assert identity in texts and not any(t.startswith("Tờ khai") for t in texts)  # held already: not asked
        papers.setFocus()
        for i in range(papers.count()):  # untick all, then tick the identity paper with the space bar
            papers.item(i).setCheckState(Qt.Unchecked)
        papers.setCurrentRow(texts.index(identity))
        QTest.keyClick(papers, Qt.Key_Space)
        dialog.buttons.button(QDialogButtonBox.Ok).click()

    through_dialog(view, "supplemented", fill)
    assert warnings == []
    now = counter.dossiers.dossier(waiting.code)
    assert now.status == "received" and now.state.received_at.day == 25
    assert view.preview.windowTitle() == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    assert "(bổ sung ngày 25/11/2026)" in text_of(view.preview.papers[0].pdf)


def test_a_dossier_entered_by_mistake_is_cancelled_from_the_dossier_screen(qtbot, view, counter, dossier, warnings):
    from PySide6.QtTest import QTest

    view.open_dossier(dossier.code)
    assert view.buttons["cancel"].isEnabled()

    def fill(dialog):
        reason = dialog.fields["reason"]
        for ch in "Nhập trùng":
            QTest.sendKeyEvent(QTest.KeyAction.Click, reason, Qt.Key_unknown, ch, Qt.NoModifier)
        dialog.buttons.button(QDialogButtonBox.Ok).click()

    through_dialog(view, "cancel", fill)
    assert warnings == []
    assert counter.dossiers.dossier(dossier.code).status == "cancelled"
    assert view.detail_fields["status"].text().startswith("Đã hủy (nhập nhầm)")
    assert view.journal.item(view.journal.rowCount() - 1, 1).text() == "Hủy hồ sơ nhập nhầm: Nhập trùng"
    assert not any(b.isEnabled() for b in view.buttons.values())  # nothing more happens to it
