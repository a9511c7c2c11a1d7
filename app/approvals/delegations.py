"""Out-of-office delegation: a user hands their approvals to another for a date range."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals.errors import DelegationNotFound, InvalidDelegation
from app.approvals.models import Delegation
from app.approvals.schemas import DelegationCreate, DelegationRead
from app.core.db import commit
from app.core.pagination import paginate
from app.core.schemas import snapshot
from app.core.security import Principal
from app.events.changes import record_change

ENTITY = "delegation"


async def create(session: AsyncSession, principal: Principal, *, data: DelegationCreate,
                 now: datetime) -> Delegation:
    if data.delegate_id == principal.sub:
        raise InvalidDelegation("You cannot delegate to yourself.")
    if data.end_date < data.start_date:
        raise InvalidDelegation("end_date is before start_date.")
    if data.end_date < now.date():
        raise InvalidDelegation("The delegation would already have ended.")
    if (data.end_date - data.start_date).days > 366:
        raise InvalidDelegation("A delegation lasts at most a year.")
    if not principal.roles:
        raise InvalidDelegation("You hold no role whose approvals could be delegated.")
    delegation = Delegation(
        delegator_id=principal.sub, delegate_id=data.delegate_id, start_date=data.start_date,
        end_date=data.end_date, delegator_roles=sorted(r.value for r in principal.roles),
        delegator_dept=principal.dept, delegator_depts=sorted(principal.depts),
        reason=data.reason, created_at=now)
    session.add(delegation)
    await session.flush()
    assert delegation.id is not None  # assigned by the flush
    record_change(session, principal, event_type="delegation.created", entity_type=ENTITY,
                  entity_id=delegation.id, before=None, after=snapshot(DelegationRead, delegation))
    await commit(session)
    return delegation


async def list_mine(session: AsyncSession, principal: Principal, *, limit: int,
                    cursor: str | None) -> tuple[list[Delegation], str | None]:
    """Delegations the caller gave or received."""
    statement = select(Delegation).where(or_(col(Delegation.delegator_id) == principal.sub,
                                             col(Delegation.delegate_id) == principal.sub))
    return await paginate(session, statement, keys=[Delegation.id], limit=limit, cursor=cursor,
                          descending=True)


async def revoke(session: AsyncSession, principal: Principal, *, delegation_id: int,
                 now: datetime) -> Delegation:
    delegation = await session.get(Delegation, delegation_id, with_for_update=True)
    if delegation is None or delegation.delegator_id != principal.sub:
        raise DelegationNotFound()
    assert delegation.id is not None  # loaded from the database
    if delegation.revoked_at is None:
        before = snapshot(DelegationRead, delegation)
        delegation.revoked_at = now
        record_change(session, principal, event_type="delegation.revoked", entity_type=ENTITY,
                      entity_id=delegation.id, before=before,
                      after=snapshot(DelegationRead, delegation))
        await commit(session)
    return delegation
