"""The incident deadline and the notification channels are data (resources/rules/counter.json):
change the file, and the deadline, the screens' wording and the dialogs follow."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from desk_app.models import incidents, rules
from desk_app.models.clock import VN_TZ


def test_the_deadline_comes_from_the_data_and_says_whether_it_is_confirmed(tmp_path, monkeypatch):
    data = json.loads(rules.RULES_PATH.read_text(encoding="utf-8"))
    assert data["incident_report_hours"]["source"] and "confirmed" in data["incident_report_hours"]
    at = datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)
    assert incidents.report_deadline(at) == at + timedelta(hours=72)
    data["incident_report_hours"]["value"] = 48
    changed = tmp_path / "counter.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    read = rules.counter_rules.__wrapped__  # the loader itself, without its cache
    monkeypatch.setattr(incidents, "counter_rules", lambda: read(changed))
    assert incidents.report_deadline(at) == at + timedelta(hours=48)
    assert read(changed).incident_hours_text == "48 giờ"
    assert read(changed).notify_channels[0] == "Điện thoại"
