"""What ``desk-app check`` and the self-test read of the whole file: SQLite's own checks, the
search indexes, every journal and projection in one ordered walk. Reached as ``store.checks``."""

from __future__ import annotations

from typing import Any, Iterator

from ..models.journal import Action
from .driver import Connection, DatabaseError
from .rows import Rows
from .records import action_from_row


class CheckStore(Rows):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def file_problems(self) -> list[str]:
        """SQLite's own integrity and foreign-key checks."""
        problems = [f"integrity_check: {r[0]}" for r in self.conn.execute("PRAGMA integrity_check")]
        if problems == ["integrity_check: ok"]:
            problems = []
        for fk in self.conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"Khóa ngoại sai ở bảng {fk[0]} (dòng {fk[1]}).")
        return problems

    def all_actions_by_dossier(self) -> Iterator[Action]:
        """Every action, by dossier id then journal order (a merge-walk beside all_dossier_rows)."""
        return (action_from_row(r) for r in self.query("SELECT * FROM actions ORDER BY dossier_id, seq"))

    def all_dossier_rows(self) -> Iterator[dict[str, Any]]:
        """Every dossier's stored row, by id."""
        return self.query("SELECT * FROM dossiers ORDER BY id")

    def search_index_problems(self) -> list[str]:
        """Where a search index does not match its table exactly (a row missing or twice)."""
        problems = []
        for index, table in (("dossier_fts", "hồ sơ"), ("citizen_fts", "công dân")):
            try:  # FTS5's own check, against the table's rows (rank 1)
                self.conn.execute(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)")
            except DatabaseError as exc:
                problems.append(f"Chỉ mục tìm kiếm {table} không khớp dữ liệu (SQLite: {exc}).")
        return problems

    def counts(self) -> dict[str, int]:
        return {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("dossiers", "actions", "citizens", "outbox", "procedures", "clerks")}

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

