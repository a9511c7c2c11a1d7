from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import ExactDecimal, UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH
from app.core.pricing import PricedColumns, exchange_rate_check


class QuoteStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"
    approved = "approved"
    sent = "sent"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    superseded = "superseded"  # revised: version n+1 replaces it


class Quote(PricedColumns, table=True):
    """A quote (报价). Revisions are new rows: version n+1 of the same root."""

    __tablename__ = "quote"
    __table_args__ = (
        # Every revision keeps the first one's number; this is also the `?number=` index.
        UniqueConstraint("number", "revision"),
        Index("ix_quote_owner_id_id", "owner_id", "id"),
        Index("ix_quote_department_id_id", "department_id", "id"),
        Index("ix_quote_customer_id_id", "customer_id", "id"),
        # The expiry sweep looks for approved and sent quotes past their validity.
        Index("ix_quote_status_valid_until", "status", "valid_until"),
        exchange_rate_check(),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH)  # BJ-2026-000001 (app/core/numbering.py)
    customer_id: int = Field(foreign_key="customer.id")
    # The customer's name as it is now, kept by a rename (app/customers/service.py), so
    # that `?q=` finds a document by it on this table's own indexes.
    customer_name: str = Field(max_length=200)
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True)
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    title: str = Field(max_length=200)
    # What the discount bands compare: the largest line discount against the list price,
    # and whether any line is priced below its product's floor.
    max_discount_percent: Decimal = Field(sa_type=ExactDecimal(5, 2))
    below_floor: bool = False
    valid_until: date
    notes: str | None = Field(default=None, sa_type=Text)
    status: QuoteStatus = Field(default=QuoteStatus.draft, max_length=20)
    revision: int = 1
    root_id: int | None = Field(default=None, index=True)
    predecessor_id: int | None = Field(default=None, foreign_key="quote.id")
    successor_id: int | None = Field(default=None, foreign_key="quote.id")
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    declined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str | None = Field(default=None, max_length=2000)
    expired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuoteLine(SQLModel, table=True):
    __tablename__ = "quote_line"
    __table_args__ = (
        Index("ix_quote_line_quote_id_line_no", "quote_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id")
    line_no: int
    product_id: int = Field(foreign_key="product.id")
    description: str = Field(max_length=200)
    quantity: Decimal = Field(sa_type=ExactDecimal(18, 3))
    # The product's list price in the quote's currency when priced; unit_price differs
    # when the rep overrode it.
    list_price: Decimal = Field(sa_type=ExactDecimal(18, 4))
    unit_price: Decimal = Field(sa_type=ExactDecimal(18, 4))
    discount_percent: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(5, 2))
    # Price override and discount together, against the list price (rounded up to 0.01).
    effective_discount_percent: Decimal = Field(sa_type=ExactDecimal(5, 2))
    floor_price: Decimal = Field(sa_type=money_column_type())  # base currency, when priced
    below_floor: bool = False
    tax_rate: Decimal = Field(sa_type=ExactDecimal(5, 4))
    net_amount: Decimal = Field(sa_type=money_column_type())
    tax_amount: Decimal = Field(sa_type=money_column_type())
    total_amount: Decimal = Field(sa_type=money_column_type())
