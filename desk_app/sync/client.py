"""The counter's side of the sync (docs/sync-protocol.md).

Push the outbox in journal order and in batches, remove an item only once the server confirmed
it, park what the server rejects where the clerk sees it, retry network trouble with backoff;
pull the district's actions and the reference data. Runs on its own SQLite connection (the
scheduler calls it on a worker thread).
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from ..models.calendar import DayOverride
from ..models.catalogue import parse_catalogue
from ..models.clock import Clock, vn_now
from ..models.errors import DomainError
from ..models.journal import Action
from ..models.lifecycle import DossierState, apply, derive_state
from ..models.settings import default_of
from ..models.text import nfc
from ..storage.driver import IntegrityError
from ..storage.inbox import Inbox
from ..storage.records import action_from_row, dossier_row
from ..storage.store import Store

BATCH = 500


class SyncError(DomainError):
    def __init__(self, message: str, *, code: str = "sync") -> None:
        super().__init__(message, code=code)


@dataclass
class SyncReport:
    pushed: int = 0
    duplicates: int = 0
    parked: int = 0
    pulled: int = 0
    reference_updated: bool = False
    waiting: int = 0
    held: int = 0  # pulled actions waiting in the inbox (not applicable yet)
    error: str | None = None
    clock_warning: str | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"đã gửi {self.pushed}", f"trùng (đã có trên máy chủ) {self.duplicates}",
                 f"cần xử lý {self.parked}", f"đã nhận {self.pulled}", f"còn chờ {self.waiting}"]
        if self.held:
            parts.append(f"chưa áp dụng được {self.held} thao tác nhận về")
        text = "Đồng bộ: " + ", ".join(parts) + "."
        if self.reference_updated:
            text += " Đã cập nhật danh mục, mẫu giấy tờ và lịch nghỉ."
        if self.error:
            text += f" Lỗi: {self.error}"
        if self.clock_warning:
            text += f" Cảnh báo: {self.clock_warning}"
        return text


_TLS_CONTEXTS: dict[tuple[str, int], ssl.SSLContext] = {}
_TLS_GUARD = threading.Lock()


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The certificates the counter trusts: the usual public ones, or the district's own CA
    bundle (a PEM file). Built once per bundle (reading a bundle costs ~25 ms of CPU, every
    sync cycle) and again when the file changes."""
    try:
        stamp = Path(ca_bundle).stat().st_mtime_ns if ca_bundle else 0
        with _TLS_GUARD:
            found = _TLS_CONTEXTS.get((ca_bundle or "", stamp))
            if found is None:
                found = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else httpx.create_ssl_context()
                for older in [key for key in _TLS_CONTEXTS if key[0] == (ca_bundle or "")]:
                    del _TLS_CONTEXTS[older]  # the file was replaced
                _TLS_CONTEXTS[(ca_bundle or "", stamp)] = found
            return found
    except (OSError, ssl.SSLError) as exc:
        raise SyncError(f"Không đọc được tệp chứng chỉ của máy chủ cấp tỉnh ({ca_bundle}): {exc}. "
                        "Báo bộ phận CNTT kiểm tra tệp này.", code="ca_bundle") from None


class SyncClient:
    def __init__(self, db_path: Path | str, *, clock: Clock | None = None, timeout: float = 15.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.db_path = Path(db_path)
        self.clock = clock or vn_now
        self.timeout = timeout
        self.transport = transport

    # -- plumbing ---------------------------------------------------------------------------
    def _http(self, store: Store) -> httpx.Client:
        url = store.get_setting("district_url")
        if not url:
            raise SyncError("Chưa khai báo địa chỉ máy chủ cấp tỉnh (desk-app enroll).", code="not_enrolled")
        ca = store.get_setting("district_ca_bundle")
        token = store.get_setting("device_token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=url.rstrip("/"), timeout=self.timeout, headers=headers,
                            verify=tls_context(ca), transport=self.transport)

    # -- enrolment --------------------------------------------------------------------------
    def enroll(self, server_url: str, code: str, *, ca_bundle: str | None = None) -> dict[str, Any]:
        store = Store.open(self.db_path, create=False)
        try:
            settings = store.settings()
            if "ward_code" not in settings:
                raise SyncError("Cơ sở dữ liệu chưa được khởi tạo.")
            body = {"ward_code": settings["ward_code"], "counter": int(settings["counter_no"]),
                    "code": code.strip(), "device_id": settings["device_id"],
                    "device_name": f"{settings.get('ward_name', '')} — quầy {settings['counter_no']}",
                    "paper_key": settings.get("paper_key", "")}
            try:
                with httpx.Client(base_url=server_url.rstrip("/"), timeout=self.timeout,
                                  verify=tls_context(ca_bundle), transport=self.transport) as http:
                    reply = http.post("/api/v1/enroll", json=body)
            except httpx.HTTPError as exc:
                raise SyncError(f"Không kết nối được máy chủ cấp tỉnh ({exc}).", code="network") from None
            data = _json(reply)
            if reply.status_code != 200:
                raise SyncError(data.get("message") or f"Máy chủ từ chối đăng ký (mã {reply.status_code}).",
                                code="enroll_refused")
            values = {"district_url": server_url, "device_token": data["device_token"]}
            if ca_bundle:
                values["district_ca_bundle"] = ca_bundle
            if data.get("paper_key"):
                values["paper_key"] = data["paper_key"]
            store.set_settings(values)
            return data
        finally:
            store.close()

    # -- one cycle --------------------------------------------------------------------------
    def sync_once(self) -> SyncReport:
        """Push, pull, refresh reference data. Never raises for network trouble: it is reported."""
        report = SyncReport()
        store = Store.open(self.db_path, create=False)
        try:
            self._recover(store)
            try:
                with self._http(store) as http:
                    self._push(store, http, report)
                    if report.error is None:
                        self._push_access(store, http, report)
                        self._pull(store, http, report)
                        self._reference(store, http, report)
            except SyncError as exc:
                report.error = exc.message
            # held actions again, offline too: a dossier pulled since, a newer catalogue
            report.pulled += retry_held(store, store.get_setting("device_id"), self.clock())
            report.held = Inbox(store.conn).count()
            now = self.clock().isoformat()
            status = {"last_sync_attempt_at": now, "last_sync_error": report.error or ""}
            if report.error is None:
                status["last_sync_at"] = now
            store.set_settings(status)
            report.waiting = store.outbox.count()
        finally:
            store.close()
        return report

    @staticmethod
    def _recover(store: Store) -> None:
        store.outbox.recover()

    def _push(self, store: Store, http: httpx.Client, report: SyncReport) -> None:
        outbox = store.outbox
        while True:
            rows = outbox.ready(self.clock(), BATCH)
            if not rows:
                return
            ids = [r["id"] for r in rows]
            outbox.mark_sending(ids)
            body = {"device_id": store.get_setting("device_id"),
                    "actions": [{**action_from_row(r).to_dict(), "seq": r["seq"]} for r in rows]}
            try:
                reply = http.post("/api/v1/actions", content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                  headers={"Content-Type": "application/json"})
            except httpx.HTTPError as exc:
                outbox.retry_later(rows, f"Mất kết nối máy chủ cấp tỉnh ({type(exc).__name__}).", self.clock())
                report.error = "Không kết nối được máy chủ cấp tỉnh; sẽ thử lại."
                return
            if reply.status_code >= 500:
                outbox.retry_later(rows, f"Máy chủ cấp tỉnh lỗi {reply.status_code}.", self.clock())
                report.error = f"Máy chủ cấp tỉnh đang lỗi ({reply.status_code}); sẽ thử lại."
                return
            data = _json(reply)
            if reply.status_code == 401:
                outbox.retry_later(rows, "Máy chủ từ chối khóa của quầy.", self.clock())
                report.error = data.get("message") or "Máy chủ từ chối khóa của quầy: cần đăng ký lại (desk-app enroll)."
                return
            results = data.get("results") if reply.status_code == 200 else None
            if not isinstance(results, list) or len(results) != len(rows):
                message = data.get("message") or f"Máy chủ trả lời không hợp lệ (mã {reply.status_code})."
                if 400 <= reply.status_code < 500:
                    outbox.park(ids, message)
                    report.parked += len(ids)
                    continue  # the items behind them still go
                outbox.retry_later(rows, message, self.clock())
                report.error = message
                return
            done, parked = [], []
            for row, result in zip(rows, results):
                status = result.get("status") if isinstance(result, dict) else None
                if result.get("id") != row["id"] or status not in ("stored", "duplicate", "rejected"):
                    outbox.retry_later(rows, "Máy chủ trả lời không khớp các thao tác đã gửi.", self.clock())
                    report.error = "Máy chủ trả lời không hợp lệ; sẽ thử lại."
                    return
                if status == "rejected":
                    parked.append((row["id"], result.get("error") or "Máy chủ từ chối thao tác này."))
                else:
                    done.append(row["id"])
                    report.pushed += status == "stored"
                    report.duplicates += status == "duplicate"
            outbox.settle(done, parked)  # removed only now that the server has confirmed them
            report.parked += len(parked)
            if data.get("clock_warning"):
                report.clock_warning = nfc(str(data["clock_warning"]))

    def _push_access(self, store: Store, http: httpx.Client, report: SyncReport) -> None:
        """The access log (personal data law) goes to the district too; an entry is stamped
        synced only when the server confirmed it, so a cut means a resend (the server dedups)."""
        device_id = store.get_setting("device_id")
        while True:
            entries = store.privacy.unsynced_access(BATCH)
            if not entries:
                return
            body = {"device_id": device_id,
                    "entries": [{"id": e["id"], "at": e["at"].isoformat(), "clerk": e["clerk"], "counter": e["counter"],
                                 "device_id": e["device_id"], "kind": e["kind"], "subject": e["subject"],
                                 "detail": e["detail"]} for e in entries]}
            try:
                reply = http.post("/api/v1/access-log", content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                  headers={"Content-Type": "application/json"})
            except httpx.HTTPError:
                report.notes.append("Nhật ký truy cập chưa gửi được; sẽ gửi lần sau.")
                return
            if reply.status_code == 404:  # a district server from before the access log: nothing to do
                return
            if reply.status_code != 200:
                report.notes.append(f"Nhật ký truy cập chưa gửi được (mã {reply.status_code}); sẽ gửi lần sau.")
                return
            store.privacy.mark_access_synced([e["id"] for e in entries], self.clock())

    def _pull(self, store: Store, http: httpx.Client, report: SyncReport) -> None:
        after = int(store.get_setting("pull_after_seq", default_of("pull_after_seq")) or 0)
        own = store.get_setting("device_id")
        while True:
            try:
                reply = http.get("/api/v1/actions", params={"after": after, "limit": BATCH})
            except httpx.HTTPError:
                report.error = "Mất kết nối khi nhận dữ liệu từ máy chủ cấp tỉnh; sẽ thử lại."
                return
            data = _json(reply)
            if reply.status_code != 200 or not isinstance(data.get("actions"), list):
                report.error = data.get("message") or f"Không nhận được dữ liệu từ máy chủ ({reply.status_code})."
                return
            # One commit per page (each action in its own savepoint), the cursor in the same commit:
            # a commit per action cost the counter a disk flush each.
            with store.transaction():
                report.pulled += apply_page(store, data["actions"], own, report, self.clock())
                for item in data["actions"]:
                    try:
                        after = max(after, int(item["server_seq"]))
                    except (KeyError, TypeError, ValueError):
                        pass  # a malformed item, noted by apply_page
                store.set_settings({"pull_after_seq": after}, in_transaction=True)
            if not data.get("more"):
                return

    def _reference(self, store: Store, http: httpx.Client, report: SyncReport) -> None:
        version = store.get_setting("reference_version")
        try:
            reply = http.get("/api/v1/reference", headers={"If-None-Match": version} if version else {})
        except httpx.HTTPError:
            report.error = "Mất kết nối khi nhận danh mục từ máy chủ cấp tỉnh; sẽ thử lại."
            return
        if reply.status_code in (304, 404):
            return
        data = _json(reply)
        if reply.status_code != 200 or "version" not in data:
            report.notes.append("Máy chủ chưa có danh mục mới.")
            return
        try:
            if data.get("catalogue"):
                store.reference.save_catalogue(parse_catalogue(data["catalogue"]))
            with store.transaction():
                store.reference.add_templates(
                    [(t["id"], t["version"], t["content"]) for t in data.get("templates") or []], vn_now())
            for o in data.get("holiday_overrides") or []:
                store.reference.set_holiday_override(DayOverride(date.fromisoformat(o["day"]), o["kind"], o["reason"]))
            store.set_settings({"reference_version": data["version"]})
            report.reference_updated = True
        except (DomainError, KeyError, ValueError) as exc:
            report.notes.append(f"Danh mục từ máy chủ không dùng được: {getattr(exc, 'message', exc)}")


def apply_page(store: Store, items: list[Any], own: str | None, report: SyncReport,
               now: datetime | None = None) -> int:
    """Other devices' actions (the district, the ward's other counters), each appended to its
    dossier's journal with its own id, inside the caller's transaction. Each dossier's state is
    replayed once per page and its projection written once. Returns how many were applied. An
    item that cannot be applied is held in the inbox (storage/inbox.py) with the reason, said
    in ``report.notes``, and tried again at the next sync: never skipped."""
    now = now or vn_now()
    inbox = Inbox(store.conn)
    actions: list[tuple[Any, Action]] = []
    for item in items:
        if isinstance(item, dict) and item.get("device_id") == own:
            continue
        try:
            actions.append((item, Action.from_dict(item)))
        except (KeyError, TypeError, ValueError, AttributeError):
            message = "Một thao tác từ máy chủ không đúng định dạng; giữ lại chờ phiên bản mới."
            inbox.hold(item, message, now)
            report.notes.append(message)
            report.held += 1
    # Every check is made before an action's first write, so only a constraint of the database
    # (e.g. a procedure this counter's catalogue lacks) can stop one half-way. The page is applied
    # in one savepoint; only if that happens is it applied again with a savepoint per action
    # (two statements more each: a third of a counter's sync time when always paid).
    try:
        with store.transaction():
            done, applied, held = _apply_actions(store, [a for _, a in actions], careful=False)
    except IntegrityError:
        done, applied, held = _apply_actions(store, [a for _, a in actions], careful=True)
    if done and inbox.count():  # most pages meet an empty inbox: no delete per action then
        inbox.release(done)
    by_id = {a.id: item for item, a in actions}
    for action_id, message in held:
        inbox.hold(by_id[action_id], message, now)
        report.notes.append(message)
    report.held += len(held)
    return applied


def retry_held(store: Store, own: str | None, now: datetime | None = None) -> int:
    """The inbox tried again (a newer catalogue, the missing dossier pulled, an upgrade since):
    what applies now leaves it. Returns how many were applied."""
    inbox = Inbox(store.conn)
    items = inbox.waiting()
    if not items:
        return 0
    with store.transaction():
        return apply_page(store, items, own, SyncReport(), now)


def _apply_actions(store: Store, actions: list[Action], *, careful: bool
                   ) -> tuple[list[str], int, list[tuple[str, str]]]:
    """The ids now in the journal (applied or already there), how many were applied, and the
    ids held with the reason."""
    held: list[tuple[str, str]] = []
    done: list[str] = []
    applied = 0
    present = store.known_action_ids([a.id for a in actions])
    existing = store.existing_dossiers(a.dossier_id for a in actions)
    states: dict[str, DossierState] = {}  # each touched dossier's state so far
    heads: dict[str, tuple[int, str]] = {}  # each device's last action written: its chain head
    for action in actions:
        if action.id in present:
            done.append(action.id)
            continue  # already here (or twice in the page)
        try:
            state, snapshot = _next_state(store, action, states.get(action.dossier_id), action.dossier_id in existing)
        except _Skip as skip:
            held.append((action.id, str(skip)))
            continue
        if careful:
            try:
                with store.transaction():
                    seq = _write_remote(store, action, snapshot)
            except IntegrityError as exc:
                held.append((action.id, f"Không lưu được thao tác {action.id}: {exc}"))
                continue
        else:
            seq = _write_remote(store, action, snapshot)
        present.add(action.id)
        done.append(action.id)
        applied += 1
        states[action.dossier_id] = state
        existing.add(action.dossier_id)
        heads[action.device_id] = (seq, action.hash)
    for dossier_id, state in states.items():
        store.update_projection(dossier_id, state)
    for device_id, (seq, hash) in heads.items():
        store.set_chain_head(device_id, seq, hash)
    return done, applied, held


def _next_state(store: Store, action: Action, state: DossierState | None,
                exists: bool) -> tuple[DossierState, dict | None]:
    """The dossier's state with ``action`` (``state``: its state if this page touched it already,
    else replayed from the journal; ``exists``: whether this counter had the dossier before the
    page), and the snapshot to create the dossier from if this counter does not have it yet.
    Raises ``_Skip`` (with what to tell the clerk) when it cannot apply."""
    snapshot = None
    if state is None:
        if exists:
            journal = store.actions_for(action.dossier_id)
        else:
            snapshot = action.payload.get("dossier") if isinstance(action.payload, dict) else None
            if not isinstance(snapshot, dict) or not snapshot:
                raise _Skip(f"Thao tác {action.id} thuộc hồ sơ chưa có trên máy này.")
            if not isinstance(snapshot.get("code"), str) or not isinstance(snapshot.get("procedure_code"), str):
                raise _Skip("Bỏ qua một thao tác không đúng định dạng từ máy chủ.")
            journal = []
    try:
        state = apply(state if state is not None else derive_state(journal), action)
    except DomainError as exc:  # the same as replaying the journal with it at the end
        raise _Skip(f"Không áp dụng được thao tác {action.kind} của hồ sơ: {exc.message}") from None
    return state, snapshot


def _write_remote(store: Store, action: Action, snapshot: dict | None) -> int:
    """Journal ``action`` (creating its dossier from ``snapshot`` first if given); returns its
    ``seq``. The device's chain head is left to the caller: once per page is enough."""
    if snapshot is not None:
        store.insert_dossier(dossier_row(action.dossier_id, snapshot, action.at))
    return store.insert_action(action, move_head=False)


class _Skip(Exception):
    """An action that cannot be applied here; its message says why, for the clerk."""


def _json(reply: httpx.Response) -> dict[str, Any]:
    try:
        data = reply.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def outbox_state(store: Store) -> dict[str, Any]:
    """What the status bar and the 'needs attention' list show."""
    counts = store.outbox.counts()
    inbox = Inbox(store.conn)
    return {"pending": counts.get("pending", 0) + counts.get("sending", 0), "attention": counts.get("attention", 0),
            "attention_items": store.outbox.attention(), "held": inbox.count(), "held_items": inbox.attention(),
            "last_sync_at": store.get_setting("last_sync_at"),
            "last_error": store.get_setting("last_sync_error")}
