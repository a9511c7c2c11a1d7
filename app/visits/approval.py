"""How visits plug into the approval engine: the policy's `customer_visit` (the department
head within 24 hours; the deputy GM too when the customer is a key customer)."""

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import documents
from app.approvals.documents import ApprovalEvents, ApprovalStates, DocumentApprovals
from app.approvals.models import ApprovalRequest
from app.approvals.registry import SubmittedDocument
from app.core.db import utcnow
from app.core.security import Principal
from app.visits import service
from app.visits.models import CustomerVisit, VisitStatus
from app.visits.states import ensure_transition


class VisitApprovals(DocumentApprovals[CustomerVisit]):
    model = CustomerVisit
    document_type = service.DOCUMENT_TYPE
    entity_type = service.ENTITY
    states = ApprovalStates(field="status", pending=VisitStatus.in_review,
                            approved=VisitStatus.approved, rejected=VisitStatus.rejected,
                            recalled=VisitStatus.draft)
    events = ApprovalEvents(submitted="visit.submitted", approved="visit.approved",
                            rejected="visit.rejected", recalled="visit.recalled")

    def describe(self, document: CustomerVisit) -> SubmittedDocument:
        return service.describe(document)

    def summary(self, document: CustomerVisit) -> dict[str, Any]:
        return service.summary(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> CustomerVisit:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_transition(current, target)

    async def on_recalled(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        # Withdrawn to cancel the visit (service.cancel), or recalled back to draft.
        if request.document_id in session.info.get(service.CANCELLING, {}):
            await self._end(session, principal, request, VisitStatus.cancelled,
                            "visit.cancelled", reason=request.outcome_reason)
        else:
            await super().on_recalled(session, principal, request)

    async def ending(self, session: AsyncSession, principal: Principal,
                     request: ApprovalRequest, document: CustomerVisit,
                     target: StrEnum) -> dict[str, Any]:
        if target == VisitStatus.approved:
            return {"approved_at": request.decided_at or utcnow()}
        if target == VisitStatus.cancelled:
            return {"rejection_reason": None, "cancel_reason": request.outcome_reason,
                    "cancelled_at": request.decided_at or utcnow()}
        return {}


documents.register(VisitApprovals())
