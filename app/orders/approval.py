"""How orders plug into the approval engine: review by finance ∥ logistics, with the GM's
credit release added when the credit check held the order (SPEC §2.1, §5)."""

from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import documents
from app.approvals.documents import ApprovalEvents, ApprovalStates, DocumentApprovals
from app.approvals.models import ApprovalRequest
from app.approvals.registry import SubmittedDocument
from app.core.db import utcnow
from app.core.security import Principal
from app.credit import service as credit
from app.events.changes import record_change
from app.orders import month_totals, service
from app.orders.models import Order, OrderLine, OrderStatus
from app.orders.states import ensure_transition


class OrderApprovals(DocumentApprovals[Order]):
    model = Order
    document_type = service.DOCUMENT_TYPE
    entity_type = service.ENTITY
    states = ApprovalStates(field="status", pending=OrderStatus.pending_review,
                            also_pending=(OrderStatus.credit_hold,),
                            approved=OrderStatus.confirmed, rejected=OrderStatus.draft,
                            recalled=OrderStatus.draft)
    events = ApprovalEvents(submitted="order.submitted", approved="order.confirmed",
                            rejected="order.rejected", recalled="order.recalled")

    def describe(self, document: Order) -> SubmittedDocument:
        return service.describe(document)

    def summary(self, document: Order) -> dict[str, Any]:
        return service.summary(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> Order:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_transition(current, target)

    async def on_recalled(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        # Withdrawn to cancel the order (service.cancel), or recalled back to draft.
        if request.document_id in session.info.get(service.CANCELLING, {}):
            await self._end(session, principal, request, OrderStatus.cancelled,
                            "order.cancelled", reason=request.outcome_reason)
        else:
            await super().on_recalled(session, principal, request)

    async def ending(self, session: AsyncSession, principal: Principal,
                     request: ApprovalRequest, document: Order,
                     target: StrEnum) -> dict[str, Any]:
        """The reservation moves with the request's end: into the confirmed orders not yet
        invoiced, or back out of the exposure. A confirmed order's lines get the requested
        date where logistics planned none; a held one is released first (its own event)."""
        assert document.id is not None  # loaded from the database
        now = request.decided_at or utcnow()
        # Confirmed, it counts in its rep's month of sales (nothing before: it was in review).
        month_totals.track_order(session, document, month_totals.counted(document),
                                 status=OrderStatus(target), confirmed_at=now
                                 if target == OrderStatus.confirmed else None)
        if target != OrderStatus.confirmed:
            await credit.release_review(session, document.customer_id, document.total_base)
            if target == OrderStatus.cancelled:
                return {"rejection_reason": None, "cancel_reason": request.outcome_reason,
                        "cancelled_at": now}
            return {}
        await credit.confirm(session, document.customer_id, document.total_base)
        if document.requested_date is not None:
            await session.execute(
                update(OrderLine).where(col(OrderLine.order_id) == document.id,
                                        col(OrderLine.planned_delivery_date).is_(None))
                .values(planned_delivery_date=document.requested_date)
                .execution_options(synchronize_session=False))
        if document.credit_held:
            released = service.summary(document)
            record_change(session, principal, event_type="order.released",
                          entity_type=self.entity_type, entity_id=document.id, before=None,
                          after={"credit_check": document.credit_check},
                          event_data={**released, "approval_request_id": request.id,
                                      "credit_check": document.credit_check})
        return {"confirmed_at": now}


documents.register(OrderApprovals())
