"""The server above the ward installs and runs without the counter's stack (no Qt): the rules
both share live in desk_app.models, which needs only the standard library and the holidays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNTER_ONLY = ("pyside6", "shiboken6", "sqlite-utils", "reportlab", "apscheduler", "sqlcipher3",
                "openpyxl", "keyring")
BLOCKED = ("PySide6", "shiboken6", "sqlite_utils", "reportlab", "apscheduler", "sqlcipher3", "openpyxl",
           "keyring", "argon2", "platformdirs", "pypdf", "msoffcrypto")


def _names(requirements):
    return {r.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
            for r in requirements}


def test_the_server_extra_and_the_shared_base_name_no_counter_library():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    for names in (_names(project["dependencies"]), _names(extras["district"])):
        assert not any(n.startswith(COUNTER_ONLY) for n in names), names
    assert {"pyside6-essentials", "sqlite-utils", "reportlab", "apscheduler"} <= _names(extras["counter"])
    # the counter's installs are unchanged: the developer's and the bundle's still bring it all
    assert "desk-app[counter,district]" in extras["dev"] and "desk-app[counter]" in extras["bundle"]


def test_pip_resolves_the_server_install_without_qt(tmp_path):
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                           "--report", str(report), f"{ROOT}[district]"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]}
    assert {"fastapi", "uvicorn", "sqlalchemy", "holidays"} <= names
    assert not any(n.startswith(COUNTER_ONLY) for n in names), sorted(names)


BLOCKER = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Block())
"""


def test_the_server_runs_with_the_counter_libraries_absent(tmp_path):
    """Imported, its database created and its reference checked with the counter's own loaders,
    while every counter-only library fails to import."""
    code = BLOCKER + f"""
from pathlib import Path
from desk_district.app import create_app
from desk_district.cli import build_reference
create_app("sqlite:///{tmp_path / 'district.sqlite3'}")
ref = build_reference(Path({str(ROOT / 'resources' / 'catalogue' / 'procedures.json')!r}),
                      Path({str(ROOT / 'forms_templates')!r}))
print(len(ref["catalogue"]["procedures"]), len(ref["templates"]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    procedures, templates = map(int, done.stdout.split())
    assert procedures >= 19 and templates >= 20


def test_the_counter_command_on_a_server_only_install_says_what_to_install():
    code = BLOCKER + "from desk_app.cli import main; raise SystemExit(main(['procedures']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert "chưa cài phần mềm quầy" in done.stderr and "desk-app[counter]" in done.stderr
    assert "Traceback" not in done.stderr
