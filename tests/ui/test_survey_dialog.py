"""The satisfaction survey at return, offscreen with real widgets and a real database: answers
clicked as the citizen clicks them, recorded once, errors in Vietnamese inside the dialog."""

from __future__ import annotations

import json

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QRadioButton

from desk_app.models.survey import CHANNELS
from desk_app.ui.dossiers import DossiersView, InputDialog
from desk_app.ui.intake import IntakeView
from desk_app.ui.survey import SurveyDialog


class FakePrinter:
    def __init__(self) -> None:
        self.jobs: list[str] = []

    def print_pdf(self, pdf: bytes, title: str) -> None:
        self.jobs.append(title)


@pytest.fixture(autouse=True)
def warnings(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: shown.append(text))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    return shown


@pytest.fixture
def returned(counter, applicant):
    view = counter.dossiers.receive("1.004873", applicant)
    counter.dossiers.mark_result_ready(view.code)
    return counter.dossiers.return_result(view.code, received_by="Nguyễn Văn Đức")


@pytest.fixture
def dialog(qtbot, counter, returned):
    d = SurveyDialog(counter, returned.code)
    qtbot.addWidget(d)
    d.show()
    return d


def surveys(counter) -> list[tuple[dict, str]]:
    return [(json.loads(a), c) for a, c in counter.store.conn.execute("SELECT answers, channel FROM surveys")]


def click(qtbot, dialog: SurveyDialog, qid: str, button_id: int) -> None:
    button = dialog.groups[qid].button(button_id)
    dialog.scroll.ensureWidgetVisible(button)
    qtbot.mouseClick(button, Qt.LeftButton, pos=button.rect().center())
    assert button.isChecked()


def test_the_dialog_is_the_survey_as_data_in_large_type(dialog, counter, returned):
    survey = counter.survey
    assert dialog.windowTitle() == f"Phiếu khảo sát sự hài lòng của người dân — hồ sơ {returned.code}"
    assert dialog.findChild(type(dialog.error), "note").text() == survey.note
    assert dialog.font().pointSizeF() >= 1.3 * QApplication.font().pointSizeF() - 0.01  # read across the counter
    for question in survey.questions:
        group = dialog.groups[question.id]
        texts = [b.text() for b in group.buttons()]
        if question.kind == "scale":  # five radio buttons labelled by the scale
            assert texts == [survey.scale[n] for n in range(1, 6)]
            assert all(isinstance(b, QRadioButton) for b in group.buttons())
        else:
            assert texts == list(question.choices)
        assert group.checkedButton() is None  # nothing ticked for the citizen
    assert [b.text() for b in dialog.channel.buttons()] == list(CHANNELS.values())
    assert dialog.channel_key() == "citizen"
    assert dialog.record_button.text() == "Ghi nhận"
    assert dialog.skip_button.text() == "Bỏ qua (công dân không tham gia)"


def test_answers_are_recorded_once_with_their_channel(qtbot, dialog, counter, returned):
    click(qtbot, dialog, "officer_polite", 5)
    click(qtbot, dialog, "result_on_time", 4)
    click(qtbot, dialog, "access_place", 2)
    click(qtbot, dialog, "access_place", 3)  # changed their mind
    click(qtbot, dialog, "trips", 0)
    click(qtbot, dialog, "sex", 1)
    qtbot.mouseClick(dialog.findChild(QRadioButton, "channel_paper"), Qt.LeftButton)
    with qtbot.waitSignal(dialog.recorded):
        qtbot.mouseClick(dialog.record_button, Qt.LeftButton)
    assert dialog.result() == SurveyDialog.Accepted and not dialog.isVisible()
    assert surveys(counter) == [({"officer_polite": 5, "result_on_time": 4, "access_place": 3, "trips": "1 lần",
                                  "sex": "Nữ"}, "paper")]
    assert counter.dossiers.dossier(returned.code).state.surveyed

    # a second survey for the same dossier: refused in Vietnamese, inside the dialog
    again = SurveyDialog(counter, returned.code)
    qtbot.addWidget(again)
    again.show()
    click(qtbot, again, "officer_polite", 1)
    qtbot.mouseClick(again.record_button, Qt.LeftButton)
    assert again.isVisible() and again.error.isVisible()
    assert again.error.text() == "Hồ sơ này đã có phiếu khảo sát sự hài lòng."
    assert len(surveys(counter)) == 1


def test_no_satisfaction_answer_is_refused_and_nothing_is_lost(qtbot, dialog, counter):
    click(qtbot, dialog, "trips", 2)
    click(qtbot, dialog, "age_group", 1)
    qtbot.mouseClick(dialog.record_button, Qt.LeftButton)
    assert dialog.isVisible() and dialog.result() != SurveyDialog.Accepted
    assert dialog.error.text() == "Phiếu khảo sát chưa có câu trả lời nào về mức độ hài lòng."
    assert surveys(counter) == []
    assert dialog.answers() == {"trips": "3 lần trở lên", "age_group": "Từ 25 đến 34"}  # still ticked
    click(qtbot, dialog, "feedback_channels", 4)
    assert not dialog.error.isVisible()  # answering clears the message
    qtbot.mouseClick(dialog.record_button, Qt.LeftButton)
    assert surveys(counter) == [({"trips": "3 lần trở lên", "age_group": "Từ 25 đến 34", "feedback_channels": 4},
                                 "citizen")]


def test_skip_records_nothing(qtbot, dialog, counter, returned):
    click(qtbot, dialog, "officer_polite", 5)
    qtbot.mouseClick(dialog.skip_button, Qt.LeftButton)
    assert dialog.result() == SurveyDialog.Rejected
    assert surveys(counter) == [] and not counter.dossiers.dossier(returned.code).state.surveyed


def test_a_dossier_not_returned_cannot_be_surveyed(qtbot, counter, applicant):
    open_one = counter.dossiers.receive("1.004873", applicant)
    d = SurveyDialog(counter, open_one.code)
    qtbot.addWidget(d)
    d.set_answers({"officer_polite": 4})
    assert d.submit() is None
    assert d.error.text() == "Chỉ khảo sát sự hài lòng khi đã trả kết quả cho công dân."
    assert surveys(counter) == []


# -- where the survey is offered ------------------------------------------------------------------
@pytest.fixture
def dossiers(qtbot, counter):
    widget = DossiersView(counter, printer=FakePrinter())
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    return widget


def test_the_return_dialog_then_the_survey(qtbot, dossiers, counter, applicant, warnings):
    view = counter.dossiers.receive("1.004873", applicant)
    dossiers.open_dossier(view.code)
    dossiers.do_result_ready()
    assert not dossiers.buttons["survey"].isEnabled()  # not returned yet

    def confirm():
        [d] = [d for d in dossiers.findChildren(InputDialog) if d.isVisible()]
        d.fields["print_form"].setCurrentIndex(d.fields["print_form"].findData("receipt"))
        d.buttons.button(QDialogButtonBox.Ok).click()

    QTimer.singleShot(0, confirm)
    dossiers.buttons["return"].click()
    assert counter.dossiers.dossier(view.code).status == "returned" and warnings == []
    survey = dossiers.survey_dialog
    assert survey is not None and survey.isVisible() and survey.isModal()
    assert dossiers.preview is None  # the receipt's preview waits: the citizen answers first
    survey.set_answers({"officer_polite": 5, "result_accurate": 5})
    with qtbot.waitSignal(dossiers.changed):
        qtbot.mouseClick(survey.record_button, Qt.LeftButton)
    assert surveys(counter) == [({"officer_polite": 5, "result_accurate": 5}, "citizen")]
    assert dossiers.preview is not None and dossiers.preview.windowTitle() == (
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    last = dossiers.journal.item(dossiers.journal.rowCount() - 1, 1).text()
    assert last == "Ghi nhận khảo sát sự hài lòng: Công dân tự đánh giá trên máy"
    assert not dossiers.buttons["survey"].isEnabled()
    assert dossiers.buttons["survey"].toolTip() == "Hồ sơ này đã có phiếu khảo sát sự hài lòng."


def test_a_survey_later_from_the_returned_dossier(qtbot, dossiers, counter, returned):
    dossiers.open_dossier(returned.code)
    assert dossiers.buttons["survey"].isEnabled() and dossiers.buttons["survey"].text() == "Khảo sát hài lòng…"
    qtbot.mouseClick(dossiers.buttons["survey"], Qt.LeftButton)
    survey = dossiers.survey_dialog
    assert survey.isVisible() and survey.code == returned.code
    qtbot.mouseClick(survey.skip_button, Qt.LeftButton)  # declined: still possible later
    qtbot.waitUntil(lambda: not shiboken6.isValid(survey))  # closed dialogs do not pile up over the day
    assert surveys(counter) == [] and dossiers.buttons["survey"].isEnabled()
    assert dossiers.survey_dialog is None
    qtbot.mouseClick(dossiers.buttons["survey"], Qt.LeftButton)
    survey = dossiers.survey_dialog
    survey.set_answers({"access_equipment": 4})
    survey.set_channel("paper")
    qtbot.mouseClick(survey.record_button, Qt.LeftButton)
    assert surveys(counter) == [({"access_equipment": 4}, "paper")]
    assert not dossiers.buttons["survey"].isEnabled()
    assert dossiers.dialogs.ask_survey(returned.code) is None  # never twice


def test_the_same_day_return_at_intake_offers_the_survey(qtbot, counter, applicant):
    intake = IntakeView(counter, printer=FakePrinter(), preview=False)
    qtbot.addWidget(intake)
    qtbot.keyClicks(intake.procedure_search, "chung thuc chu ky")
    qtbot.keyClick(intake.procedure_search, Qt.Key_Return)
    kind = intake.form.template.field("certification.kind").choices
    intake.set_values({f"applicant.{k}": v for k, v in applicant.items()}
                      | {"certification.kind": next(c for c in kind if "chữ ký" in c),
                         "document.name": "Giấy ủy quyền nhận lương hưu"})
    view = intake.return_at_once()
    assert view is not None and view.status == "returned"
    survey = intake.survey_dialog
    assert survey is not None and survey.isVisible() and survey.code == view.code
    survey.set_answers({"officer_guidance": 5})
    qtbot.mouseClick(survey.record_button, Qt.LeftButton)
    assert surveys(counter) == [({"officer_guidance": 5}, "citizen")]
    assert "đã ghi nhận phiếu khảo sát" in intake.message.text()
    intake.shutdown()
