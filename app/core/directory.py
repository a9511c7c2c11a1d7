"""Names beside ids, so a screen shows "张伟" and "华通机电" rather than `u-1042` and `17`.

People: the tokens carry a `name` claim, but nothing else knows who `u-1042` is, so the
service remembers each caller's name in a small directory (`app_user`) as people act:
on a write, when their name is new or changed, or not seen for an hour (one primary-key
read, and an upsert only then; reads never write). Customers and departments: their own
tables.

`with_names(session, reads)` fills the `*_name` fields a page of reads declares
(`customer_name`, `department_name`, `owner_name`, `created_by_name`, `submitted_by_name`,
…) with one query per kind of name, whatever the page's size; a read whose customer's
name came with its record (a document storing it) keeps it."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from pydantic import BaseModel
from pydantic import Field as ReadField
from sqlalchemy import Integer, String, column, select, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from app.core.clock import Now
from app.core.db import SessionDep, UTCDateTime, utcnow
from app.core.security import WRITE_METHODS, CurrentPrincipal

# How stale `last_seen_at` may get before a write refreshes it: often enough for "seen
# today", seldom enough that a busy user's writes do not all rewrite their row.
SEEN_REFRESH = timedelta(hours=1)
# The person fields a read may carry, and the name field beside each.
PERSON_FIELDS = {"owner_id": "owner_name", "created_by": "created_by_name",
                 "submitted_by": "submitted_by_name", "set_by": "set_by_name",
                 "spent_by": "spent_by_name", "recorded_by": "recorded_by_name",
                 "requested_by": "requested_by_name", "delegator_id": "delegator_name",
                 "delegate_id": "delegate_name", "head_id": "head_name",
                 "deputy_gm_id": "deputy_gm_name"}
CUSTOMER_FIELDS = ("customer_id", "customer_name")
DEPARTMENT_FIELDS = ("department_id", "department_name")
# The customer master and the departments, by name: the kernel imports no domain.
_CUSTOMER = table("customer", column("id", Integer), column("name", String))
_DEPARTMENT = table("department", column("id", String), column("name", String))


class AppUser(SQLModel, table=True):
    """Someone who has acted here, as their token named them."""

    __tablename__ = "app_user"

    sub: str = Field(primary_key=True, max_length=128)
    name: str = Field(max_length=200)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def remember(session: AsyncSession, *, sub: str, name: str | None, now: datetime) -> None:
    """Note that `sub` acted now under `name`, in the caller's transaction (rolled back with
    a refused command, and written again by the next one)."""
    if not name:
        return
    seen = (await session.execute(select(col(AppUser.name), col(AppUser.last_seen_at))
                                  .where(col(AppUser.sub) == sub))).one_or_none()
    if seen is not None and seen.name == name and now - seen.last_seen_at < SEEN_REFRESH:
        return
    users = AppUser.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(users).values(sub=sub, name=name, last_seen_at=now)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[users.c.sub],
        set_={"name": statement.excluded.name, "last_seen_at": statement.excluded.last_seen_at}))


async def remember_caller(request: Request, principal: CurrentPrincipal, session: SessionDep,
                          now: Now) -> None:
    """Every write remembers who made it (a dependency of the whole API)."""
    if request.method in WRITE_METHODS:
        await remember(session, sub=principal.sub, name=principal.name, now=now)


async def user_names(session: AsyncSession, subs: set[str]) -> dict[str, str]:
    if not subs:
        return {}
    rows = await session.execute(select(col(AppUser.sub), col(AppUser.name))
                                 .where(col(AppUser.sub).in_(sorted(subs))))
    return {sub: name for sub, name in rows}


async def customer_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(_CUSTOMER.c.id, _CUSTOMER.c.name)
                                 .where(_CUSTOMER.c.id.in_(sorted(ids))))
    return {customer_id: name for customer_id, name in rows}


async def department_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(_DEPARTMENT.c.id, _DEPARTMENT.c.name)
                                 .where(_DEPARTMENT.c.id.in_(sorted(ids))))
    return {department_id: name for department_id, name in rows}


@dataclass(frozen=True)
class Names:
    """People's and departments' names for a report's file, each falling back to its id
    (someone who has not acted here yet, a department since removed)."""

    people: dict[str, str]
    departments: dict[str, str]

    def person(self, sub: str | None) -> str | None:
        return None if sub is None else self.people.get(sub, sub)

    def department(self, department_id: str | None) -> str | None:
        return None if department_id is None else self.departments.get(department_id,
                                                                       department_id)


async def names_of(session: AsyncSession, *, people: Iterable[str | None] = (),
                   departments: Iterable[str | None] = ()) -> Names:
    """The names of these people and departments, a query for each kind."""
    return Names(await user_names(session, {sub for sub in people if sub is not None}),
                 await department_names(session, {d for d in departments if d is not None}))


async def with_names(session: AsyncSession, reads: Sequence[BaseModel]) -> None:
    """Fill the name fields the reads declare, from their ids (a batched lookup per kind)."""
    if not reads:
        return
    fields = type(reads[0]).model_fields
    persons = {k: v for k, v in PERSON_FIELDS.items() if k in fields and v in fields}
    if persons:
        names = await user_names(session, {getattr(r, k) for r in reads for k in persons
                                           if getattr(r, k) is not None})
        for read in reads:
            for id_field, name_field in persons.items():
                setattr(read, name_field, names.get(getattr(read, id_field)))
    id_field, name_field = CUSTOMER_FIELDS
    if id_field in fields and name_field in fields:
        # Opportunities, quotes and contracts store their customer's name: theirs is read.
        unnamed = [r for r in reads if getattr(r, name_field) is None]
        customers = await customer_names(session, {getattr(r, id_field) for r in unnamed
                                                   if getattr(r, id_field) is not None})
        for read in unnamed:
            setattr(read, name_field, customers.get(getattr(read, id_field)))
    id_field, name_field = DEPARTMENT_FIELDS
    if id_field in fields and name_field in fields:
        departments = await department_names(session, {getattr(r, id_field) for r in reads
                                                       if getattr(r, id_field) is not None})
        for read in reads:
            setattr(read, name_field, departments.get(getattr(read, id_field)))


class OwnerName(BaseModel):
    """The name beside `owner_id`, from the user directory (null for someone who has not
    acted here yet)."""

    owner_name: str | None = ReadField(default=None, description="The owner's name")


class PeopleNames(OwnerName):
    created_by_name: str | None = ReadField(default=None, description="The creator's name")


class CreatorName(BaseModel):
    """The name beside `created_by`, for documents that have no owner (plans, budgets)."""

    created_by_name: str | None = ReadField(default=None, description="The creator's name")


class CustomerName(BaseModel):
    customer_name: str | None = ReadField(default=None, description="The customer's name")


class DepartmentName(BaseModel):
    department_name: str | None = ReadField(default=None, description="The department's name")
