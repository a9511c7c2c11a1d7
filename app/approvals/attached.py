"""The approval requests of documents, as the documents' reads show them: every request of
a page loaded at once (a fixed number of queries), with what the caller may do to each."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import queries
from app.approvals.eligibility import authorities
from app.approvals.schemas import ApprovalRead, approval_read
from app.core.security import Principal


async def approval_reads(session: AsyncSession, principal: Principal,
                         request_ids: list[int | None], now: datetime
                         ) -> dict[int | None, ApprovalRead]:
    """Keyed as the documents hold their request ids: a document without one (None)
    finds no read."""
    ids = sorted({i for i in request_ids if i is not None})
    if not ids:
        return {}
    mine = await authorities(session, principal, now)
    return {loaded.request_id: approval_read(
                loaded, queries.allowed_actions(loaded, principal, mine), now)
            for loaded in await queries.load_by_ids(session, ids)}
