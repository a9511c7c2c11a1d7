"""Credit notes (红字冲销): what a customer no longer owes on a receivable because goods came
back or money is refunded.

A credit lowers the balance like a payment does, never below zero (what is already paid is
not owed and is refunded outside this service), and settles the same share of the customer's
exposure. The caller — a return, a complaint's refund, finance by hand — holds the receivable's
lock (`service.locked_visible` or `get_visible(for_update=True)`) and commits; the credit, its
audit row and its event are in that transaction. One credit per source document and
receivable: `credit` answers the earlier one when called again for the same source.

A delivery return credits the delivery's receivable (`delivery_receivable`, locked after the
order and the delivery the return holds) once the order has taken the goods back, so a
credit that settles the receivable weighs the contract's completion on what is delivered
now. Finance's adjustment (`credit_by_hand`) locks the receivable itself. Either way the lock
order is service.py's: order → receivables → contract → credit row → rollup rows."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_date
from app.core.db import commit
from app.core.money import round_money
from app.core.numbering import next_number
from app.core.permissions import Capability
from app.core.security import Principal
from app.core.versioning import bump_version, ensure_version
from app.credit import service as credit_exposure
from app.events.changes import record_change
from app.receivables import completion, open_balances
from app.receivables.errors import CreditExceedsBalance, NotCreditable
from app.receivables.models import CreditSource, Receivable, ReceivableCredit, ReceivableStatus
from app.receivables.service import ENTITY, ZERO, get_visible, require, summary
from app.receivables.states import PAYABLE, ensure_transition

CREDIT_NOTE = "credit_note"


async def earlier_credit(session: AsyncSession, receivable_id: int, source: CreditSource,
                         source_id: int | None) -> ReceivableCredit | None:
    """The credit this source document already made on this receivable (None for manual
    adjustments, which have no source and may be several)."""
    if source_id is None:
        return None
    return (await session.execute(select(ReceivableCredit).where(
        col(ReceivableCredit.receivable_id) == receivable_id,
        col(ReceivableCredit.source) == source,
        col(ReceivableCredit.source_id) == source_id))).scalar_one_or_none()


def creditable(receivable: Receivable) -> Decimal:
    """How much a credit may take off now: the balance of a receivable still payable."""
    return receivable.balance if receivable.status in PAYABLE else ZERO


async def credit(session: AsyncSession, principal: Principal, receivable: Receivable, *,
                 amount: Decimal, reason: str, source: CreditSource, source_id: int | None,
                 now: datetime) -> ReceivableCredit:
    """Take `amount` off the (locked) receivable's balance with a credit note."""
    assert receivable.id is not None  # loaded from the database
    earlier = await earlier_credit(session, receivable.id, source, source_id)
    if earlier is not None:
        return earlier
    if receivable.status not in PAYABLE:
        raise NotCreditable(f"Receivable {receivable.number} is {receivable.status.value}.",
                            current_status=receivable.status.value,
                            receivable_id=receivable.id)
    if amount > receivable.balance:
        raise CreditExceedsBalance(
            f"Receivable {receivable.number} has {receivable.balance:.2f} left to pay; a "
            f"credit of {amount:.2f} would take it below zero.",
            balance=f"{receivable.balance:.2f}", receivable_id=receivable.id)
    # The base-currency share: all of it when the credit clears the balance, so a settled
    # receivable owes nothing in either currency.
    base = receivable.balance_base if amount == receivable.balance else min(
        round_money(amount * receivable.exchange_rate), receivable.balance_base)
    note = ReceivableCredit(
        number=await next_number(session, CREDIT_NOTE, on=local_date(now)),
        receivable_id=receivable.id, customer_id=receivable.customer_id,
        department_id=receivable.department_id, owner_id=receivable.owner_id, source=source,
        source_id=source_id, currency=receivable.currency, amount=amount, amount_base=base,
        reason=reason, created_by=principal.sub, created_at=now)
    session.add(note)
    before, was = summary(receivable), open_balances.before(receivable)
    receivable.balance -= amount
    receivable.balance_base -= base
    receivable.credited += amount
    target = ReceivableStatus.paid if receivable.balance == ZERO else (
        ReceivableStatus.partially_paid)
    ensure_transition(receivable.status, target)
    receivable.status = target
    if target == ReceivableStatus.paid:
        receivable.paid_at = now
    bump_version(receivable)
    open_balances.track(session, receivable, was)
    await session.flush()
    record_change(session, principal, event_type="receivable.credited", entity_type=ENTITY,
                  entity_id=receivable.id, before=before, after=summary(receivable),
                  event_data={**summary(receivable), "credit_note": credit_summary(note)})
    await credit_exposure.settle(session, receivable.customer_id, base)
    if target == ReceivableStatus.paid:
        await completion.complete_if_done(session, principal, receivable.contract_id)
    return note


async def delivery_receivable(session: AsyncSession, delivery_id: int) -> Receivable | None:
    """The receivable a shipment issued, locked (after the order and the delivery its
    return holds); None when the contract bills nothing on delivery."""
    return (await session.execute(
        select(Receivable).where(col(Receivable.delivery_id) == delivery_id)
        .with_for_update().execution_options(populate_existing=True))).scalar_one_or_none()


async def credit_by_hand(session: AsyncSession, principal: Principal, *, receivable_id: int,
                         amount: Decimal, reason: str, expected_version: int | None,
                         now: datetime) -> Receivable:
    """Finance's adjustment: take `amount` off a receivable still owed, at most its balance
    (409 `receivable.credit_exceeds_balance` beyond it). Each call is a credit of its own;
    a retried request is answered by its Idempotency-Key."""
    receivable = await get_visible(session, principal, receivable_id, for_update=True)
    require(principal, Capability.receivable_credit, "credit receivables")
    ensure_version(receivable.version, expected_version)
    await credit(session, principal, receivable, amount=amount, reason=reason,
                 source=CreditSource.adjustment, source_id=None, now=now)
    await commit(session)
    return receivable


async def credits_of(session: AsyncSession, receivable_id: int) -> list[ReceivableCredit]:
    return list((await session.execute(
        select(ReceivableCredit).where(col(ReceivableCredit.receivable_id) == receivable_id)
        .order_by(col(ReceivableCredit.id)))).scalars())


def credit_summary(note: ReceivableCredit) -> dict[str, object]:
    return {"id": note.id, "number": note.number, "receivable_id": note.receivable_id,
            "source": note.source.value, "source_id": note.source_id,
            "currency": note.currency, "amount": f"{note.amount:.2f}",
            "amount_base": f"{note.amount_base:.2f}", "reason": note.reason,
            "created_by": note.created_by,
            "created_at": note.created_at.isoformat() if note.created_at else None}
