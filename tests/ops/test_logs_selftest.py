"""The log rotates; an unexpected error is logged and shown in Vietnamese; the self-test passes
on this installation and names what is broken when something is."""

from __future__ import annotations

import logging
import sys
import threading

from desk_app.ops import logs
from desk_app.ops.selftest import run_self_test


def test_log_rotates_in_its_folder(tmp_path):
    path = logs.setup_logging(tmp_path / "logs", max_bytes=2000, backups=2)
    try:
        log = logging.getLogger("desk_app.test")
        for i in range(200):
            log.warning("dòng nhật ký số %d — tiếng Việt có dấu", i)
        files = sorted(p.name for p in path.parent.iterdir())
        assert files == ["desk-app.log", "desk-app.log.1", "desk-app.log.2"]
        assert "tiếng Việt có dấu" in path.read_text(encoding="utf-8")
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", "") == str(path):
                root.removeHandler(handler)
                handler.close()


def test_unexpected_errors_are_logged_and_shown_in_vietnamese(tmp_path, monkeypatch):
    path = logs.setup_logging(tmp_path / "logs")
    shown: list[str] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    logs.install_excepthook(shown.append, path)
    try:
        raise ValueError("hỏng giữa chừng")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    worker = threading.Thread(target=lambda: 1 / 0)
    worker.start()
    worker.join()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "ValueError: hỏng giữa chừng" in text and "ZeroDivisionError" in text
    assert len(shown) == 2 and shown[0].startswith("Đã xảy ra lỗi không mong muốn")
    assert str(path) in shown[0] and "Traceback" not in shown[0]
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", "") == str(path):
            root.removeHandler(handler)
            handler.close()


def test_self_test_passes_here(tmp_path):
    lines: list[str] = []
    assert run_self_test(lines.append, folder=tmp_path) == 0
    assert lines[-1] == "KẾT QUẢ: tất cả kiểm tra đạt."
    assert any(line.startswith("OK   in giấy tờ") for line in lines)
    assert any(line.startswith("OK   tốc độ in") for line in lines)  # ReportLab's C accelerator


def test_self_test_says_when_the_pdf_accelerator_is_missing(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "_rl_accel" else real(name, *a))
    lines: list[str] = []
    assert run_self_test(lines.append, folder=tmp_path) == 1
    assert any(line.startswith("LỖI  tốc độ in: thiếu bộ tăng tốc của ReportLab") for line in lines)


def test_self_test_names_what_is_broken(tmp_path, monkeypatch):
    from desk_app.printing import fonts

    def no_font():
        raise fonts.FontProblem("Thiếu tệp phông chữ Tinos-Regular.ttf. Hãy cài lại phần mềm.")

    monkeypatch.setattr(fonts, "register_fonts", no_font)
    lines: list[str] = []
    assert run_self_test(lines.append, folder=tmp_path) == 1
    assert any(line.startswith("LỖI  phông chữ: Thiếu tệp phông chữ") for line in lines)
    assert lines[-1] == "KẾT QUẢ: 1 kiểm tra không đạt."
