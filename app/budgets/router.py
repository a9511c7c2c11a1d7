from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.attached import approval_reads
from app.approvals.errors import NoPolicyForDocument, NotSubmitter
from app.budgets import approval as overrides
from app.budgets import exports, service
from app.budgets.errors import (
    BudgetExists,
    BudgetForbidden,
    BudgetLocked,
    BudgetNotFound,
    BudgetNotInForce,
    NoSuchItem,
    OutsideBudgetYear,
    OverRemainder,
    OverrideNotFound,
    UnknownDepartment,
    WithinRemainder,
)
from app.budgets.models import (
    BudgetStatus,
    ExpenseBudget,
    ExpenseCategory,
    ExpenseOverride,
    OverrideStatus,
)
from app.budgets.schemas import (
    BudgetCreate,
    BudgetPage,
    BudgetRead,
    BudgetUpdate,
    ExpenseCreate,
    ExpensePage,
    ExpenseRead,
    OverrideCreate,
    OverridePage,
    OverrideRead,
)
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
from app.core.ids import path_id
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal, Principal
from app.core.versioning import IfMatch, set_etag

router = APIRouter(prefix="/expense-budgets", tags=["expense budgets"])
overrides_router = APIRouter(prefix="/expense-overrides", tags=["expense budgets"])
YearQuery = Annotated[int | None, Query(ge=2000, le=2100, description="The budget's year")]
BudgetId = Annotated[int, Path(ge=1), path_id(
    lambda n: BudgetNotFound(f"No expense budget {n}."))]
OverrideId = Annotated[int, Path(ge=1), path_id(
    lambda n: OverrideNotFound(f"No expense override {n}."))]
SPENDING_ERRORS = (BudgetNotFound, BudgetForbidden, BudgetNotInForce, NoSuchItem,
                   OutsideBudgetYear)


async def _read_many(session: AsyncSession, principal: Principal,
                     budgets: list[ExpenseBudget], now: datetime) -> list[BudgetRead]:
    """Budgets with their items spread over the months, what each month spent, their
    approval requests and the caller's actions (a fixed number of queries per page)."""
    items = await service.items_by_budget(session, [b.id for b in budgets if b.id])
    spent = await service.spent_by_month(
        session, [i.id for group in items.values() for i in group if i.id])
    requests = await approval_reads(session, principal,
                                    [b.approval_request_id for b in budgets], now)
    reads = []
    for budget in budgets:
        assert budget.id is not None
        read = BudgetRead.model_validate(budget)
        read.items = [service.item_read(budget, item, spent)
                      for item in items.get(budget.id, [])]
        read.spent = sum((i.spent for i in read.items), read.spent)
        read.remainder = read.total - read.spent
        read.approval = requests.get(budget.approval_request_id)
        read.allowed_actions = service.allowed_actions(
            budget, principal, read.approval.allowed_actions if read.approval else [])
        reads.append(read)
    await with_names(session, reads)
    return reads


async def _read(session: AsyncSession, principal: Principal, budget: ExpenseBudget,
                now: datetime, response: Response) -> BudgetRead:
    [read] = await _read_many(session, principal, [budget], now)
    set_etag(response, budget.version)
    return read


async def _override_reads(session: AsyncSession, principal: Principal,
                          items: list[ExpenseOverride], now: datetime) -> list[OverrideRead]:
    requests = await approval_reads(session, principal,
                                    [o.approval_request_id for o in items], now)
    booked = await overrides.expenses_of(session, [o.id for o in items if o.id])
    reads = []
    for override in items:
        read = OverrideRead.model_validate(override)
        read.expense_id = booked.get(override.id or 0)
        read.approval = requests.get(override.approval_request_id)
        read.allowed_actions = [a for a in (read.approval.allowed_actions if read.approval
                                            else []) if a in ("approve", "reject", "recall")]
        reads.append(read)
    await with_names(session, reads)
    return reads


@router.get("", response_model=BudgetPage, responses=file_responses())
async def list_expense_budgets(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)],
    department_id: DepartmentQuery = None, year: YearQuery = None,
    status: BudgetStatus | None = None, created_from: DayFromQuery = None,
    created_to: DayToQuery = None, amount_from: AmountFromQuery = None,
    amount_to: AmountToQuery = None, format: FormatQuery = None,
) -> BudgetPage | StreamingResponse:
    """Budgets the caller may see, newest first unless sorted otherwise: a head their
    department's, a deputy GM the departments they oversee, finance and the GM all.
    `amount_*` bound the budget's total. As CSV or XLSX with `format`: a row per item
    (category) of every budget, with its twelve monthly amounts, spent and remainder."""

    async def page_of(wanted: ListRequest) -> Listed[BudgetRead]:
        listed = await service.list_budgets(
            session, principal, department_id=department_id, year=year, status=status,
            created_from=created_from, created_to=created_to, amount_from=amount_from,
            amount_to=amount_to, page=wanted)
        return Listed(await _read_many(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    async def rows_of(wanted: ListRequest) -> Listed[exports.BudgetItemRow]:
        listed = await page_of(wanted)
        return Listed(exports.item_rows(listed.items), listed.next_cursor, listed.total)

    file = await exports.EXPENSE_BUDGETS.file(request, format, page=page, now=now,
                                              page_of=rows_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return BudgetPage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=BudgetRead,
             responses=errors_doc(BudgetForbidden, UnknownDepartment, BudgetExists))
async def create_expense_budget(body: BudgetCreate, session: SessionDep,
                                principal: CurrentPrincipal, now: Now,
                                response: Response) -> BudgetRead:
    """A draft budget for a department and year: an amount per category and twelve
    seasonal ratios (adding up to 100) that spread each amount over the months, exact to
    the cent, the cents left over in `remainder_month`."""
    budget = await service.create(session, principal, data=body, now=now)
    response.headers["Location"] = f"/api/v1/expense-budgets/{budget.id}"
    return await _read(session, principal, budget, now, response)


@router.get("/{budget_id}", response_model=BudgetRead, responses=errors_doc(BudgetNotFound))
async def get_expense_budget(budget_id: BudgetId, session: SessionDep,
                             principal: CurrentPrincipal, now: Now,
                             response: Response) -> BudgetRead:
    """A budget with each item's amount, spending, remainder and monthly spread."""
    budget = await service.get_visible(session, principal, budget_id)
    return await _read(session, principal, budget, now, response)


@router.patch("/{budget_id}", response_model=BudgetRead,
              responses=errors_doc(BudgetNotFound, BudgetForbidden, StaleVersion,
                                   BudgetLocked))
async def update_expense_budget(budget_id: BudgetId, body: BudgetUpdate, session: SessionDep,
                                principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                response: Response) -> BudgetRead:
    """Edit a draft: title, ratios, remainder month; `items` replace the items."""
    budget = await service.update(session, principal, budget_id=budget_id, data=body,
                                  expected_version=if_match)
    return await _read(session, principal, budget, now, response)


@router.post("/{budget_id}/submit", response_model=BudgetRead,
             responses=errors_doc(BudgetNotFound, BudgetForbidden, StaleVersion,
                                  InvalidTransition, NoPolicyForDocument))
async def submit_expense_budget(budget_id: BudgetId, session: SessionDep,
                                principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                response: Response) -> BudgetRead:
    """Send a draft into approval (finance, then the GM); approved, it is in force."""
    budget = await service.submit(session, principal, budget_id=budget_id,
                                  expected_version=if_match, now=now)
    return await _read(session, principal, budget, now, response)


@router.post("/{budget_id}/recall", response_model=BudgetRead,
             responses=errors_doc(BudgetNotFound, StaleVersion, InvalidTransition,
                                  NotSubmitter))
async def recall_expense_budget(budget_id: BudgetId, session: SessionDep,
                                principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                response: Response) -> BudgetRead:
    """The submitter takes a budget back from approval; it is a draft again."""
    budget = await service.recall(session, principal, budget_id=budget_id,
                                  expected_version=if_match, now=now)
    return await _read(session, principal, budget, now, response)


@router.get("/{budget_id}/expenses", response_model=ExpensePage,
            responses={**errors_doc(BudgetNotFound), **file_responses()})
async def list_expenses(
    request: Request, budget_id: BudgetId, session: SessionDep, principal: CurrentPrincipal,
    now: Now, page: Annotated[ListRequest, Depends(service.EXPENSE_SORTS.request)],
    category: ExpenseCategory | None = None, spent_by: OwnerQuery = None,
    spent_from: DayFromQuery = None, spent_to: DayToQuery = None,
    amount_from: AmountFromQuery = None, amount_to: AmountToQuery = None,
    format: FormatQuery = None,
) -> ExpensePage | StreamingResponse:
    """The expenses recorded against the budget, newest first unless sorted otherwise.
    `spent_by` is who incurred them, `spent_*` the days they were spent on. Every one of
    them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[ExpenseRead]:
        listed = await service.list_expenses(
            session, principal, budget_id=budget_id, category=category, spent_by=spent_by,
            spent_from=spent_from, spent_to=spent_to, amount_from=amount_from,
            amount_to=amount_to, page=wanted)
        reads = [ExpenseRead.model_validate(e) for e in listed.items]
        await with_names(session, reads)
        return Listed(reads, listed.next_cursor, listed.total)

    file = await exports.EXPENSES.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return ExpensePage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("/{budget_id}/expenses", status_code=201, response_model=ExpenseRead,
             responses=errors_doc(*SPENDING_ERRORS, OverRemainder))
async def record_expense(budget_id: BudgetId, body: ExpenseCreate, session: SessionDep,
                         principal: CurrentPrincipal, response: Response) -> ExpenseRead:
    """Record an expense against the item of its category: up to the item's remainder for
    the year, exactly the remainder included. Beyond it, 409
    `expense_budget.over_remainder` with `remainder` and `amount_over`: ask the GM with
    `POST /expense-budgets/{id}/overrides`. Concurrent expenses queue on the item's lock,
    so together they never overspend."""
    expense, _item = await service.record_expense(session, principal, budget_id=budget_id,
                                                  data=body)
    response.headers["Location"] = f"/api/v1/expense-budgets/{budget_id}/expenses"
    read = ExpenseRead.model_validate(expense)
    await with_names(session, [read])
    return read


@router.get("/{budget_id}/overrides", response_model=OverridePage,
            responses={**errors_doc(BudgetNotFound), **file_responses()})
async def list_expense_overrides(
    request: Request, budget_id: BudgetId, session: SessionDep, principal: CurrentPrincipal,
    now: Now, page: Annotated[ListRequest, Depends(overrides.SORTS.request)],
    status: OverrideStatus | None = None, format: FormatQuery = None,
) -> OverridePage | StreamingResponse:
    """Requests to spend beyond the budget, newest first unless sorted otherwise. Every one
    of them as CSV or XLSX with `format`."""

    async def page_of(wanted: ListRequest) -> Listed[OverrideRead]:
        listed = await overrides.list_overrides(session, principal, budget_id=budget_id,
                                                status=status, page=wanted)
        return Listed(await _override_reads(session, principal, listed.items, now),
                      listed.next_cursor, listed.total)

    file = await exports.EXPENSE_OVERRIDES.file(request, format, page=page, now=now,
                                                page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return OverridePage(items=listed.items, next_cursor=listed.next_cursor,
                        total=listed.total)


@router.post("/{budget_id}/overrides", status_code=201, response_model=OverrideRead,
             responses=errors_doc(*SPENDING_ERRORS, WithinRemainder, NoPolicyForDocument))
async def request_expense_override(budget_id: BudgetId, body: OverrideCreate,
                                   session: SessionDep, principal: CurrentPrincipal, now: Now,
                                   response: Response) -> OverrideRead:
    """Ask the GM to allow an expense beyond its item's remainder (the policy's
    `expense_override`); approved, the expense is booked then. One that fits the remainder
    is refused (409 `expense_override.within_remainder`): record it instead."""
    override = await overrides.request_override(session, principal, budget_id=budget_id,
                                                data=body, now=now)
    response.headers["Location"] = f"/api/v1/expense-overrides/{override.id}"
    [read] = await _override_reads(session, principal, [override], now)
    set_etag(response, override.version)
    return read


@overrides_router.get("/{override_id}", response_model=OverrideRead,
                      responses=errors_doc(OverrideNotFound))
async def get_expense_override(override_id: OverrideId, session: SessionDep,
                               principal: CurrentPrincipal, now: Now,
                               response: Response) -> OverrideRead:
    """An override with its approval request; `expense_id` once approved and booked."""
    override = await overrides.get_override(session, principal, override_id)
    [read] = await _override_reads(session, principal, [override], now)
    set_etag(response, override.version)
    return read


@overrides_router.post("/{override_id}/recall", response_model=OverrideRead,
                       responses=errors_doc(OverrideNotFound, StaleVersion, InvalidTransition,
                                            NotSubmitter))
async def recall_expense_override(override_id: OverrideId, session: SessionDep,
                                  principal: CurrentPrincipal, if_match: IfMatch, now: Now,
                                  response: Response) -> OverrideRead:
    """The requester withdraws an override still in approval."""
    override = await overrides.recall_override(session, principal, override_id=override_id,
                                               expected_version=if_match, now=now)
    [read] = await _override_reads(session, principal, [override], now)
    set_etag(response, override.version)
    return read
