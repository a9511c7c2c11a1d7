from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter
from app.complaints import capa, exports, remedies, service
from app.complaints.errors import (
    AlreadyRefunded,
    ComplaintForbidden,
    ComplaintNotFound,
    NotRemediable,
    RemedyTargetMissing,
    ReviewIncomplete,
    SettlementRequired,
    UnknownCustomer,
    UnknownDepartment,
    UnknownDocument,
)
from app.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintSeverity,
    ComplaintStatus,
)
from app.complaints.schemas import (
    CapaBody,
    ComplaintAssignBody,
    ComplaintCloseBody,
    ComplaintCreate,
    ComplaintPage,
    ComplaintRead,
    DeterminationBody,
    FeedbackBody,
    NegotiationBody,
    RemedyCreate,
    RemedyRead,
    ReviewBody,
    TrackingBody,
    TrackingRead,
    VerificationBody,
)
from app.core.clock import Now
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import InvalidTransition, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.filters import DayFromQuery, DayToQuery, SearchQuery
from app.core.ids import Id, path_id
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.deliveries.errors import (
    DateInFuture,
    DeliveryForbidden,
    ExceedsReturnable,
    OrderClosed,
    UnknownDeliveryLine,
)
from app.receivables.errors import CreditExceedsBalance, NotCreditable

router = APIRouter(prefix="/complaints", tags=["complaints"])
ComplaintId = Annotated[int, Path(ge=1),
                        path_id(lambda n: ComplaintNotFound(f"No complaint {n}."))]
WRITE_ERRORS = (ComplaintNotFound, ComplaintForbidden, StaleVersion, InvalidTransition)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _read_many(session: AsyncSession, principal: Principal, complaints: list[Complaint],
                     now: datetime) -> list[ComplaintRead]:
    """Complaints with their CAPA approval requests and the caller's allowed actions,
    loaded for the whole page at once."""
    requests = await approval_reads(session, principal,
                                    [c.approval_request_id for c in complaints], now)
    reads = []
    for complaint in complaints:
        read = ComplaintRead.model_validate(complaint)
        read.ack_overdue = service.is_ack_overdue(complaint, now)
        read.approval = requests.get(complaint.approval_request_id)
        read.allowed_actions = service.allowed_actions(
            complaint, principal, read.approval.allowed_actions if read.approval else [])
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, complaint: Complaint,
                now: datetime, response: Response) -> ComplaintRead:
    """A single complaint, with its tracking records and remedies."""
    assert complaint.id is not None  # loaded from the database
    [read] = await _read_many(session, principal, [complaint], now)
    read.tracking = [TrackingRead.model_validate(t)
                     for t in await service.tracking_of(session, complaint.id)]
    read.remedies = [RemedyRead.model_validate(r)
                     for r in await service.remedies_of(session, complaint.id)]
    set_etag(response, complaint.version)
    return read


@router.get("", response_model=ComplaintPage, responses=file_responses())
async def list_complaints(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    status: ComplaintStatus | None = None, category: ComplaintCategory | None = None,
    severity: ComplaintSeverity | None = None, customer_id: Id | None = None,
    overdue: Annotated[bool | None, Query(
        description="true: not acknowledged by the deadline (now); false: the rest")] = None,
    owner_id: Annotated[str | None, Query(
        max_length=128, description="The customer's rep")] = None,
    department_id: Annotated[str | None, Query(
        max_length=32, description="The customer's department")] = None,
    created_from: DayFromQuery = None, created_to: DayToQuery = None,
    received_from: DayFromQuery = None, received_to: DayToQuery = None,
    q: SearchQuery = None, format: FormatQuery = None,
) -> ComplaintPage | StreamingResponse:
    """Complaints the caller may see, newest first unless sorted otherwise: a rep those of
    their customers, a head their department's and those it investigates; customer service,
    quality and the company-wide roles all. `q` searches the number, the title and the
    description. Every one of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[ComplaintRead]:
        listed = await service.list_complaints(
            session, principal, status=status, category=category, severity=severity,
            customer_id=customer_id, overdue=overdue, now=now, owner_id=owner_id,
            department_id=department_id, created_from=created_from, created_to=created_to,
            received_from=received_from, received_to=received_to, q=q, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.COMPLAINTS.file(request, format, page=page, now=now,
                                         page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return ComplaintPage(items=listed.items, next_cursor=listed.next_cursor,
                         total=listed.total)


@router.post("", status_code=201, response_model=ComplaintRead,
             responses=errors_doc(ComplaintForbidden, UnknownCustomer, UnknownDocument))
async def create_complaint(body: ComplaintCreate, session: SessionDep,
                           principal: CurrentPrincipal, now: Now, response: Response,
                           settings: Annotated[Settings, Depends(_settings)]) -> ComplaintRead:
    """Register a complaint (customer service, reps for their customers, the ERP). It is to
    be acknowledged (assigned) within `ack_due_at`: 24 working hours by default on the
    company calendar; past that, `complaint.ack_overdue` is announced."""
    complaint = await service.create(session, principal, data=body,
                                     ack_hours=settings.complaint_ack_hours, now=now)
    response.headers["Location"] = f"/api/v1/complaints/{complaint.id}"
    return await _read(session, principal, complaint, now, response)


@router.get("/{complaint_id}", response_model=ComplaintRead,
            responses=errors_doc(ComplaintNotFound))
async def get_complaint(complaint_id: ComplaintId, session: SessionDep,
                        principal: CurrentPrincipal, now: Now,
                        response: Response) -> ComplaintRead:
    complaint = await service.get_visible(session, principal, complaint_id)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/assign", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS, UnknownDepartment))
async def assign_complaint(complaint_id: ComplaintId, body: ComplaintAssignBody,
                           session: SessionDep,
                           principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                           response: Response) -> ComplaintRead:
    """Customer service gives the complaint to the department responsible for
    investigating it (again, to another one, while it investigates); the first assignment
    acknowledges the complaint."""
    complaint = await service.assign(session, principal, complaint_id=complaint_id,
                                     department_id=body.department_id,
                                     expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/determination", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS))
async def determine_complaint(complaint_id: ComplaintId, body: DeterminationBody,
                              session: SessionDep, principal: CurrentPrincipal,
                              if_match: IfMatch, now: Now,
                              response: Response) -> ComplaintRead:
    """The responsible department's report (责任判定): whether the company is at fault,
    the cause; quality reviews it next."""
    complaint = await service.determine(session, principal, complaint_id=complaint_id,
                                        data=body, expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/review", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS, ReviewIncomplete))
async def review_complaint(complaint_id: ComplaintId, body: ReviewBody, session: SessionDep,
                           principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                           response: Response) -> ComplaintRead:
    """Quality reviews the report. Accepted: `explained` (not the company's fault, with the
    explanation) or `corrective_action` (the company's fault, with the nonconformity
    report). Not accepted: back to `investigating`."""
    complaint = await service.review(session, principal, complaint_id=complaint_id, data=body,
                                     expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/negotiation", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS))
async def negotiate_complaint(complaint_id: ComplaintId, body: NegotiationBody,
                              session: SessionDep, principal: CurrentPrincipal,
                              if_match: IfMatch, now: Now,
                              response: Response) -> ComplaintRead:
    """The customer does not accept the explanation: a settlement is negotiated, then the
    complaint is closed with it."""
    complaint = await service.negotiate(session, principal, complaint_id=complaint_id,
                                        reason=body.reason, expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/capa", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS, NoPolicyForDocument))
async def submit_complaint_capa(complaint_id: ComplaintId, body: CapaBody,
                                session: SessionDep, principal: CurrentPrincipal,
                                if_match: IfMatch, now: Now,
                                response: Response) -> ComplaintRead:
    """Send the corrective and preventive action plan into approval (the policy's
    `corrective_action`: by default two distinct quality experts). Approved, the complaint
    is `implementing`; rejected, it is back in `corrective_action` with the reason, to be
    revised and sent again."""
    complaint = await capa.submit(session, principal, complaint_id=complaint_id, data=body,
                                  expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/capa/recall", response_model=ComplaintRead,
             responses=errors_doc(ComplaintNotFound, StaleVersion, InvalidTransition,
                                  NotSubmitter))
async def recall_complaint_capa(complaint_id: ComplaintId, session: SessionDep,
                                principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                response: Response) -> ComplaintRead:
    """The submitter takes the plan back from approval to revise it."""
    complaint = await capa.recall(session, principal, complaint_id=complaint_id,
                                  expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/tracking", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS))
async def track_complaint(complaint_id: ComplaintId, body: TrackingBody, session: SessionDep,
                          principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                          response: Response) -> ComplaintRead:
    """A progress record of the approved actions (跟踪记录); `completed` sends the
    complaint to verification."""
    complaint = await service.track(session, principal, complaint_id=complaint_id,
                                    note=body.note, completed=body.completed,
                                    expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/verification", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS))
async def verify_complaint(complaint_id: ComplaintId, body: VerificationBody,
                           session: SessionDep, principal: CurrentPrincipal,
                           if_match: IfMatch, now: Now, response: Response) -> ComplaintRead:
    """Quality's effectiveness report: effective, `verified` (feedback to the customer is
    next); not, back to `implementing`."""
    complaint = await service.verify(session, principal, complaint_id=complaint_id,
                                     data=body, expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/feedback", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS))
async def give_complaint_feedback(complaint_id: ComplaintId, body: FeedbackBody,
                                  session: SessionDep, principal: CurrentPrincipal,
                                  if_match: IfMatch, now: Now,
                                  response: Response) -> ComplaintRead:
    """What was done, fed back to the customer."""
    complaint = await service.give_feedback(session, principal, complaint_id=complaint_id,
                                            feedback=body.feedback, expected_version=if_match,
                                            now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/close", response_model=ComplaintRead,
             responses=errors_doc(*WRITE_ERRORS, SettlementRequired))
async def close_complaint(complaint_id: ComplaintId, body: ComplaintCloseBody,
                          session: SessionDep,
                          principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                          response: Response) -> ComplaintRead:
    """Close with the customer's satisfaction (1-5): the explanation accepted, a
    settlement agreed (`settlement` required), or the corrective actions fed back."""
    complaint = await service.close(session, principal, complaint_id=complaint_id,
                                    satisfaction=body.satisfaction, settlement=body.settlement,
                                    expected_version=if_match, now=now)
    return await _read(session, principal, complaint, now, response)


@router.post("/{complaint_id}/remedies", status_code=201, response_model=ComplaintRead,
             responses=errors_doc(ComplaintNotFound, ComplaintForbidden, StaleVersion,
                                  NotRemediable, RemedyTargetMissing, AlreadyRefunded,
                                  CreditExceedsBalance,
                                  NotCreditable, DeliveryForbidden, OrderClosed,
                                  UnknownDeliveryLine, ExceedsReturnable, DateInFuture))
async def record_complaint_remedy(complaint_id: ComplaintId, body: RemedyCreate,
                                  session: SessionDep, principal: CurrentPrincipal,
                                  if_match: IfMatch, now: Now,
                                  response: Response) -> ComplaintRead:
    """Record a remedy while a settlement is negotiated or the actions are implemented or
    verified: `repair`, `replacement`, `return` (a delivery return of the complaint's
    delivery, `lines` as for `POST /deliveries/{id}/returns`) or `refund` (a credit note of
    `amount` on `receivable_id`, default the receivable of the complaint's delivery; more
    than its balance is 409 `receivable.credit_exceeds_balance`)."""
    complaint = await remedies.record(session, principal, complaint_id=complaint_id, data=body,
                                      expected_version=if_match, now=now)
    response.headers["Location"] = f"/api/v1/complaints/{complaint.id}"
    return await _read(session, principal, complaint, now, response)
