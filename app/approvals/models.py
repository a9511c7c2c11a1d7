from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, money_column_type, utcnow


class RequestStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    recalled = "recalled"


class StepStatus(StrEnum):
    waiting = "waiting"  # its stage has not started
    active = "active"  # deciders may act now
    approved = "approved"
    rejected = "rejected"
    cancelled = "cancelled"  # the request ended before this step was decided


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"


class ApprovalPolicyVersion(SQLModel, table=True):
    """Each saved policy is a new version; requests keep the version they were resolved
    with, so editing the policy never changes a request in flight."""

    __tablename__ = "approval_policy"

    version: int = Field(primary_key=True)
    document: dict[str, Any] = Field(sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)


class ApprovalRequest(SQLModel, table=True):
    __tablename__ = "approval_request"
    __table_args__ = (
        Index("ix_approval_request_document", "document_type", "document_id", "id"),
        Index("ix_approval_request_department_id_id", "department_id", "id"),
        Index("ix_approval_request_owner_id_id", "owner_id", "id"),
        # The inbox sorted by deadline (`sort=due_at`); NULL (ended, no deadline) sorts last.
        Index("ix_approval_request_due_at_id", "due_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_type: str = Field(max_length=40)
    document_id: int
    document_version: int
    policy_key: str = Field(max_length=40)
    title: str = Field(max_length=200)
    amount: Decimal = Field(sa_type=money_column_type())
    department_id: str = Field(max_length=32)
    owner_id: str = Field(max_length=128)
    submitted_by: str = Field(max_length=128, index=True)
    flags: list[str] = Field(default_factory=list, sa_type=JSON)
    policy_version: int
    # Each rule as {"code", "params"} (app/approvals/rules.py), rendered when read.
    fired_rules: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: RequestStatus = Field(default=RequestStatus.pending, max_length=16, index=True)
    current_stage: int = 0
    # The current stage's earliest deadline among its active steps while pending, else
    # NULL: kept with the steps (app/approvals/store.py) so the inbox can sort by it.
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome_reason: str | None = Field(default=None, max_length=2000)
    version: int = 1


class ApprovalStep(SQLModel, table=True):
    __tablename__ = "approval_step"
    __table_args__ = (
        Index("ix_approval_step_request_id_stage", "request_id", "stage_index"),
        # The inbox and the SLA sweeper look only at active steps.
        Index("ix_approval_step_status_role", "status", "role"),
        Index("ix_approval_step_status_due_at", "status", "due_at"),
        CheckConstraint("quorum >= 1", name="quorum_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approval_request.id")
    stage_index: int
    stage_name: str = Field(max_length=40)
    role: str = Field(max_length=32)
    scope: str = Field(max_length=16)  # department | overseen | company
    department_id: str | None = Field(default=None, max_length=32)
    quorum: int = 1
    approvals: int = 0
    sla_hours: int
    rule: str = Field(max_length=300)
    status: StepStatus = Field(default=StepStatus.waiting, max_length=16)
    activated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    overdue_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_role: str | None = Field(default=None, max_length=32)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApprovalDecision(SQLModel, table=True):
    """Who decided, when, on behalf of whom, with what comment, on which version."""

    __tablename__ = "approval_decision"
    __table_args__ = (
        # One person counts once per step: the quorum is of distinct people.
        UniqueConstraint("step_id", "actor_id", name="uq_approval_decision_step_actor"),
        Index("ix_approval_decision_request_id", "request_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approval_request.id")
    step_id: int = Field(foreign_key="approval_step.id")
    actor_id: str = Field(max_length=128)
    on_behalf_of_id: str | None = Field(default=None, max_length=128)
    decision: Decision = Field(max_length=16)
    comment: str | None = Field(default=None, max_length=2000)
    document_version: int
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Delegation(SQLModel, table=True):
    """A user hands their approvals to another for a date range (inclusive).

    The delegator's authority (roles and departments, from their token when they created
    the delegation) is kept here, since the service has no user directory.
    """

    __tablename__ = "delegation"
    __table_args__ = (
        Index("ix_delegation_delegate_id_dates", "delegate_id", "start_date", "end_date"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delegator_id: str = Field(max_length=128, index=True)
    delegate_id: str = Field(max_length=128)
    start_date: date
    end_date: date
    delegator_roles: list[str] = Field(sa_type=JSON)
    delegator_dept: str | None = Field(default=None, max_length=32)
    delegator_depts: list[str] = Field(default_factory=list, sa_type=JSON)
    reason: str | None = Field(default=None, max_length=500)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
