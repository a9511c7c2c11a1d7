from datetime import date, datetime
from decimal import Decimal
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
    AMOUNT_MAX,
    AmountFromQuery,
    AmountToQuery,
    DepartmentQuery,
    OwnerQuery,
)
from app.core.ids import Id, path_id
from app.core.numbering import NumberQuery
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.receivables import approval as write_offs
from app.receivables import credits, exports, issuance, payments, service
from app.receivables.errors import (
    AllocationMismatch,
    ContractNotSigned,
    CreditExceedsBalance,
    DateInFuture,
    MilestoneAlreadyInvoiced,
    MilestoneInvoicedByShipments,
    MixedPayers,
    NotCreditable,
    NothingOwed,
    NotPayable,
    NotWriteOffable,
    Overpayment,
    PaymentNotFound,
    ReceivableForbidden,
    ReceivableNotFound,
    ReferenceReused,
    UnknownContract,
    UnknownMilestone,
    UnknownReceivable,
)
from app.receivables.models import Payment, Receivable, ReceivableStatus
from app.receivables.schemas import (
    AllocationRead,
    CreditIn,
    DunningCreate,
    DunningEntryRead,
    MilestoneReceivableCreate,
    PaymentCreate,
    PaymentIn,
    PaymentPage,
    PaymentRead,
    ReceivableCreditRead,
    ReceivablePage,
    ReceivableRead,
    WriteOffBody,
)

router = APIRouter(prefix="/receivables", tags=["receivables"])
payments_router = APIRouter(prefix="/payments", tags=["receivables"])
ReceivableId = Annotated[int, Path(ge=1), path_id(
    lambda n: ReceivableNotFound(f"No receivable {n}."))]
PaymentId = Annotated[int, Path(ge=1), path_id(lambda n: PaymentNotFound(f"No payment {n}."))]
REPLAYED = "The payer's reference names an earlier payment of this amount: that payment"
WRITE_ERRORS = (ReceivableNotFound, ReceivableForbidden, StaleVersion)
PAYMENT_ERRORS = (ReceivableForbidden, NotPayable, Overpayment, ReferenceReused, MixedPayers,
                  DateInFuture)


async def _read_many(session: AsyncSession, principal: Principal,
                     receivables: list[Receivable], now: datetime, *,
                     detail: bool = False) -> list[ReceivableRead]:
    """Receivables with what today derives (overdue, days, the next step), their write-off
    requests and the caller's actions; a single read also lists payments, dunning and
    credit notes."""
    today = local_date(now)
    requests = await approval_reads(session, principal,
                                    [r.approval_request_id for r in receivables], now)
    reads = []
    for receivable in receivables:
        assert receivable.id is not None  # loaded from the database
        read = ReceivableRead.model_validate(receivable)
        read.days_overdue = service.days_overdue(receivable, today)
        read.overdue = read.days_overdue > 0
        read.suggested_action = service.suggested_action(read.days_overdue)
        read.approval = requests.get(receivable.approval_request_id)
        read.allowed_actions = service.allowed_actions(
            receivable, principal, read.approval.allowed_actions if read.approval else [])
        if detail:
            read.payments = [AllocationRead.model_validate(a) for a in
                             await service.allocations_of(session, receivable.id)]
            read.dunning = [DunningEntryRead.model_validate(d) for d in
                            await service.dunning_of(session, receivable.id)]
            read.credits = [ReceivableCreditRead.model_validate(c) for c in
                            await credits.credits_of(session, receivable.id)]
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, receivable: Receivable,
                now: datetime, response: Response) -> ReceivableRead:
    [read] = await _read_many(session, principal, [receivable], now, detail=True)
    set_etag(response, receivable.version)
    return read


async def _payment_reads(session: AsyncSession, items: list[Payment]) -> list[PaymentRead]:
    allocations = await payments.allocations_by_payment(
        session, [p.id for p in items if p.id is not None])
    reads = []
    for payment in items:
        read = PaymentRead.model_validate(payment)
        read.allocations = [AllocationRead.model_validate(a)
                            for a in allocations.get(payment.id or 0, [])]
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _payment_answer(session: AsyncSession, payment: Payment, created: bool,
                          response: Response) -> PaymentRead:
    # A new payment is 201; the payer's reference naming an earlier one answers it, 200.
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/payments/{payment.id}"
    [read] = await _payment_reads(session, [payment])
    return read


@router.get("", response_model=ReceivablePage, responses=file_responses())
async def list_receivables(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    status: ReceivableStatus | None = None, customer_id: Id | None = None,
    contract_id: Id | None = None, order_id: Id | None = None,
    owner_id: OwnerQuery = None, department_id: DepartmentQuery = None,
    overdue: Annotated[bool | None, Query(
        description="true: still owed and past due today; false: the others")] = None,
    due_from: Annotated[date | None, Query(description="Due on or after")] = None,
    due_to: Annotated[date | None, Query(description="Due on or before")] = None,
    number: NumberQuery = None, amount_from: AmountFromQuery = None,
    amount_to: AmountToQuery = None,
    balance_from: Annotated[Decimal | None, Query(
        ge=0, le=AMOUNT_MAX, decimal_places=2, description="Smallest balance, inclusive")] = None,
    balance_to: Annotated[Decimal | None, Query(
        ge=0, le=AMOUNT_MAX, decimal_places=2, description="Largest balance, inclusive")] = None,
    format: FormatQuery = None,
) -> ReceivablePage | StreamingResponse:
    """Receivables the caller may see, newest first: a rep their own, a head their
    department, a deputy GM the departments they oversee; the GM, finance and the ERP all.
    Every one of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[ReceivableRead]:
        listed = await service.list_receivables(
            session, principal, today=local_date(now), status=status,
            customer_id=customer_id, contract_id=contract_id, order_id=order_id,
            owner_id=owner_id, department_id=department_id, overdue=overdue,
            due_from=due_from, due_to=due_to, number=number, amount_from=amount_from,
            amount_to=amount_to, balance_from=balance_from, balance_to=balance_to,
            page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.RECEIVABLES.file(request, format, page=page, now=now,
                                          page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return ReceivablePage(items=listed.items, next_cursor=listed.next_cursor,
                          total=listed.total)


@router.post("", status_code=201, response_model=ReceivableRead,
             responses=errors_doc(ReceivableForbidden, UnknownContract, UnknownMilestone,
                                  ContractNotSigned, MilestoneInvoicedByShipments,
                                  MilestoneAlreadyInvoiced, DateInFuture))
async def create_receivable(body: MilestoneReceivableCreate, session: SessionDep,
                            principal: CurrentPrincipal, now: Now,
                            response: Response) -> ReceivableRead:
    """Finance invoices a signed contract's payment milestone (prepayment, acceptance,
    retention ...), once: percent × the contract's total, due the milestone's `due_days`
    after the invoice date. On-delivery milestones are invoiced by the shipments (409)."""
    receivable = await issuance.issue_milestone(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/receivables/{receivable.id}"
    return await _read(session, principal, receivable, now, response)


@router.get("/{receivable_id}", response_model=ReceivableRead,
            responses=errors_doc(ReceivableNotFound))
async def get_receivable(receivable_id: ReceivableId, session: SessionDep,
                         principal: CurrentPrincipal, now: Now,
                         response: Response) -> ReceivableRead:
    """A receivable with its payments, its collection actions, how many days it is overdue
    and the collection step suggested today."""
    receivable = await service.get_visible(session, principal, receivable_id)
    return await _read(session, principal, receivable, now, response)


@router.post("/{receivable_id}/payments", status_code=201, response_model=PaymentRead,
             responses={200: {"model": PaymentRead, "description": REPLAYED},
                        **errors_doc(*WRITE_ERRORS, *PAYMENT_ERRORS)})
async def record_receivable_payment(receivable_id: ReceivableId, body: PaymentIn,
                                    session: SessionDep, principal: CurrentPrincipal,
                                    if_match: IfMatch, now: Now,
                                    response: Response) -> PaymentRead:
    """Money received against this receivable (finance, or the bank/ERP feed): never more
    than its balance (409 `receivable.overpayment`). The payer's reference identifies the
    payment: sent again with the same amount it answers the first payment (200) and adds
    no money; with another amount it is a conflict (409)."""
    payment, created = await payments.pay_receivable(
        session, principal, receivable_id=receivable_id, data=body,
        expected_version=if_match, now=now)
    return await _payment_answer(session, payment, created, response)


@router.post("/{receivable_id}/dunning", response_model=ReceivableRead,
             responses=errors_doc(*WRITE_ERRORS, NothingOwed))
async def record_receivable_dunning(receivable_id: ReceivableId, body: DunningCreate,
                                    session: SessionDep, principal: CurrentPrincipal,
                                    if_match: IfMatch, now: Now,
                                    response: Response) -> ReceivableRead:
    """Log a collection action (reminder_letter → visit → legal) on a receivable still
    owed, with the customer's promised payment date if any."""
    receivable = await service.record_dunning(session, principal, receivable_id=receivable_id,
                                              data=body, expected_version=if_match, now=now)
    return await _read(session, principal, receivable, now, response)


@router.post("/{receivable_id}/write-off", response_model=ReceivableRead,
             responses=errors_doc(*WRITE_ERRORS, NotWriteOffable, InvalidTransition,
                                  NoPolicyForDocument))
async def request_receivable_write_off(receivable_id: ReceivableId, body: WriteOffBody,
                                       session: SessionDep, principal: CurrentPrincipal,
                                       if_match: IfMatch, now: Now,
                                       response: Response) -> ReceivableRead:
    """Finance asks to write off an open or partly paid receivable's balance (坏账核销):
    it is `pending_write_off` while finance and then the GM decide; approved, it is
    `written_off` and leaves the customer's exposure; rejected, it is owed again."""
    receivable = await write_offs.request_write_off(
        session, principal, receivable_id=receivable_id, reason=body.reason,
        expected_version=if_match, now=now)
    return await _read(session, principal, receivable, now, response)


@router.post("/{receivable_id}/write-off/recall", response_model=ReceivableRead,
             responses=errors_doc(ReceivableNotFound, InvalidTransition, NotSubmitter,
                                  StaleVersion))
async def recall_receivable_write_off(receivable_id: ReceivableId, session: SessionDep,
                                      principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                      response: Response) -> ReceivableRead:
    """The requester withdraws a write-off still in approval; the receivable is owed again."""
    receivable = await write_offs.recall_write_off(session, principal,
                                                   receivable_id=receivable_id, now=now,
                                                   expected_version=if_match)
    return await _read(session, principal, receivable, now, response)


@router.post("/{receivable_id}/credits", response_model=ReceivableRead,
             responses=errors_doc(*WRITE_ERRORS, NotCreditable, CreditExceedsBalance))
async def credit_receivable(receivable_id: ReceivableId, body: CreditIn, session: SessionDep,
                            principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                            response: Response) -> ReceivableRead:
    """Finance takes part of an open or partly paid receivable off by hand (a credit note,
    红字冲销, of source `adjustment`), with the reason: never more than the balance (409
    `receivable.credit_exceeds_balance`). Its exposure follows; credited to zero, the
    receivable is paid. The answer is the receivable with its credit notes."""
    receivable = await credits.credit_by_hand(
        session, principal, receivable_id=receivable_id, amount=body.amount,
        reason=body.reason, expected_version=if_match, now=now)
    return await _read(session, principal, receivable, now, response)


@payments_router.get("", response_model=PaymentPage, responses=file_responses())
async def list_payments(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(payments.SORTS.request)],
    customer_id: Id | None = None,
    external_reference: Annotated[str | None, Query(max_length=100)] = None,
    received_from: date | None = None, received_to: date | None = None,
    owner_id: OwnerQuery = None, department_id: DepartmentQuery = None,
    amount_from: AmountFromQuery = None, amount_to: AmountToQuery = None,
    format: FormatQuery = None,
) -> PaymentPage | StreamingResponse:
    """Payments the caller may see (as the receivables they settle), newest first unless
    sorted otherwise. Every one of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[PaymentRead]:
        listed = await payments.list_payments(
            session, principal, customer_id=customer_id,
            external_reference=external_reference, received_from=received_from,
            received_to=received_to, owner_id=owner_id, department_id=department_id,
            amount_from=amount_from, amount_to=amount_to, page=wanted)
        return Listed(await _payment_reads(session, listed.items), listed.next_cursor,
                      listed.total)

    file = await exports.PAYMENTS.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return PaymentPage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@payments_router.post("", status_code=201, response_model=PaymentRead,
                      responses={200: {"model": PaymentRead, "description": REPLAYED},
                                 **errors_doc(*PAYMENT_ERRORS, AllocationMismatch,
                                              UnknownReceivable)})
async def create_payment(body: PaymentCreate, session: SessionDep,
                         principal: CurrentPrincipal, now: Now,
                         response: Response) -> PaymentRead:
    """Money received from one customer, allocated across several of its receivables (the
    lines add up to the amount; none above its receivable's balance). The payer's
    reference identifies it, as on a single receivable's payments."""
    payment, created = await payments.record(session, principal, data=body, now=now)
    return await _payment_answer(session, payment, created, response)


@payments_router.get("/{payment_id}", response_model=PaymentRead,
                     responses=errors_doc(PaymentNotFound))
async def get_payment(payment_id: PaymentId, session: SessionDep,
                      principal: CurrentPrincipal) -> PaymentRead:
    [read] = await _payment_reads(session, [await payments.get_visible(session, principal,
                                                                       payment_id)])
    return read
