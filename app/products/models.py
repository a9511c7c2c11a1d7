from datetime import datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from app.core.db import ExactDecimal, UTCDateTime, money_column_type, utcnow


class Product(SQLModel, table=True):
    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200, index=True)
    unit: str = Field(default="pcs", max_length=20)
    product_line: str | None = Field(default=None, max_length=64, index=True)
    list_price: Decimal = Field(sa_type=money_column_type())
    # Quotes below the floor need the GM's approval (SPEC §2.1).
    floor_price: Decimal = Field(sa_type=money_column_type())
    tax_rate: Decimal = Field(sa_type=ExactDecimal(5, 4))
    active: bool = True
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
