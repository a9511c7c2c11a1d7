from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from app.approvals.schemas import ApprovalRead
from app.budgets.models import BudgetStatus, ExpenseCategory, OverrideStatus
from app.core.directory import CreatorName, DepartmentName
from app.core.money import Money, MoneyIn, PercentOut, PositiveMoneyIn
from app.core.pagination import Page
from app.core.schemas import ReadModel, Title, UpdateModel, UserId, WriteModel

Ratio = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2,
                                 allow_inf_nan=False, examples=["8.50"])]
Month = Annotated[int, Field(ge=1, le=12, description="The month that takes the cents "
                                                      "left over by the spread")]
Year = Annotated[int, Field(ge=2000, le=2100)]
Text500 = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def _hundred(ratios: list[Decimal]) -> list[Decimal]:
    if sum(ratios) != Decimal(100):
        raise ValueError(f"the ratios add up to {sum(ratios)}, not 100")
    return ratios


Ratios = Annotated[list[Ratio], Field(
    min_length=12, max_length=12,
    description="Twelve seasonal percentages, January first, adding up to exactly 100"),
    AfterValidator(_hundred)]


class ItemIn(WriteModel):
    category: ExpenseCategory
    amount: MoneyIn = Field(description="The year's amount for the category, CNY")
    description: Text500 | None = None


def _distinct(items: list[ItemIn]) -> list[ItemIn]:
    categories = [i.category for i in items]
    if len(set(categories)) != len(categories):
        raise ValueError("each category appears once")
    return items


Items = Annotated[list[ItemIn], Field(min_length=1, max_length=len(ExpenseCategory)),
                  AfterValidator(_distinct)]


class BudgetCreate(WriteModel):
    department_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    year: Year
    title: Title
    seasonal_ratios: Ratios
    remainder_month: Month = 12
    items: Items


class BudgetUpdate(UpdateModel):
    """A draft's plan; `items`, when given, replace the items."""

    title: Title | None = None
    seasonal_ratios: Ratios | None = None
    remainder_month: Month | None = None
    items: Items | None = None


class MonthRead(BaseModel):
    month: int
    planned: Money = Field(description="The item's amount spread by the seasonal ratios")
    spent: Money = Field(description="Expenses dated in the month")


class ItemRead(BaseModel):
    id: int
    category: ExpenseCategory
    amount: Money
    spent: Money
    remainder: Money = Field(description="amount − spent, for the year: what an expense may "
                                         "still take without a GM override (negative once "
                                         "an override went beyond)")
    description: str | None
    months: list[MonthRead]


class BudgetRead(ReadModel, CreatorName, DepartmentName):
    id: int
    number: str = Field(description="FY-2026-000001")
    department_id: str
    year: int
    title: str
    seasonal_ratios: list[PercentOut]
    remainder_month: int
    total: Money
    spent: Money = Decimal(0)
    remainder: Money = Decimal(0)
    status: BudgetStatus
    rejection_reason: str | None
    approved_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    items: list[ItemRead] = Field(default_factory=list)
    approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do now: update, submit, recall, approve, reject, "
                    "record_expense, request_override")


class BudgetPage(Page[BudgetRead]):
    pass


class ExpenseCreate(WriteModel):
    category: ExpenseCategory
    spent_on: date
    amount: PositiveMoneyIn
    description: Text500
    spent_by: UserId | None = Field(default=None, description="Who incurred it; default: you")


class ExpenseRead(ReadModel):
    id: int
    budget_id: int
    item_id: int
    category: ExpenseCategory
    spent_on: date
    amount: Money
    description: str
    spent_by: str
    spent_by_name: str | None = Field(default=None, description="The spender's name")
    recorded_by: str
    recorded_by_name: str | None = Field(default=None, description="The recorder's name")
    override_id: int | None = Field(description="The GM override that allowed it, if any")
    created_at: datetime


class ExpensePage(Page[ExpenseRead]):
    pass


class OverrideCreate(ExpenseCreate):
    justification: Reason = Field(description="Why the budget is not enough")


class OverrideRead(ReadModel, DepartmentName):
    id: int
    budget_id: int
    item_id: int
    department_id: str
    category: ExpenseCategory
    spent_on: date
    amount: Money
    description: str
    spent_by: str
    spent_by_name: str | None = Field(default=None, description="The spender's name")
    justification: str
    remainder_at_request: Money
    status: OverrideStatus
    rejection_reason: str | None
    requested_by: str
    requested_by_name: str | None = Field(default=None, description="The requester's name")
    version: int
    created_at: datetime
    updated_at: datetime
    expense_id: int | None = Field(default=None, description="The expense booked on approval")
    approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(default_factory=list,
                                       description="approve, reject, recall")


class OverridePage(Page[OverrideRead]):
    pass


# ---- audit and event payloads ---------------------------------------------------------


class ItemSummary(BaseModel):
    category: ExpenseCategory
    amount: str
    spent: str


class BudgetSummary(BaseModel):
    id: int
    number: str
    department_id: str
    year: int
    status: BudgetStatus
    total: str
    remainder_month: int
    seasonal_ratios: list[str]
    items: list[ItemSummary]
    version: int


class OverrideSummary(BaseModel):
    id: int
    budget_id: int
    department_id: str
    category: ExpenseCategory
    spent_on: date
    amount: str
    description: str
    spent_by: str
    justification: str
    remainder_at_request: str
    status: OverrideStatus
    version: int




class BudgetHeader(BaseModel):
    """A budget as its approval events carry it."""

    id: int
    number: str
    department_id: str
    year: int
    status: BudgetStatus
    total: str
    version: int
