"""Decree 118/2025 and Circular 03/2025 at the counter: step times in working hours on the
control slip, the verification clock paused and resumed, location-independent intake."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from pypdf import PdfReader

from desk_app.models.clock import VN_TZ
from desk_app.models.errors import IllegalTransition, ValidationError
from desk_app.models.lifecycle import flags
from desk_app.printing.papers import Papers

CORRECTION = "1.004859"  # change/correction of civil status: hand-over steps of 4 h and 16 h
MARITAL = "1.004873"  # marital-status certificate: verification may add up to 20 days
COPY = "2.000815"  # certified copy: location independent
BIRTH = "1.001193"
UNIT = "Sở Tư pháp tỉnh Hà Tĩnh"


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def verdicts(counter, code: str) -> list[str]:
    papers = Papers(counter)
    view = counter.dossiers.dossier(code)
    ctx = papers.dossier_context(view, papers.template_for(view, "control"))
    return [(s["verdict"], s["due"]) for s in ctx["dossier"]["steps"]]


@pytest.mark.parametrize("returned_at, verdict", [
    ((2026, 11, 25, 14, 45), "Trước hạn"),  # step due Thursday 26/11 10:15
    ((2026, 11, 26, 10, 0), "Đúng hạn"),
    ((2026, 11, 27, 8, 0), "Quá hạn"),
])
def test_hour_based_steps_are_judged_on_the_control_slip(counter, clock, applicant, returned_at, verdict):
    view = counter.dossiers.receive(CORRECTION, applicant)  # Monday 23/11 09:00
    clock.set(2026, 11, 23, 10, 15)
    counter.dossiers.transfer(view.code, UNIT)  # the ward's 4 working hours end at 14:30
    clock.set(*returned_at)
    counter.dossiers.transfer_returned(view.code, UNIT)
    [(first, first_due), (second, second_due)] = verdicts(counter, view.code)
    assert first == "Đúng hạn" and first_due == datetime(2026, 11, 23, 14, 30, tzinfo=VN_TZ)
    # 16 h from Monday 10:15: 5 h 15 that day, Tuesday 24/11 is a holiday, 8 h Wednesday, 2 h 45 Thursday
    assert second_due == datetime(2026, 11, 26, 10, 15, tzinfo=VN_TZ)
    assert second == verdict
    text = text_of(Papers(counter).dossier_paper(view.code, "control", record=False).pdf)
    assert verdict in text and "hạn của bước: 10:15 26/11/2026" in text


def test_a_late_ward_step_and_step_times_given_by_the_clerk(counter, clock, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)  # no step times in the catalogue for this one
    clock.set(2026, 11, 23, 16, 0)
    counter.dossiers.transfer(view.code, UNIT, step_hours=2, return_hours=8)
    clock.set(2026, 11, 25, 15, 0)
    counter.dossiers.transfer_returned(view.code, UNIT)
    [(first, _), (second, second_due)] = verdicts(counter, view.code)
    assert first == "Quá hạn"  # 2 h from 09:00 ends at 11:00
    assert second_due == datetime(2026, 11, 25, 16, 0, tzinfo=VN_TZ)  # 1 h Monday, 7 h Wednesday
    assert second == "Đúng hạn"
    with pytest.raises(ValidationError, match="lớn hơn 0"):
        counter.dossiers.transfer(counter.dossiers.receive(MARITAL, applicant).code, UNIT, step_hours=0)


def test_verification_pauses_the_clock_and_moves_the_appointment(counter, clock, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)
    assert view.state.due_at == datetime(2026, 11, 27, 17, 0, tzinfo=VN_TZ)
    clock.set(2026, 11, 25, 9, 0)
    paused = counter.dossiers.pause_clock(view.code, "Chờ kết quả xác minh tình trạng hôn nhân tại nơi cư trú trước")
    with pytest.raises(IllegalTransition, match="đang tạm dừng"):
        counter.dossiers.pause_clock(view.code, "Lần nữa")
    clock.set(2026, 11, 30, 8, 0)  # past the first appointment, but the clock stands still
    state = counter.dossiers.dossier(view.code).state
    assert "overdue" not in flags(state, clock()) and "paused" in flags(state, clock())
    assert paused.state.paused_at is not None
    clock.set(2026, 11, 26, 9, 0)  # resumed the next morning: 6 h 30 Wednesday + 1 h 30 Thursday
    resumed = counter.dossiers.resume_clock(view.code)
    assert resumed.state.paused_at is None
    assert resumed.state.due_at == datetime(2026, 11, 30, 17, 0, tzinfo=VN_TZ)
    assert resumed.state.original_due_at == resumed.state.due_at  # paused time is not legal time
    with pytest.raises(ValidationError, match="không tạm dừng"):
        counter.dossiers.resume_clock(view.code)
    clock.set(2026, 11, 30, 11, 0)
    counter.dossiers.mark_result_ready(view.code)
    assert counter.dossiers.return_result(view.code).state.timeliness == "on_time"


def test_only_procedures_with_verification_can_pause(counter, applicant):
    view = counter.dossiers.receive(COPY, applicant, form_data={"pages": 1, "copies": 1})
    with pytest.raises(ValidationError, match="không có thời gian xác minh"):
        counter.dossiers.pause_clock(view.code, "Xác minh")


def test_a_citizen_of_another_ward_is_received_and_routed(counter, clock, applicant):
    other = {**applicant, "address": "Thôn 2, xã Thạch Hạ, tỉnh Hà Tĩnh"}
    view = counter.dossiers.receive(COPY, other, form_data={"pages": 3, "copies": 2}, home_unit="UBND xã Thạch Hạ")
    assert view.state.data["home_unit"] == "UBND xã Thạch Hạ"
    receipt = text_of(Papers(counter).dossier_paper(view.code, "receipt", record=False).pdf)
    assert ("8. Hồ sơ được tiếp nhận không phụ thuộc địa giới hành chính và được chuyển đến "
            "UBND xã Thạch Hạ để giải quyết.") in receipt
    assert "Thôn 2, xã Thạch Hạ" in receipt
    clock.set(2026, 11, 23, 9, 30)
    counter.dossiers.transfer(view.code, "UBND xã Thạch Hạ")
    control = text_of(Papers(counter).dossier_paper(view.code, "control", record=False).pdf)
    assert "Nhận: UBND xã Thạch Hạ" in control

    local = text_of(Papers(counter).dossier_paper(
        counter.dossiers.receive(COPY, applicant, form_data={"pages": 1, "copies": 1}).code, "receipt", record=False).pdf)
    assert "không phụ thuộc địa giới" not in local

    with pytest.raises(ValidationError, match="chưa được tiếp nhận không phụ thuộc địa giới hành chính"):
        counter.dossiers.receive(BIRTH, other, home_unit="UBND xã Thạch Hạ")
