"""The satisfaction survey at return, on the screen turned towards the citizen (or typed in by
the clerk from a paper form). Large type, one row of choices per question, nothing required
but one answer about satisfaction; the wording, scale and areas come from the Survey.

Only shows and collects: ``Counter.record_survey`` checks and records the answers.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..counter import Counter, DossierView
from ..models.errors import DomainError
from ..models.survey import CHANNELS, Survey, SurveyQuestion

FONT_SCALE = 1.3  # readable from the other side of the counter
CHOICE_COLUMNS = 3
STYLE = """
QRadioButton { spacing: 8px; padding: 4px 2px; }
QRadioButton::indicator { width: 22px; height: 22px; }
QGroupBox { font-weight: bold; margin-top: 14px; padding-top: 8px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #0d47a1; }
QLabel#question { font-weight: bold; padding-top: 4px; }
QPushButton#record { font-weight: bold; padding: 6px 24px; }
QPushButton#skip { padding: 6px 16px; }
"""


class SurveyDialog(QDialog):
    """One survey for one returned dossier. "Ghi nhận" records it and closes only when the
    counter accepted it (an error is shown here and every answer stays); "Bỏ qua" records nothing."""

    recorded = Signal(object)  # the DossierView after the survey

    def __init__(self, counter: Counter, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.code = code
        self.survey: Survey = counter.survey
        self.view: DossierView | None = None
        self.groups: dict[str, QButtonGroup] = {}
        self.boxes: dict[str, QWidget] = {}  # question id -> the widget to scroll to
        self.setObjectName("survey_dialog")
        self.setWindowTitle(f"{self.survey.title} — hồ sơ {code}")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * FONT_SCALE)
        self.setFont(font)
        self.setStyleSheet(STYLE)

        title = QLabel(self.survey.title, objectName="title")
        title_font = QFont(font)
        title_font.setPointSizeF(font.pointSizeF() * 1.25)
        title_font.setBold(True)
        title.setFont(title_font)
        title.setAlignment(Qt.AlignCenter)
        note = QLabel(self.survey.note, objectName="note")
        note.setWordWrap(True)
        note.setAlignment(Qt.AlignCenter)

        content = QWidget()
        body = QVBoxLayout(content)
        body.setSpacing(10)
        scale_questions = [q for q in self.survey.questions if q.kind == "scale"]
        for area, label in self.survey.areas:
            questions = [q for q in scale_questions if q.area == area]
            if questions:
                body.addWidget(self._scale_box(label, questions))
        observations = [q for q in self.survey.questions if q.kind == "choice" and q.group != "respondent"]
        if observations:
            body.addWidget(self._choice_box("Ý kiến khác", observations))
        respondent = [q for q in self.survey.questions if q.group == "respondent"]
        if respondent:
            body.addWidget(self._choice_box("Thông tin người trả lời (không bắt buộc, không ghi tên)", respondent))
        if self.survey.basis:
            basis = QLabel(self.survey.basis)
            basis.setWordWrap(True)
            small = QFont(self.font())
            small.setPointSizeF(self.font().pointSizeF() / FONT_SCALE)
            basis.setFont(small)
            basis.setStyleSheet("color: #555")
            body.addWidget(basis)
        body.addStretch(1)
        self.scroll = QScrollArea(objectName="questions")
        self.scroll.setWidget(content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

        # how the answers came in
        self.channel = QButtonGroup(self)
        channel_row = QHBoxLayout()
        channel_row.addWidget(QLabel("Cách ghi nhận:"))
        for i, (key, label) in enumerate(CHANNELS.items()):
            radio = QRadioButton(label, objectName=f"channel_{key}")
            radio.setProperty("channel", key)
            radio.setChecked(i == 0)
            self.channel.addButton(radio, i)
            channel_row.addWidget(radio)
        channel_row.addStretch(1)

        self.error = QLabel("", objectName="error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020; font-weight: bold")
        self.error.setVisible(False)
        self.record_button = QPushButton("Ghi nhận", objectName="record")
        self.record_button.setDefault(True)
        self.record_button.setMinimumHeight(44)
        self.record_button.clicked.connect(self.submit)
        self.skip_button = QPushButton("Bỏ qua (công dân không tham gia)", objectName="skip")
        self.skip_button.setMinimumHeight(44)
        self.skip_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.record_button)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(note)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.error)
        layout.addLayout(channel_row)
        layout.addLayout(buttons)
        self._fit_screen()

    # -- building -------------------------------------------------------------------------------
    def _question_label(self, question: SurveyQuestion) -> QLabel:
        label = QLabel(question.text, objectName="question")
        label.setWordWrap(True)
        return label

    def _group(self, question: SurveyQuestion) -> QButtonGroup:
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.buttonClicked.connect(lambda _b: self._clear_error())
        self.groups[question.id] = group
        return group

    def _scale_box(self, title: str, questions: list[SurveyQuestion]) -> QGroupBox:
        box = QGroupBox(title)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        scale = sorted(self.survey.scale.items())
        for c in range(len(scale)):
            grid.setColumnStretch(c, 1)
        for i, question in enumerate(questions):
            label = self._question_label(question)
            grid.addWidget(label, 2 * i, 0, 1, len(scale))
            group = self._group(question)
            for c, (score, text) in enumerate(scale):
                radio = QRadioButton(text, objectName=f"{question.id}_{score}")
                radio.setAccessibleName(f"{question.text}: {score} — {text}")
                group.addButton(radio, score)
                grid.addWidget(radio, 2 * i + 1, c)
            if i < len(questions) - 1:
                grid.setRowMinimumHeight(2 * i + 1, 40)
            self.boxes[question.id] = label
        return box

    def _choice_box(self, title: str, questions: list[SurveyQuestion]) -> QGroupBox:
        box = QGroupBox(title)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for c in range(CHOICE_COLUMNS):
            grid.setColumnStretch(c, 1)
        row = 0
        for question in questions:
            label = self._question_label(question)
            grid.addWidget(label, row, 0, 1, CHOICE_COLUMNS)
            self.boxes[question.id] = label
            row += 1
            group = self._group(question)
            for i, choice in enumerate(question.choices):
                radio = QRadioButton(choice, objectName=f"{question.id}_{i}")
                radio.setAccessibleName(f"{question.text}: {choice}")
                group.addButton(radio, i)
                grid.addWidget(radio, row + i // CHOICE_COLUMNS, i % CHOICE_COLUMNS)
            row += (len(question.choices) + CHOICE_COLUMNS - 1) // CHOICE_COLUMNS
            grid.setRowMinimumHeight(row, 10)
            row += 1
        return box

    def _fit_screen(self) -> None:
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = 1200, 740
        if screen is not None and screen.width() > 0:
            width, height = min(width, screen.width() - 20), min(height, screen.height() - 20)
        self.resize(width, height)

    # -- answers ------------------------------------------------------------------------------
    def answers(self) -> dict[str, Any]:
        """The answers given (question id -> score or choice text); blank questions are absent."""
        out: dict[str, Any] = {}
        for qid, group in self.groups.items():
            button = group.checkedButton()
            if button is None:
                continue
            question = self.survey.question(qid)
            out[qid] = group.id(button) if question.kind == "scale" else question.choices[group.id(button)]
        return out

    def set_answers(self, answers: dict[str, Any]) -> None:
        """Tick answers as a citizen would (scale: the score; choice: the choice's text)."""
        for qid, value in answers.items():
            question, group = self.survey.question(qid), self.groups[qid]
            button_id = int(value) if question.kind == "scale" else question.choices.index(value)
            group.button(button_id).setChecked(True)

    def channel_key(self) -> str:
        return self.channel.checkedButton().property("channel")

    def set_channel(self, key: str) -> None:
        self.channel.button(list(CHANNELS).index(key)).setChecked(True)

    def submit(self) -> DossierView | None:
        """Record the answers; on a refusal the Vietnamese message stays in the dialog."""
        try:
            view = self.counter.dossiers.record_survey(self.code, self.answers(), channel=self.channel_key())
        except DomainError as exc:
            self.show_error(exc.message, getattr(exc, "field", None))
            return None
        self.view = view
        self.recorded.emit(view)
        self.accept()
        return view

    def show_error(self, message: str, field: str | None = None) -> None:
        self.error.setText(message)
        self.error.setVisible(True)
        if field in self.boxes:
            self.scroll.ensureWidgetVisible(self.boxes[field])

    def _clear_error(self) -> None:
        if self.error.isVisible():
            self.error.setVisible(False)


def offer_survey(counter: Counter, code: str, parent: QWidget,
                 on_done: Callable[[SurveyDialog], None] | None = None) -> SurveyDialog | None:
    """After a return: the survey dialog, window-modal and not blocking (the caller goes on);
    ``on_done`` runs when it closes, recorded or skipped, and the dialog is deleted after it.
    None when the dossier has one already."""
    try:
        if counter.dossiers.dossier(code).state.surveyed:
            return None
        dialog = SurveyDialog(counter, code, parent)
    except DomainError as exc:  # e.g. a broken survey file: the return itself went through
        QMessageBox.warning(parent, "Khảo sát sự hài lòng", exc.message)
        return None
    def finished(_result: int) -> None:
        if on_done is not None:
            on_done(dialog)
        dialog.deleteLater()  # one per return: none piles up over the day

    dialog.finished.connect(finished)
    dialog.open()
    return dialog

