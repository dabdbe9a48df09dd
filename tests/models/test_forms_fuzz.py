"""The template loader under fuzzing: any text, and real templates with damage, is either a
template or a TemplateError naming the file and a line — never another exception."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk_app.models.forms import TemplateError, parse_template
from desk_app.paths import templates_dir

SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted(templates_dir().rglob("*.toml"))}
NAMES = sorted(SOURCES)


def _parse(text: str, name: str = "mẫu-thử.toml") -> None:
    try:
        parse_template(text, name)
    except TemplateError as exc:
        assert name in exc.message, exc.message
        if "thiếu" not in exc.message:  # something wrong at a place: its line is named
            assert re.search(r"dòng \d+", exc.message), exc.message


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text(text):
    _parse(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(NAMES), st.data())
def test_real_templates_with_a_line_damaged(name, data):
    lines = SOURCES[name].splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    damage = data.draw(st.sampled_from(["drop", "truncate", "garble", "duplicate", "brace"]))
    line = lines[index]
    if damage == "drop":
        lines.pop(index)
    elif damage == "truncate":
        lines[index] = line[: data.draw(st.integers(0, max(0, len(line) - 1)))]
    elif damage == "garble":
        lines[index] = line + data.draw(st.text(min_size=1, max_size=12))
    elif damage == "duplicate":
        lines.insert(index, line)
    else:
        lines[index] = line.replace("}", "", 1) if "}" in line else line + " {"
    _parse("\n".join(lines), name)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_unknown_placeholders_are_named(name, word):
    text = SOURCES[name].replace("{ward.name}", "{" + word + "}", 1)
    _parse(text, name)
