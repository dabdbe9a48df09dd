"""Request and response bodies of sync protocol v1 (docs/sync-protocol.md), as Pydantic models,
so that ``/openapi.json`` describes the real contract."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

HEX64 = r"^[0-9a-f]{64}$"
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_BATCH = 500


class _In(BaseModel):
    # Unknown keys are ignored: a newer counter may send more than v1 knows.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class ErrorBody(BaseModel):
    error: str = Field(description="unauthorized, forbidden, bad_request, not_found, conflict, too_large...")
    message: str = Field(description="Vietnamese, for the clerk or the IT officer")


class EnrollRequest(_In):
    ward_code: str = Field(pattern=r"^\d{3,8}$", examples=["42010"])
    counter: int = Field(ge=1, le=99)
    code: str = Field(min_length=4, max_length=64, description="the one-time code from `desk-district enroll`")
    device_id: str = Field(pattern=ID_PATTERN)
    device_name: str = Field(default="", max_length=200)
    paper_key: str | None = Field(default=None, max_length=256,
                                  description="the ward's QR key (hex); the first counter of a ward sets it")

    @field_validator("paper_key")
    @classmethod
    def _hex_key(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None  # a counter that has no key yet
        if not re.fullmatch(r"[0-9a-fA-F]{32,256}", value):
            raise ValueError("paper_key must be 32 to 256 hexadecimal digits")
        return value


class EnrollResponse(BaseModel):
    device_token: str
    ward_code: str
    ward_name: str
    counter: int
    server_time: datetime
    paper_key: str | None = None


class ActionIn(_In):
    """Exactly ``desk_app.models.journal.Action.to_dict()`` plus the counter's ``seq``."""

    id: str = Field(pattern=ID_PATTERN)
    dossier_id: str = Field(pattern=ID_PATTERN)
    kind: str = Field(min_length=1, max_length=40)
    at: str = Field(description="ISO 8601 with offset, the device time of the clerk's confirmation")
    clerk: str = Field(max_length=100)
    counter: int = Field(ge=0, le=99)
    device_id: str = Field(pattern=ID_PATTERN)
    payload: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str = Field(pattern=HEX64)
    hash: str = Field(pattern=HEX64)
    seq: int | None = None

    @field_validator("at")
    @classmethod
    def _aware_iso(cls, value: str) -> str:
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValueError("not an ISO 8601 date-time") from None
        if parsed.tzinfo is None:
            raise ValueError("date-time without a UTC offset")
        return value

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "dossier_id": self.dossier_id, "kind": self.kind, "at": self.at,
                "clerk": self.clerk, "counter": self.counter, "device_id": self.device_id,
                "payload": self.payload, "prev_hash": self.prev_hash, "hash": self.hash}


class PushRequest(_In):
    device_id: str = Field(pattern=ID_PATTERN)
    actions: list[ActionIn] = Field(description=f"at most {MAX_BATCH}, in the device's journal order")


class PushResult(BaseModel):
    id: str
    status: Literal["stored", "duplicate", "rejected"]
    server_seq: int | None = None
    received_at: datetime | None = None
    error: str | None = None


class PushResponse(BaseModel):
    results: list[PushResult]
    server_time: datetime
    clock_warning: str | None = None


class ActionOut(BaseModel):
    id: str
    dossier_id: str
    kind: str
    at: str
    clerk: str
    counter: int
    device_id: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    server_seq: int


class PullResponse(BaseModel):
    actions: list[ActionOut]
    last_seq: int
    more: bool


class TemplateOut(BaseModel):
    id: str
    version: str
    content: str


class HolidayOverrideOut(BaseModel):
    day: str
    kind: str
    reason: str


class ReferenceResponse(BaseModel):
    version: str
    catalogue: dict[str, Any]
    templates: list[TemplateOut]
    holiday_overrides: list[HolidayOverrideOut]
    settings: dict[str, Any]


DistrictKind = Literal["transfer_received", "transfer_returned", "official_code_assigned", "note"]


class DistrictActionRequest(_In):
    kind: DistrictKind
    payload: dict[str, Any] = Field(default_factory=dict)
    clerk: str | None = Field(default=None, min_length=1, max_length=100,
                              description="who at the district did it (default: the admin token's name)")
    id: str | None = Field(default=None, pattern=ID_PATTERN,
                           description="optional idempotency key: sending the same id twice stores once")


class DistrictActionResponse(BaseModel):
    status: Literal["stored", "duplicate"]
    server_seq: int
    received_at: datetime
    action: ActionOut


class HealthResponse(BaseModel):
    status: Literal["ok"]
    server_time: datetime


ACCESS_KINDS = ("view_record", "print", "export", "search_id")


class AccessEntryIn(_In):
    id: str = Field(pattern=ID_PATTERN)
    at: str = Field(max_length=40, description="the counter's time of the access (ISO 8601)")
    clerk: str = Field(min_length=1, max_length=64)
    counter: int = Field(ge=1, le=99)
    device_id: str = Field(pattern=ID_PATTERN)
    kind: Literal["view_record", "print", "export", "search_id"]
    subject: str = Field(default="", max_length=300, description="a dossier code, a file; never a full ID number")
    detail: dict = Field(default_factory=dict)


class AccessPushRequest(_In):
    device_id: str = Field(pattern=ID_PATTERN)
    entries: list[AccessEntryIn] = Field(max_length=MAX_BATCH)


class AccessPushResponse(BaseModel):
    stored: int
    duplicates: int

