from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from desk_app.models.calendar import DayOverride, OfficeHours, SkippedDay, WorkingCalendar
from desk_app.models.errors import ValidationError

CAL = WorkingCalendar()
FAST = settings(max_examples=150, deadline=None)


# -- OfficeHours ---------------------------------------------------------------------------------

def test_office_hours_defaults_are_eight_hours():
    oh = OfficeHours()
    assert oh.hours_per_day == 8
    assert oh.same_day_cutoff == time(15, 0)


def test_office_hours_round_trip_as_hhmm_strings():
    data = {
        "opening": "07:00",
        "closing": "17:30",
        "same_day_cutoff": "16:00",
        "sessions": [["07:00", "11:00"], ["13:30", "17:30"]],
    }
    oh = OfficeHours.from_dict(data)
    assert oh.sessions == ((time(7), time(11)), (time(13, 30), time(17, 30)))
    assert oh.to_dict() == data
    assert OfficeHours.from_dict(OfficeHours().to_dict()) == OfficeHours()
    assert OfficeHours.from_dict({}) == OfficeHours()


@pytest.mark.parametrize(
    "data",
    [
        {"opening": "7h30"},
        {"closing": "25:00"},
        {"opening": "17:00", "closing": "07:30"},
        {"same_day_cutoff": "17:30"},
        {"sessions": []},
        {"sessions": [["13:00", "17:00"], ["07:30", "11:30"]]},  # out of order
        {"sessions": [["07:30", "12:00"], ["11:30", "17:00"]]},  # overlapping
        {"sessions": [["07:00", "11:30"]]},  # before opening
        {"sessions": [["13:00", "17:30"]]},  # after closing
        {"sessions": [["11:30", "11:30"]]},  # empty
        {"lunch": "12:00"},
    ],
)
def test_office_hours_rejects_bad_settings(data):
    with pytest.raises(ValidationError) as err:
        OfficeHours.from_dict(data)
    assert err.value.field == "office_hours"


# -- Days ----------------------------------------------------------------------------------------

def test_tet_2026_is_off_monday_to_friday_with_vietnamese_names():
    for day in range(16, 21):
        assert not CAL.is_working_day(date(2026, 2, day))
    assert CAL.why_not_working(date(2026, 2, 16)) == "Giao thừa Tết Nguyên Đán"
    assert CAL.why_not_working(date(2026, 2, 18)) == "Mùng hai Tết Nguyên Đán"
    assert CAL.is_working_day(date(2026, 2, 13))
    assert CAL.is_working_day(date(2026, 2, 23))
    assert CAL.why_not_working(date(2026, 2, 23)) is None


def test_saturday_22_08_2026_is_worked_in_exchange_for_monday_31_08():
    assert CAL.is_working_day(date(2026, 8, 22))
    assert CAL.why_not_working(date(2026, 8, 22)) is None
    for d in (date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)):
        assert not CAL.is_working_day(d)
    assert CAL.why_not_working(date(2026, 8, 31)) == "Ngày nghỉ (thay cho ngày 22/08/2026)"
    assert CAL.why_not_working(date(2026, 9, 2)) == "Quốc khánh"
    assert CAL.next_working_day(date(2026, 8, 28)) == date(2026, 9, 3)
    # Other Saturdays stay off.
    assert CAL.why_not_working(date(2026, 8, 29)) == "Thứ Bảy"
    assert CAL.why_not_working(date(2026, 8, 30)) == "Chủ nhật"


def test_hung_kings_2026_on_sunday_is_observed_on_monday():
    assert CAL.why_not_working(date(2026, 4, 26)) == "Ngày Giỗ Tổ Hùng Vương"
    assert CAL.why_not_working(date(2026, 4, 27)) == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    assert CAL.next_working_day(date(2026, 4, 24)) == date(2026, 4, 28)


def test_swapped_saturday_2025_and_cross_year_swap_only_count_in_their_own_year():
    # 26/04/2025 (Saturday) was worked in exchange for Friday 02/05/2025.
    assert CAL.is_working_day(date(2025, 4, 26))
    assert not CAL.is_working_day(date(2025, 5, 2))
    # Saturday 27/12/2014 was worked for Friday 02/01/2015 (swap across years).
    assert CAL.is_working_day(date(2014, 12, 27))
    assert not CAL.is_working_day(date(2015, 1, 2))


def test_override_adds_a_day_off_and_makes_a_saturday_worked():
    cal = WorkingCalendar(
        [
            DayOverride(date(2026, 3, 10), "off", "Tỉnh cho nghỉ"),
            DayOverride(date(2026, 3, 14), "work", "Làm bù theo thông báo của tỉnh"),
        ]
    )
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.why_not_working(date(2026, 3, 10)) == "Tỉnh cho nghỉ"
    assert cal.is_working_day(date(2026, 3, 14))
    assert cal.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 14)
    # Overrides win over holidays too.
    cal2 = WorkingCalendar([DayOverride(date(2026, 2, 20), "work", "Trực Tết")])
    assert cal2.is_working_day(date(2026, 2, 20))


def test_later_override_wins_and_reason_is_nfc():
    decomposed = "Ti\u0309nh cho nghi\u0309"
    cal = WorkingCalendar(
        [
            DayOverride(date(2026, 3, 10), "work", "Làm bù"),
            DayOverride(date(2026, 3, 10), "off", decomposed),
        ]
    )
    assert cal.why_not_working(date(2026, 3, 10)) == "Tỉnh cho nghỉ"


def test_day_override_validation_and_dict_round_trip():
    o = DayOverride(date(2026, 3, 14), "work", "Làm bù")
    assert DayOverride.from_dict(o.to_dict()) == o
    with pytest.raises(ValidationError):
        DayOverride(date(2026, 3, 14), "holiday", "x")
    with pytest.raises(ValidationError):
        DayOverride(date(2026, 3, 14), "off", "  ")
    with pytest.raises(ValidationError):
        DayOverride.from_dict({"day": "14/03/2026", "kind": "off", "reason": "x"})


def test_saturday_working_setting():
    cal = WorkingCalendar(saturday_working=True)
    assert cal.is_working_day(date(2026, 3, 14))
    assert not cal.is_working_day(date(2026, 3, 15))
    assert cal.is_working_day(date(2026, 2, 14))  # the Saturday before Tết 2026 is not a holiday
    # Saturday holidays stay off.
    assert not cal.is_working_day(date(2025, 2, 1))  # Mùng bốn Tết 2025


def test_next_working_day_and_include_self():
    assert CAL.next_working_day(date(2026, 3, 13)) == date(2026, 3, 16)
    assert CAL.next_working_day(date(2026, 3, 13), include_self=True) == date(2026, 3, 13)
    assert CAL.next_working_day(date(2026, 3, 14), include_self=True) == date(2026, 3, 16)


def test_add_working_days_zero_and_across_tet():
    assert CAL.add_working_days(date(2026, 2, 13), 0) == date(2026, 2, 13)
    assert CAL.add_working_days(date(2026, 2, 14), 0) == date(2026, 2, 23)
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert CAL.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    with pytest.raises(ValidationError):
        CAL.add_working_days(date(2026, 2, 13), -1)


def test_working_days_between_counts_half_open_interval():
    assert CAL.working_days_between(date(2026, 2, 12), date(2026, 2, 24)) == 3
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 13)) == 0
    assert CAL.working_days_between(date(2026, 2, 24), date(2026, 2, 12)) == 0
    assert CAL.working_days_between(date(2025, 12, 31), date(2027, 1, 1)) == sum(
        CAL.is_working_day(date(2026, 1, 1) + timedelta(days=i)) for i in range(366)
    )


def test_skipped_days_listed_with_reasons():
    skipped = CAL.skipped_days(date(2026, 2, 13), date(2026, 2, 23))
    assert [s.day.day for s in skipped] == list(range(14, 23))
    assert skipped[0] == SkippedDay(date(2026, 2, 14), "Thứ Bảy")
    assert skipped[1] == SkippedDay(date(2026, 2, 15), "Chủ nhật")
    assert skipped[2] == SkippedDay(date(2026, 2, 16), "Giao thừa Tết Nguyên Đán")
    assert skipped[2].describe() == "16/02/2026 (Giao thừa Tết Nguyên Đán)"
    # Across a year end; (a, b] excludes a.
    across = CAL.skipped_days(date(2025, 12, 31), date(2026, 1, 5))
    assert [s.day for s in across] == [date(2026, 1, 1), date(2026, 1, 3), date(2026, 1, 4)]
    assert across[0].reason == "Tết Dương lịch"


def test_every_year_1990_to_2100_loads():
    cal = WorkingCalendar()
    for year in range(1990, 2101):
        n = cal.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
        assert 230 <= n <= 262, year
    # Outside the package's tables only weekends are off; nothing blows up.
    assert cal.is_working_day(date(2150, 1, 1))
    assert cal.why_not_working(date(1800, 1, 5)) == "Chủ nhật"


def test_is_working_day_is_fast():
    import time as clock

    cal = WorkingCalendar()
    days = [date(2026, 1, 1) + timedelta(days=i % 3650) for i in range(200_000)]
    started = clock.perf_counter()
    for d in days:
        cal.is_working_day(d)
    assert clock.perf_counter() - started < 1.0


# -- Hours ---------------------------------------------------------------------------------------

def test_working_hours_across_lunch():
    start = datetime(2026, 3, 10, 10, 0)
    assert CAL.add_working_hours(start, 2) == datetime(2026, 3, 10, 13, 30)
    assert CAL.add_working_hours(start, 1.5) == datetime(2026, 3, 10, 11, 30)
    assert CAL.working_hours_between(start, datetime(2026, 3, 10, 13, 30)) == 2


def test_working_hours_across_a_weekend():
    start = datetime(2026, 3, 13, 16, 0)  # Friday
    assert CAL.add_working_hours(start, 2) == datetime(2026, 3, 16, 8, 30)
    assert CAL.add_working_hours(start, 1) == datetime(2026, 3, 13, 17, 0)
    assert CAL.working_hours_between(start, datetime(2026, 3, 16, 8, 30)) == 2
    assert CAL.add_working_hours(datetime(2026, 3, 16, 7, 30), 16) == datetime(2026, 3, 17, 17, 0)
    assert CAL.add_working_hours(datetime(2026, 3, 16, 7, 30), 40) == datetime(2026, 3, 20, 17, 0)


def test_working_hours_start_outside_session_snaps_forward():
    assert CAL.add_working_hours(datetime(2026, 3, 10, 6, 0), 1) == datetime(2026, 3, 10, 8, 30)
    assert CAL.add_working_hours(datetime(2026, 3, 10, 12, 0), 0) == datetime(2026, 3, 10, 13, 0)
    assert CAL.add_working_hours(datetime(2026, 3, 10, 18, 0), 0.5) == datetime(2026, 3, 11, 8, 0)
    assert CAL.add_working_hours(datetime(2026, 3, 14, 9, 0), 1) == datetime(2026, 3, 16, 8, 30)
    with pytest.raises(ValidationError):
        CAL.add_working_hours(datetime(2026, 3, 10, 8, 0), -1)


def test_working_hours_use_given_office_hours():
    oh = OfficeHours(sessions=((time(8), time(12)), (time(13, 30), time(17))))
    assert CAL.add_working_hours(datetime(2026, 3, 10, 11, 0), 2, office_hours=oh) == datetime(
        2026, 3, 10, 14, 30
    )
    cal = WorkingCalendar(office_hours=oh)
    assert cal.working_hours_between(datetime(2026, 3, 10), datetime(2026, 3, 11)) == 7.5


def test_aware_datetimes_keep_their_tzinfo():
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    start = datetime(2026, 3, 13, 16, 0, tzinfo=vn)
    end = CAL.add_working_hours(start, 2)
    assert end == datetime(2026, 3, 16, 8, 30, tzinfo=vn) and end.tzinfo is vn
    fixed = timezone(timedelta(hours=7))
    start2 = datetime(2026, 3, 13, 16, 0, tzinfo=fixed)
    assert CAL.add_working_hours(start2, 2).tzinfo is fixed
    # The same instant written in UTC is compared in the first argument's zone.
    assert CAL.working_hours_between(start, end.astimezone(timezone.utc)) == 2


# -- Properties ----------------------------------------------------------------------------------

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 1))
overrides = st.lists(
    st.builds(
        DayOverride,
        day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
        kind=st.sampled_from(["off", "work"]),
        reason=st.just("Điều chỉnh"),
    ),
    max_size=10,
)


@FAST
@given(d=days, n=st.integers(min_value=0, max_value=400), ov=overrides, sat=st.booleans())
def test_add_working_days_lands_on_working_day_and_counts_back(d, n, ov, sat):
    cal = WorkingCalendar(ov, saturday_working=sat)
    result = cal.add_working_days(d, n)
    assert cal.is_working_day(result)
    if n:
        assert cal.working_days_between(d, result) == n
        assert cal.working_days_between(d, result - timedelta(days=1)) == n - 1
    else:
        assert result == cal.next_working_day(d, include_self=True)


@FAST
@given(a=days, span=st.integers(min_value=0, max_value=60))
def test_skipped_plus_working_days_cover_the_interval(a, span):
    b = a + timedelta(days=span)
    skipped = CAL.skipped_days(a, b)
    assert len(skipped) + CAL.working_days_between(a, b) == span
    assert all(not CAL.is_working_day(s.day) and s.reason for s in skipped)


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31))


@FAST
@given(start=moments, minutes=st.integers(min_value=0, max_value=60 * 200))
def test_working_hours_round_trip(start, minutes):
    hours = minutes / 60
    end = CAL.add_working_hours(start, hours)
    assert end >= start
    assert CAL.working_hours_between(start, end) == pytest.approx(hours, abs=1e-6)


@FAST
@given(a=moments, b=moments)
def test_working_hours_between_is_additive(a, b):
    a, b = min(a, b), max(a, b)
    mid = a + (b - a) / 3
    total = CAL.working_hours_between(a, b)
    assert total == pytest.approx(CAL.working_hours_between(a, mid) + CAL.working_hours_between(mid, b))
    assert total <= (b - a).total_seconds() / 3600 + 1e-9
