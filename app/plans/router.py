from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter
from app.core import export
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import with_names
from app.core.errors import InvalidTransition, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.filters import (
    AmountFromQuery,
    AmountToQuery,
    DayFromQuery,
    DayToQuery,
    DepartmentQuery,
    OwnerQuery,
)
from app.core.ids import Id, path_id
from app.core.numbering import NumberQuery
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag
from app.plans import approval as _registers_adapter  # noqa: F401
from app.plans import exports, progress, service, targets
from app.plans.errors import (
    AllocationMismatch,
    AlreadyAcknowledged,
    LinesMismatch,
    MonthsMismatch,
    NotInForce,
    NotTargetOwner,
    PlanExists,
    PlanLocked,
    RevisionOpen,
    SalesPlanForbidden,
    SalesPlanNotFound,
    SalesTargetNotFound,
    UnknownDepartment,
)
from app.plans.models import SalesPlan, SalesPlanStatus, SalesTarget
from app.plans.schemas import (
    PERIOD_PATTERN,
    AllocationBody,
    PlanLineRead,
    PlanProgress,
    SalesPlanCreate,
    SalesPlanPage,
    SalesPlanRead,
    SalesPlanUpdate,
    SalesTargetPage,
    SalesTargetRead,
    TargetMonthRead,
)

router = APIRouter(prefix="/sales-plans", tags=["sales plans"])
targets_router = APIRouter(prefix="/sales-targets", tags=["sales plans"])
PlanId = Annotated[int, Path(ge=1),
                   path_id(lambda n: SalesPlanNotFound(f"No sales plan {n}."))]
TargetId = Annotated[int, Path(ge=1),
                     path_id(lambda n: SalesTargetNotFound(f"No sales target {n}."))]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN,
                                          description="A year (`2026`) or month (`2026-03`)")]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100, description="The plan's year")]
WRITE_ERRORS = (SalesPlanNotFound, SalesPlanForbidden, StaleVersion)


def _target_read(target: SalesTarget, months: list, plan: SalesPlan | None,
                 principal: Principal) -> SalesTargetRead:
    read = SalesTargetRead.model_validate(target)
    read.months = [TargetMonthRead.model_validate(m) for m in months]
    if plan is not None:
        read.plan_number, read.plan_status, read.period = plan.number, plan.status, plan.period
        if targets.may_acknowledge(target, plan, principal):
            read.allowed_actions = ["acknowledge"]
    return read


async def _read_many(session: AsyncSession, principal: Principal, plans: list[SalesPlan],
                     now: datetime) -> list[SalesPlanRead]:
    """Plans with their lines, targets, approval requests and the caller's allowed actions,
    loaded for the whole page at once."""
    ids = [p.id for p in plans if p.id is not None]
    lines = await service.lines_by_plan(session, ids)
    plan_targets = await service.targets_by_plan(session, ids)
    revising = await service.open_revisions(session, ids)
    requests = await approval_reads(session, principal, [p.approval_request_id for p in plans],
                                    now)
    reads = []
    for plan in plans:
        assert plan.id is not None  # loaded from the database
        read = SalesPlanRead.model_validate(plan)
        read.lines = [PlanLineRead.model_validate(line) for line in lines.get(plan.id, [])]
        read.targets = [_target_read(t, m, plan, principal)
                        for t, m in plan_targets.get(plan.id, [])]
        read.allocated = sum((t.amount for t in read.targets), start=read.allocated)
        read.approval = requests.get(plan.approval_request_id)
        read.allowed_actions = service.allowed_actions(
            plan, principal, read.approval.allowed_actions if read.approval else [],
            revision_open=plan.id in revising)
        reads.append(read)
    await with_names(session, reads)
    await with_names(session, [t for read in reads for t in read.targets])
    return reads


async def _read(session: AsyncSession, principal: Principal, plan: SalesPlan, now: datetime,
                response: Response | None = None) -> SalesPlanRead:
    [read] = await _read_many(session, principal, [plan], now)
    if response is not None:
        set_etag(response, plan.version)
    return read


@router.get("", response_model=SalesPlanPage, responses=file_responses())
async def list_sales_plans(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    department_id: DepartmentQuery = None, period: PeriodQuery = None, year: YearQuery = None,
    status: SalesPlanStatus | None = None, number: NumberQuery = None,
    created_from: DayFromQuery = None, created_to: DayToQuery = None,
    amount_from: AmountFromQuery = None, amount_to: AmountToQuery = None,
    format: FormatQuery = None,
) -> SalesPlanPage | StreamingResponse:
    """Plans the caller may see, newest first unless sorted otherwise, every revision: a
    head their department's, a deputy GM those overseen; the GM, finance, the board and
    auditors all. Reps see their targets (`/sales-targets`), not the plans. `period` is
    one plan's period exactly, `year` every plan of the year (yearly and monthly);
    `amount_*` bound the target amount. Every one of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[SalesPlanRead]:
        listed = await service.list_plans(
            session, principal, department_id=department_id, period=period, year=year,
            status=status, number=number, created_from=created_from, created_to=created_to,
            amount_from=amount_from, amount_to=amount_to, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.SALES_PLANS.file(request, format, page=page, now=now,
                                          page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return SalesPlanPage(items=listed.items, next_cursor=listed.next_cursor,
                         total=listed.total)


@router.post("", status_code=201, response_model=SalesPlanRead,
             responses=errors_doc(SalesPlanForbidden, UnknownDepartment, PlanExists,
                                  LinesMismatch))
async def create_sales_plan(body: SalesPlanCreate, session: SessionDep,
                            principal: CurrentPrincipal, now: Now,
                            response: Response) -> SalesPlanRead:
    """Draft a department's plan (年度/月度销售计划) for a year or a month: a head for their
    department, a deputy GM for those overseen, the GM for any. One plan per department
    and period (409 `sales_plan.exists`): change it by revising it."""
    plan = await service.create(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/sales-plans/{plan.id}"
    return await _read(session, principal, plan, now, response)


@router.get("/{plan_id}", response_model=SalesPlanRead, responses=errors_doc(SalesPlanNotFound))
async def get_sales_plan(plan_id: PlanId, session: SessionDep, principal: CurrentPrincipal,
                         now: Now, response: Response) -> SalesPlanRead:
    plan = await service.get_visible(session, principal, plan_id)
    return await _read(session, principal, plan, now, response)


@router.patch("/{plan_id}", response_model=SalesPlanRead,
              responses=errors_doc(*WRITE_ERRORS, PlanLocked, LinesMismatch))
async def update_sales_plan(plan_id: PlanId, body: SalesPlanUpdate, session: SessionDep,
                            principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                            response: Response) -> SalesPlanRead:
    """Edit a draft. Plans in approval and later are locked (409 `sales_plan.locked`)."""
    plan = await service.update(session, principal, plan_id=plan_id, data=body,
                                expected_version=if_match)
    return await _read(session, principal, plan, now, response)


@router.post("/{plan_id}/submit", response_model=SalesPlanRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition, AllocationMismatch,
                                  NoPolicyForDocument))
async def submit_sales_plan(plan_id: PlanId, session: SessionDep, principal: CurrentPrincipal,
                            if_match: IfMatch, now: Now, response: Response) -> SalesPlanRead:
    """Send a draft into approval: the deputy GM overseeing the department, then the GM."""
    plan = await service.submit(session, principal, plan_id=plan_id,
                                expected_version=if_match, now=now)
    return await _read(session, principal, plan, now, response)


@router.post("/{plan_id}/recall", response_model=SalesPlanRead,
             responses=errors_doc(SalesPlanNotFound, StaleVersion, InvalidTransition,
                                  NotSubmitter))
async def recall_sales_plan(plan_id: PlanId, session: SessionDep, principal: CurrentPrincipal,
                            if_match: IfMatch, now: Now, response: Response) -> SalesPlanRead:
    """The submitter takes a plan in approval back to draft."""
    plan = await service.recall(session, principal, plan_id=plan_id,
                                expected_version=if_match, now=now)
    return await _read(session, principal, plan, now, response)


@router.post("/{plan_id}/cancel", response_model=SalesPlanRead,
             responses=errors_doc(*WRITE_ERRORS, InvalidTransition))
async def cancel_sales_plan(plan_id: PlanId, session: SessionDep, principal: CurrentPrincipal,
                            if_match: IfMatch, now: Now, response: Response) -> SalesPlanRead:
    """Give up a draft: a plan never submitted, or a revision not wanted."""
    plan = await service.cancel(session, principal, plan_id=plan_id, expected_version=if_match)
    return await _read(session, principal, plan, now, response)


@router.post("/{plan_id}/revise", status_code=201, response_model=SalesPlanRead,
             responses=errors_doc(*WRITE_ERRORS, NotInForce, RevisionOpen))
async def revise_sales_plan(plan_id: PlanId, session: SessionDep, principal: CurrentPrincipal,
                            if_match: IfMatch, now: Now, response: Response) -> SalesPlanRead:
    """Draft revision n+1 of the plan in force, a copy with its lines and targets, to be
    changed and approved again. The plan in force stays so until the revision is approved;
    then it is `superseded` and kept as history."""
    plan = await service.revise(session, principal, plan_id=plan_id, expected_version=if_match)
    response.headers["Location"] = f"/api/v1/sales-plans/{plan.id}"
    return await _read(session, principal, plan, now, response)


@router.post("/{plan_id}/allocations", response_model=SalesPlanRead,
             responses=errors_doc(*WRITE_ERRORS, PlanLocked, AllocationMismatch,
                                  MonthsMismatch))
async def allocate_sales_plan(plan_id: PlanId, body: AllocationBody, session: SessionDep,
                              principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                              response: Response) -> SalesPlanRead:
    """Decompose the plan into the reps' targets (业绩协议), replacing its targets: on a
    draft, or on the plan in force. They add up to the plan to the cent (422
    `sales_plan.allocation_mismatch` says by how much they do not); a yearly target may be
    split by month. A rep whose target did not change keeps their acknowledgement."""
    plan = await service.allocate(session, principal, plan_id=plan_id, data=body,
                                  expected_version=if_match)
    return await _read(session, principal, plan, now, response)


@router.get("/{plan_id}/progress", response_model=PlanProgress,
            responses=errors_doc(SalesPlanNotFound) | export.file_responses())
async def get_sales_plan_progress(plan_id: PlanId, request: Request, session: SessionDep,
                                  principal: CurrentPrincipal, now: Now,
                                  format: export.FormatQuery = None
                                  ) -> PlanProgress | StreamingResponse:
    """The plan's targets against the orders confirmed and payments received, per rep and
    month of its period (company calendar), in CNY. As CSV or XLSX with `format`: a row
    per target, the months of a yearly plan as columns, the total last."""
    report = await progress.plan_progress(session, principal, plan_id=plan_id)
    wanted = export.negotiated_format(request, format)
    if wanted is None:
        return report
    return await exports.progress_file(session, wanted, report, now=now)


@targets_router.get("", response_model=SalesTargetPage, responses=file_responses())
async def list_sales_targets(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(targets.SORTS.request)], plan_id: Id | None = None,
    owner_id: OwnerQuery = None, department_id: DepartmentQuery = None,
    period: PeriodQuery = None, year: YearQuery = None, created_from: DayFromQuery = None,
    created_to: DayToQuery = None, amount_from: AmountFromQuery = None,
    amount_to: AmountToQuery = None, format: FormatQuery = None,
) -> SalesTargetPage | StreamingResponse:
    """Targets the caller may see, newest first unless sorted otherwise: a rep their own, a
    head their department's, a deputy GM those overseen, the company-wide roles all.
    `period` and `year` are their plan's; `amount_*` bound the target. Every one of them
    as CSV or XLSX with `format` (a yearly target's months as twelve columns)."""

    async def page_of(wanted: ListRequest) -> Listed[SalesTargetRead]:
        listed = await targets.list_targets(
            session, principal, plan_id=plan_id, owner_id=owner_id,
            department_id=department_id, period=period, year=year,
            created_from=created_from, created_to=created_to, amount_from=amount_from,
            amount_to=amount_to, page=wanted)
        items = listed.items
        plans = await targets.plans_of(session, items)
        months = await service.months_by_target(session,
                                                [t.id for t in items if t.id is not None])
        reads = [_target_read(t, months.get(t.id or 0, []), plans.get(t.plan_id), principal)
                 for t in items]
        await with_names(session, reads)
        return Listed(reads, listed.next_cursor, listed.total)

    file = await exports.SALES_TARGETS.file(request, format, page=page, now=now,
                                            page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return SalesTargetPage(items=listed.items, next_cursor=listed.next_cursor,
                           total=listed.total)


async def _target(session: AsyncSession, principal: Principal, target: SalesTarget,
                  response: Response) -> SalesTargetRead:
    assert target.id is not None  # loaded from the database
    plans = await targets.plans_of(session, [target])
    months = await service.months_by_target(session, [target.id])
    set_etag(response, target.version)
    read = _target_read(target, months.get(target.id, []), plans.get(target.plan_id),
                        principal)
    await with_names(session, [read])
    return read


@targets_router.get("/{target_id}", response_model=SalesTargetRead,
                    responses=errors_doc(SalesTargetNotFound))
async def get_sales_target(target_id: TargetId, session: SessionDep,
                           principal: CurrentPrincipal, response: Response) -> SalesTargetRead:
    target = await targets.get_visible(session, principal, target_id)
    return await _target(session, principal, target, response)


@targets_router.post("/{target_id}/acknowledge", response_model=SalesTargetRead,
                     responses=errors_doc(SalesTargetNotFound, NotTargetOwner, StaleVersion,
                                          NotInForce, AlreadyAcknowledged))
async def acknowledge_sales_target(target_id: TargetId, session: SessionDep,
                                   principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                   response: Response) -> SalesTargetRead:
    """The rep acknowledges their target (业绩协议) of the plan in force."""
    target = await targets.acknowledge(session, principal, target_id=target_id,
                                       expected_version=if_match, now=now)
    return await _target(session, principal, target, response)
