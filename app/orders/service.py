"""Sales orders (SPEC §3 Order): placed from a signed contract or an orderable quote,
reviewed by finance ∥ logistics (and released by the GM when the credit check holds them,
SPEC §5), then delivered, cancelled or closed.

Lock order: an approval request, then the order, then the contract (or quote) it draws on,
then the customer's credit row. A command that ends a request (a recall, a cancellation in
review) therefore reads the order unlocked and lets the engine lock the request first.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import requests as approvals
from app.approvals import store as approval_store
from app.approvals.documents import recall_document, submit_document
from app.approvals.models import RequestStatus
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.approvals.store import LoadedRequest
from app.calendar.working_time import local_date, local_day_start
from app.core.db import commit
from app.core.errors import Conflict
from app.core.filters import where_range
from app.core.numbering import next_number, number_is
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import SALES_WORKING_ROLES, Capability, Role, can, visible
from app.core.pricing import apply_totals
from app.core.security import Principal
from app.core.versioning import apply_changes, bump_version, ensure_version
from app.credit import service as credit
from app.customers.models import Customer
from app.events.changes import record_change
from app.orders import month_totals, sources
from app.orders.errors import (
    CloseReasonRequired,
    DateInPast,
    DeliveriesPending,
    DeliveriesScheduled,
    OrderForbidden,
    OrderLocked,
    OrderNotFound,
    UnknownOrderLine,
)
from app.orders.models import Order, OrderLine, OrderStatus
from app.orders.schemas import OrderCreate, OrderSummary, OrderUpdate, ScheduleBody
from app.orders.states import CLOSABLE, EDITABLE, IN_REVIEW, ensure_transition

ENTITY = "order"
DOCUMENT_TYPE = POLICY_KEY = "sales_order"
CREDIT_HOLD_FLAG = "credit_hold"
ZERO = Decimal("0.00")
# Logistics plans delivery dates during the review, and may move them once confirmed.
SCHEDULABLE = IN_REVIEW | {OrderStatus.confirmed}
# session.info key: orders whose pending request is being withdrawn to cancel them, with
# the reason (the approval adapter ends such a request in `cancelled`, not in draft).
CANCELLING = "orders.cancelling"


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Order.owner_id, department_column=Order.department_id)


def may_edit(principal: Principal) -> bool:
    return principal.has(*SALES_WORKING_ROLES)


def may_schedule(principal: Principal) -> bool:
    return can(principal, Capability.order_schedule)


def may_close(principal: Principal) -> bool:
    return can(principal, Capability.order_close)


# ---- reading ----------------------------------------------------------------------------


async def get_visible(session: AsyncSession, principal: Principal, order_id: int, *,
                      for_update: bool = False) -> Order:
    statement = select(Order).where(col(Order.id) == order_id, _visible(principal))
    if for_update:
        # Read as the lock finds it, not as the session may have held it before.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    order = (await session.execute(statement)).scalar_one_or_none()
    if order is None:
        raise OrderNotFound(f"No order {order_id}.")
    return order


async def lines_of(session: AsyncSession, order_id: int) -> list[OrderLine]:
    return (await lines_by_order(session, [order_id])).get(order_id, [])


async def lines_by_order(session: AsyncSession, order_ids: list[int]
                         ) -> dict[int, list[OrderLine]]:
    grouped: dict[int, list[OrderLine]] = {}
    if order_ids:
        for line in (await session.execute(select(OrderLine).where(
                col(OrderLine.order_id).in_(order_ids))
                .order_by(col(OrderLine.order_id), col(OrderLine.line_no)))).scalars():
            grouped.setdefault(line.order_id, []).append(line)
    return grouped


SORTS = Sorts("Order", {
    "created_at": col(Order.created_at), "updated_at": col(Order.updated_at),
    "number": col(Order.number), "total": col(Order.total),
    "requested_date": col(Order.requested_date), "title": col(Order.title),
}, tiebreaker=col(Order.id))


async def list_orders(
    session: AsyncSession, principal: Principal, *, status: OrderStatus | None,
    customer_id: int | None, contract_id: int | None, owner_id: str | None,
    department_id: str | None, number: str | None = None, created_from: date | None = None,
    created_to: date | None = None, amount_from: Decimal | None = None,
    amount_to: Decimal | None = None, page: ListRequest,
) -> Listed[Order]:
    statement = select(Order).where(_visible(principal))
    if number is not None:
        statement = statement.where(number_is(col(Order.number), number))
    for column, value in ((Order.status, status), (Order.customer_id, customer_id),
                          (Order.contract_id, contract_id), (Order.owner_id, owner_id),
                          (Order.department_id, department_id)):
        if value is not None:
            statement = statement.where(col(column) == value)
    statement = where_range(
        statement, col(Order.created_at),
        local_day_start(created_from) if created_from else None,
        local_day_start(created_to + timedelta(days=1)) if created_to else None,
        last_excluded=True)
    statement = where_range(statement, col(Order.total), amount_from, amount_to)
    return await SORTS.page(session, statement, page)


# ---- drafting ---------------------------------------------------------------------------


async def create(session: AsyncSession, principal: Principal, *, data: OrderCreate,
                 now: datetime) -> Order:
    """Place a draft order: a call-off of a signed contract, or an order from a quote the
    policy allows, never beyond what remains of it."""
    if not may_edit(principal):
        raise OrderForbidden("Your roles do not place orders.")
    today = local_date(now)
    _ensure_not_past(data.requested_date, today)
    source = await sources.load(session, principal, contract_id=data.contract_id,
                                quote_id=data.quote_id, today=today)
    document = source.document
    lines = await sources.price_lines(session, source, data.lines)
    customer = await session.get(Customer, document.customer_id)
    assert customer is not None  # a foreign key
    # number: taken below, once every check has passed (it locks the year's counter).
    order = Order(  # type: ignore[call-arg]
        customer_id=document.customer_id, contract_id=data.contract_id, quote_id=data.quote_id,
        department_id=document.department_id, owner_id=document.owner_id,
        title=data.title or document.title, currency=document.currency,
        exchange_rate=document.exchange_rate,
        delivery_address=data.delivery_address or customer.address,
        requested_date=data.requested_date,
        payment_terms_days=(data.payment_terms_days if data.payment_terms_days is not None
                            else customer.payment_terms_days),
        prepayment_percent=(data.prepayment_percent if data.prepayment_percent is not None
                            else source.prepayment_percent()),
        notes=data.notes, created_by=principal.sub, subtotal=ZERO, tax_total=ZERO, total=ZERO,
        total_base=ZERO)
    apply_totals(order, lines)
    await sources.ensure_amount_remains(session, source, order.total)
    order.number = await next_number(session, ENTITY, on=today)
    session.add(order)
    await session.flush()
    assert order.id is not None  # assigned by the flush
    for line in lines:
        line.order_id = order.id
    session.add_all(lines)
    record_change(session, principal, event_type="order.created", entity_type=ENTITY,
                  entity_id=order.id, before=None, after=summary(order))
    await commit(session)
    return order


async def update(session: AsyncSession, principal: Principal, *, order_id: int,
                 data: OrderUpdate, expected_version: int | None, now: datetime) -> Order:
    """Edit a draft; new lines are checked against what remains, as when it was placed."""
    order = await _editable(session, principal, order_id, expected_version)
    assert order.id is not None  # loaded from the database
    if order.status not in EDITABLE:
        raise OrderLocked(f"The order is {order.status.value}.", status_now=order.status.value)
    changes = {field: value for field, value in
               data.model_dump(exclude_unset=True, exclude={"lines"}).items()
               if getattr(order, field) != value}
    if not changes and data.lines is None:
        return order  # nothing to change: no new version, no event
    today = local_date(now)
    _ensure_not_past(changes.get("requested_date"), today)
    before = summary(order)
    for field, value in changes.items():
        setattr(order, field, value)
    if data.lines is not None:
        source = await sources.load(session, principal, contract_id=order.contract_id,
                                    quote_id=order.quote_id, today=today)
        lines = await sources.price_lines(session, source, data.lines, order_id=order.id)
        apply_totals(order, lines)
        await sources.ensure_amount_remains(session, source, order.total, order_id=order.id)
        for old in await lines_of(session, order.id):
            await session.delete(old)
        for line in lines:
            line.order_id = order.id
        session.add_all(lines)
    bump_version(order)
    record_change(session, principal, event_type="order.updated", entity_type=ENTITY,
                  entity_id=order.id, before=before, after=summary(order))
    await commit(session)
    return order


# ---- review -----------------------------------------------------------------------------


async def submit(session: AsyncSession, principal: Principal, *, order_id: int,
                 expected_version: int | None, now: datetime) -> Order:
    """Send a draft into review (finance ∥ logistics). The customer's credit is checked
    first, under the lock of its credit row: above the limit, or rated D, the order goes
    on credit hold and the GM's release is added to its review, unless it is fully
    prepaid. Its amount is reserved in the customer's exposure either way."""
    order = await _editable(session, principal, order_id, expected_version)
    assert order.id is not None  # loaded from the database
    ensure_transition(order.status, OrderStatus.pending_review)
    await sources.ensure_still_open(session, order, local_date(now))
    customer = await session.get(Customer, order.customer_id)
    assert customer is not None  # a foreign key
    check = await credit.check_and_reserve(
        session, customer, amount=order.total_base, prepayment_percent=order.prepayment_percent,
        releasable_by=await _releasing_roles(session), now=now)
    held = check.outcome == "held"
    figures = check.model_dump(mode="json")
    changes: dict[str, Any] = {"credit_held": held, "credit_check": figures}
    if held:
        changes["status"] = OrderStatus.credit_hold

    def held_in(loaded: LoadedRequest) -> None:
        assert order.id is not None  # loaded from the database
        record_change(session, principal, event_type="order.credit_hold", entity_type=ENTITY,
                      entity_id=order.id, before=None, after={"credit_check": figures},
                      event_data={**summary(order), "approval_request_id": loaded.request_id,
                                  "credit_check": figures})

    await submit_document(session, principal, order, now=now, changes=changes,
                          opened=held_in if held else None)
    return order


async def recall(session: AsyncSession, principal: Principal, *, order_id: int,
                 now: datetime, expected_version: int | None = None) -> Order:
    """The submitter takes the order back to draft; its reservation is released."""
    # Not locked here (recall_document says why).
    order = await get_visible(session, principal, order_id)
    ensure_version(order.version, expected_version)
    await recall_document(session, principal, order, now=now)
    return order


async def schedule(session: AsyncSession, principal: Principal, *, order_id: int,
                   data: ScheduleBody, expected_version: int | None, now: datetime) -> Order:
    """Logistics plans delivery dates, during the review or once confirmed. Lines without
    a planned date get the requested date at confirmation."""
    order = await get_visible(session, principal, order_id, for_update=True)
    assert order.id is not None  # loaded from the database
    if not may_schedule(principal):
        raise OrderForbidden("Only logistics plans delivery dates.")
    ensure_version(order.version, expected_version)
    if order.status not in SCHEDULABLE:
        raise OrderLocked(f"Delivery dates are planned while the order is in review or "
                          f"confirmed; it is {order.status.value}.",
                          status_now=order.status.value)
    today = local_date(now)
    dates = {line.line_no: line.planned_delivery_date for line in data.lines}
    for day in [data.planned_delivery_date, *dates.values()]:
        _ensure_not_past(day, today)
    lines = await lines_of(session, order.id)
    unknown = sorted(dates.keys() - {line.line_no for line in lines})
    if unknown:
        raise UnknownOrderLine(f"The order has no lines {unknown}.", line_nos=unknown)
    before = summary(order)
    for line in lines:
        planned = dates.get(line.line_no, data.planned_delivery_date)
        if planned is not None:
            line.planned_delivery_date = planned
    bump_version(order)
    record_change(session, principal, event_type="order.scheduled", entity_type=ENTITY,
                  entity_id=order.id, before=before, after=summary(order),
                  event_data={**summary(order), "lines": [
                      {"line_no": line.line_no, "planned_delivery_date":
                       line.planned_delivery_date.isoformat() if line.planned_delivery_date
                       else None} for line in lines]})
    await commit(session)
    return order


# ---- ending -----------------------------------------------------------------------------


async def cancel(session: AsyncSession, principal: Principal, *, order_id: int, reason: str,
                 expected_version: int | None, now: datetime) -> Order:
    """Cancel a draft, an order in review (its request is withdrawn), or a confirmed order
    nothing of which is scheduled for delivery; its credit reservation is released."""
    order = await get_visible(session, principal, order_id)
    assert order.id is not None  # loaded from the database
    if not may_edit(principal):
        raise OrderForbidden("Your roles do not cancel orders.")
    ensure_version(order.version, expected_version)
    if order.status in IN_REVIEW:
        await _withdraw_to_cancel(session, principal, order, reason, now)
        return order
    order = await get_visible(session, principal, order_id, for_update=True)
    ensure_version(order.version, expected_version)
    if order.status in IN_REVIEW:
        raise Conflict("The order was submitted meanwhile; cancel it again.",
                       status_now=order.status.value)
    ensure_transition(order.status, OrderStatus.cancelled)
    if order.status == OrderStatus.confirmed:
        lines = await lines_of(session, order_id)
        if any(line.scheduled_quantity > 0 for line in lines):
            raise DeliveriesScheduled(f"Order {order_id} has deliveries planned or shipped.")
        await credit.release_uninvoiced(session, order.customer_id, _uninvoiced(order))
    _end(session, principal, order, OrderStatus.cancelled, "order.cancelled", reason,
         cancelled_at=now, cancel_reason=reason, extra={"approval_request_id": None})
    await commit(session)
    return order


async def close(session: AsyncSession, principal: Principal, *, order_id: int,
                reason: str | None, expected_version: int | None, now: datetime) -> Order:
    """Close a delivered or partly delivered order once no delivery is still planned:
    nothing more will be delivered, and what was not invoiced leaves the exposure. Closing
    short (something not delivered) needs a reason."""
    order = await get_visible(session, principal, order_id, for_update=True)
    if not may_close(principal):
        raise OrderForbidden("Department heads, deputy GMs, the GM and logistics close "
                             "orders.")
    ensure_version(order.version, expected_version)
    ensure_transition(order.status, OrderStatus.closed)
    lines = await lines_of(session, order_id)
    if any(line.scheduled_quantity != line.shipped_quantity for line in lines):
        raise DeliveriesPending(f"Order {order_id} has deliveries planned and not shipped.")
    if reason is None and any(line.shipped_quantity < line.quantity for line in lines):
        raise CloseReasonRequired()
    await credit.release_uninvoiced(session, order.customer_id, _uninvoiced(order))
    _end(session, principal, order, OrderStatus.closed, "order.closed", reason, closed_at=now,
         close_reason=reason)
    await commit(session)
    return order


async def _withdraw_to_cancel(session: AsyncSession, principal: Principal, order: Order,
                              reason: str, now: datetime) -> None:
    # As a recall, by anyone who may cancel the order: the request is locked first, and
    # the approval adapter locks the order, releases its reservation and cancels it.
    assert order.id is not None and order.approval_request_id is not None
    loaded = await approval_store.load(session, order.approval_request_id, lock=True)
    approvals.ensure_pending(loaded.request)
    session.info.setdefault(CANCELLING, {})[order.id] = reason
    try:
        await approvals.finish(session, principal, loaded, RequestStatus.recalled, now,
                               reason=reason)
    finally:
        session.info[CANCELLING].pop(order.id, None)
    await commit(session)


def _end(session: AsyncSession, principal: Principal, order: Order, target: OrderStatus,
         event_type: str, reason: str | None, *, extra: dict[str, Any] | None = None,
         **fields: Any) -> None:
    assert order.id is not None  # loaded from the database
    before, counted = summary(order), month_totals.counted(order)
    apply_changes(order, {"status": target, **fields})
    month_totals.track_order(session, order, counted)  # a confirmed order cancelled leaves
    after = summary(order)
    record_change(session, principal, event_type=event_type, entity_type=ENTITY,
                  entity_id=order.id, before=before, after=after,
                  event_data={**after, "reason": reason, **(extra or {})})


def _uninvoiced(order: Order) -> Decimal:
    return max(order.total_base - order.invoiced_base, ZERO)


# ---- shared with the approval adapter and the router ------------------------------------


def describe(order: Order) -> SubmittedDocument:
    """The order as the policy sees it: its total in CNY, its department, and the flag
    that adds the credit release stage when the credit check held it."""
    assert order.id is not None  # loaded from the database
    return SubmittedDocument(
        document_type=DOCUMENT_TYPE, document_id=order.id, document_version=order.version,
        title=order.title, owner_id=order.owner_id,
        facts=DocumentFacts(policy_key=POLICY_KEY, amount=order.total_base,
                            department_id=order.department_id,
                            flags=frozenset({CREDIT_HOLD_FLAG}) if order.credit_held
                            else frozenset()))


def summary(order: Order) -> dict[str, Any]:
    assert order.id is not None  # flushed or loaded
    return OrderSummary(
        id=order.id, number=order.number, status=order.status, customer_id=order.customer_id,
        contract_id=order.contract_id, quote_id=order.quote_id,
        department_id=order.department_id, owner_id=order.owner_id, currency=order.currency,
        total=f"{order.total:.2f}", total_base=f"{order.total_base:.2f}",
        requested_date=order.requested_date, credit_held=order.credit_held,
        version=order.version).model_dump(mode="json")


def allowed_actions(order: Order, principal: Principal, approval_actions: list[str],
                    lines: list[OrderLine]) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    actions: list[str] = []
    status, editor = order.status, may_edit(principal)
    if status in IN_REVIEW:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if editor and status in EDITABLE:
        actions += ["update", "submit"]
    if may_schedule(principal) and status in SCHEDULABLE:
        actions.append("schedule")
    nothing_scheduled = all(line.scheduled_quantity == 0 for line in lines)
    if editor and (status in EDITABLE | IN_REVIEW
                   or status == OrderStatus.confirmed and nothing_scheduled):
        actions.append("cancel")
    if (may_close(principal) and status in CLOSABLE
            and all(line.scheduled_quantity == line.shipped_quantity for line in lines)):
        actions.append("close")
    return actions


async def _releasing_roles(session: AsyncSession) -> list[Role]:
    """Who releases a held order: the roles of the policy's credit release stage(s)."""
    _, policy = await approvals.current_policy(session)
    rule = policy.documents.get(POLICY_KEY)
    return [step.role for stage in (rule.stages if rule else [])
            if stage.when == CREDIT_HOLD_FLAG for step in stage.steps]


async def _editable(session: AsyncSession, principal: Principal, order_id: int,
                    expected_version: int | None) -> Order:
    order = await get_visible(session, principal, order_id, for_update=True)
    if not may_edit(principal):
        raise OrderForbidden()
    ensure_version(order.version, expected_version)
    return order


def _ensure_not_past(day: date | None, today: date) -> None:
    if day is not None and day < today:
        raise DateInPast(f"{day} is before today ({today}).", date=day.isoformat())
