"""The ``desk-app`` command. Its entry point says in Vietnamese when the counter's own
libraries are missing (an install of the server only) instead of a traceback."""

from __future__ import annotations

import sys
from typing import Sequence

COUNTER_INSTALL = "pip install 'desk-app[counter]'"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from .main import main as run
    except ModuleNotFoundError as exc:
        print(f"Lỗi: máy này chưa cài phần mềm quầy (thiếu thư viện {exc.name}). "
              f"Cài bằng lệnh: {COUNTER_INSTALL}", file=sys.stderr)
        return 2
    return run(argv)
