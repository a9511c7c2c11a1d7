from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse

from app.core.clock import Now
from app.core.db import SessionDep
from app.core.errors import errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.ids import path_id
from app.core.pagination import CursorQuery, InvalidCursor, LimitQuery, Listed, ListRequest
from app.core.security import CurrentPrincipal
from app.customers.errors import CustomerNotFound
from app.timeline import exports, service
from app.timeline.schemas import TimelineEntry, TimelinePage

router = APIRouter(prefix="/customers", tags=["customers"])
CustomerId = Annotated[int, Path(ge=1), path_id(
    lambda n: CustomerNotFound(f"No customer {n}."))]


@router.get("/{customer_id}/timeline", response_model=TimelinePage,
            responses={**file_responses(), **errors_doc(CustomerNotFound, InvalidCursor)})
async def get_customer_timeline(customer_id: CustomerId, request: Request, session: SessionDep,
                                principal: CurrentPrincipal, now: Now, limit: LimitQuery = 50,
                                cursor: CursorQuery = None, format: FormatQuery = None,
                                ) -> TimelinePage | StreamingResponse:
    """Everything that happened with one customer, newest first: visits, quotes, contracts,
    orders, deliveries, receivables and payments. Each entry shows only if the caller may see
    that document (a rep: their own). All of it as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[TimelineEntry]:
        items, next_cursor = await service.timeline(
            session, principal, customer_id=customer_id, limit=wanted.limit,
            cursor=wanted.cursor)
        return Listed(items, next_cursor)

    page = ListRequest(limit=limit, cursor=cursor)
    file = await exports.TIMELINE.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return TimelinePage(items=listed.items, next_cursor=listed.next_cursor)
