"""The event outbox: `emit()` adds a row to the command's transaction."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import journal
from app.core.context import current_request_id
from app.core.db import utcnow
from app.core.pagination import encode_cursor, paginate
from app.core.permissions import Capability, require
from app.core.security import Principal
from app.events.models import Event


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def emit(
    session: AsyncSession,
    principal: Principal | None,
    *,
    type: str,
    subject: str,
    data: dict[str, Any],
) -> None:
    """Record an event in the current transaction: it exists if and only if the change
    commits (never commits itself)."""
    journal.append(session, Event.__table__, {  # type: ignore[attr-defined]
        "event_id": new_event_id(),
        "type": type,
        "subject": subject,
        "data": data,
        "occurred_at": utcnow(),
        "actor_id": principal.sub if principal else None,
        "request_id": current_request_id(),
    })


async def read_feed(
    session: AsyncSession, principal: Principal, *, after: str | None, types: list[str],
    limit: int,
) -> tuple[list[Event], str | None]:
    """Events after a position, oldest first."""
    require(principal, Capability.events_read)
    statement = select(Event)
    if types:
        statement = statement.where(Event.type.in_(types))  # type: ignore[attr-defined]
    items, _ = await paginate(session, statement, keys=[Event.id], limit=limit, cursor=after)
    next_cursor = encode_cursor([items[-1].id]) if items else None
    return items, next_cursor
