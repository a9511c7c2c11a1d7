"""Issuing receivables: on a shipment, in the shipment's transaction, and for a signed
contract's payment milestones, by finance.

How a contract paid by milestones is not invoiced twice: its shipments invoice only the
share of its schedule's `on_delivery` milestones (all of it for an order placed from a
quote, which has no schedule), and finance invoices every other milestone (prepayment,
acceptance, retention, other) on the contract, each once, as percent × contract total.
An `on_delivery` milestone is never invoiced by hand. A contract of 30 % prepayment and
70 % on delivery thus gets one receivable of 30 % of its total from finance and, per
shipment, 70 % of the shipped value.

The customer's exposure follows (app/credit/service.py): the whole shipped value leaves
the order's uninvoiced part (`invoiced_base` grows by it: what is left of the order is no
longer owed by the order, but by its receivables and milestones), and what is invoiced
enters the open receivables."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_date
from app.contracts import service as contracts
from app.contracts.errors import ContractNotFound
from app.contracts.models import Contract, ContractStatus
from app.core.db import commit
from app.core.money import round_money
from app.core.numbering import next_number
from app.core.permissions import Capability
from app.core.security import Principal
from app.credit import service as credit
from app.events.changes import record_change
from app.orders.models import Order
from app.receivables import completion, open_balances
from app.receivables.errors import (
    ContractNotSigned,
    DateInFuture,
    MilestoneAlreadyInvoiced,
    MilestoneInvoicedByShipments,
    UnknownContract,
    UnknownMilestone,
)
from app.receivables.models import Receivable, ReceivableSource
from app.receivables.schemas import MilestoneReceivableCreate
from app.receivables.service import ENTITY, ZERO, require, summary

ON_DELIVERY = "on_delivery"
HUNDRED = Decimal(100)


def invoiced_on_shipment(contract: Contract | None) -> Decimal:
    """The share of a shipment's value its receivable carries: the contract's on-delivery
    milestones (0..1), or all of it for an order without a contract."""
    if contract is None:
        return Decimal(1)
    percent = sum((Decimal(str(m["percent"])) for m in contract.payment_schedule
                   if m.get("kind") == ON_DELIVERY), Decimal(0))
    return percent / HUNDRED


async def issue_for_shipment(session: AsyncSession, principal: Principal, *, order: Order,
                             delivery_id: int, shipped_on: date, shipped_total: Decimal,
                             shipped_total_base: Decimal) -> Receivable | None:
    """Called by the shipping command, under the order's lock and before its commit: the
    shipped value (incl. tax) is invoiced on the shipping date, due after the order's
    payment terms; None when the contract bills nothing on delivery."""
    assert order.id is not None  # loaded from the database
    contract = (await session.get(Contract, order.contract_id)
                if order.contract_id is not None else None)
    share = invoiced_on_shipment(contract)
    amount, amount_base = round_money(shipped_total * share), round_money(shipped_total_base
                                                                          * share)
    from_orders = min(shipped_total_base, max(order.total_base - order.invoiced_base, ZERO))
    order.invoiced_base += from_orders
    receivable = None
    if amount > ZERO:
        receivable = Receivable(
            number=await next_number(session, ENTITY, on=shipped_on),
            source=ReceivableSource.delivery, customer_id=order.customer_id,
            contract_id=order.contract_id, order_id=order.id, delivery_id=delivery_id,
            department_id=order.department_id, owner_id=order.owner_id,
            currency=order.currency, exchange_rate=order.exchange_rate, amount=amount,
            amount_base=amount_base, balance=amount, balance_base=amount_base,
            invoice_date=shipped_on, payment_terms_days=order.payment_terms_days,
            due_date=shipped_on + timedelta(days=order.payment_terms_days),
            created_by=principal.sub)
        session.add(receivable)
        await session.flush()
        _issued(session, principal, receivable)
    elif contract is not None:
        # Nothing billed on delivery: the last shipment may complete a contract paid ahead.
        await completion.complete_if_done(session, principal, contract.id)
    await credit.invoice(session, order.customer_id, amount=amount_base,
                         from_orders=from_orders)
    return receivable


async def issue_milestone(session: AsyncSession, principal: Principal, *,
                          data: MilestoneReceivableCreate, now: datetime) -> Receivable:
    """Finance invoices a signed contract's milestone (not an on-delivery one), once."""
    require(principal, Capability.receivable_issue, "invoice contract milestones")
    try:
        contract = await contracts.get_visible(session, principal, data.contract_id,
                                               for_update=True)
    except ContractNotFound as missing:
        raise UnknownContract(f"No contract {data.contract_id}.") from missing
    assert contract.id is not None  # loaded from the database
    if contract.status != ContractStatus.signed:
        raise ContractNotSigned(f"The contract is {contract.status.value}.",
                                contract_status=contract.status.value)
    schedule = contract.payment_schedule
    if data.milestone_index >= len(schedule):
        raise UnknownMilestone(f"The contract has {len(schedule)} milestones, numbered from "
                               f"0.", milestone_count=len(schedule))
    milestone = schedule[data.milestone_index]
    if milestone.get("kind") == ON_DELIVERY:
        raise MilestoneInvoicedByShipments(
            f"Milestone {data.milestone_index} is paid on delivery: each shipment invoices "
            f"its share.")
    # An amendment (revision n+1) keeps the schedule's positions: a milestone invoiced on
    # an earlier revision is not invoiced again on a later one.
    revisions = select(col(Contract.id)).where(col(Contract.root_id) == contract.root_id)
    existing = await session.scalar(select(col(Receivable.id)).where(
        col(Receivable.contract_id).in_(revisions) | (col(Receivable.contract_id) == contract.id),
        col(Receivable.milestone_index) == data.milestone_index).limit(1))
    if existing is not None:
        raise MilestoneAlreadyInvoiced(f"Receivable {existing} invoices it.",
                                       receivable_id=existing)
    today = local_date(now)
    invoice_date = data.invoice_date or today
    if invoice_date > today:
        raise DateInFuture(f"The invoice date {invoice_date} is after today ({today}).")
    share = Decimal(str(milestone["percent"])) / HUNDRED
    amount, amount_base = (round_money(contract.total * share),
                           round_money(contract.total_base * share))
    due_days = int(milestone.get("due_days") or 0)
    receivable = Receivable(
        number=await next_number(session, ENTITY, on=today),
        source=ReceivableSource.milestone, customer_id=contract.customer_id,
        contract_id=contract.id, milestone_index=data.milestone_index,
        milestone_kind=str(milestone.get("kind")), department_id=contract.department_id,
        owner_id=contract.owner_id, currency=contract.currency,
        exchange_rate=contract.exchange_rate, amount=amount, amount_base=amount_base,
        balance=amount, balance_base=amount_base, invoice_number=data.invoice_number,
        invoice_date=invoice_date, payment_terms_days=due_days,
        due_date=invoice_date + timedelta(days=due_days), created_by=principal.sub)
    session.add(receivable)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as taken:  # invoiced meanwhile (the unique constraint's word)
        raise MilestoneAlreadyInvoiced("Another request invoiced it meanwhile.") from taken
    _issued(session, principal, receivable)
    await credit.invoice(session, contract.customer_id, amount=amount_base, from_orders=ZERO)
    await commit(session)
    return receivable


def _issued(session: AsyncSession, principal: Principal, receivable: Receivable) -> None:
    assert receivable.id is not None  # flushed
    open_balances.track(session, receivable, None)
    after = summary(receivable)
    record_change(session, principal, event_type="receivable.issued", entity_type=ENTITY,
                  entity_id=receivable.id, before=None, after=after,
                  event_data={**after, "milestone_kind": receivable.milestone_kind,
                              "invoice_number": receivable.invoice_number,
                              "exchange_rate": f"{receivable.exchange_rate:.6f}",
                              "payment_terms_days": receivable.payment_terms_days})
