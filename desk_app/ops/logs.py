"""The app's log: rotating files in the user data folder (or beside the portable executable).

Unexpected errors are logged with their traceback; the clerk sees a Vietnamese message (the
GUI installs ``install_excepthook`` with a dialog), never a traceback, and typing survives in
the drafts the intake screen saves as the clerk types.
"""

from __future__ import annotations

import logging
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import Callable

LOG_NAME = "desk-app.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
UNEXPECTED = ("Đã xảy ra lỗi không mong muốn. Dữ liệu đã lưu không bị mất và nội dung đang nhập được giữ "
              "trong bản nháp. Chi tiết lỗi đã được ghi vào nhật ký: {path}")


def setup_logging(folder: Path, *, max_bytes: int = 1_000_000, backups: int = 5,
                  level: int = logging.INFO) -> Path:
    """Log to ``folder/desk-app.log``, rotated at ``max_bytes`` with ``backups`` old files."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path  # already set up (a second window, a test)
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path


def install_excepthook(show: Callable[[str], None], log_path: Path) -> None:
    """Unhandled errors (main thread and worker threads) are logged, then ``show`` gets the
    Vietnamese message for the clerk."""
    log = logging.getLogger("desk_app.unexpected")

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        log.error("unexpected error", exc_info=(kind, value, tb))
        try:
            show(UNEXPECTED.format(path=log_path))
        except Exception:  # noqa: BLE001 - the message box itself failed: the log has it
            log.exception("could not show the error message")

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)
