from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, money_column_type, utcnow


class OpportunityGrade(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class OpportunityStage(StrEnum):
    qualification = "qualification"
    needs_analysis = "needs_analysis"
    proposal = "proposal"
    negotiation = "negotiation"
    won = "won"
    lost = "lost"


class ProposalStatus(StrEnum):
    pending_approval = "pending_approval"
    approved = "approved"
    rejected = "rejected"
    recalled = "recalled"


class Opportunity(SQLModel, table=True):
    """A sales opportunity (销售机会), in base currency (CNY). Its proposal (销售方案)
    is reviewed through the approval engine before negotiation."""

    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_owner_id_id", "owner_id", "id"),
        Index("ix_opportunity_department_id_id", "department_id", "id"),
        Index("ix_opportunity_customer_id_id", "customer_id", "id"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability_percent"),
        CheckConstraint("expected_amount >= 0", name="expected_amount_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    # The customer's name as it is now, kept by a rename (app/customers/service.py), so
    # that `?q=` finds a document by it on this table's own indexes.
    customer_name: str = Field(max_length=200)
    # One opportunity per converted lead: the funnel follows a lead into it.
    lead_id: int | None = Field(default=None, foreign_key="lead.id", unique=True)
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    title: str = Field(max_length=200)
    grade: OpportunityGrade = Field(max_length=8)
    stage: OpportunityStage = Field(default=OpportunityStage.qualification, max_length=16)
    probability: int = Field(description="Percent")
    expected_amount: Decimal = Field(sa_type=money_column_type())
    expected_close_date: date
    won_amount: Decimal | None = Field(default=None, sa_type=money_column_type())
    lost_reason: str | None = Field(default=None, max_length=2000)
    stage_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    proposal_summary: str | None = Field(default=None, sa_type=Text)
    proposal_status: ProposalStatus | None = Field(default=None, max_length=16)
    proposal_rejection_reason: str | None = Field(default=None, max_length=2000)
    proposal_request_id: int | None = None
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
