from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import Forbidden, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.filters import (
    DayFromQuery,
    DayToQuery,
    DepartmentQuery,
    OwnerQuery,
)
from app.core.ids import path_id
from app.core.imports import (
    DryRunQuery,
    ImportReport,
    ImportRowsInvalid,
    ImportTooManyRows,
    ImportUnknownColumns,
    ImportUnreadable,
    UploadParam,
    read_sheet,
)
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal
from app.core.versioning import IfMatch, set_etag
from app.customers import exports, imports, service
from app.customers.errors import (
    CreditTermsForbidden,
    CustomerInUse,
    CustomerNotFound,
    DuplicateCreditCode,
    OwnerRequired,
    OwnershipForbidden,
    UnknownDepartment,
)
from app.customers.models import CreditRating, Customer
from app.customers.schemas import (
    CustomerCreate,
    CustomerCreated,
    CustomerDuplicate,
    CustomerDuplicates,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
)

router = APIRouter(prefix="/customers", tags=["customers"])
CustomerId = Annotated[int, Path(ge=1), path_id(
    lambda n: CustomerNotFound(f"No customer {n}."))]


@router.get("", response_model=CustomerPage, responses=file_responses())
async def list_customers(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    owner_id: OwnerQuery = None, department_id: DepartmentQuery = None,
    created_from: DayFromQuery = None, created_to: DayToQuery = None,
    credit_rating: CreditRating | None = None, is_key_customer: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description=(
        "Search in the name; a whole credit code, phone number (any usual form) or e-mail "
        "address also finds the customer it belongs to"))] = None,
    format: FormatQuery = None,
) -> CustomerPage | StreamingResponse:
    """Customers the caller may see (own, department, overseen departments or all), newest
    first unless sorted otherwise; every one of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[CustomerRead]:
        listed = await service.list_customers(
            session, principal, owner_id=owner_id, department_id=department_id,
            credit_rating=credit_rating, is_key_customer=is_key_customer, q=q,
            created_from=created_from, created_to=created_to, page=wanted)
        reads = [CustomerRead.model_validate(c) for c in listed.items]
        await with_names(session, reads)
        return Listed(reads, listed.next_cursor, listed.total)

    file = await exports.CUSTOMERS.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return CustomerPage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=CustomerCreated,
             responses=errors_doc(Forbidden, CreditTermsForbidden, OwnershipForbidden,
                                  OwnerRequired, UnknownDepartment, DuplicateCreditCode))
async def create_customer(
    body: CustomerCreate, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> CustomerCreated:
    """Register a customer. Credit terms are finance's to set; a rep owns what they create.
    Contact phones are stored in E.164 and e-mails in lower case. Customers with the same
    name (without its legal form), contact phone or e-mail come back in `duplicates`; the
    customer is created either way (only a taken credit code is refused, 409)."""
    customer, duplicates = await service.create(session, principal, data=body)
    set_etag(response, customer.version)
    response.headers["Location"] = f"/api/v1/customers/{customer.id}"
    created = CustomerCreated.model_validate(customer)
    created.duplicates = [CustomerDuplicate.model_validate(d, from_attributes=True)
                          for d in duplicates]
    await with_names(session, [created])
    return created


@router.post("/import", response_model=ImportReport,
             responses=errors_doc(Forbidden, ImportUnreadable, ImportUnknownColumns,
                                  ImportTooManyRows, ImportRowsInvalid))
async def import_customers(
    file: UploadParam, session: SessionDep, principal: CurrentPrincipal,
    dry_run: DryRunQuery = False,
) -> ImportReport:
    """Customers from an XLSX or CSV file, one per row, each checked as a single create
    would be (the same fields, rules and role gate). All or nothing: when any row fails,
    nothing is imported and 422 `import.rows_invalid` lists each failure (`row_errors`);
    `dry_run=true` reports the same without writing. Likely duplicates are warnings."""
    rows = read_sheet(await file.read(), imports.COLUMNS)
    return await imports.import_customers(session, principal, rows=rows, dry_run=dry_run)


async def _read(session: AsyncSession, customer: Customer, response: Response) -> CustomerRead:
    set_etag(response, customer.version)
    read = CustomerRead.model_validate(customer)
    await with_names(session, [read])
    return read


@router.get("/{customer_id}", response_model=CustomerRead, responses=errors_doc(CustomerNotFound))
async def get_customer(
    customer_id: CustomerId, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> CustomerRead:
    customer = await service.get_visible(session, principal, customer_id)
    return await _read(session, customer, response)


@router.get("/{customer_id}/duplicates", response_model=CustomerDuplicates,
            responses=errors_doc(CustomerNotFound))
async def list_customer_duplicates(
    customer_id: CustomerId, session: SessionDep, principal: CurrentPrincipal
) -> CustomerDuplicates:
    """Other customers with the same name (without its legal form), contact phone or
    e-mail, as of now, newest first; each may belong to someone the caller cannot see, so
    only its id, owner, department and age are shown."""
    duplicates = await service.duplicates_of(session, principal, customer_id=customer_id)
    return CustomerDuplicates(items=[CustomerDuplicate.model_validate(d, from_attributes=True)
                                     for d in duplicates])


@router.patch("/{customer_id}", response_model=CustomerRead,
              responses=errors_doc(Forbidden, CreditTermsForbidden, OwnershipForbidden,
                                   CustomerNotFound, UnknownDepartment, DuplicateCreditCode,
                                   StaleVersion))
async def update_customer(
    customer_id: CustomerId, body: CustomerUpdate, session: SessionDep,
    principal: CurrentPrincipal, if_match: IfMatch, response: Response,
) -> CustomerRead:
    """Edit a customer; reassigning needs a head, deputy GM, GM or admin."""
    customer = await service.update(session, principal, customer_id=customer_id, data=body,
                                    expected_version=if_match)
    return await _read(session, customer, response)


@router.delete("/{customer_id}", status_code=204,
               responses=errors_doc(Forbidden, CustomerNotFound, CustomerInUse, StaleVersion))
async def delete_customer(
    customer_id: CustomerId, session: SessionDep, principal: CurrentPrincipal, if_match: IfMatch
) -> None:
    """Delete a customer with no documents (admin)."""
    await service.delete(session, principal, customer_id=customer_id, expected_version=if_match)
