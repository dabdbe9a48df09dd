"""Where the counter's files live.

Data: the user data folder (platformdirs), or, in portable mode, a ``data`` folder beside the
executable: a file named ``portable.txt`` next to it switches the mode (a counter PC run from a
USB stick, or a shared PC where the profile is wiped). ``--db`` and ``$DESK_APP_DB`` override
the database file. Templates, fonts and the catalogue ship with the app: in a PyInstaller
bundle they are unpacked under ``sys._MEIPASS``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "desk-app"
APP_AUTHOR = "QuayMotCua"
DB_ENV = "DESK_APP_DB"
PORTABLE_MARKER = "portable.txt"
REPO_ROOT = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))


def app_dir() -> Path:
    """The folder of the executable (bundle) or of the source checkout."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parents[1]


def is_portable() -> bool:
    return (app_dir() / PORTABLE_MARKER).exists()


def data_dir() -> Path:
    return app_dir() / "data" if is_portable() else user_data_path(APP_NAME, APP_AUTHOR)


def logs_dir() -> Path:
    return data_dir() / "logs"


def default_db_path() -> Path:
    """``--db`` wins over ``$DESK_APP_DB``, which wins over the data folder."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return data_dir() / "ward.sqlite3"


def resource_path(*parts: str) -> Path:
    return REPO_ROOT.joinpath("resources", *parts)


def templates_dir() -> Path:
    return REPO_ROOT / "forms_templates"
