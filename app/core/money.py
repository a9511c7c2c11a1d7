"""Money as Decimal end to end: two places, half-up; decimal strings on the wire.

Every decimal a response shows has the places of the column it is stored in, whether it
was read back from the database or is still the value a request gave ("1" and "1.000000"
are the same exchange rate, and a client comparing a POST with a GET must not see two)."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999999999.99")  # fits Numeric(18, 2)


def to_places(value: Decimal, places: int) -> Decimal:
    """`value` with exactly `places` decimal places, half-up (away from zero, as
    PostgreSQL rounds NUMERIC), never a negative zero: -0.00 would be shown as such."""
    result = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return result.copy_abs() if result.is_zero() else result


def round_money(value: Decimal | int | str) -> Decimal:
    return to_places(Decimal(value), 2)


def format_decimal(value: Decimal, places: int) -> str:
    return f"{to_places(value, places):f}"


def format_money(value: Decimal) -> str:
    return format_decimal(value, 2)


def shown_with(places: int) -> PlainSerializer:
    """A decimal shown as a string with its column's places, however it was given."""
    return PlainSerializer(lambda value: format_decimal(value, places), return_type=str,
                           when_used="json")


# Requests accept a string or a number with at most two decimal places; never negative.
MoneyIn = Annotated[
    Decimal,
    Field(ge=0, le=MAX_MONEY, max_digits=18, decimal_places=2, allow_inf_nan=False,
          examples=["100000.00"]),
]
# An amount that must be above zero (a payment, an allocation): its own bounds, since a
# `gt` laid over MoneyIn's `ge` would publish both (redocly refuses the mix).
PositiveMoneyIn = Annotated[
    Decimal,
    Field(gt=0, le=MAX_MONEY, max_digits=18, decimal_places=2, allow_inf_nan=False,
          examples=["100000.00"]),
]
# Rates such as tax (0.13 = 13 %): at most four places, 0..1.
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=5, decimal_places=4, allow_inf_nan=False, examples=["0.13"]),
]

# Response types, one per column scale (Numeric(p, s) in the models).
Money = Annotated[Decimal, shown_with(2), Field(examples=["100000.00"])]
RateOut = Annotated[Decimal, shown_with(4), Field(examples=["0.1300"])]
PercentOut = Annotated[Decimal, shown_with(2), Field(examples=["5.00"])]
PriceOut = Annotated[Decimal, shown_with(4), Field(examples=["1000.0000"])]
QuantityOut = Annotated[Decimal, shown_with(3), Field(examples=["3.000"])]
ExchangeRateOut = Annotated[Decimal, shown_with(6), Field(examples=["7.100000"])]
