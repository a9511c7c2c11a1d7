"""Budgets and overrides in approval.

A budget goes to finance, then the GM (the policy's `expense_budget`); approved, it is in
force and expenses are recorded against it. An expense beyond its item's remainder is
refused unless the GM allows it: an override (the policy's `expense_override`) carries the
expense itself, and its approval books it, in the deciding transaction, under the item's
lock, however little is left by then: the GM approved that amount beyond the budget."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import documents
from app.approvals.documents import (
    ApprovalEvents,
    ApprovalStates,
    DocumentApprovals,
    recall_document,
    submit_document,
)
from app.approvals.models import ApprovalRequest
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.budgets import service
from app.budgets.errors import OverrideNotFound, WithinRemainder
from app.budgets.models import (
    BudgetStatus,
    Expense,
    ExpenseBudget,
    ExpenseOverride,
    OverrideStatus,
)
from app.budgets.schemas import BudgetHeader, OverrideCreate, OverrideSummary
from app.budgets.states import ensure_budget_transition, ensure_override_transition
from app.core.db import utcnow
from app.core.filters import where_equal
from app.core.money import format_money
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import PLANNING_RECORD_SCOPES, visible
from app.core.security import Principal
from app.core.versioning import ensure_version

BUDGET_POLICY_KEY = "expense_budget"
OVERRIDE_POLICY_KEY = "expense_override"
OVERRIDE_ENTITY = "expense_override"


def header(budget: ExpenseBudget) -> dict[str, Any]:
    assert budget.id is not None
    return BudgetHeader(
        id=budget.id, number=budget.number, department_id=budget.department_id,
        year=budget.year, status=budget.status, total=format_money(budget.total),
        version=budget.version).model_dump(mode="json")


class BudgetApprovals(DocumentApprovals[ExpenseBudget]):
    model = ExpenseBudget
    document_type = BUDGET_POLICY_KEY
    entity_type = service.ENTITY
    states = ApprovalStates(field="status", pending=BudgetStatus.pending_approval,
                            approved=BudgetStatus.approved, rejected=BudgetStatus.draft,
                            recalled=BudgetStatus.draft)
    events = ApprovalEvents(submitted="expense_budget.submitted",
                            approved="expense_budget.approved",
                            rejected="expense_budget.rejected",
                            recalled="expense_budget.recalled")

    def describe(self, document: ExpenseBudget) -> SubmittedDocument:
        assert document.id is not None
        return SubmittedDocument(
            document_type=BUDGET_POLICY_KEY, document_id=document.id,
            document_version=document.version,
            title=f"销售费用预算 {document.number} {document.department_id} {document.year}",
            owner_id=document.created_by,
            facts=DocumentFacts(policy_key=BUDGET_POLICY_KEY, amount=document.total,
                                department_id=document.department_id))

    def summary(self, document: ExpenseBudget) -> dict[str, Any]:
        return header(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> ExpenseBudget:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_budget_transition(current, target)

    async def ending(self, session: AsyncSession, principal: Principal,
                     request: ApprovalRequest, document: ExpenseBudget,
                     target: StrEnum) -> dict[str, Any]:
        if target == BudgetStatus.approved:
            return {"approved_at": request.decided_at or utcnow()}
        return {}


class OverrideApprovals(DocumentApprovals[ExpenseOverride]):
    model = ExpenseOverride
    document_type = OVERRIDE_POLICY_KEY
    entity_type = OVERRIDE_ENTITY
    states = ApprovalStates(field="status", pending=OverrideStatus.pending_approval,
                            approved=OverrideStatus.approved, rejected=OverrideStatus.rejected,
                            recalled=OverrideStatus.recalled)
    events = ApprovalEvents(submitted="expense_override.requested",
                            approved="expense_override.approved",
                            rejected="expense_override.rejected",
                            recalled="expense_override.recalled")

    def describe(self, document: ExpenseOverride) -> SubmittedDocument:
        assert document.id is not None
        return SubmittedDocument(
            document_type=OVERRIDE_POLICY_KEY, document_id=document.id,
            document_version=document.version,
            title=f"超预算费用 {document.category.value} {format_money(document.amount)}",
            owner_id=document.requested_by,
            facts=DocumentFacts(policy_key=OVERRIDE_POLICY_KEY, amount=document.amount,
                                department_id=document.department_id))

    def summary(self, document: ExpenseOverride) -> dict[str, Any]:
        return override_summary(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> ExpenseOverride:
        return await get_override(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_override_transition(current, target)

    async def ending(self, session: AsyncSession, principal: Principal,
                     request: ApprovalRequest, document: ExpenseOverride,
                     target: StrEnum) -> dict[str, Any]:
        if target == OverrideStatus.approved:
            budget = await session.get(ExpenseBudget, document.budget_id)
            assert budget is not None
            item = await service.lock_item(session, document.budget_id, document.category)
            service.book(session, principal, budget, item, document.spent_on, document.amount,
                         document.description, document.spent_by, override_id=document.id,
                         recorded_by=document.requested_by)
            await session.flush()
        return {}


def override_summary(override: ExpenseOverride) -> dict[str, Any]:
    assert override.id is not None
    return OverrideSummary(
        id=override.id, budget_id=override.budget_id, department_id=override.department_id,
        category=override.category, spent_on=override.spent_on,
        amount=format_money(override.amount), description=override.description,
        spent_by=override.spent_by, justification=override.justification,
        remainder_at_request=format_money(override.remainder_at_request),
        status=override.status, version=override.version).model_dump(mode="json")


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=ExpenseOverride.requested_by,
                   department_column=ExpenseOverride.department_id,
                   table=PLANNING_RECORD_SCOPES)


async def get_override(session: AsyncSession, principal: Principal,
                       override_id: int) -> ExpenseOverride:
    statement = select(ExpenseOverride).where(col(ExpenseOverride.id) == override_id,
                                              _visible(principal))
    override = (await session.execute(statement)).scalar_one_or_none()
    if override is None:
        raise OverrideNotFound(f"No expense override {override_id}.")
    return override


SORTS = Sorts("ExpenseOverride", {
    "created_at": col(ExpenseOverride.created_at), "amount": col(ExpenseOverride.amount),
}, tiebreaker=col(ExpenseOverride.id))


async def list_overrides(session: AsyncSession, principal: Principal, *, budget_id: int,
                         status: OverrideStatus | None, page: ListRequest
                         ) -> Listed[ExpenseOverride]:
    await service.get_visible(session, principal, budget_id)
    statement: Select[Any] = select(ExpenseOverride).where(
        col(ExpenseOverride.budget_id) == budget_id)
    statement = where_equal(statement, (col(ExpenseOverride.status), status))
    return await SORTS.page(session, statement, page)


async def expenses_of(session: AsyncSession, override_ids: list[int]) -> dict[int, int]:
    """The expense each approved override booked."""
    if not override_ids:
        return {}
    rows = await session.execute(select(col(Expense.override_id), col(Expense.id))
                                 .where(col(Expense.override_id).in_(override_ids)))
    found: dict[int, int] = {}
    for override_id, expense_id in rows:
        if override_id is not None and expense_id is not None:
            found[override_id] = expense_id
    return found


async def request_override(session: AsyncSession, principal: Principal, *, budget_id: int,
                           data: OverrideCreate, now: datetime) -> ExpenseOverride:
    """Ask the GM to allow an expense beyond its item's remainder. One that fits the
    remainder is refused (409): it needs no override, it is recorded."""
    budget, item = await service.spendable_item(session, principal, budget_id, data)
    remainder = item.amount - item.spent
    if data.amount <= remainder:
        raise WithinRemainder(f"{format_money(remainder)} is left: record the expense.",
                              remainder=format_money(remainder))
    assert item.id is not None
    override = ExpenseOverride(
        budget_id=budget_id, item_id=item.id, department_id=budget.department_id,
        category=item.category, spent_on=data.spent_on, amount=data.amount,
        description=data.description, spent_by=data.spent_by or principal.sub,
        justification=data.justification, remainder_at_request=remainder, requested_by=principal.sub)
    session.add(override)
    await session.flush()
    # Created and submitted at once: an override is nothing but its request.
    await submit_document(session, principal, override, now=now)
    return override


async def recall_override(session: AsyncSession, principal: Principal, *, override_id: int,
                          expected_version: int | None, now: datetime) -> ExpenseOverride:
    """The requester withdraws an override still in approval."""
    override = await get_override(session, principal, override_id)
    ensure_version(override.version, expected_version)
    await recall_document(session, principal, override, now=now)
    return override


documents.register(BudgetApprovals())
documents.register(OverrideApprovals())
