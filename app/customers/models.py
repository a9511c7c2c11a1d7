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
    # The name as duplicate detection compares it (app.core.normalise.company_key).
    name_key: str = Field(max_length=200, index=True)
    credit_code: str | None = Field(default=None, max_length=18, unique=True)
    # Each contact's phone is stored in E.164 with its extension apart, its e-mail in lower
    # case; both are also keys in customer_contact_key, where duplicates are looked up.
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


class ContactKeyKind(StrEnum):
    phone = "phone"
    email = "email"


class CustomerContactKey(SQLModel, table=True):
    """One normalised phone or e-mail among a customer's contacts: the contacts live in a
    JSON column, which neither database indexes the same way, so the keys that find a
    duplicate (or a customer by phone) are kept here, rewritten whenever the contacts
    change, in the same transaction."""

    __tablename__ = "customer_contact_key"
    __table_args__ = (
        CheckConstraint("kind IN ('phone', 'email')", name="kind"),
        # Looked up by value; the customer's own keys are replaced by customer_id.
        Index("ix_customer_contact_key_customer_id", "customer_id"),
    )

    kind: ContactKeyKind = Field(sa_type=String(8), primary_key=True)
    value: str = Field(max_length=254, primary_key=True)
    customer_id: int = Field(sa_column=Column(
        Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True))
