"""The company calendar: admin edits of holidays and make-up working days, and the
loader the approval engine uses to build a WorkingCalendar for deadline arithmetic."""

import time
from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.errors import (
    CalendarDayConflict,
    CalendarDayNotFound,
    InvalidDateRange,
    WorkdayNotWeekend,
)
from app.calendar.models import CalendarDay, CalendarDayKind
from app.calendar.schemas import (
    CalendarDayRead,
    CalendarDaySet,
    CalendarImport,
    CalendarImportResult,
)
from app.calendar.working_time import COMPANY_TZ, WorkingCalendar
from app.core.db import commit, commit_or_raise, flush_or_raise
from app.core.errors import StaleVersion
from app.core.pagination import InvalidCursor, decode_cursor, paginate
from app.core.permissions import Capability, require
from app.core.schemas import snapshot
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.events.changes import record_change

ENTITY = "calendar_day"
# Three calendar years, one of them leap: 2026-01-01..2028-12-31 is the longest range.
MAX_RANGE_DAYS = 3 * 365 + 1
_SATURDAY = 5


async def load_calendar(
    session: AsyncSession, *, start: date, end: date, tz: ZoneInfo = COMPANY_TZ
) -> WorkingCalendar:
    """The calendar for the company-local days start..end (inclusive).

    The result refuses (OutsideCalendarWindow) arithmetic that reaches a day outside
    the window, so a deadline can never silently skip an unloaded holiday. Reads only.
    """
    if end < start:
        raise ValueError(f"calendar window ends before it starts: {start}..{end}")
    rows = (await session.execute(
        select(col(CalendarDay.day), col(CalendarDay.kind))
        .where(col(CalendarDay.day) >= start, col(CalendarDay.day) <= end)
    )).all()
    return WorkingCalendar(
        holidays={day for day, kind in rows if kind == CalendarDayKind.holiday},
        makeup_workdays={day for day, kind in rows if kind == CalendarDayKind.workday},
        tz=tz, window=(start, end),
    )


# Deadlines are computed on every stage activation; the calendar changes a few times a year.
# Cached per process for a short while: an edit here is seen at once, an edit made by
# another process within CACHE_SECONDS.
CACHE_SECONDS = 30.0
_cached: dict[tuple[date, date, str], tuple[float, WorkingCalendar]] = {}


async def cached_calendar(
    session: AsyncSession, *, start: date, end: date, tz: ZoneInfo = COMPANY_TZ
) -> WorkingCalendar:
    """`load_calendar`, answered from memory when the same window was loaded recently."""
    key, now = (start, end, tz.key), time.monotonic()
    hit = _cached.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    calendar = await load_calendar(session, start=start, end=end, tz=tz)
    if len(_cached) > 16:  # windows move with the date: keep only recent ones
        _cached.clear()
    _cached[key] = (now + CACHE_SECONDS, calendar)
    return calendar


def forget_cached_calendars() -> None:
    _cached.clear()


async def list_days(
    session: AsyncSession, *, start: date, end: date, limit: int, cursor: str | None
) -> tuple[list[CalendarDay], str | None]:
    if end < start:
        raise InvalidDateRange(f"`to` ({end}) is before `from` ({start}).")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidDateRange(f"At most {MAX_RANGE_DAYS} days (three years) per request.",
                               max_days=MAX_RANGE_DAYS)
    statement = select(CalendarDay).where(col(CalendarDay.day) >= start,
                                          col(CalendarDay.day) <= end)
    if cursor is not None:
        # The generic cursor carries the day as a string; the date column wants a date.
        statement = statement.where(col(CalendarDay.day) > _cursor_day(cursor))
    return await paginate(session, statement, keys=[CalendarDay.day], limit=limit, cursor=None)


async def get(session: AsyncSession, day: date, *, for_update: bool = False) -> CalendarDay:
    entry = await _find(session, day, for_update=for_update)
    if entry is None:
        raise CalendarDayNotFound(f"No calendar entry for {day}; it follows the normal week.")
    return entry


async def set_day(
    session: AsyncSession, principal: Principal, *, day: date, data: CalendarDaySet,
    expected_version: int | None,
) -> CalendarDay:
    """Create or replace one day's entry."""
    require(principal, Capability.reference_write)
    _ensure_workdays_on_weekends([(day, data.kind)])
    entry = await _find(session, day, for_update=True)
    if entry is None:
        if expected_version is not None:
            raise StaleVersion(f"There is no entry for {day} any more.", current_version=None)
        entry = CalendarDay(day=day, **data.model_dump())
        session.add(entry)
        await flush_or_raise(session, _concurrent(day))
        before = None
    else:
        ensure_version(entry.version, expected_version)
        changes = _changes(entry, data.model_dump())
        if not changes:
            return entry
        before = snapshot(CalendarDayRead, entry)
        apply_changes(entry, changes)
    _record_set(session, principal, entry, before)
    await commit_or_raise(session, _concurrent(day))
    forget_cached_calendars()
    return entry


async def remove_day(
    session: AsyncSession, principal: Principal, *, day: date, expected_version: int | None
) -> None:
    require(principal, Capability.reference_write)
    entry = await get(session, day, for_update=True)
    ensure_version(entry.version, expected_version)
    before = snapshot(CalendarDayRead, entry)
    await session.delete(entry)
    record_change(session, principal, event_type="calendar.day_removed", entity_type=ENTITY,
                  entity_id=day.isoformat(), before=before, after=None)
    await commit(session)
    forget_cached_calendars()


async def import_days(
    session: AsyncSession, principal: Principal, *, data: CalendarImport
) -> CalendarImportResult:
    """Create or replace many days at once (a year's holiday notice), all or nothing."""
    require(principal, Capability.reference_write)
    _ensure_workdays_on_weekends((e.day, e.kind) for e in data.days)
    wanted = [e.day for e in data.days]
    existing = {entry.day: entry for entry in (await session.execute(
        select(CalendarDay).where(col(CalendarDay.day).in_(wanted))
        .with_for_update()
    )).scalars()}
    changed: list[tuple[dict[str, Any] | None, CalendarDay]] = []
    for item in data.days:
        values = item.model_dump(include={"kind", "name"})
        entry = existing.get(item.day)
        if entry is None:
            entry = CalendarDay(day=item.day, **values)
            session.add(entry)
            changed.append((None, entry))
        elif changes := _changes(entry, values):
            before = snapshot(CalendarDayRead, entry)
            apply_changes(entry, changes)
            changed.append((before, entry))
    await flush_or_raise(session, _concurrent())
    for previous, entry in changed:
        _record_set(session, principal, entry, previous)
    await commit_or_raise(session, _concurrent())
    forget_cached_calendars()
    created = sum(1 for before, _ in changed if before is None)
    return CalendarImportResult(count=len(data.days), created=created,
                                updated=len(changed) - created,
                                unchanged=len(data.days) - len(changed))


async def _find(session: AsyncSession, day: date, *, for_update: bool) -> CalendarDay | None:
    statement = select(CalendarDay).where(col(CalendarDay.day) == day)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


def _ensure_workdays_on_weekends(days: Iterable[tuple[date, CalendarDayKind]]) -> None:
    # Any day may be a holiday (the notices list whole spans, weekends included); a
    # make-up working day only means something on a weekend.
    misplaced = [d.isoformat() for d, kind in days
                 if kind == CalendarDayKind.workday and d.weekday() < _SATURDAY]
    if misplaced:
        raise WorkdayNotWeekend(
            f"Make-up working days must be Saturdays or Sundays; these are weekdays: "
            f"{', '.join(misplaced)}.", days=misplaced)


def _changes(entry: CalendarDay, values: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in values.items() if getattr(entry, k) != v}


def _record_set(
    session: AsyncSession, principal: Principal, entry: CalendarDay, before: dict[str, Any] | None
) -> None:
    record_change(session, principal, event_type="calendar.day_set", entity_type=ENTITY,
                  entity_id=entry.day.isoformat(), before=before,
                  after=snapshot(CalendarDayRead, entry))


def _cursor_day(cursor: str) -> date:
    (value,) = decode_cursor(cursor, 1)
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidCursor() from exc


def _concurrent(day: date | None = None) -> CalendarDayConflict:
    # SQLite serialises writers (BEGIN IMMEDIATE); on PostgreSQL two admins can both find
    # a day absent and insert it, and the loser gets this instead of a 500.
    what = f"Calendar day {day}" if day else "A calendar day"
    return CalendarDayConflict(f"{what} was changed by another request; retry.")
