"""Figures and lists of the counter that are law or practice, read from resources/rules/counter.json
(never constants in code): the incident-report deadline, the ways a citizen is told a result is
ready or sent an apology. A figure not yet checked against the law says so (``confirmed``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

RULES_PATH = Path(__file__).resolve().parents[2] / "resources" / "rules" / "counter.json"


@dataclass(frozen=True)
class CounterRules:
    incident_report_within: timedelta
    incident_report_source: str
    incident_report_confirmed: bool
    notify_channels: tuple[str, ...]
    apology_channels: tuple[str, ...]
    queue_labels: dict[str, str]  # what the work queues are called on the screen
    cmnd_valid_until: date  # the 9-digit CMND is no identity paper after this day
    cmnd_source: str

    @property
    def incident_hours_text(self) -> str:
        """'72 giờ', as the screens and papers say the deadline."""
        return f"{self.incident_report_within.total_seconds() / 3600:g} giờ"


@lru_cache(maxsize=1)
def counter_rules(path: Path = RULES_PATH) -> CounterRules:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    report = data["incident_report_hours"]
    cmnd = data["cmnd_valid_until"]
    return CounterRules(timedelta(hours=float(report["value"])), str(report["source"]), bool(report["confirmed"]),
                        tuple(data["notify_channels"]), tuple(data["apology_channels"]), dict(data["queue_labels"]),
                        date.fromisoformat(cmnd["value"]), str(cmnd["source"]))
