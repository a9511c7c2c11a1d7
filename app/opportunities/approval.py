"""How opportunity proposals plug into the approval engine."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import registry
from app.approvals.models import ApprovalRequest
from app.approvals.registry import SubmittedDocument
from app.core.security import Principal
from app.opportunities import service
from app.opportunities.models import Opportunity, ProposalStatus


class ProposalApprovals:
    document_type = service.PROPOSAL

    async def describe(self, session: AsyncSession, principal: Principal,
                       document_id: int) -> SubmittedDocument:
        return service.describe(await service.get_visible(session, principal, document_id))

    async def on_approved(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._decided(session, principal, request, ProposalStatus.approved,
                            "opportunity.proposal_approved", None)

    async def on_rejected(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest, reason: str) -> None:
        await self._decided(session, principal, request, ProposalStatus.rejected,
                            "opportunity.proposal_rejected", reason)

    async def on_recalled(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._decided(session, principal, request, ProposalStatus.recalled,
                            "opportunity.proposal_recalled", None)

    async def _decided(self, session: AsyncSession, principal: Principal,
                       request: ApprovalRequest, status: ProposalStatus, event_type: str,
                       reason: str | None) -> None:
        # Locked after the request (the engine holds its lock), as every path takes them;
        # read afresh, since the caller may hold a copy loaded before the lock.
        opportunity = await session.get(Opportunity, request.document_id, with_for_update=True,
                                        populate_existing=True)
        assert opportunity is not None
        service.decide_proposal(session, principal, opportunity, status, event_type,
                                request_id=request.id, reason=reason)  # type: ignore[arg-type]


registry.register(ProposalApprovals())
