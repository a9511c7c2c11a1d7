from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.db import ExactDecimal, UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH


class ReceivableStatus(StrEnum):
    open = "open"
    partially_paid = "partially_paid"
    paid = "paid"
    pending_write_off = "pending_write_off"  # the write-off is in approval (finance → gm)
    written_off = "written_off"


class ReceivableSource(StrEnum):
    delivery = "delivery"     # the shipped value of a delivery
    milestone = "milestone"   # a payment milestone of a contract (prepayment, retention ...)


class Receivable(SQLModel, table=True):
    """A receivable (应收账款): an invoice issued to a customer, and what of it is still owed.
    Overdue is derived (due date passed with a balance), never stored."""

    __tablename__ = "receivable"
    __table_args__ = (
        Index("ix_receivable_owner_id_id", "owner_id", "id"),
        Index("ix_receivable_department_id_id", "department_id", "id"),
        Index("ix_receivable_customer_id_id", "customer_id", "id"),
        Index("ix_receivable_contract_id_id", "contract_id", "id"),
        Index("ix_receivable_order_id_id", "order_id", "id"),
        # Open items by due date: aging, the collection schedule, the overdue sweep.
        Index("ix_receivable_status_due_date", "status", "due_date"),
        # One receivable per delivery, and per contract milestone.
        UniqueConstraint("delivery_id", name="uq_receivable_delivery_id"),
        UniqueConstraint("contract_id", "milestone_index", name="uq_receivable_milestone"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("balance >= 0 AND balance <= amount", name="balance_within_amount"),
        CheckConstraint("credited >= 0 AND credited <= amount", name="credited_within_amount"),
        CheckConstraint("exchange_rate > 0", name="exchange_rate_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # YS-2026-000001
    source: ReceivableSource = Field(sa_type=SAEnum(ReceivableSource,
                                                    name="receivablesource"))
    customer_id: int = Field(foreign_key="customer.id")
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id")
    # For a milestone receivable: its position in the contract's payment schedule, and kind.
    milestone_index: int | None = None
    milestone_kind: str | None = Field(default=None, max_length=20)
    # The document's, copied so lists filter and scope receivables without a join.
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    currency: str = Field(default="CNY", max_length=3)
    exchange_rate: Decimal = Field(default=Decimal("1"), sa_type=ExactDecimal(18, 6))
    amount: Decimal = Field(sa_type=money_column_type())       # including tax, in `currency`
    amount_base: Decimal = Field(sa_type=money_column_type())  # in the base currency
    balance: Decimal = Field(sa_type=money_column_type())      # still owed, in `currency`
    balance_base: Decimal = Field(sa_type=money_column_type())
    # Taken off the amount by credit notes (红字冲销: a return, a refund), in `currency`.
    credited: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    invoice_number: str | None = Field(default=None, max_length=64)
    invoice_date: date
    payment_terms_days: int = 0
    due_date: date
    status: ReceivableStatus = Field(default=ReceivableStatus.open,
                                     sa_type=SAEnum(ReceivableStatus, name="receivablestatus"))
    # Written off (坏账核销) through the approval kernel.
    write_off_reason: str | None = Field(default=None, max_length=2000)
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    written_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the overdue sweep emitted `receivable.overdue` (once per receivable).
    overdue_notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReceivableOpenBalance(SQLModel, table=True):
    """What is still owed, summed per (department, rep, due date) over the
    receivables that owe it (open and partially paid): the rollup aging reads instead of
    the receivables themselves. Kept by app/receivables/open_balances.py; a key whose last
    receivable stopped owing is deleted, so the table stays the size of what is owed."""

    __tablename__ = "receivable_open_balance"
    __table_args__ = (CheckConstraint("receivables >= 0", name="receivables_not_negative"),)

    department_id: str = Field(primary_key=True, max_length=32)
    owner_id: str = Field(primary_key=True, max_length=128)
    due_date: date = Field(primary_key=True)
    receivables: int  # how many receivables of the key still owe
    balance_base: Decimal = Field(sa_type=money_column_type())  # their balances, in CNY


class CreditSource(StrEnum):
    """What a credit note answers."""

    delivery_return = "delivery_return"     # goods sent back (退货)
    complaint_refund = "complaint_refund"   # a refund agreed on a complaint
    adjustment = "adjustment"               # finance corrects an invoice by hand


class ReceivableCredit(SQLModel, table=True):
    """A credit note (红字冲销): part of a receivable the customer no longer owes because
    goods came back or money is refunded. It lowers the balance, never below zero; what
    was already paid is refunded outside this service. One credit per source document and
    receivable, so a retried return or refund credits once."""

    __tablename__ = "receivable_credit"
    __table_args__ = (
        Index("ix_receivable_credit_receivable_id", "receivable_id"),
        Index("ix_receivable_credit_customer_id_id", "customer_id", "id"),
        UniqueConstraint("source", "source_id", "receivable_id",
                         name="uq_receivable_credit_source"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # HZ-2026-000001
    receivable_id: int = Field(foreign_key="receivable.id")
    customer_id: int = Field(foreign_key="customer.id")
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    source: CreditSource = Field(sa_type=SAEnum(CreditSource, name="creditsource"))
    # The delivery return, complaint... it answers (None for a manual adjustment).
    source_id: int | None = None
    currency: str = Field(default="CNY", max_length=3)
    amount: Decimal = Field(sa_type=money_column_type())       # in the receivable's currency
    amount_base: Decimal = Field(sa_type=money_column_type())
    reason: str = Field(max_length=2000)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PaymentMethod(StrEnum):
    bank_transfer = "bank_transfer"
    acceptance_bill = "acceptance_bill"  # 承兑汇票
    cheque = "cheque"
    cash = "cash"
    online = "online"
    other = "other"


class Payment(SQLModel, table=True):
    """Money received (回款) from a customer, allocated to one or more receivables. The
    payer's external reference (bank serial number) identifies it: the same reference from
    the same payer is the same payment."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("customer_id", "external_reference",
                         name="uq_payment_customer_reference"),
        Index("ix_payment_customer_id_id", "customer_id", "id"),
        Index("ix_payment_department_id_received_on", "department_id", "received_on"),
        Index("ix_payment_owner_id_id", "owner_id", "id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # HK-2026-000001
    customer_id: int = Field(foreign_key="customer.id")
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)  # the customer's rep, who collected it
    external_reference: str = Field(max_length=100)
    method: PaymentMethod = Field(sa_type=SAEnum(PaymentMethod, name="paymentmethod"))
    currency: str = Field(default="CNY", max_length=3)
    amount: Decimal = Field(sa_type=money_column_type())
    amount_base: Decimal = Field(sa_type=money_column_type())
    received_on: date
    notes: str | None = Field(default=None, sa_type=Text)
    recorded_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PaymentAllocation(SQLModel, table=True):
    """The part of a payment that settles one receivable."""

    __tablename__ = "payment_allocation"
    __table_args__ = (
        Index("ix_payment_allocation_payment_id", "payment_id"),
        Index("ix_payment_allocation_receivable_id", "receivable_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id")
    receivable_id: int = Field(foreign_key="receivable.id")
    amount: Decimal = Field(sa_type=money_column_type())       # in the receivable's currency
    amount_base: Decimal = Field(sa_type=money_column_type())


class DunningAction(StrEnum):
    reminder_letter = "reminder_letter"
    visit = "visit"
    legal = "legal"


class DunningEntry(SQLModel, table=True):
    """A collection action taken on a receivable (催款, 001 §4(2)5)."""

    __tablename__ = "dunning_entry"
    __table_args__ = (Index("ix_dunning_entry_receivable_id_id", "receivable_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    receivable_id: int = Field(foreign_key="receivable.id")
    action: DunningAction = Field(sa_type=SAEnum(DunningAction, name="dunningaction"))
    days_overdue: int
    notes: str | None = Field(default=None, max_length=2000)
    promised_on: date | None = None  # the customer's promised payment date, if any
    recorded_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
