"""Receivables, payments and dunning entries written straight to the tables, for the
reports' tests: the receivables API is built elsewhere, and a report only reads the rows."""

import itertools
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import commit, utcnow
from app.core.numbering import next_number
from app.customers.models import Customer
from app.orders import month_totals
from app.receivables import open_balances
from app.receivables.models import (
    DunningAction,
    DunningEntry,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Receivable,
    ReceivableSource,
    ReceivableStatus,
)

_references = itertools.count(1)


async def create_receivable(
    session: AsyncSession, *, customer: Customer, due_date: date, amount: str = "1000.00",
    balance: str | None = None, status: ReceivableStatus | None = None,
    owner_id: str | None = None, department_id: str | None = None,
    invoice_date: date | None = None, contract_id: int | None = None,
    milestone_index: int | None = None, currency: str = "CNY", exchange_rate: str = "1",
) -> Receivable:
    """A receivable of the customer (their rep and department unless given); `balance`
    defaults to the whole amount, and the status follows the balance unless given."""
    owed = Decimal(balance if balance is not None else amount)
    if status is None:
        status = (ReceivableStatus.paid if owed == 0 else ReceivableStatus.open
                  if owed == Decimal(amount) else ReceivableStatus.partially_paid)
    rate = Decimal(exchange_rate)
    receivable = Receivable(
        number=await next_number(session, "receivable", on=utcnow().date()),
        source=ReceivableSource.milestone if milestone_index is not None
        else ReceivableSource.delivery,
        customer_id=customer.id, contract_id=contract_id, milestone_index=milestone_index,
        department_id=department_id or customer.department_id,
        owner_id=owner_id or customer.owner_id, currency=currency, exchange_rate=rate,
        amount=Decimal(amount), amount_base=(Decimal(amount) * rate).quantize(Decimal("0.01")),
        balance=owed, balance_base=(owed * rate).quantize(Decimal("0.01")),
        invoice_number=f"FP{next(_references):08d}", invoice_date=invoice_date or due_date,
        due_date=due_date, status=status, created_by="factory")
    session.add(receivable)
    # As issuance does: what it owes enters the rollup aging reads.
    open_balances.track(session, receivable, None)
    await commit(session)
    return receivable


async def create_payment(
    session: AsyncSession, *, customer: Customer, received_on: date,
    allocations: list[tuple[Receivable, str]] | None = None, amount: str | None = None,
    department_id: str | None = None, owner_id: str | None = None,
) -> Payment:
    """A payment of the customer on `received_on`, allocated (receivable, amount) as given;
    its amount is the allocations' sum unless given. Balances are left as they are: give
    the receivables the balances the test wants."""
    allocations = allocations or []
    total = Decimal(amount) if amount is not None else sum(
        (Decimal(part) for _, part in allocations), start=Decimal(0))
    payment = Payment(
        number=await next_number(session, "payment", on=utcnow().date()),
        customer_id=customer.id, department_id=department_id or customer.department_id,
        owner_id=owner_id or customer.owner_id, external_reference=f"BANK{next(_references)}",
        method=PaymentMethod.bank_transfer, amount=total, amount_base=total,
        received_on=received_on, recorded_by="factory")
    session.add(payment)
    await session.flush()
    session.add_all(PaymentAllocation(payment_id=payment.id, receivable_id=receivable.id,
                                      amount=Decimal(part), amount_base=Decimal(part))
                    for receivable, part in allocations)
    # As recording it does: it counts in its rep's monthly totals.
    month_totals.track_payment(session, department_id=payment.department_id,
                               owner_id=payment.owner_id, received_on=received_on,
                               amount_base=total)
    await commit(session)
    return payment


async def create_dunning(
    session: AsyncSession, *, receivable: Receivable, action: DunningAction,
    days_overdue: int, promised_on: date | None = None, at: datetime | None = None,
) -> DunningEntry:
    entry = DunningEntry(receivable_id=receivable.id, action=action, days_overdue=days_overdue,
                         promised_on=promised_on, recorded_by=receivable.owner_id,
                         created_at=at or utcnow())
    session.add(entry)
    await commit(session)
    return entry
