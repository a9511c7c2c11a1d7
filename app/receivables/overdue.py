"""The overdue sweep: a receivable still owed whose due date has passed is announced once,
with `receivable.overdue` (and its audit row). Reads already show it overdue (derived from
the due date); the sweep tells the ERP and the collectors, the day it happens."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_date
from app.core.db import commit
from app.core.security import Principal
from app.core.versioning import bump_version
from app.events.changes import record_change
from app.receivables.models import Receivable
from app.receivables.service import ENTITY, days_overdue, overdue_clause, suggested_action, summary

SWEEPER = Principal(sub="system:receivable-overdue", roles=frozenset(), name="Overdue sweep")
BATCH = 200


async def sweep_overdue(session: AsyncSession, *, now: datetime, batch: int = BATCH) -> int:
    """Announce up to `batch` receivables newly overdue; returns how many. Workers sweeping
    at once each take rows no other holds (SKIP LOCKED), and a receivable announced is
    marked, so each is announced once."""
    today = local_date(now)
    receivables = (await session.execute(
        select(Receivable).where(overdue_clause(today),
                                 col(Receivable.overdue_notified_at).is_(None))
        .order_by(col(Receivable.due_date), col(Receivable.id)).limit(batch)
        .with_for_update(skip_locked=True))).scalars().all()
    for receivable in receivables:
        assert receivable.id is not None  # loaded from the database
        before = summary(receivable)
        receivable.overdue_notified_at = now
        bump_version(receivable)
        days = days_overdue(receivable, today)
        suggested = suggested_action(days)
        record_change(session, SWEEPER, event_type="receivable.overdue", entity_type=ENTITY,
                      entity_id=receivable.id, before=before, after=summary(receivable),
                      event_data={**summary(receivable), "days_overdue": days,
                                  "suggested_action": suggested.value if suggested else None})
    if receivables:
        await commit(session)
    else:
        await session.rollback()
    return len(receivables)
