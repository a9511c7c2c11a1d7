"""The lead funnel (leads → qualified → opportunities → won), aggregated in SQL: one
statement groups the cohort by department and rep and rolls the groups up per department
and in total. A short range reads its leads (the covering index
`ix_lead_created_at_department_id_owner_id`); a longer one sums the daily rollup
`lead_funnel_day` (app/leads/funnel_rollup.py), a row per day, department and rep, so a
year costs ~365 × reps rows whatever the number of leads. Both give the same figures."""

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
from app.leads.models import POOL, Lead, LeadFunnelDay
from app.opportunities.models import Opportunity, OpportunityStage
from app.reports.errors import InvalidRange
from app.reports.schemas import DepartmentFunnel, FunnelFigures, FunnelReport, RepFunnel

COUNTS = ("leads", "qualified", "opportunities", "won")
AMOUNTS = ("opportunity_amount", "won_amount")


async def funnel(session: AsyncSession, principal: Principal, *, date_from: date | None,
                 date_to: date | None, department_id: str | None, owner_id: str | None,
                 today: date, from_rollup: bool = True) -> FunnelReport:
    """The cohort of leads created from `date_from` (default: the first of the month) to
    `date_to` (default: today), within what the principal may see, from the daily rollup
    (kept in each command's transaction, so it is current to the last commit for any range
    of whole days); `from_rollup=False` reads the leads themselves, the reference the
    rollup is checked against."""
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    if date_from > date_to:
        raise InvalidRange(f"from {date_from} is after to {date_to}.")
    grouped = _rollup_groups if from_rollup else _lead_groups
    # One grouped SELECT per visibility branch, so each reads its own index range; the
    # branches are disjoint and split on the grouping keys, so no group is in two of them.
    branches: list[Any] = [grouped(branch, date_from=date_from, date_to=date_to,
                                   department_id=department_id, owner_id=owner_id)
                           for branch in _branches(principal, from_rollup=from_rollup)]
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


def _branches(principal: Principal, *, from_rollup: bool) -> list[Any]:
    source: Any = LeadFunnelDay if from_rollup else Lead
    return visible_branches(principal, owner_column=col(source.owner_id),
                            department_column=col(source.department_id)) or [false()]


def _lead_groups(visible: Any, *, date_from: date, date_to: date, department_id: str | None,
                 owner_id: str | None) -> Any:
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
               col(Lead.created_at) >= _inline(local_day_start(date_from)),
               col(Lead.created_at) < _inline(local_day_start(date_to + timedelta(days=1))))
        .group_by(col(Lead.department_id), col(Lead.owner_id)))
    if department_id is not None:
        cohort = cohort.where(col(Lead.department_id) == department_id)
    if owner_id is not None:
        cohort = cohort.where(col(Lead.owner_id) == owner_id)
    return cohort


def _rollup_groups(visible: Any, *, date_from: date, date_to: date,
                   department_id: str | None, owner_id: str | None) -> Any:
    """The range's days of the rollup, summed by department and rep."""
    money = money_column_type()
    day = inspect(LeadFunnelDay).columns["day"]
    sums = [type_coerce(func.sum(col(getattr(LeadFunnelDay, name))),
                        money if name in AMOUNTS else Integer).label(name)
            for name in (*COUNTS, *AMOUNTS)]
    groups = (
        select(label("department_id", col(LeadFunnelDay.department_id)),
               label("owner_id", func.nullif(col(LeadFunnelDay.owner_id), POOL)), *sums)
        .where(visible,
               col(LeadFunnelDay.day) >= literal(date_from, type_=day.type,
                                                 literal_execute=True),
               col(LeadFunnelDay.day) <= literal(date_to, type_=day.type,
                                                 literal_execute=True))
        .group_by(col(LeadFunnelDay.department_id), col(LeadFunnelDay.owner_id)))
    if department_id is not None:
        groups = groups.where(col(LeadFunnelDay.department_id) == department_id)
    if owner_id is not None:
        groups = groups.where(col(LeadFunnelDay.owner_id) == owner_id)
    return groups


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
