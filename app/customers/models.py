from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, money_column_type, utcnow


class CreditRating(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Customer(SQLModel, table=True):
    """Customer master (客户档案). Ownership by one rep is exclusive (客户归属)."""

    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_owner_id_id", "owner_id", "id"),
        Index("ix_customer_department_id_id", "department_id", "id"),
        CheckConstraint("credit_rating IN ('A', 'B', 'C', 'D')", name="credit_rating"),
        CheckConstraint("credit_limit >= 0", name="credit_limit_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    credit_code: str | None = Field(default=None, max_length=18, unique=True)
    # Each contact's phone is stored in E.164 with its extension apart, its e-mail in lower
    # case; both are also rows of customer_key, where duplicates are looked up.
    contacts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    address: str | None = Field(default=None, max_length=500)
    owner_id: str = Field(max_length=128)
    department_id: str = Field(foreign_key="department.id", max_length=32)
    credit_rating: CreditRating = Field(default=CreditRating.C, sa_type=String(1))
    credit_limit: Decimal = Field(default=Decimal("0.00"), sa_type=money_column_type())
    payment_terms_days: int = 0
    is_key_customer: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KeyKind(StrEnum):
    name = "name"
    phone = "phone"
    email = "email"


class CustomerKey(SQLModel, table=True):
    """What finds a likely duplicate of a customer: its name as duplicate detection compares
    it (without case, spacing and legal form: app.core.normalise.company_key), and each of
    its contacts' normalised phones and e-mails. The contacts live in a JSON column, which
    the two databases do not index alike, so the keys are rows here, indexed by value,
    rewritten in the same transaction whenever the name or the contacts change.

    Derived data, deleted with its customer (ON DELETE CASCADE). A SQLite migration that
    rebuilds the customer table in batch mode must turn foreign keys off, as it must for
    every table that references customers, or these rows would be cascaded away."""

    __tablename__ = "customer_key"
    __table_args__ = (
        CheckConstraint("kind IN ('name', 'phone', 'email')", name="kind"),
        # Looked up by (kind, value), the primary key; replaced by customer.
        Index("ix_customer_key_customer_id", "customer_id"),
    )

    kind: KeyKind = Field(sa_type=String(8), primary_key=True)
    value: str = Field(max_length=254, primary_key=True)
    customer_id: int = Field(sa_column=Column(
        Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True))
