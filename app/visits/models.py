from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum as SAEnum
from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow
from app.core.numbering import NUMBER_LENGTH


class VisitStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"  # the department head (and for key customers the deputy GM) decide
    approved = "approved"
    rejected = "rejected"  # with its reason; edited and submitted again as a new request
    cancelled = "cancelled"
    reported = "reported"  # the rep filed the visit report (outcome, next steps)


class CustomerVisit(SQLModel, table=True):
    """A customer visit (客户拜访): requested by the rep, decided by the department head within
    24 hours (004 "客户拜访审批"), reported on after it took place."""

    __tablename__ = "customer_visit"
    __table_args__ = (
        Index("ix_customer_visit_owner_id_id", "owner_id", "id"),
        Index("ix_customer_visit_department_id_id", "department_id", "id"),
        Index("ix_customer_visit_status_id", "status", "id"),
        # The customer's timeline (newest visit first); the list's sorts are indexed in
        # app/list_indexes.py.
        Index("ix_customer_visit_customer_id_planned_at_id", "customer_id", "planned_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # BF-2026-000001
    customer_id: int = Field(foreign_key="customer.id")
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    purpose: str = Field(max_length=500)
    planned_at: datetime = Field(sa_type=UTCDateTime)
    place: str = Field(max_length=500)
    contact_name: str | None = Field(default=None, max_length=100)
    status: VisitStatus = Field(default=VisitStatus.draft, max_length=20,
                                sa_type=SAEnum(VisitStatus, name="visitstatus"))
    # The customer's key-customer flag as it was at the last submission: it added the
    # deputy GM's stage to that request (the policy's `key_customer` condition).
    key_customer: bool = False
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(default=None, max_length=2000)
    # The report, filed once the visit has taken place.
    outcome: str | None = Field(default=None, sa_type=Text)
    next_steps: str | None = Field(default=None, sa_type=Text)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
