"""Pieces every dialog of the counter shares: the red error line and the two buttons."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QDialogButtonBox, QLabel

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
