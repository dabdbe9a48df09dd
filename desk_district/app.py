"""The HTTP face of the district server: ``create_app(database_url)`` (FastAPI).

Routes are those of docs/sync-protocol.md. Every error answers JSON
``{"error", "message"}`` with a Vietnamese message; a bad input never gives a 500 and
never a traceback. Each request is written to ``access_log`` (who, which route, when, status).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Annotated, Any, AsyncIterator, Callable, Mapping

import anyio
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import PROTOCOL_VERSION, service
from .bookkeeping import Bookkeeper
from .db import Database
from .errors import ApiError
from .overview import render_overview
from .schemas import (
    MAX_BATCH,
    AccessPushRequest,
    AccessPushResponse,
    DistrictActionRequest,
    DistrictActionResponse,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    HealthResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    ReferenceResponse,
)

log = logging.getLogger("desk_district")

MAX_BODY_BYTES = 32 * 1024 * 1024  # 500 actions with their dossier snapshots fit many times over
CREDENTIAL_KEY = "desk_district.credential"
SYNCED_KEY = "desk_district.synced"  # (device id, time): committed with the request's access-log row

_FIELD_PROBLEMS = {
    "missing": "thiếu",
    "string_type": "phải là chuỗi ký tự",
    "string_pattern_mismatch": "sai dạng",
    "string_too_short": "quá ngắn",
    "string_too_long": "quá dài",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "greater_than_equal": "quá nhỏ",
    "less_than_equal": "quá lớn",
    "dict_type": "phải là một đối tượng JSON",
    "model_attributes_type": "phải là một đối tượng JSON",
    "list_type": "phải là một danh sách",
    "literal_error": "không thuộc các giá trị cho phép",
    "value_error": "không hợp lệ",
    "bool_type": "phải là đúng/sai",
}

_ERRORS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict",
           413: "too_large", 400: "bad_request", 422: "bad_request"}
_HTTP_MESSAGES = {
    400: "Nội dung gửi lên không đọc được (phải là JSON, mã hóa UTF-8).",
    404: "Không có địa chỉ này trên máy chủ.",
    405: "Địa chỉ này không dùng được với phương thức yêu cầu.",
    413: "Nội dung gửi lên quá lớn. Hãy gửi ít thao tác hơn trong mỗi lần.",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "token missing, malformed, unknown or revoked"},
    403: {"model": ErrorBody, "description": "another ward's or device's data, or the wrong kind of token"},
    422: {"model": ErrorBody, "description": "malformed body (400 when it is not JSON at all)"},
}


_bearer = HTTPBearer(auto_error=False, description="device token from /api/v1/enroll, or a district admin token")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]  # module level: FastAPI resolves it


def _utcnow() -> datetime:
    return service.utcnow()


DEFAULT_THREADS = 4
WORKER_DB_ENV = "DESK_DISTRICT_WORKER_DB"  # set by `desk-district serve --workers N` for its worker processes
WORKER_THREADS_ENV = "DESK_DISTRICT_WORKER_THREADS"
SWITCH_INTERVAL = 0.001


def tune_process() -> None:
    """For a process that serves: the thread holding SQLite's writer gets the interpreter back
    after each statement within 1 ms instead of 5 (Python's default switch interval)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``desk-district serve --workers N``."""
    url = os.environ.get(WORKER_DB_ENV)
    if not url:
        raise RuntimeError(f"{WORKER_DB_ENV} is not set: start the server with `desk-district serve`.")
    tune_process()
    return create_app(url, threads=int(os.environ.get(WORKER_THREADS_ENV) or DEFAULT_THREADS))


def create_app(database_url: str, *, clock: Callable[[], datetime] | None = None,
               threads: int = DEFAULT_THREADS) -> FastAPI:
    """The district server on ``database_url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).
    The schema is created if missing. ``clock`` (aware datetimes) is for tests; ``threads``: the
    worker threads the endpoints run on."""
    db = Database(database_url)
    db.create_schema()
    source = clock or _utcnow

    def now() -> datetime:  # always UTC, as the database gives times back
        return source().astimezone(timezone.utc)

    reference_cache: dict[str, service.ReferenceSet] = {}
    bookkeeper = Bookkeeper(db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The endpoints' worker threads (anyio's default is 40). Python runs one at a time: each
        # more thread waiting for it slows the one holding SQLite's writer or a PostgreSQL ward
        # lock, and the event loop reading new requests (200 counters at once, 2 cores: push p99
        # 1.4 s with 40 threads on SQLite; with 8 then 4 threads, PostgreSQL round trip p99 1.27-1.37
        # then 0.95-1.16 s, SQLite unchanged at 0.8-0.9 s; measured).
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        bookkeeper.close()
        db.dispose()

    app = FastAPI(
        title="desk-district",
        version=f"{PROTOCOL_VERSION}.0",
        description="Máy chủ đồng bộ của phần mềm Quầy Một Cửa (giao thức đồng bộ v1, docs/sync-protocol.md).",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.clock = now

    def credential(request: Request, credentials: HTTPAuthorizationCredentials | None) -> service.Credential:
        """The request's token, checked by the service in the request's own transaction; kept in
        the scope so that the access log names whoever it turned out to be."""
        found = service.Credential(credentials.credentials if credentials is not None else None)
        request.scope[CREDENTIAL_KEY] = found
        return found

    # -- errors ---------------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"error": "bad_request",
                                 "message": "Nội dung gửi lên không phải JSON hợp lệ."}, status_code=400)
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and "json" not in content_type.lower():
            return JSONResponse({"error": "bad_request", "message": (
                "Nội dung gửi lên phải là JSON, với tiêu đề Content-Type: application/json.")}, status_code=400)
        fields = []
        for e in errors[:20]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header"))
            fields.append({"field": where, "problem": _FIELD_PROBLEMS.get(e.get("type", ""), "không hợp lệ")})
        text = "; ".join(f"{f['field'] or 'nội dung'} {f['problem']}" for f in fields[:5])
        return JSONResponse({"error": "bad_request", "message": f"Dữ liệu gửi lên không đúng định dạng: {text}.",
                             "fields": fields}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        message = _HTTP_MESSAGES.get(status, "Yêu cầu không thực hiện được.")
        return JSONResponse({"error": _ERRORS.get(status, "http_error"), "message": message},
                            status_code=status, headers=getattr(exc, "headers", None))

    async def _busy(_request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return JSONResponse({"error": "unavailable",
                             "message": "Máy chủ đang bận hoặc mất kết nối cơ sở dữ liệu. Vui lòng thử lại sau."},
                            status_code=503, headers={"Retry-After": "5"})

    for exc_type in (OperationalError, PoolTimeout):
        app.add_exception_handler(exc_type, _busy)

    @app.exception_handler(DBAPIError)
    async def _db_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        log.error("database error", exc_info=exc)
        return JSONResponse({"error": "server_error",
                             "message": "Máy chủ gặp lỗi khi ghi dữ liệu. Vui lòng thử lại sau."}, status_code=500)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc)
        return JSONResponse({"error": "server_error",
                             "message": "Máy chủ gặp lỗi ngoài dự kiến. Vui lòng thử lại sau."}, status_code=500)

    # -- routes ---------------------------------------------------------------------------
    @app.get("/api/v1/health", response_model=HealthResponse, tags=["other"])
    def health() -> Response:
        db.ping()
        return answer(HealthResponse, {"status": "ok", "server_time": now()})

    @app.post("/api/v1/enroll", response_model=EnrollResponse, tags=["enrolment"],
              responses={403: {"model": ErrorBody, "description": "wrong, used or expired code"},
                         422: ERROR_RESPONSES[422]})
    def enroll(body: EnrollRequest) -> Response:
        return answer(EnrollResponse, service.enroll(
            db, ward_code=body.ward_code, counter=body.counter, code=body.code, device_id=body.device_id,
            device_name=body.device_name, paper_key=body.paper_key, now=now()))

    @app.post("/api/v1/actions", response_model=PushResponse, response_model_exclude_none=True, tags=["sync"],
              responses={**ERROR_RESPONSES, 413: {"model": ErrorBody, "description": f"more than {MAX_BATCH}"}})
    def push_actions(request: Request, body: PushRequest, credentials: Bearer) -> Response:
        who = credential(request, credentials)
        out = service.push(db, who, body.device_id, [a.as_dict() for a in body.actions], now())
        assert who.principal is not None  # push() answered: the token was checked
        request.scope[SYNCED_KEY] = (who.principal.device_id, now())
        return answer(PushResponse, out, exclude_none=True)

    @app.post("/api/v1/access-log", response_model=AccessPushResponse, tags=["sync"], responses=ERROR_RESPONSES)
    def push_access_log(request: Request, body: AccessPushRequest, credentials: Bearer) -> Response:
        """The counter's access log (views, prints, exports, searches by ID number), kept here too."""
        return answer(AccessPushResponse, service.push_access(
            db, credential(request, credentials), body.device_id, [e.model_dump() for e in body.entries], now()))

    @app.get("/api/v1/actions", response_model=PullResponse, tags=["sync"], responses=ERROR_RESPONSES)
    def pull_actions(request: Request, credentials: Bearer,
                     after: int = Query(0, ge=0, le=2**63 - 1, description="the last server_seq already held"),  # a BIGINT
                     limit: int = Query(MAX_BATCH, ge=1, le=MAX_BATCH)) -> Response:
        who = credential(request, credentials)
        body = service.pull(db, who, after, limit)
        assert who.principal is not None  # pull() answered: the token was checked
        request.scope[SYNCED_KEY] = (who.principal.device_id, now())
        # Sent as stored: the payloads must reach the counter exactly as hashed.
        return Response(body, media_type="application/json")

    @app.get("/api/v1/reference", response_model=ReferenceResponse, tags=["reference"],
             responses={**ERROR_RESPONSES, 304: {"description": "If-None-Match matches the current version"},
                        404: {"model": ErrorBody, "description": "no reference data published yet"}})
    def get_reference(request: Request, credentials: Bearer) -> Response:
        version = service.latest_reference_version(db, credential(request, credentials))
        if version is None:
            raise ApiError(404, "not_found", "Máy chủ chưa có dữ liệu tham chiếu (danh mục thủ tục, mẫu giấy tờ).")
        headers = {"ETag": f'"{version}"', "Cache-Control": "no-cache"}
        if _etag_matches(request.headers.get("if-none-match", ""), version):
            return Response(status_code=304, headers=headers)
        found = reference_cache.get(version)
        if found is None:
            found = service.load_reference(db, version)
            reference_cache.clear()
            reference_cache[version] = found
        return Response(found.body, media_type="application/json", headers=headers)

    @app.post("/api/v1/district/dossiers/{dossier_id}/actions", response_model=DistrictActionResponse,
              status_code=201, tags=["district"],
              responses={**ERROR_RESPONSES, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}})
    def add_district_action(request: Request, dossier_id: str, body: DistrictActionRequest,
                            credentials: Bearer) -> Response:
        out = service.district_action(db, credential(request, credentials), dossier_id, kind=body.kind,
                                      payload=body.payload, clerk=body.clerk, action_id=body.id, now=now())
        out["received_at"] = out["received_at"].isoformat()
        return JSONResponse(out, status_code=201 if out["status"] == "stored" else 200)

    @app.get("/", response_class=HTMLResponse, tags=["other"])
    def overview_page() -> HTMLResponse:
        moment = now()
        html = render_overview(service.overview(db, moment), moment)
        return HTMLResponse(html, headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})

    app.add_middleware(BodyLimit)
    app.add_middleware(AccessLog, bookkeeper=bookkeeper, clock=now)
    return app


def answer(model: type[BaseModel], content: Mapping[str, Any], *, exclude_none: bool = False) -> Response:
    """``content`` checked and encoded by the route's response model, on the endpoint's own worker
    thread. Given a dict, FastAPI would check it on the thread pool once more, queued behind every
    request that arrived meanwhile: with 200 counters at once that wait was half of a push's time
    in the server (measured)."""
    return Response(model.model_validate(content).model_dump_json(exclude_none=exclude_none),
                    media_type="application/json")


def _etag_matches(header: str, version: str) -> bool:
    """``If-None-Match`` with the version, quoted or not, weak or not, or ``*``."""
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == "*" or tag.strip('"') == version:
            return True
    return False


class BodyLimit:
    """413 for a body larger than MAX_BODY_BYTES, announced or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > MAX_BODY_BYTES
                except ValueError:
                    too_big = False
                if too_big:
                    await _too_large()(scope, receive, send)
                    return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY_BYTES:
                    raise StarletteHTTPException(413)
            return message

        await self.app(scope, counting_receive, send)


def _too_large() -> JSONResponse:
    return JSONResponse({"error": "too_large", "message": _HTTP_MESSAGES[413]}, status_code=413)


class AccessLog:
    """Writes who called which route, when, and the answer's status, to ``access_log`` (with the
    device's last sync time after a pull), before the client has the whole answer."""

    def __init__(self, app: ASGIApp, bookkeeper: Bookkeeper, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.bookkeeper = bookkeeper
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        at = self.clock()
        status = 500
        logged = False

        async def write_log() -> None:
            nonlocal logged
            if logged:
                return
            logged = True
            route = scope.get("route")
            path = getattr(route, "path", None) or scope.get("path", "")
            client = scope.get("client")
            row = service.access_row(
                at=at, method=scope.get("method", ""), route=path, status=status,
                principal=getattr(scope.get(CREDENTIAL_KEY), "principal", None),
                client=client[0] if client else None,
                duration_ms=int((time.perf_counter() - started) * 1000))
            try:
                await self.bookkeeper.record(row, scope.get(SYNCED_KEY) if status == 200 else None)
            except Exception:  # the log must never break an answer
                log.exception("access log not written")

        async def logging_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await write_log()  # written before the client has the whole answer
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        finally:
            await write_log()
