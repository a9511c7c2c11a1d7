from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from app.core.money import Money, MoneyIn, Rate, RateOut
from app.core.pagination import Page
from app.core.schemas import Name, ReadModel, UpdateModel, WriteModel

Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._/-]+$")]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=20)]
ProductLine = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ProductCreate(WriteModel):
    sku: Sku
    name: Name
    unit: Unit = "pcs"
    product_line: ProductLine | None = None
    list_price: MoneyIn
    floor_price: MoneyIn = Field(description="Lowest price a rep may quote without GM approval")
    tax_rate: Rate = Field(default=Decimal("0.13"), description="VAT rate, 0.13 = 13 %")
    active: bool = True


class ProductUpdate(UpdateModel):
    clearable = frozenset({"product_line"})

    sku: Sku | None = None
    name: Name | None = None
    unit: Unit | None = None
    product_line: ProductLine | None = None
    list_price: MoneyIn | None = None
    floor_price: MoneyIn | None = None
    tax_rate: Rate | None = None
    active: bool | None = None


class ProductRead(ReadModel):
    id: int
    sku: str
    name: str
    unit: str
    product_line: str | None
    list_price: Money
    floor_price: Money
    tax_rate: RateOut
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ProductPage(Page[ProductRead]):
    pass
