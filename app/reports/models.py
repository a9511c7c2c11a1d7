"""Tables the reports keep for themselves (the documents they read belong to their domains)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.core.db import money_column_type

# The rollup's key for the leads no rep holds (the department's pool): a primary key column
# can't be NULL, and no user id is empty.
POOL = ""


class LeadFunnelDay(SQLModel, table=True):
    """The funnel of the leads created on one company calendar day, per department and
    rep: what `GET /reports/funnel` sums for long ranges instead of reading every lead.
    Kept by app/reports/funnel_rollup.py in the transaction of every change to a lead or its
    opportunity; a key whose last lead went (moved to another key) is deleted."""

    __tablename__ = "lead_funnel_day"
    __table_args__ = (CheckConstraint("leads >= 0", name="leads_not_negative"),)

    day: date = Field(primary_key=True)
    department_id: str = Field(primary_key=True, max_length=32)
    owner_id: str = Field(primary_key=True, max_length=128)  # POOL: the department's pool
    leads: int
    qualified: int
    opportunities: int
    opportunity_amount: Decimal = Field(sa_type=money_column_type())
    won: int
    won_amount: Decimal = Field(sa_type=money_column_type())
