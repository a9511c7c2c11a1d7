from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.approvals import admin, decisions, delegations, exports, queries, requests
from app.approvals.errors import (
    AlreadyDecided,
    ApprovalNotFound,
    DelegationNotFound,
    DuplicateApprover,
    InvalidDelegation,
    NoPolicyForDocument,
    NotEligible,
    RequestNotPending,
    SelfApproval,
    StepNotPending,
    StepRequired,
)
from app.approvals.models import Delegation, RequestStatus
from app.approvals.policy import PolicyDocument
from app.approvals.rules import stage_label
from app.approvals.schemas import (
    ApprovalPage,
    ApprovalRead,
    ApproveBody,
    DelegationCreate,
    DelegationPage,
    DelegationRead,
    PolicyRead,
    PreviewBody,
    PreviewRead,
    PreviewStage,
    PreviewStep,
    RejectBody,
    approval_read,
    fired_rules_read,
)
from app.core import export
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import Forbidden, NotFound, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses, negotiated_format
from app.core.ids import path_id
from app.core.pagination import CursorQuery, LimitQuery, Listed, ListRequest
from app.core.security import CurrentPrincipal
from app.core.versioning import IfMatch, set_etag

router = APIRouter(tags=["approvals"])
RequestId = Annotated[int, Path(ge=1), path_id(lambda _: ApprovalNotFound())]
DelegationId = Annotated[int, Path(ge=1), path_id(lambda _: DelegationNotFound())]
DECISION_ERRORS = (ApprovalNotFound, SelfApproval, DuplicateApprover, NotEligible,
                   RequestNotPending, StepNotPending, AlreadyDecided, StepRequired)


@router.get("/approvals", response_model=ApprovalPage, responses=file_responses())
async def list_approvals(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(queries.SORTS.request)],
    actionable: Annotated[bool, Query(description="Only requests waiting on me (my inbox)")] = False,
    status: RequestStatus | None = None,
    document_type: Annotated[str | None, Query(max_length=40)] = None,
    format: FormatQuery = None,
) -> ApprovalPage | StreamingResponse:
    """Approval requests I may read; with `actionable=true`, those waiting on my decision
    (delegations to me included); oldest first unless sorted otherwise. Every one of them
    as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[ApprovalRead]:
        listed, mine = await queries.list_requests(
            session, principal, actionable=actionable, status=status,
            document_type=document_type, page=wanted, now=now)
        reads = [approval_read(i, queries.allowed_actions(i, principal, mine), now)
                 for i in listed.items]
        await with_names(session, reads)
        return Listed(reads, listed.next_cursor, listed.total)

    file = await exports.APPROVALS.file(request, format, page=page, now=now,
                                        page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return ApprovalPage(items=listed.items, next_cursor=listed.next_cursor,
                        total=listed.total)


@router.get("/approvals/{request_id}", response_model=ApprovalRead,
            responses=errors_doc(ApprovalNotFound))
async def get_approval(request_id: RequestId, session: SessionDep, principal: CurrentPrincipal,
                       now: Now) -> ApprovalRead:
    loaded, mine = await queries.get_visible(session, principal, request_id, now)
    return approval_read(loaded, queries.allowed_actions(loaded, principal, mine), now)


@router.post("/approvals/{request_id}/approve", response_model=ApprovalRead,
             responses=errors_doc(*DECISION_ERRORS))
async def approve_request(request_id: RequestId, body: ApproveBody, session: SessionDep,
                          principal: CurrentPrincipal, now: Now) -> ApprovalRead:
    """Approve the step of this request that is yours (or give `step_id`)."""
    loaded = await decisions.approve(session, principal, request_id=request_id,
                                   step_id=body.step_id, comment=body.comment, now=now)
    return approval_read(loaded, [], now)


@router.post("/approvals/{request_id}/reject", response_model=ApprovalRead,
             responses=errors_doc(*DECISION_ERRORS))
async def reject_request(request_id: RequestId, body: RejectBody, session: SessionDep,
                         principal: CurrentPrincipal, now: Now) -> ApprovalRead:
    """Reject with a reason: the request ends and the document returns to draft."""
    loaded = await decisions.reject(session, principal, request_id=request_id,
                                  step_id=body.step_id, comment=body.comment, now=now)
    return approval_read(loaded, [], now)


@router.post("/approvals/preview", response_model=PreviewRead,
             responses=errors_doc(NoPolicyForDocument, NotFound))
async def preview_approval(body: PreviewBody, session: SessionDep,
                           principal: CurrentPrincipal) -> PreviewRead:
    """The chain a document would get if submitted now, with each rule that fired and why."""
    version, facts, resolution = await queries.preview(
        session, principal, document_type=body.document_type, document_id=body.document_id,
        policy_key=body.policy_key, amount=body.amount, department_id=body.department_id,
        flags=frozenset(body.flags))
    return PreviewRead(
        policy_version=version, policy_key=facts.policy_key, amount=facts.amount,
        department_id=facts.department_id, flags=sorted(facts.flags),
        fired_rules=fired_rules_read(resolution.fired_rules),
        stages=[PreviewStage(index=i, name=stage.name, label=stage_label(stage.name), steps=[
            PreviewStep(role=s.role.value, scope=s.scope.name, department_id=s.department_id,
                        quorum=s.quorum, sla_hours=s.sla_hours, rule=s.rule)
            for s in stage.steps]) for i, stage in enumerate(resolution.stages)])


@router.get("/approval-policy", response_model=PolicyRead)
async def get_approval_policy(session: SessionDep, _principal: CurrentPrincipal,
                              response: Response) -> PolicyRead:
    """The policy new submissions are resolved with."""
    version, policy = await requests.current_policy(session)
    set_etag(response, version)
    return PolicyRead(version=version, policy=policy)


@router.put("/approval-policy", response_model=PolicyRead,
            responses=errors_doc(Forbidden, StaleVersion, admin.PolicyChanged))
async def put_approval_policy(body: PolicyDocument, session: SessionDep,
                              principal: CurrentPrincipal, if_match: IfMatch,
                              response: Response) -> PolicyRead:
    """Save a new policy version (admin). Requests in flight keep the version they got."""
    version, policy = await admin.save_policy(session, principal, document=body,
                                              expected_version=if_match)
    set_etag(response, version)
    return PolicyRead(version=version, policy=policy)


@router.post("/delegations", status_code=201, response_model=DelegationRead,
             responses=errors_doc(InvalidDelegation))
async def create_delegation(body: DelegationCreate, session: SessionDep,
                            principal: CurrentPrincipal, now: Now) -> Delegation:
    """Hand my approvals to a colleague for a date range; they act on my behalf."""
    return await delegations.create(session, principal, data=body, now=now)


@router.get("/delegations", response_model=DelegationPage, responses=file_responses())
async def list_delegations(request: Request, session: SessionDep,
                           principal: CurrentPrincipal, now: Now, limit: LimitQuery = 50,
                           cursor: CursorQuery = None,
                           format: FormatQuery = None) -> DelegationPage | StreamingResponse:
    """Delegations I gave or received, newest first. Every one of them as CSV or XLSX with
    `format`, with the names of who delegated and to whom."""
    wanted = negotiated_format(request, format)
    if wanted is not None:
        async def rows(after: str | None) -> tuple[list[exports.DelegationRow], str | None]:
            items, next_cursor = await delegations.list_mine(
                session, principal, limit=export.EXPORT_PAGE, cursor=after)
            reads = [exports.DelegationRow.model_validate(d) for d in items]
            await with_names(session, reads)
            return reads, next_cursor
        return await exports.DELEGATIONS.response(wanted, now=now, pages=rows)
    items, next_cursor = await delegations.list_mine(session, principal, limit=limit,
                                                     cursor=cursor)
    return DelegationPage(items=[DelegationRead.model_validate(d) for d in items],
                          next_cursor=next_cursor)


@router.post("/delegations/{delegation_id}/revoke", response_model=DelegationRead,
             responses=errors_doc(DelegationNotFound))
async def revoke_delegation(delegation_id: DelegationId, session: SessionDep,
                            principal: CurrentPrincipal, now: Now) -> Delegation:
    return await delegations.revoke(session, principal, delegation_id=delegation_id, now=now)
