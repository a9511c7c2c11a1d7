"""Receivables (SPEC §3 Receivable): reading them with what is derived from today (overdue,
days overdue, the suggested collection step), and the collection actions logged on them.

Issuance lives in issuance.py (a shipment, a contract's milestone), payments in
payments.py, the write-off's approval in approval.py, the overdue sweep in overdue.py.

Lock order, everywhere in this domain: an approval request, then the order (a shipment or a
return, with its delivery), then receivables in id order, then the contract, then the
customer's credit row; last, at the commit, the rows of the open-balance rollup, in key order
(open_balances.py)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_date
from app.core.db import commit
from app.core.filters import where_range
from app.core.numbering import number_is
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import Capability, can, visible
from app.core.security import Principal
from app.core.versioning import bump_version, ensure_version
from app.events.changes import record_change
from app.receivables.errors import NothingOwed, ReceivableForbidden, ReceivableNotFound
from app.receivables.models import (
    DunningAction,
    DunningEntry,
    PaymentAllocation,
    Receivable,
    ReceivableStatus,
)
from app.receivables.schemas import DunningCreate, ReceivableSummary
from app.receivables.states import OUTSTANDING, PAYABLE

ENTITY = "receivable"
ZERO = Decimal("0.00")
# The collection ladder (001 §4(2)5): the step suggested by days overdue, up to and
# including the bound.
LADDER: tuple[tuple[int, DunningAction], ...] = (
    (30, DunningAction.reminder_letter), (60, DunningAction.visit))
LAST_STEP = DunningAction.legal


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Receivable.owner_id,
                   department_column=Receivable.department_id)


def require(principal: Principal, capability: Capability, doing: str) -> None:
    if not can(principal, capability):
        raise ReceivableForbidden(f"Your roles do not {doing}.", capability=capability.value)


# ---- what is derived from today -----------------------------------------------------------


def days_overdue(receivable: Receivable, today: date) -> int:
    """Days past the due date while money is still owed; 0 when not overdue."""
    if receivable.status not in OUTSTANDING or receivable.balance <= ZERO:
        return 0
    return max((today - receivable.due_date).days, 0)


def suggested_action(days: int) -> DunningAction | None:
    """1–30 days overdue: a reminder letter; 31–60: a visit; more than 60: legal action."""
    if days <= 0:
        return None
    for bound, action in LADDER:
        if days <= bound:
            return action
    return LAST_STEP


def overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL: owed and past due on `today` (the balance of an outstanding status is > 0)."""
    return col(Receivable.status).in_(OUTSTANDING) & (col(Receivable.due_date) < today)


# ---- reading ----------------------------------------------------------------------------


async def get_visible(session: AsyncSession, principal: Principal, receivable_id: int, *,
                      for_update: bool = False) -> Receivable:
    statement = select(Receivable).where(col(Receivable.id) == receivable_id,
                                         _visible(principal))
    if for_update:
        # Read as the lock finds it, not as the session may have held it before.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    receivable = (await session.execute(statement)).scalar_one_or_none()
    if receivable is None:
        raise ReceivableNotFound(f"No receivable {receivable_id}.")
    return receivable


async def locked_visible(session: AsyncSession, principal: Principal, ids: list[int]
                         ) -> list[Receivable]:
    """The receivables of `ids` the principal sees, locked in id order (so two payments
    touching the same receivables queue instead of deadlocking)."""
    statement = (select(Receivable).where(col(Receivable.id).in_(sorted(set(ids))),
                                          _visible(principal))
                 .order_by(col(Receivable.id)).with_for_update()
                 .execution_options(populate_existing=True))
    return list((await session.execute(statement)).scalars())


SORTS = Sorts("Receivable", {
    "created_at": col(Receivable.created_at), "updated_at": col(Receivable.updated_at),
    "number": col(Receivable.number), "due_date": col(Receivable.due_date),
    "invoice_date": col(Receivable.invoice_date), "amount": col(Receivable.amount),
    "balance": col(Receivable.balance),
}, tiebreaker=col(Receivable.id))


async def list_receivables(
    session: AsyncSession, principal: Principal, *, today: date,
    status: ReceivableStatus | None = None, customer_id: int | None = None,
    contract_id: int | None = None, order_id: int | None = None,
    owner_id: str | None = None, department_id: str | None = None,
    overdue: bool | None = None, due_from: date | None = None, due_to: date | None = None,
    number: str | None = None, amount_from: Decimal | None = None,
    amount_to: Decimal | None = None, balance_from: Decimal | None = None,
    balance_to: Decimal | None = None, page: ListRequest,
) -> Listed[Receivable]:
    statement: Select[Any] = select(Receivable).where(_visible(principal))
    if number is not None:
        statement = statement.where(number_is(col(Receivable.number), number))
    for column, value in ((Receivable.status, status), (Receivable.customer_id, customer_id),
                          (Receivable.contract_id, contract_id),
                          (Receivable.order_id, order_id), (Receivable.owner_id, owner_id),
                          (Receivable.department_id, department_id)):
        if value is not None:
            statement = statement.where(col(column) == value)
    if overdue is not None:
        clause = overdue_clause(today)
        statement = statement.where(clause if overdue else ~clause)
    if due_from is not None:
        statement = statement.where(col(Receivable.due_date) >= due_from)
    if due_to is not None:
        statement = statement.where(col(Receivable.due_date) <= due_to)
    statement = where_range(statement, col(Receivable.amount), amount_from, amount_to)
    statement = where_range(statement, col(Receivable.balance), balance_from, balance_to)
    return await SORTS.page(session, statement, page)


async def allocations_of(session: AsyncSession, receivable_id: int) -> list[PaymentAllocation]:
    return list((await session.execute(
        select(PaymentAllocation).where(col(PaymentAllocation.receivable_id) == receivable_id)
        .order_by(col(PaymentAllocation.id)))).scalars())


async def dunning_of(session: AsyncSession, receivable_id: int) -> list[DunningEntry]:
    return list((await session.execute(
        select(DunningEntry).where(col(DunningEntry.receivable_id) == receivable_id)
        .order_by(col(DunningEntry.id)))).scalars())


# ---- collection (催款) --------------------------------------------------------------------


async def record_dunning(session: AsyncSession, principal: Principal, *, receivable_id: int,
                         data: DunningCreate, expected_version: int | None,
                         now: datetime) -> Receivable:
    """Log a collection action on a receivable still owed: any step of the ladder may be
    taken (the suggestion is advice), with the customer's promised date if any."""
    receivable = await get_visible(session, principal, receivable_id, for_update=True)
    require(principal, Capability.receivable_dunning, "record collection actions")
    ensure_version(receivable.version, expected_version)
    if receivable.status not in OUTSTANDING:
        raise NothingOwed(f"The receivable is {receivable.status.value}.",
                          current_status=receivable.status.value)
    assert receivable.id is not None  # loaded from the database
    days = days_overdue(receivable, local_date(now))
    entry = DunningEntry(receivable_id=receivable.id, action=data.action, days_overdue=days,
                         notes=data.notes, promised_on=data.promised_on,
                         recorded_by=principal.sub)
    session.add(entry)
    await session.flush()
    before = summary(receivable)
    bump_version(receivable)
    suggested = suggested_action(days)
    record_change(session, principal, event_type="receivable.dunning_recorded",
                  entity_type=ENTITY, entity_id=receivable.id, before=before,
                  after=summary(receivable),
                  event_data={**summary(receivable), "dunning_entry_id": entry.id,
                              "action": data.action.value, "days_overdue": days,
                              "suggested_action": suggested.value if suggested else None,
                              "notes": data.notes,
                              "promised_on": data.promised_on.isoformat()
                              if data.promised_on else None})
    await commit(session)
    return receivable


# ---- shared -----------------------------------------------------------------------------


def summary(receivable: Receivable) -> dict[str, Any]:
    assert receivable.id is not None  # flushed or loaded
    return ReceivableSummary(
        id=receivable.id, number=receivable.number, source=receivable.source,
        status=receivable.status, customer_id=receivable.customer_id,
        contract_id=receivable.contract_id, order_id=receivable.order_id,
        delivery_id=receivable.delivery_id, milestone_index=receivable.milestone_index,
        department_id=receivable.department_id, owner_id=receivable.owner_id,
        currency=receivable.currency, amount=f"{receivable.amount:.2f}",
        amount_base=f"{receivable.amount_base:.2f}", balance=f"{receivable.balance:.2f}",
        balance_base=f"{receivable.balance_base:.2f}", invoice_date=receivable.invoice_date,
        due_date=receivable.due_date, version=receivable.version).model_dump(mode="json")


def allowed_actions(receivable: Receivable, principal: Principal,
                    approval_actions: list[str]) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    actions: list[str] = []
    if receivable.status == ReceivableStatus.pending_write_off:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if receivable.status in PAYABLE:
        if can(principal, Capability.payment_record):
            actions.append("pay")
        if can(principal, Capability.receivable_credit):
            actions.append("credit")
        if can(principal, Capability.receivable_write_off):
            actions.append("write_off")
    if receivable.status in OUTSTANDING and can(principal, Capability.receivable_dunning):
        actions.append("dunning")
    return actions
