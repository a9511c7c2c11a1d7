"""The expiry sweep: approved and sent quotes past their valid-until date become expired,
with their audit row and `quote.expired` event. Reads already show them expired (the status
is derived); the sweep makes it permanent and announces it."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_date
from app.core.db import commit
from app.core.security import Principal
from app.quotes import service
from app.quotes.models import Quote, QuoteStatus
from app.quotes.states import EXPIRING

SWEEPER = Principal(sub="system:quote-expiry", roles=frozenset(), name="Quote expiry")
BATCH = 200


async def sweep_expired(session: AsyncSession, *, now: datetime, batch: int = BATCH) -> int:
    """Expire up to `batch` lapsed quotes; returns how many. Workers sweeping at once each
    take rows no other holds (SKIP LOCKED), so a quote expires once."""
    quotes = (await session.execute(
        select(Quote).where(col(Quote.status).in_(EXPIRING),
                            col(Quote.valid_until) < local_date(now))
        .order_by(col(Quote.valid_until), col(Quote.id)).limit(batch)
        .with_for_update(skip_locked=True))).scalars().all()
    for quote in quotes:
        service.move(session, SWEEPER, quote, QuoteStatus.expired, "quote.expired",
                     expired_at=now)
    if quotes:
        await commit(session)
    else:
        await session.rollback()
    return len(quotes)
