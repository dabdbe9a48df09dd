"""The shapes the storage rooms share, so no room imports another: a dossier's row
(``DossierRow``), the one snapshot → row mapping, the projection of a dossier's state onto its
columns, a journal row as an Action, and the keys names and searches are matched on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Iterator, Mapping, Sequence

from ..models.journal import Action
from ..models.lifecycle import DossierState
from ..models.text import fold


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def search_text(*parts: Any) -> str:
    """The folded text a row is found by (no diacritics, Đ as D, lower case)."""
    return fold(" ".join(str(p) for p in parts if p))


_DIGITS_ONLY = re.compile(r"^[\d\s.\-+]+$")
CODE_LIKE = re.compile(r"^\d{3,8}-Q\d|^[\w.]*\d[\w.]*-\d{4,}", re.IGNORECASE)  # 42010-Q01-…, 000.17.22.H56-2611…


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
            "submission_id": snapshot.get("submission_id"), "created_at": created_at.isoformat()}


def in_chunks(values: Sequence[str], size: int = 500) -> Iterator[tuple[str, list[str]]]:
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
        "received_at": iso(state.received_at),
        "original_due_at": iso(state.original_due_at),
        "due_at": iso(state.due_at),
        "result_ready_at": iso(state.result_ready_at),
        "notified_at": iso(state.notified_at),
        "returned_at": iso(state.returned_at),
        "timeliness": state.timeliness,
        "supplement_requests": state.supplement_requests,
        "apologies": state.apologies,
        "transferred": int(state.transferred),
        "paused_at": iso(state.paused_at),
        "last_action_at": iso(state.last_action_at),
    }


def action_from_row(r: Mapping[str, Any]) -> Action:
    """One journal row as the Action it records."""
    return Action(
        id=r["id"], dossier_id=r["dossier_id"], kind=r["kind"], at=datetime.fromisoformat(r["at"]),
        clerk=r["clerk"], counter=r["counter"], device_id=r["device_id"], payload=json.loads(r["payload"]),
        prev_hash=r["prev_hash"], hash=r["hash"], purged_at=_dt(r.get("purged_at")),
    )
