"""Writing a receivable off (坏账核销) through the approval kernel (finance → gm, the
policy's `receivable_write_off`): requested, the receivable is `pending_write_off`;
approved, it is `written_off` and its balance leaves the customer's exposure; rejected or
recalled, it returns to what its payments say (open, or partially paid)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import documents
from app.approvals.documents import (
    ApprovalEvents,
    ApprovalStates,
    DocumentApprovals,
    recall_document,
    submit_document,
)
from app.approvals.models import ApprovalRequest
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.core.db import utcnow
from app.core.permissions import Capability
from app.core.security import Principal
from app.core.versioning import ensure_version
from app.credit import service as credit
from app.receivables import open_balances, service
from app.receivables.errors import NotWriteOffable
from app.receivables.models import Receivable, ReceivableStatus
from app.receivables.states import PAYABLE, ensure_transition

DOCUMENT_TYPE = POLICY_KEY = "receivable_write_off"


class WriteOffApprovals(DocumentApprovals[Receivable]):
    model = Receivable
    document_type = DOCUMENT_TYPE
    entity_type = service.ENTITY
    # `rejected` and `recalled` are refined in `ending`: back to open or partially paid.
    states = ApprovalStates(field="status", pending=ReceivableStatus.pending_write_off,
                            approved=ReceivableStatus.written_off,
                            rejected=ReceivableStatus.open, recalled=ReceivableStatus.open)
    events = ApprovalEvents(submitted="receivable.write_off_requested",
                            approved="receivable.written_off",
                            rejected="receivable.write_off_rejected",
                            recalled="receivable.write_off_recalled")

    def describe(self, document: Receivable) -> SubmittedDocument:
        assert document.id is not None  # loaded from the database
        return SubmittedDocument(
            document_type=DOCUMENT_TYPE, document_id=document.id,
            document_version=document.version, title=f"坏账核销 {document.number}",
            owner_id=document.owner_id,
            facts=DocumentFacts(policy_key=POLICY_KEY, amount=document.balance_base,
                                department_id=document.department_id))

    def summary(self, document: Receivable) -> dict[str, Any]:
        return {**service.summary(document), "write_off_reason": document.write_off_reason}

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> Receivable:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_transition(current, target)

    async def ending(self, session: AsyncSession, principal: Principal,
                     request: ApprovalRequest, document: Receivable,
                     target: StrEnum) -> dict[str, Any]:
        if target == ReceivableStatus.written_off:
            # No longer owed: its balance (what was written off) leaves the exposure.
            await credit.settle(session, document.customer_id, document.balance_base)
            return {"written_off_at": request.decided_at or utcnow()}
        paid_nothing = document.balance == document.amount
        status = ReceivableStatus.open if paid_nothing else ReceivableStatus.partially_paid
        # Owed again: back in the rollup aging reads.
        open_balances.track(session, document, open_balances.before(document), status=status)
        return {"status": status}


async def request_write_off(session: AsyncSession, principal: Principal, *,
                            receivable_id: int, reason: str, expected_version: int | None,
                            now: datetime) -> Receivable:
    """Finance asks for an open or partly paid receivable's balance to be written off."""
    receivable = await service.get_visible(session, principal, receivable_id, for_update=True)
    service.require(principal, Capability.receivable_write_off, "request write-offs")
    ensure_version(receivable.version, expected_version)
    if receivable.status not in PAYABLE:
        raise NotWriteOffable(f"The receivable is {receivable.status.value}.",
                              current_status=receivable.status.value)
    was = open_balances.before(receivable)
    # In approval it is on its way out of collection: out of the rollup aging reads.
    await submit_document(session, principal, receivable, now=now,
                          changes={"write_off_reason": reason},
                          opened=lambda _: open_balances.track(session, receivable, was))
    return receivable


async def recall_write_off(session: AsyncSession, principal: Principal, *,
                           receivable_id: int, now: datetime,
                           expected_version: int | None = None) -> Receivable:
    """The requester withdraws a write-off still in approval."""
    # Not locked here (recall_document says why).
    receivable = await service.get_visible(session, principal, receivable_id)
    ensure_version(receivable.version, expected_version)
    await recall_document(session, principal, receivable, now=now)
    return receivable


documents.register(WriteOffApprovals())
