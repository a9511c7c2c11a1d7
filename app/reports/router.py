from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.calendar.working_time import local_date
from app.core import export
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import names_of
from app.core.errors import errors_doc
from app.core.i18n import current_language
from app.core.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery
from app.core.schemas import FIRST_DAY, LAST_DAY
from app.core.security import CurrentPrincipal
from app.plans import exports as plan_exports
from app.plans import progress as plan_progress
from app.plans.schemas import PERIOD_PATTERN, PlanProgress
from app.reports import complaints as complaints_report
from app.reports import daily as daily_report
from app.reports import exports
from app.reports import forecast as forecast_report
from app.reports import funnel as funnel_report
from app.reports import receivables as receivables_reports
from app.reports.errors import InvalidRange
from app.reports.schemas import (
    AgingGroup,
    AgingReport,
    AgingRow,
    CashForecast,
    CollectionSchedule,
    ComplaintReport,
    DailyReport,
    FunnelReport,
)

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/funnel", response_model=FunnelReport,
            responses=errors_doc(InvalidRange) | export.file_responses())
async def get_funnel_report(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    date_from: Annotated[date | None, Query(
        alias="from", ge=FIRST_DAY, le=LAST_DAY,
        description="First day of the cohort (company calendar); default: the first of "
                    "this month")] = None,
    date_to: Annotated[date | None, Query(
        alias="to", ge=FIRST_DAY, le=LAST_DAY,
        description="Last day, inclusive; default: today")] = None,
    department_id: Annotated[str | None, Query(max_length=32)] = None,
    owner_id: Annotated[str | None, Query(max_length=128)] = None,
    format: export.FormatQuery = None,
) -> FunnelReport | StreamingResponse:
    """Leads → qualified → opportunities → won, with counts and amounts, by department and
    rep, for the leads created in the range; within what the caller may see. As CSV or XLSX
    with `format`: a row per rep, each department's subtotal after its reps, the total
    last."""
    report = await funnel_report.funnel(session, principal, date_from=date_from,
                                        date_to=date_to, department_id=department_id,
                                        owner_id=owner_id, today=local_date(now))
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return report
    names = await names_of(session, departments=[d.department_id for d in report.departments],
                           people=[r.owner_id for d in report.departments for r in d.reps])
    return await exports.FUNNEL.rows(
        wanted, exports.funnel_rows(report, names, current_language()), now=now)


AsOf = Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                    description="Company calendar day; default: today")]


@router.get("/receivables-aging", response_model=AgingReport,
            responses=errors_doc(InvalidCursor) | export.file_responses())
async def get_receivables_aging(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    as_of: AsOf = None,
    department_id: Annotated[str | None, Query(max_length=32)] = None,
    group_by: Annotated[AgingGroup, Query(description="One row per customer, rep "
                                                      "(owner) or department")] = "customer",
    limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None,
    format: export.FormatQuery = None,
) -> AgingReport | StreamingResponse:
    """Open receivable balances bucketed by days overdue on `as_of` (current, 1-30, 31-60,
    61-90, over 90), per group in pages, with the total over all groups; within what the
    caller may see. Every group, and the total as the last row, as CSV or XLSX with
    `format`."""
    day = as_of or local_date(now)
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return await receivables_reports.aging(
            session, principal, as_of=day, group_by=group_by, department_id=department_id,
            limit=limit, cursor=cursor)

    async def pages(after: str | None) -> tuple[list[AgingRow], str | None]:
        report = await receivables_reports.aging(
            session, principal, as_of=day, group_by=group_by, department_id=department_id,
            limit=export.EXPORT_PAGE, cursor=after)
        rows = list(report.items)
        if report.next_cursor is None:
            rows.append(AgingRow(key=export.TOTAL(current_language()),
                                 **report.total.model_dump()))
        return rows, report.next_cursor
    return await exports.AGING.response(wanted, now=now, pages=pages)


@router.get("/collection-schedule", response_model=CollectionSchedule,
            responses=errors_doc(InvalidCursor) | export.file_responses())
async def get_collection_schedule(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    on: Annotated[date | None, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY,
                                     description="The collection day; default: today")] = None,
    owner_id: Annotated[str | None, Query(max_length=128, description="One rep")] = None,
    department_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None,
    format: export.FormatQuery = None,
) -> CollectionSchedule | StreamingResponse:
    """What each rep should collect on the date (排期清欠表): open receivables due on or
    before it, by rep and the most overdue first, with the last dunning action and the
    suggested next one; within what the caller may see. Every row, and their CNY balance
    in total as the last, as CSV or XLSX with `format`."""
    day = on or local_date(now)
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return await receivables_reports.collection_schedule(
            session, principal, on=day, owner_id=owner_id, department_id=department_id,
            limit=limit, cursor=cursor)
    total = Decimal(0)

    async def pages(after: str | None) -> tuple[list[SimpleNamespace], str | None]:
        nonlocal total
        schedule = await receivables_reports.collection_schedule(
            session, principal, on=day, owner_id=owner_id, department_id=department_id,
            limit=export.EXPORT_PAGE, cursor=after)
        names = await names_of(session, people={i.owner_id for i in schedule.items},
                               departments={i.department_id for i in schedule.items})
        rows = exports.collection_rows(schedule.items, names)
        total += sum((item.balance_base for item in schedule.items), start=Decimal(0))
        if schedule.next_cursor is None:
            rows.append(exports.collection_total(total, current_language()))
        return rows, schedule.next_cursor
    return await exports.COLLECTION_SCHEDULE.response(wanted, now=now, pages=pages)


@router.get("/daily", response_model=DailyReport, responses=export.file_responses())
async def get_daily_report(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    on: Annotated[date | None, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY,
                                     description="Company calendar day; default: "
                                                 "today")] = None,
    department_id: Annotated[str | None, Query(max_length=32)] = None,
    format: export.FormatQuery = None,
) -> DailyReport | StreamingResponse:
    """The day's figures (工作日报) per department: confirmed sales, collections, overdue
    money collected, new customers and open complaints; within what the caller may see. A
    row per department and the total last, as CSV or XLSX with `format`."""
    report = await daily_report.daily(session, principal, on=on or local_date(now),
                                      department_id=department_id)
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return report
    names = await names_of(session, departments=[d.department_id for d in report.departments])
    return await exports.DAILY.rows(
        wanted, exports.daily_rows(report, names, current_language()), now=now)


@router.get("/cash-forecast", response_model=CashForecast, responses=export.file_responses())
async def get_cash_forecast(request: Request, session: SessionDep, principal: CurrentPrincipal,
                            now: Now, as_of: AsOf = None, format: export.FormatQuery = None
                            ) -> CashForecast | StreamingResponse:
    """Expected cash by ISO week for the next 13 weeks from open receivables and signed
    contracts' milestones not yet invoiced, the overdue apart; within what the caller may
    see. As CSV or XLSX with `format`: the overdue, each week, what comes later, the
    undated, the total."""
    report = await forecast_report.cash_forecast(session, principal,
                                                 as_of=as_of or local_date(now))
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return report
    return await exports.CASH_FORECAST.rows(
        wanted, exports.cash_forecast_rows(report, current_language()), now=now)


@router.get("/plan-progress", response_model=PlanProgress, responses=export.file_responses())
async def get_plan_progress(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    period: Annotated[str | None, Query(
        pattern=PERIOD_PATTERN, description="A year (`2026`) or a month (`2026-03`); "
                                            "default: this year")] = None,
    department_id: Annotated[str | None, Query(max_length=32)] = None,
    owner_id: Annotated[str | None, Query(max_length=128, description="One rep")] = None,
    format: export.FormatQuery = None,
) -> PlanProgress | StreamingResponse:
    """Every target of the sales plans in force for the period, with the orders confirmed
    and payments received against it per month (company calendar), in CNY, and the
    percentage reached; within what the caller may see (a rep their own targets, a head
    their department's). As CSV or XLSX with `format`: a row per target, the months of a
    yearly period as columns, the total last."""
    report = await plan_progress.period_progress(
        session, principal, period=period or str(local_date(now).year),
        department_id=department_id, owner_id=owner_id)
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return report
    return await plan_exports.progress_file(session, wanted, report, now=now)


@router.get("/complaints", response_model=ComplaintReport,
            responses=errors_doc(InvalidRange) | export.file_responses())
async def get_complaints_report(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    date_from: Annotated[date | None, Query(
        alias="from", ge=FIRST_DAY, le=LAST_DAY,
        description="First day received (company calendar); default: the first of the "
                    "year of `to`")] = None,
    date_to: Annotated[date | None, Query(
        alias="to", ge=FIRST_DAY, le=LAST_DAY,
        description="Last day received, inclusive; default: today")] = None,
    format: export.FormatQuery = None,
) -> ComplaintReport | StreamingResponse:
    """Complaints received in the range: how many, how many still open or closed, and the
    mean hours from receipt to close, by category and by responsible department; within
    what the caller may see. As CSV or XLSX with `format`: the categories, then the
    departments, then the total."""
    report = await complaints_report.complaints(session, principal, date_from=date_from,
                                                date_to=date_to, today=local_date(now))
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return report
    names = await names_of(session, departments=[d.department_id for d in report.by_department])
    return await exports.COMPLAINTS.rows(
        wanted, exports.complaint_rows(report, names, current_language()), now=now)
