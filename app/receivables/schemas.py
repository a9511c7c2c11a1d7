from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.approvals.schemas import ApprovalRead
from app.core.directory import CustomerName, OwnerName, PeopleNames
from app.core.ids import Id
from app.core.money import ExchangeRateOut, Money, PositiveMoneyIn
from app.core.pagination import Page
from app.core.schemas import ReadModel, WriteModel
from app.receivables.models import (
    CreditSource,
    DunningAction,
    PaymentMethod,
    ReceivableSource,
    ReceivableStatus,
)

Reference = Annotated[str, StringConstraints(min_length=1, max_length=100)]
InvoiceNumber = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Notes = Annotated[str, StringConstraints(max_length=2000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
PositiveMoney = PositiveMoneyIn


class MilestoneReceivableCreate(WriteModel):
    """A contract's payment milestone invoiced by finance (prepayment, acceptance,
    retention ...): `milestone_index` is its position in the schedule, from 0."""

    contract_id: Id
    milestone_index: int = Field(ge=0, lt=20)
    invoice_number: InvoiceNumber | None = None
    invoice_date: date | None = Field(default=None, description="Defaults to today; "
                                                                "the due date follows it "
                                                                "by the milestone's due_days")


class PaymentIn(WriteModel):
    """Money received against one receivable."""

    amount: PositiveMoney
    received_on: date | None = Field(default=None, description="Defaults to today")
    method: PaymentMethod
    external_reference: Reference = Field(description="The payer's reference (bank serial "
                                                      "number): the same one again is the "
                                                      "same payment")
    notes: Notes | None = None


class AllocationIn(WriteModel):
    receivable_id: Id
    amount: PositiveMoney


class PaymentCreate(PaymentIn):
    """Money received from one customer, settling one or more of its receivables: the
    allocation lines add up to the amount."""

    allocations: list[AllocationIn] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _each_receivable_once(self) -> "PaymentCreate":
        ids = [line.receivable_id for line in self.allocations]
        if len(set(ids)) != len(ids):
            raise ValueError("each receivable appears once among the allocations")
        return self


class DunningCreate(WriteModel):
    action: DunningAction
    notes: Notes | None = None
    promised_on: date | None = Field(default=None,
                                     description="The payment date the customer promised")


class WriteOffBody(WriteModel):
    reason: Reason


class CreditIn(WriteModel):
    """Finance takes part of a receivable off by hand (an adjustment credit note): never
    more than its balance."""

    amount: PositiveMoney = Field(description="In the receivable's currency")
    reason: Reason


class ReceivableCreditRead(ReadModel):
    """A credit note (红字冲销) on a receivable: a return, a complaint's refund, or
    finance's adjustment."""

    id: int
    number: str = Field(description="Business number, HZ-2026-000001")
    receivable_id: int
    source: CreditSource
    source_id: int | None = Field(description="The delivery return or complaint it "
                                              "answers; none for an adjustment")
    currency: str
    amount: Money
    amount_base: Money
    reason: str
    created_by: str
    created_at: datetime


class AllocationRead(ReadModel):
    payment_id: int
    receivable_id: int
    amount: Money
    amount_base: Money


class PaymentRead(ReadModel, OwnerName, CustomerName):
    id: int
    number: str = Field(description="Business number, HK-2026-000001")
    customer_id: int
    department_id: str
    owner_id: str
    external_reference: str
    method: PaymentMethod
    currency: str
    amount: Money
    amount_base: Money
    received_on: date
    notes: str | None
    recorded_by: str
    created_at: datetime
    allocations: list[AllocationRead] = Field(default_factory=list)


class PaymentPage(Page[PaymentRead]):
    pass


class DunningEntryRead(ReadModel):
    id: int
    receivable_id: int
    action: DunningAction
    days_overdue: int
    notes: str | None
    promised_on: date | None
    recorded_by: str
    created_at: datetime


class ReceivableRead(ReadModel, PeopleNames, CustomerName):
    id: int
    number: str = Field(description="Business number, YS-2026-000001")
    source: ReceivableSource
    customer_id: int
    contract_id: int | None
    order_id: int | None
    delivery_id: int | None
    milestone_index: int | None
    milestone_kind: str | None
    department_id: str
    owner_id: str
    currency: str
    exchange_rate: ExchangeRateOut
    amount: Money = Field(description="Including tax, in `currency`")
    amount_base: Money = Field(description="In CNY")
    balance: Money = Field(description="Still owed, in `currency`")
    balance_base: Money
    credited: Money = Field(description="Taken off by credit notes (a return, a refund), in "
                                        "`currency`; amount = paid + credited + balance "
                                        "(+ written off)")
    invoice_number: str | None
    invoice_date: date
    payment_terms_days: int
    due_date: date
    status: ReceivableStatus
    overdue: bool = Field(default=False, description="Due date passed with a balance (today)")
    days_overdue: int = Field(default=0, description="Days past the due date, today")
    suggested_action: DunningAction | None = Field(
        default=None, description="The next collection step by days overdue: 1-30 "
                                  "reminder_letter, 31-60 visit, over 60 legal")
    write_off_reason: str | None
    rejection_reason: str | None
    written_off_at: datetime | None
    paid_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    payments: list[AllocationRead] = Field(
        default_factory=list, description="What each payment allocated to it (single reads)")
    dunning: list[DunningEntryRead] = Field(
        default_factory=list, description="Collection actions taken (single reads)")
    credits: list[ReceivableCreditRead] = Field(
        default_factory=list, description="Credit notes that lowered it (single reads)")
    approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do now: pay, credit, dunning, write_off, "
                    "approve, reject, recall")


class ReceivablePage(Page[ReceivableRead]):
    pass


class ReceivableSummary(BaseModel):
    """The audited form of a receivable (its audit rows, its events' data)."""

    id: int
    number: str
    source: ReceivableSource
    status: ReceivableStatus
    customer_id: int
    contract_id: int | None
    order_id: int | None
    delivery_id: int | None
    milestone_index: int | None
    department_id: str
    owner_id: str
    currency: str
    amount: str
    amount_base: str
    balance: str
    balance_base: str
    invoice_date: date
    due_date: date
    version: int
