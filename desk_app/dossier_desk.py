"""The dossier path at the counter: intake, the one supplement request, refusal, processing,
hand-over to the level above and back, the clock paused for verification, the result, the
apology, the return, printing recorded; and reading a dossier back. Reached as
``counter.dossiers`` (the way Anki's collection has its decks and notes managers).

Every operation validates first, then writes the dossier row, the journal action, the outbox row
and the projection in one transaction, and returns the dossier as it now is (``DossierView``):
what a screen refreshes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .models.catalogue import Procedure
from .models.changes import Changes, dossier_changes
from .models.clock import as_vn
from .models.deadlines import compute_due
from .models.dossier_code import make_code
from .models.errors import DomainError, ValidationError
from .models.intake import (
    PaperReceived,
    missing_components,
    normalize_person,
    papers_from_checklist,
    quote_fee,
)
from .models.journal import Action
from .models.lifecycle import DossierState, apply, check_reason, derive_state, dossier_flags
from .models.papers import copy_kind
from .models.queues import queue as queue_rule
from .models.survey import CHANNELS, check_answers
from .models.text import clean_text
from .storage.records import DossierRow, dossier_row

if TYPE_CHECKING:
    from .counter import Counter


@dataclass(frozen=True)
class DossierView:
    """A dossier with its journal-derived state and flags, as screens and slips need it."""

    row: DossierRow
    state: DossierState
    flags: frozenset[str]
    procedure: Procedure | None
    warnings: tuple[str, ...] = ()  # e.g. CCCD disagrees with the birth year: shown once, not stored
    changes: Changes = Changes()  # what the operation that returned this view changed
    repeated: bool = False  # the form was saved before: this is that dossier, nothing new recorded

    @property
    def code(self) -> str:
        return self.row.code

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def status(self) -> str:
        return self.state.status or ""




class DossierDesk:
    def __init__(self, counter: "Counter") -> None:
        self.counter = counter
        self.store = counter.store

    def receive(self, procedure_code: str, applicant: Mapping[str, Any], *,
                form_data: Mapping[str, Any] | None = None, papers: Iterable[str] | None = None,
                principal: Mapping[str, Any] | None = None, authorisation: str | None = None,
                with_verification: bool = False, template: tuple[str, str] | None = None,
                home_unit: str | None = None, submission_id: str | None = None) -> DossierView:
        """Receive a complete dossier: code, due time, receipt. Incomplete papers are refused
        here with the list to put on the one supplement request. ``home_unit`` names the ward
        or commune of a citizen from elsewhere (location-independent intake): the dossier is
        then routed there with its control slip. ``submission_id`` names the form typed (the
        intake draft): saving it again returns the dossier it became (``repeated``)."""
        saved = self.saved_as(submission_id)
        if saved is not None:
            return saved
        proc = self.counter.catalogue.get(procedure_code)
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
        now = self.counter.now()
        due = compute_due(now, proc.time_limit, self.counter.calendar, self.counter.office_hours,
                          with_verification=with_verification)
        fee = quote_fee(proc, form_data or {}, self.counter.settings(), today=now.date())
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
                            authorisation, template, submission_id)

    def receive_and_return(self, procedure_code: str, applicant: Mapping[str, Any], **receive: Any) -> DossierView:
        """"Không hẹn": a complete same-day dossier received, solved at the counter and handed back
        to the applicant, in one transaction (all three steps are journalled, or none)."""
        proc = self.counter.catalogue.get(procedure_code)
        if proc.time_limit.kind != "same_day":
            raise ValidationError("Chỉ thủ tục giải quyết trong ngày mới trả ngay được.", field="procedure_code")
        with self.store.transaction():
            view = self.receive(procedure_code, applicant, **receive)
            if view.repeated:
                return view
            self.mark_result_ready(view.code, note="Giải quyết ngay tại quầy")
            returned = self.return_result(view.code, received_by=view.row.applicant_name, at_once=True)
        return replace(returned, warnings=view.warnings, changes=view.changes | returned.changes)

    def request_supplement(self, items: Iterable[str], reason: str, *, dossier: str | None = None,
                           procedure_code: str | None = None, applicant: Mapping[str, Any] | None = None,
                           form_data: Mapping[str, Any] | None = None, papers: Iterable[str] | None = None,
                           contact: str | None = None, principal: Mapping[str, Any] | None = None,
                           template: tuple[str, str] | None = None, submission_id: str | None = None) -> DossierView:
        """The one supplement request: every missing or wrong item at once.

        At intake (no ``dossier`` yet) it opens the dossier; later it applies to ``dossier``."""
        items = [clean_text(i) for i in items if clean_text(i)]
        if not items:
            raise ValidationError("Phải ghi đủ các nội dung cần bổ sung (ghi một lần tất cả).", field="items")
        payload = {"items": items, "reason": clean_text(reason), "contact": clean_text(contact or "")}
        if dossier is not None:
            return self._record(dossier, "supplement_requested", payload)
        saved = self.saved_as(submission_id)  # a second Ctrl+B: the one request already made
        if saved is not None:
            return saved
        if not procedure_code or applicant is None:
            raise ValidationError("Phải chọn thủ tục và nhập người nộp hồ sơ.", field="procedure_code")
        proc = self.counter.catalogue.get(procedure_code)
        return self._create(proc, "supplement_requested", payload, applicant, form_data,
                            papers_from_checklist(proc, papers if papers is not None else []), principal, None,
                            template, submission_id)

    def supplement(self, dossier: str, *, papers: Iterable[str] | None = None,
                   with_verification: bool = False) -> DossierView:
        """The citizen brought what was asked (``papers``: the components ticked as brought; None:
        every required one): the dossier is received and the clock counts from now, the day it is
        complete. Still incomplete, it is refused here: there is no second supplement request."""
        view = self.dossier(dossier)
        now = self.counter.now()
        proc = view.procedure or self.counter.catalogue.get(view.row.procedure_code)
        brought = papers_from_checklist(proc, papers)
        held = [PaperReceived(p["name"], p["paper_kind"], p["count"]) for p in view.state.data.get("papers") or []]
        missing = missing_components(proc, held + brought)
        if missing:
            raise DomainError("Hồ sơ vẫn chưa đủ: " + "; ".join(missing) + ". Theo quy định không yêu cầu bổ sung "
                              "lần thứ hai: hãy từ chối tiếp nhận và in phiếu từ chối.", code="incomplete")
        due = compute_due(now, proc.time_limit, self.counter.calendar, self.counter.office_hours,
                          with_verification=with_verification)
        payload = {
            "due_at": due.due_at.isoformat(),
            "clock_started_at": now.isoformat(),
            "with_verification": with_verification,
            "papers": [p.to_dict() for p in brought],
            "skipped_days": [[s.day.isoformat(), s.reason] for s in due.skipped],
        }
        return self._record(view.id, "supplemented", payload)

    def refuse(self, reason: str, *, dossier: str | None = None, procedure_code: str | None = None,
               applicant: Mapping[str, Any] | None = None, form_data: Mapping[str, Any] | None = None,
               template: tuple[str, str] | None = None, submission_id: str | None = None) -> DossierView:
        payload = {"reason": clean_text(reason)}
        if dossier is not None:
            return self._record(dossier, "refused", payload)
        saved = self.saved_as(submission_id)
        if saved is not None:
            return saved
        if not procedure_code or applicant is None:
            raise ValidationError("Phải chọn thủ tục và nhập người nộp hồ sơ.", field="procedure_code")
        proc = self.counter.catalogue.get(procedure_code)
        return self._create(proc, "refused", payload, applicant, form_data, [], None, None, template, submission_id)

    def start_processing(self, dossier: str, *, note: str = "", to: str = "") -> DossierView:
        """The one-stop hands the dossier to the specialist ``to`` (a person or a unit): recorded
        with its time and the clerk, and listed on the control slip (Mẫu số 06)."""
        return self._record(dossier, "processing_started", {"note": clean_text(note), "to": clean_text(to)})

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
        now = self.counter.now()
        stood = self.counter.calendar.working_hours_between(state.paused_at, now)
        due = self.counter.calendar.add_working_hours(state.due_at, stood) if stood else state.due_at
        original = state.original_due_at or state.due_at
        original_due = self.counter.calendar.add_working_hours(original, stood) if stood else original
        return self._record(view.id, "clock_resumed", {
            "due_at": as_vn(due).isoformat(), "original_due_at": as_vn(original_due).isoformat(),
            "paused_hours": round(stood, 2), "note": clean_text(note)})

    def mark_result_ready(self, dossier: str, *, note: str = "") -> DossierView:
        return self._record(dossier, "result_ready", {"note": clean_text(note)})

    def notify_citizen(self, dossier: str, channel: str, *, note: str = "") -> DossierView:
        return self._record(dossier, "citizen_notified", {"channel": clean_text(channel), "note": clean_text(note)})

    def return_result(self, dossier: str, *, received_by: str = "", note: str = "",
                      at_once: bool = False) -> DossierView:
        """The result handed over; ``at_once``: in the sitting it was received (the receipt says so)."""
        payload: dict[str, Any] = {"received_by": clean_text(received_by), "note": clean_text(note)}
        if at_once:
            payload["at_once"] = True
        return self._record(dossier, "returned", payload)

    def issue_apology(self, dossier: str, reason: str, new_due_at: datetime | date, *,
                      channel: str = "Trực tiếp") -> DossierView:
        """Apology and a new appointment (once per dossier). A date alone means office closing time."""
        view = self.dossier(dossier)
        if isinstance(new_due_at, datetime):
            new_due = as_vn(new_due_at)
        else:
            new_due = as_vn(datetime.combine(new_due_at, self.counter.office_hours.closing))
        if not self.counter.calendar.is_working_day(new_due.date()):
            raise ValidationError(
                f"Ngày hẹn mới {new_due:%d/%m/%Y} không phải ngày làm việc "
                f"({self.counter.calendar.why_not_working(new_due.date())}).", field="new_due_at")
        now = self.counter.now()
        on_time = bool(view.state.due_at and
                       self.counter.calendar.working_days_between(now.date(), view.state.due_at.date()) >= 1)
        return self._record(view.id, "apology_issued", {
            "reason": clean_text(reason), "new_due_at": new_due.isoformat(),
            "previous_due_at": view.state.due_at.isoformat() if view.state.due_at else None,
            "channel": clean_text(channel), "on_time": on_time,
        })

    def record_survey(self, dossier: str, answers: Mapping[str, Any], *, channel: str = "citizen") -> DossierView:
        """The citizen's answers after the return, once per dossier. Anonymous: no name is asked
        or kept; the dossier code is the only link."""
        if channel not in CHANNELS:
            raise ValidationError(f"Cách ghi nhận khảo sát “{channel}” không hợp lệ.", field="channel")
        survey = self.counter.survey
        clean = check_answers(survey, answers)
        return self._record(dossier, "survey_recorded", {"survey": survey.key, "channel": channel,
                                                          "answers": clean})

    def withdraw(self, dossier: str, reason: str, *, requested_at: datetime | None = None) -> DossierView:
        return self._record(dossier, "withdrawn", {
            "reason": clean_text(reason),
            "requested_at": (as_vn(requested_at) if requested_at else self.counter.now()).isoformat(),
        })

    def cancel(self, dossier: str, reason: str) -> DossierView:
        """"Hủy hồ sơ nhập nhầm": a dossier typed by mistake stops being a record (never "dừng
        giải quyết", which is a legal act). The clerk may before any paper reached the citizen
        (nothing printed, nothing returned); after, only a leader. Its code is never reused."""
        view = self.dossier(dossier)
        self.counter.require_role("process")
        refusal = self.cancel_refusal(view)
        if refusal:
            raise DomainError(refusal, code="forbidden")
        handed = view.status == "returned" or view.state.prints > 0
        return self._record(view.id, "cancelled", {"reason": clean_text(reason), "handed_over": handed})

    def cancel_refusal(self, view: DossierView) -> str | None:
        """Why the clerk logged in may not cancel this dossier as a mistake (None: may)."""
        clerk = self.counter.clerk
        handed = view.status == "returned" or view.state.prints > 0
        if handed and not (clerk and clerk.can("cancel_handed_over")):
            return (f"Hồ sơ {view.code} đã có giấy tờ giao cho công dân (đã in hoặc đã trả kết quả): "
                    "chỉ lãnh đạo được hủy hồ sơ nhập nhầm.")
        return None

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
                     copies: int = 1, digest: str = "") -> DossierView:
        """Printing is audited: which paper, which template version, original or reprint, and the
        SHA-256 of the PDF that went to the printer (``digest``), so the paper can be matched later."""
        view = self.dossier(dossier)
        kind = copy_kind(self.store.actions_for(view.id), form)
        payload: dict[str, Any] = {"form": form, "template_id": template_id, "template_version": template_version,
                                   "copy_kind": kind, "copies": copies}
        if digest:
            payload["sha256"] = digest
        printed = self._record(view.id, "printed", payload)
        self.counter.privacy.log_access("print", view.code, {"form": form, "copy_kind": kind, "copies": copies})
        return printed

    def dossier(self, key: str) -> DossierView:
        row = self.store.get_dossier(key)
        if row is None:
            raise DomainError(f"Không tìm thấy hồ sơ “{key}”.", code="not_found")
        return self._view(row, derive_state(self._journal(row)))

    def _view(self, row: DossierRow, state: DossierState) -> DossierView:
        try:
            proc = self.counter.catalogue.get(row.procedure_code)
        except DomainError:
            proc = None
        return DossierView(row, state, dossier_flags(state, self.counter.now(), self.counter.calendar), proc)

    def search(self, query: str, limit: int = 50) -> list[DossierRow]:
        """Dossiers by name, CCCD, phone or code; a search by ID number is logged (masked)."""
        rows = self.store.search.search_dossiers(query, limit)
        self.counter.privacy._log_id_search(query, "dossiers", len(rows))
        return rows

    def queue(self, name: str, limit: int = 500) -> list[DossierRow]:
        """A work queue (models/queues.py), read from the projection (fast on a million dossiers)."""
        now, rule = self.counter.now(), queue_rule(name)
        rows = self.store.lists.queue_rows(rule.window(now, self.counter.calendar), limit)
        return [r for r in rows if rule.admits(r.state, now, self.counter.calendar)]

    def flags_of(self, row: DossierRow) -> frozenset[str]:
        """A listed dossier's flags, judged as its detail pane judges them."""
        return dossier_flags(row.state, self.counter.now(), self.counter.calendar)

    def saved_as(self, submission_id: str | None) -> DossierView | None:
        """The dossier this form was saved as, when it was: a second Ctrl+Enter, Ctrl+B or click
        shows it and records nothing (ODK's idempotent submission)."""
        found = self.store.people.submitted(submission_id) if submission_id else None
        return replace(self.dossier(found), repeated=True) if found else None

    def _action(self, dossier_id: str, kind: str, payload: Mapping[str, Any], at: datetime) -> Action:
        check_reason(kind, payload)
        clerk = self.counter.require_role("intake" if kind in ("received", "supplement_requested", "refused") else "process")
        return Action(id=self.counter.new_id(), dossier_id=dossier_id, kind=kind, at=at, clerk=clerk.username,
                      counter=self.counter.counter_no, device_id=self.counter.device_id, payload=dict(payload))

    def _create(self, proc: Procedure, kind: str, payload: dict[str, Any], applicant: Mapping[str, Any],
                form_data: Mapping[str, Any] | None, papers: list[PaperReceived],
                principal: Mapping[str, Any] | None, authorisation: str | None,
                template: tuple[str, str] | None, submission_id: str | None = None) -> DossierView:
        now = self.counter.now()
        person = normalize_person(applicant, today=now.date(), prefix="applicant.")
        principal_person = (normalize_person(principal, today=now.date(), prefix="principal.")
                            if principal else None)
        if principal_person and not clean_text(authorisation or ""):
            raise ValidationError("Nộp thay phải ghi giấy tờ ủy quyền.", field="authorisation")
        clean_form = {k: clean_text(v) if isinstance(v, str) else v for k, v in (form_data or {}).items()}
        template_id, template_version = template or (proc.declaration_template, "")
        if template_id and not template_version and template_id in self.counter.templates.ids():
            template_version = self.counter.templates.latest(template_id).version  # pinned for life
        dossier_id = self.counter.new_id()
        ward, counter_no = self.counter.ward_code, self.counter.counter_no
        action = self._action(dossier_id, kind, payload, now)  # checks the clerk before anything is written
        state = apply(DossierState(), action)
        with self.store.transaction():
            code = make_code(ward, counter_no, now.date(), self.store.next_sequence(f"{now:%y%m%d}"))
            citizen_id = self.store.people.save_citizen({**person.to_dict(), "id": self.counter.new_id()}, now=now)
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
            if submission_id:
                snapshot["submission_id"] = submission_id
            if payload.get("home_unit"):
                snapshot["home_unit"] = payload["home_unit"]
            action = Action(**{**action.__dict__, "payload": {**payload, "dossier": snapshot}})
            state = apply(DossierState(), action)
            self.store.insert_dossier(dossier_row(dossier_id, snapshot, now, applicant_id=citizen_id))
            self.store.append_action(action, state)
        row = self.store.get_dossier(dossier_id)
        return replace(self._view(row, state), warnings=person.warnings, changes=dossier_changes(code, None, state))

    def _record(self, key: str, kind: str, payload: Mapping[str, Any]) -> DossierView:
        row = self.store.get_dossier(key)
        if row is None:
            raise DomainError(f"Không tìm thấy hồ sơ “{key}”.", code="not_found")
        action = self._action(row.id, kind, payload, self.counter.now())
        with self.store.transaction():
            # derive inside the write lock: the state cannot change under us
            before = derive_state(self._journal(row))
            state = apply(before, action)
            self.store.append_action(action, state)
        return replace(self._view(row.with_state(state), state), changes=dossier_changes(row.code, before, state))

    def _journal(self, row: DossierRow) -> list[Action]:
        """A dossier's actions; a purged dossier has none to read or add to."""
        actions = self.store.actions_for(row.id)
        purged = next((a.purged_at for a in actions if a.purged_at is not None), None)
        if purged is not None:
            raise DomainError(f"Hồ sơ {row.code} đã hết thời hạn lưu trữ: dữ liệu cá nhân đã được xóa ngày "
                              f"{as_vn(purged):%d/%m/%Y} theo xác nhận của lãnh đạo.", code="purged")
        return actions

