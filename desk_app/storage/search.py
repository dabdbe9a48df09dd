"""Finding a dossier or a citizen from what the clerk types: a code, a name without diacritics,
a CCCD or a phone number (fast paths first, FTS5 for the rest). Reached as ``store.search``."""

from __future__ import annotations

from typing import Any

from ..models.text import nfc
from .driver import Connection
from .rows import Rows
from .records import CODE_LIKE, DossierRow, fts_query, name_key


class SearchStore(Rows):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def search_dossiers(self, query: str, limit: int = 50) -> list[DossierRow]:
        """Name without diacritics (prefix), CCCD, phone or code. Never raises on any text."""
        return [DossierRow.from_row(r) for r in self._search("dossiers", "dossier_fts", "d.*", query, limit)]

    def search_citizens(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        columns = "c.num, c.id, c.id_number, c.full_name, c.birth_date, c.sex, c.phone, c.address"
        return self._search("citizens", "citizen_fts", columns, query, limit)

    def _search(self, table: str, fts: str, columns: str, query: str, limit: int) -> list[dict[str, Any]]:
        """Fast paths first, FTS5 for the rest:
        a dossier code (ours or the official one) by its unique index; a name typed from its
        start by the name key's index (alphabetical, newest first within a name); then FTS5
        (any word order, per-word prefixes, CCCD, phone), newest first."""
        alias = table[0]
        text = nfc(query or "").strip()
        if table == "dossiers" and CODE_LIKE.match(text):
            upper = text.upper()
            rows = list(self.query(
                "SELECT d.* FROM dossiers d WHERE d.code >= ? AND d.code < ? UNION "
                "SELECT d.* FROM dossiers d WHERE d.official_code >= ? AND d.official_code < ? LIMIT ?",
                [upper, upper + "\U0010ffff", text, text + "\U0010ffff", limit]))
            if rows:
                return rows
        out: list[dict[str, Any]] = []
        key = name_key(text)
        if key and not key[0].isdigit():
            out = list(self.query(
                f"SELECT {columns} FROM {table} {alias} WHERE {alias}.name_key >= ? AND {alias}.name_key < ? "
                f"ORDER BY {alias}.name_key, {alias}.num DESC LIMIT ?", [key, key + "\U0010ffff", limit]))
        if out:
            return out  # the name as typed from its start: these are the ones the clerk means
        # complete words as exact terms (FTS5 reads them lazily, newest first), only the last as a
        # prefix; when that finds nothing, every word as a prefix ("nguye va du")
        for match in (fts_query(text, last_only=True), fts_query(text)):
            if match is None:
                return []
            out = list(self.query(
                f"SELECT {columns} FROM {fts} JOIN {table} {alias} ON {alias}.num = {fts}.rowid "
                f"WHERE {fts} MATCH ? ORDER BY {fts}.rowid DESC LIMIT ?", [match, limit]))
            if out:
                return out
        return out

