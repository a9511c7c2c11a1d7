from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter
from app.contracts import approval as _registers_adapter  # noqa: F401
from app.contracts import exports, service
from app.contracts.errors import (
    AmendmentExists,
    BaseCurrencyRate,
    ContractForbidden,
    ContractLocked,
    ContractNotFound,
    NoTerminationPending,
    PaymentScheduleInvalid,
    QuoteAlreadyContracted,
    QuoteAlreadyOrdered,
    QuoteNotAccepted,
    TerminationPending,
    UnknownCustomer,
    UnknownProduct,
    UnknownQuote,
)
from app.contracts.models import Contract, ContractStatus
from app.contracts.schemas import (
    ContractCreate,
    ContractHistory,
    ContractLineRead,
    ContractPage,
    ContractRead,
    ContractUpdate,
    ContractVersionRead,
    SignBody,
    TerminationBody,
)
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import InvalidTransition, StaleVersion, UnprocessableEntity, errors_doc
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

router = APIRouter(prefix="/contracts", tags=["contracts"])
ContractId = Annotated[int, Path(ge=1), path_id(
    lambda n: ContractNotFound(f"No contract {n}."))]
WRITE_ERRORS = (ContractNotFound, ContractForbidden, StaleVersion)


async def _read_many(session: AsyncSession, principal: Principal, contracts: list[Contract],
                     now: datetime) -> list[ContractRead]:
    """Contracts with their lines, approval requests and the caller's allowed actions,
    loaded for the whole page at once (a fixed number of queries, whatever its size)."""
    lines = await service.lines_by_contract(
        session, [c.id for c in contracts if c.id is not None])  # all of them: loaded rows
    requests = await approval_reads(
        session, principal, [i for c in contracts
                             for i in (c.approval_request_id, c.termination_request_id)], now)
    reads = []
    for contract in contracts:
        assert contract.id is not None  # loaded from the database
        read = ContractRead.model_validate(contract)
        read.lines = [ContractLineRead.model_validate(line) for line in lines.get(contract.id, [])]
        read.approval = requests.get(contract.approval_request_id)
        read.termination_approval = requests.get(contract.termination_request_id)
        read.allowed_actions = service.allowed_actions(
            contract, principal, read.approval.allowed_actions if read.approval else [],
            read.termination_approval.allowed_actions if read.termination_approval else [])
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, contract: Contract, now: datetime,
                response: Response | None = None) -> ContractRead:
    [read] = await _read_many(session, principal, [contract], now)
    if response is not None:
        set_etag(response, contract.version)
    return read


@router.get("", response_model=ContractPage, responses=file_responses())
async def list_contracts(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    status: ContractStatus | None = None, customer_id: Id | None = None,
    number: NumberQuery = None, owner_id: OwnerQuery = None,
    department_id: DepartmentQuery = None, created_from: DayFromQuery = None,
    created_to: DayToQuery = None, signed_from: DayFromQuery = None,
    signed_to: DayToQuery = None, amount_from: AmountFromQuery = None,
    amount_to: AmountToQuery = None, q: SearchQuery = None, format: FormatQuery = None,
) -> ContractPage | StreamingResponse:
    """Contracts the caller may see, newest first unless sorted otherwise. `number` finds a
    contract by its number, with all its revisions (amendments keep the number); `amount_*`
    bound the total; `q` searches the number, the title and the customer's name. Every
    one of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[ContractRead]:
        listed = await service.list_contracts(
            session, principal, status=status, customer_id=customer_id, number=number,
            owner_id=owner_id, department_id=department_id, created_from=created_from,
            created_to=created_to, signed_from=signed_from, signed_to=signed_to,
            amount_from=amount_from, amount_to=amount_to, q=q, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.CONTRACTS.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return ContractPage(items=listed.items, next_cursor=listed.next_cursor,
                        total=listed.total)


@router.post("", status_code=201, response_model=ContractRead,
             responses=errors_doc(ContractForbidden, UnknownCustomer, UnknownProduct,
                                  AmountTooLarge, PaymentScheduleInvalid, BaseCurrencyRate,
                                  UnknownQuote, QuoteNotAccepted, QuoteAlreadyContracted,
                                  QuoteAlreadyOrdered))
async def create_contract(body: ContractCreate, session: SessionDep, principal: CurrentPrincipal,
                          now: Now, response: Response) -> ContractRead:
    """Draft a contract: directly (prices default to the price list, totals computed here), or
    from an accepted quote with `quote_id` (its customer, lines and currency). It gets the
    year's next contract number (`HT-2026-000123`)."""
    contract = await service.create(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/contracts/{contract.id}"
    return await _read(session, principal, contract, now, response)


@router.get("/{contract_id}", response_model=ContractRead, responses=errors_doc(ContractNotFound))
async def get_contract(contract_id: ContractId, session: SessionDep, principal: CurrentPrincipal,
                       now: Now, response: Response) -> ContractRead:
    contract = await service.get_visible(session, principal, contract_id)
    return await _read(session, principal, contract, now, response)


@router.patch("/{contract_id}", response_model=ContractRead,
              responses=errors_doc(*WRITE_ERRORS, ContractLocked, UnknownProduct,
                                   AmountTooLarge, PaymentScheduleInvalid, BaseCurrencyRate))
async def update_contract(contract_id: ContractId, body: ContractUpdate, session: SessionDep,
                          principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                          response: Response) -> ContractRead:
    """Edit a draft. Pending and approved contracts are locked (409 `contract.locked`)."""
    contract = await service.update(session, principal, contract_id=contract_id, data=body,
                                    expected_version=if_match)
    return await _read(session, principal, contract, now, response)


@router.post("/{contract_id}/submit", response_model=ContractRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, NoPolicyForDocument))
async def submit_contract(contract_id: ContractId, session: SessionDep,
                          principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                          response: Response) -> ContractRead:
    """Send a draft into approval; the response carries the approval request."""
    contract = await service.submit(session, principal, contract_id=contract_id,
                                    expected_version=if_match, now=now)
    return await _read(session, principal, contract, now, response)


@router.post("/{contract_id}/recall", response_model=ContractRead,
             responses=errors_doc(ContractNotFound, InvalidTransition, NotSubmitter))
async def recall_contract(contract_id: ContractId, session: SessionDep,
                          principal: CurrentPrincipal, now: Now, if_match: IfMatch,
                          response: Response) -> ContractRead:
    """The submitter takes a pending contract back to draft."""
    contract = await service.recall(session, principal, contract_id=contract_id, now=now,
        expected_version=if_match)
    return await _read(session, principal, contract, now, response)


@router.post("/{contract_id}/sign", response_model=ContractRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, UnprocessableEntity))
async def sign_contract(contract_id: ContractId, body: SignBody, session: SessionDep,
                        principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                        response: Response) -> ContractRead:
    """Record the signing of an approved contract: it becomes effective."""
    contract = await service.sign(session, principal, contract_id=contract_id, data=body,
                                  expected_version=if_match, now=now)
    return await _read(session, principal, contract, now, response)


@router.post("/{contract_id}/amendments", status_code=201, response_model=ContractRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, AmendmentExists,
                                  TerminationPending))
async def amend_contract(contract_id: ContractId, session: SessionDep,
                         principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                         response: Response) -> ContractRead:
    """Start an amendment (合同变更): revision n+1 of a signed contract, as a draft. It is
    approved on its new total (legal always reviews); signing it voids revision n."""
    amendment = await service.amend(session, principal, contract_id=contract_id,
                                    expected_version=if_match)
    response.headers["Location"] = f"/api/v1/contracts/{amendment.id}"
    return await _read(session, principal, amendment, now, response)


@router.get("/{contract_id}/versions", response_model=ContractHistory,
            responses=errors_doc(ContractNotFound))
async def list_contract_versions(contract_id: ContractId, session: SessionDep,
                                 principal: CurrentPrincipal) -> ContractHistory:
    """Every revision of this contract, oldest first, with void dates and successors."""
    versions = await service.history(session, principal, contract_id=contract_id)
    assert versions[0].root_id is not None  # set when the first revision is created
    return ContractHistory(root_id=versions[0].root_id, number=versions[0].number,
                           versions=[ContractVersionRead.model_validate(v) for v in versions])


@router.post("/{contract_id}/termination", response_model=ContractRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, TerminationPending,
                                  NoPolicyForDocument))
async def terminate_contract(contract_id: ContractId, body: TerminationBody, session: SessionDep,
                             principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                             response: Response) -> ContractRead:
    """Ask to terminate (合同解除) a signed contract; it ends when the termination is approved."""
    contract = await service.request_termination(session, principal, contract_id=contract_id,
                                                 reason=body.reason, expected_version=if_match,
                                                 now=now)
    return await _read(session, principal, contract, now, response)


@router.post("/{contract_id}/termination/recall", response_model=ContractRead,
             responses=errors_doc(ContractNotFound, NoTerminationPending, NotSubmitter))
async def recall_termination(contract_id: ContractId, session: SessionDep,
                             principal: CurrentPrincipal, now: Now,
                             if_match: IfMatch, response: Response) -> ContractRead:
    """The requester withdraws a pending termination; the contract stays in force."""
    contract = await service.recall_termination(session, principal, contract_id=contract_id,
                                                now=now,
        expected_version=if_match)
    return await _read(session, principal, contract, now, response)
