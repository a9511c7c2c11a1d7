"""Expense budget bodies for the API, and approved budgets written straight to the tables
for the race tests (whose commits are real, and undone after them by undo_commits)."""

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.budgets.models import BudgetStatus, ExpenseBudget, ExpenseBudgetItem, ExpenseCategory
from app.core.db import commit, utcnow

# Two quiet months, seven even ones, then the autumn push: adds up to 100.
RATIOS = ["5.00", "5.00", "8.00", "8.00", "8.00", "8.00", "8.00", "8.00", "8.00", "10.00",
          "12.00", "12.00"]


def budget_body(department_id: str = "east", year: int = 2026, **overrides: Any) -> dict:
    body: dict[str, Any] = {
        "department_id": department_id, "year": year, "title": f"{year} 销售费用预算",
        "seasonal_ratios": RATIOS, "remainder_month": 12,
        "items": [{"category": "travel", "amount": "120000.00", "description": "差旅"},
                  {"category": "office", "amount": "10000.00"},
                  {"category": "advertising", "amount": "100000.01"}]}
    body.update(overrides)
    return body


async def create_approved_budget(session: AsyncSession, *, department_id: str, year: int,
                                 number: str, items: dict[ExpenseCategory, str]
                                 ) -> ExpenseBudget:
    """An approved budget, as after finance and the GM approved it."""
    budget = ExpenseBudget(
        number=number, department_id=department_id, year=year, title="race",
        seasonal_ratios=RATIOS, remainder_month=12, created_by="head.race",
        total=sum((Decimal(a) for a in items.values()), Decimal("0.00")),
        status=BudgetStatus.approved, approved_at=utcnow())
    session.add(budget)
    await session.flush()
    assert budget.id is not None
    session.add_all([ExpenseBudgetItem(budget_id=budget.id, category=category,
                                       amount=Decimal(amount))
                     for category, amount in items.items()])
    await commit(session)
    return budget
