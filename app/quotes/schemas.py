from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, computed_field

from app.approvals.schemas import ApprovalRead
from app.core.capitals import in_capitals
from app.core.directory import CustomerName, PeopleNames
from app.core.ids import Id
from app.core.money import ExchangeRateOut, Money, PercentOut, PriceOut, QuantityOut, RateOut
from app.core.pagination import Page
from app.core.pricing import Currency, ExchangeRate, LineIn
from app.core.schemas import ReadModel, Title, UpdateModel, WriteModel
from app.quotes.models import QuoteStatus

Notes = Annotated[str, StringConstraints(max_length=20000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


NUMBER_DESCRIPTION = "The quote number (报价单号), kept by every revision of the quote"


class QuoteLineIn(LineIn):
    """A line: the unit price defaults to the product's list price (in the quote's
    currency); a discount or a lower price may need approval (SPEC §2.1)."""


class QuoteCreate(WriteModel):
    customer_id: Id
    opportunity_id: Id | None = Field(default=None,
                                      description="The opportunity this quote prices")
    title: Title
    currency: Currency = "CNY"
    exchange_rate: ExchangeRate = Field(default=Decimal(1),
                                        description="Base-currency (CNY) units per unit")
    valid_until: date | None = Field(default=None,
                                     description="Last valid day; defaults to 30 days from today")
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=200)
    notes: Notes | None = None


class QuoteUpdate(UpdateModel):
    clearable = frozenset({"notes"})

    title: Title | None = None
    currency: Currency | None = None
    exchange_rate: ExchangeRate | None = None
    valid_until: date | None = None
    lines: list[QuoteLineIn] | None = Field(default=None, min_length=1, max_length=200)
    notes: Notes | None = None


class DeclineBody(WriteModel):
    reason: Reason


class QuoteLineRead(ReadModel):
    id: int = Field(description="What an order's line names to call this line off")
    line_no: int
    product_id: int
    description: str
    quantity: QuantityOut
    list_price: PriceOut
    unit_price: PriceOut
    discount_percent: PercentOut
    effective_discount_percent: PercentOut = Field(
        description="Override and discount together, against the list price")
    floor_price: Money
    below_floor: bool
    tax_rate: RateOut
    net_amount: Money
    tax_amount: Money
    total_amount: Money


class QuoteSnapshot(ReadModel):
    """A quote as stored (without lines): the before/after of its audit rows."""

    id: int
    number: str = Field(description=NUMBER_DESCRIPTION, examples=["BJ-2026-000001"])
    customer_id: int
    opportunity_id: int | None
    department_id: str
    owner_id: str
    title: str
    currency: str
    exchange_rate: ExchangeRateOut
    subtotal: Money
    tax_total: Money
    total: Money
    total_base: Money
    max_discount_percent: PercentOut
    below_floor: bool
    valid_until: date
    notes: str | None
    status: QuoteStatus
    revision: int
    root_id: int | None
    predecessor_id: int | None
    successor_id: int | None
    rejection_reason: str | None
    sent_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    decline_reason: str | None
    expired_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class QuoteRead(QuoteSnapshot, PeopleNames, CustomerName):
    lines: list[QuoteLineRead] = Field(default_factory=list)
    contract_id: int | None = Field(default=None,
                                    description="The contract drafted from this quote")
    approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(default_factory=list,
                                       description="What the caller may do to it now")

    @computed_field(description="`total_base` in Chinese capitals (人民币大写) as the paper "
                                "document writes it, e.g. 壹拾万元整", examples=["壹拾万元整"])
    def total_base_in_capitals(self) -> str:
        return in_capitals(self.total_base)


class QuotePage(Page[QuoteRead]):
    pass


class QuoteVersionRead(ReadModel):
    id: int
    revision: int
    status: QuoteStatus
    total: Money
    max_discount_percent: PercentOut
    valid_until: date
    predecessor_id: int | None
    successor_id: int | None
    created_at: datetime


class QuoteHistory(BaseModel):
    root_id: int
    number: str = Field(description=NUMBER_DESCRIPTION)
    versions: list[QuoteVersionRead]
