"""Where the counter's files live: the user data folder, unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "desk-app"
APP_AUTHOR = "QuayMotCua"
DB_ENV = "DESK_APP_DB"
REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return user_data_path(APP_NAME, APP_AUTHOR)


def default_db_path() -> Path:
    """``--db`` wins over ``$DESK_APP_DB``, which wins over the user data folder."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return data_dir() / "ward.sqlite3"


def resource_path(*parts: str) -> Path:
    return REPO_ROOT.joinpath("resources", *parts)


def templates_dir() -> Path:
    return REPO_ROOT / "forms_templates"
