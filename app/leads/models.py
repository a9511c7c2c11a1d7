from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, money_column_type, utcnow


class LeadSource(StrEnum):
    web = "web"
    exhibition = "exhibition"
    referral = "referral"
    phone = "phone"
    social = "social"
    other = "other"


class LeadStatus(StrEnum):
    new = "new"
    contacted = "contacted"
    qualified = "qualified"
    converted = "converted"
    disqualified = "disqualified"


class Lead(SQLModel, table=True):
    """A sales lead (客户线索). Without an owner it waits in its department's pool until
    the head assigns it."""

    __tablename__ = "lead"
    __table_args__ = (
        Index("ix_lead_owner_id_id", "owner_id", "id"),
        Index("ix_lead_department_id_id", "department_id", "id"),
        # The funnel report and the created-range filter read leads by creation time.
        Index("ix_lead_department_id_created_at", "department_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: LeadSource = Field(max_length=16)
    company: str = Field(max_length=200)
    contact_name: str | None = Field(default=None, max_length=100)
    # Stored normalised (E.164; lower-case e-mail), so each is its own duplicate key and
    # a duplicate check is a few index lookups, never a scan.
    phone: str | None = Field(default=None, max_length=16, index=True)
    phone_extension: str | None = Field(default=None, max_length=6)
    email: str | None = Field(default=None, max_length=254, index=True)
    company_key: str = Field(max_length=200, index=True)
    needs: str | None = Field(default=None, sa_type=Text)
    possible_duplicate: bool = False
    status: LeadStatus = Field(default=LeadStatus.new, max_length=16)
    owner_id: str | None = Field(default=None, max_length=128)
    department_id: str = Field(foreign_key="department.id", max_length=32)
    disqualify_reason: str | None = Field(default=None, max_length=2000)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    contacted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    qualified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    converted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disqualified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# The rollup's key for the leads no rep holds (the department's pool): a primary key column
# can't be NULL, and no user id is empty.
POOL = ""


class FunnelFigures(SQLModel):
    """What the leads of one rollup key add up to in the funnel."""

    leads: int
    qualified: int
    opportunities: int
    opportunity_amount: Decimal = Field(sa_type=money_column_type())
    won: int
    won_amount: Decimal = Field(sa_type=money_column_type())


class LeadFunnelDay(FunnelFigures, table=True):
    """The funnel of the leads created on one company calendar day, per department and
    rep: what `GET /reports/funnel` sums for the days of a range outside its whole months.
    Kept by app/leads/funnel_rollup.py in the transaction of every change to a lead or its
    opportunity; a key whose last lead went (moved to another key) is deleted."""

    __tablename__ = "lead_funnel_day"
    __table_args__ = (CheckConstraint("leads >= 0", name="leads_not_negative"),)

    day: date = Field(primary_key=True)
    department_id: str = Field(primary_key=True, max_length=32)
    owner_id: str = Field(primary_key=True, max_length=128)  # POOL: the department's pool


class LeadFunnelMonth(FunnelFigures, table=True):
    """The same figures per company calendar month of creation (`month`: its first day),
    department and rep, kept with the days in the same transaction: a year's report sums
    twelve rows per rep here instead of 365 there."""

    __tablename__ = "lead_funnel_month"
    __table_args__ = (CheckConstraint("leads >= 0", name="leads_not_negative"),)

    month: date = Field(primary_key=True)
    department_id: str = Field(primary_key=True, max_length=32)
    owner_id: str = Field(primary_key=True, max_length=128)  # POOL: the department's pool
