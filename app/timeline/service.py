"""A customer's timeline: its documents of every kind in one list, newest first, in SQL.

One statement: a UNION ALL of one small select per kind (app/timeline/sources.py), each
already cut to the page's size along its own index, ordered by (occurred_at, kind, id)
descending and cut again. The keyset cursor is that triple, so entries sharing a timestamp
keep a stable order across pages, and a deep page costs what the first does."""

from datetime import datetime
from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.core.security import Principal
from app.customers import service as customers
from app.timeline.schemas import TimelineEntry
from app.timeline.sources import KINDS, SOURCES, Keyset


async def timeline(session: AsyncSession, principal: Principal, *, customer_id: int,
                   limit: int, cursor: str | None) -> tuple[list[TimelineEntry], str | None]:
    """The customer must be visible to the caller (else 404); each entry follows its own
    document's visibility, so a rep sees only the documents they own."""
    await customers.get_visible(session, principal, customer_id)
    after = _decode(cursor) if cursor is not None else None
    parts = [source.select(principal, customer_id, after, limit + 1).subquery()
             for source in SOURCES]
    union = union_all(*(select(*part.c) for part in parts)).subquery("timeline")
    statement = (select(*union.c)
                 .order_by(union.c.occurred_at.desc(), union.c.kind.desc(), union.c.id.desc())
                 .limit(limit + 1))
    rows = (await session.execute(statement)).all()
    entries = [_entry(row) for row in rows[:limit]]
    if len(rows) <= limit:
        return entries, None
    last = entries[-1]
    return entries, encode_cursor([last.occurred_at.isoformat(), last.kind, last.id])


def _entry(row: Any) -> TimelineEntry:
    return TimelineEntry(kind=row.kind, id=row.id, number=row.number,
                         occurred_at=row.occurred_at, status=row.status, amount=row.amount,
                         currency=row.currency, summary=row.summary)


def _decode(cursor: str) -> Keyset:
    at, kind, entry_id = decode_cursor(cursor, 3)
    if not isinstance(at, str) or kind not in KINDS or not isinstance(entry_id, int):
        raise InvalidCursor()
    try:
        occurred_at = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if occurred_at.tzinfo is None or not 1 <= entry_id <= 2**63 - 1:
        raise InvalidCursor()
    return Keyset(occurred_at=occurred_at, kind=kind, id=entry_id)
