"""Deliveries (发货): planning one from a confirmed order, changing or cancelling it while it
is planned, and reading them. Shipping, receipt and returns are in shipping.py.

Every command locks the delivery's order first, then the delivery (fulfilment.py says
why); a delivery is seen by whoever sees its order."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_date, local_day_start
from app.core.db import commit
from app.core.errors import InvalidTransition
from app.core.filters import where_equal, where_range
from app.core.numbering import next_number, number_is
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import Capability, can, visible
from app.core.security import Principal
from app.core.versioning import bump_version, ensure_version
from app.customers.models import Customer
from app.deliveries import fulfilment
from app.deliveries.errors import (
    DeliveryForbidden,
    DeliveryNotFound,
    UnknownOrder,
    UnknownOrderLine,
)
from app.deliveries.models import Delivery, DeliveryLine, DeliveryReturn, DeliveryStatus
from app.deliveries.schemas import DeliveryCreate, DeliveryUpdate
from app.deliveries.states import RETURNABLE, ensure_transition
from app.events.changes import record_change
from app.orders.models import Order, OrderLine, OrderStatus

ENTITY = "delivery"


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Delivery.owner_id,
                   department_column=Delivery.department_id)


def require(principal: Principal, capability: Capability, doing: str) -> None:
    if not can(principal, capability):
        raise DeliveryForbidden(f"Your roles do not {doing}.", capability=capability.value)


async def get_visible(session: AsyncSession, principal: Principal, delivery_id: int) -> Delivery:
    delivery = (await session.execute(select(Delivery).where(
        col(Delivery.id) == delivery_id, _visible(principal)))).scalar_one_or_none()
    if delivery is None:
        raise DeliveryNotFound(f"No delivery {delivery_id}.")
    return delivery


async def lines_of(session: AsyncSession, delivery_id: int) -> list[DeliveryLine]:
    return (await lines_by_delivery(session, [delivery_id])).get(delivery_id, [])


async def lines_by_delivery(session: AsyncSession, delivery_ids: list[int]
                            ) -> dict[int, list[DeliveryLine]]:
    grouped: dict[int, list[DeliveryLine]] = {}
    if delivery_ids:
        for line in (await session.execute(
                select(DeliveryLine).where(col(DeliveryLine.delivery_id).in_(delivery_ids))
                .order_by(col(DeliveryLine.delivery_id), col(DeliveryLine.line_no))
                .execution_options(populate_existing=True))).scalars():
            grouped.setdefault(line.delivery_id, []).append(line)
    return grouped


async def returns_by_delivery(session: AsyncSession, delivery_ids: list[int]
                              ) -> dict[int, list[DeliveryReturn]]:
    grouped: dict[int, list[DeliveryReturn]] = {}
    if delivery_ids:
        for row in (await session.execute(
                select(DeliveryReturn).where(col(DeliveryReturn.delivery_id).in_(delivery_ids))
                .order_by(col(DeliveryReturn.delivery_id), col(DeliveryReturn.id)))).scalars():
            grouped.setdefault(row.delivery_id, []).append(row)
    return grouped


async def order_statuses(session: AsyncSession, order_ids: list[int]) -> dict[int, OrderStatus]:
    if not order_ids:
        return {}
    rows = await session.execute(select(Order).where(col(Order.id).in_(sorted(set(order_ids)))))
    return {order.id: order.status for order in rows.scalars() if order.id is not None}


SORTS = Sorts("Delivery", {
    "created_at": col(Delivery.created_at), "updated_at": col(Delivery.updated_at),
    "number": col(Delivery.number), "planned_date": col(Delivery.planned_date),
    "shipped_on": col(Delivery.shipped_on), "shipped_total": col(Delivery.shipped_total),
}, tiebreaker=col(Delivery.id))


async def list_deliveries(
    session: AsyncSession, principal: Principal, *, order_id: int | None,
    customer_id: int | None, status: DeliveryStatus | None, planned_from: date | None,
    planned_to: date | None, shipped_from: date | None, shipped_to: date | None,
    number: str | None = None, owner_id: str | None = None, department_id: str | None = None,
    created_from: date | None = None, created_to: date | None = None, page: ListRequest,
) -> Listed[Delivery]:
    """Visible deliveries, newest first; date bounds are inclusive."""
    statement = select(Delivery).where(_visible(principal))
    if number is not None:
        statement = statement.where(number_is(col(Delivery.number), number))
    if order_id is not None:
        statement = statement.where(col(Delivery.order_id) == order_id)
    if customer_id is not None:
        statement = statement.where(col(Delivery.customer_id) == customer_id)
    if status is not None:
        statement = statement.where(col(Delivery.status) == status)
    for column, first, last in ((Delivery.planned_date, planned_from, planned_to),
                                (Delivery.shipped_on, shipped_from, shipped_to)):
        if first is not None:
            statement = statement.where(col(column) >= first)
        if last is not None:
            statement = statement.where(col(column) <= last)
    statement = where_equal(statement, (col(Delivery.owner_id), owner_id),
                            (col(Delivery.department_id), department_id))
    statement = where_range(
        statement, col(Delivery.created_at),
        local_day_start(created_from) if created_from else None,
        local_day_start(created_to + timedelta(days=1)) if created_to else None,
        last_excluded=True)
    return await SORTS.page(session, statement, page)


async def plan(session: AsyncSession, principal: Principal, *, data: DeliveryCreate,
               now: datetime) -> Delivery:
    """Plan a delivery of part of what the order has still to deliver, under the order's
    lock: two plans at once take the undelivered quantity one after the other."""
    require(principal, Capability.delivery_plan, "plan deliveries")
    order = await fulfilment.lock_order(session, data.order_id, principal)
    if order is None:
        raise UnknownOrder(f"No order {data.order_id} that you can see.")
    assert order.id is not None  # loaded from the database
    fulfilment.ensure_deliverable(order)
    order_lines = await fulfilment.lines_of(session, order.id)
    unknown = [line.order_line_id for line in data.lines if line.order_line_id not in order_lines]
    if unknown:
        raise UnknownOrderLine(f"Order {order.id} has no lines {unknown}.",
                               order_line_ids=unknown)
    fulfilment.schedule(order, order_lines, {line.order_line_id: line.quantity
                                             for line in data.lines})
    chosen = [order_lines[line.order_line_id] for line in data.lines]
    delivery = Delivery(
        order_id=order.id, customer_id=order.customer_id, department_id=order.department_id,
        owner_id=order.owner_id, status=DeliveryStatus.planned,
        planned_date=data.planned_date or _default_date(order, chosen),
        ship_to=data.ship_to or await _default_address(session, order),
        currency=order.currency, created_by=principal.sub,
        number=await next_number(session, ENTITY, on=local_date(now)))
    session.add(delivery)
    await session.flush()
    assert delivery.id is not None  # assigned by the flush
    lines = [DeliveryLine(delivery_id=delivery.id, line_no=number,
                          order_line_id=line.order_line_id,
                          product_id=order_lines[line.order_line_id].product_id,
                          description=order_lines[line.order_line_id].description,
                          quantity=line.quantity)
             for number, line in enumerate(data.lines, 1)]
    session.add_all(lines)
    await session.flush()
    record_change(session, principal, event_type="delivery.planned", entity_type=ENTITY,
                  entity_id=delivery.id, before=None, after=summary(delivery, lines),
                  event_data=event_data(delivery, lines))
    await commit(session)
    return delivery


def _default_date(order: Order, lines: list[OrderLine]) -> date | None:
    dates = [line.planned_delivery_date for line in lines if line.planned_delivery_date]
    return min(dates) if dates else order.requested_date


async def _default_address(session: AsyncSession, order: Order) -> str | None:
    if order.delivery_address:
        return order.delivery_address
    return await session.scalar(select(col(Customer.address)).where(
        col(Customer.id) == order.customer_id))


async def locked(session: AsyncSession, principal: Principal, delivery_id: int, *,
                 capability: Capability, doing: str, expected_version: int | None
                 ) -> tuple[Delivery, Order, list[DeliveryLine]]:
    """The delivery for a command: visible (else 404), the caller allowed (403), its order
    locked and then the delivery, read after the locks, at the version the caller saw
    (412)."""
    delivery = await get_visible(session, principal, delivery_id)
    require(principal, capability, doing)
    order = await fulfilment.lock_order(session, delivery.order_id)
    assert order is not None  # an order with deliveries is never deleted (foreign key)
    delivery = (await session.execute(
        select(Delivery).where(col(Delivery.id) == delivery_id).with_for_update()
        .execution_options(populate_existing=True))).scalar_one()
    ensure_version(delivery.version, expected_version)
    return delivery, order, await lines_of(session, delivery_id)


async def update(session: AsyncSession, principal: Principal, *, delivery_id: int,
                 data: DeliveryUpdate, expected_version: int | None) -> Delivery:
    """Reschedule a planned delivery or send it elsewhere."""
    delivery, _order, lines = await locked(
        session, principal, delivery_id, capability=Capability.delivery_plan,
        doing="plan deliveries", expected_version=expected_version)
    if delivery.status != DeliveryStatus.planned:
        raise _not_planned(delivery)
    assert delivery.id is not None  # loaded from the database
    before = summary(delivery, lines)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(delivery, field, value)
    bump_version(delivery)
    record_change(session, principal, event_type="delivery.updated", entity_type=ENTITY,
                  entity_id=delivery.id, before=before, after=summary(delivery, lines),
                  event_data=event_data(delivery, lines))
    await commit(session)
    return delivery


async def cancel(session: AsyncSession, principal: Principal, *, delivery_id: int, reason: str,
                 expected_version: int | None) -> Delivery:
    """A planned delivery that will not go: its quantities are undelivered again."""
    delivery, order, lines = await locked(
        session, principal, delivery_id, capability=Capability.delivery_plan,
        doing="plan or cancel deliveries", expected_version=expected_version)
    ensure_transition(delivery.status, DeliveryStatus.cancelled)
    assert delivery.id is not None and order.id is not None  # loaded from the database
    before = summary(delivery, lines)
    fulfilment.release(order, await fulfilment.lines_of(session, order.id),
                       {line.order_line_id: line.quantity for line in lines})
    delivery.status, delivery.cancel_reason = DeliveryStatus.cancelled, reason
    bump_version(delivery)
    record_change(session, principal, event_type="delivery.cancelled", entity_type=ENTITY,
                  entity_id=delivery.id, before=before, after=summary(delivery, lines),
                  event_data={**event_data(delivery, lines), "reason": reason})
    await commit(session)
    return delivery


def _not_planned(delivery: Delivery) -> InvalidTransition:
    return InvalidTransition(f"Only a planned delivery can be changed; this one is "
                             f"{delivery.status.value}.", current_status=delivery.status.value)


def allowed_actions(delivery: Delivery, principal: Principal, order_status: OrderStatus | None,
                    lines: list[DeliveryLine]) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    actions: list[str] = []
    status = delivery.status
    if status == DeliveryStatus.planned:
        if can(principal, Capability.delivery_plan):
            actions += ["update", "cancel"]
        if can(principal, Capability.delivery_record) and order_status in fulfilment.DELIVERABLE:
            actions.append("ship")
    if status == DeliveryStatus.shipped and can(principal, Capability.delivery_record):
        actions.append("deliver")
    if (status in RETURNABLE and can(principal, Capability.delivery_return)
            and order_status in fulfilment.RETURNABLE
            and any(line.returned_quantity < line.quantity for line in lines)):
        actions.append("return")
    return actions


def summary(delivery: Delivery, lines: list[DeliveryLine]) -> dict[str, Any]:
    """The audited form of a delivery."""
    assert delivery.id is not None  # flushed or loaded
    return {
        "id": delivery.id, "number": delivery.number, "order_id": delivery.order_id,
        "status": delivery.status.value,
        "planned_date": _day(delivery.planned_date), "ship_to": delivery.ship_to,
        "carrier": delivery.carrier, "tracking_number": delivery.tracking_number,
        "shipped_on": _day(delivery.shipped_on), "received_by": delivery.received_by,
        "received_at": instant(delivery.received_at),
        "shipped_total": f"{delivery.shipped_total:.2f}",
        "shipped_total_base": f"{delivery.shipped_total_base:.2f}",
        "cancel_reason": delivery.cancel_reason, "version": delivery.version,
        "lines": [{"id": line.id, "order_line_id": line.order_line_id,
                   "quantity": f"{line.quantity:.3f}",
                   "returned_quantity": f"{line.returned_quantity:.3f}"} for line in lines],
    }


def event_data(delivery: Delivery, lines: list[DeliveryLine]) -> dict[str, Any]:
    """What every delivery event carries: the delivery, whose order it is, and its lines."""
    assert delivery.id is not None  # flushed or loaded
    return {
        "id": delivery.id, "number": delivery.number, "order_id": delivery.order_id,
        "customer_id": delivery.customer_id,
        "department_id": delivery.department_id, "owner_id": delivery.owner_id,
        "status": delivery.status.value, "planned_date": _day(delivery.planned_date),
        "ship_to": delivery.ship_to, "version": delivery.version,
        "lines": [{"id": line.id, "line_no": line.line_no, "order_line_id": line.order_line_id,
                   "product_id": line.product_id, "description": line.description,
                   "quantity": f"{line.quantity:.3f}",
                   "returned_quantity": f"{line.returned_quantity:.3f}"} for line in lines],
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def instant(value: datetime | None) -> str | None:
    """A time as the API shows it (RFC 3339 in UTC, with Z)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
