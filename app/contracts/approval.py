"""How contracts plug into the approval engine."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import documents, registry
from app.approvals.documents import ApprovalEvents, ApprovalStates, DocumentApprovals
from app.approvals.models import ApprovalRequest
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.contracts import service
from app.contracts.models import Contract, ContractStatus
from app.contracts.states import ensure_transition
from app.core.security import Principal
from app.core.versioning import bump_version
from app.events.changes import record_change


class ContractApprovals(DocumentApprovals[Contract]):
    model = Contract
    document_type = entity_type = service.ENTITY
    states = ApprovalStates(field="status", pending=ContractStatus.pending_approval,
                            approved=ContractStatus.approved, rejected=ContractStatus.draft,
                            recalled=ContractStatus.draft)
    events = ApprovalEvents(submitted="contract.submitted", approved="contract.approved",
                            rejected="contract.rejected", recalled="contract.recalled")

    def describe(self, document: Contract) -> SubmittedDocument:
        """An amendment (revision n+1) follows its own policy entry, on its new total;
        major company interest adds the board."""
        assert document.id is not None
        flags = frozenset({"major_interest"}) if document.major_interest else frozenset()
        return SubmittedDocument(
            document_type=self.document_type, document_id=document.id,
            document_version=document.version, title=document.title,
            owner_id=document.owner_id,
            facts=DocumentFacts(
                policy_key="contract" if document.revision == 1 else "contract_amendment",
                amount=document.total_base, department_id=document.department_id,
                flags=flags))

    def summary(self, document: Contract) -> dict[str, Any]:
        return service.summary(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> Contract:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_transition(current, target)


class TerminationApprovals:
    """A termination (合同解除) is decided on the contract it would end."""

    document_type = service.TERMINATION

    async def find(self, session: AsyncSession, principal: Principal,
                   document_id: int) -> SubmittedDocument:
        contract = await service.get_visible(session, principal, document_id)
        return service.describe_termination(contract)

    async def on_approved(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        contract = await self._contract(session, request)
        assert contract.id is not None  # loaded from the database
        ensure_transition(contract.status, ContractStatus.terminated)
        before = service.summary(contract)
        contract.status, contract.terminated_at = ContractStatus.terminated, request.decided_at
        bump_version(contract)
        record_change(session, principal, event_type="contract.terminated",
                      entity_type=service.ENTITY, entity_id=contract.id, before=before,
                      after=service.summary(contract),
                      event_data={**service.summary(contract),
                                  "termination_request_id": request.id,
                                  "reason": contract.termination_reason})

    async def on_rejected(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest, reason: str) -> None:
        await self._withdrawn(session, principal, request, "contract.termination_rejected", reason)

    async def on_recalled(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._withdrawn(session, principal, request, "contract.termination_recalled", None)

    async def _withdrawn(self, session: AsyncSession, principal: Principal,
                         request: ApprovalRequest, event_type: str, reason: str | None) -> None:
        # The contract stays signed and in force; a new termination may be requested.
        contract = await self._contract(session, request)
        assert contract.id is not None  # loaded from the database
        before = service.summary(contract)
        contract.termination_reason = None
        bump_version(contract)
        record_change(session, principal, event_type=event_type, entity_type=service.ENTITY,
                      entity_id=contract.id, before=before, after=service.summary(contract),
                      event_data={**service.summary(contract),
                                  "termination_request_id": request.id, "reason": reason})

    async def _contract(self, session: AsyncSession, request: ApprovalRequest) -> Contract:
        # Locked after the request (the engine holds its lock), as every path takes them;
        # read afresh, since the caller may hold a copy loaded before the lock.
        contract = await session.get(Contract, request.document_id, with_for_update=True,
                                     populate_existing=True)
        assert contract is not None
        return contract


documents.register(ContractApprovals())
registry.register(TerminationApprovals())
