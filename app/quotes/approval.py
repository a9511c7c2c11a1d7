"""How quotes plug into the approval engine (discount approval, 折扣审批)."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import registry
from app.approvals.models import ApprovalRequest
from app.approvals.registry import SubmittedDocument
from app.core.security import Principal
from app.quotes import service
from app.quotes.models import Quote, QuoteStatus


class QuoteApprovals:
    document_type = service.ENTITY

    async def describe(self, session: AsyncSession, principal: Principal,
                       document_id: int) -> SubmittedDocument:
        return service.describe(await service.get_visible(session, principal, document_id))

    async def on_approved(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._move(session, principal, request, QuoteStatus.approved, "quote.approved",
                         None)

    async def on_rejected(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest, reason: str) -> None:
        await self._move(session, principal, request, QuoteStatus.draft, "quote.rejected",
                         reason)

    async def on_recalled(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._move(session, principal, request, QuoteStatus.draft, "quote.recalled", None)

    async def _move(self, session: AsyncSession, principal: Principal, request: ApprovalRequest,
                    target: QuoteStatus, event_type: str, reason: str | None) -> None:
        # Locked after the request (the engine holds its lock), as every path takes them;
        # read afresh, since the caller may hold a copy loaded before the lock.
        quote = await session.get(Quote, request.document_id, with_for_update=True,
                                  populate_existing=True)
        assert quote is not None
        service.move(session, principal, quote, target, event_type,
                     event_extra={"approval_request_id": request.id, "reason": reason},
                     **({"rejection_reason": reason} if reason is not None else {}))


registry.register(QuoteApprovals())
