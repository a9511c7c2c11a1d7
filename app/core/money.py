"""Money as Decimal end to end: two places, half-up; decimal strings on the wire."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999999999.99")  # fits Numeric(18, 2)


def round_money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    return f"{round_money(value):.2f}"


# Requests accept a string or a number with at most two decimal places; never negative.
MoneyIn = Annotated[
    Decimal,
    Field(ge=0, le=MAX_MONEY, max_digits=18, decimal_places=2, allow_inf_nan=False,
          examples=["100000.00"]),
]
# Responses always carry two places as a string: "100000.00".
Money = Annotated[
    Decimal,
    PlainSerializer(format_money, return_type=str, when_used="json"),
    Field(examples=["100000.00"]),
]
# Rates such as tax (0.13 = 13 %): at most four places, 0..1.
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=5, decimal_places=4, allow_inf_nan=False, examples=["0.13"]),
]
RateOut = Annotated[
    Decimal,
    PlainSerializer(lambda d: f"{d:.4f}", return_type=str, when_used="json"),
    Field(examples=["0.1300"]),
]
