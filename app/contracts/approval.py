"""How contracts plug into the approval engine."""

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import registry
from app.approvals.models import ApprovalRequest
from app.approvals.registry import SubmittedDocument
from app.contracts import service
from app.contracts.models import Contract, ContractStatus
from app.contracts.states import ensure_transition, transition_refused
from app.core import prepared
from app.core.db import sync_loaded, utcnow
from app.core.security import Principal
from app.core.versioning import bump_version
from app.events.changes import record_change


class ContractApprovals:
    document_type = service.ENTITY

    async def describe(self, session: AsyncSession, principal: Principal,
                       document_id: int) -> SubmittedDocument:
        return service.describe(await service.get_visible(session, principal, document_id))

    async def on_approved(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._move(session, principal, request, ContractStatus.approved,
                         "contract.approved", reason=None)

    async def on_rejected(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest, reason: str) -> None:
        await self._move(session, principal, request, ContractStatus.draft, "contract.rejected",
                         reason=reason)

    async def on_recalled(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._move(session, principal, request, ContractStatus.draft, "contract.recalled",
                         reason=None)

    async def _move(self, session: AsyncSession, principal: Principal, request: ApprovalRequest,
                    target: ContractStatus, event_type: str, *, reason: str | None) -> None:
        # A request only ever ends a pending contract: one guarded UPDATE both locks the
        # row (after the request's lock, as every path takes them) and moves it.
        ensure_transition(ContractStatus.pending_approval, target)
        changes: dict[str, object] = {"status": target, "updated_at": utcnow()}
        if reason is not None:
            changes["rejection_reason"] = reason
        # Only the summary comes back (no entity to build); a copy the session holds (the
        # recalling command's) is then brought up to date.
        rows = await prepared.fetch(session, _MOVE_PENDING, {
            "contract_id": request.document_id, **changes})
        if not rows:
            current = await _locked_contract(session, request)
            raise transition_refused(current.status, target)
        moved = rows[0]
        sync_loaded(session, Contract, moved.id, version=moved.version, **changes)
        after = service.summary(moved)  # type: ignore[arg-type]
        before = {**after, "status": ContractStatus.pending_approval.value,
                  "version": moved.version - 1}
        record_change(session, principal, event_type=event_type, entity_type=service.ENTITY,
                      entity_id=moved.id, before=before, after=after,
                      event_data={**after, "approval_request_id": request.id, "reason": reason})


class TerminationApprovals:
    """A termination (合同解除) is decided on the contract it would end."""

    document_type = service.TERMINATION

    async def describe(self, session: AsyncSession, principal: Principal,
                       document_id: int) -> SubmittedDocument:
        contract = await service.get_visible(session, principal, document_id)
        return service.describe_termination(contract)

    async def on_approved(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        contract = await self._contract(session, request)
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
        before = service.summary(contract)
        contract.termination_reason = None
        bump_version(contract)
        record_change(session, principal, event_type=event_type, entity_type=service.ENTITY,
                      entity_id=contract.id, before=before, after=service.summary(contract),
                      event_data={**service.summary(contract),
                                  "termination_request_id": request.id, "reason": reason})

    async def _contract(self, session: AsyncSession, request: ApprovalRequest) -> Contract:
        return await _locked_contract(session, request)


async def _locked_contract(session: AsyncSession, request: ApprovalRequest) -> Contract:
    # Locked after the request (the engine holds its lock), as every path takes them; read
    # afresh, since the caller may hold a copy loaded before the lock.
    contract = await session.get(Contract, request.document_id, with_for_update=True,
                                 populate_existing=True)
    assert contract is not None
    return contract


_CONTRACT = Contract.__table__  # type: ignore[attr-defined]
# The SET columns are the parameters each call passes, besides the version's increment.
_MOVE_PENDING = (
    update(_CONTRACT)
    .where(_CONTRACT.c.id == bindparam("contract_id"),
           _CONTRACT.c.status == ContractStatus.pending_approval)
    .values(version=_CONTRACT.c.version + 1)
    .returning(_CONTRACT.c.id, _CONTRACT.c.status, _CONTRACT.c.revision, _CONTRACT.c.total,
               _CONTRACT.c.total_base, _CONTRACT.c.version)
)

registry.register(ContractApprovals())
registry.register(TerminationApprovals())
