"""The dossier action journal: append-only, each action hash-chained to the one before.

Every device (counter PC, district server) keeps one chain of the actions it
originated, in the order it recorded them. An action's hash covers its content
and the previous action's hash, so editing, deleting or reordering a row breaks
the chain (``verify_chain``). Tamper-evident, not tamper-proof: the district
holds a second copy of every synced action.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

GENESIS_HASH = "0" * 64
# a purged action keeps its place in the chain (id, links, hash) but not its content
TOMBSTONE: dict[str, Any] = {"purged": True}


def new_id() -> str:
    """A client-generated action or dossier ID (idempotency key for sync)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Action:
    """One confirmed step of a dossier, as the clerk confirmed it on a device."""

    id: str
    dossier_id: str
    kind: str
    at: datetime  # device time of the clerk's confirmation, timezone-aware
    clerk: str
    counter: int
    device_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""
    purged_at: datetime | None = None  # set when a confirmed retention purge blanked the payload

    def content(self) -> dict[str, Any]:
        """What the hash covers (everything but the hash itself)."""
        return {
            "id": self.id,
            "dossier_id": self.dossier_id,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "clerk": self.clerk,
            "counter": self.counter,
            "device_id": self.device_id,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.content(), "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Action":
        return cls(
            id=data["id"],
            dossier_id=data["dossier_id"],
            kind=data["kind"],
            at=datetime.fromisoformat(data["at"]),
            clerk=data["clerk"],
            counter=int(data["counter"]),
            device_id=data["device_id"],
            payload=data.get("payload") or {},
            prev_hash=data.get("prev_hash", GENESIS_HASH),
            hash=data.get("hash", ""),
        )


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept (NFC text hashes the same everywhere)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def action_hash(action: Action) -> str:
    return hashlib.sha256(canonical_json(action.content()).encode("utf-8")).hexdigest()


def seal(action: Action, prev_hash: str) -> Action:
    """Return ``action`` chained after ``prev_hash`` with its hash filled in."""
    chained = Action(**{**action.__dict__, "prev_hash": prev_hash, "hash": ""})
    return Action(**{**chained.__dict__, "hash": action_hash(chained)})


@dataclass(frozen=True)
class ChainProblem:
    action_id: str
    message: str  # Vietnamese, for the IT officer


def verify_chain(actions: Iterable[Action], start_hash: str = GENESIS_HASH) -> list[ChainProblem]:
    """Check one device's actions, in recorded order. Empty list means the chain is whole.

    A purged action's content is gone, so its stored hash is taken as it is; the links to it and
    from it are still checked, so removing or reordering it still shows."""
    problems: list[ChainProblem] = []
    expected_prev = start_hash
    for action in actions:
        if action.prev_hash != expected_prev:
            problems.append(
                ChainProblem(action.id, "Chuỗi nhật ký bị đứt: thiếu, xóa hoặc đảo thứ tự thao tác trước thao tác này.")
            )
        if action.purged_at is not None:
            if dict(action.payload) != TOMBSTONE:
                problems.append(ChainProblem(action.id, "Thao tác đã hủy dữ liệu nhưng vẫn còn nội dung."))
        elif action_hash(action) != action.hash:
            problems.append(ChainProblem(action.id, "Nội dung thao tác đã bị sửa sau khi ghi (mã băm không khớp)."))
        expected_prev = action.hash
    return problems
