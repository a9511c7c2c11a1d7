from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter, RequestNotPending
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import Conflict, InvalidTransition, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.filters import (
    DayFromQuery,
    DayToQuery,
    DepartmentQuery,
    OwnerQuery,
    SearchQuery,
)
from app.core.ids import Id, path_id
from app.core.numbering import NumberQuery
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.visits import approval as _registers_adapter  # noqa: F401
from app.visits import exports, service
from app.visits.errors import (
    UnknownCustomer,
    VisitForbidden,
    VisitLocked,
    VisitNotFound,
    VisitNotYetHeld,
    VisitTimeInPast,
)
from app.visits.models import CustomerVisit, VisitStatus
from app.visits.schemas import (
    CancelBody,
    ReportBody,
    VisitCreate,
    VisitPage,
    VisitRead,
    VisitUpdate,
)

router = APIRouter(prefix="/visits", tags=["visits"])
VisitId = Annotated[int, Path(ge=1), path_id(lambda n: VisitNotFound(f"No visit {n}."))]
WRITE_ERRORS = (VisitNotFound, VisitForbidden, StaleVersion)


async def _read_many(session: AsyncSession, principal: Principal,
                     visits: list[CustomerVisit], now: datetime) -> list[VisitRead]:
    """Visits with their approval requests and the caller's allowed actions, loaded for the
    whole page at once."""
    requests = await approval_reads(session, principal,
                                    [v.approval_request_id for v in visits], now)
    reads = []
    for visit in visits:
        read = VisitRead.model_validate(visit)
        read.approval = requests.get(visit.approval_request_id)
        read.allowed_actions = service.allowed_actions(
            visit, principal, read.approval.allowed_actions if read.approval else [], now)
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, visit: CustomerVisit,
                now: datetime, response: Response) -> VisitRead:
    [read] = await _read_many(session, principal, [visit], now)
    set_etag(response, visit.version)
    return read


@router.get("", response_model=VisitPage, responses=file_responses())
async def list_visits(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    status: VisitStatus | None = None, customer_id: Id | None = None,
    owner_id: OwnerQuery = None, department_id: DepartmentQuery = None,
    planned_from: Annotated[date | None, Query(
        description="Planned on or after this day (company calendar)")] = None,
    planned_to: Annotated[date | None, Query(
        description="Planned on or before this day (company calendar)")] = None,
    created_from: DayFromQuery = None, created_to: DayToQuery = None,
    overdue: Annotated[bool | None, Query(
        description="true: in review with a decision past its deadline; false: the "
                    "others")] = None,
    number: NumberQuery = None, q: SearchQuery = None, format: FormatQuery = None,
) -> VisitPage | StreamingResponse:
    """Visits the caller may see, newest first unless sorted otherwise: a rep their own, a
    head their department, a deputy GM the departments they oversee; the GM and the
    company-wide roles all. `q` searches the number, the purpose and the place. Every one
    of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[VisitRead]:
        listed = await service.list_visits(
            session, principal, now=now, status=status, customer_id=customer_id,
            owner_id=owner_id, department_id=department_id, planned_from=planned_from,
            planned_to=planned_to, created_from=created_from, created_to=created_to,
            overdue=overdue, number=number, q=q, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.VISITS.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return VisitPage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=VisitRead,
             responses=errors_doc(VisitForbidden, UnknownCustomer, VisitTimeInPast))
async def create_visit(body: VisitCreate, session: SessionDep, principal: CurrentPrincipal,
                       now: Now, response: Response) -> VisitRead:
    """Request a visit to one of your customers (客户拜访): purpose, time (still to come) and
    place. It is a draft until submitted to the department head."""
    visit = await service.create(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/visits/{visit.id}"
    return await _read(session, principal, visit, now, response)


@router.get("/{visit_id}", response_model=VisitRead, responses=errors_doc(VisitNotFound))
async def get_visit(visit_id: VisitId, session: SessionDep, principal: CurrentPrincipal,
                    now: Now, response: Response) -> VisitRead:
    visit = await service.get_visible(session, principal, visit_id)
    return await _read(session, principal, visit, now, response)


@router.patch("/{visit_id}", response_model=VisitRead,
              responses=errors_doc(*WRITE_ERRORS, VisitLocked, VisitTimeInPast))
async def update_visit(visit_id: VisitId, body: VisitUpdate, session: SessionDep,
                       principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                       response: Response) -> VisitRead:
    """Edit a draft or a rejected request. In review and later it is locked
    (409 `visit.locked`)."""
    visit = await service.update(session, principal, visit_id=visit_id, data=body,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, visit, now, response)


@router.post("/{visit_id}/submit", response_model=VisitRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, VisitTimeInPast,
                                  NoPolicyForDocument))
async def submit_visit(visit_id: VisitId, session: SessionDep, principal: CurrentPrincipal,
                       if_match: IfMatch, now: Now, response: Response) -> VisitRead:
    """Send the request to the department head, who decides within 24 working hours (then
    it escalates); a key customer's visit goes to the deputy GM as well. A rejected request
    is submitted again the same way."""
    visit = await service.submit(session, principal, visit_id=visit_id,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, visit, now, response)


@router.post("/{visit_id}/recall", response_model=VisitRead,
             responses=errors_doc(VisitNotFound, StaleVersion, InvalidTransition,
                                  NotSubmitter, RequestNotPending))
async def recall_visit(visit_id: VisitId, session: SessionDep, principal: CurrentPrincipal,
                       if_match: IfMatch, now: Now, response: Response) -> VisitRead:
    """The submitter takes a request in review back to draft."""
    visit = await service.recall(session, principal, visit_id=visit_id,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, visit, now, response)


@router.post("/{visit_id}/cancel", response_model=VisitRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, Conflict))
async def cancel_visit(visit_id: VisitId, body: CancelBody, session: SessionDep,
                       principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                       response: Response) -> VisitRead:
    """Call off a draft, a rejected request, one in review (its approval request is
    withdrawn) or an approved visit not yet reported."""
    visit = await service.cancel(session, principal, visit_id=visit_id, reason=body.reason,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, visit, now, response)


@router.post("/{visit_id}/report", response_model=VisitRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, VisitNotYetHeld))
async def report_visit(visit_id: VisitId, body: ReportBody, session: SessionDep,
                       principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                       response: Response) -> VisitRead:
    """File the visit report (outcome, next steps): only for an approved visit, and not
    before its planned time (409 `visit.not_yet_held`)."""
    visit = await service.report(session, principal, visit_id=visit_id, data=body,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, visit, now, response)
