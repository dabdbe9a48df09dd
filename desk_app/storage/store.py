"""The counter PC's local store: one SQLite file per counter.

Persistence only: the rules live in ``desk_app.models`` and the operations that
combine them with storage in ``desk_app.counter`` and ``desk_app.dossier_desk``. ``Store``
owns the dossiers, the journal and the settings; each other table has its room, reached
from here (``store.outbox``, ``.people``, ``.privacy``, ``.reference``, ``.search``,
``.lists``, ``.checks``); the shapes they share are in ``records``, so no room imports
another. Every write that touches several rows runs inside one ``transaction``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import sqlite_utils

from ..models.journal import GENESIS_HASH, Action, canonical_json, seal
from ..models.lifecycle import ALLOWED_FROM, DossierState
from .db import open_database, upsert_settings
from .driver import Connection
from .outbox import Outbox
from .records import DossierRow, action_from_row, in_chunks, name_key, projection, search_text
from .rows import Rows
from .checks import CheckStore
from .lists import ListStore
from .people import PeopleStore
from .privacy import PrivacyStore
from .reference import ReferenceStore
from .search import SearchStore


FIRST_KINDS = frozenset(k for k, allowed in ALLOWED_FROM.items() if None in allowed)


class Store(Rows):
    def __init__(self, db: sqlite_utils.Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path
        self._longest_open: float | None = None

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True) -> "Store":
        return cls(open_database(path, create=create), Path(path))

    @property
    def conn(self) -> Connection:
        return self.db.conn

    @property
    def outbox(self) -> Outbox:
        """The outbox's state machine (storage/outbox.py)."""
        return Outbox(self.conn)

    @property
    def reference(self) -> ReferenceStore:
        return ReferenceStore(self)

    @property
    def people(self) -> PeopleStore:
        return PeopleStore(self.conn)

    @property
    def checks(self) -> CheckStore:
        return CheckStore(self.conn)

    @property
    def search(self) -> SearchStore:
        return SearchStore(self.conn)

    @property
    def lists(self) -> ListStore:
        return ListStore(self.conn)

    @property
    def privacy(self) -> PrivacyStore:
        """The access log, retention purges and incidents (storage/privacy.py)."""
        return PrivacyStore(self.conn)

    def close(self) -> None:
        self.conn.close()

    # -- settings -------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.query("SELECT key, value FROM settings")}

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM settings WHERE key = ?", [key])
        return row["value"] if row else default

    def set_settings(self, values: Mapping[str, Any], *, in_transaction: bool = False) -> None:
        def write() -> None:
            upsert_settings(self.conn, {key: str(value) for key, value in values.items()})
        if in_transaction:
            write()
        else:
            with self.transaction():
                write()

    def is_initialised(self) -> bool:
        return self.get_setting("ward_code") is not None

    # -- catalogue --------------------------------------------------------------


    # -- clerks -----------------------------------------------------------------



    # -- working-day calendar overrides -----------------------------------------------


    # -- citizens ---------------------------------------------------------------



    # -- dossiers and their journal ----------------------------------------------------
    def next_sequence(self, day_key: str) -> int:
        """The next dossier number of the day on this counter. Call inside the saving transaction."""
        self.conn.execute(
            "INSERT INTO code_sequences(day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1",
            (day_key,),
        )
        return self.conn.execute("SELECT last FROM code_sequences WHERE day = ?", (day_key,)).fetchone()[0]

    def insert_dossier(self, row: Mapping[str, Any]) -> None:
        """Insert a dossier's identity and typed data, indexed for search. Call inside a
        transaction, then ``append_action``."""
        text = search_text(row["code"], row.get("official_code"), row["applicant_name"],
                           row.get("applicant_id_number"), row.get("applicant_phone"))
        cursor = self.conn.execute(
            "INSERT INTO dossiers(id, code, official_code, procedure_code, applicant_id, applicant_name, "
            "applicant_id_number, applicant_phone, template_id, template_version, submission_id, "
            "created_at, status, last_action_at, search_text, name_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
            (
                row["id"], row["code"], row.get("official_code"), row["procedure_code"], row.get("applicant_id"),
                row["applicant_name"], row.get("applicant_id_number"), row.get("applicant_phone"),
                row.get("template_id"), row.get("template_version"), row.get("submission_id"),
                row["created_at"], row["created_at"],
                text, name_key(row["applicant_name"]),
            ),
        )
        # Here, not in a trigger (schema migration 9): one plain row, so FTS5 keeps a whole
        # transaction's new dossiers in memory and writes them out once, at the commit.
        self.conn.execute("INSERT INTO dossier_fts(rowid, search_text) VALUES (?, ?)", (cursor.lastrowid, text))

    def chain_head(self, device_id: str) -> str:
        row = self.conn.execute("SELECT hash FROM chain_heads WHERE device_id = ?", (device_id,)).fetchone()
        return row[0] if row else GENESIS_HASH

    def append_action(self, action: Action, state: DossierState) -> Action:
        """Seal ``action`` onto this device's chain, journal it, queue it for sync and
        update the dossier's projection. Call inside the same transaction as any other
        row of the change."""
        sealed = seal(action, self.chain_head(action.device_id))
        self.insert_action(sealed)
        self.outbox.add(sealed.id)
        self.update_projection(action.dossier_id, state)
        return sealed

    def insert_action(self, action: Action, *, move_head: bool = True) -> int:
        """Journal ``action``; returns its ``seq``. ``move_head=False``: the caller sets its
        device's chain head itself (``set_chain_head``), e.g. once for a whole pulled page."""
        cursor = self.conn.execute(
            "INSERT INTO actions(id, dossier_id, kind, at, clerk, counter, device_id, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (action.id, action.dossier_id, action.kind, action.at.isoformat(), action.clerk, action.counter,
             action.device_id, canonical_json(action.payload), action.prev_hash, action.hash),
        )
        seq = cursor.lastrowid
        assert seq is not None
        if move_head:
            self.set_chain_head(action.device_id, seq, action.hash)
        if action.kind in FIRST_KINDS:  # the clerk who took the dossier in, for statistics by clerk
            self.conn.execute("UPDATE dossiers SET received_by = ? WHERE id = ? AND received_by IS NULL",
                              (action.clerk, action.dossier_id))
        elif action.kind == "survey_recorded":
            p = action.payload
            self.conn.execute(
                "INSERT OR IGNORE INTO surveys(action_id, dossier_id, at, survey, channel, answers) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (action.id, action.dossier_id, action.at.isoformat(), str(p.get("survey", "")),
                 str(p.get("channel", "")), canonical_json(p.get("answers", {}))),
            )
        return seq

    def set_chain_head(self, device_id: str, seq: int, hash: str) -> None:
        """The last action of ``device_id`` journalled here."""
        self.conn.execute(
            "INSERT INTO chain_heads(device_id, seq, hash) VALUES (?, ?, ?) ON CONFLICT(device_id) "
            "DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            (device_id, seq, hash),
        )

    def update_projection(self, dossier_id: str, state: DossierState) -> None:
        cols = projection(state)
        self.conn.execute(
            f"UPDATE dossiers SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
            (*cols.values(), dossier_id),
        )
        closed = state.result_ready_at or state.withdrawn_at
        if state.received_at is not None and closed is not None:
            self._note_open_span((closed - state.received_at).total_seconds() / 86400)
        if state.official_code:  # searchable by either code
            self._index_official_code(dossier_id, state.official_code)

    def longest_open_days(self, *, fresh: bool = False) -> float:
        """The longest a dossier has stayed open (receipt to result or stop), in days: statistics
        look this far back for dossiers still pending at a past date (storage/statistics.py)."""
        if self._longest_open is None or fresh:
            row = self.conn.execute("SELECT value FROM settings WHERE key = 'stats.longest_open_days'").fetchone()
            self._longest_open = float(row[0]) if row else 0.0
        return self._longest_open

    def _note_open_span(self, days: float) -> None:
        if days > self.longest_open_days():
            self._longest_open = days
            self.set_settings({"stats.longest_open_days": f"{days:.6f}"}, in_transaction=True)

    def _index_official_code(self, dossier_id: str, official_code: str) -> None:
        key = search_text(official_code)
        row = self.conn.execute("SELECT search_text FROM dossiers WHERE id = ?", (dossier_id,)).fetchone()
        if row and key not in row[0]:
            self.conn.execute("UPDATE dossiers SET search_text = ? WHERE id = ?", (f"{row[0]} {key}", dossier_id))

    def known_action_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are in the journal already."""
        return self._ids_in("actions", ids)

    def existing_dossiers(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are dossiers here."""
        return self._ids_in("dossiers", ids)

    def _ids_in(self, table: str, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for marks, chunk in in_chunks(sorted(set(ids))):
            found.update(r[0] for r in self.conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk))
        return found

    def actions_for(self, dossier_id: str) -> list[Action]:
        return [action_from_row(r) for r in self.query(
            "SELECT * FROM actions WHERE dossier_id = ? ORDER BY seq", [dossier_id])]

    def device_actions(self, device_id: str) -> Iterator[Action]:
        """One device's chain in recorded order (a full scan: for checks, not hot paths)."""
        for r in self.query("SELECT * FROM actions WHERE device_id = ? ORDER BY seq", [device_id]):
            yield action_from_row(r)

    def get_dossier(self, key: str) -> DossierRow | None:
        """By internal id, our code or the official code."""
        row = self._one("SELECT * FROM dossiers WHERE id = ? OR code = ? OR official_code = ? LIMIT 1",
                        [key, key.strip().upper(), key.strip()])
        return DossierRow.from_row(row) if row else None





    # -- form templates: every version ever seen, so an old dossier prints as it was typed



    # -- the check of the whole file (desk-app check)







    # -- drafts -------------------------------------------------------------------------------




