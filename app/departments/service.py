from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from app.core.db import commit, commit_or_raise, execute_or_raise, flush_or_raise
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import Capability, require
from app.core.schemas import snapshot
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.departments.errors import DepartmentExists, DepartmentInUse, DepartmentNotFound
from app.departments.models import Department
from app.departments.schemas import DepartmentCreate, DepartmentRead, DepartmentUpdate
from app.events.changes import record_change

ENTITY = "department"


# Reference data: in id order unless sorted otherwise.
SORTS = Sorts("Department", {"id": col(Department.id), "name": col(Department.name),
                             "created_at": col(Department.created_at)},
              tiebreaker=col(Department.id), default="id")


async def list_departments(
    session: AsyncSession, *, active: bool | None, page: ListRequest
) -> Listed[Department]:
    statement = select(Department)
    if active is not None:
        statement = statement.where(col(Department.active) == active)
    return await SORTS.page(session, statement, page)


async def get(session: AsyncSession, department_id: str, *, for_update: bool = False) -> Department:
    statement = select(Department).where(col(Department.id) == department_id)
    if for_update:
        statement = statement.with_for_update()
    department = (await session.execute(statement)).scalar_one_or_none()
    if department is None:
        raise DepartmentNotFound(f"No department {department_id!r}.")
    return department


async def create(session: AsyncSession, principal: Principal, *, data: DepartmentCreate) -> Department:
    require(principal, Capability.reference_write)
    clash = await session.scalar(
        select(func.count()).select_from(Department).where(
            or_(col(Department.id) == data.id, col(Department.name) == data.name))
    )
    if clash:
        raise DepartmentExists(f"Department id {data.id!r} or name {data.name!r} is taken.")
    department = Department(**data.model_dump())
    session.add(department)
    await flush_or_raise(session, _taken())
    record_change(session, principal, event_type="department.created", entity_type=ENTITY,
                  entity_id=department.id, before=None, after=snapshot(DepartmentRead, department))
    await commit_or_raise(session, _taken())
    return department


async def update(
    session: AsyncSession, principal: Principal, *, department_id: str, data: DepartmentUpdate,
    expected_version: int | None,
) -> Department:
    require(principal, Capability.reference_write)
    department = await get(session, department_id, for_update=True)
    ensure_version(department.version, expected_version)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        return department
    before = snapshot(DepartmentRead, department)
    apply_changes(department, changes)
    record_change(session, principal, event_type="department.updated", entity_type=ENTITY,
                  entity_id=department.id, before=before, after=snapshot(DepartmentRead, department))
    await commit_or_raise(session, _taken())
    return department


async def delete(
    session: AsyncSession, principal: Principal, *, department_id: str, expected_version: int | None
) -> None:
    require(principal, Capability.reference_write)
    department = await get(session, department_id, for_update=True)
    ensure_version(department.version, expected_version)
    before = snapshot(DepartmentRead, department)
    await session.delete(department)
    await flush_or_raise(session, DepartmentInUse(f"Department {department_id!r} is referenced by other records."))
    record_change(session, principal, event_type="department.deleted", entity_type=ENTITY,
                  entity_id=department_id, before=before, after=None)
    await commit(session)


def _taken() -> DepartmentExists:
    # The pre-check covers the common case; this covers two admins racing.
    return DepartmentExists("Department id or name is taken.")


async def is_active(session: AsyncSession, department_id: str) -> bool:
    return bool(await session.scalar(
        select(col(Department.active)).where(col(Department.id) == department_id)))


async def insert_into_active_department(session: AsyncSession, record: SQLModel,
                                        on_conflict: Exception) -> int | None:
    """INSERT … SELECT `record` (a table model with `id` and `department_id`) from its
    department's row only while that department is active: one statement, so a department
    deactivated a moment ago cannot receive it. Returns the new id, or None when the
    department does not exist or is inactive; a unique violation raises `on_conflict`."""
    statement, columns = _insert_from_department(type(record))
    values = {column: getattr(record, column) for column in columns}
    result = await execute_or_raise(session, statement, on_conflict, values)
    return result.scalar_one_or_none()


@cache
def _insert_from_department(model: Any) -> tuple[Any, tuple[str, ...]]:
    # Built once per table with bound parameters: building it per request (a literal per
    # column) cost more CPU than the database spent running it.
    # A Core insert into the table: with parameters, an ORM insert would become a bulk one.
    table = model.__table__
    params = {c.key: bindparam(c.key, type_=c.type) for c in table.columns if c.key != "id"}
    source = select(*params.values()).where(
        col(Department.id) == params["department_id"], col(Department.active).is_(True))
    statement = insert(table).from_select(list(params), source).returning(table.c.id)
    return statement, tuple(params)
