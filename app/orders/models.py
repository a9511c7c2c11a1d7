from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Text
from sqlmodel import Field, SQLModel

from app.core.db import ExactDecimal, UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH
from app.core.pricing import PricedColumns, exchange_rate_check


class OrderStatus(StrEnum):
    draft = "draft"
    pending_review = "pending_review"
    credit_hold = "credit_hold"  # in review, with the GM's credit release added (SPEC §5)
    confirmed = "confirmed"
    partially_delivered = "partially_delivered"
    delivered = "delivered"
    closed = "closed"
    cancelled = "cancelled"


class Order(PricedColumns, table=True):
    """A sales order (销售订单): a call-off against a signed contract, or an order from an
    approved quote where the policy allows."""

    __tablename__ = "sales_order"  # "order" is an SQL keyword
    __table_args__ = (
        Index("ix_sales_order_owner_id_id", "owner_id", "id"),
        Index("ix_sales_order_department_id_id", "department_id", "id"),
        Index("ix_sales_order_customer_id_id", "customer_id", "id"),
        Index("ix_sales_order_contract_id_id", "contract_id", "id"),
        Index("ix_sales_order_status_id", "status", "id"),
        exchange_rate_check(),
        # Not "<= 100" as well: SQLite holds the column in hundredths (ExactDecimal), so no
        # literal bound fits both databases; the API refuses more than 100.
        CheckConstraint("prepayment_percent >= 0", name="prepayment_percent_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # DD-2026-000001
    customer_id: int = Field(foreign_key="customer.id")
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    quote_id: int | None = Field(default=None, foreign_key="quote.id", index=True)
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    title: str = Field(max_length=200)
    delivery_address: str | None = Field(default=None, max_length=500)
    requested_date: date | None = None
    # Payment terms: days after invoice, from the customer unless overridden, and the share
    # paid before delivery (100 = full prepayment, which needs no credit).
    payment_terms_days: int = 0
    prepayment_percent: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(5, 2))
    notes: str | None = Field(default=None, sa_type=Text)
    status: OrderStatus = Field(default=OrderStatus.draft, max_length=20)
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    # The credit check at the last submission: whether it held the order, and its figures
    # (app.credit.schemas.CreditCheck: limit, each exposure component, amount over, ...).
    credit_held: bool = False
    credit_check: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # What of the total has been invoiced (receivables issued), in the base currency: the
    # rest counts in the customer's exposure while the order is confirmed.
    invoiced_base: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(default=None, max_length=2000)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why the rest will not be delivered (a short close); none when all was delivered.
    close_reason: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderLine(SQLModel, table=True):
    __tablename__ = "sales_order_line"
    __table_args__ = (
        Index("ix_sales_order_line_order_id_line_no", "order_id", "line_no"),
        Index("ix_sales_order_line_contract_line_id", "contract_line_id"),
        Index("ix_sales_order_line_quote_line_id", "quote_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # Deliveries never take more than was ordered (the service checks first, under the
        # order's lock; this is the last word).
        CheckConstraint("scheduled_quantity >= 0 AND scheduled_quantity <= quantity",
                        name="scheduled_within_ordered"),
        CheckConstraint("shipped_quantity >= 0 AND shipped_quantity <= scheduled_quantity",
                        name="shipped_within_scheduled"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id")
    line_no: int
    contract_line_id: int | None = Field(default=None, foreign_key="contract_line.id")
    quote_line_id: int | None = Field(default=None, foreign_key="quote_line.id")
    product_id: int = Field(foreign_key="product.id")
    description: str = Field(max_length=200)
    quantity: Decimal = Field(sa_type=ExactDecimal(18, 3))
    unit_price: Decimal = Field(sa_type=ExactDecimal(18, 4))
    discount_percent: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(5, 2))
    tax_rate: Decimal = Field(sa_type=ExactDecimal(5, 4))
    net_amount: Decimal = Field(sa_type=money_column_type())
    tax_amount: Decimal = Field(sa_type=money_column_type())
    total_amount: Decimal = Field(sa_type=money_column_type())
    # Set when the order is confirmed (logistics' review), else the order's requested date.
    planned_delivery_date: date | None = None
    # Quantities in deliveries that are not cancelled (planned, shipped or delivered), and
    # of those the shipped ones; both net of returns.
    scheduled_quantity: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(18, 3))
    shipped_quantity: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(18, 3))
    returned_quantity: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(18, 3))


class SalesMonthTotal(SQLModel, table=True):
    """The running monthly totals of a rep's sales and collections (app/orders/month_totals.py):
    per department, rep and company calendar month, the orders confirmed in it that stand
    and the payments received in it, in CNY. Plan progress and the deviation report sum
    these rows instead of every order and payment of their period."""

    __tablename__ = "sales_month_total"
    __table_args__ = (
        # The deviation report of every department reads a range of months.
        Index("ix_sales_month_total_month_department_id", "month", "department_id"),
        CheckConstraint("orders >= 0", name="orders_not_negative"),
        CheckConstraint("payments >= 0", name="payments_not_negative"),
    )

    department_id: str = Field(primary_key=True, max_length=32)
    owner_id: str = Field(primary_key=True, max_length=128)
    month: date = Field(primary_key=True)  # its first day, in Asia/Shanghai
    orders: int  # confirmed in the month and not cancelled since
    confirmed_base: Decimal = Field(sa_type=money_column_type())  # their totals, in CNY
    payments: int  # received in the month
    collected_base: Decimal = Field(sa_type=money_column_type())  # their amounts, in CNY
