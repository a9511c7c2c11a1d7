"""The acknowledgement sweep: a complaint not acknowledged (assigned) by its deadline is
announced once, with `complaint.ack_overdue` (and its audit row). Reads already show it
overdue; the sweep tells customer service and the ERP when it happens."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.complaints.models import Complaint
from app.complaints.service import ENTITY, ack_overdue_clause, event_data, summary
from app.core.db import commit
from app.core.security import Principal
from app.core.versioning import bump_version
from app.events.changes import record_change

SWEEPER = Principal(sub="system:complaint-ack", roles=frozenset(), name="Acknowledgement sweep")
BATCH = 200


async def sweep_ack_overdue(session: AsyncSession, *, now: datetime, batch: int = BATCH) -> int:
    """Announce up to `batch` complaints newly past their acknowledgement deadline; returns
    how many. Concurrent workers each take rows no other holds (SKIP LOCKED), and an
    announced complaint is marked, so each is announced once."""
    complaints = (await session.execute(
        select(Complaint).where(ack_overdue_clause(now), col(Complaint.ack_overdue_at).is_(None))
        .order_by(col(Complaint.ack_due_at), col(Complaint.id)).limit(batch)
        .with_for_update(skip_locked=True))).scalars().all()
    for complaint in complaints:
        assert complaint.id is not None  # loaded from the database
        before = summary(complaint)
        complaint.ack_overdue_at = now
        bump_version(complaint)
        record_change(session, SWEEPER, event_type="complaint.ack_overdue", entity_type=ENTITY,
                      entity_id=complaint.id, before=before, after=summary(complaint),
                      event_data=event_data(complaint))
    if complaints:
        await commit(session)
    else:
        await session.rollback()
    return len(complaints)
