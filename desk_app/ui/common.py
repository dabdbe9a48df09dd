"""Pieces every dialog of the counter shares: the red error line, the two buttons, and the
small form an action asks with (a reason, a unit, a date)."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

ERROR_STYLE = "color: #b00020"


def error_label() -> QLabel:
    """The red line under a form where a dialog says, in Vietnamese, what is wrong."""
    label = QLabel("", objectName="error", wordWrap=True)
    label.setStyleSheet(ERROR_STYLE)
    return label


def ok_cancel(ok: str, cancel: str, on_ok: Callable[[], object], on_cancel: Callable[[], object]) -> QDialogButtonBox:
    """OK and Cancel worded for the task (Đăng nhập / Thoát, Lưu / Bỏ qua …)."""
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.button(QDialogButtonBox.Ok).setText(ok)
    buttons.button(QDialogButtonBox.Cancel).setText(cancel)
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(on_cancel)
    return buttons


class InputDialog(QDialog):
    """A small form; OK runs ``submit(values)`` and closes only when it succeeded, so a
    refused action keeps what the clerk typed."""

    def __init__(self, title: str, intro: str, parent: QWidget | None = None, *, ok_text: str = "Đồng ý",
                 cancel_text: str = "Hủy") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.fields: dict[str, QWidget] = {}
        self.submit: Callable[[dict[str, Any]], object] | None = None
        self.result_value: object = None
        self.focus_key = "reason"  # the field the cursor starts in (else the first)
        layout = QVBoxLayout(self)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.buttons = ok_cancel(ok_text, cancel_text, self._ok, self.reject)
        layout.addWidget(self.buttons)

    def add_line(self, key: str, label: str, text: str = "", placeholder: str = "") -> QLineEdit:
        w = QLineEdit(text)
        w.setObjectName(key)
        w.setPlaceholderText(placeholder)
        self.form.addRow(label, w)
        self.fields[key] = w
        return w

    def add_text(self, key: str, label: str, text: str = "", placeholder: str = "") -> QPlainTextEdit:
        w = QPlainTextEdit(text)
        w.setObjectName(key)
        w.setPlaceholderText(placeholder)
        w.setTabChangesFocus(True)
        w.setFixedHeight(90)
        self.form.addRow(label, w)
        self.fields[key] = w
        return w

    def add_choice(self, key: str, label: str, choices: Iterable[tuple[str, Any]], *,
                   editable: bool = False) -> QComboBox:
        w = QComboBox()
        w.setObjectName(key)
        w.setEditable(editable)
        for text, data in choices:
            w.addItem(text, data)
        self.form.addRow(label, w)
        self.fields[key] = w
        return w

    def add_checklist(self, key: str, label: str, items: Iterable[tuple[str, bool]]) -> QListWidget:
        """Items to tick (text, ticked at first); the value is the list of ticked texts."""
        w = QListWidget()
        w.setObjectName(key)
        w.setWordWrap(True)
        for text, ticked in items:
            item = QListWidgetItem(text)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if ticked else Qt.Unchecked)
            w.addItem(item)
        w.setMinimumHeight(min(220, 28 * max(2, w.count())))
        self.form.addRow(label, w)
        self.fields[key] = w
        return w

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, w in self.fields.items():
            if isinstance(w, QListWidget):
                out[key] = [w.item(i).text() for i in range(w.count()) if w.item(i).checkState() == Qt.Checked]
            elif isinstance(w, QLineEdit):
                out[key] = w.text()
            elif isinstance(w, QPlainTextEdit):
                out[key] = w.toPlainText()
            elif isinstance(w, QComboBox):  # typed text when editable, else the item's data
                out[key] = w.currentText() if w.isEditable() else w.currentData()
        return out

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """The cursor in the reason (else the first field), never on OK: an Enter pressed too
        early must not record a stop with no reason. Tab runs through the fields, then the buttons."""
        super().showEvent(event)
        chain = list(self.fields.values()) + [self.buttons.button(QDialogButtonBox.Ok),
                                               self.buttons.button(QDialogButtonBox.Cancel)]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)
        first = self.fields.get(self.focus_key) or next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus(Qt.OtherFocusReason)

    def _ok(self) -> None:
        if self.submit is None:
            self.accept()
            return
        result = self.submit(self.values())
        if result is not None:
            self.result_value = result
            self.accept()
