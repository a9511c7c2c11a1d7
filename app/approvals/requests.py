"""A request's life: opened from the policy at submission, stage by stage, to its end.

Document commands open and withdraw requests through `app.approvals.documents` (or, for
a request that is not a state of its document, such as a contract's termination, through
`open_request` and `withdraw` here), inside their own transaction. `decisions` moves a
request on. When a request ends, its document's adapter is called in the same
transaction, so the document's state change commits with the decision.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import registry, store
from app.approvals.errors import NoPolicyForDocument, NotSubmitter, RequestNotPending
from app.approvals.models import (
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    RequestStatus,
    StepStatus,
)
from app.approvals.policy import (
    DEFAULT_POLICY,
    STORED,
    PolicyDocument,
    Resolution,
    UnknownPolicyKey,
    resolve,
    with_new_document_defaults,
)
from app.approvals.registry import SubmittedDocument
from app.approvals.store import LoadedRequest
from app.calendar.service import cached_calendar
from app.calendar.working_time import COMPANY_TZ
from app.core.security import Principal
from app.events import service as events
from app.events.changes import record_change

ENTITY = "approval_request"
# Deadlines are computed on a calendar window this long after activation.
CALENDAR_WINDOW = timedelta(days=120)


# ---- policy ------------------------------------------------------------------------


async def current_policy(session: AsyncSession) -> tuple[int, PolicyDocument]:
    """The newest saved policy, or the built-in default (version 1) before any edit.

    Document types added by a later release than the saved policy get their default entry,
    so upgrading never leaves a document type without a chain (`approval.no_policy`)."""
    row = (await session.execute(
        select(ApprovalPolicyVersion).order_by(col(ApprovalPolicyVersion.version).desc())
        .limit(1))).scalar_one_or_none()
    if row is None:
        return 1, DEFAULT_POLICY
    return row.version, with_new_document_defaults(
        PolicyDocument.model_validate(row.document, context=STORED))


def resolve_chain(policy: PolicyDocument, document: SubmittedDocument) -> Resolution:
    try:
        return resolve(policy, document.facts)
    except UnknownPolicyKey as exc:
        raise NoPolicyForDocument(
            f"No policy entry {document.facts.policy_key!r}.") from exc


# ---- opening and withdrawing (inside a document command) ------------------------------


async def open_request(
    session: AsyncSession, principal: Principal, *, document: SubmittedDocument, now: datetime,
    opened: Callable[[ApprovalRequest], None] | None = None,
) -> LoadedRequest:
    """Resolve the chain from the current policy and start its first stage.

    The caller has already moved the document to its pending state; a chain with no
    stages (nothing to approve) is approved at once, through the adapter. `opened` is
    called with the new request before anything else happens to it, so the document can
    record its own change (naming the request) ahead of the request's events.
    """
    policy_version, policy = await current_policy(session)
    resolution = resolve_chain(policy, document)
    facts = document.facts
    request = ApprovalRequest(
        document_type=document.document_type, document_id=document.document_id,
        document_version=document.document_version, policy_key=facts.policy_key,
        title=document.title, amount=facts.amount, department_id=facts.department_id,
        owner_id=document.owner_id, submitted_by=principal.sub, flags=sorted(facts.flags),
        policy_version=policy_version,
        fired_rules=[rule.stored() for rule in resolution.fired_rules], created_at=now,
    )
    session.add(request)
    await session.flush()
    assert request.id is not None
    steps = [
        ApprovalStep(request_id=request.id, stage_index=index, stage_name=stage.name,
                     role=step.role.value, scope=step.scope.name,
                     department_id=step.department_id, quorum=step.quorum,
                     sla_hours=step.sla_hours, rule=step.rule)
        for index, stage in enumerate(resolution.stages) for step in stage.steps
    ]
    session.add_all(steps)
    await session.flush()
    if opened is not None:
        opened(request)
    loaded = LoadedRequest(request, steps, [])
    record_change(session, principal, event_type="approval.submitted", entity_type=ENTITY,
                  entity_id=request.id, before=None, after=summary(request))
    if steps:
        await activate_stage(session, loaded, 0, now)
    else:
        await finish(session, principal, loaded, RequestStatus.approved, now, reason=None)
    return loaded


async def withdraw(
    session: AsyncSession, principal: Principal, *, request_id: int, now: datetime
) -> LoadedRequest:
    """The submitter takes a pending request back; the document returns to draft."""
    loaded = await store.load(session, request_id, lock=True)
    if loaded.request.submitted_by != principal.sub:
        raise NotSubmitter()
    ensure_pending(loaded.request)
    await finish(session, principal, loaded, RequestStatus.recalled, now, reason=None)
    return loaded


# ---- moving on -----------------------------------------------------------------------------


async def advance(session: AsyncSession, principal: Principal, loaded: LoadedRequest,
                  now: datetime) -> None:
    """The current stage is done: start the next, or approve the request."""
    following = loaded.request.current_stage + 1
    if loaded.stage(following):
        await activate_stage(session, loaded, following, now)
    else:
        await finish(session, principal, loaded, RequestStatus.approved, now, reason=None)


async def activate_stage(session: AsyncSession, loaded: LoadedRequest, index: int,
                         now: datetime) -> None:
    store.set_stage(session, loaded, index)
    calendar = await cached_calendar(session, start=(now - timedelta(days=1)).date(),
                                     end=(now + CALENDAR_WINDOW).date(), tz=COMPANY_TZ)
    for step in loaded.stage(index):
        store.set_step(session, step, status=StepStatus.active, activated_at=now,
                       due_at=calendar.add_working_hours(now, step.sla_hours))
    store.set_due(session, loaded)
    for step in loaded.stage(index):
        events.emit(session, None, type="approval.step_pending",
                    subject=f"{ENTITY}:{loaded.request.id}", data=step_summary(step, loaded))


async def finish(session: AsyncSession, principal: Principal, loaded: LoadedRequest,
                 status: RequestStatus, now: datetime, *, reason: str | None,
                 on_behalf_of_id: str | None = None) -> None:
    """End the request and tell its document, in the same transaction."""
    request = loaded.request
    before = summary(request)
    store.finish(session, loaded, status, now, reason=reason)
    record_change(session, principal, event_type="approval.completed", entity_type=ENTITY,
                  entity_id=loaded.request_id, before=before, after=summary(request),
                  on_behalf_of_id=on_behalf_of_id)
    adapter = registry.adapter_for(request.document_type)
    if status == RequestStatus.approved:
        await adapter.on_approved(session, principal, request)
    elif status == RequestStatus.rejected:
        await adapter.on_rejected(session, principal, request, reason or "")
    else:
        await adapter.on_recalled(session, principal, request)


def ensure_pending(request: ApprovalRequest) -> None:
    if request.status != RequestStatus.pending:
        raise RequestNotPending(f"The request is {request.status}.", status_now=request.status)


# ---- summaries (audit rows and event payloads) -----------------------------------------------


def summary(request: ApprovalRequest) -> dict[str, Any]:
    return {"id": request.id, "document_type": request.document_type,
            "document_id": request.document_id, "document_version": request.document_version,
            "status": request.status, "amount": f"{request.amount:.2f}",
            "department_id": request.department_id, "policy_version": request.policy_version,
            "current_stage": request.current_stage, "outcome_reason": request.outcome_reason}


def step_summary(step: ApprovalStep, loaded: LoadedRequest | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "step_id": step.id, "request_id": step.request_id, "stage": step.stage_name,
        "role": step.role, "scope": step.scope, "department_id": step.department_id,
        "status": step.status, "approvals": step.approvals, "quorum": step.quorum,
        "due_at": step.due_at.isoformat() if step.due_at else None}
    if loaded is not None:
        data.update(document_type=loaded.request.document_type,
                    document_id=loaded.request.document_id, title=loaded.request.title)
    return data
