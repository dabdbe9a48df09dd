"""The counter's operations: the rules of ``desk_app.models`` applied to the local store.

One ``Counter`` per open database (the GUI, the CLI and the tests all use it,
as Anki's front end uses its Collection). Every operation validates first,
then writes the dossier row, the journal action, the outbox row and the
projection in one transaction.
"""

from __future__ import annotations

import getpass
import json
import secrets
from itertools import groupby
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .models.calendar import OfficeHours, WorkingCalendar
from .models.catalogue import Catalogue, Procedure, Retention, load_catalogue
from .models.clerks import Clerk, LoginFailed, hash_password, validate_role, validate_username, verify_password
from .models.clock import Clock, as_vn, vn_now
from .models.deadlines import DueTime, compute_due
from .models.dossier_code import make_code, validate_counter_no, validate_ward_code
from .models.errors import DomainError, ValidationError
from .models.forms import TemplateLibrary, load_library, parse_template
from .models.incidents import Incident, check_incident, check_report
from .models.intake import (
    PaperReceived,
    missing_components,
    normalize_person,
    papers_from_checklist,
    quote_fee,
)
from .models.journal import Action, new_id, verify_chain
from .models.lifecycle import DossierState, apply, derive_state, dossier_flags
from .models.papers import copy_kind
from .models.queues import queue as queue_rule
from .models.privacy import ACCESS_KINDS, CLI_ACTOR, AccessFilter, id_number_query, mask_id_number
from .models.retention import SYSTEM_ACTOR, Purge, PurgeGroup, add_years, effective_retention, purge_due
from .models.statistics import Period, StatisticsTable
from .models.survey import CHANNELS, Survey, check_answers, load_survey
from .models.text import clean_text
from .paths import resource_path, templates_dir
from .storage.statistics import gather as gather_statistics
from .storage.store import DossierRow, Store, projection


class NotLoggedIn(DomainError):
    def __init__(self) -> None:
        super().__init__("Chưa đăng nhập. Vui lòng đăng nhập để thao tác.", code="not_logged_in")


@dataclass(frozen=True)
class DossierView:
    """A dossier with its journal-derived state and flags, as screens and slips need it."""

    row: DossierRow
    state: DossierState
    flags: frozenset[str]
    procedure: Procedure | None
    warnings: tuple[str, ...] = ()  # e.g. CCCD disagrees with the birth year: shown once, not stored

    @property
    def code(self) -> str:
        return self.row.code

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def status(self) -> str:
        return self.state.status or ""




class Counter:
    def __init__(self, store: Store, *, clock: Clock | None = None, catalogue: Catalogue | None = None,
                 id_factory: Callable[[], str] = new_id) -> None:
        self.store = store
        self.clock: Clock = clock or vn_now
        self.new_id = id_factory  # the demo generator passes a seeded one, to be deterministic
        self._catalogue = catalogue
        self._calendar: WorkingCalendar | None = None
        self._templates: TemplateLibrary | None = None
        self._survey: Survey | None = None
        self._settings: dict[str, str] | None = None  # read on every action: cached, dropped on change
        self.clerk: Clerk | None = None

    @classmethod
    def open(cls, path: Path | str, *, clock: Clock | None = None, create: bool = False,
             id_factory: Callable[[], str] = new_id) -> "Counter":
        return cls(Store.open(path, create=create), clock=clock, id_factory=id_factory)

    def close(self) -> None:
        self.store.close()

    # -- set-up -------------------------------------------------------------------
    def initialise(self, *, ward_code: str, ward_name: str, counter_no: int | str, admin_username: str,
                   admin_password: str, admin_full_name: str = "Quản trị viên",
                   catalogue: Catalogue | None = None, extra_settings: Mapping[str, Any] | None = None) -> None:
        """A new ward database: its settings, the seed catalogue and the first admin."""
        if self.store.is_initialised():
            raise DomainError("Cơ sở dữ liệu này đã được khởi tạo cho một phường/xã.", code="already_initialised")
        ward_code = validate_ward_code(ward_code)
        counter_no = validate_counter_no(counter_no)
        ward_name = clean_text(ward_name)
        if len(ward_name) < 3:
            raise ValidationError("Tên phường/xã quá ngắn.", field="ward_name")
        username = validate_username(admin_username)
        password_hash = hash_password(admin_password)
        catalogue = catalogue or load_catalogue()
        self.store.save_catalogue(catalogue)
        with self.store.transaction():
            self.store.set_settings({
                "ward_code": ward_code,
                "ward_name": ward_name,
                "counter_no": counter_no,
                "device_id": self.new_id(),
                "office_hours": json.dumps(OfficeHours().to_dict()),
                "saturday_working": "0",
                "paper_key": secrets.token_hex(32),  # signs the QR code on every paper
                **(extra_settings or {}),
            }, in_transaction=True)
            self.store.add_clerk(username, clean_text(admin_full_name), "admin", password_hash, in_transaction=True)
        self._catalogue = catalogue
        self._settings = None

    def setting(self, key: str, default: str | None = None) -> str | None:
        if self._settings is None:
            self._settings = self.store.settings()
        return self._settings.get(key, default)

    def settings(self) -> dict[str, str]:
        if self._settings is None:
            self._settings = self.store.settings()
        return dict(self._settings)

    def set_settings(self, values: Mapping[str, Any]) -> None:
        self.store.set_settings(values)
        self._settings = None
        self._calendar = None

    def _require_setting(self, key: str) -> str:
        value = self.setting(key)
        if value is None:
            raise DomainError("Cơ sở dữ liệu chưa được khởi tạo (desk-app init).", code="not_initialised")
        return value

    @property
    def ward_code(self) -> str:
        return self._require_setting("ward_code")

    @property
    def ward_name(self) -> str:
        return self._require_setting("ward_name")

    @property
    def counter_no(self) -> int:
        return int(self._require_setting("counter_no"))

    @property
    def device_id(self) -> str:
        return self._require_setting("device_id")

    @property
    def office_hours(self) -> OfficeHours:
        raw = self.setting("office_hours")
        return OfficeHours.from_dict(json.loads(raw)) if raw else OfficeHours()

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = WorkingCalendar(
                self.store.holiday_overrides(),
                saturday_working=self.setting("saturday_working", "0") == "1",
            )
        return self._calendar

    @property
    def templates(self) -> TemplateLibrary:
        """Form templates: the files in forms_templates/, plus every version the database has
        kept, so a dossier typed with an older version stays printable after an upgrade."""
        if self._templates is None:
            library = load_library(templates_dir())
            stored = self.store.template_keys()
            new = [(t.id, t.version, t.text) for key, t in library.versions.items() if key not in stored]
            if new:
                with self.store.transaction():
                    self.store.add_templates(new, self.now())
            for row in self.store.stored_templates():
                if (row["template_id"], row["version"]) not in library.versions:
                    library.add(parse_template(row["content"], source=f"{row['template_id']} v{row['version']}"))
            self._templates = library
        return self._templates

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = self.store.load_catalogue() or load_catalogue()
        return self._catalogue

    # -- clerks -----------------------------------------------------------------------
    def add_clerk(self, username: str, full_name: str, role: str, password: str) -> None:
        self._require_role("manage")
        self.store.add_clerk(validate_username(username), clean_text(full_name), validate_role(role),
                             hash_password(password))

    def login(self, username: str, password: str) -> Clerk:
        row = self.store.get_clerk((username or "").strip().lower())
        if not row or not row["active"] or not verify_password(row["password_hash"], password):
            raise LoginFailed()
        self.clerk = Clerk(row["username"], row["full_name"], row["role"], bool(row["active"]))
        return self.clerk

    def logout(self) -> None:
        self.clerk = None

    def _require_role(self, permission: str) -> Clerk:
        if self.clerk is None:
            raise NotLoggedIn()
        if not self.clerk.can(permission):
            raise DomainError("Tài khoản của bạn không có quyền thực hiện thao tác này.", code="forbidden")
        return self.clerk

    # -- time -----------------------------------------------------------------------
    def now(self) -> datetime:
        return as_vn(self.clock())

    def due_for(self, procedure_code: str, received_at: datetime, *, with_verification: bool = False) -> DueTime:
        proc = self.catalogue.get(procedure_code)
        return compute_due(as_vn(received_at), proc.time_limit, self.calendar, self.office_hours,
                           with_verification=with_verification)

    # -- intake: the first action creates the dossier -------------------------------------
    def receive(self, procedure_code: str, applicant: Mapping[str, Any], *,
                form_data: Mapping[str, Any] | None = None, papers: Iterable[str] | None = None,
                principal: Mapping[str, Any] | None = None, authorisation: str | None = None,
                with_verification: bool = False, template: tuple[str, str] | None = None,
                home_unit: str | None = None) -> DossierView:
        """Receive a complete dossier: code, due time, receipt. Incomplete papers are refused
        here with the list to put on the one supplement request. ``home_unit`` names the ward
        or commune of a citizen from elsewhere (location-independent intake): the dossier is
        then routed there with its control slip."""
        proc = self.catalogue.get(procedure_code)
        home = clean_text(home_unit or "")
        if home and not proc.location_independent:
            raise ValidationError(
                f"Thủ tục “{proc.name}” chưa được tiếp nhận không phụ thuộc địa giới hành chính: công dân "
                "nộp hồ sơ tại nơi có thẩm quyền giải quyết.", field="home_unit")
        received = papers_from_checklist(proc, papers)
        missing = missing_components(proc, received)
        if missing:
            raise DomainError(
                "Hồ sơ chưa đủ thành phần: " + "; ".join(missing) + ". Hãy lập phiếu yêu cầu bổ sung (một lần, đủ các nội dung).",
                code="incomplete",
            )
        now = self.now()
        due = compute_due(now, proc.time_limit, self.calendar, self.office_hours,
                          with_verification=with_verification)
        fee = quote_fee(proc, form_data or {}, self.settings(), today=now.date())
        payload = {
            "due_at": due.due_at.isoformat(),
            "clock_started_at": now.isoformat(),
            "with_verification": with_verification,
            "skipped_days": [[s.day.isoformat(), s.reason] for s in due.skipped],
            "fee": {"amount": fee.amount, "lines": list(fee.lines), "late": fee.late,
                    "exemption": fee.exemption},
        }
        if home:
            payload["home_unit"] = home
        return self._create(proc, "received", payload, applicant, form_data, received, principal,
                            authorisation, template)

    def request_supplement(self, items: Iterable[str], reason: str, *, dossier: str | None = None,
                           procedure_code: str | None = None, applicant: Mapping[str, Any] | None = None,
                           form_data: Mapping[str, Any] | None = None, papers: Iterable[str] | None = None,
                           contact: str | None = None, principal: Mapping[str, Any] | None = None,
                           template: tuple[str, str] | None = None) -> DossierView:
        """The one supplement request: every missing or wrong item at once.

        At intake (no ``dossier`` yet) it opens the dossier; later it applies to ``dossier``."""
        items = [clean_text(i) for i in items if clean_text(i)]
        if not items:
            raise ValidationError("Phải ghi đủ các nội dung cần bổ sung (ghi một lần tất cả).", field="items")
        payload = {"items": items, "reason": clean_text(reason), "contact": clean_text(contact or "")}
        if dossier is not None:
            return self._record(dossier, "supplement_requested", payload)
        if not procedure_code or applicant is None:
            raise ValidationError("Phải chọn thủ tục và nhập người nộp hồ sơ.", field="procedure_code")
        proc = self.catalogue.get(procedure_code)
        return self._create(proc, "supplement_requested", payload, applicant, form_data,
                            papers_from_checklist(proc, papers if papers is not None else []), principal, None,
                            template)

    def supplement(self, dossier: str, *, papers: Iterable[str] | None = None,
                   with_verification: bool = False) -> DossierView:
        """The citizen brought what was asked: the dossier is received and the clock restarts."""
        view = self.dossier(dossier)
        now = self.now()
        proc = view.procedure or self.catalogue.get(view.row.procedure_code)
        due = compute_due(now, proc.time_limit, self.calendar, self.office_hours,
                          with_verification=with_verification)
        payload = {
            "due_at": due.due_at.isoformat(),
            "clock_started_at": now.isoformat(),
            "with_verification": with_verification,
            "papers": [p.to_dict() for p in papers_from_checklist(proc, papers)],
            "skipped_days": [[s.day.isoformat(), s.reason] for s in due.skipped],
        }
        return self._record(view.id, "supplemented", payload)

    def refuse(self, reason: str, *, dossier: str | None = None, procedure_code: str | None = None,
               applicant: Mapping[str, Any] | None = None, form_data: Mapping[str, Any] | None = None,
               template: tuple[str, str] | None = None) -> DossierView:
        payload = {"reason": clean_text(reason)}
        if dossier is not None:
            return self._record(dossier, "refused", payload)
        if not procedure_code or applicant is None:
            raise ValidationError("Phải chọn thủ tục và nhập người nộp hồ sơ.", field="procedure_code")
        proc = self.catalogue.get(procedure_code)
        return self._create(proc, "refused", payload, applicant, form_data, [], None, None, template)

    # -- processing and return ----------------------------------------------------------------
    def start_processing(self, dossier: str, *, note: str = "") -> DossierView:
        return self._record(dossier, "processing_started", {"note": clean_text(note)})

    def transfer(self, dossier: str, to_unit: str, *, note: str = "", step_hours: float | None = None,
                 return_hours: float | None = None) -> DossierView:
        """Send the dossier to the solving body. The step times (working hours) the control slip
        judges each hand-over by come from the catalogue unless given: the ward's part
        (receipt to sending) and the other body's part (sending to the result coming back)."""
        view = self.dossier(dossier)
        hours = view.procedure.handover_hours if view.procedure else {}
        payload: dict[str, Any] = {"to_unit": clean_text(to_unit), "note": clean_text(note)}
        for key, value in (("step_hours", step_hours if step_hours is not None else hours.get("transferred")),
                           ("return_hours", return_hours if return_hours is not None
                            else hours.get("transfer_returned"))):
            if value is not None:
                if value <= 0:
                    raise ValidationError("Thời gian của bước phải lớn hơn 0 giờ làm việc.", field=key)
                payload[key] = float(value)
        return self._record(view.id, "transferred", payload)

    def transfer_received(self, dossier: str, unit: str) -> DossierView:
        return self._record(dossier, "transfer_received", {"unit": clean_text(unit)})

    def transfer_returned(self, dossier: str, from_unit: str, *, note: str = "") -> DossierView:
        return self._record(dossier, "transfer_returned", {"from_unit": clean_text(from_unit),
                                                           "note": clean_text(note)})

    def pause_clock(self, dossier: str, reason: str) -> DossierView:
        """Stop the legal clock while a civil-status fact is verified (only procedures whose time
        limit provides for verification)."""
        view = self.dossier(dossier)
        if view.procedure is None or not view.procedure.time_limit.verification_extra_days:
            raise ValidationError("Thủ tục này không có thời gian xác minh nên không tạm dừng tính thời hạn.",
                                  field="reason")
        return self._record(view.id, "clock_paused", {"reason": clean_text(reason)})

    def resume_clock(self, dossier: str, *, note: str = "") -> DossierView:
        """Start the clock again: the appointment moves by the working hours it stood still."""
        view = self.dossier(dossier)
        state = view.state
        if state.paused_at is None or state.due_at is None:
            raise ValidationError("Thời hạn của hồ sơ này không tạm dừng.", field="dossier")
        now = self.now()
        stood = self.calendar.working_hours_between(state.paused_at, now)
        due = self.calendar.add_working_hours(state.due_at, stood) if stood else state.due_at
        original = state.original_due_at or state.due_at
        original_due = self.calendar.add_working_hours(original, stood) if stood else original
        return self._record(view.id, "clock_resumed", {
            "due_at": as_vn(due).isoformat(), "original_due_at": as_vn(original_due).isoformat(),
            "paused_hours": round(stood, 2), "note": clean_text(note)})

    def mark_result_ready(self, dossier: str, *, note: str = "") -> DossierView:
        return self._record(dossier, "result_ready", {"note": clean_text(note)})

    def notify_citizen(self, dossier: str, channel: str, *, note: str = "") -> DossierView:
        return self._record(dossier, "citizen_notified", {"channel": clean_text(channel), "note": clean_text(note)})

    def return_result(self, dossier: str, *, received_by: str = "", note: str = "") -> DossierView:
        return self._record(dossier, "returned", {"received_by": clean_text(received_by),
                                                  "note": clean_text(note)})

    def issue_apology(self, dossier: str, reason: str, new_due_at: datetime | date, *,
                      channel: str = "Trực tiếp") -> DossierView:
        """Apology and a new appointment (once per dossier). A date alone means office closing time."""
        view = self.dossier(dossier)
        if isinstance(new_due_at, datetime):
            new_due = as_vn(new_due_at)
        else:
            new_due = as_vn(datetime.combine(new_due_at, self.office_hours.closing))
        if not self.calendar.is_working_day(new_due.date()):
            raise ValidationError(
                f"Ngày hẹn mới {new_due:%d/%m/%Y} không phải ngày làm việc "
                f"({self.calendar.why_not_working(new_due.date())}).", field="new_due_at")
        now = self.now()
        on_time = bool(view.state.due_at and
                       self.calendar.working_days_between(now.date(), view.state.due_at.date()) >= 1)
        return self._record(view.id, "apology_issued", {
            "reason": clean_text(reason), "new_due_at": new_due.isoformat(),
            "previous_due_at": view.state.due_at.isoformat() if view.state.due_at else None,
            "channel": clean_text(channel), "on_time": on_time,
        })

    # -- satisfaction -------------------------------------------------------------------
    @property
    def survey(self) -> Survey:
        """The questionnaire in force: setting ``survey.file`` (a file name under
        resources/surveys/ or a path), else the SIPAS form shipped with the app."""
        if self._survey is None:
            name = self.setting("survey.file") or "sipas.toml"
            path = Path(name) if Path(name).is_absolute() else resource_path("surveys", name)
            self._survey = load_survey(path)
        return self._survey

    def record_survey(self, dossier: str, answers: Mapping[str, Any], *, channel: str = "citizen") -> DossierView:
        """The citizen's answers after the return, once per dossier. Anonymous: no name is asked
        or kept; the dossier code is the only link."""
        if channel not in CHANNELS:
            raise ValidationError(f"Cách ghi nhận khảo sát “{channel}” không hợp lệ.", field="channel")
        survey = self.survey
        clean = check_answers(survey, answers)
        return self._record(dossier, "survey_recorded", {"survey": survey.key, "channel": channel,
                                                          "answers": clean})

    def statistics(self, period: Period, *, dimension: str | None = None,
                   filters: Mapping[str, str] | None = None) -> StatisticsTable:
        return gather_statistics(self.store, period, now=self.now(), dimension=dimension, filters=filters,
                                 survey=self.survey)

    def withdraw(self, dossier: str, reason: str, *, requested_at: datetime | None = None) -> DossierView:
        return self._record(dossier, "withdrawn", {
            "reason": clean_text(reason),
            "requested_at": (as_vn(requested_at) if requested_at else self.now()).isoformat(),
        })

    def assign_official_code(self, dossier: str, official_code: str) -> DossierView:
        """The upstream system's own code, kept beside ours; both find the dossier."""
        code = clean_text(official_code)
        if not 3 <= len(code) <= 60:
            raise ValidationError("Mã hồ sơ của hệ thống cấp trên phải có từ 3 đến 60 ký tự.", field="official_code")
        other = self.store.get_dossier(code)
        view = self.dossier(dossier)
        if other is not None and other.id != view.id:
            raise DomainError(f"Mã {code} đã gắn với hồ sơ {other.code}.", code="duplicate")
        return self._record(view.id, "official_code_assigned", {"official_code": code})

    def record_print(self, dossier: str, form: str, *, template_id: str = "", template_version: str = "",
                     copies: int = 1) -> DossierView:
        """Printing is audited: which paper, which template version, original or reprint."""
        view = self.dossier(dossier)
        kind = copy_kind(self.store.actions_for(view.id), form)
        printed = self._record(view.id, "printed", {
            "form": form, "template_id": template_id, "template_version": template_version,
            "copy_kind": kind, "copies": copies,
        })
        self.log_access("print", view.code, {"form": form, "copy_kind": kind, "copies": copies})
        return printed

    # -- drafts ---------------------------------------------------------------------------------
    def save_draft(self, draft_id: str, *, procedure_code: str | None, template: tuple[str, str] | None,
                   values: Mapping[str, Any], papers: Iterable[str] = ()) -> None:
        """Saved as the clerk types (debounced by the screen); offered back at the next start."""
        clerk = self._require_role("intake")
        self.store.save_draft({
            "id": draft_id, "clerk": clerk.username, "procedure_code": procedure_code,
            "template_id": template[0] if template else None, "template_version": template[1] if template else None,
            "values": dict(values), "papers": list(papers), "updated_at": self.now().isoformat(),
        })

    def drafts(self) -> list[dict[str, Any]]:
        return self.store.drafts(self.clerk.username if self.clerk else None)

    def discard_draft(self, draft_id: str) -> None:
        self.store.delete_draft(draft_id)

    # -- reading ------------------------------------------------------------------------------
    def dossier(self, key: str) -> DossierView:
        row = self.store.get_dossier(key)
        if row is None:
            raise DomainError(f"Không tìm thấy hồ sơ “{key}”.", code="not_found")
        return self._view(row, derive_state(self._journal(row)))

    def _view(self, row: DossierRow, state: DossierState) -> DossierView:
        try:
            proc = self.catalogue.get(row.procedure_code)
        except DomainError:
            proc = None
        return DossierView(row, state, dossier_flags(state, self.now(), self.calendar), proc)

    def search(self, query: str, limit: int = 50) -> list[DossierRow]:
        """Dossiers by name, CCCD, phone or code; a search by ID number is logged (masked)."""
        rows = self.store.search_dossiers(query, limit)
        self._log_id_search(query, "dossiers", len(rows))
        return rows

    def queue(self, name: str, limit: int = 500) -> list[DossierRow]:
        """A work queue (models/queues.py), read from the projection (fast on a million dossiers)."""
        now, rule = self.now(), queue_rule(name)
        rows = self.store.queue_rows(rule.window(now, self.calendar), limit)
        return [r for r in rows if rule.admits(r.state, now, self.calendar)]

    def flags_of(self, row: DossierRow) -> frozenset[str]:
        """A listed dossier's flags, judged as its detail pane judges them."""
        return dossier_flags(row.state, self.now(), self.calendar)

    # -- writing --------------------------------------------------------------------------------
    def _action(self, dossier_id: str, kind: str, payload: Mapping[str, Any], at: datetime) -> Action:
        clerk = self._require_role("intake" if kind in ("received", "supplement_requested", "refused") else "process")
        return Action(id=self.new_id(), dossier_id=dossier_id, kind=kind, at=at, clerk=clerk.username,
                      counter=self.counter_no, device_id=self.device_id, payload=dict(payload))

    def _create(self, proc: Procedure, kind: str, payload: dict[str, Any], applicant: Mapping[str, Any],
                form_data: Mapping[str, Any] | None, papers: list[PaperReceived],
                principal: Mapping[str, Any] | None, authorisation: str | None,
                template: tuple[str, str] | None) -> DossierView:
        now = self.now()
        person = normalize_person(applicant, today=now.date(), prefix="applicant.")
        principal_person = (normalize_person(principal, today=now.date(), prefix="principal.")
                            if principal else None)
        if principal_person and not clean_text(authorisation or ""):
            raise ValidationError("Nộp thay phải ghi giấy tờ ủy quyền.", field="authorisation")
        clean_form = {k: clean_text(v) if isinstance(v, str) else v for k, v in (form_data or {}).items()}
        template_id, template_version = template or (proc.declaration_template, "")
        if template_id and not template_version and template_id in self.templates.ids():
            template_version = self.templates.latest(template_id).version  # pinned for life
        dossier_id = self.new_id()
        ward, counter_no = self.ward_code, self.counter_no
        action = self._action(dossier_id, kind, payload, now)  # checks the clerk before anything is written
        state = apply(DossierState(), action)
        with self.store.transaction():
            code = make_code(ward, counter_no, now.date(), self.store.next_sequence(f"{now:%y%m%d}"))
            citizen_id = self.store.save_citizen({**person.to_dict(), "id": self.new_id()}, now=now)
            snapshot = {
                "code": code,
                "procedure_code": proc.code,
                "applicant": {**person.to_dict(), "citizen_id": citizen_id},
                "principal": principal_person.to_dict() if principal_person else None,
                "authorisation": clean_text(authorisation or "") or None,
                "form_data": clean_form,
                "papers": [p.to_dict() for p in papers],
                "template_id": template_id,
                "template_version": template_version,
            }
            if payload.get("home_unit"):
                snapshot["home_unit"] = payload["home_unit"]
            action = Action(**{**action.__dict__, "payload": {**payload, "dossier": snapshot}})
            state = apply(DossierState(), action)
            self.store.insert_dossier({
                "id": dossier_id, "code": code, "procedure_code": proc.code, "applicant_id": citizen_id,
                "applicant_name": person.full_name, "applicant_id_number": person.id_number,
                "applicant_phone": person.phone, "template_id": template_id,
                "template_version": template_version, "created_at": now.isoformat(),
            })
            self.store.append_action(action, state)
        row = self.store.get_dossier(dossier_id)
        return replace(self._view(row, state), warnings=person.warnings)

    def _record(self, key: str, kind: str, payload: Mapping[str, Any]) -> DossierView:
        row = self.store.get_dossier(key)
        if row is None:
            raise DomainError(f"Không tìm thấy hồ sơ “{key}”.", code="not_found")
        action = self._action(row.id, kind, payload, self.now())
        with self.store.transaction():
            # derive inside the write lock: the state cannot change under us
            state = apply(derive_state(self._journal(row)), action)
            self.store.append_action(action, state)
        return self._view(row.with_state(state), state)

    # -- personal data: access log ----------------------------------------------------------------
    # Who viewed, printed, exported or searched by ID number (access_log, append-only, synced to
    # the district). Never a full ID number in it: searches keep only the masked number.
    def _actor(self) -> tuple[str, dict[str, Any]]:
        """The clerk logged in; for a command run without login, CLI_ACTOR and the OS user."""
        if self.clerk is not None:
            return self.clerk.username, {}
        try:
            os_user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name on this OS: the entry still counts
            os_user = ""
        return CLI_ACTOR, {"os_user": os_user} if os_user else {}

    def log_access(self, kind: str, subject: str = "", detail: Mapping[str, Any] | None = None) -> str:
        """Append one access-log entry and return its id."""
        if kind not in ACCESS_KINDS:
            raise ValidationError(f"Loại truy cập “{kind}” không hợp lệ.", field="kind")
        clerk, extra = self._actor()
        entry_id = self.new_id()
        self.store.privacy.log_access({
            "id": entry_id, "at": self.now(), "clerk": clerk, "counter": self.counter_no,
            "device_id": self.device_id, "kind": kind, "subject": subject, "detail": {**(detail or {}), **extra},
        })
        return entry_id

    REPEAT_MINUTES = 10  # the same view or search again within this time is the same access

    def _log_once(self, kind: str, subject: str, detail: Mapping[str, Any]) -> None:
        """A screen refreshing after an action re-reads the record and re-runs the search: one
        access, not one per refresh. A new login is a new Clerk object, so it logs again."""
        login, recent = getattr(self, "_recent_access", (None, {}))
        if login is not self.clerk:
            login, recent = self.clerk, {}
        now = self.now()
        last = recent.get((kind, subject))
        if last is not None and now - last < timedelta(minutes=self.REPEAT_MINUTES):
            return
        self.log_access(kind, subject, detail)
        recent[(kind, subject)] = now
        self._recent_access = (login, recent)

    def open_record(self, key: str) -> DossierView:
        """A dossier opened with its full personal data: logged as ``view_record``."""
        if self.clerk is None:
            raise NotLoggedIn()
        view = self.dossier(key)
        self._log_once("view_record", view.code, {"procedure": view.row.procedure_code})
        return view

    def open_citizen(self, citizen_id: str) -> dict[str, Any] | None:
        """A known citizen's record (the intake's returning-citizen fill): logged as ``view_record``."""
        if self.clerk is None:
            raise NotLoggedIn()
        row = self.store.find_citizen(citizen_id=citizen_id)
        if row is not None:
            self._log_once("view_record", f"citizen:{row['id']}", {"record": "citizen"})
        return row

    def search_citizens(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Known citizens by CCCD, phone or name (intake); a search by ID number is logged (masked)."""
        rows = self.store.search_citizens(query, limit)
        self._log_id_search(query, "citizens", len(rows))
        return rows

    def _log_id_search(self, query: str, where: str, found: int) -> None:
        digits = id_number_query(query)
        if digits is not None:
            self._log_once("search_id", mask_id_number(digits), {"in": where, "found": found})

    def log_export(self, what: str, filename: str | Path, *, period: Period | None = None,
                   detail: Mapping[str, Any] | None = None) -> str:
        """A file written from the ward's data (a report, the tracking book, a saved paper)."""
        info: dict[str, Any] = {"what": what, **(detail or {})}
        if period is not None:
            info["period"] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
        return self.log_access("export", str(filename), info)

    def access_log(self, filters: AccessFilter | Mapping[str, Any] | None = None, *,
                   limit: int = 2000) -> list[dict[str, Any]]:
        """The leader's view of the log (role leader or admin)."""
        self._require_role("reports")
        return self.store.privacy.access_entries(filters, limit=limit)

    def access_clerks(self) -> list[str]:
        self._require_role("reports")
        return self.store.privacy.access_clerks()

    def unsynced_access(self, limit: int = 500) -> list[dict[str, Any]]:
        return self.store.privacy.unsynced_access(limit)

    def mark_access_synced(self, ids: Iterable[str], at: datetime | None = None) -> int:
        return self.store.privacy.mark_access_synced(ids, at or self.now())

    # -- integrity ------------------------------------------------------------------------------
    def check(self) -> list[str]:
        """Integrity of the file, of this device's journal chain, and of the projection."""
        problems: list[str] = self.store.file_problems()
        last_hash = None
        for action in self.store.device_actions(self.device_id):
            last_hash = action.hash
        for p in verify_chain(self.store.device_actions(self.device_id)):
            problems.append(f"Thao tác {p.action_id}: {p.message}")
        problems += self.store.search_index_problems()
        for code in self.store.privacy.purged_problems():
            problems.append(f"Hồ sơ {code}: nội dung nhật ký đã bị xóa mà không có xác nhận hủy dữ liệu của lãnh đạo.")
        if last_hash is not None and last_hash != self.store.chain_head(self.device_id):
            problems.append("Thao tác cuối của nhật ký đã bị xóa hoặc thay thế (không khớp đầu chuỗi).")
        grouped = groupby(self.store.all_actions_by_dossier(), key=lambda a: a.dossier_id)
        # merge-walk: both sides sorted by dossier id, so memory stays flat
        pending = next(grouped, None)
        for row in self.store.all_dossier_rows():
            while pending is not None and pending[0] < row["id"]:
                problems.append(f"Thao tác của hồ sơ không tồn tại: {pending[0]}.")
                pending = next(grouped, None)
            journal = list(pending[1]) if pending is not None and pending[0] == row["id"] else []
            if journal:
                pending = next(grouped, None)
            if row["purged_at"] is not None or any(a.purged_at is not None for a in journal):
                problems += _purged_dossier_problems(row, journal)
                continue
            try:
                state = derive_state(journal)
            except DomainError as exc:
                problems.append(f"Hồ sơ {row['code']}: nhật ký không hợp lệ ({exc.message}).")
                continue
            expected = projection(state)
            actual = {k: row.get(k) for k in expected}  # a column a later schema adds reads None
            if expected != actual:
                diff = ", ".join(k for k in expected if expected[k] != actual[k])
                problems.append(f"Hồ sơ {row['code']}: trạng thái lưu không khớp nhật ký ({diff}).")
        return problems

    # -- personal data: retention and incidents ---------------------------------------------------
    # Personal data past its retention (models/retention.py) is listed for the leader, and removed
    # only when the leader confirms; only dossiers whose actions all reached the district qualify.
    def _journal(self, row: DossierRow) -> list[Action]:
        """A dossier's actions; a purged dossier has none to read or add to."""
        actions = self.store.actions_for(row.id)
        purged = next((a.purged_at for a in actions if a.purged_at is not None), None)
        if purged is not None:
            raise DomainError(f"Hồ sơ {row.code} đã hết thời hạn lưu trữ: dữ liệu cá nhân đã được xóa ngày "
                              f"{as_vn(purged):%d/%m/%Y} theo xác nhận của lãnh đạo.", code="purged")
        return actions

    def retention_for(self, procedure_code: str) -> Retention:
        """The retention in force: the ward's setting ``retention.<code>``, else the catalogue's.
        A procedure the catalogue no longer knows is kept (never purge what we cannot judge)."""
        try:
            proc = self.catalogue.get(procedure_code)
        except DomainError:
            return Retention(permanent=True)
        return effective_retention(proc.code, proc.retention, self.settings())

    def purge_due_dossiers(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Dossiers past retention at ``now`` and synced: id, code, procedure_code, closed_at."""
        now = as_vn(now or self.now())
        limited = {}
        for proc in self.catalogue.procedures:
            retention = self.retention_for(proc.code)
            if not retention.permanent and retention.years:
                limited[proc.code] = retention
        if not limited:
            return []
        # a coarse bound first (created before closed): the exact rule is applied per dossier
        created_before = add_years(now, -min(r.years for r in limited.values())) + timedelta(days=1)
        due = []
        for row in self.store.privacy.purge_candidates(limited, created_before.isoformat()):
            closed = datetime.fromisoformat(row["closed_at"]) if row["closed_at"] else None
            if purge_due(closed, limited[row["procedure_code"]], now):
                due.append({**row, "closed_at": closed})
        return due

    def list_purge(self, now: datetime | None = None) -> Purge | None:
        """Put what is due to the leader: a new listing (replacing one not yet confirmed), or None
        when nothing is due. Removes nothing."""
        now = as_vn(now or self.now())
        due = self.purge_due_dossiers(now)
        if not due:
            self.store.privacy.cancel_listed_purges()
            return None
        purge_id = self.new_id()
        self.store.privacy.add_purge({"id": purge_id, "listed_at": now.isoformat(),
                              "listed_by": self.clerk.username if self.clerk else SYSTEM_ACTOR,
                              "dossier_ids": [d["id"] for d in due]})
        return self.get_purge(purge_id)

    def get_purge(self, purge_id: str) -> Purge:
        row = self.store.privacy.get_purge(purge_id)
        if row is None:
            raise DomainError(f"Không có danh sách hủy dữ liệu “{purge_id}”.", code="not_found")
        return Purge.from_row(row)

    def pending_purge(self) -> Purge | None:
        """The listing waiting for the leader, if any."""
        rows = self.store.privacy.purges("listed", limit=1)
        return Purge.from_row(rows[0]) if rows else None

    def purges(self, limit: int = 50) -> list[Purge]:
        return [Purge.from_row(r) for r in self.store.privacy.purges(limit=limit)]

    def purge_summary(self, purge: Purge | str) -> list[PurgeGroup]:
        """Counts per procedure, as the leader confirms them."""
        purge = self.get_purge(purge) if isinstance(purge, str) else purge
        counts = self.store.procedure_counts(list(purge.dossier_ids))
        out = []
        for code in sorted(counts):
            try:
                name = self.catalogue.get(code).name
            except DomainError:
                name = code
            out.append(PurgeGroup(code, name, self.retention_for(code).describe(), counts[code]))
        return out

    def confirm_purge(self, purge_id: str) -> Purge:
        """The leader's confirmation, then the removal, in one transaction. A listed dossier that is
        no longer due (a new action, a changed setting, not yet synced) is kept and named."""
        clerk = self._require_role("confirm_purge")
        purge = self.get_purge(purge_id)
        if purge.state != "listed":
            raise DomainError(f"Danh sách hủy dữ liệu này không còn chờ xác nhận ({purge.state_label.lower()}).",
                              code="purge_state")
        now = self.now()
        still_due = {d["id"] for d in self.purge_due_dossiers(now)}
        kept = [i for i in purge.dossier_ids if i not in still_due]
        stamp = now.isoformat()
        with self.store.privacy.secure_delete():
            with self.store.transaction():
                self.store.privacy.set_purge(purge.id, state="confirmed", confirmed_at=stamp, confirmed_by=clerk.username,
                                     kept_ids=kept)
                for dossier_id in purge.dossier_ids:
                    if dossier_id in still_due:
                        self.store.privacy.purge_dossier(dossier_id, stamp)
                self.store.privacy.set_purge(purge.id, state="done", done_at=stamp)
            scrubbed = self.store.privacy.scrub_after_purge()
        return replace(self.get_purge(purge.id), scrubbed=scrubbed)

    def cancel_purge(self, purge_id: str) -> Purge:
        self._require_role("confirm_purge")
        purge = self.get_purge(purge_id)
        if purge.state != "listed":
            raise DomainError(f"Danh sách hủy dữ liệu này không còn chờ xác nhận ({purge.state_label.lower()}).",
                              code="purge_state")
        with self.store.transaction():
            self.store.privacy.set_purge(purge.id, state="cancelled")
        return self.get_purge(purge.id)

    def record_incident(self, *, detected_at: datetime, kind: str, description: str, data_affected: str = "",
                        people_affected: int | str | None = None, measures: str = "") -> Incident:
        """Any clerk logged in records what they found; the 72 hours run from ``detected_at``."""
        if self.clerk is None:
            raise NotLoggedIn()
        now = self.now()
        values = check_incident(detected_at=as_vn(detected_at), kind=kind, description=description,
                                data_affected=data_affected, people_affected=people_affected, measures=measures,
                                now=now)
        incident_id = self.new_id()
        self.store.privacy.add_incident({**values, "id": incident_id, "recorded_at": now, "recorded_by": self.clerk.username})
        return self.incident(incident_id)

    def incident(self, incident_id: str) -> Incident:
        row = self.store.privacy.get_incident(incident_id)
        if row is None:
            raise DomainError(f"Không có sự cố “{incident_id}”.", code="not_found")
        return Incident.from_row(row)

    def incidents(self) -> list[Incident]:
        """Newest first."""
        return [Incident.from_row(r) for r in self.store.privacy.incidents()]

    def mark_incident_reported(self, incident_id: str, reported_to: str, at: datetime | None = None) -> Incident:
        """The leader notes when and to whom the breach was reported."""
        self._require_role("reports")
        incident = self.incident(incident_id)
        when = as_vn(at) if at is not None else self.now()
        to = check_report(incident, reported_to=reported_to, at=when, now=self.now())
        self.store.privacy.mark_incident_reported(incident.id, to, when)
        return self.incident(incident.id)


def _purged_dossier_problems(row: Mapping[str, Any], journal: list[Action]) -> list[str]:
    """A purged dossier: every action a tombstone, no personal data left in its row."""
    problems = []
    if row["purged_at"] is None or any(a.purged_at is None for a in journal):
        problems.append(f"Hồ sơ {row['code']}: chỉ một phần dữ liệu được hủy (nhật ký và hồ sơ không khớp).")
    if row["applicant_name"] or row["applicant_id_number"] or row["applicant_phone"] or row["applicant_id"]:
        problems.append(f"Hồ sơ {row['code']}: đã hủy dữ liệu nhưng vẫn còn thông tin người nộp.")
    return problems
