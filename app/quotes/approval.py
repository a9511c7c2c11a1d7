"""How quotes plug into the approval engine (discount approval, 折扣审批)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import documents
from app.approvals.documents import ApprovalEvents, ApprovalStates, DocumentApprovals
from app.approvals.policy import BELOW_FLOOR, DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.core.security import Principal
from app.quotes import service
from app.quotes.models import Quote, QuoteStatus
from app.quotes.states import ensure_transition


class QuoteApprovals(DocumentApprovals[Quote]):
    model = Quote
    document_type = entity_type = service.ENTITY
    states = ApprovalStates(field="status", pending=QuoteStatus.pending_approval,
                            approved=QuoteStatus.approved, rejected=QuoteStatus.draft,
                            recalled=QuoteStatus.draft)
    events = ApprovalEvents(submitted="quote.submitted", approved="quote.approved",
                            rejected="quote.rejected", recalled="quote.recalled")

    def describe(self, document: Quote) -> SubmittedDocument:
        """The quote as the discount bands see it: its largest line discount, and whether
        any line is below its floor price."""
        assert document.id is not None
        return SubmittedDocument(
            document_type=self.document_type, document_id=document.id,
            document_version=document.version, title=document.title,
            owner_id=document.owner_id,
            facts=DocumentFacts(
                policy_key=service.POLICY_KEY, amount=document.total_base,
                department_id=document.department_id,
                discount_percent=document.max_discount_percent,
                flags=frozenset({BELOW_FLOOR}) if document.below_floor else frozenset()))

    def summary(self, document: Quote) -> dict[str, Any]:
        return service.summary(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> Quote:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_transition(current, target)


documents.register(QuoteApprovals())
