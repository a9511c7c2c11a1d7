from typing import Annotated

from fastapi import APIRouter, Query

from app.core.clock import Now
from app.core.db import SessionDep
from app.core.errors import Forbidden, errors_doc
from app.core.pagination import CursorQuery, InvalidCursor, LimitQuery
from app.core.security import CurrentPrincipal
from app.events import service
from app.events.schemas import EventFeedPage, EventRead

router = APIRouter(prefix="/events", tags=["events"])


@router.get("", response_model=EventFeedPage, responses=errors_doc(Forbidden, InvalidCursor))
async def read_event_feed(
    session: SessionDep, principal: CurrentPrincipal, now: Now, after: CursorQuery = None,
    types: Annotated[str | None, Query(max_length=1000,
                                       description="Comma-separated event types")] = None,
    limit: LimitQuery = 50,
) -> EventFeedPage:
    """The event feed for systems that poll: in commit order, resumable with `after`. Each
    event also carries its subject and a sequence number within that subject."""
    wanted = [t.strip() for t in types.split(",") if t.strip()] if types else []
    items, next_cursor = await service.read_feed(session, principal, after=after, types=wanted,
                                                 limit=limit, now=now)
    return EventFeedPage(items=[EventRead.model_validate(e) for e in items],
                         next_cursor=next_cursor)
