from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import ExactDecimal, UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH
from app.core.pricing import PricedColumns, exchange_rate_check


class ContractStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"
    approved = "approved"
    signed = "signed"  # effective
    completed = "completed"
    terminated = "terminated"
    voided = "voided"  # replaced by a signed amendment


class Contract(PricedColumns, table=True):
    """A sales contract (销售合同). Amendments are new rows: revision n+1 of the same root."""

    __tablename__ = "contract"
    __table_args__ = (
        # Every revision keeps the first one's number; this is also the `?number=` index.
        UniqueConstraint("number", "revision"),
        Index("ix_contract_owner_id_id", "owner_id", "id"),
        Index("ix_contract_department_id_id", "department_id", "id"),
        Index("ix_contract_customer_id_id", "customer_id", "id"),
        exchange_rate_check(),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH)  # HT-2026-000123 (app/core/numbering.py)
    customer_id: int = Field(foreign_key="customer.id")
    # The customer's name as it is now, kept by a rename (app/customers/service.py), so
    # that `?q=` finds a document by it on this table's own indexes.
    customer_name: str = Field(max_length=200)
    # The accepted quote it was drafted from; one contract per quote (amendments, being
    # later revisions of that contract, leave it empty).
    quote_id: int | None = Field(default=None, foreign_key="quote.id", unique=True)
    department_id: str = Field(foreign_key="department.id", max_length=32)
    owner_id: str = Field(max_length=128)
    title: str = Field(max_length=200)
    delivery_date: date | None = None
    clauses: str | None = Field(default=None, sa_type=Text)
    major_interest: bool = False
    payment_schedule: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: ContractStatus = Field(default=ContractStatus.draft, max_length=20, index=True)
    revision: int = 1
    root_id: int | None = Field(default=None, index=True)
    predecessor_id: int | None = Field(default=None, foreign_key="contract.id")
    successor_id: int | None = Field(default=None, foreign_key="contract.id")
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    signed_date: date | None = None
    signatories: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Termination (合同解除) runs its own approval while the contract stays signed.
    termination_reason: str | None = Field(default=None, max_length=2000)
    termination_request_id: int | None = None
    terminated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContractLine(SQLModel, table=True):
    __tablename__ = "contract_line"
    __table_args__ = (
        Index("ix_contract_line_contract_id_line_no", "contract_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    line_no: int
    product_id: int = Field(foreign_key="product.id")
    description: str = Field(max_length=200)
    quantity: Decimal = Field(sa_type=ExactDecimal(18, 3))
    unit_price: Decimal = Field(sa_type=ExactDecimal(18, 4))
    discount_percent: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(5, 2))
    tax_rate: Decimal = Field(sa_type=ExactDecimal(5, 4))
    net_amount: Decimal = Field(sa_type=money_column_type())
    tax_amount: Decimal = Field(sa_type=money_column_type())
    total_amount: Decimal = Field(sa_type=money_column_type())
