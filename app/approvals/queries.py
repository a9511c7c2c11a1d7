"""Reading approval requests: one request, the lists and the inbox, what a caller may do
to a request, and the preview of the chain a document would get."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import registry, store
from app.approvals.eligibility import (
    Authority,
    authorities,
    may_decide,
    segregated,
    segregation_refusal,
    steps_decidable_by,
)
from app.approvals.errors import ApprovalNotFound, NoPolicyForDocument
from app.approvals.models import ApprovalRequest, ApprovalStep, RequestStatus, StepStatus
from app.approvals.policy import DocumentFacts, Resolution, UnknownPolicyKey, resolve
from app.approvals.requests import current_policy
from app.approvals.store import LoadedRequest, load_by_ids
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import sees_record, visible
from app.core.security import Principal

__all__ = ["actionable_requests", "allowed_actions", "can_see", "get_visible", "list_requests",
           "load_by_ids", "preview", "visible_requests"]


async def get_visible(session: AsyncSession, principal: Principal, request_id: int,
                      now: datetime) -> tuple[LoadedRequest, list[Authority]]:
    """The request if the caller may read it, with the authorities they hold today."""
    loaded, delegated_to_me = await store.load_for_decision(
        session, request_id, caller_id=principal.sub, today=now.date(), lock=False)
    mine = await authorities(session, principal, now, delegated_to_me=delegated_to_me)
    if not can_see(loaded, mine):
        raise ApprovalNotFound()
    return loaded, mine


def can_see(loaded: LoadedRequest, mine: list[Authority]) -> bool:
    request = loaded.request
    for authority in mine:
        p = authority.principal
        if (request.submitted_by == p.sub
                or sees_record(p, owner_id=request.owner_id, department_id=request.department_id)
                or any(may_decide(p, s) for s in loaded.steps)
                or any(d.actor_id == p.sub for d in loaded.decisions)):
            return True
    return False


def allowed_actions(loaded: LoadedRequest, principal: Principal,
                    mine: list[Authority]) -> list[str]:
    """What the caller may do to the request now: the rules the commands enforce."""
    request = loaded.request
    if request.status != RequestStatus.pending:
        return []
    if request.submitted_by == principal.sub:
        return ["recall"]
    for authority in mine:
        if segregation_refusal(authority, submitted_by=request.submitted_by,
                               decisions=loaded.decisions) is not None:
            continue
        if any(s.status == StepStatus.active and may_decide(authority.principal, s)
               for s in loaded.steps):
            return ["approve", "reject"]
    return []


def visible_requests(principal: Principal) -> ColumnElement[bool]:
    """SQL filter: requests this principal may read (own authority)."""
    return or_(
        col(ApprovalRequest.submitted_by) == principal.sub,
        visible(principal, owner_column=col(ApprovalRequest.owner_id),
                department_column=col(ApprovalRequest.department_id)),
        exists(select(col(ApprovalStep.id)).where(
            col(ApprovalStep.request_id) == col(ApprovalRequest.id),
            steps_decidable_by(principal))),
    )


def actionable_requests(authority: Authority) -> ColumnElement[bool]:
    """SQL filter: pending requests with an active step this authority may decide now,
    that segregation of duties lets it decide (`allowed_actions` in SQL)."""
    return (
        (col(ApprovalRequest.status) == RequestStatus.pending)
        & exists(select(col(ApprovalStep.id)).where(
            col(ApprovalStep.request_id) == col(ApprovalRequest.id),
            col(ApprovalStep.status) == StepStatus.active,
            steps_decidable_by(authority.principal)))
        & segregated(authority))


# Oldest first by default: an inbox is worked from the request waiting longest. `due_at`,
# the current stage's deadline, puts the most urgent first (ended requests, without one,
# last).
SORTS = Sorts("Approval", {"created_at": col(ApprovalRequest.created_at),
                           "amount": col(ApprovalRequest.amount),
                           "due_at": col(ApprovalRequest.due_at)},
              tiebreaker=col(ApprovalRequest.id), default="created_at")


async def list_requests(
    session: AsyncSession, principal: Principal, *, actionable: bool, status: RequestStatus | None,
    document_type: str | None, page: ListRequest, now: datetime,
) -> tuple[Listed[LoadedRequest], list[Authority]]:
    """`actionable`: the caller's inbox (their own authority and active delegations),
    oldest first; otherwise every request they may read."""
    mine = await authorities(session, principal, now)
    if actionable:
        condition = or_(*[actionable_requests(a) for a in mine])
    else:
        condition = or_(*[visible_requests(a.principal) for a in mine])
    statement = select(ApprovalRequest).where(condition)
    if status is not None:
        statement = statement.where(col(ApprovalRequest.status) == status)
    if document_type is not None:
        statement = statement.where(col(ApprovalRequest.document_type) == document_type)
    listed = await SORTS.page(session, statement, page)
    loaded = await store.load_many(session, listed.items)
    return Listed(loaded, listed.next_cursor, listed.total), mine


async def preview(
    session: AsyncSession, principal: Principal, *, document_type: str,
    document_id: int | None, policy_key: str | None, amount: Decimal | None,
    department_id: str | None, flags: frozenset[str],
) -> tuple[int, DocumentFacts, Resolution]:
    """The chain a document would get now, with the rules that fired: the very function
    submission uses, so the preview cannot disagree with it. Either an existing document
    (through its adapter, visibility included) or a described one."""
    policy_version, policy = await current_policy(session)
    if document_id is not None:
        try:
            adapter = registry.adapter_for(document_type)
        except KeyError as exc:
            raise NoPolicyForDocument(f"Unknown document type {document_type!r}.") from exc
        facts = (await adapter.find(session, principal, document_id)).facts
    else:
        assert amount is not None and department_id is not None
        facts = DocumentFacts(policy_key=policy_key or document_type, amount=amount,
                              department_id=department_id, flags=flags)
    try:
        return policy_version, facts, resolve(policy, facts)
    except UnknownPolicyKey as exc:
        raise NoPolicyForDocument(f"No policy entry {facts.policy_key!r}.") from exc
