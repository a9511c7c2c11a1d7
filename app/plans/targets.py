"""The reps' targets (业绩协议): read within one's visibility (a rep their own, a head their
department's), acknowledged by the rep they belong to once the plan is in force."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.core.filters import where_equal, where_range
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.events.changes import record_change
from app.plans import service
from app.plans.errors import AlreadyAcknowledged, NotInForce, NotTargetOwner, SalesTargetNotFound
from app.plans.models import SalesPlan, SalesPlanStatus, SalesTarget


async def get_visible(session: AsyncSession, principal: Principal, target_id: int, *,
                      for_update: bool = False) -> SalesTarget:
    statement = select(SalesTarget).where(col(SalesTarget.id) == target_id,
                                          service.target_visible(principal))
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    target = (await session.execute(statement)).scalar_one_or_none()
    if target is None:
        raise SalesTargetNotFound(f"No sales target {target_id}.")
    return target


SORTS = Sorts("SalesTarget", {
    "created_at": col(SalesTarget.created_at), "amount": col(SalesTarget.amount),
}, tiebreaker=col(SalesTarget.id))


async def list_targets(session: AsyncSession, principal: Principal, *, plan_id: int | None,
                       owner_id: str | None, department_id: str | None, period: str | None,
                       year: int | None = None, created_from: date | None = None,
                       created_to: date | None = None, amount_from: Decimal | None = None,
                       amount_to: Decimal | None = None, page: ListRequest
                       ) -> Listed[SalesTarget]:
    statement = select(SalesTarget).where(service.target_visible(principal))
    if period is not None or year is not None:
        statement = statement.join(SalesPlan, col(SalesPlan.id) == SalesTarget.plan_id)
        statement = where_equal(statement, (col(SalesPlan.period), period),
                                (col(SalesPlan.year), year))
    statement = where_equal(statement, (col(SalesTarget.plan_id), plan_id),
                            (col(SalesTarget.owner_id), owner_id),
                            (col(SalesTarget.department_id), department_id))
    statement = service.where_created(statement, col(SalesTarget.created_at), created_from,
                                        created_to)
    statement = where_range(statement, col(SalesTarget.amount), amount_from, amount_to)
    return await SORTS.page(session, statement, page)


async def plans_of(session: AsyncSession, targets: list[SalesTarget]) -> dict[int, SalesPlan]:
    ids = sorted({t.plan_id for t in targets})
    if not ids:
        return {}
    return {plan.id: plan for plan in (await session.execute(
        select(SalesPlan).where(col(SalesPlan.id).in_(ids)))).scalars() if plan.id is not None}


def may_acknowledge(target: SalesTarget, plan: SalesPlan, principal: Principal) -> bool:
    return (target.owner_id == principal.sub and plan.status == SalesPlanStatus.approved
            and target.acknowledged_at is None)


async def acknowledge(session: AsyncSession, principal: Principal, *, target_id: int,
                      expected_version: int | None, now: datetime) -> SalesTarget:
    """The rep acknowledges their target of the plan in force."""
    target = await get_visible(session, principal, target_id)
    if target.owner_id != principal.sub:
        raise NotTargetOwner(f"Target {target_id} is {target.owner_id}'s.")
    # The plan first, then the target: the order a new allocation takes them in.
    plan = (await session.execute(
        select(SalesPlan).where(col(SalesPlan.id) == target.plan_id).with_for_update()
        .execution_options(populate_existing=True))).scalar_one()
    target = await get_visible(session, principal, target_id, for_update=True)
    ensure_version(target.version, expected_version)
    if plan.status != SalesPlanStatus.approved:
        raise NotInForce(f"Plan {plan.number} revision {plan.revision} is "
                         f"{plan.status.value}, not in force.", status_now=plan.status.value)
    if target.acknowledged_at is not None:
        raise AlreadyAcknowledged(f"Acknowledged at {target.acknowledged_at.isoformat()}.")
    months = (await service.months_by_target(session, [target_id])).get(target_id, [])
    before = service.target_summary(target, months)
    apply_changes(target, {"acknowledged_at": now})
    after = service.target_summary(target, months)
    record_change(session, principal, event_type="sales_target.acknowledged",
                  entity_type=service.TARGET_ENTITY, entity_id=target_id, before=before,
                  after=after, event_data={**after, "plan_number": plan.number,
                                           "period": plan.period})
    await commit(session)
    return target
