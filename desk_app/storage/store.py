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

from ..models.calendar import DayOverride
from ..models.catalogue import Catalogue, parse_catalogue
from ..models.journal import GENESIS_HASH, Action, canonical_json, new_id, seal
from ..models.lifecycle import ALLOWED_FROM, DossierState
from ..models.queues import Window
from ..models.text import fold, nfc
from .db import open_database
from .driver import Connection, DatabaseError
from .outbox import Outbox
from .rows import Rows

if TYPE_CHECKING:
    from .privacy import PrivacyStore


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

    def transfer_units(self, limit: int = 200) -> list[str]:
        """The units dossiers were last transferred to, newest first (the clerk's suggestions)."""
        rows = self.query("SELECT payload FROM actions WHERE kind = 'transferred' ORDER BY seq DESC LIMIT ?", [limit])
        return [str(json.loads(r["payload"]).get("to_unit", "")) for r in rows]

    def known_id_numbers(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT id_number FROM citizens WHERE id_number IS NOT NULL")}

    def procedure_counts(self, dossier_ids: Sequence[str]) -> dict[str, int]:
        """How many of these dossiers each procedure has."""
        counts: dict[str, int] = {}
        for marks, chunk in _in_chunks(list(dossier_ids)):
            for code, n in self.conn.execute(f"SELECT procedure_code, count(*) FROM dossiers WHERE id IN ({marks}) "
                                             "GROUP BY procedure_code", chunk):
                counts[code] = counts.get(code, 0) + n
        return counts

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # -- form templates: every version ever seen, so an old dossier prints as it was typed
    def template_keys(self) -> set[tuple[str, str]]:
        return {(r[0], r[1]) for r in self.conn.execute("SELECT template_id, version FROM form_templates")}

    def add_templates(self, templates: Iterable[tuple[str, str, str]], loaded_at: datetime) -> None:
        """(id, version, content) each; a version already kept is left as it was."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO form_templates(template_id, version, content, loaded_at) VALUES (?, ?, ?, ?)",
            [(tid, version, content, loaded_at.isoformat()) for tid, version, content in templates])

    def stored_templates(self) -> list[dict[str, Any]]:
        return list(self.query("SELECT template_id, version, content FROM form_templates"))

    # -- the check of the whole file (desk-app check)
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
        return (self.action_from_row(r) for r in self.query("SELECT * FROM actions ORDER BY dossier_id, seq"))

    def all_dossier_rows(self) -> Iterator[dict[str, Any]]:
        """Every dossier's stored row, by id."""
        return self.query("SELECT * FROM dossiers ORDER BY id")

    def book_entries(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The tracking book's dossiers: created from ``start`` to ``end``, with the address."""
        return list(self.query(
            "SELECT d.code, d.procedure_code, d.applicant_name, d.applicant_phone, d.status, d.received_at, "
            "d.due_at, d.returned_at, d.transferred, d.created_at, c.address FROM dossiers d "
            "LEFT JOIN citizens c ON c.id = d.applicant_id WHERE d.created_at BETWEEN ? AND ? "
            "ORDER BY d.created_at", [start.isoformat(), end.isoformat()]))

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

    def counts(self) -> dict[str, int]:
        return {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("dossiers", "actions", "citizens", "outbox", "procedures", "clerks")}

    def search_index_problems(self) -> list[str]:
        """Where a search index does not match its table exactly (a row missing or twice)."""
        problems = []
        for index, table in (("dossier_fts", "hồ sơ"), ("citizen_fts", "công dân")):
            try:  # FTS5's own check, against the table's rows (rank 1)
                self.conn.execute(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)")
            except DatabaseError as exc:
                problems.append(f"Chỉ mục tìm kiếm {table} không khớp dữ liệu (SQLite: {exc}).")
        return problems
