"""Money received (回款) and how it settles receivables.

A payment is identified by its payer's reference (the bank's serial number): the same
reference from the same customer again is the same payment. Repeating it with the same
amount answers the first payment and moves no money (a bank feed or ERP that retries is
safe); another amount under that reference is a conflict.

A payment never takes a receivable below zero. Its receivables are locked in id order
before their balances are read, so two payments on one receivable run one after the
other and the second sees what the first left (then the customer's credit row, last)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit import service as audit
from app.calendar.working_time import local_date
from app.core.db import commit
from app.core.filters import where_equal, where_range
from app.core.money import round_money
from app.core.numbering import next_number
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import Capability, visible
from app.core.security import Principal
from app.core.versioning import bump_version, ensure_version
from app.credit import service as credit
from app.events.changes import record_change
from app.orders import month_totals
from app.receivables import completion, open_balances
from app.receivables.errors import (
    AllocationMismatch,
    DateInFuture,
    MixedPayers,
    NotPayable,
    Overpayment,
    PaymentNotFound,
    ReceivableNotFound,
    ReferenceReused,
    UnknownReceivable,
)
from app.receivables.models import Payment, PaymentAllocation, Receivable, ReceivableStatus
from app.receivables.schemas import AllocationIn, PaymentCreate, PaymentIn
from app.receivables.service import ENTITY, ZERO, locked_visible, require, summary
from app.receivables.states import PAYABLE, ensure_transition

PAYMENT = "payment"


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Payment.owner_id,
                   department_column=Payment.department_id)


# ---- reading ----------------------------------------------------------------------------


async def get_visible(session: AsyncSession, principal: Principal, payment_id: int) -> Payment:
    payment = (await session.execute(select(Payment).where(
        col(Payment.id) == payment_id, _visible(principal)))).scalar_one_or_none()
    if payment is None:
        raise PaymentNotFound(f"No payment {payment_id}.")
    return payment


SORTS = Sorts("Payment", {
    "created_at": col(Payment.created_at), "number": col(Payment.number),
    "received_on": col(Payment.received_on), "amount": col(Payment.amount),
}, tiebreaker=col(Payment.id))


async def list_payments(session: AsyncSession, principal: Principal, *,
                        customer_id: int | None, external_reference: str | None,
                        received_from: date | None, received_to: date | None,
                        owner_id: str | None = None, department_id: str | None = None,
                        amount_from: Decimal | None = None, amount_to: Decimal | None = None,
                        page: ListRequest) -> Listed[Payment]:
    statement: Select[Any] = select(Payment).where(_visible(principal))
    if customer_id is not None:
        statement = statement.where(col(Payment.customer_id) == customer_id)
    if external_reference is not None:
        statement = statement.where(col(Payment.external_reference) == external_reference)
    if received_from is not None:
        statement = statement.where(col(Payment.received_on) >= received_from)
    if received_to is not None:
        statement = statement.where(col(Payment.received_on) <= received_to)
    statement = where_equal(statement, (col(Payment.owner_id), owner_id),
                            (col(Payment.department_id), department_id))
    statement = where_range(statement, col(Payment.amount), amount_from, amount_to)
    return await SORTS.page(session, statement, page)


async def allocations_by_payment(session: AsyncSession, payment_ids: list[int]
                                 ) -> dict[int, list[PaymentAllocation]]:
    grouped: dict[int, list[PaymentAllocation]] = {}
    if payment_ids:
        for allocation in (await session.execute(
                select(PaymentAllocation).where(col(PaymentAllocation.payment_id).in_(payment_ids))
                .order_by(col(PaymentAllocation.id)))).scalars():
            grouped.setdefault(allocation.payment_id, []).append(allocation)
    return grouped


# ---- recording --------------------------------------------------------------------------


async def pay_receivable(session: AsyncSession, principal: Principal, *, receivable_id: int,
                         data: PaymentIn, expected_version: int | None,
                         now: datetime) -> tuple[Payment, bool]:
    """A payment of one receivable (its 404 when unseen); see `record`."""
    found = await locked_visible(session, principal, [receivable_id])
    if not found:
        raise ReceivableNotFound(f"No receivable {receivable_id}.")
    receivable = found[0]
    create = PaymentCreate(**data.model_dump(), allocations=[
        AllocationIn(receivable_id=receivable_id, amount=data.amount)])
    return await _record(session, principal, create, [receivable], now,
                         expected_version=expected_version)


async def record(session: AsyncSession, principal: Principal, *, data: PaymentCreate,
                 now: datetime) -> tuple[Payment, bool]:
    """Record a payment settling one customer's receivables; returns it and whether it is
    new (False: the payer's reference named an earlier payment of the same amount)."""
    require(principal, Capability.payment_record, "record payments")
    if sum((line.amount for line in data.allocations), ZERO) != data.amount:
        raise AllocationMismatch(
            f"The allocations add up to "
            f"{sum((line.amount for line in data.allocations), ZERO):.2f}, "
            f"the payment is {data.amount:.2f}.", total=f"{data.amount:.2f}")
    wanted = [line.receivable_id for line in data.allocations]
    receivables = await locked_visible(session, principal, wanted)
    missing = sorted(set(wanted) - {r.id for r in receivables if r.id is not None})
    if missing:
        raise UnknownReceivable(f"No receivables {missing}.", receivable_ids=missing)
    return await _record(session, principal, data, receivables, now)


async def _record(session: AsyncSession, principal: Principal, data: PaymentCreate,
                  receivables: list[Receivable], now: datetime, *,
                  expected_version: int | None = None) -> tuple[Payment, bool]:
    require(principal, Capability.payment_record, "record payments")
    first = receivables[0]
    if any(r.customer_id != first.customer_id or r.currency != first.currency
           for r in receivables):
        raise MixedPayers("The receivables are of several customers or currencies.")
    earlier = await _by_reference(session, first.customer_id, data.external_reference)
    if earlier is not None:
        return _same_payment(earlier, data), False
    # After the reference: a retry of a recorded payment answers it whatever the version.
    ensure_version(first.version, expected_version)
    by_id = {r.id: r for r in receivables}
    for line in data.allocations:
        _ensure_payable(by_id[line.receivable_id], line.amount)
    today = local_date(now)
    received_on = data.received_on or today
    if received_on > today:
        raise DateInFuture(f"The payment date {received_on} is after today ({today}).")
    allocations = [(by_id[line.receivable_id], line.amount,
                    _base_of(by_id[line.receivable_id], line.amount))
                   for line in data.allocations]
    payment = Payment(
        number=await next_number(session, PAYMENT, on=received_on),
        customer_id=first.customer_id, department_id=first.department_id,
        owner_id=first.owner_id, external_reference=data.external_reference,
        method=data.method, currency=first.currency, amount=data.amount,
        amount_base=sum((base for _, _, base in allocations), ZERO),
        received_on=received_on, notes=data.notes, recorded_by=principal.sub)
    session.add(payment)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # The same reference was committed meanwhile by a payment of other receivables
        # (this insert waited for it): that is the payment.
        if payment in session:
            session.expunge(payment)
        earlier = await _by_reference(session, first.customer_id, data.external_reference)
        if earlier is None:
            raise
        return _same_payment(earlier, data), False
    assert payment.id is not None  # flushed
    # Recorded (past the savepoint that may find it a retry): it counts in its rep's month.
    month_totals.track_payment(session, department_id=payment.department_id,
                               owner_id=payment.owner_id, received_on=payment.received_on,
                               amount_base=payment.amount_base)
    settled: list[dict[str, Any]] = []
    contracts: set[int] = set()
    for receivable, amount, base in allocations:
        assert receivable.id is not None  # loaded from the database
        session.add(PaymentAllocation(payment_id=payment.id, receivable_id=receivable.id,
                                      amount=amount, amount_base=base))
        settled.append(_apply(session, principal, receivable, amount, base, payment, now))
        if receivable.status == ReceivableStatus.paid and receivable.contract_id is not None:
            contracts.add(receivable.contract_id)
    record_change(session, principal, event_type="payment.received", entity_type=PAYMENT,
                  entity_id=payment.id, before=None, after=payment_summary(payment, settled),
                  event_data=payment_summary(payment, settled))
    for contract_id in sorted(contracts):
        await completion.complete_if_done(session, principal, contract_id)
    await credit.settle(session, first.customer_id, payment.amount_base)
    await commit(session)
    return payment, True


async def _by_reference(session: AsyncSession, customer_id: int, reference: str
                        ) -> Payment | None:
    return (await session.execute(select(Payment).where(
        col(Payment.customer_id) == customer_id,
        col(Payment.external_reference) == reference))).scalar_one_or_none()


def _same_payment(earlier: Payment, data: PaymentCreate) -> Payment:
    if earlier.amount != data.amount:
        raise ReferenceReused(
            f"Reference {earlier.external_reference!r} is payment {earlier.number} of "
            f"{earlier.amount:.2f}, not {data.amount:.2f}.", payment_id=earlier.id,
            total=f"{earlier.amount:.2f}")
    return earlier


def _ensure_payable(receivable: Receivable, amount: Decimal) -> None:
    if receivable.status not in PAYABLE:
        raise NotPayable(f"Receivable {receivable.number} is {receivable.status.value}.",
                         current_status=receivable.status.value,
                         receivable_id=receivable.id)
    if amount > receivable.balance:
        raise Overpayment(f"Receivable {receivable.number} has {receivable.balance:.2f} "
                          f"left to pay; {amount:.2f} is more.", balance=f"{receivable.balance:.2f}",
                          receivable_id=receivable.id)


def _base_of(receivable: Receivable, amount: Decimal) -> Decimal:
    """The base-currency part of the balance a payment settles: all of it when it pays
    the rest, so a paid receivable owes nothing in either currency."""
    if amount == receivable.balance:
        return receivable.balance_base
    return min(round_money(amount * receivable.exchange_rate), receivable.balance_base)


def _apply(session: AsyncSession, principal: Principal, receivable: Receivable,
           amount: Decimal, base: Decimal, payment: Payment, now: datetime) -> dict[str, Any]:
    assert receivable.id is not None  # loaded from the database
    before, was = summary(receivable), open_balances.before(receivable)
    receivable.balance -= amount
    receivable.balance_base -= base
    target = ReceivableStatus.paid if receivable.balance == ZERO else (
        ReceivableStatus.partially_paid)
    ensure_transition(receivable.status, target)
    receivable.status = target
    if target == ReceivableStatus.paid:
        receivable.paid_at = now
    bump_version(receivable)
    open_balances.track(session, receivable, was)
    audit.record(session, principal, action="payment.received", entity_type=ENTITY,
                 entity_id=receivable.id, before=before, after=summary(receivable))
    return {"receivable_id": receivable.id, "receivable_number": receivable.number,
            "amount": f"{amount:.2f}", "amount_base": f"{base:.2f}",
            "balance": f"{receivable.balance:.2f}", "status": receivable.status.value}


def payment_summary(payment: Payment, allocations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": payment.id, "number": payment.number, "customer_id": payment.customer_id,
            "department_id": payment.department_id, "owner_id": payment.owner_id,
            "external_reference": payment.external_reference, "method": payment.method.value,
            "currency": payment.currency, "amount": f"{payment.amount:.2f}",
            "amount_base": f"{payment.amount_base:.2f}",
            "received_on": payment.received_on.isoformat(), "allocations": allocations}


