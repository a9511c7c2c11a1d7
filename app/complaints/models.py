from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Index, Text, text
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH

# Not acknowledged, nor yet announced as overdue: what the acknowledgement sweep looks at.
AWAITING_ACK = "acknowledged_at IS NULL AND ack_overdue_at IS NULL"


class ComplaintStatus(StrEnum):
    received = "received"
    investigating = "investigating"        # the responsible department investigates
    under_review = "under_review"          # its responsibility report, before quality
    explained = "explained"                # not our fault: explanation given to the customer
    negotiating = "negotiating"            # the customer did not accept it
    corrective_action = "corrective_action"  # our fault: the CAPA is being drafted
    capa_review = "capa_review"            # the CAPA is in approval (quality experts)
    implementing = "implementing"
    verifying = "verifying"
    verified = "verified"                  # effective: feedback to the customer is due
    feedback_given = "feedback_given"
    closed = "closed"


class ComplaintChannel(StrEnum):
    phone = "phone"
    email = "email"
    visit = "visit"
    web = "web"
    letter = "letter"
    erp = "erp"
    other = "other"


class ComplaintCategory(StrEnum):
    quality = "quality"
    delivery = "delivery"
    service = "service"
    billing = "billing"
    other = "other"


class ComplaintSeverity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class RemedyKind(StrEnum):
    repair = "repair"
    replacement = "replacement"
    return_ = "return"
    refund = "refund"


class Complaint(SQLModel, table=True):
    """A customer complaint (顾客抱怨 / 投诉) and its handling, from intake to close.

    `owner_id` and `department_id` are the customer's when the complaint came in: a rep
    sees the complaints of their customers, a head those of the department's."""

    __tablename__ = "complaint"
    __table_args__ = (
        # The customer's timeline reads a customer's complaints newest first.
        Index("ix_complaint_customer_id_created_at_id", "customer_id", "created_at", "id"),
        Index("ix_complaint_owner_id_id", "owner_id", "id"),
        Index("ix_complaint_department_id_id", "department_id", "id"),
        Index("ix_complaint_responsible_department_id_id", "responsible_department_id", "id"),
        Index("ix_complaint_status_id", "status", "id"),
        # The acknowledgement sweep: not yet acknowledged, nor announced, by deadline.
        Index("ix_complaint_ack_due_at", "ack_due_at", postgresql_where=text(AWAITING_ACK),
              sqlite_where=text(AWAITING_ACK)),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                        name="satisfaction_1_to_5"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # TS-2026-000001
    customer_id: int = Field(foreign_key="customer.id")
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", index=True)
    channel: ComplaintChannel = Field(sa_type=SAEnum(ComplaintChannel, name="complaintchannel"))
    category: ComplaintCategory = Field(
        sa_type=SAEnum(ComplaintCategory, name="complaintcategory"))
    severity: ComplaintSeverity = Field(
        sa_type=SAEnum(ComplaintSeverity, name="complaintseverity"))
    title: str = Field(max_length=200)
    description: str = Field(sa_type=Text)
    attachments: list[str] = Field(default_factory=list, sa_type=JSON)
    status: ComplaintStatus = Field(default=ComplaintStatus.received,
                                    sa_type=SAEnum(ComplaintStatus, name="complaintstatus"))
    received_at: datetime = Field(sa_type=UTCDateTime)
    ack_due_at: datetime = Field(sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ack_overdue_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responsible_department_id: str | None = Field(default=None, foreign_key="department.id",
                                                  max_length=32)
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The responsibility report (责任判定) and quality's review of it.
    company_fault: bool | None = None
    cause: str | None = Field(default=None, sa_type=Text)
    responsibility_report: str | None = Field(default=None, sa_type=Text)
    determined_by: str | None = Field(default=None, max_length=128)
    review_comment: str | None = Field(default=None, sa_type=Text)
    reviewed_by: str | None = Field(default=None, max_length=128)
    explanation: str | None = Field(default=None, sa_type=Text)
    nonconformity_report: str | None = Field(default=None, sa_type=Text)
    # The corrective and preventive action plan (纠正预防措施) and its approval.
    corrective_actions: str | None = Field(default=None, sa_type=Text)
    preventive_actions: str | None = Field(default=None, sa_type=Text)
    capa_due_date: date | None = None
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    verification_report: str | None = Field(default=None, sa_type=Text)
    verified_by: str | None = Field(default=None, max_length=128)
    feedback: str | None = Field(default=None, sa_type=Text)
    settlement: str | None = Field(default=None, sa_type=Text)
    satisfaction: int | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ComplaintTracking(SQLModel, table=True):
    """A progress record of the corrective actions being implemented (跟踪记录)."""

    __tablename__ = "complaint_tracking"
    __table_args__ = (Index("ix_complaint_tracking_complaint_id_id", "complaint_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id")
    note: str = Field(sa_type=Text)
    completed: bool = False
    recorded_by: str = Field(max_length=128)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class ComplaintRemedy(SQLModel, table=True):
    """What was done for the customer: a repair, a replacement, goods taken back (a
    delivery return) or money refunded (a credit note on the related receivable)."""

    __tablename__ = "complaint_remedy"
    __table_args__ = (
        Index("ix_complaint_remedy_complaint_id_id", "complaint_id", "id"),
        CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id")
    kind: RemedyKind = Field(sa_type=SAEnum(RemedyKind, name="remedykind",
                                            values_callable=lambda e: [m.value for m in e]))
    description: str = Field(sa_type=Text)
    amount: Decimal | None = Field(default=None, sa_type=money_column_type())
    receivable_id: int | None = Field(default=None, foreign_key="receivable.id")
    credit_id: int | None = Field(default=None, foreign_key="receivable_credit.id")
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id")
    delivery_return_id: int | None = Field(default=None, foreign_key="delivery_return.id")
    recorded_by: str = Field(max_length=128)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
