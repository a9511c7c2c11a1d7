"""Decisions on a step: approve and reject, each a command of its own that commits.

The request's row is the lock: two deciders of one request queue on it, and the second
sees the first's result (SQLite takes its write lock at BEGIN IMMEDIATE instead). When a
decision ends the request, the document's adapter moves the document in the same
transaction.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import requests, store
from app.approvals.eligibility import (
    Authority,
    Refusal,
    authorities,
    may_decide,
    segregation_refusal,
)
from app.approvals.errors import (
    AlreadyDecided,
    ApprovalNotFound,
    DuplicateApprover,
    NotEligible,
    SelfApproval,
    StepNotPending,
    StepRequired,
)
from app.approvals.models import ApprovalStep, Decision, RequestStatus, StepStatus
from app.approvals.queries import can_see
from app.approvals.store import LoadedRequest, RecordedDecision
from app.core.db import commit
from app.core.errors import AppError
from app.core.security import Principal
from app.events.changes import record_change

_REFUSALS: dict[Refusal, type[AppError]] = {
    Refusal.self_approval: SelfApproval,
    Refusal.already_decided: AlreadyDecided,
    Refusal.duplicate_approver: DuplicateApprover,
}


async def approve(
    session: AsyncSession, principal: Principal, *, request_id: int, step_id: int | None,
    comment: str | None, now: datetime,
) -> LoadedRequest:
    loaded, step, authority = await decidable_step(session, principal, request_id, step_id, now)
    _record(session, loaded, step, principal, authority, Decision.approve, comment, now)
    approvals = step.approvals + 1
    if approvals >= step.quorum:
        store.set_step(session, step, approvals=approvals, status=StepStatus.approved,
                       completed_at=now)
    else:
        store.set_step(session, step, approvals=approvals)
    # Recorded before what it causes (next stage, completion), so the request's events
    # are numbered in the order they happened.
    record_change(session, principal, event_type="approval.step_approved",
                  entity_type=requests.ENTITY, entity_id=loaded.request_id, before=None,
                  after=requests.step_summary(step), on_behalf_of_id=authority.on_behalf_of_id)
    if step.status == StepStatus.approved and all(
            s.status == StepStatus.approved for s in loaded.stage(step.stage_index)):
        await requests.advance(session, principal, loaded, now)
    else:
        store.set_due(session, loaded)  # the stage's next deadline, without this step's
    await commit(session)
    return loaded


async def reject(
    session: AsyncSession, principal: Principal, *, request_id: int, step_id: int | None,
    comment: str, now: datetime,
) -> LoadedRequest:
    loaded, step, authority = await decidable_step(session, principal, request_id, step_id, now)
    _record(session, loaded, step, principal, authority, Decision.reject, comment, now)
    store.set_step(session, step, status=StepStatus.rejected, completed_at=now)
    await requests.finish(session, principal, loaded, RequestStatus.rejected, now,
                          reason=comment, on_behalf_of_id=authority.on_behalf_of_id)
    await commit(session)
    return loaded


async def decidable_step(
    session: AsyncSession, principal: Principal, request_id: int, step_id: int | None,
    now: datetime,
) -> tuple[LoadedRequest, ApprovalStep, Authority]:
    """The one active step the caller may decide now, and the authority they decide it
    under (their own first, then delegations)."""
    loaded, delegated_to_me = await store.load_for_decision(
        session, request_id, caller_id=principal.sub, today=now.date())
    mine = await authorities(session, principal, now, delegated_to_me=delegated_to_me)
    if not can_see(loaded, mine):
        raise ApprovalNotFound()
    request = loaded.request
    requests.ensure_pending(request)
    if principal.sub == request.submitted_by:
        raise SelfApproval()
    matching = [(s, a) for s in loaded.steps for a in mine
                if step_id in (None, s.id) and may_decide(a.principal, s)]
    active = [(s, a) for s, a in matching if s.status == StepStatus.active]
    if not active:
        if matching:
            raise StepNotPending(f"Step {matching[0][0].id} is {matching[0][0].status}.")
        raise NotEligible()
    refusals = [segregation_refusal(a, submitted_by=request.submitted_by,
                                    decisions=loaded.decisions, step_id=s.id)
                for s, a in active]
    allowed = [pair for pair, refusal in zip(active, refusals, strict=True) if refusal is None]
    if not allowed:
        refusal = refusals[0]
        assert refusal is not None
        if refusal == Refusal.self_approval:
            raise SelfApproval("The only authority you hold here is the submitter's own.")
        raise _REFUSALS[refusal]()
    by_step: dict[int | None, tuple[ApprovalStep, Authority]] = {}
    for s, a in allowed:
        by_step.setdefault(s.id, (s, a))
    if len(by_step) > 1:
        raise StepRequired(step_ids=sorted(i for i in by_step if i is not None))
    step, authority = next(iter(by_step.values()))
    return loaded, step, authority


def _record(session: AsyncSession, loaded: LoadedRequest, step: ApprovalStep,
            principal: Principal, authority: Authority, decision: Decision,
            comment: str | None, now: datetime) -> None:
    assert step.id is not None
    store.record_decision(session, loaded, RecordedDecision(
        request_id=loaded.request_id, step_id=step.id, actor_id=principal.sub,
        on_behalf_of_id=authority.on_behalf_of_id, decision=decision, comment=comment,
        document_version=loaded.request.document_version, decided_at=now))
