from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import InvalidTransition, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.filters import (
    AmountFromQuery,
    AmountToQuery,
    DayFromQuery,
    DayToQuery,
    DepartmentQuery,
    OwnerQuery,
    SearchQuery,
)
from app.core.ids import Id, path_id
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.opportunities import approval as _registers_adapter  # noqa: F401
from app.opportunities import exports, service
from app.opportunities.errors import (
    NoPendingProposal,
    OpportunityClosed,
    OpportunityForbidden,
    OpportunityNotFound,
    ProposalApproved,
    ProposalNotApproved,
    ProposalOutOfStage,
    ProposalPending,
    UnknownCustomer,
)
from app.opportunities.models import Opportunity, OpportunityGrade, OpportunityStage
from app.opportunities.schemas import (
    LoseBody,
    OpportunityCreate,
    OpportunityPage,
    OpportunityRead,
    OpportunityUpdate,
    ProposalBody,
    StageBody,
    WinBody,
)

router = APIRouter(prefix="/opportunities", tags=["opportunities"])
OpportunityId = Annotated[int, Path(ge=1), path_id(
    lambda n: OpportunityNotFound(f"No opportunity {n}."))]
WRITE_ERRORS = (OpportunityNotFound, OpportunityForbidden, StaleVersion)


async def _read_many(session: AsyncSession, principal: Principal,
                     opportunities: list[Opportunity], now: datetime) -> list[OpportunityRead]:
    approvals = await approval_reads(
        session, principal, [o.proposal_request_id for o in opportunities], now)
    reads = []
    for opportunity in opportunities:
        read = OpportunityRead.model_validate(opportunity)
        read.weighted_amount = service.weighted_amount(opportunity)
        read.approval = approvals.get(opportunity.proposal_request_id)
        read.allowed_actions = service.allowed_actions(
            opportunity, principal, read.approval.allowed_actions if read.approval else [])
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, opportunity: Opportunity,
                now: datetime, response: Response) -> OpportunityRead:
    [read] = await _read_many(session, principal, [opportunity], now)
    set_etag(response, opportunity.version)
    return read


@router.get("", response_model=OpportunityPage, responses=file_responses())
async def list_opportunities(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    stage: OpportunityStage | None = None, grade: OpportunityGrade | None = None,
    owner_id: OwnerQuery = None, customer_id: Id | None = None,
    department_id: DepartmentQuery = None, created_from: DayFromQuery = None,
    created_to: DayToQuery = None, close_from: DayFromQuery = None, close_to: DayToQuery = None,
    amount_from: AmountFromQuery = None, amount_to: AmountToQuery = None,
    q: SearchQuery = None,
    format: FormatQuery = None,
) -> OpportunityPage | StreamingResponse:
    """Opportunities the caller may see, newest first unless sorted otherwise. Created days
    are the company's calendar days; `close_*` bound the expected close date, `amount_*` the
    expected amount; `q` searches the title and the customer's name. Every one of
    them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[OpportunityRead]:
        listed = await service.list_opportunities(
            session, principal, stage=stage, grade=grade, owner_id=owner_id,
            customer_id=customer_id, department_id=department_id, created_from=created_from,
            created_to=created_to, close_from=close_from, close_to=close_to,
            amount_from=amount_from, amount_to=amount_to, q=q, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.OPPORTUNITIES.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return OpportunityPage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=OpportunityRead,
             responses=errors_doc(OpportunityForbidden, UnknownCustomer))
async def create_opportunity(body: OpportunityCreate, session: SessionDep,
                             principal: CurrentPrincipal, now: Now,
                             response: Response) -> OpportunityRead:
    """Open an opportunity with one of your customers, at the qualification stage."""
    opportunity = await service.create(session, principal, data=body)
    response.headers["Location"] = f"/api/v1/opportunities/{opportunity.id}"
    return await _read(session, principal, opportunity, now, response)


@router.get("/{opportunity_id}", response_model=OpportunityRead,
            responses=errors_doc(OpportunityNotFound))
async def get_opportunity(opportunity_id: OpportunityId, session: SessionDep,
                          principal: CurrentPrincipal, now: Now,
                          response: Response) -> OpportunityRead:
    opportunity = await service.get_visible(session, principal, opportunity_id)
    return await _read(session, principal, opportunity, now, response)


@router.patch("/{opportunity_id}", response_model=OpportunityRead,
              responses=errors_doc(*WRITE_ERRORS, OpportunityClosed, ProposalPending))
async def update_opportunity(opportunity_id: OpportunityId, body: OpportunityUpdate,
                             session: SessionDep, principal: CurrentPrincipal, if_match: IfMatch,
                             now: Now, response: Response) -> OpportunityRead:
    """Edit an open opportunity; not while its proposal awaits approval."""
    opportunity = await service.update(session, principal, opportunity_id=opportunity_id,
                                       data=body, expected_version=if_match)
    return await _read(session, principal, opportunity, now, response)


@router.post("/{opportunity_id}/stage", response_model=OpportunityRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, ProposalNotApproved,
                                  ProposalPending))
async def move_opportunity_stage(opportunity_id: OpportunityId, body: StageBody,
                                 session: SessionDep, principal: CurrentPrincipal,
                                 if_match: IfMatch, now: Now,
                                 response: Response) -> OpportunityRead:
    """Move to the next stage (qualification → needs_analysis → proposal → negotiation) or
    back to an earlier one; the probability follows the stage. High and medium grade
    opportunities need an approved proposal to enter negotiation."""
    opportunity = await service.move_stage(session, principal, opportunity_id=opportunity_id,
                                           stage=body.stage, expected_version=if_match, now=now)
    return await _read(session, principal, opportunity, now, response)


@router.post("/{opportunity_id}/proposal/submit", response_model=OpportunityRead,
             responses=errors_doc(*WRITE_ERRORS, ProposalOutOfStage, ProposalPending,
                                  ProposalApproved, NoPolicyForDocument))
async def submit_opportunity_proposal(opportunity_id: OpportunityId, body: ProposalBody,
                                      session: SessionDep, principal: CurrentPrincipal,
                                      if_match: IfMatch, now: Now,
                                      response: Response) -> OpportunityRead:
    """Submit the proposal (销售方案) for review by the department head; the response
    carries the approval request."""
    opportunity = await service.submit_proposal(
        session, principal, opportunity_id=opportunity_id, summary_text=body.summary,
        expected_version=if_match, now=now)
    return await _read(session, principal, opportunity, now, response)


@router.post("/{opportunity_id}/proposal/recall", response_model=OpportunityRead,
             responses=errors_doc(OpportunityNotFound, NoPendingProposal, NotSubmitter))
async def recall_opportunity_proposal(opportunity_id: OpportunityId, session: SessionDep,
                                      principal: CurrentPrincipal, now: Now,
                                      if_match: IfMatch, response: Response) -> OpportunityRead:
    """The submitter takes a pending proposal back."""
    opportunity = await service.recall_proposal(session, principal,
                                                opportunity_id=opportunity_id, now=now,
        expected_version=if_match)
    return await _read(session, principal, opportunity, now, response)


@router.post("/{opportunity_id}/win", response_model=OpportunityRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition))
async def win_opportunity(opportunity_id: OpportunityId, body: WinBody, session: SessionDep,
                          principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                          response: Response) -> OpportunityRead:
    """Close as won, from negotiation, with the amount won (default: the expected amount)."""
    opportunity = await service.win(session, principal, opportunity_id=opportunity_id,
                                    amount=body.amount, expected_version=if_match, now=now)
    return await _read(session, principal, opportunity, now, response)


@router.post("/{opportunity_id}/lose", response_model=OpportunityRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, ProposalPending))
async def lose_opportunity(opportunity_id: OpportunityId, body: LoseBody, session: SessionDep,
                           principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                           response: Response) -> OpportunityRead:
    """Close as lost, from any open stage, with the reason."""
    opportunity = await service.lose(session, principal, opportunity_id=opportunity_id,
                                     reason=body.reason, expected_version=if_match, now=now)
    return await _read(session, principal, opportunity, now, response)
