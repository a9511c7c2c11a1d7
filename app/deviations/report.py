"""Deviation control (销售偏差, 002 §3.2), computed in SQL for any department and period.

For a period (a year, or a month of a year): actual = the sales confirmed in it (orders
confirmed in the period, on the company calendar, not cancelled since; in CNY, as the daily
report counts them); baseline = the actual of the same period last year; standard =
baseline × (1 + the department's planned growth rate for the year), half-up to the cent;
deviation = actual − standard. A month is the same month a year earlier, whatever its
length (February of a leap year against a February of 28 days); the year is twelve such
months."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, null, or_, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from app.calendar.working_time import local_day_start
from app.core.db import money_column_type
from app.core.permissions import PLANNING_RECORD_SCOPES, visible
from app.core.security import Principal
from app.departments.models import Department
from app.deviations.indexes import STANDING
from app.deviations.models import GrowthTarget
from app.orders.models import Order

PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$")
PERIOD_PATTERN = PERIOD.pattern


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None  # None: the whole year

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = PERIOD.match(text)
        assert match is not None, text  # the query parameter's pattern has checked it
        return cls(int(match.group(1)), int(match.group(2)) if match.group(2) else None)

    def __str__(self) -> str:
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def next_first_day(self) -> date:
        if self.month is None or self.month == 12:
            return date(self.year + 1, 1, 1)
        return date(self.year, self.month + 1, 1)

    @property
    def last_year(self) -> "Period":
        return Period(self.year - 1, self.month)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC: midnight of its first day to midnight after its last, on the
        company calendar."""
        return local_day_start(self.first_day), local_day_start(self.next_first_day)


class grown_by(FunctionElement[Decimal]):
    """amount × (1 + rate), half-up to the cent, for a money amount and a growth rate of
    four places; non-negative inputs (the rate is at least −1).

    On PostgreSQL NUMERIC is exact and ROUND(…, 2) rounds halves away from zero. On SQLite
    the columns hold integer fen and integer ten-thousandths (app.core.db.ExactDecimal), so
    the product is in integer arithmetic: fen × (10000 + rate) is in millionths of a yuan…
    divided by 10000 with half added first, which is half-up for a non-negative product."""

    name = "grown_by"
    inherit_cache = True
    type = money_column_type()


@compiles(grown_by)
def _grown_by(element: grown_by, compiler: SQLCompiler, **kw: Any) -> str:
    amount, rate = (compiler.process(c, **kw) for c in element.clauses)
    return f"ROUND(({amount}) * (1 + ({rate})), 2)"


@compiles(grown_by, "sqlite")
def _grown_by_sqlite(element: grown_by, compiler: SQLCompiler, **kw: Any) -> str:
    amount, rate = (compiler.process(c, **kw) for c in element.clauses)
    return f"((({amount}) * (10000 + ({rate})) + 5000) / 10000)"


@dataclass(frozen=True)
class Figures:
    department_id: str
    actual: Decimal
    baseline: Decimal
    growth_rate: Decimal
    growth_rate_set: bool
    standard: Decimal
    deviation: Decimal


def _money(expression: ColumnElement[Any]) -> ColumnElement[Decimal]:
    return type_coerce(expression, money_column_type())


async def figures(session: AsyncSession, principal: Principal, period: Period, *,
                  department_id: str | None) -> list[Figures]:
    """One row per department the caller answers for (or the one asked), in id order."""
    start, end = period.bounds()
    last_start, last_end = period.last_year.bounds()
    confirmed = col(Order.confirmed_at)

    def within(low: datetime, high: datetime) -> ColumnElement[bool]:
        return and_(confirmed >= low, confirmed < high)

    answers_for = visible(principal, owner_column=null(),
                          department_column=col(Order.department_id),
                          table=PLANNING_RECORD_SCOPES)
    # Both years' orders in one pass over ix_sales_order_standing_confirmed_at: the status
    # is written as a literal so that the planner matches the partial index's predicate
    # even in a generic plan of the prepared statement.
    filters: list[ColumnElement[bool] | TextClause] = [
        text(STANDING), answers_for, or_(within(start, end), within(last_start, last_end))]
    if department_id is not None:
        filters.append(col(Order.department_id) == department_id)
    sales = (
        select(col(Order.department_id).label("department_id"),
               func.coalesce(func.sum(Order.total_base).filter(within(start, end)), 0)
               .label("actual"),
               func.coalesce(func.sum(Order.total_base).filter(within(last_start, last_end)),
                             0).label("baseline"))
        .where(*filters).group_by(col(Order.department_id)).subquery("sales"))
    actual = func.coalesce(sales.c.actual, 0)
    baseline = func.coalesce(sales.c.baseline, 0)
    rate = func.coalesce(col(GrowthTarget.growth_rate), 0)
    standard = grown_by(baseline, rate)
    statement = (
        select(col(Department.id), _money(actual), _money(baseline),
               type_coerce(rate, GrowthTarget.__table__.c.growth_rate.type),  # type: ignore[attr-defined]
               col(GrowthTarget.id).is_not(None), _money(standard),
               _money(actual - standard))
        .outerjoin(sales, sales.c.department_id == Department.id)
        .outerjoin(GrowthTarget, and_(col(GrowthTarget.department_id) == Department.id,
                                      col(GrowthTarget.year) == period.year))
        .where(visible(principal, owner_column=null(), department_column=col(Department.id),
                       table=PLANNING_RECORD_SCOPES))
        .order_by(col(Department.id)))
    if department_id is not None:
        statement = statement.where(col(Department.id) == department_id)
    else:
        statement = statement.where(col(Department.active).is_(True))
    return [Figures(*row) for row in (await session.execute(statement)).all()]
