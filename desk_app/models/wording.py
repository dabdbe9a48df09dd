"""The words every paper shares (the nation's motto, the footer, the fee line, the reports'
headings), read from ``forms_templates/wording.toml``: wording is data a ward or province
changes, never a literal in the printing code. A phrase the file lacks is a loud error."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DomainError
from .text import nfc

WORDING_FILE = "wording.toml"  # beside the templates; the template library skips it
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "forms_templates"  # also inside the bundle


class Wording:
    def __init__(self, data: dict[str, Any], source: str = WORDING_FILE) -> None:
        self._data, self.source = data, source

    def _get(self, key: str) -> Any:
        node: Any = self._data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise DomainError(f"Tệp {self.source} thiếu câu chữ “{key}”.", code="wording_missing")
            node = node[part]
        return node

    def text(self, key: str, **values: Any) -> str:
        """One phrase, its {name} places filled from ``values``."""
        phrase = self._get(key)
        return nfc(phrase.format(**values) if values else phrase)

    def texts(self, key: str) -> list[str]:
        return [nfc(x) for x in self._get(key)]

    def table(self, key: str) -> dict[str, str]:
        return {k: nfc(v) for k, v in self._get(key).items()}


def load_wording(path: Path) -> Wording:
    try:
        return Wording(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DomainError(f"Không đọc được tệp câu chữ giấy tờ {path.name}: {exc}", code="wording_missing") from None


@lru_cache(maxsize=4)
def paper_wording(folder: Path = TEMPLATES_DIR) -> Wording:
    return load_wording(Path(folder) / WORDING_FILE)
