from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH


class BudgetStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"  # finance → gm (the policy's `expense_budget`)
    approved = "approved"                  # in force: expenses are recorded against it


class ExpenseCategory(StrEnum):
    """The expense categories of a sales budget (002 §3.3)."""

    travel = "travel"              # 差旅费
    office = "office"              # 办公费
    depreciation = "depreciation"  # 折旧费
    phone = "phone"                # 电话费
    commission = "commission"      # 佣金
    advertising = "advertising"    # 广告费
    exhibition = "exhibition"      # 展览费
    other = "other"                # 其他


class OverrideStatus(StrEnum):
    draft = "draft"                        # only inside the requesting transaction
    pending_approval = "pending_approval"  # the GM decides (the policy's `expense_override`)
    approved = "approved"                  # its expense is booked beyond the remainder
    rejected = "rejected"
    recalled = "recalled"


class ExpenseBudget(SQLModel, table=True):
    """A department's sales expense budget for a year (销售费用预算): items by category,
    spread over the months by seasonal ratios, approved by finance then the GM."""

    __tablename__ = "expense_budget"
    __table_args__ = (
        # One budget per department and year: its items are what expenses are held to.
        UniqueConstraint("department_id", "year", name="uq_expense_budget_department_year"),
        CheckConstraint("remainder_month BETWEEN 1 AND 12", name="remainder_month_valid"),
        CheckConstraint("total >= 0", name="total_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # FY-2026-000001
    department_id: str = Field(foreign_key="department.id", max_length=32)
    year: int
    title: str = Field(max_length=200)
    # Twelve percentages (decimal strings, two places) adding up to 100.00: January first.
    seasonal_ratios: list[str] = Field(sa_type=JSON)
    # The month that takes what rounding the other months down to the cent leaves over.
    remainder_month: int = 12
    total: Decimal = Field(sa_type=money_column_type())  # the items' amounts, CNY
    status: BudgetStatus = Field(default=BudgetStatus.draft,
                                 sa_type=SAEnum(BudgetStatus, name="budgetstatus"))
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExpenseBudgetItem(SQLModel, table=True):
    """One category of a budget: its yearly amount and what has been spent of it. The
    remainder (amount − spent) is per item and year; expenses lock this row."""

    __tablename__ = "expense_budget_item"
    __table_args__ = (
        UniqueConstraint("budget_id", "category", name="uq_expense_budget_item_category"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        # Above the amount only through a GM override; never below zero.
        CheckConstraint("spent >= 0", name="spent_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    budget_id: int = Field(foreign_key="expense_budget.id", index=True)
    category: ExpenseCategory = Field(sa_type=SAEnum(ExpenseCategory, name="expensecategory"))
    amount: Decimal = Field(sa_type=money_column_type())
    spent: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    description: str | None = Field(default=None, max_length=500)


class Expense(SQLModel, table=True):
    """Money spent against a budget item: who spent it, when, on what."""

    __tablename__ = "expense"
    __table_args__ = (
        Index("ix_expense_item_id_spent_on", "item_id", "spent_on"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    budget_id: int = Field(foreign_key="expense_budget.id")
    item_id: int = Field(foreign_key="expense_budget_item.id")
    department_id: str = Field(foreign_key="department.id", max_length=32)
    category: ExpenseCategory = Field(sa_type=SAEnum(ExpenseCategory, name="expensecategory"))
    spent_on: date
    amount: Decimal = Field(sa_type=money_column_type())
    description: str = Field(max_length=500)
    spent_by: str = Field(max_length=128)      # who incurred it
    recorded_by: str = Field(max_length=128)   # who entered it
    # The GM's override that allowed it beyond the item's remainder, if it needed one.
    override_id: int | None = Field(default=None, foreign_key="expense_override.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExpenseOverride(SQLModel, table=True):
    """A request to spend beyond an item's remainder, decided by the GM through the approval
    kernel; approved, its expense is booked in the deciding transaction."""

    __tablename__ = "expense_override"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    budget_id: int = Field(foreign_key="expense_budget.id")
    item_id: int = Field(foreign_key="expense_budget_item.id")
    department_id: str = Field(foreign_key="department.id", max_length=32)
    category: ExpenseCategory = Field(sa_type=SAEnum(ExpenseCategory, name="expensecategory"))
    spent_on: date
    amount: Decimal = Field(sa_type=money_column_type())
    description: str = Field(max_length=500)
    spent_by: str = Field(max_length=128)
    justification: str = Field(max_length=2000)  # why the budget is not enough
    # The item's remainder when the override was asked for (for the GM's eyes).
    remainder_at_request: Decimal = Field(sa_type=money_column_type())
    status: OverrideStatus = Field(default=OverrideStatus.draft,
                                   sa_type=SAEnum(OverrideStatus, name="overridestatus"))
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    requested_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
