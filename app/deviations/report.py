"""Deviation control (销售偏差, 002 §3.2), computed in SQL for any department and period.

For a period (a year, or a month of a year): actual = the sales confirmed in it (orders
confirmed in the period, on the company calendar, not cancelled since; in CNY, as the daily
report counts them), summed from their running monthly totals (`sales_month_total`,
app/orders/month_totals.py) rather than from every order of the period; baseline = the actual of the same period last year; standard =
baseline × (1 + the department's planned growth rate for the year), half-up to the cent;
deviation = actual − standard. A month is the same month a year earlier, whatever its
length (February of a leap year against a February of 28 days); the year is twelve such
months."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, null, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from app.core.db import money_column_type
from app.core.permissions import PLANNING_RECORD_SCOPES, visible
from app.core.security import Principal
from app.departments.models import Department
from app.deviations.models import GrowthTarget
from app.orders.models import SalesMonthTotal

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
    month = col(SalesMonthTotal.month)

    def within(span: Period) -> ColumnElement[bool]:
        return and_(month >= span.first_day, month < span.next_first_day)

    answers_for = visible(principal, owner_column=null(),
                          department_column=col(SalesMonthTotal.department_id),
                          table=PLANNING_RECORD_SCOPES)
    # Both years' months of every rep in one pass: a row per rep and month.
    filters = [answers_for, or_(within(period), within(period.last_year))]
    if department_id is not None:
        filters.append(col(SalesMonthTotal.department_id) == department_id)
    confirmed = col(SalesMonthTotal.confirmed_base)
    sales = (
        select(col(SalesMonthTotal.department_id).label("department_id"),
               func.coalesce(func.sum(confirmed).filter(within(period)), 0).label("actual"),
               func.coalesce(func.sum(confirmed).filter(within(period.last_year)), 0)
               .label("baseline"))
        .where(*filters).group_by(col(SalesMonthTotal.department_id)).subquery("sales"))
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
