from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse

from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import Forbidden, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal
from app.core.versioning import IfMatch, set_etag
from app.departments import exports, service
from app.departments.errors import DepartmentExists, DepartmentInUse, DepartmentNotFound
from app.departments.models import Department
from app.departments.schemas import (
    DepartmentCreate,
    DepartmentPage,
    DepartmentRead,
    DepartmentUpdate,
)

router = APIRouter(prefix="/departments", tags=["departments"])
DepartmentIdPath = Annotated[str, Path(max_length=32)]


@router.get("", response_model=DepartmentPage, responses=file_responses())
async def list_departments(
    request: Request, session: SessionDep, _principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)], active: bool | None = None,
    format: FormatQuery = None,
) -> DepartmentPage | StreamingResponse:
    """Departments, in id order unless sorted otherwise. Every one of them as CSV or XLSX
    with `format`, with the names of their heads and deputy GMs."""

    async def rows_of(wanted: ListRequest) -> Listed[exports.DepartmentRow]:
        listed = await service.list_departments(session, active=active, page=wanted)
        rows = [exports.DepartmentRow.model_validate(d) for d in listed.items]
        await with_names(session, rows)
        return Listed(rows, listed.next_cursor, listed.total)

    file = await exports.DEPARTMENTS.file(request, format, page=page, now=now,
                                          page_of=rows_of)
    if file is not None:
        return file
    listed = await service.list_departments(session, active=active, page=page)
    return DepartmentPage(items=[DepartmentRead.model_validate(d) for d in listed.items],
                          next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=DepartmentRead,
             responses=errors_doc(Forbidden, DepartmentExists))
async def create_department(
    body: DepartmentCreate, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> Department:
    """Create a department (admin)."""
    department = await service.create(session, principal, data=body)
    set_etag(response, department.version)
    response.headers["Location"] = f"/api/v1/departments/{department.id}"
    return department


@router.get("/{department_id}", response_model=DepartmentRead,
            responses=errors_doc(DepartmentNotFound))
async def get_department(
    department_id: DepartmentIdPath, session: SessionDep, _principal: CurrentPrincipal,
    response: Response,
) -> Department:
    department = await service.get(session, department_id)
    set_etag(response, department.version)
    return department


@router.patch("/{department_id}", response_model=DepartmentRead,
              responses=errors_doc(Forbidden, DepartmentNotFound, DepartmentExists, StaleVersion))
async def update_department(
    department_id: DepartmentIdPath, body: DepartmentUpdate, session: SessionDep,
    principal: CurrentPrincipal, if_match: IfMatch, response: Response,
) -> Department:
    """Change a department's name, head, overseeing deputy GM or active flag (admin)."""
    department = await service.update(session, principal, department_id=department_id, data=body,
                                      expected_version=if_match)
    set_etag(response, department.version)
    return department


@router.delete("/{department_id}", status_code=204,
               responses=errors_doc(Forbidden, DepartmentNotFound, DepartmentInUse, StaleVersion))
async def delete_department(
    department_id: DepartmentIdPath, session: SessionDep, principal: CurrentPrincipal,
    if_match: IfMatch,
) -> None:
    """Delete a department that nothing refers to (admin); otherwise deactivate it."""
    await service.delete(session, principal, department_id=department_id, expected_version=if_match)
