from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    PlainSerializer,
    StringConstraints,
    computed_field,
    model_validator,
)

from app.approvals.schemas import ApprovalRead
from app.contracts.models import ContractStatus
from app.core.capitals import in_capitals
from app.core.directory import CustomerName, PeopleNames
from app.core.ids import Id
from app.core.money import ExchangeRateOut, Money, PercentOut, PriceOut, QuantityOut, RateOut
from app.core.pagination import Page
from app.core.pricing import Currency, ExchangeRate, LineIn
from app.core.schemas import ReadModel, Title, UpdateModel, WriteModel

Clauses = Annotated[str, StringConstraints(max_length=20000)]


class ContractLineIn(LineIn):
    pass


class PaymentMilestone(WriteModel):
    kind: Literal["prepayment", "on_delivery", "acceptance", "retention", "other"]
    percent: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2),
                       PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")]
    due_days: int = Field(default=0, ge=0, le=3650, description="Days after the milestone")
    note: Annotated[str, StringConstraints(max_length=200)] | None = None


class ContractCreate(WriteModel):
    """A contract drafted directly (customer, title and lines), or from an accepted quote
    (`quote_id`: its customer, lines and currency; the title defaults to the quote's)."""

    quote_id: Id | None = Field(default=None, description="An accepted quote")
    customer_id: Id | None = None
    title: Title | None = None
    currency: Currency | None = Field(default=None, description="Defaults to CNY")
    exchange_rate: ExchangeRate | None = Field(
        default=None, description="Base-currency (CNY) units per unit; defaults to 1")
    lines: list[ContractLineIn] | None = Field(default=None, min_length=1, max_length=200)
    payment_schedule: list[PaymentMilestone] = Field(min_length=1, max_length=20,
                                                     description="Percentages sum to 100")
    delivery_date: date | None = None
    clauses: Clauses | None = None
    major_interest: bool = Field(default=False, description="涉及公司重大利益: adds the board")

    @model_validator(mode="after")
    def _from_quote_or_direct(self) -> "ContractCreate":
        if self.quote_id is not None:
            taken = [f for f in QUOTED_FIELDS if getattr(self, f) is not None]
            if taken:
                raise ValueError(f"{', '.join(taken)} come from the quote; leave them out")
        else:
            missing = [f for f in ("customer_id", "title", "lines") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"{', '.join(missing)} required (or give quote_id)")
        return self


QUOTED_FIELDS = ("customer_id", "currency", "exchange_rate", "lines")


class ContractUpdate(UpdateModel):
    clearable = frozenset({"delivery_date", "clauses"})

    title: Title | None = None
    currency: Currency | None = None
    exchange_rate: ExchangeRate | None = None
    lines: list[ContractLineIn] | None = Field(default=None, min_length=1, max_length=200)
    payment_schedule: list[PaymentMilestone] | None = Field(default=None, min_length=1,
                                                            max_length=20)
    delivery_date: date | None = None
    clauses: Clauses | None = None
    major_interest: bool | None = None


class Signatory(WriteModel):
    party: Literal["customer", "company"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    title: Annotated[str, StringConstraints(max_length=100)] | None = None


class SignBody(WriteModel):
    signed_date: date
    signatories: list[Signatory] = Field(min_length=2, max_length=10)


class TerminationBody(WriteModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ContractLineRead(ReadModel):
    id: int = Field(description="What an order's line names to call this line off")
    line_no: int
    product_id: int
    description: str
    quantity: QuantityOut
    unit_price: PriceOut
    discount_percent: PercentOut
    tax_rate: RateOut
    net_amount: Money
    tax_amount: Money
    total_amount: Money


NUMBER_DESCRIPTION = "The contract number (合同编号), kept by every amendment of the contract"


class ContractRead(ReadModel, PeopleNames, CustomerName):
    id: int
    number: str = Field(description=NUMBER_DESCRIPTION, examples=["HT-2026-000123"])
    customer_id: int
    quote_id: int | None
    department_id: str
    owner_id: str
    title: str
    currency: str
    exchange_rate: ExchangeRateOut
    subtotal: Money
    tax_total: Money
    total: Money
    total_base: Money
    delivery_date: date | None
    clauses: str | None
    major_interest: bool
    payment_schedule: list[dict]
    status: ContractStatus
    revision: int
    root_id: int | None
    predecessor_id: int | None
    successor_id: int | None
    rejection_reason: str | None
    signed_date: date | None
    signatories: list[dict]
    voided_at: datetime | None
    termination_reason: str | None
    terminated_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    lines: list[ContractLineRead] = Field(default_factory=list)
    approval: ApprovalRead | None = None
    termination_approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do to it now: update, submit, recall, approve, "
                    "reject, sign, amend, terminate, recall_termination (deciding a pending "
                    "termination: see `termination_approval.allowed_actions`)")

    @computed_field(description="`total_base` in Chinese capitals (人民币大写) as the paper "
                                "document writes it, e.g. 壹拾万元整", examples=["壹拾万元整"])
    def total_base_in_capitals(self) -> str:
        return in_capitals(self.total_base)


class ContractPage(Page[ContractRead]):
    pass


class ContractVersionRead(ReadModel):
    id: int
    revision: int
    status: ContractStatus
    total: Money
    total_base: Money
    signed_date: date | None
    voided_at: datetime | None
    predecessor_id: int | None
    successor_id: int | None
    created_at: datetime


class ContractHistory(BaseModel):
    root_id: int
    number: str = Field(description=NUMBER_DESCRIPTION)
    versions: list[ContractVersionRead]


class ContractSummary(BaseModel):
    """The audited form of a contract (no computed fields)."""

    id: int
    number: str
    status: ContractStatus
    revision: int
    total: str
    total_base: str
    version: int
