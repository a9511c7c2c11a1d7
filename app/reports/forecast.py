"""The cash forecast: expected cash by ISO week for the 13 weeks from the week of `as_of`.

Two sources. Open receivables count by due date (their balance, CNY), summed per week in
SQL. Signed contracts' payment milestones with no receivable issued for them yet count by
the date the money should come: a prepayment from the signing date, every other kind
(on_delivery, acceptance, retention, other) from the contract's delivery date, plus the
milestone's `due_days`. A contract's pending milestones never add up to more than what is
left of it uninvoiced (its total less every receivable issued on it, however issued, e.g.
per delivery), trimmed from the last milestone of the schedule back: nothing counts twice."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.contracts.models import Contract, ContractStatus
from app.core.db import money_column_type
from app.core.money import round_money
from app.core.permissions import visible
from app.core.security import Principal
from app.receivables.models import Receivable
from app.reports.receivables import open_receivables
from app.reports.schemas import CashAmounts, CashForecast, ForecastWeek

WEEKS = 13
OVERDUE, LATER, UNDATED = -1, WEEKS, WEEKS + 1


@dataclass
class _Slot:
    receivables: Decimal = field(default_factory=lambda: Decimal("0.00"))
    milestones: Decimal = field(default_factory=lambda: Decimal("0.00"))

    def amounts(self) -> dict[str, Decimal]:
        return {"receivables": round_money(self.receivables),
                "milestones": round_money(self.milestones),
                "total": round_money(self.receivables + self.milestones)}


def _week_starts(as_of: date) -> list[date]:
    """The first day of each of the 13 weeks: as_of, then the following Mondays."""
    monday = as_of - timedelta(days=as_of.weekday())
    return [as_of] + [monday + timedelta(weeks=n) for n in range(1, WEEKS)]


def _slot_of(day: date, starts: list[date]) -> int:
    if day < starts[0]:
        return OVERDUE
    if day >= starts[-1] + timedelta(weeks=1):
        return LATER
    return max(n for n, start in enumerate(starts) if day >= start)


async def cash_forecast(session: AsyncSession, principal: Principal, *,
                        as_of: date) -> CashForecast:
    starts = _week_starts(as_of)
    slots = {n: _Slot() for n in (OVERDUE, *range(WEEKS), LATER, UNDATED)}

    due = col(Receivable.due_date)
    # The slot as a CASE on the due date: 13 week starts and the end of the horizon.
    week = case((due < literal(starts[0]), literal(OVERDUE)),
                *((due < literal(start), literal(n - 1)) for n, start in enumerate(starts)
                  if n > 0),
                (due < literal(starts[-1] + timedelta(weeks=1)), literal(WEEKS - 1)),
                else_=literal(LATER)).label("slot")
    receivables = (select(week, type_coerce(func.sum(Receivable.balance_base),
                                            money_column_type()).label("amount"))
                   .where(*open_receivables(principal)).group_by(week))
    for slot, amount in (await session.execute(receivables)).all():
        slots[slot].receivables += amount or 0

    for slot, amount in await _pending_milestones(session, principal, starts):
        slots[slot].milestones += amount

    weeks = [ForecastWeek(week=f"{start.isocalendar().year}-W{start.isocalendar().week:02d}",
                          starts_on=start,
                          ends_on=start + timedelta(days=6 - start.weekday()),
                          **slots[n].amounts())
             for n, start in enumerate(starts)]
    total = _Slot(sum((s.receivables for s in slots.values()), start=Decimal(0)),
                  sum((s.milestones for s in slots.values()), start=Decimal(0)))
    return CashForecast(as_of=as_of, overdue=CashAmounts(**slots[OVERDUE].amounts()),
                        weeks=weeks, later=CashAmounts(**slots[LATER].amounts()),
                        undated=CashAmounts(**slots[UNDATED].amounts()),
                        total=CashAmounts(**total.amounts()))


async def _pending_milestones(session: AsyncSession, principal: Principal,
                              starts: list[date]) -> list[tuple[int, Decimal]]:
    """(slot, amount) of each signed contract's milestones not yet invoiced."""
    signed = (col(Contract.status) == ContractStatus.signed,
              visible(principal, owner_column=Contract.owner_id,
                      department_column=Contract.department_id))
    contracts = (await session.execute(select(Contract).where(*signed))).scalars().all()
    if not contracts:
        return []
    # What was issued on those contracts (a subquery, not a list of ids: a company has
    # more signed contracts than a statement takes parameters).
    issued = (select(col(Receivable.contract_id), col(Receivable.milestone_index),
                     func.sum(Receivable.amount_base).label("amount"))
              .where(col(Receivable.contract_id).in_(select(col(Contract.id)).where(*signed)))
              .group_by(col(Receivable.contract_id), col(Receivable.milestone_index)))
    invoiced: dict[int | None, Decimal] = {}
    milestones_invoiced: set[tuple[int | None, int]] = set()
    for contract_id, milestone_index, amount in (await session.execute(issued)).all():
        invoiced[contract_id] = invoiced.get(contract_id, Decimal(0)) + round_money(amount)
        if milestone_index is not None:
            milestones_invoiced.add((contract_id, milestone_index))

    found: list[tuple[int, Decimal]] = []
    for contract in contracts:
        left = contract.total_base - invoiced.get(contract.id, Decimal(0))
        pending = []
        for index, milestone in enumerate(contract.payment_schedule):
            if (contract.id, index) in milestones_invoiced:
                continue
            amount = round_money(contract.total_base * Decimal(str(milestone["percent"])) / 100)
            pending.append((_milestone_slot(contract, milestone, starts), amount))
        # Latest first gives up what the contract's other receivables already cover.
        for position in range(len(pending) - 1, -1, -1):
            covered = sum((amount for _, amount in pending), start=Decimal(0)) - left
            if covered <= 0:
                break
            slot, amount = pending[position]
            pending[position] = (slot, max(Decimal(0), amount - covered))
        found += [(slot, amount) for slot, amount in pending if amount > 0]
    return found


def _milestone_slot(contract: Contract, milestone: dict[str, Any], starts: list[date]) -> int:
    anchor = contract.signed_date if milestone["kind"] == "prepayment" else contract.delivery_date
    if anchor is None:
        return UNDATED
    return _slot_of(anchor + timedelta(days=int(milestone.get("due_days") or 0)), starts)
