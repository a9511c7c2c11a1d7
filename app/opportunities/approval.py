"""How opportunity proposals (销售方案) plug into the approval engine: the proposal's state
is the opportunity's `proposal_status`, which a decision ends as approved, rejected or
recalled (the opportunity's stage is its own)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import documents
from app.approvals.documents import ApprovalEvents, ApprovalStates, DocumentApprovals
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.core.security import Principal
from app.opportunities import service
from app.opportunities.errors import NoPendingProposal
from app.opportunities.models import Opportunity, ProposalStatus


class ProposalApprovals(DocumentApprovals[Opportunity]):
    model = Opportunity
    document_type = service.PROPOSAL
    entity_type = service.ENTITY
    states = ApprovalStates(field="proposal_status", pending=ProposalStatus.pending_approval,
                            approved=ProposalStatus.approved, rejected=ProposalStatus.rejected,
                            recalled=ProposalStatus.recalled,
                            request_field="proposal_request_id",
                            reason_field="proposal_rejection_reason")
    events = ApprovalEvents(submitted="opportunity.proposal_submitted",
                            approved="opportunity.proposal_approved",
                            rejected="opportunity.proposal_rejected",
                            recalled="opportunity.proposal_recalled")

    def describe(self, document: Opportunity) -> SubmittedDocument:
        assert document.id is not None
        return SubmittedDocument(
            document_type=self.document_type, document_id=document.id,
            document_version=document.version, title=f"方案: {document.title}",
            owner_id=document.owner_id,
            facts=DocumentFacts(policy_key=service.PROPOSAL, amount=document.expected_amount,
                                department_id=document.department_id))

    def summary(self, document: Opportunity) -> dict[str, Any]:
        return service.summary(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> Opportunity:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        # A proposal may be (re)submitted from any state: the stage rules, checked by the
        # service, decide. Only a pending proposal can end.
        if target != ProposalStatus.pending_approval and current != ProposalStatus.pending_approval:
            raise NoPendingProposal()


documents.register(ProposalApprovals())
