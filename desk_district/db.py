"""The district database: SQLAlchemy Core tables, one code path for SQLite and PostgreSQL.

SQLite (the default, ``sqlite:///district.sqlite3``) runs in WAL mode with
``synchronous=FULL`` (a receipt already printed must never point to an action the
server lost) and every write transaction is ``BEGIN IMMEDIATE`` behind one writer lock:
a lock of the process, then an ``flock`` of ``<file>-lock`` shared by every process on the
file (``serve --workers N``, the CLI), so writers queue instead of failing with "database
is locked" or polling.

PostgreSQL (``postgresql+psycopg://user:pass@host/db``) uses row locks taken in one fixed
order (ward, chain head, dossiers by id, device) and ``INSERT ... ON CONFLICT DO NOTHING``;
a deadlock or serialisation failure, should one still happen, is retried.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DB_ENV = "DESK_DISTRICT_DB"
DEFAULT_DB_URL = "sqlite:///district.sqlite3"

T = TypeVar("T")


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; ``timestamptz`` on PostgreSQL and a
    sortable UTC text on SQLite (so ``due_at < now`` compares correctly on both)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# A 64-bit sequence on PostgreSQL; SQLite needs exactly "INTEGER PRIMARY KEY" for its rowid.
BigSeq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

wards = sa.Table(
    "wards", metadata,
    sa.Column("code", sa.String(8), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("paper_key", sa.String(256)),  # set by the ward's first counter
    sa.Column("created_at", UTCDateTime, nullable=False),
)

devices = sa.Table(
    "devices", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # the counter's own device_id
    sa.Column("ward_code", sa.String(8), sa.ForeignKey("wards.code"), nullable=False),
    sa.Column("counter", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),  # never the token itself
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enrolled_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("last_sync_at", UTCDateTime),
    sa.Index("devices_ward_counter", "ward_code", "counter"),
)

admin_tokens = sa.Table(
    "admin_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

enrollment_codes = sa.Table(
    "enrollment_codes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ward_code", sa.String(8), sa.ForeignKey("wards.code"), nullable=False),
    sa.Column("counter", sa.Integer, nullable=False),
    sa.Column("code_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("used_at", UTCDateTime),
    sa.Column("device_id", sa.String(64)),
    sa.Column("cancelled_at", UTCDateTime),  # `revoke` cancels the counter's unused codes
)

dossiers = sa.Table(
    "dossiers", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("ward_code", sa.String(8), sa.ForeignKey("wards.code"), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("procedure_code", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32)),
    sa.Column("due_at", UTCDateTime),
    sa.Column("transferred", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("official_code", sa.String(80)),
    sa.Column("action_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_action_at", UTCDateTime),
    sa.Column("created_by", sa.String(64), nullable=False),  # device whose first action created it
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("dossiers_ward_status", "ward_code", "status", "due_at"),
    sa.Index("dossiers_ward_code", "ward_code", "code"),
)

actions = sa.Table(
    "actions", metadata,
    sa.Column("server_seq", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),  # the client's idempotency key
    sa.Column("dossier_id", sa.String(64), sa.ForeignKey("dossiers.id"), nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),  # a counter's, or "district"
    sa.Column("ward_code", sa.String(8), sa.ForeignKey("wards.code"), nullable=False),  # the dossier's ward
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),  # device time of the confirmation
    sa.Column("clerk", sa.String(100), nullable=False),
    sa.Column("counter", sa.Integer, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),  # canonical JSON of Action.to_dict(), re-verifiable
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Index("actions_ward_seq", "ward_code", "server_seq"),
    sa.Index("actions_dossier_seq", "dossier_id", "server_seq"),
    sa.Index("actions_device_seq", "device_id", "server_seq"),
    sqlite_autoincrement=True,  # a server_seq is never reused
)

# Items refused for a reason other than their integrity (another ward's dossier, unknown kind...).
# Their hash and chain were sound, so they stay in the device's chain: one refusal does not
# make every later action of that counter fail the chain check.
rejected_actions = sa.Table(
    "rejected_actions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action_id", sa.String(64), nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("ward_code", sa.String(8), nullable=False),  # the device's ward
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("device_id", "action_id", name="rejected_device_action"),
)

# The last hash of each chain the server holds (each counter's, and the district's own).
chain_heads = sa.Table(
    "chain_heads", metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

reference = sa.Table(
    "reference", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("version", sa.String(64), nullable=False, unique=True),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),  # canonical JSON, without "version"
    sa.Column("created_at", UTCDateTime, nullable=False),
)

access_log = sa.Table(
    "access_log", metadata,
    sa.Column("id", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("route", sa.String(200), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("principal", sa.String(10)),  # "device", "admin" or NULL (no valid token)
    sa.Column("device_id", sa.String(64)),
    sa.Column("ward_code", sa.String(8)),
    sa.Column("client", sa.String(64)),
    sa.Column("duration_ms", sa.Integer),
    sa.Index("access_log_at", "at"),
    sa.Index("access_log_ward_at", "ward_code", "at"),
)


# The counters' own access logs (who opened, printed, exported or searched by ID number what),
# kept by the district as the law asks; one row per entry, idempotent by the counter's entry id.
counter_access = sa.Table(
    "counter_access", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("ward_code", sa.String(8), nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("counter", sa.Integer, nullable=False),
    sa.Column("clerk", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("at", sa.String(40), nullable=False),  # the counter's time, as it recorded it
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Index("counter_access_ward_at", "ward_code", "at"),
)


class SchemaTooNew(RuntimeError):
    pass


def default_database_url() -> str:
    return os.environ.get(DB_ENV) or DEFAULT_DB_URL


def normalise_url(url: str) -> str:
    """``sqlite:///x``, ``postgresql+psycopg://...``; a bare path means a SQLite file and
    ``postgres://`` / ``postgresql://`` mean psycopg 3 (the driver this package installs)."""
    url = (url or "").strip()
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class _Pending:
    """One ``Database.write`` waiting for its turn; the writer that runs it fills in the outcome."""

    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[Connection], Any]) -> None:
        self.fn = fn
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class _WriterLock:
    """One SQLite writer at a time. Threads of a process queue on a lock; processes on an flock of
    ``<file>-lock`` (kept open). Both wake the next writer as soon as the last one is done, where
    SQLite's own busy timeout polls with sleeps that grow to 100 ms. The writes waiting meanwhile
    are queued here, so that the next writer can commit them together (``Database.write``)."""

    def __init__(self, lock_file: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        if lock_file is not None and fcntl is not None:  # no flock on Windows: one process there
            self._fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        self._queue: list[_Pending] = []
        self._queue_guard = threading.Lock()

    def enqueue(self, item: _Pending) -> None:
        with self._queue_guard:
            self._queue.append(item)

    def take(self, most: int) -> list[_Pending]:
        with self._queue_guard:
            group, self._queue = self._queue[:most], self._queue[most:]
            return group

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread_lock:
            if self._fd is None:
                yield
                return
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


_sqlite_locks: dict[str, _WriterLock] = {}
_sqlite_locks_guard = threading.Lock()


def _process_lock(key: str, lock_file: str | None) -> _WriterLock:
    with _sqlite_locks_guard:
        found = _sqlite_locks.get(key)
        if found is None:
            found = _sqlite_locks[key] = _WriterLock(lock_file)
        return found


_RETRY_SQLSTATES = {"40P01", "40001", "55P03"}  # deadlock, serialisation failure, lock not available


def _retryable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        # PostgreSQL restarted (or the connection was cut) since the pool's connection was last
        # used: the pool has dropped every older connection, and nothing of this transaction
        # was committed unless the cut came during COMMIT, where every write the server makes
        # is idempotent by its ids (a push's actions answer as duplicates). The pool does not
        # ping each connection at checkout: that round trip per request cost more under load.
        return True
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _RETRY_SQLSTATES:
        return True
    return "database is locked" in str(orig or exc).lower()


GROUP_MOST = 64  # writes committed together on SQLite, at most


class _RolledBack(Exception):
    """A write alone in its transaction failed: roll the transaction back, hand its error over."""


class Database:
    """The engine plus the one way to write: ``db.write(fn)`` runs ``fn(conn)`` atomically and
    returns once it is committed: serialised and committed in groups on SQLite, retried on
    PostgreSQL deadlocks."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.backend = parsed.get_backend_name()
        if self.backend == "sqlite":
            database = parsed.database or ""
            memory = database in ("", ":memory:")
            if not memory:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
            if memory:
                kwargs["poolclass"] = StaticPool
            else:
                kwargs.update(pool_size=8, max_overflow=32, pool_timeout=60)
            self.engine: Engine = sa.create_engine(parsed, **kwargs)
            path = str(Path(database).expanduser().resolve()) if not memory else None
            self._lock: _WriterLock | None = _process_lock(path or f"mem:{id(self)}",
                                                           f"{path}-lock" if path else None)
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        elif self.backend == "postgresql":
            self.engine = sa.create_engine(parsed, pool_size=10, max_overflow=40, pool_timeout=60,
                                           pool_pre_ping=False)
            self._lock = None
        else:
            raise ValueError(f"Chỉ hỗ trợ SQLite hoặc PostgreSQL, không hỗ trợ “{self.backend}”.")

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

        def stamp(conn: Connection) -> None:
            row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
            if row is None:
                conn.execute(insert_ignore(conn, meta, ["key"]).values(key="schema_version",
                                                                        value=str(SCHEMA_VERSION)))
            elif int(row[0]) > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"Cơ sở dữ liệu có phiên bản cấu trúc {row[0]}, mới hơn phần mềm này ({SCHEMA_VERSION}). "
                    "Hãy cập nhật desk-district.")

        self.write(stamp)

    def dispose(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """One round trip to the database (the health check)."""
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

    @contextmanager
    def read(self, *, snapshot: bool = True) -> Iterator[Connection]:
        """A connection to read with, in one transaction (one snapshot of the database). With
        ``snapshot=False``, for a request's few independent lookups, PostgreSQL runs each statement
        on its own: no BEGIN and COMMIT round trips."""
        if not snapshot and self.backend == "postgresql":
            with self.engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
            return
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def write(self, fn: Callable[[Connection], T], *, attempts: int = 5) -> T:
        if self._lock is None:
            return self._write_alone(fn, attempts)
        # SQLite: whoever gets the writer runs every write queued meanwhile in one transaction, each
        # in its own savepoint, and commits once. Under load a commit each (a disk flush and a turn
        # of the single writer) was the bottleneck: 570 commits took 3.8 s of 6.4 s with 200
        # counters at once (measured). Every caller still returns only once its write is committed.
        item = _Pending(fn)
        self._lock.enqueue(item)
        with self._lock.hold():
            if not item.done:
                self._write_group(self._lock.take(GROUP_MOST), attempts)
        if item.error is not None:
            raise item.error
        return item.result

    def _write_alone(self, fn: Callable[[Connection], T], attempts: int) -> T:
        for attempt in range(1, attempts + 1):
            try:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(desk_write=True)
                    with conn.begin():
                        return fn(conn)
            except (OperationalError, DBAPIError) as exc:
                if attempt == attempts or not _retryable(exc):
                    raise
                log.warning("write retried after %s (attempt %d)", type(exc.orig).__name__, attempt)
                time.sleep(0.02 * 2 ** attempt)
        raise AssertionError("unreachable")

    def _write_group(self, group: list[_Pending], attempts: int) -> None:
        try:
            for attempt in range(1, attempts + 1):
                try:
                    self._commit_group(group)
                    return
                except (OperationalError, DBAPIError) as exc:
                    if attempt == attempts or not _retryable(exc):
                        for item in group:  # nothing of the group was committed
                            item.error = exc
                        return
                    log.warning("write retried after %s (attempt %d)", type(exc.orig).__name__, attempt)
                    time.sleep(0.02 * 2 ** attempt)
        except BaseException as exc:
            for item in group:
                item.error = exc
            raise
        finally:
            for item in group:
                item.done = True

    def _commit_group(self, group: list[_Pending]) -> None:
        for item in group:
            item.result, item.error = None, None
        with self.engine.connect() as conn:
            conn = conn.execution_options(desk_write=True)
            try:
                with conn.begin():
                    for item in group:
                        savepoint = conn.begin_nested() if len(group) > 1 else None
                        try:
                            item.result = item.fn(conn)
                        except Exception as exc:
                            if isinstance(exc, DBAPIError) and _retryable(exc):
                                raise  # the whole group again
                            item.error = exc
                            if savepoint is None:
                                raise _RolledBack() from exc
                            savepoint.rollback()
                        else:
                            if savepoint is not None:
                                savepoint.commit()
            except _RolledBack:
                pass


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event below issues BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("desk_write") else "BEGIN")


def among(conn: Connection, column: sa.ColumnElement, values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column IN values``. On PostgreSQL ``column = ANY(array)``: one parameter, so psycopg does
    not re-parse a statement with hundreds of placeholders (measured: most of a 500-action push)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def insert_ignore(conn: Connection, table: sa.Table, index_elements: list[str]):  # noqa: ANN201
    """``INSERT ... ON CONFLICT (...) DO NOTHING`` in the connection's own dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)


# -- statements of every request ----------------------------------------------------------------
class Statements:
    """The statements each sync request runs, built once per dialect with bind parameters:
    building and cache-keying a SQLAlchemy statement on every call cost about as much CPU as
    running it (measured on a small push: a third of the server's time)."""

    def __init__(self, dialect: str) -> None:
        self.postgresql = dialect == "postgresql"
        if self.postgresql:
            from sqlalchemy.dialects.postgresql import ARRAY, insert

            def among(column: sa.ColumnElement, name: str) -> sa.ColumnElement[bool]:
                # one array parameter: psycopg re-parses a statement with hundreds of placeholders
                return column == sa.any_(sa.bindparam(name, type_=ARRAY(column.type)))

            # the new dossiers in one small statement, answering which rows it really inserted
            self.create_dossiers = sa.text(
                "INSERT INTO dossiers (id, ward_code, code, procedure_code, created_by, created_at, updated_at) "
                "SELECT t.id, :ward, t.code, t.procedure_code, :device, :now, :now "
                "FROM unnest(:ids, :codes, :procedures) AS t(id, code, procedure_code) "
                "ON CONFLICT (id) DO NOTHING RETURNING id").bindparams(
                sa.bindparam("ids", type_=ARRAY(sa.String)), sa.bindparam("codes", type_=ARRAY(sa.String)),
                sa.bindparam("procedures", type_=ARRAY(sa.String)), sa.bindparam("now", type_=UTCDateTime()))
        else:
            from sqlalchemy.dialects.sqlite import insert

            def among(column: sa.ColumnElement, name: str) -> sa.ColumnElement[bool]:
                return column.in_(sa.bindparam(name, expanding=True))

        b = sa.bindparam
        self.device_by_token = sa.select(devices.c.id, devices.c.name, devices.c.ward_code, devices.c.counter,
                                         devices.c.revoked).where(devices.c.token_sha256 == b("digest"))
        self.admin_by_token = sa.select(admin_tokens.c.name, admin_tokens.c.revoked).where(
            admin_tokens.c.token_sha256 == b("digest"))
        self.lock_ward = sa.select(wards.c.code).where(wards.c.code == b("ward")).with_for_update()
        # a push's first statement: the token's device, its ward locked (every write to a ward's
        # dossiers and to its devices' chains holds it) and the device's chain head, one round trip
        self.open_push = (
            sa.select(devices.c.id, devices.c.name, devices.c.ward_code, devices.c.counter, devices.c.revoked,
                      chain_heads.c.hash.label("head"))
            .select_from(devices.join(wards, wards.c.code == devices.c.ward_code)
                         .outerjoin(chain_heads, chain_heads.c.device_id == devices.c.id))
            .where(devices.c.token_sha256 == b("digest")).with_for_update(of=wards))
        self.new_head = insert(chain_heads).on_conflict_do_nothing(index_elements=["device_id"])
        self.lock_head = sa.select(chain_heads.c.hash).where(chain_heads.c.device_id == b("device")).with_for_update()
        self.set_head = chain_heads.update().where(chain_heads.c.device_id == b("device")).values(
            hash=b("head"), updated_at=b("at"))
        self.new_dossiers = insert(dossiers).on_conflict_do_nothing(index_elements=["id"])
        self.lock_dossiers = (sa.select(dossiers.c.id, dossiers.c.ward_code).where(among(dossiers.c.id, "ids"))
                              .order_by(dossiers.c.id).with_for_update())
        self.with_history = sa.select(actions.c.dossier_id).distinct().where(among(actions.c.dossier_id, "ids"))
        # the stored and the refused among a batch's ids, in one round trip
        self.seen = sa.union_all(
            sa.select(sa.literal("stored").label("kind"), actions.c.id, actions.c.server_seq, actions.c.received_at,
                      actions.c.device_id, actions.c.hash, sa.null().label("error")).where(among(actions.c.id, "ids")),
            sa.select(sa.literal("refused"), rejected_actions.c.action_id, sa.null(), sa.null(), sa.null(),
                      rejected_actions.c.hash, rejected_actions.c.error).where(
                rejected_actions.c.device_id == b("device"), among(rejected_actions.c.action_id, "ids")))
        self.insert_actions = sa.insert(actions)
        self.seqs = sa.select(actions.c.id, actions.c.server_seq).where(among(actions.c.id, "ids"))
        self.journals = (sa.select(actions.c.dossier_id, actions.c.content).where(among(actions.c.dossier_id, "ids"))
                         .order_by(actions.c.server_seq))
        self.project = dossiers.update().where(dossiers.c.id == b("key")).values(
            status=b("status"), due_at=b("due_at"), transferred=b("transferred"), official_code=b("official_code"),
            action_count=b("action_count"), last_action_at=b("last_action_at"), updated_at=b("updated_at"))
        self.synced = devices.update().where(devices.c.id == b("key")).values(last_sync_at=b("at"))
        # the token's device and the newest reference version: a reference check in one round trip
        self.device_reference = sa.select(
            devices.c.id, devices.c.name, devices.c.ward_code, devices.c.counter, devices.c.revoked,
            sa.select(reference.c.version).order_by(reference.c.id.desc()).limit(1).scalar_subquery().label(
                "version")).where(devices.c.token_sha256 == b("digest"))
        self.pull = (sa.select(actions.c.server_seq, actions.c.content).where(
            actions.c.ward_code == b("ward"), actions.c.device_id != b("device"), actions.c.server_seq > b("after"))
            .order_by(actions.c.server_seq).limit(b("limit")))
        if self.postgresql:
            # The statements a push sends in psycopg's pipeline mode (``_pipelined``), as psycopg
            # takes them. The lock on the batch's dossiers goes with the token check, before its
            # answer is known: it locks nothing unless the token is the named device's.
            gated_lock = self.lock_dossiers.where(sa.exists().where(
                devices.c.token_sha256 == b("digest"), devices.c.id == b("device"), devices.c.revoked == sa.false()))
            self.psycopg = {name: _psycopg_form(statement) for name, statement in (
                ("open_push", self.open_push), ("lock_dossiers", gated_lock), ("seen", self.seen),
                ("set_head", self.set_head), ("seqs", self.seqs), ("journals", self.journals),
                ("project", self.project))}


def _psycopg_form(statement: sa.Executable) -> tuple[str, dict[str, Any]]:
    """A statement's SQL for a psycopg cursor, and the values it binds itself (its literals)."""
    from sqlalchemy.dialects.postgresql.psycopg import dialect

    compiled = statement.compile(dialect=dialect())
    return compiled.string, {k: v for k, v in compiled.params.items() if v is not None}


_STATEMENTS: dict[str, Statements] = {}


def statements(conn: Connection) -> Statements:
    """The statements for ``conn``'s dialect, built once."""
    name = conn.dialect.name
    found = _STATEMENTS.get(name)
    if found is None:
        found = _STATEMENTS.setdefault(name, Statements(name))
    return found
