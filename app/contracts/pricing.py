"""Line and document totals in Decimal, each amount rounded half-up to 0.01."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.core.money import round_money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal,
                 tax_rate: Decimal) -> LineAmounts:
    net = round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)
    tax = round_money(net * tax_rate)
    return LineAmounts(net=net, tax=tax, total=net + tax)


def to_base(total: Decimal, exchange_rate: Decimal) -> Decimal:
    return round_money(total * exchange_rate)


def apply_totals(document: Any, lines: Sequence[Any]) -> None:
    """A document's totals (contract, quote) from its priced lines: the sum of the rounded
    line amounts, and the total in the base currency that approval tiers compare."""
    document.subtotal = sum((line.net_amount for line in lines), Decimal("0.00"))
    document.tax_total = sum((line.tax_amount for line in lines), Decimal("0.00"))
    document.total = document.subtotal + document.tax_total
    document.total_base = to_base(document.total, document.exchange_rate)
