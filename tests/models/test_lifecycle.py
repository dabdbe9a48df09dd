"""The lifecycle rules, replayed from journals built by hand (no storage, no Qt)."""

from datetime import datetime, timedelta

import pytest

from desk_app.models.clock import VN_TZ
from desk_app.models.errors import IllegalTransition, ValidationError
from desk_app.models.journal import Action, new_id
from desk_app.models.lifecycle import (
    DossierState,
    apply,
    check_transition,
    derive_state,
    flags,
    summarise,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)  # a Monday
DUE = datetime(2026, 11, 26, 17, 0, tzinfo=VN_TZ)


def act(kind, at=T0, **payload):
    return Action(id=new_id(), dossier_id="d1", kind=kind, at=at, clerk="lan", counter=1,
                  device_id="dev", payload=payload)


def received(at=T0, due=DUE):
    return act("received", at=at, due_at=due.isoformat(), clock_started_at=at.isoformat())


def test_timeliness_is_judged_on_the_result_against_the_first_appointment():
    def solved(ready_at, returned_at):
        return derive_state([received(), act("processing_started"), act("result_ready", at=ready_at),
                             act("returned", at=returned_at)])
    early = solved(datetime(2026, 11, 24, 10, 0, tzinfo=VN_TZ), datetime(2026, 11, 24, 10, 30, tzinfo=VN_TZ))
    on_time = solved(datetime(2026, 11, 26, 16, 59, tzinfo=VN_TZ), datetime(2026, 11, 26, 16, 59, tzinfo=VN_TZ))
    late = solved(datetime(2026, 11, 27, 8, 0, tzinfo=VN_TZ), datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ))
    collected_later = solved(datetime(2026, 11, 25, 8, 0, tzinfo=VN_TZ), datetime(2026, 12, 3, 9, 0, tzinfo=VN_TZ))
    assert (early.status, early.timeliness) == ("returned", "early")
    assert on_time.timeliness == "on_time"
    assert late.timeliness == "late"
    assert collected_later.timeliness == "early"  # the citizen came late, the ward was not
    assert "late_without_apology" in flags(late, late.returned_at)
    s = summarise([early, on_time, late, derive_state([received()])])
    assert (s.solved, s.early, s.on_time, s.late) == (3, 1, 1, 1)
    assert s.sentence() == "Đã giải quyết 3 hồ sơ: 1 trước hạn, 1 đúng hạn, 1 quá hạn."


def test_supplement_only_once_at_intake():
    state = derive_state([act("supplement_requested", items=["Giấy chứng sinh"], reason="Thiếu giấy chứng sinh")])
    assert state.status == "waiting_supplement"
    state = apply(state, received().__class__(**{**received().__dict__, "kind": "supplemented"}))
    assert state.status == "received" and state.supplement_requests == 1
    with pytest.raises(IllegalTransition) as err:
        apply(state, act("supplement_requested", items=["Bản sao CCCD"], reason="Mờ"))
    assert "không yêu cầu bổ sung hồ sơ quá một lần" in err.value.message


def test_supplement_after_receipt_restarts_the_clock_and_is_still_only_once():
    state = derive_state([received(), act("supplement_requested", items=["Tờ khai ký lại"], reason="Sai ngày sinh")])
    assert state.status == "waiting_supplement" and state.due_at is None
    later = T0 + timedelta(days=2)
    new_due = DUE + timedelta(days=2)
    state = apply(state, act("supplemented", at=later, due_at=new_due.isoformat(), clock_started_at=later.isoformat()))
    assert state.due_at == new_due and state.received_at == later
    with pytest.raises(IllegalTransition):
        check_transition(state, "supplement_requested")


def test_supplement_request_lists_items_and_reason():
    with pytest.raises(ValidationError) as err:
        apply(DossierState(), act("supplement_requested", items=[], reason="x"))
    assert err.value.field == "items"
    with pytest.raises(ValidationError):
        apply(DossierState(), act("supplement_requested", items=["a"], reason=""))


def test_illegal_steps_have_vietnamese_messages():
    with pytest.raises(IllegalTransition) as err:
        derive_state([received(), act("returned")])
    assert err.value.message == "Không thể thực hiện “Trả kết quả” khi hồ sơ đang ở trạng thái “Đã tiếp nhận”."
    with pytest.raises(IllegalTransition):
        derive_state([act("result_ready")])
    with pytest.raises(IllegalTransition):
        derive_state([received(), received()])


def test_refusal_needs_a_reason_and_is_final():
    state = derive_state([act("refused", reason="Không thuộc thẩm quyền")])
    assert state.status == "refused" and state.refusal_reason == "Không thuộc thẩm quyền"
    with pytest.raises(IllegalTransition):
        apply(state, act("processing_started"))
    with pytest.raises(ValidationError):
        derive_state([act("refused", reason="")])


def test_apology_once_with_later_date():
    state = derive_state([received(), act("processing_started")])
    new_due = DUE + timedelta(days=3)
    state = apply(state, act("apology_issued", reason="Chờ xác minh", new_due_at=new_due.isoformat(), on_time=True))
    assert state.due_at == new_due and state.original_due_at == DUE and state.apologies == 1
    with pytest.raises(IllegalTransition) as err:
        apply(state, act("apology_issued", reason="Lần hai", new_due_at=(new_due + timedelta(days=1)).isoformat()))
    assert "không được hẹn lại lần thứ hai" in err.value.message
    with pytest.raises(ValidationError):
        apply(derive_state([received()]), act("apology_issued", reason="x", new_due_at=(DUE - timedelta(days=1)).isoformat()))


def test_late_return_with_apology_is_late_but_not_flagged():
    state = derive_state([
        received(),
        act("apology_issued", reason="Chờ xác minh", new_due_at=(DUE + timedelta(days=2)).isoformat()),
        act("result_ready", at=DUE + timedelta(days=1)),
        act("returned", at=DUE + timedelta(days=1, hours=1)),
    ])
    assert state.timeliness == "late"
    assert "late_without_apology" not in flags(state, DUE + timedelta(days=5))


def test_withdraw_before_result_only():
    assert derive_state([received(), act("withdrawn", reason="Công dân rút hồ sơ")]).status == "withdrawn"
    with pytest.raises(IllegalTransition) as err:
        derive_state([received(), act("result_ready"), act("withdrawn", reason="x")])
    assert "đã có kết quả" in err.value.message


def test_flags_overdue_needs_apology_ready_early_notify():
    state = derive_state([received()])
    assert flags(state, DUE - timedelta(hours=1)) == frozenset()
    # the last day an apology is on time: the dossier needs one from now unless its result comes
    assert flags(state, DUE - timedelta(hours=1), due_soon=True) == {"due_soon", "needs_apology"}
    apologised = apply(state, act("apology_issued", reason="Chờ xác minh", new_due_at=(DUE + timedelta(days=3)).isoformat()))
    assert flags(apologised, DUE - timedelta(hours=1), due_soon=True) == {"due_soon"}
    assert flags(state, DUE + timedelta(minutes=1)) == {"overdue", "needs_apology"}
    ready = apply(state, act("result_ready", at=T0 + timedelta(hours=2)))
    assert flags(ready, T0 + timedelta(hours=3)) == {"ready_early", "notify_citizen"}
    told = apply(ready, act("citizen_notified", channel="Điện thoại"))
    assert flags(told, T0 + timedelta(hours=3)) == {"ready_early"}


def test_transfer_and_return_from_higher_level():
    state = derive_state([
        received(), act("transferred", to_unit="UBND tỉnh"), act("transfer_received", unit="UBND tỉnh"),
        act("transfer_returned", from_unit="UBND tỉnh"),
    ])
    assert state.status == "result_ready" and state.transferred
    with pytest.raises(ValidationError):
        derive_state([received(), act("transferred", to_unit="")])


def test_printing_is_allowed_in_any_state_and_counted():
    state = derive_state([act("refused", reason="Không đủ điều kiện"), act("printed", form="refusal")])
    assert state.prints == 1 and state.status == "refused"
    with pytest.raises(IllegalTransition):
        derive_state([act("printed", form="receipt")])  # nothing to print before the dossier exists
