from typing import Annotated

from fastapi import APIRouter, Path

from app.core.db import SessionDep
from app.core.errors import errors_doc
from app.core.ids import path_id
from app.core.pagination import CursorQuery, InvalidCursor, LimitQuery
from app.core.security import CurrentPrincipal
from app.customers.errors import CustomerNotFound
from app.timeline import service
from app.timeline.schemas import TimelinePage

router = APIRouter(prefix="/customers", tags=["customers"])
CustomerId = Annotated[int, Path(ge=1), path_id(
    lambda n: CustomerNotFound(f"No customer {n}."))]


@router.get("/{customer_id}/timeline", response_model=TimelinePage,
            responses=errors_doc(CustomerNotFound, InvalidCursor))
async def get_customer_timeline(customer_id: CustomerId, session: SessionDep,
                                principal: CurrentPrincipal, limit: LimitQuery = 50,
                                cursor: CursorQuery = None) -> TimelinePage:
    """Everything that happened with one customer, newest first: visits, quotes, contracts,
    orders, deliveries, receivables and payments. Each entry shows only if the caller may see
    that document (a rep: their own)."""
    items, next_cursor = await service.timeline(session, principal, customer_id=customer_id,
                                                limit=limit, cursor=cursor)
    return TimelinePage(items=items, next_cursor=next_cursor)
