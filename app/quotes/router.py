from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter
from app.calendar.working_time import local_date
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
from app.core.numbering import NumberQuery
from app.core.pagination import Listed, ListRequest
from app.core.pricing import AmountTooLarge
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.quotes import approval as _registers_adapter  # noqa: F401
from app.quotes import exports, service
from app.quotes.errors import (
    BaseCurrencyRate,
    LinesRequired,
    OpportunityMismatch,
    QuoteExpired,
    QuoteForbidden,
    QuoteLocked,
    QuoteNotFound,
    UnknownCustomer,
    UnknownProduct,
    ValidityInPast,
)
from app.quotes.models import Quote, QuoteStatus
from app.quotes.schemas import (
    DeclineBody,
    QuoteCreate,
    QuoteHistory,
    QuoteLineRead,
    QuotePage,
    QuoteRead,
    QuoteUpdate,
    QuoteVersionRead,
)
from app.quotes.states import status_on

router = APIRouter(prefix="/quotes", tags=["quotes"])
QuoteId = Annotated[int, Path(ge=1), path_id(lambda n: QuoteNotFound(f"No quote {n}."))]
WRITE_ERRORS = (QuoteNotFound, QuoteForbidden, StaleVersion)


async def _read_many(session: AsyncSession, principal: Principal, quotes: list[Quote],
                     now: datetime) -> list[QuoteRead]:
    """Quotes with lines, approval requests, contracts and the caller's allowed actions,
    loaded for the whole page at once."""
    ids = [q.id for q in quotes if q.id is not None]  # all of them: loaded rows
    lines = await service.lines_by_quote(session, ids)
    contracts = await service.contract_ids(session, ids)
    approvals = await approval_reads(session, principal, [q.approval_request_id for q in quotes],
                                     now)
    today = local_date(now)
    reads = []
    for quote in quotes:
        assert quote.id is not None  # loaded from the database
        read = QuoteRead.model_validate(quote)
        read.status = status_on(quote, today)
        read.lines = [QuoteLineRead.model_validate(line) for line in lines.get(quote.id, [])]
        read.contract_id = contracts.get(quote.id)
        read.approval = approvals.get(quote.approval_request_id)
        read.allowed_actions = service.allowed_actions(
            quote, principal, read.approval.allowed_actions if read.approval else [],
            today=today, has_contract=read.contract_id is not None)
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, quote: Quote, now: datetime,
                response: Response) -> QuoteRead:
    [read] = await _read_many(session, principal, [quote], now)
    set_etag(response, quote.version)
    return read


@router.get("", response_model=QuotePage, responses=file_responses())
async def list_quotes(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    status: Annotated[QuoteStatus | None, Query(
        description="As of today: `expired` includes sent quotes past their validity")] = None,
    customer_id: Id | None = None,
    opportunity_id: Id | None = None,
    owner_id: OwnerQuery = None, number: NumberQuery = None,
    department_id: DepartmentQuery = None, created_from: DayFromQuery = None,
    created_to: DayToQuery = None, amount_from: AmountFromQuery = None,
    amount_to: AmountToQuery = None, q: SearchQuery = None,
    format: FormatQuery = None,
) -> QuotePage | StreamingResponse:
    """Quotes the caller may see, newest first unless sorted otherwise. `number` finds a
    quote by its number, with all its revisions (a revision keeps the number); `amount_*`
    bound the total; `q` searches the number, the title and the customer's name. Every one of
    them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[QuoteRead]:
        listed = await service.list_quotes(
            session, principal, status=status, customer_id=customer_id,
            opportunity_id=opportunity_id, owner_id=owner_id, number=number, now=now,
            department_id=department_id, created_from=created_from, created_to=created_to,
            amount_from=amount_from, amount_to=amount_to, q=q, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.QUOTES.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return QuotePage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=QuoteRead,
             responses=errors_doc(QuoteForbidden, UnknownCustomer, UnknownProduct,
                                  AmountTooLarge, OpportunityMismatch, BaseCurrencyRate,
                                  ValidityInPast))
async def create_quote(body: QuoteCreate, session: SessionDep, principal: CurrentPrincipal,
                       now: Now, response: Response) -> QuoteRead:
    """Draft a quote. Unit prices default to the list price; totals are computed here in
    Decimal, half-up to 0.01 per line. It gets the year's next quote number
    (`BJ-2026-000001`)."""
    quote = await service.create(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/quotes/{quote.id}"
    return await _read(session, principal, quote, now, response)


@router.get("/{quote_id}", response_model=QuoteRead, responses=errors_doc(QuoteNotFound))
async def get_quote(quote_id: QuoteId, session: SessionDep, principal: CurrentPrincipal,
                    now: Now, response: Response) -> QuoteRead:
    quote = await service.get_visible(session, principal, quote_id)
    return await _read(session, principal, quote, now, response)


@router.patch("/{quote_id}", response_model=QuoteRead,
              responses=errors_doc(*WRITE_ERRORS, QuoteLocked, UnknownProduct, LinesRequired,
                                   AmountTooLarge, BaseCurrencyRate, ValidityInPast))
async def update_quote(quote_id: QuoteId, body: QuoteUpdate, session: SessionDep,
                       principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                       response: Response) -> QuoteRead:
    """Edit a draft. Submitted quotes are locked (409 `quote.locked`): revise instead."""
    quote = await service.update(session, principal, quote_id=quote_id, data=body,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, quote, now, response)


@router.post("/{quote_id}/submit", response_model=QuoteRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, QuoteExpired,
                                  NoPolicyForDocument))
async def submit_quote(quote_id: QuoteId, session: SessionDep, principal: CurrentPrincipal,
                       if_match: IfMatch, now: Now, response: Response) -> QuoteRead:
    """Submit for discount approval. Within the rep's authority (≤ 5 % by default) it is
    approved at once; otherwise the discount band's approver, or the GM for a line below its
    floor price, decides. The response carries the approval request and its fired rules."""
    quote = await service.submit(session, principal, quote_id=quote_id,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, quote, now, response)


@router.post("/{quote_id}/recall", response_model=QuoteRead,
             responses=errors_doc(QuoteNotFound, InvalidTransition, NotSubmitter))
async def recall_quote(quote_id: QuoteId, session: SessionDep, principal: CurrentPrincipal,
                       now: Now, if_match: IfMatch, response: Response) -> QuoteRead:
    """The submitter takes a pending quote back to draft."""
    quote = await service.recall(session, principal, quote_id=quote_id, now=now,
        expected_version=if_match)
    return await _read(session, principal, quote, now, response)


@router.post("/{quote_id}/send", response_model=QuoteRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, QuoteExpired))
async def send_quote(quote_id: QuoteId, session: SessionDep, principal: CurrentPrincipal,
                     if_match: IfMatch, now: Now, response: Response) -> QuoteRead:
    """Record that the approved quote went to the customer."""
    quote = await service.send(session, principal, quote_id=quote_id, expected_version=if_match,
                               now=now)
    return await _read(session, principal, quote, now, response)


@router.post("/{quote_id}/accept", response_model=QuoteRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, QuoteExpired))
async def accept_quote(quote_id: QuoteId, session: SessionDep, principal: CurrentPrincipal,
                       if_match: IfMatch, now: Now, response: Response) -> QuoteRead:
    """Record the customer's acceptance of a sent quote within its validity; a contract can
    then be drafted from it (`POST /contracts` with `quote_id`)."""
    quote = await service.accept(session, principal, quote_id=quote_id,
                                 expected_version=if_match, now=now)
    return await _read(session, principal, quote, now, response)


@router.post("/{quote_id}/decline", response_model=QuoteRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, QuoteExpired))
async def decline_quote(quote_id: QuoteId, body: DeclineBody, session: SessionDep,
                        principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                        response: Response) -> QuoteRead:
    """Record the customer's refusal, with the reason."""
    quote = await service.decline(session, principal, quote_id=quote_id, reason=body.reason,
                                  expected_version=if_match, now=now)
    return await _read(session, principal, quote, now, response)


@router.post("/{quote_id}/revise", status_code=201, response_model=QuoteRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition))
async def revise_quote(quote_id: QuoteId, session: SessionDep, principal: CurrentPrincipal,
                       if_match: IfMatch, now: Now, response: Response) -> QuoteRead:
    """Revise an approved, sent, declined or expired quote into version n+1: a draft with
    the same lines, approved anew. Version n is superseded."""
    revision = await service.revise(session, principal, quote_id=quote_id,
                                    expected_version=if_match, now=now)
    response.headers["Location"] = f"/api/v1/quotes/{revision.id}"
    return await _read(session, principal, revision, now, response)


@router.get("/{quote_id}/versions", response_model=QuoteHistory,
            responses=errors_doc(QuoteNotFound))
async def list_quote_versions(quote_id: QuoteId, session: SessionDep,
                              principal: CurrentPrincipal, now: Now) -> QuoteHistory:
    """Every version of this quote, oldest first, each linked to the next."""
    versions = await service.history(session, principal, quote_id=quote_id)
    today = local_date(now)
    assert versions[0].root_id is not None  # set when the first version is created
    return QuoteHistory(root_id=versions[0].root_id, number=versions[0].number,
                        versions=[QuoteVersionRead.model_validate(v).model_copy(
                            update={"status": status_on(v, today)}) for v in versions])
