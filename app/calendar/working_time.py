"""Working-time arithmetic on the company calendar (工作日历), for approval deadlines.

The SLA clock model (SPEC §2): every working day, taken in the company's local time,
counts all of its hours; a non-working day counts none. Working days are Monday to
Friday unless declared a public holiday, plus the weekend days declared make-up
working days (调休). The calendar is data passed in; nothing here touches the database.

A working day counts its real elapsed time from local 00:00 to the next local 00:00,
so in a zone with daylight saving a transition day counts 23 or 25 hours (the company
default, Asia/Shanghai, has none).
"""

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The engineer will turn this into a setting; until then every caller uses it.
COMPANY_TZ = ZoneInfo("Asia/Shanghai")

_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)
_SATURDAY = 5


class OutsideCalendarWindow(ValueError):
    """The arithmetic needed a day the calendar was not loaded for, so it cannot know
    whether that day is a holiday. Load a wider window."""


class WorkingCalendar:
    """Which days are working days, and working time between instants.

    `holidays` are non-working on any weekday; `makeup_workdays` are weekend days that
    are worked. A day may not be both. When `window` (first, last day, inclusive) is
    given, the calendar only knows those days and asking about any other raises
    `OutsideCalendarWindow` instead of silently missing a holiday; `load_calendar`
    always sets it.
    """

    __slots__ = ("holidays", "makeup_workdays", "tz", "window")

    def __init__(
        self,
        holidays: Iterable[date] = (),
        makeup_workdays: Iterable[date] = (),
        tz: ZoneInfo = COMPANY_TZ,
        *,
        window: tuple[date, date] | None = None,
    ) -> None:
        self.holidays = frozenset(holidays)
        self.makeup_workdays = frozenset(makeup_workdays)
        both = self.holidays & self.makeup_workdays
        if both:
            raise ValueError(f"days both holiday and make-up workday: {sorted(both)}")
        if window is not None and window[0] > window[1]:
            raise ValueError(f"calendar window ends before it starts: {window}")
        self.tz = tz
        self.window = window

    def is_working_day(self, d: date) -> bool:
        """Mon–Fri unless a holiday; Sat/Sun only if a make-up workday."""
        if self.window is not None and not self.window[0] <= d <= self.window[1]:
            raise OutsideCalendarWindow(
                f"{d} is outside the loaded calendar {self.window[0]}..{self.window[1]}")
        if d.weekday() >= _SATURDAY:
            return d in self.makeup_workdays
        return d not in self.holidays

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The deadline `hours` working hours after `start`, as an aware UTC datetime.

        Precisely: the earliest instant t >= start with
        working_hours_between(start, t) >= hours. So counting starts at `start` on a
        working day, or at the next working day's local 00:00 when `start` falls on a
        non-working day; a deadline that exactly fills a day is that day's 24:00 (the
        next local midnight), not the start of the next working day. `hours=0`
        returns `start` itself, even on a non-working day ("due now"). Iterates by day.
        """
        start = _as_utc(start)
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number >= 0, got {hours!r}")
        remaining = timedelta(hours=hours)
        if not remaining:
            return start
        day = self._local_date(start)
        cursor = start
        if not self.is_working_day(day):
            day = self._next_working_day(day)
            cursor = self._day_start(day)
        while True:
            day_end = self._day_start(day + _ONE_DAY)
            available = day_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
            day = self._next_working_day(day)
            cursor = self._day_start(day)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours in [start, end); negative when `end` is before `start`."""
        start, end = _as_utc(start), _as_utc(end)
        if end < start:
            return -self.working_hours_between(end, start)
        total = timedelta(0)
        day = self._local_date(start)
        while (day_start := self._day_start(day)) < end:
            if self.is_working_day(day):
                day_end = self._day_start(day + _ONE_DAY)
                total += min(end, day_end) - max(start, day_start)
            day += _ONE_DAY
        return total / _ONE_HOUR

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def _day_start(self, d: date) -> datetime:
        """Local 00:00 of `d` as a UTC instant; also the end of the day before."""
        return datetime.combine(d, time(0), tzinfo=self.tz).astimezone(UTC)

    def _next_working_day(self, d: date) -> date:
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d


def local_date(instant: datetime, tz: ZoneInfo = COMPANY_TZ) -> date:
    """The company's calendar date at `instant` (validity dates, report ranges)."""
    return _as_utc(instant).astimezone(tz).date()


def local_day_start(day: date, tz: ZoneInfo = COMPANY_TZ) -> datetime:
    """Local 00:00 of `day` in the company's zone, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("working-time arithmetic needs an aware datetime")
    return instant.astimezone(UTC)
