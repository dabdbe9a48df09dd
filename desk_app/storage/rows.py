"""What every storage room does with its connection: rows as dicts, one transaction helper."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from .db import transaction
from .driver import Connection


class Rows:
    conn: Connection

    def transaction(self):
        return transaction(self.conn)

    def query(self, sql: str, params: Iterable[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows as dicts. (sqlite-utils' own ``query`` wraps every read in a savepoint,
        which makes FTS5 flush a segment per call: too slow on the hot paths.)"""
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        for values in cursor:
            yield dict(zip(names, values))

    @staticmethod
    def equal(**columns: Any) -> tuple[list[str], list[Any]]:
        """``column = ?`` conditions and their values, for the filters that are set (a list's
        narrowing by status, clerk, kind…)."""
        set_ = {k: v for k, v in columns.items() if v not in (None, "")}
        return [f"{k} = ?" for k in set_], list(set_.values())

    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        return next(self.query(sql, params), None)
