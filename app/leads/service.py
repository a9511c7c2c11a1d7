from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_day_start
from app.core.db import commit
from app.core.normalise import company_key, normalise_email, normalise_phone
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import (
    SALES_WORKING_ROLES,
    Capability,
    Role,
    can,
    may_assign,
    require,
    visible,
)
from app.core.schemas import snapshot
from app.core.search import text_contains
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.departments.service import insert_into_active_department, is_active
from app.events.changes import record_change
from app.leads import funnel_rollup  # noqa: F401  (keeps the funnel's rollup with each change)
from app.leads.errors import (
    AssignmentForbidden,
    ContactRequired,
    DepartmentRequired,
    LeadClosed,
    LeadForbidden,
    LeadNotFound,
    UnknownDepartment,
)
from app.leads.models import Lead, LeadSource, LeadStatus
from app.leads.schemas import AssignBody, LeadCreate, LeadSnapshot, LeadUpdate
from app.leads.states import OPEN, TRANSITIONS, ensure_transition
from app.opportunities.models import Opportunity

ENTITY = "lead"
DUPLICATE_LIMIT = 20


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Lead.owner_id, department_column=Lead.department_id)


def may_work(principal: Principal) -> bool:
    # The integration account creates leads but does not work them; finance and others read.
    return principal.has(*SALES_WORKING_ROLES)


def summary(lead: Lead) -> dict:
    return snapshot(LeadSnapshot, lead)


@dataclass(frozen=True)
class Duplicate:
    id: int
    matched_on: list[str]
    status: LeadStatus
    owner_id: str | None
    department_id: str
    created_at: datetime


async def get_visible(session: AsyncSession, principal: Principal, lead_id: int, *,
                      for_update: bool = False) -> Lead:
    """The lead if this principal may see it; 404 otherwise (existence is not revealed)."""
    statement = select(Lead).where(col(Lead.id) == lead_id, _visible(principal))
    if for_update:
        statement = statement.with_for_update()
    lead = (await session.execute(statement)).scalar_one_or_none()
    if lead is None:
        raise LeadNotFound(f"No lead {lead_id}.")
    return lead


SORTS = Sorts("Lead", {"created_at": col(Lead.created_at), "updated_at": col(Lead.updated_at),
                       "company": col(Lead.company), "status": col(Lead.status)},
              tiebreaker=col(Lead.id))


async def list_leads(
    session: AsyncSession, principal: Principal, *, status: LeadStatus | None,
    owner_id: str | None, unassigned: bool | None, department_id: str | None,
    source: LeadSource | None, created_from: date | None, created_to: date | None,
    possible_duplicate: bool | None, q: str | None, page: ListRequest,
) -> Listed[Lead]:
    """Visible leads, newest first. Created dates are the company's calendar days."""
    statement = select(Lead).where(_visible(principal))
    if status is not None:
        statement = statement.where(col(Lead.status) == status)
    if owner_id is not None:
        statement = statement.where(col(Lead.owner_id) == owner_id)
    if unassigned is not None:
        statement = statement.where(
            col(Lead.owner_id).is_(None) if unassigned else col(Lead.owner_id).is_not(None))
    if department_id is not None:
        statement = statement.where(col(Lead.department_id) == department_id)
    if source is not None:
        statement = statement.where(col(Lead.source) == source)
    if created_from is not None:
        statement = statement.where(col(Lead.created_at) >= local_day_start(created_from))
    if created_to is not None:
        statement = statement.where(
            col(Lead.created_at) < local_day_start(created_to + timedelta(days=1)))
    if possible_duplicate is not None:
        statement = statement.where(col(Lead.possible_duplicate) == possible_duplicate)
    if q:
        statement = statement.where(text_contains(q, Lead.company, Lead.contact_name))
    return await SORTS.page(session, statement, page)


async def create(session: AsyncSession, principal: Principal, *, data: LeadCreate
                 ) -> tuple[Lead, list[Duplicate]]:
    """Capture a lead; likely duplicates are flagged and returned, never refused, so the
    caller decides what to do with them."""
    lead, duplicates = await add(session, principal, data=data)
    await commit(session)
    return lead, duplicates


async def add(session: AsyncSession, principal: Principal, *, data: LeadCreate
              ) -> tuple[Lead, list[Duplicate]]:
    """Capture a lead inside the caller's unit of work (an import adds many); `create` is
    the command that commits."""
    require(principal, Capability.lead_create)
    department_id = data.department_id or principal.dept
    if department_id is None:
        raise DepartmentRequired()
    owner_id = data.owner_id or (
        principal.sub if principal.has(Role.sales_rep, Role.dept_head) else None)
    _ensure_may_assign(principal, owner_id=owner_id, department_id=department_id)
    lead = Lead(source=data.source, company=data.company, contact_name=data.contact_name,
                needs=data.needs, owner_id=owner_id, department_id=department_id,
                created_by=principal.sub, **_phone_fields(data.phone),
                email=normalise_email(data.email) if data.email else None,
                company_key=company_key(data.company))
    _ensure_reachable(lead.phone, lead.email)
    duplicates = await find_duplicates(session, lead)
    lead.possible_duplicate = bool(duplicates)
    missing = UnknownDepartment(f"Department {department_id!r} does not exist or is inactive.")
    lead.id = await insert_into_active_department(session, lead, missing)
    if lead.id is None:
        raise missing
    after = summary(lead)
    record_change(session, principal, event_type="lead.created", entity_type=ENTITY,
                  entity_id=lead.id, before=None, after=after,
                  event_data={**after, "duplicate_ids": [d.id for d in duplicates]})
    return lead, duplicates


# Other leads with the same normalised phone, e-mail or company: an OR of equalities on
# three indexed columns, so the database answers from the indexes, never a scan. A Core
# query built once with bound parameters, as it runs on every lead created (a missing
# phone or e-mail binds NULL, which equals nothing).
_LEAD = Lead.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare it
_DUPLICATES = (
    select(_LEAD.id, _LEAD.phone, _LEAD.email, _LEAD.company_key, _LEAD.status,
           _LEAD.owner_id, _LEAD.department_id, _LEAD.created_at)
    .where(or_(_LEAD.company_key == bindparam("company_key"), _LEAD.phone == bindparam("phone"),
               _LEAD.email == bindparam("email")))
    .order_by(_LEAD.id.desc()).limit(DUPLICATE_LIMIT))
_DUPLICATES_OF_LEAD = _DUPLICATES.where(_LEAD.id != bindparam("lead_id"))


def duplicates_query(lead: Lead) -> tuple[Select[Any], dict[str, Any]]:
    params = {"company_key": lead.company_key, "phone": lead.phone, "email": lead.email}
    if lead.id is None:
        return _DUPLICATES, params
    return _DUPLICATES_OF_LEAD, params | {"lead_id": lead.id}


async def find_duplicates(session: AsyncSession, lead: Lead) -> list[Duplicate]:
    statement, params = duplicates_query(lead)
    rows = (await session.execute(statement, params)).all()
    return [Duplicate(id=row.id, status=row.status, owner_id=row.owner_id,
                      department_id=row.department_id, created_at=row.created_at,
                      matched_on=[name for name, same in (
                          ("phone", lead.phone is not None and row.phone == lead.phone),
                          ("email", lead.email is not None and row.email == lead.email),
                          ("company", row.company_key == lead.company_key)) if same])
            for row in rows]


async def duplicates_of(session: AsyncSession, principal: Principal, *, lead_id: int
                        ) -> list[Duplicate]:
    return await find_duplicates(session, await get_visible(session, principal, lead_id))


async def update(session: AsyncSession, principal: Principal, *, lead_id: int, data: LeadUpdate,
                 expected_version: int | None) -> Lead:
    lead = await get_workable(session, principal, lead_id, expected_version)
    _ensure_open(lead)
    values = data.model_dump(exclude_unset=True)
    if "phone" in values:
        values.update(_phone_fields(values.pop("phone")))
    if values.get("email"):
        values["email"] = normalise_email(values["email"])
    if "company" in values:
        values["company_key"] = company_key(values["company"])
    _ensure_reachable(values.get("phone", lead.phone), values.get("email", lead.email))
    changes = {k: v for k, v in values.items() if getattr(lead, k) != v}
    if not changes:
        return lead
    before = summary(lead)
    apply_changes(lead, changes)
    assert lead.id is not None
    record_change(session, principal, event_type="lead.updated", entity_type=ENTITY,
                  entity_id=lead.id, before=before, after=summary(lead))
    await commit(session)
    return lead


async def contact(session: AsyncSession, principal: Principal, *, lead_id: int,
                  expected_version: int | None, now: datetime) -> Lead:
    """The first contact with the prospect has been made."""
    lead = await get_workable(session, principal, lead_id, expected_version)
    _move(session, principal, lead, LeadStatus.contacted, "lead.contacted", contacted_at=now)
    await commit(session)
    return lead


async def qualify(session: AsyncSession, principal: Principal, *, lead_id: int,
                  expected_version: int | None, now: datetime) -> Lead:
    lead = await get_workable(session, principal, lead_id, expected_version)
    _move(session, principal, lead, LeadStatus.qualified, "lead.qualified", qualified_at=now)
    await commit(session)
    return lead


async def disqualify(session: AsyncSession, principal: Principal, *, lead_id: int, reason: str,
                     expected_version: int | None, now: datetime) -> Lead:
    lead = await get_workable(session, principal, lead_id, expected_version)
    _move(session, principal, lead, LeadStatus.disqualified, "lead.disqualified",
          disqualified_at=now, disqualify_reason=reason)
    await commit(session)
    return lead


async def assign(session: AsyncSession, principal: Principal, *, lead_id: int, data: AssignBody,
                 expected_version: int | None) -> Lead:
    """Give a lead to a rep (or back to the pool), possibly in another department: heads
    within their department, deputy GMs within theirs, the GM anywhere."""
    if not can(principal, Capability.lead_assign):
        raise AssignmentForbidden("Only a department head, deputy GM, GM or admin assigns "
                                  "leads.")
    lead = await get_visible(session, principal, lead_id, for_update=True)
    ensure_version(lead.version, expected_version)
    _ensure_open(lead)
    department_id = data.department_id or lead.department_id
    _ensure_may_assign(principal, owner_id=data.owner_id, department_id=department_id)
    if department_id != lead.department_id and not await is_active(session, department_id):
        raise UnknownDepartment(f"Department {department_id!r} does not exist or is inactive.")
    if (data.owner_id, department_id) == (lead.owner_id, lead.department_id):
        return lead
    before = summary(lead)
    apply_changes(lead, {"owner_id": data.owner_id, "department_id": department_id})
    assert lead.id is not None
    record_change(session, principal, event_type="lead.assigned", entity_type=ENTITY,
                  entity_id=lead.id, before=before, after=summary(lead),
                  event_data={**summary(lead), "previous_owner_id": before["owner_id"],
                              "previous_department_id": before["department_id"]})
    await commit(session)
    return lead


async def opportunity_ids(session: AsyncSession, leads: list[Lead]) -> dict[int, int]:
    """The opportunity each converted lead became, for a page of leads in one query."""
    converted = [lead.id for lead in leads if lead.status == LeadStatus.converted]
    if not converted:
        return {}
    rows = await session.execute(select(col(Opportunity.lead_id), col(Opportunity.id)).where(
        col(Opportunity.lead_id).in_(converted)))
    # Both are set on these rows (stored ids, leads matched by IN); the check narrows types.
    return {lead_id: opportunity_id for lead_id, opportunity_id in rows.all()
            if lead_id is not None and opportunity_id is not None}


def allowed_actions(lead: Lead, principal: Principal) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    actions: list[str] = []
    # Read off the transition table, so the list cannot drift from what the commands allow.
    moves = TRANSITIONS[lead.status]
    if lead.status in OPEN and may_work(principal):
        actions.append("update")
        if LeadStatus.contacted in moves:
            actions.append("contact")
        if LeadStatus.qualified in moves:
            actions.append("qualify")
        if LeadStatus.converted in moves and lead.owner_id is not None:
            actions.append("convert")
        if LeadStatus.disqualified in moves:
            actions.append("disqualify")
    if lead.status in OPEN and can(principal, Capability.lead_assign):
        actions.append("assign")
    return actions


async def get_workable(session: AsyncSession, principal: Principal, lead_id: int,
                       expected_version: int | None) -> Lead:
    """The lead, locked, if the caller may see and work it at the version they read."""
    lead = await get_visible(session, principal, lead_id, for_update=True)
    if not may_work(principal):
        raise LeadForbidden()
    ensure_version(lead.version, expected_version)
    return lead


def _move(session: AsyncSession, principal: Principal, lead: Lead, target: LeadStatus,
          event_type: str, **fields: object) -> None:
    ensure_transition(lead.status, target)
    before = summary(lead)
    apply_changes(lead, {"status": target, **fields})
    assert lead.id is not None
    record_change(session, principal, event_type=event_type, entity_type=ENTITY,
                  entity_id=lead.id, before=before, after=summary(lead))


def _ensure_open(lead: Lead) -> None:
    if lead.status not in OPEN:
        raise LeadClosed(f"The lead is {lead.status.value}.", status_now=lead.status.value)


def _ensure_may_assign(principal: Principal, *, owner_id: str | None, department_id: str) -> None:
    if not may_assign(principal, owner_id=owner_id, department_id=department_id):
        whom = f"to {owner_id!r}" if owner_id else "to the pool"
        raise AssignmentForbidden(f"You may not give a lead {whom} in department "
                                  f"{department_id!r}.")


def _ensure_reachable(phone: str | None, email: str | None) -> None:
    if phone is None and email is None:
        raise ContactRequired()


class _PhoneFields(TypedDict):
    phone: str | None
    phone_extension: str | None


def _phone_fields(phone: str | None) -> _PhoneFields:
    normalised = normalise_phone(phone) if phone else None
    return {"phone": normalised.e164 if normalised else None,
            "phone_extension": normalised.extension if normalised else None}
