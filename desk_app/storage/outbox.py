"""The outbox: actions journalled here and not yet confirmed by the server above the ward.
The one owner of the outbox table's SQL and of its state machine:

    pending --(a batch is sent)--> sending --(confirmed)--> gone
       ^                              |--(refused for good)--> attention (the clerk sees why)
       '--(network, 5xx: backoff)-----'
    sending --(a cycle crashed)--> pending (sent again; the server deduplicates)
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Iterable

from ..models.text import nfc
from .db import transaction
from .driver import Connection
from .rows import Rows

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: many counters coming back online don't stampede."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


class Outbox(Rows):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, action_id: str) -> None:
        """Queue a newly journalled action (inside the caller's transaction)."""
        self.conn.execute("INSERT INTO outbox(action_id) VALUES (?)", (action_id,))

    def recover(self) -> None:
        """Items marked 'sending' by a cycle that crashed: send them again."""
        with transaction(self.conn):
            self.conn.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")

    def ready(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """The next batch to send, in journal order, each with its action's columns. Nothing past
        an item still waiting for its retry: the server would see a gap in the chain and refuse
        everything after it (found by scripts/crash_soak.py)."""
        rows = list(self.query(
            "SELECT o.seq AS outbox_seq, o.attempts, o.next_attempt_at AS retry_at, a.* FROM outbox o "
            "JOIN actions a ON a.id = o.action_id WHERE o.state = 'pending' ORDER BY o.seq LIMIT ?", [limit]))
        at = now.isoformat()
        ready = 0
        while ready < len(rows) and not (rows[ready]["retry_at"] and rows[ready]["retry_at"] > at):
            ready += 1
        return rows[:ready]

    def mark_sending(self, ids: Iterable[str]) -> None:
        """Marked before sending: a crash from here on means a resend."""
        with transaction(self.conn):
            self.conn.executemany("UPDATE outbox SET state = 'sending' WHERE action_id = ?", [(i,) for i in ids])

    def settle(self, done: Iterable[str], parked: Iterable[tuple[str, str]]) -> None:
        """The server's answer: confirmed ones leave, refused ones wait for the clerk."""
        with transaction(self.conn):
            self.conn.executemany("DELETE FROM outbox WHERE action_id = ?", [(i,) for i in done])
            self.conn.executemany("UPDATE outbox SET state = 'attention', last_error = ? WHERE action_id = ?",
                                  [(nfc(message), i) for i, message in parked])

    def park(self, ids: Iterable[str], message: str) -> None:
        self.settle((), [(i, message) for i in ids])

    def retry_later(self, rows: Iterable[dict[str, Any]], message: str, now: datetime) -> None:
        """Back to pending, each with one more attempt and its next try after a backoff."""
        with transaction(self.conn):
            for row in rows:
                attempts = row["attempts"] + 1
                when = now + timedelta(seconds=backoff_seconds(attempts))
                self.conn.execute(
                    "UPDATE outbox SET state = 'pending', attempts = ?, next_attempt_at = ?, last_error = ? "
                    "WHERE action_id = ?", (attempts, when.isoformat(), message, row["id"]))

    def count(self) -> int:
        return self.conn.execute("SELECT coalesce(sum(n), 0) FROM outbox_counts").fetchone()[0]

    def counts(self) -> dict[str, int]:
        """Items waiting per state, kept by triggers (no scan of the outbox)."""
        return dict(self.conn.execute("SELECT state, n FROM outbox_counts").fetchall())

    def attention(self, limit: int = 200) -> list[dict[str, Any]]:
        """What the server refused, with the dossier's code and the reason, for the clerk."""
        return list(self.query(
            "SELECT o.action_id, o.last_error, a.kind, a.at, d.code FROM outbox o JOIN actions a ON a.id = o.action_id "
            "JOIN dossiers d ON d.id = a.dossier_id WHERE o.state = 'attention' ORDER BY o.seq LIMIT ?", [limit]))
