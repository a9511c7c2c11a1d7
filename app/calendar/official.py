"""The official Chinese public holidays and make-up working days (国务院办公厅关于节假日
安排的通知), as published in the `chinesecalendar` package, turned into a calendar import.

The package knows a year only once the State Council has announced it (each December for
the next year) and a release carries it: chinesecalendar 1.11.0 ends with 2026. A newer
year needs a newer pin, or the days entered by hand (PUT /calendar/{day}).
"""

import chinese_calendar
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.errors import OfficialYearUnknown
from app.calendar.models import CalendarDayKind
from app.calendar.schemas import CalendarImport, CalendarImportEntry, CalendarImportResult
from app.calendar.service import import_days
from app.core.permissions import Capability, Role, require
from app.core.security import Principal

# The command line imports as the system: reference data an operator loads, not a user's edit.
IMPORTER = Principal(sub="system:calendar-import-cn", roles=frozenset({Role.admin}),
                     name="Official calendar import")
_SATURDAY = 5
MAKEUP_SUFFIX = "调休上班"


def known_years() -> range:
    """The years the installed package has official data for."""
    first, last = min(chinese_calendar.holidays), max(chinese_calendar.holidays)
    return range(first.year, last.year + 1)


def official_days(year: int) -> CalendarImport:
    """The year's holidays (weekends inside a holiday span included, as the notices list
    them) and its make-up working days, named in Chinese: "国庆节", "国庆节调休上班".

    The package's `workdays` also lists weekdays that are merely not holidays; only the
    weekend ones are make-up days. Raises OfficialYearUnknown for a year it lacks.
    """
    if year not in known_years():
        years = known_years()
        raise OfficialYearUnknown(
            f"chinesecalendar {_package_version()} has the official holidays of "
            f"{years.start}–{years.stop - 1} only, not {year}: install a release that has "
            f"{year}, or enter the days one by one.")
    entries = [
        CalendarImportEntry(day=day, kind=CalendarDayKind.holiday, name=_chinese(name))
        for day, name in sorted(chinese_calendar.holidays.items()) if day.year == year
    ] + [
        CalendarImportEntry(day=day, kind=CalendarDayKind.workday,
                            name=_chinese(name) + MAKEUP_SUFFIX)
        for day, name in sorted(chinese_calendar.workdays.items())
        if day.year == year and day.weekday() >= _SATURDAY
    ]
    return CalendarImport(days=sorted(entries, key=lambda e: e.day))


async def import_official_days(
    session: AsyncSession, principal: Principal, *, year: int
) -> CalendarImportResult:
    """Import the year's official days through the audited calendar import; running it
    again reports them unchanged."""
    require(principal, Capability.reference_write)  # before saying which years are known
    return await import_days(session, principal, data=official_days(year))


def _chinese(english: str) -> str:
    return str(chinese_calendar.Holiday(english).chinese)


def _package_version() -> str:
    return str(getattr(chinese_calendar, "__version__", "installed"))
