from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import InvalidTransition, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.filters import (
    DayFromQuery,
    DayToQuery,
    DepartmentQuery,
    OwnerQuery,
)
from app.core.ids import Id, path_id
from app.core.numbering import NumberQuery
from app.core.pagination import Listed, ListRequest
from app.core.schemas import FIRST_DAY, LAST_DAY
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.deliveries import exports, service, shipping
from app.deliveries.errors import (
    DateBeforeShipment,
    DateInFuture,
    DeliveryForbidden,
    DeliveryNotFound,
    ExceedsReturnable,
    ExceedsUndelivered,
    OrderClosed,
    OrderNotDeliverable,
    UnknownDeliveryLine,
    UnknownOrder,
    UnknownOrderLine,
)
from app.deliveries.models import Delivery, DeliveryStatus
from app.deliveries.schemas import (
    CancelBody,
    DeliveryCreate,
    DeliveryLineRead,
    DeliveryPage,
    DeliveryRead,
    DeliveryReturnRead,
    DeliveryUpdate,
    ReceiptBody,
    ReturnCreate,
    ShipBody,
)

router = APIRouter(prefix="/deliveries", tags=["deliveries"])
DeliveryId = Annotated[int, Path(ge=1), path_id(
    lambda n: DeliveryNotFound(f"No delivery {n}."))]
WRITE_ERRORS = (DeliveryNotFound, DeliveryForbidden, StaleVersion, InvalidTransition)


async def _read_many(session: AsyncSession, principal: Principal,
                     deliveries: list[Delivery]) -> list[DeliveryRead]:
    """Deliveries with their lines, returns and the caller's allowed actions, loaded for
    the whole page at once (a fixed number of queries, whatever its size)."""
    ids = [d.id for d in deliveries if d.id is not None]  # all of them: loaded rows
    lines = await service.lines_by_delivery(session, ids)
    returns = await service.returns_by_delivery(session, ids)
    orders = await service.order_statuses(session, [d.order_id for d in deliveries])
    reads = []
    for delivery in deliveries:
        assert delivery.id is not None  # loaded from the database
        read = DeliveryRead.model_validate(delivery)
        read.lines = [DeliveryLineRead.model_validate(line) for line in lines.get(delivery.id, [])]
        read.returns = [DeliveryReturnRead.model_validate(r) for r in returns.get(delivery.id, [])]
        read.allowed_actions = service.allowed_actions(
            delivery, principal, orders.get(delivery.order_id), lines.get(delivery.id, []))
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, delivery: Delivery,
                response: Response) -> DeliveryRead:
    [read] = await _read_many(session, principal, [delivery])
    set_etag(response, delivery.version)
    return read


@router.get("", response_model=DeliveryPage, responses=file_responses())
async def list_deliveries(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)], order_id: Id | None = None,
    customer_id: Id | None = None, status: DeliveryStatus | None = None,
    planned_from: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                         description="Planned on or after this day")] = None,
    planned_to: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                         description="Planned on or before this day")] = None,
    shipped_from: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                         description="Shipped on or after this day")] = None,
    shipped_to: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                         description="Shipped on or before this day")] = None,
    number: NumberQuery = None, owner_id: OwnerQuery = None,
    department_id: DepartmentQuery = None, created_from: DayFromQuery = None,
    created_to: DayToQuery = None, format: FormatQuery = None,
) -> DeliveryPage | StreamingResponse:
    """Deliveries of the orders the caller may see, newest first unless sorted otherwise
    (deliveries not yet planned or shipped come last by those dates). Every one of them as
    CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[DeliveryRead]:
        listed = await service.list_deliveries(
            session, principal, order_id=order_id, customer_id=customer_id, status=status,
            planned_from=planned_from, planned_to=planned_to, shipped_from=shipped_from,
            shipped_to=shipped_to, number=number, owner_id=owner_id,
            department_id=department_id, created_from=created_from, created_to=created_to,
            page=wanted)
        return Listed(await _read_many(session, principal, listed.items),
                      listed.next_cursor, listed.total)

    file = await exports.DELIVERIES.file(request, format, page=page, now=now,
                                         page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return DeliveryPage(items=listed.items, next_cursor=listed.next_cursor,
                        total=listed.total)


@router.post("", status_code=201, response_model=DeliveryRead,
             responses=errors_doc(DeliveryForbidden, UnknownOrder, UnknownOrderLine,
                                  OrderNotDeliverable, ExceedsUndelivered))
async def create_delivery(body: DeliveryCreate, session: SessionDep, principal: CurrentPrincipal,
                          now: Now, response: Response) -> DeliveryRead:
    """Plan a delivery of a confirmed (or partially delivered) order: per order line a
    quantity up to what is still undelivered (ordered, less what other deliveries that are
    not cancelled took, plus what came back). 409 `delivery.exceeds_undelivered` names
    each line that does not fit."""
    delivery = await service.plan(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/deliveries/{delivery.id}"
    return await _read(session, principal, delivery, response)


@router.get("/{delivery_id}", response_model=DeliveryRead,
            responses=errors_doc(DeliveryNotFound))
async def get_delivery(delivery_id: DeliveryId, session: SessionDep, principal: CurrentPrincipal,
                       response: Response) -> DeliveryRead:
    delivery = await service.get_visible(session, principal, delivery_id)
    return await _read(session, principal, delivery, response)


@router.patch("/{delivery_id}", response_model=DeliveryRead,
              responses=errors_doc(*WRITE_ERRORS))
async def update_delivery(delivery_id: DeliveryId, body: DeliveryUpdate, session: SessionDep,
                          principal: CurrentPrincipal, if_match: IfMatch,
                          response: Response) -> DeliveryRead:
    """Reschedule a planned delivery or change where it goes."""
    delivery = await service.update(session, principal, delivery_id=delivery_id, data=body,
                                    expected_version=if_match)
    return await _read(session, principal, delivery, response)


@router.post("/{delivery_id}/ship", response_model=DeliveryRead,
             responses=errors_doc(*WRITE_ERRORS, OrderNotDeliverable, DateInFuture))
async def ship_delivery(delivery_id: DeliveryId, body: ShipBody, session: SessionDep,
                        principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                        response: Response) -> DeliveryRead:
    """Record that a planned delivery left (logistics, or the ERP/WMS): its shipped value is
    computed from the order's prices, the order becomes partially delivered or delivered,
    and `delivery.shipped` goes to finance and the ERP."""
    delivery = await shipping.ship(session, principal, delivery_id=delivery_id, data=body,
                                   expected_version=if_match, now=now)
    return await _read(session, principal, delivery, response)


@router.post("/{delivery_id}/deliver", response_model=DeliveryRead,
             responses=errors_doc(*WRITE_ERRORS, DateInFuture, DateBeforeShipment))
async def receive_delivery(delivery_id: DeliveryId, body: ReceiptBody, session: SessionDep,
                           principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                           response: Response) -> DeliveryRead:
    """Record the customer's receipt of a shipped delivery (who signed, when)."""
    delivery = await shipping.receive(session, principal, delivery_id=delivery_id, data=body,
                                      expected_version=if_match, now=now)
    return await _read(session, principal, delivery, response)


@router.post("/{delivery_id}/cancel", response_model=DeliveryRead,
             responses=errors_doc(*WRITE_ERRORS))
async def cancel_delivery(delivery_id: DeliveryId, body: CancelBody, session: SessionDep,
                          principal: CurrentPrincipal, if_match: IfMatch,
                          response: Response) -> DeliveryRead:
    """Cancel a planned delivery; its quantities are undelivered again."""
    delivery = await service.cancel(session, principal, delivery_id=delivery_id,
                                    reason=body.reason, expected_version=if_match)
    return await _read(session, principal, delivery, response)


@router.post("/{delivery_id}/returns", status_code=201, response_model=DeliveryRead,
             responses=errors_doc(*WRITE_ERRORS, OrderClosed, UnknownDeliveryLine,
                                  ExceedsReturnable, DateInFuture, DateBeforeShipment))
async def record_delivery_return(delivery_id: DeliveryId, body: ReturnCreate,
                                 session: SessionDep, principal: CurrentPrincipal,
                                 if_match: IfMatch, now: Now,
                                 response: Response) -> DeliveryRead:
    """Record goods the customer sent back (退货) from a shipped or delivered delivery. They
    are undelivered again on the order (a replacement may be planned), and a delivered
    order becomes partially delivered. The response is the delivery with its returns."""
    delivery = await shipping.record_return(session, principal, delivery_id=delivery_id,
                                            data=body, expected_version=if_match, now=now)
    response.headers["Location"] = f"/api/v1/deliveries/{delivery.id}"
    return await _read(session, principal, delivery, response)
