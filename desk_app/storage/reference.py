"""Reference data the counter keeps: the procedure catalogue, the clerks, the local holiday
overrides and every form-template version ever seen (so an old dossier prints as it was
typed). The one owner of those tables' SQL; reached as ``store.reference``."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

from ..models.calendar import DayOverride
from ..models.catalogue import Catalogue, parse_catalogue
from ..models.settings import default_of
from ..models.journal import canonical_json
from .driver import Connection
from .rows import Rows

if TYPE_CHECKING:
    from .store import Store


class ReferenceStore(Rows):
    def __init__(self, store: "Store") -> None:
        self.store = store  # the catalogue's version is a setting
        self.conn: Connection = store.conn

    def save_catalogue(self, catalogue: Catalogue) -> None:
        """Replace the procedure catalogue (the district distributes new versions)."""
        with self.transaction():
            for proc in catalogue.procedures:
                data = proc.to_dict()
                self.conn.execute(
                    "INSERT INTO procedures(code, name, domain, catalogue_version, active, data) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET name = excluded.name, "
                    "domain = excluded.domain, catalogue_version = excluded.catalogue_version, "
                    "active = excluded.active, data = excluded.data",
                    (proc.code, proc.name, proc.domain, catalogue.version, int(proc.active), canonical_json(data)),
                )
                self.conn.execute("DELETE FROM procedure_components WHERE procedure_code = ?", (proc.code,))
                for pos, comp in enumerate(proc.components, start=1):
                    self.conn.execute(
                        "INSERT INTO procedure_components VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (proc.code, pos, comp.name, comp.paper_kind, comp.count, int(comp.required), comp.note),
                    )
            self.store.set_settings({"catalogue_version": catalogue.version}, in_transaction=True)

    def load_catalogue(self) -> Catalogue | None:
        rows = list(self.query("SELECT data FROM procedures ORDER BY code"))
        if not rows:
            return None
        return parse_catalogue({
            "version": self.store.get_setting("catalogue_version", default_of("catalogue_version")),
            "procedures": [json.loads(r["data"]) for r in rows],
        })

    def add_clerk(self, username: str, full_name: str, role: str, password_hash: str, *,
                  in_transaction: bool = False) -> None:
        sql = ("INSERT INTO clerks(username, full_name, role, password_hash, active, created_at) "
               "VALUES (?, ?, ?, ?, 1, ?)")
        params = (username, full_name, role, password_hash, datetime.now().isoformat(timespec="seconds"))
        if in_transaction:
            self.conn.execute(sql, params)
        else:
            with self.transaction():
                self.conn.execute(sql, params)

    def get_clerk(self, username: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM clerks WHERE username = ?", [username])

    def list_clerks(self) -> list[dict[str, Any]]:
        return list(self.query("SELECT username, full_name, role, active FROM clerks ORDER BY username"))

    def holiday_overrides(self) -> list[DayOverride]:
        return [DayOverride(date.fromisoformat(r["day"]), r["kind"], r["reason"])
                for r in self.query("SELECT day, kind, reason FROM holiday_overrides ORDER BY day")]

    def set_holiday_override(self, override: DayOverride) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO holiday_overrides(day, kind, reason) VALUES (?, ?, ?) ON CONFLICT(day) "
                "DO UPDATE SET kind = excluded.kind, reason = excluded.reason",
                (override.day.isoformat(), override.kind, override.reason),
            )

    def template_keys(self) -> set[tuple[str, str]]:
        return {(r[0], r[1]) for r in self.conn.execute("SELECT template_id, version FROM form_templates")}

    def add_templates(self, templates: Iterable[tuple[str, str, str]], loaded_at: datetime) -> None:
        """(id, version, content) each; a version already kept is left as it was."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO form_templates(template_id, version, content, loaded_at) VALUES (?, ?, ?, ?)",
            [(tid, version, content, loaded_at.isoformat()) for tid, version, content in templates])

    def stored_templates(self) -> list[dict[str, Any]]:
        return list(self.query("SELECT template_id, version, content FROM form_templates"))

