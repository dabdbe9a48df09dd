import unicodedata
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from desk_app.models.calendar import DayOverride, OfficeHours, SkippedDay, WorkingCalendar
from desk_app.models.deadlines import (
    TIMELINESS_LABELS,
    DueTime,
    TimeLimit,
    classify_return,
    compute_due,
    is_due_soon,
)

CAL = WorkingCalendar()
SAME_DAY = TimeLimit("same_day")
THREE_DAYS = TimeLimit("working_days", days=3)
FAST = settings(max_examples=150, deadline=None)


# -- TimeLimit -----------------------------------------------------------------------------------

def test_describe_takes_the_cutoff_as_a_parameter():
    assert SAME_DAY.describe() == (
        "Trong ngày làm việc (tiếp nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo)"
    )
    assert "sau 16 giờ 30 phút" in SAME_DAY.describe(time(16, 30))
    assert TimeLimit("working_days", days=5, verification_extra_days=10).describe() == (
        "5 ngày làm việc; trường hợp cần xác minh thêm không quá 10 ngày làm việc"
    )


def test_time_limit_dict_format_unchanged():
    data = {"kind": "working_days", "days": 3, "clock_start": "receipt_day", "verification_extra_days": 5}
    assert TimeLimit.from_dict(data).to_dict() == data
    assert TimeLimit.from_dict({"kind": "same_day"}).to_dict() == {"kind": "same_day"}


# -- compute_due: same day ------------------------------------------------------------------------

def test_tet_2026_same_day_received_friday_after_cutoff_is_due_monday_23():
    due = compute_due(datetime(2026, 2, 13, 16, 0), SAME_DAY, CAL)
    assert isinstance(due, DueTime)
    assert due.due_at == datetime(2026, 2, 23, 17, 0)
    assert due.clock_start == date(2026, 2, 23)
    assert [s.day for s in due.skipped] == [date(2026, 2, d) for d in range(14, 23)]


def test_explain_in_vietnamese():
    due = compute_due(datetime(2026, 2, 13, 16, 20), SAME_DAY, CAL)
    text = due.explain()
    assert text.startswith(
        "Tiếp nhận 16:20 ngày 13/02/2026 (sau 15:00) — hẹn trả 17:00 ngày 23/02/2026; bỏ qua: "
        "14/02/2026 (Thứ Bảy), 15/02/2026 (Chủ nhật), 16/02/2026 (Giao thừa Tết Nguyên Đán), "
    )
    assert text.endswith("22/02/2026 (Chủ nhật)")
    assert unicodedata.is_normalized("NFC", text)
    plain = compute_due(datetime(2026, 3, 10, 9, 5), SAME_DAY, CAL).explain()
    assert plain == "Tiếp nhận 09:05 ngày 10/03/2026 — hẹn trả 17:00 ngày 10/03/2026"


def test_received_at_15_00_itself_is_not_after_15_00():
    """"Tiếp nhận sau 15 giờ" (issue: 15:00 was counted as after): by the minute on the wall clock."""
    for at in (datetime(2026, 3, 10, 15, 0), datetime(2026, 3, 10, 15, 0, 40)):
        due = compute_due(at, SAME_DAY, CAL)
        assert due.due_at == datetime(2026, 3, 10, 17, 0)
        assert "sau 15:00" not in due.explain()
    late = compute_due(datetime(2026, 3, 10, 15, 1), SAME_DAY, CAL)
    assert late.due_at == datetime(2026, 3, 11, 17, 0)
    assert "(sau 15:00)" in late.explain()


def test_cutoff_at_14_59_is_due_the_same_day():
    due = compute_due(datetime(2026, 3, 10, 14, 59), SAME_DAY, CAL)
    assert due.due_at == datetime(2026, 3, 10, 17, 0)
    assert due.skipped == ()


def test_cutoff_is_a_setting():
    hours = OfficeHours(same_day_cutoff=time(16, 0))
    due = compute_due(datetime(2026, 3, 10, 15, 30), SAME_DAY, CAL, hours)
    assert due.due_at == datetime(2026, 3, 10, 17, 0)


def test_received_on_a_sunday():
    due = compute_due(datetime(2026, 3, 15, 9, 0), SAME_DAY, CAL)
    assert due.due_at == datetime(2026, 3, 16, 17, 0)
    assert due.skipped == (SkippedDay(date(2026, 3, 15), "Chủ nhật"),)
    assert due.explain().startswith("Tiếp nhận 09:00 ngày 15/03/2026 (ngày nghỉ: Chủ nhật)")
    receipt_day = TimeLimit("working_days", days=2, clock_start="receipt_day")
    assert compute_due(datetime(2026, 3, 15, 9, 0), receipt_day, CAL).due_at == datetime(2026, 3, 17, 17)


def test_hung_kings_2026_observed_monday():
    due = compute_due(datetime(2026, 4, 24, 16, 0), SAME_DAY, CAL)  # Friday after cut-off
    assert due.due_at == datetime(2026, 4, 28, 17, 0)
    assert [s.reason for s in due.skipped] == [
        "Thứ Bảy",
        "Ngày Giỗ Tổ Hùng Vương",
        "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)",
    ]


# -- compute_due: working days ---------------------------------------------------------------------

def test_tet_2026_three_working_days_received_thursday_12():
    # Day 1 = Fri 13/02, day 2 = Mon 23/02 (after Tết), day 3 = Tue 24/02.
    due = compute_due(datetime(2026, 2, 12, 10, 0), THREE_DAYS, CAL)
    assert due.clock_start == date(2026, 2, 13)
    assert due.due_at == datetime(2026, 2, 24, 17, 0)
    # Received on Friday 13/02 it is the Wednesday after Tết.
    assert compute_due(datetime(2026, 2, 13, 10, 0), THREE_DAYS, CAL).due_at == datetime(2026, 2, 25, 17)


def test_receipt_day_clock_start_respects_cutoff():
    limit = TimeLimit("working_days", days=3, clock_start="receipt_day")
    early = compute_due(datetime(2026, 3, 10, 14, 59), limit, CAL)
    assert early.clock_start == date(2026, 3, 10)
    assert early.due_at == datetime(2026, 3, 12, 17)
    at_cutoff = compute_due(datetime(2026, 3, 10, 15, 0), limit, CAL)
    assert at_cutoff.clock_start == date(2026, 3, 10)
    late = compute_due(datetime(2026, 3, 10, 15, 1), limit, CAL)
    assert late.clock_start == date(2026, 3, 11)
    assert late.due_at == datetime(2026, 3, 13, 17)


def test_national_day_2026_swap():
    # Received Friday 28/08; day 1 = Thu 03/09 (31/08–02/09 off).
    due = compute_due(datetime(2026, 8, 28, 9, 0), THREE_DAYS, CAL)
    assert due.due_at == datetime(2026, 9, 7, 17)
    # Received Friday 21/08: the swapped Saturday 22/08 is day 1.
    due = compute_due(datetime(2026, 8, 21, 9, 0), TimeLimit("working_days", days=1), CAL)
    assert due.due_at == datetime(2026, 8, 22, 17)


def test_verification_adds_working_days():
    limit = TimeLimit("working_days", days=3, verification_extra_days=5)
    base = compute_due(datetime(2026, 3, 10, 9), limit, CAL)
    extra = compute_due(datetime(2026, 3, 10, 9), limit, CAL, with_verification=True)
    assert base.due_at == datetime(2026, 3, 13, 17)
    assert extra.due_at == datetime(2026, 3, 20, 17)
    same_day = TimeLimit("same_day", verification_extra_days=2)
    assert compute_due(datetime(2026, 3, 10, 9), same_day, CAL, with_verification=True).due_at == datetime(
        2026, 3, 12, 17
    )


def test_overrides_move_the_due_date():
    cal = WorkingCalendar(
        [
            DayOverride(date(2026, 3, 11), "off", "Tỉnh cho nghỉ"),
            DayOverride(date(2026, 3, 14), "work", "Làm bù"),
        ]
    )
    due = compute_due(datetime(2026, 3, 10, 9), THREE_DAYS, cal)
    # Day 1 = Thu 12, day 2 = Fri 13, day 3 = Sat 14 (worked).
    assert due.due_at == datetime(2026, 3, 14, 17)
    assert due.skipped == (SkippedDay(date(2026, 3, 11), "Tỉnh cho nghỉ"),)


# -- compute_due: working hours ---------------------------------------------------------------------

def test_working_hours_limit():
    limit = TimeLimit("working_hours", hours=16)
    due = compute_due(datetime(2026, 2, 13, 10, 0), limit, CAL)
    assert due.due_at == datetime(2026, 2, 24, 10, 0)
    assert due.clock_start == date(2026, 2, 13)
    assert "(sau" not in compute_due(datetime(2026, 3, 10, 16), limit, CAL).explain()
    evening = compute_due(datetime(2026, 3, 13, 18, 0), TimeLimit("working_hours", hours=4), CAL)
    assert evening.clock_start == date(2026, 3, 16)
    assert evening.due_at == datetime(2026, 3, 16, 11, 30)


def test_aware_receipt_keeps_tzinfo():
    vn = timezone(timedelta(hours=7))
    due = compute_due(datetime(2026, 2, 13, 16, 0, tzinfo=vn), SAME_DAY, CAL)
    assert due.due_at == datetime(2026, 2, 23, 17, 0, tzinfo=vn)
    assert due.due_at.tzinfo is vn


# -- classify_return / is_due_soon -------------------------------------------------------------------

def test_classify_return():
    due = datetime(2026, 3, 12, 17, 0)
    assert classify_return(datetime(2026, 3, 11, 16, 0), due) == "early"
    assert classify_return(datetime(2026, 3, 12, 8, 0), due) == "on_time"
    assert classify_return(due, due) == "on_time"
    assert classify_return(datetime(2026, 3, 12, 17, 1), due) == "late"
    assert TIMELINESS_LABELS == {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
    vn = timezone(timedelta(hours=7))
    # 10:30 UTC is 17:30 in Vietnam: late, even though the wall clocks differ.
    assert classify_return(datetime(2026, 3, 12, 10, 30, tzinfo=timezone.utc), due.replace(tzinfo=vn)) == "late"


def test_is_due_soon():
    due = datetime(2026, 3, 16, 17, 0)  # Monday
    assert is_due_soon(datetime(2026, 3, 13, 9, 0), due, CAL)  # Friday: next working day
    assert is_due_soon(datetime(2026, 3, 14, 9, 0), due, CAL)  # Saturday
    assert is_due_soon(datetime(2026, 3, 16, 16, 59), due, CAL)
    assert not is_due_soon(datetime(2026, 3, 16, 17, 1), due, CAL)  # already late
    assert not is_due_soon(datetime(2026, 3, 12, 9, 0), due, CAL)
    # Before Tết: due Monday 23/02 is "tomorrow" on Friday 13/02.
    assert is_due_soon(datetime(2026, 2, 13, 9), datetime(2026, 2, 23, 17), CAL)


# -- Properties ----------------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31))
limits = st.one_of(
    st.just(SAME_DAY),
    st.builds(
        TimeLimit,
        kind=st.just("working_days"),
        days=st.integers(min_value=1, max_value=30),
        clock_start=st.sampled_from(["next_working_day", "receipt_day"]),
        verification_extra_days=st.integers(min_value=0, max_value=15),
    ),
    st.builds(
        TimeLimit,
        kind=st.just("working_hours"),
        hours=st.integers(min_value=1, max_value=120).map(lambda q: q / 4),
    ),
)


@FAST
@given(received=moments, limit=limits, verify=st.booleans())
def test_due_is_never_before_receipt_and_on_a_working_day(received, limit, verify):
    due = compute_due(received, limit, CAL, with_verification=verify)
    assert due.due_at >= received
    assert CAL.is_working_day(due.due_at.date())
    assert CAL.is_working_day(due.clock_start)
    assert all(not CAL.is_working_day(s.day) for s in due.skipped)


@FAST
@given(received=moments)
def test_same_day_due_is_at_most_the_next_working_day(received):
    due = compute_due(received, SAME_DAY, CAL)
    assert due.due_at.date() <= CAL.next_working_day(received.date())
    assert due.due_at.time() == time(17, 0)


@FAST
@given(a=moments, b=moments, limit=limits)
def test_later_receipt_never_gets_an_earlier_due(a, b, limit):
    a, b = min(a, b), max(a, b)
    assert compute_due(a, limit, CAL).due_at <= compute_due(b, limit, CAL).due_at


@FAST
@given(returned=moments, due=moments)
def test_classify_return_is_consistent(returned, due):
    kind = classify_return(returned, due)
    assert kind in TIMELINESS_LABELS
    assert (kind == "late") == (returned > due)
