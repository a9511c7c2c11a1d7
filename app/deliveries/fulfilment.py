"""An order's side of its deliveries: the quantities its lines have scheduled, shipped
and had returned, and its status, which follows them.

Every delivery command locks the order's row first (`lock_order`) and only then its
delivery, so two deliveries of one order are planned, shipped or returned one after the
other and never both take the same undelivered quantity (the order line's check
constraints are the last word), while deliveries of other orders go on in parallel.

"Delivered" follows the shipped quantity (net of returns), not the received one: finance
invoices on shipment (000 D5, F6), so an order whose every unit has shipped has nothing
left to deliver or invoice, whether or not each customer receipt has been recorded yet
(receipts often come late or never from a carrier's system). Each delivery keeps its own
receipt. Closing an order is the order's own business, not its deliveries'.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.permissions import visible
from app.core.security import Principal
from app.core.versioning import bump_version
from app.deliveries.errors import ExceedsUndelivered, OrderClosed, OrderNotDeliverable
from app.events.changes import record_change
from app.orders.models import Order, OrderLine
from app.orders.models import OrderStatus as S
from app.orders.states import ensure_transition as ensure_order_transition

ORDER = "order"

# The order's state machine as agreed with the orders domain; its transitions table
# (app.orders.states) replaces this one when both are merged.
# Orders whose undelivered quantity may be planned and shipped.
DELIVERABLE = frozenset({S.confirmed, S.partially_delivered})
# Orders whose shipped goods may still come back (a return reopens a delivered order).
RETURNABLE = frozenset({S.partially_delivered, S.delivered})

Quantities = Mapping[int, Decimal]  # order line id → quantity


def order_visible(principal: Principal) -> Any:
    """Orders are seen like contracts: their owner, department, overseeing deputy GM, and
    the company-wide roles (logistics, finance, integration, …)."""
    return visible(principal, owner_column=Order.owner_id, department_column=Order.department_id)


async def lock_order(session: AsyncSession, order_id: int,
                     principal: Principal | None = None) -> Order | None:
    """The order, locked for the rest of the transaction and read after the lock (not as an
    earlier read of this session left it); None when missing or, given a principal,
    invisible to them."""
    statement = select(Order).where(col(Order.id) == order_id)
    if principal is not None:
        statement = statement.where(order_visible(principal))
    return (await session.execute(statement.with_for_update()
                                  .execution_options(populate_existing=True))).scalar_one_or_none()


async def lines_of(session: AsyncSession, order_id: int) -> dict[int, OrderLine]:
    """The order's lines by id, fresh (read under the order's lock)."""
    result = await session.execute(
        select(OrderLine).where(col(OrderLine.order_id) == order_id)
        .order_by(col(OrderLine.line_no)).execution_options(populate_existing=True))
    return {line.id: line for line in result.scalars() if line.id is not None}


def undelivered(line: OrderLine) -> Decimal:
    """What no delivery has taken yet (returned goods count again)."""
    return line.quantity - line.scheduled_quantity


def ensure_deliverable(order: Order) -> None:
    if order.status not in DELIVERABLE:
        raise OrderNotDeliverable(
            f"Order {order.id} is {order.status.value}; deliveries are planned and shipped "
            f"for confirmed or partially delivered orders.", order_status=order.status.value)


def ensure_returnable(order: Order) -> None:
    if order.status not in RETURNABLE:
        raise OrderClosed(f"Order {order.id} is {order.status.value}.",
                          order_status=order.status.value)


def schedule(order: Order, lines: Mapping[int, OrderLine], wanted: Quantities) -> None:
    """Take quantities of the order's undelivered remainder for a planned delivery. Every
    line is checked before any changes, so the refusal names each line that does not fit."""
    over = [{"order_line_id": line_id, "requested": f"{quantity:.3f}",
             "undelivered": f"{undelivered(lines[line_id]):.3f}"}
            for line_id, quantity in wanted.items() if quantity > undelivered(lines[line_id])]
    if over:
        raise ExceedsUndelivered(
            "; ".join(f"order line {o['order_line_id']}: {o['requested']} asked, "
                      f"{o['undelivered']} left to deliver" for o in over), lines=over)
    for line_id, quantity in wanted.items():
        lines[line_id].scheduled_quantity += quantity
    bump_version(order)


def release(order: Order, lines: Mapping[int, OrderLine], quantities: Quantities) -> None:
    """Give a cancelled delivery's quantities back to the undelivered remainder."""
    for line_id, quantity in quantities.items():
        lines[line_id].scheduled_quantity -= quantity
    bump_version(order)


def ship(session: AsyncSession, principal: Principal, order: Order,
         lines: Mapping[int, OrderLine], quantities: Quantities, *, delivery_id: int) -> None:
    """A planned delivery left: its quantities count as shipped, and the order follows."""
    before = order_summary(order, lines.values())
    for line_id, quantity in quantities.items():
        lines[line_id].shipped_quantity += quantity
    bump_version(order)
    _follow(session, principal, order, lines, before, delivery_id=delivery_id)


def take_back(session: AsyncSession, principal: Principal, order: Order,
              lines: Mapping[int, OrderLine], quantities: Quantities, *,
              delivery_id: int) -> None:
    """Returned goods: no longer shipped, and undelivered again (a replacement may be
    planned for them); a delivered order becomes partially delivered."""
    before = order_summary(order, lines.values())
    for line_id, quantity in quantities.items():
        line = lines[line_id]
        line.shipped_quantity -= quantity
        line.scheduled_quantity -= quantity
        line.returned_quantity += quantity
    bump_version(order)
    _follow(session, principal, order, lines, before, delivery_id=delivery_id)


def _follow(session: AsyncSession, principal: Principal, order: Order,
            lines: Mapping[int, OrderLine], before: dict[str, Any], *, delivery_id: int) -> None:
    """Move the order to what its shipped quantities say: all of it shipped is delivered,
    anything less once something has shipped is partially delivered (also when returns
    took everything back: goods have been out, so it is no longer merely confirmed)."""
    if all(line.shipped_quantity >= line.quantity for line in lines.values()):
        _move(session, principal, order, lines, S.delivered, before,
              event_type="order.delivered", delivery_id=delivery_id)
    else:
        _move(session, principal, order, lines, S.partially_delivered, before,
              event_type="order.partially_delivered", delivery_id=delivery_id)


def _move(session: AsyncSession, principal: Principal, order: Order,
          lines: Mapping[int, OrderLine], target: S, before: dict[str, Any], *,
          event_type: str, delivery_id: int) -> None:
    if order.status == target:
        return
    ensure_order_transition(order.status, target)
    assert order.id is not None  # loaded from the database
    previous = order.status
    order.status = target
    after = order_summary(order, lines.values())
    record_change(session, principal, event_type=event_type, entity_type=ORDER,
                  entity_id=order.id, before=before, after=after,
                  event_data={**after, "previous_status": previous.value,
                              "customer_id": order.customer_id,
                              "contract_id": order.contract_id, "delivery_id": delivery_id})


def order_summary(order: Order, lines: Any) -> dict[str, Any]:
    """The audited form of an order's fulfilment: its status and its lines' quantities."""
    assert order.id is not None  # loaded from the database
    return {
        "id": order.id, "number": order.number, "status": order.status.value,
        "total": f"{order.total:.2f}",
        "total_base": f"{order.total_base:.2f}", "version": order.version,
        "lines": [{"id": line.id, "line_no": line.line_no, "product_id": line.product_id,
                   "quantity": f"{line.quantity:.3f}",
                   "scheduled_quantity": f"{line.scheduled_quantity:.3f}",
                   "shipped_quantity": f"{line.shipped_quantity:.3f}",
                   "returned_quantity": f"{line.returned_quantity:.3f}"}
                  for line in sorted(lines, key=lambda line: line.line_no)],
    }
