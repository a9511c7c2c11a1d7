"""A signed contract is completed (SPEC §3 Contract) once all of it is delivered and all of
it is paid: every line's quantity shipped by its orders (net of returns), every milestone
not paid on delivery invoiced, and every receivable of the contract paid. Checked by the
payment that pays a contract's receivable, and by a shipment that invoices nothing (a
contract paid ahead), in their transactions."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.contracts import service as contracts
from app.contracts.models import Contract, ContractLine, ContractStatus
from app.contracts.states import ensure_transition
from app.core.security import Principal
from app.core.versioning import bump_version
from app.events.changes import record_change
from app.orders.models import Order, OrderLine, OrderStatus
from app.receivables.models import Receivable, ReceivableStatus

ON_DELIVERY = "on_delivery"


async def complete_if_done(session: AsyncSession, principal: Principal,
                           contract_id: int | None) -> bool:
    """Complete the contract if it is signed, delivered and paid; whether it did."""
    if contract_id is None:
        return False
    # The caller's changes (a balance paid, a quantity shipped) are what the queries weigh.
    await session.flush()
    # Locked after the receivables and orders the caller holds (the domain's lock order).
    contract = await session.get(Contract, contract_id, with_for_update=True,
                                 populate_existing=True)
    if contract is None or contract.status != ContractStatus.signed:
        return False
    if not (await _delivered(session, contract_id) and await _paid(session, contract)):
        return False
    ensure_transition(contract.status, ContractStatus.completed)
    before = contracts.summary(contract)
    contract.status = ContractStatus.completed
    bump_version(contract)
    after = contracts.summary(contract)
    record_change(session, principal, event_type="contract.completed",
                  entity_type=contracts.ENTITY, entity_id=contract_id, before=before,
                  after=after, event_data=after)
    return True


async def _delivered(session: AsyncSession, contract_id: int) -> bool:
    shipped = (select(col(OrderLine.contract_line_id).label("line_id"),
                      func.sum(OrderLine.shipped_quantity).label("shipped"))
               .join(Order, col(Order.id) == col(OrderLine.order_id))
               .where(col(Order.contract_id) == contract_id,
                      col(Order.status) != OrderStatus.cancelled)
               .group_by(col(OrderLine.contract_line_id)).subquery())
    rows = (await session.execute(
        select(col(ContractLine.quantity), shipped.c.shipped)
        .outerjoin(shipped, shipped.c.line_id == col(ContractLine.id))
        .where(col(ContractLine.contract_id) == contract_id))).all()
    return bool(rows) and all(Decimal(done or 0) >= quantity for quantity, done in rows)


async def _paid(session: AsyncSession, contract: Contract) -> bool:
    statuses = list((await session.execute(
        select(col(Receivable.status), col(Receivable.milestone_index))
        .where(col(Receivable.contract_id) == contract.id))).all())
    if any(status != ReceivableStatus.paid for status, _ in statuses):
        return False
    invoiced = {index for _, index in statuses if index is not None}
    by_hand = {index for index, milestone in enumerate(contract.payment_schedule)
               if milestone.get("kind") != ON_DELIVERY}
    return by_hand <= invoiced
