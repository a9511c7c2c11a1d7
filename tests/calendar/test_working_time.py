"""Working-time arithmetic: pure functions, no database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calendar.working_time import COMPANY_TZ, OutsideCalendarWindow, WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")

# 国务院办公厅 2026: 国庆节 Oct 1–7 (Thu–Wed); Sun Sep 20 and Sat Oct 10 are worked.
NATIONAL_DAY_2026 = WorkingCalendar(
    holidays={date(2026, 10, d) for d in range(1, 8)},
    makeup_workdays={date(2026, 9, 20), date(2026, 10, 10)},
)


def local(*args: int) -> datetime:
    """An instant given in Shanghai wall time, as the UTC datetime callers pass."""
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


class TestWorkingDays:
    def test_default_zone_is_shanghai(self):
        assert COMPANY_TZ == SHANGHAI and WorkingCalendar().tz == SHANGHAI

    @pytest.mark.parametrize(("day", "working"), [
        (date(2026, 9, 30), True),   # Wednesday before the holiday
        (date(2026, 10, 1), False),  # Thursday, 国庆节
        (date(2026, 10, 7), False),  # Wednesday, 国庆节
        (date(2026, 10, 8), True),   # Thursday after
        (date(2026, 9, 20), True),   # Sunday, 调休
        (date(2026, 10, 10), True),  # Saturday, 调休
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 9, 26), False),  # ordinary Saturday
    ])
    def test_national_day_2026(self, day, working):
        assert NATIONAL_DAY_2026.is_working_day(day) is working

    def test_a_day_cannot_be_both_kinds(self):
        with pytest.raises(ValueError):
            WorkingCalendar(holidays={date(2026, 10, 10)}, makeup_workdays={date(2026, 10, 10)})


class TestAddWorkingHours:
    def test_friday_to_tuesday_over_a_weekend(self):
        end = WorkingCalendar().add_working_hours(local(2026, 3, 6, 10), 48)
        assert end == local(2026, 3, 10, 10)
        assert end.tzinfo is UTC

    def test_national_day_2026(self):
        # Sep 30 14 h + Oct 8 24 h + Oct 9 10 h.
        end = NATIONAL_DAY_2026.add_working_hours(local(2026, 9, 30, 10), 48)
        assert end == local(2026, 10, 9, 10)

    def test_makeup_saturday_counts(self):
        # ... and 24 h more: Fri Oct 9 10:00 → Sat Oct 10 10:00, worked (调休).
        end = NATIONAL_DAY_2026.add_working_hours(local(2026, 9, 30, 10), 72)
        assert end == local(2026, 10, 10, 10)
        # Without the make-up day the deadline would be Monday.
        plain = WorkingCalendar(holidays=NATIONAL_DAY_2026.holidays)
        assert plain.add_working_hours(local(2026, 9, 30, 10), 72) == local(2026, 10, 12, 10)

    def test_makeup_sunday_counts_from_its_midnight(self):
        end = NATIONAL_DAY_2026.add_working_hours(local(2026, 9, 19, 12), 24)
        assert end == local(2026, 9, 21, 0)

    def test_start_on_a_holiday_counts_from_the_next_working_midnight(self):
        end = NATIONAL_DAY_2026.add_working_hours(local(2026, 10, 3, 15, 30), 24)
        assert end == local(2026, 10, 9, 0)
        assert NATIONAL_DAY_2026.add_working_hours(local(2026, 10, 3, 15, 30), 1) == local(
            2026, 10, 8, 1)

    def test_zero_hours_is_due_at_once_even_on_a_holiday(self):
        start = local(2026, 10, 3, 15, 30)
        assert NATIONAL_DAY_2026.add_working_hours(start, 0) == start

    def test_filling_a_day_exactly_ends_at_its_midnight(self):
        # Friday 00:00 + 24 h is Friday 24:00, not Monday 00:00.
        assert WorkingCalendar().add_working_hours(local(2026, 3, 6), 24) == local(2026, 3, 7)

    def test_fractional_hours(self):
        end = WorkingCalendar().add_working_hours(local(2026, 3, 6, 23), 1.5)
        assert end == local(2026, 3, 9, 0, 30)

    def test_utc_instant_already_on_the_next_local_day(self):
        # 16:30 UTC on Wed Oct 7 (a holiday in UTC's date) is 00:30 on Thu Oct 8 in
        # Shanghai, a working day: the clock runs from there.
        start = datetime(2026, 10, 7, 16, 30, tzinfo=UTC)
        assert NATIONAL_DAY_2026.add_working_hours(start, 1) == datetime(
            2026, 10, 7, 17, 30, tzinfo=UTC)
        # 16:30 UTC on Fri Sep 25 is already Saturday in Shanghai: nothing counts until
        # Monday 00:00 local (Sunday 16:00 UTC).
        start = datetime(2026, 9, 25, 16, 30, tzinfo=UTC)
        assert NATIONAL_DAY_2026.add_working_hours(start, 1) == datetime(
            2026, 9, 27, 17, 0, tzinfo=UTC)

    def test_other_offsets_are_accepted(self):
        start = datetime(2026, 3, 6, 10, tzinfo=SHANGHAI)
        assert WorkingCalendar().add_working_hours(start, 48) == local(2026, 3, 10, 10)

    def test_weeks_of_hours(self):
        # 10 working weeks = 50 working days from a Monday 00:00, national day included.
        end = NATIONAL_DAY_2026.add_working_hours(local(2026, 8, 31), 50 * 24)
        assert NATIONAL_DAY_2026.working_hours_between(local(2026, 8, 31), end) == 1200
        # Ten plain weeks would end Fri Nov 6 24:00; the holidays take five weekdays and
        # the 调休 give two back, so three more days: Wed Nov 11 24:00.
        assert end == local(2026, 11, 12)

    @pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
    def test_bad_hours(self, hours):
        with pytest.raises(ValueError):
            WorkingCalendar().add_working_hours(local(2026, 3, 6), hours)

    def test_naive_datetime_is_refused(self):
        with pytest.raises(ValueError):
            WorkingCalendar().add_working_hours(datetime(2026, 3, 6, 10), 1)


class TestWorkingHoursBetween:
    def test_holiday_week(self):
        assert NATIONAL_DAY_2026.working_hours_between(
            local(2026, 9, 30, 10), local(2026, 10, 9, 10)) == 48

    def test_same_day_and_reverse(self):
        calendar = WorkingCalendar()
        assert calendar.working_hours_between(local(2026, 3, 6, 9), local(2026, 3, 6, 11)) == 2
        assert calendar.working_hours_between(local(2026, 3, 6, 11), local(2026, 3, 6, 9)) == -2
        assert calendar.working_hours_between(local(2026, 3, 7, 9), local(2026, 3, 8, 9)) == 0

    def test_daylight_saving_day_counts_its_real_hours(self):
        # Clocks go forward on Sunday 2026-03-29 in Berlin; make it a working day.
        berlin = WorkingCalendar(makeup_workdays={date(2026, 3, 29)}, tz=ZoneInfo("Europe/Berlin"))
        start = datetime(2026, 3, 29, tzinfo=ZoneInfo("Europe/Berlin"))
        assert berlin.working_hours_between(start, start + timedelta(days=1)) == 23


class TestWindow:
    def test_arithmetic_beyond_the_loaded_days_is_refused(self):
        calendar = WorkingCalendar(window=(date(2026, 9, 29), date(2026, 10, 8)),
                                   holidays=NATIONAL_DAY_2026.holidays)
        assert calendar.add_working_hours(local(2026, 9, 30, 10), 30) == local(2026, 10, 8, 16)
        with pytest.raises(OutsideCalendarWindow):
            calendar.add_working_hours(local(2026, 9, 30, 10), 48)
        with pytest.raises(OutsideCalendarWindow):
            calendar.is_working_day(date(2026, 9, 28))


# A small random calendar: a few holiday runs (long ones like 国庆 included) and some
# make-up weekend days, within 2025–2027.
_DAY = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    holidays: set[date] = set()
    for first, length in draw(st.lists(st.tuples(_DAY, st.integers(1, 9)), max_size=6)):
        holidays |= {first + timedelta(days=i) for i in range(length)}
    makeups = {d for d in draw(st.sets(_DAY, max_size=8)) if d.weekday() >= 5} - holidays
    tz = draw(st.sampled_from([SHANGHAI, ZoneInfo("Europe/Berlin"),
                               ZoneInfo("America/New_York")]))
    return WorkingCalendar(holidays=holidays, makeup_workdays=makeups, tz=tz)


_START = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30),
                      timezones=st.just(UTC))


class TestInverse:
    @settings(max_examples=300, deadline=None)
    @given(calendar=calendars(), start=_START, hours=st.integers(0, 24 * 40))
    def test_whole_hours_round_trip_exactly(self, calendar, start, hours):
        end = calendar.add_working_hours(start, hours)
        assert end >= start and end.tzinfo is UTC
        assert calendar.working_hours_between(start, end) == hours
        if hours:
            # The earliest such instant: a microsecond earlier is not enough.
            assert calendar.working_hours_between(start, end - timedelta(microseconds=1)) < hours

    @settings(max_examples=300, deadline=None)
    @given(calendar=calendars(), start=_START,
           hours=st.floats(0, 24 * 40, allow_nan=False, allow_infinity=False))
    def test_fractional_hours_round_trip(self, calendar, start, hours):
        end = calendar.add_working_hours(start, hours)
        # timedelta keeps microseconds, so a float comes back within a microsecond.
        assert calendar.working_hours_between(start, end) == pytest.approx(hours, abs=1e-9)
