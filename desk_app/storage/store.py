"""The counter PC's local store: one SQLite file per counter.

Persistence only: the rules live in ``desk_app.models`` and the operations that
combine them with storage in ``desk_app.counter``. Every write that touches
several rows runs inside one ``transaction``.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from .driver import Connection, DatabaseError, OperationalError
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import sqlite_utils

from ..models.calendar import DayOverride
from ..models.catalogue import Catalogue, parse_catalogue
from ..models.journal import GENESIS_HASH, Action, canonical_json, new_id, seal
from ..models.lifecycle import ALLOWED_FROM, DossierState
from ..models.queues import Window
from ..models.clock import VN_TZ
from ..models.privacy import AccessFilter
from ..models.text import fold, nfc
from .db import open_database, transaction


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


class Store:
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

    def close(self) -> None:
        self.conn.close()

    def transaction(self):
        return transaction(self.conn)

    def query(self, sql: str, params: Iterable[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows as dicts. (sqlite-utils' own ``query`` wraps every read in a savepoint,
        which makes FTS5 flush a segment per call: too slow on the hot paths.)"""
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        for values in cursor:
            yield dict(zip(names, values))

    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        return next(self.query(sql, params), None)

    # -- settings -------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.query("SELECT key, value FROM settings")}

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM settings WHERE key = ?", [key])
        return row["value"] if row else default

    def set_settings(self, values: Mapping[str, Any], *, in_transaction: bool = False) -> None:
        def write() -> None:
            for key, value in values.items():
                self.conn.execute(
                    "INSERT INTO settings(key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, str(value)),
                )
        if in_transaction:
            write()
        else:
            with self.transaction():
                write()

    def is_initialised(self) -> bool:
        return self.get_setting("ward_code") is not None

    # -- catalogue --------------------------------------------------------------
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
            self.set_settings({"catalogue_version": catalogue.version}, in_transaction=True)

    def load_catalogue(self) -> Catalogue | None:
        rows = list(self.query("SELECT data FROM procedures ORDER BY code"))
        if not rows:
            return None
        return parse_catalogue({
            "version": self.get_setting("catalogue_version", "local"),
            "procedures": [json.loads(r["data"]) for r in rows],
        })

    # -- clerks -----------------------------------------------------------------
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

    # -- working-day calendar overrides -----------------------------------------------
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

    # -- citizens ---------------------------------------------------------------
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

    def search_citizens(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        columns = "c.num, c.id, c.id_number, c.full_name, c.birth_date, c.sex, c.phone, c.address"
        return self._search("citizens", "citizen_fts", columns, query, limit)

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
        self.conn.execute("INSERT INTO outbox(action_id) VALUES (?)", (sealed.id,))
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
            self.conn.execute("INSERT INTO settings(key, value) VALUES ('stats.longest_open_days', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (f"{days:.6f}",))

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

    def search_dossiers(self, query: str, limit: int = 50) -> list[DossierRow]:
        """Name without diacritics (prefix), CCCD, phone or code. Never raises on any text."""
        return [DossierRow.from_row(r) for r in self._search("dossiers", "dossier_fts", "d.*", query, limit)]

    def _search(self, table: str, fts: str, columns: str, query: str, limit: int) -> list[dict[str, Any]]:
        """Fast paths first, FTS5 for the rest:
        a dossier code (ours or the official one) by its unique index; a name typed from its
        start by the name key's index (alphabetical, newest first within a name); then FTS5
        (any word order, per-word prefixes, CCCD, phone), newest first."""
        alias = table[0]
        text = nfc(query or "").strip()
        if table == "dossiers" and _CODE_LIKE.match(text):
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

    def dossiers_by_status(self, statuses: Iterable[str], limit: int = 500) -> list[DossierRow]:
        statuses = list(statuses)
        marks = ",".join("?" * len(statuses))
        return [DossierRow.from_row(r) for r in self.query(
            f"SELECT * FROM dossiers WHERE status IN ({marks}) ORDER BY due_at LIMIT ?", [*statuses, limit])]

    # -- drafts -------------------------------------------------------------------------------
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

    def delete_draft(self, draft_id: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))

    # -- personal data: access log (append-only; triggers refuse UPDATE and DELETE) ---------------
    def log_access(self, entry: Mapping[str, Any]) -> None:
        """Append one entry: id, at, clerk, counter, device_id, kind, subject, detail."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO access_log(id, at, clerk, counter, device_id, kind, subject, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry["id"], _iso(entry["at"]) if not isinstance(entry["at"], str) else entry["at"],
                 entry["clerk"], int(entry["counter"]), entry["device_id"], entry["kind"],
                 entry.get("subject") or "", canonical_json(entry.get("detail") or {})),
            )

    def access_entries(self, filters: "AccessFilter | Mapping[str, Any] | None" = None, *,
                       limit: int = 2000) -> list[dict[str, Any]]:
        """Entries newest first, by period (days, in the counter's time zone), clerk and kind."""
        f = AccessFilter.of(filters)
        where, params = [], []
        lo, hi = f.bounds(VN_TZ)
        if lo:
            where.append("at >= ?")
            params.append(lo)
        if hi:
            where.append("at < ?")
            params.append(hi)
        if f.clerk:
            where.append("clerk = ?")
            params.append(f.clerk)
        if f.kind:
            where.append("kind = ?")
            params.append(f.kind)
        sql = ("SELECT * FROM access_log" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY at DESC, seq DESC LIMIT ?")
        return [self._access_row(r) for r in self.query(sql, [*params, limit])]

    def access_clerks(self) -> list[str]:
        """Every clerk name the log holds (the filter's choices), including the command line's."""
        return [r["clerk"] for r in self.query("SELECT DISTINCT clerk FROM access_log ORDER BY clerk")]

    def unsynced_access(self, limit: int = 500) -> list[dict[str, Any]]:
        """The oldest entries not yet at the district, in recorded order (for the sync)."""
        return [self._access_row(r) for r in self.query(
            "SELECT * FROM access_log WHERE synced_at IS NULL ORDER BY seq LIMIT ?", [limit])]

    def mark_access_synced(self, ids: Iterable[str], at: datetime | str) -> int:
        """Stamp entries the district confirmed; an entry is stamped once (the trigger refuses more)."""
        stamp = at if isinstance(at, str) else at.isoformat()
        done = 0
        with self.transaction():
            for marks, chunk in _in_chunks(list(ids)):
                done += self.conn.execute(
                    f"UPDATE access_log SET synced_at = ? WHERE synced_at IS NULL AND id IN ({marks})",
                    [stamp, *chunk]).rowcount
        return done

    @staticmethod
    def _access_row(r: dict[str, Any]) -> dict[str, Any]:
        r["at"] = datetime.fromisoformat(r["at"])
        r["detail"] = json.loads(r["detail"] or "{}")
        return r

    def outbox_count(self) -> int:
        return self.conn.execute("SELECT coalesce(sum(n), 0) FROM outbox_counts").fetchone()[0]

    def outbox_counts(self) -> dict[str, int]:
        """Items waiting per state, kept by triggers (no scan of the outbox)."""
        return dict(self.conn.execute("SELECT state, n FROM outbox_counts").fetchall())

    def counts(self) -> dict[str, int]:
        return {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("dossiers", "actions", "citizens", "outbox", "procedures", "clerks")}

    # -- personal data: retention and incidents ---------------------------------------------------
    # A purge keeps every dossier row and every action (statistics and the hash chain stay whole):
    # it blanks the citizen's data in them and deletes the rows that are only personal data.
    def purge_candidates(self, procedure_codes: Iterable[str], created_before: str) -> list[dict[str, Any]]:
        """Closed, not yet purged dossiers of these procedures, created before ``created_before``,
        none of whose actions still waits in the outbox, with the time of their closing action."""
        codes = list(procedure_codes)
        if not codes:
            return []
        marks = ",".join("?" * len(codes))
        return list(self.query(
            "SELECT d.id, d.code, d.procedure_code, (SELECT a.at FROM actions a WHERE a.dossier_id = d.id "
            "  AND a.kind IN ('returned', 'refused', 'withdrawn') ORDER BY a.seq DESC LIMIT 1) AS closed_at "
            "FROM dossiers d WHERE d.status IN ('returned', 'refused', 'withdrawn') AND d.purged_at IS NULL "
            f"AND d.procedure_code IN ({marks}) AND d.created_at < ? "
            "AND NOT EXISTS (SELECT 1 FROM actions a JOIN outbox o ON o.action_id = a.id WHERE a.dossier_id = d.id) "
            "ORDER BY d.created_at", [*codes, created_before]))

    def add_purge(self, purge: Mapping[str, Any]) -> None:
        """A new listing; earlier listings never confirmed are superseded (one pending at a time)."""
        with self.transaction():
            self.conn.execute("UPDATE purges SET state = 'cancelled' WHERE state = 'listed'")
            self.conn.execute(
                "INSERT INTO purges(id, listed_at, listed_by, dossier_ids, state) VALUES (?, ?, ?, ?, 'listed')",
                (purge["id"], purge["listed_at"], purge["listed_by"], canonical_json(list(purge["dossier_ids"]))))

    def cancel_listed_purges(self) -> int:
        with self.transaction():
            return self.conn.execute("UPDATE purges SET state = 'cancelled' WHERE state = 'listed'").rowcount

    def get_purge(self, purge_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM purges WHERE id = ?", [purge_id])

    def purges(self, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sql = "SELECT * FROM purges" + (" WHERE state = ?" if state else "") + " ORDER BY listed_at DESC LIMIT ?"
        return list(self.query(sql, [state, limit] if state else [limit]))

    def set_purge(self, purge_id: str, **columns: Any) -> None:
        """Update a listing's state and stamps. Call inside the purge's transaction."""
        values = {k: canonical_json(v) if isinstance(v, list) else v for k, v in columns.items()}
        self.conn.execute(f"UPDATE purges SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                          (*values.values(), purge_id))

    def purge_dossier(self, dossier_id: str, purged_at: str) -> None:
        """Remove one dossier's personal data. Call inside a transaction whose purge listing naming
        it is 'confirmed' (the journal's trigger refuses a tombstone otherwise)."""
        row = self._one("SELECT code, official_code, applicant_id, applicant_name, applicant_id_number "
                        "FROM dossiers WHERE id = ?", [dossier_id])
        if row is None:
            return
        self.conn.execute("UPDATE actions SET payload = ?, purged_at = ? WHERE dossier_id = ? AND purged_at IS NULL",
                          (canonical_json({"purged": True}), purged_at, dossier_id))
        self.conn.execute("DELETE FROM surveys WHERE dossier_id = ?", (dossier_id,))
        self.conn.execute(
            "UPDATE dossiers SET applicant_id = NULL, applicant_name = '', applicant_id_number = NULL, "
            "applicant_phone = NULL, name_key = '', search_text = ?, purged_at = ? WHERE id = ?",
            (search_text(row["code"], row["official_code"]), purged_at, dossier_id))
        citizen = self._one("SELECT id, id_number, full_name FROM citizens WHERE id = ?", [row["applicant_id"]])
        if citizen is not None and not self._one("SELECT 1 FROM dossiers WHERE applicant_id = ? LIMIT 1",
                                                 [citizen["id"]]):
            self.conn.execute("DELETE FROM citizens WHERE id = ?", (citizen["id"],))
        self._delete_drafts_of(row["applicant_id_number"], row["applicant_name"])

    def _delete_drafts_of(self, id_number: str | None, full_name: str | None) -> None:
        """A half-typed form about the same person (drafts are not linked to dossiers)."""
        digits = re.sub(r"\D", "", id_number or "")
        key = name_key(full_name)
        for draft in list(self.query("SELECT id, values_json FROM drafts")):
            values = [v for v in json.loads(draft["values_json"]).values() if isinstance(v, str)]
            if any((digits and re.sub(r"\D", "", v) == digits) or (key and name_key(v) == key) for v in values):
                self.conn.execute("DELETE FROM drafts WHERE id = ?", (draft["id"],))

    def scrub_after_purge(self) -> bool:
        """Leave the removed text nowhere in the file: the search indexes rewritten without the
        purged words, then VACUUM (a page rebuilt by SQLite keeps stale bytes in its unused space,
        which secure_delete does not clear) and the WAL moved into the file. False when that could
        not finish (a full disk, another program reading): the data is removed all the same, and the
        next purge or backup-restore cycle rewrites the file."""
        with self.transaction():
            self.conn.execute("INSERT INTO dossier_fts(dossier_fts) VALUES ('optimize')")
            self.conn.execute("INSERT INTO citizen_fts(citizen_fts) VALUES ('optimize')")
        try:
            self.conn.execute("VACUUM")
            busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except OperationalError:
            return False
        return busy == 0

    @contextmanager
    def secure_delete(self) -> Iterator[None]:
        """Deleted content overwritten with zeros (SQLite leaves it in free space otherwise)."""
        previous = self.conn.execute("PRAGMA secure_delete").fetchone()[0]
        self.conn.execute("PRAGMA secure_delete = ON")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA secure_delete = {int(previous)}")

    def search_index_problems(self) -> list[str]:
        """Where a search index does not match its table exactly (a row missing or twice)."""
        problems = []
        for index, table in (("dossier_fts", "hồ sơ"), ("citizen_fts", "công dân")):
            try:  # FTS5's own check, against the table's rows (rank 1)
                self.conn.execute(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)")
            except DatabaseError as exc:
                problems.append(f"Chỉ mục tìm kiếm {table} không khớp dữ liệu (SQLite: {exc}).")
        return problems

    def purged_problems(self) -> list[str]:
        """Tombstones no confirmed purge accounts for (a payload blanked by hand)."""
        allowed: set[str] = set()
        for r in self.query("SELECT dossier_ids FROM purges WHERE state IN ('confirmed', 'done')"):
            allowed.update(json.loads(r["dossier_ids"]))
        out = []
        for r in self.query("SELECT DISTINCT a.dossier_id, d.code FROM actions a LEFT JOIN dossiers d "
                            "ON d.id = a.dossier_id WHERE a.purged_at IS NOT NULL"):
            if r["dossier_id"] not in allowed:
                out.append(r["code"] or r["dossier_id"])
        return out

    def add_incident(self, incident: Mapping[str, Any]) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO incidents(id, detected_at, recorded_at, recorded_by, kind, description, data_affected, "
                "people_affected, measures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (incident["id"], _iso(incident["detected_at"]), _iso(incident["recorded_at"]),
                 incident["recorded_by"], incident["kind"], incident["description"], incident["data_affected"],
                 incident["people_affected"], incident["measures"]))

    def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM incidents WHERE id = ?", [incident_id])

    def incidents(self) -> list[dict[str, Any]]:
        return list(self.query("SELECT * FROM incidents ORDER BY detected_at DESC, recorded_at DESC"))

    def mark_incident_reported(self, incident_id: str, reported_to: str, at: datetime) -> None:
        with self.transaction():
            self.conn.execute("UPDATE incidents SET reported_at = ?, reported_to = ? WHERE id = ? "
                              "AND reported_at IS NULL", (at.isoformat(), reported_to, incident_id))
