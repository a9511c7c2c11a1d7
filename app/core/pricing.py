"""Pricing shared by every priced document (quote, contract, and next order, delivery,
receivable): line and document totals in Decimal, each amount rounded half-up to 0.01; the
money columns those documents share; the API types of a priced line and of a currency."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Annotated, Protocol

import sqlmodel
from pydantic import Field, StringConstraints
from sqlalchemy import CheckConstraint

from app.core.db import ExactDecimal, money_column_type
from app.core.errors import UnprocessableEntity
from app.core.ids import Id
from app.core.money import round_money
from app.core.schemas import WriteModel

HUNDRED = Decimal(100)
# The currency approval tiers and credit limits are kept in; a document in another carries
# its exchange rate to it.
BASE_CURRENCY = "CNY"
# The largest amount a money column (NUMERIC(18, 2)) holds.
MAX_AMOUNT = Decimal("9999999999999999.99")


class AmountTooLarge(UnprocessableEntity):
    code = "pricing.amount_too_large"
    title = "An amount is larger than the service can hold"


def _within_range(what: str, amount: Decimal) -> Decimal:
    # Quantities and prices are bounded one by one; their product, a document's sum or its
    # conversion to the base currency may still overflow the column (a 500 at commit).
    if abs(amount) > MAX_AMOUNT:
        raise AmountTooLarge(f"The {what} would be {amount:,.2f}; the largest amount is "
                             f"{MAX_AMOUNT:,.2f}.", field=what)
    return amount


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    total: Decimal


class PricedLine(Protocol):
    net_amount: Decimal
    tax_amount: Decimal


class PricedDocument(Protocol):
    exchange_rate: Decimal
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    total_base: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal,
                 tax_rate: Decimal) -> LineAmounts:
    net = _within_range("line amount",
                        round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED))
    tax = round_money(net * tax_rate)
    return LineAmounts(net=net, tax=tax, total=_within_range("line total", net + tax))


def to_base(total: Decimal, exchange_rate: Decimal) -> Decimal:
    return round_money(total * exchange_rate)


def apply_totals(document: PricedDocument, lines: Sequence[PricedLine]) -> None:
    """A document's totals from its priced lines: the sum of the rounded line amounts, and
    the total in the base currency that approval tiers compare."""
    document.subtotal = sum((line.net_amount for line in lines), Decimal("0.00"))
    document.tax_total = sum((line.tax_amount for line in lines), Decimal("0.00"))
    document.total = _within_range("total", document.subtotal + document.tax_total)
    document.total_base = _within_range("total in the base currency",
                                        to_base(document.total, document.exchange_rate))


class PricedColumns(sqlmodel.SQLModel):
    """The money columns of a priced document's table. Each table builds its own columns
    from these fields (hence `sa_type`, never a shared `sa_column`); add
    `exchange_rate_check()` to the table's `__table_args__`."""

    currency: str = sqlmodel.Field(default=BASE_CURRENCY, max_length=3)
    exchange_rate: Decimal = sqlmodel.Field(default=Decimal("1"),
                                            sa_type=ExactDecimal(18, 6))
    subtotal: Decimal = sqlmodel.Field(sa_type=money_column_type())
    tax_total: Decimal = sqlmodel.Field(sa_type=money_column_type())
    total: Decimal = sqlmodel.Field(sa_type=money_column_type())
    # Total including tax in the base currency: what approval tiers compare.
    total_base: Decimal = sqlmodel.Field(sa_type=money_column_type())


def exchange_rate_check() -> CheckConstraint:
    # A constraint belongs to one table, so each priced table gets a new one (named
    # ck_<table>_exchange_rate_positive by the naming convention).
    return CheckConstraint("exchange_rate > 0", name="exchange_rate_positive")


Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2,
                                   allow_inf_nan=False)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3, allow_inf_nan=False)]
UnitPrice = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4, allow_inf_nan=False)]
TaxRate = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4, allow_inf_nan=False)]
ExchangeRate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6, allow_inf_nan=False)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class LineIn(WriteModel):
    """A priced line as a request gives it. Each document subclasses it under its own name
    (`ContractLineIn`, `QuoteLineIn`), which is the name the OpenAPI document shows."""

    product_id: Id
    quantity: Quantity
    unit_price: UnitPrice | None = Field(default=None, description="Defaults to the list price")
    discount_percent: Percent = Decimal("0")
    tax_rate: TaxRate | None = Field(default=None, description="Defaults to the product's rate")
    description: Annotated[str, StringConstraints(max_length=200)] | None = None


def pro_rata(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """The share of `amount` that `part` of `whole` carries, rounded half-up to 0.01 (what
    part of an order line's quantity is worth). The whole carries exactly `amount`."""
    with localcontext() as exact:
        # Wide enough that the product is exact and only the last rounding counts.
        exact.prec = 60
        return round_money(amount * part / whole)
