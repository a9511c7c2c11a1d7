"""Expense budgets (销售费用预算, SPEC §4): drafting a department's budget for a year, its
seasonal spread, and the expenses recorded against its items.

The remainder that expenses are held to is per item and year, not per month: the months
are a plan (a seasonal spread to steer by, shown beside what each month spent), while the
money a department may still spend on travel this year is one figure. A per-month limit
would refuse a December trip because November's was cheaper than planned, and would need
moving money between months by approval, which the seeds do not ask for (002 §3.3).

Lock order in this domain: an approval request, then an override, then a budget item.
An expense locks only its item's row, so expenses of different items never wait on each
other, and two expenses of one item are serialised: the second reads the first's spending."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, extract, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import documents
from app.budgets.errors import (
    BudgetExists,
    BudgetForbidden,
    BudgetLocked,
    BudgetNotFound,
    BudgetNotInForce,
    NoSuchItem,
    OutsideBudgetYear,
    OverRemainder,
    UnknownDepartment,
)
from app.budgets.models import (
    BudgetStatus,
    Expense,
    ExpenseBudget,
    ExpenseBudgetItem,
    ExpenseCategory,
)
from app.budgets.schemas import (
    BudgetCreate,
    BudgetSummary,
    BudgetUpdate,
    ExpenseCreate,
    ItemIn,
    ItemRead,
    ItemSummary,
    MonthRead,
)
from app.budgets.spread import MONTHS, spread
from app.calendar.working_time import local_date, local_day_start
from app.core.db import commit, flush_or_raise, money_column_type
from app.core.filters import where_equal, where_range
from app.core.money import format_money
from app.core.numbering import next_number
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import PLANNING_RECORD_SCOPES, Capability, can, sees_record, visible
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.departments.models import Department
from app.events.changes import record_change

ENTITY = "expense_budget"
ZERO = Decimal("0.00")


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=ExpenseBudget.created_by,
                   department_column=ExpenseBudget.department_id, table=PLANNING_RECORD_SCOPES)


def covers(principal: Principal, department_id: str) -> bool:
    """Whether the principal answers for the department's planning records."""
    return sees_record(principal, owner_id=None, department_id=department_id,
                       table=PLANNING_RECORD_SCOPES)


def require(principal: Principal, capability: Capability, doing: str) -> None:
    if not can(principal, capability):
        raise BudgetForbidden(f"Your roles do not {doing}.", capability=capability.value)


# ---- reading ----------------------------------------------------------------------------


async def get_visible(session: AsyncSession, principal: Principal, budget_id: int, *,
                      for_update: bool = False) -> ExpenseBudget:
    statement = select(ExpenseBudget).where(col(ExpenseBudget.id) == budget_id,
                                            _visible(principal))
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    budget = (await session.execute(statement)).scalar_one_or_none()
    if budget is None:
        raise BudgetNotFound(f"No expense budget {budget_id}.")
    return budget


SORTS = Sorts("ExpenseBudget", {
    "created_at": col(ExpenseBudget.created_at), "year": col(ExpenseBudget.year),
    "total": col(ExpenseBudget.total),
}, tiebreaker=col(ExpenseBudget.id))
EXPENSE_SORTS = Sorts("Expense", {
    "created_at": col(Expense.created_at), "spent_on": col(Expense.spent_on),
    "amount": col(Expense.amount),
}, tiebreaker=col(Expense.id))


async def list_budgets(session: AsyncSession, principal: Principal, *,
                       department_id: str | None, year: int | None,
                       status: BudgetStatus | None, created_from: date | None = None,
                       created_to: date | None = None, amount_from: Decimal | None = None,
                       amount_to: Decimal | None = None, page: ListRequest
                       ) -> Listed[ExpenseBudget]:
    statement: Select[Any] = select(ExpenseBudget).where(_visible(principal))
    statement = where_equal(statement, (col(ExpenseBudget.department_id), department_id),
                            (col(ExpenseBudget.year), year), (col(ExpenseBudget.status), status))
    statement = where_range(  # the company's calendar days, inclusive
        statement, col(ExpenseBudget.created_at),
        local_day_start(created_from) if created_from else None,
        local_day_start(created_to + timedelta(days=1)) if created_to else None,
        last_excluded=True)
    statement = where_range(statement, col(ExpenseBudget.total), amount_from, amount_to)
    return await SORTS.page(session, statement, page)


async def items_by_budget(session: AsyncSession, budget_ids: list[int]
                          ) -> dict[int, list[ExpenseBudgetItem]]:
    found: dict[int, list[ExpenseBudgetItem]] = {}
    if not budget_ids:
        return found
    rows = (await session.execute(
        select(ExpenseBudgetItem).where(col(ExpenseBudgetItem.budget_id).in_(budget_ids))
        .order_by(col(ExpenseBudgetItem.id))
        .execution_options(populate_existing=True))).scalars()
    for item in rows:
        found.setdefault(item.budget_id, []).append(item)
    return found


async def spent_by_month(session: AsyncSession, item_ids: list[int]
                         ) -> dict[tuple[int, int], Decimal]:
    """Expenses per item and month of their date, summed in SQL."""
    if not item_ids:
        return {}
    month = extract("month", col(Expense.spent_on))
    total = type_coerce(func.sum(Expense.amount), money_column_type())
    rows = await session.execute(
        select(col(Expense.item_id), month, total)
        .where(col(Expense.item_id).in_(item_ids)).group_by(col(Expense.item_id), month))
    return {(item_id, int(m)): amount for item_id, m, amount in rows}


def item_read(budget: ExpenseBudget, item: ExpenseBudgetItem,
              spent: dict[tuple[int, int], Decimal]) -> ItemRead:
    assert item.id is not None
    planned = spread(item.amount, [Decimal(r) for r in budget.seasonal_ratios],
                     budget.remainder_month)
    return ItemRead(
        id=item.id, category=item.category, amount=item.amount, spent=item.spent,
        remainder=item.amount - item.spent, description=item.description,
        months=[MonthRead(month=m, planned=planned[m - 1],
                          spent=spent.get((item.id, m), ZERO)) for m in MONTHS])


# ---- drafting ---------------------------------------------------------------------------


def _items(budget_id: int, items: Iterable[ItemIn]) -> list[ExpenseBudgetItem]:
    return [ExpenseBudgetItem(budget_id=budget_id, category=i.category, amount=i.amount,
                              description=i.description) for i in items]


def _ratios(ratios: list[Decimal]) -> list[str]:
    return [f"{r:.2f}" for r in ratios]


async def create(session: AsyncSession, principal: Principal, *, data: BudgetCreate,
                 now: datetime) -> ExpenseBudget:
    """A draft budget for a department the caller answers for (a head their own, finance
    any)."""
    require(principal, Capability.expense_budget_write, "draft expense budgets")
    if not covers(principal, data.department_id) or \
            await session.get(Department, data.department_id) is None:
        raise UnknownDepartment(f"No department {data.department_id!r} you may budget for.")
    exists = BudgetExists(f"{data.department_id} already has a budget for {data.year}.")
    if (await session.execute(select(col(ExpenseBudget.id)).where(
            col(ExpenseBudget.department_id) == data.department_id,
            col(ExpenseBudget.year) == data.year))).first() is not None:
        raise exists
    budget = ExpenseBudget(
        number=await next_number(session, ENTITY, on=local_date(now)),
        department_id=data.department_id, year=data.year, title=data.title,
        seasonal_ratios=_ratios(data.seasonal_ratios), remainder_month=data.remainder_month,
        total=sum((i.amount for i in data.items), ZERO), created_by=principal.sub)
    session.add(budget)
    await flush_or_raise(session, exists)  # a concurrent create took the year
    assert budget.id is not None
    items = _items(budget.id, data.items)
    session.add_all(items)
    await session.flush()
    record_change(session, principal, event_type="expense_budget.created", entity_type=ENTITY,
                  entity_id=budget.id, before=None, after=summary(budget, items))
    await commit(session)
    return budget


async def update(session: AsyncSession, principal: Principal, *, budget_id: int,
                 data: BudgetUpdate, expected_version: int | None) -> ExpenseBudget:
    budget = await get_visible(session, principal, budget_id, for_update=True)
    require(principal, Capability.expense_budget_write, "edit expense budgets")
    ensure_version(budget.version, expected_version)
    if budget.status != BudgetStatus.draft:
        raise BudgetLocked(f"The budget is {budget.status.value}.",
                           current_status=budget.status.value)
    assert budget.id is not None
    items = (await items_by_budget(session, [budget.id])).get(budget.id, [])
    before = summary(budget, items)
    changes: dict[str, Any] = {}
    given = data.model_dump(exclude_unset=True)
    if "title" in given:
        changes["title"] = data.title
    if data.seasonal_ratios is not None:
        changes["seasonal_ratios"] = _ratios(data.seasonal_ratios)
    if data.remainder_month is not None:
        changes["remainder_month"] = data.remainder_month
    if data.items is not None:
        # A draft has no expenses: its items are replaced whole.
        for item in items:
            await session.delete(item)
        await session.flush()
        items = _items(budget.id, data.items)
        session.add_all(items)
        changes["total"] = sum((i.amount for i in data.items), ZERO)
    apply_changes(budget, changes)
    await session.flush()
    record_change(session, principal, event_type="expense_budget.updated", entity_type=ENTITY,
                  entity_id=budget.id, before=before, after=summary(budget, items))
    await commit(session)
    return budget


async def submit(session: AsyncSession, principal: Principal, *, budget_id: int,
                 expected_version: int | None, now: datetime) -> ExpenseBudget:
    """Into approval: finance, then the GM (the policy's `expense_budget`)."""
    budget = await get_visible(session, principal, budget_id, for_update=True)
    require(principal, Capability.expense_budget_write, "submit expense budgets")
    ensure_version(budget.version, expected_version)
    await documents.submit_document(session, principal, budget, now=now)
    return budget


async def recall(session: AsyncSession, principal: Principal, *, budget_id: int,
                 expected_version: int | None, now: datetime) -> ExpenseBudget:
    # Not locked here (documents.recall_document says why).
    budget = await get_visible(session, principal, budget_id)
    ensure_version(budget.version, expected_version)
    await documents.recall_document(session, principal, budget, now=now)
    return budget


# ---- spending ---------------------------------------------------------------------------


async def spendable_item(session: AsyncSession, principal: Principal, budget_id: int,
                         data: ExpenseCreate) -> tuple[ExpenseBudget, ExpenseBudgetItem]:
    """The approved budget's item an expense goes to, locked: read as the lock finds it, so
    the remainder is the one the previous expense left."""
    budget = await get_visible(session, principal, budget_id)
    require(principal, Capability.expense_record, "record expenses")
    if budget.status != BudgetStatus.approved:
        raise BudgetNotInForce(f"The budget is {budget.status.value}.",
                               current_status=budget.status.value)
    if data.spent_on.year != budget.year:
        raise OutsideBudgetYear(f"{data.spent_on} is not in {budget.year}.",
                                date=data.spent_on.isoformat())
    item = await lock_item(session, budget_id, data.category)
    return budget, item


async def lock_item(session: AsyncSession, budget_id: int,
                    category: ExpenseCategory) -> ExpenseBudgetItem:
    item = (await session.execute(
        select(ExpenseBudgetItem).where(col(ExpenseBudgetItem.budget_id) == budget_id,
                                        col(ExpenseBudgetItem.category) == category)
        .with_for_update().execution_options(populate_existing=True))).scalar_one_or_none()
    if item is None:
        raise NoSuchItem(f"The budget has no {category.value} item.")
    return item


async def record_expense(session: AsyncSession, principal: Principal, *, budget_id: int,
                         data: ExpenseCreate) -> tuple[Expense, ExpenseBudgetItem]:
    """An expense within its item's remainder (exactly the remainder included); beyond it,
    409 with the remainder and the amount over: a GM override may allow it."""
    budget, item = await spendable_item(session, principal, budget_id, data)
    remainder = item.amount - item.spent
    if data.amount > remainder:
        raise OverRemainder(
            f"{data.category.value}: {format_money(remainder)} left, "
            f"{format_money(data.amount)} asked.",
            remainder=format_money(remainder),
            amount_over=format_money(data.amount - max(remainder, ZERO)))
    expense = book(session, principal, budget, item, data.spent_on, data.amount,
                   data.description, data.spent_by or principal.sub, override_id=None)
    await session.flush()
    await commit(session)
    return expense, item


def book(session: AsyncSession, principal: Principal, budget: ExpenseBudget,
         item: ExpenseBudgetItem, spent_on: Any, amount: Decimal, description: str,
         spent_by: str, *, override_id: int | None, recorded_by: str | None = None
         ) -> Expense:
    """Add an expense to its (locked) item, with its audit row and event; no commit.
    `recorded_by`: who entered it, when not the principal (an override's requester, booked
    by the GM's approval)."""
    assert budget.id is not None and item.id is not None
    before = _item_summary(item)
    expense = Expense(budget_id=budget.id, item_id=item.id, department_id=budget.department_id,
                      category=item.category, spent_on=spent_on, amount=amount,
                      description=description, spent_by=spent_by,
                      recorded_by=recorded_by or principal.sub,
                      override_id=override_id)
    session.add(expense)
    item.spent = item.spent + amount
    after = _item_summary(item)
    record_change(session, principal, event_type="expense_budget.expense_recorded",
                  entity_type=ENTITY, entity_id=budget.id, before=before, after=after,
                  event_data={"budget_id": budget.id, "budget_number": budget.number,
                              "department_id": budget.department_id, "year": budget.year,
                              "category": item.category.value,
                              "spent_on": spent_on.isoformat(), "amount": format_money(amount),
                              "description": description, "spent_by": spent_by,
                              "override_id": override_id, "item_amount": after["amount"],
                              "item_spent": after["spent"],
                              "item_remainder": format_money(item.amount - item.spent)})
    return expense


async def list_expenses(session: AsyncSession, principal: Principal, *, budget_id: int,
                        category: ExpenseCategory | None, spent_by: str | None = None,
                        spent_from: date | None = None, spent_to: date | None = None,
                        amount_from: Decimal | None = None, amount_to: Decimal | None = None,
                        page: ListRequest) -> Listed[Expense]:
    await get_visible(session, principal, budget_id)
    statement: Select[Any] = select(Expense).where(col(Expense.budget_id) == budget_id)
    statement = where_equal(statement, (col(Expense.category), category),
                            (col(Expense.spent_by), spent_by))
    statement = where_range(statement, col(Expense.spent_on), spent_from, spent_to)
    statement = where_range(statement, col(Expense.amount), amount_from, amount_to)
    return await EXPENSE_SORTS.page(session, statement, page)


# ---- shared -----------------------------------------------------------------------------


def _item_summary(item: ExpenseBudgetItem) -> dict[str, Any]:
    return ItemSummary(category=item.category, amount=format_money(item.amount),
                       spent=format_money(item.spent)).model_dump(mode="json")


def summary(budget: ExpenseBudget, items: list[ExpenseBudgetItem]) -> dict[str, Any]:
    assert budget.id is not None
    return BudgetSummary(
        id=budget.id, number=budget.number, department_id=budget.department_id,
        year=budget.year, status=budget.status, total=format_money(budget.total),
        remainder_month=budget.remainder_month, seasonal_ratios=list(budget.seasonal_ratios),
        items=[ItemSummary(category=i.category, amount=format_money(i.amount),
                           spent=format_money(i.spent)) for i in items],
        version=budget.version).model_dump(mode="json")


def allowed_actions(budget: ExpenseBudget, principal: Principal,
                    approval_actions: list[str]) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    actions: list[str] = []
    writer = can(principal, Capability.expense_budget_write)
    if budget.status == BudgetStatus.draft and writer:
        actions += ["update", "submit"]
    if budget.status == BudgetStatus.pending_approval:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if budget.status == BudgetStatus.approved and can(principal, Capability.expense_record):
        actions += ["record_expense", "request_override"]
    return actions


