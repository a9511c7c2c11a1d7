from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from app.core.directory import CustomerName, PeopleNames
from app.core.ids import Id
from app.core.money import Money, QuantityOut
from app.core.pagination import Page
from app.core.pricing import Quantity
from app.core.schemas import FIRST_DAY, LAST_DAY, ReadModel, UpdateModel, WriteModel
from app.deliveries.models import DeliveryStatus

Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Address = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def _within_days(value: datetime) -> datetime:
    # Far-off years have no UTC equivalent that Python or the databases hold.
    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        raise ValueError(f"must be between {FIRST_DAY.year} and {LAST_DAY.year}")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_within_days)]


def _distinct(ids: list[int], what: str) -> None:
    if len(set(ids)) != len(ids):
        raise ValueError(f"each {what} may appear once")


class DeliveryLineIn(WriteModel):
    order_line_id: Id
    quantity: Quantity


class DeliveryCreate(WriteModel):
    """A delivery of part or all of what a confirmed order has still to deliver."""

    order_id: Id
    lines: list[DeliveryLineIn] = Field(min_length=1, max_length=200)
    planned_date: Day | None = Field(
        default=None, description="Defaults to the earliest planned delivery date of its "
                                  "order lines, else the order's requested date")
    ship_to: Address | None = Field(
        default=None, description="Defaults to the order's delivery address, else the "
                                  "customer's address")

    @model_validator(mode="after")
    def _each_line_once(self) -> "DeliveryCreate":
        _distinct([line.order_line_id for line in self.lines], "order_line_id")
        return self


class DeliveryUpdate(UpdateModel):
    """A planned delivery rescheduled or sent elsewhere."""

    clearable = frozenset({"planned_date", "ship_to"})

    planned_date: Day | None = None
    ship_to: Address | None = None


class ShipBody(WriteModel):
    carrier: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The carrier, or e.g. 自有车辆 / 客户自提 for the company's own truck or "
                    "a customer pickup")
    tracking_number: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    shipped_on: Day | None = Field(default=None,
                                   description="Defaults to today (company calendar)")


class ReceiptBody(WriteModel):
    received_by: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Who signed for the goods at the customer")
    received_at: Instant | None = Field(default=None, description="Defaults to now")


class CancelBody(WriteModel):
    reason: Reason


class ReturnLineIn(WriteModel):
    delivery_line_id: Id
    quantity: Quantity


class ReturnCreate(WriteModel):
    """Goods sent back: quantities per delivery line, never more than was shipped on it
    and not yet returned. They become undelivered again on the order."""

    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    reason: Reason
    returned_on: Day | None = Field(default=None,
                                    description="Defaults to today (company calendar)")

    @model_validator(mode="after")
    def _each_line_once(self) -> "ReturnCreate":
        _distinct([line.delivery_line_id for line in self.lines], "delivery_line_id")
        return self


class DeliveryLineRead(ReadModel):
    id: int
    line_no: int
    order_line_id: int
    product_id: int
    description: str
    quantity: QuantityOut
    returned_quantity: QuantityOut
    net_amount: Money = Field(description="Shipped value of the line before tax (0.00 until "
                                          "shipped), in the order's currency")
    tax_amount: Money
    total_amount: Money


class ReturnLineRead(BaseModel):
    delivery_line_id: int
    order_line_id: int
    quantity: QuantityOut
    net_amount: Money
    tax_amount: Money
    total_amount: Money


class DeliveryReturnRead(ReadModel):
    id: int
    reason: str
    returned_on: date
    lines: list[ReturnLineRead]
    total: Money = Field(description="Value of the goods returned, in the order's currency")
    total_base: Money = Field(description="`total` in the base currency (CNY)")
    receivable_id: int | None = Field(description="The delivery's receivable, if it has one")
    credit_note_id: int | None = Field(description="The credit note the return made on it")
    credited: Money = Field(description="What of `total` the receivable was credited: at "
                                        "most its balance")
    to_refund: Money = Field(description="The rest of `total` (paid already, or not "
                                         "invoiced on the delivery): owed back to the "
                                         "customer")
    recorded_by: str
    created_at: datetime


class DeliveryRead(ReadModel, PeopleNames, CustomerName):
    id: int
    number: str = Field(description="Business number, FH-2026-000001 (gap-free per year)")
    order_id: int
    customer_id: int
    department_id: str
    owner_id: str
    status: DeliveryStatus
    planned_date: date | None
    ship_to: str | None
    carrier: str | None
    tracking_number: str | None
    shipped_on: date | None
    received_by: str | None
    received_at: datetime | None
    currency: str
    shipped_total: Money = Field(description="Value shipped, tax included, in the order's "
                                             "currency (0.00 until shipped)")
    shipped_total_base: Money = Field(description="`shipped_total` in the base currency (CNY)")
    cancel_reason: str | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    lines: list[DeliveryLineRead] = Field(default_factory=list)
    returns: list[DeliveryReturnRead] = Field(default_factory=list)
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do to it now: update, ship, cancel, deliver, return")


class DeliveryPage(Page[DeliveryRead]):
    pass
