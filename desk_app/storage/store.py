"""The counter PC's local store: one SQLite file per counter.

Persistence only: the rules live in ``desk_app.models`` and the operations that
combine them with storage in ``desk_app.counter``. Every write that touches
several rows runs inside one ``transaction``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

import sqlite_utils

from ..models.journal import GENESIS_HASH, Action, canonical_json, seal
from ..models.lifecycle import ALLOWED_FROM, DossierState
from ..models.text import fold
from .db import open_database, upsert_settings
from .driver import Connection
from .outbox import Outbox
from .rows import Rows

if TYPE_CHECKING:
    from .checks import CheckStore
    from .lists import ListStore
    from .people import PeopleStore
    from .privacy import PrivacyStore
    from .reference import ReferenceStore
    from .search import SearchStore


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def search_text(*parts: Any) -> str:
    """The folded text a row is found by (no diacritics, Đ as D, lower case)."""
    return fold(" ".join(str(p) for p in parts if p))


_DIGITS_ONLY = re.compile(r"^[\d\s.\-+]+$")
_CODE_LIKE = re.compile(r"^\d{3,8}-Q\d|^[\w.]*\d[\w.]*-\d{4,}", re.IGNORECASE)  # 42010-Q01-…, 000.17.22.H56-2611…


def name_key(name: str | None) -> str:
    """The folded name with single spaces: "Nguyễn  Văn Đức" -> "nguyen van duc"."""
    return " ".join(fold(name or "").split())
_TOKEN = re.compile(r"\w+", re.UNICODE)


def fts_query(query: str, *, last_only: bool = False) -> str | None:
    """Turn anything a clerk types into a safe FTS5 query, or None for nothing to search.

    Every token is quoted (punctuation can never reach the FTS grammar); tokens are ANDed and
    matched as prefixes (with ``last_only``, only the last one: the word still being typed). A
    number typed with separators ("0912 345 678", "+84 912 345 678") is also searched as one
    number, and still as its parts ("261123-0001", the tail of a dossier code).
    """
    tokens = [t for t in _TOKEN.findall(fold(query or "")) if t][:12]
    if not tokens:
        return None
    parts = " ".join(f'"{t}"' if last_only and i < len(tokens) - 1 else f'"{t}"*' for i, t in enumerate(tokens))
    if _DIGITS_ONLY.match(query) and len(tokens) > 1:
        digits = "".join(tokens)
        if digits.startswith("84") and len(digits) in (11, 12):
            digits = "0" + digits[2:]  # +84 phone numbers are stored as 0xxxxxxxxx
        return f'"{digits}"* OR ({parts})'
    return parts


@dataclass(frozen=True)
class DossierRow:
    """A dossier as stored: identity, typed data and the journal's projection."""

    num: int
    id: str
    code: str
    official_code: str | None
    procedure_code: str
    applicant_id: str | None
    applicant_name: str
    applicant_id_number: str | None
    applicant_phone: str | None
    template_id: str | None
    template_version: str | None
    created_at: datetime
    status: str
    received_at: datetime | None
    original_due_at: datetime | None
    due_at: datetime | None
    result_ready_at: datetime | None
    notified_at: datetime | None
    returned_at: datetime | None
    timeliness: str | None
    supplement_requests: int
    apologies: int
    transferred: bool
    paused_at: datetime | None = None  # the legal clock stands still (verification under way)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "DossierRow":
        return cls(
            num=row["num"], id=row["id"], code=row["code"], official_code=row["official_code"],
            procedure_code=row["procedure_code"], applicant_id=row["applicant_id"],
            applicant_name=row["applicant_name"], applicant_id_number=row["applicant_id_number"],
            applicant_phone=row["applicant_phone"], template_id=row["template_id"],
            template_version=row["template_version"], created_at=datetime.fromisoformat(row["created_at"]),
            status=row["status"], received_at=_dt(row["received_at"]),
            original_due_at=_dt(row["original_due_at"]), due_at=_dt(row["due_at"]),
            result_ready_at=_dt(row["result_ready_at"]), notified_at=_dt(row["notified_at"]),
            returned_at=_dt(row["returned_at"]), timeliness=row["timeliness"],
            supplement_requests=row["supplement_requests"], apologies=row["apologies"],
            transferred=bool(row["transferred"]), paused_at=_dt(row.get("paused_at")),
        )

    @property
    def state(self) -> DossierState:
        """The lifecycle state the projection holds (no journal replay): what the list, the
        queues and the statistics judge a dossier by (``lifecycle.dossier_flags``)."""
        return DossierState(
            status=self.status, received_at=self.received_at, original_due_at=self.original_due_at,
            due_at=self.due_at, supplement_requests=self.supplement_requests, apologies=self.apologies,
            transferred=self.transferred, result_ready_at=self.result_ready_at, notified_at=self.notified_at,
            returned_at=self.returned_at, timeliness=self.timeliness, official_code=self.official_code,
            paused_at=self.paused_at)

    def with_state(self, state: DossierState) -> "DossierRow":
        """This row with the projection of ``state`` (what the database now holds)."""
        cols = projection(state)
        return replace(self, **{k: (_dt(v) if k.endswith("_at") else v) for k, v in cols.items()
                                if k not in ("last_action_at",)} | {"transferred": state.transferred})


def dossier_row(dossier_id: str, snapshot: Mapping[str, Any], created_at: datetime,
                applicant_id: str | None = None) -> dict[str, Any]:
    """The dossiers-table row of a dossier from the snapshot its first action carries: the one
    mapping, for a dossier received here and for one pulled from another device."""
    applicant = snapshot.get("applicant") or {}
    return {"id": dossier_id, "code": snapshot["code"], "procedure_code": snapshot["procedure_code"],
            "applicant_id": applicant_id, "applicant_name": applicant.get("full_name", ""),
            "applicant_id_number": applicant.get("id_number"), "applicant_phone": applicant.get("phone"),
            "template_id": snapshot.get("template_id"), "template_version": snapshot.get("template_version"),
            "created_at": created_at.isoformat()}


def _in_chunks(values: Sequence[str], size: int = 500) -> Iterator[tuple[str, list[str]]]:
    """``values`` a few hundred at a time (well under SQLite's limit of bound parameters), each
    chunk with its ``?,?,…`` for an ``IN (…)``."""
    for start in range(0, len(values), size):
        chunk = list(values[start:start + size])
        yield ",".join("?" * len(chunk)), chunk


def projection(state: DossierState) -> dict[str, Any]:
    """The dossiers-table columns that mirror ``derive_state``."""
    return {
        "official_code": state.official_code,
        "status": state.status,
        "received_at": _iso(state.received_at),
        "original_due_at": _iso(state.original_due_at),
        "due_at": _iso(state.due_at),
        "result_ready_at": _iso(state.result_ready_at),
        "notified_at": _iso(state.notified_at),
        "returned_at": _iso(state.returned_at),
        "timeliness": state.timeliness,
        "supplement_requests": state.supplement_requests,
        "apologies": state.apologies,
        "transferred": int(state.transferred),
        "paused_at": _iso(state.paused_at),
        "last_action_at": _iso(state.last_action_at),
    }


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
    def reference(self) -> "ReferenceStore":
        from .reference import ReferenceStore

        return ReferenceStore(self)

    @property
    def people(self) -> "PeopleStore":
        from .people import PeopleStore

        return PeopleStore(self.conn)

    @property
    def checks(self) -> "CheckStore":
        from .checks import CheckStore

        return CheckStore(self.conn)

    @property
    def search(self) -> "SearchStore":
        from .search import SearchStore

        return SearchStore(self.conn)

    @property
    def lists(self) -> "ListStore":
        from .lists import ListStore

        return ListStore(self.conn)

    @property
    def privacy(self) -> "PrivacyStore":
        """The access log, retention purges and incidents (storage/privacy.py)."""
        from .privacy import PrivacyStore

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
            "applicant_id_number, applicant_phone, template_id, template_version, "
            "created_at, status, last_action_at, search_text, name_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
            (
                row["id"], row["code"], row.get("official_code"), row["procedure_code"], row.get("applicant_id"),
                row["applicant_name"], row.get("applicant_id_number"), row.get("applicant_phone"),
                row.get("template_id"), row.get("template_version"), row["created_at"], row["created_at"],
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
        for marks, chunk in _in_chunks(sorted(set(ids))):
            found.update(r[0] for r in self.conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk))
        return found

    def actions_for(self, dossier_id: str) -> list[Action]:
        return [self.action_from_row(r) for r in self.query(
            "SELECT * FROM actions WHERE dossier_id = ? ORDER BY seq", [dossier_id])]

    def device_actions(self, device_id: str) -> Iterator[Action]:
        """One device's chain in recorded order (a full scan: for checks, not hot paths)."""
        for r in self.query("SELECT * FROM actions WHERE device_id = ? ORDER BY seq", [device_id]):
            yield self.action_from_row(r)

    @staticmethod
    def action_from_row(r: Mapping[str, Any]) -> Action:
        return Action(
            id=r["id"], dossier_id=r["dossier_id"], kind=r["kind"], at=datetime.fromisoformat(r["at"]),
            clerk=r["clerk"], counter=r["counter"], device_id=r["device_id"], payload=json.loads(r["payload"]),
            prev_hash=r["prev_hash"], hash=r["hash"], purged_at=_dt(r.get("purged_at")),
        )

    def get_dossier(self, key: str) -> DossierRow | None:
        """By internal id, our code or the official code."""
        row = self._one("SELECT * FROM dossiers WHERE id = ? OR code = ? OR official_code = ? LIMIT 1",
                        [key, key.strip().upper(), key.strip()])
        return DossierRow.from_row(row) if row else None





    # -- form templates: every version ever seen, so an old dossier prints as it was typed



    # -- the check of the whole file (desk-app check)







    # -- drafts -------------------------------------------------------------------------------




