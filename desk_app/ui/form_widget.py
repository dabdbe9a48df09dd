"""The entry screen of a form, built from its template: adding a procedure needs no UI code.

``TemplateForm`` only shows and collects. Every rule (required fields, dates that do not
exist, names, the CCCD checked against the birth year and sex) comes from
``desk_app.models.forms``; the widget asks ``check_field`` / ``check_values`` and shows their
Vietnamese messages under the field: errors in red, warnings in dark orange.

Keyboard-first: Enter moves to the next field in template order, Enter on the last field emits
``completed``. In a multi-line field Shift+Enter starts a new line.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..models.errors import ValidationError
from ..models.forms import Field, FormCheck, FormTemplate, check_field, check_values
from ..models.validation import format_date

DEFAULT_GROUP = "Thông tin"
LINE_TYPES = ("text", "name", "date", "birth_date", "cccd", "phone", "email", "number", "money")
DATE_TYPES = ("date", "birth_date")
ERROR_COLOUR = "#b3261e"  # red, 6:1 on white
WARNING_COLOUR = "#a04a00"  # dark orange, 5.6:1 on white
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _placeholder(f: Field) -> str:
    if f.type in DATE_TYPES:
        return "dd/mm/yyyy"
    if f.type == "cccd":
        return "12 số"
    return f.help


def _weight(weight: QFont.Weight) -> QFont:
    """A font that sets only the weight: size and family still come from the application."""
    font = QFont()
    font.setWeight(weight)
    return font


def _as_text(value: Any) -> str:
    """A stored value (a draft, a returning citizen's record) as the text of a field."""
    if value is None:
        return ""
    if isinstance(value, date):
        return format_date(value)
    return str(value)


class TemplateForm(QWidget):
    """One group box per field group, a ``QFormLayout`` in each, inside a scroll area."""

    changed = Signal(dict)  # every raw value, on every edit (drafts are saved from it)
    completed = Signal()  # Enter on the last field

    def __init__(self, template: FormTemplate, *, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.template = template
        self.today = today
        self._fields: dict[str, Field] = {f.id: f for f in template.fields}
        self._order: list[str] = [f.id for f in template.fields]
        self._widgets: dict[str, QWidget] = {}
        self._messages: dict[str, QLabel] = {}
        self._labels: dict[str, QLabel] = {}
        self._touched: set[str] = set()  # fields the clerk edited since construction or clear()
        self._setting = 0  # > 0 while the widget itself changes values: no `changed`, not touched

        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("form_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("form_body")
        column = QVBoxLayout(body)
        self.boxes: list[QGroupBox] = []
        for group, fields in template.groups():
            box = QGroupBox(group or DEFAULT_GROUP, body)
            box.setObjectName(f"group.{len(self.boxes)}")
            box.setFont(_weight(QFont.Weight.Bold))  # the title only: `inner` sets it back
            inner = QWidget(box)
            inner.setFont(_weight(QFont.Weight.Normal))
            box_layout = QVBoxLayout(box)
            box_layout.addWidget(inner)
            form = QFormLayout(inner)
            form.setContentsMargins(0, 0, 0, 0)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            for f in fields:
                label, cell = self._build_row(f, inner)
                form.addRow(label, cell)
            column.addWidget(box)
            self.boxes.append(box)
        column.addStretch(1)
        self.scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)

        widgets = [self._widgets[i] for i in self._order]
        for first, second in zip(widgets, widgets[1:]):
            QWidget.setTabOrder(first, second)
        self._align_labels()

    # -- building -------------------------------------------------------------------------

    def _build_row(self, f: Field, parent: QWidget) -> tuple[QLabel, QWidget]:
        if f.type in LINE_TYPES:
            widget: QWidget = QLineEdit(parent)
            widget.setPlaceholderText(_placeholder(f))
            widget.setClearButtonEnabled(False)
            widget.textChanged.connect(lambda _t, fid=f.id: self._edited(fid))
        elif f.type == "multiline":
            widget = QPlainTextEdit(parent)
            widget.setPlaceholderText(f.help)
            widget.setTabChangesFocus(True)
            lines = 3
            widget.setFixedHeight(widget.fontMetrics().lineSpacing() * lines
                                  + 2 * (widget.frameWidth() + int(widget.document().documentMargin())) + 2)
            widget.textChanged.connect(lambda fid=f.id: self._edited(fid))
        elif f.type == "choice":
            widget = QComboBox(parent)
            widget.setEditable(False)
            if not (f.required and f.default is not None):
                widget.addItem("")
            widget.addItems(list(f.choices))
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumContentsLength(max([12, *(len(c) + 2 for c in f.choices)]))
            widget.currentIndexChanged.connect(lambda _i, fid=f.id: self._edited(fid))
        elif f.type == "bool":
            widget = QCheckBox(parent)
            widget.toggled.connect(lambda _b, fid=f.id: self._edited(fid))
        else:  # parse_template refuses other types; fail loudly if FIELD_TYPES grows
            raise ValueError(f"TemplateForm: kiểu trường chưa hỗ trợ “{f.type}”")
        widget.setObjectName(f.id)
        widget.setAccessibleName(f.label)
        if f.help:
            widget.setToolTip(f.help + ("\nShift+Enter: xuống dòng." if f.type == "multiline" else ""))
        widget.installEventFilter(self)
        self._widgets[f.id] = widget

        label = QLabel(f.label + (" *" if f.required else ""), parent)
        label.setObjectName(f"{f.id}.label")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        label.setBuddy(widget)
        if f.help:
            label.setToolTip(f.help)
        self._labels[f.id] = label

        message = QLabel(parent)
        message.setObjectName(f"{f.id}.message")
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        message.hide()
        self._messages[f.id] = message

        cell = QWidget(parent)
        cell.setObjectName(f"{f.id}.cell")
        stack = QVBoxLayout(cell)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.setSpacing(2)
        stack.addWidget(widget, 0, Qt.AlignmentFlag.AlignLeft if f.type in ("choice", "bool") else Qt.AlignmentFlag(0))
        stack.addWidget(message)
        stack.addStretch(1)  # the field stays level with the first line of a wrapped label
        self._set_value(f, f.default)
        return label, cell

    def _align_labels(self) -> None:
        """Same label column in every box, wide enough for most labels, long ones wrap; the
        label's first line sits level with the text in its field."""
        metrics = self.fontMetrics()
        widths = sorted(metrics.horizontalAdvance(lab.text()) for lab in self._labels.values())
        cap = metrics.averageCharWidth() * 34
        width = min(cap, widths[int(len(widths) * 0.8)] if widths else cap)
        for fid, label in self._labels.items():
            label.setFixedWidth(width)
            widget = self._widgets[fid]
            if isinstance(widget, (QLineEdit, QComboBox)):
                pad = max(0, (widget.sizeHint().height() - metrics.height()) // 2)
                label.setContentsMargins(0, pad, 0, 0)
            elif isinstance(widget, QPlainTextEdit):
                label.setContentsMargins(0, widget.frameWidth() + int(widget.document().documentMargin()), 0, 0)

    # -- values ---------------------------------------------------------------------------

    def field_widget(self, field_id: str) -> QWidget:
        return self._widgets[field_id]

    def message_label(self, field_id: str) -> QLabel:
        return self._messages[field_id]

    def _raw(self, fid: str) -> Any:
        widget = self._widgets[fid]
        if isinstance(widget, QLineEdit):
            return widget.text()
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        if isinstance(widget, QComboBox):
            return widget.currentText()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        raise TypeError(widget)

    def values(self) -> dict[str, Any]:
        """What is on screen, unchecked: strings, and bools for check boxes."""
        return {fid: self._raw(fid) for fid in self._order}

    def _set_value(self, f: Field, value: Any) -> None:
        widget = self._widgets[f.id]
        self._setting += 1
        try:
            if isinstance(widget, QLineEdit):
                widget.setText(_as_text(value))
                widget.setCursorPosition(0)
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(_as_text(value))
            elif isinstance(widget, QComboBox):
                text = _as_text(value)
                index = widget.findText(text, Qt.MatchFlag.MatchFixedString)  # case-insensitive
                if index < 0 and not text:
                    index = 0
                if index >= 0:
                    widget.setCurrentIndex(index)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
        finally:
            self._setting -= 1

    def _is_empty(self, fid: str) -> bool:
        """Nothing the clerk typed: blank, or still the template's default, untouched."""
        raw = self._raw(fid)
        if isinstance(raw, str) and not raw.strip():
            return True
        if fid in self._touched:
            return False
        default = self._fields[fid].default
        if isinstance(raw, bool):
            return raw == bool(default)
        return raw == _as_text(default)

    def is_blank(self) -> bool:
        """Nothing typed or filled in: every field blank or still its untouched default."""
        return all(self._is_empty(f.id) for f in self.template.fields)

    def set_values(self, values: Mapping[str, Any], *, only_empty: bool = False) -> None:
        """Fill fields from a draft or a known citizen. Unknown keys are ignored. With
        ``only_empty`` a field the clerk has filled is left alone (a default still untouched
        counts as empty). One ``changed`` at the end."""
        self._setting += 1
        try:
            for fid, value in values.items():
                f = self._fields.get(fid)
                if f is None or (only_empty and not self._is_empty(fid)):
                    continue
                self._set_value(f, value)
                self._show(fid, None, None)
        finally:
            self._setting -= 1
        self.changed.emit(self.values())

    def clear(self) -> None:
        """Back to the template's defaults, no messages, nothing touched."""
        self._setting += 1
        try:
            for f in self.template.fields:
                self._set_value(f, f.default)
                self._show(f.id, None, None)
        finally:
            self._setting -= 1
        self._touched.clear()
        self.changed.emit(self.values())

    def _edited(self, fid: str) -> None:
        if self._setting:
            return
        self._touched.add(fid)
        self.changed.emit(self.values())

    # -- checking -------------------------------------------------------------------------

    def _show(self, fid: str, error: str | None, warning: str | None) -> None:
        message = self._messages[fid]
        text, colour = (error, ERROR_COLOUR) if error else (warning, WARNING_COLOUR)
        message.setText(text or "")
        message.setStyleSheet(f"color: {colour};" if text else "")
        message.setVisible(bool(text))

    def _context(self, f: Field) -> dict[str, Any]:
        """The already-typed values a field is checked against (a CCCD against the birth date
        and sex), normalised by the model; a value that does not pass is left out."""
        context: dict[str, Any] = {}
        for ref in (f.check_birth_date, f.check_sex):
            if ref and ref in self._fields:
                try:
                    clean, _ = check_field(self._fields[ref], self._raw(ref), today=self.today)
                except ValidationError:
                    continue
                if clean is not None:
                    context[ref] = clean
        return context

    def _normalise(self, f: Field, clean: Any) -> bool:
        """Show the model's normalised value in place of what was typed; True if it differed.
        Not the clerk's edit: the caller emits `changed`."""
        if f.type == "bool":
            return False
        text = "" if clean is None else _as_text(clean)
        if text == self._raw(f.id):
            return False
        self._set_value(f, text)
        return True

    def check_one(self, field_id: str) -> bool:
        """Check one field as the clerk leaves it; True when it has no error. An empty
        required field is only reported once ``check()`` has reported it."""
        f = self._fields[field_id]
        try:
            clean, warning = check_field(f, self._raw(field_id), today=self.today, values=self._context(f))
        except ValidationError as exc:
            if exc.code == "required" and not self._messages[field_id].text():
                return False
            self._show(field_id, exc.message, None)
            return False
        if self._normalise(f, clean):
            self.changed.emit(self.values())
        self._show(field_id, None, warning)
        for other in self.template.fields:  # a CCCD already typed follows its birth date and sex
            if field_id in (other.check_birth_date, other.check_sex) and not self._is_blank(other.id):
                self.check_one(other.id)
        return True

    def _is_blank(self, fid: str) -> bool:
        raw = self._raw(fid)
        return isinstance(raw, str) and not raw.strip()

    def check(self) -> FormCheck:
        """Check every field at once, show every message, focus the first field in error."""
        result = check_values(self.template, self.values(), today=self.today)
        normalised = False
        for f in self.template.fields:
            if f.id in result.errors:
                self._show(f.id, result.errors[f.id], None)
            else:
                normalised |= self._normalise(f, result.values.get(f.id))
                self._show(f.id, None, result.warnings.get(f.id))
        if normalised:
            self.changed.emit(self.values())
        first = next((fid for fid in self._order if fid in result.errors), None)
        if first is not None:
            self._focus(first)
        return result

    # -- keyboard -------------------------------------------------------------------------

    def focus_first(self) -> None:
        if self._order:
            self._focus(self._order[0])

    def _focus(self, fid: str) -> None:
        widget = self._widgets[fid]
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()  # as Tab does: what is typed replaces (copies 1, typing 2 gives 2, not 12)
        label = self._labels[fid]
        self.scroll.ensureWidgetVisible(label, 0, label.height())
        self.scroll.ensureWidgetVisible(widget.parentWidget(), 0, 8)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        fid = watched.objectName()
        if fid not in self._widgets or watched is not self._widgets[fid]:
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.KeyPress and event.key() in _ENTER_KEYS:
            multiline = isinstance(watched, QPlainTextEdit)
            if multiline and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                return False  # a new line
            if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                return False
            self.check_one(fid)
            index = self._order.index(fid)
            if index + 1 < len(self._order):
                self._focus(self._order[index + 1])
            else:
                self.completed.emit()
            return True
        if (event.type() == QEvent.Type.FocusIn and isinstance(watched, QLineEdit)
                and self._fields[fid].type in ("number", "money") and self._is_empty(fid)):
            # a click into a number still at its default: typing replaces it (after the click has
            # placed the cursor, hence the next turn of the event loop)
            QTimer.singleShot(0, watched.selectAll)
        if event.type() == QEvent.Type.FocusOut and event.reason() != Qt.FocusReason.PopupFocusReason:
            self.check_one(fid)
        return super().eventFilter(watched, event)
