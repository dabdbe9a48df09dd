"""A guard on the Qt binding itself: PySide6 6.12.0 on Python 3.11 lost a reference to None on
every call returning nothing and aborted the app after ~20 000 calls (a counter's busy day)."""

import sys

from PySide6.QtWidgets import QLineEdit


def test_calls_returning_nothing_keep_none_alive(qtbot):
    edit = QLineEdit()
    qtbot.addWidget(edit)
    before = sys.getrefcount(None)
    for _ in range(30_000):
        edit.setText("x")
    assert abs(sys.getrefcount(None) - before) < 1000
