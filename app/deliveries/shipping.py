"""What happens to a planned delivery once goods move: it ships (its value is computed,
the order follows, and finance and the ERP learn of it in the same transaction), the
customer receives it, or goods come back."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.working_time import local_date
from app.core.db import commit
from app.core.errors import InvalidTransition
from app.core.permissions import Capability
from app.core.security import Principal
from app.core.versioning import bump_version
from app.deliveries import fulfilment, values
from app.deliveries.errors import (
    DateBeforeShipment,
    DateInFuture,
    ExceedsReturnable,
    UnknownDeliveryLine,
)
from app.deliveries.models import Delivery, DeliveryLine, DeliveryReturn, DeliveryStatus
from app.deliveries.schemas import ReceiptBody, ReturnCreate, ShipBody
from app.deliveries.service import ENTITY, event_data, instant, locked, summary
from app.deliveries.states import RETURNABLE, TRANSITIONS, ensure_transition
from app.events.changes import record_change
from app.orders.models import Order, OrderLine
from app.receivables import credits
from app.receivables import issuance as receivables
from app.receivables.models import CreditSource

# How far ahead of our clock a receipt time from another system's clock may be.
CLOCK_SKEW = timedelta(minutes=5)


async def ship(session: AsyncSession, principal: Principal, *, delivery_id: int, data: ShipBody,
               expected_version: int | None, now: datetime) -> Delivery:
    """The planned delivery left the warehouse: its value is fixed from the order's prices,
    the order's shipped quantities and status follow, and `delivery.shipped` tells finance
    (who invoices on it) and the ERP, all in one transaction."""
    delivery, order, lines = await locked(
        session, principal, delivery_id, capability=Capability.delivery_record,
        doing="record shipments", expected_version=expected_version)
    ensure_transition(delivery.status, DeliveryStatus.shipped)
    fulfilment.ensure_deliverable(order)
    shipped_on = data.shipped_on or local_date(now)
    _ensure_past(shipped_on, now, "shipping")
    assert delivery.id is not None and order.id is not None  # loaded from the database
    before = summary(delivery, lines)
    order_lines = await fulfilment.lines_of(session, order.id)
    was = {line_id: line.shipped_quantity for line_id, line in order_lines.items()}
    will = dict(was)
    for line in lines:
        will[line.order_line_id] += line.quantity
    for line in lines:
        amounts = values.moved(order_lines[line.order_line_id], was[line.order_line_id],
                               will[line.order_line_id])
        line.net_amount, line.tax_amount, line.total_amount = (
            amounts.net, amounts.tax, amounts.total)
    delivery.shipped_total = sum((line.total_amount for line in lines), Decimal("0.00"))
    delivery.shipped_total_base = values.base_moved(order, order_lines.values(), was, will)
    delivery.status, delivery.shipped_on = DeliveryStatus.shipped, shipped_on
    delivery.carrier, delivery.tracking_number = data.carrier, data.tracking_number
    bump_version(delivery)
    record_change(session, principal, event_type="delivery.shipped", entity_type=ENTITY,
                  entity_id=delivery.id, before=before, after=summary(delivery, lines),
                  event_data=_shipped_data(delivery, lines, order, order_lines))
    fulfilment.ship(session, principal, order, order_lines,
                    {line.order_line_id: line.quantity for line in lines},
                    delivery_id=delivery.id)
    # Finance's invoice of the shipment, in the same transaction (issue 15).
    await receivables.issue_for_shipment(
        session, principal, order=order, delivery_id=delivery.id, shipped_on=shipped_on,
        shipped_total=delivery.shipped_total, shipped_total_base=delivery.shipped_total_base)
    await commit(session)
    return delivery


def _shipped_data(delivery: Delivery, lines: list[DeliveryLine], order: Order,
                  order_lines: dict[int, OrderLine]) -> dict[str, Any]:
    """What finance and the ERP need to invoice the shipment: whose order, the terms, and
    each line's quantity, price and value."""
    data = event_data(delivery, lines)
    for item, line in zip(data["lines"], lines, strict=True):
        priced = order_lines[line.order_line_id]
        item.update(unit_price=f"{priced.unit_price:.4f}",
                    discount_percent=f"{priced.discount_percent:.2f}",
                    tax_rate=f"{priced.tax_rate:.4f}", net_amount=f"{line.net_amount:.2f}",
                    tax_amount=f"{line.tax_amount:.2f}", total_amount=f"{line.total_amount:.2f}")
    subtotal = sum((line.net_amount for line in lines), Decimal("0.00"))
    tax_total = sum((line.tax_amount for line in lines), Decimal("0.00"))
    return {
        **data, "contract_id": order.contract_id, "carrier": delivery.carrier,
        "tracking_number": delivery.tracking_number,
        "shipped_on": delivery.shipped_on.isoformat() if delivery.shipped_on else None,
        "currency": order.currency, "exchange_rate": f"{order.exchange_rate:.6f}",
        "payment_terms_days": order.payment_terms_days,
        "prepayment_percent": f"{order.prepayment_percent:.2f}",
        "subtotal": f"{subtotal:.2f}", "tax_total": f"{tax_total:.2f}",
        "total": f"{delivery.shipped_total:.2f}",
        "total_base": f"{delivery.shipped_total_base:.2f}",
    }


async def receive(session: AsyncSession, principal: Principal, *, delivery_id: int,
                  data: ReceiptBody, expected_version: int | None, now: datetime) -> Delivery:
    """The customer signed for a shipped delivery."""
    delivery, _order, lines = await locked(
        session, principal, delivery_id, capability=Capability.delivery_record,
        doing="record receipts", expected_version=expected_version)
    ensure_transition(delivery.status, DeliveryStatus.delivered)
    # Kept and shown in UTC, as every time the API gives (RFC 3339, Z).
    received_at = (data.received_at or now).astimezone(UTC)
    if received_at > now + CLOCK_SKEW:
        raise DateInFuture(f"The receipt time {received_at.isoformat()} is in the future.")
    assert delivery.shipped_on is not None  # set when shipped
    if local_date(received_at) < delivery.shipped_on:
        raise DateBeforeShipment(f"The goods were shipped on {delivery.shipped_on}.",
                                 shipped_on=delivery.shipped_on.isoformat())
    assert delivery.id is not None  # loaded from the database
    before = summary(delivery, lines)
    delivery.status = DeliveryStatus.delivered
    delivery.received_by, delivery.received_at = data.received_by, received_at
    bump_version(delivery)
    record_change(session, principal, event_type="delivery.delivered", entity_type=ENTITY,
                  entity_id=delivery.id, before=before, after=summary(delivery, lines),
                  event_data={**event_data(delivery, lines),
                              "shipped_on": delivery.shipped_on.isoformat(),
                              "received_by": delivery.received_by,
                              "received_at": instant(received_at)})
    await commit(session)
    return delivery


async def record_return(session: AsyncSession, principal: Principal, *, delivery_id: int,
                        data: ReturnCreate, expected_version: int | None,
                        now: datetime) -> Delivery:
    """Goods of a shipped or delivered delivery came back: per line at most what was
    shipped and not yet returned. They are undelivered again on the order (a replacement
    may be planned), and a delivered order becomes partially delivered. Their value is
    credited on the delivery's receivable, never below zero (credits.py), in this
    transaction; the return says how much, and how much is to refund."""
    delivery, _ = await take_back_goods(session, principal, delivery_id=delivery_id, data=data,
                                        expected_version=expected_version, now=now)
    await commit(session)
    return delivery


async def take_back_goods(session: AsyncSession, principal: Principal, *, delivery_id: int,
                          data: ReturnCreate, expected_version: int | None,
                          now: datetime) -> tuple[Delivery, DeliveryReturn]:
    """`record_return` without its commit, for a command that takes goods back as part of
    its own change (a complaint's return remedy) and commits both together."""
    delivery, order, lines = await locked(
        session, principal, delivery_id, capability=Capability.delivery_return,
        doing="record returns", expected_version=expected_version)
    if delivery.status not in RETURNABLE:
        raise InvalidTransition(
            f"Only shipped or delivered goods can be returned; this delivery is "
            f"{delivery.status.value}.", current_status=delivery.status.value,
            allowed_next=sorted(s.value for s in TRANSITIONS[delivery.status]))
    fulfilment.ensure_returnable(order)
    returned_on = data.returned_on or local_date(now)
    _ensure_past(returned_on, now, "return")
    assert delivery.shipped_on is not None  # set when shipped
    if returned_on < delivery.shipped_on:
        raise DateBeforeShipment(f"The goods were shipped on {delivery.shipped_on}.",
                                 shipped_on=delivery.shipped_on.isoformat())
    by_id = {line.id: line for line in lines}
    wanted = {item.delivery_line_id: item.quantity for item in data.lines}
    _ensure_returnable(delivery, by_id, wanted)
    assert delivery.id is not None and order.id is not None  # loaded from the database
    before = summary(delivery, lines)
    order_lines = await fulfilment.lines_of(session, order.id)
    was = {line_id: line.shipped_quantity for line_id, line in order_lines.items()}
    will = dict(was)
    for line_id, quantity in wanted.items():
        will[by_id[line_id].order_line_id] -= quantity
    returned: list[dict[str, str | int]] = []
    total = Decimal("0.00")
    for line_id, quantity in wanted.items():
        line = by_id[line_id]
        amounts = values.moved(order_lines[line.order_line_id], was[line.order_line_id],
                               will[line.order_line_id])
        line.returned_quantity += quantity
        total += amounts.total
        returned.append({"delivery_line_id": line_id, "order_line_id": line.order_line_id,
                         "product_id": line.product_id, "quantity": f"{quantity:.3f}",
                         "net_amount": f"{amounts.net:.2f}", "tax_amount": f"{amounts.tax:.2f}",
                         "total_amount": f"{amounts.total:.2f}"})
    # What goes back is credited on the delivery's receivable, at most what it still owes;
    # the rest (paid already, or billed by the contract's other milestones) is refunded.
    receivable = await credits.delivery_receivable(session, delivery.id)
    credited = min(total, credits.creditable(receivable)) if receivable else Decimal("0.00")
    record = DeliveryReturn(
        delivery_id=delivery.id, reason=data.reason, returned_on=returned_on, lines=returned,
        total=total,
        total_base=values.base_moved(order, order_lines.values(), was, will),
        receivable_id=receivable.id if receivable else None, credited=credited,
        to_refund=total - credited, recorded_by=principal.sub)
    session.add(record)
    await session.flush()
    assert record.id is not None  # flushed
    bump_version(delivery)
    record_change(session, principal, event_type="delivery.returned", entity_type=ENTITY,
                  entity_id=delivery.id, before=before, after=summary(delivery, lines),
                  event_data={**event_data(delivery, lines), "return_id": record.id,
                              "reason": data.reason, "returned_on": returned_on.isoformat(),
                              "currency": order.currency,
                              "exchange_rate": f"{order.exchange_rate:.6f}",
                              "returned_lines": returned,
                              "return_total": f"{record.total:.2f}",
                              "return_total_base": f"{record.total_base:.2f}",
                              "receivable_id": record.receivable_id,
                              "credited": f"{record.credited:.2f}",
                              "to_refund": f"{record.to_refund:.2f}"})
    fulfilment.take_back(session, principal, order, order_lines,
                         {by_id[line_id].order_line_id: quantity
                          for line_id, quantity in wanted.items()},
                         delivery_id=delivery.id)
    if receivable is not None and credited > 0:
        # After the order takes the goods back: a credit that settles the receivable asks
        # whether the contract is complete, and the goods are no longer delivered.
        note = await credits.credit(
            session, principal, receivable, amount=credited,
            reason=f"退货 {delivery.number}: {data.reason}"[:2000],
            source=CreditSource.delivery_return, source_id=record.id, now=now)
        record.credit_note_id = note.id
    return delivery, record


def _ensure_returnable(delivery: Delivery, lines: dict[int | None, DeliveryLine],
                       wanted: dict[int, Decimal]) -> None:
    unknown = [line_id for line_id in wanted if line_id not in lines]
    if unknown:
        raise UnknownDeliveryLine(f"Delivery {delivery.id} has no lines {unknown}.",
                                  delivery_line_ids=unknown)
    over = [{"delivery_line_id": line_id, "requested": f"{quantity:.3f}",
             "returnable": f"{lines[line_id].quantity - lines[line_id].returned_quantity:.3f}"}
            for line_id, quantity in wanted.items()
            if quantity > lines[line_id].quantity - lines[line_id].returned_quantity]
    if over:
        raise ExceedsReturnable(
            "; ".join(f"delivery line {o['delivery_line_id']}: {o['requested']} returned, "
                      f"{o['returnable']} shipped and not yet returned" for o in over),
            lines=over)


def _ensure_past(day: date, now: datetime, what: str) -> None:
    today = local_date(now)
    if day > today:
        raise DateInFuture(f"The {what} date {day} is after today ({today}).")
