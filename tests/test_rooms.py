"""Each table's SQL has one owner: the storage rooms (desk_app/storage/, the server's db.py).
A statement written anywhere else is the start of a rule written twice."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("desk_app/storage/", "desk_district/db.py")
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WITH|VACUUM)\b")


def _strings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            yield node.lineno, text


def test_no_sql_outside_the_storage_rooms():
    found = []
    for folder in ("desk_app", "desk_district"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(ROOMS):
                continue
            for line, text in _strings(path):
                if SQL.match(text) and re.search(r"\b(FROM|INTO|SET|TABLE|\d)\b|PRAGMA|VACUUM", text):
                    found.append(f"{rel}:{line}: {text[:60]!r}")
    assert found == []


def test_no_class_holds_much_more_than_thirty_methods():
    big = []
    for folder in ("desk_app", "desk_district"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    n = sum(isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)) for b in node.body)
                    if n > 32:
                        big.append(f"{path.relative_to(ROOT)}:{node.name} has {n} methods")
    assert big == []
