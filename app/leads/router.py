from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import Forbidden, InvalidTransition, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
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
from app.core.schemas import FIRST_DAY, LAST_DAY
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.customers.errors import DuplicateCreditCode, OwnershipForbidden
from app.leads import exports, flows, imports, service
from app.leads.errors import (
    AssignmentForbidden,
    ContactRequired,
    CustomerOwnedByAnother,
    DepartmentRequired,
    LeadClosed,
    LeadForbidden,
    LeadNotFound,
    LeadUnassigned,
    UnknownCustomer,
    UnknownDepartment,
)
from app.leads.models import Lead, LeadSource, LeadStatus
from app.leads.schemas import (
    AssignBody,
    DisqualifyBody,
    LeadConvert,
    LeadCreate,
    LeadCreated,
    LeadDuplicate,
    LeadDuplicates,
    LeadPage,
    LeadRead,
    LeadUpdate,
)

router = APIRouter(prefix="/leads", tags=["leads"])
LeadId = Annotated[int, Path(ge=1), path_id(lambda n: LeadNotFound(f"No lead {n}."))]
WRITE_ERRORS = (LeadNotFound, LeadForbidden, StaleVersion)


async def _read_many(session: AsyncSession, principal: Principal,
                     leads: list[Lead]) -> list[LeadRead]:
    opportunities = await service.opportunity_ids(session, leads)
    reads = []
    for lead in leads:
        read = LeadRead.model_validate(lead)
        read.opportunity_id = opportunities.get(read.id)
        read.allowed_actions = service.allowed_actions(lead, principal)
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, lead: Lead,
                response: Response) -> LeadRead:
    [read] = await _read_many(session, principal, [lead])
    set_etag(response, lead.version)
    return read


@router.get("", response_model=LeadPage, responses=file_responses())
async def list_leads(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    status: LeadStatus | None = None,
    owner_id: Annotated[str | None, Query(max_length=128)] = None,
    unassigned: Annotated[bool | None, Query(
        description="true: only leads waiting in a department's pool")] = None,
    department_id: Annotated[str | None, Query(max_length=32)] = None,
    source: LeadSource | None = None,
    created_from: Annotated[date | None, Query(
        ge=FIRST_DAY, le=LAST_DAY, description="First day, inclusive")] = None,
    created_to: Annotated[date | None, Query(
        ge=FIRST_DAY, le=LAST_DAY, description="Last day, inclusive")] = None,
    possible_duplicate: bool | None = None,
    q: Annotated[str | None, Query(max_length=100,
                                   description="Search in the company and contact")] = None,
    format: FormatQuery = None,
) -> LeadPage | StreamingResponse:
    """Leads the caller may see, newest first. Days are the company's calendar days. Every
    one of them as CSV or XLSX with `format`, under the headers the import reads."""

    async def page_of(wanted: ListRequest) -> Listed[LeadRead]:
        listed = await service.list_leads(
            session, principal, status=status, owner_id=owner_id, unassigned=unassigned,
            department_id=department_id, source=source, created_from=created_from,
            created_to=created_to, possible_duplicate=possible_duplicate, q=q, page=wanted)
        return Listed(await _read_many(session, principal, listed.items),
                      listed.next_cursor, listed.total)

    file = await exports.LEADS.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return LeadPage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=LeadCreated,
             responses=errors_doc(Forbidden, AssignmentForbidden, DepartmentRequired,
                                  UnknownDepartment, ContactRequired))
async def create_lead(body: LeadCreate, session: SessionDep, principal: CurrentPrincipal,
                      response: Response) -> LeadCreated:
    """Capture a lead (reps, heads, the integration account for web forms). Phone and
    e-mail are normalised; leads with the same phone, e-mail or company come back in
    `duplicates` and the lead is flagged `possible_duplicate`: it is created either way."""
    lead, duplicates = await service.create(session, principal, data=body)
    response.headers["Location"] = f"/api/v1/leads/{lead.id}"
    set_etag(response, lead.version)
    # A new lead has no opportunity yet: nothing more to load.
    created = LeadCreated.model_validate(lead)
    created.allowed_actions = service.allowed_actions(lead, principal)
    created.duplicates = [LeadDuplicate.model_validate(d, from_attributes=True)
                          for d in duplicates]
    return created


@router.post("/import", response_model=ImportReport,
             responses=errors_doc(Forbidden, ImportUnreadable, ImportUnknownColumns,
                                  ImportTooManyRows, ImportRowsInvalid))
async def import_leads(
    file: UploadParam, session: SessionDep, principal: CurrentPrincipal,
    dry_run: DryRunQuery = False,
) -> ImportReport:
    """Leads from an XLSX or CSV file, one per row, each checked as a single create would
    be. `source` takes the code or its name (网站, 展会, 转介绍, 电话, 社交媒体, 其他). All
    or nothing: when any row fails, nothing is imported and 422 `import.rows_invalid` lists
    each failure (`row_errors`); `dry_run=true` reports the same without writing. Likely
    duplicates (of earlier leads or of rows above) are warnings."""
    rows = read_sheet(await file.read(), imports.COLUMNS)
    return await imports.import_leads(session, principal, rows=rows, dry_run=dry_run)


@router.get("/{lead_id}", response_model=LeadRead, responses=errors_doc(LeadNotFound))
async def get_lead(lead_id: LeadId, session: SessionDep, principal: CurrentPrincipal,
                   response: Response) -> LeadRead:
    lead = await service.get_visible(session, principal, lead_id)
    return await _read(session, principal, lead, response)


@router.get("/{lead_id}/duplicates", response_model=LeadDuplicates,
            responses=errors_doc(LeadNotFound))
async def list_lead_duplicates(lead_id: LeadId, session: SessionDep,
                               principal: CurrentPrincipal) -> LeadDuplicates:
    """Other leads with the same normalised phone, e-mail or company, as of now."""
    duplicates = await service.duplicates_of(session, principal, lead_id=lead_id)
    return LeadDuplicates(items=[LeadDuplicate.model_validate(d, from_attributes=True)
                                 for d in duplicates])


@router.patch("/{lead_id}", response_model=LeadRead,
              responses=errors_doc(*WRITE_ERRORS, LeadClosed, ContactRequired))
async def update_lead(lead_id: LeadId, body: LeadUpdate, session: SessionDep,
                      principal: CurrentPrincipal, if_match: IfMatch,
                      response: Response) -> LeadRead:
    """Edit an open lead; converted and disqualified leads are closed (409 `lead.closed`)."""
    lead = await service.update(session, principal, lead_id=lead_id, data=body,
                                expected_version=if_match)
    return await _read(session, principal, lead, response)


@router.post("/{lead_id}/contact", response_model=LeadRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition))
async def contact_lead(lead_id: LeadId, session: SessionDep, principal: CurrentPrincipal,
                       if_match: IfMatch, now: Now, response: Response) -> LeadRead:
    """Record the first contact with a new lead."""
    lead = await service.contact(session, principal, lead_id=lead_id, expected_version=if_match,
                                 now=now)
    return await _read(session, principal, lead, response)


@router.post("/{lead_id}/qualify", response_model=LeadRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition))
async def qualify_lead(lead_id: LeadId, session: SessionDep, principal: CurrentPrincipal,
                       if_match: IfMatch, now: Now, response: Response) -> LeadRead:
    """The prospect has a real need and budget: ready to convert."""
    lead = await service.qualify(session, principal, lead_id=lead_id, expected_version=if_match,
                                 now=now)
    return await _read(session, principal, lead, response)


@router.post("/{lead_id}/disqualify", response_model=LeadRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition))
async def disqualify_lead(lead_id: LeadId, body: DisqualifyBody, session: SessionDep,
                          principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                          response: Response) -> LeadRead:
    """Close an open lead as not worth pursuing, with the reason."""
    lead = await service.disqualify(session, principal, lead_id=lead_id, reason=body.reason,
                                    expected_version=if_match, now=now)
    return await _read(session, principal, lead, response)


@router.post("/{lead_id}/assign", response_model=LeadRead,
             responses=errors_doc(LeadNotFound, StaleVersion, AssignmentForbidden, LeadClosed,
                                  UnknownDepartment))
async def assign_lead(lead_id: LeadId, body: AssignBody, session: SessionDep,
                      principal: CurrentPrincipal, if_match: IfMatch,
                      response: Response) -> LeadRead:
    """Assign or re-assign an open lead (department head, deputy GM, GM); audited."""
    lead = await service.assign(session, principal, lead_id=lead_id, data=body,
                                expected_version=if_match)
    return await _read(session, principal, lead, response)


@router.post("/{lead_id}/convert", response_model=LeadRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, LeadUnassigned,
                                  UnknownCustomer, CustomerOwnedByAnother, OwnershipForbidden,
                                  DuplicateCreditCode))
async def convert_lead(lead_id: LeadId, body: LeadConvert, session: SessionDep,
                       principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                       response: Response) -> LeadRead:
    """Convert a qualified lead into a customer (new, or one its owner already has) and an
    opportunity, all in one transaction; the lead then carries both ids."""
    lead, _opportunity = await flows.convert(session, principal, lead_id=lead_id, data=body,
                                             expected_version=if_match, now=now)
    return await _read(session, principal, lead, response)
