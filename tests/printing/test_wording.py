"""The words every paper shares are data (forms_templates/wording.toml): every phrase the code
asks for is in the file, a missing phrase is a loud error, and the library does not take the file
for a template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desk_app.models.errors import DomainError
from desk_app.models.forms import load_library
from desk_app.models.wording import TEMPLATES_DIR, load_wording, paper_wording

ROOT = Path(__file__).resolve().parents[2]
ASKED = re.compile(r"WORDS\.(text|texts|table)\(\s*\"([a-z_.]+)\"")
ASKED_EITHER = re.compile(r"WORDS\.text\(\s*\"([a-z_.]+)\" if .+? else \"([a-z_.]+)\"")


def asked_keys() -> set[str]:
    keys: set[str] = set()
    for path in (ROOT / "desk_app").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        keys |= {key for _, key in ASKED.findall(source)}
        for a, b in ASKED_EITHER.findall(source):
            keys |= {a, b}
    return keys


def test_every_phrase_the_printing_code_asks_for_is_in_the_file():
    keys = asked_keys()
    assert len(keys) > 40  # the scan sees the printing code's phrases
    words = paper_wording()
    for key in sorted(keys):
        words._get(key)  # raises on a missing phrase
    for kind in ("handling", "book", "listing"):  # asked as f"reports.{kind}"
        assert words.text(f"reports.{kind}")


def test_a_missing_phrase_is_a_loud_error(tmp_path):
    path = tmp_path / "wording.toml"
    path.write_text('[fee]\nfree = "Không thu"\n', encoding="utf-8")
    words = load_wording(path)
    assert words.text("fee.free") == "Không thu"
    with pytest.raises(DomainError, match="fee.exempt"):
        words.text("fee.exempt", exemption="x")


def test_phrases_fill_their_places_in_nfc():
    words = paper_wording()
    assert words.text("fee.exempt", exemption="Trẻ em") == "Miễn lệ phí (thuộc trường hợp: Trẻ em)"
    assert words.text("header.nation") == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


def test_the_library_does_not_take_the_wording_for_a_template():
    library = load_library(TEMPLATES_DIR)
    assert not library.errors
    assert "wording" not in library.ids()
