"""A dossier's lifecycle, derived from its action journal.

The journal is the truth; status and flags are computed from it (``derive_state``,
``flags``). An action the current status does not allow raises ``IllegalTransition``
with a Vietnamese message for the clerk.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Mapping

from .deadlines import classify_return, is_due_soon
from .errors import IllegalTransition, ValidationError
from .journal import Action

# Action kinds (English in code) with the Vietnamese wording the clerk sees.
ACTION_LABELS: dict[str, str] = {
    "received": "Tiếp nhận hồ sơ",
    "supplement_requested": "Yêu cầu bổ sung hồ sơ",
    "supplemented": "Công dân đã bổ sung hồ sơ",
    "refused": "Từ chối tiếp nhận hồ sơ",
    "processing_started": "Chuyển xử lý",
    "transferred": "Chuyển liên thông",
    "transfer_received": "Cơ quan cấp trên đã nhận hồ sơ",
    "transfer_returned": "Nhận lại kết quả liên thông",
    "result_ready": "Có kết quả",
    "citizen_notified": "Đã báo công dân",
    "returned": "Trả kết quả",
    "apology_issued": "Xin lỗi và hẹn lại ngày trả",
    "withdrawn": "Dừng giải quyết theo yêu cầu",
    "printed": "In giấy tờ",
    "official_code_assigned": "Nhận mã hồ sơ của hệ thống cấp trên",
    "survey_recorded": "Ghi nhận khảo sát sự hài lòng",
    "clock_paused": "Tạm dừng tính thời hạn (xác minh)",
    "clock_resumed": "Tính tiếp thời hạn",
    "note": "Ghi chú",
    "cancelled": "Hủy hồ sơ nhập nhầm",
}
ACTION_KINDS = tuple(ACTION_LABELS)

STATUS_LABELS: dict[str, str] = {
    "waiting_supplement": "Chờ bổ sung",
    "received": "Đã tiếp nhận",
    "in_progress": "Đang giải quyết",
    "transferred": "Đã chuyển liên thông",
    "result_ready": "Có kết quả, chờ trả",
    "returned": "Đã trả kết quả",
    "refused": "Từ chối tiếp nhận",
    "withdrawn": "Dừng giải quyết",
    "cancelled": "Đã hủy (nhập nhầm)",
}
STATUSES = tuple(STATUS_LABELS)
# A dossier entered by mistake and cancelled is no legal record: nothing more happens to it
LIVE_STATUSES = tuple(s for s in STATUSES if s != "cancelled")
OPEN_STATUSES = ("received", "in_progress", "transferred")  # the clock runs

FLAG_LABELS: dict[str, str] = {
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
    "needs_apology": "Cần phiếu xin lỗi",
    "late_without_apology": "Trả trễ hạn chưa có phiếu xin lỗi",
    "ready_early": "Có kết quả trước hẹn",
    "notify_citizen": "Cần báo công dân đến nhận",
    "paused": "Đang tạm dừng tính thời hạn",
}

# Which status each kind may follow (None = the dossier's first action).
ALLOWED_FROM: dict[str, tuple[str | None, ...]] = {
    "received": (None,),
    "supplement_requested": (None, "received", "in_progress"),
    "supplemented": ("waiting_supplement",),
    "refused": (None, "waiting_supplement"),
    "processing_started": ("received",),
    "transferred": ("received", "in_progress"),
    "transfer_received": ("transferred",),
    "transfer_returned": ("transferred",),
    "result_ready": ("received", "in_progress"),
    "citizen_notified": ("result_ready",),
    "returned": ("result_ready",),
    "apology_issued": ("received", "in_progress", "transferred"),
    "withdrawn": ("waiting_supplement", "received", "in_progress", "transferred"),
    "printed": LIVE_STATUSES,
    "official_code_assigned": LIVE_STATUSES,
    "survey_recorded": ("returned",),
    "clock_paused": OPEN_STATUSES,
    "clock_resumed": OPEN_STATUSES,
    "note": STATUSES,  # e.g. the level above writes where a transferred dossier stands
    "cancelled": LIVE_STATUSES,  # the clerk before any paper was handed over, a leader after
}

# Kinds whose new action must say why (the citizen, the leader or an inspector reads it on the
# paper and in the journal); journals recorded before the rule still replay.
REASON_REQUIRED: dict[str, str] = {
    "supplement_requested": "Phải ghi lý do yêu cầu bổ sung.",
    "refused": "Phải ghi lý do từ chối tiếp nhận (ghi cụ thể).",
    "withdrawn": "Phải ghi lý do dừng giải quyết.",
    "apology_issued": "Phải ghi lý do chậm trả kết quả.",
    "clock_paused": "Phải ghi lý do tạm dừng tính thời hạn.",
    "cancelled": "Phải ghi lý do hủy hồ sơ (nhập nhầm điều gì).",
}


def check_reason(kind: str, payload: Mapping[str, Any]) -> None:
    """A new action of a kind that must say why, with a blank reason, is refused."""
    message = REASON_REQUIRED.get(kind)
    if message and not str(payload.get("reason") or "").strip():
        raise ValidationError(message, field="reason")


_NEXT_STATUS: dict[str, str] = {
    "received": "received",
    "supplement_requested": "waiting_supplement",
    "supplemented": "received",
    "refused": "refused",
    "processing_started": "in_progress",
    "transferred": "transferred",
    "transfer_returned": "result_ready",
    "result_ready": "result_ready",
    "returned": "returned",
    "withdrawn": "withdrawn",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class DossierState:
    """Everything the journal says about a dossier at its last action."""

    status: str | None = None
    received_at: datetime | None = None  # clock start (receipt of a complete dossier)
    original_due_at: datetime | None = None
    due_at: datetime | None = None  # the appointment now in force
    supplement_requests: int = 0
    supplement_items: tuple[str, ...] = ()
    apologies: int = 0
    apology_reason: str | None = None
    apology_on_time: bool | None = None
    transferred: bool = False
    result_ready_at: datetime | None = None
    notified_at: datetime | None = None
    returned_at: datetime | None = None
    withdrawn_at: datetime | None = None
    refusal_reason: str | None = None
    timeliness: str | None = None  # early / on_time / late, fixed at return
    prints: int = 0
    official_code: str | None = None  # the upstream system's code, kept beside ours
    surveyed: bool = False  # one satisfaction survey per dossier, after return
    paused_at: datetime | None = None  # verification under way: the legal clock stands still
    paused_reason: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # the intake snapshot: applicant, form, papers
    action_count: int = 0
    last_action_at: datetime | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status or "", "")


def _label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", "chưa có hồ sơ")


def _require(payload: Mapping[str, Any], key: str, message: str) -> Any:
    value = payload.get(key)
    if value in (None, "", [], ()):
        raise ValidationError(message, field=key)
    return value


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def check_transition(state: DossierState, kind: str) -> None:
    """Raise ``IllegalTransition`` if ``kind`` may not follow the dossier's current status."""
    if kind not in ALLOWED_FROM:
        raise IllegalTransition(f"Thao tác không được hỗ trợ: {kind}.")
    if state.status not in ALLOWED_FROM[kind]:
        if kind == "supplement_requested" and state.supplement_requests:
            raise IllegalTransition(
                "Hồ sơ này đã được yêu cầu bổ sung một lần. Theo quy định, không yêu cầu bổ sung hồ sơ quá một lần."
            )
        if kind == "apology_issued" and state.status in ("result_ready", "returned"):
            raise IllegalTransition("Hồ sơ đã có kết quả, không cần phiếu xin lỗi và hẹn lại.")
        if kind == "survey_recorded":
            raise IllegalTransition("Chỉ khảo sát sự hài lòng khi đã trả kết quả cho công dân.")
        if kind == "withdrawn" and state.status in ("result_ready", "returned"):
            raise IllegalTransition(
                "Hồ sơ đã có kết quả giải quyết nên không thể dừng giải quyết theo yêu cầu."
            )
        raise IllegalTransition(
            f"Không thể thực hiện “{ACTION_LABELS[kind]}” khi hồ sơ đang ở trạng thái “{_label(state.status)}”."
        )
    if kind == "supplement_requested" and state.supplement_requests:
        raise IllegalTransition(
            "Hồ sơ này đã được yêu cầu bổ sung một lần. Theo quy định, không yêu cầu bổ sung hồ sơ quá một lần."
        )
    if kind == "apology_issued" and state.apologies:
        raise IllegalTransition("Hồ sơ đã được hẹn lại ngày trả một lần; không được hẹn lại lần thứ hai.")
    if kind == "clock_paused" and state.paused_at is not None:
        raise IllegalTransition("Thời hạn của hồ sơ này đang tạm dừng; hãy tính tiếp trước khi dừng lại.")
    if kind == "clock_resumed" and state.paused_at is None:
        raise IllegalTransition("Thời hạn của hồ sơ này không tạm dừng.")
    if kind == "survey_recorded" and state.surveyed:
        raise IllegalTransition("Hồ sơ này đã có phiếu khảo sát sự hài lòng.")


def apply(state: DossierState, action: Action) -> DossierState:
    """The state after ``action``. Pure: raises instead of returning a bad state."""
    kind, p, at = action.kind, action.payload, action.at
    check_transition(state, kind)
    changes: dict[str, Any] = {"action_count": state.action_count + 1, "last_action_at": at}
    if kind in _NEXT_STATUS:
        changes["status"] = _NEXT_STATUS[kind]
    if state.status is None and "dossier" in p:
        changes["data"] = p["dossier"]

    if kind in ("received", "supplemented"):
        due = _dt(_require(p, "due_at", "Thiếu thời hạn trả kết quả."))
        start = _dt(p.get("clock_started_at", at.isoformat()))
        if due < start:
            raise ValidationError("Ngày hẹn trả không thể trước thời điểm tiếp nhận.", field="due_at")
        changes.update(received_at=start, original_due_at=due, due_at=due)
    elif kind == "supplement_requested":
        items = tuple(_require(p, "items", "Phải ghi đủ các nội dung cần bổ sung (ghi một lần tất cả)."))
        _require(p, "reason", "Phải ghi lý do yêu cầu bổ sung.")
        changes.update(supplement_requests=state.supplement_requests + 1, supplement_items=items,
                       received_at=None, due_at=None, original_due_at=None)  # the clock restarts
    elif kind == "refused":
        changes["refusal_reason"] = _require(p, "reason", "Phải ghi rõ lý do từ chối tiếp nhận.")
    elif kind == "transferred":
        _require(p, "to_unit", "Phải ghi cơ quan nhận hồ sơ liên thông.")
        changes["transferred"] = True
    elif kind in ("result_ready", "transfer_returned"):
        changes["result_ready_at"] = at
    elif kind == "citizen_notified":
        _require(p, "channel", "Phải ghi cách báo công dân (điện thoại, tin nhắn, thư điện tử...).")
        changes["notified_at"] = at
    elif kind == "returned":
        # Judged on when the result was ready, against the first appointment: a citizen who
        # collects later does not make the ward late, and an apology does not make it on time.
        solved_at = state.result_ready_at or at
        changes.update(returned_at=at, timeliness=classify_return(solved_at, state.original_due_at or solved_at))
    elif kind == "apology_issued":
        reason = _require(p, "reason", "Phiếu xin lỗi phải ghi rõ lý do chậm trả kết quả.")
        new_due = _dt(_require(p, "new_due_at", "Phải ghi ngày hẹn trả mới."))
        if state.due_at is not None and new_due <= state.due_at:
            raise ValidationError("Ngày hẹn trả mới phải sau ngày hẹn cũ.", field="new_due_at")
        changes.update(apologies=state.apologies + 1, apology_reason=reason, due_at=new_due,
                       apology_on_time=bool(p.get("on_time", False)))
    elif kind == "withdrawn":
        changes["withdrawn_at"] = at
    elif kind == "official_code_assigned":
        changes["official_code"] = _require(p, "official_code", "Thiếu mã hồ sơ của hệ thống cấp trên.")
    elif kind == "clock_paused":
        changes.update(paused_at=at, paused_reason=_require(p, "reason", "Phải ghi lý do tạm dừng (ví dụ: chờ xác minh)."))
    elif kind == "clock_resumed":
        # the appointment moves by the working time the clock stood still (computed by the counter)
        due = _dt(_require(p, "due_at", "Thiếu ngày hẹn trả sau khi tính tiếp thời hạn."))
        original = _dt(p.get("original_due_at") or due)
        if state.due_at is not None and due < state.due_at:
            raise ValidationError("Ngày hẹn sau khi tính tiếp không thể sớm hơn ngày hẹn cũ.", field="due_at")
        changes.update(paused_at=None, paused_reason=None, due_at=due, original_due_at=original)
    elif kind == "survey_recorded":
        _require(p, "survey", "Thiếu mã phiếu khảo sát.")
        _require(p, "answers", "Phiếu khảo sát chưa có câu trả lời.")
        changes["surveyed"] = True
    elif kind == "note":
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("Ghi chú phải có nội dung.", field="text")
    elif kind == "printed":
        _require(p, "form", "Thiếu loại giấy tờ được in.")
        changes["prints"] = state.prints + 1
    return replace(state, **changes)


def derive_state(actions: Iterable[Action]) -> DossierState:
    """Replay a dossier's journal, in order."""
    state = DossierState()
    for action in actions:
        state = apply(state, action)
    return state


def flags(state: DossierState, now: datetime, *, due_soon: bool = False) -> frozenset[str]:
    """Conditions beside the status. ``due_soon`` comes from the calendar (see deadlines.is_due_soon):
    due today or by the next working day, the last day an apology is on time (Nghị định
    118/2025/NĐ-CP: at least one day before the due date), so from then on a dossier without
    one needs it unless its result comes in time."""
    out: set[str] = set()
    if state.paused_at is not None:
        out.add("paused")
    elif state.status in OPEN_STATUSES and state.due_at is not None:
        if now > state.due_at:
            out.add("overdue")
        elif due_soon:
            out.add("due_soon")
        if (now > state.due_at or due_soon) and not state.apologies:
            out.add("needs_apology")
    if state.status == "result_ready" and state.result_ready_at and state.due_at:
        if state.result_ready_at.date() < state.due_at.date():
            out.add("ready_early")
        if state.notified_at is None:
            out.add("notify_citizen")
    if state.status == "returned" and state.timeliness == "late" and not state.apologies:
        out.add("late_without_apology")
    return frozenset(out)


def dossier_flags(state: DossierState, now: datetime, calendar: Any) -> frozenset[str]:
    """The one place a dossier's flags are derived (list, detail pane, queues, papers alike):
    ``flags`` with "due soon" read from the working calendar."""
    soon = bool(state.due_at is not None and state.status in OPEN_STATUSES and state.paused_at is None
                and is_due_soon(now, state.due_at, calendar))
    return flags(state, now, due_soon=soon)


@dataclass(frozen=True)
class TimelinessSummary:
    """The way wards report: "508/508 giải quyết: 495 trước hạn, 13 đúng hạn, 0 quá hạn"."""

    solved: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)

    def sentence(self) -> str:
        return (f"Đã giải quyết {self.solved} hồ sơ: {self.early} trước hạn, "
                f"{self.on_time} đúng hạn, {self.late} quá hạn.")


def summarise(states: Iterable[DossierState]) -> TimelinessSummary:
    counts = {"early": 0, "on_time": 0, "late": 0}
    for s in states:
        if s.status == "returned" and s.timeliness in counts:
            counts[s.timeliness] += 1
    return TimelinessSummary(sum(counts.values()), counts["early"], counts["on_time"], counts["late"], counts)
