from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter, RequestNotPending
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import Conflict, InvalidTransition, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.filters import (
    AmountFromQuery,
    AmountToQuery,
    DayFromQuery,
    DayToQuery,
    DepartmentQuery,
    OwnerQuery,
)
from app.core.ids import Id, path_id
from app.core.numbering import NumberQuery
from app.core.pagination import Listed, ListRequest
from app.core.pricing import AmountTooLarge
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.orders import approval as _registers_adapter  # noqa: F401
from app.orders import exports, service
from app.orders.errors import (
    AmountExceedsRemaining,
    CloseReasonRequired,
    ContractNotOpen,
    DateInPast,
    DeliveriesPending,
    DeliveriesScheduled,
    OrderForbidden,
    OrderLocked,
    OrderNotFound,
    QuantityExceedsRemaining,
    QuoteContracted,
    QuoteNotOrderable,
    UnknownContract,
    UnknownOrderLine,
    UnknownQuote,
    UnknownSourceLine,
)
from app.orders.models import Order, OrderStatus
from app.orders.schemas import (
    CancelBody,
    CloseBody,
    OrderCreate,
    OrderLineRead,
    OrderPage,
    OrderRead,
    OrderUpdate,
    ScheduleBody,
)

router = APIRouter(prefix="/orders", tags=["orders"])
OrderId = Annotated[int, Path(ge=1), path_id(lambda n: OrderNotFound(f"No order {n}."))]
WRITE_ERRORS = (OrderNotFound, OrderForbidden, StaleVersion)
SOURCE_ERRORS = (UnknownContract, UnknownQuote, UnknownSourceLine, ContractNotOpen,
                 QuoteNotOrderable, QuoteContracted, QuantityExceedsRemaining,
                 AmountExceedsRemaining, DateInPast, AmountTooLarge)


async def _read_many(session: AsyncSession, principal: Principal, orders: list[Order],
                     now: datetime) -> list[OrderRead]:
    """Orders with their lines, approval requests and the caller's allowed actions, loaded
    for the whole page at once (a fixed number of queries, whatever its size)."""
    lines = await service.lines_by_order(session, [o.id for o in orders if o.id is not None])
    requests = await approval_reads(session, principal,
                                    [o.approval_request_id for o in orders], now)
    reads = []
    for order in orders:
        assert order.id is not None  # loaded from the database
        read = OrderRead.model_validate(order)
        own_lines = lines.get(order.id, [])
        read.lines = [OrderLineRead.model_validate(line) for line in own_lines]
        read.approval = requests.get(order.approval_request_id)
        read.allowed_actions = service.allowed_actions(
            order, principal, read.approval.allowed_actions if read.approval else [], own_lines)
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, order: Order, now: datetime,
                response: Response | None = None) -> OrderRead:
    [read] = await _read_many(session, principal, [order], now)
    if response is not None:
        set_etag(response, order.version)
    return read


@router.get("", response_model=OrderPage, responses=file_responses())
async def list_orders(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    status: OrderStatus | None = None, customer_id: Id | None = None,
    contract_id: Id | None = None, owner_id: OwnerQuery = None,
    department_id: DepartmentQuery = None, number: NumberQuery = None,
    created_from: DayFromQuery = None, created_to: DayToQuery = None,
    amount_from: AmountFromQuery = None, amount_to: AmountToQuery = None,
    format: FormatQuery = None,
) -> OrderPage | StreamingResponse:
    """Orders the caller may see, newest first: a rep their own, a head their department,
    a deputy GM the departments they oversee; the GM, finance, logistics and the ERP all.
    `amount_*` bound the total. Every one of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[OrderRead]:
        listed = await service.list_orders(
            session, principal, status=status, customer_id=customer_id,
            contract_id=contract_id, owner_id=owner_id, department_id=department_id,
            number=number, created_from=created_from, created_to=created_to,
            amount_from=amount_from, amount_to=amount_to, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.ORDERS.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return OrderPage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=OrderRead,
             responses=errors_doc(OrderForbidden, *SOURCE_ERRORS))
async def create_order(body: OrderCreate, session: SessionDep, principal: CurrentPrincipal,
                       now: Now, response: Response) -> OrderRead:
    """Place a draft order: a call-off of a signed contract (`contract_id`, lines by
    `contract_line_id`), or from a quote the approval policy's `orders_from_quotes` allows
    (`quote_id`, lines by `quote_line_id`). Prices come from those lines; no line may take
    more than remains of its contract or quote line, nor the order more than remains of
    its amount (409)."""
    order = await service.create(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/orders/{order.id}"
    return await _read(session, principal, order, now, response)


@router.get("/{order_id}", response_model=OrderRead, responses=errors_doc(OrderNotFound))
async def get_order(order_id: OrderId, session: SessionDep, principal: CurrentPrincipal,
                    now: Now, response: Response) -> OrderRead:
    order = await service.get_visible(session, principal, order_id)
    return await _read(session, principal, order, now, response)


@router.patch("/{order_id}", response_model=OrderRead,
              responses=errors_doc(*WRITE_ERRORS, OrderLocked, *SOURCE_ERRORS))
async def update_order(order_id: OrderId, body: OrderUpdate, session: SessionDep,
                       principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                       response: Response) -> OrderRead:
    """Edit a draft. Orders in review and later are locked (409 `order.locked`)."""
    order = await service.update(session, principal, order_id=order_id, data=body,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, order, now, response)


@router.post("/{order_id}/submit", response_model=OrderRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, ContractNotOpen,
                                  QuoteNotOrderable, QuoteContracted, NoPolicyForDocument))
async def submit_order(order_id: OrderId, session: SessionDep, principal: CurrentPrincipal,
                       if_match: IfMatch, now: Now, response: Response) -> OrderRead:
    """Send a draft into review: finance (terms, amount, credit) ∥ logistics (delivery
    date). The customer's credit is checked first: above its limit, or rated D, the order
    goes to `credit_hold` and the GM's release is added, unless it is fully prepaid.
    `credit_check` explains the outcome."""
    order = await service.submit(session, principal, order_id=order_id,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, order, now, response)


@router.post("/{order_id}/recall", response_model=OrderRead,
             responses=errors_doc(OrderNotFound, InvalidTransition, NotSubmitter))
async def recall_order(order_id: OrderId, session: SessionDep, principal: CurrentPrincipal,
                       now: Now, if_match: IfMatch, response: Response) -> OrderRead:
    """The submitter takes an order in review back to draft."""
    order = await service.recall(session, principal, order_id=order_id, now=now,
        expected_version=if_match)
    return await _read(session, principal, order, now, response)


@router.post("/{order_id}/schedule", response_model=OrderRead,
             responses=errors_doc(*WRITE_ERRORS, OrderLocked, DateInPast, UnknownOrderLine))
async def schedule_order(order_id: OrderId, body: ScheduleBody, session: SessionDep,
                         principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                         response: Response) -> OrderRead:
    """Logistics plans the lines' delivery dates, while the order is in review or
    confirmed. At confirmation, lines without one get the requested date."""
    order = await service.schedule(session, principal, order_id=order_id, data=body,
                                   expected_version=if_match, now=now)
    return await _read(session, principal, order, now, response)


@router.post("/{order_id}/cancel", response_model=OrderRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, DeliveriesScheduled,
                                  RequestNotPending, Conflict))
async def cancel_order(order_id: OrderId, body: CancelBody, session: SessionDep,
                       principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                       response: Response) -> OrderRead:
    """Cancel a draft, an order in review (its approval request is withdrawn) or a
    confirmed order with nothing scheduled for delivery. Its amount leaves the customer's
    exposure."""
    order = await service.cancel(session, principal, order_id=order_id, reason=body.reason,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, order, now, response)


@router.post("/{order_id}/close", response_model=OrderRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, DeliveriesPending,
                                  CloseReasonRequired))
async def close_order(order_id: OrderId, body: CloseBody, session: SessionDep,
                      principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                      response: Response) -> OrderRead:
    """Close a delivered or partly delivered order once no delivery is planned and not
    shipped (department head, deputy GM, GM, logistics): the rest will not be delivered
    (say why), and what was not invoiced leaves the customer's exposure."""
    order = await service.close(session, principal, order_id=order_id, reason=body.reason,
                                expected_version=if_match, now=now)
    return await _read(session, principal, order, now, response)
