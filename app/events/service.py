"""The event outbox: `emit()` adds a row to the command's transaction."""

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import fastpath
from app.core.context import current_request_id
from app.core.db import commit, utcnow
from app.core.pagination import encode_cursor, paginate
from app.core.permissions import Capability, require
from app.core.security import Principal
from app.events.models import Event
from app.events.sequencer import sequence_pending
from app.events.types import SCHEMA_VERSION, is_known


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
    commits (never commits itself). Only the types in app/events/types.py: receivers rely
    on the schema published for each."""
    if not is_known(type):
        raise ValueError(f"event type {type!r} is not in the catalog (app/events/types.py)")
    fastpath.append(session, Event.__table__, {  # type: ignore[attr-defined]
        "event_id": new_event_id(),
        "type": type,
        "subject": subject,
        "data": data,
        "occurred_at": utcnow(),
        "actor_id": principal.sub if principal else None,
        "request_id": current_request_id(),
    })


def message(event: Event) -> dict[str, Any]:
    """An event as receivers see it, in the feed and as a webhook body (Standard Webhooks:
    `type`, `timestamp` and `data`, plus what a receiver needs to order and de-duplicate)."""
    return {
        "id": event.event_id,
        "type": event.type,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "subject": event.subject,
        "sequence": event.sequence,
        "schema_version": SCHEMA_VERSION,
        "data": event.data,
    }


async def read_feed(
    session: AsyncSession, principal: Principal, *, after: str | None, types: list[str],
    limit: int, now: datetime,
) -> tuple[list[Event], str | None]:
    """Sequenced events after a feed position, in position order. Whatever committed
    before the call is sequenced first, so a reader sees its own writes."""
    require(principal, Capability.events_read)
    while await sequence_pending(session, now=now):
        pass
    statement = select(Event).where(col(Event.position).is_not(None))
    if types:
        statement = statement.where(col(Event.type).in_(types))
    items, _ = await paginate(session, statement, keys=[Event.position], limit=limit,
                              cursor=after)
    # Where the reader got to, even when the page is short: the next poll resumes there.
    next_cursor = encode_cursor([items[-1].position]) if items else None
    return items, next_cursor


async def purge_older_than(session: AsyncSession, *, cutoff: datetime) -> int:
    """Forget sequenced events that happened before `cutoff` (the retention period)."""
    # A DML statement's result is a CursorResult, which has the rowcount.
    result = cast(CursorResult[Any], await session.execute(delete(Event).where(
        col(Event.occurred_at) < cutoff, col(Event.position).is_not(None))))
    await commit(session)
    return result.rowcount or 0
