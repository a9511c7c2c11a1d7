"""The lead funnel (leads → qualified → opportunities → won), aggregated in SQL: one
statement groups the cohort by department and rep and rolls the groups up per department
and in total. The report sums the rollup (app/leads/funnel_rollup.py): the range's whole
calendar months from `lead_funnel_month`, its other days from `lead_funnel_day`, so a year
costs ~12–40 rows per rep whatever the number of leads. Reading the leads themselves
(`from_rollup=False`, through the covering index `ix_lead_created_at_department_id_owner_id`)
gives the same figures: it is the reference the tests hold the rollup to."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    case,
    false,
    func,
    inspect,
    label,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_day_start
from app.core.db import money_column_type
from app.core.money import round_money
from app.core.permissions import visible_branches
from app.core.security import Principal
from app.leads.models import POOL, Lead, LeadFunnelDay, LeadFunnelMonth
from app.opportunities.models import Opportunity, OpportunityStage
from app.reports.errors import InvalidRange
from app.reports.schemas import DepartmentFunnel, FunnelFigures, FunnelReport, RepFunnel

COUNTS = ("leads", "qualified", "opportunities", "won")
AMOUNTS = ("opportunity_amount", "won_amount")


async def funnel(session: AsyncSession, principal: Principal, *, date_from: date | None,
                 date_to: date | None, department_id: str | None, owner_id: str | None,
                 today: date, from_rollup: bool = True) -> FunnelReport:
    """The cohort of leads created from `date_from` (default: the first of the month) to
    `date_to` (default: today), within what the principal may see, from the rollup (its
    whole months from the monthly rows, its other days from the daily ones; kept in each
    command's transaction, so it is current to the last commit for any range of whole
    days); `from_rollup=False` reads the leads themselves, the reference the rollup is
    checked against."""
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    if date_from > date_to:
        raise InvalidRange(f"from {date_from} is after to {date_to}.")
    # One grouped SELECT per visibility branch, so each reads its own index range; the
    # branches are disjoint and split on the grouping keys, so no group is in two of them.
    filters = _Filters(date_from, date_to, department_id, owner_id)
    branches: list[Any] = (
        [_rollup_groups(days, months, filters) for days, months in zip(
            _branches(principal, LeadFunnelDay), _branches(principal, LeadFunnelMonth),
            strict=True)]
        if from_rollup else [_lead_groups(leads, filters)
                             for leads in _branches(principal, Lead)])
    combined: Any = branches[0] if len(branches) == 1 else union_all(*branches)
    groups = combined.cte("cohort")
    figures = [groups.c[name] for name in (*COUNTS, *AMOUNTS)]
    money = money_column_type()
    rolled_up = [type_coerce(func.coalesce(func.sum(groups.c[name]), 0),
                             money if name in AMOUNTS else groups.c[name].type).label(name)
                 for name in (*COUNTS, *AMOUNTS)]
    no_key = type_coerce(null(), String)
    statement = union_all(
        select(literal("rep").label("level"), groups.c.department_id, groups.c.owner_id,
               *figures),
        select(literal("department"), groups.c.department_id, no_key, *rolled_up)
        .group_by(groups.c.department_id),
        select(literal("total"), no_key, no_key, *rolled_up),
    )
    rows = (await session.execute(statement)).mappings().all()
    return _report(rows, date_from=date_from, date_to=date_to)


@dataclass(frozen=True)
class _Filters:
    date_from: date
    date_to: date
    department_id: str | None
    owner_id: str | None


def _branches(principal: Principal, source: Any) -> list[Any]:
    return visible_branches(principal, owner_column=col(source.owner_id),
                            department_column=col(source.department_id)) or [false()]


def _lead_groups(visible: Any, filters: _Filters) -> Any:
    """The range's leads with their opportunities, grouped by department and rep."""
    won = col(Opportunity.stage) == OpportunityStage.won
    money = money_column_type()
    cohort = (
        # label() rather than the columns' .label(), which SQLAlchemy types as Label[Never].
        select(label("department_id", col(Lead.department_id)),
               label("owner_id", col(Lead.owner_id)),
               func.count().label("leads"),
               func.count(col(Lead.qualified_at)).label("qualified"),
               func.count(col(Opportunity.id)).label("opportunities"),
               type_coerce(func.coalesce(func.sum(Opportunity.expected_amount), 0),
                           money).label("opportunity_amount"),
               func.count(case((won, col(Opportunity.id)))).label("won"),
               type_coerce(func.coalesce(func.sum(case((won, col(Opportunity.won_amount)))), 0),
                           money).label("won_amount"))
        .select_from(Lead).outerjoin(Opportunity, col(Opportunity.lead_id) == Lead.id)
        .where(visible,
               col(Lead.created_at) >= _inline(local_day_start(filters.date_from)),
               col(Lead.created_at) < _inline(local_day_start(filters.date_to
                                                              + timedelta(days=1))))
        .group_by(col(Lead.department_id), col(Lead.owner_id)))
    if filters.department_id is not None:
        cohort = cohort.where(col(Lead.department_id) == filters.department_id)
    if filters.owner_id is not None:
        cohort = cohort.where(col(Lead.owner_id) == filters.owner_id)
    return cohort


def _rollup_groups(days_visible: Any, months_visible: Any, filters: _Filters) -> Any:
    """The range summed by department and rep: its whole months from `lead_funnel_month`,
    its other days (before the first whole month, after the last) from `lead_funnel_day`."""
    first, last = _whole_months(filters.date_from, filters.date_to)
    day_ranges = ([(filters.date_from, filters.date_to)] if last is None else
                  [(filters.date_from, first - timedelta(days=1)),
                   (_next_month(last), filters.date_to)])
    parts = [_rollup_rows(LeadFunnelDay, "day", days_visible, start, end, filters)
             for start, end in day_ranges if start <= end]
    if last is not None:
        parts.append(_rollup_rows(LeadFunnelMonth, "month", months_visible, first, last,
                                  filters))
    combined: Any = parts[0] if len(parts) == 1 else union_all(*parts)
    rows = combined.subquery("rollup")
    money = money_column_type()
    sums = [type_coerce(func.sum(rows.c[name]), money if name in AMOUNTS else Integer)
            .label(name) for name in (*COUNTS, *AMOUNTS)]
    return (select(rows.c.department_id, rows.c.owner_id, *sums)
            .group_by(rows.c.department_id, rows.c.owner_id))


def _rollup_rows(rollup: Any, period: str, visible: Any, start: date, end: date,
                 filters: _Filters) -> Any:
    """The rows of one rollup table whose period (its first day) is from `start` to `end`."""
    column = inspect(rollup).columns[period]
    rows = (select(label("department_id", col(rollup.department_id)),
                   label("owner_id", func.nullif(col(rollup.owner_id), POOL)),
                   *(col(getattr(rollup, name)) for name in (*COUNTS, *AMOUNTS)))
            .where(visible,
                   column >= literal(start, type_=column.type, literal_execute=True),
                   column <= literal(end, type_=column.type, literal_execute=True)))
    if filters.department_id is not None:
        rows = rows.where(col(rollup.department_id) == filters.department_id)
    if filters.owner_id is not None:
        rows = rows.where(col(rollup.owner_id) == filters.owner_id)
    return rows


def _whole_months(date_from: date, date_to: date) -> tuple[date, date | None]:
    """The first days of the first and last calendar months that lie wholly in the range
    (`None` for the last when no month does)."""
    first = date_from if date_from.day == 1 else _next_month(date_from)
    end = _next_month(date_to) if _next_month(date_to) - timedelta(days=1) == date_to \
        else date_to.replace(day=1)  # the month after the last whole one
    if first >= end:
        return first, None
    return first, (end - timedelta(days=1)).replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _inline(moment: datetime) -> Any:
    """A bound of the range written into the SQL, not sent as a parameter: PostgreSQL soon
    runs a prepared statement with a generic plan, which guesses a tiny range for unknown
    bounds and reads the wrong index (220 ms instead of 80 over 100,000 leads)."""
    return literal(moment, type_=inspect(Lead).columns["created_at"].type, literal_execute=True)


def _report(rows: Any, *, date_from: date, date_to: date) -> FunnelReport:
    """Arrange the few rolled-up rows the database returned (one per rep, department and
    the total) into the nested report."""
    departments: dict[str, DepartmentFunnel] = {}
    reps: dict[str, list[RepFunnel]] = {}
    total = _figures(FunnelFigures, {})
    for row in rows:
        if row["level"] == "total":
            total = _figures(FunnelFigures, row)
        elif row["level"] == "department":
            departments[row["department_id"]] = _figures(
                DepartmentFunnel, row, department_id=row["department_id"], reps=[])
        else:
            reps.setdefault(row["department_id"], []).append(
                _figures(RepFunnel, row, owner_id=row["owner_id"]))
    for key, department in departments.items():
        department.reps = sorted(reps.get(key, []),
                                 key=lambda r: (r.owner_id is None, r.owner_id or ""))
    return FunnelReport(date_from=date_from, date_to=date_to, total=total,
                        departments=[departments[key] for key in sorted(departments)])


def _figures(model: type, row: Any, **extra: Any) -> Any:
    counts = {name: int(row.get(name) or 0) for name in COUNTS}
    amounts = {name: round_money(row.get(name) or 0) for name in AMOUNTS}
    return model(**counts, **amounts, **extra,
                 qualification_rate=_percent(counts["qualified"], counts["leads"]),
                 conversion_rate=_percent(counts["opportunities"], counts["leads"]),
                 win_rate=_percent(counts["won"], counts["opportunities"]))


def _percent(part: int, whole: int) -> Decimal | None:
    return round_money(Decimal(part) * 100 / whole) if whole else None
