from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint, text
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH


class SalesPlanStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"  # deputy GM → GM (the policy's `sales_plan`)
    approved = "approved"                  # in force for its department and period
    superseded = "superseded"              # a later revision was approved
    cancelled = "cancelled"                # a draft given up (never in force)


# Revisions of a plan that still count: one per (department, period, revision). A cancelled
# draft leaves its revision number free for the next attempt.
COUNTED = "status <> 'cancelled'"
IN_FORCE = "status = 'approved'"


class SalesPlan(SQLModel, table=True):
    """A department's sales plan (年度/月度销售计划) for a year or a month, one revision of it.

    Changing an approved plan drafts revision n+1 with the same number; the approved one
    stays in force until the new one is approved, then becomes `superseded`."""

    __tablename__ = "sales_plan"
    __table_args__ = (
        Index("uq_sales_plan_number_revision", "number", "revision", unique=True,
              postgresql_where=text(COUNTED), sqlite_where=text(COUNTED)),
        # One plan per department and period (a second one, even created at the same
        # moment, is refused), and one in force: the last word behind the services' checks.
        Index("uq_sales_plan_department_id_period_revision", "department_id", "period",
              "revision", unique=True,
              postgresql_where=text(COUNTED), sqlite_where=text(COUNTED)),
        Index("uq_sales_plan_in_force", "department_id", "period", unique=True,
              postgresql_where=text(IN_FORCE), sqlite_where=text(IN_FORCE)),
        Index("ix_sales_plan_period_department_id", "period", "department_id"),
        CheckConstraint("target_amount >= 0", name="target_amount_non_negative"),
        CheckConstraint("month IS NULL OR (month >= 1 AND month <= 12)", name="month_in_year"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH)  # JH-2026-000001, kept by every revision
    revision: int = 1
    previous_id: int | None = Field(default=None, foreign_key="sales_plan.id")
    department_id: str = Field(foreign_key="department.id", max_length=32)
    # "2026" for a yearly plan, "2026-03" for a monthly one; year and month for the queries.
    period: str = Field(max_length=7)
    year: int
    month: int | None = None
    title: str = Field(max_length=200)
    target_amount: Decimal = Field(sa_type=money_column_type())  # CNY, including tax
    notes: str | None = Field(default=None, sa_type=Text)
    status: SalesPlanStatus = Field(default=SalesPlanStatus.draft,
                                    sa_type=SAEnum(SalesPlanStatus, name="salesplanstatus"))
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    superseded_by_id: int | None = None
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SalesPlanLine(SQLModel, table=True):
    """The plan's target for one product line (optional; the lines add up to the plan)."""

    __tablename__ = "sales_plan_line"
    __table_args__ = (
        UniqueConstraint("plan_id", "product_line", name="uq_sales_plan_line_product_line"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="sales_plan.id")
    product_line: str = Field(max_length=100)
    amount: Decimal = Field(sa_type=money_column_type())


class SalesTarget(SQLModel, table=True):
    """One rep's share of a plan (业绩协议), which the rep acknowledges. The targets of a
    plan add up to its amount to the cent."""

    __tablename__ = "sales_target"
    __table_args__ = (
        UniqueConstraint("plan_id", "owner_id", name="uq_sales_target_plan_id_owner_id"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="sales_plan.id")
    # The plan's, copied so visibility filters targets without a join.
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)  # the rep
    amount: Decimal = Field(sa_type=money_column_type())
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SalesTargetMonth(SQLModel, table=True):
    """A yearly target's share for one month, when the year is split (months not listed
    have none); the months add up to the target."""

    __tablename__ = "sales_target_month"
    __table_args__ = (
        UniqueConstraint("target_id", "month", name="uq_sales_target_month_target_id_month"),
        CheckConstraint("month >= 1 AND month <= 12", name="month_in_year"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="sales_target.id")
    month: int
    amount: Decimal = Field(sa_type=money_column_type())
