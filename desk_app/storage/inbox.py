"""Pulled actions waiting to be applied: the one owner of the inbox table's SQL.

An action the counter cannot apply when it is pulled (a kind this version does not know, a
conflict with what the counter did meanwhile, a dossier it does not have) is held here, retried
at every sync and listed for the clerk. The pull cursor may move past it: it is not lost.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from ..models.journal import canonical_json
from ..models.text import nfc
from .driver import Connection
from .rows import Rows


def item_key(item: Any) -> str:
    """The action's id, or a digest of a malformed item (so the same item is held once)."""
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
        return item["id"]
    return "malformed-" + hashlib.sha256(canonical_json(item).encode("utf-8")).hexdigest()[:32]


class Inbox(Rows):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def hold(self, item: Any, reason: str, now: datetime) -> None:
        """Keep ``item`` for later (again: one more attempt, the latest reason)."""
        d = item if isinstance(item, dict) else {}
        seq = d.get("server_seq")
        self.conn.execute(
            "INSERT INTO inbox(id, server_seq, dossier_id, kind, content, reason, first_seen_at, last_tried_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET reason = excluded.reason, "
            "last_tried_at = excluded.last_tried_at, attempts = inbox.attempts + 1",
            (item_key(item), seq if isinstance(seq, int) else None,
             d.get("dossier_id") if isinstance(d.get("dossier_id"), str) else None,
             d.get("kind") if isinstance(d.get("kind"), str) else "", canonical_json(item), nfc(reason),
             now.isoformat(), now.isoformat()))

    def release(self, ids: list[str]) -> None:
        """Applied at last: no longer waiting."""
        self.conn.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in ids])

    def waiting(self) -> list[dict[str, Any]]:
        """Every held item as pulled, in the server's order."""
        rows = self.conn.execute("SELECT content FROM inbox ORDER BY server_seq, first_seen_at").fetchall()
        return [json.loads(r[0]) for r in rows]

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM inbox").fetchone()[0]

    def attention(self, limit: int = 200) -> list[dict[str, Any]]:
        """What the clerk sees: the dossier's code when this counter has it, the kind, why."""
        return list(self.query(
            "SELECT i.id, i.kind, i.reason, i.attempts, i.first_seen_at, d.code FROM inbox i "
            "LEFT JOIN dossiers d ON d.id = i.dossier_id ORDER BY i.server_seq, i.first_seen_at LIMIT ?", [limit]))
