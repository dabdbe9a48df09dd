"""Settings are declared once (models/settings.py): every key the code reads or writes is there,
with its type, default, label and who may change it; no call site carries its own default."""

from __future__ import annotations

import re
from pathlib import Path

from desk_app.models.settings import DECLARED, ROLES, SETTINGS, default_of, is_declared
from desk_app.ops.backup import KeepPolicy

ROOT = Path(__file__).resolve().parents[2]
READS = re.compile(r"""(?:\.setting|get_setting|settings\.get|settings\(\)\.get)\(\s*["']([a-z_.0-9]+)["']""")
WRITES = re.compile(r"""["']([a-z_]+(?:\.[a-z_0-9]+)*)["']\s*:""")


def test_every_key_the_code_reads_is_declared():
    keys = set()
    for path in (ROOT / "desk_app").rglob("*.py"):
        keys |= set(READS.findall(path.read_text(encoding="utf-8")))
    assert keys and not [k for k in sorted(keys) if not is_declared(k)]


def test_the_keys_written_at_set_up_and_by_the_sync_are_declared():
    for name in ("counter.py", "sync/client.py"):
        text = (ROOT / "desk_app" / name).read_text(encoding="utf-8")
        for block in re.findall(r"set_settings\(\{(.*?)\}", text, re.S):
            for key in WRITES.findall(block):
                assert is_declared(key), (name, key)


def test_each_declaration_is_whole_and_the_defaults_are_the_ones_used():
    assert len(DECLARED) == len(SETTINGS)  # no key twice
    for s in SETTINGS:
        assert s.label and s.role in ROLES and s.type
    assert KeepPolicy.from_settings({}) == KeepPolicy(12, 10, 9)
    assert default_of("sync_end_of_day") == "17:15" and default_of("nothing.like.this") is None


def test_a_counter_reads_the_declared_default_when_nothing_is_stored(counter):
    assert counter.setting("idle_lock_minutes") == "10"
    counter.set_settings({"idle_lock_minutes": "5"})
    assert counter.setting("idle_lock_minutes") == "5"
    assert counter.setting("ward.hotline") == ""
