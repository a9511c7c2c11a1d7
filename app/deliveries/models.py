from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Index
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.db import ExactDecimal, UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH


class DeliveryStatus(StrEnum):
    planned = "planned"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"  # a planned delivery that will not go


class Delivery(SQLModel, table=True):
    """A delivery (发货) of part or all of a confirmed order."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_order_id_id", "order_id", "id"),
        Index("ix_delivery_customer_id_id", "customer_id", "id"),
        Index("ix_delivery_owner_id_id", "owner_id", "id"),
        Index("ix_delivery_department_id_id", "department_id", "id"),
        Index("ix_delivery_status_id", "status", "id"),
        # The list's date filters: logistics plans by day, finance reconciles shipments.
        Index("ix_delivery_planned_date_id", "planned_date", "id"),
        Index("ix_delivery_shipped_on_id", "shipped_on", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # FH-2026-000001
    order_id: int = Field(foreign_key="sales_order.id")
    # The order's, copied so lists filter and scope deliveries without a join.
    customer_id: int = Field(foreign_key="customer.id")
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    # A PostgreSQL enum type of its own: "deliverystatus", the name this class would give
    # it, is the webhook deliveries' type.
    status: DeliveryStatus = Field(default=DeliveryStatus.planned, max_length=20,
                                   sa_type=SAEnum(DeliveryStatus, name="salesdeliverystatus"))
    planned_date: date | None = None
    ship_to: str | None = Field(default=None, max_length=500)
    carrier: str | None = Field(default=None, max_length=200)
    tracking_number: str | None = Field(default=None, max_length=100)
    shipped_on: date | None = None
    received_by: str | None = Field(default=None, max_length=200)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The shipped value including tax, in the order's currency and in the base currency
    # (what finance invoices, issue 15).
    currency: str = Field(default="CNY", max_length=3)
    shipped_total: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    shipped_total_base: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    cancel_reason: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliveryLine(SQLModel, table=True):
    __tablename__ = "delivery_line"
    __table_args__ = (
        Index("ix_delivery_line_delivery_id_line_no", "delivery_id", "line_no"),
        Index("ix_delivery_line_order_line_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= quantity",
                        name="returned_within_quantity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id")
    line_no: int
    order_line_id: int = Field(foreign_key="sales_order_line.id")
    product_id: int = Field(foreign_key="product.id")
    description: str = Field(max_length=200)
    quantity: Decimal = Field(sa_type=ExactDecimal(18, 3))
    returned_quantity: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(18, 3))
    # The value shipped on this line, in the order's currency: its share of the order
    # line's amounts, set when the delivery ships (app/deliveries/values.py).
    net_amount: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    tax_amount: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    total_amount: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())


class DeliveryReturn(SQLModel, table=True):
    """Goods the customer sent back (退货): quantities per delivery line, with the reason."""

    __tablename__ = "delivery_return"
    __table_args__ = (Index("ix_delivery_return_delivery_id_id", "delivery_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id")
    reason: str = Field(max_length=2000)
    returned_on: date
    # [{"delivery_line_id": 1, "order_line_id": 7, "quantity": "2.000",
    #   "net_amount": "200.00", "tax_amount": "26.00", "total_amount": "226.00"}]
    lines: list[dict[str, str | int]] = Field(default_factory=list, sa_type=JSON)
    # The value of the goods sent back (what a credit note would carry), in the order's
    # currency and in the base currency.
    total: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    total_base: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    # What of `total` the delivery's receivable was credited (a credit note, in the same
    # transaction), and the rest, already paid or never invoiced on the delivery, which
    # the customer is owed back (refunded outside this service). Order's currency.
    receivable_id: int | None = Field(default=None, foreign_key="receivable.id")
    credit_note_id: int | None = Field(default=None, foreign_key="receivable_credit.id")
    credited: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    to_refund: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    recorded_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
