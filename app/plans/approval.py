"""How sales plans plug into the approval engine (deputy GM → GM, the policy's
`sales_plan`): approved, a plan comes into force, and the revision it changes is superseded
in the same transaction, so exactly one revision is in force at every moment."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import documents
from app.approvals.documents import ApprovalEvents, ApprovalStates, DocumentApprovals
from app.approvals.models import ApprovalRequest
from app.approvals.registry import SubmittedDocument
from app.core.db import utcnow
from app.core.security import Principal
from app.core.versioning import apply_changes
from app.events.changes import record_change
from app.plans import service
from app.plans.models import SalesPlan, SalesPlanStatus
from app.plans.states import ensure_transition


class SalesPlanApprovals(DocumentApprovals[SalesPlan]):
    model = SalesPlan
    document_type = service.DOCUMENT_TYPE
    entity_type = service.ENTITY
    states = ApprovalStates(field="status", pending=SalesPlanStatus.pending_approval,
                            approved=SalesPlanStatus.approved, rejected=SalesPlanStatus.draft,
                            recalled=SalesPlanStatus.draft)
    events = ApprovalEvents(submitted="sales_plan.submitted", approved="sales_plan.approved",
                            rejected="sales_plan.rejected", recalled="sales_plan.recalled")

    def describe(self, document: SalesPlan) -> SubmittedDocument:
        return service.describe(document)

    def summary(self, document: SalesPlan) -> dict[str, Any]:
        return service.summary(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> SalesPlan:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_transition(current, target)

    async def ending(self, session: AsyncSession, principal: Principal,
                     request: ApprovalRequest, document: SalesPlan,
                     target: StrEnum) -> dict[str, Any]:
        if target != SalesPlanStatus.approved:
            return {}
        now = request.decided_at or utcnow()
        if document.previous_id is not None:
            await self._supersede(session, principal, document, now)
        return {"approved_at": now}

    async def _supersede(self, session: AsyncSession, principal: Principal,
                         revision: SalesPlan, now: datetime) -> None:
        # Flushed now, before the revision's own change (which the engine writes at the
        # commit): the unique index on the plan in force never sees two. Read by id, not
        # through the decider's visibility (a delegate may decide).
        previous = (await session.execute(
            select(SalesPlan).where(col(SalesPlan.id) == revision.previous_id)
            .with_for_update().execution_options(populate_existing=True))).scalar_one()
        assert previous.id is not None  # loaded from the database
        ensure_transition(previous.status, SalesPlanStatus.superseded)
        before = service.summary(previous)
        apply_changes(previous, {"status": SalesPlanStatus.superseded, "superseded_at": now,
                                 "superseded_by_id": revision.id})
        await session.flush()
        after = service.summary(previous)
        record_change(session, principal, event_type="sales_plan.superseded",
                      entity_type=self.entity_type, entity_id=previous.id, before=before,
                      after=after, event_data={**after, "superseded_by_id": revision.id})


documents.register(SalesPlanApprovals())
