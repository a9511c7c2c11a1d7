from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from app.approvals.schemas import ApprovalRead
from app.core.directory import CustomerName, PeopleNames
from app.core.ids import Id
from app.core.money import ExchangeRateOut, Money, PercentOut, PriceOut, QuantityOut, RateOut
from app.core.pagination import Page
from app.core.pricing import Percent, Quantity
from app.core.schemas import ReadModel, Title, UpdateModel, WriteModel
from app.credit.schemas import CreditCheck
from app.orders.models import OrderStatus

Address = Annotated[str, Field(min_length=1, max_length=500)]
Notes = Annotated[str, Field(max_length=20000)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
PaymentDays = Annotated[int, Field(ge=0, le=3650)]


class OrderLineIn(WriteModel):
    """A call-off of one contract line (or one quote line): only the quantity; price,
    discount and tax come from that line."""

    contract_line_id: Id | None = None
    quote_line_id: Id | None = None
    quantity: Quantity

    @model_validator(mode="after")
    def _one_source(self) -> "OrderLineIn":
        if (self.contract_line_id is None) == (self.quote_line_id is None):
            raise ValueError("give contract_line_id or quote_line_id (one of them)")
        return self


def _each_source_line_once(lines: list[OrderLineIn] | None) -> None:
    if lines is None:
        return
    named = [line.contract_line_id or line.quote_line_id for line in lines]
    if len(set(named)) != len(named):
        raise ValueError("each contract or quote line may be called off once per order")


class OrderCreate(WriteModel):
    """An order calling off a signed contract (`contract_id`, lines by `contract_line_id`),
    or, where the approval policy's `orders_from_quotes` allows, placed from a quote
    (`quote_id`, lines by `quote_line_id`). Terms default to the customer's (payment days)
    and the contract's (its prepayment milestones); the address to the customer's."""

    contract_id: Id | None = None
    quote_id: Id | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    title: Title | None = Field(default=None, description="Defaults to the contract's or "
                                                          "quote's title")
    delivery_address: Address | None = Field(default=None,
                                             description="Defaults to the customer's address")
    requested_date: date | None = Field(default=None, description="When the customer wants "
                                                                  "the goods; not in the past")
    payment_terms_days: PaymentDays | None = Field(
        default=None, description="Days after invoice; defaults to the customer's terms")
    prepayment_percent: Percent | None = Field(
        default=None, description="Paid before delivery (100 needs no credit); defaults to "
                                  "the contract's prepayment milestones, 0 from a quote")
    notes: Notes | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "OrderCreate":
        if (self.contract_id is None) == (self.quote_id is None):
            raise ValueError("give contract_id or quote_id (one of them)")
        wrong = "quote_line_id" if self.contract_id is not None else "contract_line_id"
        if any(getattr(line, wrong) is not None for line in self.lines):
            raise ValueError(f"lines of an order from a "
                             f"{'contract' if self.contract_id else 'quote'} give "
                             f"{'contract_line_id' if self.contract_id else 'quote_line_id'}")
        _each_source_line_once(self.lines)
        return self


class OrderUpdate(UpdateModel):
    """A draft's changes; `lines` replaces them all (checked again against what remains)."""

    clearable = frozenset({"delivery_address", "requested_date", "notes"})

    title: Title | None = None
    lines: list[OrderLineIn] | None = Field(default=None, min_length=1, max_length=200)
    delivery_address: Address | None = None
    requested_date: date | None = None
    payment_terms_days: PaymentDays | None = None
    prepayment_percent: Percent | None = None
    notes: Notes | None = None

    @model_validator(mode="after")
    def _lines_once(self) -> "OrderUpdate":
        _each_source_line_once(self.lines)
        return self


class LineSchedule(WriteModel):
    line_no: int = Field(ge=1, le=10000)
    planned_delivery_date: date


class ScheduleBody(WriteModel):
    """Logistics' planned delivery dates: one for every line, and/or per line (a line's own
    date wins)."""

    planned_delivery_date: date | None = Field(default=None, description="For every line")
    lines: list[LineSchedule] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _something(self) -> "ScheduleBody":
        if self.planned_delivery_date is None and not self.lines:
            raise ValueError("give planned_delivery_date or lines")
        if len({line.line_no for line in self.lines}) != len(self.lines):
            raise ValueError("a line_no appears twice")
        return self


class CancelBody(WriteModel):
    reason: Reason


class CloseBody(WriteModel):
    reason: Reason | None = Field(default=None, description="Required when something was "
                                                            "not delivered (a short close)")


class OrderLineRead(ReadModel):
    id: int
    line_no: int
    contract_line_id: int | None
    quote_line_id: int | None
    product_id: int
    description: str
    quantity: QuantityOut
    unit_price: PriceOut
    discount_percent: PercentOut
    tax_rate: RateOut
    net_amount: Money
    tax_amount: Money
    total_amount: Money
    planned_delivery_date: date | None
    scheduled_quantity: QuantityOut = Field(description="In deliveries not cancelled")
    shipped_quantity: QuantityOut
    returned_quantity: QuantityOut


class OrderRead(ReadModel, PeopleNames, CustomerName):
    id: int
    number: str = Field(description="Business number, DD-2026-000001 (gap-free per year)")
    customer_id: int
    contract_id: int | None
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
    delivery_address: str | None
    requested_date: date | None
    payment_terms_days: int
    prepayment_percent: PercentOut
    notes: str | None
    status: OrderStatus
    rejection_reason: str | None
    credit_held: bool = Field(description="The last submission's credit check held the order")
    credit_check: CreditCheck | None = Field(description="The last submission's credit check")
    invoiced_base: Money = Field(description="Invoiced so far, in CNY")
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    closed_at: datetime | None
    close_reason: str | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    lines: list[OrderLineRead] = Field(default_factory=list)
    approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do to it now: update, submit, recall, approve, "
                    "reject, schedule, cancel, close")


class OrderPage(Page[OrderRead]):
    pass


class OrderSummary(BaseModel):
    """The audited form of an order (its audit rows' before and after, its events' data)."""

    id: int
    number: str
    status: OrderStatus
    customer_id: int
    contract_id: int | None
    quote_id: int | None
    department_id: str
    owner_id: str
    currency: str
    total: str
    total_base: str
    requested_date: date | None
    credit_held: bool
    version: int

