"""Sales plans (SPEC §4): a department's target for a year or a month, approved deputy GM →
GM, decomposed into the reps' targets (业绩协议) that add up to it, each acknowledged by its
rep. Changing an approved plan drafts a revision; the approved one stays in force until the
revision is approved.

Lock order: an approval request, then the plan, then its targets.
"""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals.documents import recall_document, submit_document
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.calendar.working_time import local_date, local_day_start
from app.core.db import commit, flush_or_raise
from app.core.filters import where_equal, where_range
from app.core.money import format_money
from app.core.numbering import next_number, number_is
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import (
    PLAN_SCOPES,
    TARGET_SCOPES,
    Capability,
    can,
    sees_record,
    visible,
)
from app.core.security import Principal
from app.core.versioning import apply_changes, bump_version, ensure_version
from app.departments.models import Department
from app.events.changes import record_change
from app.plans.errors import (
    AllocationMismatch,
    LinesMismatch,
    MonthsMismatch,
    NotInForce,
    PlanExists,
    PlanLocked,
    RevisionOpen,
    SalesPlanForbidden,
    SalesPlanNotFound,
    UnknownDepartment,
)
from app.plans.models import (
    SalesPlan,
    SalesPlanLine,
    SalesPlanStatus,
    SalesTarget,
    SalesTargetMonth,
)
from app.plans.schemas import (
    AllocationBody,
    PlanLineIn,
    SalesPlanCreate,
    SalesPlanSummary,
    SalesPlanUpdate,
    SalesTargetSummary,
    TargetMonthSummary,
)
from app.plans.states import ALLOCATABLE, EDITABLE, ensure_transition

ENTITY = "sales_plan"
TARGET_ENTITY = "sales_target"
DOCUMENT_TYPE = POLICY_KEY = "sales_plan"
NUMBER_KIND = "sales_plan"
ZERO = Decimal("0.00")
# A revision being prepared or decided: at most one per plan.
OPEN = (SalesPlanStatus.draft, SalesPlanStatus.pending_approval)

TargetWithMonths = tuple[SalesTarget, list[SalesTargetMonth]]


def _visible(principal: Principal) -> ColumnElement[bool]:
    # Plans have no owner; `created_by` stands in for it (no rep sees plans anyway).
    return visible(principal, owner_column=SalesPlan.created_by,
                   department_column=SalesPlan.department_id, table=PLAN_SCOPES)


def may_write(principal: Principal, department_id: str) -> bool:
    """Heads plan their own department, deputy GMs those they oversee, the GM any."""
    return (can(principal, Capability.sales_plan_write)
            and sees_record(principal, owner_id=None, department_id=department_id,
                            table=PLAN_SCOPES))


# ---- reading ----------------------------------------------------------------------------


async def get_visible(session: AsyncSession, principal: Principal, plan_id: int, *,
                      for_update: bool = False) -> SalesPlan:
    statement = select(SalesPlan).where(col(SalesPlan.id) == plan_id, _visible(principal))
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    plan = (await session.execute(statement)).scalar_one_or_none()
    if plan is None:
        raise SalesPlanNotFound(f"No sales plan {plan_id}.")
    return plan


SORTS = Sorts("SalesPlan", {
    "created_at": col(SalesPlan.created_at), "period": col(SalesPlan.period),
    "target_amount": col(SalesPlan.target_amount),
}, tiebreaker=col(SalesPlan.id))


async def list_plans(session: AsyncSession, principal: Principal, *,
                     department_id: str | None, period: str | None, year: int | None,
                     status: SalesPlanStatus | None, number: str | None,
                     created_from: date | None = None, created_to: date | None = None,
                     amount_from: Decimal | None = None, amount_to: Decimal | None = None,
                     page: ListRequest) -> Listed[SalesPlan]:
    statement = select(SalesPlan).where(_visible(principal))
    if number is not None:
        statement = statement.where(number_is(col(SalesPlan.number), number))
    statement = where_equal(statement, (col(SalesPlan.department_id), department_id),
                            (col(SalesPlan.period), period), (col(SalesPlan.year), year),
                            (col(SalesPlan.status), status))
    statement = where_created(statement, col(SalesPlan.created_at), created_from,
                                 created_to)
    statement = where_range(statement, col(SalesPlan.target_amount), amount_from, amount_to)
    return await SORTS.page(session, statement, page)

def where_created(statement: Any, column: Any, first: date | None,
                  last: date | None) -> Any:
    """Created on the company's calendar days `first` to `last`, inclusive."""
    return where_range(statement, column, local_day_start(first) if first else None,
                       local_day_start(last + timedelta(days=1)) if last else None,
                       last_excluded=True)


async def lines_by_plan(session: AsyncSession, plan_ids: Sequence[int]
                        ) -> dict[int, list[SalesPlanLine]]:
    grouped: dict[int, list[SalesPlanLine]] = {}
    if plan_ids:
        for line in (await session.execute(
                select(SalesPlanLine).where(col(SalesPlanLine.plan_id).in_(plan_ids))
                .order_by(col(SalesPlanLine.plan_id), col(SalesPlanLine.product_line)))
                ).scalars():
            grouped.setdefault(line.plan_id, []).append(line)
    return grouped


async def months_by_target(session: AsyncSession, target_ids: Sequence[int]
                           ) -> dict[int, list[SalesTargetMonth]]:
    grouped: dict[int, list[SalesTargetMonth]] = {}
    if target_ids:
        for month in (await session.execute(
                select(SalesTargetMonth).where(col(SalesTargetMonth.target_id).in_(target_ids))
                .order_by(col(SalesTargetMonth.target_id), col(SalesTargetMonth.month)))
                ).scalars():
            grouped.setdefault(month.target_id, []).append(month)
    return grouped


async def targets_by_plan(session: AsyncSession, plan_ids: Sequence[int]
                          ) -> dict[int, list[TargetWithMonths]]:
    grouped: dict[int, list[TargetWithMonths]] = {}
    if not plan_ids:
        return grouped
    targets = list((await session.execute(
        select(SalesTarget).where(col(SalesTarget.plan_id).in_(plan_ids))
        .order_by(col(SalesTarget.plan_id), col(SalesTarget.owner_id)))).scalars())
    months = await months_by_target(session, [t.id for t in targets if t.id is not None])
    for target in targets:
        assert target.id is not None  # loaded from the database
        grouped.setdefault(target.plan_id, []).append((target, months.get(target.id, [])))
    return grouped


async def open_revisions(session: AsyncSession, plan_ids: Sequence[int]) -> set[int]:
    """Which of these plans have a revision drafted or in approval."""
    if not plan_ids:
        return set()
    found = (await session.execute(
        select(col(SalesPlan.previous_id)).where(col(SalesPlan.previous_id).in_(plan_ids),
                                                 col(SalesPlan.status).in_(OPEN)))).scalars()
    return {plan_id for plan_id in found if plan_id is not None}


# ---- drafting ---------------------------------------------------------------------------


def _parse_period(period: str) -> tuple[int, int | None]:
    year, _, month = period.partition("-")
    return int(year), int(month) if month else None


def _ensure_lines_add_up(target_amount: Decimal, lines: list[PlanLineIn]) -> None:
    if not lines:
        return
    total = sum((line.amount for line in lines), start=ZERO)
    if total != target_amount:
        raise LinesMismatch(
            f"The product lines add up to {format_money(total)}, the plan's target is "
            f"{format_money(target_amount)}.", total=format_money(total),
            target_amount=format_money(target_amount),
            difference=format_money(target_amount - total))


async def create(session: AsyncSession, principal: Principal, *, data: SalesPlanCreate,
                 now: datetime) -> SalesPlan:
    """Draft a department's plan for a period; the department may have one plan per
    period (later changes are revisions of it)."""
    if not can(principal, Capability.sales_plan_write):
        raise SalesPlanForbidden("Your roles do not draft sales plans.")
    department = await session.get(Department, data.department_id)
    if department is None or not may_write(principal, data.department_id):
        raise UnknownDepartment(f"No department {data.department_id!r} that you plan for.")
    _ensure_lines_add_up(data.target_amount, data.lines)
    existing = (await session.execute(select(col(SalesPlan.id)).where(
        col(SalesPlan.department_id) == data.department_id,
        col(SalesPlan.period) == data.period,
        col(SalesPlan.status) != SalesPlanStatus.cancelled).limit(1))).scalar_one_or_none()
    if existing is not None:
        raise PlanExists(f"Department {data.department_id} has plan {existing} for "
                         f"{data.period}.", plan_id=existing)
    year, month = _parse_period(data.period)
    plan = SalesPlan(  # number: taken below, once every check has passed
        number="", department_id=data.department_id, period=data.period, year=year,
        month=month, title=data.title or f"{department.name} {data.period} 销售计划",
        target_amount=data.target_amount, notes=data.notes, created_by=principal.sub)
    plan.number = await next_number(session, NUMBER_KIND, on=local_date(now))
    session.add(plan)
    # A plan created meanwhile for the same department and period: the unique index says.
    await flush_or_raise(session, PlanExists(
        f"Department {data.department_id} has a plan for {data.period}."))
    assert plan.id is not None  # assigned by the flush
    _add_lines(session, plan.id, data.lines)
    record_change(session, principal, event_type="sales_plan.created", entity_type=ENTITY,
                  entity_id=plan.id, before=None, after=summary(plan))
    await commit(session)
    return plan


def _add_lines(session: AsyncSession, plan_id: int,
               lines: Sequence[PlanLineIn | SalesPlanLine]) -> None:
    session.add_all(SalesPlanLine(plan_id=plan_id, product_line=line.product_line,
                                  amount=line.amount) for line in lines)


async def update(session: AsyncSession, principal: Principal, *, plan_id: int,
                 data: SalesPlanUpdate, expected_version: int | None) -> SalesPlan:
    plan = await _writable(session, principal, plan_id, expected_version)
    assert plan.id is not None  # loaded from the database
    if plan.status not in EDITABLE:
        raise PlanLocked(f"The plan is {plan.status.value}.", status_now=plan.status.value)
    changes = {field: value for field, value in
               data.model_dump(exclude_unset=True, exclude={"lines"}).items()
               if getattr(plan, field) != value}
    if not changes and data.lines is None:
        return plan
    target_amount = changes.get("target_amount", plan.target_amount)
    if data.lines is not None:
        _ensure_lines_add_up(target_amount, data.lines)
    elif "target_amount" in changes:
        kept = (await lines_by_plan(session, [plan.id])).get(plan.id, [])
        _ensure_lines_add_up(target_amount, [PlanLineIn(product_line=line.product_line,
                                                        amount=line.amount) for line in kept])
    before = summary(plan)
    if data.lines is not None:
        await session.execute(delete(SalesPlanLine).where(col(SalesPlanLine.plan_id) == plan.id))
        _add_lines(session, plan.id, data.lines)
    apply_changes(plan, changes)
    record_change(session, principal, event_type="sales_plan.updated", entity_type=ENTITY,
                  entity_id=plan.id, before=before, after=summary(plan))
    await commit(session)
    return plan


async def cancel(session: AsyncSession, principal: Principal, *, plan_id: int,
                 expected_version: int | None) -> SalesPlan:
    """Give up a draft (a new plan never submitted, or a revision not wanted): the period,
    or the revision number, is free again."""
    plan = await _writable(session, principal, plan_id, expected_version)
    assert plan.id is not None  # loaded from the database
    ensure_transition(plan.status, SalesPlanStatus.cancelled)
    before = summary(plan)
    apply_changes(plan, {"status": SalesPlanStatus.cancelled})
    record_change(session, principal, event_type="sales_plan.cancelled", entity_type=ENTITY,
                  entity_id=plan.id, before=before, after=summary(plan))
    await commit(session)
    return plan


async def revise(session: AsyncSession, principal: Principal, *, plan_id: int,
                 expected_version: int | None) -> SalesPlan:
    """Draft revision n+1 of the plan in force: a copy of it, its lines and its targets
    (acknowledgements kept while a target stays the same). It goes through approval like
    the first; until it is approved, revision n stays in force."""
    plan = await _writable(session, principal, plan_id, expected_version)
    assert plan.id is not None  # loaded from the database
    if plan.status != SalesPlanStatus.approved:
        raise NotInForce(f"The plan is {plan.status.value}; only the plan in force is "
                         "revised.", status_now=plan.status.value)
    if plan.id in await open_revisions(session, [plan.id]):
        raise RevisionOpen(f"Plan {plan.number} already has a revision in the works.")
    revision = SalesPlan(
        number=plan.number, revision=plan.revision + 1, previous_id=plan.id,
        department_id=plan.department_id, period=plan.period, year=plan.year,
        month=plan.month, title=plan.title, target_amount=plan.target_amount,
        notes=plan.notes, created_by=principal.sub)
    session.add(revision)
    # Two revisions drafted at once: the second takes the same revision number.
    await flush_or_raise(session, RevisionOpen(
        f"Plan {plan.number} already has a revision in the works."))
    assert revision.id is not None  # assigned by the flush
    _add_lines(session, revision.id, (await lines_by_plan(session, [plan.id])).get(plan.id, []))
    for target, months in (await targets_by_plan(session, [plan.id])).get(plan.id, []):
        copy = SalesTarget(plan_id=revision.id, department_id=target.department_id,
                           owner_id=target.owner_id, amount=target.amount,
                           acknowledged_at=target.acknowledged_at)
        session.add(copy)
        await session.flush()
        assert copy.id is not None  # assigned by the flush
        session.add_all(SalesTargetMonth(target_id=copy.id, month=m.month, amount=m.amount)
                        for m in months)
    record_change(session, principal, event_type="sales_plan.revised", entity_type=ENTITY,
                  entity_id=revision.id, before=None, after=summary(revision))
    await commit(session)
    return revision


# ---- approval ---------------------------------------------------------------------------


async def submit(session: AsyncSession, principal: Principal, *, plan_id: int,
                 expected_version: int | None, now: datetime) -> SalesPlan:
    """Send a draft into approval (deputy GM → GM). Targets already decomposed must still
    add up to the plan (its target may have been edited since)."""
    plan = await _writable(session, principal, plan_id, expected_version)
    assert plan.id is not None  # loaded from the database
    ensure_transition(plan.status, SalesPlanStatus.pending_approval)
    targets = (await targets_by_plan(session, [plan.id])).get(plan.id, [])
    if targets:
        _ensure_targets_add_up(plan, [target.amount for target, _ in targets])
    await submit_document(session, principal, plan, now=now)
    return plan


async def recall(session: AsyncSession, principal: Principal, *, plan_id: int,
                 expected_version: int | None, now: datetime) -> SalesPlan:
    """The submitter takes the plan back to draft."""
    # Not locked here (recall_document says why).
    plan = await get_visible(session, principal, plan_id)
    ensure_version(plan.version, expected_version)
    await recall_document(session, principal, plan, now=now)
    return plan


# ---- targets ----------------------------------------------------------------------------


def _ensure_targets_add_up(plan: SalesPlan, amounts: list[Decimal]) -> None:
    allocated = sum(amounts, start=ZERO)
    if allocated != plan.target_amount:
        raise AllocationMismatch(
            f"The targets add up to {format_money(allocated)}, the plan's target is "
            f"{format_money(plan.target_amount)}.", allocated=format_money(allocated),
            target_amount=format_money(plan.target_amount),
            difference=format_money(plan.target_amount - allocated))


async def allocate(session: AsyncSession, principal: Principal, *, plan_id: int,
                   data: AllocationBody, expected_version: int | None) -> SalesPlan:
    """Decompose the plan into the reps' targets, replacing those it had. They add up to
    the plan to the cent; a yearly target may be split by month (the months add up to it).
    A rep whose target and months did not change keeps their acknowledgement."""
    plan = await _writable(session, principal, plan_id, expected_version)
    assert plan.id is not None  # loaded from the database
    if plan.status not in ALLOCATABLE:
        raise PlanLocked(f"The plan is {plan.status.value}; targets are decomposed on a "
                         "draft or on the plan in force.", status_now=plan.status.value)
    _ensure_targets_add_up(plan, [target.amount for target in data.targets])
    for given in data.targets:
        if given.months and plan.month is not None:
            raise MonthsMismatch(f"Plan {plan.period} is a month's: its targets are not "
                                 "split by month.", owner_id=given.owner_id)
        months_total = sum((m.amount for m in given.months), start=ZERO)
        if given.months and months_total != given.amount:
            raise MonthsMismatch(
                f"{given.owner_id}'s months add up to {format_money(months_total)}, the "
                f"target is {format_money(given.amount)}.", owner_id=given.owner_id,
                total=format_money(months_total), target_amount=format_money(given.amount))
    existing = {target.owner_id: (target, months) for target, months in
                (await targets_by_plan(session, [plan.id])).get(plan.id, [])}
    before = await allocation_summary(session, plan)
    wanted = {t.owner_id for t in data.targets}
    for owner_id, (target, months) in existing.items():
        if owner_id not in wanted:
            await session.execute(delete(SalesTargetMonth).where(
                col(SalesTargetMonth.target_id) == target.id))
            await session.delete(target)
    for given in data.targets:
        split = {(m.month, m.amount) for m in given.months}
        if given.owner_id in existing:
            target, months = existing[given.owner_id]
            if target.amount == given.amount and split == {(m.month, m.amount) for m in months}:
                continue  # unchanged: the rep's acknowledgement stands
            target.amount, target.acknowledged_at = given.amount, None
            bump_version(target)
            await session.execute(delete(SalesTargetMonth).where(
                col(SalesTargetMonth.target_id) == target.id))
        else:
            target = SalesTarget(plan_id=plan.id, department_id=plan.department_id,
                                 owner_id=given.owner_id, amount=given.amount)
            session.add(target)
            await session.flush()
        assert target.id is not None  # loaded, or assigned by the flush
        session.add_all(SalesTargetMonth(target_id=target.id, month=m.month, amount=m.amount)
                        for m in given.months)
    bump_version(plan)
    await session.flush()
    after = await allocation_summary(session, plan)
    record_change(session, principal, event_type="sales_plan.allocated", entity_type=ENTITY,
                  entity_id=plan.id, before=before, after=after)
    await commit(session)
    return plan


async def allocation_summary(session: AsyncSession, plan: SalesPlan) -> dict[str, Any]:
    assert plan.id is not None  # loaded from the database
    targets = (await targets_by_plan(session, [plan.id])).get(plan.id, [])
    return {**summary(plan), "targets": [target_summary(t, m) for t, m in targets]}


# ---- shared with the approval adapter, the targets and the router -------------------------


def describe(plan: SalesPlan) -> SubmittedDocument:
    """The plan as the policy sees it: its target and its department."""
    assert plan.id is not None  # loaded from the database
    return SubmittedDocument(
        document_type=DOCUMENT_TYPE, document_id=plan.id, document_version=plan.version,
        title=plan.title, owner_id=plan.created_by,
        facts=DocumentFacts(policy_key=POLICY_KEY, amount=plan.target_amount,
                            department_id=plan.department_id))


def summary(plan: SalesPlan) -> dict[str, Any]:
    assert plan.id is not None  # flushed or loaded
    return SalesPlanSummary(
        id=plan.id, number=plan.number, revision=plan.revision, previous_id=plan.previous_id,
        department_id=plan.department_id, period=plan.period, title=plan.title,
        target_amount=format_money(plan.target_amount), status=plan.status,
        version=plan.version).model_dump(mode="json")


def target_summary(target: SalesTarget, months: list[SalesTargetMonth]) -> dict[str, Any]:
    assert target.id is not None  # flushed or loaded
    return SalesTargetSummary(
        id=target.id, plan_id=target.plan_id, department_id=target.department_id,
        owner_id=target.owner_id, amount=format_money(target.amount),
        months=[TargetMonthSummary(month=m.month, amount=format_money(m.amount))
                for m in months],
        acknowledged_at=target.acknowledged_at, version=target.version).model_dump(mode="json")


def allowed_actions(plan: SalesPlan, principal: Principal, approval_actions: list[str], *,
                    revision_open: bool) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    actions: list[str] = []
    writer = may_write(principal, plan.department_id)
    if plan.status == SalesPlanStatus.pending_approval:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if writer and plan.status in EDITABLE:
        actions += ["update", "submit", "cancel"]
    if writer and plan.status in ALLOCATABLE:
        actions.append("allocate")
    if writer and plan.status == SalesPlanStatus.approved and not revision_open:
        actions.append("revise")
    return actions


def target_visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=SalesTarget.owner_id,
                   department_column=SalesTarget.department_id, table=TARGET_SCOPES)


async def _writable(session: AsyncSession, principal: Principal, plan_id: int,
                    expected_version: int | None) -> SalesPlan:
    plan = await get_visible(session, principal, plan_id, for_update=True)
    if not may_write(principal, plan.department_id):
        raise SalesPlanForbidden("You do not plan for this department.")
    ensure_version(plan.version, expected_version)
    return plan
