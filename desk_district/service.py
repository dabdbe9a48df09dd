"""What the district server does, independent of HTTP: enrolment, tokens, push, pull,
district actions, reference data and the figures of the overview.

Every write goes through ``Database.write`` (one transaction). Locks are taken in one order
everywhere (ward row, chain head, dossier rows by id, device row) so PostgreSQL never
deadlocks on our own writes; on SQLite the process-wide lock serialises writers.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from desk_app.models.clock import VN_TZ
from desk_app.models.dossier_code import validate_counter_no, validate_ward_code
from desk_app.models.errors import DomainError, IllegalTransition, ValidationError
from desk_app.models.journal import GENESIS_HASH, Action, canonical_json, new_id, seal, verify_chain
from desk_app.models.lifecycle import ACTION_KINDS, OPEN_STATUSES, DossierState, apply
from desk_app.models.text import clean_text

from .db import (
    Database,
    statements as _sql,
    access_log,
    actions,
    admin_tokens,
    among,
    chain_heads,
    devices,
    dossiers,
    enrollment_codes,
    insert_ignore,
    reference,
    rejected_actions,
    wards,
)
from .errors import (
    MSG_DEVICE_MISMATCH,
    MSG_ENROLL_REFUSED,
    MSG_NOT_A_DEVICE,
    MSG_NOT_ADMIN,
    ApiError,
    forbidden,
    unauthorized,
)
from .schemas import MAX_BATCH

DISTRICT_DEVICE = "district"
RESERVED_DEVICE_IDS = {DISTRICT_DEVICE, "admin", "server"}
COUNTER_KINDS = frozenset(ACTION_KINDS)
DISTRICT_KINDS = ("transfer_received", "transfer_returned", "official_code_assigned", "note")
ENROLL_CODE_DAYS = 7
CLOCK_TOLERANCE = timedelta(minutes=10)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a bearer token belongs to: a counter device of one ward, or a district admin."""

    kind: str  # "device" | "admin"
    name: str
    device_id: str | None = None
    ward_code: str | None = None
    counter: int | None = None

    @property
    def is_device(self) -> bool:
        return self.kind == "device"


# -- tokens -----------------------------------------------------------------------------------
def authenticate_in(conn: Connection, token: str) -> Principal | None:
    """The principal of a bearer token, or None for an unknown or revoked one."""
    digest = token_digest(token)
    if digest is None:
        return None
    sql = _sql(conn)
    row = conn.execute(sql.device_by_token, {"digest": digest}).first()
    if row is not None:
        return None if row.revoked else _device_principal(row)
    row = conn.execute(sql.admin_by_token, {"digest": digest}).first()
    if row is not None and not row.revoked:
        return Principal("admin", row.name)
    return None


def token_digest(token: str) -> str | None:
    """What the database holds for a token (its SHA-256), or None for what cannot be a token."""
    if not token or len(token) > 256 or not token.isascii():
        return None
    return sha256(token)


def _device_principal(row: Any) -> Principal:
    return Principal("device", row.name, row.id, row.ward_code, row.counter)


class Credential:
    """A request's bearer token, checked inside the request's own transaction: a transaction of
    its own cost every request on PostgreSQL four more round trips (the pool's ping, BEGIN, the
    lookup, COMMIT), the largest share of a small request's time with 200 counters at once."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.principal: Principal | None = None  # once checked

    def check(self, conn: Connection) -> Principal:
        """The token's principal, else 401 (``unauthorized``)."""
        found = authenticate_in(conn, self.token or "")
        if found is None:
            raise unauthorized()
        self.principal = found
        return found


def require_device(principal: Principal) -> Principal:
    if not principal.is_device:
        raise forbidden(MSG_NOT_A_DEVICE)
    return principal


def require_admin(principal: Principal) -> Principal:
    if principal.kind != "admin":
        raise forbidden(MSG_NOT_ADMIN)
    return principal


def create_admin_token(db: Database, name: str = "district-admin", *, now: datetime | None = None) -> str:
    token = "adm_" + secrets.token_urlsafe(32)
    name = clean_text(name) or "district-admin"
    db.write(lambda conn: conn.execute(admin_tokens.insert().values(
        name=name[:100], token_sha256=sha256(token), created_at=now or utcnow())))
    return token


# -- wards and enrolment ------------------------------------------------------------------------
def new_enrollment_code() -> str:
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(4))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def create_enrollment_code(db: Database, ward_code: str, counter: int | str, *, ward_name: str | None = None,
                           now: datetime | None = None, days: int = ENROLL_CODE_DAYS) -> tuple[str, dict[str, Any]]:
    """A one-time code for counter ``counter`` of ``ward_code`` (the ward is created if new).
    Returns the code (shown once, stored only as its hash) and the ward row."""
    ward_code = validate_ward_code(ward_code)
    counter = validate_counter_no(counter)
    now = now or utcnow()
    name = clean_text(ward_name or "")
    if ward_name is not None and len(name) < 3:
        raise ValidationError("Tên phường/xã quá ngắn.", field="ward_name")
    code = new_enrollment_code()

    def work(conn: Connection) -> dict[str, Any]:
        conn.execute(insert_ignore(conn, wards, ["code"]).values(
            code=ward_code, name=name or f"Phường/xã {ward_code}", created_at=now))
        if name:
            conn.execute(wards.update().where(wards.c.code == ward_code).values(name=name))
        conn.execute(enrollment_codes.insert().values(
            ward_code=ward_code, counter=counter, code_sha256=sha256(normalise_code(code)),
            created_at=now, expires_at=now + timedelta(days=days)))
        return dict(conn.execute(sa.select(wards).where(wards.c.code == ward_code)).mappings().one())

    return code, db.write(work)


def enroll(db: Database, *, ward_code: str, counter: int, code: str, device_id: str, device_name: str,
           paper_key: str | None, now: datetime) -> dict[str, Any]:
    if device_id.lower() in RESERVED_DEVICE_IDS:
        raise ApiError(422, "bad_request", "Mã máy này được máy chủ dành riêng; hãy dùng mã máy của quầy.")
    digest = sha256(normalise_code(code))
    token = secrets.token_urlsafe(32)

    def work(conn: Connection) -> dict[str, Any]:
        ward = conn.execute(sa.select(wards).where(wards.c.code == ward_code).with_for_update()).mappings().first()
        if ward is None:
            raise forbidden(MSG_ENROLL_REFUSED)
        row = conn.execute(sa.select(enrollment_codes).where(enrollment_codes.c.code_sha256 == digest)
                           .with_for_update()).mappings().first()
        if (row is None or row["ward_code"] != ward_code or row["counter"] != counter or row["used"]
                or row["cancelled_at"] is not None or row["expires_at"] <= now):
            raise forbidden(MSG_ENROLL_REFUSED)
        existing = conn.execute(sa.select(devices).where(devices.c.id == device_id)).mappings().first()
        if existing is not None and existing["ward_code"] != ward_code:
            raise forbidden("Máy này đã được đăng ký cho một phường/xã khác; không thể chuyển sang đơn vị này.")
        # One device per counter: a replacement PC revokes the one it replaces.
        conn.execute(devices.update().where(
            devices.c.ward_code == ward_code, devices.c.counter == counter, devices.c.id != device_id,
            devices.c.revoked == sa.false()).values(revoked=True, revoked_at=now))
        values = dict(ward_code=ward_code, counter=counter, name=clean_text(device_name)[:200],
                      token_sha256=sha256(token), revoked=False, revoked_at=None, enrolled_at=now)
        if existing is None:
            conn.execute(devices.insert().values(id=device_id, **values))
        else:  # the same PC enrolled again (lost its token): its chain goes on
            conn.execute(devices.update().where(devices.c.id == device_id).values(**values))
        conn.execute(insert_ignore(conn, chain_heads, ["device_id"]).values(
            device_id=device_id, hash=GENESIS_HASH, updated_at=now))
        used = conn.execute(enrollment_codes.update().where(
            enrollment_codes.c.id == row["id"], enrollment_codes.c.used == sa.false()).values(
            used=True, used_at=now, device_id=device_id))
        if used.rowcount != 1:
            raise forbidden(MSG_ENROLL_REFUSED)
        key = ward["paper_key"]
        if key is None and paper_key:
            key = paper_key.lower()
            conn.execute(wards.update().where(wards.c.code == ward_code).values(paper_key=key))
        return {"device_token": token, "ward_code": ward_code, "ward_name": ward["name"], "counter": counter,
                "server_time": now, "paper_key": key}

    return db.write(work)


def revoke_counter(db: Database, ward_code: str, counter: int | str, *, now: datetime | None = None) -> int:
    """Revoke every device of a counter and cancel its unused enrolment codes."""
    ward_code = validate_ward_code(ward_code)
    counter = validate_counter_no(counter)
    now = now or utcnow()

    def work(conn: Connection) -> int:
        result = conn.execute(devices.update().where(
            devices.c.ward_code == ward_code, devices.c.counter == counter,
            devices.c.revoked == sa.false()).values(revoked=True, revoked_at=now))
        conn.execute(enrollment_codes.update().where(
            enrollment_codes.c.ward_code == ward_code, enrollment_codes.c.counter == counter,
            enrollment_codes.c.used == sa.false(), enrollment_codes.c.cancelled_at.is_(None),
        ).values(cancelled_at=now))
        return result.rowcount

    return db.write(work)


# -- push --------------------------------------------------------------------------------------
def _lenient_state(journal: Iterable[Action]) -> DossierState:
    """The dossier's state from its journal in server order. An action the lifecycle does not
    accept here (two devices' actions interleaved differently than on a counter) is kept in the journal and skipped for the projection: the server stores, the
    counter decides."""
    state = DossierState()
    for action in journal:
        try:
            state = apply(state, action)
        except DomainError:
            continue
    return state


def _journal(conn: Connection, dossier_id: str) -> list[Action]:
    rows = conn.execute(sa.select(actions.c.content).where(actions.c.dossier_id == dossier_id)
                        .order_by(actions.c.server_seq)).scalars()
    return [Action.from_dict(json.loads(content)) for content in rows]


def _refresh_projection(conn: Connection, dossier_id: str, now: datetime) -> DossierState:
    state = _lenient_state(_journal(conn, dossier_id))
    conn.execute(dossiers.update().where(dossiers.c.id == dossier_id).values(
        status=state.status, due_at=state.due_at, transferred=state.transferred,
        official_code=state.official_code, action_count=state.action_count,
        last_action_at=state.last_action_at, updated_at=now))
    return state


def _refresh_projections(conn: Connection, dossier_ids: Sequence[str], now: datetime,
                         whole: Mapping[str, list[Action]] | None = None) -> None:
    """``_refresh_projection`` for a whole batch: one read of the journals, one UPDATE statement.
    ``whole`` gives journals already known in full (dossiers with no action stored before this
    transaction): those are not read back and decoded again."""
    if not dossier_ids:
        return
    whole = whole or {}
    to_read = [d for d in dossier_ids if d not in whole]
    stored = conn.execute(_sql(conn).journals, {"ids": to_read}) if to_read else []
    conn.execute(_sql(conn).project, _projection_rows(_journals(dossier_ids, whole, stored), now))


def _journals(dossier_ids: Sequence[str], whole: Mapping[str, list[Action]], stored: Iterable[Any]
              ) -> dict[str, list[Action]]:
    """Each dossier's whole journal: from ``whole`` where known, else from its ``stored``
    actions (rows of ``Statements.journals`` (db.py), in server order)."""
    journals: dict[str, list[Action]] = {d: list(whole[d]) if d in whole else [] for d in dossier_ids}
    for row in stored:
        journals[row.dossier_id].append(Action.from_dict(json.loads(row.content)))
    return journals


def _projection_rows(journals: Mapping[str, list[Action]], now: datetime) -> list[dict[str, Any]]:
    """The projection of each dossier from its whole journal, as ``Statements.project`` (db.py)'s parameters."""
    rows = []
    for dossier_id, journal in journals.items():
        state = _lenient_state(journal)
        rows.append({"key": dossier_id, "status": state.status, "due_at": state.due_at,
                     "transferred": state.transferred, "official_code": state.official_code,
                     "action_count": state.action_count, "last_action_at": state.last_action_at,
                     "updated_at": now})
    return rows


def _create_dossiers(conn: Connection, principal: Principal, items: Sequence[Mapping[str, Any]],
                     now: datetime) -> tuple[list[str], list[str]]:
    """Create, in one statement, the dossiers this batch opens (a first action with its snapshot,
    from this device, of a kind the server takes). ``_refusal`` and ``_place_in_dossier`` still
    judge every action; a dossier of another ward is never touched (ON CONFLICT DO NOTHING keeps
    its owner). Returns the ids created and those another transaction created first (PostgreSQL
    only: on SQLite the writer holds the database from the lookup on)."""
    rows, seen = [], set()
    for item in items:
        payload = item.get("payload") if isinstance(item, Mapping) else None
        snapshot = payload.get("dossier") if isinstance(payload, Mapping) else None
        if (not isinstance(snapshot, Mapping) or not snapshot.get("code") or not snapshot.get("procedure_code")
                or item.get("device_id") != principal.device_id or item.get("kind") not in COUNTER_KINDS
                or item.get("counter") != principal.counter or item.get("dossier_id") in seen
                or not isinstance(item.get("dossier_id"), str)):
            continue
        seen.add(item["dossier_id"])
        rows.append({"id": item["dossier_id"], "ward_code": principal.ward_code,
                     "code": str(snapshot["code"])[:64], "procedure_code": str(snapshot["procedure_code"])[:64],
                     "created_by": principal.device_id, "created_at": now, "updated_at": now})
    if not rows:
        return [], []
    sql = _sql(conn)
    if not sql.postgresql:
        conn.execute(sql.new_dossiers, rows)
        return [row["id"] for row in rows], []
    made = set(conn.execute(sql.create_dossiers, {
        "ward": principal.ward_code, "device": principal.device_id, "now": now, "ids": [r["id"] for r in rows],
        "codes": [r["code"] for r in rows], "procedures": [r["procedure_code"] for r in rows]}).scalars())
    return [r["id"] for r in rows if r["id"] in made], [r["id"] for r in rows if r["id"] not in made]


def _insert_actions(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert a batch's new actions in journal order; their server_seq by id. Each row's server_seq
    is drawn as the row is inserted, so they rise in the batch's order. (On PostgreSQL a push
    inserts them with ``_finish_push_pipelined``.)"""
    sql = _sql(conn)
    conn.execute(sql.insert_actions, list(rows))
    return dict(conn.execute(sql.seqs, {"ids": [row["id"] for row in rows]}).all())


def _copy_actions(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """PostgreSQL: insert actions by COPY, a fifth of the time of executemany for 500 rows
    (measured). Each row's server_seq is drawn as it is inserted: in the rows' order."""
    columns = list(rows[0])
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY actions ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _finish_push_pipelined(conn: Connection, rows: Sequence[Mapping[str, Any]], device_id: str, head: str,
                           now: datetime, touched: Sequence[str], whole: Mapping[str, list[Action]]
                           ) -> dict[str, int]:
    """PostgreSQL: the end of a push (its new actions inserted, its device's chain head moved,
    the touched dossiers' projections refreshed) in the COPY and one round trip; two when a
    touched dossier had actions before (its journal is read first). Returns the server_seq of
    each new action by id. ``whole``: journals known in full, as ``_refresh_projections``."""
    sql = _sql(conn)
    if rows:
        _copy_actions(conn, rows)
    to_read = [d for d in touched if d not in whole]
    statements: list[tuple[str, Any]] = [("set_head", {"head": head, "at": now, "device": device_id})]
    if rows:
        statements.append(("seqs", {"ids": [row["id"] for row in rows]}))
    if to_read:
        statements.append(("journals", {"ids": to_read}))
    elif touched:
        statements.append(("project", _projection_rows({d: whole[d] for d in touched}, now)))
    found = _pipelined(conn, statements)
    if to_read:
        conn.execute(sql.project, _projection_rows(_journals(touched, whole, found[-1]), now))
    return {row.id: row.server_seq for row in found[1]} if rows else {}


def _lock_ward(conn: Connection, ward_code: str) -> str | None:
    return conn.execute(_sql(conn).lock_ward, {"ward": ward_code}).scalar()


def _lock_head(conn: Connection, device_id: str, now: datetime) -> str:
    sql = _sql(conn)
    head = conn.execute(sql.lock_head, {"device": device_id}).scalar()
    if head is None:  # enrolment made it; the district's own chain starts here
        conn.execute(sql.new_head, {"device_id": device_id, "hash": GENESIS_HASH, "updated_at": now})
        head = conn.execute(sql.lock_head, {"device": device_id}).scalar_one()
    return head


def _set_head(conn: Connection, device_id: str, head: str, now: datetime) -> None:
    conn.execute(_sql(conn).set_head, {"device": device_id, "head": head, "at": now})


def _action_row(action: Action, ward_code: str, now: datetime, content: str | None = None) -> dict[str, Any]:
    return dict(id=action.id, dossier_id=action.dossier_id, device_id=action.device_id, ward_code=ward_code,
                kind=action.kind, at=action.at, clerk=action.clerk, counter=action.counter,
                prev_hash=action.prev_hash, hash=action.hash,
                content=canonical_json(action.to_dict()) if content is None else content, received_at=now)


def _hashed(action: Action) -> tuple[str, str]:
    """(the hash of the action's content, canonical JSON of ``to_dict()``) from one serialisation.
    Keys are sorted, so ``"hash"`` goes right before ``"id"``; the keys before it (at, clerk,
    counter, device_id, dossier_id) are scalars and a JSON string never holds a bare ``"``, so
    the first ``,"id":`` is that key."""
    text = canonical_json(action.content())
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    cut = text.index(',"id":')
    return digest, f'{text[:cut]},"hash":{json.dumps(action.hash)}{text[cut:]}'


def _insert_action(conn: Connection, action: Action, ward_code: str, now: datetime) -> int | None:
    stmt = insert_ignore(conn, actions, ["id"]).values(**_action_row(action, ward_code, now)).returning(
        actions.c.server_seq)
    return conn.execute(stmt).scalar()


def _result(action_id: str, status: str, server_seq: int | None = None, received_at: datetime | None = None,
            error: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": action_id, "status": status, "server_seq": server_seq, "received_at": received_at}
    if error is not None:
        out["error"] = error
    return out


def _seen_before(conn: Connection, device_id: str, ids: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stored and the refused actions among ``ids``: two queries for a whole batch."""
    stored: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    for row in conn.execute(_sql(conn).seen, {"device": device_id, "ids": list(ids)}):
        (stored if row.kind == "stored" else refused)[row.id] = row
    return stored, refused


def _earlier_answer(conn: Connection, device_id: str, item: Mapping[str, Any],
                    seen: tuple[dict[str, Any], dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """The stored answer for an id already seen (a replay after a lost reply), if any."""
    stored, refused_rows = seen if seen is not None else _seen_before(conn, device_id, [item["id"]])
    row = stored.get(item["id"])
    if row is not None:
        if row.device_id == device_id and row.hash == item["hash"]:
            return _result(item["id"], "duplicate", row.server_seq, row.received_at)
        return _result(item["id"], "rejected",
                       error="Mã thao tác này đã được dùng cho một thao tác khác trên máy chủ; không lưu trùng.")
    refused = refused_rows.get(item["id"])
    if refused is not None:
        if refused.hash == item["hash"]:
            return _result(item["id"], "rejected", error=refused.error)
        return _result(item["id"], "rejected",
                       error="Mã thao tác này đã được dùng cho một thao tác khác trên máy chủ; không lưu trùng.")
    return None


def _open_push(conn: Connection, credential: Credential, device_id: str, now: datetime) -> tuple[Principal, str]:
    """The pushing device (checked as ``Credential.check`` would), with its ward locked for this
    transaction, and the head of its chain on the server: in one round trip when all is well."""
    digest = token_digest(credential.token or "")
    row = conn.execute(_sql(conn).open_push, {"digest": digest}).first() if digest else None
    return _pushing_device(conn, credential, device_id, row, now)


def _pushing_device(conn: Connection, credential: Credential, device_id: str, row: Any,
                    now: datetime) -> tuple[Principal, str]:
    """``_open_push``'s answer from the token's row (None: no device has that token)."""
    if row is None or row.revoked:  # no counter's token: 401, or 403 for a district admin's
        require_device(credential.check(conn))
        raise ApiError(503, "unavailable", "Máy chủ đang bận. Vui lòng thử lại sau.",  # cannot happen: the
                       headers={"Retry-After": "5"})  # device's ward always exists; retried, never "enrol again"
    principal = _named_device(_device_principal(row), device_id)
    credential.principal = principal
    head = row.head
    if head is None:  # made at enrolment; a device enrolled before that starts its chain here
        conn.execute(_sql(conn).new_head, {"device_id": device_id, "hash": GENESIS_HASH, "updated_at": now})
        head = GENESIS_HASH
    return principal, head


def _open_push_pipelined(conn: Connection, credential: Credential, device_id: str, dossier_ids: Sequence[str],
                         action_ids: Sequence[str], now: datetime
                         ) -> tuple[Principal, str, list[Any], tuple[dict[str, Any], dict[str, Any]]]:
    """PostgreSQL: ``_open_push``, the batch's dossiers locked and its ids already seen
    (``_seen_before``), in one round trip instead of four (with BEGIN). Besides the database's
    own cost per statement, each round trip makes the endpoint's thread wait for the interpreter
    again when its answer comes, behind the other threads."""
    digest = token_digest(credential.token or "")
    if digest is None:
        return (*_pushing_device(conn, credential, device_id, None, now), [], ({}, {}))
    statements = [("open_push", {"digest": digest})]
    if dossier_ids:
        statements.append(("lock_dossiers", {"ids": list(dossier_ids), "digest": digest, "device": device_id}))
    statements.append(("seen", {"ids": list(action_ids), "device": device_id}))
    found = _pipelined(conn, statements)
    principal, head = _pushing_device(conn, credential, device_id, found[0][0] if found[0] else None, now)
    stored: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    for row in found[-1]:
        if row.kind == "stored":
            stored[row.id] = row._replace(received_at=row.received_at.astimezone(timezone.utc))
        else:
            refused[row.id] = row
    return principal, head, found[1] if dossier_ids else [], (stored, refused)


def _pipelined(conn: Connection, statements: Sequence[tuple[str, Any]]) -> list[list[Any]]:
    """Run statements (their names in ``Statements.psycopg`` (db.py), with their parameters: a mapping, or a
    list of them to run it once each) on the connection's psycopg connection, in one round trip;
    each one's rows, as named tuples. A database error is raised as SQLAlchemy raises it
    (``Database.write`` retries deadlocks and a cut connection)."""
    import psycopg
    from psycopg.rows import namedtuple_row

    forms = _sql(conn).psycopg
    driver = conn.connection.driver_connection
    try:
        with driver.pipeline():
            cursors = [driver.cursor(row_factory=namedtuple_row) for _ in statements]
            for cursor, (name, params) in zip(cursors, statements):
                text, own = forms[name]
                if isinstance(params, list):
                    cursor.executemany(text, [{**own, **p} for p in params])
                else:
                    cursor.execute(text, {**own, **params})
        return [cursor.fetchall() if cursor.description else [] for cursor in cursors]
    except psycopg.Error as exc:
        cut = driver.broken or driver.closed
        if cut:
            conn.invalidate(exc)
        raise sa.exc.DBAPIError.instance(None, None, exc, psycopg.Error, connection_invalidated=cut) from exc


def _device_of(conn: Connection, credential: Credential, device_id: str) -> Principal:
    """The counter device the token belongs to, which must be the one named in the request."""
    return _named_device(require_device(credential.check(conn)), device_id)


def _named_device(principal: Principal, device_id: str) -> Principal:
    if device_id != principal.device_id:
        raise forbidden(MSG_DEVICE_MISMATCH)
    return principal


def push(db: Database, credential: Credential, device_id: str, items: Sequence[Mapping[str, Any]],
         now: datetime) -> dict[str, Any]:
    """Store a batch of one device's actions, in its journal order; one result per item."""
    if len(items) > MAX_BATCH:
        raise ApiError(413, "too_large", f"Mỗi lần gửi tối đa {MAX_BATCH} thao tác; lần này có {len(items)}.")
    me = device_id  # checked against the token in the transaction below

    # What needs no database (decoding, the hash over the content, the stored text) is done
    # before the transaction: on SQLite the single writer's turn is the bottleneck under load.
    hashed: dict[int, tuple[Action, str, str]] = {}  # by position in the batch
    for position, item in enumerate(items):
        if item["device_id"] == me:
            action = Action.from_dict(item)
            hashed[position] = (action, *_hashed(action))

    def work(conn: Connection) -> dict[str, Any]:
        sql = _sql(conn)
        wanted = sorted({item["dossier_id"] for item in items})
        if sql.postgresql:
            principal, head, locked, seen = _open_push_pipelined(conn, credential, device_id, wanted,
                                                                 [item["id"] for item in items], now)
        else:
            principal, head = _open_push(conn, credential, device_id, now)
            locked = conn.execute(sql.lock_dossiers, {"ids": wanted}).all() if wanted else []
            seen = _seen_before(conn, me, [item["id"] for item in items])
        ward_code = principal.ward_code
        assert ward_code is not None
        known: dict[str, str] = {}  # dossier id -> ward code, for dossiers locked in this transaction
        created: list[str] = []
        history: set[str] = set()  # dossiers with actions stored before this transaction
        if wanted:
            for row in locked:
                known[row.id] = row.ward_code
            older = list(known)
            created, lost = _create_dossiers(conn, principal, [i for i in items if i.get("dossier_id") not in known],
                                             now)
            known.update((dossier_id, ward_code) for dossier_id in created)
            if lost:  # created meanwhile by another transaction: whose, and locked like the others
                for row in conn.execute(sql.lock_dossiers, {"ids": lost}):
                    known[row.id] = row.ward_code
                older += lost
            # read once the dossier rows are locked: nobody else adds actions to them meanwhile
            if older:
                history = set(conn.execute(sql.with_history, {"ids": older}).scalars())
        results: list[dict[str, Any]] = []
        fresh_journals: dict[str, list[Action]] = {}  # this batch's actions of dossiers without history
        touched: set[str] = set()
        fresh: list[datetime] = []
        new_rows: list[tuple[int, dict[str, Any]]] = []  # (index in results, row): inserted together below
        new_hashes: dict[str, str] = {}
        first_in_batch: dict[str, int] = {}  # id -> index of its result, for an action sent twice at once
        repeats: list[tuple[int, int]] = []
        for position, item in enumerate(items):
            if item["id"] in first_in_batch:
                first = results[first_in_batch[item["id"]]]
                if first["status"] == "stored" and item.get("hash") == new_hashes[item["id"]]:
                    repeats.append((len(results), first_in_batch[item["id"]]))
                    results.append(_result(item["id"], "duplicate", None, now))
                else:
                    results.append(_result(item["id"], "rejected", error=(
                        "Mã thao tác này đã được dùng cho một thao tác khác trên máy chủ; không lưu trùng.")))
                continue
            earlier = _earlier_answer(conn, me, item, seen)
            if earlier is not None:
                results.append(earlier)
                continue
            if item["device_id"] != me:
                results.append(_result(item["id"], "rejected", error=(
                    "Thao tác này do một máy khác ghi; mỗi máy chỉ gửi thao tác của chính mình.")))
                continue
            action, digest, content = hashed[position]
            if action.prev_hash != head or digest != action.hash:
                problems = verify_chain([action], start_hash=head)  # its messages
                results.append(_result(item["id"], "rejected", error=" ".join(p.message for p in problems)))
                continue
            head = action.hash  # sound and next in the chain: it stays in the chain even if refused below
            error = _refusal(action, principal) or _place_in_dossier(conn, action, principal, known, now)
            if error is not None:
                conn.execute(insert_ignore(conn, rejected_actions, ["device_id", "action_id"]).values(
                    action_id=action.id, device_id=me, ward_code=ward_code, hash=action.hash,
                    content=content, error=error, received_at=now))
                results.append(_result(item["id"], "rejected", error=error))
                continue
            first_in_batch[action.id] = len(results)
            new_hashes[action.id] = action.hash
            new_rows.append((len(results), _action_row(action, ward_code, now, content)))
            results.append(_result(item["id"], "stored", None, now))
            touched.add(action.dossier_id)
            if action.dossier_id not in history:
                fresh_journals.setdefault(action.dossier_id, []).append(action)
            fresh.append(action.at)
        # the ward's lock and the lookups above guarantee none of the new ids is stored yet
        inserted = [row for _, row in new_rows]
        if sql.postgresql:
            seqs = _finish_push_pipelined(conn, inserted, me, head, now, sorted(touched), fresh_journals)
        else:
            seqs = _insert_actions(conn, inserted) if inserted else {}
            _set_head(conn, me, head, now)
            _refresh_projections(conn, sorted(touched), now, fresh_journals)
        for index, row in new_rows:
            results[index]["server_seq"] = seqs[row["id"]]
        for index, first in repeats:
            results[index]["server_seq"] = results[first]["server_seq"]
        orphans = [d for d in created if d not in touched]  # opened by an action that was then refused
        if orphans:
            conn.execute(dossiers.delete().where(among(conn, dossiers.c.id, orphans)))
        body: dict[str, Any] = {"results": results, "server_time": now}  # last sync: with the access log
        if fresh:
            newest = max(fresh)
            if abs(newest - now) > CLOCK_TOLERANCE:
                body["clock_warning"] = _clock_warning(newest, now)
        return body

    return db.write(work)


def _clock_warning(device_time: datetime, server_time: datetime) -> str:
    minutes = int(abs((device_time - server_time).total_seconds()) // 60)
    direction = "nhanh" if device_time > server_time else "chậm"
    return (f"Giờ trên máy quầy có thể đang {direction} khoảng {minutes} phút so với máy chủ "
            f"(máy chủ: {server_time.astimezone(VN_TZ):%H:%M %d/%m/%Y}). Nếu các thao tác vừa gửi không phải "
            "được ghi lúc mất mạng, hãy báo cán bộ tin học chỉnh lại đồng hồ máy tính.")


def _refusal(action: Action, principal: Principal) -> str | None:
    """Why a sound action cannot be stored whatever its dossier (Vietnamese), or None."""
    if action.kind not in COUNTER_KINDS:
        return f"Máy chủ không nhận loại thao tác “{action.kind[:40]}”."
    if action.counter != principal.counter:
        return (f"Thao tác ghi quầy số {action.counter} nhưng máy này được đăng ký cho quầy số "
                f"{principal.counter}.")
    return None


def _place_in_dossier(conn: Connection, action: Action, principal: Principal, known: dict[str, str],
                      now: datetime) -> str | None:
    """Find the action's dossier, creating it from the snapshot a first action carries; why the
    action cannot go there (Vietnamese: not yet created, another ward's dossier), or None."""
    ward = known.get(action.dossier_id)
    if ward is None:
        snapshot = action.payload.get("dossier")
        if not isinstance(snapshot, Mapping) or not snapshot.get("code") or not snapshot.get("procedure_code"):
            return ("Máy chủ chưa có hồ sơ này: thao tác tạo hồ sơ (có thông tin hồ sơ) phải được gửi trước "
                    "các thao tác sau của hồ sơ.")
        conn.execute(insert_ignore(conn, dossiers, ["id"]).values(
            id=action.dossier_id, ward_code=principal.ward_code, code=str(snapshot["code"])[:64],
            procedure_code=str(snapshot["procedure_code"])[:64], created_by=principal.device_id,
            created_at=now, updated_at=now))
        ward = conn.execute(sa.select(dossiers.c.ward_code).where(dossiers.c.id == action.dossier_id)
                            .with_for_update()).scalar_one()
        known[action.dossier_id] = ward
    if ward != principal.ward_code:
        return "Hồ sơ này không thuộc phường/xã của máy; máy chủ không nhận thao tác cho hồ sơ của đơn vị khác."
    return None


# -- pull --------------------------------------------------------------------------------------
def action_out(content: str, server_seq: int) -> dict[str, Any]:
    return {**json.loads(content), "server_seq": server_seq}


def pull(db: Database, credential: Credential, after: int, limit: int) -> bytes:
    """Actions other devices stored on this ward's dossiers, in server order, as the JSON answer
    ``{"actions", "last_seq", "more"}``. Each action is its stored text (exactly as hashed) with
    ``server_seq`` added: the same bytes as decoding and encoding it again, without the cost.
    The caller records the device's sync time (``write_bookkeeping``, with the access log)."""
    with db.read(snapshot=False) as conn:  # the token, then the ward's actions: nothing to keep consistent
        principal = require_device(credential.check(conn))
        rows = conn.execute(_sql(conn).pull, {"ward": principal.ward_code, "device": principal.device_id,
                                              "after": after, "limit": limit + 1}).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = ",".join(f'{r.content[:-1]},"server_seq":{int(r.server_seq)}}}' for r in rows)
    last = int(rows[-1].server_seq if rows else after)
    return f'{{"actions":[{items}],"last_seq":{last},"more":{"true" if more else "false"}}}'.encode("utf-8")


# -- district actions ------------------------------------------------------------------------------
def district_action(db: Database, credential: Credential, dossier_id: str, *, kind: str,
                    payload: Mapping[str, Any], clerk: str | None, action_id: str | None,
                    now: datetime) -> dict[str, Any]:
    """Append a district action to a transferred dossier, sealed into the district's own chain."""
    with db.read() as conn:
        principal = require_admin(credential.check(conn))
        if kind not in DISTRICT_KINDS:
            raise ApiError(422, "bad_request", f"Máy chủ không nhận loại thao tác “{kind[:40]}” từ cấp trên.")
        if len(dossier_id) > 64:
            raise ApiError(404, "not_found", "Không tìm thấy hồ sơ này trên máy chủ.")
        ward_code = conn.execute(sa.select(dossiers.c.ward_code).where(dossiers.c.id == dossier_id)).scalar()
    if ward_code is None:
        raise ApiError(404, "not_found", "Không tìm thấy hồ sơ này trên máy chủ.")

    def work(conn: Connection) -> dict[str, Any]:
        if action_id is not None:
            row = conn.execute(sa.select(actions.c.server_seq, actions.c.received_at, actions.c.content,
                                         actions.c.device_id, actions.c.dossier_id, actions.c.kind)
                               .where(actions.c.id == action_id)).first()
            if row is not None:
                if (row.device_id, row.dossier_id, row.kind) == (DISTRICT_DEVICE, dossier_id, kind):
                    return {"status": "duplicate", "server_seq": row.server_seq, "received_at": row.received_at,
                            "action": action_out(row.content, row.server_seq)}
                raise ApiError(409, "conflict", "Mã thao tác này đã được dùng cho một thao tác khác.")
        _lock_ward(conn, ward_code)
        head = _lock_head(conn, DISTRICT_DEVICE, now)
        dossier = conn.execute(sa.select(dossiers).where(dossiers.c.id == dossier_id).with_for_update()
                               ).mappings().one()
        if not dossier["transferred"]:
            raise ApiError(409, "conflict", "Hồ sơ chưa được chuyển liên thông nên cấp trên chưa thể ghi thao tác.")
        action = Action(id=action_id or new_id(), dossier_id=dossier_id, kind=kind,
                        at=now.astimezone(VN_TZ).replace(microsecond=0),
                        clerk=clean_text(clerk or principal.name)[:100] or DISTRICT_DEVICE, counter=0,
                        device_id=DISTRICT_DEVICE, payload=_clean_payload(payload))
        try:  # the lifecycle is the one judge, for the level above as for the counters
            apply(_lenient_state(_journal(conn, dossier_id)), action)
        except IllegalTransition as exc:
            raise ApiError(409, "conflict", exc.message) from None
        except ValidationError as exc:
            raise ApiError(422, "bad_request", exc.message) from None
        sealed = seal(action, head)
        seq = _insert_action(conn, sealed, ward_code, now)
        if seq is None:
            raise ApiError(409, "conflict", "Mã thao tác này đã được dùng cho một thao tác khác.")
        _set_head(conn, DISTRICT_DEVICE, sealed.hash, now)
        _refresh_projection(conn, dossier_id, now)
        return {"status": "stored", "server_seq": seq, "received_at": now,
                "action": {**sealed.to_dict(), "server_seq": seq}}

    return db.write(work)


def _clean_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): clean_text(v) if isinstance(v, str) else v for k, v in payload.items()}


# -- reference data ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReferenceSet:
    version: str
    body: bytes  # the whole JSON answer, ready to send


def publish_reference(db: Database, content: Mapping[str, Any], *, now: datetime | None = None) -> tuple[str, bool]:
    """Publish ``{"catalogue", "templates", "holiday_overrides", "settings"}`` as a new version,
    unless it equals the newest one. Returns (version, created)."""
    now = now or utcnow()
    text = canonical_json(dict(content))
    digest = sha256(text)

    def work(conn: Connection) -> tuple[str, bool]:
        latest = conn.execute(sa.select(reference.c.version, reference.c.content_sha256)
                              .order_by(reference.c.id.desc()).limit(1)).first()
        if latest is not None and latest.content_sha256 == digest:
            return latest.version, False
        version = f"{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{digest[:12]}"
        conn.execute(reference.insert().values(version=version, content_sha256=digest, content=text,
                                               created_at=now))
        return version, True

    return db.write(work)


def latest_reference_version(db: Database, credential: Credential) -> str | None:
    """The newest published version, for the credential's holder only (else 401)."""
    digest = token_digest(credential.token or "")
    with db.read(snapshot=False) as conn:
        row = conn.execute(_sql(conn).device_reference, {"digest": digest}).first() if digest else None
        if row is not None and not row.revoked:  # a counter's check: one round trip
            credential.principal = _device_principal(row)
            return row.version
        credential.check(conn)  # a district admin's token, else 401
        return conn.execute(sa.select(reference.c.version).order_by(reference.c.id.desc()).limit(1)).scalar()


def load_reference(db: Database, version: str) -> ReferenceSet:
    with db.read() as conn:
        content = conn.execute(sa.select(reference.c.content).where(reference.c.version == version)).scalar_one()
    body = json.loads(content)
    body = {"version": version, "catalogue": body.get("catalogue") or {}, "templates": body.get("templates") or [],
            "holiday_overrides": body.get("holiday_overrides") or [], "settings": body.get("settings") or {}}
    return ReferenceSet(version, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


# -- access log, figures ----------------------------------------------------------------------------
def access_row(*, at: datetime, method: str, route: str, status: int, principal: Principal | None,
               client: str | None, duration_ms: int) -> dict[str, Any]:
    return dict(at=at, method=method[:10], route=route[:200], status=status,
                principal=principal.kind if principal else None,
                device_id=principal.device_id if principal else None,
                ward_code=principal.ward_code if principal else None,
                client=(client or "")[:64] or None, duration_ms=duration_ms)


def write_bookkeeping(db: Database, rows: Sequence[Mapping[str, Any]], synced: Mapping[str, datetime]) -> None:
    """Access-log rows and devices' last sync times, in one transaction (the app gathers those of
    many requests into one commit)."""
    db.write(lambda conn: write_bookkeeping_in(conn, rows, synced))


def write_bookkeeping_in(conn: Connection, rows: Sequence[Mapping[str, Any]], synced: Mapping[str, datetime]) -> None:
    if rows:
        conn.execute(access_log.insert(), list(rows))
    if synced:  # devices in one order: no deadlock between two groups
        conn.execute(_sql(conn).synced, [{"key": device_id, "at": at} for device_id, at in sorted(synced.items())])


def ward_stats(db: Database, ward_code: str) -> dict[str, Any] | None:
    ward_code = validate_ward_code(ward_code)
    with db.read() as conn:
        ward = conn.execute(sa.select(wards).where(wards.c.code == ward_code)).mappings().first()
        if ward is None:
            return None
        count = sa.func.count()
        by_status = {row.status or "": row.n for row in conn.execute(
            sa.select(dossiers.c.status, count.label("n")).where(dossiers.c.ward_code == ward_code)
            .group_by(dossiers.c.status))}
        return {
            "ward_code": ward_code, "ward_name": ward["name"],
            "dossiers": sum(by_status.values()),
            "actions": conn.execute(sa.select(count).select_from(actions)
                                    .where(actions.c.ward_code == ward_code)).scalar_one(),
            "rejected": conn.execute(sa.select(count).select_from(rejected_actions)
                                     .where(rejected_actions.c.ward_code == ward_code)).scalar_one(),
            "by_status": by_status,
            "devices": conn.execute(sa.select(count).select_from(devices).where(
                devices.c.ward_code == ward_code, devices.c.revoked == sa.false())).scalar_one(),
        }


def overview(db: Database, now: datetime) -> list[dict[str, Any]]:
    """Per ward: its counters with last sync, items received today (Vietnam day), overdue and
    transferred-waiting dossier counts. Figures only: no citizen data."""
    local = now.astimezone(VN_TZ)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    count = sa.func.count()
    with db.read() as conn:
        ward_rows = conn.execute(sa.select(wards).order_by(wards.c.code)).mappings().all()
        device_rows = conn.execute(sa.select(devices).order_by(devices.c.ward_code, devices.c.counter,
                                                               devices.c.enrolled_at)).mappings().all()
        today = dict(conn.execute(sa.select(actions.c.ward_code, count).where(actions.c.received_at >= day_start)
                                  .group_by(actions.c.ward_code)).all())
        overdue = dict(conn.execute(sa.select(dossiers.c.ward_code, count).where(
            dossiers.c.status.in_(OPEN_STATUSES), dossiers.c.due_at < now).group_by(dossiers.c.ward_code)).all())
        waiting = dict(conn.execute(sa.select(dossiers.c.ward_code, count).where(
            dossiers.c.status == "transferred").group_by(dossiers.c.ward_code)).all())
        totals = dict(conn.execute(sa.select(dossiers.c.ward_code, count).group_by(dossiers.c.ward_code)).all())
    out = []
    for ward in ward_rows:
        code = ward["code"]
        out.append({
            "code": code, "name": ward["name"],
            "devices": [dict(d) for d in device_rows if d["ward_code"] == code],
            "received_today": today.get(code, 0), "overdue": overdue.get(code, 0),
            "transferred_waiting": waiting.get(code, 0), "dossiers": totals.get(code, 0),
        })
    return out


def push_access(db: Database, credential: Credential, device_id: str, entries: Sequence[Mapping[str, Any]],
                now: datetime) -> dict[str, int]:
    """Store a counter's access-log entries (personal data law): once each, by entry id, for the
    counter's own ward only."""
    from .db import counter_access

    def work(conn: Connection) -> dict[str, int]:
        principal = _device_of(conn, credential, device_id)
        if any(e["device_id"] != device_id for e in entries):
            raise forbidden(MSG_DEVICE_MISMATCH)
        rows = [{"id": e["id"], "ward_code": principal.ward_code, "device_id": device_id, "counter": e["counter"],
                 "clerk": clean_text(e["clerk"])[:64], "kind": e["kind"],
                 "subject": clean_text(e["subject"])[:300], "detail": canonical_json(e.get("detail") or {}),
                 "at": e["at"], "received_at": now} for e in entries]
        if not rows:
            return {"stored": 0, "duplicates": 0}
        before = conn.execute(sa.select(sa.func.count()).select_from(counter_access)
                              .where(counter_access.c.id.in_([r["id"] for r in rows]))).scalar_one()
        conn.execute(insert_ignore(conn, counter_access, ["id"]), rows)
        return {"stored": len(rows) - before, "duplicates": before}

    return db.write(work)

