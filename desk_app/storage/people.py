"""Citizens the counter has served (typed once, offered back: "không viết") and the drafts of
half-typed forms, with the dossier a form was saved as. The one owner of those tables' SQL;
reached as ``store.people``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from ..models.journal import canonical_json, new_id
from .driver import Connection
from .rows import Rows
from .records import name_key, search_text


class PeopleStore(Rows):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find_citizen(self, *, id_number: str | None = None, citizen_id: str | None = None) -> dict[str, Any] | None:
        if citizen_id:
            row = self._one("SELECT * FROM citizens WHERE id = ?", [citizen_id])
        elif id_number:
            row = self._one("SELECT * FROM citizens WHERE id_number = ?", [id_number])
        else:
            return None
        if row:
            row["data"] = json.loads(row["data"])
        return row

    def save_citizen(self, citizen: Mapping[str, Any], *, now: datetime) -> str:
        """Insert or update one person (found again by ID number). Call inside a transaction."""
        existing = None
        if citizen.get("id_number"):
            existing = self._one("SELECT * FROM citizens WHERE id_number = ?", [citizen["id_number"]])
        if existing is None and citizen.get("id"):
            existing = self._one("SELECT * FROM citizens WHERE id = ?", [citizen["id"]])
        columns = ("id_number", "full_name", "birth_date", "sex", "phone", "email", "address")
        values = {c: citizen.get(c) or None for c in columns}
        extra = {k: v for k, v in citizen.items() if k not in columns and k != "id" and v not in (None, "")}
        if existing:
            merged = {**json.loads(existing["data"]), **extra}
            # a later visit fills gaps and corrects; an empty field never wipes a known value
            values = {c: values[c] if values[c] is not None else existing.get(c) for c in columns}
        text = search_text(values["full_name"], values["id_number"], values["phone"])
        if existing:
            self.conn.execute(
                "UPDATE citizens SET id_number=?, full_name=?, birth_date=?, sex=?, phone=?, email=?, "
                "address=?, data=?, search_text=?, name_key=?, updated_at=? WHERE id=?",
                (*[values[c] for c in columns], canonical_json(merged), text, name_key(values["full_name"]),
                 now.isoformat(), existing["id"]),
            )
            return existing["id"]
        citizen_id = citizen.get("id") or new_id()
        self.conn.execute(
            "INSERT INTO citizens(id, id_number, full_name, birth_date, sex, phone, email, address, data, "
            "search_text, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (citizen_id, *[values[c] for c in columns], canonical_json(extra), text, name_key(values["full_name"]),
             now.isoformat(), now.isoformat()),
        )
        return citizen_id

    def save_draft(self, draft: Mapping[str, Any]) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO drafts(id, clerk, procedure_code, template_id, template_version, values_json, "
                "papers_json, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "procedure_code = excluded.procedure_code, template_id = excluded.template_id, "
                "template_version = excluded.template_version, values_json = excluded.values_json, "
                "papers_json = excluded.papers_json, updated_at = excluded.updated_at",
                (draft["id"], draft["clerk"], draft.get("procedure_code"), draft.get("template_id"),
                 draft.get("template_version"), canonical_json(draft.get("values") or {}),
                 canonical_json(draft.get("papers") or []), draft["updated_at"]),
            )

    def drafts(self, clerk: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM drafts" + (" WHERE clerk = ?" if clerk else "") + " ORDER BY updated_at DESC"
        out = []
        for row in self.query(sql, [clerk] if clerk else []):
            row["values"] = json.loads(row.pop("values_json"))
            row["papers"] = json.loads(row.pop("papers_json"))
            out.append(row)
        return out

    def submitted(self, draft_id: str) -> str | None:
        """The dossier a form (its draft's id) was saved as, if it was."""
        row = self._one("SELECT id FROM dossiers WHERE submission_id = ?", [draft_id])
        return row["id"] if row else None

    def delete_draft(self, draft_id: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))

    def known_id_numbers(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT id_number FROM citizens WHERE id_number IS NOT NULL")}

