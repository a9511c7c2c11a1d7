from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.calendar import exports, official, service
from app.calendar.errors import (
    CalendarDayConflict,
    CalendarDayNotFound,
    InvalidDateRange,
    OfficialYearUnknown,
    WorkdayNotWeekend,
)
from app.calendar.models import CalendarDay
from app.calendar.schemas import (
    CalendarDate,
    CalendarDayPage,
    CalendarDayRead,
    CalendarDaySet,
    CalendarImport,
    CalendarImportResult,
)
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.errors import Forbidden, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.pagination import CursorQuery, LimitQuery, Listed, ListRequest
from app.core.security import CurrentPrincipal
from app.core.versioning import IfMatch, set_etag

router = APIRouter(prefix="/calendar", tags=["calendar"])
DayPath = Annotated[CalendarDate, Path(description="The day, YYYY-MM-DD")]


@router.get("", response_model=CalendarDayPage,
            responses={**file_responses(), **errors_doc(InvalidDateRange)})
async def list_calendar_days(
    request: Request, session: SessionDep, _principal: CurrentPrincipal, now: Now,
    from_: Annotated[CalendarDate, Query(alias="from", description="First day, YYYY-MM-DD")],
    to: Annotated[CalendarDate, Query(description="Last day (inclusive), YYYY-MM-DD")],
    limit: LimitQuery = 200, cursor: CursorQuery = None, format: FormatQuery = None,
) -> CalendarDayPage | StreamingResponse:
    """Holidays and make-up working days from `from` to `to`, ordered by day; every one of
    them as CSV or XLSX with `format`.

    At most three years per request; days not listed follow the Monday–Friday week.
    """

    async def page_of(wanted: ListRequest) -> Listed[CalendarDayRead]:
        items, next_cursor = await service.list_days(session, start=from_, end=to,
                                                     limit=wanted.limit, cursor=wanted.cursor)
        return Listed([CalendarDayRead.model_validate(d) for d in items], next_cursor)

    page = ListRequest(limit=limit, cursor=cursor)
    file = await exports.CALENDAR.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return CalendarDayPage(items=listed.items, next_cursor=listed.next_cursor)


@router.post("/import", response_model=CalendarImportResult,
             responses=errors_doc(Forbidden, WorkdayNotWeekend, CalendarDayConflict))
async def import_calendar_days(
    body: CalendarImport, session: SessionDep, principal: CurrentPrincipal
) -> CalendarImportResult:
    """Create or replace up to 400 days in one transaction (admin), e.g. a year's
    holiday notice (国务院办公厅关于节假日安排的通知); all or nothing."""
    return await service.import_days(session, principal, data=body)


@router.get("/{day}", response_model=CalendarDayRead, responses=errors_doc(CalendarDayNotFound))
async def get_calendar_day(
    day: DayPath, session: SessionDep, _principal: CurrentPrincipal, response: Response
) -> CalendarDay:
    """One day's entry; 404 when the day has none and follows the normal week."""
    entry = await service.get(session, day)
    set_etag(response, entry.version)
    return entry


@router.put("/{day}", response_model=CalendarDayRead,
            responses=errors_doc(Forbidden, WorkdayNotWeekend, StaleVersion, CalendarDayConflict))
async def set_calendar_day(
    day: DayPath, body: CalendarDaySet, session: SessionDep, principal: CurrentPrincipal,
    if_match: IfMatch, response: Response,
) -> CalendarDay:
    """Make a day a holiday or a make-up working day, creating or replacing its entry
    (admin)."""
    entry = await service.set_day(session, principal, day=day, data=body,
                                  expected_version=if_match)
    set_etag(response, entry.version)
    return entry


@router.delete("/{day}", status_code=204,
               responses=errors_doc(Forbidden, CalendarDayNotFound, StaleVersion))
async def delete_calendar_day(
    day: DayPath, session: SessionDep, principal: CurrentPrincipal, if_match: IfMatch
) -> None:
    """Remove a day's entry, so it follows the normal week again (admin)."""
    await service.remove_day(session, principal, day=day, expected_version=if_match)


@router.post("/official-days/{year}", response_model=CalendarImportResult,
             responses=errors_doc(Forbidden, OfficialYearUnknown, CalendarDayConflict))
async def import_official_days(
    # Four digits rather than an integer: a year is no id, and a year beyond the package's
    # is a 422 that says which years it knows, not the 404 of a record that cannot exist.
    year: Annotated[str, Path(pattern=r"^[0-9]{4}$", description="The year, e.g. 2026",
                              examples=["2026"])],
    session: SessionDep, principal: CurrentPrincipal,
) -> CalendarImportResult:
    """Import the year's official Chinese public holidays and make-up working days (调休)
    from the chinesecalendar package (admin), like `salesflow calendar import-cn`; 422
    for a year the installed package does not know yet."""
    return await official.import_official_days(session, principal, year=int(year))
