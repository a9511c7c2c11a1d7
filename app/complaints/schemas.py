from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.approvals.schemas import ApprovalRead
from app.complaints.models import (
    ComplaintCategory,
    ComplaintChannel,
    ComplaintSeverity,
    ComplaintStatus,
    RemedyKind,
)
from app.core.directory import CustomerName, PeopleNames
from app.core.ids import Id
from app.core.money import Money, PositiveMoneyIn
from app.core.pagination import Page
from app.core.schemas import ReadModel, Title, WriteModel
from app.deliveries.schemas import ReturnLineIn

Text = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Link = Annotated[str, StringConstraints(min_length=1, max_length=2000,
                                        pattern=r"^https?://\S+$")]


class ComplaintCreate(WriteModel):
    """A complaint as it comes in: the customer, what it is about, and how serious."""

    customer_id: Id
    order_id: Id | None = Field(default=None, description="The order complained about")
    delivery_id: Id | None = Field(default=None,
                                   description="The delivery complained about (its order "
                                               "is taken as `order_id` when that is absent)")
    channel: ComplaintChannel
    category: ComplaintCategory
    severity: ComplaintSeverity
    title: Title
    description: Text
    attachments: list[Link] = Field(default_factory=list, max_length=20,
                                    description="Links to photos, documents, recordings")


class ComplaintAssignBody(WriteModel):
    department_id: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description="The department responsible for investigating")


class DeterminationBody(WriteModel):
    """The responsible department's report (责任判定)."""

    company_fault: bool = Field(description="Whether the company is at fault")
    cause: Text
    report: Text


class ReviewBody(WriteModel):
    """Quality's review of the responsibility report. Accepted: not the company's fault
    needs the `explanation` given to the customer, the company's fault the
    `nonconformity_report`. Not accepted: back to the department, with `comment`."""

    accepted: bool
    comment: Reason | None = None
    explanation: Text | None = None
    nonconformity_report: Text | None = None

    @model_validator(mode="after")
    def _comment_when_refused(self) -> "ReviewBody":
        if not self.accepted and self.comment is None:
            raise ValueError("a report sent back needs a comment")
        return self


class CapaBody(WriteModel):
    """The corrective and preventive action plan (纠正预防措施), sent into approval."""

    corrective_actions: Text
    preventive_actions: Text
    due_date: date | None = Field(default=None, description="When the actions are done")


class TrackingBody(WriteModel):
    note: Text
    completed: bool = Field(default=False,
                            description="The actions are done: the complaint goes to "
                                        "verification")


class VerificationBody(WriteModel):
    """The reviewers' effectiveness report: not effective sends it back to implementing."""

    effective: bool
    report: Text


class FeedbackBody(WriteModel):
    feedback: Text


class NegotiationBody(WriteModel):
    reason: Reason = Field(description="Why the customer does not accept the explanation")


class ComplaintCloseBody(WriteModel):
    satisfaction: int = Field(ge=1, le=5, description="The customer's satisfaction, 1-5")
    settlement: Text | None = Field(default=None,
                                    description="The agreed settlement (required after "
                                                "negotiation)")


class RemedyCreate(WriteModel):
    """What is done for the customer. A `return` records a delivery return of the
    complaint's delivery (`lines`); a `refund` credits `amount` against `receivable_id`
    (default: the receivable of the complaint's delivery), never below its balance."""

    kind: RemedyKind
    description: Text
    amount: PositiveMoneyIn | None = None
    receivable_id: Id | None = None
    lines: list[ReturnLineIn] | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _fits_kind(self) -> "RemedyCreate":
        if self.kind == RemedyKind.refund and self.amount is None:
            raise ValueError("a refund needs an amount")
        if self.kind == RemedyKind.return_ and not self.lines:
            raise ValueError("a return needs lines")
        if self.kind != RemedyKind.refund and (self.amount is not None
                                               or self.receivable_id is not None):
            raise ValueError("amount and receivable_id are for refunds")
        if self.kind != RemedyKind.return_ and self.lines is not None:
            raise ValueError("lines are for returns")
        return self


class TrackingRead(ReadModel):
    id: int
    note: str
    completed: bool
    recorded_by: str
    recorded_at: datetime


class RemedyRead(ReadModel):
    id: int
    kind: RemedyKind
    description: str
    amount: Money | None
    receivable_id: int | None
    credit_id: int | None = Field(description="The credit note of a refund")
    delivery_id: int | None
    delivery_return_id: int | None = Field(description="The delivery return of a return")
    recorded_by: str
    recorded_at: datetime


class ComplaintRead(ReadModel, PeopleNames, CustomerName):
    id: int
    number: str = Field(description="Business number, TS-2026-000001")
    customer_id: int
    department_id: str = Field(description="The customer's department")
    owner_id: str = Field(description="The customer's rep")
    order_id: int | None
    delivery_id: int | None
    channel: ComplaintChannel
    category: ComplaintCategory
    severity: ComplaintSeverity
    title: str
    description: str
    attachments: list[str]
    status: ComplaintStatus
    received_at: datetime
    ack_due_at: datetime = Field(description="Acknowledge by then (working hours on the "
                                             "company calendar)")
    acknowledged_at: datetime | None
    ack_overdue: bool = Field(default=False,
                              description="Not acknowledged by its deadline (now)")
    responsible_department_id: str | None
    assigned_at: datetime | None
    company_fault: bool | None
    cause: str | None
    responsibility_report: str | None
    determined_by: str | None
    review_comment: str | None
    reviewed_by: str | None
    explanation: str | None
    nonconformity_report: str | None
    corrective_actions: str | None
    preventive_actions: str | None
    capa_due_date: date | None
    rejection_reason: str | None = Field(description="Why the CAPA was last rejected")
    verification_report: str | None
    verified_by: str | None
    feedback: str | None
    settlement: str | None
    satisfaction: int | None
    closed_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    tracking: list[TrackingRead] = Field(default_factory=list,
                                         description="Implementation records (single reads)")
    remedies: list[RemedyRead] = Field(default_factory=list,
                                       description="Remedies (single reads)")
    approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(
        default_factory=list, description="What the caller may do to it now")


class ComplaintPage(Page[ComplaintRead]):
    pass


class ComplaintSummary(BaseModel):
    """A complaint's audited form and the payload of its events."""

    id: int
    number: str
    status: ComplaintStatus
    customer_id: int
    department_id: str
    owner_id: str
    order_id: int | None
    delivery_id: int | None
    category: ComplaintCategory
    severity: ComplaintSeverity
    responsible_department_id: str | None
    company_fault: bool | None
    satisfaction: int | None
    version: int


RemedyKindName = Literal["repair", "replacement", "return", "refund"]


def remedy_summary(remedy: Any) -> dict[str, Any]:
    return {"id": remedy.id, "kind": remedy.kind.value, "description": remedy.description,
            "amount": f"{remedy.amount:.2f}" if remedy.amount is not None else None,
            "receivable_id": remedy.receivable_id, "credit_id": remedy.credit_id,
            "delivery_id": remedy.delivery_id,
            "delivery_return_id": remedy.delivery_return_id}
