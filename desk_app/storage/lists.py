"""The lists the screens and papers read from the dossiers projection: the work queues, the
tracking book, the units dossiers went to, counts per procedure. Reached as ``store.lists``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Sequence

from ..models.queues import Window
from .driver import Connection
from .rows import Rows
from .records import DossierRow, in_chunks


class ListStore(Rows):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def queue_rows(self, window: "Window", limit: int = 500) -> list[DossierRow]:
        """Dossiers a work queue may list (models/queues.py narrows them further), by due time."""
        where = [f"status IN ({','.join('?' * len(window.statuses))})"]
        params: list[Any] = list(window.statuses)
        if window.due_from is not None:
            where.append("due_at >= ?")
            params.append(window.due_from.isoformat())
        if window.due_before is not None:
            where.append("due_at < ?")
            params.append(window.due_before.isoformat())
        if window.no_apology:
            where.append("apologies = 0")
        if window.clock_running:
            where.append("paused_at IS NULL")
        rows = self.query(f"SELECT * FROM dossiers WHERE {' AND '.join(where)} ORDER BY due_at LIMIT ?",
                          [*params, limit])
        return [DossierRow.from_row(r) for r in rows]

    def dossiers(self, *, status: str | None = None, procedure: str | None = None,
                 limit: int = 1000) -> list[DossierRow]:
        """Dossiers newest first, narrowed by status and procedure (``desk-app list``)."""
        where, params = self.equal(status=status, procedure_code=procedure)
        rows = self.query(f"SELECT * FROM dossiers WHERE {' AND '.join(['1 = 1', *where])} "
                          "ORDER BY created_at DESC, num DESC LIMIT ?", [*params, limit])
        return [DossierRow.from_row(r) for r in rows]

    def book_entries(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The tracking book's dossiers: created from ``start`` to ``end``, with the address."""
        return list(self.query(
            "SELECT d.code, d.procedure_code, d.applicant_name, d.applicant_phone, d.status, d.received_at, "
            "d.due_at, d.returned_at, d.transferred, d.created_at, c.address FROM dossiers d "
            "LEFT JOIN citizens c ON c.id = d.applicant_id WHERE d.created_at BETWEEN ? AND ? "
            "ORDER BY d.created_at", [start.isoformat(), end.isoformat()]))

    def handover_receivers(self, limit: int = 200) -> list[str]:
        """Who the one-stop last handed dossiers to, newest first, once each (the clerk's suggestions)."""
        rows = self.query("SELECT payload FROM actions WHERE kind = 'processing_started' ORDER BY seq DESC LIMIT ?",
                          [limit])
        return list(dict.fromkeys(str(json.loads(r["payload"]).get("to", "")) for r in rows))

    def transfer_units(self, limit: int = 200) -> list[str]:
        """The units dossiers were last transferred to, newest first (the clerk's suggestions)."""
        rows = self.query("SELECT payload FROM actions WHERE kind = 'transferred' ORDER BY seq DESC LIMIT ?", [limit])
        return [str(json.loads(r["payload"]).get("to_unit", "")) for r in rows]

    def procedure_counts(self, dossier_ids: Sequence[str]) -> dict[str, int]:
        """How many of these dossiers each procedure has."""
        counts: dict[str, int] = {}
        for marks, chunk in in_chunks(list(dossier_ids)):
            for code, n in self.conn.execute(f"SELECT procedure_code, count(*) FROM dossiers WHERE id IN ({marks}) "
                                             "GROUP BY procedure_code", chunk):
                counts[code] = counts.get(code, 0) + n
        return counts

