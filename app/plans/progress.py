"""Progress against the reps' targets (SPEC §4): per target and month of its plan's period,
the orders confirmed (not cancelled since) and the payments received, in CNY, read from
their running monthly totals (`sales_month_total`, app/orders/month_totals.py): a row per
rep and month, however many orders and payments they stand for.

A month is a company calendar month: an order confirmed at 23:59 Beijing time on 31 January
counts in January although it is 15:59 UTC. Sales count for the rep who owns the order and
the department it was sold in; collections for the rep and department of the payment."""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.money import round_money
from app.core.security import Principal
from app.orders.models import SalesMonthTotal
from app.plans import service
from app.plans.models import SalesPlan, SalesPlanStatus, SalesTarget
from app.plans.schemas import MonthProgress, PlanProgress, ProgressFigures, TargetProgress

ZERO = Decimal("0.00")
Key = tuple[str, str, int]  # department, owner, month


def _months(plan_month: int | None) -> list[int]:
    return [plan_month] if plan_month is not None else list(range(1, 13))


def _first_days(year: int, months: list[int]) -> list[date]:
    """The first day of each month, and of the month after the last."""
    last = months[-1]
    return [date(year, m, 1) for m in months] + [
        date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)]


async def _actuals(session: AsyncSession, *, year: int, months: list[int],
                   owners: set[str], departments: set[str]) -> tuple[dict[Key, Decimal],
                                                                      dict[Key, Decimal]]:
    days = _first_days(year, months)
    totals = col(SalesMonthTotal.month)
    rows = await session.execute(
        select(col(SalesMonthTotal.department_id), col(SalesMonthTotal.owner_id), totals,
               col(SalesMonthTotal.confirmed_base), col(SalesMonthTotal.collected_base))
        .where(totals >= days[0], totals < days[-1],
               col(SalesMonthTotal.owner_id).in_(sorted(owners)),
               col(SalesMonthTotal.department_id).in_(sorted(departments))))
    sold: dict[Key, Decimal] = {}
    paid: dict[Key, Decimal] = {}
    for department_id, owner_id, month, confirmed, collected in rows.all():
        key = (department_id, owner_id, month.month)
        sold[key], paid[key] = round_money(confirmed), round_money(collected)
    return sold, paid


def _percent(actual: Decimal, target: Decimal | None) -> Decimal | None:
    if not target:
        return None
    return round_money(actual * 100 / target)


def _figures(model: type[Any], target: Decimal | None, confirmed: Decimal, collected: Decimal,
             **extra: Any) -> Any:
    return model(target=target, confirmed=confirmed, collected=collected,
                 confirmed_percent=_percent(confirmed, target),
                 collected_percent=_percent(collected, target), **extra)


async def _report(session: AsyncSession, period: str,
                  rows: list[tuple[SalesTarget, SalesPlan]]) -> PlanProgress:
    year, month = int(period[:4]), int(period[5:]) if len(period) > 4 else None
    months = _months(month)
    split = await service.months_by_target(session, [t.id for t, _ in rows if t.id is not None])
    sold: dict[Key, Decimal] = {}
    paid: dict[Key, Decimal] = {}
    if rows:
        sold, paid = await _actuals(session, year=year, months=months,
                                    owners={t.owner_id for t, _ in rows},
                                    departments={t.department_id for t, _ in rows})
    items = []
    for target, plan in rows:
        assert target.id is not None and plan.id is not None  # loaded from the database
        shares = {m.month: m.amount for m in split.get(target.id, [])}
        per_month = []
        for m in months:
            key = (target.department_id, target.owner_id, m)
            goal = target.amount if month is not None else (
                shares.get(m, ZERO) if shares else None)
            per_month.append(_figures(MonthProgress, goal, sold.get(key, ZERO),
                                      paid.get(key, ZERO), month=m))
        items.append(_figures(
            TargetProgress, target.amount,
            sum((p.confirmed for p in per_month), start=ZERO),
            sum((p.collected for p in per_month), start=ZERO),
            target_id=target.id, plan_id=plan.id, plan_number=plan.number,
            department_id=target.department_id, period=plan.period, owner_id=target.owner_id,
            acknowledged=target.acknowledged_at is not None, months=per_month))
    total = _figures(ProgressFigures, sum((i.target or ZERO for i in items), start=ZERO),
                     sum((i.confirmed for i in items), start=ZERO),
                     sum((i.collected for i in items), start=ZERO))
    return PlanProgress(period=period, total=total, items=items)


async def plan_progress(session: AsyncSession, principal: Principal, *, plan_id: int
                        ) -> PlanProgress:
    """One plan's targets (any revision: a superseded one shows what it asked for)."""
    plan = await service.get_visible(session, principal, plan_id)
    targets = (await session.execute(select(SalesTarget).where(
        col(SalesTarget.plan_id) == plan_id).order_by(col(SalesTarget.owner_id)))).scalars()
    return await _report(session, plan.period, [(t, plan) for t in targets])


async def period_progress(session: AsyncSession, principal: Principal, *, period: str,
                          department_id: str | None, owner_id: str | None) -> PlanProgress:
    """Every target of the plans in force for the period, within what the caller sees: a
    rep their own, a head their department's, a deputy GM those overseen."""
    clauses: list[ColumnElement[bool]] = [
        col(SalesPlan.period) == period, col(SalesPlan.status) == SalesPlanStatus.approved,
        service.target_visible(principal)]
    if department_id is not None:
        clauses.append(col(SalesTarget.department_id) == department_id)
    if owner_id is not None:
        clauses.append(col(SalesTarget.owner_id) == owner_id)
    result = await session.execute(
        select(SalesTarget, SalesPlan).join(SalesPlan, col(SalesPlan.id) == SalesTarget.plan_id)
        .where(*clauses).order_by(col(SalesTarget.department_id), col(SalesTarget.owner_id)))
    return await _report(session, period, [(target, plan) for target, plan in result.all()])
